//! Limits and quotas counted once for a fleet: three `weir proxy` data
//! planes and a `weir admin` on one store (a database of their own on the
//! local PostgreSQL and MariaDB servers), sharing Redis under a key prefix
//! of their own (`[cluster] redis`).
//!
//! - A service limit of 100/s under load spread over the three nodes admits
//!   100/s ± 10 % in total (per process it would be 300/s).
//! - A tenant's daily quota of 1,000 stops at 1,000 ± 1 % across the nodes
//!   and is still used up after all three restart.
//! - Redis killed under load (a `redis-server` of the test's own, on a unix
//!   socket): no 5xx, every node degraded within 1 s in `/metrics` and the
//!   fleet API, the accepted rate within ± 25 % of the limit (each node at
//!   its share); Redis back: shared again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{api_token, apply, eventually};
use serde_json::Value;
use weir::{Gateway, ProcessConfig, Roles};
use weir_store::Store;
use weir_testkit::db::{with_mysql, with_postgres};
use weir_testkit::http::TestUpstream;
use weir_testkit::redis::{SHARED_REDIS, clear_prefix, unique_prefix as prefix};

fn process_config(store: &str, redis: &str, prefix: &str) -> ProcessConfig {
    let mut cfg = ProcessConfig::default();
    cfg.listen.http = "127.0.0.1:0".parse().unwrap();
    cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
    cfg.listen.https = "off".into();
    cfg.listen.health = "127.0.0.1:0".into();
    cfg.listen.service_address = "127.0.0.1".parse().unwrap();
    cfg.store.url = store.to_owned();
    // `auto` would put every node's cache file in the working directory,
    // the crate's source tree (tests/store_outage.rs covers the cache).
    cfg.store.cache = "off".into();
    cfg.store.poll_interval = weir_core::HumanDuration::from_millis(50);
    cfg.store.heartbeat_interval = weir_core::HumanDuration::from_millis(200);
    cfg.proxy.shutdown_grace = weir_core::HumanDuration::from_secs(5);
    cfg.log.access = "off".into();
    cfg.cluster.redis = redis.to_owned();
    cfg.cluster.key_prefix = prefix.to_owned();
    cfg
}

const PROXY: Roles = Roles {
    proxy: true,
    admin: false,
};
const ADMIN: Roles = Roles {
    proxy: false,
    admin: true,
};

struct Fleet {
    admin: Gateway,
    proxies: Vec<Gateway>,
    cfg: ProcessConfig,
    token: String,
}

impl Fleet {
    async fn start(cfg: ProcessConfig, store: &Store) -> Self {
        let admin = Gateway::start_roles(&cfg, ADMIN).await.unwrap();
        let mut proxies = Vec::new();
        for _ in 0..3 {
            proxies.push(Gateway::start_roles(&cfg, PROXY).await.unwrap());
        }
        let fleet = Fleet {
            admin,
            proxies,
            cfg,
            token: api_token(store, "viewer").await,
        };
        fleet.wait_for_nodes(3).await;
        fleet
    }

    fn urls(&self, path: &str) -> Vec<String> {
        self.proxies
            .iter()
            .map(|g| format!("http://{}{path}", g.http_addr.unwrap()))
            .collect()
    }

