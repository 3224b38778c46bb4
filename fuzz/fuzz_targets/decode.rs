//! URL and JSON-escape decoders: never panic; the offset map has one entry
//! per decoded byte plus the end, never decreases, stays inside the source;
//! `source_span` maps every decoded span to a span of the source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logscrub::record::decode::{has_url_escape, json_unescape, source_span, url_decode};

fn check(src: &[u8], out: &[u8], map: &[u32]) {
    assert_eq!(map.len(), out.len() + 1);
    assert_eq!(*map.last().unwrap() as usize, src.len());
    assert!(map.windows(2).all(|w| w[0] <= w[1]), "map decreases");
    assert!(out.len() <= src.len(), "decoding grew the text");
    let n = out.len();
    for (a, b) in [(0, n), (0, n / 2), (n / 3, n), (n / 4, n / 2)] {
        let (s, e) = source_span(map, a, b);
        assert!(s <= e && e <= src.len(), "span {a}..{b} -> {s}..{e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (mut out, mut map) = (Vec::new(), Vec::new());
    url_decode(data, &mut out, &mut map);
    check(data, &out, &map);
    if !has_url_escape(data) {
        assert_eq!(out, data, "no escape, yet decoding changed the text");
    }
    json_unescape(data, &mut out, &mut map);
    check(data, &out, &map);
    if !data.contains(&b'\\') {
        assert_eq!(out, data, "no backslash, yet unescaping changed the text");
    }
});
