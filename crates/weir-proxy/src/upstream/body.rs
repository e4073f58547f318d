//! Body wrappers for the two directions of an upstream exchange.
//!
//! An HTTP/1.1 connection may carry the next request only after both the
//! request body was fully sent and the response body fully received. The
//! request side records its end in a shared flag; the response side returns
//! the connection to its pool when its own end arrives and the flag is set.
//! A body dropped early (client went away) drops the connection instead.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Notify;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use super::pool::{NodePool, PooledSender};
use crate::balance::Pick;

/// Set once a request body has been fully handed to the upstream
/// connection; awaited by the response-header timeout, which only starts
/// then (a long upload is not a slow upstream).
#[derive(Debug, Default)]
pub struct Completion {
    done: AtomicBool,
    notify: Notify,
}

impl Completion {
    fn finish(&self) {
        self.done.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    pub async fn wait(&self) {
        let mut notified = pin!(self.notify.notified());
        // Register before checking the flag so a finish in between is seen.
        notified.as_mut().enable();
        if self.is_done() {
            return;
        }
        notified.await;
    }
}

/// The request body sent upstream: the client's body, streamed, or a small
/// body the gateway made itself (health checks).
#[derive(Debug)]
pub struct RequestBody {
    inner: Option<Incoming>,
    local: Option<http_body_util::Full<Bytes>>,
    done: Option<Arc<Completion>>,
}

impl RequestBody {
    /// Wrap a client body; `None` sends no body.
    pub fn new(inner: Option<Incoming>) -> Self {
        match inner {
            Some(b) if !b.is_end_stream() => Self {
                inner: Some(b),
                local: None,
                done: Some(Arc::new(Completion::default())),
            },
            _ => Self {
                inner: None,
                local: None,
                done: None,
            },
        }
    }

    /// A body the gateway made (not tracked for pooling).
    pub fn from_full(body: http_body_util::Full<Bytes>) -> Self {
        Self {
            inner: None,
            local: Some(body),
            done: None,
        }
    }

    /// Signalled when the body has been fully read (`None` = no body).
    pub fn completion(&self) -> Option<Arc<Completion>> {
        self.done.clone()
    }

    fn finish(&self) {
        if let Some(done) = &self.done {
            done.finish();
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        if let Some(local) = self.local.as_mut() {
            return Pin::new(local)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(|never| match never {})));
        }
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let res = Pin::new(inner).poll_frame(cx);
        match &res {
            Poll::Ready(None) => self.finish(),
            Poll::Ready(Some(Ok(_))) if self.inner.as_ref().is_some_and(Body::is_end_stream) => {
                self.finish()
            }
            _ => {}
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        if let Some(l) = &self.local {
            return l.is_end_stream();
        }
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        if let Some(l) = &self.local {
            return l.size_hint();
        }
        match &self.inner {
            Some(b) => b.size_hint(),
            None => SizeHint::with_exact(0),
        }
    }
}

/// What to do with the connection when the response ends.
#[derive(Debug)]
pub(crate) struct Release {
    /// The HTTP/1.1 connection and its pool (`None` for the shared HTTP/2
    /// connection, which never returns anywhere).
    pub pooled: Option<(Arc<NodePool>, PooledSender)>,
    pub request_done: Option<Arc<Completion>>,
    /// Keeps the node's in-flight count raised until the response ends.
    pub _pick: Pick,
}

impl Release {
    fn finish(self) {
        let request_complete = self.request_done.as_ref().is_none_or(|d| d.is_done());
        if request_complete && let Some((pool, sender)) = self.pooled {
            pool.checkin(sender);
        }
    }
}

/// The upstream response body, streamed to the client.
#[derive(Debug)]
pub struct ResponseBody {
    inner: Incoming,
    release: Option<Release>,
}

impl ResponseBody {
    pub(crate) fn new(inner: Incoming, release: Release) -> Self {
        let mut body = Self {
            inner,
            release: Some(release),
        };
        // Bodiless responses (204, 304, HEAD, Content-Length: 0) may never be
        // polled by the server side.
        if body.inner.is_end_stream() {
            body.release_connection();
        }
        body
    }

    /// A body whose connection is not pooled (HTTP/2); it still holds the
    /// node's in-flight count until it ends.
    pub(crate) fn unpooled(
        inner: Incoming,
        request_done: Option<Arc<Completion>>,
        pick: Pick,
    ) -> Self {
        Self::new(
            inner,
            Release {
                pooled: None,
                request_done,
                _pick: pick,
            },
        )
    }

    fn release_connection(&mut self) {
        if let Some(r) = self.release.take() {
            r.finish();
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let res = Pin::new(&mut self.inner).poll_frame(cx);
        match &res {
            Poll::Ready(None) => self.release_connection(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.release_connection(),
            // An error means the connection is broken: drop it.
            Poll::Ready(Some(Err(_))) => drop(self.release.take()),
            _ => {}
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
