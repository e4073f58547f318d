//! Connection caps: how many client connections may be open at once in
//! total and per client address. A connection over a cap is closed right
//! after `accept`, before any TLS or HTTP work, so refusing costs almost
//! nothing; every refusal is counted by reason.
//!
//! Addresses are counted by host, the way per-IP rate limits count them
//! ([`crate::policy::limit::client_key`]): an IPv4 address (or an
//! IPv4-mapped IPv6 one) by itself, an IPv6 address by its network of
//! `proxy.ipv6_client_prefix` bits (a /64 by default), since one host
//! usually owns a whole /64 and could otherwise open its share from every
//! address in it.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::policy::limit::{DEFAULT_IPV6_CLIENT_PREFIX, client_key};

/// The caps of one gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Open connections at most, all clients together.
    pub max_total: usize,
    /// Open connections at most from one client address (IPv6: one
    /// network of `ipv6_prefix` bits).
    pub max_per_ip: usize,
    /// `proxy.ipv6_client_prefix`.
    pub ipv6_prefix: u8,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_total: 10_000,
            max_per_ip: 1_000,
            ipv6_prefix: DEFAULT_IPV6_CLIENT_PREFIX,
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnRefusal {
    /// `max_connections` were open.
    Total,
    /// `max_connections_per_ip` were open from this client.
    PerIp,
}

impl ConnRefusal {
    pub const ALL: [ConnRefusal; 2] = [ConnRefusal::Total, ConnRefusal::PerIp];

    /// The `/metrics` label, named after the setting that refused.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnRefusal::Total => "max_connections",
            ConnRefusal::PerIp => "max_connections_per_ip",
        }
    }
}

/// Why an admitted connection was closed by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnTimeout {
    /// No complete first request head (or TLS handshake) in time.
    Head,
    /// No request open for the idle timeout.
    Idle,
}

impl ConnTimeout {
    pub const ALL: [ConnTimeout; 2] = [ConnTimeout::Head, ConnTimeout::Idle];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnTimeout::Head => "header_read_timeout",
            ConnTimeout::Idle => "idle_timeout",
        }
    }
}

/// Admission and counts of the client connections of one or more
/// listeners that share the caps.
#[derive(Debug)]
pub struct ConnGate {
    limits: ConnLimits,
    open: AtomicUsize,
    /// Open connections per client key; an entry leaves with its last
    /// connection, so the map never holds more than `open` entries.
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    refused: [AtomicU64; 2],
    timeouts: [AtomicU64; 2],
}

impl ConnGate {
    pub fn new(limits: ConnLimits) -> Self {
        Self {
            limits: ConnLimits {
                max_total: limits.max_total.max(1),
                max_per_ip: limits.max_per_ip.max(1),
                ..limits
            },
            open: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
            refused: Default::default(),
            timeouts: Default::default(),
        }
    }

    pub fn limits(&self) -> ConnLimits {
        self.limits
    }

