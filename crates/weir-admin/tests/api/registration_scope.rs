//! What may self-register (issue 15): only into a service that enables it,
//! only from its allowed networks (loopback only when named, never the
//! gateway's own listeners), at most `max_instances` at once, and with a
//! registrar token only into the services the token names.

use axum::http::Method;
use serde_json::{Value, json};
use weir_admin::AdminOptions;

use crate::common::{Api, Auth, Reply, registering_service, service};

fn regs(service: &str) -> String {
    format!("/api/v1/services/{service}/registrations")
}

fn with_registration(name: &str, registration: Value) -> Value {
    let mut s = service(name, &format!("/{name}/"));
    s["registration"] = registration;
    s
}

async fn create(api: &Api, a: &Auth<'_>, spec: Value) -> Reply {
    api.call(Method::POST, "/api/v1/services", a.clone(), Some(spec))
        .await
}

async fn register(api: &Api, auth: &Auth<'_>, service: &str, addr: &str) -> Reply {
    api.call(
        Method::POST,
        &regs(service),
        auth.clone(),
        Some(json!({ "addr": addr })),
    )
    .await
}

#[tokio::test]
async fn registration_is_opt_in_and_validated() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    create(&api, &a, service("plain", "/plain/"))
        .await
        .expect(201);
    let r = register(&api, &a, "plain", "10.0.0.1:80").await.expect(403);
    assert_eq!(r.code(), "registration_refused");
    assert!(
        r.body["detail"].as_str().unwrap().contains("not enabled"),
        "{}",
        r.body
    );
    for (registration, path) in [
        (json!({"enabled": true}), "registration.allowed_cidrs"),
        (
            json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8", "nonsense"]}),
            "registration.allowed_cidrs[1]",
        ),
        (
            json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8"], "max_instances": 0}),
            "registration.max_instances",
        ),
        (
            json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8"], "max_instances": 10001}),
            "registration.max_instances",
        ),
        (json!({"enabled": "yes"}), "registration.enabled"),
        (json!({"allowed": []}), "registration.allowed"),
    ] {
        let r = create(&api, &a, with_registration("bad", registration.clone()))
            .await
            .expect(422);
        assert_eq!(r.paths().len(), 1, "{registration}: {}", r.body);
        assert!(
            r.paths()[0].ends_with(path),
            "{registration}: {:?}",
            r.paths()
        );
    }
    // The happy path, and the block reads back as written (the default
    // `max_instances` stays implicit).
    let r = create(&api, &a, registering_service("api", "/api/"))
        .await
        .expect(201);
    assert_eq!(
        r.body["spec"]["registration"],
        json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8", "2001:db8::/32"]})
    );
    register(&api, &a, "api", "10.1.2.3:8080").await.expect(201);
    register(&api, &a, "api", "[2001:db8::9]:8080")
        .await
        .expect(201);
}

#[tokio::test]
async fn addresses_outside_the_allowed_networks_are_refused() {
    let api = Api::with_options(AdminOptions {
        gateway_addrs: vec!["127.0.0.1:9080".parse().unwrap()],
        ..AdminOptions::default()
    })
    .await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    create(&api, &a, registering_service("api", "/api/"))
        .await
        .expect(201);
    create(
        &api,
        &a,
        with_registration(
            "wide",
            json!({"enabled": true, "allowed_cidrs": ["0.0.0.0/0", "::/0"]}),
        ),
    )
    .await
    .expect(201);
    create(
        &api,
        &a,
        with_registration(
            "local",
            json!({"enabled": true, "allowed_cidrs": ["127.0.0.0/8", "::1"]}),
        ),
    )
    .await
    .expect(201);
    for (service, addr, why) in [
        ("api", "192.168.1.5:80", "outside"),
        ("api", "11.0.0.1:80", "outside"),
        ("api", "[2001:db9::1]:80", "outside"),
        ("api", "127.0.0.1:8080", "loopback"),
        ("api", "[::1]:8080", "loopback"),
        // A network that contains loopback does not name it.
        ("wide", "127.0.0.1:8080", "loopback"),
        ("wide", "[::1]:8080", "loopback"),
        ("wide", "[::ffff:127.0.0.1]:8080", "loopback"),
        // The gateway's own admin listener, and a per-service listener.
        ("local", "127.0.0.1:9080", "own listeners"),
        ("local", "127.0.0.1:6380", "own listeners"),
    ] {
        let r = register(&api, &a, service, addr).await.expect(403);
        assert_eq!(r.code(), "registration_refused", "{addr}");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{service} {addr}: {detail}");
    }
    register(&api, &a, "wide", "192.168.1.5:80")
        .await
        .expect(201);
    register(&api, &a, "local", "127.0.0.1:18080")
        .await
        .expect(201);
    register(&api, &a, "local", "[::1]:18080").await.expect(201);
    // Refusals are audited.
    let audit = api
        .call(
            Method::GET,
            "/api/v1/audit?action=registration.register&page_size=100",
            a.clone(),
            None,
        )
        .await
        .expect(200);
    assert!(audit.body.to_string().contains("denied"), "{}", audit.body);
    // Nothing refused was stored.
    let list = api
        .call(Method::GET, "/api/v1/registrations", a.clone(), None)
        .await
        .expect(200);
    assert_eq!(list.body["total"], 3, "{}", list.body);
}

