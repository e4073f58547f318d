//! Graceful shutdown of the real binary: on SIGTERM the gateway stops
//! accepting, lets in-flight requests finish, and exits 0; requests that
//! outlive the grace period are cut off at its end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::prebound::Prebound;
use common::process::GatewayProcess;
use weir_testkit::TestUpstream;

fn config(up: &TestUpstream) -> String {
    format!(
        "services:\n  - {{ name: s, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    )
}

fn wait_exit(gw: &mut GatewayProcess, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = gw.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < within,
            "gateway still running after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_request_completes_after_sigterm() {
    let up = TestUpstream::start("up").await;
    let mut gw = GatewayProcess::start(&config(&up), &[("WEIR_PROXY_SHUTDOWN_GRACE", "10s")]);
    let url = format!("http://{}/slow", gw.http);
    let slow = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .header("x-test-delay-ms", "1000")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    gw.signal("TERM");
    // New connections are refused promptly while the old one finishes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(gw.http).await.is_err(),
        "the listener must close on SIGTERM"
    );
    assert_eq!(
        slow.await.unwrap().unwrap(),
        200,
        "in-flight request completes"
    );
    let status = wait_exit(&mut gw, Duration::from_secs(5));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "drained as soon as the request finished, not after the grace period"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_period_bounds_the_drain() {
    let up = TestUpstream::start("up").await;
    let mut gw = GatewayProcess::start(&config(&up), &[("WEIR_PROXY_SHUTDOWN_GRACE", "500ms")]);
    let url = format!("http://{}/stuck", gw.http);
    let stuck = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .header("x-test-delay-ms", "30000")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    gw.signal("TERM");
    let status = wait_exit(&mut gw, Duration::from_secs(5));
    assert!(status.success(), "exit status {status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(3));
    assert!(
        stuck.await.unwrap().is_err(),
        "the stuck request is cut off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_tcp_connection_keeps_working_until_it_closes_after_sigterm() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let echo = weir_testkit::TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let yaml = format!(
        "services:\n  - {{ name: t, kind: tcp, port: {port}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        echo.addr
    );
    let mut gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_prebound(&yaml, &[("WEIR_PROXY_SHUTDOWN_GRACE", "10s")], ports)
    });
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    let mut s = loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(3) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    let mut buf = [0u8; 6];
    s.write_all(b"before").await.unwrap();
    s.read_exact(&mut buf).await.unwrap();
    gw.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections"
    );
    s.write_all(b"during").await.unwrap();
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"during", "the open connection still carries bytes");
    let closed_at = Instant::now();
    drop(s);
    let status = wait_exit(&mut gw, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(
        closed_at.elapsed() < Duration::from_secs(3),
        "exits once the last connection ends"
    );
}
