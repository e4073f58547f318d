//! HTTP listeners: accept TCP connections and serve HTTP/1.1 and HTTP/2 on
//! the same port — cleartext (h2c by prior knowledge) or TLS (ALPN `h2` /
//! `http/1.1`, certificate chosen by SNI from the live snapshot) — until
//! shutdown, then drain open connections for a grace period.
//!
//! The same loop serves a gRPC service's own port, where every request goes
//! to that one service.
//!
//! Every connection is admitted against the connection caps first (refused
//! ones are closed at once), then lives under the deadlines of
//! [`crate::conn::life`]; accept errors back off ([`crate::conn::backoff`]).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsAcceptor;

use super::handler::{ConnCtx, HeadLimits, handle};
use crate::DataPlane;
use crate::conn::{AcceptOptions, Activity, ConnTimeout, Ending, TrackedBody, accept_loop, drive};
use crate::pipeline::rewrite::{Scheme, peer_ip_value};

/// Settings of an HTTP listener.
#[derive(Debug, Clone)]
pub struct HttpListenerOptions {
    /// Time from accept to a complete first request head: TLS handshake,
    /// protocol detection and the HTTP/2 preface included. Also the time a
    /// keep-alive HTTP/1.1 client has for each later request head.
    pub header_read_timeout: Duration,
    /// A connection with no request open for this long is closed.
    pub idle_timeout: Duration,
    /// Largest request head accepted (bytes): the request line (HTTP/2:
    /// method, authority and path) and every header field.
    pub max_header_bytes: usize,
    /// Most header fields in one request head.
    pub max_headers: usize,
    /// Concurrent HTTP/2 streams per connection.
    pub h2_max_concurrent_streams: u32,
    /// How long open connections may finish after shutdown begins.
    pub shutdown_grace: Duration,
}

impl Default for HttpListenerOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            h2_max_concurrent_streams: 256,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// HTTP/2 keep-alive: a PING this often on every connection, and a peer
/// that does not answer within the timeout is gone (its streams fail and
/// the connection closes) — so a vanished client never pins a stream.
const H2_PING_INTERVAL: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);

/// hyper refuses a read buffer below 8 KiB; smaller head limits are
/// enforced on the parsed head (`handler::check_head`).
const H1_MIN_BUF: usize = 8192;

/// How far past the configured head limits the parsers read. The
/// configured limits are applied to the parsed head by the handler, which
/// answers 431 and counts it like any refusal; the parsers' own bounds sit
/// this many times higher, so only a grossly oversized head is refused by
/// the parser itself (also 431, but before a request exists to count).
const PARSER_HEADROOM: usize = 2;

/// Serve plain HTTP (HTTP/1.1 and h2c) until `shutdown` resolves.
pub async fn serve_http(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    opts: HttpListenerOptions,
    shutdown: impl Future<Output = ()>,
) {
    serve(listener, plane, opts, shutdown, None, None).await;
}

/// Serve HTTPS until `shutdown` resolves. Certificates come from the
/// current snapshot at each handshake, so adding or replacing one applies to
/// new connections at once and leaves open ones alone.
pub async fn serve_https(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    opts: HttpListenerOptions,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls_acceptor(&plane);
    serve(listener, plane, opts, shutdown, Some(acceptor), None).await;
}

/// Serve one service's own port (gRPC services): every request goes to
/// `service`, without routing.
pub async fn serve_service(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    service: Arc<str>,
    opts: HttpListenerOptions,
    shutdown: impl Future<Output = ()>,
) {
    serve(listener, plane, opts, shutdown, None, Some(service)).await;
}

fn tls_acceptor(plane: &Arc<DataPlane>) -> TlsAcceptor {
    let resolver = Arc::new(SnapshotCerts(Arc::clone(plane)));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // The safe defaults are TLS 1.2 and 1.3 with the provider's suites;
    // building them cannot fail for the built-in provider.
    let builder = match rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b,
        Err(_) => rustls::ServerConfig::builder(),
    };
    let mut config = builder.with_no_client_auth().with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Certificates by SNI from whatever snapshot is current.
