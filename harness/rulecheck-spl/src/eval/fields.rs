//! Reading fields, the raw text and the time of an event.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value as Json;

use super::time;
use super::value::{Event, Value, format_number};

/// The value of `name`: the key itself, or else a dotted path into nested
/// objects (`Event.System.EventID`). JSON null reads as missing.
pub(crate) fn get<'a>(event: &'a Event, name: &str) -> Option<&'a Json> {
    if let Some(value) = event.get(name) {
        return (!value.is_null()).then_some(value);
    }
    if !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    let mut current = event.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    (!current.is_null()).then_some(current)
}

/// The value of `name` as an expression value.
pub(crate) fn value(event: &Event, name: &str) -> Value {
    get(event, name).map_or(Value::Null, Value::from_json)
}

/// Whether `test` holds for any single value of `json` (each item of an
/// array), read as text.
pub(crate) fn any_text(json: &Json, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match json {
        Json::Null => false,
        Json::String(s) => test(s),
        Json::Number(n) => match n.as_i64() {
            // Formatted on the stack: integers are read this way for
            // every row of a batch's indexes.
            Some(i) => test(itoa::Buffer::new().format(i)),
            None => n.as_f64().is_some_and(|f| test(&format_number(f))),
        },
        Json::Bool(b) => test(if *b { "true" } else { "false" }),
        Json::Array(items) => items.iter().any(|item| any_text(item, test)),
        Json::Object(_) => test(&json.to_string()),
    }
}

/// The event's raw text: `_raw` when it is a string, otherwise one
/// `key=value` pair per field (nested objects flattened to dotted keys, one
/// pair per array item), separated by spaces, with values that contain
/// white space or are empty in double quotes.
pub(crate) fn raw(event: &Event) -> Cow<'_, str> {
    if let Some(Json::String(raw)) = event.get("_raw") {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(512);
    write_raw(&mut out, event);
    Cow::Owned(out)
}

/// Append to `out` the raw text [`raw`] builds for an event without a
/// `_raw` string.
pub(crate) fn write_raw(out: &mut String, event: &Event) {
    for (key, value) in event {
        if key == "_raw" || key == "_time" {
            continue;
        }
        write_pairs(out, key, value);
    }
}

fn write_pairs(out: &mut String, key: &str, value: &Json) {
    match value {
        Json::Null => {}
        Json::Object(map) => {
            for (k, v) in map {
                write_pairs(out, &format!("{key}.{k}"), v);
            }
        }
        Json::Array(items) => {
            for item in items {
                write_pairs(out, key, item);
            }
        }
        Json::String(text) => {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(key);
            out.push('=');
            if text.is_empty() || has_whitespace(text) {
                out.push('"');
                out.push_str(text);
                out.push('"');
            } else {
                out.push_str(text);
            }
        }
        // A number or a boolean: its JSON text, never empty or spaced.
        other => {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(key);
            out.push('=');
            let _ = write!(out, "{other}");
        }
    }
}

/// Whether `text` has a white space character (`char::is_whitespace`),
/// without decoding ASCII text.
fn has_whitespace(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| matches!(b, b'\t'..=b'\r' | b' '))
    } else {
        text.contains(char::is_whitespace)
    }
}

/// The fields the time of an event is read from, in order.
pub(crate) const TIME_FIELDS: &[&str] = &["_time", "@timestamp", "TimeCreated", "timestamp"];

/// The event time in epoch seconds: the first of [`TIME_FIELDS`] holding
/// epoch seconds (a number or numeric string) or an RFC 3339 / ISO 8601
/// timestamp.
pub(crate) fn event_time(event: &Event) -> Option<f64> {
    TIME_FIELDS.iter().find_map(|name| {
        let json = event.get(*name)?;
        match json {
            Json::Number(n) => n.as_f64(),
            Json::String(s) => super::value::parse_number(s).or_else(|| time::parse_iso(s)),
            _ => None,
        }
    })
}

/// The names of `event`'s fields matching `pattern` (a field name with `*`
/// wildcards); names beginning with `_` match only a pattern that begins
/// with `_`.
pub(crate) fn matching_names<'a>(event: &'a Event, pattern: &str) -> Vec<&'a String> {
    if !pattern.contains('*') {
        return event
            .get_key_value(pattern)
            .map(|(name, _)| name)
            .into_iter()
            .collect();
    }
    event
        .keys()
        .filter(|name| name_matches(pattern, name))
        .collect()
}

/// Whether a field name matches a pattern with `*` wildcards (case-sensitive,
/// as field names are).
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    if name.starts_with('_') && !pattern.starts_with('_') {
        return false;
    }
    wildcard_captures(pattern, name).is_some()
}

/// The texts the `*`s of `pattern` matched in `name` (leftmost, shortest
/// for all but the last), or `None` when it does not match.
pub(crate) fn wildcard_captures(pattern: &str, name: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split('*').collect();
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if parts.len() == 1 {
        return (pattern == name).then(Vec::new);
    }
    let rest = name.strip_prefix(first)?;
    if rest.len() < last.len() {
        return None;
    }
    let middle_end = rest.len() - last.len();
    if !rest[middle_end..].eq(last) || !rest.is_char_boundary(middle_end) {
        return None;
    }
    let mut body = &rest[..middle_end];
    let mut captures = Vec::new();
    for part in &parts[1..parts.len() - 1] {
        let at = body.find(part)?;
        captures.push(body[..at].to_owned());
        body = &body[at + part.len()..];
    }
    captures.push(body.to_owned());
    Some(captures)
}

/// `to` with each `*` replaced by the next capture.
pub(crate) fn fill_wildcards(to: &str, captures: &[String]) -> String {
    let mut out = String::new();
    let mut captures = captures.iter();
    for (i, part) in to.split('*').enumerate() {
        if i > 0 {
            out.push_str(captures.next().map_or("", String::as_str));
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_read_as_their_text() {
        for (json, text) in [
            (json!(0), "0"),
            (json!(-12), "-12"),
            (json!(i64::MIN), "-9223372036854775808"),
        ] {
            let mut seen = String::new();
            any_text(&json, &mut |s| {
                seen = s.to_owned();
                true
            });
            assert_eq!(seen, text);
        }
    }

    #[test]
    fn raw_text_quotes_empty_and_spaced_values() {
        let event: Event = serde_json::from_value(json!({
            "_time": 5,
            "a": "x y",
            "b": "",
            "c": 12,
            "d": true,
            "e": "tab\u{b}here",
            "f": "nbsp\u{a0}here",
            "g": "plain",
            "h": {"i": ["j", 2]},
        }))
        .unwrap();
        assert_eq!(
            raw(&event),
            "a=\"x y\" b=\"\" c=12 d=true e=\"tab\u{b}here\" f=\"nbsp\u{a0}here\" g=plain \
             h.i=j h.i=2"
        );
    }
}
