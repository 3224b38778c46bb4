//! Turns command-line endpoints and the `--config` TOML file into validated
//! run settings.
//!
//! Precedence: command-line flags, then LOGSCRUB_* environment variables
//! (both handled by clap), then the config file, then built-in defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{RuleArgs, RunArgs};

/// The `--config` file: the same settings as the flags, snake_case keys.
///
/// ```toml
/// from = "kafka://127.0.0.1:9092/raw-logs?group=logscrub"
/// to = "kafka://127.0.0.1:9092/clean-logs"
/// dead_letter_topic = "logscrub-dead-letter"
/// grace_period = 10
/// [kafka]                      # librdkafka settings, like -X
/// "security.protocol" = "SASL_SSL"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub from: Option<String>,
    pub to: Option<String>,
    pub threads: Option<usize>,
    pub max_line_bytes: Option<usize>,
    pub stats: Option<bool>,
    pub rules: Option<Vec<PathBuf>>,
    pub no_default_rules: Option<bool>,
    pub hmac_key_file: Option<PathBuf>,
    pub dead_letter_topic: Option<String>,
    pub metrics_addr: Option<String>,
    pub from_beginning: Option<bool>,
    pub checkpoint: Option<PathBuf>,
    pub grace_period: Option<u64>,
    pub log_format: Option<String>,
    /// librdkafka settings (`-X`); nested tables are joined with dots, so
    /// `security.protocol = "SSL"` and `"security.protocol" = "SSL"` agree.
    pub kafka: Option<BTreeMap<String, toml::Value>>,
}

