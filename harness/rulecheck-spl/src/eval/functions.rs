//! The `eval` functions rulecheck evaluates.

use std::net::IpAddr;

use rulecheck_core::{Diagnostic, Span};

use super::diag::{invalid, unsupported};
use super::expr::{CExpr, ExprEnv};
use super::pattern::Re;
use super::time;
use super::value::{Event, Value, format_number};

/// An `eval` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub(crate) enum Func {
    If,
    Case,
    Like,
    Match,
    Lower,
    Upper,
    Len,
    Substr,
    Replace,
    Split,
    Trim,
    Ltrim,
    Rtrim,
    Urldecode,
    Mvcount,
    Mvindex,
    Mvjoin,
    Mvappend,
    Mvfilter,
    Mvfind,
    Mvdedup,
    Mvsort,
    Mvzip,
    Mvmap,
    Isnull,
    Isnotnull,
    Isnum,
    Isint,
    Isstr,
    Typeof,
    Coalesce,
    Tostring,
    Tonumber,
    Round,
    Floor,
    Ceiling,
    Abs,
    Sqrt,
    Pow,
    Exp,
    Ln,
    Log,
    Pi,
    Sin,
    Cos,
    Atan2,
    Min,
    Max,
    Strftime,
    Strptime,
    Now,
    Time,
    RelativeTime,
    Cidrmatch,
    Null,
    True,
    False,
}

/// Name, function, minimum and maximum number of arguments.
const FUNCTIONS: &[(&str, Func, usize, usize)] = &[
    ("if", Func::If, 3, 3),
    ("case", Func::Case, 2, usize::MAX),
    ("like", Func::Like, 2, 2),
    ("match", Func::Match, 2, 2),
    ("lower", Func::Lower, 1, 1),
    ("upper", Func::Upper, 1, 1),
    ("len", Func::Len, 1, 1),
    ("substr", Func::Substr, 2, 3),
    ("replace", Func::Replace, 3, 3),
    ("split", Func::Split, 2, 2),
    ("trim", Func::Trim, 1, 2),
    ("ltrim", Func::Ltrim, 1, 2),
    ("rtrim", Func::Rtrim, 1, 2),
    ("urldecode", Func::Urldecode, 1, 1),
    ("mvcount", Func::Mvcount, 1, 1),
    ("mvindex", Func::Mvindex, 2, 3),
    ("mvjoin", Func::Mvjoin, 2, 2),
    ("mvappend", Func::Mvappend, 1, usize::MAX),
    ("mvfilter", Func::Mvfilter, 1, 1),
    ("mvfind", Func::Mvfind, 2, 2),
    ("mvdedup", Func::Mvdedup, 1, 1),
    ("mvsort", Func::Mvsort, 1, 1),
    ("mvzip", Func::Mvzip, 2, 3),
    ("mvmap", Func::Mvmap, 2, 2),
    ("isnull", Func::Isnull, 1, 1),
    ("isnotnull", Func::Isnotnull, 1, 1),
    ("isnum", Func::Isnum, 1, 1),
    ("isint", Func::Isint, 1, 1),
    ("isstr", Func::Isstr, 1, 1),
    ("typeof", Func::Typeof, 1, 1),
    ("coalesce", Func::Coalesce, 1, usize::MAX),
    ("tostring", Func::Tostring, 1, 2),
    ("tonumber", Func::Tonumber, 1, 2),
    ("round", Func::Round, 1, 2),
    ("floor", Func::Floor, 1, 1),
    ("ceiling", Func::Ceiling, 1, 1),
    ("ceil", Func::Ceiling, 1, 1),
    ("abs", Func::Abs, 1, 1),
    ("sqrt", Func::Sqrt, 1, 1),
    ("pow", Func::Pow, 2, 2),
    ("exp", Func::Exp, 1, 1),
    ("ln", Func::Ln, 1, 1),
    ("log", Func::Log, 1, 2),
    ("pi", Func::Pi, 0, 0),
    ("sin", Func::Sin, 1, 1),
    ("cos", Func::Cos, 1, 1),
    ("atan2", Func::Atan2, 2, 2),
    ("min", Func::Min, 1, usize::MAX),
    ("max", Func::Max, 1, usize::MAX),
    ("strftime", Func::Strftime, 2, 2),
    ("strptime", Func::Strptime, 2, 2),
    ("now", Func::Now, 0, 0),
    ("time", Func::Time, 0, 0),
    ("relative_time", Func::RelativeTime, 2, 2),
    ("cidrmatch", Func::Cidrmatch, 2, 2),
    ("null", Func::Null, 0, 0),
    ("true", Func::True, 0, 0),
    ("false", Func::False, 0, 0),
];

