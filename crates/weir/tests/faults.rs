//! Fault tests: the gateway loses nothing it has accepted while its
//! configuration changes under load (100 revisions in a row: header
//! operations, a service added and removed, node weights), nor when the
//! real binary is stopped with SIGTERM under load (shutdown.rs covers the
//! single request; here many clients, some slow, are running).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::load::{Connections, Load, Totals};
use common::process::GatewayProcess;
use common::{TestGateway, apply, client, get_json, node};
use weir_testkit::TestUpstream;

/// Revision `n` of a configuration that changes something every time:
/// the header that service `a` adds, the weights of its two nodes, and
/// whether service `b` exists.
fn revision(n: u32, one: &TestUpstream, two: &TestUpstream) -> String {
    let mut y = format!(
        r#"services:
  - name: a
    match: {{ prefix: /a/ }}
    request_headers:
      - {{ op: set, name: X-Revision, value: "{n}" }}
    upstream:
      nodes:
        - {{ addr: "{one}", weight: {w1} }}
        - {{ addr: "{two}", weight: {w2} }}
"#,
        one = one.addr,
        two = two.addr,
        w1 = 1 + n % 7,
        w2 = 1 + (n * 3) % 5,
    );
    if n % 2 == 1 {
        y.push_str(&format!(
            "  - {{ name: b, match: {{ prefix: /b/ }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
            two.addr
        ));
    }
    y
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_configuration_changes_under_load_fail_no_request() {
    let one = TestUpstream::start("one").await;
    let two = TestUpstream::start("two").await;
    let gw = TestGateway::start_with(&revision(0, &one, &two), |cfg| {
        cfg.store.poll_interval = weir_core::HumanDuration::from_millis(20);
    })
    .await;

    let load = Load::start(gw.url("/a/x"), 6, Connections::Reuse);

    let probe = client();
    let started = Instant::now();
    for n in 1..=100 {
        let rev = gw.reconfigure(&revision(n, &one, &two)).await;
        assert_eq!(gw.gateway.plane.snapshot().revision, rev);
        // The revision being served is the one just applied.
        let (status, echo) = get_json(&probe, &gw.url("/a/probe")).await;
        assert_eq!(status, 200);
        assert_eq!(echo["headers"]["x-revision"], n.to_string(), "revision {n}");
        let b = probe.get(gw.url("/b/probe")).send().await.unwrap().status();
        assert_eq!(b == 200, n % 2 == 1, "service b at revision {n}: {b}");
        // Keep the load running through each change.
        load.progress_within(5, Duration::from_secs(5)).await;
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "100 revisions took too long"
        );
    }
    let Totals { ok, failed, .. } = load.finish().await;
    eprintln!(
        "100 revisions in {:?}; {ok} ok, {failed} failed",
        started.elapsed()
    );
    assert_eq!(failed, 0, "{failed} requests failed across 100 revisions");
    assert!(ok >= 500);
    let (installs, failures) = gw.gateway.plane.install_counts();
    assert!(
        installs >= 100 && failures == 0,
        "{installs} installs, {failures} refused"
    );
    // Both nodes served: weights changed, the pool did not break.
    assert!(one.requests() > 0 && two.requests() > 0);
    let (_, v) = get_json(&probe, &gw.url("/a/last")).await;
    assert!(["one", "two"].contains(&node(&v)));
    // The revisions were counted in the store too.
    let last = apply(&gw.store, &revision(100, &one, &two)).await;
    assert!(last >= 101, "store revision {last}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_request_the_gateway_accepted() {
    // Separate upstreams, so that the slow ones can be seen in flight.
    let up = TestUpstream::start("up").await;
    let slow_up = TestUpstream::start("slow").await;
    let yaml = format!(
        "services:\n  - {{ name: s, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n  - {{ name: slow, match: {{ prefix: /slow/ }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr, slow_up.addr
    );
    let mut gw = tokio::task::spawn_blocking(move || {
        GatewayProcess::start(&yaml, &[("WEIR_PROXY_SHUTDOWN_GRACE", "10s")])
    })
    .await
    .unwrap();
    let base = format!("http://{}", gw.http);

    // Fast clients, each request on a new connection, until refused.
    let ok = Arc::new(AtomicU64::new(0));
    let answered_error = Arc::new(AtomicU64::new(0));
    let signalled_flag = Arc::new(AtomicBool::new(false));
    let early_error = Arc::new(AtomicU64::new(0));
    let mut fast = Vec::new();
    for _ in 0..4 {
        let (ok, answered_error) = (ok.clone(), answered_error.clone());
        let (signalled_flag, early_error) = (signalled_flag.clone(), early_error.clone());
        let url = format!("{base}/fast");
        fast.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            for _ in 0..100_000 {
                match http.get(&url).send().await {
                    Ok(r) if r.status() == 200 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        eprintln!("answered {}", r.status());
                        answered_error.fetch_add(1, Ordering::Relaxed);
                    }
                    // Refused, or reset while still in the listen
                    // backlog when the listener closed: the gateway is
                    // going, as it may after the signal. A connection it
                    // accepted is answered (checked below).
                    Err(e) => {
                        if !signalled_flag.load(Ordering::SeqCst) {
                            eprintln!("failed before the signal: {e:?}");
                            early_error.fetch_add(1, Ordering::Relaxed);
                        }
                        return;
                    }
                }
            }
        }));
    }
    // Slow requests, in flight at the upstream when the signal comes.
    let slow: Vec<_> = (0..8)
        .map(|i| {
            let url = format!("{base}/slow/{i}");
            tokio::spawn(async move {
                reqwest::Client::new()
                    .get(url)
                    .header("x-test-delay-ms", "1500")
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let start = Instant::now();
    while slow_up.requests() < 8 || ok.load(Ordering::Relaxed) < 50 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "load did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let signalled = Instant::now();
    signalled_flag.store(true, Ordering::SeqCst);
    gw.signal("TERM");
    for s in slow {
        assert_eq!(
            s.await.unwrap().unwrap(),
            200,
            "an in-flight request was lost"
        );
    }
    for f in fast {
        f.await.unwrap();
    }
    let status = tokio::task::block_in_place(|| {
        let start = Instant::now();
        loop {
            if let Some(status) = gw.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    assert!(status.success(), "exit status {status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(6),
        "exits once the slow requests finish, well within the 10 s grace"
    );
    // After exit new connections are refused.
    assert!(tokio::net::TcpStream::connect(gw.http).await.is_err());
    // Every request the gateway forwarded was answered to its client.
    let answered = ok.load(Ordering::Relaxed);
    assert_eq!(answered_error.load(Ordering::Relaxed), 0);
    assert_eq!(
        early_error.load(Ordering::Relaxed),
        0,
        "failures before SIGTERM"
    );
    assert_eq!(
        up.requests(),
        answered,
        "requests forwarded upstream but never answered to the client"
    );
}
