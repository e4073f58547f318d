//! A service: how requests are matched to it, how they are rewritten, and the
//! upstream nodes they are balanced over. Field names follow the YAML users
//! write; the seed's names are noted where they differ.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    Access, CircuitBreaker, Compression, Cors, DnsSettings, HealthCheck, HumanDuration, Limits,
    Mirror, Outlier, RetryPolicy, SelfRegistration, Split, is_default, is_true, yes,
};

/// One proxied service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique name: letters, digits, `_`, `-`, `.`; at most 64 characters.
    pub name: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: ServiceKind,
    #[serde(default, skip_serializing_if = "is_default")]
    pub description: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Own listening port: required for `tcp`, optional for `grpc` (the
    /// seed's model: each gRPC service on its port).
    #[serde(default, skip_serializing_if = "is_default")]
    pub port: Option<u16>,
    /// How requests are matched on the main HTTP/HTTPS listeners (`http`,
    /// and `grpc` routed by path prefix such as `/package.Service/`).
    #[serde(rename = "match", default, skip_serializing_if = "is_default")]
    pub route: Match,
    /// Answer plain-HTTP requests with a redirect to HTTPS.
    #[serde(default, skip_serializing_if = "is_default")]
    pub https_redirect: bool,
    /// Accept an encoded slash (`%2F`) in request paths, forwarded as
    /// `%2F`; refused with 400 by default (see docs/proxying.md).
    #[serde(default, skip_serializing_if = "is_default")]
    pub allow_encoded_slashes: bool,
    /// Remove the matched path prefix before forwarding (seed: `need_strip_uri`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub strip_prefix: bool,
    /// Regex rewrites of the path, applied in order after `strip_prefix`
    /// (seed: `url_rewrite`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub rewrite: Vec<RewriteRule>,
    /// Request header operations, applied in order (seed: `header_transfor`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub request_headers: Vec<HeaderOp>,
    /// Operations on the headers of the upstream's responses, applied in
    /// order before the response goes to the client (gRPC: response
    /// metadata). The gateway's own answers (refusals, errors) are not
    /// changed.
    #[serde(default, skip_serializing_if = "is_default")]
    pub response_headers: Vec<HeaderOp>,
    /// The CORS policy: the gateway answers browsers' preflights and adds
    /// the `Access-Control-*` fields for allowed origins (docs/proxying.md,
    /// "CORS"). Absent: off. Not for `tcp` services.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cors: Option<Cors>,
    /// Allow WebSocket upgrades (seed: `need_websocket`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub websocket: bool,
    /// Largest request body in bytes; absent or 0 = no limit. A larger
    /// Content-Length is answered 413 before anything is forwarded; a
    /// streamed body is cut with 413 when it crosses the limit. For gRPC it
    /// bounds all the messages a client sends in one call; WebSocket
    /// tunnels are not counted.
    #[serde(default, skip_serializing_if = "is_default")]
    pub max_body_bytes: Option<u64>,
    /// Compression of the upstream's responses, negotiated by the client's
    /// `Accept-Encoding`; off when absent. Not for `tcp` or `grpc`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub compression: Option<Compression>,
    /// IP lists and tenant authentication.
    #[serde(default, skip_serializing_if = "is_default")]
    pub access: Access,
    /// Rate limits.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: Limits,
    /// Timeouts of this route's requests, each overriding the value of the
    /// upstream that takes the request (its own, or a split target's);
    /// unset fields keep the upstream's. Not for `tcp` services.
    #[serde(default, skip_serializing_if = "is_default")]
    pub timeouts: RouteTimeouts,
    pub upstream: Upstream,
    /// Shares of the requests sent to other services' upstreams (canary);
    /// off when absent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub split: Option<Split>,
    /// A share of the requests copied to another service's upstream, its
    /// answers discarded; off when absent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub mirror: Option<Mirror>,
    /// Self-registration of instances (off by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub registration: SelfRegistration,
}

/// The protocol a service speaks: `http` (HTTP/1.1, HTTP/2, WebSocket) on the
/// HTTP/HTTPS listeners, `grpc` there by path or on a port of its own, `tcp`
/// on a port of its own (docs/protocols.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    #[default]
    Http,
    Tcp,
    Grpc,
}

