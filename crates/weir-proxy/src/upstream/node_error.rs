//! Why a node failed — a request to it or an active check — as a code with
//! the node's address and other parameters, for the health report's
//! `last_error` (see [`crate::text`]). The kind comes from the error's type
//! and `io::ErrorKind`, never from its text; the full cause (OS error text,
//! certificate details) stays in the log line that reports the failure.

use std::error::Error as _;
use std::fmt::Display;
use std::io;
use std::time::Duration;

use crate::text::coded_texts;

use super::ConnectError;

coded_texts! {
    /// A node's failure, in a form the dashboard can translate.
    pub enum NodeError {
        // Opening a connection.
        ConnectRefused { addr } = "connect_refused" => "connect to {addr} failed: connection refused",
        ConnectTimeout { addr, after_ms } = "connect_timeout"
            => "connect to {addr} timed out after {after_ms} ms",
        ConnectReset { addr } = "connect_reset" => "connect to {addr} failed: connection reset",
        Unreachable { addr } = "unreachable"
            => "connect to {addr} failed: network or host unreachable",
        /// The node's host name (or SRV name) did not resolve.
        Dns { addr } = "dns" => "could not resolve {addr}",
        /// Any other connect failure; `cause` is the system's text.
        ConnectFailed { addr, cause } = "connect_failed" => "connect to {addr} failed: {cause}",
        TlsCertificate { addr } = "tls_certificate"
            => "TLS handshake with {addr} failed: the node's certificate was not accepted",
        Tls { addr } = "tls" => "TLS handshake with {addr} failed",
        HttpHandshake { addr } = "http_handshake" => "HTTP handshake with {addr} failed",

        // The exchange.
        ResponseTimeout { addr, after_ms } = "response_timeout"
            => "{addr} sent no response headers within {after_ms} ms",
        Reset { addr } = "reset" => "{addr} reset the connection",
        Closed { addr } = "closed"
            => "{addr} closed the connection before the response was complete",
        BadResponse { addr } = "bad_response" => "{addr} sent an invalid HTTP response",
        Timeout { addr } = "timeout" => "the exchange with {addr} timed out",
        /// Any other failed exchange; `cause` is the HTTP library's text.
        UpstreamFailed { addr, cause } = "upstream_failed" => "request to {addr} failed: {cause}",
        /// A status passive health counts as a failure (502–504 by default).
        FailureStatus { addr, status } = "failure_status"
            => "{addr} answered with status {status}",

        // Active health checks.
        CheckTimeout { addr, after_ms } = "check_timeout"
            => "health check of {addr}: no answer within {after_ms} ms",
        CheckStatus { addr, status, path } = "check_status"
            => "health check of {addr}: status {status} from {path}",
        CheckGrpcStatus { addr, status } = "check_grpc_status"
            => "health check of {addr}: grpc-status {status}",
        CheckNotServing { addr } = "check_not_serving"
            => "health check of {addr}: the service is NOT_SERVING",
    }
}

