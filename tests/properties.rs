//! Property tests of the engine with the built-in rules:
//!
//! - a value a rule detects never reaches the output, whatever text
//!   surrounds it and whatever format or encoding carries it;
//! - scrubbing is idempotent;
//! - the binary writes exactly one output line per input line.

use std::sync::OnceLock;

use logscrub::{Engine, LoadOptions};

mod common;
use proptest::prelude::*;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::load(&LoadOptions::default()).expect("built-in rules load"))
}

/// Case count: `default`, or PROPTEST_CASES for a longer run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scrub(line: &[u8]) -> Vec<u8> {
    engine().scrub_to_vec(line).0
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------
// Secret generators. Each secret is valid for its rule (checksums, dates).

/// A secret and the substrings of it that must never appear in the output.
#[derive(Debug, Clone)]
struct Secret {
    kind: &'static str,
    /// The text as written in the record.
    text: String,
    /// Parts that identify the person or credential on their own.
    cores: Vec<String>,
}

fn email() -> impl Strategy<Value = Secret> {
    (
        "[a-z][a-z0-9]{1,8}(?:[._+-][a-z0-9]{1,8})?",
        "[a-z][a-z0-9]{1,10}(?:-[a-z0-9]{1,6})?",
        prop::sample::select(vec!["com", "org", "dk", "pl", "de", "io", "co.uk"]),
    )
        .prop_map(|(local, domain, tld)| {
            let text = format!("{local}@{domain}.{tld}");
            Secret {
                kind: "email",
                cores: vec![text.clone(), format!("{local}@{domain}")],
                text,
            }
        })
}

fn luhn_check_digit(body: &[u8]) -> u8 {
    // body: digits without the check digit, most significant first.
    let mut sum = 0u32;
    for (i, &d) in body.iter().rev().enumerate() {
        let mut v = d as u32;
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

fn card() -> impl Strategy<Value = Secret> {
    (
        prop::sample::select(vec![4u8, 5]),
        prop::collection::vec(0u8..10, 14),
        prop::sample::select(vec!["", " ", "-"]),
    )
        .prop_map(|(first, rest, sep)| {
            let mut digits = vec![first];
            digits.extend(rest);
            digits.push(luhn_check_digit(&digits));
            let compact: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let text = compact
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(sep);
            Secret {
                kind: "card",
                cores: vec![text.clone(), compact],
                text,
            }
        })
}

fn iban_check(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap();
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    format!("{:02}", 98 - rem)
}

fn iban() -> impl Strategy<Value = Secret> {
    (
        prop_oneof![
            "[0-9]{18}".prop_map(|b| ("DE", b)),
            "[0-9]{14}".prop_map(|b| ("DK", b)),
            "[A-Z]{4}[0-9]{10}".prop_map(|b| ("NL", b)),
            "[A-Z]{4}[0-9]{14}".prop_map(|b| ("GB", b)),
        ],
        any::<bool>(),
    )
        .prop_map(|((country, bban), grouped)| {
            let compact = format!("{country}{}{bban}", iban_check(country, &bban));
            let text = if grouped {
                compact
                    .as_bytes()
                    .chunks(4)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                compact.clone()
            };
            Secret {
                kind: "iban",
                cores: vec![text.clone(), compact],
                text,
            }
        })
}

fn cpr() -> impl Strategy<Value = Secret> {
    (1u32..=28, 1u32..=12, 0u32..100, 0u32..4, 0u32..1000).prop_map(
        |(dd, mm, yy, century_digit, serial)| {
            // Century digit 0-3: born 1900-1999, any year is valid.
            let text = format!("{dd:02}{mm:02}{yy:02}-{century_digit}{serial:03}");
            Secret {
                kind: "cpr",
                cores: vec![text.clone(), text.replace('-', "")],
                text,
            }
        },
    )
}

fn jwt() -> impl Strategy<Value = Secret> {
    (
        "[A-Za-z0-9_-]{8,24}",
        "[A-Za-z0-9_-]{8,32}",
        "[A-Za-z0-9_-]{10,40}",
    )
        .prop_map(|(h, p, s)| {
            let text = format!("eyJ{h}.eyJ{p}.{s}");
            Secret {
                kind: "jwt",
                cores: vec![text.clone(), format!("eyJ{p}"), s],
                text,
            }
        })
}

fn password() -> impl Strategy<Value = Secret> {
    (
        prop::sample::select(vec!["password", "passwd", "pwd", "api_key", "secret"]),
        "[A-Z][a-z]{3,8}[0-9]{2,4}[a-zA-Z!#*]{0,6}",
    )
        .prop_map(|(key, value)| Secret {
            kind: "password",
            text: format!("{key}={value}"),
            cores: vec![value],
        })
}

fn secret() -> impl Strategy<Value = Secret> {
    prop_oneof![email(), card(), iban(), cpr(), jwt(), password()]
}

/// Surrounding text: printable words that carry no escapes of their own.
fn filler() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 .,:!?()_/-]{0,40}"
}

