//! The diagnostic codes of compilation.

use rulecheck_core::{Diagnostic, Span};

/// A command, function, option or argument form rulecheck does not evaluate:
/// the rule is reported as unsupported, never as a pass.
pub const UNSUPPORTED: &str = "spl-unsupported";
/// An argument that is not valid for its command or function (a bad regular
/// expression, a wrong number of arguments, an unknown lookup table or data
/// model).
pub const INVALID: &str = "spl-invalid";

/// An `spl-unsupported` diagnostic naming `what`.
pub(crate) fn unsupported(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(UNSUPPORTED, format!("rulecheck does not evaluate {what}"))
        .with_span(span)
        .with_help("the rule is reported as unsupported")
}

/// An `spl-invalid` diagnostic.
pub(crate) fn invalid(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(INVALID, message).with_span(span)
}
