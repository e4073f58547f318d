//! What every defaulted field of the model is when it is left out, by field
//! path: `upstream.timeouts.connect`, `upstream.nodes[].weight` (`[]` for
//! each entry of a list). Serialised configuration leaves these values out
//! (see the module docs of [`crate::model`]), so whoever shows a resource —
//! the admin API's schema (`default`), the dashboard's editor — fills them
//! in from here rather than from a copy of its own.
//!
//! Listed are the fields whose absence means exactly this value. Fields the
//! model holds as an `Option` (`port`, `limits.burst`, `upstream.hash_key`,
//! `upstream.health_check`, `cors`, `cors.max_age`) are not: their absence
//! means "not set", and what that does is described with the field. A path
//! inside an optional block (`upstream.health_check.interval`) is the
//! default once the block is written.
//!
//! The values come from the same functions serde uses, and the tests check
//! the table against parsing: writing every listed default into a resource
//! changes nothing.

use serde::Serialize;
use serde_json::{Map, Value};

use super::access::{AuthPolicy, Limits};
use super::compression::{
    default_algorithms, default_br_level, default_content_types, default_gzip_level,
    default_min_size, default_zstd_level,
};
use super::cors::default_allow_methods;
use super::health::{
    CheckKind, DnsSettings, default_base_ejection, default_consecutive, default_expect,
    default_healthy, default_interval, default_max_ejection, default_max_percent, default_path,
    default_statuses, default_timeout, default_unhealthy,
};
use super::registration::default_max_instances;
use super::resilience::{Backoff, RetryBudget, default_attempts, default_retry_on};
use super::service::{Balance, ServiceKind, Timeouts, default_max_idle_per_node, default_weight};
use super::signing_key::KeyStatus;
use super::{ResourceKind, yes};

/// The defaults of `kind`'s fields, as `(path, value)` in document order.
pub fn table(kind: ResourceKind) -> Vec<(&'static str, Value)> {
    match kind {
        ResourceKind::Service => service(),
        ResourceKind::Tenant => vec![
            ("name", json(String::new())),
            ("description", json(String::new())),
            ("enabled", json(yes())),
            ("ip_allow", json(Vec::<String>::new())),
            ("qps", json(0_u32)),
            ("qpd", json(0_u64)),
        ],
        ResourceKind::SigningKey => vec![("status", json(KeyStatus::default()))],
        ResourceKind::Certificate => vec![("default", json(false))],
    }
}

/// Every kind's table as one JSON object: `{"service": {path: value}, …}`
/// keyed by [`ResourceKind::as_str`] (what the dashboard reads).
pub fn all() -> Value {
    let kinds = ResourceKind::ALL.into_iter().map(|kind| {
        let fields: Map<String, Value> = table(kind)
            .into_iter()
            .map(|(path, value)| (path.to_owned(), value))
            .collect();
        (kind.as_str().to_owned(), Value::Object(fields))
    });
    Value::Object(kinds.collect())
}

fn service() -> Vec<(&'static str, Value)> {
    let timeouts = Timeouts::default();
    let dns = DnsSettings::default();
    let limits = Limits::default();
    let auth = AuthPolicy::default();
    let (backoff, budget) = (Backoff::default(), RetryBudget::default());
    let no_strings = || json(Vec::<String>::new());
    vec![
        ("kind", json(ServiceKind::default())),
        ("description", json(String::new())),
        ("enabled", json(yes())),
        ("match.methods", no_strings()),
        ("match.headers", json(Vec::<Value>::new())),
        ("match.query", json(Vec::<Value>::new())),
        ("split.force", json(Vec::<Value>::new())),
        ("mirror.percent", json(100.0)),
        ("https_redirect", json(false)),
        ("allow_encoded_slashes", json(false)),
        ("strip_prefix", json(false)),
        ("rewrite", json(Vec::<Value>::new())),
        ("request_headers", json(Vec::<Value>::new())),
        ("response_headers", json(Vec::<Value>::new())),
        ("cors.allow_methods", json(default_allow_methods())),
        ("cors.allow_headers", no_strings()),
        ("cors.expose_headers", no_strings()),
        ("cors.allow_credentials", json(false)),
        ("websocket", json(false)),
        ("compression.algorithms", json(default_algorithms())),
        ("compression.min_size", json(default_min_size())),
        ("compression.content_types", json(default_content_types())),
        ("compression.level.br", json(default_br_level())),
        ("compression.level.zstd", json(default_zstd_level())),
        ("compression.level.gzip", json(default_gzip_level())),
        ("access.ip_allow.enabled", json(yes())),
        ("access.ip_allow.ips", no_strings()),
        ("access.ip_deny.enabled", json(yes())),
        ("access.ip_deny.ips", no_strings()),
        ("access.auth.enabled", json(auth.enabled)),
        ("access.auth.allow_paths", json(auth.allow_paths)),
        ("access.auth.tenants", json(auth.tenants)),
        ("limits.service_qps", json(limits.service_qps)),
        ("limits.client_ip_qps", json(limits.client_ip_qps)),
        ("limits.max_connections", json(limits.max_connections)),
        ("upstream.balance", json(Balance::default())),
        ("upstream.nodes[].weight", json(default_weight())),
        ("upstream.nodes[].enabled", json(yes())),
        ("upstream.tls", json(false)),
        ("upstream.tls.enabled", json(yes())),
        ("upstream.tls.insecure_skip_verify", json(false)),
        ("upstream.timeouts.connect", json(timeouts.connect)),
        (
            "upstream.timeouts.response_header",
            json(timeouts.response_header),
        ),
        ("upstream.timeouts.idle", json(timeouts.idle)),
        ("upstream.timeouts.stream_idle", json(timeouts.stream_idle)),
        (
            "upstream.max_idle_per_node",
            json(default_max_idle_per_node()),
        ),
        ("upstream.health_check.type", json(CheckKind::default())),
        ("upstream.health_check.interval", json(default_interval())),
        ("upstream.health_check.timeout", json(default_timeout())),
        ("upstream.health_check.healthy", json(default_healthy())),
        ("upstream.health_check.unhealthy", json(default_unhealthy())),
        ("upstream.health_check.path", json(default_path())),
        (
            "upstream.health_check.expect_status",
            json(default_expect()),
        ),
        ("upstream.health_check.grpc_service", json(String::new())),
        (
            "upstream.outlier.consecutive_failures",
            json(default_consecutive()),
        ),
        (
            "upstream.outlier.base_ejection",
            json(default_base_ejection()),
        ),
        (
            "upstream.outlier.max_ejection",
            json(default_max_ejection()),
        ),
        (
            "upstream.outlier.max_ejected_percent",
            json(default_max_percent()),
        ),
        (
            "upstream.outlier.failure_statuses",
            json(default_statuses()),
        ),
        ("upstream.fail_open", json(false)),
        ("upstream.retry.attempts", json(default_attempts())),
        ("upstream.retry.retry_on", json(default_retry_on())),
        ("upstream.retry.statuses", json(Vec::<u16>::new())),
        ("upstream.retry.grpc_statuses", json(Vec::<u32>::new())),
        ("upstream.retry.backoff.base", json(backoff.base)),
        ("upstream.retry.backoff.max", json(backoff.max)),
        ("upstream.retry.budget.percent", json(budget.percent)),
        (
            "upstream.retry.budget.min_per_second",
            json(budget.min_per_second),
        ),
        ("upstream.dns.min_ttl", json(dns.min_ttl)),
        ("upstream.dns.max_ttl", json(dns.max_ttl)),
        ("registration.enabled", json(false)),
        ("registration.allowed_cidrs", no_strings()),
        ("registration.max_instances", json(default_max_instances())),
    ]
}

