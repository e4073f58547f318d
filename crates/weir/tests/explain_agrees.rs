//! Explain against the data plane, over generated requests: for each one,
//! what explain says (status and code, or the request as the upstream gets
//! it: path, headers, node) is what a real request through the gateway
//! does. The requests combine every feature explain reports on — path
//! normalisation, hosts, routes (exact paths, regexes, method, header and
//! query conditions), traffic splits, rewrites, header operations, hop-by-hop
//! fields, forwarded headers, request ids, IP rules, authentication and a
//! service's tenants, WebSocket upgrades, body limits, the HTTPS redirect,
//! rate limits, balancing, CORS (preflights the gateway answers, and the
//! CORS fields of every answer), response compression (the coding explain
//! names is the one the answer comes in) and mirroring (the requests explain
//! says are copied are the ones the shadow gets) — sent raw so that
//! duplicate and malformed fields reach the gateway as written.
//!
//! The seed is random per run and printed with every failure;
//! `WEIR_EXPLAIN_SEED=<n>` replays one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::codecs::Decoder;
use common::raw_http::{RawResponse, exchange};
use common::{TestGateway, client, eventually};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use weir_proxy::{ExplainInput, ExplainVerdict, Explanation, explain};
use weir_testkit::http::TestUpstream;

const CASES: usize = 400;

