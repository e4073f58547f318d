//! Validation of a service's `compression` and its runtime form: the
//! codings in the service's order and the media types pre-parsed, so that
//! a response's `Content-Type` is matched without allocating.

use crate::error::ValidationErrors;
use crate::model::{Compression, CompressionLevels, Encoding};
use crate::msg::Msg;
use crate::rules::{BROTLI_LEVEL, GZIP_LEVEL, ZSTD_LEVEL};

/// `compression` ready for the data plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledCompression {
    /// The codings, in the service's order of preference; each once.
    pub algorithms: Box<[Encoding]>,
    /// Responses with a smaller `Content-Length` are not compressed.
    pub min_size: u64,
    pub content_types: Box<[MediaRange]>,
    pub level: CompressionLevels,
}

/// One entry of `content_types`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRange {
    /// `type/subtype`.
    Exact { kind: Box<str>, subtype: Box<str> },
    /// `type/*`.
    AnySubtype { kind: Box<str> },
    /// `type/*+suffix` (`suffix` without the `+`).
    Suffix { kind: Box<str>, suffix: Box<str> },
    /// `*/*`.
    Any,
}

/// The one media type a wildcard does not cover: each server-sent event is
/// small and wanted at once, so compressing them is a choice to make by
/// naming the type.
const EVENT_STREAM: (&str, &str) = ("text", "event-stream");

impl CompiledCompression {
    /// The level of `encoding`.
    pub fn level_of(&self, encoding: Encoding) -> u32 {
        match encoding {
            Encoding::Br => self.level.br,
            Encoding::Zstd => self.level.zstd,
            Encoding::Gzip => self.level.gzip,
        }
    }

    /// Whether a response with this `Content-Type` value is of a type to
    /// compress. Parameters (`; charset=utf-8`) and case do not count; a
    /// value that is not `type/subtype` never matches.
    pub fn compresses_type(&self, content_type: &[u8]) -> bool {
        let Some((kind, subtype)) = media_type(content_type) else {
            return false;
        };
        let event_stream = kind.eq_ignore_ascii_case(EVENT_STREAM.0.as_bytes())
            && subtype.eq_ignore_ascii_case(EVENT_STREAM.1.as_bytes());
        self.content_types
            .iter()
            .any(|range| range.matches(kind, subtype, event_stream))
    }
}

impl MediaRange {
    fn matches(&self, kind: &[u8], subtype: &[u8], event_stream: bool) -> bool {
        let same = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
        match self {
            MediaRange::Exact {
                kind: k,
                subtype: s,
            } => same(kind, k) && same(subtype, s),
            _ if event_stream => false,
            MediaRange::AnySubtype { kind: k } => same(kind, k),
            MediaRange::Suffix { kind: k, suffix } => {
                same(kind, k)
                    && subtype
                        .iter()
                        .rposition(|&b| b == b'+')
                        .is_some_and(|plus| plus > 0 && same(&subtype[plus + 1..], suffix))
            }
            MediaRange::Any => true,
        }
    }

    /// Parse a configured range; `None` when it is not one.
    fn parse(text: &str) -> Option<Self> {
        let (kind, subtype) = text.split_once('/')?;
        let token = |s: &str| !s.is_empty() && s.bytes().all(is_tchar) && !s.contains('*');
        let lower = |s: &str| s.to_ascii_lowercase().into_boxed_str();
        match (kind, subtype) {
            ("*", "*") => Some(MediaRange::Any),
            (k, "*") if token(k) => Some(MediaRange::AnySubtype { kind: lower(k) }),
            (k, s) if token(k) => match s.strip_prefix("*+") {
                Some(suffix) if token(suffix) => Some(MediaRange::Suffix {
                    kind: lower(k),
                    suffix: lower(suffix),
                }),
                Some(_) => None,
                None if token(s) => Some(MediaRange::Exact {
                    kind: lower(k),
                    subtype: lower(s),
                }),
                None => None,
            },
            _ => None,
        }
    }
}

/// As configured (lower-cased): `text/*`, `application/*+json`.
impl std::fmt::Display for MediaRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaRange::Exact { kind, subtype } => write!(f, "{kind}/{subtype}"),
            MediaRange::AnySubtype { kind } => write!(f, "{kind}/*"),
            MediaRange::Suffix { kind, suffix } => write!(f, "{kind}/*+{suffix}"),
            MediaRange::Any => f.write_str("*/*"),
        }
    }
}

/// A `Content-Type` value's type and subtype (RFC 9110 §8.3.1), trimmed.
fn media_type(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let essence = value.split(|&b| b == b';').next()?.trim_ascii();
    let slash = essence.iter().position(|&b| b == b'/')?;
    let (kind, subtype) = (&essence[..slash], &essence[slash + 1..]);
    let valid = |s: &[u8]| !s.is_empty() && s.iter().all(|&b| is_tchar(b));
    (valid(kind) && valid(subtype)).then_some((kind, subtype))
}

