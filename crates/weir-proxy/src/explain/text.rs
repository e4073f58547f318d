//! What explain says about a request, as codes with parameters: why a
//! service matched (`route.reason`), each policy's verdict (`detail`), why
//! the request is refused (`rejection.detail`) and how the balancer picks
//! (`balancer.detail`). The English is the API's `reason`/`detail` text;
//! the dashboard translates by `code` (see [`crate::text`]).

use weir_core::compile::IpRefusal;
use weir_core::path::PathError;

use crate::pipeline::host::HostError;
use crate::policy::AuthFailure;
use crate::text::coded_texts;

coded_texts! {
    /// One sentence of an explanation.
    pub(crate) enum ExplainText {
        // Path normalisation.
        /// The path is normalised before routing.
        PathNormalized { from, to } = "path_normalized"
            => "{from:?} is normalised to {to:?} before routing and policies",
        PathNotAbsolute = "path_not_absolute" => "the path does not start with '/'",
        PathInvalidEscape = "path_invalid_escape" => "the path has an invalid percent-escape",
        PathEncodedSlash = "path_encoded_slash" => "the path has an encoded slash (%2F)",
        PathBackslash = "path_backslash" => "the path has a backslash",
        PathNul = "path_nul" => "the path has an encoded NUL (%00)",
        PathDotParameters = "path_dot_parameters"
            => "the path has a dot-segment with parameters (..;)",
        /// An encoded slash reaches a service that does not take them.
        PathEncodedSlashNotAllowed = "path_encoded_slash_not_allowed"
            => "the path has an encoded slash (%2F), and the service does not set allow_encoded_slashes",
        /// The service's path rewrite makes bytes a URI cannot carry.
        RewrittenPathInvalid = "rewritten_path_invalid"
            => "the service's rewrite makes a path that is not a valid URI",

        // The gateway's own endpoints.
        GatewayEndpoint { path } = "gateway_endpoint"
            => "{path} is answered by the gateway itself (token service)",
        GatewayEndpointAnswer = "gateway_endpoint_answer"
            => "answered by the gateway's token service, not forwarded",

        // Host and routing.
        HostSeveral = "host_several" => "bad request: more than one Host header",
        HostDiffers = "host_differs"
            => "bad request: the request target's host and the Host header differ",
        AuthorityDiffers = "authority_differs"
            => "bad request: :authority and the host header differ",
        HostInvalid = "host_invalid" => "bad request: invalid host",
        NoServiceFor { host, path } = "no_service_for"
            => "no service matches host {host:?} and path {path:?}",
        NoServiceMatches = "no_service_matches" => "no service matches",
        /// `host` is the service's `match.host`, `request_host` the request's.
        RouteHostPrefix { host, request_host, prefix } = "route_host_prefix"
            => "host {host} matches {request_host:?}; longest matching prefix {prefix}",
        RouteHost { host, request_host } = "route_host"
            => "host {host} matches {request_host:?} (any path)",
        RoutePrefix { prefix } = "route_prefix" => "longest matching prefix {prefix} (any host)",
        RouteHostPath { host, request_host, path } = "route_host_path"
            => "host {host} matches {request_host:?}; exact path {path}",
        RoutePath { path } = "route_path" => "exact path {path} (any host)",
        RouteHostRegex { host, request_host, regex } = "route_host_regex"
            => "host {host} matches {request_host:?}; the path matches {regex}",
        RouteRegex { regex } = "route_regex" => "the path matches {regex} (any host)",
        RouteAny = "route_any" => "matches (any host and path)",

        // Traffic split.
        SplitForced { rule, service } = "split_forced"
            => "force rule {rule} matches: {service}'s upstream takes the request",
        SplitSticky { key, bucket, service } = "split_sticky"
            => "{key} puts the client in bucket {bucket} of 10000: {service}'s upstream takes it",
        SplitShared { service } = "split_shared"
            => "shared by percentage, request by request: the next one goes to {service}'s upstream",

        // HTTPS redirect.
        ArrivesOverHttps = "arrives_over_https" => "arrives over HTTPS",
        RedirectsToHttps = "redirects_to_https" => "the service redirects plain HTTP to HTTPS",
        RedirectedToHttps = "redirected_to_https" => "redirected to HTTPS",

        // CORS (the service's `cors`; `origin`, `method` and `header` as the
        // request sent them).
        CorsOff = "cors_off" => "the service has no CORS policy; the answer is left as it is",
        CorsNoOrigin = "cors_no_origin"
            => "no Origin header: not a cross-origin request from a browser; the answer is left as it is",
        CorsUpgrade = "cors_upgrade"
            => "a WebSocket upgrade: CORS does not apply to it, and the answer is left as it is (the upstream checks Origin if it must)",
        CorsPreflightAllowed { origin, method } = "cors_preflight_allowed"
            => "a preflight from {origin} for {method}: allowed; the gateway answers it with the allow headers",
        CorsPreflightOriginRefused { origin } = "cors_preflight_origin_refused"
            => "a preflight from {origin}, which is not on allow_origins: the gateway answers it without allow headers, so the browser does not send the request",
        CorsPreflightMethodRefused { origin, method } = "cors_preflight_method_refused"
            => "a preflight from {origin} for {method}, which is not on allow_methods: the gateway answers it without allow headers, so the browser does not send the request",
        CorsPreflightHeaderRefused { origin, header } = "cors_preflight_header_refused"
            => "a preflight from {origin} asking to send header {header}, which is not on allow_headers: the gateway answers it without allow headers, so the browser does not send the request",
        CorsOriginAllowed { origin } = "cors_origin_allowed"
            => "{origin} is on allow_origins: the answer carries the CORS headers, replacing the upstream's",
        CorsOriginNotAllowed { origin } = "cors_origin_not_allowed"
            => "{origin} is not on allow_origins: the answer carries no CORS headers (the upstream's are removed), so the browser keeps it from the page",
        CorsPreflightAnswer = "cors_preflight_answer"
            => "a CORS preflight: answered by the gateway (204 No Content) after the IP rules only, without authentication or limits; not forwarded",

        // IP rules.
        NoAllowList = "no_allow_list" => "no allow list",
        OnAllowList { client } = "on_allow_list" => "{client} is on the allow list",
        NotOnAllowList { client } = "not_on_allow_list" => "{client} is not on the allow list",
        NoDenyList = "no_deny_list" => "no deny list",
        AllowListDecides = "allow_list_decides" => "the allow list is on and decides alone",
        OnDenyList { client } = "on_deny_list" => "{client} is on the deny list",
        NotOnDenyList { client } = "not_on_deny_list" => "{client} is not on the deny list",
        RefusedNotAllowed = "refused_not_allowed" => "not on the allow list",
        RefusedDenied = "refused_denied" => "on the deny list",

        // Authentication and tenants.
        AuthOff = "auth_off" => "authentication is off",
        AuthBypassed { path } = "auth_bypassed" => "{path} is on the API allow list",
        AuthMissingToken = "auth_missing_token" => "missing bearer token",
        AuthMalformed = "auth_malformed" => "malformed token",
        AuthUnknownKey = "auth_unknown_key" => "token signed with an unknown key",
        AuthAlgorithmMismatch = "auth_algorithm_mismatch"
            => "token algorithm does not match its key",
        AuthBadSignature = "auth_bad_signature" => "invalid token signature or claims",
        AuthExpired = "auth_expired" => "token expired",
        AuthNotYetValid = "auth_not_yet_valid" => "token not valid yet (nbf is in the future)",
        AuthUnknownTenant = "auth_unknown_tenant" => "token issued to an unknown tenant",
        AuthDisabledTenant = "auth_disabled_tenant" => "tenant is disabled",
        ValidToken { tenant } = "valid_token" => "valid token of tenant {tenant}",
        /// `allowed`: the service's `access.auth.tenants`, comma-separated.
        TenantNotAllowed { tenant, allowed } = "tenant_not_on_service_list"
            => "tenant {tenant} is not allowed to call this service (access.auth.tenants: {allowed})",
        EveryTenant = "every_tenant" => "every tenant may call",
        TenantListed { tenant } = "tenant_listed" => "tenant {tenant} is on access.auth.tenants",
        NotOnTenantList { client, tenant } = "not_on_tenant_list"
            => "{client} is not on tenant {tenant}'s allow list",
        TenantIpRefused = "tenant_ip_not_allowed" => "tenant IP not allowed",
        OnTenantList = "on_tenant_list" => "on the tenant's allow list",
        TenantNoList = "tenant_no_list" => "the tenant has no allow list",

        // Limits.
        RateDepends { per_second, burst } = "rate_depends"
            => "{per_second} requests/s, burst {burst}; depends on recent traffic (explain takes no token)",
        /// `[cluster] redis`: the fleet shares one bucket.
        RateDependsFleet { per_second, burst } = "rate_depends_fleet"
            => "{per_second} requests/s, burst {burst}, counted once for the whole fleet in Redis; depends on recent traffic (explain takes no token)",
        /// Redis unreachable: each node counts its share.
        RateDependsDegraded { per_second, burst, nodes } = "rate_depends_degraded"
            => "{per_second} requests/s, burst {burst}; Redis is unreachable, so this node counts its share (1/{nodes} of it); depends on recent traffic",
        Unlimited = "unlimited" => "unlimited",
        TenantLimitsDepend { tenant } = "tenant_limits_depend"
            => "tenant {tenant}'s QPS limit and daily quota, if set, depend on its usage",

        // WebSocket.
        NotUpgrade = "not_upgrade" => "not an upgrade request",
        WebsocketAllowed = "websocket_allowed" => "the service allows WebSocket",
        WebsocketRefused = "websocket_refused" => "the service does not allow WebSocket",
        UpgradeRefused = "upgrade_refused" => "upgrade not allowed",

        // Body size.
        NoBodyLimit = "no_body_limit" => "no limit",
        BodyOverLimit { len, max } = "body_over_limit"
            => "Content-Length {len} is over the limit of {max} bytes",
        BodyTooLarge = "body_too_large" => "request body too large",
        BodyWithinLimit { len, max } = "body_within_limit"
            => "Content-Length {len} is within the limit of {max} bytes",
        BodyStreamed { max } = "body_streamed"
            => "a streamed body is cut when it crosses {max} bytes",

        // Compression (decided on the response; explain sees the request).
        CompressionOff = "compression_off" => "the service does not compress its answers",
        CompressionUpgrade = "compression_upgrade" => "an upgrade is not compressed",
        CompressionHead = "compression_head" => "the answer to a HEAD request is not compressed",
        /// `algorithms`: the service's codings, comma-separated.
        CompressionNoField { algorithms } = "compression_no_field"
            => "the request has no Accept-Encoding, so the answer is not compressed (the service offers {algorithms})",
        CompressionNotAccepted { algorithms } = "compression_not_accepted"
            => "Accept-Encoding accepts none of {algorithms} (or prefers identity), so the answer is not compressed",
        /// `content_types`: the service's list, comma-separated.
        CompressionDepends { encoding, min_size, content_types } = "compression_depends"
            => "{encoding} if the answer qualifies: of a type in {content_types}, at least {min_size} bytes or of unknown length, not encoded already, not a part (206), not marked no-transform",

        // Balancer.
        /// `key`: the upstream's `hash_key` (`client_ip`, `uri`, `header:…`).
        HashOwnsNode { key } = "hash_owns_node" => "hash of {key} owns this node on the ring",
        HashDecides { key } = "hash_decides" => "the hash of {key} decides the node on the ring",
        OnlyUsableNode = "only_usable_node" => "the only usable node",
        NextInRotation = "next_in_rotation" => "next in rotation; each request moves the rotation",
        ByWeight = "by_weight" => "by weight (smooth WRR); each request moves the schedule",
        UniformlyRandom = "uniformly_random" => "uniformly at random",
        LessBusyOfTwo = "less_busy_of_two" => "the less busy of two random nodes",
        NoUsableNode = "no_usable_node" => "no usable node",

        // Timeouts (`fields`: the route's `timeouts:` fields, comma-separated).
        TimeoutsUpstream { service } = "timeouts_upstream"
            => "the timeouts of {service}'s upstream apply; the route sets none of its own",
        TimeoutsRoute { fields, service } = "timeouts_route"
            => "the route's timeouts ({fields}) override those of {service}'s upstream; the rest are the upstream's",

        // Retries (`on`: the conditions in the configuration's words).
        RetryOn { tries, on } = "retry_on" => "up to {tries} tries in all; tried again on {on}",
        /// Not replayable: `method` is not idempotent, an upgrade, or has a
        /// body the gateway does not keep.
        RetryUnsentOnly { tries, method } = "retry_unsent_only"
            => "up to {tries} tries in all; this {method} request is tried again only while it has not reached a node (connect_failure)",
        RetryNoOtherNode = "retry_no_other_node"
            => "not tried again: the built-in retry goes to another node, and there is none",
        RetryNone = "retry_none" => "not tried again",
    }
}

