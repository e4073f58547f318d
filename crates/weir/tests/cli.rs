//! The `weir` binary's configuration commands: `check`, `apply` (with
//! `--dry-run` and `--if-empty`), `export`, the export → apply round trip,
//! `probe` against a `weir proxy` process's health listener, and `version`
//! (commit and build date, as `--version` says).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = r#"
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
  - name: shop
    description: storefront by host
    match: { host: shop.example.com }
    upstream:
      balance: consistent_hash
      hash_key: client_ip
      nodes: [{ addr: "shop.internal:8080" }, { addr: "[::1]:8081", enabled: false }]
"#;

fn weir(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("WEIR_STORE_URL")
        .env("USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn export_apply_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("services.yaml"), EXAMPLE).unwrap();
    // No --store: the default sqlite://weir.db in the working directory.
    let out = weir(dir.path(), &["apply", "-f", "services.yaml"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("+ service user_api"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("applied revision 1"),
        "{}",
        stdout(&out)
    );
    assert!(
        dir.path().join("weir.db").exists(),
        "store created on first use"
    );

    let exported = weir(dir.path(), &["export"], None);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let yaml = stdout(&exported);
    assert!(yaml.contains("user_api") && yaml.contains("shop.internal:8080"));
    // Defaults stay implicit: `kind: http` and `idle: 90s` as written are
    // the defaults and are left out; what differs from them is kept.
    assert!(
        !yaml.contains("kind:")
            && !yaml.contains(" idle:")
            && !yaml.contains("timeouts:\n        connect: 5s"),
        "{yaml}"
    );
    assert!(
        yaml.contains("response_header: 30s") && yaml.contains("max_idle_per_node: 100"),
        "{yaml}"
    );

    // export | apply -f - changes nothing.
    let again = weir(dir.path(), &["apply", "-f", "-"], Some(&yaml));
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("no changes; the store is at revision 1"),
        "{}",
        stdout(&again)
    );
    // And the export is stable.
    let second = weir(dir.path(), &["export"], None);
    assert_eq!(stdout(&second), yaml);
}

#[test]
fn apply_prints_field_diff_replaces_kind_and_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/s.db", dir.path().display());
    std::fs::write(dir.path().join("a.yaml"), EXAMPLE).unwrap();
    assert!(
        weir(
            dir.path(),
            &["apply", "--store", &store, "-f", "a.yaml"],
            None
        )
        .status
        .success()
    );

    // Drop `shop`, change a weight.
    let edited = EXAMPLE
        .replace("weight: 50", "weight: 60")
        .split("  - name: shop")
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(dir.path().join("b.yaml"), &edited).unwrap();
    let dry = weir(
        dir.path(),
        &["apply", "--store", &store, "-f", "b.yaml", "--dry-run"],
        None,
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("~ service user_api"), "{text}");
    assert!(
        text.contains("upstream.nodes[0].weight: 50 -> 60"),
        "{text}"
    );
    assert!(text.contains("- service shop"), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    let unchanged = weir(dir.path(), &["export", "--store", &store], None);
    assert!(
        stdout(&unchanged).contains("shop"),
        "dry run must not write"
    );

    let real = weir(
        dir.path(),
        &[
            "apply",
            "--store",
            &store,
            "-f",
            "b.yaml",
            "-m",
            "drop shop",
        ],
        None,
    );
    assert!(
        stdout(&real).contains("applied revision 2"),
        "{}",
        stdout(&real)
    );
    let after = stdout(&weir(dir.path(), &["export", "--store", &store], None));
    assert!(
        !after.contains("shop") && after.contains("weight: 60"),
        "{after}"
    );

    // A file without `services:` leaves services alone.
    std::fs::write(dir.path().join("empty.yaml"), "{}\n").unwrap();
    let none = weir(
        dir.path(),
        &["apply", "--store", &store, "-f", "empty.yaml"],
        None,
    );
    assert!(stdout(&none).contains("no changes"), "{}", stdout(&none));

    // --if-empty does nothing on a store that has a configuration.
    let skip = weir(
        dir.path(),
        &["apply", "--store", &store, "-f", "a.yaml", "--if-empty"],
        None,
    );
    assert!(
        stdout(&skip).contains("already has a configuration"),
        "{}",
        stdout(&skip)
    );
}

#[test]
fn check_reports_every_error_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let ok = weir(dir.path(), &["check", "-f", "-"], Some(EXAMPLE));
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(
        stdout(&ok).trim(),
        "ok: 2 services, 0 tenants, 0 signing keys"
    );
    assert!(
        !dir.path().join("weir.db").exists(),
        "check never opens the store"
    );

    let bad = r#"
services:
  - name: a
    match: { prefix: /a/ }
    rewrite: [{ pattern: "(", replacement: x }]
    upstream: { balance: weighted_round_robin, nodes: [{ addr: "127.0.0.1:1", weight: 0 }] }
  - name: a
    match: { prefix: /a/ }
    upstream: { nodes: [] }
"#;
    let out = weir(dir.path(), &["check", "-f", "-"], Some(bad));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "services[0].rewrite[0].pattern: invalid regular expression",
        "services[0].upstream.nodes[0].weight: must be at least 1",
        "services[1].name: \"a\" is already the name of services[0]",
        "services[1].upstream.nodes: needs at least one node",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    let typo = weir(
        dir.path(),
        &["check", "-f", "-"],
        Some("services:\n  - name: a\n    strp_prefix: true\n"),
    );
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        stderr(&typo).contains("<stdin>:3:5: services[0]: unknown field `strp_prefix`"),
        "{}",
        stderr(&typo)
    );

    // apply refuses the same file and writes nothing.
    let refused = weir(dir.path(), &["apply", "-f", "-"], Some(bad));
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("services[1].upstream.nodes"));
    let export = weir(dir.path(), &["export"], None);
    assert_eq!(
        stdout(&export).trim(),
        "services: []\ntenants: []\nsigning_keys: []\ncertificates: []"
    );
}

