//! One shared HTTP/2 connection per node (gRPC upstreams). HTTP/2
//! multiplexes, so every request to the node shares the connection; it is
//! re-opened when the node closes it. Concurrent first requests wait for one
//! handshake instead of each opening their own.

use std::time::Duration;

use hyper::client::conn::http2;
use tokio::sync::Mutex;
use weir_core::compile::NodeAddr;

use super::body::RequestBody;
use super::connect::{ConnectError, connect_http2};
use super::tls::UpstreamTlsClient;

pub type H2Sender = http2::SendRequest<RequestBody>;

#[derive(Debug)]
pub struct H2Node {
    addr: NodeAddr,
    sni: Option<std::sync::Arc<str>>,
    connect_timeout: Duration,
    tls: Option<UpstreamTlsClient>,
    conn: Mutex<Option<H2Sender>>,
}

impl H2Node {
    pub fn new(
        addr: NodeAddr,
        sni: Option<std::sync::Arc<str>>,
        connect_timeout: Duration,
        tls: Option<UpstreamTlsClient>,
    ) -> Self {
        Self {
            addr,
            sni,
            connect_timeout,
            tls,
            conn: Mutex::new(None),
        }
    }

    pub fn addr(&self) -> &NodeAddr {
        &self.addr
    }

    /// A sender on the node's live connection, connecting if needed.
    /// `fresh` forces a new connection (the current one just failed).
    pub async fn sender(&self, fresh: bool) -> Result<H2Sender, ConnectError> {
        let mut slot = self.conn.lock().await;
        if !fresh
            && let Some(s) = slot.as_ref()
            && !s.is_closed()
        {
            return Ok(s.clone());
        }
        let s = connect_http2(
            &self.addr,
            self.sni.as_deref(),
            self.connect_timeout,
            self.tls.as_ref(),
        )
        .await?;
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
