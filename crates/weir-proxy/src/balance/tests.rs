//! Unit tests for the balancer: exact sequences where the algorithm is
//! deterministic, stated tolerances where it is random or hash-based.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use weir_core::Balance;
use weir_core::compile::{CompiledNode, NodeAddr};

use super::consistent_hash::{MAX_POINTS, POINTS_PER_UNIT};
use super::cycle::Cycle;
use super::hash::{fmix64, fnv1a};
use super::weighted::{WeightedRoundRobin, smooth_schedule};
use super::{Balancer, Pick, Strategy, hash_key};

const ALL: [Balance; 5] = [
    Balance::Random,
    Balance::RoundRobin,
    Balance::WeightedRoundRobin,
    Balance::ConsistentHash,
    Balance::LeastRequest,
];

fn addr(i: usize) -> String {
    format!(
        "10.{}.{}.{}:8080",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}

fn node(addr: &str, weight: u32) -> CompiledNode {
    CompiledNode {
        addr: NodeAddr::parse(addr).unwrap(),
        weight,
        enabled: true,
    }
}

fn weighted(weights: &[u32]) -> Vec<CompiledNode> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &w)| node(&addr(i), w))
        .collect()
}

fn equal(n: usize) -> Vec<CompiledNode> {
    weighted(&vec![1; n])
}

fn all(_: usize) -> bool {
    true
}

fn pick(b: &Balancer) -> usize {
    b.pick(0, all, None).unwrap().index
}

fn sequence(b: &Balancer, n: usize) -> Vec<usize> {
    (0..n).map(|_| pick(b)).collect()
}

fn counts(seq: &[usize], nodes: usize) -> Vec<usize> {
    let mut c = vec![0; nodes];
    for &i in seq {
        c[i] += 1;
    }
    c
}

