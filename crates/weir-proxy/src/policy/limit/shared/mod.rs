//! Limits and quotas counted once for the whole fleet, in Redis
//! (`[cluster] redis`), without a Redis round trip on any request.
//!
//! Each node leases tokens from the fleet's buckets in Redis and spends
//! them locally ([`lease`]); a background task ([`sync`]) sends every key's
//! ask — tokens wanted, requests admitted ahead of a lease, tokens given
//! back — in one script call per batch. The error bounds are in
//! docs/cluster.md.
//!
//! When Redis does not answer within the configured timeout the backend is
//! *degraded*: every node counts locally at its share of each limit (the
//! limit divided by the live nodes of the fleet), quota use is remembered
//! and charged to the fleet when Redis answers again. Nothing is ever
//! refused or failed because Redis is away.

mod key;
pub(crate) mod lease;
mod sync;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use jiff::tz::TimeZone;
use weir_core::compile::Rate;

use self::key::{KeyRef, LeaseKey, LeaseTable};
use self::lease::{Lease, LeaseKind, Take};
pub use self::sync::{RedisSettings, SyncTask, url_is_usable};
use super::{
    DailyCounter, Decision, LimitBackend, LimitScope, LimitStatus, LocalLimits, QuotaDecision,
    day_bounds,
};

/// The fleet-wide backend.
#[derive(Debug)]
pub struct SharedLimits {
    table: LeaseTable,
    /// Keys with an ask to send.
    queue: Mutex<Vec<LeaseKey>>,
    wake: tokio::sync::Notify,
    /// Live data-plane nodes, for the shares (at least 1).
    nodes: AtomicU32,
    degraded: AtomicBool,
    /// Unix ms when the backend became degraded (0 = shared).
    degraded_since_ms: AtomicI64,
    reason: Mutex<String>,
    /// Failed syncs since start (for `/metrics`).
    pub(crate) errors: AtomicU64,
}

impl Default for SharedLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedLimits {
    pub fn new() -> Self {
        SharedLimits {
            table: LeaseTable::new(),
            queue: Mutex::new(Vec::new()),
            wake: tokio::sync::Notify::new(),
            nodes: AtomicU32::new(1),
            degraded: AtomicBool::new(false),
            degraded_since_ms: AtomicI64::new(0),
            reason: Mutex::new(String::new()),
            errors: AtomicU64::new(0),
        }
    }

    fn nodes(&self) -> u32 {
        self.nodes.load(Ordering::Relaxed).max(1)
    }

    /// `rate` divided among the live nodes (each part at least 1/s).
    fn share(&self, rate: Rate) -> Rate {
        let n = self.nodes();
        Rate {
            per_second: rate.per_second.div_ceil(n).max(1),
            burst: rate.burst.div_ceil(n).max(1),
        }
    }

    fn enqueue(&self, lease: &mut Lease, key: impl FnOnce() -> LeaseKey) {
        lease.queued = true;
        lock(&self.queue).push(key());
        self.wake.notify_one();
    }

    fn acquire_rate(&self, scope: LimitScope<'_>, rate: Rate, now: u64) -> Decision {
        let key = KeyRef::of(&scope);
        let kind = LeaseKind::Rate(rate);
        self.table.with(&key, kind, now, |lease| {
            if lease.kind != kind {
                // The limit changed: the old lease was sized for the old one.
                *lease = Lease::new(kind, now);
            }
            let decision = match lease.take(now) {
                Take::Leased { left } => Decision {
                    allowed: true,
                    limit: rate.per_second,
                    remaining: left,
                    reset: Duration::from_nanos(
                        interval(rate) * u64::from(rate.burst.saturating_sub(left)),
                    ),
                    retry_after: Duration::ZERO,
                },
                Take::Refused { until } => Decision {
                    allowed: false,
                    limit: rate.per_second,
                    remaining: 0,
                    reset: Duration::from_nanos(interval(rate) * u64::from(rate.burst)),
                    retry_after: Duration::from_nanos(until.saturating_sub(now)),
                },
                Take::Unleased => {
                    // No lease yet: this node's share decides, and an
                    // admitted request is charged to the fleet's bucket.
                    let d = LocalLimits.acquire(scope, self.share(rate), now);
                    if d.allowed {
                        lease.owe();
                    }
                    Decision {
                        limit: rate.per_second,
                        ..d
                    }
                }
            };
            if lease.wants_refill(now) {
                self.enqueue(lease, || key.owned());
            }
            decision
        })
    }

