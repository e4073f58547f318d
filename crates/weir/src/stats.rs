//! Wiring the data plane's statistics to the store: the flusher task (the
//! data plane's counters, turned into rollup rows by
//! `weir_proxy::Ledger`, written with `Store::put_stats` on a timer,
//! and spilled to a file beside the configuration cache on a stop the store
//! cannot take), and the admin side's reader, which joins the store's
//! rollups (assembled by `weir_store::Series`) with what this process has
//! not flushed yet.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use weir_core::rollup::hour_start;
use weir_proxy::{DataPlane, Ledger, RecentWindow, Scope, to_delta, unflushed};
use weir_store::{Series, StatsDelta, Store};

use crate::cache::CheckedFile;

pub use weir_proxy::{Flushed, MAX_SEALED_HOURS};

/// Writes this process's counter deltas to the store.
///
/// While the store is unreachable nothing is lost and memory stays
/// bounded (see `weir_proxy::Ledger`: each hour that ends in the
/// meantime is sealed, up to [`MAX_SEALED_HOURS`]). A `weir proxy` that
/// stops before the store returns leaves its counts in a file beside its
/// configuration cache ([`StatsFlusher::spill_to`]); its next start writes
/// them.
pub struct StatsFlusher {
    plane: Arc<DataPlane>,
    store: Store,
    time_zone: TimeZone,
    /// Identifies this process's rows; unique per start so restarts never
    /// overwrite earlier counts.
    node: String,
    /// What was written and what is still owed.
    ledger: Ledger,
    /// Where to leave what a stop cannot write (`weir proxy` with a
    /// configuration cache only), and what earlier runs left there, still
    /// to write.
    spill: Option<CheckedFile>,
    spilled: Vec<SpilledRun>,
}

/// The statistics spill's format (see [`ConfigCache::stats_spill`]).
///
/// [`ConfigCache::stats_spill`]: crate::cache::ConfigCache::stats_spill
const SPILL_FORMAT: &str = "weir-stats-spill/1";

/// Runs a spill holds at most (each restart during one outage adds one);
/// the oldest goes first.
const MAX_SPILLED_RUNS: usize = 16;

/// What one stopped run of a proxy counted and could not write: its rows,
/// totals as [`Store::put_stats`] takes them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpilledRun {
    node: String,
    rows: Vec<StatsDelta>,
}

