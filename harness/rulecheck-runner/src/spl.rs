//! The SPL engine in a run: macros and evaluation context from
//! `rulecheck.toml`, and the parse/compile step of the validation tier.

use std::path::Path;

use rulecheck_core::rule::Language;
use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, Rule, Severity, Span};
use rulecheck_spl::{Context, DataModels, Macros};

use crate::Error;
use crate::config::Config;

/// Macros and evaluation context for SPL rules, read from the configuration.
pub struct SplSetup {
    /// Macro definitions: the ESCU macro files of `spl.macro_paths`, then
    /// the `spl.macros` map (which wins).
    pub macros: Macros,
    /// Data models, normalization maps and lookups; `now` is set per
    /// scenario.
    pub context: Context,
}

impl SplSetup {
    /// Read the files the configuration names (paths relative to `root`).
    pub fn from_config(config: &Config, root: &Path) -> Result<SplSetup, Error> {
        let mut macros =
            Macros::new().with_undefined_filters_passing(config.spl.filter_macros_pass);
        for dir in &config.spl.macro_paths {
            let path = root.join(dir);
            let problems = macros.add_escu_dir(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            if let Some(problem) = problems.first() {
                return Err(Error::Config {
                    path: problem.path.clone(),
                    message: problem.diagnostic.message.clone(),
                });
            }
        }
        for (key, definition) in &config.spl.macros {
            let (name, arguments) = macro_signature(key);
            macros.insert_with_arguments(name, arguments, definition.clone());
        }
        let mut context = Context::new(0);
        context.lookups_dir = config.spl.lookups.as_ref().map(|d| root.join(d));
        if let Some(dir) = &config.spl.datamodels {
            let path = root.join(dir);
            context.datamodels = DataModels::load(&path).map_err(|ds| Error::Config {
                path,
                message: ds
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            })?;
        }
        Ok(SplSetup { macros, context })
    }
}

/// A `[spl.macros]` key: `name`, or `name(arg1, arg2)` naming the
/// arguments its definition uses as `$arg1$`, `$arg2$`.
fn macro_signature(key: &str) -> (String, Vec<String>) {
    match key.split_once('(') {
        Some((name, rest)) if rest.ends_with(')') => {
            let arguments = rest[..rest.len() - 1]
                .split(',')
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect();
            (name.trim().to_owned(), arguments)
        }
        _ => (key.trim().to_owned(), Vec::new()),
    }
}

impl SplSetup {
    /// The evaluation context with "now" at `now` (epoch seconds), or as
    /// configured when `None`.
    pub fn context_at(&self, now: Option<i64>) -> Context {
        with_now(&self.context, now)
    }
}

/// `context` with its "now" at `now` (epoch seconds) when given.
pub fn with_now(context: &Context, now: Option<i64>) -> Context {
    let mut context = context.clone();
    if let Some(now) = now {
        context.now = now;
    }
    context
}

/// The time of the latest event (epoch seconds), from the usual timestamp
/// fields: "now" for a set of events unless something pins it.
pub fn latest_event_time(events: &[serde_json::Map<String, serde_json::Value>]) -> Option<i64> {
    events
        .iter()
        .filter_map(|e| {
            ["_time", "@timestamp", "timestamp", "TimeCreated", "UtcTime"]
                .iter()
                .find_map(|f| e.get(*f).and_then(rulecheck_sigma::parse_timestamp))
        })
        .max()
        .map(|ms| ms.div_euclid(1000))
}

impl Default for SplSetup {
    fn default() -> Self {
        SplSetup {
            macros: Macros::new(),
            context: Context::new(0),
        }
    }
}

/// The SPL engine's findings on the rule's SPL queries: unknown macros,
/// syntax errors, and what compiling rejects (regexes, arguments, data
/// models, lookups). Constructs rulecheck does not evaluate are not
/// validation problems: the unit tier reports them as `unsupported`.
pub fn validation_diagnostics(
    rule: &Rule,
    root: &Node,
    source: &str,
    setup: &SplSetup,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for query in rule.queries.iter().filter(|q| q.language == Language::Spl) {
        let node = [root.get("search"), root.get("logic")]
            .into_iter()
            .flatten()
            .find(|n| n.span == query.span);
        let map = QueryMap::new(
            source.get(query.span.range()).unwrap_or_default(),
            &query.text,
            query.span.start as usize,
        );
        let place = |d: Diagnostic| match d.span {
            Some(span) => {
                let mapped = map.span(span);
                d.with_span(mapped)
            }
            None => d.with_span(node.map_or(query.span, |n| Span::at(n.span.start as usize))),
        };
        let found = match rulecheck_spl::expand(&query.text, &setup.macros) {
            Err(ds) => ds,
            Ok(expanded) => {
                let (pipeline, mut ds) = rulecheck_spl::parse(&expanded);
                if let Some(pipeline) = pipeline
                    && let Err(compile) = rulecheck_spl::compile(&pipeline, &setup.context)
                {
                    ds.extend(
                        compile
                            .into_iter()
                            .filter(|d| d.code != rulecheck_spl::UNSUPPORTED)
                            .map(|d| {
                                let span = d.span.map(|s| expanded.original_span(s));
                                Diagnostic { span, ..d }
                            }),
                    );
                }
                ds.extend(
                    expanded
                        .notes
                        .iter()
                        .filter(|d| d.severity != Severity::Info)
                        .cloned(),
                );
                ds
            }
        };
        out.extend(found.into_iter().map(place).map(environment_as_warning));
    }
    out
}

/// What depends on the environment rather than the rule (a macro, lookup
/// table or data model not defined here) cannot be judged by validation:
/// it is a warning, with how to let rulecheck check it. Evaluating the rule
/// in the unit tier needs them, and reports them there as errors.
fn environment_as_warning(d: Diagnostic) -> Diagnostic {
    let help = if d.code == rulecheck_spl::UNKNOWN_MACRO {
        "define it in a macro file of `[spl] macro_paths` or in `[spl.macros]` of rulecheck.toml"
    } else if d.code == rulecheck_spl::INVALID && d.message.starts_with("lookup `") {
        "point `[spl] lookups` of rulecheck.toml at the folder of lookup tables"
    } else if d.code == rulecheck_spl::INVALID && d.message.starts_with("unknown data model") {
        "add the data model to a `datamodels.toml` named by `[spl] datamodels` in rulecheck.toml"
    } else {
        return d;
    };
    Diagnostic {
        severity: Severity::Warning,
        ..d
    }
    .with_help(help)
}

/// Where each byte of a YAML scalar's value sits in the file: the value
/// is the source with quotes, escapes and line folding undone, so the two
/// are aligned character by character.
struct QueryMap {
    /// File offset of each byte offset of the value (one past the end too),
    /// or empty when the alignment failed.
    offsets: Vec<usize>,
    /// The scalar's start in the file, the fallback position.
    start: usize,
}

impl QueryMap {
    fn new(source: &str, value: &str, start: usize) -> QueryMap {
        let offsets = align(source, value).unwrap_or_default();
        QueryMap {
            offsets: offsets.into_iter().map(|o| o + start).collect(),
            start,
        }
    }

