//! The condition language: `sel and not 1 of filter*`, with `or` < `and` <
//! `not` < `x of` < parentheses.

use rulecheck_core::{Diagnostic, Span};

use crate::ast::{CondExpr, OfTarget, Quantifier};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(u32),
    LParen,
    RParen,
    Pipe,
}

/// Parse `text`; `base` is the byte offset of the text in the rule file.
pub(crate) fn parse_condition(text: &str, base: usize) -> Result<CondExpr, Diagnostic> {
    let trimmed = text.trim_start();
    if trimmed.starts_with("write ") || text.contains("-> alert") {
        return Err(Diagnostic::error(
            "sigma-unsupported",
            "stateful `write … then if … -> alert` conditions are not part of Sigma",
        )
        .with_span(Span::new(base, base + text.len()))
        .with_help("express the sequence as a `temporal_ordered` correlation rule"));
    }
    let toks = lex(text, base)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: base + text.len(),
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(bad("the condition is empty", Span::new(base, p.end)));
    }
    let expr = p.or()?;
    if let Some((tok, span)) = p.toks.get(p.pos) {
        return Err(match tok {
            Tok::Pipe => unsupported_pipe(*span),
            Tok::Word(w) if w.eq_ignore_ascii_case("near") => Diagnostic::error(
                "sigma-unsupported",
                "`near` is a legacy aggregation that Sigma v2 replaced with temporal correlation rules",
            )
            .with_span(*span)
            .with_help("rewrite it as a `temporal` correlation rule"),
            _ => bad("unexpected token after the end of the expression", *span),
        });
    }
    Ok(expr)
}

fn unsupported_pipe(span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma-unsupported",
        "legacy aggregation (`| count() by …`) in the condition is not part of Sigma v2",
    )
    .with_span(span)
    .with_help("rewrite it as a correlation rule (`event_count`, `value_count`, …)")
}

fn bad(message: &str, span: Span) -> Diagnostic {
    Diagnostic::error("sigma-bad-condition", message).with_span(span)
}

fn lex(text: &str, base: usize) -> Result<Vec<(Tok, Span)>, Diagnostic> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                i += 1;
                out.push((Tok::LParen, Span::new(base + start, base + i)));
            }
            b')' => {
                i += 1;
                out.push((Tok::RParen, Span::new(base + start, base + i)));
            }
            b'|' => {
                out.push((Tok::Pipe, Span::new(base + start, base + bytes.len())));
                // The rest is an aggregation expression, reported by the parser.
                break;
            }
            _ if is_ident_byte(c) => {
                while i < bytes.len() && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                let span = Span::new(base + start, base + i);
                if word.bytes().all(|b| b.is_ascii_digit()) {
                    let n = word
                        .parse::<u32>()
                        .map_err(|_| bad("number too large", span))?;
                    out.push((Tok::Num(n), span));
                } else {
                    out.push((Tok::Word(word.to_owned()), span));
                }
            }
            _ => {
                let ch = text[start..].chars().next().unwrap_or('?');
                return Err(bad(
                    &format!("unexpected character `{ch}` in the condition"),
                    Span::new(base + start, base + start + ch.len_utf8()),
                ));
            }
        }
    }
    Ok(out)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'*' | b'@' | b'$') || b >= 0x80
}