fn max_run(seq: &[usize], node: usize) -> usize {
    let (mut best, mut run) = (0, 0);
    for &i in seq {
        run = if i == node { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// nginx's smooth weighted round robin, straight from
/// `ngx_http_upstream_get_peer`, as the reference.
fn nginx(weights: &[u64], usable: impl Fn(usize) -> bool, picks: usize) -> Vec<usize> {
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(picks);
    for _ in 0..picks {
        let mut total = 0;
        let mut best: Option<usize> = None;
        for (i, &w) in weights.iter().enumerate() {
            if w == 0 || !usable(i) {
                continue;
            }
            current[i] += w as i64;
            total += w as i64;
            if best.is_none_or(|b| current[i] > current[b]) {
                best = Some(i);
            }
        }
        let b = best.unwrap();
        current[b] -= total;
        out.push(b);
    }
    out
}

fn key(i: usize) -> u64 {
    hash_key(format!("client-{i}").as_bytes())
}

/// Node address each of `keys` lands on.
fn placement(b: &Balancer, nodes: &[CompiledNode], keys: usize) -> Vec<String> {
    (0..keys)
        .map(|k| {
            let i = b.pick(key(k), all, None).unwrap().index;
            nodes[i].addr.to_string()
        })
        .collect()
}

// ---- hash -----------------------------------------------------------------

#[test]
fn fnv1a_matches_published_vectors() {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    assert_eq!(fnv1a(OFFSET, b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn hash_key_is_pinned() {
    // Changing these values remaps every consistent-hash key in every
    // deployment: do not, unless that is the intent. Computed independently
    // (a few lines of Python over the published FNV-1a and fmix64 constants).
    assert_eq!(hash_key(b""), fmix64(0xcbf2_9ce4_8422_2325));
    assert_eq!(fmix64(0), 0);
    assert_eq!(hash_key(b"10.0.0.1"), 0xc879_e56d_dc6c_5c88);
    assert_eq!(hash_key(b"/api/users?id=7"), 0x4d95_8584_624c_ee13);
    assert_eq!(
        super::hash::ring_point(b"10.0.0.1:80", 3),
        0x1548_7220_16fd_324e
    );
}

// ---- cycle ----------------------------------------------------------------

#[test]
fn cycle_walks_one_run_at_a_time() {
    let c = Cycle::new(vec![0, 0, 0, 1, 1, 2, 0]);
    // From inside the first run of 0s, the next different node is 1 at 3.
    assert_eq!(c.walk(1, 10, |i| i != 0), Some((1, 2)));
    // Wrapping: position 6 (0) → 0 (still 0s, skipped as one run) → 3.
    assert_eq!(c.walk(6, 10, |i| i == 1), Some((1, 4)));
    assert_eq!(c.walk(0, 10, |i| i == 2), Some((2, 5)));
    assert_eq!(c.walk(0, 10, |_| false), None);
    assert_eq!(c.walk(0, 1, |i| i == 2), None, "run limit");
    let same = Cycle::new(vec![4, 4, 4]);
    assert_eq!(same.walk(2, 10, |_| true), Some((4, 0)));
    assert_eq!(same.walk(2, 10, |_| false), None);
    assert_eq!(Cycle::new(Vec::new()).walk(0, 10, |_| true), None);
}

// ---- random ---------------------------------------------------------------

#[test]
fn random_is_uniform() {
    let b = Balancer::new(Balance::Random, &equal(3));
    let c = counts(&sequence(&b, 60_000), 3);
    for n in c {
        assert!((19_000..=21_000).contains(&n), "{n} not within 20000 ±5%");
    }
}

#[test]
fn random_chooses_among_usable() {
    let b = Balancer::new(Balance::Random, &equal(10));
    let mut c = vec![0; 10];
    for _ in 0..20_000 {
        let p = b.pick(0, |i| i == 3 || i == 7, None).unwrap();
        c[p.index] += 1;
    }
    assert_eq!(c[3] + c[7], 20_000);
    for n in [c[3], c[7]] {
        assert!((9_000..=11_000).contains(&n), "{c:?}");
    }
}

// ---- round robin ----------------------------------------------------------

#[test]
fn round_robin_is_cyclic() {
    let b = Balancer::new(Balance::RoundRobin, &equal(3));
    assert_eq!(sequence(&b, 9), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
fn round_robin_skips_unusable_evenly() {
    let b = Balancer::new(Balance::RoundRobin, &equal(3));
    let seq: Vec<usize> = (0..8)
        .map(|_| b.pick(0, |i| i != 1, None).unwrap().index)
        .collect();
    // Not 0, 2, 2, 0, 2, 2: the node after the unusable one gets no extra share.
    assert_eq!(seq, [0, 2, 0, 2, 0, 2, 0, 2]);

    let b = Balancer::new(Balance::RoundRobin, &equal(4));
    let seq: Vec<usize> = (0..6)
        .map(|_| b.pick(0, |i| i == 0 || i == 3, None).unwrap().index)
        .collect();
    assert_eq!(seq, [0, 3, 0, 3, 0, 3]);
}

#[test]
fn round_robin_skips_excluded_and_disabled() {
    let b = Balancer::new(Balance::RoundRobin, &equal(3));
    assert_eq!(b.pick(0, all, Some(0)).unwrap().index, 1);
    assert_eq!(pick(&b), 2);
    assert_eq!(pick(&b), 0);

    let mut nodes = equal(3);
    nodes[1].enabled = false;
    let b = Balancer::new(Balance::RoundRobin, &nodes);
    assert_eq!(sequence(&b, 6), [0, 2, 0, 2, 0, 2]);
}

#[test]
fn round_robin_is_exact_across_threads() {
    let b = Balancer::new(Balance::RoundRobin, &equal(4));
    let c: [AtomicUsize; 4] = Default::default();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10_000 {
                    c[pick(&b)].fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let c: Vec<usize> = c.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    assert_eq!(c, [10_000; 4]);
}

#[test]
fn round_robin_ignores_weight() {
    let b = Balancer::new(Balance::RoundRobin, &weighted(&[0, 5, 0]));
    assert_eq!(sequence(&b, 3), [0, 1, 2]);
}

// ---- weighted round robin -------------------------------------------------

#[test]
fn wrr_5_1_1_is_nginx_sequence() {
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&[5, 1, 1]));
    // a a b a c a a
    assert_eq!(sequence(&b, 14), [0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]);
}

#[test]
fn wrr_1_2_3_exact_and_smooth() {
    let weights = [1, 2, 3];
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&weights));
    let seq = sequence(&b, 6_000);
    assert_eq!(counts(&seq, 3), [1_000, 2_000, 3_000]);
    assert_eq!(&seq[..6], [2, 1, 0, 2, 1, 2], "interleaved: c b a c b c");
    let reference = nginx(&[1, 2, 3], all, 6_000);
    assert_eq!(seq, reference);
    let min = weights.iter().min().unwrap();
    for (i, &w) in weights.iter().enumerate() {
        let run = max_run(&seq, i);
        assert!(run <= w.div_ceil(*min) as usize, "node {i}: run {run}");
        assert!(run <= max_run(&reference, i));
    }
}

#[test]
fn wrr_schedule_matches_nginx() {
    let cases: Vec<Vec<u64>> = vec![
        vec![1],
        vec![7],
        vec![4, 6],      // gcd 2
        vec![100, 1, 1], // long runs of node 0
        vec![3, 3, 3, 2, 2, 9, 1],
        (0..300).map(|i| (i * 7 % 13 + 1) as u64).collect(),
        (0..50).map(|i| if i % 10 == 0 { 40 } else { 3 }).collect(),
    ];
    for weights in cases {
        let g = weights.iter().fold(0, |g, &w| num_gcd(g, w));
        let reduced: Vec<u64> = weights.iter().map(|w| w / g).collect();
        let reduced_eligible: Vec<(usize, u64)> = reduced.iter().copied().enumerate().collect();
        let period: u64 = reduced.iter().sum();
        let schedule: Vec<usize> = smooth_schedule(&reduced_eligible, period)
            .into_iter()
            .map(|i| i as usize)
            .collect();
        assert_eq!(
            schedule,
            nginx(&reduced, all, period as usize),
            "{weights:?}"
        );
        // The unreduced weights produce the same sequence in nginx too.
        assert_eq!(schedule, nginx(&weights, all, period as usize));

        let nodes = weighted(&weights.iter().map(|&w| w as u32).collect::<Vec<_>>());
        let b = Balancer::new(Balance::WeightedRoundRobin, &nodes);
        assert_eq!(
            sequence(&b, 2 * period as usize),
            nginx(&weights, all, 2 * period as usize)
        );
    }
}

fn num_gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { num_gcd(b, a % b) }
}

#[test]
fn wrr_leaves_out_disabled_and_zero_weight() {
    let mut nodes = weighted(&[5, 1, 1, 0]);
    nodes[1].enabled = false;
    let b = Balancer::new(Balance::WeightedRoundRobin, &nodes);
    let seq = sequence(&b, 60);
    assert_eq!(counts(&seq, 4), [50, 0, 10, 0]);
    assert_eq!(seq, nginx(&[5, 0, 1, 0], all, 60));
}

#[test]
fn wrr_unusable_moves_on_in_sequence() {
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&[5, 1, 1]));
    let seq: Vec<usize> = (0..600)
        .map(|_| b.pick(0, |i| i != 1, None).unwrap().index)
        .collect();
    // b's slot is skipped and the period continues: a a a c a a, 5:1.
    assert_eq!(&seq[..6], [0, 0, 0, 2, 0, 0]);
    assert_eq!(counts(&seq, 3), [500, 0, 100]);

    // A heavy node down: its long runs are skipped whole and the light nodes
    // share evenly (not all traffic to the node after it).
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&[100, 1, 1]));
    let seq: Vec<usize> = (0..1_000)
        .map(|_| b.pick(0, |i| i != 0, None).unwrap().index)
        .collect();
    let c = counts(&seq, 3);
    assert!((450..=550).contains(&c[1]) && c[1] + c[2] == 1_000, "{c:?}");
}

