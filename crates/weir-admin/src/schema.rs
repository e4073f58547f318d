//! OpenAPI schemas of the configuration model. The model lives in
//! `weir-core`, which knows nothing of OpenAPI, so its shape is described
//! here once more, for documentation only: requests are still parsed by the
//! model itself (and so validated exactly as `weir apply` validates them).
//! A test (`openapi_tests::model_fields_are_documented`) fails when the
//! model gains a field these schemas lack, so the two cannot drift apart
//! unnoticed.
//!
//! Conventions, so that the document states what the server enforces:
//! - bounds and formats come from `weir_core::rules` (the constants
//!   validation uses), through the small `schema_with` functions below;
//! - a field the model defaults is optional — in bodies and in answers,
//!   which leave defaults out — and carries its `default` (set for the whole
//!   document by `openapi::Additions` from `weir_core::model::defaults`);
//!   it is `nullable` only where the model takes `null` (an `Option`), hence
//!   the `nullable = false` on optional fields the model holds as plain
//!   values;
//! - every object is closed (`additionalProperties: false`: the model denies
//!   unknown fields), set for the whole document by `openapi::Additions`;
//! - a rule JSON Schema cannot state (one field depending on another, a
//!   regex that must compile, a name that must be unique) is said in the
//!   description, and the server answers 422 naming the field.

#![allow(dead_code)] // the fields exist for their schema, never read

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use weir_core::rules;

/// A resource name (`rules::NAME_PATTERN`).
pub fn name_rule(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(rules::NAME_MAX_LEN))
        .pattern(Some(rules::NAME_PATTERN))
        .description(Some(format!(
            "{description}Letters, digits, `_`, `-`, `.`, starting with a letter or digit; \
             at most {} characters.",
            rules::NAME_MAX_LEN
        )))
}

/// A whole number from `min` to `max`.
pub fn count_rule(min: u64, max: u64, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
}

fn service_name() -> Object {
    name_rule("Unique name. ").examples(["user_api"]).build()
}
fn certificate_name() -> Object {
    name_rule("Unique name. ").examples(["example-com"]).build()
}
fn app_id() -> Object {
    name_rule("Unique id: the token's issuer and subject. ")
        .examples(["shop-frontend"])
        .build()
}
fn prefix() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(r"^/[^\u0000-\u0020?#\u007f]*$"))
        .max_length(Some(rules::MAX_PREFIX_LEN))
        .description(Some(format!(
            "Path prefix, compared byte for byte: starts with `/`; no space, control \
             character, `?` or `#`; at most {} bytes.",
            rules::MAX_PREFIX_LEN
        )))
        .examples(["/user/"])
        .build()
}
/// `match.methods` (`compile::matchers`).
fn route_methods() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z_-]{1,32}$"))
                .examples(["GET"]),
        )
        .max_items(Some(weir_core::compile::MAX_CONDITIONS))
        .unique_items(true)
        .description(Some(
            "Request methods, any of which matches: upper case (methods are \
             case-sensitive), each once. `HEAD` is not implied by `GET`.",
        ))
        .examples([serde_json::json!(["GET", "HEAD"])])
        .build()
}
/// Node addresses (`rules::node_addr_pattern`).
fn node_addr() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(rules::node_addr_pattern()))
        .description(Some(
            "`ip:port`, `[ipv6]:port`, `hostname:port` (every A/AAAA address of the name \
             becomes a node, re-resolved on TTL), or an SRV name such as \
             `_http._tcp.api.internal` (targets, ports and weights from the SRV records). \
             Ports are 1–65535; each address once per service.",
        ))
        .examples(["127.0.0.1:9001"])
        .build()
}

