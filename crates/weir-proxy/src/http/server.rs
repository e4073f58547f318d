//! HTTP listeners: accept TCP connections and serve HTTP/1.1 and HTTP/2 on
//! the same port — cleartext (h2c by prior knowledge) or TLS (ALPN `h2` /
//! `http/1.1`, certificate chosen by SNI from the live snapshot) — until
//! shutdown, then drain open connections for a grace period.
//!
//! The same loop serves a gRPC service's own port, where every request goes
//! to that one service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::HeaderValue;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::handler::{ConnCtx, handle};
use crate::DataPlane;

/// Settings of an HTTP listener.
#[derive(Debug, Clone)]
pub struct HttpListenerOptions {
    /// Time a client has to send a complete request head (and to finish a
    /// TLS handshake).
    pub header_read_timeout: Duration,
    /// Largest request head accepted (bytes).
    pub max_header_bytes: usize,
    /// Concurrent HTTP/2 streams per connection.
    pub h2_max_concurrent_streams: u32,
    /// How long open connections may finish after shutdown begins.
    pub shutdown_grace: Duration,
}

impl Default for HttpListenerOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            h2_max_concurrent_streams: 256,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

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

async fn serve(
    listener: TcpListener,
    plane: Arc<DataPlane>,
    opts: HttpListenerOptions,
    shutdown: impl Future<Output = ()>,
    tls: Option<TlsAcceptor>,
    fixed: Option<Arc<str>>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout)
        .max_buf_size(opts.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(opts.h2_max_concurrent_streams)
        .max_header_list_size(opts.max_header_bytes as u32)
        .adaptive_window(true);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let proto = if tls.is_some() { "https" } else { "http" };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Usually EMFILE/ENFILE: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let ctx = Arc::new(ConnCtx {
            plane: Arc::clone(&plane),
            peer,
            peer_ip: peer_ip_value(peer),
            proto,
            fixed: fixed.clone(),
        });
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let counted = ConnectionCount::new(&plane);
        let tls = tls.clone();
        let handshake_timeout = opts.header_read_timeout;
        tokio::spawn(async move {
            let _counted = counted;
            match tls {
                None => serve_conn(stream, ctx, &builder, watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_conn(tls_stream, ctx, &builder, watcher).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(opts.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?opts.shutdown_grace,
            "connections still open after the shutdown grace period; closing them"
        );
    }
}

async fn serve_conn<I>(
    io: I,
    ctx: Arc<ConnCtx>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = ctx.peer;
    let service = service_fn(move |req| {
        let ctx = Arc::clone(&ctx);
        async move { Ok::<_, Infallible>(handle(&ctx, req).await) }
    });
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, error = %e, "client connection ended with an error");
    }
}

/// Keeps the open-connection gauge right, however the connection ends.
struct ConnectionCount(Arc<DataPlane>);

impl ConnectionCount {
    fn new(plane: &Arc<DataPlane>) -> Self {
        plane.connections.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(plane))
    }
}

impl Drop for ConnectionCount {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

fn peer_ip_value(peer: SocketAddr) -> HeaderValue {
    // An IP address always formats to valid header characters.
    HeaderValue::from_str(&peer.ip().to_canonical().to_string())
        .unwrap_or(HeaderValue::from_static("unknown"))
}
