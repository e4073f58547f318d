//! The CORS phase (a service's `cors`, docs/proxying.md "CORS"), right
//! after routing: what the service's policy makes of a request with an
//! `Origin`.
//!
//! - A preflight (`OPTIONS` with `Origin` and
//!   `Access-Control-Request-Method`) is answered by the gateway, `204`,
//!   and never forwarded: with the allow fields when origin, method and
//!   every requested header are allowed, without them otherwise (the
//!   browser then refuses). Only the IP rules run before it
//!   ([`crate::policy::admit_preflight`]): browsers send no credentials on a
//!   preflight, so authentication cannot apply, and it is the browser's
//!   request, not the application's, so it takes no rate-limit token.
//! - Any other request from an allowed origin gets
//!   `Access-Control-Allow-Origin` (and `-Allow-Credentials`,
//!   `-Expose-Headers`) on whatever answers it — the upstream's answer or
//!   the gateway's own refusal — replacing the upstream's CORS fields: the
//!   gateway's policy wins. A disallowed origin gets none, the upstream's
//!   removed too. Both get `Vary: Origin`.
//! - A request without `Origin`, and a WebSocket upgrade (browsers apply no
//!   CORS to WebSockets; the upstream must check `Origin` itself), are left
//!   alone.
//!
//! The fixed values are built when the configuration is compiled
//! ([`CompiledCors`]); a request only clones field values.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode, Version};
use http_body_util::Full;
use weir_core::compile::{CompiledCors, CompiledService, PreflightRefusal};

use super::rewrite::is_upgrade;

static STAR: HeaderValue = HeaderValue::from_static("*");
static TRUE: HeaderValue = HeaderValue::from_static("true");
static VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");
static VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);

/// The CORS fields of an answer: those the gateway owns on a service with
/// a policy (an upstream's are removed).
const CORS_FIELDS: [HeaderName; 6] = [
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_MAX_AGE,
];

/// What a service's CORS policy makes of a request.
pub(crate) enum CorsRequest<'s> {
    /// No policy, no `Origin`, or a WebSocket upgrade: nothing to do.
    Off,
    /// A WebSocket upgrade with an `Origin` on a service with a policy:
    /// left alone (explain says so).
    Upgrade,
    Preflight(Preflight<'s>),
    Actual(Actual<'s>),
}

/// A preflight, decided.
pub(crate) struct Preflight<'s> {
    cors: &'s CompiledCors,
    pub origin: HeaderValue,
    /// `Access-Control-Request-Method`.
    pub method: HeaderValue,
    /// `Access-Control-Request-Headers` (several fields joined).
    requested: Option<HeaderValue>,
    pub verdict: Result<(), Refused>,
}

/// Why a preflight gets no allow fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    Origin,
    Method,
    /// The first requested header `allow_headers` does not name.
    Header(Box<str>),
}

/// A request other than a preflight from an `Origin`.
#[derive(Debug, Clone)]
pub(crate) struct Actual<'s> {
    cors: &'s CompiledCors,
    pub origin: HeaderValue,
    /// `Access-Control-Allow-Origin`, when the origin is allowed.
    allow_origin: Option<HeaderValue>,
}

/// The method a CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) asks about: routing matches it instead
/// of `OPTIONS`, so that a service whose `match.methods` lists `PUT` gets
/// the preflights of its `PUT`s (and answers them by its `cors`).
pub(crate) fn preflight_method(method: &Method, headers: &HeaderMap) -> Option<Method> {
    if *method != Method::OPTIONS || !headers.contains_key(header::ORIGIN) {
        return None;
    }
    let asked = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    Method::from_bytes(asked.as_bytes()).ok()
}

