//! Admin users (role `admin` only): list, create, show, change role or
//! reset password, delete. The last admin cannot be demoted or deleted, and
//! nobody can delete themselves, so the gateway never ends up unmanageable.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use weir_store::{AuditDetail, UserRecord};

use crate::audit::{self, Outcome};
use crate::auth::{Admin, Role, password};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::msg::ApiMsg;
use crate::schema;
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "alice")]
    pub username: String,
    pub role: Role,
    pub must_change_password: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            role: Role::parse(&u.role).unwrap_or(Role::Viewer),
            username: u.name,
            must_change_password: u.must_change,
            created_at_ms: u.created_at_ms,
            updated_at_ms: u.updated_at_ms,
        }
    }
}

/// The roles a user can have. `registrar` is for API tokens only: a person
/// who may only register service instances has no use for the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Read and write everything.
    Admin,
    /// Read only.
    Viewer,
}

impl From<UserRole> for Role {
    fn from(r: UserRole) -> Role {
        match r {
            UserRole::Admin => Role::Admin,
            UserRole::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(schema_with = username)]
    pub username: String,
    pub role: UserRole,
    #[schema(schema_with = initial_password)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub role: Option<UserRole>,
    #[schema(schema_with = reset_password)]
    pub password: Option<String>,
}

fn username() -> Object {
    schema::name_rule("").examples(["alice"]).build()
}

fn initial_password() -> Object {
    password_rule(
        "Initial password; the user must change it at first login. ",
        Type::String,
    )
}

fn reset_password() -> Object {
    password_rule(
        "Reset the password; the user must change it at next login, and their sessions end. ",
        SchemaType::from_iter([Type::String, Type::Null]),
    )
}

/// What `password::weakness` refuses, as far as JSON Schema can say it (a
/// password equal to the user name is 422 too).
fn password_rule(description: &str, ty: impl Into<SchemaType>) -> Object {
    ObjectBuilder::new()
        .schema_type(ty)
        .min_length(Some(password::MIN_LENGTH))
        .max_length(Some(password::MAX_LENGTH))
        .pattern(Some(r"^(?!([\s\S])\1*$)"))
        .description(Some(format!(
            "{description}{}–{} characters (at most {} bytes), not one character repeated, \
             not the user name.",
            password::MIN_LENGTH,
            password::MAX_LENGTH,
            password::MAX_LENGTH
        )))
        .build()
}

fn check_username(name: &str) -> Result<(), ApiError> {
    if weir_core::rules::is_valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "username",
            ApiMsg::UsernameRule {
                max: weir_core::rules::NAME_MAX_LEN,
            },
        ))
    }
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "Every user", body = Vec<User>)))]
pub async fn list(State(state): State<AdminState>, _: Admin) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        state
            .store()
            .users()
            .await?
            .into_iter()
            .map(User::from)
            .collect(),
    ))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or weak password", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    check_username(&req.username)?;
    let role = Role::from(req.role);
    if let Some(why) = password::weakness(&req.password, &req.username) {
        return Err(ApiError::invalid_field("password", why));
    }
    let hash = state
        .options()
        .password
        .hash(req.password)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let now = state.now_ms();
    let record = UserRecord {
        name: req.username.clone(),
        password_hash: hash,
        role: role.as_str().into(),
        must_change: true,
        created_at_ms: now,
        updated_at_ms: now,
    };
    state.store().create_user(&record).await?;
    let target = format!("user/{}", req.username);
    audit::record(
        &state,
        &p,
        "user.create",
        &target,
        None,
        Outcome::Ok,
        Some(AuditDetail::Role {
            role: role.as_str().to_owned(),
        }),
    )
    .await;
    Ok((StatusCode::CREATED, Json(User::from(record))))
}

async fn find(state: &AdminState, name: &str) -> ApiResult<UserRecord> {
    state
        .store()
        .user(name)
        .await?
        .ok_or_else(|| ApiError::not_found_named("user", name))
}

/// Show a user.
#[utoipa::path(get, path = "/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, description = "The user", body = User),
              (status = 404, description = "No such user", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AdminState>,
    _: Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(find(&state, &name).await?.into()))
}

async fn admins(state: &AdminState) -> ApiResult<usize> {
    Ok(state
        .store()
        .users()
        .await?
        .iter()
        .filter(|u| u.role == "admin")
        .count())
}

/// Change a user's role or reset their password.
#[utoipa::path(patch, path = "/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path, description = "User name")),
    request_body = UpdateUser,
    responses((status = 200, description = "Updated", body = User),
              (status = 404, description = "No such user", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Would leave no admin", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    let user = find(&state, &name).await?;
    let now = state.now_ms();
    let target = format!("user/{name}");
    if let Some(pw) = &req.password
        && let Some(why) = password::weakness(pw, &name)
    {
        return Err(ApiError::invalid_field("password", why));
    }
    if let Some(role) = req.role.map(Role::from) {
        if role != Role::Admin && user.role == "admin" && admins(&state).await? <= 1 {
            return Err(ApiError::conflict(
                "last_admin",
                "this is the only admin; make someone else admin first",
            ));
        }
        state
            .store()
            .set_user_role(&name, role.as_str(), now)
            .await?;
        audit::record(
            &state,
            &p,
            "user.set_role",
            &target,
            None,
            Outcome::Ok,
            Some(AuditDetail::Role {
                role: role.as_str().to_owned(),
            }),
        )
        .await;
    }
    if let Some(pw) = req.password {
        let hash = state
            .options()
            .password
            .hash(pw)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        state
            .store()
            .set_user_password(&name, &hash, true, now)
            .await?;
        state.store().delete_user_sessions(&name, None).await?;
        audit::record(
            &state,
            &p,
            "user.reset_password",
            &target,
            None,
            Outcome::Ok,
            None,
        )
        .await;
    }
    Ok(Json(find(&state, &name).await?.into()))
}

/// Delete a user (and end their sessions).
#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such user", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Yourself, or the last admin", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let user = find(&state, &name).await?;
    if p.actor_kind() == "user" && p.name == name {
        return Err(ApiError::conflict(
            "self_delete",
            "you cannot delete yourself",
        ));
    }
    if user.role == "admin" && admins(&state).await? <= 1 {
        return Err(ApiError::conflict("last_admin", "this is the only admin"));
    }
    state.store().delete_user(&name).await?;
    audit::record(
        &state,
        &p,
        "user.delete",
        &format!("user/{name}"),
        None,
        Outcome::Ok,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
