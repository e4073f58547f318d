//! The difference between two configurations: which resources were added,
//! changed or removed, and for changed ones which fields. `weir apply` prints
//! it, the store records it in each revision, and the data plane uses the
//! same notion of "unchanged" to carry runtime state across reloads.
//!
//! Field-level differences never show a secret (tenant secrets, signing
//! keys, certificate private keys): [`Change::fields`] replaces their values
//! with [`REDACTED`] / [`REDACTED_CHANGED`], so every printer of a diff —
//! `weir apply`, the admin API's revision history — is safe by default.
//! The whole specs in [`Change::before`]/[`Change::after`] still hold them
//! (history needs them to roll back); outputs redact those separately.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::model::{ConfigDocument, ResourceKind, defaults};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Add,
    Update,
    Remove,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    pub kind: ResourceKind,
    pub name: String,
    pub op: ChangeOp,
    /// The stored spec before the change (`None` when added).
    pub before: Option<Value>,
    /// The spec after the change (`None` when removed).
    pub after: Option<Value>,
}

/// One field that differs within a resource, e.g. `upstream.nodes[1].weight`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl serde::Serialize for ResourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Shown instead of a secret's value.
pub const REDACTED: &str = "<redacted>";
/// Shown instead of a secret's new value when it changed.
pub const REDACTED_CHANGED: &str = "<redacted, changed>";

/// The top-level fields of a resource of `kind` that hold secrets.
pub fn secret_fields(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Service => &[],
        ResourceKind::Tenant => &["secret"],
        ResourceKind::SigningKey | ResourceKind::Certificate => &["key"],
    }
}

