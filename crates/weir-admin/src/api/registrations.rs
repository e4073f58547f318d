//! Self-registration (issue 5): service instances register their address
//! with a TTL, renew it by heartbeat, and deregister on shutdown; a
//! registration not renewed within its TTL is gone. The gateway balances
//! over registered instances together with the configured nodes.
//!
//! Registrations are runtime state kept in the store (`weir_store`'s
//! `registrations` module): they survive restarts and every gateway node
//! sees them, but they never create a configuration revision. For the same
//! reason only registering and deregistering are audited — a heartbeat
//! every few seconds per instance would drown the audit log.
//!
//! Who may call: role `admin`, or an API token with role `registrar` (which
//! may use nothing but these endpoints); any role may list.
//!
//! What may register (issue 15): only into a service whose `registration`
//! block enables it, only an address inside its `allowed_cidrs` (loopback
//! only when named there), never one of the gateway's own listeners, at
//! most `max_instances` at once; and a registrar token scoped to services
//! only into those. Each refusal is a 403 (409 over the cap) that says why.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};
use weir_core::compile::{Refusal, RegistrationPolicy};
use weir_core::model::{HumanDuration, SelfRegistration};
use weir_core::{Coded, Msg, ResourceKind, ValidationErrors};
use weir_store::registration_limits::canonical_addr;
use weir_store::registration_limits::{DEFAULT_TTL, MAX_TTL, MIN_TTL};
use weir_store::{AuditDetail, NewRegistration, Registration, RegistrationUpdate};

use super::{Page, Paging, page_of};
use crate::audit::{self, Outcome};
use crate::auth::{Principal, Registrar, RegistrationReader, Role, Via};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, JsonBody, OptionalJson, parse_json};
use crate::msg::ApiMsg;
use crate::state::AdminState;

/// A live registration.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Registration)]
pub struct RegistrationView {
    /// Use it to heartbeat and deregister. Registering the same service and
    /// address again answers the same id.
    #[schema(example = "5f0c3e9a1b2d4c6e8f00112233445566")]
    pub id: String,
    pub service: String,
    /// `ip:port`, as the gateway connects to it.
    #[schema(example = "10.0.0.5:8080")]
    pub addr: String,
    pub weight: u32,
    pub metadata: BTreeMap<String, String>,
    /// The TTL, e.g. `30s`.
    #[schema(example = "30s")]
    pub ttl: String,
    pub ttl_ms: i64,
    /// Unix milliseconds when the registration lapses unless renewed.
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    /// Unix milliseconds of the last registration or heartbeat.
    pub updated_at_ms: i64,
}

impl From<Registration> for RegistrationView {
    fn from(r: Registration) -> Self {
        RegistrationView {
            ttl: HumanDuration::from_millis(u64::try_from(r.ttl_ms).unwrap_or(0)).to_string(),
            id: r.id,
            service: r.service,
            addr: r.addr,
            weight: r.weight,
            metadata: r.metadata,
            ttl_ms: r.ttl_ms,
            expires_at_ms: r.expires_at_ms,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

/// A TTL: a duration string (`30s`, `1m30s`) or a number of seconds;
/// between 1 s and 1 h (default 30 s).
pub struct TtlSchema;

impl utoipa::PartialSchema for TtlSchema {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(MIN_TTL.as_secs()))
                    .maximum(Some(MAX_TTL.as_secs()))
                    .description(Some("Seconds")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(weir_core::rules::DURATION_PATTERN))
                    .max_length(Some(weir_core::rules::DURATION_MAX_LEN))
                    .description(Some("A duration such as `30s` or `1m30s`")),
            )
            .description(Some(
                "A duration string (`30s`, `1m30s`) or a number of seconds; 1 s to 1 h",
            ))
            .examples([Value::String("30s".into())])
            .into()
    }
}

impl ToSchema for TtlSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Ttl".into()
    }
}

/// Register an instance of a service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The instance's `ip:port` (a literal address, no host name).
    #[schema(example = "10.0.0.5:8080")]
    pub addr: String,
    /// Default 1; 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1000000)]
    pub weight: Option<u32>,
    /// Free-form strings (at most 32 entries; keys up to 64 characters,
    /// values up to 512).
    pub metadata: Option<BTreeMap<String, String>>,
    #[schema(value_type = Option<TtlSchema>)]
    pub ttl: Option<Value>,
}

/// A heartbeat: renews the registration for its TTL; any field given
/// replaces the registered one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    #[schema(value_type = Option<TtlSchema>)]
    pub ttl: Option<Value>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub weight: Option<u32>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A page of registrations, with the registration sequence.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationList {
    #[serde(flatten)]
    pub page: Page<RegistrationView>,
    /// Changes whenever a registration is added, removed or changes weight,
    /// metadata or TTL (not on plain renewals): poll it to notice changes.
    pub seq: i64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Only registrations of this service.
    pub service: Option<String>,
}