fn config(up1: &TestUpstream, up2: &TestUpstream, shadow: &TestUpstream) -> String {
    let nodes = format!(
        "[{{ addr: \"{}\" }}, {{ addr: \"{}\" }}]",
        up1.addr, up2.addr
    );
    let one = format!("[{{ addr: \"{}\" }}]", up1.addr);
    let two = format!("[{{ addr: \"{}\" }}]", up2.addr);
    let shadow = shadow.addr;
    format!(
        r#"services:
  - name: open
    match: {{ prefix: /open/ }}
    strip_prefix: true
    rewrite: [{{ pattern: "^/a(.*)", replacement: "/alpha$1" }}]
    request_headers:
      - {{ op: set, name: X-Gateway, value: weir }}
      - {{ op: add, name: X-Tag, value: blue }}
      - {{ op: remove, name: X-Debug }}
    upstream: {{ balance: round_robin, nodes: {nodes} }}
  - name: hosted
    match: {{ host: api.gw.test }}
    upstream: {{ balance: consistent_hash, hash_key: "header:X-User", nodes: {nodes} }}
  - name: auth
    match: {{ prefix: /auth/ }}
    access: {{ auth: {{ enabled: true, allow_paths: ["/auth/public/*"] }} }}
    upstream: {{ nodes: {one} }}
  - name: tenants
    match: {{ prefix: /tenants/ }}
    access: {{ auth: {{ enabled: true, tenants: [app_two] }} }}
    upstream: {{ nodes: {one} }}
  - name: ws
    match: {{ prefix: /ws/ }}
    websocket: true
    upstream: {{ nodes: {one} }}
  - name: body
    match: {{ prefix: /body/ }}
    max_body_bytes: 1000
    upstream: {{ nodes: {one} }}
  - name: secure
    match: {{ prefix: /secure/ }}
    https_redirect: true
    upstream: {{ nodes: {one} }}
  - name: ipallow
    match: {{ prefix: /ipallow/ }}
    access: {{ ip_allow: {{ ips: ["10.9.0.0/16"] }} }}
    upstream: {{ nodes: {one} }}
  - name: ipdeny
    match: {{ prefix: /ipdeny/ }}
    access: {{ ip_deny: {{ ips: ["192.0.2.0/24"] }} }}
    upstream: {{ nodes: {one} }}
  - name: slashes
    match: {{ prefix: /slashes/ }}
    allow_encoded_slashes: true
    upstream: {{ nodes: {one} }}
  - name: cors
    match: {{ prefix: /cors/ }}
    cors:
      allow_origins: ["https://app.gw.test", "https://*.pages.test"]
      allow_methods: [GET, PUT]
      allow_headers: [X-Api-Key]
      expose_headers: [X-Total]
      allow_credentials: true
      max_age: 1m
    access:
      ip_deny: {{ ips: ["192.0.2.0/24"] }}
      auth: {{ enabled: true, allow_paths: ["/cors/public/*"] }}
    upstream: {{ nodes: {one} }}
  - name: limited
    match: {{ prefix: /limited/ }}
    limits: {{ service_qps: 1000000, client_ip_qps: 1000000 }}
    upstream: {{ balance: least_request, nodes: {nodes} }}
  - name: route_exact
    match: {{ path: /route/exact }}
    request_headers: [{{ op: set, name: X-Route, value: exact }}]
    upstream: {{ nodes: {one} }}
  - name: route_regex
    match: {{ path_regex: "/route/[0-9]+" }}
    request_headers: [{{ op: set, name: X-Route, value: regex }}]
    upstream: {{ nodes: {one} }}
  - name: route_base
    match: {{ prefix: /route/ }}
    request_headers: [{{ op: set, name: X-Route, value: base }}]
    upstream: {{ nodes: {one} }}
  - name: route_canary
    match: {{ prefix: /route/, headers: [{{ name: x-canary, exact: "1" }}] }}
    request_headers: [{{ op: set, name: X-Route, value: canary }}]
    upstream: {{ nodes: {one} }}
  - name: route_writes
    match: {{ prefix: /route/, methods: [POST, PUT] }}
    request_headers: [{{ op: set, name: X-Route, value: writes }}]
    upstream: {{ nodes: {one} }}
  - name: route_beta
    match: {{ prefix: /route/beta/, query: [{{ name: beta, present: true }}] }}
    request_headers: [{{ op: set, name: X-Route, value: beta }}]
    upstream: {{ nodes: {one} }}
  - name: split_main
    match: {{ prefix: /split/ }}
    split:
      targets: [{{ service: split_canary, percent: 30 }}]
      sticky: "header:x-user"
      force: [{{ header: x-canary, value: "1", service: split_canary }}, {{ cookie: stable, service: split_main }}]
    upstream: {{ nodes: {one} }}
  - name: split_canary
    match: {{ prefix: /split-canary/ }}
    upstream: {{ nodes: {two} }}
  - name: zip
    match: {{ prefix: /zip/ }}
    compression: {{ min_size: 16, content_types: [application/json] }}
    upstream: {{ nodes: {one} }}
  - name: mirrored
    match: {{ prefix: /mirror/ }}
    mirror: {{ service: shadow, percent: 40 }}
    access: {{ ip_deny: {{ ips: ["192.0.2.0/24"] }} }}
    upstream: {{ nodes: {one} }}
  - name: shadow
    match: {{ prefix: /shadow-only/ }}
    upstream: {{ nodes: [{{ addr: "{shadow}" }}] }}
tenants:
  - {{ app_id: app_one, name: One, secret: "one-secret-123" }}
  - {{ app_id: app_two, name: Two, secret: "two-secret-456", ip_allow: ["10.9.0.0/16"] }}
"#
    )
}

/// One generated request.
#[derive(Debug)]
struct Case {
    method: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, String)>,
    body: usize,
}

fn pick<T: Copy>(rng: &mut StdRng, from: &[T]) -> T {
    from[rng.random_range(0..from.len())]
}

