//! Whether and from where instances may register themselves into a service
//! (`POST /api/v1/services/{name}/registrations`). Off unless a service
//! says so: a registrar token must not be able to add any address — the
//! gateway's own admin port, loopback, another tenant's network — as a node.

use serde::{Deserialize, Serialize};

use super::is_default;

/// A service's self-registration settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfRegistration {
    /// Accept registrations (default false).
    #[serde(default, skip_serializing_if = "is_default")]
    pub enabled: bool,
    /// Networks registered addresses must lie in (`10.0.0.0/8`,
    /// `2001:db8::/32`, a single address); required when enabled. Loopback
    /// addresses are accepted only when an entry lies inside loopback
    /// itself (`127.0.0.0/8`, `::1`), not through a wider one such as
    /// `0.0.0.0/0`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub allowed_cidrs: Vec<String>,
    /// Live registrations at most (default 50, 1–10,000).
    #[serde(
        default = "default_max_instances",
        skip_serializing_if = "is_default_max_instances"
    )]
    pub max_instances: u32,
}

pub const DEFAULT_MAX_INSTANCES: u32 = 50;
pub const MAX_MAX_INSTANCES: u32 = 10_000;

field_default!(default_max_instances, is_default_max_instances: u32 = DEFAULT_MAX_INSTANCES);

impl Default for SelfRegistration {
    fn default() -> Self {
        Self {
            enabled: false,
            allowed_cidrs: Vec::new(),
            max_instances: DEFAULT_MAX_INSTANCES,
        }
    }
}
