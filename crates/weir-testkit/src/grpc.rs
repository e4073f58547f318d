//! The gRPC test peer: `weir.test.v1.Echo` (all four call types, see
//! `proto/weir_test.proto`) and the standard `grpc.health.v1.Health`
//! service, served over real HTTP/2: h2c ([`GrpcServer::start`]) or TLS
//! with ALPN `h2` ([`GrpcServer::start_tls`]).
//!
//! Behaviour, steered by request fields so tests need no setup:
//! - every reply carries `node` (the server's name) and `metadata`: the
//!   request metadata as received (all headers, including `te`,
//!   `grpc-timeout` and `-bin` values in their base64 wire form, repeated
//!   values joined with `", "`), plus `:path` and `:authority`;
//! - `delay_ms` sleeps before each reply, for deadline tests. The server
//!   deliberately ignores `grpc-timeout`, so a DEADLINE_EXCEEDED a test sees
//!   comes from the gateway or the client, not from this server;
//! - `fail_code != 0` ends the call with that status, message
//!   `"weir test failure: <message>"` and trailing metadata
//!   `x-trailer-detail: requested failure <code>`. Unary fails trailers-only
//!   (one HEADERS frame); streams fail after their replies, in a real
//!   trailers frame;
//! - [`GrpcServer::fail_next_unary`] makes the next unary calls fail with
//!   a status, trailers-only, whatever they ask (retry tests);
//! - every response's trailing metadata carries `x-served-by: <node>`
//!   (added to the trailers frame, or to the headers of a trailers-only
//!   response), so trailer pass-through can be asserted on success too.
//!
//! Dropping a [`GrpcServer`] closes its listener and every connection.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::codegen::Service;
use tonic::metadata::MetadataMap;
use tonic::service::Routes;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request, Response, Status, Streaming};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::tls::{ALPN_H2, IssuedCert, install_crypto_provider, server_config};
use crate::{ConnCounter, Running};

/// Code generated from `proto/weir_test.proto`.
#[allow(clippy::all, clippy::pedantic, unreachable_pub, missing_docs)]
pub mod pb {
    tonic::include_proto!("weir.test.v1");
}

pub use pb::echo_client::EchoClient;
pub use pb::echo_server::{Echo, EchoServer};
pub use pb::{EchoReply, EchoRequest};
pub use tonic_health::pb::health_check_response::ServingStatus as HealthStatus;
pub use tonic_health::pb::health_client::HealthClient;
pub use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// Fully qualified name of the echo service, as used in paths
/// (`/weir.test.v1.Echo/Unary`) and health checks.
pub const ECHO_SERVICE: &str = "weir.test.v1.Echo";

/// Trailing metadata key carrying the node name on every response.
pub const SERVED_BY: &str = "x-served-by";
/// Trailing metadata key added to requested failures.
pub const TRAILER_DETAIL: &str = "x-trailer-detail";

/// A running gRPC test server.
pub struct GrpcServer {
    pub addr: SocketAddr,
    pub name: String,
    /// Whether it serves TLS (ALPN h2) rather than h2c.
    pub tls: bool,
    health: HealthReporter,
    conns: Arc<ConnCounter>,
    calls: Arc<AtomicU64>,
    fail_next: Arc<FailNext>,
    running: Running,
}

/// Unary calls still to fail, and with which status code.
#[derive(Default)]
struct FailNext {
    left: AtomicU64,
    code: std::sync::atomic::AtomicI32,
}

