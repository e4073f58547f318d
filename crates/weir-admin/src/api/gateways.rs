//! The fleet (`GET /api/v1/gateways`): every data-plane process that
//! registered in the store, the revision it serves and whether it is alive,
//! beside the store's current revision, so that a caller can tell when a
//! change is live everywhere (`weir apply --wait`, the dashboard).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Viewer;
use crate::error::ApiResult;
use crate::state::AdminState;

/// Whether a node is serving, as far as the store can tell (the store's
/// `GatewayState`, with the API's schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GatewayState {
    /// Heartbeated within the last 3 of its heartbeat intervals.
    Alive,
    /// Silent for longer: killed, hung, or cut off from the store.
    Down,
    /// Shut down cleanly.
    Stopped,
}

/// Where a node counts its limits and quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitsMode {
    /// In the process: no `[cluster] redis`.
    Local,
    /// Once for the whole fleet, in Redis.
    Shared,
    /// Redis is configured but not answering: the node counts its share of
    /// each limit (the limit divided by the live nodes) until it does.
    Degraded,
}

/// Where a node counts its limits, as of its last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NodeLimits {
    pub mode: LimitsMode,
    /// Why the node is degraded (`connection refused`, `timed out`, …).
    pub reason: Option<String>,
    /// Unix milliseconds since when the node is degraded.
    pub since_ms: Option<i64>,
}

/// One node of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GatewayNode {
    /// Random per process start.
    pub id: String,
    pub host: String,
    /// The addresses the process listens on, as bound (`0.0.0.0:8080`).
    pub addresses: Vec<String>,
    /// `serve` (data plane and admin API) or `proxy` (data plane only).
    pub role: String,
    /// Weir's version on the node.
    pub version: String,
    /// The configuration revision the node serves.
    pub revision: i64,
    pub state: GatewayState,
    /// Whether the node serves the store's current revision.
    pub current: bool,
    /// The node's heartbeat interval in milliseconds.
    pub heartbeat_ms: i64,
    /// Unix milliseconds.
    pub started_at_ms: i64,
    /// Unix milliseconds of the last heartbeat.
    pub last_seen_ms: i64,
    /// Unix milliseconds of a clean shutdown.
    pub stopped_at_ms: Option<i64>,
    pub limits: NodeLimits,
}

/// The fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GatewayList {
    /// The store's current revision.
    pub store_revision: i64,
    /// Nodes alive now.
    pub alive: u64,
    /// Whether every alive node serves `store_revision` (true with none).
    pub converged: bool,
    /// Every listed node, oldest start first (stopped and down nodes stay
    /// listed for an hour).
    pub gateways: Vec<GatewayNode>,
}

/// The gateway processes sharing this store.
#[utoipa::path(get, path = "/api/v1/gateways", tag = "gateways",
    responses((status = 200, description = "Every node, the revision it serves and its state", body = GatewayList)))]
pub async fn list(State(state): State<AdminState>, _: Viewer) -> ApiResult<Json<GatewayList>> {
    let store_revision = state.store().revision().await?;
    let nodes = state.store().gateways().await?;
    let now = state.clock().now_ms();
    let gateways: Vec<GatewayNode> = nodes
        .into_iter()
        .map(|g| node(g, now, store_revision))
        .collect();
    let alive: Vec<&GatewayNode> = gateways
        .iter()
        .filter(|g| g.state == GatewayState::Alive)
        .collect();
    Ok(Json(GatewayList {
        store_revision,
        alive: alive.len() as u64,
        converged: alive.iter().all(|g| g.current),
        gateways,
    }))
}

impl From<weir_store::GatewayState> for GatewayState {
    fn from(state: weir_store::GatewayState) -> Self {
        match state {
            weir_store::GatewayState::Alive => GatewayState::Alive,
            weir_store::GatewayState::Down => GatewayState::Down,
            weir_store::GatewayState::Stopped => GatewayState::Stopped,
        }
    }
}

fn node(g: weir_store::Gateway, now_ms: i64, store_revision: i64) -> GatewayNode {
    GatewayNode {
        current: g.revision == store_revision,
        state: g.state(now_ms).into(),
        id: g.id,
        host: g.host,
        addresses: g.addresses,
        role: g.role,
        version: g.version,
        revision: g.revision,
        heartbeat_ms: g.heartbeat_ms,
        started_at_ms: g.started_at_ms,
        last_seen_ms: g.last_seen_ms,
        stopped_at_ms: g.stopped_at_ms,
        limits: NodeLimits {
            mode: match g.limits.mode.as_str() {
                "shared" => LimitsMode::Shared,
                "degraded" => LimitsMode::Degraded,
                _ => LimitsMode::Local,
            },
            reason: g.limits.reason,
            since_ms: g.limits.since_ms,
        },
    }
}
