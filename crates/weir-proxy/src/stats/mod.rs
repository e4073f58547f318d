//! Traffic statistics kept on the hot path with atomics only: per scope
//! (the gateway, each service, each tenant) request counts by status class,
//! rejections by reason, a latency histogram and a current-QPS meter; for
//! TCP services the bytes carried each way, for gRPC calls the `grpc-status`
//! codes.
//!
//! Every request is counted once, in exactly one status class; a rejection
//! (the gateway answered itself) is a breakdown of those requests, never an
//! extra count. Each rejection reason belongs to one [`RejectionClass`].
//!
//! Counters are cumulative and never reset; a flusher (in the binary) reads
//! them every few seconds, turns the difference since its last read into
//! hourly rollups (`ledger`) and writes those to the store, so numbers
//! survive restarts and sum across nodes. The admin side's recent numbers
//! come from samples of the same counters (`recent`).

mod histogram;
mod ledger;
mod meter;
mod recent;
mod registry;

pub(crate) use histogram::{Histogram, bucket_upper_bound_us};
pub use ledger::{Flushed, Ledger, MAX_SEALED_HOURS, to_delta, unflushed};
pub(crate) use meter::QpsMeter;
pub use recent::RecentWindow;
pub use registry::Scope;
pub(crate) use registry::{ScopeSample, StatsRegistry};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why the gateway answered a request itself instead of forwarding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    NoRoute,
    IpRefused,
    Unauthenticated,
    TenantIpRefused,
    TenantNotAllowed,
    ServiceRateLimited,
    ClientIpRateLimited,
    TenantRateLimited,
    QuotaExceeded,
    UpgradeNotAllowed,
    NoAvailableNode,
    UpstreamConnect,
    UpstreamTimeout,
    UpstreamError,
    BadRequest,
    HttpsRedirect,
    ConnectionLimit,
    /// The client went away mid-request (logged with status 499).
    ClientClosed,
    /// The client's request body stalled past `proxy.body_read_timeout`.
    BodyTimeout,
    /// The request body is over the service's `max_body_bytes`.
    BodyTooLarge,
    /// The gateway could not forward for a reason of its own.
    Internal,
    /// The upstream is at a circuit breaker limit.
    CircuitOpen,
}

impl Rejection {
    pub const ALL: [Rejection; 22] = [
        Rejection::NoRoute,
        Rejection::IpRefused,
        Rejection::Unauthenticated,
        Rejection::TenantIpRefused,
        Rejection::TenantNotAllowed,
        Rejection::ServiceRateLimited,
        Rejection::ClientIpRateLimited,
        Rejection::TenantRateLimited,
        Rejection::QuotaExceeded,
        Rejection::UpgradeNotAllowed,
        Rejection::NoAvailableNode,
        Rejection::UpstreamConnect,
        Rejection::UpstreamTimeout,
        Rejection::UpstreamError,
        Rejection::BadRequest,
        Rejection::HttpsRedirect,
        Rejection::ConnectionLimit,
        Rejection::ClientClosed,
        Rejection::BodyTimeout,
        Rejection::BodyTooLarge,
        Rejection::Internal,
        Rejection::CircuitOpen,
    ];