    fn span(&self, span: Span) -> Span {
        let at = |offset: u32| self.offsets.get(offset as usize).copied();
        match (at(span.start), at(span.end)) {
            (Some(start), Some(end)) => Span::new(start, end.max(start)),
            (Some(start), None) => Span::at(start),
            _ => Span::at(self.start),
        }
    }
}

fn align(source: &str, value: &str) -> Option<Vec<usize>> {
    let quote = source.chars().next().filter(|c| *c == '\'' || *c == '"');
    let src: Vec<(usize, char)> = source.char_indices().collect();
    let mut i = usize::from(quote.is_some());
    let mut offsets = Vec::with_capacity(value.len() + 1);
    for ch in value.chars() {
        let (pos, c) = *src.get(i)?;
        if c == ch && !(quote == Some('\'') && c == '\'') && !(quote == Some('"') && c == '\\') {
            i += 1;
        } else if quote == Some('\'') && c == '\'' && ch == '\'' {
            i += 2;
        } else if quote == Some('"') && c == '\\' {
            // An escape: `\n`, `\\`, `\"`, `\xNN`, `\uNNNN` … stands for one character.
            let next = src.get(i + 1).map(|p| p.1)?;
            i += match next {
                'x' => 4,
                'u' => 6,
                'U' => 10,
                _ => 2,
            };
        } else if c == '\n' || c == '\r' || (c == ' ' && ch != ' ') {
            // Line folding: a break and the next line's indentation read as
            // one space (or a line break for an empty line).
            while src.get(i).is_some_and(|p| p.1.is_whitespace()) {
                i += 1;
            }
        } else {
            return None;
        }
        for _ in 0..ch.len_utf8() {
            offsets.push(pos);
        }
    }
    offsets.push(src.get(i).map_or(source.len(), |p| p.0));
    Some(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_keys_name_their_arguments() {
        assert_eq!(
            macro_signature("get_endpoint_data"),
            ("get_endpoint_data".to_owned(), vec![])
        );
        assert_eq!(
            macro_signature("drop_dm_object_name(object)"),
            ("drop_dm_object_name".to_owned(), vec!["object".to_owned()])
        );
        assert_eq!(macro_signature("f(a, b)").1, ["a", "b"]);
    }

    #[test]
    fn quoted_and_folded_values_map_back_to_the_file() {
        let source = "'a ''b''\n  | c'";
        let value = "a 'b' | c";
        let offsets = align(source, value).unwrap();
        assert_eq!(offsets[value.find('|').unwrap()], source.find('|').unwrap());
        assert_eq!(offsets[value.find('b').unwrap()], source.find('b').unwrap());
        let plain = align("x=1 y", "x=1 y").unwrap();
        assert_eq!(plain[4], 4);
        assert!(align("'a'", "zzz").is_none());
    }
}
