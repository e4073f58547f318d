//! HTTPS: certificates chosen by SNI (exact, wildcard, default), ALPN h2,
//! live replacement without closing open connections, validation of what
//! is stored, HTTP→HTTPS redirects, and TLS towards upstream nodes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{TestGateway, apply_doc, client};
use weir_core::yaml::parse_document;
use weir_core::{Certificate, ConfigDocument};
use weir_store::StoreError;
use weir_testkit::TestUpstream;
use weir_testkit::tls::{
    ALPN_H2, ALPN_HTTP11, TestCa, Validity, client_config, insecure_client_config, tls_probe,
};

fn cert(name: &str, issued: &weir_testkit::IssuedCert, default: bool) -> Certificate {
    Certificate {
        name: name.into(),
        cert: issued.chain_pem(),
        key: Some(issued.key_pem.clone()),
        default,
    }
}

fn doc(services_yaml: &str, certs: Vec<Certificate>) -> ConfigDocument {
    let mut d = parse_document(services_yaml).unwrap();
    d.certificates = Some(certs);
    d
}

fn echo_service(up: &TestUpstream) -> String {
    format!(
        "services:\n  - {{ name: web, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    )
}

/// An HTTPS client that trusts `ca` and resolves `host` to the gateway.
fn https_client(ca: &TestCa, host: &str, gw: SocketAddr, h2: bool) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap())
        .resolve(host, gw);
    let b = if h2 {
        b.http2_prior_knowledge()
    } else {
        b.http1_only()
    };
    b.build().unwrap()
}

#[tokio::test]
async fn sni_picks_the_certificate_and_alpn_negotiates_h2() {
    weir_testkit::tls::install_crypto_provider();
    let up = TestUpstream::start("up").await;
    let ca = TestCa::new("weir test ca");
    let shop = ca.issue_valid(&["shop.example.com"]);
    let wild = ca.issue_valid(&["*.api.example.com"]);
    let fallback = ca.issue_valid(&["fallback.example.com"]);
    let gw = TestGateway::start("").await;
    let rev = apply_doc(
        &gw.store,
        &doc(
            &echo_service(&up),
            vec![
                cert("shop", &shop, false),
                cert("wild", &wild, false),
                cert("fallback", &fallback, true),
            ],
        ),
    )
    .await;
    gw.wait_for_revision(rev, std::time::Duration::from_secs(2))
        .await;
    let addr = gw.gateway.https_addr.unwrap();

    let cfg = client_config(ca.cert_pem(), &[ALPN_H2, ALPN_HTTP11]);
    let p = tls_probe(addr, "shop.example.com", Arc::clone(&cfg))
        .await
        .unwrap();
    assert!(p.is(&shop), "exact name: {:?}", p.sans);
    assert_eq!(p.alpn_str(), "h2");
    let p = tls_probe(addr, "v2.api.example.com", Arc::clone(&cfg))
        .await
        .unwrap();
    assert!(p.is(&wild), "wildcard: {:?}", p.sans);
    // A wildcard covers one label only: a deeper name gets the default.
    let insecure = insecure_client_config(&[ALPN_HTTP11], true);
    let p = tls_probe(addr, "a.b.api.example.com", Arc::clone(&insecure))
        .await
        .unwrap();
    assert!(p.is(&fallback), "deeper name falls back: {:?}", p.sans);
    let p = tls_probe(addr, "unknown.example.org", Arc::clone(&insecure))
        .await
        .unwrap();
    assert!(p.is(&fallback));
    let no_sni = insecure_client_config(&[ALPN_HTTP11], false);
    let p = tls_probe(addr, "ignored.invalid", no_sni).await.unwrap();
    assert!(p.is(&fallback), "no SNI gets the default");
    let http11 = client_config(ca.cert_pem(), &[ALPN_HTTP11]);
    let p = tls_probe(addr, "shop.example.com", http11).await.unwrap();
    assert_eq!(p.alpn_str(), "http/1.1");

    // Real requests over HTTP/2 and HTTP/1.1; the upstream sees https.
    for h2 in [true, false] {
        let c = https_client(&ca, "shop.example.com", addr, h2);
        let res = c
            .get(format!("https://shop.example.com:{}/x", addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.version(),
            if h2 {
                reqwest::Version::HTTP_2
            } else {
                reqwest::Version::HTTP_11
            }
        );
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["headers"]["x-forwarded-proto"], "https");
    }
    gw.stop().await;
}

#[tokio::test]
async fn certificate_replaced_live_while_a_connection_stays_open() {
    weir_testkit::tls::install_crypto_provider();
    let up = TestUpstream::start("up").await;
    let ca = TestCa::new("weir test ca");
    let first = ca.issue_valid(&["live.example.com"]);
    let gw = TestGateway::start("").await;
    let rev = apply_doc(
        &gw.store,
        &doc(&echo_service(&up), vec![cert("live", &first, true)]),
    )
    .await;
    gw.wait_for_revision(rev, std::time::Duration::from_secs(2))
        .await;
    let addr = gw.gateway.https_addr.unwrap();

    // One keep-alive connection, kept open across the replacement.
    let kept = https_client(&ca, "live.example.com", addr, true);
    let url = format!("https://live.example.com:{}/", addr.port());
    assert_eq!(kept.get(&url).send().await.unwrap().status(), 200);
    let conns_before = up.connections();

    let second = ca.issue_valid(&["live.example.com"]);
    let rev = apply_doc(
        &gw.store,
        &doc(&echo_service(&up), vec![cert("live", &second, true)]),
    )
    .await;
    gw.wait_for_revision(rev, std::time::Duration::from_secs(1))
        .await;

    let cfg = client_config(ca.cert_pem(), &[ALPN_H2]);
    let p = tls_probe(addr, "live.example.com", cfg).await.unwrap();
    assert!(p.is(&second), "new handshakes get the new certificate");
    assert!(!p.is(&first));
    // The old connection still works (HTTP/2: same connection, more streams).
    for _ in 0..5 {
        assert_eq!(kept.get(&url).send().await.unwrap().status(), 200);
    }
    assert!(gw.gateway.plane.open_connections() >= 1);
    assert_eq!(up.connections(), conns_before, "upstream pool untouched");
    gw.stop().await;
}

