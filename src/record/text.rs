//! Key-value pairs in text: logfmt `key=value` and `key="quoted value"`,
//! `key: value`, and `"key": "value"` (JSON fragments inside text).
//!
//! Only the spans are reported; whether a key is sensitive is the key
//! matcher's business.

/// One pair found in text: byte ranges of the key and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub key: (usize, usize),
    pub value: (usize, usize),
}

const MAX_KEY: usize = 64;
/// Words an unquoted `key: value` may span (names, street addresses).
const MAX_COLON_WORDS: usize = 4;

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Calls `f` for every key-value pair in `hay` whose key `want` accepts
/// (given the key's byte range), with what `want` returned. The value's
/// extent is only worked out for wanted keys.
pub fn kv_pairs<T>(
    hay: &[u8],
    want: impl FnMut(usize, usize) -> Option<T>,
    f: impl FnMut(Pair, T),
) {
    kv_pairs_at(hay, memchr::memchr2_iter(b'=', b':', hay), want, f)
}

/// Like [`kv_pairs`], for the separators (`=`, `:`) at offsets `seps` only:
/// a caller that knows where pairs can be passes just those.
pub fn kv_pairs_at<T>(
    hay: &[u8],
    seps: impl Iterator<Item = usize>,
    mut want: impl FnMut(usize, usize) -> Option<T>,
    mut f: impl FnMut(Pair, T),
) {
    for sep in seps {
        if let Some((pair, t)) = pair_at(hay, sep, &mut want) {
            f(pair, t);
        }
    }
}

/// The pair whose separator is at `sep`, if the bytes around it form one
/// and `want` accepts its key.
fn pair_at<T>(
    hay: &[u8],
    sep: usize,
    want: &mut impl FnMut(usize, usize) -> Option<T>,
) -> Option<(Pair, T)> {
    let colon = hay[sep] == b':';
    // The key ends before the separator, or before one space before it.
    let mut end = sep;
    if end > 0 && hay[end - 1] == b' ' {
        end -= 1;
    }
    let quote = end
        .checked_sub(1)
        .map(|i| hay[i])
        .filter(|&b| b == b'"' || b == b'\'');
    // The value first: most separators in a log (times, URLs) fail here,
    // before the key is looked for.
    let mut v = sep + 1;
    if colon && hay.get(v) == Some(&b'/') {
        return None; // a URL scheme, `https://`
    }
    // `key= next=1`: an empty logfmt value, not a value of `next=1`.
    if !colon && hay.get(v) == Some(&b' ') && !(end < sep && hay[end] == b' ') {
        return None;
    }
    while v < hay.len() && hay[v] == b' ' {
        v += 1;
    }
    if colon && v == sep + 1 && quote.is_none() && !matches!(hay.get(v), Some(b'"' | b'\'')) {
        // `a:b` without a space is a time, a port, an IPv6 address...
        return None;
    }
    let first = *hay.get(v)?;
    if first == b'\\' {
        // `\"key\":\"value\"` is escaped JSON: the decoded layer sees it whole.
        return None;
    }
    // Key: `"key"`, `'key'` or a bare run of key bytes.
    let (key_start, key_end) = match quote {
        Some(q) => {
            let open = memchr::memrchr(q, &hay[end.saturating_sub(MAX_KEY + 1)..end - 1])?
                + end.saturating_sub(MAX_KEY + 1);
            (open + 1, end - 1)
        }
        None => {
            let mut s = end;
            while s > 0 && end - s < MAX_KEY && is_key_byte(hay[s - 1]) {
                s -= 1;
            }
            (s, end)
        }
    };
    if key_start >= key_end || !hay[key_start..key_end].iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    if quote.is_none() && key_start > 0 && is_key_byte(hay[key_start - 1]) {
        return None;
    }
    let wanted = want(key_start, key_end)?;
    let value = match &first {
        &q @ (b'"' | b'\'') => {
            let close = quoted_end(hay, v + 1, q);
            (v + 1, close)
        }
        b'{' | b'[' => (v, bracket_end(hay, v)),
        _ if !colon => (v, bare_end(hay, v)),
        _ => (v, words_end(hay, v)),
    };
    (value.1 > value.0).then_some((
        Pair {
            key: (key_start, key_end),
            value,
        },
        wanted,
    ))
}

