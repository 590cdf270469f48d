//! Value modifiers (`field|contains|all`): names, and the rules for chaining
//! them.

use std::fmt;

/// A value modifier of the Sigma specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Modifier {
    /// `contains`.
    Contains,
    /// `startswith`.
    StartsWith,
    /// `endswith`.
    EndsWith,
    /// `all`: a value list is AND instead of OR.
    All,
    /// `exists`: the value is a boolean, the field must (not) exist.
    Exists,
    /// `cased`: case-sensitive matching.
    Cased,
    /// `neq`: the field differs from every value.
    Neq,
    /// `windash`: `-` and `/` (and the Unicode dashes) are interchangeable.
    Windash,
    /// `re`: the value is a regular expression.
    Re,
    /// `i`: case-insensitive regex.
    ReI,
    /// `m`: multi-line regex.
    ReM,
    /// `s`: dot matches newline.
    ReS,
    /// `base64`.
    Base64,
    /// `base64offset`.
    Base64Offset,
    /// `utf16le` / `wide`.
    Utf16Le,
    /// `utf16be`.
    Utf16Be,
    /// `utf16` (with a byte order mark).
    Utf16,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `minute` of a date value.
    Minute,
    /// `hour`.
    Hour,
    /// `day` (of month).
    Day,
    /// `week` (ISO week number).
    Week,
    /// `month`.
    Month,
    /// `year`.
    Year,
    /// `cidr`.
    Cidr,
    /// `expand`: placeholders `%name%` are replaced from a map.
    Expand,
    /// `fieldref`: the value is another field's name.
    FieldRef,
}

