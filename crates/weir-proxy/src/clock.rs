//! Time for policies. Monotonic time comes from tokio's clock so tests can
//! pause and advance it; wall-clock time (calendar days for quotas) is a
//! separate source that tests can set.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static EPOCH: OnceLock<tokio::time::Instant> = OnceLock::new();

/// Nanoseconds on a monotonic clock (tokio's, so `tokio::time::pause`
/// applies), counted from the first call in the process.
#[inline]
pub(crate) fn mono_nanos() -> u64 {
    let epoch = *EPOCH.get_or_init(tokio::time::Instant::now);
    // Offset by one second so that 0 never means "now" for a fresh cell.
    tokio::time::Instant::now()
        .saturating_duration_since(epoch)
        .as_nanos() as u64
        + 1_000_000_000
}

/// Wall-clock source in Unix milliseconds. `System` reads the real clock;
/// `Fixed` is set by tests.
#[derive(Debug, Default)]
pub enum WallClock {
    #[default]
    System,
    Fixed(AtomicI64),
}

impl WallClock {
    pub fn fixed(unix_ms: i64) -> Self {
        WallClock::Fixed(AtomicI64::new(unix_ms))
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            WallClock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            WallClock::Fixed(ms) => ms.load(Ordering::Relaxed),
        }
    }

    /// Move a fixed clock (no effect on the system clock).
    pub fn set_ms(&self, unix_ms: i64) {
        if let WallClock::Fixed(ms) = self {
            ms.store(unix_ms, Ordering::Relaxed);
        }
    }
}
