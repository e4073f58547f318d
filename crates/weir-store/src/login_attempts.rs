//! Login attempt counts, shared by every admin process on this store: the
//! counting half of the admin listener's login throttle (the policy — which
//! keys, which limits, how long a window — lives there, in
//! `weir_admin::auth::throttle`). Kept here rather than in each process so
//! that N admin processes behind a load balancer give an attacker the same
//! number of guesses as one.
//!
//! Keys are opaque to the store (the admin listener hands in digests, so
//! the names people type are not stored in clear). Each key counts the
//! attempts started in a fixed window; [`Store::reserve_login_attempt`]
//! takes a slot on every key it is given, or on none, in one transaction
//! that locks the keys' rows: two processes reserving the last slot at once
//! cannot both get it, on SQLite (`BEGIN IMMEDIATE` serialises writers),
//! PostgreSQL and MySQL/MariaDB (the upsert takes a row lock held to the
//! commit, and the increment is conditional on the limit).
//!
//! Runtime state, not configuration: nothing here writes a revision. Rows
//! whose window has ended are reset on their next use and deleted by
//! [`Store::prune_login_attempts`], which also caps the table's size.

use crate::{Store, StoreError};

/// Longest key accepted (the column bound in MySQL): 64 hex digits.
pub const MAX_ATTEMPT_KEY: usize = 64;

/// How many times a reservation is retried when the database picked it as
/// the victim of a deadlock or a serialisation failure.
const RESERVE_ATTEMPTS: u32 = 3;

/// One key a reservation counts on, and how many attempts it allows per
/// window.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimit<'a> {
    pub key: &'a str,
    pub limit: u32,
}

/// What [`Store::reserve_login_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A slot was taken on every key.
    Taken,
    /// A key has used up its attempts; nothing was counted. `window_ends_ms`
    /// is when the fullest such key's window ends.
    Refused { window_ends_ms: i64 },
}

const RESET_SQL: &str = "INSERT INTO weir_login_attempts (attempt_key, attempts, window_ends_ms) \
     VALUES (?, 0, ?) ON CONFLICT (attempt_key) DO UPDATE SET \
     attempts = CASE WHEN weir_login_attempts.window_ends_ms <= ? \
     THEN 0 ELSE weir_login_attempts.attempts END, \
     window_ends_ms = CASE WHEN weir_login_attempts.window_ends_ms <= ? \
     THEN ? ELSE weir_login_attempts.window_ends_ms END";

/// MySQL's spelling. Assignments run left to right and later ones see
/// earlier results, so `attempts` (which reads the old window) comes first.
const RESET_SQL_MYSQL: &str = "INSERT INTO weir_login_attempts \
     (attempt_key, attempts, window_ends_ms) VALUES (?, 0, ?) ON DUPLICATE KEY UPDATE \
     attempts = CASE WHEN window_ends_ms <= ? THEN 0 ELSE attempts END, \
     window_ends_ms = CASE WHEN window_ends_ms <= ? THEN ? ELSE window_ends_ms END";

/// Keys come from the admin listener, never from a client: a bad one is a
/// bug, reported as an internal error rather than truncated into another
/// key.
fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_ATTEMPT_KEY {
        return Err(StoreError::corrupt(
            "login attempt key",
            "",
            format!("must be 1 to {MAX_ATTEMPT_KEY} bytes, not {}", key.len()),
        ));
    }
    Ok(())
}

/// Whether the database gave up on a transaction so that another could go
/// on (SQLSTATE class 40: deadlock, serialisation failure); worth a retry.
fn is_transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(d))
        if d.code().is_some_and(|c| c.starts_with("40")))
}