impl FileConfig {
    /// Reads and parses a config file; errors name the file and the problem.
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
        FileConfig::parse(&text).map_err(|e| format!("--config {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<FileConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// `[kafka]` as `KEY=VALUE` strings, in key order.
    pub fn kafka_settings(&self) -> Result<Vec<String>, String> {
        fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<String>) -> Result<(), String> {
            match v {
                toml::Value::String(s) => out.push(format!("{prefix}={s}")),
                toml::Value::Integer(i) => out.push(format!("{prefix}={i}")),
                toml::Value::Float(f) => out.push(format!("{prefix}={f}")),
                toml::Value::Boolean(b) => out.push(format!("{prefix}={b}")),
                toml::Value::Table(t) => {
                    for (k, v) in t {
                        flatten(&format!("{prefix}.{k}"), v, out)?;
                    }
                }
                _ => {
                    return Err(format!(
                        "[kafka] `{prefix}` must be a string, number or boolean"
                    ))
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        for (k, v) in self.kafka.iter().flatten() {
            flatten(k, v, &mut out)?;
        }
        Ok(out)
    }

    /// Fills in what the command line and environment left unset.
    /// `given(id)` tells whether the argument with clap id `id` came from the
    /// command line or the environment (needed for flags with defaults).
    pub fn apply(
        &self,
        rules: &mut RuleArgs,
        run: &mut RunArgs,
        given: &dyn Fn(&str) -> bool,
    ) -> Result<(), String> {
        fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
            if slot.is_none() {
                slot.clone_from(value);
            }
        }
        fill(&mut run.from, &self.from);
        fill(&mut run.to, &self.to);
        fill(&mut run.threads, &self.threads);
        fill(&mut run.dead_letter_topic, &self.dead_letter_topic);
        fill(&mut run.metrics_addr, &self.metrics_addr);
        fill(&mut run.checkpoint, &self.checkpoint);
        fill(&mut rules.hmac_key_file, &self.hmac_key_file);
        run.stats |= self.stats.unwrap_or(false);
        run.from_beginning |= self.from_beginning.unwrap_or(false);
        rules.no_default_rules |= self.no_default_rules.unwrap_or(false);
        if let (Some(v), false) = (self.max_line_bytes, given("max_line_bytes")) {
            run.max_line_bytes = v;
        }
        if let (Some(v), false) = (self.grace_period, given("grace_period")) {
            run.grace_period = v;
        }
        if let (Some(v), false) = (&self.log_format, given("log_format")) {
            run.log_format.clone_from(v);
        }
        if let Some(paths) = &self.rules {
            // File rules first: rules given on the command line replace them.
            let mut all = paths.clone();
            all.append(&mut rules.rules);
            rules.rules = all;
        }
        // File settings first: a -X for the same key wins.
        let mut settings = self.kafka_settings()?;
        settings.append(&mut run.kafka_settings);
        run.kafka_settings = settings;
        Ok(())
    }
}

/// One side of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// stdin or stdout (`-`).
    Std,
    /// A file: tailed as input, appended to as output.
    File(PathBuf),
    /// A Kafka topic.
    Kafka(KafkaEndpoint),
}

/// `kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=GROUP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaEndpoint {
    pub brokers: String,
    pub topic: String,
    pub group: Option<String>,
}

impl Endpoint {
    /// Parses `-`, `file:PATH` or `kafka://...`. `None` means `-`.
    pub fn parse(text: Option<&str>) -> Result<Endpoint, String> {
        let Some(text) = text else {
            return Ok(Endpoint::Std);
        };
        if text == "-" {
            return Ok(Endpoint::Std);
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path, e.g. file:/var/log/app/*.log".into());
            }
            return Ok(Endpoint::File(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("kafka://") {
            let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
            let (brokers, topic) = addr
                .split_once('/')
                .ok_or_else(|| format!("`{text}` has no topic; use kafka://HOST:PORT/TOPIC"))?;
            if brokers.is_empty() || topic.is_empty() || topic.contains('/') {
                return Err(format!("`{text}` is not kafka://HOST:PORT/TOPIC"));
            }
            let mut group = None;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("group", g)) if !g.is_empty() => group = Some(g.to_string()),
                    _ => {
                        return Err(format!(
                            "unknown Kafka option `{pair}`; only `group=GROUP` is known"
                        ))
                    }
                }
            }
            return Ok(Endpoint::Kafka(KafkaEndpoint {
                brokers: brokers.to_string(),
                topic: topic.to_string(),
                group,
            }));
        }
        Err(format!(
            "unknown endpoint `{text}`; use -, file:PATH or kafka://HOST:PORT/TOPIC"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::parse(None).unwrap(), Endpoint::Std);
        assert_eq!(
            Endpoint::parse(Some("file:/a/*.log")).unwrap(),
            Endpoint::File("/a/*.log".into())
        );
        assert_eq!(
            Endpoint::parse(Some("kafka://127.0.0.1:9092/raw?group=g")).unwrap(),
            Endpoint::Kafka(KafkaEndpoint {
                brokers: "127.0.0.1:9092".into(),
                topic: "raw".into(),
                group: Some("g".into())
            })
        );
        assert!(Endpoint::parse(Some("kafka://host")).is_err());
        assert!(Endpoint::parse(Some("kafka://h:1/t?x=1")).is_err());
        assert!(Endpoint::parse(Some("http://x")).is_err());
    }

    #[test]
    fn config_file_fills_unset_values() {
        use clap::Parser;
        let fc = FileConfig::parse(
            r#"
from = "kafka://h:1/raw?group=g"
to = "kafka://h:1/clean"
threads = 3
grace_period = 20
max_line_bytes = 5000
dead_letter_topic = "dlq"
[kafka]
"security.protocol" = "SASL_SSL"
sasl.mechanism = "SCRAM-SHA-512"
"linger.ms" = 7
"#,
        )
        .unwrap();
        let mut cli = crate::cli::Cli::parse_from([
            "logscrub",
            "--to",
            "-",
            "-X",
            "linger.ms=9",
            "--grace-period",
            "3",
        ]);
        fc.apply(&mut cli.rules, &mut cli.run, &|id| id == "grace_period")
            .unwrap();
        assert_eq!(cli.run.from.as_deref(), Some("kafka://h:1/raw?group=g"));
        assert_eq!(cli.run.to.as_deref(), Some("-"), "flag wins");
        assert_eq!(cli.run.threads, Some(3));
        assert_eq!(cli.run.grace_period, 3, "flag wins over file");
        assert_eq!(cli.run.max_line_bytes, 5000);
        assert_eq!(cli.run.dead_letter_topic.as_deref(), Some("dlq"));
        assert_eq!(
            cli.run.kafka_settings,
            vec![
                "linger.ms=7",
                "sasl.mechanism=SCRAM-SHA-512",
                "security.protocol=SASL_SSL",
                "linger.ms=9"
            ]
        );
        assert!(FileConfig::parse("nope = 1").is_err());
    }
}
