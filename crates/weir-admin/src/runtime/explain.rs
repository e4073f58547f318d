//! Explain's request and answer: what the gateway would do with a request
//! (route, policies, upstream request, balancer choice). The data plane
//! computes it (`weir_proxy::explain`, same field names); these are the API
//! types and their schemas.
//!
//! Each sentence for people comes three ways: its English (`reason`,
//! `detail`), a stable code (`reason_code`, `detail_code`) and the code's
//! named parameters (`reason_params`, `detail_params`), from which a client
//! such as the dashboard says it in its own language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A request to explain: what the gateway would do with it, without sending
/// it anywhere and without changing any state (balancer cursors, limits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    /// HTTP method.
    #[serde(default = "default_method")]
    #[schema(example = "GET")]
    pub method: String,
    /// Host header (or HTTP/2 authority), port allowed.
    #[serde(default)]
    #[schema(example = "api.example.com")]
    pub host: Option<String>,
    /// Path, optionally with a query string.
    #[schema(example = "/user/42?verbose=1")]
    pub path: String,
    /// Request headers (name → value).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Address the request arrives from (the TCP peer). Trusted-proxy
    /// handling then decides the client IP from `X-Forwarded-For`.
    #[schema(example = "203.0.113.7")]
    pub client_ip: String,
    /// `http` (default) or `https`: which listener the request arrives on.
    #[serde(default)]
    pub scheme: Scheme,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    #[default]
    Http,
    Https,
}

fn default_method() -> String {
    "GET".into()
}

/// The answer to [`ExplainRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Explanation {
    /// Revision of the configuration the answer is based on.
    pub revision: i64,
    /// `forward` when the request would reach a node.
    pub verdict: ExplainVerdict,
    /// The client IP the gateway would use (after trusted-proxy handling).
    pub client_ip: String,
    /// The matched service; absent when no route matches.
    pub route: Option<RouteMatch>,
    /// Every policy in the order the gateway applies them, with its verdict.
    pub policies: Vec<PolicyVerdict>,
    /// The answer the gateway itself would give, when it would not forward.
    pub rejection: Option<ExplainRejection>,
    /// The request as it would be sent upstream.
    pub upstream_request: Option<UpstreamRequest>,
    /// The node the balancer would pick.
    pub balancer: Option<BalancerChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExplainVerdict {
    Forward,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RouteMatch {
    pub service: String,
    pub kind: String,
    /// The service's `match.host`, when it has one.
    pub host: Option<String>,
    /// The service's `match.prefix`, when it has one.
    pub prefix: Option<String>,
    /// Why this service: e.g. `host api.example.com matches "api.example.com"
    /// (any path)`.
    pub reason: String,
    /// The code of `reason` (e.g. `route_host`).
    #[schema(example = "route_host")]
    pub reason_code: String,
    /// The parameters of `reason_code`, by name.
    pub reason_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyVerdict {
    /// `routing`, `ip_allow`, `ip_deny`, `auth`, `auth_tenants`, `tenant_ip`,
    /// `service_qps`, `client_ip_qps`, `tenant_qps`, `tenant_quota`,
    /// `websocket`, …
    pub policy: String,
    pub outcome: PolicyOutcome,
    /// Why, in English (e.g. `203.0.113.7 is not on the allow list`).
    pub detail: String,
    /// The code of `detail` (e.g. `not_on_allow_list`).
    #[schema(example = "not_on_allow_list")]
    pub detail_code: String,
    /// The parameters of `detail_code`, by name (e.g. `client`).
    pub detail_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeaderEntry {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeRef {
    /// Position in the service's node list.
    pub index: usize,
    pub addr: String,
    pub weight: u32,
}

/// Why explain could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// The request description is not valid (field path and message).
    #[error("{path}: {message}")]
    Invalid {
        path: String,
        message: weir_core::Coded,
    },
    /// The data plane's answer could not be turned into the API's (a bug).
    #[error("internal: {0}")]
    Internal(String),
    /// No configuration is loaded in this process yet.
    #[error("no configuration is loaded yet")]
    NotReady,
}