/// Whether `path` (as in [`FieldChange::path`]) is or lies inside a secret
/// field of `kind`.
pub fn is_secret_path(kind: ResourceKind, path: &str) -> bool {
    secret_fields(kind).iter().any(|f| {
        path.strip_prefix(f)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

impl Change {
    /// Field-level differences (empty for adds and removes), secrets
    /// redacted. Specs leave defaults out, so a field one side leaves out
    /// shows as its default (`upstream.balance: "round_robin" -> "random"`),
    /// and a block one side leaves out (`upstream.timeouts`) is compared
    /// field by field.
    pub fn fields(&self) -> Vec<FieldChange> {
        match (&self.before, &self.after) {
            (Some(a), Some(b)) => {
                let a2 = defaults::open_blocks(self.kind, a, b);
                let b2 = defaults::open_blocks(self.kind, b, a);
                field_changes(&a2, &b2)
                    .into_iter()
                    .map(|fc| with_defaults(self.kind, fc))
                    .map(|fc| redact_field(self.kind, fc))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// A field absent on one side of a change is at its default there. Only
/// leaves reach here absent on one side with their parent on both (a
/// whole new block or list entry is one change of its own), so the
/// default is the value in effect.
fn with_defaults(kind: ResourceKind, fc: FieldChange) -> FieldChange {
    let default = || defaults::at(kind, &fc.path);
    FieldChange {
        before: fc.before.clone().or_else(default),
        after: fc.after.clone().or_else(default),
        path: fc.path,
    }
}

fn redact_field(kind: ResourceKind, fc: FieldChange) -> FieldChange {
    if !is_secret_path(kind, &fc.path) {
        return fc;
    }
    let marker = |v: &str| Some(Value::String(v.to_owned()));
    let after = match (&fc.before, &fc.after) {
        (Some(_), Some(_)) => marker(REDACTED_CHANGED),
        (None, Some(_)) => marker(REDACTED),
        (_, None) => None,
    };
    FieldChange {
        before: fc.before.and(marker(REDACTED)),
        after,
        path: fc.path,
    }
}

/// The changes that make `current` equal to `desired` for every kind that
/// `desired` declares; kinds it does not declare are left out.
pub fn diff_documents(current: &ConfigDocument, desired: &ConfigDocument) -> Vec<Change> {
    let mut out = Vec::new();
    for kind in desired.declared_kinds() {
        let want = desired.resources(kind).unwrap_or_default();
        let have = current.resources(kind).unwrap_or_default();
        out.extend(diff_resources(kind, &have, &want));
    }
    out
}

/// The changes between two lists of `(name, spec)` of one kind.
pub fn diff_resources(
    kind: ResourceKind,
    current: &[(String, Value)],
    desired: &[(String, Value)],
) -> Vec<Change> {
    let have: BTreeMap<&str, &Value> = current.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let want: BTreeMap<&str, &Value> = desired.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let mut out = Vec::new();
    for (name, spec) in &want {
        match have.get(name) {
            None => out.push(Change {
                kind,
                name: (*name).to_owned(),
                op: ChangeOp::Add,
                before: None,
                after: Some((*spec).clone()),
            }),
            Some(old) if old != spec => out.push(Change {
                kind,
                name: (*name).to_owned(),
                op: ChangeOp::Update,
                before: Some((*old).clone()),
                after: Some((*spec).clone()),
            }),
            Some(_) => {}
        }
    }
    for (name, spec) in &have {
        if !want.contains_key(name) {
            out.push(Change {
                kind,
                name: (*name).to_owned(),
                op: ChangeOp::Remove,
                before: Some((*spec).clone()),
                after: None,
            });
        }
    }
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    out
}

/// Differences between two JSON values, as leaf paths.
pub fn field_changes(a: &Value, b: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", Some(a), Some(b), &mut out);
    out
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(&format!("{path}[{i}]"), x.get(i), y.get(i), out);
            }
        }
        (x, y) if x != y => out.push(FieldChange {
            path: path.to_owned(),
            before: x.cloned(),
            after: y.cloned(),
        }),
        _ => {}
    }
}

/// A one-line summary naming what changed, per kind, e.g.
/// `services: added a, b; changed c (match.prefix); removed d`: the English
/// text of [`summary`].
pub fn summarize(changes: &[Change]) -> String {
    summary(changes).to_string()
}

/// What changed, as data a translation can word its own way (the dashboard
/// renders it with the [`SummaryPiece`] codes): per kind and operation the
/// names, up to [`SUMMARY_NAMES`] (then how many more); a change of a single
/// resource also names its changed fields (up to [`SUMMARY_FIELDS`]), so a
/// history list says what happened without opening the diff.
pub fn summary(changes: &[Change]) -> ChangeSummary {
    let single = changes.len() == 1;
    let mut per_kind: BTreeMap<&str, [Vec<&Change>; 3]> = BTreeMap::new();
    for c in changes {
        per_kind.entry(c.kind.document_key()).or_default()[c.op as usize].push(c);
    }
    let mut groups = Vec::new();
    for (kind, lists) in per_kind {
        for (op, list) in [ChangeOp::Add, ChangeOp::Update, ChangeOp::Remove]
            .into_iter()
            .zip(lists)
        {
            if list.is_empty() {
                continue;
            }
            let (fields, more_fields) = match list.as_slice() {
                [c] if single && op == ChangeOp::Update => field_summary(&c.fields()),
                _ => (Vec::new(), false),
            };
            groups.push(ChangeGroup {
                kind: kind.to_owned(),
                op,
                names: list
                    .iter()
                    .take(SUMMARY_NAMES)
                    .map(|c| c.name.clone())
                    .collect(),
                more: list.len().saturating_sub(SUMMARY_NAMES),
                fields,
                more_fields,
            });
        }
    }
    ChangeSummary(groups)
}

/// Names listed per kind and operation in a summary.
pub const SUMMARY_NAMES: usize = 5;
/// Changed fields named in the summary of a single update.
pub const SUMMARY_FIELDS: usize = 3;

/// What [`summary`] found: one group per kind and operation, kinds in the
/// order of their document keys, operations add, update, remove. Stored
/// with a revision as a list parameter of its summary message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ChangeSummary(pub Vec<ChangeGroup>);

/// The resources of one kind that one operation touched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeGroup {
    /// The kind's document key: `services`, `tenants`, `signing_keys`,
    /// `certificates`.
    pub kind: String,
    pub op: ChangeOp,
    /// The first [`SUMMARY_NAMES`] names.
    pub names: Vec<String>,
    /// How many names were left out.
    #[serde(default)]
    pub more: usize,
    /// For the update of a summary of one change: the changed fields (up to
    /// [`SUMMARY_FIELDS`], list elements as their list).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Whether more fields changed than `fields` names.
    #[serde(default)]
    pub more_fields: bool,
}

/// The words a [`ChangeSummary`] is written with, each a message code of its
/// own (the dashboard's `history` catalogue) so that a translation can put
/// them together in its own grammar. The `Display` of each is the English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum SummaryPiece {
    /// A summary of nothing.
    #[error("no changes")]
    SummaryNoChanges,
    /// One kind and what happened to it (`parts` joined by `summary_part_sep`).
    #[error("{kind}: {parts}")]
    SummaryKind { kind: String, parts: String },
    #[error("added {names}")]
    SummaryAdded { names: String },
    #[error("changed {names}")]
    SummaryChanged { names: String },
    #[error("removed {names}")]
    SummaryRemoved { names: String },
    /// Names beyond [`SUMMARY_NAMES`] left out.
    #[error("{names} and {more} more")]
    SummaryMore { names: String, more: usize },
    /// A single update's changed fields.
    #[error("{name} ({fields})")]
    SummaryFields { name: String, fields: String },
    /// Between names, and between fields.
    #[error(", ")]
    SummaryListSep,
    /// Between operations, and between kinds.
    #[error("; ")]
    SummaryPartSep,
    #[error("services")]
    KindServices,
    #[error("tenants")]
    KindTenants,
    #[error("signing_keys")]
    KindSigningKeys,
    #[error("certificates")]
    KindCertificates,
}

impl SummaryPiece {
    /// How a summary names `kind` (its code is `kind_` + the document key).
    pub fn kind(kind: ResourceKind) -> SummaryPiece {
        match kind {
            ResourceKind::Service => SummaryPiece::KindServices,
            ResourceKind::Tenant => SummaryPiece::KindTenants,
            ResourceKind::SigningKey => SummaryPiece::KindSigningKeys,
            ResourceKind::Certificate => SummaryPiece::KindCertificates,
        }
    }

    /// Every piece, with example parameters (for the message catalogue).
    pub fn examples() -> Vec<SummaryPiece> {
        let s = |v: &str| v.to_owned();
        let mut out = vec![
            SummaryPiece::SummaryNoChanges,
            SummaryPiece::SummaryKind {
                kind: s("services"),
                parts: s("added a"),
            },
            SummaryPiece::SummaryAdded { names: s("a, b") },
            SummaryPiece::SummaryChanged { names: s("a, b") },
            SummaryPiece::SummaryRemoved { names: s("a, b") },
            SummaryPiece::SummaryMore {
                names: s("a, b"),
                more: 7,
            },
            SummaryPiece::SummaryFields {
                name: s("a"),
                fields: s("match.prefix"),
            },
            SummaryPiece::SummaryListSep,
            SummaryPiece::SummaryPartSep,
        ];
        out.extend(ResourceKind::ALL.map(SummaryPiece::kind));
        out
    }
}

impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "{}", SummaryPiece::SummaryNoChanges);
        }
        let list_sep = SummaryPiece::SummaryListSep.to_string();
        let part_sep = SummaryPiece::SummaryPartSep.to_string();
        let mut kinds: Vec<String> = Vec::new();
        let mut groups = self.0.iter().peekable();
        while let Some(first) = groups.next() {
            let mut parts = vec![group_text(first, &list_sep)];
            while let Some(g) = groups.next_if(|g| g.kind == first.kind) {
                parts.push(group_text(g, &list_sep));
            }
            kinds.push(
                SummaryPiece::SummaryKind {
                    kind: kind_text(&first.kind),
                    parts: parts.join(&part_sep),
                }
                .to_string(),
            );
        }
        f.write_str(&kinds.join(&part_sep))
    }
}

