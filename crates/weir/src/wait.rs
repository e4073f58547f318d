//! `weir apply --wait`: after a change, wait until every alive gateway
//! serves the store's revision (read from the store, or through the admin
//! API with `--server`), then say how long it took — or, on timeout, which
//! nodes did not get there.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Deserialize;
use weir_store::{GatewayState, Store};

/// How often the fleet is read while waiting.
const POLL: Duration = Duration::from_millis(100);

/// The fleet as far as waiting needs it (the shape of `GET /api/v1/gateways`).
#[derive(Debug, Clone, Deserialize)]
pub struct FleetView {
    pub store_revision: i64,
    pub gateways: Vec<NodeView>,
}

/// One node as far as waiting needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeView {
    pub id: String,
    pub host: String,
    pub revision: i64,
    pub state: GatewayState,
}

/// Where the fleet is read from.
pub enum Source<'a> {
    Store(&'a Store),
    Remote(&'a crate::remote::Remote),
}

impl Source<'_> {
    async fn fleet(&self) -> anyhow::Result<FleetView> {
        match self {
            Source::Store(store) => fleet_from_store(store).await,
            Source::Remote(remote) => remote.gateways().await,
        }
    }
}

async fn fleet_from_store(store: &Store) -> anyhow::Result<FleetView> {
    let store_revision = store.revision().await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let gateways = store
        .gateways()
        .await?
        .into_iter()
        .map(|g| NodeView {
            state: g.state(now),
            id: g.id,
            host: g.host,
            revision: g.revision,
        })
        .collect();
    Ok(FleetView {
        store_revision,
        gateways,
    })
}

/// Alive nodes behind `revision`.
fn behind(fleet: &FleetView, revision: i64) -> Vec<&NodeView> {
    fleet
        .gateways
        .iter()
        .filter(|n| n.state == GatewayState::Alive && n.revision < revision)
        .collect()
}

/// Waits up to `timeout` until every alive node serves the store's
/// revision as read now; prints the outcome. Failure to read the fleet is
/// retried until the timeout, then reported as an error.
pub async fn wait_for_fleet(source: Source<'_>, timeout: Duration) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut fleet = source.fleet().await?;
    let target = fleet.store_revision;
    loop {
        let lagging = behind(&fleet, target);
        if lagging.is_empty() {
            report_live(&fleet, target, started.elapsed());
            return Ok(ExitCode::SUCCESS);
        }
        if started.elapsed() >= timeout {
            report_timeout(&lagging, target, timeout);
            return Ok(ExitCode::FAILURE);
        }
        tokio::time::sleep(POLL).await;
        match source.fleet().await {
            Ok(next) => fleet = next,
            Err(e) if started.elapsed() < timeout => {
                tracing::debug!(error = %format!("{e:#}"), "reading the fleet failed; retrying");
            }
            Err(e) => return Err(e),
        }
    }
}

fn report_live(fleet: &FleetView, revision: i64, took: Duration) {
    let alive = fleet
        .gateways
        .iter()
        .filter(|n| n.state == GatewayState::Alive)
        .count();
    if alive == 0 {
        println!("no gateway is alive; nothing to wait for");
    } else {
        println!(
            "revision {revision} is live on all {alive} gateways after {} ms",
            took.as_millis()
        );
    }
}

fn report_timeout(lagging: &[&NodeView], revision: i64, timeout: Duration) {
    eprintln!(
        "timed out after {}: revision {revision} is not live on {} gateway(s):",
        weir_core::HumanDuration::from_millis(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)
        ),
        lagging.len()
    );
    for n in lagging {
        eprintln!("  {} ({}) serves revision {}", n.id, n.host, n.revision);
    }
}
