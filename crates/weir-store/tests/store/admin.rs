//! Scenarios for what the admin API needs from the store: single-resource
//! writes with versions, history (config at a revision, diff, rollback),
//! accounts and the audit log. Run on every backend like `scenarios.rs`.

use serde_json::{Value, json};
use weir_core::{ChangeOp, ResourceKind};
use weir_store::{
    ApiTokenRecord, AuditDetail, AuditFilter, Expect, NewAuditEntry, RevisionMeta, RevisionSummary,
    SessionRecord, Store, StoreError, UserRecord,
};

const SVC: ResourceKind = ResourceKind::Service;

fn meta(author: &str) -> RevisionMeta {
    RevisionMeta {
        author: author.into(),
        source: "api".into(),
        summary: None,
    }
}

/// A service spec as the model serialises it (defaults left out).
fn spec(name: &str, prefix: &str) -> Value {
    json!({"name": name, "match": {"prefix": prefix},
           "upstream": {"nodes": [{"addr": "127.0.0.1:9", "weight": 1}], "balance": "round_robin",
                        "timeouts": {"connect": "5s", "response_header": "1m", "idle": "1m30s"},
                        "max_idle_per_node": 64}})
}

fn canonical(v: Value) -> Value {
    let svc: weir_core::Service = serde_json::from_value(v).unwrap();
    serde_json::to_value(svc).unwrap()
}

