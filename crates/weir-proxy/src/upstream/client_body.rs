//! The client's request body on its way to a node, held to the limits a
//! client must keep: a byte must arrive within the idle timeout once the
//! upstream side asks for one, and the body may not grow past the
//! service's `max_body_bytes`. When the client breaks either rule, sends a
//! malformed body or goes away mid-body, the failure is named as the
//! client's ([`BodyFault`]) so that it is answered 4xx and never counted
//! against the node that was receiving it.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// Why a client's request body ended before it was complete. Every variant
/// is the client's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    /// The framing was invalid (a bad chunk size, a chunk-extension flood,
    /// an HTTP/2 protocol error on the stream).
    Malformed,
    /// The client closed or reset its connection (or stream) mid-body.
    Closed,
    /// No byte arrived for this long while the gateway waited for one.
    Idle(Duration),
    /// The body is larger than the service's `max_body_bytes` (the limit).
    TooLarge(u64),
}

impl fmt::Display for BodyFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyFault::Malformed => f.write_str("the request body is malformed"),
            BodyFault::Closed => f.write_str("the client went away before sending the whole body"),
            BodyFault::Idle(d) => write!(f, "no byte of the request body arrived for {d:?}"),
            BodyFault::TooLarge(max) => write!(f, "the request body is larger than {max} bytes"),
        }
    }
}

/// The error a client body yields upstream; carries the fault and, when the
/// client's connection reported one, its error (for the log).
#[derive(Debug, thiserror::Error)]
#[error("client request body: {fault}")]
pub struct ClientBodyError {
    pub fault: BodyFault,
    #[source]
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What a client body is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Longest wait for the next piece of the body once the upstream side
    /// asks for it.
    pub idle: Duration,
    /// Largest body in bytes; `None` = no limit.
    pub max_bytes: Option<u64>,
}

impl BodyLimits {
    /// The fault of a body whose declared length (Content-Length) is already
    /// over the limit, so it can be refused before anything is sent.
    pub fn check_declared(&self, hint: &SizeHint) -> Result<(), BodyFault> {
        match self.max_bytes {
            Some(max) if hint.lower() > max => Err(BodyFault::TooLarge(max)),
            _ => Ok(()),
        }
    }
}

/// A client body under [`BodyLimits`].
#[derive(Debug)]
pub(crate) struct ClientBody<B> {
    inner: B,
    limits: BodyLimits,
    read: u64,
    /// Made on the first wait, so a body that is always ready costs nothing.
    timer: Option<Pin<Box<Sleep>>>,
    /// A wait for the next frame is in progress (its clock is running).
    waiting: bool,
}

impl<B> ClientBody<B> {
    pub(crate) fn new(inner: B, limits: BodyLimits) -> Self {
        Self {
            inner,
            limits,
            read: 0,
            timer: None,
            waiting: false,
        }
    }

    fn fault(fault: BodyFault) -> Poll<Option<Result<Frame<Bytes>, ClientBodyError>>> {
        Poll::Ready(Some(Err(ClientBodyError {
            fault,
            source: None,
        })))
    }
}

