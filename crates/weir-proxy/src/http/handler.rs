//! The request phases for one HTTP request:
//! gateway endpoints (token service) → route → CORS (a preflight is
//! answered after the IP rules) → HTTPS redirect → client
//! identity → policies (IP rules, authentication, limits) → upgrade check →
//! rewrite (path, headers, forwarded) → balance → forward (HTTP/1.1 pool or
//! shared HTTP/2 connection, within the upstream's circuit breaker; tried
//! again as its retry policy says, see `super::retry`) → stream the
//! response back → record. gRPC calls get their deadline enforced and the
//! gateway's own errors as gRPC statuses.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::uri::PathAndQuery;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Uri, Version, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use weir_core::compile::{
    CompiledService, CompiledTenant, EffectiveTimeouts, RouteRequest, UpstreamProtocol,
};
use weir_core::path;

use super::body::{BodyKind, LogFields, ProxyBody, Recorder};
use super::compress::Negotiated;
use super::error::{HeadLimit, ProxyError};
use super::grpc;
use super::headers::strip_hop_by_hop;
use super::mirror;
use super::oauth;
use super::retry::{Failed, Replay};
use super::upgrade::spawn_tunnel;
use crate::DataPlane;
use crate::balance::Pick;
use crate::pipeline::cors::{self, CorsRequest, Preflight};
use crate::pipeline::host::routing_host;
use crate::pipeline::pick;
use crate::pipeline::rewrite::{self, Forwarding, Scheme, X_REQUEST_ID};
use crate::pipeline::route::{self, Routed};
use crate::pipeline::split;
use crate::policy::{self, Admission, NoTrace, PolicyInputs, identity};
use crate::snapshot::Snapshot;
use crate::upstream::{
    BodyLimits, BreakerLimit, H2Node, H2Sender, Members, NodePool, Opening, PooledSender, Release,
    RequestBody, ResponseBody, UpstreamRuntime,
};

static X_QUOTA_LIMIT: HeaderName = HeaderName::from_static("x-quota-limit");
static X_QUOTA_REMAINING: HeaderName = HeaderName::from_static("x-quota-remaining");
static X_QUOTA_RESET: HeaderName = HeaderName::from_static("x-quota-reset");

/// Per-connection facts every request on it shares.
#[derive(Debug)]
pub(crate) struct ConnCtx {
    pub plane: Arc<DataPlane>,
    pub peer: SocketAddr,
    /// The peer IP, formatted once per connection (for X-Forwarded-For).
    pub peer_ip: HeaderValue,
    /// What the client used.
    pub scheme: Scheme,
    /// Listeners of one service (a gRPC service's own port) skip routing.
    pub fixed: Option<Arc<str>>,
    /// `proxy.max_header_bytes` and `proxy.max_headers`.
    pub head_limits: HeadLimits,
}

/// The request-head limits of a listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadLimits {
    pub max_bytes: usize,
    pub max_fields: usize,
}

/// What a request turned into, filled in as the phases run.
pub(super) struct Outcome<'s> {
    service: Option<(Arc<str>, Arc<crate::stats::ScopeStats>)>,
    tenant: Option<(Arc<str>, Arc<crate::stats::ScopeStats>)>,
    pub(super) node: Option<Arc<str>>,
    quota: Option<policy::limit::QuotaDecision>,
    /// The service's CORS fields for whatever answers the request.
    cors: Option<cors::Actual<'s>>,
}

