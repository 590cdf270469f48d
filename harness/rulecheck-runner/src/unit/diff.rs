//! Expected against actual alerts as a unified diff.

use similar::TextDiff;

/// A unified diff of two lists of lines, `-` expected and `+` actual.
pub fn render(expected: &[String], actual: &[String]) -> String {
    let expected = lines(expected, "(no alert)");
    let actual = lines(actual, "(no alert)");
    TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

fn lines(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        return format!("{empty}\n");
    }
    let mut out = items.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_alert_reads_as_a_diff() {
        let diff = render(&[r#"{"host":"ws1"}"#.to_owned()], &[]);
        insta::assert_snapshot!(diff, @r#"
        --- expected
        +++ actual
        @@ -1 +1 @@
        -{"host":"ws1"}
        +(no alert)
        "#);
    }

    #[test]
    fn changed_rows_show_both_sides() {
        let diff = render(
            &[
                r#"{"host":"ws1","n":"1"}"#.to_owned(),
                r#"{"host":"ws2","n":"1"}"#.to_owned(),
            ],
            &[
                r#"{"host":"ws1","n":"1"}"#.to_owned(),
                r#"{"host":"ws3","n":"1"}"#.to_owned(),
            ],
        );
        insta::assert_snapshot!(diff, @r#"
        --- expected
        +++ actual
        @@ -1,2 +1,2 @@
         {"host":"ws1","n":"1"}
        -{"host":"ws2","n":"1"}
        +{"host":"ws3","n":"1"}
        "#);
    }
}
