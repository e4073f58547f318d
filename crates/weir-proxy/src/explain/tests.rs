//! Explain's texts: each verdict's English, code and parameters agree.

use super::*;

fn plane(yaml: &str) -> DataPlane {
    let plane = DataPlane::new();
    let doc = weir_core::yaml::parse_document(yaml).unwrap();
    plane.install(1, &doc).unwrap();
    plane
}

fn input(path: &str, client_ip: &str) -> ExplainInput {
    ExplainInput {
        method: "GET".into(),
        host: Some("api.example.com".into()),
        path: path.into(),
        headers: Vec::new(),
        client_ip: client_ip.into(),
        https: false,
    }
}

fn policy<'a>(e: &'a Explanation, name: &str) -> &'a PolicyVerdict {
    e.policies.iter().find(|p| p.policy == name).unwrap()
}

const YAML: &str = r#"services:
  - name: walled
    match: { host: api.example.com, prefix: /walled/ }
    access: { ip_deny: { ips: ["192.0.2.0/24"] } }
    max_body_bytes: 1024
    upstream: { nodes: [{ addr: "127.0.0.1:9" }, { addr: "127.0.0.1:10" }] }
"#;

#[tokio::test]
async fn refusals_carry_codes_and_named_parameters() {
    let plane = plane(YAML);
    let out = explain(&plane, &input("/walled/x", "192.0.2.7")).unwrap();

    let route = out.route.as_ref().unwrap();
    assert_eq!(route.reason_code, "route_host_prefix");
    assert_eq!(route.reason_params["host"], "api.example.com");
    assert_eq!(route.reason_params["request_host"], "api.example.com");
    assert_eq!(route.reason_params["prefix"], "/walled/");
    assert_eq!(
        route.reason,
        "host api.example.com matches \"api.example.com\"; longest matching prefix /walled/"
    );

    let deny = policy(&out, "ip_deny");
    assert_eq!(
        (deny.outcome, deny.detail_code.as_str()),
        (PolicyOutcome::Reject, "on_deny_list")
    );
    assert_eq!(deny.detail_params["client"], "192.0.2.7");
    assert_eq!(deny.detail, "192.0.2.7 is on the deny list");
    let allow = policy(&out, "ip_allow");
    assert_eq!(allow.detail_code, "no_allow_list");
    assert!(allow.detail_params.is_empty());

    let rejection = out.rejection.as_ref().unwrap();
    assert_eq!(
        (rejection.status, rejection.code.as_str()),
        (403, "ip_denied")
    );
    assert_eq!(rejection.detail_code, "refused_denied");
    assert_eq!(rejection.detail, "on the deny list");
}

#[tokio::test]
async fn limits_and_balancer_say_what_they_depend_on() {
    let plane = plane(YAML);
    let mut req = input("/walled/x", "198.51.100.1");
    req.headers.push(("content-length".into(), "2048".into()));
    let out = explain(&plane, &req).unwrap();
    let body = policy(&out, "max_body_bytes");
    assert_eq!(body.detail_code, "body_over_limit");
    assert_eq!(body.detail_params["len"], "2048");
    assert_eq!(body.detail_params["max"], "1024");
    assert_eq!(
        body.detail,
        "Content-Length 2048 is over the limit of 1024 bytes"
    );
    assert_eq!(
        out.rejection.as_ref().unwrap().detail_code,
        "body_too_large"
    );

    let out = explain(&plane, &input("/walled/x", "198.51.100.1")).unwrap();
    assert_eq!(out.verdict, ExplainVerdict::Forward);
    let balancer = out.balancer.as_ref().unwrap();
    assert_eq!(balancer.detail_code, "next_in_rotation");
    assert_eq!(
        balancer.detail,
        "next in rotation; each request moves the rotation"
    );
    assert_eq!(policy(&out, "service_qps").detail_code, "unlimited");
}

