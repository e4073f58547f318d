//! Messages a person reads, each a stable `code` with named `params`
//! beside its English text, so that the dashboard can show them in the
//! reader's language while the CLI keeps printing the English.
//!
//! [`messages!`](crate::messages) declares an enum of messages: per variant
//! its code, its English template (a Rust format string naming the
//! variant's fields) and its parameters. The enum is the single source of
//! codes: it serialises as `{code, params}`, displays as the English text,
//! and lists its catalogue (code → template) for the test that generates
//! the dashboard's English messages (`web/src/i18n/server/validation.en.ts`).
//! [`Msg`] holds configuration validation; other crates declare their own
//! areas with the same macro.
//!
//! A parameter that is itself a message (a reason inside a sentence) is a
//! boxed [`Coded`], sent as a nested `{code, params, message}` object.

use std::fmt;

use serde_json::{Map, Value};

/// A message as sent: its code, its parameters and its English text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coded {
    pub code: String,
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The English text (for the CLI, logs, and readers without the code).
    pub message: String,
}

impl Coded {
    /// `message` with the code and parameters it serialises to
    /// (`{"code": …, "params": {…}}`, see [`messages!`](crate::messages)).
    pub fn of<M: serde::Serialize + fmt::Display>(code: &str, message: &M) -> Self {
        let params = match serde_json::to_value(message) {
            Ok(Value::Object(mut o)) => match o.remove("params") {
                Some(Value::Object(p)) => p,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        Coded {
            code: code.to_owned(),
            params,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

thread_local! {
    /// The coded message behind the serde error being built on this thread
    /// (see [`de_error`]).
    static PENDING: std::cell::RefCell<Option<Coded>> = const { std::cell::RefCell::new(None) };
}

/// A serde error for a value a type refuses (a malformed duration, an
/// unknown hash key). serde's `Error::custom` takes only text, so every
/// deserializer gets the English text (YAML errors print it); a
/// deserializer that keeps codes (the admin API's strict JSON) takes the
/// code and parameters back with [`take_coded`] inside its `custom`.
pub fn de_error<E: serde::de::Error>(message: impl Into<Coded>) -> E {
    let coded = message.into();
    let text = coded.message.clone();
    PENDING.with(|p| *p.borrow_mut() = Some(coded));
    let e = E::custom(text);
    // A deserializer that did not take it: nothing is left for the next.
    PENDING.with(|p| p.borrow_mut().take());
    e
}

/// Inside `serde::de::Error::custom`: the coded message [`de_error`] is
/// building, when `text` is its text.
pub fn take_coded(text: &str) -> Option<Coded> {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if p.as_ref().is_some_and(|c| c.message == text) {
            p.take()
        } else {
            None
        }
    })
}

/// Declare a message enum:
///
/// ```
/// weir_core::messages! {
///     /// Messages of an example area.
///     pub enum Example {
///         /// A value is missing.
///         Required = "example_required" => "is required",
///         TooLong { max: usize } = "example_too_long" => "is longer than {max} characters",
///     }
/// }
/// assert_eq!(Example::TooLong { max: 3 }.to_string(), "is longer than 3 characters");
/// let coded = weir_core::msg::Coded::from(Example::TooLong { max: 3 });
/// assert_eq!(coded.code, "example_too_long");
/// assert_eq!(coded.params["max"], 3);
/// ```
///
/// Templates name fields as `{field}` or `{field:?}` (a quoted string);
/// `{{` and `}}` are literal braces. Codes are unique across every area
/// (the catalogue test checks).
#[macro_export]
macro_rules! messages {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $({ $($field:ident : $ty:ty),* $(,)? })? = $code:tt => $text:tt,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, ::thiserror::Error, ::serde::Serialize)]
        #[serde(tag = "code", content = "params")]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $code)]
                #[error($text)]
                $variant $({ $($field : $ty),* })?,
            )*
        }

        impl $name {
            /// Every code with its English template (Rust format syntax).
            pub const CATALOG: &'static [(&'static str, &'static str)] = &[$(($code, $text)),*];

            /// The stable code of this message.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }
        }

        impl ::core::convert::From<$name> for $crate::msg::Coded {
            fn from(m: $name) -> Self {
                $crate::msg::Coded::of(m.code(), &m)
            }
        }

        /// Nested messages are boxed (they would make every message big).
        impl ::core::convert::From<$name> for ::std::boxed::Box<$crate::msg::Coded> {
            fn from(m: $name) -> Self {
                ::std::boxed::Box::new(m.into())
            }
        }
    };
}

