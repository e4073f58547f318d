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
    BalancerChoice, CorsOutcome, CorsReport, ExplainError, ExplainRejection, ExplainRequest,
    ExplainVerdict, Explanation, HeaderEntry, NodeRef, PolicyOutcome, PolicyVerdict, RouteMatch,
    Scheme, UpstreamRequest,
};
pub use weir_core::report::{ListenerInfo, ListenerState};

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

pub use weir_core::report::RecentTraffic;

/// Current traffic of one scope (the gateway, a service, a tenant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Traffic {
    /// Requests today (calendar day in the configured time zone).
    pub today_requests: u64,
    /// Requests in the last full second.
    pub qps: u64,
    /// The last few minutes.
    pub recent: RecentTraffic,
}

/// What a statistics series is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "scope", content = "name", rename_all = "snake_case")]
pub enum StatsScope {
    Gateway,
    Service(String),
    Tenant(String),
}

/// One hour (or one day) of one scope's traffic. Every request is counted
/// once, in one status class: `status_1xx` … `status_5xx` sum to
/// `requests`. `rejected` is not another class but the part of those
/// requests the gateway answered itself (each is also in its status class).
/// For TCP services a request is a connection and its status is 200 when
/// it reached a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct HourPoint {
    /// Hour of the day, 0–23, in the configured time zone (0 for a day).
    pub hour: u32,
    pub requests: u64,
    /// Informational answers, e.g. 101 for WebSocket upgrades.
    pub status_1xx: u64,
    pub status_2xx: u64,
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Of `requests`, those the gateway answered itself (policies, upstream
    /// failures, client errors, no route); already in their status class.
    pub rejected: u64,
    /// Median latency in milliseconds over the hour (or day); absent when
    /// there were no requests.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// TCP services: bytes from clients to nodes.
    pub bytes_in: u64,
    /// TCP services: bytes from nodes to clients.
    pub bytes_out: u64,
    /// gRPC calls that failed on the server side (`grpc-status` UNKNOWN,
    /// DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE or DATA_LOSS) although
    /// answered with an HTTP 200: a part of `status_2xx`, the errors a
    /// status class cannot show.
    pub failed_grpc: u64,
}

/// Today's rejections by reason, grouped by whose doing they were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RejectionClasses {
    /// Policy refusals: `ip_refused`, `unauthenticated`, `tenant_ip_refused`,
    /// `tenant_not_allowed`, `service_rate_limited`, `client_ip_rate_limited`,
    /// `tenant_rate_limited`, `quota_exceeded`, `upgrade_not_allowed`,
    /// `connection_limit`, `circuit_open`.
    pub policy: BTreeMap<String, u64>,
    /// Upstream failures: `no_available_node`, `upstream_connect`,
    /// `upstream_timeout`, `upstream_error`, `internal_error`.
    pub upstream: BTreeMap<String, u64>,
    /// Client errors: `bad_request`, `request_body_timeout`,
    /// `request_body_too_large`, `client_closed`.
    pub client: BTreeMap<String, u64>,
    /// Routing: `no_route` (404), `https_redirect`; and reasons this version
    /// does not know.
    pub routing: BTreeMap<String, u64>,
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
    /// Today as a whole; its `p50_ms`/`p99_ms` are over every request of
    /// the day.
    pub day: HourPoint,
    /// Rejections today by reason (e.g. `service_rate_limited`).
    pub rejections_today: BTreeMap<String, u64>,
    /// The same, grouped by class.
    pub rejections_by_class: RejectionClasses,
    /// The scope's traffic now: requests in the last second and the last
    /// few minutes' errors and rejections.
    pub current: Traffic,
    /// gRPC calls today by final `grpc-status` code (`"0"` OK, `"14"`
    /// UNAVAILABLE…; `"other"` for codes above 16). A call that ended
    /// without one counts as `"2"` (UNKNOWN).
    pub grpc_status_today: BTreeMap<String, u64>,
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
            day: HourPoint::default(),
            rejections_today: BTreeMap::new(),
            rejections_by_class: RejectionClasses::default(),
            grpc_status_today: BTreeMap::new(),
            current: Traffic::default(),
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
    /// The last failed check's or request's error, in English.
    pub last_error: Option<String>,
    /// The kind of `last_error` (e.g. `connect_refused`, `connect_timeout`,
    /// `reset`, `tls`, `dns`, `failure_status`, `check_status`).
    #[schema(example = "connect_refused")]
    pub last_error_code: Option<String>,
    /// The parameters of `last_error_code`, by name (`addr` always).
    pub last_error_params: Option<BTreeMap<String, String>>,
    /// Unix milliseconds of the last failed request (passive health).
    pub last_failure_ms: Option<i64>,
    /// Requests to the node that failed in a row, up to now.
    pub failed_in_a_row: u32,
    /// Unix milliseconds since which `status` holds.
    pub since_ms: Option<i64>,
    /// Requests in flight to the node (least_request), when known.
    pub in_flight: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// No health information: no active check and no request has reached
    /// it yet, or this process runs no data plane.
    Unknown,
    /// Passing its active checks, or (without checks) its last request
    /// succeeded.
    Healthy,
    /// Failed its active checks; out of the pool.
    Unhealthy,
    /// Taken out by passive health (outlier ejection).
    Ejected,
    /// Its requests fail (connect errors, resets, timeouts, failure
    /// statuses: the outlier settings' `consecutive_failures` in a row, 5
    /// without them); still in the pool until a request succeeds.
    Failing,
    /// Configured `enabled: false`.
    Disabled,
}

