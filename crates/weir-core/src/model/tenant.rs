//! Tenants (the seed's "apps"): callers that authenticate with an app id and
//! secret, receive JWTs from the gateway's token endpoint, and carry their
//! own IP allow list, rate limit and daily quota.

use serde::{Deserialize, Serialize};

use super::{is_default, is_true, yes};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Unique id; the token's issuer and subject.
    pub app_id: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub description: String,
    /// Client secret for the token endpoint. Not printed by `weir export`
    /// unless `--include-secrets`; omitted on `apply`, the stored one is kept.
    #[serde(default, skip_serializing_if = "is_default")]
    pub secret: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Addresses the tenant may call from; empty = anywhere.
    #[serde(default, skip_serializing_if = "is_default")]
    pub ip_allow: Vec<String>,
    /// Requests per second across all services; 0 = unlimited.
    #[serde(default, skip_serializing_if = "is_default")]
    pub qps: u32,
    /// Requests per calendar day (in the gateway's time zone); 0 = unlimited.
    #[serde(default, skip_serializing_if = "is_default")]
    pub qpd: u64,
}
