//! Liveness (`/healthz`, no authentication) and the gateway's status: store
//! revision, running snapshot, reload counts.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Viewer;
use crate::error::ApiResult;
use crate::runtime::RuntimeStatus;
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    /// Weir's version.
    pub version: String,
    /// Latest revision in the store.
    pub store_revision: i64,
    #[serde(flatten)]
    pub runtime: RuntimeStatus,
}

/// The gateway's status.
#[utoipa::path(get, path = "/api/v1/status", tag = "status",
    responses((status = 200, description = "Status", body = StatusBody)))]
pub async fn status(State(state): State<AdminState>, _: Viewer) -> ApiResult<Json<StatusBody>> {
    let store_revision = state.store().revision().await?;
    Ok(Json(StatusBody {
        version: env!("CARGO_PKG_VERSION").into(),
        store_revision,
        runtime: state.runtime().status(),
    }))
}

/// Prometheus metrics of the data plane in this process (no
/// authentication, like `/healthz`: scrapers rarely log in; keep the admin
/// listener on a private address).
#[utoipa::path(get, path = "/metrics", tag = "status", security(()),
    responses((status = 200, description = "Prometheus text exposition", body = String,
               content_type = "text/plain; version=0.0.4"),
              (status = 404, description = "This process runs no data plane", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn metrics(
    State(state): State<AdminState>,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use axum::response::IntoResponse;
    match state.runtime().metrics() {
        Some(text) => Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response()),
        None => Err(crate::error::ApiError::not_found(
            "this process exports no metrics (it runs no data plane)",
        )),
    }
}

/// Liveness: `ok` while the admin listener runs.
#[utoipa::path(get, path = "/healthz", tag = "status", security(()),
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}
