//! The fleet through the API: nodes registered in the store are listed with
//! their revision and state (alive, down after 3 missed heartbeats on the
//! manual clock, stopped), beside the store's revision and whether every
//! alive node serves it; any role that reads may list, a registrar may not.

use std::time::Duration;

use axum::http::Method;
use weir_store::{NewGateway, NodeLimits};

use crate::common::{Api, Auth, START_MS, service};

const GATEWAYS: &str = "/api/v1/gateways";

fn node(id: &str, revision: i64) -> NewGateway {
    NewGateway {
        id: id.to_owned(),
        host: format!("host-{id}"),
        addresses: vec!["0.0.0.0:8080".to_owned()],
        role: "proxy".to_owned(),
        version: "9.9.9".to_owned(),
        revision,
        heartbeat: Duration::from_secs(2),
        limits: NodeLimits::default(),
    }
}

#[tokio::test]
async fn the_fleet_lists_nodes_revisions_and_states() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let viewer = api.token("viewer").await;
    let v = Auth::Bearer(&viewer);

    // No node yet: nothing to wait for.
    let empty = api
        .call(Method::GET, GATEWAYS, v.clone(), None)
        .await
        .expect(200);
    assert_eq!(empty.body["gateways"], serde_json::json!([]));
    assert_eq!(
        (
            empty.body["alive"].as_u64(),
            empty.body["converged"].as_bool()
        ),
        (Some(0), Some(true))
    );

    api.store
        .register_gateway(&node("a", 0), START_MS)
        .await
        .unwrap();
    api.store
        .register_gateway(&node("b", 0), START_MS)
        .await
        .unwrap();
    let listed = api
        .call(Method::GET, GATEWAYS, v.clone(), None)
        .await
        .expect(200);
    let nodes = listed.body["gateways"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    let a = &nodes[0];
    assert_eq!(a["id"], "a");
    assert_eq!(a["host"], "host-a");
    assert_eq!(a["addresses"], serde_json::json!(["0.0.0.0:8080"]));
    assert_eq!(
        (a["role"].as_str(), a["version"].as_str()),
        (Some("proxy"), Some("9.9.9"))
    );
    assert_eq!(
        (a["state"].as_str(), a["current"].as_bool()),
        (Some("alive"), Some(true))
    );
    assert_eq!(
        (a["started_at_ms"].as_i64(), a["last_seen_ms"].as_i64()),
        (Some(START_MS), Some(START_MS))
    );
    assert_eq!(a["heartbeat_ms"], 2000);
    assert!(a["stopped_at_ms"].is_null());
    assert_eq!(
        a["limits"],
        serde_json::json!({"mode": "local", "reason": null, "since_ms": null})
    );
    assert_eq!(listed.body["alive"], 2);

    // A new revision: nobody serves it yet, then a does; b falls silent and
    // goes down after 3 heartbeats, so the alive fleet has converged.
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Bearer(&admin),
        Some(service("api", "/api/")),
    )
    .await
    .expect(201);
    let revision = api.store.revision().await.unwrap();
    let r = api
        .call(Method::GET, GATEWAYS, v.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["store_revision"].as_i64(),
            r.body["converged"].as_bool()
        ),
        (Some(revision), Some(false))
    );
    api.clock.advance(Duration::from_secs(6));
    // a beats with Redis away: its limits are degraded, and say why.
    let degraded = NodeLimits {
        mode: "degraded".into(),
        reason: Some("refused".into()),
        since_ms: Some(api.clock.now_ms() - 500),
    };
    assert!(
        api.store
            .gateway_heartbeat("a", revision, &degraded, api.clock.now_ms())
            .await
            .unwrap()
    );
    let r = api
        .call(Method::GET, GATEWAYS, v.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        r.body["gateways"][1]["state"], "alive",
        "3 beats exactly: still alive"
    );
    api.clock.advance(Duration::from_millis(1));
    let r = api
        .call(Method::GET, GATEWAYS, v.clone(), None)
        .await
        .expect(200);
    let nodes = r.body["gateways"].as_array().unwrap();
    assert_eq!(
        (nodes[0]["state"].as_str(), nodes[0]["current"].as_bool()),
        (Some("alive"), Some(true))
    );
    assert_eq!(
        nodes[0]["limits"],
        serde_json::json!({"mode": "degraded", "reason": "refused", "since_ms": api.clock.now_ms() - 501})
    );
    assert_eq!(
        (nodes[1]["state"].as_str(), nodes[1]["current"].as_bool()),
        (Some("down"), Some(false))
    );
    assert_eq!(
        (r.body["alive"].as_u64(), r.body["converged"].as_bool()),
        (Some(1), Some(true))
    );

    // A clean stop.
    api.store
        .gateway_stopped("a", api.clock.now_ms())
        .await
        .unwrap();
    let r = api.call(Method::GET, GATEWAYS, v, None).await.expect(200);
    assert_eq!(r.body["gateways"][0]["state"], "stopped");
    assert_eq!(r.body["gateways"][0]["stopped_at_ms"], api.clock.now_ms());
    assert_eq!(r.body["alive"], 0);
}

#[tokio::test]
async fn listing_the_fleet_needs_a_reading_role() {
    let api = Api::new().await;
    api.call(Method::GET, GATEWAYS, Auth::None, None)
        .await
        .expect(401);
    let registrar = api.token("registrar").await;
    api.call(Method::GET, GATEWAYS, Auth::Bearer(&registrar), None)
        .await
        .expect(403);
    let admin = api.token("admin").await;
    api.call(Method::GET, GATEWAYS, Auth::Bearer(&admin), None)
        .await
        .expect(200);
}
