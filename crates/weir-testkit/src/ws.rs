//! A WebSocket echo server (tokio-tungstenite), the real peer for the
//! gateway's WebSocket proxying tests.
//!
//! - text and binary messages come back unchanged (fragmented messages are
//!   reassembled by the library and sent back whole);
//! - a ping is answered with a pong carrying the same payload, flushed at
//!   once;
//! - a close frame is answered with a close frame with the same code and
//!   reason, then the connection ends.
//!
//! Each upgrade request's path and headers are recorded, so a test can check
//! what the gateway's rewrite and header operations did to the upgrade. The
//! upgrade response carries `x-test-node: <name>` to show which node
//! answered. Plain `ws://` only: `wss://` terminates at the gateway.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderValue};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use crate::{ConnCounter, Running};

/// Message and frame size limit: well above what tests send (1 MiB and
/// more) and above tungstenite's 16 MiB default frame limit.
const MAX_MESSAGE: usize = 256 << 20;

/// The HTTP upgrade request as the echo server received it.
#[derive(Clone, Debug)]
pub struct WsUpgrade {
    /// Path and query, e.g. `/chat?room=1`.
    pub path: String,
    pub headers: HeaderMap,
}

impl WsUpgrade {
    /// A header's value as text (the first, if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running WebSocket echo server.
pub struct WsEcho {
    pub addr: SocketAddr,
    pub name: String,
    conns: Arc<ConnCounter>,
    upgrades: Arc<Mutex<Vec<WsUpgrade>>>,
    running: Running,
}

impl WsEcho {
    /// Start an echo server named `"ws"`.
    pub async fn start() -> Self {
        Self::start_named("ws").await
    }

    /// Start an echo server that reports `name` in `x-test-node`.
    pub async fn start_named(name: &str) -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), name)
    }

    /// Serve on an already bound listener.
    pub fn serve(listener: TcpListener, name: &str) -> Self {
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(ConnCounter::default());
        let upgrades = Arc::new(Mutex::new(Vec::new()));
        let shutdown = CancellationToken::new();
        let node = HeaderValue::from_str(name).unwrap();
        let accept = {
            let conns = Arc::clone(&conns);
            let upgrades = Arc::clone(&upgrades);
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let guard = conns.enter();
                    let upgrades = Arc::clone(&upgrades);
                    let shutdown = shutdown.clone();
                    let node = node.clone();
                    tokio::spawn(async move {
                        let _guard = guard;
                        tokio::select! {
                            () = shutdown.cancelled() => {}
                            () = serve_conn(stream, upgrades, node) => {}
                        }
                    });
                }
            })
        };
        Self {
            addr,
            name: name.to_owned(),
            conns,
            upgrades,
            running: Running::new(accept, shutdown),
        }
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// Connections currently open (TCP, counted from accept to close).
    pub fn open_connections(&self) -> usize {
        self.conns.open()
    }

    /// Connections accepted so far.
    pub fn total_connections(&self) -> u64 {
        self.conns.total()
    }

    /// Wait until exactly `n` connections are open; false on timeout.
    pub async fn wait_open_connections(&self, n: usize, timeout: Duration) -> bool {
        self.conns.wait_open(n, timeout).await
    }

    /// Every upgrade request received so far, oldest first.
    pub fn upgrades(&self) -> Vec<WsUpgrade> {
        self.upgrades.lock().unwrap().clone()
    }

    /// The most recent upgrade request.
    pub fn last_upgrade(&self) -> Option<WsUpgrade> {
        self.upgrades.lock().unwrap().last().cloned()
    }

    /// Stop accepting; open WebSockets keep echoing until dropped.
    pub fn stop(&self) {
        self.running.stop_accepting();
    }
}

async fn serve_conn(stream: TcpStream, upgrades: Arc<Mutex<Vec<WsUpgrade>>>, node: HeaderValue) {
    let _ = stream.set_nodelay(true);
    // The signature is tungstenite's handshake callback; its large error
    // type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let record = move |req: &Request, mut res: Response| -> Result<Response, ErrorResponse> {
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
        upgrades.lock().unwrap().push(WsUpgrade {
            path,
            headers: req.headers().clone(),
        });
        res.headers_mut().insert("x-test-node", node);
        // Accept the client's first subprotocol: a client that asks for one
        // fails the handshake if the server picks none.
        if let Some(first) = req
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|p| HeaderValue::from_str(p.trim()).ok())
        {
            res.headers_mut().insert("sec-websocket-protocol", first);
        }
        Ok(res)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let Ok(mut ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, record, Some(config)).await
    else {
        return;
    };
    while let Some(msg) = ws.next().await {
        let Ok(msg) = msg else { break };
        let sent = match msg {
            Message::Text(_) | Message::Binary(_) => ws.send(msg).await,
            // tungstenite queues the pong (same payload) itself; flush so it
            // leaves now rather than with the next outgoing message.
            Message::Ping(_) => ws.flush().await,
            // tungstenite queues the close reply with the same code and
            // reason; the next poll flushes it and ends the stream.
            Message::Close(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
        };
        if sent.is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    #[tokio::test]
    async fn echoes_text_binary_ping_and_close() {
        let server = WsEcho::start_named("ws-a").await;
        let mut req = server.url("/chat?room=7").into_client_request().unwrap();
        req.headers_mut()
            .insert("x-custom", HeaderValue::from_static("yes"));
        let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(res.headers()["x-test-node"], "ws-a");
        assert!(
            server
                .wait_open_connections(1, Duration::from_secs(2))
                .await
        );

        let up = server.last_upgrade().unwrap();
        assert_eq!(up.path, "/chat?room=7");
        assert_eq!(up.header("x-custom"), Some("yes"));
        assert!(
            up.header("upgrade")
                .unwrap()
                .eq_ignore_ascii_case("websocket")
        );

        ws.send(Message::text("hello")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));

        let big: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
        ws.send(Message::binary(big.clone())).await.unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(b) => assert!(b[..] == big[..]),
            other => panic!("expected binary, got {other:?}"),
        }

        ws.send(Message::Ping(Bytes::from_static(b"are you there")))
            .await
            .unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::Pong(Bytes::from_static(b"are you there"))
        );

        ws.close(Some(CloseFrame {
            code: CloseCode::from(4001),
            reason: "bye now".into(),
        }))
        .await
        .unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(frame)) => {
                assert_eq!(u16::from(frame.code), 4001);
                assert_eq!(frame.reason.as_str(), "bye now");
            }
            other => panic!("expected close, got {other:?}"),
        }
        assert!(ws.next().await.is_none());
        assert!(
            server
                .wait_open_connections(0, Duration::from_secs(2))
                .await
        );
        assert_eq!(server.total_connections(), 1);
        assert_eq!(server.upgrades().len(), 1);
    }

    #[tokio::test]
    async fn subprotocol_and_drop() {
        let server = WsEcho::start().await;
        let mut req = server.url("/").into_client_request().unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("chat.v2, chat.v1"),
        );
        let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(res.headers()["sec-websocket-protocol"], "chat.v2");
        drop(server);
        // The server's end goes away with the handle.
        let next = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .unwrap();
        assert!(!matches!(
            next,
            Some(Ok(Message::Text(_) | Message::Binary(_)))
        ));
    }
}