/// Compile a call: resolve the name, check the arity, compile a literal
/// regular expression argument.
pub(crate) fn compile_call(
    name: &str,
    args: Vec<CExpr>,
    span: Span,
    errors: &mut Vec<Diagnostic>,
) -> CExpr {
    let lower = name.to_ascii_lowercase();
    let Some(&(_, func, min, max)) = FUNCTIONS.iter().find(|(n, ..)| *n == lower) else {
        errors.push(unsupported(&format!("the eval function `{name}`"), span));
        return CExpr::Lit(Value::Null);
    };
    if args.len() < min || args.len() > max {
        errors.push(invalid(
            format!("`{name}` takes {min}..{max} arguments, not {}", args.len())
                .replace(&format!("{}..{}", usize::MAX, usize::MAX), "any number of"),
            span,
        ));
        return CExpr::Lit(Value::Null);
    }
    if func == Func::Case && !args.len().is_multiple_of(2) {
        errors.push(invalid("`case` takes condition, value pairs", span));
    }
    let re = match (func, args.get(1)) {
        (Func::Match | Func::Replace, Some(CExpr::Lit(Value::Str(pattern)))) => {
            match Re::new(pattern) {
                Ok(re) => Some(re),
                Err(message) => {
                    errors.push(invalid(format!("bad regular expression: {message}"), span));
                    None
                }
            }
        }
        _ => None,
    };
    CExpr::Call { func, args, re }
}

