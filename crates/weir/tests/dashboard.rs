//! The admin listener as the web dashboard uses it: the app (or, in a build
//! without `web/dist`, the page saying how to build it) at `/` and at the
//! app's own routes, with a Content-Security-Policy, while unknown API
//! paths stay problem+json; and the tenant token try-out, which goes through
//! the data plane's real `POST /oauth/tokens`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestGateway, api_token, client};
use serde_json::{Value, json};

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
    let admin = api_token(&gw.store, "admin").await;
    let viewer = api_token(&gw.store, "viewer").await;
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

async fn api_get(http: &reqwest::Client, gw: &TestGateway, bearer: &str, path: &str) -> Value {
    let res = http
        .get(admin_url(gw, path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// Passive health with no health settings at all: a service whose only
/// node refuses connections is `down` with a `failing` node, its last error
/// and when, in the health endpoint, the service list (error rate 100 %)
/// and the overview's failing-now list — within 10 s of its first request.
/// Its numbers add up: every request once in a status class, the
/// rejections a breakdown of them, classed as upstream failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_is_reported_failing_without_checks_and_numbers_add_up() {
    let dead = weir_testkit::refused_addr().await;
    let live = weir_testkit::TestUpstream::start("live").await;
    let yaml = format!(
        "services:\n  - name: dead\n    match: {{ prefix: /dead/ }}\n    upstream: {{ nodes: [{{ addr: \"{dead}\" }}] }}\n  - name: walled\n    match: {{ prefix: /walled/ }}\n    access:\n      ip_deny: {{ enabled: true, ips: [\"127.0.0.1\"] }}\n    upstream: {{ nodes: [{{ addr: \"{}\" }}] }}\n",
        live.addr
    );
    let gw = TestGateway::start(&yaml).await;
    let viewer = api_token(&gw.store, "viewer").await;
    let http = client();

    let before = api_get(&http, &gw, &viewer, "/api/v1/services/dead/health").await;
    assert_eq!(before["nodes"][0]["status"], "unknown", "{before}");
    assert_eq!(before["summary"]["state"], "unknown", "{before}");

    let started = std::time::Instant::now();
    let mut sent = 0u64;
    let health = loop {
        let res = http.get(gw.url("/dead/x")).send().await.unwrap();
        assert_eq!(res.status(), 502);
        sent += 1;
        let h = api_get(&http, &gw, &viewer, "/api/v1/services/dead/health").await;
        if h["nodes"][0]["status"] == "failing" {
            break h;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "not failing within 10 s: {h}"
        );
    };
    eprintln!(
        "reported failing after {:?} ({sent} requests)",
        started.elapsed()
    );
    assert_eq!(health["summary"]["state"], "down");
    assert_eq!(health["summary"]["healthy"], 0);
    assert_eq!(health["summary"]["failing"], 1);
    assert_eq!(health["summary"]["total"], 1);
    let node = &health["nodes"][0];
    assert!(
        node["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{node}"
    );
    // The dashboard translates the error by its code; the address is a
    // parameter.
    assert_eq!(node["last_error_code"], "connect_refused", "{node}");
    assert_eq!(
        node["last_error_params"]["addr"],
        dead.to_string(),
        "{node}"
    );
    assert!(node["last_failure_ms"].as_i64().is_some(), "{node}");
    assert!(node["failed_in_a_row"].as_u64().unwrap() >= 5, "{node}");

    let list = api_get(&http, &gw, &viewer, "/api/v1/services?sort=health").await;
    let first = &list["items"][0];
    assert_eq!(first["name"], "dead", "worst first: {list}");
    assert_eq!(first["health"]["state"], "down");
    assert_eq!(first["recent"]["requests"], sent);
    assert_eq!(first["recent"]["errors"], sent);
    assert_eq!(first["recent"]["failed_upstream"], sent);
    assert_eq!(first["recent"]["error_rate"], 1.0);

    let summary = api_get(&http, &gw, &viewer, "/api/v1/stats/summary").await;
    let failing: Vec<&Value> = summary["failing_now"].as_array().unwrap().iter().collect();
    assert_eq!(failing.len(), 1, "{summary}");
    assert_eq!(failing[0]["name"], "dead");
    assert!(failing[0]["last_error"].as_str().is_some());
    assert_eq!(failing[0]["last_error_code"], "connect_refused");
    assert_eq!(failing[0]["last_error_node"], dead.to_string());
    assert_eq!(summary["time_zone"], "UTC");

    // A policy refusal and a request no service matches.
    let res = http.get(gw.url("/walled/x")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = http.get(gw.url("/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let sums = |s: &Value| {
        let d = &s["day"];
        let classes: u64 = [
            "status_1xx",
            "status_2xx",
            "status_3xx",
            "status_4xx",
            "status_5xx",
        ]
        .iter()
        .map(|k| d[*k].as_u64().unwrap())
        .sum();
        (
            d["requests"].as_u64().unwrap(),
            classes,
            d["rejected"].as_u64().unwrap(),
        )
    };
    let dead_stats = api_get(&http, &gw, &viewer, "/api/v1/services/dead/stats").await;
    assert_eq!(sums(&dead_stats), (sent, sent, sent), "{dead_stats}");
    let by_class = &dead_stats["rejections_by_class"];
    assert_eq!(by_class["upstream"]["upstream_connect"], sent, "{by_class}");
    assert!(
        by_class["policy"].as_object().unwrap().is_empty(),
        "{by_class}"
    );
    assert_eq!(dead_stats["current"]["recent"]["errors"], sent);
    let hours: u64 = dead_stats["today"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(hours, sent);

    let walled = api_get(&http, &gw, &viewer, "/api/v1/services/walled/stats").await;
    assert_eq!(sums(&walled), (1, 1, 1), "{walled}");
    assert_eq!(walled["rejections_by_class"]["policy"]["ip_refused"], 1);

    let gateway = api_get(&http, &gw, &viewer, "/api/v1/stats/series").await;
    let (requests, classes, rejected) = sums(&gateway);
    assert_eq!(requests, sent + 2, "{gateway}");
    assert_eq!(classes, requests);
    assert_eq!(rejected, requests);
    let by_class = &gateway["rejections_by_class"];
    assert_eq!(by_class["routing"]["no_route"], 1, "{by_class}");
    assert_eq!(by_class["policy"]["ip_refused"], 1, "{by_class}");
    assert!(by_class["policy"].get("no_route").is_none());
    assert!(by_class["policy"].get("upstream_connect").is_none());
    gw.stop().await;
}

/// gRPC answers a failed call with an HTTP 200 and a `grpc-status`: such
/// calls are counted apart (`failed_grpc`), a part of the 2xx, so that the
/// dashboard shows a failing gRPC service as failing while its status
/// classes still sum to its requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_grpc_calls_are_counted_apart_from_the_2xx() {
    use weir_testkit::grpc::{self, echo_client};
    use weir_testkit::tonic::{Code, Request};

    let dead = weir_testkit::refused_addr().await;
    let yaml = format!(
        "services:\n  - name: rpc\n    kind: grpc\n    match: {{ prefix: /weir.test.v1.Echo/ }}\n    upstream: {{ nodes: [{{ addr: \"{dead}\" }}] }}\n"
    );
    let gw = TestGateway::start(&yaml).await;
    let viewer = api_token(&gw.store, "viewer").await;
    let http = client();
    let mut c = echo_client(grpc::channel(gw.gateway.http_addr.unwrap()).await.unwrap());
    const CALLS: u64 = 3;
    for _ in 0..CALLS {
        let err = c
            .unary(Request::new(weir_testkit::EchoRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    }
    let stats = api_get(&http, &gw, &viewer, "/api/v1/services/rpc/stats").await;
    let day = &stats["day"];
    assert_eq!(
        (&day["requests"], &day["status_2xx"], &day["failed_grpc"]),
        (&json!(CALLS), &json!(CALLS), &json!(CALLS)),
        "{stats}"
    );
    assert_eq!(stats["grpc_status_today"]["14"], CALLS, "{stats}");
    let hours: u64 = stats["today"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["failed_grpc"].as_u64().unwrap())
        .sum();
    assert_eq!(hours, CALLS);
    gw.stop().await;
}
