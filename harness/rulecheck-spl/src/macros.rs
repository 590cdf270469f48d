//! [`Macros`]: the search macro definitions a query may call, from ESCU
//! macro files (`name`, `definition`, `arguments`) and from a plain map such
//! as `rulecheck.toml`'s `[spl.macros]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rulecheck_core::yaml::{self, Node, Value};
use rulecheck_core::{Diagnostic, Span};

/// Diagnostic code of a macro file that is not a valid macro definition.
pub const MACRO_FILE: &str = "spl-macro-file";

/// One macro definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDef {
    /// The name as called, without the `(n)` suffix.
    pub name: String,
    /// The argument names, substituted as `$name$` in the definition.
    pub arguments: Vec<String>,
    /// The SPL text the call is replaced by.
    pub definition: String,
    /// Where the definition comes from.
    pub origin: MacroOrigin,
}

/// Where a macro definition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroOrigin {
    /// An ESCU macro file.
    File(PathBuf),
    /// A map given by the user (such as `[spl.macros]`); it wins over files.
    Map,
}

/// A problem in one macro file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiagnostic {
    /// The file.
    pub path: PathBuf,
    /// The problem, with a span into the file.
    pub diagnostic: Diagnostic,
}

/// The macros a query may call, and how to treat undefined ones.
///
/// A macro called with `n` arguments is looked up as `name(n)`, then as
/// `name`; a definition from the map wins over one from a file.
#[derive(Debug, Clone, Default)]
pub struct Macros {
    defs: BTreeMap<String, MacroDef>,
    pass_undefined_filters: bool,
}

impl Macros {
    /// No macros.
    pub fn new() -> Self {
        Macros::default()
    }

    /// Every `*.yml` / `*.yaml` ESCU macro file of `dir` (not recursive),
    /// in name order, with the problems of the files that could not be used.
    pub fn from_escu_dir(dir: &Path) -> std::io::Result<(Macros, Vec<FileDiagnostic>)> {
        let mut macros = Macros::new();
        let problems = macros.add_escu_dir(dir)?;
        Ok((macros, problems))
    }

    /// Add the ESCU macro files of `dir`, as [`Macros::from_escu_dir`].
    pub fn add_escu_dir(&mut self, dir: &Path) -> std::io::Result<Vec<FileDiagnostic>> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let is_yaml = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
            if is_yaml && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut problems = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            for diagnostic in self.add_escu_file(&path, &text) {
                problems.push(FileDiagnostic {
                    path: path.clone(),
                    diagnostic,
                });
            }
        }
        Ok(problems)
    }

    /// Add the macro defined by the ESCU macro file `text` (read from
    /// `path`); returns its problems, with spans into `text`.
    pub fn add_escu_file(&mut self, path: &Path, text: &str) -> Vec<Diagnostic> {
        let loaded = yaml::load(text, &yaml::Limits::default());
        let mut problems = loaded.diagnostics;
        let Some(doc) = loaded.documents.first() else {
            if problems.is_empty() {
                problems.push(Diagnostic::error(MACRO_FILE, "the macro file is empty"));
            }
            return problems;
        };
        match read_macro(doc) {
            Ok((name, arguments, definition)) => self.add(
                MacroDef {
                    name,
                    arguments,
                    definition,
                    origin: MacroOrigin::File(path.to_owned()),
                },
                false,
            ),
            Err(problem) => problems.push(problem),
        }
        problems
    }

    /// Define `name` (without arguments) as `definition`; it replaces any
    /// definition of the same name from a file.
    pub fn insert(&mut self, name: impl Into<String>, definition: impl Into<String>) {
        self.insert_with_arguments(name, Vec::new(), definition);
    }

    /// Define `name` with `arguments` (substituted as `$arg$`); it replaces
    /// any definition of the same name and arity from a file.
    pub fn insert_with_arguments(
        &mut self,
        name: impl Into<String>,
        arguments: Vec<String>,
        definition: impl Into<String>,
    ) {
        self.add(
            MacroDef {
                name: name.into(),
                arguments,
                definition: definition.into(),
                origin: MacroOrigin::Map,
            },
            true,
        );
    }

    /// Treat a call of an undefined macro whose name ends in `_filter` (an
    /// ESCU tuning hook, empty by default) as `search *`, with an info note
    /// instead of an error.
    #[must_use]
    pub fn with_undefined_filters_passing(mut self, pass: bool) -> Self {
        self.pass_undefined_filters = pass;
        self
    }

    /// Whether undefined `*_filter` macros pass everything.
    pub fn undefined_filters_pass(&self) -> bool {
        self.pass_undefined_filters
    }

    /// The definition a call of `name` with `arity` arguments uses.
    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        if arity > 0
            && let Some(def) = self.defs.get(&format!("{name}({arity})"))
        {
            return Some(def);
        }
        self.defs.get(name)
    }

    /// The arities `name` is defined with, for error messages.
    pub fn arities(&self, name: &str) -> Vec<usize> {
        self.defs
            .values()
            .filter(|def| def.name == name)
            .map(|def| def.arguments.len())
            .collect()
    }

    /// How many definitions there are.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there is no definition.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    fn add(&mut self, mut def: MacroDef, from_map: bool) {
        // A file may name the macro `name(2)`; keep the bare name.
        if let Some(open) = def.name.find('(')
            && def.name.ends_with(')')
        {
            def.name.truncate(open);
        }
        let key = if def.arguments.is_empty() {
            def.name.clone()
        } else {
            format!("{}({})", def.name, def.arguments.len())
        };
        let keep_existing = !from_map
            && self
                .defs
                .get(&key)
                .is_some_and(|old| old.origin == MacroOrigin::Map);
        if !keep_existing {
            self.defs.insert(key, def);
        }
    }
}

fn read_macro(doc: &Node) -> Result<(String, Vec<String>, String), Diagnostic> {
    let string = |key: &str| -> Result<String, Diagnostic> {
        match doc.get(key).map(|node| &node.value) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Int(i)) => Ok(i.to_string()),
            Some(Value::Float(f)) => Ok(f.to_string()),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            Some(Value::Null) | None => Err(Diagnostic::error(
                MACRO_FILE,
                format!("the macro file has no `{key}`"),
            )
            .with_span(doc.span)),
            Some(_) => Err(
                Diagnostic::error(MACRO_FILE, format!("`{key}` must be a string"))
                    .with_span(doc.get(key).map_or(doc.span, |n| n.span)),
            ),
        }
    };
    let name = string("name")?;
    let definition = string("definition")?;
    let mut arguments = Vec::new();
    if let Some(node) = doc.get("arguments") {
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::String(s) => arguments.push(s.clone()),
                        _ => {
                            return Err(Diagnostic::error(
                                MACRO_FILE,
                                "each argument must be a name",
                            )
                            .with_span(item.span));
                        }
                    }
                }
            }
            Value::Null => {}
            _ => {
                return Err(
                    Diagnostic::error(MACRO_FILE, "`arguments` must be a list of names")
                        .with_span(node.span),
                );
            }
        }
    }
    if name.trim().is_empty() {
        return Err(Diagnostic::error(MACRO_FILE, "the macro name is empty")
            .with_span(doc.get("name").map_or(Span::default(), |n| n.span)));
    }
    Ok((name.trim().to_owned(), arguments, definition))
}
