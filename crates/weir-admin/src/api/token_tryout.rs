//! The dashboard's "get a token" try-out: the admin listener sends a
//! tenant's credentials to the data plane's own `POST /oauth/tokens`, the
//! way a client would, and answers with what came back.
//!
//! Why here: the token endpoint lives on the data-plane port, which the
//! dashboard (served by the admin listener, no CORS) cannot call. Going
//! through the real endpoint, instead of issuing a token in the admin
//! process, means the try-out shows exactly what clients get: the same
//! signing key, checks (secret, enabled, `ip_allow` — the caller is this
//! process, on loopback) and rate limit. A `weir admin` process has no data
//! plane: it answers `503 no_data_plane`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use weir_store::AuditDetail;

use super::resource;
use super::tenants::Tenants;
use crate::audit::{self, Outcome};
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AdminState;

/// The credentials to try.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenTryoutRequest {
    /// The tenant's secret (shown once when it was created or reset).
    pub secret: String,
}

/// What the data plane's token endpoint answered.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TokenTryout {
    /// The URL the request went to (this process's data-plane listener).
    #[schema(example = "http://127.0.0.1:8080/oauth/tokens")]
    pub endpoint: String,
    /// The HTTP status it answered: 200 with a token, 401 `invalid_client`,
    /// 429 `slow_down`…
    #[schema(example = 200)]
    pub status: u16,
    /// Its JSON body as is: `{access_token, token_type, expires_in, scope}`
    /// or `{error, error_description}`.
    pub body: Value,
}

/// Get a token for a tenant from the data plane's `POST /oauth/tokens`, as a
/// client would (the dashboard's try-out).
#[utoipa::path(post, path = "/api/v1/tenants/{app_id}/token-tryout", tag = "tenants",
    params(("app_id" = String, Path, description = "Tenant app id")),
    request_body(content = TokenTryoutRequest, content_type = "application/json"),
    responses((status = 200, description = "What the token endpoint answered (its status is in the body)", body = TokenTryout),
              (status = 404, description = "No such tenant", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 503, description = "This process runs no data plane (`no_data_plane`)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn token_tryout(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(req): ApiJson<TokenTryoutRequest>,
) -> ApiResult<Json<TokenTryout>> {
    resource::get_one::<Tenants>(&state, &app_id).await?;
    let Some(answer) = state.runtime().token_exchange(&app_id, &req.secret).await else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_data_plane",
            "this process runs no data plane, so it has no token endpoint to try",
        ));
    };
    let outcome = if answer.status == 200 {
        Outcome::Ok
    } else {
        Outcome::Denied
    };
    audit::record(
        &state,
        &p,
        "tenant.token_tryout",
        &format!("tenant/{app_id}"),
        None,
        outcome,
        Some(AuditDetail::TokenEndpointAnswered {
            status: answer.status,
        }),
    )
    .await;
    Ok(Json(answer))
}
