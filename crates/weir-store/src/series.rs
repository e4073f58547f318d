//! Reading the hourly rollups back as the admin side shows them: today's and
//! yesterday's hours in the gateway's time zone, with latency percentiles
//! from the merged histograms and today's rejections and gRPC codes.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use weir_core::rollup::latency::{BUCKETS, percentile_us};
use weir_core::rollup::{FAILED_GRPC, StatsHour, local_hour};

/// Requests and the rest of one local hour, summed over nodes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourStats {
    /// Hour of the local day, 0–23.
    pub hour: u32,
    pub requests: u64,
    pub status: [u64; 5],
    /// Of `requests`, those the gateway answered itself (already counted
    /// in `status`).
    pub rejected: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Of the 2xx, gRPC calls that failed on the server side
    /// (UNAVAILABLE, INTERNAL, …): gRPC answers them with an HTTP 200.
    pub failed_grpc: u64,
}

/// Today's and yesterday's hours, and today's rejections by reason.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub today: Vec<HourStats>,
    pub yesterday: Vec<HourStats>,
    pub rejections_today: BTreeMap<String, u64>,
    /// Today's whole day: counts, and latency percentiles over every
    /// request of the day (not the last hour's).
    pub day: HourStats,
    /// gRPC calls today by `grpc-status` (`"0"`, `"14"`, `"other"`).
    pub grpc_today: BTreeMap<String, u64>,
}

impl Series {
    /// The series of stored `rows` (yesterday's and today's hours of one
    /// scope, see [`Store::stats_hours`](crate::Store::stats_hours)) and
    /// `pending` (what this process counted but has not flushed yet, in the
    /// current hour); today starts at `today_start_ms` in `tz`.
    pub fn assemble(
        rows: &[StatsHour],
        pending: Option<&StatsHour>,
        today_start_ms: i64,
        tz: &TimeZone,
    ) -> Series {
        let mut today = empty_day();
        let mut yesterday = empty_day();
        let mut hist_today = vec![vec![0u64; BUCKETS]; 24];
        let mut hist_yday = vec![vec![0u64; BUCKETS]; 24];
        let mut rejections_today = BTreeMap::new();
        let mut grpc_today: BTreeMap<String, u64> = BTreeMap::new();
        let mut add = |h: &StatsHour| {
            let is_today = h.hour * 1000 >= today_start_ms;
            let local = local_hour(h.hour, tz) as usize;
            let (day, hist) = if is_today {
                (&mut today, &mut hist_today)
            } else {
                (&mut yesterday, &mut hist_yday)
            };
            let point = &mut day[local];
            point.requests += h.requests;
            for (a, b) in point.status.iter_mut().zip(h.status) {
                *a += b;
            }
            point.rejected += h.rejections.values().sum::<u64>();
            point.bytes_in += h.counters.get("bytes_in").copied().unwrap_or(0);
            point.bytes_out += h.counters.get("bytes_out").copied().unwrap_or(0);
            point.failed_grpc += h.counters.get(FAILED_GRPC).copied().unwrap_or(0);
            for (i, n) in &h.latency {
                if let Some(slot) = hist[local].get_mut(*i) {
                    *slot += n;
                }
            }
            if is_today {
                for (k, v) in &h.rejections {
                    *rejections_today.entry(k.clone()).or_insert(0) += v;
                }
                for (k, v) in &h.counters {
                    if let Some(code) = k.strip_prefix("grpc_") {
                        *grpc_today.entry(code.to_owned()).or_insert(0) += v;
                    }
                }
            }
        };
        for r in rows {
            add(r);
        }
        // What this process has not flushed yet belongs to the current hour.
        if let Some(pending) = pending {
            add(pending);
        }
        for (day, hist) in [(&mut today, &hist_today), (&mut yesterday, &hist_yday)] {
            for (point, h) in day.iter_mut().zip(hist) {
                point.p50_ms = percentile_us(h, 0.50).map(|us| us as f64 / 1000.0);
                point.p99_ms = percentile_us(h, 0.99).map(|us| us as f64 / 1000.0);
            }
        }
        // The day's percentiles come from the day's merged histogram.
        let mut whole = vec![0u64; BUCKETS];
        for h in &hist_today {
            for (a, b) in whole.iter_mut().zip(h) {
                *a += b;
            }
        }
        let mut day = HourStats {
            p50_ms: percentile_us(&whole, 0.50).map(|us| us as f64 / 1000.0),
            p99_ms: percentile_us(&whole, 0.99).map(|us| us as f64 / 1000.0),
            ..HourStats::default()
        };
        for p in &today {
            day.requests += p.requests;
            for (a, b) in day.status.iter_mut().zip(p.status) {
                *a += b;
            }
            day.rejected += p.rejected;
            day.bytes_in += p.bytes_in;
            day.bytes_out += p.bytes_out;
            day.failed_grpc += p.failed_grpc;
        }
        Series {
            today,
            yesterday,
            rejections_today,
            day,
            grpc_today,
        }
    }
}

fn empty_day() -> Vec<HourStats> {
    (0..24)
        .map(|hour| HourStats {
            hour,
            ..HourStats::default()
        })
        .collect()
}