fn weight() -> Object {
    count_rule(
        0,
        rules::MAX_WEIGHT.into(),
        "Default 1; 0 only with a balance that ignores weights (disable a node with \
         `enabled: false`).",
    )
    .build()
}
fn max_idle_per_node() -> Object {
    count_rule(
        0,
        rules::MAX_IDLE_PER_NODE.into(),
        "Idle keep-alive connections kept per node (default 64).",
    )
    .build()
}
fn content_types() -> Array {
    const TOKEN: &str = "[!#$%&'+.^_`|~0-9A-Za-z-]+";
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!(r"^({TOKEN}/({TOKEN}|\*|\*\+{TOKEN})|\*/\*)$")))
                .examples(["application/json"]),
        )
        .min_items(Some(1))
        .description(Some(
            "Media types to compress, without parameters: `type/subtype`, `type/*`, \
             `type/*+suffix` or `*/*`; at least one. Wildcards do not cover \
             `text/event-stream`. Default: `text/*`, `application/json`, \
             `application/*+json`, `application/javascript`, `application/xml`, \
             `application/*+xml`, `image/svg+xml`, `application/wasm`.",
        ))
        .build()
}
fn brotli_level() -> Object {
    level_rule(rules::BROTLI_LEVEL, "Brotli quality (default 4).")
}
fn zstd_level() -> Object {
    level_rule(rules::ZSTD_LEVEL, "zstd level (default 3).")
}
fn gzip_level() -> Object {
    level_rule(rules::GZIP_LEVEL, "gzip level (default 1).")
}
fn level_rule(range: std::ops::RangeInclusive<u32>, description: &str) -> Object {
    count_rule((*range.start()).into(), (*range.end()).into(), description).build()
}
fn healthy() -> Object {
    threshold("Consecutive successes that bring an unhealthy node back (default 2).")
}
fn unhealthy() -> Object {
    threshold("Consecutive failures that take a node out (default 3).")
}
fn threshold(description: &str) -> Object {
    count_rule(
        (*rules::HEALTH_THRESHOLD.start()).into(),
        (*rules::HEALTH_THRESHOLD.end()).into(),
        description,
    )
    .build()
}
fn max_ejected_percent() -> Object {
    count_rule(
        0,
        rules::MAX_EJECTED_PERCENT.into(),
        "Largest share of nodes (percent) ejected at once (default 50).",
    )
    .build()
}
fn consecutive_failures() -> Object {
    count_rule(
        1,
        u32::MAX.into(),
        "Failed requests in a row (connect errors, resets, `failure_statuses`) that eject \
         a node (default 5).",
    )
    .build()
}
fn burst() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1))
        .maximum(Some(u32::MAX))
        .description(Some(
            "Requests that may arrive at once above the steady rate; default \
             `max(1, qps / 10)`.",
        ))
        .build()
}
fn failure_statuses() -> Array {
    ArrayBuilder::new()
        .items(status_code())
        .description(Some(
            "Upstream statuses that count as failures (default 502, 503, 504).",
        ))
        .examples([serde_json::json!([502, 503, 504])])
        .build()
}
fn retry_attempts() -> Object {
    count_rule(
        (*rules::RETRY_ATTEMPTS.start()).into(),
        (*rules::RETRY_ATTEMPTS.end()).into(),
        "Tries in all, the first included (default 2; 1 = never retry).",
    )
    .build()
}
fn retry_statuses() -> Array {
    ArrayBuilder::new()
        .items(count_rule(
            (*rules::RETRY_STATUS.start()).into(),
            (*rules::RETRY_STATUS.end()).into(),
            "An HTTP status",
        ))
        .description(Some(
            "Response statuses tried again besides those `retry_on` names (default none).",
        ))
        .examples([serde_json::json!([429])])
        .build()
}
fn budget_percent() -> Object {
    count_rule(
        0,
        rules::MAX_BUDGET_PERCENT.into(),
        "Share of the requests in flight that may be retried at once, in percent (default 20).",
    )
    .build()
}
fn budget_min_per_second() -> Object {
    count_rule(
        0,
        rules::MAX_RETRIES_PER_SECOND.into(),
        "Retries that may start each second whatever the share says (default 10).",
    )
    .build()
}
fn breaker_limit() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(*rules::BREAKER_LIMIT.start()))
        .maximum(Some(*rules::BREAKER_LIMIT.end()))
        .build()
}
fn status_code() -> Object {
    count_rule(
        (*rules::HTTP_STATUS.start()).into(),
        (*rules::HTTP_STATUS.end()).into(),
        "An HTTP status",
    )
    .build()
}
fn port() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1))
        .maximum(Some(u16::MAX))
        .description(Some(
            "Own listening port: required for `tcp`, optional for `grpc`, not for `http`.",
        ))
        .build()
}
fn tenant_secret() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .min_length(Some(*rules::SECRET_LEN.start()))
        .max_length(Some(*rules::SECRET_LEN.end()))
        .write_only(true)
        .description(Some(format!(
            "Client secret ({}–{} characters). Write-only: never returned by reads; \
             generated on create when absent; kept on replace when absent.",
            rules::SECRET_LEN.start(),
            rules::SECRET_LEN.end()
        )))
        .build()
}

/// A duration: a number with a unit, combinable (`500ms`, `5s`, `1m30s`,
/// `1h`, `1d`).
pub struct DurationSchema;

impl utoipa::PartialSchema for DurationSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(rules::DURATION_PATTERN))
            .max_length(Some(rules::DURATION_MAX_LEN))
            .description(Some(format!(
                "A duration: numbers of at most {} digits with a unit (`ms`, `s`, `m`, `h`, \
                 `d`), combinable: `500ms`, `5s`, `1m30s`, `1h`.",
                rules::DURATION_MAX_DIGITS
            )))
            .examples(["5s"])
            .into()
    }
}

impl ToSchema for DurationSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
}

/// A duration greater than zero (`rules::positive_duration_pattern`).
pub struct PositiveDurationSchema;

impl utoipa::PartialSchema for PositiveDurationSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(rules::positive_duration_pattern()))
            .max_length(Some(rules::DURATION_MAX_LEN))
            .description(Some(
                "A duration greater than zero (see Duration): `500ms`, `5s`.",
            ))
            .examples(["5s"])
            .into()
    }
}

impl ToSchema for PositiveDurationSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "PositiveDuration".into()
    }
}

/// A proxied service: `http`, `tcp` or `grpc`. Rules that depend on the
/// kind: an `http` service needs `match` and takes no `port`; a `tcp` service
/// needs `port` and takes no `match`, `strip_prefix`, `rewrite`,
/// `request_headers`, `response_headers`, `cors`, `websocket`, `https_redirect`, `access.auth`,
/// `upstream.tls`, `compression` or a `hash_key` other than `client_ip`; a
/// `grpc` service needs `port`, `match` or both, and takes no `websocket`,
/// `https_redirect` or `compression`. Names, routes and ports are unique across services.
#[derive(ToSchema)]
#[schema(as = Service)]
pub struct ServiceSchema {
    #[schema(schema_with = service_name)]
    name: String,
    #[schema(inline, nullable = false)]
    kind: Option<ServiceKindSchema>,
    #[schema(nullable = false)]
    description: Option<String>,
    #[schema(schema_with = port)]
    port: Option<u16>,
    /// Answer plain-HTTP requests with a redirect to HTTPS.
    #[schema(nullable = false)]
    https_redirect: Option<bool>,
    /// Accept an encoded slash (`%2F`) in request paths (kept encoded);
    /// default false: such requests get 400.
    #[schema(nullable = false)]
    allow_encoded_slashes: Option<bool>,
    /// Default true; a disabled service is kept but not routed.
    #[schema(nullable = false)]
    enabled: Option<bool>,
    #[schema(rename = "match", nullable = false)]
    route: Option<MatchSchema>,
    /// Remove the matched prefix before forwarding (seed: `need_strip_uri`);
    /// needs `match.prefix`.
    #[schema(nullable = false)]
    strip_prefix: Option<bool>,
    /// Regex rewrites of the path, in order, after `strip_prefix`.
    #[schema(nullable = false)]
    rewrite: Option<Vec<RewriteRuleSchema>>,
    /// Request header operations, in order (seed: `header_transfor`).
    #[schema(nullable = false)]
    request_headers: Option<Vec<HeaderOpSchema>>,
    /// Operations on the upstream's response headers, in order, before the
    /// response goes to the client (gRPC: response metadata). The
    /// gateway's own answers are not changed. Not for `tcp`.
    #[schema(nullable = false)]
    response_headers: Option<Vec<HeaderOpSchema>>,
    /// The CORS policy; off when absent (or null). Not for `tcp`.
    cors: Option<CorsSchema>,
    /// Allow WebSocket upgrades.
    #[schema(nullable = false)]
    websocket: Option<bool>,
    /// Largest request body in bytes; absent or 0 = no limit. A larger
    /// `Content-Length` gets 413 before anything is forwarded; a streamed
    /// body is cut with 413 when it crosses the limit. gRPC: all messages
    /// of one call; WebSocket tunnels are not counted. Not for `tcp`.
    #[schema(minimum = 0, example = 10485760)]
    max_body_bytes: Option<u64>,
    /// Compression of the upstream's responses, negotiated by the client's
    /// `Accept-Encoding`; off when absent, `{}` for the defaults. Not for
    /// `tcp` or `grpc`.
    compression: Option<CompressionSchema>,
    #[schema(nullable = false)]
    access: Option<AccessSchema>,
    #[schema(nullable = false)]
    limits: Option<LimitsSchema>,
    /// This route's own timeouts, each overriding the `upstream.timeouts`
    /// value of whichever upstream takes a request (this service's or a
    /// split target's). Not for `tcp`.
    #[schema(nullable = false)]
    timeouts: Option<RouteTimeoutsSchema>,
    upstream: UpstreamSchema,
    /// Shares of the requests sent to other services' upstreams (canary);
    /// what the targets do not take stays on this service's upstream. Not
    /// for `tcp`.
    split: Option<SplitSchema>,
    /// A share of the requests copied to another service's upstream, its
    /// answers discarded. Not for `tcp`.
    mirror: Option<MirrorSchema>,
    #[schema(nullable = false)]
    registration: Option<SelfRegistrationSchema>,
}

