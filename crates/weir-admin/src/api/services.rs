//! Services: list (paging, sorting, keyword, kind and enabled filters, with
//! rule summary, node health, live traffic and recent error and rejection
//! rates), show, create, replace, delete, node health and statistics.
//!
//! Updates and deletes need `If-Match: "<version>"` (the `version` of the
//! service as last read, also its `ETag`): a stale one is 409
//! `version_conflict`, a missing one 428.

use axum::Json;
use std::cmp::Reverse;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_core::{ResourceKind, Service};

use super::resource::{self, Deleted, Kind};
use super::{Page, Paging, page_of};
use crate::auth::{Admin, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, IfMatch, JsonBody};
use crate::runtime::{
    GatewayRuntime, HealthSummary, HourlySeries, NodeHealth, NodeStatus, RecentTraffic,
    ServiceHealth, StatsScope,
};
use crate::state::AdminState;

pub struct Services;

impl Kind for Services {
    const KIND: ResourceKind = ResourceKind::Service;
    type Model = Service;
    fn name(model: &Service) -> &str {
        &model.name
    }
}

/// A service as stored, with its version.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ServiceResource {
    /// The revision that last changed this service; send it in `If-Match`.
    version: i64,
    #[schema(value_type = crate::schema::ServiceSchema)]
    spec: serde_json::Value,
}

/// One line of the service list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub name: String,
    /// `http`, `tcp` or `grpc`.
    pub kind: String,
    pub description: String,
    pub enabled: bool,
    /// The rule: `prefix /user/`, `host api.example.com`, `host a.com + prefix /x`,
    /// `path /login`, `path_regex /u/[0-9]+`, `2 conditions`, `port 6379` (TCP
    /// and gRPC services with their own port). English words: a dashboard
    /// builds its own text from the fields below.
    pub rule: String,
    /// The rule's host pattern (`match.host`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The rule's path prefix (`match.prefix`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The rule's exact path (`match.path`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The rule's path regex (`match.path_regex`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_regex: Option<String>,
    /// How many method, header and query conditions the rule has.
    #[serde(skip_serializing_if = "is_zero")]
    pub conditions: u32,
    /// The service's own port, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub node_count: u32,
    /// Nodes configured `enabled`.
    pub enabled_node_count: u32,
    pub balance: String,
    pub version: i64,
    /// Requests today (0 when statistics are not available).
    pub today_requests: u64,
    /// Requests in the last second.
    pub qps: u64,
    /// Node health now (`off` for a disabled service); `total` counts
    /// discovered and registered nodes too.
    pub health: HealthSummary,
    /// The last few minutes: requests, errors, rejections and their rates.
    pub recent: RecentTraffic,
}

/// The service list with whether its traffic numbers are real.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    #[serde(flatten)]
    pub page: Page<ServiceSummary>,
    /// False when this process collects no statistics: then `today_requests`
    /// and `qps` are 0 for lack of data, not for lack of traffic.
    pub stats_available: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum ServiceSort {
    #[default]
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "kind")]
    Kind,
    #[serde(rename = "-version")]
    Newest,
    #[serde(rename = "version")]
    Oldest,
    #[serde(rename = "-today_requests")]
    Busiest,
    #[serde(rename = "-qps")]
    HottestNow,
    #[serde(rename = "-node_count")]
    MostNodes,
    /// Highest recent error rate first (services without requests last).
    #[serde(rename = "-error_rate")]
    MostErrors,
    /// Highest recent policy rejection rate first.
    #[serde(rename = "-rejection_rate")]
    MostRejected,
    /// Worst health first: down, degraded, unknown, healthy, off.
    #[serde(rename = "health")]
    WorstHealth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindFilter {
    Http,
    Tcp,
    Grpc,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Sort order (default `name`).
    #[param(inline)]
    pub sort: Option<ServiceSort>,
    /// Keyword: case-insensitive substring of name, description or rule.
    pub q: Option<String>,
    #[param(inline)]
    pub kind: Option<KindFilter>,
    pub enabled: Option<bool>,
}

/// A service's health as the list shows it: `off` when disabled or not
/// running; otherwise from its nodes.
pub(crate) fn health_of(runtime: &dyn GatewayRuntime, svc: &Service) -> HealthSummary {
    let total = u32::try_from(svc.upstream.nodes.len()).unwrap_or(u32::MAX);
    if !svc.enabled {
        return HealthSummary::off(total);
    }
    runtime
        .node_health(&svc.name)
        .map_or_else(|| HealthSummary::off(total), |h| h.summary)
}

