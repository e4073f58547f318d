//! Routing beyond host and prefix, through a real gateway to real
//! upstreams: exact paths, path regexes, and method, header and query
//! conditions, with the documented precedence (docs/proxying.md,
//! "Routing") and fall-through when a route's conditions do not hold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestGateway, client, node};
use weir_testkit::TestUpstream;

/// Where `req` goes: the upstream's name, or the status when the gateway
/// answered itself.
async fn target(req: reqwest::RequestBuilder) -> String {
    let res = req.send().await.unwrap();
    if res.status() != 200 {
        return res.status().as_u16().to_string();
    }
    let v: serde_json::Value = res.json().await.unwrap();
    node(&v).to_owned()
}

#[tokio::test]
async fn routes_by_exact_path_regex_method_header_and_query() {
    let names = [
        "users",
        "canary",
        "writes",
        "one",
        "numeric",
        "beta",
        "host",
        "hosted_get",
    ];
    let mut ups = Vec::new();
    for n in names {
        ups.push(TestUpstream::start(n).await);
    }
    let addr = |n: &str| ups[names.iter().position(|x| *x == n).unwrap()].addr;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - {{ name: users, match: {{ prefix: /users/ }}, upstream: {{ nodes: [{{ addr: "{}" }}] }} }}
  - name: canary
    match: {{ prefix: /users/, headers: [{{ name: X-Canary, exact: "1" }}] }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: writes
    match: {{ prefix: /users/, methods: [POST, PUT] }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: one
    match: {{ path: /users/1 }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: numeric
    match: {{ path_regex: "/users/[0-9]+" }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: beta
    match:
      prefix: /users/beta/
      query: [{{ name: beta, present: true }}, {{ name: v, regex: "2|3" }}]
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: host
    match: {{ host: api.test }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: hosted_get
    match: {{ host: api.test, prefix: /users/, methods: [GET], headers: [{{ name: X-Debug, present: false }}] }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
"#,
        addr("users"),
        addr("canary"),
        addr("writes"),
        addr("one"),
        addr("numeric"),
        addr("beta"),
        addr("host"),
        addr("hosted_get"),
    ))
    .await;
    let http = client();
    let get = |p: &str| http.get(gw.url(p));
    // Exact path, then the regex (whole path only), then the prefix.
    assert_eq!(target(get("/users/1")).await, "one");
    assert_eq!(target(get("/users/42")).await, "numeric");
    assert_eq!(target(get("/users/42/")).await, "users");
    assert_eq!(target(get("/users/42x")).await, "users");
    assert_eq!(
        target(get("/users/1?x=1")).await,
        "one",
        "query not in the path"
    );
    // Conditions on a shared prefix: a method outranks a header.
    assert_eq!(target(get("/users/me")).await, "users");
    assert_eq!(
        target(get("/users/me").header("x-canary", "1")).await,
        "canary"
    );
    assert_eq!(
        target(get("/users/me").header("x-canary", "2")).await,
        "users"
    );
    assert_eq!(
        target(http.post(gw.url("/users/me")).header("x-canary", "1")).await,
        "writes"
    );
    assert_eq!(target(http.put(gw.url("/users/me"))).await, "writes");
    assert_eq!(target(http.delete(gw.url("/users/me"))).await, "users");
    // A header sent twice matches when one of its values does.
    assert_eq!(
        target(
            get("/users/me")
                .header("x-canary", "0")
                .header("x-canary", "1")
        )
        .await,
        "canary"
    );
    // Query conditions, percent-decoded; a longer prefix whose conditions
    // fail falls through to the shorter one.
    assert_eq!(target(get("/users/beta/x?beta&v=2")).await, "beta");
    assert_eq!(target(get("/users/beta/x?b%65ta=1&v=3")).await, "beta");
    assert_eq!(target(get("/users/beta/x?beta&v=23")).await, "users");
    assert_eq!(target(get("/users/beta/x?v=2")).await, "users");
    // Host first; conditions within the host; a failed condition falls to
    // the host-only route, not to another host level.
    let on_host =
        |m: reqwest::Method, p: &str| http.request(m, gw.url(p)).header("host", "api.test");
    assert_eq!(
        target(on_host(reqwest::Method::GET, "/users/7")).await,
        "hosted_get"
    );
    assert_eq!(
        target(on_host(reqwest::Method::GET, "/users/7").header("x-debug", "1")).await,
        "host"
    );
    // `methods: [GET]` does not take HEAD (a HEAD answer has no body to
    // name the upstream: its request log does).
    let head = on_host(reqwest::Method::HEAD, "/users/7")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let host_up = &ups[names.iter().position(|x| *x == "host").unwrap()];
    assert_eq!(host_up.received().last().unwrap(), "HEAD /users/7");
    assert_eq!(
        target(on_host(reqwest::Method::GET, "/other")).await,
        "host"
    );
    // No route at all.
    assert_eq!(target(get("/nothing")).await, "404");
    // What reached the exact-path service, and nothing else did.
    assert_eq!(
        ups[names.iter().position(|x| *x == "one").unwrap()].received(),
        ["GET /users/1", "GET /users/1"]
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_reload_changes_routes_and_refuses_ambiguous_ones() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - {{ name: a, match: {{ prefix: /api/ }}, upstream: {{ nodes: [{{ addr: "{}" }}] }} }}
"#,
        a.addr
    ))
    .await;
    let http = client();
    let canary = || http.get(gw.url("/api/x")).header("x-canary", "yes");
    assert_eq!(target(canary()).await, "a");
    let rev = gw
        .reconfigure(&format!(
            r#"
services:
  - {{ name: a, match: {{ prefix: /api/ }}, upstream: {{ nodes: [{{ addr: "{}" }}] }} }}
  - name: b
    match: {{ prefix: /api/, headers: [{{ name: x-canary, regex: "y.*" }}] }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
"#,
            a.addr, b.addr
        ))
        .await;
    gw.wait_for_revision(rev, std::time::Duration::from_secs(10))
        .await;
    assert_eq!(target(canary()).await, "b");
    assert_eq!(target(http.get(gw.url("/api/x"))).await, "a");

    // The same host, path and conditions twice: refused, naming the field.
    let doc: weir_core::ConfigDocument = weir_core::yaml::parse_document(&format!(
        r#"
services:
  - name: c
    match: {{ prefix: /api/, headers: [{{ name: X-Canary, regex: "y.*" }}] }}
    upstream: {{ nodes: [{{ addr: "{0}" }}] }}
  - name: d
    match: {{ prefix: /api/, headers: [{{ name: x-canary, regex: "y.*" }}] }}
    upstream: {{ nodes: [{{ addr: "{0}" }}] }}
"#,
        a.addr
    ))
    .unwrap();
    let e = weir_core::compile(&doc).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e:?}");
    assert_eq!(e.errors[0].path, "services[1].match");
    assert_eq!(e.errors[0].code, "route_taken");
    assert!(
        e.errors[0].message.contains("header x-canary ~"),
        "{}",
        e.errors[0].message
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_preflight_is_routed_as_the_method_it_asks_about() {
    let writes = TestUpstream::start("writes").await;
    let reads = TestUpstream::start("reads").await;
    let gw = TestGateway::start(&format!(
        r#"
services:
  - name: writes
    match: {{ prefix: /items/, methods: [PUT] }}
    cors: {{ allow_origins: ["https://app.test"], allow_methods: [PUT] }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - {{ name: reads, match: {{ prefix: /items/ }}, upstream: {{ nodes: [{{ addr: "{}" }}] }} }}
"#,
        writes.addr, reads.addr
    ))
    .await;
    let http = client();
    let preflight = |method: &str| {
        http.request(reqwest::Method::OPTIONS, gw.url("/items/1"))
            .header("origin", "https://app.test")
            .header("access-control-request-method", method)
    };
    // The PUT's preflight reaches the PUT service, whose CORS answers it.
    let res = preflight("PUT").send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.test"
    );
    assert_eq!(writes.requests(), 0, "answered by the gateway");
    // A GET's preflight goes where the GET would: forwarded, no CORS there.
    let res = preflight("GET").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(reads.received(), ["OPTIONS /items/1"]);
    // A plain OPTIONS (no Origin) is routed as OPTIONS.
    let res = http
        .request(reqwest::Method::OPTIONS, gw.url("/items/1"))
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(reads.requests(), 2);
    gw.stop().await;
}
