//! Command-line interface: clap types only. `config` turns these into a
//! validated run configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  app | logscrub > clean.log                      scrub a stream with the built-in rules
  tail -f app.log | logscrub                      records go out as they arrive
  logscrub --rules my-rules/ --stats < app.log    add your own rules; summary on stderr
  logscrub check my-rules/                        validate rules and run their examples
  logscrub scan app.log                           audit: where is sensitive data? (exit 1 if any)
  logscrub rules                                  list the rules in force

Exit codes: 0 ok, 1 runtime failure, 2 usage or rule error.";

/// Scrub personal, health and credential data out of log records.
///
/// With no arguments logscrub reads records on stdin and writes them,
/// scrubbed with the built-in rules, on stdout, one line per line, in order.
///
/// Each line is detected as JSON, logfmt or plain text. Sensitive values
/// are replaced, e.g. `[REDACTED:email]`; everything else is kept byte for byte.
#[derive(Debug, Parser)]
#[command(name = "logscrub", version, about, long_about, max_term_width = 100, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate rule files and run every rule's examples.
    ///
    /// Reports every error at once as FILE:LINE:COL: rule `ID`: CAUSE and
    /// exits 2 if any is found. With no PATHS, checks the built-in rules.
    Check {
        /// Rule files or folders of *.toml files to check (with the built-ins
        /// unless --no-default-rules).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// List the rules in force: id, category, detector and origin.
    Rules {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Audit files (or stdin) for sensitive data without changing them.
    ///
    /// Prints, per rule and category, how many values were found and on
    /// which lines (FILE:LINE), never the values. Exit code 1 when anything
    /// was found, 0 when clean, 2 on usage errors.
    Scan {
        /// Files to read; none or `-` reads stdin.
        paths: Vec<PathBuf>,
        /// Line numbers listed per rule.
        #[arg(long, value_name = "N", default_value_t = 20)]
        max_locations: usize,
        /// Lines longer than this are counted as over the limit and skipped.
        #[arg(long, value_name = "BYTES", default_value_t = crate::engine::DEFAULT_MAX_LINE_BYTES)]
        max_line_bytes: usize,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Which rules to load.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Add rule files or folders (repeatable). A rule with the id of a
    /// built-in rule replaces it; `enabled = false` switches it off.
    #[arg(long = "rules", value_name = "PATH", global = true)]
    pub rules: Vec<PathBuf>,

    /// Do not load the built-in rule packs.
    #[arg(long, global = true)]
    pub no_default_rules: bool,

    /// File holding the secret key for `pseudonym` actions (HMAC-SHA256).
    /// The LOGSCRUB_HMAC_KEY environment variable is used when not given.
    #[arg(long, value_name = "PATH", global = true)]
    pub hmac_key_file: Option<PathBuf>,
}

/// How to run the filter.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N", env = "LOGSCRUB_THREADS")]
    pub threads: Option<usize>,

    /// Records longer than this many bytes are replaced by
    /// `[REDACTED:oversize-record]` and counted; they are never passed on.
    #[arg(long, value_name = "BYTES", default_value_t = crate::engine::DEFAULT_MAX_LINE_BYTES, env = "LOGSCRUB_MAX_LINE_BYTES")]
    pub max_line_bytes: usize,

    /// Print a summary to stderr at exit: records, bytes, MB/s, redactions
    /// per rule and category. Never prints matched values.
    #[arg(long)]
    pub stats: bool,

    /// Where records come from: `-` (stdin, the default), `file:PATH`
    /// (tail a file; globs allowed), or `kafka://HOST:PORT/TOPIC?group=GROUP`.
    #[arg(long, value_name = "ENDPOINT", env = "LOGSCRUB_FROM")]
    pub from: Option<String>,

    /// Where scrubbed records go: `-` (stdout, the default), `file:PATH`
    /// (append), or `kafka://HOST:PORT/TOPIC`.
    #[arg(long, value_name = "ENDPOINT", env = "LOGSCRUB_TO")]
    pub to: Option<String>,

    /// Read settings from a TOML file; flags and LOGSCRUB_* variables win.
    #[arg(long, value_name = "PATH", env = "LOGSCRUB_CONFIG")]
    pub config: Option<PathBuf>,

    /// librdkafka setting passed through to the Kafka clients (repeatable),
    /// e.g. `-X security.protocol=SASL_SSL`.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka_settings: Vec<String>,

    /// Kafka topic that receives records which cannot be scrubbed safely
    /// (in replaced form). Without it such a record stops the run.
    #[arg(long, value_name = "TOPIC", env = "LOGSCRUB_DEAD_LETTER_TOPIC")]
    pub dead_letter_topic: Option<String>,

    /// Serve /healthz, /readyz and /metrics on this address.
    #[arg(long, value_name = "ADDR", env = "LOGSCRUB_METRICS_ADDR")]
    pub metrics_addr: Option<String>,

    /// With `--from file:`, start at the beginning of files that have no
    /// checkpoint yet (default: start at their end).
    #[arg(long)]
    pub from_beginning: bool,

    /// Checkpoint file for `--from file:` (default: PATH.logscrub-checkpoint
    /// next to the file, or DIR/.logscrub-checkpoint for a glob).
    #[arg(long, value_name = "PATH", env = "LOGSCRUB_CHECKPOINT")]
    pub checkpoint: Option<PathBuf>,

    /// Seconds to drain and flush after SIGTERM/SIGINT before exiting.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10,
        env = "LOGSCRUB_GRACE_PERIOD"
    )]
    pub grace_period: u64,

    /// Format of logscrub's own log lines on stderr: `text` or `json`.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "text",
        env = "LOGSCRUB_LOG_FORMAT"
    )]
    pub log_format: String,
}