#[test]
fn wrr_mass_outage_falls_back_by_weight() {
    // 40 heavy nodes down: the walk gives up (more than 2n+16 runs between
    // light nodes) and the weight fallback must still find the light ones,
    // in proportion 1:3.
    let mut weights = vec![10; 40];
    weights.extend([1, 3]);
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&weights));
    let seq: Vec<usize> = (0..4_000)
        .map(|_| b.pick(0, |i| i >= 40, None).unwrap().index)
        .collect();
    let c = counts(&seq, 42);
    assert_eq!(c[40] + c[41], 4_000);
    assert!((800..=1_200).contains(&c[40]), "{:?}", &c[40..]);
}

#[test]
fn wrr_large_weights_use_exact_locked_fallback() {
    let weights = [1_000_000, 999_999, 3];
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&weights));
    assert!(matches!(
        b.strategy,
        Strategy::WeightedRoundRobin(WeightedRoundRobin::Locked(_))
    ));
    let reference = nginx(&[1_000_000, 999_999, 3], all, 1_000);
    assert_eq!(sequence(&b, 1_000), reference);

    // One full period (after the 1,000 above, still a full period): exact.
    let period = 2_000_002;
    let c = counts(&sequence(&b, period), 3);
    assert_eq!(c, [1_000_000, 999_999, 3]);

    // Proportions over a partial run, ±1% of all picks.
    let c = counts(&sequence(&b, 100_000), 3);
    for (i, &w) in weights.iter().enumerate() {
        let expected = 100_000.0 * f64::from(w) / 2_000_002.0;
        assert!((c[i] as f64 - expected).abs() <= 1_000.0, "{c:?}");
    }

    // Unusable nodes are skipped as nginx skips down peers.
    let got: Vec<usize> = (0..100)
        .map(|_| b.pick(0, |i| i != 0, None).unwrap().index)
        .collect();
    assert!(got.iter().all(|&i| i != 0));
    assert_eq!(b.pick(0, |i| i == 2, Some(2)).map(|p| p.index), None);
}

