//! Rule files as written by people: the serde model of a rule pack (TOML).
//!
//! Sits at the very start of the data flow: `load` reads these, `compile`
//! turns them into an [`Engine`](crate::Engine). Every field keeps its byte
//! span so that errors can name `file:line:col`.

use serde::Deserialize;
use toml::Spanned;

/// One rule file: an optional `[pack]` header and any number of `[[rule]]`s.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSpec {
    #[serde(default)]
    pub pack: Option<PackHeader>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RuleSpec>>,
}

/// Descriptive header of a pack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackHeader {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// One rule. Exactly one of `pattern`, `keywords` or `keys` says what it detects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub category: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// A regular expression (Rust `regex` syntax) matched against every value.
    pub pattern: Option<Spanned<String>>,
    /// Literal words matched anywhere, ASCII case-insensitive.
    pub keywords: Option<Spanned<Vec<String>>>,
    /// Field names (JSON keys, logfmt keys, `key: value` in text) whose values are sensitive.
    pub keys: Option<Spanned<Vec<String>>>,
    /// Redact only this capture group of `pattern` (the rest of the match is context).
    pub group: Option<Spanned<usize>>,
    /// A checksum or shape check run on each candidate (`luhn`, `iban`, ...).
    pub validator: Option<Spanned<String>>,
    /// At least one of these words must occur shortly before the match.
    pub context: Option<Spanned<Vec<String>>>,
    /// None of these words may occur shortly before the match.
    pub deny_context: Option<Spanned<Vec<String>>>,
    /// How many bytes before the match the context words are looked for (default 48).
    pub context_window: Option<Spanned<usize>>,
    /// What to do with a match (default `placeholder`).
    pub action: Option<Spanned<String>>,
    /// Replacement template for `placeholder` and `pseudonym`.
    pub template: Option<Spanned<String>>,
    /// Characters left visible by `keep_last`.
    pub keep: Option<Spanned<usize>>,
    /// Set to false to switch a (built-in) rule off by id.
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub examples: Option<Spanned<ExamplesSpec>>,
}

impl RuleSpec {
    /// `pattern`, `keywords` or `keys`: how the rule finds its spans.
    pub fn detector(&self) -> &'static str {
        if self.keys.is_some() {
            "keys"
        } else if self.keywords.is_some() {
            "keywords"
        } else {
            "pattern"
        }
    }
}

fn yes() -> bool {
    true
}

/// Examples that `logscrub check` and `cargo test` run against the rule alone.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesSpec {
    /// Lines in which the rule must redact something.
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    /// Lines the rule must leave untouched.
    #[serde(default)]
    pub no_match: Vec<String>,
    /// Exact input and output pairs.
    #[serde(default)]
    pub redact: Vec<RedactExample>,
}

/// An exact before/after example.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactExample {
    pub input: String,
    pub output: String,
}