/// A Rust format template as a vue-i18n message: `{name}` stays, `{name:?}`
/// (a quoted string) becomes `"{name}"`, and the characters vue-i18n reads
/// as syntax (`{`, `}`, `@`, `|`) become literals (`{'{'}`).
pub fn vue_template(rust: &str) -> Result<String, String> {
    let mut out = String::with_capacity(rust.len() + 8);
    let mut chars = rust.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push_str("{'{'}");
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push_str("{'}'}");
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => inner.push(ch),
                        None => return Err(format!("unclosed {{ in {rust:?}")),
                    }
                }
                let (name, spec) = inner.split_once(':').unwrap_or((&inner, ""));
                let named = !name.is_empty()
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                    && !name.starts_with(|ch: char| ch.is_ascii_digit());
                match (named, spec) {
                    (true, "") => out.push_str(&format!("{{{name}}}")),
                    (true, "?") => out.push_str(&format!("\"{{{name}}}\"")),
                    _ => return Err(format!("unsupported placeholder {{{inner}}} in {rust:?}")),
                }
            }
            '}' => return Err(format!("lone }} in {rust:?}")),
            '@' | '|' => out.push_str(&format!("{{'{c}'}}")),
            _ => out.push(c),
        }
    }
    Ok(out)
}

crate::messages! {
    /// Configuration validation: every problem `compile` (and the store's
    /// checks of registrations) reports on a field.
    pub enum Msg {
        // ---- general ----
        Required = "required" => "is required",
        TooLongChars { max: usize } = "too_long_chars" => "is longer than {max} characters",
        TooLongBytes { max: usize } = "too_long_bytes" => "is longer than {max} bytes",
        InvalidName { name: String } = "invalid_name" =>
            "{name:?} may only contain letters, digits, '_', '-' and '.', and must start with a letter or digit",
        Between { min: u64, max: u64 } = "between" => "must be between {min} and {max}",
        BetweenSeconds { min: u64, max: u64 } = "between_seconds" => "must be between {min}s and {max}s",
        LengthBetween { min: usize, max: usize } = "length_between" => "must be {min}–{max} characters",
        AtLeast { min: u64 } = "at_least" => "must be at least {min}",
        AtLeastMs { min: u64 } = "at_least_ms" => "must be at least {min}ms",
        AtMost { max: u64 } = "at_most" => "must be at most {max}",
        AtMostEntries { max: usize } = "at_most_entries" => "at most {max} entries",
        GreaterThanZero = "greater_than_zero" => "must be greater than 0",
        NotLessThan { other: String } = "not_less_than" => "must not be less than {other}",
        MustStartWithSlash { value: String } = "must_start_with_slash" => "{value:?} must start with '/'",
        OnlyTrailingStar = "only_trailing_star" => "only a trailing '*' is supported",
        /// A problem found on another resource of the same kind (its path
        /// names it), about this resource's field.
        ReportedOn { message: Box<Coded>, path: String } = "reported_on" => "{message} (reported on {path})",
        /// The resources do not fit the configuration model (`error` is the
        /// parser's own text).
        DocumentInvalid { error: String } = "document_invalid" => "{error}",

        // ---- the document as a whole ----
        NameTaken { name: String, other: String } = "name_taken" => "{name:?} is already the name of {other}",
        PortTaken { port: u16, other: String, service: String } = "port_taken" =>
            "port {port} is already used by {other} ({service:?})",
        RouteTaken { route: Box<Coded>, other: String, service: String } = "route_taken" =>
            "the route {route} is already used by {other} ({service:?})",
        RouteHost { host: String } = "route_host" => "host {host}",
        RouteHostPrefix { host: String, prefix: String } = "route_host_prefix" => "host {host} + prefix {prefix}",
        RoutePrefix { prefix: String } = "route_prefix" => "prefix {prefix}",
        RoutePath { path: String } = "route_path" => "path {path}",
        RoutePathRegex { regex: String } = "route_path_regex" => "path_regex {regex}",
        RouteHostPath { host: String, path: Box<Coded> } = "route_host_path" => "host {host} + {path}",
        RouteAnyPath = "route_any_path" => "any host and path",
        RouteWithConditions { route: Box<Coded>, conditions: String } = "route_with_conditions" =>
            "{route} with {conditions}",

        // ---- service kinds ----
        NotForKind { kind: String, why: Box<Coded> } = "not_for_kind" => "does not apply to {kind} services ({why})",
        WhyHttpListeners = "why_http_listeners" =>
            "http services share the main listeners; port is for tcp and grpc services",
        WhyGrpcHttp2 = "why_grpc_http2" => "gRPC runs over HTTP/2",
        WhyGrpcRedirects = "why_grpc_redirects" => "gRPC clients do not follow redirects",
        WhyTcpBytes = "why_tcp_bytes" => "a tcp service carries bytes, not HTTP requests",
        WhyTcpPort = "why_tcp_port" => "a tcp service is reached on its port",
        WhyTcpToken = "why_tcp_token" => "TCP connections carry no token",
        WhyTcpTls = "why_tcp_tls" => "TLS origination is not supported for tcp services",
        WhyTcpTimeouts = "why_tcp_timeouts" =>
            "a tcp service has only its own upstream: set upstream.timeouts",
        GrpcNeedsPortOrMatch = "grpc_needs_port_or_match" =>
            "a grpc service needs its own port, a match (e.g. prefix: /package.Service/), or both",
        TcpHashClientIp = "tcp_hash_client_ip" => "tcp services can only hash by client_ip",
        RequiredForTcp = "required_for_tcp" => "is required for tcp services",
        OnlyForTcp = "only_for_tcp" => "only applies to tcp services",
        WhyGrpcCompression = "why_grpc_compression" =>
            "gRPC compresses its messages itself (grpc-encoding)",
        OnlyForGrpc = "only_for_grpc" => "only applies to grpc services",
        WhyTcpBreaker = "why_tcp_breaker" =>
            "a tcp service's connections are bounded by limits.max_connections",

        // ---- match, paths and host names ----
        MatchNeedsPrefixOrHost = "match_needs_prefix_or_host" =>
            "needs a host, a path (prefix, path or path_regex) or a condition (e.g. match: {{ prefix: /api/ }})",
        MatchPathOneOf = "match_path_one_of" => "set at most one of prefix, path and path_regex",
        FieldMatchOneOf = "field_match_one_of" => "set exactly one of exact, regex and present",
        ConditionListedTwice { what: String } = "condition_listed_twice" => "{what} is listed twice",
        TooManyConditions { max: usize } = "too_many_conditions" => "has more than {max} entries",
        PrefixBadChars { prefix: String } = "prefix_bad_chars" =>
            "{prefix:?} contains a space, control character, '?' or '#'",
        MatchHostInvalid { host: String, why: Box<Coded> } = "match_host_invalid" =>
            "{host:?} is not a valid host name ({why}); write it without a port, e.g. api.example.com or *.example.com",
        StripPrefixNeedsPrefix = "strip_prefix_needs_prefix" =>
            "needs match.prefix (there is no prefix to strip)",
        PathNotNormal { path: String, normal: String } = "path_not_normal" =>
            "{path:?} is not a normalised path and would never match; write {normal:?}",
        PathInvalid { path: String, why: Box<Coded> } = "path_invalid" => "{path:?}: {why}",
        PathNotAbsolute = "path_not_absolute" => "the path does not start with '/'",
        PathInvalidEscape = "path_invalid_escape" => "the path has an invalid percent-escape",
        PathEncodedSlash = "path_encoded_slash" => "the path has an encoded slash (%2F)",
        PathBackslash = "path_backslash" => "the path has a backslash",
        PathNul = "path_nul" => "the path has an encoded NUL (%00)",
        PathDotParameters = "path_dot_parameters" => "the path has a dot-segment with parameters (..;)",
        HostEmpty = "host_empty" => "it is empty",
        HostTooLong { max: usize } = "host_too_long" => "it is longer than {max} characters",
        HostEmptyLabel = "host_empty_label" => "it has an empty label",
        HostLabelTooLong { max: usize } = "host_label_too_long" => "a label is longer than {max} characters",
        HostBadChars = "host_bad_chars" => "only letters, digits, '-' and '_' are allowed",
        HostLabelHyphen = "host_label_hyphen" => "a label starts or ends with '-'",
        HostNameInvalid { host: String, why: Box<Coded> } = "host_name_invalid" => "{host:?} is not a valid host name: {why}",
        HostInvalid { host: String } = "host_invalid" => "{host:?} is not a valid host",

        // ---- rewrites and header operations ----
        RegexInvalid { error: String } = "regex_invalid" => "invalid regular expression: {error}",
        ReplacementUnclosed { at: usize } = "replacement_unclosed" => "unclosed '${{' at byte {at}",
        ReplacementUnknownGroup { group: String } = "replacement_unknown_group" =>
            "refers to group {group:?}, which the pattern does not have",
        ReplacementGroupHint { group: String, digits: String, rest: String } = "replacement_group_hint" =>
            "refers to group {group:?}, which the pattern does not have (to follow group {digits} with text, write ${{{digits}}}{rest})",
        HeaderNameInvalid { name: String } = "header_name_invalid" => "{name:?} is not a valid header name",
        HeaderManaged { name: String } = "header_managed" => "{name} is managed by the gateway and cannot be changed",
        ValueEmptyForRemove = "value_empty_for_remove" => "must be empty for op remove",
        ValueRequiredForAddSet = "value_required_for_add_set" => "is required for op add and set",
        HeaderValueInvalid = "header_value_invalid" => "contains characters not allowed in a header value",

        // ---- traffic split ----
        SplitNoTarget = "split_no_target" => "needs at least one target (to stop splitting, remove the block)",
        SplitPercent = "split_percent" => "must be a percentage from 0.01 to 100 with at most two decimals",
        SplitOver100 = "split_over_100" => "the targets' percentages add up to more than 100",
        SplitToItself = "split_to_itself" => "is the service itself (what the targets do not take stays on its upstream)",
        SplitKeyInvalid { value: String } = "split_key_invalid" =>
            "{value:?} is not header:NAME or cookie:NAME",
        SplitForceField = "split_force_field" => "set exactly one of header and cookie",
        SplitForceTarget { service: String } = "split_force_target" =>
            "{service:?} is neither a target of this split nor the service itself",
        SplitUnknown { service: String } = "split_unknown" => "there is no service {service:?}",
        SplitKind { service: String, kind: String } = "split_kind" =>
            "{service:?} is a {kind} service; a split's targets are of the service's own kind",
        MirrorToItself = "mirror_to_itself" => "is the service itself; a mirror copies to another service's upstream",
        SplitChained { service: String } = "split_chained" =>
            "{service:?} splits its own traffic; a target cannot have a split",

        // ---- compression ----
        CompressionNoAlgorithm = "compression_no_algorithm" =>
            "needs at least one of br, zstd, gzip (to turn compression off, remove the block)",
        CompressionNoContentType = "compression_no_content_type" =>
            "needs at least one media type (to turn compression off, remove the block)",
        ListedTwice { value: String } = "listed_twice" => "{value} is listed twice",
        MediaRangeInvalid { value: String } = "media_range_invalid" =>
            "{value:?} is not a media type to match (write type/subtype, type/* or type/*+suffix without parameters, e.g. application/json, text/*, application/*+json)",
        // ---- cors ----
        CorsOriginsEmpty = "cors_origins_empty" =>
            "needs at least one origin (e.g. https://app.example.com), or \"*\" for any",
        CorsOriginInvalid { origin: String, why: Box<Coded> } = "cors_origin_invalid" =>
            "{origin:?} is not an origin ({why}); write scheme://host[:port], e.g. https://app.example.com or https://*.example.com",
        CorsOriginNoScheme = "cors_origin_no_scheme" => "it has no scheme://",
        CorsOriginPath = "cors_origin_path" => "an origin has no path, query or user name",
        CorsOriginShape = "cors_origin_shape" =>
            "the host or the port is not valid (a port is a number from 1 to 65535)",
        CorsOriginWildcard = "cors_origin_wildcard" =>
            "a wildcard is only a leading \"*.\" before a domain of two labels or more",
        CorsStarAlone = "cors_star_alone" => "\"*\" allows any; list nothing else with it",
        CorsStarWithCredentials = "cors_star_with_credentials" =>
            "\"*\" cannot be combined with allow_credentials: true (the Fetch standard forbids it, and every website could read what your users can); list the origins",
        CorsExposeStarWithCredentials = "cors_expose_star_with_credentials" =>
            "\"*\" means any header only without credentials; with allow_credentials: true, list the headers",
        CorsMethodsEmpty = "cors_methods_empty" => "names no method (leave it out for GET, HEAD and POST)",

        // ---- upstream ----
        NeedsNode = "needs_node" => "needs at least one node",
        AddrEmpty = "addr_empty" => "is empty (write host:port)",
        AddrPortZero { addr: String } = "addr_port_zero" => "{addr:?} has port 0",
        SrvInvalid { addr: String, why: Box<Coded> } = "srv_invalid" => "{addr:?} is not a valid SRV name: {why}",
        SrvNotSrv { addr: String } = "srv_not_srv" =>
            "{addr:?} is not an SRV name (write _service._proto.domain, e.g. _http._tcp.api.internal)",
        AddrNoPort { addr: String } = "addr_no_port" => "{addr:?} has no port (write {addr}:PORT)",
        AddrIpv6Brackets { addr: String } = "addr_ipv6_brackets" =>
            "{addr:?} is not a valid address (IPv6 addresses go in brackets: [::1]:80)",
        AddrBadPort { addr: String, port: String } = "addr_bad_port" =>
            "{addr:?} has an invalid port {port:?} (1-65535)",
        Ipv4Invalid { host: String } = "ipv4_invalid" => "{host:?} is not a valid IPv4 address",
        AddrListedTwice { addr: String } = "addr_listed_twice" => "{addr} is listed twice",
        WeightZero { balance: String } = "weight_zero" =>
            "must be at least 1 with balance {balance} (disable the node with enabled: false instead)",
        OnlyForConsistentHash = "only_for_consistent_hash" => "only applies to balance: consistent_hash",
        TimeoutOverInterval = "timeout_over_interval" => "must not be longer than the interval",
        HttpCheckNeedsHttp = "http_check_needs_http" => "http checks need an http or grpc service; use tcp",
        GrpcCheckNeedsGrpc = "grpc_check_needs_grpc" => "grpc checks need a grpc service",
        StatusInvalid { value: String } = "status_invalid" => "{value:?} is not an HTTP status (100-599)",
        StatusRangeEmpty { range: String } = "status_range_empty" => "{range:?} is an empty range",
        StatusNone = "status_none" => "names no status (e.g. 200-399)",
        NotAStatus = "not_a_status" => "is not an HTTP status (100-599)",
        GrpcStatusUnknown { value: String } = "grpc_status_unknown" =>
            "{value:?} is not a gRPC status (write a name such as unavailable, or a number 0-16)",
        NoCertificateBlock = "no_certificate_block" => "contains no CERTIFICATE block",
        PemInvalid { error: String } = "pem_invalid" => "is not valid PEM: {error}",

        // ---- values of their own syntax ----
        DurationInvalid { input: String, why: Box<Coded> } = "duration_invalid" =>
            "invalid duration {input:?}: {why} (write it like 2s, 500ms, 1m30s or 1h)",
        DurationEmpty = "duration_empty" => "it is empty",
        DurationTooLong = "duration_too_long" => "it is too long",
        DurationExpectedNumber = "duration_expected_number" => "expected a number",
        DurationNumberTooLarge = "duration_number_too_large" => "number too large",
        DurationMissingUnit = "duration_missing_unit" => "missing unit (ms, s, m, h or d)",
        DurationUnknownUnit = "duration_unknown_unit" => "unknown unit (use ms, s, m, h or d)",
        DurationTooLarge = "duration_too_large" => "too large",
        HashKeyUnknown { value: String } = "hash_key_unknown" =>
            "unknown hash key {value:?} (expected client_ip, uri or header:NAME)",
        UpstreamTlsShape = "upstream_tls_shape" =>
            "expected true/false or {{ ca, server_name, insecure_skip_verify }}",

        // ---- explain: the request to explain ----
        MethodInvalid { method: String } = "method_invalid" => "{method:?} is not an HTTP method",
        RequestPathInvalid = "request_path_invalid" => "is not a valid request path",
        NotAnIp { value: String } = "not_an_ip" => "{value:?} is not an IP address",

        // ---- IP lists ----
        IpEmpty = "ip_empty" => "is empty",
        IpPatternInvalid { value: String } = "ip_pattern_invalid" => "{value:?} is not a valid address pattern",
        CidrInvalid { value: String } = "cidr_invalid" => "{value:?} is not a valid CIDR",
        CidrHostBits { value: String, network: String } = "cidr_host_bits" =>
            "{value:?} has host bits set (did you mean {network}?)",
        IpInvalid { value: String } = "ip_invalid" => "{value:?} is not an IP address or CIDR",
        IpListEmptyEnabled = "ip_list_empty_enabled" =>
            "is empty while the list is enabled (add addresses or set enabled: false)",

        // ---- self-registration ----
        CidrsRequired = "cidrs_required" =>
            "is required when registration is enabled: name the networks instances register from, e.g. 10.0.0.0/8",
        RegistrationOff = "registration_off" => "self-registration is not enabled for this service",
        RegistrationLoopback { ip: String } = "registration_loopback" =>
            "{ip} is a loopback address; allowed_cidrs must name loopback (e.g. 127.0.0.0/8) for it to register",
        RegistrationOutside { ip: String } = "registration_outside" =>
            "{ip} is outside the service's registration.allowed_cidrs",
        RegAddrNotIpPort { addr: String } = "reg_addr_not_ip_port" =>
            "{addr:?} is not an ip:port address (e.g. 10.0.0.5:8080 or [2001:db8::5]:8080)",
        RegAddrNotUnicast { addr: String } = "reg_addr_not_unicast" =>
            "{addr:?} is not a unicast address an instance can be reached at",
        RegAddrBroadcast { addr: String } = "reg_addr_broadcast" => "{addr:?} is the broadcast address",
        MetadataKey { max: usize } = "metadata_key" => "keys are 1–{max} characters without control characters",
        MetadataValue { max: usize } = "metadata_value" => "values are at most {max} characters",

        // ---- tenants ----
        SecretRequired = "secret_required" => "is required (a new tenant needs a secret)",
        SecretLength { min: usize, max: usize } = "secret_length" => "must be {min} to {max} characters",
        AppIdTaken { app_id: String } = "app_id_taken" => "{app_id:?} is used by another tenant",

        // ---- signing keys ----
        KeyNameTaken { name: String } = "key_name_taken" => "{name:?} is used by another key",
        KeyRequired = "key_required" => "is required for a new key",
        Hs256NotBase64 = "hs256_not_base64" => "an HS256 key must be base64",
        Hs256TooShort { min: usize, got: usize } = "hs256_too_short" =>
            "an HS256 key needs at least {min} bytes (got {got})",
        RsaPemInvalid { error: String } = "rsa_pem_invalid" => "not a valid RSA private key PEM: {error}",
        RsaPublicKey { error: String } = "rsa_public_key" => "cannot derive the RSA public key: {error}",
        KeyUnusable { error: String } = "key_unusable" => "the key cannot be used: {error}",
        Ed25519Invalid { error: String } = "ed25519_invalid" => "not a valid Ed25519 PKCS#8 key: {error}",
        PemNoBegin { label: String, begin: String } = "pem_no_begin" => "not a PEM {label} (expected {begin})",
        PemNoEnd { label: String, end: String } = "pem_no_end" => "PEM {label} has no {end} line",
        PemBodyBase64 { label: String } = "pem_body_base64" => "PEM {label} body is not valid base64",
        ActiveKeyTwice { other: String } = "active_key_twice" =>
            "only one key may be active; {other:?} is active too (set the older one to verify_only)",

        // ---- certificates ----
        CertKeyRequired = "cert_key_required" => "is required for a new certificate",
        KeyPemInvalid { error: String } = "key_pem_invalid" => "is not a valid PEM private key: {error}",
        CertUnreadable { error: String } = "cert_unreadable" => "the first certificate cannot be read: {error}",
        KeyUnsupported { error: String } = "key_unsupported" => "is not a supported key: {error}",
        KeyMismatch = "key_mismatch" => "does not match the certificate",
        CertNoHost = "cert_no_host" =>
            "names no host (no DNS subject alternative name); mark it default or use a certificate with DNS names",
        DefaultTwice { other: String } = "default_twice" =>
            "only one certificate may be the default; {other} is too",
        CertExpired { at: String } = "cert_expired" => "expired at {at}",
        CertNotYetValid { at: String } = "cert_not_yet_valid" => "is not valid before {at}",
    }
}

