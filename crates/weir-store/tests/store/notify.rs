//! PostgreSQL only: a follower is woken by the notification a committed
//! revision sends, and still follows by polling when notifications are lost
//! (a writer that does not send them, a killed `LISTEN` connection), after
//! which it listens again.

use std::time::{Duration, Instant};

use sqlx::AnyPool;
use weir_core::yaml::parse_document;
use weir_store::{RevisionFollower, RevisionMeta, Store};

/// How the listening connection names itself in `pg_stat_activity`.
const LISTENER: &str = "weir revision listener";

/// Long enough that a delivery well within it cannot have come from a poll.
const LONG_INTERVAL: Duration = Duration::from_secs(4);

fn meta() -> RevisionMeta {
    RevisionMeta {
        author: "t".into(),
        source: "test".into(),
        summary: None,
    }
}

async fn apply_service(store: &Store, prefix: &str) -> i64 {
    let doc = parse_document(&format!(
        "services:\n  - {{ name: a, match: {{ prefix: \"{prefix}\" }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:9\" }}] }} }}\n"
    ))
    .unwrap();
    store.apply(&doc, meta()).await.unwrap().revision.unwrap()
}

/// The backend pid of the follower's LISTEN connection once it listens
/// (other than `not`), waiting up to 10 s.
async fn listener_pid(raw: &AnyPool, not: Option<i32>) -> i32 {
    let start = Instant::now();
    loop {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = $1 AND query LIKE 'LISTEN%'",
        )
        .bind(LISTENER)
        .fetch_all(raw)
        .await
        .unwrap();
        if let Some(pid) = pids.into_iter().find(|p| Some(*p) != not) {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the follower does not listen (other than {not:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the follower's next delivery (bounded) and returns it with
/// how long it took.
async fn delivered(follower: &mut RevisionFollower, within: Duration) -> (i64, Duration) {
    let start = Instant::now();
    let (revision, _) = tokio::time::timeout(within, follower.next())
        .await
        .unwrap_or_else(|_| panic!("nothing delivered within {within:?}"));
    (revision, start.elapsed())
}

pub(crate) async fn notification_wakes_the_follower(url: String) {
    let store = Store::open(&url).await.unwrap();
    let raw = AnyPool::connect(&url).await.unwrap();
    let mut follower = RevisionFollower::new(store.clone(), LONG_INTERVAL);
    assert_eq!(delivered(&mut follower, LONG_INTERVAL).await.0, 0);
    listener_pid(&raw, None).await;

    for (n, prefix) in ["/a", "/b", "/c"].into_iter().enumerate() {
        let expected = apply_service(&store, prefix).await;
        assert_eq!(expected, n as i64 + 1);
        let (revision, took) = delivered(&mut follower, LONG_INTERVAL).await;
        assert_eq!(revision, expected);
        // Far below the interval: the notification, not a poll.
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    raw.close().await;
    store.close().await;
}

pub(crate) async fn follower_polls_through_lost_notifications_and_listens_again(url: String) {
    let store = Store::open(&url).await.unwrap();
    let raw = AnyPool::connect(&url).await.unwrap();
    let mut follower = RevisionFollower::new(store.clone(), LONG_INTERVAL);
    assert_eq!(delivered(&mut follower, LONG_INTERVAL).await.0, 0);
    let first = listener_pid(&raw, None).await;

    // A writer that sends no notification (a Weir from before them): only
    // a poll can find this revision. The follower is waiting between polls
    // first (nothing is delivered for a while), as in a gateway.
    let mut waiting = tokio::spawn(async move {
        let got = follower.next().await;
        (got.0, follower)
    });
    assert!(
        tokio::time::timeout(LONG_INTERVAL / 4, &mut waiting)
            .await
            .is_err(),
        "nothing changed, nothing delivered"
    );
    sqlx::raw_sql("UPDATE weir_meta SET revision = revision + 1 WHERE id = 1")
        .execute(&raw)
        .await
        .unwrap();
    let (revision, mut follower) = tokio::time::timeout(LONG_INTERVAL * 2, waiting)
        .await
        .expect("the next poll finds the revision nobody announced")
        .unwrap();
    assert_eq!(revision, 1);

    // The LISTEN connection dies; a revision committed meanwhile is not
    // lost, and the follower listens again on a new connection.
    let killed: Vec<bool> = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_all(&raw)
        .await
        .unwrap();
    assert_eq!(killed, [true]);
    let expected = apply_service(&store, "/after-kill").await;
    let (revision, _) = delivered(&mut follower, LONG_INTERVAL * 3).await;
    assert_eq!(revision, expected);
    let second = listener_pid(&raw, Some(first)).await;
    assert_ne!(first, second);

    // Listening again: woken at once, not at the next poll. Twice, so that
    // the second cannot be the wake-up the reconnection itself gave.
    for prefix in ["/x", "/y"] {
        let expected = apply_service(&store, prefix).await;
        let (revision, took) = delivered(&mut follower, LONG_INTERVAL).await;
        assert_eq!(revision, expected);
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    raw.close().await;
    store.close().await;
}