#[tokio::test]
async fn bad_certificates_are_rejected_with_field_errors() {
    weir_testkit::tls::install_crypto_provider();
    let ca = TestCa::new("weir test ca");
    let good = ca.issue_valid(&["ok.example.com"]);
    let other = ca.issue_valid(&["other.example.com"]);
    let expired = ca.issue(&["old.example.com"], Validity::expired());
    let gw = TestGateway::start("").await;
    let before = gw.store.revision().await.unwrap();
    let mismatched = good.with_key_of(&other);
    let cases: Vec<(Certificate, &str)> = vec![
        (
            Certificate {
                cert: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
                    .into(),
                ..cert("bad", &good, false)
            },
            "certificates[0].cert",
        ),
        (
            Certificate {
                cert: "hello".into(),
                ..cert("bad", &good, false)
            },
            "certificates[0].cert",
        ),
        (
            Certificate {
                key: Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into()),
                ..cert("bad", &good, false)
            },
            "certificates[0].key",
        ),
        (cert("bad", &mismatched, false), "does not match"),
        (cert("old", &expired, false), "expired"),
    ];
    for (c, expected) in cases {
        let err = gw
            .store
            .apply(&doc("services: []", vec![c]), common_meta())
            .await
            .unwrap_err();
        let StoreError::Invalid(errors) = err else {
            panic!("{err}")
        };
        let text = errors.to_string();
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    assert_eq!(
        gw.store.revision().await.unwrap(),
        before,
        "nothing written"
    );
    gw.stop().await;
}

fn common_meta() -> weir_store::RevisionMeta {
    weir_store::RevisionMeta {
        author: "test".into(),
        source: "test".into(),
        summary: None,
    }
}

#[tokio::test]
async fn plain_http_redirects_to_https_when_asked() {
    weir_testkit::tls::install_crypto_provider();
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: secure, match: {{ prefix: /secure/ }}, https_redirect: true, upstream: {{ nodes: [{{ addr: \"{a}\" }}] }} }}\n  - {{ name: open, match: {{ prefix: / }}, upstream: {{ nodes: [{{ addr: \"{a}\" }}] }} }}\n",
        a = up.addr
    ))
    .await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(gw.url("/secure/page?x=1"))
        .header("host", "shop.example.com:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    let https_port = gw.gateway.https_addr.unwrap().port();
    assert_eq!(
        res.headers()["location"],
        format!("https://shop.example.com:{https_port}/secure/page?x=1").as_str()
    );
    assert_eq!(
        client()
            .get(gw.url("/other"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    gw.stop().await;
}

#[tokio::test]
async fn upstream_tls_verifies_against_the_configured_ca() {
    weir_testkit::tls::install_crypto_provider();
    let ca = TestCa::new("upstream ca");
    let leaf = ca.issue_valid(&["backend.internal", "127.0.0.1"]);
    let up = TestUpstream::start_tls("secure-up", &leaf).await;
    let other_ca = TestCa::new("someone else");
    let ca_pem = serde_json::to_string(ca.cert_pem()).unwrap();
    let other_pem = serde_json::to_string(other_ca.cert_pem()).unwrap();
    let yaml = format!(
        r#"services:
  - name: by_ip
    match: {{ prefix: /ip/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: {{ ca: {ca_pem} }} }}
  - name: by_name
    match: {{ prefix: /name/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: {{ ca: {ca_pem}, server_name: backend.internal }} }}
  - name: untrusted
    match: {{ prefix: /untrusted/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: {{ ca: {other_pem} }} }}
  - name: wrong_name
    match: {{ prefix: /wrong/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: {{ ca: {ca_pem}, server_name: elsewhere.internal }} }}
  - name: insecure
    match: {{ prefix: /insecure/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: {{ insecure_skip_verify: true }} }}
  - name: system_roots
    match: {{ prefix: /system/ }}
    upstream: {{ nodes: [{{ addr: "{a}" }}], tls: true }}
"#,
        a = up.addr
    );
    let gw = TestGateway::start(&yaml).await;
    let http = client();
    for (path, want) in [
        ("/ip/x", 200),
        ("/name/x", 200),
        ("/insecure/x", 200),
        ("/untrusted/x", 502),
        ("/wrong/x", 502),
        ("/system/x", 502),
    ] {
        let res = http.get(gw.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), want, "{path}");
        let v: serde_json::Value = res.json().await.unwrap();
        if want == 200 {
            assert_eq!(v["node"], "secure-up", "{path}");
        } else {
            assert_eq!(v["code"], "upstream_connect_failed", "{path}");
        }
    }
    assert!(up.handshake_failures() >= 3, "the gateway really tried TLS");
    gw.stop().await;
}
