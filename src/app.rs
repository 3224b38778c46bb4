//! The `logscrub` command: turns parsed arguments into a run and an exit code.
//!
//! Exit codes: 0 ok (a closed stdout included), 1 runtime failure, 2 usage
//! or rule error.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command, RuleArgs, RunArgs};
use crate::config::{Endpoint, FileConfig, KafkaEndpoint};
use crate::engine::{Engine, EngineHandle, LoadOptions};
use crate::kafka::{self, consumer::OutputSpec, KafkaOptions};
use crate::metrics::Metrics;
use crate::pipeline::{self, PipelineOptions, Shutdown, Sink, Source};
use crate::rules::examples;
use crate::sidecar::ControlOptions;
use crate::sink::WriterSink;
use crate::source::tail::default_checkpoint_path;
use crate::source::ReaderSource;
use crate::source::{TailOptions, TailSource};
use crate::stats::Counts;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for a failure while running (I/O).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for bad usage or bad rules.
pub const EXIT_USAGE: i32 = 2;

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, mut cli) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Some(Command::Check { paths, rules }) => check(&rules, paths),
        Some(Command::Rules { rules }) => list_rules(&rules),
        Some(Command::Scan {
            paths,
            max_locations,
            max_line_bytes,
            rules,
        }) => crate::scan::run(&rules, &paths, max_locations, max_line_bytes),
        None => {
            if let Some(path) = cli.run.config.clone() {
                let given = |id: &str| {
                    matches!(
                        matches.value_source(id),
                        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                    )
                };
                let applied = FileConfig::load(&path)
                    .and_then(|fc| fc.apply(&mut cli.rules, &mut cli.run, &given));
                if let Err(e) = applied {
                    return usage(&e);
                }
            }
            filter(&cli.rules, &cli.run)
        }
    }
}

/// Builds [`LoadOptions`] from the rule flags; errors are usage errors.
pub fn load_options(args: &RuleArgs, max_line_bytes: usize) -> Result<LoadOptions, String> {
    let hmac_key = match &args.hmac_key_file {
        Some(path) => Some(read_key(path)?),
        None => std::env::var_os("LOGSCRUB_HMAC_KEY").map(|k| k.into_encoded_bytes()),
    };
    if hmac_key.as_ref().is_some_and(|k| k.len() < 16) {
        return Err("the HMAC key is shorter than 16 bytes; use at least 32 random bytes".into());
    }
    Ok(LoadOptions {
        builtin: !args.no_default_rules,
        paths: args.rules.clone(),
        hmac_key,
        max_line_bytes,
    })
}

fn read_key(path: &Path) -> Result<Vec<u8>, String> {
    let mut key = std::fs::read(path)
        .map_err(|e| format!("cannot read --hmac-key-file {}: {e}", path.display()))?;
    while key.last().is_some_and(|b| b.is_ascii_whitespace()) {
        key.pop();
    }
    Ok(key)
}

/// Loads the engine or prints why not (exit code 2).
pub fn load_engine(opts: &LoadOptions) -> Result<Engine, i32> {
    Engine::load(opts).map_err(|errors| {
        eprintln!("{errors}");
        eprintln!(
            "logscrub: {} rule error(s); fix them and run `logscrub check` to verify",
            errors.0.len()
        );
        EXIT_USAGE
    })
}

fn check(args: &RuleArgs, paths: Vec<std::path::PathBuf>) -> i32 {
    let mut args = args.clone();
    args.rules.extend(paths);
    let opts = match load_options(&args, crate::engine::DEFAULT_MAX_LINE_BYTES) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let engine = match load_engine(&opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let report = examples::run_all(&engine, &opts);
    for failure in &report.failures {
        eprintln!("{failure}");
    }
    println!(
        "{} rules, {} examples, {} failed",
        engine.rules().len(),
        report.examples,
        report.failures.len()
    );
    if report.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_USAGE
    }
}

