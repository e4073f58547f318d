//! Every error the admin API answers, as an RFC 9457 problem document
//! (`application/problem+json`): `type`, `title`, `status`, a stable
//! machine-readable `code`, a human `detail`, and for validation errors the
//! field path of each problem in `errors`.
//!
//! Handlers return `Result<_, ApiError>` and use `?`; store errors map by
//! whose fault they are (see [`From<StoreError>`]). Internal errors are
//! logged with their cause and answered with a generic detail, never with
//! database messages.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use weir_core::ValidationErrors;
use weir_store::StoreError;

/// A problem document (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type: `urn:weir:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:weir:problem:validation_failed")]
    pub kind: String,
    /// Short summary of the problem type.
    #[schema(example = "The request is not valid")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422, minimum = 100, maximum = 599)]
    pub status: u16,
    /// Stable machine-readable code; see docs/admin-api.md for the list.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// What went wrong in this occurrence, for people.
    pub detail: String,
    /// Field problems (validation errors); empty otherwise.
    pub errors: Vec<FieldProblem>,
}

/// One problem with one field of the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Dotted path within the request body, `[i]` for list items, e.g.
    /// `upstream.nodes[1].addr`; empty for the body as a whole.
    #[schema(example = "upstream.nodes[1].addr")]
    pub path: String,
    #[schema(example = "\"10.0.0.1\" has no port")]
    pub message: String,
}

/// An error answer. Build with the constructors; convert with `?`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldProblem>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    pub fn unauthenticated(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"weir\""),
        )
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422 with field problems.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let n = errors.len();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "{n} problem{} with the request; see errors",
                if n == 1 { "" } else { "s" }
            ),
        );
        e.errors = errors;
        e
    }

    pub fn invalid_field(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem {
            path: path.into(),
            message: message.into(),
        }])
    }

    /// A failure that is not the client's: logged here with its cause,
    /// answered without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "admin API internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it was logged",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    fn title(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "Bad request",
            401 => "Authentication required",
            403 => "Forbidden",
            404 => "Not found",
            405 => "Method not allowed",
            409 => "Conflict",
            413 => "Request body too large",
            415 => "Unsupported media type",
            422 => "The request is not valid",
            428 => "Precondition required",
            429 => "Too many requests",
            503 => "Service unavailable",
            _ => "Internal error",
        }
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            kind: format!("urn:weir:problem:{}", self.code),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        res
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::validation(
            e.errors
                .into_iter()
                .map(|f| FieldProblem {
                    path: f.path,
                    message: f.message,
                })
                .collect(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errors) => errors.into(),
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::AlreadyExists(what) => {
                ApiError::conflict("already_exists", format!("{what} already exists"))
            }
            e @ StoreError::VersionMismatch { .. } => {
                ApiError::conflict("version_conflict", e.to_string())
            }
            StoreError::LimitReached(why) => ApiError::conflict("registration_limit", why),
            StoreError::Conflict => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_busy",
                "the configuration is being changed by others right now; try again",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")),
            StoreError::Database(cause) => {
                tracing::warn!(error = %cause, "admin API: store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the configuration store cannot be reached; try again",
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("2"))
            }
            other => ApiError::internal(&other),
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
