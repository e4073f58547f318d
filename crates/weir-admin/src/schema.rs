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
/// `upstream.tls` or a `hash_key` other than `client_ip`; a `grpc` service
/// needs `port`, `match` or both, and takes no `websocket` or
/// `https_redirect`. Names, routes and ports are unique across services.
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
    #[schema(nullable = false)]
    access: Option<AccessSchema>,
    #[schema(nullable = false)]
    limits: Option<LimitsSchema>,
    upstream: UpstreamSchema,
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

/// How requests are matched: by path prefix, by host, or both (at least
/// one for `http` services).
#[derive(ToSchema)]
#[schema(as = ServiceMatch)]
pub struct MatchSchema {
    #[schema(schema_with = prefix)]
    prefix: Option<String>,
    /// Host name (any port), or `*.example.com`: labels of letters, digits,
    /// `-` and `_`.
    #[schema(example = "api.example.com", pattern = r"^(\*\.)?[A-Za-z0-9_.-]+$")]
    host: Option<String>,
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
    /// Re-resolution bounds of nodes given by DNS name.
    #[schema(nullable = false)]
    dns: Option<DnsSettingsSchema>,
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
    let empty_match = json!({"properties": {"prefix": {"type": "null"}, "host": {"type": "null"}}});
    let some_match = json!({"required": ["match"], "properties": {"match": {"anyOf": [
        {"required": ["prefix"], "properties": {"prefix": {"type": "string"}}},
        {"required": ["host"], "properties": {"host": {"type": "string"}}}
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
                {"if": strip, "then": has_prefix}
            ]}
        },
        {
            "if": kind("grpc"),
            "then": {"allOf": [
                {"properties": {"websocket": {"const": false}, "https_redirect": {"const": false}}},
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
                    "cors": {"type": "null"},
                    "websocket": {"const": false},
                    "https_redirect": {"const": false},
                    "access": {"properties": {"auth": {"properties": {"enabled": {"const": false}}}}},
                    "upstream": {"properties": {
                        "tls": {"anyOf": [
                            {"const": false},
                            {"type": "object", "required": ["enabled"], "properties": {"enabled": {"const": false}}}
                        ]},
                        "hash_key": {"anyOf": [{"type": "null"}, {"const": "client_ip"}]},
                        "health_check": {"properties": {"type": {"enum": ["tcp"]}}}
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
pub fn header_op_rules() -> serde_json::Value {
    json!([
        {
            "if": {"properties": {"op": {"enum": ["remove", "del"]}}},
            "then": {"properties": {"value": {"type": "null"}}},
            "else": {"required": ["value"], "properties": {"value": {"type": "string"}}}
        }
    ])
}
