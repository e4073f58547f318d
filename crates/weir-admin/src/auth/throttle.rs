//! Login throttling: each client address may make a few failed logins per
//! user name, and a few more in total, within a window; past that its
//! attempts are refused (429 with `Retry-After`) until the window ends —
//! before any password is checked, so a locked-out attacker also stops
//! costing argon2 time.
//!
//! An attempt is counted when it starts, not when it has failed: [`reserve`]
//! checks and takes a slot under one lock, so 40 guesses sent at once meet
//! the same limit as 40 sent one after another (counting after the verify
//! let them all through). A login that succeeds gives its slot back and
//! clears its (user, address) count; one that was never verified (the
//! verifier was busy) gives its slot back too.
//!
//! Counts are keyed by (user name, client address) and by client address,
//! never by user name alone: failures from an attacker's address must not
//! lock the real admin out from theirs. Kept in memory per admin process
//! (not in the store). Memory is bounded: each table holds at most
//! `max_entries`; when full, expired entries are dropped, then the oldest.
//!
//! [`reserve`]: LoginThrottle::reserve

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Attempts allowed per user name from one client address within
    /// `window` (successful ones are not counted).
    pub per_user: u32,
    /// Attempts allowed per client address, whatever the user name, within
    /// `window`.
    pub per_ip: u32,
    pub window: Duration,
    /// Entries per table.
    pub max_entries: usize,
    /// Password verifications (argon2, ~19 MiB each) running at once; 0
    /// means the number of cores, at most 8.
    pub max_concurrent_verifications: usize,
    /// How long a login waits for a free verifier before it is answered
    /// 429 (not counted as a failure).
    pub verification_wait: Duration,
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

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start_ms: i64,
    attempts: u32,
}

#[derive(Debug, Default)]
struct Tables {
    /// (user name, client address).
    pairs: HashMap<(String, String), Entry>,
    ips: HashMap<String, Entry>,
}

#[derive(Debug)]
pub struct LoginThrottle {
    options: ThrottleOptions,
    tables: Mutex<Tables>,
}

/// Keys are bounded in length so a flood of huge names cannot eat memory.
fn bounded(s: &str) -> String {
    s.chars().take(128).collect()
}

impl LoginThrottle {
    pub fn new(options: ThrottleOptions) -> Self {
        Self {
            options,
            tables: Mutex::new(Tables::default()),
        }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.options.window.as_millis()).unwrap_or(i64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count an attempt by `user` from `ip` before verifying it: `Ok` when
    /// it may go ahead (the slot is taken), `Err(seconds to wait)` when the
    /// pair or the address has used up its attempts.
    pub fn reserve(&self, user: &str, ip: &str, now_ms: i64) -> Result<(), u64> {
        let window = self.window_ms();
        let pair = (bounded(user), bounded(ip));
        let ip = bounded(ip);
        let mut t = self.lock();
        let wait = |e: Option<&Entry>, limit: u32| {
            e.and_then(|e| {
                let ends = e.window_start_ms.saturating_add(window);
                (e.attempts >= limit && now_ms < ends).then(|| {
                    u64::try_from((ends - now_ms + 999) / 1000)
                        .unwrap_or(1)
                        .max(1)
                })
            })
        };
        let a = wait(t.pairs.get(&pair), self.options.per_user);
        let b = wait(t.ips.get(&ip), self.options.per_ip);
        if let Some(w) = a.max(b) {
            return Err(w);
        }
        let max = self.options.max_entries;
        bump(&mut t.pairs, pair, now_ms, window, max);
        bump(&mut t.ips, ip, now_ms, window, max);
        Ok(())
    }

    /// The attempt reserved for `user` from `ip` succeeded: the pair's
    /// count is cleared and the address gets its slot back.
    pub fn succeeded(&self, user: &str, ip: &str) {
        let mut t = self.lock();
        t.pairs.remove(&(bounded(user), bounded(ip)));
        refund(&mut t.ips, &bounded(ip));
    }

    /// The attempt reserved for `user` from `ip` was never verified (the
    /// verifier was busy): both slots are given back.
    pub fn not_tried(&self, user: &str, ip: &str) {
        let mut t = self.lock();
        refund(&mut t.pairs, &(bounded(user), bounded(ip)));
        refund(&mut t.ips, &bounded(ip));
    }

    /// Entries held (both tables), for tests and metrics.
    pub fn len(&self) -> usize {
        let t = self.lock();
        t.pairs.len() + t.ips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn refund<K: Eq + Hash>(table: &mut HashMap<K, Entry>, key: &K) {
    if let Some(e) = table.get_mut(key) {
        e.attempts = e.attempts.saturating_sub(1);
    }
}

fn bump<K: Eq + Hash + Clone>(
    table: &mut HashMap<K, Entry>,
    key: K,
    now_ms: i64,
    window: i64,
    max_entries: usize,
) {
    if let Some(e) = table.get_mut(&key) {
        if now_ms >= e.window_start_ms.saturating_add(window) {
            *e = Entry {
                window_start_ms: now_ms,
                attempts: 1,
            };
        } else {
            e.attempts = e.attempts.saturating_add(1);
        }
        return;
    }
    if table.len() >= max_entries {
        table.retain(|_, e| now_ms < e.window_start_ms.saturating_add(window));
    }
    if table.len() >= max_entries
        && let Some(oldest) = table
            .iter()
            .min_by_key(|(_, e)| e.window_start_ms)
            .map(|(k, _)| k.clone())
    {
        table.remove(&oldest);
    }
    table.insert(
        key,
        Entry {
            window_start_ms: now_ms,
            attempts: 1,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(max_entries: usize) -> LoginThrottle {
        LoginThrottle::new(ThrottleOptions {
            per_user: 3,
            per_ip: 5,
            window: Duration::from_secs(60),
            max_entries,
            ..ThrottleOptions::default()
        })
    }

    #[test]
    fn counts_per_user_and_address_then_per_address_and_expires() {
        let t = throttle(100);
        for _ in 0..3 {
            assert_eq!(t.reserve("admin", "1.1.1.1", 0), Ok(()));
        }
        // The pair is used up; the same user from elsewhere is not.
        assert_eq!(t.reserve("admin", "1.1.1.1", 1_000), Err(59));
        assert_eq!(t.reserve("admin", "9.9.9.9", 1_000), Ok(()));
        // Per address: two more attempts from 1.1.1.1 with other names.
        assert_eq!(t.reserve("x", "1.1.1.1", 2_000), Ok(()));
        assert_eq!(t.reserve("y", "1.1.1.1", 2_000), Ok(()));
        assert!(t.reserve("z", "1.1.1.1", 2_000).is_err());
        // The window ends.
        assert_eq!(t.reserve("admin", "1.1.1.1", 60_000), Ok(()));
        // Success clears the pair and refunds the address.
        t.reserve("bob", "2.2.2.2", 0).unwrap();
        t.reserve("bob", "2.2.2.2", 0).unwrap();
        t.succeeded("bob", "2.2.2.2");
        for _ in 0..3 {
            assert_eq!(t.reserve("bob", "2.2.2.2", 0), Ok(()));
        }
        assert!(t.reserve("bob", "2.2.2.2", 0).is_err());
        // An attempt never verified gives its slot back.
        t.not_tried("bob", "2.2.2.2");
        assert_eq!(t.reserve("bob", "2.2.2.2", 0), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let t = throttle(50);
        for i in 0..10_000 {
            let _ = t.reserve(
                &format!("user{i}"),
                &format!("10.0.{}.{}", i / 256, i % 256),
                i,
            );
        }
        assert!(t.len() <= 100, "{}", t.len());
    }
}
