//! Compilation of a parsed pipeline into a [`Search`] and its evaluation
//! over events.

mod datamodel;
mod diag;
mod exec;
mod explain;
mod expr;
mod fields;
mod functions;
mod key_column;
mod literals;
mod lookup;
mod needed;
mod pattern;
mod plan;
mod predicate;
mod prefilter;
mod pushdown;
mod stats;
mod time;
mod value;
mod views;

use std::fmt;
use std::path::PathBuf;

use rulecheck_core::Diagnostic;

pub use datamodel::{Batch, DataModels};
pub use diag::{INVALID, UNSUPPORTED};
pub use explain::{ExplainTrace, PredicateResult, StageTrace};
pub use value::{Event, EventHasher, event_from_object, event_into_object};

use crate::{Expanded, Macros, Pipeline};

/// What compiling and running a search needs from the caller.
#[derive(Debug, Clone)]
pub struct Context {
    /// "Now" in epoch seconds: `earliest=-24h`, `now()` and
    /// `relative_time` are relative to it, never to the wall clock.
    pub now: i64,
    /// Where `lookup` and `inputlookup` find their tables (the
    /// `security_content` `lookups/` layout).
    pub lookups_dir: Option<PathBuf>,
    /// The CIM data models and normalization maps `tstats` uses.
    pub datamodels: DataModels,
}

impl Context {
    /// A context at `now` with the built-in data models and no lookups.
    #[must_use]
    pub fn new(now: i64) -> Context {
        Context {
            now,
            lookups_dir: None,
            datamodels: DataModels::builtin(),
        }
    }
}

/// A compiled search: compile once, run on many event sets.
#[derive(Debug, Clone)]
pub struct Search {
    stages: Vec<plan::StagePlan>,
    /// Whether an inner `join` with an empty subsearch skips the stages
    /// before it (always, but for [`Search::unoptimized`]).
    skip_before_empty_join: bool,
}

/// A failure of the harness while running a search (not a problem of the
/// rule, which compilation reports).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// The search has no stages.
    Empty,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Empty => f.write_str("the search has no commands"),
        }
    }
}

impl std::error::Error for RunError {}

/// Compile a parsed pipeline. Diagnostic spans point into the expanded text
/// the pipeline was parsed from; map them with [`Expanded::original_span`].
pub fn compile(pipeline: &Pipeline, ctx: &Context) -> Result<Search, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let search = compile_pipeline(pipeline, ctx, &mut errors);
    if errors.is_empty() {
        Ok(search)
    } else {
        Err(errors)
    }
}

pub(crate) fn compile_pipeline(
    pipeline: &Pipeline,
    ctx: &Context,
    errors: &mut Vec<Diagnostic>,
) -> Search {
    Search {
        stages: plan::compile_commands(&pipeline.commands, ctx, errors),
        skip_before_empty_join: true,
    }
}

/// Expand macros, parse and compile `query`; every diagnostic points into
/// `query`.
pub fn compile_str(query: &str, macros: &Macros, ctx: &Context) -> Result<Search, Vec<Diagnostic>> {
    let expanded = crate::expand(query, macros)?;
    let (pipeline, diagnostics) = crate::parse(&expanded);
    let Some(pipeline) = pipeline else {
        return Err(diagnostics);
    };
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    compile(&pipeline, ctx).map_err(|errors| remap(errors, &expanded))
}

fn remap(mut errors: Vec<Diagnostic>, expanded: &Expanded) -> Vec<Diagnostic> {
    for d in &mut errors {
        if let Some(span) = d.span {
            d.span = Some(expanded.original_span(span));
        }
    }
    errors
}

impl Search {
    /// Run the search over `events`: for a plain search the matching events
    /// (with `_time` in epoch seconds), for `stats`, `table` and the like
    /// the result rows.
    pub fn run(&self, events: &[Event], ctx: &Context) -> Result<Vec<Event>, RunError> {
        self.run_in(events, ctx, None)
    }

