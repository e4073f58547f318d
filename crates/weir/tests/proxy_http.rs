//! End-to-end HTTP proxying through a real gateway to real upstreams:
//! routing, strip and rewrite, header operations, forwarded headers,
//! hop-by-hop handling, error statuses, retries, pooling and h2c.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestGateway, client, get_json, node};
use weir_testkit::{Blackhole, TestUpstream, refused_addr};

#[tokio::test]
async fn routes_by_prefix_host_and_longest_prefix() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let c = TestUpstream::start("c").await;
    let d = TestUpstream::start("d").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - {{ name: root, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: "{a}" }}] }} }}
  - {{ name: user, match: {{ prefix: /user/ }}, upstream: {{ nodes: [{{ addr: "{b}" }}] }} }}
  - {{ name: user_admin, match: {{ prefix: /user/admin/ }}, upstream: {{ nodes: [{{ addr: "{c}" }}] }} }}
  - {{ name: api_host, match: {{ host: api.example.com }}, upstream: {{ nodes: [{{ addr: "{d}" }}] }} }}
  - {{ name: api_host_user, match: {{ host: api.example.com, prefix: /user/ }}, upstream: {{ nodes: [{{ addr: "{c}" }}] }} }}
"#,
        a = a.addr,
        b = b.addr,
        c = c.addr,
        d = d.addr
    ))
    .await;
    let http = client();
    let cases = [
        (None, "/", "a"),
        (None, "/other", "a"),
        (None, "/user/1", "b"),
        (None, "/user/admin/x", "c"),
        (None, "/username", "a"),
        (Some("api.example.com"), "/", "d"),
        (Some("API.example.com:8080"), "/anything", "d"),
        (Some("api.example.com"), "/user/7", "c"),
        (Some("other.example.com"), "/user/7", "b"),
    ];
    for (host, path, want) in cases {
        let mut req = http.get(gw.url(path));
        if let Some(h) = host {
            req = req.header("host", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{host:?} {path}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(node(&v), want, "{host:?} {path}");
        assert_eq!(v["path"], path, "path is forwarded unchanged");
    }
    gw.stop().await;
}

#[tokio::test]
async fn strip_rewrite_and_header_operations() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - name: user_api
    match: {{ prefix: /gateway/user/ }}
    strip_prefix: true
    rewrite:
      - {{ pattern: "^/v1/(.*)", replacement: "/api/v1/$1" }}
      - {{ pattern: "/old/", replacement: "/new/" }}
    request_headers:
      - {{ op: set, name: X-Gateway, value: weir }}
      - {{ op: add, name: X-Multi, value: two }}
      - {{ op: remove, name: X-Debug }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
"#,
        up.addr
    ))
    .await;
    let res = client()
        .get(gw.url("/gateway/user/v1/old/x?q=1&r=%20"))
        .header("x-gateway", "client-value")
        .header("x-multi", "one")
        .header("x-debug", "secret")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["path"], "/api/v1/new/x");
    assert_eq!(v["query"], "q=1&r=%20");
    let h = &v["headers"];
    assert_eq!(h["x-gateway"], "weir");
    assert_eq!(h["x-multi"], serde_json::json!(["one", "two"]));
    assert!(h.get("x-debug").is_none());
    // Strip to exactly the prefix leaves "/".
    let (_, v) = get_json(&client(), &gw.url("/gateway/user/")).await;
    assert_eq!(v["path"], "/");
    gw.stop().await;
}

