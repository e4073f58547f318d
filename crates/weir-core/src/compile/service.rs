//! Validation and compilation of one service into the form the data plane
//! uses on every request: compiled regexes, parsed header names and values,
//! parsed node addresses.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use regex::Regex;

use super::addr::{NodeAddr, validate_hostname};
use super::compression::{CompiledCompression, compile_compression};
use super::cors::{CompiledCors, compile_cors};
use super::matchers::{anchored, compile_conditions};
use super::policy::{CompiledAccess, CompiledLimits, compile_access, compile_limits};
use super::resilience::{CompiledRetry, compile_breaker, compile_retry};
use super::router::{PathKey, Route, RouteKey};
use crate::error::ValidationErrors;
use crate::model::{
    Balance, CheckKind, CircuitBreaker, HashKey, HeaderOp, HeaderOpKind, Service, ServiceKind,
    Upstream, UpstreamTls,
};
use crate::msg::Msg;
use crate::rules::{
    HEALTH_THRESHOLD, HTTP_STATUS, MAX_EJECTED_PERCENT, MAX_IDLE_PER_NODE, MAX_PREFIX_LEN,
    MAX_WEIGHT, MIN_DNS_TTL_MS, MIN_HEALTH_INTERVAL_MS, NAME_MAX_LEN, is_valid_name,
};

/// Headers the gateway manages itself; header operations may not touch them
/// because doing so would break message framing or connection handling.
const MANAGED_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
];

/// Bound on compiled regex size so a pathological pattern cannot eat memory.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A service ready for the data plane.
#[derive(Debug, Clone)]
pub struct CompiledService {
    pub name: Arc<str>,
    pub kind: ServiceKind,
    /// Own listening port (tcp, grpc).
    pub port: Option<u16>,
    /// Plain-HTTP requests are redirected to HTTPS.
    pub https_redirect: bool,
    /// `%2F` may appear in the (normalised) path.
    pub allow_encoded_slashes: bool,
    /// The service as configured (for diagnostics and the admin API).
    pub spec: Arc<Service>,
    /// The method, header and query conditions of its `match` (the router
    /// holds them too; kept here for explain).
    pub route_conditions: Option<Arc<super::Conditions>>,
    /// Bytes of path to remove before rewriting (0 = none).
    pub strip_len: usize,
    pub rewrites: Box<[CompiledRewrite]>,
    pub header_ops: Box<[CompiledHeaderOp]>,
    /// `response_headers`: applied to the upstream's responses.
    pub response_header_ops: Box<[CompiledHeaderOp]>,
    /// `cors`: preflights answered, `Access-Control-*` on the answers.
    pub cors: Option<CompiledCors>,
    pub websocket: bool,
    /// Largest request body (`None` = no limit).
    pub max_body_bytes: Option<u64>,
    /// Response compression (`None` = off).
    pub compression: Option<CompiledCompression>,
    /// Traffic split to other services' upstreams (`None` = off).
    pub split: Option<super::CompiledSplit>,
    /// Copies of a share of the requests to another service's upstream.
    pub mirror: Option<super::CompiledMirror>,
    pub access: CompiledAccess,
    pub limits: CompiledLimits,
    /// `timeouts:`, overriding those of whichever upstream takes a request
    /// (resolved per request by [`super::RouteTimeouts::resolve`]).
    pub timeouts: super::RouteTimeouts,
    pub upstream: CompiledUpstream,
}

#[derive(Debug, Clone)]
pub struct CompiledRewrite {
    pub regex: Regex,
    pub replacement: String,
}

