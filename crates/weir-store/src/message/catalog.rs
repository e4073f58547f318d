//! The dashboard's English `history` catalogue, made from these types: each
//! code with its English text as a vue-i18n template (`{param}` where a
//! parameter goes, literal `{ } @ |` escaped). Fails when the committed file
//! is stale; `WEIR_UPDATE_CATALOG=1` writes it instead.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;
use weir_core::diff::{ChangeSummary, SummaryPiece};

use super::{AuditDetail, RevisionSummary};

const CATALOG: &str = "web/src/i18n/server/history.en.ts";

const HEADER: &str = "\
// The admin API's history messages in English: generated revision summaries,
// the pieces a change summary is worded with, and audit details, keyed by the
// code the server sends beside its English text, with the server's parameter
// names (a list parameter such as `changes` is worded by the dashboard from
// the `summary_*` and `kind_*` pieces first).
//
// GENERATED from the Rust source (weir-store's `message` module and
// weir-core's `diff::SummaryPiece`); do not edit. After changing a message:
//   WEIR_UPDATE_CATALOG=1 cargo test -p weir-store --lib catalog
";

/// Every summary, with example parameters.
fn revision_examples() -> Vec<RevisionSummary> {
    let changes = || {
        weir_core::diff::ChangeSummary(vec![weir_core::diff::ChangeGroup {
            kind: "services".into(),
            op: weir_core::ChangeOp::Add,
            names: vec!["a".into()],
            more: 0,
            fields: vec![],
            more_fields: false,
        }])
    };
    let examples = vec![
        RevisionSummary::Changes { changes: changes() },
        RevisionSummary::Rollback {
            revision: 3,
            changes: changes(),
        },
        RevisionSummary::TenantSecretReset {
            app_id: "shop".into(),
        },
        RevisionSummary::SigningKeyRotated {
            name: "k2".into(),
            algorithm: "HS256".into(),
        },
        RevisionSummary::SigningKeyRetired { name: "k1".into() },
        RevisionSummary::SigningKeyGenerated {
            algorithm: "RS256".into(),
        },
        RevisionSummary::ImportedFromGoGateway {
            services: 12,
            tenants: 4,
        },
    ];
    // A new variant fails to compile here: give it an example above.
    for e in &examples {
        match e {
            RevisionSummary::Changes { .. }
            | RevisionSummary::Rollback { .. }
            | RevisionSummary::TenantSecretReset { .. }
            | RevisionSummary::SigningKeyRotated { .. }
            | RevisionSummary::SigningKeyRetired { .. }
            | RevisionSummary::SigningKeyGenerated { .. }
            | RevisionSummary::ImportedFromGoGateway { .. } => {}
        }
    }
    examples
}

/// Every audit detail, with example parameters.
fn audit_examples() -> Vec<AuditDetail> {
    let s = |v: &str| v.to_owned();
    let examples = vec![
        AuditDetail::NoChange,
        AuditDetail::RequestFailed {
            error: s("version_conflict"),
        },
        AuditDetail::Role { role: s("viewer") },
        AuditDetail::TokenName { name: s("ci") },
        AuditDetail::SigningAlgorithm {
            algorithm: s("HS256"),
        },
        AuditDetail::TokenEndpointAnswered { status: 401 },
        AuditDetail::LoginThrottled,
        AuditDetail::WrongCredentials,
        AuditDetail::WrongCurrentPassword,
        AuditDetail::RegistrationId { id: s("r-1") },
        AuditDetail::RegistrationNotEnabled,
        AuditDetail::RegistrationLoopback { ip: s("127.0.0.1") },
        AuditDetail::RegistrationOutsideCidrs { ip: s("10.9.9.9") },
        AuditDetail::RegistrationOwnListener {
            addr: s("127.0.0.1:8080"),
        },
    ];
    // A new variant fails to compile here: give it an example above.
    for e in &examples {
        match e {
            AuditDetail::NoChange
            | AuditDetail::RequestFailed { .. }
            | AuditDetail::Role { .. }
            | AuditDetail::TokenName { .. }
            | AuditDetail::SigningAlgorithm { .. }
            | AuditDetail::TokenEndpointAnswered { .. }
            | AuditDetail::LoginThrottled
            | AuditDetail::WrongCredentials
            | AuditDetail::WrongCurrentPassword
            | AuditDetail::RegistrationId { .. }
            | AuditDetail::RegistrationNotEnabled
            | AuditDetail::RegistrationLoopback { .. }
            | AuditDetail::RegistrationOutsideCidrs { .. }
            | AuditDetail::RegistrationOwnListener { .. } => {}
        }
    }
    examples
}

