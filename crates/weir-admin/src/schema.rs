//! OpenAPI schemas of the configuration model. The model lives in
//! `weir-core`, which knows nothing of OpenAPI, so its shape is described
//! here once more, for documentation only: requests are still parsed by the
//! model itself (and so validated exactly as `weir apply` validates them).
//! A test (`openapi_tests::model_fields_are_documented`) fails when the
//! model gains a field these schemas lack, so the two cannot drift apart
//! unnoticed.

#![allow(dead_code)] // the fields exist for their schema, never read

use utoipa::ToSchema;

/// A duration: a number with a unit, combinable (`500ms`, `5s`, `1m30s`,
/// `1h`, `1d`).
#[derive(ToSchema)]
#[schema(as = Duration, value_type = String, example = "5s", pattern = r"^([0-9]+(ms|s|m|h|d))+$")]
pub struct DurationSchema(String);

/// A proxied service: `http`, `tcp` or `grpc`.
#[derive(ToSchema)]
#[schema(as = Service)]
pub struct ServiceSchema {
    /// Unique name: letters, digits, `_`, `-`, `.`; at most 64 characters.
    #[schema(example = "user_api")]
    name: String,
    #[schema(inline)]
    kind: Option<ServiceKindSchema>,
    description: Option<String>,
    /// Own listening port: required for `tcp`, optional for `grpc`.
    #[schema(minimum = 1, maximum = 65535)]
    port: Option<u16>,
    /// Answer plain-HTTP requests with a redirect to HTTPS.
    https_redirect: Option<bool>,
    /// Default true; a disabled service is kept but not routed.
    enabled: Option<bool>,
    #[schema(rename = "match")]
    route: Option<MatchSchema>,
    /// Remove the matched prefix before forwarding (seed: `need_strip_uri`).
    strip_prefix: Option<bool>,
    /// Regex rewrites of the path, in order, after `strip_prefix`.
    rewrite: Option<Vec<RewriteRuleSchema>>,
    /// Request header operations, in order (seed: `header_transfor`).
    request_headers: Option<Vec<HeaderOpSchema>>,
    /// Allow WebSocket upgrades.
    websocket: Option<bool>,
    access: Option<AccessSchema>,
    limits: Option<LimitsSchema>,
    upstream: UpstreamSchema,
}

#[derive(ToSchema)]
#[schema(as = ServiceKind)]
#[allow(non_camel_case_types)]
pub enum ServiceKindSchema {
    http,
    tcp,
    grpc,
}

/// How requests are matched: by path prefix, by host, or both.
#[derive(ToSchema)]
#[schema(as = ServiceMatch)]
pub struct MatchSchema {
    /// Path prefix, compared byte for byte.
    #[schema(example = "/user/")]
    prefix: Option<String>,
    /// Host name (any port), or `*.example.com`.
    #[schema(example = "api.example.com")]
    host: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = RewriteRule)]
pub struct RewriteRuleSchema {
    /// Regular expression over the path.
    #[schema(example = "^/v1/(.*)")]
    pattern: String,
    /// Replacement; `$1`, `${1}`, `${name}` refer to groups.
    #[schema(example = "/api/v1/$1")]
    replacement: String,
}

#[derive(ToSchema)]
#[schema(as = HeaderOp)]
pub struct HeaderOpSchema {
    #[schema(inline)]
    op: HeaderOpKindSchema,
    #[schema(example = "X-Gateway")]
    name: String,
    /// Required for `add` and `set`.
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
    ip_allow: Option<IpListSchema>,
    /// These addresses are refused (when enabled).
    ip_deny: Option<IpListSchema>,
    auth: Option<AuthPolicySchema>,
}

/// A switchable list of addresses and networks (`10.0.0.1`, `10.0.0.0/8`,
/// `2001:db8::/32`, `192.168.1.*`).
#[derive(ToSchema)]
#[schema(as = IpList)]
pub struct IpListSchema {
    /// Default true when the list is written.
    enabled: Option<bool>,
    ips: Option<Vec<String>>,
}

/// Tenant authentication (seed: `open_auth`, `api_white_list`).
#[derive(ToSchema)]
#[schema(as = AuthPolicy)]
pub struct AuthPolicySchema {
    enabled: Option<bool>,
    /// Paths that need no token: exact, or `prefix*`.
    allow_paths: Option<Vec<String>>,
    /// App ids of the tenants that may call; absent or empty = every
    /// enabled tenant with a valid token (others get 403
    /// `tenant_not_allowed`). A name that matches no tenant admits nobody.
    tenants: Option<Vec<String>>,
}

/// Rate limits; 0 = unlimited. For TCP services the rates count new
/// connections.
#[derive(ToSchema)]
#[schema(as = ServiceLimits)]
pub struct LimitsSchema {
    /// Requests per second for the whole service (seed: `service_flow_limit`).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    service_qps: Option<u32>,
    /// Requests per second per client IP (seed: `clientip_flow_limit`).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    client_ip_qps: Option<u32>,
    /// Requests that may arrive at once above the steady rate; default
    /// `max(1, qps / 10)`.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    burst: Option<u32>,
    /// TCP services: connections open at once; 0 = unlimited.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    max_connections: Option<u32>,
}