#[derive(ToSchema)]
#[schema(as = ServiceKind)]
#[allow(non_camel_case_types)]
pub enum ServiceKindSchema {
    http,
    tcp,
    grpc,
}

/// Response compression. A response is compressed when the client accepts
/// one of `algorithms` (the highest q-value wins, ties go to this order),
/// its type is in `content_types` and its `Content-Length` (if any) is at
/// least `min_size`; never a HEAD answer, an upgrade, 1xx/204/304, a 206 or
/// `Content-Range`, one with `Content-Encoding` or `Cache-Control:
/// no-transform`. Algorithms are listed once each.
#[derive(ToSchema)]
#[schema(as = Compression)]
pub struct CompressionSchema {
    /// The codings, in the service's order of preference (default `zstd`,
    /// `br`, `gzip`); at least one, each once.
    // A set only to get `uniqueItems`: the order written is kept.
    #[schema(inline, nullable = false, min_items = 1)]
    algorithms: Option<std::collections::BTreeSet<EncodingSchema>>,
    /// Responses with a smaller `Content-Length` are sent as they are
    /// (default 1024); a response of unknown length is compressed.
    #[schema(minimum = 0, nullable = false, example = 1024)]
    min_size: Option<u64>,
    // Described in `content_types()`.
    #[schema(schema_with = content_types)]
    content_types: Option<Vec<String>>,
    #[schema(nullable = false)]
    level: Option<CompressionLevelsSchema>,
}

#[derive(ToSchema)]
#[schema(as = Encoding)]
#[allow(non_camel_case_types)]
pub enum EncodingSchema {
    br,
    zstd,
    gzip,
}

/// The level of each coding; the defaults favour speed (compression runs
/// on the request path).
#[derive(ToSchema)]
#[schema(as = CompressionLevels)]
pub struct CompressionLevelsSchema {
    #[schema(schema_with = brotli_level)]
    br: Option<u32>,
    #[schema(schema_with = zstd_level)]
    zstd: Option<u32>,
    #[schema(schema_with = gzip_level)]
    gzip: Option<u32>,
}

/// A traffic split: `targets` take their percentages of the requests
/// (their own upstreams: nodes, balancing, health, timeouts — unless this
/// service's `timeouts` override them — retries); the
/// rest stays. Targets are existing services of the same kind without a
/// split of their own, each once, not the service itself; the percentages
/// add up to at most 100. A disabled target takes no share.
#[derive(ToSchema)]
#[schema(as = Split)]
pub struct SplitSchema {
    #[schema(min_items = 1, max_items = 16)]
    targets: Vec<SplitTargetSchema>,
    /// `header:NAME` or `cookie:NAME`: requests with the same value go to
    /// the same side. Absent: every request on its own.
    #[schema(
        example = "cookie:session",
        pattern = "^(header|cookie):[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
    )]
    sticky: Option<String>,
    /// Rules tried in order before the shares.
    #[schema(nullable = false, max_items = 16)]
    force: Option<Vec<SplitForceSchema>>,
}

/// Copies of a share of the requests, as the upstream gets them (with
/// `X-Weir-Mirror: 1`), sent to `service`'s upstream once the client's
/// body has arrived (bodies up to 64 KiB; larger ones are not copied); the
/// shadow's answers are discarded and never slow or fail the client.
/// `service` is another existing service of the same kind.
#[derive(ToSchema)]
#[schema(as = Mirror)]
pub struct MirrorSchema {
    #[schema(schema_with = service_name)]
    service: String,
    /// Percent of the requests copied, 0.01 to 100 (at most two decimals);
    /// default 100.
    #[schema(nullable = false, minimum = 0.01, maximum = 100, example = 10)]
    percent: Option<f64>,
}

#[derive(ToSchema)]
#[schema(as = SplitTarget)]
pub struct SplitTargetSchema {
    #[schema(schema_with = service_name)]
    service: String,
    /// Percent of the requests, 0.01 to 100 (at most two decimals).
    #[schema(minimum = 0.01, maximum = 100, example = 5)]
    percent: f64,
}