fn list_rules(args: &RuleArgs) -> i32 {
    let opts = match load_options(args, crate::engine::DEFAULT_MAX_LINE_BYTES) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let engine = match load_engine(&opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut out = io::stdout().lock();
    for info in engine.rules() {
        if writeln!(
            out,
            "{:<32} {:<20} {:<9} {}",
            info.id, info.category, info.detector, info.origin
        )
        .is_err()
        {
            break;
        }
    }
    EXIT_OK
}

fn usage(message: &str) -> i32 {
    eprintln!("logscrub: {message}");
    EXIT_USAGE
}

/// The default mode: a filter from input to output.
fn filter(rule_args: &RuleArgs, run: &RunArgs) -> i32 {
    // Sidecar mode (file tailing or endpoints) logs from `info` up; the pipe
    // filter only logs errors.
    let tailing = run.from.as_deref().is_some_and(|f| f.starts_with("file:"));
    let consuming = run
        .from
        .as_deref()
        .is_some_and(|f| f.starts_with("kafka://"));
    let service = tailing || consuming || run.metrics_addr.is_some();
    if let Err(e) = crate::sidecar::init_logging(&run.log_format, service) {
        return usage(&e);
    }
    let shutdown = Shutdown::new();
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(AtomicBool::new(false));
    let opts = match load_options(rule_args, run.max_line_bytes) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    if run.threads == Some(0) {
        return usage("--threads must be at least 1");
    }
    let engine = match load_engine(&opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let popts = PipelineOptions {
        threads: run.threads.unwrap_or(PipelineOptions::default().threads),
        ..PipelineOptions::default()
    };
    let (from, to) = match (
        Endpoint::parse(run.from.as_deref()),
        Endpoint::parse(run.to.as_deref()),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) => return usage(&format!("--from: {e}")),
        (_, Err(e)) => return usage(&format!("--to: {e}")),
    };
    if let Endpoint::Kafka(k) = &from {
        let control = ControlOptions {
            metrics_addr: run.metrics_addr.clone(),
            signals: true,
            grace: Duration::from_secs(run.grace_period),
            load: opts.clone(),
        };
        return kafka_filter(k, &to, run, engine, control, metrics, ready, shutdown);
    }
    let mut source: Box<dyn Source> = match &from {
        Endpoint::Std => Box::new(ReaderSource::new(
            io::stdin(),
            popts.batch_bytes,
            opts.max_line_bytes,
        )),
        Endpoint::File(pattern) => {
            let tail = TailOptions {
                pattern: pattern.clone(),
                checkpoint: run
                    .checkpoint
                    .clone()
                    .unwrap_or_else(|| default_checkpoint_path(pattern)),
                from_beginning: run.from_beginning,
                poll: std::time::Duration::from_millis(100),
                batch_bytes: popts.batch_bytes,
                max_line_bytes: opts.max_line_bytes,
            };
            match TailSource::new(tail, shutdown.clone(), Some(metrics.clone())) {
                Ok(s) => Box::new(s),
                Err(e) => return usage(&format!("--from {}: {e}", pattern.display())),
            }
        }
        Endpoint::Kafka(_) => unreachable!("handled by kafka_filter"),
    };
    let mut sink: Box<dyn Sink> = match &to {
        Endpoint::Std => Box::new(WriterSink::new(io::stdout().lock())),
        Endpoint::File(path) => match File::options().create(true).append(true).open(path) {
            Ok(f) => Box::new(WriterSink::new(f)),
            Err(e) => return usage(&format!("cannot open output {}: {e}", path.display())),
        },
        Endpoint::Kafka(k) => {
            let sink = kafka_options(run, opts.max_line_bytes).and_then(|ko| {
                kafka::producer::KafkaSink::new(&k.brokers, &k.topic, &ko.settings, metrics.clone())
            });
            match sink {
                Ok(s) => Box::new(s),
                Err(e) => return usage(&e),
            }
        }
    };
    let started = Instant::now();
    let handle = EngineHandle::new(engine.clone());
    if service {
        let control = ControlOptions {
            metrics_addr: run.metrics_addr.clone(),
            signals: tailing,
            grace: std::time::Duration::from_secs(run.grace_period),
            load: opts.clone(),
        };
        let started = crate::sidecar::start(
            control,
            handle.clone(),
            metrics.clone(),
            ready.clone(),
            shutdown.clone(),
        );
        if let Err(e) = started {
            return usage(&e);
        }
    }
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    let observed = service.then_some(&*metrics);
    let result = pipeline::run(&handle, source.as_mut(), sink.as_mut(), &popts, observed);
    if shutdown.is_triggered() {
        tracing::info!("drained and checkpointed; exiting");
    }
    let code = match &result {
        Ok(_) => EXIT_OK,
        Err(e) if e.is_closed_output() => EXIT_OK,
        Err(e) => {
            eprintln!("logscrub: {e}");
            EXIT_FAILURE
        }
    };
    if run.stats {
        if let Ok(counts) = &result {
            print_stats(&engine, counts, started.elapsed().as_secs_f64());
        }
    }
    code
}

/// Kafka settings from the flags (and config file).
fn kafka_options(run: &RunArgs, max_line_bytes: usize) -> Result<KafkaOptions, String> {
    Ok(KafkaOptions {
        settings: kafka::Settings::parse(&run.kafka_settings)?,
        dead_letter_topic: run.dead_letter_topic.clone(),
        max_line_bytes,
        grace_period: Duration::from_secs(run.grace_period.max(1)),
    })
}

/// `--from kafka://`: a consumer-group member until SIGTERM/SIGINT. The
/// sidecar control (signals, SIGHUP reload, /metrics) runs beside it.
#[allow(clippy::too_many_arguments)]
fn kafka_filter(
    from: &KafkaEndpoint,
    to: &Endpoint,
    run: &RunArgs,
    engine: Engine,
    control: ControlOptions,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
    shutdown: Shutdown,
) -> i32 {
    let kopts = match kafka_options(run, control.load.max_line_bytes) {
        Ok(k) => k,
        Err(e) => return usage(&e),
    };
    let output = match to {
        Endpoint::Std => OutputSpec::Writer(Box::new(io::stdout())),
        Endpoint::File(path) => match File::options().create(true).append(true).open(path) {
            Ok(f) => OutputSpec::Writer(Box::new(f)),
            Err(e) => return usage(&format!("cannot open output {}: {e}", path.display())),
        },
        Endpoint::Kafka(k) => OutputSpec::Topic {
            brokers: k.brokers.clone(),
            topic: k.topic.clone(),
        },
    };
    let started = Instant::now();
    let handle = EngineHandle::new(engine.clone());
    if let Err(e) = crate::sidecar::start(
        control,
        handle.clone(),
        metrics.clone(),
        ready.clone(),
        shutdown.clone(),
    ) {
        return usage(&e);
    }
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    match kafka::consumer::run(from, output, &kopts, &handle, metrics, shutdown) {
        Ok(counts) => {
            if run.stats {
                print_stats(&engine, &counts, started.elapsed().as_secs_f64());
            }
            EXIT_OK
        }
        Err(kafka::consumer::RunError::Usage(e)) => usage(&e),
        Err(kafka::consumer::RunError::Failure(e)) => {
            eprintln!("logscrub: {e}");
            EXIT_FAILURE
        }
    }
}

/// Writes the `--stats` summary to stderr: counts only, never values.
pub fn print_stats(engine: &Engine, c: &Counts, secs: f64) {
    let mb = c.bytes_in as f64 / 1e6;
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "logscrub: {} records, {} bytes in, {} bytes out, {:.3} s, {:.1} MB/s",
        c.records,
        c.bytes_in,
        c.bytes_out,
        secs,
        if secs > 0.0 { mb / secs } else { 0.0 }
    );
    let _ = writeln!(err, "logscrub: {} records redacted, {} redactions, {} dropped, {} format fallbacks, {} oversize", c.redacted_records, c.redactions(), c.dropped, c.fallbacks, c.oversize);
    let mut by_category: std::collections::BTreeMap<&str, u64> = Default::default();
    for (info, &n) in engine.rules().iter().zip(&c.per_rule) {
        if n > 0 {
            let _ = writeln!(err, "logscrub: rule {} ({}): {n}", info.id, info.category);
            *by_category.entry(info.category.as_str()).or_default() += n;
        }
    }
    for (cat, n) in by_category {
        let _ = writeln!(err, "logscrub: category {cat}: {n}");
    }
}
