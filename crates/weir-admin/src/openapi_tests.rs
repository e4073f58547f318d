//! The OpenAPI document is complete and consistent with the model.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::openapi::document;

fn doc() -> Value {
    serde_json::to_value(document()).unwrap()
}

/// Follow `$ref`s and collect every property path of a schema.
fn properties(doc: &Value, schema: &Value, prefix: &str, out: &mut BTreeSet<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        properties(
            doc,
            &doc["components"]["schemas"][name],
            prefix,
            out,
            depth + 1,
        );
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            for s in list {
                properties(doc, s, prefix, out, depth + 1);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        properties(doc, items, &format!("{prefix}[]"), out, depth + 1);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.insert(p.clone());
            properties(doc, v, &p, out, depth + 1);
        }
    }
}

/// Every key path of a JSON value.
fn keys(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                keys(v, &p, out);
            }
        }
        Value::Array(a) => {
            for v in a {
                keys(v, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn model_fields_are_documented() {
    // A service with every field set away from its default, so that the
    // model serialises every key it has.
    let full: weir_core::Service = serde_json::from_value(serde_json::json!({
        "name": "a", "kind": "http", "description": "d", "enabled": false,
        "port": 8001, "https_redirect": true,
        "match": {"prefix": "/a/", "host": "a.example.com"},
        "strip_prefix": true,
        "rewrite": [{"pattern": "^/x", "replacement": "/y"}],
        "request_headers": [{"op": "set", "name": "x-a", "value": "1"}],
        "websocket": true,
        "access": {"ip_allow": {"enabled": true, "ips": ["10.0.0.0/8"]},
                   "ip_deny": {"enabled": true, "ips": ["10.0.0.1"]},
                   "auth": {"enabled": true, "allow_paths": ["/health"]}},
        "limits": {"service_qps": 1, "client_ip_qps": 1, "burst": 2, "max_connections": 9},
        "upstream": {"balance": "consistent_hash", "hash_key": "uri",
                     "nodes": [{"addr": "127.0.0.1:1", "weight": 2, "enabled": false},
                               {"addr": "_http._tcp.api.internal"}],
                     "tls": {"ca": "x", "server_name": "s", "insecure_skip_verify": true},
                     "timeouts": {"connect": "1s", "response_header": "2s", "idle": "3s", "stream_idle": "4s"},
                     "max_idle_per_node": 3,
                     "health_check": {"type": "http", "interval": "1s", "timeout": "500ms",
                                      "healthy": 1, "unhealthy": 2, "path": "/healthz",
                                      "expect_status": "200", "host": "h", "grpc_service": "g"},
                     "outlier": {"consecutive_failures": 2, "base_ejection": "1s",
                                 "max_ejection": "10s", "max_ejected_percent": 30,
                                 "failure_statuses": [500]},
                     "fail_open": true,
                     "dns": {"min_ttl": "2s", "max_ttl": "1m"}},
        "registration": {"enabled": true, "allowed_cidrs": ["10.0.0.0/8"], "max_instances": 5}
    }))
    .expect("the example covers the current model; update it with the model");
    let mut model = BTreeSet::new();
    keys(&serde_json::to_value(&full).unwrap(), "", &mut model);
    let d = doc();
    let mut documented = BTreeSet::new();
    properties(
        &d,
        &d["components"]["schemas"]["Service"],
        "",
        &mut documented,
        0,
    );
    let missing: Vec<_> = model.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "model fields missing from schema::ServiceSchema: {missing:?}"
    );
    // `tls.enabled` is only ever serialised as the plain `false` (see
    // `upstream_tls_options_are_documented`).
    let extra: Vec<_> = documented
        .difference(&model)
        .filter(|p| *p != "upstream.tls.enabled")
        .collect();
    assert!(
        extra.is_empty(),
        "schema::ServiceSchema documents fields the model lacks: {extra:?}"
    );
}

#[test]
fn document_is_openapi_31_with_security_and_problem_defaults() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    let schemes = &d["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_token"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    let paths = d["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let default = &op["responses"]["default"]["content"]["application/problem+json"];
            assert!(
                default.is_object(),
                "{method} {path} lacks the problem default"
            );
        }
    }
    assert!(operations >= 45, "{operations} operations documented");
    // Every route the router serves is documented.
    for p in [
        "/api/v1/services/{name}",
        "/api/v1/revisions/{id}/rollback",
        "/api/v1/revisions/diff",
        "/api/v1/explain",
        "/api/v1/session/password",
        "/api/v1/tokens/{id}",
        "/api/v1/audit",
        "/api/v1/config",
        "/api/v1/certificates",
        "/api/v1/certificates/{name}",
        "/api/v1/services/{name}/registrations",
        "/api/v1/services/{name}/registrations/{id}",
        "/api/v1/registrations",
        "/api/v1/nodes",
        "/api/v1/listeners",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
}

#[test]
fn tenant_fields_are_documented() {
    let full: weir_core::Tenant = serde_json::from_value(serde_json::json!({
        "app_id": "a", "name": "n", "description": "d", "secret": "s3cret-s3cret",
        "enabled": false, "ip_allow": ["10.0.0.0/8"], "qps": 1, "qpd": 2
    }))
    .expect("the example covers the current model; update it with the model");
    let mut model = BTreeSet::new();
    keys(&serde_json::to_value(&full).unwrap(), "", &mut model);
    let d = doc();
    let mut documented = BTreeSet::new();
    properties(
        &d,
        &d["components"]["schemas"]["Tenant"],
        "",
        &mut documented,
        0,
    );
    assert_eq!(
        model, documented,
        "schema::TenantSchema and weir_core::Tenant differ"
    );
}

/// The TLS options object: serialised by the model only when some option
/// differs from plain `tls: true`, and `enabled` only when false.
#[test]
fn upstream_tls_options_are_documented() {
    let tls: weir_core::model::UpstreamTls = serde_json::from_value(serde_json::json!(
        {"enabled": false, "ca": "x", "server_name": "s", "insecure_skip_verify": true}
    ))
    .unwrap();
    // `enabled: false` serialises as the plain flag; an enabled one as options.
    assert_eq!(
        serde_json::to_value(&tls).unwrap(),
        serde_json::json!(false)
    );
    let on = weir_core::model::UpstreamTls {
        enabled: true,
        ..tls
    };
    let mut model = BTreeSet::new();
    keys(&serde_json::to_value(&on).unwrap(), "", &mut model);
    model.insert("enabled".into());
    let d = doc();
    let mut documented = BTreeSet::new();
    properties(
        &d,
        &d["components"]["schemas"]["UpstreamTlsOptions"],
        "",
        &mut documented,
        0,
    );
    assert_eq!(
        model, documented,
        "schema::UpstreamTlsOptionsSchema differs"
    );
}

#[test]
fn certificate_fields_are_documented() {
    let full: weir_core::model::Certificate = serde_json::from_value(serde_json::json!({
        "name": "c", "cert": "PEM", "key": "PEM", "default": true
    }))
    .expect("the example covers the current model; update it with the model");
    let mut model = BTreeSet::new();
    keys(&serde_json::to_value(&full).unwrap(), "", &mut model);
    let d = doc();
    let mut documented = BTreeSet::new();
    properties(
        &d,
        &d["components"]["schemas"]["Certificate"],
        "",
        &mut documented,
        0,
    );
    assert_eq!(
        model, documented,
        "schema::CertificateSchema and weir_core::Certificate differ"
    );
    // The key is write-only in the schema.
    assert_eq!(
        d["components"]["schemas"]["Certificate"]["properties"]["key"]["writeOnly"],
        true
    );
}

#[test]
fn config_document_kinds_are_documented() {
    let d = doc();
    let props = d["components"]["schemas"]["ConfigDocument"]["properties"]
        .as_object()
        .unwrap();
    for kind in weir_core::ResourceKind::ALL {
        assert!(
            props.contains_key(kind.document_key()),
            "ConfigDocument lacks {}",
            kind.document_key()
        );
    }
}
