//! TCP-level peers and address helpers: an echo server that honours
//! half-close (for the gateway's TCP proxy), an address that refuses
//! connections and one that never answers. (A port that a configuration
//! names before the gateway starts comes from the gateway tests' own
//! `common::prebound`, which keeps the socket open.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::{ConnCounter, Running};

/// A TCP echo server. Each connection gets back every byte it sends; when
/// the client shuts down its write side, the server finishes echoing what
/// it has and then shuts down its own write side (half-close), so a client
/// can send, shut down, and read the echo to EOF.
pub struct TcpEcho {
    pub addr: SocketAddr,
    conns: Arc<ConnCounter>,
    bytes: Arc<AtomicU64>,
    running: Running,
}

impl TcpEcho {
    /// Start an echo server on 127.0.0.1, port chosen by the system.
    pub async fn start() -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// Serve on an already bound listener (e.g. to restart on a known port).
    pub fn serve(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(ConnCounter::default());
        let bytes = Arc::new(AtomicU64::new(0));
        let shutdown = CancellationToken::new();
        let accept = {
            let conns = Arc::clone(&conns);
            let bytes = Arc::clone(&bytes);
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let guard = conns.enter();
                    let bytes = Arc::clone(&bytes);
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        let _guard = guard;
                        tokio::select! {
                            () = shutdown.cancelled() => {}
                            () = echo(stream, &bytes) => {}
                        }
                    });
                }
            })
        };
        Self {
            addr,
            conns,
            bytes,
            running: Running::new(accept, shutdown),
        }
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.conns.open()
    }

    /// Connections accepted so far.
    pub fn total_connections(&self) -> u64 {
        self.conns.total()
    }

    /// Wait until exactly `n` connections are open; false on timeout.
    pub async fn wait_open_connections(&self, n: usize, timeout: Duration) -> bool {
        self.conns.wait_open(n, timeout).await
    }

    /// Bytes echoed so far (counted as each connection's echo finishes).
    pub fn bytes_echoed(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Stop accepting; open connections keep echoing until dropped.
    pub fn stop(&self) {
        self.running.stop_accepting();
    }
}

async fn echo(mut stream: TcpStream, bytes: &AtomicU64) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.split();
    // A large buffer so throughput measurements are not limited by the echo.
    let mut read = BufReader::with_capacity(256 * 1024, read);
    if let Ok(n) = tokio::io::copy_buf(&mut read, &mut write).await {
        bytes.fetch_add(n, Ordering::Relaxed);
        // The client's EOF reached us and everything is written back: pass
        // the half-close on.
        let _ = write.shutdown().await;
    }
}

/// A `127.0.0.1` address where nothing listens: connecting is refused.
pub async fn refused_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

/// An address that accepts no connection and never refuses one either: a
/// listener with a full backlog, so connecting hangs until the client's
/// own timeout. Keep the value alive while it is used.
pub struct Blackhole {
    pub addr: SocketAddr,
    _listener: socket2::Socket,
    _filler: std::net::TcpStream,
}

impl Blackhole {
    pub fn new() -> Self {
        use socket2::{Domain, Socket, Type};
        let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        sock.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        sock.listen(0).unwrap();
        let addr = sock.local_addr().unwrap().as_socket().unwrap();
        // One queued connection fills a zero backlog; later SYNs are dropped.
        let filler = std::net::TcpStream::connect(addr).unwrap();
        Self {
            addr,
            _listener: sock,
            _filler: filler,
        }
    }
}

impl Default for Blackhole {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn echoes_with_half_close() {
        let echo = TcpEcho::start().await;
        let mut c = TcpStream::connect(echo.addr).await.unwrap();
        assert!(echo.wait_open_connections(1, Duration::from_secs(2)).await);
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let (mut r, mut w) = c.split();
        let send = async {
            w.write_all(&data).await.unwrap();
            // Half-close: we are done sending but still reading.
            w.shutdown().await.unwrap();
        };
        let mut back = Vec::new();
        let recv = r.read_to_end(&mut back);
        let ((), n) = tokio::join!(send, recv);
        // read_to_end returned: the server shut down its side after echoing.
        assert_eq!(n.unwrap(), data.len());
        assert!(back == data);
        drop(c);
        assert!(echo.wait_open_connections(0, Duration::from_secs(2)).await);
        assert_eq!(echo.total_connections(), 1);
        assert_eq!(echo.bytes_echoed(), data.len() as u64);
    }

    #[tokio::test]
    async fn drop_closes_connections_and_addresses() {
        let echo = TcpEcho::start().await;
        let mut c = TcpStream::connect(echo.addr).await.unwrap();
        c.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        let addr = echo.addr;
        drop(echo);
        // The open connection is closed by the server...
        let n = tokio::time::timeout(Duration::from_secs(2), c.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
        // ...and nothing listens any more.
        assert!(TcpStream::connect(addr).await.is_err());
        assert!(TcpStream::connect(refused_addr().await).await.is_err());
    }
}
