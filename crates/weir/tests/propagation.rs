//! How fast a configuration change reaches a fleet: three `weir proxy`
//! processes and one `weir admin` on one store, on loopback. Each round
//! applies a route change with `weir apply` and measures the time from the
//! command returning to the new route answering on all three proxies.
//!
//! PostgreSQL wakes followers with LISTEN/NOTIFY: p99 must be ≤ 100 ms.
//! MariaDB is followed by polling (`store.poll_interval`, 250 ms by default):
//! bounded by the interval plus a margin. Both print their numbers (run with
//! `--nocapture`). Each test creates its own database on the local server
//! (`WEIR_TEST_PG_URL` / `WEIR_TEST_MYSQL_URL`, server URLs without a
//! database) and drops it afterwards; an unreachable server fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::eventually;
use common::process::ServingProcess;
use sqlx::{AnyConnection, Connection};
use weir_testkit::db::{Server, with_server_database};
use weir_testkit::http::TestUpstream;

/// Route changes measured per store.
const ROUNDS: usize = 30;

/// The followers' poll interval (the default).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Longest wait for one change to show; far beyond any expected figure.
const GIVE_UP: Duration = Duration::from_secs(10);

/// The two fleets measure latency: one at a time, so that neither shares
/// the two cores with the other's four processes.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fleet_sees_a_change_within_100ms() {
    let _alone = MEASURING.lock().await;
    with_server_database(Server::Postgres, |url| async move {
        let times = measure(Server::Postgres, &url).await;
        let p99 = percentile(&times, 99);
        assert!(
            p99 <= Duration::from_millis(100),
            "PostgreSQL p99 {p99:?} > 100 ms: {times:?}"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_fleet_sees_a_change_within_the_poll_interval() {
    let _alone = MEASURING.lock().await;
    with_server_database(Server::MySql, |url| async move {
        let times = measure(Server::MySql, &url).await;
        // Polling: at most one interval, plus the reload and a busy machine.
        let bound = POLL_INTERVAL + Duration::from_millis(250);
        let p99 = percentile(&times, 99);
        assert!(p99 <= bound, "MariaDB p99 {p99:?} > {bound:?}: {times:?}");
    })
    .await
}

/// Starts the fleet on `url`, runs [`ROUNDS`] changes and returns, per
/// change, the time until all three proxies served it (sorted).
async fn measure(server: Server, url: &str) -> Vec<Duration> {
    let label = match server {
        Server::Postgres => "PostgreSQL",
        Server::MySql => "MariaDB",
    };
    let dir = tempfile::tempdir().unwrap();
    let origin = TestUpstream::start("origin").await;
    apply(dir.path(), url, &origin.addr, 0).await;

    let admin = start(url, "admin", &[("WEIR_LISTEN_ADMIN", "127.0.0.1:0")]);
    assert!(admin.addr("admin_addr").is_some(), "{}", admin.serving);
    let proxies: Vec<ServingProcess> = (0..3)
        .map(|_| start(url, "proxy", &[("WEIR_LISTEN_HTTP", "127.0.0.1:0")]))
        .collect();
    let addrs: Vec<SocketAddr> = proxies
        .iter()
        .map(|p| p.addr("http_addr").expect("a proxy's HTTP address"))
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Everyone serves the starting configuration, and on PostgreSQL
    // listens, before the clock runs.
    for addr in &addrs {
        live_after(&client, *addr, 0, Instant::now()).await;
    }
    if let Server::Postgres = server {
        fleet_listens(url, 1 + proxies.len()).await;
    }

    let mut times = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        apply(dir.path(), url, &origin.addr, round).await;
        let applied = Instant::now();
        let all = futures_util::future::join_all(
            addrs
                .iter()
                .map(|addr| live_after(&client, *addr, round, applied)),
        )
        .await;
        times.push(all.into_iter().max().unwrap());
    }
    let in_order: Vec<u128> = times.iter().map(Duration::as_millis).collect();
    times.sort();
    println!("{label}: per round (ms): {in_order:?}");
    println!(
        "{label}: change live on 3 proxies after `weir apply` returned, {ROUNDS} rounds, \
         poll interval {POLL_INTERVAL:?}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, min {:.1} ms",
        ms(percentile(&times, 50)),
        ms(percentile(&times, 99)),
        ms(times[times.len() - 1]),
        ms(times[0]),
    );
    drop(proxies);
    drop(admin);
    times
}

/// `weir apply` of the configuration of `round`: one service on
/// `/v<round>/`, so that each round's path answers only once its revision is
/// live.
async fn apply(dir: &Path, url: &str, origin: &SocketAddr, round: usize) {
    let file = dir.join(format!("round{round}.yaml"));
    std::fs::write(
        &file,
        format!(
            "services:\n  - name: api\n    match: {{ prefix: /v{round}/ }}\n    \
             upstream: {{ nodes: [{{ addr: \"{origin}\" }}] }}\n"
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["apply", "--store", url, "-f"])
        .arg(&file)
        .env_remove("WEIR_STORE_URL")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// Asks the proxy at `addr` for round `round`'s path until the origin
/// answers it; returns the time since `since`. Probes every millisecond:
/// the change is the event waited for, the pause only spares the CPU the
/// fleet needs.
async fn live_after(
    client: &reqwest::Client,
    addr: SocketAddr,
    round: usize,
    since: Instant,
) -> Duration {
    let url = format!("http://{addr}/v{round}/probe");
    loop {
        if let Ok(res) = client.get(&url).send().await
            && res.status() == 200
        {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < GIVE_UP,
            "round {round} not live on {addr} within {GIVE_UP:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Waits (up to 10 s) until `processes` revision listeners are connected
/// to `url`'s database and have run `LISTEN`: a process reports that it
/// serves before its listener is up, and until then it only polls.
async fn fleet_listens(url: &str, processes: usize) {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    eventually(
        &format!("{processes} processes listen"),
        Duration::from_secs(10),
        async || {
            let listening: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = 'weir revision listener' AND query LIKE 'LISTEN%'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            listening as usize >= processes
        },
    )
    .await;
    conn.close().await.unwrap();
}

/// `weir <role>` on `url`, every listener on port 0; returns once serving.
fn start(url: &str, role: &str, env: &[(&str, &str)]) -> ServingProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.arg(role)
        .env("WEIR_STORE_URL", url)
        .env("WEIR_STORE_POLL_INTERVAL", "250ms")
        .env("WEIR_LISTEN_HTTPS", "off")
        .env("WEIR_LISTEN_HEALTH", "127.0.0.1:0")
        .env("WEIR_LOG_ACCESS", "off")
        // The proxies run in the crate's directory: no cache file there
        // (store_outage.rs is where the cache is tested).
        .env("WEIR_STORE_CACHE", "off")
        .envs(env.iter().copied());
    ServingProcess::start(cmd)
}

/// The `p`th percentile (nearest rank) of sorted `times`.
fn percentile(times: &[Duration], p: usize) -> Duration {
    let rank = (times.len() * p).div_ceil(100).max(1);
    times[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
