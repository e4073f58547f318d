//! Upstream health: active checks (the seed's probing), passive outlier
//! ejection, and DNS re-resolution bounds for nodes given by name.

use serde::{Deserialize, Serialize};

use super::{HumanDuration, is_default};

/// Active health checks of every node of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// `tcp` (connect, the seed's method), `http` (GET `path`, expect a
    /// status in `expect_status`) or `grpc` (`grpc.health.v1.Health/Check`).
    #[serde(rename = "type", default, skip_serializing_if = "is_default")]
    pub kind: CheckKind,
    #[serde(
        default = "default_interval",
        skip_serializing_if = "is_default_interval"
    )]
    pub interval: HumanDuration,
    #[serde(
        default = "default_timeout",
        skip_serializing_if = "is_default_timeout"
    )]
    pub timeout: HumanDuration,
    /// Consecutive successes that bring an unhealthy node back.
    #[serde(
        default = "default_healthy",
        skip_serializing_if = "is_default_healthy"
    )]
    pub healthy: u32,
    /// Consecutive failures that take a node out.
    #[serde(
        default = "default_unhealthy",
        skip_serializing_if = "is_default_unhealthy"
    )]
    pub unhealthy: u32,
    /// `http`: the path to GET.
    #[serde(default = "default_path", skip_serializing_if = "is_default_path")]
    pub path: String,
    /// `http`: accepted statuses, e.g. `200-399` or `200,204,301-302`.
    #[serde(default = "default_expect", skip_serializing_if = "is_default_expect")]
    pub expect_status: String,
    /// `http`: the Host header (default: the node's address).
    #[serde(default, skip_serializing_if = "is_default")]
    pub host: Option<String>,
    /// `grpc`: the service name asked about (empty = the whole server).
    #[serde(default, skip_serializing_if = "is_default")]
    pub grpc_service: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    #[default]
    Tcp,
    Http,
    Grpc,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Tcp => "tcp",
            CheckKind::Http => "http",
            CheckKind::Grpc => "grpc",
        }
    }
}

field_default!(default_interval, is_default_interval: HumanDuration = HumanDuration::from_secs(5));
field_default!(default_timeout, is_default_timeout: HumanDuration = HumanDuration::from_secs(2));
field_default!(default_healthy, is_default_healthy: u32 = 2);
field_default!(default_unhealthy, is_default_unhealthy: u32 = 3);
field_default!(default_path, is_default_path: String = "/".into());
field_default!(default_expect, is_default_expect: String = "200-399".into());

/// Passive health: take a node out after consecutive failed requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outlier {
    /// Failed requests in a row (connect errors, resets, `failure_statuses`)
    /// that eject a node.
    #[serde(
        default = "default_consecutive",
        skip_serializing_if = "is_default_consecutive"
    )]
    pub consecutive_failures: u32,
    /// First ejection time; each further ejection doubles it.
    #[serde(
        default = "default_base_ejection",
        skip_serializing_if = "is_default_base_ejection"
    )]
    pub base_ejection: HumanDuration,
    /// Longest ejection.
    #[serde(
        default = "default_max_ejection",
        skip_serializing_if = "is_default_max_ejection"
    )]
    pub max_ejection: HumanDuration,
    /// Largest share of nodes (percent) ejected at once, so one bad deploy
    /// cannot empty the pool.
    #[serde(
        default = "default_max_percent",
        skip_serializing_if = "is_default_max_percent"
    )]
    pub max_ejected_percent: u32,
    /// Upstream statuses that count as failures.
    #[serde(
        default = "default_statuses",
        skip_serializing_if = "is_default_statuses"
    )]
    pub failure_statuses: Vec<u16>,
}

field_default!(default_consecutive, is_default_consecutive: u32 = 5);
field_default!(
    default_base_ejection,
    is_default_base_ejection: HumanDuration = HumanDuration::from_secs(30)
);
field_default!(
    default_max_ejection,
    is_default_max_ejection: HumanDuration = HumanDuration::from_secs(300)
);
field_default!(default_max_percent, is_default_max_percent: u32 = 50);
field_default!(default_statuses, is_default_statuses: Vec<u16> = vec![502, 503, 504]);

/// How nodes given by DNS name are re-resolved: on their records' TTL,
/// clamped to these bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSettings {
    #[serde(
        default = "default_min_ttl",
        skip_serializing_if = "is_default_min_ttl"
    )]
    pub min_ttl: HumanDuration,
    #[serde(
        default = "default_max_ttl",
        skip_serializing_if = "is_default_max_ttl"
    )]
    pub max_ttl: HumanDuration,
}

field_default!(default_min_ttl, is_default_min_ttl: HumanDuration = HumanDuration::from_secs(1));
field_default!(default_max_ttl, is_default_max_ttl: HumanDuration = HumanDuration::from_secs(300));

impl Default for DnsSettings {
    fn default() -> Self {
        Self {
            min_ttl: default_min_ttl(),
            max_ttl: default_max_ttl(),
        }
    }
}
