//! A batch: many records read together, scrubbed by one worker, written together.

use std::time::Instant;

use crate::engine::{Prepared, Scrubber, Verdict};
use crate::record::decode::line_escape_kinds;
use crate::stats::Counts;

/// Runs after the batch's output was written and flushed.
pub type Ack = Box<dyn FnOnce() + Send>;

/// Reusable buffers for a run of records. Batches circulate in a fixed pool,
/// so their buffers are allocated once and reused.
pub struct Batch {
    /// Position in the stream; the writer restores this order.
    pub seq: u64,
    /// Raw records, each ending in `\n` except perhaps the last of the input.
    pub input: Vec<u8>,
    /// The records that changed, scrubbed, with their line terminators.
    output: Vec<u8>,
    /// The batch's output in order: runs of unchanged records, written
    /// straight from `input`, and runs of changed ones from `output`.
    parts: Vec<Part>,
    /// What the source wants done once the output is written (a checkpoint).
    pub ack: Option<Ack>,
    /// Counters for this batch (the source may add `oversize` itself).
    pub counts: Counts,
    /// When the source finished filling the batch, for latency metrics.
    pub started: Option<Instant>,
}

impl Batch {
    /// An empty batch whose input buffer holds `bytes` without growing.
    pub fn with_capacity(bytes: usize) -> Batch {
        Batch {
            seq: 0,
            input: Vec::with_capacity(bytes),
            output: Vec::with_capacity(bytes / 4),
            parts: Vec::new(),
            ack: None,
            counts: Counts::default(),
            started: None,
        }
    }

    /// Empties the batch for reuse as number `seq`.
    pub fn reset(&mut self, seq: u64) {
        self.seq = seq;
        self.input.clear();
        self.output.clear();
        self.parts.clear();
        self.ack = None;
        self.counts.clear();
        self.started = None;
    }

    /// Scrubs every record of `input`: one output line per input line
    /// unless a rule drops the record. Line terminators (`\n`, `\r\n`) are
    /// kept as they were. [`Batch::output_parts`] gives the result.
    pub fn scrub(&mut self, scrubber: &mut Scrubber) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
        }
        self.output.clear();
        self.parts.clear();
        let input = &self.input[..];
        let (output, parts) = (&mut self.output, &mut self.parts);
        let mut at = 0;
        while at < input.len() {
            // Records go in groups where they can: their first passes run
            // two side by side, and a lane whose record ends goes on with
            // the next one of the group.
            let mut lines = [Line::EMPTY; GROUP];
            let mut n = 0;
            while n < GROUP && at < input.len() {
                lines[n] = Line::at(input, at);
                at = lines[n].next;
                n += 1;
            }
            let group = match n {
                GROUP => scrubber.prepare(lines.map(|l| l.record(input))),
                _ => None,
            };
            match group {
                Some(prepared) => {
                    for (line, p) in lines.iter().zip(prepared) {
                        scrub_line(scrubber, input, output, parts, line, Some(p));
                    }
                }
                None => {
                    for line in &lines[..n] {
                        scrub_line(scrubber, input, output, parts, line, None);
                    }
                }
            }
        }
        scrubber.drain_counts_into(&mut self.counts);
        self.counts.bytes_in += self.input.len() as u64;
        self.counts.bytes_out += self.output_parts().map(|p| p.len() as u64).sum::<u64>();
    }

    /// The scrubbed records, in order, as slices to be written one after
    /// the other (each holds whole records).
    pub fn output_parts(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.parts.iter().map(|p| match *p {
            Part::Input(s, e) => &self.input[s..e],
            Part::Output(s, e) => &self.output[s..e],
        })
    }
}

/// How many records [`Batch::scrub`] prepares at once. A batch's last few
/// records (and all of a batch shorter than this, as `tail -f` makes) are
/// scrubbed one by one. The first pass's tables stay in the processor's
/// cache for the whole group: 64 records miss it a fifth less often than
/// 16 did (cachegrind), and 256 no less than 64.
const GROUP: usize = 64;

/// One line of the input: `input[start..end]` is the record, and the line
/// terminator (`\n`, `\r\n`, or none at the end) runs to `next`.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
    /// The record's escape kinds, found with its end.
    escapes: (bool, bool),
}

impl Line {
    const EMPTY: Line = Line {
        start: 0,
        end: 0,
        next: 0,
        escapes: (false, false),
    };

    fn at(input: &[u8], start: usize) -> Line {
        let (next, escapes) = line_escape_kinds(input, start);
        let mut end = next;
        if input[start..end].ends_with(b"\n") {
            end -= 1;
        }
        if input[start..end].ends_with(b"\r") {
            end -= 1;
        }
        Line {
            start,
            end,
            next,
            escapes,
        }
    }

    fn record<'i>(&self, input: &'i [u8]) -> &'i [u8] {
        &input[self.start..self.end]
    }
}

