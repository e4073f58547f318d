//! Response codings decoded as a client decodes them (the codecs' own
//! decoders, not reqwest's decompression, which would hide what the gateway
//! sent): the compression tests and explain's property test read bodies
//! through this.

use async_compression::codecs::{BrotliDecoder, DecodeV2, GzipDecoder, ZstdDecoder};
use async_compression::core::util::{PartialBuffer, WriteBuffer};

/// Decodes a coding as a client does, as the bytes arrive.
pub struct Decoder {
    codec: Box<dyn DecodeV2 + Send>,
    pub out: Vec<u8>,
    /// The encoded stream's end was seen.
    ended: bool,
}

impl Decoder {
    pub fn new(coding: &str) -> Self {
        let codec: Box<dyn DecodeV2 + Send> = match coding {
            "br" => Box::new(BrotliDecoder::default()),
            "zstd" => Box::new(ZstdDecoder::default()),
            "gzip" => Box::new(GzipDecoder::default()),
            other => panic!("no decoder for {other:?}"),
        };
        Self {
            codec,
            out: Vec::new(),
            ended: false,
        }
    }

    pub fn feed(&mut self, data: &[u8]) {
        let mut input = PartialBuffer::new(data);
        // All of the input, then whatever the decoder still holds.
        while !input.unwritten().is_empty() && !self.ended {
            let mut room = vec![0u8; 64 * 1024];
            let mut w = WriteBuffer::new_initialized(&mut room);
            let before = input.written_len();
            self.ended = self.codec.decode(&mut input, &mut w).unwrap();
            self.out.extend_from_slice(w.written());
            if w.written_len() == 0 && input.written_len() == before {
                break;
            }
        }
        while !self.ended {
            let mut room = vec![0u8; 64 * 1024];
            let mut w = WriteBuffer::new_initialized(&mut room);
            let drained = self.codec.flush(&mut w).unwrap();
            self.out.extend_from_slice(w.written());
            if drained {
                return;
            }
        }
    }

    pub fn decode(coding: &str, data: &[u8]) -> Vec<u8> {
        let mut d = Self::new(coding);
        d.feed(data);
        d.out
    }
}
