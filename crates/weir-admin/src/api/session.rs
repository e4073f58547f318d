//! Logging in and out, the current caller, and changing one's password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weir_store::{AuditDetail, SessionRecord};

use crate::audit::{self, Actor, Outcome};
use crate::auth::throttle::Verdict;
use crate::auth::{self, Account, ClientIp, Role, Via, password, secret};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::msg::ApiMsg;
use crate::state::AdminState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    pub password: String,
}

/// How the caller is signed in: `session` (the session cookie) or `token`
/// (an API token sent as Bearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionAuth {
    Session,
    Token,
}

/// The caller and their session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// User name, or the API token's name.
    pub username: String,
    pub role: Role,
    pub auth: SessionAuth,
    /// Until changed, every other endpoint answers 403
    /// `password_change_required`.
    pub must_change_password: bool,
    /// Send as `X-CSRF-Token` on state-changing requests made with the
    /// session cookie. Absent for API tokens.
    pub csrf_token: Option<String>,
    /// Unix milliseconds when the session ends at the latest (absolute
    /// expiry); it ends earlier after the idle timeout without requests.
    pub expires_at_ms: Option<i64>,
    pub idle_timeout_secs: Option<u64>,
    /// The gateway's configured time zone (`time_zone`): the dashboard
    /// shows every time in it, as the statistics' days and hours are.
    pub time_zone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 10 characters, not the user name.
    pub new_password: String,
}

fn session_info(state: &AdminState, p: &auth::Principal) -> SessionInfo {
    let opts = state.options();
    match &p.via {
        Via::Session {
            csrf_token,
            created_at_ms,
            ..
        } => SessionInfo {
            username: p.name.clone(),
            role: p.role,
            auth: SessionAuth::Session,
            must_change_password: p.must_change_password,
            csrf_token: Some(csrf_token.clone()),
            expires_at_ms: Some(created_at_ms.saturating_add(
                i64::try_from(opts.session_absolute_timeout.as_millis()).unwrap_or(i64::MAX),
            )),
            idle_timeout_secs: Some(opts.session_idle_timeout.as_secs()),
            time_zone: opts.time_zone.clone(),
        },
        Via::Token { .. } => SessionInfo {
            username: p.name.clone(),
            role: p.role,
            auth: SessionAuth::Token,
            must_change_password: false,
            csrf_token: None,
            expires_at_ms: None,
            idle_timeout_secs: None,
            time_zone: opts.time_zone.clone(),
        },
    }
}

fn too_many(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("too many failed attempts; try again in {retry_after} s"),
    )
    .with_param("retry_after", retry_after)
    .with_header(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after.to_string()).unwrap_or(HeaderValue::from_static("60")),
    )
}

/// Too many logins are being verified right now; not counted as a failure.
fn busy() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "login_busy",
        "too many logins are being checked at once; try again shortly",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
}

/// Log in.
///
/// Sets the `weir_session` cookie (HttpOnly, SameSite=Strict, Secure under
/// TLS). Attempts are throttled per user name and client address, and per
/// client address (429 `too_many_attempts` with Retry-After); when too many
/// logins are being verified at once the answer is 429 `login_busy`.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionInfo,
         headers(("Set-Cookie" = String, description = "weir_session=…; HttpOnly; SameSite=Strict"))),
        (status = 401, description = "Wrong user name or password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts, or too many logins being checked at once", body = crate::error::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(()))]
