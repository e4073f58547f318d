//! The health of one node as the data plane sees it: the verdict of active
//! checks (with consecutive-result thresholds), passive ejection after
//! failed requests (with growing ejection times), the passive report that
//! its requests fail (kept whether or not ejection is configured, so a dead
//! node is visible without any health settings), and what the admin API
//! shows — status, last check, last error and failure, since when.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use weir_core::compile::{CompiledHealthCheck, CompiledOutlier};

use super::NodeError;

/// What a node's status is, in the order the admin API explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Taking traffic.
    Healthy,
    /// Active checks failed `unhealthy` times in a row.
    Unhealthy,
    /// Passively ejected after failed requests, until `ejected_until`.
    Ejected,
    /// Its recent requests failed (connect errors, resets, timeouts,
    /// failure statuses) the passive threshold's times in a row; it still
    /// takes traffic (no outlier ejection configured, or the ejected share
    /// is used up) until a request succeeds.
    Failing,
    /// `enabled: false` in the configuration.
    Disabled,
}

#[derive(Debug, Clone, Default)]
struct Info {
    last_check_ms: Option<i64>,
    last_error: Option<NodeError>,
    /// Unix ms of the last failed request.
    last_failure_ms: Option<i64>,
    since_ms: i64,
}

/// Health of one node; shared by every runtime that has the node, so it
/// survives reloads.
#[derive(Debug)]
pub struct NodeState {
    /// Verdict of active checks; a new node starts healthy.
    healthy: AtomicBool,
    check_successes: AtomicU32,
    check_failures: AtomicU32,
    /// Monotonic ns until which the node is ejected (0 = not ejected).
    ejected_until: AtomicU64,
    request_failures: AtomicU32,
    /// Ejections so far (the next lasts base × 2^ejections).
    ejections: AtomicU32,
    /// When the last ejection ended (monotonic ns), to forget old ones.
    last_ejection_end: AtomicU64,
    /// Passive report: requests failed in a row, and whether that reached
    /// the threshold (cleared by the next success).
    failed_in_a_row: AtomicU32,
    failing: AtomicBool,
    /// Whether any request outcome was recorded (a node nobody has used
    /// yet has no passive verdict).
    seen_traffic: AtomicBool,
    info: Mutex<Info>,
}

impl Default for NodeState {
    fn default() -> Self {
        Self {
            healthy: AtomicBool::new(true),
            check_successes: AtomicU32::new(0),
            check_failures: AtomicU32::new(0),
            ejected_until: AtomicU64::new(0),
            request_failures: AtomicU32::new(0),
            ejections: AtomicU32::new(0),
            last_ejection_end: AtomicU64::new(0),
            failed_in_a_row: AtomicU32::new(0),
            failing: AtomicBool::new(false),
            seen_traffic: AtomicBool::new(false),
            info: Mutex::new(Info {
                since_ms: now_ms(),
                ..Info::default()
            }),
        }
    }
}

/// What changed, for logs and counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    BecameUnhealthy,
    BecameHealthy,
    Ejected(Duration),
    /// The passive threshold of failed requests in a row was reached.
    StartedFailing,
    /// A request succeeded after the node was failing.
    StoppedFailing,
}

impl NodeState {
    /// May this node take traffic now (ignoring `enabled`)?
    #[inline]
    pub fn available(&self, now_ns: u64) -> bool {
        self.healthy.load(Ordering::Relaxed) && self.ejected_until.load(Ordering::Relaxed) <= now_ns
    }

    pub fn is_ejected(&self, now_ns: u64) -> bool {
        self.ejected_until.load(Ordering::Relaxed) > now_ns
    }

    pub fn status(&self, enabled: bool, now_ns: u64) -> NodeStatus {
        if !enabled {
            NodeStatus::Disabled
        } else if !self.healthy.load(Ordering::Relaxed) {
            NodeStatus::Unhealthy
        } else if self.is_ejected(now_ns) {
            NodeStatus::Ejected
        } else if self.failing.load(Ordering::Relaxed) {
            NodeStatus::Failing
        } else {
            NodeStatus::Healthy
        }
    }

