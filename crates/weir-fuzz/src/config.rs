//! Configuration targets: path rewrites, header operations and whole YAML
//! documents, each compiled exactly as `weir check` and the admin API do,
//! then (when valid) applied.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use weir_core::compile::CompiledService;
use weir_core::yaml::{parse_document, to_yaml};
use weir_core::{ConfigDocument, HeaderOpKind, compile};

/// Compile a one-service document built from `service` (merged over a
/// minimal valid service); `None` when it does not validate.
fn compile_service(service: Value) -> Option<CompiledService> {
    let mut svc = json!({
        "name": "fuzz",
        "match": { "prefix": "/fuzz/" },
        "upstream": { "nodes": [{ "addr": "127.0.0.1:9" }] },
    });
    if let (Some(base), Value::Object(extra)) = (svc.as_object_mut(), service) {
        base.extend(extra);
    }
    let doc: ConfigDocument = serde_json::from_value(json!({ "services": [svc] })).ok()?;
    compile(&doc).ok()?.services.into_iter().next()
}

/// Rewrite rules. Line 1: flags (`s` = strip_prefix) and the route prefix;
/// then pairs of lines `pattern` / `replacement` up to an empty line; then
/// request paths. Invariant: the upstream path starts with `/`.
pub fn rewrite(data: &[u8]) {
    let Some(mut lines) = super::lines(data) else {
        return;
    };
    let head = lines.next().unwrap_or_default();
    let (flags, prefix) = head.split_once(' ').unwrap_or((head, "/fuzz/"));
    let mut rules = Vec::new();
    while let Some(pattern) = lines.next().filter(|l| !l.is_empty()) {
        let replacement = lines.next().unwrap_or_default();
        rules.push(json!({ "pattern": pattern, "replacement": replacement }));
    }
    let Some(svc) = compile_service(json!({
        "match": { "prefix": prefix },
        "strip_prefix": flags.contains('s'),
        "rewrite": rules,
    })) else {
        return;
    };
    for path in lines {
        let out = svc.rewrite_path(path);
        assert!(out.starts_with('/'), "{path:?} rewritten to {out:?}");
    }
}

/// Header operations. Lines `op name [value]` up to an empty line, then
/// request headers `name: value`. Invariant: after the operations, a header
/// whose last operation was `remove` is absent and one whose last was `set`
/// has exactly that one value.
pub fn header_ops(data: &[u8]) {
    let Some(mut lines) = super::lines(data) else {
        return;
    };
    let mut ops = Vec::new();
    for line in lines.by_ref().take_while(|l| !l.is_empty()) {
        let mut words = line.splitn(3, ' ');
        let op = words.next().unwrap_or_default();
        let name = words.next().unwrap_or_default();
        let mut entry = json!({ "op": op, "name": name });
        if let Some(value) = words.next() {
            entry["value"] = json!(value);
        }
        ops.push(entry);
    }
    let Some(svc) = compile_service(json!({ "request_headers": ops })) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            headers.append(n, v);
        }
    }
    svc.apply_header_ops(&mut headers);
    for (i, op) in svc.header_ops.iter().enumerate() {
        let last = !svc.header_ops[i + 1..].iter().any(|o| o.name == op.name);
        if !last {
            continue;
        }
        match op.kind {
            HeaderOpKind::Remove => assert!(!headers.contains_key(&op.name), "{op:?}"),
            HeaderOpKind::Set => {
                let values: Vec<_> = headers.get_all(&op.name).iter().collect();
                assert_eq!(
                    values,
                    [op.value.as_ref().unwrap_or(&HeaderValue::from_static(""))]
                );
            }
            HeaderOpKind::Add => assert!(headers.contains_key(&op.name), "{op:?}"),
        }
    }
}

/// A whole configuration document: parse, compile, and for a valid one,
/// render it back (`weir export`) and check the rendering reads back to
/// the same document and still compiles.
pub fn yaml_compile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = parse_document(text) else {
        return;
    };
    if compile(&doc).is_err() {
        return;
    }
    let rendered = to_yaml(&doc);
    let again = match parse_document(&rendered) {
        Ok(d) => d,
        Err(e) => panic!("export of a valid document does not parse: {e}\n{rendered}"),
    };
    let mut sorted = doc.clone();
    sorted.sort();
    assert_eq!(again, sorted, "export changed the document:\n{rendered}");
    if let Err(e) = compile(&again) {
        panic!("export of a valid document does not compile: {e}\n{rendered}");
    }
}