fn rule_summary(s: &Service) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &s.route.host {
        parts.push(format!("host {h}"));
    }
    if let Some(p) = &s.route.prefix {
        parts.push(format!("prefix {p}"));
    }
    if let Some(p) = &s.route.path {
        parts.push(format!("path {p}"));
    }
    if let Some(r) = &s.route.path_regex {
        parts.push(format!("path_regex {r}"));
    }
    let conditions = condition_count(s);
    if conditions > 0 {
        parts.push(format!("{conditions} conditions"));
    }
    if let Some(port) = s.port {
        parts.push(format!("port {port}"));
    }
    parts.join(" + ")
}

fn condition_count(s: &Service) -> u32 {
    let m = &s.route;
    u32::try_from(m.methods.len().min(1) + m.headers.len() + m.query.len()).unwrap_or(u32::MAX)
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// List services.
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    params(ServiceQuery),
    responses((status = 200, description = "A page of services", body = ServiceList)))]
pub async fn list(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(query): ApiQuery<ServiceQuery>,
) -> ApiResult<Json<ServiceList>> {
    let (page, size) = Paging {
        page: query.page,
        page_size: query.page_size,
    }
    .resolve()?;
    let (_, stored) = state.store().resources(ResourceKind::Service).await?;
    let runtime = state.runtime();
    let keyword = query.q.as_deref().map(str::to_lowercase);
    let mut items: Vec<ServiceSummary> = stored
        .into_iter()
        .filter_map(|r| {
            let svc: Service = serde_json::from_value(r.spec).ok()?;
            let traffic = runtime.service_traffic(&svc.name);
            Some(ServiceSummary {
                kind: svc.kind.as_str().to_owned(),
                description: svc.description.clone(),
                enabled: svc.enabled,
                rule: rule_summary(&svc),
                host: svc.route.host.clone(),
                prefix: svc.route.prefix.clone(),
                path: svc.route.path.clone(),
                path_regex: svc.route.path_regex.clone(),
                conditions: condition_count(&svc),
                port: svc.port,
                node_count: u32::try_from(svc.upstream.nodes.len()).unwrap_or(u32::MAX),
                enabled_node_count: u32::try_from(
                    svc.upstream.nodes.iter().filter(|n| n.enabled).count(),
                )
                .unwrap_or(u32::MAX),
                balance: svc.upstream.balance.as_str().to_owned(),
                version: r.version,
                today_requests: traffic.today_requests,
                qps: traffic.qps,
                health: health_of(runtime, &svc),
                recent: traffic.recent,
                name: svc.name,
            })
        })
        .filter(|s| {
            query.kind.is_none_or(|k| {
                s.kind
                    == match k {
                        KindFilter::Http => "http",
                        KindFilter::Tcp => "tcp",
                        KindFilter::Grpc => "grpc",
                    }
            }) && query.enabled.is_none_or(|e| s.enabled == e)
                && keyword.as_deref().is_none_or(|k| {
                    s.name.to_lowercase().contains(k)
                        || s.description.to_lowercase().contains(k)
                        || s.rule.to_lowercase().contains(k)
                })
        })
        .collect();
    match query.sort.unwrap_or_default() {
        ServiceSort::Name => {}
        ServiceSort::NameDesc => items.reverse(),
        ServiceSort::Kind => items.sort_by(|a, b| a.kind.cmp(&b.kind)),
        ServiceSort::Newest => items.sort_by_key(|s| Reverse(s.version)),
        ServiceSort::Oldest => items.sort_by_key(|s| s.version),
        ServiceSort::Busiest => items.sort_by_key(|s| Reverse(s.today_requests)),
        ServiceSort::HottestNow => items.sort_by_key(|s| Reverse(s.qps)),
        ServiceSort::MostNodes => items.sort_by_key(|s| Reverse(s.node_count)),
        ServiceSort::MostErrors => items.sort_by(|a, b| {
            rate_desc(a.recent.error_rate, b.recent.error_rate)
                .then(Reverse(a.recent.errors).cmp(&Reverse(b.recent.errors)))
        }),
        ServiceSort::MostRejected => {
            items.sort_by(|a, b| rate_desc(a.recent.rejection_rate, b.recent.rejection_rate))
        }
        ServiceSort::WorstHealth => {
            items.sort_by_key(|s| (s.health.state, Reverse(s.health.failing)))
        }
    }
    Ok(Json(ServiceList {
        page: page_of(items, page, size),
        stats_available: runtime.stats_available(),
    }))
}

