//! Command-line flags (raw, from clap) and their resolution into runs.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use rulecheck_core::report::{GateResult, Report};
use rulecheck_report::human::Style;
use rulecheck_runner::config::Located;
use rulecheck_runner::explain::ExplainTarget;
use rulecheck_runner::scan::ScanOptions;
use rulecheck_runner::sigma::SigmaSetup;
use rulecheck_runner::spl::SplSetup;
use rulecheck_runner::{Config, RuleFilter, RunOptions, Tiers};

/// Detection-as-code test harness: validate Sigma, Splunk ESCU and Anvilogic
/// armory rules, run them on their fixtures, and gate CI on the result.
#[derive(Debug, Parser)]
#[command(name = "rulecheck", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the validation tier (JSON Schema + semantic checks) on rule files;
    /// works on any folder of rules.
    Validate(RunArgs),
    /// Run every tier available on the repository's rules (default: the
    /// `rules` of rulecheck.toml).
    Check(RunArgs),
    /// Run the rules' tests: every tier on the given rules (what `check`
    /// does, for a few rules at the desk); `--rule` and `--tag` select.
    Test(RunArgs),
    /// Create a rule's fixture folders with template events built from the
    /// fields the rule uses (existing files are left alone).
    New(NewArgs),
    /// Write the JSON Schemas of the rule formats, the configuration and the
    /// report.
    Schema(SchemaArgs),
    /// Stream events through Sigma and SPL rules and print one alert per
    /// match (backtesting and hunting over real logs).
    Scan(ScanArgs),
    /// Show why a rule does or does not fire on one event: for Sigma, each
    /// selection and field test with the event's value and the rule line;
    /// for SPL, each stage's row count and each predicate's result.
    Explain(ExplainArgs),
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Rule files or folders.
    #[arg(long, value_name = "PATH", required = true, num_args = 1..)]
    rules: Vec<PathBuf>,
    /// Event files: JSON lines, a JSON array, or one JSON object.
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    events: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Jsonl)]
    format: ScanFormat,
    /// Write the alerts to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Do not apply the logsource mapping: every rule sees every event (for
    /// events already filtered to the rules' log source).
    #[arg(long)]
    no_logsource: bool,
    /// The configuration file (default: rulecheck.toml in the current folder
    /// or its ancestors; it names the logsource mapping and placeholders).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The rule file (Sigma, ESCU or armory).
    rule: PathBuf,
    /// The events file, with `:N` for its N-th record (default: the first).
    #[arg(value_name = "EVENTS[:N]")]
    events: String,
    /// Do not apply the logsource mapping.
    #[arg(long)]
    no_logsource: bool,
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScanFormat {
    /// One JSON object per alert and line.
    Jsonl,
    /// One JSON array of every alert.
    Json,
    /// One line per alert for people.
    Human,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Rule files or folders (default: the `rules` of rulecheck.toml).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The configuration file (default: rulecheck.toml in the current folder
    /// or its ancestors).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// An ATT&CK `techniques.tsv` (from scripts/attack-table.py) to use
    /// instead of the embedded ATT&CK v18.1 table.
    #[arg(long, value_name = "FILE")]
    attack_data: Option<PathBuf>,
    /// Threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// List every rule, also those with nothing to report.
    #[arg(short, long)]
    verbose: bool,
    /// Only the rule with this id (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Only rules with this ATT&CK tag: `attack.t1218` (with its
    /// sub-techniques) or a tactic such as `attack.defense-evasion`
    /// (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// The rule file.
    rule: PathBuf,
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Write the schemas into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "check")]
    write: Option<PathBuf>,
    /// Exit 1 if the schemas in DIR differ from the generated ones.
    #[arg(long, value_name = "DIR")]
    check: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Run the command line; the exit code says whether the gate passed.
pub(crate) fn main() -> Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    match cli.command {
        Command::Validate(args) => run(&args, Tiers::Validation),
        Command::Check(args) | Command::Test(args) => run(&args, Tiers::All),
        Command::New(args) => new(&args),
        Command::Schema(args) => schema(&args),
        Command::Scan(args) => scan(&args),
        Command::Explain(args) => explain(&args),
    }
}