    /// Stable label used in metrics, logs and stored rollups.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::NoRoute => "no_route",
            Rejection::IpRefused => "ip_refused",
            Rejection::Unauthenticated => "unauthenticated",
            Rejection::TenantIpRefused => "tenant_ip_refused",
            Rejection::TenantNotAllowed => "tenant_not_allowed",
            Rejection::ServiceRateLimited => "service_rate_limited",
            Rejection::ClientIpRateLimited => "client_ip_rate_limited",
            Rejection::TenantRateLimited => "tenant_rate_limited",
            Rejection::QuotaExceeded => "quota_exceeded",
            Rejection::UpgradeNotAllowed => "upgrade_not_allowed",
            Rejection::NoAvailableNode => "no_available_node",
            Rejection::UpstreamConnect => "upstream_connect",
            Rejection::UpstreamTimeout => "upstream_timeout",
            Rejection::UpstreamError => "upstream_error",
            Rejection::BadRequest => "bad_request",
            Rejection::HttpsRedirect => "https_redirect",
            Rejection::ConnectionLimit => "connection_limit",
            Rejection::ClientClosed => "client_closed",
            Rejection::BodyTimeout => "request_body_timeout",
            Rejection::BodyTooLarge => "request_body_too_large",
            Rejection::Internal => "internal_error",
            Rejection::CircuitOpen => "circuit_open",
        }
    }

    /// What the reason means, in English: the dashboard's text for the
    /// label (`web/src/i18n/server/explain.*.ts`, generated from here).
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::NoRoute => "No service matched",
            Rejection::IpRefused => "Refused by the service's IP rules",
            Rejection::Unauthenticated => "No valid token",
            Rejection::TenantIpRefused => "Client IP not on the tenant's allow list",
            Rejection::TenantNotAllowed => "Tenant not allowed to call the service",
            Rejection::ServiceRateLimited => "Service rate limit reached",
            Rejection::ClientIpRateLimited => "Client IP rate limit reached",
            Rejection::TenantRateLimited => "Tenant rate limit reached",
            Rejection::QuotaExceeded => "Tenant's daily quota used up",
            Rejection::UpgradeNotAllowed => "WebSocket upgrade not allowed",
            Rejection::NoAvailableNode => "No available node",
            Rejection::UpstreamConnect => "Could not connect to a node",
            Rejection::UpstreamTimeout => "Timed out waiting for a node",
            Rejection::UpstreamError => "The connection to a node failed",
            Rejection::BadRequest => "Malformed request",
            Rejection::HttpsRedirect => "Redirected to HTTPS",
            Rejection::ConnectionLimit => "Connection limit reached",
            Rejection::ClientClosed => "The client went away",
            Rejection::BodyTimeout => "Request body stalled",
            Rejection::BodyTooLarge => "Request body too large",
            Rejection::Internal => "The gateway could not forward",
            Rejection::CircuitOpen => "Circuit breaker limit reached",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whose doing the rejection was: a policy's, the upstream's, the
    /// client's, or routing's.
    pub fn class(self) -> RejectionClass {
        match self {
            Rejection::IpRefused
            | Rejection::Unauthenticated
            | Rejection::TenantIpRefused
            | Rejection::TenantNotAllowed
            | Rejection::ServiceRateLimited
            | Rejection::ClientIpRateLimited
            | Rejection::TenantRateLimited
            | Rejection::QuotaExceeded
            | Rejection::UpgradeNotAllowed
            | Rejection::ConnectionLimit
            | Rejection::CircuitOpen => RejectionClass::Policy,
            Rejection::NoAvailableNode
            | Rejection::UpstreamConnect
            | Rejection::UpstreamTimeout
            | Rejection::UpstreamError
            | Rejection::Internal => RejectionClass::Upstream,
            Rejection::BadRequest
            | Rejection::ClientClosed
            | Rejection::BodyTimeout
            | Rejection::BodyTooLarge => RejectionClass::Client,
            Rejection::NoRoute | Rejection::HttpsRedirect => RejectionClass::Routing,
        }
    }

    /// The rejection a stored label names (labels of older versions that no
    /// longer exist give `None`).
    pub fn from_label(label: &str) -> Option<Rejection> {
        Rejection::ALL.iter().copied().find(|r| r.as_str() == label)
    }
}

/// The four kinds of answers the gateway gives itself. Operators read them
/// differently: policy refusals are the configuration working, upstream
/// failures are an outage, client errors are the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectionClass {
    /// Access rules, authentication, tenants, rate limits, quotas,
    /// connection limits, refused upgrades.
    Policy,
    /// No node available, connect failures, timeouts, broken answers, and
    /// the gateway's own forwarding faults.
    Upstream,
    /// Malformed requests, body faults (too large, stalled), clients that
    /// went away.
    Client,
    /// No service matched (404) or the HTTPS redirect.
    Routing,
}

impl RejectionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionClass::Policy => "policy",
            RejectionClass::Upstream => "upstream",
            RejectionClass::Client => "client",
            RejectionClass::Routing => "routing",
        }
    }
}

/// Rejections by reason, grouped by class (`policy`, `upstream`, `client`,
/// `routing`); a reason this version does not know (written by another
/// version) goes under `other`.
pub fn rejections_by_class(
    reasons: &BTreeMap<String, u64>,
) -> BTreeMap<&'static str, BTreeMap<String, u64>> {
    let mut out: BTreeMap<&'static str, BTreeMap<String, u64>> = BTreeMap::new();
    for (k, v) in reasons {
        let class = Rejection::from_label(k).map_or("other", |r| r.class().as_str());
        out.entry(class).or_default().insert(k.clone(), *v);
    }
    out
}

/// `grpc-status` codes counted one by one (0 OK … 16 UNAUTHENTICATED); any
/// other code lands in the last slot.
pub(crate) const GRPC_CODES: usize = 18;

/// Whether a `grpc-status` is the server's failure, the gRPC counterpart of
/// a 5xx: UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE, DATA_LOSS.
pub(crate) fn is_grpc_server_error(code: u32) -> bool {
    matches!(code, 2 | 4 | 13 | 14 | 15)
}