impl Service {
    /// A service with every optional setting at its default: an enabled
    /// `http` service with no match, policies or rewrites. Code that builds
    /// services (importers, tests) starts here and sets what it knows with
    /// `..Service::new(..)`, so a new model field never breaks it.
    pub fn new(name: impl Into<String>, upstream: Upstream) -> Self {
        Self {
            name: name.into(),
            kind: ServiceKind::default(),
            description: String::new(),
            enabled: true,
            port: None,
            route: Match::default(),
            https_redirect: false,
            allow_encoded_slashes: false,
            strip_prefix: false,
            rewrite: Vec::new(),
            request_headers: Vec::new(),
            response_headers: Vec::new(),
            cors: None,
            websocket: false,
            max_body_bytes: None,
            compression: None,
            access: Access::default(),
            limits: Limits::default(),
            timeouts: RouteTimeouts::default(),
            upstream,
            split: None,
            mirror: None,
            registration: SelfRegistration::default(),
        }
    }
}

impl Upstream {
    /// An upstream of `nodes` with every other setting at its default (the
    /// values a YAML document that names only `nodes` gets).
    pub fn new(nodes: Vec<Node>) -> Self {
        Self {
            balance: Balance::default(),
            hash_key: None,
            nodes,
            tls: UpstreamTls::default(),
            timeouts: Timeouts::default(),
            max_idle_per_node: default_max_idle_per_node(),
            health_check: None,
            outlier: None,
            fail_open: false,
            retry: None,
            circuit_breaker: None,
            dns: DnsSettings::default(),
        }
    }
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Http => "http",
            ServiceKind::Tcp => "tcp",
            ServiceKind::Grpc => "grpc",
        }
    }
}

/// Request matching for HTTP services (seed: rule type `url_prefix` /
/// `domain`): a host, a path (a prefix, an exact path or a regular
/// expression: at most one of the three), and conditions on the method,
/// headers and query parameters that must all hold. Precedence when several
/// services match is documented in docs/proxying.md ("Routing").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// Path prefix, compared byte for byte (`/user/` matches `/user/1` but
    /// not `/username`; `/user` matches both).
    #[serde(default, skip_serializing_if = "is_default")]
    pub prefix: Option<String>,
    /// Host name (case-insensitive, any port), or `*.example.com` for any
    /// subdomain.
    #[serde(default, skip_serializing_if = "is_default")]
    pub host: Option<String>,
    /// Exact path: the whole (normalised) path, byte for byte.
    #[serde(default, skip_serializing_if = "is_default")]
    pub path: Option<String>,
    /// Regular expression the whole (normalised) path must match.
    #[serde(default, skip_serializing_if = "is_default")]
    pub path_regex: Option<String>,
    /// Request methods, any of which matches (upper case, e.g. `GET`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub methods: Vec<String>,
    /// Request headers, all of which must match.
    #[serde(default, skip_serializing_if = "is_default")]
    pub headers: Vec<FieldMatch>,
    /// Query parameters, all of which must match.
    #[serde(default, skip_serializing_if = "is_default")]
    pub query: Vec<FieldMatch>,
}

impl Match {
    pub fn is_empty(&self) -> bool {
        *self == Match::default()
    }

    /// A method, header or query condition is set.
    pub fn has_conditions(&self) -> bool {
        !self.methods.is_empty() || !self.headers.is_empty() || !self.query.is_empty()
    }
}

/// A condition on one request header or query parameter: `exact` value,
/// `regex` the whole value must match, or `present` (`true`: the field is
/// there with any value; `false`: it is absent). Exactly one of the three.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMatch {
    /// Header name (any letter case) or query parameter name (exact,
    /// after percent-decoding).
    pub name: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub exact: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub present: Option<bool>,
}

/// `pattern` is a regular expression over the path; `replacement` may use
/// `$1`, `${1}` or `${name}` captures. Every match in the path is replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteRule {
    pub pattern: String,
    pub replacement: String,
}

/// A request header operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderOp {
    pub op: HeaderOpKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderOpKind {
    /// Append a value, keeping existing ones.
    Add,
    /// Replace every existing value (seed: `edit`).
    #[serde(alias = "edit")]
    Set,
    /// Delete the header (seed: `del`).
    #[serde(alias = "del")]
    Remove,
}

