//! Bearer tokens and key sets: the gateway's token check (the same function
//! and key set the data plane uses) and JWKS documents.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, HeaderValue, header};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};
use weir_core::compile::generate_signing_key;
use weir_core::{CompiledConfig, ConfigDocument, SigningAlgorithm, compile};
use weir_proxy::{VerifiedTokens, authenticate};

/// The HS256 secret of the fuzzing key set (32 bytes).
const HS_SECRET: &[u8; 32] = b"weir-fuzz-hs256-secret-32-bytes!";
/// Margin, beyond the gateway's leeway, for time checks made here: an input
/// is judged a little after the gateway judged it.
const MARGIN_SECS: i64 = 60;

struct Fixture {
    config: CompiledConfig,
    cache: VerifiedTokens,
}

/// A configuration with an active HS256 key `hs`, verify-only RS256 `rs`
/// and EdDSA `ed` keys, an enabled tenant `app` and a disabled one `off`.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut keys = vec![json!({
            "name": "hs", "algorithm": "HS256", "status": "active",
            "key": STANDARD.encode(HS_SECRET),
        })];
        for (name, alg) in [
            ("rs", SigningAlgorithm::RS256),
            ("ed", SigningAlgorithm::EdDSA),
        ] {
            let mut k = generate_signing_key(name, alg, 0).unwrap_or_else(|e| panic!("{e}"));
            k.status = weir_core::KeyStatus::VerifyOnly;
            keys.push(serde_json::to_value(k).unwrap_or_default());
        }
        let doc: ConfigDocument = serde_json::from_value(json!({
            "tenants": [
                { "app_id": "app", "name": "App", "secret": "app-secret-1" },
                { "app_id": "off", "name": "Off", "secret": "off-secret-1", "enabled": false },
            ],
            "signing_keys": keys,
        }))
        .unwrap_or_else(|e| panic!("fixture document: {e}"));
        let config = compile(&doc).unwrap_or_else(|e| panic!("fixture: {e}"));
        Fixture {
            config,
            cache: VerifiedTokens::default(),
        }
    })
}

fn check(token: &str) -> Option<std::sync::Arc<weir_core::compile::CompiledTenant>> {
    let f = fixture();
    let value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value);
    let keys = &f.config.keys;
    let direct = authenticate(&headers, keys, &f.config.tenants, None, None);
    let cached = authenticate(&headers, keys, &f.config.tenants, Some(&f.cache), None);
    // The cache must never change a verdict.
    assert_eq!(
        direct.as_ref().map(|t| &t.app_id).ok(),
        cached.as_ref().map(|t| &t.app_id).ok(),
        "{token}"
    );
    direct.ok()
}

/// A token check. The whole input is tried as a token; then, split at the
/// first newline into a header and a payload, it is signed with the HS256
/// key so the claims checks behind the signature are reached. Invariants: a
/// token passes only for the enabled tenant its `iss` names, never with an
/// `exp` long past or an `nbf` well ahead.
pub fn jwt(data: &[u8]) {
    if let Ok(token) = std::str::from_utf8(data) {
        check(token);
    }
    let (head, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&br#"{"alg":"HS256","kid":"hs"}"#[..], data),
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(head),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, HS_SECRET);
    let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    let Some(tenant) = check(&token) else {
        return;
    };
    // Read the claims as the gateway does: fields it does not know are
    // skipped unparsed (serde_json does not check UTF-8 inside them), so a
    // strict parse into a `Value` would judge a different document.
    let claims: Seen = serde_json::from_slice(payload)
        .unwrap_or_else(|e| panic!("admitted claims the harness cannot read: {e}"));
    assert!(tenant.enabled, "disabled tenant admitted: {claims:?}");
    assert_eq!(claims.iss.as_deref(), Some(&*tenant.app_id), "{claims:?}");
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
    if let Some(exp) = claims.exp.as_ref().and_then(Value::as_i64) {
        assert!(
            exp > now - MARGIN_SECS,
            "expired token admitted: {claims:?}"
        );
    }
    if let Some(nbf) = claims.nbf.as_ref().and_then(Value::as_i64) {
        assert!(
            nbf < now + MARGIN_SECS,
            "token admitted before its nbf: {claims:?}"
        );
    }
}

/// The claims the invariants look at.
#[derive(Debug, serde::Deserialize)]
struct Seen {
    iss: Option<String>,
    exp: Option<Value>,
    nbf: Option<Value>,
}

/// A JWKS document (`GET /.well-known/jwks.json` publishes one; clients and
/// other gateways read them): parse it and turn every key into a
/// verification key.
pub fn jwks(data: &[u8]) {
    let Ok(set) = serde_json::from_slice::<JwkSet>(data) else {
        return;
    };
    for jwk in &set.keys {
        let _ = DecodingKey::from_jwk(jwk);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_gateways_own_jwks_reads_back() {
        let published = serde_json::to_vec(&fixture().config.keys.jwks).unwrap();
        let set: JwkSet = serde_json::from_slice(&published).unwrap();
        assert_eq!(set.keys.len(), 2, "RS256 and EdDSA; never the HS256 secret");
        for jwk in &set.keys {
            DecodingKey::from_jwk(jwk).unwrap();
        }
        jwks(&published);
    }

    #[test]
    fn signed_claims_reach_the_tenant_check() {
        let now = jsonwebtoken::get_current_timestamp();
        let good = format!(
            "{{\"alg\":\"HS256\",\"kid\":\"hs\"}}\n{{\"iss\":\"app\",\"exp\":{}}}",
            now + 60
        );
        assert!(check_signed(good.as_bytes()));
        let early = format!(
            "{{\"alg\":\"HS256\",\"kid\":\"hs\"}}\n{{\"iss\":\"app\",\"exp\":{},\"nbf\":{}}}",
            now + 600,
            now + 300
        );
        assert!(!check_signed(early.as_bytes()));
        let off = format!(
            "{{\"alg\":\"HS256\",\"kid\":\"hs\"}}\n{{\"iss\":\"off\",\"exp\":{}}}",
            now + 60
        );
        assert!(!check_signed(off.as_bytes()));
    }

    /// Whether the signed form of `data` (as `jwt` builds it) passes.
    fn check_signed(data: &[u8]) -> bool {
        let i = data.iter().position(|&b| b == b'\n').unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&data[..i]),
            URL_SAFE_NO_PAD.encode(&data[i + 1..])
        );
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, HS_SECRET);
        let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        jwt(data);
        check(&format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))).is_some()
    }
}