/// Counters of one scope.
#[derive(Debug, Default)]
pub struct ScopeStats {
    requests: AtomicU64,
    /// 1xx .. 5xx.
    status: [AtomicU64; 5],
    rejections: [AtomicU64; Rejection::ALL.len()],
    latency: Histogram,
    /// Sum of latencies in microseconds (for Prometheus `_sum`).
    latency_sum_us: AtomicU64,
    qps: QpsMeter,
    /// TCP services: bytes from clients to nodes and back.
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// gRPC calls by final `grpc-status` (see [`GRPC_CODES`]).
    grpc: [AtomicU64; GRPC_CODES],
    /// gRPC calls that failed on the server side (see
    /// [`is_grpc_server_error`]) over an HTTP status below 400: errors the
    /// 5xx count cannot see, since gRPC answers them with a 200.
    grpc_errors: AtomicU64,
}

/// A copy of a scope's cumulative counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub requests: u64,
    pub status: [u64; 5],
    pub rejections: [u64; Rejection::ALL.len()],
    pub latency: Vec<u64>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub grpc: [u64; GRPC_CODES],
    /// gRPC server-side failures answered with an HTTP status below 400.
    pub grpc_errors: u64,
}

impl ScopeStats {
    /// Count one finished request.
    #[inline]
    pub fn record(&self, status: u16, latency: Duration, rejection: Option<Rejection>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.status[class].fetch_add(1, Ordering::Relaxed);
        if let Some(r) = rejection {
            self.rejections[r.index()].fetch_add(1, Ordering::Relaxed);
        }
        self.latency.record(latency);
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.qps.tick();
    }

    /// Bytes a finished TCP connection carried (client → node, node →
    /// client); the connection itself is counted by [`ScopeStats::record`].
    pub fn record_bytes(&self, bytes_in: u64, bytes_out: u64) {
        self.bytes_in.fetch_add(bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes_out, Ordering::Relaxed);
    }

    /// The final `grpc-status` of a gRPC call (`None`: the call ended
    /// without one, counted as UNKNOWN, 2) and the call's HTTP status.
    pub fn record_grpc(&self, code: Option<u32>, http_status: u16) {
        let code = code.unwrap_or(2);
        let slot = (code as usize).min(GRPC_CODES - 1);
        self.grpc[slot].fetch_add(1, Ordering::Relaxed);
        // A 5xx is already an error in the status classes; a 4xx (a client
        // that went away, a refusal) is not the server failing.
        if http_status < 400 && is_grpc_server_error(code) {
            self.grpc_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sum of all recorded latencies, in microseconds.
    pub fn latency_sum_us(&self) -> u64 {
        self.latency_sum_us.load(Ordering::Relaxed)
    }

    /// Requests in the last complete second.
    pub fn current_qps(&self) -> u64 {
        self.qps.last_second()
    }

    pub fn counters(&self) -> Counters {
        Counters {
            requests: self.requests.load(Ordering::Relaxed),
            status: std::array::from_fn(|i| self.status[i].load(Ordering::Relaxed)),
            rejections: std::array::from_fn(|i| self.rejections[i].load(Ordering::Relaxed)),
            latency: self.latency.snapshot(),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            grpc: std::array::from_fn(|i| self.grpc[i].load(Ordering::Relaxed)),
            grpc_errors: self.grpc_errors.load(Ordering::Relaxed),
        }
    }
}

impl Counters {
    /// `self - earlier`, field by field (counters only grow).
    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            requests: self.requests.saturating_sub(earlier.requests),
            status: std::array::from_fn(|i| self.status[i].saturating_sub(earlier.status[i])),
            rejections: std::array::from_fn(|i| {
                self.rejections[i].saturating_sub(earlier.rejections[i])
            }),
            latency: self
                .latency
                .iter()
                .enumerate()
                .map(|(i, v)| v.saturating_sub(earlier.latency.get(i).copied().unwrap_or(0)))
                .collect(),
            bytes_in: self.bytes_in.saturating_sub(earlier.bytes_in),
            bytes_out: self.bytes_out.saturating_sub(earlier.bytes_out),
            grpc: std::array::from_fn(|i| self.grpc[i].saturating_sub(earlier.grpc[i])),
            grpc_errors: self.grpc_errors.saturating_sub(earlier.grpc_errors),
        }
    }

    /// Nothing new: bytes and gRPC codes are only ever recorded with a
    /// request, so the request count says it all.
    pub fn is_zero(&self) -> bool {
        self.requests == 0
    }

