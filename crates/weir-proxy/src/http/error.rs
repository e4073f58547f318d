//! Errors the gateway answers itself, classified by where the fault is
//! ([`FaultSide`]: the client, the upstream node, or the gateway) so that
//! status codes, headers, retries and whether a node is blamed follow from
//! the kind, never from string matching.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use weir_core::compile::IpRefusal;

use crate::policy::{LimitedScope, Refusal};
use crate::stats::Rejection;
use crate::upstream::{BodyFault, BreakerLimit, Completion, ConnectError, NodeError};

/// Whose fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultSide {
    /// The request (or the client's connection): never counted against a
    /// node, never retried elsewhere.
    Client,
    /// The upstream node: counts towards its passive health.
    Upstream,
    /// The gateway itself (its configuration or state).
    Internal,
}

/// Which request-head limit a request is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HeadLimit {
    #[error("the request has more than {0} header fields")]
    Fields(usize),
    #[error("the request head is larger than {0} bytes")]
    Bytes(usize),
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProxyError {
    /// No service matches the host and path.
    #[error("no service matches this request")]
    NoRoute,
    /// The service has no node that may take traffic.
    #[error("service {service:?} has no available upstream node")]
    NoNode { service: String },
    /// A WebSocket/upgrade request to a service that does not allow it.
    #[error("service {service:?} does not accept protocol upgrades (websocket is off)")]
    UpgradeNotAllowed { service: String },
    /// The request cannot be forwarded as written.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The request head is over `proxy.max_headers` or
    /// `proxy.max_header_bytes`.
    #[error("{0}")]
    HeadTooLarge(HeadLimit),
    /// A policy refused the request.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// A TCP service has `limits.max_connections` open already.
    #[error("service {service:?} has reached its connection limit")]
    TooManyConnections { service: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("upstream did not send response headers within {0:?}")]
    ResponseTimeout(std::time::Duration),
    /// The call's own deadline (`grpc-timeout`) passed.
    #[error("the call's deadline passed")]
    DeadlineExceeded,
    /// A plain-HTTP request to a service that redirects to HTTPS; carries
    /// the redirect target.
    #[error("redirect to {location}")]
    HttpsRequired { location: String },
    #[error("upstream failed: {0}")]
    Upstream(hyper::Error),
    /// The client's request body failed (malformed, cut short, too slow,
    /// too large) — while or before it was forwarded.
    #[error("{0}")]
    ClientBody(BodyFault),
    /// The gateway cannot forward for a reason of its own.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The service's upstream is at a circuit breaker limit.
    #[error("service {service:?} is at its circuit breaker's {} limit", limit.as_str())]
    CircuitOpen {
        service: String,
        limit: BreakerLimit,
    },
}

impl ProxyError {
    /// The error of a failed exchange with a node: the client's when its
    /// body had already failed (the exchange broke because of it), else the
    /// upstream's.
    pub(crate) fn forwarding(e: hyper::Error, body: Option<&Completion>) -> Self {
        match body.and_then(Completion::fault) {
            Some(fault) => ProxyError::ClientBody(fault),
            None => ProxyError::Upstream(e),
        }
    }

    /// Where the fault is.
    pub(crate) fn side(&self) -> FaultSide {
        match self {
            ProxyError::Connect(_) | ProxyError::ResponseTimeout(_) | ProxyError::Upstream(_) => {
                FaultSide::Upstream
            }
            // A limit of the gateway's own, not the node's fault.
            ProxyError::NoNode { .. }
            | ProxyError::Internal(_)
            | ProxyError::CircuitOpen { .. } => FaultSide::Internal,
            ProxyError::NoRoute
            | ProxyError::UpgradeNotAllowed { .. }
            | ProxyError::BadRequest(_)
            | ProxyError::HeadTooLarge(_)
            | ProxyError::Refused(_)
            | ProxyError::TooManyConnections { .. }
            // The call's own deadline says nothing about the node.
            | ProxyError::DeadlineExceeded
            | ProxyError::HttpsRequired { .. }
            | ProxyError::ClientBody(_) => FaultSide::Client,
        }
    }

    /// Passive health counts only the node's own failures.
    pub(crate) fn counts_against_node(&self) -> bool {
        self.side() == FaultSide::Upstream
    }

