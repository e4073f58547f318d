//! Moving traffic statistics from the data plane's in-memory counters to
//! the store's hourly rollups, and reading them back for the admin side.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use weir_proxy::DataPlane;
use weir_proxy::stats::{
    BUCKETS, Counters, GRPC_CODES, Rejection, RejectionClass, Scope, percentile_us,
};
use weir_store::{StatsDelta, StatsHour, Store};

/// Counters as of the last successful flush, per scope; shared by the
/// flusher (which moves it forward) and the reader (which adds what is not
/// flushed yet).
pub type Flushed = Arc<std::sync::Mutex<HashMap<(Scope, String), Counters>>>;

/// Writes this process's counter deltas to the store.
pub struct StatsFlusher {
    plane: Arc<DataPlane>,
    store: Store,
    time_zone: TimeZone,
    /// Identifies this process's rows; unique per start so restarts never
    /// overwrite earlier counts.
    node: String,
    flushed: Flushed,
    /// What this process has written for the current hour, per scope. Its
    /// rows are its own (the node id is unique per start), so it writes
    /// totals without reading them back: one statement per active scope.
    written: HashMap<(Scope, String), StatsDelta>,
}

impl StatsFlusher {
    pub fn new(plane: Arc<DataPlane>, store: Store, time_zone: TimeZone, flushed: Flushed) -> Self {
        let mut id = [0u8; 6];
        let _ = aws_lc_rs::rand::fill(&mut id);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "weir".into());
        let node = format!(
            "{}-{}",
            host.chars().take(40).collect::<String>(),
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        Self {
            plane,
            store,
            time_zone,
            node,
            flushed,
            written: HashMap::new(),
        }
    }

    /// Write what was counted since the last flush, attributed to the
    /// current local hour. On failure nothing is marked as written, so the
    /// next flush carries it.
    pub async fn flush(&mut self) -> Result<usize, weir_store::StoreError> {
        let hour = hour_start(jiff::Timestamp::now().as_second(), &self.time_zone);
        let samples = self.plane.stats.samples();
        let mut keys = Vec::new();
        let mut totals = Vec::new();
        {
            // Diff under the lock (nothing awaits here): copying the map
            // would clone every scope's counters on every flush.
            let flushed = lock(&self.flushed);
            for s in &samples {
                let key = (s.scope, s.name.clone());
                let d = match flushed.get(&key) {
                    Some(b) => s.counters.since(b),
                    None => s.counters.clone(),
                };
                if d.is_zero() {
                    continue;
                }
                let delta = to_delta(s.scope, &s.name, hour, &d);
                let total = match self.written.get(&key) {
                    Some(t) if t.counts.hour == hour => {
                        let mut total = t.clone();
                        total.counts.add(&delta.counts);
                        total
                    }
                    _ => delta,
                };
                keys.push(key);
                totals.push(total);
            }
        }
        self.store.put_stats(&self.node, &totals).await?;
        let written = totals.len();
        self.written.retain(|_, t| t.counts.hour == hour);
        self.written.extend(keys.into_iter().zip(totals));
        let mut flushed = lock(&self.flushed);
        for s in samples {
            flushed.insert((s.scope, s.name), s.counters);
        }
        drop(flushed);
        self.plane.stats.prune();
        Ok(written)
    }

    /// Flush every `interval` until stopped; prune old rollups once an
    /// hour. The handle flushes a last time when stopped.
    pub fn spawn_handle(self, interval: Duration, retention: Duration) -> FlusherHandle {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut this = self;
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_prune = 0i64;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => {
                        if let Err(e) = this.flush().await {
                            tracing::warn!(error = %e, "final statistics flush failed");
                        }
                        return;
                    }
                }
                if let Err(e) = this.flush().await {
                    tracing::warn!(error = %e, "statistics flush failed; will retry");
                }
                let now = jiff::Timestamp::now().as_second();
                if now - last_prune > 3600 {
                    last_prune = now;
                    let cutoff = now - retention.as_secs() as i64;
                    if let Err(e) = this.store.prune_stats(cutoff).await {
                        tracing::warn!(error = %e, "pruning old statistics failed");
                    }
                }
            }
        });
        FlusherHandle { stop, task }
    }
}

