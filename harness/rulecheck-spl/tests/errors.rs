//! Snapshots of the diagnostics users see for broken queries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;

use rulecheck_core::{Diagnostic, LineIndex};
use rulecheck_spl::{Macros, expand, parse};

/// The diagnostics of `query` rendered as `line:col code: message`, the
/// source line with a caret line under the span, and the help.
fn render(query: &str) -> String {
    let mut macros = Macros::new();
    macros.insert("sysmon", "sourcetype=sysmon");
    macros.insert("broken_eval", "eval x = (1 +");
    macros.insert_with_arguments("ctime", vec!["field".into()], "convert ctime($field$)");
    let diagnostics: Vec<Diagnostic> = match expand(query, &macros) {
        Ok(expanded) => parse(&expanded).1,
        Err(errors) => errors,
    };
    let index = LineIndex::new(query);
    let mut out = format!("query: {query}\n");
    for d in diagnostics {
        let span = d.span.unwrap_or_default();
        let at = index.line_col(query, span.start);
        writeln!(out, "{}:{} {}: {}", at.line, at.column, d.code, d.message).unwrap();
        let line = &query[index.line_range(query, at.line)];
        writeln!(out, "  | {line}").unwrap();
        let width = query[span.range()].chars().count().max(1);
        writeln!(
            out,
            "  | {}{}",
            " ".repeat(at.column as usize - 1),
            "^".repeat(width)
        )
        .unwrap();
        if let Some(help) = d.help {
            writeln!(out, "  = help: {help}").unwrap();
        }
    }
    out
}

macro_rules! snapshot {
    ($name:ident, $query:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render($query));
        }
    };
}

snapshot!(unclosed_parenthesis, "a (b OR c | table x");
snapshot!(unterminated_string, "a=\"abc | table x");
snapshot!(dangling_or, "a OR | stats count");
snapshot!(
    errors_in_several_commands,
    "a | eval = 1 | stats count by | where x >"
);
snapshot!(rename_without_as, "a | rename x y");
snapshot!(missing_command_name, "a | | table x");
snapshot!(unknown_macro, "`sysmon` `get_data` EventCode=1 | `nope(x)`");
snapshot!(wrong_macro_arity, "a | `ctime` | `sysmon(1)`");
snapshot!(error_inside_a_macro, "a\n| `broken_eval`\n| table x");
snapshot!(unclosed_subsearch, "a | join x [ search b");
snapshot!(stray_bracket, "a ] b");
snapshot!(rex_without_pattern, "a | rex field=x");
snapshot!(unclosed_term, "TERM(abc | table x");
