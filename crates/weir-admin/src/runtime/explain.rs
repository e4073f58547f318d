//! Explain's request. Its answer ([`Explanation`]) and error
//! ([`ExplainError`]) are defined in `weir_core::report`, built by the data
//! plane (`weir_proxy::explain`) and documented here through weir-core's
//! `openapi` feature.

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

// The answer types live in weir-core, where the data plane builds them.
pub use weir_core::report::{
    BalancerChoice, CorsOutcome, CorsReport, ExplainError, ExplainRejection, ExplainVerdict,
    Explanation, HeaderEntry, NodeRef, PolicyOutcome, PolicyVerdict, RouteMatch, UpstreamRequest,
};