/// `response_headers` change what the upstream answered, before the
/// gateway adds its own fields; the gateway's own answers are untouched.
#[tokio::test]
async fn response_header_operations_apply_to_upstream_answers_only() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - name: web
    match: {{ prefix: /web/ }}
    max_body_bytes: 10
    response_headers:
      - {{ op: set, name: X-Frame-Options, value: DENY }}
      - {{ op: add, name: Cache-Control, value: no-store }}
      - {{ op: remove, name: Content-Type }}
      - {{ op: set, name: X-Request-Id, value: from-an-operation }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
"#,
        up.addr
    ))
    .await;
    let res = client().get(gw.url("/web/x")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("content-type").is_none(), "{h:?}");
    // The gateway's request id is added after the operations.
    assert_ne!(h["x-request-id"], "from-an-operation");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["node"], "up", "the body is the upstream's");

    // A refusal is the gateway's own answer: no operation touches it.
    let res = client()
        .post(gw.url("/web/x"))
        .body("more than ten bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.headers().get("x-frame-options").is_none());
    assert_eq!(res.headers()["content-type"], "application/json");

    // Explain lists them in the configuration's words.
    let input = weir_proxy::ExplainInput {
        method: "GET".into(),
        host: None,
        path: "/web/x".into(),
        headers: vec![],
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    let out = weir_proxy::explain(&gw.gateway.plane, &input).unwrap();
    assert_eq!(
        out.upstream_request.unwrap().response_header_ops,
        [
            "set x-frame-options: DENY",
            "add cache-control: no-store",
            "remove content-type",
            "set x-request-id: from-an-operation",
        ]
    );
    gw.stop().await;
}

#[tokio::test]
async fn forwarded_headers_host_and_hop_by_hop() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: s, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    ))
    .await;
    let res = client()
        .get(gw.url("/x"))
        .header("host", "shop.example.com")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "must not pass")
        .header("keep-alive", "timeout=5")
        .header("proxy-connection", "keep-alive")
        .header("te", "gzip")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    let h = &v["headers"];
    assert_eq!(h["host"], "shop.example.com", "Host is passed as sent");
    assert_eq!(h["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "shop.example.com");
    for gone in ["x-hop", "keep-alive", "proxy-connection", "te"] {
        assert!(h.get(gone).is_none(), "{gone} must not reach the upstream");
    }
    gw.stop().await;
}

#[tokio::test]
async fn error_statuses_are_json() {
    let blackhole = Blackhole::new();
    let refused = refused_addr().await;
    let slow = TestUpstream::start("slow").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - {{ name: refused, match: {{ prefix: /refused }}, upstream: {{ nodes: [{{ addr: "{refused}" }}] }} }}
  - name: connect_timeout
    match: {{ prefix: /blackhole }}
    upstream: {{ nodes: [{{ addr: "{bh}" }}], timeouts: {{ connect: 300ms }} }}
  - name: slow
    match: {{ prefix: /slow }}
    upstream: {{ nodes: [{{ addr: "{slow}" }}], timeouts: {{ response_header: 300ms }} }}
  - name: disabled_nodes
    match: {{ prefix: /none }}
    upstream: {{ nodes: [{{ addr: "{slow}", enabled: false }}] }}
  - {{ name: off, enabled: false, match: {{ prefix: /off }}, upstream: {{ nodes: [{{ addr: "{slow}" }}] }} }}
"#,
        bh = blackhole.addr,
        slow = slow.addr,
    ))
    .await;
    let http = client();
    for (path, delay, status, code) in [
        ("/nothing-here", None, 404, "no_route"),
        ("/off", None, 404, "no_route"),
        ("/refused", None, 502, "upstream_connect_failed"),
        ("/blackhole", None, 504, "upstream_connect_timeout"),
        ("/slow", Some("2000"), 504, "upstream_timeout"),
        ("/none", None, 503, "no_available_node"),
    ] {
        let started = Instant::now();
        let mut req = http.get(gw.url(path));
        if let Some(ms) = delay {
            req = req.header("x-test-delay-ms", ms);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        assert_eq!(res.headers()["content-type"], "application/json", "{path}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["code"], code, "{path}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    // The slow upstream still answers within its timeout.
    let res = http
        .get(gw.url("/slow"))
        .header("x-test-delay-ms", "50")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    gw.stop().await;
}

#[tokio::test]
async fn connect_failure_is_retried_on_another_node() {
    let good = TestUpstream::start("good").await;
    let refused = refused_addr().await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - name: s
    match: {{ prefix: / }}
    upstream:
      balance: round_robin
      nodes: [{{ addr: "{refused}" }}, {{ addr: "{good}" }}]
"#,
        good = good.addr
    ))
    .await;
    let http = client();
    for i in 0..20 {
        // POST too: nothing reached the refused node, so any method is safe.
        let res = if i % 2 == 0 {
            http.get(gw.url("/r")).send().await.unwrap()
        } else {
            http.post(gw.url("/r"))
                .body("payload")
                .send()
                .await
                .unwrap()
        };
        assert_eq!(res.status(), 200, "request {i}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(node(&v), "good");
        if i % 2 == 1 {
            assert_eq!(v["body"], "payload", "body survives the retry");
        }
    }
    assert_eq!(good.requests(), 20);
    gw.stop().await;
}

#[tokio::test]
async fn upstream_connections_are_pooled() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: s, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    ))
    .await;
    let http = client();
    for _ in 0..50 {
        let res = http.get(gw.url("/p")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
    }
    // A bodiless-response path too (HEAD).
    for _ in 0..10 {
        let res = http.head(gw.url("/p")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(up.requests(), 60);
    assert_eq!(
        up.connections(),
        1,
        "sequential requests reuse one connection"
    );
    gw.stop().await;
}

#[tokio::test]
async fn h2c_clients_are_proxied_to_http1_upstreams() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: s, match: {{ host: h2.example.com, prefix: /h2/ }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    ))
    .await;
    // :authority carries the host for HTTP/2; resolve the name to the gateway.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve("h2.example.com", gw.gateway.http_addr.unwrap())
        .build()
        .unwrap();
    let base = format!(
        "http://h2.example.com:{}",
        gw.gateway.http_addr.unwrap().port()
    );
    let res = h2
        .post(format!("{base}/h2/x"))
        .body("over h2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["path"], "/h2/x");
    assert_eq!(v["body"], "over h2");
    assert_eq!(
        v["headers"]["host"],
        format!("h2.example.com:{}", gw.gateway.http_addr.unwrap().port()),
        "the HTTP/1.1 upstream gets Host from :authority"
    );
    // Many concurrent streams on one connection.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let h2 = h2.clone();
        let url = format!("{base}/h2/{i}");
        tasks.push(tokio::spawn(async move {
            let res = h2.get(url).send().await.unwrap();
            (res.status(), res.version())
        }));
    }
    for t in tasks {
        let (status, version) = t.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(version, reqwest::Version::HTTP_2);
    }
    gw.stop().await;
}

#[tokio::test]
async fn services_sharing_a_node_share_its_connections() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: a, match: {{ prefix: /a/ }}, upstream: {{ nodes: [{{ addr: \"{u}\" }}] }} }}\n  - {{ name: b, match: {{ prefix: /b/ }}, upstream: {{ nodes: [{{ addr: \"{u}\" }}] }} }}\n",
        u = up.addr
    ))
    .await;
    let http = client();
    for i in 0..20 {
        let path = if i % 2 == 0 { "/a/x" } else { "/b/x" };
        let res = http.get(gw.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
    }
    assert_eq!(
        up.connections(),
        1,
        "one pool for the node, whatever the routes"
    );
    assert_eq!(gw.gateway.plane.conns.h1_pools(), 1);
    gw.stop().await;
}