impl From<PathError> for ExplainText {
    fn from(e: PathError) -> Self {
        match e {
            PathError::NotAbsolute => ExplainText::PathNotAbsolute,
            PathError::InvalidEscape => ExplainText::PathInvalidEscape,
            PathError::EncodedSlash => ExplainText::PathEncodedSlash,
            PathError::Backslash => ExplainText::PathBackslash,
            PathError::Nul => ExplainText::PathNul,
            PathError::DotParameters => ExplainText::PathDotParameters,
        }
    }
}

impl From<HostError> for ExplainText {
    fn from(e: HostError) -> Self {
        match e {
            HostError::Several => ExplainText::HostSeveral,
            HostError::Differs { h2: false } => ExplainText::HostDiffers,
            HostError::Differs { h2: true } => ExplainText::AuthorityDiffers,
            HostError::Invalid => ExplainText::HostInvalid,
        }
    }
}

impl From<AuthFailure> for ExplainText {
    fn from(f: AuthFailure) -> Self {
        match f {
            AuthFailure::MissingToken => ExplainText::AuthMissingToken,
            AuthFailure::Malformed => ExplainText::AuthMalformed,
            AuthFailure::UnknownKey => ExplainText::AuthUnknownKey,
            AuthFailure::AlgorithmMismatch => ExplainText::AuthAlgorithmMismatch,
            AuthFailure::BadSignature => ExplainText::AuthBadSignature,
            AuthFailure::Expired => ExplainText::AuthExpired,
            AuthFailure::NotYetValid => ExplainText::AuthNotYetValid,
            AuthFailure::UnknownTenant => ExplainText::AuthUnknownTenant,
            AuthFailure::DisabledTenant => ExplainText::AuthDisabledTenant,
        }
    }
}

impl From<IpRefusal> for ExplainText {
    fn from(r: IpRefusal) -> Self {
        match r {
            IpRefusal::NotAllowed => ExplainText::RefusedNotAllowed,
            IpRefusal::Denied => ExplainText::RefusedDenied,
        }
    }
}