impl GrpcServer {
    /// Start an h2c (plaintext HTTP/2) server that reports `name` as its node.
    pub async fn start(name: &str) -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), name, None).await
    }

    /// Start a TLS server presenting `cert`, ALPN `h2` only.
    pub async fn start_tls(name: &str, cert: &IssuedCert) -> Self {
        Self::serve(
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            name,
            Some(cert),
        )
        .await
    }

    /// Serve on an already bound listener (e.g. to restart on a known
    /// port), with TLS when `cert` is given.
    pub async fn serve(listener: TcpListener, name: &str, cert: Option<&IssuedCert>) -> Self {
        let addr = listener.local_addr().unwrap();
        let tls = cert.map(|c| TlsAcceptor::from(server_config(c, &[ALPN_H2])));
        let calls = Arc::new(AtomicU64::new(0));
        let fail_next = Arc::new(FailNext::default());
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_service_status("", ServingStatus::Serving).await;
        health
            .set_service_status(ECHO_SERVICE, ServingStatus::Serving)
            .await;
        let echo = EchoServer::new(EchoService {
            node: name.into(),
            calls: Arc::clone(&calls),
            fail_next: Arc::clone(&fail_next),
        })
        // Large-message tests: lift tonic's 4 MiB default decode limit.
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
        let routes = Routes::new(echo).add_service(health_service).prepare();
        let node = HeaderValue::from_str(name).unwrap();
        let conns = Arc::new(ConnCounter::default());
        let shutdown = CancellationToken::new();
        let accept = {
            let conns = Arc::clone(&conns);
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let guard = conns.enter();
                    let shutdown = shutdown.clone();
                    let routes = routes.clone();
                    let node = node.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        let _guard = guard;
                        tokio::select! {
                            () = shutdown.cancelled() => {}
                            () = serve_conn(stream, tls, routes, node) => {}
                        }
                    });
                }
            })
        };
        Self {
            addr,
            name: name.to_owned(),
            tls: cert.is_some(),
            health,
            conns,
            calls,
            fail_next,
            running: Running::new(accept, shutdown),
        }
    }

    /// Fail the next `n` unary calls with `code`, trailers-only (one
    /// HEADERS frame), whatever they ask.
    pub fn fail_next_unary(&self, n: u64, code: Code) {
        self.fail_next.code.store(code as i32, Ordering::Relaxed);
        self.fail_next.left.store(n, Ordering::Relaxed);
    }

    /// Set the health of the whole server (`""`) and of
    /// `weir.test.v1.Echo` to SERVING or NOT_SERVING. Echo calls keep
    /// working either way: only the health answer changes.
    pub async fn set_serving(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.health.set_service_status("", status).await;
        self.health.set_service_status(ECHO_SERVICE, status).await;
    }

    /// The health reporter, for finer control (other service names).
    pub fn health_reporter(&self) -> &HealthReporter {
        &self.health
    }

    /// Echo calls started so far (health checks not counted).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.conns.open()
    }

    /// Connections accepted so far.
    pub fn total_connections(&self) -> u64 {
        self.conns.total()
    }

    /// Wait until exactly `n` connections are open; false on timeout.
    pub async fn wait_open_connections(&self, n: usize, timeout: Duration) -> bool {
        self.conns.wait_open(n, timeout).await
    }

    /// Stop accepting; open connections keep serving until dropped.
    pub fn stop(&self) {
        self.running.stop_accepting();
    }
}

/// The `:path` and `:authority` of a request, handed from the HTTP layer to
/// the handlers through request extensions.
#[derive(Clone, Debug)]
struct Target {
    path: String,
    authority: Option<String>,
}

async fn serve_conn(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    routes: Routes,
    node: HeaderValue,
) {
    let _ = stream.set_nodelay(true);
    let svc = service_fn(move |mut req: http::Request<Incoming>| {
        let target = Target {
            path: req.uri().path().to_owned(),
            authority: req.uri().authority().map(|a| a.as_str().to_owned()),
        };
        req.extensions_mut().insert(target);
        let mut routes = routes.clone();
        let node = node.clone();
        async move {
            let Ok(res) = routes.call(req).await;
            let (mut parts, body) = res.into_parts();
            if parts.headers.contains_key("grpc-status") {
                // Trailers-only response: its headers are the trailers.
                parts.headers.insert(SERVED_BY, node);
                Ok::<_, Infallible>(http::Response::from_parts(
                    parts,
                    WithTrailer {
                        inner: body,
                        node: None,
                    },
                ))
            } else {
                Ok(http::Response::from_parts(
                    parts,
                    WithTrailer {
                        inner: body,
                        node: Some(node),
                    },
                ))
            }
        }
    });
    let builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    let _ = match tls {
        None => builder.serve_connection(TokioIo::new(stream), svc).await,
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(s) => builder.serve_connection(TokioIo::new(s), svc).await,
            Err(_) => return,
        },
    };
}

/// A response body that adds `x-served-by` to the trailers frame.
struct WithTrailer {
    inner: tonic::body::Body,
    node: Option<HeaderValue>,
}