#[test]
fn wrr_builds_large_node_counts() {
    // 65,536 weight-1 nodes: a full-size schedule of one weight group.
    let b = Balancer::new(Balance::WeightedRoundRobin, &equal(65_536));
    assert!(matches!(
        b.strategy,
        Strategy::WeightedRoundRobin(WeightedRoundRobin::Schedule(_))
    ));
    assert_eq!(sequence(&b, 3), [0, 1, 2]);
    // Many distinct weights.
    let weights: Vec<u32> = (0..2_000).map(|i| i % 30 + 1).collect();
    let b = Balancer::new(Balance::WeightedRoundRobin, &weighted(&weights));
    let period: u32 = weights.iter().sum();
    let c = counts(&sequence(&b, period as usize), weights.len());
    assert!(c.iter().zip(&weights).all(|(&c, &w)| c == w as usize));
}

// ---- consistent hash ------------------------------------------------------

#[test]
fn consistent_hash_is_stable() {
    let nodes = equal(5);
    let a = Balancer::new(Balance::ConsistentHash, &nodes);
    let b = Balancer::new(Balance::ConsistentHash, &nodes);
    for k in 0..1_000 {
        let first = a.pick(key(k), all, None).unwrap().index;
        assert_eq!(a.pick(key(k), all, None).unwrap().index, first);
        assert_eq!(b.pick(key(k), all, None).unwrap().index, first);
    }
    // Reordering the node list moves no key.
    let mut reversed = nodes.clone();
    reversed.reverse();
    let r = Balancer::new(Balance::ConsistentHash, &reversed);
    assert_eq!(
        placement(&a, &nodes, 2_000),
        placement(&r, &reversed, 2_000)
    );
}

#[test]
fn consistent_hash_spreads_equal_nodes() {
    let b = Balancer::new(Balance::ConsistentHash, &equal(4));
    let seq: Vec<usize> = (0..10_000)
        .map(|k| b.pick(key(k), all, None).unwrap().index)
        .collect();
    for n in counts(&seq, 4) {
        assert!((2_125..=2_875).contains(&n), "{n} not within 2500 ±15%");
    }
}

#[test]
fn consistent_hash_follows_weight() {
    let b = Balancer::new(Balance::ConsistentHash, &weighted(&[2, 1]));
    let Strategy::ConsistentHash(ring) = &b.strategy else {
        panic!("not a ring")
    };
    let unit = POINTS_PER_UNIT as usize;
    assert_eq!(ring.point_counts(2), [2 * unit, unit]);
    let seq: Vec<usize> = (0..10_000)
        .map(|k| b.pick(key(k), all, None).unwrap().index)
        .collect();
    let c = counts(&seq, 2);
    let ratio = c[0] as f64 / c[1] as f64;
    assert!((1.8..=2.2).contains(&ratio), "{c:?}");
}

