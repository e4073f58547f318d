//! The request phases for one HTTP request:
//! gateway endpoints (token service) → route → HTTPS redirect → client
//! identity → policies (IP rules, authentication, limits) → upgrade check →
//! rewrite (path, headers, forwarded) → balance → forward (HTTP/1.1 pool or
//! shared HTTP/2 connection; one retry on another node when nothing was
//! sent) → stream the response back → record. gRPC calls get their deadline
//! enforced and the gateway's own errors as gRPC statuses.

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
use weir_core::compile::{CompiledService, UpstreamProtocol};
use weir_core::{Balance, HashKey, path};

use super::body::{BodyKind, LogFields, ProxyBody, Recorder};
use super::error::{HeadLimit, ProxyError};
use super::grpc;
use super::headers::{add_forwarded, strip_hop_by_hop, wants_upgrade};
use super::oauth;
use super::upgrade::spawn_tunnel;
use crate::DataPlane;
use crate::balance::{Pick, hash_key};
use crate::policy::{self, Admission, PolicyInputs, identity};
use crate::snapshot::Snapshot;
use crate::upstream::{
    BodyLimits, Member, NodeError, Release, RequestBody, ResponseBody, UpstreamRuntime,
};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The authenticated tenant, for the upstream. Never taken from clients.
pub(crate) static X_WEIR_APP_ID: HeaderName = HeaderName::from_static("x-weir-app-id");
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
    /// `http` or `https`: what the client used.
    pub proto: &'static str,
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
struct Outcome {
    service: Option<(Arc<str>, Arc<crate::stats::ScopeStats>)>,
    tenant: Option<(Arc<str>, Arc<crate::stats::ScopeStats>)>,
    node: Option<Arc<str>>,
    quota: Option<policy::limit::QuotaDecision>,
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
    let log = plane.options.access_log.as_ref().map(|log| {
        Box::new(LogFields {
            log: log.clone(),
            request_id: request_id.to_str().unwrap_or_default().to_owned(),
            client_ip: client,
            method: req.method().clone(),
            host: host_of(&req)
                .and_then(|h| h.to_str().ok().map(str::to_owned))
                .unwrap_or_default(),
            path: req.uri().path().to_owned(),
            protocol: match req.version() {
                Version::HTTP_2 => "HTTP/2",
                Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/1.1",
            },
        })
    });
    let mut outcome = Outcome {
        service: None,
        tenant: None,
        node: None,
        quota: None,
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
            if e.status().is_server_error() {
                tracing::warn!(peer = %conn.peer, code = e.code(), error = %e, "request failed");
            } else {
                tracing::debug!(peer = %conn.peer, code = e.code(), error = ?e, "request refused");
            }
            let res: Response<Full<bytes::Bytes>> = if grpc_call {
                grpc::error_response(grpc::status_of(&e), &e.message())
            } else {
                e.to_response()
            };
            (res.map(BodyKind::Local), Some(e.rejection()))
        }
    };
    // Added after the response's hop-by-hop fields were removed (in `send`).
    let headers = res.headers_mut();
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

/// The one host a request is for, which routing uses and the upstream gets
/// (`Host`, `:authority`, `X-Forwarded-Host`): the absolute-form or HTTP/2
/// `:authority`, or else the single `Host` header. Forms that could route on
/// one host and forward another are refused (RFC 9112 §3.2, RFC 9113
/// §8.3.1): two `Host` headers, an authority that differs from `Host`, and
/// a host that is not `name[:port]`. An empty `Host` is no host.
pub(crate) fn routing_host(
    authority: Option<&str>,
    headers: &http::HeaderMap,
    h2: bool,
) -> Result<Option<HeaderValue>, HostError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let header = hosts.next();
    if hosts.next().is_some() {
        return Err(HostError::Several);
    }
    let host = match (authority, header) {
        (Some(a), Some(h)) if !a.as_bytes().eq_ignore_ascii_case(h.as_bytes()) => {
            return Err(HostError::Differs { h2 });
        }
        (Some(a), _) => HeaderValue::from_str(a).map_err(|_| HostError::Invalid)?,
        (None, Some(h)) if h.is_empty() => return Ok(None),
        (None, Some(h)) => h.clone(),
        (None, None) => return Ok(None),
    };
    if !is_valid_host(host.as_bytes()) {
        return Err(HostError::Invalid);
    }
    Ok(Some(host))
}

