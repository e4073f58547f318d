//! The five balancing strategies observed through real requests to real
//! upstreams (the distributions themselves are unit-tested in
//! `weir-proxy/src/balance`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestGateway, client, get_json, node};
use weir_testkit::{TestUpstream, slow_upstream};

async fn three() -> [TestUpstream; 3] {
    [
        TestUpstream::start("n0").await,
        TestUpstream::start("n1").await,
        TestUpstream::start("n2").await,
    ]
}

fn service(balance: &str, extra: &str, ups: &[&TestUpstream], weights: &[u32]) -> String {
    let nodes: Vec<String> = ups
        .iter()
        .zip(weights)
        .map(|(u, w)| format!("{{ addr: \"{}\", weight: {w} }}", u.addr))
        .collect();
    format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    upstream:\n      balance: {balance}\n{extra}      nodes: [{}]\n",
        nodes.join(", ")
    )
}

async fn sequence(gw: &TestGateway, n: usize) -> Vec<String> {
    let http = client();
    let mut out = Vec::new();
    for _ in 0..n {
        let (status, v) = get_json(&http, &gw.url("/")).await;
        assert_eq!(status, 200);
        out.push(node(&v).to_owned());
    }
    out
}

fn counts(seq: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for s in seq {
        *m.entry(s.as_str()).or_default() += 1;
    }
    m
}

#[tokio::test]
async fn round_robin_cycles_in_order() {
    let ups = three().await;
    let gw = TestGateway::start(&service(
        "round_robin",
        "",
        &[&ups[0], &ups[1], &ups[2]],
        &[1, 1, 1],
    ))
    .await;
    let seq = sequence(&gw, 30).await;
    // Starting point is arbitrary; the cycle is exact.
    for w in seq.windows(4) {
        assert_eq!(w[0], w[3], "{seq:?}");
        assert_ne!(w[0], w[1], "{seq:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn weighted_round_robin_is_smooth_and_exact() {
    let ups = three().await;
    let gw = TestGateway::start(&service(
        "weighted_round_robin",
        "",
        &[&ups[0], &ups[1], &ups[2]],
        &[1, 2, 3],
    ))
    .await;
    let seq = sequence(&gw, 60).await;
    let c = counts(&seq);
    assert_eq!((c["n0"], c["n1"], c["n2"]), (10, 20, 30), "{seq:?}");
    // Smooth: no node runs more than twice in a row with weights 1:2:3.
    let longest = seq
        .chunk_by(|a, b| a == b)
        .map(<[String]>::len)
        .max()
        .unwrap();
    assert!(longest <= 2, "bursty sequence {seq:?}");
    gw.stop().await;
}

#[tokio::test]
async fn random_spreads_over_all_nodes() {
    let ups = three().await;
    let gw = TestGateway::start(&service(
        "random",
        "",
        &[&ups[0], &ups[1], &ups[2]],
        &[1, 1, 1],
    ))
    .await;
    let seq = sequence(&gw, 600).await;
    let c = counts(&seq);
    for n in ["n0", "n1", "n2"] {
        // Expected 200 each; ±30% is over 5 standard deviations away.
        let got = c.get(n).copied().unwrap_or(0);
        assert!((140..=260).contains(&got), "{n}: {got} of 600 ({c:?})");
    }
    gw.stop().await;
}

#[tokio::test]
async fn consistent_hash_is_sticky_per_key() {
    let ups = three().await;
    let gw = TestGateway::start(&service(
        "consistent_hash",
        "      hash_key: header:x-user\n",
        &[&ups[0], &ups[1], &ups[2]],
        &[1, 1, 1],
    ))
    .await;
    let http = client();
    let mut placement: HashMap<String, String> = HashMap::new();
    for round in 0..3 {
        for user in 0..60 {
            let res = http
                .get(gw.url("/"))
                .header("x-user", format!("user-{user}"))
                .send()
                .await
                .unwrap();
            let v: serde_json::Value = res.json().await.unwrap();
            let n = node(&v).to_owned();
            let prev = placement.entry(format!("user-{user}")).or_insert(n.clone());
            assert_eq!(*prev, n, "user-{user} moved in round {round}");
        }
    }
    let used: std::collections::HashSet<_> = placement.values().collect();
    assert_eq!(
        used.len(),
        3,
        "60 keys should reach all 3 nodes: {placement:?}"
    );

    // Removing a node moves only the keys it held.
    let yaml = service(
        "consistent_hash",
        "      hash_key: header:x-user\n",
        &[&ups[0], &ups[1]],
        &[1, 1],
    );
    gw.reconfigure(&yaml).await;
    for (user, before) in &placement {
        let res = http
            .get(gw.url("/"))
            .header("x-user", user)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = res.json().await.unwrap();
        if before != "n2" {
            assert_eq!(node(&v), before, "{user} moved although its node stayed");
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn least_request_avoids_the_slow_node() {
    let fast = TestUpstream::start("fast").await;
    let slow = slow_upstream("slow", Duration::from_millis(300)).await;
    let gw = TestGateway::start(&service("least_request", "", &[&fast, &slow], &[1, 1])).await;
    let http = client();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = http.clone();
        let url = gw.url("/");
        tasks.push(tokio::spawn(async move {
            // Staggered arrivals so in-flight counts build up.
            tokio::time::sleep(Duration::from_millis(i * 10)).await;
            let (_, v) = get_json(&http, &url).await;
            node(&v).to_owned()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    let c = counts(&seen);
    let slow_share = c.get("slow").copied().unwrap_or(0);
    // Round robin would send 20 to the slow node; P2C holds it to its
    // in-flight share (≈ 300 ms / 10 ms arrival gap ⇒ a few at a time).
    assert!(slow_share <= 12, "slow node got {slow_share} of 40: {c:?}");
    assert!(slow_share >= 1, "the slow node still gets traffic: {c:?}");
    gw.stop().await;
}
