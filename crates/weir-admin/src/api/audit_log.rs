//! Reading the audit log (role `admin`): who changed what, when, from which
//! address, newest first, filtered by actor, action, target and time.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_store::{AuditEntry, AuditFilter};

use super::{Page, Paging};
use crate::auth::Admin;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    /// User or API token name.
    pub actor: String,
    /// `user` or `token`.
    pub actor_kind: String,
    /// The client's address as the admin listener saw it (TCP peer).
    pub ip: String,
    /// e.g. `service.update`, `revision.rollback`, `session.login`.
    pub action: String,
    /// e.g. `service/user_api`.
    pub target: String,
    /// The revision a configuration write created.
    pub revision: Option<i64>,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// In English (may be empty).
    pub detail: String,
    /// The detail's message code (`no_change`, `request_failed`,
    /// `wrong_credentials`, …) to show it in another language with
    /// `detail_params`; absent without a detail and for entries written
    /// before Weir stored codes. A client that does not know the code shows
    /// `detail`.
    pub detail_code: Option<String>,
    /// The code's parameters, by name.
    #[schema(value_type = Option<Object>)]
    pub detail_params: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        let x = e.entry;
        AuditRecord {
            id: e.id,
            at_ms: x.at_ms,
            actor: x.actor,
            actor_kind: x.actor_kind,
            ip: x.ip,
            action: x.action,
            target: x.target,
            revision: x.revision,
            outcome: x.outcome,
            detail: x.detail,
            detail_code: x.detail_code,
            detail_params: x.detail_params,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this target.
    pub target: Option<String>,
    /// From this time (Unix ms, inclusive).
    pub since_ms: Option<i64>,
    /// Until this time (Unix ms, exclusive).
    pub until_ms: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "history",
    params(AuditQuery),
    responses((status = 200, description = "A page of entries", body = Page<AuditRecord>)))]
pub async fn list(
    State(state): State<AdminState>,
    _: Admin,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditRecord>>> {
    let (page, size) = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .resolve()?;
    let filter = AuditFilter {
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        since_ms: q.since_ms,
        until_ms: q.until_ms,
    };
    let (total, entries) = state
        .store()
        .audit(&filter, Paging::offset(page, size), size)
        .await?;
    Ok(Json(Page {
        items: entries.into_iter().map(AuditRecord::from).collect(),
        total,
        page,
        page_size: size,
    }))
}
