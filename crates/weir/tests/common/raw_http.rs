//! Raw HTTP/1.1 over a TcpStream, for tests that must send what no client
//! library would (broken framing, smuggling attempts, stalled bodies) and
//! read exactly what the gateway answers. Every read is bounded in time so
//! a gateway that hangs fails the test instead of blocking it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any single read may wait.
const READ_BOUND: Duration = Duration::from_secs(10);

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// The head, lower-cased (for `contains` checks on header lines).
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `code` of the gateway's JSON error body, if it is one.
    pub fn code(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v["code"].as_str().map(str::to_owned)
    }
}

/// A connection with its unread bytes.
pub struct RawConn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    pub async fn open(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// Write all of `bytes`; false when the peer already closed.
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Read more bytes; false at EOF (or a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(READ_BOUND, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(_) => panic!("no answer and no close within {READ_BOUND:?}"),
        }
    }

    /// The next response (interim 1xx responses included), or `None` when
    /// the connection closes first. Bodies must be `Content-Length` framed
    /// (every answer of the gateway and the test upstream is).
    pub async fn response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
        while self.buf.len() < head_end + len {
            if !self.fill().await {
                panic!("connection closed inside a response body: {head:?}");
            }
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Some(RawResponse { status, head, body })
    }

    /// Every response until the gateway closes the connection.
    pub async fn responses_until_close(&mut self) -> Vec<RawResponse> {
        let mut out = Vec::new();
        while let Some(r) = self.response().await {
            out.push(r);
        }
        out
    }
}

/// Send `bytes` on a new connection and read every response until the
/// gateway closes it.
pub async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<RawResponse> {
    let mut c = RawConn::open(addr).await;
    c.send(bytes).await;
    c.responses_until_close().await
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
