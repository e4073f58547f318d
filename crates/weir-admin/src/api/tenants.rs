//! Tenants (the seed's apps): list, show, create, replace, delete, reset the
//! secret, statistics. The secret is write-only: generated when a create
//! leaves it out and shown in that answer only (and in a reset's answer);
//! never in reads, lists, history or exports; a replace without it keeps
//! the stored one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use weir_core::{ResourceKind, Tenant};
use weir_store::{Expect, RevisionMeta, RevisionSummary};

use super::resource::{self, Deleted, Kind};
use super::{Page, Paging, page_of};
use crate::audit::{self, Outcome};
use crate::auth::{Admin, Viewer, secret};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, IfMatch, JsonBody, etag};
use crate::runtime::{HourlySeries, StatsScope};
use crate::state::AdminState;

pub struct Tenants;

impl Kind for Tenants {
    const KIND: ResourceKind = ResourceKind::Tenant;
    type Model = Tenant;

    fn name(model: &Tenant) -> &str {
        &model.app_id
    }

    fn present(mut spec: Value) -> Value {
        if let Some(obj) = spec.as_object_mut() {
            obj.remove("secret");
        }
        spec
    }

    fn prepare(new: &mut Value, old: Option<&Value>) {
        let Some(obj) = new.as_object_mut() else {
            return;
        };
        if obj.get("secret").is_some_and(|s| !s.is_null()) {
            return;
        }
        let kept = old.and_then(|o| o.get("secret")).cloned();
        obj.insert(
            "secret".into(),
            kept.unwrap_or_else(|| Value::String(secret::random_hex(24))),
        );
    }
}

/// A tenant as stored (without its secret), with its version.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TenantResource {
    /// The revision that last changed this tenant; send it in `If-Match`.
    version: i64,
    #[schema(value_type = crate::schema::TenantSchema)]
    spec: Value,
}

/// A new tenant, or a reset secret: the only answers that show the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantSecret {
    pub version: i64,
    #[schema(value_type = crate::schema::TenantSchema)]
    pub spec: Value,
    /// The client secret for `POST /oauth/tokens`. Not retrievable later.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantSummary {
    pub app_id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Requests per second allowed; 0 = unlimited.
    pub qps_limit: u32,
    /// Requests per day allowed; 0 = unlimited.
    pub qpd_limit: u64,
    pub version: i64,
    pub today_requests: u64,
    pub qps: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    #[serde(flatten)]
    pub page: Page<TenantSummary>,
    pub stats_available: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Keyword: case-insensitive substring of app id, name or description.
    pub q: Option<String>,
    pub enabled: Option<bool>,
}

/// List tenants (by app id).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    params(TenantQuery),
    responses((status = 200, description = "A page of tenants", body = TenantList)))]