/// The kind's word, or its key for a kind this version does not know.
fn kind_text(key: &str) -> String {
    ResourceKind::ALL
        .into_iter()
        .find(|k| k.document_key() == key)
        .map_or_else(|| key.to_owned(), |k| SummaryPiece::kind(k).to_string())
}

fn group_text(g: &ChangeGroup, list_sep: &str) -> String {
    let mut names = g.names.clone();
    if let [name] = names.as_mut_slice()
        && !g.fields.is_empty()
    {
        let mut fields = g.fields.clone();
        if g.more_fields {
            fields.push("…".to_owned());
        }
        *name = SummaryPiece::SummaryFields {
            name: std::mem::take(name),
            fields: fields.join(list_sep),
        }
        .to_string();
    }
    let mut names = names.join(list_sep);
    if g.more > 0 {
        names = SummaryPiece::SummaryMore {
            names,
            more: g.more,
        }
        .to_string();
    }
    match g.op {
        ChangeOp::Add => SummaryPiece::SummaryAdded { names },
        ChangeOp::Update => SummaryPiece::SummaryChanged { names },
        ChangeOp::Remove => SummaryPiece::SummaryRemoved { names },
    }
    .to_string()
}

/// `upstream.nodes[1].weight` and `upstream.nodes[0].addr` both name
/// `upstream.nodes`: list elements are summarised as their list. The first
/// [`SUMMARY_FIELDS`], and whether there were more.
fn field_summary(fields: &[FieldChange]) -> (Vec<String>, bool) {
    let mut paths: Vec<&str> = Vec::new();
    for f in fields {
        let p = f.path.split('[').next().unwrap_or(&f.path);
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    let more = paths.len() > SUMMARY_FIELDS;
    let shown = paths
        .into_iter()
        .take(SUMMARY_FIELDS)
        .map(str::to_owned)
        .collect();
    (shown, more)
}

impl fmt::Display for Change {
    /// `+ service a`, `- service b`, or `~ service c` followed by one
    /// indented line per changed field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_change(f, self, &self.fields())
    }
}

