//! A route's `timeouts:` (the service-level override of `upstream.timeouts`):
//! its validation, its compiled form, and [`RouteTimeouts::resolve`], which
//! the data plane calls once per request to get the timeouts that request
//! lives under from the override and the upstream that takes it (the
//! service's own or a split target's).

use std::time::Duration;

use super::CompiledUpstream;
use crate::error::ValidationErrors;
use crate::model::{Service, ServiceKind};
use crate::msg::Msg;
use crate::report::TimeoutFrom;

/// A compiled route override: each `None` keeps the value of the upstream
/// that takes the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RouteTimeouts {
    pub connect: Option<Duration>,
    pub response_header: Option<Duration>,
    pub stream_idle: Option<Duration>,
}

/// The timeouts one request lives under, resolved once when its upstream
/// is chosen (a few words on the stack; nothing allocated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EffectiveTimeouts {
    /// Connecting to a node (and waiting for a pooled connection to be
    /// ready).
    pub connect: Duration,
    /// The response-header wait of the request as a whole.
    pub response_header: Duration,
    /// How long one try waits for response headers: `response_header`, or
    /// the upstream's `retry.per_try_timeout` when that is shorter.
    pub per_try: Duration,
    /// `per_try` when something other than the upstream's own
    /// `timeouts.response_header` set it (a per-try timeout, the route's
    /// timeout): a gRPC call's deadline replaces the upstream's timeout,
    /// but only wins over these when shorter.
    pub per_try_over_deadline: Option<Duration>,
    /// WebSocket tunnels and gRPC client streams.
    pub stream_idle: Duration,
}

impl RouteTimeouts {
    /// The timeouts of a request of this route that `up` takes.
    #[inline]
    pub fn resolve(&self, up: &CompiledUpstream) -> EffectiveTimeouts {
        let response_header = self.response_header.unwrap_or(up.response_header_timeout);
        let per_try = up
            .retry
            .per_try_timeout
            .map_or(response_header, |t| t.min(response_header));
        let explicit = self.response_header.is_some() || up.retry.per_try_timeout.is_some();
        EffectiveTimeouts {
            connect: self.connect.unwrap_or(up.connect_timeout),
            response_header,
            per_try,
            per_try_over_deadline: explicit.then_some(per_try),
            stream_idle: self.stream_idle.unwrap_or(up.stream_idle_timeout),
        }
    }

    /// Where each of `connect`, `response_header` and `stream_idle` comes
    /// from (explain).
    pub fn origins(&self) -> [(&'static str, TimeoutFrom); 3] {
        let of = |set: Option<Duration>| {
            if set.is_some() {
                TimeoutFrom::Route
            } else {
                TimeoutFrom::Upstream
            }
        };
        [
            ("connect", of(self.connect)),
            ("response_header", of(self.response_header)),
            ("stream_idle", of(self.stream_idle)),
        ]
    }
}

/// Validate `svc.timeouts` (reporting under `path`, e.g. `services[3]`).
pub(crate) fn compile_route_timeouts(
    svc: &Service,
    path: &str,
    errors: &mut ValidationErrors,
) -> RouteTimeouts {
    let t = &svc.timeouts;
    if t.is_empty() {
        return RouteTimeouts::default();
    }
    if svc.kind == ServiceKind::Tcp {
        // A tcp service has no split: its own upstream is the only one.
        errors.push(
            format!("{path}.timeouts"),
            Msg::NotForKind {
                kind: ServiceKind::Tcp.as_str().to_owned(),
                why: Msg::WhyTcpTimeouts.into(),
            },
        );
        return RouteTimeouts::default();
    }
    let mut positive = |field: &str, d: Option<crate::model::HumanDuration>| {
        let d = d.map(|d| d.get());
        if d.is_some_and(|d| d.is_zero()) {
            errors.push(format!("{path}.timeouts.{field}"), Msg::GreaterThanZero);
        }
        d
    };
    RouteTimeouts {
        connect: positive("connect", t.connect),
        response_header: positive("response_header", t.response_header),
        stream_idle: positive("stream_idle", t.stream_idle),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::yaml::parse_document;

    fn upstream_of(yaml: &str) -> (RouteTimeouts, CompiledUpstream) {
        let doc = parse_document(yaml).unwrap();
        let c = compile(&doc).unwrap();
        let s = &c.services[0];
        (s.timeouts, s.upstream.clone())
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_route_overrides_each_field_it_sets() {
        let (route, up) = upstream_of(
            "services:\n- name: a\n  match: { prefix: /a/ }\n  timeouts: { response_header: 250ms }\n  upstream:\n    nodes: [{ addr: 127.0.0.1:1 }]\n    timeouts: { connect: 2s, response_header: 9s, stream_idle: 1m }\n",
        );
        let t = route.resolve(&up);
        assert_eq!(t.response_header, 250 * MS);
        assert_eq!(t.per_try, 250 * MS);
        assert_eq!(t.connect, 2000 * MS);
        assert_eq!(t.stream_idle, Duration::from_secs(60));
        assert_eq!(route.origins()[1], ("response_header", TimeoutFrom::Route));
        assert_eq!(route.origins()[0].1, TimeoutFrom::Upstream);
    }

    #[test]
    fn a_shorter_per_try_timeout_still_bounds_a_try() {
        let (route, up) = upstream_of(
            "services:\n- name: a\n  match: { prefix: /a/ }\n  timeouts: { response_header: 5s }\n  upstream:\n    nodes: [{ addr: 127.0.0.1:1 }]\n    timeouts: { response_header: 1s }\n    retry: { per_try_timeout: 2s }\n",
        );
        let t = route.resolve(&up);
        assert_eq!((t.response_header, t.per_try), (5000 * MS, 2000 * MS));
        // Without the override: the upstream's shorter timeout bounds it.
        let t = RouteTimeouts::default().resolve(&up);
        assert_eq!((t.response_header, t.per_try), (1000 * MS, 1000 * MS));
    }

    #[test]
    fn zero_and_tcp_are_refused_naming_the_field() {
        let doc = parse_document(
            "services:\n- name: a\n  match: { prefix: /a/ }\n  timeouts: { connect: 0s, stream_idle: 0ms }\n  upstream: { nodes: [{ addr: 127.0.0.1:1 }] }\n- name: t\n  kind: tcp\n  port: 9000\n  timeouts: { response_header: 1s }\n  upstream: { nodes: [{ addr: 127.0.0.1:1 }] }\n",
        )
        .unwrap();
        let e = compile(&doc).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert!(fields.contains(&"services[0].timeouts.connect"), "{e}");
        assert!(fields.contains(&"services[0].timeouts.stream_idle"), "{e}");
        assert!(fields.contains(&"services[1].timeouts"), "{e}");
        assert!(e.to_string().contains("upstream.timeouts"), "{e}");
    }
}
