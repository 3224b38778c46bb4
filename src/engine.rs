//! The compiled, immutable rule set and the per-thread scrubber that applies it.
//!
//! Data flow: `rules::load` -> `rules::compile` -> [`Engine`] (shared, read
//! only) -> one [`Scrubber`] per worker thread (owns all scratch memory) ->
//! `Scrubber::scrub` turns one record into its redacted bytes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::rules::{self, RuleErrors};
use crate::stats::Counts;

/// Where rules come from and the limits the engine enforces.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Include the rule packs built into the binary.
    pub builtin: bool,
    /// Rule files or folders of `*.toml` files, loaded after the built-ins;
    /// a rule with an id that already exists replaces it.
    pub paths: Vec<PathBuf>,
    /// Key for `pseudonym` actions (HMAC-SHA256).
    pub hmac_key: Option<Vec<u8>>,
    /// Records longer than this are replaced by a marker, never passed on.
    pub max_line_bytes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            builtin: true,
            paths: Vec::new(),
            hmac_key: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Default for `--max-line-bytes`: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Public description of one compiled rule, for stats and metrics.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub category: String,
    /// `pattern`, `keywords` or `keys`.
    pub detector: &'static str,
    /// `file:line` the rule was defined at (`builtin:NAME.toml:LINE` for built-ins).
    pub origin: String,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched: the output bytes equal the input bytes.
    Clean,
    /// At least one span was replaced.
    Redacted,
    /// A `drop_record` rule matched: nothing was written.
    Dropped,
}

/// The compiled rule set. Cheap to clone; shared by all workers.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<rules::Compiled>,
}

impl Engine {
    /// Loads and compiles rules. All rule errors are reported together.
    pub fn load(opts: &LoadOptions) -> Result<Engine, RuleErrors> {
        let specs = rules::load(opts)?;
        let compiled = rules::compile(specs, opts)?;
        Ok(Engine {
            inner: Arc::new(compiled),
        })
    }

    /// The rules, in the order used by [`Counts::per_rule`].
    pub fn rules(&self) -> &[RuleInfo] {
        &self.inner.infos
    }

    /// The same engine with every rule but `index` silenced.
    pub fn only_rule(&self, index: usize) -> Engine {
        let mut compiled = (*self.inner).clone();
        compiled.only = Some(index as u32);
        Engine {
            inner: Arc::new(compiled),
        }
    }

    /// A scrubber with its own scratch space, for one thread.
    pub fn scrubber(&self) -> Scrubber {
        Scrubber::new(self.clone())
    }

    /// Scrubs one record into a new vector: convenient, but allocates.
    /// Hot paths use a [`Scrubber`] instead.
    pub fn scrub_to_vec(&self, record: &[u8]) -> (Vec<u8>, Verdict) {
        let mut s = self.scrubber();
        let mut out = Vec::with_capacity(record.len());
        let v = s.scrub(record, &mut out);
        (out, v)
    }
}

/// A record whose first pass is done: see [`Scrubber::prepare`].
pub struct Prepared<'r> {
    record: &'r [u8],
    prescan: crate::redact::Prescan,
    /// The rule set of the scrubber that made it.
    rules: usize,
    /// The record's escape kinds, when the caller found them.
    escapes: Option<(bool, bool)>,
}

impl Prepared<'_> {
    /// The record's escape kinds
    /// ([`escape_kinds`](crate::record::decode::escape_kinds)), for a
    /// caller that found them while cutting it out of its input: the
    /// scrubber then does not scan for them again.
    pub fn with_escapes(self, escapes: (bool, bool)) -> Self {
        Prepared {
            escapes: Some(escapes),
            ..self
        }
    }
}

/// Applies an [`Engine`] to records; owns the scratch buffers so that the
/// steady state allocates nothing per record.
pub struct Scrubber {
    engine: Engine,
    scratch: crate::redact::Scratch,
    counts: Counts,
}

impl Scrubber {
    fn new(engine: Engine) -> Scrubber {
        let n = engine.rules().len();
        Scrubber {
            scratch: crate::redact::Scratch::default(),
            counts: Counts::with_rules(n),
            engine,
        }
    }

