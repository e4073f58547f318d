//! The forward phase's tries, under the upstream's retry policy
//! (`weir_core::compile::CompiledRetry`; the built-in one without a `retry`
//! block): which outcomes are tried again, with which request, on which
//! node, after how long, and whether the retry budget lets them.
//!
//! One try: pick a node (one not tried yet when there is one), send, and
//! classify the outcome as a [`Trigger`] in the configuration's words. A
//! trigger the policy names is tried again when tries are left, the request
//! can be sent again — it never reached the node, or it is replayable
//! ([`Replay`]) — a node is left to take it, a gRPC call's deadline leaves
//! time for the back-off, and the budget admits it. Otherwise the outcome
//! of the last try is the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response, Uri, Version};
use http_body_util::Full;
use weir_core::compile::CompiledRetry;
use weir_core::model::RetryOn;

use super::body::BodyKind;
use super::error::ProxyError;
use super::grpc;
use super::handler::{Attempts, Outcome, circuit_open, send, send_h2};
use crate::balance::Pick;
use crate::pipeline::pick;
use crate::upstream::{InFlight, Kept, Link, NodeError, RequestBody, ResponseBody};

/// The largest request body kept so that a request that reached a node
/// can be sent again (a bigger one is not retried once sent).
pub(crate) const REPLAY_MAX_BYTES: usize = 64 * 1024;

/// Why one try failed, and whether the request may go to another node.
pub(super) enum Failed {
    /// Nothing reached the node: the request comes back unsent (boxed:
    /// a failure is rare and a request head is large).
    Unsent(ProxyError, Box<Request<RequestBody>>),
    /// The request is spent: it reached the node, or the fault is the
    /// client's, or the gateway's own limits refused it.
    Spent(ProxyError),
}

impl Failed {
    /// A failed exchange: the request comes back only when the node is at
    /// fault. A client's fault is final; no other node gets it.
    pub(super) fn exchange(e: ProxyError, back: Option<Request<RequestBody>>) -> Self {
        match back {
            Some(req) if e.counts_against_node() => Failed::Unsent(e, Box::new(req)),
            _ => Failed::Spent(e),
        }
    }

    fn error(&self) -> &ProxyError {
        match self {
            Failed::Unsent(e, _) | Failed::Spent(e) => e,
        }
    }
}

/// What makes a try's outcome worth another, in the configuration's words
/// (`retry_on`, `statuses`, `grpc_statuses`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// Nothing reached the node (`connect_failure`).
    Unsent,
    /// The node failed before answering (`reset`).
    Reset,
    /// No response headers in time (`timeout`).
    Timeout,
    /// The node answered this status (`5xx`, `gateway_error`, `statuses`).
    Status(u16),
    /// The node answered this gRPC status in the response head.
    Grpc(u32),
}

impl Trigger {
    fn of(result: &Result<Response<ResponseBody>, Failed>, policy: &CompiledRetry) -> Option<Self> {
        let t = match result {
            Err(Failed::Unsent(..)) => Trigger::Unsent,
            Err(Failed::Spent(ProxyError::Upstream(_))) => Trigger::Reset,
            Err(Failed::Spent(ProxyError::ResponseTimeout(_))) => Trigger::Timeout,
            // The client's faults, the call's deadline, the gateway's own
            // limits: never tried again.
            Err(Failed::Spent(_)) => return None,
            Ok(res) if policy.retries_status(res.status().as_u16()) => {
                Trigger::Status(res.status().as_u16())
            }
            // A Trailers-Only answer carries the status in its head; one
            // that comes in trailers after a body is already the client's.
            Ok(res) if policy.grpc_statuses != 0 => {
                Trigger::Grpc(grpc::status_code(res.headers())?)
            }
            Ok(_) => return None,
        };
        t.wanted(policy).then_some(t)
    }

    fn wanted(self, policy: &CompiledRetry) -> bool {
        match self {
            Trigger::Unsent => policy.on.has(RetryOn::ConnectFailure),
            Trigger::Reset => policy.on.has(RetryOn::Reset),
            Trigger::Timeout => policy.on.has(RetryOn::Timeout),
            Trigger::Status(s) => policy.retries_status(s),
            Trigger::Grpc(code) => policy.retries_grpc(code),
        }
    }
}

/// The head of a replayable request and a copy of its body (if it has
/// one), kept so that it can be sent again as it was after a node had it.
/// Only for requests a retry may send again: idempotent methods (RFC 9110
/// §9.2.2), and gRPC calls when the policy names gRPC statuses (the node
/// said it did not handle the call). The built-in policy replays only
/// requests without a body, and only when there is another node to go to.
pub(super) struct Replay {
    method: http::Method,
    uri: Uri,
    version: Version,
    headers: http::HeaderMap,
    idempotent: bool,
    /// The body's copy; `None`: no body.
    kept: Option<Arc<Kept>>,
}

