//! Ports for services that listen on a port named in the configuration
//! (`port: N`, TCP and gRPC services), without a moment in which the port
//! is free for anyone else to take.
//!
//! A test needs the number before the gateway exists, to write it into the
//! YAML. Binding port 0, reading the port and releasing it leaves a gap in
//! which another process can take the port (a test flaked that way under
//! CI load). Instead:
//!
//! - [`Prebound`]: the test binds 127.0.0.1 port 0 itself, keeps the
//!   listening socket, and hands it to the gateway at start the way a
//!   running `weir` hands its sockets to its replacement (the zero-downtime
//!   upgrade, `weir::handover`): the test plays the previous process on an
//!   upgrade socket in its temporary directory, and the gateway, started
//!   with that path, adopts every socket whose address its configuration
//!   names. This is the real handover path, so it is exercised as well.
//!   The test's own copies are closed once the gateway said it is ready, so
//!   the port closes when the gateway's listener does.
//! - [`ReservedPort`]: for a listener the gateway opens only later, at run
//!   time (a service added or moved by a new revision). Handed-over sockets
//!   that the starting configuration does not claim are closed at start,
//!   so these cannot be handed over. The test keeps a socket bound to the
//!   port without listening on it, with `SO_REUSEADDR`. On Linux the
//!   gateway's own bind (tokio sets `SO_REUSEADDR`) may share the address
//!   with it, because it does not listen (socket(7): "a socket may bind,
//!   except when there is an active listening socket bound to the
//!   address"), while the kernel never picks a bound port for another
//!   socket's port 0 nor for an outgoing connection, and a bind without
//!   `SO_REUSEADDR` is refused. Connections to it are refused while the
//!   gateway does not listen there, as on a free port.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Duration;

use weir::handover::UpgradeServer;

/// How long the gateway may take from start to ready.
const HANDOVER_WITHIN: Duration = Duration::from_secs(60);

/// Listening sockets on 127.0.0.1 (the tests' `listen.service_address`),
/// ports chosen by the system, until they are handed to a gateway.
pub struct Prebound {
    listeners: Vec<std::net::TcpListener>,
}

impl Prebound {
    /// `n` listening sockets on 127.0.0.1, port 0 each.
    pub fn bind(n: usize) -> Self {
        let listeners = (0..n)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        Self { listeners }
    }

    /// The port of the `i`th socket.
    pub fn port(&self, i: usize) -> u16 {
        self.listeners[i].local_addr().unwrap().port()
    }

    /// Play the previous process on the upgrade socket `path`: hand the
    /// sockets to the first process that asks there. Returns at once (the
    /// socket answers from now on); start the gateway with `path` as its
    /// upgrade socket, then wait for [`Handover`].
    pub fn serve(self, path: &Path) -> Handover {
        // Bound here, before the gateway can look for it; served by a
        // thread of its own, so that the caller may be sync or async and
        // on any runtime.
        let unix = std::os::unix::net::UnixListener::bind(path).unwrap();
        let path = path.to_owned();
        let (done, taken) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = UpgradeServer::listen(&path, Some(OwnedFd::from(unix))).unwrap();
                let listeners = self.listeners;
                // Called once per attempt; the sockets themselves stay in
                // the closure, which `serve` drops when it returns.
                server
                    .serve(move || {
                        let list = listeners
                            .iter()
                            .map(|l| {
                                let name = format!("test:{}", l.local_addr().unwrap());
                                (name, OwnedFd::from(l.try_clone().unwrap()))
                            })
                            .collect();
                        std::future::ready(list)
                    })
                    .await;
            });
            // Only now are this side's copies closed.
            let _ = done.send(());
        });
        Handover { taken }
    }
}

/// A handover in progress; resolves once the gateway took the sockets, is
/// ready, and the test's copies are closed.
pub struct Handover {
    taken: std::sync::mpsc::Receiver<()>,
}

impl Handover {
    /// Wait for the handover (sync callers, e.g. a separate process's start).
    pub fn wait(self) {
        self.taken
            .recv_timeout(HANDOVER_WITHIN)
            .unwrap_or_else(|e| panic!("the gateway did not take the prebound sockets: {e}"));
    }

    /// Wait for the handover (async callers).
    pub async fn taken(self) {
        tokio::task::spawn_blocking(move || self.wait())
            .await
            .unwrap();
    }
}

/// A port for a listener the gateway opens at run time: bound on
/// 127.0.0.1 port 0 with `SO_REUSEADDR` and never listening, so that only
/// the gateway's bind can share it (see the module docs). Keep it for as
/// long as the port is in the test's configurations.
pub struct ReservedPort {
    pub port: u16,
    _socket: tokio::net::TcpSocket,
}

impl ReservedPort {
    /// Bind 127.0.0.1 port 0 without listening.
    pub fn bind() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let port = socket.local_addr().unwrap().port();
        Self {
            port,
            _socket: socket,
        }
    }
}
