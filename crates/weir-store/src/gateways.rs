//! The fleet: every data-plane process registers itself here at start
//! ([`Store::register_gateway`]), heartbeats with the revision it serves
//! ([`Store::gateway_heartbeat`]), and marks itself stopped on a clean
//! shutdown ([`Store::gateway_stopped`]). A killed process simply stops
//! heartbeating.
//!
//! Runtime state, not configuration: nothing here writes a revision. Each
//! row carries the node's own heartbeat interval, so a reader decides alive
//! or down without knowing anyone's settings: alive means seen within
//! [`MISSED_BEATS`] heartbeats. Rows of nodes stopped or silent for longer
//! than [`RETENTION`] are pruned ([`Store::prune_gateways`], called by the
//! live nodes as they beat).

use std::time::Duration;

use crate::{Store, StoreError};

/// Heartbeats a node may miss before it counts as down.
pub const MISSED_BEATS: i64 = 3;

/// How long a stopped or silent node stays listed before it is pruned.
pub const RETENTION: Duration = Duration::from_secs(3600);

/// Longest host name kept (the column bound in MySQL).
const MAX_HOST: usize = 255;
/// Longest role name kept.
const MAX_ROLE: usize = 16;
/// Longest version string kept.
const MAX_VERSION: usize = 64;

/// Whether a node is serving, as far as the store can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayState {
    /// Heartbeated within [`MISSED_BEATS`] of its intervals.
    Alive,
    /// Silent for longer: killed, hung, or cut off from the store.
    Down,
    /// Shut down cleanly.
    Stopped,
}

/// A node of the fleet as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gateway {
    /// Random per process start.
    pub id: String,
    pub host: String,
    /// The addresses the process listens on, as bound.
    pub addresses: Vec<String>,
    /// `serve` (both roles) or `proxy` (data plane only).
    pub role: String,
    pub version: String,
    /// The configuration revision the node serves.
    pub revision: i64,
    /// The node's heartbeat interval in milliseconds.
    pub heartbeat_ms: i64,
    /// Unix ms.
    pub started_at_ms: i64,
    /// Unix ms of the last heartbeat.
    pub last_seen_ms: i64,
    /// Unix ms of a clean shutdown.
    pub stopped_at_ms: Option<i64>,
    /// Where the node counts its limits, as of its last heartbeat.
    pub limits: NodeLimits,
}

/// Where a node counts its limits and quotas.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeLimits {
    /// `local` (in the process), `shared` (for the fleet, in Redis) or
    /// `degraded` (Redis configured but away: the node counts its share).
    pub mode: String,
    /// Why the node is degraded.
    pub reason: Option<String>,
    /// Unix ms since when the node is degraded.
    pub since_ms: Option<i64>,
}

impl Default for NodeLimits {
    /// Counted in the process (no shared backend).
    fn default() -> Self {
        NodeLimits {
            mode: "local".into(),
            reason: None,
            since_ms: None,
        }
    }
}

/// Longest limits mode / reason kept.
const MAX_MODE: usize = 16;
const MAX_REASON: usize = 255;

impl Gateway {
    /// The node's state at `now_ms`.
    pub fn state(&self, now_ms: i64) -> GatewayState {
        if self.stopped_at_ms.is_some() {
            GatewayState::Stopped
        } else if self.alive_at(now_ms) {
            GatewayState::Alive
        } else {
            GatewayState::Down
        }
    }

    fn alive_at(&self, now_ms: i64) -> bool {
        let window = self.heartbeat_ms.saturating_mul(MISSED_BEATS);
        self.last_seen_ms.saturating_add(window) >= now_ms
    }
}

/// A node registering itself: see [`Store::register_gateway`].
#[derive(Debug, Clone)]
pub struct NewGateway {
    pub id: String,
    pub host: String,
    pub addresses: Vec<String>,
    pub role: String,
    pub version: String,
    pub revision: i64,
    pub heartbeat: Duration,
    pub limits: NodeLimits,
}

