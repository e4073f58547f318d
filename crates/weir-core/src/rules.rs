//! The bounds and formats validation enforces, in one place: validation
//! checks them, and the admin API's OpenAPI document states them (the
//! schemas in weir-admin read these constants), so what the document
//! promises and what the server refuses cannot drift apart.
//!
//! Patterns are written for both Rust's `regex` and JSON Schema's ECMA-262
//! dialect; tests below hold each to the hand-written check it mirrors.

use std::ops::RangeInclusive;

/// Longest resource name (service, tenant app id, certificate, signing key,
/// admin user).
pub const NAME_MAX_LEN: usize = 64;
/// A resource name: letters, digits, `_`, `-`, `.`, starting with a letter
/// or digit (and at most [`NAME_MAX_LEN`] long).
pub const NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";

/// A duration: numbers with units, combinable (`500ms`, `5s`, `1m30s`).
/// Each number has at most 10 digits and the whole at most
/// [`DURATION_MAX_LEN`] characters, so no spelling overflows.
pub const DURATION_PATTERN: &str = "^([0-9]{1,10}(ms|s|m|h|d))+$";
pub const DURATION_MAX_LEN: usize = 64;
pub const DURATION_MAX_DIGITS: usize = 10;

/// A duration greater than zero: [`DURATION_PATTERN`] with at least one
/// number that is not zero. Each alternative fixes where the first non-zero
/// digit of that number stands, so every number keeps at most
/// [`DURATION_MAX_DIGITS`] digits.
pub fn positive_duration_pattern() -> String {
    let segment = format!("[0-9]{{1,{DURATION_MAX_DIGITS}}}(ms|s|m|h|d)");
    let non_zero: Vec<String> = (0..DURATION_MAX_DIGITS)
        .map(|zeros| {
            let rest = DURATION_MAX_DIGITS - 1 - zeros;
            format!("0{{{zeros}}}[1-9][0-9]{{0,{rest}}}")
        })
        .collect();
    format!(
        "^({segment})*({})(ms|s|m|h|d)({segment})*$",
        non_zero.join("|")
    )
}

/// Upstream node addresses: every address the parser takes matches. The
/// first alternative (an IPv4 address and a port 1–65535) is exact, so a
/// client generating from the pattern finds valid addresses; the others are
/// wider than what parses (a host name's labels, an IPv6 address), and
/// validation names the fault.
pub fn node_addr_pattern() -> String {
    const PORT: &str =
        "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
    const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    format!(
        r"^({OCTET}(\.{OCTET}){{3}}:{PORT}|\[[0-9A-Za-z:.%]+\]:[0-9]+|[A-Za-z0-9_.-]+:[0-9]+|_[A-Za-z0-9_.-]+)$"
    )
}

/// Longest `match.prefix`, in bytes.
pub const MAX_PREFIX_LEN: usize = 1024;
/// Largest node weight.
pub const MAX_WEIGHT: u32 = 1_000_000;
/// Most idle keep-alive connections kept per node.
pub const MAX_IDLE_PER_NODE: u32 = 100_000;
/// Consecutive results that flip a node's health (`healthy`, `unhealthy`).
pub const HEALTH_THRESHOLD: RangeInclusive<u32> = 1..=100;
/// Shortest health check interval, in milliseconds.
pub const MIN_HEALTH_INTERVAL_MS: u64 = 50;
/// Shortest DNS re-resolution interval, in milliseconds.
pub const MIN_DNS_TTL_MS: u64 = 100;
/// An HTTP status code as configured (`failure_statuses`, `expect_status`).
pub const HTTP_STATUS: RangeInclusive<u16> = 100..=599;
/// Largest share of nodes outlier ejection may take out, in percent.
pub const MAX_EJECTED_PERCENT: u32 = 100;
/// A tenant's client secret, in characters.
pub const SECRET_LEN: RangeInclusive<usize> = 8..=256;
/// Compression levels (`compression.level`): brotli's qualities, zstd's
/// levels short of the "ultra" ones (20–22 need a window of 8 MiB or more,
/// more memory per response than a gateway should hold), gzip's levels
/// (0 would store, not compress).
pub const BROTLI_LEVEL: RangeInclusive<u32> = 0..=11;
pub const ZSTD_LEVEL: RangeInclusive<u32> = 1..=19;
pub const GZIP_LEVEL: RangeInclusive<u32> = 1..=9;
/// Tries of one request under a retry policy, the first included.
pub const RETRY_ATTEMPTS: RangeInclusive<u32> = 1..=10;
/// A response status a retry policy may name (`statuses`).
pub const RETRY_STATUS: RangeInclusive<u16> = 400..=599;
/// Longest retry back-off (`backoff.base`, `backoff.max`), in seconds.
pub const MAX_BACKOFF_SECS: u64 = 60;
/// Largest retry budget share, in percent of live requests.
pub const MAX_BUDGET_PERCENT: u32 = 100;
/// Largest retry budget floor, in retries per second.
pub const MAX_RETRIES_PER_SECOND: u32 = 100_000;
/// A circuit breaker limit (`max_connections`, `max_pending`, `max_requests`).
pub const BREAKER_LIMIT: RangeInclusive<u32> = 1..=1_000_000;

