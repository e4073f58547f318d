//! Reports the data plane gives about itself and the admin API serves,
//! defined once: the data plane builds them, the admin API documents them
//! (feature `openapi`: their OpenAPI schemas) and hands them on unchanged.
//! The dashboard's TypeScript types are generated from those schemas
//! (`web/src/api/openapi.json` → `web/src/api/schema.d.ts`), so a field
//! added here reaches it without a hand-kept copy.
//!
//! Here: explain's answer and its error, and the per-service listeners'
//! state.
//!
//! Explain's answer: what the gateway would do with a request (route,
//! policies, upstream request, balancer choice). Each sentence for people
//! comes three ways: its English (`reason`, `detail`), a stable code
//! (`reason_code`, `detail_code`) and the code's named parameters
//! (`reason_params`, `detail_params`), from which a client such as the
//! dashboard says it in its own language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Coded;

/// Explain's answer: what the gateway would do with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// Revision of the configuration the answer is based on.
    pub revision: i64,
    /// `forward` when the request would reach a node.
    pub verdict: ExplainVerdict,
    /// The client IP the gateway would use (after trusted-proxy handling).
    pub client_ip: String,
    /// The matched service; absent when no route matches.
    pub route: Option<RouteMatch>,
    /// What the service's CORS policy makes of the request (the phase
    /// right after routing); absent when no service matches.
    #[serde(default)]
    pub cors: Option<CorsReport>,
    /// Every policy in the order the gateway applies them, with its verdict.
    pub policies: Vec<PolicyVerdict>,
    /// The answer the gateway itself would give, when it would not forward.
    pub rejection: Option<ExplainRejection>,
    /// The request as it would be sent upstream.
    pub upstream_request: Option<UpstreamRequest>,
    /// What the service's compression would do with the answer; absent
    /// when the request would not be forwarded to an HTTP service.
    #[serde(default)]
    pub compression: Option<CompressionChoice>,
    /// The node the balancer would pick.
    pub balancer: Option<BalancerChoice>,
    /// How the request would be tried again and the circuit breaker it
    /// passes (absent when it would not be forwarded).
    #[serde(default)]
    pub resilience: Option<ResilienceReport>,
    /// The service's traffic split, when it has one: which upstream takes
    /// the request.
    #[serde(default)]
    pub split: Option<SplitReport>,
    /// The service's mirror, when it has one.
    #[serde(default)]
    pub mirror: Option<MirrorReport>,
    /// The timeouts the request would be forwarded under, each with where
    /// it comes from (the route's `timeouts:` or the upstream's); absent
    /// when it would not be forwarded.
    #[serde(default)]
    pub timeouts: Option<TimeoutsReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExplainVerdict {
    Forward,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteMatch {
    pub service: String,
    pub kind: String,
    /// The service's `match.host`, when it has one.
    pub host: Option<String>,
    /// The service's `match.prefix`, when it has one.
    pub prefix: Option<String>,
    /// The service's `match.path` (exact path), when it has one.
    #[serde(default)]
    pub path: Option<String>,
    /// The service's `match.path_regex`, when it has one.
    #[serde(default)]
    pub path_regex: Option<String>,
    /// The service's method, header and query conditions, each as text
    /// (`method GET|POST`, `header x-canary = "1"`, `query v ~ "2.*"`,
    /// `header x-debug absent`); all held.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Why this service: e.g. `host api.example.com matches "api.example.com"
    /// (any path)`.
    pub reason: String,
    /// The code of `reason` (e.g. `route_host`).
    #[cfg_attr(feature = "openapi", schema(example = "route_host"))]
    pub reason_code: String,
    /// The parameters of `reason_code`, by name.
    pub reason_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyVerdict {
    /// In the order the gateway applies them: `path`, `routing`, `host`,
    /// `https_redirect`, `ip_allow`, `ip_deny`, `auth`, `auth_tenants`,
    /// `tenant_ip`, `service_qps`, `client_ip_qps`, `tenant_limits`,
    /// `websocket`, `max_body_bytes`.
    pub policy: String,
    pub outcome: PolicyOutcome,
    /// Why, in English (e.g. `203.0.113.7 is not on the allow list`).
    pub detail: String,
    /// The code of `detail` (e.g. `not_on_allow_list`).
    #[cfg_attr(feature = "openapi", schema(example = "not_on_allow_list"))]
    pub detail_code: String,
    /// The parameters of `detail_code`, by name (e.g. `client`).
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// The policy lets the request through.
    Allow,
    /// The policy would refuse the request.
    Reject,
    /// The policy is not configured for this service.
    Skip,
    /// Depends on state explain does not change (e.g. a rate limit's bucket);
    /// `detail` says what it depends on.
    Depends,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplainRejection {
    pub status: u16,
    /// The gateway's error code for it, as the client gets it (e.g.
    /// `no_route`, `ip_denied`).
    pub code: String,
    /// Why, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `no_service_matches`).
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamRequest {
    /// Path and query as sent upstream (after strip_prefix and rewrites).
    pub path: String,
    /// Headers as sent upstream, after hop-by-hop removal, forwarding
    /// headers and the service's header operations, in order.
    pub headers: Vec<HeaderEntry>,
    /// The header operations applied, in the configuration's words:
    /// `set X-Name: value`, `add X-Name: value`, `remove X-Name`.
    pub header_ops: Vec<String>,
    /// The operations the service applies to the upstream's response
    /// headers (`response_headers`), in the same words.
    #[serde(default)]
    pub response_header_ops: Vec<String>,
    /// Whether the request would be a WebSocket upgrade.
    pub upgrade: bool,
}

/// The coding the request's `Accept-Encoding` gets from the service's
/// `compression`. Whether an answer is compressed is decided on the
/// response — its status, type, `Content-Length`, `Content-Encoding` and
/// `Cache-Control: no-transform` — which explain does not see: `encoding`
/// is what a response that qualifies would be sent in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompressionChoice {
    /// Whether the service compresses responses at all.
    pub configured: bool,
    /// `br`, `zstd` or `gzip`: the coding of a qualifying response;
    /// absent when the answer goes unencoded whatever it is (not
    /// configured, a HEAD request, an upgrade, a client that accepts none
    /// of the service's codings).
    pub encoding: Option<String>,
    /// The service's codings in its order of preference.
    pub algorithms: Vec<String>,
    /// Why, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `compression_depends`).
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeaderEntry {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalancerChoice {
    /// The balancing strategy.
    pub strategy: String,
    /// Whether `node` is exactly the node the next such request gets
    /// (consistent hash, a single usable node). Otherwise the pick depends on
    /// a random draw or on requests in between, and `node` is absent or the
    /// next in rotation.
    pub deterministic: bool,
    pub node: Option<NodeRef>,
    /// Every node that could be picked.
    pub candidates: Vec<NodeRef>,
    /// How the strategy picks, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `next_in_rotation`).
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NodeRef {
    /// Position in the service's node list.
    pub index: usize,
    pub addr: String,
    pub weight: u32,
}

/// The retry policy and circuit breaker that apply to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResilienceReport {
    pub retry: RetryReport,
    /// Absent when the upstream has no `circuit_breaker`.
    pub circuit_breaker: Option<BreakerReport>,
}

/// How a request would be tried again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetryReport {
    /// `true` when the upstream has a `retry` block; `false`: the built-in
    /// behaviour (one more try on another node).
    pub configured: bool,
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The conditions tried again (`connect_failure`, `reset`, `timeout`,
    /// `5xx`, `gateway_error`).
    pub retry_on: Vec<String>,
    /// Further response statuses tried again.
    pub statuses: Vec<u16>,
    /// gRPC statuses tried again, by name.
    pub grpc_statuses: Vec<String>,
    pub per_try_timeout_ms: Option<u64>,
    /// Back-off before retries: full jitter up to `min(max, base × 2^(n-1))`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Share of live requests that may be retries at once.
    pub budget_percent: Option<u32>,
    /// Retries that may start each second whatever the share says.
    pub budget_min_per_second: Option<u32>,
    /// Whether this request may be sent again after it reached a node
    /// (an idempotent method and no body). A request that never reached a
    /// node may always be.
    pub replayable: bool,
    /// Which failures retry this request, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `retry_replayable`).
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

/// The upstream's circuit breaker: its limits and what is in use now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreakerReport {
    pub max_connections: Option<u32>,
    pub max_pending: Option<u32>,
    pub max_requests: Option<u32>,
    /// Connections the service has open to its nodes now.
    pub connections: u64,
    /// Requests waiting for a connection now.
    pub pending: u64,
    /// Requests in flight now.
    pub requests: u64,
    /// Whether a request now would be answered `503 circuit_open` (its
    /// requests are at `max_requests`). Depends on traffic: the answer of a
    /// moment.
    pub open: bool,
}

/// Explain's CORS line: what the service's `cors` makes of the request and
/// which fields the gateway puts on the answer for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorsReport {
    pub outcome: CorsOutcome,
    /// The fields the gateway puts on its answer for CORS, in order
    /// (`Access-Control-*`, `Vary`). On a forwarded request they replace the
    /// upstream's `Access-Control-*` fields; `Vary` is added to the
    /// upstream's. Empty when the gateway's answer carries none (no CORS,
    /// or a preflight the IP rules refuse).
    pub headers: Vec<HeaderEntry>,
    /// Why, in English (e.g. `https://app.example.com is on allow_origins
    /// …`).
    pub detail: String,
    /// The code of `detail` (e.g. `cors_origin_allowed`).
    #[cfg_attr(feature = "openapi", schema(example = "cors_origin_allowed"))]
    pub detail_code: String,
    /// The parameters of `detail_code`, by name (e.g. `origin`).
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CorsOutcome {
    /// No CORS: the service has no `cors`, the request no `Origin`, or it
    /// is a WebSocket upgrade. Nothing is added or removed.
    None,
    /// A preflight whose origin, method and headers are allowed: the
    /// gateway answers it itself (`204` with the allow fields); it is
    /// never forwarded.
    PreflightAllowed,
    /// A preflight that is not allowed: the gateway answers it itself
    /// (`204` without allow fields, so the browser does not send the
    /// request); it is never forwarded.
    PreflightRefused,
    /// An allowed origin: the answer carries `Access-Control-Allow-Origin`.
    OriginAllowed,
    /// An origin that is not allowed: the request goes on, its answer
    /// carries no `Access-Control-*` field, so the browser keeps it from
    /// the page.
    OriginNotAllowed,
}

/// Explain's split line: whose upstream takes the request, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitReport {
    /// The service whose upstream takes the request (the routed service
    /// itself when it stays).
    pub upstream_of: String,
    /// What chose the side.
    pub decided_by: SplitDecision,
    /// Each side and its share, the service's own last.
    pub shares: Vec<SplitShare>,
    /// Why, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `split_forced`).
    #[cfg_attr(feature = "openapi", schema(example = "split_forced"))]
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

/// One side of a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitShare {
    pub service: String,
    /// The share in hundredths of a percent (`500` is 5 %).
    pub basis_points: u32,
}

/// The timeouts of a forwarded request: those of the upstream that takes
/// it, each overridden where the routed service's `timeouts:` sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeoutsReport {
    /// The service whose `upstream.timeouts` apply where the route sets
    /// none (a split target's, or the routed service's own).
    pub upstream_of: String,
    /// Connecting to a node.
    pub connect: TimeoutValue,
    /// From the request sent to the response headers.
    pub response_header: TimeoutValue,
    /// How long one try waits for response headers: `response_header`, or
    /// the upstream's `retry.per_try_timeout` when shorter (a gRPC call's
    /// deadline, when shorter still, ends the wait first).
    pub per_try_ms: u64,
    /// A WebSocket tunnel (or gRPC client stream) quiet this long is
    /// closed.
    pub stream_idle: TimeoutValue,
    /// Which of them the route sets, in English.
    pub detail: String,
    /// The code of `detail` (e.g. `timeouts_route`).
    #[cfg_attr(feature = "openapi", schema(example = "timeouts_route"))]
    pub detail_code: String,
    /// The parameters of `detail_code`, by name.
    pub detail_params: BTreeMap<String, String>,
}

/// What chose a split's side: `forced` (a force rule), `sticky` (the
/// sticky key's bucket) or `shared` (the next place in the sequence that
/// spreads requests by percentage: this request's side depends on the
/// requests before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SplitDecision {
    Forced,
    Sticky,
    Shared,
}

/// One effective timeout and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeoutValue {
    pub ms: u64,
    pub from: TimeoutFrom,
}

/// `route`: the routed service's `timeouts:`; `upstream`: the
/// `upstream.timeouts` of the upstream that takes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimeoutFrom {
    Route,
    Upstream,
}

