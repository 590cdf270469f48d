//! From a [`ParsedRule`] to a [`CompiledRule`]: field names interned,
//! values turned into prebuilt matchers, identifiers resolved to indices and
//! `x of` patterns expanded.

use std::collections::HashMap;

use rulecheck_core::{Diagnostic, Span};

use crate::ast::{
    CondExpr, Item, LogSource, OfTarget, ParsedRule, Quantifier, RawKind, RawValue, SelectionBody,
};
use crate::logsource::LogsourceMap;
use crate::matcher::{Re, StrMatcher};
use crate::modifier::Modifier;
use crate::pattern::{self, Pattern, TextEncoding};
use crate::time::TimePart;
use crate::value::{Cidr, CmpOp, RefKind, ValueTest};

/// What compilation needs besides the rule.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Values of `expand` placeholders: `Admins` → `["adm_*", "root"]`
    /// for `%Admins%`.
    pub placeholders: HashMap<String, Vec<String>>,
    /// The logsource mapping to apply; None leaves the logsource out (for
    /// events already filtered to the rule's source).
    pub logsource: Option<LogsourceMap>,
}

/// A compiled detection rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`.
    pub level: Option<String>,
    /// The rule's `logsource` as written.
    pub logsource: LogSource,
    /// Field names; field tests refer to them by index.
    pub fields: Vec<String>,
    /// The search identifiers.
    pub selections: Vec<CompiledSelection>,
    /// The condition, over selection indices.
    pub condition: Cond,
    /// Where the condition is.
    pub condition_span: Span,
    /// The event sources the logsource maps to (empty: no restriction).
    pub sources: Vec<CompiledSource>,
    /// Compiled with a logsource mapping that does not cover the rule's
    /// logsource: the rule matches no event (callers report it as
    /// unsupported for that mapping).
    pub unmapped: bool,
}

/// One event source a logsource maps to: conditions on the event and
/// field renames.
#[derive(Debug, Clone)]
pub struct CompiledSource {
    /// A label for traces (`sysmon 1`, `security 4688`).
    pub label: String,
    /// Tests that select the source's events (AND).
    pub tests: Vec<FieldTest>,
    /// For each field index: the index to read instead (identity when the
    /// source does not rename it).
    pub alias: Vec<u32>,
    /// The `EventID`s the source requires (empty: any), for indexing.
    pub event_ids: Vec<i64>,
}

/// A compiled search identifier.
#[derive(Debug, Clone)]
pub struct CompiledSelection {
    /// Its name.
    pub name: String,
    /// Where it is defined.
    pub span: Span,
    /// The tests.
    pub body: CompiledBody,
}

/// The tests of a search identifier.
#[derive(Debug, Clone)]
pub enum CompiledBody {
    /// OR of groups, each an AND of field tests.
    Groups(Vec<CompiledGroup>),
    /// Keyword search over the whole event.
    Keywords(KeywordTest),
}

/// An AND of field tests (one YAML map).
#[derive(Debug, Clone)]
pub struct CompiledGroup {
    /// The tests.
    pub tests: Vec<FieldTest>,
    /// Where the map is.
    pub span: Span,
}

/// One `field|modifiers: values` test.
#[derive(Debug, Clone)]
pub struct FieldTest {
    /// Field index into [`CompiledRule::fields`].
    pub field: u32,
    /// Whether all values must match (`all`) or any.
    pub all: bool,
    /// Negated (`neq`): the test holds when no value matches, including
    /// when the field is missing.
    pub negate: bool,
    /// The value tests.
    pub values: Vec<ValueTest>,
    /// Where the item is in the rule.
    pub span: Span,
}

/// Keywords: values searched in `_raw` when the event has it, otherwise in
/// every string of the event. A keyword without a position modifier matches
/// anywhere in the text (an implicit `contains`).
#[derive(Debug, Clone)]
pub struct KeywordTest {
    /// All values must match (`'|all'`).
    pub all: bool,
    /// The matchers of each written value (several when a modifier such as
    /// `windash` expands it; any of them matches for that value).
    pub values: Vec<Vec<StrMatcher>>,
    /// Where the keywords are.
    pub span: Span,
}

