//! String matchers built once at compile time: exact, prefix, suffix and
//! contains fast paths, Aho–Corasick for OR-lists of substrings, and
//! regexes only for inner wildcards and explicit `re` values.

use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::pattern::{Part, Pattern};

/// How a string is compared.
#[derive(Clone)]
pub enum StrMatcher {
    /// Equal to the text.
    Exact(Needle),
    /// Starts with the text.
    Prefix(Needle),
    /// Ends with the text.
    Suffix(Needle),
    /// Contains the text.
    Contains(Needle, Finder),
    /// Contains any of several texts (an OR-list of `contains`).
    ContainsAny(Vec<String>, Finder),
    /// A regular expression (`re` values).
    Regex(Re),
    /// Wildcard patterns the fast paths cannot express (inner wildcards,
    /// non-ASCII case folding), as one regex; with, when every pattern has
    /// one, the longest literal piece of each, for prefiltering.
    Glob(Re, Vec<String>),
}

/// Whether ASCII-only case folding is exact for `s`: every non-ASCII
/// character has no case (emoji, CJK, symbols).
pub(crate) fn ascii_foldable(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii() || (c.to_lowercase().eq([c]) && c.to_uppercase().eq([c])))
}

/// A literal and whether it is compared case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// The text.
    pub text: String,
    /// Case-sensitive.
    pub cased: bool,
}

/// A prebuilt substring searcher.
#[derive(Clone)]
pub struct Finder(AhoCorasick);

impl fmt::Debug for Finder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AhoCorasick({} patterns)", self.0.patterns_len())
    }
}

/// A compiled regular expression: `regex` when it can, `fancy-regex`
/// (with a backtrack limit) for look-around and back-references.
#[derive(Clone)]
pub enum Re {
    /// Linear-time engine.
    Std(regex::Regex),
    /// Backtracking engine, bounded.
    Fancy(Box<fancy_regex::Regex>),
}

impl fmt::Debug for Re {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Re::Std(r) => write!(f, "Regex({:?})", r.as_str()),
            Re::Fancy(r) => write!(f, "FancyRegex({:?})", r.as_str()),
        }
    }
}

/// Most backtracking steps one fancy-regex match may take.
const BACKTRACK_LIMIT: usize = 100_000;
/// Largest compiled regex program.
const REGEX_SIZE_LIMIT: usize = 4 << 20;

impl Re {
    /// Compile `pattern`; the error text says why neither engine accepts it.
    pub fn new(pattern: &str) -> Result<Re, String> {
        match regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => Ok(Re::Std(re)),
            Err(std_err) => fancy_regex::RegexBuilder::new(pattern)
                .backtrack_limit(BACKTRACK_LIMIT)
                .delegate_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(|re| Re::Fancy(Box::new(re)))
                .map_err(|e| format!("{e} (regex crate: {})", first_line(&std_err.to_string()))),
        }
    }

    /// Whether the regex matches somewhere in `s`. A fancy regex that runs
    /// out of its backtrack budget counts as no match.
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            Re::Std(r) => r.is_match(s),
            Re::Fancy(r) => r.is_match(s).unwrap_or(false),
        }
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        match self {
            Re::Std(r) => r.as_str(),
            Re::Fancy(r) => r.as_str(),
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

impl fmt::Debug for StrMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrMatcher::Exact(n) => write!(f, "Exact({:?}{})", n.text, cased(n.cased)),
            StrMatcher::Prefix(n) => write!(f, "Prefix({:?}{})", n.text, cased(n.cased)),
            StrMatcher::Suffix(n) => write!(f, "Suffix({:?}{})", n.text, cased(n.cased)),
            StrMatcher::Contains(n, _) => write!(f, "Contains({:?}{})", n.text, cased(n.cased)),
            StrMatcher::ContainsAny(v, _) => write!(f, "ContainsAny({v:?})"),
            StrMatcher::Regex(r) => write!(f, "{r:?}"),
            StrMatcher::Glob(r, _) => write!(f, "Glob({:?})", r.as_str()),
        }
    }
}

fn cased(c: bool) -> &'static str {
    if c { ", cased" } else { "" }
}

