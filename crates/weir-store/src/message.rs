//! The messages Weir writes into the history itself — generated revision
//! summaries and audit details — as data: a stable `code` with named
//! `params`, stored beside the English text so that the dashboard can show
//! them in the reader's language (its `history` catalogue, generated from
//! these types by the `catalog` test). The `Display` of each is the English
//! text, word for word what older versions stored.
//!
//! A summary a person wrote (`weir apply -m`, a rollback `message`) is their
//! text: it is stored as typed, with no code.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weir_core::diff::ChangeSummary;

/// A summary Weir generated for a revision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum RevisionSummary {
    /// What changed, when nobody wrote a summary.
    #[error("{changes}")]
    Changes { changes: ChangeSummary },
    #[error("rollback to revision {revision}: {changes}")]
    Rollback {
        revision: i64,
        changes: ChangeSummary,
    },
    #[error("tenants: secret of {app_id} reset")]
    TenantSecretReset { app_id: String },
    #[error("signing keys: rotate to {name} ({algorithm})")]
    SigningKeyRotated { name: String, algorithm: String },
    #[error("signing keys: retire {name}")]
    SigningKeyRetired { name: String },
    /// The first signing key, made when a store has none.
    #[error("generate {algorithm} signing key")]
    SigningKeyGenerated { algorithm: String },
    #[error("import from go-gateway: {services} services, {tenants} tenants")]
    ImportedFromGoGateway { services: usize, tenants: usize },
}

/// The detail of an audit entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum AuditDetail {
    /// A write that found the resource already as asked.
    #[error("no change")]
    NoChange,
    /// A refused or failed request: the API's error code.
    #[error("{error}")]
    RequestFailed { error: String },
    /// The role a user was created with or given.
    #[error("{role}")]
    Role { role: String },
    /// The name of a new API token.
    #[error("{name}")]
    TokenName { name: String },
    /// The algorithm of a new signing key.
    #[error("{algorithm}")]
    SigningAlgorithm { algorithm: String },
    #[error("token endpoint answered {status}")]
    TokenEndpointAnswered { status: u16 },
    #[error("throttled")]
    LoginThrottled,
    #[error("wrong user name or password")]
    WrongCredentials,
    #[error("wrong current password")]
    WrongCurrentPassword,
    /// The id of a registration made or removed.
    #[error("id {id}")]
    RegistrationId { id: String },
    #[error("self-registration is not enabled for this service")]
    RegistrationNotEnabled,
    #[error(
        "{ip} is a loopback address; allowed_cidrs must name loopback (e.g. 127.0.0.0/8) \
         for it to register"
    )]
    RegistrationLoopback { ip: String },
    #[error("{ip} is outside the service's registration.allowed_cidrs")]
    RegistrationOutsideCidrs { ip: String },
    #[error("{addr} is one of the gateway's own listeners")]
    RegistrationOwnListener { addr: String },
}

/// A message as stored: the English text, and for a message Weir generated
/// its code and parameters (a JSON object; `{}` when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredText {
    pub text: String,
    pub code: Option<String>,
    pub params: Option<Value>,
}

impl StoredText {
    /// Text a person wrote: no code.
    pub fn written(text: impl Into<String>) -> StoredText {
        StoredText {
            text: text.into(),
            code: None,
            params: None,
        }
    }

    /// A generated message: its English text, code and parameters.
    pub fn coded<M: Serialize + std::fmt::Display>(message: &M) -> StoredText {
        let (code, params) = encode(message);
        StoredText {
            text: message.to_string(),
            code,
            params,
        }
    }

    /// The parameters as stored (JSON text), `None` without a code.
    pub(crate) fn params_text(&self) -> Option<String> {
        self.code.as_ref()?;
        Some(
            self.params
                .as_ref()
                .map_or_else(|| "{}".to_owned(), Value::to_string),
        )
    }

    /// Back from the columns. Parameters that are not a JSON object (a
    /// damaged row) drop the code too, so that readers fall back to the
    /// text rather than fill a template with nothing.
    pub(crate) fn from_columns(
        text: String,
        code: Option<String>,
        params: Option<String>,
    ) -> StoredText {
        let params = params
            .and_then(|p| serde_json::from_str::<Value>(&p).ok())
            .filter(Value::is_object);
        match (code, params) {
            (Some(code), Some(params)) => StoredText {
                text,
                code: Some(code),
                params: Some(params),
            },
            _ => StoredText::written(text),
        }
    }
}

/// `{"code": c, "params": p}` → `(c, p)`; unit variants get `{}`.
fn encode<M: Serialize>(message: &M) -> (Option<String>, Option<Value>) {
    match serde_json::to_value(message) {
        Ok(Value::Object(mut o)) => {
            let code = o.remove("code").and_then(|c| c.as_str().map(str::to_owned));
            let params = o
                .remove("params")
                .unwrap_or_else(|| Value::Object(Default::default()));
            match code {
                Some(code) => (Some(code), Some(params)),
                None => (None, None),
            }
        }
        _ => (None, None),
    }
}

#[cfg(test)]
#[path = "message/catalog.rs"]
mod catalog;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_round_trips_and_tolerates_damage() {
        let m = AuditDetail::RegistrationId { id: "r-1".into() };
        let stored = StoredText::coded(&m);
        assert_eq!(
            (stored.text.as_str(), stored.code.as_deref()),
            ("id r-1", Some("registration_id"))
        );
        let back = StoredText::from_columns(
            stored.text.clone(),
            stored.code.clone(),
            stored.params_text(),
        );
        assert_eq!(back, stored);
        // Unit variants have `{}`, so that a code always has its object.
        let unit = StoredText::coded(&AuditDetail::NoChange);
        assert_eq!(unit.params_text().as_deref(), Some("{}"));
        // A person's text, or a damaged row: the text alone.
        assert_eq!(StoredText::written("x").params_text(), None);
        for params in [None, Some("{cut"), Some("[1]")] {
            let read =
                StoredText::from_columns("t".into(), Some("x".into()), params.map(Into::into));
            assert_eq!(read, StoredText::written("t"), "{params:?}");
        }
    }
}
