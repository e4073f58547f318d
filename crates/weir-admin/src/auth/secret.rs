//! Random secrets and how they are kept: session ids, CSRF tokens and API
//! tokens are 256-bit random values from the thread-local CSPRNG (ChaCha,
//! seeded from the OS); the store only ever sees their SHA-256. A plain hash
//! (not argon2) is right for these: they are high-entropy, so there is
//! nothing to guess, and every API request must look one up quickly.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of every API token, so that leaked tokens are easy to recognise
/// (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "weir_";

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

pub fn sha256_hex(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Compare without an early exit, so the time taken does not tell how much
/// of a guess was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new API token: `(id, token)` where the token is
/// `weir_<id>_<64 hex>` and the id (16 hex) is its public handle.
pub fn new_api_token() -> (String, String) {
    let id = random_hex(8);
    let token = format!("{TOKEN_PREFIX}{id}_{}", random_hex(32));
    (id, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(random_hex(32).len(), 64);
        assert_ne!(random_hex(32), random_hex(32));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (id, token) = new_api_token();
        assert!(token.starts_with(&format!("weir_{id}_")));
        assert_eq!(token.len(), 5 + 16 + 1 + 64);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
