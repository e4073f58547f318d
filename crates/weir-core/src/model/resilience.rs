//! Resilience of an upstream (HTTP and gRPC services): how a failed request
//! is tried again (`retry`), and how much the service may ask of its nodes
//! at once before the gateway refuses more itself (`circuit_breaker`).
//!
//! Without a `retry` block the gateway keeps its built-in behaviour: one
//! more try on another node when the first never reached its node, or
//! (idempotent requests without a body) when the node failed before
//! answering. See docs/proxying.md ("Retries") and docs/health.md.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{HumanDuration, is_default};

/// `upstream.retry`: which failures are tried again, how often, how soon,
/// and how many retries the upstream may take on top of its traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = never retry; at most 10).
    #[serde(
        default = "default_attempts",
        skip_serializing_if = "is_default_attempts"
    )]
    pub attempts: u32,
    /// The failures that are tried again.
    #[serde(
        default = "default_retry_on",
        skip_serializing_if = "is_default_retry_on"
    )]
    pub retry_on: Vec<RetryOn>,
    /// Response statuses tried again besides those `retry_on` names
    /// (e.g. `409`, `429`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub statuses: Vec<u16>,
    /// gRPC statuses tried again when the node answers with them in the
    /// response head (a Trailers-Only answer): names such as `unavailable`
    /// or numbers. gRPC services only.
    #[serde(default, skip_serializing_if = "is_default")]
    pub grpc_statuses: Vec<GrpcStatus>,
    /// The longest wait of one try for its response headers (at most
    /// `timeouts.response_header`); absent: that timeout.
    #[serde(default, skip_serializing_if = "is_default")]
    pub per_try_timeout: Option<HumanDuration>,
    /// The wait before each retry.
    #[serde(default, skip_serializing_if = "is_default")]
    pub backoff: Backoff,
    /// How many retries the upstream takes on top of its requests.
    #[serde(default, skip_serializing_if = "is_default")]
    pub budget: RetryBudget,
}

field_default!(default_attempts, is_default_attempts: u32 = 2);
field_default!(
    default_retry_on,
    is_default_retry_on: Vec<RetryOn> =
        vec![RetryOn::ConnectFailure, RetryOn::Reset, RetryOn::Timeout]
);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: default_attempts(),
            retry_on: default_retry_on(),
            statuses: Vec::new(),
            grpc_statuses: Vec::new(),
            per_try_timeout: None,
            backoff: Backoff::default(),
            budget: RetryBudget::default(),
        }
    }
}

/// A failure a retry policy may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryOn {
    /// Nothing reached the node: connect refused, failed or timed out, a
    /// pooled connection found closed. Safe for every request.
    ConnectFailure,
    /// The node took the request and failed before answering (reset,
    /// closed, malformed answer).
    Reset,
    /// No response headers within the try's timeout.
    Timeout,
    /// Any 5xx answer of the node.
    #[serde(rename = "5xx")]
    ServerError,
    /// A 502, 503 or 504 answer of the node.
    GatewayError,
}

impl RetryOn {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryOn::ConnectFailure => "connect_failure",
            RetryOn::Reset => "reset",
            RetryOn::Timeout => "timeout",
            RetryOn::ServerError => "5xx",
            RetryOn::GatewayError => "gateway_error",
        }
    }
}

/// A gRPC status as written: a name (`unavailable`, `RESOURCE_EXHAUSTED`)
/// or a number (`14`). Validation names the ones that are neither.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrpcStatus {
    Code(u32),
    Name(String),
}

impl fmt::Display for GrpcStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrpcStatus::Code(c) => write!(f, "{c}"),
            GrpcStatus::Name(n) => f.write_str(n),
        }
    }
}

/// The gRPC status codes by name (index = code).
pub const GRPC_STATUS_NAMES: [&str; 17] = [
    "ok",
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

impl GrpcStatus {
    /// The code this names, if it names one (names in any case).
    pub fn code(&self) -> Option<u8> {
        match self {
            GrpcStatus::Code(c) => u8::try_from(*c)
                .ok()
                .filter(|c| usize::from(*c) < GRPC_STATUS_NAMES.len()),
            GrpcStatus::Name(n) => GRPC_STATUS_NAMES
                .iter()
                .position(|known| known.eq_ignore_ascii_case(n))
                .and_then(|i| u8::try_from(i).ok()),
        }
    }
}

/// Exponential back-off with full jitter: before retry `n` (1 for the
/// first) the gateway waits a random time between 0 and
/// `min(max, base × 2^(n-1))`. `base: 0ms` retries at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    #[serde(default = "default_base", skip_serializing_if = "is_default_base")]
    pub base: HumanDuration,
    #[serde(default = "default_max", skip_serializing_if = "is_default_max")]
    pub max: HumanDuration,
}

field_default!(default_base, is_default_base: HumanDuration = HumanDuration::from_millis(25));
field_default!(default_max, is_default_max: HumanDuration = HumanDuration::from_millis(250));

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: default_base(),
            max: default_max(),
        }
    }
}

/// Retries the upstream may take on top of its traffic: at most `percent`
/// of its live requests (those waiting for an answer) may be retries at
/// once, and whatever that share says, `min_per_second` retries may start
/// each second, so a quiet service can still retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    #[serde(
        default = "default_percent",
        skip_serializing_if = "is_default_percent"
    )]
    pub percent: u32,
    #[serde(
        default = "default_min_per_second",
        skip_serializing_if = "is_default_min_per_second"
    )]
    pub min_per_second: u32,
}

field_default!(default_percent, is_default_percent: u32 = 20);
field_default!(default_min_per_second, is_default_min_per_second: u32 = 10);

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            percent: default_percent(),
            min_per_second: default_min_per_second(),
        }
    }
}

/// `upstream.circuit_breaker`: what the service may ask of its nodes at
/// once. A request over a limit is answered `503 circuit_open` at once,
/// without waiting. An absent limit is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Connections the service opened to its nodes and that are still
    /// open, busy or idle in the pool.
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_connections: Option<u32>,
    /// Requests waiting for a connection to be opened.
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_pending: Option<u32>,
    /// Requests in flight (from the first try until the response ends).
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_requests: Option<u32>,
}
