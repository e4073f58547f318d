//! Self-registration: register (idempotent per service and address),
//! heartbeat, expiry, deregister, prune, the follower sequence, validation,
//! concurrency, and persistence across a reopen.

use std::collections::BTreeMap;
use std::time::Duration;

use weir_store::{RegistrationUpdate, Store, StoreError};

const T0: i64 = 1_800_000_000_000;

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) async fn registrations_live_renew_and_expire(url: String) {
    let store = Store::open(&url).await.unwrap();
    let seq0 = store.registration_seq().await.unwrap();
    assert!(store.registrations(T0).await.unwrap().is_empty());

    // Register: a new id, expiry = now + ttl, the sequence moves, and no
    // configuration revision is written.
    let a = store
        .register(
            "api",
            "10.0.0.1:80",
            2,
            &meta(&[("zone", "a")]),
            secs(10),
            T0,
        )
        .await
        .unwrap();
    assert!(a.created);
    let ra = a.registration.clone();
    assert_eq!(ra.id.len(), 32);
    assert_eq!(
        (ra.service.as_str(), ra.addr.as_str(), ra.weight, ra.ttl_ms),
        ("api", "10.0.0.1:80", 2, 10_000)
    );
    assert_eq!(ra.expires_at_ms, T0 + 10_000);
    assert_eq!(ra.metadata, meta(&[("zone", "a")]));
    let seq1 = store.registration_seq().await.unwrap();
    assert!(seq1 > seq0);
    assert_eq!(
        store.revision().await.unwrap(),
        0,
        "no revision for runtime state"
    );

    // Re-registering the same pair (the address written differently but
    // equal) renews it under the same id.
    let again = store
        .register(
            "api",
            "10.0.0.1:80",
            3,
            &BTreeMap::new(),
            secs(20),
            T0 + 1_000,
        )
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.registration.id, ra.id);
    assert_eq!(again.registration.created_at_ms, T0);
    assert_eq!(again.registration.weight, 3);
    assert_eq!(again.registration.expires_at_ms, T0 + 21_000);
    // Same address, other service: another registration.
    let b = store
        .register(
            "web",
            "10.0.0.1:80",
            1,
            &BTreeMap::new(),
            secs(5),
            T0 + 1_000,
        )
        .await
        .unwrap();
    assert!(b.created);
    assert_ne!(b.registration.id, ra.id);
    let v6 = store
        .register(
            "api",
            "[2001:DB8::1]:443",
            1,
            &BTreeMap::new(),
            secs(60),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(v6.registration.addr, "[2001:db8::1]:443");

    let all = store.registrations(T0 + 2_000).await.unwrap();
    let listed: Vec<_> = all
        .iter()
        .map(|r| (r.service.as_str(), r.addr.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("api", "10.0.0.1:80"),
            ("api", "[2001:db8::1]:443"),
            ("web", "10.0.0.1:80")
        ]
    );
    assert_eq!(
        store.registration(&ra.id, T0 + 2_000).await.unwrap(),
        Some(all[0].clone())
    );

    // A plain heartbeat renews without moving the sequence; one that
    // changes a field moves it.
    let seq = store.registration_seq().await.unwrap();
    let hb = store
        .heartbeat(&ra.id, &RegistrationUpdate::default(), T0 + 15_000)
        .await
        .unwrap();
    assert_eq!(hb.expires_at_ms, T0 + 35_000);
    assert_eq!(hb.updated_at_ms, T0 + 15_000);
    assert_eq!(store.registration_seq().await.unwrap(), seq);
    let hb = store
        .heartbeat(
            &ra.id,
            &RegistrationUpdate {
                ttl: Some(secs(30)),
                weight: Some(7),
                metadata: Some(meta(&[("v", "2")])),
            },
            T0 + 16_000,
        )
        .await
        .unwrap();
    assert_eq!(
        (hb.weight, hb.ttl_ms, hb.expires_at_ms),
        (7, 30_000, T0 + 46_000)
    );
    assert_eq!(hb.metadata, meta(&[("v", "2")]));
    assert!(store.registration_seq().await.unwrap() > seq);
    assert_eq!(
        store.registration(&ra.id, T0 + 16_000).await.unwrap(),
        Some(hb.clone())
    );

    // Expiry: readers stop seeing "web" (TTL 5 s from T0+1 s) at once; a
    // heartbeat after the TTL is refused; prune deletes it and bumps.
    let later = T0 + 6_000;
    let live: Vec<_> = store
        .registrations(later)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.service)
        .collect();
    assert_eq!(live, ["api", "api"]);
    assert!(matches!(
        store
            .heartbeat(&b.registration.id, &RegistrationUpdate::default(), later)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let seq = store.registration_seq().await.unwrap();
    assert_eq!(store.prune_registrations(later).await.unwrap(), 1);
    assert!(store.registration_seq().await.unwrap() > seq);
    let seq = store.registration_seq().await.unwrap();
    assert_eq!(store.prune_registrations(later).await.unwrap(), 0);
    assert_eq!(
        store.registration_seq().await.unwrap(),
        seq,
        "nothing pruned"
    );

    // Registering an expired pair again is a new registration (new id).
    let gone = store
        .register(
            "api",
            "[2001:db8::1]:443",
            1,
            &BTreeMap::new(),
            secs(1),
            T0 + 61_000,
        )
        .await
        .unwrap();
    assert!(gone.created);
    assert_ne!(gone.registration.id, v6.registration.id);

    // Deregister: gone at once, the sequence moves; twice is not found.
    let seq = store.registration_seq().await.unwrap();
    let removed = store.deregister(&ra.id, T0 + 17_000).await.unwrap();
    assert_eq!(removed.id, ra.id);
    assert!(store.registration_seq().await.unwrap() > seq);
    assert!(matches!(
        store.deregister(&ra.id, T0 + 17_000).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .heartbeat("nope", &RegistrationUpdate::default(), T0)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.revision().await.unwrap(), 0);
    store.close().await;
}

pub(crate) async fn registrations_are_validated(url: String) {
    let store = Store::open(&url).await.unwrap();
    let paths = |e: StoreError| match e {
        StoreError::Invalid(v) => v.errors.into_iter().map(|e| e.path).collect::<Vec<_>>(),
        other => panic!("expected Invalid, got {other:?}"),
    };
    let e = store
        .register("api", "api.internal:80", 0, &BTreeMap::new(), secs(0), T0)
        .await
        .unwrap_err();
    assert_eq!(paths(e), ["addr", "weight", "ttl"]);
    let e = store
        .register("api", "10.0.0.1:80", 1, &meta(&[("", "x")]), secs(7200), T0)
        .await
        .unwrap_err();
    assert_eq!(paths(e), ["ttl", "metadata."]);
    let too_many: BTreeMap<String, String> =
        (0..33).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let e = store
        .register("api", "10.0.0.1:80", 1, &too_many, secs(10), T0)
        .await
        .unwrap_err();
    assert_eq!(paths(e), ["metadata"]);
    let ok = store
        .register("api", "10.0.0.1:80", 1, &BTreeMap::new(), secs(10), T0)
        .await
        .unwrap();
    let e = store
        .heartbeat(
            &ok.registration.id,
            &RegistrationUpdate {
                ttl: Some(Duration::from_millis(500)),
                weight: Some(2_000_000),
                metadata: None,
            },
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(paths(e), ["ttl", "weight"]);
    store.close().await;
}

/// Many instances registering the same and different pairs at once: one
/// row per pair, and every caller of a pair gets the same id.
pub(crate) async fn concurrent_registrations_are_idempotent(url: String) {
    let store = Store::open(&url).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let addr = format!("10.0.0.{}:80", i % 3 + 1);
                store
                    .register("api", &addr, 1, &BTreeMap::new(), secs(30), T0)
                    .await
                    .map(|r| (addr, r.registration.id, r.created))
            })
        })
        .collect();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut created = 0;
    for t in tasks {
        let (addr, id, new) = t.await.unwrap().unwrap();
        created += usize::from(new);
        let seen = ids.entry(addr).or_insert_with(|| id.clone());
        assert_eq!(*seen, id, "one id per service and address");
    }
    assert_eq!(created, 3);
    assert_eq!(store.registrations(T0).await.unwrap().len(), 3);
    store.close().await;
}

