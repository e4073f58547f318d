//! A service's CORS policy (Cross-Origin Resource Sharing, the Fetch
//! standard's "CORS protocol"): which web origins a browser may let read
//! the service's answers, with which methods and headers, and whether with
//! credentials. The gateway answers the browser's preflights itself and adds
//! the `Access-Control-*` fields to the answers of allowed origins
//! (docs/proxying.md, "CORS").

use serde::{Deserialize, Serialize};

use super::{HumanDuration, is_default};

/// `cors:` of a service; absent, the gateway does nothing for CORS and the
/// upstream's own fields pass through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Origins whose pages may read the answers: exact origins
    /// (`https://app.example.com`, `http://localhost:3000`), a subdomain
    /// wildcard (`https://*.example.com`: any subdomain, not the bare
    /// domain), or `*` alone for any origin (not with `allow_credentials`).
    /// Required: a policy names its origins.
    pub allow_origins: Vec<String>,
    /// Methods a preflight may ask for (`*`: any).
    #[serde(
        default = "default_allow_methods",
        skip_serializing_if = "is_default_allow_methods"
    )]
    pub allow_methods: Vec<String>,
    /// Request headers a preflight may ask for (`*`: any); none by default.
    #[serde(default, skip_serializing_if = "is_default")]
    pub allow_headers: Vec<String>,
    /// Response headers beyond the CORS-safelisted ones that the page may
    /// read (`*`: any, not with `allow_credentials`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub expose_headers: Vec<String>,
    /// Let pages send cookies and HTTP authentication and read the answers
    /// to such requests (`Access-Control-Allow-Credentials: true`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub allow_credentials: bool,
    /// How long a browser may cache a preflight's answer
    /// (`Access-Control-Max-Age`, in whole seconds); absent: the header is
    /// not sent and browsers cache for 5 seconds.
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_age: Option<HumanDuration>,
}

field_default!(
    default_allow_methods,
    is_default_allow_methods: Vec<String> = vec!["GET".into(), "HEAD".into(), "POST".into()]
);

impl Cors {
    /// A policy for `origins` with every other option at its default.
    pub fn new(origins: Vec<String>) -> Self {
        Self {
            allow_origins: origins,
            allow_methods: default_allow_methods(),
            allow_headers: Vec::new(),
            expose_headers: Vec::new(),
            allow_credentials: false,
            max_age: None,
        }
    }
}
