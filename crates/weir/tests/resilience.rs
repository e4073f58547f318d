//! Retry policies and circuit breakers through a real gateway, with real
//! clients (reqwest, tonic) and real upstreams: a scripted HTTP/1.1
//! upstream that answers each request as the test says (a status, hold
//! until released, reset, stall), the testkit's tonic peer, addresses that
//! refuse or never accept connections.
//!
//! Acceptance (issue 11): retries never exceed the budget; a tripped
//! breaker answers within 1 ms of gateway time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestGateway, client, eventually};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use weir_testkit::grpc::{self, echo_client};
use weir_testkit::tonic::{Code, Request};
use weir_testkit::{Blackhole, EchoRequest, GrpcServer, refused_addr};

/// What the scripted upstream does with its `n`th request (from 0).
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Answer this status at once, body `{"n": n}`.
    Answer(u16),
    /// Wait until gate `.1` is released ([`Scripted::release`]), then
    /// answer status `.0`.
    Hold(u16, u32),
    /// Close the connection without answering.
    Reset,
    /// Never answer.
    Stall,
}

/// A raw HTTP/1.1 upstream (keep-alive) following a script.
struct Scripted {
    addr: SocketAddr,
    seen: watch::Sender<u64>,
    /// Gates released so far (1, 2, …).
    release: watch::Sender<u32>,
    /// `METHOD body` of every request, in arrival order.
    requests: Received,
    task: tokio::task::JoinHandle<()>,
}

type Script = Arc<dyn Fn(u64) -> Act + Send + Sync>;
/// The method and body of every request, in arrival order.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

impl Scripted {
    async fn start(script: impl Fn(u64) -> Act + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (seen, _) = watch::channel(0u64);
        let (release, _) = watch::channel(0u32);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let task = {
            let (seen, release, requests) = (seen.clone(), release.clone(), Arc::clone(&requests));
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let conn = Conn {
                        seen: seen.clone(),
                        release: release.subscribe(),
                        requests: Arc::clone(&requests),
                        script: Arc::clone(&script),
                    };
                    tokio::spawn(conn.serve(stream));
                }
            })
        };
        Self {
            addr,
            seen,
            release,
            requests,
            task,
        }
    }

    fn seen(&self) -> u64 {
        *self.seen.borrow()
    }

    /// Wait until `n` requests have arrived.
    async fn wait_seen(&self, n: u64) {
        let mut rx = self.seen.subscribe();
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| *s >= n))
            .await
            .unwrap_or_else(|_| panic!("{n} requests did not arrive; {} did", self.seen()))
            .unwrap();
    }

    /// Release the requests held at `gate` (and every lower gate).
    fn release(&self, gate: u32) {
        self.release.send_modify(|g| *g = (*g).max(gate));
    }

    fn bodies(&self) -> Vec<(String, String)> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(m, b)| (m.clone(), String::from_utf8_lossy(b).into_owned()))
            .collect()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Conn {
    seen: watch::Sender<u64>,
    release: watch::Receiver<u32>,
    requests: Received,
    script: Script,
}

