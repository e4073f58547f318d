//! Hourly statistics rollups: deltas from several nodes add up per hour,
//! totals per name, retention pruning.

use std::collections::BTreeMap;

use weir_store::{StatsDelta, StatsHour, Store};

fn delta(scope: &str, name: &str, hour: i64, requests: u64, reason: Option<&str>) -> StatsDelta {
    StatsDelta {
        scope: scope.into(),
        name: name.into(),
        counts: StatsHour {
            hour,
            requests,
            status: [0, requests, 0, 0, 0],
            rejections: reason.map(|r| (r.to_owned(), 1)).into_iter().collect(),
            latency: BTreeMap::from([(10, requests)]),
            counters: BTreeMap::from([
                ("bytes_in".to_owned(), requests * 100),
                ("grpc_0".to_owned(), requests),
            ]),
        },
    }
}

pub(crate) async fn stats_rollups_add_up(url: String) {
    let store = Store::open(&url).await.unwrap();
    let h0 = 1_795_600_800; // an hour boundary
    let h1 = h0 + 3600;
    store
        .add_stats(
            "node-a",
            &[
                delta("service", "api", h0, 5, None),
                delta("gateway", "", h0, 5, None),
            ],
        )
        .await
        .unwrap();
    // The same node again (a later flush) and another node.
    store
        .add_stats(
            "node-a",
            &[delta("service", "api", h0, 2, Some("no_route"))],
        )
        .await
        .unwrap();
    store
        .add_stats(
            "node-b",
            &[
                delta("service", "api", h0, 3, Some("no_route")),
                delta("service", "api", h1, 4, None),
                delta("service", "web", h1, 9, None),
            ],
        )
        .await
        .unwrap();
    store.add_stats("node-b", &[]).await.unwrap();

    let hours = store
        .stats_hours("service", "api", h0, h1 + 3600)
        .await
        .unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!((hours[0].hour, hours[0].requests), (h0, 10));
    assert_eq!(hours[0].status, [0, 10, 0, 0, 0]);
    assert_eq!(hours[0].rejections.get("no_route"), Some(&2));
    assert_eq!(hours[0].latency.get(&10), Some(&10));
    assert_eq!(hours[0].counters.get("bytes_in"), Some(&1000));
    assert_eq!(hours[0].counters.get("grpc_0"), Some(&10));
    assert_eq!((hours[1].hour, hours[1].requests), (h1, 4));
    // Range bounds are [from, to).
    assert_eq!(
        store
            .stats_hours("service", "api", h1, h1 + 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .stats_hours("service", "api", h0 - 10, h0)
            .await
            .unwrap()
            .is_empty()
    );

    let totals = store.stats_totals("service", h0, h1 + 3600).await.unwrap();
    assert_eq!(totals.get("api"), Some(&14));
    assert_eq!(totals.get("web"), Some(&9));
    assert_eq!(
        store.stats_hours("gateway", "", h0, h1).await.unwrap()[0].requests,
        5
    );

    // Retention drops whole hours before the cutoff, from every node.
    let pruned = store.prune_stats(h1).await.unwrap();
    assert_eq!(pruned, 3, "three rows of hour h0 (two nodes + gateway)");
    assert!(
        store
            .stats_hours("service", "api", h0, h1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .stats_totals("service", 0, i64::MAX)
            .await
            .unwrap()
            .get("api"),
        Some(&4)
    );
    store.close().await;
}

/// `put_stats` sets a node's totals (a gateway keeps its own): a later put
/// for the same hour replaces the row, other nodes still add up.
pub(crate) async fn stats_totals_replace_a_nodes_rows(url: String) {
    let store = Store::open(&url).await.unwrap();
    let h0 = 1_795_600_800;
    store
        .put_stats("node-a", &[delta("service", "api", h0, 5, None)])
        .await
        .unwrap();
    store
        .put_stats(
            "node-a",
            &[
                delta("service", "api", h0, 7, Some("ip_denied")),
                delta("service", "web", h0, 1, None),
            ],
        )
        .await
        .unwrap();
    store
        .add_stats("node-b", &[delta("service", "api", h0, 3, None)])
        .await
        .unwrap();
    store.put_stats("node-b", &[]).await.unwrap();
    let hours = store
        .stats_hours("service", "api", h0, h0 + 3600)
        .await
        .unwrap();
    assert_eq!(hours.len(), 1);
    assert_eq!(
        hours[0].requests, 10,
        "node-a's 7 (not 5 + 7) and node-b's 3"
    );
    assert_eq!(hours[0].status, [0, 10, 0, 0, 0]);
    assert_eq!(hours[0].rejections.get("ip_denied"), Some(&1));
    assert_eq!(hours[0].latency.get(&10), Some(&10));
    assert_eq!(hours[0].counters.get("bytes_in"), Some(&1000));
    assert_eq!(hours[0].counters.get("grpc_0"), Some(&10));
    let totals = store.stats_totals("service", h0, h0 + 3600).await.unwrap();
    assert_eq!(totals.get("web"), Some(&1));
    store.close().await;
}
