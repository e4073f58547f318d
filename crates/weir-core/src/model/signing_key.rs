//! Keys the gateway signs tenant tokens with. One key is `active` (it signs
//! new tokens); `verify_only` keys still accept tokens they signed, until the
//! key is removed (retired). Rotation: add a new active key and demote the
//! old one to `verify_only`.

use serde::{Deserialize, Serialize};

use super::is_default;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKey {
    /// Key id (`kid` in token headers and the JWKS).
    pub name: String,
    pub algorithm: SigningAlgorithm,
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: KeyStatus,
    /// HS256: the shared secret (base64). RS256 / EdDSA: the private key in
    /// PKCS#8 PEM. Not printed by `weir export` unless `--include-secrets`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub key: Option<String>,
    /// Unix seconds; informational.
    #[serde(default, skip_serializing_if = "is_default")]
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    HS256,
    RS256,
    EdDSA,
}

impl SigningAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::HS256 => "HS256",
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::EdDSA => "EdDSA",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    #[default]
    Active,
    VerifyOnly,
}
