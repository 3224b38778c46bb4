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

/// The first `quote` or `\` in `hay[from..]`: where a quoted string or
/// value ends or holds an escape. Most strings in a log record are short,
/// and a call to `memchr` costs more than the string: the first bytes are
/// looked at eight at a time, a longer rest by `memchr`.
fn quote_or_backslash(hay: &[u8], from: usize, quote: u8) -> Option<usize> {
    const WORDS: usize = 4;
    let mut i = from;
    for _ in 0..WORDS {
        let Some(chunk) = hay.get(i..i + 8) else {
            let rest = hay[i..].iter().position(|&b| b == quote || b == b'\\');
            return rest.map(|j| i + j);
        };
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits = has_byte(word, quote) | has_byte(word, b'\\');
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    memchr::memchr2(quote, b'\\', &hay[i..]).map(|j| i + j)
}

/// The high bit of each byte of `word` that equals `byte`. Only the lowest
/// such bit is exact (a borrow may mark bytes above a match), which is the
/// one [`quote_or_backslash`] takes.
fn has_byte(word: u64, byte: u8) -> u64 {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (LOW * u64::from(byte));
    x.wrapping_sub(LOW) & !x & HIGH
}
