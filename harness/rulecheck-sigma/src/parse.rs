//! From a positioned YAML document to a [`ParsedDocument`].

use rulecheck_core::yaml::{Node, Value};
use rulecheck_core::{Diagnostic, Span};

use crate::ast::{
    CondExpr, Condition, Group, Item, LogSource, Meta, ParsedDocument, ParsedRule, RawKind,
    RawValue, Selection, SelectionBody,
};
use crate::condition::parse_condition;
use crate::modifier::{Modifier, check_chain};

/// Parse one Sigma YAML document (a rule, a correlation or a filter).
///
/// Every problem found is returned, not only the first.
pub fn parse(doc: &Node) -> Result<ParsedDocument, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if doc.as_map().is_none() {
        return Err(vec![
            Diagnostic::error("sigma-bad-rule", "a Sigma document must be a mapping")
                .with_span(doc.span),
        ]);
    }
    if let Some(action) = doc.entry("action") {
        return Err(vec![
            Diagnostic::error(
                "sigma-unsupported",
                "`action:` rule collections (global/reset/repeat) were removed in Sigma v2",
            )
            .with_span(action.key_span)
            .with_help("split the collection into standalone rules"),
        ]);
    }
    let meta = parse_meta(doc, &mut diags);
    let result = if doc.get("correlation").is_some() {
        crate::correlation::parse_correlation(doc, meta, &mut diags)
            .map(ParsedDocument::Correlation)
    } else if doc.get("filter").is_some() {
        crate::filter::parse_filter(doc, meta, &mut diags).map(ParsedDocument::Filter)
    } else {
        parse_rule(doc, meta, &mut diags).map(ParsedDocument::Rule)
    };
    match result {
        Some(parsed) if diags.is_empty() => Ok(parsed),
        _ => Err(diags),
    }
}

pub(crate) fn parse_meta(doc: &Node, diags: &mut Vec<Diagnostic>) -> Meta {
    let text = |key: &str| doc.get(key).and_then(Node::scalar_text);
    let title = text("title").unwrap_or_else(|| {
        diags.push(
            Diagnostic::error("sigma-missing-field", "the document has no `title`")
                .with_span(Span::at(doc.span.start as usize)),
        );
        String::new()
    });
    Meta {
        id: text("id"),
        name: text("name"),
        title,
        level: text("level"),
        span: doc.span,
    }
}

fn parse_rule(doc: &Node, meta: Meta, diags: &mut Vec<Diagnostic>) -> Option<ParsedRule> {
    let logsource = parse_logsource(doc);
    let Some(detection) = doc.get("detection") else {
        diags.push(
            Diagnostic::error("sigma-missing-field", "the rule has no `detection`")
                .with_span(Span::at(doc.span.start as usize)),
        );
        return None;
    };
    let (selections, condition) = parse_detection(detection, diags)?;
    Some(ParsedRule {
        meta,
        logsource,
        selections,
        condition,
    })
}

pub(crate) fn parse_logsource(doc: &Node) -> LogSource {
    let Some(node) = doc.get("logsource") else {
        return LogSource::default();
    };
    let text = |key: &str| node.get(key).and_then(Node::scalar_text);
    LogSource {
        product: text("product"),
        category: text("category"),
        service: text("service"),
        span: node.span,
    }
}

/// Parse a `detection` block (also the body of a filter); keys listed in
/// `skip` are not search identifiers.
pub(crate) fn parse_detection_with(
    detection: &Node,
    skip: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Selection>, Condition)> {
    let Some(entries) = detection.as_map() else {
        diags.push(
            Diagnostic::error("sigma-bad-detection", "`detection` must be a mapping")
                .with_span(detection.span),
        );
        return None;
    };
    let before = diags.len();
    let mut selections = Vec::new();
    let mut known = Vec::new();
    let mut condition = None;
    for entry in entries {
        match entry.key.as_str() {
            "condition" => condition = parse_condition_node(&entry.value, diags),
            "timeframe" => diags.push(
                Diagnostic::error(
                    "sigma-unsupported",
                    "`timeframe` in `detection` belongs to legacy aggregations",
                )
                .with_span(entry.key_span)
                .with_help("use a correlation rule with `timespan`"),
            ),
            key if skip.contains(&key) => {}
            _ => {
                known.push(entry.key.as_str());
                if let Some(body) = parse_selection(&entry.value, diags) {
                    selections.push(Selection {
                        name: entry.key.clone(),
                        name_span: entry.key_span,
                        body,
                    });
                }
            }
        }
    }
    let Some(condition) = condition else {
        if diags.len() == before {
            diags.push(
                Diagnostic::error("sigma-missing-field", "`detection` has no `condition`")
                    .with_span(detection.span),
            );
        }
        return None;
    };
    check_identifiers(&condition.expr, &known, diags);
    (diags.len() == before).then_some((selections, condition))
}

