//! The SPL lexer. SPL has no single token grammar: the same text reads
//! differently in a search (`process_*` is a wildcard word, `a.b` a field)
//! and in an `eval` expression (`*` multiplies, `.` concatenates). The parser
//! therefore asks for the next token at a byte offset in a [`Mode`].

use rulecheck_core::Span;

/// How to read the next token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Search terms, field names and command arguments: words end at
    /// whitespace, `| [ ] ( ) " , = < >` and `!=`.
    Search,
    /// The value after a search comparison: like [`Mode::Search`] but `=`,
    /// `<`, `>` and `!` belong to the word.
    Value,
    /// `eval` / `where` expressions: identifiers, numbers, strings,
    /// `'field'` and operators.
    Expr,
}

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A bare word (search modes) or identifier (expression mode).
    Word,
    /// A double-quoted string.
    Quoted,
    /// A single-quoted field name (expression mode).
    SingleQuoted,
    /// A number literal (expression mode).
    Number,
    /// An operator; its text says which.
    Op,
    /// `|`.
    Pipe,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// A quoted string without its closing quote.
    Unterminated,
    /// The end of the text.
    Eof,
}

/// A token: its kind, its text (quotes removed, escapes resolved) and where
/// it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) text: String,
    pub(crate) span: Span,
}

impl Token {
    /// Whether this is an unquoted word equal to `keyword`, ignoring case.
    pub(crate) fn is_keyword(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    /// Whether this is an unquoted word exactly `keyword` (search `AND`,
    /// `OR`, `NOT` must be capitalized).
    pub(crate) fn is_exact(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text == keyword
    }

    /// Whether this is the operator `op`.
    pub(crate) fn is_op(&self, op: &str) -> bool {
        self.kind == TokenKind::Op && self.text == op
    }

    /// How the token is named in an error message.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            TokenKind::Eof => "the end of the query".to_owned(),
            TokenKind::Quoted | TokenKind::Unterminated => format!("\"{}\"", self.text),
            TokenKind::SingleQuoted => format!("'{}'", self.text),
            _ => format!("`{}`", self.text),
        }
    }
}

/// The offset of the first non-whitespace byte at or after `pos`.
pub(crate) fn skip_whitespace(src: &str, pos: usize) -> usize {
    let rest = &src[pos..];
    pos + (rest.len() - rest.trim_start().len())
}

/// The token at byte offset `pos` of `src`, read in `mode`.
pub(crate) fn lex(src: &str, pos: usize, mode: Mode) -> Token {
    let start = skip_whitespace(src, pos);
    let rest = &src[start..];
    let Some(c) = rest.chars().next() else {
        return token(TokenKind::Eof, String::new(), start, start);
    };
    let single = |kind| token(kind, c.to_string(), start, start + 1);
    match c {
        '|' => return single(TokenKind::Pipe),
        '[' => return single(TokenKind::LBracket),
        ']' => return single(TokenKind::RBracket),
        '(' => return single(TokenKind::LParen),
        ')' => return single(TokenKind::RParen),
        ',' => return single(TokenKind::Comma),
        '"' => return quoted(src, start, '"', TokenKind::Quoted),
        _ => {}
    }
    match mode {
        Mode::Search => {
            if let Some(op) = comparison_op(rest) {
                return token(TokenKind::Op, op.to_owned(), start, start + op.len());
            }
            word(src, start, is_search_delimiter)
        }
        Mode::Value => word(src, start, is_value_delimiter),
        Mode::Expr => expr_token(src, start, c),
    }
}

fn token(kind: TokenKind, text: String, start: usize, end: usize) -> Token {
    Token {
        kind,
        text,
        span: Span::new(start, end),
    }
}

fn comparison_op(rest: &str) -> Option<&'static str> {
    ["==", "!=", "<=", ">=", "=", "<", ">"]
        .into_iter()
        .find(|op| rest.starts_with(op))
}

fn is_search_delimiter(c: char, next: Option<char>) -> bool {
    c.is_whitespace()
        || matches!(c, '|' | '[' | ']' | '(' | ')' | '"' | ',' | '=' | '<' | '>')
        || (c == '!' && next == Some('='))
}

fn is_value_delimiter(c: char, _next: Option<char>) -> bool {
    c.is_whitespace() || matches!(c, '|' | '[' | ']' | '(' | ')' | '"' | ',')
}

/// A bare word from `start` to the first delimiter. A backslash keeps the
/// next character in the word; `\\` and `\"` stand for `\` and `"`.
fn word(src: &str, start: usize, delimiter: fn(char, Option<char>) -> bool) -> Token {
    let mut text = String::new();
    let mut chars = src[start..].char_indices().peekable();
    let mut end = src.len();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if c == '\\'
            && let Some(n) = next
        {
            chars.next();
            push_escape(&mut text, n);
            continue;
        }
        if delimiter(c, next) {
            end = start + i;
            break;
        }
        text.push(c);
    }
    if end == start {
        // A delimiter the caller did not expect here (such as `!` before
        // `=` in value mode): one character, reported by the parser.
        let c = src[start..].chars().next().map_or(1, char::len_utf8);
        return token(
            TokenKind::Op,
            src[start..start + c].to_owned(),
            start,
            start + c,
        );
    }
    token(TokenKind::Word, text, start, end)
}

fn push_escape(text: &mut String, escaped: char) {
    match escaped {
        '\\' | '"' => text.push(escaped),
        other => {
            text.push('\\');
            text.push(other);
        }
    }
}

