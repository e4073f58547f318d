//! Explain: what the data plane would do with a request, computed from the
//! live snapshot without sending anything and without changing any state —
//! no balancer cursor moves, no rate-limit token is taken, no counter ticks.
//!
//! It follows the phases of `http::handler` in the same order (path
//! normalisation → gateway endpoints → host → route → HTTPS redirect → client identity → IP rules →
//! authentication → limits → upgrade check → rewrite and headers → balance) and reuses the same
//! compiled structures and policy functions, so that the two cannot
//! disagree on anything but state: rate limits depend on their buckets
//! (reported as `depends`), and which node a rotating or random balancer
//! picks depends on the requests in between (reported as candidates). The
//! integration test `explain` checks the answers against real traffic.
//!
//! The answer types serialise with the same field names as the admin API's
//! explain types, which is how the binary hands them over. Every sentence
//! for people is an [`ExplainText`]: its English in `reason`/`detail`, its
//! code and parameters beside it (`reason_code`, `detail_params`, …).

mod text;

use std::net::IpAddr;
use std::str::FromStr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, StatusCode};
use serde::Serialize;
use weir_core::compile::{CompiledService, Rate};
use weir_core::{Balance, Coded, HashKey, HeaderOpKind, Msg};

use crate::DataPlane;
use crate::balance::{Peek, hash_key};
use crate::http::{ProxyError, routing_host};
use crate::policy::{Refusal, authenticate, identity};
use crate::text::Params;

pub use text::ExplainText;

/// Paths the data plane answers itself (see `http::oauth`).
const GATEWAY_PATHS: [&str; 2] = ["/oauth/tokens", "/.well-known/jwks.json"];
const X_WEIR_APP_ID: &str = "x-weir-app-id";
const X_REQUEST_ID: &str = "x-request-id";