#[derive(Debug, Clone)]
pub struct CompiledHeaderOp {
    pub kind: HeaderOpKind,
    pub name: HeaderName,
    pub value: Option<HeaderValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledUpstream {
    pub balance: Balance,
    pub hash_key: HashKey,
    pub nodes: Box<[CompiledNode]>,
    /// HTTP version spoken to the nodes (gRPC needs HTTP/2).
    pub protocol: UpstreamProtocol,
    /// TLS towards the nodes, when on.
    pub tls: Option<CompiledUpstreamTls>,
    pub connect_timeout: Duration,
    pub response_header_timeout: Duration,
    pub idle_timeout: Duration,
    /// WebSocket and TCP connections idle this long are closed.
    pub stream_idle_timeout: Duration,
    pub max_idle_per_node: usize,
    pub health_check: Option<CompiledHealthCheck>,
    pub outlier: Option<CompiledOutlier>,
    pub fail_open: bool,
    /// How requests are tried again (the built-in behaviour without a
    /// `retry` block).
    pub retry: CompiledRetry,
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Bounds for re-resolving DNS names (min, max).
    pub dns_ttl: (Duration, Duration),
}

/// Validated active health check settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledHealthCheck {
    pub kind: CheckKind,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy: u32,
    pub unhealthy: u32,
    pub path: String,
    /// Accepted status ranges (inclusive).
    pub expect: Vec<(u16, u16)>,
    pub host: Option<String>,
    pub grpc_service: String,
}

