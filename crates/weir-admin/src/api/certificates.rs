//! TLS certificates for the HTTPS listener: list (names, subject, issuer,
//! validity, expiry warnings), show, create, replace, delete.
//!
//! The private key is write-only: required on create, kept on a replace
//! that leaves it out, and never returned — not by these endpoints, nor in
//! revisions, diffs, exports or audit entries (the model's
//! `ConfigDocument::redact_secrets` covers certificates, and every read path
//! goes through it or through [`Kind::present`]).
//!
//! Validation is the model's own: bad PEM, a key that does not match, no
//! DNS name on a non-default certificate, two defaults (compile), and an
//! expired or not-yet-valid certificate (refused when written, by
//! `weir_core::compile::check_changes`), each reported on its field (`cert`,
//! `key`, `default`).

use std::cmp::Reverse;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use weir_core::compile::CertInfo;
use weir_core::model::Certificate;
use weir_core::{ConfigDocument, ResourceKind};

use super::resource::{self, Deleted, Kind};
use super::{Page, Paging, page_of};
use crate::auth::{Admin, Viewer};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, IfMatch, JsonBody, etag};
use crate::state::AdminState;

/// Certificates closer than this to their end are `expiring_soon`.
const EXPIRING_SOON_DAYS: i64 = 30;

pub struct Certificates;

impl Kind for Certificates {
    const KIND: ResourceKind = ResourceKind::Certificate;
    type Model = Certificate;

    fn name(model: &Certificate) -> &str {
        &model.name
    }

    fn present(mut spec: Value) -> Value {
        if let Some(obj) = spec.as_object_mut() {
            obj.remove("key");
        }
        spec
    }

    fn prepare(new: &mut Value, old: Option<&Value>) {
        let Some(obj) = new.as_object_mut() else {
            return;
        };
        if obj.get("key").is_some_and(|k| !k.is_null()) {
            return;
        }
        if let Some(kept) = old.and_then(|o| o.get("key")).cloned() {
            obj.insert("key".into(), kept);
        }
    }
}

/// What a certificate says about itself (never its key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificateInfo {
    pub name: String,
    /// The revision that last changed it; send it in `If-Match`.
    pub version: i64,
    /// DNS names it covers (`*.example.com` for wildcards); the subject's
    /// common name when it has no DNS subject alternative names.
    pub dns_names: Vec<String>,
    #[schema(example = "CN=api.example.com")]
    pub subject: String,
    #[schema(example = "CN=Example CA, O=Example")]
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// `not_before` as an ISO 8601 UTC time.
    #[schema(example = "2026-01-01T00:00:00Z")]
    pub not_before_iso: String,
    /// `not_after` as an ISO 8601 UTC time.
    #[schema(example = "2026-04-01T00:00:00Z")]
    pub not_after_iso: String,
    /// Whole days until `not_after` (negative once expired).
    pub expires_in_days: i64,
    /// Not expired, but fewer than 30 days left.
    pub expiring_soon: bool,
    pub expired: bool,
    /// Served to clients without SNI or with a name no certificate covers.
    pub default: bool,
    /// Set when the stored certificate cannot be read (the other fields are
    /// then empty); absent normally.
    pub error: Option<String>,
}

/// A certificate as stored (without its key), with its version and what it
/// says about itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateResource {
    pub version: i64,
    #[schema(value_type = crate::schema::CertificateSchema)]
    pub spec: Value,
    pub info: CertificateInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum CertificateSort {
    #[default]
    #[serde(rename = "name")]
    Name,
    /// Soonest to expire first.
    #[serde(rename = "not_after")]
    ExpiresFirst,
    #[serde(rename = "-not_after")]
    ExpiresLast,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u32>,
    /// Items per page, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Keyword: case-insensitive substring of the name, a DNS name or the
    /// subject.
    pub q: Option<String>,
    /// Sort order (default `name`).
    #[param(inline)]
    pub sort: Option<CertificateSort>,
}

/// `YYYY-MM-DDTHH:MM:SSZ`. X.509 dates end at year 9999, as jiff's do;
/// anything beyond is shown as the raw number rather than refused.
fn iso_utc(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => format!("{unix} (Unix time)"),
    }
}

/// Parse a stored spec with the same code the HTTPS listener uses (compile
/// of a document holding just this certificate), and describe it at `now`
/// (Unix seconds).
pub fn describe(name: &str, spec: &Value, version: i64, now: i64) -> CertificateInfo {
    let parsed: Result<CertInfo, String> = serde_json::from_value::<Certificate>(spec.clone())
        .map_err(|e| e.to_string())
        .and_then(|cert| {
            let doc = ConfigDocument {
                certificates: Some(vec![cert]),
                ..ConfigDocument::default()
            };
            weir_core::compile(&doc)
                .map_err(|e| e.to_string())
                .and_then(|c| {
                    c.certs
                        .info
                        .into_iter()
                        .next()
                        .ok_or_else(|| "no certificate".to_owned())
                })
        });
    match parsed {
        Ok(info) => {
            let left = info.not_after - now;
            let expired = info.not_after < now;
            CertificateInfo {
                name: info.name,
                version,
                dns_names: info.dns_names,
                subject: info.subject,
                issuer: info.issuer,
                not_before: info.not_before,
                not_after: info.not_after,
                not_before_iso: iso_utc(info.not_before),
                not_after_iso: iso_utc(info.not_after),
                expires_in_days: left.div_euclid(86_400),
                expiring_soon: !expired && left < EXPIRING_SOON_DAYS * 86_400,
                expired,
                default: info.default,
                error: None,
            }
        }
        Err(why) => CertificateInfo {
            name: name.to_owned(),
            version,
            dns_names: Vec::new(),
            subject: String::new(),
            issuer: String::new(),
            not_before: 0,
            not_after: 0,
            not_before_iso: String::new(),
            not_after_iso: String::new(),
            expires_in_days: 0,
            expiring_soon: false,
            expired: false,
            default: spec
                .get("default")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            error: Some(format!("the stored certificate cannot be read: {why}")),
        },
    }
}