/// Explain's mirror line: where copies go and whether this request would
/// be copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MirrorReport {
    /// The service whose upstream gets the copies (their answers are
    /// discarded).
    pub service: String,
    /// The share copied, in hundredths of a percent.
    pub basis_points: u32,
    /// Whether the next request would be copied (the share is spread
    /// request by request). An upgrade is never copied.
    pub copied: bool,
}

/// Why explain could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// The request description is not valid (field path and message).
    #[error("{path}: {message}")]
    Invalid { path: String, message: Coded },
    /// No configuration is loaded in this process yet.
    #[error("no configuration is loaded yet")]
    NotReady,
}

/// The listener of one service with its own port (`tcp` services, `grpc`
/// services with `port`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListenerInfo {
    pub service: String,
    /// `tcp` or `grpc`.
    #[cfg_attr(feature = "openapi", schema(example = "tcp"))]
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 65535))]
    pub port: u16,
    pub state: ListenerState,
    /// Why binding failed (`failed` only).
    pub error: Option<String>,
    /// Unix seconds of the last state change.
    pub since: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListenerState {
    /// Bound and accepting.
    Listening,
    /// Could not be bound (port taken, permission…); retried on the next
    /// configuration change.
    Failed,
}

/// Requests of one scope in the last few minutes, as this process counted
/// them (another gateway process's traffic is not included). Each request
/// is counted once in `requests`; the other numbers are parts of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecentTraffic {
    /// Seconds covered: 300, less just after start.
    pub window_secs: u64,
    pub requests: u64,
    /// Answered with a 5xx status, by a node or by the gateway; for gRPC
    /// also calls that ended with UNKNOWN, DEADLINE_EXCEEDED, INTERNAL,
    /// UNAVAILABLE or DATA_LOSS (gRPC sends those with HTTP 200).
    pub errors: u64,
    /// Refused by a policy: access rules, authentication, tenants, rate
    /// limits, quotas, connection limits.
    pub rejected_policy: u64,
    /// Answered by the gateway because the upstream failed: connect
    /// errors, timeouts, broken answers, no node available.
    pub failed_upstream: u64,
    /// Client errors answered by the gateway: bad requests, body faults,
    /// clients that went away.
    pub client_errors: u64,
    /// `errors / requests`, 0–1; absent without requests.
    pub error_rate: Option<f64>,
    /// `rejected_policy / requests`, 0–1; absent without requests.
    pub rejection_rate: Option<f64>,
}

impl RecentTraffic {
    /// Fill in the two rates from the counts.
    pub fn with_rates(mut self) -> Self {
        let rate = |n: u64| (self.requests > 0).then(|| n as f64 / self.requests as f64);
        self.error_rate = rate(self.errors);
        self.rejection_rate = rate(self.rejected_policy);
        self
    }
}
