//! `round_robin`: nodes in order, one after the other.
//!
//! A shared atomic counter hands out tickets; ticket `t` goes to node
//! `t % n`. When that node is not usable, the next ones in order are tried
//! (at most `n` `usable` calls), and the counter is advanced past the node
//! chosen, as if the skipped tickets had been taken. Without that, the node
//! after an unavailable one would receive its share too (2× traffic); with
//! it, one thread sees nodes 0, 2, 0, 2 … when node 1 of 3 is down, and
//! many threads see an even spread.
//!
//! Cost per pick: one `fetch_add` and one `usable` call in the common case.

use std::sync::atomic::Ordering;

use super::PaddedCounter;

pub(super) struct RoundRobin {
    nodes: usize,
    next: PaddedCounter,
}

impl RoundRobin {
    pub(super) fn new(nodes: usize) -> Self {
        Self {
            nodes,
            next: PaddedCounter::default(),
        }
    }

    pub(super) fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.nodes;
        if n == 0 {
            return None;
        }
        // Relaxed: the counter only spreads load; it orders no other memory.
        // It wraps at usize::MAX, which merely restarts the cycle.
        let start = self.next.0.fetch_add(1, Ordering::Relaxed) % n;
        for skipped in 0..n {
            let i = (start + skipped) % n;
            if ok(i) {
                if skipped > 0 {
                    self.next.0.fetch_add(skipped, Ordering::Relaxed);
                }
                return Some(i);
            }
        }
        None
    }
}