/// The CORS phase: what `svc`'s policy makes of a request.
pub(crate) fn classify<'s>(
    svc: &'s CompiledService,
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> CorsRequest<'s> {
    let (Some(cors), Some(origin)) = (&svc.cors, headers.get(header::ORIGIN)) else {
        return CorsRequest::Off;
    };
    if is_upgrade(version, headers) {
        return CorsRequest::Upgrade;
    }
    let origin = origin.clone();
    match headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        Some(asked) if *method == Method::OPTIONS => {
            CorsRequest::Preflight(Preflight::decide(cors, origin, asked.clone(), headers))
        }
        _ => {
            let allow_origin = cors.allows_origin(origin.as_bytes()).then(|| {
                if cors.any_origin() {
                    STAR.clone()
                } else {
                    origin.clone()
                }
            });
            CorsRequest::Actual(Actual {
                cors,
                origin,
                allow_origin,
            })
        }
    }
}

impl<'s> Preflight<'s> {
    fn decide(
        cors: &'s CompiledCors,
        origin: HeaderValue,
        method: HeaderValue,
        headers: &HeaderMap,
    ) -> Self {
        let asked = headers.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS);
        let verdict = cors
            .check_preflight(
                origin.as_bytes(),
                method.as_bytes(),
                asked.iter().map(HeaderValue::as_bytes),
            )
            .map_err(|r| match r {
                PreflightRefusal::Origin => Refused::Origin,
                PreflightRefusal::Method => Refused::Method,
                PreflightRefusal::Header(h) => Refused::Header(h.into()),
            });
        let mut fields = asked.iter();
        let requested = match (fields.next(), fields.next()) {
            (None, _) => None,
            (Some(one), None) => Some(one.clone()),
            // Rare: a browser sends one field. Joined for the echo.
            (Some(_), Some(_)) => {
                let parts: Vec<&[u8]> = asked.iter().map(HeaderValue::as_bytes).collect();
                HeaderValue::from_bytes(&parts.join(b", ".as_slice())).ok()
            }
        };
        Preflight {
            cors,
            origin,
            method,
            requested,
            verdict,
        }
    }

    /// The fields of the gateway's answer: the allow fields when the
    /// preflight is allowed, and `Vary` in any case.
    pub(crate) fn answer_headers(&self, out: &mut HeaderMap) {
        out.insert(header::VARY, VARY_PREFLIGHT.clone());
        if self.verdict.is_err() {
            return;
        }
        let c = self.cors;
        let allow_origin = if c.any_origin() {
            STAR.clone()
        } else {
            self.origin.clone()
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        // A `*` method or header list is answered with what was asked: a
        // literal `*` means "any" only to requests without credentials.
        let methods = match &c.allow_methods_value {
            Some(v) if !c.any_method() => v.clone(),
            _ => self.method.clone(),
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        let allowed_headers = match (c.any_header(), &c.allow_headers_value) {
            (true, _) => self.requested.clone(),
            (false, v) => v.clone(),
        };
        if let Some(v) = allowed_headers {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        if let Some(v) = &c.max_age_value {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, v.clone());
        }
        if c.allow_credentials {
            out.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
        }
    }

    /// The gateway's answer: `204 No Content`.
    pub(crate) fn answer(&self) -> Response<Full<Bytes>> {
        let mut res = Response::new(Full::default());
        *res.status_mut() = StatusCode::NO_CONTENT;
        self.answer_headers(res.headers_mut());
        res
    }
}

impl Actual<'_> {
    pub(crate) fn allowed(&self) -> bool {
        self.allow_origin.is_some()
    }

    /// Put the policy's fields on an answer, the upstream's or the
    /// gateway's own: the upstream's CORS fields are replaced (the
    /// gateway's policy wins), and a disallowed origin gets none.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for name in &CORS_FIELDS {
            headers.remove(name);
        }
        if !varies_by_origin(headers) {
            headers.append(header::VARY, VARY_ORIGIN.clone());
        }
        let Some(allow_origin) = &self.allow_origin else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin.clone());
        if self.cors.allow_credentials {
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
        }
        if let Some(v) = &self.cors.expose_headers_value {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
        }
    }
}

/// Whether the answer's `Vary` already names `Origin` (or `*`, which
/// covers it): the upstream may vary by it itself.
fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers.get_all(header::VARY).iter().any(|v| {
        v.as_bytes().split(|&b| b == b',').any(|token| {
            let t = token.trim_ascii();
            t == b"*" || t.eq_ignore_ascii_case(b"origin")
        })
    })
}

#[cfg(test)]
mod tests;