impl StrMatcher {
    /// Build the matcher of a wildcard pattern.
    pub(crate) fn from_pattern(p: &Pattern, cased: bool) -> Result<StrMatcher, String> {
        let parts = &p.parts;
        let ascii = parts.iter().all(|x| match x {
            Part::Lit(s) => ascii_foldable(s),
            _ => true,
        });
        if cased || ascii {
            let needle = |s: &String| Needle {
                text: s.clone(),
                cased,
            };
            match parts.as_slice() {
                [] => return Ok(StrMatcher::Exact(needle(&String::new()))),
                [Part::Lit(s)] => return Ok(StrMatcher::Exact(needle(s))),
                [Part::Lit(s), Part::Star] => return Ok(StrMatcher::Prefix(needle(s))),
                [Part::Star, Part::Lit(s)] => return Ok(StrMatcher::Suffix(needle(s))),
                [Part::Star, Part::Lit(s), Part::Star] => {
                    let finder = finder(std::slice::from_ref(s), cased)?;
                    return Ok(StrMatcher::Contains(needle(s), finder));
                }
                [Part::Star] => {
                    return Ok(StrMatcher::Prefix(needle(&String::new())));
                }
                _ => {}
            }
        }
        let mut re = String::from(if cased { "(?s)^" } else { "(?si)^" });
        for part in parts {
            match part {
                Part::Lit(s) => re.push_str(&regex::escape(s)),
                Part::Star => re.push_str(".*"),
                Part::One => re.push('.'),
            }
        }
        re.push('$');
        let longest: Vec<String> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(s) if ascii_foldable(s) => Some(s),
                _ => None,
            })
            .max_by_key(|s| s.len())
            .cloned()
            .into_iter()
            .collect();
        Re::new(&re).map(|re| StrMatcher::Glob(re, longest))
    }

    /// One matcher for an OR-list of globs with the same flags.
    pub(crate) fn merge_globs(globs: &[(Re, Vec<String>)]) -> Result<StrMatcher, String> {
        let literal_each = globs.iter().all(|(_, l)| !l.is_empty());
        let mut flags = "";
        let mut alternatives = Vec::new();
        let mut literals = Vec::new();
        for (re, lits) in globs {
            let src = re.as_str();
            let (f, body) = src.split_at(src.find('^').unwrap_or(0));
            flags = f;
            alternatives.push(format!("(?:{body})"));
            literals.extend(lits.iter().cloned());
        }
        let re = Re::new(&format!("{flags}{}", alternatives.join("|")))?;
        Ok(StrMatcher::Glob(
            re,
            if literal_each { literals } else { Vec::new() },
        ))
    }

    /// One matcher for several ASCII `contains` texts, all with the same
    /// casing.
    pub(crate) fn contains_any(texts: Vec<String>, cased: bool) -> Result<StrMatcher, String> {
        let f = finder(&texts, cased)?;
        Ok(StrMatcher::ContainsAny(texts, f))
    }

    /// The text of a `Contains` over ASCII, for grouping into `ContainsAny`.
    pub(crate) fn contains_text(&self) -> Option<(&str, bool)> {
        match self {
            StrMatcher::Contains(n, _) if n.cased || ascii_foldable(&n.text) => {
                Some((n.text.as_str(), n.cased))
            }
            _ => None,
        }
    }

    /// Whether `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            StrMatcher::Exact(n) => {
                if n.cased {
                    s == n.text
                } else {
                    s.eq_ignore_ascii_case(&n.text)
                }
            }
            StrMatcher::Prefix(n) => s
                .as_bytes()
                .get(..n.text.len())
                .is_some_and(|head| eq_bytes(head, n.text.as_bytes(), n.cased)),
            StrMatcher::Suffix(n) => s
                .len()
                .checked_sub(n.text.len())
                .and_then(|start| s.as_bytes().get(start..))
                .is_some_and(|tail| eq_bytes(tail, n.text.as_bytes(), n.cased)),
            StrMatcher::Contains(_, f) | StrMatcher::ContainsAny(_, f) => f.0.is_match(s),
            StrMatcher::Regex(r) | StrMatcher::Glob(r, _) => r.is_match(s),
        }
    }
}

