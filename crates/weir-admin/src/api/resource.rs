//! The machinery every configuration kind shares: read one or all of a
//! kind with versions, and create / replace / delete one as a revision with
//! optimistic concurrency, validation on the merged configuration, and an
//! audit entry. A kind plugs in by implementing [`Kind`].
//!
//! Writes always parse the body with the model type itself (so exactly the
//! rules of `weir apply` apply) and store the model's canonical JSON (so
//! that defaults written or left out compare equal).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;
use weir_core::ResourceKind;
use weir_store::{AuditDetail, Expect, RevisionMeta, StoredResource};

use crate::audit::{self, Outcome};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::{etag, parse_json};
use crate::msg::ApiMsg;
use crate::state::AdminState;

/// A configuration kind served under `/api/v1/<plural>`.
pub trait Kind {
    const KIND: ResourceKind;
    /// The model type (`weir_core::Service`, …).
    type Model: Serialize + DeserializeOwned;

    /// The model's unique name.
    fn name(model: &Self::Model) -> &str;

    /// What the API shows of a stored spec (e.g. secrets removed).
    fn present(spec: Value) -> Value {
        spec
    }

    /// Adjust a spec before it is written, given the stored one (e.g. keep a
    /// secret the client did not resend).
    fn prepare(_new: &mut Value, _old: Option<&Value>) {}
}

/// A stored resource as the API returns it.
#[derive(Debug, Serialize)]
pub struct Envelope {
    /// The revision that last changed this resource; send it back in
    /// `If-Match` to update or delete.
    pub version: i64,
    pub spec: Value,
}

/// What a delete answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// The revision that deleted the resource.
    pub revision: i64,
}

pub fn envelope<K: Kind>(r: StoredResource) -> Envelope {
    Envelope {
        version: r.version,
        spec: K::present(r.spec),
    }
}

/// `200`/`201` with the envelope, `ETag` and (for 201) `Location`.
pub fn respond(status: StatusCode, env: Envelope, location: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(env.version));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, loc);
    }
    (status, headers, Json(env)).into_response()
}

pub async fn get_one<K: Kind>(state: &AdminState, name: &str) -> ApiResult<StoredResource> {
    state
        .store()
        .resource(K::KIND, name)
        .await?
        .ok_or_else(|| ApiError::not_found_named(K::KIND.as_str(), name))
}

/// Parse a body as the model and return its canonical JSON and name.
fn canonical<K: Kind>(body: &[u8]) -> ApiResult<(String, Value)> {
    let model: K::Model = parse_json(body)?;
    let name = K::name(&model).to_owned();
    let value = serde_json::to_value(&model).map_err(|e| ApiError::internal(&e))?;
    Ok((name, value))
}

/// Who writes; the summary is generated from the change.
fn meta(p: &Principal) -> RevisionMeta {
    RevisionMeta {
        author: p.name.clone(),
        source: "api".into(),
        summary: None,
    }
}

fn target<K: Kind>(name: &str) -> String {
    format!("{}/{name}", K::KIND.as_str())
}

/// Create from a JSON body; 409 when the name is taken. Also returns the
/// spec as written, before [`Kind::present`] (e.g. with a generated secret
/// the caller shows once).
pub async fn create<K: Kind>(
    state: &AdminState,
    p: &Principal,
    body: &[u8],
) -> ApiResult<(String, Envelope, Value)> {
    let (name, mut spec) = canonical::<K>(body)?;
    K::prepare(&mut spec, None);
    let result = state
        .store()
        .write_resource(K::KIND, &name, Some(spec.clone()), Expect::Absent, meta(p))
        .await;
    let version = finish::<K>(
        state,
        p,
        "create",
        &name,
        result.map(|w| (w.version, w.revision)),
    )
    .await?;
    let env = Envelope {
        version,
        spec: K::present(spec.clone()),
    };
    Ok((name, env, spec))
}

/// Replace `name` from a JSON body, based on `version`.
pub async fn replace<K: Kind>(
    state: &AdminState,
    p: &Principal,
    name: &str,
    version: i64,
    body: &[u8],
) -> ApiResult<Envelope> {
    let (body_name, mut spec) = canonical::<K>(body)?;
    if body_name != name {
        return Err(ApiError::invalid_field(
            "name",
            ApiMsg::RenameRefused {
                body: body_name,
                url: name.to_owned(),
            },
        ));
    }
    let old = state.store().resource(K::KIND, name).await?;
    K::prepare(&mut spec, old.as_ref().map(|o| &o.spec));
    let result = state
        .store()
        .write_resource(
            K::KIND,
            name,
            Some(spec.clone()),
            Expect::Version(version),
            meta(p),
        )
        .await;
    let version = finish::<K>(
        state,
        p,
        "update",
        name,
        result.map(|w| (w.version, w.revision)),
    )
    .await?;
    Ok(Envelope {
        version,
        spec: K::present(spec),
    })
}

/// Delete `name`, based on `version`.
pub async fn delete<K: Kind>(
    state: &AdminState,
    p: &Principal,
    name: &str,
    version: i64,
) -> ApiResult<Deleted> {
    let result = state
        .store()
        .write_resource(K::KIND, name, None, Expect::Version(version), meta(p))
        .await;
    let revision = finish::<K>(
        state,
        p,
        "delete",
        name,
        result.map(|w| (w.version, w.revision)),
    )
    .await?;
    Ok(Deleted { revision })
}

/// Audit the outcome of a write and map its error.
async fn finish<K: Kind>(
    state: &AdminState,
    p: &Principal,
    verb: &str,
    name: &str,
    result: Result<(i64, Option<i64>), weir_store::StoreError>,
) -> ApiResult<i64> {
    let action = format!("{}.{verb}", K::KIND.as_str());
    match result {
        Ok((version, revision)) => {
            let detail = revision.is_none().then_some(AuditDetail::NoChange);
            audit::record(
                state,
                p,
                &action,
                &target::<K>(name),
                revision,
                Outcome::Ok,
                detail,
            )
            .await;
            Ok(version)
        }
        Err(e) => {
            let err = ApiError::from(e);
            if err.status().is_client_error() {
                audit::record(
                    state,
                    p,
                    &action,
                    &target::<K>(name),
                    None,
                    Outcome::Failed,
                    audit::failed(&err),
                )
                .await;
            }
            Err(err)
        }
    }
}
