//! Explain: what the data plane would do with a request, computed from the
//! live snapshot without sending anything and without changing any state —
//! no balancer cursor moves, no rate-limit token is taken, no counter ticks.
//!
//! It runs the data plane's own phases (`crate::pipeline`: host, route,
//! cors, rewrite, pick; `policy::admit` with a [`policy::Trace`] that turns each
//! step into a verdict), in the handler's order, so the two cannot disagree
//! on anything but state: rate limits depend on their buckets (a dry-run
//! limit backend takes no token; reported as `depends`), and which node a
//! rotating or random balancer picks depends on the requests in between
//! (reported as candidates). The integration test `explain` checks the
//! answers against real traffic.
//!
//! The answer types are `weir_core::report`'s, defined once: the admin API
//! serves them as they are and documents them. Every sentence
//! for people is an [`ExplainText`]: its English in `reason`/`detail`, its
//! code and parameters beside it (`reason_code`, `detail_params`, …).

mod cors;
mod resilience;
mod text;
mod timeouts;
mod trace;

use std::net::IpAddr;
use std::str::FromStr;

use std::collections::BTreeMap;
use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, StatusCode, Uri, Version};
use weir_core::compile::{CompiledService, RouteRequest};
use weir_core::{Balance, HeaderOpKind, Msg};

use crate::DataPlane;
use crate::balance::Peek;
use crate::http::compress::{Negotiated, Why};
use crate::http::{JWKS_PATH, ProxyError, TOKEN_PATH};
use crate::pipeline::host::routing_host;
use crate::pipeline::pick;
use crate::pipeline::rewrite::{self, Forwarding, Scheme, X_REQUEST_ID};
use crate::pipeline::route::{self, Routed};
use crate::pipeline::split;
use crate::policy::limit::DryRun;
use crate::policy::{self, PolicyInputs, identity};
use crate::snapshot::Snapshot;
use crate::text::Params;

pub(crate) use text::ExplainText;

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

pub use weir_core::report::ExplainError;
pub(crate) use weir_core::report::{
    BalancerChoice, CompressionChoice, CorsOutcome, CorsReport, ExplainRejection, ExplainVerdict,
    Explanation, HeaderEntry, MirrorReport, NodeRef, PolicyOutcome, PolicyVerdict, RouteMatch,
    SplitDecision, SplitReport, SplitShare, UpstreamRequest,
};