impl Replay {
    pub(super) fn of(
        parts: &http::request::Parts,
        body: &mut RequestBody,
        upgrade: bool,
        nodes: usize,
        policy: &CompiledRetry,
    ) -> Option<Self> {
        let idempotent = is_idempotent(&parts.method);
        let wanted = !upgrade
            && policy.attempts > 1
            && (nodes > 1 || policy.same_node)
            && (idempotent || policy.grpc_statuses != 0);
        if !wanted {
            return None;
        }
        let kept = if http_body::Body::is_end_stream(body) {
            None
        } else if policy.configured {
            Some(body.keep(REPLAY_MAX_BYTES)?)
        } else {
            return None;
        };
        Some(Replay {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            idempotent,
            kept,
        })
    }

    /// The request again, when `trigger` may send it again and its body
    /// was kept whole.
    fn request(&self, trigger: Trigger) -> Option<Request<RequestBody>> {
        if !self.idempotent && !matches!(trigger, Trigger::Grpc(_)) {
            return None;
        }
        let body = match &self.kept {
            None => RequestBody::empty(),
            Some(kept) => RequestBody::from_full(Full::new(kept.body()?)),
        };
        let mut again = Request::new(body);
        *again.method_mut() = self.method.clone();
        *again.uri_mut() = self.uri.clone();
        *again.version_mut() = self.version;
        *again.headers_mut() = self.headers.clone();
        Some(again)
    }
}

/// Methods whose repetition has the same effect as one request (RFC 9110
/// §9.2.2).
fn is_idempotent(m: &http::Method) -> bool {
    matches!(
        *m,
        http::Method::GET
            | http::Method::HEAD
            | http::Method::OPTIONS
            | http::Method::TRACE
            | http::Method::PUT
            | http::Method::DELETE
    )
}

/// The wait before retry `n` (1 for the first): full jitter, a uniform
/// share `unit` (in `[0, 1)`) of `min(max, base × 2^(n-1))`.
pub(super) fn backoff_delay(base: Duration, max: Duration, n: u32, unit: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << n.saturating_sub(1).min(31));
    doubled.min(max).mul_f64(unit.clamp(0.0, 1.0))
}

type Tried = Result<Response<ResponseBody>, Failed>;

/// The nodes a request's tries went to, in order: at most
/// `rules::RETRY_ATTEMPTS`' end, kept inline (no allocation per request).
#[derive(Debug, Default)]
struct Nodes {
    list: [usize; MAX_TRIES],
    len: usize,
}

const MAX_TRIES: usize = *weir_core::rules::RETRY_ATTEMPTS.end() as usize;

