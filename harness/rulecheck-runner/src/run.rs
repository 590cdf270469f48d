//! The run: discover → load → validate (per file, in parallel) → cross-rule
//! checks → statuses → report.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rulecheck_attack::AttackData;
use rulecheck_core::report::{
    GateResult, OtherFile, REPORT_VERSION, Report, ReportDiagnostic, RuleReport, SeverityCounts,
    Status, StatusCounts, Summary, TierReport, ValidationReport,
};
use rulecheck_core::{Diagnostic, LineIndex, Rule, RuleFormat, Severity};
use rulecheck_formats::{DocumentKind, check_document};

use crate::Error;
use crate::config::Config;
use crate::discover::{discover, display_path};
use crate::load::{SourceFile, read};
use crate::sigma::{SigmaSetup, compile_diagnostics};
use crate::spl::{SplSetup, validation_diagnostics as spl_diagnostics};
use crate::unit::{UnitContext, run_unit};

/// The query engines of a run, with their options.
struct Engines<'a> {
    sigma: &'a SigmaSetup,
    spl: &'a SplSetup,
}

/// Which tiers a run performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tiers {
    /// Validation only (`rulecheck validate`).
    Validation,
    /// Every tier available (`rulecheck check`).
    All,
}

/// What to run on.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Files and folders to check.
    pub paths: Vec<PathBuf>,
    /// The folder configuration paths are relative to.
    pub root: PathBuf,
    /// Which tiers to run.
    pub tiers: Tiers,
    /// Threads (None: one per core).
    pub jobs: Option<usize>,
    /// Which rules to report (all when empty).
    pub filter: RuleFilter,
}

/// A selection of rules by id or ATT&CK tag (`rulecheck test --rule ID
/// --tag attack.t1218`): a rule is selected when it has one of the ids, or
/// one of the tags; with no id and no tag every rule is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    /// Rule ids.
    pub ids: Vec<String>,
    /// ATT&CK tags: `attack.t1218` selects T1218 and its sub-techniques,
    /// `attack.defense-evasion` a tactic; the `attack.` prefix is optional.
    pub tags: Vec<String>,
}

impl RuleFilter {
    /// Whether the filter selects everything.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.tags.is_empty()
    }

    /// Whether `rule` is selected.
    pub fn selects(&self, rule: &Rule) -> bool {
        if self.is_empty() {
            return true;
        }
        let by_id = rule
            .id
            .as_ref()
            .is_some_and(|id| self.ids.contains(&id.value));
        let by_tag = self.tags.iter().any(|tag| {
            let tag = tag
                .strip_prefix("attack.")
                .unwrap_or(tag)
                .to_ascii_lowercase()
                .replace('_', "-");
            rule.techniques.iter().any(|t| {
                let t = t.value.to_ascii_lowercase();
                t == tag || t.starts_with(&format!("{tag}."))
            }) || rule.tactics.iter().any(|t| t.value == tag)
        });
        by_id || by_tag
    }
}

impl RunOptions {
    /// Run `tiers` on `paths`, with paths in the configuration relative to
    /// the current folder.
    pub fn new(paths: Vec<PathBuf>, tiers: Tiers) -> Self {
        RunOptions {
            paths,
            root: PathBuf::from("."),
            tiers,
            jobs: None,
            filter: RuleFilter::default(),
        }
    }
}

/// One file's results before the cross-rule checks.
struct FileResult {
    path: String,
    source: SourceFile,
    index: LineIndex,
    documents: Vec<DocumentResult>,
}

struct DocumentResult {
    kind: Option<DocumentKind>,
    rule: Option<Rule>,
    diagnostics: Vec<Diagnostic>,
    unit: Option<TierReport>,
}

/// Run the configured tiers on the rules under `options.paths`.
pub fn run(config: &Config, options: &RunOptions) -> Result<Report, Error> {
    run_observed(config, options, &|_, _| {})
}

/// [`run`], calling `progress(done, total)` as each rule file is finished
/// (from the worker threads, in any order).
pub fn run_observed(
    config: &Config,
    options: &RunOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, Error> {
    let attack = attack_data(config, &options.root)?;
    let sigma = SigmaSetup::from_config(config, &options.root)?;
    let spl = SplSetup::from_config(config, &options.root)?;
    let engines = Engines {
        sigma: &sigma,
        spl: &spl,
    };
    let files = discover(&options.paths, &options.root, &config.exclude)?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        files
            .par_iter()
            .map(|path| {
                let result = check_file(path, config, options, attack, &engines);
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    files.len(),
                );
                result
            })
            .collect::<Vec<_>>()
    };
    let mut results = match options.jobs {
        Some(jobs) => rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build()
            .map_or_else(|_| work(), |pool| pool.install(work)),
        None => work(),
    };
    cross_rule_checks(&mut results);
    Ok(build_report(
        results,
        options.tiers,
        config,
        &options.filter,
    ))
}

