//! Undoing URL encoding and JSON escapes with an offset map.
//!
//! `map[i]` is the offset in the source of the encoded unit that produced
//! decoded byte `i`; `map[decoded.len()]` is the source length. Bytes decoded
//! from one escape share its start, so [`source_span`] widens a span to whole
//! escapes and never cuts one in half.

/// True when `s` holds a `%XX` escape.
pub fn has_url_escape(s: &[u8]) -> bool {
    memchr::memchr_iter(b'%', s).any(|i| url_escape_at(s, i))
}

/// Whether `s` holds a backslash (JSON escapes may be in it) and whether it
/// holds a URL escape, in one scan.
pub fn escape_kinds(s: &[u8]) -> (bool, bool) {
    let (mut backslash, mut url) = (false, false);
    for i in memchr::memchr2_iter(b'\\', b'%', s) {
        match s[i] {
            b'\\' => backslash = true,
            _ => url = url || url_escape_at(s, i),
        }
        if backslash && url {
            break;
        }
    }
    (backslash, url)
}

/// Where the line that starts at `input[start]` ends (just after its `\n`,
/// or at the end of `input`), and the [`escape_kinds`] of its bytes: one
/// scan for both, for a caller that cuts records out of a buffer.
pub fn line_escape_kinds(input: &[u8], start: usize) -> (usize, (bool, bool)) {
    let (mut backslash, mut url) = (false, false);
    let mut at = start;
    while !(backslash && url) {
        let Some(i) = memchr::memchr3(b'\n', b'\\', b'%', &input[at..]) else {
            return (input.len(), (backslash, url));
        };
        let i = at + i;
        match input[i] {
            b'\n' => return (i + 1, (backslash, url)),
            b'\\' => backslash = true,
            // The two hex digits of an escape are never a line's end.
            _ => url = url || url_escape_at(input, i),
        }
        at = i + 1;
    }
    let next = memchr::memchr(b'\n', &input[at..]).map_or(input.len(), |i| at + i + 1);
    (next, (true, true))
}

