//! Joining two byte streams (an upgraded WebSocket, a TCP connection) in
//! both directions, with half-close passed through and an idle timeout: a
//! tunnel with no byte in either direction for `idle` is closed.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How a tunnel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TunnelStats {
    /// Bytes from the client to the upstream.
    pub up: u64,
    /// Bytes from the upstream to the client.
    pub down: u64,
    pub idle_timeout: bool,
}

/// Copy both ways until both sides are done, one side fails, or nothing
/// moved for `idle`.
pub(crate) async fn join<A, B>(a: A, b: B, idle: Duration) -> io::Result<TunnelStats>
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let activity = Arc::new(AtomicU64::new(crate::clock::mono_nanos()));
    let mut a = Watched {
        inner: a,
        activity: Arc::clone(&activity),
    };
    let mut b = Watched {
        inner: b,
        activity: Arc::clone(&activity),
    };
    let copy = tokio::io::copy_bidirectional(&mut a, &mut b);
    tokio::pin!(copy);
    loop {
        let last = activity.load(Ordering::Relaxed);
        let deadline_nanos = last.saturating_add(idle.as_nanos() as u64);
        let now = crate::clock::mono_nanos();
        let wait = Duration::from_nanos(deadline_nanos.saturating_sub(now));
        tokio::select! {
            done = &mut copy => {
                let (up, down) = done?;
                return Ok(TunnelStats { up, down, idle_timeout: false });
            }
            () = tokio::time::sleep(wait) => {
                if activity.load(Ordering::Relaxed) == last {
                    return Ok(TunnelStats { up: 0, down: 0, idle_timeout: true });
                }
            }
        }
    }
}

/// Records the time of every read so the tunnel can tell it is idle.
struct Watched<T> {
    inner: T,
    activity: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity
                .store(crate::clock::mono_nanos(), Ordering::Relaxed);
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn copies_both_ways_with_half_close() {
        let (client, gw_side_a) = tokio::io::duplex(1024);
        let (gw_side_b, upstream) = tokio::io::duplex(1024);
        let tunnel = tokio::spawn(join(gw_side_a, gw_side_b, Duration::from_secs(5)));
        let (mut cr, mut cw) = tokio::io::split(client);
        let (mut ur, mut uw) = tokio::io::split(upstream);
        cw.write_all(b"hello").await.unwrap();
        cw.shutdown().await.unwrap();
        let mut got = Vec::new();
        ur.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello", "client half-close reaches the upstream");
        uw.write_all(b"bye").await.unwrap();
        uw.shutdown().await.unwrap();
        let mut back = Vec::new();
        cr.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"bye");
        let stats = tunnel.await.unwrap().unwrap();
        assert_eq!((stats.up, stats.down, stats.idle_timeout), (5, 3, false));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_tunnels_close() {
        let (_client, a) = tokio::io::duplex(64);
        let (b, _upstream) = tokio::io::duplex(64);
        let stats = join(a, b, Duration::from_secs(30)).await.unwrap();
        assert!(stats.idle_timeout);
    }
}
