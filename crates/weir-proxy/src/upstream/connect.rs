//! Opening connections to a node: TCP (with a timeout), then TLS when the
//! upstream asks for it, then the HTTP/1.1 or HTTP/2 handshake.

use std::io;
use std::time::Duration;

use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use weir_core::compile::NodeAddr;

use super::body::RequestBody;
use super::io::UpstreamIo;
use super::resilience::Slot;
use super::tls::UpstreamTlsClient;

/// Why a connection could not be opened. Nothing of the request has been
/// sent, so any request may be retried on another node.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("connect to {addr} timed out after {after:?}")]
    Timeout { addr: String, after: Duration },
    /// The node's host name (or SRV name) did not resolve.
    #[error("resolve {addr} failed: {source}")]
    Resolve { addr: String, source: io::Error },
    #[error("connect to {addr} failed: {source}")]
    Io { addr: String, source: io::Error },
    #[error("TLS handshake with {addr} failed: {source}")]
    Tls { addr: String, source: io::Error },
    #[error("HTTP handshake with {addr} failed: {source}")]
    Handshake { addr: String, source: hyper::Error },
}

/// TCP (and TLS) to `addr`, all within `timeout`. `sni` names the host for
/// TLS when `addr` is an address resolved from a DNS name.
pub(crate) async fn connect_io(
    addr: &NodeAddr,
    sni: Option<&str>,
    timeout: Duration,
    tls: Option<&UpstreamTlsClient>,
) -> Result<UpstreamIo, ConnectError> {
    let work = async {
        let stream = tcp_connect(addr).await?;
        // Small request/response exchanges must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let Some(tls) = tls else {
            return Ok(UpstreamIo::Plain(stream));
        };
        let name = tls
            .server_name_for(addr, sni)
            .ok_or_else(|| ConnectError::Tls {
                addr: addr.to_string(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "no valid TLS server name"),
            })?;
        let stream = tls
            .connector()
            .connect(name, stream)
            .await
            .map_err(|source| ConnectError::Tls {
                addr: addr.to_string(),
                source,
            })?;
        Ok(UpstreamIo::Tls(Box::new(stream)))
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(ConnectError::Timeout {
            addr: addr.to_string(),
            after: timeout,
        }),
    }
}

/// An HTTP/1.1 connection to `addr`. `held` (a circuit breaker's count of
/// open connections) lives as long as the connection does.
pub(crate) async fn connect_http1(
    addr: &NodeAddr,
    sni: Option<&str>,
    timeout: Duration,
    tls: Option<&UpstreamTlsClient>,
    held: Option<Slot>,
) -> Result<http1::SendRequest<RequestBody>, ConnectError> {
    let io = connect_io(addr, sni, timeout, tls).await?;
    let (sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(io))
        .await
        .map_err(|source| ConnectError::Handshake {
            addr: addr.to_string(),
            source,
        })?;
    tokio::spawn(async move {
        let _held = held;
        // Upgrades (WebSocket) keep the IO alive after the HTTP exchange.
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    Ok(sender)
}

/// An HTTP/2 connection to `addr`; `held` as for [`connect_http1`].
pub(crate) async fn connect_http2(
    addr: &NodeAddr,
    sni: Option<&str>,
    timeout: Duration,
    tls: Option<&UpstreamTlsClient>,
    held: Option<Slot>,
) -> Result<http2::SendRequest<RequestBody>, ConnectError> {
    let io = connect_io(addr, sni, timeout, tls).await?;
    let (sender, conn) = http2::Builder::new(TokioExecutor::new())
        .timer(hyper_util::rt::TokioTimer::new())
        // Large gRPC messages: let windows grow with the bandwidth-delay
        // product instead of the 64 KiB default.
        .adaptive_window(true)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .handshake(TokioIo::new(io))
        .await
        .map_err(|source| ConnectError::Handshake {
            addr: addr.to_string(),
            source,
        })?;
    tokio::spawn(async move {
        let _held = held;
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream HTTP/2 connection ended with an error");
        }
    });
    Ok(sender)
}

pub(crate) async fn tcp_connect(addr: &NodeAddr) -> Result<TcpStream, ConnectError> {
    let io_error = |source| ConnectError::Io {
        addr: addr.to_string(),
        source,
    };
    let resolve_error = |source| ConnectError::Resolve {
        addr: addr.to_string(),
        source,
    };
    match addr {
        NodeAddr::Ip(sa) => TcpStream::connect(sa).await.map_err(io_error),
        NodeAddr::Host { host, port } => {
            // Resolved apart from connecting (as `TcpStream::connect` would
            // do in one step) so that a name that does not resolve is told
            // from a node that does not answer.
            let addrs = tokio::net::lookup_host((host.as_str(), *port))
                .await
                .map_err(resolve_error)?;
            let mut last = None;
            for a in addrs {
                match TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(match last {
                Some(e) => io_error(e),
                None => resolve_error(io::Error::new(
                    io::ErrorKind::NotFound,
                    "the name has no addresses",
                )),
            })
        }
        NodeAddr::Srv { name } => Err(resolve_error(io::Error::new(
            io::ErrorKind::NotFound,
            format!("SRV name {name} has not been resolved yet"),
        ))),
    }
}
