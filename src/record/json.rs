//! A JSON tokenizer that records where every key and value is, for editing
//! in place. It never builds a tree: untouched bytes are copied verbatim.
//! Iterative with an explicit stack, so 10,000 levels of nesting are fine.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Key,
    Str,
    Num,
    /// `true`, `false`.
    Bool,
    Null,
    Object,
    Array,
}

/// One key or value. `start..end` covers the whole token (quotes and
/// brackets included); containers get their `end` when they close.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Kind,
    pub start: u32,
    pub end: u32,
    /// Strings: holds a backslash escape.
    pub escaped: bool,
}

/// Why a document is not JSON, as a byte offset (never content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError(pub usize);

/// Tokenizes one JSON document into `tokens` (cleared first). Trailing bytes
/// other than whitespace are an error.
pub fn tokenize(
    doc: &[u8],
    tokens: &mut Vec<Token>,
    stack: &mut Vec<u32>,
) -> Result<(), SyntaxError> {
    #[derive(Clone, Copy)]
    enum State {
        Value,
        AfterValue,
        FirstKey,
        FirstElement,
        Key,
    }
    tokens.clear();
    stack.clear();
    if doc.len() > u32::MAX as usize {
        return Err(SyntaxError(0));
    }
    let mut i = skip_ws(doc, 0);
    let mut state = State::Value;
    loop {
        let Some(&b) = doc.get(i) else {
            return Err(SyntaxError(i));
        };
        match state {
            State::Value => {
                let start = i;
                let (kind, end, escaped) = match b {
                    b'{' | b'[' => {
                        let kind = if b == b'{' { Kind::Object } else { Kind::Array };
                        stack.push(tokens.len() as u32);
                        tokens.push(Token {
                            kind,
                            start: start as u32,
                            end: 0,
                            escaped: false,
                        });
                        i = skip_ws(doc, i + 1);
                        state = if b == b'{' {
                            State::FirstKey
                        } else {
                            State::FirstElement
                        };
                        continue;
                    }
                    b'"' => {
                        let (end, escaped) = string_end(doc, i)?;
                        (Kind::Str, end, escaped)
                    }
                    b'-' | b'0'..=b'9' => (Kind::Num, number_end(doc, i)?, false),
                    b't' if doc[i..].starts_with(b"true") => (Kind::Bool, i + 4, false),
                    b'f' if doc[i..].starts_with(b"false") => (Kind::Bool, i + 5, false),
                    b'n' if doc[i..].starts_with(b"null") => (Kind::Null, i + 4, false),
                    _ => return Err(SyntaxError(i)),
                };
                tokens.push(Token {
                    kind,
                    start: start as u32,
                    end: end as u32,
                    escaped,
                });
                i = end;
                state = State::AfterValue;
            }
            State::FirstKey if b == b'}' => {
                close(tokens, stack, Kind::Object, i)?;
                i += 1;
                state = State::AfterValue;
            }
            State::FirstElement if b == b']' => {
                close(tokens, stack, Kind::Array, i)?;
                i += 1;
                state = State::AfterValue;
            }
            State::FirstElement => state = State::Value,
            State::FirstKey | State::Key => {
                if b != b'"' {
                    return Err(SyntaxError(i));
                }
                let (end, escaped) = string_end(doc, i)?;
                tokens.push(Token {
                    kind: Kind::Key,
                    start: i as u32,
                    end: end as u32,
                    escaped,
                });
                i = skip_ws(doc, end);
                if doc.get(i) != Some(&b':') {
                    return Err(SyntaxError(i));
                }
                i += 1;
                state = State::Value;
            }
            State::AfterValue => {
                let Some(&top) = stack.last() else {
                    return if i == doc.len() {
                        Ok(())
                    } else {
                        Err(SyntaxError(i))
                    };
                };
                match b {
                    b',' => {
                        state = if tokens[top as usize].kind == Kind::Object {
                            State::Key
                        } else {
                            State::Value
                        };
                        i += 1;
                    }
                    b'}' => {
                        close(tokens, stack, Kind::Object, i)?;
                        i += 1;
                    }
                    b']' => {
                        close(tokens, stack, Kind::Array, i)?;
                        i += 1;
                    }
                    _ => return Err(SyntaxError(i)),
                }
            }
        }
        i = skip_ws(doc, i);
        if i == doc.len() && stack.is_empty() && matches!(state, State::AfterValue) {
            return Ok(());
        }
    }
}

