//! The behaviour every backend must have. Each scenario gets the URL of an
//! empty database of its own.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::AnyPool;
use weir_core::yaml::parse_document;
use weir_core::{Change, ChangeOp, ConfigDocument};
use weir_store::{RevisionFollower, RevisionMeta, Store, StoreError};

/// A document declaring exactly these `(name, prefix)` services.
fn services(list: &[(&str, &str)]) -> ConfigDocument {
    if list.is_empty() {
        return parse_document("services: []").unwrap();
    }
    let mut yaml = String::from("services:\n");
    for (name, prefix) in list {
        yaml.push_str(&format!(
            "  - {{ name: {name}, match: {{ prefix: \"{prefix}\" }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:9\" }}] }} }}\n"
        ));
    }
    parse_document(&yaml).unwrap()
}

fn meta(author: &str) -> RevisionMeta {
    RevisionMeta {
        author: author.into(),
        source: "test".into(),
        summary: None,
    }
}

fn ops(changes: &[Change]) -> Vec<(&str, ChangeOp)> {
    changes.iter().map(|c| (c.name.as_str(), c.op)).collect()
}

fn sorted(mut doc: ConfigDocument) -> ConfigDocument {
    doc.sort();
    doc
}

/// `doc` as `load` returns it: every kind present, empty when undeclared.
fn full(mut doc: ConfigDocument) -> ConfigDocument {
    doc.services.get_or_insert_with(Vec::new);
    doc.tenants.get_or_insert_with(Vec::new);
    doc.signing_keys.get_or_insert_with(Vec::new);
    doc.certificates.get_or_insert_with(Vec::new);
    doc
}

fn service_names(doc: &ConfigDocument) -> Vec<String> {
    let list = doc.services.as_ref().expect("services are always loaded");
    list.iter().map(|s| s.name.clone()).collect()
}

pub(crate) async fn apply_records_revision(url: String) {
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.revision().await.unwrap(), 0);
    assert_eq!(
        store.load().await.unwrap(),
        (0, full(services(&[]))),
        "an empty store has every kind, empty"
    );

    let first = services(&[("web", "/"), ("api", "/api")]);
    let out = store.apply(&first, meta("alice")).await.unwrap();
    assert_eq!((out.base_revision, out.revision), (0, Some(1)));
    assert_eq!(
        ops(&out.changes),
        [("api", ChangeOp::Add), ("web", ChangeOp::Add)]
    );

    let history = store.revisions(10, None).await.unwrap();
    assert_eq!(history.len(), 1);
    let rev = &history[0];
    assert_eq!(
        (
            rev.id,
            rev.author.as_str(),
            rev.source.as_str(),
            rev.summary.as_str()
        ),
        (1, "alice", "test", "services: added api, web")
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now_ms - rev.created_at_ms).abs() < 60_000, "{rev:?}");
    assert_eq!(store.revision_changes(1).await.unwrap(), out.changes);
    assert_eq!(store.load().await.unwrap(), (1, full(sorted(first))));

    let second = services(&[("api", "/v2")]);
    let custom = RevisionMeta {
        summary: Some("move the API".into()),
        ..meta("bob")
    };
    let out = store.apply(&second, custom).await.unwrap();
    assert_eq!((out.base_revision, out.revision), (1, Some(2)));
    assert_eq!(
        ops(&out.changes),
        [("api", ChangeOp::Update), ("web", ChangeOp::Remove)]
    );
    let fields: Vec<_> = out.changes[0]
        .fields()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(fields, ["match.prefix"]);
    assert_eq!(out.changes[1].after, None);
    let latest = &store.revisions(10, None).await.unwrap()[0];
    assert_eq!((latest.id, latest.summary.as_str()), (2, "move the API"));
    assert_eq!(store.revision_changes(2).await.unwrap(), out.changes);
    assert_eq!(store.load().await.unwrap(), (2, full(second)));
    store.close().await;
}

