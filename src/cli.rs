//! Command-line interface: clap types only. `config` turns these into a
//! validated run configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Scrub personal, health and credential data out of log records.
///
/// With no arguments logscrub reads records on stdin and writes them,
/// scrubbed with the built-in rules, on stdout, one line per line, in order:
///
///     app | logscrub > clean.log
///     tail -f app.log | logscrub
///
/// Each line is detected as JSON, logfmt or plain text. Sensitive values
/// are replaced, e.g. `[REDACTED:email]`; everything else is kept byte for byte.
#[derive(Debug, Parser)]
#[command(name = "logscrub", version, about, long_about, max_term_width = 100)]
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
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Records longer than this many bytes are replaced by
    /// `[REDACTED:oversize-record]` and counted; they are never passed on.
    #[arg(long, value_name = "BYTES", default_value_t = crate::engine::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,

    /// Print a summary to stderr at exit: records, bytes, MB/s, redactions
    /// per rule and category. Never prints matched values.
    #[arg(long)]
    pub stats: bool,

    /// Input file (default: stdin).
    #[arg(long, short = 'i', value_name = "PATH")]
    pub input: Option<PathBuf>,

    /// Output file (default: stdout).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}
