//! A service's CORS policy against a real upstream, through the real
//! gateway, with a real HTTP client: preflights answered by the gateway
//! (allowed or refused, with the IP rules and without authentication or
//! limits), the fields on actual requests (allowed, disallowed, with
//! credentials, on the gateway's own refusals, replacing the upstream's),
//! requests without `Origin` and WebSocket upgrades left alone, and the
//! subdomain wildcard.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::raw_http::RawConn;
use common::{TestGateway, client};
use reqwest::{Method, Response};
use weir_testkit::http::TestUpstream;

const APP: &str = "https://app.example.com";

fn config(up: &TestUpstream) -> String {
    let node = format!("[{{ addr: \"{}\" }}]", up.addr);
    format!(
        r#"services:
  - name: app
    match: {{ prefix: /app/ }}
    cors:
      allow_origins: ["{APP}"]
      allow_methods: [GET, POST, PUT]
      allow_headers: [Content-Type, X-Api-Key]
      expose_headers: [X-Total]
      max_age: 10m
    upstream: {{ nodes: {node} }}
  - name: private
    match: {{ prefix: /private/ }}
    cors: {{ allow_origins: ["{APP}"], allow_credentials: true }}
    access:
      auth: {{ enabled: true }}
      ip_deny: {{ ips: ["192.0.2.0/24"] }}
    upstream: {{ nodes: {node} }}
  - name: limited
    match: {{ prefix: /limited/ }}
    cors: {{ allow_origins: ["*"] }}
    limits: {{ service_qps: 1, burst: 1 }}
    upstream: {{ nodes: {node} }}
  - name: wild
    match: {{ prefix: /wild/ }}
    cors: {{ allow_origins: ["https://*.example.com"] }}
    upstream: {{ nodes: {node} }}
  - name: inner
    match: {{ prefix: /inner/ }}
    response_headers:
      - {{ op: set, name: Access-Control-Allow-Origin, value: "https://evil.test" }}
      - {{ op: set, name: Access-Control-Allow-Credentials, value: "true" }}
      - {{ op: set, name: Access-Control-Expose-Headers, value: X-Secret }}
    upstream: {{ nodes: {node} }}
tenants:
  - {{ app_id: app_one, name: One, secret: "one-secret-123" }}
"#
    )
}

/// The gateway's CORS fields of an answer (`access-control-*` and `vary`),
/// sorted by name, each repeated field joined.
fn cors_fields(res: &Response) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for name in res.headers().keys() {
        let n = name.as_str();
        if n.starts_with("access-control-") || n == "vary" {
            let values: Vec<&str> = res
                .headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            out.push((n.to_owned(), values.join(", ")));
        }
    }
    out.sort();
    out
}

fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.sort();
    out
}

const PREFLIGHT_VARY: (&str, &str) = (
    "vary",
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);

