//! Choosing an upstream node for each request.
//!
//! A [`Balancer`] is built once per (strategy, node list) — it is meant to
//! live in an `Arc` and be kept across configuration reloads while neither
//! changes, so that round-robin positions, smooth-WRR progress and in-flight
//! counts carry over. [`Balancer::pick`] runs once per proxied request on
//! every runtime thread at once, so it takes no lock (except the large-weight
//! WRR fallback, see `weighted`), allocates nothing and is bounded on every
//! input.
//!
//! Files:
//! - `mod.rs`: [`Balancer`], [`Pick`] and dispatch to the strategies;
//! - `random.rs`, `round_robin.rs`, `weighted.rs`, `consistent_hash.rs`,
//!   `least_request.rs`: one strategy each;
//! - `cycle.rs`: a cyclic node sequence that can skip whole runs of one node,
//!   shared by the WRR schedule and the hash ring;
//! - `hash.rs`: the fixed, process- and version-independent [`hash_key`].
//!
//! Availability is decided by the caller: `pick` receives a `usable(i)`
//! predicate (configured `enabled` combined with health state) and an
//! optional node to `exclude` (the one a retry just failed on). Nodes
//! configured `enabled: false` are never picked whatever `usable` says. When
//! the node a strategy would choose is not available, the strategy falls
//! back deterministically (see each strategy); `None` means no available
//! node remains.

mod consistent_hash;
mod cycle;
mod hash;
mod least_request;
mod random;
mod round_robin;
mod weighted;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::atomic::AtomicUsize;

use weir_core::Balance;
use weir_core::compile::CompiledNode;

pub(crate) use hash::hash_key;

use consistent_hash::ConsistentHash;
use least_request::{InFlight, LeastRequest};
use random::Random;
use round_robin::RoundRobin;
use weighted::WeightedRoundRobin;

/// Per-service node selection. `Send + Sync`; share it through an `Arc`.
pub struct Balancer {
    balance: Balance,
    /// Configured `enabled` per node: a disabled node is never picked.
    enabled: Box<[bool]>,
    strategy: Strategy,
}

enum Strategy {
    Random(Random),
    RoundRobin(RoundRobin),
    WeightedRoundRobin(WeightedRoundRobin),
    ConsistentHash(ConsistentHash),
    LeastRequest(LeastRequest),
}

/// The node chosen for one request.
///
/// Keep the `Pick` alive until the request to the node has finished (response
/// body included): with `least_request` it carries the node's in-flight
/// count, which drops when the `Pick` does.
#[derive(Debug)]
#[must_use = "dropping a Pick ends its in-flight count for least_request"]
pub struct Pick {
    /// Index into the node list the balancer was built from.
    pub index: usize,
    _in_flight: Option<InFlight>,
}

impl Balancer {
    /// Build the balancer for `nodes` (in configuration order; [`Pick::index`]
    /// refers to this order). Never fails: an empty or fully disabled list
    /// gives a balancer whose `pick` returns `None`.
    pub fn new(balance: Balance, nodes: &[CompiledNode]) -> Self {
        let enabled: Box<[bool]> = nodes.iter().map(|n| n.enabled).collect();
        let strategy = match balance {
            Balance::Random => Strategy::Random(Random::new(nodes.len())),
            Balance::RoundRobin => Strategy::RoundRobin(RoundRobin::new(nodes.len())),
            Balance::WeightedRoundRobin => {
                Strategy::WeightedRoundRobin(WeightedRoundRobin::new(nodes))
            }
            Balance::ConsistentHash => Strategy::ConsistentHash(ConsistentHash::new(nodes)),
            Balance::LeastRequest => Strategy::LeastRequest(LeastRequest::new(nodes.len())),
        };
        Self {
            balance,
            enabled,
            strategy,
        }
    }

    /// The strategy this balancer was built for.
    pub fn balance(&self) -> Balance {
        self.balance
    }