/// A string in `quote`s starting at `start` (the opening quote).
fn quoted(src: &str, start: usize, quote: char, kind: TokenKind) -> Token {
    let mut text = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some((_, n)) if n == quote => text.push(n),
                Some((_, n)) => push_escape(&mut text, n),
                None => text.push('\\'),
            }
        } else if c == quote {
            return token(kind, text, start, start + 1 + i + 1);
        } else {
            text.push(c);
        }
    }
    token(TokenKind::Unterminated, text, start, src.len())
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '@' | '$')
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '@' | '$' | '{' | '}' | ':')
}

fn expr_token(src: &str, start: usize, c: char) -> Token {
    let rest = &src[start..];
    if c == '\'' {
        return quoted(src, start, '\'', TokenKind::SingleQuoted);
    }
    if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
        let end = start + number_len(rest);
        // `5m`, `1h`: a word that starts with digits.
        if !src[end..].starts_with(is_ident_char) {
            return token(TokenKind::Number, src[start..end].to_owned(), start, end);
        }
    }
    if is_ident_start(c) || c.is_ascii_digit() {
        let end = start + ident_len(rest);
        return token(TokenKind::Word, src[start..end].to_owned(), start, end);
    }
    for op in [
        "==", "!=", "<>", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", ".", "!",
    ] {
        if rest.starts_with(op) {
            return token(TokenKind::Op, op.to_owned(), start, start + op.len());
        }
    }
    token(TokenKind::Op, c.to_string(), start, start + c.len_utf8())
}

fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut len = digits(0);
    if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
        len += 1 + digits(len + 1);
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
        let exponent = digits(len + 1 + sign);
        if exponent > 0 {
            len += 1 + sign + exponent;
        }
    }
    len
}

/// An identifier: letters, digits, `_ @ $ { } :`, and `.` between them
/// (`Processes.process_name`); a `.` before anything else is the
/// concatenation operator.
fn ident_len(rest: &str) -> usize {
    let mut len = 0;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if is_ident_char(c) || (c == '.' && next.is_some_and(is_ident_char)) {
            len = i + c.len_utf8();
        } else {
            break;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, mode: Mode) -> Vec<(TokenKind, String)> {
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            let t = lex(src, pos, mode);
            if t.kind == TokenKind::Eof {
                return out;
            }
            pos = t.span.end as usize;
            out.push((t.kind, t.text));
        }
    }

    fn texts(src: &str, mode: Mode) -> Vec<String> {
        kinds(src, mode).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn search_words_keep_wildcards_dots_and_braces() {
        let cases: &[(&str, &[&str])] = &[
            ("process_* a.b", &["process_*", "a.b"]),
            ("sourceIPs{}!=::1", &["sourceIPs{}", "!=", "::1"]),
            ("x=*$ y<=3", &["x", "=", "*$", "y", "<=", "3"]),
            ("a!b", &["a!b"]),
            ("(TERM(x))", &["(", "TERM", "(", "x", ")", ")"]),
            ("a,b|c[d]", &["a", ",", "b", "|", "c", "[", "d", "]"]),
            (r"C:\\Windows\\*", &[r"C:\Windows\*"]),
            ("héllo wörld", &["héllo", "wörld"]),
        ];
        for (src, want) in cases {
            assert_eq!(texts(src, Mode::Search), *want, "{src}");
        }
    }

    #[test]
    fn quoted_strings_resolve_backslash_escapes() {
        let cases: &[(&str, &str)] = &[
            (r#""a b""#, "a b"),
            (r#""say \"hi\"""#, r#"say "hi""#),
            (r#""\\\\""#, r"\\"),
            (r#""\s+\/c""#, r"\s+\/c"),
            (r#""*\\AppData\\*""#, r"*\AppData\*"),
            (r#""`""#, "`"),
        ];
        for (src, want) in cases {
            let t = lex(src, 0, Mode::Search);
            assert_eq!(t.kind, TokenKind::Quoted, "{src}");
            assert_eq!(t.text, *want, "{src}");
            assert_eq!(t.span, Span::new(0, src.len()), "{src}");
        }
    }

    #[test]
    fn an_unterminated_string_runs_to_the_end() {
        let t = lex(r#"x "abc"#, 1, Mode::Search);
        assert_eq!(t.kind, TokenKind::Unterminated);
        assert_eq!(t.span, Span::new(2, 6));
    }

    #[test]
    fn value_mode_keeps_operators_in_the_word() {
        assert_eq!(texts("a=b<c> !x", Mode::Value), ["a=b<c>", "!x"]);
    }

    #[test]
    fn expression_tokens() {
        use TokenKind::{Number, Op, SingleQuoted, Word};
        let cases: &[(&str, &[(TokenKind, &str)])] = &[
            (
                "a.b . \"x\"",
                &[(Word, "a.b"), (Op, "."), (TokenKind::Quoted, "x")],
            ),
            (
                "name.\", \"",
                &[(Word, "name"), (Op, "."), (TokenKind::Quoted, ", ")],
            ),
            ("1.5e3*2", &[(Number, "1.5e3"), (Op, "*"), (Number, "2")]),
            (
                "'a b'!=x",
                &[(SingleQuoted, "a b"), (Op, "!="), (Word, "x")],
            ),
            ("a<>b", &[(Word, "a"), (Op, "<>"), (Word, "b")]),
            ("x-1", &[(Word, "x"), (Op, "-"), (Number, "1")]),
            ("5m", &[(Word, "5m")]),
            ("sourceIPs{}", &[(Word, "sourceIPs{}")]),
        ];
        for (src, want) in cases {
            let got = kinds(src, Mode::Expr);
            let want: Vec<_> = want.iter().map(|(k, t)| (*k, (*t).to_owned())).collect();
            assert_eq!(got, want, "{src}");
        }
    }
}