/// A request to explain.
#[derive(Debug, Clone)]
pub struct ExplainInput {
    pub method: String,
    pub host: Option<String>,
    /// Path with optional query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The TCP peer the request arrives from.
    pub client_ip: String,
    /// Whether the request arrives over HTTPS (the HTTPS listener).
    pub https: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: Coded },
    #[error("no configuration is loaded yet")]
    NotReady,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub revision: i64,
    pub verdict: &'static str,
    pub client_ip: String,
    pub route: Option<RouteMatch>,
    pub policies: Vec<PolicyVerdict>,
    pub rejection: Option<Rejection>,
    pub upstream_request: Option<UpstreamRequest>,
    pub balancer: Option<BalancerChoice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteMatch {
    pub service: String,
    pub kind: String,
    pub host: Option<String>,
    pub prefix: Option<String>,
    pub reason: String,
    pub reason_code: &'static str,
    pub reason_params: Params,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyVerdict {
    pub policy: &'static str,
    /// `allow`, `reject`, `skip` or `depends`.
    pub outcome: &'static str,
    pub detail: String,
    pub detail_code: &'static str,
    pub detail_params: Params,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub detail_code: &'static str,
    pub detail_params: Params,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamRequest {
    pub path: String,
    pub headers: Vec<HeaderEntry>,
    pub header_ops: Vec<String>,
    pub upgrade: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeaderEntry {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BalancerChoice {
    pub strategy: String,
    pub deterministic: bool,
    pub node: Option<NodeRef>,
    pub candidates: Vec<NodeRef>,
    pub detail: String,
    pub detail_code: &'static str,
    pub detail_params: Params,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    pub index: usize,
    pub addr: String,
    pub weight: u32,
}

fn invalid(path: &str, message: Msg) -> ExplainError {
    ExplainError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

fn verdict(policy: &'static str, outcome: &'static str, text: ExplainText) -> PolicyVerdict {
    PolicyVerdict {
        policy,
        outcome,
        detail: text.to_string(),
        detail_code: text.code(),
        detail_params: text.params(),
    }
}

fn rejection(e: &ProxyError, text: ExplainText) -> Rejection {
    rejection_as(e.status(), e.code(), text)
}

fn rejection_as(status: StatusCode, code: &str, text: ExplainText) -> Rejection {
    Rejection {
        status: status.as_u16(),
        code: code.to_owned(),
        detail: text.to_string(),
        detail_code: text.code(),
        detail_params: text.params(),
    }
}

/// Explain `input` against the plane's current snapshot.
pub fn explain(plane: &DataPlane, input: &ExplainInput) -> Result<Explanation, ExplainError> {
    // Parse exactly what a client could have sent.
    let method = Method::from_str(&input.method).map_err(|_| {
        invalid(
            "method",
            Msg::MethodInvalid {
                method: input.method.clone(),
            },
        )
    })?;
    if !input.path.starts_with('/') {
        return Err(invalid(
            "path",
            Msg::MustStartWithSlash {
                value: input.path.clone(),
            },
        ));
    }
    let pq = PathAndQuery::from_str(&input.path)
        .map_err(|_| invalid("path", Msg::RequestPathInvalid))?;
    // As the handler: encoded slashes are kept until the service is known.
    let keep_slashes = weir_core::path::Options {
        allow_encoded_slash: true,
    };
    let normalized = weir_core::path::normalize(pq.path(), keep_slashes).map(|p| p.into_owned());
    let mut headers = HeaderMap::new();
    for (name, value) in &input.headers {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            invalid(
                &format!("headers.{name}"),
                Msg::HeaderNameInvalid { name: name.clone() },
            )
        })?;
        let v = HeaderValue::from_str(value)
            .map_err(|_| invalid(&format!("headers.{name}"), Msg::HeaderValueInvalid))?;
        headers.append(n, v);
    }
    let host_value = match &input.host {
        Some(h) => Some(
            HeaderValue::from_str(h)
                .map_err(|_| invalid("host", Msg::HostInvalid { host: h.clone() }))?,
        ),
        None => headers.get(header::HOST).cloned(),
    };
    if let (Some(h), false) = (&host_value, headers.contains_key(header::HOST)) {
        headers.insert(header::HOST, h.clone());
    }
    let peer: IpAddr = input.client_ip.trim().parse().map_err(|_| {
        invalid(
            "client_ip",
            Msg::NotAnIp {
                value: input.client_ip.clone(),
            },
        )
    })?;
    if plane.install_counts().0 == 0 {
        return Err(ExplainError::NotReady);
    }

    let snap = plane.snapshot();
    let client = identity::client_ip(peer, &headers, &plane.options.trusted_proxies);
    let mut out = Explanation {
        revision: snap.revision,
        verdict: "reject",
        client_ip: client.to_string(),
        route: None,
        policies: Vec::new(),
        rejection: None,
        upstream_request: None,
        balancer: None,
    };
    let pq = match normalized {
        Err(why) => {
            out.policies.push(verdict("path", "reject", why.into()));
            let e = ProxyError::BadRequest(why.reason());
            out.rejection = Some(rejection(&e, why.into()));
            return Ok(out);
        }
        Ok(p) if p == pq.path() => pq,
        Ok(p) => {
            out.policies.push(verdict(
                "path",
                "allow",
                ExplainText::PathNormalized {
                    from: pq.path().to_owned(),
                    to: p.clone(),
                },
            ));
            let with_query = match pq.query() {
                Some(q) => format!("{p}?{q}"),
                None => p,
            };
            PathAndQuery::from_str(&with_query)
                .map_err(|_| invalid("path", Msg::RequestPathInvalid))?
        }
    };
    let path = pq.path();
    if GATEWAY_PATHS.contains(&path) {
        out.policies.push(verdict(
            "routing",
            "skip",
            ExplainText::GatewayEndpoint { path: path.into() },
        ));
        out.rejection = Some(rejection_as(
            StatusCode::OK,
            "gateway_endpoint",
            ExplainText::GatewayEndpointAnswer,
        ));
        return Ok(out);
    }

    let host_value = match routing_host(input.host.as_deref(), &headers, false) {
        Ok(h) => h,
        Err(e) => {
            out.policies.push(verdict("host", "reject", e.into()));
            out.rejection = Some(rejection(&ProxyError::from(e), e.into()));
            return Ok(out);
        }
    };
    let host = host_value.as_ref().and_then(|v| v.to_str().ok());
    let Some(index) = snap.config.router.lookup(host, path) else {
        out.policies.push(verdict(
            "routing",
            "reject",
            ExplainText::NoServiceFor {
                host: host.unwrap_or("").into(),
                path: path.into(),
            },
        ));
        out.rejection = Some(rejection(
            &ProxyError::NoRoute,
            ExplainText::NoServiceMatches,
        ));
        return Ok(out);
    };
    let index = index as usize;
    let (Some(svc), Some(rt)) = (snap.config.services.get(index), snap.services.get(index)) else {
        return Err(ExplainError::NotReady);
    };
    let spec = &svc.spec;
    let request_host = host.unwrap_or("").to_owned();
    let reason = match (&spec.route.host, &spec.route.prefix) {
        (Some(h), Some(p)) => ExplainText::RouteHostPrefix {
            host: h.clone(),
            request_host,
            prefix: p.clone(),
        },
        (Some(h), None) => ExplainText::RouteHost {
            host: h.clone(),
            request_host,
        },
        (None, Some(p)) => ExplainText::RoutePrefix { prefix: p.clone() },
        (None, None) => ExplainText::RouteAny,
    };
    out.route = Some(RouteMatch {
        service: svc.name.to_string(),
        kind: spec.kind.as_str().into(),
        host: spec.route.host.clone(),
        prefix: spec.route.prefix.clone(),
        reason: reason.to_string(),
        reason_code: reason.code(),
        reason_params: reason.params(),
    });
    out.policies.push(verdict("routing", "allow", reason));
    if !svc.allow_encoded_slashes && weir_core::path::has_encoded_slash(path) {
        let why = weir_core::path::PathError::EncodedSlash;
        out.policies.push(verdict(
            "path",
            "reject",
            ExplainText::PathEncodedSlashNotAllowed,
        ));
        out.rejection = Some(rejection(&ProxyError::BadRequest(why.reason()), why.into()));
        return Ok(out);
    }

    if spec.https_redirect {
        if input.https {
            out.policies.push(verdict(
                "https_redirect",
                "allow",
                ExplainText::ArrivesOverHttps,
            ));
        } else {
            out.policies.push(verdict(
                "https_redirect",
                "reject",
                ExplainText::RedirectsToHttps,
            ));
            let e = ProxyError::HttpsRequired {
                location: https_location(host, &pq, plane.https_port()),
            };
            out.rejection = Some(rejection(&e, ExplainText::RedirectedToHttps));
            return Ok(out);
        }
    }

    // Policies, in the handler's order; the first refusal decides.
    let mut refusal: Option<(ProxyError, ExplainText)> = None;
    ip_policies(svc, client, &mut out.policies, &mut refusal);
    let mut tenant = None;
    if refusal.is_none() {
        tenant = auth_policies(
            &snap.config,
            svc,
            client,
            &headers,
            path,
            &mut out.policies,
            &mut refusal,
        );
    }
    if refusal.is_none() {
        limit_policies(svc, tenant.as_deref(), &mut out.policies);
    }
    let upgrade = method == Method::GET && wants_upgrade(&headers);
    if refusal.is_none() {
        if !upgrade {
            out.policies
                .push(verdict("websocket", "skip", ExplainText::NotUpgrade));
        } else if svc.websocket {
            out.policies
                .push(verdict("websocket", "allow", ExplainText::WebsocketAllowed));
        } else {
            out.policies.push(verdict(
                "websocket",
                "reject",
                ExplainText::WebsocketRefused,
            ));
            let e = ProxyError::UpgradeNotAllowed {
                service: svc.name.to_string(),
            };
            refusal = Some((e, ExplainText::UpgradeRefused));
        }
    }
    if refusal.is_none() {
        refusal = body_policy(svc, &headers, &mut out.policies);
    }
    if let Some((e, detail)) = refusal {
        out.rejection = Some(rejection(&e, detail));
        return Ok(out);
    }

    // The request as it would go upstream.
    let up = &*rt.upstream;
    let hash = request_hash(up.spec.balance, &up.spec.hash_key, client, &pq, &headers);
    let rewritten = svc.rewrite_path(path);
    let upstream_path = match pq.query() {
        Some(q) => format!("{rewritten}?{q}"),
        None => rewritten.into_owned(),
    };
    let mut sent = headers.clone();
    let request_id = match sent.get(X_REQUEST_ID) {
        Some(v)
            if !v.is_empty() && v.len() <= 128 && v.as_bytes().iter().all(u8::is_ascii_graphic) =>
        {
            v.clone()
        }
        _ => HeaderValue::from_static("(generated)"),
    };
    sent.remove(X_WEIR_APP_ID);
    strip_hop_by_hop(&mut sent, upgrade);
    // The gateway's own headers, after hop-by-hop removal (as the handler).
    if let Some(h) = &host_value {
        sent.insert(header::HOST, h.clone());
    }
    sent.insert(X_REQUEST_ID, request_id);
    if let Some(app) = tenant
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        sent.insert(X_WEIR_APP_ID, app);
    }
    let proto = if input.https { "https" } else { "http" };
    add_forwarded(&mut sent, peer.to_canonical(), proto, host_value.as_ref());
    svc.apply_header_ops(&mut sent);
    out.upstream_request = Some(UpstreamRequest {
        path: upstream_path,
        headers: sent
            .iter()
            .map(|(k, v)| HeaderEntry {
                name: k.as_str().to_owned(),
                value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
            })
            .collect(),
        header_ops: svc
            .header_ops
            .iter()
            .map(|op| match (op.kind, &op.value) {
                (HeaderOpKind::Remove, _) => format!("remove {}", op.name),
                (k, v) => format!(
                    "{} {}: {}",
                    if k == HeaderOpKind::Add { "add" } else { "set" },
                    op.name,
                    v.as_ref()
                        .map_or(String::new(), |v| String::from_utf8_lossy(v.as_bytes())
                            .into_owned())
                ),
            })
            .collect(),
        upgrade,
    });

    // Balance: which node, without moving anything. Members include
    // discovered and registered nodes; health and ejection count, as they
    // do for real requests.
    let members = up.members();
    let nodes = &members.list;
    let node_ref = |i: usize| {
        nodes.get(i).map(|n| NodeRef {
            index: i,
            addr: n.addr.to_string(),
            weight: n.weight,
        })
    };
    let now = crate::clock::mono_nanos();
    let usable = |i: usize| nodes.get(i).is_some_and(|n| n.usable(now));
    let strategy = up.spec.balance;
    let key = || up.spec.hash_key.to_string();
    let (deterministic, node, mut candidates, detail) = match members.balancer.peek(hash, usable) {
        Peek::Node(i) => (
            true,
            node_ref(i),
            vec![i],
            match strategy {
                Balance::ConsistentHash => ExplainText::HashOwnsNode { key: key() },
                _ => ExplainText::OnlyUsableNode,
            },
        ),
        Peek::OneOf(list) => {
            let detail = match strategy {
                Balance::RoundRobin => ExplainText::NextInRotation,
                Balance::WeightedRoundRobin => ExplainText::ByWeight,
                Balance::Random => ExplainText::UniformlyRandom,
                Balance::LeastRequest => ExplainText::LessBusyOfTwo,
                // The ring names one node (`Peek::Node`); said for
                // completeness.
                Balance::ConsistentHash => ExplainText::HashDecides { key: key() },
            };
            (false, None, list, detail)
        }
        Peek::Empty => (true, None, Vec::new(), ExplainText::NoUsableNode),
    };
    if strategy == Balance::WeightedRoundRobin {
        // Weight-0 nodes take no part in the schedule.
        candidates.retain(|&i| nodes.get(i).is_some_and(|n| n.weight > 0));
    }
    let (deterministic, node) = match (node, candidates.as_slice()) {
        (None, [only]) => (true, node_ref(*only)),
        (n, _) => (deterministic, n),
    };
    if candidates.is_empty() {
        out.rejection = Some(rejection(
            &ProxyError::NoNode {
                service: svc.name.to_string(),
            },
            ExplainText::NoUsableNode,
        ));
    } else {
        out.verdict = "forward";
    }
    out.balancer = Some(BalancerChoice {
        strategy: strategy.as_str().into(),
        deterministic,
        node,
        candidates: candidates.into_iter().filter_map(node_ref).collect(),
        detail: detail.to_string(),
        detail_code: detail.code(),
        detail_params: detail.params(),
    });
    Ok(out)
}

fn ip_policies(
    svc: &CompiledService,
    client: IpAddr,
    policies: &mut Vec<PolicyVerdict>,
    refusal: &mut Option<(ProxyError, ExplainText)>,
) {
    let access = &svc.access;
    let allowed_by_list = access.ip_allow.as_ref().map(|l| l.contains(client));
    let client_text = || client.to_string();
    policies.push(match allowed_by_list {
        None => verdict("ip_allow", "skip", ExplainText::NoAllowList),
        Some(true) => verdict(
            "ip_allow",
            "allow",
            ExplainText::OnAllowList {
                client: client_text(),
            },
        ),
        Some(false) => verdict(
            "ip_allow",
            "reject",
            ExplainText::NotOnAllowList {
                client: client_text(),
            },
        ),
    });
    policies.push(match (&access.ip_deny, allowed_by_list) {
        (None, _) => verdict("ip_deny", "skip", ExplainText::NoDenyList),
        (Some(_), Some(_)) => verdict("ip_deny", "skip", ExplainText::AllowListDecides),
        (Some(deny), None) if deny.contains(client) => verdict(
            "ip_deny",
            "reject",
            ExplainText::OnDenyList {
                client: client_text(),
            },
        ),
        (Some(_), None) => verdict(
            "ip_deny",
            "allow",
            ExplainText::NotOnDenyList {
                client: client_text(),
            },
        ),
    });
    // The data plane's own check decides; the lines above explain it.
    if let Err(why) = access.check_ip(client) {
        *refusal = Some((ProxyError::Refused(Refusal::Ip(why)), why.into()));
    }
}

/// Returns the authenticated tenant's app id, if any.
fn auth_policies(
    config: &weir_core::CompiledConfig,
    svc: &CompiledService,
    client: IpAddr,
    headers: &HeaderMap,
    path: &str,
    policies: &mut Vec<PolicyVerdict>,
    refusal: &mut Option<(ProxyError, ExplainText)>,
) -> Option<std::sync::Arc<str>> {
    let Some(auth) = &svc.access.auth else {
        policies.push(verdict("auth", "skip", ExplainText::AuthOff));
        return None;
    };
    if auth.bypasses(path) {
        policies.push(verdict(
            "auth",
            "allow",
            ExplainText::AuthBypassed { path: path.into() },
        ));
        return None;
    }
    // go-gateway tokens are not checked here: an explanation must not
    // count as an accepted token in the migration metric.
    let t = match authenticate(headers, &config.keys, &config.tenants, None, None) {
        Err(f) => {
            policies.push(verdict("auth", "reject", f.into()));
            *refusal = Some((ProxyError::Refused(Refusal::Auth(f)), f.into()));
            return None;
        }
        Ok(t) => t,
    };
    let tenant = || t.app_id.to_string();
    policies.push(verdict(
        "auth",
        "allow",
        ExplainText::ValidToken { tenant: tenant() },
    ));
    if !auth.admits(&t.app_id) {
        let detail = ExplainText::TenantNotAllowed {
            tenant: tenant(),
            allowed: auth.tenant_names().unwrap_or_default().join(", "),
        };
        policies.push(verdict("auth_tenants", "reject", detail.clone()));
        let app_id = std::sync::Arc::clone(&t.app_id);
        *refusal = Some((
            ProxyError::Refused(Refusal::TenantNotAllowed { app_id }),
            detail,
        ));
        return Some(std::sync::Arc::clone(&t.app_id));
    }
    policies.push(match auth.tenant_names() {
        None => verdict("auth_tenants", "skip", ExplainText::EveryTenant),
        Some(_) => verdict(
            "auth_tenants",
            "allow",
            ExplainText::TenantListed { tenant: tenant() },
        ),
    });
    match &t.ip_allow {
        Some(allow) if !allow.contains(client) => {
            policies.push(verdict(
                "tenant_ip",
                "reject",
                ExplainText::NotOnTenantList {
                    client: client.to_string(),
                    tenant: tenant(),
                },
            ));
            *refusal = Some((
                ProxyError::Refused(Refusal::TenantIp {
                    app_id: std::sync::Arc::clone(&t.app_id),
                }),
                ExplainText::TenantIpRefused,
            ));
        }
        Some(_) => policies.push(verdict("tenant_ip", "allow", ExplainText::OnTenantList)),
        None => policies.push(verdict("tenant_ip", "skip", ExplainText::TenantNoList)),
    }
    Some(std::sync::Arc::clone(&t.app_id))
}

fn limit_policies(svc: &CompiledService, tenant: Option<&str>, policies: &mut Vec<PolicyVerdict>) {
    let limit = |name: &'static str, rate: Option<&Rate>| match rate {
        Some(r) => verdict(
            name,
            "depends",
            ExplainText::RateDepends {
                per_second: r.per_second.to_string(),
                burst: r.burst.to_string(),
            },
        ),
        None => verdict(name, "skip", ExplainText::Unlimited),
    };
    policies.push(limit("service_qps", svc.limits.service.as_ref()));
    policies.push(limit("client_ip_qps", svc.limits.client_ip.as_ref()));
    if let Some(app) = tenant {
        policies.push(verdict(
            "tenant_limits",
            "depends",
            ExplainText::TenantLimitsDepend { tenant: app.into() },
        ));
    }
}

/// The service's `max_body_bytes` against a declared `Content-Length`, as
/// the handler checks it before picking a node. A body without a length is
/// counted while it streams, so its verdict depends on what is sent.
fn body_policy(
    svc: &CompiledService,
    headers: &HeaderMap,
    policies: &mut Vec<PolicyVerdict>,
) -> Option<(ProxyError, ExplainText)> {
    let Some(max) = svc.max_body_bytes else {
        policies.push(verdict("max_body_bytes", "skip", ExplainText::NoBodyLimit));
        return None;
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > max => {
            policies.push(verdict(
                "max_body_bytes",
                "reject",
                ExplainText::BodyOverLimit {
                    len: len.to_string(),
                    max: max.to_string(),
                },
            ));
            let e = ProxyError::ClientBody(crate::upstream::BodyFault::TooLarge(max));
            Some((e, ExplainText::BodyTooLarge))
        }
        Some(len) => {
            policies.push(verdict(
                "max_body_bytes",
                "allow",
                ExplainText::BodyWithinLimit {
                    len: len.to_string(),
                    max: max.to_string(),
                },
            ));
            None
        }
        None => {
            policies.push(verdict(
                "max_body_bytes",
                "depends",
                ExplainText::BodyStreamed {
                    max: max.to_string(),
                },
            ));
            None
        }
    }
}

/// As `http::handler::request_hash`: the key consistent hashing uses.
fn request_hash(
    balance: Balance,
    key: &HashKey,
    client: IpAddr,
    pq: &PathAndQuery,
    headers: &HeaderMap,
) -> u64 {
    if balance != Balance::ConsistentHash {
        return 0;
    }
    let ip_hash = || match client {
        IpAddr::V4(a) => hash_key(&a.octets()),
        IpAddr::V6(a) => hash_key(&a.octets()),
    };
    match key {
        HashKey::ClientIp => ip_hash(),
        HashKey::Uri => hash_key(pq.as_str().as_bytes()),
        HashKey::Header(name) => match headers.get(name.as_str()) {
            Some(v) => hash_key(v.as_bytes()),
            None => ip_hash(),
        },
    }
}

/// As `http::handler::https_location`: where an HTTPS redirect points.
fn https_location(host: Option<&str>, pq: &PathAndQuery, https_port: Option<u16>) -> String {
    let host = host.unwrap_or("localhost");
    let bare = if host.starts_with('[') {
        host.split(']')
            .next()
            .map_or(host.to_owned(), |h| format!("{h}]"))
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned()
    };
    let port = match https_port {
        Some(443) | None => String::new(),
        Some(p) => format!(":{p}"),
    };
    format!("https://{bare}{port}{}", pq.as_str())
}

/// As `http::headers::wants_upgrade`.
fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// As `http::headers::strip_hop_by_hop`.
fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    if let Some(conn) = headers.get(header::CONNECTION).cloned() {
        if let Ok(list) = conn.to_str() {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if keep_upgrade && name.eq_ignore_ascii_case("upgrade") {
                    continue;
                }
                if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    headers.remove(&name);
                }
            }
        }
        headers.remove(header::CONNECTION);
        if keep_upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        }
    }
    for h in ["keep-alive", "proxy-connection", "transfer-encoding", "te"] {
        headers.remove(h);
    }
    if !keep_upgrade {
        headers.remove(header::UPGRADE);
    }
}

/// As `http::headers::add_forwarded`.
fn add_forwarded(
    headers: &mut HeaderMap,
    peer: IpAddr,
    proto: &'static str,
    host: Option<&HeaderValue>,
) {
    let peer = peer.to_string();
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {peer}"),
        None => peer.clone(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
    match host {
        Some(h) => {
            headers.insert("x-forwarded-host", h.clone());
        }
        None => {
            headers.remove("x-forwarded-host");
        }
    }
}

#[cfg(test)]
mod tests;