pub(crate) async fn handle(conn: &ConnCtx, mut req: Request<Incoming>) -> Response<ProxyBody> {
    let started = Instant::now();
    let plane = &*conn.plane;
    let snap = plane.snapshot();
    let client = identity::client_ip(
        conn.peer.ip(),
        req.headers(),
        &plane.options.trusted_proxies,
    );
    let request_id = request_id(req.headers().get(&X_REQUEST_ID));
    // Before the access log reads the path: it logs the path that was
    // routed (a refused path, unchanged, as it came).
    let normalized = check_head(&req, conn.head_limits).and_then(|()| normalize_path(&mut req));
    let log = log_fields(plane, &req, client, &request_id);
    let mut outcome = Outcome {
        service: None,
        tenant: None,
        node: None,
        quota: None,
        cors: None,
    };

    let grpc_call = grpc::is_grpc(req.headers());
    let gateway_path =
        |req: &Request<Incoming>, path: &str| conn.fixed.is_none() && req.uri().path() == path;
    let result = match normalized {
        Err(e) => Err(e),
        Ok(()) if gateway_path(&req, oauth::TOKEN_PATH) => {
            Ok(oauth::token(plane, &snap, client, req)
                .await
                .map(BodyKind::Local))
        }
        Ok(()) if gateway_path(&req, oauth::JWKS_PATH) => {
            Ok(oauth::jwks(&snap).map(BodyKind::Local))
        }
        Ok(()) => proxy(conn, &snap, client, req, &request_id, &mut outcome).await,
    };
    let (mut res, rejection) = match result {
        Ok(res) => (res, None),
        Err(e) => {
            let rejection = e.rejection();
            (error_response(conn, &e, grpc_call), Some(rejection))
        }
    };
    // Added after the response's hop-by-hop fields were removed (in `send`).
    let headers = res.headers_mut();
    if let Some(c) = &outcome.cors {
        c.apply(headers);
    }
    headers.insert(X_REQUEST_ID.clone(), request_id);
    if let Some(q) = outcome.quota {
        headers.insert(X_QUOTA_LIMIT.clone(), HeaderValue::from(q.limit));
        headers.insert(X_QUOTA_REMAINING.clone(), HeaderValue::from(q.remaining));
        headers.insert(X_QUOTA_RESET.clone(), HeaderValue::from(q.reset_secs));
    }
    // A gRPC call's outcome is its `grpc-status`: in the head for a
    // trailers-only answer (and the gateway's own errors), else in the
    // trailers, which the body picks up as they pass.
    let grpc = grpc_call.then(|| grpc::status_code(res.headers()));
    let recorder = Recorder {
        started,
        status: res.status().as_u16(),
        grpc,
        gateway: Arc::clone(plane.stats.gateway()),
        service: outcome.service,
        tenant: outcome.tenant,
        node: outcome.node,
        rejection,
        log,
    };
    res.map(|kind| ProxyBody::new(kind, Some(recorder)))
}

/// What the access log needs of the request, taken before it is consumed.
fn log_fields(
    plane: &DataPlane,
    req: &Request<Incoming>,
    client: IpAddr,
    request_id: &HeaderValue,
) -> Option<Box<LogFields>> {
    let log = plane.options.access_log.as_ref()?;
    Some(Box::new(LogFields {
        log: log.clone(),
        request_id: request_id.to_str().unwrap_or_default().to_owned(),
        client_ip: client,
        method: req.method().clone(),
        host: host_of(req)
            .and_then(|h| h.to_str().ok().map(str::to_owned))
            .unwrap_or_default(),
        path: req.uri().path().to_owned(),
        protocol: match req.version() {
            Version::HTTP_2 => "HTTP/2",
            Version::HTTP_10 => "HTTP/1.0",
            _ => "HTTP/1.1",
        },
    }))
}

/// The gateway's own answer to an error: JSON, or a gRPC status for a gRPC
/// call. Server-side faults are logged as warnings, refusals at debug.
fn error_response(conn: &ConnCtx, e: &ProxyError, grpc_call: bool) -> Response<BodyKind> {
    if e.status().is_server_error() {
        tracing::warn!(peer = %conn.peer, code = e.code(), error = %e, "request failed");
    } else {
        tracing::debug!(peer = %conn.peer, code = e.code(), error = ?e, "request refused");
    }
    let res: Response<Full<bytes::Bytes>> = if grpc_call {
        grpc::error_response(grpc::status_of(e), &e.message())
    } else {
        e.to_response()
    };
    res.map(BodyKind::Local)
}

