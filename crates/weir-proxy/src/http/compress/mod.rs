//! Response compression (a service's `compression`): the coding is
//! negotiated from the request's `Accept-Encoding` before it is forwarded
//! ([`Negotiated::of`], which explain calls too), and applied to the
//! upstream's response when the response qualifies ([`respond`]). The
//! gateway's own answers (refusals, errors) are never compressed.
//!
//! A response is left as it is when it has no body to compress (1xx, 204,
//! 304, an empty body), is a part of one (206, `Content-Range`), is
//! encoded already (`Content-Encoding`), may not be transformed
//! (`Cache-Control: no-transform`), is of a type not listed, or declares a
//! `Content-Length` below `min_size`. Otherwise it qualifies, and it gets
//! `Vary: Accept-Encoding` whether or not this client's request is
//! compressed, so that a cache keeps the two apart. When it is compressed:
//! `Content-Encoding` is set, `Content-Length` and `Accept-Ranges` are
//! removed (the length is no longer known; byte ranges of the encoded form
//! are not offered), and a strong `ETag` becomes weak (RFC 9110 §8.8.1:
//! the bytes differ from the upstream's). HEAD requests and upgrades are
//! not compressed.
//!
//! Built on async-compression's codecs ([`body`]) rather than tower-http's
//! `CompressionLayer`: that is a tower middleware wrapping a service, while
//! the handler holds a response of one service in hand; it breaks ties by
//! a fixed order of its own, not the service's; it reads neither
//! `identity` nor `no-transform` and leaves a strong `ETag` strong.

mod body;
mod negotiate;
#[cfg(test)]
mod tests;

use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use weir_core::compile::{CompiledCompression, CompiledService};
use weir_core::model::Encoding;

use super::body::BodyKind;
use crate::upstream::ResponseBody;

pub(crate) use body::{BoxError, CompressBody};
pub(crate) use negotiate::negotiate;

/// The request's side of compression, decided before it is forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Negotiated {
    /// The client accepts this coding.
    Encode(Encoding),
    /// The response goes unencoded: a HEAD request, or the client accepts
    /// none of the service's codings. It still varies by `Accept-Encoding`.
    Identity(Why),
}

/// Why a request to a compressing service is answered unencoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// A HEAD answer has no body.
    Head,
    /// No `Accept-Encoding` field.
    NoField,
    /// The field accepts none of the service's codings (or prefers
    /// identity).
    NotAccepted,
}

impl Negotiated {
    /// What the request asks for; `None` when nothing is done at all: the
    /// service does not compress, or the request is an upgrade.
    pub(crate) fn of(
        svc: &CompiledService,
        method: &Method,
        headers: &HeaderMap,
        upgrade: bool,
    ) -> Option<Self> {
        let c = svc.compression.as_ref().filter(|_| !upgrade)?;
        if method == Method::HEAD {
            return Some(Negotiated::Identity(Why::Head));
        }
        Some(match negotiate(&c.algorithms, headers) {
            Some(encoding) => Negotiated::Encode(encoding),
            None if headers.contains_key(http::header::ACCEPT_ENCODING) => {
                Negotiated::Identity(Why::NotAccepted)
            }
            None => Negotiated::Identity(Why::NoField),
        })
    }
}

/// What becomes of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Not a response to compress: unchanged.
    Pass,
    /// One that qualifies, sent unencoded to this client: `Vary` only.
    Vary,
    Compress(Encoding),
}

/// The upstream's response as the client gets it under the service's
/// compression.
pub(crate) fn respond(
    c: &CompiledCompression,
    asked: Negotiated,
    mut res: Response<ResponseBody>,
) -> Response<BodyKind> {
    let empty = http_body::Body::is_end_stream(res.body());
    match decide(c, asked, res.status(), res.headers(), empty) {
        Decision::Pass => res.map(BodyKind::Upstream),
        Decision::Vary => {
            add_vary(res.headers_mut());
            res.map(BodyKind::Upstream)
        }
        Decision::Compress(encoding) => {
            mark_encoded(res.headers_mut(), encoding);
            res.map(|b| BodyKind::Compressed(Box::new(CompressBody::new(b, encoding, c))))
        }
    }
}

/// The rules of the module docs, in order.
fn decide(
    c: &CompiledCompression,
    asked: Negotiated,
    status: StatusCode,
    headers: &HeaderMap,
    empty_body: bool,
) -> Decision {
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if bodiless
        || status == StatusCode::PARTIAL_CONTENT
        || headers.contains_key(CONTENT_RANGE)
        || headers.contains_key(CONTENT_ENCODING)
        || no_transform(headers)
    {
        return Decision::Pass;
    }
    let typed = headers
        .get(CONTENT_TYPE)
        .is_some_and(|t| c.compresses_type(t.as_bytes()));
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if !typed || length.is_some_and(|n| n < c.min_size) {
        return Decision::Pass;
    }
    match asked {
        Negotiated::Encode(encoding) if !empty_body => Decision::Compress(encoding),
        _ => Decision::Vary,
    }
}

/// `Cache-Control: no-transform` (RFC 9111 §5.2.2.6): intermediaries keep
/// the content as it is.
fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|d| d.trim_ascii().eq_ignore_ascii_case(b"no-transform"))
}

/// Add `Accept-Encoding` to `Vary` unless it is there (or `Vary: *`).
fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(VARY)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .any(|f| f == b"*" || f.eq_ignore_ascii_case(b"accept-encoding"));
    if !present {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// The head of a response whose body is being encoded.
fn mark_encoded(headers: &mut HeaderMap, encoding: Encoding) {
    add_vary(headers);
    headers.insert(
        CONTENT_ENCODING,
        HeaderValue::from_static(encoding.as_str()),
    );
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    if let Some(tag) = headers.get(ETAG)
        && tag.as_bytes().starts_with(b"\"")
    {
        let mut weak = Vec::with_capacity(tag.len() + 2);
        weak.extend_from_slice(b"W/");
        weak.extend_from_slice(tag.as_bytes());
        match HeaderValue::from_bytes(&weak) {
            Ok(weak) => {
                headers.insert(ETAG, weak);
            }
            Err(_) => {
                headers.remove(ETAG);
            }
        }
    }
}