    /// The engine this scrubber applies.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Scrubs one record (without its line terminator) and appends the
    /// result to `out`. Never fails: input that cannot be parsed is scrubbed
    /// by the stricter text path; a record over the size limit is replaced.
    pub fn scrub(&mut self, record: &[u8], out: &mut Vec<u8>) -> Verdict {
        let verdict = self.scrub_changed(record, out);
        if verdict == Verdict::Clean {
            out.extend_from_slice(record);
        }
        verdict
    }

    /// [`Scrubber::scrub`] for callers that can pass a clean record on as
    /// it is: `out` grows only when the verdict is [`Verdict::Redacted`].
    /// The pipeline writes runs of clean records straight from its input
    /// buffer, so most bytes are never copied.
    pub fn scrub_changed(&mut self, record: &[u8], out: &mut Vec<u8>) -> Verdict {
        crate::redact::scrub_record(
            &self.engine.inner,
            &mut self.scratch,
            &mut self.counts,
            record,
            None,
            None,
            out,
        )
    }

    /// Starts on `N` records at once: the first pass over every byte, which
    /// is most of the work for a clean record, runs over two records side
    /// by side, which the processor does faster than one after the other.
    /// Finish each with
    /// [`Scrubber::scrub_prepared`]. `None` where this does not apply; then
    /// scrub each record on its own.
    pub fn prepare<'r, const N: usize>(
        &mut self,
        records: [&'r [u8]; N],
    ) -> Option<[Prepared<'r>; N]> {
        let prescans = crate::redact::first_pass(&self.engine.inner, &mut self.scratch, records)?;
        let rules = self.rules_id();
        let mut i = 0;
        Some(prescans.map(|prescan| {
            i += 1;
            Prepared {
                record: records[i - 1],
                prescan,
                rules,
                escapes: None,
            }
        }))
    }

    /// Which compiled rule set this scrubber applies.
    fn rules_id(&self) -> usize {
        Arc::as_ptr(&self.engine.inner) as usize
    }

    /// [`Scrubber::scrub_changed`] for a record of
    /// [`Scrubber::prepare`].
    pub fn scrub_prepared(&mut self, prepared: Prepared<'_>, out: &mut Vec<u8>) -> Verdict {
        // A first pass made with other rules means nothing to these.
        let prescan = (prepared.rules == self.rules_id()).then_some(prepared.prescan);
        crate::redact::scrub_record(
            &self.engine.inner,
            &mut self.scratch,
            &mut self.counts,
            prepared.record,
            prepared.escapes,
            prescan,
            out,
        )
    }

    /// Counters since the last [`Scrubber::take_counts`].
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Returns the counters and starts new ones.
    pub fn take_counts(&mut self) -> Counts {
        let fresh = Counts::with_rules(self.engine.rules().len());
        std::mem::replace(&mut self.counts, fresh)
    }

    /// Adds the counters into `total` and zeroes them, without allocating.
    pub fn drain_counts_into(&mut self, total: &mut Counts) {
        total.add(&self.counts);
        self.counts.clear();
    }
}

/// A swappable engine: SIGHUP replaces it, workers pick up the new one at the
/// next batch. Reads are one atomic load unless the generation changed.
#[derive(Clone)]
pub struct EngineHandle {
    shared: Arc<(RwLock<Engine>, AtomicU64)>,
}

impl EngineHandle {
    pub fn new(engine: Engine) -> EngineHandle {
        EngineHandle {
            shared: Arc::new((RwLock::new(engine), AtomicU64::new(0))),
        }
    }

    /// Increments on every [`EngineHandle::replace`].
    pub fn generation(&self) -> u64 {
        self.shared.1.load(Ordering::Acquire)
    }