    /// [`Search::run`] over the events of `batch`, sharing the data model
    /// views (`tstats`) the batch computed for earlier searches: run many
    /// searches on one batch to compute each view once.
    pub fn run_batch(&self, batch: &Batch<'_>, ctx: &Context) -> Result<Vec<Event>, RunError> {
        self.run_in(batch.events(), ctx, Some(batch))
    }

    fn run_in(
        &self,
        events: &[Event],
        ctx: &Context,
        batch: Option<&Batch<'_>>,
    ) -> Result<Vec<Event>, RunError> {
        self.run_filtered(events, ctx, batch, |_| None)
    }

    /// [`Search::run_in`], its first `tstats` (over a batch) leaving out
    /// the groups that `only` (given the `tstats`'s
    /// [`plan::TstatsPlan::join_origins`]) says cannot match the other
    /// side of the `join` the search's rows go to.
    fn run_filtered(
        &self,
        events: &[Event],
        ctx: &Context,
        batch: Option<&Batch<'_>>,
        only: impl FnOnce(&[(String, usize)]) -> Option<exec::JoinFilter>,
    ) -> Result<Vec<Event>, RunError> {
        let (first, rest) = self.stages.split_first().ok_or(RunError::Empty)?;
        let origins = match &first.stage {
            plan::Stage::Tstats(t) if batch.is_some() => t.join_origins.as_slice(),
            _ => &[],
        };
        // An inner `join` leaves no rows when either side has none, so the
        // side expected to be cheaper runs first: the subsearch (as Splunk
        // runs subsearches before the main search) when its first stage has
        // a prefilter or the main search's has none, and when it finds
        // nothing the stages before the `join` are skipped; otherwise the
        // main search, and the `join` skips its subsearch when no row
        // reaches it.
        let first_inner_join = rest.iter().enumerate().find_map(|(i, s)| match &s.stage {
            plan::Stage::Join {
                kind: plan::JoinKind::Inner,
                sub,
                ..
            } => Some((i, sub)),
            _ => None,
        });
        let sub_first = |sub: &Search| sub.first_has_prefilter() || !self.first_has_prefilter();
        if let Some((at, sub)) =
            first_inner_join.filter(|(_, sub)| self.skip_before_empty_join && sub_first(sub))
        {
            let right = sub.run_in(events, ctx, batch).unwrap_or_default();
            if right.is_empty() {
                let mut rows = Vec::new();
                for stage in rest[at + 1..].iter().filter(|s| !s.dead) {
                    rows = exec::apply_in(&stage.stage, rows, events, ctx, batch);
                }
                return Ok(rows);
            }
            // The main search's groups that cannot match the subsearch's
            // rows are left out.
            let only = exec::join_filter(origins, &right);
            let mut rows = Self::first_rows(first, events, ctx, batch, only.as_ref());
            for (i, stage) in rest.iter().enumerate().filter(|(_, s)| !s.dead) {
                rows = match &stage.stage {
                    plan::Stage::Join {
                        kind, fields, max, ..
                    } if i == at => exec::join(*kind, fields, *max, rows, &right),
                    other => exec::apply_in(other, rows, events, ctx, batch),
                };
            }
            return Ok(rows);
        }
        // With an inner `join` of its own, the origins are the ones its
        // rows reach that `join` with.
        let only = if first_inner_join.is_none() {
            only(origins)
        } else {
            None
        };
        let mut rows = Self::first_rows(first, events, ctx, batch, only.as_ref());
        for stage in rest.iter().filter(|s| !s.dead) {
            rows = exec::apply_in(&stage.stage, rows, events, ctx, batch);
        }
        Ok(rows)
    }