    fn acquire_fleet_quota(
        &self,
        app_id: &str,
        limit: u64,
        now_ms: i64,
        tz: &TimeZone,
    ) -> QuotaDecision {
        let now = crate::clock::mono_nanos();
        let key = KeyRef::Quota(app_id);
        let nodes = u64::from(self.nodes());
        let degraded = self.is_degraded();
        let kind = LeaseKind::Quota {
            limit,
            day_start_ms: 0,
            day_end_ms: 0,
        };
        let (allowed, used, day_end_ms) = self.table.with(&key, kind, now, |lease| {
            roll_quota_day(lease, limit, now_ms, tz, now);
            let fresh = lease.fresh_level(now);
            let allowed = match lease.take(now) {
                Take::Leased { .. } => true,
                Take::Refused { .. } if !degraded => false,
                _ => admit_ahead(lease, limit, nodes, degraded, fresh.is_some()),
            };
            if !degraded && lease.wants_refill(now) {
                self.enqueue(lease, || LeaseKey::Quota(app_id.into()));
            }
            let used = lease.level().unwrap_or(0) + u64::from(lease.debt());
            let end = match lease.kind {
                LeaseKind::Quota { day_end_ms, .. } => day_end_ms,
                LeaseKind::Rate(_) => now_ms,
            };
            (allowed, used, end)
        });
        let reset_secs = (day_end_ms.saturating_sub(now_ms).max(0) as u64).div_ceil(1000);
        QuotaDecision {
            allowed,
            limit,
            remaining: if allowed {
                limit.saturating_sub(used)
            } else {
                0
            },
            reset_secs,
        }
    }

    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Redis stopped answering: count locally from now on.
    fn degrade(&self, reason: String, now_ms: i64) {
        *lock(&self.reason) = reason;
        if !self.degraded.swap(true, Ordering::AcqRel) {
            self.degraded_since_ms.store(now_ms, Ordering::Relaxed);
            // Rate leases are a second's worth at most: start afresh on return.
            self.table
                .retain(|lease| !matches!(lease.kind, LeaseKind::Rate(_)));
        }
    }

    /// Redis answers again.
    fn recover(&self) -> bool {
        let was = self.degraded.swap(false, Ordering::AcqRel);
        if was {
            self.degraded_since_ms.store(0, Ordering::Relaxed);
            lock(&self.reason).clear();
        }
        was
    }
}

fn interval(rate: Rate) -> u64 {
    1_000_000_000 / u64::from(rate.per_second.max(1))
}

impl LimitBackend for SharedLimits {
    fn acquire(&self, scope: LimitScope<'_>, rate: Rate, now: u64) -> Decision {
        if self.is_degraded() {
            return Decision {
                limit: rate.per_second,
                ..LocalLimits.acquire(scope, self.share(rate), now)
            };
        }
        self.acquire_rate(scope, rate, now)
    }

    fn acquire_quota(
        &self,
        app_id: &str,
        _counter: &DailyCounter,
        limit: u64,
        now_ms: i64,
        tz: &TimeZone,
    ) -> QuotaDecision {
        self.acquire_fleet_quota(app_id, limit, now_ms, tz)
    }

    fn status(&self) -> LimitStatus {
        if self.is_degraded() {
            LimitStatus::Degraded {
                since_ms: self.degraded_since_ms.load(Ordering::Relaxed),
                reason: lock(&self.reason).clone(),
            }
        } else {
            LimitStatus::Shared
        }
    }

    fn set_fleet_size(&self, nodes: u32) {
        self.nodes.store(nodes.max(1), Ordering::Relaxed);
    }

    fn fleet_size(&self) -> u32 {
        self.nodes()
    }

    fn sync_errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A quota lease moves to the day `now_ms` is in (or takes a changed
/// limit): a new day starts counting from zero.
fn roll_quota_day(lease: &mut Lease, limit: u64, now_ms: i64, tz: &TimeZone, now: u64) {
    let LeaseKind::Quota {
        day_start_ms,
        day_end_ms,
        limit: old,
    } = lease.kind
    else {
        return;
    };
    let today = now_ms >= day_start_ms && now_ms < day_end_ms;
    if today && old == limit {
        return;
    }
    let (start, end) = if today {
        (day_start_ms, day_end_ms)
    } else {
        day_bounds(now_ms, tz)
    };
    let kind = LeaseKind::Quota {
        limit,
        day_start_ms: start,
        day_end_ms: end,
    };
    lease.new_day(kind, now);
}

/// Whether a request ahead of a lease is admitted. Degraded: this node's
/// share of what the fleet had left. Otherwise only while nothing was
/// heard recently (a first request): at most 0.5 % of the quota over the
/// fleet. Once Redis has answered (`fresh`), leases admit (an advance sized
/// on a count other nodes have moved since would add up past the quota),
/// and a dry lease borrows against its refill in flight.
fn admit_ahead(lease: &mut Lease, limit: u64, nodes: u64, degraded: bool, fresh: bool) -> bool {
    let left = limit.saturating_sub(lease.level().unwrap_or(0));
    let cap = if degraded {
        left.div_ceil(nodes)
    } else if fresh {
        0
    } else {
        (limit / (200 * nodes)).max(1).min(left)
    };
    if u64::from(lease.debt()) < cap {
        lease.owe();
        true
    } else {
        !degraded && lease.borrow(nodes)
    }
}

#[cfg(test)]
mod tests;
