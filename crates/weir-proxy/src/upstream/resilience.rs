//! Runtime state of an upstream's retry budget and circuit breaker: atomic
//! counts of the requests in flight, the requests being retried, requests
//! waiting for a connection and connections open, plus the counts
//! `/metrics` exports. Shared by every request of the upstream and carried
//! over when its configuration changes, so in-flight requests keep counting
//! against the same numbers across a reload.
//!
//! Every count is raised by a guard that remembers what it raised and
//! lowers exactly that when dropped: a request admitted before a limit was
//! configured never lowers a count it did not raise.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use weir_core::compile::CompiledBudget;
use weir_core::model::CircuitBreaker;

/// The circuit breaker limit a request ran into.
// Named after the `circuit_breaker.max_*` settings they stand for.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerLimit {
    MaxConnections,
    MaxPending,
    MaxRequests,
}

impl BreakerLimit {
    pub const ALL: [BreakerLimit; 3] = [
        BreakerLimit::MaxConnections,
        BreakerLimit::MaxPending,
        BreakerLimit::MaxRequests,
    ];

    /// The setting's name (a metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerLimit::MaxConnections => "max_connections",
            BreakerLimit::MaxPending => "max_pending",
            BreakerLimit::MaxRequests => "max_requests",
        }
    }
}

/// One upstream's counts. See the module docs.
#[derive(Debug, Default)]
pub struct Resilience {
    /// Requests in flight: from the first try until the response ends.
    /// Counted when a budget or `max_requests` needs it.
    requests: Padded,
    /// Requests in flight that have been retried (with a budget).
    retrying: Padded,
    /// The budget's floor: `second << 32 | retries started in it`.
    floor: AtomicU64,
    pending: AtomicU64,
    connections: AtomicU64,
    retries: AtomicU64,
    budget_refused: AtomicU64,
    open: [AtomicU64; 3],
}

/// What is in use now, for explain and the admin API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InUse {
    pub connections: u64,
    pub pending: u64,
    pub requests: u64,
}

/// A count every request of a busy upstream may write, on a cache line of
/// its own (see `balance::PaddedCounter`).
#[derive(Debug, Default)]
#[repr(align(64))]
struct Padded(AtomicU64);

impl std::ops::Deref for Padded {
    type Target = AtomicU64;

    fn deref(&self) -> &AtomicU64 {
        &self.0
    }
}

/// Held while a request is in flight (until its response ends): lowers
/// what it raised when dropped. Holds nothing when nothing is counted, so
/// an upstream without a budget or `max_requests` pays no shared write.
#[derive(Debug)]
pub struct InFlight {
    of: Option<Arc<Resilience>>,
    retry: bool,
}

/// Held while a request waits for a connection, or by a connection for as
/// long as it is open.
#[derive(Debug)]
pub struct Slot {
    of: Arc<Resilience>,
    pending: bool,
}

/// Raise `count` unless that would take it past `limit`.
fn raise(count: &AtomicU64, limit: u32) -> bool {
    let before = count.fetch_add(1, Ordering::AcqRel);
    if before >= u64::from(limit) {
        count.fetch_sub(1, Ordering::AcqRel);
        return false;
    }
    true
}

impl Resilience {
    /// A request enters the upstream: refused when `max_requests` are in
    /// flight already. Counted only when a limit or a budget reads it.
    pub fn enter(
        self: &Arc<Self>,
        breaker: Option<&CircuitBreaker>,
        budgeted: bool,
    ) -> Result<InFlight, BreakerLimit> {
        let limit = breaker.and_then(|b| b.max_requests);
        let counted = match limit {
            Some(max) if !raise(&self.requests, max) => {
                return Err(self.refused(BreakerLimit::MaxRequests));
            }
            Some(_) => true,
            None if budgeted => {
                self.requests.fetch_add(1, Ordering::AcqRel);
                true
            }
            None => false,
        };
        Ok(InFlight {
            of: counted.then(|| Arc::clone(self)),
            retry: false,
        })
    }

    /// A request must wait for a new connection: refused when
    /// `max_pending` are waiting already.
    pub fn pending(self: &Arc<Self>, limit: Option<u32>) -> Result<Option<Slot>, BreakerLimit> {
        self.slot(limit, &self.pending, BreakerLimit::MaxPending, true)
    }

