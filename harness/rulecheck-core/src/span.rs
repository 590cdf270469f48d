//! Byte spans into source text, and the line index that turns them into
//! 1-based `line:column` positions when a diagnostic is printed.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// An empty span at `offset`.
    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// The length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The byte range, for slicing the source.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineCol {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

/// The offsets at which each line of a text starts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    /// Index the lines of `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| (i + 1) as u32),
        );
        LineIndex { line_starts }
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 1-based line and column of byte `offset` in `text` (the text the
    /// index was built from). Offsets past the end point at the end.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = offset.min(text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[start..end].chars().count() + 1;
        LineCol {
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// The byte range of 1-based `line`, without its line break.
    pub fn line_range(&self, text: &str, line: u32) -> std::ops::Range<usize> {
        let i = (line.max(1) - 1) as usize;
        let start = self.line_starts.get(i).map_or(text.len(), |&s| s as usize);
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(text.len(), |&s| s as usize);
        let line_text = &text[start..end];
        let trimmed = line_text.trim_end_matches(['\n', '\r']);
        start..start + trimmed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let text = "a: 1\nbé: x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        // 'x' sits after the two-byte 'é'.
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.line_col(text, x), LineCol { line: 2, column: 5 });
        assert_eq!(index.line_range(text, 2), 5..11);
    }

    #[test]
    fn offsets_past_the_end_point_at_the_end() {
        let text = "ab";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 99), LineCol { line: 1, column: 3 });
    }
}
