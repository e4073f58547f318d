//! A route's own `timeouts:` through a real gateway to real upstreams that
//! answer slowly (`x-test-delay-ms`), never accept (a blackhole) or echo
//! WebSocket messages: each field overrides the upstream's, a split
//! target's too; a shorter per-try timeout still ends a try; explain says
//! which value applies and where it comes from; `weir check` refuses what
//! cannot work.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestGateway, client};
use serde_json::Value;
use weir_proxy::{ExplainInput, explain};
use weir_testkit::{Blackhole, TestUpstream};

/// Services over one slow upstream (`up`) whose own response-header
/// timeout is long (30 s) unless said otherwise.
fn config(up: &TestUpstream, blackhole: &Blackhole) -> String {
    format!(
        r#"
services:
  - name: quick
    match: {{ prefix: /quick/ }}
    timeouts: {{ response_header: 300ms }}
    upstream: {{ nodes: [{{ addr: "{up}" }}], timeouts: {{ response_header: 30s }} }}
  - name: plain
    match: {{ prefix: /plain/ }}
    upstream: {{ nodes: [{{ addr: "{up}" }}], timeouts: {{ response_header: 30s }} }}
  - name: patient
    match: {{ prefix: /patient/ }}
    timeouts: {{ response_header: 10s }}
    upstream: {{ nodes: [{{ addr: "{up}" }}], timeouts: {{ response_header: 200ms }} }}
  - name: hasty
    match: {{ prefix: /hasty/ }}
    upstream: {{ nodes: [{{ addr: "{up}" }}], timeouts: {{ response_header: 200ms }} }}
  - name: canary
    match: {{ prefix: /canary/ }}
    timeouts: {{ response_header: 1s }}
    split: {{ targets: [{{ service: plain, percent: 100 }}] }}
    upstream: {{ nodes: [{{ addr: "{up}" }}], timeouts: {{ response_header: 100ms }} }}
  - name: tries
    match: {{ prefix: /tries/ }}
    timeouts: {{ response_header: 10s }}
    upstream:
      nodes: [{{ addr: "{up}" }}]
      timeouts: {{ response_header: 30s }}
      retry: {{ attempts: 1, per_try_timeout: 300ms }}
  - name: dial
    match: {{ prefix: /dial/ }}
    timeouts: {{ connect: 300ms }}
    upstream: {{ nodes: [{{ addr: "{bh}" }}], timeouts: {{ connect: 30s }} }}
"#,
        up = up.addr,
        bh = blackhole.addr,
    )
}