    /// A connection is to be opened: refused when `max_connections` are
    /// open already. The slot lives as long as the connection.
    pub fn connection(self: &Arc<Self>, limit: Option<u32>) -> Result<Option<Slot>, BreakerLimit> {
        self.slot(
            limit,
            &self.connections,
            BreakerLimit::MaxConnections,
            false,
        )
    }

    fn slot(
        self: &Arc<Self>,
        limit: Option<u32>,
        count: &AtomicU64,
        which: BreakerLimit,
        pending: bool,
    ) -> Result<Option<Slot>, BreakerLimit> {
        let Some(max) = limit else { return Ok(None) };
        if !raise(count, max) {
            return Err(self.refused(which));
        }
        Ok(Some(Slot {
            of: Arc::clone(self),
            pending,
        }))
    }

    fn refused(&self, limit: BreakerLimit) -> BreakerLimit {
        let i = BreakerLimit::ALL
            .iter()
            .position(|l| *l == limit)
            .unwrap_or(0);
        self.open[i].fetch_add(1, Ordering::Relaxed);
        limit
    }

    /// May `flight` be tried again now (`now_ns` on [`crate::clock`])?
    /// Counts the retry when it may.
    pub fn admit_retry(
        &self,
        flight: &mut InFlight,
        budget: Option<&CompiledBudget>,
        now_ns: u64,
    ) -> bool {
        self.retries.fetch_add(1, Ordering::Relaxed);
        let Some(b) = budget else { return true };
        if !(self.within_share(flight.retry, b.percent) || self.floor(b, now_ns)) {
            self.retries.fetch_sub(1, Ordering::Relaxed);
            self.budget_refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // A budgeted request is counted (see `enter`): it holds the count.
        if !flight.retry && flight.of.is_some() {
            flight.retry = true;
            self.retrying.fetch_add(1, Ordering::AcqRel);
        }
        true
    }

    /// The share: with this request among them, at most `percent` of the
    /// requests in flight are being retried.
    fn within_share(&self, already: bool, percent: u32) -> bool {
        let live = self.requests.load(Ordering::Acquire);
        let retrying = self.retrying.load(Ordering::Acquire);
        share_allows(live, retrying + u64::from(!already), percent)
    }

    /// The floor: `min_per_second` retries may start each second.
    fn floor(&self, budget: &CompiledBudget, now_ns: u64) -> bool {
        let second = now_ns / 1_000_000_000;
        let mut cur = self.floor.load(Ordering::Acquire);
        loop {
            let Some(next) = floor_next(cur, second, budget.min_per_second) else {
                return false;
            };
            match self
                .floor
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(seen) => cur = seen,
            }
        }
    }