pub(crate) async fn noop_apply_creates_no_revision(url: String) {
    let store = Store::open(&url).await.unwrap();
    let doc = services(&[("a", "/a"), ("b", "/b")]);
    store.apply(&doc, meta("t")).await.unwrap();

    for same in [doc.clone(), ConfigDocument::default()] {
        let out = store.apply(&same, meta("t")).await.unwrap();
        assert_eq!((out.base_revision, out.revision), (1, None));
        assert!(out.changes.is_empty(), "{:?}", out.changes);
    }
    assert_eq!(store.revision().await.unwrap(), 1);
    assert_eq!(store.revisions(10, None).await.unwrap().len(), 1);
    store.close().await;
}

pub(crate) async fn declared_kinds_are_replaced_whole(url: String) {
    let store = Store::open(&url).await.unwrap();
    store
        .apply(&services(&[("a", "/a"), ("b", "/b")]), meta("t"))
        .await
        .unwrap();

    // Entries missing from the file are removed.
    let out = store
        .apply(&services(&[("c", "/c")]), meta("t"))
        .await
        .unwrap();
    assert_eq!(
        ops(&out.changes),
        [
            ("a", ChangeOp::Remove),
            ("b", ChangeOp::Remove),
            ("c", ChangeOp::Add)
        ]
    );
    assert_eq!(service_names(&store.load().await.unwrap().1), ["c"]);

    // A document that declares no kind leaves every kind alone.
    let out = store
        .apply(&ConfigDocument::default(), meta("t"))
        .await
        .unwrap();
    assert_eq!(out.revision, None);
    assert_eq!(service_names(&store.load().await.unwrap().1), ["c"]);

    // An empty list is a declaration: remove them all.
    let out = store.apply(&services(&[]), meta("t")).await.unwrap();
    assert_eq!(out.revision, Some(3));
    assert_eq!(ops(&out.changes), [("c", ChangeOp::Remove)]);
    assert_eq!(store.load().await.unwrap(), (3, full(services(&[]))));
    store.close().await;
}

pub(crate) async fn invalid_config_is_rejected(url: String) {
    let store = Store::open(&url).await.unwrap();
    let good = services(&[("a", "/a")]);
    store.apply(&good, meta("t")).await.unwrap();

    let bad = parse_document(
        r#"
services:
  - { name: b, match: { prefix: /b }, upstream: { nodes: [{ addr: "10.0.0.1" }] } }
  - { name: a, match: { prefix: /x }, upstream: { nodes: [{ addr: "10.0.0.1:80" }] } }
  - { name: a, match: { prefix: /y }, upstream: { nodes: [{ addr: "10.0.0.1:80" }] } }
"#,
    )
    .unwrap();
    for result in [store.plan(&bad).await, store.apply(&bad, meta("t")).await] {
        let Err(StoreError::Invalid(errors)) = result else {
            panic!("expected Invalid, got {result:?}");
        };
        let paths: Vec<_> = errors.errors.iter().map(|e| e.path.as_str()).collect();
        assert!(
            paths.contains(&"services[0].upstream.nodes[0].addr"),
            "{paths:?}"
        );
        assert!(paths.contains(&"services[2].name"), "{paths:?}");
        let shown = StoreError::Invalid(errors.clone()).to_string();
        assert!(shown.contains("has no port"), "{shown}");
    }
    assert_eq!(store.load().await.unwrap(), (1, full(good)));
    assert_eq!(store.revisions(10, None).await.unwrap().len(), 1);
    store.close().await;
}

pub(crate) async fn plan_writes_nothing(url: String) {
    let store = Store::open(&url).await.unwrap();
    let first = services(&[("a", "/a")]);
    store.apply(&first, meta("t")).await.unwrap();

    let desired = services(&[("a", "/a2"), ("b", "/b")]);
    let plan = store.plan(&desired).await.unwrap();
    assert_eq!((plan.base_revision, plan.revision), (1, None));
    assert_eq!(
        ops(&plan.changes),
        [("a", ChangeOp::Update), ("b", ChangeOp::Add)]
    );
    assert_eq!(store.load().await.unwrap(), (1, full(first)));
    assert_eq!(store.revisions(10, None).await.unwrap().len(), 1);

    let applied = store.apply(&desired, meta("t")).await.unwrap();
    assert_eq!(applied.changes, plan.changes);
    assert_eq!(applied.revision, Some(2));
    store.close().await;
}

