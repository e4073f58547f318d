//! The documentation stays true: every shipped example configuration and
//! every YAML or TOML block in `docs/` validates, every process
//! configuration key is documented with its environment variable, every
//! page has its zh-CN translation with the same headings, and every
//! relative link and `#anchor` resolves.
//!
//! The translation and link rules (the same as /tmp/weir-tools/docs_check.py
//! had, which the translators ran):
//!
//! - every `docs/x.md` and `README.md` has `x.zh-CN.md` beside it, with the
//!   same headings (count, levels, order); each zh-CN heading of level 2 or
//!   more is preceded by `<a id="slug"></a>`, the English heading's GitHub
//!   slug, so that links into either page use the same anchors;
//! - in the Markdown of `docs/`, `README*.md`, `CONTRIBUTING.md`,
//!   `CHANGELOG.md` and `deploy/`, every link without a scheme names an
//!   existing file, and its `#anchor`, when the target is Markdown, a heading
//!   slug or an `<a id>` of that page.
//!
//! `WEIR_DOCS_ROOT=DIR` checks the translations and links of another
//! checkout (say, one where translations are being written) instead of this
//! one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
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

// ---- Translations and links ----

/// The tree whose translations and links are checked.
fn docs_root() -> PathBuf {
    std::env::var_os("WEIR_DOCS_ROOT").map_or_else(repo, PathBuf::from)
}

/// A heading as the checks compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Heading {
    level: usize,
    /// Its GitHub slug, `-1`, `-2`… added to repeats as GitHub does.
    slug: String,
    /// The `<a id="…">` just above it (blank lines between allowed).
    anchor: Option<String>,
    /// 1-based line number.
    line: usize,
}

/// What the checks read from one Markdown page (outside fenced code).
#[derive(Debug, Default)]
struct Page {
    headings: Vec<Heading>,
    /// Every anchor a link may name: heading slugs and `<a id>`s.
    ids: HashSet<String>,
    /// (line, target) of every `](target)`.
    links: Vec<(usize, String)>,
}

/// GitHub's heading slug: inline links reduced to their text, backticks
/// dropped, lower-cased; letters, digits, spaces, `-` and `_` kept, spaces
/// turned into `-`. (`char::is_alphanumeric` is Unicode's Alphabetic or
/// Numeric: the same as letters and digits for the Latin and CJK text of
/// these pages.)
fn slug(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    // `[text](url)` → `text`; anything else stays as it is.
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let link = after.find(']').and_then(|close| {
            let tail = after[close + 1..].strip_prefix('(')?;
            let end = tail.find(')')?;
            Some((&after[..close], &tail[end + 1..]))
        });
        match link {
            Some((inner, tail)) => {
                plain.push_str(&rest[..open]);
                plain.push_str(inner);
                rest = tail;
            }
            None => {
                plain.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    plain
        .replace('`', "")
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// `<a id="x"></a>` alone on a line → `x`.
fn anchor_line(line: &str) -> Option<&str> {
    let id = line
        .trim()
        .strip_prefix("<a id=\"")?
        .strip_suffix("\"></a>")?;
    (!id.is_empty() && !id.contains('"')).then_some(id)
}

/// `## Text` → (2, "Text"): one to six `#` and a space.
fn heading_line(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    let text = line[level..].strip_prefix(' ')?;
    (1..=6).contains(&level).then_some((level, text))
}

/// Targets of `](target)` on a line (no whitespace inside the target).
fn link_targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| c == ')' || c.is_whitespace())
            .unwrap_or(rest.len());
        if end > 0 && rest[end..].starts_with(')') {
            out.push(rest[..end].to_owned());
            rest = &rest[end + 1..];
        }
    }
    out
}

fn parse(markdown: &str) -> Page {
    let mut page = Page::default();
    let mut fence = false;
    let mut pending: Option<String> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in markdown.lines().enumerate() {
        let n = i + 1;
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if let Some(id) = anchor_line(line) {
            page.ids.insert(id.to_owned());
            pending = Some(id.to_owned());
            continue;
        }
        if let Some((level, text)) = heading_line(line) {
            let base = slug(text);
            let k = seen.entry(base.clone()).or_insert(0);
            let slug = if *k == 0 { base } else { format!("{base}-{k}") };
            *k += 1;
            page.ids.insert(slug.clone());
            page.headings.push(Heading {
                level,
                slug,
                anchor: pending.take(),
                line: n,
            });
            continue;
        }
        if !line.trim().is_empty() {
            pending = None;
        }
        page.links
            .extend(link_targets(line).into_iter().map(|t| (n, t)));
    }
    page
}

