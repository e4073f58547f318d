//! The deadlines one HTTP connection lives under once admitted.
//!
//! - **Head deadline.** From accept, a client has `header_read_timeout` to
//!   get its first request to the service: the TLS handshake, protocol
//!   detection, the HTTP/2 preface and SETTINGS and the first complete
//!   request head all count. A connection that misses it is dropped (closed
//!   without an answer: it has not asked anything). Later HTTP/1.1 heads are
//!   bounded by hyper's own `header_read_timeout`.
//! - **Idle timeout.** Once a request has been seen, a connection with no
//!   request open (no HTTP/2 stream, no HTTP/1.1 exchange between requests)
//!   for `idle_timeout` is shut down gracefully (HTTP/2: GOAWAY).
//! - **Shutdown.** When the listener stops, every connection is shut down
//!   gracefully and may finish its open requests. A connection that has not
//!   yet sent its first request (accepted in the listener's last moment,
//!   its bytes maybe already waiting) is not shut down until that request
//!   arrives: it is read and answered (HTTP/1.1 with `Connection: close`,
//!   HTTP/2 followed by GOAWAY), then the connection closes. The head
//!   deadline still bounds the wait. Shutting it down earlier would cancel
//!   hyper-util's protocol detection, or make hyper close an HTTP/1.1
//!   connection that has not started reading, and reset a request the
//!   client has already sent. An idle keep-alive connection that has
//!   served requests is closed at once (clients retry on a new connection,
//!   RFC 9112 §9.3.1).
//!
//! A request is open from the moment the service is called until its
//! response body has ended or been dropped ([`RequestGuard`] inside a
//! [`TrackedBody`]), so a long download or a quiet gRPC stream is never
//! "idle".

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::HttpService;
use hyper_util::server::conn::auto::{HttpServerConnExec, UpgradeableConnection};
use pin_project_lite::pin_project;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// What one connection is doing, shared by its service and its driver.
#[derive(Debug)]
pub struct Activity {
    base: Instant,
    seen: AtomicBool,
    open: AtomicUsize,
    /// Nanoseconds after `base` when the last open request ended.
    idle_since: AtomicU64,
    changed: Notify,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            seen: AtomicBool::new(false),
            open: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    /// A request arrived (its head is complete); it stays open until the
    /// guard is dropped.
    pub fn start_request(self: &Arc<Self>) -> RequestGuard {
        let first = !self.seen.swap(true, Ordering::AcqRel);
        if self.open.fetch_add(1, Ordering::AcqRel) == 0 || first {
            self.changed.notify_one();
        }
        RequestGuard(Arc::clone(self))
    }

    /// Whether a request has arrived on this connection.
    pub fn seen_request(&self) -> bool {
        self.seen.load(Ordering::Acquire)
    }

    fn idle_since(&self) -> Instant {
        self.base + Duration::from_nanos(self.idle_since.load(Ordering::Acquire))
    }

    /// When the driver must look again, or `None` to wait for a change.
    fn next_check(&self, head: Instant, idle: Duration, closing: bool) -> Option<Instant> {
        if !self.seen_request() {
            Some(head)
        } else if closing || self.open.load(Ordering::Acquire) > 0 {
            None
        } else {
            Some(self.idle_since() + idle)
        }
    }
}

/// One open request; dropping it ends the request.
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let a = &self.0;
        let nanos = a.base.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        a.idle_since.store(nanos, Ordering::Release);
        if a.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.changed.notify_one();
        }
    }
}

pin_project! {
    /// A response body that keeps its request open until it ends or is
    /// dropped.
    #[derive(Debug)]
    pub struct TrackedBody<B> {
        #[pin]
        inner: B,
        guard: Option<RequestGuard>,
    }
}

impl<B> TrackedBody<B> {
    pub fn new(inner: B, guard: RequestGuard) -> Self {
        Self {
            inner,
            guard: Some(guard),
        }
    }
}