/// Whether `name` is a valid resource name ([`NAME_PATTERN`], at most
/// [`NAME_MAX_LEN`]).
pub fn is_valid_name(name: &str) -> bool {
    name.len() <= NAME_MAX_LEN
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HumanDuration;

    #[test]
    fn name_pattern_is_the_name_check() {
        let re = regex::Regex::new(NAME_PATTERN).unwrap();
        for name in [
            "a", "A-1", "svc_2.v", "-a", ".a", "_a", "", "a b", "a/b", "é", "a\n", "a:b",
        ] {
            assert_eq!(re.is_match(name), is_valid_name(name), "{name:?}");
        }
    }

    #[test]
    fn node_addr_pattern_takes_every_address_that_parses() {
        use crate::compile::NodeAddr;
        let re = regex::Regex::new(&node_addr_pattern()).unwrap();
        for addr in [
            "127.0.0.1:9001",
            "0.0.0.0:1",
            "255.255.255.255:65535",
            "[::1]:80",
            "[2001:db8::1]:8080",
            "api.internal:80",
            "api.internal.:80",
            "a_b-c:0080",
            "_http._tcp.api.internal",
            "1.2.3.4:0",
            "1.2.3.4:65536",
            "01.2.3.4:80",
            "1.2.3:80",
            "[0]:0",
            "host",
            "-a:80",
            "a..b:80",
            "é:80",
            "a:80 ",
        ] {
            if NodeAddr::parse(addr).is_ok() {
                assert!(
                    re.is_match(addr),
                    "{addr:?} parses but the pattern refuses it"
                );
            }
        }
        // The exact alternative: whatever matches it parses.
        let ipv4 = regex::Regex::new(&node_addr_pattern().replacen('|', ")$|^(", 1)).unwrap();
        for addr in ["0.0.0.0:1", "10.20.30.40:65535", "1.2.3.4:80"] {
            assert!(ipv4.is_match(addr), "{addr:?}");
            assert!(NodeAddr::parse(addr).is_ok(), "{addr:?}");
        }
    }

    #[test]
    fn duration_pattern_is_the_duration_parser() {
        let re = regex::Regex::new(DURATION_PATTERN).unwrap();
        for d in [
            "5s",
            "500ms",
            "1m30s",
            "1h",
            "2d",
            "0s",
            "0ms0s0d",
            "0000000000s",
            "0000000001s",
            "00000000010s",
            "0s0000000001ms",
            "1000000000ms",
            "1m5ms",
            "9999999999d",
            "99999999999s",
            "",
            " 5s",
            "5s ",
            "5",
            "s",
            "5x",
            "5sm",
            "1.5s",
            "-1s",
            "5S",
            "１s",
            "1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s",
        ] {
            let pattern = re.is_match(d) && d.chars().count() <= DURATION_MAX_LEN;
            let parsed = d.parse::<HumanDuration>();
            assert_eq!(pattern, parsed.is_ok(), "{d:?}");
            let positive = regex::Regex::new(&positive_duration_pattern()).unwrap();
            let positive = positive.is_match(d) && d.chars().count() <= DURATION_MAX_LEN;
            let non_zero = parsed.is_ok_and(|p| !p.get().is_zero());
            assert_eq!(positive, non_zero, "{d:?} (positive)");
        }
    }
}
