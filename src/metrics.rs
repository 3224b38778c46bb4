//! Live counters shared by the pipeline and the `/metrics` endpoint.
//!
//! The writer thread adds each written batch's [`Counts`]; readers render a
//! snapshot. Labels are rule ids and categories only, never record content.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::engine::Engine;
use crate::stats::Counts;

/// Upper bounds (seconds) of the batch latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Process-wide counters.
#[derive(Default)]
pub struct Metrics {
    pub records_in: AtomicU64,
    pub records_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub redacted_records: AtomicU64,
    pub dropped: AtomicU64,
    pub fallbacks: AtomicU64,
    pub oversize: AtomicU64,
    pub errors: AtomicU64,
    /// Redactions per (rule id, category).
    pub per_rule: Mutex<BTreeMap<(String, String), u64>>,
    /// Batch processing latency: cumulative bucket counts, then +Inf.
    pub latency_buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    pub latency_sum_micros: AtomicU64,
    /// Kafka mode (`src/kafka`): records fetched from the input topic.
    pub kafka_consumed: AtomicU64,
    /// Kafka mode: records whose delivery to the output topic was confirmed.
    pub kafka_produced: AtomicU64,
    /// Kafka mode: records sent to `--dead-letter-topic` in replaced form.
    pub kafka_dead_lettered: AtomicU64,
    /// Kafka mode: deliveries that failed and were sent again.
    pub kafka_delivery_retries: AtomicU64,
    /// Kafka mode: deliveries that failed for good (the run stops).
    pub kafka_delivery_errors: AtomicU64,
    /// Kafka mode: client errors reported by librdkafka (broker down, ...).
    pub kafka_client_errors: AtomicU64,
    /// Kafka mode: synchronous offset commits (revoke, shutdown) that failed.
    pub kafka_commit_errors: AtomicU64,
    /// Kafka mode: partition assignments and revocations.
    pub kafka_rebalances: AtomicU64,
    /// Kafka mode (gauge): partitions assigned to this instance.
    pub kafka_assigned_partitions: AtomicU64,
    /// Kafka mode (gauge): records behind the high watermark, summed over
    /// assigned partitions (from librdkafka statistics, every 5 s).
    pub kafka_lag: AtomicU64,
    /// Kafka mode (gauge): records consumed but not yet delivered/committable.
    pub kafka_in_flight: AtomicU64,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Adds one written batch.
    pub fn observe_batch(&self, c: &Counts, engine: &Engine, latency: Option<Duration>) {
        let add = |a: &AtomicU64, v: u64| {
            if v > 0 {
                a.fetch_add(v, Ordering::Relaxed);
            }
        };
        add(&self.records_in, c.records);
        add(&self.records_out, c.records - c.dropped.min(c.records));
        add(&self.bytes_in, c.bytes_in);
        add(&self.bytes_out, c.bytes_out);
        add(&self.redacted_records, c.redacted_records);
        add(&self.dropped, c.dropped);
        add(&self.fallbacks, c.fallbacks);
        add(&self.oversize, c.oversize);
        if c.redactions() > 0 {
            let mut map = self.per_rule.lock().unwrap_or_else(|e| e.into_inner());
            for (info, &n) in engine.rules().iter().zip(&c.per_rule) {
                if n > 0 {
                    *map.entry((info.id.clone(), info.category.clone()))
                        .or_default() += n;
                }
            }
        }
        if let Some(d) = latency {
            let secs = d.as_secs_f64();
            let i = LATENCY_BUCKETS
                .iter()
                .position(|&b| secs <= b)
                .unwrap_or(LATENCY_BUCKETS.len());
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            self.latency_sum_micros
                .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
        }
    }
}
