//! Finding candidate spans: one multi-pattern regex pass for content rules,
//! key-name lookup for field rules, and validators for the candidates.
//!
//! Sits between the record parsers (which say where values are) and
//! `redact` (which decides what replaces them).

mod anchored;
mod content;
mod gate;
mod group;
mod keys;
mod literals;
pub mod validate;

pub use content::{
    parse_pattern, syntax_config, ContentCache, ContentMatcher, ContentPattern, Context, FirstPass,
    PassOut,
};
pub use group::{GroupCache, GroupFinder};
pub use keys::{normalize_key, KeyHint, KeyMatcher, KeyScratch};
