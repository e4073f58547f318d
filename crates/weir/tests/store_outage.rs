//! The store goes away and nothing fails. Three `weir proxy` processes and
//! a `weir admin` on a PostgreSQL instance of the test's own (initdb and
//! pg_ctl in a temporary directory, listening on a Unix socket only, so no
//! port is taken from anyone), under load:
//!
//! - PostgreSQL stopped (`pg_ctl stop -m fast`): no request fails; every
//!   proxy notices (`/readyz` says the store is unreachable, and stays 200);
//!   the admin API answers 503 `store_unavailable`;
//! - a proxy restarted during the outage starts from its cache file
//!   (`store.cache`) and serves the cached configuration;
//! - PostgreSQL started again: a change made through the admin API reaches
//!   all three proxies, the restarted one leaves its cache for the store,
//!   and the statistics counted during the outage arrive: every node's
//!   stored request count equals what the test sent it, the stopped
//!   proxy's included (it left them beside its cache for its successor).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use common::eventually;
use common::load::{Connections, Load};
use common::process::ServingProcess;
use sqlx::{AnyConnection, Connection};
use weir_store::Store;
use weir_testkit::http::TestUpstream;

/// A PostgreSQL server of this test's own, in a temporary directory,
/// reachable only through its Unix socket there. Stopped on drop.
struct Postgres {
    dir: tempfile::TempDir,
}

impl Postgres {
    /// The socket file's name only: no TCP port is bound.
    const PORT: u16 = 5432;

    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // initdb refuses to run as root: the cluster belongs to postgres.
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "chown the cluster directory to postgres");
        let pg = Self { dir };
        pg.run(&[
            "initdb",
            "-D",
            &pg.data(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ]);
        let conf = format!(
            "listen_addresses = ''\nunix_socket_directories = '{}'\nport = {}\nfsync = off\n",
            pg.dir.path().display(),
            Self::PORT
        );
        let file = Path::new(&pg.data()).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str(&conf);
        std::fs::write(&file, text).unwrap();
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}&port={}",
            self.dir.path().display(),
            Self::PORT
        )
    }

    /// `pg_ctl start`, returning once it accepts connections.
    fn up(&self) {
        let log = self.dir.path().join("pg.log").display().to_string();
        self.run(&["pg_ctl", "start", "-w", "-D", &self.data(), "-l", &log]);
    }

    /// `pg_ctl stop -m fast`: clients are disconnected at once.
    fn down(&self) {
        self.run(&["pg_ctl", "stop", "-w", "-m", "fast", "-D", &self.data()]);
    }

    /// Run a PostgreSQL tool as the `postgres` user.
    fn run(&self, args: &[&str]) {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", "pg_ctl", "stop", "-m", "immediate"])
            .args(["-D", &self.data()])
            .output();
    }
}

const POLL_MS: u64 = 100;

fn service(name: &str, origin: SocketAddr) -> String {
    format!(
        "services:\n  - name: {name}\n    match: {{ prefix: /{name}/ }}\n    \
         upstream: {{ nodes: [{{ addr: \"{origin}\" }}] }}\n"
    )
}

/// `weir <role>` on `url`, every listener on port 0, statistics flushed
/// often; `node` names its statistics rows (`HOSTNAME`).
fn start(url: &str, role: &str, node: &str, cache: &Path) -> ServingProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.arg(role)
        .env("WEIR_STORE_URL", url)
        .env("WEIR_STORE_POLL_INTERVAL", format!("{POLL_MS}ms"))
        .env("WEIR_STORE_HEARTBEAT_INTERVAL", "200ms")
        .env("WEIR_STORE_CACHE", cache)
        .env("WEIR_STATS_FLUSH_INTERVAL", "200ms")
        .env("WEIR_LISTEN_HTTP", "127.0.0.1:0")
        .env("WEIR_LISTEN_ADMIN", "127.0.0.1:0")
        .env("WEIR_LISTEN_HTTPS", "off")
        .env("WEIR_LISTEN_HEALTH", "127.0.0.1:0")
        .env("WEIR_LOG_ACCESS", "off")
        .env("HOSTNAME", node);
    ServingProcess::start(cmd)
}

struct Proxy {
    process: ServingProcess,
    /// The node name of its statistics rows.
    node: String,
    http: SocketAddr,
    health: SocketAddr,
    /// Requests the test itself sent it (the load's are counted there).
    sent: AtomicI64,
}

