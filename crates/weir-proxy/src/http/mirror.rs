//! Mirroring: a share of a service's requests, as its upstream gets them,
//! is also sent to another service's upstream (a shadow) and the shadow's
//! answer is discarded. Nothing the shadow does can slow or fail the
//! client: the copy is sent from a task of its own once the client's body
//! has been read (the body is kept as it streams, up to
//! [`REPLAY_MAX_BYTES`], with the same copy a retry uses), the client's
//! exchange never waits for it, and copies in flight are bounded per
//! service (over the bound a copy is skipped and counted).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use weir_core::compile::{CompiledMirror, MirrorCounts, RouteTimeouts};

use super::handler::{send, send_h2};
use super::retry::REPLAY_MAX_BYTES;
use crate::pipeline::{pick, split};
use crate::snapshot::Snapshot;
use crate::upstream::{Completion, Kept, Link, RequestBody, UpstreamRuntime};

/// Most copies of one service in flight at once.
pub(super) const MAX_IN_FLIGHT: usize = 256;

/// Marks a copy, so that the shadow can tell it from live traffic.
pub(super) const X_WEIR_MIRROR: &str = "x-weir-mirror";

/// Whether the request is copied: the next point of the golden-ratio
/// sequence falls in the mirror's share.
pub(crate) fn takes(mirror: &CompiledMirror, peek: bool) -> bool {
    split::next_bucket(&mirror.sequence, peek) < mirror.share
}

/// A copy waiting for the client's body: its head, and the body as it is
/// being kept.
pub(super) struct Copy {
    head: http::request::Parts,
    body: Option<(Arc<Kept>, Arc<Completion>)>,
    upstream: Arc<UpstreamRuntime>,
    counts: Arc<MirrorCounts>,
    hash: u64,
}

/// Prepare a copy of the request about to be forwarded (its head as the
/// upstream gets it), or `None` when the service has no mirror, this
/// request is not in its share, or it cannot be copied (counted).
pub(super) fn prepare(
    snap: &Snapshot,
    mirror: Option<&CompiledMirror>,
    head: &http::request::Parts,
    body: &mut RequestBody,
    client: IpAddr,
) -> Option<Copy> {
    let mirror = mirror?;
    if !takes(mirror, false) {
        return None;
    }
    let counts = Arc::clone(&mirror.counts);
    let shadow = snap
        .config
        .services
        .get(mirror.index as usize)
        .filter(|s| s.spec.enabled)
        .and(snap.services.get(mirror.index as usize));
    let kept = match (body.completion(), http_body::Body::is_end_stream(body)) {
        (_, true) => Some(None),
        (Some(done), false) => body.keep(REPLAY_MAX_BYTES).map(|k| Some((k, done))),
        (None, false) => None,
    };
    let slot = counts.in_flight.fetch_add(1, Ordering::Relaxed) < MAX_IN_FLIGHT;
    let (Some(shadow), Some(body), true) = (shadow, kept, slot) else {
        counts.in_flight.fetch_sub(1, Ordering::Relaxed);
        counts.skipped.fetch_add(1, Ordering::Relaxed);
        return None;
    };
    let upstream = Arc::clone(&shadow.upstream);
    let hash = pick::request_hash(
        &upstream.spec,
        client,
        head.uri.path_and_query(),
        &head.headers,
    );
    let mut head = clone_head(head);
    head.headers
        .insert(X_WEIR_MIRROR, HeaderValue::from_static("1"));
    Some(Copy {
        head,
        body,
        upstream,
        counts,
        hash,
    })
}

fn clone_head(head: &http::request::Parts) -> http::request::Parts {
    let mut out = Request::new(()).into_parts().0;
    out.method = head.method.clone();
    out.uri = head.uri.clone();
    out.version = head.version;
    out.headers = head.headers.clone();
    out
}

impl Copy {
    /// Send the copy from a task of its own; `body_wait` bounds the wait
    /// for the client's body.
    pub(super) fn spawn(self, body_wait: Duration) {
        tokio::spawn(async move {
            let counts = Arc::clone(&self.counts);
            let outcome = self.send(body_wait).await;
            let counter = match outcome {
                Some(true) => &counts.sent,
                Some(false) => &counts.failed,
                None => &counts.skipped,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            counts.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// `Some(true)`: the shadow answered; `Some(false)`: it failed; `None`:
    /// the client's body did not arrive whole, so nothing was sent.
    async fn send(self, body_wait: Duration) -> Option<bool> {
        let body = match self.body {
            None => Bytes::new(),
            Some((kept, done)) => {
                tokio::time::timeout(body_wait, done.wait()).await.ok()?;
                kept.body()?
            }
        };
        let up = &*self.upstream;
        let req = Request::from_parts(self.head, RequestBody::from_full(Full::new(body)));
        let members = up.members();
        let now = crate::clock::mono_nanos();
        let Some(picked) = pick::pick(up, &members, self.hash, now, &[]) else {
            return Some(false);
        };
        let member = &members.list[picked.index];
        // The shadow's own timeouts: the routed service's `timeouts:` are
        // for the answer the client waits for, not for the copy.
        let timeouts = RouteTimeouts::default().resolve(&up.spec);
        let sent = match &member.link {
            Link::Http1(pool) => send(up, pool, picked, req, false, &timeouts).await,
            Link::Http2(node) => send_h2(up, node, picked, req, None, &timeouts).await,
            Link::Tcp => return Some(false),
        };
        let Ok(res) = sent else {
            return Some(false);
        };
        // Read to its end (so the connection goes back to the pool), within
        // the upstream's own bound, and dropped.
        let read = tokio::time::timeout(up.spec.response_header_timeout, res.collect()).await;
        Some(matches!(read, Ok(Ok(_))))
    }
}