#[tokio::test]
async fn instances_are_capped_per_service() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    create(
        &api,
        &a,
        with_registration(
            "api",
            json!({"enabled": true, "allowed_cidrs": ["10.0.0.0/8"], "max_instances": 2}),
        ),
    )
    .await
    .expect(201);
    let first = register(&api, &a, "api", "10.0.0.1:80").await.expect(201);
    register(&api, &a, "api", "10.0.0.2:80").await.expect(201);
    let r = register(&api, &a, "api", "10.0.0.3:80").await.expect(409);
    assert_eq!(r.code(), "registration_limit");
    assert!(r.body["detail"].as_str().unwrap().contains("max_instances"));
    // Renewing a registered instance is not a new one.
    register(&api, &a, "api", "10.0.0.2:80").await.expect(200);
    // A slot frees when an instance leaves.
    let id = first.body["id"].as_str().unwrap();
    api.call(
        Method::DELETE,
        &format!("{}/{id}", regs("api")),
        a.clone(),
        None,
    )
    .await
    .expect(204);
    register(&api, &a, "api", "10.0.0.3:80").await.expect(201);
}

#[tokio::test]
async fn registrar_tokens_register_only_into_their_services() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    create(&api, &a, registering_service("api", "/api/"))
        .await
        .expect(201);
    create(&api, &a, registering_service("billing", "/billing/"))
        .await
        .expect(201);
    let token = |body: Value| {
        let a = a.clone();
        let api = &api;
        async move {
            api.call(Method::POST, "/api/v1/tokens", a, Some(body))
                .await
        }
    };
    // Creating: registrar tokens name their services; others may not.
    for (body, path) in [
        (json!({"name": "r", "role": "registrar"}), "services"),
        (
            json!({"name": "r", "role": "registrar", "services": []}),
            "services",
        ),
        (
            json!({"name": "r", "role": "registrar", "services": ["ok", "not ok!"]}),
            "services[1]",
        ),
        (
            json!({"name": "r", "role": "admin", "services": ["api"]}),
            "services",
        ),
    ] {
        let r = token(body.clone()).await.expect(422);
        assert_eq!(r.paths(), [path], "{body}");
    }
    let scoped = token(json!({"name": "api-instances", "role": "registrar", "services": ["api"]}))
        .await
        .expect(201);
    assert_eq!(scoped.body["services"], json!(["api"]));
    let secret = scoped.body["secret"].as_str().unwrap().to_owned();
    let r = Auth::Bearer(&secret);
    let listed = api
        .call(Method::GET, "/api/v1/tokens", a.clone(), None)
        .await
        .expect(200);
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "api-instances" && t["services"] == json!(["api"])),
        "{}",
        listed.body
    );

    let reg = register(&api, &r, "api", "10.0.0.1:80").await.expect(201);
    let refused = register(&api, &r, "billing", "10.0.0.1:80")
        .await
        .expect(403);
    assert_eq!(refused.code(), "registration_scope");
    assert!(refused.body["detail"].as_str().unwrap().contains("api"));
    // Heartbeat and deregister another service's instance: refused too.
    let other = register(&api, &a, "billing", "10.0.0.2:80")
        .await
        .expect(201);
    let other_one = format!("{}/{}", regs("billing"), other.body["id"].as_str().unwrap());
    for method in [Method::PUT, Method::DELETE] {
        let res = api
            .call(method, &other_one, r.clone(), None)
            .await
            .expect(403);
        assert_eq!(res.code(), "registration_scope");
    }
    let one = format!("{}/{}", regs("api"), reg.body["id"].as_str().unwrap());
    api.call(Method::PUT, &one, r.clone(), None)
        .await
        .expect(200);

    // `*`: every service that enables registration.
    let all = token(json!({"name": "all", "role": "registrar", "services": ["*"]}))
        .await
        .expect(201);
    let all = all.body["secret"].as_str().unwrap().to_owned();
    register(&api, &Auth::Bearer(&all), "billing", "10.0.0.3:80")
        .await
        .expect(201);

    // Closing registration on a service stops renewals of its instances.
    let current = api
        .call(Method::GET, "/api/v1/services/api", a.clone(), None)
        .await
        .expect(200);
    let version = current.body["version"].as_i64().unwrap().to_string();
    api.call_with(
        Method::PUT,
        "/api/v1/services/api",
        a.clone(),
        Some(service("api", "/api/")),
        &[("if-match", &version)],
    )
    .await
    .expect(200);
    let res = api
        .call(Method::PUT, &one, r.clone(), None)
        .await
        .expect(403);
    assert_eq!(res.code(), "registration_refused");
}
