//! Rate limits and daily quotas.
//!
//! The state of every limit lives in the data plane's runtime objects
//! (per service, per tenant) and is carried across reloads by name, so
//! changing one service's limit never resets another's counters. Checks go
//! through [`LimitBackend`]: [`LocalLimits`] counts in this process;
//! [`shared::SharedLimits`] counts for the whole fleet in Redis, receiving
//! the stable key of each scope along with the local state it falls back to
//! when Redis is away.

mod gcra;
mod keyed;
mod quota;
pub(crate) mod shared;

#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::net::IpAddr;

use jiff::tz::TimeZone;
use weir_core::compile::Rate;

pub(crate) use gcra::{Decision, GcraCell};
pub(crate) use keyed::{DEFAULT_CAPACITY, KeyedLimiter};
pub use quota::day_bounds;
pub(crate) use quota::{DailyCounter, QuotaDecision};

/// Default of `proxy.ipv6_client_prefix`: an IPv6 client is counted by its
/// /64, the network one host or one subscriber line usually owns.
pub(crate) const DEFAULT_IPV6_CLIENT_PREFIX: u8 = 64;

/// The address per-IP limits count a client under: an IPv4 client by its
/// address, an IPv6 client by its network of `ipv6_prefix` bits. A host
/// with a /64 has 2^64 addresses to choose from; keyed by address it would
/// get a fresh bucket for every request.
pub(crate) fn client_key(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(a) if ipv6_prefix < 128 => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(ipv6_prefix))
                .unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
        other => other,
    }
}

/// What one limit applies to: the stable key a shared backend would use, and
/// the local state for it.
#[derive(Debug, Clone, Copy)]
pub enum LimitScope<'a> {
    Service {
        service: &'a str,
        cell: &'a GcraCell,
    },
    ClientIp {
        service: &'a str,
        /// The client's key ([`client_key`]), not its full address.
        ip: IpAddr,
        table: &'a KeyedLimiter<IpAddr>,
    },
    Tenant {
        app_id: &'a str,
        cell: &'a GcraCell,
    },
}

/// Where limits are counted.
pub trait LimitBackend: Send + Sync + Debug {
    /// Take one request from the scope's bucket at `now` (monotonic ns).
    fn acquire(&self, scope: LimitScope<'_>, rate: Rate, now: u64) -> Decision;

    /// Count one request against a tenant's daily quota.
    fn acquire_quota(
        &self,
        app_id: &str,
        counter: &DailyCounter,
        limit: u64,
        now_ms: i64,
        tz: &TimeZone,
    ) -> QuotaDecision;

    /// Where limits are counted right now.
    fn status(&self) -> LimitStatus {
        LimitStatus::Local
    }

    /// The fleet's live data-plane nodes (the shares of a degraded shared
    /// backend); ignored by a per-process one.
    fn set_fleet_size(&self, _nodes: u32) {}

    /// The live nodes as last told (1 for a per-process backend).
    fn fleet_size(&self) -> u32 {
        1
    }

    /// Failed exchanges with a shared backend since start.
    fn sync_errors(&self) -> u64 {
        0
    }
}

/// Where a node's limits are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitStatus {
    /// In this process only (no `[cluster] redis`).
    Local,
    /// Once for the whole fleet, in Redis.
    Shared,
    /// Redis is configured but away: each node counts its share locally.
    Degraded {
        /// Unix ms.
        since_ms: i64,
        reason: String,
    },
}

impl LimitStatus {
    /// `local`, `shared` or `degraded`.
    pub fn mode(&self) -> &'static str {
        match self {
            LimitStatus::Local => "local",
            LimitStatus::Shared => "shared",
            LimitStatus::Degraded { .. } => "degraded",
        }
    }
}

/// Limits counted in this process only.
#[derive(Debug, Default)]
pub struct LocalLimits;

impl LimitBackend for LocalLimits {
    fn acquire(&self, scope: LimitScope<'_>, rate: Rate, now: u64) -> Decision {
        match scope {
            LimitScope::Service { cell, .. } | LimitScope::Tenant { cell, .. } => {
                cell.acquire(rate, now)
            }
            LimitScope::ClientIp { ip, table, .. } => table.acquire(ip, rate, now),
        }
    }

    fn acquire_quota(
        &self,
        _app_id: &str,
        counter: &DailyCounter,
        limit: u64,
        now_ms: i64,
        tz: &TimeZone,
    ) -> QuotaDecision {
        counter.acquire(limit, now_ms, tz)
    }
}

/// Takes nothing from any bucket and allows everything: explain runs the
/// policy phases with it to decide the rest as the data plane would and
/// report limits as depending on traffic, without using up a token.
#[derive(Debug, Default)]
pub(crate) struct DryRun;

impl LimitBackend for DryRun {
    fn acquire(&self, _scope: LimitScope<'_>, rate: Rate, _now: u64) -> Decision {
        Decision {
            allowed: true,
            limit: rate.per_second,
            remaining: rate.burst,
            reset: std::time::Duration::ZERO,
            retry_after: std::time::Duration::ZERO,
        }
    }

    fn acquire_quota(
        &self,
        _app_id: &str,
        _counter: &DailyCounter,
        limit: u64,
        _now_ms: i64,
        _tz: &TimeZone,
    ) -> QuotaDecision {
        QuotaDecision {
            allowed: true,
            limit,
            remaining: limit,
            reset_secs: 0,
        }
    }
}

/// Limit state of one service, kept across reloads.
#[derive(Debug)]
pub struct ServiceLimiters {
    pub service: GcraCell,
    pub client_ip: KeyedLimiter<IpAddr>,
    /// Open TCP connections (for `max_connections`).
    open: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// `proxy.ipv6_client_prefix`.
    ipv6_prefix: u8,
}

impl ServiceLimiters {
    pub fn new(client_capacity: usize, ipv6_prefix: u8) -> Self {
        Self {
            service: GcraCell::new(),
            client_ip: KeyedLimiter::new(client_capacity),
            open: Default::default(),
            ipv6_prefix,
        }
    }

    /// The key `client` is counted under in `client_ip`.
    pub fn client_key(&self, client: IpAddr) -> IpAddr {
        client_key(client, self.ipv6_prefix)
    }

    /// Take a connection slot if fewer than `max` are open (0 = no limit);
    /// the slot is given back when the guard drops.
    pub fn try_open(&self, max: u32) -> Option<ConnectionSlot> {
        use std::sync::atomic::Ordering;
        let mut cur = self.open.load(Ordering::Relaxed);
        loop {
            if max > 0 && cur >= max {
                return None;
            }
            match self
                .open
                .compare_exchange_weak(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some(ConnectionSlot(std::sync::Arc::clone(&self.open))),
                Err(actual) => cur = actual,
            }
        }
    }

    /// TCP connections open now.
    pub fn open_connections(&self) -> u32 {
        self.open.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One open TCP connection counted against `max_connections`.
#[derive(Debug)]
pub struct ConnectionSlot(std::sync::Arc<std::sync::atomic::AtomicU32>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Limit state of one tenant, kept across reloads.
#[derive(Debug, Default)]
pub struct TenantLimiters {
    pub qps: GcraCell,
    pub quota: DailyCounter,
}
