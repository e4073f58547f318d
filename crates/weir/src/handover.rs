//! Zero-downtime upgrade: a running `weir` hands its listening sockets to
//! its replacement over a Unix socket, so that no connection is refused
//! while the binary is replaced.
//!
//! With `--upgrade-socket PATH` a process first asks whoever listens on PATH
//! for its sockets ([`take_over`]); when nobody answers it binds fresh ones.
//! Either way it then listens on PATH itself ([`UpgradeServer`]) for the
//! next upgrade. The conversation, on a Unix stream socket:
//!
//! 1. old → new: `{"weir_handover":1,"sockets":["http","admin","service:t",…]}`
//!    (a length-prefixed JSON message)
//! 2. old → new: the sockets themselves (`SCM_RIGHTS`), in that order, at
//!    most [`FDS_PER_MESSAGE`] on each of a few one-byte messages.
//! 3. new → old: `{"ready":true}` once the new process accepts on all of
//!    them. Until then the old one keeps serving (both accept on the same
//!    sockets, so nothing is refused); if the new one dies first, the old
//!    one carries on alone.
//! 4. the old process stops accepting, drains its open connections (in-flight
//!    requests, WebSocket tunnels, TCP streams, up to the shutdown grace)
//!    and exits.
//!
//! The upgrade socket itself is handed over too (`upgrade`), so PATH answers
//! throughout. Only a peer running as the same user (or root) is served.
//! The descriptors are passed with rustix's safe `sendmsg`/`recvmsg`, which
//! gives received descriptors as `OwnedFd` (nix and `sendfd` return raw
//! descriptors that only `unsafe` code could own; the workspace forbids it,
//! and tokio's `AsyncFd` constructors are `unsafe` now too). The sockets
//! themselves are tokio's `UnixListener`/`UnixStream`.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::{UnixListener, UnixStream};

/// Linux refuses more than 253 descriptors in one message (SCM_MAX_FD).
pub const FDS_PER_MESSAGE: usize = 200;
/// The name of the upgrade socket in a handover.
pub const UPGRADE: &str = "upgrade";
/// How long the new process may take from receiving the sockets to ready.
const READY_WITHIN: Duration = Duration::from_secs(120);
/// How long each step of the conversation itself may take.
const STEP_WITHIN: Duration = Duration::from_secs(10);
/// Bound on one JSON message.
const MAX_MESSAGE: usize = 1 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    weir_handover: u32,
    sockets: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Ready {
    ready: bool,
}

/// Sockets received from the previous process, by name (`http`, `https`,
/// `admin`, `service:NAME`, `upgrade`); [`Incoming::ready`] tells it to go.
pub struct Incoming {
    conn: UnixStream,
    pub sockets: Vec<(String, OwnedFd)>,
}

impl Incoming {
    /// Take the socket named `name`.
    pub fn take(&mut self, name: &str) -> Option<OwnedFd> {
        let i = self.sockets.iter().position(|(n, _)| n == name)?;
        Some(self.sockets.swap_remove(i).1)
    }

    /// Tell the previous process that this one accepts on every socket, so
    /// it can stop accepting and drain.
    pub async fn ready(mut self) -> anyhow::Result<()> {
        write_json(&mut self.conn, &Ready { ready: true })
            .await
            .context("cannot tell the previous process that this one is ready")
    }
}

/// Ask the process listening on `path` for its sockets. `None` when nobody
/// answers there (no file, or a file left by a process that is gone, which
/// is removed): the caller binds fresh sockets.
pub async fn take_over(path: &Path) -> anyhow::Result<Option<Incoming>> {
    let conn = match UnixStream::connect(path).await {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing an upgrade socket nobody listens on");
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
            return Ok(None);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot connect to {}", path.display()));
        }
    };
    let incoming = tokio::time::timeout(STEP_WITHIN, receive(conn))
        .await
        .context("the running process did not hand over its sockets in time")??;
    Ok(Some(incoming))
}

