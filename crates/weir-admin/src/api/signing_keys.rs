//! Token signing keys: list (never the key material), rotate (a new active
//! key, the old one kept for verifying until retired — one revision), and
//! retire (remove a key that only verifies).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weir_core::compile::generate_signing_key;
use weir_core::{ConfigDocument, KeyStatus, ResourceKind, SigningAlgorithm, SigningKey};
use weir_store::{AuditDetail, Expect, RevisionMeta, RevisionSummary};

use super::resource::Deleted;
use crate::audit::{self, Outcome};
use crate::auth::{Admin, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, IfMatch, OptionalJson};
use crate::state::AdminState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Algorithm {
    HS256,
    RS256,
    EdDSA,
}

impl From<Algorithm> for SigningAlgorithm {
    fn from(a: Algorithm) -> Self {
        match a {
            Algorithm::HS256 => SigningAlgorithm::HS256,
            Algorithm::RS256 => SigningAlgorithm::RS256,
            Algorithm::EdDSA => SigningAlgorithm::EdDSA,
        }
    }
}

/// A signing key without its key material.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyInfo {
    /// Key id (`kid`).
    pub name: String,
    /// `HS256`, `RS256` or `EdDSA`.
    pub algorithm: String,
    /// `active` (signs new tokens) or `verify_only`.
    pub status: String,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Send in `If-Match` to retire the key.
    pub version: i64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// Algorithm of the new key (default: that of the current active key,
    /// else HS256).
    pub algorithm: Option<Algorithm>,
    #[schema(schema_with = new_key_name)]
    pub name: Option<String>,
}

fn new_key_name() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    crate::schema::name_rule("Name (`kid`) of the new key (default `key-<unix seconds>`). ")
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .examples(["k2"])
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The revision written.
    pub revision: Option<i64>,
    /// The new active key.
    pub active: String,
    pub keys: Vec<KeyInfo>,
}

async fn key_infos(state: &AdminState) -> ApiResult<Vec<KeyInfo>> {
    let (_, stored) = state.store().resources(ResourceKind::SigningKey).await?;
    Ok(stored
        .into_iter()
        .filter_map(|r| {
            let k: SigningKey = serde_json::from_value(r.spec).ok()?;
            Some(KeyInfo {
                name: k.name,
                algorithm: k.algorithm.as_str().into(),
                status: match k.status {
                    KeyStatus::Active => "active".into(),
                    KeyStatus::VerifyOnly => "verify_only".into(),
                },
                created_at: k.created_at,
                version: r.version,
            })
        })
        .collect())
}

/// List signing keys (without key material).
#[utoipa::path(get, path = "/api/v1/signing-keys", tag = "signing keys",
    responses((status = 200, description = "Every key", body = Vec<KeyInfo>)))]
pub async fn list(State(state): State<AdminState>, _: Viewer) -> ApiResult<Json<Vec<KeyInfo>>> {
    Ok(Json(key_infos(&state).await?))
}

/// Rotate: generate a new active key and keep the current ones for
/// verifying (tokens they signed stay valid until they expire or the key is
/// retired). One revision.
#[utoipa::path(post, path = "/api/v1/signing-keys/rotate", tag = "signing keys",
    request_body(content = Option<RotateRequest>, content_type = "application/json"),
    responses((status = 200, description = "Rotated", body = Rotated),
              (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid name", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn rotate(
    State(state): State<AdminState>,
    Admin(p): Admin,
    OptionalJson(req): OptionalJson<RotateRequest>,
) -> ApiResult<Json<Rotated>> {
    let (_, stored) = state.store().resources(ResourceKind::SigningKey).await?;
    let mut keys: Vec<SigningKey> = stored
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.spec).ok())
        .collect();
    let now_s = state.now_ms() / 1000;
    let name = req.name.unwrap_or_else(|| format!("key-{now_s}"));
    if keys.iter().any(|k| k.name == name) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("signing key {name:?} already exists"),
        )
        .with_param("kind", "signing_key")
        .with_param("name", name));
    }
    let algorithm: SigningAlgorithm = match req.algorithm {
        Some(a) => a.into(),
        None => keys
            .iter()
            .find(|k| k.status == KeyStatus::Active)
            .map_or(SigningAlgorithm::HS256, |k| k.algorithm),
    };
    // RSA key generation takes a while: keep it off the async workers.
    let new_name = name.clone();
    let new_key =
        tokio::task::spawn_blocking(move || generate_signing_key(&new_name, algorithm, now_s))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::internal(&e))?;
    for k in &mut keys {
        k.status = KeyStatus::VerifyOnly;
    }
    keys.push(new_key);
    let doc = ConfigDocument {
        signing_keys: Some(keys),
        ..ConfigDocument::default()
    };
    let meta = RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: Some(
            RevisionSummary::SigningKeyRotated {
                name: name.clone(),
                algorithm: algorithm.as_str().to_owned(),
            }
            .into(),
        ),
    };
    let target = format!("signing_key/{name}");
    let out = match state.store().apply(&doc, meta).await {
        Ok(out) => out,
        Err(e) => {
            let err = ApiError::from(e);
            audit::record(
                &state,
                &p,
                "signing_key.rotate",
                &target,
                None,
                Outcome::Failed,
                audit::failed(&err),
            )
            .await;
            return Err(err);
        }
    };
    audit::record(
        &state,
        &p,
        "signing_key.rotate",
        &target,
        out.revision,
        Outcome::Ok,
        Some(AuditDetail::SigningAlgorithm {
            algorithm: algorithm.as_str().to_owned(),
        }),
    )
    .await;
    Ok(Json(Rotated {
        revision: out.revision,
        active: name,
        keys: key_infos(&state).await?,
    }))
}

/// Retire a key that only verifies (tokens it signed stop being accepted).
/// Needs `If-Match` with its version; the active key cannot be retired.
#[utoipa::path(delete, path = "/api/v1/signing-keys/{name}", tag = "signing keys",
    params(("name" = String, Path, description = "Key name (kid)"),
           ("If-Match" = String, Header, description = "The key's version")),
    responses((status = 200, description = "Retired", body = Deleted),
              (status = 404, description = "No such key", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The active key, or changed since that version", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn retire(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    if_match: IfMatch,
) -> ApiResult<Json<Deleted>> {
    let version = if_match.required()?;
    let current = state
        .store()
        .resource(ResourceKind::SigningKey, &name)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("signing key {name:?} not found"))
                .with_param("kind", "signing_key")
                .with_param("name", name.as_str())
        })?;
    let key: SigningKey =
        serde_json::from_value(current.spec).map_err(|e| ApiError::internal(&e))?;
    if key.status == KeyStatus::Active {
        return Err(ApiError::conflict(
            "active_key",
            "the active key signs new tokens; rotate first, then retire it",
        ));
    }
    let meta = RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: Some(RevisionSummary::SigningKeyRetired { name: name.clone() }.into()),
    };
    let target = format!("signing_key/{name}");
    let written = state
        .store()
        .write_resource(
            ResourceKind::SigningKey,
            &name,
            None,
            Expect::Version(version),
            meta,
        )
        .await
        .map_err(ApiError::from)?;
    audit::record(
        &state,
        &p,
        "signing_key.retire",
        &target,
        written.revision,
        Outcome::Ok,
        None,
    )
    .await;
    Ok(Json(Deleted {
        revision: written.version,
    }))
}