impl NodeError {
    /// A connection to the node could not be opened.
    pub fn connect(e: &ConnectError) -> Self {
        match e {
            ConnectError::Timeout { addr, after } => NodeError::ConnectTimeout {
                addr: addr.clone(),
                after_ms: millis(*after),
            },
            ConnectError::Resolve { addr, .. } => NodeError::Dns { addr: addr.clone() },
            ConnectError::Io { addr, source } => {
                let addr = addr.clone();
                match source.kind() {
                    io::ErrorKind::ConnectionRefused => NodeError::ConnectRefused { addr },
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                        NodeError::ConnectReset { addr }
                    }
                    io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                        NodeError::Unreachable { addr }
                    }
                    _ => NodeError::ConnectFailed {
                        addr,
                        cause: source.to_string(),
                    },
                }
            }
            ConnectError::Tls { addr, source } => {
                let addr = addr.clone();
                let rustls_error = source
                    .get_ref()
                    .and_then(|e| e.downcast_ref::<rustls::Error>());
                match rustls_error {
                    Some(
                        rustls::Error::InvalidCertificate(_)
                        | rustls::Error::InvalidCertRevocationList(_),
                    ) => NodeError::TlsCertificate { addr },
                    _ => NodeError::Tls { addr },
                }
            }
            ConnectError::Handshake { addr, .. } => NodeError::HttpHandshake { addr: addr.clone() },
        }
    }

    /// An exchange with the node at `addr` failed after it was connected.
    pub fn exchange(e: &hyper::Error, addr: &impl Display) -> Self {
        let addr = addr.to_string();
        if is_reset(e) {
            NodeError::Reset { addr }
        } else if e.is_timeout() {
            NodeError::Timeout { addr }
        } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
            NodeError::Closed { addr }
        } else if e.is_parse() || e.is_parse_status() {
            NodeError::BadResponse { addr }
        } else {
            NodeError::UpstreamFailed {
                addr,
                cause: e.to_string(),
            }
        }
    }

    /// The node sent no response headers within `after`.
    pub fn response_timeout(after: Duration, addr: &impl Display) -> Self {
        NodeError::ResponseTimeout {
            addr: addr.to_string(),
            after_ms: millis(after),
        }
    }
}

/// Whether the connection was reset or the HTTP/2 stream refused or reset
/// by the node, somewhere in `e`'s chain of causes.
fn is_reset(e: &hyper::Error) -> bool {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>()
            && matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        if let Some(h2) = c.downcast_ref::<h2::Error>()
            && (h2.is_reset() || h2.is_go_away())
        {
            return true;
        }
        cause = c.source();
    }
    false
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_connect(kind: io::ErrorKind) -> NodeError {
        NodeError::connect(&ConnectError::Io {
            addr: "10.0.0.1:80".into(),
            source: io::Error::from(kind),
        })
    }

    #[test]
    fn connect_failures_are_classified_by_kind_with_the_address() {
        let e = io_connect(io::ErrorKind::ConnectionRefused);
        assert_eq!(e.code(), "connect_refused");
        assert_eq!(e.params()["addr"], "10.0.0.1:80");
        assert_eq!(
            e.to_string(),
            "connect to 10.0.0.1:80 failed: connection refused"
        );
        assert_eq!(
            io_connect(io::ErrorKind::ConnectionReset).code(),
            "connect_reset"
        );
        assert_eq!(
            io_connect(io::ErrorKind::HostUnreachable).code(),
            "unreachable"
        );
        let other = io_connect(io::ErrorKind::PermissionDenied);
        assert_eq!(other.code(), "connect_failed");
        assert!(other.params().contains_key("cause"));

        let timeout = NodeError::connect(&ConnectError::Timeout {
            addr: "10.0.0.1:80".into(),
            after: Duration::from_millis(1500),
        });
        assert_eq!(timeout.code(), "connect_timeout");
        assert_eq!(timeout.params()["after_ms"], "1500");
        let dns = NodeError::connect(&ConnectError::Resolve {
            addr: "api.internal:80".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        });
        assert_eq!(dns.code(), "dns");
        assert_eq!(dns.params()["addr"], "api.internal:80");
    }

    #[test]
    fn tls_certificate_refusals_are_told_apart() {
        let tls = |source: io::Error| {
            NodeError::connect(&ConnectError::Tls {
                addr: "10.0.0.1:443".into(),
                source,
            })
        };
        let bad_cert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(tls(bad_cert).code(), "tls_certificate");
        let other = io::Error::new(io::ErrorKind::InvalidInput, "no valid TLS server name");
        assert_eq!(tls(other).code(), "tls");
    }

    #[test]
    fn serialises_as_code_params_and_message() {
        let e = NodeError::FailureStatus {
            addr: "10.0.0.1:80".into(),
            status: "503".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "code": "failure_status",
                "params": {"addr": "10.0.0.1:80", "status": "503"},
                "message": "10.0.0.1:80 answered with status 503",
            })
        );
    }
}