impl Proxy {
    fn start(url: &str, node: &str, cache: &Path) -> Self {
        let process = start(url, "proxy", node, cache);
        let http = process.addr("http_addr").unwrap();
        let health = process.addr("health_addr").unwrap();
        Self {
            process,
            node: node.to_owned(),
            http,
            health,
            sent: AtomicI64::new(0),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// GET `path`, counted; the status.
    async fn get(&self, client: &reqwest::Client, path: &str) -> u16 {
        self.sent.fetch_add(1, Ordering::Relaxed);
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    fn sent(&self) -> i64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// SIGTERM, then wait for the exit (bounded).
    async fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.process.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        eventually("the proxy exits", Duration::from_secs(20), async || {
            self.process.child.try_wait().unwrap().is_some()
        })
        .await;
    }

    async fn readyz(&self, client: &reqwest::Client) -> (u16, String) {
        let res = client
            .get(format!("http://{}/readyz", self.health))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

/// Requests each node counted, from the stored statistics rows (the node
/// name is `HOSTNAME-<random>`).
async fn stored_requests(url: &str, node: &str) -> i64 {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(requests) AS BIGINT) FROM weir_stats_hourly \
         WHERE scope = 'gateway' AND node LIKE $1",
    )
    .bind(format!("{node}-%"))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    n.unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_nothing_fails() {
    let started = Instant::now();
    let pg = Postgres::start();
    let url = pg.url();
    let dir = tempfile::tempdir().unwrap();
    let origin = TestUpstream::start("origin").await;
    let store = Store::open(&url).await.unwrap();
    common::apply(&store, &service("api", origin.addr)).await;
    let admin_token = common::api_token(&store, "admin").await;
    store.close().await;

    let admin_cache = dir.path().join("admin-cache.json");
    let admin = start(&url, "admin", "admin", &admin_cache);
    let admin_addr = admin.addr("admin_addr").unwrap();
    let caches: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("cache-{i}.json")))
        .collect();
    let mut proxies: Vec<Proxy> = (0..3)
        .map(|i| Proxy::start(&url, &format!("proxy{i}"), &caches[i]))
        .collect();
    let client = common::client();
    for (p, cache) in proxies.iter().zip(&caches) {
        assert_eq!(p.get(&client, "/api/x").await, 200);
        assert!(cache.exists(), "{} written", cache.display());
        assert_eq!(p.readyz(&client).await, (200, "ready\n".to_owned()));
    }
    assert!(!admin_cache.exists(), "the admin role keeps no cache");

    // Load on the first two proxies throughout (kept-alive connections on
    // one, a new connection per request on the other); the third is
    // restarted during the outage, so it only answers the test's own
    // requests.
    let loads: Vec<Load> = proxies[..2]
        .iter()
        .zip([Connections::Reuse, Connections::Fresh])
        .map(|(p, connections)| Load::start(p.url("/api/load"), 4, connections))
        .collect();
    for l in &loads {
        l.progress(200).await;
    }

    // The third proxy's first request is in the store before it goes away.
    eventually(
        "the first request is flushed",
        Duration::from_secs(10),
        async || stored_requests(&url, &proxies[2].node).await == proxies[2].sent(),
    )
    .await;

    // The store goes away.
    pg.down();
    let outage = Instant::now();
    let ok_at_outage: u64 = loads.iter().map(Load::ok).sum();
    for p in &proxies {
        eventually(
            "the proxy notices the outage",
            Duration::from_secs(10),
            async || p.readyz(&client).await.1.contains("store is unreachable"),
        )
        .await;
        assert_eq!(p.readyz(&client).await.0, 200, "still ready");
    }
    for l in &loads {
        l.progress(200).await;
    }
    // The admin API says why it cannot change anything.
    let refused = client
        .get(format!("http://{admin_addr}/api/v1/services"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    let code = refused.status().as_u16();
    let problem = refused.text().await.unwrap();
    assert_eq!(code, 503, "{problem}");
    assert!(problem.contains("store_unavailable"), "{problem}");

    // A proxy restarted during the outage serves the cached configuration.
    let old = proxies.pop().unwrap();
    assert_eq!(old.get(&client, "/api/x").await, 200);
    let (old_node, old_sent) = (old.node.clone(), old.sent());
    let revision = old.process.serving["revision"].clone();
    let stopping = Instant::now();
    old.stop().await;
    let stop_took = stopping.elapsed();
    assert!(
        dir.path().join("cache-2.stats.json").exists(),
        "the stopped proxy left its unwritten statistics"
    );
    let restart = Instant::now();
    let new = Proxy::start(&url, "proxy2b", &caches[2]);
    let restart_took = restart.elapsed();
    let serving = &new.process.serving;
    assert_eq!(serving["from_cache"], true, "{serving}");
    assert_eq!(serving["revision"], revision, "{serving}");
    for _ in 0..10 {
        assert_eq!(new.get(&client, "/api/x").await, 200);
    }
    let (code, body) = new.readyz(&client).await;
    assert_eq!(code, 200);
    assert!(body.contains("serving the cached configuration"), "{body}");
    proxies.push(new);
    // Long enough for several failed flushes and polls on every proxy.
    for l in &loads {
        l.progress(1000).await;
    }

    // The store returns.
    let ok_before_return: u64 = loads.iter().map(Load::ok).sum();
    let outage_lasted = outage.elapsed();
    pg.up();
    for p in &proxies {
        eventually(
            "the proxy follows the store again",
            Duration::from_secs(10),
            async || p.readyz(&client).await.1 == "ready\n",
        )
        .await;
    }

    // A change through the admin API reaches every proxy.
    let created = client
        .post(format!("http://{admin_addr}/api/v1/services"))
        .bearer_auth(&admin_token)
        .json(&serde_json::json!({
            "name": "v2",
            "match": { "prefix": "/v2/" },
            "upstream": { "nodes": [{ "addr": origin.addr.to_string() }] },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let applied = Instant::now();
    for p in &proxies {
        eventually("the change is live", Duration::from_secs(10), async || {
            p.get(&client, "/v2/x").await == 200
        })
        .await;
    }
    let propagated_in = applied.elapsed();

    let mut totals = Vec::new();
    for l in loads {
        totals.push(l.finish().await);
    }
    for t in &totals {
        assert_eq!(t.failed, 0, "{totals:?}");
    }

    // Every node's statistics arrive, what was counted during the outage
    // included: each stored count is exactly what the node was sent.
    let load_sent = |i: usize| totals.get(i).map_or(0, |t| (t.ok + t.failed) as i64);
    for (i, p) in proxies.iter().enumerate() {
        let sent = p.sent() + load_sent(i);
        eventually(
            &format!("{}'s {sent} requests are in the store", p.node),
            Duration::from_secs(10),
            async || stored_requests(&url, &p.node).await == sent,
        )
        .await;
    }
    // The process stopped during the outage left what it could not write
    // beside its cache; its successor wrote it.
    eventually(
        &format!("{old_node}'s {old_sent} requests are in the store"),
        Duration::from_secs(10),
        async || stored_requests(&url, &old_node).await == old_sent,
    )
    .await;
    let spill = dir.path().join("cache-2.stats.json");
    eventually(
        "the spill is removed",
        Duration::from_secs(10),
        async || !spill.exists(),
    )
    .await;

    let ok_during_outage = ok_before_return - ok_at_outage;
    println!(
        "store outage {:.1} s, {} requests answered during it, {} in all, 0 failed; \
         a proxy stopped (SIGTERM) in the outage in {} ms and restarted from its cache in {} ms; \
         a change made through the admin API after the store returned was live on 3 proxies \
         after {} ms; whole test {:.1} s",
        outage_lasted.as_secs_f64(),
        ok_during_outage,
        totals.iter().map(|t| t.ok).sum::<u64>(),
        stop_took.as_millis(),
        restart_took.as_millis(),
        propagated_in.as_millis(),
        started.elapsed().as_secs_f64(),
    );
    drop(proxies);
    drop(admin);
}

/// Without the store, `weir proxy` starts from a good cache and says so;
/// a damaged one, or one written for another store, is refused with the
/// reason and the start fails as it would without a cache. No database
/// server at all: the store URL names a socket directory nobody listens in.
#[tokio::test]
async fn a_proxy_without_the_store_serves_a_good_cache_and_refuses_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgres://postgres@localhost/weir?host={}&port=1",
        dir.path().join("nobody").display()
    );
    let origin = TestUpstream::start("origin").await;
    let doc = weir_core::yaml::parse_document(&service("api", origin.addr)).unwrap();
    let path = dir.path().join("cache.json");
    weir::cache::ConfigCache::new(path.clone(), &url)
        .write(7, &doc)
        .unwrap();

    let proxy = Proxy::start(&url, "cold", &path);
    let serving = &proxy.process.serving;
    assert_eq!(serving["from_cache"], true, "{serving}");
    assert_eq!(serving["revision"], 7, "{serving}");
    let client = common::client();
    assert_eq!(proxy.get(&client, "/api/x").await, 200);
    let (code, body) = proxy.readyz(&client).await;
    assert_eq!(
        (code, body.as_str()),
        (
            200,
            "ready; the store is unreachable; serving the cached configuration\n"
        )
    );
    proxy.stop().await;

    let refused = |why: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("proxy")
            .env("WEIR_STORE_URL", &url)
            .env("WEIR_STORE_CACHE", &path)
            .env("WEIR_LISTEN_HTTP", "127.0.0.1:0")
            .env("WEIR_LISTEN_HTTPS", "off")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{why}: {log}");
        assert!(
            log.contains("the configuration cache is refused and ignored"),
            "{why}: {log}"
        );
        assert!(log.contains(why), "{why}: {log}");
        assert!(log.contains("cached configuration at"), "{why}: {log}");
    };
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() - 10]).unwrap();
    refused("truncated");
    let mut altered = good.clone();
    let last = altered.len() - 3;
    altered[last] ^= 1;
    std::fs::write(&path, &altered).unwrap();
    refused("SHA-256");
    weir::cache::ConfigCache::new(path.clone(), "postgres://postgres@elsewhere/weir")
        .write(7, &doc)
        .unwrap();
    refused("another store");
}