fn attack_data(config: &Config, root: &Path) -> Result<&'static AttackData, Error> {
    let Some(file) = &config.attack.data else {
        return Ok(AttackData::embedded());
    };
    let path = root.join(file);
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| Error::Io {
            path: p.to_owned(),
            source,
        })
    };
    let techniques = read(&path)?;
    let tactics = read(&path.with_file_name("tactics.tsv"))?;
    let data = AttackData::from_tsv(&techniques, &tactics).map_err(|e| Error::AttackData {
        path: path.clone(),
        message: e.to_string(),
    })?;
    // One table per run; leaking it gives it the same lifetime as the
    // embedded one.
    Ok(Box::leak(Box::new(data)))
}

fn pinned_format(path: &Path, config: &Config, root: &Path) -> Option<RuleFormat> {
    let absolute = std::path::absolute(path).ok()?;
    let root = std::path::absolute(root).ok()?;
    let relative = absolute.strip_prefix(&root).ok()?;
    config
        .formats
        .iter()
        .filter(|(folder, _)| relative.starts_with(folder.trim_end_matches('/')))
        .max_by_key(|(folder, _)| folder.len())
        .map(|(_, &format)| format)
}

fn check_file(
    path: &Path,
    config: &Config,
    options: &RunOptions,
    attack: &AttackData,
    engines: &Engines<'_>,
) -> FileResult {
    let source = read(path, &config.limits);
    let index = LineIndex::new(&source.text);
    let pinned = pinned_format(path, config, &options.root);
    let mut documents: Vec<DocumentResult> = source
        .documents
        .iter()
        .enumerate()
        .map(|(i, root)| {
            let mut checked = check_document(root, i, &source.text, pinned, attack);
            // The engine compiles what the schema accepts.
            let well_formed = !checked
                .diagnostics
                .iter()
                .any(|d| d.code.starts_with("schema-") && d.severity == Severity::Error);
            if let (
                true,
                DocumentKind::Rule(
                    format @ (RuleFormat::Sigma
                    | RuleFormat::SigmaCorrelation
                    | RuleFormat::SigmaFilter),
                ),
            ) = (well_formed, checked.kind)
            {
                checked
                    .diagnostics
                    .extend(compile_diagnostics(format, root, engines.sigma));
            }
            if let (true, Some(rule)) = (well_formed, &checked.rule) {
                checked
                    .diagnostics
                    .extend(spl_diagnostics(rule, root, &source.text, engines.spl));
            }
            checked.diagnostics.sort_by_key(|d| d.span.map(|s| s.start));
            DocumentResult {
                kind: Some(checked.kind),
                rule: checked.rule,
                diagnostics: checked.diagnostics,
                unit: None,
            }
        })
        .collect();
    if source.unreadable() {
        documents.push(DocumentResult {
            kind: None,
            rule: None,
            diagnostics: Vec::new(),
            unit: None,
        });
    }
    // File-level problems (duplicate keys, syntax) go to the first document.
    if let Some(first) = documents.first_mut() {
        first
            .diagnostics
            .splice(0..0, source.diagnostics.iter().cloned());
        first.diagnostics.sort_by_key(|d| d.span.map(|s| s.start));
    }
    if options.tiers == Tiers::All {
        let ctx = UnitContext {
            config,
            root: &options.root,
            sigma: engines.sigma,
            spl: engines.spl,
        };
        for (doc, root) in documents.iter_mut().zip(&source.documents) {
            if let Some(rule) = doc.rule.as_ref().filter(|r| options.filter.selects(r)) {
                doc.unit = Some(run_unit(
                    rule,
                    root,
                    &source.documents,
                    path,
                    &source.text,
                    &ctx,
                ));
            }
        }
    }
    FileResult {
        path: display_path(path),
        source,
        index,
        documents,
    }
}

