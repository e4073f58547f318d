//! Per-service traffic policies: who may call (IP allow/deny lists, tenant
//! authentication) and how often (rate limits). Seed names: `open_auth`,
//! `white_list` / `open_white_list`, `black_list` / `open_black_list`,
//! `api_white_list`, `service_flow_limit`, `clientip_flow_limit`.

use serde::{Deserialize, Serialize};

use super::{is_default, is_true, yes};

/// Who may call a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Only these client addresses may call (when enabled). An address on
    /// this list is never denied by `ip_deny`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub ip_allow: IpList,
    /// These client addresses are refused (when enabled).
    #[serde(default, skip_serializing_if = "is_default")]
    pub ip_deny: IpList,
    /// Require a tenant's JWT (seed: `open_auth`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub auth: AuthPolicy,
}

/// A switchable list of addresses and networks: `10.0.0.1`, `10.0.0.0/8`,
/// `2001:db8::/32`, or the seed's `192.168.1.*`. An absent list is off
/// (the `Default`); a list that is written is on unless it says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpList {
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub ips: Vec<String>,
}

/// Tenant authentication for a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthPolicy {
    /// Requests need `Authorization: Bearer <token>` from an enabled tenant.
    #[serde(default, skip_serializing_if = "is_default")]
    pub enabled: bool,
    /// Paths that need no token (seed: `api_white_list`): exact paths such as
    /// `/health`, or prefixes written `/public/*`. Matched against the path
    /// the client sent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub allow_paths: Vec<String>,
    /// App ids of the tenants that may call the service; empty = every
    /// enabled tenant with a valid token. A valid token of a tenant not on
    /// the list is refused with 403. Names of tenants that do not exist (or
    /// were deleted) are kept and match nobody, so deleting a tenant never
    /// makes a service's configuration invalid.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tenants: Vec<String>,
}

/// Rate limits of a service; 0 means unlimited. For TCP services the rates
/// count new connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Requests per second for the whole service (seed: `service_flow_limit`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub service_qps: u32,
    /// Requests per second per client IP (seed: `clientip_flow_limit`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub client_ip_qps: u32,
    /// Requests that may arrive at once above the steady rate; default
    /// `max(1, qps / 10)` for each limit.
    #[serde(default, skip_serializing_if = "is_default")]
    pub burst: Option<u32>,
    /// TCP services: connections open at once; 0 = unlimited.
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_connections: u32,
}
