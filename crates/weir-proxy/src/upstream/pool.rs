//! A pool of idle HTTP/1.1 connections to one node.
//!
//! Keyed by its node's slot in the service, not by a hashed authority, so a
//! checkout is one uncontended mutex and a `Vec::pop`. Connections are reused
//! most-recently-used first (warm sockets), dropped once idle longer than the
//! idle timeout, and at most `max_idle` are kept.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hyper::client::conn::http1;
use weir_core::compile::{CompiledUpstream, CompiledUpstreamTls, NodeAddr};

use super::body::RequestBody;
use super::connect::{ConnectError, connect_http1};
use super::resilience::Slot;
use super::tls::UpstreamTlsClient;

pub(crate) type PooledSender = http1::SendRequest<RequestBody>;

/// Settings that shape a pool; a pool is reused across reloads only while
/// these are unchanged. The connect timeout is not one: it is the
/// request's (a route may override its upstream's), given to
/// [`NodePool::connect`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolSettings {
    pub idle_timeout: Duration,
    pub max_idle: usize,
    pub tls: Option<CompiledUpstreamTls>,
}

impl PoolSettings {
    pub fn from_upstream(up: &CompiledUpstream) -> Self {
        Self {
            idle_timeout: up.idle_timeout,
            max_idle: up.max_idle_per_node,
            tls: up.tls.clone(),
        }
    }
}

#[derive(Debug)]
struct Idle {
    sender: PooledSender,
    since: Instant,
}

#[derive(Debug)]
pub struct NodePool {
    addr: NodeAddr,
    sni: Option<std::sync::Arc<str>>,
    settings: PoolSettings,
    tls: Option<UpstreamTlsClient>,
    idle: Mutex<Vec<Idle>>,
}

impl NodePool {
    pub fn new(
        addr: NodeAddr,
        sni: Option<std::sync::Arc<str>>,
        settings: PoolSettings,
        tls: Option<UpstreamTlsClient>,
    ) -> Self {
        Self {
            addr,
            sni,
            settings,
            tls,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn addr(&self) -> &NodeAddr {
        &self.addr
    }

    pub fn settings(&self) -> &PoolSettings {
        &self.settings
    }

    /// A live idle connection, if any. The caller must still wait for it to
    /// be ready (it becomes ready as soon as its task has seen the previous
    /// exchange end).
    pub fn checkout(&self) -> Option<PooledSender> {
        let now = Instant::now();
        let mut idle = self.lock();
        while let Some(conn) = idle.pop() {
            if conn.sender.is_closed()
                || now.duration_since(conn.since) > self.settings.idle_timeout
            {
                continue;
            }
            return Some(conn.sender);
        }
        None
    }

    /// Return a connection whose exchange completed.
    pub fn checkin(&self, sender: PooledSender) {
        if sender.is_closed() || self.settings.max_idle == 0 || self.settings.idle_timeout.is_zero()
        {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.settings.max_idle {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// Open a new connection (not counted in the pool until checked in)
    /// within `timeout`, the request's connect timeout. `held` lives as
    /// long as the connection (a circuit breaker's count).
    pub async fn connect(
        &self,
        held: Option<Slot>,
        timeout: Duration,
    ) -> Result<PooledSender, ConnectError> {
        connect_http1(
            &self.addr,
            self.sni.as_deref(),
            timeout,
            self.tls.as_ref(),
            held,
        )
        .await
    }

    /// Close idle connections that are expired or already closed by the peer.
    pub fn sweep(&self) {
        let now = Instant::now();
        let timeout = self.settings.idle_timeout;
        self.lock()
            .retain(|c| !c.sender.is_closed() && now.duration_since(c.since) <= timeout);
    }

    /// Idle connections currently held.
    pub fn idle_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic while holding this lock cannot leave the Vec inconsistent.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}