/// Scrubs `line` (from its first pass, if `prepared`) and adds it to the
/// batch's output: a clean record and its line terminator stay in the
/// input; a changed record, written to `output`, gets its terminator after
/// it; a dropped one leaves nothing.
fn scrub_line(
    scrubber: &mut Scrubber,
    input: &[u8],
    output: &mut Vec<u8>,
    parts: &mut Vec<Part>,
    line: &Line,
    prepared: Option<Prepared<'_>>,
) {
    let start = output.len();
    let verdict = match prepared {
        Some(p) => scrubber.scrub_prepared(p.with_escapes(line.escapes), output),
        None => scrubber.scrub_changed(line.record(input), output),
    };
    let part = match verdict {
        Verdict::Dropped => return,
        Verdict::Clean => Part::Input(line.start, line.next),
        Verdict::Redacted => {
            output.extend_from_slice(&input[line.end..line.next]);
            Part::Output(start, output.len())
        }
    };
    push_part(parts, part);
}

/// A run of output bytes: `input[start..end]` or `output[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Input(usize, usize),
    Output(usize, usize),
}

/// Appends `part`, joining it to the last one when it continues it.
fn push_part(parts: &mut Vec<Part>, part: Part) {
    let (Part::Input(s, e) | Part::Output(s, e)) = part;
    if s == e {
        return;
    }
    match (parts.last_mut(), part) {
        (Some(Part::Input(_, end)), Part::Input(s, e))
        | (Some(Part::Output(_, end)), Part::Output(s, e))
            if *end == s =>
        {
            *end = e;
        }
        _ => parts.push(part),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::engine::{golden_engine, Engine, LoadOptions};

    /// Records are scrubbed in groups (their first passes two side by
    /// side): over the labelled corpus, every record comes out exactly as
    /// when it is scrubbed on its own.
    #[test]
    fn grouped_records_come_out_as_single_ones() {
        let engine = Engine::load(&LoadOptions::default()).unwrap();
        let corpus = include_str!("../../tests/corpus/labelled.jsonl");
        let lines: Vec<String> = corpus
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["line"].as_str().unwrap().to_string()
            })
            .collect();
        let mut single = engine.scrubber();
        // Shifted by one line, each record meets other partners.
        for skip in [0, 1] {
            let mut batch = Batch::with_capacity(corpus.len());
            let mut expected = Vec::new();
            for line in &lines[skip..] {
                batch.input.extend_from_slice(line.as_bytes());
                batch.input.push(b'\n');
                if single.scrub(line.as_bytes(), &mut expected) != Verdict::Dropped {
                    expected.push(b'\n');
                }
            }
            batch.scrub(&mut engine.scrubber());
            let written: Vec<u8> = batch.output_parts().flatten().copied().collect();
            for (got, want) in written
                .split(|&b| b == b'\n')
                .zip(expected.split(|&b| b == b'\n'))
            {
                assert_eq!(String::from_utf8_lossy(got), String::from_utf8_lossy(want));
            }
            assert_eq!(written.len(), expected.len());
        }
        assert!(lines.len() > 1000);
    }

    #[test]
    fn parts_spell_the_scrubbed_records_and_clean_runs_stay_in_the_input() {
        let engine = golden_engine();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let mut input = std::fs::read(dir.join("formats.log")).unwrap();
        input.extend_from_slice(
            b"clean one\r\nBEGIN HEAP DUMP 0x1\nclean two\n\nmail jane@example.com\r\nlast clean",
        );
        let mut expected = Vec::new();
        let mut scrubber = engine.scrubber();
        for line in input.split_inclusive(|&b| b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let record = body.strip_suffix(b"\r").unwrap_or(body);
            if scrubber.scrub(record, &mut expected) != Verdict::Dropped {
                expected.extend_from_slice(&line[record.len()..]);
            }
        }
        let mut batch = Batch::with_capacity(input.len());
        batch.input = input;
        batch.scrub(&mut engine.scrubber());
        let written: Vec<u8> = batch.output_parts().flatten().copied().collect();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(batch.counts.bytes_out, expected.len() as u64);
        // Neighbouring parts of one kind are joined, and clean records are
        // never copied: only changed ones fill `output`.
        for pair in batch.parts.windows(2) {
            let continues = match (pair[0], pair[1]) {
                (Part::Input(_, e), Part::Input(s, _))
                | (Part::Output(_, e), Part::Output(s, _)) => e == s,
                _ => false,
            };
            assert!(!continues, "{pair:?} should have been one part");
        }
        assert!(batch.parts.iter().any(|p| matches!(p, Part::Input(..))));
        let changed: usize = batch
            .parts
            .iter()
            .map(|p| match *p {
                Part::Output(s, e) => e - s,
                Part::Input(..) => 0,
            })
            .sum();
        assert_eq!(batch.output.len(), changed);
        assert!(changed > 0 && changed < expected.len());
    }
}