#[test]
fn version_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let v = weir(dir.path(), &["version"], None);
    assert!(v.status.success(), "{}", stderr(&v));
    let line = stdout(&v);
    // `weir version` and `weir --version` say the same thing.
    let flag = weir(dir.path(), &["--version"], None);
    assert_eq!(stdout(&flag), line);

    // weir 0.1.0 (commit 1a2b3c4, built 2026-01-02T03:04:05Z)
    let rest = line
        .trim_end()
        .strip_prefix(&format!("weir {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line:?}"));
    let (commit, rest) = rest.split_once(", built ").unwrap();
    let date = rest.strip_suffix(')').unwrap();
    date.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("build date {date:?}: {e}"));
    assert!(date.ends_with('Z') && date.len() == 20, "{date:?}");
    // Built from this checkout (the build script reruns when HEAD moves),
    // unless the builder named the commit (cargo test passes its own
    // environment on to the build script and to this test alike).
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let head = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success() && repo.join(".git").exists());
    match (std::env::var("WEIR_BUILD_COMMIT"), head) {
        (Ok(named), _) if !named.trim().is_empty() => assert_eq!(commit, named.trim()),
        (_, Some(head)) => assert_eq!(commit, String::from_utf8_lossy(&head.stdout).trim()),
        (_, None) => assert_eq!(commit, "unknown"),
    }

    let usage = weir(dir.path(), &["apply"], None);
    assert_eq!(usage.status.code(), Some(2), "missing -f is a usage error");
}

