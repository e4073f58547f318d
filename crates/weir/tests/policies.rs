//! Traffic policies end to end: client identity behind trusted proxies, IP
//! allow/deny, the token service (Basic and client-credentials), tenant
//! authentication with its failure modes, key rotation, rate limits and
//! quotas with their headers, and limit state across reloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{TestGateway, client};
use serde_json::{Value, json};
use weir_core::compile::generate_signing_key;
use weir_core::{KeyStatus, SigningAlgorithm};
use weir_testkit::TestUpstream;

fn svc(name: &str, prefix: &str, up: &TestUpstream, extra: &str) -> String {
    format!(
        "  - name: {name}\n    match: {{ prefix: {prefix} }}\n{extra}    upstream: {{ nodes: [{{ addr: \"{}\" }}] }}\n",
        up.addr
    )
}

const TENANTS: &str = r#"tenants:
  - { app_id: app_one, name: One, secret: "one-secret-123" }
  - { app_id: app_two, name: Two, secret: "two-secret-456", ip_allow: ["10.9.0.0/16"] }
  - { app_id: app_off, name: Off, secret: "off-secret-789", enabled: false }
"#;

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let h = res.headers().clone();
    let text = res.text().await.unwrap();
    (
        status,
        h,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn token(gw: &TestGateway, app: &str, secret: &str) -> (u16, Value) {
    let basic = STANDARD.encode(format!("{app}:{secret}"));
    let res = client()
        .post(gw.url("/oauth/tokens"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn spoofed_forwarded_for_from_untrusted_peer_is_ignored() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}",
        svc(
            "s",
            "/",
            &up,
            "    access: { ip_allow: { ips: [\"203.0.113.7\"] } }\n"
        )
    );
    // No trusted proxies: the header is the client's own claim.
    let gw = TestGateway::start(&yaml).await;
    let (status, _, body) = get(&gw.url("/x"), &[("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "ip_not_allowed");
    gw.stop().await;

    // Behind a trusted proxy (the test client on 127.0.0.1), it is believed.
    let gw = TestGateway::start_with(&yaml, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let (status, _, body) = get(&gw.url("/x"), &[("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(status, 200, "{body}");
    // The upstream sees the full chain, ending with the real peer.
    assert_eq!(body["headers"]["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    gw.stop().await;
}

#[tokio::test]
async fn allow_and_deny_precedence_over_http() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{}{}",
        svc(
            "both",
            "/both",
            &up,
            "    access:\n      ip_allow: { ips: [\"10.0.0.0/8\", \"2001:db8::/32\"] }\n      ip_deny: { ips: [\"10.1.0.0/16\", \"192.168.0.0/16\", \"2001:db8:1::/48\"] }\n"
        ),
        svc(
            "deny_only",
            "/deny",
            &up,
            "    access:\n      ip_allow: { enabled: false, ips: [\"10.0.0.0/8\"] }\n      ip_deny: { ips: [\"192.168.0.0/16\", \"2001:db8:1::/48\"] }\n"
        ),
        svc("open", "/open", &up, ""),
    );
    let gw = TestGateway::start_with(&yaml, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    for (path, client_ip, want) in [
        ("/both", "10.1.2.3", 200),      // on both lists: allow wins
        ("/both", "2001:db8:1::5", 200), // IPv6, on both
        ("/both", "192.168.1.1", 403),   // deny only, allow list on
        ("/both", "8.8.8.8", 403),       // on neither
        ("/deny", "192.168.5.5", 403),
        ("/deny", "2001:db8:1::9", 403),
        ("/deny", "10.1.2.3", 200), // allow list switched off
        ("/deny", "8.8.8.8", 200),
        ("/open", "192.168.5.5", 200),
    ] {
        let (status, _, body) = get(&gw.url(path), &[("x-forwarded-for", client_ip)]).await;
        assert_eq!(status, want, "{path} from {client_ip}: {body}");
        if want == 403 {
            assert!(
                body["code"] == "ip_denied" || body["code"] == "ip_not_allowed",
                "{body}"
            );
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn token_service_and_authentication() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{TENANTS}",
        svc(
            "api",
            "/api/",
            &up,
            "    access:\n      auth: { enabled: true, allow_paths: [/api/health, \"/api/public/*\"] }\n"
        )
    );
    let gw = TestGateway::start_with(&yaml, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let http = client();

    // Basic auth, as the seed.
    let (status, body) = token(&gw, "app_one", "one-secret-123").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read_write");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], "app_one");
    assert_eq!(claims["sub"], "app_one");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 32));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );

    // OAuth2 client-credentials form.
    let res = http
        .post(gw.url("/oauth/tokens"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=app_one&client_secret=one-secret-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    // Unsupported grant.
    let res = http
        .post(gw.url("/oauth/tokens"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&client_id=app_one&client_secret=one-secret-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Wrong secret and unknown app: the same answer, saying nothing more.
    let (s1, b1) = token(&gw, "app_one", "wrong-secret").await;
    let (s2, b2) = token(&gw, "nobody", "one-secret-123").await;
    let (s3, b3) = token(&gw, "app_off", "off-secret-789").await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1, b3);
    assert_eq!(b1["error"], "invalid_client");

    // The token works; the upstream learns the tenant.
    let bearer = format!("Bearer {access}");
    let (status, _, body) = get(
        &gw.url("/api/orders"),
        &[("authorization", &bearer), ("x-weir-app-id", "spoofed")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["headers"]["x-weir-app-id"], "app_one");

    // No token / bypass list.
    let (status, headers, body) =
        get(&gw.url("/api/orders"), &[("x-weir-app-id", "app_one")]).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthenticated");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let (status, _, body) = get(&gw.url("/api/health"), &[("x-weir-app-id", "app_one")]).await;
    assert_eq!(status, 200, "exact allow path");
    assert!(
        body["headers"].get("x-weir-app-id").is_none(),
        "client value removed"
    );
    let (status, _, _) = get(&gw.url("/api/public/docs/x"), &[]).await;
    assert_eq!(status, 200, "prefix allow path");
    let (status, _, _) = get(&gw.url("/api/healthz"), &[]).await;
    assert_eq!(status, 401, "exact means exact");

    // Tenant IP list: app_two may only call from 10.9.0.0/16.
    let (_, body) = token(&gw, "app_two", "two-secret-456").await;
    // The token endpoint also applies the tenant's list...
    assert_eq!(body["error"], "invalid_client");
    let res = http
        .post(gw.url("/oauth/tokens"))
        .header("x-forwarded-for", "10.9.1.1")
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode("app_two:two-secret-456")),
        )
        .send()
        .await
        .unwrap();
    let two: Value = res.json().await.unwrap();
    let two = format!("Bearer {}", two["access_token"].as_str().unwrap());
    let (status, _, _) = get(
        &gw.url("/api/x"),
        &[("authorization", &two), ("x-forwarded-for", "10.9.1.1")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = get(
        &gw.url("/api/x"),
        &[("authorization", &two), ("x-forwarded-for", "10.8.1.1")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "tenant_ip_not_allowed");

    // Disabling the tenant revokes its tokens at once.
    gw.reconfigure(&yaml.replace(
        "{ app_id: app_one, name: One, secret: \"one-secret-123\" }",
        "{ app_id: app_one, name: One, secret: \"one-secret-123\", enabled: false }",
    ))
    .await;
    let (status, _, _) = get(&gw.url("/api/orders"), &[("authorization", &bearer)]).await;
    assert_eq!(status, 401, "disabled tenant");
    gw.stop().await;
}

/// Hand-made tokens that must all be refused.
#[tokio::test]
async fn forged_and_stale_tokens_are_refused() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{TENANTS}",
        svc("api", "/", &up, "    access: { auth: { enabled: true } }\n")
    );
    let gw = TestGateway::start(&yaml).await;
    let (_, doc) = gw.store.load().await.unwrap();
    let key = doc.signing_keys.unwrap().into_iter().next().unwrap();
    let secret = STANDARD.decode(key.key.unwrap()).unwrap();
    let now = jiff::Timestamp::now().as_second();
    let sign = |claims: Value, secret: &[u8], kid: &str| {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_secret(secret)).unwrap()
    };
    let good = sign(
        json!({"iss": "app_one", "sub": "app_one", "exp": now + 60}),
        &secret,
        &key.name,
    );
    let expired = sign(
        json!({"iss": "app_one", "exp": now - 120}),
        &secret,
        &key.name,
    );
    let wrong_key = sign(
        json!({"iss": "app_one", "exp": now + 60}),
        &[7u8; 32],
        &key.name,
    );
    let unknown_kid = sign(json!({"iss": "app_one", "exp": now + 60}), &secret, "other");
    let unknown_tenant = sign(json!({"iss": "ghost", "exp": now + 60}), &secret, &key.name);
    let disabled = sign(
        json!({"iss": "app_off", "exp": now + 60}),
        &secret,
        &key.name,
    );
    let no_exp = sign(json!({"iss": "app_one"}), &secret, &key.name);
    let sub_mismatch = sign(
        json!({"iss": "app_one", "sub": "app_two", "exp": now + 60}),
        &secret,
        &key.name,
    );
    // Tampered: swap the payload of a valid token for another tenant's.
    let parts: Vec<&str> = good.split('.').collect();
    let evil_payload =
        URL_SAFE_NO_PAD.encode(json!({"iss": "app_two", "exp": now + 60}).to_string());
    let tampered = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
    // alg: none, no signature.
    let none_header =
        URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"none\",\"kid\":\"{}\"}}", key.name));
    let alg_none = format!("{none_header}.{}.", parts[1]);

    let (status, _, _) = get(
        &gw.url("/x"),
        &[("authorization", &format!("Bearer {good}"))],
    )
    .await;
    assert_eq!(status, 200, "the control token works");
    for (what, t) in [
        ("expired", expired),
        ("wrong key", wrong_key),
        ("unknown kid", unknown_kid),
        ("unknown tenant", unknown_tenant),
        ("disabled tenant", disabled),
        ("no exp", no_exp),
        ("sub mismatch", sub_mismatch),
        ("tampered", tampered),
        ("alg none", alg_none),
        ("garbage", "abc.def".into()),
    ] {
        let (status, _, body) =
            get(&gw.url("/x"), &[("authorization", &format!("Bearer {t}"))]).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["code"], "unauthenticated", "{what}");
    }

    // Verified tokens are remembered, but their expiry is checked on every
    // request: one that is only alive thanks to the 5 s leeway passes now
    // and is refused two seconds later.
    let dying = sign(
        json!({"iss": "app_one", "exp": jiff::Timestamp::now().as_second() - 4}),
        &secret,
        &key.name,
    );
    let dying = format!("Bearer {dying}");
    for _ in 0..3 {
        let (status, _, _) = get(&gw.url("/x"), &[("authorization", &dying)]).await;
        assert_eq!(status, 200, "within the leeway");
    }
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, _, _) = get(&gw.url("/x"), &[("authorization", &dying)]).await;
    assert_eq!(status, 401, "expired after it was cached");
    gw.stop().await;
}

#[tokio::test]
async fn jwks_and_key_rotation() {
    let up = TestUpstream::start("up").await;
    let base = format!(
        "services:\n{}{TENANTS}",
        svc("api", "/", &up, "    access: { auth: { enabled: true } }\n")
    );
    let mut rsa = generate_signing_key("rsa-1", SigningAlgorithm::RS256, 0).unwrap();
    let keys_yaml = |keys: &[&weir_core::SigningKey]| {
        let list: Vec<Value> = keys
            .iter()
            .map(|k| serde_json::to_value(k).unwrap())
            .collect();
        format!("signing_keys: {}\n", serde_json::to_string(&list).unwrap())
    };
    let gw = TestGateway::start(&format!("{base}{}", keys_yaml(&[&rsa]))).await;

    let (status, _, jwks) = get(&gw.url("/.well-known/jwks.json"), &[]).await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!(keys[0]["kid"], "rsa-1");
    assert_eq!(keys[0]["kty"], "RSA");
    assert!(keys[0].get("d").is_none(), "no private part published");

    // A token from the RS256 key verifies against the JWKS alone.
    let (_, body) = token(&gw, "app_one", "one-secret-123").await;
    let old = body["access_token"].as_str().unwrap().to_owned();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys[0].clone()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Value>(
        &old,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &v,
    )
    .unwrap();

    // Rotate: a new EdDSA key signs; the RSA key only verifies.
    rsa.status = KeyStatus::VerifyOnly;
    let ed = generate_signing_key("ed-2", SigningAlgorithm::EdDSA, 0).unwrap();
    gw.reconfigure(&format!("{base}{}", keys_yaml(&[&rsa, &ed])))
        .await;
    let (_, _, jwks) = get(&gw.url("/.well-known/jwks.json"), &[]).await;
    let mut kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    kids.sort_unstable();
    assert_eq!(kids, ["ed-2", "rsa-1"]);
    let (_, body) = token(&gw, "app_one", "one-secret-123").await;
    let new = body["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&new).unwrap();
    assert_eq!(header.kid.as_deref(), Some("ed-2"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    for t in [&old, &new] {
        let (status, _, _) = get(&gw.url("/x"), &[("authorization", &format!("Bearer {t}"))]).await;
        assert_eq!(status, 200, "old and new tokens both valid after rotation");
    }

    // Retire the RSA key: its tokens stop working, the new ones do not.
    gw.reconfigure(&format!("{base}{}", keys_yaml(&[&ed])))
        .await;
    let (status, _, _) = get(
        &gw.url("/x"),
        &[("authorization", &format!("Bearer {old}"))],
    )
    .await;
    assert_eq!(status, 401, "retired key");
    let (status, _, _) = get(
        &gw.url("/x"),
        &[("authorization", &format!("Bearer {new}"))],
    )
    .await;
    assert_eq!(status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_headers() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{}",
        svc(
            "svc_limited",
            "/s/",
            &up,
            "    limits: { service_qps: 2, burst: 2 }\n"
        ),
        svc(
            "ip_limited",
            "/ip/",
            &up,
            "    limits: { client_ip_qps: 1, burst: 1 }\n"
        ),
    );
    let gw = TestGateway::start_with(&yaml, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    // Burst of 2, then 429.
    for _ in 0..2 {
        assert_eq!(get(&gw.url("/s/x"), &[]).await.0, 200);
    }
    let (status, h, body) = get(&gw.url("/s/x"), &[]).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "rate_limited");
    for name in [
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(h.contains_key(name), "{name} missing");
    }
    assert_eq!(h["ratelimit-limit"], "2");
    assert_eq!(h["ratelimit-remaining"], "0");
    assert_eq!(h["retry-after"], "1");

    // Per client IP: each client has its own bucket.
    let a = [("x-forwarded-for", "198.51.100.1")];
    let b = [("x-forwarded-for", "198.51.100.2")];
    assert_eq!(get(&gw.url("/ip/x"), &a).await.0, 200);
    assert_eq!(get(&gw.url("/ip/x"), &a).await.0, 429);
    assert_eq!(get(&gw.url("/ip/x"), &b).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        get(&gw.url("/ip/x"), &a).await.0,
        200,
        "refilled after a second"
    );

    // Limit state survives a reload that changes another service.
    assert_eq!(get(&gw.url("/ip/x"), &a).await.0, 429);
    gw.reconfigure(&yaml.replace("service_qps: 2, burst: 2", "service_qps: 3, burst: 2"))
        .await;
    assert_eq!(
        get(&gw.url("/ip/x"), &a).await.0,
        429,
        "counters kept across reload"
    );
    gw.stop().await;
}

#[tokio::test]
async fn tenant_qps_and_daily_quota() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}tenants:\n  - {{ app_id: quota_app, secret: \"quota-secret-1\", qpd: 3 }}\n  - {{ app_id: qps_app, secret: \"qps-secret-12\", qps: 1 }}\n",
        svc("api", "/", &up, "    access: { auth: { enabled: true } }\n")
    );
    let gw = TestGateway::start(&yaml).await;
    let (_, t) = token(&gw, "quota_app", "quota-secret-1").await;
    let quota = format!("Bearer {}", t["access_token"].as_str().unwrap());
    for left in [2, 1, 0] {
        let (status, h, _) = get(&gw.url("/x"), &[("authorization", &quota)]).await;
        assert_eq!(status, 200);
        assert_eq!(h["x-quota-limit"], "3");
        assert_eq!(h["x-quota-remaining"], left.to_string().as_str());
        assert!(h.contains_key("x-quota-reset"));
    }
    let (status, h, body) = get(&gw.url("/x"), &[("authorization", &quota)]).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], "quota_exceeded");
    let reset: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=86_400).contains(&reset),
        "retry after the day ends: {reset}"
    );

    let (_, t) = token(&gw, "qps_app", "qps-secret-12").await;
    let qps = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(get(&gw.url("/x"), &[("authorization", &qps)]).await.0, 200);
    let (status, h, _) = get(&gw.url("/x"), &[("authorization", &qps)]).await;
    assert_eq!(status, 429);
    assert_eq!(h["ratelimit-limit"], "1");

    // Quota state survives a reload of the tenants.
    gw.reconfigure(&yaml.replace("qps: 1", "qps: 2")).await;
    assert_eq!(
        get(&gw.url("/x"), &[("authorization", &quota)]).await.0,
        429
    );
    gw.stop().await;
}

/// The store's HS256 signing key: its name and secret.
async fn hs256_key(gw: &TestGateway) -> (String, Vec<u8>) {
    let (_, doc) = gw.store.load().await.unwrap();
    let key = doc.signing_keys.unwrap().into_iter().next().unwrap();
    (key.name, STANDARD.decode(key.key.unwrap()).unwrap())
}

/// `Bearer <token>` with `claims`, signed as the gateway would.
fn bearer_signed((kid, secret): &(String, Vec<u8>), claims: Value) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    h.kid = Some(kid.clone());
    let t =
        jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_secret(secret)).unwrap();
    format!("Bearer {t}")
}

/// `nbf` is checked, with the same 5 s leeway as `exp`.
#[tokio::test]
async fn tokens_not_valid_yet_are_refused() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{TENANTS}",
        svc("api", "/", &up, "    access: { auth: { enabled: true } }\n")
    );
    let gw = TestGateway::start(&yaml).await;
    let key = hs256_key(&gw).await;
    let sign = |claims: Value| bearer_signed(&key, claims);
    let now = jiff::Timestamp::now().as_second();
    for (what, nbf, want) in [
        ("nbf in the past", now - 30, 200),
        ("nbf now", now, 200),
        ("nbf within the leeway", now + 2, 200),
        ("nbf a minute ahead", now + 60, 401),
        ("nbf a day ahead", now + 86_400, 401),
    ] {
        let bearer = sign(json!({"iss": "app_one", "exp": now + 3600, "nbf": nbf}));
        let (status, _, body) = get(&gw.url("/x"), &[("authorization", &bearer)]).await;
        assert_eq!(status, want, "{what}: {body}");
        if want == 401 {
            assert_eq!(body["code"], "unauthenticated", "{what}");
        }
    }
    // A malformed nbf is no way around the check.
    let bearer = sign(json!({"iss": "app_one", "exp": now + 3600, "nbf": "tomorrow"}));
    let (status, _, _) = get(&gw.url("/x"), &[("authorization", &bearer)]).await;
    assert_eq!(status, 401, "string nbf");
    // Explain names the reason the client is not told.
    let input = weir_proxy::ExplainInput {
        method: "GET".into(),
        host: None,
        path: "/x".into(),
        headers: vec![(
            "authorization".into(),
            sign(json!({"iss": "app_one", "exp": now + 3600, "nbf": now + 600})),
        )],
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    let out = weir_proxy::explain(&gw.gateway.plane, &input).unwrap();
    let auth = out.policies.iter().find(|p| p.policy == "auth").unwrap();
    assert_eq!(auth.outcome, weir_proxy::PolicyOutcome::Reject);
    assert!(auth.detail.contains("not valid yet"), "{}", auth.detail);
    assert_eq!(auth.detail_code, "auth_not_yet_valid");
    gw.stop().await;
}

/// `access.auth.tenants`: one tenant's valid token does not open another
/// tenant's service; absent means every tenant; a named tenant deleted
/// later breaks nothing.
#[tokio::test]
async fn services_admit_only_their_tenants() {
    let up = TestUpstream::start("up").await;
    let tenants = r#"tenants:
  - { app_id: app-a, name: A, secret: "a-secret-123" }
  - { app_id: app-b, name: B, secret: "b-secret-456" }
"#;
    let services = |a_only: &str| {
        format!(
            "services:\n{}{}{}",
            svc(
                "only_a",
                "/a/",
                &up,
                &format!("    access: {{ auth: {{ enabled: true, tenants: [{a_only}] }} }}\n")
            ),
            svc(
                "a_and_b",
                "/ab/",
                &up,
                "    access: { auth: { enabled: true, tenants: [app-b, app-a] } }\n"
            ),
            svc(
                "everyone",
                "/all/",
                &up,
                "    access: { auth: { enabled: true } }\n"
            ),
        )
    };
    let gw = TestGateway::start(&format!("{}{tenants}", services("app-a"))).await;
    let (_, a) = token(&gw, "app-a", "a-secret-123").await;
    let (_, b) = token(&gw, "app-b", "b-secret-456").await;
    let a = format!("Bearer {}", a["access_token"].as_str().unwrap());
    let b = format!("Bearer {}", b["access_token"].as_str().unwrap());
    for (path, bearer, who, want) in [
        ("/a/x", &a, "app-a", 200),
        ("/a/x", &b, "app-b", 403),
        ("/ab/x", &a, "app-a", 200),
        ("/ab/x", &b, "app-b", 200),
        ("/all/x", &a, "app-a", 200),
        ("/all/x", &b, "app-b", 200),
    ] {
        // Twice: the second answer comes from the verified-token cache.
        for round in 0..2 {
            let (status, _, body) = get(&gw.url(path), &[("authorization", bearer)]).await;
            assert_eq!(status, want, "{who} on {path} (round {round}): {body}");
            if want == 200 {
                assert_eq!(body["headers"]["x-weir-app-id"], who);
            } else {
                assert_eq!(body["code"], "tenant_not_allowed", "{body}");
                assert_eq!(
                    body["message"],
                    "your application may not call this service"
                );
            }
        }
    }
    // No token is still 401, whatever the list.
    let (status, _, body) = get(&gw.url("/a/x"), &[]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    // The refusals are counted under their own reason (2 rounds above).
    let metrics = weir_proxy::render_metrics(&gw.gateway.plane);
    assert!(
        metrics
            .contains("weir_rejections_total{service=\"only_a\",reason=\"tenant_not_allowed\"} 2"),
        "{metrics}"
    );

    // Explain says which tenant was not allowed, and why.
    let input = weir_proxy::ExplainInput {
        method: "GET".into(),
        host: None,
        path: "/a/x".into(),
        headers: vec![("authorization".into(), b.clone())],
        client_ip: "127.0.0.1".into(),
        https: false,
    };
    let out = weir_proxy::explain(&gw.gateway.plane, &input).unwrap();
    let rejection = out.rejection.unwrap();
    assert_eq!(
        (rejection.status, rejection.code.as_str()),
        (403, "tenant_not_allowed")
    );
    let verdict = out
        .policies
        .iter()
        .find(|p| p.policy == "auth_tenants")
        .unwrap();
    assert_eq!(verdict.outcome, weir_proxy::PolicyOutcome::Reject);
    assert!(
        verdict.detail.contains("app-b") && verdict.detail.contains("app-a"),
        "{}",
        verdict.detail
    );
    assert_eq!(verdict.detail_code, "tenant_not_on_service_list");
    assert_eq!(verdict.detail_params["tenant"], "app-b");
    assert_eq!(verdict.detail_params["allowed"], "app-a");

    // Adding app-b to the list lets it in at once.
    gw.reconfigure(&format!("{}{tenants}", services("app-a, app-b")))
        .await;
    let (status, _, _) = get(&gw.url("/a/x"), &[("authorization", &b)]).await;
    assert_eq!(status, 200, "app-b after it was added");

    // Deleting tenant app-a while services still name it: the configuration
    // stays valid, app-a's token stops working, app-b is unaffected.
    let only_b = "tenants:\n  - { app_id: app-b, name: B, secret: \"b-secret-456\" }\n";
    gw.reconfigure(&format!("{}{only_b}", services("app-a, app-b")))
        .await;
    let (status, _, _) = get(&gw.url("/ab/x"), &[("authorization", &a)]).await;
    assert_eq!(status, 401, "deleted tenant");
    let (status, _, _) = get(&gw.url("/ab/x"), &[("authorization", &b)]).await;
    assert_eq!(status, 200);
    gw.stop().await;
}

/// Per-IP limits count an IPv6 client by its /64, and IPv4-mapped entries
/// in address lists match IPv4 clients (both through a trusted proxy, so
/// the test can speak for many addresses).
#[tokio::test]
async fn ipv6_networks_share_a_client_limit_and_mapped_entries_match() {
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{}",
        svc(
            "limited",
            "/limited/",
            &up,
            "    limits: { client_ip_qps: 1, burst: 2 }\n"
        ),
        svc(
            "mapped",
            "/mapped/",
            &up,
            "    access: { ip_allow: { ips: [\"::ffff:203.0.113.0/120\", \"::ffff:198.51.100.7\"] } }\n"
        ),
    );
    let gw = TestGateway::start_with(&yaml, |c| {
        c.proxy.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    // Burst 2 shared by every address of 2001:db8:1:2::/64.
    for (ip, want) in [
        ("2001:db8:1:2::1", 200),
        ("2001:db8:1:2::2", 200),
        ("2001:db8:1:2:ffff::3", 429),
        ("[2001:db8:1:2::4]:443", 429),
        ("2001:db8:1:3::1", 200), // the next /64
        ("198.51.100.1", 200),
        ("198.51.100.2", 200), // IPv4: by address
    ] {
        let (status, _, body) = get(&gw.url("/limited/x"), &from(ip)).await;
        assert_eq!(status, want, "{ip}: {body}");
    }
    for (ip, want) in [
        ("203.0.113.7", 200),
        ("::ffff:203.0.113.200", 200),
        ("198.51.100.7", 200),
        ("198.51.100.8", 403),
        ("203.0.114.1", 403),
        ("2001:db8::1", 403),
    ] {
        let (status, _, body) = get(&gw.url("/mapped/x"), &from(ip)).await;
        assert_eq!(status, want, "{ip}: {body}");
    }
    gw.stop().await;
}

/// The same over real IPv6 loopback, when the machine has it: the client
/// `::1` is limited and matched as itself.
#[tokio::test]
async fn ipv6_loopback_client_is_limited_and_listed() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; the unit tests cover the limiter key");
        return;
    };
    drop(probe);
    let up = TestUpstream::start("up").await;
    let yaml = format!(
        "services:\n{}{}",
        svc(
            "limited",
            "/limited/",
            &up,
            "    access: { ip_allow: { ips: [\"::1\"] } }\n    limits: { client_ip_qps: 1, burst: 2 }\n"
        ),
        svc(
            "v4_only",
            "/v4/",
            &up,
            "    access: { ip_allow: { ips: [\"::ffff:127.0.0.0/104\"] } }\n"
        ),
    );
    let gw = TestGateway::start_with(&yaml, |c| {
        c.listen.http = "[::1]:0".parse().unwrap();
    })
    .await;
    assert!(gw.url.starts_with("http://[::1]:"), "{}", gw.url);
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(get(&gw.url("/limited/x"), &[]).await.0);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    let (status, _, body) = get(&gw.url("/v4/x"), &[]).await;
    assert_eq!(status, 403, "::1 is not an IPv4 client: {body}");
    gw.stop().await;
}