impl CompiledHealthCheck {
    pub fn accepts(&self, status: u16) -> bool {
        self.expect
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

/// Validated passive health (outlier ejection) settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledOutlier {
    pub consecutive_failures: u32,
    pub base_ejection: Duration,
    pub max_ejection: Duration,
    pub max_ejected_percent: u32,
    pub failure_statuses: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpstreamProtocol {
    Http1,
    Http2,
    /// Raw bytes (TCP services).
    Tcp,
}

/// Validated upstream TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledUpstreamTls {
    /// PEM bundle replacing the system roots.
    pub ca_pem: Option<String>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledNode {
    pub addr: NodeAddr,
    pub weight: u32,
    pub enabled: bool,
}

impl CompiledService {
    /// The path to send upstream: `strip_prefix`, then each rewrite in order.
    /// The result always starts with `/`.
    pub fn rewrite_path<'a>(&self, path: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(path);
        if self.strip_len > 0 {
            let rest = path.get(self.strip_len..).unwrap_or("");
            out = if rest.starts_with('/') {
                Cow::Borrowed(rest)
            } else {
                Cow::Owned(format!("/{rest}"))
            };
        }
        for rw in self.rewrites.iter() {
            if let Cow::Owned(s) = rw.regex.replace_all(&out, rw.replacement.as_str()) {
                out = Cow::Owned(s);
            }
        }
        if !out.starts_with('/') {
            out = Cow::Owned(format!("/{out}"));
        }
        out
    }

    /// Apply the request header operations in order.
    pub fn apply_header_ops(&self, headers: &mut HeaderMap) {
        apply_ops(&self.header_ops, headers);
    }

    /// Apply the response header operations in order.
    pub fn apply_response_header_ops(&self, headers: &mut HeaderMap) {
        apply_ops(&self.response_header_ops, headers);
    }
}

fn apply_ops(ops: &[CompiledHeaderOp], headers: &mut HeaderMap) {
    for op in ops {
        match (op.kind, &op.value) {
            (HeaderOpKind::Add, Some(v)) => {
                headers.append(op.name.clone(), v.clone());
            }
            (HeaderOpKind::Set, Some(v)) => {
                headers.insert(op.name.clone(), v.clone());
            }
            (HeaderOpKind::Remove, _) => {
                headers.remove(&op.name);
            }
            // Validation guarantees add/set carry a value.
            (HeaderOpKind::Add | HeaderOpKind::Set, None) => {}
        }
    }
}

/// Validate `svc` (reporting under `path`, e.g. `services[3]`) and compile it.
/// Returns the route key when the service is routed on the main listeners.
pub(crate) fn compile_service(
    svc: &Service,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<(CompiledService, Option<Route>)> {
    let before = errors.errors.len();

    validate_name(&svc.name, &format!("{path}.name"), errors);
    check_kind_fields(svc, path, errors);

    let routed =
        svc.kind != ServiceKind::Tcp && (svc.kind == ServiceKind::Http || !svc.route.is_empty());
    let route = if routed {
        compile_match(svc, path, errors).map(Some)
    } else {
        Some(None)
    };
    let rewrites = compile_rewrites(svc, path, errors);
    let header_ops = compile_header_ops(&svc.request_headers, path, "request_headers", errors);
    let response_header_ops =
        compile_header_ops(&svc.response_headers, path, "response_headers", errors);
    let compression = svc
        .compression
        .as_ref()
        .and_then(|c| compile_compression(c, &format!("{path}.compression"), errors));
    let split = svc
        .split
        .as_ref()
        .and_then(|split| super::split::compile_split(svc, split, path, errors));
    let mirror = svc
        .mirror
        .as_ref()
        .and_then(|m| super::split::compile_mirror(svc, m, path, errors));
    let cors = svc
        .cors
        .as_ref()
        .and_then(|c| compile_cors(c, &format!("{path}.cors"), errors));
    let access = compile_access(&svc.access, path, errors);
    for (i, p) in svc.access.auth.allow_paths.iter().enumerate() {
        let bare = p.strip_suffix('*').unwrap_or(p);
        if bare.starts_with('/') && !bare.contains('*') {
            let field = format!("{path}.access.auth.allow_paths[{i}]");
            check_normal_path(bare, svc.allow_encoded_slashes, &field, errors);
        }
    }
    let limits = compile_limits(&svc.limits, path, errors);
    let timeouts = super::timeouts::compile_route_timeouts(svc, path, errors);
    let upstream = compile_upstream(svc, path, errors);
    super::RegistrationPolicy::compile(&svc.registration, &format!("{path}.registration"), errors);

    if errors.errors.len() != before {
        return None;
    }
    let route = route?;
    let upstream = upstream?;
    let strip_len = match (&route, svc.strip_prefix) {
        (
            Some(Route {
                key:
                    RouteKey {
                        path: PathKey::Prefix(p),
                        ..
                    },
                ..
            }),
            true,
        ) => p.len(),
        _ => 0,
    };
    Some((
        CompiledService {
            name: svc.name.as_str().into(),
            kind: svc.kind,
            port: svc.port,
            https_redirect: svc.https_redirect,
            allow_encoded_slashes: svc.allow_encoded_slashes,
            spec: Arc::new(svc.clone()),
            route_conditions: route.as_ref().and_then(|r| r.conditions.clone()),
            strip_len,
            rewrites,
            header_ops,
            response_header_ops,
            cors,
            websocket: svc.websocket,
            max_body_bytes: svc.max_body_bytes.filter(|&n| n > 0),
            compression,
            split,
            mirror,
            access,
            limits,
            timeouts,
            upstream,
        },
        route,
    ))
}

pub(crate) fn validate_name(name: &str, path: &str, errors: &mut ValidationErrors) {
    if name.is_empty() {
        errors.push(path, Msg::Required);
    } else if name.len() > NAME_MAX_LEN {
        errors.push(path, Msg::TooLongChars { max: NAME_MAX_LEN });
    } else if !is_valid_name(name) {
        errors.push(
            path,
            Msg::InvalidName {
                name: name.to_owned(),
            },
        );
    }
}

/// Fields that only make sense for some kinds.
fn check_kind_fields(svc: &Service, path: &str, errors: &mut ValidationErrors) {
    let kind = svc.kind.as_str();
    let mut not_for = |field: &str, set: bool, why: Msg| {
        if set {
            errors.push(
                format!("{path}.{field}"),
                Msg::NotForKind {
                    kind: kind.to_owned(),
                    why: why.into(),
                },
            );
        }
    };
    match svc.kind {
        ServiceKind::Http => {
            not_for("port", svc.port.is_some(), Msg::WhyHttpListeners);
        }
        ServiceKind::Grpc => {
            not_for("websocket", svc.websocket, Msg::WhyGrpcHttp2);
            not_for("https_redirect", svc.https_redirect, Msg::WhyGrpcRedirects);
            not_for(
                "compression",
                svc.compression.is_some(),
                Msg::WhyGrpcCompression,
            );
            if svc.port.is_none() && svc.route.is_empty() {
                errors.push(format!("{path}.port"), Msg::GrpcNeedsPortOrMatch);
            }
        }
        ServiceKind::Tcp => {
            let why = || Msg::WhyTcpBytes;
            not_for("match", !svc.route.is_empty(), Msg::WhyTcpPort);
            not_for("strip_prefix", svc.strip_prefix, why());
            not_for("rewrite", !svc.rewrite.is_empty(), why());
            not_for("request_headers", !svc.request_headers.is_empty(), why());
            not_for("response_headers", !svc.response_headers.is_empty(), why());
            not_for("cors", svc.cors.is_some(), why());
            not_for("websocket", svc.websocket, why());
            not_for("https_redirect", svc.https_redirect, why());
            not_for("allow_encoded_slashes", svc.allow_encoded_slashes, why());
            not_for("max_body_bytes", svc.max_body_bytes.is_some(), why());
            not_for("compression", svc.compression.is_some(), why());
            not_for("split", svc.split.is_some(), why());
            not_for("mirror", svc.mirror.is_some(), why());
            not_for("access.auth", svc.access.auth.enabled, Msg::WhyTcpToken);
            not_for("upstream.tls", svc.upstream.tls.enabled, Msg::WhyTcpTls);
            if matches!(
                svc.upstream.hash_key,
                Some(HashKey::Uri | HashKey::Header(_))
            ) {
                errors.push(format!("{path}.upstream.hash_key"), Msg::TcpHashClientIp);
            }
            if svc.port.is_none() {
                errors.push(format!("{path}.port"), Msg::RequiredForTcp);
            }
        }
    }
    if svc.port == Some(0) {
        errors.push(format!("{path}.port"), Msg::Between { min: 1, max: 65535 });
    }
    if svc.limits.max_connections > 0 && svc.kind != ServiceKind::Tcp {
        errors.push(format!("{path}.limits.max_connections"), Msg::OnlyForTcp);
    }
}

fn compile_match(svc: &Service, path: &str, errors: &mut ValidationErrors) -> Option<Route> {
    let m = &svc.route;
    let before = errors.errors.len();
    if m.is_empty() {
        errors.push(format!("{path}.match"), Msg::MatchNeedsPrefixOrHost);
    }
    let paths = [&m.prefix, &m.path, &m.path_regex];
    if paths.iter().filter(|p| p.is_some()).count() > 1 {
        errors.push(format!("{path}.match"), Msg::MatchPathOneOf);
    }
    if let Some(prefix) = &m.prefix {
        check_route_path(prefix, svc, &format!("{path}.match.prefix"), errors);
    }
    if let Some(exact) = &m.path {
        check_route_path(exact, svc, &format!("{path}.match.path"), errors);
    }
    let regex = m.path_regex.as_ref().and_then(|r| {
        let field = format!("{path}.match.path_regex");
        if r.len() > MAX_PREFIX_LEN {
            errors.push(
                field,
                Msg::TooLongBytes {
                    max: MAX_PREFIX_LEN,
                },
            );
            return None;
        }
        anchored(r)
            .map_err(|error| errors.push(field, Msg::RegexInvalid { error }))
            .ok()
    });
    let host = m.host.as_ref().map(|h| {
        let normalized = h.to_ascii_lowercase();
        let bare = normalized.strip_prefix("*.").unwrap_or(&normalized);
        if let Err(why) = validate_hostname(bare) {
            errors.push(
                format!("{path}.match.host"),
                Msg::MatchHostInvalid {
                    host: h.clone(),
                    why: why.into(),
                },
            );
        }
        normalized
            .strip_suffix('.')
            .map(str::to_owned)
            .unwrap_or(normalized)
    });
    if svc.strip_prefix && m.prefix.is_none() {
        errors.push(format!("{path}.strip_prefix"), Msg::StripPrefixNeedsPrefix);
    }
    let mut normal = String::new();
    let conditions = compile_conditions(m, path, errors, &mut normal);
    if errors.errors.len() != before {
        return None;
    }
    let path = match (&m.path, &m.path_regex) {
        (Some(p), _) => PathKey::Exact(p.clone()),
        (None, Some(r)) => PathKey::Regex(r.clone()),
        (None, None) => PathKey::Prefix(m.prefix.clone().unwrap_or_default()),
    };
    Some(Route {
        key: RouteKey {
            host,
            path,
            conditions: normal,
        },
        regex,
        conditions: conditions.map(Arc::new),
    })
}

/// A `match.prefix` or `match.path`: absolute, bounded, normalised, with
/// nothing that cannot reach the router.
fn check_route_path(p: &str, svc: &Service, field: &str, errors: &mut ValidationErrors) {
    if !p.starts_with('/') {
        errors.push(
            field,
            Msg::MustStartWithSlash {
                value: p.to_owned(),
            },
        );
    } else if p.len() > MAX_PREFIX_LEN {
        errors.push(
            field,
            Msg::TooLongBytes {
                max: MAX_PREFIX_LEN,
            },
        );
    } else if p
        .bytes()
        .any(|b| b.is_ascii_control() || b == b' ' || b == b'?' || b == b'#')
    {
        errors.push(
            field,
            Msg::PrefixBadChars {
                prefix: p.to_owned(),
            },
        );
    } else {
        check_normal_path(p, svc.allow_encoded_slashes, field, errors);
    }
}

/// Requests are matched on their normalised path (`crate::path`), so a
/// prefix or allowed path written otherwise could never match.
pub(crate) fn check_normal_path(
    p: &str,
    allow_encoded_slash: bool,
    field: &str,
    errors: &mut ValidationErrors,
) {
    let opts = crate::path::Options {
        allow_encoded_slash,
    };
    match crate::path::normalize(p, opts) {
        Ok(n) if n == p => {}
        Ok(n) => errors.push(
            field,
            Msg::PathNotNormal {
                path: p.to_owned(),
                normal: n.into_owned(),
            },
        ),
        Err(why) => errors.push(
            field,
            Msg::PathInvalid {
                path: p.to_owned(),
                why: Msg::from(why).into(),
            },
        ),
    }
}

fn compile_rewrites(
    svc: &Service,
    path: &str,
    errors: &mut ValidationErrors,
) -> Box<[CompiledRewrite]> {
    let mut out = Vec::with_capacity(svc.rewrite.len());
    for (i, rule) in svc.rewrite.iter().enumerate() {
        let p = format!("{path}.rewrite[{i}]");
        let regex = match regex::RegexBuilder::new(&rule.pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                errors.push(
                    format!("{p}.pattern"),
                    Msg::RegexInvalid {
                        error: one_line(&e.to_string()),
                    },
                );
                continue;
            }
        };
        if let Err(msg) = check_replacement(&regex, &rule.replacement) {
            errors.push(format!("{p}.replacement"), msg);
            continue;
        }
        out.push(CompiledRewrite {
            regex,
            replacement: rule.replacement.clone(),
        });
    }
    out.into_boxed_slice()
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `$name` / `${name}` in `replacement` must name a group of `regex`;
/// the regex crate would silently substitute an empty string otherwise — and
/// `$1abc` means the group named `1abc`, a classic mistake.
fn check_replacement(regex: &Regex, replacement: &str) -> Result<(), Msg> {
    let names: Vec<&str> = regex.capture_names().flatten().collect();
    let groups = regex.captures_len();
    let bytes = replacement.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let (name, braced, next) = if bytes.get(i + 1) == Some(&b'{') {
            match replacement[i + 2..].find('}') {
                Some(end) => (&replacement[i + 2..i + 2 + end], true, i + 3 + end),
                None => return Err(Msg::ReplacementUnclosed { at: i }),
            }
        } else {
            let len = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            (&replacement[i + 1..i + 1 + len], false, i + 1 + len)
        };
        if name.is_empty() {
            i = next.max(i + 1);
            continue;
        }
        let known = match name.parse::<usize>() {
            Ok(n) => n < groups,
            Err(_) => names.contains(&name),
        };
        if !known {
            let group = name.to_owned();
            return Err(if !braced && name.as_bytes()[0].is_ascii_digit() {
                let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
                let rest = name[digits.len()..].to_owned();
                Msg::ReplacementGroupHint {
                    group,
                    digits,
                    rest,
                }
            } else {
                Msg::ReplacementUnknownGroup { group }
            });
        }
        i = next;
    }
    Ok(())
}

/// `request_headers` or `response_headers` (`field`). The framing and
/// hop-by-hop fields are the gateway's on both sides.
fn compile_header_ops(
    ops: &[HeaderOp],
    path: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> Box<[CompiledHeaderOp]> {
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let p = format!("{path}.{field}[{i}]");
        let name = match HeaderName::from_bytes(op.name.as_bytes()) {
            Ok(n) => n,
            Err(_) => {
                errors.push(
                    format!("{p}.name"),
                    Msg::HeaderNameInvalid {
                        name: op.name.clone(),
                    },
                );
                continue;
            }
        };
        if MANAGED_HEADERS.contains(&name.as_str()) {
            errors.push(
                format!("{p}.name"),
                Msg::HeaderManaged {
                    name: op.name.clone(),
                },
            );
            continue;
        }
        let value = match (op.op, &op.value) {
            (HeaderOpKind::Remove, Some(_)) => {
                errors.push(format!("{p}.value"), Msg::ValueEmptyForRemove);
                continue;
            }
            (HeaderOpKind::Remove, None) => None,
            (_, None) => {
                errors.push(format!("{p}.value"), Msg::ValueRequiredForAddSet);
                continue;
            }
            (_, Some(v)) => match HeaderValue::from_str(v) {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(format!("{p}.value"), Msg::HeaderValueInvalid);
                    continue;
                }
            },
        };
        out.push(CompiledHeaderOp {
            kind: op.op,
            name,
            value,
        });
    }
    out.into_boxed_slice()
}

