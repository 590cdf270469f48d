//! The SPL parser: text → [`Pipeline`].
//!
//! A recursive-descent parser that reads tokens on demand in the lexer mode
//! each construct needs. An error inside a command is recorded and the
//! parser resumes at the next `|`, so one run reports a problem in every
//! command that has one.

mod commands;
mod expr;
mod search;
mod stats;

use rulecheck_core::{Diagnostic, Span};

use crate::ast::{Command, CommandKind, CommandOption, Pipeline, RawArg, Word};
use crate::lexer::{Mode, Token, TokenKind, lex, skip_whitespace};

/// The diagnostic code of every parse error.
pub const SYNTAX: &str = "spl-syntax";

/// How deeply parentheses, subsearches and expressions may nest.
const MAX_DEPTH: usize = 100;

/// The result of a parse step; the error is reported and the command
/// skipped.
pub(crate) type PResult<T> = Result<T, Diagnostic>;

/// Parse `text` (macro-expanded SPL) into a pipeline. Spans in the pipeline
/// and in the diagnostics are byte offsets into `text`. The pipeline is
/// `None` when there is any error.
pub(crate) fn parse_text(text: &str) -> (Option<Pipeline>, Vec<Diagnostic>) {
    let mut parser = Parser::new(text);
    let pipeline = parser.pipeline();
    let end = parser.peek(Mode::Search);
    if end.kind != TokenKind::Eof {
        let diagnostic = parser.unexpected(&end, "`|` or the end of the query");
        parser.diagnostics.push(diagnostic);
    }
    if parser.diagnostics.is_empty() {
        (Some(pipeline), parser.diagnostics)
    } else {
        (None, parser.diagnostics)
    }
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            diagnostics: Vec::new(),
        }
    }

    // ---- tokens ------------------------------------------------------------

    /// The next token in `mode`, not consumed.
    pub(crate) fn peek(&self, mode: Mode) -> Token {
        lex(self.src, self.pos, mode)
    }

    /// The token after `token`, in `mode`.
    pub(crate) fn peek_after(&self, token: &Token, mode: Mode) -> Token {
        lex(self.src, token.span.end as usize, mode)
    }

    /// Consume `token` (returned by `peek`).
    pub(crate) fn bump(&mut self, token: &Token) {
        self.pos = token.span.end as usize;
    }

    /// Whether `token` immediately follows the previous text (no space).
    pub(crate) fn adjacent(token: &Token, next: &Token) -> bool {
        token.span.end == next.span.start
    }

    /// Whether the current command ends here: `|`, `]` or the end.
    pub(crate) fn at_command_end(&self) -> bool {
        matches!(
            self.peek(Mode::Search).kind,
            TokenKind::Pipe | TokenKind::RBracket | TokenKind::Eof
        )
    }

    /// The offset the next token starts at.
    pub(crate) fn offset(&self) -> usize {
        skip_whitespace(self.src, self.pos)
    }

    /// The span from `start` to the end of the last consumed token.
    pub(crate) fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.pos.max(start))
    }

    // ---- errors ------------------------------------------------------------

    /// "expected X, found Y" at `found`.
    #[allow(clippy::unused_self)] // a method, like every other parse step
    pub(crate) fn unexpected(&self, found: &Token, expected: &str) -> Diagnostic {
        if found.kind == TokenKind::Unterminated {
            return Diagnostic::error(SYNTAX, "unterminated string: the closing `\"` is missing")
                .with_span(Span::new(
                    found.span.start as usize,
                    found.span.start as usize + 1,
                ))
                .with_help("close the string with `\"`, or escape a quote inside it as `\\\"`");
        }
        Diagnostic::error(
            SYNTAX,
            format!("expected {expected}, found {}", found.describe()),
        )
        .with_span(found.span)
    }

    /// Enter one level of nesting, refusing absurd depths.
    pub(crate) fn enter(&mut self, at: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(
                SYNTAX,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            )
            .with_span(at));
        }
        Ok(())
    }

    /// Leave a level entered with [`Parser::enter`].
    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- shared pieces -----------------------------------------------------

    /// A word or quoted string in `mode`, described as `what` in errors.
    pub(crate) fn word(&mut self, mode: Mode, what: &str) -> PResult<Word> {
        let token = self.peek(mode);
        match token.kind {
            TokenKind::Word | TokenKind::Quoted | TokenKind::SingleQuoted => {
                self.bump(&token);
                Ok(to_word(token))
            }
            _ => Err(self.unexpected(&token, what)),
        }
    }

    /// Consume the unquoted keyword (any case) if it is next.
    pub(crate) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let token = self.peek(Mode::Search);
        if token.is_keyword(keyword) {
            self.bump(&token);
            true
        } else {
            false
        }
    }

    /// Whether the next search token is the unquoted keyword (any case).
    pub(crate) fn at_keyword(&self, keyword: &str) -> bool {
        self.peek(Mode::Search).is_keyword(keyword)
    }

    /// Consume a `,` if it is next.
    pub(crate) fn eat_comma(&mut self) -> bool {
        let token = self.peek(Mode::Search);
        if token.kind == TokenKind::Comma {
            self.bump(&token);
            true
        } else {
            false
        }
    }

    /// Expect `kind` next in `mode`.
    pub(crate) fn expect(&mut self, mode: Mode, kind: TokenKind, what: &str) -> PResult<Token> {
        let token = self.peek(mode);
        if token.kind == kind {
            self.bump(&token);
            Ok(token)
        } else {
            Err(self.unexpected(&token, what))
        }
    }

    /// A `key=value` option if one is next (a word directly followed by `=`).
    pub(crate) fn opt_option(&mut self) -> PResult<Option<CommandOption>> {
        let key = self.peek(Mode::Search);
        if key.kind != TokenKind::Word {
            return Ok(None);
        }
        let eq = self.peek_after(&key, Mode::Search);
        if !eq.is_op("=") {
            return Ok(None);
        }
        self.bump(&key);
        self.bump(&eq);
        let value = self.word(Mode::Value, &format!("a value for `{}`", key.text))?;
        Ok(Some(CommandOption {
            key: to_word(key),
            value,
        }))
    }

    /// Every `key=value` option next.
    pub(crate) fn options(&mut self) -> PResult<Vec<CommandOption>> {
        let mut options = Vec::new();
        while let Some(option) = self.opt_option()? {
            options.push(option);
        }
        Ok(options)
    }

    /// The offset just past the `)` matching the `(` at `open`, quotes
    /// respected; `None` when it is not closed before a `|` or the end.
    pub(crate) fn balanced_parens(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut in_quote = false;
        let mut escaped = false;
        for (i, c) in self.src[open..].char_indices() {
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
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i + 1);
                    }
                }
                '|' | '[' | ']' => return None,
                _ => {}
            }
        }
        None
    }

    /// Extend `word` with the parenthesized groups and word pieces written
    /// right after it, as Splunk reads `predicted(x)` or `*GetCurrent()*` as
    /// one name or value.
    pub(crate) fn extend_adjacent(&mut self, mut word: Word, mode: Mode) -> Word {
        loop {
            let next = self.peek(Mode::Search);
            if next.kind != TokenKind::LParen || next.span.start != word.span.end {
                return word;
            }
            let Some(end) = self.balanced_parens(next.span.start as usize) else {
                return word;
            };
            word.text.push_str(&self.src[next.span.start as usize..end]);
            word.span.end = end as u32;
            self.pos = end;
            let piece = self.peek(mode);
            if piece.kind == TokenKind::Word && piece.span.start == word.span.end {
                self.bump(&piece);
                word.text.push_str(&piece.text);
                word.span.end = piece.span.end;
            }
        }
    }

    /// A field name or pattern: a word or quoted string, with adjacent
    /// parenthesized parts (`predicted(score)`).
    pub(crate) fn field_name(&mut self, what: &str) -> PResult<Word> {
        let word = self.word(Mode::Search, what)?;
        Ok(self.extend_adjacent(word, Mode::Search))
    }

    /// A list of field names or patterns up to the end of the command,
    /// separated by spaces or commas.
    pub(crate) fn field_list(&mut self) -> PResult<Vec<Word>> {
        let mut fields = Vec::new();
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            fields.push(self.field_name("a field name")?);
        }
        Ok(fields)
    }

    /// An error unless the command ends here.
    pub(crate) fn end_of_command(&self, command: &str) -> PResult<()> {
        let token = self.peek(Mode::Search);
        if matches!(
            token.kind,
            TokenKind::Pipe | TokenKind::RBracket | TokenKind::Eof
        ) {
            Ok(())
        } else {
            Err(self.unexpected(&token, &format!("`|` or the end of `{command}`")))
        }
    }

    // ---- pipelines ---------------------------------------------------------

    /// A pipeline up to the end of the text or up to the `]` closing a
    /// subsearch.
    pub(crate) fn pipeline(&mut self) -> Pipeline {
        let start = self.offset();
        let mut commands = Vec::new();
        let first = self.peek(Mode::Search);
        if first.kind == TokenKind::Pipe {
            self.bump(&first);
            self.command(&mut commands);
        } else if first.is_keyword("search")
            && self.src[first.span.end as usize..]
                .chars()
                .next()
                .is_some_and(char::is_whitespace)
        {
            // `search …` at the start (a subsearch's `[search …]`) names
            // the command; it is not a search term.
            self.bump(&first);
            let result = self.implicit_search(start);
            self.record(result, &mut commands);
        } else {
            let result = self.implicit_search(start);
            self.record(result, &mut commands);
        }
        loop {
            let token = self.peek(Mode::Search);
            if token.kind != TokenKind::Pipe {
                break;
            }
            self.bump(&token);
            self.command(&mut commands);
        }
        Pipeline {
            commands,
            span: self.span_from(start),
        }
    }

    fn implicit_search(&mut self, start: usize) -> PResult<Command> {
        let expr = self.search_expr(&[])?;
        self.end_of_command("search")?;
        Ok(Command {
            name: None,
            kind: CommandKind::Search(expr),
            span: self.span_from(start),
        })
    }

    /// Record a parsed command, or report its error and skip to its end.
    fn record(&mut self, result: PResult<Command>, commands: &mut Vec<Command>) {
        match result {
            Ok(command) => commands.push(command),
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                self.skip_command();
            }
        }
    }

    /// Skip to the `|` or `]` that ends the current command.
    fn skip_command(&mut self) {
        let mut depth = 0usize;
        loop {
            let token = self.peek(Mode::Search);
            match token.kind {
                TokenKind::Eof => return,
                TokenKind::Pipe | TokenKind::RBracket if depth == 0 => return,
                TokenKind::LBracket => depth += 1,
                TokenKind::RBracket => depth -= 1,
                _ => {}
            }
            self.bump(&token);
        }
    }

    /// The command after a `|`.
    fn command(&mut self, commands: &mut Vec<Command>) {
        let start = self.offset();
        let result = self.command_inner(start);
        self.record(result, commands);
    }

    fn command_inner(&mut self, start: usize) -> PResult<Command> {
        let name = self.peek(Mode::Search);
        if name.kind != TokenKind::Word {
            return Err(self.unexpected(&name, "a command name after `|`"));
        }
        self.bump(&name);
        let name = to_word(name);
        let kind = self.command_kind(&name)?;
        self.end_of_command(&name.text)?;
        Ok(Command {
            name: Some(name),
            kind,
            span: self.span_from(start),
        })
    }

    /// A subsearch `[ … ]`.
    pub(crate) fn subsearch(&mut self) -> PResult<(Pipeline, Span)> {
        let open = self.expect(Mode::Search, TokenKind::LBracket, "a subsearch `[ … ]`")?;
        self.enter(open.span)?;
        // Errors inside are recorded by the inner pipeline, which stops at
        // the closing `]`.
        let pipeline = self.pipeline();
        self.leave();
        self.expect(
            Mode::Search,
            TokenKind::RBracket,
            "`]` closing the subsearch",
        )?;
        Ok((pipeline, self.span_from(open.span.start as usize)))
    }

    /// One command argument read as Splunk splits arguments: adjacent
    /// quoted and unquoted pieces form one argument (`(?<x>"\S+")` is
    /// `(?<x>\S+)`), up to whitespace or a `|` outside quotes.
    pub(crate) fn argument(&mut self, what: &str) -> PResult<Word> {
        let start = self.offset();
        let mut text = String::new();
        let mut quoted = false;
        let mut pos = start;
        loop {
            let rest = &self.src[pos..];
            let Some(c) = rest.chars().next() else { break };
            if c.is_whitespace() || c == '|' || c == ']' {
                break;
            }
            if c == '"' {
                let token = lex(self.src, pos, Mode::Search);
                if token.kind == TokenKind::Unterminated {
                    return Err(self.unexpected(&token, what));
                }
                text.push_str(&token.text);
                quoted = true;
                pos = token.span.end as usize;
                continue;
            }
            if c == '\\'
                && let Some(next) = rest[1..].chars().next()
            {
                if next == '"' || next == '\\' {
                    text.push(next);
                } else {
                    text.push('\\');
                    text.push(next);
                }
                pos += 1 + next.len_utf8();
                continue;
            }
            text.push(c);
            pos += c.len_utf8();
        }
        if pos == start {
            let token = self.peek(Mode::Search);
            return Err(self.unexpected(&token, what));
        }
        self.pos = pos;
        Ok(Word {
            text,
            quoted,
            span: Span::new(start, pos),
        })
    }

    /// The arguments of a command rulecheck has no typed form for.
    pub(crate) fn generic_args(&mut self) -> PResult<Vec<RawArg>> {
        let mut args = Vec::new();
        loop {
            let token = self.peek(Mode::Search);
            match token.kind {
                TokenKind::Pipe | TokenKind::RBracket | TokenKind::Eof => return Ok(args),
                TokenKind::LBracket => args.push(RawArg::Bracketed(self.bracketed(&token)?)),
                TokenKind::Unterminated => return Err(self.unexpected(&token, "")),
                TokenKind::Quoted => {
                    self.bump(&token);
                    args.push(RawArg::Quoted(to_word(token)));
                }
                TokenKind::LParen | TokenKind::RParen => {
                    self.bump(&token);
                    args.push(RawArg::Paren(to_word(token)));
                }
                _ => {
                    self.bump(&token);
                    args.push(RawArg::Word(to_word(token)));
                }
            }
        }
    }

    /// The text of `[ … ]` starting at `open`, brackets balanced and quotes
    /// respected.
    fn bracketed(&mut self, open: &Token) -> PResult<Word> {
        let start = open.span.start as usize;
        let mut depth = 0usize;
        let mut in_quote = false;
        let mut escaped = false;
        for (i, c) in self.src[start..].char_indices() {
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
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        let end = start + i + 1;
                        self.pos = end;
                        return Ok(Word {
                            text: self.src[start + 1..end - 1].to_owned(),
                            quoted: false,
                            span: Span::new(start, end),
                        });
                    }
                }
                _ => {}
            }
        }
        Err(Diagnostic::error(SYNTAX, "`[` is never closed with `]`").with_span(open.span))
    }
}

/// A token as a [`Word`].
pub(crate) fn to_word(token: Token) -> Word {
    Word {
        quoted: matches!(token.kind, TokenKind::Quoted),
        text: token.text,
        span: token.span,
    }
}