async fn receive(mut conn: UnixStream) -> anyhow::Result<Incoming> {
    let header: Header = read_json(&mut conn)
        .await
        .context("handover: no header from the running process")?;
    anyhow::ensure!(
        header.weir_handover == 1,
        "handover: the running process speaks version {}, this one 1",
        header.weir_handover
    );
    let mut received = Vec::with_capacity(header.sockets.len());
    while received.len() < header.sockets.len() {
        let fds = recv_fds(&conn).await?;
        anyhow::ensure!(
            !fds.is_empty(),
            "handover: the old process sent no descriptors"
        );
        received.extend(fds);
    }
    anyhow::ensure!(
        received.len() == header.sockets.len(),
        "handover: {} descriptors for {} sockets",
        received.len(),
        header.sockets.len()
    );
    Ok(Incoming {
        conn,
        sockets: header.sockets.into_iter().zip(received).collect(),
    })
}

/// The running process's side: listens on the upgrade socket and hands the
/// sockets to the first process that asks.
pub struct UpgradeServer {
    listener: UnixListener,
    path: PathBuf,
}

impl UpgradeServer {
    /// Listen on `path` (a fresh socket, mode 0600), or on the upgrade
    /// socket inherited from the previous process.
    pub fn listen(path: &Path, inherited: Option<OwnedFd>) -> anyhow::Result<Self> {
        let listener = match inherited {
            Some(fd) => {
                let std = std::os::unix::net::UnixListener::from(fd);
                std.set_nonblocking(true)?;
                UnixListener::from_std(std)?
            }
            None => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                let listener = UnixListener::bind(path)
                    .with_context(|| format!("cannot listen on {}", path.display()))?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                listener
            }
        };
        Ok(Self {
            listener,
            path: path.to_owned(),
        })
    }

    /// Wait for a new process, hand it `sockets()` plus the upgrade socket,
    /// and return once it is ready. A failed attempt is logged and the next
    /// one awaited; this process keeps serving meanwhile.
    pub async fn serve<F, Fut>(self, mut sockets: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Vec<(String, OwnedFd)>>,
    {
        loop {
            let conn = match self.listener.accept().await {
                Ok((c, _)) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "upgrade socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if let Err(e) = same_user(&conn) {
                tracing::warn!(error = %format!("{e:#}"), "upgrade socket: refusing a peer");
                continue;
            }
            let mut list = sockets().await;
            match self.listener.as_fd().try_clone_to_owned() {
                Ok(fd) => list.push((UPGRADE.to_owned(), fd)),
                Err(e) => {
                    tracing::warn!(error = %e, "upgrade socket: cannot hand it over; the new process binds it anew")
                }
            }
            tracing::info!(
                sockets = list.len(),
                path = %self.path.display(),
                "a new process asks for the listening sockets; handing them over"
            );
            match hand_over(conn, list).await {
                Ok(()) => {
                    tracing::info!("the new process is ready; this one stops accepting and drains");
                    return;
                }
                Err(e) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "upgrade failed; this process keeps serving"
                ),
            }
        }
    }
}