/// End (exclusive, before the quote) of a quoted value starting at `from`.
fn quoted_end(hay: &[u8], from: usize, quote: u8) -> usize {
    let mut i = from;
    while let Some(j) = super::quote_or_backslash(hay, i, quote) {
        if hay[j] == quote {
            return j;
        }
        i = j + 2;
        if i >= hay.len() {
            return hay.len();
        }
    }
    hay.len()
}

fn bare_end(hay: &[u8], from: usize) -> usize {
    hay[from..]
        .iter()
        .position(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'&' | b',' | b';' | b'"' | b'\'' | b')' | b']' | b'}' | b'<' | b'>'
                )
        })
        .map_or(hay.len(), |p| from + p)
}

/// An unquoted `key: value` runs over up to a few words, stopping at
/// punctuation or at the next `key:`/`key=`.
fn words_end(hay: &[u8], from: usize) -> usize {
    let mut end = from;
    let mut words = 0;
    let mut i = from;
    while i < hay.len() && words < MAX_COLON_WORDS {
        let word_end = hay[i..]
            .iter()
            .position(|&b| {
                b.is_ascii_whitespace()
                    || matches!(
                        b,
                        b',' | b';' | b'|' | b'&' | b'"' | b'\'' | b')' | b']' | b'}' | b'<' | b'>'
                    )
            })
            .map_or(hay.len(), |p| i + p);
        let word = &hay[i..word_end];
        if word.is_empty() || (words > 0 && (word.contains(&b'=') || word.ends_with(b":"))) {
            break;
        }
        end = word_end;
        words += 1;
        if word_end >= hay.len() || hay[word_end] != b' ' {
            break;
        }
        i = word_end + 1;
    }
    end
}

/// How far a bracketed value is followed: beyond this the value is taken to
/// run to this point (redacting more, never less), so that nested values
/// under sensitive keys cannot make a record cost quadratic time.
const MAX_BRACKET_SCAN: usize = 64 * 1024;

/// End (exclusive) of a bracketed value, ignoring brackets inside strings.
fn bracket_end(hay: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    let limit = hay.len().min(from + MAX_BRACKET_SCAN);
    while i < limit {
        match hay[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'"' => i = quoted_end(&hay[..limit], i + 1, b'"'),
            _ => {}
        }
        i += 1;
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(&str, &str)> {
        let mut v = Vec::new();
        kv_pairs(
            s.as_bytes(),
            |_, _| Some(()),
            |p, ()| v.push((&s[p.key.0..p.key.1], &s[p.value.0..p.value.1])),
        );
        v
    }

    #[test]
    fn logfmt_and_query_strings() {
        assert_eq!(
            pairs(r#"level=info user_email=jane@x.com msg="hello there" n=3"#),
            [
                ("level", "info"),
                ("user_email", "jane@x.com"),
                ("msg", "hello there"),
                ("n", "3")
            ]
        );
        assert_eq!(
            pairs("GET /a?token=abc&email=b%40c.d HTTP/1.1"),
            [("token", "abc"), ("email", "b%40c.d")]
        );
    }

    #[test]
    fn colon_forms() {
        assert_eq!(
            pairs("Name: Søren Hansen, age 3"),
            [("Name", "Søren Hansen")]
        );
        assert_eq!(
            pairs(r#"body {"password": "p4ss", "n": 1}"#),
            [("password", "p4ss"), ("n", "1")]
        );
        assert_eq!(pairs("at 12:30:01 via https://x.org host:80"), []);
        assert_eq!(
            pairs("email: a@b.co phone: 123"),
            [("email", "a@b.co"), ("phone", "123")]
        );
    }
}
