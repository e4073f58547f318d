//! Login attempt counts (the admin listener's login throttle, shared by
//! every admin process): a reservation takes a slot on every key or on
//! none, windows start and reset, slots are given back and cleared, two
//! store handles (two processes) reserving at once never exceed a limit,
//! and the table is pruned and capped.

use futures_util::future::join_all;
use weir_store::{AttemptLimit, Reservation, Store};

const T0: i64 = 1_800_000_000_000;
const WINDOW: i64 = 60_000;

fn key(name: &str) -> String {
    format!("{name:0>64}")
}

async fn reserve(store: &Store, keys: &[(&str, u32)], now: i64) -> Reservation {
    let names: Vec<String> = keys.iter().map(|(k, _)| key(k)).collect();
    let limits: Vec<AttemptLimit<'_>> = names
        .iter()
        .zip(keys)
        .map(|(key, (_, limit))| AttemptLimit { key, limit: *limit })
        .collect();
    store
        .reserve_login_attempt(&limits, now, WINDOW)
        .await
        .unwrap()
}

pub(crate) async fn login_attempts_count_refuse_and_reset(url: String) {
    let store = Store::open(&url).await.unwrap();
    let both = [("pair", 5), ("addr", 8)];
    for i in 0..5 {
        assert_eq!(reserve(&store, &both, T0 + i).await, Reservation::Taken);
    }
    // The pair is used up: refused, with the end of its window, and the
    // address is not counted for the refused attempt.
    assert_eq!(
        reserve(&store, &both, T0 + 10).await,
        Reservation::Refused {
            window_ends_ms: T0 + WINDOW
        }
    );
    let other = [("pair2", 5), ("addr", 8)];
    for i in 0..3 {
        assert_eq!(
            reserve(&store, &other, T0 + 20 + i).await,
            Reservation::Taken
        );
    }
    // 5 + 3 = 8 on the address: refused now, and pair2 was not counted.
    assert!(matches!(
        reserve(&store, &other, T0 + 30).await,
        Reservation::Refused { .. }
    ));
    // Giving back and clearing.
    store.release_login_attempt(&[&key("addr")]).await.unwrap();
    assert_eq!(reserve(&store, &other, T0 + 40).await, Reservation::Taken);
    store.clear_login_attempts(&key("pair")).await.unwrap();
    store.release_login_attempt(&[&key("addr")]).await.unwrap();
    assert_eq!(reserve(&store, &both, T0 + 50).await, Reservation::Taken);
    // Releasing never goes below zero.
    for _ in 0..3 {
        store.release_login_attempt(&[&key("fresh")]).await.unwrap();
    }
    // The windows end: everything starts again.
    let later = T0 + 50 + WINDOW;
    for i in 0..5 {
        assert_eq!(reserve(&store, &both, later + i).await, Reservation::Taken);
    }
    assert_eq!(
        reserve(&store, &both, later + 10).await,
        Reservation::Refused {
            window_ends_ms: later + WINDOW
        }
    );
    // Keys are bounded (the MySQL column): an over-long one is an error,
    // not a truncation into another key.
    let long = "x".repeat(65);
    assert!(
        store
            .reserve_login_attempt(
                &[AttemptLimit {
                    key: &long,
                    limit: 1
                }],
                T0,
                WINDOW
            )
            .await
            .is_err()
    );
}

/// Two handles on one database are two admin processes: 40 attempts at
/// once, spread over both, get exactly the 5 slots.
pub(crate) async fn login_attempts_are_atomic_across_processes(url: String) {
    let a = Store::open(&url).await.unwrap();
    let b = Store::open(&url).await.unwrap();
    let (pair, addr) = (key("pair"), key("addr"));
    let limits = [
        AttemptLimit {
            key: &pair,
            limit: 5,
        },
        AttemptLimit {
            key: &addr,
            limit: 100,
        },
    ];
    let attempts = (0..40).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.reserve_login_attempt(&limits, T0, WINDOW)
    });
    let results = join_all(attempts).await;
    let taken = results
        .iter()
        .filter(|r| matches!(r, Ok(Reservation::Taken)))
        .count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Ok(Reservation::Refused { .. })))
        .count();
    assert_eq!((taken, refused), (5, 35), "{results:?}");
    // The address counted only the taken ones.
    let addr_only = [AttemptLimit {
        key: &addr,
        limit: 6,
    }];
    assert_eq!(
        a.reserve_login_attempt(&addr_only, T0, WINDOW)
            .await
            .unwrap(),
        Reservation::Taken
    );
    assert!(matches!(
        b.reserve_login_attempt(&addr_only, T0, WINDOW)
            .await
            .unwrap(),
        Reservation::Refused { .. }
    ));

    // 40 new (user, address) keys at once sharing one address key, the
    // spraying attacker: rows are created concurrently (on InnoDB, the
    // case where inserts can deadlock and are retried); the address
    // allows 10.
    let spray = key("spray");
    let pairs: Vec<String> = (0..40).map(|i| key(&format!("user{i}"))).collect();
    let attempts = pairs.iter().enumerate().map(|(i, pair)| {
        let store = if i % 2 == 0 { &a } else { &b };
        let limits = [
            AttemptLimit {
                key: pair,
                limit: 5,
            },
            AttemptLimit {
                key: &spray,
                limit: 10,
            },
        ];
        async move { store.reserve_login_attempt(&limits, T0, WINDOW).await }
    });
    let results = join_all(attempts).await;
    let taken = results
        .iter()
        .filter(|r| matches!(r, Ok(Reservation::Taken)))
        .count();
    assert_eq!(taken, 10, "{results:?}");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

pub(crate) async fn login_attempts_are_pruned_and_capped(url: String) {
    let store = Store::open(&url).await.unwrap();
    for i in 0..30 {
        let k = key(&format!("k{i}"));
        store
            .reserve_login_attempt(&[AttemptLimit { key: &k, limit: 5 }], T0 + i, WINDOW)
            .await
            .unwrap();
    }
    assert_eq!(store.login_attempt_rows().await.unwrap(), 30);
    // Nothing expired, under the cap: nothing goes.
    assert_eq!(store.prune_login_attempts(T0, 100).await.unwrap(), 0);
    // Over the cap: the windows that end first go.
    assert_eq!(store.prune_login_attempts(T0, 20).await.unwrap(), 10);
    assert_eq!(store.login_attempt_rows().await.unwrap(), 20);
    let oldest_kept = key("k10");
    store
        .reserve_login_attempt(
            &[AttemptLimit {
                key: &oldest_kept,
                limit: 1,
            }],
            T0 + 100,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(
        store.login_attempt_rows().await.unwrap(),
        20,
        "k10 was kept"
    );
    // Windows ended by then: all go.
    assert_eq!(
        store
            .prune_login_attempts(T0 + WINDOW + 30, 100)
            .await
            .unwrap(),
        20
    );
    assert_eq!(store.login_attempt_rows().await.unwrap(), 0);
}
