//! Time: UTC calendar arithmetic, `strftime` / `strptime` formats, relative
//! time specifiers (`-24h@h`) and spans (`1h`). Every time is UTC; time
//! zones other than an explicit `%z` offset are not modelled.

// Formatting pushes many small `format!` pieces; clarity over the last
// allocation.
#![allow(clippy::format_push_string)]

use std::fmt::Write as _;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
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

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// Broken-down UTC time.
struct Tm {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    days: i64,
}

fn tm(epoch: f64) -> Tm {
    #[allow(clippy::cast_possible_truncation)]
    let secs = epoch.floor() as i64;
    #[allow(clippy::cast_possible_truncation)]
    let nanos = ((epoch - epoch.floor()) * 1e9).round() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Tm {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        nanos,
        days,
    }
}

/// `strftime`: format epoch seconds (UTC).
pub(crate) fn strftime(epoch: f64, format: &str) -> String {
    let t = tm(epoch);
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // `%3N`, `%6N`: sub-second digits.
        let mut digits = None;
        if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            digits = Some(d as usize);
            chars.next();
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        let weekday = usize::try_from(t.days.rem_euclid(7)).unwrap_or(0);
        let month_name = MONTHS[usize::try_from(t.month - 1).unwrap_or(0)];
        match spec {
            'Y' => _ = write!(out, "{}", t.year),
            'y' => _ = write!(out, "{:02}", t.year.rem_euclid(100)),
            'm' => _ = write!(out, "{:02}", t.month),
            'd' => _ = write!(out, "{:02}", t.day),
            'e' => _ = write!(out, "{:2}", t.day),
            'H' => _ = write!(out, "{:02}", t.hour),
            'I' => _ = write!(out, "{:02}", (t.hour + 11) % 12 + 1),
            'p' => out.push_str(if t.hour < 12 { "AM" } else { "PM" }),
            'M' => _ = write!(out, "{:02}", t.minute),
            'S' => _ = write!(out, "{:02}", t.second),
            'N' | 'Q' | 'f' => {
                let n = digits.unwrap_or(if spec == 'f' { 6 } else { 3 }).min(9);
                let s = format!("{:09}", t.nanos);
                out.push_str(&s[..n]);
            }
            'j' => {
                let doy = t.days - days_from_civil(t.year, 1, 1) + 1;
                _ = write!(out, "{doy:03}");
            }
            'b' | 'h' => out.push_str(&month_name[..3]),
            'B' => out.push_str(month_name),
            'a' => out.push_str(&DAYS[weekday][..3]),
            'A' => out.push_str(DAYS[weekday]),
            'w' => _ = write!(out, "{}", (weekday + 4) % 7),
            'Z' => out.push_str("UTC"),
            'z' => out.push_str("+0000"),
            's' => _ = write!(out, "{:.0}", epoch.floor()),
            'T' => _ = write!(out, "{:02}:{:02}:{:02}", t.hour, t.minute, t.second),
            'F' => _ = write!(out, "{}-{:02}-{:02}", t.year, t.month, t.day),
            'D' => {
                let _ = write!(
                    out,
                    "{:02}/{:02}/{:02}",
                    t.month,
                    t.day,
                    t.year.rem_euclid(100)
                );
            }
            'c' => {
                let _ = write!(
                    out,
                    "{} {} {:2} {:02}:{:02}:{:02} {}",
                    &DAYS[weekday][..3],
                    &month_name[..3],
                    t.day,
                    t.hour,
                    t.minute,
                    t.second,
                    t.year
                );
            }
            '%' => out.push('%'),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

/// `strptime`: read `text` with `format` into epoch seconds (UTC unless the
/// text has a `%z` offset); `None` when it does not fit.
#[allow(clippy::too_many_lines)]
pub(crate) fn strptime(text: &str, format: &str) -> Option<f64> {
    let (mut year, mut month, mut day) = (1970_i64, 1_i64, 1_i64);
    let (mut hour, mut minute, mut second, mut frac) = (0_i64, 0_i64, 0_i64, 0.0_f64);
    let mut pm = None;
    let mut offset = 0_i64;
    let mut epoch = None;
    let s = text.as_bytes();
    let mut i = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            if c.is_whitespace() {
                while i < s.len() && s[i].is_ascii_whitespace() {
                    i += 1;
                }
                continue;
            }
            let mut buf = [0; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            if !s[i..].starts_with(enc) {
                return None;
            }
            i += enc.len();
            continue;
        }
        let mut width = None;
        if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            width = Some(d as usize);
            chars.next();
        }
        let spec = chars.next()?;
        let num = |i: &mut usize, max: usize| read_num(s, i, max);
        match spec {
            'Y' => year = num(&mut i, 4)?,
            'y' => year = 2000 + num(&mut i, 2)?,
            'm' => month = num(&mut i, 2)?,
            'd' | 'e' => {
                while i < s.len() && s[i] == b' ' {
                    i += 1;
                }
                day = num(&mut i, 2)?;
            }
            'H' | 'I' => hour = num(&mut i, 2)?,
            'M' => minute = num(&mut i, 2)?,
            'S' => second = num(&mut i, 2)?,
            's' => epoch = Some(num(&mut i, 12)?),
            'j' => {
                let doy = num(&mut i, 3)?;
                month = 1;
                day = doy;
            }
            'N' | 'Q' | 'f' => {
                let start = i;
                let max = width.unwrap_or(9);
                while i < s.len() && i - start < max && s[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = std::str::from_utf8(&s[start..i]).ok()?;
                frac = format!("0.{digits}").parse().unwrap_or(0.0);
            }
            'p' => {
                let word = text.get(i..i + 2)?.to_ascii_uppercase();
                pm = Some(word == "PM");
                i += 2;
            }
            'b' | 'B' | 'h' => {
                let rest = text.get(i..)?.to_ascii_lowercase();
                let (index, len) = MONTHS.iter().enumerate().find_map(|(n, name)| {
                    let name = name.to_ascii_lowercase();
                    if rest.starts_with(&name) {
                        Some((n, name.len()))
                    } else if rest.starts_with(&name[..3]) {
                        Some((n, 3))
                    } else {
                        None
                    }
                })?;
                month = i64::try_from(index).ok()? + 1;
                i += len;
            }
            'z' => {
                if text.get(i..i + 1) == Some("Z") {
                    i += 1;
                } else {
                    let sign = match s.get(i)? {
                        b'+' => 1,
                        b'-' => -1,
                        _ => return None,
                    };
                    i += 1;
                    let hh = num(&mut i, 2)?;
                    if s.get(i) == Some(&b':') {
                        i += 1;
                    }
                    let mm = num(&mut i, 2).unwrap_or(0);
                    offset = sign * (hh * 3600 + mm * 60);
                }
            }
            'a' | 'A' | 'Z' => {
                while i < s.len() && s[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            'T' => {
                hour = num(&mut i, 2)?;
                (s.get(i) == Some(&b':')).then_some(())?;
                i += 1;
                minute = num(&mut i, 2)?;
                (s.get(i) == Some(&b':')).then_some(())?;
                i += 1;
                second = num(&mut i, 2)?;
            }
            'F' => {
                year = num(&mut i, 4)?;
                (s.get(i) == Some(&b'-')).then_some(())?;
                i += 1;
                month = num(&mut i, 2)?;
                (s.get(i) == Some(&b'-')).then_some(())?;
                i += 1;
                day = num(&mut i, 2)?;
            }
            '%' => {
                (s.get(i) == Some(&b'%')).then_some(())?;
                i += 1;
            }
            _ => return None,
        }
    }
    if let Some(epoch) = epoch {
        #[allow(clippy::cast_precision_loss)]
        return Some(epoch as f64);
    }
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    let days = days_from_civil(year, month, 1) + day - 1;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    #[allow(clippy::cast_precision_loss)]
    Some(secs as f64 + frac)
}

fn read_num(s: &[u8], i: &mut usize, max: usize) -> Option<i64> {
    let start = *i;
    if *i < s.len() && (s[*i] == b'-' || s[*i] == b'+') && max > 4 {
        *i += 1;
    }
    while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
        *i += 1;
    }
    std::str::from_utf8(&s[start..*i]).ok()?.parse().ok()
}

/// An RFC 3339 / ISO 8601 timestamp (`2026-03-14T09:12:03.114Z`,
/// `2026-03-14 09:12:03`, with an optional offset) in epoch seconds.
pub(crate) fn parse_iso(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.len() < 10 || t.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let date = &t[..10];
    let base = strptime(date, "%Y-%m-%d")?;
    let rest = t[10..].trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some(base);
    }
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let mut parts = clock.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next().unwrap_or("0").parse().ok()?;
    let sec: f64 = parts.next().unwrap_or("0").parse().ok()?;
    let offset = match zone.as_bytes().first() {
        Some(b'+' | b'-') => {
            let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
            let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            let hh: f64 = digits.get(..2)?.parse().ok()?;
            let mm: f64 = digits.get(2..4).unwrap_or("0").parse().unwrap_or(0.0);
            sign * (hh * 3600.0 + mm * 60.0)
        }
        _ => 0.0,
    };
    Some(base + h * 3600.0 + m * 60.0 + sec - offset)
}

/// A time unit of relative time specifiers and spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    pub(crate) fn parse(text: &str) -> Option<Unit> {
        Some(match text.to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "week" | "weeks" => Unit::Week,
            "mon" | "month" | "months" => Unit::Month,
            "q" | "qtr" | "qtrs" | "quarter" | "quarters" => Unit::Quarter,
            "y" | "yr" | "yrs" | "year" | "years" => Unit::Year,
            _ => return None,
        })
    }

    /// The length in seconds of the fixed-length units.
    pub(crate) fn seconds(self) -> Option<i64> {
        match self {
            Unit::Second => Some(1),
            Unit::Minute => Some(60),
            Unit::Hour => Some(3600),
            Unit::Day => Some(86_400),
            Unit::Week => Some(604_800),
            _ => None,
        }
    }
}

