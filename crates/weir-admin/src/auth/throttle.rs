//! Login throttling: after too many failed logins for one user name, or
//! from one client address, within a window, further attempts are refused
//! (429 with `Retry-After`) until the window ends — before any password is
//! checked, so a locked-out attacker also stops costing argon2 time.
//!
//! Kept in memory per admin process (not in the store): it slows guessing,
//! it is not an account lock that an attacker could use to lock out the real
//! admin for long. Memory is bounded: each table holds at most
//! `max_entries`; when full, expired entries are dropped, then the oldest.
//! A successful login clears its user's failures (not its address's).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Failures allowed per user name within `window`.
    pub per_user: u32,
    /// Failures allowed per client address within `window`.
    pub per_ip: u32,
    pub window: Duration,
    /// Entries per table.
    pub max_entries: usize,
}

impl Default for ThrottleOptions {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
            max_entries: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start_ms: i64,
    failures: u32,
}

#[derive(Debug)]
pub struct LoginThrottle {
    options: ThrottleOptions,
    users: Mutex<HashMap<String, Entry>>,
    ips: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    pub fn new(options: ThrottleOptions) -> Self {
        Self {
            options,
            users: Mutex::new(HashMap::new()),
            ips: Mutex::new(HashMap::new()),
        }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.options.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// `Some(seconds to wait)` when `user` or `ip` is locked out now.
    pub fn check(&self, user: &str, ip: &str, now_ms: i64) -> Option<u64> {
        let window = self.window_ms();
        let locked = |table: &Mutex<HashMap<String, Entry>>, key: &str, limit: u32| {
            let table = table.lock().unwrap_or_else(|e| e.into_inner());
            table.get(key).and_then(|e| {
                let ends = e.window_start_ms.saturating_add(window);
                (e.failures >= limit && now_ms < ends).then(|| {
                    u64::try_from((ends - now_ms + 999) / 1000)
                        .unwrap_or(1)
                        .max(1)
                })
            })
        };
        let a = locked(&self.users, user, self.options.per_user);
        let b = locked(&self.ips, ip, self.options.per_ip);
        a.max(b)
    }

    /// Count a failed login.
    pub fn failed(&self, user: &str, ip: &str, now_ms: i64) {
        self.bump(&self.users, user, now_ms);
        self.bump(&self.ips, ip, now_ms);
    }

    /// A successful login clears the user's failures.
    pub fn succeeded(&self, user: &str) {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
    }

    /// Entries held (both tables), for tests and metrics.
    pub fn len(&self) -> usize {
        self.users.lock().map_or(0, |t| t.len()) + self.ips.lock().map_or(0, |t| t.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn bump(&self, table: &Mutex<HashMap<String, Entry>>, key: &str, now_ms: i64) {
        let window = self.window_ms();
        let mut table = table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = table.get_mut(key) {
            if now_ms >= e.window_start_ms.saturating_add(window) {
                *e = Entry {
                    window_start_ms: now_ms,
                    failures: 1,
                };
            } else {
                e.failures = e.failures.saturating_add(1);
            }
            return;
        }
        if table.len() >= self.options.max_entries {
            table.retain(|_, e| now_ms < e.window_start_ms.saturating_add(window));
        }
        if table.len() >= self.options.max_entries
            && let Some(oldest) = table
                .iter()
                .min_by_key(|(_, e)| e.window_start_ms)
                .map(|(k, _)| k.clone())
        {
            table.remove(&oldest);
        }
        // Keys are bounded in length so a flood of huge names cannot eat
        // memory either.
        let key: String = key.chars().take(128).collect();
        table.insert(
            key,
            Entry {
                window_start_ms: now_ms,
                failures: 1,
            },
        );
    }
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
        })
    }

    #[test]
    fn locks_per_user_then_per_ip_and_expires() {
        let t = throttle(100);
        for _ in 0..3 {
            assert_eq!(t.check("admin", "1.1.1.1", 0), None);
            t.failed("admin", "1.1.1.1", 0);
        }
        assert_eq!(t.check("admin", "9.9.9.9", 1_000), Some(59));
        assert_eq!(t.check("other", "9.9.9.9", 1_000), None);
        // Per IP: two more failures from 1.1.1.1 with other names.
        t.failed("x", "1.1.1.1", 2_000);
        t.failed("y", "1.1.1.1", 2_000);
        assert!(t.check("z", "1.1.1.1", 2_000).is_some());
        // The window ends.
        assert_eq!(t.check("admin", "1.1.1.1", 60_000), None);
        // Success clears the user.
        t.failed("bob", "2.2.2.2", 0);
        t.failed("bob", "2.2.2.2", 0);
        t.succeeded("bob");
        t.failed("bob", "2.2.2.2", 0);
        assert_eq!(t.check("bob", "3.3.3.3", 0), None);
    }

    #[test]
    fn memory_is_bounded() {
        let t = throttle(50);
        for i in 0..10_000 {
            t.failed(
                &format!("user{i}"),
                &format!("10.0.{}.{}", i / 256, i % 256),
                i,
            );
        }
        assert!(t.len() <= 100, "{}", t.len());
    }
}
