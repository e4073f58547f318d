use super::*;
use crate::model::Encoding;
use crate::yaml::parse_document;

fn doc(yaml: &str) -> ConfigDocument {
    parse_document(yaml).unwrap()
}

fn errors_of(yaml: &str) -> Vec<String> {
    match compile(&doc(yaml)) {
        Ok(_) => panic!("expected errors for:\n{yaml}"),
        Err(e) => e.errors.iter().map(ToString::to_string).collect(),
    }
}

/// The service a GET without headers or query goes to.
fn route<'c>(c: &'c CompiledConfig, host: Option<&str>, path: &str) -> Option<&'c CompiledService> {
    let headers = http::HeaderMap::new();
    c.route(&RouteRequest {
        host,
        path,
        query: None,
        method: &http::Method::GET,
        headers: &headers,
    })
}

fn assert_error(yaml: &str, path: &str, fragment: &str) {
    let errs = errors_of(yaml);
    assert!(
        errs.iter()
            .any(|e| e.starts_with(&format!("{path}:")) && e.contains(fragment)),
        "expected `{path}: ...{fragment}...` in {errs:#?}"
    );
}

const GOOD: &str = r#"
services:
  - name: user_api
    kind: http
    match: { prefix: /user/ }
    strip_prefix: true
    rewrite:
      - { pattern: "^/v1/(.*)", replacement: "/api/v1/$1" }
    request_headers:
      - { op: set, name: X-Gateway, value: weir }
      - { op: remove, name: X-Debug }
    upstream:
      balance: weighted_round_robin
      nodes:
        - { addr: "127.0.0.1:9001", weight: 50 }
        - { addr: "127.0.0.1:9002", weight: 100 }
      timeouts: { connect: 2s, response_header: 30s, idle: 90s }
      max_idle_per_node: 100
  - name: by_host
    match: { host: API.example.com }
    upstream:
      balance: consistent_hash
      hash_key: "header:X-User"
      nodes: [{ addr: "svc.internal:80" }]
"#;

#[test]
fn compiles_the_documented_example() {
    let c = compile(&doc(GOOD)).unwrap();
    assert_eq!(c.services.len(), 2);
    let user = route(&c, None, "/user/v1/x").unwrap();
    assert_eq!(&*user.name, "user_api");
    assert_eq!(user.rewrite_path("/user/v1/x"), "/api/v1/x");
    assert_eq!(user.upstream.connect_timeout.as_secs(), 2);
    let host = route(&c, Some("api.example.com:443"), "/").unwrap();
    assert_eq!(&*host.name, "by_host");
    assert_eq!(c.service("by_host").map(|s| &*s.name), Some("by_host"));
    assert!(route(&c, Some("other"), "/nope").is_none());
}

