//! GCRA (the generic cell rate algorithm): a token bucket kept as one
//! number, the theoretical arrival time (TAT) of the next request, updated
//! with a compare-and-swap — no lock.
//!
//! With emission interval `T = 1 s / rate` and bucket size `burst`, a request
//! at `now` is allowed when `max(TAT, now) + T - now <= burst * T`; then TAT
//! moves to `max(TAT, now) + T`. So `burst` requests may arrive at once and
//! the long-run rate is exactly `rate`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use weir_core::compile::Rate;

/// The outcome of one limit check, with what the rate-limit headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The limit per second, for `RateLimit-Limit`.
    pub limit: u32,
    /// Requests still allowed right now, for `RateLimit-Remaining`.
    pub remaining: u32,
    /// Time until the bucket is full again, for `RateLimit-Reset`.
    pub reset: Duration,
    /// When refused: time until one request would be allowed.
    pub retry_after: Duration,
}

/// One bucket.
#[derive(Debug, Default)]
pub struct GcraCell {
    tat: AtomicU64,
}

impl GcraCell {
    pub fn new() -> Self {
        Self::default()
    }

    /// Take one request at `now` (nanoseconds, monotonic).
    pub fn acquire(&self, rate: Rate, now: u64) -> Decision {
        let t = interval_nanos(rate);
        let capacity = t.saturating_mul(u64::from(rate.burst));
        let mut current = self.tat.load(Ordering::Relaxed);
        loop {
            let (decision, new_tat) = decide(rate, t, capacity, current, now);
            if !decision.allowed {
                return decision;
            }
            match self.tat.compare_exchange_weak(
                current,
                new_tat,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return decision,
                Err(actual) => current = actual,
            }
        }
    }
}

pub(crate) fn interval_nanos(rate: Rate) -> u64 {
    1_000_000_000 / u64::from(rate.per_second.max(1))
}

/// Pure GCRA step: the decision and the TAT to store when allowed.
pub(crate) fn decide(rate: Rate, t: u64, capacity: u64, tat: u64, now: u64) -> (Decision, u64) {
    let base = tat.max(now);
    let new_tat = base.saturating_add(t);
    let ahead = new_tat - now;
    if ahead > capacity {
        let retry = ahead - capacity;
        let decision = Decision {
            allowed: false,
            limit: rate.per_second,
            remaining: 0,
            reset: Duration::from_nanos(base - now),
            retry_after: Duration::from_nanos(retry),
        };
        return (decision, tat);
    }
    let remaining = ((capacity - ahead) / t.max(1)) as u32;
    let decision = Decision {
        allowed: true,
        limit: rate.per_second,
        remaining,
        reset: Duration::from_nanos(ahead),
        retry_after: Duration::ZERO,
    };
    (decision, new_tat)
}
