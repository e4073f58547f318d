use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use jiff::tz::TimeZone;
use weir_core::compile::Rate;

use super::*;

const SEC: u64 = 1_000_000_000;

/// Offer `offered` requests per second, evenly spaced, for `secs` seconds;
/// count what a limit of `rate` lets through.
fn accepted_under_overload(rate: Rate, offered: u64, secs: u64) -> u64 {
    let cell = GcraCell::new();
    let start = 10 * SEC;
    let step = SEC / offered;
    (0..offered * secs)
        .filter(|i| cell.acquire(rate, start + i * step).allowed)
        .count() as u64
}

#[test]
fn steady_overload_is_held_to_the_rate() {
    for (qps, offered) in [(10, 100), (100, 1000), (1000, 5000), (7, 70)] {
        let rate = Rate::new(qps, None).unwrap();
        let got = accepted_under_overload(rate, offered, 5);
        let want = u64::from(qps) * 5;
        let err = got.abs_diff(want) as f64 / want as f64;
        assert!(
            err <= 0.10,
            "qps {qps}: {got} accepted in 5 s, want {want} ±10%"
        );
    }
}

#[test]
fn burst_then_steady_and_headers() {
    let rate = Rate::new(10, Some(3)).unwrap();
    let cell = GcraCell::new();
    let now = 5 * SEC;
    let d: Vec<_> = (0..4).map(|_| cell.acquire(rate, now)).collect();
    assert_eq!(d.iter().filter(|d| d.allowed).count(), 3, "burst of 3");
    assert_eq!(d[0].remaining, 2);
    assert_eq!(d[2].remaining, 0);
    let refused = d[3];
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 10);
    assert_eq!(refused.retry_after, Duration::from_millis(100));
    // After one interval exactly one more fits.
    assert!(cell.acquire(rate, now + SEC / 10).allowed);
    assert!(!cell.acquire(rate, now + SEC / 10).allowed);
}

#[tokio::test(start_paused = true)]
async fn paused_clock_drives_the_limiter() {
    let rate = Rate::new(50, Some(1)).unwrap();
    let cell = GcraCell::new();
    let mut allowed = 0;
    // 500 attempts per second for 5 virtual seconds.
    for _ in 0..2500 {
        if cell.acquire(rate, crate::clock::mono_nanos()).allowed {
            allowed += 1;
        }
        tokio::time::advance(Duration::from_millis(2)).await;
    }
    assert!(
        (225..=275).contains(&allowed),
        "{allowed} allowed, want 250 ±10%"
    );
}

#[test]
fn concurrent_acquires_never_exceed_the_bucket() {
    let rate = Rate::new(1000, Some(100)).unwrap();
    let cell = std::sync::Arc::new(GcraCell::new());
    let now = 100 * SEC;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let cell = cell.clone();
            std::thread::spawn(move || {
                (0..1000)
                    .filter(|_| cell.acquire(rate, now).allowed)
                    .count()
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 100, "exactly the burst at one instant");
}

#[test]
fn per_ip_limits_are_independent() {
    let rate = Rate::new(1, Some(1)).unwrap();
    let table = KeyedLimiter::new(1000);
    let now = 10 * SEC;
    let a = IpAddr::from([10, 0, 0, 1]);
    let b = IpAddr::from([10, 0, 0, 2]);
    assert!(table.acquire(a, rate, now).allowed);
    assert!(!table.acquire(a, rate, now).allowed);
    assert!(table.acquire(b, rate, now).allowed);
    assert!(table.acquire(a, rate, now + SEC).allowed);
}

/// A flood of a million distinct addresses keeps the table within its
/// capacity: memory is bounded by capacity × entry size.
#[test]
fn million_distinct_ips_stay_bounded() {
    let rate = Rate::new(10, None).unwrap();
    let capacity = DEFAULT_CAPACITY;
    let table = KeyedLimiter::new(capacity);
    // 1,000,000 addresses within one second: every bucket is live.
    let start = 10 * SEC;
    for i in 0..1_000_000u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
        let d = table.acquire(ip, rate, start + u64::from(i) * 1000);
        assert!(d.allowed, "a first request is always allowed");
    }
    let len = table.len();
    assert!(
        len <= capacity + 16,
        "{len} keys tracked, capacity {capacity}"
    );
    let bytes = table.approx_bytes();
    // Documented bound (docs/policies.md): 100,000 addresses ≈ 6 MiB.
    assert!(bytes <= 8 << 20, "{} MiB", bytes >> 20);
    // Later, expired buckets are swept entirely.
    table.sweep(start + 100 * SEC);
    assert_eq!(table.len(), 0);
}

