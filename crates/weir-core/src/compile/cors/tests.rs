//! Origin normalisation and matching, the preflight check and the values
//! built once.

use super::*;
use crate::model::HumanDuration;

fn compiled(cors: Cors) -> CompiledCors {
    let mut errors = ValidationErrors::default();
    let c = compile_cors(&cors, "cors", &mut errors);
    assert!(errors.errors.is_empty(), "{errors:?}");
    c.unwrap()
}

fn origins(list: &[&str]) -> CompiledCors {
    compiled(Cors::new(list.iter().map(|s| (*s).to_owned()).collect()))
}

fn refused(cors: Cors) -> Vec<(String, String)> {
    let mut errors = ValidationErrors::default();
    assert!(compile_cors(&cors, "cors", &mut errors).is_none());
    errors
        .errors
        .iter()
        .map(|e| (e.path.clone(), e.message.to_string()))
        .collect()
}

#[test]
fn origins_are_normalised_once() {
    for (written, normal) in [
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM", "https://app.example.com"),
        ("https://app.example.com/", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://app.example.com:80", "https://app.example.com:80"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("https://*.Example.com", "https://*.example.com"),
        ("https://*.example.com:443", "https://*.example.com"),
        ("capacitor://localhost", "capacitor://localhost"),
        ("*", "*"),
    ] {
        assert_eq!(normalize_origin(written).unwrap(), normal, "{written}");
    }
    for bad in [
        "app.example.com",
        "null",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "https://user@app.example.com",
        "https://app.example.com:0",
        "https://app.example.com:65536",
        "https://app.example.com:+1",
        "https://app.example.com:",
        "https://",
        "https://a..b",
        "https://*.com",
        "https://a.*.example.com",
        "https://*example.com",
        "*://app.example.com",
        "https://*",
        "1https://a.example.com",
        "http://[not-v6]:80",
    ] {
        assert!(normalize_origin(bad).is_err(), "{bad}");
    }
}

#[test]
fn exact_origins_match_by_scheme_host_and_port() {
    let c = origins(&["https://app.example.com", "http://localhost:3000"]);
    assert!(c.allows_origin(b"https://app.example.com"));
    // Browsers serialise lower case without the default port; other
    // spellings of the same origin still match.
    assert!(c.allows_origin(b"https://APP.example.com"));
    assert!(c.allows_origin(b"https://app.example.com:443"));
    assert!(c.allows_origin(b"http://localhost:3000"));
    for other in [
        "http://app.example.com",
        "https://app.example.com:8443",
        "https://app.example.com.evil.com",
        "https://evilapp.example.com",
        "https://sub.app.example.com",
        "http://localhost",
        "http://localhost:3001",
        "null",
        "",
        "https://app.example.com/",
        "https://app.example.com/x",
    ] {
        assert!(!c.allows_origin(other.as_bytes()), "{other}");
    }
    assert!(!c.allows_origin(b"https://app.example.com\xff"));
}

#[test]
fn a_subdomain_wildcard_matches_subdomains_only() {
    let c = origins(&["https://*.example.com"]);
    assert!(c.allows_origin(b"https://a.example.com"));
    assert!(c.allows_origin(b"https://a.b.example.com"));
    assert!(c.allows_origin(b"https://A.Example.Com"));
    for other in [
        "https://example.com",
        "https://example.com.evil.com",
        "https://evilexample.com",
        "https://a.example.com.evil.com",
        "http://a.example.com",
        "https://a.example.com:8443",
        "https://.example.com",
        "https://a..example.com",
        "https://*.example.com",
        "https://a.example.com/",
    ] {
        assert!(!c.allows_origin(other.as_bytes()), "{other}");
    }
    let ported = origins(&["http://*.dev.test:8080"]);
    assert!(ported.allows_origin(b"http://x.dev.test:8080"));
    assert!(!ported.allows_origin(b"http://x.dev.test"));
}

#[test]
fn a_star_allows_every_origin() {
    let c = origins(&["*"]);
    assert!(c.any_origin());
    assert!(c.allows_origin(b"https://anything.test"));
    assert!(c.allows_origin(b"null"));
}

#[test]
fn the_preflight_checks_origin_method_and_each_header() {
    let c = compiled(Cors {
        allow_methods: vec!["GET".into(), "PUT".into()],
        allow_headers: vec!["Content-Type".into(), "X-Api-Key".into()],
        ..Cors::new(vec!["https://app.example.com".into()])
    });
    let o = b"https://app.example.com".as_slice();
    let none = std::iter::empty;
    assert_eq!(c.check_preflight(o, b"PUT", none()), Ok(()));
    assert_eq!(
        c.check_preflight(b"https://x.test", b"PUT", none()),
        Err(PreflightRefusal::Origin)
    );
    assert_eq!(
        c.check_preflight(o, b"DELETE", none()),
        Err(PreflightRefusal::Method)
    );
    // Methods are compared as written (as browsers do: `put` is not PUT).
    assert_eq!(
        c.check_preflight(o, b"put", none()),
        Err(PreflightRefusal::Method)
    );
    let asked = [b"content-type, X-API-KEY".as_slice()];
    assert_eq!(c.check_preflight(o, b"PUT", asked.into_iter()), Ok(()));
    let asked = [b"content-type,,x-other".as_slice()];
    assert_eq!(
        c.check_preflight(o, b"PUT", asked.into_iter()),
        Err(PreflightRefusal::Header("x-other"))
    );
    let asked = [b"content-type".as_slice(), b" x-api-key ".as_slice()];
    assert_eq!(c.check_preflight(o, b"PUT", asked.into_iter()), Ok(()));
    assert_eq!(
        c.allow_methods_value.as_ref().unwrap().as_bytes(),
        b"GET, PUT"
    );
    assert_eq!(
        c.allow_headers_value.as_ref().unwrap().as_bytes(),
        b"content-type, x-api-key"
    );
}

#[test]
fn stars_allow_any_method_and_header() {
    let c = compiled(Cors {
        allow_methods: vec!["*".into()],
        allow_headers: vec!["*".into()],
        expose_headers: vec!["*".into()],
        ..Cors::new(vec!["*".into()])
    });
    let asked = [b"x-anything, authorization".as_slice()];
    assert_eq!(
        c.check_preflight(b"https://a.test", b"PATCH", asked.into_iter()),
        Ok(())
    );
    // Not a method or a header name: refused, never echoed.
    assert_eq!(
        c.check_preflight(b"https://a.test", b"PA TCH", std::iter::empty()),
        Err(PreflightRefusal::Method)
    );
    let asked = [b"x-a, bad header".as_slice()];
    assert_eq!(
        c.check_preflight(b"https://a.test", b"GET", asked.into_iter()),
        Err(PreflightRefusal::Header("bad header"))
    );
    assert!(c.allow_methods_value.is_none() && c.allow_headers_value.is_none());
    assert_eq!(c.expose_headers_value.unwrap(), "*");
}

#[test]
fn defaults_and_precomputed_values() {
    let c = compiled(Cors {
        expose_headers: vec!["X-Total".into(), "ETag".into()],
        allow_credentials: true,
        max_age: Some(HumanDuration::from_secs(600)),
        ..Cors::new(vec!["https://app.example.com".into()])
    });
    assert_eq!(c.allow_methods_value.unwrap(), "GET, HEAD, POST");
    assert!(c.allow_headers_value.is_none());
    assert_eq!(c.expose_headers_value.unwrap(), "x-total, etag");
    assert_eq!(c.max_age_value.unwrap(), "600");
    assert!(c.allow_credentials);
}

#[test]
fn validation_names_the_field() {
    let base = || Cors::new(vec!["https://app.example.com".into()]);
    let got = refused(Cors::new(vec![]));
    assert_eq!(got[0].0, "cors.allow_origins");
    assert!(got[0].1.contains("at least one origin"), "{got:?}");

    let got = refused(Cors::new(vec!["https://a.test".into(), "app.test".into()]));
    assert_eq!(got[0].0, "cors.allow_origins[1]");
    assert!(got[0].1.contains("no scheme://"), "{got:?}");

    let got = refused(Cors::new(vec![
        "https://a.test".into(),
        "HTTPS://A.test:443/".into(),
    ]));
    assert_eq!(
        got,
        [(
            "cors.allow_origins[1]".into(),
            "https://a.test is listed twice".into()
        )]
    );

    let got = refused(Cors::new(vec!["*".into(), "https://a.test".into()]));
    assert_eq!(got[0].0, "cors.allow_origins");
    assert!(got[0].1.contains("list nothing else"), "{got:?}");

    let got = refused(Cors {
        allow_credentials: true,
        ..Cors::new(vec!["*".into()])
    });
    assert_eq!(got[0].0, "cors.allow_origins");
    assert!(got[0].1.contains("allow_credentials"), "{got:?}");

    let got = refused(Cors {
        allow_credentials: true,
        expose_headers: vec!["*".into()],
        ..base()
    });
    assert_eq!(got[0].0, "cors.expose_headers");

    let got = refused(Cors {
        allow_methods: vec!["GET".into(), "GE T".into(), "GET".into()],
        ..base()
    });
    assert_eq!(got[0].0, "cors.allow_methods[1]");
    assert!(got[0].1.contains("not an HTTP method"), "{got:?}");
    assert_eq!(got[1].0, "cors.allow_methods[2]");
    assert!(got[1].1.contains("listed twice"), "{got:?}");

    let got = refused(Cors {
        allow_methods: vec![],
        ..base()
    });
    assert_eq!(got[0].0, "cors.allow_methods");

    let got = refused(Cors {
        allow_headers: vec!["X-A".into(), "x-a".into(), "bad header".into()],
        ..base()
    });
    assert_eq!(got[0].0, "cors.allow_headers[1]");
    assert!(got[0].1.contains("listed twice"), "{got:?}");
    assert_eq!(got[1].0, "cors.allow_headers[2]");
    assert!(got[1].1.contains("not a valid header name"), "{got:?}");
}

/// The errors of compiling a whole document (`path: message` each).
fn document_errors(yaml: &str) -> Vec<String> {
    let doc = crate::yaml::parse_document(yaml).unwrap();
    match crate::compile::compile(&doc) {
        Ok(_) => panic!("expected errors for:\n{yaml}"),
        Err(e) => e.errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_service_compiles_its_policy_with_field_paths_and_tcp_takes_none() {
    let doc = crate::yaml::parse_document(
        "services:\n  - name: web\n    match: { prefix: / }\n    cors:\n      allow_origins: [\"https://app.example.com\"]\n      max_age: 10m\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n  - name: plain\n    match: { prefix: /plain/ }\n    upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] }\n",
    )
    .unwrap();
    let c = crate::compile::compile(&doc).unwrap();
    let web = c.service("web").unwrap().cors.as_ref().unwrap();
    assert!(web.allows_origin(b"https://app.example.com"));
    assert_eq!(web.max_age_value.as_ref().unwrap(), "600");
    assert!(c.service("plain").unwrap().cors.is_none());

    let errs = document_errors(
        "services:\n  - { name: a, match: { prefix: /a }, cors: { allow_origins: [\"*\"], allow_credentials: true }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("services[0].cors.allow_origins:")
                && e.contains("allow_credentials")),
        "{errs:#?}"
    );
    let errs = document_errors(
        "services:\n  - { name: a, match: { prefix: /a }, cors: { allow_origins: [\"https://a.test/app\"] }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("services[0].cors.allow_origins[0]:") && e.contains("no path")),
        "{errs:#?}"
    );
    let errs = document_errors(
        "services:\n  - { name: t, kind: tcp, port: 9000, cors: { allow_origins: [\"*\"] }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("services[0].cors:") && e.contains("tcp")),
        "{errs:#?}"
    );
    // An unknown option is refused by the model.
    let unknown = crate::yaml::parse_document(
        "services:\n  - { name: a, match: { prefix: /a }, cors: { allow_origin: [\"*\"] }, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
    );
    assert!(unknown.is_err());
    // A policy names its origins.
    let empty = crate::yaml::parse_document(
        "services:\n  - { name: a, match: { prefix: /a }, cors: {}, upstream: { nodes: [{ addr: \"127.0.0.1:1\" }] } }",
    );
    assert!(empty.unwrap_err().to_string().contains("allow_origins"));
}
