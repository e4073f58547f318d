//! Tenants: the secret is generated, shown once, never read back, kept on
//! replace, reset on demand; versions and validation as for services.

use axum::http::Method;
use serde_json::json;

use crate::common::{Api, Auth};

#[tokio::test]
async fn tenant_secrets_are_write_only() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    let r = api
        .call(
            Method::POST,
            "/api/v1/tenants",
            a.clone(),
            Some(json!({"app_id": "shop", "name": "Shop", "qps": 10})),
        )
        .await
        .expect(201);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 48);
    assert!(r.body["spec"].get("secret").is_none(), "{}", r.body);
    let version = r.body["version"].as_i64().unwrap();

    // Reads never show it: show, list, history, export.
    for uri in [
        "/api/v1/tenants/shop",
        "/api/v1/tenants",
        "/api/v1/config",
        "/api/v1/revisions/1",
        "/api/v1/revisions/1/config",
        "/api/v1/revisions/diff?from=0&to=1",
    ] {
        let r = api
            .call(Method::GET, uri, a.clone(), None)
            .await
            .expect(200);
        assert!(
            !r.body.to_string().contains(&secret),
            "{uri} shows the secret: {}",
            r.body
        );
    }
    let list = api
        .call(Method::GET, "/api/v1/tenants?q=SHO", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        (
            list.body["total"].as_u64(),
            list.body["items"][0]["qps_limit"].as_u64()
        ),
        (Some(1), Some(10))
    );

    // Replace without the secret keeps it.
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/tenants/shop",
            a.clone(),
            Some(json!({"app_id": "shop", "name": "Shop 2", "qps": 20})),
            &[("if-match", &version.to_string())],
        )
        .await
        .expect(200);
    let version = r.body["version"].as_i64().unwrap();
    let stored = api
        .store
        .resource(weir_core::ResourceKind::Tenant, "shop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.spec["secret"], secret.as_str());
    assert_eq!(stored.spec["name"], "Shop 2");

    // Reset: a new secret, shown once.
    let r = api
        .call(Method::POST, "/api/v1/tenants/shop/secret", a.clone(), None)
        .await
        .expect(200);
    let new_secret = r.body["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert!(r.body["version"].as_i64().unwrap() > version);
    api.call(Method::POST, "/api/v1/tenants/none/secret", a.clone(), None)
        .await
        .expect(404);

    // Validation, conflicts, stats, delete.
    let r = api
        .call(
            Method::POST,
            "/api/v1/tenants",
            a.clone(),
            Some(json!({"app_id": "bad", "ip_allow": ["nope"]})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["ip_allow[0]"]);
    api.call(
        Method::POST,
        "/api/v1/tenants",
        a.clone(),
        Some(json!({"app_id": "shop"})),
    )
    .await
    .expect(409);
    api.call_with(
        Method::DELETE,
        "/api/v1/tenants/shop",
        a.clone(),
        None,
        &[("if-match", "1")],
    )
    .await
    .expect(409);
    let r = api
        .call(Method::GET, "/api/v1/tenants/shop/stats", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["today"].as_array().unwrap().len(), 24);
    let current = api
        .call(Method::GET, "/api/v1/tenants/shop", a.clone(), None)
        .await
        .expect(200);
    let v = current.body["version"].as_i64().unwrap().to_string();
    api.call_with(
        Method::DELETE,
        "/api/v1/tenants/shop",
        a.clone(),
        None,
        &[("if-match", &v)],
    )
    .await
    .expect(200);
    api.call(Method::GET, "/api/v1/tenants/shop", a.clone(), None)
        .await
        .expect(404);
    // Viewers read but never write.
    let viewer = api.token("viewer").await;
    api.call(Method::GET, "/api/v1/tenants", Auth::Bearer(&viewer), None)
        .await
        .expect(200);
    api.call(
        Method::POST,
        "/api/v1/tenants",
        Auth::Bearer(&viewer),
        Some(json!({"app_id": "x"})),
    )
    .await
    .expect(403);
    api.call(
        Method::POST,
        "/api/v1/tenants/x/secret",
        Auth::Bearer(&viewer),
        None,
    )
    .await
    .expect(403);
}
