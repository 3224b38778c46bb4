//! Key-name rules: which field names carry sensitive values.
//!
//! Names are compared as words, so `firstName`, `first_name`, `first-name`
//! and `FIRST_NAME` are one name. A key matches a rule when the key's words
//! end with the rule name's words: `patient.firstName` matches `first_name`,
//! but `hostname` does not match `name`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::ControlFlow;
use std::sync::OnceLock;

use super::literals::Literals;

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

/// How a name ends after its hint word: `(k, last)`, `k` more words up to
/// the last word `last` (see [`KeyMatcher::hint_words`]).
pub type NameEnd = (usize, Box<[u8]>);

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

    /// One word of every name to look for, each with how the names it
    /// stands for end: `(k, last)`, `k` more words up to the last word
    /// `last`. A key that matches contains the word, ASCII
    /// case-insensitively. It is the first word of three letters or more,
    /// else the first that is not all digits: `address_line_1` is found by
    /// `address`, not by every `1` in a log, and `born_on` by `born`. (The
    /// last word instead, `line`, `id`, `level`, hits more often in logs.)
    /// A word that is a name of its own is looked for anyway, so a longer
    /// name that holds it is found by it and adds no word to look for:
    /// `push_token` by `token`. Names of the rules in `skip` are left out.
    pub fn hint_words(&self, skip: &[u32]) -> Vec<(String, Vec<NameEnd>)> {
        let names: Vec<Vec<&[u8]>> = self
            .names
            .iter()
            .filter(|(_, rule)| !skip.contains(rule))
            .map(|(name, _)| name.split(|&b| b == b'_').collect())
            .collect();
        let strength = |w: &[u8]| match w.len() {
            _ if w.iter().all(u8::is_ascii_digit) => 0,
            1 | 2 => 1,
            _ => 2,
        };
        let alone: HashSet<&[u8]> = names
            .iter()
            .filter(|words| words.len() == 1 && strength(words[0]) > 0)
            .map(|words| words[0])
            .collect();
        let mut best: HashMap<&[u8], Vec<NameEnd>> = HashMap::new();
        for words in &names {
            let h = (0..words.len())
                .find(|&i| alone.contains(words[i]))
                .or_else(|| (0..words.len()).rev().max_by_key(|&i| strength(words[i])))
                .expect("a name has a word");
            let last = words[words.len() - 1].into();
            best.entry(words[h])
                .or_default()
                .push((words.len() - 1 - h, last));
        }
        let mut out: Vec<(String, Vec<NameEnd>)> = best
            .into_iter()
            .map(|(w, mut ends)| {
                ends.sort();
                ends.dedup();
                (String::from_utf8_lossy(w).into_owned(), ends)
            })
            .collect();
        out.sort();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names, normalized (`first_name`, `firstname`).
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.names.keys().map(|n| &n[..])
    }

    /// The rule for `key`, if any. `scratch` is reused between calls and
    /// remembers the answers for recent keys.
    pub fn lookup(&self, key: &[u8], scratch: &mut KeyScratch) -> Option<u32> {
        if self.names.is_empty() || key.len() > 256 {
            return None;
        }
        if key.len() > MEMO_KEY {
            return self.find(key, &mut scratch.norm);
        }
        let memo = &mut scratch.memo[memo_slot(key)];
        if usize::from(memo.len) == key.len() && memo.key[..key.len()] == *key {
            return memo.rule;
        }
        let rule = self.find(key, &mut scratch.norm);
        memo.len = key.len() as u8;
        memo.key[..key.len()].copy_from_slice(key);
        memo.rule = rule;
        rule
    }

    /// [`KeyMatcher::lookup`] without the memo.
    fn find(&self, key: &[u8], scratch: &mut Vec<u8>) -> Option<u32> {
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

/// Keys at most this long are remembered by [`KeyScratch`].
const MEMO_KEY: usize = 31;
/// Remembered keys per thread (a power of two).
const MEMO_SLOTS: usize = 512;

/// Per-thread memory for [`KeyMatcher::lookup`]: the buffer a key is
/// normalized into, and the answers for recently seen keys. Logs repeat a
/// few dozen key names, so most lookups are one hash and one compare
/// instead of a normalization and up to one hash-map probe per word.
pub struct KeyScratch {
    norm: Vec<u8>,
    memo: Box<[Memo]>,
}

/// One remembered key (its raw bytes) and its answer.
#[derive(Clone, Copy)]
struct Memo {
    len: u8,
    key: [u8; MEMO_KEY],
    rule: Option<u32>,
}

impl Default for KeyScratch {
    fn default() -> KeyScratch {
        // An empty slot holds the empty key, which names no rule.
        let empty = Memo {
            len: 0,
            key: [0; MEMO_KEY],
            rule: None,
        };
        KeyScratch {
            norm: Vec::new(),
            memo: vec![empty; MEMO_SLOTS].into_boxed_slice(),
        }
    }
}

/// The memo slot of a key: a multiplicative hash of its length and its
/// first and last eight bytes.
fn memo_slot(key: &[u8]) -> usize {
    let n = key.len();
    let eight = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("eight bytes"));
    let (head, tail) = if n >= 8 {
        (eight(&key[..8]), eight(&key[n - 8..]))
    } else {
        (key.iter().fold(0u64, |w, &x| (w << 8) | u64::from(x)), 0)
    };
    let h = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - MEMO_SLOTS.trailing_zeros())) as usize
}

