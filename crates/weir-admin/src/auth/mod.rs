//! Who is calling and what they may do.
//!
//! Two credentials:
//! - **Session cookie** (`weir_session`, from `POST /api/v1/session`): for
//!   the dashboard. HttpOnly, SameSite=Strict, Secure under TLS; idle and
//!   absolute expiry. State-changing requests (anything but GET/HEAD/OPTIONS)
//!   must also carry the session's CSRF token in `X-CSRF-Token` — a
//!   synchronizer token kept server-side with the session, so a forged
//!   cross-site request, which cannot read it, fails even where SameSite is
//!   not enforced.
//! - **API token** (`Authorization: Bearer weir_…`): for automation. Exempt
//!   from CSRF (a browser never attaches it on its own).
//!
//! Handlers state what they need by their extractor: [`Viewer`] (any
//! authenticated caller), [`Admin`] (role `admin`), or [`Account`] (any
//! authenticated caller, even one who still must change their password —
//! only for the few self-service endpoints). Everything else refuses a user
//! with a pending password change with 403 `password_change_required`.
//!
//! Role `registrar` (API tokens only) exists so that the credential baked
//! into every service instance for self-registration can do nothing else:
//! it passes only [`Registrar`] (register, heartbeat, deregister; admins
//! too) and [`RegistrationReader`] (list registrations; any role), and is
//! refused (403) by every other extractor — including [`Viewer`], so it
//! cannot even read the configuration.

pub mod bootstrap;
pub mod password;
pub mod secret;
pub mod throttle;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::{AdminState, CookieSecure};

pub const SESSION_COOKIE: &str = "weir_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How often at most a session's or token's last use is written back; a
/// write per request would turn every read into a database write.
const TOUCH_EVERY_MS: i64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read and write everything.
    Admin,
    /// Read only.
    Viewer,
    /// API tokens for service instances: only the self-registration
    /// endpoints (register, heartbeat, deregister, list registrations).
    Registrar,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::Registrar => "registrar",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            "registrar" => Some(Role::Registrar),
            _ => None,
        }
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session {
        id_hash: String,
        csrf_token: String,
        created_at_ms: i64,
    },
    Token {
        id: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User name, or the token's name.
    pub name: String,
    pub role: Role,
    pub via: Via,
    pub must_change_password: bool,
    /// The TCP peer address (trusted-proxy handling comes with issue 4).
    pub ip: String,
}

impl Principal {
    pub fn actor_kind(&self) -> &'static str {
        match self.via {
            Via::Session { .. } => "user",
            Via::Token { .. } => "token",
        }
    }
}

/// The peer address of a request (`unknown` when the listener did not
/// record it, e.g. in router tests).
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string())
}

/// The peer address as an extractor (for endpoints before authentication).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Any authenticated caller without a pending password change.
#[derive(Debug, Clone)]
pub struct Viewer(pub Principal);

/// An authenticated caller with role `admin` and no pending password change.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

/// Any authenticated caller, even with a pending password change.
#[derive(Debug, Clone)]
pub struct Account(pub Principal);

/// A caller that may change self-registrations: role `admin` or `registrar`.
#[derive(Debug, Clone)]
pub struct Registrar(pub Principal);

/// A caller that may list self-registrations: any role, `registrar` included.
#[derive(Debug, Clone)]
pub struct RegistrationReader(pub Principal);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Account,
    Viewer,
    Admin,
    Registrar,
    RegistrationReader,
}

impl FromRequestParts<AdminState> for Viewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        authenticate(parts, state, Need::Viewer).await.map(Viewer)
    }
}

impl FromRequestParts<AdminState> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        authenticate(parts, state, Need::Admin).await.map(Admin)
    }
}

impl FromRequestParts<AdminState> for Account {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        authenticate(parts, state, Need::Account).await.map(Account)
    }
}

impl FromRequestParts<AdminState> for Registrar {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        authenticate(parts, state, Need::Registrar)
            .await
            .map(Registrar)
    }
}

impl FromRequestParts<AdminState> for RegistrationReader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        authenticate(parts, state, Need::RegistrationReader)
            .await
            .map(RegistrationReader)
    }
}