/// Stops the flusher after one last flush.
pub struct FlusherHandle {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl FlusherHandle {
    pub async fn stop_and_flush(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn to_delta(scope: Scope, name: &str, hour: i64, c: &Counters) -> StatsDelta {
    let rejections: BTreeMap<String, u64> = Rejection::ALL
        .iter()
        .zip(c.rejections)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r.as_str().to_owned(), n))
        .collect();
    let latency: BTreeMap<usize, u64> = c
        .latency
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i, *n))
        .collect();
    StatsDelta {
        scope: scope.as_str().to_owned(),
        name: name.to_owned(),
        counts: StatsHour {
            hour,
            requests: c.requests,
            status: c.status,
            rejections,
            latency,
            counters: extra_counters(c),
        },
    }
}

/// The stored names of the counters beside the status classes (only those
/// that are not zero).
fn extra_counters(c: &Counters) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    if c.bytes_in > 0 {
        out.insert("bytes_in".to_owned(), c.bytes_in);
    }
    if c.bytes_out > 0 {
        out.insert("bytes_out".to_owned(), c.bytes_out);
    }
    if c.grpc_errors > 0 {
        out.insert(FAILED_GRPC.to_owned(), c.grpc_errors);
    }
    for (code, n) in c.grpc.iter().enumerate() {
        if *n > 0 {
            out.insert(grpc_key(code), *n);
        }
    }
    out
}

/// The stored name of gRPC calls that failed on the server side over an
/// HTTP 200 (not `grpc_…`: those are the calls by code).
const FAILED_GRPC: &str = "failed_grpc_calls";

