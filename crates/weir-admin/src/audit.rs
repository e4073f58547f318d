//! Recording audit entries for what callers do. Recording never fails the
//! request it describes: if the store refuses the entry (it just accepted
//! the change, so this is rare), the failure is logged instead.

use weir_store::{AuditDetail, NewAuditEntry};

use crate::auth::Principal;
use crate::state::AdminState;

/// `ok`, `denied` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

/// The detail of a request the API refused with `err`: its error code.
pub fn failed(err: &crate::error::ApiError) -> Option<AuditDetail> {
    Some(AuditDetail::RequestFailed {
        error: err.code().to_owned(),
    })
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// Who acted, for entries recorded before anyone is authenticated (logins).
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub ip: &'a str,
}

impl<'a> From<&'a Principal> for Actor<'a> {
    fn from(p: &'a Principal) -> Self {
        Actor {
            name: &p.name,
            kind: p.actor_kind(),
            ip: &p.ip,
        }
    }
}

/// Records an entry; `detail` is stored as English text and as its message
/// code with parameters (the dashboard translates it).
pub async fn record<'a>(
    state: &AdminState,
    actor: impl Into<Actor<'a>>,
    action: &str,
    target: &str,
    revision: Option<i64>,
    outcome: Outcome,
    detail: Option<AuditDetail>,
) {
    let actor = actor.into();
    let mut entry = NewAuditEntry {
        at_ms: state.now_ms(),
        actor: actor.name.to_owned(),
        actor_kind: actor.kind.to_owned(),
        ip: actor.ip.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        revision,
        outcome: outcome.as_str().to_owned(),
        detail: String::new(),
        detail_code: None,
        detail_params: None,
    };
    entry.set_detail(detail.as_ref());
    if let Err(e) = state.store().record_audit(&entry).await {
        tracing::warn!(error = %e, action, target, "could not record an audit entry");
    }
}
