//! Client faults in request bodies are the client's: malformed, cut short,
//! abandoned, stalled and oversized uploads get 4xx (or are logged as
//! client-closed, 499), are never retried elsewhere and never count
//! against a node — so no client can eject a service's nodes by sending
//! broken uploads. Sent as raw bytes so every variant is exactly what an
//! attacker would write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::raw_http::{RawConn, RawResponse, exchange};
use common::{TestGateway, node_status};
use tokio::io::AsyncWriteExt;
use weir_proxy::{Rejection, Scope};
use weir_testkit::TestUpstream;

/// Two nodes behind `/open/` (no size limit) and `/capped/` (1000 bytes),
/// with outlier ejection after two failures in a row: any upload counted
/// against a node would eject it at once.
fn config(a: &TestUpstream, b: &TestUpstream) -> String {
    let upstream = format!(
        "    upstream:\n      nodes: [{{ addr: \"{}\" }}, {{ addr: \"{}\" }}]\n      outlier: {{ consecutive_failures: 2, base_ejection: 5m }}\n",
        a.addr, b.addr
    );
    format!(
        "services:\n  - name: open\n    match: {{ prefix: /open/ }}\n{upstream}  - name: capped\n    match: {{ prefix: /capped/ }}\n    max_body_bytes: 1000\n{upstream}"
    )
}

async fn two_nodes() -> (TestUpstream, TestUpstream) {
    (
        TestUpstream::start("a").await,
        TestUpstream::start("b").await,
    )
}

fn head(path: &str, framing: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\n{framing}\r\n")
}

/// Both nodes of `service` are healthy and both still get normal traffic.
async fn nodes_serve(gw: &TestGateway, service: &str, a: &TestUpstream, b: &TestUpstream) {
    for up in [a, b] {
        assert_eq!(
            node_status(gw, service, &up.addr.to_string()).as_deref(),
            Some("healthy"),
            "{service}: node {} was blamed: {:?}",
            up.name,
            gw.gateway.plane.node_health(service)
        );
    }
    let http = common::client();
    let mut seen = HashSet::new();
    for _ in 0..4 {
        let (status, v) = common::get_json(&http, &gw.url(&format!("/{service}/ok"))).await;
        assert_eq!(status, 200);
        seen.insert(common::node(&v).to_owned());
    }
    assert_eq!(seen.len(), 2, "both nodes take traffic: {seen:?}");
}

fn rejections(gw: &TestGateway, service: &str, r: Rejection) -> u64 {
    let i = Rejection::ALL.iter().position(|x| *x == r).unwrap();
    gw.gateway
        .plane
        .stats
        .get(Scope::Service, service)
        .map_or(0, |s| s.counters().rejections[i])
}

fn assert_refused(r: Option<RawResponse>, status: u16, code: &str, what: &str) {
    let r = r.unwrap_or_else(|| panic!("{what}: no answer"));
    assert_eq!(r.status, status, "{what}: {}", r.body_text());
    assert_eq!(r.code().as_deref(), Some(code), "{what}");
    assert!(r.head.contains("connection: close"), "{what}: {}", r.head);
}

