//! Accounts and sessions: first login and the forced password change,
//! argon2id at rest, cookie attributes, CSRF, expiry, throttling, tokens,
//! roles.

use std::time::Duration;

use axum::http::{Method, header};
use serde_json::json;
use weir_admin::auth::password::is_argon2id;
use weir_admin::{AdminOptions, CookieSecure};

use crate::common::{Api, Auth, FIRST_PASSWORD, NEW_PASSWORD};

#[tokio::test]
async fn first_login_must_change_password_then_everything_opens() {
    let api = Api::new().await;
    let stored = api.store.user("admin").await.unwrap().unwrap();
    assert!(
        is_argon2id(&stored.password_hash),
        "{}",
        stored.password_hash
    );
    assert!(stored.must_change);

    let s = api.login("admin", FIRST_PASSWORD).await;
    let me = api
        .call(Method::GET, "/api/v1/session", Auth::Cookie(&s), None)
        .await
        .expect(200);
    assert_eq!(me.body["must_change_password"], true);
    assert_eq!(me.body["role"], "admin");
    let r = api
        .call(Method::GET, "/api/v1/services", Auth::Cookie(&s), None)
        .await
        .expect(403);
    assert_eq!(r.code(), "password_change_required");

    // A weak new password names the field.
    let r = api
        .call(
            Method::POST,
            "/api/v1/session/password",
            Auth::Cookie(&s),
            Some(json!({"current_password": FIRST_PASSWORD, "new_password": "short"})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["new_password"]);
    // Wrong current password.
    let r = api
        .call(
            Method::POST,
            "/api/v1/session/password",
            Auth::Cookie(&s),
            Some(json!({"current_password": "nope-nope-nope", "new_password": NEW_PASSWORD})),
        )
        .await
        .expect(401);
    assert_eq!(r.code(), "invalid_credentials");

    api.call(
        Method::POST,
        "/api/v1/session/password",
        Auth::Cookie(&s),
        Some(json!({"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD})),
    )
    .await
    .expect(204);
    api.call(Method::GET, "/api/v1/services", Auth::Cookie(&s), None)
        .await
        .expect(200);
    let stored = api.store.user("admin").await.unwrap().unwrap();
    assert!(is_argon2id(&stored.password_hash));
    assert!(!stored.must_change);
    // The old password no longer works; the new one does.
    let r = api
        .call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await
        .expect(401);
    assert_eq!(r.code(), "invalid_credentials");
    api.login("admin", NEW_PASSWORD).await;
}

#[tokio::test]
async fn session_cookie_attributes_and_logout() {
    let api = Api::new().await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await
        .expect(200);
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");

    // Behind a TLS-terminating proxy the cookie is Secure.
    let r = api
        .call_with(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
            &[("x-forwarded-proto", "https")],
        )
        .await
        .expect(200);
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    let s = api.login("admin", FIRST_PASSWORD).await;
    let r = api
        .call(Method::DELETE, "/api/v1/session", Auth::Cookie(&s), None)
        .await
        .expect(204);
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = api
        .call(Method::GET, "/api/v1/session", Auth::Cookie(&s), None)
        .await
        .expect(401);
    assert_eq!(r.code(), "session_expired");
}

#[tokio::test]
async fn always_secure_cookies() {
    let api = Api::with_options(AdminOptions {
        cookie_secure: CookieSecure::Always,
        ..AdminOptions::default()
    })
    .await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await
        .expect(200);
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn csrf_is_required_for_cookie_writes_only() {
    let api = Api::new().await;
    let s = api.admin_session().await;
    // Reads need no CSRF token.
    api.call(
        Method::GET,
        "/api/v1/services",
        Auth::CookieNoCsrf(&s),
        None,
    )
    .await
    .expect(200);
    // Writes without it, or with a wrong one, are refused before anything happens.
    let body = crate::common::service("a", "/a/");
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            Auth::CookieNoCsrf(&s),
            Some(body.clone()),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "csrf_failed");
    let forged = crate::common::Session {
        cookie: s.cookie.clone(),
        csrf: "0".repeat(64),
    };
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            Auth::Cookie(&forged),
            Some(body.clone()),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "csrf_failed");
    assert_eq!(api.store.revision().await.unwrap(), 0);
    // With it: created. Bearer tokens need none.
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Cookie(&s),
        Some(body),
    )
    .await
    .expect(201);
    let token = api.token("admin").await;
    api.call(
        Method::POST,
        "/api/v1/services",
        Auth::Bearer(&token),
        Some(crate::common::service("b", "/b/")),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_absolutely() {
    let api = Api::with_options(AdminOptions {
        session_idle_timeout: Duration::from_secs(600),
        session_absolute_timeout: Duration::from_secs(3600),
        ..AdminOptions::default()
    })
    .await;
    let s = api.admin_session().await;
    let get = || api.call(Method::GET, "/api/v1/session", Auth::Cookie(&s), None);
    // Active use keeps it alive well past the idle timeout…
    for _ in 0..7 {
        api.advance(Duration::from_secs(500));
        get().await.expect(200);
    }
    // …but not past the absolute one (3500 s so far).
    api.advance(Duration::from_secs(200));
    let r = get().await.expect(401);
    assert_eq!(r.code(), "session_expired");

    // Idle: 10 minutes without a request ends it.
    let s2 = api.login("admin", NEW_PASSWORD).await;
    api.advance(Duration::from_secs(601));
    let r = api
        .call(Method::GET, "/api/v1/session", Auth::Cookie(&s2), None)
        .await
        .expect(401);
    assert_eq!(r.code(), "session_expired");
}

#[tokio::test]
async fn logins_are_throttled_per_user_and_ip() {
    let api = Api::new().await;
    let bad = json!({"username": "admin", "password": "wrong password!"});
    for _ in 0..5 {
        api.call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(bad.clone()),
        )
        .await
        .expect(401);
    }
    // Locked: even the right password is refused, with Retry-After.
    let r = api
        .call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await
        .expect(429);
    assert_eq!(r.code(), "too_many_attempts");
    let wait: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");
    // Unknown users are throttled too (no enumeration), and per address.
    for i in 0..15 {
        api.call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": format!("ghost{i}"), "password": "whatever-123"})),
        )
        .await;
    }
    let r = api
        .call(
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "someone-new", "password": "whatever-123"})),
        )
        .await
        .expect(429);
    assert_eq!(r.code(), "too_many_attempts");
    // The window passes.
    api.advance(Duration::from_secs(15 * 60 + 1));
    api.login("admin", FIRST_PASSWORD).await;
    // Failed logins are audited.
    let failed = api
        .store
        .audit(
            &weir_store::AuditFilter {
                action: "session.login".into(),
                ..Default::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    assert!(failed.1.iter().any(|e| e.entry.outcome == "denied"));
}

#[tokio::test]
async fn unauthenticated_and_bad_tokens_get_401() {
    let api = Api::new().await;
    for (method, uri) in [
        (Method::GET, "/api/v1/services"),
        (Method::POST, "/api/v1/services"),
        (Method::GET, "/api/v1/status"),
        (Method::GET, "/api/v1/revisions"),
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/explain"),
    ] {
        let r = api
            .call(method.clone(), uri, Auth::None, None)
            .await
            .expect(401);
        assert_eq!(r.code(), "unauthenticated", "{method} {uri}");
        assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    }
    let r = api
        .call(
            Method::GET,
            "/api/v1/services",
            Auth::Bearer("weir_nope_nope"),
            None,
        )
        .await
        .expect(401);
    assert_eq!(r.code(), "invalid_token");
    let r = api
        .call(
            Method::GET,
            "/api/v1/services",
            Auth::Bearer("not-even-a-weir-token"),
            None,
        )
        .await
        .expect(401);
    assert_eq!(r.code(), "invalid_token");
    let fake = crate::common::Session {
        cookie: "f".repeat(64),
        csrf: "x".into(),
    };
    let r = api
        .call(Method::GET, "/api/v1/services", Auth::Cookie(&fake), None)
        .await
        .expect(401);
    assert_eq!(r.code(), "session_expired");
    // Public endpoints.
    api.call(Method::GET, "/healthz", Auth::None, None)
        .await
        .expect(200);
    let doc = api
        .call(Method::GET, "/api/v1/openapi.json", Auth::None, None)
        .await
        .expect(200);
    assert_eq!(doc.body["openapi"], "3.1.0");
}

#[tokio::test]
async fn api_tokens_are_shown_once_hashed_and_revocable() {
    let api = Api::new().await;
    let s = api.admin_session().await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/tokens",
            Auth::Cookie(&s),
            Some(json!({"name": "ci-deploy", "role": "viewer"})),
        )
        .await
        .expect(201);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("weir_"));
    // Stored hashed only.
    let stored = api.store.tokens().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, secret);
    assert_eq!(stored[0].token_hash.len(), 64);
    // Listing never shows the secret.
    let list = api
        .call(Method::GET, "/api/v1/tokens", Auth::Cookie(&s), None)
        .await
        .expect(200);
    assert!(!list.body.to_string().contains(&secret));
    // It works, as a viewer: reads yes, writes 403.
    let me = api
        .call(Method::GET, "/api/v1/session", Auth::Bearer(&secret), None)
        .await
        .expect(200);
    assert_eq!(
        (me.body["auth"].as_str(), me.body["role"].as_str()),
        (Some("token"), Some("viewer"))
    );
    api.call(Method::GET, "/api/v1/services", Auth::Bearer(&secret), None)
        .await
        .expect(200);
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            Auth::Bearer(&secret),
            Some(crate::common::service("a", "/a/")),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "forbidden");
    // Validation and revocation.
    let r = api
        .call(
            Method::POST,
            "/api/v1/tokens",
            Auth::Cookie(&s),
            Some(json!({"name": "", "role": "admin"})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["name"]);
    api.call(
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Auth::Cookie(&s),
        None,
    )
    .await
    .expect(204);
    api.call(
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Auth::Cookie(&s),
        None,
    )
    .await
    .expect(404);
    let r = api
        .call(Method::GET, "/api/v1/services", Auth::Bearer(&secret), None)
        .await
        .expect(401);
    assert_eq!(r.code(), "invalid_token");
    // Viewers cannot manage tokens.
    let viewer = api.token("viewer").await;
    api.call(Method::GET, "/api/v1/tokens", Auth::Bearer(&viewer), None)
        .await
        .expect(403);
    api.call(
        Method::POST,
        "/api/v1/tokens",
        Auth::Bearer(&viewer),
        Some(json!({"name": "x", "role": "admin"})),
    )
    .await
    .expect(403);
    api.call(
        Method::DELETE,
        "/api/v1/tokens/abc",
        Auth::Bearer(&viewer),
        None,
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn users_crud_roles_and_guards() {
    let api = Api::new().await;
    let s = api.admin_session().await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/users",
            Auth::Cookie(&s),
            Some(json!({"username": "vera", "role": "viewer", "password": "vera's first pw"})),
        )
        .await
        .expect(201);
    assert_eq!(r.body["must_change_password"], true);
    api.call(
        Method::POST,
        "/api/v1/users",
        Auth::Cookie(&s),
        Some(json!({"username": "vera", "role": "viewer", "password": "vera's first pw"})),
    )
    .await
    .expect(409);
    let r = api
        .call(
            Method::POST,
            "/api/v1/users",
            Auth::Cookie(&s),
            Some(json!({"username": "bad name", "role": "viewer", "password": "long enough pw"})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["username"]);
    let r = api
        .call(
            Method::POST,
            "/api/v1/users",
            Auth::Cookie(&s),
            Some(json!({"username": "x", "role": "boss", "password": "long enough pw"})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["role"]);
    api.call(Method::GET, "/api/v1/users/vera", Auth::Cookie(&s), None)
        .await
        .expect(200);
    api.call(Method::GET, "/api/v1/users/nobody", Auth::Cookie(&s), None)
        .await
        .expect(404);
    api.call(Method::GET, "/api/v1/users", Auth::Cookie(&s), None)
        .await
        .expect(200);

    // Vera logs in, changes her password, can read but not write.
    let v = api.login("vera", "vera's first pw").await;
    api.call(
        Method::POST,
        "/api/v1/session/password",
        Auth::Cookie(&v),
        Some(json!({"current_password": "vera's first pw", "new_password": "vera's own pw 1"})),
    )
    .await
    .expect(204);
    api.call(Method::GET, "/api/v1/services", Auth::Cookie(&v), None)
        .await
        .expect(200);
    let r = api
        .call(
            Method::POST,
            "/api/v1/services",
            Auth::Cookie(&v),
            Some(crate::common::service("a", "/a/")),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "forbidden");
    api.call(Method::GET, "/api/v1/users", Auth::Cookie(&v), None)
        .await
        .expect(403);

    // Guards: the last admin can be neither demoted nor deleted; nobody deletes themselves.
    let r = api
        .call(
            Method::PATCH,
            "/api/v1/users/admin",
            Auth::Cookie(&s),
            Some(json!({"role": "viewer"})),
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "last_admin");
    let r = api
        .call(
            Method::DELETE,
            "/api/v1/users/admin",
            Auth::Cookie(&s),
            None,
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "self_delete");
    // Promote vera, reset her password (her session ends), delete her.
    let r = api
        .call(
            Method::PATCH,
            "/api/v1/users/vera",
            Auth::Cookie(&s),
            Some(json!({"role": "admin", "password": "reset by admin 1"})),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            r.body["role"].as_str(),
            r.body["must_change_password"].as_bool()
        ),
        (Some("admin"), Some(true))
    );
    api.call(Method::GET, "/api/v1/session", Auth::Cookie(&v), None)
        .await
        .expect(401);
    api.call(
        Method::PATCH,
        "/api/v1/users/nobody",
        Auth::Cookie(&s),
        Some(json!({"role": "admin"})),
    )
    .await
    .expect(404);
    api.call(Method::DELETE, "/api/v1/users/vera", Auth::Cookie(&s), None)
        .await
        .expect(204);
    api.call(Method::DELETE, "/api/v1/users/vera", Auth::Cookie(&s), None)
        .await
        .expect(404);
}
