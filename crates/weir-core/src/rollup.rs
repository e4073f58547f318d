//! The hourly traffic rollup: the one format the data plane writes (from
//! its counters), the store keeps (one row per node, scope and hour) and the
//! admin side reads (summed over nodes). Here so that all three agree on it
//! without depending on each other: the row types, the latency histogram's
//! bucket layout and the names of the further counters.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

/// What one gateway counted for one scope in one hour: since its last flush
/// for `Store::add_stats`, in all for `Store::put_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatsDelta {
    /// `gateway`, `service` or `tenant`.
    pub scope: String,
    /// Service name or tenant app id; empty for the gateway.
    pub name: String,
    /// The hour (unix seconds of its start, gateway time zone) and its counts.
    pub counts: StatsHour,
}

/// One hour of one scope, summed over nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatsHour {
    pub hour: i64,
    pub requests: u64,
    pub status: [u64; 5],
    pub rejections: BTreeMap<String, u64>,
    pub latency: BTreeMap<usize, u64>,
    /// Further counters by name: `bytes_in`, `bytes_out` (TCP services),
    /// `grpc_<code>` (gRPC calls by `grpc-status`).
    pub counters: BTreeMap<String, u64>,
}

impl StatsHour {
    /// Add `other`'s counts (the same scope and hour) to these.
    pub fn add(&mut self, other: &StatsHour) {
        self.requests += other.requests;
        for (a, b) in self.status.iter_mut().zip(other.status) {
            *a += b;
        }
        for (k, v) in &other.rejections {
            *self.rejections.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.latency {
            *self.latency.entry(*k).or_default() += v;
        }
        for (k, v) in &other.counters {
            *self.counters.entry(k.clone()).or_default() += v;
        }
    }
}

/// Unix seconds of the start of the local hour containing `unix_secs`: the
/// hour a count made then lands in ([`StatsHour::hour`]).
pub fn hour_start(unix_secs: i64, tz: &TimeZone) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_second(unix_secs) else {
        return unix_secs - unix_secs.rem_euclid(3600);
    };
    let zoned = ts.to_zoned(tz.clone());
    let offset = i64::from(zoned.offset().seconds());
    let local = unix_secs + offset;
    local - local.rem_euclid(3600) - offset
}

/// Hour of the local day (0–23) of a Unix time.
pub fn local_hour(unix_secs: i64, tz: &TimeZone) -> u32 {
    jiff::Timestamp::from_second(unix_secs)
        .map(|t| t.to_zoned(tz.clone()).hour() as u32)
        .unwrap_or(0)
        .min(23)
}

/// The stored name of gRPC calls that failed on the server side over an
/// HTTP 200 (not `grpc_…`: those are the calls by code).
pub const FAILED_GRPC: &str = "failed_grpc_calls";

/// The latency histogram's layout: a fixed log-linear histogram, four
/// buckets per power of two of microseconds (≤ 19% relative error), from
/// under 16 µs to about 72 min. Fixed bucket boundaries let histograms from
/// different hours and nodes be added bucket by bucket.
pub mod latency {
    /// Number of buckets.
    pub const BUCKETS: usize = 133;

    /// Bucket 0 holds < 16 µs; then four buckets per octave.
    #[inline]
    pub fn bucket_of(us: u64) -> usize {
        if us < 16 {
            return 0;
        }
        let exp = 63 - us.leading_zeros() as usize; // >= 4
        let sub = ((us >> (exp - 2)) & 3) as usize;
        ((exp - 4) * 4 + sub + 1).min(BUCKETS - 1)
    }

    /// The largest duration (µs) that falls in bucket `i`.
    pub fn bucket_upper_bound_us(i: usize) -> u64 {
        if i == 0 {
            return 15;
        }
        let exp = (i - 1) / 4 + 4;
        let sub = ((i - 1) % 4) as u64;
        let base = 1u64 << exp;
        let step = base >> 2;
        base + step * (sub + 1) - 1
    }

    /// The `p`-quantile (0..1) of a histogram, as the upper bound of the bucket
    /// it falls in; `None` for an empty histogram.
    pub fn percentile_us(counts: &[u64], p: f64) -> Option<u64> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((p.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_upper_bound_us(i));
            }
        }
        None
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn buckets_are_monotonic_and_bounded() {
            let mut last = 0;
            for us in [
                0,
                15,
                16,
                19,
                20,
                24,
                31,
                32,
                100,
                1_000,
                65_000,
                1_000_000,
                u64::MAX,
            ] {
                let b = bucket_of(us);
                assert!(b >= last, "{us}");
                last = b;
                if b < BUCKETS - 1 {
                    assert!(us <= bucket_upper_bound_us(b), "{us} above bucket {b}");
                    if b > 0 {
                        assert!(us > bucket_upper_bound_us(b - 1), "{us} below bucket {b}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hours_follow_the_zone_offset() {
        // 2026-11-25 10:47:12 UTC.
        let t = 1_795_603_632;
        assert_eq!(hour_start(t, &TimeZone::UTC) % 3600, 0);
        assert_eq!(t - hour_start(t, &TimeZone::UTC), 47 * 60 + 12);
        // India is UTC+5:30: local 16:17:12, hour starts at 16:00 local.
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        assert_eq!(t - hour_start(t, &kolkata), 17 * 60 + 12);
    }
}
