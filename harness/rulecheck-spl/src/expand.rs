//! Macro expansion: `` `name` `` and `` `name(arg, "arg 2")` `` replaced by
//! their definitions, recursively, and ```` ```comments``` ```` replaced by
//! a space, as Splunk does before parsing.
//!
//! The result, [`Expanded`], keeps a map from the expanded text back to the
//! query the user wrote: text copied from the query maps byte for byte, text
//! produced by a macro maps to the whole outermost call.

use rulecheck_core::{Diagnostic, Severity, Span};

use crate::macros::Macros;

/// Diagnostic code of a call to a macro defined nowhere.
pub const UNKNOWN_MACRO: &str = "spl-unknown-macro";
/// Diagnostic code of a macro that (indirectly) calls itself, or nests too
/// deeply.
pub const MACRO_CYCLE: &str = "spl-macro-cycle";
/// Diagnostic code of a call with the wrong arguments.
pub const MACRO_ARGUMENTS: &str = "spl-macro-arguments";
/// Diagnostic code of a note about an undefined `*_filter` macro treated as
/// `search *`.
pub const FILTER_MACRO_PASSES: &str = "spl-filter-macro-passes";

/// How deeply macros may call macros.
const MAX_DEPTH: usize = 32;
/// The largest expanded text, in bytes.
const MAX_LEN: usize = 1 << 20;

/// A query with its macros expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    /// The expanded SPL, which the parser reads.
    pub text: String,
    /// Notes about the expansion (info-level diagnostics with spans into
    /// the original query).
    pub notes: Vec<Diagnostic>,
    segments: Vec<Segment>,
}

/// A piece of the expanded text and where it comes from.
#[derive(Debug, Clone, PartialEq)]
struct Segment {
    /// Where the piece starts in the expanded text.
    start: usize,
    /// Where the piece ends in the expanded text.
    end: usize,
    /// Where it comes from in the query.
    original: Span,
    /// The macro whose expansion produced it; `None` for text copied as is.
    macro_name: Option<String>,
}

impl Expanded {
    /// A query without macros, taken as is.
    pub fn verbatim(query: &str) -> Self {
        Expanded {
            text: query.to_owned(),
            notes: Vec::new(),
            segments: vec![Segment {
                start: 0,
                end: query.len(),
                original: Span::new(0, query.len()),
                macro_name: None,
            }],
        }
    }

    /// The span of the query that `span` (into [`Expanded::text`]) comes
    /// from: the same text when copied from the query, the macro call when
    /// produced by a macro.
    pub fn original_span(&self, span: Span) -> Span {
        let start = self.map_offset(span.start as usize, false);
        let end = if span.is_empty() {
            self.map_offset(span.start as usize, true)
        } else {
            self.map_offset(span.end as usize - 1, true)
        };
        Span::new(start.min(end), end.max(start))
    }

    /// The macro whose expansion produced the text at `offset`, if any.
    pub fn macro_at(&self, offset: usize) -> Option<&str> {
        self.segment_at(offset)?.macro_name.as_deref()
    }

    fn segment_at(&self, offset: usize) -> Option<&Segment> {
        let index = self.segments.partition_point(|s| s.end <= offset);
        self.segments.get(index).or_else(|| self.segments.last())
    }

    /// `offset` in the query; with `end`, the offset just past the byte's
    /// origin.
    fn map_offset(&self, offset: usize, end: bool) -> usize {
        let Some(segment) = self.segment_at(offset) else {
            return offset;
        };
        let (start, stop) = (
            segment.original.start as usize,
            segment.original.end as usize,
        );
        match (&segment.macro_name, end) {
            (None, false) => (start + offset.saturating_sub(segment.start)).min(stop),
            (None, true) => (start + offset.saturating_sub(segment.start) + 1).min(stop),
            (Some(_), false) => start,
            (Some(_), true) => stop,
        }
    }
}

/// Expand the macros and comments of `query`. Every problem is reported,
/// with a span into `query`.
pub fn expand(query: &str, macros: &Macros) -> Result<Expanded, Vec<Diagnostic>> {
    let mut expander = Expander {
        macros,
        out: String::new(),
        segments: Vec::new(),
        errors: Vec::new(),
        notes: Vec::new(),
        stack: Vec::new(),
    };
    expander.text(query, &Origin::Query);
    if expander.errors.is_empty() {
        Ok(Expanded {
            text: expander.out,
            notes: expander.notes,
            segments: expander.segments,
        })
    } else {
        Err(expander.errors)
    }
}

/// Where the text being expanded comes from.
#[derive(Debug, Clone)]
enum Origin {
    /// The query itself, from offset 0.
    Query,
    /// The expansion of the outermost call at `span`, of macro `name`.
    Call { span: Span, name: String },
}

struct Expander<'m> {
    macros: &'m Macros,
    out: String,
    segments: Vec<Segment>,
    errors: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
    /// The macros being expanded, outermost first.
    stack: Vec<String>,
}

