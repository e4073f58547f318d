//! Property-based testing of the admin API against its own OpenAPI
//! document: schemathesis (from PyPI; `make test` installs it with
//! `scripts/schemathesis-venv.sh`) generates requests from the served
//! `/api/v1/openapi.json`, authenticated with an admin API token, against a
//! real gateway, and fails on any 5xx, any undocumented status or content
//! type, and any response that does not match its schema.
//!
//! Bounded: `MAX_EXAMPLES` generated examples per operation (plus the
//! schema's explicit examples and boundary cases), one worker, a fixed seed.
//! The schemathesis executable is `$WEIR_SCHEMATHESIS`, else
//! `~/.cache/weir-venv/bin/schemathesis`; the test fails (it does not skip)
//! when neither exists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::TestGateway;
use weir_admin::auth::secret;
use weir_store::ApiTokenRecord;
use weir_testkit::TestUpstream;

/// Generated examples per operation.
const MAX_EXAMPLES: u32 = 100;

fn schemathesis() -> PathBuf {
    if let Ok(p) = std::env::var("WEIR_SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = PathBuf::from(home).join(".cache/weir-venv/bin/schemathesis");
    assert!(
        p.exists(),
        "schemathesis is not installed: run `make test` or scripts/schemathesis-venv.sh"
    );
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_holds_under_schemathesis() {
    let up = TestUpstream::start("up").await;
    let gw = TestGateway::start(&format!(
        "services:\n  - {{ name: demo, match: {{ prefix: /demo/ }}, upstream: {{ nodes: [{{ addr: \"{}\" }}] }} }}\n",
        up.addr
    ))
    .await;
    let (id, token) = secret::new_api_token();
    gw.store
        .create_token(&ApiTokenRecord {
            id,
            name: "schemathesis".into(),
            token_hash: secret::sha256_hex(&token),
            role: "admin".into(),
            created_by: "test".into(),
            created_at_ms: 0,
            last_used_ms: None,
            revoked_at_ms: None,
        })
        .await
        .unwrap();
    let base = format!("http://{}", gw.gateway.admin_addr.unwrap());
    let mut cmd = tokio::process::Command::new(schemathesis());
    cmd.args([
        "run",
        &format!("{base}/api/v1/openapi.json"),
        "--url",
        &base,
        "--header",
        &format!("Authorization: Bearer {token}"),
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,\
         response_schema_conformance,response_headers_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        &MAX_EXAMPLES.to_string(),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--seed",
        "20261125",
        "--generation-database",
        "none",
        "--no-color",
    ])
    .current_dir(gw.dir.path())
    .stdin(Stdio::null())
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(420), cmd.output())
        .await
        .expect("schemathesis took longer than 7 minutes")
        .expect("cannot run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "schemathesis found problems (exit {:?}); see the output above",
        out.status.code()
    );
    gw.stop().await;
}