/// A change as [`Change`]'s `Display` shows it, with `fields` given (e.g.
/// as a server computed them).
pub fn render(change: &Change, fields: &[FieldChange]) -> String {
    struct Shown<'a>(&'a Change, &'a [FieldChange]);
    impl fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_change(f, self.0, self.1)
        }
    }
    Shown(change, fields).to_string()
}

fn write_change(
    f: &mut fmt::Formatter<'_>,
    change: &Change,
    fields: &[FieldChange],
) -> fmt::Result {
    let sign = match change.op {
        ChangeOp::Add => '+',
        ChangeOp::Update => '~',
        ChangeOp::Remove => '-',
    };
    write!(f, "{sign} {} {}", change.kind.as_str(), change.name)?;
    for fc in fields {
        // Whatever the caller passed, a secret's value is never printed.
        let fc = redact_field(change.kind, fc.clone());
        write!(
            f,
            "\n    {}: {} -> {}",
            fc.path,
            show(fc.before.as_ref()),
            show(fc.after.as_ref())
        )?;
    }
    Ok(())
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) if s == REDACTED || s == REDACTED_CHANGED => s.clone(),
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_document;

    const NODE: &str = r#"upstream: { nodes: [{ addr: "127.0.0.1:1" }] }"#;

    #[test]
    fn add_update_remove_with_field_paths() {
        let current = parse_document(&format!(
            "services:\n  - {{ name: keep, match: {{ prefix: /k }}, {NODE} }}\n  - {{ name: change, match: {{ prefix: /c }}, {NODE} }}\n  - {{ name: gone, match: {{ prefix: /g }}, {NODE} }}\n"
        ))
        .unwrap();
        let desired = parse_document(&format!(
            "services:\n  - {{ name: keep, match: {{ prefix: /k }}, {NODE} }}\n  - {{ name: change, match: {{ prefix: /c2 }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\", weight: 5 }}] }} }}\n  - {{ name: new, match: {{ prefix: /n }}, {NODE} }}\n"
        ))
        .unwrap();
        let changes = diff_documents(&current, &desired);
        let ops: Vec<_> = changes.iter().map(|c| (c.name.as_str(), c.op)).collect();
        assert_eq!(
            ops,
            [
                ("change", ChangeOp::Update),
                ("gone", ChangeOp::Remove),
                ("new", ChangeOp::Add)
            ]
        );
        let fields: Vec<_> = changes[0].fields().into_iter().map(|f| f.path).collect();
        assert_eq!(fields, ["match.prefix", "upstream.nodes[0].weight"]);
        let shown = changes[0].to_string();
        assert!(shown.contains("match.prefix: \"/c\" -> \"/c2\""), "{shown}");
        assert_eq!(
            summarize(&changes),
            "services: added new; changed change; removed gone"
        );
        // One change alone also names its fields, list elements as their list.
        assert_eq!(
            summarize(&changes[..1]),
            "services: changed change (match.prefix, upstream.nodes)"
        );
    }

    #[test]
    fn summaries_are_data_with_the_same_english() {
        let doc = |names: &[&str]| {
            let services: String = names
                .iter()
                .map(|n| format!("  - {{ name: {n}, match: {{ prefix: /{n} }}, {NODE} }}\n"))
                .collect();
            parse_document(&format!(
                "services:\n{services}tenants:\n  - {{ app_id: t1, secret: s3cr3t-s3cr3t-1 }}\n"
            ))
            .unwrap()
        };
        let current = doc(&["a", "z"]);
        let mut desired = doc(&["b", "c", "d", "e", "f", "g", "h"]);
        desired.tenants = Some(vec![]);
        let changes = diff_documents(&current, &desired);
        let s = summary(&changes);
        assert_eq!(
            s.to_string(),
            "services: added b, c, d, e, f and 2 more; removed a, z; tenants: removed t1"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json[0],
            serde_json::json!({"kind": "services", "op": "add", "names": ["b", "c", "d", "e", "f"],
                "more": 2, "fields": [], "more_fields": false})
        );
        let back: ChangeSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
        assert_eq!(ChangeSummary::default().to_string(), "no changes");

        // A single update names its fields, at most SUMMARY_FIELDS of them.
        let one = ChangeSummary(vec![ChangeGroup {
            kind: "signing_keys".into(),
            op: ChangeOp::Update,
            names: vec!["k1".into()],
            more: 0,
            fields: vec!["a".into(), "b".into(), "c".into()],
            more_fields: true,
        }]);
        assert_eq!(one.to_string(), "signing_keys: changed k1 (a, b, c, …)");
        // A kind from a newer version is shown by its key.
        let mut newer = one.clone();
        newer.0[0].kind = "widgets".into();
        assert!(newer.to_string().starts_with("widgets: "), "{newer}");
    }

    #[test]
    fn kind_pieces_are_the_document_keys() {
        for kind in ResourceKind::ALL {
            let piece = SummaryPiece::kind(kind);
            assert_eq!(piece.to_string(), kind.document_key());
            let code = serde_json::to_value(&piece).unwrap()["code"].clone();
            assert_eq!(code, format!("kind_{}", kind.document_key()));
        }
    }

    #[test]
    fn secrets_never_show_in_field_diffs() {
        let current = parse_document(
            "tenants:\n  - { app_id: shop, secret: old-tenant-secret-1 }\n\
             signing_keys:\n  - { name: k1, algorithm: HS256, key: b2xkLWtleS1vbGQta2V5 }\n\
             certificates:\n  - { name: c, cert: CERT, key: OLD-PRIVATE-KEY }\n",
        )
        .unwrap();
        let desired = parse_document(
            "tenants:\n  - { app_id: shop, secret: new-tenant-secret-2, qps: 5 }\n\
             signing_keys:\n  - { name: k1, algorithm: HS256, key: bmV3LWtleS1uZXcta2V5 }\n\
             certificates:\n  - { name: c, cert: CERT, key: NEW-PRIVATE-KEY }\n",
        )
        .unwrap();
        let changes = diff_documents(&current, &desired);
        assert_eq!(changes.len(), 3);
        // Also when the fields come from elsewhere (a server's answer).
        let shown: String = changes
            .iter()
            .map(|c| {
                let raw = field_changes(c.before.as_ref().unwrap(), c.after.as_ref().unwrap());
                format!("{c}\n{}\n", render(c, &raw))
            })
            .collect();
        for secret in [
            "old-tenant-secret-1",
            "new-tenant-secret-2",
            "b2xkLWtleS1vbGQta2V5",
            "bmV3LWtleS1uZXcta2V5",
            "OLD-PRIVATE-KEY",
            "NEW-PRIVATE-KEY",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("secret: <redacted> -> <redacted, changed>"),
            "{shown}"
        );
        assert!(
            shown.contains("key: <redacted> -> <redacted, changed>"),
            "{shown}"
        );
        assert!(shown.contains("qps: 0 -> 5"), "{shown}");
        assert!(is_secret_path(ResourceKind::Tenant, "secret"));
        assert!(!is_secret_path(ResourceKind::Tenant, "secrets_note"));
        assert!(!is_secret_path(ResourceKind::Service, "key"));
    }

    #[test]
    fn undeclared_kinds_are_left_alone() {
        let current = parse_document(&format!(
            "services:\n  - {{ name: a, match: {{ prefix: /a }}, {NODE} }}\n"
        ))
        .unwrap();
        assert!(diff_documents(&current, &ConfigDocument::default()).is_empty());
        let empty = parse_document("services: []").unwrap();
        assert_eq!(diff_documents(&current, &empty)[0].op, ChangeOp::Remove);
    }

    #[test]
    fn a_field_left_out_shows_as_its_default() {
        let spec = |extra: &str| {
            parse_document(&format!(
                "services:\n  - {{ name: a, match: {{ prefix: /a }}, upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}]{extra} }} }}\n"
            ))
            .unwrap()
        };
        let changes = diff_documents(
            &spec(""),
            &spec(", balance: random, timeouts: { connect: 2s }"),
        );
        let fields: Vec<_> = changes[0]
            .fields()
            .into_iter()
            .map(|f| {
                format!(
                    "{}: {} -> {}",
                    f.path,
                    show(f.before.as_ref()),
                    show(f.after.as_ref())
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                "upstream.balance: \"round_robin\" -> \"random\"",
                "upstream.timeouts.connect: \"5s\" -> \"2s\""
            ]
        );
        // A block that is off when absent is one change, shown as written.
        let changes = diff_documents(&spec(""), &spec(", health_check: { interval: 1s }"));
        let fields = changes[0].fields();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].path, "upstream.health_check");
        assert_eq!(fields[0].before, None);
    }

    #[test]
    fn defaults_written_or_not_are_equal() {
        let a = parse_document(&format!(
            "services:\n  - {{ name: a, match: {{ prefix: /a }}, {NODE} }}\n"
        ))
        .unwrap();
        let b = parse_document(
            "services:\n  - { name: a, kind: http, enabled: true, match: { prefix: /a }, upstream: { balance: round_robin, nodes: [{ addr: \"127.0.0.1:1\", weight: 1 }], timeouts: { connect: 5s }, max_idle_per_node: 64 } }\n",
        )
        .unwrap();
        assert!(diff_documents(&a, &b).is_empty());
    }
}
