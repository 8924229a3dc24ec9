//! Go's `time.Duration` text format, as distribution's YAML decoder reads it: `"168h"`, `"1h30m"`,
//! `"500ms"`, `"1.5s"`, `"-2m"`, or a bare integer meaning nanoseconds.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOS_PER_MICRO: i128 = 1_000;
const NANOS_PER_MILLI: i128 = 1_000_000;
const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_MINUTE: i128 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i128 = 60 * NANOS_PER_MINUTE;

/// A signed duration with nanosecond precision and Go's `int64` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct GoDuration {
    nanos: i64,
}

/// Why a duration string was rejected; the message matches the spirit of Go's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("invalid duration {0:?} (use a number and a unit: ns, us, ms, s, m, h; e.g. \"10s\", \"168h\", \"1h30m\")")]
    Invalid(String),
    #[error("missing unit in duration {0:?} (e.g. \"10s\", \"168h\")")]
    MissingUnit(String),
    #[error("unknown unit {unit:?} in duration {text:?} (use ns, us, ms, s, m or h)")]
    UnknownUnit { unit: String, text: String },
    #[error("duration {0:?} is out of range")]
    Overflow(String),
}

impl GoDuration {
    #[must_use]
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    #[must_use]
    pub fn from_std(duration: Duration) -> Self {
        Self {
            nanos: i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX),
        }
    }

    #[must_use]
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// The duration as a `std` one; `None` when it is negative.
    #[must_use]
    pub fn to_std(self) -> Option<Duration> {
        u64::try_from(self.nanos).ok().map(Duration::from_nanos)
    }

    /// Parses Go's `time.ParseDuration` syntax.
    ///
    /// # Errors
    /// When the text is not a Go duration.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let invalid = || DurationError::Invalid(text.to_owned());
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        let (negative, mut rest) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "0" {
            return Ok(Self::default());
        }
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total: i128 = 0;
        while !rest.is_empty() {
            let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (int_part, after) = rest.split_at(int_len);
            let (frac_part, after) = match after.strip_prefix('.') {
                Some(tail) => {
                    let frac_len = tail.bytes().take_while(u8::is_ascii_digit).count();
                    tail.split_at(frac_len)
                }
                None => ("", after),
            };
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(invalid());
            }
            let unit_len = after
                .char_indices()
                .find(|(_, c)| *c == '.' || c.is_ascii_digit())
                .map_or(after.len(), |(i, _)| i);
            let (unit, tail) = after.split_at(unit_len);
            if unit.is_empty() {
                return Err(DurationError::MissingUnit(text.to_owned()));
            }
            let scale = match unit {
                "ns" => 1,
                "us" | "\u{b5}s" | "\u{3bc}s" => NANOS_PER_MICRO,
                "ms" => NANOS_PER_MILLI,
                "s" => NANOS_PER_SECOND,
                "m" => NANOS_PER_MINUTE,
                "h" => NANOS_PER_HOUR,
                _ => {
                    return Err(DurationError::UnknownUnit {
                        unit: unit.to_owned(),
                        text: text.to_owned(),
                    })
                }
            };
            let overflow = || DurationError::Overflow(text.to_owned());
            let whole: i128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse::<i128>().map_err(|_| overflow())?
            };
            let mut value = whole.checked_mul(scale).ok_or_else(overflow)?;
            // Digits beyond nanosecond precision are dropped, as Go does.
            let mut frac_scale = scale;
            for digit in frac_part.bytes() {
                frac_scale /= 10;
                if frac_scale == 0 {
                    break;
                }
                value += i128::from(digit - b'0') * frac_scale;
            }
            total = total.checked_add(value).ok_or_else(overflow)?;
            if total > i128::from(i64::MAX) + i128::from(negative) {
                return Err(overflow());
            }
            rest = tail;
        }
        let signed = if negative { -total } else { total };
        i64::try_from(signed)
            .map(Self::from_nanos)
            .map_err(|_| DurationError::Overflow(text.to_owned()))
    }
}

