//! Key-name rules: which field names carry sensitive values.
//!
//! Names are compared as words, so `firstName`, `first_name`, `first-name`
//! and `FIRST_NAME` are one name. A key matches a rule when the key's words
//! end with the rule name's words: `patient.firstName` matches `first_name`,
//! but `hostname` does not match `name`.

use std::collections::HashMap;

/// Maps normalized key names to the rule that owns them.
#[derive(Debug, Default, Clone)]
pub struct KeyMatcher {
    names: HashMap<Box<[u8]>, u32>,
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

    #[test]
    fn spellings_and_suffixes() {
        let mut m = KeyMatcher::default();
        m.insert("first_name", 1);
        m.insert("email", 2);
        m.insert("x-api-key", 3);
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
        for key in ["hostname", "email_verified", "name", ""] {
            assert_eq!(m.lookup(key.as_bytes(), &mut s), None, "{key}");
        }
    }
}