/// 431 when a request head is over the configured limits. hyper bounds
/// what it buffers (HTTP/1.1 at no less than 8 KiB; HTTP/2 by the header
/// list size); this applies the configured numbers to the parsed head, the
/// same way for both protocols.
fn check_head<B>(req: &Request<B>, limits: HeadLimits) -> Result<(), ProxyError> {
    let headers = req.headers();
    if headers.len() > limits.max_fields {
        return Err(ProxyError::HeadTooLarge(HeadLimit::Fields(
            limits.max_fields,
        )));
    }
    // "METHOD target HTTP/1.1\r\n", each "name: value\r\n", "\r\n".
    let target = req.uri().authority().map_or(0, |a| a.as_str().len())
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let fields: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    let size = req.method().as_str().len() + target + 12 + fields;
    if size > limits.max_bytes {
        return Err(ProxyError::HeadTooLarge(HeadLimit::Bytes(limits.max_bytes)));
    }
    Ok(())
}

/// The request path in normal form (`weir_core::path`, RFC 3986 §6)
/// before anything reads it: the token endpoints, routing, every policy and
/// the upstream all see this one path. Encoded slashes are kept (as `%2F`)
/// here and refused after routing unless the service allows them.
fn normalize_path<B>(req: &mut Request<B>) -> Result<(), ProxyError> {
    const KEEP_SLASHES: path::Options = path::Options {
        allow_encoded_slash: true,
    };
    let uri = req.uri();
    let normal = match path::normalize(uri.path(), KEEP_SLASHES) {
        Ok(Cow::Borrowed(_)) => return Ok(()),
        Ok(Cow::Owned(p)) => p,
        Err(e) => return Err(ProxyError::BadRequest(e.reason())),
    };
    let pq = match uri.query() {
        Some(q) => format!("{normal}?{q}"),
        None => normal,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        PathAndQuery::try_from(pq).map_err(|_| ProxyError::BadRequest("invalid request path"))?,
    );
    *req.uri_mut() =
        Uri::from_parts(parts).map_err(|_| ProxyError::BadRequest("invalid request path"))?;
    Ok(())
}

fn host_of<B>(req: &Request<B>) -> Option<HeaderValue> {
    match req.uri().authority() {
        Some(a) => HeaderValue::from_str(a.as_str()).ok(),
        None => req.headers().get(header::HOST).cloned(),
    }
}

/// A client's `X-Request-Id` when it is sane, else a new one.
fn request_id(incoming: Option<&HeaderValue>) -> HeaderValue {
    if let Some(v) = incoming
        && rewrite::sane_request_id(v)
    {
        return v.clone();
    }
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 8];
        let _ = aws_lc_rs::rand::fill(&mut b);
        u64::from_le_bytes(b)
    });
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let mut buf = [0u8; 24];
    hex_into(&mut buf[..16], prefix);
    hex_into(&mut buf[16..], n & 0xffff_ffff);
    HeaderValue::from_bytes(&buf).unwrap_or(HeaderValue::from_static("0"))
}

fn hex_into(out: &mut [u8], mut v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = HEX[(v & 15) as usize];
        v >>= 4;
    }
}

