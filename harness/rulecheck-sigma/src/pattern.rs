//! Sigma string values: wildcards, escapes, and the transformation
//! modifiers (`contains`, `windash`, `base64offset`, `utf16le`, `expand`…)
//! that turn one written value into the patterns that are matched.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A value with its wildcards resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Pattern {
    pub(crate) parts: Vec<Part>,
}

impl Pattern {
    /// Read a written Sigma string: `*` and `?` are wildcards, `\` escapes
    /// them and itself; a backslash before anything else is literal.
    pub(crate) fn parse(text: &str) -> Pattern {
        let mut p = Pattern::default();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => p.push_part(Part::Star),
                '?' => p.push_part(Part::One),
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        p.push_char(n);
                    }
                    _ => p.push_char('\\'),
                },
                c => p.push_char(c),
            }
        }
        p
    }

    /// A pattern that is only `text`, no wildcards.
    pub(crate) fn literal(text: &str) -> Pattern {
        let mut p = Pattern::default();
        if !text.is_empty() {
            p.parts.push(Part::Lit(text.to_owned()));
        }
        p
    }

    fn push_char(&mut self, c: char) {
        if let Some(Part::Lit(s)) = self.parts.last_mut() {
            s.push(c);
        } else {
            self.parts.push(Part::Lit(c.to_string()));
        }
    }

    fn push_part(&mut self, part: Part) {
        if part == Part::Star && self.parts.last() == Some(&Part::Star) {
            return;
        }
        self.parts.push(part);
    }

    /// The text if the pattern has no wildcards.
    pub(crate) fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Star | Part::One => return None,
            }
        }
        Some(out)
    }

    pub(crate) fn with_star_start(mut self) -> Pattern {
        if self.parts.first() != Some(&Part::Star) {
            self.parts.insert(0, Part::Star);
        }
        self
    }

    pub(crate) fn with_star_end(mut self) -> Pattern {
        if self.parts.last() != Some(&Part::Star) {
            self.parts.push(Part::Star);
        }
        self
    }
}

/// The dash characters `windash` makes interchangeable.
const WINDASH: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Most dash positions `windash` expands (5^n variants).
const MAX_WINDASH_POSITIONS: usize = 4;

