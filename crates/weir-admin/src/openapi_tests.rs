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
    // model serialises every key it has (it leaves defaults out).
    let full: weir_core::Service = serde_json::from_value(serde_json::json!({
        "name": "a", "kind": "grpc", "description": "d", "enabled": false,
        "port": 8001, "https_redirect": true, "allow_encoded_slashes": true,
        "match": {"prefix": "/a/", "host": "a.example.com", "path": "/b", "path_regex": "/c",
                  "methods": ["GET"],
                  "headers": [{"name": "x", "exact": "1", "regex": "2", "present": true}],
                  "query": [{"name": "q", "exact": "1", "regex": "2", "present": true}]},
        "strip_prefix": true,
        "rewrite": [{"pattern": "^/x", "replacement": "/y"}],
        "request_headers": [{"op": "set", "name": "x-a", "value": "1"}],
        "response_headers": [{"op": "set", "name": "x-b", "value": "2"}],
        "cors": {"allow_origins": ["https://a.test"], "allow_methods": ["PUT"],
                 "allow_headers": ["x-c"], "expose_headers": ["x-d"],
                 "allow_credentials": true, "max_age": "10m"},
        "websocket": true, "max_body_bytes": 1048576,
        "compression": {"algorithms": ["gzip"], "min_size": 1, "content_types": ["text/html"],
                        "level": {"br": 1, "zstd": 1, "gzip": 9}},
        "access": {"ip_allow": {"enabled": false, "ips": ["10.0.0.0/8"]},
                   "ip_deny": {"enabled": false, "ips": ["10.0.0.1"]},
                   "auth": {"enabled": true, "allow_paths": ["/health"], "tenants": ["app-a"]}},
        "limits": {"service_qps": 1, "client_ip_qps": 1, "burst": 2, "max_connections": 9},
        "timeouts": {"connect": "1s", "response_header": "2s", "stream_idle": "3s"},
        "upstream": {"balance": "consistent_hash", "hash_key": "uri",
                     "nodes": [{"addr": "127.0.0.1:1", "weight": 2, "enabled": false},
                               {"addr": "_http._tcp.api.internal"}],
                     "tls": {"enabled": false, "ca": "x", "server_name": "s",
                             "insecure_skip_verify": true},
                     "timeouts": {"connect": "1s", "response_header": "2s", "idle": "3s", "stream_idle": "4s"},
                     "max_idle_per_node": 3,
                     "health_check": {"type": "http", "interval": "1s", "timeout": "500ms",
                                      "healthy": 1, "unhealthy": 2, "path": "/healthz",
                                      "expect_status": "200", "host": "h", "grpc_service": "g"},
                     "outlier": {"consecutive_failures": 2, "base_ejection": "1s",
                                 "max_ejection": "10s", "max_ejected_percent": 30,
                                 "failure_statuses": [500]},
                     "fail_open": true,
                     "retry": {"attempts": 3, "retry_on": ["5xx"], "statuses": [429],
                               "grpc_statuses": ["unavailable"], "per_try_timeout": "1s",
                               "backoff": {"base": "10ms", "max": "1s"},
                               "budget": {"percent": 50, "min_per_second": 1}},
                     "circuit_breaker": {"max_connections": 1, "max_pending": 2, "max_requests": 3},
                     "dns": {"min_ttl": "2s", "max_ttl": "1m"}},
        "mirror": {"service": "b", "percent": 10},
        "split": {"targets": [{"service": "b", "percent": 5}], "sticky": "cookie:s",
                  "force": [{"header": "x", "cookie": "c", "value": "1", "service": "b"}]},
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
    let extra: Vec<_> = documented.difference(&model).collect();
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
        "/api/v1/gateways",
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
/// is set (otherwise the plain `true`/`false`), and `enabled` only when
/// false.
#[test]
fn upstream_tls_options_are_documented() {
    let tls: weir_core::model::UpstreamTls = serde_json::from_value(serde_json::json!(
        {"enabled": false, "ca": "x", "server_name": "s", "insecure_skip_verify": true}
    ))
    .unwrap();
    let plain = weir_core::model::UpstreamTls {
        enabled: true,
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        serde_json::json!(true)
    );
    let mut model = BTreeSet::new();
    keys(&serde_json::to_value(&tls).unwrap(), "", &mut model);
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

/// The schema of `name` in components, following one `$ref`.
fn component<'a>(d: &'a Value, name: &str) -> &'a Value {
    &d["components"]["schemas"][name]
}

/// Whether a property schema lets `null` through.
fn allows_null(d: &Value, prop: &Value) -> bool {
    if let Some(r) = prop.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return allows_null(d, component(d, name));
    }
    match &prop["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => ["oneOf", "anyOf"].iter().any(|k| {
            prop[*k]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| allows_null(d, i)))
        }),
    }
}

