//! Bodies stream through the gateway in both directions without being
//! buffered: a 1 GiB upload and a 1 GiB download pass through a gateway
//! process (the real binary) while its resident memory stays flat.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::process::GatewayProcess;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use weir_testkit::{TestUpstream, generated_body};

const GIB: u64 = 1 << 30;
/// Allowed growth of the gateway's RSS while 1 GiB passes through it. Its
/// buffers are per connection (a few hundred KiB); anything near the body
/// size means buffering.
const RSS_BUDGET_BYTES: u64 = 48 << 20;

fn start_gateway(upstream: SocketAddr) -> GatewayProcess {
    GatewayProcess::start(
        &format!(
            "services:\n  - {{ name: big, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{upstream}\" }}], timeouts: {{ response_header: 5m }} }} }}\n"
        ),
        &[("WEIR_PROXY_WORKER_THREADS", "1")],
    )
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// Samples RSS every 20 ms until stopped; returns the peak.
fn watch_rss(pid: u32) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(Ordering::Relaxed) {
            peak = peak.max(rss_bytes(pid));
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    });
    (stop, handle)
}

async fn connect(addr: SocketAddr) -> http1::SendRequest<weir_testkit::Generated> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gib_each_way_with_flat_memory() {
    let upstream = TestUpstream::start("big").await;
    let gw = start_gateway(upstream.addr);
    let pid = gw.pid();

    // Warm up (first connection, first request) before taking the baseline.
    let mut sender = connect(gw.http).await;
    let (small, _) = generated_body(10);
    let res = sender
        .send_request(
            http::Request::post("/warm")
                .header("host", "x")
                .body(small)
                .unwrap(),
        )
        .await
        .unwrap();
    res.into_body().collect().await.unwrap();
    let baseline = rss_bytes(pid);
    let (stop, peak) = watch_rss(pid);

    // Upload: the upstream counts and checksums what arrives.
    let (body, sum) = generated_body(GIB);
    let res = sender
        .send_request(
            http::Request::post("/upload")
                .header("host", "x")
                .header("content-length", GIB)
                .body(body)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["body_bytes"], GIB);
    assert_eq!(v["checksum"], sum, "upload arrived intact");

    // Download: count what arrives, frame by frame.
    let stream = tokio::net::TcpStream::connect(gw.http).await.unwrap();
    let (mut dl, conn) = http1::handshake::<_, Empty<bytes::Bytes>>(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let res = dl
        .send_request(
            http::Request::get("/download")
                .header("host", "x")
                .header("x-test-bytes", GIB)
                .body(Empty::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.into_body();
    let received = AtomicU64::new(0);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            received.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
    }
    assert_eq!(received.load(Ordering::Relaxed), GIB);

    stop.store(true, Ordering::Relaxed);
    let peak = peak.join().unwrap();
    let growth = peak.saturating_sub(baseline);
    eprintln!(
        "gateway RSS baseline {} MiB, peak {} MiB, growth {} MiB while 2 GiB passed",
        baseline >> 20,
        peak >> 20,
        growth >> 20
    );
    assert!(
        growth < RSS_BUDGET_BYTES,
        "RSS grew by {} MiB (budget {} MiB): bodies are being buffered",
        growth >> 20,
        RSS_BUDGET_BYTES >> 20
    );
}