async fn preflight(gw: &TestGateway, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = client().request(Method::OPTIONS, gw.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn get(gw: &TestGateway, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = client().get(gw.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// The `OPTIONS` requests the upstream received.
fn options_seen(up: &TestUpstream) -> usize {
    up.received()
        .iter()
        .filter(|r| r.starts_with("OPTIONS"))
        .count()
}

async fn start() -> (TestUpstream, TestGateway) {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start_with(&config(&up), |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    (up, gw)
}

#[tokio::test]
async fn an_allowed_preflight_is_answered_by_the_gateway_with_exact_fields() {
    let (up, gw) = start().await;
    let res = preflight(
        &gw,
        "/app/items",
        &[
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type,x-api-key"),
        ],
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        cors_fields(&res),
        fields(&[
            PREFLIGHT_VARY,
            ("access-control-allow-origin", APP),
            ("access-control-allow-methods", "GET, POST, PUT"),
            ("access-control-allow-headers", "content-type, x-api-key"),
            ("access-control-max-age", "600"),
        ])
    );
    assert!(res.headers().contains_key("x-request-id"));
    assert!(res.bytes().await.unwrap().is_empty());
    // An OPTIONS without the method asked is not a preflight: forwarded.
    let res = preflight(&gw, "/app/items", &[("origin", APP)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(options_seen(&up), 1, "{:?}", up.received());
    assert_eq!(up.requests(), 1, "the preflight never reached the upstream");
    gw.stop().await;
}

#[tokio::test]
async fn a_refused_preflight_gets_no_allow_fields() {
    let (up, gw) = start().await;
    for (what, headers) in [
        (
            "origin",
            [
                ("origin", "https://evil.test"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "content-type"),
            ],
        ),
        (
            "method",
            [
                ("origin", APP),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "content-type"),
            ],
        ),
        (
            "header",
            [
                ("origin", APP),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "content-type, x-secret"),
            ],
        ),
    ] {
        let res = preflight(&gw, "/app/items", &headers).await;
        assert_eq!(res.status(), 204, "{what}");
        assert_eq!(cors_fields(&res), fields(&[PREFLIGHT_VARY]), "{what}");
    }
    assert_eq!(up.requests(), 0);
    gw.stop().await;
}

#[tokio::test]
async fn a_preflight_passes_authentication_and_limits_but_not_the_ip_rules() {
    let (up, gw) = start().await;
    let asked = [("origin", APP), ("access-control-request-method", "POST")];
    // No token, and the service wants one: still answered.
    let res = preflight(&gw, "/private/x", &asked).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        cors_fields(&res),
        fields(&[
            PREFLIGHT_VARY,
            ("access-control-allow-origin", APP),
            ("access-control-allow-methods", "GET, HEAD, POST"),
            ("access-control-allow-credentials", "true"),
        ])
    );
    // From a denied address: refused by the IP rules, like any request.
    let denied = [
        ("origin", APP),
        ("access-control-request-method", "POST"),
        ("x-forwarded-for", "192.0.2.7"),
    ];
    let res = preflight(&gw, "/private/x", &denied).await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "ip_denied");
    // Preflights take no rate-limit token: far over 1/s with burst 1, all
    // answered, and an actual request still gets the one token.
    let any = [
        ("origin", "https://a.test"),
        ("access-control-request-method", "GET"),
    ];
    for _ in 0..5 {
        let res = preflight(&gw, "/limited/x", &any).await;
        assert_eq!(res.status(), 204);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
    }
    let res = get(&gw, "/limited/x", &[("origin", "https://a.test")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(up.requests(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn actual_requests_get_the_fields_of_their_origin() {
    let (_up, gw) = start().await;
    let res = get(&gw, "/app/x", &[("origin", APP)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        cors_fields(&res),
        fields(&[
            ("vary", "Origin"),
            ("access-control-allow-origin", APP),
            ("access-control-expose-headers", "x-total"),
        ])
    );
    let echo: serde_json::Value = res.json().await.unwrap();
    assert_eq!(echo["node"], "up");

    let res = get(&gw, "/app/x", &[("origin", "https://evil.test")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(cors_fields(&res), fields(&[("vary", "Origin")]));

    // Without Origin: untouched.
    let res = get(&gw, "/app/x", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(cors_fields(&res), fields(&[]));
    gw.stop().await;
}

async fn token(gw: &TestGateway) -> String {
    let basic = STANDARD.encode("app_one:one-secret-123");
    let res = client()
        .post(gw.url("/oauth/tokens"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn credentials_echo_the_origin_and_gateway_refusals_carry_the_fields() {
    let (_up, gw) = start().await;
    let with_credentials = fields(&[
        ("vary", "Origin"),
        ("access-control-allow-origin", APP),
        ("access-control-allow-credentials", "true"),
    ]);
    // No token: the gateway's 401 carries the fields, so the page can read
    // why.
    let res = get(&gw, "/private/x", &[("origin", APP)]).await;
    assert_eq!(res.status(), 401);
    assert_eq!(cors_fields(&res), with_credentials);
    let bearer = format!("Bearer {}", token(&gw).await);
    let res = get(
        &gw,
        "/private/x",
        &[("origin", APP), ("authorization", &bearer)],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(cors_fields(&res), with_credentials);

    // A rate-limit refusal too (burst 1: a second request at once is over).
    let mut statuses = Vec::new();
    loop {
        let res = get(&gw, "/limited/x", &[("origin", "https://a.test")]).await;
        statuses.push(res.status().as_u16());
        assert_eq!(
            cors_fields(&res),
            fields(&[("vary", "Origin"), ("access-control-allow-origin", "*")]),
            "{statuses:?}"
        );
        if res.status() == 429 {
            break;
        }
        assert!(statuses.len() < 20, "never limited: {statuses:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn the_upstreams_own_cors_fields_are_replaced() {
    let (up, gw) = start().await;
    // `inner` stands for an upstream that sets its own CORS fields; `outer`
    // has a policy and forwards to it through the gateway itself.
    let res = get(&gw, "/inner/x", &[("origin", APP)]).await;
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://evil.test"
    );
    let addr = gw.url.trim_start_matches("http://").to_owned();
    let outer = format!(
        r#"
  - name: outer
    match: {{ prefix: /outer/ }}
    rewrite: [{{ pattern: "^/outer/(.*)", replacement: "/inner/$1" }}]
    cors: {{ allow_origins: ["{APP}"] }}
    upstream: {{ nodes: [{{ addr: "{addr}" }}] }}
"#
    );
    let yaml = config(&up).replacen("tenants:", &format!("{}tenants:", &outer[1..]), 1);
    gw.reconfigure(&yaml).await;

    let res = get(&gw, "/outer/x", &[("origin", APP)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        cors_fields(&res),
        fields(&[("vary", "Origin"), ("access-control-allow-origin", APP)])
    );
    let echo: serde_json::Value = res.json().await.unwrap();
    assert_eq!(echo["path"], "/inner/x", "went through inner");

    let res = get(&gw, "/outer/x", &[("origin", "https://evil.test")]).await;
    assert_eq!(cors_fields(&res), fields(&[("vary", "Origin")]));
    gw.stop().await;
}

#[tokio::test]
async fn a_subdomain_wildcard_matches_subdomains_only() {
    let (_up, gw) = start().await;
    for (origin, allowed) in [
        ("https://a.example.com", true),
        ("https://deep.a.example.com", true),
        ("https://example.com", false),
        ("https://example.com.evil.com", false),
        ("https://a.example.com.evil.com", false),
        ("http://a.example.com", false),
    ] {
        let res = get(&gw, "/wild/x", &[("origin", origin)]).await;
        let got = res
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got, allowed.then(|| origin.to_owned()), "{origin}");
        let res = preflight(
            &gw,
            "/wild/x",
            &[("origin", origin), ("access-control-request-method", "GET")],
        )
        .await;
        assert_eq!(
            res.headers().contains_key("access-control-allow-origin"),
            allowed,
            "preflight from {origin}"
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn websocket_upgrades_are_left_alone() {
    let (_up, gw) = start().await;
    let addr: SocketAddr = gw.url.trim_start_matches("http://").parse().unwrap();
    // `app` does not allow WebSocket: the gateway's refusal of an upgrade
    // carries no CORS field (browsers apply no CORS to WebSockets).
    let raw = format!(
        "GET /app/ws HTTP/1.1\r\nhost: gw.test\r\norigin: {APP}\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    let mut conn = RawConn::open(addr).await;
    conn.send(raw.as_bytes()).await;
    let res = conn.response().await.unwrap();
    assert_eq!(res.code().as_deref(), Some("upgrade_not_allowed"));
    assert!(
        res.header("access-control-allow-origin").is_none(),
        "{}",
        res.head
    );
    assert!(res.header("vary").is_none(), "{}", res.head);
    gw.stop().await;
}