#[test]
fn consistent_hash_removal_moves_only_removed_keys() {
    let nodes = equal(5);
    let before = placement(
        &Balancer::new(Balance::ConsistentHash, &nodes),
        &nodes,
        10_000,
    );
    let removed = nodes[2].addr.to_string();
    let mut fewer = nodes.clone();
    fewer.remove(2);
    let after = placement(
        &Balancer::new(Balance::ConsistentHash, &fewer),
        &fewer,
        10_000,
    );
    let mut moved = 0;
    for (b, a) in before.iter().zip(&after) {
        if b != a {
            assert_eq!(*b, removed, "a key not on the removed node moved");
            moved += 1;
        }
    }
    assert!(moved <= 2_500, "{moved} keys moved (≤ 1/5 + 5%)");
    assert_eq!(moved, before.iter().filter(|a| **a == removed).count());
}

#[test]
fn consistent_hash_unusable_moves_to_next_node() {
    let nodes = equal(5);
    let b = Balancer::new(Balance::ConsistentHash, &nodes);
    let before = placement(&b, &nodes, 10_000);
    // Node 2 unusable: exactly the placement of a ring built without it, i.e.
    // each of its keys goes to the next node clockwise and nothing else moves.
    let mut fewer = nodes.clone();
    fewer.remove(2);
    let without = placement(
        &Balancer::new(Balance::ConsistentHash, &fewer),
        &fewer,
        10_000,
    );
    let mut moved_to = HashMap::new();
    for k in 0..10_000 {
        let i = b.pick(key(k), |i| i != 2, None).unwrap().index;
        let got = nodes[i].addr.to_string();
        assert_eq!(got, without[k]);
        if before[k] != got {
            *moved_to.entry(got).or_insert(0) += 1;
        }
        // A retry excluding the first choice gets another node.
        let first = b.pick(key(k), all, None).unwrap().index;
        let retry = b.pick(key(k), all, Some(first)).unwrap().index;
        assert_ne!(retry, first);
    }
    // The orphaned keys spread over several neighbours.
    assert!(moved_to.len() >= 3, "{moved_to:?}");
}

#[test]
fn consistent_hash_mass_outage_still_finds_a_node() {
    let nodes = equal(600);
    let b = Balancer::new(Balance::ConsistentHash, &nodes);
    let mut seen = HashMap::new();
    for k in 0..2_000 {
        let usable = |i: usize| i == 17 || i == 400;
        let p = b.pick(key(k), usable, None).unwrap().index;
        assert!(usable(p));
        // Deterministic.
        assert_eq!(b.pick(key(k), usable, None).unwrap().index, p);
        *seen.entry(p).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2, "both usable nodes receive keys");
    let only = b.pick(key(1), |i| i == 599, None).unwrap().index;
    assert_eq!(only, 599);
}

#[test]
fn consistent_hash_caps_ring_size() {
    let b = Balancer::new(Balance::ConsistentHash, &equal(3_000));
    let Strategy::ConsistentHash(ring) = &b.strategy else {
        panic!("not a ring")
    };
    let counts = ring.point_counts(3_000);
    let total: usize = counts.iter().sum();
    assert!(total as u64 <= MAX_POINTS + 3_000, "{total}");
    assert!(counts.iter().all(|&c| c >= 100), "{:?}", &counts[..10]);

    // Very uneven weights: capped, yet the light node keeps a point.
    let b = Balancer::new(Balance::ConsistentHash, &weighted(&[1_000_000, 1, 0]));
    let Strategy::ConsistentHash(ring) = &b.strategy else {
        panic!("not a ring")
    };
    let counts = ring.point_counts(3);
    assert!(counts[0] as u64 <= MAX_POINTS);
    assert!(counts[1] >= 1);
    assert_eq!(counts[2], 0, "weight 0 is never picked");
    assert!((0..1_000).all(|k| b.pick(key(k), all, None).unwrap().index != 2));
}

// ---- least request --------------------------------------------------------

fn in_flight(b: &Balancer, i: usize) -> usize {
    let Strategy::LeastRequest(lr) = &b.strategy else {
        panic!("not least_request")
    };
    lr.in_flight(i)
}

#[test]
fn least_request_avoids_busy_node() {
    let b = Balancer::new(Balance::LeastRequest, &equal(3));
    let held: Vec<Pick> = (0..50)
        .map(|_| b.pick(0, |i| i == 0, None).unwrap())
        .collect();
    assert_eq!(in_flight(&b, 0), 50);
    let c = counts(&sequence(&b, 3_000), 3);
    // Each pick compares two distinct nodes, so the busy one never wins.
    assert_eq!(c[0], 0, "{c:?}");
    assert!(c[1] > 1_000 && c[2] > 1_000, "{c:?}");
    drop(held);
    assert_eq!(in_flight(&b, 0), 0);
    assert_eq!(in_flight(&b, 1), 0);
}

