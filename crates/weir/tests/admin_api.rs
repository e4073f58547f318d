//! The admin API against a real gateway: a service created through the API
//! serves traffic within a second and a rollback removes it within a
//! second; explain agrees with what the data plane actually does; the first
//! admin is bootstrapped; `weir apply/export --server` work over the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{TestGateway, api_token, client};
use serde_json::{Value, json};
use weir_store::{AuditFilter, Store};
use weir_testkit::TestUpstream;

fn admin_url(gw: &TestGateway, path: &str) -> String {
    format!("http://{}{path}", gw.gateway.admin_addr.unwrap())
}

/// Poll `url` on the data plane until `done(status, body)` or `within`.
async fn wait_until(url: &str, within: Duration, done: impl Fn(u16, &Value) -> bool) -> Duration {
    let http = client();
    let start = Instant::now();
    loop {
        if let Ok(res) = http.get(url).send().await {
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if done(status, &body) {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < within,
            "{url} did not change within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_service_is_live_within_a_second_and_rollback_removes_it() {
    let up = TestUpstream::start("fresh").await;
    let gw = TestGateway::start("").await;
    let token = api_token(&gw.store, "admin").await;
    let http = client();
    let url = gw.url("/fresh/hello");
    assert_eq!(http.get(&url).send().await.unwrap().status(), 404);
    let before = gw.store.revision().await.unwrap();

    let res = http
        .post(admin_url(&gw, "/api/v1/services"))
        .bearer_auth(&token)
        .json(&json!({"name": "fresh", "match": {"prefix": "/fresh/"},
                      "upstream": {"nodes": [{"addr": up.addr.to_string()}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let took = wait_until(&url, Duration::from_secs(1), |s, b| {
        s == 200 && b["node"] == "fresh"
    })
    .await;
    eprintln!("created service live after {took:?}");

    let res = http
        .post(admin_url(
            &gw,
            &format!("/api/v1/revisions/{before}/rollback"),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let took = wait_until(&url, Duration::from_secs(1), |s, _| s == 404).await;
    eprintln!("rolled back after {took:?}");
    gw.stop().await;
}

/// The admin listener takes the client from `X-Forwarded-For` only when the
/// peer is in `admin.trusted_proxies` (the balancer in front of several
/// admin processes): `proxy.trusted_proxies`, the data plane's list, does
/// not count there, so a network trusted to name data-plane clients cannot
/// pick its address, and a fresh login allowance, on the admin listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_listener_trusts_only_admin_trusted_proxies() {
    for (admin_trusts, audited) in [(false, "127.0.0.1"), (true, "198.51.100.7")] {
        let gw = TestGateway::start_with("", |cfg| {
            cfg.proxy.trusted_proxies = vec!["127.0.0.1".into()];
            if admin_trusts {
                cfg.admin.trusted_proxies = vec!["127.0.0.1".into()];
            }
        })
        .await;
        let res = client()
            .post(admin_url(&gw, "/api/v1/session"))
            .header("x-forwarded-for", "198.51.100.7")
            .json(&json!({"username": "nobody", "password": "not a password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let filter = AuditFilter {
            action: "session.login".into(),
            ..AuditFilter::default()
        };
        let (_, entries) = gw.store.audit(&filter, 0, 10).await.unwrap();
        let ips: Vec<&str> = entries.iter().map(|e| e.entry.ip.as_str()).collect();
        assert_eq!(ips, [audited], "admin.trusted_proxies set: {admin_trusts}");
        gw.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_admin_is_bootstrapped_with_argon2id_and_must_change() {
    let gw = TestGateway::start("").await;
    let admin = gw.store.user("admin").await.unwrap().unwrap();
    assert!(weir_admin::auth::password::is_argon2id(
        &admin.password_hash
    ));
    assert!(
        admin
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(admin.must_change);
    assert_eq!(admin.role, "admin");
    // The admin listener answers; the docs are served.
    let res = client()
        .get(admin_url(&gw, "/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client()
        .get(admin_url(&gw, "/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let res = client()
        .get(admin_url(&gw, "/api/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    gw.stop().await;
}

/// Every English sentence of an explanation (`route.reason`, each
/// policy's, the rejection's and the balancer's `detail`) has a snake_case
/// code and an object of string parameters beside it.
fn assert_texts_are_coded(explained: &Value, ctx: &str) {
    let coded = |v: &Value, field: &str| {
        assert!(
            v[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {ctx}"
        );
        let code = v[format!("{field}_code")].as_str().unwrap_or("");
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{field}_code {code:?}: {ctx}"
        );
        let params = v[format!("{field}_params")].as_object();
        assert!(
            params.is_some_and(|p| p.values().all(Value::is_string)),
            "{field}_params: {ctx}"
        );
    };
    for p in explained["policies"].as_array().unwrap() {
        coded(p, "detail");
    }
    for (part, field) in [
        ("route", "reason"),
        ("rejection", "detail"),
        ("balancer", "detail"),
    ] {
        if !explained[part].is_null() {
            coded(&explained[part], field);
        }
    }
}

fn policy<'a>(explained: &'a Value, name: &str) -> &'a Value {
    explained["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == name)
        .unwrap_or_else(|| panic!("no {name} policy in {explained:#}"))
}

/// Explain each request through the API, send it through the data plane,
/// and compare: the service, the verdict and status, the upstream path and
/// headers the node saw, and the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_agrees_with_the_data_plane() {
    let ups: Vec<TestUpstream> = futures_join(["n0", "n1", "n2", "solo", "host"]).await;
    let addr: HashMap<String, String> = ups
        .iter()
        .map(|u| (u.addr.to_string(), u.name.clone()))
        .collect();
    let a = |i: usize| ups[i].addr.to_string();
    let yaml = format!(
        r#"services:
  - name: hashed
    match: {{ prefix: /hash/ }}
    upstream:
      balance: consistent_hash
      hash_key: header:x-user
      nodes: [{{ addr: "{n0}" }}, {{ addr: "{n1}" }}, {{ addr: "{n2}" }}]
  - name: rotating
    match: {{ prefix: /rr/ }}
    upstream: {{ nodes: [{{ addr: "{n0}" }}, {{ addr: "{n1}" }}, {{ addr: "{n2}", enabled: false }}] }}
  - name: rewritten
    match: {{ prefix: /api/ }}
    strip_prefix: true
    rewrite: [{{ pattern: "^/v1/(.*)", replacement: "/internal/$1" }}]
    request_headers:
      - {{ op: set, name: X-Gateway, value: weir }}
      - {{ op: add, name: X-Tag, value: blue }}
      - {{ op: remove, name: X-Debug }}
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
  - name: by_host
    match: {{ host: api.example.com }}
    upstream: {{ nodes: [{{ addr: "{host}" }}] }}
  - name: denied
    match: {{ prefix: /denied/ }}
    access: {{ ip_deny: {{ ips: ["127.0.0.0/8"] }} }}
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
  - name: allowed_only
    match: {{ prefix: /allowed/ }}
    access: {{ ip_allow: {{ ips: ["127.0.0.1"] }}, ip_deny: {{ ips: ["127.0.0.1"] }} }}
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
  - name: private
    match: {{ prefix: /private/ }}
    access: {{ auth: {{ enabled: true, allow_paths: ["/private/health", "/private/open/*"] }} }}
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
  - name: secure
    match: {{ prefix: /secure/ }}
    https_redirect: true
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
  - name: limited
    match: {{ prefix: /limited/ }}
    limits: {{ service_qps: 1000 }}
    upstream: {{ nodes: [{{ addr: "{solo}" }}] }}
"#,
        n0 = a(0),
        n1 = a(1),
        n2 = a(2),
        solo = a(3),
        host = a(4),
    );
    let gw = TestGateway::start(&yaml).await;
    let viewer = api_token(&gw.store, "viewer").await;
    // Redirects are answers to compare, not to follow.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    struct Case {
        host: Option<&'static str>,
        path: &'static str,
        headers: Vec<(&'static str, String)>,
    }
    let case = |path: &'static str, headers: Vec<(&'static str, String)>| Case {
        host: None,
        path,
        headers,
    };
    let mut cases = vec![
        case(
            "/api/v1/users?id=7",
            vec![("x-debug", "1".into()), ("x-tag", "red".into())],
        ),
        case("/nowhere", vec![]),
        case("/denied/x", vec![]),
        case("/allowed/x", vec![]),
        case("/private/data", vec![]),
        case(
            "/private/data",
            vec![("authorization", "Bearer not.a.jwt".into())],
        ),
        case("/private/health", vec![]),
        case("/private/open/a/b", vec![]),
        case("/limited/x", vec![]),
        case("/secure/x?y=1", vec![]),
        case("/rr/x", vec![]),
        Case {
            host: Some("api.example.com"),
            path: "/anything",
            headers: vec![],
        },
        Case {
            host: Some("other.example.com"),
            path: "/api/v1/x",
            headers: vec![],
        },
    ];
    for user in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        cases.push(case("/hash/item", vec![("x-user", user.into())]));
    }

    for c in &cases {
        let mut headers = serde_json::Map::new();
        for (k, v) in &c.headers {
            headers.insert((*k).into(), Value::String(v.clone()));
        }
        let mut body =
            json!({"method": "GET", "path": c.path, "headers": headers, "client_ip": "127.0.0.1"});
        if let Some(h) = c.host {
            body["host"] = json!(h);
        }
        let res = http
            .post(admin_url(&gw, "/api/v1/explain"))
            .bearer_auth(&viewer)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let explained: Value = res.json().await.unwrap();

        let mut req = http.get(gw.url(c.path));
        for (k, v) in &c.headers {
            req = req.header(*k, v);
        }
        if let Some(h) = c.host {
            req = req.header("host", h);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let seen: Value = res.json().await.unwrap_or(Value::Null);
        let ctx = format!(
            "{} {:?}: explained {explained:#}\nactual {status} {seen}",
            c.path, c.headers
        );

        // Every sentence comes with its code and parameters, for the
        // dashboard to say in its language.
        assert_texts_are_coded(&explained, &ctx);
        match (c.path, c.host) {
            ("/denied/x", None) => {
                let deny = policy(&explained, "ip_deny");
                assert_eq!(deny["detail_code"], "on_deny_list", "{ctx}");
                assert_eq!(deny["detail_params"]["client"], "127.0.0.1", "{ctx}");
                assert_eq!(deny["detail"], "127.0.0.1 is on the deny list", "{ctx}");
            }
            ("/nowhere", None) => {
                let routing = policy(&explained, "routing");
                assert_eq!(routing["detail_code"], "no_service_for", "{ctx}");
                assert_eq!(routing["detail_params"]["path"], "/nowhere", "{ctx}");
                assert_eq!(
                    explained["rejection"]["detail_code"], "no_service_matches",
                    "{ctx}"
                );
            }
            (_, Some("api.example.com")) => {
                assert_eq!(explained["route"]["reason_code"], "route_host", "{ctx}");
                assert_eq!(
                    explained["route"]["reason_params"]["request_host"], "api.example.com",
                    "{ctx}"
                );
            }
            _ => {}
        }
        match explained["verdict"].as_str().unwrap() {
            "reject" => {
                let rejection = &explained["rejection"];
                assert_eq!(
                    rejection["status"].as_u64(),
                    Some(u64::from(status)),
                    "{ctx}"
                );
                assert_eq!(seen["code"], rejection["code"], "{ctx}");
            }
            "forward" => {
                assert_eq!(status, 200, "{ctx}");
                let upstream = &explained["upstream_request"];
                // The path and query the node received.
                let got = match seen["query"].as_str() {
                    Some(q) => format!("{}?{q}", seen["path"].as_str().unwrap()),
                    None => seen["path"].as_str().unwrap().to_owned(),
                };
                assert_eq!(upstream["path"].as_str(), Some(got.as_str()), "{ctx}");
                // Every header explain predicts arrived with that value.
                for h in upstream["headers"].as_array().unwrap() {
                    let name = h["name"].as_str().unwrap();
                    let value = h["value"].as_str().unwrap();
                    if name == "x-request-id" && value == "(generated)" {
                        assert!(seen["headers"][name].is_string(), "{ctx}");
                        continue;
                    }
                    let arrived = match &seen["headers"][name] {
                        Value::Array(list) => list
                            .iter()
                            .map(|v| v.as_str().unwrap())
                            .collect::<Vec<_>>()
                            .join(", "),
                        Value::String(s) => s.clone(),
                        other => panic!("{name} did not arrive ({other}); {ctx}"),
                    };
                    let predicted: Vec<_> = upstream["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|x| x["name"] == name)
                        .map(|x| x["value"].as_str().unwrap())
                        .collect();
                    assert_eq!(arrived, predicted.join(", "), "header {name}; {ctx}");
                }
                assert!(seen["headers"]["x-debug"].is_null(), "{ctx}");
                // The node.
                let balancer = &explained["balancer"];
                let actual = seen["node"].as_str().unwrap();
                let candidates: Vec<&str> = balancer["candidates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| addr[n["addr"].as_str().unwrap()].as_str())
                    .collect();
                assert!(candidates.contains(&actual), "{ctx}");
                if balancer["deterministic"] == true {
                    let predicted = &addr[balancer["node"]["addr"].as_str().unwrap()];
                    assert_eq!(predicted, actual, "{ctx}");
                }
            }
            other => panic!("verdict {other}"),
        }
    }

    // Explain changes no state: the round-robin rotation is where it was.
    let mut first = Vec::new();
    for _ in 0..4 {
        let v: Value = http
            .get(gw.url("/rr/x"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        first.push(v["node"].as_str().unwrap().to_owned());
    }
    for _ in 0..50 {
        http.post(admin_url(&gw, "/api/v1/explain"))
            .bearer_auth(&viewer)
            .json(&json!({"path": "/rr/x", "client_ip": "127.0.0.1"}))
            .send()
            .await
            .unwrap();
    }
    let v: Value = http
        .get(gw.url("/rr/x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(
        v["node"].as_str().unwrap(),
        first[3],
        "rotation moved on: {first:?}"
    );
    assert_eq!(
        v["node"].as_str().unwrap(),
        first[2],
        "explain moved the rotation: {first:?}"
    );

    // A request that could not have been sent is refused field by field,
    // each reason with its code (the dashboard words it).
    for (body, path, code) in [
        (
            json!({"method": "G T", "path": "/x"}),
            "method",
            "method_invalid",
        ),
        (json!({"path": "x"}), "path", "must_start_with_slash"),
        (json!({"path": "/x y"}), "path", "request_path_invalid"),
        (
            json!({"path": "/x", "headers": {"a b": "1"}}),
            "headers.a b",
            "header_name_invalid",
        ),
        (
            json!({"path": "/x", "host": "a\u{1}b"}),
            "host",
            "host_invalid",
        ),
        (
            json!({"path": "/x", "client_ip": "nobody"}),
            "client_ip",
            "not_an_ip",
        ),
    ] {
        let mut body = body;
        if body.get("client_ip").is_none() {
            body["client_ip"] = json!("10.0.0.1");
        }
        let res = http
            .post(admin_url(&gw, "/api/v1/explain"))
            .bearer_auth(&viewer)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
        let problem: Value = res.json().await.unwrap();
        let e = &problem["errors"][0];
        assert_eq!(
            (e["path"].as_str(), e["code"].as_str()),
            (Some(path), Some(code)),
            "{body}: {problem}"
        );
    }
    gw.stop().await;
}

/// Run the `weir` binary; `(exit code, stdout, stderr)`.
fn run(args: Vec<String>) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(&args)
        .env_remove("WEIR_API_TOKEN")
        .env_remove("WEIR_SERVER")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn futures_join<const N: usize>(names: [&str; N]) -> Vec<TestUpstream> {
    let mut out = Vec::new();
    for n in names {
        out.push(TestUpstream::start(n).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_and_export_over_the_admin_api() {
    let gw = TestGateway::start("").await;
    let token = api_token(&gw.store, "admin").await;
    let server = format!("http://{}", gw.gateway.admin_addr.unwrap());
    let file = gw.dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "services:\n  - { name: remote, match: { prefix: /remote/ }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] } }\n",
    )
    .unwrap();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let f = file.display().to_string();

    let (code, out, err) = run(s(&[
        "apply",
        "--server",
        &server,
        "--token",
        &token,
        "-f",
        &f,
        "--dry-run",
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("+ service remote") && out.contains("dry run"),
        "{out}"
    );
    let (code, out, err) = tokio::task::spawn_blocking({
        let args = s(&[
            "apply", "--server", &server, "--token", &token, "-f", &f, "-m", "from CI",
        ]);
        move || run(args)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}{err}");
    let written = gw.store.revision().await.unwrap();
    assert!(
        out.contains(&format!("applied revision {written}")),
        "{out}"
    );
    let rev = gw.store.revision_entry(written).await.unwrap().unwrap();
    assert_eq!(
        (
            rev.author.as_str(),
            rev.source.as_str(),
            rev.summary.as_str()
        ),
        ("admin-test", "api", "from CI")
    );

    let (code, out, err) = run(s(&["export", "--server", &server, "--token", &token]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("name: remote"), "{out}");

    // Errors: invalid file names the field; a bad token is refused.
    std::fs::write(
        &file,
        "services:\n  - { name: bad, match: { prefix: nope }, upstream: { nodes: [] } }\n",
    )
    .unwrap();
    let (code, _, err) = run(s(&[
        "apply", "--server", &server, "--token", &token, "-f", &f,
    ]));
    assert_eq!(code, Some(1));
    assert!(err.contains("services[0].match.prefix"), "{err}");
    let (code, _, err) = run(s(&[
        "export",
        "--server",
        &server,
        "--token",
        "weir_wrong_token",
    ]));
    assert_eq!(code, Some(1));
    assert!(err.contains("401"), "{err}");
    let (code, _, err) = run(s(&["export", "--server", &server]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--token"), "{err}");
    gw.stop().await;
}

/// `weir admin` (no proxy role) follows the store for explain and says it
/// serves no traffic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_only_process_explains_the_current_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let store_url = format!("sqlite://{}/weir.db", dir.path().display());
    let store = Store::open(&store_url).await.unwrap();
    common::apply(
        &store,
        "services:\n  - { name: x, match: { prefix: /x/ }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] } }\n",
    )
    .await;
    let token = api_token(&store, "viewer").await;
    let mut cfg = weir::ProcessConfig::default();
    cfg.listen.http = "127.0.0.1:0".parse().unwrap();
    cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
    cfg.store.url = store_url;
    let gw = weir::Gateway::start_roles(
        &cfg,
        weir::Roles {
            proxy: false,
            admin: true,
        },
    )
    .await
    .unwrap();
    assert!(gw.http_addr.is_none());
    let base = format!("http://{}", gw.admin_addr.unwrap());
    let http = client();
    let start = Instant::now();
    let explained: Value = loop {
        let res = http
            .post(format!("{base}/api/v1/explain"))
            .bearer_auth(&token)
            .json(&json!({"path": "/x/1", "client_ip": "10.1.2.3"}))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            break res.json().await.unwrap();
        }
        assert_eq!(res.status(), 503, "not ready yet is the only other answer");
        assert!(start.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(explained["route"]["service"], "x");
    assert_eq!(explained["verdict"], "forward");
    let status: Value = http
        .get(format!("{base}/api/v1/status"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["data_plane"], false);
    gw.shutdown().await;
    store.close().await;
}

/// Self-registration over HTTP against a real gateway: a `registrar` token
/// registers and heartbeats an instance, the registration survives a
/// restart of the gateway on the same store (same id, still renewable), it
/// wrote no revision, and deregistration removes it. (Whether traffic then
/// reaches registered instances is the data plane's test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_survive_a_gateway_restart() {
    let gw = TestGateway::start(
        "services:\n  - { name: api, match: { prefix: /api/ }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] },\n      registration: { enabled: true, allowed_cidrs: [127.0.0.0/8] } }\n",
    )
    .await;
    let registrar = api_token(&gw.store, "registrar").await;
    let revision = gw.store.revision().await.unwrap();
    let http = client();
    let regs = admin_url(&gw, "/api/v1/services/api/registrations");
    let res = http
        .post(&regs)
        .bearer_auth(&registrar)
        .json(&json!({"addr": "127.0.0.1:18080", "weight": 2, "ttl": "1m",
                      "metadata": {"version": "1.0"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let reg: Value = res.json().await.unwrap();
    let id = reg["id"].as_str().unwrap().to_owned();
    let res = http
        .put(format!("{regs}/{id}"))
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The registrar may do nothing else.
    let res = http
        .get(admin_url(&gw, "/api/v1/services"))
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Restart on the same store.
    let dir = gw.stop_keep_dir().await;
    let store_url = format!("sqlite://{}/weir.db", dir.path().display());
    let mut cfg = weir::ProcessConfig::default();
    cfg.listen.http = "127.0.0.1:0".parse().unwrap();
    cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
    cfg.listen.https = "off".into();
    cfg.store.url = store_url.clone();
    cfg.log.access = "off".into();
    let gw = weir::Gateway::start(&cfg).await.unwrap();
    let regs = format!(
        "http://{}/api/v1/services/api/registrations",
        gw.admin_addr.unwrap()
    );
    let listed: Value = http
        .get(&regs)
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1, "{listed}");
    let item = &listed["items"][0];
    assert_eq!(
        (
            &item["id"],
            &item["addr"],
            &item["weight"],
            &item["metadata"]
        ),
        (
            &json!(id),
            &json!("127.0.0.1:18080"),
            &json!(2),
            &json!({"version": "1.0"})
        )
    );
    let res = http
        .put(format!("{regs}/{id}"))
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .delete(format!("{regs}/{id}"))
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let listed: Value = http
        .get(&regs)
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0);
    gw.shutdown().await;
    let store = Store::open(&store_url).await.unwrap();
    assert_eq!(
        store.revision().await.unwrap(),
        revision,
        "registrations write no revision"
    );
    store.close().await;
}

/// Issue 15: `weir apply --server` shows that a tenant secret changed,
/// never the secret (the server's fields are redacted, and so is what the
/// client prints).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_apply_never_prints_secrets() {
    let gw = TestGateway::start("").await;
    let token = api_token(&gw.store, "admin").await;
    let server = format!("http://{}", gw.gateway.admin_addr.unwrap());
    let file = gw.dir.path().join("t.yaml");
    let f = file.display().to_string();
    let mut outputs = String::new();
    for secret in ["first-remote-secret-0123", "second-remote-secret-4567"] {
        std::fs::write(
            &file,
            format!("tenants:\n  - {{ app_id: shop, secret: {secret} }}\n"),
        )
        .unwrap();
        let args: Vec<String> = ["apply", "--server", &server, "--token", &token, "-f", &f]
            .iter()
            .map(|x| (*x).to_owned())
            .collect();
        let (code, out, err) = tokio::task::spawn_blocking(move || run(args))
            .await
            .unwrap();
        assert_eq!(code, Some(0), "{out}{err}");
        outputs.push_str(&out);
        outputs.push_str(&err);
    }
    assert!(!outputs.contains("remote-secret"), "{outputs}");
    assert!(
        outputs.contains("secret: <redacted> -> <redacted, changed>"),
        "{outputs}"
    );
    gw.stop().await;
}