impl fmt::Display for GoDuration {
    /// A compact form Go parses back to the same value: `168h`, `1h30m`, `10s`, `1.5s`, `500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = i128::from(self.nanos);
        if n == 0 {
            return f.write_str("0s");
        }
        if n < 0 {
            f.write_str("-")?;
            n = -n;
        }
        if n < NANOS_PER_SECOND {
            return if n % NANOS_PER_MILLI == 0 {
                write!(f, "{}ms", n / NANOS_PER_MILLI)
            } else if n % NANOS_PER_MICRO == 0 {
                write!(f, "{}us", n / NANOS_PER_MICRO)
            } else {
                write!(f, "{n}ns")
            };
        }
        let hours = n / NANOS_PER_HOUR;
        let minutes = (n % NANOS_PER_HOUR) / NANOS_PER_MINUTE;
        let sub_minute = n % NANOS_PER_MINUTE;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if sub_minute > 0 {
            let seconds = sub_minute / NANOS_PER_SECOND;
            let fraction = sub_minute % NANOS_PER_SECOND;
            if fraction == 0 {
                write!(f, "{seconds}s")?;
            } else {
                let digits = format!("{fraction:09}");
                write!(f, "{seconds}.{}s", digits.trim_end_matches('0'))?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for GoDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    /// A string in Go syntax, or an integer number of nanoseconds (how yaml.v2 fills a
    /// `time.Duration` from a plain number).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Nanos(i64),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Nanos(n) => Ok(Self::from_nanos(n)),
            Repr::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(text: &str) -> i64 {
        GoDuration::parse(text).unwrap().as_nanos()
    }

    #[test]
    fn parses_go_syntax() {
        assert_eq!(ns("168h"), 168 * 3_600_000_000_000);
        assert_eq!(ns("10s"), 10_000_000_000);
        assert_eq!(ns("500ms"), 500_000_000);
        assert_eq!(ns("1h30m"), 5_400_000_000_000);
        assert_eq!(ns("1.5s"), 1_500_000_000);
        assert_eq!(ns(".5s"), 500_000_000);
        assert_eq!(ns("2us"), 2_000);
        assert_eq!(ns("2\u{b5}s"), 2_000);
        assert_eq!(ns("2\u{3bc}s"), 2_000);
        assert_eq!(ns("7ns"), 7);
        assert_eq!(ns("-2m"), -120_000_000_000);
        assert_eq!(ns("+3s"), 3_000_000_000);
        assert_eq!(ns("0"), 0);
        assert_eq!(ns("1h2m3s4ms5us6ns"), 3_723_004_005_006);
    }

    #[test]
    fn rejects_what_go_rejects() {
        assert_eq!(GoDuration::parse(""), Err(DurationError::Empty));
        assert!(matches!(
            GoDuration::parse("10"),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            GoDuration::parse("3d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            GoDuration::parse("h"),
            Err(DurationError::Invalid(_))
        ));
        assert!(matches!(
            GoDuration::parse("-"),
            Err(DurationError::Invalid(_))
        ));
        assert!(GoDuration::parse("1.s.5").is_err());
        assert!(matches!(
            GoDuration::parse("9999999999h"),
            Err(DurationError::Overflow(_))
        ));
        assert!(GoDuration::parse(" 10s").is_err());
    }

    #[test]
    fn range_matches_int64() {
        assert_eq!(ns("2562047h47m16.854775807s"), i64::MAX);
        assert!(GoDuration::parse("2562047h47m16.854775808s").is_err());
        assert_eq!(ns("-2562047h47m16.854775808s"), i64::MIN);
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "168h", "10s", "500ms", "1h30m", "1.5s", "0s", "-2m", "2us", "7ns", "1h0m1s",
        ] {
            let parsed = GoDuration::parse(text).unwrap();
            let shown = parsed.to_string();
            assert_eq!(
                GoDuration::parse(&shown).unwrap(),
                parsed,
                "{text} -> {shown}"
            );
        }
        assert_eq!(GoDuration::parse("168h").unwrap().to_string(), "168h");
        assert_eq!(GoDuration::parse("1h0m1s").unwrap().to_string(), "1h1s");
        assert_eq!(GoDuration::parse("1500us").unwrap().to_string(), "1500us");
    }

    #[test]
    fn deserializes_strings_and_nanoseconds() {
        let d: GoDuration = serde_yaml::from_str("\"24h\"").unwrap();
        assert_eq!(d, GoDuration::parse("24h").unwrap());
        let d: GoDuration = serde_yaml::from_str("1000").unwrap();
        assert_eq!(d.as_nanos(), 1000);
        assert!(serde_yaml::from_str::<GoDuration>("tomorrow").is_err());
    }
}
