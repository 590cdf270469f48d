//! Dates are real calendar dates, and `modified` is not before `date`.

use rulecheck_core::Diagnostic;
use rulecheck_core::yaml::Node;

/// Check the `date` and `modified` keys of a rule document.
pub fn check(root: &Node, out: &mut Vec<Diagnostic>) {
    let mut parsed = Vec::new();
    for key in ["date", "modified"] {
        let Some(node) = root.get(key) else { continue };
        let Some(text) = node.as_str() else { continue };
        match parse_date(text) {
            Some(date) => parsed.push((key, date, node.span)),
            // The schema reports dates that are not YYYY-MM-DD; here only
            // well-formed dates that do not exist are left.
            None if looks_like_date(text) => out.push(
                Diagnostic::error("invalid-date", format!("`{text}` is not a calendar date"))
                    .with_span(node.span)
                    .with_help("check the day and month"),
            ),
            None => {}
        }
    }
    if let [("date", created, _), ("modified", modified, span)] = parsed.as_slice()
        && modified < created
    {
        out.push(
            Diagnostic::warning("invalid-date", "`modified` is earlier than `date`")
                .with_span(*span)
                .with_help("`modified` is the date of the last change, on or after `date`"),
        );
    }
}

fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-'
}

/// `YYYY-MM-DD` as (year, month, day) when it is a real date.
pub fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    if !looks_like_date(text) {
        return None;
    }
    let year: u32 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-04-31"), None);
        assert_eq!(parse_date("2023/04/01"), None);
    }
}
