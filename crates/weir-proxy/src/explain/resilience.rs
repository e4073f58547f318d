//! Explain's resilience section: the retry policy that applies to the
//! request (configured, or the built-in one), which of its conditions can
//! send this request again — the data plane's own rules (`http::retry`):
//! a request that reached a node is sent again only when replayable — and
//! the circuit breaker with what it counts at this moment.

use http::Method;
use http::header::{self, HeaderMap};
use weir_core::compile::{CompiledRetry, EffectiveTimeouts};
use weir_core::model::{GRPC_STATUS_NAMES, RetryOn};
use weir_core::report::{BreakerReport, ResilienceReport, RetryReport};

use super::{ExplainText, owned};
use crate::http::retry::REPLAY_MAX_BYTES;
use crate::upstream::UpstreamRuntime;

/// What explain knows of the request that decides its retries.
pub(super) struct Shape<'a> {
    pub method: &'a str,
    pub headers: &'a HeaderMap,
    pub upgrade: bool,
    pub grpc: bool,
    /// Nodes that could take it now.
    pub candidates: usize,
}

pub(super) fn report(
    up: &UpstreamRuntime,
    shape: &Shape<'_>,
    timeouts: &EffectiveTimeouts,
) -> ResilienceReport {
    ResilienceReport {
        retry: retry(&up.spec.retry, shape, timeouts),
        circuit_breaker: up.spec.circuit_breaker.map(|cb| {
            let now = up.resilience.in_use();
            BreakerReport {
                max_connections: cb.max_connections,
                max_pending: cb.max_pending,
                max_requests: cb.max_requests,
                connections: now.connections,
                pending: now.pending,
                requests: now.requests,
                open: cb
                    .max_requests
                    .is_some_and(|m| now.requests >= u64::from(m)),
            }
        }),
    }
}

fn retry(policy: &CompiledRetry, shape: &Shape<'_>, timeouts: &EffectiveTimeouts) -> RetryReport {
    let replayable = replayable(policy, shape);
    let words: Vec<String> = policy.on.iter().map(|on| on.as_str().to_owned()).collect();
    let grpc: Vec<String> = policy
        .grpc_codes()
        .map(|c| {
            GRPC_STATUS_NAMES
                .get(usize::from(c))
                .map_or(c.to_string(), |n| (*n).to_owned())
        })
        .collect();
    let detail = detail(policy, shape, replayable, &words, &grpc);
    RetryReport {
        configured: policy.configured,
        attempts: policy.attempts,
        retry_on: words,
        statuses: policy.statuses.clone(),
        grpc_statuses: grpc,
        // The bound a try has: never longer than the request's
        // response-header timeout (the route's or the upstream's).
        per_try_timeout_ms: policy
            .per_try_timeout
            .map(|_| timeouts.per_try.as_millis() as u64),
        backoff_base_ms: policy.backoff_base.as_millis() as u64,
        backoff_max_ms: policy.backoff_max.as_millis() as u64,
        budget_percent: policy.budget.map(|b| b.percent),
        budget_min_per_second: policy.budget.map(|b| b.min_per_second),
        replayable,
        detail: detail.to_string(),
        detail_code: detail.code().into(),
        detail_params: owned(detail.params()),
    }
}

/// Whether the request may be sent again after it reached a node: as
/// `http::retry::Replay::of` decides for an idempotent request.
fn replayable(policy: &CompiledRetry, shape: &Shape<'_>) -> bool {
    let idempotent = shape
        .method
        .parse::<Method>()
        .is_ok_and(|m| m.is_idempotent());
    if shape.upgrade || !idempotent || policy.attempts < 2 {
        return false;
    }
    match body_len(shape.headers) {
        Some(0) => true,
        Some(len) => policy.configured && len <= REPLAY_MAX_BYTES as u64,
        // A streamed body of unknown length: kept while it stays small.
        None => policy.configured,
    }
}

/// The declared body length: 0 without a body, `None` when streamed.
fn body_len(headers: &HeaderMap) -> Option<u64> {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return None;
    }
    match headers.get(header::CONTENT_LENGTH) {
        None => Some(0),
        Some(v) => v.to_str().ok()?.parse().ok(),
    }
}

fn detail(
    policy: &CompiledRetry,
    shape: &Shape<'_>,
    replayable: bool,
    words: &[String],
    grpc: &[String],
) -> ExplainText {
    let tries = policy.attempts.to_string();
    if policy.attempts < 2 {
        return ExplainText::RetryNone;
    }
    if !policy.same_node && shape.candidates < 2 {
        return ExplainText::RetryNoOtherNode;
    }
    if replayable {
        let statuses = policy.statuses.iter().map(u16::to_string);
        let on: Vec<String> = words
            .iter()
            .cloned()
            .chain(statuses)
            .chain(grpc.iter().cloned())
            .collect();
        if on.is_empty() {
            return ExplainText::RetryNone;
        }
        return ExplainText::RetryOn {
            tries,
            on: on.join(", "),
        };
    }
    let unsent = policy.on.has(RetryOn::ConnectFailure);
    // A gRPC call is sent again on the statuses the policy names, whatever
    // its method (the node said it did not handle it).
    if shape.grpc && !grpc.is_empty() && !shape.upgrade {
        let mut on: Vec<String> = unsent
            .then(|| "connect_failure".to_owned())
            .into_iter()
            .collect();
        on.extend(grpc.iter().cloned());
        return ExplainText::RetryOn {
            tries,
            on: on.join(", "),
        };
    }
    if !unsent {
        return ExplainText::RetryNone;
    }
    ExplainText::RetryUnsentOnly {
        tries,
        method: shape.method.to_owned(),
    }
}
