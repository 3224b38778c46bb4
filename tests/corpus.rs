//! Scrubs the labelled corpus (tests/corpus/labelled.jsonl, written by
//! tests/corpus/generate.py) with the built-in rules and checks that no
//! secret leaks and that at least 98% of the harmless look-alikes survive.

use std::collections::BTreeMap;

use logscrub::{Engine, LoadOptions};
use serde_json::Value;

#[derive(Default)]
struct Tally {
    lines: usize,
    secrets: usize,
    leaks: usize,
    keep: usize,
    kept: usize,
    bad_json: usize,
}

#[test]
fn corpus_has_no_leaks_and_keeps_lookalikes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/labelled.jsonl");
    let text = std::fs::read_to_string(path).expect("read labelled corpus");
    let engine = Engine::load(&LoadOptions::default()).expect("built-in rules load");
    let mut per_cat: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_fmt: BTreeMap<String, usize> = BTreeMap::new();
    let mut leak_examples = Vec::new();
    let mut lost_examples = Vec::new();
    let mut json_examples = Vec::new();
    // One scrubber for all lines (same engine as `scrub_to_vec`, but keeps
    // its regex cache between records, which matters in debug builds).
    let mut scrubber = engine.scrubber();
    let mut buf = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let rec: Value =
            serde_json::from_str(raw).unwrap_or_else(|e| panic!("corpus line {}: {e}", n + 1));
        let line = rec["line"].as_str().expect("line");
        let category = rec["category"].as_str().expect("category").to_string();
        let format = rec["format"].as_str().expect("format").to_string();
        *per_fmt.entry(format.clone()).or_default() += 1;
        buf.clear();
        scrubber.scrub(line.as_bytes(), &mut buf);
        let out = String::from_utf8_lossy(&buf).into_owned();
        if n < 50 {
            // Spot-check that the convenience API agrees.
            assert_eq!(engine.scrub_to_vec(line.as_bytes()).0, buf);
        }
        let t = per_cat.entry(category.clone()).or_default();
        t.lines += 1;
        for s in rec["secrets"].as_array().expect("secrets") {
            let s = s.as_str().expect("secret");
            t.secrets += 1;
            if out.contains(s) {
                t.leaks += 1;
                if leak_examples.len() < 40 {
                    leak_examples.push(format!(
                        "[{category}] secret {s:?}\n    in:  {line}\n    out: {out}"
                    ));
                }
            }
        }
        for k in rec["keep"].as_array().expect("keep") {
            let k = k.as_str().expect("keep value");
            t.keep += 1;
            if out.contains(k) {
                t.kept += 1;
            } else if lost_examples.len() < 40 {
                lost_examples.push(format!(
                    "[{category}] lost {k:?}\n    in:  {line}\n    out: {out}"
                ));
            }
        }
        if format == "json" && serde_json::from_str::<Value>(&out).is_err() {
            t.bad_json += 1;
            if json_examples.len() < 10 {
                json_examples.push(format!(
                    "[{category}] invalid JSON after scrubbing\n    in:  {line}\n    out: {out}"
                ));
            }
        }
    }

    let mut total = Tally::default();
    println!(
        "\n{:<14} {:>6} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8}",
        "category", "lines", "secrets", "leaks", "keep", "kept", "kept%", "badjson"
    );
    for (cat, t) in &per_cat {
        println!(
            "{:<14} {:>6} {:>8} {:>6} {:>7} {:>7} {:>7.2}% {:>8}",
            cat,
            t.lines,
            t.secrets,
            t.leaks,
            t.keep,
            t.kept,
            pct(t.kept, t.keep),
            t.bad_json
        );
        total.lines += t.lines;
        total.secrets += t.secrets;
        total.leaks += t.leaks;
        total.keep += t.keep;
        total.kept += t.kept;
        total.bad_json += t.bad_json;
    }
    println!(
        "{:<14} {:>6} {:>8} {:>6} {:>7} {:>7} {:>7.2}% {:>8}",
        "TOTAL",
        total.lines,
        total.secrets,
        total.leaks,
        total.keep,
        total.kept,
        pct(total.kept, total.keep),
        total.bad_json
    );
    println!("formats: {per_fmt:?}");
    for e in &leak_examples {
        println!("LEAK {e}");
    }
    for e in &lost_examples {
        println!("LOST {e}");
    }
    for e in &json_examples {
        println!("JSON {e}");
    }
    assert!(
        total.lines >= 3000,
        "corpus too small: {} lines",
        total.lines
    );
    assert_eq!(total.leaks, 0, "{} secrets leaked", total.leaks);
    assert_eq!(
        total.bad_json, 0,
        "{} JSON lines no longer parse",
        total.bad_json
    );
    let kept = pct(total.kept, total.keep);
    assert!(kept >= 98.0, "only {kept:.2}% of look-alikes kept");
    for (cat, t) in &per_cat {
        assert!(
            pct(t.kept, t.keep) >= 98.0,
            "category {cat}: only {:.2}% of look-alikes kept",
            pct(t.kept, t.keep)
        );
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}
