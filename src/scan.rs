//! `logscrub scan`: a detect-only audit of files or stdin.
//!
//! Reads records like the filter does, runs each through a [`Scrubber`]
//! (output discarded) and compares the scrubber's per-rule counters before
//! and after, to learn which rules fired on which line. Prints counts per
//! rule and category and line numbers, never the values found.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;

use crate::app::{load_engine, load_options, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use crate::cli::RuleArgs;
use crate::engine::{Scrubber, Verdict};

/// Per rule: findings, records, and the first locations.
#[derive(Default, Clone)]
struct RuleHits {
    findings: u64,
    records: u64,
    lines: Vec<String>,
}

/// Runs the audit; exit code 1 when anything was found, 0 when clean, 2 on
/// usage errors (unreadable input included).
pub fn run(
    rule_args: &RuleArgs,
    paths: &[PathBuf],
    max_lines: usize,
    max_line_bytes: usize,
) -> i32 {
    let opts = match load_options(rule_args, max_line_bytes) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("logscrub: {e}");
            return EXIT_USAGE;
        }
    };
    let engine = match load_engine(&opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut scrubber = engine.scrubber();
    let mut hits = vec![RuleHits::default(); engine.rules().len()];
    let mut totals = Totals::default();
    let inputs: Vec<Option<&PathBuf>> = if paths.is_empty() {
        vec![None]
    } else {
        paths
            .iter()
            .map(|p| (p.as_os_str() != "-").then_some(p))
            .collect()
    };
    for input in inputs {
        let (name, reader): (String, Box<dyn BufRead>) = match input {
            None => ("<stdin>".into(), Box::new(io::stdin().lock())),
            Some(path) => match File::open(path) {
                Ok(f) => (path.display().to_string(), Box::new(BufReader::new(f))),
                Err(e) => {
                    eprintln!(
                        "logscrub: cannot read {}: {e}; check the path and permissions",
                        path.display()
                    );
                    return EXIT_USAGE;
                }
            },
        };
        let r = scan_one(
            &name,
            reader,
            &mut scrubber,
            &mut hits,
            &mut totals,
            max_lines,
            max_line_bytes,
        );
        if let Err(e) = r {
            eprintln!("logscrub: reading {name} failed: {e}");
            return EXIT_FAILURE;
        }
        totals.inputs += 1;
    }
    if report(&engine, &hits, &totals, max_lines).is_err() {
        return EXIT_OK; // stdout closed (`scan | head`)
    }
    if totals.records_found > 0 {
        1
    } else {
        EXIT_OK
    }
}

#[derive(Default)]
struct Totals {
    inputs: u64,
    records: u64,
    records_found: u64,
    oversize: u64,
}

fn scan_one(
    name: &str,
    mut reader: Box<dyn BufRead>,
    scrubber: &mut Scrubber,
    hits: &mut [RuleHits],
    totals: &mut Totals,
    max_lines: usize,
    max_line_bytes: usize,
) -> io::Result<()> {
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut before: Vec<u64> = scrubber.counts().per_rule.clone();
    let mut number = 0u64;
    while let Some(oversize) = next_line(&mut reader, &mut line, max_line_bytes)? {
        number += 1;
        totals.records += 1;
        if oversize {
            totals.oversize += 1;
            continue;
        }
        let record = line.strip_suffix(b"\r").unwrap_or(&line);
        out.clear();
        let verdict = scrubber.scrub(record, &mut out);
        let after = &scrubber.counts().per_rule;
        let mut found = verdict != Verdict::Clean;
        for (i, (&a, b)) in after.iter().zip(before.iter_mut()).enumerate() {
            if a > *b {
                found = true;
                let h = &mut hits[i];
                h.findings += a - *b;
                h.records += 1;
                if h.lines.len() < max_lines {
                    h.lines.push(format!("{name}:{number}"));
                }
                *b = a;
            }
        }
        if found {
            totals.records_found += 1;
        }
    }
    Ok(())
}

/// Reads one line without its `\n` into `line`. Returns `None` at the end,
/// `Some(true)` for a line over `max` bytes (skipped, not kept in memory).
fn next_line(reader: &mut dyn BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
    line.clear();
    let mut oversize = false;
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(oversize));
        }
        any = true;
        let (part, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], i + 1),
            None => (buf, buf.len()),
        };
        let newline = done > part.len();
        if !oversize {
            if line.len() + part.len() > max {
                oversize = true;
                line.clear();
            } else {
                line.extend_from_slice(part);
            }
        }
        reader.consume(done);
        if newline {
            return Ok(Some(oversize));
        }
    }
}

fn report(
    engine: &crate::Engine,
    hits: &[RuleHits],
    t: &Totals,
    max_lines: usize,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut by_category: std::collections::BTreeMap<&str, u64> = Default::default();
    for (info, h) in engine.rules().iter().zip(hits) {
        if h.findings == 0 {
            continue;
        }
        *by_category.entry(info.category.as_str()).or_default() += h.findings;
        let more = if h.records as usize > h.lines.len() {
            format!(" (first {max_lines} of {})", h.records)
        } else {
            String::new()
        };
        writeln!(
            out,
            "rule {} ({}): {} finding(s) in {} record(s); at {}{more}",
            info.id,
            info.category,
            h.findings,
            h.records,
            h.lines.join(", ")
        )?;
    }
    for (category, n) in by_category {
        writeln!(out, "category {category}: {n} finding(s)")?;
    }
    writeln!(
        out,
        "scanned {} input(s), {} record(s): {} with findings, {} over the line limit",
        t.inputs, t.records, t.records_found, t.oversize
    )?;
    out.flush()
}
