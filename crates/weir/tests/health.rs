//! Upstream health end to end: active TCP, HTTP and gRPC checks take nodes
//! out and bring them back, killing a node under load is invisible to
//! idempotent requests, passive ejection grows and respects the maximum
//! share, DNS discovery follows changing answers and SRV weights, and node
//! health survives reloads of unrelated configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::{TestGateway, client, eventually, get_json, node, node_status};
use tokio::net::TcpListener;
use weir_testkit::grpc::{self, echo_client};
use weir_testkit::{EchoRequest, GrpcServer, Srv, TestDns, TestUpstream};

fn nodes(ups: &[&TestUpstream]) -> String {
    ups.iter()
        .map(|u| format!("{{ addr: \"{}\" }}", u.addr))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn restart(addr: SocketAddr, name: &str) -> TestUpstream {
    // The port was just released by kill(); bind it again.
    let listener = loop {
        match TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    TestUpstream::serve(listener, name)
}

async fn nodes_hit(gw: &TestGateway, path: &str, n: usize) -> HashMap<String, usize> {
    let http = client();
    let mut seen = HashMap::new();
    for _ in 0..n {
        let (status, v) = get_json(&http, &gw.url(path)).await;
        assert_eq!(status, 200, "{v}");
        *seen.entry(node(&v).to_owned()).or_default() += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_checks_remove_a_dead_node_and_restore_it() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{}]\n      health_check: {{ type: tcp, interval: 100ms, timeout: 100ms, healthy: 2, unhealthy: 2 }}\n",
        nodes(&[&a, &b])
    );
    let gw = TestGateway::start(&yaml).await;
    let b_addr = b.addr;
    let b_key = b_addr.to_string();
    eventually("first checks", Duration::from_secs(2), async || {
        gw.gateway
            .plane
            .node_health("s")
            .unwrap()
            .iter()
            .all(|n| n.last_check_ms.is_some())
    })
    .await;
    assert_eq!(node_status(&gw, "s", &b_key).as_deref(), Some("healthy"));

    b.kill();
    let took = eventually("b unhealthy", Duration::from_secs(3), async || {
        node_status(&gw, "s", &b_key).as_deref() == Some("unhealthy")
    })
    .await;
    eprintln!("dead node removed after {took:?}");
    let report = gw.gateway.plane.node_health("s").unwrap();
    let b_report = report.iter().find(|n| n.addr == b_key).unwrap();
    // The dead node's error is classified, with its address.
    let err = b_report.last_error.as_ref().unwrap();
    assert_eq!(err.code(), "connect_refused", "{b_report:?}");
    assert_eq!(err.params()["addr"], b_key);
    assert!(err.to_string().contains("refused"), "{err}");
    let hits = nodes_hit(&gw, "/x", 10).await;
    assert_eq!(
        hits.get("a"),
        Some(&10),
        "all traffic to the live node: {hits:?}"
    );

    let _b2 = restart(b_addr, "b2").await;
    let took = eventually("b healthy again", Duration::from_secs(3), async || {
        node_status(&gw, "s", &b_key).as_deref() == Some("healthy")
    })
    .await;
    eprintln!("restored after {took:?}");
    let hits = nodes_hit(&gw, "/x", 10).await;
    assert!(
        hits.get("b2").copied().unwrap_or(0) >= 4,
        "traffic returns: {hits:?}"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_checks_follow_the_health_path() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{}]\n      health_check: {{ type: http, path: /__health, expect_status: 200-299, interval: 100ms, timeout: 100ms, healthy: 2, unhealthy: 2 }}\n",
        nodes(&[&a, &b])
    );
    let gw = TestGateway::start(&yaml).await;
    let b_key = b.addr.to_string();
    b.set_health_status(500);
    eventually("b unhealthy on 500", Duration::from_secs(3), async || {
        node_status(&gw, "s", &b_key).as_deref() == Some("unhealthy")
    })
    .await;
    let report = gw.gateway.plane.node_health("s").unwrap();
    let err = report
        .iter()
        .find(|n| n.addr == b_key)
        .unwrap()
        .last_error
        .clone()
        .unwrap();
    assert_eq!(err.code(), "check_status", "{err}");
    assert_eq!(err.params()["status"], "500");
    assert_eq!(err.params()["path"], "/__health");
    assert!(err.to_string().contains("status 500"), "{err}");
    assert_eq!(nodes_hit(&gw, "/x", 6).await.get("a"), Some(&6));
    b.set_health_status(204);
    eventually("b healthy on 204", Duration::from_secs(3), async || {
        node_status(&gw, "s", &b_key).as_deref() == Some("healthy")
    })
    .await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_health_not_serving_removes_a_node() {
    let a = GrpcServer::start("grpc-a").await;
    let b = GrpcServer::start("grpc-b").await;
    let yaml = format!(
        "services:\n  - name: g\n    kind: grpc\n    match: {{ prefix: /weir.test.v1.Echo/ }}\n    upstream:\n      nodes: [{{ addr: \"{}\" }}, {{ addr: \"{}\" }}]\n      health_check: {{ type: grpc, interval: 100ms, timeout: 100ms, healthy: 1, unhealthy: 1 }}\n",
        a.addr, b.addr
    );
    let gw = TestGateway::start(&yaml).await;
    let b_key = b.addr.to_string();
    eventually("checked", Duration::from_secs(2), async || {
        gw.gateway
            .plane
            .node_health("g")
            .unwrap()
            .iter()
            .all(|n| n.last_check_ms.is_some())
    })
    .await;
    assert_eq!(node_status(&gw, "g", &b_key).as_deref(), Some("healthy"));
    b.set_serving(false).await;
    eventually("NOT_SERVING", Duration::from_secs(3), async || {
        node_status(&gw, "g", &b_key).as_deref() == Some("unhealthy")
    })
    .await;
    let mut c = echo_client(grpc::channel(gw.gateway.http_addr.unwrap()).await.unwrap());
    for _ in 0..6 {
        let reply = c.unary(EchoRequest::default()).await.unwrap();
        assert_eq!(reply.get_ref().node, "grpc-a");
    }
    b.set_serving(true).await;
    eventually("SERVING again", Duration::from_secs(3), async || {
        node_status(&gw, "g", &b_key).as_deref() == Some("healthy")
    })
    .await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_of_three_nodes_under_load() {
    let ups = [
        TestUpstream::start("n0").await,
        TestUpstream::start("n1").await,
        TestUpstream::start("n2").await,
    ];
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{}]\n      health_check: {{ type: tcp, interval: 200ms, timeout: 100ms, unhealthy: 2 }}\n      outlier: {{ consecutive_failures: 2, base_ejection: 10s }}\n",
        nodes(&[&ups[0], &ups[1], &ups[2]])
    );
    let gw = TestGateway::start(&yaml).await;
    let stop = Arc::new(AtomicBool::new(false));
    let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default()); // get ok, get failed, post ok, post failed
    let mut load = Vec::new();
    for worker in 0..6 {
        let (stop, counts, url) = (stop.clone(), counts.clone(), gw.url("/work"));
        load.push(tokio::spawn(async move {
            let http = client();
            let post = worker == 0;
            while !stop.load(Ordering::Relaxed) {
                let res = if post {
                    http.post(&url).body("x").send().await
                } else {
                    http.get(&url).header("x-test-delay-ms", "5").send().await
                };
                let ok = matches!(&res, Ok(r) if r.status() == 200);
                let slot = match (post, ok) {
                    (false, true) => 0,
                    (false, false) => 1,
                    (true, true) => 2,
                    (true, false) => 3,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
                if let Ok(r) = res {
                    let _ = r.bytes().await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    ups[2].kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    let [get_ok, get_failed, post_ok, post_failed] =
        counts.each_ref().map(|c| c.load(Ordering::Relaxed));
    eprintln!(
        "GET: {get_ok} ok, {get_failed} failed; POST: {post_ok} ok, {post_failed} failed (in flight when the node died)"
    );
    assert!(get_ok > 200, "load too light to mean anything: {get_ok}");
    assert_eq!(
        get_failed, 0,
        "idempotent requests must not see the dead node"
    );
    assert!(
        post_failed <= 2,
        "only requests in flight may fail: {post_failed}"
    );
    let st = node_status(&gw, "s", &ups[2].addr.to_string()).unwrap();
    assert!(st == "unhealthy" || st == "ejected", "{st}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlier_ejection_grows_and_keeps_a_share_serving() {
    let ups = [
        TestUpstream::start("n0").await,
        TestUpstream::start("n1").await,
        TestUpstream::start("n2").await,
    ];
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{}]\n      outlier: {{ consecutive_failures: 3, base_ejection: 400ms, max_ejection: 5s, max_ejected_percent: 34 }}\n",
        nodes(&[&ups[0], &ups[1], &ups[2]])
    );
    let gw = TestGateway::start(&yaml).await;
    let bad = ups[2].addr.to_string();
    ups[2].force_status(503);
    let http = client();
    let ejected_for = |gw: &TestGateway| {
        gw.gateway
            .plane
            .node_health("s")
            .unwrap()
            .into_iter()
            .find(|n| n.addr == bad)
            .and_then(|n| n.ejected_for_ms)
    };
    // Round robin: every third request reaches the bad node; three in a row
    // fail there, then it is ejected.
    for _ in 0..9 {
        http.get(gw.url("/"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let first = ejected_for(&gw).expect("ejected after 3 failures");
    assert!(first <= 400 && first > 300, "{first} ms");
    let served = ups[2].requests();
    for _ in 0..10 {
        http.get(gw.url("/"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    assert_eq!(ups[2].requests(), served, "no traffic while ejected");

    // Back after the ejection, fails again: the second ejection is twice as long.
    eventually("ejection over", Duration::from_secs(2), async || {
        ejected_for(&gw).is_none()
    })
    .await;
    for _ in 0..9 {
        http.get(gw.url("/"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let second = ejected_for(&gw).expect("ejected again");
    assert!(
        second > 600 && second <= 800,
        "second ejection {second} ms (first {first} ms)"
    );

    // Another node goes bad: at most 34% of 3 nodes (one) may be out.
    ups[1].force_status(503);
    for _ in 0..12 {
        http.get(gw.url("/"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let report = gw.gateway.plane.node_health("s").unwrap();
    let out = report.iter().filter(|n| n.ejected_for_ms.is_some()).count();
    assert_eq!(
        out, 1,
        "max_ejected_percent keeps the rest serving: {report:?}"
    );
    gw.stop().await;
}

/// Two upstreams on the same port at different loopback addresses, so one
/// DNS name can point at either.
async fn twins() -> (TestUpstream, TestUpstream, u16) {
    loop {
        let one = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = one.local_addr().unwrap().port();
        if let Ok(two) = TcpListener::bind(("127.0.0.2", port)).await {
            return (
                TestUpstream::serve(one, "one"),
                TestUpstream::serve(two, "two"),
                port,
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_discovery_follows_the_answers() {
    let dns = TestDns::start().await;
    let (_one, _two, port) = twins().await;
    dns.set("app.weir.test", &["127.0.0.1".parse().unwrap()]);
    dns.set_ttl(1);
    let yaml = format!(
        "services:\n  - name: app\n    match: {{ prefix: / }}\n    upstream:\n      nodes: [{{ addr: \"app.weir.test:{port}\" }}]\n      dns: {{ min_ttl: 100ms, max_ttl: 2s }}\n"
    );
    let dns_addr = dns.addr.to_string();
    let gw = TestGateway::start_with(&yaml, |c| c.proxy.dns_servers = vec![dns_addr]).await;
    eventually("resolved", Duration::from_secs(3), async || {
        gw.gateway
            .plane
            .node_health("app")
            .unwrap()
            .iter()
            .any(|n| n.addr == format!("127.0.0.1:{port}"))
    })
    .await;
    assert_eq!(nodes_hit(&gw, "/", 4).await.get("one"), Some(&4));

    // The answer changes: traffic follows within a TTL or two.
    dns.set("app.weir.test", &["127.0.0.2".parse().unwrap()]);
    let took = eventually(
        "follows the new answer",
        Duration::from_secs(4),
        async || nodes_hit(&gw, "/", 1).await.contains_key("two"),
    )
    .await;
    eprintln!("traffic followed the new DNS answer after {took:?}");
    assert_eq!(nodes_hit(&gw, "/", 4).await.get("two"), Some(&4));

    // Resolution fails: the last known addresses stay.
    let before = dns.queries();
    dns.set_failing(true);
    eventually("failing queries seen", Duration::from_secs(4), async || {
        dns.queries() >= before + 3
    })
    .await;
    assert_eq!(nodes_hit(&gw, "/", 4).await.get("two"), Some(&4));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_records_give_targets_ports_and_weights() {
    let dns = TestDns::start().await;
    let light = TestUpstream::start("light").await;
    let heavy = TestUpstream::start("heavy").await;
    dns.set("light.weir.test", &["127.0.0.1".parse().unwrap()]);
    dns.set("heavy.weir.test", &["127.0.0.1".parse().unwrap()]);
    dns.set_srv(
        "_http._tcp.pool.weir.test",
        vec![
            Srv {
                target: "light.weir.test".into(),
                port: light.addr.port(),
                weight: 1,
                priority: 10,
            },
            Srv {
                target: "heavy.weir.test".into(),
                port: heavy.addr.port(),
                weight: 3,
                priority: 10,
            },
            // A backup group (higher priority number) is not used.
            Srv {
                target: "light.weir.test".into(),
                port: 1,
                weight: 100,
                priority: 20,
            },
        ],
    );
    let yaml = "services:\n  - name: pool\n    match: { prefix: / }\n    upstream:\n      balance: weighted_round_robin\n      nodes: [{ addr: \"_http._tcp.pool.weir.test\" }]\n";
    let dns_addr = dns.addr.to_string();
    let gw = TestGateway::start_with(yaml, |c| c.proxy.dns_servers = vec![dns_addr]).await;
    eventually("resolved", Duration::from_secs(3), async || {
        gw.gateway.plane.node_health("pool").unwrap().len() == 2
    })
    .await;
    let hits = nodes_hit(&gw, "/", 40).await;
    assert_eq!(
        (hits.get("light"), hits.get("heavy")),
        (Some(&10), Some(&30)),
        "{hits:?}"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_health_survives_unrelated_reloads() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let other = TestUpstream::start("other").await;
    let service = format!(
        "  - name: s\n    match: {{ prefix: /s/ }}\n    upstream:\n      nodes: [{}]\n      health_check: {{ type: tcp, interval: 100ms, timeout: 100ms, unhealthy: 1, healthy: 50 }}\n",
        nodes(&[&a, &b])
    );
    let with = |extra: &str| {
        format!(
            "services:\n{service}  - {{ name: o, match: {{ prefix: /o/ }}, upstream: {{ nodes: [{{ addr: \"{}\"{extra} }}] }} }}\n",
            other.addr
        )
    };
    let gw = TestGateway::start(&with("")).await;
    let b_key = b.addr.to_string();
    b.kill();
    eventually("unhealthy", Duration::from_secs(3), async || {
        node_status(&gw, "s", &b_key).as_deref() == Some("unhealthy")
    })
    .await;
    let since = gw
        .gateway
        .plane
        .node_health("s")
        .unwrap()
        .iter()
        .find(|n| n.addr == b_key)
        .unwrap()
        .since_ms;
    gw.reconfigure(&with(", weight: 5")).await;
    let report = gw.gateway.plane.node_health("s").unwrap();
    let b_now = report.iter().find(|n| n.addr == b_key).unwrap();
    assert_eq!(serde_json::to_value(b_now.status).unwrap(), "unhealthy");
    assert_eq!(b_now.since_ms, since, "state carried over, not reset");
    gw.stop().await;
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_instances_take_traffic_until_they_expire_or_leave() {
    let a = TestUpstream::start("a").await;
    let b = TestUpstream::start("b").await;
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream: {{ nodes: [{{ addr: \"{}\" }}] }}\n",
        a.addr
    );
    let gw = TestGateway::start(&yaml).await;
    let store = gw.store.clone();
    let revision = store.revision().await.unwrap();
    let meta = std::collections::BTreeMap::from([("zone".to_owned(), "eu-1".to_owned())]);

    // Register b with a 1 s TTL: it takes traffic within a second.
    let reg = store
        .register(
            "s",
            &b.addr.to_string(),
            1,
            &meta,
            Duration::from_secs(1),
            now_ms(),
        )
        .await
        .unwrap()
        .registration;
    let took = eventually(
        "registered node serves",
        Duration::from_secs(1),
        async || nodes_hit(&gw, "/", 2).await.contains_key("b"),
    )
    .await;
    eprintln!("registered instance took traffic after {took:?}");
    let report = gw.gateway.plane.node_health("s").unwrap();
    let registered = report
        .iter()
        .find(|n| n.addr == b.addr.to_string())
        .unwrap();
    assert_eq!(
        serde_json::to_value(&registered.source).unwrap(),
        serde_json::json!({ "kind": "registered", "id": reg.id })
    );

    // Heartbeats keep it for longer than its TTL.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        store
            .heartbeat(
                &reg.id,
                &weir_store::RegistrationUpdate::default(),
                now_ms(),
            )
            .await
            .unwrap();
    }
    assert!(
        nodes_hit(&gw, "/", 4).await.contains_key("b"),
        "still registered after 1.8 s of heartbeats"
    );

    // Without heartbeats it expires and leaves the pool.
    let took = eventually("expired", Duration::from_secs(3), async || {
        nodes_hit(&gw, "/", 4).await.get("a") == Some(&4)
    })
    .await;
    eprintln!("missed heartbeats removed the instance after {took:?}");

    // Register again, then deregister: gone at once.
    let reg = store
        .register(
            "s",
            &b.addr.to_string(),
            1,
            &meta,
            Duration::from_secs(60),
            now_ms(),
        )
        .await
        .unwrap()
        .registration;
    eventually("back", Duration::from_secs(1), async || {
        nodes_hit(&gw, "/", 2).await.contains_key("b")
    })
    .await;
    store.deregister(&reg.id, now_ms()).await.unwrap();
    eventually("deregistered", Duration::from_secs(1), async || {
        nodes_hit(&gw, "/", 4).await.get("a") == Some(&4)
    })
    .await;
    assert_eq!(
        store.revision().await.unwrap(),
        revision,
        "registrations create no revision"
    );

    // Registrations survive a restart of the gateway.
    store
        .register(
            "s",
            &b.addr.to_string(),
            1,
            &meta,
            Duration::from_secs(60),
            now_ms(),
        )
        .await
        .unwrap();
    let dir = gw.stop_keep_dir().await;
    let mut cfg = weir::ProcessConfig::default();
    cfg.listen.http = "127.0.0.1:0".parse().unwrap();
    cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
    cfg.listen.https = "off".into();
    cfg.log.access = "off".into();
    cfg.store.url = format!("sqlite://{}/weir.db", dir.path().display());
    let again = weir::Gateway::start(&cfg).await.unwrap();
    let url = format!("http://{}/", again.http_addr.unwrap());
    let http = client();
    let mut seen_b = false;
    for _ in 0..50 {
        let (_, v) = get_json(&http, &url).await;
        if node(&v) == "b" {
            seen_b = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen_b, "the registration was restored after the restart");
    again.shutdown().await;
}
