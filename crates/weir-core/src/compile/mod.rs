//! Compilation of a [`ConfigDocument`] into a [`CompiledConfig`]: every
//! service validated and pre-processed, and the router built. Compilation is
//! the only gate into the data plane, so `weir check`, `weir apply`, the admin
//! API and the live-reload follower all run exactly this code.

mod addr;
mod certs;
mod compression;
mod cors;
mod ipset;
mod keys;
mod matchers;
mod policy;
mod registration;
mod resilience;
mod router;
mod service;
mod split;
mod tenant;
mod timeouts;
mod trie;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use addr::NodeAddr;
pub use certs::{CertInfo, CompiledCerts, check_changes};
pub use compression::{CompiledCompression, MediaRange};
pub use cors::{CompiledCors, PreflightRefusal, normalize_origin};
pub use ipset::IpSet;
pub use keys::{CompiledKeys, SignKey, VerifyKey, algorithm_of, generate_signing_key};
pub use matchers::{Conditions, MAX_CONDITIONS, RouteRequest, ValueMatch};
pub use policy::{CompiledAccess, CompiledAuth, CompiledLimits, IpRefusal, Rate};
pub use registration::{Refusal, RegistrationPolicy};
pub use resilience::{CompiledBudget, CompiledRetry, RetryOnSet};
pub use router::Router;
pub use service::{
    CompiledHeaderOp, CompiledHealthCheck, CompiledNode, CompiledOutlier, CompiledRewrite,
    CompiledService, CompiledUpstream, CompiledUpstreamTls, UpstreamProtocol,
};
pub use split::{
    CompiledMirror, CompiledSplit, ForceRule, MAX_SPLIT_TARGETS, MirrorCounts, SPLIT_SCALE,
    SplitKey, SplitSide,
};
pub use tenant::CompiledTenant;
pub use timeouts::{EffectiveTimeouts, RouteTimeouts};
pub use trie::PrefixTrie;

use crate::error::ValidationErrors;
use crate::model::ConfigDocument;
use crate::msg::Msg;

/// An immutable, validated configuration with its router.
#[derive(Debug, Clone, Default)]
pub struct CompiledConfig {
    /// Enabled and disabled services alike, in name order; the router only
    /// points at enabled ones.
    pub services: Vec<CompiledService>,
    pub router: Router,
    /// Tenants by app id.
    pub tenants: HashMap<Arc<str>, Arc<CompiledTenant>>,
    pub keys: CompiledKeys,
    pub certs: CompiledCerts,
}

impl CompiledConfig {
    /// The service for a request (see [`Router`] for the precedence).
    pub fn route(&self, req: &RouteRequest<'_>) -> Option<&CompiledService> {
        self.router
            .lookup(req)
            .and_then(|i| self.services.get(i as usize))
    }

    pub fn service(&self, name: &str) -> Option<&CompiledService> {
        self.services
            .binary_search_by(|s| (*s.name).cmp(name))
            .ok()
            .map(|i| &self.services[i])
    }
}

/// Validate and compile a whole document. All problems are reported at once.
pub fn compile(doc: &ConfigDocument) -> Result<CompiledConfig, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut services = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    let list = doc.services.as_deref().unwrap_or_default();
    for (i, svc) in list.iter().enumerate() {
        let path = format!("services[{i}]");
        if let Some(first) = names.insert(svc.name.as_str(), i) {
            errors.push(
                format!("{path}.name"),
                Msg::NameTaken {
                    name: svc.name.clone(),
                    other: format!("services[{first}]"),
                },
            );
        }
        if let Some((compiled, route)) = service::compile_service(svc, &path, &mut errors) {
            services.push((i, compiled, route));
        }
    }
    // Name order makes lookups by name a binary search and keeps service
    // indexes stable for an unchanged set of names.
    services.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let mut router = Router::default();
    let mut owners: HashMap<router::RouteKey, usize> = HashMap::new();
    let mut ports: HashMap<u16, usize> = HashMap::new();
    for (index, (doc_index, svc, route)) in services.iter().enumerate() {
        if !svc.spec.enabled {
            continue;
        }
        if let Some(port) = svc.port
            && let Some(other) = ports.insert(port, *doc_index)
        {
            errors.push(
                format!("services[{doc_index}].port"),
                Msg::PortTaken {
                    port,
                    other: format!("services[{other}]"),
                    service: list[other].name.clone(),
                },
            );
        }
        let Some(route) = route else { continue };
        if let Some(other) = owners.insert(route.key.clone(), *doc_index) {
            errors.push(
                format!("services[{doc_index}].match"),
                Msg::RouteTaken {
                    route: describe_route(&route.key).into(),
                    other: format!("services[{other}]"),
                    service: list[other].name.clone(),
                },
            );
            continue;
        }
        router.insert(route, index as u32);
    }
    let doc_index: Vec<usize> = services.iter().map(|(i, _, _)| *i).collect();
    let mut compiled: Vec<CompiledService> = services.into_iter().map(|(_, s, _)| s).collect();
    split::resolve(&mut compiled, &doc_index, &mut errors);
    let tenants = tenant::compile_tenants(doc.tenants.as_deref().unwrap_or_default(), &mut errors);
    let keys = keys::compile_keys(doc.signing_keys.as_deref().unwrap_or_default(), &mut errors);
    let certs = certs::compile_certs(doc.certificates.as_deref().unwrap_or_default(), &mut errors);
    errors.into_result()?;
    Ok(CompiledConfig {
        services: compiled,
        router,
        tenants,
        keys,
        certs,
    })
}

fn describe_route(key: &router::RouteKey) -> Msg {
    use router::PathKey;
    let path = match &key.path {
        PathKey::Prefix(p) if p.is_empty() => None,
        PathKey::Prefix(p) => Some(Msg::RoutePrefix { prefix: p.clone() }),
        PathKey::Exact(p) => Some(Msg::RoutePath { path: p.clone() }),
        PathKey::Regex(r) => Some(Msg::RoutePathRegex { regex: r.clone() }),
    };
    let route = match (&key.host, path) {
        (Some(h), None) => Msg::RouteHost { host: h.clone() },
        (Some(h), Some(Msg::RoutePrefix { prefix })) => Msg::RouteHostPrefix {
            host: h.clone(),
            prefix,
        },
        (Some(h), Some(path)) => Msg::RouteHostPath {
            host: h.clone(),
            path: Box::new(path.into()),
        },
        (None, Some(path)) => path,
        (None, None) => Msg::RouteAnyPath,
    };
    if key.conditions.is_empty() {
        return route;
    }
    Msg::RouteWithConditions {
        route: Box::new(route.into()),
        conditions: key.conditions.clone(),
    }
}
