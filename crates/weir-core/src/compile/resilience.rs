//! Validation and compilation of an upstream's `retry` policy and
//! `circuit_breaker` into the form the data plane reads on every request:
//! conditions as bit sets, durations resolved, and the built-in policy
//! (what the gateway does without a `retry` block) written out once here so
//! that the data plane and explain read one value either way.

use std::time::Duration;

use crate::error::ValidationErrors;
use crate::model::{CircuitBreaker, RetryOn, RetryPolicy, ServiceKind, Upstream};
use crate::msg::Msg;
use crate::rules::{
    BREAKER_LIMIT, MAX_BACKOFF_SECS, MAX_BUDGET_PERCENT, MAX_RETRIES_PER_SECOND, RETRY_ATTEMPTS,
    RETRY_STATUS,
};

/// A set of [`RetryOn`] conditions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RetryOnSet(u8);

impl RetryOnSet {
    /// Every condition, in the configuration's order.
    pub const ALL: [RetryOn; 5] = [
        RetryOn::ConnectFailure,
        RetryOn::Reset,
        RetryOn::Timeout,
        RetryOn::ServerError,
        RetryOn::GatewayError,
    ];

    fn bit(on: RetryOn) -> u8 {
        1 << (on as u8)
    }

    pub fn of(list: &[RetryOn]) -> Self {
        Self(list.iter().fold(0, |acc, on| acc | Self::bit(*on)))
    }

    pub fn has(self, on: RetryOn) -> bool {
        self.0 & Self::bit(on) != 0
    }

    /// The conditions in the set, in [`Self::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = RetryOn> {
        Self::ALL.into_iter().filter(move |on| self.has(*on))
    }
}

/// The retry budget: at most `percent` of the live requests may be retries
/// at once; `min_per_second` retries may start each second regardless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompiledBudget {
    pub percent: u32,
    pub min_per_second: u32,
}

/// How the requests of one upstream are tried again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledRetry {
    /// Written in the configuration (`false`: the built-in behaviour).
    pub configured: bool,
    /// Tries in all, the first included.
    pub attempts: u32,
    pub on: RetryOnSet,
    /// Further response statuses that are retried, sorted.
    pub statuses: Vec<u16>,
    /// gRPC status codes that are retried: bit `n` for code `n`.
    pub grpc_statuses: u32,
    /// Bounds each try's wait for response headers, as written; a try
    /// waits the shorter of this and the request's response-header timeout
    /// (the route's or the upstream's: `EffectiveTimeouts::per_try`).
    pub per_try_timeout: Option<Duration>,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub budget: Option<CompiledBudget>,
    /// When every usable node has been tried, a retry may go to one of them
    /// again. The built-in behaviour only ever tries another node.
    pub same_node: bool,
}

impl CompiledRetry {
    /// Without a `retry` block: one more try, on another node, when the
    /// first never reached its node or (idempotent requests without a
    /// body) when the node failed before answering; at once, unbudgeted.
    pub fn builtin() -> Self {
        Self {
            configured: false,
            attempts: 2,
            on: RetryOnSet::of(&[RetryOn::ConnectFailure, RetryOn::Reset]),
            statuses: Vec::new(),
            grpc_statuses: 0,
            per_try_timeout: None,
            backoff_base: Duration::ZERO,
            backoff_max: Duration::ZERO,
            budget: None,
            same_node: false,
        }
    }

    /// Whether an answer with `status` is tried again.
    pub fn retries_status(&self, status: u16) -> bool {
        (self.on.has(RetryOn::ServerError) && (500..=599).contains(&status))
            || (self.on.has(RetryOn::GatewayError) && matches!(status, 502..=504))
            || self.statuses.binary_search(&status).is_ok()
    }

    /// Whether an answer carrying gRPC status `code` in its head is tried
    /// again.
    pub fn retries_grpc(&self, code: u32) -> bool {
        code < 32 && self.grpc_statuses & (1 << code) != 0
    }

    /// The gRPC status codes retried, in order.
    pub fn grpc_codes(&self) -> impl Iterator<Item = u8> + '_ {
        (0u8..32).filter(|c| self.grpc_statuses & (1 << c) != 0)
    }
}

