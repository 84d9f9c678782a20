//! `before`, `after` and `equalToDateTime`: a text value read as a date
//! and time, compared with a fixed instant or with `now` plus an offset
//! (`"now +3 days"`, or `expectedOffset` and `expectedOffsetUnit`), either
//! side optionally truncated (`truncateExpected`, `truncateActual`:
//! `first minute of hour`, `first hour of day`, `first day of month`,
//! `first day of next month`, `last day of month`, `first day of year`,
//! `first day of next year`, `last day of year`).
//!
//! The value is read as ISO 8601 (with an offset, or as UTC without one; a
//! date alone is its midnight), as an HTTP date (RFC 1123), or with
//! `actualFormat`: a `java.time` pattern of the letters `yyyy`, `yy`, `MM`,
//! `MMM`, `dd`, `d`, `HH`, `mm`, `ss`, `SSS`, `XXX`/`Z`, or `unix`/`epoch`
//! (seconds/milliseconds since 1970).

use super::{PatternError, Result, as_str};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Before,
    After,
    EqualTo,
}

/// What the value is compared with.
#[derive(Debug, Clone)]
enum Expected {
    Fixed(DateTime<Utc>),
    /// `now` plus this offset, taken at match time.
    Now {
        amount: i64,
        unit: Unit,
    },
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Months,
    Years,
}

#[derive(Debug, Clone, Copy)]
enum Truncation {
    FirstMinuteOfHour,
    FirstHourOfDay,
    FirstDayOfMonth,
    FirstDayOfNextMonth,
    LastDayOfMonth,
    FirstDayOfYear,
    FirstDayOfNextYear,
    LastDayOfYear,
}

/// A date matcher.
#[derive(Debug, Clone)]
pub struct DateMatcher {
    comparison: Comparison,
    expected: Expected,
    text: String,
    actual_format: Option<String>,
    truncate_expected: Option<Truncation>,
    truncate_actual: Option<Truncation>,
}

impl DateMatcher {
    /// The keys that modify a date matcher.
    pub const MODIFIERS: [&'static str; 6] = [
        "actualFormat",
        "applyTruncationLast",
        "truncateExpected",
        "truncateActual",
        "expectedOffset",
        "expectedOffsetUnit",
    ];

    /// Parses `{key: value, modifiers…}`; `pointer` locates the object.
    pub fn parse(
        key: &str,
        value: &Value,
        obj: &Map<String, Value>,
        pointer: &str,
    ) -> Result<DateMatcher> {
        let at = format!("{pointer}/{key}");
        let comparison = match key {
            "before" => Comparison::Before,
            "after" => Comparison::After,
            _ => Comparison::EqualTo,
        };
        let text = as_str(value, &at)?.trim().to_owned();
        let mut expected = parse_expected(&text).ok_or_else(|| {
            PatternError::new(&at, format!("{text:?} is not a date, nor now ± an offset"))
        })?;
        if let Some(offset) = obj.get("expectedOffset").filter(|v| !v.is_null()) {
            let amount = offset.as_i64().ok_or_else(|| {
                PatternError::new(format!("{pointer}/expectedOffset"), "expected an integer")
            })?;
            let unit_at = format!("{pointer}/expectedOffsetUnit");
            let unit = obj
                .get("expectedOffsetUnit")
                .and_then(Value::as_str)
                .map_or(Some(Unit::Days), parse_unit)
                .ok_or_else(|| {
                    PatternError::new(
                        &unit_at,
                        "expected seconds, minutes, hours, days, months or years",
                    )
                })?;
            if let Expected::Now { amount: a, .. } = &mut expected
                && *a == 0
            {
                expected = Expected::Now { amount, unit };
            }
        }
        let truncation = |name: &str| -> Result<Option<Truncation>> {
            match obj.get(name).filter(|v| !v.is_null()) {
                None => Ok(None),
                Some(v) => {
                    let at = format!("{pointer}/{name}");
                    parse_truncation(as_str(v, &at)?)
                        .map(Some)
                        .ok_or_else(|| PatternError::new(at, "unknown truncation"))
                }
            }
        };
        let actual_format = match obj.get("actualFormat").filter(|v| !v.is_null()) {
            Some(v) => Some(as_str(v, &format!("{pointer}/actualFormat"))?.to_owned()),
            None => None,
        };
        Ok(DateMatcher {
            comparison,
            expected,
            text,
            actual_format,
            truncate_expected: truncation("truncateExpected")?,
            truncate_actual: truncation("truncateActual")?,
        })
    }

    fn expected_now(&self) -> DateTime<Utc> {
        let e = match &self.expected {
            Expected::Fixed(t) => *t,
            Expected::Now { amount, unit } => offset(Utc::now(), *amount, *unit),
        };
        truncate(e, self.truncate_expected)
    }

