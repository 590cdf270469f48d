//! Value-level tests: what one rule value checks against one event value.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::Value;

use crate::matcher::{Re, StrMatcher};
use crate::time::{TimePart, parse_timestamp};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`.
    Eq,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
}

impl CmpOp {
    /// The operator as written in a trace (`<`, `>=`, …).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
        }
    }
}

impl CmpOp {
    pub(crate) fn apply(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => (a - b).abs() < f64::EPSILON * a.abs().max(1.0),
            CmpOp::Lt => a < b,
            CmpOp::Lte => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Gte => a >= b,
        }
    }
}

/// How a `fieldref` compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Equal.
    Equals,
    /// The field contains the other.
    Contains,
    /// The field starts with the other.
    StartsWith,
    /// The field ends with the other.
    EndsWith,
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parse `10.0.0.0/8`, `fe80::/10` or a bare address.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (
                a.trim().parse::<IpAddr>().ok()?,
                Some(p.trim().parse::<u8>().ok()?),
            ),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// One test of a field value.
#[derive(Debug, Clone)]
pub enum ValueTest {
    /// A string pattern (also tried on the text of numbers and booleans).
    Str(StrMatcher),
    /// A number: equal to a numeric event value, or to a string spelling it.
    Num {
        /// The number.
        value: f64,
        /// Its text as written.
        text: String,
    },
    /// A boolean (`true` also matches the string `"true"`).
    Bool(bool),
    /// `null`: the field is missing or null.
    Null,
    /// `exists`: the field is present (or absent).
    Exists(bool),
    /// `lt`/`lte`/`gt`/`gte`.
    Cmp(CmpOp, f64),
    /// `minute`, `hour`, … of a date value, compared.
    TimePart(TimePart, CmpOp, f64),
    /// `cidr`.
    Cidr(Cidr),
    /// `re`.
    Regex(Re),
    /// `fieldref`: compared with another field of the same event.
    FieldRef {
        /// The other field's local id.
        other: u32,
        /// How.
        kind: RefKind,
        /// Case-sensitive.
        cased: bool,
    },
    /// Any of several tests: the variants one written value expands to,
    /// kept together under `all`.
    AnyOf(Vec<ValueTest>),
}

/// Small stack buffer for the text of numbers.
struct Buf {
    bytes: [u8; 40],
    len: usize,
}

impl std::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Call `f` with the text of a scalar value (strings, numbers, booleans)
/// without allocating; None for other values.
pub(crate) fn with_text<R>(v: &Value, f: impl FnOnce(&str) -> R) -> Option<R> {
    match v {
        Value::String(s) => Some(f(s)),
        Value::Number(n) => {
            let mut buf = Buf {
                bytes: [0; 40],
                len: 0,
            };
            write!(buf, "{n}").ok()?;
            std::str::from_utf8(&buf.bytes[..buf.len]).ok().map(f)
        }
        Value::Bool(b) => Some(f(if *b { "true" } else { "false" })),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
            }
            s.parse::<f64>().ok()
        }
        _ => None,
    }
}

impl ValueTest {
    /// Whether the field value `v` (None: field missing) passes; `other`
    /// looks up another field for `fieldref`.
    pub(crate) fn eval<'e>(
        &self,
        v: Option<&Value>,
        other: &dyn Fn(u32) -> Option<&'e Value>,
    ) -> bool {
        match self {
            ValueTest::Null => matches!(v, None | Some(Value::Null)),
            ValueTest::Exists(want) => v.is_some() == *want,
            ValueTest::AnyOf(tests) => tests.iter().any(|t| t.eval(v, other)),
            _ => match v {
                None => false,
                Some(Value::Array(items)) => items.iter().any(|i| self.scalar(i, other)),
                Some(v) => self.scalar(v, other),
            },
        }
    }

    fn scalar<'e>(&self, v: &Value, other: &dyn Fn(u32) -> Option<&'e Value>) -> bool {
        match self {
            ValueTest::Null => v.is_null(),
            ValueTest::Exists(want) => *want,
            ValueTest::AnyOf(tests) => tests.iter().any(|t| t.scalar(v, other)),
            ValueTest::Str(m) => with_text(v, |s| m.is_match(s)).unwrap_or(false),
            ValueTest::Regex(re) => with_text(v, |s| re.is_match(s)).unwrap_or(false),
            ValueTest::Num { value, text } => match v {
                Value::Number(n) => n.as_f64().is_some_and(|n| CmpOp::Eq.apply(n, *value)),
                Value::String(s) => {
                    s == text
                        || s.trim()
                            .parse::<f64>()
                            .is_ok_and(|n| CmpOp::Eq.apply(n, *value))
                }
                _ => false,
            },
            ValueTest::Bool(b) => match v {
                Value::Bool(x) => x == b,
                Value::String(s) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
                _ => false,
            },
            ValueTest::Cmp(op, value) => as_number(v).is_some_and(|n| op.apply(n, *value)),
            ValueTest::TimePart(part, op, value) => {
                parse_timestamp(v).is_some_and(|t| op.apply(f64::from(part.of(t)), *value))
            }
            ValueTest::Cidr(net) => v
                .as_str()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
                .is_some_and(|ip| net.contains(ip)),
            ValueTest::FieldRef {
                other: id,
                kind,
                cased,
            } => {
                let Some(o) = other(*id) else {
                    return false;
                };
                let items: &[Value] = match o {
                    Value::Array(items) => items,
                    single => std::slice::from_ref(single),
                };
                items.iter().any(|o| {
                    with_text(v, |a| {
                        with_text(o, |b| compare_ref(a, b, *kind, *cased)).unwrap_or(false)
                    })
                    .unwrap_or(false)
                })
            }
        }
    }
}

fn compare_ref(a: &str, b: &str, kind: RefKind, cased: bool) -> bool {
    if cased {
        return match kind {
            RefKind::Equals => a == b,
            RefKind::Contains => a.contains(b),
            RefKind::StartsWith => a.starts_with(b),
            RefKind::EndsWith => a.ends_with(b),
        };
    }
    if a.is_ascii() && b.is_ascii() {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        return match kind {
            RefKind::Equals => a.eq_ignore_ascii_case(b),
            RefKind::StartsWith => a.len() >= b.len() && a[..b.len()].eq_ignore_ascii_case(b),
            RefKind::EndsWith => {
                a.len() >= b.len() && a[a.len() - b.len()..].eq_ignore_ascii_case(b)
            }
            RefKind::Contains => {
                b.is_empty() || a.windows(b.len()).any(|w| w.eq_ignore_ascii_case(b))
            }
        };
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    compare_ref(&a, &b, kind, true)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn none(_: u32) -> Option<&'static Value> {
        None
    }

    #[test]
    fn cidr_v4_and_v6() {
        let cases = [
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.0/24", "192.168.1.255", true),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("fe80::/10", "fe80::1", true),
            ("fe80::/10", "2001:db8::1", false),
            ("::1/128", "::1", true),
            ("10.0.0.0/8", "::1", false),
        ];
        for (net, ip, want) in cases {
            let t = ValueTest::Cidr(Cidr::parse(net).unwrap_or_else(|| panic!("{net}")));
            assert_eq!(t.eval(Some(&json!(ip)), &none), want, "{net} {ip}");
        }
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nope").is_none());
    }

    #[test]
    fn numbers_strings_and_booleans() {
        let one = ValueTest::Num {
            value: 1.0,
            text: "1".into(),
        };
        assert!(one.eval(Some(&json!(1)), &none));
        assert!(one.eval(Some(&json!("1")), &none));
        assert!(one.eval(Some(&json!(1.0)), &none));
        assert!(!one.eval(Some(&json!(2)), &none));
        assert!(!one.eval(Some(&json!("x")), &none));
        assert!(one.eval(Some(&json!([3, 1])), &none), "any array element");
        assert!(!one.eval(None, &none));
        let t = ValueTest::Bool(true);
        assert!(t.eval(Some(&json!(true)), &none));
        assert!(t.eval(Some(&json!("True")), &none));
        assert!(!t.eval(Some(&json!(false)), &none));
    }

    #[test]
    fn comparisons() {
        let cases = [
            (CmpOp::Gt, 5.0, json!(6), true),
            (CmpOp::Gt, 5.0, json!(5), false),
            (CmpOp::Gte, 5.0, json!(5), true),
            (CmpOp::Lt, 5.0, json!("4"), true),
            (CmpOp::Lte, 5.0, json!(5.5), false),
            (CmpOp::Gt, 15.0, json!("0x10"), true),
            (CmpOp::Gt, 5.0, json!("abc"), false),
        ];
        for (op, n, v, want) in cases {
            assert_eq!(
                ValueTest::Cmp(op, n).eval(Some(&v), &none),
                want,
                "{op:?} {n} {v}"
            );
        }
    }

    #[test]
    fn null_and_exists() {
        assert!(ValueTest::Null.eval(None, &none));
        assert!(ValueTest::Null.eval(Some(&Value::Null), &none));
        assert!(!ValueTest::Null.eval(Some(&json!("")), &none));
        assert!(ValueTest::Exists(true).eval(Some(&Value::Null), &none));
        assert!(!ValueTest::Exists(true).eval(None, &none));
        assert!(ValueTest::Exists(false).eval(None, &none));
    }

    #[test]
    fn fieldref_compares_fields() {
        let other = json!("C:\\Temp\\A.exe");
        let get = |_: u32| Some(&other);
        let t = |kind, cased| ValueTest::FieldRef {
            other: 0,
            kind,
            cased,
        };
        assert!(t(RefKind::Equals, false).eval(Some(&json!("c:\\temp\\a.exe")), &get));
        assert!(!t(RefKind::Equals, true).eval(Some(&json!("c:\\temp\\a.exe")), &get));
        assert!(t(RefKind::StartsWith, false).eval(Some(&json!("c:\\temp\\a.exe -x")), &get));
        assert!(t(RefKind::Contains, false).eval(Some(&json!("run c:\\temp\\a.exe now")), &get));
        assert!(t(RefKind::EndsWith, false).eval(Some(&json!("x c:\\temp\\a.exe")), &get));
        assert!(!t(RefKind::Equals, false).eval(Some(&json!("other")), &get));
        assert!(!t(RefKind::Equals, false).eval(Some(&json!("x")), &none));
    }
}
