//! Reading and writing configuration documents as YAML (JSON is accepted too:
//! it is a subset of YAML).

use crate::model::ConfigDocument;

/// A document that could not be read, with the line and column when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parse a document. Unknown keys, wrong types and malformed durations are
/// errors that name the key and the position.
pub fn parse_document(text: &str) -> Result<ConfigDocument, ParseError> {
    if text.trim().is_empty() {
        return Ok(ConfigDocument::default());
    }
    serde_yaml_ng::from_str(text).map_err(|e| {
        let loc = e.location();
        ParseError {
            message: e.to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
        }
    })
}

/// Render a document as YAML that [`parse_document`] reads back unchanged.
pub fn to_yaml(doc: &ConfigDocument) -> String {
    let mut doc = doc.clone();
    doc.sort();
    // The model has only string keys and plain values, so this cannot fail;
    // fall back to an empty document rather than panic if it ever did.
    serde_yaml_ng::to_string(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_with_position() {
        let e = parse_document(
            "services:\n  - name: a\n    strp_prefix: true\n    upstream: { nodes: [] }\n",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `strp_prefix`"), "{e}");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn bad_duration_is_explained() {
        let e = parse_document(
            "services:\n  - name: a\n    upstream: { nodes: [], timeouts: { connect: 5 } }\n",
        )
        .unwrap_err();
        assert!(e.message.contains("duration"), "{e}");
    }

    #[test]
    fn absent_and_empty_kinds_differ() {
        assert_eq!(parse_document("").unwrap().services, None);
        assert_eq!(parse_document("{}").unwrap().services, None);
        assert_eq!(
            parse_document("services: []").unwrap().services,
            Some(vec![])
        );
        assert_eq!(parse_document("services:").unwrap().services, Some(vec![]));
    }

    #[test]
    fn round_trip_is_exact() {
        let text = r#"
services:
  - name: b
    description: second
    enabled: false
    match: { host: "*.example.com", prefix: /x/ }
    websocket: true
    upstream:
      balance: consistent_hash
      hash_key: header:x-user
      nodes: [{ addr: "[::1]:8080", weight: 3, enabled: false }]
      timeouts: { connect: 1500ms, response_header: 1m, idle: 0s }
      max_idle_per_node: 0
  - name: a
    match: { prefix: / }
    upstream: { nodes: [{ addr: "10.0.0.1:80" }] }
"#;
        let doc = parse_document(text).unwrap();
        let out = to_yaml(&doc);
        let again = parse_document(&out).unwrap();
        let mut sorted = doc.clone();
        sorted.sort();
        assert_eq!(again, sorted, "{out}");
        assert_eq!(to_yaml(&again), out);
    }
}
