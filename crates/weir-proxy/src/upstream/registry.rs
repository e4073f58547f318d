//! Connections shared across services. Many services often send to the
//! same node (one backend behind several routes); each node with the same
//! connection settings gets one HTTP/1.1 pool or one HTTP/2 connection,
//! whatever the number of services. Entries are held weakly: a pool lives
//! as long as some service's members use it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use weir_core::compile::{CompiledUpstreamTls, NodeAddr};

use super::h2pool::H2Node;
use super::pool::{NodePool, PoolSettings};
use super::tls::UpstreamTlsClient;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct H1Key {
    addr: NodeAddr,
    sni: Option<Arc<str>>,
    settings: PoolSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct H2Key {
    addr: NodeAddr,
    sni: Option<Arc<str>>,
    tls: Option<CompiledUpstreamTls>,
}

#[derive(Debug, Default)]
pub struct ConnRegistry {
    h1: Mutex<HashMap<H1Key, Weak<NodePool>>>,
    h2: Mutex<HashMap<H2Key, Weak<H2Node>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Drop entries nobody uses once they outnumber the live ones.
fn prune<K, V>(map: &mut HashMap<K, Weak<V>>) {
    let live = map.values().filter(|w| w.strong_count() > 0).count();
    if map.len() > 2 * live + 64 {
        map.retain(|_, w| w.strong_count() > 0);
    }
}

impl ConnRegistry {
    pub fn h1(
        &self,
        addr: &NodeAddr,
        sni: Option<&Arc<str>>,
        settings: &PoolSettings,
        tls: Option<&UpstreamTlsClient>,
    ) -> Arc<NodePool> {
        let key = H1Key {
            addr: addr.clone(),
            sni: sni.cloned(),
            settings: settings.clone(),
        };
        let mut map = lock(&self.h1);
        if let Some(pool) = map.get(&key).and_then(Weak::upgrade) {
            return pool;
        }
        let pool = Arc::new(NodePool::new(
            addr.clone(),
            sni.cloned(),
            settings.clone(),
            tls.cloned(),
        ));
        map.insert(key, Arc::downgrade(&pool));
        prune(&mut map);
        pool
    }

    pub fn h2(
        &self,
        addr: &NodeAddr,
        sni: Option<&Arc<str>>,
        tls_spec: Option<&CompiledUpstreamTls>,
        tls: Option<&UpstreamTlsClient>,
    ) -> Arc<H2Node> {
        let key = H2Key {
            addr: addr.clone(),
            sni: sni.cloned(),
            tls: tls_spec.cloned(),
        };
        let mut map = lock(&self.h2);
        if let Some(node) = map.get(&key).and_then(Weak::upgrade) {
            return node;
        }
        let node = Arc::new(H2Node::new(addr.clone(), sni.cloned(), tls.cloned()));
        map.insert(key, Arc::downgrade(&node));
        prune(&mut map);
        node
    }

    /// Distinct live HTTP/1.1 pools (for tests and metrics).
    pub fn h1_pools(&self) -> usize {
        lock(&self.h1)
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }
}
