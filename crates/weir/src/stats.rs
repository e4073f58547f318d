//! Moving traffic statistics from the data plane's in-memory counters to
//! the store's hourly rollups, and reading them back for the admin side.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use weir_proxy::DataPlane;
use weir_proxy::stats::{BUCKETS, Counters, Rejection, Scope, percentile_us};
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
        },
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
    pub rejected: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Today's and yesterday's hours, and today's rejections by reason.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub today: Vec<HourStats>,
    pub yesterday: Vec<HourStats>,
    pub rejections_today: BTreeMap<String, u64>,
}

impl StatsView {
    pub fn new(plane: Arc<DataPlane>, store: Store, time_zone: TimeZone, flushed: Flushed) -> Self {
        Self {
            plane,
            store,
            time_zone,
            flushed,
            today: std::sync::Mutex::new(TodayTotals::default()),
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
        let mut add = |hour_start: i64,
                       requests: u64,
                       status: [u64; 5],
                       rejections: &BTreeMap<String, u64>,
                       latency: &mut dyn Iterator<Item = (usize, u64)>| {
            let is_today = hour_start * 1000 >= today_start;
            let h = local_hour(hour_start, &self.time_zone) as usize;
            let (day, hist) = if is_today {
                (&mut today, &mut hist_today)
            } else {
                (&mut yesterday, &mut hist_yday)
            };
            let point = &mut day[h];
            point.requests += requests;
            for (a, b) in point.status.iter_mut().zip(status) {
                *a += b;
            }
            point.rejected += rejections.values().sum::<u64>();
            for (i, n) in latency {
                if let Some(slot) = hist[h].get_mut(i) {
                    *slot += n;
                }
            }
            if is_today {
                for (k, v) in rejections {
                    *rejections_today.entry(k.clone()).or_insert(0) += v;
                }
            }
        };
        for r in &rows {
            add(
                r.hour,
                r.requests,
                r.status,
                &r.rejections,
                &mut r.latency.iter().map(|(k, v)| (*k, *v)),
            );
        }
        // What this process has not flushed yet belongs to the current hour.
        let pending = self.pending(scope, name);
        if !pending.is_zero() {
            let rejections: BTreeMap<String, u64> = Rejection::ALL
                .iter()
                .zip(pending.rejections)
                .filter(|(_, n)| *n > 0)
                .map(|(r, n)| (r.as_str().to_owned(), n))
                .collect();
            let hour = hour_start(now_ms / 1000, &self.time_zone);
            let mut lat = pending
                .latency
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, n)| *n > 0);
            add(
                hour,
                pending.requests,
                pending.status,
                &rejections,
                &mut lat,
            );
        }
        for (day, hist) in [(&mut today, &hist_today), (&mut yesterday, &hist_yday)] {
            for (point, h) in day.iter_mut().zip(hist) {
                point.p50_ms = percentile_us(h, 0.50).map(|us| us as f64 / 1000.0);
                point.p99_ms = percentile_us(h, 0.99).map(|us| us as f64 / 1000.0);
            }
        }
        Ok(Series {
            today,
            yesterday,
            rejections_today,
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
