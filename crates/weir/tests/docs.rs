//! The documentation stays true: every shipped example configuration and
//! every YAML or TOML block in `docs/` validates, and every process
//! configuration key is documented with its environment variable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use weir::ProcessConfig;
use weir_core::compile;
use weir_core::yaml::parse_document;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fenced code blocks of `lang` in a Markdown file.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md"), repo().join("README.zh-CN.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

#[test]
fn example_files_validate() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let doc = parse_document(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            compile(&doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checked += 1;
        }
    }
    assert!(checked >= 1);
}

#[test]
fn yaml_blocks_in_docs_validate() {
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in blocks(&text, "yaml") {
            // Blocks that say so show a shape with placeholders (e.g. PEM).
            if block.starts_with("# shape only") {
                continue;
            }
            let doc = parse_document(&block)
                .unwrap_or_else(|e| panic!("{}: {e}\n{block}", file.display()));
            compile(&doc).unwrap_or_else(|e| panic!("{}: {e}\n{block}", file.display()));
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} YAML blocks found");
}

#[test]
fn toml_blocks_in_docs_are_valid_process_configs() {
    let text = std::fs::read_to_string(repo().join("docs/configuration.md")).unwrap();
    let tomls = blocks(&text, "toml");
    assert!(!tomls.is_empty());
    for block in tomls {
        ProcessConfig::from_sources(&block, "docs", Vec::new())
            .unwrap_or_else(|e| panic!("{e:#}\n{block}"));
    }
}

#[test]
fn every_process_key_is_documented() {
    let text = std::fs::read_to_string(repo().join("docs/configuration.md")).unwrap();
    for (key, var, _) in ProcessConfig::default().keys() {
        assert!(
            text.contains(&format!("`{key}`")) && text.contains(&format!("`{var}`")),
            "docs/configuration.md does not document {key} / {var}"
        );
    }
}