/// Sends a request whose `header` or `cookie` (exactly one) has `value`
/// (any value when absent) to `service`: a target or the service itself.
#[derive(ToSchema)]
#[schema(as = SplitForce)]
pub struct SplitForceSchema {
    #[schema(example = "X-Canary")]
    header: Option<String>,
    cookie: Option<String>,
    #[schema(example = "1")]
    value: Option<String>,
    #[schema(schema_with = service_name)]
    service: String,
}

/// How requests are matched: a host, a path (`prefix`, exact `path` or
/// `path_regex`: at most one), and method, header and query conditions
/// that must all hold (at least one of these for `http` services). When
/// several services match, the most specific wins (docs/proxying.md,
/// "Routing").
#[derive(ToSchema)]
#[schema(as = ServiceMatch)]
pub struct MatchSchema {
    #[schema(schema_with = prefix)]
    prefix: Option<String>,
    /// Host name (any port), or `*.example.com`: labels of letters, digits,
    /// `-` and `_`.
    #[schema(example = "api.example.com", pattern = r"^(\*\.)?[A-Za-z0-9_.-]+$")]
    host: Option<String>,
    /// Exact path: the whole normalised path, byte for byte (same syntax as
    /// `prefix`).
    #[schema(schema_with = prefix)]
    path: Option<String>,
    /// Regular expression (Rust `regex` syntax; it must compile) that the
    /// whole normalised path must match.
    #[schema(example = "/users/[0-9]+", max_length = 1024)]
    path_regex: Option<String>,
    #[schema(schema_with = route_methods)]
    methods: Option<Vec<String>>,
    /// Request headers, all of which must match (names once each, any
    /// letter case).
    #[schema(nullable = false, max_items = 16)]
    headers: Option<Vec<FieldMatchSchema>>,
    /// Query parameters, all of which must match (names once each,
    /// compared after percent-decoding).
    #[schema(nullable = false, max_items = 16)]
    query: Option<Vec<FieldMatchSchema>>,
}

/// A condition on one header or query parameter: exactly one of `exact`
/// (the value, byte for byte), `regex` (the whole value must match) and
/// `present` (true: there with any value; false: absent). A header with
/// several values matches when one of them does.
#[derive(ToSchema)]
#[schema(as = RouteFieldMatch)]
pub struct FieldMatchSchema {
    /// Header name or query parameter name.
    #[schema(min_length = 1, example = "X-Canary")]
    name: String,
    #[schema(example = "1")]
    exact: Option<String>,
    #[schema(example = "^v[23]$")]
    regex: Option<String>,
    present: Option<bool>,
}

#[derive(ToSchema)]
#[schema(as = RewriteRule)]
pub struct RewriteRuleSchema {
    /// Regular expression over the path (Rust `regex` syntax; it must
    /// compile).
    #[schema(example = "^/v1/(.*)")]
    pattern: String,
    /// Replacement; `$1`, `${1}`, `${name}` refer to groups, which the
    /// pattern must have.
    #[schema(example = "/api/v1/$1")]
    replacement: String,
}

/// A service's CORS policy (Cross-Origin Resource Sharing). The gateway
/// answers browsers' preflights itself (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`: `204`, never forwarded; the service's
/// IP rules apply to them, authentication and limits do not) — with the
/// allow fields when origin, method and headers are allowed, without them
/// otherwise. Other requests from an allowed origin get
/// `Access-Control-Allow-Origin` (and `-Allow-Credentials`,
/// `-Expose-Headers`) on whatever answers them, the gateway's refusals
/// included; the upstream's own `Access-Control-*` fields are replaced.
/// Every answer to a request with `Origin` gets `Vary: Origin`. WebSocket
/// upgrades and requests without `Origin` are left alone.
#[derive(ToSchema)]
#[schema(as = Cors)]
pub struct CorsSchema {
    /// Origins whose pages may read the answers: `scheme://host[:port]`
    /// (`https://app.example.com`, `http://localhost:3000`; no path),
    /// `https://*.example.com` (any subdomain, not `example.com` itself),
    /// or `*` alone for any origin — not with `allow_credentials: true`.
    /// Each once.
    #[schema(min_items = 1, example = json!(["https://app.example.com", "https://*.example.com"]))]
    allow_origins: Vec<String>,
    /// Methods a preflight may ask for (case-sensitive, as browsers send
    /// them), or `*` alone for any. Default `GET`, `HEAD`, `POST`.
    #[schema(nullable = false, min_items = 1, example = json!(["GET", "POST", "PUT", "DELETE"]))]
    allow_methods: Option<Vec<String>>,
    /// Request headers a preflight may ask for (any case), or `*` alone
    /// for any. Default none.
    #[schema(nullable = false, example = json!(["Content-Type", "Authorization"]))]
    allow_headers: Option<Vec<String>>,
    /// Response headers beyond the CORS-safelisted ones that the page may
    /// read, or `*` alone for any (not with `allow_credentials: true`).
    #[schema(nullable = false, example = json!(["X-Request-Id"]))]
    expose_headers: Option<Vec<String>>,
    /// Let pages send cookies and HTTP authentication and read the answers
    /// (`Access-Control-Allow-Credentials: true`; the origin is echoed).
    /// Default false.
    #[schema(nullable = false)]
    allow_credentials: Option<bool>,
    /// How long a browser may cache a preflight's answer
    /// (`Access-Control-Max-Age`, whole seconds); absent: not sent.
    max_age: Option<DurationSchema>,
}

#[derive(ToSchema)]
#[schema(as = HeaderOp)]
pub struct HeaderOpSchema {
    #[schema(inline)]
    op: HeaderOpKindSchema,
    /// A header name; not one the gateway manages (`connection`,
    /// `content-length`, `transfer-encoding`, …).
    #[schema(example = "X-Gateway", pattern = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    name: String,
    /// Required for `add` and `set`, absent for `remove`.
    value: Option<String>,
}

/// `add` appends, `set` replaces (seed: `edit`), `remove` deletes (seed: `del`).
#[derive(ToSchema)]
#[allow(non_camel_case_types)]
pub enum HeaderOpKindSchema {
    add,
    set,
    remove,
    edit,
    del,
}

