//! Services: create, show, list (paging, sorting, search, filters),
//! replace with If-Match, delete, validation with field paths, 404, 409,
//! 428, viewer 403, health and stats.

use axum::http::{Method, header};
use serde_json::json;

use crate::common::{Api, Auth, service};

#[tokio::test]
async fn create_show_replace_delete_with_versions() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);

    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            auth.clone(),
            Some(service("users", "/users/")),
        )
        .await
        .expect(201);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    assert_eq!(r.headers[header::LOCATION], "/api/v1/services/users");
    // Defaults stay implicit: the answer is what was set.
    assert_eq!(r.body["spec"], service("users", "/users/"));

    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            auth.clone(),
            Some(service("users", "/other/")),
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "already_exists");

    let r = api
        .call(Method::GET, "/api/v1/services/users", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    assert_eq!(r.body["spec"]["match"]["prefix"], "/users/");
    api.call(Method::GET, "/api/v1/services/nope", auth.clone(), None)
        .await
        .expect(404);

    // Another service moves the store to revision 2; users stays at version 1.
    api.call(
        Method::POST,
        "/api/v1/services",
        auth.clone(),
        Some(service("orders", "/orders/")),
    )
    .await
    .expect(201);

    let mut changed = service("users", "/users/v2/");
    changed["description"] = json!("user service");
    // Without If-Match: 428, nothing written.
    let r = api
        .call(
            Method::PUT,
            "/api/v1/services/users",
            auth.clone(),
            Some(changed.clone()),
        )
        .await
        .expect(428);
    assert_eq!(r.code(), "precondition_required");
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/users",
            auth.clone(),
            Some(changed.clone()),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["version"].as_i64(),
            r.headers[header::ETAG].to_str().unwrap()
        ),
        (Some(3), "\"3\"")
    );
    // A stale version: 409, and the stored spec is the newer one.
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/users",
            auth.clone(),
            Some(service("users", "/stale/")),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "version_conflict");
    let r = api
        .call(Method::GET, "/api/v1/services/users", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["spec"]["match"]["prefix"], "/users/v2/");
    // Renaming through PUT is refused with the field named.
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/users",
            auth.clone(),
            Some(service("people", "/p/")),
            &[("if-match", "3")],
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["name"]);
    // PUT on a missing service.
    api.call_with(
        Method::PUT,
        "/api/v1/services/nope",
        auth.clone(),
        Some(service("nope", "/n/")),
        &[("if-match", "1")],
    )
    .await
    .expect(404);
    // A malformed If-Match is a 400.
    api.call_with(
        Method::PUT,
        "/api/v1/services/users",
        auth.clone(),
        Some(changed.clone()),
        &[("if-match", "yesterday")],
    )
    .await
    .expect(400);

    // Delete: 428 without If-Match, 409 stale, 200 right, then 404.
    api.call(Method::DELETE, "/api/v1/services/users", auth.clone(), None)
        .await
        .expect(428);
    api.call_with(
        Method::DELETE,
        "/api/v1/services/users",
        auth.clone(),
        None,
        &[("if-match", "1")],
    )
    .await
    .expect(409);
    let r = api
        .call_with(
            Method::DELETE,
            "/api/v1/services/users",
            auth.clone(),
            None,
            &[("if-match", "3")],
        )
        .await
        .expect(200);
    assert_eq!(r.body["revision"], 4);
    api.call_with(
        Method::DELETE,
        "/api/v1/services/users",
        auth.clone(),
        None,
        &[("if-match", "4")],
    )
    .await
    .expect(404);

    // Every write was a revision by the token, from the API, and audited.
    let revs = api.store.revisions(10, None).await.unwrap();
    assert_eq!(revs.len(), 4);
    assert!(
        revs.iter()
            .all(|r| r.author == "admin-bot" && r.source == "api")
    );
    let audit = api
        .store
        .audit(&Default::default(), 0, 100)
        .await
        .unwrap()
        .1;
    let actions: Vec<_> = audit
        .iter()
        .map(|e| (e.entry.action.as_str(), e.entry.outcome.as_str()))
        .collect();
    assert!(actions.contains(&("service.delete", "ok")), "{actions:?}");
    assert!(
        actions.contains(&("service.update", "failed")),
        "{actions:?}"
    );
}

