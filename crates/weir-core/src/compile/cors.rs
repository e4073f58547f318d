//! A service's `cors` policy, validated and compiled into what the data
//! plane reads on each request: origins parsed once into their parts (lower
//! case, default ports dropped), and every fixed field value of the answers
//! (`Access-Control-Allow-Methods`, `-Allow-Headers`, `-Expose-Headers`,
//! `-Max-Age`) built once. Matching a request's `Origin` allocates nothing.

use http::{HeaderName, HeaderValue, Method};

use crate::error::ValidationErrors;
use crate::model::Cors;
use crate::msg::Msg;

use super::addr::validate_hostname;

/// A CORS policy ready for the data plane.
#[derive(Debug, Clone)]
pub struct CompiledCors {
    /// `allow_origins: ["*"]`.
    any_origin: bool,
    origins: Box<[OriginRule]>,
    /// `allow_methods: ["*"]`: a preflight's method is echoed.
    any_method: bool,
    methods: Box<[Method]>,
    /// `allow_headers: ["*"]`: a preflight's requested headers are echoed.
    any_header: bool,
    headers: Box<[HeaderName]>,
    pub allow_credentials: bool,
    /// `Access-Control-Allow-Methods` (unless any method).
    pub allow_methods_value: Option<HeaderValue>,
    /// `Access-Control-Allow-Headers` (unless any header, or none listed).
    pub allow_headers_value: Option<HeaderValue>,
    /// `Access-Control-Expose-Headers`.
    pub expose_headers_value: Option<HeaderValue>,
    /// `Access-Control-Max-Age`, in seconds.
    pub max_age_value: Option<HeaderValue>,
}

/// An origin of `allow_origins`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginRule {
    /// `https://app.example.com`.
    Exact(OwnedOrigin),
    /// `https://*.example.com`: `host` holds `.example.com`.
    Subdomain(OwnedOrigin),
}

/// An origin's parts, normalised: scheme and host in lower case, the port
/// `None` when it is the scheme's default (or there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedOrigin {
    scheme: Box<str>,
    host: Box<str>,
    port: Option<u16>,
}

/// An origin's parts as written in a request's `Origin` (no case change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
}

/// Why a request's preflight is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreflightRefusal<'a> {
    Origin,
    Method,
    /// The first requested header `allow_headers` does not name.
    Header(&'a str),
}

impl CompiledCors {
    /// Whether `origin` (a request's `Origin` value) may read answers.
    pub fn allows_origin(&self, origin: &[u8]) -> bool {
        if self.any_origin {
            return true;
        }
        let parsed = std::str::from_utf8(origin).ok();
        let Some(o) = parsed.and_then(|s| split_origin(s, false)) else {
            return false;
        };
        self.origins.iter().any(|rule| rule.matches(&o))
    }

    /// `*` allows every origin (answered with `Access-Control-Allow-Origin: *`).
    pub fn any_origin(&self) -> bool {
        self.any_origin
    }

    /// `allow_methods: ["*"]`.
    pub fn any_method(&self) -> bool {
        self.any_method
    }

    /// `allow_headers: ["*"]`.
    pub fn any_header(&self) -> bool {
        self.any_header
    }

