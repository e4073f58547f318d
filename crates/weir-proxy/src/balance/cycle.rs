//! A cyclic sequence of node indexes that can be walked one *run* at a time.
//!
//! Both the smooth-WRR schedule and the hash ring are such sequences, and
//! both fall back the same way when the node at the current position is not
//! usable: move forward to the next position holding a *different* node.
//! Heavy nodes occupy long stretches (a weight-100 node next to weight-1
//! nodes fills ~50 consecutive schedule slots; a heavy node owns many
//! adjacent ring points), so stepping one entry at a time could cost
//! thousands of `usable` calls for one unavailable node. `next_other`
//! precomputes, for each position, where the current run ends, making each
//! step O(1) and each `usable` call about a different node.

/// See the module docs.
pub(super) struct Cycle {
    nodes: Box<[u32]>,
    /// For each position, the next position (cyclically) holding a different
    /// node; the position itself when every entry is the same node.
    next_other: Box<[u32]>,
}

impl Cycle {
    /// `nodes` must have at most `u32::MAX` entries (callers cap far lower).
    pub(super) fn new(nodes: Vec<u32>) -> Self {
        let len = nodes.len();
        let mut next_other = vec![0u32; len];
        // A position whose successor differs anchors the backward pass; if
        // there is none, every entry is the same node.
        match (0..len).find(|&p| nodes[p] != nodes[(p + 1) % len]) {
            None => {
                for (p, slot) in next_other.iter_mut().enumerate() {
                    *slot = p as u32;
                }
            }
            Some(anchor) => {
                let mut p = anchor;
                for _ in 0..len {
                    let q = (p + 1) % len;
                    next_other[p] = if nodes[q] != nodes[p] {
                        q as u32
                    } else {
                        next_other[q]
                    };
                    p = (p + len - 1) % len;
                }
            }
        }
        Self {
            nodes: nodes.into_boxed_slice(),
            next_other: next_other.into_boxed_slice(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// From `start`, return the first node for which `ok` holds, checking the
    /// entry at `start` and then the first entry of each following run, at
    /// most `max_runs` runs and never more than once around. Also returns how
    /// many positions were advanced to reach it.
    pub(super) fn walk(
        &self,
        start: usize,
        max_runs: usize,
        ok: impl Fn(usize) -> bool,
    ) -> Option<(usize, usize)> {
        let len = self.nodes.len();
        if len == 0 {
            return None;
        }
        let mut pos = start % len;
        let mut advanced = 0usize;
        for _ in 0..max_runs {
            let node = *self.nodes.get(pos)? as usize;
            if ok(node) {
                return Some((node, advanced));
            }
            let next = *self.next_other.get(pos)? as usize;
            // Forward distance to the next run; 0 when the whole cycle is one
            // node, which then has just been rejected.
            let step = (next + len - pos) % len;
            advanced += step;
            if step == 0 || advanced >= len {
                return None;
            }
            pos = next;
        }
        None
    }
}

#[cfg(test)]
impl Cycle {
    pub(super) fn node_at(&self, pos: usize) -> Option<usize> {
        self.nodes.get(pos).map(|&n| n as usize)
    }
}