/// Why a request's host is refused (see [`routing_host`]); a 400 with the
/// reason of [`HostError::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostError {
    /// More than one `Host` header.
    Several,
    /// The request target's host (HTTP/2: `:authority`) is not the `Host`
    /// header's.
    Differs { h2: bool },
    /// Not `name[:port]` or `[v6]:port`.
    Invalid,
}

impl HostError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            HostError::Several => "more than one Host header",
            HostError::Differs { h2: true } => ":authority and the host header differ",
            HostError::Differs { h2: false } => {
                "the request target's host and the Host header differ"
            }
            HostError::Invalid => "invalid host",
        }
    }
}

impl From<HostError> for ProxyError {
    fn from(e: HostError) -> Self {
        ProxyError::BadRequest(e.reason())
    }
}

/// `name[:port]` or `[v6]:port` (RFC 3986 §3.2.2 without user info,
/// percent-escapes or IPvFuture): nothing a router and an upstream could
/// read differently.
fn is_valid_host(h: &[u8]) -> bool {
    let (name_ok, port) = match h.strip_prefix(b"[") {
        Some(rest) => match rest.iter().position(|&b| b == b']') {
            Some(end) => (
                end > 0
                    && rest[..end]
                        .iter()
                        .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                &rest[end + 1..],
            ),
            None => return false,
        },
        None => {
            let end = h.iter().position(|&b| b == b':').unwrap_or(h.len());
            let name = &h[..end];
            let ok = !name.is_empty()
                && name
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            (ok, &h[end..])
        }
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => {
            digits.len() <= 5
                && digits.iter().all(u8::is_ascii_digit)
                && (digits.is_empty()
                    || digits
                        .iter()
                        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
                        <= 65535)
        }
        Some(_) => false,
    };
    name_ok && port_ok
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
        && !v.is_empty()
        && v.len() <= 128
        && v.as_bytes().iter().all(|b| b.is_ascii_graphic())
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

/// A request that came back unsent, so it may be tried elsewhere.
type Unsent = Option<Request<RequestBody>>;

async fn proxy(
    conn: &ConnCtx,
    snap: &Snapshot,
    client: IpAddr,
    req: Request<Incoming>,
    request_id: &HeaderValue,
    outcome: &mut Outcome,
) -> Result<Response<BodyKind>, ProxyError> {
    let plane = &*conn.plane;
    let (mut parts, body) = req.into_parts();
    super::headers::check_transfer_coding(&parts.headers)?;

    let host_value = routing_host(
        parts.uri.authority().map(|a| a.as_str()),
        &parts.headers,
        parts.version == Version::HTTP_2,
    )?;
    let host = host_value.as_ref().and_then(|v| v.to_str().ok());
    let index = match &conn.fixed {
        Some(name) => snap
            .config
            .services
            .binary_search_by(|s| (*s.name).cmp(name))
            .ok()
            .filter(|&i| snap.config.services[i].spec.enabled),
        None => snap
            .config
            .router
            .lookup(host, parts.uri.path())
            .map(|i| i as usize),
    }
    .ok_or(ProxyError::NoRoute)?;
    let svc = &snap.config.services[index];
    let rt = &snap.services[index];
    let up = &*rt.upstream;
    outcome.service = Some((Arc::clone(&svc.name), Arc::clone(&rt.stats)));
    if !svc.allow_encoded_slashes && path::has_encoded_slash(parts.uri.path()) {
        return Err(ProxyError::BadRequest(
            path::PathError::EncodedSlash.reason(),
        ));
    }

    if svc.https_redirect && conn.proto == "http" {
        return Err(ProxyError::HttpsRequired {
            location: https_location(host, &parts.uri, plane.https_port()),
        });
    }

    // Policies: IP rules, authentication, limits.
    parts.headers.remove(&X_WEIR_APP_ID);
    let now = crate::clock::mono_nanos();
    let admitted = {
        let tenant_limits = |id: &str| snap.tenants.get(id).map(|t| Arc::clone(&t.limiters));
        let inputs = PolicyInputs {
            config: &snap.config,
            tokens: &snap.tokens,
            service: svc,
            service_limits: &rt.limiters,
            tenant_limits: &tenant_limits,
            backend: &*plane.options.limits,
            time_zone: &plane.options.time_zone,
            now_nanos: now,
            wall_clock: &plane.options.wall_clock,
            compat: plane.options.go_gateway_compat.as_ref(),
        };
        policy::admit(&inputs, client, &parts.headers, parts.uri.path())
    };
    let Admission { tenant, quota } = match admitted {
        Ok(a) => a,
        Err(refusal) => {
            if let policy::Refusal::Quota { app_id, .. }
            | policy::Refusal::TenantIp { app_id }
            | policy::Refusal::TenantNotAllowed { app_id } = &refusal
                && let Some(t) = snap.tenants.get(app_id)
            {
                outcome.tenant = Some((Arc::clone(app_id), Arc::clone(&t.stats)));
            }
            return Err(ProxyError::Refused(refusal));
        }
    };
    if let Some(t) = &tenant
        && let Some(rt) = snap.tenants.get(&t.app_id)
    {
        outcome.tenant = Some((Arc::clone(&t.app_id), Arc::clone(&rt.stats)));
    }
    outcome.quota = quota;

    let upgrade = parts.version == Version::HTTP_11 && wants_upgrade(&parts.headers);
    if upgrade && !svc.websocket {
        return Err(ProxyError::UpgradeNotAllowed {
            service: svc.name.to_string(),
        });
    }
    let client_upgrade = if upgrade {
        parts.extensions.remove::<OnUpgrade>()
    } else {
        None
    };

    let hash = request_hash(up, client, &parts);
    let h2 = up.spec.protocol == UpstreamProtocol::Http2;
    // Only gRPC services (HTTP/2 upstreams) honour grpc-timeout.
    let deadline = if h2 {
        grpc::timeout(&parts.headers)
    } else {
        None
    };
    parts.uri = upstream_uri(svc, &parts.uri)?;
    let te_trailers = parts
        .headers
        .get(header::TE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    strip_hop_by_hop(&mut parts.headers, upgrade);
    // The gateway's own headers go on after hop-by-hop removal, so that a
    // client's `Connection: X-Weir-App-Id, Host` cannot take them off.
    // Host is the one routing used (HTTP/2 clients send only :authority).
    if let Some(h) = &host_value {
        parts.headers.insert(header::HOST, h.clone());
    }
    parts
        .headers
        .insert(X_REQUEST_ID.clone(), request_id.clone());
    if let Some(v) = tenant
        .as_ref()
        .and_then(|t| HeaderValue::from_str(&t.app_id).ok())
    {
        parts.headers.insert(X_WEIR_APP_ID.clone(), v);
    }
    add_forwarded(
        &mut parts.headers,
        &conn.peer_ip,
        conn.proto,
        host_value.as_ref(),
    );
    svc.apply_header_ops(&mut parts.headers);
    if h2 {
        // HTTP/2 needs an absolute URI (:scheme, :authority); gRPC needs
        // `te: trailers`, the one TE value HTTP/2 allows.
        parts.version = Version::HTTP_2;
        let authority = host_value
            .as_ref()
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
        parts.uri =
            Uri::from_parts(uri).map_err(|_| ProxyError::BadRequest("invalid authority"))?;
        parts.headers.remove(header::HOST);
        if te_trailers || grpc::is_grpc(&parts.headers) {
            parts
                .headers
                .insert(header::TE, HeaderValue::from_static("trailers"));
        }
    } else {
        parts.version = Version::HTTP_11;
    }
    // A body-less idempotent request can be sent again as it was when the
    // node fails after receiving it (crash, reset): keep a copy of its head.
    // Only when there is another node to go to, so single-node services pay
    // nothing for it.
    let members = up.members();
    let replay = (!upgrade
        && http_body::Body::is_end_stream(&body)
        && is_idempotent(&parts.method)
        && members.list.len() > 1)
        .then(|| {
            (
                parts.method.clone(),
                parts.uri.clone(),
                parts.version,
                parts.headers.clone(),
            )
        });
    // Refused here when its declared length is over the limit: before a
    // node is picked or anything is sent.
    let limits = BodyLimits {
        // A gRPC client stream may go quiet between messages as long as
        // the service's streams may.
        idle: if h2 {
            up.spec.stream_idle_timeout
        } else {
            plane.options.body_read_timeout
        },
        max_bytes: svc.max_body_bytes,
    };
    let body = RequestBody::client(body, limits).map_err(ProxyError::ClientBody)?;
    let mut request = Request::from_parts(parts, body);
    let started = Instant::now();

    // Balance over the members that may take traffic, and try one other
    // node when nothing reached the first (or, for a replayable request,
    // when the first failed before answering). With `fail_open`, when no
    // member is available, every enabled one may be tried.
    let usable = |i: usize| members.list[i].usable(now);
    let enabled = |i: usize| members.list[i].enabled;
    let mut tried = None;
    let mut last_error = None;
    for _ in 0..2 {
        let pick = match members.balancer.pick(hash, usable, tried) {
            Some(p) => Some(p),
            None if up.spec.fail_open => members.balancer.pick(hash, enabled, tried),
            None => None,
        };
        let Some(pick) = pick else {
            break;
        };
        let node = pick.index;
        let member = &members.list[node];
        let sent = if h2 {
            let remaining = deadline.map(|d| d.saturating_sub(started.elapsed()));
            send_h2(up, member, pick, request, remaining).await
        } else {
            send(up, member, pick, request, upgrade).await
        };
        match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                if up.is_failure_status(status) {
                    let failure = NodeError::FailureStatus {
                        addr: member.addr.to_string(),
                        status: status.to_string(),
                    };
                    up.record_outcome(member, Some(&failure));
                } else {
                    up.record_outcome(member, None);
                }
                outcome.node = Some(Arc::clone(&member.label));
                if let Some(d) = deadline {
                    let remaining = d.saturating_sub(started.elapsed());
                    return Ok(res.map(|b| BodyKind::Grpc(grpc::DeadlineBody::new(b, remaining))));
                }
                if upgrade && res.status() == StatusCode::SWITCHING_PROTOCOLS {
                    if let Some(client) = client_upgrade {
                        spawn_tunnel(
                            &plane.tunnels,
                            client,
                            hyper::upgrade::on(&mut res),
                            Arc::clone(&svc.name),
                            up.spec.stream_idle_timeout,
                        );
                    }
                    let (parts, _) = res.into_parts();
                    return Ok(Response::from_parts(
                        parts,
                        BodyKind::Local(Full::default()),
                    ));
                }
                return Ok(res.map(BodyKind::Upstream));
            }
            Err((e, Some(unsent))) => {
                if let Some(failure) = e.node_error(&member.addr) {
                    up.record_outcome(member, Some(&failure));
                }
                tracing::debug!(service = %svc.name, node = %member.addr, error = %e, "retrying on another node");
                request = unsent;
                tried = Some(node);
                last_error = Some(e);
            }
            Err((e, None)) => {
                // A client's fault (its deadline, its body) says nothing
                // about the node.
                if let Some(failure) = e.node_error(&member.addr) {
                    up.record_outcome(member, Some(&failure));
                }
                if let (ProxyError::Upstream(_), Some((method, uri, version, headers))) =
                    (&e, &replay)
                    && tried.is_none()
                {
                    tracing::debug!(service = %svc.name, node = %member.addr, error = %e, "replaying an idempotent request on another node");
                    let mut again = Request::new(RequestBody::empty());
                    *again.method_mut() = method.clone();
                    *again.uri_mut() = uri.clone();
                    *again.version_mut() = *version;
                    *again.headers_mut() = headers.clone();
                    request = again;
                    tried = Some(node);
                    last_error = Some(e);
                    continue;
                }
                outcome.node = Some(Arc::clone(&member.label));
                return Err(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ProxyError::NoNode {
        service: svc.name.to_string(),
    }))
}

/// Methods whose repetition has the same effect as one request (RFC 9110
/// §9.2.2).
fn is_idempotent(m: &http::Method) -> bool {
    matches!(
        *m,
        http::Method::GET
            | http::Method::HEAD
            | http::Method::OPTIONS
            | http::Method::TRACE
            | http::Method::PUT
            | http::Method::DELETE
    )
}

/// The hash consistent hashing keys on; 0 for other strategies.
fn request_hash(up: &UpstreamRuntime, client: IpAddr, parts: &http::request::Parts) -> u64 {
    if up.spec.balance != Balance::ConsistentHash {
        return 0;
    }
    let ip_hash = || match client {
        IpAddr::V4(a) => hash_key(&a.octets()),
        IpAddr::V6(a) => hash_key(&a.octets()),
    };
    match &up.spec.hash_key {
        HashKey::ClientIp => ip_hash(),
        HashKey::Uri => hash_key(
            parts
                .uri
                .path_and_query()
                .map_or(b"/", |pq| pq.as_str().as_bytes()),
        ),
        // A request without the header falls back to its client IP rather
        // than piling every such request onto one node.
        HashKey::Header(name) => match parts.headers.get(name.as_str()) {
            Some(v) => hash_key(v.as_bytes()),
            None => ip_hash(),
        },
    }
}

/// `https://host[:port]/path?query` for an HTTPS redirect.
fn https_location(host: Option<&str>, uri: &Uri, https_port: Option<u16>) -> String {
    let host = host.unwrap_or("localhost");
    // Drop any port the client used for plain HTTP.
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
    let pq = uri.path_and_query().map_or("/", |pq| pq.as_str());
    format!("https://{bare}{port}{pq}")
}

/// Send on the node's shared HTTP/2 connection. A connection that turns
/// out closed hands the request back and a new one is opened once. The
/// response-header wait is bounded by the call's deadline when it has one.
async fn send_h2(
    up: &UpstreamRuntime,
    member: &Member,
    pick: Pick,
    mut req: Request<RequestBody>,
    deadline: Option<Duration>,
) -> Result<Response<ResponseBody>, (ProxyError, Unsent)> {
    let Some(node) = &member.h2 else {
        return Err((
            ProxyError::Internal("service has no HTTP/2 connection"),
            None,
        ));
    };
    let completion = req.body().completion();
    let mut fresh = false;
    loop {
        let mut sender = match node.sender(fresh).await {
            Ok(s) => s,
            Err(e) => return Err((e.into(), Some(req))),
        };
        let (wait, on_timeout) = match deadline {
            Some(d) => (d, ProxyError::DeadlineExceeded),
            None => (
                up.spec.response_header_timeout,
                ProxyError::ResponseTimeout(up.spec.response_header_timeout),
            ),
        };
        let result = tokio::select! {
            r = sender.try_send_request(req) => r,
            () = tokio::time::sleep(wait) => return Err((on_timeout, None)),
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
                    // A client's fault is final: no other node gets it.
                    let back = back.filter(|_| e.counts_against_node());
                    return Err((e, back));
                }
            },
        }
    }
}

