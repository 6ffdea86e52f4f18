//! Command-line definitions (clap) only.

use crate::model::address::Selector;
use crate::model::Address;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Stand up and keep in shape an Amazon Data Firehose pipeline from a declarative stack.toml.
#[derive(Debug, Parser)]
#[command(name = "provision", version, about)]
pub struct Cli {
    /// The stack file.
    #[arg(short = 'f', long = "file", global = true, default_value = "stack.toml")]
    pub file: PathBuf,
    /// Override a variable of [variables]: NAME=VALUE (repeatable; wins over --var-file).
    #[arg(long = "var", global = true, value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A TOML file of variable values (NAME = "value"), e.g. per environment (repeatable).
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// The project's directory: module sources must resolve inside it, and the interpreter
    /// preview runs a handler with is never looked up in it (default: the stack file's directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// AWS endpoint for every service (a local emulator); also read from AWS_ENDPOINT_URL.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// How many changes run at once in each location (account and Region): every call is paced
    /// by its API's quota, so this bounds the work in flight, not the rate (reads are not
    /// bounded by it).
    #[arg(long, global = true, default_value_t = 100)]
    pub parallelism: usize,
    /// Raise (or lower) the pace of an AWS API, for accounts with raised quotas:
    /// SERVICE[.ACTION]=N requests per second, e.g. Firehose.DescribeDeliveryStream=20; 0 = unpaced.
    #[arg(long = "api-rate", global = true, value_name = "SERVICE[.ACTION]=N", value_parser = crate::aws::pacing::parse_override, env = "PROVISION_API_RATES", value_delimiter = ',')]
    pub api_rates: Vec<(String, f64)>,
    /// How long apply, destroy and import wait for a stack lock held by another run (e.g. 30s,
    /// 5m); 0 fails at once.
    #[arg(long, global = true, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// More detail on stderr.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Only errors and the final result.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Plans as one line per change (attribute names, no values), under a heading per module
    /// instance with its counts; `apply PLANFILE` shows a plan so, as it was reviewed already.
    #[arg(long, global = true)]
    pub compact: bool,
    /// Refuse to run code from the stack (a function's handler, a jq query) unless every
    /// protection of preview's sandbox holds on this system (for CI on pull requests).
    #[arg(long, global = true, env = "PROVISION_REQUIRE_SANDBOX", value_parser = clap::builder::BoolishValueParser::new())]
    pub require_sandbox: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check stack.toml offline: no credentials, no network.
    Validate,
    /// Show what apply would change. Never writes to AWS.
    Plan {
        /// Exit 0 when there are no changes, 2 when there are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Print the plan as one JSON document.
        #[arg(long)]
        json: bool,
        /// Save the plan, to apply exactly it later with `provision apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Plan the deletion of everything the stack owns (what `destroy` would do).
        #[arg(long)]
        destroy: bool,
        #[command(flatten)]
        select: Select,
    },
    /// Make live AWS match stack.toml (or apply a saved plan, without asking).
    Apply {
        /// A plan saved with `plan --out`; refused if stack.toml or live AWS changed since.
        planfile: Option<PathBuf>,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        #[command(flatten)]
        select: Select,
    },
    /// Delete every resource the stack owns.
    Destroy {
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// Only this resource and what depends on it (repeatable): the rest stays.
        #[arg(long, value_name = "ADDRESS", value_parser = selector)]
        target: Vec<Selector>,
    },
    /// Adopt an existing resource of the wanted name that no stack owns (tags it as this stack's).
    Import {
        /// The resource's address in stack.toml, e.g. bucket.data.
        #[arg(value_parser = address)]
        address: Address,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Stop managing a resource without deleting it: its ownership tags are removed, nothing
    /// else changes (Terraform's `removed` block / `state rm`).
    Forget {
        /// The resource's address, e.g. bucket.data (declared in stack.toml or not).
        #[arg(value_parser = address)]
        address: Address,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Names and ARNs of the stack's resources; with an address, one resource's ARN.
    Output {
        /// A resource (`firehose.events`: its ARN; `firehose.events.name`: its name), or a module
        /// instance (`'module.tenant[acme]'`: its resources).
        #[arg(value_parser = output_name)]
        name: Option<crate::model::address::OutputName>,
        /// Print one JSON document.
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// Print the value alone, for scripts (needs NAME).
        #[arg(long, requires = "name")]
        raw: bool,
    },
    /// A saved plan as text (or `--json`); without a file, the stack's resources as they live.
    Show {
        /// A plan saved with `plan --out`.
        planfile: Option<PathBuf>,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The plan's resources and dependency edges as a Graphviz DOT graph (`| dot -Tsvg`).
    Graph {
        /// The graph of `plan --destroy`.
        #[arg(long)]
        destroy: bool,
    },
    /// Break the stack's lock, left by a run that was killed.
    Unlock,
    /// Print the JSON Schema of stack.toml (for editors; also in stack.schema.json).
    Schema,
    /// Show where every record would land, offline: the stream's processors (the Lambda run
    /// locally), partition keys, prefixes, error prefixes and why. No AWS call, no credentials.
    Preview {
        /// The stream, e.g. firehose.events, or a module instance holding one
        /// (`'module.tenant[acme]'`); default: the stack's only stream.
        #[arg(value_parser = selector)]
        address: Option<Selector>,
        /// A JSON Lines file: one record's data per line (default: generated sample records).
        #[arg(long, value_name = "FILE")]
        records: Option<PathBuf>,
        /// How many sample records to generate, at most 1,000,000 (a bound on the run's time: they are generated and previewed as they stream, never held in memory).
        #[arg(long, default_value_t = 100, conflicts_with = "records", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        count: u64,
        /// Seed of the generated records (the same seed, the same records).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Arrival time of the records: RFC 3339 or seconds since 1970 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Records per second, to estimate active partitions per buffer interval.
        #[arg(long, value_name = "R", value_parser = parse_rate)]
        rate: Option<f64>,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
        /// Print the records' columns and their Athena types, as a `[table.NAME]` takes them
        /// (`columns = { ... }`), inferred from the records instead of previewing them.
        #[arg(long, conflicts_with_all = ["json", "rate"])]
        columns: bool,
    },
    /// Send records to a stream with PutRecordBatch: the sample's data, or a JSON Lines file.
    Send {
        /// The stream, e.g. firehose.events, or a module instance holding one
        /// (`'module.tenant[acme]'`); default: the stack's only stream.
        #[arg(value_parser = selector)]
        address: Option<Selector>,
        /// How many sample records; -1 sends until Ctrl-C.
        #[arg(long, default_value_t = 100, allow_hyphen_values = true)]
        count: i64,
        /// Records per second, exactly (default: the stream's Direct PUT quota, adapting to throttling).
        #[arg(long, value_name = "R", value_parser = parse_rate)]
        rate: Option<f64>,
        /// A JSON Lines file: one record's data per line.
        #[arg(long, value_name = "FILE")]
        records: Option<PathBuf>,
        /// Seed of the generated records.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print the records instead of sending them (offline).
        #[arg(long)]
        dry_run: bool,
        /// PutRecordBatch calls in flight at once (default: enough for the pace, at least 2).
        #[arg(long, value_name = "N")]
        in_flight: Option<usize>,
        /// Send again the records of a call whose outcome is unknown (an answer lost, a 5xx):
        /// Firehose cannot deduplicate, so they may be stored twice (reported as such).
        #[arg(long)]
        resend_unknown: bool,
    },
    /// Check delivery: objects, bytes and records per partition, error objects with their
    /// reasons, and the stream's delivery log.
    Verify {
        /// The stream, e.g. firehose.events, or a module instance holding one
        /// (`'module.tenant[acme]'`); default: the stack's only stream.
        #[arg(value_parser = selector)]
        address: Option<Selector>,
        /// Only objects written since this time (RFC 3339 or seconds since 1970).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Wait up to this many seconds for records to arrive (Firehose delivers after its buffer
        /// interval); at most a day.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=86_400))]
        wait: Option<u64>,
        /// Compare with the preview of these records (the JSON Lines file that was sent).
        #[arg(long, value_name = "FILE")]
        records: Option<PathBuf>,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Print the logs of the stack's functions and the delivery errors of its streams, escaped.
    Logs {
        /// A function or stream, e.g. lambda.extractor (default: every function and stream).
        #[arg(value_parser = selector)]
        address: Option<Selector>,
        /// Keep printing new events until Ctrl-C.
        #[arg(long)]
        follow: bool,
        /// Events since this long ago (e.g. 30s, 10m, 2h; at most a day).
        #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
        since: std::time::Duration,
    },
    /// The health of the stack's streams: state, records in and delivered, delivery success,
    /// freshness, throttling, active partitions, processing and conversion failures, alarms in
    /// ALARM. Exit 0 when healthy, 2 when a stream is not ACTIVE or an alarm is in ALARM.
    Status {
        /// Streams or module instances (`firehose.events`, `module.tenant[acme]`; default: all).
        #[arg(value_parser = selector)]
        addresses: Vec<Selector>,
        /// The window the metrics cover (e.g. 15m, 1h, 1d).
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
        since: std::time::Duration,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
        /// Read again every minute until Ctrl-C.
        #[arg(long)]
        watch: bool,
        /// List every alarm of the stack with its state (OK, ALARM, INSUFFICIENT_DATA), not only
        /// those in ALARM.
        #[arg(long)]
        alarms: bool,
    },
    /// On each save of stack.toml or a function's source: validate, plan, and update functions
    /// at once when only their code or environment changed (like `cdk watch`); other changes
    /// are shown as a plan for `provision apply`. Until Ctrl-C.
    Watch,
    /// The built-in jq 1.6's worker process (started by preview; not for people).
    #[command(name = "__jq-worker", hide = true)]
    JqWorker {
        #[arg(long)]
        memory_mib: u64,
        query: String,
    },
    /// Preview's worker sandbox: confines itself, then runs the worker (not for people).
    #[command(name = "__sandbox", hide = true)]
    Sandbox(crate::sandbox::Args),
    /// Print shell completions: `provision completions bash > /etc/bash_completion.d/provision`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// `--target` and `--replace`, as plan and apply take them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Select {
    /// Only this resource and what it depends on (repeatable); the plan is partial.
    #[arg(long, value_name = "ADDRESS", value_parser = selector)]
    pub target: Vec<Selector>,
    /// Replace this resource even though nothing forces it (repeatable), like Terraform's -replace.
    #[arg(long, value_name = "ADDRESS", value_parser = selector)]
    pub replace: Vec<Selector>,
}

/// An address or a part of one, checked where it is read: `kind.name`, `kind.name[KEY]`,
/// `module.NAME[KEY]`, `module.NAME[KEY].kind.name` (whether the stack has it is the plan's
/// to say).
///
/// ```
/// use provision::cli::selector;
/// assert!(selector("module.tenant[acme]").is_ok());
/// assert!(selector("firehose.events").is_ok());
/// assert!(selector("firehose").unwrap_err().contains("not an address"));
/// ```
pub fn selector(text: &str) -> Result<Selector, String> {
    match Selector::parse(text) {
        Some(selector) => Ok(selector),
        None => Err(format!(
            "not an address: write kind.name (firehose.events), kind.name[KEY], module.NAME[KEY] or module.NAME[KEY].kind.name (kinds: {})",
            crate::model::Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// One resource instance's address, parsed where clap reads it: `kind.name`, `kind.name[KEY]`,
/// `module.NAME[KEY].kind.name`.
///
/// ```
/// use provision::cli::address;
/// assert_eq!(address("module.tenant[acme].bucket.data").unwrap().to_string(), "module.tenant[acme].bucket.data");
/// assert!(address("module.tenant").unwrap_err().contains("not a resource's address"));
/// ```
pub fn address(text: &str) -> Result<Address, String> {
    Address::parse(text).ok_or_else(|| {
        format!(
            "not a resource's address: write kind.name (bucket.data), kind.name[KEY] or module.NAME[KEY].kind.name (kinds: {})",
            crate::model::Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// What `output` names, parsed where clap reads it.
pub fn output_name(text: &str) -> Result<crate::model::address::OutputName, String> {
    crate::model::address::OutputName::parse(text).ok_or_else(|| {
        "not an address: write kind.name (its ARN), kind.name.name (its name) or module.NAME[KEY] (its resources)"
            .to_string()
    })
}

/// What to say of a subcommand provision does not have: a close name when there is one (and
/// `--version` for `version`), else where the list is.
///
/// ```
/// use provision::cli::unknown_subcommand;
/// assert!(unknown_subcommand("aply").contains("`provision apply`"));
/// assert!(unknown_subcommand("version").contains("`provision --version`"));
/// assert!(unknown_subcommand("test").contains("the commands are:"));
/// assert!(!unknown_subcommand("test").contains("did you mean"));
/// ```
pub fn unknown_subcommand(typed: &str) -> String {
    use clap::CommandFactory;
    let head = format!("provision has no command `{typed}`");
    if typed == "version" {
        return format!("{head}: did you mean `provision --version`?");
    }
    let command = Cli::command();
    let names: Vec<String> =
        command.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name().to_string()).collect();
    let close = names
        .iter()
        .map(|n| (strsim::damerau_levenshtein(typed, n), n))
        .filter(|(d, n)| *d <= 2 && *d < n.len() / 2 + 1)
        .min_by_key(|(d, _)| *d);
    match close {
        Some((_, name)) => format!("{head}: did you mean `provision {name}`?"),
        None => format!("{head}; the commands are: {} (`provision --help` says what each does)", names.join(", ")),
    }
}

/// The longest `--lock-timeout` (and other waits given as durations): a day.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A duration such as `90s`, `5m`, `1h`, `250ms`, or a number of seconds; at most a day.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(provision::cli::parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(provision::cli::parse_duration("30"), Ok(Duration::from_secs(30)));
/// assert!(provision::cli::parse_duration("soon").is_err());
/// assert!(provision::cli::parse_duration("9999999h").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let text = s.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("expected a duration such as 30s, 5m or 1h, got {s:?}"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}: use ms, s, m or h")),
    };
    if !seconds.is_finite() || seconds < 0.0 || seconds > MAX_DURATION.as_secs_f64() {
        return Err(format!("{s:?} is out of range: 0 to 24h"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// Records per second: from 0.001 to 10 million.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && (0.001..=1e7).contains(&r) => Ok(r),
        _ => Err(format!("expected records per second, above 0 (from 0.001) and at most 10000000, got {s:?}")),
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
}
