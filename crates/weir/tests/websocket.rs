//! WebSocket through the gateway with real peers (tokio-tungstenite):
//! text, a 1 MiB binary message, fragmented messages, ping/pong and close
//! codes pass unchanged; the service's rewrite and header operations apply
//! to the upgrade; refused when the service does not allow it; works over
//! wss; idle tunnels close after the configured timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::TestGateway;
use futures_util::{SinkExt, StreamExt};
use weir_testkit::WsEcho;
use weir_testkit::tls::{ALPN_HTTP11, TestCa, client_config, tls_connect};
use weir_testkit::tokio_tungstenite::tungstenite::Message;
use weir_testkit::tokio_tungstenite::tungstenite::protocol::CloseFrame;
use weir_testkit::tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use weir_testkit::tokio_tungstenite::{client_async, connect_async};

fn config(ws: &WsEcho) -> String {
    format!(
        r#"services:
  - name: chat
    match: {{ prefix: /chat/ }}
    websocket: true
    strip_prefix: true
    request_headers:
      - {{ op: set, name: X-Gateway, value: weir }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], timeouts: {{ stream_idle: 800ms }} }}
  - name: plain
    match: {{ prefix: /plain/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
"#,
        a = ws.addr
    )
}

async fn exchange<S>(ws: &mut S)
where
    S: futures_util::Sink<Message>
        + futures_util::Stream<
            Item = Result<Message, weir_testkit::tokio_tungstenite::tungstenite::Error>,
        > + Unpin,
    <S as futures_util::Sink<Message>>::Error: std::fmt::Debug,
{
    ws.send(Message::text("hello through weir")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("hello through weir")
    );
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Binary(b) => assert_eq!(b.as_ref(), big.as_slice(), "1 MiB intact"),
        other => panic!("expected binary, got {other:?}"),
    }
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Pong(p) => assert_eq!(p.as_ref(), b"are you there"),
        other => panic!("expected pong, got {other:?}"),
    }
}

#[tokio::test]
async fn websocket_messages_pings_and_close_codes_pass_unchanged() {
    let echo = WsEcho::start().await;
    let gw = TestGateway::start(&config(&echo)).await;
    let url = format!("ws://{}/chat/room/7?user=a", gw.gateway.http_addr.unwrap());
    let (mut ws, res) = connect_async(&url).await.unwrap();
    assert_eq!(res.status(), 101);
    exchange(&mut ws).await;

    // A message sent as three frames (text, continuation, final
    // continuation) arrives whole: the gateway passes frames untouched.
    use weir_testkit::tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use weir_testkit::tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let parts = ["fragmented ", "message ", "reassembled"];
    for (i, part) in parts.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(part.as_bytes().to_vec(), opcode, i == parts.len() - 1);
        ws.send(Message::Frame(frame)).await.unwrap();
    }
    match ws.next().await.unwrap().unwrap() {
        Message::Text(t) => assert_eq!(t.as_str(), parts.concat()),
        other => panic!("{other:?}"),
    }

    // The upgrade went through the service's rewrite and header ops.
    let upgrade = echo.last_upgrade().unwrap();
    assert_eq!(upgrade.path, "/room/7?user=a");
    assert_eq!(upgrade.header("x-gateway"), Some("weir"));

    // Close code and reason come back unchanged.
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Library(4001),
        reason: "bye from client".into(),
    })))
    .await
    .unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Library(4001));
            assert_eq!(frame.reason.as_str(), "bye from client");
        }
        other => panic!("expected close, got {other:?}"),
    }
    gw.stop().await;
}

#[tokio::test]
async fn refused_when_the_service_does_not_allow_websocket() {
    let echo = WsEcho::start().await;
    let gw = TestGateway::start(&config(&echo)).await;
    let url = format!("ws://{}/plain/x", gw.gateway.http_addr.unwrap());
    let err = connect_async(&url).await.unwrap_err();
    match err {
        weir_testkit::tokio_tungstenite::tungstenite::Error::Http(res) => {
            assert_eq!(res.status(), 403);
            let body: serde_json::Value =
                serde_json::from_slice(res.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["code"], "upgrade_not_allowed");
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
    assert_eq!(echo.total_connections(), 0, "the upstream never saw it");
    gw.stop().await;
}

#[tokio::test]
async fn wss_over_the_https_listener() {
    weir_testkit::tls::install_crypto_provider();
    let echo = WsEcho::start().await;
    let ca = TestCa::new("ws ca");
    let leaf = ca.issue_valid(&["chat.example.com"]);
    let gw = TestGateway::start("").await;
    let mut doc = weir_core::yaml::parse_document(&config(&echo)).unwrap();
    doc.certificates = Some(vec![weir_core::Certificate {
        name: "chat".into(),
        cert: leaf.chain_pem(),
        key: Some(leaf.key_pem.clone()),
        default: false,
    }]);
    let rev = common::apply_doc(&gw.store, &doc).await;
    gw.wait_for_revision(rev, Duration::from_secs(2)).await;
    let addr = gw.gateway.https_addr.unwrap();
    // TLS by the test kit (trusting only the test CA), WebSocket on top.
    let tls = tls_connect(
        addr,
        "chat.example.com",
        client_config(ca.cert_pem(), &[ALPN_HTTP11]),
    )
    .await
    .unwrap();
    let url = format!("wss://chat.example.com:{}/chat/secure", addr.port());
    let (mut ws, res) = client_async(url, tls).await.unwrap();
    assert_eq!(res.status(), 101);
    exchange(&mut ws).await;
    assert_eq!(echo.last_upgrade().unwrap().path, "/secure");
    gw.stop().await;
}

#[tokio::test]
async fn idle_websocket_is_closed_after_stream_idle() {
    let echo = WsEcho::start().await;
    let gw = TestGateway::start(&config(&echo)).await;
    let url = format!("ws://{}/chat/idle", gw.gateway.http_addr.unwrap());
    let (mut ws, _) = connect_async(&url).await.unwrap();
    ws.send(Message::text("one")).await.unwrap();
    ws.next().await.unwrap().unwrap();
    // Silence longer than stream_idle (800 ms): the gateway closes the tunnel.
    let waited = common::ws_idle_end(&mut ws, Duration::from_secs(5)).await;
    assert!(
        waited >= Duration::from_millis(700) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    gw.stop().await;
}