/// For every property of `schema` (an object inside `base` at `pointer`):
/// the document says `null` is allowed exactly when the model takes it.
fn nullability_matches<M: serde::de::DeserializeOwned>(schema: &str, base: &Value, pointer: &str) {
    let d = doc();
    let props = component(&d, schema)["properties"].as_object().unwrap();
    for (name, prop) in props {
        let mut body = base.clone();
        body.pointer_mut(pointer).unwrap()[name] = Value::Null;
        let accepted = crate::extract::from_value::<M>(&body).is_ok();
        assert_eq!(
            allows_null(&d, prop),
            accepted,
            "{schema}.{name}: the document and the model disagree about null"
        );
    }
}

#[test]
fn null_is_documented_where_the_model_takes_it() {
    let service = serde_json::json!({
        "name": "a", "match": {"prefix": "/a/"},
        "upstream": {"nodes": [{"addr": "127.0.0.1:1"}],
                     "health_check": {}, "outlier": {}, "timeouts": {}, "dns": {},
                     "tls": {"ca": "x"}},
        "access": {"ip_allow": {}, "auth": {}}, "limits": {}, "timeouts": {},
        "request_headers": [{"op": "set", "name": "x", "value": "1"}],
        "cors": {"allow_origins": ["*"]}
    });
    type S = weir_core::Service;
    nullability_matches::<S>("Service", &service, "");
    nullability_matches::<S>("Upstream", &service, "/upstream");
    nullability_matches::<S>("UpstreamNode", &service, "/upstream/nodes/0");
    nullability_matches::<S>("ServiceMatch", &service, "/match");
    nullability_matches::<S>("HeaderOp", &service, "/request_headers/0");
    nullability_matches::<S>("ServiceAccess", &service, "/access");
    nullability_matches::<S>("IpList", &service, "/access/ip_allow");
    nullability_matches::<S>("AuthPolicy", &service, "/access/auth");
    nullability_matches::<S>("ServiceLimits", &service, "/limits");
    nullability_matches::<S>("HealthCheck", &service, "/upstream/health_check");
    nullability_matches::<S>("Outlier", &service, "/upstream/outlier");
    nullability_matches::<S>("UpstreamTimeouts", &service, "/upstream/timeouts");
    nullability_matches::<S>("RouteTimeouts", &service, "/timeouts");
    nullability_matches::<S>("DnsSettings", &service, "/upstream/dns");
    nullability_matches::<S>("UpstreamTlsOptions", &service, "/upstream/tls");
    nullability_matches::<S>("Cors", &service, "/cors");
    let tenant = serde_json::json!({"app_id": "a"});
    nullability_matches::<weir_core::Tenant>("Tenant", &tenant, "");
    let cert = serde_json::json!({"name": "c", "cert": "PEM"});
    nullability_matches::<weir_core::model::Certificate>("Certificate", &cert, "");
}

