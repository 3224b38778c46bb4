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
    /// `--from file:`: bytes appended to the followed files and not yet
    /// emitted (a gauge, set by the tail source).
    pub file_lag_bytes: AtomicU64,
    /// SIGHUP rule reloads that succeeded / were refused (old rules kept).
    pub rule_reloads: AtomicU64,
    pub rule_reload_failures: AtomicU64,
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

impl Metrics {
    /// Renders the counters in the Prometheus text format (version 0.0.4),
    /// for `/metrics`. `engine` lists the rules in force, so that every rule
    /// has a series (zero until it fires). Labels are rule ids and
    /// categories only; no value from a record is ever rendered.
    pub fn render_prometheus(&self, engine: Option<&Engine>, ready: bool) -> String {
        use std::fmt::Write;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::with_capacity(4096);
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        };
        metric(
            "logscrub_ready",
            "gauge",
            "1 when rules are compiled and input and output are open.",
            u64::from(ready),
        );
        metric(
            "logscrub_records_in_total",
            "counter",
            "Records read.",
            get(&self.records_in),
        );
        metric(
            "logscrub_records_out_total",
            "counter",
            "Records written.",
            get(&self.records_out),
        );
        metric(
            "logscrub_bytes_in_total",
            "counter",
            "Bytes read.",
            get(&self.bytes_in),
        );
        metric(
            "logscrub_bytes_out_total",
            "counter",
            "Bytes written.",
            get(&self.bytes_out),
        );
        metric(
            "logscrub_redacted_records_total",
            "counter",
            "Records with at least one redaction.",
            get(&self.redacted_records),
        );
        metric(
            "logscrub_dropped_records_total",
            "counter",
            "Records removed by a drop_record rule.",
            get(&self.dropped),
        );
        metric(
            "logscrub_fallbacks_total",
            "counter",
            "Records scrubbed by the text fallback (malformed JSON, invalid UTF-8).",
            get(&self.fallbacks),
        );
        metric(
            "logscrub_oversize_records_total",
            "counter",
            "Records over --max-line-bytes, replaced by a marker.",
            get(&self.oversize),
        );
        metric(
            "logscrub_errors_total",
            "counter",
            "Runtime errors (checkpoint writes, I/O).",
            get(&self.errors),
        );
        metric(
            "logscrub_file_lag_bytes",
            "gauge",
            "Bytes appended to followed files and not yet emitted.",
            get(&self.file_lag_bytes),
        );
        metric(
            "logscrub_rule_reloads_total",
            "counter",
            "Successful SIGHUP rule reloads.",
            get(&self.rule_reloads),
        );
        metric(
            "logscrub_rule_reload_failures_total",
            "counter",
            "Refused SIGHUP rule reloads (old rules kept).",
            get(&self.rule_reload_failures),
        );
        let kafka: [(&str, &str, &str, &AtomicU64); 11] = [
            (
                "logscrub_kafka_consumed_total",
                "counter",
                "Kafka records fetched from the input topic.",
                &self.kafka_consumed,
            ),
            (
                "logscrub_kafka_produced_total",
                "counter",
                "Kafka records whose delivery to the output topic was confirmed.",
                &self.kafka_produced,
            ),
            (
                "logscrub_kafka_dead_lettered_total",
                "counter",
                "Kafka records sent to the dead-letter topic in replaced form.",
                &self.kafka_dead_lettered,
            ),
            (
                "logscrub_kafka_delivery_retries_total",
                "counter",
                "Kafka deliveries that failed and were sent again.",
                &self.kafka_delivery_retries,
            ),
            (
                "logscrub_kafka_delivery_errors_total",
                "counter",
                "Kafka deliveries that failed for good.",
                &self.kafka_delivery_errors,
            ),
            (
                "logscrub_kafka_client_errors_total",
                "counter",
                "Errors reported by the Kafka client (broker down, ...).",
                &self.kafka_client_errors,
            ),
            (
                "logscrub_kafka_commit_errors_total",
                "counter",
                "Kafka offset commits that failed.",
                &self.kafka_commit_errors,
            ),
            (
                "logscrub_kafka_rebalances_total",
                "counter",
                "Kafka partition assignments and revocations.",
                &self.kafka_rebalances,
            ),
            (
                "logscrub_kafka_assigned_partitions",
                "gauge",
                "Kafka partitions assigned to this instance.",
                &self.kafka_assigned_partitions,
            ),
            (
                "logscrub_kafka_lag",
                "gauge",
                "Kafka records behind the high watermark over assigned partitions.",
                &self.kafka_lag,
            ),
            (
                "logscrub_kafka_in_flight",
                "gauge",
                "Kafka records consumed but not yet delivered.",
                &self.kafka_in_flight,
            ),
        ];
        for (name, kind, help, value) in kafka {
            metric(name, kind, help, get(value));
        }
        if let Some(engine) = engine {
            metric(
                "logscrub_rules",
                "gauge",
                "Rules in force.",
                engine.rules().len() as u64,
            );
        }

        let mut series: BTreeMap<(String, String), u64> = BTreeMap::new();
        if let Some(engine) = engine {
            for info in engine.rules() {
                series.insert((info.id.clone(), info.category.clone()), 0);
            }
        }
        for (key, n) in self
            .per_rule
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            *series.entry(key.clone()).or_default() += n;
        }
        let _ = writeln!(
            out,
            "# HELP logscrub_redactions_total Redactions per rule and category."
        );
        let _ = writeln!(out, "# TYPE logscrub_redactions_total counter");
        let mut per_category: BTreeMap<&str, u64> = BTreeMap::new();
        for ((rule, category), n) in &series {
            let _ = writeln!(
                out,
                "logscrub_redactions_total{{rule=\"{}\",category=\"{}\"}} {n}",
                escape_label(rule),
                escape_label(category)
            );
            *per_category.entry(category).or_default() += n;
        }
        let _ = writeln!(
            out,
            "# HELP logscrub_category_redactions_total Redactions per category."
        );
        let _ = writeln!(out, "# TYPE logscrub_category_redactions_total counter");
        for (category, n) in per_category {
            let _ = writeln!(
                out,
                "logscrub_category_redactions_total{{category=\"{}\"}} {n}",
                escape_label(category)
            );
        }

        let name = "logscrub_batch_latency_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a batch being read to it being written."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += get(&self.latency_buckets[i]);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += get(&self.latency_buckets[LATENCY_BUCKETS.len()]);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {cumulative}");
        out
    }
}

/// Escapes a Prometheus label value.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