    /// Rejections of one class.
    pub fn rejected(&self, class: RejectionClass) -> u64 {
        Rejection::ALL
            .iter()
            .zip(self.rejections)
            .filter(|(r, _)| r.class() == class)
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_classes_rejections_and_latency() {
        let s = ScopeStats::default();
        s.record(200, Duration::from_millis(3), None);
        s.record(204, Duration::from_millis(5), None);
        s.record(404, Duration::from_micros(50), Some(Rejection::NoRoute));
        s.record(
            503,
            Duration::from_millis(1),
            Some(Rejection::NoAvailableNode),
        );
        let c = s.counters();
        assert_eq!(c.requests, 4);
        assert_eq!(c.status, [0, 2, 0, 1, 1]);
        assert_eq!(c.rejections[Rejection::NoRoute.index()], 1);
        assert_eq!(c.latency.iter().sum::<u64>(), 4);
        let later = {
            s.record(200, Duration::from_millis(3), None);
            s.counters()
        };
        let d = later.since(&c);
        assert_eq!(d.requests, 1);
        assert_eq!(d.status, [0, 1, 0, 0, 0]);
        assert_eq!(d.latency.iter().sum::<u64>(), 1);
    }

    #[test]
    fn status_classes_sum_to_requests_and_rejections_are_a_breakdown() {
        let s = ScopeStats::default();
        s.record(200, Duration::from_millis(1), None);
        s.record(101, Duration::from_millis(1), None);
        s.record(403, Duration::from_millis(1), Some(Rejection::IpRefused));
        s.record(
            429,
            Duration::from_millis(1),
            Some(Rejection::ServiceRateLimited),
        );
        s.record(
            502,
            Duration::from_millis(1),
            Some(Rejection::UpstreamConnect),
        );
        s.record(
            503,
            Duration::from_millis(1),
            Some(Rejection::NoAvailableNode),
        );
        s.record(499, Duration::from_millis(1), Some(Rejection::ClientClosed));
        s.record(404, Duration::from_millis(1), Some(Rejection::NoRoute));
        s.record(500, Duration::from_millis(1), None);
        let c = s.counters();
        assert_eq!(c.requests, 9);
        assert_eq!(c.status.iter().sum::<u64>(), c.requests);
        assert_eq!(c.rejections.iter().sum::<u64>(), 6);
        assert_eq!(c.rejected(RejectionClass::Policy), 2);
        assert_eq!(c.rejected(RejectionClass::Upstream), 2);
        assert_eq!(c.rejected(RejectionClass::Client), 1);
        assert_eq!(c.rejected(RejectionClass::Routing), 1);
        // Policy refusals never hold a 502 or a 404.
        for r in Rejection::ALL {
            if r.class() == RejectionClass::Policy {
                assert!(
                    !matches!(r, Rejection::NoRoute | Rejection::UpstreamConnect),
                    "{r:?}"
                );
            }
            assert_eq!(Rejection::from_label(r.as_str()), Some(r));
        }
    }

    #[test]
    fn tcp_bytes_and_grpc_codes() {
        let s = ScopeStats::default();
        s.record(200, Duration::from_millis(1), None);
        s.record_bytes(10, 2000);
        s.record(200, Duration::from_millis(1), None);
        s.record_bytes(5, 0);
        s.record_grpc(Some(0), 200);
        s.record_grpc(Some(14), 200);
        s.record_grpc(Some(14), 200);
        s.record_grpc(Some(99), 200);
        s.record_grpc(None, 502);
        let c = s.counters();
        assert_eq!((c.bytes_in, c.bytes_out), (15, 2000));
        assert_eq!(c.grpc[0], 1);
        assert_eq!(c.grpc[14], 2);
        assert_eq!(c.grpc[GRPC_CODES - 1], 1);
        assert_eq!(c.grpc[2], 1);
        // The two UNAVAILABLE over 200 are errors; the UNKNOWN over a 502
        // is one already (5xx), not counted twice.
        assert_eq!(c.grpc_errors, 2);
        let before = c.clone();
        s.record_bytes(1, 1);
        s.record_grpc(Some(5), 200);
        let d = s.counters().since(&before);
        assert_eq!((d.bytes_in, d.bytes_out), (1, 1));
        assert_eq!(d.grpc.iter().sum::<u64>(), 1);
        assert_eq!(d.grpc[5], 1);
    }

    #[test]
    fn labels_are_unique() {
        let labels: std::collections::HashSet<_> =
            Rejection::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(labels.len(), Rejection::ALL.len());
        for (i, r) in Rejection::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
