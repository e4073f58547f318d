//! Login throttling: each client address may make a few failed logins per
//! user name, and a few more in total, within a window; past that its
//! attempts are refused (429 `too_many_attempts` with `Retry-After`) until
//! the window ends — before any password is checked, so a locked-out
//! attacker also stops costing argon2 time.
//!
//! An attempt is counted when it starts, not when it has failed:
//! [`LoginThrottle::reserve`] checks and takes a slot in one store
//! transaction, so 40 guesses sent at once meet the same limit as 40 sent
//! one after another (counting after the verify let them all through). A
//! login that succeeds gives its slot back and clears its (user, address)
//! count; one that was never verified (the verifier was busy, the store
//! failed) gives its slot back too.
//!
//! Counts are keyed by (user name, client address) and by client address,
//! never by user name alone: failures from an attacker's address must not
//! lock the real admin out from theirs.
//!
//! The counts live in the store (`weir_login_attempts`, see
//! `weir_store::Store::reserve_login_attempt`), shared by every admin
//! process on it: behind a load balancer, N admin processes allow the same
//! number of guesses as one, whichever process each guess reaches. That
//! costs one short store transaction per attempt, before argon2. Keys are
//! SHA-256 digests of the name and address, so what people type as a user
//! name (sometimes a password in the wrong field) is not stored in clear.
//! The table is bounded: every [`PRUNE_EVERY`] reservations a process
//! deletes the rows whose window has ended and, past `2 × max_entries`
//! rows, those whose windows end first. If the store cannot be reached the
//! login fails (503) rather than going unthrottled.
//!
//! What stays per process, on purpose: the argon2 concurrency gate
//! ([`crate::auth::password::VerifyGate`], `max_concurrent_verifications`
//! and `verification_wait` below). It protects this process's CPU and
//! memory, not the accounts, so each process bounds its own.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use weir_store::{AttemptLimit, Reservation, Store, StoreError};

use crate::auth::secret::sha256_hex;

/// Reservations a process makes between two prunes of the shared table.
pub const PRUNE_EVERY: u64 = 64;

#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Attempts allowed per user name from one client address within
    /// `window` (successful ones are not counted).
    pub per_user: u32,
    /// Attempts allowed per client address, whatever the user name, within
    /// `window`.
    pub per_ip: u32,
    pub window: Duration,
    /// Rows of each kind ((user, address) and address) kept in the shared
    /// table; it is pruned down to twice this.
    pub max_entries: usize,
    /// Password verifications (argon2, ~19 MiB each) running at once in
    /// this process; 0 means the number of cores, at most 8.
    pub max_concurrent_verifications: usize,
    /// How long a login waits for a free verifier before it is answered
    /// 429 (not counted as a failure).
    pub verification_wait: Duration,
    /// An IPv6 client counts by its network of this many bits (the data
    /// plane's `proxy.ipv6_client_prefix`): one host holds a whole /64, and
    /// would otherwise get a fresh allowance from each address.
    pub ipv6_prefix: u8,
}

impl Default for ThrottleOptions {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
            max_entries: 10_000,
            max_concurrent_verifications: 0,
            verification_wait: Duration::from_secs(5),
            ipv6_prefix: 64,
        }
    }
}

impl ThrottleOptions {
    /// `max_concurrent_verifications` with 0 resolved.
    pub fn verifiers(&self) -> usize {
        match self.max_concurrent_verifications {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            n => n,
        }
    }
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The slot is taken: verify the password.
    Go,
    /// Used up: refuse, and say to wait this many seconds (at least 1).
    Wait(u64),
}

/// The login throttle of one admin process, counting in the shared store.
#[derive(Debug)]
pub struct LoginThrottle {
    options: ThrottleOptions,
    store: Store,
    /// Reservations taken by this process, to prune every [`PRUNE_EVERY`].
    taken: AtomicU64,
}

/// Keys are bounded in length before hashing, as the in-memory tables
/// were; the digest makes the stored key fixed-size anyway.
fn bounded(s: &str) -> String {
    s.chars().take(128).collect()
}

