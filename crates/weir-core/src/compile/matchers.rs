//! A route's conditions on the request beyond host and path: its method,
//! headers and query parameters. Compiled once (names parsed, regexes
//! built and anchored) so that checking them costs no allocation; the query
//! string is only decoded when a route has query conditions.

use std::fmt::Write as _;

use http::{HeaderMap, HeaderName, Method};
use regex::Regex;

use super::service::REGEX_SIZE_LIMIT;
use crate::error::ValidationErrors;
use crate::model::{FieldMatch, Match};
use crate::msg::Msg;

/// Most conditions of one kind (methods, headers, query) on one route.
pub const MAX_CONDITIONS: usize = 16;

/// What routing looks at in a request. `path` is the normalised path
/// without the query; `host` the raw `Host` or `:authority`.
#[derive(Debug, Clone, Copy)]
pub struct RouteRequest<'a> {
    pub host: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
}

/// A route's method, header and query conditions; all must hold.
#[derive(Debug, Clone)]
pub struct Conditions {
    /// Any of these methods (empty: any method).
    methods: Box<[Method]>,
    headers: Box<[(HeaderName, ValueMatch)]>,
    query: Box<[(String, ValueMatch)]>,
}

/// A condition on one field's value.
#[derive(Debug, Clone)]
pub enum ValueMatch {
    Exact(String),
    /// Anchored: the whole value must match.
    Regex(Regex),
    /// `true`: the field is there; `false`: it is absent.
    Present(bool),
}

impl ValueMatch {
    fn accepts(&self, value: &[u8]) -> bool {
        match self {
            ValueMatch::Exact(want) => value == want.as_bytes(),
            ValueMatch::Regex(re) => std::str::from_utf8(value).is_ok_and(|v| re.is_match(v)),
            ValueMatch::Present(present) => *present,
        }
    }

    /// Whether a request whose field has `values` satisfies the condition:
    /// one value that matches is enough; `present: false` needs none.
    fn holds<'v>(&self, mut values: impl Iterator<Item = &'v [u8]>) -> bool {
        match self {
            ValueMatch::Present(false) => values.next().is_none(),
            _ => values.any(|v| self.accepts(v)),
        }
    }
}

impl Conditions {
    /// Whether `req` meets every condition.
    pub fn matches(&self, req: &RouteRequest<'_>) -> bool {
        if !self.methods.is_empty() && !self.methods.contains(req.method) {
            return false;
        }
        let headers_hold = self
            .headers
            .iter()
            .all(|(name, m)| m.holds(req.headers.get_all(name).iter().map(|v| v.as_bytes())));
        headers_hold
            && self
                .query
                .iter()
                .all(|(name, m)| query_holds(req.query, name, m))
    }

    /// Orders routes sharing a host and path: a method condition first,
    /// then more header conditions, then more query conditions.
    pub(crate) fn specificity(&self) -> (bool, usize, usize) {
        (
            !self.methods.is_empty(),
            self.headers.len(),
            self.query.len(),
        )
    }
}

/// A query condition over the request's query string, its names and
/// values percent-decoded (`+` is a space) as forms encode them.
fn query_holds(query: Option<&str>, name: &str, m: &ValueMatch) -> bool {
    let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes());
    match m {
        ValueMatch::Present(false) => !pairs.into_iter().any(|(k, _)| k == name),
        _ => pairs
            .into_iter()
            .any(|(k, v)| k == name && m.accepts(v.as_bytes())),
    }
}

/// Validate and compile `m`'s conditions (`None` when it has none). `key`
/// receives their normal form, which tells two routes with the same
/// conditions apart from two with different ones.
pub(crate) fn compile_conditions(
    m: &Match,
    path: &str,
    errors: &mut ValidationErrors,
    key: &mut String,
) -> Option<Conditions> {
    let before = errors.errors.len();
    let mut methods = Vec::with_capacity(m.methods.len());
    for (i, method) in m.methods.iter().enumerate() {
        let field = format!("{path}.match.methods[{i}]");
        // Methods are case-sensitive (RFC 9110 §9.1): only the upper-case
        // names clients send are taken, so `get` cannot look like `GET`.
        let upper = (1..=32).contains(&method.len())
            && method
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-');
        match Method::from_bytes(method.as_bytes()) {
            Ok(parsed) if upper && !methods.contains(&parsed) => methods.push(parsed),
            Ok(_) if upper => errors.push(
                field,
                Msg::ConditionListedTwice {
                    what: method.clone(),
                },
            ),
            _ => errors.push(
                field,
                Msg::MethodInvalid {
                    method: method.clone(),
                },
            ),
        }
    }
    too_many(m.methods.len(), &format!("{path}.match.methods"), errors);
    let headers = compile_fields(
        &m.headers,
        &format!("{path}.match.headers"),
        errors,
        |name| HeaderName::from_bytes(name.as_bytes()).ok(),
        |value| http::HeaderValue::from_str(value).is_ok(),
    );
    let query = compile_fields(
        &m.query,
        &format!("{path}.match.query"),
        errors,
        |name| (!name.is_empty()).then(|| name.to_owned()),
        |_| true,
    );
    if errors.errors.len() != before || !m.has_conditions() {
        return None;
    }
    methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    normal_form(key, &methods, &headers, &query);
    Some(Conditions {
        methods: methods.into(),
        headers: headers.into(),
        query: query.into(),
    })
}

