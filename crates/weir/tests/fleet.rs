//! The fleet, end to end: three `weir proxy` processes and a `weir admin` on
//! one store (a SQLite file the processes share, and a database of its own
//! on the local PostgreSQL and MariaDB servers). The admin API lists every
//! node with its revision; `weir apply --wait` returns once all of them
//! serve the new revision and says how long it took; a SIGKILLed node shows
//! as down within 3 heartbeats and is no longer waited for; a cleanly
//! stopped one shows as stopped; `--wait` works through the admin API
//! too; a node stuck on an old revision makes `--wait` time out naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use weir_testkit::db::{with_mysql, with_postgres, with_sqlite};

use common::process::ServingProcess;
use common::{api_token, eventually};
use serde_json::Value;
use weir_store::{NewGateway, Store};

const HEARTBEAT_MS: u64 = 200;
const POLL_MS: u64 = 50;

fn config(prefix: &str) -> String {
    format!(
        "services:\n  - name: api\n    match: {{ prefix: {prefix} }}\n    \
         upstream: {{ nodes: [{{ addr: \"127.0.0.1:9\" }}] }}\n"
    )
}

fn weir_process(dir: &Path, url: &str, args: &[&str]) -> ServingProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.current_dir(dir)
        .args(args)
        .env("WEIR_STORE_URL", url)
        .env("WEIR_LISTEN_HTTPS", "off")
        .env("WEIR_LOG_ACCESS", "off")
        .env("WEIR_STORE_POLL_INTERVAL", format!("{POLL_MS}ms"))
        .env("WEIR_STORE_HEARTBEAT_INTERVAL", format!("{HEARTBEAT_MS}ms"));
    ServingProcess::start(cmd)
}