/// Registrations survive a restart (the store reopened), sequence included.
pub(crate) async fn registrations_survive_reopen(url: String) {
    let store = Store::open(&url).await.unwrap();
    let r = store
        .register(
            "api",
            "10.0.0.9:9000",
            4,
            &meta(&[("v", "1")]),
            secs(60),
            T0,
        )
        .await
        .unwrap()
        .registration;
    let seq = store.registration_seq().await.unwrap();
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(
        reopened.registrations(T0 + 1).await.unwrap(),
        vec![r.clone()]
    );
    assert_eq!(reopened.registration_seq().await.unwrap(), seq);
    reopened
        .heartbeat(&r.id, &RegistrationUpdate::default(), T0 + 30_000)
        .await
        .unwrap();
    reopened.close().await;
}

/// Issue 15: `max_instances` holds under concurrent registrations (the
/// count is taken inside the write transaction), and renewals and
/// expired rows do not count.
pub(crate) async fn concurrent_registrations_respect_the_cap(url: String) {
    let store = Store::open(&url).await.unwrap();
    let m = meta(&[]);
    let addrs: Vec<String> = (1..=12).map(|i| format!("10.0.0.{i}:80")).collect();
    let results = futures_util::future::join_all(addrs.iter().map(|addr| {
        let store = store.clone();
        let m = m.clone();
        async move {
            let new = weir_store::NewRegistration {
                service: "capped",
                addr,
                weight: 1,
                metadata: &m,
                ttl: secs(30),
                max_instances: Some(5),
            };
            store.register_new(&new, T0).await
        }
    }))
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::LimitReached(_))))
        .count();
    assert_eq!((ok, limited), (5, 7), "{results:?}");
    let live = |now| {
        let store = store.clone();
        async move {
            store
                .registrations(now)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.service == "capped")
                .count()
        }
    };
    assert_eq!(live(T0).await, 5);
    // Renewing one of the five is fine; once they expired, new ones fit.
    let registered: Vec<&String> = addrs
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(a, _)| a)
        .collect();
    let renew = weir_store::NewRegistration {
        service: "capped",
        addr: registered[0],
        weight: 1,
        metadata: &m,
        ttl: secs(30),
        max_instances: Some(5),
    };
    assert!(!store.register_new(&renew, T0 + 1).await.unwrap().created);
    let later = T0 + 31_000;
    let fresh = weir_store::NewRegistration {
        addr: "10.0.1.1:80",
        ..renew
    };
    assert!(store.register_new(&fresh, later).await.unwrap().created);
    store.close().await;
}