fn invalid(path: &str, message: Msg) -> ExplainError {
    ExplainError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

fn verdict(policy: &str, outcome: PolicyOutcome, text: ExplainText) -> PolicyVerdict {
    PolicyVerdict {
        policy: policy.into(),
        outcome,
        detail: text.to_string(),
        detail_code: text.code().into(),
        detail_params: owned(text.params()),
    }
}

/// A text's parameters as the report carries them.
fn owned(params: Params) -> BTreeMap<String, String> {
    params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn rejection(e: &ProxyError, text: ExplainText) -> ExplainRejection {
    rejection_as(e.status(), e.code(), text)
}

fn rejection_as(status: StatusCode, code: &str, text: ExplainText) -> ExplainRejection {
    ExplainRejection {
        status: status.as_u16(),
        code: code.to_owned(),
        detail: text.to_string(),
        detail_code: text.code().into(),
        detail_params: owned(text.params()),
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
        verdict: ExplainVerdict::Reject,
        client_ip: client.to_string(),
        route: None,
        cors: None,
        policies: Vec::new(),
        rejection: None,
        upstream_request: None,
        compression: None,
        balancer: None,
        resilience: None,
        split: None,
        mirror: None,
        timeouts: None,
    };
    let pq = match normalized {
        Err(why) => {
            out.policies
                .push(verdict("path", PolicyOutcome::Reject, why.into()));
            let e = ProxyError::BadRequest(why.reason());
            out.rejection = Some(rejection(&e, why.into()));
            return Ok(out);
        }
        Ok(p) if p == pq.path() => pq,
        Ok(p) => {
            out.policies.push(verdict(
                "path",
                PolicyOutcome::Allow,
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
    let request = Request {
        input,
        method,
        headers,
        pq,
        peer,
        client,
    };
    // The first phase that refuses decides; what it says is the answer.
    if let Err(refusal) = phases(plane, &snap, &request, &mut out) {
        out.rejection = Some(*refusal);
    }
    Ok(out)
}

/// A parsed request to explain.
struct Request<'a> {
    input: &'a ExplainInput,
    /// Read by the CORS phase (a preflight is an `OPTIONS`).
    method: Method,
    headers: HeaderMap,
    pq: PathAndQuery,
    peer: IpAddr,
    client: IpAddr,
}

/// The answer of the phase that refused.
type Refused = Box<ExplainRejection>;

fn refused(e: &ProxyError, text: ExplainText) -> Refused {
    Box::new(rejection(e, text))
}

/// The data plane's phases, in the handler's order, through the same
/// functions (`pipeline`, `policy::admit`).
fn phases(
    plane: &DataPlane,
    snap: &Snapshot,
    req: &Request<'_>,
    out: &mut Explanation,
) -> Result<(), Refused> {
    let path = req.pq.path();
    if path == TOKEN_PATH || path == JWKS_PATH {
        out.policies.push(verdict(
            "routing",
            PolicyOutcome::Skip,
            ExplainText::GatewayEndpoint { path: path.into() },
        ));
        out.rejection = Some(rejection_as(
            StatusCode::OK,
            "gateway_endpoint",
            ExplainText::GatewayEndpointAnswer,
        ));
        return Ok(());
    }
    let host_value = routing_host(req.input.host.as_deref(), &req.headers, false).map_err(|e| {
        out.policies
            .push(verdict("host", PolicyOutcome::Reject, e.into()));
        refused(&ProxyError::from(e), e.into())
    })?;
    let host = host_value.as_ref().and_then(|v| v.to_str().ok());
    let asked = crate::pipeline::cors::preflight_method(&req.method, &req.headers);
    let wanted = RouteRequest {
        host,
        path,
        query: req.pq.query(),
        method: asked.as_ref().unwrap_or(&req.method),
        headers: &req.headers,
    };
    let routed = route_phase(snap, &wanted, out)?;
    let svc = routed.svc;
    let preflight = cors::cors_phase(svc, &req.method, &req.headers, out);
    if let Err(e) = routed.check_path(path) {
        let text = ExplainText::PathEncodedSlashNotAllowed;
        out.policies
            .push(verdict("path", PolicyOutcome::Reject, text.clone()));
        return Err(refused(&e, weir_core::path::PathError::EncodedSlash.into()));
    }
    if svc.https_redirect {
        let https = routed.check_https(req.input.https, host, req.pq.as_str(), plane.https_port());
        if let Err(e) = https {
            out.policies.push(verdict(
                "https_redirect",
                PolicyOutcome::Reject,
                ExplainText::RedirectsToHttps,
            ));
            return Err(refused(&e, ExplainText::RedirectedToHttps));
        }
        out.policies.push(verdict(
            "https_redirect",
            PolicyOutcome::Allow,
            ExplainText::ArrivesOverHttps,
        ));
    }
    if let Some(p) = preflight {
        return cors::answer_preflight(plane, svc, req.client, path, &p, out);
    }
    let tenant = admit_phase(plane, snap, routed, req, out)?;
    let upgrade = upgrade_phase(svc, req, out)?;
    body_policy(svc, &req.headers, &mut out.policies)?;
    out.compression = Some(compression_phase(svc, req, upgrade));
    out.upstream_request = Some(rewrite_phase(
        svc,
        req,
        &Forwarding {
            host: host_value.as_ref(),
            request_id: &HeaderValue::from_static("(generated)"),
            tenant: tenant.as_deref(),
            peer_ip: &rewrite::peer_ip_value(req.peer),
            scheme: if req.input.https {
                Scheme::Https
            } else {
                Scheme::Http
            },
            upgrade,
        },
    )?);
    let forwarded = split_phase(snap, routed, req, out);
    out.mirror = svc.mirror.as_ref().map(|m| MirrorReport {
        service: m.service.to_string(),
        basis_points: m.share,
        copied: !upgrade && crate::http::mirror::takes(m, true),
    });
    pick_phase(forwarded, req, out)
}

/// The split phase itself, without moving the sequence: the service whose
/// upstream takes the request (the routed one without a split).
fn split_phase<'s>(
    snap: &'s Snapshot,
    routed: Routed<'s>,
    req: &Request<'_>,
    out: &mut Explanation,
) -> Routed<'s> {
    let Some(side) = split::choose(snap, routed, &req.headers, true) else {
        return routed;
    };
    let Some(spec) = routed.svc.split.as_ref() else {
        return routed;
    };
    let service = side.upstream_of.svc.name.to_string();
    let (decided_by, text) = match side.reason {
        split::Reason::Forced(n) => (
            SplitDecision::Forced,
            ExplainText::SplitForced {
                rule: (n + 1).to_string(),
                service: service.clone(),
            },
        ),
        split::Reason::Sticky(bucket) => (
            SplitDecision::Sticky,
            ExplainText::SplitSticky {
                key: routed
                    .svc
                    .spec
                    .split
                    .as_ref()
                    .and_then(|s| s.sticky.clone())
                    .unwrap_or_default(),
                bucket: bucket.to_string(),
                service: service.clone(),
            },
        ),
        split::Reason::Shared(_) => (
            SplitDecision::Shared,
            ExplainText::SplitShared {
                service: service.clone(),
            },
        ),
    };
    let mut shares: Vec<SplitShare> = spec
        .targets
        .iter()
        .map(|t| SplitShare {
            service: t.service.to_string(),
            basis_points: t.share,
        })
        .collect();
    let taken: u32 = shares.iter().map(|s| s.basis_points).sum();
    shares.push(SplitShare {
        service: routed.svc.name.to_string(),
        basis_points: weir_core::compile::SPLIT_SCALE.saturating_sub(taken),
    });
    out.split = Some(SplitReport {
        upstream_of: service,
        decided_by,
        shares,
        detail: text.to_string(),
        detail_code: text.code().into(),
        detail_params: owned(text.params()),
    });
    Routed {
        svc: routed.svc,
        rt: side.upstream_of.rt,
    }
}

fn route_phase<'s>(
    snap: &'s Snapshot,
    wanted: &RouteRequest<'_>,
    out: &mut Explanation,
) -> Result<Routed<'s>, Refused> {
    let routed = route::route(snap, None, wanted).map_err(|e| {
        out.policies.push(verdict(
            "routing",
            PolicyOutcome::Reject,
            ExplainText::NoServiceFor {
                host: wanted.host.unwrap_or("").into(),
                path: wanted.path.into(),
            },
        ));
        refused(&e, ExplainText::NoServiceMatches)
    })?;
    let spec = &routed.svc.spec;
    let reason = route_reason(&spec.route, wanted.host.unwrap_or(""));
    out.route = Some(RouteMatch {
        service: routed.svc.name.to_string(),
        kind: spec.kind.as_str().into(),
        host: spec.route.host.clone(),
        prefix: spec.route.prefix.clone(),
        path: spec.route.path.clone(),
        path_regex: spec.route.path_regex.clone(),
        conditions: routed
            .svc
            .route_conditions
            .as_ref()
            .map(|c| c.describe())
            .unwrap_or_default(),
        reason: reason.to_string(),
        reason_code: reason.code().into(),
        reason_params: owned(reason.params()),
    });
    out.policies
        .push(verdict("routing", PolicyOutcome::Allow, reason));
    Ok(routed)
}

/// Why a service's `match` takes the request: its host and its path part.
fn route_reason(m: &weir_core::model::Match, request_host: &str) -> ExplainText {
    let request_host = request_host.to_owned();
    match (&m.host, &m.prefix, &m.path, &m.path_regex) {
        (Some(h), _, Some(p), _) => ExplainText::RouteHostPath {
            host: h.clone(),
            request_host,
            path: p.clone(),
        },
        (Some(h), _, _, Some(r)) => ExplainText::RouteHostRegex {
            host: h.clone(),
            request_host,
            regex: r.clone(),
        },
        (Some(h), Some(p), _, _) => ExplainText::RouteHostPrefix {
            host: h.clone(),
            request_host,
            prefix: p.clone(),
        },
        (Some(h), None, _, _) => ExplainText::RouteHost {
            host: h.clone(),
            request_host,
        },
        (None, _, Some(p), _) => ExplainText::RoutePath { path: p.clone() },
        (None, _, _, Some(r)) => ExplainText::RouteRegex { regex: r.clone() },
        (None, Some(p), _, _) => ExplainText::RoutePrefix { prefix: p.clone() },
        (None, None, _, _) => ExplainText::RouteAny,
    }
}

/// `policy::admit` itself, with a dry-run limit backend (no token taken),
/// no token cache and go-gateway tokens not counted; its steps become the
/// verdicts. Returns the tenant's app id.
fn admit_phase(
    plane: &DataPlane,
    snap: &Snapshot,
    routed: Routed<'_>,
    req: &Request<'_>,
    out: &mut Explanation,
) -> Result<Option<Arc<str>>, Refused> {
    let compat = plane
        .options
        .go_gateway_compat
        .as_ref()
        .map(|c| c.uncounted());
    let mut inputs = PolicyInputs::new(plane, snap, routed);
    inputs.tokens = None;
    inputs.backend = &DryRun;
    inputs.compat = compat.as_ref();
    // Where the real limits are counted, for the limit lines.
    let backend = &plane.options.limits;
    let counted = (backend.status(), backend.fleet_size());
    let mut trace = trace::Verdicts::new(
        routed.svc,
        req.client,
        req.pq.path(),
        &mut out.policies,
        counted,
    );
    let admitted = policy::admit(&inputs, req.client, &req.headers, req.pq.path(), &mut trace);
    match admitted {
        Ok(a) => {
            trace.finish();
            Ok(a.tenant.map(|t| Arc::clone(&t.app_id)))
        }
        Err(refusal) => {
            let detail = trace.refusal_text(&refusal);
            Err(refused(&ProxyError::Refused(refusal), detail))
        }
    }
}

fn upgrade_phase(
    svc: &CompiledService,
    req: &Request<'_>,
    out: &mut Explanation,
) -> Result<bool, Refused> {
    // Explain models an HTTP/1.1 request, the one version with upgrades.
    let upgrade = rewrite::is_upgrade(Version::HTTP_11, &req.headers);
    let (outcome, text) = match (upgrade, svc.websocket) {
        (false, _) => (PolicyOutcome::Skip, ExplainText::NotUpgrade),
        (true, true) => (PolicyOutcome::Allow, ExplainText::WebsocketAllowed),
        (true, false) => (PolicyOutcome::Reject, ExplainText::WebsocketRefused),
    };
    out.policies.push(verdict("websocket", outcome, text));
    if upgrade && !svc.websocket {
        let e = ProxyError::UpgradeNotAllowed {
            service: svc.name.to_string(),
        };
        return Err(refused(&e, ExplainText::UpgradeRefused));
    }
    Ok(upgrade)
}

/// The request as it would go upstream, through the handler's rewrite.
fn rewrite_phase(
    svc: &CompiledService,
    req: &Request<'_>,
    forwarding: &Forwarding<'_>,
) -> Result<UpstreamRequest, Refused> {
    let uri = rewrite::upstream_uri(svc, &Uri::from(req.pq.clone()))
        .map_err(|e| refused(&e, ExplainText::RewrittenPathInvalid))?;
    let mut sent = req.headers.clone();
    // A client's sane request id is passed on; otherwise one is made.
    let request_id = match sent.get(&X_REQUEST_ID) {
        Some(v) if rewrite::sane_request_id(v) => v.clone(),
        _ => forwarding.request_id.clone(),
    };
    rewrite::upstream_headers(
        &mut sent,
        svc,
        &Forwarding {
            request_id: &request_id,
            ..*forwarding
        },
    );
    Ok(UpstreamRequest {
        path: uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned(),
        headers: sent
            .iter()
            .map(|(k, v)| HeaderEntry {
                name: k.as_str().to_owned(),
                value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
            })
            .collect(),
        header_ops: svc.header_ops.iter().map(describe_op).collect(),
        response_header_ops: svc.response_header_ops.iter().map(describe_op).collect(),
        upgrade: forwarding.upgrade,
    })
}

fn describe_op(op: &weir_core::compile::CompiledHeaderOp) -> String {
    match (op.kind, &op.value) {
        (HeaderOpKind::Remove, _) => format!("remove {}", op.name),
        (k, v) => format!(
            "{} {}: {}",
            if k == HeaderOpKind::Add { "add" } else { "set" },
            op.name,
            v.as_ref()
                .map_or(String::new(), |v| String::from_utf8_lossy(v.as_bytes())
                    .into_owned())
        ),
    }
}

/// Which node, through the pick phase's peek: nothing moves. Members
/// include discovered and registered nodes; health, ejection and
/// `fail_open` count, as they do for real requests.
fn pick_phase(routed: Routed<'_>, req: &Request<'_>, out: &mut Explanation) -> Result<(), Refused> {
    let up = &*routed.rt.upstream;
    let hash = pick::request_hash(&up.spec, req.client, Some(&req.pq), &req.headers);
    let members = up.members();
    let nodes = &members.list;
    let node_ref = |i: usize| {
        nodes.get(i).map(|n| NodeRef {
            index: i,
            addr: n.addr.to_string(),
            weight: n.weight,
        })
    };
    let strategy = up.spec.balance;
    let key = || up.spec.hash_key.to_string();
    let now = crate::clock::mono_nanos();
    let (deterministic, node, mut candidates, detail) = match pick::peek(up, &members, hash, now) {
        Peek::Node(i) => (
            true,
            node_ref(i),
            vec![i],
            match strategy {
                Balance::ConsistentHash => ExplainText::HashOwnsNode { key: key() },
                _ => ExplainText::OnlyUsableNode,
            },
        ),
        Peek::OneOf(list) => (false, None, list, one_of(strategy, key())),
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
    let no_node = candidates.is_empty();
    out.balancer = Some(BalancerChoice {
        strategy: strategy.as_str().into(),
        deterministic,
        node,
        candidates: candidates.into_iter().filter_map(node_ref).collect(),
        detail: detail.to_string(),
        detail_code: detail.code().into(),
        detail_params: owned(detail.params()),
    });
    if no_node {
        let e = ProxyError::NoNode {
            service: routed.svc.name.to_string(),
        };
        return Err(refused(&e, ExplainText::NoUsableNode));
    }
    let effective = routed.svc.timeouts.resolve(&up.spec);
    out.timeouts = Some(timeouts::report(routed, &effective));
    let shape = resilience::Shape {
        method: &req.input.method,
        headers: &req.headers,
        upgrade: out.upstream_request.as_ref().is_some_and(|u| u.upgrade),
        grpc: routed.svc.kind == weir_core::ServiceKind::Grpc,
        candidates: out.balancer.as_ref().map_or(0, |b| b.candidates.len()),
    };
    out.resilience = Some(resilience::report(up, &shape, &effective));
    out.verdict = ExplainVerdict::Forward;
    Ok(())
}

/// Why a rotating or random strategy names no single node.
fn one_of(strategy: Balance, key: String) -> ExplainText {
    match strategy {
        Balance::RoundRobin => ExplainText::NextInRotation,
        Balance::WeightedRoundRobin => ExplainText::ByWeight,
        Balance::Random => ExplainText::UniformlyRandom,
        Balance::LeastRequest => ExplainText::LessBusyOfTwo,
        // The ring names one node (`Peek::Node`); said for completeness.
        Balance::ConsistentHash => ExplainText::HashDecides { key },
    }
}

/// The coding the handler's negotiation ([`Negotiated::of`]) gives the
/// request. The rest is decided on the response, which explain does not
/// see; the detail says what it depends on.
fn compression_phase(svc: &CompiledService, req: &Request<'_>, upgrade: bool) -> CompressionChoice {
    let c = svc.compression.as_ref();
    let algorithms: Vec<String> = c.map_or(Vec::new(), |c| {
        c.algorithms.iter().map(|a| a.as_str().to_owned()).collect()
    });
    let offered = algorithms.join(", ");
    let negotiated = Negotiated::of(svc, &req.method, &req.headers, upgrade);
    let (encoding, text) = match (c, negotiated) {
        (None, _) => (None, ExplainText::CompressionOff),
        (Some(_), None) => (None, ExplainText::CompressionUpgrade),
        (Some(_), Some(Negotiated::Identity(Why::Head))) => (None, ExplainText::CompressionHead),
        (Some(_), Some(Negotiated::Identity(Why::NoField))) => (
            None,
            ExplainText::CompressionNoField {
                algorithms: offered,
            },
        ),
        (Some(_), Some(Negotiated::Identity(Why::NotAccepted))) => (
            None,
            ExplainText::CompressionNotAccepted {
                algorithms: offered,
            },
        ),
        (Some(c), Some(Negotiated::Encode(e))) => (
            Some(e.as_str().to_owned()),
            ExplainText::CompressionDepends {
                encoding: e.as_str().to_owned(),
                min_size: c.min_size.to_string(),
                content_types: c
                    .content_types
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ),
    };
    CompressionChoice {
        configured: c.is_some(),
        encoding,
        algorithms,
        detail: text.to_string(),
        detail_code: text.code().into(),
        detail_params: owned(text.params()),
    }
}

/// The service's `max_body_bytes` against a declared `Content-Length`, as
/// the handler checks it before picking a node. A body without a length is
/// counted while it streams, so its verdict depends on what is sent.
fn body_policy(
    svc: &CompiledService,
    headers: &HeaderMap,
    policies: &mut Vec<PolicyVerdict>,
) -> Result<(), Refused> {
    let Some(max) = svc.max_body_bytes else {
        policies.push(verdict(
            "max_body_bytes",
            PolicyOutcome::Skip,
            ExplainText::NoBodyLimit,
        ));
        return Ok(());
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (len, max_text) = (declared.map(|l| l.to_string()), max.to_string());
    match (declared, len) {
        (Some(declared), Some(len)) if declared > max => {
            policies.push(verdict(
                "max_body_bytes",
                PolicyOutcome::Reject,
                ExplainText::BodyOverLimit { len, max: max_text },
            ));
            let e = ProxyError::ClientBody(crate::upstream::BodyFault::TooLarge(max));
            Err(refused(&e, ExplainText::BodyTooLarge))
        }
        (_, Some(len)) => {
            policies.push(verdict(
                "max_body_bytes",
                PolicyOutcome::Allow,
                ExplainText::BodyWithinLimit { len, max: max_text },
            ));
            Ok(())
        }
        (_, None) => {
            policies.push(verdict(
                "max_body_bytes",
                PolicyOutcome::Depends,
                ExplainText::BodyStreamed { max: max_text },
            ));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