fn generate(rng: &mut StdRng, tokens: &[String]) -> Case {
    let mut method = pick(rng, &["GET", "GET", "POST", "PUT", "DELETE", "OPTIONS"]);
    let target = pick(
        rng,
        &[
            "/open/a",
            "/open/a/../b?q=1&r=/../x",
            "/open/./a%7e/c",
            "/open//double",
            "/open/%2Fx",
            "/open/a%00",
            "/auth/x",
            "/auth/public/y",
            "/tenants/x",
            "/ws/chat",
            "/body/upload",
            "/secure/x?y=1",
            "/ipallow/x",
            "/ipdeny/x",
            "/slashes/a%2Fb",
            "/limited/x",
            "/cors/x",
            "/cors/y?z=1",
            "/cors/public/y",
            "/nothing/here",
            "/",
            "/.well-known/jwks.json",
            "/route/exact",
            "/route/12",
            "/route/12x",
            "/route/beta/x?beta=1",
            "/route/beta/x?b%65ta",
            "/route/beta/x?v=1",
            "/route/x",
            "/split/a",
            "/split/b?c=1",
            "/zip/x",
            "/zip/y?z=1",
            "/mirror/x",
            "/mirror/y?z=1",
        ],
    );
    let mut headers = Vec::new();
    match rng.random_range(0..10) {
        0 => {}
        1 => headers.push(("host", "api.gw.test".to_owned())),
        2 => headers.push(("host", "bad host".to_owned())),
        3 => {
            headers.push(("host", "gw.test".to_owned()));
            headers.push(("host", "other.test".to_owned()));
        }
        _ => headers.push(("host", "gw.test".to_owned())),
    }
    match rng.random_range(0..6) {
        0 => headers.push(("authorization", format!("Bearer {}", tokens[0]))),
        1 => headers.push(("authorization", format!("Bearer {}", tokens[1]))),
        2 => headers.push(("authorization", "Bearer not.a.token".to_owned())),
        _ => {}
    }
    let xff = pick(
        rng,
        &["", "10.9.1.1", "192.0.2.7", "10.1.2.3, 198.51.100.9"],
    );
    if !xff.is_empty() {
        headers.push(("x-forwarded-for", xff.to_owned()));
    }
    match rng.random_range(0..6) {
        0 => {
            headers.push(("connection", "X-Secret".to_owned()));
            headers.push(("x-secret", "hidden".to_owned()));
        }
        1 => {
            headers.push(("connection", "Upgrade".to_owned()));
            headers.push(("upgrade", "websocket".to_owned()));
        }
        2 => {
            // Hop-by-hop names over several Connection fields.
            headers.push(("connection", "x-one".to_owned()));
            headers.push(("connection", "x-two, keep-alive".to_owned()));
            headers.push(("x-one", "1".to_owned()));
            headers.push(("x-two", "2".to_owned()));
            headers.push(("keep-alive", "timeout=5".to_owned()));
        }
        _ => {}
    }
    match rng.random_range(0..4) {
        0 => headers.push(("x-request-id", "abc-123".to_owned())),
        1 => headers.push(("x-request-id", "has space".to_owned())),
        _ => {}
    }
    if rng.random_bool(0.3) {
        headers.push(("x-debug", "1".to_owned()));
        headers.push(("x-tag", "red".to_owned()));
    }
    if rng.random_bool(0.3) {
        headers.push(("x-user", pick(rng, &["u1", "u2", "u3"]).to_owned()));
    }
    if rng.random_bool(0.2) {
        headers.push(("x-weir-app-id", "spoofed".to_owned()));
    }
    if rng.random_bool(0.3) {
        headers.push(("x-canary", pick(rng, &["1", "2"]).to_owned()));
    }
    if rng.random_bool(0.2) {
        headers.push((
            "cookie",
            pick(rng, &["stable=1", "a=b; stable", "x=1"]).to_owned(),
        ));
    }
    if rng.random_bool(0.4) {
        let asked = pick(
            rng,
            &[
                "gzip",
                "br;q=0.5, gzip;q=0.8",
                "zstd",
                "identity",
                "gzip;q=0",
                "*",
                "br, zstd;q=0",
                "GZIP, deflate",
            ],
        );
        headers.push(("accept-encoding", asked.to_owned()));
    }
    // The CORS service gets more preflights than chance would send.
    let cors = target.starts_with("/cors/");
    if cors && rng.random_bool(0.75) {
        method = "OPTIONS";
    }
    cors_headers(rng, cors, &mut headers);
    let body = match rng.random_range(0..4) {
        0 => 10,
        1 => 2000,
        _ => 0,
    };
    if body > 0 {
        headers.push(("content-length", body.to_string()));
    }
    Case {
        method,
        target,
        headers,
        body,
    }
}

