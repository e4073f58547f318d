//! Prometheus text exposition (version 0.0.4) of the data plane: requests
//! by service and status class, latency histograms, upstream errors,
//! rejections by reason, open, refused and timed-out client connections,
//! the configuration revision and reload counts, whether the store answers
//! and whether the configuration came from the local cache, where limits
//! are counted (local, shared in Redis, degraded), retries and circuit
//! breakers by service. Labels are service names
//! and fixed reasons only — never a tenant or client address, which would
//! make the series count unbounded.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::DataPlane;
use crate::conn::{ConnGate, ConnRefusal, ConnTimeout};
use crate::stats::{Rejection, Scope, ScopeStats, bucket_upper_bound_us};

/// Histogram bucket bounds exposed to Prometheus, in seconds. Weir's finer
/// internal buckets are folded into these (a fine bucket counts towards `le`
/// when its upper bound is at or below it).
const LE_SECONDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The `/metrics` body.
pub fn render(plane: &DataPlane) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let services = plane.stats.scopes_of(Scope::Service);
    let gateway = plane.stats.gateway();

    header(
        &mut out,
        "weir_requests_total",
        "counter",
        "Requests finished, by service and status class. service=\"\" counts requests that matched no service.",
    );
    let mut all: Vec<(String, std::sync::Arc<ScopeStats>)> = services.clone();
    let unrouted = gateway.counters();
    for (name, st) in &all {
        let c = st.counters();
        for (i, class) in CLASSES.iter().enumerate() {
            if c.status[i] > 0 {
                let _ = writeln!(
                    out,
                    "weir_requests_total{{service=\"{}\",class=\"{class}\"}} {}",
                    esc(name),
                    c.status[i]
                );
            }
        }
    }
    // Gateway totals minus the per-service ones: token endpoint, no route.
    let mut routed = [0u64; 5];
    for (_, st) in &all {
        let c = st.counters();
        for (r, v) in routed.iter_mut().zip(c.status) {
            *r += v;
        }
    }
    for (i, class) in CLASSES.iter().enumerate() {
        let rest = unrouted.status[i].saturating_sub(routed[i]);
        if rest > 0 {
            let _ = writeln!(
                out,
                "weir_requests_total{{service=\"\",class=\"{class}\"}} {rest}"
            );
        }
    }

    header(
        &mut out,
        "weir_request_duration_seconds",
        "histogram",
        "Time from request arrival to the end of the response, by service.",
    );
    all.retain(|(_, st)| st.counters().requests > 0);
    for (name, st) in &all {
        let c = st.counters();
        let name = esc(name);
        for le in LE_SECONDS {
            let le_us = (le * 1e6) as u64;
            let count: u64 = c
                .latency
                .iter()
                .enumerate()
                .filter(|(i, _)| bucket_upper_bound_us(*i) <= le_us)
                .map(|(_, n)| n)
                .sum();
            let _ = writeln!(
                out,
                "weir_request_duration_seconds_bucket{{service=\"{name}\",le=\"{le}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "weir_request_duration_seconds_bucket{{service=\"{name}\",le=\"+Inf\"}} {}",
            c.requests
        );
        let _ = writeln!(
            out,
            "weir_request_duration_seconds_sum{{service=\"{name}\"}} {}",
            st.latency_sum_us() as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "weir_request_duration_seconds_count{{service=\"{name}\"}} {}",
            c.requests
        );
    }

    header(
        &mut out,
        "weir_upstream_errors_total",
        "counter",
        "Requests that failed at the upstream, by service and kind (connect, timeout, error).",
    );
    header_rows(
        &mut out,
        &services,
        "weir_upstream_errors_total",
        "kind",
        &[
            (Rejection::UpstreamConnect, "connect"),
            (Rejection::UpstreamTimeout, "timeout"),
            (Rejection::UpstreamError, "error"),
        ],
    );

    header(
        &mut out,
        "weir_rejections_total",
        "counter",
        "Requests the gateway refused itself, by service and reason.",
    );
    let policy: Vec<(Rejection, &str)> = Rejection::ALL
        .iter()
        .filter(|r| {
            !matches!(
                r,
                Rejection::UpstreamConnect
                    | Rejection::UpstreamTimeout
                    | Rejection::UpstreamError
                    | Rejection::NoRoute
            )
        })
        .map(|r| (*r, r.as_str()))
        .collect();
    header_rows(
        &mut out,
        &services,
        "weir_rejections_total",
        "reason",
        &policy,
    );
    let no_route = unrouted.rejections[Rejection::ALL
        .iter()
        .position(|r| *r == Rejection::NoRoute)
        .unwrap_or(0)];
    if no_route > 0 {
        let _ = writeln!(
            out,
            "weir_rejections_total{{service=\"\",reason=\"no_route\"}} {no_route}"
        );
    }

    header(
        &mut out,
        "weir_open_connections",
        "gauge",
        "Client connections open on the data plane.",
    );
    let _ = writeln!(out, "weir_open_connections {}", plane.open_connections());
    connections(&mut out, &plane.connections);

    let snap = plane.snapshot();
    header(
        &mut out,
        "weir_config_revision",
        "gauge",
        "Store revision of the configuration serving traffic.",
    );
    let _ = writeln!(out, "weir_config_revision {}", snap.revision);
    header(
        &mut out,
        "weir_config_services",
        "gauge",
        "Services in the configuration serving traffic.",
    );
    let _ = writeln!(out, "weir_config_services {}", snap.config.services.len());
    let reachable = plane.store.reachable.load(Ordering::Relaxed);
    header(
        &mut out,
        "weir_store_reachable",
        "gauge",
        "1 when the last poll of the configuration store succeeded, 0 while it is unreachable (the configuration in use keeps serving).",
    );
    let _ = writeln!(out, "weir_store_reachable {}", u8::from(reachable));
    let from_cache = plane.store.from_cache.load(Ordering::Relaxed);
    header(
        &mut out,
        "weir_config_from_cache",
        "gauge",
        "1 when the configuration serving traffic was read from the local cache file at start (the store was unreachable) and the store has not delivered one since.",
    );
    let _ = writeln!(out, "weir_config_from_cache {}", u8::from(from_cache));
    let (ok, refused) = plane.install_counts();
    header(
        &mut out,
        "weir_config_reloads_total",
        "counter",
        "Configurations installed (ok) or refused because they did not compile.",
    );
    let _ = writeln!(out, "weir_config_reloads_total{{result=\"ok\"}} {ok}");
    let _ = writeln!(
        out,
        "weir_config_reloads_total{{result=\"refused\"}} {refused}"
    );
    if let Some(log) = &plane.options.access_log {
        header(
            &mut out,
            "weir_access_log_dropped_total",
            "counter",
            "Access log lines dropped because the writer could not keep up.",
        );
        let _ = writeln!(out, "weir_access_log_dropped_total {}", log.dropped());
    }
    if let Some(compat) = &plane.options.go_gateway_compat {
        header(
            &mut out,
            "weir_compat_go_gateway_tokens_total",
            "counter",
            "Requests admitted with a token issued by go-gateway ([compat] go_gateway_token_secret).",
        );
        let _ = writeln!(
            out,
            "weir_compat_go_gateway_tokens_total {}",
            compat.accepted()
        );
    }
    limits(&mut out, &*plane.options.limits);
    resilience(&mut out, &snap);
    mirrors(&mut out, &snap);
    out
}

/// Copies of mirrored services by outcome (since the configuration was
/// applied), and copies in flight.
fn mirrors(out: &mut String, snap: &crate::snapshot::Snapshot) {
    use std::sync::atomic::Ordering::Relaxed;
    let with: Vec<_> = snap
        .config
        .services
        .iter()
        .filter_map(|s| s.mirror.as_ref().map(|m| (esc(&s.name), m)))
        .collect();
    header(
        out,
        "weir_mirror_requests_total",
        "counter",
        "Copies of requests sent to a mirror's shadow, by service and outcome (sent: the shadow answered; failed; skipped: not copied).",
    );
    for (name, m) in &with {
        for (outcome, n) in [
            ("sent", &m.counts.sent),
            ("failed", &m.counts.failed),
            ("skipped", &m.counts.skipped),
        ] {
            let _ = writeln!(
                out,
                "weir_mirror_requests_total{{service=\"{name}\",outcome=\"{outcome}\"}} {}",
                n.load(Relaxed)
            );
        }
    }
    header(
        out,
        "weir_mirror_in_flight",
        "gauge",
        "Copies on their way to a mirror's shadow now, by service.",
    );
    for (name, m) in &with {
        let _ = writeln!(
            out,
            "weir_mirror_in_flight{{service=\"{name}\"}} {}",
            m.counts.in_flight.load(Relaxed)
        );
    }
}

/// Retries and circuit breakers, by service: services with a `retry` or
/// `circuit_breaker` block always, others once they have retried.
fn resilience(out: &mut String, snap: &crate::snapshot::Snapshot) {
    let services: Vec<(&str, &crate::upstream::UpstreamRuntime)> = snap
        .config
        .services
        .iter()
        .zip(snap.services.iter())
        .map(|(svc, rt)| (&*svc.name, &*rt.upstream))
        .collect();
    let shown = |up: &crate::upstream::UpstreamRuntime| {
        up.spec.retry.configured || up.resilience.retries() > 0
    };
    header(
        out,
        "weir_upstream_retries_total",
        "counter",
        "Tries the gateway started again, by service (upstream.retry, or the built-in retry on another node).",
    );
    for (name, up) in services.iter().filter(|(_, up)| shown(up)) {
        let n = up.resilience.retries();
        let _ = writeln!(
            out,
            "weir_upstream_retries_total{{service=\"{}\"}} {n}",
            esc(name)
        );
    }
    header(
        out,
        "weir_upstream_retry_budget_exhausted_total",
        "counter",
        "Retries the retry budget refused (the last try's answer went to the client), by service.",
    );
    for (name, up) in services.iter().filter(|(_, up)| shown(up)) {
        let n = up.resilience.budget_refused();
        let _ = writeln!(
            out,
            "weir_upstream_retry_budget_exhausted_total{{service=\"{}\"}} {n}",
            esc(name)
        );
    }
    breakers(out, &services);
}

/// Requests refused by circuit breakers, and what each breaker counts now.
fn breakers(out: &mut String, services: &[(&str, &crate::upstream::UpstreamRuntime)]) {
    use crate::upstream::BreakerLimit;
    let with: Vec<_> = services
        .iter()
        .filter_map(|(name, up)| up.spec.circuit_breaker.map(|cb| (esc(name), *up, cb)))
        .collect();
    header(
        out,
        "weir_circuit_open_total",
        "counter",
        "Requests answered 503 circuit_open, by service and the circuit_breaker limit they met.",
    );
    for (name, up, _) in &with {
        for limit in BreakerLimit::ALL {
            let n = up.resilience.circuit_open(limit);
            let l = limit.as_str();
            let _ = writeln!(
                out,
                "weir_circuit_open_total{{service=\"{name}\",limit=\"{l}\"}} {n}"
            );
        }
    }
    header(
        out,
        "weir_circuit_in_use",
        "gauge",
        "What each circuit breaker counts now against its limits: open connections, requests waiting for a connection, requests in flight.",
    );
    for (name, up, cb) in &with {
        let now = up.resilience.in_use();
        for (limit, set, n) in [
            ("max_connections", cb.max_connections, now.connections),
            ("max_pending", cb.max_pending, now.pending),
            ("max_requests", cb.max_requests, now.requests),
        ] {
            if set.is_some() {
                let _ = writeln!(
                    out,
                    "weir_circuit_in_use{{service=\"{name}\",limit=\"{limit}\"}} {n}"
                );
            }
        }
    }
}

/// Where limits are counted: one series per mode, 1 for the current one.
fn limits(out: &mut String, backend: &dyn crate::policy::limit::LimitBackend) {
    let status = backend.status();
    header(
        out,
        "weir_limits_mode",
        "gauge",
        "Where this node counts limits and quotas: local (this process), shared (the fleet, in Redis) or degraded (Redis away: this node counts its share).",
    );
    for mode in ["local", "shared", "degraded"] {
        let on = u8::from(status.mode() == mode);
        let _ = writeln!(out, "weir_limits_mode{{mode=\"{mode}\"}} {on}");
    }
    if status.mode() != "local" {
        header(
            out,
            "weir_limits_redis_errors_total",
            "counter",
            "Exchanges with Redis for fleet-wide limits that failed or timed out.",
        );
        let _ = writeln!(
            out,
            "weir_limits_redis_errors_total {}",
            backend.sync_errors()
        );
    }
}

/// Refused and timed-out client connections of the HTTP listeners.
fn connections(out: &mut String, gate: &ConnGate) {
    let limits = gate.limits();
    header(
        out,
        "weir_connections_limit",
        "gauge",
        "Configured caps on open client connections (max_connections, max_connections_per_ip).",
    );
    let _ = writeln!(
        out,
        "weir_connections_limit{{limit=\"max_connections\"}} {}",
        limits.max_total
    );
    let _ = writeln!(
        out,
        "weir_connections_limit{{limit=\"max_connections_per_ip\"}} {}",
        limits.max_per_ip
    );
    header(
        out,
        "weir_connections_refused_total",
        "counter",
        "Client connections closed right after accept because a cap was reached, by the setting that refused them.",
    );
    for why in ConnRefusal::ALL {
        let _ = writeln!(
            out,
            "weir_connections_refused_total{{reason=\"{}\"}} {}",
            why.as_str(),
            gate.refused(why)
        );
    }
    header(
        out,
        "weir_connections_timed_out_total",
        "counter",
        "Client connections the gateway closed: no first request head in time (header_read_timeout) or idle (idle_timeout).",
    );
    for why in ConnTimeout::ALL {
        let _ = writeln!(
            out,
            "weir_connections_timed_out_total{{reason=\"{}\"}} {}",
            why.as_str(),
            gate.timeouts(why)
        );
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn header_rows(
    out: &mut String,
    services: &[(String, std::sync::Arc<ScopeStats>)],
    metric: &str,
    label: &str,
    reasons: &[(Rejection, &str)],
) {
    for (name, st) in services {
        let c = st.counters();
        for (r, text) in reasons {
            let idx = Rejection::ALL.iter().position(|x| x == r).unwrap_or(0);
            let v = c.rejections[idx];
            if v > 0 {
                let _ = writeln!(
                    out,
                    "{metric}{{service=\"{}\",{label}=\"{text}\"}} {v}",
                    esc(name)
                );
            }
        }
    }
}

/// Label value escaping per the exposition format.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