fn compile_upstream(
    svc: &Service,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledUpstream> {
    let up = &svc.upstream;
    let p = format!("{path}.upstream");
    let before = errors.errors.len();
    if up.nodes.is_empty() {
        errors.push(format!("{p}.nodes"), Msg::NeedsNode);
    }
    let weighted = matches!(
        up.balance,
        Balance::WeightedRoundRobin | Balance::ConsistentHash
    );
    let mut nodes = Vec::with_capacity(up.nodes.len());
    for (i, node) in up.nodes.iter().enumerate() {
        let np = format!("{p}.nodes[{i}]");
        let addr = match NodeAddr::parse(&node.addr) {
            Ok(a) => a,
            Err(e) => {
                errors.push(format!("{np}.addr"), e);
                continue;
            }
        };
        if nodes.iter().any(|n: &CompiledNode| n.addr == addr) {
            errors.push(
                format!("{np}.addr"),
                Msg::AddrListedTwice {
                    addr: node.addr.clone(),
                },
            );
        }
        if node.weight > MAX_WEIGHT {
            errors.push(
                format!("{np}.weight"),
                Msg::AtMost {
                    max: u64::from(MAX_WEIGHT),
                },
            );
        } else if node.weight == 0 && weighted && !matches!(addr, NodeAddr::Srv { .. }) {
            errors.push(
                format!("{np}.weight"),
                Msg::WeightZero {
                    balance: up.balance.as_str().to_owned(),
                },
            );
        }
        nodes.push(CompiledNode {
            addr,
            weight: node.weight,
            enabled: node.enabled,
        });
    }
    if up.hash_key.is_some() && up.balance != Balance::ConsistentHash {
        errors.push(format!("{p}.hash_key"), Msg::OnlyForConsistentHash);
    }
    let tls = compile_upstream_tls(&up.tls, &format!("{p}.tls"), errors);
    let t = &up.timeouts;
    for (field, d) in [
        ("connect", t.connect),
        ("response_header", t.response_header),
    ] {
        if d.get().is_zero() {
            errors.push(format!("{p}.timeouts.{field}"), Msg::GreaterThanZero);
        }
    }
    if up.max_idle_per_node > MAX_IDLE_PER_NODE {
        errors.push(
            format!("{p}.max_idle_per_node"),
            Msg::AtMost {
                max: u64::from(MAX_IDLE_PER_NODE),
            },
        );
    }
    if t.stream_idle.get().is_zero() {
        errors.push(format!("{p}.timeouts.stream_idle"), Msg::GreaterThanZero);
    }
    let protocol = match svc.kind {
        ServiceKind::Http => UpstreamProtocol::Http1,
        ServiceKind::Grpc => UpstreamProtocol::Http2,
        ServiceKind::Tcp => UpstreamProtocol::Tcp,
    };
    let health_check = compile_health_check(up, svc.kind, &p, errors);
    let outlier = compile_outlier(up, &p, errors);
    let retry = compile_retry(up, svc.kind, &p, errors);
    let circuit_breaker = compile_breaker(up, svc.kind, &p, errors);
    if up.dns.min_ttl.get() < Duration::from_millis(MIN_DNS_TTL_MS) {
        errors.push(
            format!("{p}.dns.min_ttl"),
            Msg::AtLeastMs {
                min: MIN_DNS_TTL_MS,
            },
        );
    }
    if up.dns.max_ttl < up.dns.min_ttl {
        errors.push(
            format!("{p}.dns.max_ttl"),
            Msg::NotLessThan {
                other: "min_ttl".into(),
            },
        );
    }
    (errors.errors.len() == before).then(|| CompiledUpstream {
        balance: up.balance,
        hash_key: up.hash_key.clone().unwrap_or_default(),
        nodes: nodes.into_boxed_slice(),
        protocol,
        tls,
        connect_timeout: t.connect.get(),
        response_header_timeout: t.response_header.get(),
        idle_timeout: t.idle.get(),
        stream_idle_timeout: t.stream_idle.get(),
        max_idle_per_node: up.max_idle_per_node as usize,
        health_check,
        outlier,
        fail_open: up.fail_open,
        retry,
        circuit_breaker,
        dns_ttl: (up.dns.min_ttl.get(), up.dns.max_ttl.get()),
    })
}

fn compile_health_check(
    up: &Upstream,
    kind: ServiceKind,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledHealthCheck> {
    let hc = up.health_check.as_ref()?;
    let p = format!("{path}.health_check");
    let before = errors.errors.len();
    if hc.interval.get() < Duration::from_millis(MIN_HEALTH_INTERVAL_MS) {
        errors.push(
            format!("{p}.interval"),
            Msg::AtLeastMs {
                min: MIN_HEALTH_INTERVAL_MS,
            },
        );
    }
    if hc.timeout.get().is_zero() {
        errors.push(format!("{p}.timeout"), Msg::GreaterThanZero);
    } else if hc.timeout > hc.interval {
        errors.push(format!("{p}.timeout"), Msg::TimeoutOverInterval);
    }
    for (field, v) in [("healthy", hc.healthy), ("unhealthy", hc.unhealthy)] {
        if !HEALTH_THRESHOLD.contains(&v) {
            errors.push(
                format!("{p}.{field}"),
                Msg::Between {
                    min: u64::from(*HEALTH_THRESHOLD.start()),
                    max: u64::from(*HEALTH_THRESHOLD.end()),
                },
            );
        }
    }
    match (hc.kind, kind) {
        (CheckKind::Http, ServiceKind::Tcp) => {
            errors.push(format!("{p}.type"), Msg::HttpCheckNeedsHttp);
        }
        (CheckKind::Grpc, k) if k != ServiceKind::Grpc => {
            errors.push(format!("{p}.type"), Msg::GrpcCheckNeedsGrpc);
        }
        _ => {}
    }
    if !hc.path.starts_with('/') {
        errors.push(
            format!("{p}.path"),
            Msg::MustStartWithSlash {
                value: hc.path.clone(),
            },
        );
    }
    let expect = match parse_status_ranges(&hc.expect_status) {
        Ok(r) => r,
        Err(why) => {
            errors.push(format!("{p}.expect_status"), why);
            Vec::new()
        }
    };
    if let Some(h) = &hc.host
        && validate_hostname(h.split(':').next().unwrap_or(h)).is_err()
    {
        errors.push(format!("{p}.host"), Msg::HostInvalid { host: h.clone() });
    }
    (errors.errors.len() == before).then(|| CompiledHealthCheck {
        kind: hc.kind,
        interval: hc.interval.get(),
        timeout: hc.timeout.get(),
        healthy: hc.healthy,
        unhealthy: hc.unhealthy,
        path: hc.path.clone(),
        expect,
        host: hc.host.clone(),
        grpc_service: hc.grpc_service.clone(),
    })
}

/// `200-399`, `200,204`, `200-299,404`.
fn parse_status_ranges(s: &str) -> Result<Vec<(u16, u16)>, Msg> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let parse = |v: &str| {
            v.parse::<u16>()
                .ok()
                .filter(|n| HTTP_STATUS.contains(n))
                .ok_or_else(|| Msg::StatusInvalid {
                    value: v.to_owned(),
                })
        };
        let (lo, hi) = (parse(lo)?, parse(hi)?);
        if lo > hi {
            return Err(Msg::StatusRangeEmpty {
                range: part.to_owned(),
            });
        }
        out.push((lo, hi));
    }
    if out.is_empty() {
        return Err(Msg::StatusNone);
    }
    Ok(out)
}