/// `ttl` as given (absent: the default), or a 422 naming `ttl`.
fn parse_ttl(v: Option<&Value>) -> ApiResult<Option<Duration>> {
    let bad = |why: Coded| ApiError::invalid_field("ttl", why);
    let d = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Duration::from_secs).ok_or_else(|| {
            bad(ApiMsg::TtlNotWhole {
                value: n.to_string(),
            }
            .into())
        })?,
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| bad(ApiMsg::TtlTooLarge { value: s.clone() }.into()))?,
        Some(Value::String(s)) => s.parse::<HumanDuration>().map_err(|e| bad(e.into()))?.get(),
        Some(_) => return Err(bad(ApiMsg::TtlType.into())),
    };
    if d < MIN_TTL || d > MAX_TTL {
        return Err(bad(Msg::BetweenSeconds {
            min: MIN_TTL.as_secs(),
            max: MAX_TTL.as_secs(),
        }
        .into()));
    }
    Ok(Some(d))
}

async fn require_service(state: &AdminState, name: &str) -> ApiResult<()> {
    policy_of(state, name).await.map(|_| ())
}

/// The registration settings of service `name`, or 404 when it is not in
/// the configuration.
async fn policy_of(state: &AdminState, name: &str) -> ApiResult<RegistrationPolicy> {
    let Some(stored) = state.store().resource(ResourceKind::Service, name).await? else {
        return Err(
            ApiError::not_found(format!("service {name:?} is not in the configuration"))
                .with_param("kind", "service")
                .with_param("name", name),
        );
    };
    // The stored spec passed validation when it was written; should it not
    // parse now, registration stays closed rather than open.
    let settings: SelfRegistration = stored
        .spec
        .get("registration")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut errors = ValidationErrors::default();
    Ok(RegistrationPolicy::compile(&settings, "registration", &mut errors).unwrap_or_default())
}

/// A registrar token scoped to services may touch only those (`*`: every
/// service). Admins and unscoped tokens are not restricted here.
async fn check_scope(state: &AdminState, p: &Principal, service: &str) -> ApiResult<()> {
    let (Role::Registrar, Via::Token { id }) = (p.role, &p.via) else {
        return Ok(());
    };
    match state.store().token_services_of(id).await? {
        Some(services) if !services.iter().any(|s| s == service || s == "*") => {
            Err(ApiError::forbidden(
                "registration_scope",
                format!("this token may register only into: {}", services.join(", ")),
            )
            .with_param("services", services))
        }
        _ => Ok(()),
    }
}