fn cross_rule_checks(results: &mut [FileResult]) {
    let mut refs = Vec::new();
    let mut places = Vec::new();
    for (f, file) in results.iter().enumerate() {
        for (d, doc) in file.documents.iter().enumerate() {
            if let Some(rule) = &doc.rule {
                refs.push((file.path.as_str(), rule));
                places.push((f, d));
            }
        }
    }
    let found = rulecheck_formats::checks::duplicates::check(&refs);
    drop(refs);
    for (i, diagnostic) in found {
        let (f, d) = places[i];
        results[f].documents[d].diagnostics.push(diagnostic);
    }
}

fn build_report(
    results: Vec<FileResult>,
    tiers: Tiers,
    config: &Config,
    filter: &RuleFilter,
) -> Report {
    let mut rules = Vec::new();
    let mut other_files = Vec::new();
    for file in results {
        let multi = file.documents.len() > 1;
        for (i, doc) in file.documents.into_iter().enumerate() {
            if let Some(DocumentKind::Other(kind)) = doc.kind
                && doc.diagnostics.is_empty()
            {
                other_files.push(OtherFile {
                    path: file.path.clone(),
                    kind: kind.as_str().to_owned(),
                });
                continue;
            }
            let unreadable = file.source.unreadable();
            let status = validation_status(&doc.diagnostics, unreadable);
            let diagnostics = doc
                .diagnostics
                .iter()
                .map(|d| resolve(d, &file.source.text, &file.index))
                .collect();
            let rule = doc.rule.as_ref();
            let format = match doc.kind {
                Some(DocumentKind::Rule(format)) => Some(format),
                _ => None,
            };
            if !filter.is_empty() && !rule.is_some_and(|r| filter.selects(r)) {
                continue;
            }
            let not_run = |tier: &str| match tiers {
                Tiers::Validation => TierReport::skipped("not run by `rulecheck validate`"),
                Tiers::All if rule.is_none() => {
                    TierReport::skipped("the file holds no rule to run")
                }
                Tiers::All => TierReport::skipped(format!("the {tier} tier is not built yet")),
            };
            rules.push(RuleReport {
                path: file.path.clone(),
                document: multi.then_some(i),
                id: rule.and_then(|r| r.id.as_ref()).map(|s| s.value.clone()),
                title: rule.and_then(|r| r.title.as_ref()).map(|s| s.value.clone()),
                format,
                languages: rule.map(Rule::languages).unwrap_or_default(),
                techniques: rule
                    .map(|r| r.techniques.iter().map(|t| t.value.clone()).collect())
                    .unwrap_or_default(),
                validation: ValidationReport {
                    status,
                    diagnostics,
                },
                unit: doc.unit.unwrap_or_else(|| not_run("unit")),
                integration: not_run("integration"),
                exception: None,
            });
        }
    }
    let gate = crate::gate::decide(&mut rules, &config.gate, &crate::gate::today());
    let mut summary = summarize(&rules, other_files.len());
    summary.gate = gate;
    Report {
        version: REPORT_VERSION,
        rules,
        other_files,
        summary,
    }
}
fn validation_status(diagnostics: &[Diagnostic], unreadable: bool) -> Status {
    if unreadable {
        Status::Error
    } else if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Status::Fail
    } else {
        Status::Pass
    }
}

/// A diagnostic with its span turned into line and column.
pub fn resolve(d: &Diagnostic, text: &str, index: &LineIndex) -> ReportDiagnostic {
    let start = d.span.map(|s| index.line_col(text, s.start));
    let end = d
        .span
        .filter(|s| !s.is_empty())
        .map(|s| index.line_col(text, s.end));
    ReportDiagnostic {
        severity: d.severity,
        code: d.code.to_owned(),
        message: d.message.clone(),
        line: start.map(|p| p.line),
        column: start.map(|p| p.column),
        end_line: end.map(|p| p.line),
        end_column: end.map(|p| p.column),
        help: d.help.clone(),
    }
}

fn summarize(rules: &[RuleReport], other_files: usize) -> Summary {
    let mut validation = StatusCounts::default();
    let mut unit = StatusCounts::default();
    let mut integration = StatusCounts::default();
    let mut diagnostics = SeverityCounts::default();
    for rule in rules {
        validation.add(rule.validation.status);
        unit.add(rule.unit.status);
        integration.add(rule.integration.status);
        for d in &rule.validation.diagnostics {
            diagnostics.add(d.severity);
        }
    }
    Summary {
        rules: rules.len(),
        gate: GateResult::Pass,
        validation,
        unit,
        integration,
        diagnostics,
        other_files,
    }
}
