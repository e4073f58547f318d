//! `random`: a uniformly random usable node.
//!
//! Cost per pick: one draw from the thread-local RNG and one `usable` call
//! when the drawn node is usable; otherwise up to [`REDRAWS`] more draws,
//! then two passes over the nodes. Uniform among usable nodes either way:
//! rejection sampling is uniform over what it accepts, and the final pass
//! picks the k-th usable node for a uniform k.

use rand::Rng;

/// Draws before counting the usable nodes. With a few nodes down a redraw
/// almost always succeeds; with most down, counting is cheaper than drawing
/// until lucky.
const REDRAWS: usize = 3;

pub(super) struct Random {
    nodes: usize,
}

impl Random {
    pub(super) fn new(nodes: usize) -> Self {
        Self { nodes }
    }

    pub(super) fn pick(&self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        random_usable(self.nodes, &mut rand::rng(), ok)
    }
}

/// A uniformly random `i < n` with `ok(i)`, or `None` if there is none.
/// Shared with `least_request`, whose two choices are drawn this way.
pub(super) fn random_usable(
    n: usize,
    rng: &mut impl Rng,
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    if n == 0 {
        return None;
    }
    for _ in 0..=REDRAWS {
        let i = rng.random_range(0..n);
        if ok(i) {
            return Some(i);
        }
    }
    let count = (0..n).filter(|&i| ok(i)).count();
    if count == 0 {
        return None;
    }
    let k = rng.random_range(0..count);
    // `usable` may change between the two passes (health updates run
    // concurrently); then settle for the last usable node seen.
    let mut last = None;
    for (seen, i) in (0..n).filter(|&i| ok(i)).enumerate() {
        if seen == k {
            return Some(i);
        }
        last = Some(i);
    }
    last
}
