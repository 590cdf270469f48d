//! Timestamps from event values (RFC 3339 text, `YYYY-MM-DD HH:MM:SS`, or
//! epoch seconds / milliseconds), as milliseconds since the Unix epoch, and
//! the calendar parts the time modifiers extract. Never the wall clock.

use serde_json::Value;

use crate::event::Event;

/// A calendar part of a timestamp (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    /// 0–59.
    Minute,
    /// 0–23.
    Hour,
    /// 1–31.
    Day,
    /// ISO 8601 week number, 1–53.
    Week,
    /// 1–12.
    Month,
    /// The year.
    Year,
}

/// The fields a timestamp is read from, in order of preference.
pub const TIMESTAMP_FIELDS: [&str; 6] = [
    "@timestamp",
    "timestamp",
    "TimeCreated",
    "UtcTime",
    "_time",
    "SystemTime",
];

/// The event's timestamp in milliseconds since the epoch.
pub fn event_time(event: &Event) -> Option<i64> {
    TIMESTAMP_FIELDS
        .iter()
        .find_map(|f| event.get(f).and_then(parse_timestamp))
}

/// A timestamp value: RFC 3339 / ISO 8601 text (`Z` or an offset, or none
/// meaning UTC), or a number of epoch seconds (milliseconds when larger
/// than 10^11).
pub fn parse_timestamp(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            Some(if f.abs() > 1e11 {
                f as i64
            } else {
                (f * 1000.0) as i64
            })
        }
        Value::String(s) => parse_text(s.trim()),
        Value::Object(o) => o.get("SystemTime").and_then(parse_timestamp),
        _ => None,
    }
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_text(s: &str) -> Option<i64> {
    if let Ok(f) = s.parse::<f64>() {
        return parse_timestamp(&serde_json::json!(f));
    }
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = num(&s[0..4])?;
    let month = num(&s[5..7])?;
    let day = num(&s[8..10])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    if rest.len() < 5 {
        return None;
    }
    let hour = num(&rest[0..2])?;
    let minute = num(&rest[3..5])?;
    let mut tail = &rest[5..];
    let mut second = 0;
    if let Some(t) = tail.strip_prefix(':') {
        second = num(t.get(0..2)?)?;
        tail = &t[2..];
    }
    let mut frac_ms = 0;
    if let Some(t) = tail.strip_prefix(['.', ',']) {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let frac = &t[..digits];
        let mut scaled = String::from(frac.get(..3).unwrap_or(frac));
        while scaled.len() < 3 {
            scaled.push('0');
        }
        frac_ms = num(&scaled)?;
        tail = &t[digits..];
    }
    let offset_min = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tail.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let t = tail[1..].replace(':', "");
            if t.len() != 4 {
                return None;
            }
            sign * (num(&t[0..2])? * 60 + num(&t[2..4])?)
        }
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    ms += ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + frac_ms;
    Some(ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl TimePart {
    /// This part of the timestamp `ms`.
    pub fn of(self, ms: i64) -> i32 {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000) / 1000;
        let (y, m, d) = civil_from_days(days);
        let v = match self {
            TimePart::Minute => (in_day / 60) % 60,
            TimePart::Hour => in_day / 3600,
            TimePart::Day => d,
            TimePart::Month => m,
            TimePart::Year => y,
            TimePart::Week => iso_week(days),
        };
        v as i32
    }
}

fn iso_week(days: i64) -> i64 {
    // 1970-01-01 was a Thursday; ISO weekday 1 = Monday.
    let weekday = (days + 3).rem_euclid(7) + 1;
    let thursday = days - weekday + 4;
    let (y, _, _) = civil_from_days(thursday);
    let jan1 = days_from_civil(y, 1, 1);
    (thursday - jan1) / 7 + 1
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn formats() {
        let t = parse_timestamp(&json!("2024-03-05T14:07:09Z"));
        assert_eq!(t, Some(1_709_647_629_000));
        assert_eq!(parse_timestamp(&json!("2024-03-05T15:07:09+01:00")), t);
        assert_eq!(
            parse_timestamp(&json!("2024-03-05 14:07:09.250")),
            t.map(|t| t + 250)
        );
        assert_eq!(parse_timestamp(&json!(1_709_647_629)), t);
        assert_eq!(parse_timestamp(&json!(1_709_647_629_000_i64)), t);
        assert_eq!(parse_timestamp(&json!("1709647629")), t);
        assert_eq!(
            parse_timestamp(&json!("2024-03-05")),
            Some(1_709_596_800_000)
        );
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!("2024-13-05")), None);
    }

    #[test]
    fn parts() {
        let t = parse_timestamp(&json!("2024-03-05T14:07:09Z")).unwrap_or_default();
        assert_eq!(TimePart::Minute.of(t), 7);
        assert_eq!(TimePart::Hour.of(t), 14);
        assert_eq!(TimePart::Day.of(t), 5);
        assert_eq!(TimePart::Month.of(t), 3);
        assert_eq!(TimePart::Year.of(t), 2024);
        assert_eq!(TimePart::Week.of(t), 10);
        let jan1 = parse_timestamp(&json!("2021-01-01T00:00:00Z")).unwrap_or_default();
        assert_eq!(
            TimePart::Week.of(jan1),
            53,
            "ISO week of 2021-01-01 is 2020-W53"
        );
    }

    #[test]
    fn event_time_prefers_known_fields() {
        let e = Event::from_json(json!({"UtcTime": "2024-03-05 14:07:09.000", "x": 1}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event_time(&e), Some(1_709_647_629_000));
    }
}
