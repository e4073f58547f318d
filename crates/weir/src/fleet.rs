//! This process as a node of the fleet: a data-plane process (`weir serve`,
//! `weir proxy`) registers itself in the store, heartbeats with the revision
//! it serves, and marks itself stopped on a clean shutdown, so that
//! `/api/v1/gateways`, the dashboard and `weir apply --wait` see every node.
//!
//! Each beat also says where the node counts its limits (in the process,
//! for the fleet in Redis, or degraded), and reads back how many nodes are
//! alive: a degraded node counts its share of each limit, the limit divided
//! by that number.
//!
//! The store going away must never stop the gateway: a failed beat is
//! logged and tried again on the next one, and a node whose row was pruned
//! meanwhile registers again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use weir_proxy::{DataPlane, LimitStatus};
use weir_store::{NewGateway, NodeLimits, Store};

/// How long a clean shutdown waits to record "stopped" before going anyway.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// This process's membership: its id and the heartbeat task.
pub struct Membership {
    id: String,
    task: JoinHandle<()>,
}

/// What a node says about itself.
pub struct NodeInfo<'a> {
    pub role: &'a str,
    pub addresses: Vec<SocketAddr>,
    pub heartbeat: Duration,
    /// How often the served revision is checked, so that a new revision is
    /// reported at once rather than at the next heartbeat.
    pub poll: Duration,
}

impl Membership {
    /// Starts heartbeating (the first beat registers the node).
    pub fn start(store: Store, plane: Arc<DataPlane>, info: NodeInfo<'_>) -> Self {
        let node = NewGateway {
            id: NewGateway::new_id(),
            host: host_name(),
            addresses: info.addresses.iter().map(ToString::to_string).collect(),
            role: info.role.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            revision: plane.snapshot().revision,
            heartbeat: info.heartbeat,
            limits: node_limits(&plane.options.limits.status()),
        };
        let id = node.id.clone();
        tracing::info!(node = %id, "joining the fleet");
        let beater = Beater {
            store,
            plane,
            node,
            registered: false,
            failing: false,
        };
        let task = tokio::spawn(beater.run(info.poll.min(info.heartbeat)));
        Membership { id, task }
    }

    /// Stops heartbeating and records a clean stop (bounded in time: a
    /// store outage must not hold the shutdown up).
    pub async fn leave(self, store: &Store, now_ms: i64) {
        self.task.abort();
        // Wait for the abort to land, so that a beat in flight (a
        // re-registration would clear the stop) cannot commit after it.
        let _ = self.task.await;
        match tokio::time::timeout(STOP_TIMEOUT, store.gateway_stopped(&self.id, now_ms)).await {
            Ok(Ok(())) => tracing::info!(node = %self.id, "left the fleet"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot record the stop in the store"),
            Err(_) => tracing::warn!("recording the stop in the store timed out"),
        }
    }
}

/// The heartbeat loop's state.
struct Beater {
    store: Store,
    plane: Arc<DataPlane>,
    node: NewGateway,
    registered: bool,
    /// The last beat failed (so that recovery is logged once).
    failing: bool,
}

impl Beater {
    /// Beats every heartbeat interval, and at once when the served revision
    /// moves (told by the data plane; also checked every `check`) or the
    /// limits change mode (checked every `check`).
    async fn run(mut self, check: Duration) {
        let mut tick = tokio::time::interval(check);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut installed = self.plane.watch_revision();
        let mut last: Option<(Instant, i64)> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                // A new configuration: report it now, so that `weir apply
                // --wait` and the dashboard see it within milliseconds.
                Ok(()) = installed.changed() => {}
            }
            let revision = self.plane.snapshot().revision;
            let limits = node_limits(&self.plane.options.limits.status());
            let due = match last {
                None => true,
                Some((at, sent)) => {
                    sent != revision
                        || limits.mode != self.node.limits.mode
                        || at.elapsed() >= self.node.heartbeat
                }
            };
            if due {
                self.node.limits = limits;
                self.beat(revision).await;
                last = Some((Instant::now(), revision));
            }
        }
    }

    async fn beat(&mut self, revision: i64) {
        let now = self.plane.options.wall_clock.now_ms();
        match self.try_beat(revision, now).await {
            Ok(()) if self.failing => {
                tracing::info!("the store answers again; heartbeating");
                self.failing = false;
            }
            Ok(()) => {}
            Err(e) if self.failing => tracing::debug!(error = %e, "heartbeat failed"),
            Err(e) => {
                tracing::warn!(error = %e, "heartbeat failed; the gateway keeps serving and tries again");
                self.failing = true;
            }
        }
    }

    async fn try_beat(&mut self, revision: i64, now: i64) -> Result<(), weir_store::StoreError> {
        let beaten = self.registered
            && self
                .store
                .gateway_heartbeat(&self.node.id, revision, &self.node.limits, now)
                .await?;
        if !beaten {
            // First beat, or the row was pruned during a long outage.
            self.node.revision = revision;
            self.store.register_gateway(&self.node, now).await?;
            self.registered = true;
        }
        self.store.prune_gateways(now).await?;
        let live = self.store.live_gateways(now).await?;
        self.plane
            .options
            .limits
            .set_fleet_size(u32::try_from(live).unwrap_or(u32::MAX));
        Ok(())
    }
}

/// A limit backend's status as the store keeps it.
fn node_limits(status: &LimitStatus) -> NodeLimits {
    match status {
        LimitStatus::Degraded { since_ms, reason } => NodeLimits {
            mode: status.mode().to_owned(),
            reason: Some(reason.clone()),
            since_ms: Some(*since_ms),
        },
        _ => NodeLimits {
            mode: status.mode().to_owned(),
            reason: None,
            since_ms: None,
        },
    }
}

/// The host name (Linux: the kernel's; else `$HOSTNAME`), or `unknown`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn beater(store: Store) -> Beater {
        Beater {
            store,
            plane: Arc::new(DataPlane::new()),
            node: NewGateway {
                id: NewGateway::new_id(),
                host: host_name(),
                addresses: vec!["127.0.0.1:8080".into()],
                role: "proxy".into(),
                version: "0.0.0".into(),
                revision: 0,
                heartbeat: Duration::from_secs(2),
                limits: NodeLimits::default(),
            },
            registered: false,
            failing: false,
        }
    }

    /// A store that cannot be reached fails the beat, not the process; the
    /// next beat against a store that answers registers the node.
    #[tokio::test]
    async fn a_store_outage_is_logged_and_retried() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let gone = Store::open(&url).await.unwrap();
        gone.close().await;
        let mut b = beater(gone);
        b.beat(7).await;
        b.beat(7).await;
        assert!(b.failing && !b.registered);

        let back = Store::open(&url).await.unwrap();
        b.store = back.clone();
        b.beat(7).await;
        assert!(!b.failing && b.registered);
        let nodes = back.gateways().await.unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(
            (nodes[0].id.as_str(), nodes[0].revision),
            (b.node.id.as_str(), 7)
        );

        // Its row pruned meanwhile (a long outage): the next beat registers again.
        back.prune_gateways(i64::MAX).await.unwrap();
        assert!(back.gateways().await.unwrap().is_empty());
        b.beat(8).await;
        assert_eq!(back.gateways().await.unwrap()[0].revision, 8);
    }

    #[test]
    fn the_host_name_is_never_empty() {
        assert!(!host_name().is_empty());
    }
}
