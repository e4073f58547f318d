//! `weir import go-gateway` end to end: a fresh MariaDB database loaded with
//! the seed's dump and rows for every column and edge case, the command's
//! refusal and `--skip-invalid`, the imported model compared field by field,
//! then real traffic through a gateway following the imported store: an HTTP
//! prefix service (strip, rewrite, header operations, tenant token), a
//! domain service and a TCP service. Then go-gateway's own tokens, accepted
//! only with `[compat] go_gateway_token_secret`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::prebound::Prebound;
use common::{TestGateway, client};
use serde_json::Value;
use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection as _};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weir_core::yaml::parse_document;
use weir_testkit::db::with_mysql;
use weir_testkit::{TcpEcho, TestUpstream};

const DUMP: &str = include_str!("fixtures/go-gateway-schema.sql");

/// The seed's dump as is, then our rows.
async fn load(url: &str, rows: &str) {
    let mut conn = MySqlConnection::connect(url).await.unwrap();
    sqlx::raw_sql(DUMP).execute(&mut conn).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(rows.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

struct Peers {
    api: TestUpstream,
    shop: TestUpstream,
    echo: TcpEcho,
    tcp_port: u16,
    grpc_port: u16,
}

/// Rows for every column and edge case: all four round types, comma lists
/// with spaces, empty lists, a disabled and a deleted service, a refused
/// one (invalid regex), a disabled, a deleted and a refused tenant.
fn rows(p: &Peers) -> String {
    let (api, shop, echo) = (p.api.addr, p.shop.addr, p.echo.addr);
    let (tcp, grpc) = (p.tcp_port, p.grpc_port);
    format!(
        r#"
INSERT INTO gateway_service_info (id, load_type, service_name, service_desc, is_delete, status) VALUES
 (1, 0, 'api_prefix', 'prefix service', 0, 1),
 (2, 0, 'shop_domain', 'domain service', 0, 1),
 (3, 1, 'echo_tcp', 'tcp service', 0, 1),
 (4, 2, 'rpc_grpc', 'grpc service', 0, 1),
 (5, 0, 'gone_http', 'deleted', 1, 1),
 (6, 0, 'off_http', 'disabled', 0, 0),
 (7, 0, 'bad_regex', 'unmappable', 0, 1);
INSERT INTO gateway_service_http_rule (id, service_id, rule_type, rule, need_https, need_strip_uri, need_websocket, url_rewrite, header_transfor) VALUES
 (10, 1, 0, '/api', 0, 1, 1, '^/v1/(.*) /v2/$1', 'add X-Gw-Add yes, edit X-Gw-Edit new ,del X-Gw-Del x'),
 (20, 2, 1, 'shop.test', 0, 0, 0, '', ''),
 (50, 5, 0, '/gone', 0, 0, 0, '', ''),
 (60, 6, 0, '/off', 0, 0, 0, '', ''),
 (70, 7, 0, '/bad', 0, 0, 0, '^/(bad $1', '');
INSERT INTO gateway_service_tcp_rule (id, service_id, port) VALUES (30, 3, {tcp});
INSERT INTO gateway_service_grpc_rule (id, service_id, port, header_transfor) VALUES
 (40, 4, {grpc}, 'add x-tenant blue, del x-debug x');
INSERT INTO gateway_service_load_balance (id, service_id, check_method, check_timeout, check_interval, round_type, ip_list, weight_list, forbid_list, upstream_connect_timeout, upstream_header_timeout, upstream_idle_timeout, upstream_max_idle) VALUES
 (11, 1, 0, 0, 0, 1, '{api}', '50', '', 3, 0, 0, 0),
 (21, 2, 0, 0, 0, 0, '{shop} , 127.0.0.1:1', '50, 50', ' 127.0.0.1:1 ', 0, 20, 120, 8),
 (31, 3, 0, 0, 0, 3, '{echo}', '', '', 0, 0, 0, 0),
 (41, 4, 0, 0, 0, 2, '127.0.0.1:50051,127.0.0.1:50052', '2,1', '', 0, 0, 0, 0),
 (51, 5, 0, 0, 0, 2, '{api}', '50', '', 0, 0, 0, 0),
 (61, 6, 0, 0, 0, 2, '{api}', '50', '', 0, 0, 0, 0),
 (71, 7, 0, 0, 0, 2, '{api}', '50', '', 0, 0, 0, 0);
INSERT INTO gateway_service_access_control (id, service_id, open_auth, black_list, white_list, clientip_flow_limit, service_flow_limit, open_api_white_list, open_white_list, open_black_list, api_white_list) VALUES
 (12, 1, 1, '192.0.2.1', '10.0.0.1, 10.0.0.2', 500, 1000, 1, 0, 1, '/api/public/*, /api/health'),
 (22, 2, 0, '', '', 0, 0, 0, 0, 0, NULL),
 (32, 3, 0, '192.0.2.7 , 192.0.2.8', '', 50, 0, 0, 0, 1, ''),
 (42, 4, 1, '', '', 0, 0, 0, 0, 0, '');
INSERT INTO gateway_app (id, app_id, name, secret, white_ips, qpd, qps, create_at, update_at, is_delete, status) VALUES
 (1, 'app_mig', 'Migrated', 'migration-secret-1', '127.0.0.1 , 10.0.0.0/8', 100000, 100, NOW(), NOW(), 0, 1),
 (2, 'app_off', 'Paused', 'paused-secret-22', '', 0, 0, NOW(), NOW(), 0, 0),
 (3, 'app_short', 'Short secret', 'abc', '', 0, 0, NOW(), NOW(), 0, 1),
 (4, 'app_del', 'Deleted', 'deleted-secret-4', '', 0, 0, NOW(), NOW(), 1, 1);
"#
    )
}

/// What the import must produce, written as a user would write it.
fn expected(p: &Peers) -> weir_core::ConfigDocument {
    let (api, shop, echo) = (p.api.addr, p.shop.addr, p.echo.addr);
    let (tcp, grpc) = (p.tcp_port, p.grpc_port);
    let check = "health_check: { type: tcp, interval: 5s, timeout: 5s, healthy: 1, unhealthy: 2 }";
    let yaml = format!(
        r#"
services:
  - name: api_prefix
    description: prefix service
    match: {{ prefix: /api }}
    strip_prefix: true
    rewrite: [{{ pattern: "^/v1/(.*)", replacement: "/v2/$1" }}]
    request_headers:
      - {{ op: set, name: X-Gw-Add, value: "yes" }}
      - {{ op: set, name: X-Gw-Edit, value: new }}
      - {{ op: remove, name: X-Gw-Del }}
    websocket: true
    access:
      ip_allow: {{ enabled: false, ips: ["10.0.0.1", "10.0.0.2"] }}
      ip_deny: {{ ips: ["192.0.2.1"] }}
      auth: {{ enabled: true, allow_paths: ["/api/public/*", "/api/health"] }}
    limits: {{ service_qps: 1000, client_ip_qps: 500 }}
    upstream:
      balance: round_robin
      nodes: [{{ addr: "{api}", weight: 50 }}]
      timeouts: {{ connect: 3s, response_header: 30s, idle: 90s }}
      max_idle_per_node: 100
      {check}
  - name: echo_tcp
    kind: tcp
    description: tcp service
    port: {tcp}
    access:
      ip_deny: {{ ips: ["192.0.2.7", "192.0.2.8"] }}
    limits: {{ client_ip_qps: 50 }}
    upstream:
      balance: consistent_hash
      nodes: [{{ addr: "{echo}" }}]
      timeouts: {{ connect: 30s, response_header: 30s, idle: 90s }}
      max_idle_per_node: 100
      {check}
  - name: off_http
    description: disabled
    enabled: false
    match: {{ prefix: /off }}
    upstream:
      balance: weighted_round_robin
      nodes: [{{ addr: "{api}", weight: 50 }}]
      timeouts: {{ connect: 30s, response_header: 30s, idle: 90s }}
      max_idle_per_node: 100
      {check}
  - name: rpc_grpc
    kind: grpc
    description: grpc service
    port: {grpc}
    request_headers:
      - {{ op: set, name: x-tenant, value: blue }}
      - {{ op: remove, name: x-debug }}
    access: {{ auth: {{ enabled: true }} }}
    upstream:
      balance: weighted_round_robin
      nodes: [{{ addr: "127.0.0.1:50051", weight: 2 }}, {{ addr: "127.0.0.1:50052", weight: 1 }}]
      timeouts: {{ connect: 30s, response_header: 30s, idle: 90s }}
      max_idle_per_node: 100
      {check}
  - name: shop_domain
    description: domain service
    match: {{ host: shop.test }}
    upstream:
      balance: random
      nodes: [{{ addr: "{shop}", weight: 50 }}, {{ addr: "127.0.0.1:1", weight: 50, enabled: false }}]
      timeouts: {{ connect: 30s, response_header: 20s, idle: 120s }}
      max_idle_per_node: 8
      {check}
tenants:
  - {{ app_id: app_mig, name: Migrated, secret: migration-secret-1, ip_allow: ["127.0.0.1", "10.0.0.0/8"], qps: 100, qpd: 100000 }}
  - {{ app_id: app_off, name: Paused, secret: paused-secret-22, enabled: false }}
"#
    );
    parse_document(&yaml).unwrap()
}

fn weir(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .current_dir(dir)
        .args(args)
        .env_remove("WEIR_STORE_URL")
        .env_remove("WEIR_IMPORT_FROM")
        .env("USER", "tester")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_gateway_database_imports_and_serves() {
    with_mysql(|url| async move {
        let ports = Prebound::bind(2);
        let peers = Peers {
            api: TestUpstream::start("api").await,
            shop: TestUpstream::start("shop").await,
            echo: TcpEcho::start().await,
            tcp_port: ports.port(0),
            grpc_port: ports.port(1),
        };
        load(&url, &rows(&peers)).await;
        // The imported services' ports are handed to the gateway at start,
        // so its starting configuration must claim them (an unclaimed
        // handed-over socket is closed): placeholders with the names, kinds
        // and ports that the import gives them, and no usable node. The
        // import replaces them; a listener whose name, kind and port stay
        // is kept and serves the new service's settings.
        let placeholders = format!(
            "services:\n  - {{ name: echo_tcp, kind: tcp, port: {}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }} }}\n  - {{ name: rpc_grpc, kind: grpc, port: {}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }} }}\n",
            peers.tcp_port, peers.grpc_port
        );
        let gw = TestGateway::start_prebound(&placeholders, ports).await;
        let dir = gw.dir.path().to_owned();
        let store = format!("sqlite://{}/weir.db", dir.display());
        // The gateway's first start writes its signing key as a revision.
        let base = gw.store.revision().await.unwrap();
        let import = |extra: &[&str]| {
            let mut args = vec!["import", "go-gateway", "--from", &url, "--store", &store];
            args.extend_from_slice(extra);
            weir(&dir, &args)
        };

        // Refused rows: reported by table, id and column; nothing written.
        let out = import(&[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("refused gateway_service_http_rule id 70 url_rewrite"),
            "{err}"
        );
        assert!(err.contains("refused gateway_app id 3 secret"), "{err}");
        assert!(
            err.contains("skipped deleted rows: 1 services, 1 tenants"),
            "{err}"
        );
        assert_eq!(gw.store.revision().await.unwrap(), base, "nothing written");

        // The dry run prints YAML without secrets and writes nothing.
        let out = import(&["--dry-run", "--skip-invalid"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let yaml = text(&out.stdout);
        assert!(yaml.contains("name: api_prefix") && !yaml.contains("migration-secret-1"));
        assert_eq!(
            gw.store.revision().await.unwrap(),
            base,
            "dry run writes nothing"
        );

        let out = import(&["--skip-invalid"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let done = format!("imported as revision {}", base + 1);
        assert!(text(&out.stdout).contains(&done), "{}", text(&out.stdout));
        gw.wait_for_revision(base + 1, Duration::from_secs(5)).await;

        // Field by field.
        let (_, got) = gw.store.load().await.unwrap();
        let want = expected(&peers);
        let (got_s, want_s) = (got.services.unwrap(), want.services.unwrap());
        assert_eq!(
            got_s.iter().map(|s| &s.name).collect::<Vec<_>>(),
            want_s.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        for (g, w) in got_s.iter().zip(&want_s) {
            assert_eq!(g, w, "service {}", w.name);
        }
        assert_eq!(got.tenants, want.tenants);

        traffic(&gw, &peers).await;
        gw.stop().await;
    })
    .await;
}

/// Real requests through the imported configuration.
async fn traffic(gw: &TestGateway, peers: &Peers) {
    let http = client();
    // Prefix service: API allow list bypasses auth; strip, rewrite, headers.
    let (status, body) = send(
        http.get(gw.url("/api/public/v1/items?q=1"))
            .header("x-gw-edit", "old")
            .header("x-gw-del", "secret"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["node"], "api");
    assert_eq!(body["path"], "/public/v1/items");
    let headers = &body["headers"];
    assert_eq!(headers["x-gw-add"], "yes");
    assert_eq!(headers["x-gw-edit"], "new");
    assert!(headers.get("x-gw-del").is_none(), "{headers}");

    // Off the allow list: a token is needed, from the imported tenant.
    let (status, _) = send(http.get(gw.url("/api/v1/items"))).await;
    assert_eq!(status, 401);
    let basic = STANDARD.encode("app_mig:migration-secret-1");
    let (status, token) = send(
        http.post(gw.url("/oauth/tokens"))
            .header("authorization", format!("Basic {basic}")),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let (status, body) = send(
        http.get(gw.url("/api/v1/items"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["path"], "/v2/items", "strip, then rewrite");
    let basic = STANDARD.encode("app_off:paused-secret-22");
    let (status, _) = send(
        http.post(gw.url("/oauth/tokens"))
            .header("authorization", format!("Basic {basic}")),
    )
    .await;
    assert_ne!(status, 200, "a disabled tenant gets no token");

    // Domain service, by Host.
    let (status, body) = send(http.get(gw.url("/anything")).header("host", "shop.test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["node"], "shop");

    // Disabled, deleted and refused services do not route.
    for path in ["/off", "/gone", "/bad"] {
        let (status, _) = send(http.get(gw.url(path))).await;
        assert_eq!(status, 404, "{path}");
    }

    // TCP service on its own port.
    let addr: SocketAddr = ([127, 0, 0, 1], peers.tcp_port).into();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"through go-gateway's port").await.unwrap();
    let mut back = [0u8; 25];
    s.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"through go-gateway's port");
}

/// A token made the way go-gateway's `JWTEncode` made it: HS256 with its
/// constant secret, no `kid`, the app id as issuer, an hour to live.
fn go_gateway_token(secret: &str, app_id: &str) -> String {
    let exp = jsonwebtoken::get_current_timestamp() + 3600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({ "exp": exp, "iss": app_id }),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn compat_metric(gw: &TestGateway) -> Option<u64> {
    weir_proxy::render_metrics(&gw.gateway.plane)
        .lines()
        .find_map(|l| l.strip_prefix("weir_compat_go_gateway_tokens_total "))
        .map(|v| v.parse().unwrap())
}

#[tokio::test]
async fn go_gateway_tokens_work_only_with_the_compat_option() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    access: {{ auth: {{ enabled: true }} }}\n    upstream: {{ nodes: [{{ addr: \"{}\" }}] }}\ntenants:\n  - {{ app_id: app_go, secret: app-go-secret }}\n  - {{ app_id: app_paused, secret: app-paused-secret, enabled: false }}\n",
        up.addr
    );
    let old = format!("Bearer {}", go_gateway_token("my_sign_key", "app_go"));
    let get = |gw: &TestGateway, auth: String| {
        send(client().get(gw.url("/x")).header("authorization", auth))
    };

    // Off by default: refused like any token without a kid, no metric.
    let gw = TestGateway::start(&yaml).await;
    assert_eq!(get(&gw, old.clone()).await.0, 401);
    assert_eq!(compat_metric(&gw), None);
    gw.stop().await;

    let gw = TestGateway::start_with(&yaml, |c| {
        c.compat.go_gateway_token_secret = "my_sign_key".into();
    })
    .await;
    let (status, body) = get(&gw, old.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["node"], "up");
    assert_eq!(get(&gw, old).await.0, 200);
    assert_eq!(compat_metric(&gw), Some(2), "each accepted request counts");
    for refused in [
        go_gateway_token("another_key", "app_go"),
        go_gateway_token("my_sign_key", "app_unknown"),
        go_gateway_token("my_sign_key", "app_paused"),
    ] {
        assert_eq!(get(&gw, format!("Bearer {refused}")).await.0, 401);
    }
    assert_eq!(compat_metric(&gw), Some(2));
    gw.stop().await;
}