/// `upstream.retry` of a service of `kind` (reporting under `path`, the
/// upstream's path). Without one: [`CompiledRetry::builtin`].
pub(super) fn compile_retry(
    up: &Upstream,
    kind: ServiceKind,
    path: &str,
    errors: &mut ValidationErrors,
) -> CompiledRetry {
    let Some(r) = &up.retry else {
        return CompiledRetry::builtin();
    };
    let p = format!("{path}.retry");
    if kind == ServiceKind::Tcp {
        not_for_tcp(&p, Msg::WhyTcpBytes, errors);
    }
    if !RETRY_ATTEMPTS.contains(&r.attempts) {
        errors.push(
            format!("{p}.attempts"),
            Msg::Between {
                min: u64::from(*RETRY_ATTEMPTS.start()),
                max: u64::from(*RETRY_ATTEMPTS.end()),
            },
        );
    }
    let mut statuses = Vec::with_capacity(r.statuses.len());
    for (i, s) in r.statuses.iter().enumerate() {
        if RETRY_STATUS.contains(s) {
            statuses.push(*s);
        } else {
            errors.push(
                format!("{p}.statuses[{i}]"),
                Msg::Between {
                    min: u64::from(*RETRY_STATUS.start()),
                    max: u64::from(*RETRY_STATUS.end()),
                },
            );
        }
    }
    statuses.sort_unstable();
    statuses.dedup();
    let grpc_statuses = grpc_codes(r, kind, &p, errors);
    check_timing(r, &p, errors);
    check_budget(r, &p, errors);
    CompiledRetry {
        configured: true,
        attempts: r.attempts,
        on: RetryOnSet::of(&r.retry_on),
        statuses,
        grpc_statuses,
        // As written: a route's `timeouts.response_header` may be longer
        // than the upstream's, so the shorter of the two is taken per
        // request (`RouteTimeouts::resolve`).
        per_try_timeout: r.per_try_timeout.map(|t| t.get()),
        backoff_base: r.backoff.base.get(),
        backoff_max: r.backoff.max.get(),
        budget: Some(CompiledBudget {
            percent: r.budget.percent,
            min_per_second: r.budget.min_per_second,
        }),
        same_node: true,
    }
}

fn not_for_tcp(path: &str, why: Msg, errors: &mut ValidationErrors) {
    errors.push(
        path,
        Msg::NotForKind {
            kind: ServiceKind::Tcp.as_str().to_owned(),
            why: why.into(),
        },
    );
}

fn grpc_codes(r: &RetryPolicy, kind: ServiceKind, p: &str, errors: &mut ValidationErrors) -> u32 {
    if !r.grpc_statuses.is_empty() && kind != ServiceKind::Grpc {
        errors.push(format!("{p}.grpc_statuses"), Msg::OnlyForGrpc);
        return 0;
    }
    let mut bits = 0u32;
    for (i, s) in r.grpc_statuses.iter().enumerate() {
        match s.code() {
            Some(code) => bits |= 1 << code,
            None => errors.push(
                format!("{p}.grpc_statuses[{i}]"),
                Msg::GrpcStatusUnknown {
                    value: s.to_string(),
                },
            ),
        }
    }
    bits
}

fn check_timing(r: &RetryPolicy, p: &str, errors: &mut ValidationErrors) {
    if r.per_try_timeout.is_some_and(|t| t.get().is_zero()) {
        errors.push(format!("{p}.per_try_timeout"), Msg::GreaterThanZero);
    }
    let longest = Duration::from_secs(MAX_BACKOFF_SECS);
    for (field, d) in [("base", r.backoff.base), ("max", r.backoff.max)] {
        if d.get() > longest {
            errors.push(
                format!("{p}.backoff.{field}"),
                Msg::BetweenSeconds {
                    min: 0,
                    max: MAX_BACKOFF_SECS,
                },
            );
        }
    }
    if r.backoff.max < r.backoff.base {
        errors.push(
            format!("{p}.backoff.max"),
            Msg::NotLessThan {
                other: "base".into(),
            },
        );
    }
}