/// The zh-CN page's headings against the English one's: the first
/// difference, if any (one is enough to find the place to fix).
fn heading_problems(en: &Page, zh_name: &str, zh: &Page) -> Vec<String> {
    let mut out = Vec::new();
    if en.headings.len() != zh.headings.len() {
        out.push(format!(
            "{zh_name}: {} headings, English has {}",
            zh.headings.len(),
            en.headings.len()
        ));
    }
    let first = en.headings.iter().zip(&zh.headings).find(|(e, z)| {
        e.level != z.level || (e.level > 1 && z.anchor.as_deref() != Some(e.slug.as_str()))
    });
    if let Some((e, z)) = first {
        out.push(format!(
            "{zh_name}:{}: heading level {} anchor {:?}, English line {} has level {} anchor {:?}",
            z.line, z.level, z.anchor, e.line, e.level, e.slug
        ));
    }
    out
}

/// `x.md` → `x.zh-CN.md`.
fn zh_path(en: &Path) -> PathBuf {
    en.with_extension("zh-CN.md")
}

fn is_zh(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".zh-CN.md")
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn md_files_in(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if recursive {
                md_files_in(&path, true, out);
            }
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// Every page that must have a zh-CN translation: `docs/*.md` and
/// `README.md` (English ones only).
fn translated_pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = Vec::new();
    md_files_in(&root.join("docs"), false, &mut pages);
    pages.push(root.join("README.md"));
    pages.retain(|p| !is_zh(p));
    pages
}

/// Every Markdown file whose links are checked.
fn linked_pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = Vec::new();
    md_files_in(&root.join("docs"), true, &mut pages);
    md_files_in(&root.join("deploy"), true, &mut pages);
    let mut top = Vec::new();
    md_files_in(root, false, &mut top);
    pages.extend(top.into_iter().filter(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("README") || name == "CONTRIBUTING.md" || name == "CHANGELOG.md"
    }));
    pages
}