/// A quick test for text that may hold a sensitive key: finds one word of
/// every key name (see [`KeyMatcher::hint_words`]) where it stands as a
/// word of a key, then confirms with [`KeyMatcher::lookup`]. A key's words
/// (see [`normalize_key`]) start after a non-alphanumeric byte or at a
/// lowercase-to-uppercase step, so `span_id` does not hint at `pan` while
/// `userEmail`, `user_email` and `EMAIL` hint at `email`. Every key the
/// matcher gives to a rule that is not *quiet* is hinted.
#[derive(Debug, Clone)]
pub struct KeyHint {
    /// Rules whose keys are no reason to look at a record (`allow` rules:
    /// they only exempt values from other rules).
    quiet: Vec<u32>,
    /// The words looked for, one per name or more.
    words: Vec<String>,
    /// The words' automaton, built on first use: when content rules exist,
    /// their scan finds the words and this one is never needed.
    scan: OnceLock<Option<Literals>>,
    /// Per word: how its names end (`k` more words, the last one), by `k`.
    ends: Vec<Vec<NameEnd>>,
}

impl KeyHint {
    /// A hint for the keys of `matcher`, except those of the `quiet` rules.
    pub fn new(matcher: &KeyMatcher, quiet: Vec<u32>) -> KeyHint {
        let (words, ends): (Vec<String>, Vec<_>) = matcher.hint_words(&quiet).into_iter().unzip();
        KeyHint {
            quiet,
            words,
            scan: OnceLock::new(),
            ends,
        }
    }

    /// The words looked for, in the order the hint numbers
    /// them: a caller that scans records anyway can look for them in the
    /// same pass.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// True when `hay` may hold a key that `keys` gives to a rule that is
    /// not quiet.
    ///
    /// A hit on a name's word is followed over the words that may come
    /// after it in the name, and each possible key end is confirmed with
    /// [`KeyMatcher::lookup`] on the text that ends there and starts after
    /// the delimiter nearest before the hit, and failing that after the
    /// nearest quote. A bare key holds no delimiter and a quoted key no
    /// quote, so the words of one of these texts end with the words of any
    /// key that ends there: every key the rules match is still found.
    pub fn hinted(&self, keys: &KeyMatcher, hay: &[u8], scratch: &mut KeyScratch) -> bool {
        let scan = self.scan.get_or_init(|| {
            (!self.words.is_empty())
                .then(|| Literals::new(&self.words).expect("key words are short literals"))
        });
        let Some(scan) = scan else {
            return false;
        };
        scan.scan(hay, 0, hay.len(), |s, e, id| {
            match self.confirm(keys, hay, s, e, id, scratch) {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            }
        })
        .is_break()
    }

