//! Durations written the way people write them: `2s`, `500ms`, `1m30s`, `1h`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::msg::{Coded, Msg};
use crate::rules::{DURATION_MAX_DIGITS, DURATION_MAX_LEN};

/// A [`Duration`] that reads and writes as `90s`, `500ms`, `1m30s`, `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn from_secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    pub const fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

impl From<HumanDuration> for Duration {
    fn from(d: HumanDuration) -> Self {
        d.0
    }
}

/// Why a duration string did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationParseError {
    input: String,
    why: Msg,
}

impl fmt::Display for DurationParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Msg::from(self.clone()).fmt(f)
    }
}

impl std::error::Error for DurationParseError {}

impl From<DurationParseError> for Msg {
    fn from(e: DurationParseError) -> Self {
        Msg::DurationInvalid {
            input: e.input,
            why: e.why.into(),
        }
    }
}

impl From<DurationParseError> for Coded {
    fn from(e: DurationParseError) -> Self {
        Msg::from(e).into()
    }
}

impl FromStr for HumanDuration {
    type Err = DurationParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |why| DurationParseError {
            input: input.to_owned(),
            why,
        };
        // No trimming: the admin API's document states this exact format
        // (`rules::DURATION_PATTERN`), and YAML has trimmed plain scalars.
        let s = input;
        if s.is_empty() {
            return Err(err(Msg::DurationEmpty));
        }
        if s.chars().count() > DURATION_MAX_LEN {
            return Err(err(Msg::DurationTooLong));
        }
        let mut total_ms: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err(Msg::DurationExpectedNumber));
            }
            if digits > DURATION_MAX_DIGITS {
                return Err(err(Msg::DurationNumberTooLarge));
            }
            let n: u64 = rest[..digits]
                .parse()
                .map_err(|_| err(Msg::DurationNumberTooLarge))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
            let factor_ms = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "" => return Err(err(Msg::DurationMissingUnit)),
                _ => return Err(err(Msg::DurationUnknownUnit)),
            };
            rest = &rest[unit_len..];
            total_ms = n
                .checked_mul(factor_ms)
                .and_then(|v| total_ms.checked_add(v))
                .ok_or_else(|| err(Msg::DurationTooLarge))?;
        }
        Ok(Self(Duration::from_millis(total_ms)))
    }
}

impl fmt::Display for HumanDuration {
    /// The shortest exact spelling, so that export → apply is a round trip.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let mut rem = ms;
        for (unit, size) in [("h", 3_600_000u128), ("m", 60_000), ("s", 1_000)] {
            if rem >= size {
                let n = rem / size;
                write!(f, "{n}{unit}")?;
                rem -= n * size;
            }
        }
        if rem > 0 {
            write!(f, "{rem}ms")?;
        }
        Ok(())
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 2s, 500ms or 1m30s")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                v.parse().map_err(crate::msg::de_error)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for (text, ms) in [
            ("2s", 2_000),
            ("500ms", 500),
            ("1m30s", 90_000),
            ("90s", 90_000),
            ("1h", 3_600_000),
            ("1d", 86_400_000),
            ("1s250ms", 1_250),
            ("0s", 0),
        ] {
            let d: HumanDuration = text.parse().unwrap();
            assert_eq!(d.0.as_millis(), ms, "{text}");
            let printed = d.to_string();
            let again: HumanDuration = printed.parse().unwrap();
            assert_eq!(again, d, "{text} printed as {printed}");
        }
        assert_eq!(HumanDuration::from_secs(90).to_string(), "1m30s");
        assert_eq!(HumanDuration::from_millis(1500).to_string(), "1s500ms");
    }

    #[test]
    fn rejects_bad_input_with_reason() {
        for (text, reason) in [
            ("", "empty"),
            ("10", "missing unit"),
            ("s", "expected a number"),
            ("5parsecs", "unknown unit"),
            ("99999999999999999999s", "number too large"),
            ("999999999999999h", "too large"),
        ] {
            let e = text.parse::<HumanDuration>().unwrap_err().to_string();
            assert!(e.contains(reason), "{text:?}: {e}");
        }
    }
}
