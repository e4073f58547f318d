//! Weir's admin listener: the REST API under `/api/v1` (services, revisions
//! and rollback, accounts and API tokens, statistics, node health, audit
//! log, explain), its OpenAPI 3.1 document at `/api/v1/openapi.json` with a
//! browsable UI at `/api/docs`, liveness at `/healthz`, and the web dashboard
//! at `/` (`dashboard`).
//!
//! Rooms:
//! - `api/`: one file per resource or concern (handlers + their types);
//! - `auth/`: sessions, API tokens, CSRF, passwords, login throttling,
//!   first-start bootstrap;
//! - `error`: problem+json answers; `msg`: coded messages of the API's own
//!   checks; `extract`: extractors that fail as problems; `schema`: OpenAPI schemas of the configuration model;
//! - `runtime`: what the running gateway reports, through a trait the binary
//!   implements (the admin side never depends on the data plane crate);
//! - `state`: shared state, options, clock; `audit`: recording entries.
//!
//! See docs/admin-api.md for the API as users see it.

pub mod api;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod msg;
pub mod openapi;
pub mod runtime;
pub mod schema;
pub mod state;
pub mod strict_json;

#[cfg(test)]
mod openapi_tests;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Router, middleware};
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, Problem};
pub use runtime::{GatewayRuntime, RuntimeStatus};
pub use state::{AdminOptions, AdminState, Clock, CookieSecure};

/// Largest request body accepted (a configuration document with thousands
/// of services fits; anything bigger is a mistake or an attack).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The admin API as an axum router (tests call it without a socket).
pub fn router(state: AdminState) -> Router {
    let v1 = api::routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .route("/healthz", get(api::status::healthz))
        .route("/metrics", get(api::status::metrics))
        .nest("/api/v1", v1)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi::document()))
        // The web dashboard at `/` (unknown `/api/…` paths stay problem 404s).
        .fallback(dashboard::fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(harden))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/v1/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method; see /api/v1/openapi.json",
    )
}

/// Answers of an API that sets session cookies must never be cached by
/// shared caches, nor sniffed as another content type.
async fn harden(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