fn compile_outlier(
    up: &Upstream,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledOutlier> {
    let o = up.outlier.as_ref()?;
    let p = format!("{path}.outlier");
    let before = errors.errors.len();
    if o.consecutive_failures == 0 {
        errors.push(format!("{p}.consecutive_failures"), Msg::AtLeast { min: 1 });
    }
    if o.base_ejection.get().is_zero() {
        errors.push(format!("{p}.base_ejection"), Msg::GreaterThanZero);
    }
    if o.max_ejection < o.base_ejection {
        errors.push(
            format!("{p}.max_ejection"),
            Msg::NotLessThan {
                other: "base_ejection".into(),
            },
        );
    }
    if o.max_ejected_percent > MAX_EJECTED_PERCENT {
        errors.push(
            format!("{p}.max_ejected_percent"),
            Msg::Between {
                min: 0,
                max: u64::from(MAX_EJECTED_PERCENT),
            },
        );
    }
    for (i, s) in o.failure_statuses.iter().enumerate() {
        if !HTTP_STATUS.contains(s) {
            errors.push(format!("{p}.failure_statuses[{i}]"), Msg::NotAStatus);
        }
    }
    (errors.errors.len() == before).then(|| CompiledOutlier {
        consecutive_failures: o.consecutive_failures,
        base_ejection: o.base_ejection.get(),
        max_ejection: o.max_ejection.get(),
        max_ejected_percent: o.max_ejected_percent,
        failure_statuses: o.failure_statuses.clone(),
    })
}

fn compile_upstream_tls(
    tls: &UpstreamTls,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledUpstreamTls> {
    if !tls.enabled {
        return None;
    }
    if let Some(ca) = &tls.ca {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(ca.as_bytes()).collect();
        match certs {
            Ok(c) if !c.is_empty() => {}
            Ok(_) => errors.push(format!("{path}.ca"), Msg::NoCertificateBlock),
            Err(e) => errors.push(
                format!("{path}.ca"),
                Msg::PemInvalid {
                    error: e.to_string(),
                },
            ),
        }
    }
    if let Some(name) = &tls.server_name
        && name.parse::<std::net::IpAddr>().is_err()
        && let Err(why) = validate_hostname(name)
    {
        errors.push(
            format!("{path}.server_name"),
            Msg::HostNameInvalid {
                host: name.clone(),
                why: why.into(),
            },
        );
    }
    Some(CompiledUpstreamTls {
        ca_pem: tls.ca.clone(),
        server_name: tls.server_name.clone(),
        insecure_skip_verify: tls.insecure_skip_verify,
    })
}
