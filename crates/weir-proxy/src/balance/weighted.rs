//! `weighted_round_robin`: nginx's smooth weighted round robin.
//!
//! nginx's algorithm, per pick: add each node's weight to its `current`,
//! choose the node with the largest `current` (the first in order on a tie),
//! subtract the total weight from the chosen node's `current`. Weights 5:1:1
//! give `a a b a c a a` — spread out, not `a a a a a b c`.
//!
//! Run directly, that is O(n) per pick under a lock. But the sequence is
//! periodic: after `S` picks (`S` = sum of the weights divided by their
//! greatest common divisor) every `current` is back to zero. So when
//! `S ≤ MAX_SCHEDULE` the whole period is computed once, at build time, and a
//! pick is one atomic `fetch_add` indexing into it: lock-free, O(1), and
//! exactly nginx's sequence. The schedule takes at most 256 KiB.
//!
//! When `S` is larger (weights such as 1_000_000 : 999_999 : 3 have no common
//! divisor), the schedule would be too big and the balancer falls back to
//! running nginx's algorithm under a `Mutex`, O(n) per pick. That keeps exact
//! proportions, which a scaled-down schedule would not (it must round small
//! weights up to one slot). Such weights are rare in practice, and the lock
//! is held only for the loop over the nodes.
//!
//! Unusable nodes:
//! - schedule: move on to the next *different* node in the schedule (one run
//!   at a time, see `cycle.rs`) and advance the counter past it, as if the
//!   skipped slots had been taken — the unavailable node's share is spread
//!   over the nodes that follow it, i.e. roughly by weight. After
//!   `2n + 16` runs without success (only when most of the weight is
//!   unavailable) a node is chosen by weight from the ticket number: two
//!   O(n) passes, still deterministic and proportional.
//! - mutex: exactly what nginx does with a down peer — it takes no part in
//!   that pick and the total is that of the participating nodes.
//!
//! Disabled and weight-0 nodes are left out of both forms.

use std::sync::Mutex;
use std::sync::atomic::Ordering;

use weir_core::compile::CompiledNode;

use super::PaddedCounter;
use super::cycle::Cycle;

/// Longest precomputed schedule (entries of 4 bytes).
pub(super) const MAX_SCHEDULE: u64 = 65_536;

pub(super) enum WeightedRoundRobin {
    /// No enabled node with a weight.
    Empty,
    Schedule(Schedule),
    Locked(Locked),
}

/// The eligible nodes: `(index, weight / gcd)`, in node order.
type Eligible = Box<[(usize, u64)]>;

pub(super) struct Schedule {
    cycle: Cycle,
    next: PaddedCounter,
    eligible: Eligible,
    max_runs: usize,
}

pub(super) struct Locked {
    eligible: Eligible,
    /// nginx's `current_weight` per eligible node.
    current: Mutex<Box<[i64]>>,
}

impl WeightedRoundRobin {
    pub(super) fn new(nodes: &[CompiledNode]) -> Self {
        let raw: Vec<(usize, u64)> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.enabled && n.weight > 0)
            .map(|(i, n)| (i, u64::from(n.weight)))
            .collect();
        let divisor = raw.iter().fold(0, |g, &(_, w)| gcd(g, w));
        if divisor == 0 {
            return Self::Empty;
        }
        let eligible: Eligible = raw.iter().map(|&(i, w)| (i, w / divisor)).collect();
        let period: u64 = eligible.iter().map(|&(_, w)| w).sum();
        if period <= MAX_SCHEDULE {
            let max_runs = eligible.len().saturating_mul(2).saturating_add(16);
            Self::Schedule(Schedule {
                cycle: Cycle::new(smooth_schedule(&eligible, period)),
                next: PaddedCounter::default(),
                eligible,
                max_runs,
            })
        } else {
            Self::Locked(Locked {
                current: Mutex::new(vec![0; eligible.len()].into_boxed_slice()),
                eligible,
            })
        }
    }

    pub(super) fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        match self {
            Self::Empty => None,
            Self::Schedule(s) => s.pick(ok),
            Self::Locked(l) => l.pick(ok),
        }
    }
}

