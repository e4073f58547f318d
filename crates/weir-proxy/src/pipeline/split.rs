//! The split phase: which upstream takes a request of a service with a
//! traffic split — a target service's or its own. A force rule decides
//! first; then a sticky key, hashed into one of 10,000 buckets, keeps a
//! client on one side; other requests take the next bucket of a
//! low-discrepancy sequence (the golden-ratio additive recurrence), so the
//! shares hold to a fraction of a percent over any run of requests rather
//! than only on average. The service's own policies and answers apply
//! whatever the side; only the upstream is the target's.

use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderMap, header};
use weir_core::compile::{CompiledSplit, SPLIT_SCALE, SplitKey};

use super::route::Routed;
use crate::balance::hash_key;
use crate::snapshot::Snapshot;

/// Why a request went to its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Force rule `n` (0-based) matched.
    Forced(usize),
    /// The sticky key's bucket.
    Sticky(u32),
    /// The next bucket of the sequence.
    Shared(u32),
}

/// Where a request goes: the service whose upstream takes it (the routed
/// one when it stays), and why.
pub(crate) struct Side<'s> {
    pub upstream_of: Routed<'s>,
    pub reason: Reason,
}

/// The side of a request to `routed` (itself when it has no split).
/// `peek` leaves the sequence where it is (explain).
pub(crate) fn choose<'s>(
    snap: &'s Snapshot,
    routed: Routed<'s>,
    headers: &HeaderMap,
    peek: bool,
) -> Option<Side<'s>> {
    let split = routed.svc.split.as_ref()?;
    for (n, rule) in split.force.iter().enumerate() {
        let matched = field(&rule.key, headers, |v| {
            rule.value
                .as_deref()
                .is_none_or(|want| v == want.as_bytes())
        });
        if matched {
            let upstream_of = rule.index.and_then(|i| enabled(snap, i)).unwrap_or(routed);
            return Some(Side {
                upstream_of,
                reason: Reason::Forced(n),
            });
        }
    }
    let (bucket, reason) = match sticky_bucket(split, headers) {
        Some(b) => (b, Reason::Sticky(b)),
        None => {
            let b = sequence_bucket(split, peek);
            (b, Reason::Shared(b))
        }
    };
    let upstream_of = split
        .targets
        .iter()
        .find(|t| bucket < t.upto)
        .and_then(|t| enabled(snap, t.index))
        .unwrap_or(routed);
    Some(Side {
        upstream_of,
        reason,
    })
}

/// Target `index` while it is enabled: a disabled target takes no share
/// (its requests stay on the service's own upstream).
fn enabled(snap: &Snapshot, index: u32) -> Option<Routed<'_>> {
    let i = index as usize;
    match (snap.config.services.get(i), snap.services.get(i)) {
        (Some(svc), Some(rt)) if svc.spec.enabled => Some(Routed { svc, rt }),
        _ => None,
    }
}

/// Whether `key` has a value `accept` takes: a header's value, or a
/// cookie's in any `Cookie` field.
fn field(key: &SplitKey, headers: &HeaderMap, accept: impl Fn(&[u8]) -> bool) -> bool {
    match key {
        SplitKey::Header(name) => headers.get_all(name).iter().any(|v| accept(v.as_bytes())),
        SplitKey::Cookie(name) => cookie(headers, name).is_some_and(accept),
    }
}

/// The value of cookie `name` (the first one sent).
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b';'))
        .find_map(|pair| {
            let pair = pair.trim_ascii();
            let eq = pair.iter().position(|&b| b == b'=')?;
            (pair[..eq].trim_ascii() == name.as_bytes()).then(|| pair[eq + 1..].trim_ascii())
        })
}

/// The bucket of the sticky key's value, when the request has one. The
/// hash is mixed again so that it does not follow consistent hashing's
/// node choice on the same field.
fn sticky_bucket(split: &CompiledSplit, headers: &HeaderMap) -> Option<u32> {
    let value = match split.sticky.as_ref()? {
        SplitKey::Header(name) => headers.get(name).map(|v| v.as_bytes()),
        SplitKey::Cookie(name) => cookie(headers, name),
    }?;
    let h = hash_key(value) ^ 0x5bd1_e995_9e37_79b9;
    Some(to_bucket(h.wrapping_mul(0xff51_afd7_ed55_8ccd)))
}

/// The n-th point of the additive recurrence frac(n·φ) as a bucket.
fn sequence_bucket(split: &CompiledSplit, peek: bool) -> u32 {
    next_bucket(&split.sequence, peek)
}

/// The next point of the golden-ratio sequence kept in `sequence` as a
/// bucket in 0..10,000 (a split's and a mirror's shares alike); `peek`
/// leaves the sequence where it is.
pub(crate) fn next_bucket(sequence: &AtomicU64, peek: bool) -> u32 {
    let n = if peek {
        sequence.load(Ordering::Relaxed)
    } else {
        sequence.fetch_add(1, Ordering::Relaxed)
    };
    to_bucket(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// A 64-bit fraction of one as a bucket in 0..10,000.
fn to_bucket(fraction: u64) -> u32 {
    ((u128::from(fraction) * u128::from(SPLIT_SCALE)) >> 64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_spreads_evenly_over_any_run() {
        let split = CompiledSplit {
            targets: Box::new([]),
            sticky: None,
            force: Box::new([]),
            sequence: Default::default(),
        };
        for run in [100usize, 1000, 10_000] {
            let below_500 = (0..run)
                .filter(|_| sequence_bucket(&split, false) < 500)
                .count();
            // 5 % of every run, within one request per hundred.
            let want = run / 20;
            assert!(
                below_500.abs_diff(want) <= run / 100 + 1,
                "{run}: {below_500}"
            );
        }
        let before = split.sequence.load(Ordering::Relaxed);
        sequence_bucket(&split, true);
        assert_eq!(split.sequence.load(Ordering::Relaxed), before, "peek");
    }

    #[test]
    fn cookies_are_found_in_any_field() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; canary=yes".parse().unwrap());
        h.append(header::COOKIE, "b = 2".parse().unwrap());
        assert_eq!(cookie(&h, "canary"), Some(&b"yes"[..]));
        assert_eq!(cookie(&h, "b"), Some(&b"2"[..]));
        assert_eq!(cookie(&h, "can"), None);
    }

    #[test]
    fn buckets_cover_the_scale() {
        assert_eq!(to_bucket(0), 0);
        assert_eq!(to_bucket(u64::MAX), SPLIT_SCALE - 1);
        assert_eq!(to_bucket(1 << 63), SPLIT_SCALE / 2);
    }
}
