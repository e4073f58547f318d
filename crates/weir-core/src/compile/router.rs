//! Request routing: host, then path, then the route's method, header and
//! query conditions. Host and prefix lookups take time independent of the
//! number of services; path regexes are tried one by one, so their cost
//! grows with the regex routes of the host that is looked at.
//!
//! Precedence (documented in docs/proxying.md, "Routing"):
//! 1. services whose `host` equals the request host; then services with a
//!    wildcard host `*.suffix`, the longest matching suffix first; then
//!    services without a host. A level where nothing matches falls through
//!    to the next.
//! 2. Within a host level: an exact `path`, then `path_regex` routes (the
//!    longest pattern first, then in byte order), then the longest `prefix`
//!    (a route without a path acts as prefix `""`); a path whose routes'
//!    conditions all fail falls through to the next shorter prefix.
//! 3. Routes with the same host and path: a method condition first, then
//!    the most header conditions, then the most query conditions, then
//!    service name order. The first whose conditions hold wins.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

use super::matchers::{Conditions, RouteRequest};
use super::trie::PrefixTrie;

/// Maps a request to a service index of the compiled configuration.
#[derive(Debug, Clone, Default)]
pub struct Router {
    exact: HashMap<Box<str>, Paths>,
    wildcard: HashMap<Box<str>, Paths>,
    any_host: Paths,
    /// Whether any wildcard host exists; skips the suffix walk when none does.
    has_wildcards: bool,
}

/// The routes of one host level, by path.
#[derive(Debug, Clone, Default)]
struct Paths {
    exact: HashMap<Box<str>, Candidates>,
    /// Longest pattern first.
    regex: Vec<(Regex, Candidates)>,
    prefixes: PrefixTrie<Candidates>,
}

/// The routes sharing one host and path, most specific first.
#[derive(Debug, Clone, Default)]
struct Candidates(Vec<Candidate>);

#[derive(Debug, Clone)]
struct Candidate {
    service: u32,
    conditions: Option<Arc<Conditions>>,
}

/// A route key: normalised host pattern (or none), path and the normal
/// form of the conditions. Two services may not share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RouteKey {
    pub host: Option<String>,
    pub path: PathKey,
    /// The conditions' normal form; empty when there are none.
    pub conditions: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PathKey {
    Prefix(String),
    Exact(String),
    Regex(String),
}

/// A compiled route: its key, with the regex and conditions it tests.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub key: RouteKey,
    /// The anchored `path_regex`.
    pub regex: Option<Regex>,
    pub conditions: Option<Arc<Conditions>>,
}

impl Router {
    /// Add a route (its key not yet taken: the caller checks).
    pub(crate) fn insert(&mut self, route: &Route, service: u32) {
        let paths = match route.key.host.as_deref() {
            None => &mut self.any_host,
            Some(h) => match h.strip_prefix("*.") {
                Some(suffix) => {
                    self.has_wildcards = true;
                    self.wildcard.entry(suffix.into()).or_default()
                }
                None => self.exact.entry(h.into()).or_default(),
            },
        };
        paths.insert(route, service);
    }

    /// The service for a request. `req.host` is the raw `Host` header or
    /// `:authority` (port and letter case are ignored).
    pub fn lookup(&self, req: &RouteRequest<'_>) -> Option<u32> {
        if let Some(raw) = req.host
            && (!self.exact.is_empty() || self.has_wildcards)
        {
            let lowered;
            let mut host = strip_port(raw);
            if host.bytes().any(|b| b.is_ascii_uppercase()) {
                lowered = host.to_ascii_lowercase();
                host = &lowered;
            }
            let host = host.strip_suffix('.').unwrap_or(host);
            if let Some(found) = self.exact.get(host).and_then(|p| p.find(req)) {
                return Some(found);
            }
            if self.has_wildcards {
                // A wildcard never matches the bare suffix itself
                // (`*.example.com` does not match `example.com`).
                let mut rest = host;
                while let Some(dot) = rest.find('.') {
                    rest = &rest[dot + 1..];
                    if let Some(found) = self.wildcard.get(rest).and_then(|p| p.find(req)) {
                        return Some(found);
                    }
                }
            }
        }
        self.any_host.find(req)
    }
}