/// Issue 15: `weir apply` shows that a tenant secret or a private key
/// changed, never the value.
#[test]
fn apply_never_prints_secrets() {
    use weir_core::yaml::{parse_document, to_yaml};
    use weir_testkit::TestCa;

    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("CLI Test CA");
    let one = ca.issue_valid(&["a.example.com"]);
    let two = ca.issue_valid(&["a.example.com"]);
    let doc = |secret: &str, cert: &weir_testkit::IssuedCert| {
        let mut d = parse_document(&format!(
            "tenants:\n  - {{ app_id: shop, secret: {secret} }}\n"
        ))
        .unwrap();
        d.certificates = Some(vec![weir_core::Certificate {
            name: "web".into(),
            cert: cert.chain_pem(),
            key: Some(cert.key_pem.clone()),
            default: false,
        }]);
        to_yaml(&d)
    };
    let first = "first-tenant-secret-0123456789";
    let second = "second-tenant-secret-9876543210";
    std::fs::write(dir.path().join("a.yaml"), doc(first, &one)).unwrap();
    std::fs::write(dir.path().join("b.yaml"), doc(second, &two)).unwrap();
    let secrets = [
        first.to_owned(),
        second.to_owned(),
        one.key_pem.lines().nth(1).unwrap().to_owned(),
        two.key_pem.lines().nth(1).unwrap().to_owned(),
    ];
    let check = |out: &Output| {
        let text = format!("{}{}", stdout(out), stderr(out));
        assert!(out.status.success(), "{text}");
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret is printed: {text}");
        }
        text
    };
    check(&weir(dir.path(), &["apply", "-f", "a.yaml"], None));
    let text = check(&weir(
        dir.path(),
        &["apply", "--dry-run", "-f", "b.yaml"],
        None,
    ));
    assert!(
        text.contains("secret: <redacted> -> <redacted, changed>"),
        "{text}"
    );
    assert!(
        text.contains("key: <redacted> -> <redacted, changed>"),
        "{text}"
    );
    check(&weir(dir.path(), &["apply", "-f", "b.yaml"], None));
}

/// Issue 15: a store URL's password never appears in an error.
#[test]
fn store_errors_never_show_the_password() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), EXAMPLE).unwrap();
    for url in [
        "postgres://weir:supersecret@127.0.0.1:1/x",
        "mysql://weir:supersecret@127.0.0.1:1/x",
        "postgres://weir@127.0.0.1:1/x?password=supersecret",
    ] {
        let out = weir(dir.path(), &["apply", "--store", url, "-f", "s.yaml"], None);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!out.status.success(), "{text}");
        assert!(!text.contains("supersecret"), "{text}");
        assert!(text.contains("***"), "{text}");
    }
}

/// `weir probe` (the image's health check, which has no curl) against the
/// health listener of a `weir proxy` process — a role without an admin
/// listener: exit 0 on 2xx, 1 with the status or the error otherwise.
#[test]
fn probe_checks_a_proxy_processes_health_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.current_dir(dir.path())
        .args(["proxy", "--http", "127.0.0.1:0"])
        .env("WEIR_STORE_URL", "sqlite://weir.db")
        .env("WEIR_LISTEN_HTTPS", "off")
        .env("WEIR_LISTEN_HEALTH", "127.0.0.1:0")
        .env("WEIR_LOG_ACCESS", "off");
    let proxy = common::process::ServingProcess::start(cmd);
    assert!(proxy.addr("admin_addr").is_none(), "{}", proxy.serving);
    let health = proxy.addr("health_addr").expect("a health listener");
    // The process turned transparent huge pages off (main.rs: huge pages
    // made RSS jump with no more memory in use).
    let status = std::fs::read_to_string(format!("/proc/{}/status", proxy.child.id())).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.split_whitespace().eq(["THP_enabled:", "0"])),
        "THP still enabled for the serving process:\n{status}"
    );
    let probe = |path: &str, extra: &[&str]| {
        let url = format!("http://{health}{path}");
        let mut args = vec!["probe", url.as_str()];
        args.extend_from_slice(extra);
        weir(dir.path(), &args, None)
    };
    for path in ["/healthz", "/readyz"] {
        let out = probe(path, &[]);
        assert!(out.status.success(), "{path}: {}", stderr(&out));
    }
    let out = probe("/nothing-here", &["--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("404"), "{}", stderr(&out));

    // Nothing listens there any more: a refused connection is a failure.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/healthz", closed.local_addr().unwrap());
    drop(closed);
    let out = weir(dir.path(), &["probe", &url, "--timeout", "1s"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot connect"), "{}", stderr(&out));

    let out = weir(dir.path(), &["probe", "https://127.0.0.1:1/healthz"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("only http://"), "{}", stderr(&out));
}
