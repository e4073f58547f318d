//! Daily quotas counted per calendar day in the gateway's time zone. The
//! counter resets at local midnight; the boundary is computed once per day,
//! not per request.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The outcome of a quota check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDecision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the quota resets (local midnight).
    pub reset_secs: u64,
}

#[derive(Debug, Default)]
pub struct DailyCounter {
    /// Unix ms of the start and end of the day being counted.
    day_start: AtomicI64,
    day_end: AtomicI64,
    used: AtomicU64,
    /// Serialises the rollover at midnight.
    rollover: Mutex<()>,
}

impl DailyCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one request at `now_ms` against `limit` per day in `tz`.
    pub fn acquire(&self, limit: u64, now_ms: i64, tz: &TimeZone) -> QuotaDecision {
        if now_ms >= self.day_end.load(Ordering::Acquire)
            || now_ms < self.day_start.load(Ordering::Acquire)
        {
            self.roll(now_ms, tz);
        }
        let end = self.day_end.load(Ordering::Acquire);
        let reset_secs = ((end - now_ms).max(0) as u64).div_ceil(1000);
        // Count first, then check: a refused request does not consume.
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            if used >= limit {
                return QuotaDecision {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset_secs,
                };
            }
            match self.used.compare_exchange_weak(
                used,
                used + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return QuotaDecision {
                        allowed: true,
                        limit,
                        remaining: limit - used - 1,
                        reset_secs,
                    };
                }
                Err(actual) => used = actual,
            }
        }
    }

    /// Requests counted today.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn roll(&self, now_ms: i64, tz: &TimeZone) {
        let _guard = self.rollover.lock().unwrap_or_else(|p| p.into_inner());
        // Another thread may have rolled while we waited.
        if now_ms < self.day_end.load(Ordering::Acquire)
            && now_ms >= self.day_start.load(Ordering::Acquire)
        {
            return;
        }
        let (start, end) = day_bounds(now_ms, tz);
        self.used.store(0, Ordering::Relaxed);
        self.day_start.store(start, Ordering::Release);
        self.day_end.store(end, Ordering::Release);
    }
}

/// Unix ms of the local midnight starting the day of `now_ms`, and of the
/// next one (days can be 23 or 25 hours around DST changes).
pub fn day_bounds(now_ms: i64, tz: &TimeZone) -> (i64, i64) {
    let Ok(ts) = Timestamp::from_millisecond(now_ms) else {
        return (now_ms, now_ms + 86_400_000);
    };
    let zoned = ts.to_zoned(tz.clone());
    let start = zoned.start_of_day().ok();
    let end = start
        .as_ref()
        .and_then(|s| s.tomorrow().ok())
        .and_then(|t| t.start_of_day().ok());
    match (start, end) {
        (Some(s), Some(e)) => (
            s.timestamp().as_millisecond(),
            e.timestamp().as_millisecond(),
        ),
        _ => (now_ms, now_ms + 86_400_000),
    }
}