/// `grpc_<code>`; the last slot holds codes above 16 (`grpc_other`).
fn grpc_key(code: usize) -> String {
    if code == GRPC_CODES - 1 {
        "grpc_other".to_owned()
    } else {
        format!("grpc_{code}")
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads statistics for the admin API: hourly rollups from the store (every
/// node's), plus what this process counted but has not flushed yet.
pub struct StatsView {
    plane: Arc<DataPlane>,
    store: Store,
    time_zone: TimeZone,
    flushed: Flushed,
    /// Today's totals from the store per (scope, name), refreshed in the
    /// background so that list endpoints never wait on the database.
    today: std::sync::Mutex<TodayTotals>,
    /// Cumulative counters sampled every [`SAMPLE_EVERY`] for the last
    /// [`RECENT_WINDOW`]: the recent error and rejection numbers are the
    /// live counters minus the oldest sample, at no cost to requests.
    samples: std::sync::Mutex<VecDeque<RecentSample>>,
    started: Instant,
}

/// How far back "recent" numbers (error rate, rejections) reach.
pub const RECENT_WINDOW: Duration = Duration::from_secs(300);
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

struct RecentSample {
    at: Instant,
    counts: HashMap<(Scope, String), Recent>,
}

/// One scope's requests in the recent window, from this process's counters
/// (other gateway processes' traffic is not in it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    /// Seconds the numbers cover: [`RECENT_WINDOW`], less just after start.
    pub window_secs: u64,
    pub requests: u64,
    /// Answered with a 5xx status, by a node or by the gateway, or (gRPC)
    /// with a server-error `grpc-status` over a 200.
    pub errors: u64,
    /// Refused by a policy (access rules, auth, limits, quotas…).
    pub rejected_policy: u64,
    /// The gateway's answers for upstream failures (connect, timeout,
    /// broken answer, no node).
    pub failed_upstream: u64,
    /// Client errors the gateway answered (bad request, body faults,
    /// client went away).
    pub client_errors: u64,
}

impl Recent {
    fn of(c: &Counters) -> Self {
        Self {
            window_secs: 0,
            requests: c.requests,
            // gRPC server failures come with a 200; they are errors too.
            errors: c.status[4] + c.grpc_errors,
            rejected_policy: c.rejected(RejectionClass::Policy),
            failed_upstream: c.rejected(RejectionClass::Upstream),
            client_errors: c.rejected(RejectionClass::Client),
        }
    }

    fn since(self, earlier: Recent) -> Self {
        Self {
            window_secs: 0,
            requests: self.requests.saturating_sub(earlier.requests),
            errors: self.errors.saturating_sub(earlier.errors),
            rejected_policy: self.rejected_policy.saturating_sub(earlier.rejected_policy),
            failed_upstream: self.failed_upstream.saturating_sub(earlier.failed_upstream),
            client_errors: self.client_errors.saturating_sub(earlier.client_errors),
        }
    }
}

#[derive(Default)]
struct TodayTotals {
    day_start: i64,
    totals: HashMap<(Scope, String), u64>,
}

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

/// Rejections by reason, grouped by class (`policy`, `upstream`, `client`,
/// `routing`); a reason this version does not know (written by another
/// version) goes under `other`.
pub fn rejections_by_class(
    reasons: &BTreeMap<String, u64>,
) -> BTreeMap<&'static str, BTreeMap<String, u64>> {
    let mut out: BTreeMap<&'static str, BTreeMap<String, u64>> = BTreeMap::new();
    for (k, v) in reasons {
        let class = Rejection::from_label(k).map_or("other", |r| r.class().as_str());
        out.entry(class).or_default().insert(k.clone(), *v);
    }
    out
}

impl StatsView {
    pub fn new(plane: Arc<DataPlane>, store: Store, time_zone: TimeZone, flushed: Flushed) -> Self {
        Self {
            plane,
            store,
            time_zone,
            flushed,
            today: std::sync::Mutex::new(TodayTotals::default()),
            samples: std::sync::Mutex::new(VecDeque::new()),
            started: Instant::now(),
        }
    }

    /// Take a sample of every scope's counters when the last one is
    /// [`SAMPLE_EVERY`] old, and forget samples older than the window.
    pub fn sample(&self) {
        let now = Instant::now();
        let mut samples = lock(&self.samples);
        if samples
            .back()
            .is_some_and(|s| now.duration_since(s.at) < SAMPLE_EVERY)
        {
            return;
        }
        let counts = self
            .plane
            .stats
            .samples()
            .into_iter()
            .map(|s| ((s.scope, s.name), Recent::of(&s.counters)))
            .collect();
        samples.push_back(RecentSample { at: now, counts });
        // Keep the newest sample that is at least a window old as the base.
        while samples.len() > 1
            && samples
                .get(1)
                .is_some_and(|s| now.duration_since(s.at) >= RECENT_WINDOW)
        {
            samples.pop_front();
        }
    }

    /// A scope's requests, errors and rejections in the recent window.
    pub fn recent(&self, scope: Scope, name: &str) -> Recent {
        let Some(stats) = self.plane.stats.get(scope, name) else {
            return Recent {
                window_secs: RECENT_WINDOW.as_secs(),
                ..Recent::default()
            };
        };
        let live = Recent::of(&stats.counters());
        let now = Instant::now();
        let samples = lock(&self.samples);
        // The base is the oldest sample within reach; a scope missing from
        // it was created since, so it counts from zero.
        let (base, since) = match samples.front() {
            Some(s) => (
                s.counts
                    .get(&(scope, name.to_owned()))
                    .copied()
                    .unwrap_or_default(),
                s.at,
            ),
            None => (Recent::default(), self.started),
        };
        Recent {
            window_secs: now
                .duration_since(since)
                .as_secs()
                .min(RECENT_WINDOW.as_secs()),
            ..live.since(base)
        }
    }

    /// Refresh today's stored totals now.
    pub async fn refresh(&self) -> Result<(), weir_store::StoreError> {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let (start, end) = weir_proxy::policy::limit::day_bounds(now_ms, &self.time_zone);
        let (start, end) = (start / 1000, end / 1000);
        let mut totals = HashMap::new();
        for scope in [Scope::Gateway, Scope::Service, Scope::Tenant] {
            for (name, n) in self.store.stats_totals(scope.as_str(), start, end).await? {
                totals.insert((scope, name), n);
            }
        }
        *lock(&self.today) = TodayTotals {
            day_start: start,
            totals,
        };
        Ok(())
    }

    /// Keep today's totals fresh (every second) until the task is stopped.
    pub fn spawn_refresh(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let view = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(view) = view.upgrade() else { return };
                view.sample();
                if let Err(e) = view.refresh().await {
                    tracing::debug!(error = %e, "statistics refresh failed");
                }
            }
        })
    }

    /// What this process counted for a scope but has not flushed yet.
    fn pending(&self, scope: Scope, name: &str) -> Counters {
        let Some(stats) = self.plane.stats.get(scope, name) else {
            return Counters::default();
        };
        let now = stats.counters();
        match lock(&self.flushed).get(&(scope, name.to_owned())) {
            Some(base) => now.since(base),
            None => now,
        }
    }

    /// Requests today (every node's flushed counts, plus this process's
    /// unflushed ones) and this process's requests in the last second.
    pub fn traffic(&self, scope: Scope, name: &str) -> (u64, u64) {
        let stored = {
            let t = lock(&self.today);
            let now = jiff::Timestamp::now().as_second();
            // A cache from yesterday counts nothing for today.
            if now >= t.day_start && now - t.day_start < 90_000 {
                t.totals
                    .get(&(scope, name.to_owned()))
                    .copied()
                    .unwrap_or(0)
            } else {
                0
            }
        };
        let qps = self
            .plane
            .stats
            .get(scope, name)
            .map_or(0, |s| s.current_qps());
        (stored + self.pending(scope, name).requests, qps)
    }

    /// Hourly series for today and yesterday in the configured zone.
    pub async fn series(&self, scope: Scope, name: &str) -> Result<Series, weir_store::StoreError> {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let (today_start, today_end) =
            weir_proxy::policy::limit::day_bounds(now_ms, &self.time_zone);
        let (yday_start, _) =
            weir_proxy::policy::limit::day_bounds(today_start - 1, &self.time_zone);
        let rows = self
            .store
            .stats_hours(scope.as_str(), name, yday_start / 1000, today_end / 1000)
            .await?;
        let mut today = empty_day();
        let mut yesterday = empty_day();
        let mut hist_today = vec![vec![0u64; BUCKETS]; 24];
        let mut hist_yday = vec![vec![0u64; BUCKETS]; 24];
        let mut rejections_today = BTreeMap::new();
        let mut grpc_today: BTreeMap<String, u64> = BTreeMap::new();
        let mut add = |h: &StatsHour| {
            let is_today = h.hour * 1000 >= today_start;
            let local = local_hour(h.hour, &self.time_zone) as usize;
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
        for r in &rows {
            add(r);
        }
        // What this process has not flushed yet belongs to the current hour.
        let pending = self.pending(scope, name);
        if !pending.is_zero() {
            let hour = hour_start(now_ms / 1000, &self.time_zone);
            add(&to_delta(scope, name, hour, &pending).counts);
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
        Ok(Series {
            today,
            yesterday,
            rejections_today,
            day,
            grpc_today,
        })
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
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

/// Hour of the local day (0–23) of a Unix time.
fn local_hour(unix_secs: i64, tz: &TimeZone) -> u32 {
    jiff::Timestamp::from_second(unix_secs)
        .map(|t| t.to_zoned(tz.clone()).hour() as u32)
        .unwrap_or(0)
        .min(23)
}

/// Unix seconds of the start of the local hour containing `unix_secs`.
pub fn hour_start(unix_secs: i64, tz: &TimeZone) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_second(unix_secs) else {
        return unix_secs - unix_secs.rem_euclid(3600);
    };
    let zoned = ts.to_zoned(tz.clone());
    let offset = i64::from(zoned.offset().seconds());
    let local = unix_secs + offset;
    local - local.rem_euclid(3600) - offset
}

#[cfg(test)]
mod tests {
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
