//! The process's own health endpoints (`listen.health`) and the client that
//! probes them (`weir probe URL`).
//!
//! A `weir proxy` process has no admin listener, and its data-plane port
//! answers whatever the configured services answer, so an orchestrator has
//! nothing honest to probe there. The health listener answers, in every
//! role:
//!
//! - `GET /healthz`: `200 ok` while the process runs (liveness);
//! - `GET /readyz`: `200 ready` once the process has started — the store
//!   opened, the first configuration installed, every listener bound — and
//!   `503 draining` from the moment it stops accepting (readiness);
//! - `GET /metrics`: the data plane's Prometheus metrics (as on the admin
//!   listener), in the roles that run one: a fleet of `weir proxy`
//!   processes is scraped here.
//!
//! Readiness does not follow the store: a proxy that loses its store keeps
//! serving the configuration it has, which is what it should do, so it stays
//! ready (taking it out of rotation would turn a store outage into a
//! traffic outage). Its `/readyz` body says so, though: `ready; the store is
//! unreachable; serving the cached configuration` (started from
//! `store.cache`) or `…; serving the configuration in use`. Nothing else is served here, so the port can be exposed to a
//! kubelet, a load balancer or a scraper without exposing the admin API.
//!
//! Container images ship no curl; [`probe`] is the small HTTP client behind
//! `weir probe`, used by the Docker `HEALTHCHECK`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::StoreState;

/// Connections served at once; further ones are closed at accept. Probes
/// are rare and tiny, so a small bound is plenty and keeps a flood cheap.
const MAX_CONNECTIONS: usize = 64;

/// Time for a probe's request head to arrive.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serve `/healthz` and `/readyz` on `listener` until `stop_accepting`
/// resolves. `stopped` turns true when the process stops accepting traffic:
/// `/readyz` answers 503 from then on, while `/healthz` stays 200 during the
/// drain (a liveness failure then would only cut the drain short).
pub async fn serve_health(
    listener: TcpListener,
    stopped: watch::Receiver<bool>,
    store: Arc<StoreState>,
    stop_accepting: impl Future<Output = ()>,
    metrics: Option<Arc<crate::DataPlane>>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop_accepting);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and the like: do not spin on a failing accept.
                    tracing::warn!(error = %e, "health listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop_accepting => return,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            continue;
        };
        let stopped = stopped.clone();
        let store = Arc::clone(&store);
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let answer = match (req.method(), req.uri().path(), &metrics) {
                    (&http::Method::GET, "/metrics", Some(plane)) => metrics_answer(plane),
                    _ => {
                        let ready = (!*stopped.borrow()).then(|| store.readiness_note());
                        answer(&req, ready)
                    }
                };
                async move { Ok::<_, Infallible>(answer) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            let _ = conn.await;
            drop(permit);
        });
    }
}

/// `/metrics`: the Prometheus text exposition.
fn metrics_answer(plane: &crate::DataPlane) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(crate::metrics::render(plane))));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The answer to one probe request; `ready` is `None` once stopping,
/// else what to add to `ready`.
fn answer<B>(req: &Request<B>, ready: Option<Option<&str>>) -> Response<Full<Bytes>> {
    let (status, text) = match (req.method(), req.uri().path()) {
        (&http::Method::GET | &http::Method::HEAD, "/healthz") => {
            (StatusCode::OK, "ok\n".to_owned())
        }
        (&http::Method::GET | &http::Method::HEAD, "/readyz") => match ready {
            Some(None) => (StatusCode::OK, "ready\n".to_owned()),
            Some(Some(note)) => (StatusCode::OK, format!("ready; {note}\n")),
            None => (StatusCode::SERVICE_UNAVAILABLE, "draining\n".to_owned()),
        },
        (_, "/healthz" | "/readyz") => (StatusCode::METHOD_NOT_ALLOWED, "GET only\n".to_owned()),
        _ => (
            StatusCode::NOT_FOUND,
            "not found: /healthz, /readyz or (with a data plane) /metrics\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Why a probe failed before it got a status.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Url(String),
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP error: {0}")]
    Http(#[from] hyper::Error),
    #[error("{0}")]
    Request(#[from] http::Error),
}

/// `GET url` over plain HTTP/1.1 and return the response status; the whole
/// exchange, connect included, must finish within `timeout`. Only `http://`
/// URLs: the health endpoints are plain HTTP on a private port.
pub async fn probe(url: &str, timeout: Duration) -> Result<StatusCode, ProbeError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| ProbeError::Url(format!("{url:?} is not a URL: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(ProbeError::Url(format!(
            "{url:?}: only http:// URLs can be probed"
        )));
    }
    let Some(authority) = uri.authority().cloned() else {
        return Err(ProbeError::Url(format!("{url:?} has no host")));
    };
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let exchange = async {
        let addr = format!("{host}:{port}");
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|source| ProbeError::Connect { addr, source })?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let conn = tokio::spawn(conn);
        let request = Request::get(path)
            .header(http::header::HOST, authority.as_str())
            .header(http::header::USER_AGENT, "weir-probe")
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        // Read the (small) body so the exchange completes cleanly.
        let _ = response.into_body().collect().await;
        conn.abort();
        Ok::<_, ProbeError>(status)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| ProbeError::Timeout(timeout))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn start() -> (
        std::net::SocketAddr,
        watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve_health(
            listener,
            stopped,
            Arc::new(StoreState::default()),
            std::future::pending(),
            None,
        ));
        (addr, stop, task)
    }

    #[tokio::test]
    async fn ready_until_stopped_alive_throughout() {
        let (addr, stop, task) = start().await;
        let t = Duration::from_secs(5);
        let url = |p: &str| format!("http://{addr}{p}");
        assert_eq!(probe(&url("/healthz"), t).await.unwrap(), StatusCode::OK);
        assert_eq!(probe(&url("/readyz"), t).await.unwrap(), StatusCode::OK);
        assert_eq!(
            probe(&url("/other"), t).await.unwrap(),
            StatusCode::NOT_FOUND
        );
        stop.send(true).unwrap();
        assert_eq!(
            probe(&url("/readyz"), t).await.unwrap(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(probe(&url("/healthz"), t).await.unwrap(), StatusCode::OK);
        task.abort();
    }

    #[tokio::test]
    async fn probe_refuses_what_it_cannot_ask() {
        let t = Duration::from_secs(1);
        assert!(matches!(
            probe("https://127.0.0.1:1/healthz", t).await,
            Err(ProbeError::Url(_))
        ));
        assert!(matches!(
            probe("not a url", t).await,
            Err(ProbeError::Url(_))
        ));
    }

    #[tokio::test]
    async fn probe_gives_up_on_a_silent_peer() {
        // Accepts (the kernel's backlog) but never answers.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let r = probe(
            &format!("http://{addr}/healthz"),
            Duration::from_millis(200),
        )
        .await;
        assert!(matches!(r, Err(ProbeError::Timeout(_))), "{r:?}");
    }
}
