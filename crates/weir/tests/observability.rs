//! Traffic statistics, Prometheus metrics and the access log, end to end:
//! counts match the requests sent and survive a restart, `/metrics` is valid
//! exposition text without per-tenant labels, and every access log line is
//! a JSON object with the documented fields.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{TestGateway, client};
use serde_json::Value;
use weir::ProcessConfig;
use weir_testkit::TestUpstream;

fn config(up: &TestUpstream) -> String {
    format!(
        r#"services:
  - name: open
    match: {{ prefix: /open/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
  - name: api
    match: {{ prefix: /api/ }}
    access: {{ auth: {{ enabled: true }} }}
    limits: {{ service_qps: 1000 }}
    upstream: {{ nodes: [{{ addr: "{a}" }}] }}
tenants:
  - {{ app_id: app_one, secret: "one-secret-123" }}
"#,
        a = up.addr
    )
}

async fn bearer(gw: &TestGateway) -> String {
    let res = client()
        .post(gw.url("/oauth/tokens"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode("app_one:one-secret-123")),
        )
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    format!("Bearer {}", v["access_token"].as_str().unwrap())
}

/// Requests today for a scope, summed from the store's hourly rows.
async fn stored_total(store: &weir_store::Store, scope: &str, name: &str) -> (u64, [u64; 5]) {
    let now = jiff::Timestamp::now().as_second();
    let rows = store
        .stats_hours(scope, name, now - 2 * 86_400, now + 3600)
        .await
        .unwrap();
    let mut status = [0; 5];
    for r in &rows {
        for (a, b) in status.iter_mut().zip(r.status) {
            *a += b;
        }
    }
    (rows.iter().map(|r| r.requests).sum(), status)
}

fn fast_flush(c: &mut ProcessConfig) {
    c.stats.flush_interval = weir_core::HumanDuration::from_millis(200);
}

#[tokio::test]
async fn statistics_match_requests_and_survive_a_restart() {
    let up = TestUpstream::start("up").await;
    let yaml = config(&up);
    let gw = TestGateway::start_with(&yaml, fast_flush).await;
    let auth = bearer(&gw).await;
    let http = client();
    for _ in 0..7 {
        let r = http.get(gw.url("/open/x")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    for _ in 0..5 {
        let r = http
            .get(gw.url("/api/x"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    for _ in 0..2 {
        let r = http.get(gw.url("/api/x")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        r.bytes().await.unwrap();
    }
    let r = http.get(gw.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // Live counters first.
    let plane = &gw.gateway.plane;
    let svc = |n: &str| {
        plane
            .stats
            .get(weir_proxy::Scope::Service, n)
            .unwrap()
            .counters()
    };
    assert_eq!(svc("open").requests, 7);
    assert_eq!(svc("api").requests, 7);
    assert_eq!(svc("api").status, [0, 5, 0, 2, 0]);
    let tenant = plane
        .stats
        .get(weir_proxy::Scope::Tenant, "app_one")
        .unwrap()
        .counters();
    assert_eq!(tenant.requests, 5, "only the authenticated requests");

    // Shut down (final flush) and look at the store.
    let dir = gw.stop_keep_dir().await;
    let store_url = format!("sqlite://{}/weir.db", dir.path().display());
    let store = weir_store::Store::open(&store_url).await.unwrap();
    assert_eq!(stored_total(&store, "service", "open").await.0, 7);
    let (api, api_status) = stored_total(&store, "service", "api").await;
    assert_eq!((api, api_status), (7, [0, 5, 0, 2, 0]));
    assert_eq!(stored_total(&store, "tenant", "app_one").await.0, 5);
    // Gateway: 7 + 7 + 1 (no route) + 1 (token request).
    assert_eq!(stored_total(&store, "gateway", "").await.0, 16);
    let rows = store
        .stats_hours("service", "api", 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(rows[0].rejections.get("unauthenticated"), Some(&2));
    assert_eq!(rows[0].latency.values().sum::<u64>(), 7);

    // Restart on the same store: counts add up across processes.
    let mut cfg = ProcessConfig::default();
    cfg.listen.http = "127.0.0.1:0".parse().unwrap();
    cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
    cfg.listen.https = "off".into();
    cfg.store.url = store_url.clone();
    cfg.log.access = "off".into();
    fast_flush(&mut cfg);
    let gw2 = weir::Gateway::start(&cfg).await.unwrap();
    let url = format!("http://{}/open/y", gw2.http_addr.unwrap());
    for _ in 0..3 {
        http.get(&url).send().await.unwrap().bytes().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        stored_total(&store, "service", "open").await.0,
        10,
        "flushed while running"
    );
    gw2.shutdown().await;
    store.close().await;
}

#[tokio::test]
async fn metrics_are_valid_exposition_without_tenant_labels() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&config(&up)).await;
    let auth = bearer(&gw).await;
    let http = client();
    for path in ["/open/a", "/open/b", "/nowhere"] {
        http.get(gw.url(path))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    http.get(gw.url("/api/a"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    http.get(gw.url("/api/a"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = weir_proxy::render_metrics(&gw.gateway.plane);
    let families = check_exposition(&text);
    for name in [
        "weir_requests_total",
        "weir_request_duration_seconds",
        "weir_upstream_errors_total",
        "weir_rejections_total",
        "weir_open_connections",
        "weir_config_revision",
        "weir_config_reloads_total",
        "weir_store_reachable",
        "weir_config_from_cache",
    ] {
        assert!(families.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains("\nweir_store_reachable 1\n"), "{text}");
    assert!(text.contains("\nweir_config_from_cache 0\n"), "{text}");
    assert!(
        text.contains("weir_requests_total{service=\"open\",class=\"2xx\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("weir_rejections_total{service=\"api\",reason=\"unauthenticated\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("weir_rejections_total{service=\"\",reason=\"no_route\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("weir_request_duration_seconds_count{service=\"open\"} 2"),
        "{text}"
    );
    assert!(
        !text.contains("app_one") && !text.contains("127.0.0.1"),
        "no tenant or IP labels"
    );
    gw.stop().await;
}

/// A strict reading of the text format: HELP/TYPE before samples, sample
/// lines `name{labels} value`, histogram buckets cumulative and ending with
/// +Inf equal to _count. Returns the metric family names.
fn check_exposition(text: &str) -> HashSet<String> {
    let mut families = HashSet::new();
    let mut typed: HashSet<String> = HashSet::new();
    let mut last_bucket: Option<(String, f64)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut p = rest.split_whitespace();
            let name = p.next().unwrap().to_owned();
            let kind = p.next().unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.insert(name.clone());
            families.insert(name);
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        assert!(value >= 0.0, "{line}");
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name in {line}"
        );
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(
                    k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(!v.trim_end_matches('"').contains('"'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains(*f)))
            .unwrap_or(name);
        assert!(typed.contains(family), "sample before its TYPE: {line}");
        if name.ends_with("_bucket") {
            let key = series.split(",le=").next().unwrap().to_owned();
            if let Some((k, prev)) = &last_bucket
                && *k == key
            {
                assert!(value >= *prev, "buckets must be cumulative: {line}");
            }
            last_bucket = Some((key, value));
        }
    }
    families
}

#[tokio::test]
async fn access_log_lines_are_json_with_the_documented_fields() {
    let up = TestUpstream::start("up").await;
    let log_dir = tempfile::tempdir().unwrap();
    let path = log_dir.path().join("access.log");
    let log_path = path.display().to_string();
    let gw = TestGateway::start_with(&config(&up), |c| c.log.access = log_path).await;
    let auth = bearer(&gw).await;
    let http = client();
    let r = http
        .get(gw.url("/api/orders?id=7"))
        .header("authorization", &auth)
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    r.bytes().await.unwrap();
    http.get(gw.url("/api/orders"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // Logged as routed: in normal form (docs/proxying.md, path normalisation).
    let r = http
        .get(gw.url("/open//%62ig"))
        .header("x-test-bytes", "100000")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().contains_key("x-request-id"),
        "generated when absent"
    );
    assert_eq!(r.bytes().await.unwrap().len(), 100_000);
    // A path refused before routing is logged as it came.
    let r = http.get(gw.url("/open/a%5Cb")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    gw.stop().await;

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 5, "token + 4 requests:\n{text}");
    let ok = lines
        .iter()
        .find(|l| l["request_id"] == "trace-abc-123")
        .unwrap();
    assert_eq!(ok["service"], "api");
    assert_eq!(ok["tenant"], "app_one");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["path"], "/api/orders");
    assert_eq!(ok["method"], "GET");
    assert_eq!(ok["node"], up.addr.to_string());
    assert!(ok["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(ok["rejection"].is_null());
    let refused = lines.iter().find(|l| l["status"] == 401).unwrap();
    assert_eq!(refused["rejection"], "unauthenticated");
    assert!(refused["tenant"].is_null());
    let big = lines.iter().find(|l| l["path"] == "/open/big").unwrap();
    assert_eq!(big["bytes"], 100_000);
    let bad = lines.iter().find(|l| l["status"] == 400).unwrap();
    assert_eq!(bad["path"], "/open/a%5Cb");
    for l in &lines {
        for field in [
            "ts",
            "request_id",
            "client_ip",
            "method",
            "host",
            "path",
            "status",
            "bytes",
            "duration_ms",
        ] {
            assert!(l.get(field).is_some(), "{field} missing in {l}");
        }
    }
}
