//! The values of `eval` expressions and their conversions to and from the
//! JSON values of events.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value as Json;

/// An event or result row: field name → JSON value, in insertion order. A
/// JSON array is a multivalue field.
///
/// Field names are hashed with a fast fixed-seed hasher: rows are looked
/// up by field name far more often than anything else the engine does.
pub type Event = indexmap::IndexMap<String, Json, EventHasher>;

/// The hasher of [`Event`] field names.
pub type EventHasher = foldhash::fast::FixedState;

/// The event of a JSON object, its fields in the same order.
#[must_use]
pub fn event_from_object(object: serde_json::Map<String, Json>) -> Event {
    object.into_iter().collect()
}

/// The JSON object of an event or result row, its fields in the same order.
#[must_use]
pub fn event_into_object(event: Event) -> serde_json::Map<String, Json> {
    event.into_iter().collect()
}

/// A value while an expression is evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// No value (a missing field, `null()`).
    Null,
    /// The result of a comparison or boolean function.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// A multivalue field.
    Multi(Vec<Value>),
}

impl Value {
    /// The value of a JSON field: arrays are multivalues, objects their JSON
    /// text, booleans the strings `true` / `false`.
    pub(crate) fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Str(b.to_string()),
            Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Num),
            Json::String(s) => Value::Str(s.clone()),
            Json::Array(items) => {
                let values: Vec<Value> = items
                    .iter()
                    .map(Value::from_json)
                    .filter(|v| !v.is_null())
                    .collect();
                match values.len() {
                    0 => Value::Null,
                    1 => values.into_iter().next().unwrap_or(Value::Null),
                    _ => Value::Multi(values),
                }
            }
            Json::Object(_) => Value::Str(json.to_string()),
        }
    }

    /// The JSON form stored in a row; `None` for null (the field is
    /// removed).
    pub(crate) fn to_json(&self) -> Option<Json> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Json::String(b.to_string())),
            Value::Num(n) => Some(json_number(*n)),
            Value::Str(s) => Some(Json::String(s.clone())),
            Value::Multi(items) => Some(Json::Array(
                items.iter().filter_map(Value::to_json).collect(),
            )),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The number this value reads as: a number, or a string holding one.
    /// A multivalue with a single value reads as that value.
    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => parse_number(s),
            Value::Multi(items) if items.len() == 1 => items[0].as_num(),
            _ => None,
        }
    }

    /// The text of this value; a multivalue reads as its first value.
    pub(crate) fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Num(n) => Some(Cow::Owned(format_number(*n))),
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Multi(items) => items.first().and_then(Value::as_text),
        }
    }

    /// Whether the value is true in a condition: a boolean, or a non-zero
    /// number.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            _ => false,
        }
    }

    /// The single values (each value of a multivalue, or the value itself).
    pub(crate) fn items(&self) -> &[Value] {
        match self {
            Value::Null => &[],
            Value::Multi(items) => items,
            other => std::slice::from_ref(other),
        }
    }

    /// The single values as owned texts.
    pub(crate) fn texts(&self) -> Vec<String> {
        self.items()
            .iter()
            .filter_map(|v| v.as_text().map(Cow::into_owned))
            .collect()
    }

    /// A multivalue from values; one value stays single, none is null.
    pub(crate) fn multi(mut values: Vec<Value>) -> Value {
        match values.len() {
            0 => Value::Null,
            1 => values.pop().unwrap_or(Value::Null),
            _ => Value::Multi(values),
        }
    }
}

/// A number as Splunk prints it: integers without a fraction, others with
/// the shortest exact digits.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        if n == 0.0 && n.is_sign_negative() {
            return "-0".to_owned();
        }
        // Exact: integral and below 2^53. As `{n:.0}` formats it.
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        itoa::Buffer::new().format(i).to_owned()
    } else {
        format!("{n}")
    }
}

/// A JSON number: an integer when the value is integral.
pub(crate) fn json_number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        return Json::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
}

/// The number a string holds (leading and trailing spaces allowed), as
/// Splunk reads numeric field values: decimal, optional sign, fraction and
/// exponent, or a `0x` hexadecimal integer.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let bytes = t.as_bytes();
    let first = bytes[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        #[allow(clippy::cast_precision_loss)]
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    if t.bytes()
        .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Splunk's comparison of two single values: numerically when both read as
/// numbers, otherwise as strings (case-sensitive).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x.partial_cmp(&y);
    }
    let (x, y) = (a.as_text()?, b.as_text()?);
    Some(x.as_ref().cmp(y.as_ref()))
}

/// The order of `sort` and `values()`: numbers before strings, numbers
/// numerically, strings lexicographically.
pub(crate) fn sort_order(a: &str, b: &str) -> Ordering {
    match (parse_number(a), parse_number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn numbers_format_as_rust_formats_them() {
        for n in [
            0.0,
            -0.0,
            1.0,
            -7.0,
            123_456.0,
            999_999_999_999_999.0,
            1e15,
            -1e15,
            2.5,
            -0.125,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ] {
            let want = if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{n:.0}")
            } else {
                format!("{n}")
            };
            assert_eq!(format_number(n), want, "{n:?}");
        }
    }
}
