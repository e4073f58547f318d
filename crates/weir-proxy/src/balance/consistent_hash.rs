//! `consistent_hash`: a hash ring with virtual nodes, weighted by node weight.
//!
//! Each node owns points on a 64-bit ring at `ring_point(addr, j)` for
//! `j < points`; a key belongs to the first point at or after its hash
//! (clockwise, wrapping). Points derive from the node's *address*, not its
//! index, so a new balancer built without one node — or with nodes
//! reordered — keeps every other key where it was: only the removed node's
//! keys move, to the next point clockwise.
//!
//! Points per node: [`POINTS_PER_UNIT`] for the smallest weight, scaled
//! linearly for the others, so a node's count depends on its own weight and
//! the smallest weight only (not on the total — adding or removing a node
//! leaves the others' points alone, unless it changes the smallest weight).
//! 256 points give each node's share of the keys a relative spread of about
//! 1/√256 ≈ 6%. The ring is capped at [`MAX_POINTS`] points (16 bytes each:
//! 8 MiB); beyond that every count is scaled down proportionally (at least
//! one point per node), which happens from ~2,000 equal-weight nodes or with
//! very uneven weights. Disabled nodes keep their points — a pick just walks
//! past them — so disabling one is the same as it being unusable.
//!
//! When the key's node is not usable (or is excluded), the walk continues
//! clockwise to the next point of a *different* node (one run of points at a
//! time, see `cycle.rs`), so that node's keys spread over its ring
//! neighbours and all other keys stay. Up to [`MAX_RUNS`] runs are tried;
//! past that (only when nearly every node is unusable) the node is chosen by
//! rendezvous hashing among the usable ones: O(n), still a pure function of
//! the key and the usable set.
//!
//! Cost per pick: a binary search over the ring (≤ 19 steps) and one
//! `usable` call in the common case.

use weir_core::compile::CompiledNode;

use super::cycle::Cycle;
use super::hash::{hash_key, rendezvous, ring_point};

/// Points of a node of the smallest weight.
pub(super) const POINTS_PER_UNIT: u64 = 256;
/// Most points on one ring.
pub(super) const MAX_POINTS: u64 = 1 << 19;
/// Runs of points walked before falling back to rendezvous hashing.
const MAX_RUNS: usize = 256;

pub(super) struct ConsistentHash {
    /// Ring positions, ascending; `ring` holds the owner of each.
    hashes: Box<[u64]>,
    ring: Cycle,
    /// `(index, hash_key(addr))` of every node on the ring, for the fallback.
    members: Box<[(usize, u64)]>,
}

impl ConsistentHash {
    pub(super) fn new(nodes: &[CompiledNode]) -> Self {
        let min_weight = nodes
            .iter()
            .map(|n| u64::from(n.weight))
            .filter(|&w| w > 0)
            .min()
            .unwrap_or(1);
        let mut counts: Vec<u64> = nodes
            .iter()
            .map(|n| {
                let w = u64::from(n.weight);
                // Rounded; at least one point for any weight > 0.
                if w == 0 {
                    0
                } else {
                    ((POINTS_PER_UNIT * w + min_weight / 2) / min_weight).max(1)
                }
            })
            .collect();
        let total: u64 = counts.iter().sum();
        if total > MAX_POINTS {
            for c in counts.iter_mut().filter(|c| **c > 0) {
                let scaled = u128::from(*c) * u128::from(MAX_POINTS) / u128::from(total);
                *c = u64::try_from(scaled).unwrap_or(1).max(1);
            }
        }

        let capacity: u64 = counts.iter().sum();
        let mut points: Vec<(u64, u32)> =
            Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        let mut members = Vec::new();
        for (i, (node, &count)) in nodes.iter().zip(&counts).enumerate() {
            let Ok(owner) = u32::try_from(i) else { break };
            if count == 0 {
                continue;
            }
            let addr = node.addr.to_string();
            members.push((i, hash_key(addr.as_bytes())));
            // Counts are ≤ MAX_POINTS after scaling, so they fit in u32.
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            points.extend((0..count).map(|j| (ring_point(addr.as_bytes(), j), owner)));
        }
        // Sorting by (position, owner) makes ties between nodes — vanishingly
        // rare with 64-bit positions — resolve the same way everywhere.
        points.sort_unstable();
        let hashes = points.iter().map(|&(h, _)| h).collect();
        let owners = points.into_iter().map(|(_, o)| o).collect();
        Self {
            hashes,
            ring: Cycle::new(owners),
            members: members.into_boxed_slice(),
        }
    }

    pub(super) fn pick(&self, key: u64, ok: impl Fn(usize) -> bool) -> Option<usize> {
        if self.hashes.is_empty() {
            return None;
        }
        let at = self.hashes.partition_point(|&h| h < key);
        let start = if at == self.hashes.len() { 0 } else { at };
        if let Some((node, _)) = self.ring.walk(start, MAX_RUNS, &ok) {
            return Some(node);
        }
        self.members
            .iter()
            .filter(|&&(i, _)| ok(i))
            .max_by_key(|&&(_, seed)| rendezvous(key, seed))
            .map(|&(i, _)| i)
    }

    /// Ring points per node index, for `nodes` nodes (tests).
    #[cfg(test)]
    pub(super) fn point_counts(&self, nodes: usize) -> Vec<usize> {
        let mut counts = vec![0; nodes];
        for p in 0..self.ring.len() {
            if let Some(i) = self.ring.node_at(p) {
                counts[i] += 1;
            }
        }
        counts
    }
}