#[tokio::test]
async fn no_route_and_normalised_paths_name_what_they_saw() {
    let plane = plane(YAML);
    let out = explain(&plane, &input("/elsewhere/../x", "198.51.100.1")).unwrap();
    let path = policy(&out, "path");
    assert_eq!(path.detail_code, "path_normalized");
    assert_eq!(path.detail_params["from"], "/elsewhere/../x");
    assert_eq!(path.detail_params["to"], "/x");
    let routing = policy(&out, "routing");
    assert_eq!(routing.detail_code, "no_service_for");
    assert_eq!(routing.detail_params["path"], "/x");
    assert_eq!(routing.detail_params["host"], "api.example.com");
    assert_eq!(
        routing.detail,
        "no service matches host \"api.example.com\" and path \"/x\""
    );

    let mut twice = input("/walled/x", "198.51.100.1");
    twice.headers.push(("host".into(), "a.test".into()));
    twice.headers.push(("host".into(), "b.test".into()));
    twice.host = None;
    let out = explain(&plane, &twice).unwrap();
    assert_eq!(policy(&out, "host").detail_code, "host_several");
    assert_eq!(
        out.rejection.as_ref().unwrap().detail,
        "bad request: more than one Host header"
    );
}

#[test]
fn texts_serialise_as_code_params_and_message() {
    let t = ExplainText::OnAllowList {
        client: "203.0.113.7".into(),
    };
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        serde_json::json!({
            "code": "on_allow_list",
            "params": {"client": "203.0.113.7"},
            "message": "203.0.113.7 is on the allow list",
        })
    );
}

