//! Kafka endpoints: a consumer-group source and a producer sink.
//!
//! ```text
//! input topic --(consumer.rs: BaseConsumer, group)--> Scrubber --(producer.rs)--> output topic
//!      ^                                                                |
//!      +--- offsets.rs: store offset+1 of the contiguous delivered prefix <-- delivery report
//! ```
//! `--from kafka://` runs [`consumer::run`] (output: a topic, stdout or a
//! file). `--from -` (or a file) with `--to kafka://` runs the ordinary
//! pipeline with [`producer::KafkaSink`].
//!
//! Delivery is at-least-once: an input offset is stored for commit only after
//! the scrubbed record's delivery report succeeded. Log lines name topics,
//! partitions and offsets, never record contents.

pub mod consumer;
pub mod offsets;
pub mod producer;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;

/// What an oversize value is replaced with (as in the pipe filter).
pub const OVERSIZE_MARKER: &[u8] = b"[REDACTED:oversize-record]";

/// Which client a `-X` setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Consumer,
    Producer,
}

/// librdkafka settings given with `-X KEY=VALUE` or the config file's
/// `[kafka]` table. `consumer.KEY` / `producer.KEY` apply to one client only.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pairs: Vec<(String, String)>,
}

impl Settings {
    /// Parses `KEY=VALUE` strings; later ones win.
    pub fn parse(items: &[String]) -> Result<Settings, String> {
        let mut pairs = Vec::new();
        for item in items {
            let (k, v) = item.split_once('=').ok_or_else(|| {
                format!("-X `{item}` is not KEY=VALUE, e.g. -X security.protocol=SASL_SSL")
            })?;
            let k = k.trim();
            if k.is_empty() {
                return Err(format!("-X `{item}` has an empty key"));
            }
            pairs.push((k.to_string(), v.to_string()));
        }
        let s = Settings { pairs };
        for role in [Role::Consumer, Role::Producer] {
            if let Some(v) = s.get(role, "enable.auto.offset.store") {
                if v != "false" {
                    return Err(
                        "-X enable.auto.offset.store must stay false: logscrub stores \
                                offsets itself after delivery (at-least-once)"
                            .into(),
                    );
                }
            }
        }
        Ok(s)
    }

    /// The settings that apply to `role`, unprefixed, later ones winning.
    pub fn for_role(&self, role: Role) -> Vec<(String, String)> {
        let mut map: Vec<(String, String)> = Vec::new();
        for (k, v) in &self.pairs {
            let key = match (k.split_once('.'), role) {
                (Some(("consumer", rest)), Role::Consumer) => rest,
                (Some(("producer", rest)), Role::Producer) => rest,
                (Some(("consumer" | "producer", _)), _) => continue,
                _ => k.as_str(),
            };
            map.retain(|(k2, _)| k2 != key);
            map.push((key.to_string(), v.clone()));
        }
        map
    }