/// Whether `ip` is an address of this host: loopback, or one a socket can
/// be bound to (the kernel knows its own interface addresses).
fn is_this_host(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// Why `addr` may not register into a service with `policy`, or `None`:
/// the audit detail, whose English text is also the 403's.
async fn refusal(
    state: &AdminState,
    policy: &RegistrationPolicy,
    addr: SocketAddr,
) -> Option<AuditDetail> {
    let ip = addr.ip().to_canonical();
    if let Some(why) = policy.refusal(ip) {
        return Some(match why {
            Refusal::NotEnabled => AuditDetail::RegistrationNotEnabled,
            Refusal::Loopback(ip) => AuditDetail::RegistrationLoopback { ip: ip.to_string() },
            Refusal::OutsideCidrs(ip) => {
                AuditDetail::RegistrationOutsideCidrs { ip: ip.to_string() }
            }
        });
    }
    if is_this_host(ip) {
        let mut ports: Vec<u16> = state
            .options()
            .gateway_addrs
            .iter()
            .map(SocketAddr::port)
            .collect();
        if let Some(listeners) = state.runtime().listeners().await {
            ports.extend(listeners.iter().map(|l| l.port));
        }
        if ports.contains(&addr.port()) {
            return Some(AuditDetail::RegistrationOwnListener {
                addr: addr.to_string(),
            });
        }
    }
    None
}

fn refused(why: &AuditDetail) -> ApiError {
    ApiError::forbidden("registration_refused", why.to_string())
}

/// The live registration `id` of `service`, or 404.
async fn find(state: &AdminState, service: &str, id: &str) -> ApiResult<Registration> {
    match state.store().registration(id, state.now_ms()).await? {
        Some(r) if r.service == service => Ok(r),
        _ => Err(ApiError::not_found(format!(
            "no live registration {id:?} of service {service:?} (expired ones must register again)"
        ))
        .with_param("kind", "registration")
        .with_param("name", id)),
    }
}

fn target(r: &Registration) -> String {
    format!("registration/{}/{}", r.service, r.addr)
}

/// Register an instance (or renew its registration).
///
/// Registering the same service and address again renews the existing
/// registration (200, same id) with the new weight, metadata and TTL.
#[utoipa::path(post, path = "/api/v1/services/{name}/registrations", tag = "registrations",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = RegisterRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = RegistrationView,
         headers(("Location" = String, description = "The registration's URL"))),
        (status = 200, description = "Already registered: renewed", body = RegistrationView),
        (status = 403, description = "Refused: registration not enabled for the service, the address outside its `allowed_cidrs`, loopback not allowed, one of the gateway's own listeners (`registration_refused`), or a token not scoped to this service (`registration_scope`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service in the configuration", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service has `registration.max_instances` live registrations (`registration_limit`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AdminState>,
    Registrar(p): Registrar,
    ApiPath(name): ApiPath<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let req: RegisterRequest = parse_json(&body.0)?;
    let ttl = parse_ttl(req.ttl.as_ref())?.unwrap_or(DEFAULT_TTL);
    let policy = policy_of(&state, &name).await?;
    check_scope(&state, &p, &name).await?;
    let addr: SocketAddr = canonical_addr(&req.addr)
        .and_then(|a| a.parse().map_err(|_| Msg::RegAddrNotIpPort { addr: a }))
        .map_err(|why| ApiError::invalid_field("addr", why))?;
    if let Some(why) = refusal(&state, &policy, addr).await {
        audit::record(
            &state,
            &p,
            "registration.register",
            &format!("registration/{name}/{addr}"),
            None,
            Outcome::Denied,
            Some(why.clone()),
        )
        .await;
        return Err(refused(&why));
    }
    let metadata = req.metadata.unwrap_or_default();
    let new = NewRegistration {
        service: &name,
        addr: &req.addr,
        weight: req.weight.unwrap_or(1),
        metadata: &metadata,
        ttl,
        max_instances: Some(policy.max_instances),
    };
    let out = state.store().register_new(&new, state.now_ms()).await?;
    let r = out.registration;
    if !out.created {
        return Ok((StatusCode::OK, Json(RegistrationView::from(r))).into_response());
    }
    audit::record(
        &state,
        &p,
        "registration.register",
        &target(&r),
        None,
        Outcome::Ok,
        Some(AuditDetail::RegistrationId { id: r.id.clone() }),
    )
    .await;
    let location = format!("/api/v1/services/{name}/registrations/{}", r.id);
    let mut res = (StatusCode::CREATED, Json(RegistrationView::from(r))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Heartbeat: renew a registration, optionally changing its TTL, weight or
/// metadata. The body is optional.
#[utoipa::path(put, path = "/api/v1/services/{name}/registrations/{id}", tag = "registrations",
    params(("name" = String, Path, description = "Service name"),
           ("id" = String, Path, description = "Registration id")),
    request_body(content = Option<HeartbeatRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "Renewed", body = RegistrationView),
        (status = 403, description = "Registration is no longer allowed for this address (`registration_refused`), or the token is not scoped to this service (`registration_scope`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live registration (an expired one must register again)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn heartbeat(
    State(state): State<AdminState>,
    Registrar(p): Registrar,
    ApiPath((name, id)): ApiPath<(String, String)>,
    OptionalJson(req): OptionalJson<HeartbeatRequest>,
) -> ApiResult<Json<RegistrationView>> {
    let update = RegistrationUpdate {
        ttl: parse_ttl(req.ttl.as_ref())?,
        weight: req.weight,
        metadata: req.metadata,
    };
    check_scope(&state, &p, &name).await?;
    let current = find(&state, &name, &id).await?;
    // The service's settings may have changed since the instance
    // registered: a closed or narrowed registration stops renewals too.
    let policy = policy_of(&state, &name).await?;
    if let Ok(addr) = current.addr.parse::<SocketAddr>()
        && let Some(why) = refusal(&state, &policy, addr).await
    {
        return Err(refused(&why));
    }
    let r = state
        .store()
        .heartbeat(&id, &update, state.now_ms())
        .await?;
    Ok(Json(r.into()))
}

/// Deregister an instance (on shutdown).
#[utoipa::path(delete, path = "/api/v1/services/{name}/registrations/{id}", tag = "registrations",
    params(("name" = String, Path, description = "Service name"),
           ("id" = String, Path, description = "Registration id")),
    responses(
        (status = 204, description = "Deregistered"),
        (status = 403, description = "The token is not scoped to this service (`registration_scope`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live registration", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn deregister(
    State(state): State<AdminState>,
    Registrar(p): Registrar,
    ApiPath((name, id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    check_scope(&state, &p, &name).await?;
    find(&state, &name, &id).await?;
    let gone = state.store().deregister(&id, state.now_ms()).await?;
    audit::record(
        &state,
        &p,
        "registration.deregister",
        &target(&gone),
        None,
        Outcome::Ok,
        Some(AuditDetail::RegistrationId {
            id: gone.id.clone(),
        }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_page(
    state: &AdminState,
    service: Option<&str>,
    paging: Paging,
) -> ApiResult<RegistrationList> {
    let (page, size) = paging.resolve()?;
    let store = state.store();
    // The sequence first: a change between the two reads then shows up as
    // a newer sequence on the next poll rather than being missed.
    let seq = store.registration_seq().await?;
    let items: Vec<RegistrationView> = store
        .registrations(state.now_ms())
        .await?
        .into_iter()
        .filter(|r| service.is_none_or(|s| r.service == s))
        .map(RegistrationView::from)
        .collect();
    Ok(RegistrationList {
        page: page_of(items, page, size),
        seq,
    })
}

/// Live registrations of a service.
#[utoipa::path(get, path = "/api/v1/services/{name}/registrations", tag = "registrations",
    params(("name" = String, Path, description = "Service name"), Paging),
    responses(
        (status = 200, description = "A page of registrations, by address", body = RegistrationList),
        (status = 404, description = "No such service in the configuration", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_for_service(
    State(state): State<AdminState>,
    _: RegistrationReader,
    ApiPath(name): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<RegistrationList>> {
    require_service(&state, &name).await?;
    Ok(Json(list_page(&state, Some(&name), paging).await?))
}

/// Live registrations of every service (including services since removed
/// from the configuration, until their registrations lapse).
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations",
    params(RegistrationQuery),
    responses((status = 200, description = "A page of registrations, by service and address", body = RegistrationList)))]
pub async fn list(
    State(state): State<AdminState>,
    _: RegistrationReader,
    ApiQuery(q): ApiQuery<RegistrationQuery>,
) -> ApiResult<Json<RegistrationList>> {
    let paging = Paging {
        page: q.page,
        page_size: q.page_size,
    };
    Ok(Json(list_page(&state, q.service.as_deref(), paging).await?))
}

/// A self-registered node, as `GET /api/v1/nodes` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegisteredNode {
    pub id: String,
    pub service: String,
    pub addr: String,
    pub weight: u32,
    pub metadata: BTreeMap<String, String>,
    /// Unix milliseconds when the registration lapses unless renewed.
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegisteredNodes {
    /// Always true: registrations are read from the store.
    pub available: bool,
    pub nodes: Vec<RegisteredNode>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NodesQuery {
    /// Only nodes of this service.
    pub service: Option<String>,
}

/// Self-registered nodes (deprecated: use `GET /api/v1/registrations`,
/// which pages and carries the change sequence).
#[utoipa::path(get, path = "/api/v1/nodes", tag = "registrations",
    params(NodesQuery),
    responses((status = 200, description = "Registered nodes", body = RegisteredNodes)))]
pub async fn registered_nodes(
    State(state): State<AdminState>,
    _: RegistrationReader,
    ApiQuery(q): ApiQuery<NodesQuery>,
) -> ApiResult<Json<RegisteredNodes>> {
    let nodes = state
        .store()
        .registrations(state.now_ms())
        .await?
        .into_iter()
        .filter(|r| q.service.as_deref().is_none_or(|s| r.service == s))
        .map(|r| RegisteredNode {
            id: r.id,
            service: r.service,
            addr: r.addr,
            weight: r.weight,
            metadata: r.metadata,
            expires_at_ms: r.expires_at_ms,
        })
        .collect();
    Ok(Json(RegisteredNodes {
        available: true,
        nodes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_strings_or_seconds_within_bounds() {
        let ok = |v: Value| parse_ttl(Some(&v)).unwrap();
        assert_eq!(ok(Value::from(30)), Some(Duration::from_secs(30)));
        assert_eq!(ok(Value::from("45")), Some(Duration::from_secs(45)));
        assert_eq!(ok(Value::from("1m30s")), Some(Duration::from_secs(90)));
        assert_eq!(ok(Value::from("1h")), Some(MAX_TTL));
        assert_eq!(ok(Value::Null), None);
        assert_eq!(parse_ttl(None).unwrap(), None);
        for bad in [
            Value::from(0),
            Value::from(-1),
            Value::from(1.5),
            Value::from(3601),
            Value::from("500ms"),
            Value::from("2h"),
            Value::from("soon"),
            Value::from(""),
            Value::from("99999999999999999999999"),
            Value::Bool(true),
        ] {
            let e = parse_ttl(Some(&bad)).unwrap_err().to_problem();
            assert_eq!((e.status, e.errors[0].path.as_str()), (422, "ttl"), "{bad}");
        }
    }
}