/// The phases after the gateway's own endpoints: route, CORS, admit, then
/// forward.
async fn proxy<'s>(
    conn: &ConnCtx,
    snap: &'s Snapshot,
    client: IpAddr,
    req: Request<Incoming>,
    request_id: &HeaderValue,
    outcome: &mut Outcome<'s>,
) -> Result<Response<BodyKind>, ProxyError> {
    let plane = &*conn.plane;
    let (parts, body) = req.into_parts();
    super::headers::check_transfer_coding(&parts.headers)?;

    let host_value = routing_host(
        parts.uri.authority().map(|a| a.as_str()),
        &parts.headers,
        parts.version == Version::HTTP_2,
    )?;
    let host = host_value.as_ref().and_then(|v| v.to_str().ok());
    let asked = cors::preflight_method(&parts.method, &parts.headers);
    let wanted = RouteRequest {
        host,
        path: parts.uri.path(),
        query: parts.uri.query(),
        method: asked.as_ref().unwrap_or(&parts.method),
        headers: &parts.headers,
    };
    let routed = route::route(snap, conn.fixed.as_deref(), &wanted)?;
    let svc = routed.svc;
    outcome.service = Some((Arc::clone(&svc.name), Arc::clone(&routed.rt.stats)));
    let preflight = cors_phase(svc, &parts, outcome);
    routed.check_path(parts.uri.path())?;
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    routed.check_https(
        conn.scheme == Scheme::Https,
        host,
        target,
        plane.https_port(),
    )?;
    if let Some(p) = preflight {
        return answer_preflight(svc, client, &p);
    }
    let tenant = admit(conn, snap, routed, client, &parts, outcome)?;

    let upgrade = rewrite::is_upgrade(parts.version, &parts.headers);
    if upgrade && !svc.websocket {
        return Err(ProxyError::UpgradeNotAllowed {
            service: svc.name.to_string(),
        });
    }
    let admitted = Admitted {
        routed,
        client,
        host: host_value,
        request_id,
        tenant,
        upgrade,
    };
    dispatch(conn, snap, admitted, parts, body, outcome).await
}

/// What the phases before forwarding decided about a request.
struct Admitted<'a, 's> {
    routed: Routed<'s>,
    client: IpAddr,
    /// The host routing used (the upstream gets it).
    host: Option<HeaderValue>,
    request_id: &'a HeaderValue,
    tenant: Option<Arc<CompiledTenant>>,
    /// A protocol upgrade the service accepts.
    upgrade: bool,
}

/// The phases of an admitted request: the split picks the upstream, the
/// rewrite makes the upstream's request, the mirror takes its copy, then
/// the attempts forward it.
async fn dispatch<'s>(
    conn: &ConnCtx,
    snap: &'s Snapshot,
    a: Admitted<'_, 's>,
    mut parts: http::request::Parts,
    body: Incoming,
    outcome: &mut Outcome<'s>,
) -> Result<Response<BodyKind>, ProxyError> {
    let (svc, client, upgrade) = (a.routed.svc, a.client, a.upgrade);
    // Before the rewrite: the client's Accept-Encoding, not what the
    // service's header operations send upstream.
    let compress = Negotiated::of(svc, &parts.method, &parts.headers, upgrade);
    let client_upgrade = if upgrade {
        parts.extensions.remove::<OnUpgrade>()
    } else {
        None
    };
    // A split hands the request to a target's upstream; the service's own
    // policies and answers stay.
    let forwarded =
        split::choose(snap, a.routed, &parts.headers, false).map_or(a.routed, |side| Routed {
            svc,
            rt: side.upstream_of.rt,
        });
    let up = &*forwarded.rt.upstream;
    // The route's own timeouts over those of the upstream taking it.
    let timeouts = svc.timeouts.resolve(&up.spec);
    let hash = pick::request_hash(&up.spec, client, parts.uri.path_and_query(), &parts.headers);
    // Only gRPC services (HTTP/2 upstreams) honour grpc-timeout.
    let deadline = (up.spec.protocol == UpstreamProtocol::Http2)
        .then(|| grpc::timeout(&parts.headers))
        .flatten();
    let forwarding = Forwarding {
        host: a.host.as_ref(),
        request_id: a.request_id,
        tenant: a.tenant.as_deref().map(|t| &*t.app_id),
        peer_ip: &conn.peer_ip,
        scheme: conn.scheme,
        upgrade,
    };
    upstream_head(&mut parts, svc, up, &forwarding)?;
    let members = up.members();
    let mut body = client_body(conn, svc, up, &timeouts, body)?;
    let replay = Replay::of(
        &parts,
        &mut body,
        upgrade,
        members.list.len(),
        &up.spec.retry,
    );
    // Upgrades are not copied: a tunnel cannot be replayed. The copy waits
    // for the client's body in a task of its own.
    if !upgrade
        && let Some(copy) = mirror::prepare(snap, svc.mirror.as_ref(), &parts, &mut body, client)
    {
        copy.spawn(conn.plane.options.body_read_timeout);
    }
    let attempts = Attempts {
        conn,
        routed: forwarded,
        members: &members,
        hash,
        deadline,
        timeouts,
        upgrade,
        replay,
        client_upgrade,
        compress,
    };
    attempts
        .forward(Request::from_parts(parts, body), outcome)
        .await
}