impl<B> Body for ClientBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: StdError + Send + Sync + 'static,
{
    type Data = Bytes;
    type Error = ClientBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ClientBodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.waiting = false;
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                    if let Some(max) = this.limits.max_bytes
                        && this.read > max
                    {
                        return Self::fault(BodyFault::TooLarge(max));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                let fault = classify(&e);
                Poll::Ready(Some(Err(ClientBodyError {
                    fault,
                    source: Some(Box::new(e)),
                })))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let idle = this.limits.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                // The clock starts when this wait starts: time the upstream
                // took to ask for more is not the client's.
                if !this.waiting {
                    this.waiting = true;
                    timer.as_mut().reset(Instant::now() + idle);
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Self::fault(BodyFault::Idle(idle)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a body error means the client went away or sent something
/// malformed. Errors of the client's connection are I/O errors (HTTP/1.1:
/// an early EOF or reset; bad framing is `InvalidInput`/`InvalidData`) or
/// HTTP/2 stream errors (a `CANCEL` reset or a lost connection is the
/// client leaving; protocol errors are malformed input).
fn classify(e: &(dyn StdError + 'static)) -> BodyFault {
    use std::io::ErrorKind;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::NotConnected => BodyFault::Closed,
                _ => BodyFault::Malformed,
            };
        }
        if let Some(h2) = err.downcast_ref::<h2::Error>() {
            let gone = h2.is_io()
                || h2.is_go_away()
                || matches!(h2.reason(), Some(h2::Reason::CANCEL | h2::Reason::NO_ERROR));
            return if gone {
                BodyFault::Closed
            } else {
                BodyFault::Malformed
            };
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled())
        {
            return BodyFault::Closed;
        }
        cause = err.source();
    }
    BodyFault::Malformed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::io;

    /// A scripted body: each step is a frame, an error, or a wait of the
    /// given length (simulated time).
    enum Step {
        Data(&'static [u8]),
        Fail(io::ErrorKind),
        Wait(Duration),
    }

    struct Script {
        steps: VecDeque<Step>,
        sleep: Option<Pin<Box<Sleep>>>,
    }

    fn script(steps: Vec<Step>) -> Script {
        Script {
            steps: steps.into(),
            sleep: None,
        }
    }

    impl Body for Script {
        type Data = Bytes;
        type Error = io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
            loop {
                if let Some(s) = self.sleep.as_mut() {
                    if s.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.sleep = None;
                }
                match self.steps.pop_front() {
                    None => return Poll::Ready(None),
                    Some(Step::Data(d)) => {
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(d)))));
                    }
                    Some(Step::Fail(kind)) => {
                        return Poll::Ready(Some(Err(io::Error::new(kind, "scripted"))));
                    }
                    Some(Step::Wait(d)) => self.sleep = Some(Box::pin(tokio::time::sleep(d))),
                }
            }
        }
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn limits(idle: Duration, max_bytes: Option<u64>) -> BodyLimits {
        BodyLimits { idle, max_bytes }
    }

    /// Read the body to its end; the error's fault, or the bytes read.
    async fn drain(body: ClientBody<Script>) -> Result<usize, BodyFault> {
        use http_body_util::BodyExt;
        let mut body = body;
        let mut n = 0;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => n += f.into_data().map(|d| d.len()).unwrap_or(0),
                Err(e) => return Err(e.fault),
            }
        }
        Ok(n)
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_within_the_idle_timeout_passes() {
        let steps = (0..20)
            .flat_map(|_| [Step::Wait(SECOND * 4), Step::Data(b"x")])
            .collect();
        let body = ClientBody::new(script(steps), limits(SECOND * 5, None));
        assert_eq!(drain(body).await, Ok(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_longer_than_the_idle_timeout_is_the_clients_fault() {
        let started = Instant::now();
        let steps = vec![
            Step::Data(b"abc"),
            Step::Wait(SECOND * 4),
            Step::Data(b"d"),
            Step::Wait(SECOND * 6),
            Step::Data(b"never"),
        ];
        let body = ClientBody::new(script(steps), limits(SECOND * 5, None));
        assert_eq!(drain(body).await, Err(BodyFault::Idle(SECOND * 5)));
        // Cut at 4 s + 5 s, not when the slow piece would have come.
        assert_eq!(started.elapsed(), SECOND * 9);
    }

    #[tokio::test(start_paused = true)]
    async fn time_the_reader_spends_elsewhere_is_not_counted() {
        use http_body_util::BodyExt;
        let steps = vec![
            Step::Wait(SECOND * 3),
            Step::Data(b"a"),
            Step::Wait(SECOND * 3),
            Step::Data(b"b"),
        ];
        let mut body = ClientBody::new(script(steps), limits(SECOND * 5, None));
        assert!(body.frame().await.is_some_and(|f| f.is_ok()));
        // The upstream is slow to ask for more: 60 s pass between reads.
        tokio::time::sleep(SECOND * 60).await;
        assert!(body.frame().await.is_some_and(|f| f.is_ok()));
    }

    #[tokio::test(start_paused = true)]
    async fn crossing_max_bytes_cuts_the_stream() {
        let steps = vec![
            Step::Data(b"0123456789"),
            Step::Data(b"0123456789"),
            Step::Data(b"x"),
        ];
        let at_limit = ClientBody::new(script(steps), limits(SECOND, Some(20)));
        assert_eq!(drain(at_limit).await, Err(BodyFault::TooLarge(20)));
        let steps = vec![Step::Data(b"0123456789"), Step::Data(b"0123456789")];
        let within = ClientBody::new(script(steps), limits(SECOND, Some(20)));
        assert_eq!(drain(within).await, Ok(20));
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_up_front() {
        let l = limits(SECOND, Some(100));
        assert_eq!(
            l.check_declared(&SizeHint::with_exact(101)),
            Err(BodyFault::TooLarge(100))
        );
        assert_eq!(l.check_declared(&SizeHint::with_exact(100)), Ok(()));
        // Chunked: unknown length, checked while streaming.
        assert_eq!(l.check_declared(&SizeHint::default()), Ok(()));
        assert_eq!(
            limits(SECOND, None).check_declared(&SizeHint::with_exact(u64::MAX)),
            Ok(())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn connection_errors_are_classified() {
        for (kind, fault) in [
            (io::ErrorKind::UnexpectedEof, BodyFault::Closed),
            (io::ErrorKind::ConnectionReset, BodyFault::Closed),
            (io::ErrorKind::InvalidInput, BodyFault::Malformed),
            (io::ErrorKind::InvalidData, BodyFault::Malformed),
        ] {
            let body = ClientBody::new(
                script(vec![Step::Data(b"a"), Step::Fail(kind)]),
                limits(SECOND, None),
            );
            assert_eq!(drain(body).await, Err(fault), "{kind:?}");
        }
        let reset = h2::Error::from(h2::Reason::CANCEL);
        assert_eq!(classify(&reset), BodyFault::Closed);
        let protocol = h2::Error::from(h2::Reason::PROTOCOL_ERROR);
        assert_eq!(classify(&protocol), BodyFault::Malformed);
    }
}
