//! The search language: terms, phrases, comparisons, `IN`, `TERM()`,
//! `CASE()`, `NOT`, `OR`, `AND` (explicit or implied) and parentheses, with
//! Splunk's precedence for `search`: `NOT`, then `OR`, then `AND`.

use rulecheck_core::Span;

use super::{PResult, Parser, to_word};
use crate::ast::{CompareOp, Directive, SearchExpr, SearchValue};
use crate::lexer::{Mode, Token, TokenKind};

impl Parser<'_> {
    /// A search expression up to the end of the command, a `)` or one of the
    /// unquoted `stop` words (any case); `None` when there is no term.
    pub(crate) fn search_expr(&mut self, stop: &[&str]) -> PResult<Option<SearchExpr>> {
        let start = self.offset();
        let mut parts = Vec::new();
        loop {
            let token = self.peek(Mode::Search);
            if Self::ends_search(&token, stop) {
                break;
            }
            if token.kind == TokenKind::Comma {
                // Splunk reads a stray comma between terms as a separator.
                self.bump(&token);
                continue;
            }
            if token.is_exact("AND") {
                self.bump(&token);
                let next = self.peek(Mode::Search);
                if Self::ends_search(&next, stop) || parts.is_empty() {
                    return Err(self.unexpected(&next, "a search term around `AND`"));
                }
                continue;
            }
            parts.push(self.search_or(stop)?);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(SearchExpr::And(parts, self.span_from(start))),
        })
    }

    fn ends_search(token: &Token, stop: &[&str]) -> bool {
        matches!(
            token.kind,
            TokenKind::Pipe | TokenKind::RBracket | TokenKind::RParen | TokenKind::Eof
        ) || stop.iter().any(|word| token.is_keyword(word))
    }

    fn search_or(&mut self, stop: &[&str]) -> PResult<SearchExpr> {
        let start = self.offset();
        let mut parts = vec![self.search_not(stop)?];
        loop {
            let mut token = self.peek(Mode::Search);
            while token.kind == TokenKind::Comma
                && self.peek_after(&token, Mode::Search).is_exact("OR")
            {
                self.bump(&token);
                token = self.peek(Mode::Search);
            }
            if !token.is_exact("OR") {
                break;
            }
            self.bump(&token);
            parts.push(self.search_not(stop)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            SearchExpr::Or(parts, self.span_from(start))
        })
    }

    fn search_not(&mut self, stop: &[&str]) -> PResult<SearchExpr> {
        let token = self.peek(Mode::Search);
        if token.is_exact("NOT") {
            self.bump(&token);
            self.enter(token.span)?;
            let inner = self.search_not(stop);
            self.leave();
            let inner = inner?;
            let span = self.span_from(token.span.start as usize);
            return Ok(SearchExpr::Not(Box::new(inner), span));
        }
        self.search_primary(stop)
    }

    fn search_primary(&mut self, stop: &[&str]) -> PResult<SearchExpr> {
        let token = self.peek(Mode::Search);
        match token.kind {
            TokenKind::LParen => {
                self.bump(&token);
                self.enter(token.span)?;
                let inner = self.search_expr(&[]);
                self.leave();
                let inner = inner?;
                let close = self.expect(Mode::Search, TokenKind::RParen, "`)`")?;
                inner.ok_or_else(|| self.unexpected(&close, "a search term inside the parentheses"))
            }
            TokenKind::LBracket => {
                let (pipeline, span) = self.subsearch()?;
                Ok(SearchExpr::Subsearch(Box::new(pipeline), span))
            }
            TokenKind::Word | TokenKind::Quoted => {
                if let Some(directive) = self.directive_at(&token) {
                    let value = self.directive(&token, directive)?;
                    return Ok(SearchExpr::Term(value));
                }
                self.bump(&token);
                self.after_word(token)
            }
            _ => {
                let what = if stop.is_empty() {
                    "a search term".to_owned()
                } else {
                    format!("a search term or `{}`", stop.join("`, `"))
                };
                Err(self.unexpected(&token, &what))
            }
        }
    }

    /// What follows a word or phrase: a comparison, `IN (…)`, or nothing (a
    /// term).
    fn after_word(&mut self, word: Token) -> PResult<SearchExpr> {
        let next = self.peek(Mode::Search);
        if next.kind == TokenKind::Op {
            let op = match next.text.as_str() {
                "=" | "==" => CompareOp::Eq,
                "!=" => CompareOp::Ne,
                "<" => CompareOp::Lt,
                "<=" => CompareOp::Le,
                ">" => CompareOp::Gt,
                ">=" => CompareOp::Ge,
                _ => return Err(self.unexpected(&next, "a comparison operator")),
            };
            self.bump(&next);
            let value = self.search_value(&format!("a value after `{}`", next.text))?;
            let span = Span::new(word.span.start as usize, value.span.end as usize);
            return Ok(SearchExpr::Compare {
                field: to_word(word),
                op,
                value,
                span,
            });
        }
        if next.is_keyword("IN") && self.peek_after(&next, Mode::Search).kind == TokenKind::LParen {
            self.bump(&next);
            let values = self.in_list()?;
            return Ok(SearchExpr::In {
                span: self.span_from(word.span.start as usize),
                field: to_word(word),
                values,
            });
        }
        Ok(SearchExpr::Term(SearchValue {
            quoted: word.kind == TokenKind::Quoted,
            text: word.text,
            directive: None,
            span: word.span,
        }))
    }

    /// The values of `IN ( … )`, separated by commas or spaces.
    fn in_list(&mut self) -> PResult<Vec<SearchValue>> {
        self.expect(Mode::Search, TokenKind::LParen, "`(` after `IN`")?;
        let mut values = Vec::new();
        loop {
            let token = self.peek(Mode::Value);
            match token.kind {
                TokenKind::RParen => {
                    self.bump(&token);
                    return Ok(values);
                }
                TokenKind::Comma => self.bump(&token),
                _ => values.push(self.search_value("a value or `)` in the `IN` list")?),
            }
        }
    }

    /// A value: a word, a quoted string, `TERM(…)` or `CASE(…)`.
    fn search_value(&mut self, what: &str) -> PResult<SearchValue> {
        let token = self.peek(Mode::Value);
        match token.kind {
            TokenKind::Word | TokenKind::Quoted => {
                if let Some(directive) = self.directive_at(&token) {
                    return self.directive(&token, directive);
                }
                self.bump(&token);
                let quoted = token.kind == TokenKind::Quoted;
                let word = self.extend_adjacent(to_word(token), Mode::Value);
                Ok(SearchValue {
                    quoted,
                    text: word.text,
                    directive: None,
                    span: word.span,
                })
            }
            _ => Err(self.unexpected(&token, what)),
        }
    }

    /// The directive `token` opens, if it is `TERM` or `CASE` directly
    /// followed by `(`.
    fn directive_at(&self, token: &Token) -> Option<Directive> {
        let directive = if token.is_keyword("TERM") {
            Directive::Term
        } else if token.is_keyword("CASE") {
            Directive::Case
        } else {
            return None;
        };
        let open = self.peek_after(token, Mode::Search);
        (open.kind == TokenKind::LParen && Self::adjacent(token, &open)).then_some(directive)
    }

    /// `TERM(…)` / `CASE(…)`: the text inside is taken as written up to the
    /// matching `)` (a single quoted string is unquoted).
    fn directive(&mut self, name: &Token, directive: Directive) -> PResult<SearchValue> {
        let open = self.peek_after(name, Mode::Search);
        let inner_start = open.span.end as usize;
        let mut depth = 0usize;
        let mut in_quote = false;
        let mut escaped = false;
        let mut close = None;
        for (i, c) in self.src[inner_start..].char_indices() {
            if in_quote {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_quote = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_quote = true,
                '(' => depth += 1,
                ')' if depth == 0 => {
                    close = Some(inner_start + i);
                    break;
                }
                ')' => depth -= 1,
                '|' | '[' | ']' => break,
                _ => {}
            }
        }
        let Some(close) = close else {
            return Err(rulecheck_core::Diagnostic::error(
                super::SYNTAX,
                format!("`{}(` is never closed with `)`", name.text),
            )
            .with_span(Span::new(name.span.start as usize, inner_start)));
        };
        let raw = self.src[inner_start..close].trim();
        let inner = crate::lexer::lex(raw, 0, Mode::Value);
        let (text, quoted) = if inner.kind == TokenKind::Quoted && inner.span.len() == raw.len() {
            (inner.text, true)
        } else if inner.kind == TokenKind::Word && inner.span.len() == raw.len() {
            (inner.text, false)
        } else {
            (raw.to_owned(), false)
        };
        if text.is_empty() {
            return Err(rulecheck_core::Diagnostic::error(
                super::SYNTAX,
                format!("`{}()` is empty", name.text),
            )
            .with_span(Span::new(name.span.start as usize, close + 1)));
        }
        self.pos = close + 1;
        Ok(SearchValue {
            text,
            quoted,
            directive: Some(directive),
            span: Span::new(name.span.start as usize, close + 1),
        })
    }
}
