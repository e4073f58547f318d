//! The fleet: register, heartbeat with the served revision, alive / down /
//! stopped by heartbeat windows, the live-node count, re-registering after
//! a prune, and pruning of old rows.

use std::time::Duration;

use weir_store::{GATEWAY_RETENTION, GatewayState, NewGateway, NodeLimits, Store};

const T0: i64 = 1_800_000_000_000;
const BEAT_MS: i64 = 2_000;

fn node(id: &str, revision: i64) -> NewGateway {
    NewGateway {
        id: id.to_owned(),
        host: "edge-1".to_owned(),
        addresses: vec!["0.0.0.0:8080".to_owned(), "0.0.0.0:8443".to_owned()],
        role: "proxy".to_owned(),
        version: "1.2.3".to_owned(),
        revision,
        heartbeat: Duration::from_millis(BEAT_MS as u64),
        limits: NodeLimits::default(),
    }
}

pub(crate) async fn gateways_register_beat_and_go_down(url: String) {
    let store = Store::open(&url).await.unwrap();
    assert!(store.gateways().await.unwrap().is_empty());
    assert_eq!(store.live_gateways(T0).await.unwrap(), 0);

    store.register_gateway(&node("a", 0), T0).await.unwrap();
    store.register_gateway(&node("b", 0), T0 + 1).await.unwrap();
    let listed = store.gateways().await.unwrap();
    assert_eq!(listed.len(), 2);
    let a = &listed[0];
    assert_eq!(
        (
            a.id.as_str(),
            a.host.as_str(),
            a.role.as_str(),
            a.version.as_str()
        ),
        ("a", "edge-1", "proxy", "1.2.3")
    );
    assert_eq!(a.addresses, ["0.0.0.0:8080", "0.0.0.0:8443"]);
    assert_eq!(
        (a.started_at_ms, a.last_seen_ms, a.heartbeat_ms),
        (T0, T0, BEAT_MS)
    );
    assert_eq!(a.stopped_at_ms, None);
    assert_eq!(store.live_gateways(T0 + 1).await.unwrap(), 2);
    assert_eq!(
        store.revision().await.unwrap(),
        0,
        "no revision for runtime state"
    );

    // a beats with a new revision; b falls silent.
    let beat = T0 + 3 * BEAT_MS;
    let degraded = NodeLimits {
        mode: "degraded".into(),
        reason: Some("connection refused".into()),
        since_ms: Some(beat - 1),
    };
    assert!(
        store
            .gateway_heartbeat("a", 7, &degraded, beat)
            .await
            .unwrap()
    );
    let listed = store.gateways().await.unwrap();
    assert_eq!((listed[0].revision, listed[0].last_seen_ms), (7, beat));
    assert_eq!(
        listed[0].limits, degraded,
        "the beat carries where limits are counted"
    );
    assert_eq!(listed[1].limits, NodeLimits::default());
    assert_eq!(listed[1].limits.mode, "local");
    assert_eq!(listed[0].started_at_ms, T0, "a beat keeps the start time");

    // Alive exactly up to 3 heartbeats of silence, down one ms later.
    let b = &listed[1];
    assert_eq!(b.state(T0 + 1 + 3 * BEAT_MS), GatewayState::Alive);
    assert_eq!(b.state(T0 + 2 + 3 * BEAT_MS), GatewayState::Down);
    assert_eq!(store.live_gateways(T0 + 1 + 3 * BEAT_MS).await.unwrap(), 2);
    assert_eq!(store.live_gateways(T0 + 2 + 3 * BEAT_MS).await.unwrap(), 1);

    // A clean shutdown: stopped, whatever its last beat.
    store.gateway_stopped("a", beat + 1).await.unwrap();
    let listed = store.gateways().await.unwrap();
    assert_eq!(listed[0].stopped_at_ms, Some(beat + 1));
    assert_eq!(listed[0].state(beat + 1), GatewayState::Stopped);
    // b went down meanwhile, so nobody is alive.
    assert_eq!(store.live_gateways(beat + 2).await.unwrap(), 0);
}

pub(crate) async fn gateways_are_pruned_and_come_back(url: String) {
    let store = Store::open(&url).await.unwrap();
    let retention = i64::try_from(GATEWAY_RETENTION.as_millis()).unwrap();
    store.register_gateway(&node("old", 1), T0).await.unwrap();
    store
        .register_gateway(&node("stopped", 1), T0)
        .await
        .unwrap();
    store.gateway_stopped("stopped", T0 + 10).await.unwrap();
    store.register_gateway(&node("live", 1), T0).await.unwrap();

    // Within the retention nothing goes.
    assert_eq!(store.prune_gateways(T0 + retention).await.unwrap(), 0);
    let later = T0 + retention + 20;
    assert!(
        store
            .gateway_heartbeat("live", 2, &NodeLimits::default(), later)
            .await
            .unwrap()
    );
    assert_eq!(store.prune_gateways(later).await.unwrap(), 2);
    let ids: Vec<_> = store
        .gateways()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(ids, ["live"]);

    // A node whose row went (say, after a long store outage) hears so from
    // its heartbeat and registers again under the same id.
    assert!(
        !store
            .gateway_heartbeat("old", 3, &NodeLimits::default(), later)
            .await
            .unwrap()
    );
    store
        .register_gateway(&node("old", 3), later)
        .await
        .unwrap();
    store
        .register_gateway(&node("old", 3), later)
        .await
        .unwrap();
    assert_eq!(store.gateways().await.unwrap().len(), 2);
    assert_eq!(store.live_gateways(later).await.unwrap(), 2);
}