fn close(
    tokens: &mut [Token],
    stack: &mut Vec<u32>,
    kind: Kind,
    at: usize,
) -> Result<(), SyntaxError> {
    match stack.pop() {
        Some(t) if tokens[t as usize].kind == kind => {
            tokens[t as usize].end = at as u32 + 1;
            Ok(())
        }
        _ => Err(SyntaxError(at)),
    }
}

fn skip_ws(doc: &[u8], mut i: usize) -> usize {
    while i < doc.len() && matches!(doc[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End (after the closing quote) of the string starting at `doc[start] ==
/// '"'`, and whether it holds an escape.
fn string_end(doc: &[u8], start: usize) -> Result<(usize, bool), SyntaxError> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        let Some(stop) = super::quote_or_backslash(doc, i, b'"') else {
            return Err(SyntaxError(start));
        };
        if doc[stop] == b'"' {
            return Ok((stop + 1, escaped));
        }
        escaped = true;
        i = stop + 2;
        if i > doc.len() {
            return Err(SyntaxError(start));
        }
    }
}

fn number_end(doc: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut i = start;
    while i < doc.len() && matches!(doc[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
        i += 1;
    }
    if doc[start..i].iter().any(u8::is_ascii_digit) {
        Ok(i)
    } else {
        Err(SyntaxError(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(doc: &str) -> Result<Vec<(Kind, String)>, SyntaxError> {
        let (mut t, mut s) = (Vec::new(), Vec::new());
        tokenize(doc.as_bytes(), &mut t, &mut s)?;
        Ok(t.iter()
            .map(|t| (t.kind, doc[t.start as usize..t.end as usize].to_string()))
            .collect())
    }

    #[test]
    fn tokens_and_spans() {
        let got = kinds(r#" {"a": [1, "x\"y", {"b": null}], "c": true} "#).unwrap();
        let want = [
            (
                Kind::Object,
                r#"{"a": [1, "x\"y", {"b": null}], "c": true}"#,
            ),
            (Kind::Key, r#""a""#),
            (Kind::Array, r#"[1, "x\"y", {"b": null}]"#),
            (Kind::Num, "1"),
            (Kind::Str, r#""x\"y""#),
            (Kind::Object, r#"{"b": null}"#),
            (Kind::Key, r#""b""#),
            (Kind::Null, "null"),
            (Kind::Key, r#""c""#),
            (Kind::Bool, "true"),
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1.as_str()), w);
        }
        assert_eq!(kinds("[]").unwrap().len(), 1);
        assert_eq!(kinds("{}").unwrap().len(), 1);
    }

    #[test]
    fn rejects_broken_documents() {
        for bad in [
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":1}x"#,
            r#"[1,]"#,
            r#"{"a":"x}"#,
            r#"{a:1}"#,
            "[1}",
            "{",
            r#""\"#,
        ] {
            assert!(kinds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn string_ends_agree_with_a_byte_by_byte_scan() {
        // Quotes and backslashes at every offset around the eight-byte
        // words and the switch to memchr, with bytes above 0x80 (a borrow
        // could mark them) in between.
        let fills: [&[u8]; 3] = [b"a", "\u{e9}".as_bytes(), b"\x01"];
        for len in 0..48 {
            for fill in fills {
                for stop in [&b"\""[..], b"\\\"", b"\\\\\"", b"\\"] {
                    let mut doc = b"\"".to_vec();
                    while doc.len() < len + 1 {
                        doc.extend_from_slice(fill);
                    }
                    doc.extend_from_slice(stop);
                    doc.extend_from_slice(b"x\"tail");
                    let mut expect = None;
                    let mut i = 1;
                    let mut escaped = false;
                    while i < doc.len() {
                        match doc[i] {
                            b'"' => {
                                expect = Some((i + 1, escaped));
                                break;
                            }
                            b'\\' => {
                                escaped = true;
                                i += 2;
                            }
                            _ => i += 1,
                        }
                    }
                    assert_eq!(string_end(&doc, 0).ok(), expect, "{:?}", doc);
                }
            }
        }
        assert!(string_end(b"\"abc", 0).is_err());
        assert!(string_end(b"\"abc\\", 0).is_err());
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let doc = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(kinds(&doc).unwrap().len(), 10_000);
    }
}
