//! Rule-file formats: Sigma (detection, correlation, filter), Splunk
//! security_content (ESCU) and Anvilogic armory.
//!
//! For each YAML document, [`check_document`] recognises the format from the
//! content ([`detect`]), validates it against the format's JSON Schema
//! ([`schema`], generated from the typed [`model`]), runs the semantic
//! [`checks`], and normalizes it into a [`Rule`].
//!
//! ```
//! use rulecheck_core::yaml::{load, Limits};
//! use rulecheck_formats::check_document;
//!
//! let text = "title: Demo\nlogsource: {product: windows}\ntags: [attack.t1191]\n\
//!             detection: {sel: {Image|endswith: '\\cmstp.exe'}, condition: sel}\n";
//! let root = &load(text, &Limits::default()).documents[0];
//! let checked = check_document(root, 0, text, None, rulecheck_attack::AttackData::embedded());
//! let rule = checked.rule.unwrap();
//! assert_eq!(rule.title.unwrap().value, "Demo");
//! let revoked = &checked.diagnostics[0];
//! assert_eq!(revoked.code, "attack-revoked-technique");
//! assert!(revoked.help.as_deref().unwrap().contains("attack.t1218.003"));
//! ```

pub mod checks;
pub mod detect;
pub mod model;
pub mod normalize;
pub mod schema;

use rulecheck_attack::AttackData;
use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, Rule, RuleFormat};

pub use detect::{DocumentKind, OtherKind, detect};

/// What [`check_document`] found in one YAML document.
#[derive(Debug)]
pub struct CheckedDocument {
    /// What the document is.
    pub kind: DocumentKind,
    /// The normalized rule, for rule documents.
    pub rule: Option<Rule>,
    /// Problems found, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Recognise, validate and normalize one YAML document. `pinned` forces a
/// format (from `rulecheck.toml`) instead of recognising it.
pub fn check_document(
    root: &Node,
    document: usize,
    source: &str,
    pinned: Option<RuleFormat>,
    attack: &AttackData,
) -> CheckedDocument {
    let kind = pinned.map_or_else(|| detect(root), DocumentKind::Rule);
    let mut diagnostics = Vec::new();
    let rule = match kind {
        DocumentKind::Rule(format) => {
            diagnostics.extend(schema::validate(format, root));
            let rule = normalize::normalize(format, document, root, source);
            checks::attack::check(&rule, attack, &mut diagnostics);
            checks::dates::check(root, &mut diagnostics);
            checks::sigma::check(format, root, &mut diagnostics);
            Some(rule)
        }
        DocumentKind::SigmaCollectionAction => {
            diagnostics.push(
                Diagnostic::error("sigma-unsupported", "Sigma 1.x rule collections (`action: global`/`reset`/`repeat`) are not supported")
                    .with_span(normalize::document_span(root))
                    .with_help("write each rule of the collection as a complete rule of its own"),
            );
            None
        }
        DocumentKind::Unknown => {
            diagnostics.push(
                Diagnostic::error("unknown-format", "this YAML document is not a Sigma, ESCU or armory rule")
                    .with_span(normalize::document_span(root))
                    .with_help(
                        "a Sigma rule has `logsource` and `detection`, an ESCU detection `search`, an armory rule `logic` and `logic_format`; \
                         pin the folder's format in rulecheck.toml or exclude the file",
                    ),
            );
            None
        }
        DocumentKind::Other(_) => None,
    };
    diagnostics.sort_by_key(|d| d.span.map(|s| s.start));
    CheckedDocument {
        kind,
        rule,
        diagnostics,
    }
}
