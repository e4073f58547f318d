//! The revision follower: how a running gateway notices configuration changes.
//! It polls the one-row revision (cheap on every backend), loads the whole
//! configuration only when the number moved, and never gives up: while the
//! database is unreachable the gateway keeps serving its last snapshot, so
//! errors are logged and retried rather than returned.
//!
//! On PostgreSQL it also listens for the notification each committed
//! revision sends (`notify`) and polls at once when one arrives, so a change
//! is live in milliseconds rather than within the poll interval. The
//! interval still applies: it is what catches anything a notification
//! missed, and all there is on MySQL and SQLite.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use weir_core::ConfigDocument;

use crate::notify::Wakeup;
use crate::{Store, StoreError};

/// A poll interval below this would only spin on the database.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Follows a store's revision by polling, woken early by notifications on
/// PostgreSQL. See [`RevisionFollower::next`].
#[derive(Debug)]
pub struct RevisionFollower {
    store: Store,
    interval: Duration,
    /// The PostgreSQL listener, started by the first [`RevisionFollower::next`]
    /// (which runs in a Tokio runtime, unlike `new`); stops with the follower.
    wakeup: Option<Wakeup>,
    /// The revision last delivered; `None` before the first.
    last: Option<i64>,
    /// The last error logged, so a database that stays down is reported once
    /// per distinct error rather than every tick.
    last_error: Option<String>,
    /// Whether the last poll reached the store, for whoever reports it
    /// (a proxy's `/metrics`); see [`RevisionFollower::reachable`].
    reachable: Arc<AtomicBool>,
}

impl RevisionFollower {
    /// `interval` is the time between polls (~250 ms for a gateway).
    pub fn new(store: Store, interval: Duration) -> Self {
        Self {
            store,
            interval: interval.max(MIN_INTERVAL),
            wakeup: None,
            last: None,
            last_error: None,
            reachable: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Report whether the store answers in `flag`: set after every poll
    /// (true when it answered), so it reads false through an outage.
    pub fn reachable(mut self, flag: Arc<AtomicBool>) -> Self {
        self.reachable = flag;
        self
    }

    /// The next configuration: the current one on the first call (even at
    /// revision 0), then each time the revision differs from the last one
    /// delivered. Intermediate revisions that come and go within one interval
    /// are skipped; only the latest state matters to a gateway.
    ///
    /// On PostgreSQL, a notification of a new revision ends the wait
    /// between polls early.
    ///
    /// Cancel-safe: dropping the future (e.g. in `select!` with a shutdown
    /// signal) loses nothing; the next call picks up where this left off.
    pub async fn next(&mut self) -> (i64, ConfigDocument) {
        if self.wakeup.is_none() {
            // Started before the first poll: what commits in between is
            // caught by the wake-up the listener gives once it listens.
            self.wakeup = self.store.listen_url.as_deref().map(Wakeup::start);
        }
        loop {
            let polled = self.poll().await;
            self.reachable.store(polled.is_ok(), Ordering::Relaxed);
            match polled {
                Ok(Some(found)) => {
                    if self.last_error.take().is_some() {
                        tracing::info!(revision = found.0, "configuration store readable again");
                    }
                    self.last = Some(found.0);
                    return found;
                }
                Ok(None) => {}
                Err(e) => {
                    let message = e.to_string();
                    if self.last_error.as_deref() != Some(message.as_str()) {
                        tracing::warn!(
                            error = %message,
                            "cannot read the configuration store; keeping the current configuration and retrying"
                        );
                        self.last_error = Some(message);
                    }
                }
            }
            match &self.wakeup {
                Some(wakeup) => {
                    tokio::select! {
                        () = wakeup.woken() => {}
                        () = tokio::time::sleep(self.interval) => {}
                    }
                }
                None => tokio::time::sleep(self.interval).await,
            }
        }
    }

    /// A new configuration if the revision moved since the last delivery.
    async fn poll(&self) -> Result<Option<(i64, ConfigDocument)>, StoreError> {
        let revision = self.store.revision().await?;
        if Some(revision) == self.last {
            return Ok(None);
        }
        // The loaded revision may be newer than the polled one; it is the one
        // that matches the document.
        let (revision, doc) = self.store.load().await?;
        Ok((Some(revision) != self.last).then_some((revision, doc)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::RevisionMeta;

    /// A listener that can never connect (here: a PostgreSQL URL nobody
    /// answers, beside a SQLite store) costs the follower nothing: it keeps
    /// following by polling, and `next` never fails.
    #[tokio::test]
    async fn a_listener_that_cannot_connect_leaves_polling_working() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let mut store = Store::open(&url).await.unwrap();
        store.listen_url = Some("postgres://weir@127.0.0.1:1/none".into());
        let mut follower = RevisionFollower::new(store.clone(), Duration::from_millis(20));
        let within = Duration::from_secs(5);
        let (first, _) = tokio::time::timeout(within, follower.next()).await.unwrap();
        assert_eq!(first, 0);
        assert!(follower.wakeup.is_some(), "the listener was started");

        let doc = weir_core::yaml::parse_document(
            "services: [{ name: a, match: { prefix: /a }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] } }]",
        )
        .unwrap();
        let meta = RevisionMeta {
            author: "t".into(),
            source: "test".into(),
            summary: None,
        };
        store.apply(&doc, meta).await.unwrap();
        let (second, _) = tokio::time::timeout(within, follower.next()).await.unwrap();
        assert_eq!(second, 1);
    }
}
