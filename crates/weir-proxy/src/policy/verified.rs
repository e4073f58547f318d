//! Bearer tokens already verified under the current configuration.
//!
//! Verifying a JWT (base64, JSON, HMAC or RSA/EdDSA) costs tens of thousands
//! of instructions, most of the policy phases' cost, and a client sends the
//! same token on every request until it expires. A token's verdict depends
//! only on its bytes, the keys and the tenants, and all three are fixed for
//! one snapshot, so the cache lives in the snapshot: a reload (new key,
//! disabled tenant) starts from an empty cache. What still changes with time,
//! the expiry, is checked on every hit. Only successes are stored, so a
//! client cannot fill the cache with garbage, and the size is bounded.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use weir_core::compile::CompiledTenant;

/// Shards, to keep worker threads off each other's locks.
const SHARDS: usize = 16;
/// Tokens per shard; a full shard is emptied (4,096 tokens in all, about
/// 1.5 MiB with 300-byte tokens).
const PER_SHARD: usize = 256;

/// A verified token: who it names and until when it is valid.
#[derive(Debug, Clone)]
struct Entry {
    /// The whole token, so a hash collision is a miss, never a wrong hit.
    token: Box<str>,
    tenant: Arc<CompiledTenant>,
    /// `exp` claim, Unix seconds.
    exp: u64,
}

/// The verified-token cache of one snapshot.
pub struct VerifiedTokens {
    hasher: foldhash::fast::RandomState,
    shards: Box<[Mutex<HashMap<u64, Entry>>]>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self {
            hasher: foldhash::fast::RandomState::default(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.len())
            .finish()
    }
}

impl VerifiedTokens {
    /// The tenant of `token` if it was verified before and, with `leeway`
    /// seconds, has not expired at `now_secs`.
    pub fn get(&self, token: &str, now_secs: u64, leeway: u64) -> Option<Arc<CompiledTenant>> {
        let hash = self.hasher.hash_one(token);
        let shard = self.shard(hash).lock().ok()?;
        let entry = shard.get(&hash)?;
        (*entry.token == *token && entry.exp.saturating_add(leeway) >= now_secs)
            .then(|| Arc::clone(&entry.tenant))
    }

    /// Remember that `token` verified to `tenant` and expires at `exp`.
    pub fn insert(&self, token: &str, tenant: &Arc<CompiledTenant>, exp: u64) {
        let hash = self.hasher.hash_one(token);
        let Ok(mut shard) = self.shard(hash).lock() else {
            return;
        };
        if shard.len() >= PER_SHARD && !shard.contains_key(&hash) {
            shard.clear();
        }
        shard.insert(
            hash,
            Entry {
                token: token.into(),
                tenant: Arc::clone(tenant),
                exp,
            },
        );
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, hash: u64) -> &Mutex<HashMap<u64, Entry>> {
        // The high bits pick the shard; the map hashes the whole value again.
        &self.shards[(hash >> 60) as usize % SHARDS]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> Arc<CompiledTenant> {
        let spec: weir_core::model::Tenant =
            serde_json::from_value(serde_json::json!({ "app_id": id })).expect("tenant");
        Arc::new(CompiledTenant {
            app_id: id.into(),
            enabled: true,
            secret: String::new(),
            ip_allow: None,
            qps: None,
            qpd: 0,
            spec: Arc::new(spec),
        })
    }

    #[test]
    fn a_hit_needs_the_same_token_and_an_unexpired_claim() {
        let cache = VerifiedTokens::default();
        let t = tenant("app");
        cache.insert("aaa.bbb.ccc", &t, 1_000);
        assert_eq!(
            cache.get("aaa.bbb.ccc", 990, 5).map(|t| t.app_id.clone()),
            Some("app".into())
        );
        assert!(cache.get("aaa.bbb.ccd", 990, 5).is_none(), "other bytes");
        assert!(
            cache.get("aaa.bbb.ccc", 1_005, 5).is_some(),
            "inside the leeway"
        );
        assert!(cache.get("aaa.bbb.ccc", 1_006, 5).is_none(), "expired");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedTokens::default();
        let t = tenant("app");
        for i in 0..(SHARDS * PER_SHARD * 4) {
            cache.insert(&format!("token-{i}"), &t, u64::MAX);
        }
        assert!(cache.len() <= SHARDS * PER_SHARD, "{} tokens", cache.len());
        assert!(!cache.is_empty());
    }
}
