//! One shared HTTP/2 connection per node (gRPC upstreams). HTTP/2
//! multiplexes, so every request to the node shares the connection; it is
//! re-opened when the node closes it. Concurrent first requests wait for one
//! handshake instead of each opening their own. The request that opens
//! the connection gives the connect timeout (its route's, or its
//! upstream's).

use std::time::Duration;

use hyper::client::conn::http2;
use tokio::sync::Mutex;
use weir_core::compile::NodeAddr;

use super::body::RequestBody;
use super::connect::{ConnectError, connect_http2};
use super::resilience::{BreakerLimit, Slot};
use super::tls::UpstreamTlsClient;

pub(crate) type H2Sender = http2::SendRequest<RequestBody>;

/// Why no connection could be had.
#[derive(Debug)]
pub enum Opening {
    /// The circuit breaker refused a new connection.
    Refused(BreakerLimit),
    Failed(ConnectError),
}

#[derive(Debug)]
pub struct H2Node {
    addr: NodeAddr,
    sni: Option<std::sync::Arc<str>>,
    tls: Option<UpstreamTlsClient>,
    conn: Mutex<Option<H2Sender>>,
}

impl H2Node {
    pub fn new(
        addr: NodeAddr,
        sni: Option<std::sync::Arc<str>>,
        tls: Option<UpstreamTlsClient>,
    ) -> Self {
        Self {
            addr,
            sni,
            tls,
            conn: Mutex::new(None),
        }
    }

    pub fn addr(&self) -> &NodeAddr {
        &self.addr
    }

    /// A sender on the node's live connection, when it has one and no
    /// other request is opening it: the path that never waits.
    pub fn live(&self) -> Option<H2Sender> {
        let slot = self.conn.try_lock().ok()?;
        slot.as_ref().filter(|s| !s.is_closed()).cloned()
    }

    /// A sender on the node's live connection, connecting if needed.
    /// `fresh` forces a new connection (the current one just failed);
    /// `connect_timeout` bounds opening one. `open` is asked before a connection is opened (a circuit breaker's
    /// count of open connections, held for the connection's life).
    pub async fn sender(
        &self,
        fresh: bool,
        connect_timeout: Duration,
        open: impl FnOnce() -> Result<Option<Slot>, BreakerLimit>,
    ) -> Result<H2Sender, Opening> {
        let mut slot = self.conn.lock().await;
        if !fresh
            && let Some(s) = slot.as_ref()
            && !s.is_closed()
        {
            return Ok(s.clone());
        }
        let held = open().map_err(Opening::Refused)?;
        let s = connect_http2(
            &self.addr,
            self.sni.as_deref(),
            connect_timeout,
            self.tls.as_ref(),
            held,
        )
        .await
        .map_err(Opening::Failed)?;
        *slot = Some(s.clone());
        Ok(s)
    }

    /// Drop the connection if the node already closed it.
    pub fn sweep(&self) {
        if let Ok(mut slot) = self.conn.try_lock()
            && slot.as_ref().is_some_and(H2Sender::is_closed)
        {
            *slot = None;
        }
    }
}