/// Where a service's requests go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    #[serde(default, skip_serializing_if = "is_default")]
    pub balance: Balance,
    /// What `consistent_hash` hashes; defaults to the client IP.
    #[serde(default, skip_serializing_if = "is_default")]
    pub hash_key: Option<HashKey>,
    pub nodes: Vec<Node>,
    /// Speak TLS to the nodes (seed: `need_https`): `true`, or options.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tls: UpstreamTls,
    #[serde(default, skip_serializing_if = "is_default")]
    pub timeouts: Timeouts,
    /// Idle keep-alive connections kept per node (seed: `upstream_max_idle`).
    #[serde(
        default = "default_max_idle_per_node",
        skip_serializing_if = "is_default_max_idle_per_node"
    )]
    pub max_idle_per_node: u32,
    /// Active health checks (the seed's probing); off when absent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub health_check: Option<HealthCheck>,
    /// Passive health: eject nodes that fail requests; off when absent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub outlier: Option<Outlier>,
    /// When no node is available, try every enabled node anyway instead of
    /// answering 503.
    #[serde(default, skip_serializing_if = "is_default")]
    pub fail_open: bool,
    /// How failed requests are tried again (HTTP and gRPC); absent: one
    /// more try on another node when nothing reached the first, or when an
    /// idempotent request without a body met a failed node.
    #[serde(default, skip_serializing_if = "is_default")]
    pub retry: Option<RetryPolicy>,
    /// Limits on connections, pending connects and requests in flight; a
    /// request over one is answered `503 circuit_open` at once.
    #[serde(default, skip_serializing_if = "is_default")]
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Re-resolution of nodes given by DNS name.
    #[serde(default, skip_serializing_if = "is_default")]
    pub dns: DnsSettings,
}

field_default!(default_max_idle_per_node, is_default_max_idle_per_node: u32 = 64);

/// Load-balancing strategy (seed: `round_type` 0 random, 1 round robin,
/// 2 weighted round robin, 3 hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    Random,
    #[default]
    RoundRobin,
    WeightedRoundRobin,
    ConsistentHash,
    LeastRequest,
}

impl Balance {
    pub fn as_str(self) -> &'static str {
        match self {
            Balance::Random => "random",
            Balance::RoundRobin => "round_robin",
            Balance::WeightedRoundRobin => "weighted_round_robin",
            Balance::ConsistentHash => "consistent_hash",
            Balance::LeastRequest => "least_request",
        }
    }
}

/// The request attribute `consistent_hash` keys on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum HashKey {
    #[default]
    ClientIp,
    /// Path and query.
    Uri,
    /// Value of a request header (lower-cased name).
    Header(String),
}

impl fmt::Display for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashKey::ClientIp => f.write_str("client_ip"),
            HashKey::Uri => f.write_str("uri"),
            HashKey::Header(h) => write!(f, "header:{h}"),
        }
    }
}

impl FromStr for HashKey {
    type Err = crate::msg::Msg;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client_ip" => Ok(HashKey::ClientIp),
            "uri" => Ok(HashKey::Uri),
            _ => match s.strip_prefix("header:") {
                Some(name) if http::HeaderName::from_bytes(name.as_bytes()).is_ok() => {
                    Ok(HashKey::Header(name.to_ascii_lowercase()))
                }
                Some(name) => Err(crate::msg::Msg::HeaderNameInvalid {
                    name: name.to_owned(),
                }),
                None => Err(crate::msg::Msg::HashKeyUnknown {
                    value: s.to_owned(),
                }),
            },
        }
    }
}

impl Serialize for HashKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HashKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(crate::msg::de_error)
    }
}

/// An upstream node (seed: one line of `ip_list` with its `weight_list`
/// entry; `enabled: false` is the seed's `forbid_list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `ip:port`, `[ipv6]:port`, `hostname:port` (every A/AAAA address of
    /// the name becomes a node, re-resolved on TTL), or an SRV name such as
    /// `_http._tcp.api.internal` (targets, ports and weights from the SRV
    /// records).
    pub addr: String,
    #[serde(default = "default_weight", skip_serializing_if = "is_default_weight")]
    pub weight: u32,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

field_default!(default_weight, is_default_weight: u32 = 1);