    /// Whether `value` reads as a date on the right side of the expected one.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let Some(actual) =
            value.and_then(|v| parse_actual(v.trim(), self.actual_format.as_deref()))
        else {
            return false;
        };
        let actual = truncate(actual, self.truncate_actual);
        let expected = self.expected_now();
        match self.comparison {
            Comparison::Before => actual < expected,
            Comparison::After => actual > expected,
            Comparison::EqualTo => actual == expected,
        }
    }

    /// 0 on a match, else 1.
    pub fn distance(&self, value: Option<&str>) -> f64 {
        f64::from(u8::from(!self.matches(value)))
    }

    /// A short description, for the 404 body.
    pub fn describe(&self) -> String {
        let op = match self.comparison {
            Comparison::Before => "before",
            Comparison::After => "after",
            Comparison::EqualTo => "equalToDateTime",
        };
        format!("{op} {}", self.text)
    }
}

fn parse_unit(s: &str) -> Option<Unit> {
    let s = s.to_ascii_lowercase();
    let s = s.trim_end_matches('s');
    Some(match s {
        "second" => Unit::Seconds,
        "minute" => Unit::Minutes,
        "hour" => Unit::Hours,
        "day" => Unit::Days,
        "month" => Unit::Months,
        "year" => Unit::Years,
        _ => return None,
    })
}

fn parse_truncation(s: &str) -> Option<Truncation> {
    Some(
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .as_str()
        {
            "first minute of hour" => Truncation::FirstMinuteOfHour,
            "first hour of day" => Truncation::FirstHourOfDay,
            "first day of month" => Truncation::FirstDayOfMonth,
            "first day of next month" => Truncation::FirstDayOfNextMonth,
            "last day of month" => Truncation::LastDayOfMonth,
            "first day of year" => Truncation::FirstDayOfYear,
            "first day of next year" => Truncation::FirstDayOfNextYear,
            "last day of year" => Truncation::LastDayOfYear,
            _ => return None,
        },
    )
}

/// `now`, `now +3 days`, `now -1 hours`, or a fixed date.
fn parse_expected(text: &str) -> Option<Expected> {
    if let Some(rest) = text.strip_prefix("now") {
        let rest = rest.trim();
        if rest.is_empty() {
            return Some(Expected::Now {
                amount: 0,
                unit: Unit::Days,
            });
        }
        let (amount, unit) = rest.split_once(char::is_whitespace)?;
        let amount: i64 = amount.trim().trim_start_matches('+').parse().ok()?;
        return Some(Expected::Now {
            amount,
            unit: parse_unit(unit.trim())?,
        });
    }
    parse_actual(text, None).map(Expected::Fixed)
}

fn offset(t: DateTime<Utc>, amount: i64, unit: Unit) -> DateTime<Utc> {
    let months = |n: i64| {
        let m = Months::new(u32::try_from(n.unsigned_abs()).unwrap_or(u32::MAX));
        if n >= 0 {
            t.checked_add_months(m)
        } else {
            t.checked_sub_months(m)
        }
    };
    let shifted = match unit {
        Unit::Seconds => Duration::try_seconds(amount).and_then(|d| t.checked_add_signed(d)),
        Unit::Minutes => Duration::try_minutes(amount).and_then(|d| t.checked_add_signed(d)),
        Unit::Hours => Duration::try_hours(amount).and_then(|d| t.checked_add_signed(d)),
        Unit::Days => Duration::try_days(amount).and_then(|d| t.checked_add_signed(d)),
        Unit::Months => months(amount),
        Unit::Years => amount.checked_mul(12).and_then(months),
    };
    shifted.unwrap_or(t)
}

fn midnight(d: Option<NaiveDate>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    d.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(fallback, |n| Utc.from_utc_datetime(&n))
}

fn truncate(t: DateTime<Utc>, how: Option<Truncation>) -> DateTime<Utc> {
    let Some(how) = how else { return t };
    let d = t.date_naive();
    let first_of_month = NaiveDate::from_ymd_opt(d.year(), d.month(), 1);
    let first_of_next_month = first_of_month.and_then(|f| f.checked_add_months(Months::new(1)));
    let first_of_year = NaiveDate::from_ymd_opt(d.year(), 1, 1);
    match how {
        Truncation::FirstMinuteOfHour => t
            .date_naive()
            .and_hms_opt(t.time().hour_of(), 0, 0)
            .map_or(t, |n| Utc.from_utc_datetime(&n)),
        Truncation::FirstHourOfDay => midnight(Some(d), t),
        Truncation::FirstDayOfMonth => midnight(first_of_month, t),
        Truncation::FirstDayOfNextMonth => midnight(first_of_next_month, t),
        Truncation::LastDayOfMonth => midnight(first_of_next_month.and_then(|f| f.pred_opt()), t),
        Truncation::FirstDayOfYear => midnight(first_of_year, t),
        Truncation::FirstDayOfNextYear => midnight(NaiveDate::from_ymd_opt(d.year() + 1, 1, 1), t),
        Truncation::LastDayOfYear => midnight(NaiveDate::from_ymd_opt(d.year(), 12, 31), t),
    }
}