impl Modifier {
    /// The modifier called `name`, if there is one.
    /// The name of every modifier of the specification.
    pub const NAMES: &'static [&'static str] = &[
        "contains",
        "startswith",
        "endswith",
        "all",
        "exists",
        "cased",
        "neq",
        "windash",
        "re",
        "i",
        "m",
        "s",
        "base64",
        "base64offset",
        "utf16le",
        "wide",
        "utf16be",
        "utf16",
        "lt",
        "lte",
        "gt",
        "gte",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "cidr",
        "expand",
        "fieldref",
    ];

    /// The modifier named `name`, as written in a rule.
    pub fn from_name(name: &str) -> Option<Modifier> {
        Some(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "exists" => Modifier::Exists,
            "cased" => Modifier::Cased,
            "neq" => Modifier::Neq,
            "windash" => Modifier::Windash,
            "re" => Modifier::Re,
            "i" => Modifier::ReI,
            "m" => Modifier::ReM,
            "s" => Modifier::ReS,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16Le,
            "utf16be" => Modifier::Utf16Be,
            "utf16" => Modifier::Utf16,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "minute" => Modifier::Minute,
            "hour" => Modifier::Hour,
            "day" => Modifier::Day,
            "week" => Modifier::Week,
            "month" => Modifier::Month,
            "year" => Modifier::Year,
            "cidr" => Modifier::Cidr,
            "expand" => Modifier::Expand,
            "fieldref" => Modifier::FieldRef,
            _ => return None,
        })
    }

    /// The modifier's name as written in rules.
    pub fn name(self) -> &'static str {
        match self {
            Modifier::Contains => "contains",
            Modifier::StartsWith => "startswith",
            Modifier::EndsWith => "endswith",
            Modifier::All => "all",
            Modifier::Exists => "exists",
            Modifier::Cased => "cased",
            Modifier::Neq => "neq",
            Modifier::Windash => "windash",
            Modifier::Re => "re",
            Modifier::ReI => "i",
            Modifier::ReM => "m",
            Modifier::ReS => "s",
            Modifier::Base64 => "base64",
            Modifier::Base64Offset => "base64offset",
            Modifier::Utf16Le => "utf16le",
            Modifier::Utf16Be => "utf16be",
            Modifier::Utf16 => "utf16",
            Modifier::Lt => "lt",
            Modifier::Lte => "lte",
            Modifier::Gt => "gt",
            Modifier::Gte => "gte",
            Modifier::Minute => "minute",
            Modifier::Hour => "hour",
            Modifier::Day => "day",
            Modifier::Week => "week",
            Modifier::Month => "month",
            Modifier::Year => "year",
            Modifier::Cidr => "cidr",
            Modifier::Expand => "expand",
            Modifier::FieldRef => "fieldref",
        }
    }

    pub(crate) fn is_utf16(self) -> bool {
        matches!(
            self,
            Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16
        )
    }

    pub(crate) fn is_base64(self) -> bool {
        matches!(self, Modifier::Base64 | Modifier::Base64Offset)
    }

    pub(crate) fn is_compare(self) -> bool {
        matches!(
            self,
            Modifier::Lt | Modifier::Lte | Modifier::Gt | Modifier::Gte
        )
    }

    pub(crate) fn is_time_part(self) -> bool {
        matches!(
            self,
            Modifier::Minute
                | Modifier::Hour
                | Modifier::Day
                | Modifier::Week
                | Modifier::Month
                | Modifier::Year
        )
    }

    pub(crate) fn is_position(self) -> bool {
        matches!(
            self,
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith
        )
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Check a modifier chain against the specification's combination rules;
/// returns the reason it is invalid.
pub(crate) fn check_chain(mods: &[Modifier]) -> Result<(), String> {
    let has = |m: Modifier| mods.contains(&m);
    for (i, m) in mods.iter().enumerate() {
        if mods[..i].contains(m) {
            return Err(format!("modifier `{m}` is given twice"));
        }
    }
    let kinds = [
        has(Modifier::Re),
        has(Modifier::Cidr),
        has(Modifier::Exists),
        mods.iter().any(|m| m.is_compare()),
        has(Modifier::FieldRef),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(
            "`re`, `cidr`, `exists`, `fieldref` and `lt`/`lte`/`gt`/`gte` cannot be combined"
                .into(),
        );
    }
    if mods.iter().filter(|m| m.is_compare()).count() > 1 {
        return Err("only one of `lt`, `lte`, `gt`, `gte` can be used".into());
    }
    if mods.iter().filter(|m| m.is_position()).count() > 1 {
        return Err("only one of `contains`, `startswith`, `endswith` can be used".into());
    }
    if mods.iter().filter(|m| m.is_time_part()).count() > 1 {
        return Err("only one time part modifier can be used".into());
    }
    for (i, m) in mods.iter().enumerate() {
        let next = mods.get(i + 1).copied();
        match m {
            Modifier::ReI | Modifier::ReM | Modifier::ReS if !has(Modifier::Re) => {
                return Err(format!("`{m}` is a flag of `re` and needs `re` before it"));
            }
            _ if m.is_utf16() && !next.is_some_and(Modifier::is_base64) => {
                return Err(format!(
                    "`{m}` must be followed by `base64` or `base64offset`"
                ));
            }
            Modifier::Base64Offset if !has(Modifier::Contains) => {
                return Err("`base64offset` is only meaningful with `contains`".into());
            }
            _ => {}
        }
    }
    check_exclusive(mods)?;
    if mods.iter().any(|m| m.is_time_part())
        && mods.iter().any(|m| {
            !m.is_time_part() && !m.is_compare() && !matches!(m, Modifier::All | Modifier::Neq)
        })
    {
        return Err(
            "time part modifiers combine only with `lt`/`lte`/`gt`/`gte`, `neq` and `all`".into(),
        );
    }
    Ok(())
}

/// Modifiers that combine only with a few others.
fn check_exclusive(mods: &[Modifier]) -> Result<(), String> {
    let has = |m: Modifier| mods.contains(&m);
    let only_with = |m: Modifier, allowed: &[Modifier]| -> Result<(), String> {
        if has(m)
            && let Some(other) = mods.iter().find(|o| **o != m && !allowed.contains(o))
        {
            return Err(format!("`{m}` cannot be combined with `{other}`"));
        }
        Ok(())
    };
    only_with(Modifier::Exists, &[])?;
    only_with(
        Modifier::Re,
        &[
            Modifier::ReI,
            Modifier::ReM,
            Modifier::ReS,
            Modifier::All,
            Modifier::Neq,
            Modifier::Cased,
        ],
    )?;
    only_with(Modifier::Cidr, &[Modifier::All, Modifier::Neq])?;
    only_with(
        Modifier::FieldRef,
        &[
            Modifier::Neq,
            Modifier::Cased,
            Modifier::Contains,
            Modifier::StartsWith,
            Modifier::EndsWith,
            Modifier::All,
        ],
    )?;
    for m in mods.iter().filter(|m| m.is_compare()) {
        only_with(
            *m,
            &[
                Modifier::Minute,
                Modifier::Hour,
                Modifier::Day,
                Modifier::Week,
                Modifier::Month,
                Modifier::Year,
                Modifier::All,
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(names: &str) -> Vec<Modifier> {
        names
            .split('|')
            .map(|n| Modifier::from_name(n).unwrap_or(Modifier::All))
            .collect()
    }

    #[test]
    fn valid_and_invalid_chains() {
        let cases: &[(&str, bool)] = &[
            ("contains", true),
            ("contains|all", true),
            ("contains|all|windash", true),
            ("windash|contains", true),
            ("base64offset|contains", true),
            ("wide|base64offset|contains", true),
            ("utf16le|base64", true),
            ("utf16le", false),
            ("base64offset", false),
            ("re|i|m|s", true),
            ("i", false),
            ("re|contains", false),
            ("cidr", true),
            ("cidr|contains", false),
            ("exists", true),
            ("exists|all", false),
            ("gt", true),
            ("gt|lt", false),
            ("hour|gte", true),
            ("hour", true),
            ("hour|contains", false),
            ("fieldref|neq", true),
            ("fieldref|re", false),
            ("contains|endswith", false),
            ("contains|contains", false),
            ("expand|contains", true),
        ];
        for (names, ok) in cases {
            assert_eq!(check_chain(&chain(names)).is_ok(), *ok, "{names}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "contains",
            "re",
            "i",
            "base64offset",
            "utf16be",
            "week",
            "fieldref",
        ] {
            assert_eq!(Modifier::from_name(name).map(Modifier::name), Some(name));
        }
        assert_eq!(Modifier::from_name("wide"), Some(Modifier::Utf16Le));
        assert_eq!(Modifier::from_name("bogus"), None);
    }
}
