//! gRPC through the gateway with a real tonic client and server, on both
//! ways of reaching a gRPC service: its own port, and a path prefix
//! (`/weir.test.v1.Echo/`) on the main listener. All four call types,
//! trailers and error statuses passed through unchanged, metadata
//! operations, deadlines enforced by the gateway, and the gateway's own
//! errors as gRPC statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::TestGateway;
use common::prebound::Prebound;
use weir_testkit::grpc::{self, SERVED_BY, TRAILER_DETAIL, echo_client};
use weir_testkit::tonic::metadata::MetadataKey;
use weir_testkit::tonic::{Code, Request};
use weir_testkit::{EchoRequest, GrpcServer};

fn config(server: &GrpcServer, port: u16) -> String {
    format!(
        r#"services:
  - name: echo_port
    kind: grpc
    port: {port}
    request_headers:
      - {{ op: set, name: x-gateway, value: weir }}
      - {{ op: remove, name: x-secret }}
    response_headers:
      - {{ op: set, name: x-served-through, value: weir }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
  - name: echo_routed
    kind: grpc
    match: {{ prefix: /weir.test.v1.Echo/ }}
    request_headers:
      - {{ op: add, name: x-tenant-hint, value: routed }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
"#,
        a = server.addr
    )
}

fn req(message: &str) -> EchoRequest {
    EchoRequest {
        message: message.into(),
        ..EchoRequest::default()
    }
}

/// Every call type against `target`, checking replies, trailers and the
/// metadata the server received.
async fn all_call_types(target: SocketAddr, expect_header: (&str, &str)) {
    let mut c = echo_client(grpc::channel(target).await.unwrap());

    let mut r = Request::new(req("unary"));
    r.metadata_mut()
        .insert("x-secret", "s3cret".parse().unwrap());
    let res = c.unary(r).await.unwrap();
    let reply = res.get_ref();
    assert_eq!(reply.message, "unary");
    assert_eq!(reply.node, "grpc-a");
    assert_eq!(
        reply.metadata.get(expect_header.0).map(String::as_str),
        Some(expect_header.1)
    );

    // Large messages (4 MiB) both ways.
    let big = vec![7u8; 4 * 1024 * 1024];
    let res = c
        .unary(EchoRequest {
            payload: big.clone(),
            ..req("big")
        })
        .await
        .unwrap();
    assert_eq!(res.get_ref().payload.len(), big.len());

    let mut stream = c
        .server_stream(EchoRequest {
            count: 5,
            ..req("server")
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        seen.push(m.index);
    }
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    let trailers = stream.trailers().await.unwrap().unwrap();
    assert_eq!(
        trailers.get(SERVED_BY).unwrap(),
        "grpc-a",
        "custom trailing metadata"
    );

    let outbound = futures_util::stream::iter((0..4).map(|i| req(&format!("part{i}"))));
    let res = c.client_stream(outbound).await.unwrap();
    assert_eq!(res.get_ref().index, 4);
    assert_eq!(res.get_ref().message, "part0part1part2part3");

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut replies = c.bidi(tokio_stream_from(rx)).await.unwrap().into_inner();
    for i in 0..3 {
        tx.send(req(&format!("ping{i}"))).await.unwrap();
        let m = replies.message().await.unwrap().unwrap();
        assert_eq!(
            m.message,
            format!("ping{i}"),
            "bidi replies interleave with requests"
        );
    }
    drop(tx);
    assert!(replies.message().await.unwrap().is_none());

    // Server errors arrive unchanged, with their trailing metadata.
    let err = c
        .unary(EchoRequest {
            fail_code: Code::NotFound as u32,
            ..req("missing")
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.metadata().get(TRAILER_DETAIL).is_some(), "{err:?}");
    let mut stream = c
        .server_stream(EchoRequest {
            count: 2,
            fail_code: Code::PermissionDenied as u32,
            ..req("s")
        })
        .await
        .unwrap()
        .into_inner();
    assert!(stream.message().await.unwrap().is_some());
    assert!(stream.message().await.unwrap().is_some());
    let err = stream.message().await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.metadata().get(TRAILER_DETAIL).is_some());
}

fn tokio_stream_from(
    rx: tokio::sync::mpsc::Receiver<EchoRequest>,
) -> impl futures_util::Stream<Item = EchoRequest> {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) })
}