async fn authenticate(
    parts: &mut Parts,
    state: &AdminState,
    need: Need,
) -> Result<Principal, ApiError> {
    let ip = client_ip(parts);
    let principal = if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        from_token(auth, state, ip).await?
    } else if let Some(id) = cookie(&parts.headers, SESSION_COOKIE) {
        let p = from_session(&id, state, ip).await?;
        if !is_safe(&parts.method) {
            check_csrf(&parts.headers, &p)?;
        }
        p
    } else {
        return Err(ApiError::unauthenticated(
            "unauthenticated",
            "log in (POST /api/v1/session) or send an API token (Authorization: Bearer …)",
        ));
    };
    if principal.must_change_password && need != Need::Account {
        return Err(ApiError::forbidden(
            "password_change_required",
            "the password must be changed first (POST /api/v1/session/password)",
        ));
    }
    let who = || format!("{} {:?}", principal.actor_kind(), principal.name);
    match (need, principal.role) {
        (Need::RegistrationReader, _)
        | (Need::Registrar, Role::Admin | Role::Registrar)
        | (Need::Admin, Role::Admin)
        | (Need::Viewer | Need::Account, Role::Admin | Role::Viewer) => Ok(principal),
        (_, Role::Registrar) => Err(ApiError::forbidden(
            "forbidden",
            format!(
                "{} has role registrar, which may only use the self-registration endpoints",
                who()
            ),
        )),
        (_, Role::Viewer) => Err(ApiError::forbidden(
            "forbidden",
            format!("{} has role viewer, which is read-only", who()),
        )),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(headers: &HeaderMap, p: &Principal) -> Result<(), ApiError> {
    let Via::Session { csrf_token, .. } = &p.via else {
        return Ok(());
    };
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match sent {
        Some(sent) if secret::constant_time_eq(sent, csrf_token) => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "csrf_failed",
            "the X-CSRF-Token header does not match this session",
        )),
        None => Err(ApiError::forbidden(
            "csrf_failed",
            "state-changing requests with a session cookie need the X-CSRF-Token header \
             (its value is in the login answer and in GET /api/v1/session)",
        )),
    }
}

async fn from_token(
    value: &HeaderValue,
    state: &AdminState,
    ip: String,
) -> Result<Principal, ApiError> {
    let invalid = || ApiError::unauthenticated("invalid_token", "the API token is not valid");
    let text = value.to_str().map_err(|_| invalid())?;
    let Some(token) = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
    else {
        return Err(ApiError::unauthenticated(
            "unauthenticated",
            "the Authorization header must be `Bearer <API token>`",
        ));
    };
    let token = token.trim();
    if !token.starts_with(secret::TOKEN_PREFIX) || token.len() > 200 {
        return Err(invalid());
    }
    let record = state
        .store()
        .token_by_hash(&secret::sha256_hex(token))
        .await?
        .ok_or_else(invalid)?;
    if record.revoked_at_ms.is_some() {
        return Err(ApiError::unauthenticated(
            "invalid_token",
            "the API token was revoked",
        ));
    }
    let role = Role::parse(&record.role).ok_or_else(invalid)?;
    let now = state.now_ms();
    if record
        .last_used_ms
        .is_none_or(|t| now.saturating_sub(t) > TOUCH_EVERY_MS)
        && let Err(e) = state.store().touch_token(&record.id, now).await
    {
        tracing::debug!(error = %e, "could not record API token use");
    }
    Ok(Principal {
        name: record.name,
        role,
        via: Via::Token { id: record.id },
        must_change_password: false,
        ip,
    })
}

async fn from_session(id: &str, state: &AdminState, ip: String) -> Result<Principal, ApiError> {
    let expired = || {
        ApiError::unauthenticated(
            "session_expired",
            "the session has expired or was ended; log in again",
        )
    };
    if id.len() != 64 {
        return Err(expired());
    }
    let id_hash = secret::sha256_hex(id);
    let store = state.store();
    let session = store.session(&id_hash).await?.ok_or_else(expired)?;
    let now = state.now_ms();
    let opts = state.options();
    let idle = i64::try_from(opts.session_idle_timeout.as_millis()).unwrap_or(i64::MAX);
    let absolute = i64::try_from(opts.session_absolute_timeout.as_millis()).unwrap_or(i64::MAX);
    if now.saturating_sub(session.last_seen_ms) > idle
        || now.saturating_sub(session.created_at_ms) > absolute
    {
        store.delete_session(&id_hash).await?;
        return Err(expired());
    }
    let user = store.user(&session.user_name).await?.ok_or_else(expired)?;
    let role = Role::parse(&user.role).ok_or_else(expired)?;
    if now.saturating_sub(session.last_seen_ms) > TOUCH_EVERY_MS.min(idle / 10) {
        store.touch_session(&id_hash, now).await?;
    }
    Ok(Principal {
        name: user.name,
        role,
        via: Via::Session {
            id_hash,
            csrf_token: session.csrf_token,
            created_at_ms: session.created_at_ms,
        },
        must_change_password: user.must_change,
        ip,
    })
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.trim().to_owned())
        })
}

/// Whether cookies set in answer to this request get `Secure`.
pub fn secure_cookie(state: &AdminState, headers: &HeaderMap) -> bool {
    match state.options().cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => {
            state.options().tls
                || headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        }
    }
}

/// `Set-Cookie` for a new session (or, with `value` = `None`, one that
/// deletes it).
pub fn session_cookie(value: Option<&str>, max_age_secs: u64, secure: bool) -> HeaderValue {
    let mut c = match value {
        Some(v) => format!(
            "{SESSION_COOKIE}={v}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}"
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c)
        .unwrap_or_else(|_| HeaderValue::from_static("weir_session=; Max-Age=0"))
}