/// `windash`: every variant with each leading flag dash replaced by each
/// of the dash characters.
pub(crate) fn windash(p: &Pattern) -> Result<Vec<Pattern>, String> {
    let mut out = vec![Pattern::default()];
    let mut positions = 0;
    for part in &p.parts {
        let Part::Lit(text) = part else {
            for v in &mut out {
                v.parts.push(part.clone());
            }
            continue;
        };
        let chars: Vec<char> = text.chars().collect();
        let mut pieces: Vec<Vec<String>> = Vec::new();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev_word = i > 0 && is_word(chars[i - 1]);
            let next_word = chars.get(i + 1).is_some_and(|n| is_word(*n));
            if matches!(c, '-' | '/') && !prev_word && next_word {
                positions += 1;
                pieces.push(vec![std::mem::take(&mut current)]);
                pieces.push(WINDASH.iter().map(char::to_string).collect());
            } else {
                current.push(c);
            }
        }
        pieces.push(vec![current]);
        if positions > MAX_WINDASH_POSITIONS {
            return Err(format!(
                "`windash` would expand more than {MAX_WINDASH_POSITIONS} dash positions"
            ));
        }
        let mut texts = vec![String::new()];
        for choices in pieces {
            texts = texts
                .iter()
                .flat_map(|t| choices.iter().map(move |c| format!("{t}{c}")))
                .collect();
        }
        out = out
            .iter()
            .flat_map(|v| {
                texts.iter().map(move |t| {
                    let mut v = v.clone();
                    if let Some(Part::Lit(s)) = v.parts.last_mut() {
                        s.push_str(t);
                    } else if !t.is_empty() {
                        v.parts.push(Part::Lit(t.clone()));
                    }
                    v
                })
            })
            .collect();
    }
    out.dedup();
    Ok(out)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The text encodings applied before `base64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
}

pub(crate) fn encode(text: &str, enc: TextEncoding) -> Vec<u8> {
    match enc {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Utf16Bom => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// `base64`: the encoded value.
pub(crate) fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `base64offset`: the three encodings of the value at byte offsets 0, 1
/// and 2 of an enclosing string, trimmed to the characters that do not
/// depend on the surrounding bytes.
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let enc = STANDARD.encode(&padded);
            let end_trim = match (bytes.len() + i) % 3 {
                1 => 3,
                2 => 2,
                _ => 0,
            };
            let end = enc.len().saturating_sub(end_trim);
            enc.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// `expand`: replace each `%name%` placeholder with each of its values
/// (every combination when there are several); `\%` is a plain `%`.
pub(crate) fn expand(
    text: &str,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, String> {
    let mut variants = vec![String::new()];
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\%") {
            for v in &mut variants {
                v.push('%');
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix('%') {
            let Some(close) = after.find('%') else {
                for v in &mut variants {
                    v.push('%');
                }
                rest = after;
                continue;
            };
            let name = &after[..close];
            let values = placeholders.get(name).ok_or_else(|| {
                format!("placeholder `%{name}%` has no value in the placeholder map")
            })?;
            variants = variants
                .iter()
                .flat_map(|v| values.iter().map(move |x| format!("{v}{x}")))
                .collect();
            rest = &after[close + 1..];
        } else {
            let next = rest[1..].find(['%', '\\']).map_or(rest.len(), |i| i + 1);
            for v in &mut variants {
                v.push_str(&rest[..next]);
            }
            rest = &rest[next..];
        }
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Lit(s.into())
    }

    #[test]
    fn wildcards_and_escapes() {
        let cases: Vec<(&str, Vec<Part>)> = vec![
            ("abc", vec![lit("abc")]),
            ("*\\cmd.exe", vec![Part::Star, lit("\\cmd.exe")]),
            ("a?c", vec![lit("a"), Part::One, lit("c")]),
            ("a\\*b", vec![lit("a*b")]),
            ("a\\?b", vec![lit("a?b")]),
            ("C:\\\\Windows", vec![lit("C:\\Windows")]),
            ("a\\\\*", vec![lit("a\\"), Part::Star]),
            ("a\\\\\\*", vec![lit("a\\*")]),
            ("a**b", vec![lit("a"), Part::Star, lit("b")]),
            ("", vec![]),
        ];
        for (text, parts) in cases {
            assert_eq!(Pattern::parse(text).parts, parts, "{text}");
        }
    }

    #[test]
    fn windash_expands_flag_dashes_only() {
        let got = windash(&Pattern::parse(" -enc ")).unwrap_or_default();
        let texts: Vec<String> = got.iter().filter_map(Pattern::as_literal).collect();
        assert_eq!(
            texts,
            vec![
                " -enc ",
                " /enc ",
                " \u{2013}enc ",
                " \u{2014}enc ",
                " \u{2015}enc "
            ]
        );
        let got = windash(&Pattern::parse("a-b")).unwrap_or_default();
        assert_eq!(got.len(), 1, "a dash inside a word is not a flag");
        let got = windash(&Pattern::parse("-a -b")).unwrap_or_default();
        assert_eq!(got.len(), 25);
    }

    #[test]
    fn base64_offsets_match_known_values() {
        assert_eq!(base64(b"cmd"), "Y21k");
        // Known pySigma output for `base64offset|contains: /bin/bash`.
        assert_eq!(
            base64_offsets(b"/bin/bash"),
            vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
        assert_eq!(encode("cmd", TextEncoding::Utf16Le), b"c\0m\0d\0");
        assert_eq!(encode("cmd", TextEncoding::Utf16Be), b"\0c\0m\0d");
        assert_eq!(encode("cmd", TextEncoding::Utf16Bom), b"\xFF\xFEc\0m\0d\0");
    }

    #[test]
    fn expand_placeholders() {
        let mut map = HashMap::new();
        map.insert(
            "Admins".to_owned(),
            vec!["adm_*".to_owned(), "root".to_owned()],
        );
        assert_eq!(
            expand("%Admins%", &map),
            Ok(vec!["adm_*".to_owned(), "root".to_owned()])
        );
        assert_eq!(expand("\\%plain%Admins%", &map).map(|v| v.len()), Ok(2));
        assert_eq!(
            expand("\\%plain%Admins%", &map)
                .ok()
                .and_then(|v| v.first().cloned()),
            Some("%plainadm_*".to_owned())
        );
        assert!(expand("%Missing%", &map).is_err());
        assert_eq!(expand("50%", &map), Ok(vec!["50%".to_owned()]));
    }
}
