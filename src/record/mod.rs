//! Record formats: where the values are in a line.
//!
//! A line starting with `{` or `[` is tokenized as JSON; anything else is
//! text, where `key=value` (logfmt), `key: value` and `"key": "value"` pairs
//! are found by [`text::kv_pairs`]. [`decode`] undoes URL and JSON escaping
//! while remembering where each decoded byte came from, so that matches in
//! decoded text can be redacted in the original bytes.

pub mod decode;
pub mod json;
pub mod text;

/// The format detected for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
}

/// Detects the format from the first non-blank byte.
pub fn detect(record: &[u8]) -> Format {
    match record.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Format::Json,
        _ => Format::Text,
    }
}
