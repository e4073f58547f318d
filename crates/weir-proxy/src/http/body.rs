//! The body of every response the HTTP listener sends, and the recording of
//! each finished request (statistics and the access log) when that body
//! ends — or is dropped because the client went away.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;

use super::compress::{BoxError, CompressBody};
use crate::access_log::{AccessLog, AccessRecord};
use crate::stats::{Rejection, ScopeStats};
use crate::upstream::ResponseBody;

#[derive(Debug)]
pub(crate) enum BodyKind {
    Upstream(ResponseBody),
    /// A gRPC response bounded by the call's deadline.
    Grpc(super::grpc::DeadlineBody),
    /// The upstream's response under the service's compression (boxed:
    /// the encoder and its buffer are larger than the other bodies, and
    /// most responses have none).
    Compressed(Box<CompressBody<ResponseBody>>),
    Local(Full<Bytes>),
}

/// What the access log says about a request, kept only when it is on.
#[derive(Debug)]
pub(crate) struct LogFields {
    pub log: AccessLog,
    pub request_id: String,
    pub client_ip: std::net::IpAddr,
    pub method: http::Method,
    pub host: String,
    pub path: String,
    pub protocol: &'static str,
}

/// Everything recorded when a request finishes.
#[derive(Debug)]
pub(crate) struct Recorder {
    pub started: Instant,
    pub status: u16,
    /// gRPC calls only: the `grpc-status` seen so far (`Some(None)` until
    /// one arrives).
    pub grpc: Option<Option<u32>>,
    pub gateway: Arc<ScopeStats>,
    pub service: Option<(Arc<str>, Arc<ScopeStats>)>,
    pub tenant: Option<(Arc<str>, Arc<ScopeStats>)>,
    pub node: Option<std::sync::Arc<str>>,
    pub rejection: Option<Rejection>,
    pub log: Option<Box<LogFields>>,
}

/// The status statistics and the access log give a request whose client
/// went away (nginx's convention; nothing was delivered).
const CLIENT_CLOSED: u16 = 499;

impl Recorder {
    fn finish(self, bytes: u64) {
        let elapsed = self.started.elapsed();
        let status = if self.rejection == Some(Rejection::ClientClosed) {
            CLIENT_CLOSED
        } else {
            self.status
        };
        self.gateway.record(status, elapsed, self.rejection);
        if let Some((_, s)) = &self.service {
            s.record(status, elapsed, self.rejection);
            if let Some(code) = self.grpc {
                s.record_grpc(code, status);
            }
        }
        if let Some(code) = self.grpc {
            self.gateway.record_grpc(code, status);
        }
        if let Some((_, s)) = &self.tenant {
            s.record(status, elapsed, self.rejection);
        }
        if let Some(f) = self.log {
            f.log.write(&AccessRecord {
                ts: jiff::Timestamp::now().to_string(),
                request_id: &f.request_id,
                client_ip: f.client_ip.to_string(),
                method: f.method.as_str(),
                host: &f.host,
                path: &f.path,
                protocol: f.protocol,
                status,
                service: self.service.as_ref().map(|(n, _)| &**n),
                tenant: self.tenant.as_ref().map(|(n, _)| &**n),
                node: self.node.as_deref().map(str::to_owned),
                bytes,
                duration_ms: elapsed.as_secs_f64() * 1000.0,
                rejection: self.rejection.map(Rejection::as_str),
            });
        }
    }
}

#[derive(Debug)]
pub(crate) struct ProxyBody {
    kind: BodyKind,
    bytes: u64,
    recorder: Option<Recorder>,
}

impl ProxyBody {
    pub(crate) fn new(kind: BodyKind, recorder: Option<Recorder>) -> Self {
        let mut body = Self {
            kind,
            bytes: 0,
            recorder,
        };
        if body.is_end_stream() {
            body.record();
        }
        body
    }

    fn record(&mut self) {
        if let Some(r) = self.recorder.take() {
            r.finish(self.bytes);
        }
    }
}

impl From<Full<Bytes>> for ProxyBody {
    fn from(b: Full<Bytes>) -> Self {
        ProxyBody {
            kind: BodyKind::Local(b),
            bytes: 0,
            recorder: None,
        }
    }
}

impl Drop for ProxyBody {
    fn drop(&mut self) {
        self.record();
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    // Boxed like hyper boxes it: the compressor's errors are not hyper's.
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let boxed =
            |f: Option<Result<Frame<Bytes>, hyper::Error>>| f.map(|r| r.map_err(Into::into));
        let res = match &mut this.kind {
            BodyKind::Upstream(b) => Pin::new(b).poll_frame(cx).map(boxed),
            BodyKind::Grpc(b) => Pin::new(b).poll_frame(cx).map(boxed),
            BodyKind::Compressed(b) => Pin::new(b.as_mut()).poll_frame(cx),
            BodyKind::Local(b) => Pin::new(b)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(|never| match never {}))),
        };
        match &res {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.bytes += d.len() as u64;
                } else if let Some(t) = frame.trailers_ref()
                    && let Some(r) = &mut this.recorder
                    && let Some(code) = &mut r.grpc
                    && let Some(found) = super::grpc::status_code(t)
                {
                    *code = Some(found);
                }
                if this.is_end_stream() {
                    this.record();
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.record(),
            Poll::Pending => {}
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            BodyKind::Upstream(b) => b.is_end_stream(),
            BodyKind::Grpc(b) => b.is_end_stream(),
            BodyKind::Compressed(b) => b.is_end_stream(),
            BodyKind::Local(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Upstream(b) => b.size_hint(),
            BodyKind::Grpc(b) => b.size_hint(),
            BodyKind::Compressed(b) => b.size_hint(),
            BodyKind::Local(b) => b.size_hint(),
        }
    }
}
