//! One GCRA bucket per key (client address) with bounded memory.
//!
//! Entries live in a few mutex-guarded shards. A bucket whose TAT is in the
//! past holds no information (it is a full bucket), so it can be dropped at
//! any time; shards drop such entries when they fill up. If a shard is still
//! full of live buckets, one is evicted: an attacker with more distinct
//! addresses than the capacity can only make the limit lenient for some of
//! them, never grow memory. Capacity and per-entry cost are documented in
//! docs/policies.md.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use weir_core::compile::Rate;

use super::gcra::{Decision, decide, interval_nanos};

const SHARDS: usize = 16;

/// Default number of keys tracked per limiter.
pub(crate) const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct KeyedLimiter<K> {
    shards: Box<[Mutex<HashMap<K, u64>>]>,
    per_shard: usize,
}

impl<K: Hash + Eq + Copy> KeyedLimiter<K> {
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    pub fn acquire(&self, key: K, rate: Rate, now: u64) -> Decision {
        let t = interval_nanos(rate);
        let capacity = t.saturating_mul(u64::from(rate.burst));
        let shard = &self.shards[shard_of(&key)];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        let tat = map.get(&key).copied().unwrap_or(0);
        let (decision, new_tat) = decide(rate, t, capacity, tat, now);
        if decision.allowed {
            if map.len() >= self.per_shard && !map.contains_key(&key) {
                map.retain(|_, tat| *tat > now);
                if map.len() >= self.per_shard
                    && let Some(victim) = map.keys().next().copied()
                {
                    map.remove(&victim);
                }
            }
            map.insert(key, new_tat);
        }
        decision
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Upper bound of the bytes the tables hold (allocated buckets × entry
    /// size, ignoring the allocator's own overhead).
    pub fn approx_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(K, u64)>() + 1;
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).capacity() * entry)
            .sum()
    }

    /// Drop buckets that are full again (expired); called periodically.
    pub fn sweep(&self, now: u64) {
        for s in self.shards.iter() {
            let mut map = s.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, tat| *tat > now);
            if map.capacity() > 4 * map.len().max(64) {
                map.shrink_to_fit();
            }
        }
    }
}

fn shard_of<K: Hash>(key: &K) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
    (h as usize) % SHARDS
}