/// Who may call a service.
#[derive(ToSchema)]
#[schema(as = ServiceAccess)]
pub struct AccessSchema {
    /// Only these addresses may call (when enabled); wins over `ip_deny`.
    #[schema(nullable = false)]
    ip_allow: Option<IpListSchema>,
    /// These addresses are refused (when enabled).
    #[schema(nullable = false)]
    ip_deny: Option<IpListSchema>,
    #[schema(nullable = false)]
    auth: Option<AuthPolicySchema>,
}

/// A switchable list of addresses and networks (`10.0.0.1`, `10.0.0.0/8`,
/// `2001:db8::/32`, `192.168.1.*`); an enabled list may not be empty.
#[derive(ToSchema)]
#[schema(as = IpList)]
pub struct IpListSchema {
    /// Default true when the list is written.
    #[schema(nullable = false)]
    enabled: Option<bool>,
    #[schema(nullable = false)]
    ips: Option<Vec<String>>,
}

/// Tenant authentication (seed: `open_auth`, `api_white_list`).
#[derive(ToSchema)]
#[schema(as = AuthPolicy)]
pub struct AuthPolicySchema {
    #[schema(nullable = false)]
    enabled: Option<bool>,
    /// Paths that need no token: exact, or `prefix*` (a trailing `*` only).
    #[schema(nullable = false)]
    allow_paths: Option<Vec<String>>,
    /// App ids of the tenants that may call; absent or empty = every
    /// enabled tenant with a valid token (others get 403
    /// `tenant_not_allowed`). A name that matches no tenant admits nobody.
    #[schema(nullable = false)]
    tenants: Option<Vec<String>>,
}

/// Rate limits; 0 = unlimited. For TCP services the rates count new
/// connections.
#[derive(ToSchema)]
#[schema(as = ServiceLimits)]
pub struct LimitsSchema {
    /// Requests per second for the whole service (seed: `service_flow_limit`).
    #[schema(minimum = 0, maximum = 4294967295_u64, nullable = false)]
    service_qps: Option<u32>,
    /// Requests per second per client IP (seed: `clientip_flow_limit`).
    #[schema(minimum = 0, maximum = 4294967295_u64, nullable = false)]
    client_ip_qps: Option<u32>,
    #[schema(schema_with = burst)]
    burst: Option<u32>,
    /// TCP services only: connections open at once; 0 = unlimited.
    #[schema(minimum = 0, maximum = 4294967295_u64, nullable = false)]
    max_connections: Option<u32>,
}

/// Where a service's requests go.
#[derive(ToSchema)]
#[schema(as = Upstream)]
pub struct UpstreamSchema {
    #[schema(inline, nullable = false)]
    balance: Option<BalanceSchema>,
    /// What `consistent_hash` hashes: `client_ip` (default), `uri` or
    /// `header:NAME`. Only with `balance: consistent_hash`.
    #[schema(
        example = "header:x-user-id",
        pattern = r"^(client_ip|uri|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$"
    )]
    hash_key: Option<String>,
    /// At least one; each address once.
    #[schema(min_items = 1)]
    nodes: Vec<NodeSchema>,
    /// Speak TLS to the nodes: `true`, or options.
    #[schema(nullable = false)]
    tls: Option<UpstreamTlsSchema>,
    #[schema(nullable = false)]
    timeouts: Option<TimeoutsSchema>,
    #[schema(schema_with = max_idle_per_node)]
    max_idle_per_node: Option<u32>,
    /// Active health checks (the seed's probing); off when absent.
    health_check: Option<HealthCheckSchema>,
    /// Passive health (outlier ejection); off when absent.
    outlier: Option<OutlierSchema>,
    /// When no node is available, try every enabled node anyway instead of
    /// answering 503 / UNAVAILABLE. Default false.
    #[schema(nullable = false)]
    fail_open: Option<bool>,
    /// How failed requests are tried again. Absent: one more try on another
    /// node when nothing reached the first, or when an idempotent request
    /// without a body met a failed node. Not for `tcp`.
    retry: Option<RetryPolicySchema>,
    /// Limits on open connections, requests waiting for a connection and
    /// requests in flight; a request over one is answered `503
    /// circuit_open` at once. Not for `tcp` (use `limits.max_connections`).
    circuit_breaker: Option<CircuitBreakerSchema>,
    /// Re-resolution bounds of nodes given by DNS name.
    #[schema(nullable = false)]
    dns: Option<DnsSettingsSchema>,
}

/// How failed requests are tried again. A request that reached a node is
/// sent again only when replayable: an idempotent method with no body or
/// one of at most 64 KiB, or a gRPC call answered with one of
/// `grpc_statuses`.
#[derive(ToSchema)]
#[schema(as = RetryPolicy)]
pub struct RetryPolicySchema {
    #[schema(schema_with = retry_attempts)]
    attempts: Option<u32>,
    /// The failures tried again (default `connect_failure`, `reset`,
    /// `timeout`).
    #[schema(inline, nullable = false)]
    retry_on: Option<Vec<RetryOnSchema>>,
    #[schema(schema_with = retry_statuses)]
    statuses: Option<Vec<u16>>,
    /// gRPC statuses tried again when the node answers with them in the
    /// response head (Trailers-Only): names such as `unavailable` or
    /// numbers 0–16. `grpc` services only.
    #[schema(value_type = Option<Vec<GrpcStatusSchema>>, nullable = false)]
    grpc_statuses: Option<Vec<serde_json::Value>>,
    /// The longest wait of one try for its response headers (greater than
    /// 0; never longer than `timeouts.response_header`). Absent: that
    /// timeout.
    per_try_timeout: Option<PositiveDurationSchema>,
    #[schema(nullable = false)]
    backoff: Option<BackoffSchema>,
    #[schema(nullable = false)]
    budget: Option<RetryBudgetSchema>,
}

/// A retry condition: `connect_failure` (nothing reached the node),
/// `reset` (the node failed before answering), `timeout` (no response
/// headers in time), `5xx` (any 5xx answer), `gateway_error` (502, 503,
/// 504).
#[derive(ToSchema)]
#[schema(as = RetryOn)]
#[allow(non_camel_case_types)]
pub enum RetryOnSchema {
    connect_failure,
    reset,
    timeout,
    #[schema(rename = "5xx")]
    server_error,
    gateway_error,
}