    async fn gateways(&self) -> Value {
        let res = common::client()
            .get(format!(
                "http://{}/api/v1/gateways",
                self.admin.admin_addr.unwrap()
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Until `n` nodes are alive and every node knows there are `n`.
    async fn wait_for_nodes(&self, n: usize) {
        eventually(
            "the nodes see each other",
            Duration::from_secs(10),
            async || {
                let list = self.gateways().await;
                let alive = list["alive"].as_u64() == Some(n as u64);
                alive
                    && self.proxies.iter().all(|p| {
                        let m = weir_proxy::render_metrics(&p.plane);
                        m.contains("weir_limits_mode{mode=\"shared\"} 1")
                            || m.contains("weir_limits_mode{mode=\"degraded\"} 1")
                    })
            },
        )
        .await;
        // Each node reads the live count back on its next beat.
        let deadline = Instant::now() + Duration::from_secs(5);
        for p in &self.proxies {
            while fleet_size(p) != n {
                assert!(Instant::now() < deadline, "a node never saw {n} nodes");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    async fn stop_proxies(&mut self) {
        for p in self.proxies.drain(..) {
            p.shutdown().await;
        }
    }

    async fn restart_proxies(&mut self) {
        for _ in 0..3 {
            self.proxies
                .push(Gateway::start_roles(&self.cfg, PROXY).await.unwrap());
        }
    }

    async fn stop(mut self) {
        self.stop_proxies().await;
        self.admin.shutdown().await;
    }
}

/// The live nodes as a node knows them (the divisor of its shares).
fn fleet_size(g: &Gateway) -> usize {
    g.plane.options.limits.fleet_size() as usize
}

/// Answers by status class, counted while `counting` is on.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    limited: AtomicU64,
    server_errors: AtomicU64,
    other: AtomicU64,
}

/// `clients` tasks sending GETs round-robin over `urls`, with `headers`,
/// until stopped.
struct Traffic {
    stop: Arc<AtomicBool>,
    counting: Arc<AtomicBool>,
    tally: Arc<Tally>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    fn start(urls: Vec<String>, clients: usize, auth: Option<String>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counting = Arc::new(AtomicBool::new(true));
        let tally = Arc::new(Tally::default());
        let tasks = (0..clients)
            .map(|i| {
                let (stop, counting, tally) = (stop.clone(), counting.clone(), tally.clone());
                let (urls, auth) = (urls.clone(), auth.clone());
                tokio::spawn(async move {
                    let http = common::client();
                    // Bounded by the stop flag and by a cap.
                    for n in i..i + 200_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let mut req = http.get(&urls[n % urls.len()]);
                        if let Some(a) = &auth {
                            req = req.header("authorization", a);
                        }
                        let status = match req.send().await {
                            Ok(r) => {
                                let s = r.status().as_u16();
                                let _ = r.bytes().await;
                                s
                            }
                            Err(e) => {
                                eprintln!("traffic: {e}");
                                599
                            }
                        };
                        if !counting.load(Ordering::Relaxed) {
                            continue;
                        }
                        let slot = match status {
                            200 => &tally.ok,
                            429 => &tally.limited,
                            500.. => &tally.server_errors,
                            _ => &tally.other,
                        };
                        slot.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Traffic {
            stop,
            counting,
            tally,
            tasks,
        }
    }

    /// The 200s counted over the next `window`.
    async fn admitted_over(&self, window: Duration) -> u64 {
        let before = self.tally.ok.load(Ordering::Relaxed);
        tokio::time::sleep(window).await;
        self.tally.ok.load(Ordering::Relaxed) - before
    }

    fn count(&self, slot: impl Fn(&Tally) -> &AtomicU64) -> u64 {
        slot(&self.tally).load(Ordering::Relaxed)
    }

    async fn finish(self) -> Arc<Tally> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        self.counting.store(false, Ordering::Relaxed);
        self.tally
    }
}

fn services(up: &TestUpstream) -> String {
    format!(
        "services:\n  \
         - name: api\n    match: {{ prefix: /api/ }}\n    limits: {{ service_qps: 100 }}\n    \
           upstream: {{ nodes: [{{ addr: \"{up}\" }}] }}\n  \
         - name: paid\n    match: {{ prefix: /paid/ }}\n    access: {{ auth: {{ enabled: true }} }}\n    \
           upstream: {{ nodes: [{{ addr: \"{up}\" }}] }}\n\
         tenants:\n  - {{ app_id: quota_app, secret: \"quota-secret-1\", qpd: 1000 }}\n",
        up = up.addr
    )
}

async fn bearer(fleet: &Fleet) -> String {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("quota_app:quota-secret-1");
    let res = common::client()
        .post(&fleet.urls("/oauth/tokens")[0])
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    format!("Bearer {}", body["access_token"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_fleet_counts_limits_and_quotas_once() {
    with_postgres(shared_limits_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_fleet_counts_limits_and_quotas_once() {
    with_mysql(shared_limits_scenario).await;
}

/// What explain says of the service limit of `/api/` on `gw`.
fn explained_service_limit(gw: &Gateway) -> weir_proxy::PolicyVerdict {
    let input = weir_proxy::ExplainInput {
        method: "GET".into(),
        host: None,
        path: "/api/x".into(),
        headers: vec![],
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    let out = weir_proxy::explain(&gw.plane, &input).unwrap();
    out.policies
        .into_iter()
        .find(|p| p.policy == "service_qps")
        .unwrap()
}

async fn shared_limits_scenario(url: String) {
    let up = TestUpstream::start("up").await;
    let store = Store::open(&url).await.unwrap();
    apply(&store, &services(&up)).await;
    let p = prefix();
    let mut fleet = Fleet::start(process_config(&url, SHARED_REDIS, &p), &store).await;
    // Explain says where the limit is counted.
    let said = explained_service_limit(&fleet.proxies[0]);
    assert_eq!(said.detail_code, "rate_depends_fleet", "{said:?}");

    // A service limit of 100/s, load spread over the three nodes.
    let load = Traffic::start(fleet.urls("/api/x"), 12, None);
    let _ = load.admitted_over(Duration::from_secs(1)).await;
    let window = Duration::from_secs(4);
    let admitted = load.admitted_over(window).await as f64 / window.as_secs_f64();
    let limited = load.count(|t| &t.limited);
    let tally = load.finish().await;
    eprintln!("service limit 100/s over 3 nodes: {admitted:.1}/s admitted, {limited} refused");
    assert!(
        limited > 1000,
        "the load was beyond the limit: {limited} refused"
    );
    assert!(
        (90.0..=110.0).contains(&admitted),
        "{admitted:.1}/s admitted for a fleet-wide 100/s"
    );
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0);
    assert_eq!(tally.other.load(Ordering::Relaxed), 0);

    // A daily quota of 1,000 for a tenant, over the three nodes.
    let auth = bearer(&fleet).await;
    let quota = Traffic::start(fleet.urls("/paid/x"), 8, Some(auth.clone()));
    eventually("the quota used up", Duration::from_secs(30), async || {
        quota.count(|t| &t.limited) >= 300
    })
    .await;
    let tally = quota.finish().await;
    let used = tally.ok.load(Ordering::Relaxed);
    eprintln!(
        "quota of 1,000 over 3 nodes: {used} admitted, {} refused",
        tally.limited.load(Ordering::Relaxed)
    );
    assert!(
        (990..=1010).contains(&used),
        "{used} admitted for a quota of 1,000/day"
    );
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0);

    // All three restart: the day's count is in Redis, not in the processes.
    fleet.stop_proxies().await;
    fleet.restart_proxies().await;
    fleet.wait_for_nodes(3).await;
    let again = Traffic::start(fleet.urls("/paid/x"), 4, Some(auth));
    eventually(
        "requests after the restart",
        Duration::from_secs(10),
        async || again.count(|t| &t.limited) >= 200,
    )
    .await;
    let after = again.finish().await.ok.load(Ordering::Relaxed);
    eprintln!("after restarting all three: {after} more admitted");
    assert!(
        (990..=1010).contains(&(used + after)),
        "{used} + {after} admitted for a quota of 1,000/day across a restart"
    );

    fleet.stop().await;
    clear_prefix(&p).await;
    store.close().await;
}

/// A `redis-server` of the test's own on a unix socket (no port to pick),
/// with a password, killed and restarted at will.
struct OwnRedis {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let mut r = OwnRedis {
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        r.run();
        r
    }

    fn socket(&self) -> std::path::PathBuf {
        self.dir.path().join("redis.sock")
    }

    fn url(&self) -> String {
        format!("redis+unix://{}?pass={PASSWORD}", self.socket().display())
    }

    fn run(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .args(["--requirepass", PASSWORD])
            .arg("--unixsocket")
            .arg(self.socket())
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server)");
        self.child = Some(child);
        wait_for_socket(&self.socket());
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

const PASSWORD: &str = "weir-test-pass";

/// Until redis-server answers PING on `socket` (after AUTH).
fn wait_for_socket(socket: &Path) {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = std::os::unix::net::UnixStream::connect(socket) {
            let hello = format!("AUTH {PASSWORD}\r\nPING\r\n");
            let mut buf = [0u8; 12];
            if s.write_all(hello.as_bytes()).is_ok()
                && s.read_exact(&mut buf).is_ok()
                && &buf == b"+OK\r\n+PONG\r\n"
            {
                return;
            }
        }
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::yield_now();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_fleet_keeps_limiting_when_redis_goes_away() {
    with_postgres(redis_outage_scenario).await;
}

async fn redis_outage_scenario(url: String) {
    let up = TestUpstream::start("up").await;
    let store = Store::open(&url).await.unwrap();
    apply(&store, &services(&up)).await;
    let mut redis = OwnRedis::start();
    let fleet = Fleet::start(process_config(&url, &redis.url(), "weir"), &store).await;
    // Shared, so the password was accepted.
    eventually("shared", Duration::from_secs(5), async || {
        fleet.proxies.iter().all(|p| {
            weir_proxy::render_metrics(&p.plane).contains("weir_limits_mode{mode=\"shared\"} 1")
        })
    })
    .await;

    let load = Traffic::start(fleet.urls("/api/x"), 12, None);
    let _ = load.admitted_over(Duration::from_millis(500)).await;
    let shared = load.admitted_over(Duration::from_secs(2)).await as f64 / 2.0;
    eprintln!("shared: {shared:.1}/s");
    assert!(
        (90.0..=110.0).contains(&shared),
        "{shared:.1}/s admitted for 100/s"
    );

    // Redis killed under load.
    redis.kill();
    let killed = Instant::now();
    let health: Vec<String> = fleet
        .proxies
        .iter()
        .map(|p| format!("http://{}/metrics", p.health_addr.unwrap()))
        .collect();
    let mut seen = vec![false; 3];
    while seen.iter().any(|s| !s) {
        for (i, url) in health.iter().enumerate() {
            let text = common::client()
                .get(url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            seen[i] |= text.contains("weir_limits_mode{mode=\"degraded\"} 1");
        }
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "not every node degraded within 1 s: {seen:?}"
        );
    }
    eprintln!("degraded on every node after {:?}", killed.elapsed());
    // Explain says each node counts its share, of the three it knows.
    let said = explained_service_limit(&fleet.proxies[1]);
    assert_eq!(said.detail_code, "rate_depends_degraded", "{said:?}");
    assert_eq!(said.detail_params["nodes"], "3", "{said:?}");
    eventually(
        "the fleet API shows it",
        Duration::from_secs(2),
        async || {
            let list = fleet.gateways().await;
            list["gateways"].as_array().unwrap().iter().all(|g| {
                g["state"] != "alive"
                    || (g["limits"]["mode"] == "degraded" && g["limits"]["reason"].is_string())
            })
        },
    )
    .await;
    let window = Duration::from_secs(3);
    let degraded = load.admitted_over(window).await as f64 / window.as_secs_f64();
    eprintln!("degraded: {degraded:.1}/s (limit 100/s, 3 nodes at 34/s each)");
    assert!(
        (75.0..=125.0).contains(&degraded),
        "{degraded:.1}/s admitted with Redis away, for 100/s"
    );

    // Redis back: shared counting resumes.
    redis.run();
    eventually("shared again", Duration::from_secs(5), async || {
        fleet.proxies.iter().all(|p| {
            weir_proxy::render_metrics(&p.plane).contains("weir_limits_mode{mode=\"shared\"} 1")
        })
    })
    .await;
    let _ = load.admitted_over(Duration::from_millis(500)).await;
    let back = load.admitted_over(window).await as f64 / window.as_secs_f64();
    eprintln!("shared again: {back:.1}/s");
    assert!(
        (90.0..=110.0).contains(&back),
        "{back:.1}/s after Redis returned"
    );
    let tally = load.finish().await;
    assert_eq!(
        tally.server_errors.load(Ordering::Relaxed),
        0,
        "a 5xx while Redis was away"
    );
    assert_eq!(tally.other.load(Ordering::Relaxed), 0);
    fleet.stop().await;
    store.close().await;
}
