//! The dashboard's English catalogue of the `explain` area
//! (`web/src/i18n/server/explain.en.ts`) is generated from the texts
//! declared in Rust: explain's sentences, nodes' errors and the statistics'
//! rejection reasons. This test fails when the committed file is stale;
//! `WEIR_UPDATE_CATALOG=1 cargo test -p weir-proxy --lib text::catalog`
//! writes it anew. The Chinese file is kept by hand; the dashboard's
//! `serverText.spec.ts` checks that it has the same codes and parameters.

use std::collections::BTreeSet;

use crate::explain::ExplainText;
use crate::stats::Rejection;
use crate::upstream::NodeError;

const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../web/src/i18n/server/explain.en.ts"
);

/// Groups of (code, template) in catalogue order.
fn groups() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        (
            "Explain: route reasons, policy details, rejection and balancer details",
            ExplainText::samples()
                .iter()
                .map(|t| (t.code(), t.to_string()))
                .collect(),
        ),
        (
            "Nodes' last errors (health report, failing services)",
            NodeError::samples()
                .iter()
                .map(|t| (t.code(), t.to_string()))
                .collect(),
        ),
        (
            "Rejection reasons of the statistics (keyed by their label)",
            Rejection::ALL
                .iter()
                .map(|r| (r.as_str(), r.describe().to_owned()))
                .collect(),
        ),
    ]
}

/// `text` as a vue-i18n message: literal `{ } @ |` escaped as literal
/// interpolations, then each placeholder mark turned into `{name}`.
fn vue_i18n(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '{' | '}' | '@' | '|' => {
                out.push_str("{'");
                out.push(c);
                out.push_str("'}");
            }
            '\u{27EA}' => out.push('{'),
            '\u{27EB}' => out.push('}'),
            c => out.push(c),
        }
    }
    out
}

/// A TypeScript string literal: single quotes unless the text has one.
fn ts_string(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn render() -> String {
    let mut out = String::from(
        "// Translations of the admin API's explain messages (en), keyed by the\n\
         // message code the server sends beside its English text; parameters are\n\
         // named as in the server's `params` object. GENERATED from the texts\n\
         // declared in crates/weir-proxy (explain/text.rs, upstream/node_error.rs,\n\
         // stats/mod.rs `Rejection::describe`): do not edit by hand. After changing\n\
         // a text there, run\n\
         //   WEIR_UPDATE_CATALOG=1 cargo test -p weir-proxy --lib text::catalog\n\
         // and translate the new or changed codes in explain.zh-CN.ts.\n\
         \n\
         const messages: Record<string, string> = {\n",
    );
    for (i, (title, entries)) in groups().into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("  // {title}\n"));
        for (code, text) in entries {
            out.push_str(&format!("  {code}: {},\n", ts_string(&vue_i18n(&text))));
        }
    }
    out.push_str("}\n\nexport default messages\n");
    out
}

#[test]
fn codes_are_unique_snake_case_and_every_parameter_is_used() {
    let mut seen = BTreeSet::new();
    for (_, entries) in groups() {
        for (code, _) in entries {
            assert!(seen.insert(code), "code {code} is used twice");
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "code {code} is not snake_case"
            );
        }
    }
    let check = |code: &str, params: Vec<&str>, text: String| {
        let template = vue_i18n(&text);
        for p in params {
            assert!(
                template.contains(&format!("{{{p}}}")),
                "{code}: parameter {p} is not in {template:?}"
            );
        }
    };
    for t in ExplainText::samples() {
        check(t.code(), t.params().into_keys().collect(), t.to_string());
    }
    for t in NodeError::samples() {
        check(t.code(), t.params().into_keys().collect(), t.to_string());
    }
}

#[test]
fn escapes_what_vue_i18n_would_read() {
    assert_eq!(
        vue_i18n("a {b} @c | \u{27EA}x\u{27EB}"),
        "a {'{'}b{'}'} {'@'}c {'|'} {x}"
    );
    assert_eq!(ts_string("it's"), "\"it's\"");
    assert_eq!(ts_string(r#"say "x" it's"#), r#"'say "x" it\'s'"#);
}

#[test]
fn the_dashboard_catalogue_is_up_to_date() {
    let want = render();
    if std::env::var_os("WEIR_UPDATE_CATALOG").is_some() {
        std::fs::write(CATALOG, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(CATALOG).unwrap_or_default();
    assert!(
        have == want,
        "{CATALOG} is stale: run `WEIR_UPDATE_CATALOG=1 cargo test -p weir-proxy --lib text::catalog` \
         and translate the new codes in explain.zh-CN.ts"
    );
}
