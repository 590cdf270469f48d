//! Event readers: files of events turned into a stream of JSON objects, each
//! with its 1-based record number and the line it starts on.
//!
//! Formats are recognised from the content: a file whose first non-blank
//! line starts with `[` is a JSON array, and one whose first non-blank line
//! is a lone `{` is one pretty-printed object; anything else is JSON lines
//! (one object per line; blank lines are skipped), which also covers a file
//! holding a single object on one line. JSON lines are streamed: memory stays flat however large the
//! file is.
//!
//! ```
//! use rulecheck_ingest::{EventReader, Record};
//!
//! let input = "{\"EventID\": 1}\n\n{\"EventID\": 3}\n";
//! let records: Vec<Record> = EventReader::new(input.as_bytes(), "events.jsonl")
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! assert_eq!(records[1].record, 2);
//! assert_eq!(records[1].line, 3);
//! ```

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// One event read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based position of the event in its file.
    pub record: u64,
    /// 1-based line the event starts on.
    pub line: u64,
    /// The event.
    pub event: Map<String, Value>,
}

/// An event that could not be read.
#[derive(Debug)]
pub struct ReadError {
    /// The events file.
    pub path: PathBuf,
    /// 1-based line of the problem (0 when the file could not be opened).
    pub line: u64,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ReadError {}

/// Open `path` and stream its events.
pub fn read_file(path: &Path) -> Result<EventReader<BufReader<File>>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError {
        path: path.to_owned(),
        line: 0,
        column: None,
        message: format!("cannot open: {e}"),
    })?;
    Ok(EventReader::new(BufReader::new(file), path))
}

/// A stream of the events of one file.
pub struct EventReader<R> {
    input: R,
    path: PathBuf,
    state: State,
    line: u64,
    record: u64,
    buffer: String,
}

enum State {
    /// Nothing read yet: the format is still unknown.
    Start,
    /// Reading JSON lines.
    Lines,
    /// Handing out the events of an array or object read whole.
    Whole(std::vec::IntoIter<(u64, Value)>),
    /// Finished, or stopped by an I/O error.
    Done,
}

impl<R: BufRead> EventReader<R> {
    /// Read events from `input`; `path` names it in errors.
    pub fn new(input: R, path: impl AsRef<Path>) -> Self {
        EventReader {
            input,
            path: path.as_ref().to_owned(),
            state: State::Start,
            line: 0,
            record: 0,
            buffer: String::new(),
        }
    }

    fn error(&self, line: u64, column: Option<u64>, message: impl Into<String>) -> ReadError {
        ReadError {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The next line into `self.buffer`; false at the end of the input.
    fn next_line(&mut self) -> Result<bool, ReadError> {
        self.buffer.clear();
        match self.input.read_line(&mut self.buffer) {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.line += 1;
                Ok(true)
            }
            Err(e) => {
                self.state = State::Done;
                Err(self.error(self.line + 1, None, format!("cannot read: {e}")))
            }
        }
    }

    fn object(&mut self, value: Value, line: u64) -> Result<Record, ReadError> {
        self.record += 1;
        match value {
            Value::Object(event) => Ok(Record {
                record: self.record,
                line,
                event,
            }),
            other => Err(self.error(
                line,
                None,
                format!(
                    "event {} is {}, not a JSON object",
                    self.record,
                    kind(&other)
                ),
            )),
        }
    }

    /// Read the rest of the input whole, after the first line (in
    /// `self.buffer`), as one JSON array or object.
    fn read_whole(&mut self) -> Result<(), ReadError> {
        let first_line = self.line;
        let mut text = std::mem::take(&mut self.buffer);
        if let Err(e) = self.input.read_to_string(&mut text) {
            self.state = State::Done;
            return Err(self.error(first_line, None, format!("cannot read: {e}")));
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            self.state = State::Done;
            self.error(
                first_line + e.line() as u64 - 1,
                Some(e.column() as u64),
                format!("invalid JSON: {e}"),
            )
        })?;
        let items = match value {
            Value::Array(items) => items
                .into_iter()
                .map(|v| (first_line, v))
                .collect::<Vec<_>>(),
            other => vec![(first_line, other)],
        };
        self.state = State::Whole(items.into_iter());
        Ok(())
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.state {
                State::Done => return None,
                State::Whole(items) => {
                    let Some((line, value)) = items.next() else {
                        self.state = State::Done;
                        return None;
                    };
                    return Some(self.object(value, line));
                }
                State::Start | State::Lines => {
                    match self.next_line() {
                        Ok(true) => {}
                        Ok(false) => {
                            self.state = State::Done;
                            return None;
                        }
                        Err(e) => return Some(Err(e)),
                    }
                    let trimmed = self.buffer.trim();
                    if trimmed.is_empty() {
                        continue;
                    }
                    let line = self.line;
                    if matches!(self.state, State::Start) {
                        // `[` opens an array; a lone `{` a pretty-printed object.
                        if trimmed.starts_with('[') || trimmed == "{" {
                            if let Err(e) = self.read_whole() {
                                return Some(Err(e));
                            }
                            continue;
                        }
                        self.state = State::Lines;
                    }
                    return Some(match serde_json::from_str::<Value>(self.buffer.trim()) {
                        Ok(value) => self.object(value, line),
                        Err(e) => {
                            self.record += 1;
                            Err(self.error(
                                line,
                                Some(e.column() as u64),
                                format!("invalid JSON: {e}"),
                            ))
                        }
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<Record, ReadError>> {
        EventReader::new(text.as_bytes(), "events").collect()
    }

    #[test]
    fn json_lines_are_numbered_by_record_and_line() {
        let records = read("{\"a\": 1}\n\n{\"a\": 2}\n");
        let ok: Vec<_> = records.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            ok.iter().map(|r| (r.record, r.line)).collect::<Vec<_>>(),
            [(1, 1), (2, 3)]
        );
    }

    #[test]
    fn arrays_and_pretty_objects_are_read_whole() {
        assert_eq!(read("[\n {\"a\": 1},\n {\"a\": 2}\n]\n").len(), 2);
        let one = read("{\n  \"EventID\": 10\n}\n");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].as_ref().unwrap().event["EventID"], 10);
    }

    #[test]
    fn bad_lines_are_errors_with_positions_and_reading_goes_on() {
        let records = read("{\"a\": 1}\n{\"a\": \n[1]\n{\"a\": 3}\n");
        assert_eq!(records.len(), 4);
        let error = records[1].as_ref().unwrap_err();
        assert_eq!((error.line, error.column.is_some()), (2, true));
        assert!(
            records[2]
                .as_ref()
                .unwrap_err()
                .message
                .contains("not a JSON object")
        );
        assert_eq!(records[3].as_ref().unwrap().record, 4);
    }

    #[test]
    fn a_bad_array_names_the_line_of_the_fault() {
        let records = read("[\n {\"a\": 1},\n {\"a\" 2}\n]\n");
        assert_eq!(records[0].as_ref().unwrap_err().line, 3);
    }

    #[test]
    fn missing_files_are_errors() {
        assert!(read_file(Path::new("/nonexistent/events.jsonl")).is_err());
    }
}
