//! Counters kept by each worker while it scrubs, merged per batch.
//!
//! A [`Counts`] belongs to one thread (no atomics in the hot path); the
//! pipeline adds each batch's counts into the run total and into the shared
//! [`Metrics`](crate::metrics::Metrics). Counters never hold record content.

/// What one worker (or the whole run) has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read.
    pub records: u64,
    /// Bytes read, newlines included.
    pub bytes_in: u64,
    /// Bytes written, newlines included.
    pub bytes_out: u64,
    /// Records in which at least one span was redacted.
    pub redacted_records: u64,
    /// Records removed by a `drop_record` rule.
    pub dropped: u64,
    /// Records whose format could not be parsed (malformed JSON, invalid
    /// UTF-8) and that were scrubbed with the stricter text fallback.
    pub fallbacks: u64,
    /// Records longer than `--max-line-bytes`, replaced by a marker.
    pub oversize: u64,
    /// Redactions per rule, indexed like [`Engine::rules`](crate::Engine::rules).
    pub per_rule: Vec<u64>,
}

impl Counts {
    /// Counts sized for an engine with `rules` rules.
    pub fn with_rules(rules: usize) -> Counts {
        Counts {
            per_rule: vec![0; rules],
            ..Counts::default()
        }
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counts) {
        self.records += other.records;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.redacted_records += other.redacted_records;
        self.dropped += other.dropped;
        self.fallbacks += other.fallbacks;
        self.oversize += other.oversize;
        if self.per_rule.len() < other.per_rule.len() {
            self.per_rule.resize(other.per_rule.len(), 0);
        }
        for (a, b) in self.per_rule.iter_mut().zip(&other.per_rule) {
            *a += b;
        }
    }

    /// Zeroes every counter, keeping the per-rule allocation.
    pub fn clear(&mut self) {
        let mut per_rule = std::mem::take(&mut self.per_rule);
        per_rule.iter_mut().for_each(|c| *c = 0);
        *self = Counts {
            per_rule,
            ..Counts::default()
        };
    }

    /// Total redactions over all rules.
    pub fn redactions(&self) -> u64 {
        self.per_rule.iter().sum()
    }
}
