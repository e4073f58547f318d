//! Certificates: the key is write-only (never in reads, lists, revisions,
//! diffs, exports or the audit log), kept on replace; names, issuer and
//! expiry are listed; bad PEM, mismatched keys, expired and not-yet-valid
//! certificates and two defaults are field errors; versions, 401, 403, 404,
//! 409, 428 as for every resource.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{Method, header};
use serde_json::{Value, json};
use weir_testkit::tls::{IssuedCert, TestCa, Validity};

use crate::common::{Api, Auth, START_MS};

/// Move the test clock to the real time, which the certificates (and the
/// store's expiry check) are made against.
fn align_clock(api: &Api) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    api.advance(Duration::from_millis((now - START_MS) as u64));
}

fn body(name: &str, c: &IssuedCert) -> Value {
    json!({"name": name, "cert": c.chain_pem(), "key": c.key_pem})
}

/// A line of the key that appears nowhere else.
fn key_line(c: &IssuedCert) -> String {
    c.key_pem.lines().nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn certificate_keys_are_write_only_and_expiry_is_listed() {
    let api = Api::new().await;
    align_clock(&api);
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    let ca = TestCa::new("Weir Test CA");
    let web = ca.issue(&["a.example.com", "*.wild.example.com"], Validity::days(90));
    let soon = ca.issue(
        &["soon.example.com"],
        Validity::for_duration(Duration::from_secs(10 * 86_400 + 3600)),
    );

    let r = api
        .call(
            Method::POST,
            "/api/v1/certificates",
            a.clone(),
            Some(body("web", &web)),
        )
        .await
        .expect(201);
    assert_eq!(r.headers[header::LOCATION], "/api/v1/certificates/web");
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    assert!(r.body["spec"].get("key").is_none(), "{}", r.body);
    assert_eq!(r.body["spec"]["cert"], web.chain_pem());
    let info = &r.body["info"];
    assert_eq!(
        info["dns_names"],
        json!(["a.example.com", "*.wild.example.com"])
    );
    assert_eq!(info["subject"], "CN=a.example.com");
    assert!(
        info["issuer"].as_str().unwrap().contains("Weir Test CA"),
        "{info}"
    );
    assert_eq!(info["expires_in_days"], 90);
    assert_eq!(
        (&info["expiring_soon"], &info["expired"], &info["default"]),
        (&json!(false), &json!(false), &json!(false))
    );
    assert!(info["not_after_iso"].as_str().unwrap().ends_with('Z'));
    assert!(info["not_after"].as_i64().unwrap() > info["not_before"].as_i64().unwrap());
    assert!(info["error"].is_null());

    let r = api
        .call(
            Method::POST,
            "/api/v1/certificates",
            a.clone(),
            Some(body("soon", &soon)),
        )
        .await
        .expect(201);
    assert_eq!(r.body["info"]["expires_in_days"], 10);
    assert_eq!(r.body["info"]["expiring_soon"], true);

    // Listed with names and expiry; sorted and searched.
    let r = api
        .call(
            Method::GET,
            "/api/v1/certificates?sort=not_after",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["items"][0]["name"], "soon");
    assert_eq!(r.body["items"][0]["expiring_soon"], true);
    assert_eq!(r.body["items"][1]["version"], 1);
    let r = api
        .call(Method::GET, "/api/v1/certificates?q=WILD", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["name"], "web");

    // Replace without the key keeps it (here: make it the default).
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/certificates/web",
            a.clone(),
            Some(json!({"name": "web", "cert": web.chain_pem(), "default": true})),
            &[("if-match", "1")],
        )
        .await
        .expect(200);
    assert_eq!(r.headers[header::ETAG], "\"3\"");
    assert_eq!(r.body["info"]["default"], true);
    assert!(r.body["spec"].get("key").is_none());
    let stored = api
        .store
        .resource(weir_core::ResourceKind::Certificate, "web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.spec["key"], web.key_pem.as_str());

    // Apply the exported document back: the keys survive.
    let export = api
        .call(Method::GET, "/api/v1/config", a.clone(), None)
        .await
        .expect(200);
    api.call(
        Method::PUT,
        "/api/v1/config",
        a.clone(),
        Some(export.body["document"].clone()),
    )
    .await
    .expect(200);
    let stored = api
        .store
        .resource(weir_core::ResourceKind::Certificate, "soon")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.spec["key"], soon.key_pem.as_str());

    // Reads never show a key: show, list, export, every revision, diffs,
    // the configuration at a revision, the audit log.
    let mut uris = vec![
        "/api/v1/certificates/web".to_owned(),
        "/api/v1/certificates".to_owned(),
        "/api/v1/config".to_owned(),
        "/api/v1/revisions".to_owned(),
        "/api/v1/revisions/diff?from=0&to=3".to_owned(),
        "/api/v1/revisions/diff?from=3&to=0".to_owned(),
        "/api/v1/audit".to_owned(),
    ];
    for rev in 1..=3 {
        uris.push(format!("/api/v1/revisions/{rev}"));
        uris.push(format!("/api/v1/revisions/{rev}/config"));
    }
    for uri in &uris {
        let r = api
            .call(Method::GET, uri, a.clone(), None)
            .await
            .expect(200);
        let text = r.body.to_string();
        for c in [&web, &soon] {
            assert!(
                !text.contains(&key_line(c)) && !text.contains("PRIVATE KEY"),
                "{uri} shows a key: {text}"
            );
        }
    }
    // The replace that changed `default` shows as that field only.
    let r = api
        .call(Method::GET, "/api/v1/revisions/3", a.clone(), None)
        .await
        .expect(200);
    let fields: Vec<&str> = r.body["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["default"]);

    // Rollback to revision 1 restores the state with its key.
    api.call(
        Method::POST,
        "/api/v1/revisions/1/rollback",
        a.clone(),
        None,
    )
    .await
    .expect(200);
    let r = api
        .call(Method::GET, "/api/v1/certificates", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["default"], false);
}

#[tokio::test]
async fn certificate_problems_are_field_errors() {
    let api = Api::new().await;
    align_clock(&api);
    let admin = api.token("admin").await;
    let viewer = api.token("viewer").await;
    let a = Auth::Bearer(&admin);
    let ca = TestCa::new("Weir Test CA");
    let good = ca.issue_valid(&["good.example.com"]);
    let other = ca.issue_valid(&["other.example.com"]);

    let post = |b: Value| api.call(Method::POST, "/api/v1/certificates", a.clone(), Some(b));
    let r = post(json!({"name": "bad", "cert": "not pem", "key": good.key_pem}))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["cert"]);
    let r = post(json!({"name": "nokey", "cert": good.chain_pem()}))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["key"]);
    let r = post(body("mismatch", &good.with_key_of(&other)))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["key"]);
    assert!(r.body.to_string().contains("does not match"), "{}", r.body);
    let r = post(json!({"name": "badkey", "cert": good.chain_pem(), "key": "junk"}))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["key"]);
    let expired = ca.issue(&["old.example.com"], Validity::expired());
    let r = post(body("old", &expired)).await.expect(422);
    assert_eq!(r.paths(), ["cert"]);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("expired at")
    );
    let future = ca.issue(&["new.example.com"], Validity::not_yet_valid());
    let r = post(body("future", &future)).await.expect(422);
    assert_eq!(r.paths(), ["cert"]);
    let r = post(json!({"name": "x", "cert": "c", "key": "k", "colour": "red"}))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["colour"]);
    let r = post(json!({"name": "bad name!", "cert": good.chain_pem(), "key": good.key_pem}))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["name"]);

    // One default only.
    let mut d1 = body("d1", &good);
    d1["default"] = json!(true);
    post(d1).await.expect(201);
    let mut d2 = body("d2", &other);
    d2["default"] = json!(true);
    let r = post(d2).await.expect(422);
    assert_eq!(r.paths(), ["default"]);
    // The name is taken.
    let r = post(body("d1", &good)).await.expect(409);
    assert_eq!(r.code(), "already_exists");

    // Replace: If-Match, name, key mismatch with the kept key.
    let put = |uri: &'static str, b: Value, version: Option<&'static str>| {
        let headers: Vec<(&str, &str)> = version.map(|v| ("if-match", v)).into_iter().collect();
        let (api, a) = (&api, a.clone());
        async move { api.call_with(Method::PUT, uri, a, Some(b), &headers).await }
    };
    put("/api/v1/certificates/d1", body("d1", &good), None)
        .await
        .expect(428);
    put("/api/v1/certificates/d1", body("d1", &good), Some("99"))
        .await
        .expect(409);
    put("/api/v1/certificates/none", body("none", &good), Some("1"))
        .await
        .expect(404);
    let r = put("/api/v1/certificates/d1", body("d2", &good), Some("1"))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["name"]);
    // Another certificate without a key: the stored key does not match it.
    let r = put(
        "/api/v1/certificates/d1",
        json!({"name": "d1", "cert": other.chain_pem()}),
        Some("1"),
    )
    .await
    .expect(422);
    assert_eq!(r.paths(), ["key"]);

    // Roles and existence.
    let v = Auth::Bearer(&viewer);
    api.call(Method::GET, "/api/v1/certificates", v.clone(), None)
        .await
        .expect(200);
    let r = api
        .call(
            Method::POST,
            "/api/v1/certificates",
            v.clone(),
            Some(body("v", &good)),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "forbidden");
    api.call_with(
        Method::DELETE,
        "/api/v1/certificates/d1",
        v.clone(),
        None,
        &[("if-match", "1")],
    )
    .await
    .expect(403);
    api.call(Method::GET, "/api/v1/certificates", Auth::None, None)
        .await
        .expect(401);
    api.call(Method::GET, "/api/v1/certificates/none", a.clone(), None)
        .await
        .expect(404);
    api.call(
        Method::GET,
        "/api/v1/certificates?sort=colour",
        a.clone(),
        None,
    )
    .await
    .expect(400);

    // Delete with the version.
    api.call(Method::DELETE, "/api/v1/certificates/d1", a.clone(), None)
        .await
        .expect(428);
    let r = api
        .call_with(
            Method::DELETE,
            "/api/v1/certificates/d1",
            a.clone(),
            None,
            &[("if-match", "1")],
        )
        .await
        .expect(200);
    assert_eq!(r.body["revision"], 2);
    api.call(Method::GET, "/api/v1/certificates/d1", a.clone(), None)
        .await
        .expect(404);
    // Audited by name, never with the key.
    let r = api
        .call(
            Method::GET,
            "/api/v1/audit?action=certificate.delete",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["target"], "certificate/d1");
}
