//! Between database rows and the model: resource rows into a
//! [`ConfigDocument`], change rows into [`Change`]s, and back. Anything stored
//! that no longer reads as the model becomes [`StoreError::Corrupt`] naming the
//! row, so a user can find and fix it.
//!
//! Rows of a kind this version does not know are skipped, not errors: a newer
//! Weir sharing the database during a rolling upgrade may have written them,
//! and this version can neither serve nor change them.
//!
//! Specs are read back in the model's canonical form ([`canonical`]):
//! an older Weir stored every default written out, this one stores only
//! what was set, and both must read — and compare — the same.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use weir_core::{Change, ChangeOp, ConfigDocument, ResourceKind};

use crate::StoreError;

/// Builds the whole document from `(kind, name, spec)` rows: every kind is
/// present, `Some(vec![])` when it has no rows.
pub(crate) fn document_from_rows(
    rows: Vec<(String, String, String)>,
) -> Result<ConfigDocument, StoreError> {
    let mut per_kind: BTreeMap<ResourceKind, Vec<(String, Value)>> =
        ResourceKind::ALL.iter().map(|k| (*k, Vec::new())).collect();
    let mut unknown = BTreeSet::new();
    for (kind_str, name, spec) in rows {
        let Some(kind) = ResourceKind::parse(&kind_str) else {
            unknown.insert(kind_str);
            continue;
        };
        let value = parse_spec(&kind_str, &name, &spec)?;
        // The name column is the key diffs and updates go by; a spec that
        // names something else would make them silently wrong.
        match value.get(kind.name_field()).and_then(Value::as_str) {
            Some(n) if n == name => {}
            other => {
                return Err(StoreError::corrupt(
                    &kind_str,
                    &name,
                    format!("its spec is named {other:?}, not {name:?}"),
                ));
            }
        }
        per_kind.entry(kind).or_default().push((name, value));
    }
    if !unknown.is_empty() {
        tracing::warn!(
            kinds = ?unknown,
            "ignoring stored resources of kinds this version of Weir does not know"
        );
    }

    let mut doc = ConfigDocument::default();
    for (kind, items) in per_kind {
        // Kept so that a failure can be pinned on one resource below; specs
        // are small and this runs once per revision.
        let named = items.clone();
        let values = items.into_iter().map(|(_, v)| v).collect();
        if let Err(e) = doc.set_resources(kind, values) {
            return Err(find_unreadable(kind, named).unwrap_or_else(|| {
                StoreError::corrupt(kind.as_str(), "", format!("{e} (resource not identified)"))
            }));
        }
    }
    Ok(doc)
}

/// The first resource that does not deserialise on its own.
fn find_unreadable(kind: ResourceKind, items: Vec<(String, Value)>) -> Option<StoreError> {
    items.into_iter().find_map(|(name, value)| {
        ConfigDocument::default()
            .set_resources(kind, vec![value])
            .err()
            .map(|e| StoreError::corrupt(kind.as_str(), &name, e))
    })
}

pub(crate) fn parse_spec(kind: &str, name: &str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::corrupt(kind, name, format!("invalid JSON: {e}")))
}

/// A stored spec as the model writes it now (defaults left out), or as
/// stored when it does not read as the model — a newer Weir sharing the
/// database may have written a field this one does not know; showing it
/// as it is beats refusing to show it.
pub(crate) fn canonical(kind: ResourceKind, spec: Value) -> Value {
    weir_core::model::canonical_spec(kind, spec.clone()).unwrap_or(spec)
}

/// [`parse_spec`] then [`canonical`].
pub(crate) fn read_spec(kind: ResourceKind, name: &str, text: &str) -> Result<Value, StoreError> {
    Ok(canonical(kind, parse_spec(kind.as_str(), name, text)?))
}

/// `(kind, name, op, before_spec, after_spec)` as selected from
/// `weir_revision_changes`.
pub(crate) type ChangeRow = (String, String, String, Option<String>, Option<String>);

/// A stored change row, or `None` for a kind this version does not know.
pub(crate) fn change_from_row(
    (kind_str, name, op, before, after): ChangeRow,
) -> Result<Option<Change>, StoreError> {
    let Some(kind) = ResourceKind::parse(&kind_str) else {
        return Ok(None);
    };
    let op = match op.as_str() {
        "add" => ChangeOp::Add,
        "update" => ChangeOp::Update,
        "remove" => ChangeOp::Remove,
        other => {
            return Err(StoreError::corrupt(
                &kind_str,
                &name,
                format!("unknown change operation {other:?}"),
            ));
        }
    };
    // Canonical, so that a revision written by an older Weir (defaults
    // spelled out) shows the same field changes as one written now.
    let spec = |text: Option<String>| text.map(|t| read_spec(kind, &name, &t)).transpose();
    let before = spec(before)?;
    let after = spec(after)?;
    Ok(Some(Change {
        kind,
        name,
        op,
        before,
        after,
    }))
}

pub(crate) fn op_str(op: ChangeOp) -> &'static str {
    match op {
        ChangeOp::Add => "add",
        ChangeOp::Update => "update",
        ChangeOp::Remove => "remove",
    }
}

pub(crate) fn spec_text(value: Option<&Value>) -> Result<Option<String>, StoreError> {
    Ok(value.map(serde_json::to_string).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, spec: &str) -> (String, String, String) {
        ("service".into(), name.into(), spec.into())
    }

    const OK: &str =
        r#"{"name":"a","match":{"prefix":"/a"},"upstream":{"nodes":[{"addr":"127.0.0.1:1"}]}}"#;

    #[test]
    fn every_kind_is_present_and_unknown_kinds_are_skipped() {
        let doc = document_from_rows(vec![("widget".into(), "t".into(), "{".into())]).unwrap();
        assert_eq!(doc.services, Some(vec![]));
        let doc = document_from_rows(vec![row("a", OK)]).unwrap();
        assert_eq!(doc.services.unwrap()[0].name, "a");
    }

    #[test]
    fn unreadable_rows_are_named() {
        let cases = [
            row("c", "{not json"),
            row("b", OK),
            row(
                "c",
                r#"{"name":"c","upstream":{"nodes":[]},"colour":"red"}"#,
            ),
        ];
        for (case, expect) in cases.into_iter().zip(["invalid JSON", "named", "colour"]) {
            let name = case.1.clone();
            match document_from_rows(vec![row("a", OK), case]) {
                Err(StoreError::Corrupt {
                    kind,
                    name: n,
                    message,
                }) => {
                    assert_eq!((kind.as_str(), n.as_str()), ("service", name.as_str()));
                    assert!(message.contains(expect), "{message}");
                }
                other => panic!("expected Corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn change_rows_round_trip() {
        let change = Change {
            kind: ResourceKind::Service,
            name: "a".into(),
            op: ChangeOp::Update,
            before: Some(serde_json::json!({"name": "a"})),
            after: Some(serde_json::json!({"name": "a", "x": 1})),
        };
        let row = (
            "service".to_owned(),
            "a".to_owned(),
            op_str(change.op).to_owned(),
            spec_text(change.before.as_ref()).unwrap(),
            spec_text(change.after.as_ref()).unwrap(),
        );
        assert_eq!(change_from_row(row).unwrap(), Some(change));
        let bad = ("service".into(), "a".into(), "rename".into(), None, None);
        assert!(matches!(
            change_from_row(bad),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