/// An `Origin` now and then, and with it the preflight's questions.
fn cors_headers(rng: &mut StdRng, cors: bool, headers: &mut Vec<(&'static str, String)>) {
    if rng.random_bool(if cors { 0.1 } else { 0.5 }) {
        return;
    }
    let origin = pick(
        rng,
        &[
            "https://app.gw.test",
            "https://a.pages.test",
            "https://pages.test",
            "https://evil.test",
        ],
    );
    headers.push(("origin", origin.to_owned()));
    if rng.random_bool(if cors { 0.85 } else { 0.5 }) {
        let method = pick(rng, &["PUT", "GET", "DELETE"]);
        headers.push(("access-control-request-method", method.to_owned()));
    }
    if rng.random_bool(0.4) {
        let asked = pick(rng, &["x-api-key", "X-Api-Key, x-other"]);
        headers.push(("access-control-request-headers", asked.to_owned()));
    }
}

/// The CORS fields of an answer (`access-control-*`, and the `vary` that
/// names `origin`; compression adds one of its own), lower case as the raw
/// head is, sorted.
fn cors_fields(res: &RawResponse) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = res
        .head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let (k, v) = (k.trim(), v.trim());
            let origin = v.split(',').any(|t| t.trim() == "origin");
            let cors = k.starts_with("access-control-") || (k == "vary" && origin);
            cors.then(|| (k.to_owned(), v.to_owned()))
        })
        .collect();
    out.sort();
    out
}

/// The fields explain says the answer carries, in the same shape.
fn explained_cors_fields(e: &Explanation) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = e
        .cors
        .iter()
        .flat_map(|c| &c.headers)
        .map(|h| (h.name.to_lowercase(), h.value.to_lowercase()))
        .collect();
    out.sort();
    out
}

fn raw(case: &Case) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", case.method, case.target);
    for (k, v) in &case.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    // The connection ends after one exchange; `close` is a token the
    // gateway never forwards (and explain is told about it too).
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', case.body));
    bytes
}

fn input(case: &Case) -> ExplainInput {
    let mut headers: Vec<(String, String)> = case
        .headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    headers.push(("connection".into(), "close".into()));
    ExplainInput {
        method: case.method.into(),
        host: None,
        path: case.target.into(),
        headers,
        client_ip: "127.0.0.1".into(),
        https: false,
    }
}

/// Explain's upstream headers in the echo's shape (a repeated field is a
/// list), without the fields only the wire decides: the generated request
/// id and the framing.
fn explained_headers(e: &Explanation) -> Map<String, Value> {
    let mut out = Map::new();
    for h in &e.upstream_request.as_ref().unwrap().headers {
        let v = Value::String(h.value.clone());
        match out.get_mut(&h.name) {
            Some(Value::Array(list)) => list.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                out.insert(h.name.clone(), v);
            }
        }
    }
    out
}

fn comparable(mut h: Map<String, Value>, sane_id: bool) -> Map<String, Value> {
    if !sane_id {
        h.remove("x-request-id");
    }
    h
}

async fn tokens(gw: &TestGateway) -> Vec<String> {
    let mut out = Vec::new();
    for (app, secret) in [("app_one", "one-secret-123"), ("app_two", "two-secret-456")] {
        let basic = STANDARD.encode(format!("{app}:{secret}"));
        let res = client()
            .post(gw.url("/oauth/tokens"))
            .header("authorization", format!("Basic {basic}"))
            // app_two may only call from its own network.
            .header("x-forwarded-for", "10.9.1.1")
            .send()
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        let token = v["access_token"].as_str();
        out.push(
            token
                .unwrap_or_else(|| panic!("token of {app}: {v}"))
                .to_owned(),
        );
    }
    out
}

