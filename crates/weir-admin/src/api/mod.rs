//! The REST API under `/api/v1`: one file per resource or concern, each
//! with its handlers (annotated for OpenAPI) and its request/response types.
//! This module assembles the routes and holds what lists share: paging.
//!
//! Adding a configuration kind (tenants, certificates…) means a file like
//! `services.rs`: thin handlers over the generic machinery in `resource.rs`,
//! a list-item summary, and its schema in `crate::schema`.

pub mod audit_log;
pub mod certificates;
pub mod config;
pub mod explain;
pub mod gateways;
pub mod listeners;
pub mod registrations;
pub mod resource;
pub mod revisions;
pub mod services;
pub mod session;
pub mod signing_keys;
pub mod stats;
pub mod status;
pub mod tenants;
pub mod token_tryout;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_core::Msg;

use crate::error::ApiError;
use crate::state::AdminState;

/// Largest page a list returns.
pub const MAX_PAGE_SIZE: u32 = 500;
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Paging of a list: 1-based page number and page size.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
}

impl Paging {
    /// `(page, page_size)` after defaults and bounds; 422 out of range.
    pub fn resolve(self) -> Result<(u32, u32), ApiError> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(ApiError::invalid_field("page", Msg::AtLeast { min: 1 }));
        }
        if size == 0 || size > MAX_PAGE_SIZE {
            return Err(ApiError::invalid_field(
                "page_size",
                Msg::Between {
                    min: 1,
                    max: u64::from(MAX_PAGE_SIZE),
                },
            ));
        }
        Ok((page, size))
    }

    /// Offset of the first item.
    pub fn offset(page: u32, size: u32) -> u64 {
        u64::from(page - 1) * u64::from(size)
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items matching the filters, on all pages.
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

/// Cut `all` (already filtered and sorted) into the requested page.
pub fn page_of<T>(all: Vec<T>, page: u32, size: u32) -> Page<T> {
    let total = all.len() as u64;
    let start = usize::try_from(Paging::offset(page, size)).unwrap_or(usize::MAX);
    let items = all.into_iter().skip(start).take(size as usize).collect();
    Page {
        items,
        total,
        page,
        page_size: size,
    }
}

/// Every `/api/v1` route.
pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/status", get(status::status))
        .route(
            "/session",
            post(session::login)
                .get(session::current)
                .delete(session::logout),
        )
        .route("/session/password", post(session::change_password))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{name}",
            get(users::show).patch(users::update).delete(users::remove),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/services", get(services::list).post(services::create))
        .route(
            "/services/{name}",
            get(services::show)
                .put(services::replace)
                .delete(services::remove),
        )
        .route("/services/{name}/health", get(services::health))
        .route("/services/{name}/stats", get(services::stats))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route(
            "/tenants/{app_id}",
            get(tenants::show)
                .put(tenants::replace)
                .delete(tenants::remove),
        )
        .route("/tenants/{app_id}/secret", post(tenants::reset_secret))
        .route("/tenants/{app_id}/stats", get(tenants::stats))
        .route(
            "/tenants/{app_id}/token-tryout",
            post(token_tryout::token_tryout),
        )
        .route("/signing-keys", get(signing_keys::list))
        .route("/signing-keys/rotate", post(signing_keys::rotate))
        .route(
            "/signing-keys/{name}",
            axum::routing::delete(signing_keys::retire),
        )
        .route(
            "/certificates",
            get(certificates::list).post(certificates::create),
        )
        .route(
            "/certificates/{name}",
            get(certificates::show)
                .put(certificates::replace)
                .delete(certificates::remove),
        )
        .route(
            "/services/{name}/registrations",
            get(registrations::list_for_service).post(registrations::register),
        )
        .route(
            "/services/{name}/registrations/{id}",
            axum::routing::put(registrations::heartbeat).delete(registrations::deregister),
        )
        .route("/registrations", get(registrations::list))
        .route("/nodes", get(registrations::registered_nodes))
        .route("/gateways", get(gateways::list))
        .route("/listeners", get(listeners::list))
        .route("/stats/summary", get(stats::summary))
        .route("/stats/series", get(stats::series))
        .route("/revisions", get(revisions::list))
        .route("/revisions/diff", get(revisions::diff))
        .route("/revisions/{id}", get(revisions::show))
        .route("/revisions/{id}/config", get(revisions::config_at))
        .route("/revisions/{id}/rollback", post(revisions::rollback))
        .route("/config", get(config::export).put(config::apply))
        .route("/audit", get(audit_log::list))
        .route("/explain", post(explain::explain))
}