pub async fn list(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> ApiResult<Json<TenantList>> {
    let (page, size) = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .resolve()?;
    let (_, stored) = state.store().resources(ResourceKind::Tenant).await?;
    let runtime = state.runtime();
    let keyword = q.q.as_deref().map(str::to_lowercase);
    let items: Vec<TenantSummary> = stored
        .into_iter()
        .filter_map(|r| {
            let t: Tenant = serde_json::from_value(r.spec).ok()?;
            let traffic = runtime.tenant_traffic(&t.app_id);
            Some(TenantSummary {
                name: t.name,
                description: t.description,
                enabled: t.enabled,
                qps_limit: t.qps,
                qpd_limit: t.qpd,
                version: r.version,
                today_requests: traffic.today_requests,
                qps: traffic.qps,
                app_id: t.app_id,
            })
        })
        .filter(|t| {
            q.enabled.is_none_or(|e| t.enabled == e)
                && keyword.as_deref().is_none_or(|k| {
                    t.app_id.to_lowercase().contains(k)
                        || t.name.to_lowercase().contains(k)
                        || t.description.to_lowercase().contains(k)
                })
        })
        .collect();
    Ok(Json(TenantList {
        page: page_of(items, page, size),
        stats_available: runtime.stats_available(),
    }))
}

/// Show a tenant (without its secret).
#[utoipa::path(get, path = "/api/v1/tenants/{app_id}", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id")),
    responses((status = 200, description = "The tenant; ETag is its version", body = TenantResource),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Response> {
    let r = resource::get_one::<Tenants>(&state, &app_id).await?;
    Ok(resource::respond(
        StatusCode::OK,
        resource::envelope::<Tenants>(r),
        None,
    ))
}

/// Create a tenant. Without `secret`, one is generated; either way the
/// answer shows it, once.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants",
    request_body(content = crate::schema::TenantSchema, content_type = "application/json"),
    responses((status = 201, description = "Created", body = TenantSecret),
              (status = 409, description = "The app id is taken", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AdminState>,
    Admin(p): Admin,
    body: JsonBody,
) -> ApiResult<Response> {
    let (name, env, full) = resource::create::<Tenants>(&state, &p, &body.0).await?;
    let secret = full["secret"].as_str().unwrap_or_default().to_owned();
    let location = format!("/api/v1/tenants/{name}");
    let mut res = (
        StatusCode::CREATED,
        Json(TenantSecret {
            version: env.version,
            spec: env.spec,
            secret,
        }),
    )
        .into_response();
    res.headers_mut()
        .insert(axum::http::header::ETAG, etag(env.version));
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}

/// Replace a tenant. Needs `If-Match`. Leave `secret` out to keep it.
#[utoipa::path(put, path = "/api/v1/tenants/{app_id}", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id"),
           ("If-Match" = String, Header, description = "The version (ETag) the change is based on")),
    request_body(content = crate::schema::TenantSchema, content_type = "application/json"),
    responses((status = 200, description = "Replaced", body = TenantResource),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Changed since that version", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(app_id): ApiPath<String>,
    if_match: IfMatch,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match.required()?;
    let env = resource::replace::<Tenants>(&state, &p, &app_id, version, &body.0).await?;
    Ok(resource::respond(StatusCode::OK, env, None))
}

/// Delete a tenant. Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/tenants/{app_id}", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id"),
           ("If-Match" = String, Header, description = "The version (ETag) the deletion is based on")),
    responses((status = 200, description = "Deleted", body = Deleted),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Changed since that version", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(app_id): ApiPath<String>,
    if_match: IfMatch,
) -> ApiResult<Json<Deleted>> {
    let version = if_match.required()?;
    Ok(Json(
        resource::delete::<Tenants>(&state, &p, &app_id, version).await?,
    ))
}

/// Replace the tenant's secret with a new random one, shown in this answer
/// only. Tokens already issued stay valid until they expire.
#[utoipa::path(post, path = "/api/v1/tenants/{app_id}/secret", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id")),
    responses((status = 200, description = "The new secret", body = TenantSecret),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn reset_secret(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<TenantSecret>> {
    let current = resource::get_one::<Tenants>(&state, &app_id).await?;
    let new_secret = secret::random_hex(24);
    let mut spec = current.spec;
    if let Some(obj) = spec.as_object_mut() {
        obj.insert("secret".into(), Value::String(new_secret.clone()));
    }
    let meta = RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: Some(
            RevisionSummary::TenantSecretReset {
                app_id: app_id.clone(),
            }
            .into(),
        ),
    };
    let target = format!("tenant/{app_id}");
    let written = state
        .store()
        .write_resource(
            ResourceKind::Tenant,
            &app_id,
            Some(spec.clone()),
            Expect::Version(current.version),
            meta,
        )
        .await
        .map_err(ApiError::from)?;
    audit::record(
        &state,
        &p,
        "tenant.reset_secret",
        &target,
        written.revision,
        Outcome::Ok,
        None,
    )
    .await;
    Ok(Json(TenantSecret {
        version: written.version,
        spec: Tenants::present(spec),
        secret: new_secret,
    }))
}

/// Hourly traffic of a tenant, today and yesterday.
#[utoipa::path(get, path = "/api/v1/tenants/{app_id}/stats", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id")),
    responses((status = 200, description = "Hourly series", body = HourlySeries),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn stats(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<HourlySeries>> {
    resource::get_one::<Tenants>(&state, &app_id).await?;
    Ok(Json(
        state.runtime().hourly(&StatsScope::Tenant(app_id)).await,
    ))
}