/// SQL `LIKE`: `%` any text, `_` one character; case-sensitive. Matched
/// without building a regular expression (greedy `%` with backtracking to
/// the last `%`), so a pattern computed per row costs no compilation.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    // The position after the last `%` and the text position it resumes at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '%' {
            star = Some((pi + 1, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

fn text(value: &Value) -> Option<String> {
    value.as_text().map(std::borrow::Cow::into_owned)
}

/// Call `func`.
#[allow(clippy::too_many_lines)]
pub(crate) fn call(
    func: Func,
    args: &[CExpr],
    re: Option<&Re>,
    row: &Event,
    env: &ExprEnv,
) -> Value {
    let arg = |i: usize| args.get(i).map_or(Value::Null, |a| a.eval(row, env));
    let number = |i: usize| arg(i).as_num();
    let dynamic_re = |i: usize| -> Option<Re> { text(&arg(i)).and_then(|p| Re::new(&p).ok()) };
    match func {
        Func::If => {
            if arg(0).truthy() {
                arg(1)
            } else {
                arg(2)
            }
        }
        Func::Case => {
            for pair in args.chunks(2) {
                if pair.len() == 2 && pair[0].eval(row, env).truthy() {
                    return pair[1].eval(row, env);
                }
            }
            Value::Null
        }
        Func::Like => match (text(&arg(0)), text(&arg(1))) {
            (Some(t), Some(p)) => Value::Bool(like(&t, &p)),
            _ => Value::Null,
        },
        Func::Match => {
            let value = arg(0);
            if value.is_null() {
                return Value::Null;
            }
            let owned;
            let re = match re {
                Some(re) => re,
                None => match dynamic_re(1) {
                    Some(r) => {
                        owned = r;
                        &owned
                    }
                    None => return Value::Null,
                },
            };
            Value::Bool(value.texts().iter().any(|t| re.is_match(t)))
        }
        Func::Lower => map_text(arg(0), str::to_lowercase),
        Func::Upper => map_text(arg(0), str::to_uppercase),
        Func::Len => text(&arg(0)).map_or(Value::Null, |s| {
            #[allow(clippy::cast_precision_loss)]
            Value::Num(s.chars().count() as f64)
        }),
        Func::Substr => substr(&arg(0), number(1), args.get(2).map(|_| number(2))),
        Func::Replace => {
            let (Some(t), Some(rep)) = (text(&arg(0)), text(&arg(2))) else {
                return Value::Null;
            };
            let owned;
            let re = match re {
                Some(re) => re,
                None => match dynamic_re(1) {
                    Some(r) => {
                        owned = r;
                        &owned
                    }
                    None => return Value::Null,
                },
            };
            Value::Str(re.replace(&t, &rep, true))
        }
        Func::Split => match (text(&arg(0)), text(&arg(1))) {
            (Some(t), Some(d)) if d.is_empty() => {
                Value::multi(t.chars().map(|c| Value::Str(c.to_string())).collect())
            }
            (Some(t), Some(d)) => Value::multi(
                t.split(d.as_str())
                    .map(|s| Value::Str(s.to_owned()))
                    .collect(),
            ),
            _ => Value::Null,
        },
        Func::Trim | Func::Ltrim | Func::Rtrim => {
            let Some(t) = text(&arg(0)) else {
                return Value::Null;
            };
            let chars: Vec<char> = args
                .get(1)
                .and_then(|_| text(&arg(1)))
                .map_or_else(|| vec![' ', '\t'], |s| s.chars().collect());
            let trimmed = match func {
                Func::Ltrim => t.trim_start_matches(chars.as_slice()),
                Func::Rtrim => t.trim_end_matches(chars.as_slice()),
                _ => t.trim_matches(chars.as_slice()),
            };
            Value::Str(trimmed.to_owned())
        }
        Func::Urldecode => map_text(arg(0), urldecode),
        Func::Mvcount => {
            let v = arg(0);
            if v.is_null() {
                Value::Null
            } else {
                #[allow(clippy::cast_precision_loss)]
                Value::Num(v.items().len() as f64)
            }
        }
        Func::Mvindex => mvindex(&arg(0), number(1), args.get(2).and_then(|_| number(2))),
        Func::Mvjoin => match text(&arg(1)) {
            Some(d) => {
                let v = arg(0);
                if v.is_null() {
                    Value::Null
                } else {
                    Value::Str(v.texts().join(&d))
                }
            }
            None => Value::Null,
        },
        Func::Mvappend => Value::multi(
            (0..args.len())
                .flat_map(|i| arg(i).items().to_vec())
                .collect(),
        ),
        Func::Mvfilter => mvfilter(&args[0], row, env),
        Func::Mvfind => {
            let v = arg(0);
            let Some(re) = dynamic_re(1) else {
                return Value::Null;
            };
            v.texts()
                .iter()
                .position(|t| re.is_match(t))
                .map_or(Value::Null, |i| {
                    #[allow(clippy::cast_precision_loss)]
                    Value::Num(i as f64)
                })
        }
        Func::Mvdedup => {
            let mut seen = Vec::new();
            for item in arg(0).items() {
                if !seen.contains(item) {
                    seen.push(item.clone());
                }
            }
            Value::multi(seen)
        }
        Func::Mvsort => {
            let mut texts = arg(0).texts();
            texts.sort();
            Value::multi(texts.into_iter().map(Value::Str).collect())
        }
        Func::Mvzip => {
            let delim = args
                .get(2)
                .and_then(|_| text(&arg(2)))
                .unwrap_or_else(|| ",".to_owned());
            let (a, b) = (arg(0).texts(), arg(1).texts());
            Value::multi(
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| Value::Str(format!("{x}{delim}{y}")))
                    .collect(),
            )
        }
        Func::Mvmap => mvmap(&args[0], &args[1], row, env),
        Func::Isnull => Value::Bool(arg(0).is_null()),
        Func::Isnotnull => Value::Bool(!arg(0).is_null()),
        Func::Isnum => Value::Bool(matches!(arg(0), Value::Num(_))),
        Func::Isint => Value::Bool(matches!(arg(0), Value::Num(n) if n.fract() == 0.0)),
        Func::Isstr => Value::Bool(matches!(arg(0), Value::Str(_))),
        Func::Typeof => Value::Str(
            match arg(0) {
                Value::Null => "Invalid",
                Value::Bool(_) => "Boolean",
                Value::Num(_) => "Number",
                Value::Str(_) | Value::Multi(_) => "String",
            }
            .to_owned(),
        ),
        Func::Coalesce => (0..args.len())
            .map(arg)
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        Func::Tostring => tostring(&arg(0), args.get(1).and_then(|_| text(&arg(1)))),
        Func::Tonumber => {
            let v = arg(0);
            match args.get(1).and_then(|_| number(1)) {
                Some(base) if (base - 10.0).abs() > f64::EPSILON => text(&v)
                    .and_then(|t| {
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let radix = base as u32;
                        let t = t.trim().trim_start_matches("0x").trim_start_matches("0X");
                        i64::from_str_radix(t, radix).ok()
                    })
                    .map_or(Value::Null, |n| {
                        #[allow(clippy::cast_precision_loss)]
                        Value::Num(n as f64)
                    }),
                _ => v.as_num().map_or(Value::Null, Value::Num),
            }
        }
        Func::Round => match number(0) {
            Some(x) => {
                let digits = args.get(1).and_then(|_| number(1)).unwrap_or(0.0);
                let factor = 10f64.powf(digits);
                Value::Num((x * factor).round() / factor)
            }
            None => Value::Null,
        },
        Func::Floor => unary(number(0), f64::floor),
        Func::Ceiling => unary(number(0), f64::ceil),
        Func::Abs => unary(number(0), f64::abs),
        Func::Sqrt => unary(number(0), f64::sqrt),
        Func::Exp => unary(number(0), f64::exp),
        Func::Ln => unary(number(0), f64::ln),
        Func::Sin => unary(number(0), f64::sin),
        Func::Cos => unary(number(0), f64::cos),
        Func::Log => match (number(0), args.get(1).map_or(Some(10.0), |_| number(1))) {
            (Some(x), Some(b)) if (b - 10.0).abs() < f64::EPSILON => Value::Num(x.log10()),
            (Some(x), Some(b)) if (b - 2.0).abs() < f64::EPSILON => Value::Num(x.log2()),
            (Some(x), Some(b)) => Value::Num(x.log(b)),
            _ => Value::Null,
        },
        Func::Pow => match (number(0), number(1)) {
            (Some(x), Some(y)) => Value::Num(x.powf(y)),
            _ => Value::Null,
        },
        Func::Atan2 => match (number(0), number(1)) {
            (Some(y), Some(x)) => Value::Num(y.atan2(x)),
            _ => Value::Null,
        },
        Func::Pi => Value::Num(std::f64::consts::PI),
        Func::Min | Func::Max => min_max(
            func == Func::Max,
            &(0..args.len()).map(arg).collect::<Vec<_>>(),
        ),
        Func::Strftime => match (number(0), text(&arg(1))) {
            (Some(t), Some(f)) => Value::Str(time::strftime(t, &f)),
            _ => Value::Null,
        },
        Func::Strptime => match (text(&arg(0)), text(&arg(1))) {
            (Some(t), Some(f)) => time::strptime(&t, &f).map_or(Value::Null, Value::Num),
            _ => Value::Null,
        },
        #[allow(clippy::cast_precision_loss)]
        Func::Now | Func::Time => Value::Num(env.now as f64),
        Func::RelativeTime => match (number(0), text(&arg(1))) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            (Some(t), Some(spec)) => {
                time::relative_time(t as i64, &spec).map_or(Value::Null, |r| Value::Num(r as f64))
            }
            _ => Value::Null,
        },
        Func::Cidrmatch => match (text(&arg(0)), text(&arg(1))) {
            (Some(cidr), Some(ip)) => Value::Bool(cidr_match(&cidr, &ip)),
            _ => Value::Null,
        },
        Func::Null => Value::Null,
        Func::True => Value::Bool(true),
        Func::False => Value::Bool(false),
    }
}