/// A compiled condition over selection indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// A selection.
    Sel(u32),
    /// Negation.
    Not(Box<Cond>),
    /// All of.
    And(Vec<Cond>),
    /// Any of.
    Or(Vec<Cond>),
    /// At least `n` of the selections (`1 of x*`).
    AtLeast(u32, Vec<u32>),
    /// Every one of the selections (`all of x*`).
    AllOf(Vec<u32>),
}

/// Whether identifier `name` matches the `x of` pattern (`*` wildcards).
pub(crate) fn glob_ident(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

struct Compiler<'o> {
    opts: &'o CompileOptions,
    fields: Vec<String>,
    ids: HashMap<String, u32>,
    diags: Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn field(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.fields.len() as u32;
        self.fields.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }
}

/// Compile a parsed rule. Every problem is returned, not only the first.
pub fn compile(rule: &ParsedRule, opts: &CompileOptions) -> Result<CompiledRule, Vec<Diagnostic>> {
    let mut c = Compiler {
        opts,
        fields: Vec::new(),
        ids: HashMap::new(),
        diags: Vec::new(),
    };
    let mut selections = Vec::new();
    for sel in &rule.selections {
        let body = match &sel.body {
            SelectionBody::Groups(groups) => CompiledBody::Groups(
                groups
                    .iter()
                    .map(|g| CompiledGroup {
                        tests: g.items.iter().map(|i| c.item(i)).collect(),
                        span: g.span,
                    })
                    .collect(),
            ),
            SelectionBody::Keywords(item) => match c.keywords(item) {
                Some(k) => CompiledBody::Keywords(k),
                None => continue,
            },
        };
        selections.push(CompiledSelection {
            name: sel.name.clone(),
            span: sel.name_span,
            body,
        });
    }
    let names: Vec<&str> = rule.selections.iter().map(|s| s.name.as_str()).collect();
    let condition = cond(&rule.condition.expr, &names, &mut c.diags);
    let unmapped = opts
        .logsource
        .as_ref()
        .is_some_and(|map| !map.is_mapped(&rule.logsource));
    let sources = match &opts.logsource {
        Some(map) => map.compile_sources(&rule.logsource, &mut |name| c.field(name)),
        None => Vec::new(),
    };
    let mut sources = sources;
    let n = c.fields.len() as u32;
    for s in &mut sources {
        // The tests come from the mapping; traces point at the rule's
        // `logsource` block, which selected them.
        for t in &mut s.tests {
            t.span = rule.logsource.span;
        }
        s.alias.resize(n as usize, u32::MAX);
        for (i, a) in s.alias.iter_mut().enumerate() {
            if *a == u32::MAX {
                *a = i as u32;
            }
        }
    }
    if !c.diags.is_empty() {
        return Err(c.diags);
    }
    Ok(CompiledRule {
        id: rule.meta.id.clone(),
        name: rule.meta.name.clone(),
        title: rule.meta.title.clone(),
        level: rule.meta.level.clone(),
        logsource: rule.logsource.clone(),
        fields: c.fields,
        selections,
        condition,
        condition_span: rule.condition.span,
        sources,
        unmapped,
    })
}

fn cond(expr: &CondExpr, names: &[&str], diags: &mut Vec<Diagnostic>) -> Cond {
    match expr {
        CondExpr::Ident(name, span) => {
            if let Some(i) = names.iter().position(|n| n == name) {
                Cond::Sel(i as u32)
            } else {
                diags.push(
                    Diagnostic::error(
                        "sigma-undefined-identifier",
                        format!("`{name}` is not a search identifier"),
                    )
                    .with_span(*span),
                );
                Cond::Or(Vec::new())
            }
        }
        CondExpr::Not(inner) => Cond::Not(Box::new(cond(inner, names, diags))),
        CondExpr::And(items) => Cond::And(items.iter().map(|i| cond(i, names, diags)).collect()),
        CondExpr::Or(items) => Cond::Or(items.iter().map(|i| cond(i, names, diags)).collect()),
        CondExpr::Of(quant, target, span) => {
            let picked: Vec<u32> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| match target {
                    OfTarget::Them => !n.starts_with('_'),
                    OfTarget::Pattern(p) => glob_ident(p, n),
                })
                .map(|(i, _)| i as u32)
                .collect();
            if picked.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "sigma-undefined-identifier",
                        "no search identifier matches this `of` expression",
                    )
                    .with_span(*span),
                );
            }
            match quant {
                Quantifier::All => Cond::AllOf(picked),
                Quantifier::AtLeast(n) => Cond::AtLeast(*n, picked),
            }
        }
    }
}

