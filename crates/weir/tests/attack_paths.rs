//! Attack suite for path confusion, host confusion and gateway-owned
//! headers (issue 15 §1, §2, §9). Every variant goes over a raw TCP
//! connection (or a raw HTTP/2 connection) so that no client library cleans
//! the request first. A variant must be refused with 400, or meet the
//! protected service's own policy (401/403) — never reach the protected
//! upstream — and what reaches an upstream carries the normalised path and
//! the one host that routing used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::raw_http::{RawResponse, exchange};
use common::{TestGateway, client};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weir_testkit::TestUpstream;

struct Upstreams {
    public: TestUpstream,
    admin: TestUpstream,
    internal: TestUpstream,
    files: TestUpstream,
    strip: TestUpstream,
    vhost: TestUpstream,
}

impl Upstreams {
    async fn start() -> Self {
        Self {
            public: TestUpstream::start("public").await,
            admin: TestUpstream::start("admin").await,
            internal: TestUpstream::start("internal").await,
            files: TestUpstream::start("files").await,
            strip: TestUpstream::start("strip").await,
            vhost: TestUpstream::start("vhost").await,
        }
    }

    /// Requests that reached the upstreams a client must not reach
    /// through path or host tricks.
    fn protected(&self) -> u64 {
        self.admin.requests() + self.internal.requests() + self.vhost.requests()
    }

    fn all(&self) -> u64 {
        self.protected() + self.public.requests() + self.files.requests() + self.strip.requests()
    }
}

/// `public` on `/`; `admin` on `/admin` behind tenant authentication (with
/// one allowed path); `internal` on `/internal/` denied to loopback;
/// `files` on `/files/` accepting encoded slashes; `strip` strips its
/// prefix; `vhost` only for host `secret.example`, denied to loopback.
fn config(u: &Upstreams) -> String {
    let node = |up: &TestUpstream| format!("upstream: {{ nodes: [{{ addr: \"{}\" }}] }}", up.addr);
    format!(
        r#"services:
  - name: public
    match: {{ prefix: / }}
    {}
  - name: admin
    match: {{ prefix: /admin }}
    access: {{ auth: {{ enabled: true, allow_paths: [/admin/health] }} }}
    {}
  - name: internal
    match: {{ prefix: /internal/ }}
    access: {{ ip_deny: {{ ips: [127.0.0.0/8, "::1"] }} }}
    {}
  - name: files
    match: {{ prefix: /files/ }}
    allow_encoded_slashes: true
    {}
  - name: strip
    match: {{ prefix: /strip/ }}
    strip_prefix: true
    {}
  - name: vhost
    match: {{ host: secret.example }}
    access: {{ ip_deny: {{ ips: [127.0.0.0/8, "::1"] }} }}
    {}
tenants:
  - {{ app_id: app_one, name: One, secret: "one-secret-123" }}
"#,
        node(&u.public),
        node(&u.admin),
        node(&u.internal),
        node(&u.files),
        node(&u.strip),
        node(&u.vhost),
    )
}

async fn start() -> (Upstreams, TestGateway) {
    let ups = Upstreams::start().await;
    let gw = TestGateway::start(&config(&ups)).await;
    (ups, gw)
}

fn addr(gw: &TestGateway) -> SocketAddr {
    gw.gateway.http_addr.unwrap()
}

/// Send `head` (without the final blank line) as written on a new
/// connection and read the answer; the request asks the gateway to close
/// afterwards.
async fn raw(gw: &TestGateway, head: &str) -> RawResponse {
    let request = format!("{head}\r\nConnection: close\r\n\r\n");
    let mut answers = exchange(addr(gw), request.as_bytes()).await;
    assert!(!answers.is_empty(), "no answer to {head:?}");
    answers.remove(0)
}

async fn get(gw: &TestGateway, target: &str) -> RawResponse {
    raw(gw, &format!("GET {target} HTTP/1.1\r\nHost: gw.test")).await
}

/// What a variant must come to.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 400 from the gateway, no upstream reached.
    Refused,
    /// The protected service's policy answers with this status.
    Policy(u16),
    /// Reaches this upstream, which sees exactly this path.
    Reaches(&'static str, &'static str),
}

