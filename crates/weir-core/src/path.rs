//! Request path normalisation (RFC 3986 §6.2.2): the one form of a path
//! that routing, every policy and the upstream see, so that `/a/../b`,
//! `/%61` and `//b` cannot reach through one prefix what another protects.
//!
//! The rules, applied once per request before routing:
//!
//! - percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`) are
//!   decoded (`/%61dmin` → `/admin`, `%2e%2e` → `..`); every other escape
//!   stays encoded with upper-case hex (`%c3%a9` → `%C3%A9`). Nothing is
//!   decoded twice: `%252e` is an encoded `%` followed by `2e` and stays
//!   `%252e`. Escapes of other bytes, including invalid or overlong UTF-8
//!   (`%C0%AE`), are kept as they are: they are not dot-segments here, and
//!   an upstream that decodes them leniently gets what the policies saw.
//! - dot-segments are removed (RFC 3986 §5.2.4). A `..` that would climb
//!   above the root is dropped (clamped), as the RFC's algorithm does:
//!   `/../a` → `/a`.
//! - repeated slashes are merged (`//a///b` → `/a/b`); a trailing slash is
//!   kept (`/a/` stays `/a/`).
//! - refused: an encoded slash (`%2F`) unless [`Options::allow_encoded_slash`]
//!   (then it stays `%2F`, never splitting a segment), a backslash (raw or
//!   `%5C`), NUL (`%00`), an invalid escape (`%zz`, a lone `%`), a path that
//!   does not start with `/`, and a dot-segment with parameters (`..;x`,
//!   which servlet containers read as `..`).
//!
//! The query is not part of the path and is never touched. A path already
//! in normal form is returned borrowed, without allocating.
//!
//! Why the escapes are handled here and not by a percent-decoding crate
//! (`percent-encoding`, used elsewhere in Weir): a generic decoder decodes
//! every escape, which is exactly what must not happen on this path. These
//! rules decode only unreserved characters, upper-case the rest, never decode
//! a result a second time, and refuse `%2F`, `%5C` and `%00` — all decided
//! per escape, in the same pass that removes dot-segments, so that what the
//! policies check is what the upstream receives.

use std::borrow::Cow;

/// How a path is normalised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Keep `%2F` (upper-cased, never decoded) instead of refusing it.
    pub allow_encoded_slash: bool,
}

/// Why a path was refused. Every case is the client's fault (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path does not start with '/'")]
    NotAbsolute,
    #[error("the path has an invalid percent-escape")]
    InvalidEscape,
    #[error("the path has an encoded slash (%2F)")]
    EncodedSlash,
    #[error("the path has a backslash")]
    Backslash,
    #[error("the path has an encoded NUL (%00)")]
    Nul,
    #[error("the path has a dot-segment with parameters (..;)")]
    DotParameters,
}

impl PathError {
    /// The reason as a static string (for error responses).
    pub fn reason(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "the path does not start with '/'",
            PathError::InvalidEscape => "the path has an invalid percent-escape",
            PathError::EncodedSlash => "the path has an encoded slash (%2F)",
            PathError::Backslash => "the path has a backslash",
            PathError::Nul => "the path has an encoded NUL (%00)",
            PathError::DotParameters => "the path has a dot-segment with parameters (..;)",
        }
    }
}

/// `raw` in normal form, or why it is refused. Borrowed when `raw` already
/// is normal.
pub fn normalize(raw: &str, opts: Options) -> Result<Cow<'_, str>, PathError> {
    if is_normal(raw.as_bytes(), opts) {
        return Ok(Cow::Borrowed(raw));
    }
    rebuild(raw, opts).map(Cow::Owned)
}

/// Whether `path` contains an encoded slash as [`normalize`] leaves it
/// (`%2F`, upper case).
pub fn has_encoded_slash(path: &str) -> bool {
    path.contains("%2F")
}

/// A conservative check: `true` only when [`rebuild`] would return `raw`
/// unchanged. Anything unusual goes the slow way, which decides.
fn is_normal(b: &[u8], opts: Options) -> bool {
    if b.first() != Some(&b'/') {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' => {
                let seg = &b[i + 1..];
                let end = seg.iter().position(|&c| c == b'/').unwrap_or(seg.len());
                let seg = &seg[..end];
                // `//` inside (an empty segment that is not the last one).
                if seg.is_empty() && i + 1 < b.len() {
                    return false;
                }
                if seg.first() == Some(&b'.') && is_dot_like(seg) {
                    return false;
                }
            }
            b'%' => match (b.get(i + 1), b.get(i + 2)) {
                (Some(&h), Some(&l)) if is_upper_hex(h) && is_upper_hex(l) => {
                    let v = hex(h) << 4 | hex(l);
                    let refused =
                        matches!(v, 0 | b'\\') || (v == b'/' && !opts.allow_encoded_slash);
                    if is_unreserved(v) || refused {
                        return false;
                    }
                    i += 2;
                }
                _ => return false,
            },
            b'\\' => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// `.`, `..`, or either followed by `;` (raw bytes, before decoding).
fn is_dot_like(seg: &[u8]) -> bool {
    matches!(seg, b"." | b"..") || seg.starts_with(b".;") || seg.starts_with(b"..;")
}

fn rebuild(raw: &str, opts: Options) -> Result<String, PathError> {
    let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
    // `out` never ends with '/' until the last segment is handled.
    let mut out = String::with_capacity(raw.len());
    let mut segments = rest.split('/').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        let start = out.len();
        out.push('/');
        decode_segment(seg, opts, &mut out)?;
        let decoded = &out[start + 1..];
        if decoded.starts_with(".;") || decoded.starts_with("..;") {
            return Err(PathError::DotParameters);
        }
        match decoded {
            "" | "." => out.truncate(start),
            ".." => {
                out.truncate(start);
                let parent = out.rfind('/').unwrap_or(0);
                out.truncate(parent);
            }
            _ => continue,
        }
        if last {
            out.push('/');
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Append `seg` to `out`, decoding unreserved escapes and upper-casing the
/// others.
fn decode_segment(seg: &str, opts: Options, out: &mut String) -> Result<(), PathError> {
    let b = seg.as_bytes();
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                out.push_str(&seg[plain..i]);
                let (h, l) = match (b.get(i + 1), b.get(i + 2)) {
                    (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                        (h, l)
                    }
                    _ => return Err(PathError::InvalidEscape),
                };
                let v = hex(h) << 4 | hex(l);
                match v {
                    0 => return Err(PathError::Nul),
                    b'\\' => return Err(PathError::Backslash),
                    b'/' if !opts.allow_encoded_slash => return Err(PathError::EncodedSlash),
                    _ if is_unreserved(v) => out.push(char::from(v)),
                    _ => {
                        out.push('%');
                        out.push(char::from(h.to_ascii_uppercase()));
                        out.push(char::from(l.to_ascii_uppercase()));
                    }
                }
                i += 3;
                plain = i;
            }
            b'\\' => return Err(PathError::Backslash),
            _ => i += 1,
        }
    }
    out.push_str(&seg[plain..]);
    Ok(())
}

fn is_unreserved(v: u8) -> bool {
    v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~')
}

fn is_upper_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'A'..=b'F').contains(&c)
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
