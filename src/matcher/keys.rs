//! Key-name rules: which field names carry sensitive values.
//!
//! Names are compared as words, so `firstName`, `first_name`, `first-name`
//! and `FIRST_NAME` are one name. A key matches a rule when the key's words
//! end with the rule name's words: `patient.firstName` matches `first_name`,
//! but `hostname` does not match `name`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// FNV-1a: key names are short, and a keyed hash buys nothing here (the
/// table is fixed at start-up, not built from input).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Maps normalized key names to the rule that owns them.
#[derive(Debug, Default, Clone)]
pub struct KeyMatcher {
    names: FastMap<Box<[u8]>, u32>,
    /// Longest name in words, to bound suffix checks.
    max_words: usize,
}

impl KeyMatcher {
    /// Adds a name for `rule`, both as words (`first_name`) and run together
    /// (`firstname`). Returns the rule that already owned the name.
    pub fn insert(&mut self, name: &str, rule: u32) -> Option<u32> {
        let mut norm = Vec::new();
        let words = normalize_key(name.as_bytes(), &mut norm);
        self.max_words = self.max_words.max(words);
        if words > 1 {
            let joined: Vec<u8> = norm.iter().copied().filter(|&b| b != b'_').collect();
            self.names.entry(joined.into_boxed_slice()).or_insert(rule);
        }
        self.names.insert(norm.into_boxed_slice(), rule)
    }

    /// The last word of every name: a key that matches contains one of
    /// them, ASCII case-insensitively.
    pub fn last_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .names
            .keys()
            .map(|n| {
                let last = n.rsplit(|&b| b == b'_').next().unwrap_or(n);
                String::from_utf8_lossy(last).into_owned()
            })
            .collect();
        words.sort();
        words.dedup();
        words
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The rule for `key`, if any. `scratch` is reused between calls.
    pub fn lookup(&self, key: &[u8], scratch: &mut Vec<u8>) -> Option<u32> {
        if self.names.is_empty() || key.len() > 256 {
            return None;
        }
        scratch.clear();
        let words = normalize_key(key, scratch);
        if words == 0 {
            return None;
        }
        // Try the whole key, then each shorter word suffix.
        let mut start = 0;
        let mut left = words;
        loop {
            if left <= self.max_words {
                if let Some(&rule) = self.names.get(&scratch[start..]) {
                    return Some(rule);
                }
            }
            match memchr::memchr(b'_', &scratch[start..]) {
                Some(i) if left > 1 => {
                    start += i + 1;
                    left -= 1;
                }
                _ => return None,
            }
        }
    }
}

/// A quick test for text that may hold a sensitive key: finds the last word
/// of any key name where it could end a key. A key's last word (see
/// [`normalize_key`]) starts after a non-alphanumeric byte or at a
/// lowercase-to-uppercase step and ends before a non-alphanumeric byte, so
/// `span_id` does not hint at `pan` while `userEmail`, `user_email` and
/// `EMAIL` hint at `email`. Every key the matcher accepts is hinted.
#[derive(Debug, Clone)]
pub struct KeyHint {
    words: Option<AhoCorasick>,
}

impl KeyHint {
    pub fn new(matcher: &KeyMatcher) -> KeyHint {
        let words = matcher.last_words();
        let words = (!words.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&words)
                .expect("key words are short literals")
        });
        KeyHint { words }
    }

    /// True when `hay` may hold a key that a key rule of `keys` matches.
    ///
    /// Each word hit is confirmed with [`KeyMatcher::lookup`] on the text
    /// that ends at the hit and starts after the nearest delimiter, and
    /// failing that after the nearest quote. A bare key holds no delimiter
    /// and a quoted key no quote, so the words of one of these texts end
    /// with the words of any key that ends at the hit: every key the rules
    /// match is still found.
    pub fn hinted(&self, keys: &KeyMatcher, hay: &[u8], scratch: &mut Vec<u8>) -> bool {
        let Some(ac) = &self.words else { return false };
        ac.find_overlapping_iter(hay).any(|m| {
            let (s, e) = (m.start(), m.end());
            let ends_word = e == hay.len() || !hay[e].is_ascii_alphanumeric();
            let starts_word = s == 0
                || !hay[s - 1].is_ascii_alphanumeric()
                || (hay[s].is_ascii_uppercase()
                    && (hay[s - 1].is_ascii_lowercase() || hay[s - 1].is_ascii_digit()));
            if !(ends_word && starts_word) {
                return false;
            }
            let floor = e.saturating_sub(HINT_REACH);
            let after = |at: Option<usize>| at.map_or(floor, |i| floor + i + 1);
            let from = after(hay[floor..s].iter().rposition(|&b| is_delimiter(b)));
            if keys.lookup(&hay[from..e], scratch).is_some() {
                return true;
            }
            // A quoted key may hold delimiters (`"first/name":`): its words
            // start after the quote.
            let quote = after(
                hay[floor..s]
                    .iter()
                    .rposition(|&b| matches!(b, b'"' | b'\'')),
            );
            quote < from
                && ends_quoted_key(hay, e)
                && keys.lookup(&hay[quote..e], scratch).is_some()
        })
    }
}

