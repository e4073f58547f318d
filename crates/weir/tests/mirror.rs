//! Mirroring through a real gateway: copies reach the shadow with the
//! request as the upstream gets it (body included), a share is copied
//! request by request, and a dead or slow shadow never slows or fails the
//! client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TestGateway, client, eventually, node};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use weir_core::compile::MirrorCounts;
use weir_testkit::{Blackhole, TestUpstream, slow_upstream};

/// A shadow that hands every request it gets (method, path, the mirror
/// mark, body) to the test, and answers 500 (which nobody may see).
async fn capturing_shadow() -> (
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<(String, String, bool, Bytes)>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let method = req.method().to_string();
                        let path = req.uri().path().to_owned();
                        let marked = req.headers().get("x-weir-mirror").is_some_and(|v| v == "1");
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let _ = tx.send((method, path, marked, body));
                        Ok::<_, hyper::Error>(
                            hyper::Response::builder()
                                .status(500)
                                .body(Full::new(Bytes::from_static(b"shadow")))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, rx)
}

fn config(main: &TestUpstream, shadow: &str, percent: &str) -> String {
    format!(
        r#"
services:
  - name: shop
    match: {{ prefix: /shop/ }}
    strip_prefix: true
    mirror: {{ service: shadow, percent: {percent} }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: shadow
    match: {{ prefix: /shadow/ }}
    upstream: {{ nodes: [{{ addr: "{shadow}" }}], timeouts: {{ connect: 30s, response_header: 30s }} }}
"#,
        main.addr
    )
}

fn counts(gw: &TestGateway) -> Arc<MirrorCounts> {
    let snap = gw.gateway.plane.snapshot();
    let svc = snap.config.service("shop").unwrap();
    Arc::clone(&svc.mirror.as_ref().unwrap().counts)
}

#[tokio::test]
async fn copies_reach_the_shadow_as_the_upstream_gets_them() {
    let main = TestUpstream::start("main").await;
    let (shadow, mut copies) = capturing_shadow().await;
    let gw = TestGateway::start(&config(&main, &shadow.to_string(), "100")).await;
    let http = client();
    // A GET and a POST with a body: the client's answers are the main
    // upstream's; the shadow gets the same requests, rewritten, marked.
    let v: serde_json::Value = http
        .get(gw.url("/shop/a"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(node(&v), "main");
    let body = vec![b'x'; 20_000];
    let res = http
        .post(gw.url("/shop/b"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(
            tokio::time::timeout(Duration::from_secs(10), copies.recv())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str(), got[0].2),
        ("GET", "/a", true)
    );
    assert!(got[0].3.is_empty());
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str(), got[1].2),
        ("POST", "/b", true)
    );
    assert_eq!(
        got[1].3.as_ref(),
        body.as_slice(),
        "the body is copied whole"
    );
    let c = counts(&gw);
    eventually("two copies sent", Duration::from_secs(10), async || {
        c.sent.load(Ordering::Relaxed) == 2
    })
    .await;
    // A body over 64 KiB is not kept, so not copied (and counted).
    let res = http
        .post(gw.url("/shop/big"))
        .body(vec![b'y'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually(
        "the big body skipped",
        Duration::from_secs(10),
        async || c.skipped.load(Ordering::Relaxed) == 1,
    )
    .await;
    assert!(
        copies.try_recv().is_err(),
        "nothing else reached the shadow"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_share_is_copied_request_by_request() {
    let main = TestUpstream::start("main").await;
    let shadow = TestUpstream::start("shadow").await;
    let gw = TestGateway::start(&config(&main, &shadow.addr.to_string(), "25")).await;
    let http = client();
    for _ in 0..400 {
        assert_eq!(
            http.get(gw.url("/shop/x")).send().await.unwrap().status(),
            200
        );
    }
    let c = counts(&gw);
    eventually("copies answered", Duration::from_secs(10), async || {
        c.in_flight.load(Ordering::Relaxed) == 0
    })
    .await;
    let sent = c.sent.load(Ordering::Relaxed);
    assert!((96..=104).contains(&sent), "{sent} of 400 copied at 25 %");
    assert_eq!(shadow.requests(), sent);
    assert_eq!(main.requests(), 400);
    gw.stop().await;
}

#[tokio::test]
async fn a_dead_or_slow_shadow_never_slows_or_fails_the_client() {
    let main = TestUpstream::start("main").await;
    let http = client();
    // Connections to a blackhole never complete; a slow shadow answers
    // after 5 s. Either way every client request is answered by the main
    // upstream at once.
    let dead = Blackhole::new();
    let slow = slow_upstream("slow", Duration::from_secs(5)).await;
    for shadow in [dead.addr.to_string(), slow.addr.to_string()] {
        let gw = TestGateway::start(&config(&main, &shadow, "100")).await;
        let started = Instant::now();
        for _ in 0..50 {
            let res = http
                .post(gw.url("/shop/x"))
                .body("data")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(3),
            "50 requests took {took:?} with shadow {shadow}"
        );
        let c = counts(&gw);
        assert_eq!(c.sent.load(Ordering::Relaxed), 0, "nothing answered yet");
        assert!(c.in_flight.load(Ordering::Relaxed) > 0);
        gw.stop().await;
    }
    // A shadow that refuses connections: the copies fail, the client does not.
    let refused = weir_testkit::refused_addr().await;
    let gw = TestGateway::start(&config(&main, &refused.to_string(), "100")).await;
    for _ in 0..5 {
        assert_eq!(
            http.get(gw.url("/shop/y")).send().await.unwrap().status(),
            200
        );
    }
    let c = counts(&gw);
    eventually("five copies failed", Duration::from_secs(10), async || {
        c.failed.load(Ordering::Relaxed) == 5
    })
    .await;
    gw.stop().await;
}