impl Body for WithTrailer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) if frame.is_trailers() => {
                let mut trailers: HeaderMap = frame.into_trailers().unwrap_or_default();
                if let Some(node) = self.node.take() {
                    trailers.insert(HeaderName::from_static(SERVED_BY), node);
                }
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

struct EchoService {
    node: Arc<str>,
    calls: Arc<AtomicU64>,
    fail_next: Arc<FailNext>,
}

impl EchoService {
    fn started(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn reply(
        &self,
        metadata: &HashMap<String, String>,
        index: u32,
        req: &EchoRequest,
    ) -> EchoReply {
        EchoReply {
            message: req.message.clone(),
            index,
            payload: req.payload.clone(),
            node: self.node.to_string(),
            metadata: metadata.clone(),
        }
    }
}

/// The request metadata a handler saw, plus `:path` and `:authority`.
fn received_metadata<T>(req: &Request<T>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    let headers = req.metadata().clone().into_headers();
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    if let Some(target) = req.extensions().get::<Target>() {
        out.insert(":path".into(), target.path.clone());
        if let Some(a) = &target.authority {
            out.insert(":authority".into(), a.clone());
        }
    }
    out
}

/// The status a request asks for with `fail_code`, if any.
fn requested_failure(req: &EchoRequest) -> Option<Status> {
    if req.fail_code == 0 {
        return None;
    }
    let code = Code::from(req.fail_code as i32);
    let mut md = MetadataMap::new();
    md.insert(
        TRAILER_DETAIL,
        format!("requested failure {}", req.fail_code)
            .parse()
            .unwrap(),
    );
    Some(Status::with_metadata(
        code,
        format!("weir test failure: {}", req.message),
        md,
    ))
}

async fn delay(req: &EchoRequest) {
    if req.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(u64::from(req.delay_ms))).await;
    }
}