/// The client's body under the service's limits. Refused here when its
/// declared length is over the limit: before a node is picked or anything
/// is sent.
fn client_body(
    conn: &ConnCtx,
    svc: &CompiledService,
    up: &UpstreamRuntime,
    timeouts: &EffectiveTimeouts,
    body: Incoming,
) -> Result<RequestBody, ProxyError> {
    let limits = BodyLimits {
        // A gRPC client stream may go quiet between messages as long as
        // the service's streams may.
        idle: if up.spec.protocol == UpstreamProtocol::Http2 {
            timeouts.stream_idle
        } else {
            conn.plane.options.body_read_timeout
        },
        max_bytes: svc.max_body_bytes,
    };
    RequestBody::client(body, limits).map_err(ProxyError::ClientBody)
}

/// The CORS phase: the service's fields for whatever answers the request
/// go to the outcome (gateway refusals included); a preflight comes back
/// to be answered.
fn cors_phase<'s>(
    svc: &'s CompiledService,
    parts: &http::request::Parts,
    outcome: &mut Outcome<'s>,
) -> Option<Preflight<'s>> {
    match cors::classify(svc, &parts.method, parts.version, &parts.headers) {
        CorsRequest::Preflight(p) => Some(p),
        CorsRequest::Actual(a) => {
            outcome.cors = Some(a);
            None
        }
        CorsRequest::Off | CorsRequest::Upgrade => None,
    }
}

/// A CORS preflight is the gateway's to answer, after the service's IP
/// rules only (docs/proxying.md, "CORS"); it is never forwarded.
fn answer_preflight(
    svc: &CompiledService,
    client: IpAddr,
    preflight: &Preflight<'_>,
) -> Result<Response<BodyKind>, ProxyError> {
    policy::admit_preflight(svc, client, &mut NoTrace).map_err(ProxyError::Refused)?;
    Ok(preflight.answer().map(BodyKind::Local))
}

/// The policy phases (IP rules, authentication, limits). The tenant, also
/// one refused after it was known, goes to the outcome for its statistics.
fn admit(
    conn: &ConnCtx,
    snap: &Snapshot,
    routed: Routed<'_>,
    client: IpAddr,
    parts: &http::request::Parts,
    outcome: &mut Outcome<'_>,
) -> Result<Option<Arc<CompiledTenant>>, ProxyError> {
    let inputs = PolicyInputs::new(&conn.plane, snap, routed);
    let admitted = policy::admit(
        &inputs,
        client,
        &parts.headers,
        parts.uri.path(),
        &mut NoTrace,
    );
    let tenant_id = match &admitted {
        Ok(Admission { tenant, .. }) => tenant.as_ref().map(|t| &t.app_id),
        Err(
            policy::Refusal::Quota { app_id, .. }
            | policy::Refusal::TenantIp { app_id }
            | policy::Refusal::TenantNotAllowed { app_id },
        ) => Some(app_id),
        Err(_) => None,
    };
    if let Some(id) = tenant_id
        && let Some(t) = snap.tenants.get(id)
    {
        outcome.tenant = Some((Arc::clone(id), Arc::clone(&t.stats)));
    }
    let Admission { tenant, quota } = admitted.map_err(ProxyError::Refused)?;
    outcome.quota = quota;
    Ok(tenant)
}