fn map_text(value: Value, f: impl Fn(&str) -> String) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Multi(items) => Value::Multi(
            items
                .iter()
                .filter_map(|v| v.as_text().map(|t| Value::Str(f(&t))))
                .collect(),
        ),
        other => other.as_text().map_or(Value::Null, |t| Value::Str(f(&t))),
    }
}

fn unary(x: Option<f64>, f: fn(f64) -> f64) -> Value {
    x.map(f)
        .filter(|n| n.is_finite())
        .map_or(Value::Null, Value::Num)
}

/// `substr(s, start[, length])`: 1-based; a negative start counts from the
/// end. `length` is `None` when not given, `Some(None)` when not a number.
#[allow(clippy::option_option)]
fn substr(value: &Value, start: Option<f64>, length: Option<Option<f64>>) -> Value {
    let (Some(t), Some(start)) = (value.as_text(), start) else {
        return Value::Null;
    };
    let chars: Vec<char> = t.chars().collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let len = chars.len() as i64;
    #[allow(clippy::cast_possible_truncation)]
    let start = start as i64;
    let from = if start < 0 {
        (len + start).max(0)
    } else {
        (start - 1).max(0)
    };
    let to = match length {
        #[allow(clippy::cast_possible_truncation)]
        Some(Some(n)) => (from + n as i64).min(len),
        Some(None) => return Value::Null,
        None => len,
    };
    if from >= to {
        return Value::Str(String::new());
    }
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
    Value::Str(chars[from as usize..to as usize].iter().collect())
}

