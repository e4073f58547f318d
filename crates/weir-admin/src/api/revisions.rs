//! The revision history: list, show one with its changes (and field-level
//! differences), the configuration at a revision, the difference between any
//! two revisions, and rollback — a new revision whose content equals the
//! chosen one, so nothing in the history is ever rewritten.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weir_core::{Change, ChangeOp};
use weir_store::{Revision, RevisionMeta};

use super::{Page, Paging};
use crate::audit::{self, Outcome};
use crate::auth::{Admin, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, IfMatch, OptionalJson, etag};
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionInfo {
    pub id: i64,
    pub created_at_ms: i64,
    /// User or API token name (or the CLI user for `weir apply`).
    pub author: String,
    /// `api`, `cli`, …
    pub source: String,
    /// In English, or as a person wrote it (`weir apply -m`, a rollback's
    /// `message`).
    pub summary: String,
    /// For a summary Weir generated, its message code (`changes`,
    /// `rollback`, `tenant_secret_reset`, …) to show it in another language
    /// with `summary_params`; absent for one a person wrote and for
    /// revisions written before Weir stored codes. A client that does not
    /// know the code shows `summary`.
    pub summary_code: Option<String>,
    /// The code's parameters, by name. `changes` (in `changes` and
    /// `rollback`) is a list of `{kind, op, names, more, fields,
    /// more_fields}`: per kind (`services`, …) and operation (`add`,
    /// `update`, `remove`) the first names, how many more, and for a
    /// single update its changed fields.
    #[schema(value_type = Option<Object>)]
    pub summary_params: Option<serde_json::Value>,
}

impl From<Revision> for RevisionInfo {
    fn from(r: Revision) -> Self {
        RevisionInfo {
            id: r.id,
            created_at_ms: r.created_at_ms,
            author: r.author,
            source: r.source,
            summary: r.summary,
            summary_code: r.summary_code,
            summary_params: r.summary_params,
        }
    }
}

/// One resource that differs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceChange {
    /// `service`, …
    pub kind: String,
    pub name: String,
    pub op: ChangeOpSchema,
    /// The spec before (absent for `add`).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The spec after (absent for `remove`).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// Changed fields (for `update`), e.g. `upstream.nodes[1].weight`.
    pub fields: Vec<FieldDiff>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ChangeOp)]