/// A gRPC status: a name (`unavailable`, `resource_exhausted`, any case)
/// or a code 0–16.
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
#[schema(as = GrpcStatus)]
pub enum GrpcStatusSchema {
    #[schema(example = "unavailable")]
    Name(String),
    Code(u32),
}

/// Exponential back-off with full jitter: before retry `n` a random wait up
/// to `min(max, base × 2^(n-1))`. `max` may not be less than `base`; both at
/// most 60s.
#[derive(ToSchema)]
#[schema(as = RetryBackoff)]
pub struct BackoffSchema {
    /// Default `25ms`; `0ms`: no wait.
    #[schema(nullable = false)]
    base: Option<DurationSchema>,
    /// Default `250ms`.
    #[schema(nullable = false)]
    max: Option<DurationSchema>,
}

/// Retries the upstream takes on top of its traffic: at most `percent` of
/// its requests in flight may be retried at once, and `min_per_second`
/// retries may start each second regardless.
#[derive(ToSchema)]
#[schema(as = RetryBudget)]
pub struct RetryBudgetSchema {
    #[schema(schema_with = budget_percent)]
    percent: Option<u32>,
    #[schema(schema_with = budget_min_per_second)]
    min_per_second: Option<u32>,
}

/// Circuit breaker limits (absent: no limit), each 1–1000000.
#[derive(ToSchema)]
#[schema(as = CircuitBreaker)]
pub struct CircuitBreakerSchema {
    /// Connections the service opened to its nodes and that are still
    /// open, busy or idle.
    #[schema(schema_with = breaker_limit)]
    max_connections: Option<u32>,
    /// Requests waiting for a connection to be opened.
    #[schema(schema_with = breaker_limit)]
    max_pending: Option<u32>,
    /// Requests in flight, from the first try until the response ends.
    #[schema(schema_with = breaker_limit)]
    max_requests: Option<u32>,
}

#[derive(ToSchema)]
#[schema(as = Balance)]
#[allow(non_camel_case_types)]
pub enum BalanceSchema {
    random,
    round_robin,
    weighted_round_robin,
    consistent_hash,
    least_request,
}

/// An upstream node (seed: one `ip_list` line; `enabled: false` is the
/// seed's forbid list).
#[derive(ToSchema)]
#[schema(as = UpstreamNode)]
pub struct NodeSchema {
    #[schema(schema_with = node_addr)]
    addr: String,
    #[schema(schema_with = weight)]
    weight: Option<u32>,
    /// Default true.
    #[schema(nullable = false)]
    enabled: Option<bool>,
}

/// Timeouts towards the nodes; each greater than 0 (`idle` may be 0).
#[derive(ToSchema)]
#[schema(as = UpstreamTimeouts)]
pub struct TimeoutsSchema {
    /// Default `5s`.
    #[schema(nullable = false)]
    connect: Option<PositiveDurationSchema>,
    /// Default `1m`.
    #[schema(nullable = false)]
    response_header: Option<PositiveDurationSchema>,
    /// Default `1m30s`.
    #[schema(nullable = false)]
    idle: Option<DurationSchema>,
    /// A WebSocket or TCP connection idle this long in both directions is
    /// closed. Default `10m`.
    #[schema(nullable = false)]
    stream_idle: Option<PositiveDurationSchema>,
}

/// A route's timeouts; each absent field keeps the upstream's value. `idle`
/// is not here: it belongs to the upstream's pooled connections. Mirror
/// copies keep the shadow's own timeouts.
#[derive(ToSchema)]
#[schema(as = RouteTimeouts)]
pub struct RouteTimeoutsSchema {
    /// TCP (and TLS) connect to a node for this route's requests.
    connect: Option<PositiveDurationSchema>,
    /// From the request sent to the response headers; a shorter
    /// `retry.per_try_timeout` of the upstream, or a gRPC call's
    /// `grpc-timeout`, still ends a try first.
    response_header: Option<PositiveDurationSchema>,
    /// A WebSocket tunnel (or gRPC client stream) of this route idle this
    /// long in both directions is closed.
    stream_idle: Option<PositiveDurationSchema>,
}

/// TLS towards the nodes (seed: `need_https`): `true`/`false`, or options.
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
#[schema(as = UpstreamTls)]
pub enum UpstreamTlsSchema {
    Flag(bool),
    Options(UpstreamTlsOptionsSchema),
}

#[derive(ToSchema, serde::Serialize)]
#[schema(as = UpstreamTlsOptions)]
pub struct UpstreamTlsOptionsSchema {
    /// Default true.
    #[schema(nullable = false)]
    enabled: Option<bool>,
    /// PEM bundle of CAs to trust instead of the system roots (at least one
    /// CERTIFICATE block).
    ca: Option<String>,
    /// Name sent as SNI and verified; default: the node's host.
    server_name: Option<String>,
    /// Accept any certificate. Insecure: for testing only.
    #[schema(nullable = false)]
    insecure_skip_verify: Option<bool>,
}

/// Active health checks of every node of a service. `timeout` may not be
/// longer than `interval`; `http` checks need an `http` or `grpc` service,
/// `grpc` checks a `grpc` service.
#[derive(ToSchema)]
#[schema(as = HealthCheck)]
pub struct HealthCheckSchema {
    /// `tcp` (connect; the default), `http` (GET `path`, expect a status in
    /// `expect_status`) or `grpc` (`grpc.health.v1.Health/Check`).
    #[schema(rename = "type", inline, nullable = false)]
    kind: Option<CheckKindSchema>,
    /// Time between checks of one node (default `5s`; jittered; at least
    /// `50ms`).
    #[schema(nullable = false)]
    interval: Option<DurationSchema>,
    /// Time a check may take (default `2s`; greater than 0).
    #[schema(nullable = false)]
    timeout: Option<PositiveDurationSchema>,
    #[schema(schema_with = healthy)]
    healthy: Option<u32>,
    #[schema(schema_with = unhealthy)]
    unhealthy: Option<u32>,
    /// `http`: the path to GET (default `/`).
    #[schema(example = "/healthz", pattern = "^/", nullable = false)]
    path: Option<String>,
    /// `http`: accepted statuses (default `200-399`): statuses and ranges
    /// from 100 to 599, comma-separated.
    #[schema(
        example = "200,204,301-302",
        pattern = r"^[0-9,\s-]*$",
        nullable = false
    )]
    expect_status: Option<String>,
    /// `http`: the Host header (default: the node's address).
    host: Option<String>,
    /// `grpc`: the service name asked about (default empty: the whole server).
    #[schema(nullable = false)]
    grpc_service: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = HealthCheckType)]