#[allow(clippy::many_single_char_names)]
fn add(t: i64, n: i64, unit: Unit) -> i64 {
    if let Some(len) = unit.seconds() {
        return t + n * len;
    }
    let months = match unit {
        Unit::Quarter => n * 3,
        Unit::Year => n * 12,
        _ => n,
    };
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    days_from_civil(ny, nm, d) * 86_400 + rem
}

fn snap(t: i64, unit: Unit, weekday: Option<i64>) -> i64 {
    let days = t.div_euclid(86_400);
    match unit {
        Unit::Week => {
            // 1970-01-01 was a Thursday; `@w0` is Sunday.
            let target = weekday.unwrap_or(0);
            let wd = (days + 4).rem_euclid(7);
            let back = (wd - target).rem_euclid(7);
            (days - back) * 86_400
        }
        Unit::Month | Unit::Quarter | Unit::Year => {
            let (y, m, _) = civil_from_days(days);
            let m = match unit {
                Unit::Month => m,
                Unit::Quarter => (m - 1) / 3 * 3 + 1,
                _ => 1,
            };
            days_from_civil(y, m, 1) * 86_400
        }
        other => {
            let len = other.seconds().unwrap_or(1);
            t.div_euclid(len) * len
        }
    }
}

/// A relative time specifier (`now`, `-24h`, `-7d@d`, `@w1`, `+1mon`, an
/// epoch number) resolved against `now`; `None` when it is not one.
pub(crate) fn relative_time(now: i64, spec: &str) -> Option<i64> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("now") || spec.is_empty() {
        return Some(now);
    }
    if let Ok(epoch) = spec.parse::<i64>() {
        return Some(epoch);
    }
    let (offsets, snap_to) = match spec.find('@') {
        Some(at) => (&spec[..at], Some(&spec[at + 1..])),
        None => (spec, None),
    };
    let mut t = now;
    let mut rest = offsets;
    while !rest.is_empty() {
        let sign = match rest.as_bytes()[0] {
            b'-' => -1,
            b'+' => 1,
            _ => return None,
        };
        rest = &rest[1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = if digits == 0 {
            1
        } else {
            rest[..digits].parse().ok()?
        };
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = Unit::parse(&rest[..letters])?;
        rest = &rest[letters..];
        t = add(t, sign * n, unit);
    }
    if let Some(snap_to) = snap_to {
        let letters = snap_to.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = Unit::parse(&snap_to[..letters])?;
        let after = &snap_to[letters..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let weekday = if unit == Unit::Week && digits > 0 {
            after[..digits].parse().ok()
        } else {
            None
        };
        t = snap(t, unit, weekday);
        let more = &after[if unit == Unit::Week { digits } else { 0 }..];
        if !more.is_empty() {
            t = relative_time(t, more)?;
        }
    }
    Some(t)
}

/// A span such as `1h`, `30m`, `1d` or `10` (seconds, or units of a
/// numeric field) as a length; months and longer are approximated as
/// 30-day months and 365-day years.
pub(crate) fn span_seconds(spec: &str) -> Option<f64> {
    let spec = spec.trim();
    let digits = spec
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let n: f64 = if digits == 0 {
        1.0
    } else {
        spec[..digits].parse().ok()?
    };
    let unit = &spec[digits..];
    if unit.is_empty() {
        return Some(n);
    }
    let len = match Unit::parse(unit)? {
        Unit::Month => 30 * 86_400,
        Unit::Quarter => 91 * 86_400,
        Unit::Year => 365 * 86_400,
        other => other.seconds()?,
    };
    #[allow(clippy::cast_precision_loss)]
    Some(n * len as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-1000, 0, 59, 365, 20_000, 20_526] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn strftime_and_strptime() {
        // 2026-03-14T09:12:03Z
        let t = 1_773_479_523.0;
        assert_eq!(strftime(t, "%Y-%m-%dT%H:%M:%S"), "2026-03-14T09:12:03");
        assert_eq!(strftime(t, "%m/%d/%Y %H:%M:%S"), "03/14/2026 09:12:03");
        assert_eq!(strftime(t, "%a %b %e"), "Sat Mar 14");
        assert_eq!(
            strptime("2026-03-14T09:12:03", "%Y-%m-%dT%H:%M:%S"),
            Some(t)
        );
        assert_eq!(
            strptime("2026-03-14 10:12:03 +0100", "%Y-%m-%d %H:%M:%S %z"),
            Some(t)
        );
        assert_eq!(parse_iso("2026-03-14T09:12:03.5Z"), Some(t + 0.5));
    }

    #[test]
    fn relative_specifiers() {
        let now = 1_773_479_523;
        assert_eq!(relative_time(now, "-24h"), Some(now - 86_400));
        assert_eq!(
            relative_time(now, "@d"),
            Some(now - (9 * 3600 + 12 * 60 + 3))
        );
        assert_eq!(
            relative_time(now, "-1d@d"),
            Some(now - 86_400 - (9 * 3600 + 12 * 60 + 3))
        );
        assert_eq!(
            relative_time(now, "-1mon@mon"),
            Some(days_from_civil(2026, 2, 1) * 86_400)
        );
        assert_eq!(relative_time(now, "bogus"), None);
        assert_eq!(span_seconds("1h"), Some(3600.0));
    }
}