#[tokio::test]
async fn compression_names_the_coding_the_request_gets() {
    let plane = plane(
        r#"services:
  - name: squeezed
    match: { prefix: /z/ }
    compression: { algorithms: [zstd, gzip], content_types: [text/*] }
    upstream: { nodes: [{ addr: "127.0.0.1:9" }] }
  - name: plain
    match: { prefix: /p/ }
    websocket: true
    upstream: { nodes: [{ addr: "127.0.0.1:9" }] }
"#,
    );
    let ask = |path: &str, method: &str, accept: Option<&str>| {
        let mut i = input(path, "203.0.113.1");
        i.method = method.into();
        if let Some(a) = accept {
            i.headers.push(("accept-encoding".into(), a.into()));
        }
        explain(&plane, &i).unwrap().compression.unwrap()
    };
    let c = ask("/z/a", "GET", Some("gzip, zstd;q=0.5"));
    assert!(c.configured);
    assert_eq!(c.encoding.as_deref(), Some("gzip"));
    assert_eq!(c.algorithms, ["zstd", "gzip"]);
    assert_eq!(c.detail_code, "compression_depends");
    assert_eq!(c.detail_params["content_types"], "text/*");
    assert_eq!(c.detail_params["min_size"], "1024");
    assert!(
        c.detail.starts_with("gzip if the answer qualifies"),
        "{}",
        c.detail
    );
    assert_eq!(
        ask("/z/a", "GET", Some("br, gzip, zstd"))
            .encoding
            .as_deref(),
        Some("zstd")
    );

    for (method, accept, code) in [
        ("GET", None, "compression_no_field"),
        ("GET", Some("br"), "compression_not_accepted"),
        (
            "GET",
            Some("identity, gzip;q=0.5"),
            "compression_not_accepted",
        ),
        ("HEAD", Some("gzip"), "compression_head"),
    ] {
        let c = ask("/z/a", method, accept);
        assert_eq!(
            (c.encoding, c.detail_code.as_str()),
            (None, code),
            "{method} {accept:?}"
        );
    }
    let off = ask("/p/a", "GET", Some("gzip"));
    assert!(!off.configured);
    assert_eq!(
        (off.encoding, off.detail_code.as_str()),
        (None, "compression_off")
    );
    assert!(off.algorithms.is_empty());
}

const CORS_YAML: &str = r#"services:
  - name: app
    match: { prefix: /app/ }
    cors:
      allow_origins: ["https://app.example.com"]
      allow_methods: [GET, PUT]
      allow_headers: [Content-Type]
      max_age: 10m
    access:
      auth: { enabled: true }
      ip_deny: { ips: ["192.0.2.0/24"] }
    upstream: { nodes: [{ addr: "127.0.0.1:9" }] }
  - name: plain
    match: { prefix: /plain/ }
    upstream: { nodes: [{ addr: "127.0.0.1:9" }] }
"#;

fn cors_input(method: &str, path: &str, headers: &[(&str, &str)]) -> ExplainInput {
    ExplainInput {
        method: method.into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        ..input(path, "198.51.100.1")
    }
}

fn header_list(r: &CorsReport) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect()
}

#[tokio::test]
async fn a_preflight_is_answered_by_the_gateway_after_the_ip_rules_only() {
    let plane = plane(CORS_YAML);
    let asked = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "content-type"),
    ];
    let out = explain(&plane, &cors_input("OPTIONS", "/app/x", &asked)).unwrap();
    let cors = out.cors.as_ref().unwrap();
    assert_eq!(cors.outcome, CorsOutcome::PreflightAllowed);
    assert_eq!(cors.detail_code, "cors_preflight_allowed");
    assert_eq!(cors.detail_params["method"], "PUT");
    assert_eq!(
        header_list(cors),
        [
            (
                "vary",
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            ),
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "GET, PUT"),
            ("access-control-allow-headers", "content-type"),
            ("access-control-max-age", "600"),
        ]
    );
    let rejection = out.rejection.as_ref().unwrap();
    assert_eq!(
        (rejection.status, rejection.code.as_str()),
        (204, "cors_preflight")
    );
    assert_eq!(rejection.detail_code, "cors_preflight_answer");
    // The IP rules are said; authentication and limits are not run.
    let names: Vec<&str> = out.policies.iter().map(|p| p.policy.as_str()).collect();
    assert_eq!(names, ["routing", "ip_allow", "ip_deny"]);
    assert!(out.upstream_request.is_none() && out.balancer.is_none());

    // Refused: 204 without the allow fields, saying which part.
    let mut other = asked;
    other[1].1 = "DELETE";
    let out = explain(&plane, &cors_input("OPTIONS", "/app/x", &other)).unwrap();
    let cors = out.cors.as_ref().unwrap();
    assert_eq!(
        (cors.outcome, cors.detail_code.as_str()),
        (
            CorsOutcome::PreflightRefused,
            "cors_preflight_method_refused"
        )
    );
    assert_eq!(header_list(cors).len(), 1);
    assert_eq!(out.rejection.as_ref().unwrap().status, 204);

    // The deny list refuses a preflight; its 403 carries no CORS field.
    let mut denied = cors_input("OPTIONS", "/app/x", &asked);
    denied.client_ip = "192.0.2.7".into();
    let out = explain(&plane, &denied).unwrap();
    assert_eq!(out.rejection.as_ref().unwrap().code, "ip_denied");
    assert!(out.cors.as_ref().unwrap().headers.is_empty());
}

#[tokio::test]
async fn actual_requests_report_the_origin_and_the_fields_of_the_answer() {
    let plane = plane(CORS_YAML);
    let from = |origin| [("origin", origin)];
    let out = explain(
        &plane,
        &cors_input("GET", "/app/x", &from("https://app.example.com")),
    )
    .unwrap();
    let cors = out.cors.as_ref().unwrap();
    assert_eq!(cors.outcome, CorsOutcome::OriginAllowed);
    assert_eq!(cors.detail_params["origin"], "https://app.example.com");
    assert_eq!(
        header_list(cors),
        [
            ("vary", "Origin"),
            ("access-control-allow-origin", "https://app.example.com"),
        ]
    );
    // Authentication still applies to it (and its 401 carries the fields).
    assert_eq!(out.rejection.as_ref().unwrap().code, "unauthenticated");

    let out = explain(
        &plane,
        &cors_input("GET", "/app/x", &from("https://evil.test")),
    )
    .unwrap();
    let cors = out.cors.as_ref().unwrap();
    assert_eq!(
        (cors.outcome, cors.detail_code.as_str()),
        (CorsOutcome::OriginNotAllowed, "cors_origin_not_allowed")
    );
    assert_eq!(header_list(cors), [("vary", "Origin")]);

    let out = explain(&plane, &cors_input("GET", "/app/x", &[])).unwrap();
    assert_eq!(out.cors.as_ref().unwrap().detail_code, "cors_no_origin");
    let out = explain(
        &plane,
        &cors_input("GET", "/plain/x", &from("https://app.example.com")),
    )
    .unwrap();
    let cors = out.cors.as_ref().unwrap();
    assert_eq!(
        (cors.outcome, cors.detail_code.as_str()),
        (CorsOutcome::None, "cors_off")
    );
    let out = explain(&plane, &cors_input("GET", "/nothing", &[])).unwrap();
    assert!(out.cors.is_none());
}