/// The client as counted: an IPv6 address by its network of `v6_bits`
/// bits, an IPv4(-mapped) address as itself, anything else (`unknown`) as
/// given.
fn client(ip: &str, v6_bits: u8) -> String {
    match ip.parse::<IpAddr>().map(|a| a.to_canonical()) {
        Ok(IpAddr::V6(a)) => {
            let bits = u32::from(v6_bits.clamp(1, 128));
            let mask = u128::MAX << (128 - bits);
            format!("{}/{bits}", Ipv6Addr::from(u128::from(a) & mask))
        }
        Ok(a) => a.to_string(),
        Err(_) => bounded(ip),
    }
}

/// The (user, address) key. The user name's length is part of it, so no
/// (name, address) pair can spell another's.
fn pair_key(user: &str, client: &str) -> String {
    let user = bounded(user);
    sha256_hex(&format!("weir-login/pair/{}:{user}/{client}", user.len()))
}

fn address_key(client: &str) -> String {
    sha256_hex(&format!("weir-login/address/{client}"))
}

impl LoginThrottle {
    pub fn new(options: ThrottleOptions, store: Store) -> Self {
        Self {
            options,
            store,
            taken: AtomicU64::new(0),
        }
    }

    /// The (user, address) and address keys of an attempt.
    fn keys(&self, user: &str, ip: &str) -> (String, String) {
        let client = client(ip, self.options.ipv6_prefix);
        (pair_key(user, &client), address_key(&client))
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.options.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// Count an attempt by `user` from `ip` before verifying it:
    /// [`Verdict::Go`] when it may go ahead (the slot is taken),
    /// [`Verdict::Wait`] when the pair or the address has used up its
    /// attempts (nothing is counted then).
    pub async fn reserve(&self, user: &str, ip: &str, now_ms: i64) -> Result<Verdict, StoreError> {
        let (pair, address) = self.keys(user, ip);
        let limits = [
            AttemptLimit {
                key: &pair,
                limit: self.options.per_user,
            },
            AttemptLimit {
                key: &address,
                limit: self.options.per_ip,
            },
        ];
        let reservation = self
            .store
            .reserve_login_attempt(&limits, now_ms, self.window_ms())
            .await?;
        match reservation {
            Reservation::Taken => {
                self.maybe_prune(now_ms).await;
                Ok(Verdict::Go)
            }
            Reservation::Refused { window_ends_ms } => {
                let ms = window_ends_ms.saturating_sub(now_ms).max(0);
                let secs = u64::try_from(ms.saturating_add(999) / 1000).unwrap_or(1);
                Ok(Verdict::Wait(secs.max(1)))
            }
        }
    }

    /// Every [`PRUNE_EVERY`] reservations (the first included), trim the
    /// shared table. A failure only delays the trim.
    async fn maybe_prune(&self, now_ms: i64) {
        if !self
            .taken
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PRUNE_EVERY)
        {
            return;
        }
        let max_rows = u64::try_from(self.options.max_entries)
            .unwrap_or(u64::MAX)
            .saturating_mul(2);
        if let Err(e) = self.store.prune_login_attempts(now_ms, max_rows).await {
            tracing::warn!(error = %e, "could not prune the login attempt counts");
        }
    }

    /// The attempt reserved for `user` from `ip` succeeded: the pair's
    /// count is cleared and the address gets its slot back.
    pub async fn succeeded(&self, user: &str, ip: &str) {
        let (pair, address) = self.keys(user, ip);
        let done = async {
            self.store.clear_login_attempts(&pair).await?;
            self.store.release_login_attempt(&[&address]).await
        };
        if let Err(e) = done.await {
            // Left counted: the user may meet the limit a little early.
            tracing::warn!(error = %e, "could not release a login attempt");
        }
    }

