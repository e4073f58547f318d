//! Traffic split through a real gateway to real upstreams: shares that hold
//! over 10,000 requests and across a reload, sticky clients, force rules
//! by header and cookie, and a disabled target that takes no share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestGateway, client, node};
use futures_util::StreamExt;
use weir_testkit::TestUpstream;

fn config(
    stable: &TestUpstream,
    canary: &TestUpstream,
    canary_enabled: bool,
    note: &str,
) -> String {
    format!(
        r#"
services:
  - name: shop
    description: "{note}"
    match: {{ prefix: /shop/ }}
    request_headers: [{{ op: set, name: X-Routed, value: shop }}]
    split:
      targets: [{{ service: shop-canary, percent: 5 }}]
      sticky: "header:X-User"
      force:
        - {{ header: X-Canary, value: "1", service: shop-canary }}
        - {{ cookie: canary, service: shop-canary }}
        - {{ header: X-Stable, service: shop }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
  - name: shop-canary
    enabled: {canary_enabled}
    match: {{ prefix: /shop-canary/ }}
    upstream: {{ nodes: [{{ addr: "{}" }}] }}
"#,
        stable.addr, canary.addr
    )
}

/// Which upstream answered each of `n` GETs of `path` (8 at a time).
async fn sides(gw: &TestGateway, n: usize) -> HashMap<String, usize> {
    let http = client();
    let url = gw.url("/shop/item");
    let answers = futures_util::stream::iter(0..n)
        .map(|_| {
            let req = http.get(&url);
            async move {
                let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
                node(&v).to_owned()
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let mut out = HashMap::new();
    for a in answers {
        *out.entry(a).or_insert(0) += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_hold_over_ten_thousand_requests_and_a_reload() {
    let stable = TestUpstream::start("stable").await;
    let canary = TestUpstream::start("canary").await;
    let gw = TestGateway::start(&config(&stable, &canary, true, "one")).await;
    let mut seen = sides(&gw, 5_000).await;
    // A reload (another revision, the same split) keeps the shares.
    let rev = gw.reconfigure(&config(&stable, &canary, true, "two")).await;
    gw.wait_for_revision(rev, Duration::from_secs(10)).await;
    for (k, v) in sides(&gw, 5_000).await {
        *seen.entry(k).or_insert(0) += v;
    }
    let to_canary = seen.get("canary").copied().unwrap_or(0);
    let to_stable = seen.get("stable").copied().unwrap_or(0);
    assert_eq!(to_canary + to_stable, 10_000, "{seen:?}");
    // 5 % ± 2 % of 10,000 (the sequence keeps it far closer).
    assert!((300..=700).contains(&to_canary), "{seen:?}");
    assert!(
        (450..=550).contains(&to_canary),
        "tighter than chance: {seen:?}"
    );
    // The routed service's own rewrites applied on both sides.
    let http = client();
    let v: serde_json::Value = http
        .get(gw.url("/shop/x"))
        .header("x-canary", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(node(&v), "canary");
    assert_eq!(v["headers"]["x-routed"], "shop", "{v}");
    gw.stop().await;
}

#[tokio::test]
async fn sticky_clients_and_force_rules() {
    let stable = TestUpstream::start("stable").await;
    let canary = TestUpstream::start("canary").await;
    let gw = TestGateway::start(&config(&stable, &canary, true, "")).await;
    let http = client();
    let side = |req: reqwest::RequestBuilder| async move {
        let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
        node(&v).to_owned()
    };
    let url = gw.url("/shop/cart");
    // The same user always lands on the same side; users spread by share.
    let mut canary_users = 0;
    for u in 0..400 {
        let first = side(http.get(&url).header("x-user", format!("user-{u}"))).await;
        for _ in 0..3 {
            let again = side(http.get(&url).header("x-user", format!("user-{u}"))).await;
            assert_eq!(again, first, "user-{u}");
        }
        if first == "canary" {
            canary_users += 1;
        }
    }
    assert!(
        (2..=50).contains(&canary_users),
        "{canary_users} of 400 users"
    );
    // Force rules, in order: a header value, a cookie of any value, and a
    // rule that pins to the service's own upstream.
    for _ in 0..20 {
        assert_eq!(side(http.get(&url).header("x-canary", "1")).await, "canary");
        assert_eq!(
            side(http.get(&url).header("cookie", "theme=dark; canary=yes")).await,
            "canary"
        );
        assert_eq!(side(http.get(&url).header("x-stable", "")).await, "stable");
    }
    // A value other than the rule's is split like any request.
    let mut other = 0;
    for _ in 0..100 {
        if side(http.get(&url).header("x-canary", "0")).await == "canary" {
            other += 1;
        }
    }
    assert!(other <= 15, "{other}");
    gw.stop().await;
}

#[tokio::test]
async fn a_disabled_target_takes_no_share() {
    let stable = TestUpstream::start("stable").await;
    let canary = TestUpstream::start("canary").await;
    let gw = TestGateway::start(&config(&stable, &canary, false, "")).await;
    let seen = sides(&gw, 400).await;
    assert_eq!(seen.get("stable"), Some(&400), "{seen:?}");
    // Forced requests stay too.
    let v: serde_json::Value = client()
        .get(gw.url("/shop/x"))
        .header("x-canary", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(node(&v), "stable");
    assert_eq!(canary.requests(), 0);
    gw.stop().await;
}