#[test]
fn bounds_come_from_the_validation_rules() {
    use weir_core::rules;
    let d = doc();
    let s = |name: &str| component(&d, name)["properties"].clone();
    assert_eq!(s("Service")["name"]["pattern"], rules::NAME_PATTERN);
    assert_eq!(s("Service")["name"]["maxLength"], rules::NAME_MAX_LEN);
    assert_eq!(s("Tenant")["app_id"]["pattern"], rules::NAME_PATTERN);
    assert_eq!(s("Certificate")["name"]["pattern"], rules::NAME_PATTERN);
    assert_eq!(s("CreateUser")["username"]["pattern"], rules::NAME_PATTERN);
    assert_eq!(s("UpstreamNode")["weight"]["maximum"], rules::MAX_WEIGHT);
    assert_eq!(
        s("Upstream")["max_idle_per_node"]["maximum"],
        rules::MAX_IDLE_PER_NODE
    );
    assert_eq!(
        s("HealthCheck")["healthy"]["maximum"],
        *rules::HEALTH_THRESHOLD.end()
    );
    assert_eq!(
        s("Tenant")["secret"]["minLength"],
        *rules::SECRET_LEN.start()
    );
    assert_eq!(
        component(&d, "Duration")["pattern"],
        rules::DURATION_PATTERN
    );
}

#[test]
fn request_objects_are_closed_and_if_match_has_its_format() {
    let d = doc();
    for name in [
        "Service",
        "Upstream",
        "UpstreamNode",
        "HealthCheck",
        "Tenant",
        "Certificate",
        "ConfigDocument",
        "CreateUser",
        "UpdateUser",
        "RotateRequest",
        "RollbackRequest",
    ] {
        assert_eq!(
            component(&d, name)["additionalProperties"],
            false,
            "{name} is open"
        );
    }
    let mut seen = 0;
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "If-Match" {
                    seen += 1;
                    assert_eq!(
                        p["schema"]["pattern"],
                        crate::extract::IF_MATCH_PATTERN,
                        "{method} {path}"
                    );
                }
            }
        }
    }
    assert!(seen >= 8, "{seen} If-Match parameters");
}

#[test]
fn operation_ids_are_unique_and_links_lead_somewhere() {
    let d = doc();
    let mut ids = BTreeSet::new();
    for item in d["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            }
        }
    }
    for l in crate::openapi::LINKS {
        let (method, path, status) = l.from;
        let links = &d["paths"][path][method]["responses"][status]["links"];
        let link = &links[l.name];
        assert!(
            link.is_object(),
            "{method} {path} {status} has no link {}",
            l.name
        );
        let target = crate::openapi::operation_id(l.to.0, l.to.1);
        assert!(
            ids.contains(&target),
            "link {} leads to {target}, not an operation",
            l.name
        );
        assert_eq!(link["operationId"], target);
    }
    // Creating a service leads to its update and deletion.
    let created = &d["paths"]["/api/v1/services"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        created["ReplaceService"]["parameters"]["header.If-Match"],
        "$response.header.ETag"
    );
}

/// A body that may be left out is optional in the document, and when sent
/// it is the object (the server refuses `null` like any other wrong type).
#[test]
fn optional_bodies_are_optional_objects() {
    let d = doc();
    for (method, path) in [
        ("post", "/api/v1/signing-keys/rotate"),
        ("post", "/api/v1/revisions/{id}/rollback"),
        ("put", "/api/v1/services/{name}/registrations/{id}"),
    ] {
        let body = &d["paths"][path][method]["requestBody"];
        assert_ne!(body["required"], true, "{method} {path}: {body}");
        let schema = &body["content"]["application/json"]["schema"];
        assert!(schema["$ref"].is_string(), "{method} {path}: {schema}");
    }
}

#[test]
fn cross_field_rules_are_in_the_document() {
    let d = doc();
    for name in [
        "Service",
        "Upstream",
        "HeaderOp",
        "ServiceMatch",
        "RouteFieldMatch",
        "SplitForce",
    ] {
        let rules = component(&d, name)["allOf"].as_array().cloned();
        assert!(
            rules.is_some_and(|r| r.iter().all(|r| r["if"].is_object())),
            "{name} lacks its if/then rules"
        );
    }
}