#[allow(non_camel_case_types)]
pub enum CheckKindSchema {
    tcp,
    http,
    grpc,
}

/// Passive health: take a node out after consecutive failed requests.
/// `max_ejection` may not be shorter than `base_ejection`.
#[derive(ToSchema)]
#[schema(as = Outlier)]
pub struct OutlierSchema {
    #[schema(schema_with = consecutive_failures)]
    consecutive_failures: Option<u32>,
    /// First ejection time; each further ejection doubles it (default `30s`;
    /// greater than 0).
    #[schema(nullable = false)]
    base_ejection: Option<PositiveDurationSchema>,
    /// Longest ejection (default `5m`).
    #[schema(nullable = false)]
    max_ejection: Option<DurationSchema>,
    #[schema(schema_with = max_ejected_percent)]
    max_ejected_percent: Option<u32>,
    #[schema(schema_with = failure_statuses)]
    failure_statuses: Option<Vec<u16>>,
}

/// How nodes given by DNS name are re-resolved: on their records' TTL,
/// clamped to these bounds (`min_ttl` at least `100ms`, `max_ttl` not less
/// than `min_ttl`).
#[derive(ToSchema)]
#[schema(as = DnsSettings)]
pub struct DnsSettingsSchema {
    /// Default `1s`.
    #[schema(nullable = false)]
    min_ttl: Option<DurationSchema>,
    /// Default `5m`.
    #[schema(nullable = false)]
    max_ttl: Option<DurationSchema>,
}

/// Self-registration of instances into the service
/// (`POST /api/v1/services/{name}/registrations`): off unless enabled.
#[derive(ToSchema)]
#[schema(as = SelfRegistration)]
pub struct SelfRegistrationSchema {
    /// Accept registrations (default false).
    #[schema(nullable = false)]
    enabled: Option<bool>,
    /// Networks registered addresses must lie in; required when enabled.
    /// Loopback is accepted only when an entry lies inside it
    /// (`127.0.0.0/8`, `::1`).
    #[schema(example = json!(["10.0.0.0/8"]), nullable = false)]
    allowed_cidrs: Option<Vec<String>>,
    /// Live registrations at most (default 50).
    #[schema(minimum = 1, maximum = 10000, nullable = false)]
    max_instances: Option<u32>,
}

/// A TLS certificate the HTTPS listener serves, chosen by SNI from the DNS
/// names it covers. The certificate must parse, match its key and be valid
/// now.
#[derive(ToSchema)]
#[schema(as = Certificate)]
pub struct CertificateSchema {
    #[schema(schema_with = certificate_name)]
    name: String,
    /// PEM: the leaf certificate first, then its intermediates.
    #[schema(example = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n")]
    cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1). Write-only: never returned;
    /// required on create; kept on replace when absent.
    #[schema(write_only)]
    key: Option<String>,
    /// Serve this certificate to clients that send no SNI or a name no
    /// certificate covers (at most one). Default false.
    #[schema(nullable = false)]
    default: Option<bool>,
}

/// A tenant (the seed's app): a caller of services that require
/// authentication, with its own limits.
#[derive(ToSchema)]
#[schema(as = Tenant)]
pub struct TenantSchema {
    #[schema(schema_with = app_id)]
    app_id: String,
    #[schema(nullable = false)]
    name: Option<String>,
    #[schema(nullable = false)]
    description: Option<String>,
    #[schema(schema_with = tenant_secret)]
    secret: Option<String>,
    /// Default true.
    #[schema(nullable = false)]
    enabled: Option<bool>,
    /// Addresses the tenant may call from; empty = anywhere.
    #[schema(nullable = false)]
    ip_allow: Option<Vec<String>>,
    /// Requests per second; 0 = unlimited.
    #[schema(minimum = 0, maximum = 4294967295_u64, nullable = false)]
    qps: Option<u32>,
    /// Requests per calendar day; 0 = unlimited.
    #[schema(minimum = 0, nullable = false)]
    qpd: Option<u64>,
}

/// A whole configuration document (what `weir export` prints, as JSON).
/// Each list is optional: absent means "leave this kind alone" when
/// applied; `null` or `[]` means "there are none" (every entry of the kind
/// is removed).
#[derive(ToSchema)]
#[schema(as = ConfigDocument)]
pub struct ConfigDocumentSchema {
    services: Option<Vec<ServiceSchema>>,
    /// Tenants; secrets are left out of exports (and kept when applying a
    /// document without them).
    tenants: Option<Vec<TenantSchema>>,
    /// Token signing keys (issue 4); key material is left out of exports.
    #[schema(value_type = Option<Vec<Object>>)]
    signing_keys: Option<Vec<serde_json::Value>>,
    /// TLS certificates; private keys are left out of exports (and kept when
    /// applying a document without them).
    certificates: Option<Vec<CertificateSchema>>,
}

