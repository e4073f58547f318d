//! Admin API request bodies: the first byte picks the endpoint, the rest is
//! the body. Each body is parsed exactly as its handler parses it
//! (`weir_admin::extract::parse_json`, which names the failing field), and
//! configuration resources are then validated by compiling them, which is
//! what the API does before it stores anything.

use serde::de::DeserializeOwned;
use serde_json::json;
use weir_admin::api::{
    registrations, revisions, session, signing_keys, token_tryout, tokens, users,
};
use weir_admin::extract::parse_json;
use weir_admin::runtime::ExplainRequest;
use weir_core::{Certificate, ConfigDocument, Service, Tenant, compile};

/// Parse `body` as `T`; an error must be a client error (4xx) with a message.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    match parse_json::<T>(body) {
        Ok(v) => Some(v),
        Err(e) => {
            let status = e.status().as_u16();
            assert!((400..500).contains(&status), "a body answered {status}");
            None
        }
    }
}

/// Validate a configuration document the way a write through the API is.
fn validate(doc: serde_json::Value) {
    if let Ok(doc) = serde_json::from_value::<ConfigDocument>(doc) {
        let _ = compile(&doc);
    }
}

pub fn admin_body(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 14 {
        0 => {
            if let Some(s) = parse::<Service>(body) {
                validate(json!({ "services": [s] }));
            }
        }
        1 => {
            if let Some(t) = parse::<Tenant>(body) {
                validate(json!({ "tenants": [t] }));
            }
        }
        2 => {
            if let Some(c) = parse::<Certificate>(body) {
                validate(json!({ "certificates": [c] }));
            }
        }
        3 => {
            if let Some(doc) = parse::<ConfigDocument>(body) {
                let _ = compile(&doc);
            }
        }
        4 => {
            if let Some(r) = parse::<session::LoginRequest>(body) {
                let _ = weir_admin::auth::password::weakness(&r.password, &r.username);
            }
        }
        5 => {
            if let Some(r) = parse::<session::ChangePasswordRequest>(body) {
                let _ = weir_admin::auth::password::weakness(&r.new_password, "admin");
            }
        }
        6 => {
            parse::<users::CreateUser>(body);
        }
        7 => {
            parse::<users::UpdateUser>(body);
        }
        8 => {
            parse::<tokens::CreateToken>(body);
        }
        9 => {
            parse::<signing_keys::RotateRequest>(body);
        }
        10 => {
            parse::<revisions::RollbackRequest>(body);
        }
        11 => {
            parse::<registrations::RegisterRequest>(body);
        }
        12 => {
            parse::<registrations::HeartbeatRequest>(body);
        }
        _ => {
            parse::<ExplainRequest>(body);
            parse::<token_tryout::TokenTryoutRequest>(body);
        }
    }
}
