//! `least_request`: the power of two choices over in-flight request counts.
//!
//! Two distinct usable nodes are drawn at random and the one with fewer
//! requests in flight wins (the first drawn on a tie, which is itself
//! random). Comparing two random nodes instead of scanning for the global
//! minimum keeps a pick O(1) and avoids herding: every instance and thread
//! chasing the same momentarily idle node.
//!
//! Each node's count lives on its own cache line (see `PaddedCounter`), is
//! incremented by the pick and decremented when the returned [`InFlight`]
//! guard is dropped. The counts are shared through an `Arc`, so the guard
//! needs no lifetime and can travel with the request future; cloning the
//! `Arc` is an atomic increment, not an allocation.
//!
//! Cost per pick: two RNG draws, two loads, one `fetch_add` and one `Arc`
//! clone in the common case (draws fall back as in `random`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::PaddedCounter;
use super::random::random_usable;

pub(super) struct LeastRequest {
    in_flight: Arc<[PaddedCounter]>,
}

/// One request in flight on one node; decrements the count on drop.
#[derive(Debug)]
pub(super) struct InFlight {
    counts: Arc<[PaddedCounter]>,
    index: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(c) = self.counts.get(self.index) {
            c.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl LeastRequest {
    pub(super) fn new(nodes: usize) -> Self {
        Self {
            in_flight: (0..nodes).map(|_| PaddedCounter::default()).collect(),
        }
    }

    pub(super) fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<(usize, InFlight)> {
        let n = self.in_flight.len();
        let rng = &mut rand::rng();
        let first = random_usable(n, rng, &ok)?;
        let chosen = match random_usable(n, rng, |i| i != first && ok(i)) {
            Some(second) if self.load(second) < self.load(first) => second,
            _ => first,
        };
        let counter = self.in_flight.get(chosen)?;
        // Relaxed: the counts are a load estimate; nothing is published
        // through them.
        counter.0.fetch_add(1, Ordering::Relaxed);
        Some((
            chosen,
            InFlight {
                counts: Arc::clone(&self.in_flight),
                index: chosen,
            },
        ))
    }

    fn load(&self, i: usize) -> usize {
        self.in_flight
            .get(i)
            .map_or(usize::MAX, |c| c.0.load(Ordering::Relaxed))
    }

    /// Current in-flight count of node `i` (tests).
    #[cfg(test)]
    pub(super) fn in_flight(&self, i: usize) -> usize {
        self.load(i)
    }
}