fn eq_bytes(a: &[u8], b: &[u8], cased: bool) -> bool {
    if cased {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

fn finder(texts: &[String], cased: bool) -> Result<Finder, String> {
    // A contiguous NFA builds much faster than a DFA and, behind the
    // literal prefilter, searches about as fast for the short lists rules use.
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(!cased)
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(texts)
        .map(Finder)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, cased: bool) -> StrMatcher {
        StrMatcher::from_pattern(&Pattern::parse(pattern), cased)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    #[test]
    fn fast_paths_are_chosen() {
        assert!(matches!(m("abc", false), StrMatcher::Exact(_)));
        assert!(matches!(m("abc*", false), StrMatcher::Prefix(_)));
        assert!(matches!(m("*abc", false), StrMatcher::Suffix(_)));
        assert!(matches!(m("*abc*", false), StrMatcher::Contains(..)));
        assert!(matches!(m("ab*c", false), StrMatcher::Glob(_, l) if l == ["ab"]));
        assert!(matches!(m("ÄBC", false), StrMatcher::Glob(_, l) if l.is_empty()));
        assert!(matches!(m("*\u{1F600}*", false), StrMatcher::Contains(..)));
        assert!(m("*\u{1F600}*", false).is_match("run \u{1F600} now"));
        assert!(matches!(m("ÄBC", true), StrMatcher::Exact(_)));
    }

    #[test]
    fn matching_table() {
        let cases: &[(&str, bool, &str, bool)] = &[
            ("cmd.exe", false, "CMD.EXE", true),
            ("cmd.exe", true, "CMD.EXE", false),
            ("cmd.exe", true, "cmd.exe", true),
            ("cmd.exe", false, "xcmd.exe", false),
            ("*\\cmd.exe", false, "C:\\Windows\\CMD.exe", true),
            ("*\\cmd.exe", false, "C:\\Windows\\cmd.exe.bak", false),
            ("c:\\win*", false, "C:\\Windows\\x", true),
            ("c:\\win*", false, "D:\\Windows", false),
            ("*mimikatz*", false, "run MimiKatz now", true),
            ("*mimikatz*", false, "mimi katz", false),
            ("*mimikatz*", true, "MimiKatz", false),
            ("a?c", false, "ABC", true),
            ("a?c", false, "abbc", false),
            ("a*c", false, "a\nxyzc", true),
            ("*", false, "", true),
            ("", false, "", true),
            ("", false, "x", false),
            ("äbc", false, "ÄBC", true),
            ("*straße*", false, "STRASSE", false),
            ("a\\*b", false, "a*b", true),
            ("a\\*b", false, "axxb", false),
            ("x*", false, "é", false),
            ("*é", false, "abcé", true),
        ];
        for (pattern, cased, input, want) in cases {
            assert_eq!(
                m(pattern, *cased).is_match(input),
                *want,
                "{pattern} ~ {input}"
            );
        }
    }

    #[test]
    fn contains_any_is_an_or() {
        let any = StrMatcher::contains_any(vec!["foo".into(), "bar".into()], false);
        let any = any.unwrap_or_else(|e| panic!("{e}"));
        assert!(any.is_match("xxBARxx"));
        assert!(!any.is_match("baz"));
    }

    #[test]
    fn regex_engines() {
        assert!(matches!(Re::new("a+b"), Ok(Re::Std(_))));
        let look = Re::new("foo(?!bar)").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(look, Re::Fancy(_)));
        assert!(look.is_match("foobaz"));
        assert!(!look.is_match("foobar"));
        let backref = Re::new(r"(a)\1").unwrap_or_else(|e| panic!("{e}"));
        assert!(backref.is_match("xaay"));
        assert!(Re::new("(unclosed").is_err());
        // A catastrophic pattern gives up instead of hanging.
        let evil = Re::new(r"(a+)+\1b").unwrap_or_else(|e| panic!("{e}"));
        assert!(!evil.is_match(&"a".repeat(40)));
    }
}