impl Schedule {
    fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        // Relaxed: the counter only spreads load. Wrapping at usize::MAX
        // restarts the period at an arbitrary point, which is harmless.
        let ticket = self.next.0.fetch_add(1, Ordering::Relaxed);
        let start = ticket % self.cycle.len().max(1);
        if let Some((node, skipped)) = self.cycle.walk(start, self.max_runs, &ok) {
            if skipped > 0 {
                self.next.0.fetch_add(skipped, Ordering::Relaxed);
            }
            return Some(node);
        }
        by_weight(&self.eligible, ticket as u64, &ok)
    }
}

/// The usable node that owns `ticket` when the usable nodes' weights are
/// laid end to end (modulo their total).
fn by_weight(eligible: &[(usize, u64)], ticket: u64, ok: impl Fn(usize) -> bool) -> Option<usize> {
    let total: u64 = eligible
        .iter()
        .filter(|&&(i, _)| ok(i))
        .map(|&(_, w)| w)
        .sum();
    if total == 0 {
        return None;
    }
    let target = ticket % total;
    let mut acc = 0u64;
    let mut last = None;
    for &(i, w) in eligible.iter().filter(|&&(i, _)| ok(i)) {
        acc += w;
        if target < acc {
            return Some(i);
        }
        last = Some(i);
    }
    // `usable` changed between the passes; any usable node will do.
    last
}

impl Locked {
    fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        // A panic in `ok` while the lock is held poisons the mutex; the
        // weights are still consistent enough to keep balancing.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = 0i64;
        // (slot in `eligible`, its `current`)
        let mut best: Option<(usize, i64)> = None;
        for ((slot, &(i, w)), c) in self.eligible.iter().enumerate().zip(current.iter_mut()) {
            if !ok(i) {
                continue;
            }
            // Reduced weights are at most 1_000_000 each; saturating ops keep
            // a pathological node count from ever overflowing.
            let w = i64::try_from(w).unwrap_or(i64::MAX);
            total = total.saturating_add(w);
            *c = c.saturating_add(w);
            if best.is_none_or(|(_, b)| *c > b) {
                best = Some((slot, *c));
            }
        }
        let (best, _) = best?;
        if let Some(c) = current.get_mut(best) {
            *c = c.saturating_sub(total);
        }
        self.eligible.get(best).map(|&(i, _)| i)
    }
}

/// One period of nginx's smooth WRR over `eligible` (reduced weights summing
/// to `period`), as node indexes.
///
/// Simulated directly this is O(period × nodes) — up to 4·10⁹ steps with
/// 65,536 weight-1 nodes. Instead nodes are grouped by weight: within a
/// group every `current` is `t·w − period·picks`, so the group's best is the
/// member picked least often, lowest index first — members take turns in
/// index order, tracked by a cursor. Each step then compares one candidate
/// per distinct weight, and distinct weights summing to at most 65,536 number
/// at most 361, bounding the build at ~24 million comparisons. Ties between
/// groups go to the lower node index, as in nginx.
pub(super) fn smooth_schedule(eligible: &[(usize, u64)], period: u64) -> Vec<u32> {
    struct Group {
        weight: i64,
        members: Vec<u32>,
        cursor: usize,
        /// Completed turns: picks so far of `members[cursor..]`.
        rounds: i64,
    }
    let mut groups: Vec<Group> = Vec::new();
    for &(i, w) in eligible {
        let (Ok(weight), Ok(index)) = (i64::try_from(w), u32::try_from(i)) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.weight == weight) {
            Some(g) => g.members.push(index),
            None => groups.push(Group {
                weight,
                members: vec![index],
                cursor: 0,
                rounds: 0,
            }),
        }
    }
    let period_i = i64::try_from(period).unwrap_or(i64::MAX);
    let mut out = Vec::with_capacity(usize::try_from(period).unwrap_or(0));
    for t in 1..=period_i {
        let mut best: Option<(usize, i64, u32)> = None;
        for (gi, g) in groups.iter().enumerate() {
            let Some(&candidate) = g.members.get(g.cursor) else {
                continue;
            };
            let value = t * g.weight - period_i * g.rounds;
            let better = match best {
                None => true,
                Some((_, bv, bi)) => value > bv || (value == bv && candidate < bi),
            };
            if better {
                best = Some((gi, value, candidate));
            }
        }
        let Some((gi, _, candidate)) = best else {
            break;
        };
        out.push(candidate);
        if let Some(g) = groups.get_mut(gi) {
            g.cursor += 1;
            if g.cursor == g.members.len() {
                g.cursor = 0;
                g.rounds += 1;
            }
        }
    }
    out
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