impl Paths {
    fn insert(&mut self, route: &Route, service: u32) {
        let candidate = Candidate {
            service,
            conditions: route.conditions.clone(),
        };
        match (&route.key.path, &route.regex) {
            (PathKey::Exact(p), _) => self
                .exact
                .entry(p.as_str().into())
                .or_default()
                .add(candidate),
            (PathKey::Regex(_), Some(re)) => {
                let order =
                    |r: &Regex| (std::cmp::Reverse(r.as_str().len()), r.as_str().to_owned());
                match self
                    .regex
                    .iter_mut()
                    .find(|(r, _)| r.as_str() == re.as_str())
                {
                    Some((_, c)) => c.add(candidate),
                    None => {
                        let at = self.regex.partition_point(|(r, _)| order(r) < order(re));
                        self.regex
                            .insert(at, (re.clone(), Candidates(vec![candidate])));
                    }
                }
            }
            (PathKey::Regex(_), None) => {}
            (PathKey::Prefix(p), _) => match self.prefixes.get_mut(p.as_bytes()) {
                Some(c) => c.add(candidate),
                None => {
                    self.prefixes
                        .insert(p.as_bytes(), Candidates(vec![candidate]));
                }
            },
        }
    }

    /// Exact path, then regexes, then prefixes longest first.
    fn find(&self, req: &RouteRequest<'_>) -> Option<u32> {
        if !self.exact.is_empty()
            && let Some(found) = self.exact.get(req.path).and_then(|c| c.pick(req))
        {
            return Some(found);
        }
        for (re, c) in &self.regex {
            if re.is_match(req.path)
                && let Some(found) = c.pick(req)
            {
                return Some(found);
            }
        }
        let path = req.path.as_bytes();
        let mut end = path.len();
        loop {
            let (len, c) = self.prefixes.longest_prefix(&path[..end])?;
            if let Some(found) = c.pick(req) {
                return Some(found);
            }
            // The next shorter prefix of the path.
            end = len.checked_sub(1)?;
        }
    }
}

impl Candidates {
    /// Keep the most specific first; ties stay in insertion (name) order.
    fn add(&mut self, c: Candidate) {
        self.0.push(c);
        self.0
            .sort_by_key(|c| std::cmp::Reverse(c.conditions.as_ref().map(|k| k.specificity())));
    }

