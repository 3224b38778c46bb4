//! A batch: many records read together, scrubbed by one worker, written together.

use std::time::Instant;

use crate::engine::{Scrubber, Verdict};
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
    /// Scrubbed records.
    pub output: Vec<u8>,
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
            output: Vec::with_capacity(bytes + bytes / 4),
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
        self.ack = None;
        self.counts.clear();
        self.started = None;
    }

    /// Scrubs every record of `input` into `output`, one output line per
    /// input line unless a rule drops the record. Line terminators (`\n`,
    /// `\r\n`) are kept as they were.
    pub fn scrub(&mut self, scrubber: &mut Scrubber) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
        }
        self.output.clear();
        let mut rest = &self.input[..];
        while !rest.is_empty() {
            let (line, newline) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = &rest[line.len() + usize::from(newline)..];
            let (record, cr) = match line.last() {
                Some(b'\r') => (&line[..line.len() - 1], true),
                _ => (line, false),
            };
            if scrubber.scrub(record, &mut self.output) == Verdict::Dropped {
                continue;
            }
            if cr {
                self.output.push(b'\r');
            }
            if newline {
                self.output.push(b'\n');
            }
        }
        scrubber.drain_counts_into(&mut self.counts);
        self.counts.bytes_in += self.input.len() as u64;
        self.counts.bytes_out += self.output.len() as u64;
    }
}
