//! Header handling between client and upstream: hop-by-hop fields removed
//! (RFC 9110 §7.6.1), `X-Forwarded-*` added, `Host` preserved.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
pub(crate) static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Remove connection-specific fields, including any named in `Connection`.
/// With `keep_upgrade`, `Connection: upgrade` and `Upgrade` survive so that a
/// WebSocket handshake reaches the upstream.
///
/// Runs on every request and response, and most carry none of these: one
/// pass over the names present (no hashing) finds out, and only what is
/// there is removed.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    let (mut connection, mut keep_alive, mut proxy_conn, mut te, mut transfer, mut upgrade) =
        (false, false, false, false, false, false);
    for name in headers.keys() {
        if name == header::CONNECTION {
            connection = true;
        } else if name == header::TRANSFER_ENCODING {
            transfer = true;
        } else if name == header::TE {
            te = true;
        } else if name == header::UPGRADE {
            upgrade = true;
        } else if name == KEEP_ALIVE {
            keep_alive = true;
        } else if name == PROXY_CONNECTION {
            proxy_conn = true;
        }
    }
    if connection {
        // Names listed in Connection are removed too. The usual tokens
        // need no parsing or lookup: `keep-alive` and `upgrade` name headers
        // the scan above already found (if present), `close` names none.
        let mut listed: Vec<HeaderName> = Vec::new();
        for value in headers.get_all(header::CONNECTION) {
            let Ok(list) = value.to_str() else { continue };
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let usual = ["keep-alive", "upgrade", "close"]
                    .iter()
                    .any(|t| name.eq_ignore_ascii_case(t));
                if !usual && let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    listed.push(name);
                }
            }
        }
        for name in &listed {
            headers.remove(name);
        }
        headers.remove(header::CONNECTION);
        if keep_upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        }
    }
    if keep_alive {
        headers.remove(&KEEP_ALIVE);
    }
    if proxy_conn {
        headers.remove(&PROXY_CONNECTION);
    }
    if transfer {
        headers.remove(header::TRANSFER_ENCODING);
    }
    if te {
        headers.remove(header::TE);
    }
    if upgrade && !keep_upgrade {
        headers.remove(header::UPGRADE);
    }
}

/// Set `X-Forwarded-For` (appending the client to any existing chain),
/// `X-Forwarded-Proto` and `X-Forwarded-Host`.
pub(crate) fn add_forwarded(
    headers: &mut HeaderMap,
    client_ip: &HeaderValue,
    proto: &'static str,
    host: Option<&HeaderValue>,
) {
    let xff = match headers.get(&X_FORWARDED_FOR) {
        Some(prev) => {
            let mut v = Vec::with_capacity(prev.len() + 2 + client_ip.len());
            v.extend_from_slice(prev.as_bytes());
            v.extend_from_slice(b", ");
            v.extend_from_slice(client_ip.as_bytes());
            HeaderValue::from_bytes(&v).unwrap_or_else(|_| client_ip.clone())
        }
        None => client_ip.clone(),
    };
    headers.insert(X_FORWARDED_FOR.clone(), xff);
    headers.insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static(proto));
    match host {
        Some(h) => {
            headers.insert(X_FORWARDED_HOST.clone(), h.clone());
        }
        None => {
            headers.remove(&X_FORWARDED_HOST);
        }
    }
}

/// Whether a request asks for a protocol upgrade (HTTP/1.1 `Upgrade`).
pub(crate) fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// A request's transfer coding must be exactly `chunked`, once (RFC 9112
/// §6.1, §7). HTTP/1.1 parsing already refuses codings that do not end in
/// `chunked`; `gzip, chunked` and `chunked, chunked` pass it, but the
/// gateway would forward the body under a framing it did not decode, so
/// they are refused too.
pub(crate) fn check_transfer_coding(headers: &HeaderMap) -> Result<(), super::ProxyError> {
    let mut codings = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|c| !c.is_empty());
    match (codings.next(), codings.next()) {
        (None, _) => Ok(()),
        (Some(c), None) if c.eq_ignore_ascii_case(b"chunked") => Ok(()),
        // Refused like a malformed body: 400 and the connection closed,
        // so nothing after this request is read as another one.
        _ => Err(super::ProxyError::ClientBody(
            crate::upstream::BodyFault::Malformed,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn strips_hop_by_hop_and_connection_listed() {
        let mut h = map(&[
            ("connection", "keep-alive, X-Secret"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-connection", "keep-alive"),
            ("x-kept", "yes"),
        ]);
        strip_hop_by_hop(&mut h, false);
        let names: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-kept"]);
    }

    #[test]
    fn keeps_upgrade_for_websocket() {
        let mut h = map(&[("connection", "Upgrade"), ("upgrade", "websocket")]);
        assert!(wants_upgrade(&h));
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
    }

    #[test]
    fn forwarded_headers_append_and_overwrite() {
        let mut h = map(&[
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "spoofed"),
        ]);
        let host = HeaderValue::from_static("api.example.com");
        add_forwarded(
            &mut h,
            &HeaderValue::from_static("127.0.0.1"),
            "http",
            Some(&host),
        );
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "api.example.com");
    }

    #[test]
    fn only_a_single_chunked_transfer_coding_passes() {
        assert!(check_transfer_coding(&map(&[])).is_ok());
        assert!(check_transfer_coding(&map(&[("transfer-encoding", "chunked")])).is_ok());
        assert!(check_transfer_coding(&map(&[("transfer-encoding", " Chunked ")])).is_ok());
        for bad in [
            &[("transfer-encoding", "gzip, chunked")][..],
            &[("transfer-encoding", "chunked, chunked")],
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            &[("transfer-encoding", "identity")],
            &[
                ("transfer-encoding", "gzip"),
                ("transfer-encoding", "chunked"),
            ],
        ] {
            assert!(check_transfer_coding(&map(bad)).is_err(), "{bad:?}");
        }
    }
}