/// The rewrite phase, then the head in the upstream protocol's form.
fn upstream_head(
    parts: &mut http::request::Parts,
    svc: &CompiledService,
    up: &UpstreamRuntime,
    forwarding: &Forwarding<'_>,
) -> Result<(), ProxyError> {
    parts.uri = rewrite::upstream_uri(svc, &parts.uri)?;
    // Read before hop-by-hop removal takes TE off.
    let te_trailers = parts
        .headers
        .get(header::TE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    rewrite::upstream_headers(&mut parts.headers, svc, forwarding);
    if up.spec.protocol != UpstreamProtocol::Http2 {
        parts.version = Version::HTTP_11;
        return Ok(());
    }
    // HTTP/2 needs an absolute URI (:scheme, :authority); gRPC needs
    // `te: trailers`, the one TE value HTTP/2 allows.
    parts.version = Version::HTTP_2;
    let authority = forwarding
        .host
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<http::uri::Authority>().ok());
    let mut uri = http::uri::Parts::from(std::mem::take(&mut parts.uri));
    uri.scheme = Some(if up.tls.is_some() {
        http::uri::Scheme::HTTPS
    } else {
        http::uri::Scheme::HTTP
    });
    uri.authority = authority.or_else(|| {
        up.spec
            .nodes
            .first()
            .and_then(|n| n.addr.to_string().parse().ok())
    });
    parts.uri = Uri::from_parts(uri).map_err(|_| ProxyError::BadRequest("invalid authority"))?;
    parts.headers.remove(header::HOST);
    if te_trailers || grpc::is_grpc(&parts.headers) {
        parts
            .headers
            .insert(header::TE, HeaderValue::from_static("trailers"));
    }
    Ok(())
}

/// The forward phase of one request: its tries (see [`super::retry`]).
pub(super) struct Attempts<'a> {
    pub(super) conn: &'a ConnCtx,
    pub(super) routed: Routed<'a>,
    pub(super) members: &'a Members,
    pub(super) hash: u64,
    /// The call's `grpc-timeout`.
    pub(super) deadline: Option<Duration>,
    /// The route's timeouts over the upstream's, resolved once.
    pub(super) timeouts: EffectiveTimeouts,
    /// A protocol upgrade (WebSocket) the service accepts.
    pub(super) upgrade: bool,
    pub(super) replay: Option<Replay>,
    /// The client side of a protocol upgrade.
    pub(super) client_upgrade: Option<OnUpgrade>,
    /// What the client accepts of the service's compression.
    pub(super) compress: Option<Negotiated>,
}

impl Attempts<'_> {
    /// The upstream's answer as the client gets it: the service's response
    /// header operations applied, a gRPC call's body under its deadline, an
    /// accepted upgrade joined to the client, any other answer compressed
    /// when the service and the client agree on a coding (after the
    /// operations, which may set `Cache-Control: no-transform`).
    pub(super) fn respond(
        &mut self,
        mut res: Response<ResponseBody>,
        started: Instant,
    ) -> Response<BodyKind> {
        self.routed.svc.apply_response_header_ops(res.headers_mut());
        if let Some(d) = self.deadline {
            let remaining = d.saturating_sub(started.elapsed());
            return res.map(|b| BodyKind::Grpc(grpc::DeadlineBody::new(b, remaining)));
        }
        if !self.upgrade || res.status() != StatusCode::SWITCHING_PROTOCOLS {
            return match (&self.routed.svc.compression, self.compress) {
                (Some(c), Some(asked)) => super::compress::respond(c, asked, res),
                _ => res.map(BodyKind::Upstream),
            };
        }
        if let Some(client) = self.client_upgrade.take() {
            spawn_tunnel(
                &self.conn.plane.tunnels,
                client,
                hyper::upgrade::on(&mut res),
                Arc::clone(&self.routed.svc.name),
                self.timeouts.stream_idle,
            );
        }
        let (parts, _) = res.into_parts();
        Response::from_parts(parts, BodyKind::Local(Full::default()))
    }
}