/// `mvindex(mv, start[, end])`: 0-based, negative from the end, `end`
/// inclusive.
fn mvindex(value: &Value, start: Option<f64>, end: Option<f64>) -> Value {
    let items = value.items();
    let Some(start) = start else {
        return Value::Null;
    };
    #[allow(clippy::cast_possible_wrap)]
    let len = items.len() as i64;
    #[allow(clippy::cast_possible_truncation)]
    let resolve = |i: f64| {
        let i = i as i64;
        if i < 0 { len + i } else { i }
    };
    let from = resolve(start);
    let to = end.map_or(from, resolve).min(len - 1);
    if from < 0 || from >= len || to < from {
        return Value::Null;
    }
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
    Value::multi(items[from as usize..=to as usize].to_vec())
}

/// The field an `mvfilter` / `mvmap` expression iterates over: the first
/// field it names.
fn first_field(expr: &CExpr) -> Option<&str> {
    match expr {
        CExpr::Field(name) => Some(name),
        CExpr::Lit(_) => None,
        CExpr::Call { args, .. } => args.iter().find_map(first_field),
        CExpr::In(e, list) => first_field(e).or_else(|| list.iter().find_map(first_field)),
        CExpr::Not(e) | CExpr::Neg(e) => first_field(e),
        CExpr::Binary(_, a, b) => first_field(a).or_else(|| first_field(b)),
    }
}

fn mvfilter(expr: &CExpr, row: &Event, env: &ExprEnv) -> Value {
    let Some(field) = first_field(expr) else {
        return Value::Null;
    };
    let values = super::fields::value(row, field);
    let mut scratch = row.clone();
    let kept = values
        .items()
        .iter()
        .filter(|item| {
            if let Some(json) = item.to_json() {
                scratch.insert(field.to_owned(), json);
            }
            expr.holds(&scratch, env)
        })
        .cloned()
        .collect();
    Value::multi(kept)
}

fn mvmap(source: &CExpr, expr: &CExpr, row: &Event, env: &ExprEnv) -> Value {
    let values = source.eval(row, env);
    let Some(field) = first_field(source) else {
        return Value::Null;
    };
    let mut scratch = row.clone();
    Value::multi(
        values
            .items()
            .iter()
            .map(|item| {
                if let Some(json) = item.to_json() {
                    scratch.insert(field.to_owned(), json);
                }
                expr.eval(&scratch, env)
            })
            .filter(|v| !v.is_null())
            .collect(),
    )
}

fn tostring(value: &Value, format: Option<String>) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    let format = format.map(|f| f.to_ascii_lowercase());
    match (format.as_deref(), value.as_num()) {
        #[allow(clippy::cast_possible_truncation)]
        (Some("hex"), Some(n)) => Value::Str(format!("0x{:X}", n as i64)),
        (Some("commas"), Some(n)) => Value::Str(commas(n)),
        #[allow(clippy::cast_possible_truncation)]
        (Some("duration"), Some(n)) => {
            let secs = n as i64;
            let (d, rem) = (secs / 86_400, secs % 86_400);
            let clock = format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
            Value::Str(if d > 0 { format!("{d}+{clock}") } else { clock })
        }
        _ => value
            .as_text()
            .map_or(Value::Null, |t| Value::Str(t.into_owned())),
    }
}

fn commas(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    let text = format_number(rounded);
    let (int, frac) = match text.find('.') {
        Some(at) => (&text[..at], &text[at..]),
        None => (text.as_str(), ""),
    };
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

fn min_max(max: bool, values: &[Value]) -> Value {
    let items: Vec<Value> = values.iter().flat_map(|v| v.items().to_vec()).collect();
    let nums: Vec<f64> = items.iter().filter_map(Value::as_num).collect();
    if nums.len() == items.len() && !nums.is_empty() {
        let pick = if max { f64::max } else { f64::min };
        return Value::Num(nums.into_iter().reduce(pick).unwrap_or(0.0));
    }
    let texts: Vec<String> = items
        .iter()
        .filter_map(|v| v.as_text().map(std::borrow::Cow::into_owned))
        .collect();
    let best = if max {
        texts.into_iter().max()
    } else {
        texts.into_iter().min()
    };
    best.map_or(Value::Null, Value::Str)
}

fn urldecode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `ip` is inside `cidr` (IPv4 or IPv6).
pub(crate) fn cidr_match(cidr: &str, ip: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(net), Ok(ip)) = (net.trim().parse::<IpAddr>(), ip.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}