async fn hand_over(mut conn: UnixStream, sockets: Vec<(String, OwnedFd)>) -> anyhow::Result<()> {
    let header = Header {
        weir_handover: 1,
        sockets: sockets.iter().map(|(n, _)| n.clone()).collect(),
    };
    let fds: Vec<&OwnedFd> = sockets.iter().map(|(_, fd)| fd).collect();
    let step = async {
        write_json(&mut conn, &header).await?;
        for chunk in fds.chunks(FDS_PER_MESSAGE) {
            send_fds(&conn, chunk).await?;
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(STEP_WITHIN, step)
        .await
        .context("sending the sockets timed out")??;
    let ready: Ready = tokio::time::timeout(READY_WITHIN, read_json(&mut conn))
        .await
        .context("the new process did not get ready in time")?
        .context("the new process went away before it was ready")?;
    anyhow::ensure!(ready.ready, "the new process is not ready");
    Ok(())
}

/// Refuse a peer that runs as another user (root may upgrade anything).
fn same_user(conn: &UnixStream) -> anyhow::Result<()> {
    let peer = conn.peer_cred()?;
    let me = rustix::process::geteuid().as_raw();
    anyhow::ensure!(
        peer.uid() == me || peer.uid() == 0,
        "peer pid {:?} runs as uid {}, this process as {me}",
        peer.pid(),
        peer.uid()
    );
    Ok(())
}

/// A length-prefixed JSON message (no descriptors).
async fn write_json<T: Serialize>(conn: &mut UnixStream, msg: &T) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(msg)?;
    conn.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
    conn.write_all(&bytes).await?;
    Ok(())
}

/// Reads exactly one message: never past it, so descriptors sent after it
/// stay for [`recv_fds`] (a plain read would discard them).
async fn read_json<T: for<'de> Deserialize<'de>>(conn: &mut UnixStream) -> anyhow::Result<T> {
    let mut len = [0u8; 4];
    conn.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    anyhow::ensure!(len <= MAX_MESSAGE, "handover: a {len}-byte message");
    let mut buf = vec![0u8; len];
    conn.read_exact(&mut buf).await?;
    Ok(serde_json::from_slice(&buf)?)
}

/// One byte carrying `fds`.
async fn send_fds(conn: &UnixStream, fds: &[&OwnedFd]) -> io::Result<()> {
    let borrowed: Vec<_> = fds.iter().map(|fd| fd.as_fd()).collect();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(borrowed.len()))];
    conn.async_io(Interest::WRITABLE, || {
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
            return Err(io::Error::other("descriptor buffer too small"));
        }
        rustix::net::sendmsg(
            conn,
            &[IoSlice::new(b"F")],
            &mut control,
            SendFlags::NOSIGNAL,
        )
        .map_err(io::Error::from)
    })
    .await
    .map(|_| ())
}

/// Read one byte and the descriptors that came with it.
async fn recv_fds(conn: &UnixStream) -> io::Result<Vec<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(FDS_PER_MESSAGE))];
    conn.async_io(Interest::READABLE, || {
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = rustix::net::recvmsg(
            conn,
            &mut [IoSliceMut::new(&mut byte)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        )
        .map_err(io::Error::from)?;
        if got.bytes == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if got.flags.contains(rustix::net::ReturnFlags::CTRUNC) {
            return Err(io::Error::other("handover: descriptors were cut off"));
        }
        let mut fds = Vec::new();
        for msg in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = msg {
                fds.extend(rights);
            }
        }
        Ok(fds)
    })
    .await
}

/// A handed-over descriptor as a TCP listener, or an error naming it.
pub fn tcp_listener(name: &str, fd: OwnedFd) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::from(fd);
    listener
        .local_addr()
        .with_context(|| format!("handover: {name} is not a listening TCP socket"))?;
    Ok(listener)
}

/// Tell systemd (`Type=notify`, `NotifyAccess=all`) that this process is
/// ready and is now the service's main process; after an upgrade that moves
/// the service from the old process to the new one. Nothing without
/// `NOTIFY_SOCKET`.
pub fn notify_systemd() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = (|| {
        let addr = match target.as_bytes().strip_prefix(b"@") {
            Some(name) => SocketAddr::from_abstract_name(name)?,
            None => SocketAddr::from_pathname(&target)?,
        };
        let msg = format!("READY=1\nMAINPID={}\n", std::process::id());
        UnixDatagram::unbound()?.send_to_addr(msg.as_bytes(), &addr)
    })();
    if let Err(e) = sent {
        tracing::warn!(error = %e, "cannot notify systemd (NOTIFY_SOCKET)");
    }
}
