//! Response compression (a service's `compression`) through a real gateway
//! and a real upstream: the `curl --compressed` binary and a Rust client
//! (reqwest, decoding with the codecs' own decoders) get back exactly the
//! upstream's bytes in each coding; `Accept-Encoding` is negotiated by
//! q-value and the service's order (and explain says the same); responses
//! that must not be compressed are not; the head of a compressed answer
//! (`Vary`, `ETag`, `Content-Length`, `Accept-Ranges`) is right; and a
//! streamed answer reaches the client while the upstream is still sending.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use common::codecs::Decoder;
use common::raw_http::RawConn;
use common::{TestGateway, client};
use http::{HeaderMap, Request, Response};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use weir_proxy::{ExplainInput, explain};

const CODINGS: [&str; 3] = ["br", "zstd", "gzip"];

/// Compressible text of exactly `n` bytes (the same for the same `n`).
fn text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 64);
    let mut i = 0;
    while out.len() < n {
        out.extend_from_slice(
            format!(
                "line {i}: the quick brown fox jumps over the lazy dog {}\n",
                i % 13
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(n);
    out
}

/// The upstream. It answers from request headers, which the gateway
/// passes on: `x-size` (a body of that many bytes of [`text`]),
/// `x-chunked: 1` (sent in 4 KiB frames without a length), `x-status`,
/// `x-type` (the Content-Type; `none` for none; default
/// `text/plain; charset=utf-8`) and `x-header: name=value` (any number).
/// A path ending in `/stream` sends what the test feeds through
/// [`Origin::stream`], as it is fed.
struct Origin {
    addr: SocketAddr,
    next: Arc<Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Origin {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let next: Arc<Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>> = Arc::default();
        let slot = Arc::clone(&next);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let slot = Arc::clone(&slot);
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let slot = Arc::clone(&slot);
                        async move { Ok::<_, Infallible>(answer(&req, &slot)) }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { addr, next, task }
    }

    /// The body of the next `…/stream` request: each `Bytes` sent is a
    /// frame, sent when it is sent; dropping the sender ends the body.
    fn stream(&self) -> mpsc::UnboundedSender<Bytes> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.next.lock().unwrap() = Some(rx);
        tx
    }
}

fn answer(
    req: &Request<Incoming>,
    next: &Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>,
) -> Response<OriginBody> {
    let h = req.headers();
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let mut res = Response::builder().status(get("x-status").unwrap_or("200"));
    match get("x-type") {
        Some("none") => {}
        Some(t) => res = res.header("content-type", t),
        None => res = res.header("content-type", "text/plain; charset=utf-8"),
    }
    for v in h.get_all("x-header") {
        let (name, value) = v.to_str().unwrap().split_once('=').unwrap();
        res = res.header(name, value);
    }
    let body = if req.uri().path().ends_with("/stream") {
        OriginBody::Fed(next.lock().unwrap().take().expect("Origin::stream first"))
    } else {
        let size = get("x-size").map_or(0, |s| s.parse().unwrap());
        let body = Bytes::from(text(size));
        if get("x-chunked") == Some("1") {
            let mut frames = VecDeque::new();
            let mut rest = body;
            while !rest.is_empty() {
                frames.push_back(rest.split_to(rest.len().min(4096)));
            }
            OriginBody::Frames(frames)
        } else {
            OriginBody::Whole(Some(body))
        }
    };
    res.body(body).unwrap()
}

enum OriginBody {
    /// Sent with its length.
    Whole(Option<Bytes>),
    /// Sent frame by frame, length unknown (chunked).
    Frames(VecDeque<Bytes>),
    Fed(mpsc::UnboundedReceiver<Bytes>),
}

impl Body for OriginBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match &mut *self {
            OriginBody::Whole(b) => b.take().filter(|b| !b.is_empty()),
            OriginBody::Frames(f) => f.pop_front(),
            OriginBody::Fed(rx) => match rx.poll_recv(cx) {
                Poll::Ready(b) => b,
                Poll::Pending => return Poll::Pending,
            },
        };
        Poll::Ready(next.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OriginBody::Whole(b) => b.as_ref().is_none_or(Bytes::is_empty),
            OriginBody::Frames(f) => f.is_empty(),
            OriginBody::Fed(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            OriginBody::Whole(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            _ => SizeHint::default(),
        }
    }
}

fn config(origin: &Origin) -> String {
    let nodes = format!("[{{ addr: \"{}\" }}]", origin.addr);
    format!(
        r#"services:
  - {{ name: auto, match: {{ prefix: /auto/ }}, compression: {{}}, upstream: {{ nodes: {nodes} }} }}
  - {{ name: br, match: {{ prefix: /br/ }}, compression: {{ algorithms: [br] }}, upstream: {{ nodes: {nodes} }} }}
  - {{ name: zstd, match: {{ prefix: /zstd/ }}, compression: {{ algorithms: [zstd] }}, upstream: {{ nodes: {nodes} }} }}
  - {{ name: gzip, match: {{ prefix: /gzip/ }}, compression: {{ algorithms: [gzip] }}, upstream: {{ nodes: {nodes} }} }}
  - {{ name: order, match: {{ prefix: /order/ }}, compression: {{ algorithms: [gzip, br, zstd] }}, upstream: {{ nodes: {nodes} }} }}
  - name: tiny
    match: {{ prefix: /tiny/ }}
    compression: {{ min_size: 0 }}
    max_body_bytes: 10
    upstream: {{ nodes: {nodes} }}
  - {{ name: dead, match: {{ prefix: /dead/ }}, compression: {{ min_size: 0 }}, upstream: {{ nodes: [{{ addr: "127.0.0.1:1" }}] }} }}
  - {{ name: ws, match: {{ prefix: /ws/ }}, websocket: true, compression: {{}}, upstream: {{ nodes: {nodes} }} }}
  - name: nt
    match: {{ prefix: /nt/ }}
    compression: {{}}
    response_headers: [{{ op: set, name: Cache-Control, value: no-transform }}]
    upstream: {{ nodes: {nodes} }}
  - name: events
    match: {{ prefix: /events/ }}
    compression: {{ content_types: [text/event-stream, text/*] }}
    upstream: {{ nodes: {nodes} }}
  - {{ name: plain, match: {{ prefix: /plain/ }}, upstream: {{ nodes: {nodes} }} }}
"#
    )
}

/// GET `path` with `headers`; the status, head and raw body.
async fn get(gw: &TestGateway, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Bytes) {
    let mut req = client().get(gw.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let (status, head) = (res.status().as_u16(), res.headers().clone());
    (status, head, res.bytes().await.unwrap())
}

fn encoding(h: &HeaderMap) -> Option<&str> {
    h.get("content-encoding").map(|v| v.to_str().unwrap())
}

fn vary(h: &HeaderMap) -> Vec<String> {
    h.get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect()
}

/// `curl` with `args` against the gateway; its header dump and body.
async fn curl(args: &[&str], url: &str) -> (String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head");
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "30", "-D"])
        .arg(&head)
        .args(args)
        .arg(url)
        .output()
        .await
        .expect("curl runs (scripts/install-deps.sh installs it)");
    assert!(out.status.success(), "curl {args:?} {url}: {out:?}");
    let head = std::fs::read_to_string(head).unwrap().to_ascii_lowercase();
    (head, out.stdout)
}

fn header_line<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::trim))
}

#[tokio::test]
async fn curl_compressed_round_trips_each_coding() {
    let version = tokio::process::Command::new("curl")
        .arg("--version")
        .output()
        .await
        .expect("curl runs (scripts/install-deps.sh installs it)");
    let version = String::from_utf8_lossy(&version.stdout).to_lowercase();
    for feature in ["brotli", "zstd", "libz"] {
        assert!(
            version.contains(feature),
            "this curl lacks {feature}: {version}"
        );
    }
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    let want = text(200_000);
    for coding in CODINGS {
        for (chunked, http2) in [("0", false), ("1", false), ("0", true)] {
            let mut args = vec![
                "--compressed",
                "-H",
                "x-size: 200000",
                "-H",
                if chunked == "1" {
                    "x-chunked: 1"
                } else {
                    "x-chunked: 0"
                },
            ];
            if http2 {
                args.push("--http2-prior-knowledge");
            }
            let (head, body) = curl(&args, &gw.url(&format!("/{coding}/file"))).await;
            assert_eq!(
                header_line(&head, "content-encoding"),
                Some(coding),
                "{coding} chunked={chunked} h2={http2}: {head}"
            );
            assert_eq!(header_line(&head, "content-length"), None, "{head}");
            assert!(
                body == want,
                "{coding} chunked={chunked} h2={http2}: the body differs"
            );
        }
    }
    // curl's own Accept-Encoding (deflate, gzip, br, zstd) gets the
    // service's first choice (zstd by default); without --compressed
    // nothing is encoded.
    let (head, body) = curl(&["--compressed", "-H", "x-size: 5000"], &gw.url("/auto/a")).await;
    assert_eq!(
        header_line(&head, "content-encoding"),
        Some("zstd"),
        "{head}"
    );
    assert_eq!(body, text(5000));
    let (head, body) = curl(&["-H", "x-size: 5000"], &gw.url("/auto/a")).await;
    assert_eq!(header_line(&head, "content-encoding"), None, "{head}");
    assert_eq!(header_line(&head, "content-length"), Some("5000"), "{head}");
    assert_eq!(body, text(5000));
    gw.stop().await;
}

#[tokio::test]
async fn a_rust_client_decodes_each_coding() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    let want = text(300_000);
    for coding in CODINGS {
        for chunked in ["0", "1"] {
            let (status, head, body) = get(
                &gw,
                "/auto/x",
                &[
                    ("accept-encoding", coding),
                    ("x-size", "300000"),
                    ("x-chunked", chunked),
                ],
            )
            .await;
            assert_eq!(status, 200);
            assert_eq!(encoding(&head), Some(coding));
            assert!(
                body.len() * 10 < want.len(),
                "{coding}: {} bytes",
                body.len()
            );
            assert!(
                Decoder::decode(coding, &body) == want,
                "{coding}: decoded body differs"
            );
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn accept_encoding_is_negotiated_and_explain_agrees() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    for (path, accept, want) in [
        ("/auto/", Some("gzip, deflate, br, zstd"), Some("zstd")),
        ("/auto/", Some("gzip, deflate, br"), Some("br")),
        ("/order/", Some("gzip, deflate, br, zstd"), Some("gzip")),
        (
            "/auto/",
            Some("gzip;q=0.8, zstd;q=0.9, br;q=0.1"),
            Some("zstd"),
        ),
        ("/auto/", Some("br;q=0, gzip"), Some("gzip")),
        (
            "/auto/",
            Some("br;q=0.5, zstd;q=0.5, gzip;q=0.4"),
            Some("zstd"),
        ),
        (
            "/order/",
            Some("br;q=0.5, zstd;q=0.5, gzip;q=0.4"),
            Some("br"),
        ),
        ("/auto/", Some("*"), Some("zstd")),
        ("/auto/", Some("*;q=0.1, gzip;q=0.2"), Some("gzip")),
        ("/auto/", Some("*, br;q=0, zstd;q=0"), Some("gzip")),
        ("/auto/", Some("x-gzip"), Some("gzip")),
        ("/auto/", Some("identity;q=1, gzip;q=0.5"), None),
        ("/auto/", Some("identity"), None),
        ("/auto/", Some("deflate, compress"), None),
        ("/auto/", Some("gzip;q=0"), None),
        ("/auto/", Some("*;q=0"), None),
        ("/auto/", Some("gzip;q=2"), None),
        ("/auto/", Some(""), None),
        ("/auto/", None, None),
        ("/gzip/", Some("br, zstd"), None),
    ] {
        let mut headers = vec![("x-size", "4096")];
        if let Some(a) = accept {
            headers.push(("accept-encoding", a));
        }
        let (status, head, body) = get(&gw, &format!("{path}n"), &headers).await;
        assert_eq!(status, 200);
        assert_eq!(encoding(&head), want, "{path} {accept:?}");
        let got = match want {
            Some(coding) => Decoder::decode(coding, &body),
            None => body.to_vec(),
        };
        assert!(got == text(4096), "{path} {accept:?}: body differs");
        // It qualifies whatever this client accepts: caches must key on
        // Accept-Encoding.
        assert_eq!(vary(&head), ["accept-encoding"], "{path} {accept:?}");

        let input = ExplainInput {
            method: "GET".into(),
            host: None,
            path: format!("{path}n"),
            headers: accept
                .map(|a| ("accept-encoding".to_owned(), a.to_owned()))
                .into_iter()
                .collect(),
            client_ip: "127.0.0.1".into(),
            https: false,
        };
        let said = explain(&gw.gateway.plane, &input)
            .unwrap()
            .compression
            .unwrap();
        assert!(said.configured);
        assert_eq!(said.encoding.as_deref(), want, "explain: {path} {accept:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn responses_that_must_not_be_compressed_are_not() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    let gzip = ("accept-encoding", "gzip");
    let big = ("x-size", "5000");
    // Each with the request headers that make it so; none of them
    // qualifies, so none varies by Accept-Encoding either.
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("/auto/small", &[("x-size", "1023")]),
        ("/auto/png", &[("x-type", "image/png")]),
        ("/auto/untyped", &[("x-type", "none")]),
        // Wildcards do not cover event streams.
        ("/auto/events", &[("x-type", "text/event-stream")]),
        ("/auto/no-content", &[("x-status", "204")]),
        (
            "/auto/partial",
            &[
                ("x-status", "206"),
                ("x-header", "content-range=bytes 0-4999/9000"),
            ],
        ),
        (
            "/auto/range",
            &[("x-header", "content-range=bytes 0-4999/5000")],
        ),
        (
            "/auto/encoded",
            &[("x-header", "content-encoding=identity")],
        ),
        (
            "/auto/no-transform",
            &[("x-header", "cache-control=public, no-transform")],
        ),
        // The service's own response header operation counts too.
        ("/nt/x", &[]),
        // No compression configured: the upstream's answer as it is.
        ("/plain/x", &[]),
    ];
    for (path, extra) in cases {
        let mut headers: Vec<_> = [gzip, big]
            .into_iter()
            .filter(|(k, _)| extra.iter().all(|(e, _)| e != k))
            .collect();
        headers.extend_from_slice(extra);
        let (_, head, body) = get(&gw, path, &headers).await;
        let upstream_encoding = extra
            .iter()
            .any(|(_, v)| v.starts_with("content-encoding="));
        if !upstream_encoding {
            assert_eq!(encoding(&head), None, "{path}");
        }
        assert!(vary(&head).is_empty(), "{path}: {head:?}");
        if !body.is_empty() {
            assert!(
                body.len() == 5000 || body.len() == 1023,
                "{path}: {} bytes",
                body.len()
            );
        }
    }
    // 304: body-less.
    let (status, head, _) = get(&gw, "/auto/nm", &[gzip, big, ("x-status", "304")]).await;
    assert_eq!((status, encoding(&head)), (304, None));

    // HEAD: not compressed, its length kept, but it varies like the GET.
    let res = client()
        .head(gw.url("/auto/head"))
        .header("accept-encoding", "gzip")
        .header("x-size", "5000")
        .send()
        .await
        .unwrap();
    assert_eq!(encoding(res.headers()), None);
    assert_eq!(res.headers()["content-length"], "5000");
    assert_eq!(vary(res.headers()), ["accept-encoding"]);

    // An upgrade is not compressed (here the upstream declines it).
    let mut conn = RawConn::open(gw.gateway.http_addr.unwrap()).await;
    conn.send(
        b"GET /ws/x HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Accept-Encoding: gzip\r\nx-size: 5000\r\n\r\n",
    )
    .await;
    let res = conn.response().await.unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), None, "{}", res.head);
    assert_eq!(res.body, text(5000));

    // The gateway's own answers: a refusal and a failed upstream.
    let res = client()
        .post(gw.url("/tiny/x"))
        .header("accept-encoding", "gzip")
        .body("more than ten bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(encoding(res.headers()), None);
    let (status, head, _) = get(&gw, "/dead/x", &[gzip]).await;
    assert_eq!((status, encoding(&head)), (502, None));
    gw.stop().await;
}

#[tokio::test]
async fn the_head_of_a_compressed_answer_is_consistent() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    let (_, head, body) = get(
        &gw,
        "/auto/tagged",
        &[
            ("accept-encoding", "gzip"),
            ("x-size", "8000"),
            ("x-header", "etag=\"v1\""),
            ("x-header", "accept-ranges=bytes"),
            ("x-header", "vary=Origin"),
        ],
    )
    .await;
    assert_eq!(encoding(&head), Some("gzip"));
    assert_eq!(
        head["etag"], "W/\"v1\"",
        "a strong tag names the upstream's bytes"
    );
    assert!(head.get("content-length").is_none());
    assert!(head.get("accept-ranges").is_none());
    assert_eq!(vary(&head), ["origin", "accept-encoding"]);
    assert_eq!(Decoder::decode("gzip", &body), text(8000));

    // A weak tag stays; a Vary that names Accept-Encoding is not repeated.
    let (_, head, _) = get(
        &gw,
        "/auto/weak",
        &[
            ("accept-encoding", "br"),
            ("x-size", "8000"),
            ("x-header", "etag=W/\"v2\""),
            ("x-header", "vary=Accept-Encoding, Origin"),
        ],
    )
    .await;
    assert_eq!(encoding(&head), Some("br"));
    assert_eq!(head["etag"], "W/\"v2\"");
    assert_eq!(vary(&head), ["accept-encoding, origin"]);

    // Unencoded (the client accepts none): the tag and length stay.
    let (_, head, body) = get(
        &gw,
        "/auto/plain",
        &[("x-size", "8000"), ("x-header", "etag=\"v1\"")],
    )
    .await;
    assert_eq!(encoding(&head), None);
    assert_eq!(head["etag"], "\"v1\"");
    assert_eq!(head["content-length"], "8000");
    assert_eq!(body.len(), 8000);
    gw.stop().await;
}

/// A streamed answer is compressed as it comes: what the upstream sent
/// reaches the client, decodable, while the upstream waits for the client
/// to have seen it (so it cannot be a gateway holding the whole response).
#[tokio::test]
async fn a_streamed_answer_flows_while_the_upstream_sends() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    for coding in CODINGS {
        for (path, kind) in [
            ("/events/stream", "text/event-stream"),
            ("/auto/stream", "text/plain"),
        ] {
            let feed = origin.stream();
            let mut res = client()
                .get(gw.url(path))
                .header("accept-encoding", coding)
                .header("x-type", kind)
                .send()
                .await
                .unwrap();
            assert_eq!(encoding(res.headers()), Some(coding), "{path}");
            let mut decoder = Decoder::new(coding);
            let mut sent = Vec::new();
            // Small events, one at a time: each arrives before the next is
            // sent.
            for i in 0..5 {
                let event = format!("data: event {i}\n\n");
                sent.extend_from_slice(event.as_bytes());
                feed.send(Bytes::from(event)).unwrap();
                read_until(&mut res, &mut decoder, sent.len()).await;
                assert_eq!(decoder.out, sent, "{coding} {path} event {i}");
            }
            // Then a large part: its first chunk arrives before the rest
            // is sent, and the whole arrives intact.
            let chunk = text(256 * 1024);
            sent.extend_from_slice(&chunk);
            feed.send(Bytes::from(chunk)).unwrap();
            read_until(&mut res, &mut decoder, sent.len()).await;
            for _ in 0..32 {
                let chunk = text(256 * 1024);
                sent.extend_from_slice(&chunk);
                feed.send(Bytes::from(chunk)).unwrap();
            }
            drop(feed);
            while let Some(bytes) = res.chunk().await.unwrap() {
                decoder.feed(&bytes);
            }
            assert!(
                decoder.out == sent,
                "{coding} {path}: the whole stream differs"
            );
        }
    }
    gw.stop().await;
}

/// Read and decode until `len` bytes are decoded; fails (rather than
/// hangs) when they do not come.
async fn read_until(res: &mut reqwest::Response, decoder: &mut Decoder, len: usize) {
    let wait = async {
        while decoder.out.len() < len {
            let bytes = res.chunk().await.unwrap().expect("the stream ended early");
            decoder.feed(&bytes);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("what the upstream sent did not reach the client: held back?");
}

#[tokio::test]
async fn status_codes_with_bodies_are_compressed_too() {
    let origin = Origin::start().await;
    let gw = TestGateway::start(&config(&origin)).await;
    for status in ["404", "500", "201"] {
        let (got, head, body) = get(
            &gw,
            "/auto/s",
            &[
                ("accept-encoding", "zstd"),
                ("x-size", "3000"),
                ("x-status", status),
            ],
        )
        .await;
        assert_eq!(got.to_string(), status);
        assert_eq!(encoding(&head), Some("zstd"), "{status}");
        assert_eq!(Decoder::decode("zstd", &body), text(3000));
    }
    gw.stop().await;
}
