//! TCP services end to end: bytes both ways with half-close, a real Redis
//! through the gateway, listeners opened and closed by `apply` within a
//! second while unrelated connections (TCP and WebSocket) survive, IP rules
//! and connection limits at accept, and ports that cannot be bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::prebound::{Prebound, ReservedPort};
use common::{TestGateway, apply};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weir_testkit::tokio_tungstenite::{connect_async, tungstenite::Message};
use weir_testkit::{TcpEcho, WsEcho};

fn local(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

fn tcp_service(name: &str, port: u16, node: SocketAddr, extra: &str) -> String {
    format!(
        "  - name: {name}\n    kind: tcp\n    port: {port}\n{extra}    upstream: {{ nodes: [{{ addr: \"{node}\" }}] }}\n"
    )
}

async fn wait_until(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{what} not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn roundtrip(stream: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    stream.write_all(data).await.unwrap();
    let mut got = vec![0u8; data.len()];
    stream.read_exact(&mut got).await.unwrap();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_with_half_close_through_the_gateway() {
    let echo = TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let gw = TestGateway::start_prebound(
        &format!("services:\n{}", tcp_service("echo", port, echo.addr, "")),
        ports,
    )
    .await;
    let mut s = TcpStream::connect(local(port)).await.unwrap();
    assert_eq!(roundtrip(&mut s, b"hello tcp").await, b"hello tcp");
    // 4 MiB, then half-close: everything comes back, then EOF.
    let big: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    let (mut r, mut w) = s.into_split();
    let writer = tokio::spawn(async move {
        w.write_all(&big).await.unwrap();
        w.shutdown().await.unwrap();
        big
    });
    let mut back = Vec::new();
    r.read_to_end(&mut back).await.unwrap();
    assert_eq!(
        back,
        writer.await.unwrap(),
        "all bytes, then EOF after half-close"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_redis_through_the_gateway() {
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let gw = TestGateway::start_prebound(
        &format!(
            "services:\n{}",
            tcp_service("redis", port, "127.0.0.1:6379".parse().unwrap(), "")
        ),
        ports,
    )
    .await;
    // Unique per run: the process id, and the time for runs in one process.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let key = format!("weir-test:{}:{nanos}", std::process::id());
    let mut s = TcpStream::connect(local(port)).await.unwrap();
    let cmd = |parts: &[&str]| {
        let mut out = format!("*{}\r\n", parts.len());
        for p in parts {
            out.push_str(&format!("${}\r\n{p}\r\n", p.len()));
        }
        out.into_bytes()
    };
    let read = async |s: &mut TcpStream| {
        let mut buf = vec![0u8; 256];
        let n = s.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    s.write_all(&cmd(&["PING"])).await.unwrap();
    assert_eq!(read(&mut s).await, "+PONG\r\n");
    s.write_all(&cmd(&["SET", &key, "through weir", "EX", "60"]))
        .await
        .unwrap();
    assert_eq!(read(&mut s).await, "+OK\r\n");
    s.write_all(&cmd(&["GET", &key])).await.unwrap();
    assert_eq!(read(&mut s).await, "$12\r\nthrough weir\r\n");
    s.write_all(&cmd(&["DEL", &key])).await.unwrap();
    assert_eq!(read(&mut s).await, ":1\r\n");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_open_and_close_at_run_time_without_touching_others() {
    let echo = TcpEcho::start().await;
    let ws = WsEcho::start().await;
    let ports = Prebound::bind(1);
    let steady_port = ports.port(0);
    // Opened only by a later revision: reserved, not handed over (see
    // common::prebound).
    let reserved = ReservedPort::bind();
    let new_port = reserved.port;
    let base = format!(
        "services:\n{}  - {{ name: chat, match: {{ prefix: /chat/ }}, websocket: true, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        tcp_service("steady", steady_port, echo.addr, ""),
        ws.addr
    );
    let gw = TestGateway::start_prebound(&base, ports).await;

    // Long-lived connections on untouched services.
    let mut steady = TcpStream::connect(local(steady_port)).await.unwrap();
    assert_eq!(roundtrip(&mut steady, b"before").await, b"before");
    let (mut chat, _) = connect_async(format!("ws://{}/chat/x", gw.gateway.http_addr.unwrap()))
        .await
        .unwrap();
    chat.send(Message::text("before")).await.unwrap();
    assert_eq!(chat.next().await.unwrap().unwrap(), Message::text("before"));

    // Add a TCP service: reachable within a second of the revision.
    let with_new = format!("{base}{}", tcp_service("added", new_port, echo.addr, ""));
    apply(&gw.store, &with_new).await;
    let took = wait_until("new listener", Duration::from_secs(1), async || {
        TcpStream::connect(local(new_port)).await.is_ok()
    })
    .await;
    eprintln!("added listener reachable after {took:?}");
    let mut added = TcpStream::connect(local(new_port)).await.unwrap();
    assert_eq!(roundtrip(&mut added, b"new").await, b"new");
    drop(added);

    // Remove it: gone within a second.
    apply(&gw.store, &base).await;
    let took = wait_until("listener closed", Duration::from_secs(1), async || {
        TcpStream::connect(local(new_port)).await.is_err()
    })
    .await;
    eprintln!("removed listener closed after {took:?}");

    // The untouched TCP connection and WebSocket still work.
    assert_eq!(roundtrip(&mut steady, b"after").await, b"after");
    chat.send(Message::text("after")).await.unwrap();
    assert_eq!(chat.next().await.unwrap().unwrap(), Message::text("after"));
    assert_eq!(ws.total_connections(), 1, "the WebSocket never reconnected");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_port_drains_old_connections() {
    let echo = TcpEcho::start().await;
    let ports = Prebound::bind(1);
    let a = ports.port(0);
    // The port moved to: reserved, not handed over (see common::prebound).
    let moved_to = ReservedPort::bind();
    let b = moved_to.port;
    let gw = TestGateway::start_prebound_with(
        &format!("services:\n{}", tcp_service("mover", a, echo.addr, "")),
        ports,
        |c| {
            c.proxy.listener_drain_grace = weir_core::HumanDuration::from_secs(5);
        },
    )
    .await;
    let mut old = TcpStream::connect(local(a)).await.unwrap();
    assert_eq!(roundtrip(&mut old, b"x").await, b"x");
    apply(
        &gw.store,
        &format!("services:\n{}", tcp_service("mover", b, echo.addr, "")),
    )
    .await;
    wait_until("moved", Duration::from_secs(1), async || {
        TcpStream::connect(local(b)).await.is_ok()
    })
    .await;
    assert!(
        TcpStream::connect(local(a)).await.is_err(),
        "old port closed"
    );
    // The connection made before the move keeps working while it drains.
    assert_eq!(roundtrip(&mut old, b"still here").await, b"still here");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_rules_and_connection_limits_close_at_accept() {
    let echo = TcpEcho::start().await;
    let ports = Prebound::bind(2);
    let (denied, limited) = (ports.port(0), ports.port(1));
    let gw = TestGateway::start_prebound(
        &format!(
            "services:\n{}{}",
            tcp_service(
                "denied",
                denied,
                echo.addr,
                "    access: { ip_deny: { ips: [127.0.0.0/8] } }\n"
            ),
            tcp_service(
                "limited",
                limited,
                echo.addr,
                "    limits: { max_connections: 1 }\n"
            ),
        ),
        ports,
    )
    .await;
    let mut s = TcpStream::connect(local(denied)).await.unwrap();
    let mut buf = [0u8; 1];
    s.write_all(b"x").await.ok();
    assert_eq!(
        s.read(&mut buf).await.unwrap_or(0),
        0,
        "closed without reaching the node"
    );
    let mut first = TcpStream::connect(local(limited)).await.unwrap();
    assert_eq!(roundtrip(&mut first, b"1").await, b"1");
    let mut second = TcpStream::connect(local(limited)).await.unwrap();
    second.write_all(b"2").await.ok();
    assert_eq!(
        second.read(&mut buf).await.unwrap_or(0),
        0,
        "over max_connections: closed"
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(local(limited)).await.unwrap();
    assert_eq!(
        roundtrip(&mut third, b"3").await,
        b"3",
        "a slot is free again"
    );
    let stats = gw
        .gateway
        .plane
        .stats
        .get(weir_proxy::Scope::Service, "denied")
        .unwrap();
    assert_eq!(stats.counters().requests, 1);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_reported_not_fatal_and_retried() {
    let echo = TcpEcho::start().await;
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let gw = TestGateway::start(&format!(
        "services:\n{}",
        tcp_service("blocked", port, echo.addr, "")
    ))
    .await;
    let listeners = gw.gateway.listeners.clone().unwrap();
    let status = listeners.status().await;
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].state, weir_core::report::ListenerState::Failed);
    assert!(
        status[0].error.as_deref().unwrap().contains("in use"),
        "{status:?}"
    );
    // The gateway serves on regardless, and binds once the port is free.
    assert_eq!(
        common::client()
            .get(gw.url("/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    drop(squatter);
    wait_until("rebind", Duration::from_secs(7), async || {
        listeners
            .status()
            .await
            .first()
            .is_some_and(|s| s.state == weir_core::report::ListenerState::Listening)
    })
    .await;
    let mut s = TcpStream::connect(local(port)).await.unwrap();
    assert_eq!(roundtrip(&mut s, b"ok").await, b"ok");
    gw.stop().await;
}

#[tokio::test]
async fn two_services_on_one_port_is_a_validation_error() {
    let yaml = format!(
        "services:\n{}{}",
        tcp_service("a", 7000, "127.0.0.1:1".parse().unwrap(), ""),
        tcp_service("b", 7000, "127.0.0.1:1".parse().unwrap(), "")
    );
    let err = weir_core::compile(&weir_core::yaml::parse_document(&yaml).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("services[1].port: port 7000 is already used by services[0]"),
        "{err}"
    );
}
