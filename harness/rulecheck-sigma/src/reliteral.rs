//! Required literals of a regular expression, for the literal prefilter:
//! a set of strings of which at least one occurs (ignoring ASCII case) in
//! every text the regex matches.
//!
//! The pattern is parsed with `regex-syntax` (the parser of the `regex`
//! crate, with the same defaults) and its HIR walked bottom-up. Each node
//! gets, when known, the finite set of strings it matches exactly (small
//! classes such as `[Kk\u{212A}]` and short alternations included) and a set
//! of which one must occur inside whatever it matches. Concatenations join
//! neighbouring exact sets into longer literals (their cross product while
//! it stays small) and keep the most selective requirement.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::prefilter::literal_cost;

/// Most strings an exact set may hold; larger sets are forgotten.
const MAX_SET: usize = 64;
/// Most characters a class may hold to count as an exact set.
const MAX_CLASS: usize = 8;
/// Shortest literal (in bytes) worth prefiltering on.
const MIN_LEN: usize = 3;

/// What is known about the text a node matches.
#[derive(Debug, Default)]
struct Info {
    /// The node matches exactly one of these strings (ASCII-lowercased).
    exact: Option<Vec<String>>,
    /// One of these strings occurs in what the node matches.
    req: Option<Vec<String>>,
}

/// The required literals of `pattern`, or None when none can be proven
/// (unparsable or look-around patterns, patterns without a literal of at
/// least three bytes on every path).
pub(crate) fn required(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    best_of(&info(&hir))
}

/// Whether a requirement is usable: non-empty and every literal long enough.
fn usable(set: &[String]) -> bool {
    !set.is_empty() && set.iter().all(|s| s.len() >= MIN_LEN)
}

/// A lower total [`literal_cost`], then fewer alternatives.
fn score(set: &[String]) -> (u64, usize) {
    let total = set
        .iter()
        .map(|s| literal_cost(s))
        .fold(0u64, u64::saturating_add);
    (total, set.len())
}

fn pick(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    match (a.filter(|s| usable(s)), b.filter(|s| usable(s))) {
        (Some(a), Some(b)) => Some(if score(&b) < score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The best requirement of a node: its exact set or its inner requirement.
fn best_of(i: &Info) -> Option<Vec<String>> {
    pick(i.exact.clone(), i.req.clone())
}

fn normalize(mut set: Vec<String>) -> Option<Vec<String>> {
    for s in &mut set {
        s.make_ascii_lowercase();
    }
    set.sort_unstable();
    set.dedup();
    (set.len() <= MAX_SET).then_some(set)
}

fn class_set(class: &Class) -> Option<Vec<String>> {
    let mut out = Vec::new();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                let n = (r.end() as usize).saturating_sub(r.start() as usize) + 1;
                if out.len() + n > MAX_CLASS {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(String::from));
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                if !r.end().is_ascii() {
                    return None;
                }
                let n = usize::from(r.end() - r.start()) + 1;
                if out.len() + n > MAX_CLASS {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(|b| char::from(b).to_string()));
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    normalize(out)
}

fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            out.push(format!("{x}{y}"));
        }
    }
    normalize(out)
}

fn info(hir: &Hir) -> Info {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info {
            exact: Some(vec![String::new()]),
            req: None,
        },
        HirKind::Literal(lit) => Info {
            exact: std::str::from_utf8(&lit.0)
                .ok()
                .and_then(|s| normalize(vec![s.to_owned()])),
            req: None,
        },
        HirKind::Class(c) => Info {
            exact: class_set(c),
            req: None,
        },
        HirKind::Capture(c) => info(&c.sub),
        HirKind::Repetition(r) => {
            let sub = info(&r.sub);
            if r.min == 1 && r.max == Some(1) {
                sub
            } else if r.min >= 1 {
                Info {
                    exact: None,
                    req: best_of(&sub),
                }
            } else {
                Info::default()
            }
        }
        HirKind::Concat(items) => concat(items),
        HirKind::Alternation(items) => {
            let infos: Vec<Info> = items.iter().map(info).collect();
            let exact = infos
                .iter()
                .map(|i| i.exact.clone())
                .collect::<Option<Vec<_>>>()
                .and_then(|sets| normalize(sets.concat()));
            let req = infos
                .iter()
                .map(best_of)
                .collect::<Option<Vec<_>>>()
                .and_then(|sets| normalize(sets.concat()));
            Info { exact, req }
        }
    }
}

fn concat(items: &[Hir]) -> Info {
    let mut best: Option<Vec<String>> = None;
    // The exact set of the run of exact nodes ending here.
    let mut run: Option<Vec<String>> = Some(vec![String::new()]);
    let mut whole: Option<Vec<String>> = Some(vec![String::new()]);
    for item in items {
        let i = info(item);
        best = pick(best, i.req.clone());
        whole = match (&whole, &i.exact) {
            (Some(w), Some(e)) => product(w, e),
            _ => None,
        };
        match (&run, &i.exact) {
            (Some(r), Some(e)) => {
                if let Some(p) = product(r, e) {
                    run = Some(p);
                } else {
                    // Too many combinations: keep what the run had, and
                    // start again from this node.
                    best = pick(best, run.take());
                    run = Some(e.clone());
                }
            }
            (_, Some(e)) => run = Some(e.clone()),
            (_, None) => best = pick(best, run.take()),
        }
    }
    best = pick(best, run);
    Info {
        exact: whole,
        req: best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: &str) -> Option<Vec<String>> {
        required(p)
    }

    fn v(items: &[&str]) -> Option<Vec<String>> {
        let set: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        (!set.is_empty()).then_some(set)
    }

    #[test]
    fn literals_of_plain_and_anchored_patterns() {
        assert_eq!(req(r"mimikatz"), v(&["mimikatz"]));
        assert_eq!(req(r"^C:\\Windows\\.*\.exe$"), v(&["c:\\windows\\"]));
        assert_eq!(req(r"\bvssadmin\b.+delete"), v(&["vssadmin"]));
    }

    #[test]
    fn case_insensitive_patterns_keep_unicode_folds() {
        // `k` also folds to the Kelvin sign and `s` to the long s; both
        // spellings stay in the set so the prefilter cannot miss them.
        let got = req(r"(?i)desk").unwrap_or_default();
        assert!(got.contains(&"desk".to_owned()), "{got:?}");
        assert!(got.contains(&"des\u{212A}".to_owned()), "{got:?}");
        assert_eq!(req(r"(?i)certutil"), v(&["certutil"]));
    }

    #[test]
    fn alternations_become_alternatives() {
        assert_eq!(
            req(r"(cmd|powershell)\.exe"),
            v(&["cmd.exe", "powershell.exe"])
        );
        assert_eq!(req(r"foo\d+|barbaz"), v(&["barbaz", "foo"]));
        // One branch without a literal: nothing is required.
        assert_eq!(req(r"foo|\d+"), None);
    }

    #[test]
    fn unprovable_patterns_have_no_requirement() {
        assert_eq!(req(r".*"), None);
        assert_eq!(req(r"[a-z]{20}"), None);
        assert_eq!(req(r"ab"), None);
        assert_eq!(req(r"(?:abc)?def?"), None);
        assert_eq!(req(r"foo(?!bar)"), None);
        assert_eq!(req(r"(unclosed"), None);
    }

    #[test]
    fn repetitions_keep_their_inner_literal() {
        assert_eq!(req(r"(?:-enc\s+)+[A-Za-z0-9+/=]{50,}"), v(&["-enc"]));
        assert_eq!(req(r"x(?:abc)*y"), None);
    }
}
