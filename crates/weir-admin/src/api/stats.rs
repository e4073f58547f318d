//! Statistics: the gateway summary (the seed dashboard's four cards plus
//! services by kind), and hourly series for the gateway, a service or a
//! tenant. Numbers come from [`crate::runtime`]; each
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
use crate::runtime::{HourlySeries, StatsScope};
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsSummary {
    pub services: u64,
    /// Services per kind (`http`, `tcp`, `grpc`).
    pub services_by_kind: BTreeMap<String, u64>,
    pub tenants: u64,
    pub today_requests: u64,
    pub qps: u64,
    /// False when this process collects no statistics (numbers are then 0).
    pub stats_available: bool,
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
    Ok(Json(StatsSummary {
        services: services.len() as u64,
        services_by_kind: by_kind,
        tenants,
        today_requests: traffic.today_requests,
        qps: traffic.qps,
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
                "is required for this scope",
            ));
        }
    };
    Ok(Json(state.runtime().hourly(&scope).await))
}
