//! Commands and their typed arguments.

use rulecheck_core::Span;

use super::{CommandOption, Expr, Pipeline, RawArg, SearchExpr, Word};

/// One command of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name as written; `None` for the implicit `search` at the
    /// start of a query.
    pub name: Option<Word>,
    /// What the command does, with its arguments.
    pub kind: CommandKind,
    /// The command, name and arguments.
    pub span: Span,
}

/// The commands rulecheck knows the syntax of, and a generic form for every
/// other command.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CommandKind {
    /// `search` (explicit or implicit); `None` when it has no terms.
    Search(Option<SearchExpr>),
    /// `where <expr>`.
    Where(Expr),
    /// `eval a=…, b=…`.
    Eval(Eval),
    /// `stats`, `eventstats`, `streamstats`.
    Stats(Stats),
    /// `tstats`.
    Tstats(Tstats),
    /// `table`.
    Table(Table),
    /// `fields`.
    Fields(Fields),
    /// `rename`.
    Rename(Rename),
    /// `rex`.
    Rex(Rex),
    /// `regex`.
    Regex(Regex),
    /// `bin` / `bucket`.
    Bin(Bin),
    /// `dedup`.
    Dedup(Dedup),
    /// `sort`.
    Sort(Sort),
    /// `head`.
    Head(Head),
    /// `tail`.
    Tail(Head),
    /// `fillnull`.
    Fillnull(Fillnull),
    /// `convert`.
    Convert(Convert),
    /// `lookup`.
    Lookup(Lookup),
    /// `inputlookup`.
    Inputlookup(Inputlookup),
    /// `makemv`.
    Makemv(Makemv),
    /// `mvexpand`.
    Mvexpand(Mvexpand),
    /// `spath`.
    Spath(Spath),
    /// `join`.
    Join(Join),
    /// `append`.
    Append(Append),
    /// `| from datamodel …`.
    From(From),
    /// Any other command: its arguments as written.
    Generic(Vec<RawArg>),
}

/// `eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    /// The assignments, in order.
    pub assignments: Vec<EvalAssignment>,
}

/// `field = expr` in `eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalAssignment {
    /// The destination field.
    pub field: Word,
    /// The value.
    pub expr: Expr,
}

/// Which statistics command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFlavor {
    /// `stats`: one row per group.
    Stats,
    /// `eventstats`: the statistics added to every event.
    EventStats,
    /// `streamstats`: running statistics.
    StreamStats,
}

/// `stats`, `eventstats` and `streamstats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Which command.
    pub flavor: StatsFlavor,
    /// Options such as `window=5` or `allnum=t`.
    pub options: Vec<CommandOption>,
    /// The aggregations.
    pub aggregations: Vec<Aggregation>,
    /// The `by` fields.
    pub by: Vec<Word>,
}

/// One aggregation, such as `count`, `values(process) as processes` or
/// `count(eval(action="x")) as n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// The function as written (`count`, `dc`, `values`, `perc95`, …).
    pub function: Word,
    /// The argument, if parenthesized.
    pub arg: Option<AggArg>,
    /// The `as` name.
    pub alias: Option<Word>,
    /// The whole aggregation.
    pub span: Span,
}

/// The argument of an aggregation.
#[derive(Debug, Clone, PartialEq)]
pub enum AggArg {
    /// A field name or wildcard pattern.
    Field(Word),
    /// `eval(expr)`.
    Eval(Expr),
}

/// `tstats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tstats {
    /// Options such as `summariesonly=true`.
    pub options: Vec<CommandOption>,
    /// The aggregations.
    pub aggregations: Vec<Aggregation>,
    /// The `from` clause.
    pub from: Option<TstatsSource>,
    /// The `where` clause.
    pub filter: Option<SearchExpr>,
    /// The `by` fields.
    pub by: Vec<Word>,
    /// Options written after `by`, such as `span=1h`.
    pub by_options: Vec<CommandOption>,
}

/// The source of `tstats … from …`.
#[derive(Debug, Clone, PartialEq)]
pub enum TstatsSource {
    /// `from datamodel=Endpoint.Processes`: the data model and the dataset
    /// path inside it, as written (`Endpoint` / `Processes`).
    Datamodel {
        /// The data model name.
        model: Word,
        /// The dataset inside it, if given.
        dataset: Option<Word>,
    },
    /// Any other source (a namespace or `sid=`), as written.
    Other(Word),
}

/// `table`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The fields or wildcard patterns, in order.
    pub fields: Vec<Word>,
}

/// Whether `fields` keeps or removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsMode {
    /// `fields a b` or `fields + a b`.
    Keep,
    /// `fields - a b`.
    Remove,
}

/// `fields`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    /// Keep or remove.
    pub mode: FieldsMode,
    /// The fields or wildcard patterns.
    pub fields: Vec<Word>,
}

/// `rename`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rename {
    /// The renamings, in order.
    pub pairs: Vec<RenamePair>,
}

/// `from as to` in `rename`; both may hold the wildcard `*`.
#[derive(Debug, Clone, PartialEq)]
pub struct RenamePair {
    /// The old name or pattern.
    pub from: Word,
    /// The new name or pattern.
    pub to: Word,
}

