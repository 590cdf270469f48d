//! Building positioned [`Node`] trees from the YAML event stream.
//!
//! The loader consumes parser events one at a time, so it can stop as soon as
//! a limit is crossed: the total number of nodes (aliases count with the full
//! size of what they expand to, which defeats "billion laughs" documents) and
//! the nesting depth.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::scalar::resolve_plain;
use super::{Entry, Node, Value};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Caps on what one YAML stream may contain.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most nodes in the stream, counting each alias as the size of the node
    /// it repeats.
    pub max_nodes: usize,
    /// Deepest nesting of collections.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 200_000,
            max_depth: 64,
        }
    }
}

/// The documents of a YAML stream, and what was wrong with it.
#[derive(Debug, Default)]
pub struct Loaded {
    /// One root node per document, in order. Empty when the stream holds no
    /// document, or when a syntax error or limit stopped the load.
    pub documents: Vec<Node>,
    /// Problems found: syntax errors, limits crossed, duplicate keys.
    pub diagnostics: Vec<Diagnostic>,
}

/// Load every document of `text`.
pub fn load(text: &str, limits: &Limits) -> Loaded {
    let mut builder = Builder::new(text, *limits);
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => {
                if let Err(diagnostic) = builder.on_event(event, mark) {
                    builder.fail(diagnostic);
                    break;
                }
            }
            Err(error) => {
                let offset = builder.offset(error.marker());
                let message = error.info().to_owned();
                builder.fail(
                    Diagnostic::error("yaml-syntax", format!("invalid YAML: {message}"))
                        .with_span(Span::at(offset))
                        .with_help("fix the YAML syntax at this position"),
                );
                break;
            }
        }
    }
    builder.finish()
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
    },
}

