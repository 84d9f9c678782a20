//! `{{now}}`: the current time, shifted by `offset` ("3 days", "-1 hours"),
//! in `timezone` (`UTC`, `GMT` or a fixed offset such as `+02:00`), written
//! with a Java date `format` (`yyyy-MM-dd'T'HH:mm:ss`), or as `epoch`
//! (milliseconds) or `unix` (seconds). Without a format: ISO 8601 to the
//! second (`2026-11-30T05:37:59Z`).

use super::helpers::{fail, opt};
use chrono::{DateTime, Duration, FixedOffset, Months, Utc};
use handlebars::{Helper, RenderError};
use serde_json::Value;

/// The `now` helper.
pub fn now(h: &Helper) -> Result<Value, RenderError> {
    let mut t = Utc::now();
    if let Some(offset) = opt(h, "offset") {
        t = shift(t, &offset).ok_or_else(|| fail(h, format!("invalid offset {offset:?}")))?;
    }
    let zone = match opt(h, "timezone") {
        None => FixedOffset::east_opt(0),
        Some(z) => zone(&z),
    }
    .ok_or_else(|| fail(h, "timezone: UTC, GMT or a fixed offset such as +02:00"))?;
    let t = t.with_timezone(&zone);
    Ok(match opt(h, "format").as_deref() {
        Some("epoch") => t.timestamp_millis().into(),
        Some("unix") => t.timestamp().into(),
        Some(java) => t.format(&strftime(java)).to_string().into(),
        None if zone.local_minus_utc() == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
        None => t.format("%Y-%m-%dT%H:%M:%S%:z").to_string().into(),
    })
}

fn zone(z: &str) -> Option<FixedOffset> {
    if matches!(z, "UTC" | "GMT" | "Z" | "Etc/UTC") {
        return FixedOffset::east_opt(0);
    }
    let s = z
        .strip_prefix("UTC")
        .or_else(|| z.strip_prefix("GMT"))
        .unwrap_or(z);
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (hh, mm) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = hh.parse::<i32>().ok()? * 3600 + mm.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

/// `t` moved by "N unit" (seconds … years).
fn shift(t: DateTime<Utc>, offset: &str) -> Option<DateTime<Utc>> {
    let mut parts = offset.split_whitespace();
    let n: i64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.to_ascii_lowercase();
    let unit = unit.trim_end_matches('s');
    let months = |m: i64| {
        let m = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if n < 0 {
            t.checked_sub_months(m)
        } else {
            t.checked_add_months(m)
        }
    };
    match unit {
        "millisecond" => t.checked_add_signed(Duration::try_milliseconds(n)?),
        "second" => t.checked_add_signed(Duration::try_seconds(n)?),
        "minute" => t.checked_add_signed(Duration::try_minutes(n)?),
        "hour" => t.checked_add_signed(Duration::try_hours(n)?),
        "day" => t.checked_add_signed(Duration::try_days(n)?),
        "week" => t.checked_add_signed(Duration::try_weeks(n)?),
        "month" => months(n),
        "year" => months(n.checked_mul(12)?),
        _ => None,
    }
}

/// A Java `DateTimeFormatter` pattern as a chrono format string (the
/// common letters; others are written as they are).
fn strftime(java: &str) -> String {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..].iter().position(|&c| c == '\'');
            let lit: String = match end {
                Some(0) => "'".to_owned(),
                Some(e) => chars[i + 1..i + 1 + e].iter().collect(),
                None => chars[i + 1..].iter().collect(),
            };
            out.push_str(&lit.replace('%', "%%"));
            i += end.map_or(chars.len(), |e| e + 2);
            continue;
        }
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let f = match (c, run) {
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 1) => "%1f",
            ('S', 2) => "%2f",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', _) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('Z', _) => "%z",
            ('X' | 'x', 1 | 2) => "%z",
            ('X' | 'x', _) => "%:z",
            ('z', _) => "UTC",
            ('D', _) => "%j",
            ('%', _) => "%%",
            _ => {
                out.extend(std::iter::repeat_n(c, run));
                i += run;
                continue;
            }
        };
        out.push_str(f);
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_patterns_become_chrono_formats() {
        assert_eq!(strftime("yyyy-MM-dd"), "%Y-%m-%d");
        assert_eq!(
            strftime("yyyy-MM-dd'T'HH:mm:ss.SSSZ"),
            "%Y-%m-%dT%H:%M:%S.%3f%z"
        );
        assert_eq!(strftime("EEE, dd MMM yyyy"), "%a, %d %b %Y");
    }

    #[test]
    fn offsets_and_zones_parse() {
        let t = DateTime::from_timestamp(0, 0).unwrap_or_default();
        assert_eq!(shift(t, "3 days").map(|t| t.timestamp()), Some(3 * 86_400));
        assert_eq!(shift(t, "-1 hours").map(|t| t.timestamp()), Some(-3600));
        assert_eq!(
            shift(t, "1 years").map(|t| t.timestamp()),
            Some(365 * 86_400)
        );
        assert!(shift(t, "1 fortnight").is_none());
        assert_eq!(zone("+02:00").map(|z| z.local_minus_utc()), Some(7200));
        assert_eq!(zone("UTC").map(|z| z.local_minus_utc()), Some(0));
        assert!(zone("Australia/Sydney").is_none());
    }
}
