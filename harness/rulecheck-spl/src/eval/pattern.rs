//! Matchers built once at compile time: field-value wildcards, search terms
//! over the raw text with Splunk's segmentation, and regular expressions.

use std::fmt;

/// Splunk's default major breakers (`segmenters.conf`), the single
/// characters; `*` is left out because in a search term it is a wildcard.
pub(crate) const MAJOR_BREAKERS: &str = "[]<>(){}|!;,'\"\n\r\t &?+ ";
/// Splunk's default minor breakers.
pub(crate) const MINOR_BREAKERS: &str = "/:=@.-$#%\\_";

/// A field value with `*` wildcards, matched against the whole value.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    kind: GlobKind,
}

#[derive(Debug, Clone)]
enum GlobKind {
    /// `*`: any value.
    Any,
    /// No wildcard.
    Exact { text: String, case: bool },
    /// `text*`.
    Prefix { text: String, case: bool },
    /// `*text`.
    Suffix { text: String, case: bool },
    /// Anything else: the texts between the `*`s, in order; the first
    /// must start the value and the last end it.
    Parts { parts: Vec<String>, case: bool },
}

impl Glob {
    /// A pattern; `case` makes it case-sensitive.
    pub(crate) fn new(pattern: &str, case: bool) -> Glob {
        let stars = pattern.matches('*').count();
        let kind = if pattern.chars().all(|c| c == '*') && stars > 0 {
            GlobKind::Any
        } else if stars == 0 {
            GlobKind::Exact {
                text: pattern.to_owned(),
                case,
            }
        } else if stars == 1 && pattern.ends_with('*') {
            GlobKind::Prefix {
                text: pattern[..pattern.len() - 1].to_owned(),
                case,
            }
        } else if stars == 1 && pattern.starts_with('*') {
            GlobKind::Suffix {
                text: pattern[1..].to_owned(),
                case,
            }
        } else {
            GlobKind::Parts {
                parts: pattern.split('*').map(str::to_owned).collect(),
                case,
            }
        };
        Glob { kind }
    }

    /// Whether matching costs more than a comparison of two texts: a
    /// wildcard inside the pattern.
    pub(crate) fn is_costly(&self) -> bool {
        matches!(self.kind, GlobKind::Parts { .. })
    }

    /// Whether the pattern is `*` alone.
    pub(crate) fn is_any(&self) -> bool {
        matches!(self.kind, GlobKind::Any)
    }

    /// The lowercase text of a pattern without wildcards: every value the
    /// pattern matches lowercases to it.
    pub(crate) fn exact_lower(&self) -> Option<String> {
        match &self.kind {
            GlobKind::Exact { text, .. } => Some(text.to_lowercase()),
            _ => None,
        }
    }

    /// The longest text between the pattern's wildcards: every value the
    /// pattern matches contains it (case-insensitively unless the pattern is
    /// case-sensitive). `None` for `*` alone.
    pub(crate) fn longest_literal(&self) -> Option<&str> {
        let literal = match &self.kind {
            GlobKind::Any => return None,
            GlobKind::Exact { text, .. }
            | GlobKind::Prefix { text, .. }
            | GlobKind::Suffix { text, .. } => text.as_str(),
            GlobKind::Parts { parts, .. } => parts
                .iter()
                .max_by_key(|p| p.len())
                .map_or("", String::as_str),
        };
        (!literal.is_empty()).then_some(literal)
    }

    /// Whether `value` matches.
    pub(crate) fn matches(&self, value: &str) -> bool {
        match &self.kind {
            GlobKind::Any => true,
            GlobKind::Exact { text, case } => eq(value, text, *case),
            GlobKind::Prefix { text, case } => value
                .get(..text.len())
                .is_some_and(|head| eq(head, text, *case)),
            GlobKind::Suffix { text, case } => value
                .len()
                .checked_sub(text.len())
                .and_then(|at| value.get(at..))
                .is_some_and(|tail| eq(tail, text, *case)),
            GlobKind::Parts { parts, case } => {
                if *case || value.is_ascii() {
                    parts_match(parts, value, *case)
                } else {
                    let lower: Vec<String> = parts.iter().map(|p| p.to_lowercase()).collect();
                    parts_match(&lower, &value.to_lowercase(), true)
                }
            }
        }
    }
}