    /// The engine in force now.
    pub fn current(&self) -> Engine {
        self.shared
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts a new engine in force.
    pub fn replace(&self, engine: Engine) {
        *self.shared.0.write().unwrap_or_else(|e| e.into_inner()) = engine;
        self.shared.1.fetch_add(1, Ordering::AcqRel);
    }
}

/// The engine of the golden tests: `tests/golden/rules.toml` alone, with
/// its HMAC key.
#[cfg(test)]
pub(crate) fn golden_engine() -> Engine {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    Engine::load(&LoadOptions {
        builtin: false,
        paths: vec![dir.join("rules.toml")],
        hmac_key: Some(std::fs::read(dir.join("hmac.key")).unwrap()),
        ..LoadOptions::default()
    })
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::KeyScratch;
    use crate::redact::Action;

    /// A pair's first pass belongs to the rules that made it: a scrubber
    /// with other rules scrubs the record as if nothing was prepared.
    #[test]
    fn prepared_records_follow_the_scrubber_that_finishes_them() {
        let builtin = Engine::load(&LoadOptions::default()).unwrap();
        let golden = golden_engine();
        let records: [&[u8]; 2] = [
            br#"{"email":"jane@example.com","card":"4111 1111 1111 1111","ip":"203.0.113.9"}"#,
            b"login jane@example.com from 203.0.113.9 Authorization: Bearer abc.def.ghi",
        ];
        for (made, finished) in [
            (&builtin, &golden),
            (&golden, &builtin),
            (&builtin, &builtin),
        ] {
            let mut maker = made.scrubber();
            let mut finisher = finished.scrubber();
            let pair = maker.prepare(records).unwrap();
            for (prepared, record) in pair.into_iter().zip(records) {
                let mut out = Vec::new();
                let verdict = finisher.scrub_prepared(prepared, &mut out);
                if verdict == Verdict::Clean {
                    out.extend_from_slice(record);
                }
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&finished.scrub_to_vec(record).0)
                );
            }
        }
    }

    /// Every key name of the built-in rules, in many spellings, in JSON,
    /// logfmt and text: wherever the parsers would find a key that the key
    /// matcher accepts, the clean-record hint finds it too (a record the
    /// hint misses is copied unscrubbed), both scanning on its own and from
    /// the words the content search reports, and the scrubber changes the
    /// record. The keys of `allow` rules are not hinted: the record is
    /// copied as it is.
    #[test]
    fn built_in_key_names_are_hinted() {
        let engine = Engine::load(&LoadOptions::default()).unwrap();
        let c = &engine.inner;
        let mut scratch = KeyScratch::default();
        let mut checked = 0;
        for name in c.keys.names() {
            let words: Vec<String> = String::from_utf8_lossy(name)
                .split('_')
                .map(str::to_string)
                .collect();
            let camel: String = words
                .iter()
                .enumerate()
                .map(|(i, w)| match i {
                    0 => w.clone(),
                    _ => w[..1].to_uppercase() + &w[1..],
                })
                .collect();
            for key in [
                words.join("_"),
                words.join("-"),
                words.join(" "),
                words.join("/"),
                words.join("__"),
                words.join("_").to_uppercase(),
                format!("patient.{camel}"),
                camel,
            ] {
                // A bare key in text is the run of key bytes before `=`/`:`.
                let bare_from = key
                    .rfind(|ch: char| !(ch.is_ascii_alphanumeric() || "_-.".contains(ch)))
                    .map_or(0, |i| i + 1);
                let quoted = c.keys.lookup(key.as_bytes(), &mut scratch);
                let bare = c.keys.lookup(&key.as_bytes()[bare_from..], &mut scratch);
                for (text, found) in [
                    (format!(r#"{{"a":1,"{key}":"x"}}"#), quoted),
                    (format!(r#"at "{key}" : 'x'"#), quoted),
                    (format!("level=info {key}=x"), bare),
                    (format!("{key}: x"), bare),
                ] {
                    let Some(rule) = found else { continue };
                    checked += 1;
                    let hinted = c.key_hint.hinted(&c.keys, text.as_bytes(), &mut scratch);
                    let (out, _) = engine.scrub_to_vec(text.as_bytes());
                    if matches!(c.rules[rule as usize].action, Action::Allow) {
                        // An exempting key alone is no reason to scan.
                        assert!(!hinted, "{text}");
                        assert_eq!(out, text.as_bytes(), "{text}");
                    } else {
                        assert!(hinted, "{text}");
                        assert_ne!(out, text.as_bytes(), "{text}");
                    }
                }
            }
        }
        assert!(checked > 5000, "{checked}");
    }
}
