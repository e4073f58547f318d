//! The pick phase: the key consistent hashing uses, and the node a request
//! or connection goes to. With `fail_open`, when no member is available
//! (all ejected or unhealthy), every enabled one may be tried rather than
//! refusing everything.

use std::net::IpAddr;

use http::HeaderMap;
use http::uri::PathAndQuery;
use weir_core::compile::CompiledUpstream;
use weir_core::{Balance, HashKey};

use crate::balance::{Peek, Pick, hash_key};
use crate::upstream::{Members, UpstreamRuntime};

/// The hash consistent hashing keys on; 0 for other strategies. `target`
/// is the request's path and query (none for a TCP connection).
pub(crate) fn request_hash(
    spec: &CompiledUpstream,
    client: IpAddr,
    target: Option<&PathAndQuery>,
    headers: &HeaderMap,
) -> u64 {
    if spec.balance != Balance::ConsistentHash {
        return 0;
    }
    let ip_hash = || match client {
        IpAddr::V4(a) => hash_key(&a.octets()),
        IpAddr::V6(a) => hash_key(&a.octets()),
    };
    match &spec.hash_key {
        HashKey::ClientIp => ip_hash(),
        HashKey::Uri => hash_key(target.map_or(b"/", |pq| pq.as_str().as_bytes())),
        // A request without the header falls back to its client IP rather
        // than piling every such request onto one node.
        HashKey::Header(name) => match headers.get(name.as_str()) {
            Some(v) => hash_key(v.as_bytes()),
            None => ip_hash(),
        },
    }
}

/// Choose a node for one attempt, never one of `tried` (the nodes earlier
/// attempts of the request went to).
pub(crate) fn pick(
    up: &UpstreamRuntime,
    members: &Members,
    hash: u64,
    now_ns: u64,
    tried: &[usize],
) -> Option<Pick> {
    let fresh = |i: usize| !tried.contains(&i);
    let usable = |i: usize| fresh(i) && members.list[i].usable(now_ns);
    let enabled = |i: usize| fresh(i) && members.list[i].enabled;
    match members.balancer.pick(hash, usable, None) {
        Some(p) => Some(p),
        None if up.spec.fail_open => members.balancer.pick(hash, enabled, None),
        None => None,
    }
}

/// Which node [`pick`] would choose, without choosing it (for explain).
pub(crate) fn peek(up: &UpstreamRuntime, members: &Members, hash: u64, now_ns: u64) -> Peek {
    let list = &members.list;
    let usable = |i: usize| list.get(i).is_some_and(|n| n.usable(now_ns));
    match members.balancer.peek(hash, usable) {
        Peek::Empty if up.spec.fail_open => members
            .balancer
            .peek(hash, |i| list.get(i).is_some_and(|n| n.enabled)),
        peeked => peeked,
    }
}