    /// The preflight check: the origin, the requested method
    /// (`Access-Control-Request-Method`, compared case-sensitively as
    /// browsers do) and each requested header
    /// (`Access-Control-Request-Headers`, comma-separated, any case).
    pub fn check_preflight<'a>(
        &self,
        origin: &[u8],
        method: &[u8],
        requested_headers: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), PreflightRefusal<'a>> {
        if !self.allows_origin(origin) {
            return Err(PreflightRefusal::Origin);
        }
        let method_ok =
            self.any_method || self.methods.iter().any(|m| m.as_str().as_bytes() == method);
        if !method_ok || Method::from_bytes(method).is_err() {
            return Err(PreflightRefusal::Method);
        }
        for value in requested_headers {
            for name in value.split(|&b| b == b',').map(trim_ows) {
                if name.is_empty() {
                    continue;
                }
                let known = (self.any_header && HeaderName::from_bytes(name).is_ok())
                    || self
                        .headers
                        .iter()
                        .any(|h| h.as_str().as_bytes().eq_ignore_ascii_case(name));
                if !known {
                    // `name` came from a header value: visible ASCII.
                    return Err(PreflightRefusal::Header(
                        std::str::from_utf8(name).unwrap_or("?"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = s.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(a), Some(b)) => &s[a..=b],
        _ => &[],
    }
}

impl OriginRule {
    fn matches(&self, o: &Origin<'_>) -> bool {
        match self {
            OriginRule::Exact(r) => {
                r.port == o.port
                    && r.scheme.eq_ignore_ascii_case(o.scheme)
                    && r.host.eq_ignore_ascii_case(o.host)
            }
            OriginRule::Subdomain(r) => {
                let (h, suffix) = (o.host.as_bytes(), r.host.as_bytes());
                r.port == o.port
                    && r.scheme.eq_ignore_ascii_case(o.scheme)
                    && h.len() > suffix.len()
                    && h[h.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
                    // A label before the suffix: not `.example.com`.
                    && h[0] != b'.'
                    && !o.host.contains("..")
            }
        }
    }
}

/// The default port of the schemes browsers serialise without one.
fn default_port(scheme: &str) -> Option<u16> {
    if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("wss") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("ws") {
        Some(80)
    } else {
        None
    }
}

/// `scheme://host[:port]`, as a browser serialises an origin: no path,
/// query, fragment or user name. The host is a name (letters, digits, `-`,
/// `_`, `.`; and `*` in a `pattern` of the configuration) or a bracketed
/// IPv6 address. `None` when `s` is not of that shape.
fn split_origin(s: &str, pattern: bool) -> Option<Origin<'_>> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.bytes();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let (host, port) = if rest.starts_with('[') {
        let end = rest.find(']')?;
        let (host, after) = rest.split_at(end + 1);
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let name_char = |b: u8| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') || (pattern && b == b'*')
    };
    let v6_char = |b: u8| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'[' | b']');
    let host_ok = if host.starts_with('[') {
        host.len() > 2 && host.bytes().all(v6_char)
    } else {
        !host.is_empty() && host.bytes().all(name_char)
    };
    if !host_ok {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>().ok()? {
                0 => return None,
                n if Some(n) == default_port(scheme) => None,
                n => Some(n),
            }
        }
        Some(_) => return None,
    };
    Some(Origin { scheme, host, port })
}

/// One entry of `allow_origins`, normalised, or why it is not an origin.
fn parse_rule(entry: &str) -> Result<OriginRule, Msg> {
    // A trailing slash is a common slip (an origin has no path): tolerated.
    let s = entry.strip_suffix('/').unwrap_or(entry);
    if !s.contains("://") {
        return Err(Msg::CorsOriginNoScheme);
    }
    let (_, rest) = s.split_once("://").unwrap_or_default();
    if rest.contains(['/', '?', '#', '@', '\\']) {
        return Err(Msg::CorsOriginPath);
    }
    let o = split_origin(s, true).ok_or(Msg::CorsOriginShape)?;
    let owned = |host: &str| OwnedOrigin {
        scheme: o.scheme.to_ascii_lowercase().into(),
        host: host.to_ascii_lowercase().into(),
        port: o.port,
    };
    if let Some(suffix) = o.host.strip_prefix("*.") {
        if suffix.contains('*') || !suffix.contains('.') {
            return Err(Msg::CorsOriginWildcard);
        }
        validate_hostname(suffix)?;
        return Ok(OriginRule::Subdomain(owned(&format!(".{suffix}"))));
    }
    if o.host.contains('*') {
        return Err(Msg::CorsOriginWildcard);
    }
    if let Some(v6) = o.host.strip_prefix('[') {
        let inner = v6.strip_suffix(']').unwrap_or(v6);
        inner
            .parse::<std::net::Ipv6Addr>()
            .map_err(|_| Msg::CorsOriginShape)?;
    } else {
        validate_hostname(o.host)?;
    }
    Ok(OriginRule::Exact(owned(o.host)))
}

impl OwnedOrigin {
    fn to_origin(&self, star: bool) -> String {
        let host = if star {
            format!("*{}", self.host)
        } else {
            self.host.to_string()
        };
        match self.port {
            Some(p) => format!("{}://{host}:{p}", self.scheme),
            None => format!("{}://{host}", self.scheme),
        }
    }
}

impl OriginRule {
    /// The normalised form (for duplicates and explain).
    fn normal(&self) -> String {
        match self {
            OriginRule::Exact(o) => o.to_origin(false),
            OriginRule::Subdomain(o) => o.to_origin(true),
        }
    }
}

/// Validate `cors` (reporting under `path`, e.g. `services[3].cors`) and
/// compile it.
pub(crate) fn compile_cors(
    cors: &Cors,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledCors> {
    let before = errors.errors.len();
    let (any_origin, origins) = compile_origins(cors, path, errors);
    let (any_method, methods) = compile_list(
        &cors.allow_methods,
        &format!("{path}.allow_methods"),
        errors,
        |m| Method::from_bytes(m.as_bytes()).ok(),
        |m| Msg::MethodInvalid { method: m.into() },
    );
    if cors.allow_methods.is_empty() {
        errors.push(format!("{path}.allow_methods"), Msg::CorsMethodsEmpty);
    }
    let header_name = |h: &str| HeaderName::from_bytes(h.as_bytes()).ok();
    let header_msg = |h: &str| Msg::HeaderNameInvalid { name: h.into() };
    let (any_header, headers) = compile_list(
        &cors.allow_headers,
        &format!("{path}.allow_headers"),
        errors,
        header_name,
        header_msg,
    );
    let (any_exposed, exposed) = compile_list(
        &cors.expose_headers,
        &format!("{path}.expose_headers"),
        errors,
        header_name,
        header_msg,
    );
    if cors.allow_credentials && any_exposed {
        errors.push(
            format!("{path}.expose_headers"),
            Msg::CorsExposeStarWithCredentials,
        );
    }
    if errors.errors.len() != before {
        return None;
    }
    Some(CompiledCors {
        any_origin,
        origins,
        any_method,
        allow_methods_value: join(methods.iter().map(Method::as_str)),
        methods,
        any_header,
        allow_headers_value: join(headers.iter().map(HeaderName::as_str)),
        headers,
        expose_headers_value: if any_exposed {
            Some(HeaderValue::from_static("*"))
        } else {
            join(exposed.iter().map(HeaderName::as_str))
        },
        allow_credentials: cors.allow_credentials,
        max_age_value: cors.max_age.map(|d| HeaderValue::from(d.get().as_secs())),
    })
}

/// `a, b, c` as one field value; `None` for no items.
fn join<'a>(items: impl Iterator<Item = &'a str>) -> Option<HeaderValue> {
    let s = items.collect::<Vec<_>>().join(", ");
    if s.is_empty() {
        return None;
    }
    // Tokens only (validated): always a valid value.
    HeaderValue::from_str(&s).ok()
}

fn compile_origins(
    cors: &Cors,
    path: &str,
    errors: &mut ValidationErrors,
) -> (bool, Box<[OriginRule]>) {
    let field = format!("{path}.allow_origins");
    if cors.allow_origins.is_empty() {
        errors.push(&field, Msg::CorsOriginsEmpty);
    }
    let any = cors.allow_origins.iter().any(|o| o == "*");
    if any && cors.allow_origins.len() > 1 {
        errors.push(&field, Msg::CorsStarAlone);
    }
    if any && cors.allow_credentials {
        errors.push(&field, Msg::CorsStarWithCredentials);
    }
    let mut rules: Vec<OriginRule> = Vec::with_capacity(cors.allow_origins.len());
    for (i, entry) in cors.allow_origins.iter().enumerate() {
        if entry == "*" {
            continue;
        }
        let p = format!("{field}[{i}]");
        match parse_rule(entry) {
            Ok(rule) if rules.contains(&rule) => errors.push(
                p,
                Msg::ListedTwice {
                    value: rule.normal(),
                },
            ),
            Ok(rule) => rules.push(rule),
            Err(why) => errors.push(
                p,
                Msg::CorsOriginInvalid {
                    origin: entry.clone(),
                    why: why.into(),
                },
            ),
        }
    }
    (any, rules.into_boxed_slice())
}

/// A list of methods or header names (`parse`), or `*` alone for any;
/// duplicates refused (header names in any case).
fn compile_list<T: PartialEq>(
    items: &[String],
    field: &str,
    errors: &mut ValidationErrors,
    parse: impl Fn(&str) -> Option<T>,
    invalid: impl Fn(&str) -> Msg,
) -> (bool, Box<[T]>) {
    let any = items.iter().any(|s| s == "*");
    if any && items.len() > 1 {
        errors.push(field, Msg::CorsStarAlone);
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item == "*" {
            continue;
        }
        match parse(item) {
            Some(v) if out.contains(&v) => errors.push(
                format!("{field}[{i}]"),
                Msg::ListedTwice {
                    value: item.clone(),
                },
            ),
            Some(v) => out.push(v),
            None => errors.push(format!("{field}[{i}]"), invalid(item)),
        }
    }
    (any, out.into_boxed_slice())
}

/// The normalised form of an `allow_origins` entry (`*` as is), or why it
/// is not one: what explain and the tests show.
pub fn normalize_origin(entry: &str) -> Result<String, Msg> {
    if entry == "*" {
        return Ok(entry.to_owned());
    }
    parse_rule(entry).map(|r| r.normal())
}

#[cfg(test)]
mod tests;