impl NodeStatus {
    /// Whether the status says the node is in trouble.
    pub fn is_bad(self) -> bool {
        matches!(
            self,
            NodeStatus::Unhealthy | NodeStatus::Ejected | NodeStatus::Failing
        )
    }
}

/// Node health of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceHealth {
    pub service: String,
    /// Whether health is tracked in this process (it runs the data plane:
    /// passive health always, active checks when configured); when false
    /// every enabled node is `unknown`.
    pub checks_available: bool,
    /// The service as a whole.
    pub summary: HealthSummary,
    pub nodes: Vec<NodeHealth>,
}

/// A service's health in one word, with node counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct HealthSummary {
    pub state: HealthState,
    /// Nodes `healthy` now.
    pub healthy: u32,
    /// Nodes `failing`, `unhealthy` or `ejected`.
    pub failing: u32,
    /// Every node, disabled ones included.
    pub total: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Every enabled node is in trouble (or none is enabled).
    Down,
    /// Some enabled nodes are in trouble, others are not.
    Degraded,
    /// Nothing known yet (no checks, no traffic), or not running here.
    Unknown,
    /// No enabled node is in trouble.
    Healthy,
    /// The service is disabled or not in the running configuration.
    Off,
}

impl HealthSummary {
    /// The summary of a service's nodes.
    pub fn of(nodes: &[NodeHealth]) -> Self {
        let count = |f: &dyn Fn(&NodeHealth) -> bool| {
            u32::try_from(nodes.iter().filter(|n| f(n)).count()).unwrap_or(u32::MAX)
        };
        let enabled = count(&|n| n.status != NodeStatus::Disabled);
        let healthy = count(&|n| n.status == NodeStatus::Healthy);
        let failing = count(&|n| n.status.is_bad());
        let state = if enabled == 0 || failing == enabled {
            HealthState::Down
        } else if failing > 0 {
            HealthState::Degraded
        } else if healthy == 0 {
            HealthState::Unknown
        } else {
            HealthState::Healthy
        };
        Self {
            state,
            healthy,
            failing,
            total: u32::try_from(nodes.len()).unwrap_or(u32::MAX),
        }
    }

    /// A service that is not running (disabled, not in the snapshot).
    pub fn off(total: u32) -> Self {
        Self {
            state: HealthState::Off,
            healthy: 0,
            failing: 0,
            total,
        }
    }
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
