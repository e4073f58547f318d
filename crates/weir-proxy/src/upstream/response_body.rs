//! The response side of an upstream exchange: the node's body streamed to
//! the client, which returns an HTTP/1.1 connection to its pool once the
//! exchange has fully completed (the request body's [`Completion`] is set
//! and the response has ended). A body dropped early (client went away)
//! drops the connection instead.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use super::body::Completion;
use super::pool::{NodePool, PooledSender};
use super::resilience::InFlight;
use crate::balance::Pick;

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
pub(crate) struct ResponseBody {
    inner: Incoming,
    release: Option<Release>,
    /// The request's place among the upstream's requests in flight (a
    /// circuit breaker's or retry budget's count), until the body ends.
    flight: Option<InFlight>,
}

impl ResponseBody {
    pub(crate) fn new(inner: Incoming, release: Release) -> Self {
        let mut body = Self {
            inner,
            release: Some(release),
            flight: None,
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

    /// Count the request in flight until this body ends.
    pub(crate) fn hold(&mut self, flight: InFlight) {
        if !self.inner.is_end_stream() {
            self.flight = Some(flight);
        }
    }

    fn release_connection(&mut self) {
        self.flight = None;
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
            Poll::Ready(Some(Err(_))) => {
                self.flight = None;
                drop(self.release.take());
            }
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