    /// The rows of the first stage: generated (a search, `tstats`, ...) or
    /// the events themselves passed through it.
    fn first_rows(
        first: &plan::StagePlan,
        events: &[Event],
        ctx: &Context,
        batch: Option<&Batch<'_>>,
        only: Option<&exec::JoinFilter>,
    ) -> Vec<Event> {
        if let plan::Stage::Search(pred) = &first.stage {
            return exec::search(
                pred,
                first.prefilter.as_ref(),
                first.keep_fields.as_ref(),
                events,
                batch,
            );
        }
        let generated = exec::generate_in(&first.stage, events, ctx, batch, only);
        match generated {
            Some(rows) => rows,
            None => exec::apply_in(
                &first.stage,
                events.iter().map(exec::materialize).collect(),
                events,
                ctx,
                batch,
            ),
        }
    }

    /// Why the search did or did not produce results, stage by stage, with
    /// the predicates of the base search, `tstats` and `where` evaluated on
    /// `events[event_index]`.
    #[must_use]
    pub fn explain(&self, events: &[Event], ctx: &Context, event_index: usize) -> ExplainTrace {
        explain::explain(&self.stages, events, ctx, event_index)
    }

    /// The search with every optimization turned off: no prefilters (which
    /// narrow the rows [`Search::run_batch`] evaluates), no skipping of the
    /// stages before an inner `join` whose subsearch is empty, lookups
    /// that test every row of their table, `tstats` keeping whole rows, and
    /// every group of `stats` and `tstats` aggregated (no key filters).
    /// None of them changes results; this is the reference that checks so.
    #[doc(hidden)]
    #[must_use]
    pub fn unoptimized(mut self) -> Search {
        self.for_each_search(&mut |search| {
            search.skip_before_empty_join = false;
            for stage in &mut search.stages {
                stage.prefilter = None;
                stage.keep_fields = None;
                stage.dead = false;
                match &mut stage.stage {
                    plan::Stage::Tstats(plan) => {
                        plan.prefilter = None;
                        plan.reads = None;
                        plan.key_filter = None;
                        plan.join_origins.clear();
                    }
                    plan::Stage::Stats { key_filter, .. } => *key_filter = None,
                    plan::Stage::Lookup(plan) => plan.indexed = false,
                    _ => {}
                }
            }
        });
        self
    }

    /// The search without the prefilters computed at compile time only.
    #[doc(hidden)]
    #[must_use]
    pub fn without_prefilters(mut self) -> Search {
        self.for_each_search(&mut |search| {
            for stage in &mut search.stages {
                stage.prefilter = None;
                if let plan::Stage::Tstats(plan) = &mut stage.stage {
                    plan.prefilter = None;
                }
            }
        });
        self
    }

    /// Call `f` on this search and on each of its subsearches (`join`,
    /// `append`), nested ones included.
    fn for_each_search(&mut self, f: &mut impl FnMut(&mut Search)) {
        f(self);
        for stage in &mut self.stages {
            if let plan::Stage::Join { sub, .. } | plan::Stage::Append(sub) = &mut stage.stage {
                sub.for_each_search(f);
            }
        }
    }

    /// Whether the first stage of the search has a prefilter.
    fn first_has_prefilter(&self) -> bool {
        self.stages.first().is_some_and(|s| {
            s.prefilter.is_some()
                || matches!(&s.stage, plan::Stage::Tstats(t) if t.prefilter.is_some())
        })
    }

    /// Whether a stage of the search has a prefilter.
    #[doc(hidden)]
    #[must_use]
    pub fn has_prefilter(&self) -> bool {
        self.stages.iter().any(|s| {
            s.prefilter.is_some()
                || match &s.stage {
                    plan::Stage::Tstats(plan) => plan.prefilter.is_some(),
                    plan::Stage::Join { sub, .. } | plan::Stage::Append(sub) => sub.has_prefilter(),
                    _ => false,
                }
        })
    }

    /// The names of the stages, in order.
    #[must_use]
    pub fn stage_names(&self) -> Vec<&str> {
        self.stages.iter().map(|s| s.name.as_str()).collect()
    }
}