/// A byte that ends a token on both sides of a secret.
fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        " ", "  ", "\t", " (", ") ", ", ", "; ", " | ", " <", "> ",
    ])
}

/// Words that rules use to *exempt* a nearby value (deny_context); random
/// filler that happens to spell one is not a leak.
fn exempting(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    ["blk_", "block", "seq=", "offset", "speeds"]
        .iter()
        .any(|w| l.contains(w))
}

// ---------------------------------------------------------------------------
// Encodings.

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// JSON string content with the chars selected by `mask` written as
/// `\u00XX` escapes (always `@`).
fn json_escaped(s: &str, mask: &[bool]) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c == '@' || (c.is_ascii_alphanumeric() && mask[i % mask.len()]) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            let e = json_string(&c.to_string());
            out.push_str(&e[1..e.len() - 1]);
        }
    }
    out
}

/// URL encoding with `@`, `=`, space and the chars selected by `mask`
/// written as `%XX`.
fn url_encoded(s: &str, mask: &[bool]) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if matches!(c, '@' | '=' | ' ') || (c.is_ascii_alphanumeric() && mask[i % mask.len()]) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A path into a JSON document: each step is an object key or an array
/// position (with filler elements around it).
#[derive(Debug, Clone)]
enum Step {
    Key(&'static str),
    Index(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "data", "event", "payload", "detail", "msg", "x", "items"
            ])
            .prop_map(Step::Key),
            (0usize..3).prop_map(Step::Index),
        ],
        0..6,
    )
}