/// Where a service's requests go.
#[derive(ToSchema)]
#[schema(as = Upstream)]
pub struct UpstreamSchema {
    #[schema(inline)]
    balance: Option<BalanceSchema>,
    /// What `consistent_hash` hashes: `client_ip` (default), `uri` or
    /// `header:NAME`.
    #[schema(example = "header:x-user-id")]
    hash_key: Option<String>,
    nodes: Vec<NodeSchema>,
    /// Speak TLS to the nodes: `true`, or options.
    tls: Option<UpstreamTlsSchema>,
    timeouts: Option<TimeoutsSchema>,
    /// Idle keep-alive connections kept per node (default 64).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    max_idle_per_node: Option<u32>,
    /// Active health checks (the seed's probing); off when absent.
    health_check: Option<HealthCheckSchema>,
    /// Passive health (outlier ejection); off when absent.
    outlier: Option<OutlierSchema>,
    /// When no node is available, try every enabled node anyway instead of
    /// answering 503 / UNAVAILABLE. Default false.
    fail_open: Option<bool>,
    /// Re-resolution bounds of nodes given by DNS name.
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
    /// `ip:port`, `[ipv6]:port`, `hostname:port` (every A/AAAA address of
    /// the name becomes a node, re-resolved on TTL), or an SRV name such as
    /// `_http._tcp.api.internal` (targets, ports and weights from the SRV
    /// records).
    #[schema(example = "127.0.0.1:9001")]
    addr: String,
    /// Default 1.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    weight: Option<u32>,
    /// Default true.
    enabled: Option<bool>,
}

#[derive(ToSchema)]
#[schema(as = UpstreamTimeouts)]
pub struct TimeoutsSchema {
    /// Default `5s`.
    connect: Option<DurationSchema>,
    /// Default `1m`.
    response_header: Option<DurationSchema>,
    /// Default `1m30s`.
    idle: Option<DurationSchema>,
    /// A WebSocket or TCP connection idle this long in both directions is
    /// closed. Default `10m`.
    stream_idle: Option<DurationSchema>,
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
    enabled: Option<bool>,
    /// PEM bundle of CAs to trust instead of the system roots.
    ca: Option<String>,
    /// Name sent as SNI and verified; default: the node's host.
    server_name: Option<String>,
    /// Accept any certificate. Insecure: for testing only.
    insecure_skip_verify: Option<bool>,
}

/// Active health checks of every node of a service.
#[derive(ToSchema)]
#[schema(as = HealthCheck)]
pub struct HealthCheckSchema {
    /// `tcp` (connect; the default), `http` (GET `path`, expect a status in
    /// `expect_status`) or `grpc` (`grpc.health.v1.Health/Check`).
    #[schema(rename = "type", inline)]
    kind: Option<CheckKindSchema>,
    /// Time between checks of one node (default `5s`; jittered).
    interval: Option<DurationSchema>,
    /// Time a check may take (default `2s`).
    timeout: Option<DurationSchema>,
    /// Consecutive successes that bring an unhealthy node back (default 2).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    healthy: Option<u32>,
    /// Consecutive failures that take a node out (default 3).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    unhealthy: Option<u32>,
    /// `http`: the path to GET (default `/`).
    #[schema(example = "/healthz")]
    path: Option<String>,
    /// `http`: accepted statuses (default `200-399`).
    #[schema(example = "200,204,301-302")]
    expect_status: Option<String>,
    /// `http`: the Host header (default: the node's address).
    host: Option<String>,
    /// `grpc`: the service name asked about (default empty: the whole server).
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
#[derive(ToSchema)]
#[schema(as = Outlier)]
pub struct OutlierSchema {
    /// Failed requests in a row (connect errors, resets, `failure_statuses`)
    /// that eject a node (default 5).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    consecutive_failures: Option<u32>,
    /// First ejection time; each further ejection doubles it (default `30s`).
    base_ejection: Option<DurationSchema>,
    /// Longest ejection (default `5m`).
    max_ejection: Option<DurationSchema>,
    /// Largest share of nodes (percent) ejected at once (default 50).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    max_ejected_percent: Option<u32>,
    /// Upstream statuses that count as failures (default 502, 503, 504).
    #[schema(example = json!([502, 503, 504]))]
    failure_statuses: Option<Vec<u16>>,
}

/// How nodes given by DNS name are re-resolved: on their records' TTL,
/// clamped to these bounds.
#[derive(ToSchema)]
#[schema(as = DnsSettings)]
pub struct DnsSettingsSchema {
    /// Default `1s`.
    min_ttl: Option<DurationSchema>,
    /// Default `5m`.
    max_ttl: Option<DurationSchema>,
}

/// A TLS certificate the HTTPS listener serves, chosen by SNI from the DNS
/// names it covers.
#[derive(ToSchema)]
#[schema(as = Certificate)]
pub struct CertificateSchema {
    /// Unique name: letters, digits, `_`, `-`, `.`; at most 64 characters.
    #[schema(example = "example-com")]
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
    default: Option<bool>,
}

/// A tenant (the seed's app): a caller of services that require
/// authentication, with its own limits.
#[derive(ToSchema)]
#[schema(as = Tenant)]
pub struct TenantSchema {
    /// Unique id: the token's issuer and subject. Letters, digits, `_`, `-`,
    /// `.`; at most 64 characters.
    #[schema(example = "shop-frontend")]
    app_id: String,
    name: Option<String>,
    description: Option<String>,
    /// Client secret (8–256 characters). Write-only: never returned by
    /// reads; generated on create when absent; kept on replace when absent.
    #[schema(write_only)]
    secret: Option<String>,
    /// Default true.
    enabled: Option<bool>,
    /// Addresses the tenant may call from; empty = anywhere.
    ip_allow: Option<Vec<String>>,
    /// Requests per second; 0 = unlimited.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    qps: Option<u32>,
    /// Requests per calendar day; 0 = unlimited.
    #[schema(minimum = 0)]
    qpd: Option<u64>,
}

/// A whole configuration document (what `weir export` prints, as JSON).
/// Each list is optional: absent means "leave this kind alone" when applied.
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