    /// Passive report: a request to this node succeeded. Cheap when
    /// nothing changes: three relaxed loads, no write, so concurrent
    /// requests to a healthy node do not contend for the cache line.
    #[inline]
    pub fn note_success(&self) -> Option<Transition> {
        if !self.seen_traffic.load(Ordering::Relaxed) {
            self.seen_traffic.store(true, Ordering::Relaxed);
        }
        if self.failed_in_a_row.load(Ordering::Relaxed) != 0 {
            self.failed_in_a_row.store(0, Ordering::Relaxed);
        }
        // Load first: the swap (a read-modify-write) only when the node
        // was failing.
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::Relaxed) {
            self.lock().since_ms = now_ms();
            return Some(Transition::StoppedFailing);
        }
        None
    }

    /// Passive report: a request to this node failed for `reason`; after
    /// `threshold` in a row the node is reported failing.
    pub fn note_failure(&self, threshold: u32, reason: &NodeError) -> Option<Transition> {
        self.seen_traffic.store(true, Ordering::Relaxed);
        let n = self.failed_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        let mut info = self.lock();
        let now = now_ms();
        info.last_error = Some(reason.clone());
        info.last_failure_ms = Some(now);
        if n >= threshold.max(1) && !self.failing.swap(true, Ordering::Relaxed) {
            info.since_ms = now;
            return Some(Transition::StartedFailing);
        }
        None
    }

    /// Whether any request to this node finished (succeeded or failed).
    pub fn seen_traffic(&self) -> bool {
        self.seen_traffic.load(Ordering::Relaxed)
    }

    /// Requests failed in a row right now.
    pub fn failed_in_a_row(&self) -> u32 {
        self.failed_in_a_row.load(Ordering::Relaxed)
    }

    pub fn last_failure_ms(&self) -> Option<i64> {
        self.lock().last_failure_ms
    }

    /// Record an active check; returns a transition when a threshold was
    /// crossed.
    pub fn record_check(
        &self,
        hc: &CompiledHealthCheck,
        result: Result<(), NodeError>,
    ) -> Option<Transition> {
        let mut info = self.lock();
        info.last_check_ms = Some(now_ms());
        match result {
            Ok(()) => {
                self.check_failures.store(0, Ordering::Relaxed);
                let n = self.check_successes.fetch_add(1, Ordering::Relaxed) + 1;
                if !self.healthy.load(Ordering::Relaxed) && n >= hc.healthy {
                    self.healthy.store(true, Ordering::Relaxed);
                    info.since_ms = now_ms();
                    return Some(Transition::BecameHealthy);
                }
            }
            Err(e) => {
                info.last_error = Some(e);
                self.check_successes.store(0, Ordering::Relaxed);
                let n = self.check_failures.fetch_add(1, Ordering::Relaxed) + 1;
                if self.healthy.load(Ordering::Relaxed) && n >= hc.unhealthy {
                    self.healthy.store(false, Ordering::Relaxed);
                    info.since_ms = now_ms();
                    return Some(Transition::BecameUnhealthy);
                }
            }
        }
        None
    }

    /// A request succeeded at this node.
    #[inline]
    pub fn record_success(&self, o: &CompiledOutlier, now_ns: u64) {
        if self.request_failures.load(Ordering::Relaxed) != 0 {
            self.request_failures.store(0, Ordering::Relaxed);
        }
        // A node well behaved for a whole maximum ejection starts over.
        let ended = self.last_ejection_end.load(Ordering::Relaxed);
        if ended != 0
            && now_ns.saturating_sub(ended) > o.max_ejection.as_nanos() as u64
            && self.ejections.load(Ordering::Relaxed) != 0
        {
            self.ejections.store(0, Ordering::Relaxed);
        }
    }

    /// A request failed at this node. `may_eject` says whether the share
    /// of ejected nodes leaves room for one more.
    pub fn record_failure(
        &self,
        o: &CompiledOutlier,
        now_ns: u64,
        reason: &NodeError,
        may_eject: impl FnOnce() -> bool,
    ) -> Option<Transition> {
        let n = self.request_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n < o.consecutive_failures || self.is_ejected(now_ns) {
            return None;
        }
        if !may_eject() {
            return None;
        }
        let times = self.ejections.fetch_add(1, Ordering::Relaxed).min(20);
        let length = o
            .base_ejection
            .saturating_mul(1u32 << times)
            .min(o.max_ejection);
        let until = now_ns.saturating_add(length.as_nanos() as u64);
        self.ejected_until.store(until, Ordering::Relaxed);
        self.last_ejection_end.store(until, Ordering::Relaxed);
        self.request_failures.store(0, Ordering::Relaxed);
        let mut info = self.lock();
        info.last_error = Some(reason.clone());
        info.since_ms = now_ms();
        Some(Transition::Ejected(length))
    }

    /// Ejections so far (for tests and the admin API).
    pub fn ejections(&self) -> u32 {
        self.ejections.load(Ordering::Relaxed)
    }

    /// Monotonic ns the current ejection ends (0 = none).
    pub fn ejected_until(&self) -> u64 {
        self.ejected_until.load(Ordering::Relaxed)
    }

    pub fn last_check_ms(&self) -> Option<i64> {
        self.lock().last_check_ms
    }

    pub fn last_error(&self) -> Option<NodeError> {
        self.lock().last_error.clone()
    }

    pub fn since_ms(&self) -> i64 {
        self.lock().since_ms
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Info> {
        self.info.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outlier() -> CompiledOutlier {
        CompiledOutlier {
            consecutive_failures: 3,
            base_ejection: Duration::from_secs(10),
            max_ejection: Duration::from_secs(35),
            max_ejected_percent: 50,
            failure_statuses: vec![502, 503, 504],
        }
    }

    fn check() -> CompiledHealthCheck {
        CompiledHealthCheck {
            kind: weir_core::CheckKind::Tcp,
            interval: Duration::from_secs(1),
            timeout: Duration::from_millis(500),
            healthy: 2,
            unhealthy: 3,
            path: "/".into(),
            expect: vec![(200, 399)],
            host: None,
            grpc_service: String::new(),
        }
    }

    const S: u64 = 1_000_000_000;

    fn refused() -> NodeError {
        NodeError::ConnectRefused {
            addr: "10.0.0.1:80".into(),
        }
    }

    fn status_502() -> NodeError {
        NodeError::FailureStatus {
            addr: "10.0.0.1:80".into(),
            status: "502".into(),
        }
    }

    #[test]
    fn check_thresholds() {
        let st = NodeState::default();
        let hc = check();
        assert_eq!(st.record_check(&hc, Err(refused())), None);
        assert_eq!(st.record_check(&hc, Err(refused())), None);
        assert_eq!(
            st.record_check(&hc, Err(refused())),
            Some(Transition::BecameUnhealthy)
        );
        assert!(!st.available(0));
        assert_eq!(st.last_error(), Some(refused()));
        assert_eq!(st.record_check(&hc, Ok(())), None);
        // A failure in between resets the success count.
        assert_eq!(st.record_check(&hc, Err(status_502())), None);
        assert_eq!(st.record_check(&hc, Ok(())), None);
        assert_eq!(
            st.record_check(&hc, Ok(())),
            Some(Transition::BecameHealthy)
        );
        assert!(st.available(0));
    }

    #[test]
    fn ejection_time_doubles_up_to_the_maximum_then_resets() {
        let st = NodeState::default();
        let o = outlier();
        let mut now = 100 * S;
        let mut lengths = Vec::new();
        for _ in 0..4 {
            for _ in 0..2 {
                assert_eq!(st.record_failure(&o, now, &status_502(), || true), None);
            }
            match st.record_failure(&o, now, &status_502(), || true) {
                Some(Transition::Ejected(d)) => lengths.push(d.as_secs()),
                other => panic!("{other:?}"),
            }
            assert!(!st.available(now));
            now = st.ejected_until() + 1;
            assert!(st.available(now), "back after the ejection");
        }
        assert_eq!(lengths, [10, 20, 35, 35]);
        // A long quiet period forgets the history.
        st.record_success(&o, now + 40 * S);
        assert_eq!(st.ejections(), 0);
        // Successes reset the consecutive count.
        st.record_failure(&o, now + 50 * S, &status_502(), || true);
        st.record_failure(&o, now + 50 * S, &status_502(), || true);
        st.record_success(&o, now + 50 * S);
        assert_eq!(
            st.record_failure(&o, now + 50 * S, &status_502(), || true),
            None
        );
    }

    #[test]
    fn passive_report_without_ejection() {
        let st = NodeState::default();
        assert!(!st.seen_traffic());
        assert_eq!(st.note_failure(3, &refused()), None);
        assert_eq!(st.note_failure(3, &refused()), None);
        assert_eq!(st.status(true, 0), NodeStatus::Healthy);
        assert_eq!(
            st.note_failure(3, &refused()),
            Some(Transition::StartedFailing)
        );
        assert_eq!(st.note_failure(3, &refused()), None);
        assert_eq!(st.status(true, 0), NodeStatus::Failing);
        assert!(st.available(0), "reported, not taken out");
        assert_eq!(st.last_error().map(|e| e.code()), Some("connect_refused"));
        assert!(st.last_failure_ms().is_some());
        assert_eq!(st.failed_in_a_row(), 4);
        assert_eq!(st.note_success(), Some(Transition::StoppedFailing));
        assert_eq!(st.status(true, 0), NodeStatus::Healthy);
        assert_eq!(st.note_success(), None);
        assert_eq!(st.failed_in_a_row(), 0);
    }

    #[test]
    fn no_ejection_when_the_share_is_used_up() {
        let st = NodeState::default();
        let o = outlier();
        for _ in 0..5 {
            assert_eq!(st.record_failure(&o, S, &status_502(), || false), None);
        }
        assert!(st.available(S));
    }
}