    /// The attempt reserved for `user` from `ip` was never verified (the
    /// verifier was busy, the store failed): both slots are given back.
    pub async fn not_tried(&self, user: &str, ip: &str) {
        let (pair, address) = self.keys(user, ip);
        if let Err(e) = self.store.release_login_attempt(&[&pair, &address]).await {
            tracing::warn!(error = %e, "could not release a login attempt");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throttle on a fresh SQLite store (the store tests run the table on
    /// PostgreSQL and MySQL too).
    async fn throttle(max_entries: usize) -> (LoginThrottle, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/weir.db", dir.path().display()))
            .await
            .unwrap();
        let options = ThrottleOptions {
            per_user: 3,
            per_ip: 5,
            window: Duration::from_secs(60),
            max_entries,
            ..ThrottleOptions::default()
        };
        (LoginThrottle::new(options, store.clone()), store, dir)
    }

    #[tokio::test]
    async fn counts_per_user_and_address_then_per_address_and_expires() {
        let (t, _store, _dir) = throttle(100).await;
        let r = async |user: &str, ip: &str, now: i64| t.reserve(user, ip, now).await.unwrap();
        for _ in 0..3 {
            assert_eq!(r("admin", "1.1.1.1", 0).await, Verdict::Go);
        }
        // The pair is used up; the same user from elsewhere is not.
        assert_eq!(r("admin", "1.1.1.1", 1_000).await, Verdict::Wait(59));
        assert_eq!(r("admin", "9.9.9.9", 1_000).await, Verdict::Go);
        // Per address: two more attempts from 1.1.1.1 with other names.
        assert_eq!(r("x", "1.1.1.1", 2_000).await, Verdict::Go);
        assert_eq!(r("y", "1.1.1.1", 2_000).await, Verdict::Go);
        assert_eq!(r("z", "1.1.1.1", 2_000).await, Verdict::Wait(58));
        // The window ends.
        assert_eq!(r("admin", "1.1.1.1", 60_000).await, Verdict::Go);
        // Success clears the pair and refunds the address.
        assert_eq!(r("bob", "2.2.2.2", 0).await, Verdict::Go);
        assert_eq!(r("bob", "2.2.2.2", 0).await, Verdict::Go);
        t.succeeded("bob", "2.2.2.2").await;
        for _ in 0..3 {
            assert_eq!(r("bob", "2.2.2.2", 0).await, Verdict::Go);
        }
        assert!(matches!(r("bob", "2.2.2.2", 0).await, Verdict::Wait(_)));
        // An attempt never verified gives its slot back.
        t.not_tried("bob", "2.2.2.2").await;
        assert_eq!(r("bob", "2.2.2.2", 0).await, Verdict::Go);
        // Names that could be confused if the key were a plain
        // concatenation are distinct pairs.
        assert_eq!(r("a/b", "3.3.3.3", 0).await, Verdict::Go);
        assert_eq!(pair_key("a/b", "3.3.3.3").len(), 64);
        // One IPv6 host is one client, whichever address of its /64 it uses.
        for i in 0..5 {
            let ip = format!("2001:db8:1:2::{i:x}");
            assert_eq!(r(&format!("v6-{i}"), &ip, 0).await, Verdict::Go);
        }
        assert!(matches!(
            r("eve", "2001:db8:1:2:ffff::1", 0).await,
            Verdict::Wait(_)
        ));
        assert_eq!(r("eve", "2001:db8:1:3::1", 0).await, Verdict::Go);
        assert_eq!(client("::ffff:192.0.2.1", 64), "192.0.2.1");
        assert_eq!(client("unknown", 64), "unknown");
        assert_ne!(pair_key("a/b", "3.3.3.3"), pair_key("a", "b/3.3.3.3"));
    }

    #[tokio::test]
    async fn the_shared_table_is_bounded() {
        let (t, store, _dir) = throttle(50).await;
        for i in 0..300 {
            let verdict = t
                .reserve(
                    &format!("user{i}"),
                    &format!("10.0.{}.{}", i / 256, i % 256),
                    i,
                )
                .await
                .unwrap();
            assert_eq!(verdict, Verdict::Go);
        }
        // Pruned down to 2 × 50 rows every 64 reservations; in between,
        // each reservation adds at most two.
        let rows = store.login_attempt_rows().await.unwrap();
        assert!(rows <= 100 + 2 * PRUNE_EVERY, "{rows}");
        // Expired rows go at the next prune.
        store
            .prune_login_attempts(i64::from(u16::MAX) + 60_000, 100)
            .await
            .unwrap();
        assert_eq!(store.login_attempt_rows().await.unwrap(), 0);
    }
}