/// What `rex` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RexMode {
    /// Extract named groups into fields.
    Extract,
    /// `mode=sed`: rewrite the field with a sed expression.
    Sed,
}

/// `rex`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rex {
    /// `field=` (default `_raw`).
    pub field: Option<Word>,
    /// Extraction or sed.
    pub mode: RexMode,
    /// The regular expression (or sed expression), SPL escapes resolved.
    pub pattern: Word,
    /// The names of the named groups `(?<name>…)` / `(?P<name>…)`.
    pub groups: Vec<String>,
    /// Other options such as `max_match=0`.
    pub options: Vec<CommandOption>,
}

/// `regex`.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    /// The field (default `_raw`).
    pub field: Option<Word>,
    /// Whether written `field!=`: keep the events that do not match.
    pub negated: bool,
    /// The regular expression, SPL escapes resolved.
    pub pattern: Word,
}

/// `bin` / `bucket`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// Options such as `span=1h`, `bins=10`.
    pub options: Vec<CommandOption>,
    /// The field (Splunk's default is `_time`).
    pub field: Option<Word>,
    /// The `as` name.
    pub alias: Option<Word>,
}

/// `dedup`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dedup {
    /// How many events to keep per combination (default 1).
    pub count: Option<Word>,
    /// The fields.
    pub fields: Vec<Word>,
    /// Options such as `keepempty=true`.
    pub options: Vec<CommandOption>,
    /// `sortby` keys.
    pub sort_by: Vec<SortKey>,
}

/// The direction of a sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// `+` or nothing.
    Ascending,
    /// `-`.
    Descending,
}

/// One key of `sort`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The field.
    pub field: Word,
    /// The direction.
    pub order: SortOrder,
    /// `num`, `str`, `ip` or `auto` when written as `num(field)`.
    pub interpretation: Option<Word>,
}

/// `sort`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// The limit (`sort 0 …`, `limit=`).
    pub limit: Option<Word>,
    /// The keys.
    pub keys: Vec<SortKey>,
    /// Whether the trailing `desc` reverses the order.
    pub descending: bool,
}

/// `head` / `tail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// The number of results (default 10).
    pub count: Option<Word>,
    /// Options such as `limit=`.
    pub options: Vec<CommandOption>,
}

/// `fillnull`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fillnull {
    /// `value=` (default `0`).
    pub value: Option<Word>,
    /// The fields (all when empty).
    pub fields: Vec<Word>,
}

/// `convert`.
#[derive(Debug, Clone, PartialEq)]
pub struct Convert {
    /// Options such as `timeformat=`.
    pub options: Vec<CommandOption>,
    /// The conversions.
    pub conversions: Vec<ConversionCall>,
}

/// `ctime(field) as name` in `convert`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionCall {
    /// The function as written.
    pub function: Word,
    /// The field or wildcard pattern.
    pub field: Word,
    /// The `as` name.
    pub alias: Option<Word>,
}

/// `lookup`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// Options such as `local=t`.
    pub options: Vec<CommandOption>,
    /// The lookup table name.
    pub table: Word,
    /// The input fields (`lookup_field as event_field`).
    pub inputs: Vec<LookupField>,
    /// `OUTPUT` or `OUTPUTNEW`, as written.
    pub output_mode: Option<Word>,
    /// The output fields (`lookup_field as event_field`).
    pub outputs: Vec<LookupField>,
}

/// `name [as alias]` in `lookup`.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupField {
    /// The field in the lookup table.
    pub field: Word,
    /// The field in the events, when different.
    pub alias: Option<Word>,
}

/// `inputlookup`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputlookup {
    /// Options such as `append=t`.
    pub options: Vec<CommandOption>,
    /// The lookup table name.
    pub table: Word,
    /// The `where` clause.
    pub filter: Option<SearchExpr>,
}

/// `makemv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Makemv {
    /// Options such as `delim=","` or `tokenizer=`.
    pub options: Vec<CommandOption>,
    /// The field.
    pub field: Word,
}

/// `mvexpand`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mvexpand {
    /// The field.
    pub field: Word,
    /// Options such as `limit=`.
    pub options: Vec<CommandOption>,
}

/// `spath`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spath {
    /// `input=` (default `_raw`).
    pub input: Option<Word>,
    /// `output=`.
    pub output: Option<Word>,
    /// `path=` or the positional path.
    pub path: Option<Word>,
}

/// `join`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Options such as `type=outer`, `max=0`.
    pub options: Vec<CommandOption>,
    /// The join fields.
    pub fields: Vec<Word>,
    /// The subsearch.
    pub subsearch: Pipeline,
}

/// `append`.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    /// Options such as `maxout=`.
    pub options: Vec<CommandOption>,
    /// The subsearch.
    pub subsearch: Pipeline,
}

/// `| from datamodel Endpoint.Processes` (also `datamodel=` / `datamodel:`).
#[derive(Debug, Clone, PartialEq)]
pub struct From {
    /// The kind of dataset (`datamodel`, `inputlookup`, …) as written.
    pub dataset_kind: Word,
    /// The dataset name, such as `Endpoint.Processes`.
    pub dataset: Word,
}