#[tokio::test]
async fn broken_uploads_get_400_and_never_eject_a_node() {
    let (a, b) = two_nodes().await;
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("access.log");
    let log = log_path.display().to_string();
    let gw = TestGateway::start_with(&config(&a, &b), |c| c.log.access = log).await;
    let addr = gw.gateway.http_addr.unwrap();
    let chunked = "Transfer-Encoding: chunked\r\n";
    let flood = format!("5;{}\r\nhello\r\n0\r\n\r\n", "e=1;".repeat(5000));
    let malformed: Vec<(&str, String)> = vec![
        ("size not hex", "zz\r\nhello\r\n0\r\n\r\n".into()),
        ("size 0x5", "0x5\r\nhello\r\n0\r\n\r\n".into()),
        ("negative size", "-5\r\nhello\r\n0\r\n\r\n".into()),
        (
            "overlong size",
            "1ffffffffffffffff\r\nhello\r\n0\r\n\r\n".into(),
        ),
        ("data past its size", "3\r\nhello\r\n0\r\n\r\n".into()),
        ("bad chunk end", "5\r\nhelloXY0\r\n\r\n".into()),
        ("second chunk broken", "5\r\nhello\r\nqq\r\n".into()),
        ("extension flood", flood),
    ];
    // Each variant several times: two counted failures would eject a node.
    for round in 0..3 {
        for (what, body) in &malformed {
            let answers = exchange(
                addr,
                format!("{}{body}", head("/open/up", chunked)).as_bytes(),
            )
            .await;
            // The flood may be cut while the client is still writing; then
            // the close can reset the connection before the 400 is read.
            if *what == "extension flood" && answers.is_empty() {
                continue;
            }
            assert_eq!(answers.len(), 1, "{what} (round {round}): {answers:?}");
            assert_refused(
                answers.into_iter().next(),
                400,
                "invalid_request_body",
                what,
            );
        }
        // A Content-Length body cut short: the client half-closes.
        let mut c = RawConn::open(addr).await;
        c.send(format!("{}short", head("/open/up", "Content-Length: 100\r\n")).as_bytes())
            .await;
        c.stream.shutdown().await.unwrap();
        assert_refused(c.response().await, 400, "client_closed", "cut short");
        // A client that disappears mid-upload: nothing to read, but the
        // gateway records it (499) and blames nobody.
        let mut c = RawConn::open(addr).await;
        c.send(format!("{}{}", head("/open/up", chunked), "400\r\npartial").as_bytes())
            .await;
        drop(c);
    }
    nodes_serve(&gw, "open", &a, &b).await;
    assert!(rejections(&gw, "open", Rejection::BadRequest) >= 21);
    common::eventually(
        "abandoned uploads recorded",
        Duration::from_secs(5),
        async || rejections(&gw, "open", Rejection::ClientClosed) == 6,
    )
    .await;
    // The access log says 499 for them, as nginx does.
    common::eventually("access log lines", Duration::from_secs(5), async || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("\"rejection\":\"client_closed\""))
            .filter(|l| l.contains("\"status\":499"))
            .count()
            == 6
    })
    .await;
    gw.stop().await;
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_is_not_the_nodes_fault() {
    let (a, b) = two_nodes().await;
    let gw = TestGateway::start_with(&config(&a, &b), |c| {
        c.proxy.body_read_timeout = weir_core::HumanDuration::from_millis(300);
    })
    .await;
    let addr = gw.gateway.http_addr.unwrap();
    for (what, first) in [
        (
            "length",
            format!("{}abc", head("/open/slow", "Content-Length: 10\r\n")),
        ),
        (
            "chunked",
            format!(
                "{}3\r\nabc\r\n",
                head("/open/slow", "Transfer-Encoding: chunked\r\n")
            ),
        ),
        (
            "no byte at all",
            head("/open/slow", "Content-Length: 10\r\n"),
        ),
    ] {
        for _ in 0..2 {
            let mut c = RawConn::open(addr).await;
            c.send(first.as_bytes()).await;
            // The answer comes when the gateway gives up waiting.
            assert_refused(c.response().await, 408, "request_body_timeout", what);
        }
    }
    assert_eq!(rejections(&gw, "open", Rejection::BodyTimeout), 6);
    nodes_serve(&gw, "open", &a, &b).await;

    // A body that keeps coming, however slowly, is not cut: the clock
    // restarts with every piece.
    let mut c = RawConn::open(addr).await;
    c.send(head("/open/trickle", "Content-Length: 5\r\n").as_bytes())
        .await;
    for byte in b"hello" {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.send(&[*byte]).await;
    }
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body_text());
    let echo: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(echo["body"], "hello");
    gw.stop().await;
}

