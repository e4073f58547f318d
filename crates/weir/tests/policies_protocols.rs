//! The traffic policies on gRPC and TCP: the IP allow/deny matrix (IPv4,
//! IPv6, CIDR) on gRPC calls and TCP connections, and each rejection in its
//! protocol's terms — gRPC PERMISSION_DENIED, UNAUTHENTICATED,
//! RESOURCE_EXHAUSTED; TCP connections closed at accept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::TestGateway;
use common::prebound::Prebound;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use weir_testkit::grpc::{self, echo_client};
use weir_testkit::tonic::{Code, Request};
use weir_testkit::{EchoRequest, GrpcServer, TcpEcho};

fn local(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

async fn wait_listening(addr: SocketAddr) {
    let start = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{addr} not listening"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Connect from a chosen loopback source address (127.0.0.0/8 is all
/// local on Linux), so TCP rules can be tested without forwarded headers.
async fn connect_from(src: [u8; 4], dst: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::from((src, 0))).unwrap();
    sock.connect(dst).await.unwrap()
}

/// True when the gateway carried bytes to the echo node and back; false
/// when it closed the connection at accept.
async fn echoes(mut s: TcpStream) -> bool {
    if s.write_all(b"ping").await.is_err() {
        return false;
    }
    let mut buf = [0u8; 4];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf)).await,
        Ok(Ok(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_allow_deny_matrix_and_connection_rate() {
    let echo = TcpEcho::start().await;
    let ports = Prebound::bind(3);
    let (both, deny_only, rated) = (ports.port(0), ports.port(1), ports.port(2));
    let yaml = format!(
        r#"services:
  - name: both
    kind: tcp
    port: {both}
    access:
      ip_allow: {{ ips: ["127.0.0.0/24", "127.1.0.0/16"] }}
      ip_deny: {{ ips: ["127.0.0.0/30", "127.2.0.0/16"] }}
    upstream: {{ nodes: [{{ addr: "{e}" }}] }}
  - name: deny_only
    kind: tcp
    port: {deny_only}
    access: {{ ip_deny: {{ ips: ["127.3.0.1"] }} }}
    upstream: {{ nodes: [{{ addr: "{e}" }}] }}
  - name: rated
    kind: tcp
    port: {rated}
    limits: {{ service_qps: 1, burst: 2 }}
    upstream: {{ nodes: [{{ addr: "{e}" }}] }}
"#,
        e = echo.addr
    );
    let gw = TestGateway::start_prebound(&yaml, ports).await;
    // Readiness from the listener status, not by connecting: a probe
    // connection would spend the rate-limited service's burst.
    let listeners = gw.gateway.listeners.clone().unwrap();
    let status = listeners.status().await;
    assert_eq!(status.len(), 3);
    assert!(
        status
            .iter()
            .all(|s| s.state == weir_core::report::ListenerState::Listening),
        "{status:?}"
    );
    for (port, src, want) in [
        (both, [127, 0, 0, 1], true),  // on both lists: allow wins
        (both, [127, 1, 2, 3], true),  // allow only
        (both, [127, 2, 0, 1], false), // deny only, allow list on
        (both, [127, 9, 9, 9], false), // neither
        (deny_only, [127, 3, 0, 1], false),
        (deny_only, [127, 3, 0, 2], true),
    ] {
        let s = connect_from(src, local(port)).await;
        assert_eq!(echoes(s).await, want, "port {port} from {src:?}");
    }
    // New connections per second: the burst of 2, then closed at accept.
    let mut results = Vec::new();
    for _ in 0..4 {
        results.push(echoes(TcpStream::connect(local(rated)).await.unwrap()).await);
    }
    assert_eq!(results, [true, true, false, false]);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_rejections_are_grpc_statuses() {
    let server = GrpcServer::start("grpc-a").await;
    let ports = Prebound::bind(2);
    let (port, open_port) = (ports.port(0), ports.port(1));
    let yaml = format!(
        r#"services:
  - name: guarded
    kind: grpc
    port: {port}
    access:
      ip_allow: {{ ips: ["10.0.0.0/8", "2001:db8::/32"] }}
      ip_deny: {{ ips: ["10.66.0.0/16"] }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
  - name: authed
    kind: grpc
    port: {open_port}
    access: {{ auth: {{ enabled: true }} }}
    limits: {{ service_qps: 1, burst: 1 }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
tenants:
  - {{ app_id: grpc_app, secret: "grpc-app-secret" }}
"#,
        a = server.addr
    );
    let gw = TestGateway::start_prebound_with(&yaml, ports, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let guarded = local(port);
    wait_listening(guarded).await;
    let mut c = echo_client(grpc::channel(guarded).await.unwrap());
    let call = |xff: &'static str| {
        let mut r = Request::new(EchoRequest {
            message: "x".into(),
            ..EchoRequest::default()
        });
        r.metadata_mut()
            .insert("x-forwarded-for", xff.parse().unwrap());
        r
    };
    for (xff, ok) in [
        ("10.66.1.1", true),     // on both: allow wins
        ("2001:db8:5::1", true), // IPv6 in the allow list
        ("192.168.1.1", false),  // not on the allow list
        ("2001:db9::1", false),
    ] {
        let res = c.unary(call(xff)).await;
        match (ok, res) {
            (true, Ok(_)) => {}
            (false, Err(e)) => assert_eq!(e.code(), Code::PermissionDenied, "{xff}: {e:?}"),
            (want, got) => panic!("{xff}: want ok={want}, got {got:?}"),
        }
    }

    let authed = local(open_port);
    wait_listening(authed).await;
    let mut c = echo_client(grpc::channel(authed).await.unwrap());
    let err = c.unary(EchoRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // A token from the token service (on the main listener) works for gRPC.
    let basic = base64::engine::general_purpose::STANDARD.encode("grpc_app:grpc-app-secret");
    let token: serde_json::Value = common::client()
        .post(gw.url("/oauth/tokens"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let with_token = || {
        let mut r = Request::new(EchoRequest::default());
        r.metadata_mut()
            .insert("authorization", bearer.parse().unwrap());
        r
    };
    let ok = c.unary(with_token()).await.unwrap();
    assert_eq!(
        ok.get_ref()
            .metadata
            .get("x-weir-app-id")
            .map(String::as_str),
        Some("grpc_app")
    );
    // The service limit (1/s, burst 1) is used up: RESOURCE_EXHAUSTED.
    let err = c.unary(with_token()).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    gw.stop().await;
}
