//! Token signing keys: parsed and checked at compile time (so `weir check`
//! catches a bad PEM), generated for new installations and rotations, and
//! published as a JWKS (public keys only — an HS256 secret is never
//! published).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};

use crate::error::ValidationErrors;
use crate::model::{KeyStatus, SigningAlgorithm, SigningKey};
use crate::msg::Msg;

/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
const MIN_HMAC_BYTES: usize = 32;

/// The key that signs new tokens.
pub struct SignKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub key: EncodingKey,
}

/// A key that verifies tokens carrying its `kid`.
pub struct VerifyKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Every signing key of a configuration.
#[derive(Default)]
pub struct CompiledKeys {
    pub active: Option<Arc<SignKey>>,
    pub verify: HashMap<String, Arc<VerifyKey>>,
    /// `{"keys": [...]}` with the public half of every RS256/EdDSA key.
    pub jwks: Value,
}

impl fmt::Debug for CompiledKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledKeys")
            .field("active", &self.active.as_ref().map(|k| &k.kid))
            .field("verify", &self.verify.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Clone for CompiledKeys {
    fn clone(&self) -> Self {
        Self {
            active: self.active.clone(),
            verify: self.verify.clone(),
            jwks: self.jwks.clone(),
        }
    }
}

pub(crate) fn compile_keys(list: &[SigningKey], errors: &mut ValidationErrors) -> CompiledKeys {
    let mut out = CompiledKeys::default();
    let mut public = Vec::new();
    for (i, k) in list.iter().enumerate() {
        let path = format!("signing_keys[{i}]");
        super::service::validate_name(&k.name, &format!("{path}.name"), errors);
        if out.verify.contains_key(&k.name) {
            errors.push(
                format!("{path}.name"),
                Msg::KeyNameTaken {
                    name: k.name.clone(),
                },
            );
            continue;
        }
        let Some(material) = &k.key else {
            errors.push(format!("{path}.key"), Msg::KeyRequired);
            continue;
        };
        let parsed = match parse_key(k.algorithm, material) {
            Ok(p) => p,
            Err(why) => {
                errors.push(format!("{path}.key"), why);
                continue;
            }
        };
        if let Some(mut jwk) = parsed.jwk {
            if let Some(obj) = jwk.as_object_mut() {
                obj.insert("kid".into(), json!(k.name));
                obj.insert("use".into(), json!("sig"));
                obj.insert("alg".into(), json!(k.algorithm.as_str()));
            }
            public.push(jwk);
        }
        let algorithm = algorithm_of(k.algorithm);
        if k.status == KeyStatus::Active {
            if let Some(prev) = &out.active {
                errors.push(
                    format!("{path}.status"),
                    Msg::ActiveKeyTwice {
                        other: prev.kid.clone(),
                    },
                );
            } else {
                out.active = Some(Arc::new(SignKey {
                    kid: k.name.clone(),
                    algorithm,
                    key: parsed.encoding,
                }));
            }
        }
        out.verify.insert(
            k.name.clone(),
            Arc::new(VerifyKey {
                algorithm,
                key: parsed.decoding,
            }),
        );
    }
    out.jwks = json!({ "keys": public });
    out
}

pub fn algorithm_of(a: SigningAlgorithm) -> Algorithm {
    match a {
        SigningAlgorithm::HS256 => Algorithm::HS256,
        SigningAlgorithm::RS256 => Algorithm::RS256,
        SigningAlgorithm::EdDSA => Algorithm::EdDSA,
    }
}

struct ParsedKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Option<Value>,
}

fn parse_key(alg: SigningAlgorithm, material: &str) -> Result<ParsedKey, Msg> {
    let unusable = |e: jsonwebtoken::errors::Error| Msg::KeyUnusable {
        error: e.to_string(),
    };
    match alg {
        SigningAlgorithm::HS256 => {
            let secret = STANDARD
                .decode(material.trim())
                .map_err(|_| Msg::Hs256NotBase64)?;
            if secret.len() < MIN_HMAC_BYTES {
                return Err(Msg::Hs256TooShort {
                    min: MIN_HMAC_BYTES,
                    got: secret.len(),
                });
            }
            Ok(ParsedKey {
                encoding: EncodingKey::from_secret(&secret),
                decoding: DecodingKey::from_secret(&secret),
                jwk: None,
            })
        }
        SigningAlgorithm::RS256 => {
            let encoding =
                EncodingKey::from_rsa_pem(material.as_bytes()).map_err(|e| Msg::RsaPemInvalid {
                    error: e.to_string(),
                })?;
            let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(|e| {
                Msg::RsaPublicKey {
                    error: e.to_string(),
                }
            })?;
            let decoding = DecodingKey::from_jwk(&jwk).map_err(unusable)?;
            let jwk = serde_json::to_value(&jwk).map_err(|e| Msg::KeyUnusable {
                error: e.to_string(),
            })?;
            Ok(ParsedKey {
                encoding,
                decoding,
                jwk: Some(jwk),
            })
        }
        SigningAlgorithm::EdDSA => {
            let der = pem_to_der(material, "PRIVATE KEY")?;
            let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
                .map_err(|e| Msg::Ed25519Invalid {
                    error: e.to_string(),
                })?;
            use aws_lc_rs::signature::KeyPair as _;
            let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            let decoding = DecodingKey::from_ed_components(&x).map_err(unusable)?;
            Ok(ParsedKey {
                encoding: EncodingKey::from_ed_der(&der),
                decoding,
                jwk: Some(json!({ "kty": "OKP", "crv": "Ed25519", "x": x })),
            })
        }
    }
}

