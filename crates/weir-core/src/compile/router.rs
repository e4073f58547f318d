//! Request routing: host, then longest path prefix, in time independent of
//! the number of services.
//!
//! Precedence (documented in `docs/routing.md`):
//! 1. services whose `host` equals the request host, longest `prefix` first
//!    (a host-only service acts as prefix `""`);
//! 2. services with a wildcard host `*.suffix`, the longest matching suffix
//!    first, then longest prefix within it;
//! 3. services without a host, longest prefix.
//!
//! A level that has no matching prefix falls through to the next one.

use std::collections::HashMap;

use super::trie::PrefixTrie;

/// Maps (host, path) to a service index of the compiled configuration.
#[derive(Debug, Clone, Default)]
pub struct Router {
    exact: HashMap<Box<str>, PrefixTrie<u32>>,
    wildcard: HashMap<Box<str>, PrefixTrie<u32>>,
    any_host: PrefixTrie<u32>,
    /// Whether any wildcard host exists; skips the suffix walk when none does.
    has_wildcards: bool,
}

/// A route key: normalised host pattern (or none) and path prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RouteKey {
    pub host: Option<String>,
    pub prefix: String,
}

impl Router {
    /// Add a route; returns the index already registered under the same key.
    pub(crate) fn insert(&mut self, key: &RouteKey, service: u32) -> Option<u32> {
        let trie = match key.host.as_deref() {
            None => &mut self.any_host,
            Some(h) => match h.strip_prefix("*.") {
                Some(suffix) => {
                    self.has_wildcards = true;
                    self.wildcard.entry(suffix.into()).or_default()
                }
                None => self.exact.entry(h.into()).or_default(),
            },
        };
        trie.insert(key.prefix.as_bytes(), service)
    }

    /// The service for a request. `host` is the raw `Host` header or
    /// `:authority` (port and letter case are ignored); `path` excludes the
    /// query string.
    pub fn lookup(&self, host: Option<&str>, path: &str) -> Option<u32> {
        let path = path.as_bytes();
        if let Some(raw) = host
            && (!self.exact.is_empty() || self.has_wildcards)
        {
            let lowered;
            let mut host = strip_port(raw);
            if host.bytes().any(|b| b.is_ascii_uppercase()) {
                lowered = host.to_ascii_lowercase();
                host = &lowered;
            }
            let host = host.strip_suffix('.').unwrap_or(host);
            if let Some(found) = self.exact.get(host).and_then(|t| t.longest_prefix(path)) {
                return Some(*found.1);
            }
            if self.has_wildcards {
                // A wildcard never matches the bare suffix itself
                // (`*.example.com` does not match `example.com`).
                let mut rest = host;
                while let Some(dot) = rest.find('.') {
                    rest = &rest[dot + 1..];
                    if let Some(found) =
                        self.wildcard.get(rest).and_then(|t| t.longest_prefix(path))
                    {
                        return Some(*found.1);
                    }
                }
            }
        }
        self.any_host.longest_prefix(path).map(|(_, v)| *v)
    }
}

/// `example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rfind(':') {
        Some(colon) if host[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..colon],
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(host: Option<&str>, prefix: &str) -> RouteKey {
        RouteKey {
            host: host.map(str::to_owned),
            prefix: prefix.to_owned(),
        }
    }

    fn router() -> Router {
        let mut r = Router::default();
        r.insert(&key(None, "/"), 0);
        r.insert(&key(None, "/user/"), 1);
        r.insert(&key(Some("api.example.com"), ""), 2);
        r.insert(&key(Some("api.example.com"), "/user/"), 3);
        r.insert(&key(Some("*.example.com"), "/"), 4);
        r.insert(&key(Some("*.eu.example.com"), "/"), 5);
        r.insert(&key(Some("only.example.org"), "/v2/"), 6);
        r
    }

    #[test]
    fn precedence() {
        let r = router();
        // Exact host, longest prefix, then host-only.
        assert_eq!(r.lookup(Some("api.example.com"), "/user/1"), Some(3));
        assert_eq!(r.lookup(Some("api.example.com"), "/other"), Some(2));
        // Case and port are ignored; trailing dot too.
        assert_eq!(r.lookup(Some("API.Example.COM:8080"), "/user/"), Some(3));
        assert_eq!(r.lookup(Some("api.example.com."), "/x"), Some(2));
        // Wildcards: most specific suffix first; never the bare suffix.
        assert_eq!(r.lookup(Some("a.eu.example.com"), "/"), Some(5));
        assert_eq!(r.lookup(Some("b.example.com"), "/"), Some(4));
        assert_eq!(r.lookup(Some("x.y.example.com"), "/"), Some(4));
        assert_eq!(r.lookup(Some("example.com"), "/user/2"), Some(1));
        // A host whose prefixes do not match falls through to host-less.
        assert_eq!(r.lookup(Some("only.example.org"), "/v1/"), Some(0));
        assert_eq!(r.lookup(Some("only.example.org"), "/v2/x"), Some(6));
        // No host header.
        assert_eq!(r.lookup(None, "/user/9"), Some(1));
    }

    #[test]
    fn no_route() {
        let mut r = Router::default();
        r.insert(&key(None, "/api/"), 0);
        assert_eq!(r.lookup(Some("x"), "/web"), None);
        assert_eq!(r.lookup(None, "/ap"), None);
    }

    #[test]
    fn strips_ports() {
        assert_eq!(strip_port("a.com:80"), "a.com");
        assert_eq!(strip_port("a.com"), "a.com");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("10.0.0.1:443"), "10.0.0.1");
    }
}