fn check_budget(r: &RetryPolicy, p: &str, errors: &mut ValidationErrors) {
    if r.budget.percent > MAX_BUDGET_PERCENT {
        errors.push(
            format!("{p}.budget.percent"),
            Msg::Between {
                min: 0,
                max: u64::from(MAX_BUDGET_PERCENT),
            },
        );
    }
    if r.budget.min_per_second > MAX_RETRIES_PER_SECOND {
        errors.push(
            format!("{p}.budget.min_per_second"),
            Msg::AtMost {
                max: u64::from(MAX_RETRIES_PER_SECOND),
            },
        );
    }
}

/// `upstream.circuit_breaker`, checked: every limit written is in
/// [`BREAKER_LIMIT`]; tcp services bound connections with
/// `limits.max_connections` instead.
pub(super) fn compile_breaker(
    up: &Upstream,
    kind: ServiceKind,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CircuitBreaker> {
    let cb = up.circuit_breaker?;
    let p = format!("{path}.circuit_breaker");
    if kind == ServiceKind::Tcp {
        not_for_tcp(&p, Msg::WhyTcpBreaker, errors);
    }
    for (field, limit) in [
        ("max_connections", cb.max_connections),
        ("max_pending", cb.max_pending),
        ("max_requests", cb.max_requests),
    ] {
        if limit.is_some_and(|n| !BREAKER_LIMIT.contains(&n)) {
            errors.push(
                format!("{p}.{field}"),
                Msg::Between {
                    min: u64::from(*BREAKER_LIMIT.start()),
                    max: u64::from(*BREAKER_LIMIT.end()),
                },
            );
        }
    }
    Some(cb)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::compile::compile;
    use crate::model::RetryOn;
    use crate::yaml::parse_document;

    use super::{CompiledRetry, RetryOnSet};

    fn upstream(kind: &str, extra: &str) -> String {
        let head = match kind {
            "tcp" => "kind: tcp, port: 9000".to_owned(),
            "grpc" => "kind: grpc, port: 9000".to_owned(),
            _ => "match: { prefix: /a }".to_owned(),
        };
        format!(
            "services:\n  - {{ name: a, {head}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}], {extra} }} }}\n"
        )
    }

    fn compiled(kind: &str, extra: &str) -> crate::compile::CompiledUpstream {
        let c = compile(&parse_document(&upstream(kind, extra)).unwrap()).unwrap();
        c.service("a").unwrap().upstream.clone()
    }

    fn errors(kind: &str, extra: &str) -> Vec<String> {
        match compile(&parse_document(&upstream(kind, extra)).unwrap()) {
            Ok(_) => panic!("expected errors for {extra}"),
            Err(e) => e.errors.iter().map(ToString::to_string).collect(),
        }
    }

    fn assert_error(kind: &str, extra: &str, path: &str, fragment: &str) {
        let errs = errors(kind, extra);
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("services[0].upstream.{path}:"))
                    && e.contains(fragment)),
            "expected `{path}: ...{fragment}...` in {errs:#?}"
        );
    }

    #[test]
    fn without_a_retry_block_the_builtin_behaviour_applies() {
        let up = compiled("http", "balance: round_robin");
        assert_eq!(up.retry, CompiledRetry::builtin());
        assert!(!up.retry.configured && !up.retry.same_node);
        assert_eq!(up.retry.attempts, 2);
        assert!(up.retry.on.has(RetryOn::ConnectFailure) && up.retry.on.has(RetryOn::Reset));
        assert!(!up.retry.on.has(RetryOn::Timeout));
        assert!(!up.retry.retries_status(503));
        assert_eq!(up.retry.budget, None);
        assert_eq!(up.circuit_breaker, None);
    }

    #[test]
    fn a_policy_compiles_with_its_defaults_and_conditions() {
        let up = compiled("http", "retry: {}");
        assert!(up.retry.configured && up.retry.same_node);
        assert_eq!(
            up.retry.on.iter().collect::<Vec<_>>(),
            [RetryOn::ConnectFailure, RetryOn::Reset, RetryOn::Timeout]
        );
        assert_eq!(up.retry.backoff_base, Duration::from_millis(25));
        assert_eq!(up.retry.backoff_max, Duration::from_millis(250));
        let budget = up.retry.budget.unwrap();
        assert_eq!((budget.percent, budget.min_per_second), (20, 10));

        let up = compiled(
            "http",
            "timeouts: { response_header: 3s }, retry: { attempts: 4, retry_on: [gateway_error], statuses: [429, 409, 429], per_try_timeout: 10s }",
        );
        let r = &up.retry;
        assert_eq!(r.attempts, 4);
        assert_eq!(r.statuses, [409, 429]);
        assert!(r.retries_status(503) && r.retries_status(429) && !r.retries_status(500));
        // Kept as written; the upstream's shorter response-header timeout
        // bounds a try per request (`RouteTimeouts::resolve`).
        assert_eq!(r.per_try_timeout, Some(Duration::from_secs(10)));
        let r = compiled("http", "retry: { retry_on: [5xx] }").retry;
        assert!(r.retries_status(500) && r.retries_status(599) && !r.retries_status(499));
        assert_eq!(RetryOnSet::of(&[]).iter().count(), 0);
    }

    #[test]
    fn grpc_statuses_are_names_or_numbers_on_grpc_services_only() {
        let r = compiled(
            "grpc",
            "retry: { grpc_statuses: [unavailable, RESOURCE_EXHAUSTED, 4] }",
        )
        .retry;
        assert_eq!(r.grpc_codes().collect::<Vec<_>>(), [4, 8, 14]);
        assert!(r.retries_grpc(14) && !r.retries_grpc(2) && !r.retries_grpc(99));
        assert_error(
            "grpc",
            "retry: { grpc_statuses: [unavailable, nope, 17] }",
            "retry.grpc_statuses[1]",
            "\"nope\" is not a gRPC status",
        );
        assert_error(
            "grpc",
            "retry: { grpc_statuses: [17] }",
            "retry.grpc_statuses[0]",
            "not a gRPC status",
        );
        assert_error(
            "http",
            "retry: { grpc_statuses: [unavailable] }",
            "retry.grpc_statuses",
            "only applies to grpc services",
        );
    }

    #[test]
    fn out_of_bounds_settings_are_named_by_their_path() {
        for (extra, path, fragment) in [
            (
                "retry: { attempts: 0 }",
                "retry.attempts",
                "between 1 and 10",
            ),
            (
                "retry: { attempts: 11 }",
                "retry.attempts",
                "between 1 and 10",
            ),
            (
                "retry: { statuses: [503, 200] }",
                "retry.statuses[1]",
                "between 400 and 599",
            ),
            (
                "retry: { per_try_timeout: 0s }",
                "retry.per_try_timeout",
                "greater than 0",
            ),
            (
                "retry: { backoff: { base: 2s, max: 1s } }",
                "retry.backoff.max",
                "not be less than base",
            ),
            (
                "retry: { backoff: { max: 61s } }",
                "retry.backoff.max",
                "between 0s and 60s",
            ),
            (
                "retry: { budget: { percent: 101 } }",
                "retry.budget.percent",
                "between 0 and 100",
            ),
            (
                "retry: { budget: { min_per_second: 100001 } }",
                "retry.budget.min_per_second",
                "at most 100000",
            ),
            (
                "circuit_breaker: { max_requests: 0 }",
                "circuit_breaker.max_requests",
                "between 1 and 1000000",
            ),
            (
                "circuit_breaker: { max_pending: 1000001 }",
                "circuit_breaker.max_pending",
                "between 1 and 1000000",
            ),
        ] {
            assert_error("http", extra, path, fragment);
        }
        // An unknown condition is refused when the document is read.
        let e = parse_document(&upstream("http", "retry: { retry_on: [sometimes] }")).unwrap_err();
        assert!(
            e.message.contains("retry.retry_on[0]") && e.message.contains("5xx"),
            "{e:?}"
        );
    }

    #[test]
    fn tcp_services_take_neither() {
        assert_error(
            "tcp",
            "retry: {}",
            "retry",
            "does not apply to tcp services",
        );
        assert_error(
            "tcp",
            "circuit_breaker: { max_connections: 5 }",
            "circuit_breaker",
            "limits.max_connections",
        );
        let cb = compiled("http", "circuit_breaker: { max_requests: 3 }").circuit_breaker;
        assert_eq!(cb.and_then(|c| c.max_requests), Some(3));
    }
}