#[tokio::test]
async fn explain_agrees_with_the_data_plane_on_generated_requests() {
    let up1 = TestUpstream::start("up1").await;
    let up2 = TestUpstream::start("up2").await;
    let shadow = TestUpstream::start("shadow").await;
    let names = [(up1.addr.to_string(), "up1"), (up2.addr.to_string(), "up2")];
    let gw = TestGateway::start_with(&config(&up1, &up2, &shadow), |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let addr: SocketAddr = gw.url.trim_start_matches("http://").parse().unwrap();
    let tokens = tokens(&gw).await;
    let seed = std::env::var("WEIR_EXPLAIN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut forwarded, mut refused, mut preflights, mut copies) = (0, 0, 0, 0u64);
    for n in 0..CASES {
        let case = generate(&mut rng, &tokens);
        let what = format!("seed {seed}, case {n}: {case:?}");
        let e = explain(&gw.gateway.plane, &input(&case)).unwrap();
        let answers = exchange(addr, &raw(&case)).await;
        let res = answers
            .first()
            .unwrap_or_else(|| panic!("no answer: {what}"));
        let explained = serde_json::to_value(&e).unwrap();
        // Whatever the answer, its CORS fields are the ones explain names.
        assert_eq!(
            cors_fields(res),
            explained_cors_fields(&e),
            "{what}\nexplain: {explained:#}"
        );
        if e.rejection
            .as_ref()
            .is_some_and(|r| r.code == "cors_preflight")
        {
            preflights += 1;
        }
        match &e.rejection {
            Some(r) => {
                refused += 1;
                assert_eq!(res.status, r.status, "{what}\nexplain: {explained:#}");
                // The gateway's own successful answers carry no error code.
                if r.code != "gateway_endpoint" && r.code != "cors_preflight" {
                    assert_eq!(res.code().as_deref(), Some(r.code.as_str()), "{what}");
                }
            }
            None => {
                forwarded += 1;
                assert_eq!(e.verdict, ExplainVerdict::Forward, "{what}");
                assert_eq!(res.status, 200, "{what}\nexplain: {explained:#}");
                // The coding explain names is the one the answer comes in.
                let coding = res.header("content-encoding");
                let explained_coding = e.compression.as_ref().and_then(|c| c.encoding.clone());
                assert_eq!(coding, explained_coding, "{what}\nexplain: {explained:#}");
                let echo: Value = match &coding {
                    Some(c) => serde_json::from_slice(&Decoder::decode(c, &res.body)).unwrap(),
                    None => res.json(),
                };
                if e.mirror.as_ref().is_some_and(|m| m.copied) {
                    copies += 1;
                }
                let up = e.upstream_request.as_ref().unwrap();
                let seen = match echo["query"].as_str() {
                    Some(q) => format!("{}?{q}", echo["path"].as_str().unwrap()),
                    None => echo["path"].as_str().unwrap().to_owned(),
                };
                assert_eq!(seen, up.path, "{what}");
                let sane_id = case
                    .headers
                    .iter()
                    .any(|(k, v)| *k == "x-request-id" && v == "abc-123");
                let got = echo["headers"].as_object().cloned().unwrap_or_default();
                assert_eq!(
                    comparable(got, sane_id),
                    comparable(explained_headers(&e), sane_id),
                    "{what}"
                );
                // The node is the one explain names, or one of its
                // candidates when the strategy rotates.
                let b = e.balancer.as_ref().unwrap();
                let node = echo["node"].as_str().unwrap();
                let named = |addr: &str| names.iter().any(|(a, n)| a == addr && *n == node);
                match &b.node {
                    Some(n) if b.deterministic => assert!(named(&n.addr), "{what}"),
                    _ => assert!(b.candidates.iter().any(|c| named(&c.addr)), "{what}"),
                }
            }
        }
    }
    // The generator reaches both sides, and answered preflights.
    assert!(
        forwarded > CASES / 5 && refused > CASES / 5 && preflights > 0 && copies > 0,
        "{forwarded}/{refused}/{preflights}/{copies}"
    );
    // The shadow got exactly the requests explain said are copied.
    let snap = gw.gateway.plane.snapshot();
    let counts = &snap
        .config
        .service("mirrored")
        .unwrap()
        .mirror
        .as_ref()
        .unwrap()
        .counts;
    eventually("copies answered", Duration::from_secs(10), async || {
        counts.in_flight.load(Ordering::Relaxed) == 0
    })
    .await;
    assert_eq!(counts.sent.load(Ordering::Relaxed), copies, "seed {seed}");
    assert_eq!(shadow.requests(), copies, "seed {seed}");
    gw.stop().await;
}
