//! Live reload under load: a configuration applied to the store while
//! requests are running takes effect within a second, no request fails, and
//! unchanged services keep their upstream connections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TestGateway, apply, client, get_json, node};
use weir_testkit::TestUpstream;

fn config(a_node: &str, c_node: &str, with_b: Option<&str>) -> String {
    let mut y = format!(
        "services:\n  - {{ name: a, match: {{ prefix: /a/ }}, upstream: {{ nodes: [{{ addr: \"{a_node}\" }}] }} }}\n  - {{ name: c, match: {{ prefix: /c/ }}, upstream: {{ nodes: [{{ addr: \"{c_node}\" }}] }} }}\n"
    );
    if let Some(b) = with_b {
        y.push_str(&format!(
            "  - {{ name: b, match: {{ prefix: /b/ }}, upstream: {{ nodes: [{{ addr: \"{b}\" }}] }} }}\n"
        ));
    }
    y
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_change_under_load_loses_nothing_and_applies_within_a_second() {
    let old = TestUpstream::start("old").await;
    let new = TestUpstream::start("new").await;
    let steady = TestUpstream::start("steady").await;
    let gw = TestGateway::start(&config(
        &old.addr.to_string(),
        &steady.addr.to_string(),
        None,
    ))
    .await;

    // Continuous load on /a/ from 8 clients for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let url = gw.url("/a/x");
        load.push(tokio::spawn(async move {
            let http = client();
            while !stop.load(Ordering::Relaxed) {
                let good = match http.get(&url).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    Ok(r) => {
                        eprintln!("failed: status {}", r.status());
                        false
                    }
                    Err(e) => {
                        eprintln!("failed: {e}");
                        false
                    }
                };
                if good {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // The unchanged service c: one keep-alive connection before the change.
    let http = client();
    for _ in 0..5 {
        let (s, v) = get_json(&http, &gw.url("/c/1")).await;
        assert_eq!((s, node(&v)), (200, "steady"));
    }
    let steady_conns = steady.connections();

    tokio::time::sleep(Duration::from_millis(500)).await;
    // Change a's node, add b; c unchanged.
    let rev = apply(
        &gw.store,
        &config(
            &new.addr.to_string(),
            &steady.addr.to_string(),
            Some(&new.addr.to_string()),
        ),
    )
    .await;
    let applied_at = Instant::now();
    // The new route and a's new node become visible within 1 s.
    let probe = client();
    let visible = loop {
        let b = probe.get(gw.url("/b/x")).send().await.unwrap();
        if b.status() == 200 {
            let (_, v) = get_json(&probe, &gw.url("/a/x")).await;
            if node(&v) == "new" {
                break applied_at.elapsed();
            }
        }
        assert!(
            applied_at.elapsed() < Duration::from_secs(1),
            "revision {rev} not serving after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("reload visible after {visible:?}; {ok} ok, {failed} failed");
    assert_eq!(failed, 0, "{failed} requests failed during the reload");
    assert!(ok > 100, "load generator too slow to mean anything: {ok}");
    assert!(old.requests() > 0 && new.requests() > 0);

    // c's pool survived: more requests, no new upstream connection.
    for _ in 0..5 {
        let (s, v) = get_json(&http, &gw.url("/c/2")).await;
        assert_eq!((s, node(&v)), (200, "steady"));
    }
    assert_eq!(
        steady.connections(),
        steady_conns,
        "the unchanged service opened new upstream connections after the reload"
    );
    gw.stop().await;
}

#[tokio::test]
async fn invalid_revision_is_refused_and_old_snapshot_keeps_serving() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&config(&up.addr.to_string(), &up.addr.to_string(), None)).await;
    let before = gw.gateway.plane.snapshot().revision;
    // Write a revision the store accepts but a newer-or-older gateway could
    // not compile: simulate with a corrupt regex written behind the
    // validation, straight into the resource table.
    let db = gw.dir.path().join("weir.db");
    let conn = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&conn).await.unwrap();
    sqlx::query(
        "UPDATE weir_resources SET spec = json_set(spec, '$.rewrite', json('[{\"pattern\":\"(\",\"replacement\":\"x\"}]')) WHERE name = 'a'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE weir_meta SET revision = revision + 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let snap = gw.gateway.plane.snapshot();
    assert_eq!(
        snap.revision, before,
        "the broken revision must not be installed"
    );
    let (_, failures) = gw.gateway.plane.install_counts();
    assert!(failures >= 1);
    let (s, _) = get_json(&client(), &gw.url("/a/still")).await;
    assert_eq!(s, 200, "old configuration keeps serving");
    gw.stop().await;
}