/// Rules between fields of a service that JSON Schema can state
/// (`if`/`then`), added to the `Service` schema by `openapi::Additions`:
/// what each kind takes, and `strip_prefix` needing a prefix to strip. Each mirrors a
/// check in `weir_core::compile::service`; the `openapi_tests` hold them to
/// it.
pub fn service_rules() -> serde_json::Value {
    let empty_match = json!({"properties": {
        "prefix": {"type": "null"}, "host": {"type": "null"}, "path": {"type": "null"},
        "path_regex": {"type": "null"}, "methods": {"maxItems": 0}, "headers": {"maxItems": 0},
        "query": {"maxItems": 0}
    }});
    let set = |field: &str| json!({"required": [field], "properties": {field: {"type": "string"}}});
    let listed = |field: &str| json!({"required": [field], "properties": {field: {"minItems": 1}}});
    let some_match = json!({"required": ["match"], "properties": {"match": {"anyOf": [
        set("prefix"), set("host"), set("path"), set("path_regex"),
        listed("methods"), listed("headers"), listed("query")
    ]}}});
    let no_port = json!({"properties": {"port": {"type": "null"}}});
    let no_connection_limit =
        json!({"properties": {"limits": {"properties": {"max_connections": {"const": 0}}}}});
    let check_types = |types: &[&str]| {
        json!({"properties": {"upstream": {"properties": {"health_check": {"properties": {
            "type": {"enum": types}
        }}}}}})
    };
    let kind = |k: &str| json!({"properties": {"kind": {"const": k}}, "required": ["kind"]});
    let strip =
        json!({"properties": {"strip_prefix": {"const": true}}, "required": ["strip_prefix"]});
    let has_prefix = json!({"required": ["match"], "properties": {"match": {"required": ["prefix"], "properties": {"prefix": {"type": "string"}}}}});
    json!([
        {
            // No kind is http.
            "if": {"properties": {"kind": {"const": "http"}}},
            "then": {"allOf": [
                no_port, some_match, no_connection_limit, check_types(&["tcp", "http"]),
                {"if": strip, "then": has_prefix},
                {"properties": {"upstream": {"properties": {"retry": {"properties": {
                    "grpc_statuses": {"maxItems": 0}
                }}}}}}
            ]}
        },
        {
            "if": kind("grpc"),
            "then": {"allOf": [
                {"properties": {"websocket": {"const": false}, "https_redirect": {"const": false},
                                "compression": {"type": "null"}}},
                {"anyOf": [{"required": ["port"], "properties": {"port": {"type": "integer"}}}, some_match]},
                no_connection_limit,
                // Routed by a match: a prefix to strip; on its own port: nothing to check.
                {"if": strip, "then": {"anyOf": [{"properties": {"match": empty_match}}, has_prefix]}}
            ]}
        },
        {
            "if": kind("tcp"),
            "then": {
                "required": ["port"],
                "properties": {
                    "port": {"type": "integer"},
                    "match": empty_match,
                    "strip_prefix": {"const": false},
                    "rewrite": {"maxItems": 0},
                    "request_headers": {"maxItems": 0},
                    "response_headers": {"maxItems": 0},
                    "compression": {"type": "null"},
                    "cors": {"type": "null"},
                    "split": {"type": "null"},
                    "mirror": {"type": "null"},
                    "websocket": {"const": false},
                    "https_redirect": {"const": false},
                    "access": {"properties": {"auth": {"properties": {"enabled": {"const": false}}}}},
                    "upstream": {"properties": {
                        "tls": {"anyOf": [
                            {"const": false},
                            {"type": "object", "required": ["enabled"], "properties": {"enabled": {"const": false}}}
                        ]},
                        "hash_key": {"anyOf": [{"type": "null"}, {"const": "client_ip"}]},
                        "health_check": {"properties": {"type": {"enum": ["tcp"]}}},
                        "retry": {"type": "null"},
                        "circuit_breaker": {"type": "null"}
                    }}
                }
            }
        }
    ])
}

/// Rules between fields of an upstream JSON Schema can state: `hash_key`
/// only with `balance: consistent_hash`.
pub fn upstream_rules() -> serde_json::Value {
    json!([{
        "if": {"properties": {"hash_key": {"type": "string"}}, "required": ["hash_key"]},
        "then": {"properties": {"balance": {"const": "consistent_hash"}}, "required": ["balance"]}
    }])
}

/// Rules between fields of a header operation: `add` and `set` need a
/// value, `remove` takes none.
/// Rules of a `match`: at most one of `prefix`, `path` and `path_regex`
/// (`compile::service::compile_match`).
pub fn match_rules() -> serde_json::Value {
    let set = |field: &str| json!({"required": [field], "properties": {field: {"type": "string"}}});
    json!([
        {"if": set("prefix"), "then": {"properties": {"path": {"type": "null"}, "path_regex": {"type": "null"}}}},
        {"if": set("path"), "then": {"properties": {"path_regex": {"type": "null"}}}}
    ])
}

/// A header or query condition has exactly one of `exact`, `regex` and
/// `present` (`compile::matchers`).
pub fn field_match_rules() -> serde_json::Value {
    let set =
        |field: &str, ty: &str| json!({"required": [field], "properties": {field: {"type": ty}}});
    let none = |fields: &[&str]| {
        let props: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|f| ((*f).to_owned(), json!({"type": "null"})))
            .collect();
        json!({"properties": props})
    };
    json!([
        {"if": set("exact", "string"), "then": none(&["regex", "present"])},
        {"if": set("regex", "string"), "then": none(&["exact", "present"])},
        {"if": set("present", "boolean"), "then": none(&["exact", "regex"])},
        {
            "if": none(&["exact", "regex", "present"]),
            "then": {"anyOf": [set("exact", "string"), set("regex", "string"), set("present", "boolean")]}
        }
    ])
}

/// A force rule names exactly one of `header` and `cookie`
/// (`compile::split`).
pub fn split_force_rules() -> serde_json::Value {
    let set = |field: &str| json!({"required": [field], "properties": {field: {"type": "string"}}});
    json!([
        {"if": set("header"), "then": {"properties": {"cookie": {"type": "null"}}}, "else": set("cookie")}
    ])
}

pub fn header_op_rules() -> serde_json::Value {
    json!([
        {
            "if": {"properties": {"op": {"enum": ["remove", "del"]}}},
            "then": {"properties": {"value": {"type": "null"}}},
            "else": {"required": ["value"], "properties": {"value": {"type": "string"}}}
        }
    ])
}
