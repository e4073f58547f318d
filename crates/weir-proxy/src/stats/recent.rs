//! "Recent" numbers (error rate, rejections over the last few minutes) from
//! this process's cumulative counters: the registry is sampled every
//! [`SAMPLE_EVERY`], and a scope's recent counts are its live counters
//! minus the oldest sample within [`RECENT_WINDOW`], at no cost to requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use weir_core::report::RecentTraffic;

use super::{Counters, RejectionClass, Scope, StatsRegistry};

/// How far back "recent" numbers (error rate, rejections) reach.
pub(super) const RECENT_WINDOW: Duration = Duration::from_secs(300);
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Samples of every scope's counters over the last `RECENT_WINDOW`.
pub struct RecentWindow {
    samples: Mutex<VecDeque<RecentSample>>,
    started: Instant,
}

struct RecentSample {
    at: Instant,
    counts: HashMap<(Scope, String), Recent>,
}

/// One scope's requests in the recent window, from this process's counters
/// (other gateway processes' traffic is not in it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Recent {
    requests: u64,
    /// Answered with a 5xx status, by a node or by the gateway, or (gRPC)
    /// with a server-error `grpc-status` over a 200.
    errors: u64,
    /// Refused by a policy (access rules, auth, limits, quotas…).
    rejected_policy: u64,
    /// The gateway's answers for upstream failures (connect, timeout,
    /// broken answer, no node).
    failed_upstream: u64,
    /// Client errors the gateway answered (bad request, body faults,
    /// client went away).
    client_errors: u64,
}

impl Recent {
    fn of(c: &Counters) -> Self {
        Self {
            requests: c.requests,
            // gRPC server failures come with a 200; they are errors too.
            errors: c.status[4] + c.grpc_errors,
            rejected_policy: c.rejected(RejectionClass::Policy),
            failed_upstream: c.rejected(RejectionClass::Upstream),
            client_errors: c.rejected(RejectionClass::Client),
        }
    }

    /// The admin API's answer: these counts over `window_secs`, with rates.
    fn report(self, window_secs: u64) -> RecentTraffic {
        RecentTraffic {
            window_secs,
            requests: self.requests,
            errors: self.errors,
            rejected_policy: self.rejected_policy,
            failed_upstream: self.failed_upstream,
            client_errors: self.client_errors,
            error_rate: None,
            rejection_rate: None,
        }
        .with_rates()
    }

    fn since(self, earlier: Recent) -> Self {
        Self {
            requests: self.requests.saturating_sub(earlier.requests),
            errors: self.errors.saturating_sub(earlier.errors),
            rejected_policy: self.rejected_policy.saturating_sub(earlier.rejected_policy),
            failed_upstream: self.failed_upstream.saturating_sub(earlier.failed_upstream),
            client_errors: self.client_errors.saturating_sub(earlier.client_errors),
        }
    }
}

impl Default for RecentWindow {
    fn default() -> Self {
        Self {
            samples: Mutex::new(VecDeque::new()),
            started: Instant::now(),
        }
    }
}

impl RecentWindow {
    /// Take a sample of every scope's counters when the last one is
    /// `SAMPLE_EVERY` old, and forget samples older than the window.
    pub fn sample(&self, registry: &StatsRegistry) {
        let now = Instant::now();
        let mut samples = lock(&self.samples);
        if samples
            .back()
            .is_some_and(|s| now.duration_since(s.at) < SAMPLE_EVERY)
        {
            return;
        }
        let counts = registry
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
    pub fn recent(&self, registry: &StatsRegistry, scope: Scope, name: &str) -> RecentTraffic {
        let Some(stats) = registry.get(scope, name) else {
            return Recent::default().report(RECENT_WINDOW.as_secs());
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
        let window = now.duration_since(since).as_secs();
        live.since(base).report(window.min(RECENT_WINDOW.as_secs()))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