struct Builder<'t> {
    text: &'t str,
    /// Byte offset of each character, when the text is not ASCII (the parser
    /// counts characters).
    char_offsets: Option<Vec<u32>>,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    documents: Vec<Node>,
    diagnostics: Vec<Diagnostic>,
    failed: bool,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, limits: Limits) -> Self {
        let char_offsets = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| i as u32)
                .chain(std::iter::once(text.len() as u32))
                .collect()
        });
        Builder {
            text,
            char_offsets,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            documents: Vec::new(),
            diagnostics: Vec::new(),
            failed: false,
        }
    }

    fn offset(&self, mark: &Marker) -> usize {
        match &self.char_offsets {
            None => mark.index().min(self.text.len()),
            Some(offsets) => offsets
                .get(mark.index())
                .map_or(self.text.len(), |&o| o as usize),
        }
    }

    fn fail(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
        self.failed = true;
    }

    fn finish(self) -> Loaded {
        Loaded {
            documents: if self.failed {
                Vec::new()
            } else {
                self.documents
            },
            diagnostics: self.diagnostics,
        }
    }

    fn count(&mut self, n: usize, at: usize) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Diagnostic::error(
                "yaml-too-large",
                format!(
                    "the YAML expands to more than {} nodes (aliases count with the size of what they repeat)",
                    self.limits.max_nodes
                ),
            )
            .with_span(Span::at(at))
            .with_help("a rule file this large is most likely an alias bomb; write the values out instead"));
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), Diagnostic> {
        let at = self.offset(&mark);
        match event {
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => Ok(()),
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(Diagnostic::error("yaml-syntax", "alias to an unknown anchor")
                        .with_span(Span::at(at)));
                };
                let (mut node, size) = (node.clone(), *size);
                self.count(size, at)?;
                node.span = Span::new(at, self.alias_end(at));
                self.push_node(node, size)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, at)?;
                let value = scalar_value(text, style, tag.as_ref());
                let span = Span::new(at, self.scalar_end(at, style));
                let node = Node { value, span };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push_node(node, 1)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Seq {
                    start: at,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Map {
                    start: at,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(at),
        }
    }

    fn open(&mut self, at: usize) -> Result<(), Diagnostic> {
        self.count(1, at)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Diagnostic::error(
                "yaml-too-deep",
                format!(
                    "the YAML nests deeper than {} levels",
                    self.limits.max_depth
                ),
            )
            .with_span(Span::at(at))
            .with_help("rule files are shallow; this nesting is almost certainly a mistake"));
        }
        Ok(())
    }

    fn close(&mut self, at: usize) -> Result<(), Diagnostic> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (value, start, anchor) = match frame {
            Frame::Seq {
                start,
                anchor,
                items,
            } => (Value::Seq(items), start, anchor),
            Frame::Map {
                start,
                anchor,
                entries,
                ..
            } => (Value::Map(entries), start, anchor),
        };
        let end = last_end(&value).unwrap_or(at).max(start);
        let node = Node {
            value,
            span: Span::new(start, end),
        };
        let size = node_size(&node);
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push_node(node, size)
    }

    fn push_node(&mut self, node: Node, _size: usize) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let Some(text) = key_text(&node) else {
                        return Err(Diagnostic::error(
                            "yaml-complex-key",
                            "a mapping key must be a scalar",
                        )
                        .with_span(node.span)
                        .with_help("use a plain string as the key"));
                    };
                    *key = Some((text, node.span));
                }
                Some((text, key_span)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == text) {
                        let first_line = first.key_span;
                        self.diagnostics.push(
                            Diagnostic::error(
                                "yaml-duplicate-key",
                                format!("duplicate key `{text}`: the first one is kept"),
                            )
                            .with_span(key_span)
                            .with_help(format!(
                                "the key is first defined at byte {}; merge the two or remove one",
                                first_line.start
                            )),
                        );
                    } else {
                        entries.push(Entry {
                            key: text,
                            key_span,
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(())
    }

    /// The end of an alias token `*name` starting at `at`.
    fn alias_end(&self, at: usize) -> usize {
        let rest = &self.text[at.min(self.text.len())..];
        at + rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
            .unwrap_or(rest.len())
    }

    /// The end of the scalar token starting at byte `at`.
    fn scalar_end(&self, at: usize, style: TScalarStyle) -> usize {
        let rest = &self.text[at.min(self.text.len())..];
        let len = match style {
            TScalarStyle::SingleQuoted => quoted_len(rest, '\''),
            TScalarStyle::DoubleQuoted => quoted_len(rest, '"'),
            TScalarStyle::Plain => plain_len(rest),
            TScalarStyle::Literal | TScalarStyle::Folded => rest.find('\n').unwrap_or(rest.len()),
        };
        at + len
    }
}

fn scalar_value(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            match tag.suffix.as_str() {
                "str" => return Value::String(text),
                "null" => return Value::Null,
                _ => return resolve_plain(&text),
            }
        }
    }
    match style {
        TScalarStyle::Plain => resolve_plain(&text),
        _ => Value::String(text),
    }
}

fn key_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Null => Some(String::new()),
        _ => node.scalar_text(),
    }
}

fn last_end(value: &Value) -> Option<usize> {
    match value {
        Value::Seq(items) => items.last().map(|n| n.span.end as usize),
        Value::Map(entries) => entries.last().map(|e| e.value.span.end as usize),
        _ => None,
    }
}

fn node_size(node: &Node) -> usize {
    let mut size = 0usize;
    let mut pending = vec![node];
    while let Some(n) = pending.pop() {
        size += 1;
        match &n.value {
            Value::Seq(items) => pending.extend(items),
            Value::Map(entries) => pending.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    size
}

/// Length of a quoted scalar token (quotes included).
fn quoted_len(rest: &str, quote: char) -> usize {
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            } else {
                return i + c.len_utf8();
            }
        }
    }
    rest.len()
}

/// Length of a plain scalar token on its first line.
fn plain_len(rest: &str) -> usize {
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let mut end = line.len();
    if let Some(comment) = line.find(" #") {
        end = end.min(comment);
    }
    if let Some(colon) = line.find(": ") {
        end = end.min(colon);
    }
    line[..end].trim_end().len()
}
