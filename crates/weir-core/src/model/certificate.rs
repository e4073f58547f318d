//! TLS certificates the HTTPS listener serves, chosen per connection by SNI
//! from the names in each certificate.

use serde::{Deserialize, Serialize};

use super::is_default;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Unique name of this certificate in the configuration.
    pub name: String,
    /// PEM: the leaf certificate first, then its intermediates.
    pub cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1). Not printed by `weir
    /// export` unless `--include-secrets`; omitted on `apply`, the stored
    /// one is kept.
    #[serde(default, skip_serializing_if = "is_default")]
    pub key: Option<String>,
    /// Serve this certificate to clients that send no SNI or a name no
    /// certificate covers.
    #[serde(default, skip_serializing_if = "is_default")]
    pub default: bool,
}