/// `(code, English template)` of every message, in declaration order.
fn entries() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |json: Value, text: String| {
        let code = json["code"].as_str().expect("a code").to_owned();
        let params = json.get("params").cloned().unwrap_or(Value::Null);
        out.push((code.clone(), template(&code, &text, &params)));
    };
    for m in revision_examples() {
        add(serde_json::to_value(&m).unwrap(), m.to_string());
    }
    for m in SummaryPiece::examples() {
        add(serde_json::to_value(&m).unwrap(), m.to_string());
    }
    for m in audit_examples() {
        add(serde_json::to_value(&m).unwrap(), m.to_string());
    }
    out
}

/// How a parameter's value shows in the English text.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        // The only list parameter: a change summary.
        Value::Array(_) => serde_json::from_value::<ChangeSummary>(value.clone())
            .expect("a list parameter is a change summary")
            .to_string(),
        other => other.to_string(),
    }
}

/// `text` with each parameter's shown value replaced by `{name}` (each must
/// occur exactly once) and the rest escaped for vue-i18n.
fn template(code: &str, text: &str, params: &Value) -> String {
    let mut values: Vec<(String, String)> = params
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), shown(v))).collect())
        .unwrap_or_default();
    // Longest first, so that a value inside another cannot win.
    values.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some((name, value)) = values
            .iter()
            .find(|(_, v)| !v.is_empty() && rest.starts_with(v.as_str()))
        {
            write!(out, "{{{name}}}").unwrap();
            used.push(name.clone());
            rest = &rest[value.len()..];
            continue;
        }
        match c {
            '{' | '}' | '@' | '|' => write!(out, "{{'{c}'}}").unwrap(),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    used.sort();
    let mut names: Vec<String> = values.into_iter().map(|(k, _)| k).collect();
    names.sort();
    assert_eq!(
        used, names,
        "{code}: each parameter must show exactly once in {text:?} (pick example values that occur nowhere else)"
    );
    out
}

/// A TypeScript single-quoted string.
fn ts_string(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn render() -> String {
    let mut out = String::from(HEADER);
    out.push_str("\nconst messages: Record<string, string> = {\n");
    for (code, template) in entries() {
        writeln!(out, "  {code}: {},", ts_string(&template)).unwrap();
    }
    out.push_str("}\n\nexport default messages\n");
    out
}

#[test]
fn codes_are_unique_snake_case() {
    let mut seen = BTreeSet::new();
    for (code, _) in entries() {
        assert!(
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{code}"
        );
        assert!(seen.insert(code.clone()), "{code} twice");
    }
}

#[test]
fn templates_escape_and_name_parameters() {
    let params = serde_json::json!({"who": "x|y", "n": 3});
    assert_eq!(
        template("t", "{a} @x|y got 3 |", &params),
        "{'{'}a{'}'} {'@'}{who} got {n} {'|'}"
    );
}

#[test]
fn catalog_matches_the_rust_messages() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(CATALOG);
    let want = render();
    if std::env::var_os("WEIR_UPDATE_CATALOG").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{CATALOG} is stale: run `WEIR_UPDATE_CATALOG=1 cargo test -p weir-store --lib catalog` \
         and translate the new codes in history.zh-CN.ts"
    );
}