    /// The value of `key` for `role`, if set.
    pub fn get(&self, role: Role, key: &str) -> Option<String> {
        self.for_role(role)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Options shared by the Kafka source and sink.
#[derive(Debug, Clone)]
pub struct KafkaOptions {
    pub settings: Settings,
    /// Topic for records that cannot be scrubbed safely (oversize), in
    /// replaced form.
    pub dead_letter_topic: Option<String>,
    /// Values longer than this are never produced as such.
    pub max_line_bytes: usize,
    /// Time allowed to drain, commit and leave the group on SIGTERM/SIGINT
    /// and on partition revocation.
    pub grace_period: Duration,
}

/// The client configuration: logscrub's defaults, then the user's settings.
pub fn client_config(brokers: &str, role: Role, settings: &Settings) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("client.id", "logscrub");
    c.set_log_level(RDKafkaLogLevel::Warning);
    match role {
        Role::Consumer => {
            c.set("enable.auto.offset.store", "false");
            c.set("enable.auto.commit", "true");
            c.set("auto.commit.interval.ms", "1000");
            c.set("auto.offset.reset", "earliest");
            c.set("enable.partition.eof", "false");
            // Bounded prefetch: at most 16 MiB of fetched records in memory.
            c.set("queued.max.messages.kbytes", "16384");
            c.set("statistics.interval.ms", "5000");
        }
        Role::Producer => {
            c.set("acks", "all");
            // Java-compatible key hashing: same key, same partition as Java clients.
            c.set("partitioner", "murmur2_random");
            c.set("linger.ms", "5");
            // Bounded producer queue: a slow broker slows the consumer down.
            c.set("queue.buffering.max.messages", "100000");
            c.set("queue.buffering.max.kbytes", "65536");
            // Retries cannot reorder records within a partition.
            c.set("max.in.flight.requests.per.connection", "1");
        }
    }
    for (k, v) in settings.for_role(role) {
        c.set(k, v);
    }
    c
}

/// Prints logscrub's own Kafka log lines to stderr (topic/partition/offset
/// only, never record contents), suppressing a repeat of the same line for
/// a few seconds so that a broker outage does not flood the log.
pub(crate) struct Log {
    last: Mutex<HashMap<String, Instant>>,
}

impl Log {
    pub(crate) fn new() -> Log {
        Log {
            last: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn line(&self, msg: &str) {
        let _ = writeln!(std::io::stderr().lock(), "logscrub: {msg}");
    }

    /// Like [`Log::line`], at most once per 10 s for the same text.
    pub(crate) fn limited(&self, msg: &str) {
        self.limited_by(msg, msg);
    }

    /// Like [`Log::line`], at most once per 10 s for the same `key`.
    pub(crate) fn limited_by(&self, key: &str, msg: &str) {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = last.get(key) {
            if now.duration_since(*t) < Duration::from_secs(10) {
                return;
            }
        }
        if last.len() > 1000 {
            last.clear();
        }
        last.insert(key.to_string(), now);
        drop(last);
        self.line(msg);
    }

    /// A librdkafka log line (warnings and worse).
    pub(crate) fn client_log(&self, level: RDKafkaLogLevel, fac: &str, text: &str) {
        // A shared -X setting meant for the other client type is expected.
        let other_client = fac == "CONFWARN" && text.contains("will be ignored by this");
        // Connection failures also arrive as client errors (logged there).
        if fac == "FAIL" || other_client {
            return;
        }
        if (level as i32) <= (RDKafkaLogLevel::Warning as i32) {
            self.limited(&format!("kafka {fac}: {text}"));
        }
    }

    /// A librdkafka client error (all brokers down, authentication, ...).
    pub(crate) fn client_error(&self, error: &KafkaError, reason: &str) {
        let hint = match error.rdkafka_error_code() {
            Some(rdkafka::types::RDKafkaErrorCode::AllBrokersDown) => {
                "; check the broker address and that it is up (retrying)"
            }
            Some(rdkafka::types::RDKafkaErrorCode::Authentication) => {
                "; check the -X sasl.* / ssl.* settings"
            }
            _ => "",
        };
        // One line per kind of error every 10 s, however the reason varies.
        let key = format!("client-error {:?}", error.rdkafka_error_code());
        self.limited_by(&key, &format!("kafka error: {error}: {reason}{hint}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_roles_and_override() {
        let s = Settings::parse(&[
            "security.protocol=SASL_SSL".into(),
            "producer.linger.ms=20".into(),
            "consumer.fetch.min.bytes=1000".into(),
            "security.protocol=SSL".into(),
        ])
        .unwrap();
        assert_eq!(
            s.for_role(Role::Producer),
            vec![
                ("linger.ms".into(), "20".into()),
                ("security.protocol".into(), "SSL".into())
            ]
        );
        assert_eq!(
            s.get(Role::Consumer, "fetch.min.bytes").as_deref(),
            Some("1000")
        );
        assert_eq!(s.get(Role::Consumer, "linger.ms"), None);
        assert!(Settings::parse(&["novalue".into()]).is_err());
        assert!(Settings::parse(&["enable.auto.offset.store=true".into()]).is_err());
    }
}