pub enum ChangeOpSchema {
    Add,
    Update,
    Remove,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDiff {
    pub path: String,
    /// The value before (any JSON value; absent when the field was added).
    pub before: Option<serde_json::Value>,
    /// The value after (absent when the field was removed).
    pub after: Option<serde_json::Value>,
}

/// A spec with its secrets (tenant secrets, signing keys) removed, by the
/// model's own rule (`ConfigDocument::redact_secrets`). History keeps the
/// secrets (rollback must restore them); the API never shows them.
fn redact(
    kind: weir_core::ResourceKind,
    spec: Option<serde_json::Value>,
) -> Option<serde_json::Value> {
    let spec = spec?;
    let mut doc = weir_core::ConfigDocument::default();
    if doc.set_resources(kind, vec![spec.clone()]).is_err() {
        // Not readable as the model (an older shape): show nothing rather
        // than risk showing a secret.
        return Some(serde_json::Value::Null);
    }
    doc.redact_secrets();
    doc.resources(kind)
        .and_then(|mut list| list.pop())
        .map(|(_, v)| v)
}

pub fn changes_out(changes: Vec<Change>) -> Vec<ResourceChange> {
    changes
        .into_iter()
        .map(|mut c| {
            // Fields first, from the whole specs: `Change::fields` shows a
            // changed secret as `<redacted, changed>` rather than nothing.
            let fields = c
                .fields()
                .into_iter()
                .map(|f| FieldDiff {
                    path: f.path,
                    before: f.before,
                    after: f.after,
                })
                .collect();
            c.before = redact(c.kind, c.before.take());
            c.after = redact(c.kind, c.after.take());
            ResourceChange {
                fields,
                kind: c.kind.as_str().to_owned(),
                name: c.name,
                op: match c.op {
                    ChangeOp::Add => ChangeOpSchema::Add,
                    ChangeOp::Update => ChangeOpSchema::Update,
                    ChangeOp::Remove => ChangeOpSchema::Remove,
                },
                before: c.before,
                after: c.after,
            }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionDetail {
    #[serde(flatten)]
    pub revision: RevisionInfo,
    pub changes: Vec<ResourceChange>,
}

/// List revisions, newest first.
#[utoipa::path(get, path = "/api/v1/revisions", tag = "history",
    params(Paging),
    responses((status = 200, description = "A page of revisions", body = Page<RevisionInfo>)))]
pub async fn list(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Page<RevisionInfo>>> {
    let (page, size) = paging.resolve()?;
    let (total, items) = state
        .store()
        .revision_page(Paging::offset(page, size), size)
        .await?;
    Ok(Json(Page {
        items: items.into_iter().map(RevisionInfo::from).collect(),
        total,
        page,
        page_size: size,
    }))
}

/// Show a revision and what it changed.
#[utoipa::path(get, path = "/api/v1/revisions/{id}", tag = "history",
    params(("id" = i64, Path, description = "Revision number")),
    responses((status = 200, description = "The revision", body = RevisionDetail),
              (status = 404, description = "No such revision", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RevisionDetail>> {
    let rev = state.store().revision_entry(id).await?.ok_or_else(|| {
        ApiError::not_found(format!("revision {id} not found"))
            .with_param("kind", "revision")
            .with_param("name", id.to_string())
    })?;
    let changes = state.store().revision_changes(id).await?;
    Ok(Json(RevisionDetail {
        revision: rev.into(),
        changes: changes_out(changes),
    }))
}

/// The whole configuration as it was at a revision (0: empty).
#[utoipa::path(get, path = "/api/v1/revisions/{id}/config", tag = "history",
    params(("id" = i64, Path, description = "Revision number")),
    responses((status = 200, description = "The configuration", body = crate::schema::ConfigDocumentSchema),
              (status = 404, description = "No such revision", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn config_at(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let mut doc = state.store().config_at(id).await?;
    doc.redact_secrets();
    Ok(([(header::ETAG, etag(id))], Json(doc)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older revision (0: empty configuration).
    #[param(minimum = 0)]
    pub from: i64,
    /// The newer revision.
    #[param(minimum = 0)]
    pub to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionDiff {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<ResourceChange>,
}

/// What changed between two revisions.
#[utoipa::path(get, path = "/api/v1/revisions/diff", tag = "history",
    params(DiffQuery),
    responses((status = 200, description = "Changes from `from` to `to`", body = RevisionDiff),
              (status = 404, description = "No such revision", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn diff(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<RevisionDiff>> {
    let changes = state.store().diff_revisions(q.from, q.to).await?;
    Ok(Json(RevisionDiff {
        from: q.from,
        to: q.to,
        changes: changes_out(changes),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// Summary for the new revision (default: `rollback to revision N: …`).
    pub message: Option<String>,
}

/// What a configuration write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOutcome {
    /// The revision the changes were computed against.
    pub base_revision: i64,
    /// The revision written; absent when nothing changed.
    pub revision: Option<i64>,
    pub changes: Vec<ResourceChange>,
}

/// Roll the configuration back to a revision, as a new revision.
///
/// `If-Match` (optional) with the current store revision refuses the
/// rollback (409) if anything changed since the caller looked.
#[utoipa::path(post, path = "/api/v1/revisions/{id}/rollback", tag = "history",
    params(("id" = i64, Path, description = "Revision to return to"),
           ("If-Match" = Option<String>, Header, description = "The store revision the decision is based on")),
    request_body(content = Option<RollbackRequest>, content_type = "application/json"),
    responses((status = 200, description = "Rolled back (revision absent: already equal)", body = WriteOutcome),
              (status = 404, description = "No such revision", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The store moved past If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "That configuration is not valid any more", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn rollback(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(id): ApiPath<i64>,
    if_match: IfMatch,
    OptionalJson(request): OptionalJson<RollbackRequest>,
) -> ApiResult<(StatusCode, Json<WriteOutcome>)> {
    let store = state.store();
    if let Some(expected) = if_match.0 {
        let current = store.revision().await?;
        if current != expected {
            return Err(ApiError::conflict(
                "version_conflict",
                format!("the configuration is at revision {current}, not {expected}"),
            )
            .with_param("current", current)
            .with_param("expected", expected));
        }
    }
    let message = request.message;
    let meta = RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: message.map(Into::into),
    };
    let target = format!("revision/{id}");
    match store.rollback(id, meta).await {
        Ok(out) => {
            audit::record(
                &state,
                &p,
                "revision.rollback",
                &target,
                out.revision,
                Outcome::Ok,
                None,
            )
            .await;
            Ok((
                StatusCode::OK,
                Json(WriteOutcome {
                    base_revision: out.base_revision,
                    revision: out.revision,
                    changes: changes_out(out.changes),
                }),
            ))
        }
        Err(e) => {
            let err = ApiError::from(e);
            audit::record(
                &state,
                &p,
                "revision.rollback",
                &target,
                None,
                Outcome::Failed,
                audit::failed(&err),
            )
            .await;
            Err(err)
        }
    }
}