    fn pick(&self, req: &RouteRequest<'_>) -> Option<u32> {
        self.0
            .iter()
            .find(|c| c.conditions.as_ref().is_none_or(|k| k.matches(req)))
            .map(|c| c.service)
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
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;
    use crate::error::ValidationErrors;

    fn route(host: Option<&str>, path: PathKey, conditions: &str) -> Route {
        let m: crate::model::Match = serde_yaml_ng::from_str(conditions).unwrap();
        let mut errors = ValidationErrors::default();
        let mut normal = String::new();
        let conditions =
            super::super::matchers::compile_conditions(&m, "s", &mut errors, &mut normal);
        assert!(errors.is_empty(), "{errors:?}");
        let regex = match &path {
            PathKey::Regex(r) => Some(super::super::matchers::anchored(r).unwrap()),
            _ => None,
        };
        Route {
            key: RouteKey {
                host: host.map(str::to_owned),
                path,
                conditions: normal,
            },
            regex,
            conditions: conditions.map(Arc::new),
        }
    }

    fn prefix(host: Option<&str>, p: &str) -> Route {
        route(host, PathKey::Prefix(p.to_owned()), "{}")
    }

    fn lookup(r: &Router, host: Option<&str>, path: &str) -> Option<u32> {
        lookup_with(r, host, path, &Method::GET, &HeaderMap::new(), None)
    }

    fn lookup_with(
        r: &Router,
        host: Option<&str>,
        path: &str,
        method: &Method,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Option<u32> {
        r.lookup(&RouteRequest {
            host,
            path,
            query,
            method,
            headers,
        })
    }

    fn router() -> Router {
        let mut r = Router::default();
        r.insert(&prefix(None, "/"), 0);
        r.insert(&prefix(None, "/user/"), 1);
        r.insert(&prefix(Some("api.example.com"), ""), 2);
        r.insert(&prefix(Some("api.example.com"), "/user/"), 3);
        r.insert(&prefix(Some("*.example.com"), "/"), 4);
        r.insert(&prefix(Some("*.eu.example.com"), "/"), 5);
        r.insert(&prefix(Some("only.example.org"), "/v2/"), 6);
        r
    }

    #[test]
    fn precedence() {
        let r = router();
        // Exact host, longest prefix, then host-only.
        assert_eq!(lookup(&r, Some("api.example.com"), "/user/1"), Some(3));
        assert_eq!(lookup(&r, Some("api.example.com"), "/other"), Some(2));
        // Case and port are ignored; trailing dot too.
        assert_eq!(lookup(&r, Some("API.Example.COM:8080"), "/user/"), Some(3));
        assert_eq!(lookup(&r, Some("api.example.com."), "/x"), Some(2));
        // Wildcards: most specific suffix first; never the bare suffix.
        assert_eq!(lookup(&r, Some("a.eu.example.com"), "/"), Some(5));
        assert_eq!(lookup(&r, Some("b.example.com"), "/"), Some(4));
        assert_eq!(lookup(&r, Some("x.y.example.com"), "/"), Some(4));
        assert_eq!(lookup(&r, Some("example.com"), "/user/2"), Some(1));
        // A host whose prefixes do not match falls through to host-less.
        assert_eq!(lookup(&r, Some("only.example.org"), "/v1/"), Some(0));
        assert_eq!(lookup(&r, Some("only.example.org"), "/v2/x"), Some(6));
        // No host header.
        assert_eq!(lookup(&r, None, "/user/9"), Some(1));
    }

    #[test]
    fn no_route() {
        let mut r = Router::default();
        r.insert(&prefix(None, "/api/"), 0);
        assert_eq!(lookup(&r, Some("x"), "/web"), None);
        assert_eq!(lookup(&r, None, "/ap"), None);
    }

    #[test]
    fn exact_path_then_regex_then_prefix() {
        let mut r = Router::default();
        r.insert(&prefix(None, "/users/"), 0);
        r.insert(
            &route(None, PathKey::Regex("/users/[0-9]+".into()), "{}"),
            1,
        );
        r.insert(&route(None, PathKey::Exact("/users/42".into()), "{}"), 2);
        r.insert(
            &route(None, PathKey::Regex("/users/[0-9]+/posts".into()), "{}"),
            3,
        );
        assert_eq!(lookup(&r, None, "/users/42"), Some(2));
        assert_eq!(lookup(&r, None, "/users/7"), Some(1));
        assert_eq!(lookup(&r, None, "/users/7/posts"), Some(3));
        // The regex must match the whole path.
        assert_eq!(lookup(&r, None, "/users/7x"), Some(0));
        assert_eq!(lookup(&r, None, "/users/42/"), Some(0));
        // A host level's regex and exact paths come before host-less ones.
        r.insert(
            &route(Some("a.test"), PathKey::Exact("/users/7".into()), "{}"),
            4,
        );
        assert_eq!(lookup(&r, Some("a.test"), "/users/7"), Some(4));
        assert_eq!(lookup(&r, Some("a.test"), "/users/8"), Some(1));
    }

    #[test]
    fn conditions_order_and_fall_through() {
        let mut r = Router::default();
        r.insert(&prefix(None, "/"), 0);
        r.insert(&prefix(None, "/api/"), 1);
        r.insert(
            &route(None, PathKey::Prefix("/api/".into()), "{ methods: [POST] }"),
            2,
        );
        r.insert(
            &route(
                None,
                PathKey::Prefix("/api/".into()),
                r#"{ headers: [{ name: x-canary, exact: "1" }] }"#,
            ),
            3,
        );
        r.insert(
            &route(
                None,
                PathKey::Prefix("/api/v2/".into()),
                r#"{ query: [{ name: beta, present: true }] }"#,
            ),
            4,
        );
        let mut canary = HeaderMap::new();
        canary.insert("x-canary", HeaderValue::from_static("1"));
        let none = HeaderMap::new();
        let get = Method::GET;
        // A method condition outranks a header condition.
        assert_eq!(
            lookup_with(&r, None, "/api/x", &Method::POST, &canary, None),
            Some(2)
        );
        assert_eq!(
            lookup_with(&r, None, "/api/x", &get, &canary, None),
            Some(3)
        );
        assert_eq!(lookup_with(&r, None, "/api/x", &get, &none, None), Some(1));
        // A longer prefix whose conditions fail falls through to a shorter one.
        assert_eq!(
            lookup_with(&r, None, "/api/v2/x", &get, &none, Some("beta")),
            Some(4)
        );
        assert_eq!(
            lookup_with(&r, None, "/api/v2/x", &get, &canary, None),
            Some(3)
        );
        assert_eq!(
            lookup_with(&r, None, "/api/v2/x", &get, &none, None),
            Some(1)
        );
    }

    #[test]
    fn failed_conditions_at_every_prefix_fall_to_the_next_host_level() {
        let mut r = Router::default();
        r.insert(
            &route(
                Some("a.test"),
                PathKey::Prefix("/".into()),
                "{ methods: [PUT] }",
            ),
            0,
        );
        r.insert(&prefix(None, "/"), 1);
        assert_eq!(
            lookup_with(
                &r,
                Some("a.test"),
                "/x",
                &Method::PUT,
                &HeaderMap::new(),
                None
            ),
            Some(0)
        );
        assert_eq!(lookup(&r, Some("a.test"), "/x"), Some(1));
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
