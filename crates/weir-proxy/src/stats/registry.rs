//! Where scope statistics live: one object per gateway, service and tenant,
//! looked up by name when a snapshot is installed (never per request) and
//! kept across reloads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Counters, ScopeStats};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Gateway,
    Service,
    Tenant,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Gateway => "gateway",
            Scope::Service => "service",
            Scope::Tenant => "tenant",
        }
    }
}

/// Cumulative counters of one scope, read by the flusher.
#[derive(Debug, Clone)]
pub struct ScopeSample {
    pub scope: Scope,
    pub name: String,
    pub counters: Counters,
}

#[derive(Debug, Default)]
pub struct StatsRegistry {
    gateway: Arc<ScopeStats>,
    scopes: Mutex<HashMap<(Scope, String), Arc<ScopeStats>>>,
}

impl StatsRegistry {
    pub fn gateway(&self) -> &Arc<ScopeStats> {
        &self.gateway
    }

    /// The stats object of a service or tenant, created on first use.
    pub fn scope(&self, scope: Scope, name: &str) -> Arc<ScopeStats> {
        if scope == Scope::Gateway {
            return Arc::clone(&self.gateway);
        }
        let mut map = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry((scope, name.to_owned())).or_default())
    }

    /// The stats object if it exists (no creation).
    pub fn get(&self, scope: Scope, name: &str) -> Option<Arc<ScopeStats>> {
        if scope == Scope::Gateway {
            return Some(Arc::clone(&self.gateway));
        }
        let map = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(scope, name.to_owned())).cloned()
    }

    /// Every scope's cumulative counters.
    pub fn samples(&self) -> Vec<ScopeSample> {
        let mut out = vec![ScopeSample {
            scope: Scope::Gateway,
            name: String::new(),
            counters: self.gateway.counters(),
        }];
        let map = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        for ((scope, name), stats) in map.iter() {
            out.push(ScopeSample {
                scope: *scope,
                name: name.clone(),
                counters: stats.counters(),
            });
        }
        out
    }

    /// Every service scope with its stats object, for metrics.
    pub fn scopes_of(&self, scope: Scope) -> Vec<(String, Arc<ScopeStats>)> {
        let map = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = map
            .iter()
            .filter(|((s, _), _)| *s == scope)
            .map(|((_, n), st)| (n.clone(), Arc::clone(st)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Forget scopes no snapshot uses any more (only this registry holds
    /// them). Call after their last counts were flushed.
    pub fn prune(&self) {
        let mut map = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, stats| Arc::strong_count(stats) > 1);
    }
}
