//! The rewrite phase: the request head as the upstream gets it — the
//! service's path rewrite, hop-by-hop fields removed, the gateway's own
//! fields (`Host`, `X-Request-Id`, `X-Weir-App-Id`, `X-Forwarded-*`) and the
//! service's header operations.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Uri, Version};
use weir_core::compile::CompiledService;

use crate::http::ProxyError;
use crate::http::headers::{add_forwarded, strip_hop_by_hop, wants_upgrade};

pub(crate) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The authenticated tenant, for the upstream. Never taken from clients.
pub(crate) static X_WEIR_APP_ID: HeaderName = HeaderName::from_static("x-weir-app-id");

/// What a client used to reach the gateway: `X-Forwarded-Proto`, and
/// whether an `https_redirect` service redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// What the gateway adds to a request it forwards.
pub(crate) struct Forwarding<'a> {
    /// The host routing used (HTTP/2 clients send only `:authority`).
    pub host: Option<&'a HeaderValue>,
    pub request_id: &'a HeaderValue,
    /// The authenticated tenant's app id.
    pub tenant: Option<&'a str>,
    /// The TCP peer, formatted (appended to `X-Forwarded-For`).
    pub peer_ip: &'a HeaderValue,
    /// What the client used.
    pub scheme: Scheme,
    /// A protocol upgrade (WebSocket) keeps `Connection: upgrade`.
    pub upgrade: bool,
}

/// Whether a request asks for a protocol upgrade: only HTTP/1.1 has them
/// (HTTP/2 forbids `Connection`; HTTP/1.0 has no `Upgrade`).
pub(crate) fn is_upgrade(version: Version, headers: &HeaderMap) -> bool {
    version == Version::HTTP_11 && wants_upgrade(headers)
}

/// Rewrite `headers` into the upstream's. The gateway's own fields go on
/// after hop-by-hop removal, so that a client's
/// `Connection: X-Weir-App-Id, Host` cannot take them off; the service's
/// header operations come last and may change anything.
pub(crate) fn upstream_headers(headers: &mut HeaderMap, svc: &CompiledService, f: &Forwarding<'_>) {
    strip_hop_by_hop(headers, f.upgrade);
    headers.remove(&X_WEIR_APP_ID);
    if let Some(h) = f.host {
        headers.insert(header::HOST, h.clone());
    }
    headers.insert(X_REQUEST_ID.clone(), f.request_id.clone());
    if let Some(v) = f.tenant.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(X_WEIR_APP_ID.clone(), v);
    }
    add_forwarded(headers, f.peer_ip, f.scheme.as_str(), f.host);
    svc.apply_header_ops(headers);
}

/// Origin-form URI for the upstream: the rewritten path plus the original
/// query.
pub(crate) fn upstream_uri(svc: &CompiledService, uri: &Uri) -> Result<Uri, ProxyError> {
    let path = uri.path();
    let rewritten = svc.rewrite_path(path);
    let pq = if rewritten == path {
        match uri.path_and_query() {
            Some(pq) => pq.clone(),
            None => PathAndQuery::from_static("/"),
        }
    } else {
        let s = match uri.query() {
            Some(q) => format!("{rewritten}?{q}"),
            None => rewritten.into_owned(),
        };
        PathAndQuery::try_from(s)
            .map_err(|_| ProxyError::BadRequest("rewritten path is not a valid URI"))?
    };
    Ok(Uri::from(pq))
}

/// A TCP peer as `X-Forwarded-For` carries it (IPv4-mapped IPv6 as IPv4),
/// formatted once per connection.
pub(crate) fn peer_ip_value(peer: IpAddr) -> HeaderValue {
    // An IP address always formats to valid header characters.
    HeaderValue::from_str(&peer.to_canonical().to_string())
        .unwrap_or(HeaderValue::from_static("unknown"))
}

/// A client's `X-Request-Id` is passed on when it is sane: 1–128 visible
/// ASCII characters. Otherwise the gateway makes one.
pub(crate) fn sane_request_id(v: &HeaderValue) -> bool {
    !v.is_empty() && v.len() <= 128 && v.as_bytes().iter().all(u8::is_ascii_graphic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http11_upgrades() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("x, Upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_upgrade(Version::HTTP_11, &h));
        assert!(!is_upgrade(Version::HTTP_10, &h));
        assert!(!is_upgrade(Version::HTTP_2, &h));
    }

    #[test]
    fn request_ids() {
        assert!(sane_request_id(&HeaderValue::from_static("abc-123")));
        assert!(!sane_request_id(&HeaderValue::from_static("")));
        assert!(!sane_request_id(&HeaderValue::from_static("a b")));
        let long = "x".repeat(129);
        assert!(!sane_request_id(&HeaderValue::from_str(&long).unwrap()));
    }
}
