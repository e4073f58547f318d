//! Zero-downtime upgrade with the real binary twice: a second `weir serve
//! --upgrade-socket` takes the listening sockets over from the running one
//! while clients keep connecting — no connection is refused, no request
//! fails — and a WebSocket and a TCP stream opened through the old process
//! keep working until they close; the old process then exits 0. The first
//! process takes its TCP service's socket over from the test the same way
//! (`common::prebound`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::load::{Connections, Load, Totals};
use common::prebound::Prebound;
use common::process::GatewayProcess;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weir_testkit::tokio_tungstenite::connect_async;
use weir_testkit::tokio_tungstenite::tungstenite::Message;
use weir_testkit::{TcpEcho, TestUpstream, WsEcho};

const GRACE: [(&str, &str); 2] = [
    ("WEIR_PROXY_SHUTDOWN_GRACE", "30s"),
    ("WEIR_PROXY_LISTENER_DRAIN_GRACE", "30s"),
];

fn config(up: &TestUpstream, ws: &WsEcho, tcp: &TcpEcho, tcp_port: u16) -> String {
    format!(
        r#"services:
  - name: web
    match: {{ prefix: / }}
    upstream: {{ nodes: [{{ addr: "{up}" }}] }}
  - name: chat
    match: {{ prefix: /chat/ }}
    websocket: true
    upstream: {{ nodes: [{{ addr: "{ws}" }}] }}
  - name: raw
    kind: tcp
    port: {tcp_port}
    upstream: {{ nodes: [{{ addr: "{tcp}" }}] }}
"#,
        up = up.addr,
        ws = ws.addr,
        tcp = tcp.addr,
    )
}

async fn connect_retrying(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let start = Instant::now();
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => return s,
            Err(_) if start.elapsed() < Duration::from_secs(3) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{addr}: {e}"),
        }
    }
}

async fn tcp_round_trip(s: &mut tokio::net::TcpStream, what: &[u8]) {
    let mut buf = vec![0u8; what.len()];
    s.write_all(what).await.unwrap();
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, what, "the TCP stream carries bytes");
}

fn wait_exit(gw: &mut GatewayProcess, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = gw.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < within,
            "old process still running after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_under_load_refuses_nothing_and_open_streams_finish_on_the_old_process() {
    upgrade_under_load().await;
}

/// The same takeover once more: no request may fail at all, including one
/// on a connection the old process accepted in its last moment and had not
/// read from yet (it is read and answered with `Connection: close`, see
/// weir-proxy conn/life.rs). Before that fix such a connection was reset
/// in about half the runs (one request in a thousand), so one run is not
/// proof enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_under_load_fails_no_request_at_all() {
    upgrade_under_load().await;
}