fn parse_detection(
    detection: &Node,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Selection>, Condition)> {
    parse_detection_with(detection, &[], diags)
}

fn check_identifiers(expr: &CondExpr, known: &[&str], diags: &mut Vec<Diagnostic>) {
    match expr {
        CondExpr::Ident(name, span) => {
            if !known.contains(&name.as_str()) {
                diags.push(
                    Diagnostic::error(
                        "sigma-undefined-identifier",
                        format!("the condition uses `{name}`, which `detection` does not define"),
                    )
                    .with_span(*span),
                );
            }
        }
        CondExpr::Not(inner) => check_identifiers(inner, known, diags),
        CondExpr::And(items) | CondExpr::Or(items) => {
            for item in items {
                check_identifiers(item, known, diags);
            }
        }
        CondExpr::Of(_, target, span) => {
            if let crate::ast::OfTarget::Pattern(p) = target
                && !known.iter().any(|s| crate::compile::glob_ident(p, s))
            {
                diags.push(
                    Diagnostic::error(
                        "sigma-undefined-identifier",
                        format!("no search identifier matches `{p}`"),
                    )
                    .with_span(*span),
                );
            }
        }
    }
}

fn parse_condition_node(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<Condition> {
    let mut exprs = Vec::new();
    for item in node.items() {
        let Some(text) = item.as_str() else {
            diags.push(
                Diagnostic::error("sigma-bad-condition", "the condition must be a string")
                    .with_span(item.span),
            );
            continue;
        };
        let base = scalar_base(item, text);
        match parse_condition(text, base) {
            Ok(expr) => exprs.push(expr),
            Err(d) => diags.push(d),
        }
    }
    if exprs.is_empty() {
        if node.as_seq().is_some_and(<[Node]>::is_empty) {
            diags.push(
                Diagnostic::error("sigma-bad-condition", "the condition list is empty")
                    .with_span(node.span),
            );
        }
        return None;
    }
    let expr = if exprs.len() == 1 {
        exprs.pop()?
    } else {
        CondExpr::Or(exprs)
    };
    Some(Condition {
        expr,
        span: node.span,
    })
}

/// The file offset of the first character of a scalar's text: after the
/// opening quote of a quoted scalar.
fn scalar_base(node: &Node, text: &str) -> usize {
    let start = node.span.start as usize;
    if node.span.len() == text.len() + 2 {
        start + 1
    } else {
        start
    }
}

fn parse_selection(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<SelectionBody> {
    match &node.value {
        Value::Map(_) => {
            let group = parse_group(node, diags)?;
            if group.items.len() == 1 && group.items[0].field.is_none() {
                return group.items.into_iter().next().map(SelectionBody::Keywords);
            }
            if let Some(kw) = group.items.iter().find(|i| i.field.is_none()) {
                diags.push(
                    Diagnostic::error(
                        "sigma-bad-detection",
                        "a field-less (keyword) item cannot be mixed with field items in one map",
                    )
                    .with_span(kw.span),
                );
                return None;
            }
            Some(SelectionBody::Groups(vec![group]))
        }
        Value::Seq(items) if items.is_empty() => {
            diags.push(
                Diagnostic::error(
                    "sigma-bad-detection",
                    "the search identifier is an empty list",
                )
                .with_span(node.span),
            );
            None
        }
        Value::Seq(items) if items.iter().all(|i| i.as_map().is_some()) => {
            let before = diags.len();
            let groups: Vec<Group> = items.iter().filter_map(|i| parse_group(i, diags)).collect();
            if let Some(kw) = groups
                .iter()
                .flat_map(|g| &g.items)
                .find(|i| i.field.is_none())
            {
                diags.push(
                    Diagnostic::error(
                        "sigma-bad-detection",
                        "a field-less (keyword) item inside a list of maps is not supported",
                    )
                    .with_span(kw.span),
                );
            }
            (diags.len() == before).then_some(SelectionBody::Groups(groups))
        }
        Value::Seq(_) | Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            let values = parse_values(node, diags)?;
            Some(SelectionBody::Keywords(Item {
                field: None,
                modifiers: Vec::new(),
                values,
                span: node.span,
            }))
        }
        Value::Null => {
            diags.push(
                Diagnostic::error("sigma-bad-detection", "the search identifier is empty")
                    .with_span(node.span),
            );
            None
        }
    }
}

fn parse_group(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<Group> {
    let entries = node.as_map()?;
    let before = diags.len();
    let mut items = Vec::new();
    if entries.is_empty() {
        diags.push(
            Diagnostic::error("sigma-bad-detection", "empty map in a search identifier")
                .with_span(node.span),
        );
    }
    for entry in entries {
        let mut parts = entry.key.split('|');
        let field = parts.next().unwrap_or_default();
        let mut modifiers = Vec::new();
        let mut ok = true;
        // The key's text starts after an opening quote when it is quoted.
        let quoted = entry.key_span.len() == entry.key.len() + 2;
        let mut offset = entry.key_span.start as usize + usize::from(quoted) + field.len() + 1;
        for name in parts {
            if let Some(m) = Modifier::from_name(name) {
                modifiers.push(m);
            } else {
                ok = false;
                let exact = quoted || entry.key_span.len() == entry.key.len();
                let span = if exact {
                    Span::new(offset, offset + name.len())
                } else {
                    entry.key_span
                };
                diags.push(
                    Diagnostic::error(
                        "sigma-unknown-modifier",
                        format!("unknown value modifier `{name}` in `{}`", entry.key),
                    )
                    .with_span(span)
                    .with_help(modifier_help(name)),
                );
            }
            offset += name.len() + 1;
        }
        if ok && let Err(reason) = check_chain(&modifiers) {
            ok = false;
            diags.push(Diagnostic::error("sigma-bad-modifier", reason).with_span(entry.key_span));
        }
        let Some(values) = parse_values(&entry.value, diags) else {
            continue;
        };
        if ok {
            check_values(&modifiers, &values, entry.key_span, diags);
        }
        items.push(Item {
            field: (!field.is_empty()).then(|| field.to_owned()),
            modifiers,
            values,
            span: entry.key_span,
        });
    }
    (diags.len() == before).then_some(Group {
        items,
        span: node.span,
    })
}

fn parse_values(node: &Node, diags: &mut Vec<Diagnostic>) -> Option<Vec<RawValue>> {
    let mut out = Vec::new();
    if let Some(items) = node.as_seq()
        && items.is_empty()
    {
        diags.push(
            Diagnostic::error("sigma-bad-detection", "empty value list").with_span(node.span),
        );
        return None;
    }
    for item in node.items() {
        let kind = match &item.value {
            Value::String(s) => RawKind::Str(s.clone()),
            Value::Int(i) => RawKind::Int(*i),
            Value::Float(f) => RawKind::Float(*f),
            Value::Bool(b) => RawKind::Bool(*b),
            Value::Null => RawKind::Null,
            Value::Seq(_) | Value::Map(_) => {
                diags.push(
                    Diagnostic::error(
                        "sigma-bad-detection",
                        format!(
                            "a detection value must be a scalar, not {}",
                            item.type_name()
                        ),
                    )
                    .with_span(item.span),
                );
                return None;
            }
        };
        out.push(RawValue {
            kind,
            span: item.span,
        });
    }
    Some(out)
}

/// Checks of values against their modifiers that need no compilation.
fn check_values(mods: &[Modifier], values: &[RawValue], span: Span, diags: &mut Vec<Diagnostic>) {
    let has = |m: Modifier| mods.contains(&m);
    if has(Modifier::All) && values.len() < 2 {
        diags.push(
            Diagnostic::error(
                "sigma-bad-modifier",
                "`all` needs a list of at least two values",
            )
            .with_span(span)
            .with_help("drop `all`, or use a separate selection to repeat a field"),
        );
    }
    for v in values {
        if v.kind == RawKind::Null
            && let Some(m) = mods
                .iter()
                .find(|m| !matches!(m, Modifier::All | Modifier::Neq | Modifier::Cased))
        {
            diags.push(
                Diagnostic::error(
                    "sigma-bad-value",
                    format!("`{m}` needs a value, but the value is empty (null)"),
                )
                .with_span(v.span)
                .with_help("give the value, or drop the modifier to test for a missing field"),
            );
            continue;
        }
        let problem = if has(Modifier::Exists) {
            (!matches!(v.kind, RawKind::Bool(_))).then_some("`exists` takes `true` or `false`")
        } else if mods.iter().any(|m| m.is_compare() || m.is_time_part()) {
            (!matches!(v.kind, RawKind::Int(_) | RawKind::Float(_)))
                .then_some("comparison and time part modifiers take a number")
        } else if has(Modifier::Re)
            || has(Modifier::Cidr)
            || has(Modifier::FieldRef)
            || has(Modifier::Windash)
            || mods.iter().any(|m| m.is_base64())
        {
            (!matches!(v.kind, RawKind::Str(_))).then_some("this modifier takes a string value")
        } else {
            None
        };
        if let Some(problem) = problem {
            diags.push(Diagnostic::error("sigma-bad-value", problem).with_span(v.span));
        }
    }
}

/// Help for an unknown modifier: the closest known name, then every name.
fn modifier_help(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let closest = Modifier::NAMES
        .iter()
        .map(|m| (edit_distance(&lower, m), *m))
        .filter(|(d, m)| *d <= 2 && *d < m.len())
        .min_by_key(|(d, _)| *d)
        .map_or_else(String::new, |(_, m)| format!("did you mean `{m}`? "));
    format!("{closest}modifiers are: {}", Modifier::NAMES.join(", "))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
