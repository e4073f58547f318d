//! Traffic statistics kept on the hot path with atomics only: per scope
//! (the gateway, each service, each tenant) request counts by status class,
//! rejections by reason, a latency histogram and a current-QPS meter.
//!
//! Counters are cumulative and never reset; a flusher (in the binary) reads
//! them every few seconds, turns the difference since its last read into
//! hourly rollups and writes those to the store, so numbers survive restarts
//! and sum across nodes.

mod histogram;
mod meter;
mod registry;

pub use histogram::{BUCKETS, Histogram, bucket_upper_bound_us, percentile_us};
pub use meter::QpsMeter;
pub use registry::{Scope, ScopeSample, StatsRegistry};

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
}

impl Rejection {
    pub const ALL: [Rejection; 21] = [
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
        }
    }

    fn index(self) -> usize {
        self as usize
    }
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
}

/// A copy of a scope's cumulative counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub requests: u64,
    pub status: [u64; 5],
    pub rejections: [u64; Rejection::ALL.len()],
    pub latency: Vec<u64>,
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
        }
    }

    pub fn is_zero(&self) -> bool {
        self.requests == 0
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
    fn labels_are_unique() {
        let labels: std::collections::HashSet<_> =
            Rejection::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(labels.len(), Rejection::ALL.len());
        for (i, r) in Rejection::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