/// A token character (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Validate `compression` (reporting under `path`, e.g.
/// `services[0].compression`) and compile it.
pub(crate) fn compile_compression(
    c: &Compression,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledCompression> {
    let before = errors.errors.len();
    if c.algorithms.is_empty() {
        errors.push(format!("{path}.algorithms"), Msg::CompressionNoAlgorithm);
    }
    for (i, a) in c.algorithms.iter().enumerate() {
        if c.algorithms[..i].contains(a) {
            errors.push(
                format!("{path}.algorithms[{i}]"),
                Msg::ListedTwice {
                    value: a.as_str().to_owned(),
                },
            );
        }
    }
    if c.content_types.is_empty() {
        errors.push(
            format!("{path}.content_types"),
            Msg::CompressionNoContentType,
        );
    }
    let mut content_types = Vec::with_capacity(c.content_types.len());
    for (i, t) in c.content_types.iter().enumerate() {
        match MediaRange::parse(t) {
            Some(range) => content_types.push(range),
            None => errors.push(
                format!("{path}.content_types[{i}]"),
                Msg::MediaRangeInvalid { value: t.clone() },
            ),
        }
    }
    for (name, value, range) in [
        ("br", c.level.br, BROTLI_LEVEL),
        ("zstd", c.level.zstd, ZSTD_LEVEL),
        ("gzip", c.level.gzip, GZIP_LEVEL),
    ] {
        if !range.contains(&value) {
            errors.push(
                format!("{path}.level.{name}"),
                Msg::Between {
                    min: (*range.start()).into(),
                    max: (*range.end()).into(),
                },
            );
        }
    }
    (errors.errors.len() == before).then(|| CompiledCompression {
        algorithms: c.algorithms.clone().into_boxed_slice(),
        min_size: c.min_size,
        content_types: content_types.into_boxed_slice(),
        level: c.level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(types: &[&str]) -> CompiledCompression {
        let c = Compression {
            content_types: types.iter().map(|&t| t.to_owned()).collect(),
            ..Compression::default()
        };
        let mut errors = ValidationErrors::default();
        let out = compile_compression(&c, "c", &mut errors);
        assert!(errors.errors.is_empty(), "{errors:?}");
        out.unwrap()
    }

    #[test]
    fn content_types_match_without_parameters_or_case() {
        let c = compiled(&["application/json", "text/*", "application/*+xml"]);
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;q=1",
            "text/html",
            "TEXT/CSS",
            "text/plain;charset=us-ascii",
            "application/atom+xml",
            "application/vnd.a+b+XML",
        ] {
            assert!(c.compresses_type(yes.as_bytes()), "{yes}");
        }
        for no in [
            "",
            "application/jsonx",
            "application/xml",
            "application/json+zip",
            "image/png",
            "text",
            "text/",
            "/html",
            "text/html garbage",
            "application/+xml",
        ] {
            assert!(!c.compresses_type(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn the_default_list_covers_text_formats_only() {
        let defaults = Compression::default().content_types;
        let d = compiled(&defaults.iter().map(String::as_str).collect::<Vec<_>>());
        for yes in [
            "text/html; charset=utf-8",
            "application/json",
            "application/problem+json",
            "application/javascript",
            "application/rss+xml",
            "image/svg+xml",
            "application/wasm",
        ] {
            assert!(d.compresses_type(yes.as_bytes()), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "video/mp4",
            "application/zip",
            "application/octet-stream",
            "application/grpc",
            "font/woff2",
            "text/event-stream",
        ] {
            assert!(!d.compresses_type(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn event_streams_are_compressed_only_when_named() {
        for wildcard in ["text/*", "*/*"] {
            let c = compiled(&[wildcard]);
            assert!(!c.compresses_type(b"text/event-stream"), "{wildcard}");
        }
        let c = compiled(&["text/*", "text/event-stream"]);
        assert!(c.compresses_type(b"text/event-stream; charset=utf-8"));
    }

    #[test]
    fn refuses_bad_settings_by_field() {
        let c = Compression {
            algorithms: vec![Encoding::Gzip, Encoding::Br, Encoding::Gzip],
            content_types: vec![
                "text/*".into(),
                "text".into(),
                "*/json".into(),
                "text/html; charset=utf-8".into(),
                "application/*+".into(),
                "a b/c".into(),
            ],
            level: CompressionLevels {
                br: 12,
                zstd: 0,
                gzip: 10,
            },
            ..Compression::default()
        };
        let mut errors = ValidationErrors::default();
        assert!(compile_compression(&c, "s.compression", &mut errors).is_none());
        let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "s.compression.algorithms[2]",
                "s.compression.content_types[1]",
                "s.compression.content_types[2]",
                "s.compression.content_types[3]",
                "s.compression.content_types[4]",
                "s.compression.content_types[5]",
                "s.compression.level.br",
                "s.compression.level.zstd",
                "s.compression.level.gzip",
            ]
        );
        assert_eq!(errors.errors[0].message, "gzip is listed twice");
        assert_eq!(errors.errors[6].message, "must be between 0 and 11");

        let empty = Compression {
            algorithms: vec![],
            content_types: vec![],
            ..Compression::default()
        };
        let mut errors = ValidationErrors::default();
        assert!(compile_compression(&empty, "c", &mut errors).is_none());
        let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["c.algorithms", "c.content_types"]);
    }
}
