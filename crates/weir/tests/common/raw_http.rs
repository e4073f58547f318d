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

    /// The body as JSON, or `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The value of header `name` (lower-cased, as the whole head is).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
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
    /// the connection closes first. Bodies framed by `Content-Length` or
    /// chunked (decoded here) are read; a response with neither has none.
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
        self.buf.drain(..head_end);
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
        let chunked = head
            .lines()
            .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
        let body = if chunked {
            self.chunked_body(&head).await
        } else {
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            self.exactly(len, &head).await
        };
        Some(RawResponse { status, head, body })
    }

    /// The next `n` buffered or incoming bytes.
    async fn exactly(&mut self, n: usize, head: &str) -> Vec<u8> {
        while self.buf.len() < n {
            if !self.fill().await {
                panic!("connection closed inside a response body: {head:?}");
            }
        }
        self.buf.drain(..n).collect()
    }

    /// The next CRLF-terminated line, without the CRLF.
    async fn line(&mut self, head: &str) -> String {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return line;
            }
            if !self.fill().await {
                panic!("connection closed inside a chunked body: {head:?}");
            }
        }
    }

    /// A chunked body, decoded (chunk extensions and trailers ignored).
    async fn chunked_body(&mut self, head: &str) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let size_line = self.line(head).await;
            let size = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)
                .unwrap_or_else(|_| panic!("bad chunk size {size_line:?} in {head:?}"));
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.line(head).await.is_empty() {}
                return body;
            }
            body.extend(self.exactly(size, head).await);
            assert!(
                self.line(head).await.is_empty(),
                "chunk not followed by CRLF"
            );
        }
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
