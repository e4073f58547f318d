//! The accept loop every HTTP-speaking listener of the process shares (the
//! data plane's HTTP, HTTPS and gRPC ports, and the admin listener): accept,
//! backing off when `accept` fails; admit through a [`ConnGate`], closing a
//! refused socket at once and logging refusals at most once per 10 s; hand
//! each admitted socket to the listener with its head deadline; at shutdown
//! stop accepting, tell open connections to finish, and wait for them up to
//! a grace period.
//!
//! What a listener does with a connection (TLS, HTTP, which router) is its
//! own business: the loop calls `serve` for each one, which spawns.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{AcceptBackoff, Admitted, ConnGate, LogLimiter};

/// How often a listener may log that it refused connections.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The settings of one accept loop.
#[derive(Debug, Clone, Copy)]
pub struct AcceptOptions {
    /// The listener's name in logs: `http`, `https`, `grpc`, `admin`.
    pub name: &'static str,
    /// Time from accept to a complete first request head.
    pub header_read_timeout: Duration,
    /// How long open connections may take to finish after shutdown.
    pub shutdown_grace: Duration,
}

/// One admitted connection, handed to the listener.
pub struct Accepted {
    /// The socket, holding its place under the caps until it closes.
    pub stream: Admitted<TcpStream>,
    pub peer: SocketAddr,
    /// The head deadline, counted from accept.
    pub deadline: Instant,
    /// Turns true when the listener shuts down: finish and close.
    pub stop: watch::Receiver<bool>,
}

/// Accept on `listener` until `shutdown` resolves, then drain. `per_ip`
/// says whether a peer counts against the per-address cap (trusted proxies
/// carry many clients and do not).
pub async fn accept_loop(
    listener: TcpListener,
    opts: AcceptOptions,
    gate: &Arc<ConnGate>,
    per_ip: impl Fn(IpAddr) -> bool,
    shutdown: impl Future<Output = ()>,
    mut serve: impl FnMut(Accepted),
) {
    let (stop, stopped) = watch::channel(false);
    let mut backoff = AcceptBackoff::default();
    let mut refusals = LogLimiter::new(REFUSAL_LOG_INTERVAL);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    backoff.succeeded();
                    a
                }
                Err(e) => {
                    let pause = backoff.failed(&e, opts.name);
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(pause) => continue,
                    }
                }
            },
        };
        // Refused connections are dropped here, before TLS or HTTP.
        let permit = match gate.admit(peer.ip(), per_ip(peer.ip())) {
            Ok(p) => p,
            Err(why) => {
                if let Some(suppressed) = refusals.allow(Instant::now()) {
                    tracing::warn!(listener = opts.name, %peer, reason = why.as_str(), suppressed, "connection refused: cap reached");
                }
                continue;
            }
        };
        let deadline = Instant::now() + opts.header_read_timeout;
        // Small answers go out at once rather than waiting for Nagle.
        let _ = stream.set_nodelay(true);
        serve(Accepted {
            stream: Admitted::new(stream, permit),
            peer,
            deadline,
            stop: stopped.clone(),
        });
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(true);
    if tokio::time::timeout(opts.shutdown_grace, stop.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            listener = opts.name,
            grace = ?opts.shutdown_grace,
            "connections still open after the shutdown grace period; closing them"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{ConnLimits, ConnRefusal};

    fn opts() -> AcceptOptions {
        AcceptOptions {
            name: "test",
            header_read_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn admits_up_to_the_cap_then_drains_at_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gate = Arc::new(ConnGate::new(ConnLimits {
            max_total: 1,
            max_per_ip: 1,
            ..ConnLimits::default()
        }));
        let (accepted_tx, mut accepted_rx) = tokio::sync::mpsc::unbounded_channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let loop_gate = Arc::clone(&gate);
        let task = tokio::spawn(async move {
            accept_loop(
                listener,
                opts(),
                &loop_gate,
                |_| true,
                async {
                    let _ = shutdown_rx.await;
                },
                move |a| {
                    let _ = accepted_tx.send(a);
                },
            )
            .await;
        });
        let _first = TcpStream::connect(addr).await.unwrap();
        let mut held = accepted_rx.recv().await.unwrap();
        assert!(held.deadline > Instant::now());
        // The second is over the cap: closed by the gateway, never handed on.
        let mut second = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 1];
        let read = tokio::io::AsyncReadExt::read(&mut second, &mut buf).await;
        assert!(matches!(read, Ok(0) | Err(_)), "refused socket is closed");
        assert_eq!(gate.refused(ConnRefusal::Total), 1);
        assert!(accepted_rx.try_recv().is_err());
        // Shutdown: the held connection is told to stop; the loop ends once
        // it lets go of its stop receiver.
        shutdown_tx.send(()).unwrap();
        held.stop.changed().await.unwrap();
        assert!(*held.stop.borrow());
        drop(held);
        task.await.unwrap();
    }
}
