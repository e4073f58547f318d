//! Property-based testing of the admin API against its own OpenAPI
//! document: schemathesis (from PyPI; `make test` installs it with
//! `scripts/schemathesis-venv.sh`) generates requests from the served
//! `/api/v1/openapi.json`, authenticated with an admin API token (the
//! document's `bearer_token` scheme), against a
//! real gateway, with every check schemathesis has (`--checks all`): no 5xx,
//! only documented statuses, content types and headers, responses that match
//! their schemas, data the document allows accepted and data it forbids
//! refused, a missing required header refused, an undocumented method 405,
//! a deleted resource gone. Every phase runs, the stateful one included: it
//! follows the document's links (create a service, then read, replace and
//! delete it).
//!
//! `schemathesis.toml` beside this file holds the one exception to the
//! defaults, each with its reason. Bounded: `MAX_EXAMPLES` generated
//! examples per operation (plus the schema's explicit examples and boundary
//! cases), a bounded number of steps per stateful scenario (in the
//! `.toml`), one worker, a fixed seed; about a minute.
//! `WEIR_SCHEMATHESIS_SEED` and `WEIR_SCHEMATHESIS_MAX_EXAMPLES` explore
//! further (the time limit stays 5 minutes).
//! The schemathesis executable is `$WEIR_SCHEMATHESIS`, else
//! `~/.cache/weir-venv/bin/schemathesis`; the test fails (it does not skip)
//! when neither exists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::TestGateway;
use weir_testkit::TestUpstream;

/// Generated examples per operation.
const MAX_EXAMPLES: u32 = 40;

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
    let token = common::api_token(&gw.store, "admin").await;
    let base = format!("http://{}", gw.gateway.admin_addr.unwrap());
    // Another seed, or more examples, explore other requests:
    // WEIR_SCHEMATHESIS_SEED=…, WEIR_SCHEMATHESIS_MAX_EXAMPLES=… .
    let seed = std::env::var("WEIR_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261125".into());
    let max_examples = std::env::var("WEIR_SCHEMATHESIS_MAX_EXAMPLES")
        .unwrap_or_else(|_| MAX_EXAMPLES.to_string());
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let mut cmd = tokio::process::Command::new(schemathesis());
    cmd.arg("--config-file")
        .arg(&config)
        .args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &base,
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            &max_examples,
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--seed",
            &seed,
            "--generation-database",
            "none",
            "--no-color",
        ])
        .env("WEIR_SCHEMATHESIS_TOKEN", &token)
        .current_dir(gw.dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("schemathesis took longer than 5 minutes")
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