type ReplyStream = ReceiverStream<Result<EchoReply, Status>>;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn unary(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, Status> {
        self.started();
        let failing = self
            .fail_next
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            let code = Code::from(self.fail_next.code.load(Ordering::Relaxed));
            return Err(Status::new(code, "weir test failure: failing on request"));
        }
        let md = received_metadata(&request);
        let req = request.into_inner();
        delay(&req).await;
        if let Some(status) = requested_failure(&req) {
            return Err(status);
        }
        Ok(Response::new(self.reply(&md, 0, &req)))
    }

    type ServerStreamStream = ReplyStream;

    async fn server_stream(
        &self,
        request: Request<EchoRequest>,
    ) -> Result<Response<Self::ServerStreamStream>, Status> {
        self.started();
        let md = received_metadata(&request);
        let req = request.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let replies: Vec<EchoReply> = (0..req.count).map(|i| self.reply(&md, i, &req)).collect();
        tokio::spawn(async move {
            for reply in replies {
                delay(&req).await;
                if tx.send(Ok(reply)).await.is_err() {
                    return; // client went away
                }
            }
            if let Some(status) = requested_failure(&req) {
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn client_stream(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<EchoReply>, Status> {
        self.started();
        let md = received_metadata(&request);
        let mut stream = request.into_inner();
        let mut message = String::new();
        let mut payload = Vec::new();
        let mut count = 0u32;
        let mut failure = None;
        while let Some(req) = stream.message().await? {
            delay(&req).await;
            message.push_str(&req.message);
            payload.extend_from_slice(&req.payload);
            count += 1;
            if failure.is_none() {
                failure = requested_failure(&req);
            }
        }
        if let Some(status) = failure {
            return Err(status);
        }
        Ok(Response::new(EchoReply {
            message,
            index: count,
            payload,
            node: self.node.to_string(),
            metadata: md,
        }))
    }

    type BidiStream = ReplyStream;

    async fn bidi(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<Self::BidiStream>, Status> {
        self.started();
        let md = received_metadata(&request);
        let mut stream = request.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let node = Arc::clone(&self.node);
        tokio::spawn(async move {
            let mut index = 0u32;
            loop {
                let req = match stream.message().await {
                    Ok(Some(req)) => req,
                    Ok(None) => return,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                };
                delay(&req).await;
                if let Some(status) = requested_failure(&req) {
                    let _ = tx.send(Err(status)).await;
                    return;
                }
                let reply = EchoReply {
                    message: req.message,
                    index,
                    payload: req.payload,
                    node: node.to_string(),
                    metadata: md.clone(),
                };
                if tx.send(Ok(reply)).await.is_err() {
                    return;
                }
                index += 1;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// An h2c channel to `addr` (`http://<addr>`), connected now.
pub async fn channel(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await
}

/// An h2c channel to `addr` whose requests carry `:authority: <authority>`
/// (for host-based routing at the gateway).
pub async fn channel_with_authority(
    addr: SocketAddr,
    authority: &str,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .origin(format!("http://{authority}").parse().unwrap())
        .connect()
        .await
}

/// A TLS channel to `addr` that trusts only `ca_pem`, sends `server_name`
/// as SNI, verifies the certificate against it, offers ALPN `h2` and uses
/// `<server_name>:<port>` as `:authority`.
pub async fn tls_channel(
    addr: SocketAddr,
    ca_pem: &str,
    server_name: &str,
) -> Result<Channel, tonic::transport::Error> {
    install_crypto_provider();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name(server_name);
    Endpoint::from_shared(format!("https://{addr}"))?
        .origin(
            format!("https://{server_name}:{}", addr.port())
                .parse()
                .unwrap(),
        )
        .tls_config(tls)?
        .connect()
        .await
}

/// An echo client on `channel` with tonic's 4 MiB message limits lifted,
/// for large-message tests.
pub fn echo_client(channel: Channel) -> EchoClient<Channel> {
    EchoClient::new(channel)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
}

/// Ask `grpc.health.v1.Health/Check` on `channel` about `service` (`""`
/// for the whole server).
pub async fn health_check(channel: Channel, service: &str) -> Result<HealthStatus, Status> {
    let res = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(res.into_inner().status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::TestCa;
    use futures_util::StreamExt;

    fn req(message: &str) -> EchoRequest {
        EchoRequest {
            message: message.to_owned(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn unary_metadata_and_trailers() {
        let server = GrpcServer::start("g1").await;
        let mut client = echo_client(channel(server.addr).await.unwrap());
        let mut request = Request::new(EchoRequest {
            message: "hi".into(),
            payload: vec![7u8; 5 << 20], // above tonic's 4 MiB default
            ..Default::default()
        });
        request
            .metadata_mut()
            .insert("x-test-tag", "blue".parse().unwrap());
        request.metadata_mut().insert_bin(
            "x-raw-bin",
            tonic::metadata::MetadataValue::from_bytes(b"\x00\x01"),
        );
        let res = client.unary(request).await.unwrap();
        // Custom trailing metadata arrives (tonic merges trailers into the
        // response metadata for unary calls).
        assert_eq!(res.metadata().get(SERVED_BY).unwrap(), "g1");
        let reply = res.into_inner();
        assert_eq!(reply.message, "hi");
        assert_eq!(reply.node, "g1");
        assert_eq!(reply.payload.len(), 5 << 20);
        assert_eq!(reply.metadata["x-test-tag"], "blue");
        assert_eq!(reply.metadata["x-raw-bin"], "AAE");
        assert_eq!(reply.metadata["te"], "trailers");
        assert_eq!(reply.metadata[":path"], "/weir.test.v1.Echo/Unary");
        assert_eq!(reply.metadata[":authority"], server.addr.to_string());
        assert_eq!(server.calls(), 1);

        // :authority follows the channel's origin.
        let mut client = echo_client(
            channel_with_authority(server.addr, "api.example.com")
                .await
                .unwrap(),
        );
        let reply = client.unary(req("x")).await.unwrap().into_inner();
        assert_eq!(reply.metadata[":authority"], "api.example.com");
    }

    #[tokio::test]
    async fn error_status_with_trailing_metadata() {
        let server = GrpcServer::start("g2").await;
        let mut client = echo_client(channel(server.addr).await.unwrap());
        let status = client
            .unary(EchoRequest {
                message: "boom".into(),
                fail_code: Code::PermissionDenied as u32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "weir test failure: boom");
        assert_eq!(
            status.metadata().get(TRAILER_DETAIL).unwrap(),
            "requested failure 7"
        );
        assert_eq!(status.metadata().get(SERVED_BY).unwrap(), "g2");

        // A stream fails after its replies, in real trailers.
        let mut stream = client
            .server_stream(EchoRequest {
                message: "s".into(),
                count: 2,
                fail_code: Code::ResourceExhausted as u32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stream.message().await.unwrap().unwrap().index, 0);
        assert_eq!(stream.message().await.unwrap().unwrap().index, 1);
        let status = stream.message().await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(
            status.metadata().get(TRAILER_DETAIL).unwrap(),
            "requested failure 8"
        );
        assert_eq!(status.metadata().get(SERVED_BY).unwrap(), "g2");
    }

    #[tokio::test]
    async fn streaming_calls() {
        let server = GrpcServer::start("g3").await;
        let mut client = echo_client(channel(server.addr).await.unwrap());

        // Server streaming: `count` replies, then trailers.
        let mut stream = client
            .server_stream(EchoRequest {
                message: "tick".into(),
                count: 5,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut indexes = Vec::new();
        while let Some(r) = stream.message().await.unwrap() {
            assert_eq!(r.message, "tick");
            assert_eq!(r.node, "g3");
            indexes.push(r.index);
        }
        assert_eq!(indexes, vec![0, 1, 2, 3, 4]);
        let trailers = stream.trailers().await.unwrap().unwrap();
        assert_eq!(trailers.get(SERVED_BY).unwrap(), "g3");

        // Client streaming: concatenated, counted.
        let parts = tokio_stream::iter(["a", "b", "c"].map(req));
        let reply = client.client_stream(parts).await.unwrap().into_inner();
        assert_eq!(reply.message, "abc");
        assert_eq!(reply.index, 3);

        // Bidirectional: one reply per request, interleaved.
        let (tx, rx) = mpsc::channel(4);
        let mut replies = client
            .bidi(ReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        for i in 0..3u32 {
            tx.send(req(&format!("m{i}"))).await.unwrap();
            let r = replies.message().await.unwrap().unwrap();
            assert_eq!(r.message, format!("m{i}"));
            assert_eq!(r.index, i);
        }
        drop(tx);
        assert!(replies.message().await.unwrap().is_none());
        assert_eq!(server.calls(), 3);
    }

    #[tokio::test]
    async fn deadline_from_client() {
        let server = GrpcServer::start("g4").await;
        let mut client = echo_client(channel(server.addr).await.unwrap());
        let mut request = Request::new(EchoRequest {
            delay_ms: 2_000,
            ..Default::default()
        });
        request.set_timeout(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let status = client.unary(request).await.unwrap_err();
        // The server ignores grpc-timeout; tonic's client enforces it.
        assert!(
            matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
            "{status:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(1_500));
    }

    #[tokio::test]
    async fn health_and_drop() {
        let server = GrpcServer::start("g5").await;
        let ch = channel(server.addr).await.unwrap();
        assert_eq!(
            health_check(ch.clone(), "").await.unwrap(),
            HealthStatus::Serving
        );
        assert_eq!(
            health_check(ch.clone(), ECHO_SERVICE).await.unwrap(),
            HealthStatus::Serving
        );
        server.set_serving(false).await;
        assert_eq!(
            health_check(ch.clone(), "").await.unwrap(),
            HealthStatus::NotServing
        );
        assert_eq!(
            health_check(ch.clone(), ECHO_SERVICE).await.unwrap(),
            HealthStatus::NotServing
        );
        let unknown = health_check(ch.clone(), "no.such.Service")
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);
        server.set_serving(true).await;
        assert_eq!(
            health_check(ch.clone(), "").await.unwrap(),
            HealthStatus::Serving
        );
        assert_eq!(server.calls(), 0);
        assert!(
            server
                .wait_open_connections(1, Duration::from_secs(2))
                .await
        );

        // Dropping the server ends the pooled connection too.
        drop(server);
        // Depending on whether the client noticed the close first, the next
        // call fails as a transport error (Unknown) or Unavailable; once
        // the client has seen it, reconnecting is refused: Unavailable.
        let mut client = echo_client(ch);
        assert!(client.unary(req("gone")).await.is_err());
        let status = client.unary(req("gone")).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }

    #[tokio::test]
    async fn tls_server_with_sni_and_alpn_h2() {
        let ca = TestCa::new("grpc ca");
        let cert = ca.issue_valid(&["grpc.example.com"]);
        let server = GrpcServer::start_tls("gt", &cert).await;
        assert!(server.tls);

        let info = crate::tls::tls_probe(
            server.addr,
            "grpc.example.com",
            crate::tls::client_config(ca.cert_pem(), &[ALPN_H2]),
        )
        .await
        .unwrap();
        assert!(info.is(&cert));
        assert_eq!(info.alpn_str(), "h2");

        let ch = tls_channel(server.addr, ca.cert_pem(), "grpc.example.com")
            .await
            .unwrap();
        let mut client = echo_client(ch);
        let reply = client.unary(req("secure")).await.unwrap().into_inner();
        assert_eq!(reply.node, "gt");
        assert_eq!(
            reply.metadata[":authority"],
            format!("grpc.example.com:{}", server.addr.port())
        );
        let mut bidi = client
            .bidi(tokio_stream::iter(vec![req("1"), req("2")]))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<String> = (&mut bidi).map(|r| r.unwrap().message).collect().await;
        assert_eq!(got, vec!["1", "2"]);

        // Wrong name: the handshake fails.
        assert!(
            tls_channel(server.addr, ca.cert_pem(), "other.example.com")
                .await
                .is_err()
        );
    }
}