    /// What the node at `addr` is blamed for, when the fault is its own
    /// (see [`Self::counts_against_node`]).
    pub(crate) fn node_error(&self, addr: &impl std::fmt::Display) -> Option<NodeError> {
        match self {
            ProxyError::Connect(e) => Some(NodeError::connect(e)),
            ProxyError::ResponseTimeout(after) => Some(NodeError::response_timeout(*after, addr)),
            ProxyError::Upstream(e) => Some(NodeError::exchange(e, addr)),
            _ => None,
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ProxyError::NoRoute => StatusCode::NOT_FOUND,
            ProxyError::NoNode { .. } | ProxyError::CircuitOpen { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProxyError::UpgradeNotAllowed { .. } => StatusCode::FORBIDDEN,
            ProxyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::HeadTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ProxyError::Refused(r) => match r {
                Refusal::Ip(_) | Refusal::TenantIp { .. } | Refusal::TenantNotAllowed { .. } => {
                    StatusCode::FORBIDDEN
                }
                Refusal::Auth(_) => StatusCode::UNAUTHORIZED,
                Refusal::RateLimited { .. } | Refusal::Quota { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
            },
            ProxyError::TooManyConnections { .. } => StatusCode::TOO_MANY_REQUESTS,
            ProxyError::Connect(ConnectError::Timeout { .. })
            | ProxyError::ResponseTimeout(_)
            | ProxyError::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Connect(_) | ProxyError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ProxyError::HttpsRequired { .. } => StatusCode::PERMANENT_REDIRECT,
            // A client that went away reads nothing; one that only
            // half-closed gets a 400 (the log says 499, see `rejection`).
            ProxyError::ClientBody(BodyFault::Malformed | BodyFault::Closed) => {
                StatusCode::BAD_REQUEST
            }
            ProxyError::ClientBody(BodyFault::Idle(_)) => StatusCode::REQUEST_TIMEOUT,
            ProxyError::ClientBody(BodyFault::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code, part of the public error contract.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ProxyError::NoRoute => "no_route",
            ProxyError::NoNode { .. } => "no_available_node",
            ProxyError::UpgradeNotAllowed { .. } => "upgrade_not_allowed",
            ProxyError::BadRequest(_) => "bad_request",
            ProxyError::HeadTooLarge(_) => "request_header_fields_too_large",
            ProxyError::Refused(r) => match r {
                Refusal::Ip(IpRefusal::NotAllowed) => "ip_not_allowed",
                Refusal::Ip(IpRefusal::Denied) => "ip_denied",
                Refusal::Auth(_) => "unauthenticated",
                Refusal::TenantIp { .. } => "tenant_ip_not_allowed",
                Refusal::TenantNotAllowed { .. } => "tenant_not_allowed",
                Refusal::RateLimited { .. } => "rate_limited",
                Refusal::Quota { .. } => "quota_exceeded",
            },
            ProxyError::TooManyConnections { .. } => "connection_limit",
            ProxyError::Connect(ConnectError::Timeout { .. }) => "upstream_connect_timeout",
            ProxyError::Connect(_) => "upstream_connect_failed",
            ProxyError::ResponseTimeout(_) => "upstream_timeout",
            ProxyError::DeadlineExceeded => "deadline_exceeded",
            ProxyError::Upstream(_) => "upstream_error",
            ProxyError::HttpsRequired { .. } => "https_required",
            ProxyError::ClientBody(f) => match f {
                BodyFault::Malformed => "invalid_request_body",
                BodyFault::Closed => "client_closed",
                BodyFault::Idle(_) => "request_body_timeout",
                BodyFault::TooLarge(_) => "request_body_too_large",
            },
            ProxyError::Internal(_) => "internal_error",
            ProxyError::CircuitOpen { .. } => "circuit_open",
        }
    }

    /// The statistics label of this outcome.
    pub(crate) fn rejection(&self) -> Rejection {
        match self {
            ProxyError::NoRoute => Rejection::NoRoute,
            ProxyError::NoNode { .. } => Rejection::NoAvailableNode,
            ProxyError::UpgradeNotAllowed { .. } => Rejection::UpgradeNotAllowed,
            // A request the gateway will not read: counted with the other
            // malformed requests.
            ProxyError::BadRequest(_) | ProxyError::HeadTooLarge(_) => Rejection::BadRequest,
            ProxyError::Refused(r) => r.rejection(),
            ProxyError::TooManyConnections { .. } => Rejection::ConnectionLimit,
            ProxyError::Connect(ConnectError::Timeout { .. })
            | ProxyError::ResponseTimeout(_)
            | ProxyError::DeadlineExceeded => Rejection::UpstreamTimeout,
            ProxyError::Connect(_) => Rejection::UpstreamConnect,
            ProxyError::Upstream(_) => Rejection::UpstreamError,
            ProxyError::HttpsRequired { .. } => Rejection::HttpsRedirect,
            ProxyError::ClientBody(f) => match f {
                BodyFault::Malformed => Rejection::BadRequest,
                BodyFault::Closed => Rejection::ClientClosed,
                BodyFault::Idle(_) => Rejection::BodyTimeout,
                BodyFault::TooLarge(_) => Rejection::BodyTooLarge,
            },
            ProxyError::Internal(_) => Rejection::Internal,
            ProxyError::CircuitOpen { .. } => Rejection::CircuitOpen,
        }
    }

    /// What the client is told. Upstream addresses, OS error text and the
    /// precise reason a token was refused are logged, not shown.
    pub(crate) fn message(&self) -> String {
        match self {
            ProxyError::Connect(_) => "could not connect to an upstream node".into(),
            ProxyError::Upstream(_) => "the upstream connection failed".into(),
            ProxyError::Internal(_) => "the gateway could not forward this request".into(),
            ProxyError::CircuitOpen { .. } => {
                "the service has as much traffic in flight as it may take; try again later".into()
            }
            ProxyError::Refused(r) => match r {
                Refusal::Ip(_) => "your address may not call this service".into(),
                Refusal::Auth(_) => "a valid bearer token is required".into(),
                Refusal::TenantIp { .. } => {
                    "your address is not on this application's allow list".into()
                }
                Refusal::TenantNotAllowed { .. } => {
                    "your application may not call this service".into()
                }
                Refusal::RateLimited { scope, .. } => match scope {
                    LimitedScope::Service => "the service's request rate limit was reached".into(),
                    LimitedScope::ClientIp => "your request rate limit was reached".into(),
                    LimitedScope::Tenant => {
                        "your application's request rate limit was reached".into()
                    }
                },
                Refusal::Quota { .. } => "your application's daily quota is used up".into(),
            },
            other => other.to_string(),
        }
    }

    fn add_headers(&self, h: &mut HeaderMap) {
        if let ProxyError::ClientBody(_) = self {
            // The rest of the client's body (if any) is not read: the
            // connection cannot carry another request.
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let ProxyError::HttpsRequired { location } = self
            && let Ok(v) = HeaderValue::from_str(location)
        {
            h.insert(header::LOCATION, v);
        }
        let ProxyError::Refused(r) = self else { return };
        match r {
            Refusal::Auth(_) => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            Refusal::RateLimited { decision, .. } => {
                let retry = decision.retry_after.as_secs_f64().ceil().max(1.0) as u64;
                h.insert(header::RETRY_AFTER, HeaderValue::from(retry));
                h.insert("ratelimit-limit", HeaderValue::from(decision.limit));
                h.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
                let reset = decision.reset.as_secs_f64().ceil() as u64;
                h.insert("ratelimit-reset", HeaderValue::from(reset));
            }
            Refusal::Quota { decision, .. } => {
                h.insert(header::RETRY_AFTER, HeaderValue::from(decision.reset_secs));
                h.insert("x-quota-limit", HeaderValue::from(decision.limit));
                h.insert("x-quota-remaining", HeaderValue::from(0u64));
                h.insert("x-quota-reset", HeaderValue::from(decision.reset_secs));
            }
            Refusal::Ip(_) | Refusal::TenantIp { .. } | Refusal::TenantNotAllowed { .. } => {}
        }
    }

    /// The small JSON body clients get.
    pub(crate) fn to_response<B: From<Full<Bytes>>>(&self) -> Response<B> {
        let body =
            serde_json::json!({ "code": self.code(), "message": self.message() }).to_string();
        let mut res = Response::new(B::from(Full::new(Bytes::from(body))));
        *res.status_mut() = self.status();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.add_headers(res.headers_mut());
        res
    }
}