#[test]
fn least_request_spreads_evenly() {
    let b = Balancer::new(Balance::LeastRequest, &equal(3));
    for n in counts(&sequence(&b, 30_000), 3) {
        assert!((9_000..=11_000).contains(&n), "{n}");
    }
    // Held requests stay balanced.
    let b = Balancer::new(Balance::LeastRequest, &equal(4));
    let held: Vec<Pick> = (0..1_000).map(|_| b.pick(0, all, None).unwrap()).collect();
    let loads: Vec<usize> = (0..4).map(|i| in_flight(&b, i)).collect();
    let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
    assert!(hi - lo <= 5, "{loads:?}");
    drop(held);
    assert!((0..4).all(|i| in_flight(&b, i) == 0));
}

#[test]
fn least_request_guards_across_threads() {
    let b = Balancer::new(Balance::LeastRequest, &equal(5));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5_000 {
                    let p = b.pick(0, |i| i != 4, None).unwrap();
                    assert_ne!(p.index, 4);
                }
            });
        }
    });
    assert!((0..5).all(|i| in_flight(&b, i) == 0));
}

#[test]
fn least_request_ignores_weight() {
    let b = Balancer::new(Balance::LeastRequest, &weighted(&[0, 0]));
    let c = counts(&sequence(&b, 1_000), 2);
    assert!(c[0] > 0 && c[1] > 0);
}

// ---- every strategy -------------------------------------------------------

#[test]
fn none_when_nothing_usable() {
    for balance in ALL {
        let b = Balancer::new(balance, &[]);
        assert!(b.pick(1, all, None).is_none(), "{balance:?}: no nodes");

        let b = Balancer::new(balance, &equal(4));
        assert!(
            b.pick(1, |_| false, None).is_none(),
            "{balance:?}: unusable"
        );

        let mut disabled = equal(3);
        for n in &mut disabled {
            n.enabled = false;
        }
        let b = Balancer::new(balance, &disabled);
        assert!(b.pick(1, all, None).is_none(), "{balance:?}: disabled");
    }
}

#[test]
fn zero_weights_never_panic() {
    for balance in ALL {
        let b = Balancer::new(balance, &weighted(&[0, 0, 0]));
        for k in 0..10 {
            let got = b.pick(key(k), all, None).map(|p| p.index);
            match balance {
                Balance::WeightedRoundRobin | Balance::ConsistentHash => {
                    assert_eq!(got, None, "{balance:?}")
                }
                _ => assert!(got.is_some(), "{balance:?}"),
            }
        }
    }
}

#[test]
fn exclude_is_honoured() {
    for balance in ALL {
        let b = Balancer::new(balance, &equal(3));
        for k in 0..300 {
            let p = b.pick(key(k), all, Some(k % 3)).unwrap();
            assert_ne!(p.index, k % 3, "{balance:?}");
            // Only node 1 is usable and it is excluded: the caller decides.
            assert!(b.pick(key(k), |i| i == 1, Some(1)).is_none(), "{balance:?}");
            // Only node 1 usable and another excluded: node 1.
            assert_eq!(b.pick(key(k), |i| i == 1, Some(0)).unwrap().index, 1);
        }
        // Out-of-range indexes are simply not nodes.
        assert!(b.pick(0, all, Some(99)).is_some());
    }
}

#[test]
fn disabled_nodes_are_never_picked() {
    for balance in ALL {
        let mut nodes = equal(4);
        nodes[0].enabled = false;
        nodes[2].enabled = false;
        let b = Balancer::new(balance, &nodes);
        for k in 0..400 {
            let i = b.pick(key(k), all, None).unwrap().index;
            assert!(i == 1 || i == 3, "{balance:?} picked {i}");
        }
    }
}

#[test]
fn balancer_and_pick_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Balancer>();
    send_sync::<Pick>();
    assert_eq!(
        Balancer::new(Balance::ConsistentHash, &equal(2)).balance(),
        Balance::ConsistentHash
    );
    let dbg = format!("{:?}", Balancer::new(Balance::Random, &equal(2)));
    assert!(dbg.contains("random"), "{dbg}");
}