/// `s[i]` (a `%`) starts a URL escape.
fn url_escape_at(s: &[u8], i: usize) -> bool {
    i + 2 < s.len() && hex(s[i + 1]).is_some() && hex(s[i + 2]).is_some()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes of `src` into `out` (cleared first). `+` is kept:
/// it is part of many e-mail addresses.
pub fn url_decode(src: &[u8], out: &mut Vec<u8>, map: &mut Vec<u32>) {
    out.clear();
    map.clear();
    let mut i = 0;
    while i < src.len() {
        // The run up to the next `%` is copied as it is.
        let run = memchr::memchr(b'%', &src[i..]).map_or(src.len(), |k| i + k);
        out.extend_from_slice(&src[i..run]);
        map.extend(i as u32..run as u32);
        i = run;
        if i == src.len() {
            break;
        }
        match (
            src.get(i + 1).copied().and_then(hex),
            src.get(i + 2).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            _ => {
                out.push(b'%');
                i += 1;
            }
        }
        map.push(run as u32);
    }
    map.push(src.len() as u32);
}

/// Decodes JSON string escapes (`\"`, `\\`, `\n`, `\u00e9`, surrogate pairs)
/// of `src` (a string's content, without quotes) into `out`. Invalid escapes
/// are copied as they are.
pub fn json_unescape(src: &[u8], out: &mut Vec<u8>, map: &mut Vec<u32>) {
    out.clear();
    map.clear();
    let mut i = 0;
    while i < src.len() {
        if src[i] != b'\\' || i + 1 >= src.len() {
            out.push(src[i]);
            map.push(i as u32);
            i += 1;
            continue;
        }
        let start = i as u32;
        if let Some(b) = simple_escape(src[i + 1]) {
            out.push(b);
            map.push(start);
            i += 2;
            continue;
        }
        if src[i + 1] == b'u' {
            if let Some(mut cp) = hex4(&src[i + 2..]) {
                let mut len = 6;
                if (0xD800..0xDC00).contains(&cp)
                    && src.get(i + 6) == Some(&b'\\')
                    && src.get(i + 7) == Some(&b'u')
                {
                    if let Some(lo) = hex4(&src[i + 8..]).filter(|lo| (0xDC00..0xE000).contains(lo))
                    {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        len = 12;
                    }
                }
                let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
                let mut buf = [0u8; 4];
                for &b in c.encode_utf8(&mut buf).as_bytes() {
                    out.push(b);
                    map.push(start);
                }
                i += len;
                continue;
            }
        }
        out.push(src[i]);
        map.push(start);
        i += 1;
    }
    map.push(src.len() as u32);
}

/// The byte a one-letter JSON escape (`\n`, `\"`, ...) stands for.
fn simple_escape(letter: u8) -> Option<u8> {
    Some(match letter {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 8,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

/// Length of the JSON escape that starts at `s[i]` (a backslash), if it is
/// one [`json_unescape`] decodes: 2 for `\n` and its kind, 6 for `\uXXXX`.
pub fn escape_len(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'\\') {
        return None;
    }
    match *s.get(i + 1)? {
        b'u' => hex4(&s[i + 2..]).map(|_| 6),
        b => simple_escape(b).map(|_| 2),
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    if s.len() < 4 {
        return None;
    }
    s[..4]
        .iter()
        .try_fold(0u32, |acc, &b| hex(b).map(|v| acc << 4 | u32::from(v)))
}

/// Maps decoded span `start..end` back to the source span that covers it.
pub fn source_span(map: &[u32], start: usize, end: usize) -> (usize, usize) {
    let from = map[start] as usize;
    if end == 0 {
        return (from, from);
    }
    // The end is where the first unit after the span's last unit starts.
    let last = map[end - 1];
    let mut j = end;
    while j + 1 < map.len() && map[j] == last {
        j += 1;
    }
    (from, map[j] as usize)
}

/// Appends `s` escaped for a JSON string's content.
pub fn json_escape_into(s: &[u8], out: &mut Vec<u8>) {
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding_maps_back() {
        let src = b"e=jane%40example.com&x=%zz";
        let (mut out, mut map) = (Vec::new(), Vec::new());
        url_decode(src, &mut out, &mut map);
        assert_eq!(out, b"e=jane@example.com&x=%zz");
        let at = out.iter().position(|&b| b == b'@').unwrap();
        assert_eq!(source_span(&map, at, at + 1), (6, 9));
        assert_eq!(source_span(&map, 2, 18), (2, 20));
        assert!(has_url_escape(src));
        assert!(!has_url_escape(b"100% sure %4"));
        assert_eq!(escape_kinds(src), (false, true));
        assert_eq!(escape_kinds(b"100% sure %4"), (false, false));
        assert_eq!(escape_kinds(br#"a\"b %4 %41"#), (true, true));
        assert_eq!(escape_kinds(br#"%zz a\n"#), (true, false));
        assert_eq!(escape_kinds(b""), (false, false));
    }

    /// Cutting lines and finding their escapes in one scan gives what a
    /// newline search and [`escape_kinds`] of each line give.
    #[test]
    fn lines_carry_their_escape_kinds() {
        let input: &[u8] = b"plain\na\\b %41\r\n%4\n%41 x\\\n\\\\ %zz\n100%\n%\n41\n\
            a%2541%\r\n\n\\%41\\%41 tail %4";
        let mut lines = 0;
        for cut in 0..input.len() {
            let input = &input[cut..];
            let mut start = 0;
            while start < input.len() {
                let next =
                    memchr::memchr(b'\n', &input[start..]).map_or(input.len(), |i| start + i + 1);
                let line = &input[start..next];
                let record = line.strip_suffix(b"\n").unwrap_or(line);
                let record = record.strip_suffix(b"\r").unwrap_or(record);
                assert_eq!(
                    line_escape_kinds(input, start),
                    (next, escape_kinds(record)),
                    "{:?}",
                    String::from_utf8_lossy(line)
                );
                start = next;
                lines += 1;
            }
        }
        assert!(lines > 200);
    }

    /// Decoding byte by byte, the plain way: what `url_decode` must match.
    fn url_decode_bytewise(src: &[u8]) -> (Vec<u8>, Vec<u32>) {
        let (mut out, mut map) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < src.len() {
            let escape = src
                .get(i + 1..i + 3)
                .and_then(|h| Some((hex(h[0])?, hex(h[1])?)));
            match escape {
                Some((h, l)) if src[i] == b'%' => {
                    out.push(h << 4 | l);
                    map.push(i as u32);
                    i += 3;
                }
                _ => {
                    out.push(src[i]);
                    map.push(i as u32);
                    i += 1;
                }
            }
        }
        map.push(src.len() as u32);
        (out, map)
    }

    #[test]
    fn url_decoding_matches_a_bytewise_decoder() {
        let cases: &[&[u8]] = &[
            b"",
            b"%",
            b"%4",
            b"%41",
            b"a%41",
            b"%%41%",
            b"%4%41%zz%",
            b"q=a%2Bb%40c.d&r=%E2%82%AC+x%2",
            b"no escapes at all",
        ];
        for src in cases {
            let (mut out, mut map) = (vec![1], vec![7]);
            url_decode(src, &mut out, &mut map);
            assert_eq!(
                (out, map),
                url_decode_bytewise(src),
                "{:?}",
                String::from_utf8_lossy(src)
            );
        }
    }

    #[test]
    fn json_unescape_maps_back() {
        let src = br#"jane\u0040ex.com \"q\" \ud83d\ude00 \x"#;
        let (mut out, mut map) = (Vec::new(), Vec::new());
        json_unescape(src, &mut out, &mut map);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "jane@ex.com \"q\" \u{1F600} \\x"
        );
        assert_eq!(source_span(&map, 4, 5), (4, 10));
        assert_eq!(source_span(&map, 0, 11), (0, 16));
        let emoji = out.iter().position(|&b| b == 0xF0).unwrap();
        assert_eq!(source_span(&map, emoji, emoji + 2), (23, 35));
    }

    /// Every span of decoded bytes, wherever it starts and ends (also
    /// inside the bytes of one escape, as in a character that is several
    /// UTF-8 bytes), maps back to whole escapes: its source span starts
    /// and ends where an escape or a plain byte starts, and decoding that
    /// source span again gives bytes that hold the span. So an edit never
    /// leaves half an escape behind on either side.
    #[test]
    fn spans_map_back_to_whole_escapes() {
        type Decode = fn(&[u8], &mut Vec<u8>, &mut Vec<u32>);
        let cases: [(&[u8], Decode); 3] = [
            (
                br#"a\u0040b \"q\" \ud83d\ude00\n\u00e9x\u20ac\"#,
                json_unescape,
            ),
            (br#"\ud83dz \uDE00 \u12"#, json_unescape),
            (b"q=a%2Bb%40c.d&r=%E2%82%AC+x%2%%41", url_decode),
        ];
        for (src, decode) in cases {
            let (mut out, mut map) = (Vec::new(), Vec::new());
            decode(src, &mut out, &mut map);
            let starts: Vec<usize> = map.iter().map(|&m| m as usize).collect();
            let (mut again, mut scratch) = (Vec::new(), Vec::new());
            for a in 0..out.len() {
                for b in a + 1..=out.len() {
                    let (from, to) = source_span(&map, a, b);
                    let text = String::from_utf8_lossy(&src[from..to]);
                    assert!(
                        starts.contains(&from) && starts.contains(&to),
                        "{a}..{b} maps to {from}..{to}, {text:?}: not whole escapes"
                    );
                    decode(&src[from..to], &mut again, &mut scratch);
                    assert!(
                        again.windows(b - a).any(|w| w == &out[a..b]),
                        "{a}..{b} maps to {text:?}, which does not decode to it"
                    );
                }
            }
        }
    }

    #[test]
    fn escape_round_trip() {
        let mut out = Vec::new();
        json_escape_into(b"a\"b\\c\n\x01", &mut out);
        assert_eq!(out, br#"a\"b\\c\n\u0001"#);
    }
}
