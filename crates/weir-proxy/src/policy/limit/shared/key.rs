//! The leases of one node, by key: which limit (a service's, a client
//! address's within a service, a tenant's rate or daily quota). Looked up
//! with a borrowed key, so a request allocates nothing once its key is
//! known; bounded in size like the local per-IP tables.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;

use hashbrown::{Equivalent, HashMap};

use super::lease::{Lease, LeaseKind};
use crate::policy::limit::LimitScope;

const SHARDS: usize = 16;
/// Keys tracked per node (per-IP limits make one per client address).
pub(super) const CAPACITY: usize = 100_000;

/// A limit's key, owned (in the table and the sync queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LeaseKey {
    Service(Box<str>),
    ClientIp(Box<str>, IpAddr),
    Tenant(Box<str>),
    Quota(Box<str>),
}

/// A limit's key, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(super) enum KeyRef<'a> {
    Service(&'a str),
    ClientIp(&'a str, IpAddr),
    Tenant(&'a str),
    Quota(&'a str),
}

impl<'a> KeyRef<'a> {
    pub(super) fn of(scope: &LimitScope<'a>) -> Self {
        match *scope {
            LimitScope::Service { service, .. } => KeyRef::Service(service),
            LimitScope::ClientIp { service, ip, .. } => KeyRef::ClientIp(service, ip),
            LimitScope::Tenant { app_id, .. } => KeyRef::Tenant(app_id),
        }
    }

    pub(super) fn owned(self) -> LeaseKey {
        match self {
            KeyRef::Service(s) => LeaseKey::Service(s.into()),
            KeyRef::ClientIp(s, ip) => LeaseKey::ClientIp(s.into(), ip),
            KeyRef::Tenant(a) => LeaseKey::Tenant(a.into()),
            KeyRef::Quota(a) => LeaseKey::Quota(a.into()),
        }
    }

    fn parts(self) -> (u8, &'a str, Option<IpAddr>) {
        match self {
            KeyRef::Service(s) => (0, s, None),
            KeyRef::ClientIp(s, ip) => (1, s, Some(ip)),
            KeyRef::Tenant(a) => (2, a, None),
            KeyRef::Quota(a) => (3, a, None),
        }
    }
}

impl LeaseKey {
    fn as_ref(&self) -> KeyRef<'_> {
        match self {
            LeaseKey::Service(s) => KeyRef::Service(s),
            LeaseKey::ClientIp(s, ip) => KeyRef::ClientIp(s, *ip),
            LeaseKey::Tenant(a) => KeyRef::Tenant(a),
            LeaseKey::Quota(a) => KeyRef::Quota(a),
        }
    }

    /// The Redis key under `prefix`. Names are length-prefixed, so no
    /// service name can make one key look like another's; a quota's key
    /// names its day (local midnight, Unix ms), so a new day starts at 0.
    pub(super) fn redis_key(&self, prefix: &str, kind: &LeaseKind) -> String {
        let (tag, name, ip) = self.as_ref().parts();
        let tag = ["rs", "ri", "rt", "q"][usize::from(tag)];
        let mut key = format!("{prefix}:{tag}:{}:{name}", name.len());
        if let Some(ip) = ip {
            key.push(':');
            key.push_str(&ip.to_string());
        }
        if let LeaseKind::Quota { day_start_ms, .. } = kind {
            key.push(':');
            key.push_str(&day_start_ms.to_string());
        }
        key
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl Hash for LeaseKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_ref().hash(state);
    }
}

impl Equivalent<LeaseKey> for KeyRef<'_> {
    fn equivalent(&self, key: &LeaseKey) -> bool {
        self.parts() == key.as_ref().parts()
    }
}

/// The leases, in shards.
#[derive(Debug)]
pub(super) struct LeaseTable {
    shards: Box<[Mutex<HashMap<LeaseKey, Lease>>]>,
    per_shard: usize,
}

impl LeaseTable {
    pub(super) fn new() -> Self {
        Self::with_capacity(CAPACITY)
    }

    pub(super) fn with_capacity(capacity: usize) -> Self {
        LeaseTable {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, key: &KeyRef<'_>) -> std::sync::MutexGuard<'_, HashMap<LeaseKey, Lease>> {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::default().hash_one(key);
        lock(&self.shards[(h as usize) % SHARDS])
    }

    /// Run `f` on the key's lease, made with `kind` if there is none.
    pub(super) fn with<T>(
        &self,
        key: &KeyRef<'_>,
        kind: LeaseKind,
        now: u64,
        f: impl FnOnce(&mut Lease) -> T,
    ) -> T {
        let mut map = self.shard(key);
        if let Some(lease) = map.get_mut(key) {
            return f(lease);
        }
        if map.len() >= self.per_shard {
            map.retain(|_, l| !l.is_idle(now));
            if map.len() >= self.per_shard
                && let Some(victim) = map
                    .iter()
                    .find(|(_, l)| l.debt() == 0)
                    .map(|(k, _)| k.clone())
            {
                // Full of live leases: one is forgotten (its tokens are
                // refunded by their expiry in Redis's bucket, never used
                // twice).
                map.remove(&victim);
            }
        }
        let lease = map
            .entry(key.owned())
            .or_insert_with(|| Lease::new(kind, now));
        f(lease)
    }

    /// Run `f` on the key's lease if there is one.
    pub(super) fn get<T>(&self, key: &LeaseKey, f: impl FnOnce(&mut Lease) -> T) -> Option<T> {
        let mut map = self.shard(&key.as_ref());
        map.get_mut(key).map(f)
    }

    /// Keep the leases `keep` says to keep.
    pub(super) fn retain(&self, mut keep: impl FnMut(&Lease) -> bool) {
        for s in self.shards.iter() {
            lock(s).retain(|_, l| keep(l));
        }
    }

    /// Every key whose lease `pick` selects (for the periodic sweep).
    pub(super) fn keys_where(&self, mut pick: impl FnMut(&mut Lease) -> bool) -> Vec<LeaseKey> {
        let mut keys = Vec::new();
        for s in self.shards.iter() {
            for (k, l) in lock(s).iter_mut() {
                if pick(l) {
                    keys.push(k.clone());
                }
            }
        }
        keys
    }

    /// Drop leases nothing depends on.
    pub(super) fn sweep(&self, now: u64) {
        for s in self.shards.iter() {
            let mut map = lock(s);
            map.retain(|_, l| !l.is_idle(now));
            if map.capacity() > 4 * map.len().max(64) {
                map.shrink_to_fit();
            }
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_core::compile::Rate;

    #[test]
    fn borrowed_and_owned_keys_meet_and_redis_keys_cannot_collide() {
        let t = LeaseTable::with_capacity(64);
        let kind = LeaseKind::Rate(Rate {
            per_second: 1,
            burst: 1,
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        t.with(&KeyRef::ClientIp("api", ip), kind, 1, |l| l.owe());
        assert_eq!(
            t.get(&LeaseKey::ClientIp("api".into(), ip), |l| l.debt()),
            Some(1)
        );
        assert_eq!(t.get(&LeaseKey::Service("api".into()), |l| l.debt()), None);
        let a = LeaseKey::Service("a:1".into()).redis_key("w", &kind);
        let b = LeaseKey::ClientIp("a".into(), ip).redis_key("w", &kind);
        assert_ne!(a, b);
        assert_eq!(a, "w:rs:3:a:1");
        assert_eq!(b, "w:ri:1:a:10.0.0.1");
    }

    #[test]
    fn the_table_stays_within_its_capacity() {
        let t = LeaseTable::with_capacity(32);
        let kind = LeaseKind::Rate(Rate {
            per_second: 1,
            burst: 1,
        });
        for i in 0..10_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            t.with(&KeyRef::ClientIp("api", ip), kind, 1, |_| ());
        }
        assert!(t.len() <= 32, "{} leases", t.len());
    }
}
