//! gRPC over the HTTP data plane: recognising gRPC calls, their deadlines
//! (`grpc-timeout`), the trailers-only responses the gateway sends for its
//! own errors, and ending a stream with DEADLINE_EXCEEDED when its deadline
//! passes mid-call.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::error::ProxyError;
use crate::policy::Refusal;
use crate::upstream::{BodyFault, ConnectError, ResponseBody};

/// gRPC status codes the gateway produces.
pub(crate) mod code {
    pub(crate) const CANCELLED: u16 = 1;
    pub(crate) const INVALID_ARGUMENT: u16 = 3;
    pub(crate) const DEADLINE_EXCEEDED: u16 = 4;
    pub(crate) const PERMISSION_DENIED: u16 = 7;
    pub(crate) const RESOURCE_EXHAUSTED: u16 = 8;
    pub(crate) const UNIMPLEMENTED: u16 = 12;
    pub(crate) const INTERNAL: u16 = 13;
    pub(crate) const UNAVAILABLE: u16 = 14;
    pub(crate) const UNAUTHENTICATED: u16 = 16;
}

/// Whether a request is a gRPC call (`content-type: application/grpc…`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The `grpc-status` in a header map, if any and numeric.
pub(crate) fn status_code(headers: &HeaderMap) -> Option<u32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// `grpc-timeout`: an integer of at most 8 digits and a unit (`H`, `M`,
/// `S`, `m`, `u`, `n`).
pub(crate) fn timeout(headers: &HeaderMap) -> Option<Duration> {
    static GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");
    let v = headers.get(&GRPC_TIMEOUT)?.to_str().ok()?;
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The gRPC status for an error the gateway answers itself.
pub(crate) fn status_of(e: &ProxyError) -> u16 {
    match e {
        ProxyError::NoRoute => code::UNIMPLEMENTED,
        ProxyError::NoNode { .. } | ProxyError::Upstream(_) | ProxyError::CircuitOpen { .. } => {
            code::UNAVAILABLE
        }
        ProxyError::Connect(ConnectError::Timeout { .. }) => code::UNAVAILABLE,
        ProxyError::Connect(_) => code::UNAVAILABLE,
        ProxyError::ResponseTimeout(_) | ProxyError::DeadlineExceeded => code::DEADLINE_EXCEEDED,
        ProxyError::UpgradeNotAllowed { .. } | ProxyError::BadRequest(_) => code::INVALID_ARGUMENT,
        ProxyError::HttpsRequired { .. } => code::PERMISSION_DENIED,
        // What gRPC itself answers when metadata is over a limit.
        ProxyError::HeadTooLarge(_) | ProxyError::TooManyConnections { .. } => {
            code::RESOURCE_EXHAUSTED
        }
        ProxyError::ClientBody(f) => match f {
            BodyFault::Malformed => code::INVALID_ARGUMENT,
            BodyFault::Closed => code::CANCELLED,
            BodyFault::Idle(_) => code::DEADLINE_EXCEEDED,
            BodyFault::TooLarge(_) => code::RESOURCE_EXHAUSTED,
        },
        ProxyError::Internal(_) => code::INTERNAL,
        ProxyError::Refused(r) => match r {
            Refusal::Ip(_) | Refusal::TenantIp { .. } | Refusal::TenantNotAllowed { .. } => {
                code::PERMISSION_DENIED
            }
            Refusal::Auth(_) => code::UNAUTHENTICATED,
            Refusal::RateLimited { .. } | Refusal::Quota { .. } => code::RESOURCE_EXHAUSTED,
        },
    }
}

/// A trailers-only response (HTTP 200, status in the headers), as gRPC
/// requires for errors without a body.
pub(crate) fn error_response(status: u16, message: &str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::default());
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    h.insert("grpc-status", HeaderValue::from(status));
    if let Ok(v) = HeaderValue::from_str(&utf8_percent_encode(message, GRPC_MESSAGE).to_string()) {
        h.insert("grpc-message", v);
    }
    res
}

/// `grpc-message` is percent-encoded: control characters, `%` and (always,
/// in percent-encoding) every non-ASCII byte; space and printable ASCII stay.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

/// A gRPC response body that ends with DEADLINE_EXCEEDED trailers if the
/// call's deadline passes before the upstream finishes. Dropping the
/// upstream body resets the upstream stream, so the server stops too.
#[derive(Debug)]
pub(crate) struct DeadlineBody {
    inner: Option<ResponseBody>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    pub(crate) fn new(inner: ResponseBody, remaining: Duration) -> Self {
        Self {
            inner: Some(inner),
            sleep: Box::pin(tokio::time::sleep(remaining)),
        }
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(frame) = Pin::new(inner).poll_frame(cx) {
            if frame.is_none() {
                self.inner = None;
            }
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.inner = None;
            let mut trailers = HeaderMap::new();
            trailers.insert("grpc-status", HeaderValue::from(code::DEADLINE_EXCEEDED));
            trailers.insert(
                "grpc-message",
                HeaderValue::from_static("deadline exceeded at the gateway"),
            );
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

use std::future::Future as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeout() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert("grpc-timeout", v.parse().unwrap());
            timeout(&m)
        };
        assert_eq!(h("100m"), Some(Duration::from_millis(100)));
        assert_eq!(h("2S"), Some(Duration::from_secs(2)));
        assert_eq!(h("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(h("5u"), Some(Duration::from_micros(5)));
        assert_eq!(h("12345678n"), Some(Duration::from_nanos(12_345_678)));
        assert_eq!(h("123456789S"), None, "at most 8 digits");
        assert_eq!(h("10x"), None);
        assert_eq!(h("m"), None);
    }

    #[test]
    fn errors_are_trailers_only() {
        let r = error_response(code::UNAVAILABLE, "no node: 100% down");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["grpc-status"], "14");
        assert_eq!(r.headers()["grpc-message"], "no node: 100%25 down");
        assert_eq!(r.headers()["content-type"], "application/grpc");
        // Controls and non-ASCII bytes escaped, printable ASCII kept.
        let r = error_response(code::UNAVAILABLE, "a\tb ~ é\u{7f}");
        assert_eq!(r.headers()["grpc-message"], "a%09b ~ %C3%A9%7F");
    }
}