pub async fn login(
    State(state): State<AdminState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let now = state.now_ms();
    // A name the audit log could not store (PostgreSQL refuses NUL in
    // text) is recorded as "-", like an over-long one.
    let actor = Actor {
        name: if req.username.len() <= 128 && !req.username.contains('\0') {
            &req.username
        } else {
            "-"
        },
        kind: "user",
        ip: &ip,
    };
    // Count the attempt before verifying it (see auth::throttle).
    if let Verdict::Wait(wait) = state.throttle().reserve(&req.username, &ip, now).await? {
        audit::record(
            &state,
            actor,
            "session.login",
            "session",
            None,
            Outcome::Denied,
            Some(AuditDetail::LoginThrottled),
        )
        .await;
        return Err(too_many(wait));
    }
    let store = state.store();
    // No user name is longer or holds a NUL, which PostgreSQL refuses in
    // text (a store error, 503, instead of the 401 any other name gets).
    let user = if req.username.len() <= 64 && !req.username.contains('\0') {
        match store.user(&req.username).await {
            Ok(u) => u,
            Err(e) => {
                state.throttle().not_tried(&req.username, &ip).await;
                return Err(e.into());
            }
        }
    } else {
        None
    };
    let ok = if req.password.len() > password::MAX_LENGTH {
        false
    } else {
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        match state
            .verify_gate()
            .verify(state.options().password, req.password, stored)
            .await
        {
            Ok(ok) => ok,
            Err(password::Busy) => {
                state.throttle().not_tried(&req.username, &ip).await;
                return Err(busy());
            }
        }
    };
    let (Some(user), true) = (user, ok) else {
        audit::record(
            &state,
            actor,
            "session.login",
            "session",
            None,
            Outcome::Denied,
            Some(AuditDetail::WrongCredentials),
        )
        .await;
        return Err(ApiError::unauthenticated(
            "invalid_credentials",
            "wrong user name or password",
        ));
    };
    state.throttle().succeeded(&req.username, &ip).await;

    let opts = state.options();
    let idle = i64::try_from(opts.session_idle_timeout.as_millis()).unwrap_or(i64::MAX);
    let absolute = i64::try_from(opts.session_absolute_timeout.as_millis()).unwrap_or(i64::MAX);
    // Opportunistic cleanup keeps the table small without a timer task.
    if let Err(e) = store
        .purge_sessions(now.saturating_sub(idle), now.saturating_sub(absolute))
        .await
    {
        tracing::debug!(error = %e, "could not purge expired sessions");
    }
    let id = secret::random_hex(32);
    let record = SessionRecord {
        id_hash: secret::sha256_hex(&id),
        user_name: user.name.clone(),
        csrf_token: secret::random_hex(32),
        created_at_ms: now,
        last_seen_ms: now,
    };
    store.create_session(&record).await?;
    let role = Role::parse(&user.role).unwrap_or(Role::Viewer);
    let principal = auth::Principal {
        name: user.name.clone(),
        role,
        via: Via::Session {
            id_hash: record.id_hash,
            csrf_token: record.csrf_token,
            created_at_ms: now,
        },
        must_change_password: user.must_change,
        ip: ip.clone(),
    };
    audit::record(
        &state,
        &principal,
        "session.login",
        "session",
        None,
        Outcome::Ok,
        None,
    )
    .await;
    let cookie = auth::session_cookie(
        Some(&id),
        opts.session_absolute_timeout.as_secs(),
        auth::secure_cookie(&state, &headers),
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(session_info(&state, &principal)),
    )
        .into_response())
}

/// The current caller (user session or API token).
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, description = "The caller", body = SessionInfo)))]
pub async fn current(State(state): State<AdminState>, Account(p): Account) -> Json<SessionInfo> {
    Json(session_info(&state, &p))
}

/// Log out: end the session and clear the cookie (no effect for API tokens).
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out")))]
pub async fn logout(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Account(p): Account,
) -> ApiResult<Response> {
    if let Via::Session { id_hash, .. } = &p.via {
        state.store().delete_session(id_hash).await?;
        audit::record(
            &state,
            &p,
            "session.logout",
            "session",
            None,
            Outcome::Ok,
            None,
        )
        .await;
    }
    let cookie = auth::session_cookie(None, 0, auth::secure_cookie(&state, &headers));
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Change the caller's password. Required after first login; ends the
/// user's other sessions.
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "The current password is wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password is not acceptable", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AdminState>,
    Account(p): Account,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let Via::Session { id_hash, .. } = &p.via else {
        return Err(ApiError::forbidden(
            "forbidden",
            "API tokens have no password; log in as the user",
        ));
    };
    let now = state.now_ms();
    if let Verdict::Wait(wait) = state.throttle().reserve(&p.name, &p.ip, now).await? {
        return Err(too_many(wait));
    }
    let store = state.store();
    let user = match store.user(&p.name).await {
        Ok(Some(u)) => u,
        found => {
            state.throttle().not_tried(&p.name, &p.ip).await;
            return Err(match found {
                Err(e) => e.into(),
                _ => ApiError::unauthenticated("session_expired", "the user no longer exists"),
            });
        }
    };
    let policy = state.options().password;
    let ok = if req.current_password.len() > password::MAX_LENGTH {
        false
    } else {
        match state
            .verify_gate()
            .verify(
                policy,
                req.current_password.clone(),
                Some(user.password_hash),
            )
            .await
        {
            Ok(ok) => ok,
            Err(password::Busy) => {
                state.throttle().not_tried(&p.name, &p.ip).await;
                return Err(busy());
            }
        }
    };
    if !ok {
        audit::record(
            &state,
            &p,
            "user.change_password",
            &format!("user/{}", p.name),
            None,
            Outcome::Denied,
            Some(AuditDetail::WrongCurrentPassword),
        )
        .await;
        return Err(ApiError::unauthenticated(
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    state.throttle().succeeded(&p.name, &p.ip).await;
    if let Some(why) = password::weakness(&req.new_password, &p.name) {
        return Err(ApiError::invalid_field("new_password", why));
    }
    if req.new_password == req.current_password {
        return Err(ApiError::invalid_field(
            "new_password",
            ApiMsg::PasswordUnchanged,
        ));
    }
    let hash = policy
        .hash(req.new_password)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    store.set_user_password(&p.name, &hash, false, now).await?;
    store.delete_user_sessions(&p.name, Some(id_hash)).await?;
    audit::record(
        &state,
        &p,
        "user.change_password",
        &format!("user/{}", p.name),
        None,
        Outcome::Ok,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