/// Two writers (separate stores, as two admin nodes would be) apply five
/// configurations each at the same time. Every apply must land as its own
/// revision, the final state must be the last one applied, and replaying the
/// recorded changes must reproduce it, each change's `before` matching what
/// the previous revisions left: proof that no write was based on stale data.
pub(crate) async fn concurrent_applies_lose_no_update(url: String) {
    let one = Store::open(&url).await.unwrap();
    let two = Store::open(&url).await.unwrap();

    let writer = |store: Store, who: &'static str| {
        tokio::spawn(async move {
            let mut landed = Vec::new();
            for i in 0..5 {
                // Every document differs from every other, so each apply is a
                // change whatever ran before it.
                let mut list = vec![("shared", format!("/{who}/{i}"))];
                if who == "two" {
                    list.push(("only-two", format!("/two-only/{i}")));
                }
                let list: Vec<_> = list.iter().map(|(n, p)| (*n, p.as_str())).collect();
                let doc = services(&list);
                let out = store.apply(&doc, meta(who)).await.unwrap();
                landed.push((out.revision.expect("every apply is a change"), doc));
            }
            landed
        })
    };
    let a = writer(one.clone(), "one");
    let b = writer(two.clone(), "two");
    let mut landed = a.await.unwrap();
    landed.extend(b.await.unwrap());
    landed.sort_by_key(|(rev, _)| *rev);

    let revisions: Vec<i64> = landed.iter().map(|(rev, _)| *rev).collect();
    assert_eq!(revisions, (1..=10).collect::<Vec<_>>());
    let (rev, doc) = one.load().await.unwrap();
    assert_eq!(rev, 10);
    assert_eq!(doc, full(sorted(landed[9].1.clone())));

    let mut state: BTreeMap<String, Value> = BTreeMap::new();
    for rev in 1..=10 {
        for c in one.revision_changes(rev).await.unwrap() {
            assert_eq!(state.get(&c.name), c.before.as_ref(), "revision {rev}: {c}");
            match c.after {
                Some(after) => state.insert(c.name.clone(), after),
                None => state.remove(&c.name),
            };
        }
    }
    let final_state: BTreeMap<String, Value> = doc
        .resources(weir_core::ResourceKind::Service)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(state, final_state);
    one.close().await;
    two.close().await;
}

pub(crate) async fn revision_history_pages(url: String) {
    let store = Store::open(&url).await.unwrap();
    for i in 1..=5 {
        let prefix = format!("/v{i}");
        store
            .apply(&services(&[("a", &prefix)]), meta(&format!("user{i}")))
            .await
            .unwrap();
    }
    let ids = |list: Vec<weir_store::Revision>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.revisions(2, None).await.unwrap()), [5, 4]);
    assert_eq!(ids(store.revisions(2, Some(4)).await.unwrap()), [3, 2]);
    assert_eq!(ids(store.revisions(10, Some(2)).await.unwrap()), [1]);
    assert!(store.revisions(10, Some(1)).await.unwrap().is_empty());
    assert!(store.revisions(0, None).await.unwrap().is_empty());
    assert_eq!(
        store.revisions(1, Some(3)).await.unwrap()[0].author,
        "user2"
    );
    assert_eq!(
        ops(&store.revision_changes(1).await.unwrap()),
        [("a", ChangeOp::Add)]
    );
    assert!(store.revision_changes(99).await.unwrap().is_empty());
    store.close().await;
}

