//! The whole configuration as one document — what `weir export` and
//! `weir apply` do against the store, over HTTP (`--server URL --token T`).
//! Secrets (tenant secrets, signing keys) are never exported; an applied
//! document that leaves them out keeps the stored ones.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_core::ConfigDocument;
use weir_store::RevisionMeta;

use super::revisions::{WriteOutcome, changes_out};
use crate::audit::{self, Outcome};
use crate::auth::{Admin, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, IfMatch, JsonBody, etag, parse_json};
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigExport {
    /// The store revision this document is.
    pub revision: i64,
    #[schema(value_type = crate::schema::ConfigDocumentSchema)]
    pub document: ConfigDocument,
}

/// The current configuration (secrets left out).
#[utoipa::path(get, path = "/api/v1/config", tag = "config",
    responses((status = 200, description = "The configuration; ETag is the revision", body = ConfigExport,
               headers(("ETag" = String, description = "The store revision")))))]
pub async fn export(State(state): State<AdminState>, _: Viewer) -> ApiResult<Response> {
    let (revision, mut document) = state.store().load().await?;
    document.redact_secrets();
    document.sort();
    Ok((
        [(header::ETAG, etag(revision))],
        Json(ConfigExport { revision, document }),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplyQuery {
    /// Only compute the changes; write nothing.
    pub dry_run: Option<bool>,
    /// Summary recorded in the revision (default: generated from the changes).
    pub message: Option<String>,
}

/// Make the configuration equal to a document, as one revision.
///
/// Each kind the document declares (`services`, …) is replaced as a whole;
/// kinds it leaves out are untouched. With `If-Match` (the store revision
/// the document was based on) the apply is refused with 409 if the store has
/// moved on.
#[utoipa::path(put, path = "/api/v1/config", tag = "config",
    params(ApplyQuery,
           ("If-Match" = Option<String>, Header, description = "The store revision the document is based on")),
    request_body(content = crate::schema::ConfigDocumentSchema, content_type = "application/json"),
    responses((status = 200, description = "Applied (or, with dry_run, planned)", body = WriteOutcome),
              (status = 409, description = "The store moved past If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn apply(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<ApplyQuery>,
    if_match: IfMatch,
    body: JsonBody,
) -> ApiResult<Json<WriteOutcome>> {
    let mut doc: ConfigDocument = parse_json(&body.0)?;
    let store = state.store();
    let (current_revision, current) = store.load().await?;
    if let Some(expected) = if_match.0
        && expected != current_revision
    {
        return Err(ApiError::conflict(
            "version_conflict",
            format!("the configuration is at revision {current_revision}, not {expected}"),
        )
        .with_param("current", current_revision)
        .with_param("expected", expected));
    }
    doc.inherit_secrets(&current);
    if q.dry_run.unwrap_or(false) {
        let out = store.plan(&doc).await?;
        return Ok(Json(WriteOutcome {
            base_revision: out.base_revision,
            revision: None,
            changes: changes_out(out.changes),
        }));
    }
    let meta = RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: q.message.filter(|m| !m.trim().is_empty()).map(Into::into),
    };
    match store.apply(&doc, meta).await {
        Ok(out) => {
            audit::record(
                &state,
                &p,
                "config.apply",
                "config",
                out.revision,
                Outcome::Ok,
                None,
            )
            .await;
            Ok(Json(WriteOutcome {
                base_revision: out.base_revision,
                revision: out.revision,
                changes: changes_out(out.changes),
            }))
        }
        Err(e) => {
            let err = ApiError::from(e);
            audit::record(
                &state,
                &p,
                "config.apply",
                "config",
                None,
                Outcome::Failed,
                audit::failed(&err),
            )
            .await;
            Err(err)
        }
    }
}