/// Send on the node's shared HTTP/2 connection. A connection that turns
/// out closed hands the request back and a new one is opened once. The
/// response-header wait is bounded by the call's deadline when it has one,
/// and by the per-try timeout when that is shorter.
pub(super) async fn send_h2(
    up: &UpstreamRuntime,
    node: &H2Node,
    pick: Pick,
    mut req: Request<RequestBody>,
    deadline: Option<Duration>,
    timeouts: &EffectiveTimeouts,
) -> Result<Response<ResponseBody>, Failed> {
    let completion = req.body().completion();
    let (wait, on_timeout) = header_wait(timeouts, deadline);
    let mut fresh = false;
    loop {
        let mut sender = match h2_sender(up, node, fresh, timeouts.connect).await {
            Ok(s) => s,
            Err(Opening::Refused(limit)) => return Err(Failed::Spent(circuit_open(up, limit))),
            Err(Opening::Failed(e)) => return Err(Failed::Unsent(e.into(), Box::new(req))),
        };
        let result = tokio::select! {
            r = sender.try_send_request(req) => r,
            () = tokio::time::sleep(wait) => return Err(Failed::Spent(on_timeout)),
        };
        match result {
            Ok(res) => {
                let (parts, body) = res.into_parts();
                let mut res = Response::from_parts(parts, ());
                strip_hop_by_hop(res.headers_mut(), false);
                // No pool to return to: the HTTP/2 connection is shared, so
                // the release only carries the in-flight count.
                let body = ResponseBody::unpooled(body, completion, pick);
                return Ok(res.map(|()| body));
            }
            Err(mut e) => match e.take_message() {
                Some(back) if !fresh => {
                    fresh = true;
                    req = back;
                }
                back => {
                    let e = ProxyError::forwarding(e.into_error(), completion.as_deref());
                    return Err(Failed::exchange(e, back));
                }
            },
        }
    }
}

/// How long an HTTP/2 try waits for response headers, and the error when
/// it has waited that long: the call's deadline (which replaces the
/// upstream's response-header timeout), or the per-try timeout or the
/// route's response-header timeout when shorter; without a deadline, the
/// try's timeout (`EffectiveTimeouts::per_try`).
fn header_wait(timeouts: &EffectiveTimeouts, deadline: Option<Duration>) -> (Duration, ProxyError) {
    match (deadline, timeouts.per_try_over_deadline) {
        (Some(d), Some(t)) if t < d => (t, ProxyError::ResponseTimeout(t)),
        (Some(d), _) => (d, ProxyError::DeadlineExceeded),
        (None, _) => (
            timeouts.per_try,
            ProxyError::ResponseTimeout(timeouts.per_try),
        ),
    }
}

/// The node's live HTTP/2 connection, or a new one (opened within
/// `connect`) within the circuit breaker's limits: while it opens the
/// request is pending.
async fn h2_sender(
    up: &UpstreamRuntime,
    node: &H2Node,
    fresh: bool,
    connect: Duration,
) -> Result<H2Sender, Opening> {
    if !fresh && let Some(s) = node.live() {
        return Ok(s);
    }
    let cb = up.spec.circuit_breaker.as_ref();
    let _pending = up
        .resilience
        .pending(cb.and_then(|c| c.max_pending))
        .map_err(Opening::Refused)?;
    let max_connections = cb.and_then(|c| c.max_connections);
    node.sender(fresh, connect, || up.resilience.connection(max_connections))
        .await
}

/// The answer to a request over one of the upstream's circuit breaker
/// limits.
pub(super) fn circuit_open(up: &UpstreamRuntime, limit: BreakerLimit) -> ProxyError {
    ProxyError::CircuitOpen {
        service: up.service.to_string(),
        limit,
    }
}

