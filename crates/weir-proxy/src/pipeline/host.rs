//! The host phase: the one host a request is for, which routing uses and
//! the upstream gets (`Host`, `:authority`, `X-Forwarded-Host`).

use http::header::{self, HeaderMap, HeaderValue};

use crate::http::ProxyError;

/// The absolute-form or HTTP/2 `:authority`, or else the single `Host`
/// header. Forms that could route on one host and forward another are
/// refused (RFC 9112 §3.2, RFC 9113 §8.3.1): two `Host` headers, an
/// authority that differs from `Host`, and a host that is not
/// `name[:port]`. An empty `Host` is no host.
pub(crate) fn routing_host(
    authority: Option<&str>,
    headers: &HeaderMap,
    h2: bool,
) -> Result<Option<HeaderValue>, HostError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let header = hosts.next();
    if hosts.next().is_some() {
        return Err(HostError::Several);
    }
    let host = match (authority, header) {
        (Some(a), Some(h)) if !a.as_bytes().eq_ignore_ascii_case(h.as_bytes()) => {
            return Err(HostError::Differs { h2 });
        }
        (Some(a), _) => HeaderValue::from_str(a).map_err(|_| HostError::Invalid)?,
        (None, Some(h)) if h.is_empty() => return Ok(None),
        (None, Some(h)) => h.clone(),
        (None, None) => return Ok(None),
    };
    if !is_valid_host(host.as_bytes()) {
        return Err(HostError::Invalid);
    }
    Ok(Some(host))
}

/// Why a request's host is refused (see [`routing_host`]); a 400 with the
/// reason of [`HostError::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostError {
    /// More than one `Host` header.
    Several,
    /// The request target's host (HTTP/2: `:authority`) is not the `Host`
    /// header's.
    Differs { h2: bool },
    /// Not `name[:port]` or `[v6]:port`.
    Invalid,
}

impl HostError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            HostError::Several => "more than one Host header",
            HostError::Differs { h2: true } => ":authority and the host header differ",
            HostError::Differs { h2: false } => {
                "the request target's host and the Host header differ"
            }
            HostError::Invalid => "invalid host",
        }
    }
}

impl From<HostError> for ProxyError {
    fn from(e: HostError) -> Self {
        ProxyError::BadRequest(e.reason())
    }
}

/// `name[:port]` or `[v6]:port` (RFC 3986 §3.2.2 without user info,
/// percent-escapes or IPvFuture): nothing a router and an upstream could
/// read differently.
fn is_valid_host(h: &[u8]) -> bool {
    let (name_ok, port) = match h.strip_prefix(b"[") {
        Some(rest) => match rest.iter().position(|&b| b == b']') {
            Some(end) => (
                end > 0
                    && rest[..end]
                        .iter()
                        .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                &rest[end + 1..],
            ),
            None => return false,
        },
        None => {
            let end = h.iter().position(|&b| b == b':').unwrap_or(h.len());
            let name = &h[..end];
            let ok = !name.is_empty()
                && name
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            (ok, &h[end..])
        }
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => {
            digits.len() <= 5
                && digits.iter().all(u8::is_ascii_digit)
                && (digits.is_empty()
                    || digits
                        .iter()
                        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
                        <= 65535)
        }
        Some(_) => false,
    };
    name_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "example.com",
            "example.com:8080",
            "EXAMPLE.com:",
            "a_b-c.d",
            "127.0.0.1:80",
            "[::1]",
            "[2001:db8::1]:443",
            "[::ffff:1.2.3.4]:1",
        ] {
            assert!(is_valid_host(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            ":80",
            "user@example.com",
            "example.com/x",
            "example.com:80:80",
            "example.com:http",
            "example.com:65536",
            "example.com:123456",
            "[::1",
            "[]",
            "[::1]x",
            "[::1]:80:80",
            "[v1.x]",
            "a b",
            "a,b",
            "a%2fb",
            "a\\b",
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad}");
        }
    }

    fn headers(hosts: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in hosts {
            h.append(header::HOST, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn one_host_or_a_refusal() {
        let host = |a: Option<&str>, h: &[&str]| {
            routing_host(a, &headers(h), false).map(|v| v.map(|v| v.to_str().unwrap().to_owned()))
        };
        assert_eq!(host(None, &["a.test"]).unwrap().as_deref(), Some("a.test"));
        assert_eq!(
            host(Some("a.test"), &[]).unwrap().as_deref(),
            Some("a.test")
        );
        assert_eq!(
            host(Some("a.test"), &["A.test"]).unwrap().as_deref(),
            Some("a.test")
        );
        assert_eq!(host(None, &[""]).unwrap(), None);
        assert_eq!(host(None, &[]).unwrap(), None);
        assert!(host(Some("a.test"), &["b.test"]).is_err());
        assert!(host(None, &["a.test", "a.test"]).is_err());
        assert!(host(None, &["a.test", "b.test"]).is_err());
        assert!(host(None, &["u@a.test"]).is_err());
        assert!(host(Some("u@a.test"), &[]).is_err());
    }
}