/// Origin-form URI for the upstream: rewritten path plus the original query.
fn upstream_uri(svc: &CompiledService, uri: &Uri) -> Result<Uri, ProxyError> {
    let path = uri.path();
    let rewritten = svc.rewrite_path(path);
    let pq = if rewritten == path {
        match uri.path_and_query() {
            Some(pq) => pq.clone(),
            None => PathAndQuery::from_static("/"),
        }
    } else {
        let s = match uri.query() {
            Some(q) => format!("{rewritten}?{q}"),
            None => rewritten.into_owned(),
        };
        PathAndQuery::try_from(s)
            .map_err(|_| ProxyError::BadRequest("rewritten path is not a valid URI"))?
    };
    Ok(Uri::from(pq))
}

/// Send on a pooled or new connection to the picked node. A pooled
/// connection that turns out closed hands the request back and the next one
/// (or a new connection) is tried; when no byte was sent the request is
/// returned to the caller for a retry on another node.
async fn send(
    up: &UpstreamRuntime,
    member: &Member,
    pick: Pick,
    mut req: Request<RequestBody>,
    upgrade: bool,
) -> Result<Response<ResponseBody>, (ProxyError, Unsent)> {
    let Some(pool) = &member.pool else {
        return Err((ProxyError::Internal("service has no HTTP/1.1 pool"), None));
    };
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
            Some(mut s) => match tokio::time::timeout(up.spec.connect_timeout, s.ready()).await {
                Ok(Ok(())) => (s, true),
                _ => {
                    stale += 1;
                    continue;
                }
            },
            None => match pool.connect().await {
                Ok(s) => (s, false),
                Err(e) => return Err((e.into(), Some(req))),
            },
        };
        let timeout = up.spec.response_header_timeout;
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
            () = started => return Err((ProxyError::ResponseTimeout(timeout), None)),
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
                    // A client's fault is final: no other node gets it.
                    let back = back.filter(|_| e.counts_against_node());
                    return Err((e, back));
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "example.com",
            "example.com:8080",
            "EXAMPLE.com:",
            "a_b-c.d",
            "127.0.0.1:80",
            "[::1]",
            "[2001:db8::1]:443",
            "[::ffff:1.2.3.4]:1",
        ] {
            assert!(is_valid_host(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            ":80",
            "user@example.com",
            "example.com/x",
            "example.com:80:80",
            "example.com:http",
            "example.com:65536",
            "example.com:123456",
            "[::1",
            "[]",
            "[::1]x",
            "[::1]:80:80",
            "[v1.x]",
            "a b",
            "a,b",
            "a%2fb",
            "a\\b",
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad}");
        }
    }

    fn headers(hosts: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in hosts {
            h.append(header::HOST, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn one_host_or_a_refusal() {
        let host = |a: Option<&str>, h: &[&str]| {
            routing_host(a, &headers(h), false).map(|v| v.map(|v| v.to_str().unwrap().to_owned()))
        };
        assert_eq!(host(None, &["a.test"]).unwrap().as_deref(), Some("a.test"));
        assert_eq!(
            host(Some("a.test"), &[]).unwrap().as_deref(),
            Some("a.test")
        );
        assert_eq!(
            host(Some("a.test"), &["A.test"]).unwrap().as_deref(),
            Some("a.test")
        );
        assert_eq!(host(None, &[""]).unwrap(), None);
        assert_eq!(host(None, &[]).unwrap(), None);
        assert!(host(Some("a.test"), &["b.test"]).is_err());
        assert!(host(None, &["a.test", "a.test"]).is_err());
        assert!(host(None, &["a.test", "b.test"]).is_err());
        assert!(host(None, &["u@a.test"]).is_err());
        assert!(host(Some("u@a.test"), &[]).is_err());
    }

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
