//! The compressed body: the upstream's body through an encoder, frame by
//! frame, never held whole. Each data frame is encoded as it arrives and
//! whatever the encoder gives back is sent on. When the upstream has
//! nothing more ready (its body is pending), the encoder is flushed, so
//! that everything received so far reaches the client decodable — a
//! streamed response (server-sent events, NDJSON, a long poll) is never
//! held back waiting for more input, while a response that arrives in a
//! burst is compressed in large blocks. Trailers end the stream and pass
//! on unchanged.
//!
//! The codecs are async-compression's (`compression-codecs`), driven
//! directly rather than through its `AsyncRead` adaptors: those would turn
//! the body into a byte stream and lose the trailers, and a body is what
//! hyper wants back anyway.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::codecs::brotli::params::EncoderParams;
use async_compression::codecs::zstd::params::CParameter;
use async_compression::codecs::{BrotliEncoder, EncodeV2, GzipEncoder, ZstdEncoder};
use async_compression::core::util::{PartialBuffer, WriteBuffer};
use async_compression::{Level, codecs::flate::params::FlateEncoderParams};
use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use weir_core::compile::CompiledCompression;
use weir_core::model::Encoding;

/// Errors of a response body as the listener sees them.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Room given to the encoder per call.
const ROOM: usize = 16 * 1024;

/// History the encoders keep, as a power of two: 256 KiB for brotli and
/// 512 KiB for zstd (whose level 3 would take 2 MiB on a stream of
/// unknown length). Each response being compressed holds its encoder's
/// window and tables, so these bound the memory per response to about a
/// megabyte; at the levels used on the fly, matches farther back than this
/// add little.
const BROTLI_WINDOW_LOG: i32 = 18;
const ZSTD_WINDOW_LOG: u32 = 19;

/// One coding's encoder state (brotli's, kilobytes of it, boxed).
enum Encoder {
    Br(Box<BrotliEncoder>),
    Zstd(ZstdEncoder),
    Gzip(GzipEncoder),
}

impl Encoder {
    fn new(encoding: Encoding, c: &CompiledCompression) -> Self {
        let level = c.level_of(encoding);
        // The levels are validated (`weir_core::rules`), so they fit.
        let precise = Level::Precise(i32::try_from(level).unwrap_or(1));
        match encoding {
            Encoding::Br => Encoder::Br(Box::new(BrotliEncoder::new(
                EncoderParams::default()
                    .quality(precise)
                    .window_size(BROTLI_WINDOW_LOG),
            ))),
            Encoding::Zstd => Encoder::Zstd(ZstdEncoder::new_with_params(
                i32::try_from(level).unwrap_or(3),
                &[CParameter::window_log(ZSTD_WINDOW_LOG)],
            )),
            Encoding::Gzip => Encoder::Gzip(GzipEncoder::new(FlateEncoderParams::from(precise))),
        }
    }

    fn codec(&mut self) -> &mut dyn EncodeV2 {
        match self {
            Encoder::Br(e) => e.as_mut(),
            Encoder::Zstd(e) => e,
            Encoder::Gzip(e) => e,
        }
    }

    /// Encode all of `input` into `out`.
    fn encode(&mut self, input: &[u8], out: &mut BytesMut) -> io::Result<()> {
        let mut input = PartialBuffer::new(input);
        while !input.unwritten().is_empty() {
            let before = input.written_len();
            let wrote = with_room(out, |w| self.codec().encode(&mut input, w))?.1;
            if wrote == 0 && input.written_len() == before {
                return Err(stalled());
            }
        }
        Ok(())
    }

    /// Make everything encoded so far decodable by the client (`finish`:
    /// and end the stream).
    fn drain(&mut self, out: &mut BytesMut, finish: bool) -> io::Result<()> {
        loop {
            let (done, wrote) = with_room(out, |w| {
                let codec = self.codec();
                if finish {
                    codec.finish(w)
                } else {
                    codec.flush(w)
                }
            })?;
            if done {
                return Ok(());
            }
            if wrote == 0 {
                return Err(stalled());
            }
        }
    }
}