fn too_many(n: usize, field: &str, errors: &mut ValidationErrors) {
    if n > MAX_CONDITIONS {
        errors.push(
            field,
            Msg::TooManyConditions {
                max: MAX_CONDITIONS,
            },
        );
    }
}

/// Header or query conditions: a valid name (parsed by `name`), given
/// once, and exactly one of `exact` (a value `value_ok` takes), `regex` and
/// `present`.
fn compile_fields<N: PartialEq + AsRef<str>>(
    list: &[FieldMatch],
    path: &str,
    errors: &mut ValidationErrors,
    name: impl Fn(&str) -> Option<N>,
    value_ok: impl Fn(&str) -> bool,
) -> Vec<(N, ValueMatch)> {
    too_many(list.len(), path, errors);
    let mut out: Vec<(N, ValueMatch)> = Vec::with_capacity(list.len());
    for (i, f) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(parsed) = name(&f.name) else {
            errors.push(
                format!("{p}.name"),
                Msg::HeaderNameInvalid {
                    name: f.name.clone(),
                },
            );
            continue;
        };
        if out.iter().any(|(n, _)| *n == parsed) {
            errors.push(
                format!("{p}.name"),
                Msg::ConditionListedTwice {
                    what: f.name.clone(),
                },
            );
            continue;
        }
        let m = match (&f.exact, &f.regex, f.present) {
            (Some(v), None, None) if value_ok(v) => ValueMatch::Exact(v.clone()),
            (Some(_), None, None) => {
                errors.push(format!("{p}.exact"), Msg::HeaderValueInvalid);
                continue;
            }
            (None, Some(r), None) => match anchored(r) {
                Ok(re) => ValueMatch::Regex(re),
                Err(error) => {
                    errors.push(format!("{p}.regex"), Msg::RegexInvalid { error });
                    continue;
                }
            },
            (None, None, Some(present)) => ValueMatch::Present(present),
            _ => {
                errors.push(p, Msg::FieldMatchOneOf);
                continue;
            }
        };
        out.push((parsed, m));
    }
    out.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    out
}

/// `pattern` compiled to match a whole value (or path), with the size
/// bound every configured regex has.
pub(crate) fn anchored(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| super::service::one_line(&e.to_string()))
}

/// The conditions as one line of text (sorted), for telling routes apart
/// and for messages: `methods GET,POST; header x-canary = "1"`.
fn normal_form(
    out: &mut String,
    methods: &[Method],
    headers: &[(HeaderName, ValueMatch)],
    query: &[(String, ValueMatch)],
) {
    let mut parts = Vec::new();
    if !methods.is_empty() {
        let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
        parts.push(format!("methods {}", names.join(",")));
    }
    for (name, m) in headers {
        parts.push(format!("header {}", describe(name.as_str(), m)));
    }
    for (name, m) in query {
        parts.push(format!("query {}", describe(name, m)));
    }
    let _ = write!(out, "{}", parts.join("; "));
}

/// One condition as text: `x-canary = "1"`, `v ~ "^2"`, `x-debug present`.
fn describe(name: &str, m: &ValueMatch) -> String {
    match m {
        ValueMatch::Exact(v) => format!("{name} = {v:?}"),
        ValueMatch::Regex(re) => {
            let s = re.as_str();
            let inner = s
                .strip_prefix("^(?:")
                .and_then(|s| s.strip_suffix(")$"))
                .unwrap_or(s);
            format!("{name} ~ {inner:?}")
        }
        ValueMatch::Present(true) => format!("{name} present"),
        ValueMatch::Present(false) => format!("{name} absent"),
    }
}

