//! The configuration model as users write it: one [`ConfigDocument`] holding
//! lists of resources (services now; certificates and tenants later), each
//! identified by its kind and a unique name.
//!
//! The same types serialise to YAML (`weir apply`/`export`) and JSON (the
//! store and the admin API). Unknown fields are rejected so a typo is an error,
//! not a silently ignored setting.
//!
//! Defaults stay implicit: a field left out reads as its default, and a
//! field equal to its default is left out when serialised, so what is
//! stored, exported, answered and diffed is what someone chose — not every
//! default Weir has (which change between versions without anyone choosing
//! them). Every defaulted field pairs its `default` with a
//! `skip_serializing_if` on the same value: `#[serde(default)]` with
//! `is_default`, and a default of its own with the predicate
//! `field_default!` declares next to it. Parsing what was serialised gives
//! the same value back (`tests::round_trip`). [`defaults`] lists the
//! defaults for the admin API's schema and the dashboard.

/// Declares a field default other than its type's own, as the pair serde
/// needs: `field_default!(name, is_name: Type = value)` gives `fn name()`
/// (for `#[serde(default = "name")]`) and `fn is_name(&Type)` (for
/// `skip_serializing_if = "is_name"`), built from one value so that the two
/// cannot disagree.
macro_rules! field_default {
    ($name:ident, $is:ident: $ty:ty = $value:expr) => {
        pub(crate) fn $name() -> $ty {
            $value
        }
        #[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
        pub(crate) fn $is(v: &$ty) -> bool {
            *v == $name()
        }
    };
}

mod access;
mod certificate;
mod compression;
mod cors;
pub mod defaults;
mod duration;
mod health;
mod registration;
mod resilience;
mod service;
mod signing_key;
mod split;
mod tenant;

pub use access::{Access, AuthPolicy, IpList, Limits};
pub use certificate::Certificate;
pub use compression::{Compression, CompressionLevels, Encoding};
pub use cors::Cors;
pub use duration::HumanDuration;
pub use health::{CheckKind, DnsSettings, HealthCheck, Outlier};
pub use registration::{DEFAULT_MAX_INSTANCES, MAX_MAX_INSTANCES, SelfRegistration};
pub use resilience::{
    Backoff, CircuitBreaker, GRPC_STATUS_NAMES, GrpcStatus, RetryBudget, RetryOn, RetryPolicy,
};
pub use service::{
    Balance, FieldMatch, HashKey, HeaderOp, HeaderOpKind, Match, Node, RewriteRule, RouteTimeouts,
    Service, ServiceKind, Timeouts, Upstream, UpstreamTls,
};
pub use signing_key::{KeyStatus, SigningAlgorithm, SigningKey};
pub use split::{Mirror, Split, SplitForce, SplitTarget};
pub use tenant::Tenant;

use serde::{Deserialize, Deserializer, Serialize};

/// A whole configuration, or the part of one that a file declares.
///
/// Each top-level list is optional: `None` means "this file says nothing
/// about that kind" (apply leaves it alone), `Some(vec![])` means "there are
/// none" (apply removes every entry of that kind).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    #[serde(
        default,
        deserialize_with = "present_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub services: Option<Vec<Service>>,
    #[serde(
        default,
        deserialize_with = "present_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub tenants: Option<Vec<Tenant>>,
    #[serde(
        default,
        deserialize_with = "present_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub signing_keys: Option<Vec<SigningKey>>,
    #[serde(
        default,
        deserialize_with = "present_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub certificates: Option<Vec<Certificate>>,
}

field_default!(yes, is_true: bool = true);

/// Whether `v` is its type's default: the `skip_serializing_if` of every
/// `#[serde(default)]` field (see the module docs).
pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A key written with no value (`services:`) means an empty list, not absence.
fn present_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Some(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default()))
}