/// Upstream timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// TCP connect to a node.
    #[serde(
        default = "default_connect",
        skip_serializing_if = "is_default_connect"
    )]
    pub connect: HumanDuration,
    /// From the request sent to the response headers received.
    #[serde(
        default = "default_response_header",
        skip_serializing_if = "is_default_response_header"
    )]
    pub response_header: HumanDuration,
    /// How long an unused keep-alive connection is kept.
    #[serde(default = "default_idle", skip_serializing_if = "is_default_idle")]
    pub idle: HumanDuration,
    /// A WebSocket or TCP connection with no byte in either direction for
    /// this long is closed.
    #[serde(
        default = "default_stream_idle",
        skip_serializing_if = "is_default_stream_idle"
    )]
    pub stream_idle: HumanDuration,
}

field_default!(default_connect, is_default_connect: HumanDuration = HumanDuration::from_secs(5));
field_default!(
    default_response_header,
    is_default_response_header: HumanDuration = HumanDuration::from_secs(60)
);
field_default!(default_idle, is_default_idle: HumanDuration = HumanDuration::from_secs(90));
field_default!(
    default_stream_idle,
    is_default_stream_idle: HumanDuration = HumanDuration::from_secs(600)
);

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: default_connect(),
            response_header: default_response_header(),
            idle: default_idle(),
            stream_idle: default_stream_idle(),
        }
    }
}

/// A route's own timeouts (`timeouts:` next to `match`): each set field
/// replaces the corresponding `upstream.timeouts` value of whichever
/// upstream takes the request, the service's own or a split target's.
/// `idle` is not here: it belongs to a pooled connection, which outlives
/// the requests of any one route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTimeouts {
    /// TCP (and TLS) connect to a node for this route's requests.
    #[serde(default, skip_serializing_if = "is_default")]
    pub connect: Option<HumanDuration>,
    /// From the request sent to the response headers received; a shorter
    /// `retry.per_try_timeout` or gRPC deadline still bounds a try.
    #[serde(default, skip_serializing_if = "is_default")]
    pub response_header: Option<HumanDuration>,
    /// A WebSocket tunnel (or a gRPC client stream) of this route quiet
    /// for this long in both directions is closed.
    #[serde(default, skip_serializing_if = "is_default")]
    pub stream_idle: Option<HumanDuration>,
}

impl RouteTimeouts {
    /// No field set: the upstream's timeouts apply as they are.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// TLS towards upstream nodes. Written `tls: true` for the defaults, or as
/// an object:
///
/// ```yaml
/// tls:
///   ca: "-----BEGIN CERTIFICATE-----..."   # trust only this CA bundle (PEM)
///   server_name: api.internal             # SNI and name to verify
///   insecure_skip_verify: false           # INSECURE: accept any certificate
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UpstreamTls {
    pub enabled: bool,
    /// PEM bundle of CAs to trust instead of the system roots.
    pub ca: Option<String>,
    /// Name sent as SNI and verified; default: the node's host.
    pub server_name: Option<String>,
    /// Accept any certificate. Insecure: for testing only.
    pub insecure_skip_verify: bool,
}

impl UpstreamTls {
    pub fn is_off(&self) -> bool {
        !self.enabled
    }

    /// No option set: written as the plain `true` or `false`.
    fn is_plain(&self) -> bool {
        self.ca.is_none() && self.server_name.is_none() && !self.insecure_skip_verify
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamTlsOptions {
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    enabled: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    ca: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    server_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    insecure_skip_verify: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum UpstreamTlsRepr {
    Flag(bool),
    Options(UpstreamTlsOptions),
}

impl Serialize for UpstreamTls {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Options written with `enabled: false` (TLS switched off for a
        // while) are kept, not collapsed to `false`.
        if self.is_plain() {
            return s.serialize_bool(self.enabled);
        }
        UpstreamTlsOptions {
            enabled: self.enabled,
            ca: self.ca.clone(),
            server_name: self.server_name.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for UpstreamTls {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = UpstreamTlsRepr::deserialize(d)
            .map_err(|_| crate::msg::de_error(crate::msg::Msg::UpstreamTlsShape))?;
        Ok(match repr {
            UpstreamTlsRepr::Flag(enabled) => UpstreamTls {
                enabled,
                ..UpstreamTls::default()
            },
            UpstreamTlsRepr::Options(o) => UpstreamTls {
                enabled: o.enabled,
                ca: o.ca,
                server_name: o.server_name,
                insecure_skip_verify: o.insecure_skip_verify,
            },
        })
    }
}
