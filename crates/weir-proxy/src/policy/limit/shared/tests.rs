//! Shared limits against the real Redis on 127.0.0.1:6379 (each test under
//! its own key prefix, deleted after), two or three backends standing in
//! for the nodes of a fleet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use weir_core::compile::Rate;

use super::*;
use crate::policy::limit::{DailyCounter, GcraCell, LimitBackend, LimitScope, LimitStatus};

use weir_testkit::redis::{SHARED_REDIS as REDIS, clear_prefix, unique_prefix as prefix};

fn node(url: &str, prefix: &str) -> (Arc<SharedLimits>, SyncTask) {
    let limits = Arc::new(SharedLimits::new());
    let task = SyncTask::spawn(
        Arc::clone(&limits),
        RedisSettings {
            url: url.to_owned(),
            key_prefix: prefix.to_owned(),
            timeout: Duration::from_millis(250),
        },
    )
    .unwrap();
    (limits, task)
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Two nodes, each asked far beyond the limit for 3 s, admit the limit
/// once between them: 100/s, not 200/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_service_limit() {
    let p = prefix();
    let nodes = [node(REDIS, &p), node(REDIS, &p)];
    for (n, _) in &nodes {
        n.set_fleet_size(2);
    }
    let cells = [GcraCell::new(), GcraCell::new()];
    let rate = Rate {
        per_second: 100,
        burst: 10,
    };
    let run = Duration::from_secs(3);
    let start = tokio::time::Instant::now();
    let mut admitted = 0u32;
    let mut asked = 0u32;
    while start.elapsed() < run {
        for (i, (n, _)) in nodes.iter().enumerate() {
            let scope = LimitScope::Service {
                service: "api",
                cell: &cells[i],
            };
            asked += 1;
            if n.acquire(scope, rate, crate::clock::mono_nanos()).allowed {
                admitted += 1;
            }
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let expected = 300 + 10;
    assert!(
        asked > 3 * expected,
        "the load was not beyond the limit: {asked}"
    );
    assert!(
        admitted.abs_diff(expected) <= expected / 10,
        "{admitted} admitted in 3 s for 100/s (burst 10) over two nodes"
    );
    for (_, t) in nodes {
        t.stop().await;
    }
    clear_prefix(&p).await;
}

/// A daily quota of 50 over three nodes stops at 50, and a fresh set of
/// nodes (a restart of the fleet) still finds it used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_is_counted_once_and_survives_a_restart() {
    let p = prefix();
    let tz = TimeZone::UTC;
    let counter = DailyCounter::new();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let nodes = [node(REDIS, &p), node(REDIS, &p), node(REDIS, &p)];
    let mut admitted = 0;
    for i in 0..400 {
        let (n, _) = &nodes[i % 3];
        if n.acquire_quota("app", &counter, 50, now_ms, &tz).allowed {
            admitted += 1;
        }
        if i % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // Leases still held when the load stopped come back on stop.
    for (_, t) in nodes {
        t.stop().await;
    }
    assert!(admitted <= 50, "{admitted} admitted for a quota of 50");
    assert!(admitted >= 45, "{admitted} admitted for a quota of 50");

    let (again, task) = node(REDIS, &p);
    let mut more = 0;
    for _ in 0..100 {
        if again
            .acquire_quota("app", &counter, 50, now_ms, &tz)
            .allowed
        {
            more += 1;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // A node that has heard nothing of the tenant admits one request ahead
    // of its first lease (0.5 % of the quota over the fleet, at least one).
    assert!(
        admitted + more <= 50 + 1,
        "{admitted} + {more} after the restart, for a quota of 50"
    );
    assert!(
        admitted + more >= 49,
        "{admitted} + {more}: the refunds came back"
    );
    task.stop().await;
    clear_prefix(&p).await;
}

/// Redis unreachable: degraded at once, each node at its share, nothing
/// refused for that reason; the status says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_node_counts_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis+unix://{}", dir.path().join("none.sock").display());
    let (n, task) = node(&url, &prefix());
    n.set_fleet_size(4);
    let cell = GcraCell::new();
    let rate = Rate {
        per_second: 100,
        burst: 40,
    };
    let scope = LimitScope::Service {
        service: "api",
        cell: &cell,
    };
    // The first request finds no lease and queues an ask, which fails.
    let t0 = crate::clock::mono_nanos();
    assert!(n.acquire(scope, rate, t0).allowed);
    wait_until("degraded", || n.is_degraded()).await;
    match n.status() {
        LimitStatus::Degraded { reason, since_ms } => {
            assert!(since_ms > 0);
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // A share of 100/s, burst 40 over 4 nodes: a burst of 10 at one instant.
    let now = crate::clock::mono_nanos() + 10_000_000_000;
    let admitted = (0..50)
        .filter(|_| n.acquire(scope, rate, now).allowed)
        .count();
    assert_eq!(admitted, 10);
    let counter = DailyCounter::new();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let q = (0..100)
        .filter(|_| {
            n.acquire_quota("app", &counter, 100, now_ms, &TimeZone::UTC)
                .allowed
        })
        .count();
    assert_eq!(
        q, 25,
        "a quota of 100 over 4 nodes, nothing heard from Redis"
    );
    assert!(n.sync_errors() > 0);
    task.stop().await;
}

/// Redis comes back: shared counting resumes, and the quota use counted
/// while it was away is charged to the fleet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_use_during_an_outage_reaches_redis_when_it_returns() {
    let p = prefix();
    let (n, task) = node(REDIS, &p);
    let counter = DailyCounter::new();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let tz = TimeZone::UTC;
    // Degraded by hand (as a failed call would), then 7 requests.
    n.degrade("test".into(), now_ms);
    for _ in 0..7 {
        assert!(n.acquire_quota("app", &counter, 1000, now_ms, &tz).allowed);
    }
    // The task pings, finds Redis, and charges the 7.
    wait_until("shared again", || n.status() == LimitStatus::Shared).await;
    let client = redis::Client::open(REDIS).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let day = day_bounds(now_ms, &tz).0;
    let key = format!("{p}:q:3:app:{day}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let used: Option<u64> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        if used.unwrap_or(0) >= 7 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{key} = {used:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.stop().await;
    let used: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(used, 7, "after stop, only what was admitted stays charged");
    clear_prefix(&p).await;
}
