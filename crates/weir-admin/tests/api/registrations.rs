//! Self-registration through the API: register (idempotent), heartbeat,
//! expiry on the manual clock, deregister; the `registrar` role may do that
//! and nothing else; no revision is written; register and deregister are
//! audited, heartbeats are not. Also the listener status endpoint.

use std::time::Duration;

use axum::http::{Method, header};
use serde_json::json;

use crate::common::{Api, Auth, START_MS, registering_service, service};

const REGS: &str = "/api/v1/services/api/registrations";

#[tokio::test]
async fn instances_register_heartbeat_expire_and_deregister() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let registrar = api.token("registrar").await;
    let viewer = api.token("viewer").await;
    let (a, r, v) = (
        Auth::Bearer(&admin),
        Auth::Bearer(&registrar),
        Auth::Bearer(&viewer),
    );
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(registering_service("api", "/api/")),
    )
    .await
    .expect(201);
    let revision = api.store.revision().await.unwrap();

    // Register: 201 with a Location; the defaults are weight 1, TTL 30 s.
    let reg = api
        .call(
            Method::POST,
            REGS,
            r.clone(),
            Some(json!({"addr": "10.0.0.5:8080", "metadata": {"version": "1.2"}})),
        )
        .await
        .expect(201);
    let id = reg.body["id"].as_str().unwrap().to_owned();
    let one = format!("{REGS}/{id}");
    assert_eq!(reg.headers[header::LOCATION], one.as_str());
    assert_eq!(
        (
            &reg.body["service"],
            &reg.body["addr"],
            &reg.body["weight"],
            &reg.body["ttl"],
            &reg.body["ttl_ms"],
            &reg.body["expires_at_ms"],
        ),
        (
            &json!("api"),
            &json!("10.0.0.5:8080"),
            &json!(1),
            &json!("30s"),
            &json!(30_000),
            &json!(START_MS + 30_000)
        )
    );
    assert_eq!(reg.body["metadata"], json!({"version": "1.2"}));

    // Registering the same address again renews it: 200, same id.
    let again = api
        .call(
            Method::POST,
            REGS,
            r.clone(),
            Some(json!({"addr": "10.0.0.5:8080", "weight": 3, "ttl": 10})),
        )
        .await
        .expect(200);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(
        (&again.body["weight"], &again.body["ttl"]),
        (&json!(3), &json!("10s"))
    );
    // An admin may register too; the TTL as a duration string.
    let other = api
        .call(
            Method::POST,
            REGS,
            a.clone(),
            Some(json!({"addr": "[2001:db8::7]:8080", "ttl": "1m"})),
        )
        .await
        .expect(201);
    let other_id = other.body["id"].as_str().unwrap().to_owned();

    // Any role lists; the list carries the change sequence.
    for who in [&r, &v, &a] {
        let l = api
            .call(Method::GET, "/api/v1/registrations", who.clone(), None)
            .await
            .expect(200);
        assert_eq!(l.body["total"], 2, "{}", l.body);
        assert!(l.body["seq"].as_i64().unwrap() >= 3);
    }
    let l = api
        .call(Method::GET, REGS, v.clone(), None)
        .await
        .expect(200);
    let addrs: Vec<&str> = l.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["addr"].as_str().unwrap())
        .collect();
    assert_eq!(addrs, ["10.0.0.5:8080", "[2001:db8::7]:8080"]);
    let l = api
        .call(
            Method::GET,
            "/api/v1/registrations?service=nope",
            v.clone(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(l.body["total"], 0);
    let n = api
        .call(Method::GET, "/api/v1/nodes?service=api", v.clone(), None)
        .await
        .expect(200);
    assert_eq!(n.body["nodes"].as_array().unwrap().len(), 2);

    // Heartbeat: an empty body renews; fields change what they name.
    api.advance(Duration::from_secs(8));
    let hb = api
        .call(Method::PUT, &one, r.clone(), None)
        .await
        .expect(200);
    assert_eq!(hb.body["expires_at_ms"], START_MS + 18_000);
    assert_eq!(hb.body["weight"], 3);
    let hb = api
        .call(
            Method::PUT,
            &one,
            r.clone(),
            Some(json!({"weight": 5, "ttl": "20s"})),
        )
        .await
        .expect(200);
    assert_eq!(
        (&hb.body["weight"], &hb.body["expires_at_ms"]),
        (&json!(5), &json!(START_MS + 28_000))
    );
    assert_eq!(hb.body["metadata"], json!({}), "register replaced metadata");

    // No configuration revision for any of it.
    assert_eq!(api.store.revision().await.unwrap(), revision);

    // Expiry: past its TTL an instance is gone; its heartbeat is 404 and it
    // must register again (a new id).
    api.advance(Duration::from_secs(21));
    let l = api
        .call(Method::GET, REGS, v.clone(), None)
        .await
        .expect(200);
    assert_eq!(l.body["total"], 1);
    assert_eq!(l.body["items"][0]["id"], other_id.as_str());
    let gone = api
        .call(Method::PUT, &one, r.clone(), None)
        .await
        .expect(404);
    assert_eq!(gone.code(), "not_found");
    let back = api
        .call(
            Method::POST,
            REGS,
            r.clone(),
            Some(json!({"addr": "10.0.0.5:8080"})),
        )
        .await
        .expect(201);
    let back_id = back.body["id"].as_str().unwrap().to_owned();
    assert_ne!(back_id, id);

    // Deregister: 204, then 404; the wrong service in the path is 404.
    api.call(
        Method::DELETE,
        &format!("/api/v1/services/web/registrations/{back_id}"),
        r.clone(),
        None,
    )
    .await
    .expect(404);
    api.call(
        Method::DELETE,
        &format!("{REGS}/{back_id}"),
        r.clone(),
        None,
    )
    .await
    .expect(204);
    api.call(
        Method::DELETE,
        &format!("{REGS}/{back_id}"),
        r.clone(),
        None,
    )
    .await
    .expect(404);

    // Audited: registrations and deregistrations, never heartbeats or
    // renewals.
    let audit = api
        .call(Method::GET, "/api/v1/audit?page_size=100", a.clone(), None)
        .await
        .expect(200);
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("registration."))
        .collect();
    assert_eq!(
        actions,
        [
            "registration.deregister",
            "registration.register",
            "registration.register",
            "registration.register"
        ]
    );
    assert_eq!(
        audit.body["items"][0]["target"],
        "registration/api/10.0.0.5:8080"
    );
    assert_eq!(audit.body["items"][0]["actor"], "registrar-bot");
}

