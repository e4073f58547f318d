//! The router under test without a socket: a fresh SQLite store, the first
//! admin bootstrapped with a known password, a manual clock, cheap argon2
//! parameters and a fake runtime.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use weir_admin::auth::bootstrap::ensure_first_admin;
use weir_admin::auth::password::PasswordPolicy;
use weir_admin::auth::secret;
use weir_admin::runtime::{
    ExplainError, ExplainRequest, ExplainVerdict, Explanation, ListenerInfo, ListenerState,
    ServiceHealth,
};
use weir_admin::{AdminOptions, AdminState, Clock, GatewayRuntime, RuntimeStatus};
use weir_store::{ApiTokenRecord, Store};

pub const FIRST_PASSWORD: &str = "first-admin-password";
pub const NEW_PASSWORD: &str = "a better password 42";
pub const START_MS: i64 = 1_700_000_000_000;

/// A runtime with fixed answers.
pub struct FakeRuntime;

#[async_trait::async_trait]
impl GatewayRuntime for FakeRuntime {
    fn status(&self) -> RuntimeStatus {
        RuntimeStatus {
            snapshot_revision: 7,
            services: 1,
            installs: 2,
            install_failures: 0,
            data_plane: true,
        }
    }

    fn explain(&self, r: &ExplainRequest) -> Result<Explanation, ExplainError> {
        if !r.path.starts_with('/') {
            return Err(ExplainError::Invalid {
                path: "path".into(),
                message: weir_core::Msg::MustStartWithSlash {
                    value: r.path.clone(),
                }
                .into(),
            });
        }
        Ok(Explanation {
            revision: 7,
            verdict: ExplainVerdict::Reject,
            client_ip: r.client_ip.clone(),
            route: None,
            cors: None,
            policies: vec![],
            rejection: None,
            upstream_request: None,
            compression: None,
            balancer: None,
            resilience: None,
            split: None,
            mirror: None,
            timeouts: None,
        })
    }

    fn node_health(&self, service: &str) -> Option<ServiceHealth> {
        // `pending` is stored but not running yet (just created).
        (service != "missing" && service != "pending").then(|| ServiceHealth {
            service: service.into(),
            checks_available: false,
            summary: weir_admin::runtime::HealthSummary::of(&[]),
            nodes: vec![],
        })
    }

    async fn listeners(&self) -> Option<Vec<ListenerInfo>> {
        Some(vec![
            ListenerInfo {
                service: "cache".into(),
                kind: "tcp".into(),
                port: 6380,
                state: ListenerState::Listening,
                error: None,
                since: 1_700_000_000,
            },
            ListenerInfo {
                service: "rpc".into(),
                kind: "grpc".into(),
                port: 50051,
                state: ListenerState::Failed,
                error: Some("address already in use".into()),
                since: 1_700_000_001,
            },
        ])
    }
}

pub struct Api {
    pub router: Router,
    pub state: AdminState,
    pub store: Store,
    pub clock: Clock,
    _dir: tempfile::TempDir,
}

/// A logged-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a Session),
    /// Cookie without the CSRF header.
    CookieNoCsrf(&'a Session),
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem code, when the answer is a problem document.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        if status >= 400 {
            assert_eq!(
                self.headers[header::CONTENT_TYPE],
                "application/problem+json",
                "{}",
                self.body
            );
            assert_eq!(self.body["status"], status);
            assert!(
                self.body["type"]
                    .as_str()
                    .unwrap()
                    .starts_with("urn:weir:problem:")
            );
        }
        self
    }

    /// Field paths of a validation problem.
    pub fn paths(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["path"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Api {
    pub async fn new() -> Api {
        Self::with_options(AdminOptions::default()).await
    }

    pub async fn with_options(mut options: AdminOptions) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/weir.db", dir.path().display()))
            .await
            .unwrap();
        options.password = PasswordPolicy::for_tests();
        ensure_first_admin(
            &store,
            options.password,
            Some(FIRST_PASSWORD.into()),
            START_MS,
        )
        .await
        .unwrap();
        let clock = Clock::manual(START_MS);
        let state =
            AdminState::with_clock(store.clone(), Arc::new(FakeRuntime), options, clock.clone());
        Api {
            router: weir_admin::router(state.clone()),
            state,
            store,
            clock,
            _dir: dir,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        auth: Auth<'_>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, uri, auth, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        auth: Auth<'_>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        self.call_full(None, method, uri, auth, body, extra).await
    }

    /// A request from the TCP peer `peer` (`ip:port`), as the listener
    /// records it: the client address the admin API sees.
    pub async fn call_from(
        &self,
        peer: &str,
        method: Method,
        uri: &str,
        auth: Auth<'_>,
        body: Option<Value>,
    ) -> Reply {
        let peer: std::net::SocketAddr = peer.parse().unwrap();
        self.call_full(Some(peer), method, uri, auth, body, &[])
            .await
    }

    async fn call_full(
        &self,
        peer: Option<std::net::SocketAddr>,
        method: Method,
        uri: &str,
        auth: Auth<'_>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Cookie(s) => {
                req = req
                    .header(header::COOKIE, format!("weir_session={}", s.cookie))
                    .header("x-csrf-token", &s.csrf)
            }
            Auth::CookieNoCsrf(s) => {
                req = req.header(header::COOKIE, format!("weir_session={}", s.cookie))
            }
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let mut req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Log in; returns the session (cookie value and CSRF token).
    pub async fn login(&self, user: &str, password: &str) -> Session {
        let r = self
            .call(
                Method::POST,
                "/api/v1/session",
                Auth::None,
                Some(json!({"username": user, "password": password})),
            )
            .await
            .expect(200);
        let set_cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set_cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("weir_session=")
            .to_owned();
        Session {
            cookie,
            csrf: r.body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Log in as the first admin and complete the forced password change.
    pub async fn admin_session(&self) -> Session {
        let s = self.login("admin", FIRST_PASSWORD).await;
        self.call(
            Method::POST,
            "/api/v1/session/password",
            Auth::Cookie(&s),
            Some(json!({"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await
        .expect(204);
        s
    }

    /// An API token with `role`, created directly in the store.
    pub async fn token(&self, role: &str) -> String {
        let (id, token) = secret::new_api_token();
        self.store
            .create_token(&ApiTokenRecord {
                id,
                name: format!("{role}-bot"),
                token_hash: secret::sha256_hex(&token),
                role: role.into(),
                created_by: "test".into(),
                created_at_ms: START_MS,
                last_used_ms: None,
                revoked_at_ms: None,
            })
            .await
            .unwrap();
        token
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// A valid service spec.
pub fn service(name: &str, prefix: &str) -> Value {
    json!({
        "name": name,
        "match": {"prefix": prefix},
        "upstream": {"nodes": [{"addr": "127.0.0.1:9001"}, {"addr": "127.0.0.1:9002", "weight": 3}]}
    })
}

/// A valid service that accepts self-registration from 10.0.0.0/8 and
/// 2001:db8::/32.
pub fn registering_service(name: &str, prefix: &str) -> Value {
    let mut s = service(name, prefix);
    s["registration"] = json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8", "2001:db8::/32"]});
    s
}
