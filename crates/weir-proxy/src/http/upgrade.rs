//! Protocol upgrades (WebSocket): once both sides agreed to switch
//! protocols, the two connections become one bidirectional byte stream.

use std::sync::Arc;
use std::time::Duration;

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

/// Spawn the tunnel on `tunnels`, so that shutdown can wait for it.
pub(crate) fn spawn_tunnel(
    tunnels: &tokio_util::task::TaskTracker,
    client: OnUpgrade,
    upstream: OnUpgrade,
    service: Arc<str>,
    idle: Duration,
) {
    tunnels.spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(%service, error = %e, "upgrade did not complete");
                return;
            }
        };
        match crate::tunnel::join(TokioIo::new(client), TokioIo::new(upstream), idle).await {
            Ok(s) => tracing::debug!(
                %service,
                up = s.up,
                down = s.down,
                idle_timeout = s.idle_timeout,
                "upgraded connection closed"
            ),
            Err(e) => tracing::debug!(%service, error = %e, "upgraded connection failed"),
        }
    });
}