#[tokio::test]
async fn max_body_bytes_refuses_before_forwarding_and_cuts_streams() {
    let (a, b) = two_nodes().await;
    let gw = TestGateway::start(&config(&a, &b)).await;
    let addr = gw.gateway.http_addr.unwrap();
    let forwarded = || a.requests() + b.requests();

    // Declared too large: 413 before a node is picked, and a client that
    // asked to continue is never told to.
    for len in [1001u64, 5000, 1 << 40] {
        let before = forwarded();
        let mut c = RawConn::open(addr).await;
        c.send(
            head(
                "/capped/big",
                &format!("Content-Length: {len}\r\nExpect: 100-continue\r\n"),
            )
            .as_bytes(),
        )
        .await;
        assert_refused(
            c.response().await,
            413,
            "request_body_too_large",
            "declared",
        );
        assert_eq!(
            forwarded(),
            before,
            "nothing forwarded for Content-Length {len}"
        );
    }
    // At the limit: forwarded whole.
    let body = "x".repeat(1000);
    let mut c = RawConn::open(addr).await;
    c.send(format!("{}{body}", head("/capped/ok", "Content-Length: 1000\r\n")).as_bytes())
        .await;
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200);
    let echo: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(echo["body_bytes"], 1000);

    // Streamed over the limit: cut with 413, several times, and no node is
    // blamed for it.
    let chunk = format!("258\r\n{}\r\n", "y".repeat(600));
    for _ in 0..3 {
        let answers = exchange(
            addr,
            format!(
                "{}{chunk}{chunk}{chunk}0\r\n\r\n",
                head("/capped/stream", "Transfer-Encoding: chunked\r\n")
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_refused(
            answers.into_iter().next(),
            413,
            "request_body_too_large",
            "streamed",
        );
    }
    // Streamed within the limit: forwarded.
    let chunk = format!("190\r\n{}\r\n", "z".repeat(400));
    let mut c = RawConn::open(addr).await;
    c.send(
        format!(
            "{}{chunk}{chunk}0\r\n\r\n",
            head("/capped/stream", "Transfer-Encoding: chunked\r\n")
        )
        .as_bytes(),
    )
    .await;
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body_text());
    let echo: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(echo["body_bytes"], 800);

    assert_eq!(rejections(&gw, "capped", Rejection::BodyTooLarge), 6);

    // Explain tells the same, from the declared length.
    let explain = |len: u64| {
        let input = weir_proxy::ExplainInput {
            method: "POST".into(),
            host: Some("x".into()),
            path: "/capped/big".into(),
            headers: vec![("content-length".into(), len.to_string())],
            client_ip: "127.0.0.1".into(),
            https: false,
        };
        weir_proxy::explain(&gw.gateway.plane, &input).unwrap()
    };
    let over = explain(1001);
    let r = over.rejection.expect("refused");
    assert_eq!((r.status, r.code.as_str()), (413, "request_body_too_large"));
    let within = explain(1000);
    assert!(within.rejection.is_none());
    assert!(
        within
            .policies
            .iter()
            .any(|p| p.policy == "max_body_bytes" && p.outcome == weir_proxy::PolicyOutcome::Allow)
    );
    nodes_serve(&gw, "capped", &a, &b).await;
    // The other service has no limit.
    let big = "w".repeat(100_000);
    let r = common::client()
        .post(gw.url("/open/big"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    gw.stop().await;
}

#[tokio::test]
async fn an_http2_body_over_the_limit_is_cut_with_413() {
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::Frame;
    let (a, b) = two_nodes().await;
    let gw = TestGateway::start(&config(&a, &b)).await;
    let addr = gw.gateway.http_addr.unwrap();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    for (path, pieces, want) in [("/capped/h2", 3, 413), ("/capped/h2", 1, 200)] {
        // No Content-Length: the body is counted as it streams.
        let frames = (0..pieces).map(|_| {
            Ok::<_, std::convert::Infallible>(Frame::data(bytes::Bytes::from(vec![b'q'; 600])))
        });
        let body = StreamBody::new(futures_util::stream::iter(frames));
        let req = http::Request::post(format!("http://x{path}"))
            .body(body)
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        assert_eq!(res.status(), want, "{pieces} pieces");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        if want == 413 {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["code"], "request_body_too_large");
        }
    }
    nodes_serve(&gw, "capped", &a, &b).await;
    gw.stop().await;
}