/// Wraps the JSON value `leaf` in the containers of `path`.
fn nest(path: &[Step], leaf: String) -> String {
    let mut doc = leaf;
    for step in path.iter().rev() {
        doc = match step {
            Step::Key(k) => format!(r#"{{"level":"info","{k}":{doc},"n":1}}"#),
            Step::Index(i) => {
                let mut items: Vec<String> = (0..*i).map(|j| j.to_string()).collect();
                items.push(doc);
                items.push(r#""tail""#.to_string());
                format!("[{}]", items.join(","))
            }
        };
    }
    if !doc.starts_with('{') && !doc.starts_with('[') {
        doc = format!(r#"{{"v":{doc}}}"#);
    }
    doc
}

#[derive(Debug, Clone)]
enum Carrier {
    Text,
    LogfmtBare,
    LogfmtQuoted,
    Json(Vec<Step>),
    JsonEscaped(Vec<Step>, Vec<bool>),
    Url(Vec<bool>),
    UrlInJson(Vec<Step>, Vec<bool>),
}

fn carrier() -> impl Strategy<Value = Carrier> {
    let mask = || prop::collection::vec(any::<bool>(), 1..8);
    prop_oneof![
        Just(Carrier::Text),
        Just(Carrier::LogfmtBare),
        Just(Carrier::LogfmtQuoted),
        steps().prop_map(Carrier::Json),
        (steps(), mask()).prop_map(|(s, m)| Carrier::JsonEscaped(s, m)),
        mask().prop_map(Carrier::Url),
        (steps(), mask()).prop_map(|(s, m)| Carrier::UrlInJson(s, m)),
    ]
}

/// A record carrying `secret`, and the encoded forms of it that must not
/// appear in the output either.
fn build(
    secret: &Secret,
    carrier: &Carrier,
    pre: &str,
    post: &str,
    sep: (&str, &str),
) -> (String, Vec<String>) {
    let s = &secret.text;
    let plain = format!("{pre}{}{s}{}{post}", sep.0, sep.1);
    match carrier {
        Carrier::Text => (plain, vec![]),
        Carrier::LogfmtBare => {
            // A bare logfmt value cannot hold spaces: use one token.
            let value = s.replace(' ', "");
            let cores = vec![value.clone()];
            (format!("level=info {pre} field={value} n=1"), cores)
        }
        Carrier::LogfmtQuoted => (
            format!(r#"level=info msg={} n=1"#, json_string(&plain)),
            vec![],
        ),
        Carrier::Json(path) => (nest(path, json_string(&plain)), vec![]),
        Carrier::JsonEscaped(path, mask) => {
            let enc = json_escaped(s, mask);
            let plain_pre = json_string(&format!("{pre}{}", sep.0));
            let plain_post = json_string(&format!("{}{post}", sep.1));
            let value = format!(
                "\"{}{enc}{}\"",
                &plain_pre[1..plain_pre.len() - 1],
                &plain_post[1..plain_post.len() - 1]
            );
            (nest(path, value), vec![enc])
        }
        Carrier::Url(mask) => {
            let enc = url_encoded(s, mask);
            (
                format!("{pre} GET /api/v1/lookup?q={enc}&page=2 HTTP/1.1 {post}"),
                vec![enc],
            )
        }
        Carrier::UrlInJson(path, mask) => {
            let enc = url_encoded(s, mask);
            let url = format!("/api/v1/lookup?q={enc}&page=2");
            (nest(path, json_string(&url)), vec![enc])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), .. ProptestConfig::default() })]

    #[test]
    fn detected_values_never_reach_the_output(
        secret in secret(),
        carrier in carrier(),
        pre in filler(),
        post in filler(),
        sep in (separator(), separator()),
    ) {
        prop_assume!(!exempting(&pre) && !exempting(&post));
        for core in &secret.cores {
            prop_assume!(!pre.contains(core.as_str()) && !post.contains(core.as_str()));
        }
        let (record, encoded) = build(&secret, &carrier, &pre, &post, sep);
        let out = scrub(record.as_bytes());
        let shown = String::from_utf8_lossy(&out);
        prop_assert!(!out.is_empty() || record.is_empty());
        for needle in secret.cores.iter().chain(&encoded) {
            prop_assert!(
                !contains(&out, needle.as_bytes()),
                "{} value {needle:?} leaked\n  in:  {record}\n  out: {shown}",
                secret.kind
            );
        }
    }

    /// JSON in, JSON out. Separators here leave out `\t`, which JSON writes
    /// as the escape `\t`: a value right after an escape that ends in a
    /// letter or digit hits the engine bug that the ignored property below
    /// (and `adversarial::a_value_right_after_an_escape_keeps_the_escape`)
    /// keep visible.
    #[test]
    fn json_stays_json(
        secret in secret(),
        carrier in json_carrier(),
        pre in filler(),
        post in filler(),
        sep in (separator_no_tab(), separator_no_tab()),
    ) {
        let (record, _) = build(&secret, &carrier, &pre, &post, sep);
        assert_json_stays_json(&record)?;
    }

    #[test]
    fn json_stays_json_with_any_separator(
        secret in secret(),
        carrier in json_carrier(),
        pre in filler(),
        post in filler(),
        sep in (separator(), separator()),
    ) {
        let (record, _) = build(&secret, &carrier, &pre, &post, sep);
        assert_json_stays_json(&record)?;
    }
}

fn assert_json_stays_json(record: &str) -> Result<(), TestCaseError> {
    let out = scrub(record.as_bytes());
    prop_assert!(
        serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
        "JSON stopped being JSON\n  in:  {record}\n  out: {}",
        String::from_utf8_lossy(&out)
    );
    Ok(())
}

fn json_carrier() -> impl Strategy<Value = Carrier> {
    let mask = || prop::collection::vec(any::<bool>(), 1..8);
    prop_oneof![
        steps().prop_map(Carrier::Json),
        (steps(), mask()).prop_map(|(s, m)| Carrier::JsonEscaped(s, m)),
        (steps(), mask()).prop_map(|(s, m)| Carrier::UrlInJson(s, m)),
    ]
}

fn separator_no_tab() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "  ", " (", ") ", ", ", "; ", " | ", " <", "> "])
}