fn now_secs(state: &AdminState) -> i64 {
    state.now_ms().div_euclid(1000)
}

/// `describe` needs the key (compile checks the pair); this reads the
/// stored spec, key included, and describes it.
async fn stored_resource(state: &AdminState, name: &str) -> ApiResult<CertificateResource> {
    let r = resource::get_one::<Certificates>(state, name).await?;
    let info = describe(name, &r.spec, r.version, now_secs(state));
    Ok(CertificateResource {
        version: r.version,
        spec: Certificates::present(r.spec),
        info,
    })
}

fn with_etag(status: StatusCode, body: CertificateResource, location: Option<String>) -> Response {
    let version = body.version;
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A page of certificates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateList {
    #[serde(flatten)]
    pub page: Page<CertificateInfo>,
}

/// List certificates with their names and validity.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates",
    params(CertificateQuery),
    responses((status = 200, description = "A page of certificates", body = CertificateList)))]
pub async fn list(
    State(state): State<AdminState>,
    _: Viewer,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> ApiResult<Json<CertificateList>> {
    let (page, size) = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .resolve()?;
    let (_, stored) = state.store().resources(ResourceKind::Certificate).await?;
    let now = now_secs(&state);
    let keyword = q.q.as_deref().map(str::to_lowercase);
    let mut items: Vec<CertificateInfo> = stored
        .into_iter()
        .map(|r| describe(&r.name, &r.spec, r.version, now))
        .filter(|c| {
            keyword.as_deref().is_none_or(|k| {
                c.name.to_lowercase().contains(k)
                    || c.subject.to_lowercase().contains(k)
                    || c.dns_names.iter().any(|d| d.contains(k))
            })
        })
        .collect();
    match q.sort.unwrap_or_default() {
        CertificateSort::Name => {}
        CertificateSort::ExpiresFirst => items.sort_by_key(|c| c.not_after),
        CertificateSort::ExpiresLast => items.sort_by_key(|c| Reverse(c.not_after)),
    }
    Ok(Json(CertificateList {
        page: page_of(items, page, size),
    }))
}

/// Show a certificate (without its key).
#[utoipa::path(get, path = "/api/v1/certificates/{name}", tag = "certificates",
    params(("name" = String, Path, description = "Certificate name")),
    responses((status = 200, description = "The certificate; ETag is its version", body = CertificateResource,
               headers(("ETag" = String, description = "The version, quoted"))),
              (status = 404, description = "No such certificate", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AdminState>,
    _: Viewer,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(with_etag(
        StatusCode::OK,
        stored_resource(&state, &name).await?,
        None,
    ))
}

/// Add a certificate: PEM chain and key (the key is never shown again).
#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates",
    request_body(content = crate::schema::CertificateSchema, content_type = "application/json"),
    responses((status = 201, description = "Created", body = CertificateResource,
               headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The certificate's URL"))),
              (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid PEM, key mismatch, expired…; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AdminState>,
    Admin(p): Admin,
    body: JsonBody,
) -> ApiResult<Response> {
    let (name, env, full) = resource::create::<Certificates>(&state, &p, &body.0).await?;
    let info = describe(&name, &full, env.version, now_secs(&state));
    Ok(with_etag(
        StatusCode::CREATED,
        CertificateResource {
            version: env.version,
            spec: env.spec,
            info,
        },
        Some(format!("/api/v1/certificates/{name}")),
    ))
}

/// Replace a certificate. Needs `If-Match`. Leave `key` out to keep the
/// stored one (e.g. a renewed certificate for the same key).
#[utoipa::path(put, path = "/api/v1/certificates/{name}", tag = "certificates",
    params(("name" = String, Path, description = "Certificate name"),
           ("If-Match" = String, Header, description = "The version (ETag) the change is based on")),
    request_body(content = crate::schema::CertificateSchema, content_type = "application/json"),
    responses((status = 200, description = "Replaced (or unchanged)", body = CertificateResource,
               headers(("ETag" = String, description = "The new version"))),
              (status = 404, description = "No such certificate", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Changed since that version", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    if_match: IfMatch,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match.required()?;
    resource::replace::<Certificates>(&state, &p, &name, version, &body.0).await?;
    Ok(with_etag(
        StatusCode::OK,
        stored_resource(&state, &name).await?,
        None,
    ))
}

/// Delete a certificate. Needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/certificates/{name}", tag = "certificates",
    params(("name" = String, Path, description = "Certificate name"),
           ("If-Match" = String, Header, description = "The version (ETag) the deletion is based on")),
    responses((status = 200, description = "Deleted", body = Deleted),
              (status = 404, description = "No such certificate", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Changed since that version", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AdminState>,
    Admin(p): Admin,
    ApiPath(name): ApiPath<String>,
    if_match: IfMatch,
) -> ApiResult<Json<Deleted>> {
    let version = if_match.required()?;
    Ok(Json(
        resource::delete::<Certificates>(&state, &p, &name, version).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_795_622_398), "2026-11-25T15:59:58Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn unreadable_certificates_are_listed_with_an_error() {
        let info = describe("x", &serde_json::json!({"name": "x", "cert": "junk"}), 3, 0);
        assert_eq!((info.name.as_str(), info.version), ("x", 3));
        assert!(info.error.unwrap().contains("cannot be read"));
    }
}