/// Higher rates first; no rate (no requests) after every rate.
fn rate_desc(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    let key = |r: Option<f64>| r.unwrap_or(-1.0);
    key(b).total_cmp(&key(a))
}

/// Show a service.
#[utoipa::path(get, path = "/api/v1/services/{name}", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses(
        (status = 200, description = "The service; ETag is its version", body = ServiceResource,
         headers(("ETag" = String, description = "The version, quoted"))),
        (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    let r = resource::get_one::<Services>(&state, &name).await?;
    Ok(resource::respond(
        StatusCode::OK,
        resource::envelope::<Services>(r),
        None,
    ))
}

/// Create a service (one new revision).
#[utoipa::path(post, path = "/api/v1/services", tag = "services",
    request_body(content = crate::schema::ServiceSchema, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ServiceResource,
         headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The service's URL"))),
        (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AdminState>,
    Admin(p): Admin,
    body: JsonBody,
) -> ApiResult<Response> {
    let (name, env, _) = resource::create::<Services>(&state, &p, &body.0).await?;
    Ok(resource::respond(
        StatusCode::CREATED,
        env,
        Some(format!("/api/v1/services/{name}")),
    ))
}

/// Replace a service. Needs `If-Match` with the version read.
#[utoipa::path(put, path = "/api/v1/services/{name}", tag = "services",
    params(("name" = String, Path, description = "Service name"),
           ("If-Match" = String, Header, description = "The version (ETag) the change is based on, e.g. \"12\"")),
    request_body(content = crate::schema::ServiceSchema, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = ServiceResource,
         headers(("ETag" = String, description = "The new version"))),
        (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone else changed it since that version", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    if_match: IfMatch,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match.required()?;
    let env = resource::replace::<Services>(&state, &p, &name, version, &body.0).await?;
    Ok(resource::respond(StatusCode::OK, env, None))
}

/// Delete a service. Needs `If-Match` with the version read.
#[utoipa::path(delete, path = "/api/v1/services/{name}", tag = "services",
    params(("name" = String, Path, description = "Service name"),
           ("If-Match" = String, Header, description = "The version (ETag) the deletion is based on")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone else changed it since that version", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    if_match: IfMatch,
) -> ApiResult<Json<Deleted>> {
    let version = if_match.required()?;
    Ok(Json(
        resource::delete::<Services>(&state, &p, &name, version).await?,
    ))
}

/// Node health of a service. A stored service the running configuration
/// does not hold yet (just created, not applied) is `off` with its
/// configured nodes `unknown`, so a page opened right after a save does not
/// meet an error.
#[utoipa::path(get, path = "/api/v1/services/{name}/health", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses((status = 200, description = "Per-node health", body = ServiceHealth),
              (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn health(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<ServiceHealth>> {
    if let Some(h) = state.runtime().node_health(&name) {
        return Ok(Json(h));
    }
    let stored = resource::get_one::<Services>(&state, &name).await?;
    let svc: Service = serde_json::from_value(stored.spec).map_err(|e| ApiError::internal(&e))?;
    Ok(Json(not_running(&svc)))
}

/// The health of a service that is not running here: every configured
/// node `unknown` (or `disabled`), the service `off`.
fn not_running(svc: &Service) -> ServiceHealth {
    let nodes: Vec<NodeHealth> = svc
        .upstream
        .nodes
        .iter()
        .map(|n| NodeHealth {
            addr: n.addr.clone(),
            weight: n.weight,
            enabled: n.enabled,
            status: if n.enabled {
                NodeStatus::Unknown
            } else {
                NodeStatus::Disabled
            },
            last_check_ms: None,
            last_error: None,
            last_error_code: None,
            last_error_params: None,
            last_failure_ms: None,
            failed_in_a_row: 0,
            since_ms: None,
            in_flight: None,
        })
        .collect();
    ServiceHealth {
        service: svc.name.clone(),
        checks_available: false,
        summary: HealthSummary::off(u32::try_from(nodes.len()).unwrap_or(u32::MAX)),
        nodes,
    }
}

/// Hourly traffic of a service, today and yesterday.
#[utoipa::path(get, path = "/api/v1/services/{name}/stats", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses((status = 200, description = "Hourly series", body = HourlySeries),
              (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn stats(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<HourlySeries>> {
    resource::get_one::<Services>(&state, &name).await?;
    Ok(Json(
        state.runtime().hourly(&StatsScope::Service(name)).await,
    ))
}