    /// Pick a node.
    ///
    /// - `hash`: the request's key hash (see [`hash_key`]); only
    ///   `consistent_hash` reads it.
    /// - `usable(i)`: whether node `i` may be picked right now. It may be
    ///   called several times per pick and, for the large-weight WRR
    ///   fallback, while a lock is held — keep it cheap and non-blocking.
    /// - `exclude`: a node already tried for this request. It is never
    ///   returned, even when it is the only usable node (the caller decides
    ///   whether to try it again).
    ///
    /// Returns `None` when no usable node remains.
    pub fn pick(
        &self,
        hash: u64,
        usable: impl Fn(usize) -> bool,
        exclude: Option<usize>,
    ) -> Option<Pick> {
        let enabled = &self.enabled;
        let ok =
            |i: usize| exclude != Some(i) && enabled.get(i).copied().unwrap_or(false) && usable(i);
        let plain = |index| Pick {
            index,
            _in_flight: None,
        };
        match &self.strategy {
            Strategy::Random(s) => s.pick(ok).map(plain),
            Strategy::RoundRobin(s) => s.pick(ok).map(plain),
            Strategy::WeightedRoundRobin(s) => s.pick(ok).map(plain),
            Strategy::ConsistentHash(s) => s.pick(hash, ok).map(plain),
            Strategy::LeastRequest(s) => s.pick(ok).map(|(index, guard)| Pick {
                index,
                _in_flight: Some(guard),
            }),
        }
    }
}

/// What [`Balancer::peek`] sees for the next pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// Exactly this node: the strategy is a pure function of the request
    /// (`consistent_hash`), or only one node is usable.
    Node(usize),
    /// One of these nodes (node order): which one depends on a random draw
    /// (`random`, `least_request`) or on a cursor that every request moves
    /// (`round_robin`, `weighted_round_robin`).
    OneOf(Vec<usize>),
    /// No usable node.
    Empty,
}

impl Balancer {
    /// Which node [`Balancer::pick`] would choose for a request with `hash`,
    /// without choosing it: no cursor moves, no in-flight count changes.
    /// For explain, which must answer without disturbing live traffic.
    pub fn peek(&self, hash: u64, usable: impl Fn(usize) -> bool) -> Peek {
        let enabled = &self.enabled;
        let ok = |i: usize| enabled.get(i).copied().unwrap_or(false) && usable(i);
        if let Strategy::ConsistentHash(s) = &self.strategy {
            // The ring walk reads only the ring: it is side-effect free.
            return s.pick(hash, ok).map_or(Peek::Empty, Peek::Node);
        }
        let candidates: Vec<usize> = (0..enabled.len()).filter(|&i| ok(i)).collect();
        match candidates.as_slice() {
            [] => Peek::Empty,
            [only] => Peek::Node(*only),
            _ => Peek::OneOf(candidates),
        }
    }
}

impl fmt::Debug for Balancer {
    // The schedules and rings can hold up to a million entries; print a
    // summary rather than their contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Balancer")
            .field("balance", &self.balance.as_str())
            .field("nodes", &self.enabled.len())
            .finish_non_exhaustive()
    }
}

/// An atomic counter on its own cache line. Counters written by every request
/// (round-robin positions, in-flight counts) would otherwise share a line
/// with read-mostly data or with each other, and every write would evict the
/// line from the other cores' caches (false sharing).
#[derive(Debug, Default)]
#[repr(align(64))]
struct PaddedCounter(AtomicUsize);

#[cfg(test)]
mod peek_tests {
    use weir_core::compile::NodeAddr;

    use super::*;

    fn nodes(n: usize) -> Vec<CompiledNode> {
        (0..n)
            .map(|i| CompiledNode {
                addr: NodeAddr::parse(&format!("10.0.0.{i}:80")).unwrap(),
                weight: 1,
                enabled: i != 2,
            })
            .collect()
    }

    #[test]
    fn peek_moves_nothing_and_agrees_with_pick() {
        let list = nodes(4);
        let rr = Balancer::new(Balance::RoundRobin, &list);
        let first: Vec<usize> = (0..3)
            .map(|_| rr.pick(0, |_| true, None).unwrap().index)
            .collect();
        for _ in 0..100 {
            assert_eq!(rr.peek(0, |_| true), Peek::OneOf(vec![0, 1, 3]));
        }
        // The rotation continues where it was: 0, 1, 3, then 0 again.
        assert_eq!(first, [0, 1, 3]);
        assert_eq!(rr.pick(0, |_| true, None).unwrap().index, 0);

        let ring = Balancer::new(Balance::ConsistentHash, &list);
        for key in 0..200u64 {
            let h = hash_key(&key.to_le_bytes());
            let Peek::Node(i) = ring.peek(h, |i| i != 1) else {
                panic!("consistent hash peeks one node")
            };
            assert_eq!(ring.pick(h, |i| i != 1, None).unwrap().index, i);
            assert!(i != 1 && i != 2);
        }

        let lr = Balancer::new(Balance::LeastRequest, &list);
        let held = lr.pick(0, |_| true, None).unwrap();
        assert_eq!(lr.peek(0, |i| i == 3), Peek::Node(3));
        assert_eq!(lr.peek(0, |_| false), Peek::Empty);
        drop(held);
    }
}
