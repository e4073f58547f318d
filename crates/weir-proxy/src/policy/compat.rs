//! Tokens issued by go-gateway, accepted during a migration window when the
//! operator sets `[compat] go_gateway_token_secret` (off by default).
//!
//! go-gateway signed every token with one process-wide HMAC secret (HS256,
//! its `JWTSignKey` constant, `my_sign_key` unless changed), put no `kid` in
//! the header, and named the tenant in `iss`, with `exp` one hour ahead. So
//! a token without a `kid` is checked here instead of being refused, and
//! must still name an enabled tenant and be unexpired. Accepted tokens are
//! counted (`weir_compat_go_gateway_tokens_total`) so the operator can see
//! when the last old client has moved on and switch this off.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use weir_core::compile::CompiledTenant;

use super::auth::AuthFailure;

/// Accepted clock difference, as for Weir's own tokens.
const LEEWAY_SECS: u64 = 5;

/// go-gateway's `jwt.StandardClaims`: issuer and expiry are all it set.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
}

/// The verifier of go-gateway's tokens, with its acceptance counter.
pub struct GoGatewayCompat {
    key: DecodingKey,
    accepted: AtomicU64,
}

impl GoGatewayCompat {
    /// The same verifier with a counter of its own: explain checks tokens
    /// as the data plane does without counting them as accepted.
    pub fn uncounted(&self) -> Self {
        Self {
            key: self.key.clone(),
            accepted: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for GoGatewayCompat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("GoGatewayCompat")
            .field("accepted", &self.accepted())
            .finish_non_exhaustive()
    }
}

impl GoGatewayCompat {
    /// `secret` is go-gateway's signing key, as bytes of the string.
    pub fn new(secret: &str) -> Self {
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            accepted: AtomicU64::new(0),
        }
    }

    /// go-gateway tokens accepted since start.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Verify `token` as go-gateway would have, then find its tenant. Tokens
    /// with a `kid` are Weir's own and never checked here.
    pub fn verify(
        &self,
        token: &str,
        tenants: &HashMap<Arc<str>, Arc<CompiledTenant>>,
    ) -> Result<Arc<CompiledTenant>, AuthFailure> {
        let header = decode_header(token).map_err(|_| AuthFailure::Malformed)?;
        if header.kid.is_some() {
            return Err(AuthFailure::UnknownKey);
        }
        if header.alg != Algorithm::HS256 {
            return Err(AuthFailure::AlgorithmMismatch);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let claims = decode::<Claims>(token, &self.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthFailure::Expired,
                _ => AuthFailure::BadSignature,
            })?
            .claims;
        let tenant = tenants
            .get(claims.iss.as_str())
            .ok_or(AuthFailure::UnknownTenant)?;
        if !tenant.enabled {
            return Err(AuthFailure::DisabledTenant);
        }
        self.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::clone(tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};

    fn tenants(enabled: bool) -> HashMap<Arc<str>, Arc<CompiledTenant>> {
        let spec: weir_core::model::Tenant =
            serde_json::from_value(serde_json::json!({ "app_id": "app_go" })).expect("tenant");
        let t = CompiledTenant {
            app_id: "app_go".into(),
            enabled,
            secret: String::new(),
            ip_allow: None,
            qps: None,
            qpd: 0,
            spec: Arc::new(spec),
        };
        HashMap::from([(Arc::from("app_go"), Arc::new(t))])
    }

    /// A token made the way go-gateway's `JWTEncode` made it.
    fn go_token(secret: &str, iss: &str, exp_from_now: i64) -> String {
        let exp = jsonwebtoken::get_current_timestamp() as i64 + exp_from_now;
        encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "exp": exp, "iss": iss }),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("token")
    }

    #[test]
    fn accepts_go_gateway_tokens_and_counts_them() {
        let compat = GoGatewayCompat::new("my_sign_key");
        let t = compat
            .verify(&go_token("my_sign_key", "app_go", 3600), &tenants(true))
            .expect("accepted");
        assert_eq!(&*t.app_id, "app_go");
        assert_eq!(compat.accepted(), 1);
    }

    #[test]
    fn refuses_what_go_gateway_would_not_have_signed() {
        let compat = GoGatewayCompat::new("my_sign_key");
        let on = tenants(true);
        let cases = [
            (
                go_token("other_key", "app_go", 3600),
                AuthFailure::BadSignature,
            ),
            (go_token("my_sign_key", "app_go", -60), AuthFailure::Expired),
            (
                go_token("my_sign_key", "nobody", 3600),
                AuthFailure::UnknownTenant,
            ),
        ];
        for (token, want) in cases {
            assert_eq!(compat.verify(&token, &on).err(), Some(want));
        }
        let token = go_token("my_sign_key", "app_go", 3600);
        assert_eq!(
            compat.verify(&token, &tenants(false)).err(),
            Some(AuthFailure::DisabledTenant)
        );
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let with_kid = encode(
            &header,
            &serde_json::json!({ "exp": u32::MAX, "iss": "app_go" }),
            &EncodingKey::from_secret(b"my_sign_key"),
        )
        .expect("token");
        assert_eq!(
            compat.verify(&with_kid, &on).err(),
            Some(AuthFailure::UnknownKey)
        );
        assert_eq!(compat.accepted(), 0);
    }
}