impl Store {
    /// Counts one attempt on every key of `limits` at `now_ms`, or on none
    /// when a key has already had its `limit` of attempts in its current
    /// window. A key's window starts with its first attempt and lasts
    /// `window_ms`; an attempt after it starts a new one.
    pub async fn reserve_login_attempt(
        &self,
        limits: &[AttemptLimit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Reservation, StoreError> {
        for l in limits {
            check_key(l.key)?;
        }
        // One order for every caller, so two reservations sharing keys lock
        // them in the same order and cannot deadlock each other.
        let mut sorted = limits.to_vec();
        sorted.sort_by(|a, b| a.key.cmp(b.key));
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_reserve(&sorted, now_ms, window_ms).await {
                Err(e) if tries < RESERVE_ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(error = %e, "login attempt reservation retried");
                }
                done => return done,
            }
        }
    }

    async fn try_reserve(
        &self,
        limits: &[AttemptLimit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let ends = now_ms.saturating_add(window_ms.max(1));
        let reset = match self.dialect {
            crate::Dialect::MySql => RESET_SQL_MYSQL,
            _ => RESET_SQL,
        };
        let mut tx = self.begin_write().await?;
        for l in limits {
            // Creates the row or starts a new window; either way the row is
            // now locked by this transaction until it ends.
            self.q(reset)
                .bind(l.key)
                .bind(ends)
                .bind(now_ms)
                .bind(now_ms)
                .bind(ends)
                .execute(&mut *tx)
                .await?;
            let taken = self
                .q("UPDATE weir_login_attempts SET attempts = attempts + 1 \
                    WHERE attempt_key = ? AND attempts < ?")
                .bind(l.key)
                .bind(i64::from(l.limit))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if taken == 0 {
                let window_ends_ms: i64 =
                    sqlx::query_scalar(self.dialect.sql(
                        "SELECT window_ends_ms FROM weir_login_attempts WHERE attempt_key = ?",
                    ))
                    .bind(l.key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.rollback().await?;
                return Ok(Reservation::Refused { window_ends_ms });
            }
        }
        tx.commit().await?;
        Ok(Reservation::Taken)
    }

    /// Gives back one attempt on each of `keys` (an attempt that was
    /// reserved but never judged, or that succeeded).
    pub async fn release_login_attempt(&self, keys: &[&str]) -> Result<(), StoreError> {
        for key in keys {
            self.q("UPDATE weir_login_attempts SET attempts = attempts - 1 \
                 WHERE attempt_key = ? AND attempts > 0")
                .bind(*key)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Forgets `key`'s count (a successful login clears its pair).
    pub async fn clear_login_attempts(&self, key: &str) -> Result<(), StoreError> {
        self.q("DELETE FROM weir_login_attempts WHERE attempt_key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the rows whose window has ended at `now_ms`, then, if more
    /// than `max_rows` remain, those whose windows end first until at most
    /// `max_rows` do. Returns how many rows were deleted.
    pub async fn prune_login_attempts(
        &self,
        now_ms: i64,
        max_rows: u64,
    ) -> Result<u64, StoreError> {
        let mut deleted = self
            .q("DELETE FROM weir_login_attempts WHERE window_ends_ms <= ?")
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if self.login_attempt_rows().await? <= max_rows {
            return Ok(deleted);
        }
        // The newest `max_rows` are kept: everything ending at or before
        // the next one goes (ties included, so possibly a few more). MySQL
        // cannot delete from a table its own subquery reads, hence two
        // statements.
        let cutoff: Option<i64> = sqlx::query_scalar(self.dialect.sql(
            "SELECT window_ends_ms FROM weir_login_attempts \
             ORDER BY window_ends_ms DESC LIMIT 1 OFFSET ?",
        ))
        .bind(i64::try_from(max_rows).unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await?;
        if let Some(cutoff) = cutoff {
            deleted += self
                .q("DELETE FROM weir_login_attempts WHERE window_ends_ms <= ?")
                .bind(cutoff)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(deleted)
    }

    /// Rows in the login-attempt table (tests, metrics).
    pub async fn login_attempt_rows(&self) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar(self.dialect.sql("SELECT COUNT(*) FROM weir_login_attempts"))
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