fn read_page(path: &Path) -> Page {
    parse(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Missing translations and heading differences under `root`.
fn translation_problems(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for en in translated_pages(root) {
        let zh = zh_path(&en);
        if !zh.is_file() {
            out.push(format!(
                "{}: no translation {}",
                rel(root, &en),
                rel(root, &zh)
            ));
            continue;
        }
        out.extend(heading_problems(
            &read_page(&en),
            &rel(root, &zh),
            &read_page(&zh),
        ));
    }
    out
}

/// Relative links under `root` that name no file, or an anchor that the
/// target page does not have.
fn link_problems(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut cache: BTreeMap<PathBuf, HashSet<String>> = BTreeMap::new();
    for page in linked_pages(root) {
        let parsed = read_page(&page);
        for (n, target) in &parsed.links {
            // `https:`, `mailto:`… are not files.
            let scheme = target
                .split_once(':')
                .is_some_and(|(s, _)| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()));
            if scheme {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let Ok(path) = path.canonicalize() else {
                out.push(format!(
                    "{}:{n}: link to missing {target}",
                    rel(root, &page)
                ));
                continue;
            };
            if anchor.is_empty() || path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let ids = cache
                .entry(path.clone())
                .or_insert_with(|| read_page(&path).ids);
            if !ids.contains(anchor) {
                out.push(format!(
                    "{}:{n}: link {target}: no such anchor",
                    rel(root, &page)
                ));
            }
        }
    }
    out
}

#[test]
fn every_page_has_a_translation_with_the_same_headings() {
    let root = docs_root();
    assert!(translated_pages(&root).len() >= 2);
    let problems = translation_problems(&root);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let root = docs_root();
    let problems = link_problems(&root);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The checkers themselves, on small trees written here.
mod checker {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const EN: &str = "# Guide\n\nSee [setup](#set-up-the-store).\n\n## Set up the `store`\n\n```sh\n# not a heading\n```\n\n### Details\n";
    const ZH: &str = "# 指南\n\n<a id=\"set-up-the-store\"></a>\n## 配置存储\n\n<a id=\"details\"></a>\n### 细节\n";

    #[test]
    fn slugs_follow_github() {
        assert_eq!(slug("Set up the `store`"), "set-up-the-store");
        assert_eq!(slug("The [import](x.md#a) command"), "the-import-command");
        assert_eq!(slug("Limits: qps, qpd & burst"), "limits-qps-qpd--burst");
        assert_eq!(slug("snake_case and-dash 2"), "snake_case-and-dash-2");
        assert_eq!(slug("配置 存储（可选）"), "配置-存储可选");
        assert_eq!(slug("[a] b"), "a-b");
    }

    #[test]
    fn parse_reads_headings_anchors_and_links_outside_code() {
        let page = parse(EN);
        let levels: Vec<_> = page
            .headings
            .iter()
            .map(|h| (h.level, h.slug.as_str()))
            .collect();
        assert_eq!(
            levels,
            [(1, "guide"), (2, "set-up-the-store"), (3, "details")],
            "the `# not a heading` in the code block is not one"
        );
        assert_eq!(page.links, [(3, "#set-up-the-store".to_owned())]);
        let zh = parse(ZH);
        assert_eq!(zh.headings[1].anchor.as_deref(), Some("set-up-the-store"));
        assert!(zh.ids.contains("details") && zh.ids.contains("配置存储"));
        // Repeated headings get -1, -2 as on GitHub; `####### x` is text.
        let dup = parse("## A\n## A\n## A\n####### x\n#nospace\n");
        let slugs: Vec<_> = dup.headings.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(slugs, ["a", "a-1", "a-2"]);
    }

    #[test]
    fn matching_headings_pass() {
        assert!(heading_problems(&parse(EN), "x.zh-CN.md", &parse(ZH)).is_empty());
    }

    #[test]
    fn heading_mismatches_are_found() {
        let en = parse(EN);
        // A missing heading.
        let fewer = parse("# 指南\n<a id=\"set-up-the-store\"></a>\n## 配置存储\n");
        let p = heading_problems(&en, "x.zh-CN.md", &fewer);
        assert_eq!(p, ["x.zh-CN.md: 2 headings, English has 3"]);
        // Another level.
        let level = parse(&ZH.replace("### 细节", "## 细节"));
        let p = heading_problems(&en, "x.zh-CN.md", &level);
        assert_eq!(
            p,
            [
                "x.zh-CN.md:7: heading level 2 anchor Some(\"details\"), English line 11 has level 3 anchor \"details\""
            ]
        );
        // No anchor, a wrong one, or one separated by text.
        for zh in [
            ZH.replace("<a id=\"details\"></a>\n", ""),
            ZH.replace("<a id=\"details\">", "<a id=\"detail\">"),
            ZH.replace("<a id=\"details\"></a>\n", "<a id=\"details\"></a>\ntext\n"),
        ] {
            let p = heading_problems(&en, "x.zh-CN.md", &parse(&zh));
            assert_eq!(p.len(), 1, "{zh}: {p:?}");
            assert!(
                p[0].contains("English line 11 has level 3 anchor \"details\""),
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_missing_translation_is_found() {
        let t = tree(&[
            ("README.md", "# Weir\n"),
            ("README.zh-CN.md", "# Weir\n"),
            ("docs/guide.md", EN),
            ("docs/guide.zh-CN.md", ZH),
            ("docs/other.md", "# Other\n"),
        ]);
        assert_eq!(
            translation_problems(t.path()),
            ["docs/other.md: no translation docs/other.zh-CN.md"]
        );
        std::fs::write(t.path().join("docs/other.zh-CN.md"), "# 其他\n").unwrap();
        assert!(translation_problems(t.path()).is_empty());
    }

    #[test]
    fn broken_links_and_anchors_are_found() {
        let t = tree(&[
            (
                "README.md",
                "# Weir\n[ok](docs/guide.md) [ok](docs/guide.zh-CN.md#details) [web](https://example.com/x.md)\n",
            ),
            ("docs/guide.md", EN),
            ("docs/guide.zh-CN.md", ZH),
            (
                "docs/links.md",
                "# Links\n[up](../README.md#weir) [dir](../deploy)\n[gone](nothere.md)\n[bad](guide.md#no-such)\n`code [x](ignored.md)` is read too\n```\n[in code](skipped.md)\n```\n",
            ),
            (
                "deploy/README.md",
                "# Deploy\n[self](#deploy) [bad](#nope)\n",
            ),
            (
                "CONTRIBUTING.md",
                "# Contributing\n[changelog](CHANGELOG.md)\n",
            ),
        ]);
        assert_eq!(
            link_problems(t.path()),
            [
                "docs/links.md:3: link to missing nothere.md",
                "docs/links.md:4: link guide.md#no-such: no such anchor",
                "docs/links.md:5: link to missing ignored.md",
                "deploy/README.md:2: link #nope: no such anchor",
                "CONTRIBUTING.md:2: link to missing CHANGELOG.md",
            ]
        );
    }
}
