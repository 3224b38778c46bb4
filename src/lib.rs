//! logscrub: a log redaction stream processor.
//!
//! Data flow: [`rules`] (TOML packs) -> [`Engine`] (compiled matchers) ->
//! [`pipeline`] (a [`source`] fills batches, workers scrub them with a
//! [`Scrubber`] each, the writer hands them in order to a [`sink`]).
//! [`record`] knows the formats (text, logfmt, JSON), [`matcher`] finds
//! candidates, [`redact`] decides and writes the replacements.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod http;
pub mod kafka;
pub mod matcher;
pub mod metrics;
pub mod pipeline;
pub mod record;
pub mod redact;
pub mod rules;
pub mod scan;
pub mod sidecar;
pub mod sink;
pub mod source;
pub mod stats;

pub use engine::{Engine, EngineHandle, LoadOptions, RuleInfo, Scrubber, Verdict};
