//! Revisions (list, show, config at, diff, rollback), the whole-document
//! config endpoints, the audit log, and the remaining read endpoints.

use axum::http::{Method, header};
use serde_json::json;

use crate::common::{Api, Auth, service};

#[tokio::test]
async fn revisions_diff_and_rollback() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(service("a", "/a/")),
    )
    .await
    .expect(201); // 1
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(service("b", "/b/")),
    )
    .await
    .expect(201); // 2
    api.call_with(
        Method::PUT,
        "/api/v1/services/a",
        a.clone(),
        Some(service("a", "/a2/")),
        &[("if-match", "1")],
    )
    .await
    .expect(200); // 3

    let r = api
        .call(
            Method::GET,
            "/api/v1/revisions?page_size=2",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["total"], 3);
    let ids: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 2]);
    assert_eq!(r.body["items"][0]["author"], "admin-bot");
    assert_eq!(r.body["items"][0]["source"], "api");

    let r = api
        .call(Method::GET, "/api/v1/revisions/3", a.clone(), None)
        .await
        .expect(200);
    // The summary names the service and the field that changed.
    assert_eq!(r.body["summary"], "services: changed a (match.prefix)");
    assert_eq!(r.body["changes"][0]["op"], "update");
    assert_eq!(r.body["changes"][0]["fields"][0]["path"], "match.prefix");
    api.call(Method::GET, "/api/v1/revisions/99", a.clone(), None)
        .await
        .expect(404);
    api.call(Method::GET, "/api/v1/revisions/abc", a.clone(), None)
        .await
        .expect(400);

    let r = api
        .call(Method::GET, "/api/v1/revisions/1/config", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["services"].as_array().unwrap().len(), 1);
    api.call(Method::GET, "/api/v1/revisions/9/config", a.clone(), None)
        .await
        .expect(404);

    let r = api
        .call(
            Method::GET,
            "/api/v1/revisions/diff?from=1&to=3",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    let ops: Vec<_> = r.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["op"].as_str().unwrap()))
        .collect();
    assert_eq!(ops, [("a", "update"), ("b", "add")]);
    api.call(
        Method::GET,
        "/api/v1/revisions/diff?from=1&to=42",
        a.clone(),
        None,
    )
    .await
    .expect(404);
    api.call(
        Method::GET,
        "/api/v1/revisions/diff?from=1",
        a.clone(),
        None,
    )
    .await
    .expect(400);

    // Rollback to 1: a new revision 4 equal to 1.
    let r = api
        .call(
            Method::POST,
            "/api/v1/revisions/1/rollback",
            a.clone(),
            Some(json!({"message": "undo"})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["revision"], 4);
    let entry = api
        .call(Method::GET, "/api/v1/revisions/4", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(entry.body["summary"], "undo");
    // A person's summary has no code: shown as written in every language.
    assert_eq!(entry.body["summary_code"], serde_json::Value::Null);
    assert_eq!(entry.body["summary_params"], serde_json::Value::Null);
    let svc = api
        .call(Method::GET, "/api/v1/services/a", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        (
            svc.body["spec"]["match"]["prefix"].as_str(),
            svc.body["version"].as_i64()
        ),
        (Some("/a/"), Some(4))
    );
    api.call(Method::GET, "/api/v1/services/b", a.clone(), None)
        .await
        .expect(404);
    // Again: nothing to do, no revision. Without a body too.
    let r = api
        .call(
            Method::POST,
            "/api/v1/revisions/1/rollback",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["revision"], serde_json::Value::Null);
    // If-Match guards against a store that moved.
    let r = api
        .call_with(
            Method::POST,
            "/api/v1/revisions/2/rollback",
            a.clone(),
            None,
            &[("if-match", "3")],
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "version_conflict");
    api.call(
        Method::POST,
        "/api/v1/revisions/77/rollback",
        a.clone(),
        None,
    )
    .await
    .expect(404);

    let audit = api
        .call(
            Method::GET,
            "/api/v1/audit?action=revision.rollback",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(audit.body["total"], 3);
    assert_eq!(audit.body["items"][0]["actor"], "admin-bot");
    assert_eq!(audit.body["items"][0]["actor_kind"], "token");
    assert_eq!(audit.body["items"][0]["ip"], "unknown");
}

/// Issue 13: what Weir writes into the history itself — summaries and
/// audit details — comes with a message code and parameters beside the
/// English text, for the dashboard to show in the reader's language.
#[tokio::test]
async fn summaries_and_audit_details_carry_codes() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(service("a", "/a/")),
    )
    .await
    .expect(201); // 1
    let put = |version: &'static str, prefix: &'static str| {
        let a = a.clone();
        let api = &api;
        async move {
            api.call_with(
                Method::PUT,
                "/api/v1/services/a",
                a,
                Some(service("a", prefix)),
                &[("if-match", version)],
            )
            .await
        }
    };
    put("1", "/a2/").await.expect(200); // 2
    put("2", "/a2/").await.expect(200); // no change, no revision
    put("1", "/a3/").await.expect(409); // stale
    api.call(
        Method::POST,
        "/api/v1/revisions/1/rollback",
        a.clone(),
        None,
    )
    .await
    .expect(200); // 3

    let r = api
        .call(Method::GET, "/api/v1/revisions", a.clone(), None)
        .await
        .expect(200);
    let items = r.body["items"].as_array().unwrap();
    let (rollback, changed, created) = (&items[0], &items[1], &items[2]);
    assert_eq!(created["summary"], "services: added a");
    assert_eq!(created["summary_code"], "changes");
    assert_eq!(
        created["summary_params"],
        json!({"changes": [{"kind": "services", "op": "add", "names": ["a"], "more": 0,
                            "fields": [], "more_fields": false}]})
    );
    assert_eq!(changed["summary_code"], "changes");
    assert_eq!(
        changed["summary_params"]["changes"][0]["fields"],
        json!(["match.prefix"])
    );
    assert_eq!(
        rollback["summary"],
        "rollback to revision 1: services: changed a (match.prefix)"
    );
    assert_eq!(rollback["summary_code"], "rollback");
    assert_eq!(rollback["summary_params"]["revision"], 1);
    assert_eq!(rollback["summary_params"]["changes"][0]["op"], "update");

    let audit = api
        .call(
            Method::GET,
            "/api/v1/audit?action=service.update",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    let details: Vec<_> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["detail"].as_str().unwrap(),
                e["detail_code"].clone(),
                e["detail_params"].clone(),
            )
        })
        .collect();
    assert_eq!(
        details,
        [
            (
                "failed",
                "version_conflict",
                json!("request_failed"),
                json!({"error": "version_conflict"})
            ),
            ("ok", "no change", json!("no_change"), json!({})),
            ("ok", "", json!(null), json!(null)),
        ]
    );
}