    /// Admit a connection from `ip`, or say which cap it is over.
    /// `per_ip: false` skips the per-address cap (trusted proxies, which
    /// carry many clients' connections).
    pub fn admit(self: &Arc<Self>, ip: IpAddr, per_ip: bool) -> Result<ConnPermit, ConnRefusal> {
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.limits.max_total {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return Err(self.refuse(ConnRefusal::Total));
        }
        let key = if per_ip {
            let key = client_key(ip, self.limits.ipv6_prefix);
            let mut map = self.lock();
            let n = map.entry(key).or_insert(0);
            if *n >= self.limits.max_per_ip {
                drop(map);
                self.open.fetch_sub(1, Ordering::AcqRel);
                return Err(self.refuse(ConnRefusal::PerIp));
            }
            *n += 1;
            Some(key)
        } else {
            None
        };
        Ok(ConnPermit {
            gate: Arc::clone(self),
            key,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections refused for `why` since start.
    pub fn refused(&self, why: ConnRefusal) -> u64 {
        self.refused[why as usize].load(Ordering::Relaxed)
    }

    /// Count a connection closed for `why`.
    pub fn timed_out(&self, why: ConnTimeout) {
        self.timeouts[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Connections closed for `why` since start.
    pub fn timeouts(&self, why: ConnTimeout) -> u64 {
        self.timeouts[why as usize].load(Ordering::Relaxed)
    }

    fn refuse(&self, why: ConnRefusal) -> ConnRefusal {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
        why
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.per_ip.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One admitted connection; dropping it gives the place back.
#[derive(Debug)]
pub struct ConnPermit {
    gate: Arc<ConnGate>,
    key: Option<IpAddr>,
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut map = self.gate.lock();
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
        self.gate.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A client connection's stream carrying its permit, so the place is given
/// back when the socket closes — also when an upgraded connection
/// (WebSocket) outlives the HTTP exchange that accepted it.
#[derive(Debug)]
pub struct Admitted<I> {
    io: I,
    _permit: ConnPermit,
}

impl<I> Admitted<I> {
    pub fn new(io: I, permit: ConnPermit) -> Self {
        Self {
            io,
            _permit: permit,
        }
    }

    pub fn get_ref(&self) -> &I {
        &self.io
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Admitted<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Admitted<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(total: usize, per_ip: usize) -> Arc<ConnGate> {
        Arc::new(ConnGate::new(ConnLimits {
            max_total: total,
            max_per_ip: per_ip,
            ..ConnLimits::default()
        }))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn per_ip_cap_refuses_and_frees_on_drop() {
        let g = gate(10, 2);
        let a = g.admit(ip("10.0.0.1"), true).unwrap();
        let _b = g.admit(ip("10.0.0.1"), true).unwrap();
        assert_eq!(
            g.admit(ip("10.0.0.1"), true).unwrap_err(),
            ConnRefusal::PerIp
        );
        // Another client and a trusted proxy are not affected.
        let _c = g.admit(ip("10.0.0.2"), true).unwrap();
        let _d = g.admit(ip("10.0.0.1"), false).unwrap();
        assert_eq!(g.refused(ConnRefusal::PerIp), 1);
        assert_eq!(g.open(), 4);
        drop(a);
        assert_eq!(g.open(), 3);
        let _e = g.admit(ip("10.0.0.1"), true).unwrap();
    }

    #[test]
    fn total_cap_refuses_everyone() {
        let g = gate(2, 2);
        let _a = g.admit(ip("10.0.0.1"), true).unwrap();
        let _b = g.admit(ip("10.0.0.2"), false).unwrap();
        assert_eq!(
            g.admit(ip("10.0.0.3"), true).unwrap_err(),
            ConnRefusal::Total
        );
        assert_eq!(g.refused(ConnRefusal::Total), 1);
        assert_eq!(g.open(), 2);
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_v4_as_v4() {
        let g = gate(10, 1);
        let _a = g.admit(ip("2001:db8:1:2::1"), true).unwrap();
        assert!(g.admit(ip("2001:db8:1:2:ffff::9"), true).is_err());
        let _b = g.admit(ip("2001:db8:1:3::1"), true).unwrap();
        let _c = g.admit(ip("192.0.2.7"), true).unwrap();
        assert!(g.admit(ip("::ffff:192.0.2.7"), true).is_err());
    }

    #[test]
    fn ipv6_prefix_follows_the_setting() {
        // proxy.ipv6_client_prefix = 56: a whole /56 shares one place.
        let g = Arc::new(ConnGate::new(ConnLimits {
            max_total: 10,
            max_per_ip: 1,
            ipv6_prefix: 56,
        }));
        let _a = g.admit(ip("2001:db8:1:2::1"), true).unwrap();
        assert!(g.admit(ip("2001:db8:1:3::1"), true).is_err());
        let _b = g.admit(ip("2001:db8:1:100::1"), true).unwrap();
        // 128: every address by itself.
        let g = Arc::new(ConnGate::new(ConnLimits {
            max_total: 10,
            max_per_ip: 1,
            ipv6_prefix: 128,
        }));
        let _c = g.admit(ip("2001:db8::1"), true).unwrap();
        let _d = g.admit(ip("2001:db8::2"), true).unwrap();
    }

    #[test]
    fn the_map_forgets_closed_clients() {
        let g = gate(10, 5);
        let permits: Vec<_> = (0..5)
            .map(|i| g.admit(ip(&format!("10.0.0.{i}")), true).unwrap())
            .collect();
        assert_eq!(g.lock().len(), 5);
        drop(permits);
        assert!(g.lock().is_empty());
        assert_eq!(g.open(), 0);
    }
}
