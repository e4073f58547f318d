//! Revision notifications on PostgreSQL: how a follower learns of a new
//! revision at once instead of at its next poll.
//!
//! The writing side is one statement in [`crate::Store`]'s write path:
//! `pg_notify` on [`CHANNEL`] inside the transaction that commits the
//! revision, so PostgreSQL delivers it exactly when (and only if) the
//! revision becomes visible. The following side is [`Wakeup`]: a task that
//! holds a `LISTEN` connection (sqlx's [`PgListener`]) and pokes the follower.
//!
//! A wake-up is only a hint to poll now. Polling stays the safety net: a
//! notification can be lost (the connection drops, a writer that predates
//! notifications commits), and the follower must never depend on one
//! arriving. So this task never fails: a lost connection is reopened by
//! `PgListener` itself, errors are retried with back-off, and after every
//! (re)connection the follower is woken once, because anything committed
//! while nobody listened was not announced.
//!
//! Why `pg_notify` in the write path rather than a trigger added by a
//! migration: there is exactly one statement that moves the revision
//! (`Store::write`), and a migration would make every older Weir refuse to
//! start on the upgraded database (sqlx rejects applied migrations it does
//! not know), which a fleet upgraded node by node cannot afford. Without a
//! schema change, old and new nodes share a store: old writers simply do not
//! notify and new followers catch their revisions by polling.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The channel a committed revision is announced on; the payload is the
/// revision number (informational: a follower re-reads the revision anyway).
pub(crate) const CHANNEL: &str = "weir_revision";

/// Shown in `pg_stat_activity` for the listening connection, so that an
/// operator (and the tests) can tell it from the pool's connections.
pub(crate) const APPLICATION_NAME: &str = "weir revision listener";

/// Opening the connection and `LISTEN` must not hang the task forever on an
/// unreachable server; polling covers meanwhile either way.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Back-off between failed attempts to (re)establish the listener.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A running listener task; stops when dropped.
#[derive(Debug)]
pub(crate) struct Wakeup {
    notify: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Wakeup {
    /// Starts listening on `url` (a PostgreSQL URL). Must be called within a
    /// Tokio runtime.
    pub(crate) fn start(url: &str) -> Wakeup {
        let notify = Arc::new(Notify::new());
        let task = tokio::spawn(listen_forever(url.to_owned(), Arc::clone(&notify)));
        Wakeup { notify, task }
    }

    /// Resolves when a notification (or a reconnection) arrived since the
    /// last call returned. Cancel-safe: a wake-up that comes while nobody
    /// waits is kept for the next call.
    pub(crate) async fn woken(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Wakeup {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Keeps a listener up for as long as the task lives.
async fn listen_forever(url: String, notify: Arc<Notify>) {
    let mut backoff = FIRST_BACKOFF;
    // Logged once per outage rather than at every attempt.
    let mut failing = false;
    loop {
        let error = match tokio::time::timeout(CONNECT_TIMEOUT, connect(&url)).await {
            Ok(Ok(mut listener)) => {
                if failing {
                    tracing::info!("listening for configuration changes again");
                    failing = false;
                }
                backoff = FIRST_BACKOFF;
                // Whatever was committed before LISTEN took effect was not
                // announced to us: look now.
                notify.notify_one();
                receive(&mut listener, &notify).await
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no connection within {CONNECT_TIMEOUT:?}"),
        };
        if !failing {
            tracing::warn!(
                error = %crate::dialect::scrub(&url, &error),
                "cannot listen for configuration changes; polling until it works again"
            );
            failing = true;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Wakes the follower on every notification until the listener fails;
/// returns the error. A dropped connection that `PgListener` re-established
/// on its own (`Ok(None)`) only costs a wake-up, since notifications sent in
/// between are lost.
async fn receive(listener: &mut PgListener, notify: &Notify) -> String {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => notify.notify_one(),
            Ok(None) => {
                tracing::debug!("revision listener reconnected");
                notify.notify_one();
            }
            Err(e) => return e.to_string(),
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    // A pool of one, only so that PgListener can reconnect by itself.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options.application_name(APPLICATION_NAME));
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