#[tokio::test]
async fn path_variants_never_reach_a_protected_upstream() {
    use Expect::*;
    let (ups, gw) = start().await;
    let cases: &[(&str, Expect)] = &[
        // Dot-segments through the public prefix.
        ("/public/../admin", Policy(401)),
        ("/public/../admin/users", Policy(401)),
        ("/public/./../admin", Policy(401)),
        ("/public/x/../../admin", Policy(401)),
        ("/public/../../admin", Policy(401)),
        ("/public/..//admin", Policy(401)),
        ("/../admin", Policy(401)),
        ("/../../../admin/x", Policy(401)),
        ("/./admin", Policy(401)),
        ("/admin/./x", Policy(401)),
        ("/admin/.", Policy(401)),
        ("/admin/x/..", Policy(401)),
        ("/public/../admin?next=/public", Policy(401)),
        // Encoded dots.
        ("/public/%2e%2e/admin", Policy(401)),
        ("/public/%2E%2E/admin", Policy(401)),
        ("/public/.%2e/admin", Policy(401)),
        ("/public/%2e./admin", Policy(401)),
        ("/public/%2e%2e//%61dmin", Policy(401)),
        ("/%2e%2e/admin", Policy(401)),
        ("/%2e/admin", Policy(401)),
        // Encoded unreserved characters.
        ("/%61dmin", Policy(401)),
        ("/%61%64%6d%69%6e/x", Policy(401)),
        ("/%61%64%6D%69%6E", Policy(401)),
        ("/adm%69n/users", Policy(401)),
        // Repeated slashes.
        ("//admin", Policy(401)),
        ("///admin", Policy(401)),
        ("//admin//users", Policy(401)),
        // The allowed path is not a door to the rest.
        ("/admin/health/../secret", Policy(401)),
        ("/admin/health/%2e%2e/secret", Policy(401)),
        ("/admin/health/..", Policy(401)),
        ("/admin/health/./../secret", Policy(401)),
        // IP rules meet the normalised path too.
        ("/public/../internal/x", Policy(403)),
        ("/%69nternal/x", Policy(403)),
        ("//internal//x", Policy(403)),
        ("/public/%2e%2e/internal/x", Policy(403)),
        ("/internal/./x", Policy(403)),
        // Refused outright.
        ("/public/..%2fadmin", Refused),
        ("/public/..%2Fadmin", Refused),
        ("/public%2f..%2fadmin", Refused),
        ("/public/%2e%2e%2fadmin", Refused),
        ("/admin%2fusers", Refused),
        ("/public/..%5cadmin", Refused),
        ("/public/..%5Cadmin", Refused),
        ("/public/%2e%2e%5cadmin", Refused),
        ("/public/..\\admin", Refused),
        ("/public\\..\\admin", Refused),
        ("/admin%00", Refused),
        ("/public/%00/../admin", Refused),
        ("/public/%zz/../admin", Refused),
        ("/public/%/../admin", Refused),
        ("/public/%2/../admin", Refused),
        ("/public/..;/admin", Refused),
        ("/public/%2e%2e;/admin", Refused),
        ("/public/.;/../admin", Refused),
        // Reaches the public upstream, normalised; nothing is decoded twice.
        ("/public/./a//b/%7e", Reaches("public", "/public/a/b/~")),
        (
            "/public/%252e%252e/admin",
            Reaches("public", "/public/%252e%252e/admin"),
        ),
        (
            "/public/%c0%ae%c0%ae/admin",
            Reaches("public", "/public/%C0%AE%C0%AE/admin"),
        ),
        ("/public/a%20b/../c", Reaches("public", "/public/c")),
        ("/public/..", Reaches("public", "/")),
        ("/admin/health", Reaches("admin", "/admin/health")),
        ("//admin/./health", Reaches("admin", "/admin/health")),
        // strip_prefix and encoded slashes act on the normalised path.
        ("/strip/x/../y", Reaches("strip", "/y")),
        ("/public/../strip/%61", Reaches("strip", "/a")),
        ("/files/a%2fb", Reaches("files", "/files/a%2Fb")),
        (
            "/files/..%2f..%2fadmin",
            Reaches("files", "/files/..%2F..%2Fadmin"),
        ),
    ];
    for (target, expect) in cases {
        let before = (ups.protected(), ups.all());
        let res = get(&gw, target).await;
        let ctx = format!("GET {target}: {} {}", res.status, res.body_text());
        match *expect {
            Refused => {
                assert_eq!(res.status, 400, "{ctx}");
                assert_eq!(ups.all(), before.1, "{ctx}: reached an upstream");
            }
            Policy(status) => {
                assert_eq!(res.status, status, "{ctx}");
                assert_eq!(
                    ups.protected(),
                    before.0,
                    "{ctx}: reached a protected upstream"
                );
            }
            Reaches(node, path) => {
                assert_eq!(res.status, 200, "{ctx}");
                let echo = res.json();
                assert_eq!(echo["node"], node, "{ctx}");
                assert_eq!(echo["path"], path, "{ctx}");
            }
        }
    }
    assert_eq!(ups.protected(), 2, "only the two allowed-path requests");
    gw.stop().await;
}