/// What a dashboard in another language needs to word a refused PUT: each
/// field problem's code and named parameters beside the English message,
/// and the data a problem's detail names.
#[tokio::test]
async fn problems_carry_codes_and_params_to_translate() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        auth.clone(),
        Some(service("web", "/web/")),
    )
    .await
    .expect(201);
    let mut bad = service("web", "/web/");
    bad["upstream"]["nodes"][0]["addr"] = json!("10.0.0.1");
    bad["match"]["host"] = json!("a..b");
    bad["upstream"]["nodes"][1]["weight"] = json!("heavy");
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/web",
            auth.clone(),
            Some(bad.clone()),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(422);
    // A shape error stops before validation: its code names what was found.
    assert_eq!(r.body["errors"][0]["path"], "upstream.nodes[1].weight");
    assert_eq!(r.body["errors"][0]["code"], "invalid_type");
    assert_eq!(r.body["errors"][0]["params"]["found"], "string \"heavy\"");
    bad["upstream"]["nodes"][1]["weight"] = json!(1);
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/web",
            auth.clone(),
            Some(bad),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(422);
    assert_eq!(r.code(), "validation_failed");
    assert_eq!(r.body["params"], json!({}));
    let errors = r.body["errors"].as_array().unwrap();
    let addr = errors
        .iter()
        .find(|e| e["path"] == "upstream.nodes[0].addr")
        .unwrap();
    assert_eq!(
        addr,
        &json!({
            "path": "upstream.nodes[0].addr",
            "code": "addr_no_port",
            "params": {"addr": "10.0.0.1"},
            "message": "\"10.0.0.1\" has no port (write 10.0.0.1:PORT)",
        })
    );
    let host = errors.iter().find(|e| e["path"] == "match.host").unwrap();
    assert_eq!(host["code"], "match_host_invalid");
    assert_eq!(host["params"]["host"], "a..b");
    // The reason is a message of its own, nested.
    assert_eq!(host["params"]["why"]["code"], "host_empty_label");
    assert!(
        host["message"]
            .as_str()
            .unwrap()
            .contains("(it has an empty label)")
    );

    // A detail that names something has it as parameters.
    let r = api
        .call(Method::GET, "/api/v1/services/nope", auth.clone(), None)
        .await
        .expect(404);
    assert_eq!(r.code(), "not_found");
    assert_eq!(r.body["params"], json!({"kind": "service", "name": "nope"}));
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            auth.clone(),
            Some(service("web", "/other/")),
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "already_exists");
    assert_eq!(r.body["params"], json!({"kind": "service", "name": "web"}));

    // A value a type of its own syntax refuses (a duration, a hash key)
    // keeps its code through the JSON parser, nested under value_invalid,
    // with the same English as the YAML loader prints.
    for (field, value, code, why) in [
        (
            "timeouts",
            json!({"connect": "5x"}),
            "duration_invalid",
            Some("duration_unknown_unit"),
        ),
        ("hash_key", json!("cookie"), "hash_key_unknown", None),
    ] {
        let mut bad = service("odd", "/odd/");
        bad["upstream"][field] = value;
        let r = api
            .call(Method::POST, "/api/v1/services", auth.clone(), Some(bad))
            .await
            .expect(422);
        let e = &r.body["errors"][0];
        assert_eq!(e["code"], "value_invalid", "{field}: {e}");
        let reason = &e["params"]["reason"];
        assert_eq!(reason["code"], code, "{field}: {e}");
        assert_eq!(e["message"], reason["message"], "{field}: {e}");
        if let Some(why) = why {
            assert_eq!(reason["params"]["why"]["code"], why);
            assert_eq!(
                reason["message"],
                "invalid duration \"5x\": unknown unit (use ms, s, m, h or d) (write it like 2s, 500ms, 1m30s or 1h)"
            );
        }
    }
}

#[tokio::test]
async fn validation_errors_name_fields_relative_to_the_service() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        auth.clone(),
        Some(service("a", "/a/")),
    )
    .await
    .expect(201);

    // Semantic errors from weir_core::compile, scoped to the resource.
    let mut bad = service("b", "no-slash");
    bad["upstream"]["nodes"][1]["addr"] = json!("10.0.0.1");
    bad["rewrite"] = json!([{"pattern": "(", "replacement": "/x"}]);
    let r = api
        .call(Method::POST, "/api/v1/services", auth.clone(), Some(bad))
        .await
        .expect(422);
    assert_eq!(r.code(), "validation_failed");
    let mut paths = r.paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "match.prefix",
            "rewrite[0].pattern",
            "upstream.nodes[1].addr"
        ]
    );

    // A route another service already owns.
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            auth.clone(),
            Some(service("b", "/a/")),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["match"]);

    // Shape errors from the model: unknown field, wrong type — with the path.
    let mut typo = service("c", "/c/");
    typo["strp_prefix"] = json!(true);
    let r = api
        .call(Method::POST, "/api/v1/services", auth.clone(), Some(typo))
        .await
        .expect(422);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("strp_prefix"),
        "{}",
        r.body
    );
    let mut wrong = service("c", "/c/");
    wrong["upstream"]["nodes"][0]["weight"] = json!("heavy");
    let r = api
        .call(Method::POST, "/api/v1/services", auth.clone(), Some(wrong))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["upstream.nodes[0].weight"]);

    // Not JSON, or not declared as JSON.
    let r = api
        .call_with(
            Method::POST,
            "/api/v1/services",
            auth.clone(),
            None,
            &[("content-type", "application/json")],
        )
        .await
        .expect(400);
    assert_eq!(r.code(), "bad_request");
    let r = api
        .call(Method::POST, "/api/v1/services", auth.clone(), None)
        .await
        .expect(415);
    assert_eq!(r.code(), "unsupported_media_type");
    assert_eq!(api.store.revision().await.unwrap(), 1);
}