impl NewGateway {
    /// A fresh random id (32 hex digits) for a process start.
    pub fn new_id() -> String {
        crate::registrations::new_id()
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<i64>,
);

const SELECT: &str = "SELECT id, host, addresses, role, version, revision, heartbeat_ms, \
     started_at_ms, last_seen_ms, stopped_at_ms, limits, limits_reason, limits_since_ms \
     FROM weir_gateways ORDER BY started_at_ms, id";

fn from_row(
    (
        id,
        host,
        addresses,
        role,
        version,
        revision,
        heartbeat_ms,
        started_at_ms,
        last_seen_ms,
        stopped_at_ms,
        mode,
        reason,
        since_ms,
    ): Row,
) -> Result<Gateway, StoreError> {
    let addresses =
        serde_json::from_str(&addresses).map_err(|e| StoreError::corrupt("gateway", &id, e))?;
    Ok(Gateway {
        id,
        host,
        addresses,
        role,
        version,
        revision,
        heartbeat_ms,
        started_at_ms,
        last_seen_ms,
        stopped_at_ms,
        limits: NodeLimits {
            mode,
            reason,
            since_ms,
        },
    })
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Registers a node started at `now_ms` (or, with the same id, brings
    /// its row back: a node whose row was pruned during a long store outage
    /// registers again).
    pub async fn register_gateway(&self, node: &NewGateway, now_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.q("DELETE FROM weir_gateways WHERE id = ?")
            .bind(node.id.as_str())
            .execute(&mut *tx)
            .await?;
        self.q(
            "INSERT INTO weir_gateways (id, host, addresses, role, version, revision, \
             heartbeat_ms, started_at_ms, last_seen_ms, stopped_at_ms, limits, limits_reason, \
             limits_since_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        )
        .bind(node.id.as_str())
        .bind(clip(&node.host, MAX_HOST))
        .bind(serde_json::to_string(&node.addresses)?)
        .bind(clip(&node.role, MAX_ROLE))
        .bind(clip(&node.version, MAX_VERSION))
        .bind(node.revision)
        .bind(ms(node.heartbeat))
        .bind(now_ms)
        .bind(now_ms)
        .bind(clip(&node.limits.mode, MAX_MODE))
        .bind(node.limits.reason.as_deref().map(|r| clip(r, MAX_REASON)))
        .bind(node.limits.since_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that node `id` serves `revision` and counts its limits as
    /// `limits` at `now_ms`. False when the node has no row (pruned, or
    /// never registered): register it again.
    pub async fn gateway_heartbeat(
        &self,
        id: &str,
        revision: i64,
        limits: &NodeLimits,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let updated = self
            .q(
                "UPDATE weir_gateways SET revision = ?, last_seen_ms = ?, limits = ?, \
                limits_reason = ?, limits_since_ms = ? WHERE id = ?",
            )
            .bind(revision)
            .bind(now_ms)
            .bind(clip(&limits.mode, MAX_MODE))
            .bind(limits.reason.as_deref().map(|r| clip(r, MAX_REASON)))
            .bind(limits.since_ms)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    /// Marks node `id` stopped at `now_ms` (a clean shutdown).
    pub async fn gateway_stopped(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        self.q("UPDATE weir_gateways SET stopped_at_ms = ? WHERE id = ?")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every listed node, oldest start first.
    pub async fn gateways(&self) -> Result<Vec<Gateway>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(self.dialect.sql(SELECT))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// How many nodes are alive at `now_ms` (seen within [`MISSED_BEATS`]
    /// of their heartbeat intervals, not stopped).
    pub async fn live_gateways(&self, now_ms: i64) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(self.dialect.sql(
            "SELECT COUNT(*) FROM weir_gateways \
             WHERE stopped_at_ms IS NULL AND last_seen_ms + heartbeat_ms * ? >= ?",
        ))
        .bind(MISSED_BEATS)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Deletes nodes stopped or silent for longer than [`RETENTION`] at
    /// `now_ms`; returns how many.
    pub async fn prune_gateways(&self, now_ms: i64) -> Result<u64, StoreError> {
        let before = now_ms.saturating_sub(ms(RETENTION));
        Ok(self
            .q("DELETE FROM weir_gateways WHERE last_seen_ms < ? OR stopped_at_ms < ?")
            .bind(before)
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