impl Conditions {
    /// Each condition as text, in the normal order (for explain).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.methods.is_empty() {
            let names: Vec<&str> = self.methods.iter().map(Method::as_str).collect();
            out.push(format!("method {}", names.join("|")));
        }
        for (name, m) in self.headers.iter() {
            out.push(format!("header {}", describe(name.as_str(), m)));
        }
        for (name, m) in self.query.iter() {
            out.push(format!("query {}", describe(name, m)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn conditions(yaml: &str) -> Result<Conditions, ValidationErrors> {
        let m: Match = serde_yaml_ng::from_str(yaml).unwrap();
        let mut errors = ValidationErrors::default();
        let mut key = String::new();
        let c = compile_conditions(&m, "s", &mut errors, &mut key);
        errors.into_result()?;
        Ok(c.unwrap())
    }

    fn request<'a>(
        method: &'a Method,
        headers: &'a HeaderMap,
        query: Option<&'a str>,
    ) -> RouteRequest<'a> {
        RouteRequest {
            host: None,
            path: "/",
            query,
            method,
            headers,
        }
    }

    #[test]
    fn methods_headers_and_query_must_all_hold() {
        let c = conditions(
            r#"{ methods: [GET, POST], headers: [{ name: X-Canary, exact: "1" }, { name: x-v, regex: "v[23]" }], query: [{ name: "a b", present: true }] }"#,
        )
        .unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-canary", HeaderValue::from_static("1"));
        h.append("x-v", HeaderValue::from_static("v9"));
        h.append("x-v", HeaderValue::from_static("v3"));
        let get = Method::GET;
        assert!(c.matches(&request(&get, &h, Some("a+b=&z=1"))));
        assert!(c.matches(&request(&get, &h, Some("a%20b"))));
        // Missing query, wrong method, a regex that must match the whole value.
        assert!(!c.matches(&request(&get, &h, Some("ab=1"))));
        assert!(!c.matches(&request(&Method::PUT, &h, Some("a+b"))));
        h.remove("x-v");
        h.insert("x-v", HeaderValue::from_static("v33"));
        assert!(!c.matches(&request(&get, &h, Some("a+b"))));
    }

    #[test]
    fn absent_means_no_value_at_all() {
        let c = conditions(r#"{ headers: [{ name: x-debug, present: false }], query: [{ name: debug, present: false }] }"#).unwrap();
        let get = Method::GET;
        let mut h = HeaderMap::new();
        assert!(c.matches(&request(&get, &h, None)));
        assert!(!c.matches(&request(&get, &h, Some("debug"))));
        h.insert("x-debug", HeaderValue::from_static(""));
        assert!(!c.matches(&request(&get, &h, None)));
    }

    #[test]
    fn exact_values_are_case_sensitive_and_bytewise() {
        let c = conditions(
            r#"{ headers: [{ name: x-a, exact: "Blue" }], query: [{ name: v, exact: "é" }] }"#,
        )
        .unwrap();
        let get = Method::GET;
        let mut h = HeaderMap::new();
        h.insert("x-a", HeaderValue::from_static("blue"));
        assert!(!c.matches(&request(&get, &h, Some("v=%C3%A9"))));
        h.insert("x-a", HeaderValue::from_static("Blue"));
        assert!(c.matches(&request(&get, &h, Some("v=%C3%A9"))));
        assert!(!c.matches(&request(&get, &h, Some("v=e"))));
    }

    #[test]
    fn refusals_name_the_field() {
        let e = conditions(r#"{ methods: ["G ET", GET, get, GET], headers: [{ name: "bad name", exact: x }, { name: a, exact: x, present: true }, { name: b, regex: "(" }], query: [{ name: q, present: true }, { name: q, present: false }] }"#).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            fields,
            [
                "s.match.methods[0]",
                "s.match.methods[2]",
                "s.match.methods[3]",
                "s.match.headers[0].name",
                "s.match.headers[1]",
                "s.match.headers[2].regex",
                "s.match.query[1].name",
            ]
        );
    }

    #[test]
    fn describes_each_condition() {
        let c = conditions(r#"{ methods: [POST, GET], headers: [{ name: X-B, regex: "^v" }, { name: x-a, present: true }], query: [{ name: q, exact: "1" }] }"#).unwrap();
        assert_eq!(
            c.describe(),
            [
                "method GET|POST",
                "header x-a present",
                r#"header x-b ~ "^v""#,
                r#"query q = "1""#
            ]
        );
    }
}