/// The kinds of named resource a configuration holds. The store keeps every
/// resource as `(kind, name, spec)`; this is the `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Service,
    Tenant,
    SigningKey,
    Certificate,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Service,
        ResourceKind::Tenant,
        ResourceKind::SigningKey,
        ResourceKind::Certificate,
    ];

    /// Singular name used in the store and in diffs.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Service => "service",
            ResourceKind::Tenant => "tenant",
            ResourceKind::SigningKey => "signing_key",
            ResourceKind::Certificate => "certificate",
        }
    }

    /// The top-level key of the kind in a configuration document.
    pub fn document_key(self) -> &'static str {
        match self {
            ResourceKind::Service => "services",
            ResourceKind::Tenant => "tenants",
            ResourceKind::SigningKey => "signing_keys",
            ResourceKind::Certificate => "certificates",
        }
    }

    /// The field of a spec that holds its unique name.
    pub fn name_field(self) -> &'static str {
        match self {
            ResourceKind::Service | ResourceKind::SigningKey | ResourceKind::Certificate => "name",
            ResourceKind::Tenant => "app_id",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl ConfigDocument {
    /// The kinds this document declares (present keys).
    pub fn declared_kinds(&self) -> Vec<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .filter(|k| match k {
                ResourceKind::Service => self.services.is_some(),
                ResourceKind::Tenant => self.tenants.is_some(),
                ResourceKind::SigningKey => self.signing_keys.is_some(),
                ResourceKind::Certificate => self.certificates.is_some(),
            })
            .collect()
    }

    /// Every resource of `kind` as `(name, JSON spec)`, sorted by name, or
    /// `None` when the document does not declare the kind.
    pub fn resources(&self, kind: ResourceKind) -> Option<Vec<(String, serde_json::Value)>> {
        match kind {
            ResourceKind::Service => self.services.as_ref().map(|list| to_named_json(list)),
            ResourceKind::Tenant => self.tenants.as_ref().map(|list| to_named_json(list)),
            ResourceKind::SigningKey => self.signing_keys.as_ref().map(|list| to_named_json(list)),
            ResourceKind::Certificate => self.certificates.as_ref().map(|list| to_named_json(list)),
        }
    }

    /// Replace the resources of `kind` with `items` (JSON specs as stored).
    pub fn set_resources(
        &mut self,
        kind: ResourceKind,
        items: Vec<serde_json::Value>,
    ) -> Result<(), serde_json::Error> {
        match kind {
            ResourceKind::Service => self.services = Some(from_json_sorted(items)?),
            ResourceKind::Tenant => self.tenants = Some(from_json_sorted(items)?),
            ResourceKind::SigningKey => self.signing_keys = Some(from_json_sorted(items)?),
            ResourceKind::Certificate => self.certificates = Some(from_json_sorted(items)?),
        }
        Ok(())
    }

    /// Put every list in name order, so exports and diffs are stable.
    pub fn sort(&mut self) {
        sort_named(&mut self.services);
        sort_named(&mut self.tenants);
        sort_named(&mut self.signing_keys);
        sort_named(&mut self.certificates);
    }

    /// Remove secret material (tenant secrets, signing keys) for display
    /// and export.
    pub fn redact_secrets(&mut self) {
        for t in self.tenants.iter_mut().flatten() {
            t.secret = None;
        }
        for k in self.signing_keys.iter_mut().flatten() {
            k.key = None;
        }
        for c in self.certificates.iter_mut().flatten() {
            c.key = None;
        }
    }

    /// Fill secrets this document omits from `stored` (same kind and name),
    /// so a redacted export can be applied back without losing them.
    pub fn inherit_secrets(&mut self, stored: &ConfigDocument) {
        for t in self.tenants.iter_mut().flatten() {
            if t.secret.is_none() {
                t.secret = stored
                    .tenants
                    .iter()
                    .flatten()
                    .find(|s| s.app_id == t.app_id)
                    .and_then(|s| s.secret.clone());
            }
        }
        for k in self.signing_keys.iter_mut().flatten() {
            if k.key.is_none() {
                k.key = stored
                    .signing_keys
                    .iter()
                    .flatten()
                    .find(|s| s.name == k.name)
                    .and_then(|s| s.key.clone());
            }
        }
        for c in self.certificates.iter_mut().flatten() {
            if c.key.is_none() {
                c.key = stored
                    .certificates
                    .iter()
                    .flatten()
                    .find(|s| s.name == c.name)
                    .and_then(|s| s.key.clone());
            }
        }
    }
}

/// `spec` as the model writes it: parsed as a resource of `kind` and
/// serialised again, so that two specs of the same meaning are equal —
/// one with defaults written out (stored by an older Weir, or sent by a
/// client) and one without. Fails when `spec` does not parse as the model.
pub fn canonical_spec(
    kind: ResourceKind,
    spec: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    fn via<T: Serialize + serde::de::DeserializeOwned>(
        spec: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(serde_json::from_value::<T>(spec)?)
    }
    match kind {
        ResourceKind::Service => via::<Service>(spec),
        ResourceKind::Tenant => via::<Tenant>(spec),
        ResourceKind::SigningKey => via::<SigningKey>(spec),
        ResourceKind::Certificate => via::<Certificate>(spec),
    }
}

fn to_named_json<T: Serialize + Named>(list: &[T]) -> Vec<(String, serde_json::Value)> {
    let mut out: Vec<(String, serde_json::Value)> = list
        .iter()
        .map(|item| {
            // Serialising these plain data types cannot fail (no maps with
            // non-string keys, no custom errors).
            let value = serde_json::to_value(item).unwrap_or(serde_json::Value::Null);
            (item.name().to_owned(), value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn from_json_sorted<T: serde::de::DeserializeOwned + Named>(
    items: Vec<serde_json::Value>,
) -> Result<Vec<T>, serde_json::Error> {
    let mut list = items
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<Vec<T>, _>>()?;
    list.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(list)
}

fn sort_named<T: Named>(list: &mut Option<Vec<T>>) {
    if let Some(l) = list {
        l.sort_by(|a, b| a.name().cmp(b.name()));
    }
}

/// A resource with a unique name within its kind.
pub trait Named {
    fn name(&self) -> &str;
}

impl Named for Service {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Tenant {
    // A tenant's unique name is its app id (its `name` is a display name).
    #[allow(clippy::misnamed_getters)]
    fn name(&self) -> &str {
        &self.app_id
    }
}

impl Named for Certificate {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for SigningKey {
    fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests;