impl From<crate::path::PathError> for Msg {
    fn from(e: crate::path::PathError) -> Self {
        use crate::path::PathError as P;
        match e {
            P::NotAbsolute => Msg::PathNotAbsolute,
            P::InvalidEscape => Msg::PathInvalidEscape,
            P::EncodedSlash => Msg::PathEncodedSlash,
            P::Backslash => Msg::PathBackslash,
            P::Nul => Msg::PathNul,
            P::DotParameters => Msg::PathDotParameters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_is_a_code_with_params_and_its_english_text() {
        let m = Msg::Between { min: 1, max: 65535 };
        assert_eq!(m.to_string(), "must be between 1 and 65535");
        let c = Coded::from(m);
        assert_eq!(c.code, "between");
        assert_eq!(Value::Object(c.params), json!({"min": 1, "max": 65535}));
        // A message without parameters has an empty object, not none.
        let c = Coded::from(Msg::Required);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"code": "required", "params": {}, "message": "is required"})
        );
    }

    #[test]
    fn a_reason_inside_a_message_is_a_nested_message() {
        let m = Msg::MatchHostInvalid {
            host: "a..b".into(),
            why: Msg::HostEmptyLabel.into(),
        };
        assert_eq!(
            m.to_string(),
            "\"a..b\" is not a valid host name (it has an empty label); write it without a port, \
             e.g. api.example.com or *.example.com"
        );
        let c = Coded::from(m);
        assert_eq!(c.params["host"], "a..b");
        assert_eq!(c.params["why"]["code"], "host_empty_label");
        assert_eq!(c.params["why"]["message"], "it has an empty label");
    }

    #[test]
    fn the_path_reasons_keep_their_words() {
        use crate::path::PathError;
        for e in [
            PathError::NotAbsolute,
            PathError::InvalidEscape,
            PathError::EncodedSlash,
            PathError::Backslash,
            PathError::Nul,
            PathError::DotParameters,
        ] {
            assert_eq!(Msg::from(e).to_string(), e.to_string());
        }
    }

    #[test]
    fn templates_become_vue_i18n_messages() {
        let t = |s| vue_template(s).unwrap();
        assert_eq!(
            t("is longer than {max} bytes"),
            "is longer than {max} bytes"
        );
        assert_eq!(t("{name:?} is taken"), "\"{name}\" is taken");
        assert_eq!(t("e.g. {{ prefix: / }}"), "e.g. {'{'} prefix: / {'}'}");
        assert_eq!(
            t("write ${{{digits}}}{rest}"),
            "write ${'{'}{digits}{'}'}{rest}"
        );
        assert_eq!(t("a@b|c"), "a{'@'}b{'|'}c");
        assert!(vue_template("{0}").is_err());
        assert!(vue_template("{x:>4}").is_err());
        assert!(vue_template("{x").is_err());
        assert!(vue_template("x}").is_err());
    }

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for (code, text) in Msg::CATALOG {
            assert!(seen.insert(*code), "{code} twice");
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            vue_template(text).unwrap();
        }
    }
}
