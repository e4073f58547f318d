use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::codecs::{BrotliDecoder, DecodeV2, GzipDecoder, ZstdDecoder};
use async_compression::core::util::{PartialBuffer, WriteBuffer};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use weir_core::compile::CompiledCompression;
use weir_core::model::Encoding;

use super::body::CompressBody;
use super::{Decision, Negotiated, Why, add_vary, decide, mark_encoded};

fn compression(yaml_types: &[&str], min_size: u64) -> CompiledCompression {
    let doc = weir_core::yaml::parse_document(&format!(
        "services:\n  - name: s\n    match: {{ prefix: / }}\n    compression: {{ min_size: {min_size}, content_types: [{}] }}\n    upstream: {{ nodes: [{{ addr: \"127.0.0.1:1\" }}] }}\n",
        yaml_types
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .unwrap();
    let compiled = weir_core::compile(&doc).unwrap();
    compiled.service("s").unwrap().compression.clone().unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

const GZIP: Negotiated = Negotiated::Encode(Encoding::Gzip);

#[test]
fn only_responses_that_qualify_are_compressed() {
    let c = compression(&["text/*", "application/json"], 100);
    let json = [
        ("content-type", "application/json"),
        ("content-length", "500"),
    ];
    let ok = StatusCode::OK;
    let d = |status: StatusCode, extra: &[(&str, &str)], asked: Negotiated| {
        let mut h = headers(&json);
        for (k, v) in extra {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        decide(&c, asked, status, &h, false)
    };
    assert_eq!(d(ok, &[], GZIP), Decision::Compress(Encoding::Gzip));
    // Any status with a body, not only 200.
    assert_eq!(
        d(StatusCode::NOT_FOUND, &[], GZIP),
        Decision::Compress(Encoding::Gzip)
    );
    // Unknown length: compressed.
    let mut streamed = headers(&[("content-type", "text/plain")]);
    assert_eq!(
        decide(&c, GZIP, ok, &streamed, false),
        Decision::Compress(Encoding::Gzip)
    );
    // Body-less answers and parts.
    for status in [100, 101, 103, 204, 206, 304] {
        let status = StatusCode::from_u16(status).unwrap();
        assert_eq!(d(status, &[], GZIP), Decision::Pass, "{status}");
    }
    assert_eq!(
        d(ok, &[("content-range", "bytes 0-9/500")], GZIP),
        Decision::Pass
    );
    // Encoded already, or not to be transformed.
    assert_eq!(d(ok, &[("content-encoding", "gzip")], GZIP), Decision::Pass);
    assert_eq!(
        d(ok, &[("content-encoding", "identity")], GZIP),
        Decision::Pass
    );
    assert_eq!(
        d(ok, &[("cache-control", "public, No-Transform")], GZIP),
        Decision::Pass
    );
    assert_eq!(
        d(ok, &[("cache-control", "no-store")], GZIP),
        Decision::Compress(Encoding::Gzip)
    );
    // Small or of another type.
    assert_eq!(d(ok, &[("content-length", "99")], GZIP), Decision::Pass);
    assert_eq!(
        d(ok, &[("content-length", "100")], GZIP),
        Decision::Compress(Encoding::Gzip)
    );
    assert_eq!(
        d(ok, &[("content-type", "image/png")], GZIP),
        Decision::Pass
    );
    streamed.remove("content-type");
    assert_eq!(decide(&c, GZIP, ok, &streamed, false), Decision::Pass);
    // Qualifies, but this client gets it unencoded: Vary only.
    for why in [Why::Head, Why::NoField, Why::NotAccepted] {
        assert_eq!(d(ok, &[], Negotiated::Identity(why)), Decision::Vary);
    }
    // Nothing to encode in an empty body.
    assert_eq!(
        decide(
            &c,
            GZIP,
            ok,
            &headers(&[("content-type", "text/plain")]),
            true
        ),
        Decision::Vary
    );
}

#[test]
fn an_encoded_head_says_so_and_keeps_no_length() {
    let mut h = headers(&[
        ("content-type", "text/html"),
        ("content-length", "5000"),
        ("accept-ranges", "bytes"),
        ("etag", "\"v1\""),
        ("vary", "Origin"),
    ]);
    mark_encoded(&mut h, Encoding::Br);
    assert_eq!(h["content-encoding"], "br");
    assert!(h.get("content-length").is_none());
    assert!(h.get("accept-ranges").is_none());
    assert_eq!(h["etag"], "W/\"v1\"");
    let vary: Vec<_> = h.get_all("vary").iter().collect();
    assert_eq!(vary, ["Origin", "accept-encoding"]);

    // A weak tag stays as it is; Vary is not repeated.
    let mut h = headers(&[("etag", "W/\"v1\""), ("vary", "origin, Accept-Encoding")]);
    mark_encoded(&mut h, Encoding::Gzip);
    assert_eq!(h["etag"], "W/\"v1\"");
    assert_eq!(h.get_all("vary").iter().count(), 1);
    let mut h = headers(&[("vary", "*")]);
    add_vary(&mut h);
    assert_eq!(h.get_all("vary").iter().count(), 1);
}

/// A response body fed frame by frame from the test.
struct Fed(mpsc::UnboundedReceiver<Frame<Bytes>>);

impl Body for Fed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|f| f.map(Ok))
    }
}

/// Decodes what the client receives, as it arrives.
struct Client {
    decoder: Box<dyn DecodeV2 + Send>,
    got: Vec<u8>,
    /// The encoded stream's end was seen.
    ended: bool,
}

impl Client {
    fn new(encoding: Encoding) -> Self {
        let decoder: Box<dyn DecodeV2 + Send> = match encoding {
            Encoding::Br => Box::new(BrotliDecoder::default()),
            Encoding::Zstd => Box::new(ZstdDecoder::default()),
            Encoding::Gzip => Box::new(GzipDecoder::default()),
        };
        Self {
            decoder,
            got: Vec::new(),
            ended: false,
        }
    }

    fn feed(&mut self, data: &[u8]) {
        let mut input = PartialBuffer::new(data);
        // All of the input, then whatever the decoder still holds.
        while !input.unwritten().is_empty() && !self.ended {
            let mut room = vec![0u8; 64 * 1024];
            let mut w = WriteBuffer::new_initialized(&mut room);
            let before = input.written_len();
            self.ended = self.decoder.decode(&mut input, &mut w).unwrap();
            self.got.extend_from_slice(w.written());
            if w.written_len() == 0 && input.written_len() == before {
                break;
            }
        }
        while !self.ended {
            let mut room = vec![0u8; 64 * 1024];
            let mut w = WriteBuffer::new_initialized(&mut room);
            let drained = self.decoder.flush(&mut w).unwrap();
            self.got.extend_from_slice(w.written());
            if drained {
                return;
            }
        }
    }
}

fn text(i: usize) -> Bytes {
    Bytes::from(format!(
        "data: event {i} {}\n\n",
        "lorem ipsum ".repeat(i % 7)
    ))
}

#[tokio::test]
async fn each_pause_of_the_upstream_flushes_what_came_so_far() {
    let c = compression(&["text/*"], 0);
    for encoding in Encoding::ALL {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut body = CompressBody::new(Fed(rx), encoding, &c);
        let mut client = Client::new(encoding);
        let mut sent = Vec::new();
        for i in 0..20 {
            let chunk = text(i);
            sent.extend_from_slice(&chunk);
            tx.send(Frame::data(chunk)).unwrap();
            // The upstream pauses: the client can decode all of it now.
            while client.got.len() < sent.len() {
                let frame = body.frame().await.unwrap().unwrap();
                client.feed(frame.data_ref().unwrap());
            }
            assert_eq!(client.got, sent, "{encoding:?} after event {i}");
        }
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", HeaderValue::from_static("1"));
        tx.send(Frame::trailers(trailers.clone())).unwrap();
        drop(tx);
        let mut seen = None;
        while let Some(frame) = body.frame().await {
            match frame.unwrap().into_data() {
                Ok(data) => client.feed(&data),
                Err(f) => seen = f.into_trailers().ok(),
            }
        }
        assert_eq!(seen, Some(trailers), "{encoding:?}");
        assert_eq!(client.got, sent, "{encoding:?}");
        assert!(body.is_end_stream());
    }
}

#[tokio::test]
async fn a_large_body_round_trips_smaller_in_many_frames() {
    let c = compression(&["text/*"], 0);
    let whole: Vec<u8> = (0..20_000).flat_map(|i| text(i).to_vec()).collect();
    for encoding in Encoding::ALL {
        let (tx, rx) = mpsc::unbounded_channel();
        for chunk in whole.chunks(16 * 1024) {
            tx.send(Frame::data(Bytes::copy_from_slice(chunk))).unwrap();
        }
        drop(tx);
        let mut body = CompressBody::new(Fed(rx), encoding, &c);
        let mut client = Client::new(encoding);
        let (mut frames, mut wire) = (0, 0);
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            frames += 1;
            wire += data.len();
            client.feed(&data);
        }
        assert_eq!(client.got, whole, "{encoding:?}");
        assert!(
            wire * 5 < whole.len(),
            "{encoding:?}: {wire} of {}",
            whole.len()
        );
        assert!(frames > 1, "{encoding:?}");
    }
}

#[tokio::test]
async fn an_empty_body_is_a_valid_empty_stream() {
    let c = compression(&["text/*"], 0);
    for encoding in Encoding::ALL {
        let (tx, rx) = mpsc::unbounded_channel::<Frame<Bytes>>();
        drop(tx);
        let mut body = CompressBody::new(Fed(rx), encoding, &c);
        let mut client = Client::new(encoding);
        while let Some(frame) = body.frame().await {
            client.feed(frame.unwrap().data_ref().unwrap());
        }
        assert!(client.got.is_empty());
    }
}