impl SpilledRun {
    /// A run as read from the file: its node and scopes as this process
    /// writes them, or the reason it is not.
    fn check(&self) -> Result<(), String> {
        if self.node.is_empty() || self.node.len() > 64 {
            return Err(format!("node {:?}: 1 to 64 bytes", self.node));
        }
        match self.rows.iter().find(|r| {
            !["gateway", "service", "tenant"].contains(&r.scope.as_str()) || r.name.len() > 1024
        }) {
            Some(r) => Err(format!(
                "row {:?}/{:?}: not a scope Weir writes",
                r.scope, r.name
            )),
            None => Ok(()),
        }
    }
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
            ledger: Ledger::new(flushed),
            spill: None,
            spilled: Vec::new(),
        }
    }

    /// Leave what a stop cannot write in `file`, and write what earlier
    /// runs left there once the store answers. A file that fails its
    /// checks is refused with the reason and removed.
    pub fn spill_to(mut self, file: CheckedFile) -> Self {
        let read = file.read(SPILL_FORMAT).and_then(|found| {
            let Some((_, body)) = found else {
                return Ok(Vec::new());
            };
            let runs: Vec<SpilledRun> = serde_json::from_slice(&body)?;
            for run in &runs {
                run.check().map_err(anyhow::Error::msg)?;
            }
            Ok(runs)
        });
        match read {
            Ok(runs) if runs.is_empty() => {}
            Ok(runs) => {
                tracing::info!(
                    runs = runs.len(),
                    file = %file.path().display(),
                    "statistics of earlier runs are written once the store answers"
                );
                self.spilled = runs;
            }
            Err(e) => {
                tracing::error!(
                    file = %file.path().display(),
                    error = %format!("{e:#}"),
                    "the statistics spill is refused and removed"
                );
                let _ = file.remove();
            }
        }
        self.spill = Some(file);
        self
    }

    /// Write what was counted since the last flush, attributed to the
    /// current local hour (and to the hours that ended unwritten, see
    /// [`StatsFlusher`]). On failure nothing is marked as written, so the
    /// next flush carries it.
    pub async fn flush(&mut self) -> Result<usize, weir_store::StoreError> {
        self.flush_at(jiff::Timestamp::now().as_second()).await
    }

    async fn flush_at(&mut self, now_secs: i64) -> Result<usize, weir_store::StoreError> {
        let hour = hour_start(now_secs, &self.time_zone);
        let samples = self.plane.stats.samples();
        let batch = self.ledger.attempt(hour, &samples);
        if let Err(e) = self.store.put_stats(&self.node, &batch.rows).await {
            self.ledger.failed(hour, samples);
            return Err(e);
        }
        let written = batch.rows.len();
        self.ledger.written(batch, hour, samples);
        self.plane.stats.prune();
        self.write_spilled().await;
        Ok(written)
    }

    /// Write what earlier runs left in the spill, then remove it; what
    /// fails stays for the next flush.
    async fn write_spilled(&mut self) {
        if self.spilled.is_empty() {
            return;
        }
        while let Some(run) = self.spilled.first() {
            if let Err(e) = self.store.put_stats(&run.node, &run.rows).await {
                tracing::debug!(error = %e, "writing an earlier run's statistics failed; will retry");
                return;
            }
            tracing::info!(node = %run.node, rows = run.rows.len(), "wrote the statistics an earlier run left");
            self.spilled.remove(0);
        }
        if let Some(file) = &self.spill
            && let Err(e) = file.remove()
        {
            tracing::warn!(file = %file.path().display(), error = %e, "cannot remove the statistics spill");
        }
    }

    /// On a stop that could not write everything: leave it (and what
    /// earlier runs left) in the spill. True when something was left.
    fn spill_unwritten(&mut self) -> anyhow::Result<bool> {
        let Some(file) = &self.spill else {
            return Ok(false);
        };
        let now = jiff::Timestamp::now().as_second();
        let rows = self
            .ledger
            .rows(
                hour_start(now, &self.time_zone),
                &self.plane.stats.samples(),
            )
            .rows;
        let mut runs = std::mem::take(&mut self.spilled);
        if !rows.is_empty() {
            runs.push(SpilledRun {
                node: self.node.clone(),
                rows,
            });
        }
        if runs.len() > MAX_SPILLED_RUNS {
            let dropped = runs.len() - MAX_SPILLED_RUNS;
            tracing::warn!(
                dropped,
                "the statistics spill is full; the oldest runs' counts are lost"
            );
            runs.drain(..dropped);
        }
        if runs.is_empty() {
            return Ok(false);
        }
        file.write(SPILL_FORMAT, 0, &serde_json::to_vec(&runs)?)?;
        Ok(true)
    }

    /// The last flush of a stop; what it cannot write goes to the spill,
    /// if there is one, for the next start.
    async fn final_flush(&mut self) {
        let flushed = self.flush().await;
        if flushed.is_ok() && self.spilled.is_empty() {
            return;
        }
        let error = flushed.err().map(|e| e.to_string());
        match self.spill_unwritten() {
            Ok(true) => tracing::warn!(
                error,
                file = %self.spill.as_ref().map(|f| f.path().display().to_string()).unwrap_or_default(),
                "final statistics flush failed; the counts are kept for the next start"
            ),
            Ok(false) if error.is_none() => {}
            Ok(false) => tracing::warn!(
                error,
                "final statistics flush failed; what was counted since the last flush is lost"
            ),
            Err(e) => tracing::warn!(
                error,
                spill_error = %format!("{e:#}"),
                "final statistics flush failed and the spill could not be written; the counts are lost"
            ),
        }
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
            let mut failing: Option<String> = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => {
                        this.final_flush().await;
                        return;
                    }
                }
                // Once per distinct error: an outage is one warning, not
                // one per interval.
                match this.flush().await {
                    Ok(_) => {
                        if failing.take().is_some() {
                            tracing::info!(
                                "statistics written again, with what was counted meanwhile"
                            );
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        if failing.as_deref() != Some(message.as_str()) {
                            tracing::warn!(
                                error = %message,
                                sealed_hours = this.ledger.sealed_hours(),
                                "statistics flush failed; the counts are kept and written once the store answers"
                            );
                            failing = Some(message);
                        }
                    }
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
    /// The recent error and rejection numbers (the last few minutes).
    recent: RecentWindow,
}

#[derive(Default)]
struct TodayTotals {
    day_start: i64,
    totals: HashMap<(Scope, String), u64>,
}

impl StatsView {
    pub fn new(plane: Arc<DataPlane>, store: Store, time_zone: TimeZone, flushed: Flushed) -> Self {
        Self {
            plane,
            store,
            time_zone,
            flushed,
            today: std::sync::Mutex::new(TodayTotals::default()),
            recent: RecentWindow::default(),
        }
    }

    /// Take a sample of every scope's counters for the recent numbers
    /// (see [`RecentWindow::sample`]).
    pub fn sample(&self) {
        self.recent.sample(&self.plane.stats);
    }

    /// A scope's requests, errors and rejections in the recent window.
    pub fn recent(&self, scope: Scope, name: &str) -> weir_core::report::RecentTraffic {
        self.recent.recent(&self.plane.stats, scope, name)
    }

    /// Refresh today's stored totals now.
    pub async fn refresh(&self) -> Result<(), weir_store::StoreError> {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let (start, end) = weir_proxy::day_bounds(now_ms, &self.time_zone);
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
    fn pending(&self, scope: Scope, name: &str) -> weir_proxy::Counters {
        unflushed(&self.plane.stats, &self.flushed, scope, name)
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
        let (today_start, today_end) = weir_proxy::day_bounds(now_ms, &self.time_zone);
        let (yday_start, _) = weir_proxy::day_bounds(today_start - 1, &self.time_zone);
        let rows = self
            .store
            .stats_hours(scope.as_str(), name, yday_start / 1000, today_end / 1000)
            .await?;
        // What this process has not flushed yet belongs to the current hour.
        let pending = self.pending(scope, name);
        let pending = (!pending.is_zero()).then(|| {
            let hour = hour_start(now_ms / 1000, &self.time_zone);
            to_delta(scope, name, hour, &pending).counts
        });
        Ok(Series::assemble(
            &rows,
            pending.as_ref(),
            today_start,
            &self.time_zone,
        ))
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// Through an outage spanning hours nothing is lost, and each count
    /// lands in the hour it was counted in.
    #[tokio::test]
    async fn counts_from_an_outage_land_in_their_hours() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let good = Store::open(&url).await.unwrap();
        let gone = Store::open(&format!(
            "sqlite://{}",
            dir.path().join("gone.db").display()
        ))
        .await
        .unwrap();
        gone.close().await;
        let plane = Arc::new(DataPlane::new());
        let mut flusher = StatsFlusher::new(
            Arc::clone(&plane),
            good.clone(),
            TimeZone::UTC,
            Flushed::default(),
        );
        let count = |n: usize| {
            for _ in 0..n {
                plane
                    .stats
                    .gateway()
                    .record(200, Duration::from_millis(1), None);
            }
        };
        // 2026-11-25 10:00:00 UTC.
        let h0 = 1_795_600_800;
        count(3);
        flusher.flush_at(h0 + 60).await.unwrap();
        flusher.store = gone;
        count(2);
        assert!(flusher.flush_at(h0 + 120).await.is_err());
        count(4);
        assert!(flusher.flush_at(h0 + 3600 + 60).await.is_err());
        count(1);
        assert!(flusher.flush_at(h0 + 2 * 3600 + 60).await.is_err());
        count(5);
        flusher.store = good.clone();
        flusher.flush_at(h0 + 2 * 3600 + 120).await.unwrap();

        let hours = good
            .stats_hours("gateway", "", h0, h0 + 3 * 3600)
            .await
            .unwrap();
        let got: Vec<(i64, u64)> = hours.iter().map(|h| (h.hour - h0, h.requests)).collect();
        assert_eq!(got, [(0, 5), (3600, 4), (7200, 6)]);

        // And the flusher carries on from there in the same hour.
        count(7);
        flusher.flush_at(h0 + 2 * 3600 + 180).await.unwrap();
        let last = good
            .stats_hours("gateway", "", h0 + 7200, h0 + 3 * 3600)
            .await
            .unwrap();
        assert_eq!(last[0].requests, 13);
    }

    /// A stop during an outage leaves the counts beside the cache; the
    /// next start writes them under the stopped run's node once the store
    /// answers, and removes the file. A damaged file is refused and removed.
    #[tokio::test]
    async fn a_stop_in_an_outage_leaves_its_counts_to_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let good = Store::open(&url).await.unwrap();
        let gone = Store::open(&format!(
            "sqlite://{}",
            dir.path().join("gone.db").display()
        ))
        .await
        .unwrap();
        gone.close().await;
        let cache = crate::cache::ConfigCache::new(dir.path().join("cache.json"), &url);
        let spill = cache.stats_spill();
        assert_eq!(spill.path(), dir.path().join("cache.stats.json"));

        let plane = Arc::new(DataPlane::new());
        let mut first = StatsFlusher::new(
            Arc::clone(&plane),
            good.clone(),
            TimeZone::UTC,
            Flushed::default(),
        )
        .spill_to(spill.clone());
        let count = |plane: &DataPlane, n: usize| {
            for _ in 0..n {
                plane
                    .stats
                    .gateway()
                    .record(200, Duration::from_millis(1), None);
            }
        };
        count(&plane, 3);
        first.flush().await.unwrap();
        first.store = gone.clone();
        count(&plane, 4);
        first.final_flush().await;
        assert!(spill.path().exists());

        // The next run starts during the outage, counts, and stops too.
        let plane2 = Arc::new(DataPlane::new());
        let mut second =
            StatsFlusher::new(Arc::clone(&plane2), gone, TimeZone::UTC, Flushed::default())
                .spill_to(spill.clone());
        assert_eq!(second.spilled.len(), 1);
        count(&plane2, 5);
        second.final_flush().await;

        // The third finds the store.
        let plane3 = Arc::new(DataPlane::new());
        let mut third = StatsFlusher::new(
            Arc::clone(&plane3),
            good.clone(),
            TimeZone::UTC,
            Flushed::default(),
        )
        .spill_to(spill.clone());
        assert_eq!(third.spilled.len(), 2);
        third.flush().await.unwrap();
        assert!(!spill.path().exists());
        let now = jiff::Timestamp::now().as_second();
        let stored = good
            .stats_totals("gateway", now - 2 * 3600, now + 3600)
            .await
            .unwrap();
        assert_eq!(stored.get(""), Some(&12), "3 + 4 + 5: {stored:?}");

        spill
            .write(SPILL_FORMAT, 0, b"[{\"node\":\"\",\"rows\":[]}]")
            .unwrap();
        let refused = StatsFlusher::new(plane3, good, TimeZone::UTC, Flushed::default())
            .spill_to(spill.clone());
        assert!(refused.spilled.is_empty());
        assert!(!spill.path().exists(), "a refused spill is removed");
    }

    /// A longer outage keeps at most [`MAX_SEALED_HOURS`] hours apart,
    /// folding the oldest into the next: nothing is lost.
    #[tokio::test]
    async fn sealed_hours_are_bounded_and_nothing_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weir.db").display());
        let good = Store::open(&url).await.unwrap();
        let gone = Store::open(&format!(
            "sqlite://{}",
            dir.path().join("gone.db").display()
        ))
        .await
        .unwrap();
        gone.close().await;
        let plane = Arc::new(DataPlane::new());
        let mut flusher =
            StatsFlusher::new(Arc::clone(&plane), gone, TimeZone::UTC, Flushed::default());
        let h0 = 1_795_600_800;
        let hours = MAX_SEALED_HOURS as i64 + 10;
        for h in 0..hours {
            plane
                .stats
                .gateway()
                .record(200, Duration::from_millis(1), None);
            assert!(flusher.flush_at(h0 + h * 3600 + 60).await.is_err());
            assert!(flusher.ledger.sealed_hours() <= MAX_SEALED_HOURS);
        }
        flusher.store = good.clone();
        flusher.flush_at(h0 + hours * 3600 + 60).await.unwrap();
        let stored = good
            .stats_hours("gateway", "", h0, h0 + (hours + 1) * 3600)
            .await
            .unwrap();
        let total: u64 = stored.iter().map(|h| h.requests).sum();
        assert_eq!(total, hours as u64);
        assert_eq!(stored.len(), MAX_SEALED_HOURS);
        assert_eq!(stored.last().unwrap().hour, h0 + (hours - 1) * 3600);
    }
}