    /// [`KeyHint::hinted`] for the occurrences of the words (`(start, end,
    /// word)`, as numbered by [`KeyHint::words`]) found by another scan of
    /// all of `hay`.
    pub fn hinted_at(
        &self,
        keys: &KeyMatcher,
        hay: &[u8],
        hits: &[(usize, usize, u32)],
        scratch: &mut KeyScratch,
    ) -> bool {
        hits.iter()
            .any(|&(s, e, id)| self.confirm(keys, hay, s, e, id, scratch))
    }

    /// Whether the occurrence `hay[s..e]` of word `id` is part of a key
    /// that `keys` matches.
    fn confirm(
        &self,
        keys: &KeyMatcher,
        hay: &[u8],
        s: usize,
        e: usize,
        id: u32,
        scratch: &mut KeyScratch,
    ) -> bool {
        if !(word_starts(hay, s) && word_ends(hay, e)) {
            return false;
        }
        // The word at `s..e`, then each following word `at..end`.
        let (mut at, mut end, mut k) = (s, e, 0);
        for (want, last) in &self.ends[id as usize] {
            while k < *want {
                match next_word(hay, end) {
                    Some((a, b)) => (at, end, k) = (a, b, k + 1),
                    None => return false,
                }
            }
            if hay[at..end].eq_ignore_ascii_case(last)
                && separator_follows(hay, end)
                && key_ends_at(keys, hay, s, end, &self.quiet, scratch)
            {
                return true;
            }
        }
        false
    }
}

/// True when the first `:` or `=` after `e` comes before any letter or
/// digit. Every key the parsers look up is followed by its separator, past
/// bytes that are no part of a word (a closing quote, spaces, `_`): a JSON
/// key by `:`, a text or logfmt key by `:` or `=`. A word in a path or a
/// sentence (`GET /api/v1/symptoms 200`) is no key.
fn separator_follows(hay: &[u8], e: usize) -> bool {
    hay[e..]
        .iter()
        .find(|&&b| b == b':' || b == b'=' || b.is_ascii_alphanumeric())
        .is_some_and(|&b| !b.is_ascii_alphanumeric())
}

/// True when a key that holds the word at `s` and ends at `e` names a rule
/// that is not `quiet`: see [`KeyHint::hinted`].
fn key_ends_at(
    keys: &KeyMatcher,
    hay: &[u8],
    s: usize,
    e: usize,
    quiet: &[u32],
    scratch: &mut KeyScratch,
) -> bool {
    let loud = |rule: Option<u32>| rule.is_some_and(|r| !quiet.contains(&r));
    let floor = e.saturating_sub(HINT_REACH).min(s);
    let after = |at: Option<usize>| at.map_or(floor, |i| floor + i + 1);
    let from = after(hay[floor..s].iter().rposition(|&b| is_delimiter(b)));
    if loud(keys.lookup(&hay[from..e], scratch)) {
        return true;
    }
    // A quoted key may hold delimiters (`"first/name":`): its words start
    // after the quote.
    if !ends_quoted_key(hay, e) {
        return false;
    }
    let quote = after(
        hay[floor..s]
            .iter()
            .rposition(|&b| matches!(b, b'"' | b'\'')),
    );
    quote < from && loud(keys.lookup(&hay[quote..e], scratch))
}

/// A word of a key (as [`normalize_key`] splits it) can start at `s`.
fn word_starts(hay: &[u8], s: usize) -> bool {
    s == 0 || !hay[s - 1].is_ascii_alphanumeric() || case_step(hay, s)
}

/// A word of a key can end at `e`.
fn word_ends(hay: &[u8], e: usize) -> bool {
    e == hay.len() || !hay[e].is_ascii_alphanumeric() || case_step(hay, e)
}

