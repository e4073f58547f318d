//! Request smuggling regression cases, sent as raw bytes: ambiguous or
//! malformed message framing (CL+TE, differing or signed Content-Length,
//! obs-fold, TE in HTTP/1.0, transfer codings other than a single chunked,
//! bad chunk sizes, chunk-extension floods). Each case carries a second
//! request, `GET /smuggled`, right behind the first; whatever the gateway
//! answers, it must refuse or close, and the upstream — which records every
//! request it receives — must never see that second request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestGateway;
use common::raw_http::{RawResponse, exchange};
use weir_testkit::TestUpstream;

const SMUGGLED: &str = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

async fn setup() -> (TestGateway, TestUpstream) {
    let up = TestUpstream::start("a").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{{ addr: \"{}\" }}]\n",
        up.addr
    ))
    .await;
    (gw, up)
}

/// How the gateway must treat a case.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Answered 400 (or, when the refusal raced the client's writing and
    /// the close reset the connection, no answer at all); never forwarded.
    Refused,
    /// Refused with 400 once the body turns out broken; the head may have
    /// reached the upstream (bodies are streamed), nothing after it.
    BodyRefused,
    /// Read one way (chunked), answered, and the connection closed.
    OneThenClose,
}

/// The cases: name, what is sent before [`SMUGGLED`], what must happen.
fn cases() -> Vec<(&'static str, String, Expect)> {
    let post = |path: &str, headers: &str, body: &str| {
        format!("POST {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n{body}")
    };
    let chunked = "Transfer-Encoding: chunked\r\n";
    let flood = format!("5;{}\r\nhello\r\n0\r\n\r\n", "e=1;".repeat(5000));
    vec![
        // CL.TE and TE.CL: chunked wins, the connection ends after the answer.
        (
            "cl-te",
            post(
                "/cl-te",
                "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n",
            ),
            Expect::OneThenClose,
        ),
        (
            "te-cl",
            post(
                "/te-cl",
                "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                "5\r\nhello\r\n0\r\n\r\n",
            ),
            Expect::OneThenClose,
        ),
        (
            "cl-0-te",
            post(
                "/cl-0-te",
                "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
                "5\r\nhello\r\n0\r\n\r\n",
            ),
            Expect::OneThenClose,
        ),
        // Content-Length that is not one plain number.
        (
            "two-cl",
            post(
                "/two-cl",
                "Content-Length: 5\r\nContent-Length: 6\r\n",
                "hello!",
            ),
            Expect::Refused,
        ),
        (
            "cl-plus",
            post("/cl-plus", "Content-Length: +5\r\n", "hello"),
            Expect::Refused,
        ),
        (
            "cl-minus",
            post("/cl-minus", "Content-Length: -1\r\n", "hello"),
            Expect::Refused,
        ),
        (
            "cl-list",
            post("/cl-list", "Content-Length: 5, 5\r\n", "hello"),
            Expect::Refused,
        ),
        (
            "cl-hex",
            post("/cl-hex", "Content-Length: 0x5\r\n", "hello"),
            Expect::Refused,
        ),
        // Obsolete line folding, also on the framing headers.
        (
            "obs-fold",
            post(
                "/obs-fold",
                "X-Folded: a\r\n  b\r\nContent-Length: 0\r\n",
                "",
            ),
            Expect::Refused,
        ),
        (
            "obs-fold-te",
            post(
                "/obs-fold-te",
                "Transfer-Encoding: x\r\n chunked\r\n",
                "0\r\n\r\n",
            ),
            Expect::Refused,
        ),
        (
            "space-before-colon",
            post("/sbc", "Transfer-Encoding : chunked\r\n", "0\r\n\r\n"),
            Expect::Refused,
        ),
        // Transfer-Encoding where it has no meaning or is not plain chunked.
        (
            "te-http10",
            "POST /te-http10 HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .into(),
            Expect::Refused,
        ),
        (
            "te-chunked-identity",
            post(
                "/te-ci",
                "Transfer-Encoding: chunked, identity\r\n",
                "0\r\n\r\n",
            ),
            Expect::Refused,
        ),
        (
            "te-xchunked",
            post("/te-x", "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"),
            Expect::Refused,
        ),
        (
            "te-gzip-chunked",
            post(
                "/te-gzip",
                "Transfer-Encoding: gzip, chunked\r\n",
                "0\r\n\r\n",
            ),
            Expect::Refused,
        ),
        (
            "te-chunked-twice",
            post(
                "/te-twice",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n",
            ),
            Expect::Refused,
        ),
        // Bad chunk sizes and extension floods: found while streaming.
        (
            "chunk-0x",
            post("/chunk-0x", chunked, "0x5\r\nhello\r\n0\r\n\r\n"),
            Expect::BodyRefused,
        ),
        (
            "chunk-overlong",
            post(
                "/chunk-overlong",
                chunked,
                "1ffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            ),
            Expect::BodyRefused,
        ),
        (
            "chunk-negative",
            post("/chunk-negative", chunked, "-5\r\nhello\r\n0\r\n\r\n"),
            Expect::BodyRefused,
        ),
        (
            "chunk-not-hex",
            post("/chunk-zz", chunked, "zz\r\nhello\r\n0\r\n\r\n"),
            Expect::BodyRefused,
        ),
        (
            "chunk-too-long",
            post("/chunk-long", chunked, "3\r\nhello\r\n0\r\n\r\n"),
            Expect::BodyRefused,
        ),
        (
            "chunk-ext-flood",
            post("/chunk-flood", chunked, &flood),
            Expect::BodyRefused,
        ),
    ]
}

fn statuses(rs: &[RawResponse]) -> Vec<u16> {
    rs.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn smuggling_attempts_are_refused_and_never_reach_the_upstream() {
    let (gw, up) = setup().await;
    let addr = gw.gateway.http_addr.unwrap();
    let mut body_refused = Vec::new();
    let mut refused = Vec::new();
    for (name, first, expect) in cases() {
        let path = first.split_whitespace().nth(1).unwrap().to_owned();
        let answers = exchange(addr, format!("{first}{SMUGGLED}").as_bytes()).await;
        match expect {
            Expect::Refused | Expect::BodyRefused => {
                assert!(
                    statuses(&answers) == [400] || answers.is_empty(),
                    "{name}: expected a 400 and a close, got {:?}",
                    statuses(&answers)
                );
                if expect == Expect::BodyRefused {
                    if let Some(a) = answers.first() {
                        assert_eq!(a.code().as_deref(), Some("invalid_request_body"), "{name}");
                    }
                    body_refused.push(path);
                } else {
                    refused.push(path);
                }
            }
            Expect::OneThenClose => {
                assert_eq!(statuses(&answers), [200], "{name}: one answer, then close");
                // The body went up as the chunked decoding says, with the
                // gateway's own framing: not both framings.
                let echo: serde_json::Value = serde_json::from_slice(&answers[0].body).unwrap();
                assert_eq!(echo["path"], path.as_str(), "{name}");
                let want = if name == "cl-te" { 0 } else { 5 };
                assert_eq!(echo["body_bytes"], want, "{name}: {echo}");
                assert!(
                    echo["headers"].get("transfer-encoding").is_none()
                        || echo["headers"].get("content-length").is_none(),
                    "{name}: both framings forwarded: {}",
                    echo["headers"]
                );
            }
        }
    }
    // What reached the upstream (a refused body's head may arrive after
    // its 400 was read, so this is checked once, at the end, after a
    // request that went through): never a smuggled request, never a
    // request refused for its framing, a broken body's head at most once.
    let ok = exchange(
        addr,
        b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(statuses(&ok), [200]);
    let received = up.received();
    assert!(
        !received.iter().any(|r| r.contains("smuggled")),
        "the upstream saw a smuggled request: {received:?}"
    );
    for path in &refused {
        let hits = received
            .iter()
            .filter(|r| **r == format!("POST {path}"))
            .count();
        assert_eq!(hits, 0, "{path} was forwarded: {received:?}");
    }
    for path in &body_refused {
        let hits = received
            .iter()
            .filter(|r| **r == format!("POST {path}"))
            .count();
        assert!(hits <= 1, "{path} forwarded {hits} times: {received:?}");
    }
    // The upstream was never blamed.
    assert_eq!(
        common::node_status(&gw, "s", &up.addr.to_string()).as_deref(),
        Some("healthy")
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_broken_body_ends_the_connection_so_pipelined_requests_are_not_read() {
    let (gw, up) = setup().await;
    let addr = gw.gateway.http_addr.unwrap();
    // A good request, then a broken one, then a third: only the first is
    // forwarded whole, the third never.
    let pipelined = format!(
        "GET /first HTTP/1.1\r\nHost: x\r\n\r\nPOST /second HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n{SMUGGLED}"
    );
    let answers = exchange(addr, pipelined.as_bytes()).await;
    assert_eq!(statuses(&answers), [200, 400]);
    assert!(
        answers[1].head.contains("connection: close"),
        "{}",
        answers[1].head
    );
    let received = up.received();
    assert_eq!(received[0], "GET /first");
    assert!(
        received.len() <= 2 && !received.iter().any(|r| r.contains("smuggled")),
        "{received:?}"
    );
    gw.stop().await;
}