fn apply(dir: &Path, url: &str, file: &str, wait: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .current_dir(dir)
        .args(["apply", "--store", url, "-f", file, wait])
        .env_remove("WEIR_STORE_URL")
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

struct Fleet {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl Fleet {
    async fn list(&self) -> Value {
        let res = self
            .client
            .get(&self.url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// The listed node that listens on `addr`.
    async fn node(&self, addr: &str) -> Option<Value> {
        let list = self.list().await;
        list["gateways"]
            .as_array()?
            .iter()
            .find(|g| {
                g["addresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == addr))
            })
            .cloned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_fleet_is_listed_converges_and_notices_a_killed_node() {
    with_sqlite(fleet_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_fleet_is_listed_converges_and_notices_a_killed_node() {
    with_postgres(fleet_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_fleet_is_listed_converges_and_notices_a_killed_node() {
    with_mysql(fleet_scenario).await;
}

async fn fleet_scenario(url: String) {
    let dir = tempfile::tempdir().unwrap();
    // Created here first, so the processes find the schema in place.
    let store = Store::open(&url).await.unwrap();
    let viewer = api_token(&store, "viewer").await;
    std::fs::write(dir.path().join("one.yaml"), config("/one/")).unwrap();
    std::fs::write(dir.path().join("two.yaml"), config("/two/")).unwrap();
    let first = apply(dir.path(), &url, "one.yaml", "--wait=10s");
    assert!(first.status.success(), "{first:?}");

    let admin = weir_process(dir.path(), &url, &["admin", "--admin", "127.0.0.1:0"]);
    let mut proxies: Vec<ServingProcess> = (0..3)
        .map(|_| weir_process(dir.path(), &url, &["proxy", "--http", "127.0.0.1:0"]))
        .collect();
    let addrs: Vec<String> = proxies
        .iter()
        .map(|p| p.addr("http_addr").unwrap().to_string())
        .collect();
    let fleet = Fleet {
        client: common::client(),
        url: format!(
            "http://{}/api/v1/gateways",
            admin.addr("admin_addr").unwrap()
        ),
        token: viewer,
    };

    // Every proxy is listed, alive, with the current revision; the admin process is
    // not a data-plane node.
    eventually("three alive nodes", Duration::from_secs(10), async || {
        let list = fleet.list().await;
        let nodes = list["gateways"].as_array().unwrap();
        let revision = &list["store_revision"];
        let ok = nodes.len() == 3
            && nodes
                .iter()
                .all(|n| n["state"] == "alive" && n["revision"] == *revision);
        if !ok {
            eprintln!("not yet: {list}");
        }
        ok
    })
    .await;
    // The first start wrote a revision too (the token signing key).
    let base = fleet.list().await["store_revision"].as_i64().unwrap();
    for addr in &addrs {
        let node = fleet.node(addr).await.expect("listed by its address");
        assert_eq!(node["role"], "proxy");
        assert_eq!(node["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(node["heartbeat_ms"], HEARTBEAT_MS);
        assert!(!node["host"].as_str().unwrap().is_empty());
    }

    // A change: `--wait` returns once all three serve it.
    let out = apply(dir.path(), &url, "two.yaml", "--wait=10s");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains(&format!("applied revision {}", base + 1)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "revision {} is live on all 3 gateways after",
            base + 1
        )),
        "{text}"
    );
    eprintln!("apply --wait: {}", text.lines().last().unwrap_or(""));
    let list = fleet.list().await;
    assert_eq!(
        (list["store_revision"].as_i64(), list["converged"].as_bool()),
        (Some(base + 1), Some(true))
    );
    assert!(
        list["gateways"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["revision"] == base + 1),
        "{list}"
    );

    // SIGKILL one: down within 3 heartbeats (plus the admin API's read).
    let mut killed = proxies.remove(0);
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let since = Instant::now();
    let took = eventually(
        "the killed node shows down",
        Duration::from_secs(10),
        async || {
            fleet
                .node(&addrs[0])
                .await
                .is_some_and(|n| n["state"] == "down")
        },
    )
    .await;
    eprintln!("killed node shown down after {} ms", took.as_millis());
    let bound = Duration::from_millis(3 * HEARTBEAT_MS + 2 * POLL_MS + 150);
    assert!(
        since.elapsed() <= bound + Duration::from_millis(100),
        "{took:?} > {bound:?}"
    );
    assert_eq!(fleet.list().await["alive"], 2);

    // The dead node is not waited for.
    let out = apply(dir.path(), &url, "one.yaml", "--wait=10s");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!("revision {} is live on all 2 gateways", base + 2)),
        "{out:?}"
    );

    // A clean stop (SIGTERM) shows as stopped.
    let stopped = proxies.remove(0);
    let pid = rustix::process::Pid::from_raw(stopped.child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    eventually(
        "the stopped node shows stopped",
        Duration::from_secs(10),
        async || {
            fleet
                .node(&addrs[1])
                .await
                .is_some_and(|n| n["state"] == "stopped")
        },
    )
    .await;
    drop(stopped);

    // Through the admin API (`--server`) the same.
    let admin_token = api_token(&store, "admin").await;
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .current_dir(dir.path())
        .args(["apply", "-f", "two.yaml", "--wait"])
        .arg(format!(
            "--server=http://{}",
            admin.addr("admin_addr").unwrap()
        ))
        .env("WEIR_API_TOKEN", &admin_token)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains(&format!("revision {} is live on all 1 gateways", base + 3)),
        "{text}"
    );

    // A node stuck on an old revision (alive for a minute's heartbeats):
    // `--wait` times out, names it, exits 1.
    let stuck = NewGateway {
        id: "stuck-node".into(),
        host: "elsewhere".into(),
        addresses: vec!["10.0.0.9:8080".into()],
        role: "proxy".into(),
        version: "0.0.1".into(),
        revision: 1,
        heartbeat: Duration::from_secs(60),
        limits: Default::default(),
    };
    store
        .register_gateway(&stuck, jiff::Timestamp::now().as_millisecond())
        .await
        .unwrap();
    let out = apply(dir.path(), &url, "one.yaml", "--wait=500ms");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        err.contains(&format!(
            "timed out after 500ms: revision {} is not live on 1 gateway(s)",
            base + 4
        )),
        "{err}"
    );
    assert!(
        err.contains("stuck-node (elsewhere) serves revision 1"),
        "{err}"
    );
    drop(proxies);
    drop(admin);
}