#[tokio::test]
async fn viewers_read_but_never_write() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Bearer(&admin),
        Some(service("a", "/a/")),
    )
    .await
    .expect(201);
    let viewer = api.token("viewer").await;
    let v = Auth::Bearer(&viewer);
    api.call(Method::GET, "/api/v1/services", v.clone(), None)
        .await
        .expect(200);
    api.call(Method::GET, "/api/v1/services/a", v.clone(), None)
        .await
        .expect(200);
    for (method, uri, body) in [
        (Method::POST, "/api/v1/services", Some(service("b", "/b/"))),
        (
            Method::PUT,
            "/api/v1/services/a",
            Some(service("a", "/a2/")),
        ),
        (Method::DELETE, "/api/v1/services/a", None),
        (Method::POST, "/api/v1/revisions/1/rollback", None),
        (Method::PUT, "/api/v1/config", Some(json!({"services": []}))),
        (
            Method::POST,
            "/api/v1/users",
            Some(json!({"username": "x", "role": "admin", "password": "0123456789"})),
        ),
        (
            Method::PATCH,
            "/api/v1/users/admin",
            Some(json!({"role": "viewer"})),
        ),
        (Method::DELETE, "/api/v1/users/admin", None),
        (Method::GET, "/api/v1/audit", None),
    ] {
        let r = api
            .call_with(method.clone(), uri, v.clone(), body, &[("if-match", "1")])
            .await
            .expect(403);
        assert_eq!(r.code(), "forbidden", "{method} {uri}");
    }
    assert_eq!(api.store.revision().await.unwrap(), 1);
}

#[tokio::test]
async fn list_pages_sorts_searches_and_filters() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);
    for (name, prefix) in [
        ("alpha", "/a/"),
        ("beta", "/b/"),
        ("gamma", "/g/"),
        ("delta", "/d/"),
        ("shop", "/shop/"),
    ] {
        let mut s = service(name, prefix);
        if name == "gamma" {
            s["enabled"] = json!(false);
            s["description"] = json!("The Gamma Service");
        }
        api.call(Method::POST, "/api/v1/services", auth.clone(), Some(s))
            .await
            .expect(201);
    }
    let names = |r: &crate::common::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?page_size=2",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        (names(&r), r.body["total"].as_u64()),
        (vec!["alpha".into(), "beta".into()], Some(5))
    );
    assert_eq!(r.body["stats_available"], false);
    let item = &r.body["items"][0];
    assert_eq!(
        (
            item["kind"].as_str(),
            item["rule"].as_str(),
            item["node_count"].as_u64()
        ),
        (Some("http"), Some("prefix /a/"), Some(2))
    );
    // Its parts, for a client that words the rule itself; unset ones absent.
    assert_eq!(item["prefix"], "/a/");
    assert!(item.get("host").is_none() && item.get("port").is_none());
    assert_eq!(
        (item["today_requests"].as_u64(), item["qps"].as_u64()),
        (Some(0), Some(0))
    );
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?page=3&page_size=2",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r), ["shop"]);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?sort=-name&page_size=1",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r), ["shop"]);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?sort=-version",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r)[0], "shop");
    let r = api
        .call(Method::GET, "/api/v1/services?q=GAMMA", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(names(&r), ["gamma"]);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?q=%2Fshop",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r), ["shop"]);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services?enabled=false",
            auth.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r), ["gamma"]);
    let r = api
        .call(Method::GET, "/api/v1/services?kind=tcp", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["total"], 0);
    // Bad paging and unknown values are client errors, never 500.
    let r = api
        .call(Method::GET, "/api/v1/services?page=0", auth.clone(), None)
        .await
        .expect(422);
    assert_eq!(r.paths(), ["page"]);
    api.call(
        Method::GET,
        "/api/v1/services?page_size=501",
        auth.clone(),
        None,
    )
    .await
    .expect(422);
    api.call(
        Method::GET,
        "/api/v1/services?sort=colour",
        auth.clone(),
        None,
    )
    .await
    .expect(400);
    api.call(Method::GET, "/api/v1/services?page=-1", auth.clone(), None)
        .await
        .expect(400);
}