#[test]
fn strip_and_rewrite_keep_a_leading_slash() {
    let c = compile(&doc(r#"
services:
  - name: s
    match: { prefix: /gateway/test_service }
    strip_prefix: true
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
  - name: r
    match: { prefix: /r/ }
    rewrite:
      - { pattern: "^/r/(.*)", replacement: "$1" }
      - { pattern: "a", replacement: "b" }
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
"#))
    .unwrap();
    let s = c.service("s").unwrap();
    assert_eq!(s.rewrite_path("/gateway/test_service"), "/");
    assert_eq!(s.rewrite_path("/gateway/test_service/x"), "/x");
    assert_eq!(s.rewrite_path("/gateway/test_servicex"), "/x");
    let r = c.service("r").unwrap();
    // Rules apply in order, every match replaced.
    assert_eq!(r.rewrite_path("/r/aaa"), "/bbb");
}

#[test]
fn header_ops_apply_in_order() {
    let c = compile(&doc(r#"
services:
  - name: h
    match: { prefix: / }
    request_headers:
      - { op: add, name: X-A, value: "1" }
      - { op: add, name: X-A, value: "2" }
      - { op: edit, name: X-B, value: new }
      - { op: del, name: X-C }
    upstream: { nodes: [{ addr: "127.0.0.1:1" }] }
"#))
    .unwrap();
    let mut h = HeaderMap::new();
    h.insert("x-a", "0".parse().unwrap());
    h.insert("x-b", "old".parse().unwrap());
    h.insert("x-c", "gone".parse().unwrap());
    c.service("h").unwrap().apply_header_ops(&mut h);
    let a: Vec<_> = h
        .get_all("x-a")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(a, ["0", "1", "2"]);
    assert_eq!(h["x-b"], "new");
    assert!(h.get("x-c").is_none());
}

use http::HeaderMap;

#[test]
fn field_named_errors() {
    let base = |svc: &str| format!("services:\n{svc}");
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, rewrite: [{ pattern: \"(\", replacement: x }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].rewrite[0].pattern",
        "invalid regular expression",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, rewrite: [{ pattern: \"(x)\", replacement: \"$1abc\" }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].rewrite[0].replacement",
        "write ${1}abc",
    );
    assert_error(
        &base("  - { name: a, match: { prefix: /a }, upstream: { nodes: [] } }"),
        "services[0].upstream.nodes",
        "at least one node",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, upstream: { balance: weighted_round_robin, nodes: [{ addr: \"127.0.0.1:1\", weight: 0 }] } }",
        ),
        "services[0].upstream.nodes[0].weight",
        "at least 1",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, upstream: { nodes: [{ addr: \"127.0.0.1\" }] } }",
        ),
        "services[0].upstream.nodes[0].addr",
        "no port",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }, { addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].upstream.nodes[1].addr",
        "listed twice",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: a }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].match.prefix",
        "start with '/'",
    );
    assert_error(
        &base("  - { name: a, match: {}, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }"),
        "services[0].match",
        "needs a host, a path (prefix, path or path_regex) or a condition",
    );
    assert_error(
        &base(
            "  - { name: a, match: { host: \"a.com:80\" }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].match.host",
        "without a port",
    );
    assert_error(
        &base(
            "  - { name: a, match: { host: a.com }, strip_prefix: true, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].strip_prefix",
        "needs match.prefix",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, request_headers: [{ op: set, name: Content-Length, value: \"1\" }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].request_headers[0].name",
        "managed by the gateway",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, request_headers: [{ op: add, name: X-A }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].request_headers[0].value",
        "required",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, upstream: { hash_key: uri, nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].upstream.hash_key",
        "consistent_hash",
    );
    assert_error(
        &base(
            "  - { name: a, match: { prefix: /a }, upstream: { timeouts: { connect: 0s }, nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].upstream.timeouts.connect",
        "greater than 0",
    );
    assert_error(
        &base(
            "  - { name: \"bad name\", match: { prefix: /a }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        ),
        "services[0].name",
        "may only contain",
    );
}

#[test]
fn duplicates_are_reported_against_the_first() {
    let y = r#"
services:
  - { name: a, match: { prefix: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: a, match: { prefix: /y/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: b, match: { prefix: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: c, match: { prefix: /x/ }, enabled: false, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
"#;
    assert_error(y, "services[1].name", "already the name of services[0]");
    let errs = errors_of(y);
    let route_errs: Vec<_> = errs
        .iter()
        .filter(|e| e.contains("route prefix /x/"))
        .collect();
    // b collides with a; the disabled c does not count.
    assert_eq!(route_errs.len(), 1, "{errs:#?}");
}

#[test]
fn all_errors_reported_at_once() {
    let errs = errors_of(
        r#"
services:
  - { name: a, match: { prefix: x }, upstream: { nodes: [] } }
  - { name: b, match: { prefix: /b }, upstream: { nodes: [{ addr: nope }] } }
"#,
    );
    assert_eq!(errs.len(), 3, "{errs:#?}");
}

#[test]
fn route_lookup_scales_with_many_services() {
    let mut yaml = String::from("services:\n");
    for i in 0..10_000 {
        yaml.push_str(&format!(
            "  - {{ name: s{i}, match: {{ prefix: /svc{i}/, host: h{}.example.com }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }} }}\n",
            i % 100
        ));
    }
    let c = compile(&doc(&yaml)).unwrap();
    for i in (0..10_000).step_by(997) {
        let s = route(
            &c,
            Some(&format!("h{}.example.com", i % 100)),
            &format!("/svc{i}/x"),
        )
        .unwrap();
        assert_eq!(&*s.name, format!("s{i}"));
    }
}

/// Requests are matched on their normalised path, so prefixes and allowed
/// paths must be written in that form.
#[test]
fn prefixes_and_allowed_paths_must_be_normal() {
    let svc = |extra: &str| {
        format!(
            "services:\n  - {{ name: a, {extra}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }} }}"
        )
    };
    for (prefix, want) in [
        ("/api/./v1/", "write \"/api/v1/\""),
        ("//api/", "write \"/api/\""),
        ("/%61pi/", "write \"/api/\""),
        ("/a/../b", "write \"/b\""),
        ("/a%2fb/", "encoded slash"),
        ("/a%00/", "NUL"),
    ] {
        assert_error(
            &svc(&format!("match: {{ prefix: \"{prefix}\" }}")),
            "services[0].match.prefix",
            want,
        );
    }
    assert_error(
        &svc(
            r#"match: { prefix: / }, access: { auth: { enabled: true, allow_paths: ["/x/../health", "/ok", "//public/*"] } }"#,
        ),
        "services[0].access.auth.allow_paths[0]",
        "write \"/health\"",
    );
    assert_error(
        &svc(
            r#"match: { prefix: / }, access: { auth: { enabled: true, allow_paths: ["/ok", "//public/*"] } }"#,
        ),
        "services[0].access.auth.allow_paths[1]",
        "write \"/public/\"",
    );
    // With encoded slashes allowed, `%2F` is a normal form.
    compile(&doc(&svc(
        "match: { prefix: \"/pkg/a%2Fb/\" }, allow_encoded_slashes: true",
    )))
    .unwrap();
    assert_error(
        &svc("match: { prefix: \"/pkg/a%2fb/\" }, allow_encoded_slashes: true"),
        "services[0].match.prefix",
        "write \"/pkg/a%2Fb/\"",
    );
    assert_error(
        "services:\n  - { name: t, kind: tcp, port: 9000, allow_encoded_slashes: true, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        "services[0].allow_encoded_slashes",
        "does not apply",
    );
}

#[test]
fn max_body_bytes_is_per_service_and_zero_means_no_limit() {
    let c = compile(&doc(
        "services:\n  - name: capped\n    match: { prefix: /c/ }\n    max_body_bytes: 1048576\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n  - name: zero\n    match: { prefix: /z/ }\n    max_body_bytes: 0\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n  - name: absent\n    match: { prefix: /a/ }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    ))
    .unwrap();
    assert_eq!(c.service("capped").unwrap().max_body_bytes, Some(1_048_576));
    assert_eq!(c.service("zero").unwrap().max_body_bytes, None);
    assert_eq!(c.service("absent").unwrap().max_body_bytes, None);
    assert_error(
        "services:\n  - name: t\n    kind: tcp\n    port: 9000\n    max_body_bytes: 10\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].max_body_bytes",
        "does not apply to tcp services",
    );
    let errs = doc_errors(
        "services:\n  - name: n\n    match: { prefix: / }\n    max_body_bytes: -1\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    );
    assert!(errs.contains("max_body_bytes"), "{errs}");
}

/// The parse error of a document that does not even deserialise.
fn doc_errors(yaml: &str) -> String {
    match parse_document(yaml) {
        Ok(_) => panic!("expected a parse error for:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

/// What the admin API hands the dashboard to translate: each problem's code
/// and named parameters, with user data in the parameters only.
#[test]
fn errors_carry_codes_with_named_params() {
    let e = compile(&doc(r#"
services:
  - name: a
    match: { prefix: /a/ }
    upstream: { nodes: [{ addr: "10.0.0.1" }] }
  - name: b
    kind: tcp
    port: 9000
    websocket: true
    match: { prefix: /b/ }
    upstream: { nodes: [{ addr: "10.0.0.2:80" }] }
  - name: c
    match: { prefix: /a/ }
    rewrite: [{ pattern: "^/(x)", replacement: "$1y" }]
    upstream: { nodes: [{ addr: "10.0.0.3:80", weight: 2000000 }] }
"#))
    .unwrap_err();
    let find = |path: &str| {
        e.errors
            .iter()
            .find(|f| f.path == path)
            .map(|f| serde_json::to_value(f).unwrap())
            .unwrap_or_else(|| panic!("no {path} in {e}"))
    };
    let addr = find("services[0].upstream.nodes[0].addr");
    assert_eq!(addr["code"], "addr_no_port");
    assert_eq!(addr["params"], serde_json::json!({"addr": "10.0.0.1"}));
    // Reasons inside a sentence are messages of their own.
    let ws = find("services[1].websocket");
    assert_eq!(ws["code"], "not_for_kind");
    assert_eq!(ws["params"]["kind"], "tcp");
    assert_eq!(ws["params"]["why"]["code"], "why_tcp_bytes");
    let replacement = find("services[2].rewrite[0].replacement");
    assert_eq!(replacement["code"], "replacement_group_hint");
    assert_eq!(
        replacement["params"],
        serde_json::json!({"group": "1y", "digits": "1", "rest": "y"})
    );
    assert_eq!(
        replacement["message"],
        "refers to group \"1y\", which the pattern does not have \
         (to follow group 1 with text, write ${1}y)"
    );
    let weight = find("services[2].upstream.nodes[0].weight");
    assert_eq!(weight["code"], "at_most");
    assert_eq!(weight["params"]["max"], 1_000_000);
}

#[test]
fn a_route_taken_names_the_route_as_a_message() {
    let e = compile(&doc(r#"
services:
  - name: a
    match: { host: api.example.com, prefix: /x/ }
    upstream: { nodes: [{ addr: "10.0.0.1:80" }] }
  - name: b
    match: { host: api.example.com, prefix: /x/ }
    upstream: { nodes: [{ addr: "10.0.0.2:80" }] }
"#))
    .unwrap_err();
    let f = &e.errors[0];
    assert_eq!(f.code, "route_taken");
    assert_eq!(f.params["route"]["code"], "route_host_prefix");
    assert_eq!(f.params["route"]["params"]["prefix"], "/x/");
    assert_eq!(f.params["service"], "a");
    assert_eq!(
        f.message,
        "the route host api.example.com + prefix /x/ is already used by services[0] (\"a\")"
    );
}

#[test]
fn response_header_operations_are_validated_like_request_ones() {
    let c = compile(&doc(
        "services:\n  - name: web\n    match: { prefix: / }\n    response_headers:\n      - { op: set, name: X-Frame-Options, value: DENY }\n      - { op: add, name: X-Tag, value: blue }\n      - { op: remove, name: Server }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    ))
    .unwrap();
    let svc = c.service("web").unwrap();
    assert!(svc.header_ops.is_empty());
    let mut h = HeaderMap::new();
    h.insert("server", http::HeaderValue::from_static("nginx"));
    h.insert("x-tag", http::HeaderValue::from_static("red"));
    svc.apply_response_header_ops(&mut h);
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(
        h.get_all("x-tag").iter().collect::<Vec<_>>(),
        ["red", "blue"]
    );
    assert!(!h.contains_key("server"));
    assert_error(
        "services:\n  - { name: a, match: { prefix: /a }, response_headers: [{ op: set, name: Transfer-Encoding, value: chunked }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        "services[0].response_headers[0].name",
        "managed by the gateway",
    );
    assert_error(
        "services:\n  - { name: a, match: { prefix: /a }, response_headers: [{ op: remove, name: X-A, value: x }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        "services[0].response_headers[0].value",
        "",
    );
    assert_error(
        "services:\n  - { name: t, kind: tcp, port: 9000, response_headers: [{ op: remove, name: X-A }], upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
        "services[0].response_headers",
        "does not apply to tcp services",
    );
}

#[test]
fn match_paths_and_conditions_are_validated() {
    let svc = |m: &str, extra: &str| {
        format!(
            "services:\n  - {{ name: s, match: {m}, {extra} upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }} }}\n"
        )
    };
    assert_error(
        &svc("{ prefix: /a/, path: /a }", ""),
        "services[0].match",
        "at most one of prefix, path and path_regex",
    );
    assert_error(
        &svc("{ path: a }", ""),
        "services[0].match.path",
        "start with",
    );
    assert_error(
        &svc("{ path: /a/../b }", ""),
        "services[0].match.path",
        "not a normalised path",
    );
    assert_error(
        &svc("{ path_regex: \"(\" }", ""),
        "services[0].match.path_regex",
        "invalid regular expression",
    );
    assert_error(
        &svc("{ path: /a }", "strip_prefix: true,"),
        "services[0].strip_prefix",
        "needs match.prefix",
    );
    assert_error(
        &svc("{ methods: [get] }", ""),
        "services[0].match.methods[0]",
        "is not an HTTP method",
    );
    assert_error(
        &svc("{ query: [{ name: q }] }", ""),
        "services[0].match.query[0]",
        "exactly one of exact, regex and present",
    );
    assert_error(
        &svc("{ headers: [{ name: x, exact: \"a\\nb\" }] }", ""),
        "services[0].match.headers[0].exact",
        "not allowed in a header value",
    );
    let many: Vec<String> = (0..17)
        .map(|i| format!("{{ name: h{i}, present: true }}"))
        .collect();
    assert_error(
        &svc(&format!("{{ headers: [{}] }}", many.join(", ")), ""),
        "services[0].match.headers",
        "more than 16 entries",
    );
    // Conditions alone make a route (any host, any path).
    let c = compile(&doc(&svc("{ methods: [GET] }", ""))).unwrap();
    assert_eq!(route(&c, Some("x"), "/any").map(|s| &*s.name), Some("s"));
    assert!(c.services[0].route_conditions.is_some());
}

#[test]
fn same_route_different_conditions_are_distinct_routes() {
    let yaml = r#"
services:
  - { name: a, match: { prefix: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: b, match: { prefix: /x/, methods: [GET] }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: c, match: { prefix: /x/, methods: [GET] }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: d, match: { path: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
  - { name: e, match: { path_regex: /x/ }, upstream: { nodes: [{ addr: "127.0.0.1:1" }] } }
"#;
    let errs = errors_of(yaml);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].starts_with("services[2].match: the route prefix /x/ with methods GET is already used by services[1]"),
        "{}",
        errs[0]
    );
}

#[test]
fn compression_is_for_http_services_and_validated_by_field() {
    let c = compile(&doc(
        "services:\n  - name: on\n    match: { prefix: /on/ }\n    compression: {}\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n  - name: tuned\n    match: { prefix: /tuned/ }\n    compression:\n      algorithms: [gzip, zstd]\n      min_size: 0\n      content_types: [\"Application/JSON\", \"text/*\"]\n      level: { gzip: 6 }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n  - name: off\n    match: { prefix: /off/ }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    ))
    .unwrap();
    let on = c.service("on").unwrap().compression.as_ref().unwrap();
    assert_eq!(
        &*on.algorithms,
        [Encoding::Zstd, Encoding::Br, Encoding::Gzip]
    );
    assert_eq!(on.min_size, 1024);
    assert_eq!((on.level.br, on.level.zstd, on.level.gzip), (4, 3, 1));
    let tuned = c.service("tuned").unwrap().compression.as_ref().unwrap();
    assert_eq!(&*tuned.algorithms, [Encoding::Gzip, Encoding::Zstd]);
    assert_eq!(tuned.min_size, 0);
    assert_eq!(tuned.level_of(Encoding::Gzip), 6);
    assert_eq!(
        tuned.content_types[0],
        MediaRange::Exact {
            kind: "application".into(),
            subtype: "json".into()
        }
    );
    assert!(c.service("off").unwrap().compression.is_none());

    assert_error(
        "services:\n  - name: t\n    kind: tcp\n    port: 9000\n    compression: {}\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].compression",
        "does not apply to tcp services",
    );
    assert_error(
        "services:\n  - name: g\n    kind: grpc\n    port: 9000\n    compression: {}\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].compression",
        "does not apply to grpc services (gRPC compresses its messages itself",
    );
    assert_error(
        "services:\n  - name: w\n    match: { prefix: / }\n    compression: { algorithms: [gzip, gzip], content_types: [\"text/html;q=1\"] }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].compression.content_types[0]",
        "is not a media type to match",
    );
    assert_error(
        "services:\n  - name: w\n    match: { prefix: / }\n    compression: { algorithms: [gzip, gzip] }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].compression.algorithms[1]",
        "gzip is listed twice",
    );
    assert_error(
        "services:\n  - name: w\n    match: { prefix: / }\n    compression: { level: { zstd: 22 } }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
        "services[0].compression.level.zstd",
        "must be between 1 and 19",
    );
    let errs = doc_errors(
        "services:\n  - name: w\n    match: { prefix: / }\n    compression: { algorithms: [deflate] }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    );
    assert!(errs.contains("deflate"), "{errs}");
}

#[test]
fn splits_are_validated_and_resolved() {
    let yaml = |split: &str, canary_kind: &str| {
        format!(
            r#"services:
  - name: main
    match: {{ prefix: /m/ }}
    split: {split}
    upstream: {{ nodes: [{{ addr: "127.0.0.1:1" }}] }}
  - name: canary
    kind: {canary_kind}
    match: {{ prefix: /c/ }}
    upstream: {{ nodes: [{{ addr: "127.0.0.1:2" }}] }}
  - name: other
    match: {{ prefix: /o/ }}
    split: {{ targets: [{{ service: canary, percent: 1 }}] }}
    upstream: {{ nodes: [{{ addr: "127.0.0.1:3" }}] }}
"#
        )
    };
    let ok = yaml(
        r#"{ targets: [{ service: canary, percent: 5.5 }], sticky: "header:X-User", force: [{ cookie: beta, service: canary }, { header: X-Stable, service: main }] }"#,
        "http",
    );
    let c = compile(&doc(&ok)).unwrap();
    let main = c.service("main").unwrap().split.as_ref().unwrap();
    let canary = c
        .services
        .iter()
        .position(|s| &*s.name == "canary")
        .unwrap() as u32;
    assert_eq!(main.targets[0].index, canary);
    assert_eq!((main.targets[0].share, main.targets[0].upto), (550, 550));
    assert_eq!(main.force[0].index, Some(canary));
    assert_eq!(main.force[1].index, None, "the service's own upstream");

    let bad = |split: &str, path: &str, fragment: &str| {
        assert_error(&yaml(split, "http"), path, fragment);
    };
    bad(
        "{ targets: [] }",
        "services[0].split.targets",
        "at least one target",
    );
    bad(
        "{ targets: [{ service: canary, percent: 0 }] }",
        "services[0].split.targets[0].percent",
        "0.01 to 100",
    );
    bad(
        "{ targets: [{ service: canary, percent: 1.005 }] }",
        "services[0].split.targets[0].percent",
        "two decimals",
    );
    bad(
        "{ targets: [{ service: main, percent: 1 }] }",
        "services[0].split.targets[0].service",
        "the service itself",
    );
    bad(
        "{ targets: [{ service: nope, percent: 1 }] }",
        "services[0].split.targets[0].service",
        "no service \"nope\"",
    );
    bad(
        "{ targets: [{ service: other, percent: 1 }] }",
        "services[0].split.targets[0].service",
        "splits its own traffic",
    );
    bad(
        "{ targets: [{ service: canary, percent: 60 }, { service: canary, percent: 1 }] }",
        "services[0].split.targets[1].service",
        "listed twice",
    );
    bad(
        "{ targets: [{ service: canary, percent: 1 }], sticky: \"ip\" }",
        "services[0].split.sticky",
        "header:NAME or cookie:NAME",
    );
    bad(
        "{ targets: [{ service: canary, percent: 1 }], force: [{ service: canary }] }",
        "services[0].split.force[0]",
        "exactly one of header and cookie",
    );
    bad(
        "{ targets: [{ service: canary, percent: 1 }], force: [{ header: x, service: other }] }",
        "services[0].split.force[0].service",
        "neither a target",
    );
    assert_error(
        &yaml("{ targets: [{ service: canary, percent: 1 }] }", "grpc"),
        "services[0].split.targets[0].service",
        "is a grpc service",
    );
    let over = format!(
        "{}  - {{ name: c2, match: {{ prefix: /c2/ }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:4\" }}] }} }}\n",
        yaml(
            "{ targets: [{ service: canary, percent: 60 }, { service: c2, percent: 40.01 }] }",
            "http"
        )
    );
    assert_error(&over, "services[0].split.targets", "more than 100");
}
