//! Path normalisation and route lookup: the first thing the gateway does
//! with a request's path, so that no spelling of a path reaches through one
//! prefix what another service (or an `allow_paths` entry) guards.
//!
//! Invariants checked on every input the normaliser accepts: the result is
//! absolute, has no empty, `.` or `..` segment, no backslash, NUL or
//! lower-case escape, no encoded slash unless allowed, and is a fixed point
//! (normalising it again returns it borrowed, unchanged). The route found
//! for it is a service whose prefix really is a byte prefix of the result.

use std::sync::OnceLock;

use weir_core::compile::CompiledConfig;
use weir_core::path::{Options, normalize};
use weir_core::yaml::parse_document;

/// Services whose prefixes overlap, one on a host, one with an encoded
/// slash (which only matches when encoded slashes are allowed).
const ROUTES: &str = r#"
services:
  - { name: root, match: { prefix: / }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: api, match: { prefix: /api/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: admin, match: { prefix: /api/admin/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: hosted, match: { host: example.com, prefix: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - name: pkg
    match: { prefix: "/pkg/a%2Fb/" }
    allow_encoded_slashes: true
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
"#;

fn routes() -> &'static CompiledConfig {
    static ROUTER: OnceLock<CompiledConfig> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let doc = parse_document(ROUTES).unwrap_or_else(|e| panic!("fixed document: {e}"));
        weir_core::compile(&doc).unwrap_or_else(|e| panic!("fixed document: {e}"))
    })
}

/// First byte: bit 0 allows encoded slashes, bit 1 routes on the host
/// `example.com`; the rest is the path.
pub fn path_route(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let opts = Options {
        allow_encoded_slash: flags & 1 == 1,
    };
    let Ok(path) = normalize(raw, opts) else {
        return;
    };
    check_normal(raw, &path, opts);
    let host = (flags & 2 == 2).then_some("example.com");
    let headers = http::HeaderMap::new();
    let wanted = weir_core::compile::RouteRequest {
        host,
        path: &path,
        query: None,
        method: &http::Method::GET,
        headers: &headers,
    };
    if let Some(svc) = routes().route(&wanted) {
        let prefix = svc.spec.route.prefix.as_deref().unwrap_or("/");
        assert!(
            path.starts_with(prefix),
            "{raw:?} → {path:?} routed to {} whose prefix is {prefix:?}",
            svc.name
        );
    }
}

fn check_normal(raw: &str, path: &str, opts: Options) {
    assert!(path.starts_with('/'), "{raw:?} → {path:?} is not absolute");
    for seg in path[1..].split('/').rev().skip(1) {
        // Every segment but the last (a trailing slash leaves it empty).
        assert!(!seg.is_empty(), "{raw:?} → {path:?} has an empty segment");
    }
    for seg in path[1..].split('/') {
        assert!(
            seg != "." && seg != "..",
            "{raw:?} → {path:?} has a dot-segment"
        );
    }
    assert!(!path.contains('\\'), "{raw:?} → {path:?} has a backslash");
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'%' {
            continue;
        }
        let hex = &bytes[i + 1..(i + 3).min(bytes.len())];
        assert!(
            hex.len() == 2
                && hex
                    .iter()
                    .all(|h| h.is_ascii_digit() || h.is_ascii_uppercase()),
            "{raw:?} → {path:?} has an escape that is not upper-case hex"
        );
        let value = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16);
        match value {
            Ok(0) => panic!("{raw:?} → {path:?} kept an encoded NUL"),
            Ok(b'/') => assert!(opts.allow_encoded_slash, "{raw:?} → {path:?} kept %2F"),
            Ok(v) => assert!(
                !(v.is_ascii_alphanumeric() || b"-._~".contains(&v)),
                "{raw:?} → {path:?} kept an encoded unreserved character"
            ),
            Err(_) => panic!("{raw:?} → {path:?} has a bad escape"),
        }
    }
    match normalize(path, opts) {
        Ok(std::borrow::Cow::Borrowed(again)) => assert_eq!(again, path),
        other => panic!("{raw:?} → {path:?} is not a fixed point: {other:?}"),
    }
}
