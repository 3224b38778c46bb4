//! The whole engine with the built-in rules: never panics, and one record
//! without a newline comes out as one line (no newline added); a clean
//! verdict means untouched bytes. The input's first three lines, scrubbed
//! as a group (first passes side by side, as the pipeline does), come out
//! as each does on its own. Valid JSON stays valid JSON.
#![no_main]

use std::cell::RefCell;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use logscrub::engine::Scrubber;
use logscrub::{Engine, LoadOptions, Verdict};

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::load(&LoadOptions::default()).expect("built-in rules"))
}

thread_local! {
    /// One scrubber for every run: its caches are built once.
    static SCRUBBER: RefCell<Scrubber> = RefCell::new(engine().scrubber());
}

/// `record` scrubbed on its own.
fn alone(scrubber: &mut Scrubber, record: &[u8]) -> (Vec<u8>, Verdict) {
    let mut out = Vec::new();
    let verdict = scrubber.scrub(record, &mut out);
    (out, verdict)
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let record = lines.next().unwrap_or_default();
    let group: [&[u8]; 3] = [
        record,
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    ];
    let (out, verdict) = SCRUBBER.with_borrow_mut(|scrubber| {
        let first = alone(scrubber, record);
        if let Some(prepared) = scrubber.prepare(group) {
            for (prepared, each) in prepared.into_iter().zip(group) {
                let mut grouped = Vec::new();
                if scrubber.scrub_prepared(prepared, &mut grouped) == Verdict::Clean {
                    grouped.extend_from_slice(each);
                }
                assert_eq!(grouped, alone(scrubber, each).0, "a group scrubs as its records");
            }
        }
        first
    });
    assert!(!out.contains(&b'\n'), "a newline appeared in the output");
    match verdict {
        Verdict::Clean => assert_eq!(out, record),
        // Redacted output may equal the input: `password=[REDACTED:credential]`.
        Verdict::Redacted => {}
        Verdict::Dropped => assert!(out.is_empty()),
    }
    if serde_json::from_slice::<serde_json::Value>(record).is_ok() {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
            "valid JSON in, invalid JSON out"
        );
    }
});
