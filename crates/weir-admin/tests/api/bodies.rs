//! Request bodies of the wrong JSON type are refused on every operation
//! that takes a body — the operations are read from the OpenAPI document, so
//! a new one is covered without touching this test — and nothing is written.

use axum::http::Method;
use serde_json::{Value, json};

use crate::common::{Api, Auth, service};

/// Bodies that are JSON but never the object any operation documents.
fn wrong_types() -> [Value; 6] {
    [
        json!([null, null]),
        json!(null),
        json!(7),
        json!("x"),
        json!(true),
        json!([{}]),
    ]
}

#[tokio::test]
async fn wrong_typed_bodies_are_refused_everywhere() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(service("demo", "/demo/")),
    )
    .await
    .expect(201);
    let revision = api.store.revision().await.unwrap();

    let doc = serde_json::to_value(weir_admin::openapi::document()).unwrap();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_none() {
                continue;
            }
            // Existing names where the path has them, so that only the body
            // can be at fault.
            let uri = path
                .replace("{name}", "demo")
                .replace("{app_id}", "t1")
                .replace("{id}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for body in wrong_types() {
                let r = api
                    .call_with(
                        method.clone(),
                        &uri,
                        a.clone(),
                        Some(body.clone()),
                        &[("if-match", "1")],
                    )
                    .await;
                let status = r.status.as_u16();
                assert!(
                    (400..500).contains(&status),
                    "{method} {uri} with {body} answered {status}: {}",
                    r.body
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 6 * 15, "only {tried} requests");
    assert_eq!(
        api.store.revision().await.unwrap(),
        revision,
        "a wrong-typed body changed the configuration"
    );
}

/// The two bodies the issue names: an array taken for an object.
#[tokio::test]
async fn an_array_is_not_an_object() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    for (method, uri) in [
        (Method::PATCH, "/api/v1/users/admin"),
        (Method::POST, "/api/v1/signing-keys/rotate"),
        (Method::POST, "/api/v1/revisions/1/rollback"),
        (Method::POST, "/api/v1/services"),
    ] {
        let r = api
            .call(method.clone(), uri, a.clone(), Some(json!([null, null])))
            .await
            .expect(422);
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("expected a JSON object"),
            "{method} {uri}: {message}"
        );
    }
    // Nested too: a node written as an array.
    let mut svc = service("a", "/a/");
    svc["upstream"]["nodes"] = json!([["127.0.0.1:1", 1, true]]);
    let r = api
        .call(Method::POST, "/api/v1/services", a.clone(), Some(svc))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["upstream.nodes[0]"]);
    // An optional body may be absent, but not null.
    api.call(Method::POST, "/api/v1/signing-keys/rotate", a.clone(), None)
        .await
        .expect(200);
    api.call(
        Method::POST,
        "/api/v1/signing-keys/rotate",
        a.clone(),
        Some(Value::Null),
    )
    .await
    .expect(422);
}
