//! API tokens for automation (`weir apply --server … --token …`, CI): created
//! by an admin with a name and a role, shown once, stored as a SHA-256 hash,
//! revocable. A token is its own principal (it is not tied to the user who
//! made it, who is recorded as `created_by`).
//!
//! A `registrar` token names the services it may register into
//! (`services`, or `["*"]` for every service that enables registration), so
//! the credential baked into one service's instances cannot add nodes to
//! another service.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weir_store::{ApiTokenRecord, AuditDetail};

use crate::audit::{self, Outcome};
use crate::auth::{Admin, Role, secret};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::msg::ApiMsg;
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiToken {
    /// Public id (also part of the token itself).
    #[schema(example = "3f2a9c0d1e4b5a69")]
    pub id: String,
    #[schema(example = "ci-deploy")]
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    /// Registrar tokens: the services it may register into (`*`: every
    /// service that enables registration). Absent: not restricted by
    /// service (tokens of other roles, and registrar tokens made before
    /// scopes existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
}

impl From<ApiTokenRecord> for ApiToken {
    fn from(t: ApiTokenRecord) -> Self {
        ApiToken {
            services: None,
            role: Role::parse(&t.role).unwrap_or(Role::Viewer),
            id: t.id,
            name: t.name,
            created_by: t.created_by,
            created_at_ms: t.created_at_ms,
            last_used_ms: t.last_used_ms,
            revoked_at_ms: t.revoked_at_ms,
        }
    }
}

/// Longest token name, in characters (the schema's `max_length`).
const MAX_TOKEN_NAME: usize = 128;
/// Most services a registrar token may name.
const MAX_SCOPE: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for: 1–128 characters, not only spaces, no control
    /// characters (leading and trailing spaces are dropped).
    #[schema(
        example = "ci-deploy",
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    pub role: Role,
    /// Required for role `registrar`, refused for the others: the services
    /// the token may register into (1–100 service names, or `["*"]` for
    /// every service that enables registration).
    #[schema(example = json!(["orders"]))]
    pub services: Option<Vec<String>>,
}

/// The token's scope, or a 422 naming `services`.
fn scope_of(role: Role, services: Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    let bad = |why: ApiMsg| ApiError::invalid_field("services", why);
    let Some(mut services) = services else {
        return match role {
            Role::Registrar => Err(bad(ApiMsg::RegistrarNeedsServices)),
            _ => Ok(None),
        };
    };
    if role != Role::Registrar {
        return Err(bad(ApiMsg::ScopeOnlyRegistrar));
    }
    if services.is_empty() || services.len() > MAX_SCOPE {
        return Err(bad(ApiMsg::ScopeCount {
            min: 1,
            max: MAX_SCOPE,
        }));
    }
    for (i, name) in services.iter().enumerate() {
        let valid = name == "*"
            || (!name.is_empty()
                && name.len() <= weir_core::rules::NAME_MAX_LEN
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')));
        if !valid {
            return Err(ApiError::invalid_field(
                format!("services[{i}]"),
                ApiMsg::ScopeServiceName {
                    max: weir_core::rules::NAME_MAX_LEN,
                },
            ));
        }
    }
    services.sort();
    services.dedup();
    Ok(Some(services))
}

/// A new token: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Not retrievable later.
    pub secret: String,
}

/// List API tokens (revoked ones included).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Every token, without secrets", body = Vec<ApiToken>)))]
pub async fn list(State(state): State<AdminState>, _: Admin) -> ApiResult<Json<Vec<ApiToken>>> {
    let mut scopes = state.store().token_services().await?;
    Ok(Json(
        state
            .store()
            .tokens()
            .await?
            .into_iter()
            .map(|t| {
                let services = scopes.remove(&t.id);
                ApiToken {
                    services,
                    ..ApiToken::from(t)
                }
            })
            .collect(),
    ))
}

/// Create an API token. The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, description = "Created", body = CreatedToken),
              (status = 422, description = "Invalid name or services", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = req.name.trim();
    if name.is_empty()
        || req.name.chars().count() > MAX_TOKEN_NAME
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "name",
            ApiMsg::TokenNameRule {
                max: MAX_TOKEN_NAME,
            },
        ));
    }
    let services = scope_of(req.role, req.services)?;
    let (id, token) = secret::new_api_token();
    let record = ApiTokenRecord {
        id: id.clone(),
        name: name.to_owned(),
        token_hash: secret::sha256_hex(&token),
        role: req.role.as_str().into(),
        created_by: p.name.clone(),
        created_at_ms: state.now_ms(),
        last_used_ms: None,
        revoked_at_ms: None,
    };
    state
        .store()
        .create_scoped_token(&record, services.as_deref())
        .await?;
    audit::record(
        &state,
        &p,
        "token.create",
        &format!("token/{id}"),
        None,
        Outcome::Ok,
        Some(AuditDetail::TokenName {
            name: name.to_owned(),
        }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: ApiToken {
                services,
                ..record.into()
            },
            secret: token,
        }),
    ))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such (unrevoked) token", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.store().revoke_token(&id, state.now_ms()).await?;
    audit::record(
        &state,
        &p,
        "token.revoke",
        &format!("token/{id}"),
        None,
        Outcome::Ok,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