/// The hour of a time, without importing `Timelike` everywhere.
trait HourOf {
    fn hour_of(&self) -> u32;
}

impl HourOf for chrono::NaiveTime {
    fn hour_of(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
}

/// A `java.time` pattern as a chrono format, for the letters documented
/// in the module comment.
fn chrono_format(java: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = java.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let piece = match (c, n) {
            ('y', 2) => "%y".to_owned(),
            ('y' | 'u', _) => "%Y".to_owned(),
            ('M', 1 | 2) => "%m".to_owned(),
            ('M', 3) => "%b".to_owned(),
            ('M', _) => "%B".to_owned(),
            ('d', _) => "%d".to_owned(),
            ('H', _) => "%H".to_owned(),
            ('m', _) => "%M".to_owned(),
            ('s', _) => "%S".to_owned(),
            ('S', _) => "%3f".to_owned(),
            ('X' | 'x', _) => "%:z".to_owned(),
            ('Z', _) => "%z".to_owned(),
            ('E', _) => "%a".to_owned(),
            ('\'', _) => String::new(),
            ('%', _) => "%%".repeat(n),
            (other, _) => other.to_string().repeat(n),
        };
        out.push_str(&piece);
        i += n;
    }
    out
}

/// Reads a date and time; `None` when it is not one.
pub fn parse_actual(s: &str, format: Option<&str>) -> Option<DateTime<Utc>> {
    match format {
        Some("unix") => {
            return s
                .parse::<i64>()
                .ok()
                .and_then(|n| Utc.timestamp_opt(n, 0).single());
        }
        Some("epoch") => {
            return s
                .parse::<i64>()
                .ok()
                .and_then(|n| Utc.timestamp_millis_opt(n).single());
        }
        Some(f) => {
            let f = chrono_format(f);
            return DateTime::parse_from_str(s, &f)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(s, &f)
                        .ok()
                        .map(|n| Utc.from_utc_datetime(&n))
                })
                .or_else(|| {
                    NaiveDate::parse_from_str(s, &f)
                        .ok()
                        .map(|d| midnight(Some(d), DateTime::UNIX_EPOCH))
                });
        }
        None => {}
    }
    // `[Zone]` suffixes of Java's ISO_ZONED_DATE_TIME: the offset is enough.
    let s = s.split_once('[').map_or(s, |(a, _)| a);
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|n| Utc.from_utc_datetime(&n))
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| midnight(Some(d), DateTime::UNIX_EPOCH))
        })
}

#[cfg(test)]
mod tests {
    use super::super::string::StringMatcher;
    use serde_json::{Value, json};

    fn m(v: Value) -> StringMatcher {
        StringMatcher::parse(&v, "").unwrap()
    }

    #[test]
    fn before_and_after_a_fixed_date() {
        let before = m(json!({"before": "2021-06-01T00:00:00Z"}));
        assert!(before.matches(Some("2021-05-31T23:59:59Z")));
        assert!(before.matches(Some("2021-05-31")));
        assert!(before.matches(Some("Mon, 31 May 2021 10:00:00 GMT")));
        assert!(!before.matches(Some("2021-06-01T00:00:01+00:00")));
        assert!(!before.matches(Some("not a date")));
        let after = m(json!({"after": "2021-06-01T00:00:00Z"}));
        assert!(after.matches(Some("2021-06-01T02:00:00+01:00")));
    }

    #[test]
    fn now_with_an_offset() {
        let later = m(json!({"after": "now +3 days"}));
        let in_four = (chrono::Utc::now() + chrono::Duration::days(4)).to_rfc3339();
        let in_two = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        assert!(later.matches(Some(&in_four)));
        assert!(!later.matches(Some(&in_two)));
        let by_fields =
            m(json!({"after": "now", "expectedOffset": 3, "expectedOffsetUnit": "days"}));
        assert!(by_fields.matches(Some(&in_four)));
        assert!(!by_fields.matches(Some(&in_two)));
    }

    #[test]
    fn equal_to_date_time_with_format_and_truncation() {
        let eq =
            m(json!({"equalToDateTime": "2021-06-14T00:00:00Z", "actualFormat": "dd/MM/yyyy"}));
        assert!(eq.matches(Some("14/06/2021")));
        assert!(!eq.matches(Some("15/06/2021")));
        let month = m(
            json!({"equalToDateTime": "2021-06-01T00:00:00Z", "truncateActual": "first day of month"}),
        );
        assert!(month.matches(Some("2021-06-14T12:13:14Z")));
    }
}
