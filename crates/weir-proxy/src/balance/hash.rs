//! The hash behind `consistent_hash`: request keys and ring points.
//!
//! Which node a key lands on must not change when the gateway restarts, runs
//! as several instances, or is built with another Rust version — so neither
//! `std`'s `DefaultHasher` (unspecified, may change between releases) nor a
//! randomly seeded hasher will do. This is FNV-1a 64 followed by the MurmurHash3
//! 64-bit finalizer: FNV-1a alone mixes the last bytes of a key poorly into
//! the high bits, and ring positions are compared on the whole 64 bits, so
//! keys such as `10.0.0.1` / `10.0.0.2` would land close together.
//! Both parts are fixed by their published constants; the test vectors in
//! `tests.rs` pin the output.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hash a request key (client IP octets, URI, header value…) for
/// [`Balancer::pick`](super::Balancer::pick). Stable across processes,
/// platforms and Rust versions.
pub(crate) fn hash_key(bytes: &[u8]) -> u64 {
    fmix64(fnv1a(FNV_OFFSET, bytes))
}

/// Position of virtual node `j` of the node whose address is `addr`: the same
/// as `hash_key(addr ++ j as 4 little-endian bytes)`. Positions depend on the
/// address, never on the node's index, so removing or reordering nodes does
/// not move the others' points.
pub(super) fn ring_point(addr: &[u8], j: u32) -> u64 {
    fmix64(fnv1a(fnv1a(FNV_OFFSET, addr), &j.to_le_bytes()))
}

/// Rendezvous (highest random weight) score of a node for a key, used when
/// the ring walk gives up; `seed` is `hash_key(addr)`.
pub(super) fn rendezvous(key: u64, seed: u64) -> u64 {
    fmix64(key ^ seed)
}

pub(super) fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// MurmurHash3's `fmix64`: a bijection with full avalanche.
pub(super) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}
