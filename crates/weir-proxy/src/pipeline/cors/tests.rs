//! The CORS phase on hand-made requests: what is a preflight, the exact
//! fields of the gateway's answer, and what happens to an answer's fields.

use http::header::HeaderValue;
use weir_core::compile::{CompiledConfig, compile};

use super::*;

fn config(cors: &str) -> CompiledConfig {
    let yaml = format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    cors: {cors}\n    upstream: {{ nodes: [{{ addr: \"127.0.0.1:9\" }}] }}\n"
    );
    compile(&weir_core::yaml::parse_document(&yaml).unwrap()).unwrap()
}

fn svc(c: &CompiledConfig) -> &CompiledService {
    c.service("s").unwrap()
}

fn headers(list: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        h.append(*k, HeaderValue::from_static(v));
    }
    h
}

const ORIGIN: (&str, &str) = ("origin", "https://app.example.com");
const APP: &str = "{ allow_origins: [\"https://app.example.com\"], allow_methods: [GET, PUT], allow_headers: [Content-Type, X-Key], expose_headers: [X-Total], allow_credentials: true, max_age: 1h }";

fn fields(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn what_is_a_preflight() {
    let c = config(APP);
    let kind = |m: Method, v: Version, h: &[(&'static str, &'static str)]| match classify(
        svc(&c),
        &m,
        v,
        &headers(h),
    ) {
        CorsRequest::Off => "off",
        CorsRequest::Upgrade => "upgrade",
        CorsRequest::Preflight(_) => "preflight",
        CorsRequest::Actual(_) => "actual",
    };
    let asks = ("access-control-request-method", "PUT");
    let h11 = Version::HTTP_11;
    assert_eq!(kind(Method::OPTIONS, h11, &[ORIGIN, asks]), "preflight");
    assert_eq!(
        kind(Method::OPTIONS, Version::HTTP_2, &[ORIGIN, asks]),
        "preflight"
    );
    // An OPTIONS without the method asked is an ordinary request.
    assert_eq!(kind(Method::OPTIONS, h11, &[ORIGIN]), "actual");
    assert_eq!(kind(Method::GET, h11, &[ORIGIN, asks]), "actual");
    assert_eq!(kind(Method::OPTIONS, h11, &[asks]), "off");
    let upgrade = [ORIGIN, ("connection", "Upgrade"), ("upgrade", "websocket")];
    assert_eq!(kind(Method::GET, h11, &upgrade), "upgrade");
    // No policy: nothing, whatever the request.
    let none = compile(
        &weir_core::yaml::parse_document(
            "services:\n  - { name: s, match: { prefix: / }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] } }",
        )
        .unwrap(),
    )
    .unwrap();
    let off = classify(svc(&none), &Method::OPTIONS, h11, &headers(&[ORIGIN, asks]));
    assert!(matches!(off, CorsRequest::Off));
}

fn preflight<'s>(c: &'s CompiledConfig, h: &[(&'static str, &'static str)]) -> Preflight<'s> {
    match classify(svc(c), &Method::OPTIONS, Version::HTTP_11, &headers(h)) {
        CorsRequest::Preflight(p) => p,
        _ => panic!("not a preflight"),
    }
}

const VARY: (&str, &str) = (
    "vary",
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);

#[test]
fn an_allowed_preflight_gets_exactly_the_allow_fields() {
    let c = config(APP);
    let p = preflight(
        &c,
        &[
            ORIGIN,
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-key,content-type"),
        ],
    );
    assert_eq!(p.verdict, Ok(()));
    let res = p.answer();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        fields(res.headers()),
        pairs(&[
            VARY,
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "GET, PUT"),
            ("access-control-allow-headers", "content-type, x-key"),
            ("access-control-max-age", "3600"),
            ("access-control-allow-credentials", "true"),
        ])
    );
}

#[test]
fn a_refused_preflight_gets_vary_only() {
    let c = config(APP);
    for (h, why) in [
        (
            [
                ("origin", "https://evil.test"),
                ("access-control-request-method", "PUT"),
                ("x-none", ""),
            ],
            Refused::Origin,
        ),
        (
            [
                ORIGIN,
                ("access-control-request-method", "DELETE"),
                ("x-none", ""),
            ],
            Refused::Method,
        ),
        (
            [
                ORIGIN,
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "content-type, x-secret"),
            ],
            Refused::Header("x-secret".into()),
        ),
    ] {
        let p = preflight(&c, &h);
        assert_eq!(p.verdict, Err(why));
        let res = p.answer();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(fields(res.headers()), pairs(&[VARY]));
    }
}

#[test]
fn stars_answer_star_or_echo_what_was_asked() {
    let c = config("{ allow_origins: [\"*\"], allow_methods: [\"*\"], allow_headers: [\"*\"] }");
    let p = preflight(
        &c,
        &[
            ("origin", "https://any.test"),
            ("access-control-request-method", "PATCH"),
            ("access-control-request-headers", "x-a"),
            ("access-control-request-headers", "x-b"),
        ],
    );
    assert_eq!(
        fields(p.answer().headers()),
        pairs(&[
            VARY,
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "PATCH"),
            ("access-control-allow-headers", "x-a, x-b"),
        ])
    );
}

fn actual<'s>(c: &'s CompiledConfig, origin: &'static str) -> Actual<'s> {
    let h = headers(&[("origin", origin)]);
    match classify(svc(c), &Method::GET, Version::HTTP_11, &h) {
        CorsRequest::Actual(a) => a,
        _ => panic!("not an actual request"),
    }
}

#[test]
fn an_answer_gets_the_policys_fields_in_place_of_the_upstreams() {
    let c = config(APP);
    let upstream = || {
        headers(&[
            ("content-type", "text/plain"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "DELETE"),
            ("access-control-expose-headers", "x-secret"),
            ("vary", "Accept-Encoding"),
        ])
    };
    let a = actual(&c, "https://app.example.com");
    assert!(a.allowed());
    let mut h = upstream();
    a.apply(&mut h);
    assert_eq!(
        fields(&h),
        pairs(&[
            ("content-type", "text/plain"),
            ("vary", "Accept-Encoding"),
            ("vary", "Origin"),
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
    // A disallowed origin: none, the upstream's removed too.
    let a = actual(&c, "https://evil.test");
    assert!(!a.allowed());
    let mut h = upstream();
    a.apply(&mut h);
    assert_eq!(
        fields(&h),
        pairs(&[
            ("content-type", "text/plain"),
            ("vary", "Accept-Encoding"),
            ("vary", "Origin"),
        ])
    );
    // An upstream that already varies by Origin is not told twice.
    let mut h = headers(&[("vary", "accept-encoding, origin")]);
    a.apply(&mut h);
    assert_eq!(fields(&h), pairs(&[("vary", "accept-encoding, origin")]));
    // Any origin without credentials: `*`.
    let any = config("{ allow_origins: [\"*\"] }");
    let mut h = HeaderMap::new();
    actual(&any, "https://x.test").apply(&mut h);
    assert_eq!(h["access-control-allow-origin"], "*");
}