/// `hay[i]` starts a new word inside a run of letters and digits
/// (`userEmail`, `line1Of`).
fn case_step(hay: &[u8], i: usize) -> bool {
    hay[i].is_ascii_uppercase() && (hay[i - 1].is_ascii_lowercase() || hay[i - 1].is_ascii_digit())
}

/// The key word that follows `at` (after any separators), as
/// [`normalize_key`] splits words; `None` when none starts within reach.
fn next_word(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    let limit = hay.len().min(at + HINT_REACH);
    let start = at + hay[at..limit].iter().position(u8::is_ascii_alphanumeric)?;
    let mut i = start + 1;
    while i < limit && hay[i].is_ascii_alphanumeric() && !case_step(hay, i) {
        i += 1;
    }
    Some((start, i))
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
        m.insert("address_line_1", 4);
        m.insert("born_on", 5);
        m
    }

    /// Every quoted key the matcher accepts is hinted, whatever delimiters
    /// it holds, in JSON and in text.
    #[test]
    fn quoted_keys_with_delimiters_are_hinted() {
        let m = sample();
        let hint = KeyHint::new(&m, Vec::new());
        let words = [
            "first", "name", "Email", "x", "api", "KEY", "user", "Line", "1", "born", "ON",
        ];
        let seps = [
            "/", "(", ")", "|", "_", "-", ".", " ", ":", ",", "=", "&", "",
        ];
        let mut s = KeyScratch::default();
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
        assert!(checked > 3000, "{checked}");
    }

    #[test]
    fn spellings_and_suffixes() {
        let m = sample();
        let mut s = KeyScratch::default();
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
        let hint = KeyHint::new(&m, Vec::new());
        for text in [
            "a firstName=x",
            "{\"user_email\":1}",
            "EMAIL: x",
            "x-api-key: 1",
            "{\"email\"\n  :1}",
            "{\"patient first name\":1}",
            "a,first_name=1",
            "{\"first/name\":\"x\"}",
            "{\"first(name)\":1}",
            "'patient|first name': x",
            "addressLine_1=x",
            "home address-line-1: x",
            "{\"ADDRESS_LINE__1\":1}",
            "dob bornOn=1990",
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
            "line 1 of 2",
            "address line 12",
            "born in 1990",
            // Key words that no separator follows.
            "x-api-key",
            "email",
            "GET /api/v1/email 200",
            "email is x: 1",
            "{\"a\":\"first name\"}",
        ] {
            assert!(!hint.hinted(&m, text.as_bytes(), &mut s), "{text}");
        }
        let far = format!("{{\"email\"{}:1}}", " ".repeat(300));
        assert!(hint.hinted(&m, far.as_bytes(), &mut s));
        for key in ["hostname", "email_verified", "name", ""] {
            assert_eq!(m.lookup(key.as_bytes(), &mut s), None, "{key}");
        }
    }

    /// The memo answers exactly as a fresh lookup does, whatever keys
    /// share a slot and whatever came before.
    #[test]
    fn remembered_answers_match_fresh_lookups() {
        let m = sample();
        let mut keys: Vec<String> = Vec::new();
        for i in 0..3000 {
            keys.push(format!("k{i}"));
            keys.push(format!("user{i}Email"));
            keys.push(format!("x{i}.first_name"));
        }
        keys.push("a".repeat(MEMO_KEY));
        keys.push(format!("{}email", "a".repeat(MEMO_KEY)));
        let mut shared = KeyScratch::default();
        for round in 0..2 {
            for key in &keys {
                let fresh = m.find(key.as_bytes(), &mut Vec::new());
                assert_eq!(
                    m.lookup(key.as_bytes(), &mut shared),
                    fresh,
                    "{key} {round}"
                );
            }
        }
        assert!(keys
            .iter()
            .any(|k| m.find(k.as_bytes(), &mut Vec::new()).is_some()));
        let used: std::collections::HashSet<usize> =
            keys.iter().map(|k| memo_slot(k.as_bytes())).collect();
        assert!(used.len() > MEMO_SLOTS / 2, "keys spread over the slots");
    }
}