impl Expander<'_> {
    /// Copy `piece` (at `start..end` of the text being expanded) to the
    /// output.
    fn emit(&mut self, piece: &str, start: usize, end: usize, origin: &Origin) {
        if piece.is_empty() {
            return;
        }
        let (original, macro_name) = match origin {
            Origin::Query => (Span::new(start, end), None),
            Origin::Call { span, name } => (*span, Some(name.clone())),
        };
        let out_start = self.out.len();
        self.out.push_str(piece);
        if let Some(last) = self.segments.last_mut()
            && last.macro_name.is_some()
            && last.macro_name == macro_name
            && last.original == original
        {
            last.end = self.out.len();
            return;
        }
        self.segments.push(Segment {
            start: out_start,
            end: self.out.len(),
            original,
            macro_name,
        });
    }

    /// The span in the query of `start..end` of the text being expanded.
    fn span(origin: &Origin, start: usize, end: usize) -> Span {
        match origin {
            Origin::Query => Span::new(start, end),
            Origin::Call { span, .. } => *span,
        }
    }

    fn text(&mut self, text: &str, origin: &Origin) {
        let bytes = text.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => i = skip_string(bytes, i),
                b'`' if bytes[i..].starts_with(b"```") => {
                    self.emit(&text[copied..i], copied, i, origin);
                    let end = find(bytes, i + 3, b"```").map_or(bytes.len(), |close| close + 3);
                    self.emit(" ", i, end, origin);
                    i = end;
                    copied = end;
                }
                b'`' => {
                    self.emit(&text[copied..i], copied, i, origin);
                    let Some(close) = find_call_end(bytes, i + 1) else {
                        self.errors.push(
                            Diagnostic::error(
                                crate::parser::SYNTAX,
                                "a macro call is not closed with a backtick",
                            )
                            .with_span(Self::span(origin, i, i + 1))
                            .with_help("write macro calls as `name` or `name(arg1, arg2)`"),
                        );
                        return;
                    };
                    let call_span = Self::span(origin, i, close + 1);
                    self.call(&text[i + 1..close], call_span, origin);
                    i = close + 1;
                    copied = i;
                }
                _ => i += 1,
            }
        }
        self.emit(&text[copied..], copied, text.len(), origin);
    }

    fn call(&mut self, call: &str, span: Span, origin: &Origin) {
        let (name, args) = match split_call(call) {
            Ok(parts) => parts,
            Err(message) => {
                self.errors.push(
                    Diagnostic::error(MACRO_ARGUMENTS, message)
                        .with_span(span)
                        .with_help("write macro calls as `name` or `name(arg1, arg2)`"),
                );
                return;
            }
        };
        let Some(def) = self.macros.get(&name, args.len()) else {
            self.undefined(&name, args.len(), span, origin);
            return;
        };
        if def.arguments.len() != args.len() {
            self.errors.push(
                Diagnostic::error(
                    MACRO_ARGUMENTS,
                    format!(
                        "macro `{name}` takes {} argument(s), but the call passes {}",
                        def.arguments.len(),
                        args.len()
                    ),
                )
                .with_span(span),
            );
            return;
        }
        if self.stack.contains(&name) {
            let mut chain = self.stack.clone();
            chain.push(name.clone());
            self.errors.push(
                Diagnostic::error(
                    MACRO_CYCLE,
                    format!("macro `{name}` expands to itself: {}", chain.join(" → ")),
                )
                .with_span(span),
            );
            return;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.errors.push(
                Diagnostic::error(
                    MACRO_CYCLE,
                    format!("macros nest more than {MAX_DEPTH} levels deep at `{name}`"),
                )
                .with_span(span),
            );
            return;
        }
        let args = match bind_arguments(&def.arguments, args) {
            Ok(args) => args,
            Err(message) => {
                self.errors
                    .push(Diagnostic::error(MACRO_ARGUMENTS, message).with_span(span));
                return;
            }
        };
        let body = substitute(&def.definition, &def.arguments, &args);
        if self.out.len() + body.len() > MAX_LEN {
            self.errors.push(
                Diagnostic::error(
                    MACRO_CYCLE,
                    format!("the expansion of `{name}` grows past {MAX_LEN} bytes"),
                )
                .with_span(span),
            );
            return;
        }
        let inner = match origin {
            Origin::Query => Origin::Call {
                span,
                name: name.clone(),
            },
            Origin::Call { .. } => origin.clone(),
        };
        self.stack.push(name);
        self.text(&body, &inner);
        self.stack.pop();
    }

    fn undefined(&mut self, name: &str, arity: usize, span: Span, origin: &Origin) {
        if arity == 0 && name.ends_with("_filter") && self.macros.undefined_filters_pass() {
            self.notes.push(
                Diagnostic::new(
                    Severity::Info,
                    FILTER_MACRO_PASSES,
                    format!("macro `{name}` is not defined; it is read as `search *`"),
                )
                .with_span(span)
                .with_help("ESCU tuning macros are empty by default; define it to filter results"),
            );
            self.emit("search *", 0, 0, &Self::call_origin(origin, span, name));
            return;
        }
        let arities = self.macros.arities(name);
        let diagnostic = if arities.is_empty() {
            Diagnostic::error(UNKNOWN_MACRO, format!("macro `{name}` is not defined"))
                .with_help(
                    "define it in a macro file of `macro_paths` or under `[spl.macros]` in rulecheck.toml",
                )
        } else {
            let list: Vec<String> = arities.iter().map(ToString::to_string).collect();
            Diagnostic::error(
                MACRO_ARGUMENTS,
                format!(
                    "macro `{name}` is called with {arity} argument(s) but is defined with {}",
                    list.join(" or ")
                ),
            )
        };
        self.errors.push(diagnostic.with_span(span));
    }

    fn call_origin(origin: &Origin, span: Span, name: &str) -> Origin {
        match origin {
            Origin::Query => Origin::Call {
                span,
                name: name.to_owned(),
            },
            Origin::Call { .. } => origin.clone(),
        }
    }
}