#[tokio::test]
async fn config_export_and_apply() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    let doc = json!({"services": [service("a", "/a/"), service("b", "/b/")]});
    let r = api
        .call(
            Method::PUT,
            "/api/v1/config?dry_run=true",
            a.clone(),
            Some(doc.clone()),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["revision"].clone(),
            r.body["changes"].as_array().unwrap().len()
        ),
        (serde_json::Value::Null, 2)
    );
    assert_eq!(api.store.revision().await.unwrap(), 0);
    let r = api
        .call(
            Method::PUT,
            "/api/v1/config?message=initial",
            a.clone(),
            Some(doc.clone()),
        )
        .await
        .expect(200);
    assert_eq!(r.body["revision"], 1);
    assert_eq!(
        api.store.revision_entry(1).await.unwrap().unwrap().summary,
        "initial"
    );
    let r = api
        .call(Method::GET, "/api/v1/config", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["document"]["services"].as_array().unwrap().len(), 2);
    // Stale If-Match → 409; invalid document → 422 with document paths.
    api.call_with(
        Method::PUT,
        "/api/v1/config",
        a.clone(),
        Some(doc.clone()),
        &[("if-match", "0")],
    )
    .await
    .expect(409);
    let bad = json!({"services": [service("a", "/a/"), service("a", "/b/")]});
    let r = api
        .call(Method::PUT, "/api/v1/config", a.clone(), Some(bad))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["services[1].name"]);
    let r = api
        .call(
            Method::PUT,
            "/api/v1/config",
            a.clone(),
            Some(json!({"servces": []})),
        )
        .await
        .expect(422);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("servces")
    );
}

#[tokio::test]
async fn stats_status_explain_and_unknown_routes() {
    let api = Api::new().await;
    let viewer = api.token("viewer").await;
    let v = Auth::Bearer(&viewer);
    let r = api
        .call(Method::GET, "/api/v1/stats/summary", v.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["services"].as_u64(),
            r.body["stats_available"].as_bool()
        ),
        (Some(0), Some(false))
    );
    assert_eq!(r.body["services_by_kind"]["http"], 0);
    let r = api
        .call(Method::GET, "/api/v1/stats/series", v.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["yesterday"].as_array().unwrap().len(), 24);
    let r = api
        .call(
            Method::GET,
            "/api/v1/stats/series?scope=service",
            v.clone(),
            None,
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["name"]);
    api.call(
        Method::GET,
        "/api/v1/stats/series?scope=tenant&name=app1",
        v.clone(),
        None,
    )
    .await
    .expect(200);
    api.call(
        Method::GET,
        "/api/v1/stats/series?scope=planet",
        v.clone(),
        None,
    )
    .await
    .expect(400);
    let r = api
        .call(Method::GET, "/api/v1/nodes", v.clone(), None)
        .await
        .expect(200);
    // Registered nodes come from the store: always available.
    assert_eq!(r.body["available"], true);
    assert_eq!(r.body["nodes"], json!([]));
    let r = api
        .call(Method::GET, "/api/v1/status", v.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["store_revision"].as_i64(),
            r.body["snapshot_revision"].as_i64()
        ),
        (Some(0), Some(7))
    );

    // Explain is a read: viewers may use it.
    let r = api
        .call(
            Method::POST,
            "/api/v1/explain",
            v.clone(),
            Some(json!({"path": "/x", "client_ip": "10.0.0.1"})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["client_ip"], "10.0.0.1");
    let r = api
        .call(
            Method::POST,
            "/api/v1/explain",
            v.clone(),
            Some(json!({"path": "x", "client_ip": "10.0.0.1"})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["path"]);
    let r = api
        .call(
            Method::POST,
            "/api/v1/explain",
            v.clone(),
            Some(json!({"client_ip": "1.2.3.4"})),
        )
        .await
        .expect(422);
    assert_eq!(r.code(), "validation_failed");

    let r = api
        .call(Method::GET, "/api/v1/nothing-here", v.clone(), None)
        .await
        .expect(404);
    assert_eq!(r.code(), "not_found");
    let r = api
        .call(Method::PATCH, "/api/v1/services", v.clone(), None)
        .await
        .expect(405);
    assert_eq!(r.code(), "method_not_allowed");
    // No data plane in the fake runtime: no metrics.
    let r = api
        .call(Method::GET, "/metrics", Auth::None, None)
        .await
        .expect(404);
    assert_eq!(r.code(), "not_found");
    let r = api.call(Method::GET, "/api/docs/", Auth::None, None).await;
    assert_eq!(r.status, 200, "swagger UI");
}