// ---------------------------------------------------------------------------
// Idempotence.

/// Lines that are mostly secrets, keys and encodings.
fn dirty_line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((secret(), carrier(), filler(), filler()), 1..4),
        separator(),
    )
        .prop_map(|(parts, sep)| {
            parts
                .iter()
                .map(|(s, c, pre, post)| build(s, c, pre, post, (sep, sep)).0)
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// Scrubbing the output of a scrub changes nothing.
fn assert_idempotent(line: &str) -> Result<(), TestCaseError> {
    let once = scrub(line.as_bytes());
    let twice = scrub(&once);
    prop_assert_eq!(
        String::from_utf8_lossy(&twice),
        String::from_utf8_lossy(&once),
        "input: {:?}",
        line
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), .. ProptestConfig::default() })]

    #[test]
    fn scrubbing_is_idempotent_on_printable_ascii(line in "[ -~]{0,120}") {
        assert_idempotent(&line)?;
    }

    #[test]
    fn scrubbing_is_idempotent_on_utf8(line in "\\PC{0,80}") {
        assert_idempotent(&line)?;
    }

    #[test]
    fn scrubbing_is_idempotent_on_dirty_lines(line in dirty_line()) {
        assert_idempotent(&line)?;
    }
}

// ---------------------------------------------------------------------------
// Line count, through the real binary.

/// Records split at `\n`, each with its terminator (`\n` or `\r\n`, or none
/// for an unterminated last line).
fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split_inclusive(|&c| c == b'\n').collect()
}

fn terminator(l: &[u8]) -> &'static str {
    if l.ends_with(b"\r\n") {
        "crlf"
    } else if l.ends_with(b"\n") {
        "lf"
    } else {
        "none"
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), .. ProptestConfig::default() })]

    #[test]
    fn one_output_line_per_input_line(
        body in prop::collection::vec(
            (
                prop_oneof![
                    Just(String::new()),
                    "[ -~]{0,60}",
                    dirty_line(),
                ],
                any::<bool>(),
            ),
            0..40,
        ),
        trailing in any::<bool>(),
    ) {
        let mut input = Vec::new();
        for (i, (line, crlf)) in body.iter().enumerate() {
            input.extend_from_slice(line.as_bytes());
            if i + 1 < body.len() || trailing {
                input.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            }
        }
        let out = common::run_ok(&["--threads", "2"], &input);
        let (li, lo) = (lines(&input), lines(&out));
        prop_assert_eq!(li.len(), lo.len(), "line count\n  in:  {:?}\n  out: {:?}",
            String::from_utf8_lossy(&input), String::from_utf8_lossy(&out));
        for (a, b) in li.iter().zip(&lo) {
            prop_assert_eq!(terminator(a), terminator(b));
            // A line that was blank stays blank.
            let blank = |l: &[u8]| l.iter().all(|c| matches!(c, b'\r' | b'\n'));
            prop_assert_eq!(blank(a), blank(b));
        }
    }
}