const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.toks.get(self.pos), Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case(word))
    }

    fn here(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::at(self.end), |(_, s)| *s)
    }

    fn or(&mut self) -> Result<CondExpr, Diagnostic> {
        let mut items = vec![self.and()?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(CondExpr::Or(Vec::new()))
        } else {
            CondExpr::Or(items)
        })
    }

    fn and(&mut self) -> Result<CondExpr, Diagnostic> {
        let mut items = vec![self.not()?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(CondExpr::And(Vec::new()))
        } else {
            CondExpr::And(items)
        })
    }

    fn not(&mut self) -> Result<CondExpr, Diagnostic> {
        if self.peek_word("not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(bad("the condition nests too deeply", self.here()));
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(CondExpr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<CondExpr, Diagnostic> {
        let Some((tok, span)) = self.toks.get(self.pos).cloned() else {
            return Err(bad(
                "the condition ends where an expression was expected",
                self.here(),
            ));
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(bad("the condition nests too deeply", span));
                }
                let inner = self.or()?;
                self.depth -= 1;
                match self.toks.get(self.pos) {
                    Some((Tok::RParen, _)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(bad("`(` is not closed", span)),
                }
            }
            Tok::RParen => Err(bad("unexpected `)`", span)),
            Tok::Pipe => Err(unsupported_pipe(span)),
            Tok::Num(n) => self.of(Quantifier::AtLeast(n), span),
            Tok::Word(w) if w.eq_ignore_ascii_case("all") && self.peek_word("of") => {
                self.of(Quantifier::All, span)
            }
            Tok::Word(w) => {
                if ["and", "or", "not", "of", "them", "near"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return Err(bad(
                        &format!("`{w}` where an identifier was expected"),
                        span,
                    ));
                }
                if w.contains('*') {
                    return Err(bad(
                        "wildcards in identifiers are only allowed after `1 of` / `all of`",
                        span,
                    ));
                }
                Ok(CondExpr::Ident(w, span))
            }
        }
    }

    fn of(&mut self, quant: Quantifier, start: Span) -> Result<CondExpr, Diagnostic> {
        if !self.peek_word("of") {
            return Err(bad("expected `of` after the count", self.here()));
        }
        if quant == Quantifier::AtLeast(0) {
            return Err(bad("`0 of` never matches; use `1 of` or `all of`", start));
        }
        self.pos += 1;
        match self.toks.get(self.pos).cloned() {
            Some((Tok::Word(w), span)) => {
                self.pos += 1;
                let whole = Span::new(start.start as usize, span.end as usize);
                let target = if w.eq_ignore_ascii_case("them") {
                    OfTarget::Them
                } else {
                    OfTarget::Pattern(w)
                };
                Ok(CondExpr::Of(quant, target, whole))
            }
            _ => Err(bad(
                "expected `them` or an identifier pattern after `of`",
                self.here(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact rendering of the tree, for table tests.
    fn show(e: &CondExpr) -> String {
        match e {
            CondExpr::Ident(n, _) => n.clone(),
            CondExpr::Not(i) => format!("not({})", show(i)),
            CondExpr::And(v) => {
                format!("and({})", v.iter().map(show).collect::<Vec<_>>().join(","))
            }
            CondExpr::Or(v) => format!("or({})", v.iter().map(show).collect::<Vec<_>>().join(",")),
            CondExpr::Of(q, t, _) => {
                let q = match q {
                    Quantifier::AtLeast(n) => n.to_string(),
                    Quantifier::All => "all".into(),
                };
                let t = match t {
                    OfTarget::Them => "them".to_owned(),
                    OfTarget::Pattern(p) => p.clone(),
                };
                format!("{q}of({t})")
            }
        }
    }

    #[test]
    fn precedence_and_forms() {
        let cases = [
            ("a", "a"),
            ("a or b and c", "or(a,and(b,c))"),
            ("a and b or c", "or(and(a,b),c)"),
            ("not a and b", "and(not(a),b)"),
            ("not (a and b)", "not(and(a,b))"),
            ("a and not b or not c", "or(and(a,not(b)),not(c))"),
            (
                "1 of sel* and not 1 of filter*",
                "and(1of(sel*),not(1of(filter*)))",
            ),
            ("all of them", "allof(them)"),
            ("1 of them", "1of(them)"),
            ("(a or b) and c", "and(or(a,b),c)"),
            ("((a))", "a"),
            ("a AND b OR NOT c", "or(and(a,b),not(c))"),
            ("sel_1 and filter-x", "and(sel_1,filter-x)"),
            ("not not a", "not(not(a))"),
            (
                "all of selection_* or keywords",
                "or(allof(selection_*),keywords)",
            ),
        ];
        for (text, want) in cases {
            let got = parse_condition(text, 0).map(|e| show(&e));
            assert_eq!(got.as_deref(), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_have_codes_and_spans() {
        let cases = [
            ("", "sigma-bad-condition"),
            ("a and", "sigma-bad-condition"),
            ("(a or b", "sigma-bad-condition"),
            ("a b", "sigma-bad-condition"),
            ("a )", "sigma-bad-condition"),
            ("sel*", "sigma-bad-condition"),
            ("1 sel", "sigma-bad-condition"),
            ("1 of", "sigma-bad-condition"),
            ("a & b", "sigma-bad-condition"),
            ("and", "sigma-bad-condition"),
            ("sel | count() by host > 5", "sigma-unsupported"),
            ("a near b", "sigma-unsupported"),
        ];
        for (text, code) in cases {
            let err = parse_condition(text, 10).err();
            assert_eq!(err.as_ref().map(|d| d.code), Some(code), "{text}");
            let span = err.and_then(|d| d.span);
            assert!(span.is_some_and(|s| s.start >= 10), "{text}");
        }
    }

    #[test]
    fn spans_point_into_the_file() {
        let expr = parse_condition("a and bee", 100).ok();
        let Some(CondExpr::And(items)) = expr else {
            panic!("expected and");
        };
        assert_eq!(items[1], CondExpr::Ident("bee".into(), Span::new(106, 109)));
    }

    /// Arbitrary input never panics, and nesting is bounded.
    #[test]
    fn fuzz_never_panics() {
        let alphabet = [
            "a", "b", "sel*", " and ", " or ", "not ", "(", ")", "1 of ", "all of ", "them", "|",
            " ", "é", "0", "of", "near", "\t", "*",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            let _ = parse_condition(&text, 0);
        }
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_condition(&deep, 0).is_err());
        let nots = format!("{}a", "not ".repeat(10_000));
        assert!(parse_condition(&nots, 0).is_err());
    }
}
