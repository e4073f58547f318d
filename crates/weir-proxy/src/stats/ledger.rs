//! Turning the cumulative counters into hourly rollup rows
//! ([`weir_core::rollup`]) for a flusher to write, and remembering what
//! was written: the arithmetic of the statistics flusher (the binary's
//! `stats` module, which owns the store, the timer and the spill file).
//!
//! While writes fail nothing is lost and memory stays bounded: the
//! counters themselves keep counting, and a failed write marks nothing as
//! written, so the next one that succeeds carries everything since the
//! last success. Each hour that ends in the meantime is sealed (its counts
//! as of its last attempt, as rows ready to write), so that counts land in
//! the hour they were counted in, not the hour the store came back in; past
//! [`MAX_SEALED_HOURS`], the oldest sealed hour is folded into the next one
//! (counts then land a little late, never lost).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use weir_core::rollup::{FAILED_GRPC, StatsDelta, StatsHour};

use super::{Counters, GRPC_CODES, Rejection, Scope, ScopeSample, StatsRegistry};

/// Counters as of the last successful flush, per scope; shared by the
/// flusher (which moves it forward) and the reader (which adds what is not
/// flushed yet).
pub type Flushed = Arc<Mutex<HashMap<(Scope, String), Counters>>>;

/// Hours of counts kept apart through a store outage (two days); see
/// [`Ledger`]. Each costs one set of counters per active scope.
pub const MAX_SEALED_HOURS: usize = 48;

/// What a flusher has written and what it still owes (see the module
/// docs).
pub struct Ledger {
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
}

/// Rows to write (totals, as `Store::put_stats` takes them) and what will
/// then have been written.
pub struct Batch {
    pub rows: Vec<StatsDelta>,
    written: HashMap<(Scope, String), StatsDelta>,
}

impl Ledger {
    pub fn new(flushed: Flushed) -> Self {
        Self {
            flushed,
            written: HashMap::new(),
            sealed: VecDeque::new(),
            sealed_upto: HashMap::new(),
            failed: None,
        }
    }

    /// Hours sealed and not written yet.
    pub fn sealed_hours(&self) -> usize {
        self.sealed.len()
    }

    /// The rows of an attempt in `hour` with `samples` (the registry's
    /// counters now), sealing the last failed attempt's counts first when
    /// its hour has ended. Follow with [`Ledger::written`] or
    /// [`Ledger::failed`].
    pub fn attempt(&mut self, hour: i64, samples: &[ScopeSample]) -> Batch {
        if let Some((failed_hour, counters)) = self.failed.take()
            && failed_hour != hour
        {
            self.seal(failed_hour, counters);
        }
        self.rows(hour, samples)
    }

    /// The attempt's write failed: nothing is marked as written.
    pub fn failed(&mut self, hour: i64, samples: Vec<ScopeSample>) {
        self.failed = Some((hour, samples));
    }

    /// The attempt's write succeeded: its counts are flushed.
    pub fn written(&mut self, batch: Batch, hour: i64, samples: Vec<ScopeSample>) {
        self.written = batch.written;
        self.written.retain(|_, t| t.counts.hour == hour);
        self.sealed.clear();
        self.sealed_upto.clear();
        let mut flushed = lock(&self.flushed);
        for s in samples {
            flushed.insert((s.scope, s.name), s.counters);
        }
    }

    /// The rows to write now (the sealed hours', then this hour's, each a
    /// total of what this process counted for its scope and hour), and
    /// what will then have been written.
    pub fn rows(&self, hour: i64, samples: &[ScopeSample]) -> Batch {
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
        Batch { rows, written }
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
}

/// What this process counted for a scope but has not flushed yet.
pub fn unflushed(
    registry: &StatsRegistry,
    flushed: &Flushed,
    scope: Scope,
    name: &str,
) -> Counters {
    let Some(stats) = registry.get(scope, name) else {
        return Counters::default();
    };
    let now = stats.counters();
    match lock(flushed).get(&(scope, name.to_owned())) {
        Some(base) => now.since(base),
        None => now,
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

/// A scope's counts in `hour` as a rollup row.
pub fn to_delta(scope: Scope, name: &str, hour: i64, c: &Counters) -> StatsDelta {
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

/// `grpc_<code>`; the last slot holds codes above 16 (`grpc_other`).
fn grpc_key(code: usize) -> String {
    if code == GRPC_CODES - 1 {
        "grpc_other".to_owned()
    } else {
        format!("grpc_{code}")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Failed attempts across hours seal each hour's counts; the next
    /// attempt writes every hour's total where it was counted.
    #[test]
    fn an_outage_seals_hours_and_loses_nothing() {
        let registry = StatsRegistry::default();
        let mut ledger = Ledger::new(Flushed::default());
        let count = |n: usize| {
            for _ in 0..n {
                registry
                    .gateway()
                    .record(200, Duration::from_millis(1), None);
            }
        };
        // 2026-11-25 10:00:00 UTC.
        let h0 = 1_795_600_800;
        count(3);
        let samples = registry.samples();
        let batch = ledger.attempt(h0, &samples);
        assert_eq!(batch.rows.len(), 1);
        ledger.written(batch, h0, samples);
        for (hour, n) in [(h0, 2), (h0 + 3600, 4)] {
            count(n);
            let samples = registry.samples();
            let _ = ledger.attempt(hour, &samples);
            ledger.failed(hour, samples);
        }
        assert_eq!(ledger.sealed_hours(), 1);
        count(1);
        let batch = ledger.attempt(h0 + 7200, &registry.samples());
        let got: Vec<(i64, u64)> = batch
            .rows
            .iter()
            .map(|r| (r.counts.hour - h0, r.counts.requests))
            .collect();
        assert_eq!(got, [(0, 5), (3600, 4), (7200, 1)]);
    }

    /// The stored names of the counters beside the status classes.
    #[test]
    fn rows_name_bytes_and_grpc_codes() {
        let registry = StatsRegistry::default();
        let gw = registry.gateway();
        gw.record(200, Duration::from_millis(1), None);
        gw.record_bytes(10, 20);
        gw.record_grpc(Some(14), 200);
        gw.record_grpc(Some(99), 200);
        let row = to_delta(Scope::Gateway, "", 0, &gw.counters());
        let names: Vec<&str> = row.counts.counters.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "bytes_in",
                "bytes_out",
                FAILED_GRPC,
                "grpc_14",
                "grpc_other"
            ]
        );
    }
}
