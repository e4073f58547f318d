//! Upstream health: active checks (the seed's probing), passive outlier
//! ejection, and DNS re-resolution bounds for nodes given by name.

use serde::{Deserialize, Serialize};

use super::HumanDuration;

/// Active health checks of every node of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// `tcp` (connect, the seed's method), `http` (GET `path`, expect a
    /// status in `expect_status`) or `grpc` (`grpc.health.v1.Health/Check`).
    #[serde(rename = "type", default)]
    pub kind: CheckKind,
    #[serde(default = "default_interval")]
    pub interval: HumanDuration,
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Consecutive successes that bring an unhealthy node back.
    #[serde(default = "default_healthy")]
    pub healthy: u32,
    /// Consecutive failures that take a node out.
    #[serde(default = "default_unhealthy")]
    pub unhealthy: u32,
    /// `http`: the path to GET.
    #[serde(default = "default_path", skip_serializing_if = "is_default_path")]
    pub path: String,
    /// `http`: accepted statuses, e.g. `200-399` or `200,204,301-302`.
    #[serde(default = "default_expect", skip_serializing_if = "is_default_expect")]
    pub expect_status: String,
    /// `http`: the Host header (default: the node's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `grpc`: the service name asked about (empty = the whole server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
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

fn default_interval() -> HumanDuration {
    HumanDuration::from_secs(5)
}
fn default_timeout() -> HumanDuration {
    HumanDuration::from_secs(2)
}
fn default_healthy() -> u32 {
    2
}
fn default_unhealthy() -> u32 {
    3
}
fn default_path() -> String {
    "/".into()
}
fn is_default_path(p: &String) -> bool {
    p == "/"
}
fn default_expect() -> String {
    "200-399".into()
}
fn is_default_expect(e: &String) -> bool {
    e == "200-399"
}

/// Passive health: take a node out after consecutive failed requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outlier {
    /// Failed requests in a row (connect errors, resets, `failure_statuses`)
    /// that eject a node.
    #[serde(default = "default_consecutive")]
    pub consecutive_failures: u32,
    /// First ejection time; each further ejection doubles it.
    #[serde(default = "default_base_ejection")]
    pub base_ejection: HumanDuration,
    /// Longest ejection.
    #[serde(default = "default_max_ejection")]
    pub max_ejection: HumanDuration,
    /// Largest share of nodes (percent) ejected at once, so one bad deploy
    /// cannot empty the pool.
    #[serde(default = "default_max_percent")]
    pub max_ejected_percent: u32,
    /// Upstream statuses that count as failures.
    #[serde(default = "default_statuses")]
    pub failure_statuses: Vec<u16>,
}

fn default_consecutive() -> u32 {
    5
}
fn default_base_ejection() -> HumanDuration {
    HumanDuration::from_secs(30)
}
fn default_max_ejection() -> HumanDuration {
    HumanDuration::from_secs(300)
}
fn default_max_percent() -> u32 {
    50
}
fn default_statuses() -> Vec<u16> {
    vec![502, 503, 504]
}

/// How nodes given by DNS name are re-resolved: on their records' TTL,
/// clamped to these bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSettings {
    #[serde(default = "default_min_ttl")]
    pub min_ttl: HumanDuration,
    #[serde(default = "default_max_ttl")]
    pub max_ttl: HumanDuration,
}

fn default_min_ttl() -> HumanDuration {
    HumanDuration::from_secs(1)
}
fn default_max_ttl() -> HumanDuration {
    HumanDuration::from_secs(300)
}

impl Default for DnsSettings {
    fn default() -> Self {
        Self {
            min_ttl: default_min_ttl(),
            max_ttl: default_max_ttl(),
        }
    }
}

impl DnsSettings {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
