//! Explain: what the gateway would do with a request — which service
//! matches and why, which policies allow or refuse it, the request as it
//! would go upstream, and the node the balancer would pick — computed by
//! the data plane against its live snapshot without sending anything or
//! changing any state.

use axum::Json;
use axum::extract::State;

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::runtime::{ExplainError, ExplainRequest, Explanation};
use crate::state::AdminState;

/// Explain a request.
#[utoipa::path(post, path = "/api/v1/explain", tag = "explain",
    request_body = ExplainRequest,
    responses((status = 200, description = "What would happen", body = Explanation),
              (status = 422, description = "The request description is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 503, description = "No configuration loaded yet", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn explain(
    State(state): State<AdminState>,
    _: Viewer,
    ApiJson(req): ApiJson<ExplainRequest>,
) -> ApiResult<Json<Explanation>> {
    match state.runtime().explain(&req) {
        Ok(e) => Ok(Json(e)),
        Err(ExplainError::Invalid { path, message }) => Err(ApiError::invalid_field(path, message)),
        Err(e @ ExplainError::NotReady) => Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            e.to_string(),
        )),
    }
}
