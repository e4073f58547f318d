//! Signing keys: rotate (one revision: a new active key, the old one kept
//! for verifying), retire only non-active keys with If-Match, never show
//! key material.

use axum::http::Method;
use serde_json::json;

use crate::common::{Api, Auth};

#[tokio::test]
async fn rotate_and_retire() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    let r = api
        .call(Method::GET, "/api/v1/signing-keys", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body, json!([]));

    let r = api
        .call(
            Method::POST,
            "/api/v1/signing-keys/rotate",
            a.clone(),
            Some(json!({"name": "k1", "algorithm": "EdDSA"})),
        )
        .await
        .expect(200);
    assert_eq!(
        (r.body["active"].as_str(), r.body["revision"].as_i64()),
        (Some("k1"), Some(1))
    );
    // Defaults: the current algorithm, a generated name; no body at all.
    let r = api
        .call(Method::POST, "/api/v1/signing-keys/rotate", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["revision"], 2);
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let status = |name: &str| keys.iter().find(|k| k["name"] == name).unwrap()["status"].clone();
    assert_eq!(status("k1"), "verify_only");
    let active = r.body["active"].as_str().unwrap().to_owned();
    assert_eq!(status(&active), "active");
    assert!(
        keys.iter()
            .all(|k| k["algorithm"] == "EdDSA" && k.get("key").is_none())
    );
    // Key material is never shown, here or in history.
    let stored = api
        .store
        .resource(weir_core::ResourceKind::SigningKey, "k1")
        .await
        .unwrap()
        .unwrap();
    let material = stored.spec["key"].as_str().unwrap().to_owned();
    for uri in [
        "/api/v1/signing-keys",
        "/api/v1/revisions/2",
        "/api/v1/config",
        "/api/v1/revisions/2/config",
    ] {
        let r = api
            .call(Method::GET, uri, a.clone(), None)
            .await
            .expect(200);
        assert!(!r.body.to_string().contains(&material), "{uri}");
    }

    api.call(
        Method::POST,
        "/api/v1/signing-keys/rotate",
        a.clone(),
        Some(json!({"name": "k1"})),
    )
    .await
    .expect(409);
    api.call(
        Method::POST,
        "/api/v1/signing-keys/rotate",
        a.clone(),
        Some(json!({"algorithm": "MD5"})),
    )
    .await
    .expect(422);
    // Retire: not the active one; If-Match required and checked.
    let r = api
        .call_with(
            Method::DELETE,
            &format!("/api/v1/signing-keys/{active}"),
            a.clone(),
            None,
            &[("if-match", "2")],
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "active_key");
    api.call(Method::DELETE, "/api/v1/signing-keys/k1", a.clone(), None)
        .await
        .expect(428);
    api.call_with(
        Method::DELETE,
        "/api/v1/signing-keys/k1",
        a.clone(),
        None,
        &[("if-match", "1")],
    )
    .await
    .expect(409);
    api.call_with(
        Method::DELETE,
        "/api/v1/signing-keys/k1",
        a.clone(),
        None,
        &[("if-match", "2")],
    )
    .await
    .expect(200);
    api.call_with(
        Method::DELETE,
        "/api/v1/signing-keys/k1",
        a.clone(),
        None,
        &[("if-match", "3")],
    )
    .await
    .expect(404);
    // Viewers list but never rotate or retire.
    let viewer = api.token("viewer").await;
    api.call(
        Method::GET,
        "/api/v1/signing-keys",
        Auth::Bearer(&viewer),
        None,
    )
    .await
    .expect(200);
    api.call(
        Method::POST,
        "/api/v1/signing-keys/rotate",
        Auth::Bearer(&viewer),
        None,
    )
    .await
    .expect(403);
}