async fn upgrade_under_load() {
    let up = TestUpstream::start("up").await;
    let ws_echo = WsEcho::start().await;
    let tcp_echo = TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let tcp_port = ports.port(0);
    let yaml = config(&up, &ws_echo, &tcp_echo, tcp_port);
    let mut old =
        tokio::task::spawn_blocking(move || GatewayProcess::start_prebound(&yaml, &GRACE, ports))
            .await
            .unwrap();

    // A WebSocket and a TCP stream through the old process.
    let (mut ws, _) = connect_async(format!("ws://{}/chat/room", old.http))
        .await
        .unwrap();
    ws.send(Message::text("before")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("before"));
    let tcp_addr = std::net::SocketAddr::from(([127, 0, 0, 1], tcp_port));
    let mut tcp = connect_retrying(tcp_addr).await;
    tcp_round_trip(&mut tcp, b"before").await;

    // Clients connecting all the time, across the upgrade.
    let load = Load::start(format!("http://{}/x", old.http), 6, Connections::Fresh);
    load.progress(100).await;

    let new = {
        let old = &old;
        let started = Instant::now();
        let new = tokio::task::block_in_place(|| old.upgrade(&GRACE));
        eprintln!("took over in {:?}", started.elapsed());
        new
    };
    assert_eq!(new.http, old.http);
    // Well past the handover: the old process has stopped accepting.
    load.progress(300).await;

    // New connections of every kind reach the new process.
    let (mut ws2, _) = connect_async(format!("ws://{}/chat/new", new.http))
        .await
        .unwrap();
    ws2.send(Message::text("new")).await.unwrap();
    assert_eq!(ws2.next().await.unwrap().unwrap(), Message::text("new"));
    let mut tcp2 = connect_retrying(tcp_addr).await;
    tcp_round_trip(&mut tcp2, b"new").await;

    // The old process still carries what it had open.
    ws.send(Message::text("after")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("after"));
    tcp_round_trip(&mut tcp, b"after").await;
    assert!(
        old.child.try_wait().unwrap().is_none(),
        "the old process must keep running while its streams are open"
    );

    let Totals {
        ok,
        failed,
        refused,
    } = load.finish().await;
    eprintln!("{ok} ok, {failed} failed, {refused} refused");
    assert_eq!(
        refused, 0,
        "{refused} connections refused during the upgrade"
    );
    // Every request that either process read and forwarded was answered.
    assert_eq!(
        up.requests(),
        ok,
        "requests forwarded upstream but not answered to the client"
    );
    assert_eq!(failed, 0, "{failed} requests failed during the upgrade");

    // The TCP stream closes first; the WebSocket keeps the old process
    // going (its tunnel is waited for, not only hyper's connections).
    drop(tcp);
    assert!(
        tcp_echo
            .wait_open_connections(1, Duration::from_secs(5))
            .await,
        "the old process closes the finished TCP stream's upstream side"
    );
    ws.send(Message::text("last")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("last"));
    assert!(
        old.child.try_wait().unwrap().is_none(),
        "the old process must keep running while a WebSocket is open"
    );

    // Once it closes too, the old process exits 0.
    ws.close(None).await.unwrap();
    drop(ws);
    let closed_at = Instant::now();
    let status = tokio::task::block_in_place(|| wait_exit(&mut old, Duration::from_secs(10)));
    assert!(status.success(), "old process exit status {status:?}");
    assert!(
        closed_at.elapsed() < Duration::from_secs(8),
        "the old process exits once its last stream closes, not after the grace"
    );

    // The new process serves on, and answers the next upgrade itself.
    let res = reqwest::get(format!("http://{}/after", new.http))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    tcp_round_trip(&mut tcp2, b"still").await;
    ws2.send(Message::text("still")).await.unwrap();
    assert_eq!(ws2.next().await.unwrap().unwrap(), Message::text("still"));
    assert!(new.upgrade_socket.as_ref().unwrap().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_running_process_the_upgrade_socket_binds_fresh_and_a_stale_file_is_replaced() {
    let up = TestUpstream::start("up").await;
    let ws_echo = WsEcho::start().await;
    let tcp_echo = TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let yaml = config(&up, &ws_echo, &tcp_echo, ports.port(0));
    let mut first =
        tokio::task::spawn_blocking(move || GatewayProcess::start_prebound(&yaml, &GRACE, ports))
            .await
            .unwrap();
    // Killed hard: the socket file stays behind, nobody listens on it.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let socket = first.upgrade_socket.clone().unwrap();
    assert!(socket.exists());
    // A new process on the same addresses binds them anew.
    let second = tokio::task::block_in_place(|| first.restart(&GRACE));
    let res = reqwest::get(format!("http://{}/x", second.http))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(socket.exists(), "the new process answers on the socket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_process_that_fails_to_start_leaves_the_old_one_serving() {
    let up = TestUpstream::start("up").await;
    let ws_echo = WsEcho::start().await;
    let tcp_echo = TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let yaml = config(&up, &ws_echo, &tcp_echo, ports.port(0));
    let mut old =
        tokio::task::spawn_blocking(move || GatewayProcess::start_prebound(&yaml, &GRACE, ports))
            .await
            .unwrap();
    let load = Load::start(format!("http://{}/x", old.http), 4, Connections::Fresh);
    load.progress(50).await;
    // It receives the sockets, then cannot open its store and exits 1.
    let failed = tokio::task::block_in_place(|| old.failed_upgrade());
    assert!(!failed.status.success(), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("cannot open the store"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    load.progress(100).await;
    let Totals {
        ok,
        failed,
        refused,
    } = load.finish().await;
    assert_eq!((failed, refused), (0, 0), "after {ok} ok");
    assert!(
        old.child.try_wait().unwrap().is_none(),
        "the old process serves on"
    );
    // And it can still be upgraded.
    let new = tokio::task::block_in_place(|| old.upgrade(&GRACE));
    let status = tokio::task::block_in_place(|| wait_exit(&mut old, Duration::from_secs(10)));
    assert!(status.success(), "{status:?}");
    let res = reqwest::get(format!("http://{}/x", new.http))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
