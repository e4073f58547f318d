//! Statistics: the gateway summary (the seed dashboard's four cards plus
//! services by kind, the recent error numbers and the services failing
//! now), and hourly series for the gateway, a service or a tenant. Numbers come from [`crate::runtime`]; each
//! answer says whether they are available in this process.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_core::{ResourceKind, Service};

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::runtime::{HealthState, HealthSummary, HourlySeries, RecentTraffic, StatsScope};
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsSummary {
    pub services: u64,
    /// Services per kind (`http`, `tcp`, `grpc`).
    pub services_by_kind: BTreeMap<String, u64>,
    pub tenants: u64,
    pub today_requests: u64,
    pub qps: u64,
    /// The whole gateway's last few minutes.
    pub recent: RecentTraffic,
    /// Enabled services in trouble now, worst first: every enabled node
    /// failing (`down`), some (`degraded`), or a recent error rate of
    /// [`FAILING_ERROR_RATE`] or more.
    pub failing_now: Vec<FailingService>,
    /// The time zone of "today" and of the hourly charts.
    pub time_zone: String,
    /// False when this process collects no statistics (numbers are then 0).
    pub stats_available: bool,
}

/// A recent error rate from which a service counts as failing (5 %).
pub const FAILING_ERROR_RATE: f64 = 0.05;

/// A service in trouble, for the overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailingService {
    pub name: String,
    /// `http`, `tcp` or `grpc`.
    pub kind: String,
    pub health: HealthSummary,
    pub recent: RecentTraffic,
    /// The last error of a node in trouble (English), and its node.
    pub last_error: Option<String>,
    /// The kind of `last_error` and its parameters, as in a node's health.
    pub last_error_code: Option<String>,
    pub last_error_params: Option<BTreeMap<String, String>>,
    pub last_error_node: Option<String>,
    /// Unix milliseconds of that node's last failed request (or of its
    /// status change when it failed checks).
    pub last_error_ms: Option<i64>,
}

/// The gateway at a glance.
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "stats",
    responses((status = 200, description = "Summary", body = StatsSummary)))]
pub async fn summary(State(state): State<AdminState>, _: Viewer) -> ApiResult<Json<StatsSummary>> {
    let (_, doc) = state.store().load().await?;
    let mut by_kind: BTreeMap<String, u64> = ["http", "tcp", "grpc"]
        .into_iter()
        .map(|k| (k.to_owned(), 0))
        .collect();
    let services: &[Service] = doc.services.as_deref().unwrap_or_default();
    for s in services {
        *by_kind.entry(s.kind.as_str().to_owned()).or_default() += 1;
    }
    let tenants = doc
        .resources(ResourceKind::Tenant)
        .map_or(0, |t| t.len() as u64);
    let runtime = state.runtime();
    let traffic = runtime.gateway_traffic();
    let mut failing_now: Vec<FailingService> = services
        .iter()
        .filter(|s| s.enabled)
        .filter_map(|s| {
            let health = runtime.node_health(&s.name);
            let summary = health.as_ref().map(|h| h.summary);
            let recent = runtime.service_traffic(&s.name).recent;
            let bad_nodes = summary
                .is_some_and(|h| matches!(h.state, HealthState::Down | HealthState::Degraded));
            let erring = recent.error_rate.is_some_and(|r| r >= FAILING_ERROR_RATE);
            if !bad_nodes && !erring {
                return None;
            }
            let worst = health.as_ref().and_then(|h| {
                h.nodes
                    .iter()
                    .filter(|n| n.status.is_bad() && n.last_error.is_some())
                    .max_by_key(|n| n.last_failure_ms.or(n.since_ms))
            });
            Some(FailingService {
                name: s.name.clone(),
                kind: s.kind.as_str().to_owned(),
                health: summary.unwrap_or_else(|| HealthSummary::off(0)),
                recent,
                last_error: worst.and_then(|n| n.last_error.clone()),
                last_error_code: worst.and_then(|n| n.last_error_code.clone()),
                last_error_params: worst.and_then(|n| n.last_error_params.clone()),
                last_error_node: worst.map(|n| n.addr.clone()),
                last_error_ms: worst.and_then(|n| n.last_failure_ms.or(n.since_ms)),
            })
        })
        .collect();
    failing_now.sort_by(|a, b| {
        a.health.state.cmp(&b.health.state).then(
            b.recent
                .error_rate
                .unwrap_or(0.0)
                .total_cmp(&a.recent.error_rate.unwrap_or(0.0)),
        )
    });
    let time_zone = state.options().time_zone.clone();
    Ok(Json(StatsSummary {
        services: services.len() as u64,
        services_by_kind: by_kind,
        tenants,
        today_requests: traffic.today_requests,
        qps: traffic.qps,
        recent: traffic.recent,
        failing_now,
        time_zone,
        stats_available: runtime.stats_available(),
    }))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeParam {
    Gateway,
    Service,
    Tenant,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// `gateway` (default), `service` or `tenant`.
    #[param(inline)]
    pub scope: Option<ScopeParam>,
    /// The service name or tenant app id (for those scopes).
    pub name: Option<String>,
}

/// Hourly requests today and yesterday.
#[utoipa::path(get, path = "/api/v1/stats/series", tag = "stats",
    params(SeriesQuery),
    responses((status = 200, description = "Hourly series", body = HourlySeries),
              (status = 422, description = "`name` missing for a service or tenant", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn series(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> ApiResult<Json<HourlySeries>> {
    let scope = match (q.scope.unwrap_or(ScopeParam::Gateway), q.name) {
        (ScopeParam::Gateway, _) => StatsScope::Gateway,
        (ScopeParam::Service, Some(n)) => StatsScope::Service(n),
        (ScopeParam::Tenant, Some(n)) => StatsScope::Tenant(n),
        (_, None) => {
            return Err(ApiError::invalid_field(
                "name",
                crate::msg::ApiMsg::RequiredForScope,
            ));
        }
    };
    Ok(Json(state.runtime().hourly(&scope).await))
}