impl Conn {
    async fn serve(mut self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        while let Some((method, body)) = read_request(&mut stream, &mut buf).await {
            self.requests.lock().unwrap().push((method, body));
            let mut n = 0;
            self.seen.send_modify(|s| {
                n = *s;
                *s += 1;
            });
            let status = match (self.script)(n) {
                Act::Answer(status) => status,
                Act::Hold(status, gate) => {
                    let _ = self.release.wait_for(|g| *g >= gate).await;
                    status
                }
                Act::Reset => return,
                Act::Stall => std::future::pending().await,
            };
            let body = format!("{{\"n\":{n}}}");
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if stream
                .write_all(format!("{head}{body}").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// One request off the connection: its method and body (by
/// Content-Length). `None` when the peer closed.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let method = head.split(' ').next().unwrap_or("").to_owned();
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < end + len {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[end..end + len].to_vec();
    buf.drain(..end + len);
    Some((method, body))
}

/// One http service routed at `/{name}/` over `nodes`, with `extra` upstream
/// settings (YAML flow mapping entries).
fn service(name: &str, nodes: &[SocketAddr], extra: &str) -> String {
    let nodes: Vec<String> = nodes
        .iter()
        .map(|a| format!("{{ addr: \"{a}\" }}"))
        .collect();
    format!(
        "  - name: {name}\n    match: {{ prefix: /{name}/ }}\n    upstream: {{ nodes: [{}]{}{extra} }}\n",
        nodes.join(", "),
        if extra.is_empty() { "" } else { ", " }
    )
}

fn doc(services: &[String]) -> String {
    format!("services:\n{}", services.concat())
}

/// The value of the metric line that starts with `series` (name and
/// labels), if present.
fn metric(gw: &TestGateway, series: &str) -> Option<f64> {
    let text = weir_proxy::render_metrics(&gw.gateway.plane);
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn count(gw: &TestGateway, series: &str) -> u64 {
    metric(gw, series).unwrap_or(0.0) as u64
}

async fn code_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    let code = v["code"]
        .as_str()
        .map_or_else(|| v["n"].to_string(), str::to_owned);
    (status, code)
}

const QUICK: &str = "backoff: { base: 1ms, max: 2ms }";

#[tokio::test]
async fn a_503_is_retried_up_to_attempts_then_the_last_answer_is_given() {
    let always = Scripted::start(|_| Act::Answer(503)).await;
    let then_ok = Scripted::start(|n| {
        if n < 2 {
            Act::Answer(503)
        } else {
            Act::Answer(200)
        }
    })
    .await;
    let plain = Scripted::start(|_| Act::Answer(503)).await;
    let policy = format!("retry: {{ attempts: 3, retry_on: [gateway_error], {QUICK} }}");
    let gw = TestGateway::start(&doc(&[
        service("always", &[always.addr], &policy),
        service("then_ok", &[then_ok.addr], &policy),
        service("plain", &[plain.addr], ""),
    ]))
    .await;
    let c = client();

    // Three tries, one node (a policy may go back to a node tried), then
    // the third try's answer as it came.
    let res = c.get(gw.url("/always/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (503, "2".into()));
    assert_eq!(always.seen(), 3);
    let res = c.get(gw.url("/then_ok/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (200, "2".into()));
    assert_eq!(then_ok.seen(), 3);
    // Without a policy a 503 is the node's answer: not tried again.
    let res = c.get(gw.url("/plain/x")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(plain.seen(), 1);

    assert_eq!(
        count(&gw, "weir_upstream_retries_total{service=\"always\"}"),
        2
    );
    assert_eq!(
        count(&gw, "weir_upstream_retries_total{service=\"then_ok\"}"),
        2
    );
    assert_eq!(
        metric(&gw, "weir_upstream_retries_total{service=\"plain\"}"),
        None
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_request_that_reached_its_node_is_sent_again_only_when_replayable() {
    let post = Scripted::start(|_| Act::Answer(503)).await;
    let reset = Scripted::start(|n| if n < 2 { Act::Reset } else { Act::Answer(200) }).await;
    let put = Scripted::start(|n| {
        if n % 2 == 0 {
            Act::Answer(503)
        } else {
            Act::Answer(200)
        }
    })
    .await;
    let policy = format!("retry: {{ attempts: 3, retry_on: [reset, 5xx], {QUICK} }}");
    let gw = TestGateway::start(&doc(&[
        service("post", &[post.addr], &policy),
        service("reset", &[reset.addr], &policy),
        service("put", &[put.addr], &policy),
    ]))
    .await;
    let c = client();

    // A POST that reached the node is never sent twice.
    let res = c
        .post(gw.url("/post/x"))
        .body("order=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(post.seen(), 1);
    let res = c
        .post(gw.url("/reset/x"))
        .body("order=1")
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(res).await, (502, "upstream_error".into()));
    assert_eq!(reset.seen(), 1);
    // A GET met the same reset: sent again, on the same (only) node.
    let res = c.get(gw.url("/reset/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (200, "2".into()));

    // A PUT with a small body is replayed with that body, byte for byte.
    let res = c
        .put(gw.url("/put/x"))
        .body("size=large")
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(res).await, (200, "1".into()));
    assert_eq!(
        put.bodies(),
        [
            ("PUT".to_owned(), "size=large".to_owned()),
            ("PUT".to_owned(), "size=large".to_owned())
        ]
    );
    // One over 64 KiB is not kept, so not sent again.
    let big = "x".repeat(64 * 1024 + 1);
    let res = c.put(gw.url("/put/x")).body(big).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(put.seen(), 3);
    gw.stop().await;
}

#[tokio::test]
async fn a_connect_failure_is_retried_for_any_method() {
    let dead = refused_addr().await;
    let live = Scripted::start(|_| Act::Answer(200)).await;
    let gw = TestGateway::start(&doc(&[service(
        "web",
        &[dead, live.addr],
        &format!("retry: {{ attempts: 2, {QUICK} }}"),
    )]))
    .await;
    let c = client();
    // Round robin: each request's first try goes to the dead node (its
    // retry moves the rotation on to the live one). Nothing reached the
    // dead node, so even a POST goes on.
    for i in 0..6 {
        let res = c
            .post(gw.url("/web/x"))
            .body(format!("n={i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "POST {i}");
    }
    assert_eq!(live.seen(), 6);
    assert_eq!(
        count(&gw, "weir_upstream_retries_total{service=\"web\"}"),
        6
    );
    assert_eq!(
        live.bodies()
            .iter()
            .map(|(_, b)| b.as_str())
            .collect::<Vec<_>>(),
        ["n=0", "n=1", "n=2", "n=3", "n=4", "n=5"]
    );

    // Without connect_failure in retry_on, every other request (a new
    // rotation) fails on the dead node.
    gw.reconfigure(&doc(&[service(
        "web",
        &[dead, live.addr],
        "retry: { attempts: 2, retry_on: [reset] }",
    )]))
    .await;
    let mut refused = 0;
    for _ in 0..6 {
        let res = c.get(gw.url("/web/x")).send().await.unwrap();
        if code_of(res).await == (502, "upstream_connect_failed".into()) {
            refused += 1;
        }
    }
    assert_eq!(refused, 3);
    gw.stop().await;
}

#[tokio::test]
async fn named_statuses_are_retried_and_others_answered() {
    let up = Scripted::start(|n| match n {
        0 => Act::Answer(429),
        1 => Act::Answer(200),
        _ => Act::Answer(409),
    })
    .await;
    let gw = TestGateway::start(&doc(&[service(
        "web",
        &[up.addr],
        &format!("retry: {{ attempts: 4, retry_on: [], statuses: [429], {QUICK} }}"),
    )]))
    .await;
    let c = client();
    let res = c.get(gw.url("/web/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (200, "1".into()));
    let res = c.get(gw.url("/web/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (409, "2".into()));
    assert_eq!(up.seen(), 3);
    gw.stop().await;
}

#[tokio::test]
async fn grpc_statuses_in_the_response_head_are_retried() {
    let server = GrpcServer::start("g").await;
    let gw = TestGateway::start(&format!(
        r#"services:
  - name: echo
    kind: grpc
    match: {{ prefix: /weir.test.v1.Echo/ }}
    upstream:
      nodes: [{{ addr: "{}" }}]
      retry: {{ attempts: 3, grpc_statuses: [unavailable], {QUICK} }}
"#,
        server.addr
    ))
    .await;
    let mut c = echo_client(grpc::channel(gw.gateway.http_addr.unwrap()).await.unwrap());
    let call = || {
        Request::new(EchoRequest {
            message: "again".into(),
            ..EchoRequest::default()
        })
    };

    // Two UNAVAILABLE answers (Trailers-Only), then the call goes through,
    // its message replayed as sent.
    server.fail_next_unary(2, Code::Unavailable);
    let reply = c.unary(call()).await.unwrap().into_inner();
    assert_eq!(reply.message, "again");
    assert_eq!(server.calls(), 3);
    // A status the policy does not name is the answer.
    server.fail_next_unary(1, Code::PermissionDenied);
    let e = c.unary(call()).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert_eq!(server.calls(), 4);
    // Out of tries: the last UNAVAILABLE.
    server.fail_next_unary(3, Code::Unavailable);
    let e = c.unary(call()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unavailable);
    assert_eq!(e.message(), "weir test failure: failing on request");
    assert_eq!(server.calls(), 7);
    assert_eq!(
        count(&gw, "weir_upstream_retries_total{service=\"echo\"}"),
        4
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_per_try_timeout_ends_a_try_and_the_next_one_answers() {
    let up = Scripted::start(|n| if n == 0 { Act::Stall } else { Act::Answer(200) }).await;
    let once = Scripted::start(|_| Act::Stall).await;
    let gw = TestGateway::start(&doc(&[
        service(
            "web",
            &[up.addr],
            "retry: { attempts: 2, per_try_timeout: 300ms, backoff: { base: 0ms, max: 0ms } }",
        ),
        service(
            "once",
            &[once.addr],
            "retry: { attempts: 1, per_try_timeout: 300ms }",
        ),
    ]))
    .await;
    let c = client();
    let started = Instant::now();
    let res = c.get(gw.url("/web/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (200, "1".into()));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    // One try only: the per-try timeout is the response-header timeout.
    let started = Instant::now();
    let res = c.get(gw.url("/once/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (504, "upstream_timeout".into()));
    assert!(started.elapsed() < Duration::from_secs(5));
    gw.stop().await;
}

/// Acceptance: under a load of failing requests, the retries stay within
/// the budget — its per-second floor, and its share of live requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_never_exceed_the_budget() {
    let up = Scripted::start(|_| Act::Answer(503)).await;
    let gw = TestGateway::start(&doc(&[service(
        "floor",
        &[up.addr],
        "retry: { attempts: 3, retry_on: [gateway_error], backoff: { base: 0ms, max: 0ms }, budget: { percent: 0, min_per_second: 5 } }",
    )]))
    .await;
    let c = client();
    let started = Instant::now();
    for _ in 0..40 {
        let res = c.get(gw.url("/floor/x")).send().await.unwrap();
        assert_eq!(res.status(), 503);
    }
    let seconds = started.elapsed().as_secs();
    let retries = up.seen() - 40;
    // The floor: 5 a second, in each second the load touched.
    assert!(retries >= 5, "{retries}");
    assert!(
        retries <= 5 * (seconds + 2),
        "{retries} retries in {seconds}s"
    );
    assert_eq!(
        count(&gw, "weir_upstream_retries_total{service=\"floor\"}"),
        retries
    );
    // Every request the budget stopped answered its last 503 (those that
    // had all their tries are at most half the retries).
    let refused = count(
        &gw,
        "weir_upstream_retry_budget_exhausted_total{service=\"floor\"}",
    );
    assert!((40 - retries / 2..=40).contains(&refused), "{refused}");
    gw.stop().await;

    // The share: ten requests in flight at once, each answered 503 once
    // all ten have arrived; at most half of the live requests may be
    // retried at once. The retries are held, so none of them ends (and
    // frees its share) before every first answer has been decided.
    let up = Scripted::start(|n| {
        if n < 10 {
            Act::Hold(503, 1)
        } else {
            Act::Hold(200, 2)
        }
    })
    .await;
    let gw = TestGateway::start(&doc(&[service(
        "share",
        &[up.addr],
        "retry: { attempts: 2, retry_on: [gateway_error], backoff: { base: 0ms, max: 0ms }, budget: { percent: 50, min_per_second: 0 } }",
    )]))
    .await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let (c, url) = (c.clone(), gw.url("/share/x"));
            tokio::spawn(async move { c.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    up.wait_seen(10).await;
    up.release(1);
    let decided = async || {
        count(&gw, "weir_upstream_retries_total{service=\"share\"}")
            + count(
                &gw,
                "weir_upstream_retry_budget_exhausted_total{service=\"share\"}",
            )
            == 10
    };
    eventually(
        "every first answer decided",
        Duration::from_secs(10),
        decided,
    )
    .await;
    let retried = count(&gw, "weir_upstream_retries_total{service=\"share\"}");
    up.wait_seen(10 + retried).await;
    assert!(
        (1..=5).contains(&retried),
        "{retried} of 10 live requests retried at once"
    );
    assert_eq!(up.seen(), 10 + retried);
    up.release(2);
    let mut ok = 0;
    for call in calls {
        if call.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, retried);
    gw.stop().await;
}

/// The share of the series `weir_request_duration_seconds_bucket` at
/// `le` for `service`.
fn within(gw: &TestGateway, service: &str, le: &str) -> u64 {
    count(
        gw,
        &format!("weir_request_duration_seconds_bucket{{service=\"{service}\",le=\"{le}\"}}"),
    )
}

/// Acceptance: with `max_requests` in flight, the next request is answered
/// 503 `circuit_open` within 1 ms of gateway time, and counted; once the
/// held requests finish, requests pass again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tripped_breaker_answers_at_once_and_lets_requests_through_after() {
    let up = Scripted::start(|n| {
        if n < 3 {
            Act::Hold(200, 1)
        } else {
            Act::Answer(200)
        }
    })
    .await;
    let gw = TestGateway::start(&doc(&[service(
        "web",
        &[up.addr],
        "circuit_breaker: { max_requests: 3 }",
    )]))
    .await;
    let c = client();
    let held: Vec<_> = (0..3)
        .map(|_| {
            let (c, url) = (c.clone(), gw.url("/web/x"));
            tokio::spawn(async move { c.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    up.wait_seen(3).await;

    // Explain sees the breaker at its limit.
    let out = weir_proxy::explain(&gw.gateway.plane, &explain_get("/web/x")).unwrap();
    let cb = out.resilience.unwrap().circuit_breaker.unwrap();
    assert_eq!((cb.max_requests, cb.requests, cb.open), (Some(3), 3, true));

    let (fast_before, all_before) = (within(&gw, "web", "0.001"), within(&gw, "web", "0.01"));
    for _ in 0..10 {
        let started = Instant::now();
        let res = c.get(gw.url("/web/x")).send().await.unwrap();
        assert_eq!(code_of(res).await, (503, "circuit_open".into()));
        // The client's view, through loopback: far below any upstream wait.
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
    }
    // The gateway's own time, from its latency histogram: within 1 ms
    // (nearly all; a busy test machine may stall one), all within 10 ms.
    let fast = within(&gw, "web", "0.001") - fast_before;
    let all = within(&gw, "web", "0.01") - all_before;
    assert!(fast >= 8, "{fast} of 10 refusals within 1 ms");
    assert_eq!(all, 10);
    assert_eq!(up.seen(), 3, "no refused request reached the node");
    assert_eq!(
        count(
            &gw,
            "weir_circuit_open_total{service=\"web\",limit=\"max_requests\"}"
        ),
        10
    );
    assert_eq!(
        count(
            &gw,
            "weir_rejections_total{service=\"web\",reason=\"circuit_open\"}"
        ),
        10
    );
    assert_eq!(
        count(
            &gw,
            "weir_circuit_in_use{service=\"web\",limit=\"max_requests\"}"
        ),
        3
    );

    up.release(1);
    for h in held {
        assert_eq!(h.await.unwrap(), 200);
    }
    let res = c.get(gw.url("/web/x")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    eventually(
        "the count back to zero",
        Duration::from_secs(5),
        async || {
            count(
                &gw,
                "weir_circuit_in_use{service=\"web\",limit=\"max_requests\"}",
            ) == 0
        },
    )
    .await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_and_pending_connects_have_their_limits() {
    // max_connections: one connection, busy; the next request would need a
    // second. Once the first is done its connection is reused.
    let up = Scripted::start(|n| {
        if n == 0 {
            Act::Hold(200, 1)
        } else {
            Act::Answer(200)
        }
    })
    .await;
    let hole = Blackhole::new();
    let gw = TestGateway::start(&doc(&[
        service(
            "conns",
            &[up.addr],
            "circuit_breaker: { max_connections: 1 }",
        ),
        service(
            "pending",
            &[hole.addr],
            "timeouts: { connect: 2s }, circuit_breaker: { max_pending: 1 }",
        ),
    ]))
    .await;
    let c = client();
    let first = {
        let (c, url) = (c.clone(), gw.url("/conns/x"));
        tokio::spawn(async move { c.get(url).send().await.unwrap().status().as_u16() })
    };
    up.wait_seen(1).await;
    let res = c.get(gw.url("/conns/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (503, "circuit_open".into()));
    up.release(1);
    assert_eq!(first.await.unwrap(), 200);
    let res = c.get(gw.url("/conns/x")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.seen(), 2);
    assert_eq!(
        count(
            &gw,
            "weir_circuit_open_total{service=\"conns\",limit=\"max_connections\"}"
        ),
        1
    );

    // max_pending: one request waits for a connect that hangs; the next is
    // refused at once rather than queued behind it.
    let waiting = {
        let (c, url) = (c.clone(), gw.url("/pending/x"));
        tokio::spawn(async move { code_of(c.get(url).send().await.unwrap()).await })
    };
    eventually("a request pending", Duration::from_secs(5), async || {
        count(
            &gw,
            "weir_circuit_in_use{service=\"pending\",limit=\"max_pending\"}",
        ) == 1
    })
    .await;
    let started = Instant::now();
    let res = c.get(gw.url("/pending/x")).send().await.unwrap();
    assert_eq!(code_of(res).await, (503, "circuit_open".into()));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        waiting.await.unwrap(),
        (504, "upstream_connect_timeout".into())
    );
    assert_eq!(
        count(
            &gw,
            "weir_circuit_open_total{service=\"pending\",limit=\"max_pending\"}"
        ),
        1
    );
    gw.stop().await;
}

fn explain_get(path: &str) -> weir_proxy::ExplainInput {
    weir_proxy::ExplainInput {
        method: "GET".into(),
        host: None,
        path: path.into(),
        headers: vec![],
        client_ip: "127.0.0.1".into(),
        https: false,
    }
}

#[tokio::test]
async fn explain_reports_the_policy_that_applies_to_the_request() {
    let up = Scripted::start(|_| Act::Answer(200)).await;
    let gw = TestGateway::start(&doc(&[
        service(
            "web",
            &[up.addr],
            "retry: { attempts: 3, retry_on: [connect_failure, 5xx], statuses: [429], per_try_timeout: 2s }",
        ),
        service("plain", &[up.addr], ""),
    ]))
    .await;
    let plane = &gw.gateway.plane;
    let out = weir_proxy::explain(plane, &explain_get("/web/x")).unwrap();
    let r = out.resilience.unwrap().retry;
    assert!(r.configured && r.replayable);
    assert_eq!((r.attempts, r.per_try_timeout_ms), (3, Some(2000)));
    assert_eq!(r.retry_on, ["connect_failure", "5xx"]);
    assert_eq!(
        (r.budget_percent, r.budget_min_per_second),
        (Some(20), Some(10))
    );
    assert_eq!(r.detail_code, "retry_on");
    assert_eq!(
        r.detail,
        "up to 3 tries in all; tried again on connect_failure, 5xx, 429"
    );

    let mut post = explain_get("/web/x");
    post.method = "POST".into();
    post.headers = vec![("content-length".into(), "5".into())];
    let r = weir_proxy::explain(plane, &post)
        .unwrap()
        .resilience
        .unwrap()
        .retry;
    assert!(!r.replayable);
    assert_eq!(r.detail_code, "retry_unsent_only");

    // The built-in policy: one more try, on another node, and there is none.
    let out = weir_proxy::explain(plane, &explain_get("/plain/x")).unwrap();
    let res = out.resilience.unwrap();
    assert!(!res.retry.configured && res.circuit_breaker.is_none());
    assert_eq!(res.retry.detail_code, "retry_no_other_node");
    gw.stop().await;
}
