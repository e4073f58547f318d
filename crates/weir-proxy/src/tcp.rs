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

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use weir_core::compile::{CompiledService, UpstreamProtocol};
use weir_core::{Balance, HashKey};

use crate::DataPlane;
use crate::access_log::AccessRecord;
use crate::balance::hash_key;
use crate::conn::AcceptBackoff;
use crate::policy::limit::LimitScope;
use crate::snapshot::ServiceRuntime;
use crate::stats::Rejection;
use crate::upstream::{NodeError, connect_io};

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
    let Some(index) = snap
        .config
        .services
        .binary_search_by(|s| (*s.name).cmp(name))
        .ok()
        .filter(|&i| snap.config.services[i].spec.enabled)
    else {
        return;
    };
    let svc = &snap.config.services[index];
    let rt = &snap.services[index];
    let ip = peer.ip().to_canonical();
    let finish =
        |status: u16, rejection: Option<Rejection>, node: Option<String>, bytes: (u64, u64)| {
            record(plane, svc, rt, ip, started, status, rejection, node, bytes);
        };

    if svc.access.check_ip(ip).is_err() {
        return finish(403, Some(Rejection::IpRefused), None, (0, 0));
    }
    let now = crate::clock::mono_nanos();
    let backend = &*plane.options.limits;
    if let Some(rate) = svc.limits.service {
        let scope = LimitScope::Service {
            service: name,
            cell: &rt.limiters.service,
        };
        if !backend.acquire(scope, rate, now).allowed {
            return finish(429, Some(Rejection::ServiceRateLimited), None, (0, 0));
        }
    }
    if let Some(rate) = svc.limits.client_ip {
        let scope = LimitScope::ClientIp {
            service: name,
            ip: rt.limiters.client_key(ip),
            table: &rt.limiters.client_ip,
        };
        if !backend.acquire(scope, rate, now).allowed {
            return finish(429, Some(Rejection::ClientIpRateLimited), None, (0, 0));
        }
    }
    let Some(_slot) = rt.limiters.try_open(svc.spec.limits.max_connections) else {
        return finish(429, Some(Rejection::ConnectionLimit), None, (0, 0));
    };

    let up = &*rt.upstream;
    debug_assert_eq!(up.spec.protocol, UpstreamProtocol::Tcp);
    let hash =
        if up.spec.balance == Balance::ConsistentHash && up.spec.hash_key == HashKey::ClientIp {
            match ip {
                IpAddr::V4(a) => hash_key(&a.octets()),
                IpAddr::V6(a) => hash_key(&a.octets()),
            }
        } else {
            0
        };
    let members = up.members();
    let now = crate::clock::mono_nanos();
    let usable = |i: usize| members.list[i].usable(now);
    let enabled = |i: usize| members.list[i].enabled;
    let mut tried = None;
    let mut connected = None;
    for _ in 0..2 {
        let pick = match members.balancer.pick(hash, usable, tried) {
            Some(p) => Some(p),
            None if up.spec.fail_open => members.balancer.pick(hash, enabled, tried),
            None => None,
        };
        let Some(pick) = pick else {
            break;
        };
        let member = &members.list[pick.index];
        match connect_io(
            &member.addr,
            member.sni.as_deref(),
            up.spec.connect_timeout,
            None,
        )
        .await
        {
            Ok(io) => {
                up.record_outcome(member, None);
                connected = Some((io, pick));
                break;
            }
            Err(e) => {
                tracing::debug!(service = %name, node = %member.addr, error = %e, "TCP connect failed");
                up.record_outcome(member, Some(&NodeError::connect(&e)));
                tried = Some(pick.index);
            }
        }
    }
    let Some((upstream, pick)) = connected else {
        let rejection = if tried.is_some() {
            Rejection::UpstreamConnect
        } else {
            Rejection::NoAvailableNode
        };
        return finish(
            if tried.is_some() { 502 } else { 503 },
            Some(rejection),
            None,
            (0, 0),
        );
    };
    let node = members.list[pick.index].addr.to_string();
    let _ = client.set_nodelay(true);
    match crate::tunnel::join(client, upstream, up.spec.stream_idle_timeout).await {
        Ok(s) => finish(200, None, Some(node), (s.up, s.down)),
        Err(e) => {
            tracing::debug!(service = %name, error = %e, "TCP connection ended with an error");
            finish(200, None, Some(node), (0, 0));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    plane: &DataPlane,
    svc: &CompiledService,
    rt: &ServiceRuntime,
    ip: IpAddr,
    started: Instant,
    status: u16,
    rejection: Option<Rejection>,
    node: Option<String>,
    (bytes_in, bytes_out): (u64, u64),
) {
    let elapsed = started.elapsed();
    plane.stats.gateway().record(status, elapsed, rejection);
    rt.stats.record(status, elapsed, rejection);
    // One connection is one request in the counts above; its bytes go
    // beside it, so TCP services can show connections and bytes.
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