#[tokio::test]
async fn registrations_are_validated() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let a = Auth::Bearer(&admin);
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(registering_service("api", "/api/")),
    )
    .await
    .expect(201);
    let post = |body: serde_json::Value| api.call(Method::POST, REGS, a.clone(), Some(body));
    for (body, path) in [
        (json!({"addr": "api.internal:80"}), "addr"),
        (json!({"addr": "10.0.0.1"}), "addr"),
        (json!({"addr": "0.0.0.0:80"}), "addr"),
        (json!({"addr": "10.0.0.1:80", "ttl": "500ms"}), "ttl"),
        (json!({"addr": "10.0.0.1:80", "ttl": 7200}), "ttl"),
        (json!({"addr": "10.0.0.1:80", "ttl": "soon"}), "ttl"),
        (json!({"addr": "10.0.0.1:80", "weight": 0}), "weight"),
        (json!({"addr": "10.0.0.1:80", "weight": "heavy"}), "weight"),
        (
            json!({"addr": "10.0.0.1:80", "metadata": {"k": 1}}),
            "metadata.k",
        ),
        (json!({"addr": "10.0.0.1:80", "colour": "red"}), "colour"),
        (json!({"weight": 2}), ""),
    ] {
        let r = post(body.clone()).await.expect(422);
        assert_eq!(r.paths(), [path], "{body}");
    }
    let r = api
        .call(
            Method::POST,
            "/api/v1/services/nope/registrations",
            a.clone(),
            Some(json!({"addr": "10.0.0.1:80"})),
        )
        .await
        .expect(404);
    assert!(r.body["detail"].as_str().unwrap().contains("nope"));
    api.call(
        Method::GET,
        "/api/v1/services/nope/registrations",
        a.clone(),
        None,
    )
    .await
    .expect(404);
    api.call(Method::PUT, &format!("{REGS}/nope"), a.clone(), None)
        .await
        .expect(404);
    let reg = post(json!({"addr": "10.0.0.1:80"})).await.expect(201);
    let one = format!("{REGS}/{}", reg.body["id"].as_str().unwrap());
    let r = api
        .call(Method::PUT, &one, a.clone(), Some(json!({"ttl": 0})))
        .await
        .expect(422);
    assert_eq!(r.paths(), ["ttl"]);
    let r = api
        .call(
            Method::PUT,
            &one,
            a.clone(),
            Some(json!({"weight": 2_000_000})),
        )
        .await
        .expect(422);
    assert_eq!(r.paths(), ["weight"]);
    api.call(Method::POST, REGS, a.clone(), None)
        .await
        .expect(415);
}