#[derive(Debug)]
struct SnapshotCerts(Arc<DataPlane>);

impl ResolvesServerCert for SnapshotCerts {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let found = self.0.snapshot().config.certs.resolve(hello.server_name());
        if found.is_none() {
            tracing::debug!(sni = ?hello.server_name(), "no certificate for this name");
        }
        found
    }
}

fn builder(opts: &HttpListenerOptions) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout)
        .max_buf_size((PARSER_HEADROOM * opts.max_header_bytes).max(H1_MIN_BUF))
        .max_headers(PARSER_HEADROOM * opts.max_headers);
    // HPACK counts 32 bytes per field on top of name and value: allow that
    // much, and let the parsed-head check apply the limit itself, the same
    // way on both protocols.
    let h2_list = PARSER_HEADROOM * (opts.max_header_bytes + 32 * opts.max_headers);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(opts.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(h2_list).unwrap_or(u32::MAX))
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT)
        .adaptive_window(true);
    builder
}

async fn serve(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    opts: HttpListenerOptions,
    shutdown: impl Future<Output = ()>,
    tls: Option<TlsAcceptor>,
    fixed: Option<Arc<str>>,
) {
    let builder = Arc::new(builder(&opts));
    let scheme = if tls.is_some() {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let accept = AcceptOptions {
        name: fixed.as_deref().map_or(scheme.as_str(), |_| "grpc"),
        header_read_timeout: opts.header_read_timeout,
        shutdown_grace: opts.shutdown_grace,
    };
    let gate = Arc::clone(&plane.connections);
    let trusted = |ip| plane.options.trusted_proxies.contains(ip);
    accept_loop(listener, accept, &gate, |ip| !trusted(ip), shutdown, |a| {
        let peer = a.peer;
        let conn = Conn {
            ctx: Arc::new(ConnCtx {
                plane: Arc::clone(&plane),
                peer,
                peer_ip: peer_ip_value(peer.ip()),
                scheme,
                fixed: fixed.clone(),
                head_limits: HeadLimits {
                    max_bytes: opts.max_header_bytes,
                    max_fields: opts.max_headers,
                },
            }),
            builder: Arc::clone(&builder),
            opts: opts.clone(),
            deadline: a.deadline,
            stop: a.stop,
        };
        let (tls, stream) = (tls.clone(), a.stream);
        tokio::spawn(async move {
            match tls {
                None => conn.serve(stream).await,
                Some(acceptor) => match timeout_at(conn.deadline, acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => conn.serve(tls_stream).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => {
                        conn.ctx.plane.connections.timed_out(ConnTimeout::Head);
                        tracing::debug!(%peer, "TLS handshake not finished within header_read_timeout");
                    }
                },
            }
        });
    })
    .await;
}

/// One admitted connection, ready to serve HTTP.
struct Conn {
    ctx: Arc<ConnCtx>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    opts: HttpListenerOptions,
    /// The head deadline, counted from accept.
    deadline: Instant,
    stop: watch::Receiver<bool>,
}

impl Conn {
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Activity::new();
        let ctx = Arc::clone(&self.ctx);
        let tracked = Arc::clone(&activity);
        let service = service_fn(move |req| {
            let guard = tracked.start_request();
            let ctx = Arc::clone(&ctx);
            async move {
                let res = handle(&ctx, req).await;
                Ok::<_, Infallible>(res.map(|body| TrackedBody::new(body, guard)))
            }
        });
        let conn = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(io), service);
        let peer = self.ctx.peer;
        let gate = &self.ctx.plane.connections;
        match drive(
            conn,
            &activity,
            self.deadline,
            self.opts.idle_timeout,
            self.stop,
        )
        .await
        {
            Ending::HeadTimeout => {
                gate.timed_out(ConnTimeout::Head);
                tracing::debug!(%peer, "no request within header_read_timeout; connection closed");
            }
            Ending::Closed { result, idle } => {
                if idle {
                    gate.timed_out(ConnTimeout::Idle);
                    tracing::debug!(%peer, "connection idle for idle_timeout; closed");
                }
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "client connection ended with an error");
                }
            }
        }
    }
}