#[test]
fn problems_carry_codes_and_params() {
    let d = doc();
    let field = component(&d, "FieldProblem");
    let problem = component(&d, "Problem");
    for (schema, fields) in [
        (field, &["path", "code", "params", "message"][..]),
        (problem, &["code", "detail", "params", "errors"][..]),
    ] {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for f in fields {
            assert!(required.contains(f), "{f} not required in {schema}");
        }
    }
    assert_eq!(field["properties"]["params"]["type"], "object");
    assert_eq!(problem["properties"]["params"]["type"], "object");
}

/// Answers leave defaults out, so the schema says what each one is: every
/// field of the model's defaults table has its `default`, and every
/// optional field that cannot be `null` (the model holds a plain value)
/// is in the table — except objects, whose fields carry the defaults.
#[test]
fn every_defaulted_field_documents_its_default() {
    let mut api = document();
    assert_eq!(
        crate::openapi::model_defaults(&mut api),
        Vec::<String>::new(),
        "defaults with no documented property"
    );
    let d = doc();
    let mut missing = Vec::new();
    for name in ["Service", "Tenant", "Certificate"] {
        undocumented_defaults(&d, &d["components"]["schemas"][name], name, &mut missing, 0);
    }
    assert!(
        missing.is_empty(),
        "optional, not nullable, no default: {missing:?}"
    );
    let svc = &d["components"]["schemas"]["UpstreamTimeouts"]["properties"]["connect"];
    assert_eq!(svc["default"], "5s", "{svc}");
    let weight = &d["components"]["schemas"]["UpstreamNode"]["properties"]["weight"];
    assert_eq!(weight["default"], 1, "{weight}");
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

fn takes_null(doc: &Value, schema: &Value) -> bool {
    let s = resolve(doc, schema);
    let typed_null = match &s["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed_null
        || ["oneOf", "anyOf"].iter().any(|k| {
            s[k].as_array()
                .is_some_and(|items| items.iter().any(|i| takes_null(doc, i)))
        })
}

/// The object schemas `schema` is or holds (through `$ref`, `oneOf`, items).
fn objects<'a>(doc: &'a Value, schema: &'a Value, out: &mut Vec<&'a Value>) {
    let s = resolve(doc, schema);
    if s.get("properties").is_some() {
        out.push(s);
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        for item in s[k].as_array().into_iter().flatten() {
            objects(doc, item, out);
        }
    }
    if let Some(items) = s.get("items") {
        objects(doc, items, out);
    }
}

fn undocumented_defaults(
    doc: &Value,
    schema: &Value,
    path: &str,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    let mut found = Vec::new();
    objects(doc, schema, &mut found);
    for object in found {
        let required: Vec<&str> = object["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, property) in object["properties"].as_object().into_iter().flatten() {
            let p = format!("{path}.{key}");
            let mut inner = Vec::new();
            objects(doc, property, &mut inner);
            let plain_object = !inner.is_empty() && resolve(doc, property).get("oneOf").is_none();
            if !required.contains(&key.as_str())
                && !takes_null(doc, property)
                && property.get("default").is_none()
                && !plain_object
            {
                out.push(p.clone());
            }
            undocumented_defaults(doc, property, &p, out, depth + 1);
        }
    }
}

/// The dashboard fills in defaults from `web/src/api/defaults.json`; it is
/// the model's table. Run with `WEIR_BLESS=1` to write it after changing a
/// default.
#[test]
fn dashboard_defaults_are_the_models() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api/defaults.json");
    let want = weir_core::model::defaults::all();
    let text = format!("{}\n", serde_json::to_string_pretty(&want).unwrap());
    if std::env::var_os("WEIR_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == text,
        "{} is not the model's defaults table; run \
         `WEIR_BLESS=1 cargo test -p weir-admin --lib dashboard_defaults` to write it",
        path.display()
    );
}
