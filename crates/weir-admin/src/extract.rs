//! Request extractors whose failures are problem documents: JSON bodies
//! (415 for another media type, 400 for malformed JSON, 422 naming the field
//! for JSON of the wrong shape, 413 for too large), query strings and path
//! parameters (400), and the `If-Match` version precondition.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldProblem};
use crate::strict_json::{ShapeMsg, Strict};

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_json(&req)?;
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: none at all (zero bytes) is `T::default()`;
/// anything else must be JSON (415 otherwise) of `T`'s shape — whitespace
/// alone is not JSON (400), and `null`, an array or a number where an object
/// is expected is 422, like for [`ApiJson`].
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let media_type = require_json(&req);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        media_type?;
        parse_json(&bytes).map(OptionalJson)
    }
}

/// 415 unless the request says its body is JSON.
fn require_json(req: &Request) -> Result<(), ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON (Content-Type: application/json)",
        ))
    }
}

/// The whole body, within the router's body limit (413 beyond it).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        } else {
            ApiError::bad_request(format!(
                "could not read the request body: {}",
                e.body_text()
            ))
        }
    })
}

/// A JSON body kept as bytes, for handlers that parse it with a type chosen
/// later (each configuration kind parses with its own model); same checks
/// as [`ApiJson`].
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ApiJson(v) = ApiJson::<serde_json::Value>::from_request(req, state).await?;
        serde_json::to_vec(&v)
            .map(|b| JsonBody(Bytes::from(b)))
            .map_err(|e| ApiError::internal(&e))
    }
}

/// Parse JSON, naming the field when the shape is wrong: 400 for text that
/// is not JSON, 422 for JSON of another shape than `T` (an array, `null` or a
/// number where an object is expected, at any depth: see [`Strict`]).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    from_value(&value)
}

/// Deserialise a parsed body as `T` (422 naming the field when it does not fit).
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let problem = if path == "." {
            let reason = inner.into();
            FieldProblem::new("", ShapeMsg::Body { reason })
        } else {
            FieldProblem::new(path, inner)
        };
        ApiError::validation(vec![problem])
    })
}

/// A query string.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// The version an update or delete is based on: `If-Match: "<version>"`
/// (an ETag as returned by GET). `None` when the header is absent.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// The version, or 428 when the client did not say which one it saw.
    pub fn required(self) -> Result<i64, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send If-Match with the version (ETag) you read, e.g. If-Match: \"12\"; \
                 this prevents overwriting someone else's change",
            )
        })
    }
}

/// What `If-Match` may hold: a version as an ETag (`"12"`, also weak
/// `W/"12"`) or bare (`12`); stated by the OpenAPI document for every
/// `If-Match` parameter. Anything else, an empty value included, is 400.
pub const IF_MATCH_PATTERN: &str = r#"^(W/)?"[0-9]{1,18}"$|^[0-9]{1,18}$"#;

/// The version in an `If-Match` value ([`IF_MATCH_PATTERN`]).
fn parse_if_match(text: &str) -> Option<i64> {
    let digits = match text.strip_prefix("W/").unwrap_or(text).strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None if text.starts_with("W/") => return None,
        None => text,
    };
    let plain = (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| digits.parse().ok()).flatten()
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = String::from_utf8_lossy(value.as_bytes());
        parse_if_match(&text)
            .map(|v| IfMatch(Some(v)))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "If-Match must be a version as returned in ETag, e.g. \"12\"; got {text:?}"
                ))
            })
    }
}

/// `ETag` value for a version.
pub fn etag(version: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(axum::http::HeaderValue::from_static("\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        n: u32,
    }

    #[test]
    fn if_match_takes_exactly_what_the_document_states() {
        for (text, version) in [
            ("\"12\"", Some(12)),
            ("W/\"12\"", Some(12)),
            ("12", Some(12)),
            ("\"0\"", Some(0)),
            ("\"999999999999999999\"", Some(999_999_999_999_999_999)),
            ("", None),
            ("\"\"", None),
            ("\"12", None),
            ("12\"", None),
            ("W/12", None),
            ("w/\"12\"", None),
            ("\"-1\"", None),
            ("\"+1\"", None),
            ("\"1 2\"", None),
            ("*", None),
            ("\"9999999999999999999\"", None),
            ("\"12\", \"13\"", None),
        ] {
            assert_eq!(parse_if_match(text), version, "{text:?}");
        }
    }

    #[test]
    fn wrong_types_are_422_naming_the_problem() {
        for body in [&b"[null, null]"[..], b"null", b"7", b"\"x\"", b"true"] {
            let e = parse_json::<Body>(body).unwrap_err();
            let p = e.to_problem();
            assert_eq!(p.status, 422, "{}", String::from_utf8_lossy(body));
            assert!(
                p.errors[0].message.contains("expected a JSON object"),
                "{p:?}"
            );
        }
        let e = parse_json::<Body>(br#"{"items":[[1]]}"#).unwrap_err();
        assert_eq!(e.to_problem().errors[0].path, "items[0]");
        // The whole body: an empty path, the reason nested in the message.
        let p = parse_json::<Body>(b"null").unwrap_err().to_problem();
        assert_eq!(p.errors[0].path, "");
        assert_eq!(p.errors[0].code, "body_shape");
        assert_eq!(p.errors[0].params["reason"]["code"], "invalid_type");
        assert_eq!(p.errors[0].params["reason"]["params"]["found"], "null");
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"items":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        let p = e.to_problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].path, "items[1].n");
        assert!(!p.errors[0].message.contains("line"), "{p:?}");
        let e = parse_json::<Body>(b"{not json").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }
}