impl Nodes {
    fn push(&mut self, node: usize) {
        if let Some(slot) = self.list.get_mut(self.len) {
            *slot = node;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[usize] {
        &self.list[..self.len]
    }
}

/// A retry decided: the request to send (a replayed one; `None`: the
/// unsent one that came back), the node, and the back-off before it.
struct Again {
    request: Option<Request<RequestBody>>,
    pick: Pick,
    wait: Duration,
}

impl Attempts<'_> {
    /// Balance over the members that may take traffic and try, then try
    /// again as the upstream's retry policy says (see the module docs).
    pub(super) async fn forward(
        mut self,
        mut request: Request<RequestBody>,
        outcome: &mut Outcome<'_>,
    ) -> Result<Response<BodyKind>, ProxyError> {
        let up = &*self.routed.rt.upstream;
        let policy = &up.spec.retry;
        let breaker = up.spec.circuit_breaker.as_ref();
        let mut flight = up
            .resilience
            .enter(breaker, policy.budget.is_some())
            .map_err(|limit| circuit_open(up, limit))?;
        let started = Instant::now();
        let mut tried = Nodes::default();
        let mut pick = self
            .pick(tried.as_slice())
            .ok_or_else(|| ProxyError::NoNode {
                service: self.routed.svc.name.to_string(),
            })?;
        loop {
            let node = pick.index;
            let result = self.try_node(pick, request, started).await;
            tried.push(node);
            let Some(Again {
                request: again,
                pick: next,
                wait,
            }) = self.again(&result, tried.as_slice(), &mut flight, started)
            else {
                return self.finish(result, node, started, flight, outcome);
            };
            let member = &self.members.list[node];
            tracing::debug!(service = %self.routed.svc.name, node = %member.addr, tries = tried.len, "trying again");
            request = match (again, result) {
                (Some(replayed), _) => replayed,
                (None, Err(Failed::Unsent(_, unsent))) => *unsent,
                // `again` gives a request for every other outcome.
                (None, result) => return self.finish(result, node, started, flight, outcome),
            };
            pick = next;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Whether to try again after `result` (see the module docs), and how.
    fn again(
        &self,
        result: &Tried,
        tried: &[usize],
        flight: &mut InFlight,
        started: Instant,
    ) -> Option<Again> {
        let up = &*self.routed.rt.upstream;
        let policy = &up.spec.retry;
        if tried.len() >= policy.attempts as usize {
            return None;
        }
        let trigger = Trigger::of(result, policy)?;
        let replayed = match trigger {
            Trigger::Unsent => None,
            _ => Some(self.replay.as_ref()?.request(trigger)?),
        };
        let n = u32::try_from(tried.len()).unwrap_or(u32::MAX);
        let wait = backoff_delay(policy.backoff_base, policy.backoff_max, n, rand::random());
        // A gRPC call's next try must start before its deadline.
        if let Some(d) = self.deadline
            && !wait.is_zero()
            && started.elapsed() + wait >= d
        {
            return None;
        }
        let next = self.pick(tried)?;
        let now = crate::clock::mono_nanos();
        up.resilience
            .admit_retry(flight, policy.budget.as_ref(), now)
            .then_some(Again {
                request: replayed,
                pick: next,
                wait,
            })
    }

    /// A node for the next try: one not tried yet, else (with a policy
    /// that allows it) any usable one.
    fn pick(&self, tried: &[usize]) -> Option<Pick> {
        let up = &*self.routed.rt.upstream;
        let now = crate::clock::mono_nanos();
        pick::pick(up, self.members, self.hash, now, tried).or_else(|| {
            (up.spec.retry.same_node && !tried.is_empty())
                .then(|| pick::pick(up, self.members, self.hash, now, &[]))
                .flatten()
        })
    }

    /// One try on the picked node; its outcome goes to the node's passive
    /// health.
    async fn try_node(
        &mut self,
        pick: Pick,
        request: Request<RequestBody>,
        started: Instant,
    ) -> Tried {
        let up = &*self.routed.rt.upstream;
        let member = &self.members.list[pick.index];
        let sent = match &member.link {
            Link::Http2(node) => {
                let remaining = self.deadline.map(|d| d.saturating_sub(started.elapsed()));
                send_h2(up, node, pick, request, remaining, &self.timeouts).await
            }
            Link::Http1(pool) => send(up, pool, pick, request, self.upgrade, &self.timeouts).await,
            Link::Tcp => Err(Failed::Spent(ProxyError::Internal(
                "a TCP service has no HTTP connections",
            ))),
        };
        match &sent {
            Ok(res) => {
                let status = res.status().as_u16();
                let failure = up
                    .is_failure_status(status)
                    .then(|| NodeError::FailureStatus {
                        addr: member.addr.to_string(),
                        status: status.to_string(),
                    });
                up.record_outcome(member, failure.as_ref());
            }
            // A client's fault (its deadline, its body) says nothing about
            // the node.
            Err(failed) => {
                if let Some(failure) = failed.error().node_error(&member.addr) {
                    up.record_outcome(member, Some(&failure));
                }
            }
        }
        sent
    }

    /// The last try's outcome as the answer. The request counts as in
    /// flight until its response ends.
    fn finish(
        &mut self,
        result: Tried,
        node: usize,
        started: Instant,
        flight: InFlight,
        outcome: &mut Outcome<'_>,
    ) -> Result<Response<BodyKind>, ProxyError> {
        let label = Arc::clone(&self.members.list[node].label);
        match result {
            Ok(mut res) => {
                res.body_mut().hold(flight);
                outcome.node = Some(label);
                Ok(self.respond(res, started))
            }
            Err(Failed::Spent(e)) => {
                outcome.node = Some(label);
                Err(e)
            }
            // No node saw it: no node is named.
            Err(Failed::Unsent(e, _)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_up_to_its_max_with_full_jitter() {
        let (base, max) = (25 * MS, 250 * MS);
        // The cap: 25, 50, 100, 200, then 250 ms.
        let caps: Vec<u128> = (1..=6)
            .map(|n| backoff_delay(base, max, n, 0.999_999).as_millis())
            .collect();
        assert_eq!(caps, [24, 49, 99, 199, 249, 249]);
        // Full jitter: any share of the cap, down to nothing.
        assert_eq!(backoff_delay(base, max, 3, 0.0), Duration::ZERO);
        assert_eq!(backoff_delay(base, max, 3, 0.5), 50 * MS);
        // No overflow on absurd try numbers; no wait without a base.
        assert_eq!(backoff_delay(base, max, u32::MAX, 1.0), max);
        assert_eq!(backoff_delay(Duration::ZERO, max, 4, 0.7), Duration::ZERO);
        // A share out of range is held to [0, 1].
        assert_eq!(backoff_delay(base, max, 1, 7.0), base);
    }

    #[tokio::test(start_paused = true)]
    async fn the_back_off_sleeps_on_the_paused_clock() {
        let start = tokio::time::Instant::now();
        let d = backoff_delay(100 * MS, Duration::from_secs(1), 4, 0.5);
        tokio::time::sleep(d).await;
        assert_eq!(start.elapsed(), 400 * MS);
    }

    #[test]
    fn idempotent_methods() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            assert!(is_idempotent(&m.parse().unwrap()), "{m}");
        }
        for m in ["POST", "PATCH", "CONNECT"] {
            assert!(!is_idempotent(&m.parse().unwrap()), "{m}");
        }
    }
}