    pub fn in_use(&self) -> InUse {
        InUse {
            connections: self.connections.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    /// Retries started, ever.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Retries the budget refused, ever.
    pub fn budget_refused(&self) -> u64 {
        self.budget_refused.load(Ordering::Relaxed)
    }

    /// Requests refused at `limit`, ever.
    pub fn circuit_open(&self, limit: BreakerLimit) -> u64 {
        let i = BreakerLimit::ALL
            .iter()
            .position(|l| *l == limit)
            .unwrap_or(0);
        self.open[i].load(Ordering::Relaxed)
    }
}

/// `retrying` (this request included) is at most `percent` % of `live`.
fn share_allows(live: u64, retrying: u64, percent: u32) -> bool {
    retrying.saturating_mul(100) <= live.saturating_mul(u64::from(percent))
}

/// The floor word after one more retry in `second`, or `None` when
/// `per_second` have started in it already.
fn floor_next(cur: u64, second: u64, per_second: u32) -> Option<u64> {
    let (at, started) = (cur >> 32, cur & 0xffff_ffff);
    let started = if at == second & 0xffff_ffff {
        started
    } else {
        0
    };
    (started < u64::from(per_second)).then(|| ((second & 0xffff_ffff) << 32) | (started + 1))
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let Some(of) = &self.of else { return };
        of.requests.fetch_sub(1, Ordering::AcqRel);
        if self.retry {
            of.retrying.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let count = if self.pending {
            &self.of.pending
        } else {
            &self.of.connections
        };
        count.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn budget(percent: u32, min_per_second: u32) -> CompiledBudget {
        CompiledBudget {
            percent,
            min_per_second,
        }
    }

    #[test]
    fn the_share_counts_the_request_being_retried() {
        // 20 % of 10 live requests: two may be retried at once.
        assert!(share_allows(10, 1, 20));
        assert!(share_allows(10, 2, 20));
        assert!(!share_allows(10, 3, 20));
        // One request alone is never 20 % of itself.
        assert!(!share_allows(1, 1, 20));
        assert!(share_allows(1, 1, 100));
        assert!(!share_allows(0, 1, 100));
        assert!(!share_allows(u64::MAX, u64::MAX, 0));
    }

    #[test]
    fn the_floor_lets_min_per_second_retries_start_each_second() {
        let mut word = 0;
        let mut started = 0;
        for _ in 0..10 {
            if let Some(next) = floor_next(word, 5, 3) {
                word = next;
                started += 1;
            }
        }
        assert_eq!(started, 3);
        // A new second starts over.
        assert!(floor_next(word, 6, 3).is_some());
        assert_eq!(floor_next(0, 7, 0), None);
    }

    #[test]
    fn retries_stay_within_the_budget_with_an_injected_clock() {
        let res = Arc::new(Resilience::default());
        let b = budget(20, 2);
        // Ten requests in flight; each wants to be retried.
        let mut flights: Vec<InFlight> = (0..10).map(|_| res.enter(None, true).unwrap()).collect();
        let admitted = flights
            .iter_mut()
            .map(|f| res.admit_retry(f, Some(&b), 3 * SEC))
            .filter(|ok| *ok)
            .count();
        // Two by the share, two by the floor of second 3.
        assert_eq!(admitted, 4);
        assert_eq!(res.retries(), 4);
        assert_eq!(res.budget_refused(), 6);
        // The next second's floor lets two more start.
        let more = flights
            .iter_mut()
            .filter(|f| !f.retry)
            .map(|f| res.admit_retry(f, Some(&b), 4 * SEC + 1))
            .filter(|ok| *ok)
            .count();
        assert_eq!(more, 2);
        // A request already retried stays within the share it was given.
        assert!(res.admit_retry(&mut flights[0], Some(&budget(100, 0)), 4 * SEC));
        drop(flights);
        assert_eq!(res.in_use(), InUse::default());
        assert_eq!(res.retrying.load(Ordering::Relaxed), 0);
        // Without a budget (the built-in behaviour) every retry may go,
        // and nothing is counted in flight.
        let mut f = res.enter(None, false).unwrap();
        assert!(f.of.is_none());
        assert!(res.admit_retry(&mut f, None, 0));
        assert_eq!(res.retries(), 8);
    }

    #[test]
    fn the_breaker_refuses_over_its_limits_and_counts_it() {
        let res = Arc::new(Resilience::default());
        let cb = CircuitBreaker {
            max_connections: Some(1),
            max_pending: Some(2),
            max_requests: Some(2),
        };
        let a = res.enter(Some(&cb), false).unwrap();
        let b = res.enter(Some(&cb), false).unwrap();
        assert_eq!(
            res.enter(Some(&cb), false).unwrap_err(),
            BreakerLimit::MaxRequests
        );
        let conn = res.connection(cb.max_connections).unwrap();
        assert!(conn.is_some());
        assert_eq!(
            res.connection(cb.max_connections).unwrap_err(),
            BreakerLimit::MaxConnections
        );
        let p = (
            res.pending(Some(2)),
            res.pending(Some(2)),
            res.pending(Some(2)),
        );
        assert!(p.0.is_ok() && p.1.is_ok() && p.2.is_err());
        assert_eq!(
            res.in_use(),
            InUse {
                connections: 1,
                pending: 2,
                requests: 2
            }
        );
        drop((a, b, conn, p));
        assert_eq!(res.in_use(), InUse::default());
        assert!(res.enter(Some(&cb), false).is_ok());
        for (limit, n) in [
            (BreakerLimit::MaxRequests, 1),
            (BreakerLimit::MaxConnections, 1),
            (BreakerLimit::MaxPending, 1),
        ] {
            assert_eq!(res.circuit_open(limit), n, "{limit:?}");
        }
        // No limit: nothing counted, nothing refused.
        assert!(res.pending(None).unwrap().is_none());
    }
}