/// True when the word ending at `e` can be the last word of a quoted key:
/// only bytes that are not letters or digits up to a quote, then (after any
/// spaces) `:` or `=`.
fn ends_quoted_key(hay: &[u8], e: usize) -> bool {
    let rest = &hay[e..hay.len().min(e + HINT_REACH)];
    let Some(q) = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\'' || b.is_ascii_alphanumeric())
    else {
        return false;
    };
    !rest[q].is_ascii_alphanumeric()
        && rest[q + 1..]
            .iter()
            .find(|&&b| !matches!(b, b' ' | b'\t'))
            .is_some_and(|&b| b == b':' || b == b'=')
}

/// How far back from a hinted word the key text is taken: longer than any
/// key name, shorter than [`KeyMatcher::lookup`]'s limit.
const HINT_REACH: usize = 128;

/// Bytes that never belong to a key in any format we parse (spaces, `_`,
/// `-` and `.` do, as in `first name` or `user.email`).
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'"' | b'\''
            | b'\n'
            | b'\r'
            | b'\t'
            | b'{'
            | b'}'
            | b'['
            | b']'
            | b','
            | b';'
            | b'&'
            | b'?'
            | b'='
            | b':'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'/'
            | b'|'
    )
}

/// Writes `key` as lowercase words joined by `_` into `out`; returns the
/// number of words. Word breaks: any non-alphanumeric byte, and a lowercase
/// letter or digit followed by an uppercase letter (camelCase).
pub fn normalize_key(key: &[u8], out: &mut Vec<u8>) -> usize {
    let mut words = 0;
    let mut in_word = false;
    let mut prev_lower = false;
    for &b in key {
        if b.is_ascii_alphanumeric() {
            let upper = b.is_ascii_uppercase();
            if !in_word || (upper && prev_lower) {
                if words > 0 {
                    out.push(b'_');
                }
                words += 1;
                in_word = true;
            }
            out.push(b.to_ascii_lowercase());
            prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        } else {
            in_word = false;
            prev_lower = false;
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyMatcher {
        let mut m = KeyMatcher::default();
        m.insert("first_name", 1);
        m.insert("email", 2);
        m.insert("x-api-key", 3);
        m
    }

    /// Every quoted key the matcher accepts is hinted, whatever delimiters
    /// it holds, in JSON and in text.
    #[test]
    fn quoted_keys_with_delimiters_are_hinted() {
        let m = sample();
        let hint = KeyHint::new(&m);
        let words = ["first", "name", "Email", "x", "api", "KEY", "user"];
        let seps = [
            "/", "(", ")", "|", "_", "-", ".", " ", ":", ",", "=", "&", "",
        ];
        let mut s = Vec::new();
        let mut checked = 0;
        for a in words {
            for sa in seps {
                for b in words {
                    for sb in seps {
                        for c in words {
                            let key = format!("{a}{sa}{b}{sb}{c}");
                            if m.lookup(key.as_bytes(), &mut s).is_none() {
                                continue;
                            }
                            for text in [
                                format!("{{\"{key}\":1}}"),
                                format!("{{\"{key})\" : 1}}"),
                                format!("at \"{key}\": x"),
                                format!("'{key}'=x"),
                            ] {
                                checked += 1;
                                assert!(hint.hinted(&m, text.as_bytes(), &mut s), "{text}");
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn spellings_and_suffixes() {
        let m = sample();
        let mut s = Vec::new();
        for key in [
            "firstname",
            "firstName",
            "first_name",
            "first-name",
            "FIRST_NAME",
            "patient.firstName",
            "user FirstName",
        ] {
            assert_eq!(m.lookup(key.as_bytes(), &mut s), Some(1), "{key}");
        }
        assert_eq!(m.lookup(b"userEmail", &mut s), Some(2));
        assert_eq!(m.lookup(b"X-Api-Key", &mut s), Some(3));
        let hint = KeyHint::new(&m);
        for text in [
            "a firstName=x",
            "{\"user_email\":1}",
            "EMAIL: x",
            "x-api-key",
            "email",
            "{\"patient first name\":1}",
            "a,first_name=1",
            "{\"first/name\":\"x\"}",
            "{\"first(name)\":1}",
            "'patient|first name': x",
        ] {
            assert!(hint.hinted(&m, text.as_bytes(), &mut s), "{text}");
        }
        for text in [
            "hostname=x",
            "emailed=1",
            "keyboard",
            "monkey: 1",
            "name=x",
            "level=info",
        ] {
            assert!(!hint.hinted(&m, text.as_bytes(), &mut s), "{text}");
        }
        for key in ["hostname", "email_verified", "name", ""] {
            assert_eq!(m.lookup(key.as_bytes(), &mut s), None, "{key}");
        }
    }
}
