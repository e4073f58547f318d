//! TLS certificates for the HTTPS listener: parsed and checked at compile
//! time (PEM, key matches certificate, names present), indexed by the DNS
//! names in each certificate for SNI selection.
//!
//! Expiry is checked when a certificate is written ([`check_changes`]), not
//! at every compile: a stored certificate that expires later must not stop
//! the rest of the configuration from reloading.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::diff::{Change, ChangeOp};
use crate::error::ValidationErrors;
use crate::model::{Certificate, ResourceKind};
use crate::msg::Msg;

/// What the admin API shows about a certificate (never the key).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
    pub name: String,
    /// DNS names the certificate covers (`*.example.com` for wildcards).
    pub dns_names: Vec<String>,
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub default: bool,
}

/// Certificates by name for SNI, plus the default.
#[derive(Default, Clone)]
pub struct CompiledCerts {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the suffix after `*.`; a wildcard covers exactly one label.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
    pub info: Vec<CertInfo>,
}

impl fmt::Debug for CompiledCerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledCerts")
            .field(
                "names",
                &self.info.iter().map(|i| &i.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl CompiledCerts {
    /// The certificate for a TLS client hello's SNI (exact name first, then
    /// a wildcard one label up), else the default.
    pub fn resolve(&self, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = sni {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if let Some(c) = self.exact.get(&name) {
                return Some(Arc::clone(c));
            }
            if let Some((_, parent)) = name.split_once('.')
                && let Some(c) = self.wildcard.get(parent)
            {
                return Some(Arc::clone(c));
            }
        }
        self.default.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }
}

struct Parsed {
    key: Arc<CertifiedKey>,
    info: CertInfo,
}

fn parse(c: &Certificate) -> Result<Parsed, (&'static str, Msg)> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(c.cert.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            let error = e.to_string();
            ("cert", Msg::PemInvalid { error })
        })?;
    let Some(leaf) = chain.first() else {
        return Err(("cert", Msg::NoCertificateBlock));
    };
    let Some(key_pem) = &c.key else {
        return Err(("key", Msg::CertKeyRequired));
    };
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        let error = e.to_string();
        ("key", Msg::KeyPemInvalid { error })
    })?;
    let (_, x509) = X509Certificate::from_der(leaf.as_ref()).map_err(|e| {
        let error = e.to_string();
        ("cert", Msg::CertUnreadable { error })
    })?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = x509.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                dns_names.push(d.to_ascii_lowercase());
            }
        }
    }
    if dns_names.is_empty()
        && let Some(cn) = x509
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
    {
        dns_names.push(cn.to_ascii_lowercase());
    }
    let info = CertInfo {
        name: c.name.clone(),
        dns_names,
        subject: x509.subject().to_string(),
        issuer: x509.issuer().to_string(),
        not_before: x509.validity().not_before.timestamp(),
        not_after: x509.validity().not_after.timestamp(),
        default: c.default,
    };
    let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key).map_err(|e| {
        let error = e.to_string();
        ("key", Msg::KeyUnsupported { error })
    })?;
    let certified = CertifiedKey::new(chain, signer);
    certified
        .keys_match()
        .map_err(|_| ("key", Msg::KeyMismatch))?;
    Ok(Parsed {
        key: Arc::new(certified),
        info,
    })
}

pub(crate) fn compile_certs(list: &[Certificate], errors: &mut ValidationErrors) -> CompiledCerts {
    let mut out = CompiledCerts::default();
    let mut default_at: Option<usize> = None;
    for (i, c) in list.iter().enumerate() {
        let path = format!("certificates[{i}]");
        super::service::validate_name(&c.name, &format!("{path}.name"), errors);
        let parsed = match parse(c) {
            Ok(p) => p,
            Err((field, why)) => {
                errors.push(format!("{path}.{field}"), why);
                continue;
            }
        };
        if parsed.info.dns_names.is_empty() && !c.default {
            errors.push(format!("{path}.cert"), Msg::CertNoHost);
            continue;
        }
        for name in &parsed.info.dns_names {
            let (map, key) = match name.strip_prefix("*.") {
                Some(suffix) => (&mut out.wildcard, suffix.to_owned()),
                None => (&mut out.exact, name.clone()),
            };
            // Two certificates for one name: the first in name order wins.
            map.entry(key).or_insert_with(|| Arc::clone(&parsed.key));
        }
        if c.default {
            if let Some(prev) = default_at {
                errors.push(
                    format!("{path}.default"),
                    Msg::DefaultTwice {
                        other: format!("certificates[{prev}]"),
                    },
                );
            } else {
                default_at = Some(i);
                out.default = Some(Arc::clone(&parsed.key));
            }
        }
        out.info.push(parsed.info);
    }
    out
}

/// Checks that only apply to what is being written: an added or replaced
/// certificate must not be expired or not yet valid at `now` (Unix seconds).
/// Problems are reported under the certificate's name.
pub fn check_changes(changes: &[Change], now: i64) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    for c in changes {
        if c.kind != ResourceKind::Certificate || c.op == ChangeOp::Remove {
            continue;
        }
        let Some(cert) = c
            .after
            .as_ref()
            .and_then(|v| serde_json::from_value::<Certificate>(v.clone()).ok())
        else {
            continue;
        };
        // An unreadable certificate is reported by compile.
        let Ok((not_before, not_after)) = leaf_dates(&cert.cert) else {
            continue;
        };
        let path = format!("certificates[{}].cert", c.name);
        if not_after < now {
            errors.push(
                path,
                Msg::CertExpired {
                    at: format_utc(not_after),
                },
            );
        } else if not_before > now {
            errors.push(
                path,
                Msg::CertNotYetValid {
                    at: format_utc(not_before),
                },
            );
        }
    }
    errors.into_result()
}

/// Validity period of the first certificate in a PEM chain.
fn leaf_dates(pem: &str) -> Result<(i64, i64), String> {
    let leaf = CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| "no certificate".to_owned())?
        .map_err(|e| e.to_string())?;
    let (_, x509) = X509Certificate::from_der(leaf.as_ref()).map_err(|e| e.to_string())?;
    Ok((
        x509.validity().not_before.timestamp(),
        x509.validity().not_after.timestamp(),
    ))
}

/// `YYYY-MM-DD HH:MM:SS UTC`. X.509 dates end at year 9999, as jiff's do;
/// anything beyond is shown as the raw number rather than refused.
fn format_utc(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => format!("{unix} (Unix time)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_795_622_398), "2026-11-25 15:59:58 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