/// Status, error code (or `ok`) and how long a GET of `path` took, the
/// upstream holding its answer for `delay_ms`.
async fn get(gw: &TestGateway, path: &str, delay_ms: u64) -> (u16, String, Duration) {
    let started = Instant::now();
    let res = client()
        .get(gw.url(path))
        .header("x-test-delay-ms", delay_ms.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    let code = v["code"].as_str().unwrap_or("ok").to_owned();
    (status, code, started.elapsed())
}

async fn start() -> (TestGateway, TestUpstream, Blackhole) {
    let up = TestUpstream::start("slow").await;
    let bh = Blackhole::new();
    let gw = TestGateway::start(&config(&up, &bh)).await;
    (gw, up, bh)
}

const ROUTE: Duration = Duration::from_millis(300);
/// Far below the upstreams' own 30 s and the upstream's 3 s delay.
const WELL_BEFORE: Duration = Duration::from_millis(2500);

#[tokio::test]
async fn a_shorter_route_timeout_answers_504_before_the_upstreams() {
    let (gw, _up, _bh) = start().await;
    let (status, code, took) = get(&gw, "/quick/x", 3000).await;
    assert_eq!((status, code.as_str()), (504, "upstream_timeout"));
    assert!(took >= ROUTE && took < WELL_BEFORE, "{took:?}");
    // The upstream's own timeout alone waits for a slow answer.
    let (status, code, took) = get(&gw, "/plain/x", 1000).await;
    assert_eq!((status, code.as_str()), (200, "ok"));
    assert!(took >= Duration::from_millis(1000), "{took:?}");
    gw.stop().await;
}

#[tokio::test]
async fn a_longer_route_timeout_serves_what_the_upstreams_would_cut() {
    let (gw, _up, _bh) = start().await;
    let (status, code, _) = get(&gw, "/patient/x", 800).await;
    assert_eq!((status, code.as_str()), (200, "ok"));
    // The same upstream settings without the route's: cut at 200 ms.
    let (status, code, took) = get(&gw, "/hasty/x", 800).await;
    assert_eq!((status, code.as_str()), (504, "upstream_timeout"));
    assert!(took < Duration::from_millis(800), "{took:?}");
    gw.stop().await;
}

#[tokio::test]
async fn the_route_timeout_applies_to_a_split_targets_upstream() {
    let (gw, _up, _bh) = start().await;
    // Every request of `canary` goes to `plain`'s upstream (30 s), under
    // `canary`'s 1 s.
    let (status, code, took) = get(&gw, "/canary/x", 3000).await;
    assert_eq!((status, code.as_str()), (504, "upstream_timeout"));
    assert!(
        took >= Duration::from_secs(1) && took < WELL_BEFORE,
        "{took:?}"
    );
    // Not the routed service's own upstream's 100 ms either.
    let (status, code, _) = get(&gw, "/canary/x", 400).await;
    assert_eq!((status, code.as_str()), (200, "ok"));
    gw.stop().await;
}

#[tokio::test]
async fn a_shorter_per_try_timeout_still_ends_a_try() {
    let (gw, _up, _bh) = start().await;
    let (status, code, took) = get(&gw, "/tries/x", 3000).await;
    assert_eq!((status, code.as_str()), (504, "upstream_timeout"));
    assert!(took >= ROUTE && took < WELL_BEFORE, "{took:?}");
    gw.stop().await;
}

#[tokio::test]
async fn a_route_connect_timeout_ends_a_hanging_connect() {
    let (gw, _up, _bh) = start().await;
    let (status, code, took) = get(&gw, "/dial/x", 0).await;
    assert_eq!((status, code.as_str()), (504, "upstream_connect_timeout"));
    assert!(took >= ROUTE && took < WELL_BEFORE, "{took:?}");
    gw.stop().await;
}

fn explained(gw: &TestGateway, path: &str) -> Value {
    let input = ExplainInput {
        method: "GET".into(),
        host: None,
        path: path.into(),
        headers: Vec::new(),
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    serde_json::to_value(explain(&gw.gateway.plane, &input).unwrap()).unwrap()
}

#[tokio::test]
async fn explain_reports_each_timeout_and_where_it_comes_from() {
    let (gw, _up, _bh) = start().await;
    let t = &explained(&gw, "/canary/x")["timeouts"];
    assert_eq!(t["upstream_of"], "plain", "{t}");
    assert_eq!(t["response_header"]["ms"], 1000, "{t}");
    assert_eq!(t["response_header"]["from"], "route", "{t}");
    // The target upstream's own (and default) values for the rest.
    assert_eq!(t["connect"]["ms"], 5000, "{t}");
    assert_eq!(t["connect"]["from"], "upstream", "{t}");
    assert_eq!(t["stream_idle"]["from"], "upstream", "{t}");
    assert_eq!(t["detail_code"], "timeouts_route", "{t}");
    assert_eq!(t["detail_params"]["fields"], "response_header", "{t}");

    let v = explained(&gw, "/tries/x");
    let t = &v["timeouts"];
    assert_eq!(t["response_header"]["ms"], 10_000, "{t}");
    assert_eq!(t["per_try_ms"], 300, "{t}");
    assert_eq!(v["resilience"]["retry"]["per_try_timeout_ms"], 300, "{v}");

    let t = &explained(&gw, "/plain/x")["timeouts"];
    assert_eq!(t["response_header"]["ms"], 30_000, "{t}");
    assert_eq!(t["response_header"]["from"], "upstream", "{t}");
    assert_eq!(t["detail_code"], "timeouts_upstream", "{t}");
    gw.stop().await;
}

#[test]
fn check_refuses_a_zero_timeout_and_a_tcp_services_timeouts() {
    let bad = r#"
services:
  - name: a
    match: { prefix: /a/ }
    timeouts: { response_header: 0s }
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
  - name: t
    kind: tcp
    port: 9100
    timeouts: { connect: 1s }
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
"#;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .current_dir(dir.path())
        .args(["check", "-f", "-"])
        .env_remove("WEIR_STORE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bad.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "services[0].timeouts.response_header: must be greater than 0",
        "services[1].timeouts: does not apply to tcp services (a tcp service has only its own upstream: set upstream.timeouts)",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[tokio::test]
async fn a_route_stream_idle_closes_its_websocket_tunnels() {
    use futures_util::{SinkExt, StreamExt};
    use weir_testkit::WsEcho;
    use weir_testkit::tokio_tungstenite::connect_async;
    use weir_testkit::tokio_tungstenite::tungstenite::Message;

    let echo = WsEcho::start().await;
    // The upstream's own stream_idle is its default, 10 minutes.
    let gw = TestGateway::start(&format!(
        "services:\n  - name: chat\n    match: {{ prefix: /chat/ }}\n    websocket: true\n    timeouts: {{ stream_idle: 500ms }}\n    upstream: {{ nodes: [{{ addr: \"{}\" }}] }}\n",
        echo.addr
    ))
    .await;
    let url = format!("ws://{}/chat/idle", gw.gateway.http_addr.unwrap());
    let (mut ws, _) = connect_async(&url).await.unwrap();
    ws.send(Message::text("one")).await.unwrap();
    ws.next().await.unwrap().unwrap();
    let waited = common::ws_idle_end(&mut ws, Duration::from_secs(5)).await;
    assert!(
        waited >= Duration::from_millis(400) && waited < WELL_BEFORE,
        "{waited:?}"
    );
    gw.stop().await;
}