#[tokio::test]
async fn health_and_stats_of_a_service() {
    let api = Api::new().await;
    let token = api.token("viewer").await;
    let admin = api.token("admin").await;
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Bearer(&admin),
        Some(service("a", "/a/")),
    )
    .await
    .expect(201);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services/a/health",
            Auth::Bearer(&token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["checks_available"], false);
    // Stored but not in the running configuration yet: `off`, its nodes
    // `unknown`, not an error.
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Bearer(&admin),
        Some(service("pending", "/pending/")),
    )
    .await
    .expect(201);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services/pending/health",
            Auth::Bearer(&token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["summary"]["state"], "off", "{}", r.body);
    assert_eq!(r.body["nodes"][0]["status"], "unknown", "{}", r.body);
    assert_eq!(r.body["summary"]["total"], 2, "{}", r.body);
    api.call(
        Method::GET,
        "/api/v1/services/missing/health",
        Auth::Bearer(&token),
        None,
    )
    .await
    .expect(404);
    let r = api
        .call(
            Method::GET,
            "/api/v1/services/a/stats",
            Auth::Bearer(&token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["today"].as_array().unwrap().len(), 24);
    assert_eq!(r.body["available"], false);
    api.call(
        Method::GET,
        "/api/v1/services/zzz/stats",
        Auth::Bearer(&token),
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn tcp_services_are_summarised_by_port() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        auth.clone(),
        Some(json!({"name": "cache", "kind": "tcp", "port": 16379,
                    "limits": {"max_connections": 100},
                    "upstream": {"nodes": [{"addr": "127.0.0.1:6379"}]}})),
    )
    .await
    .expect(201);
    let r = api
        .call(Method::GET, "/api/v1/services?kind=tcp", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["items"][0]["rule"], "port 16379");
    assert_eq!(r.body["items"][0]["port"], 16379);
    let r = api
        .call(Method::GET, "/api/v1/services?q=16379", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["total"], 1);
}

/// Defaults stay implicit: a service that sets only its name, match and
/// nodes reads back, exports and enters the history as exactly that — also
/// when a client spells every default out, which is then no change at all.
#[tokio::test]
async fn answers_exports_and_history_hold_only_what_was_set() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let auth = Auth::Bearer(&admin);
    let written = json!({"name": "a", "match": {"prefix": "/a/"},
                         "upstream": {"nodes": [{"addr": "127.0.0.1:9001"}]}});
    api.call(
        Method::POST,
        "/api/v1/services",
        auth.clone(),
        Some(written.clone()),
    )
    .await
    .expect(201);
    let spelled = weir_core::model::defaults::fill(weir_core::ResourceKind::Service, &written);
    assert!(spelled["upstream"]["nodes"][0]["weight"].is_number());
    let r = api
        .call_with(
            Method::PUT,
            "/api/v1/services/a",
            auth.clone(),
            Some(spelled),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!((&r.body["version"], &r.body["spec"]), (&json!(1), &written));
    assert_eq!(
        api.store.revision().await.unwrap(),
        1,
        "no revision written"
    );

    let r = api
        .call(Method::GET, "/api/v1/services/a", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["spec"], written);
    let r = api
        .call(Method::GET, "/api/v1/config", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["document"]["services"], json!([written]));
    let r = api
        .call(Method::GET, "/api/v1/revisions/1", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(r.body["changes"][0]["after"], written);

    // One field changed: the revision shows that field alone, its old
    // value the default in effect.
    let mut changed = written.clone();
    changed["upstream"]["timeouts"] = json!({"connect": "2s"});
    api.call_with(
        Method::PUT,
        "/api/v1/services/a",
        auth.clone(),
        Some(changed),
        &[("if-match", "\"1\"")],
    )
    .await
    .expect(200);
    let r = api
        .call(Method::GET, "/api/v1/revisions/2", auth.clone(), None)
        .await
        .expect(200);
    assert_eq!(
        r.body["changes"][0]["fields"],
        json!([{"path": "upstream.timeouts.connect", "before": "5s", "after": "2s"}])
    );
}