impl Compiler<'_> {
    fn bad(&mut self, code: &'static str, msg: impl Into<String>, span: Span) {
        self.diags
            .push(Diagnostic::error(code, msg).with_span(span));
    }

    fn item(&mut self, item: &Item) -> FieldTest {
        let name = item.field.as_deref().unwrap_or_default();
        let field = self.field(name);
        let mods = &item.modifiers;
        let has = |m: Modifier| mods.contains(&m);
        let all = has(Modifier::All);
        let mut values = Vec::new();
        for v in &item.values {
            let mut variants = Vec::new();
            self.values(mods, v, &mut variants);
            // With `all`, the variants of one written value (`windash`,
            // `base64offset`, `expand`) are still alternatives.
            if all && variants.len() > 1 {
                values.push(ValueTest::AnyOf(variants));
            } else {
                values.extend(variants);
            }
        }
        if !all && values.len() > 1 {
            values = group_contains(values);
        }
        FieldTest {
            field,
            all,
            negate: has(Modifier::Neq),
            values,
            span: item.span,
        }
    }

    /// The tests one written value becomes (several with `windash`,
    /// `base64offset`, `expand`).
    fn values(&mut self, mods: &[Modifier], v: &RawValue, out: &mut Vec<ValueTest>) {
        let has = |m: Modifier| mods.contains(&m);
        if has(Modifier::Exists) {
            if let RawKind::Bool(b) = v.kind {
                out.push(ValueTest::Exists(b));
            }
            return;
        }
        if let Some(cmp) = mods
            .iter()
            .find_map(|m| compare_op(*m))
            .or_else(|| mods.iter().any(|m| m.is_time_part()).then_some(CmpOp::Eq))
        {
            let n = match v.kind {
                RawKind::Int(i) => i as f64,
                RawKind::Float(f) => f,
                _ => return,
            };
            match mods.iter().find_map(|m| time_part(*m)) {
                Some(part) => out.push(ValueTest::TimePart(part, cmp, n)),
                None => out.push(ValueTest::Cmp(cmp, n)),
            }
            return;
        }
        let text = match &v.kind {
            RawKind::Null => {
                out.push(ValueTest::Null);
                return;
            }
            RawKind::Bool(b) if !mods.iter().any(|m| m.is_position()) => {
                out.push(ValueTest::Bool(*b));
                return;
            }
            RawKind::Int(_) | RawKind::Float(_)
                if !mods
                    .iter()
                    .any(|m| m.is_position() || *m == Modifier::Windash) =>
            {
                let value = match v.kind {
                    RawKind::Int(i) => i as f64,
                    RawKind::Float(f) => f,
                    _ => 0.0,
                };
                out.push(ValueTest::Num {
                    value,
                    text: v.kind.text(),
                });
                return;
            }
            kind => kind.text(),
        };
        if self.special_string(mods, &text, v, out) {
            return;
        }
        self.string_patterns(mods, text, v, out);
    }

    /// `re`, `cidr` and `fieldref` values; false for other values.
    fn special_string(
        &mut self,
        mods: &[Modifier],
        text: &str,
        v: &RawValue,
        out: &mut Vec<ValueTest>,
    ) -> bool {
        let has = |m: Modifier| mods.contains(&m);
        let cased = has(Modifier::Cased);
        if has(Modifier::Re) {
            let mut flags = String::new();
            for (m, f) in [
                (Modifier::ReI, 'i'),
                (Modifier::ReM, 'm'),
                (Modifier::ReS, 's'),
            ] {
                if has(m) {
                    flags.push(f);
                }
            }
            let src = if flags.is_empty() {
                text.to_owned()
            } else {
                format!("(?{flags}){text}")
            };
            match Re::new(&src) {
                Ok(re) => out.push(ValueTest::Regex(re)),
                Err(e) => self.diags.push(
                    Diagnostic::error("sigma-bad-regex", format!("invalid regular expression: {e}"))
                        .with_span(v.span)
                        .with_help("Sigma regexes are PCRE-like; look-around and back-references are supported, possessive quantifiers and recursion are not"),
                ),
            }
            return true;
        }
        if has(Modifier::Cidr) {
            match Cidr::parse(text) {
                Some(net) => out.push(ValueTest::Cidr(net)),
                None => self.bad(
                    "sigma-bad-value",
                    format!("`{text}` is not a CIDR network"),
                    v.span,
                ),
            }
            return true;
        }
        if has(Modifier::FieldRef) {
            let other = self.field(text);
            let kind = if has(Modifier::Contains) {
                RefKind::Contains
            } else if has(Modifier::StartsWith) {
                RefKind::StartsWith
            } else if has(Modifier::EndsWith) {
                RefKind::EndsWith
            } else {
                RefKind::Equals
            };
            out.push(ValueTest::FieldRef { other, kind, cased });
            return true;
        }
        false
    }

    /// Plain string values through the transformation modifiers, in the
    /// order written.
    fn string_patterns(
        &mut self,
        mods: &[Modifier],
        text: String,
        v: &RawValue,
        out: &mut Vec<ValueTest>,
    ) {
        let has = |m: Modifier| mods.contains(&m);
        let cased = has(Modifier::Cased);
        let variants = if has(Modifier::Expand) {
            match pattern::expand(&text, &self.opts.placeholders) {
                Ok(v) => v,
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error("sigma-unresolved-placeholder", e)
                            .with_span(v.span)
                            .with_help("give the placeholder's values in the placeholder map"),
                    );
                    return;
                }
            }
        } else {
            vec![text]
        };
        let mut patterns: Vec<Pattern> = variants.iter().map(|t| Pattern::parse(t)).collect();
        let mut encoding = TextEncoding::Utf8;
        for m in mods {
            match m {
                Modifier::Contains => {
                    patterns = patterns
                        .into_iter()
                        .map(|p| p.with_star_start().with_star_end())
                        .collect();
                }
                Modifier::StartsWith => {
                    patterns = patterns.into_iter().map(Pattern::with_star_end).collect();
                }
                Modifier::EndsWith => {
                    patterns = patterns.into_iter().map(Pattern::with_star_start).collect();
                }
                Modifier::Windash => {
                    let mut next = Vec::new();
                    for p in &patterns {
                        match pattern::windash(p) {
                            Ok(v) => next.extend(v),
                            Err(e) => {
                                self.bad("sigma-unsupported", e, v.span);
                                return;
                            }
                        }
                    }
                    patterns = next;
                }
                Modifier::Utf16Le => encoding = TextEncoding::Utf16Le,
                Modifier::Utf16Be => encoding = TextEncoding::Utf16Be,
                Modifier::Utf16 => encoding = TextEncoding::Utf16Bom,
                Modifier::Base64 | Modifier::Base64Offset => {
                    let mut next = Vec::new();
                    for p in &patterns {
                        let Some(lit) = p.as_literal() else {
                            self.bad(
                                "sigma-bad-value",
                                "a value with wildcards cannot be base64-encoded",
                                v.span,
                            );
                            return;
                        };
                        let bytes = pattern::encode(&lit, encoding);
                        if *m == Modifier::Base64 {
                            next.push(Pattern::literal(&pattern::base64(&bytes)));
                        } else {
                            next.extend(
                                pattern::base64_offsets(&bytes)
                                    .iter()
                                    .map(|s| Pattern::literal(s)),
                            );
                        }
                    }
                    patterns = next;
                }
                _ => {}
            }
        }
        for p in patterns {
            match StrMatcher::from_pattern(&p, cased) {
                Ok(m) => out.push(ValueTest::Str(m)),
                Err(e) => self.bad("sigma-bad-value", e, v.span),
            }
        }
    }

    fn keywords(&mut self, item: &Item) -> Option<KeywordTest> {
        let mods = &item.modifiers;
        let implicit_contains = !mods.iter().any(|m| m.is_position() || *m == Modifier::Re);
        let mut with_contains = mods.clone();
        if implicit_contains {
            with_contains.push(Modifier::Contains);
        }
        if mods.iter().any(|m| {
            matches!(
                m,
                Modifier::Exists | Modifier::FieldRef | Modifier::Cidr | Modifier::Neq
            ) || m.is_compare()
                || m.is_time_part()
        }) {
            self.bad(
                "sigma-unsupported",
                "this modifier needs a field name",
                item.span,
            );
            return None;
        }
        let mut values = Vec::new();
        for v in &item.values {
            let mut kind = v.kind.clone();
            if !matches!(kind, RawKind::Str(_)) {
                kind = RawKind::Str(kind.text());
            }
            let v = RawValue { kind, span: v.span };
            let mut tests = Vec::new();
            self.values(&with_contains, &v, &mut tests);
            let variants: Vec<StrMatcher> = tests
                .into_iter()
                .filter_map(|t| match t {
                    ValueTest::Str(m) => Some(m),
                    ValueTest::Regex(re) => Some(StrMatcher::Regex(re)),
                    _ => None,
                })
                .collect();
            values.push(variants);
        }
        Some(KeywordTest {
            all: mods.contains(&Modifier::All),
            values,
            span: item.span,
        })
    }
}

