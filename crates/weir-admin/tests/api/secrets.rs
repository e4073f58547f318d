//! Secrets in output (issue 15): revision history, diffs and the audit log
//! say that a secret changed — `<redacted, changed>` — and never show it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use serde_json::json;
use weir_testkit::tls::{TestCa, Validity};

use crate::common::{Api, Auth, START_MS};

#[tokio::test]
async fn history_and_audit_show_that_secrets_changed_but_not_the_secrets() {
    let api = Api::new().await;
    // Certificates are checked against the real time.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    api.advance(Duration::from_millis((now - START_MS) as u64));
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);

    let r = api
        .call(
            Method::POST,
            "/api/v1/tenants",
            a.clone(),
            Some(json!({"app_id": "shop"})),
        )
        .await
        .expect(201);
    let first = r.body["secret"].as_str().unwrap().to_owned();
    let r = api
        .call(Method::POST, "/api/v1/tenants/shop/secret", a.clone(), None)
        .await
        .expect(200);
    let second = r.body["secret"].as_str().unwrap().to_owned();

    let ca = TestCa::new("Weir Test CA");
    let one = ca.issue_valid(&["a.example.com"]);
    let two = ca.issue(&["a.example.com"], Validity::days(30));
    let r = api
        .call(
            Method::POST,
            "/api/v1/certificates",
            a.clone(),
            Some(json!({"name": "web", "cert": one.chain_pem(), "key": one.key_pem})),
        )
        .await
        .expect(201);
    let version = r.body["version"].as_i64().unwrap().to_string();
    api.call_with(
        Method::PUT,
        "/api/v1/certificates/web",
        a.clone(),
        Some(json!({"name": "web", "cert": two.chain_pem(), "key": two.key_pem})),
        &[("if-match", &version)],
    )
    .await
    .expect(200);

    let secrets = [
        first.clone(),
        second.clone(),
        one.key_pem.lines().nth(1).unwrap().to_owned(),
        two.key_pem.lines().nth(1).unwrap().to_owned(),
    ];
    let mut shown = String::new();
    for uri in [
        "/api/v1/revisions",
        "/api/v1/revisions/2",
        "/api/v1/revisions/4",
        "/api/v1/revisions/diff?from=0&to=4",
        "/api/v1/revisions/diff?from=1&to=2",
        "/api/v1/audit?page_size=500",
    ] {
        let r = api
            .call(Method::GET, uri, a.clone(), None)
            .await
            .expect(200);
        let body = r.body.to_string();
        for s in &secrets {
            assert!(!body.contains(s.as_str()), "{uri} shows a secret: {body}");
        }
        shown.push_str(&body);
    }
    // The reset and the key change are visible as such.
    let r = api
        .call(Method::GET, "/api/v1/revisions/2", a.clone(), None)
        .await
        .expect(200);
    let fields = &r.body["changes"][0]["fields"];
    assert!(
        fields
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "secret"
                && f["before"] == "<redacted>"
                && f["after"] == "<redacted, changed>"),
        "{fields}"
    );
    let r = api
        .call(Method::GET, "/api/v1/revisions/4", a.clone(), None)
        .await
        .expect(200);
    let fields = r.body["changes"][0]["fields"].as_array().unwrap().clone();
    assert!(
        fields
            .iter()
            .any(|f| f["path"] == "key" && f["after"] == "<redacted, changed>"),
        "{fields:?}"
    );
}
