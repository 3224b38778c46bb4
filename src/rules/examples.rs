//! Runs the examples written in rule files: each rule alone against its
//! `match`, `no_match` and `redact` lines. Used by `logscrub check` and by
//! `cargo test` for the built-in packs.

use std::fmt;

use crate::engine::{Engine, LoadOptions, Verdict};

/// One failed example.
#[derive(Debug)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    pub message: String,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: rule `{}`: {}", self.origin, self.rule, self.message)
    }
}

/// Outcome of running all examples.
#[derive(Debug, Default)]
pub struct ExampleReport {
    pub examples: usize,
    pub failures: Vec<ExampleFailure>,
}

/// Runs every rule's examples against an engine holding that rule alone.
pub fn run_all(engine: &Engine, _opts: &LoadOptions) -> ExampleReport {
    let mut report = ExampleReport::default();
    for (index, info) in engine.rules().iter().enumerate() {
        let single = engine.only_rule(index);
        let rule = &engine.inner.rules[index];
        let mut fail = |message: String| {
            report.failures.push(ExampleFailure {
                rule: info.id.clone(),
                origin: info.origin.clone(),
                message,
            })
        };
        let ex = &rule.examples;
        for line in &ex.matches {
            let (out, verdict) = single.scrub_to_vec(line.as_bytes());
            if verdict == Verdict::Clean || out == line.as_bytes() && verdict != Verdict::Dropped {
                fail(format!(
                    "example {line:?} should match but nothing was redacted"
                ));
            }
        }
        for line in &ex.no_match {
            let (out, verdict) = single.scrub_to_vec(line.as_bytes());
            if verdict != Verdict::Clean {
                fail(format!(
                    "example {line:?} should not match but became {:?}",
                    String::from_utf8_lossy(&out)
                ));
            }
        }
        for pair in &ex.redact {
            let (out, _) = single.scrub_to_vec(pair.input.as_bytes());
            if out != pair.output.as_bytes() {
                fail(format!(
                    "example {:?} should become {:?} but became {:?}",
                    pair.input,
                    pair.output,
                    String::from_utf8_lossy(&out)
                ));
            }
        }
        report.examples += ex.matches.len() + ex.no_match.len() + ex.redact.len();
    }
    report
}
