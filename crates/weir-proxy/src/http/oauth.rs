//! The token service on the data plane, as in the seed:
//! `POST /oauth/tokens` with `Authorization: Basic base64(app_id:secret)`
//! (or the OAuth2 client-credentials form) returns a JWT for the tenant;
//! `GET /.well-known/jwks.json` publishes the public signing keys.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use weir_core::compile::CompiledTenant;

use crate::DataPlane;
use crate::policy::limit::client_key;
use crate::snapshot::Snapshot;

pub(crate) const TOKEN_PATH: &str = "/oauth/tokens";
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Largest token request body read.
const MAX_BODY: usize = 8 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The scope granted, as in the seed.
const SCOPE: &str = "read_write";

type Reply = Response<Full<Bytes>>;

fn json_reply(status: StatusCode, body: &Value) -> Reply {
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // RFC 6749 §5.1: token responses must not be cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    json_reply(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

fn invalid_client() -> Reply {
    let mut res = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed",
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"weir\""),
    );
    res
}

/// `GET /.well-known/jwks.json`.
pub(crate) fn jwks(snap: &Snapshot) -> Reply {
    let mut res = json_reply(StatusCode::OK, &snap.config.keys.jwks);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res.headers_mut().remove(header::PRAGMA);
    res
}

/// `POST /oauth/tokens`.
pub(crate) async fn token(
    plane: &DataPlane,
    snap: &Snapshot,
    client: IpAddr,
    req: Request<Incoming>,
) -> Reply {
    if let Err(refused) = brake(plane, client, &req) {
        return *refused;
    }
    let (parts, body) = req.into_parts();
    let tenant = match read_form(&parts.headers, body)
        .await
        .and_then(|form| client_credentials(snap, client, &parts.headers, &form))
    {
        Ok(tenant) => tenant,
        Err(refused) => return *refused,
    };
    issue(plane, snap, tenant)
}

/// A refusal of the token endpoint (boxed: a response is large).
type Refused = Box<Reply>;

/// POST only, and guessing slowed down per client before any work.
fn brake(plane: &DataPlane, client: IpAddr, req: &Request<Incoming>) -> Result<(), Refused> {
    if req.method() != Method::POST {
        let mut res = oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "use POST",
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(Box::new(res));
    }
    let d = plane.token_limiter.acquire(
        client_key(client, plane.options.ipv6_client_prefix),
        plane.options.token_endpoint_rate,
        crate::clock::mono_nanos(),
    );
    if !d.allowed {
        let mut res = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many token requests from this address",
        );
        let retry = d.retry_after.as_secs_f64().ceil().max(1.0) as u64;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
        return Err(Box::new(res));
    }
    Ok(())
}

/// The form body, bounded in size and time; only `client_credentials`
/// grants.
async fn read_form(
    headers: &http::HeaderMap,
    body: Incoming,
) -> Result<Vec<(String, String)>, Refused> {
    let bytes =
        match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            _ => {
                return Err(Box::new(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the request body is too large or incomplete",
                )));
            }
        };
    let form = parse_body(headers.get(header::CONTENT_TYPE), &bytes);
    if let Some(grant) = form.iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v)
        && grant != "client_credentials"
    {
        return Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        )));
    }
    Ok(form)
}

/// The tenant whose id and secret the request carries (Basic, or the form),
/// when it is enabled and the client is on its IP list. Every failure is
/// the same `invalid_client`.
fn client_credentials<'s>(
    snap: &'s Snapshot,
    client: IpAddr,
    headers: &http::HeaderMap,
    form: &[(String, String)],
) -> Result<&'s CompiledTenant, Refused> {
    let refused = || Box::new(invalid_client());
    let (app_id, secret) = basic_credentials(headers)
        .or_else(|| {
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            Some((get("client_id")?, get("client_secret")?))
        })
        .ok_or_else(refused)?;
    let tenant = snap
        .config
        .tenants
        .get(app_id.as_str())
        .ok_or_else(refused)?;
    let secret_ok: bool = tenant.secret.as_bytes().ct_eq(secret.as_bytes()).into();
    let ip_ok = tenant.ip_allow.as_ref().is_none_or(|a| a.contains(client));
    if !secret_ok || !tenant.enabled || !ip_ok {
        return Err(refused());
    }
    Ok(tenant)
}

/// A token for `tenant`, signed with the active key.
fn issue(plane: &DataPlane, snap: &Snapshot, tenant: &CompiledTenant) -> Reply {
    let Some(key) = &snap.config.keys.active else {
        tracing::error!("token requested but no active signing key is configured");
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "no signing key is configured",
        );
    };

    let ttl = plane.options.token_ttl.as_secs();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut jti = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut jti).is_err() {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "no randomness available",
        );
    }
    let claims = json!({
        "iss": &*tenant.app_id,
        "sub": &*tenant.app_id,
        "iat": now,
        "exp": now + ttl,
        "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "scope": SCOPE,
    });
    let mut header = jsonwebtoken::Header::new(key.algorithm);
    header.kid = Some(key.kid.clone());
    match jsonwebtoken::encode(&header, &claims, &key.key) {
        Ok(token) => json_reply(
            StatusCode::OK,
            &json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": SCOPE,
            }),
        ),
        Err(e) => {
            tracing::error!(error = %e, kid = %key.kid, "signing a token failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the token could not be signed",
            )
        }
    }
}

/// `app_id:secret` from `Authorization: Basic`.
fn basic_credentials(headers: &http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Form (`application/x-www-form-urlencoded`) or JSON object fields.
fn parse_body(content_type: Option<&HeaderValue>, body: &Bytes) -> Vec<(String, String)> {
    if body.is_empty() {
        return Vec::new();
    }
    let is_json = content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        return map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect();
    }
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
