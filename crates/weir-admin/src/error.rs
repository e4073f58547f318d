//! Every error the admin API answers, as an RFC 9457 problem document
//! (`application/problem+json`): `type`, `title`, `status`, a stable
//! machine-readable `code`, a human `detail` (English) with the data it
//! names in `params`, and for validation errors each problem in `errors`:
//! its field path, its message code with named parameters
//! ([`weir_core::msg`]), and the English message. The dashboard translates
//! from the codes and parameters; the English is for everyone else.
//!
//! Handlers return `Result<_, ApiError>` and use `?`; store errors map by
//! whose fault they are (see [`From<StoreError>`]). Internal errors are
//! logged with their cause and answered with a generic detail, never with
//! database messages.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use weir_core::{Coded, FieldError, ValidationErrors};
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
    /// What went wrong in this occurrence, for people (English).
    pub detail: String,
    /// The data `detail` names, for a client that words the problem itself
    /// from `code`: e.g. `{"kind": "service", "name": "web"}` for
    /// `not_found`; empty when the detail names nothing. See
    /// docs/admin-api.md for the parameters of each code.
    #[schema(value_type = Object, example = json!({"kind": "service", "name": "web"}))]
    pub params: Map<String, Value>,
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
    /// Stable code of the message; the dashboard's translations are keyed
    /// by it.
    #[schema(example = "addr_no_port")]
    pub code: String,
    /// The message's named parameters (user data: names, values, limits).
    /// A parameter that is itself a message (a reason) is an object with
    /// `code`, `params` and `message`.
    #[schema(value_type = Object, example = json!({"addr": "10.0.0.1"}))]
    pub params: Map<String, Value>,
    /// The message in English.
    #[schema(example = "\"10.0.0.1\" has no port (write 10.0.0.1:PORT)")]
    pub message: String,
}

impl FieldProblem {
    pub fn new(path: impl Into<String>, message: impl Into<Coded>) -> Self {
        FieldError::new(path, message).into()
    }
}

impl From<FieldError> for FieldProblem {
    fn from(f: FieldError) -> Self {
        FieldProblem {
            path: f.path,
            code: f.code,
            params: f.params,
            message: f.message,
        }
    }
}

/// An error answer. Build with the constructors; convert with `?`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    params: Map<String, Value>,
    errors: Vec<FieldProblem>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            params: Map::new(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Add a parameter: a datum the detail names (see [`Problem::params`]).
    pub fn with_param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// A detail that is a coded message: its English text, and the message
    /// itself (code, params, English) as parameter `reason`.
    pub fn with_reason(status: StatusCode, code: &'static str, reason: impl Into<Coded>) -> Self {
        let reason = reason.into();
        let value = serde_json::to_value(&reason).unwrap_or_default();
        Self::new(status, code, reason.message).with_param("reason", value)
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

    /// 404 for a named thing: `{kind} {name:?} not found`, with both as
    /// parameters.
    pub fn not_found_named(kind: &str, name: &str) -> Self {
        Self::not_found(format!("{kind} {name:?} not found"))
            .with_param("kind", kind)
            .with_param("name", name)
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

    pub fn invalid_field(path: impl Into<String>, message: impl Into<Coded>) -> Self {
        Self::validation(vec![FieldProblem::new(path, message)])
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
            params: self.params.clone(),
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
        ApiError::validation(e.errors.into_iter().map(FieldProblem::from).collect())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errors) => errors.into(),
            StoreError::NotFound(what) => {
                let e = ApiError::not_found(format!("{what} not found"));
                what_params(e, &what)
            }
            StoreError::AlreadyExists(what) => {
                let e = ApiError::conflict("already_exists", format!("{what} already exists"));
                what_params(e, &what)
            }
            StoreError::VersionMismatch { what, current } => {
                let detail = StoreError::VersionMismatch {
                    what: what.clone(),
                    current,
                }
                .to_string();
                what_params(ApiError::conflict("version_conflict", detail), &what)
                    .with_param("current", current)
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

/// The store names a thing as `kind "name"` (or `revision 12`): the two as
/// parameters `kind` and `name`. Anything else adds nothing.
fn what_params(e: ApiError, what: &str) -> ApiError {
    let Some((kind, rest)) = what.split_once(' ') else {
        return e;
    };
    let name = if rest.starts_with('"') {
        serde_json::Deserializer::from_str(rest)
            .into_iter::<String>()
            .next()
            .and_then(Result::ok)
    } else {
        rest.split_whitespace().next().map(str::to_owned)
    };
    match name {
        Some(name) => e.with_param("kind", kind).with_param("name", name),
        None => e,
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weir_core::Msg;

    #[test]
    fn field_problems_carry_code_params_and_english() {
        let mut errors = ValidationErrors::default();
        errors.push(
            "match.prefix",
            Msg::MustStartWithSlash {
                value: "api".into(),
            },
        );
        let p = ApiError::from(errors).to_problem();
        assert_eq!(p.code, "validation_failed");
        assert_eq!(
            serde_json::to_value(&p.errors).unwrap(),
            json!([{
                "path": "match.prefix",
                "code": "must_start_with_slash",
                "params": {"value": "api"},
                "message": "\"api\" must start with '/'",
            }])
        );
        assert_eq!(p.params, Map::new());
    }

    #[test]
    fn store_errors_name_kind_and_name() {
        let p = ApiError::from(StoreError::NotFound("service \"web \\\"1\"".into())).to_problem();
        assert_eq!(p.code, "not_found");
        assert_eq!(
            Value::Object(p.params),
            json!({"kind": "service", "name": "web \"1"})
        );
        let p = ApiError::from(StoreError::NotFound("revision 12".into())).to_problem();
        assert_eq!(
            Value::Object(p.params),
            json!({"kind": "revision", "name": "12"})
        );
        let p = ApiError::from(StoreError::AlreadyExists("tenant \"app\"".into())).to_problem();
        assert_eq!(p.code, "already_exists");
        assert_eq!(p.params["name"], "app");
        let p = ApiError::from(StoreError::VersionMismatch {
            what: "service \"web\"".into(),
            current: 7,
        })
        .to_problem();
        assert_eq!(
            Value::Object(p.params),
            json!({"kind": "service", "name": "web", "current": 7})
        );
        let p = ApiError::from(StoreError::NotFound("nothing".into())).to_problem();
        assert!(p.params.is_empty());
    }

    #[test]
    fn a_coded_reason_is_the_detail_and_a_parameter() {
        let p = ApiError::with_reason(
            StatusCode::FORBIDDEN,
            "registration_refused",
            Msg::RegistrationOutside {
                ip: "192.0.2.1".into(),
            },
        )
        .to_problem();
        assert_eq!(
            p.detail,
            "192.0.2.1 is outside the service's registration.allowed_cidrs"
        );
        assert_eq!(p.params["reason"]["code"], "registration_outside");
        assert_eq!(p.params["reason"]["params"]["ip"], "192.0.2.1");
    }
}
