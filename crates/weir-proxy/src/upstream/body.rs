//! The request side of an upstream exchange: the body sent to the node.
//!
//! An HTTP/1.1 connection may carry the next request only after both the
//! request body was fully sent and the response body fully received. The
//! request body records its end in a shared flag ([`Completion`]); the
//! response side ([`super::response_body`]) returns the connection to its
//! pool when its own end arrives and the flag is set.
//!
//! The request body also records when the client broke its body (see
//! [`super::client_body`]), so that the forwarding error that follows is
//! known to be the client's fault and not the node's.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Notify;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use super::client_body::{BodyFault, BodyLimits, ClientBody, ClientBodyError};

/// Set once a request body has been fully handed to the upstream
/// connection; awaited by the response-header timeout, which only starts
/// then (a long upload is not a slow upstream). Also keeps why the client's
/// body failed, when it did.
#[derive(Debug, Default)]
pub struct Completion {
    done: AtomicBool,
    notify: Notify,
    fault: OnceLock<BodyFault>,
}

impl Completion {
    fn finish(&self) {
        self.done.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Why the client's body failed, if it did: a forwarding error after
    /// that is the client's fault.
    pub fn fault(&self) -> Option<BodyFault> {
        self.fault.get().copied()
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
    inner: Option<ClientBody<Incoming>>,
    local: Option<http_body_util::Full<Bytes>>,
    done: Option<Arc<Completion>>,
    /// A copy kept for a retry (see [`Kept`]).
    kept: Option<Arc<Kept>>,
}

/// A copy of a small request body, taken as it streams to the node, so
/// that a retry can send the request again after the node had it. Given
/// up (and its pieces let go) when the body grows past its limit or
/// carries trailers.
#[derive(Debug)]
pub struct Kept {
    limit: usize,
    state: std::sync::Mutex<KeptState>,
}

#[derive(Debug, Default)]
struct KeptState {
    pieces: Vec<Bytes>,
    len: usize,
    given_up: bool,
    complete: bool,
}

impl Kept {
    fn state(&self) -> std::sync::MutexGuard<'_, KeptState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, frame: &Frame<Bytes>) {
        let mut st = self.state();
        if st.given_up {
            return;
        }
        match frame.data_ref() {
            Some(data) if st.len + data.len() <= self.limit => {
                st.len += data.len();
                st.pieces.push(data.clone());
            }
            // Too large, or trailers: not kept.
            _ => {
                st.given_up = true;
                st.pieces = Vec::new();
            }
        }
    }

    fn complete(&self) {
        self.state().complete = true;
    }

    /// The whole body, when it was read to its end within the limit.
    pub fn body(&self) -> Option<Bytes> {
        let st = self.state();
        if !st.complete || st.given_up {
            return None;
        }
        let mut all = bytes::BytesMut::with_capacity(st.len);
        for piece in &st.pieces {
            all.extend_from_slice(piece);
        }
        Some(all.freeze())
    }
}

impl RequestBody {
    /// No body.
    pub fn empty() -> Self {
        Self {
            inner: None,
            local: None,
            done: None,
            kept: None,
        }
    }

    /// Keep a copy of the client's body as it streams, up to `limit`
    /// bytes, for a retry or a mirror. `None` when there is no client body
    /// or its declared length is over the limit. A body already kept is
    /// shared: the first caller's limit holds.
    pub fn keep(&mut self, limit: usize) -> Option<Arc<Kept>> {
        if let Some(kept) = &self.kept {
            return Some(Arc::clone(kept));
        }
        let inner = self.inner.as_ref()?;
        if inner.size_hint().lower() > limit as u64 {
            return None;
        }
        let kept = Arc::new(Kept {
            limit,
            state: std::sync::Mutex::new(KeptState::default()),
        });
        self.kept = Some(Arc::clone(&kept));
        Some(kept)
    }

    /// Wrap a client body held to `limits`. A body whose declared length is
    /// over the size limit is refused here, before anything is sent.
    pub fn client(body: Incoming, limits: BodyLimits) -> Result<Self, BodyFault> {
        if body.is_end_stream() {
            return Ok(Self::empty());
        }
        limits.check_declared(&body.size_hint())?;
        Ok(Self {
            inner: Some(ClientBody::new(body, limits)),
            local: None,
            done: Some(Arc::new(Completion::default())),
            kept: None,
        })
    }

    /// A body the gateway made (not tracked for pooling).
    pub fn from_full(body: http_body_util::Full<Bytes>) -> Self {
        Self {
            inner: None,
            local: Some(body),
            done: None,
            kept: None,
        }
    }

    /// Signalled when the body has been fully read (`None` = no body).
    pub fn completion(&self) -> Option<Arc<Completion>> {
        self.done.clone()
    }

    fn finish(&self) {
        if let Some(kept) = &self.kept {
            kept.complete();
        }
        if let Some(done) = &self.done {
            done.finish();
        }
    }

    fn fail(&self, fault: BodyFault) {
        if let Some(done) = &self.done {
            let _ = done.fault.set(fault);
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = ClientBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ClientBodyError>>> {
        if let Some(local) = self.local.as_mut() {
            return Pin::new(local)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(|never| match never {})));
        }
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let res = Pin::new(inner).poll_frame(cx);
        if let (Some(kept), Poll::Ready(Some(Ok(frame)))) = (&self.kept, &res) {
            kept.record(frame);
        }
        match &res {
            Poll::Ready(None) => self.finish(),
            Poll::Ready(Some(Ok(_))) if self.inner.as_ref().is_some_and(Body::is_end_stream) => {
                self.finish()
            }
            // Recorded before hyper sees the error, so the forwarding error
            // it turns into is already known to be the client's.
            Poll::Ready(Some(Err(e))) => self.fail(e.fault),
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
