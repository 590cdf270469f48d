//! The lexer, macro expander and parser never panic, whatever the input:
//! seed queries mutated by a deterministic xorshift generator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rulecheck_spl::{Macros, expand, parse, parse_str};

const SEEDS: &[&str] = &[
    r#"`get_endpoint_data` (TERM(EventCode=4688) OR "<EventID>4688<" OR Type=Process) ("cmstp.exe") OR ("/s" "/.inf") | regex process="(?i)cmstp|\s+\/s\s+.+\.inf" | table _time, host, process_* | bin span=1s | stats values(*) as * by _time, host"#,
    r#"| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name IN ("a.exe","b.exe") by Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)`"#,
    r#"a | eval x=if(match(p, "\\\\"), 1 + 2 * -3 . "s", 'f g') , y=case(a=1,"x") | where NOT x IN ("a") AND like(y, "%z%") | rex field=p "(?<n>\w+)" | join type=outer k [| inputlookup t where a=1 | rename a as b] | sort - c | dedup 2 x | head 5 | fillnull value=0 | convert ctime(t) | lookup l a as b OUTPUT c | makemv delim=" " x | mvexpand x | spath input=x path=y | append [search z] | from datamodel X.Y | foreach * [eval <<FIELD>>=1]"#,
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: &[&str] = &[
    "(", ")", "[", "]", "|", "\"", "'", "`", "\\", "=", "!=", "<", ">", ",", ".", "*", " ", "OR",
    "AND", "NOT", "TERM(", "CASE(", "eval(", "by", "as", "é", "```", "$", "-", "+", "\n",
];

fn mutate(rng: &mut XorShift, seed: &str) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(text.len() + 1);
        match rng.below(4) {
            0 if !text.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 => {
                let piece = ALPHABET[rng.below(ALPHABET.len())];
                for (i, c) in piece.chars().enumerate() {
                    text.insert(at + i, c);
                }
            }
            2 if at < text.len() => text.truncate(at),
            _ => {
                let from = rng.below(text.len().max(1));
                let end = (from + rng.below(20)).min(text.len());
                let copy: Vec<char> = text[from..end].to_vec();
                for (i, c) in copy.into_iter().enumerate() {
                    text.insert(at.min(text.len()) + i, c);
                }
            }
        }
    }
    text.into_iter().collect()
}

#[test]
fn mutated_queries_never_panic() {
    let mut macros = Macros::new().with_undefined_filters_passing(true);
    macros.insert("get_endpoint_data", "index=*");
    macros.insert("security_content_summariesonly", "summariesonly=true");
    macros.insert_with_arguments("drop_dm_object_name", vec!["o".into()], "rename $o$.* AS *");
    macros.insert_with_arguments(
        "security_content_ctime",
        vec!["f".into()],
        "convert ctime($f$)",
    );
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..6000 {
        let seed = SEEDS[round % SEEDS.len()];
        let query = mutate(&mut rng, seed);
        let _ = parse_str(&query);
        if let Ok(expanded) = expand(&query, &macros) {
            let (_, diagnostics) = parse(&expanded);
            for d in diagnostics {
                let span = d.span.unwrap();
                assert!(span.end as usize <= query.len(), "{query:?}: {d:?}");
                assert!(
                    query.is_char_boundary(span.start as usize),
                    "{query:?}: {d:?}"
                );
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["(", "NOT ", "[search "] {
        let query = open.repeat(5000);
        let (pipeline, diagnostics) = parse_str(&query);
        assert!(pipeline.is_none());
        assert!(!diagnostics.is_empty());
    }
    let query = format!("| eval x={}1", "(".repeat(5000));
    assert!(parse_str(&query).0.is_none());
    let query = format!("| eval x={}1", "-".repeat(5000));
    assert!(parse_str(&query).0.is_none());
}
