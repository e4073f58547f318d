//! The nodes a service balances over right now: its configured addresses,
//! the addresses its DNS names resolve to, and instances registered through
//! the admin API. The set is rebuilt when any source changes; each member
//! keeps its health state and connection pool across rebuilds (keyed by
//! address), and the balancer is rebuilt with it.

use std::net::SocketAddr;
use std::sync::Arc;

use weir_core::compile::{CompiledNode, NodeAddr};

use super::h2pool::H2Node;
use super::pool::NodePool;
use super::state::NodeState;
use crate::balance::Balancer;

/// Where a member came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MemberSource {
    /// A configured `ip:port`.
    Static,
    /// An address of a configured DNS name.
    Dns { name: String },
    /// A target of a configured SRV name.
    Srv { name: String },
    /// Registered through the admin API (self-registration).
    Registered { id: String },
}

/// One node as the data plane uses it.
#[derive(Debug, Clone)]
pub struct Member {
    /// Where to connect (an IP once resolved; a name still being resolved
    /// is connected to by name).
    pub addr: NodeAddr,
    /// `addr` formatted once, for logs and statistics (not per request).
    pub label: Arc<str>,
    /// The DNS name for TLS SNI when `addr` came from one.
    pub sni: Option<Arc<str>>,
    pub weight: u32,
    pub enabled: bool,
    pub source: MemberSource,
    pub state: Arc<NodeState>,
    /// How requests reach the node, by the upstream's protocol.
    pub link: Link,
}

/// A member's connections: exactly one kind, by the upstream's protocol.
#[derive(Debug, Clone)]
pub enum Link {
    /// A pool of HTTP/1.1 connections.
    Http1(Arc<NodePool>),
    /// One shared HTTP/2 connection (gRPC).
    Http2(Arc<H2Node>),
    /// TCP services connect per client connection; nothing is kept.
    Tcp,
}

impl Member {
    /// May this member take a request now?
    #[inline]
    pub fn usable(&self, now_ns: u64) -> bool {
        self.enabled && self.state.available(now_ns)
    }

    /// A stable key for this member's state and pools.
    pub fn key(&self) -> String {
        self.addr.to_string()
    }
}

/// The current members with their balancer.
#[derive(Debug)]
pub struct Members {
    pub list: Box<[Member]>,
    pub balancer: Balancer,
}

impl Members {
    pub(crate) fn new(list: Vec<Member>, balance: weir_core::Balance) -> Self {
        let nodes: Vec<CompiledNode> = list
            .iter()
            .map(|m| CompiledNode {
                addr: m.addr.clone(),
                weight: m.weight,
                enabled: m.enabled,
            })
            .collect();
        Self {
            balancer: Balancer::new(balance, &nodes),
            list: list.into_boxed_slice(),
        }
    }

    /// Whether ejecting one more member keeps the ejected share within
    /// `max_percent`.
    pub fn may_eject(&self, max_percent: u32, now_ns: u64) -> bool {
        let total = self.list.iter().filter(|m| m.enabled).count();
        let ejected = self
            .list
            .iter()
            .filter(|m| m.enabled && m.state.is_ejected(now_ns))
            .count();
        (ejected + 1) * 100 <= total * max_percent as usize
    }
}

/// An instance registered through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: String,
    pub addr: SocketAddr,
    pub weight: u32,
    /// Unix ms after which the registration no longer counts.
    pub expires_at_ms: i64,
}