/// Whether `value` is `parts` joined by any texts (`*`): the first part a
/// prefix, the last a suffix, the others found in order between them.
fn parts_match(parts: &[String], value: &str, case: bool) -> bool {
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return true;
    };
    if first.len() + last.len() > value.len()
        || !value.is_char_boundary(first.len())
        || !value.is_char_boundary(value.len() - last.len())
        || !eq(&value[..first.len()], first, case)
        || !eq(&value[value.len() - last.len()..], last, case)
    {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match find(rest, part, case) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The first byte offset of `needle` in `hay` (ASCII case-insensitively
/// unless `case`).
fn find(hay: &str, needle: &str, case: bool) -> Option<usize> {
    if case {
        return hay.find(needle);
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return Some(0);
    };
    let last_start = h.len().checked_sub(n.len())?;
    // Only where the first byte matches (either ASCII case) can the
    // needle start: those places are found with `memchr2`.
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while from <= last_start {
        let at = from + memchr::memchr2(lower, upper, &h[from..=last_start])?;
        if hay.is_char_boundary(at) && h[at..at + n.len()].eq_ignore_ascii_case(n) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn eq(a: &str, b: &str, case: bool) -> bool {
    if case {
        return a == b;
    }
    // Equal but for ASCII case: equal lowercased.
    if a.len() == b.len() && a.eq_ignore_ascii_case(b) {
        return true;
    }
    // Otherwise only Unicode case folding can make them equal.
    !(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase()
}

/// A bare search term or quoted phrase matched against the raw text.
///
/// The term matches where its text occurs (case-insensitively, unless
/// `CASE()`), starting at the beginning of the raw text or after a breaker
/// and ending at its end or before a breaker; a term that begins (ends) with
/// a breaker or a wildcard needs no boundary on that side. Breakers are the
/// major and minor ones, or for `TERM()` the major ones and `=` (so that
/// `TERM(x)` also matches a whole field value of the `key=value` raw text
/// built for events without `_raw`). A `*` matches any text.
#[derive(Debug, Clone)]
pub(crate) struct TermMatcher {
    re: Option<regex::Regex>,
    /// The longest text between the term's `*`s, ASCII-lowercased: every
    /// raw text the term matches contains it (`None` when it is empty or
    /// not ASCII).
    literal: Option<String>,
}

impl TermMatcher {
    /// A matcher for `text`; `term` for `TERM()`, `case` for `CASE()`.
    pub(crate) fn new(text: &str, term: bool, case: bool) -> TermMatcher {
        if text.chars().all(|c| c == '*') {
            return TermMatcher {
                re: None,
                literal: None,
            };
        }
        let literal = text
            .split('*')
            .max_by_key(|p| p.len())
            .filter(|p| !p.is_empty() && p.is_ascii() && !p.contains('\0'))
            .map(str::to_ascii_lowercase);
        let breakers: String = if term {
            format!("{MAJOR_BREAKERS}=")
        } else {
            format!("{MAJOR_BREAKERS}{MINOR_BREAKERS}")
        };
        let class = format!("[{}]", regex::escape(&breakers));
        let is_breaker = |c: char| c == '*' || breakers.contains(c);
        let left = if text.starts_with(is_breaker) {
            String::new()
        } else {
            format!("(?:\\A|{class})")
        };
        let right = if text.ends_with(is_breaker) {
            String::new()
        } else {
            format!("(?:{class}|\\z)")
        };
        let body: Vec<String> = text.split('*').map(regex::escape).collect();
        let flags = if case { "(?s)" } else { "(?is)" };
        let re = regex::Regex::new(&format!("{flags}{left}{}{right}", body.join(".*"))).ok();
        TermMatcher { re, literal }
    }

    /// The literal every matching raw text contains (ASCII case aside).
    pub(crate) fn literal(&self) -> Option<&str> {
        self.re.as_ref()?;
        self.literal.as_deref()
    }

    /// Whether the raw text contains the term.
    pub(crate) fn matches(&self, raw: &str) -> bool {
        self.re.as_ref().is_none_or(|re| re.is_match(raw))
    }
}

/// How many steps a backtracking regex may take on one input.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// A regular expression in PCRE syntax: Rust's linear-time `regex` when it
/// accepts the pattern, `fancy-regex` (look-around, back-references) with a
/// backtracking limit otherwise.
#[derive(Clone)]
pub(crate) enum Re {
    /// Linear time.
    Std(regex::Regex),
    /// Backtracking.
    Fancy(fancy_regex::Regex),
}

impl fmt::Debug for Re {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.as_str())
    }
}

impl Re {
    /// Compile `pattern`; the error is a message for a diagnostic.
    pub(crate) fn new(pattern: &str) -> Result<Re, String> {
        let pattern = translate_pcre(pattern);
        match regex::Regex::new(&pattern) {
            Ok(re) => Ok(Re::Std(re)),
            Err(std_error) => fancy_regex::RegexBuilder::new(&pattern)
                .backtrack_limit(BACKTRACK_LIMIT)
                .build()
                .map(Re::Fancy)
                .map_err(|_| std_error.to_string()),
        }
    }

    /// The pattern.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Re::Std(re) => re.as_str(),
            Re::Fancy(re) => re.as_str(),
        }
    }

    /// The names of the pattern's named groups.
    pub(crate) fn group_names(&self) -> Vec<String> {
        match self {
            Re::Std(re) => re.capture_names().flatten().map(str::to_owned).collect(),
            Re::Fancy(re) => re.capture_names().flatten().map(str::to_owned).collect(),
        }
    }

    /// Whether the pattern matches somewhere in `text` (a backtracking
    /// pattern that exceeds its limit does not match).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Re::Std(re) => re.is_match(text),
            Re::Fancy(re) => re.is_match(text).unwrap_or(false),
        }
    }

    /// The named groups' texts of each match (all matches when `all`, the
    /// first otherwise).
    pub(crate) fn named_captures(&self, text: &str, all: bool) -> Vec<Vec<(String, String)>> {
        let mut out = Vec::new();
        match self {
            Re::Std(re) => {
                for caps in re.captures_iter(text) {
                    let row = re
                        .capture_names()
                        .flatten()
                        .filter_map(|name| {
                            caps.name(name)
                                .map(|m| (name.to_owned(), m.as_str().to_owned()))
                        })
                        .collect();
                    out.push(row);
                    if !all {
                        break;
                    }
                }
            }
            Re::Fancy(re) => {
                for caps in re.captures_iter(text).map_while(Result::ok) {
                    let row = re
                        .capture_names()
                        .flatten()
                        .filter_map(|name| {
                            caps.name(name)
                                .map(|m| (name.to_owned(), m.as_str().to_owned()))
                        })
                        .collect();
                    out.push(row);
                    if !all {
                        break;
                    }
                }
            }
        }
        out
    }

    /// The texts of every match (the first group when there is one).
    pub(crate) fn find_all(&self, text: &str) -> Vec<String> {
        match self {
            Re::Std(re) => re
                .captures_iter(text)
                .filter_map(|c| c.get(1).or_else(|| c.get(0)))
                .map(|m| m.as_str().to_owned())
                .collect(),
            Re::Fancy(re) => re
                .captures_iter(text)
                .map_while(Result::ok)
                .filter_map(|c| c.get(1).or_else(|| c.get(0)))
                .map(|m| m.as_str().to_owned())
                .collect(),
        }
    }

    /// `text` with matches replaced by `replacement`, in which `\1` … `\9`
    /// are the groups; every match when `global`, the first otherwise.
    pub(crate) fn replace(&self, text: &str, replacement: &str, global: bool) -> String {
        let rep = translate_replacement(replacement);
        let limit = usize::from(!global);
        match self {
            Re::Std(re) => re.replacen(text, limit, rep.as_str()).into_owned(),
            Re::Fancy(re) => re.replacen(text, limit, rep.as_str()).into_owned(),
        }
    }
}

