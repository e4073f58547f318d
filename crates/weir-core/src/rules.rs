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
    fn duration_pattern_is_the_duration_parser() {
        let re = regex::Regex::new(DURATION_PATTERN).unwrap();
        for d in [
            "5s",
            "500ms",
            "1m30s",
            "1h",
            "2d",
            "0s",
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
            assert_eq!(pattern, d.parse::<HumanDuration>().is_ok(), "{d:?}");
        }
    }
}
