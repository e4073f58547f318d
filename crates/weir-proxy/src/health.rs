//! Active health checks: every member of a service is probed each interval
//! (the first round at a random offset, later rounds jittered ±10%, so
//! services do not probe in lockstep), with at most a fixed number of probes
//! in flight across the gateway. A probe is a TCP connect, an HTTP GET
//! expecting a status range, or `grpc.health.v1.Health/Check`. The checker
//! holds its runtime weakly and ends when the runtime is dropped (service
//! removed or its upstream changed).

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, header};
use http_body_util::{BodyExt, Full};
use tokio::sync::Semaphore;
use weir_core::CheckKind;
use weir_core::compile::CompiledHealthCheck;

use crate::upstream::{Member, NodeError, Transition, UpstreamRuntime, connect_io};

/// Probes in flight at once, gateway-wide.
static PROBE_SLOTS: Semaphore = Semaphore::const_new(64);

pub(crate) fn spawn(rt: &Arc<UpstreamRuntime>, hc: CompiledHealthCheck) {
    let weak = Arc::downgrade(rt);
    let task = tokio::spawn(run(weak, hc));
    rt.own_task(task.abort_handle());
}

async fn run(rt: Weak<UpstreamRuntime>, hc: CompiledHealthCheck) {
    tokio::time::sleep(jitter(hc.interval, 0.0, 1.0)).await;
    loop {
        let Some(up) = rt.upgrade() else { return };
        round(&up, &hc).await;
        drop(up);
        tokio::time::sleep(jitter(hc.interval, 0.9, 1.1)).await;
    }
}

/// `base` scaled by a random factor in `[lo, hi)`.
fn jitter(base: Duration, lo: f64, hi: f64) -> Duration {
    let f = lo + rand::random::<f64>() * (hi - lo);
    base.mul_f64(f)
}

/// Probe every enabled member once, concurrently.
pub(crate) async fn round(up: &Arc<UpstreamRuntime>, hc: &CompiledHealthCheck) {
    let members = up.members();
    let mut probes = tokio::task::JoinSet::new();
    for (i, m) in members.list.iter().enumerate() {
        if !m.enabled {
            continue;
        }
        let m = m.clone();
        let hc = hc.clone();
        let tls = up.tls.clone();
        let connect_timeout = up.spec.connect_timeout;
        probes.spawn(async move {
            let _slot = PROBE_SLOTS.acquire().await;
            let result =
                tokio::time::timeout(hc.timeout, probe(&m, &hc, tls.as_ref(), connect_timeout))
                    .await
                    .unwrap_or_else(|_| {
                        Err(NodeError::CheckTimeout {
                            addr: m.addr.to_string(),
                            after_ms: hc.timeout.as_millis().to_string(),
                        })
                    });
            (i, result)
        });
    }
    while let Some(done) = probes.join_next().await {
        let Ok((i, result)) = done else { continue };
        let m = &members.list[i];
        let error = result.as_ref().err().map(ToString::to_string);
        match m.state.record_check(hc, result) {
            Some(Transition::BecameUnhealthy) => {
                up.transitions
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(
                    service = %up.service,
                    node = %m.addr,
                    check = hc.kind.as_str(),
                    error = error.as_deref().unwrap_or(""),
                    "node unhealthy: removed from the pool"
                );
            }
            Some(Transition::BecameHealthy) => {
                up.transitions
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(service = %up.service, node = %m.addr, "node healthy again: back in the pool");
            }
            _ => {}
        }
    }
}

async fn probe(
    m: &Member,
    hc: &CompiledHealthCheck,
    tls: Option<&crate::upstream::UpstreamTlsClient>,
    connect_timeout: Duration,
) -> Result<(), NodeError> {
    let timeout = connect_timeout.min(hc.timeout);
    let exchange = |e: hyper::Error| NodeError::exchange(&e, &m.addr);
    match hc.kind {
        CheckKind::Tcp => connect_io(&m.addr, m.sni.as_deref(), timeout, None)
            .await
            .map(drop)
            .map_err(|e| NodeError::connect(&e)),
        CheckKind::Http => {
            let mut send =
                crate::upstream::connect_http1(&m.addr, m.sni.as_deref(), timeout, tls, None)
                    .await
                    .map_err(|e| NodeError::connect(&e))?;
            let host = hc.host.clone().unwrap_or_else(|| m.addr.to_string());
            let req = Request::get(hc.path.as_str())
                .header(header::HOST, host)
                .header(header::USER_AGENT, "weir-health-check")
                .body(crate::upstream::RequestBody::empty())
                .map_err(|e| unsendable(m, &e))?;
            let res = send.send_request(req).await.map_err(exchange)?;
            let status = res.status().as_u16();
            if hc.accepts(status) {
                Ok(())
            } else {
                Err(NodeError::CheckStatus {
                    addr: m.addr.to_string(),
                    status: status.to_string(),
                    path: hc.path.clone(),
                })
            }
        }
        CheckKind::Grpc => grpc_check(m, hc, tls, timeout).await,
    }
}

/// `grpc.health.v1.Health/Check` with the service name; SERVING passes.
/// The two messages are tiny, so they are encoded by hand: the request is
/// field 1 (string), the response field 1 (enum, SERVING = 1).
async fn grpc_check(
    m: &Member,
    hc: &CompiledHealthCheck,
    tls: Option<&crate::upstream::UpstreamTlsClient>,
    timeout: Duration,
) -> Result<(), NodeError> {
    let exchange = |e: hyper::Error| NodeError::exchange(&e, &m.addr);
    let mut send = crate::upstream::connect_http2(&m.addr, m.sni.as_deref(), timeout, tls, None)
        .await
        .map_err(|e| NodeError::connect(&e))?;
    let name = hc.grpc_service.as_bytes();
    let mut msg = Vec::with_capacity(name.len() + 3);
    if !name.is_empty() {
        msg.push(0x0a);
        push_varint(&mut msg, name.len() as u64);
        msg.extend_from_slice(name);
    }
    let mut frame = Vec::with_capacity(msg.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    frame.extend_from_slice(&msg);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let authority = m
        .sni
        .as_deref()
        .map_or_else(|| m.addr.to_string(), str::to_owned);
    let req = Request::post(format!(
        "{scheme}://{authority}/grpc.health.v1.Health/Check"
    ))
    .header(header::CONTENT_TYPE, "application/grpc")
    .header(header::TE, "trailers")
    .body(Full::new(Bytes::from(frame)))
    .map_err(|e| unsendable(m, &e))?;
    // The shared client type carries the proxy's body type; this one-off
    // connection sends its own.
    let req = req.map(crate::upstream::RequestBody::from_full);
    let res = send.send_request(req).await.map_err(exchange)?;
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.map_err(exchange)?;
    let trailers = body.trailers().cloned().unwrap_or_default();
    let status = trailers
        .get("grpc-status")
        .or_else(|| headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if status != "0" {
        return Err(NodeError::CheckGrpcStatus {
            addr: m.addr.to_string(),
            status: status.into(),
        });
    }
    let data = body.to_bytes();
    // Frame header (5 bytes), then field 1 as a varint: SERVING is 1.
    let serving = data.len() >= 7 && data[5] == 0x08 && data[6] == 0x01;
    if serving {
        Ok(())
    } else {
        Err(NodeError::CheckNotServing {
            addr: m.addr.to_string(),
        })
    }
}

/// The check's request could not be built (a host or path the HTTP
/// library refuses).
fn unsendable(m: &Member, e: &http::Error) -> NodeError {
    NodeError::UpstreamFailed {
        addr: m.addr.to_string(),
        cause: e.to_string(),
    }
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