pub(crate) async fn follower_delivers_each_revision_once(url: String) {
    let store = Store::open(&url).await.unwrap();
    let interval = Duration::from_millis(50);
    let mut follower = RevisionFollower::new(store.clone(), interval);

    let first = tokio::time::timeout(Duration::from_secs(5), follower.next())
        .await
        .expect("the first call returns the current state at once");
    assert_eq!(first, (0, full(services(&[]))));
    assert!(
        tokio::time::timeout(interval * 4, follower.next())
            .await
            .is_err(),
        "nothing changed, nothing delivered"
    );

    // Follower waiting while the write happens, as in a gateway.
    let waiting = tokio::spawn(async move {
        let got = follower.next().await;
        (got, Instant::now(), follower)
    });
    tokio::time::sleep(interval * 2).await;
    store
        .apply(&services(&[("a", "/a")]), meta("t"))
        .await
        .unwrap();
    let applied_at = Instant::now();
    let ((rev, doc), delivered_at, mut follower) =
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the follower sees the new revision")
            .unwrap();
    assert_eq!(rev, 1);
    assert_eq!(service_names(&doc), ["a"]);
    let delay = delivered_at.saturating_duration_since(applied_at);
    // One interval plus generous time for the load on a busy machine.
    assert!(delay < interval + Duration::from_millis(500), "{delay:?}");

    assert!(
        tokio::time::timeout(interval * 4, follower.next())
            .await
            .is_err(),
        "revision 1 is not delivered twice"
    );
    store.close().await;
}

/// A follower whose database fails keeps waiting (and logging) instead of
/// returning or panicking.
pub(crate) async fn follower_waits_through_errors(url: String) {
    let store = Store::open(&url).await.unwrap();
    store.close().await;
    let mut follower = RevisionFollower::new(store, Duration::from_millis(20));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), follower.next())
            .await
            .is_err()
    );
}

pub(crate) async fn reopen_keeps_data(url: String) {
    let doc = services(&[("a", "/a")]);
    let store = Store::open(&url).await.unwrap();
    store.apply(&doc, meta("t")).await.unwrap();
    store.close().await;

    // Migrations already applied: opening again must be a no-op for them.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.load().await.unwrap(), (1, full(doc)));
    let out = store
        .apply(&services(&[("a", "/a"), ("b", "/b")]), meta("t"))
        .await
        .unwrap();
    assert_eq!(out.revision, Some(2));
    store.close().await;
}

pub(crate) async fn corrupt_row_is_named(url: String) {
    let store = Store::open(&url).await.unwrap();
    store
        .apply(&services(&[("a", "/a")]), meta("t"))
        .await
        .unwrap();

    sqlx::any::install_default_drivers();
    let raw = AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO weir_resources (kind, name, spec, version) \
         VALUES ('service', 'broken', '{not json', 1)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;

    let expect_corrupt = |result: Result<_, StoreError>| match result {
        Err(e @ StoreError::Corrupt { .. }) => {
            let StoreError::Corrupt { kind, name, .. } = &e else {
                unreachable!()
            };
            assert_eq!((kind.as_str(), name.as_str()), ("service", "broken"));
            let shown = e.to_string();
            assert!(shown.contains("service \"broken\""), "{shown}");
            assert!(shown.contains("invalid JSON"), "{shown}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    };
    expect_corrupt(store.load().await.map(|_| ()));
    expect_corrupt(store.plan(&services(&[])).await.map(|_| ()));
    expect_corrupt(store.apply(&services(&[]), meta("t")).await.map(|_| ()));
    assert_eq!(store.revision().await.unwrap(), 1);
    store.close().await;
}

/// A store migrated by a newer Weir (a migration this binary does not know)
/// still opens: in a rolling upgrade the older processes restart too.
pub(crate) async fn a_store_migrated_by_a_newer_weir_still_opens(url: String) {
    let store = Store::open(&url).await.unwrap();
    let before = store.revision().await.unwrap();
    store.close().await;
    let sql = if url.starts_with("postgres") {
        "INSERT INTO weir_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, $3, 0)"
    } else {
        "INSERT INTO weir_migrations (version, description, success, checksum, execution_time) \
         VALUES (?, ?, TRUE, ?, 0)"
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(sql)
        .bind(9_999_i64)
        .bind("from a newer weir")
        .bind(vec![0u8; 48])
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.revision().await.unwrap(), before);
    store.close().await;
}