fn compare_op(m: Modifier) -> Option<CmpOp> {
    Some(match m {
        Modifier::Lt => CmpOp::Lt,
        Modifier::Lte => CmpOp::Lte,
        Modifier::Gt => CmpOp::Gt,
        Modifier::Gte => CmpOp::Gte,
        _ => return None,
    })
}

fn time_part(m: Modifier) -> Option<TimePart> {
    Some(match m {
        Modifier::Minute => TimePart::Minute,
        Modifier::Hour => TimePart::Hour,
        Modifier::Day => TimePart::Day,
        Modifier::Week => TimePart::Week,
        Modifier::Month => TimePart::Month,
        Modifier::Year => TimePart::Year,
        _ => return None,
    })
}

/// Merge the ASCII `contains` matchers of an OR-list into one Aho–Corasick
/// automaton per casing.
fn group_contains(values: Vec<ValueTest>) -> Vec<ValueTest> {
    let mut out = Vec::new();
    let mut sets: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut globs = Vec::new();
    for v in values {
        if let ValueTest::Str(m) = &v
            && let Some((text, cased)) = m.contains_text()
        {
            sets[usize::from(cased)].push(text.to_owned());
            continue;
        }
        match v {
            ValueTest::Str(StrMatcher::Glob(re, lits)) => globs.push((re, lits)),
            v => out.push(v),
        }
    }
    // The globs of one item share their flags (`cased` applies to the item).
    let single = |globs: Vec<(Re, Vec<String>)>| {
        globs
            .into_iter()
            .map(|(re, lits)| ValueTest::Str(StrMatcher::Glob(re, lits)))
    };
    if globs.len() > 1 {
        match StrMatcher::merge_globs(&globs) {
            Ok(m) => out.push(ValueTest::Str(m)),
            Err(_) => out.extend(single(globs)),
        }
    } else {
        out.extend(single(globs));
    }
    for (cased, texts) in sets.into_iter().enumerate() {
        match texts.len() {
            0 => {}
            1 => {
                if let Ok(m) = StrMatcher::from_pattern(
                    &Pattern::literal(&texts[0])
                        .with_star_start()
                        .with_star_end(),
                    cased == 1,
                ) {
                    out.push(ValueTest::Str(m));
                }
            }
            _ => {
                if let Ok(m) = StrMatcher::contains_any(texts, cased == 1) {
                    out.push(ValueTest::Str(m));
                }
            }
        }
    }
    out
}