fn pem_to_der(pem: &str, label: &str) -> Result<Vec<u8>, Msg> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = pem.find(&begin) else {
        return Err(Msg::PemNoBegin {
            label: label.to_owned(),
            begin,
        });
    };
    let body = &pem[start + begin.len()..];
    let Some(stop) = body.find(&end) else {
        return Err(Msg::PemNoEnd {
            label: label.to_owned(),
            end,
        });
    };
    let b64: String = body[..stop].split_whitespace().collect();
    STANDARD.decode(b64).map_err(|_| Msg::PemBodyBase64 {
        label: label.to_owned(),
    })
}

fn der_to_pem(der: &[u8], label: &str) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A new random key, ready to store.
pub fn generate_signing_key(
    name: &str,
    algorithm: SigningAlgorithm,
    created_at: i64,
) -> Result<SigningKey, String> {
    use aws_lc_rs::encoding::AsDer as _;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = match algorithm {
        SigningAlgorithm::HS256 => {
            let mut secret = [0u8; 32];
            aws_lc_rs::rand::fill(&mut secret).map_err(|_| "no randomness available")?;
            STANDARD.encode(secret)
        }
        SigningAlgorithm::EdDSA => {
            let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8v1(&rng)
                .map_err(|_| "Ed25519 key generation failed")?;
            der_to_pem(doc.as_ref(), "PRIVATE KEY")
        }
        SigningAlgorithm::RS256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| "RSA key generation failed")?;
            let der = pair.as_der().map_err(|_| "RSA key encoding failed")?;
            der_to_pem(der.as_ref(), "PRIVATE KEY")
        }
    };
    Ok(SigningKey {
        name: name.to_owned(),
        algorithm,
        status: KeyStatus::Active,
        key: Some(key),
        created_at: Some(created_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_of_every_algorithm_compile_and_sign() {
        for alg in [
            SigningAlgorithm::HS256,
            SigningAlgorithm::EdDSA,
            SigningAlgorithm::RS256,
        ] {
            let key = generate_signing_key("k1", alg, 0).unwrap();
            let mut errors = ValidationErrors::default();
            let keys = compile_keys(&[key], &mut errors);
            assert!(errors.is_empty(), "{alg:?}: {errors}");
            let active = keys.active.clone().unwrap();
            let mut header = jsonwebtoken::Header::new(active.algorithm);
            header.kid = Some("k1".into());
            let claims = json!({ "sub": "a", "exp": 4_000_000_000u64 });
            let token = jsonwebtoken::encode(&header, &claims, &active.key).unwrap();
            let v = &keys.verify["k1"];
            let data = jsonwebtoken::decode::<Value>(
                &token,
                &v.key,
                &jsonwebtoken::Validation::new(v.algorithm),
            )
            .unwrap();
            assert_eq!(data.claims["sub"], "a");
            let published = keys.jwks["keys"].as_array().unwrap();
            if alg == SigningAlgorithm::HS256 {
                assert!(published.is_empty(), "HS256 secrets are never published");
            } else {
                assert_eq!(published[0]["kid"], "k1");
                assert!(published[0].get("d").is_none(), "no private part");
                // A verifier using only the JWKS accepts the token.
                let jwk: Jwk = serde_json::from_value(published[0].clone()).unwrap();
                let from_jwks = DecodingKey::from_jwk(&jwk).unwrap();
                jsonwebtoken::decode::<Value>(
                    &token,
                    &from_jwks,
                    &jsonwebtoken::Validation::new(v.algorithm),
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn bad_material_and_two_active_keys_are_errors() {
        let mut errors = ValidationErrors::default();
        let bad = [
            SigningKey {
                name: "short".into(),
                algorithm: SigningAlgorithm::HS256,
                status: KeyStatus::VerifyOnly,
                key: Some(STANDARD.encode([1u8; 8])),
                created_at: None,
            },
            SigningKey {
                name: "pem".into(),
                algorithm: SigningAlgorithm::RS256,
                status: KeyStatus::VerifyOnly,
                key: Some("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----".into()),
                created_at: None,
            },
            generate_signing_key("a1", SigningAlgorithm::HS256, 0).unwrap(),
            generate_signing_key("a2", SigningAlgorithm::EdDSA, 0).unwrap(),
        ];
        compile_keys(&bad, &mut errors);
        let text = errors.to_string();
        assert!(
            text.contains("signing_keys[0].key: an HS256 key needs at least 32"),
            "{text}"
        );
        assert!(
            text.contains("signing_keys[1].key: not a valid RSA"),
            "{text}"
        );
        assert!(
            text.contains("signing_keys[3].status: only one key may be active"),
            "{text}"
        );
    }
}
