//! What the admin API shows of the running gateway but cannot read from the
//! store: status of the running snapshot, traffic statistics, node health,
//! per-service listeners, and explain against the live snapshot.
//! (Self-registered nodes are not here: they live in the store, which the
//! API reads directly — see `api::registrations`.)
//!
//! The admin crate never depends on the data plane. The binary implements
//! [`GatewayRuntime`] over its `DataPlane` (and its statistics, health
//! checker and listeners) and hands it to [`crate::AdminState`]. Every
//! method except [`GatewayRuntime::status`] and [`GatewayRuntime::explain`]
//! has a default that honestly says "not collected in this process"
//! (`available: false`, zero counts), so the API and its schema are final
//! and real numbers plug in without changing either.

mod explain;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::api::token_tryout::TokenTryout;
pub use explain::{
    BalancerChoice, ExplainError, ExplainRejection, ExplainRequest, ExplainVerdict, Explanation,
    HeaderEntry, NodeRef, PolicyOutcome, PolicyVerdict, RouteMatch, Scheme, UpstreamRequest,
};

/// What the running data plane reports about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuntimeStatus {
    /// Revision of the configuration currently serving traffic.
    pub snapshot_revision: i64,
    /// Services in that configuration.
    pub services: usize,
    /// Configurations installed since start.
    pub installs: u64,
    /// Revisions refused because they failed to compile.
    pub install_failures: u64,
    /// Whether this process runs the data plane (`weir serve`, `weir proxy`)
    /// or only follows the store for explain (`weir admin`).
    pub data_plane: bool,
}

/// Current traffic of one scope (the gateway, a service, a tenant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Traffic {
    /// Requests today (calendar day in the configured time zone).
    pub today_requests: u64,
    /// Requests in the last full second.
    pub qps: u64,
}

/// What a statistics series is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "scope", content = "name", rename_all = "snake_case")]
pub enum StatsScope {
    Gateway,
    Service(String),
    Tenant(String),
}

/// One hour of one scope's traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct HourPoint {
    /// Hour of the day, 0–23, in the configured time zone.
    pub hour: u32,
    pub requests: u64,
    pub status_2xx: u64,
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Requests the gateway answered itself (limits, access control, no node…).
    pub rejected: u64,
    /// Median latency in milliseconds; absent when there were no requests.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Hourly series for today and yesterday.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HourlySeries {
    /// Whether statistics are collected; when false every count is zero.
    pub available: bool,
    /// The time zone that defines the calendar days.
    pub time_zone: String,
    /// 24 points (hours not reached yet are zero).
    pub today: Vec<HourPoint>,
    pub yesterday: Vec<HourPoint>,
    /// Rejections today by reason (e.g. `service_rate_limited`).
    pub rejections_today: BTreeMap<String, u64>,
}

impl HourlySeries {
    /// Zeros: what a process without statistics answers.
    pub fn unavailable(time_zone: &str) -> Self {
        let day = || {
            (0..24)
                .map(|hour| HourPoint {
                    hour,
                    ..HourPoint::default()
                })
                .collect()
        };
        Self {
            available: false,
            time_zone: time_zone.to_owned(),
            today: day(),
            yesterday: day(),
            rejections_today: BTreeMap::new(),
        }
    }
}

/// Health of one configured or discovered node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NodeHealth {
    pub addr: String,
    pub weight: u32,
    /// Configured `enabled` (the seed's forbid list).
    pub enabled: bool,
    pub status: NodeStatus,
    /// Unix milliseconds of the last active check.
    pub last_check_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Unix milliseconds since which `status` holds.
    pub since_ms: Option<i64>,
    /// Requests in flight to the node (least_request), when known.
    pub in_flight: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// No health information (checks not configured or not available yet).
    Unknown,
    Healthy,
    Unhealthy,
    /// Taken out by passive health (outlier ejection).
    Ejected,
    /// Configured `enabled: false`.
    Disabled,
}

/// Node health of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceHealth {
    pub service: String,
    /// Whether health checking runs in this process; when false every
    /// enabled node is `unknown`.
    pub checks_available: bool,
    pub nodes: Vec<NodeHealth>,
}

/// The listener of one service with its own port (`tcp` services, `grpc`
/// services with `port`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ListenerInfo {
    pub service: String,
    /// `tcp` or `grpc`.
    #[schema(example = "tcp")]
    pub kind: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: u16,
    pub state: ListenerState,
    /// Why binding failed (`failed` only).
    pub error: Option<String>,
    /// Unix seconds of the last state change.
    pub since: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListenerState {
    /// Bound and accepting.
    Listening,
    /// Could not be bound (port taken, permission…); retried on the next
    /// configuration change.
    Failed,
}

/// The running gateway as the admin API sees it. See the module docs; the
/// binary implements it. Implementations must be cheap and non-blocking
/// except the `async` methods, which may read the store.
#[async_trait]
pub trait GatewayRuntime: Send + Sync + 'static {
    /// The running snapshot and reload counters.
    fn status(&self) -> RuntimeStatus;

    /// Explain a request against the live snapshot, changing no state.
    fn explain(&self, request: &ExplainRequest) -> Result<Explanation, ExplainError>;

    /// Whether traffic statistics are collected (issue 4). When false the
    /// traffic methods' zeros mean "unknown", not "no traffic".
    fn stats_available(&self) -> bool {
        false
    }

    /// The whole gateway's current traffic.
    fn gateway_traffic(&self) -> Traffic {
        Traffic::default()
    }

    /// One service's current traffic (zero when unknown).
    fn service_traffic(&self, _service: &str) -> Traffic {
        Traffic::default()
    }

    /// One tenant's current traffic (zero when unknown).
    fn tenant_traffic(&self, _tenant: &str) -> Traffic {
        Traffic::default()
    }

    /// Hourly series for today and yesterday; may read rollups from the store.
    async fn hourly(&self, _scope: &StatsScope) -> HourlySeries {
        HourlySeries::unavailable("UTC")
    }

    /// Node health of a service in the running snapshot; `None` when the
    /// service is not in it. The default reports configured state only.
    fn node_health(&self, service: &str) -> Option<ServiceHealth>;

    /// Prometheus text exposition for `GET /metrics` (issue 4); `None`:
    /// this process exports no metrics (404).
    fn metrics(&self) -> Option<String> {
        None
    }

    /// The per-service listeners of this process, by service name; `None`
    /// when this process runs none (`weir admin`), which the API reports as
    /// `available: false`.
    async fn listeners(&self) -> Option<Vec<ListenerInfo>> {
        None
    }

    /// Ask this process's data plane for a tenant token the way a client
    /// would (`POST /oauth/tokens` with Basic credentials) and report its
    /// answer; `None` when this process runs no data plane.
    async fn token_exchange(&self, _app_id: &str, _secret: &str) -> Option<TokenTryout> {
        None
    }
}
