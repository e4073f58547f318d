//! Response compression of a service: which content codings the gateway
//! may apply to the upstream's responses (RFC 9110 §8.4.1), for which media
//! types and from which size. Off when the block is absent; written as
//! `compression: {}` it is on with every default below.
//!
//! The defaults favour the request path over the last percent of ratio:
//! each coding at a level that compresses text several times over at a
//! small CPU cost (see [`CompressionLevels`]), and only media types that
//! are text underneath (images, video and archives are compressed already).

use serde::{Deserialize, Serialize};

use super::is_default;

/// `compression:` of an `http` service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compression {
    /// The codings the gateway may use, in the service's order of
    /// preference: when a client accepts several with the same q-value,
    /// the first listed here wins. By default zstd first: at the default
    /// levels it is as small as brotli on web text and smaller on JSON, at
    /// a third to a fifth of brotli's CPU time and about half its memory
    /// (docs/proxying.md, "Compression"); clients without zstd get br.
    #[serde(
        default = "default_algorithms",
        skip_serializing_if = "is_default_algorithms"
    )]
    pub algorithms: Vec<Encoding>,
    /// Responses whose `Content-Length` is below this many bytes are sent
    /// as they are (a streamed response of unknown length is compressed).
    #[serde(
        default = "default_min_size",
        skip_serializing_if = "is_default_min_size"
    )]
    pub min_size: u64,
    /// Media types to compress: `type/subtype`, `type/*` or
    /// `type/*+suffix` (e.g. `application/*+json`), compared without
    /// parameters and case. `text/event-stream` is compressed only when
    /// listed by name.
    #[serde(
        default = "default_content_types",
        skip_serializing_if = "is_default_content_types"
    )]
    pub content_types: Vec<String>,
    /// The level of each coding.
    #[serde(default, skip_serializing_if = "is_default")]
    pub level: CompressionLevels,
}

/// A content coding the gateway can apply (the tokens of the IANA HTTP
/// Content Coding registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Brotli (RFC 7932).
    Br,
    /// Zstandard (RFC 8878).
    Zstd,
    /// gzip (RFC 1952).
    Gzip,
}

impl Encoding {
    pub const ALL: [Encoding; 3] = [Encoding::Br, Encoding::Zstd, Encoding::Gzip];

    /// The coding's token, as in `Accept-Encoding` and `Content-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The level of each coding. The defaults are for compressing on the fly:
/// gzip 1 (nginx's default; levels above 4 cost several times the CPU for
/// a few percent), brotli 4 (the usual choice for dynamic content: smaller
/// than gzip 6 at about its speed; 10–11 are for files compressed once)
/// and zstd 3 (its own default, faster than gzip 1 and smaller than
/// gzip 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressionLevels {
    /// 0 (fastest) to 11 (smallest).
    #[serde(
        default = "default_br_level",
        skip_serializing_if = "is_default_br_level"
    )]
    pub br: u32,
    /// 1 (fastest) to 19 (smallest).
    #[serde(
        default = "default_zstd_level",
        skip_serializing_if = "is_default_zstd_level"
    )]
    pub zstd: u32,
    /// 1 (fastest) to 9 (smallest).
    #[serde(
        default = "default_gzip_level",
        skip_serializing_if = "is_default_gzip_level"
    )]
    pub gzip: u32,
}

field_default!(
    default_algorithms,
    is_default_algorithms: Vec<Encoding> = vec![Encoding::Zstd, Encoding::Br, Encoding::Gzip]
);
field_default!(default_min_size, is_default_min_size: u64 = 1024);
field_default!(
    default_content_types,
    is_default_content_types: Vec<String> = DEFAULT_CONTENT_TYPES
        .iter()
        .map(|&t| t.to_owned())
        .collect()
);
field_default!(default_br_level, is_default_br_level: u32 = 4);
field_default!(default_zstd_level, is_default_zstd_level: u32 = 3);
field_default!(default_gzip_level, is_default_gzip_level: u32 = 1);

/// Text underneath: markup, styles, scripts, JSON and XML of any
/// vocabulary, SVG, WebAssembly.
const DEFAULT_CONTENT_TYPES: &[&str] = &[
    "text/*",
    "application/json",
    "application/*+json",
    "application/javascript",
    "application/xml",
    "application/*+xml",
    "image/svg+xml",
    "application/wasm",
];

impl Default for Compression {
    fn default() -> Self {
        Self {
            algorithms: default_algorithms(),
            min_size: default_min_size(),
            content_types: default_content_types(),
            level: CompressionLevels::default(),
        }
    }
}

impl Default for CompressionLevels {
    fn default() -> Self {
        Self {
            br: default_br_level(),
            zstd: default_zstd_level(),
            gzip: default_gzip_level(),
        }
    }
}