/// Plain values serialise without error (string keys, no custom failures).
fn json(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `spec` with every default of `kind` written out: each of the
/// [`implicit_blocks`] it leaves out, and each field whose parent is
/// present. The same resource, as an older Weir stored it; the values in
/// effect of what it leaves implicit. Blocks that are off when absent
/// (`upstream.health_check`) stay absent.
pub fn fill(kind: ResourceKind, spec: &Value) -> Value {
    let mut out = spec.clone();
    for block in implicit_blocks(kind) {
        let path: Vec<&str> = block.split('.').collect();
        insert_empty(&mut out, &path);
    }
    for (path, value) in table(kind) {
        let segments: Vec<&str> = path.split('.').collect();
        fill_path(&mut out, &segments, &value);
    }
    out
}

fn fill_path(node: &mut Value, path: &[&str], value: &Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (*first, false),
    };
    let Value::Object(map) = node else {
        return;
    };
    if rest.is_empty() && !each {
        map.entry(key).or_insert_with(|| value.clone());
        return;
    }
    match map.get_mut(key) {
        Some(Value::Array(items)) if each => {
            for item in items {
                fill_path(item, rest, value);
            }
        }
        Some(child) if !each => fill_path(child, rest, value),
        _ => {}
    }
}

/// Blocks of `kind` whose absence means the block with every field at its
/// default — `{}` — unlike blocks such as `upstream.health_check` (absent:
/// off) or `access.ip_allow` (absent: no list). Parents before children.
pub fn implicit_blocks(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Service => &[
            "match",
            "access",
            "access.auth",
            "limits",
            "timeouts",
            "upstream.timeouts",
            "upstream.dns",
            "registration",
            "compression.level",
        ],
        ResourceKind::Tenant | ResourceKind::SigningKey | ResourceKind::Certificate => &[],
    }
}

/// The default of the field at `path` as a diff names it
/// (`upstream.nodes[1].weight`), if the field has one.
pub fn at(kind: ResourceKind, path: &str) -> Option<Value> {
    // `nodes[1]` → `nodes[]`: the table names every entry of a list alike.
    let mut generic = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                generic.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => generic.push(c),
        }
    }
    table(kind)
        .into_iter()
        .find(|(p, _)| *p == generic)
        .map(|(_, v)| v)
}

/// `spec` with each of `kind`'s [`implicit_blocks`] that `other` holds and
/// `spec` leaves out written as `{}`: the same resource, shaped so that a
/// field-by-field comparison with `other` reaches the fields inside.
pub fn open_blocks(kind: ResourceKind, spec: &Value, other: &Value) -> Value {
    let mut out = spec.clone();
    for block in implicit_blocks(kind) {
        let path: Vec<&str> = block.split('.').collect();
        if lookup(other, &path).is_some_and(Value::is_object) {
            insert_empty(&mut out, &path);
        }
    }
    out
}

fn lookup<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |node, key| node.get(key))
}

fn insert_empty(node: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Value::Object(map) = node else {
        return;
    };
    if rest.is_empty() {
        map.entry(*first)
            .or_insert_with(|| Value::Object(Map::new()));
        return;
    }
    if let Some(child) = map.get_mut(*first) {
        insert_empty(child, rest);
    }
}