#[test]
fn daily_quota_rolls_over_at_local_midnight() {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    let counter = DailyCounter::new();
    // 2026-11-25 23:59:58 in Shanghai (UTC+8) = 15:59:58 UTC.
    let before_midnight = jiff::Timestamp::from_second(1_795_622_398)
        .unwrap()
        .as_millisecond();
    let ts = jiff::Timestamp::from_millisecond(before_midnight).unwrap();
    assert_eq!(ts.to_zoned(tz.clone()).time().to_string(), "23:59:58");
    for i in 0..3 {
        let d = counter.acquire(3, before_midnight + i, &tz);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2 - i as u64);
        assert_eq!(d.reset_secs, 2);
    }
    let refused = counter.acquire(3, before_midnight + 1500, &tz);
    assert!(!refused.allowed, "quota used up for the day");
    assert_eq!(refused.reset_secs, 1);
    // One second after local midnight: a new day.
    let after = counter.acquire(3, before_midnight + 3000, &tz);
    assert!(after.allowed);
    assert_eq!(after.remaining, 2);
    assert_eq!(after.reset_secs, 86_399);
    // In UTC the same instant is mid-afternoon: no rollover there.
    let utc = DailyCounter::new();
    for i in 0..3 {
        assert!(utc.acquire(3, before_midnight + i, &TimeZone::UTC).allowed);
    }
    assert!(
        !utc.acquire(3, before_midnight + 3000, &TimeZone::UTC)
            .allowed
    );
}

#[test]
fn day_bounds_follow_dst() {
    let tz = TimeZone::get("Europe/Berlin").unwrap();
    // 2026-03-29 is 23 hours long in Berlin.
    let noon = jiff::civil::date(2026, 3, 29)
        .at(12, 0, 0, 0)
        .to_zoned(tz.clone())
        .unwrap()
        .timestamp()
        .as_millisecond();
    let (start, end) = day_bounds(noon, &tz);
    assert_eq!(end - start, 23 * 3_600_000);
}

#[test]
fn ipv6_clients_are_keyed_by_their_network() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    // /64 by default: every address of one /64 is one client.
    let p = DEFAULT_IPV6_CLIENT_PREFIX;
    assert_eq!(
        client_key(ip("2001:db8:1:2:aaaa::1"), p),
        ip("2001:db8:1:2::")
    );
    assert_eq!(
        client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), p),
        ip("2001:db8:1:2::")
    );
    assert_ne!(client_key(ip("2001:db8:1:3::1"), p), ip("2001:db8:1:2::"));
    // IPv4, and IPv4-mapped IPv6, by address whatever the prefix.
    assert_eq!(client_key(ip("203.0.113.9"), p), ip("203.0.113.9"));
    assert_eq!(client_key(ip("::ffff:203.0.113.9"), p), ip("203.0.113.9"));
    // Other prefixes, including the edges.
    assert_eq!(client_key(ip("2001:db8:1:2::1"), 48), ip("2001:db8:1::"));
    assert_eq!(client_key(ip("2001:db8:1:2::1"), 56), ip("2001:db8:1::"));
    assert_eq!(
        client_key(ip("2001:db8:1:2ff::1"), 56),
        ip("2001:db8:1:200::")
    );
    assert_eq!(client_key(ip("2001:db8::1"), 128), ip("2001:db8::1"));
    assert_eq!(client_key(ip("2001:db8::1"), 0), ip("::"));
}

#[test]
fn one_ipv6_host_cannot_escape_the_client_limit_by_changing_address() {
    let limiters = ServiceLimiters::new(DEFAULT_CAPACITY, DEFAULT_IPV6_CLIENT_PREFIX);
    let rate = Rate::new(1, Some(3)).unwrap();
    let now = 10 * SEC;
    let backend = LocalLimits;
    let take = |addr: &str| {
        let scope = LimitScope::ClientIp {
            service: "s",
            ip: limiters.client_key(addr.parse().unwrap()),
            table: &limiters.client_ip,
        };
        backend.acquire(scope, rate, now).allowed
    };
    // Four requests from four addresses of one /64: the burst of 3 is shared.
    let got: Vec<bool> = (1..=4)
        .map(|i| take(&format!("2001:db8:0:7::{i}")))
        .collect();
    assert_eq!(got, [true, true, true, false]);
    // Another /64 has its own bucket.
    assert!(take("2001:db8:0:8::1"));
    // Per address when configured so.
    let exact = ServiceLimiters::new(DEFAULT_CAPACITY, 128);
    assert_ne!(
        exact.client_key("2001:db8:0:7::1".parse().unwrap()),
        exact.client_key("2001:db8:0:7::2".parse().unwrap())
    );
}