/// The offset after the double-quoted string that starts at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The closing backtick of a macro call whose name starts at `from`; quoted
/// arguments may contain backticks.
fn find_call_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'`' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// `name(a, "b, c")` → (`name`, [`a`, `b, c`]).
fn split_call(call: &str) -> Result<(String, Vec<String>), String> {
    let call = call.trim();
    let Some(open) = call.find('(') else {
        if call.is_empty() {
            return Err("empty macro call ``".to_owned());
        }
        return Ok((call.to_owned(), Vec::new()));
    };
    let name = call[..open].trim();
    if name.is_empty() {
        return Err(format!("macro call `{call}` has no name"));
    }
    let Some(inner) = call[open + 1..].strip_suffix(')') else {
        return Err(format!("macro call `{call}` does not end with `)`"));
    };
    let mut args = Vec::new();
    let bytes = inner.as_bytes();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                args.push(argument(&inner[start..i]));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !inner.trim().is_empty() || !args.is_empty() {
        args.push(argument(&inner[start..]));
    }
    Ok((name.to_owned(), args))
}

/// One argument: trimmed, and unquoted when wholly in double quotes.
fn argument(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() >= 2
        && raw.starts_with('"')
        && raw.ends_with('"')
        && skip_string(raw.as_bytes(), 0) == raw.len()
    {
        let mut out = String::new();
        let mut chars = raw[1..raw.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('"' | '\\')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    raw.to_owned()
}

/// The arguments in definition order: positional, or all named
/// (`name=value`) with every name defined.
fn bind_arguments(names: &[String], args: Vec<String>) -> Result<Vec<String>, String> {
    let keyed: Option<Vec<(usize, String)>> = args
        .iter()
        .map(|arg| {
            let (key, value) = arg.split_once('=')?;
            let index = names.iter().position(|n| n == key.trim())?;
            Some((index, argument(value)))
        })
        .collect();
    let Some(keyed) = keyed else {
        return Ok(args);
    };
    let mut bound = vec![None; names.len()];
    for (index, value) in keyed {
        if bound[index].replace(value).is_some() {
            return Err(format!("argument `{}` is given twice", names[index]));
        }
    }
    Ok(bound.into_iter().map(Option::unwrap_or_default).collect())
}

/// `definition` with every `$name$` of an argument replaced by its value.
fn substitute(definition: &str, names: &[String], values: &[String]) -> String {
    if names.is_empty() {
        return definition.to_owned();
    }
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let hit = after.find('$').and_then(|end| {
            let index = names.iter().position(|n| *n == after[..end])?;
            Some((index, end))
        });
        if let Some((index, end)) = hit {
            out.push_str(&values[index]);
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_split_into_name_and_unquoted_arguments() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("a", "a", &[]),
            (" a ", "a", &[]),
            ("a()", "a", &[]),
            ("a(x)", "a", &["x"]),
            ("a(x, \"y, z\")", "a", &["x", "y, z"]),
            ("a(f(1,2), 3)", "a", &["f(1,2)", "3"]),
            ("a(\"say \\\"hi\\\"\")", "a", &["say \"hi\""]),
        ];
        for (call, name, args) in cases {
            let (n, a) = split_call(call).unwrap();
            assert_eq!(n, *name, "{call}");
            assert_eq!(a, *args, "{call}");
        }
        assert!(split_call("a(x").is_err());
        assert!(split_call("").is_err());
    }

    #[test]
    fn substitution_replaces_only_known_arguments() {
        let names = vec!["field".to_owned()];
        let values = vec!["firstTime".to_owned()];
        assert_eq!(
            substitute("ctime($field$) $other$ $", &names, &values),
            "ctime(firstTime) $other$ $"
        );
    }

    #[test]
    fn named_arguments_bind_by_name() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let bound = bind_arguments(&names, vec!["b=2".to_owned(), "a=\"1\"".to_owned()]).unwrap();
        assert_eq!(bound, ["1", "2"]);
        let positional = bind_arguments(&names, vec!["x=1".to_owned(), "2".to_owned()]).unwrap();
        assert_eq!(positional, ["x=1", "2"]);
    }
}
