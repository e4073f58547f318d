//! Tenant authentication: `Authorization: Bearer <jwt>` signed by one of the
//! gateway's keys, naming an enabled tenant as issuer.
//!
//! The key is chosen by the token's `kid` and the token's `alg` must be the
//! key's own algorithm, so neither `alg: none` nor an HS256 token made with
//! a public RSA key can pass.
//!
//! Time claims: `exp` is required and `nbf` is checked when present, both
//! with the same leeway ([`LEEWAY_SECS`]) for clock differences between the
//! node that issued a token and the node that checks it.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderMap;
use jsonwebtoken::{Validation, decode, decode_header};
use serde::Deserialize;
use weir_core::compile::{CompiledKeys, CompiledTenant};

use super::compat::GoGatewayCompat;
use super::verified::VerifiedTokens;

/// Accepted clock difference between gateway nodes, in seconds: a token is
/// still accepted this long after its `exp` and already this long before
/// its `nbf`.
const LEEWAY_SECS: u64 = 5;

/// Why a request was not authenticated. Clients only see "invalid token";
/// the reason goes to logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingToken,
    Malformed,
    UnknownKey,
    AlgorithmMismatch,
    BadSignature,
    Expired,
    NotYetValid,
    UnknownTenant,
    DisabledTenant,
}

impl AuthFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFailure::MissingToken => "missing bearer token",
            AuthFailure::Malformed => "malformed token",
            AuthFailure::UnknownKey => "token signed with an unknown key",
            AuthFailure::AlgorithmMismatch => "token algorithm does not match its key",
            AuthFailure::BadSignature => "invalid token signature or claims",
            AuthFailure::Expired => "token expired",
            AuthFailure::NotYetValid => "token not valid yet (nbf is in the future)",
            AuthFailure::UnknownTenant => "token issued to an unknown tenant",
            AuthFailure::DisabledTenant => "tenant is disabled",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    exp: u64,
    #[serde(default)]
    sub: Option<String>,
}

/// Verify the request's bearer token and return its tenant; a token seen
/// before under the same keys and tenants (`cache`) only has its expiry
/// checked again.
pub fn authenticate(
    headers: &HeaderMap,
    keys: &CompiledKeys,
    tenants: &HashMap<Arc<str>, Arc<CompiledTenant>>,
    cache: Option<&VerifiedTokens>,
    compat: Option<&GoGatewayCompat>,
) -> Result<Arc<CompiledTenant>, AuthFailure> {
    let token = bearer(headers).ok_or(AuthFailure::MissingToken)?;
    if let Some(cache) = cache
        && let Some(tenant) = cache.get(token, jsonwebtoken::get_current_timestamp(), LEEWAY_SECS)
    {
        return Ok(tenant);
    }
    let verified = verify(token, keys, tenants);
    if let (Err(AuthFailure::UnknownKey), Some(compat)) = (&verified, compat) {
        // A go-gateway token (no kid); not cached, so each use is counted.
        return compat.verify(token, tenants);
    }
    let (tenant, exp) = verified?;
    if let Some(cache) = cache {
        cache.insert(token, &tenant, exp);
    }
    Ok(tenant)
}

/// The full check: signature, algorithm, claims, tenant. Returns the tenant
/// and the token's expiry.
fn verify(
    token: &str,
    keys: &CompiledKeys,
    tenants: &HashMap<Arc<str>, Arc<CompiledTenant>>,
) -> Result<(Arc<CompiledTenant>, u64), AuthFailure> {
    let header = decode_header(token).map_err(|_| AuthFailure::Malformed)?;
    let kid = header.kid.as_deref().ok_or(AuthFailure::UnknownKey)?;
    let key = keys.verify.get(kid).ok_or(AuthFailure::UnknownKey)?;
    if header.alg != key.algorithm {
        return Err(AuthFailure::AlgorithmMismatch);
    }
    let mut validation = Validation::new(key.algorithm);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss"]);
    let data = decode::<Claims>(token, &key.key, &validation).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthFailure::Expired,
        jsonwebtoken::errors::ErrorKind::ImmatureSignature => AuthFailure::NotYetValid,
        _ => AuthFailure::BadSignature,
    })?;
    let claims = data.claims;
    if claims.sub.as_deref().is_some_and(|s| s != claims.iss) {
        return Err(AuthFailure::BadSignature);
    }
    let tenant = tenants
        .get(claims.iss.as_str())
        .ok_or(AuthFailure::UnknownTenant)?;
    if !tenant.enabled {
        return Err(AuthFailure::DisabledTenant);
    }
    Ok((Arc::clone(tenant), claims.exp))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
