//! Building positioned [`Node`] trees from the YAML event stream.
//!
//! The loader consumes parser events one at a time, so it can stop as soon as
//! a limit is crossed: the total number of nodes (aliases count with the full
//! size of what they expand to, which defeats "billion laughs" documents) and
//! the nesting depth.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use libyaml_safer::{Event, EventData, MappingStyle, Mark, Parser, ScalarStyle, SequenceStyle};

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
///
/// The grammar is libyaml's (through `libyaml-safer`), the parser behind
/// PyYAML, which rule repositories are written for: it accepts the
/// multi-line quoted scalars at column 0 that real detection files contain.
pub fn load(text: &str, limits: &Limits) -> Loaded {
    let mut builder = Builder::new(text, *limits);
    let mut parser = Parser::new();
    // The parser gets the text without a leading byte order mark (offsets
    // are shifted back by `Builder::offset`) and with a final line break (a
    // block scalar running into the end of the input makes the scanner
    // panic); spans into `text` stay valid.
    let body = &text[builder.bom..];
    let terminated;
    let input = if body.ends_with('\n') {
        body
    } else {
        terminated = format!("{body}\n");
        &terminated
    };
    parser.set_input(input.as_bytes());
    // The parser has internal assertions that some malformed inputs reach;
    // such a panic is contained here and reported as a syntax error.
    silence_parser_panics();
    PARSING.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| read_events(&mut parser, &mut builder)));
    PARSING.set(false);
    if let Err(payload) = outcome {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = builder.last_offset;
        builder.fail(
            Diagnostic::error(
                "yaml-syntax",
                format!("invalid YAML: the parser gave up after this position ({reason})"),
            )
            .with_span(Span::at(at))
            .with_help("check the YAML syntax from this position on"),
        );
    }
    builder.finish()
}

fn read_events(parser: &mut Parser<&[u8]>, builder: &mut Builder<'_>) {
    loop {
        match parser.parse() {
            Ok(Event {
                data: EventData::StreamEnd,
                ..
            }) => break,
            Ok(event) => {
                if let Err(diagnostic) = builder.on_event(event) {
                    builder.fail(diagnostic);
                    break;
                }
            }
            Err(error) => {
                let offset = error
                    .problem_mark()
                    .map_or(builder.last_offset, |m| builder.offset(m));
                let context = error
                    .context()
                    .map_or_else(String::new, |c| format!(" {c}"));
                builder.fail(
                    Diagnostic::error(
                        "yaml-syntax",
                        format!("invalid YAML: {}{context}", error.problem()),
                    )
                    .with_span(Span::at(offset))
                    .with_help("fix the YAML syntax at this position"),
                );
                break;
            }
        }
    }
}

thread_local! {
    /// Whether this thread is inside the YAML parser.
    static PARSING: Cell<bool> = const { Cell::new(false) };
}

/// Keep the panic hook quiet about panics raised inside the YAML parser
/// (they are caught and reported as diagnostics); every other panic reaches
/// the hook that was installed before.
fn silence_parser_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !PARSING.get() {
                previous(info);
            }
        }));
    });
}

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: Option<String>,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: Option<String>,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
    },
}

struct Builder<'t> {
    text: &'t str,
    /// Length of a leading byte order mark, not given to the parser.
    bom: usize,
    /// Where the last event started, for errors without a position.
    last_offset: usize,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<String, (Node, usize)>,
    nodes: usize,
    documents: Vec<Node>,
    diagnostics: Vec<Diagnostic>,
    failed: bool,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, limits: Limits) -> Self {
        Builder {
            text,
            bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
            last_offset: 0,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            documents: Vec::new(),
            diagnostics: Vec::new(),
            failed: false,
        }
    }

    /// The byte offset in `text` of a parser mark, on a character boundary.
    fn offset(&self, mark: Mark) -> usize {
        let mut offset = usize::try_from(mark.index)
            .unwrap_or(usize::MAX)
            .saturating_add(self.bom)
            .min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    fn span(&self, event: &Event) -> Span {
        Span::new(self.offset(event.start_mark), self.offset(event.end_mark))
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

    fn on_event(&mut self, event: Event) -> Result<(), Diagnostic> {
        let span = self.span(&event);
        let at = span.start as usize;
        self.last_offset = at;
        match event.data {
            EventData::StreamStart { .. }
            | EventData::StreamEnd
            | EventData::DocumentStart { .. }
            | EventData::DocumentEnd { .. } => Ok(()),
            EventData::Alias { anchor } => {
                let Some((node, size)) = self.anchors.get(&anchor) else {
                    return Err(Diagnostic::error(
                        "yaml-syntax",
                        format!("alias `*{anchor}` to an unknown anchor"),
                    )
                    .with_span(span));
                };
                let (mut node, size) = (node.clone(), *size);
                self.count(size, at)?;
                node.span = span;
                self.push_node(node)
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                self.count(1, at)?;
                let node = Node {
                    value: scalar_value(value, style, tag.as_deref()),
                    span,
                };
                if let Some(anchor) = anchor {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push_node(node)
            }
            EventData::SequenceStart { anchor, style, .. } => {
                self.open(at)?;
                self.stack.push(Frame::Seq {
                    start: at,
                    flow: style == SequenceStyle::Flow,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            EventData::MappingStart { anchor, style, .. } => {
                self.open(at)?;
                self.stack.push(Frame::Map {
                    start: at,
                    flow: style == MappingStyle::Flow,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            EventData::SequenceEnd | EventData::MappingEnd => self.close(span.end as usize),
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

    fn close(&mut self, end: usize) -> Result<(), Diagnostic> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (value, start, flow, anchor) = match frame {
            Frame::Seq {
                start,
                flow,
                anchor,
                items,
            } => (Value::Seq(items), start, flow, anchor),
            Frame::Map {
                start,
                flow,
                anchor,
                entries,
                ..
            } => (Value::Map(entries), start, flow, anchor),
        };
        // Block collections end where their last item ends, not at the
        // next line's indentation; flow collections at their bracket.
        let end = if flow {
            end
        } else {
            last_end(&value).unwrap_or(end)
        }
        .max(start);
        let node = Node {
            value,
            span: Span::new(start, end),
        };
        if let Some(anchor) = anchor {
            let size = node_size(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push_node(node)
    }

    fn push_node(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => {
                match key.take() {
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
                        if entries.iter().any(|e| e.key == text) {
                            self.diagnostics.push(
                            Diagnostic::error(
                                "yaml-duplicate-key",
                                format!("duplicate key `{text}`: the first one is kept"),
                            )
                            .with_span(key_span)
                            .with_help("a key may appear once in a mapping; merge the two or remove one"),
                        );
                        } else {
                            entries.push(Entry {
                                key: text,
                                key_span,
                                value: node,
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn scalar_value(text: String, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("tag:yaml.org,2002:str") => return Value::String(text),
        Some("tag:yaml.org,2002:null") => return Value::Null,
        Some(t) if t.starts_with("tag:yaml.org,2002:") => return resolve_plain(&text),
        _ => {}
    }
    match style {
        ScalarStyle::Plain | ScalarStyle::Any => resolve_plain(&text),
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
