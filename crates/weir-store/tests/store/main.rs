//! Integration tests of the store against real databases: SQLite files in a
//! temporary directory, and a throw-away database on the local PostgreSQL
//! and MariaDB/MySQL servers (created per test, dropped afterwards). Every
//! backend runs the same scenarios (`scenarios.rs`), which is the point: one
//! store, one behaviour. The `pg_*` and `mysql_*` tests fail, rather than
//! skip, when their server is unreachable; point them elsewhere with
//! `WEIR_TEST_PG_URL` / `WEIR_TEST_MYSQL_URL` (server URLs without a database).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod gateways;
mod login_attempts;
mod notify;
mod registrations;
mod scenarios;
mod stats;

use weir_testkit::db::{with_mysql, with_postgres, with_sqlite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_notification_wakes_the_follower() {
    with_postgres(notify::notification_wakes_the_follower).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_follower_polls_through_lost_notifications_and_listens_again() {
    with_postgres(notify::follower_polls_through_lost_notifications_and_listens_again).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_migrated_by_a_newer_weir_still_opens() {
    with_sqlite(scenarios::a_store_migrated_by_a_newer_weir_still_opens).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_migrated_by_a_newer_weir_still_opens() {
    with_postgres(scenarios::a_store_migrated_by_a_newer_weir_still_opens).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_store_migrated_by_a_newer_weir_still_opens() {
    with_mysql(scenarios::a_store_migrated_by_a_newer_weir_still_opens).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stats_rollups_add_up() {
    with_sqlite(stats::stats_rollups_add_up).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_stats_rollups_add_up() {
    with_postgres(stats::stats_rollups_add_up).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_stats_rollups_add_up() {
    with_mysql(stats::stats_rollups_add_up).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stats_totals_replace_a_nodes_rows() {
    with_sqlite(stats::stats_totals_replace_a_nodes_rows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_stats_totals_replace_a_nodes_rows() {
    with_postgres(stats::stats_totals_replace_a_nodes_rows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_stats_totals_replace_a_nodes_rows() {
    with_mysql(stats::stats_totals_replace_a_nodes_rows).await
}

macro_rules! registration_tests {
    ($runner:path; $($test:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $runner(registrations::$scenario).await
        }
    )*};
}

registration_tests! { with_sqlite;
    sqlite_registrations_live_renew_and_expire => registrations_live_renew_and_expire,
    sqlite_registrations_are_validated => registrations_are_validated,
    sqlite_concurrent_registrations_are_idempotent => concurrent_registrations_are_idempotent,
    sqlite_registrations_survive_reopen => registrations_survive_reopen,
    sqlite_registrations_respect_the_cap => concurrent_registrations_respect_the_cap,
}

registration_tests! { with_postgres;
    pg_registrations_live_renew_and_expire => registrations_live_renew_and_expire,
    pg_registrations_are_validated => registrations_are_validated,
    pg_concurrent_registrations_are_idempotent => concurrent_registrations_are_idempotent,
    pg_registrations_survive_reopen => registrations_survive_reopen,
    pg_registrations_respect_the_cap => concurrent_registrations_respect_the_cap,
}

registration_tests! { with_mysql;
    mysql_registrations_live_renew_and_expire => registrations_live_renew_and_expire,
    mysql_registrations_are_validated => registrations_are_validated,
    mysql_concurrent_registrations_are_idempotent => concurrent_registrations_are_idempotent,
    mysql_registrations_survive_reopen => registrations_survive_reopen,
    mysql_registrations_respect_the_cap => concurrent_registrations_respect_the_cap,
}

macro_rules! login_attempt_tests {
    ($runner:path; $($test:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $runner(login_attempts::$scenario).await
        }
    )*};
}

login_attempt_tests! { with_sqlite;
    sqlite_login_attempts_count_refuse_and_reset => login_attempts_count_refuse_and_reset,
    sqlite_login_attempts_are_atomic_across_processes => login_attempts_are_atomic_across_processes,
    sqlite_login_attempts_are_pruned_and_capped => login_attempts_are_pruned_and_capped,
}

login_attempt_tests! { with_postgres;
    pg_login_attempts_count_refuse_and_reset => login_attempts_count_refuse_and_reset,
    pg_login_attempts_are_atomic_across_processes => login_attempts_are_atomic_across_processes,
    pg_login_attempts_are_pruned_and_capped => login_attempts_are_pruned_and_capped,
}

login_attempt_tests! { with_mysql;
    mysql_login_attempts_count_refuse_and_reset => login_attempts_count_refuse_and_reset,
    mysql_login_attempts_are_atomic_across_processes => login_attempts_are_atomic_across_processes,
    mysql_login_attempts_are_pruned_and_capped => login_attempts_are_pruned_and_capped,
}

macro_rules! backend_tests {
    ($runner:path; $($test:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $runner(scenarios::$scenario).await
        }
    )*};
}

macro_rules! admin_tests {
    ($runner:path; $($test:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $runner(admin::$scenario).await
        }
    )*};
}

admin_tests! { with_sqlite;
    sqlite_single_resource_writes_are_versioned => single_resource_writes_are_versioned,
    sqlite_history_rebuilds_and_rolls_back => history_rebuilds_and_rolls_back,
    sqlite_accounts_round_trip => accounts_round_trip,
    sqlite_audit_log_filters_and_pages => audit_log_filters_and_pages,
    sqlite_messages_keep_code_and_params => messages_keep_code_and_params,
}

admin_tests! { with_postgres;
    pg_single_resource_writes_are_versioned => single_resource_writes_are_versioned,
    pg_history_rebuilds_and_rolls_back => history_rebuilds_and_rolls_back,
    pg_accounts_round_trip => accounts_round_trip,
    pg_audit_log_filters_and_pages => audit_log_filters_and_pages,
    pg_messages_keep_code_and_params => messages_keep_code_and_params,
}

admin_tests! { with_mysql;
    mysql_single_resource_writes_are_versioned => single_resource_writes_are_versioned,
    mysql_history_rebuilds_and_rolls_back => history_rebuilds_and_rolls_back,
    mysql_accounts_round_trip => accounts_round_trip,
    mysql_audit_log_filters_and_pages => audit_log_filters_and_pages,
    mysql_messages_keep_code_and_params => messages_keep_code_and_params,
}

backend_tests! { with_sqlite;
    sqlite_apply_records_revision => apply_records_revision,
    sqlite_noop_apply_creates_no_revision => noop_apply_creates_no_revision,
    sqlite_declared_kinds_are_replaced_whole => declared_kinds_are_replaced_whole,
    sqlite_invalid_config_is_rejected => invalid_config_is_rejected,
    sqlite_plan_writes_nothing => plan_writes_nothing,
    sqlite_concurrent_applies_lose_no_update => concurrent_applies_lose_no_update,
    sqlite_revision_history_pages => revision_history_pages,
    sqlite_follower_delivers_each_revision_once => follower_delivers_each_revision_once,
    sqlite_follower_waits_through_errors => follower_waits_through_errors,
    sqlite_reopen_keeps_data => reopen_keeps_data,
    sqlite_corrupt_row_is_named => corrupt_row_is_named,
}

backend_tests! { with_postgres;
    pg_apply_records_revision => apply_records_revision,
    pg_noop_apply_creates_no_revision => noop_apply_creates_no_revision,
    pg_declared_kinds_are_replaced_whole => declared_kinds_are_replaced_whole,
    pg_invalid_config_is_rejected => invalid_config_is_rejected,
    pg_plan_writes_nothing => plan_writes_nothing,
    pg_concurrent_applies_lose_no_update => concurrent_applies_lose_no_update,
    pg_revision_history_pages => revision_history_pages,
    pg_follower_delivers_each_revision_once => follower_delivers_each_revision_once,
    pg_follower_waits_through_errors => follower_waits_through_errors,
    pg_reopen_keeps_data => reopen_keeps_data,
    pg_corrupt_row_is_named => corrupt_row_is_named,
}

backend_tests! { with_mysql;
    mysql_apply_records_revision => apply_records_revision,
    mysql_noop_apply_creates_no_revision => noop_apply_creates_no_revision,
    mysql_declared_kinds_are_replaced_whole => declared_kinds_are_replaced_whole,
    mysql_invalid_config_is_rejected => invalid_config_is_rejected,
    mysql_plan_writes_nothing => plan_writes_nothing,
    mysql_concurrent_applies_lose_no_update => concurrent_applies_lose_no_update,
    mysql_revision_history_pages => revision_history_pages,
    mysql_follower_delivers_each_revision_once => follower_delivers_each_revision_once,
    mysql_follower_waits_through_errors => follower_waits_through_errors,
    mysql_reopen_keeps_data => reopen_keeps_data,
    mysql_corrupt_row_is_named => corrupt_row_is_named,
}

/// SQLite-specific: the file and its missing parent directories are created,
/// and the database is in WAL mode.
#[tokio::test]
async fn sqlite_creates_file_and_directories_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/weir.db");
    let store = weir_store::Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.is_file());
    assert_eq!(store.revision().await.unwrap(), 0);
    store.close().await;

    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn unsupported_url_is_a_clear_error() {
    let err = weir_store::Store::open("redis://user:secret@localhost/0")
        .await
        .unwrap_err();
    assert!(matches!(err, weir_store::StoreError::UnsupportedUrl(_)));
    let shown = err.to_string();
    assert!(shown.contains("sqlite://"), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
}

/// Issue 15: a wrong password (here: nothing listening) gives an error that
/// does not contain it, and logs show the URL redacted.
#[tokio::test]
async fn store_errors_never_show_the_url_password() {
    for url in [
        "postgres://weir:supersecret@127.0.0.1:1/x",
        "mysql://weir:supersecret@127.0.0.1:1/x",
    ] {
        let err = weir_store::Store::open(url).await.unwrap_err();
        assert!(!err.to_string().contains("supersecret"), "{err}");
        assert!(!format!("{err:?}").contains("supersecret"), "{err:?}");
    }
    // A real server refusing the password.
    let err = weir_store::Store::open("postgres://nosuchuser:supersecret@127.0.0.1:5432/nosuchdb")
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("supersecret"), "{err:?}");
    assert_eq!(
        weir_store::redact_url("postgres://weir:supersecret@db:5432/weir"),
        "postgres://weir:***@db:5432/weir"
    );
}

/// A lazily opened store (a proxy starting from its cache) is a handle
/// at once, whose queries fail while nothing answers (without showing the
/// password) and work once the database is there.
#[tokio::test]
async fn a_lazy_store_fails_until_the_database_answers() {
    let unreachable = weir_store::Store::open_lazy("postgres://weir:supersecret@127.0.0.1:1/x")
        .expect("no connection is made yet");
    let err = tokio::time::timeout(std::time::Duration::from_secs(30), unreachable.revision())
        .await
        .expect("bounded by the acquire timeout")
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("supersecret"), "{err:?}");
    assert!(weir_store::Store::open_lazy("redis://x").is_err());

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("weir.db").display());
    weir_store::Store::open(&url).await.unwrap().close().await;
    let lazy = weir_store::Store::open_lazy(&url).unwrap();
    assert_eq!(lazy.revision().await.unwrap(), 0);
}

/// SQLite-specific: several processes (here: pools) starting on a fresh file
/// at once must not race each other through the migrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_first_opens_migrate_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { weir_store::Store::open(&url).await })
            })
            .collect();
        for open in opens {
            let store = open.await.unwrap().unwrap();
            assert_eq!(store.revision().await.unwrap(), 0);
            store.close().await;
        }
    }
}

/// Defaults stay implicit: specs an older Weir stored with every default
/// written out read back without them, compare equal to the same spec
/// without them (no empty revision, no change in a diff), and a change of
/// one field shows that field alone.
#[tokio::test]
async fn sqlite_specs_stored_with_defaults_read_and_diff_as_written() {
    use serde_json::json;
    use weir_core::ResourceKind;
    use weir_core::model::defaults;
    use weir_store::{Expect, RevisionMeta};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("weir.db").display());
    let store = weir_store::Store::open(&url).await.unwrap();
    let meta = || RevisionMeta {
        author: "alice".into(),
        source: "api".into(),
        summary: None,
    };
    let sparse = json!({"name": "a", "match": {"prefix": "/a/"},
                        "upstream": {"nodes": [{"addr": "127.0.0.1:9"}]}});
    let full = defaults::fill(ResourceKind::Service, &sparse);
    assert!(full["upstream"]["timeouts"].is_object(), "{full}");

    // Written with its defaults spelled out: stored as written (sparse).
    let w = store
        .write_resource(
            ResourceKind::Service,
            "a",
            Some(full.clone()),
            Expect::Absent,
            meta(),
        )
        .await
        .unwrap();
    assert_eq!(w.revision, Some(1));
    assert_eq!(w.change.unwrap().after, Some(sparse.clone()));

    // As an older Weir stored it: every default in the row and the history.
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let text = full.to_string();
        sqlx::query("UPDATE weir_resources SET spec = ? WHERE name = 'a'")
            .bind(&text)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE weir_revision_changes SET after_spec = ? WHERE revision = 1")
            .bind(&text)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let read = store
        .resource(ResourceKind::Service, "a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.spec, sparse);
    let (_, all) = store.resources(ResourceKind::Service).await.unwrap();
    assert_eq!(all[0].spec, sparse);
    let history = store.revision_changes(1).await.unwrap();
    assert_eq!(history[0].after, Some(sparse.clone()));

    // The same meaning written again, either way: nothing to write.
    for spec in [&sparse, &full] {
        let again = store
            .write_resource(
                ResourceKind::Service,
                "a",
                Some(spec.clone()),
                Expect::Version(1),
                meta(),
            )
            .await
            .unwrap();
        assert_eq!(again.revision, None);
    }
    let doc: weir_core::ConfigDocument =
        serde_json::from_value(json!({"services": [sparse.clone()]})).unwrap();
    assert!(store.plan(&doc).await.unwrap().changes.is_empty());

    // One field changed: that field is the whole difference, in the
    // revision and between revisions.
    let mut changed = sparse.clone();
    changed["description"] = json!("users");
    let w = store
        .write_resource(
            ResourceKind::Service,
            "a",
            Some(changed),
            Expect::Version(1),
            meta(),
        )
        .await
        .unwrap();
    assert_eq!(w.revision, Some(2));
    let paths = |changes: Vec<weir_core::Change>| -> Vec<String> {
        changes
            .iter()
            .flat_map(|c| c.fields())
            .map(|f| f.path)
            .collect()
    };
    assert_eq!(
        paths(store.revision_changes(2).await.unwrap()),
        ["description"]
    );
    assert_eq!(
        paths(store.diff_revisions(1, 2).await.unwrap()),
        ["description"]
    );
    store.close().await;
}

macro_rules! gateway_tests {
    ($runner:path; $($test:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $runner(gateways::$scenario).await
        }
    )*};
}

gateway_tests! { with_sqlite;
    sqlite_gateways_register_beat_and_go_down => gateways_register_beat_and_go_down,
    sqlite_gateways_are_pruned_and_come_back => gateways_are_pruned_and_come_back,
}

gateway_tests! { with_postgres;
    pg_gateways_register_beat_and_go_down => gateways_register_beat_and_go_down,
    pg_gateways_are_pruned_and_come_back => gateways_are_pruned_and_come_back,
}

gateway_tests! { with_mysql;
    mysql_gateways_register_beat_and_go_down => gateways_register_beat_and_go_down,
    mysql_gateways_are_pruned_and_come_back => gateways_are_pruned_and_come_back,
}