#[tokio::test]
async fn the_registrar_role_may_only_register() {
    let api = Api::new().await;
    let admin = api.token("admin").await;
    let registrar = api.token("registrar").await;
    let viewer = api.token("viewer").await;
    let (a, r, v) = (
        Auth::Bearer(&admin),
        Auth::Bearer(&registrar),
        Auth::Bearer(&viewer),
    );
    api.call(
        Method::POST,
        "/api/v1/services",
        a.clone(),
        Some(registering_service("api", "/api/")),
    )
    .await
    .expect(201);

    // Nothing but the registration endpoints: not even reads, nor "who am I".
    for (method, uri) in [
        (Method::GET, "/api/v1/services"),
        (Method::GET, "/api/v1/services/api"),
        (Method::GET, "/api/v1/config"),
        (Method::GET, "/api/v1/tenants"),
        (Method::GET, "/api/v1/certificates"),
        (Method::GET, "/api/v1/revisions"),
        (Method::GET, "/api/v1/stats/summary"),
        (Method::GET, "/api/v1/listeners"),
        (Method::GET, "/api/v1/session"),
        (Method::GET, "/api/v1/tokens"),
        (Method::POST, "/api/v1/explain"),
    ] {
        let res = api
            .call(method.clone(), uri, r.clone(), Some(json!({})))
            .await;
        assert_eq!(res.status, 403, "{method} {uri}: {}", res.body);
        assert!(
            res.body["detail"].as_str().unwrap().contains("registrar"),
            "{}",
            res.body
        );
    }
    let res = api
        .call(
            Method::POST,
            "/api/v1/services",
            r.clone(),
            Some(service("x", "/x/")),
        )
        .await
        .expect(403);
    assert_eq!(res.code(), "forbidden");

    // Viewers read registrations but may not register.
    api.call(Method::GET, REGS, v.clone(), None)
        .await
        .expect(200);
    api.call(
        Method::POST,
        REGS,
        v.clone(),
        Some(json!({"addr": "10.0.0.1:80"})),
    )
    .await
    .expect(403);
    api.call(Method::GET, REGS, Auth::None, None)
        .await
        .expect(401);
    api.call(
        Method::POST,
        REGS,
        Auth::None,
        Some(json!({"addr": "10.0.0.1:80"})),
    )
    .await
    .expect(401);

    // Admins create registrar tokens; users cannot have that role.
    let t = api
        .call(
            Method::POST,
            "/api/v1/tokens",
            a.clone(),
            Some(json!({"name": "instances", "role": "registrar", "services": ["api"]})),
        )
        .await
        .expect(201);
    assert_eq!(t.body["role"], "registrar");
    let secret = t.body["secret"].as_str().unwrap().to_owned();
    api.call(
        Method::POST,
        REGS,
        Auth::Bearer(&secret),
        Some(json!({"addr": "10.0.0.2:80"})),
    )
    .await
    .expect(201);
    let u = api
        .call(
            Method::POST,
            "/api/v1/users",
            a.clone(),
            Some(json!({"username": "bob", "role": "registrar", "password": "a long password 1"})),
        )
        .await
        .expect(422);
    assert_eq!(u.paths(), ["role"]);
}

#[tokio::test]
async fn listeners_report_their_state() {
    let api = Api::new().await;
    let viewer = api.token("viewer").await;
    let r = api
        .call(
            Method::GET,
            "/api/v1/listeners",
            Auth::Bearer(&viewer),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["available"], true);
    assert_eq!(
        r.body["listeners"][1],
        json!({"service": "rpc", "kind": "grpc", "port": 50051, "state": "failed",
               "error": "address already in use", "since": 1_700_000_001})
    );
    assert_eq!(r.body["listeners"][0]["state"], "listening");
    api.call(Method::GET, "/api/v1/listeners", Auth::None, None)
        .await
        .expect(401);
}
