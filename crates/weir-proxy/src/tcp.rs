//! TCP services: each accepted connection is checked against the service's
//! IP rules, connection rate limits and `max_connections`, joined to a node
//! picked by the balancer (one retry on another node when connecting
//! fails), and carried byte for byte with half-close and an idle timeout.
//!
//! TCP services are bounded by their own `limits.max_connections` and
//! connection rate limits, not by `proxy.max_connections`: a database
//! tunnel's long-lived connections must not take places from HTTP clients,
//! nor the other way round. Accept errors back off as on the HTTP listeners.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderMap;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use weir_core::compile::UpstreamProtocol;

use crate::DataPlane;
use crate::access_log::AccessRecord;
use crate::conn::AcceptBackoff;
use crate::http::ProxyError;
use crate::pipeline::pick;
use crate::pipeline::route::{self, Routed};
use crate::policy::{self, PolicyInputs};
use crate::stats::Rejection;
use crate::upstream::{NodeError, UpstreamIo, connect_io};

/// Accept until `stop` turns true, then let open connections finish for
/// up to `drain` before closing them.
pub(crate) async fn serve_tcp(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    service: Arc<str>,
    mut stop: watch::Receiver<bool>,
    closed: tokio::sync::oneshot::Sender<()>,
    drain: Duration,
) {
    let mut conns = JoinSet::new();
    let mut backoff = AcceptBackoff::default();
    loop {
        // The watch guard is not Send: drop it inside the branch future.
        let mut stopped = std::pin::pin!(async { stop.wait_for(|s| *s).await.map(|_| ()) });
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff.succeeded();
                    let plane = Arc::clone(&plane);
                    let service = Arc::clone(&service);
                    conns.spawn(async move { handle(&plane, &service, stream, peer).await });
                }
                Err(e) => {
                    let pause = backoff.failed(&e, &service);
                    tokio::select! {
                        _ = &mut stopped => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            },
        }
        // Reap finished connections so the set does not grow.
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closed.send(());
    let drained =
        tokio::time::timeout(drain, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::info!(%service, open = conns.len(), "closing TCP connections after the drain grace period");
        conns.abort_all();
    }
}

async fn handle(plane: &DataPlane, name: &str, client: TcpStream, peer: SocketAddr) {
    let started = Instant::now();
    let snap = plane.snapshot();
    // A service removed or disabled since the accept: its listener closes.
    let Ok(routed) = route::by_name(&snap, name) else {
        return;
    };
    let ip = peer.ip().to_canonical();
    let finish = |answer: Result<Joined, ProxyError>| {
        record(plane, routed, ip, started, answer);
    };
    let inputs = PolicyInputs::new(plane, &snap, routed);
    if let Err(refusal) = policy::admit_connection(&inputs, ip) {
        return finish(Err(ProxyError::Refused(refusal)));
    }
    let max = routed.svc.spec.limits.max_connections;
    let Some(_slot) = routed.rt.limiters.try_open(max) else {
        return finish(Err(ProxyError::TooManyConnections {
            service: name.to_owned(),
        }));
    };
    let (upstream, node) = match connect(routed, ip).await {
        Ok(c) => c,
        Err(e) => return finish(Err(e)),
    };
    let _ = client.set_nodelay(true);
    let idle = routed.rt.upstream.spec.stream_idle_timeout;
    let bytes = match crate::tunnel::join(client, upstream, idle).await {
        Ok(s) => (s.up, s.down),
        Err(e) => {
            tracing::debug!(service = %name, error = %e, "TCP connection ended with an error");
            (0, 0)
        }
    };
    finish(Ok(Joined { node, bytes }));
}

/// A connection carried to a node: which, and the bytes each way.
struct Joined {
    node: String,
    bytes: (u64, u64),
}

/// The pick phase and the connect, with one retry on another node when
/// connecting fails.
async fn connect(routed: Routed<'_>, ip: IpAddr) -> Result<(UpstreamIo, String), ProxyError> {
    let up = &*routed.rt.upstream;
    debug_assert_eq!(up.spec.protocol, UpstreamProtocol::Tcp);
    let hash = pick::request_hash(&up.spec, ip, None, &HeaderMap::new());
    let members = up.members();
    let now = crate::clock::mono_nanos();
    let mut tried = None;
    let mut last_error = None;
    for _ in 0..2 {
        let Some(pick) = pick::pick(up, &members, hash, now, tried.as_slice()) else {
            break;
        };
        let member = &members.list[pick.index];
        let sni = member.sni.as_deref();
        match connect_io(&member.addr, sni, up.spec.connect_timeout, None).await {
            Ok(io) => {
                up.record_outcome(member, None);
                return Ok((io, member.addr.to_string()));
            }
            Err(e) => {
                tracing::debug!(service = %routed.svc.name, node = %member.addr, error = %e, "TCP connect failed");
                up.record_outcome(member, Some(&NodeError::connect(&e)));
                tried = Some(pick.index);
                last_error = Some(ProxyError::Connect(e));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ProxyError::NoNode {
        service: routed.svc.name.to_string(),
    }))
}

/// One connection is one request in the statistics; its bytes go beside
/// it, so TCP services can show connections and bytes. A connection carried
/// to its end counts as 200; a refused one by its error's status.
fn record(
    plane: &DataPlane,
    routed: Routed<'_>,
    ip: IpAddr,
    started: Instant,
    answer: Result<Joined, ProxyError>,
) {
    let (status, rejection, node, (bytes_in, bytes_out)) = match answer {
        Ok(j) => (200, None, Some(j.node), j.bytes),
        Err(e) => (e.status().as_u16(), Some(e.rejection()), None, (0, 0)),
    };
    let (svc, rt) = (routed.svc, routed.rt);
    let elapsed = started.elapsed();
    plane.stats.gateway().record(status, elapsed, rejection);
    rt.stats.record(status, elapsed, rejection);
    plane.stats.gateway().record_bytes(bytes_in, bytes_out);
    rt.stats.record_bytes(bytes_in, bytes_out);
    let bytes = bytes_in + bytes_out;
    if let Some(log) = &plane.options.access_log {
        log.write(&AccessRecord {
            ts: jiff::Timestamp::now().to_string(),
            request_id: "",
            client_ip: ip.to_string(),
            method: "CONNECT",
            host: "",
            path: "",
            protocol: "TCP",
            status,
            service: Some(&svc.name),
            tenant: None,
            node,
            bytes,
            duration_ms: elapsed.as_secs_f64() * 1000.0,
            rejection: rejection.map(Rejection::as_str),
        });
    }
}