/// The same rules on HTTP/2 and on a WebSocket upgrade: one code path.
#[tokio::test]
async fn http2_and_upgrade_requests_are_normalised_too() {
    let (ups, gw) = start().await;
    for (target, status) in [
        ("/public/%2e%2e/admin", 401),
        ("//admin", 401),
        ("/public/../internal/x", 403),
        ("/public/..%2fadmin", 400),
        ("/admin%00", 400),
    ] {
        let (got, _) = h2_get(&gw, target, None).await;
        assert_eq!(got, status, "h2 GET {target}");
        // A WebSocket handshake (the connection stays open, so read the head).
        let mut s = TcpStream::connect(addr(&gw)).await.unwrap();
        s.write_all(
            format!(
                "GET {target} HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let head = String::from_utf8_lossy(&buf[..n]);
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status} ")),
            "upgrade GET {target}: {head}"
        );
    }
    let (status, body) = h2_get(&gw, "/public/./a//b", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["path"], "/public/a/b");
    assert_eq!(ups.protected(), 0);
    gw.stop().await;
}

/// `GET target` over prior-knowledge HTTP/2 with `:authority gw.test`, and
/// a separate `host` header when given.
async fn h2_get(gw: &TestGateway, target: &str, host: Option<&str>) -> (u16, Value) {
    use http_body_util::{BodyExt, Empty};
    let stream = TcpStream::connect(addr(gw)).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let mut req = http::Request::get(format!("http://gw.test{target}"));
    if let Some(h) = host {
        req = req.header("host", h);
    }
    let res = send
        .send_request(req.body(Empty::<bytes::Bytes>::new()).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The token service matches its paths after normalisation.
#[tokio::test]
async fn token_endpoints_match_the_normalised_path() {
    let (ups, gw) = start().await;
    let basic = STANDARD.encode("app_one:one-secret-123");
    for target in [
        "/oauth/tokens",
        "/oauth/./tokens",
        "//oauth//tokens",
        "/%6fauth/tokens",
        "/x/../oauth/tokens",
    ] {
        let res = raw(
            &gw,
            &format!(
                "POST {target} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Basic {basic}\r\nContent-Length: 0"
            ),
        )
        .await;
        assert_eq!(res.status, 200, "POST {target}: {}", res.body_text());
        assert!(res.json()["access_token"].is_string(), "POST {target}");
    }
    for target in [
        "/.well-known/jwks.json",
        "//.well-known/./jwks.json",
        "/%2ewell-known/jwks.json",
    ] {
        let res = get(&gw, target).await;
        assert_eq!(res.status, 200, "GET {target}");
        assert!(
            res.json()["keys"].is_array(),
            "GET {target}: {}",
            res.body_text()
        );
    }
    assert_eq!(ups.all(), 0);
    gw.stop().await;
}

#[tokio::test]
async fn ambiguous_or_invalid_hosts_are_refused() {
    let (ups, gw) = start().await;
    let refused = [
        // Absolute-form naming another host than Host.
        "GET http://secret.example/x HTTP/1.1\r\nHost: gw.test",
        "GET http://gw.test/x HTTP/1.1\r\nHost: secret.example",
        "GET http://secret.example:80/x HTTP/1.1\r\nHost: secret.example",
        // More than one Host.
        "GET /x HTTP/1.1\r\nHost: gw.test\r\nHost: secret.example",
        "GET /x HTTP/1.1\r\nHost: secret.example\r\nHost: secret.example",
        "GET http://secret.example/x HTTP/1.1\r\nHost: secret.example\r\nHost: gw.test",
        // Not a host.
        "GET /x HTTP/1.1\r\nHost: user@secret.example",
        "GET http://user@secret.example/x HTTP/1.1\r\nHost: user@secret.example",
        "GET /x HTTP/1.1\r\nHost: secret.example/x",
        "GET /x HTTP/1.1\r\nHost: secret.example:80:80",
        "GET /x HTTP/1.1\r\nHost: secret.example:http",
        "GET /x HTTP/1.1\r\nHost: [::1",
        "GET /x HTTP/1.1\r\nHost: secret.example%2f",
        "GET /x HTTP/1.1\r\nHost: secret.example,gw.test",
        "GET /x HTTP/1.1\r\nHost: secret example",
    ];
    for head in refused {
        let res = raw(&gw, head).await;
        assert_eq!(res.status, 400, "{head:?}: {}", res.head);
    }
    assert_eq!(ups.all(), 0, "nothing reached an upstream");

    // HTTP/2: `:authority` and a `host` header that differ.
    for host in ["secret.example", "gw.test:81", "other"] {
        let (status, _) = h2_get(&gw, "/x", Some(host)).await;
        assert_eq!(status, 400, "h2 :authority gw.test, host {host}");
    }
    // ... and the same host twice is fine.
    let (status, echo) = h2_get(&gw, "/x", Some("gw.test")).await;
    assert_eq!(status, 200);
    assert_eq!(echo["headers"]["host"], "gw.test");
    assert_eq!(ups.protected(), 0);

    // Unambiguous forms route on their host and forward exactly it.
    let res = raw(&gw, "GET http://gw.test/x HTTP/1.1\r\nHost: gw.test").await;
    assert_eq!(res.status, 200, "{}", res.body_text());
    let echo = res.json();
    assert_eq!(echo["node"], "public");
    assert_eq!(echo["headers"]["host"], "gw.test");
    assert_eq!(echo["headers"]["x-forwarded-host"], "gw.test");
    let res = raw(&gw, "GET /x HTTP/1.1\r\nHost: SECRET.example").await;
    assert_eq!(res.status, 403, "the vhost's own policy decides");
    assert_eq!(ups.protected(), 0);
    gw.stop().await;
}

/// `Connection` may not name the headers the gateway sets itself.
#[tokio::test]
async fn connection_header_cannot_strip_gateway_headers() {
    let (ups, gw) = start().await;
    let basic = STANDARD.encode("app_one:one-secret-123");
    let token: Value = client()
        .post(gw.url("/oauth/tokens"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let lists = [
        "X-Weir-App-Id, X-Request-Id",
        "x-weir-app-id",
        "X-Request-Id, X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, Host",
        "keep-alive, X-WEIR-APP-ID, x-request-id, host",
    ];
    for list in lists {
        // The client also tries to spoof the tenant header.
        let res = raw(
            &gw,
            &format!(
                "GET /admin/users HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer {token}\r\nX-Weir-App-Id: app_admin\r\nX-Request-Id: req-123\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: {list}"
            ),
        )
        .await;
        assert_eq!(res.status, 200, "Connection: {list}: {}", res.body_text());
        let h = &res.json()["headers"];
        assert_eq!(h["x-weir-app-id"], "app_one", "Connection: {list}");
        assert_eq!(h["x-request-id"], "req-123", "Connection: {list}");
        assert_eq!(h["host"], "gw.test", "Connection: {list}");
        assert_eq!(h["x-forwarded-host"], "gw.test", "Connection: {list}");
        assert_eq!(h["x-forwarded-proto"], "http", "Connection: {list}");
        assert!(
            h["x-forwarded-for"]
                .as_str()
                .unwrap()
                .ends_with("127.0.0.1"),
            "Connection: {list}: {h}"
        );
        assert!(h.get("connection").is_none());
        assert_eq!(res.header("x-request-id").as_deref(), Some("req-123"));
    }
    // Without a token the spoofed tenant header never reaches an upstream.
    let res = raw(
        &gw,
        "GET /public/x HTTP/1.1\r\nHost: gw.test\r\nX-Weir-App-Id: app_one\r\nConnection: X-Weir-App-Id",
    )
    .await;
    assert_eq!(res.status, 200);
    assert!(res.json()["headers"].get("x-weir-app-id").is_none());
    assert!(res.header("x-request-id").is_some());
    assert_eq!(ups.admin.requests(), lists.len() as u64);
    gw.stop().await;
}

/// Explain normalises as the data plane does, says so, and agrees with it.
#[tokio::test]
async fn explain_sees_the_normalised_path_and_host() {
    use weir_proxy::{ExplainInput, explain};
    let (ups, gw) = start().await;
    let input = |path: &str, host: Option<&str>, headers: &[(&str, &str)]| ExplainInput {
        method: "GET".into(),
        host: host.map(str::to_owned),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    let cases = [
        ("/public/%2e%2e/admin", 401),
        ("//admin/./health", 200),
        ("/strip/x/../y?q=1", 200),
        ("/public/..%2fadmin", 400),
        ("/files/a%2fb", 200),
        ("/admin%00", 400),
        ("/public/../internal/x", 403),
    ];
    for (path, status) in cases {
        let out = explain(&gw.gateway.plane, &input(path, Some("gw.test"), &[])).unwrap();
        let v = serde_json::to_value(&out).unwrap();
        let real = get(&gw, path).await.status;
        assert_eq!(real, status, "GET {path}");
        match v["rejection"]["status"].as_u64() {
            Some(s) => assert_eq!(s, u64::from(status), "explain {path}: {v:#}"),
            None => assert_eq!(status, 200, "explain {path}: {v:#}"),
        }
        let path_step = v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["policy"] == "path");
        assert!(
            path_step.is_some(),
            "explain {path} names the path step: {v:#}"
        );
    }
    let v = serde_json::to_value(
        explain(
            &gw.gateway.plane,
            &input("/strip/x/../y?q=1", Some("gw.test"), &[]),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v["upstream_request"]["path"], "/y?q=1");
    // An already normal path gets no path step.
    let v = serde_json::to_value(
        explain(&gw.gateway.plane, &input("/public/x", Some("gw.test"), &[])).unwrap(),
    )
    .unwrap();
    assert!(
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["policy"] != "path")
    );
    // Hosts: explain refuses what the data plane refuses.
    for (host, headers) in [
        (Some("gw.test"), vec![("host", "secret.example")]),
        (Some("user@gw.test"), vec![]),
        (Some("gw.test:http"), vec![]),
    ] {
        let v =
            serde_json::to_value(explain(&gw.gateway.plane, &input("/x", host, &headers)).unwrap())
                .unwrap();
        assert_eq!(v["rejection"]["status"], 400, "{host:?} {headers:?}: {v:#}");
    }
    // The gateway's headers in the explained upstream request survive a
    // Connection list naming them.
    let v = serde_json::to_value(
        explain(
            &gw.gateway.plane,
            &input(
                "/public/x",
                Some("gw.test"),
                &[
                    ("connection", "X-Request-Id, Host"),
                    ("x-request-id", "r-1"),
                ],
            ),
        )
        .unwrap(),
    )
    .unwrap();
    let sent = v["upstream_request"]["headers"].as_array().unwrap();
    let header = |n: &str| {
        sent.iter()
            .find(|h| h["name"] == n)
            .map(|h| h["value"].clone())
    };
    assert_eq!(header("x-request-id"), Some("r-1".into()));
    assert_eq!(header("host"), Some("gw.test".into()));
    assert!(ups.protected() <= 1);
    gw.stop().await;
}
