//! Test peers and helpers for Weir's integration tests: real servers the
//! gateway proxies to, and clients to drive it, for every protocol it
//! speaks. Every server binds 127.0.0.1 port 0 and stops when its handle is
//! dropped.
//!
//! - [`http`]: the JSON echo HTTP/HTTPS upstream ([`TestUpstream`]).
//! - [`tls`]: run-time certificate fixtures ([`TestCa`]) and TLS client
//!   helpers that report which certificate a server presented.
//! - [`ws`]: a WebSocket echo server ([`WsEcho`]).
//! - [`grpc`]: a gRPC echo service with all four call types and
//!   `grpc.health.v1` ([`GrpcServer`]), plus its generated client.
//! - [`redis`]: key prefixes of a test's own on the shared local Redis.
//! - [`tcp`]: a TCP echo server with half-close ([`TcpEcho`]) and
//!   address helpers (refused, black-holed).
//!
//! The protocol crates are re-exported ([`tonic`], [`tokio_tungstenite`],
//! [`rustls`], ...) so test crates use the same versions without declaring
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod db;
pub mod dns;
pub mod grpc;
pub mod http;
pub mod redis;
pub mod tcp;
pub mod tls;
pub mod ws;

pub use dns::{Srv, TestDns};
pub use grpc::{EchoClient, EchoReply, EchoRequest, GrpcServer};
pub use http::{Generated, TestUpstream, checksum, generated_body, slow_upstream};
pub use tcp::{Blackhole, TcpEcho, refused_addr};
pub use tls::{IssuedCert, PeerInfo, TestCa, Validity};
pub use ws::{WsEcho, WsUpgrade};

pub use {prost, rcgen, rustls, tokio_rustls, tokio_tungstenite, tonic, tonic_health};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Open and total connection counts of a test server.
#[derive(Debug, Default)]
pub(crate) struct ConnCounter {
    open: AtomicUsize,
    total: AtomicU64,
}

impl ConnCounter {
    /// Count a new connection; the guard un-counts it when dropped, however
    /// the connection task ends (finished, failed or aborted).
    pub(crate) fn enter(self: &Arc<Self>) -> ConnGuard {
        self.open.fetch_add(1, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
        ConnGuard(Arc::clone(self))
    }

    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    /// Poll until `open() == n` or `timeout` passes; the server notices a
    /// closed connection a little after the client closes it.
    pub(crate) async fn wait_open(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.open() == n {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

pub(crate) struct ConnGuard(Arc<ConnCounter>);

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The accept loop of a server and the token its connection tasks watch.
/// `stop_accepting` leaves connections alone; dropping ends everything, so
/// a dropped peer looks like a dead node to the gateway (pooled connections
/// included).
pub(crate) struct Running {
    accept: JoinHandle<()>,
    shutdown: CancellationToken,
}

impl Running {
    pub(crate) fn new(accept: JoinHandle<()>, shutdown: CancellationToken) -> Self {
        Self { accept, shutdown }
    }

    pub(crate) fn stop_accepting(&self) {
        self.accept.abort();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept.abort();
        self.shutdown.cancel();
    }
}
