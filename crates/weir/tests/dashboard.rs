//! The admin listener as the web dashboard uses it: the app (or, in a build
//! without `web/dist`, the page saying how to build it) at `/` and at the
//! app's own routes, with a Content-Security-Policy, while unknown API
//! paths stay problem+json; and the tenant token try-out, which goes through
//! the data plane's real `POST /oauth/tokens`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestGateway, client};
use serde_json::{Value, json};
use weir_admin::auth::secret;
use weir_store::{ApiTokenRecord, Store};

async fn token(store: &Store, role: &str) -> String {
    let (id, token) = secret::new_api_token();
    store
        .create_token(&ApiTokenRecord {
            id,
            name: format!("{role}-dashboard-test"),
            token_hash: secret::sha256_hex(&token),
            role: role.into(),
            created_by: "test".into(),
            created_at_ms: 0,
            last_used_ms: None,
            revoked_at_ms: None,
        })
        .await
        .unwrap();
    token
}

fn admin_url(gw: &TestGateway, path: &str) -> String {
    format!("http://{}{path}", gw.gateway.admin_addr.unwrap())
}

#[tokio::test]
async fn the_dashboard_is_served_at_its_routes_with_a_policy() {
    let gw = TestGateway::start("").await;
    let http = client();
    for path in ["/", "/services/user_api", "/history"] {
        let res = http.get(admin_url(&gw, path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(h["cache-control"], "no-cache");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        let body = res.text().await.unwrap();
        assert!(body.contains("<html"), "{body}");
        assert!(!body.contains("<script>"), "no inline script: {body}");
    }
    let res = http
        .get(admin_url(&gw, "/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    gw.stop().await;
}

#[tokio::test]
async fn token_tryout_goes_through_the_data_plane() {
    let yaml = r#"tenants:
  - { app_id: shop, name: Shop, secret: "shop-secret-123" }
  - { app_id: off, name: Off, secret: "off-secret-456", enabled: false }
"#;
    let gw = TestGateway::start(yaml).await;
    let admin = token(&gw.store, "admin").await;
    let viewer = token(&gw.store, "viewer").await;
    let http = client();
    let tryout = |app: &str, t: &str, secret: &str| {
        http.post(admin_url(
            &gw,
            &format!("/api/v1/tenants/{app}/token-tryout"),
        ))
        .bearer_auth(t)
        .json(&json!({ "secret": secret }))
        .send()
    };

    let res = tryout("shop", &admin, "shop-secret-123").await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(
        body["endpoint"],
        format!("http://{}/oauth/tokens", gw.gateway.http_addr.unwrap())
    );
    assert_eq!(body["body"]["token_type"], "Bearer", "{body}");
    let jwt = body["body"]["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], "shop");

    // Refusals are the data plane's own answers, passed through.
    for (app, secret) in [("shop", "wrong-secret-000"), ("off", "off-secret-456")] {
        let body: Value = tryout(app, &admin, secret)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["status"], 401, "{body}");
        assert_eq!(body["body"]["error"], "invalid_client", "{body}");
    }

    let res = tryout("nobody", &admin, "whatever-secret").await.unwrap();
    assert_eq!(res.status(), 404);
    let res = tryout("shop", &viewer, "shop-secret-123").await.unwrap();
    assert_eq!(res.status(), 403);

    // Recorded in the audit log.
    let audit: Value = http
        .get(admin_url(&gw, "/api/v1/audit?action=tenant.token_tryout"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["total"], 3, "{audit}");
    gw.stop().await;
}
