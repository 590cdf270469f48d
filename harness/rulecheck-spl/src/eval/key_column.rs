//! Key columns: the text of one field over the rows of a batch's view,
//! dictionary-encoded. Grouping the rows of a view by several fields then
//! compares small integers per row instead of looking each field up and
//! hashing its text, and the column is built once per batch for every
//! `tstats` that groups by the field.

use std::borrow::Cow;

use foldhash::HashMap;
use serde_json::Value as Json;

use super::stats;

/// A row without the field (or no row at all).
pub(crate) const MISSING: u32 = 0;

/// A row whose value is not exactly one text (a multivalue, an empty
/// array, a null): grouping by codes does not model it.
pub(crate) const IRREGULAR: u32 = u32::MAX;

/// The texts of one field over the rows of a view: each row's code, and
/// the distinct texts the codes stand for.
#[derive(Debug, Default)]
pub(crate) struct KeyColumn {
    /// Per row: [`MISSING`], [`IRREGULAR`], or `1 +` the index of its text
    /// in `texts`.
    codes: Vec<u32>,
    /// Per row: whether its value is a JSON number.
    numbers: Vec<bool>,
    texts: Vec<String>,
    /// The code of each text.
    known: HashMap<String, u32>,
    /// Per code (from 1), the place of its text in the sorted texts,
    /// computed on first use.
    ranks: std::cell::OnceCell<Vec<u32>>,
}

impl KeyColumn {
    /// The column of the values of `rows` (`None` where the row lacks the
    /// field), each read as one group key text ([`stats::value_texts`]).
    pub(crate) fn build<'r>(rows: impl Iterator<Item = Option<Cow<'r, Json>>>) -> KeyColumn {
        let mut column = KeyColumn::default();
        let mut texts = Vec::new();
        for value in rows {
            column.push(value, &mut texts);
        }
        column
    }

    /// [`KeyColumn::build`] of values some of which are shared: rows
    /// whose share (a number below `shares`) is the same have the same
    /// value, whose code is found once.
    pub(crate) fn build_shared<'r>(
        rows: impl Iterator<Item = (Option<&'r Json>, Option<usize>)>,
        shares: usize,
    ) -> KeyColumn {
        let mut column = KeyColumn::default();
        let mut texts = Vec::new();
        let mut codes: Vec<Option<u32>> = vec![None; shares];
        for (value, share) in rows {
            let known = share.and_then(|s| codes.get(s).copied().flatten());
            if let Some(code) = known {
                column.numbers.push(value.is_some_and(Json::is_number));
                column.codes.push(code);
            } else {
                let code = column.push(value.map(Cow::Borrowed), &mut texts);
                if let Some(slot) = share.and_then(|s| codes.get_mut(s)) {
                    *slot = Some(code);
                }
            }
        }
        column
    }

    /// Add a row with `value` (`texts` is a buffer); its code.
    fn push<'r>(&mut self, value: Option<Cow<'r, Json>>, texts: &mut Vec<Cow<'r, str>>) -> u32 {
        self.numbers
            .push(value.as_deref().is_some_and(Json::is_number));
        let code = match value {
            None => MISSING,
            // One string: its own text (as `stats::value_texts` reads it).
            Some(Cow::Borrowed(Json::String(text))) => self.code_for(text),
            Some(value) => {
                texts.clear();
                stats::value_texts(value, texts);
                match texts.as_slice() {
                    [text] => self.code_for(text),
                    _ => IRREGULAR,
                }
            }
        };
        self.codes.push(code);
        code
    }

    /// The code of `text`, given a new code when no row had it yet.
    fn code_for(&mut self, text: &str) -> u32 {
        if let Some(&code) = self.known.get(text) {
            return code;
        }
        self.texts.push(text.to_owned());
        let code = u32::try_from(self.texts.len()).unwrap_or(IRREGULAR);
        self.known.insert(text.to_owned(), code);
        code
    }

    /// The code of row `id`.
    pub(crate) fn code(&self, id: usize) -> u32 {
        self.codes.get(id).copied().unwrap_or(MISSING)
    }

    /// Whether row `id`'s value is a JSON number.
    pub(crate) fn is_number(&self, id: usize) -> bool {
        self.numbers.get(id).copied().unwrap_or(false)
    }

    /// The place of a code's text among the column's texts in sorted
    /// order: codes compare as their texts do.
    pub(crate) fn rank(&self, code: u32) -> u32 {
        let ranks = self.ranks.get_or_init(|| {
            let mut order: Vec<usize> = (0..self.texts.len()).collect();
            order.sort_unstable_by(|&a, &b| self.texts[a].cmp(&self.texts[b]));
            let mut ranks = vec![0; self.texts.len()];
            for (place, i) in order.into_iter().enumerate() {
                ranks[i] = u32::try_from(place).unwrap_or(u32::MAX);
            }
            ranks
        });
        code.checked_sub(1)
            .and_then(|i| ranks.get(i as usize))
            .copied()
            .unwrap_or(u32::MAX)
    }

    /// The code of `text`, when a row has it.
    pub(crate) fn code_of(&self, text: &str) -> Option<u32> {
        self.known.get(text).copied()
    }

    /// The text a code other than [`MISSING`] and [`IRREGULAR`] stands
    /// for.
    pub(crate) fn text(&self, code: u32) -> &str {
        code.checked_sub(1)
            .and_then(|i| self.texts.get(i as usize))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_texts_share_a_code_and_irregular_values_are_marked() {
        let values = [
            Some(json!("a")),
            None,
            Some(json!(5)),
            Some(json!("a")),
            Some(json!(["x", "y"])),
            Some(json!("5")),
            Some(Json::Null),
        ];
        let column = KeyColumn::build(values.iter().map(|v| v.as_ref().map(Cow::Borrowed)));
        let codes: Vec<u32> = (0..values.len()).map(|i| column.code(i)).collect();
        assert_eq!(codes[0], codes[3]);
        assert_eq!(codes[1], MISSING);
        assert_eq!(codes[2], codes[5], "a number and its text group together");
        assert_eq!(codes[4], IRREGULAR);
        assert_eq!(codes[6], IRREGULAR);
        assert_eq!(column.text(codes[0]), "a");
        assert_eq!(column.text(codes[2]), "5");
        assert_eq!(column.code(99), MISSING);
        assert_eq!(column.code_of("a"), Some(codes[0]));
        assert_eq!(column.code_of("b"), None);
        assert!(column.is_number(2) && !column.is_number(5) && !column.is_number(1));
        // "5" < "a": ranks follow the texts' order.
        assert!(column.rank(codes[2]) < column.rank(codes[0]));
    }
}