impl<B: Body> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.guard.take();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection that can be asked to finish its open requests and close.
pub trait GracefulConnection {
    fn start_graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S, E, B> GracefulConnection for UpgradeableConnection<'_, I, S, E>
where
    S: HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    B: Body + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    E: HttpServerConnExec<S::Future, B>,
{
    fn start_graceful_shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// How a connection ended.
#[derive(Debug)]
pub enum Ending<E> {
    /// No request arrived before the head deadline; the connection was
    /// dropped.
    HeadTimeout,
    /// The connection ended; `idle` when the gateway closed it for being
    /// idle.
    Closed { result: Result<(), E>, idle: bool },
}

/// Run `conn` under the head deadline and the idle timeout until it ends;
/// shut it down gracefully once `stop` turns true (or its sender is gone)
/// and its first request has arrived.
pub async fn drive<C, E>(
    conn: C,
    activity: &Activity,
    head_deadline: Instant,
    idle_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> Ending<E>
where
    C: Future<Output = Result<(), E>> + GracefulConnection,
{
    let mut conn = std::pin::pin!(conn);
    let mut closing = false;
    let mut idle = false;
    // Stop was asked for before the first request: shut down once it
    // arrives (or drop the connection at the head deadline).
    let mut stopping = false;
    loop {
        if stopping && !closing && activity.seen_request() {
            conn.as_mut().start_graceful_shutdown();
            closing = true;
        }
        let check = activity.next_check(head_deadline, idle_timeout, closing);
        tokio::select! {
            result = conn.as_mut() => {
                // hyper's own HTTP/1.1 head timer may fire first: still a
                // missed head deadline.
                if !activity.seen_request() && Instant::now() >= head_deadline {
                    return Ending::HeadTimeout;
                }
                return Ending::Closed { result, idle };
            }
            () = activity.changed.notified() => {}
            () = sleep_until_some(check) => {
                let now = Instant::now();
                if !activity.seen_request() {
                    if now >= head_deadline {
                        return Ending::HeadTimeout;
                    }
                } else if activity.next_check(head_deadline, idle_timeout, closing)
                    .is_some_and(|t| now >= t)
                {
                    conn.as_mut().start_graceful_shutdown();
                    closing = true;
                    idle = true;
                }
            }
            // The watch guard is not Send: drop it inside the branch future.
            () = async { let _ = stop.wait_for(|s| *s).await; }, if !closing && !stopping => {
                stopping = true;
            }
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection that ends when told to shut down, or never.
    struct Fake {
        shutdown: bool,
    }

    impl Future for Fake {
        type Output = Result<(), ()>;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            if self.shutdown {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        }
    }

    impl GracefulConnection for Fake {
        fn start_graceful_shutdown(mut self: Pin<&mut Self>) {
            self.shutdown = true;
        }
    }

    fn fake() -> Fake {
        Fake { shutdown: false }
    }

    #[tokio::test(start_paused = true)]
    async fn silent_connection_dropped_at_the_head_deadline() {
        let (_tx, rx) = watch::channel(false);
        let a = Activity::new();
        let start = Instant::now();
        let head = start + Duration::from_secs(2);
        let end = drive(fake(), &a, head, Duration::from_secs(60), rx).await;
        assert!(matches!(end, Ending::HeadTimeout));
        assert_eq!(Instant::now(), head);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_after_the_last_request_closes_gracefully() {
        let (_tx, rx) = watch::channel(false);
        let a = Activity::new();
        let start = Instant::now();
        let head = start + Duration::from_secs(2);
        let a2 = Arc::clone(&a);
        let requests = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let g = a2.start_request();
            // Open for longer than the idle timeout: not idle meanwhile.
            tokio::time::sleep(Duration::from_secs(20)).await;
            drop(g);
        });
        let end = drive(fake(), &a, head, Duration::from_secs(10), rx).await;
        assert!(matches!(end, Ending::Closed { idle: true, .. }));
        assert_eq!(Instant::now(), start + Duration::from_secs(31));
        requests.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn stop_shuts_down_gracefully() {
        let (tx, rx) = watch::channel(false);
        let a = Activity::new();
        let _g = a.start_request();
        let stopper = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tx.send(true).unwrap();
            tx
        });
        let end = drive(
            fake(),
            &a,
            Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
            rx,
        )
        .await;
        assert!(matches!(end, Ending::Closed { idle: false, .. }));
        drop(stopper.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn stop_before_the_first_request_waits_for_it_then_shuts_down() {
        let (tx, rx) = watch::channel(true);
        let a = Activity::new();
        let start = Instant::now();
        let a2 = Arc::clone(&a);
        let request = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            a2.start_request()
        });
        let end = drive(
            fake(),
            &a,
            start + Duration::from_secs(10),
            Duration::from_secs(60),
            rx,
        )
        .await;
        // Not cut at the stop (t = 0): shut down when the request came.
        assert!(matches!(end, Ending::Closed { idle: false, .. }));
        assert_eq!(Instant::now(), start + Duration::from_secs(1));
        drop(request.await.unwrap());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_before_a_request_that_never_comes_ends_at_the_head_deadline() {
        let (tx, rx) = watch::channel(false);
        let a = Activity::new();
        let head = Instant::now() + Duration::from_secs(3);
        drop(tx); // the listener is gone: same as stop
        let end = drive(fake(), &a, head, Duration::from_secs(60), rx).await;
        assert!(matches!(end, Ending::HeadTimeout));
        assert_eq!(Instant::now(), head);
    }
}