pub(crate) async fn single_resource_writes_are_versioned(url: String) {
    let store = Store::open(&url).await.unwrap();
    let a = canonical(spec("a", "/a/"));
    let w = store
        .write_resource(SVC, "a", Some(a.clone()), Expect::Absent, meta("alice"))
        .await
        .unwrap();
    assert_eq!((w.revision, w.version), (Some(1), 1));
    assert_eq!(w.change.unwrap().op, ChangeOp::Add);

    // Create again: taken.
    let e = store
        .write_resource(SVC, "a", Some(a.clone()), Expect::Absent, meta("alice"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists(_)), "{e:?}");

    // Another resource moves the store on; a's version stays 1.
    store
        .write_resource(
            SVC,
            "b",
            Some(canonical(spec("b", "/b/"))),
            Expect::Absent,
            meta("bob"),
        )
        .await
        .unwrap();
    let got = store.resource(SVC, "a").await.unwrap().unwrap();
    assert_eq!((got.version, &got.spec), (1, &a));

    // Update at the version read: ok, even though the store is at 2.
    let a2 = canonical(spec("a", "/a2/"));
    let w = store
        .write_resource(
            SVC,
            "a",
            Some(a2.clone()),
            Expect::Version(1),
            meta("alice"),
        )
        .await
        .unwrap();
    assert_eq!((w.revision, w.version), (Some(3), 3));

    // A stale version is refused and names the current one.
    let e = store
        .write_resource(SVC, "a", Some(a.clone()), Expect::Version(1), meta("carol"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::VersionMismatch { current: 3, .. }),
        "{e:?}"
    );
    assert_eq!(store.resource(SVC, "a").await.unwrap().unwrap().spec, a2);

    // The same spec again writes nothing.
    let w = store
        .write_resource(
            SVC,
            "a",
            Some(a2.clone()),
            Expect::Version(3),
            meta("alice"),
        )
        .await
        .unwrap();
    assert_eq!((w.revision, w.version), (None, 3));

    // Invalid: errors are relative to the resource.
    let mut bad = a2.clone();
    bad["upstream"]["nodes"][0]["addr"] = json!("nope");
    bad["match"]["prefix"] = json!("/b/");
    let e = store
        .write_resource(SVC, "a", Some(bad), Expect::Version(3), meta("alice"))
        .await
        .unwrap_err();
    let StoreError::Invalid(errors) = e else {
        panic!("{e:?}")
    };
    let paths: Vec<_> = errors.errors.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"upstream.nodes[0].addr"), "{paths:?}");

    // Delete with a stale version, then the right one; then not found.
    assert!(matches!(
        store
            .write_resource(SVC, "a", None, Expect::Version(1), meta("alice"))
            .await,
        Err(StoreError::VersionMismatch { .. })
    ));
    let w = store
        .write_resource(SVC, "a", None, Expect::Version(3), meta("alice"))
        .await
        .unwrap();
    assert_eq!(w.revision, Some(4));
    assert!(store.resource(SVC, "a").await.unwrap().is_none());
    assert!(matches!(
        store
            .write_resource(SVC, "a", None, Expect::Version(4), meta("alice"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let (rev, list) = store.resources(SVC).await.unwrap();
    assert_eq!(rev, 4);
    assert_eq!(
        list.iter()
            .map(|r| (r.name.as_str(), r.version))
            .collect::<Vec<_>>(),
        [("b", 2)]
    );
    store.close().await;
}

pub(crate) async fn history_rebuilds_and_rolls_back(url: String) {
    let store = Store::open(&url).await.unwrap();
    let put = |name: &'static str, prefix: &'static str, expect| {
        let store = store.clone();
        async move {
            store
                .write_resource(
                    SVC,
                    name,
                    Some(canonical(spec(name, prefix))),
                    expect,
                    meta("t"),
                )
                .await
                .unwrap()
        }
    };
    put("a", "/a/", Expect::Absent).await; // 1
    put("b", "/b/", Expect::Absent).await; // 2
    put("a", "/a2/", Expect::Version(1)).await; // 3
    store
        .write_resource(SVC, "b", None, Expect::Version(2), meta("t"))
        .await
        .unwrap(); // 4

    let names = |doc: &weir_core::ConfigDocument| -> Vec<(String, String)> {
        doc.services
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| (s.name.clone(), s.route.prefix.clone().unwrap_or_default()))
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    };
    assert_eq!(names(&store.config_at(0).await.unwrap()), pairs(&[]));
    assert_eq!(
        names(&store.config_at(1).await.unwrap()),
        pairs(&[("a", "/a/")])
    );
    assert_eq!(
        names(&store.config_at(2).await.unwrap()),
        pairs(&[("a", "/a/"), ("b", "/b/")])
    );
    assert_eq!(
        names(&store.config_at(3).await.unwrap()),
        pairs(&[("a", "/a2/"), ("b", "/b/")])
    );
    assert_eq!(
        names(&store.config_at(4).await.unwrap()),
        pairs(&[("a", "/a2/")])
    );
    assert!(matches!(
        store.config_at(5).await,
        Err(StoreError::NotFound(_))
    ));

    let d = store.diff_revisions(2, 4).await.unwrap();
    let ops: Vec<_> = d.iter().map(|c| (c.name.as_str(), c.op)).collect();
    assert_eq!(ops, [("a", ChangeOp::Update), ("b", ChangeOp::Remove)]);

    // Rollback to 2 is a new revision 5 equal to 2.
    let out = store.rollback(2, meta("ops")).await.unwrap();
    assert_eq!(out.revision, Some(5));
    assert_eq!(
        names(&store.load().await.unwrap().1),
        pairs(&[("a", "/a/"), ("b", "/b/")])
    );
    let entry = store.revision_entry(5).await.unwrap().unwrap();
    assert!(
        entry.summary.starts_with("rollback to revision 2"),
        "{entry:?}"
    );
    assert_eq!(entry.author, "ops");
    // Versions follow: both were written by 5.
    assert_eq!(store.resource(SVC, "b").await.unwrap().unwrap().version, 5);
    // Rolling back to the current content writes nothing.
    assert_eq!(store.rollback(5, meta("ops")).await.unwrap().revision, None);
    assert!(store.revision_entry(6).await.unwrap().is_none());

    let (total, page) = store.revision_page(1, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [4, 3]);
    store.close().await;
}

pub(crate) async fn accounts_round_trip(url: String) {
    let store = Store::open(&url).await.unwrap();
    let admin = UserRecord {
        name: "admin".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: "admin".into(),
        must_change: true,
        created_at_ms: 1,
        updated_at_ms: 1,
    };
    assert!(store.create_first_user(&admin).await.unwrap());
    let other = UserRecord {
        name: "someone".into(),
        ..admin.clone()
    };
    assert!(!store.create_first_user(&other).await.unwrap());
    assert!(matches!(
        store.create_user(&admin).await,
        Err(StoreError::AlreadyExists(_))
    ));
    store.create_user(&other).await.unwrap();
    assert_eq!(store.user_count().await.unwrap(), 2);
    store
        .set_user_password("admin", "$argon2id$new", false, 7)
        .await
        .unwrap();
    store.set_user_role("someone", "viewer", 8).await.unwrap();
    let got = store.user("admin").await.unwrap().unwrap();
    assert_eq!(
        (
            got.password_hash.as_str(),
            got.must_change,
            got.updated_at_ms
        ),
        ("$argon2id$new", false, 7)
    );
    assert_eq!(store.users().await.unwrap()[1].role, "viewer");
    assert!(matches!(
        store.set_user_role("nobody", "viewer", 8).await,
        Err(StoreError::NotFound(_))
    ));

    let session = |id: &str, user: &str, created, seen| SessionRecord {
        id_hash: id.into(),
        user_name: user.into(),
        csrf_token: format!("csrf-{id}"),
        created_at_ms: created,
        last_seen_ms: seen,
    };
    store
        .create_session(&session("s1", "admin", 100, 100))
        .await
        .unwrap();
    store
        .create_session(&session("s2", "admin", 100, 100))
        .await
        .unwrap();
    store
        .create_session(&session("s3", "someone", 10, 500))
        .await
        .unwrap();
    store.touch_session("s1", 300).await.unwrap();
    assert_eq!(
        store.session("s1").await.unwrap().unwrap().last_seen_ms,
        300
    );
    // s2 idle (seen 100 < 200), s3 too old (created 10 < 50); s1 stays.
    assert_eq!(store.purge_sessions(200, 50).await.unwrap(), 2);
    assert!(store.session("s2").await.unwrap().is_none());
    store
        .create_session(&session("s4", "admin", 400, 400))
        .await
        .unwrap();
    store
        .delete_user_sessions("admin", Some("s4"))
        .await
        .unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(store.session("s4").await.unwrap().is_some());
    store.delete_session("s4").await.unwrap();
    assert!(store.session("s4").await.unwrap().is_none());

    let token = ApiTokenRecord {
        id: "t1".into(),
        name: "ci".into(),
        token_hash: "h1".into(),
        role: "admin".into(),
        created_by: "admin".into(),
        created_at_ms: 5,
        last_used_ms: None,
        revoked_at_ms: None,
    };
    store.create_token(&token).await.unwrap();
    assert_eq!(store.token_by_hash("h1").await.unwrap().unwrap(), token);
    store.touch_token("t1", 9).await.unwrap();
    store.revoke_token("t1", 10).await.unwrap();
    let got = store.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!((got.last_used_ms, got.revoked_at_ms), (Some(9), Some(10)));
    assert!(matches!(
        store.revoke_token("t1", 11).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.tokens().await.unwrap().len(), 1);

    store
        .create_session(&session("s5", "someone", 1, 1))
        .await
        .unwrap();
    store.delete_user("someone").await.unwrap();
    assert!(store.session("s5").await.unwrap().is_none());
    assert!(matches!(
        store.delete_user("someone").await,
        Err(StoreError::NotFound(_))
    ));
    store.close().await;
}

pub(crate) async fn audit_log_filters_and_pages(url: String) {
    let store = Store::open(&url).await.unwrap();
    for i in 0..5_i64 {
        store
            .record_audit(&NewAuditEntry {
                at_ms: 1000 + i,
                actor: if i % 2 == 0 { "alice" } else { "bob" }.into(),
                actor_kind: "user".into(),
                ip: "127.0.0.1".into(),
                action: "service.update".into(),
                target: format!("service/s{i}"),
                revision: Some(i),
                outcome: "ok".into(),
                detail: "x".repeat(5000),
                detail_code: None,
                detail_params: None,
            })
            .await
            .unwrap();
    }
    let (total, page) = store.audit(&AuditFilter::default(), 0, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        page.iter().map(|e| e.entry.at_ms).collect::<Vec<_>>(),
        [1004, 1003]
    );
    assert_eq!(page[0].entry.detail.len(), 4096);
    let alice = AuditFilter {
        actor: "alice".into(),
        since_ms: Some(1001),
        ..AuditFilter::default()
    };
    let (total, page) = store.audit(&alice, 0, 10).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(page[1].entry.target, "service/s2");
    let none = AuditFilter {
        action: "session.login".into(),
        ..AuditFilter::default()
    };
    assert_eq!(store.audit(&none, 0, 10).await.unwrap().0, 0);
    store.close().await;
}

/// Generated summaries and audit details keep their code and parameters
/// beside the English text (migration 0021); a person's summary and an
/// entry without a detail have none.
pub(crate) async fn messages_keep_code_and_params(url: String) {
    let store = Store::open(&url).await.unwrap();
    let a = canonical(spec("a", "/a/"));
    store
        .write_resource(SVC, "a", Some(a.clone()), Expect::Absent, meta("alice"))
        .await
        .unwrap();
    let mut moved = a.clone();
    moved["match"]["prefix"] = json!("/a2/");
    let custom = RevisionMeta {
        summary: Some("move a 日本".into()),
        ..meta("bob")
    };
    store
        .write_resource(SVC, "a", Some(moved), Expect::Version(1), custom)
        .await
        .unwrap();
    let generated = RevisionMeta {
        summary: Some(
            RevisionSummary::TenantSecretReset {
                app_id: "shop's \"x\"".into(),
            }
            .into(),
        ),
        ..meta("carol")
    };
    store
        .write_resource(
            SVC,
            "b",
            Some(canonical(spec("b", "/b/"))),
            Expect::Absent,
            generated,
        )
        .await
        .unwrap();
    store.rollback(1, meta("ops")).await.unwrap();

    let (_, page) = store.revision_page(0, 10).await.unwrap();
    let by_id = |id: i64| page.iter().find(|r| r.id == id).unwrap().clone();
    let first = by_id(1);
    assert_eq!(first.summary, "services: added a");
    assert_eq!(first.summary_code.as_deref(), Some("changes"));
    assert_eq!(
        first.summary_params,
        Some(
            json!({"changes": [{"kind": "services", "op": "add", "names": ["a"], "more": 0,
                                 "fields": [], "more_fields": false}]})
        )
    );
    let written = by_id(2);
    assert_eq!(
        (
            written.summary.as_str(),
            written.summary_code,
            written.summary_params
        ),
        ("move a 日本", None, None)
    );
    let reset = by_id(3);
    assert_eq!(reset.summary, "tenants: secret of shop's \"x\" reset");
    assert_eq!(reset.summary_code.as_deref(), Some("tenant_secret_reset"));
    assert_eq!(
        reset.summary_params,
        Some(json!({"app_id": "shop's \"x\""}))
    );
    let rollback = store.revision_entry(4).await.unwrap().unwrap();
    assert_eq!(
        rollback.summary,
        "rollback to revision 1: services: changed a; removed b"
    );
    assert_eq!(rollback.summary_code.as_deref(), Some("rollback"));
    let params = rollback.summary_params.clone().unwrap();
    assert_eq!(params["revision"], 1);
    assert_eq!(params["changes"][0]["names"], json!(["a"]));
    assert_eq!(params["changes"][1]["op"], "remove");
    // Back into the message: the same English.
    let back: RevisionSummary =
        serde_json::from_value(json!({"code": "rollback", "params": params})).unwrap();
    assert_eq!(back.to_string(), rollback.summary);
    // The other way of paging shows the same.
    let older = store.revisions(10, None).await.unwrap();
    assert_eq!(older[0], rollback);

    let entry = |detail: Option<&AuditDetail>| {
        let mut e = NewAuditEntry {
            at_ms: 7,
            actor: "alice".into(),
            actor_kind: "user".into(),
            ip: "127.0.0.1".into(),
            action: "registration.register".into(),
            target: "registration/a/[::1]:80".into(),
            revision: None,
            outcome: "denied".into(),
            detail: String::new(),
            detail_code: None,
            detail_params: None,
        };
        e.set_detail(detail);
        e
    };
    let loopback = AuditDetail::RegistrationLoopback { ip: "::1".into() };
    let huge = AuditDetail::TokenName {
        name: "n".repeat(5000),
    };
    for (i, d) in [Some(&loopback), None, Some(&huge)].into_iter().enumerate() {
        let mut e = entry(d);
        e.at_ms = i64::try_from(i).unwrap();
        store.record_audit(&e).await.unwrap();
    }
    let (_, entries) = store.audit(&AuditFilter::default(), 0, 10).await.unwrap();
    let [huge_e, none_e, loop_e] = [&entries[0].entry, &entries[1].entry, &entries[2].entry];
    assert_eq!(loop_e.detail, loopback.to_string());
    assert_eq!(loop_e.detail_code.as_deref(), Some("registration_loopback"));
    assert_eq!(loop_e.detail_params, Some(json!({"ip": "::1"})));
    assert_eq!((none_e.detail.as_str(), &none_e.detail_code), ("", &None));
    // Parameters too long to keep whole are dropped: the text (cut) remains.
    assert_eq!(huge_e.detail.len(), 4096);
    assert_eq!((&huge_e.detail_code, &huge_e.detail_params), (&None, &None));
    store.close().await;
}
