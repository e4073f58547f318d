//! Moving traffic statistics from the data plane's in-memory counters to
//! the store's hourly rollups, and reading them back for the admin side.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use weir_proxy::DataPlane;
use weir_proxy::stats::{
    BUCKETS, Counters, GRPC_CODES, Rejection, RejectionClass, Scope, ScopeSample, percentile_us,
};
use weir_store::{StatsDelta, StatsHour, Store};

use crate::cache::CheckedFile;

/// Counters as of the last successful flush, per scope; shared by the
/// flusher (which moves it forward) and the reader (which adds what is not
/// flushed yet).
pub type Flushed = Arc<std::sync::Mutex<HashMap<(Scope, String), Counters>>>;

/// Writes this process's counter deltas to the store.
///
/// While the store is unreachable nothing is lost and memory stays
/// bounded: the counters themselves keep counting, and a flush that fails
/// marks nothing as written, so the next one that succeeds carries
/// everything since the last success. Each hour that ends in the meantime
/// is sealed (its counts as of its last attempt, as rows ready to write),
/// so that counts land in the hour they were counted in, not the hour the
/// store came back in; past [`MAX_SEALED_HOURS`], the oldest sealed hour
/// is folded into the next one (counts then land a little late, never
/// lost). A `weir proxy` that stops before the store returns leaves its
/// counts in a file beside its configuration cache
/// ([`StatsFlusher::spill_to`]); its next start writes them.
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
    /// Hours that ended unwritten, oldest first: each one's counts per
    /// scope (deltas, to add to whatever was written for that hour).
    sealed: VecDeque<Vec<((Scope, String), StatsDelta)>>,
    /// Cumulative counters at the end of the last sealed hour, which the
    /// next hour's counts are measured from (before `flushed`).
    sealed_upto: HashMap<(Scope, String), Counters>,
    /// The last failed attempt: its hour and the counters then, sealed
    /// when the next attempt falls in another hour.
    failed: Option<(i64, Vec<ScopeSample>)>,
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

/// Hours of counts kept apart through a store outage (two days); see
/// [`StatsFlusher`]. Each costs one set of counters per active scope.
pub const MAX_SEALED_HOURS: usize = 48;

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
            sealed: VecDeque::new(),
            sealed_upto: HashMap::new(),
            failed: None,
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
        if let Some((failed_hour, counters)) = self.failed.take()
            && failed_hour != hour
        {
            self.seal(failed_hour, counters);
        }
        let (rows, written) = self.rows(hour, &samples);
        if let Err(e) = self.store.put_stats(&self.node, &rows).await {
            self.failed = Some((hour, samples));
            return Err(e);
        }
        self.written = written;
        self.written.retain(|_, t| t.counts.hour == hour);
        self.sealed.clear();
        self.sealed_upto.clear();
        {
            let mut flushed = lock(&self.flushed);
            for s in samples {
                flushed.insert((s.scope, s.name), s.counters);
            }
        }
        self.plane.stats.prune();
        self.write_spilled().await;
        Ok(rows.len())
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
        let (rows, _) = self.rows(
            hour_start(now, &self.time_zone),
            &self.plane.stats.samples(),
        );
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

    /// The rows to write now (the sealed hours', then this hour's, each a
    /// total of what this process counted for its scope and hour), and
    /// what will then have been written.
    #[allow(clippy::type_complexity)]
    fn rows(
        &self,
        hour: i64,
        samples: &[ScopeSample],
    ) -> (Vec<StatsDelta>, HashMap<(Scope, String), StatsDelta>) {
        let mut written = self.written.clone();
        let mut rows = Vec::new();
        let mut add = |key: &(Scope, String), delta: &StatsDelta| {
            let total = match written.get(key) {
                Some(t) if t.counts.hour == delta.counts.hour => {
                    let mut total = t.clone();
                    total.counts.add(&delta.counts);
                    total
                }
                _ => delta.clone(),
            };
            written.insert(key.clone(), total.clone());
            rows.push(total);
        };
        for (key, delta) in self.sealed.iter().flatten() {
            add(key, delta);
        }
        // Diff under the lock (nothing awaits here): copying the map
        // would clone every scope's counters on every flush.
        let flushed = lock(&self.flushed);
        for s in samples {
            let key = (s.scope, s.name.clone());
            let d = match self.sealed_upto.get(&key).or_else(|| flushed.get(&key)) {
                Some(b) => s.counters.since(b),
                None => s.counters.clone(),
            };
            if !d.is_zero() {
                add(&key, &to_delta(s.scope, &s.name, hour, &d));
            }
        }
        (rows, written)
    }

    /// Keep `counters` (the last failed attempt's, in `hour`, which has
    /// ended) as that hour's counts.
    fn seal(&mut self, hour: i64, counters: Vec<ScopeSample>) {
        let mut rows = Vec::new();
        {
            let flushed = lock(&self.flushed);
            for s in counters {
                let key = (s.scope, s.name);
                let d = match self.sealed_upto.get(&key).or_else(|| flushed.get(&key)) {
                    Some(b) => s.counters.since(b),
                    None => s.counters.clone(),
                };
                if !d.is_zero() {
                    rows.push((key.clone(), to_delta(key.0, &key.1, hour, &d)));
                }
                self.sealed_upto.insert(key, s.counters);
            }
        }
        self.sealed.push_back(rows);
        if self.sealed.len() > MAX_SEALED_HOURS
            && let Some(oldest) = self.sealed.pop_front()
        {
            fold_into_next(oldest, &mut self.sealed, hour);
        }
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
                                sealed_hours = this.sealed.len(),
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

/// Add the oldest sealed hour's counts to the next sealed hour's (or, with
/// none left, to a new sealed `hour`).
fn fold_into_next(
    oldest: Vec<((Scope, String), StatsDelta)>,
    sealed: &mut VecDeque<Vec<((Scope, String), StatsDelta)>>,
    hour: i64,
) {
    if sealed.is_empty() {
        sealed.push_back(Vec::new());
    }
    let Some(next) = sealed.front_mut() else {
        return;
    };
    let next_hour = next.first().map_or(hour, |(_, d)| d.counts.hour);
    for (key, mut delta) in oldest {
        match next.iter_mut().find(|(k, _)| *k == key) {
            Some((_, d)) => d.counts.add(&delta.counts),
            None => {
                delta.counts.hour = next_hour;
                next.push((key, delta));
            }
        }
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
            assert!(flusher.sealed.len() <= MAX_SEALED_HOURS);
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