/// PCRE spellings the Rust engines read differently: `\/` (an escaped
/// slash, common in SPL) is a plain `/`; `\Q…\E` quotes a literal.
fn translate_pcre(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'Q') {
            // `\Q…\E`: a literal.
            chars.next();
            let mut literal = String::new();
            while let Some(l) = chars.next() {
                if l == '\\' && chars.peek() == Some(&'E') {
                    chars.next();
                    break;
                }
                literal.push(l);
            }
            out.push_str(&regex::escape(&literal));
            continue;
        }
        if c == '\\' {
            match chars.next() {
                Some(next @ ('/' | '"' | '\'' | '<' | '>' | '%' | '@' | '`' | '=' | ':' | ',')) => {
                    out.push_str(&regex::escape(&next.to_string()));
                }
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push_str("\\\\"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[allow(clippy::format_push_string)]
/// A PCRE / sed replacement (`\1`, `$1`, `&`-free) in the `regex` crate's
/// syntax (`${1}`, `$$`).
fn translate_replacement(replacement: &str) -> String {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str(&format!("${{{d}}}"));
                    chars.next();
                }
                Some(&other) => {
                    out.push(other);
                    chars.next();
                }
                None => out.push('\\'),
            },
            '$' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str(&format!("${{{d}}}"));
                    chars.next();
                }
                _ => out.push_str("$$"),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_case_as_lowercasing_does() {
        for (a, b) in [
            ("Cmd.EXE", "cmd.exe"),
            ("cmd.exe", "cmd.ex"),
            ("\u{212A}elvin", "kelvin"),
            ("ÄRGER", "ärger"),
            ("ärger", "arger"),
            ("", ""),
            ("a", ""),
        ] {
            assert_eq!(
                eq(a, b, false),
                a.to_lowercase() == b.to_lowercase(),
                "{a} {b}"
            );
            assert_eq!(eq(a, b, true), a == b, "{a} {b}");
        }
    }

    #[test]
    fn glob_kinds() {
        assert!(Glob::new("cmd.exe", false).matches("CMD.EXE"));
        assert!(!Glob::new("cmd.exe", true).matches("CMD.EXE"));
        assert!(Glob::new("*\\cmd.exe", false).matches("C:\\Windows\\cmd.exe"));
        assert!(Glob::new("c:\\*", false).matches("C:\\x"));
        assert!(Glob::new("*app*data*", false).matches("x\\AppData\\y"));
        assert!(!Glob::new("*app*data", false).matches("x\\AppData\\y"));
        assert!(Glob::new("*", false).matches(""));
        assert_eq!(Glob::new("*a*bcd*e", false).longest_literal(), Some("bcd"));
        assert_eq!(Glob::new("x*", false).longest_literal(), Some("x"));
        assert_eq!(Glob::new("**", false).longest_literal(), None);
    }

    #[test]
    fn case_insensitive_find_is_the_first_place_of_the_needle() {
        // The definition: the first char boundary where the needle's bytes
        // equal the hay's, ASCII case aside.
        let naive = |hay: &str, needle: &str| -> Option<usize> {
            let (h, n) = (hay.as_bytes(), needle.as_bytes());
            (0..=h.len().checked_sub(n.len())?)
                .find(|&i| hay.is_char_boundary(i) && h[i..i + n.len()].eq_ignore_ascii_case(n))
        };
        let hays = [
            "",
            "a",
            "xAbAB",
            "abab",
            "C:\\Windows\\CMD.exe /c",
            "ÀbÀb",
            "éab",
            "..a.b",
        ];
        let needles = [
            "",
            "a",
            "ab",
            "AB",
            "b",
            "cmd.EXE",
            "\\windows",
            "Àb",
            "b",
            ".",
            "zz",
            "xabab",
        ];
        for hay in hays {
            for needle in needles {
                assert_eq!(
                    find(hay, needle, false),
                    naive(hay, needle),
                    "{hay:?} {needle:?}"
                );
            }
        }
    }

    #[test]
    fn terms_respect_breakers() {
        let t = TermMatcher::new("cmstp.exe", false, false);
        assert!(t.matches("Image=C:\\Windows\\cmstp.exe x"));
        assert!(!t.matches("Image=C:\\Windows\\xcmstp.exe"));
        assert!(TermMatcher::new("exe", false, false).matches("a.exe"));
        assert!(!TermMatcher::new("ex", false, false).matches("a.exe"));
        assert!(TermMatcher::new("/s", false, false).matches("cmstp /s x"));
        assert!(TermMatcher::new("EventCode=4688", true, false).matches("a EventCode=4688 b"));
        assert!(!TermMatcher::new("Code=4688", true, false).matches("a EventCode=4688 b"));
        assert!(
            TermMatcher::new("ProcessRollup2", true, false)
                .matches("a event_simpleName=ProcessRollup2")
        );
        assert!(
            !TermMatcher::new("Rollup2", true, false).matches("a event_simpleName=ProcessRollup2")
        );
        assert!(TermMatcher::new("cm*", false, false).matches("x cmstp"));
        assert!(!TermMatcher::new("CMSTP", false, true).matches("x cmstp"));
    }

    #[test]
    fn replacement_groups() {
        let re = Re::new("(a)(b)").unwrap();
        assert_eq!(re.replace("abab", "\\2\\1", true), "baba");
        assert_eq!(re.replace("abab", "\\2\\1", false), "baab");
        assert!(Re::new("(?<=a)b").is_ok());
    }
}
