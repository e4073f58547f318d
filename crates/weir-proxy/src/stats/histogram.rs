//! A latency histogram counted with atomics, in the fixed log-linear
//! buckets of the stored rollups ([`weir_core::rollup::latency`]), so that
//! histograms from different hours and nodes add up bucket by bucket.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) use weir_core::rollup::latency::bucket_upper_bound_us;
use weir_core::rollup::latency::{BUCKETS, bucket_of};

#[derive(Debug)]
pub(crate) struct Histogram {
    counts: [AtomicU64; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Histogram {
    #[inline]
    pub(crate) fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Vec<u64> {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use weir_core::rollup::latency::percentile_us;

    use super::*;

    #[test]
    fn percentiles_within_a_fifth() {
        let h = Histogram::default();
        for ms in 1..=100u64 {
            h.record(Duration::from_millis(ms));
        }
        let snap = h.snapshot();
        let p50 = percentile_us(&snap, 0.5).unwrap() as f64;
        let p99 = percentile_us(&snap, 0.99).unwrap() as f64;
        assert!((50_000.0..=60_000.0).contains(&p50), "{p50}");
        assert!((99_000.0..=119_000.0).contains(&p99), "{p99}");
        assert_eq!(percentile_us(&[0; BUCKETS], 0.5), None);
    }
}