fn locate_config(config: Option<&PathBuf>) -> Result<Located> {
    if let Some(file) = config {
        return Ok(Located {
            config: Config::read(file)?,
            root: file
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_owned),
            file: Some(file.clone()),
        });
    }
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let mut located = Config::discover(&cwd)?;
    // Report paths relative to where the user is.
    located.root = relative_to(&located.root, &cwd);
    Ok(located)
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let located = locate_config(args.config.as_ref())?;
    let setup = SigmaSetup::from_config(&located.config, &located.root)?;
    let spl = SplSetup::from_config(&located.config, &located.root)?;
    let options = ScanOptions {
        rules: args.rules.clone(),
        events: args.events.clone(),
        apply_logsource: !args.no_logsource,
        root: located.root.clone(),
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut all = Vec::new();
    let mut write_error = None;
    let summary = rulecheck_runner::scan::scan(&located.config, &options, &setup, &spl, |alert| {
        let result = match args.format {
            ScanFormat::Jsonl => serde_json::to_string(&alert)
                .map_err(std::io::Error::from)
                .and_then(|line| writeln!(out, "{line}")),
            ScanFormat::Human => writeln!(out, "{}", alert.human()),
            ScanFormat::Json => {
                all.push(alert);
                Ok(())
            }
        };
        if let Err(e) = result {
            write_error.get_or_insert(e);
        }
    })?;
    if let ScanFormat::Json = args.format {
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    }
    match write_error {
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    let _ = out.flush();
    for problem in &summary.problems {
        eprintln!("rulecheck: {problem}");
    }
    for note in &summary.not_evaluated {
        eprintln!("rulecheck: not evaluated: {note}");
    }
    eprintln!(
        "rulecheck: {} rules, {} events, {} alerts{}",
        summary.rules,
        summary.events,
        summary.alerts,
        if summary.problems.is_empty() {
            String::new()
        } else {
            format!(", {} problems", summary.problems.len())
        }
    );
    Ok(if summary.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain(args: &ExplainArgs) -> Result<ExitCode> {
    let located = locate_config(args.config.as_ref())?;
    let setup = SigmaSetup::from_config(&located.config, &located.root)?;
    let spl = SplSetup::from_config(&located.config, &located.root)?;
    let target = ExplainTarget::parse(&args.events);
    match rulecheck_runner::explain::explain(&args.rule, &target, &setup, &spl, !args.no_logsource)
    {
        Ok(explanation) => {
            print!("{}", explanation.text);
            Ok(if explanation.matched {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(message) => {
            eprintln!("rulecheck: {message}");
            Ok(ExitCode::from(2))
        }
    }
}

fn locate(args: &RunArgs) -> Result<Located> {
    let mut located = locate_config(args.config.as_ref())?;
    if let Some(table) = &args.attack_data {
        let absolute = std::path::absolute(table).context("cannot resolve --attack-data")?;
        located.config.attack.data = Some(absolute.to_string_lossy().into_owned());
    }
    Ok(located)
}

/// `dir` relative to `cwd` when one contains the other (`.`, `rules`,
/// `../..`); `dir` itself otherwise.
fn relative_to(dir: &Path, cwd: &Path) -> PathBuf {
    if let Ok(below) = dir.strip_prefix(cwd) {
        return if below.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            below.to_owned()
        };
    }
    match cwd.strip_prefix(dir) {
        Ok(above) => above.components().map(|_| "..").collect(),
        Err(_) => dir.to_owned(),
    }
}

fn run(args: &RunArgs, tiers: Tiers) -> Result<ExitCode> {
    let located = locate(args)?;
    let paths = if args.paths.is_empty() {
        if tiers == Tiers::Validation && located.file.is_none() {
            bail!(
                "no PATH given and no rulecheck.toml found: name the rule files or folders to validate"
            );
        }
        located
            .config
            .rules
            .iter()
            .map(|p| join(&located.root, p))
            .collect()
    } else {
        args.paths.clone()
    };
    let options = RunOptions {
        paths,
        root: located.root.clone(),
        tiers,
        jobs: args.jobs,
        filter: RuleFilter {
            ids: args.rules.clone(),
            tags: args.tags.clone(),
        },
    };
    let report = with_progress(args, |progress| {
        rulecheck_runner::run_observed(&located.config, &options, progress)
    })?;
    emit(&report, args)?;
    Ok(match report.summary.gate {
        GateResult::Pass => ExitCode::SUCCESS,
        GateResult::Fail => ExitCode::from(1),
    })
}

fn join(root: &Path, path: &str) -> PathBuf {
    if root == Path::new(".") {
        PathBuf::from(path)
    } else {
        root.join(path)
    }
}

/// Run `work` with a progress bar on a terminal for runs that last over a
/// second; none in CI, when output is not a terminal, or with
/// `--no-progress`.
fn with_progress<T>(args: &RunArgs, work: impl FnOnce(&(dyn Fn(usize, usize) + Sync)) -> T) -> T {
    let wanted =
        !args.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = indicatif::ProgressBar::hidden();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rule files")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let start = std::time::Instant::now();
    let shown = std::sync::atomic::AtomicBool::new(false);
    let result = work(&|done, total| {
        if !wanted {
            return;
        }
        if !shown.load(std::sync::atomic::Ordering::Relaxed)
            && start.elapsed() > std::time::Duration::from_secs(1)
        {
            shown.store(true, std::sync::atomic::Ordering::Relaxed);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    result
}

fn new(args: &NewArgs) -> Result<ExitCode> {
    let located = locate_config(args.config.as_ref())?;
    let done = rulecheck_runner::scaffold::scaffold(&args.rule, &located.config, &located.root)?;
    for file in &done.created {
        println!("created {}", file.display());
    }
    for file in &done.kept {
        println!("kept    {} (already there)", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn emit(report: &Report, args: &RunArgs) -> Result<()> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let style = Style {
        color,
        verbose: args.verbose || report.rules.len() <= 50,
        ..Style::default()
    };
    let format = match args.format {
        OutputFormat::Human => rulecheck_report::Format::Human,
        OutputFormat::Json => rulecheck_report::Format::Json,
    };
    let text = rulecheck_report::render(report, format, &style);
    if let Some(path) = &args.output {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e.into());
        }
    }
    Ok(())
}

fn schema(args: &SchemaArgs) -> Result<ExitCode> {
    let schemas = rulecheck_runner::schemas::all();
    if let Some(dir) = &args.write {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, schema) in &schemas {
            let path = dir.join(name);
            std::fs::write(&path, rulecheck_runner::schemas::render(schema))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.check {
        let mut stale = Vec::new();
        for (name, schema) in &schemas {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref()
                != Some(rulecheck_runner::schemas::render(schema).as_str())
            {
                stale.push(path.display().to_string());
            }
        }
        if stale.is_empty() {
            println!("{} schemas are up to date", schemas.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "stale schemas (run `rulecheck schema --write {}`): {}",
            dir.display(),
            stale.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    let all: serde_json::Map<String, serde_json::Value> = schemas
        .into_iter()
        .map(|(n, s)| (n.to_owned(), s))
        .collect();
    println!("{}", serde_json::to_string_pretty(&all)?);
    Ok(ExitCode::SUCCESS)
}