/// A new HTTP/1.1 connection to the node, within the circuit breaker's
/// limits, opened within `connect`: while it opens the request is
/// pending, and the connection counts as open until it closes.
async fn h1_connect(
    up: &UpstreamRuntime,
    pool: &NodePool,
    connect: Duration,
) -> Result<PooledSender, Opening> {
    let cb = up.spec.circuit_breaker.as_ref();
    let res = &up.resilience;
    let held = res
        .connection(cb.and_then(|c| c.max_connections))
        .map_err(Opening::Refused)?;
    let _pending = res
        .pending(cb.and_then(|c| c.max_pending))
        .map_err(Opening::Refused)?;
    pool.connect(held, connect).await.map_err(Opening::Failed)
}

/// Send on a pooled or new connection to the picked node. A pooled
/// connection that turns out closed hands the request back and the next one
/// (or a new connection) is tried; when no byte was sent the request is
/// returned to the caller for a retry on another node.
pub(super) async fn send(
    up: &UpstreamRuntime,
    pool: &Arc<NodePool>,
    pick: Pick,
    mut req: Request<RequestBody>,
    upgrade: bool,
    timeouts: &EffectiveTimeouts,
) -> Result<Response<ResponseBody>, Failed> {
    let completion = req.body().completion();
    // Bounded: a few stale pooled connections, then one new connection.
    let mut stale = 0;
    loop {
        let pooled = if stale < 3 && !upgrade {
            pool.checkout()
        } else {
            None
        };
        let (mut sender, is_pooled) = match pooled {
            // Usually ready already: skip the timer then.
            Some(s) if s.is_ready() => (s, true),
            Some(mut s) => match tokio::time::timeout(timeouts.connect, s.ready()).await {
                Ok(Ok(())) => (s, true),
                _ => {
                    stale += 1;
                    continue;
                }
            },
            None => match h1_connect(up, pool, timeouts.connect).await {
                Ok(s) => (s, false),
                Err(Opening::Refused(limit)) => {
                    return Err(Failed::Spent(circuit_open(up, limit)));
                }
                Err(Opening::Failed(e)) => return Err(Failed::Unsent(e.into(), Box::new(req))),
            },
        };
        let timeout = timeouts.per_try;
        let started = {
            let completion = completion.clone();
            async move {
                if let Some(c) = completion {
                    c.wait().await;
                }
                tokio::time::sleep(timeout).await;
            }
        };
        let result = tokio::select! {
            r = sender.try_send_request(req) => r,
            () = started => return Err(Failed::Spent(ProxyError::ResponseTimeout(timeout))),
        };
        match result {
            Ok(res) => {
                let (parts, body) = res.into_parts();
                let mut res = Response::from_parts(parts, ());
                let switching = res.status() == StatusCode::SWITCHING_PROTOCOLS;
                strip_hop_by_hop(res.headers_mut(), switching);
                let body = ResponseBody::new(
                    body,
                    Release {
                        pooled: Some((Arc::clone(pool), sender)),
                        request_done: completion,
                        _pick: pick,
                    },
                );
                return Ok(res.map(|()| body));
            }
            Err(mut e) => match e.take_message() {
                Some(back) if is_pooled => {
                    stale += 1;
                    req = back;
                }
                back => {
                    let e = ProxyError::forwarding(e.into_error(), completion.as_deref());
                    return Err(Failed::exchange(e, back));
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_path_and_keeps_the_query() {
        let mut req = Request::get("/a/../b/%7e?x=/../y").body(()).unwrap();
        normalize_path(&mut req).unwrap();
        assert_eq!(req.uri(), "/b/~?x=/../y");
        let mut req = Request::get("http://h.test//a%2f").body(()).unwrap();
        normalize_path(&mut req).unwrap();
        assert_eq!(req.uri(), "http://h.test/a%2F");
        let mut req = Request::get("/a%00").body(()).unwrap();
        assert!(normalize_path(&mut req).is_err());
    }
}