async fn wait_listening(addr: SocketAddr) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{addr} not listening"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_call_types_on_a_dedicated_port_and_a_routed_prefix() {
    let server = GrpcServer::start("grpc-a").await;
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let gw = TestGateway::start_prebound(&config(&server, port), ports).await;
    let dedicated: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_listening(dedicated).await;
    all_call_types(dedicated, ("x-gateway", "weir")).await;
    all_call_types(gw.gateway.http_addr.unwrap(), ("x-tenant-hint", "routed")).await;
    // response_headers reach a gRPC client as response metadata, on the
    // service that sets them only.
    let through = |target| async move {
        let mut c = echo_client(grpc::channel(target).await.unwrap());
        let res = c.unary(Request::new(req("meta"))).await.unwrap();
        res.metadata()
            .get("x-served-through")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(through(dedicated).await.as_deref(), Some("weir"));
    assert_eq!(through(gw.gateway.http_addr.unwrap()).await, None);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_are_enforced_by_the_gateway() {
    let server = GrpcServer::start("grpc-a").await;
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let gw = TestGateway::start_prebound(&config(&server, port), ports).await;
    let target: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_listening(target).await;

    // A raw HTTP/2 call with grpc-timeout and no client-side timer, so the
    // DEADLINE_EXCEEDED can only come from the gateway.
    let started = Instant::now();
    let (status, message) = raw_unary(
        target,
        EchoRequest {
            delay_ms: 3000,
            ..req("slow")
        },
        "200m",
    )
    .await;
    assert_eq!(status, Code::DeadlineExceeded as i32, "{message}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_millis(1500),
        "{took:?}"
    );

    // Mid-stream (raw client again, no client timer): replies flow, then
    // the gateway ends the stream with DEADLINE_EXCEEDED trailers.
    let (replies, status, message) = raw_server_stream(target, 10, 100, "450m").await;
    assert!(
        (2..10).contains(&replies),
        "{replies} replies before the deadline"
    );
    assert_eq!(status, Code::DeadlineExceeded as i32, "{message}");
    gw.stop().await;
}

/// A server-streaming call over raw HTTP/2: data frames seen, then the
/// status from the trailers.
async fn raw_server_stream(
    target: SocketAddr,
    count: u32,
    delay_ms: u32,
    timeout: &str,
) -> (usize, i32, String) {
    use http_body_util::{BodyExt, Full};
    use weir_testkit::prost::Message;
    let stream = tokio::net::TcpStream::connect(target).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let payload = EchoRequest {
        count,
        delay_ms,
        ..req("s")
    }
    .encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    framed.extend_from_slice(&payload);
    let req = http::Request::post(format!("http://{target}/weir.test.v1.Echo/ServerStream"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", timeout)
        .body(Full::new(bytes::Bytes::from(framed)))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    let mut body = res.into_body();
    let mut data = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.unwrap();
        if frame.is_data() {
            data += 1;
        } else if let Some(t) = frame.trailers_ref() {
            let get = |n: &str| {
                t.get(n)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            return (
                data,
                get("grpc-status").parse().unwrap_or(-1),
                get("grpc-message"),
            );
        }
    }
    (data, -1, String::new())
}

/// One unary call over raw HTTP/2 with the given `grpc-timeout`; returns
/// the grpc-status and grpc-message the gateway answered.
async fn raw_unary(target: SocketAddr, msg: EchoRequest, timeout: &str) -> (i32, String) {
    use http_body_util::{BodyExt, Full};
    use weir_testkit::prost::Message;
    let stream = tokio::net::TcpStream::connect(target).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let payload = msg.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    framed.extend_from_slice(&payload);
    let req = http::Request::post(format!("http://{target}/weir.test.v1.Echo/Unary"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", timeout)
        .body(Full::new(bytes::Bytes::from(framed)))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    let headers = res.headers().clone();
    let collected = res.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let pick = |name: &str| {
        trailers
            .get(name)
            .or_else(|| headers.get(name))
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (
        pick("grpc-status").parse().unwrap_or(-1),
        pick("grpc-message"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_errors_are_grpc_statuses() {
    let server = GrpcServer::start("grpc-a").await;
    let ports = Prebound::bind(1);
    let port = ports.port(0);
    let yaml = format!(
        "{}  - name: nobody_home\n    kind: grpc\n    match: {{ prefix: /weir.test.v1.Other/ }}\n    upstream: {{ nodes: [{{ addr: \"{}\", enabled: false }}] }}\n",
        config(&server, port),
        server.addr
    );
    let gw = TestGateway::start_prebound(&yaml, ports).await;
    let main = gw.gateway.http_addr.unwrap();

    // No route on the main listener: UNIMPLEMENTED (trailers-only).
    let (status, _) = raw_path(main, "/weir.test.v2.Nope/Call").await;
    assert_eq!(status, Code::Unimplemented as i32);
    // No usable node: UNAVAILABLE.
    let (status, message) = raw_path(main, "/weir.test.v1.Other/Call").await;
    assert_eq!(status, Code::Unavailable as i32, "{message}");

    // Metadata over proxy.max_headers: RESOURCE_EXHAUSTED, as gRPC itself
    // answers, not an HTTP 431 a gRPC client cannot read.
    let target: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_listening(target).await;
    let mut c = echo_client(grpc::channel(target).await.unwrap());
    let mut r = Request::new(req("crowded"));
    for i in 0..150 {
        r.metadata_mut().insert(
            format!("x-m{i}").parse::<MetadataKey<_>>().unwrap(),
            "v".parse().unwrap(),
        );
    }
    let err = c.unary(r).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");

    // The node goes away: UNAVAILABLE through tonic.
    drop(server);
    let mut c = echo_client(grpc::channel(target).await.unwrap());
    let mut last = None;
    for _ in 0..2 {
        last = Some(c.unary(req("gone")).await.unwrap_err().code());
    }
    assert_eq!(last, Some(Code::Unavailable));
    gw.stop().await;
}

async fn raw_path(target: SocketAddr, path: &str) -> (i32, String) {
    use http_body_util::{BodyExt, Full};
    let stream = tokio::net::TcpStream::connect(target).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = http::Request::post(format!("http://{target}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(bytes::Bytes::from_static(&[0, 0, 0, 0, 0])))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200, "gRPC errors ride on HTTP 200");
    let headers = res.headers().clone();
    let collected = res.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let pick = |name: &str| {
        trailers
            .get(name)
            .or_else(|| headers.get(name))
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (
        pick("grpc-status").parse().unwrap_or(-1),
        pick("grpc-message"),
    )
}