fn stalled() -> io::Error {
    io::Error::other("the compressor made no progress")
}

/// Run `step` on [`ROOM`] bytes past the end of `out`; keep what it wrote.
/// Returns its result and how many bytes it wrote.
fn with_room<T>(
    out: &mut BytesMut,
    step: impl FnOnce(&mut WriteBuffer<'_>) -> io::Result<T>,
) -> io::Result<(T, usize)> {
    let start = out.len();
    // Zeroed rather than uninitialised: no unsafe code, and the memset is
    // small next to the compression itself.
    out.resize(start + ROOM, 0);
    let mut room = WriteBuffer::new_initialized(&mut out[start..]);
    let result = step(&mut room);
    let wrote = room.written_len();
    out.truncate(start + wrote);
    Ok((result?, wrote))
}

/// Where the body is.
enum State {
    /// Reading the upstream's body; `dirty`: input was encoded since the
    /// last flush.
    Reading {
        dirty: bool,
    },
    /// The stream is finished; the upstream's trailers go last.
    Trailers(HeaderMap),
    Done,
}

/// The upstream's body (`B`), compressed.
pub(crate) struct CompressBody<B> {
    inner: B,
    encoder: Encoder,
    out: BytesMut,
    state: State,
}

impl<B> std::fmt::Debug for CompressBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompressBody")
            .field("buffered", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl<B> CompressBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    pub(crate) fn new(inner: B, encoding: Encoding, c: &CompiledCompression) -> Self {
        Self {
            inner,
            encoder: Encoder::new(encoding, c),
            out: BytesMut::new(),
            state: State::Reading { dirty: false },
        }
    }

    /// What the encoder has written, as a frame (`None` when nothing).
    fn take_output(&mut self) -> Option<Frame<Bytes>> {
        (!self.out.is_empty()).then(|| Frame::data(self.out.split().freeze()))
    }

    /// The upstream's body ended (with `trailers`, if any): finish the
    /// stream.
    fn finish(&mut self, trailers: Option<HeaderMap>) -> io::Result<()> {
        self.encoder.drain(&mut self.out, true)?;
        self.state = trailers.map_or(State::Done, State::Trailers);
        Ok(())
    }

    /// One step with the upstream's next frame; `Some` when a frame is
    /// ready for the client.
    fn on_frame(
        &mut self,
        frame: Option<Result<Frame<Bytes>, B::Error>>,
    ) -> Result<Option<Frame<Bytes>>, BoxError> {
        match frame {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    self.encoder.encode(&data, &mut self.out)?;
                    self.state = State::Reading { dirty: true };
                }
                Err(frame) => self.finish(frame.into_trailers().ok())?,
            },
            Some(Err(e)) => {
                self.state = State::Done;
                return Err(e.into());
            }
            None => self.finish(None)?,
        }
        Ok(self.take_output())
    }
}

impl<B> Body for CompressBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            let dirty = match std::mem::replace(&mut this.state, State::Done) {
                State::Reading { dirty } => dirty,
                // Any output of the finished stream first.
                State::Trailers(t) => match this.take_output() {
                    Some(data) => {
                        this.state = State::Trailers(t);
                        return Poll::Ready(Some(Ok(data)));
                    }
                    None => return Poll::Ready(Some(Ok(Frame::trailers(t)))),
                },
                State::Done => return Poll::Ready(this.take_output().map(Ok)),
            };
            this.state = State::Reading { dirty };
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(frame) => match this.on_frame(frame) {
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(data))),
                    Ok(None) => {}
                    Err(e) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                // Nothing more for now: what was encoded goes out.
                Poll::Pending if dirty => {
                    this.state = State::Reading { dirty: false };
                    if let Err(e) = this.encoder.drain(&mut this.out, false) {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e.into())));
                    }
                    if let Some(data) = this.take_output() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                    return Poll::Pending;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done) && self.out.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
