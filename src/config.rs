//! Turns command-line endpoints into validated run settings.

use std::path::PathBuf;

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
}
