//! Finding which of many literals occur in a text: the index of a lookup
//! table's wildcard column, whose patterns (`*.example.com*`) each match
//! only the texts that contain their longest literal.
//!
//! An Aho-Corasick automaton finds every literal in one pass over a text,
//! but building one over tens of thousands of literals costs far more than
//! the few texts a table is usually asked about. The index therefore
//! starts with a hash map of the literals: a text is probed at each of its
//! windows of each literal length. Once the probes have cost about as much
//! as the automaton would, the automaton is built and used instead.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;
use foldhash::{HashMap, HashMapExt};

/// Window probes worth one literal byte of automaton building: building
/// costs about the time of this many hash probes per byte of the literals.
const PROBES_PER_LITERAL_BYTE: usize = 4;

/// The literals of a column, found in texts ([`LiteralIndex::find`]).
#[derive(Debug)]
pub(crate) struct LiteralIndex {
    /// The literals, ASCII-lowercased unless case-sensitive.
    literals: Vec<String>,
    case_sensitive: bool,
    /// Literal ids by literal bytes.
    by_bytes: HashMap<Vec<u8>, Vec<usize>>,
    /// The distinct literal lengths, ascending.
    lengths: Vec<usize>,
    /// Window probes made so far, and how many to make before building
    /// the automaton.
    probes: AtomicUsize,
    budget: usize,
    /// The automaton, once built (`None` when it could not be).
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl LiteralIndex {
    /// The index of `literals` (none empty; ASCII when not
    /// `case_sensitive`).
    pub(crate) fn new(literals: Vec<String>, case_sensitive: bool) -> LiteralIndex {
        let literals: Vec<String> = if case_sensitive {
            literals
        } else {
            literals.iter().map(|l| l.to_ascii_lowercase()).collect()
        };
        let mut by_bytes: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (id, literal) in literals.iter().enumerate() {
            by_bytes
                .entry(literal.as_bytes().to_vec())
                .or_default()
                .push(id);
        }
        let mut lengths: Vec<usize> = literals.iter().map(String::len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let bytes: usize = literals.iter().map(String::len).sum();
        LiteralIndex {
            literals,
            case_sensitive,
            by_bytes,
            lengths,
            probes: AtomicUsize::new(0),
            budget: bytes.saturating_mul(PROBES_PER_LITERAL_BYTE),
            automaton: OnceLock::new(),
        }
    }

    /// Call `found` with the id of each literal `text` contains (ASCII
    /// case-insensitively unless case-sensitive; `text` is ASCII then),
    /// once per occurrence.
    pub(crate) fn find(&self, text: &str, found: &mut dyn FnMut(usize)) {
        if let Some(automaton) = self.automaton() {
            for m in automaton.find_overlapping_iter(text) {
                found(m.pattern().as_usize());
            }
            return;
        }
        let lowered;
        let bytes = if self.case_sensitive {
            text.as_bytes()
        } else {
            lowered = text.to_ascii_lowercase();
            lowered.as_bytes()
        };
        let mut probes = 0;
        for &length in self.lengths.iter().take_while(|&&l| l <= bytes.len()) {
            for window in bytes.windows(length) {
                probes += 1;
                for &id in self.by_bytes.get(window).into_iter().flatten() {
                    found(id);
                }
            }
        }
        self.probes.fetch_add(probes, Ordering::Relaxed);
    }

    /// The automaton, built once the probes have used up the budget.
    fn automaton(&self) -> Option<&AhoCorasick> {
        if let Some(built) = self.automaton.get() {
            return built.as_ref();
        }
        if self.probes.load(Ordering::Relaxed) < self.budget {
            return None;
        }
        self.automaton
            .get_or_init(|| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(!self.case_sensitive)
                    .build(&self.literals)
                    .ok()
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(index: &LiteralIndex, text: &str) -> Vec<usize> {
        let mut ids = Vec::new();
        index.find(text, &mut |id| ids.push(id));
        ids.sort_unstable();
        ids
    }

    fn literals(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn windows_and_automaton_find_the_same_literals() {
        let index = LiteralIndex::new(literals(&[".dyn.com", ".COM", "x", "dyn.c"]), false);
        let cases = [
            ("a.dyn.com", vec![0, 1, 3]),
            ("A.DYN.COM.com", vec![0, 1, 1, 3]),
            ("xx", vec![2, 2]),
            ("", vec![]),
            ("dyn", vec![]),
        ];
        for (text, want) in &cases {
            assert_eq!(found(&index, text), *want, "{text} by windows");
        }
        assert!(index.automaton.get().is_none());
        // Probe past the budget: the automaton takes over.
        let long = "y".repeat(index.budget + 1);
        found(&index, &long);
        for (text, want) in &cases {
            assert_eq!(found(&index, text), *want, "{text} by the automaton");
        }
        assert!(index.automaton.get().is_some_and(Option::is_some));
    }

    #[test]
    fn case_sensitive_literals_match_exactly() {
        let index = LiteralIndex::new(literals(&["Ab", "ab"]), true);
        assert_eq!(found(&index, "xAbab"), [0, 1]);
        assert_eq!(found(&index, "AB"), Vec::<usize>::new());
    }
}
