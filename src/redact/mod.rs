//! The record scrubber: finds every sensitive span of one record with the
//! parsers of [`crate::record`] and the matchers of [`crate::matcher`],
//! merges overlapping spans, and writes the record with replacements.
//!
//! All spans are kept in the coordinates of the original record. Text that
//! had to be decoded first (URL escapes, JSON escapes, JSON inside a JSON
//! string) is scanned in a decoded *layer*; its spans are mapped back through
//! the layer's offset map, and replacements are escaped once per enclosing
//! JSON string, so the output stays valid and untouched bytes stay identical.

mod action;
mod edit;

pub use action::{Action, Subject, Template};

use crate::engine::Verdict;
use crate::matcher::{ContentCache, Context, FirstPass, GroupCache, KeyScratch};
use crate::record::decode::{
    escape_kinds, escape_len, has_url_escape, json_unescape, source_span, url_decode,
};
use crate::record::json::{self, Kind, Token};
use crate::record::text::{kv_pairs_at, Pair};
use crate::record::{detect, Format};
use crate::rules::compile::CompiledRule;
use crate::rules::Compiled;
use crate::source::OVERSIZE_MARKER;
use crate::stats::Counts;
use edit::Edit;

/// How many decoding layers deep the scrubber looks (URL in JSON in JSON...).
pub const MAX_LAYERS: usize = 4;

/// Per-thread scratch memory, reused for every record.
#[derive(Default)]
pub struct Scratch {
    /// Boxed: it is taken out and put back for every record, and the regex
    /// caches inside are kilobytes.
    cache: Option<Box<ContentCache>>,
    edits: Vec<Edit>,
    merged: Vec<Edit>,
    /// Validated content matches over the whole record (top layer).
    candidates: Vec<Edit>,
    /// Per rule with a capture group: its finder's cache, once used.
    groups: Vec<Option<GroupCache>>,
    /// Decoded text and offset map per layer (index 0 unused).
    layers: Vec<Layer>,
    /// Token lists per layer, for JSON documents found at that layer.
    tokens: Vec<Vec<Token>>,
    stack: Vec<u32>,
    /// Spans (in layer coordinates) whose values an `allow` rule exempts.
    allowed: Vec<(usize, usize)>,
    /// Matched values, for actions that need them (pseudonym, keep_last).
    values: Vec<u8>,
    keys: KeyScratch,
    /// Where the key hint's words occur in the record: `(start, end, word)`.
    hint_hits: Vec<(usize, usize, u32)>,
    /// Spent prescans, for [`first_pass`] to fill again.
    spare: Vec<Prescan>,
    rep: Vec<u8>,
    rep2: Vec<u8>,
}

#[derive(Default)]
struct Layer {
    text: Vec<u8>,
    map: Vec<u32>,
    /// Where the decoded source starts in the parent layer.
    base: usize,
}

/// The first pass over a whole record, done ahead by [`first_pass`]: its
/// trigger hits and the key hint's words.
pub struct Prescan {
    pass: FirstPass,
    words: Vec<(usize, usize, u32)>,
}

/// Runs the first pass of the content search over `records`, two at a time
/// side by side (see [`crate::matcher::ContentMatcher::first_pass_many`]).
/// `None` where it does not apply: no content rules, or a record over the
/// size limit (which is never searched).
pub fn first_pass<const N: usize>(
    engine: &Compiled,
    scratch: &mut Scratch,
    records: [&[u8]; N],
) -> Option<[Prescan; N]> {
    let matcher = engine.content.as_ref()?;
    if records.iter().any(|r| r.len() > engine.max_line_bytes) {
        return None;
    }
    let cache = scratch
        .cache
        .get_or_insert_with(|| Box::new(matcher.create_cache()));
    let mut prescans: [Prescan; N] = std::array::from_fn(|_| {
        let mut p = scratch.spare.pop().unwrap_or_else(|| Prescan {
            pass: FirstPass::default(),
            words: Vec::new(),
        });
        p.words.clear();
        p
    });
    matcher.first_pass_many(
        cache,
        records,
        prescans.each_mut().map(|p| (&mut p.pass, &mut p.words)),
    );
    Some(prescans)
}

/// Scrubs one record. A redacted record is appended to `out`; a clean one
/// is not copied (it stands as it is) and a dropped one leaves nothing.
/// `prescan`, if given, must come from [`first_pass`] over `record`; so
/// must `escapes`, if given, be its [`escape_kinds`].
pub fn scrub_record(
    engine: &Compiled,
    scratch: &mut Scratch,
    counts: &mut Counts,
    record: &[u8],
    escapes: Option<(bool, bool)>,
    prescan: Option<Prescan>,
    out: &mut Vec<u8>,
) -> Verdict {
    counts.records += 1;
    if record.len() > engine.max_line_bytes {
        counts.oversize += 1;
        counts.redacted_records += 1;
        out.extend_from_slice(OVERSIZE_MARKER);
        return Verdict::Redacted;
    }
    if scratch.layers.len() <= MAX_LAYERS {
        scratch.layers.resize_with(MAX_LAYERS + 1, Layer::default);
        scratch.tokens.resize_with(MAX_LAYERS + 1, Vec::new);
    }
    let mut cache = match (scratch.cache.take(), &engine.content) {
        (Some(c), _) => Some(c),
        (None, Some(m)) => Some(Box::new(m.create_cache())),
        (None, None) => None,
    };
    // A record with no candidate, no hinted key and no escapes is clean: it
    // stands as it is, without tokenizing.
    scratch.candidates.clear();
    scratch.hint_hits.clear();
    if let Some(c) = cache.as_deref_mut() {
        let search = match prescan {
            Some(mut p) => {
                std::mem::swap(&mut scratch.hint_hits, &mut p.words);
                Search::After(p)
            }
            None => Search::Whole(Some(&mut scratch.hint_hits)),
        };
        let done = find_candidates(
            engine,
            c,
            record,
            0,
            record.len(),
            (&mut scratch.candidates, &mut scratch.groups),
            search,
        );
        scratch.spare.extend(done);
    }
    let (escaped, url_escaped) = escapes.unwrap_or_else(|| escape_kinds(record));
    if escaped {
        // A raw match that starts inside an escape (`\njane@...`) would cut
        // the escape in half; the decoded layer finds the value whole.
        scratch
            .candidates
            .retain(|c| !inside_escape(record, c.start));
    }
    // The content search (if any) scanned for the key hint's words.
    let hinted = |s: &mut Scratch| match engine.content {
        Some(_) => engine
            .key_hint
            .hinted_at(&engine.keys, record, &s.hint_hits, &mut s.keys),
        None => engine.key_hint.hinted(&engine.keys, record, &mut s.keys),
    };
    if scratch.candidates.is_empty() && !escaped && !url_escaped && !hinted(scratch) {
        scratch.cache = cache;
        return Verdict::Clean;
    }
    scratch.edits.clear();
    scratch.values.clear();
    scratch.allowed.clear();
    let mut scan = Scan {
        engine,
        s: scratch,
        cache: cache.as_deref_mut(),
        record,
        escapes: (escaped, url_escaped),
    };
    let frame = Frame {
        depth: 0,
        escape: 0,
    };
    match detect(record) {
        Format::Json => {
            if scan.json(record, frame, 0, record.len()).is_err() {
                counts.fallbacks += 1;
                scan.s.edits.clear();
                scan.s.values.clear();
                scan.s.allowed.clear();
                scan.text(record, frame, 0, record.len());
            }
        }
        Format::Text => scan.text(record, frame, 0, record.len()),
    }
    scratch.cache = cache;
    if scratch.edits.is_empty() {
        return Verdict::Clean;
    }
    edit::merge(&mut scratch.edits, &mut scratch.merged);
    for e in &scratch.merged {
        counts.per_rule[e.rule as usize] += 1;
    }
    if scratch
        .merged
        .iter()
        .any(|e| matches!(engine.rules[e.rule as usize].action, Action::DropRecord))
    {
        counts.dropped += 1;
        return Verdict::Dropped;
    }
    counts.redacted_records += 1;
    edit::write(engine, scratch_parts(scratch), record, out);
    Verdict::Redacted
}

/// How many more times the deepest layer is decoded, at most, while it
/// still holds escapes: with the layers above it, values encoded up to 36
/// times over are searched decoded, and a line of nothing but nested
/// escapes costs a bounded number of passes.
const MAX_EXTRA_PASSES: usize = 32;

/// Decodes `layer.text` again with `decode` (URL or JSON escapes) while
/// that changes it (up to [`MAX_EXTRA_PASSES`] times; every escape is
/// longer than what it decodes to), each pass's offset map composed with
/// the layer's, so that the layer still maps straight to its source. Only
/// the deepest layer does this, for values encoded more often than there
/// are layers; the buffers are allocated here, as that never happens in
/// ordinary logs.
fn decode_rest(layer: &mut Layer, decode: fn(&[u8], &mut Vec<u8>, &mut Vec<u32>)) {
    let (mut text, mut map) = (Vec::new(), Vec::new());
    for _ in 0..MAX_EXTRA_PASSES {
        decode(&layer.text, &mut text, &mut map);
        if text.len() == layer.text.len() {
            break;
        }
        for m in map.iter_mut() {
            *m = layer.map[*m as usize];
        }
        std::mem::swap(&mut layer.text, &mut text);
        std::mem::swap(&mut layer.map, &mut map);
    }
}

fn scratch_parts(s: &mut Scratch) -> edit::Parts<'_> {
    edit::Parts {
        merged: &s.merged,
        values: &s.values,
        rep: &mut s.rep,
        rep2: &mut s.rep2,
    }
}

/// How an edit replaces its span.
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// Replace the bytes in place (inside text or a string).
    Replace,
    /// Replace a whole JSON value with a JSON string.
    Quote,
    /// Remove the bytes (drop_field).
    Drop,
}

/// Where a piece of text sits: how many decoded layers deep, and how many
/// JSON strings enclose it (each needs one round of escaping on output).
#[derive(Clone, Copy)]
struct Frame {
    depth: usize,
    escape: u8,
}

/// One record's scan: finds spans and pushes edits.
struct Scan<'a> {
    engine: &'a Compiled,
    s: &'a mut Scratch,
    cache: Option<&'a mut ContentCache>,
    /// The record as it came, which every edit's span is mapped back to.
    record: &'a [u8],
    /// What escapes the record holds ([`escape_kinds`]): text of the
    /// record itself without them has no layer to decode.
    escapes: (bool, bool),
}

impl Scan<'_> {
    /// The rule, unless the engine is restricted to another one.
    fn rule(&self, index: u32) -> Option<&CompiledRule> {
        match self.engine.only {
            Some(only) if only != index => None,
            _ => Some(&self.engine.rules[index as usize]),
        }
    }

    /// Maps a span of layer `depth` to the original record.
    fn to_raw(&self, depth: usize, mut start: usize, mut end: usize) -> (usize, usize) {
        for d in (1..=depth).rev() {
            let layer = &self.s.layers[d];
            let (s, e) = source_span(&layer.map, start, end);
            start = s + layer.base;
            end = e + layer.base;
        }
        (start, end)
    }

    /// Records an edit for `span` of `hay`, in layer `frame.depth`.
    fn push(&mut self, hay: &[u8], frame: Frame, rule: u32, span: (usize, usize), how: How) {
        let (start, end) = span;
        let (mut rs, mut re) = self.to_raw(frame.depth, start, end);
        if frame.escape > 0 && how == How::Replace {
            // Inside a JSON string, a span that cuts one of the record's
            // escapes in two (`abc\` of `abc\"def`) would leave half of it
            // behind and break the string: it takes the whole escape.
            if let Some((s, _)) = escape_around(self.record, rs) {
                rs = s;
            }
            if let Some((_, e)) = escape_around(self.record, re) {
                re = e;
            }
        }
        let quote = how == How::Quote;
        let value_start = self.s.values.len();
        let value = if quote && matches!(hay.get(start), Some(b'"')) && end - start >= 2 {
            &hay[start + 1..end - 1]
        } else {
            &hay[start..end]
        };
        self.s.values.extend_from_slice(value);
        self.s.edits.push(Edit {
            start: rs,
            end: re,
            rule,
            value: (value_start, self.s.values.len()),
            quote,
            escape: frame.escape,
            drop: how == How::Drop,
        });
    }

    fn is_allowed(&self, allowed_from: usize, start: usize, end: usize) -> bool {
        self.s.allowed[allowed_from..]
            .iter()
            .any(|&(a, b)| start >= a && end <= b)
    }

    /// Scans free text `hay[from..to]`: key-value pairs, content rules, and
    /// decoded layers of it.
    fn text(&mut self, hay: &[u8], frame: Frame, from: usize, to: usize) {
        let allowed_from = self.s.allowed.len();
        let seps = memchr::memchr2_iter(b'=', b':', &hay[from..to]).map(|i| from + i);
        self.pairs(hay, frame, from, to, seps, |_, _| true, |_| true);
        self.content(hay, frame, from, to, allowed_from, |s, e| {
            Some((s, e, false))
        });
        self.s.allowed.truncate(allowed_from);
        self.decoded_layers(hay, frame, from, to, false);
    }

    /// Key rules over the pairs of `hay[from..to]` accepted by `keep`,
    /// looking only at the separators (`=`, `:`) at offsets `seps`.
    /// `key_at(start, end)` is asked before the key is looked up: a key it
    /// refuses costs no lookup.
    #[allow(clippy::too_many_arguments)]
    fn pairs(
        &mut self,
        hay: &[u8],
        frame: Frame,
        from: usize,
        to: usize,
        seps: impl Iterator<Item = usize>,
        key_at: impl Fn(usize, usize) -> bool,
        keep: impl Fn(&Pair) -> bool,
    ) {
        if self.engine.keys.is_empty() {
            return;
        }
        let mut hits = std::mem::take(&mut self.s.merged);
        hits.clear();
        let keys = &self.engine.keys;
        let norm = &mut self.s.keys;
        kv_pairs_at(
            &hay[from..to],
            seps.map(|sep| sep - from),
            |ks, ke| {
                if !key_at(from + ks, from + ke) {
                    return None;
                }
                keys.lookup(&hay[from + ks..from + ke], norm)
            },
            |p, rule| {
                let p = Pair {
                    key: (p.key.0 + from, p.key.1 + from),
                    value: (p.value.0 + from, p.value.1 + from),
                };
                if keep(&p) {
                    hits.push(Edit {
                        start: p.value.0,
                        end: p.value.1,
                        rule,
                        value: (p.key.0, p.key.1),
                        quote: false,
                        escape: 0,
                        drop: false,
                    });
                }
            },
        );
        for h in &hits {
            let Some(rule) = self.rule(h.rule) else {
                continue;
            };
            match rule.action {
                Action::Allow => self.s.allowed.push((h.start, h.end)),
                Action::DropField => self.push(hay, frame, h.rule, (h.start, h.end), How::Drop),
                _ => self.push(hay, frame, h.rule, (h.start, h.end), How::Replace),
            }
        }
        hits.clear();
        self.s.merged = hits;
    }

    /// Content rules over `hay[from..to]`. `place` decides, per match, which
    /// span to redact: `Some((start, end, false))` inside a string,
    /// `Some((start, end, true))` for a whole JSON number (replaced by a
    /// quoted string at the document's level), `None` to drop the match.
    fn content(
        &mut self,
        hay: &[u8],
        frame: Frame,
        from: usize,
        to: usize,
        allowed_from: usize,
        place: impl Fn(usize, usize) -> Option<(usize, usize, bool)>,
    ) -> bool {
        // The whole record at the top layer was searched once already.
        let top = frame.depth == 0 && from == 0 && to == hay.len();
        let mut found = if top {
            std::mem::take(&mut self.s.candidates)
        } else {
            let mut found = std::mem::take(&mut self.s.merged);
            found.clear();
            if let Some(cache) = self.cache.as_deref_mut() {
                find_candidates(
                    self.engine,
                    cache,
                    hay,
                    from,
                    to,
                    (&mut found, &mut self.s.groups),
                    Search::Whole(None),
                );
            }
            found
        };
        let mut rejected = false;
        for f in &found {
            if self.is_allowed(allowed_from, f.start, f.end) {
                continue;
            }
            if let Some((s, e, quote)) = place(f.start, f.end) {
                let how = match (&self.engine.rules[f.rule as usize].action, quote) {
                    (Action::DropField, _) => How::Drop,
                    (_, true) => How::Quote,
                    _ => How::Replace,
                };
                let frame = if quote {
                    Frame {
                        escape: frame.escape.saturating_sub(1),
                        ..frame
                    }
                } else {
                    frame
                };
                self.push(hay, frame, f.rule, (s, e), how);
            } else {
                rejected = true;
            }
        }
        if top {
            self.s.candidates = found;
        } else {
            found.clear();
            self.s.merged = found;
        }
        rejected
    }

    /// Scans URL-decoded and JSON-unescaped forms of `hay[from..to]`.
    /// `in_string`: the text is already a decoded JSON string.
    fn decoded_layers(
        &mut self,
        hay: &[u8],
        frame: Frame,
        from: usize,
        to: usize,
        in_string: bool,
    ) {
        let depth = frame.depth + 1;
        if depth > MAX_LAYERS {
            return;
        }
        let part = &hay[from..to];
        // Text of the record itself (depth 0) holds only escapes the
        // record holds.
        let (backslash, url) = match frame.depth {
            0 => self.escapes,
            _ => (true, true),
        };
        if url && has_url_escape(part) {
            let mut layer = std::mem::take(&mut self.s.layers[depth]);
            url_decode(part, &mut layer.text, &mut layer.map);
            if depth == MAX_LAYERS {
                // No deeper layer is left to decode the rest.
                decode_rest(&mut layer, url_decode);
            }
            layer.base = from;
            let text = std::mem::take(&mut layer.text);
            self.s.layers[depth] = layer;
            self.text(&text, Frame { depth, ..frame }, 0, text.len());
            self.s.layers[depth].text = text;
        }
        if backslash && !in_string && memchr::memchr(b'\\', part).is_some() {
            let mut layer = std::mem::take(&mut self.s.layers[depth]);
            json_unescape(part, &mut layer.text, &mut layer.map);
            if depth == MAX_LAYERS {
                decode_rest(&mut layer, json_unescape);
            }
            layer.base = from;
            let text = std::mem::take(&mut layer.text);
            self.s.layers[depth] = layer;
            if text.len() != part.len() {
                self.text(&text, Frame { depth, ..frame }, 0, text.len());
            }
            self.s.layers[depth].text = text;
        }
    }

    /// Scans the JSON document `hay[from..to]`. On a syntax error nothing is
    /// pushed for it and the caller falls back to text.
    fn json(
        &mut self,
        hay: &[u8],
        frame: Frame,
        from: usize,
        to: usize,
    ) -> Result<(), json::SyntaxError> {
        let depth = frame.depth;
        let mut tokens = std::mem::take(&mut self.s.tokens[depth]);
        let result = json::tokenize(&hay[from..to], &mut tokens, &mut self.s.stack);
        if result.is_ok() {
            for t in tokens.iter_mut() {
                t.start += from as u32;
                t.end += from as u32;
            }
            self.json_tokens(hay, frame, &tokens);
        }
        self.s.tokens[depth] = tokens;
        result
    }

    fn json_tokens(&mut self, hay: &[u8], frame: Frame, tokens: &[Token]) {
        let allowed_from = self.s.allowed.len();
        let inner = Frame {
            depth: frame.depth,
            escape: frame.escape + 1,
        };
        let mut skip_until = 0usize;
        let mut key: Option<&Token> = None;
        for t in tokens {
            let (start, end) = (t.start as usize, t.end as usize);
            if t.kind == Kind::Key {
                key = Some(t);
                continue;
            }
            let this_key = key.take();
            if start < skip_until {
                continue;
            }
            let rule = this_key.and_then(|k| {
                let name = &hay[k.start as usize + 1..k.end as usize - 1];
                self.engine
                    .keys
                    .lookup(name, &mut self.s.keys)
                    .filter(|&r| self.rule(r).is_some())
            });
            if let (Some(rule), Some(k)) = (rule, this_key) {
                match self.engine.rules[rule as usize].action {
                    Action::Allow => self.s.allowed.push((start, end)),
                    Action::DropField => {
                        let (s, e) = field_span(hay, k.start as usize, end);
                        self.push(hay, frame, rule, (s, e), How::Drop);
                    }
                    _ if t.kind == Kind::Null => {}
                    _ => self.push(hay, frame, rule, (start, end), How::Quote),
                }
                skip_until = end;
                continue;
            }
            if t.kind == Kind::Str && end - start > 2 {
                let (cs, ce) = (start + 1, end - 1);
                if t.escaped {
                    self.json_string_layer(hay, inner, cs, ce);
                } else {
                    self.decoded_layers(hay, inner, cs, ce, true);
                }
            }
        }
        // Content and key-value rules over the whole document at once, kept
        // only where they fall inside one string (or number) token.
        let leaf = |s: usize, e: usize| -> Option<&Token> {
            let i = tokens
                .partition_point(|t| (t.start as usize) <= s)
                .checked_sub(1)?;
            let t = &tokens[i];
            (!matches!(t.kind, Kind::Object | Kind::Array) && e <= t.end as usize).then_some(t)
        };
        let (from, to) = if frame.depth == 0 {
            (0, hay.len())
        } else {
            tokens
                .first()
                .map_or((0, 0), |t| (t.start as usize, t.end as usize))
        };
        let crossed = self.content(hay, inner, from, to, allowed_from, |s, e| {
            match leaf(s, e) {
                Some(t)
                    if matches!(t.kind, Kind::Str | Kind::Key)
                        && s > t.start as usize
                        && e < t.end as usize =>
                {
                    Some((s, e, false))
                }
                Some(t) if t.kind == Kind::Num => Some((t.start as usize, t.end as usize, true)),
                _ => None,
            }
        });
        // Only pairs inside one string count: `"key": value` of the
        // document itself was handled by the token loop above.
        let in_string = |s: usize, e: usize| {
            leaf(s, e)
                .is_some_and(|t| t.kind == Kind::Str && s > t.start as usize && e < t.end as usize)
        };
        // A pair inside one string has its separator inside it too: one
        // scan of the document, each separator checked against the string
        // tokens in order (strings do not nest).
        let mut strings = tokens
            .iter()
            .filter(|t| t.kind == Kind::Str && t.end - t.start > 2)
            .map(|t| (t.start as usize + 1, t.end as usize - 1))
            .peekable();
        let seps = memchr::memchr2_iter(b'=', b':', &hay[from..to])
            .map(move |i| from + i)
            .filter(move |&i| {
                while strings.next_if(|&(_, ce)| ce <= i).is_some() {}
                strings.peek().is_some_and(|&(cs, _)| cs <= i)
            });
        self.pairs(hay, inner, from, to, seps, in_string, |p| {
            in_string(p.key.0, p.value.1)
        });
        // Matches crossing a quote were dropped above: scan each string on
        // its own so that nothing hides behind them.
        if crossed {
            self.rescan_strings(hay, inner, tokens, allowed_from);
        }
        self.s.allowed.truncate(allowed_from);
    }

    /// Scans each string of a document on its own: used when a
    /// whole-document match crossed a quote, so that nothing hides behind it.
    fn rescan_strings(&mut self, hay: &[u8], inner: Frame, tokens: &[Token], allowed_from: usize) {
        for t in tokens {
            if matches!(t.kind, Kind::Str | Kind::Key) && t.end - t.start > 2 && !t.escaped {
                let (cs, ce) = (t.start as usize + 1, t.end as usize - 1);
                self.content(hay, inner, cs, ce, allowed_from, |s, e| Some((s, e, false)));
            }
        }
    }

    /// Decodes an escaped JSON string `hay[cs..ce]` and scans it as JSON (if
    /// it holds a document) or as text.
    fn json_string_layer(&mut self, hay: &[u8], inner: Frame, cs: usize, ce: usize) {
        let depth = inner.depth + 1;
        if depth > MAX_LAYERS {
            // Too deep to decode: scan the raw content, strictly.
            self.text(hay, inner, cs, ce);
            return;
        }
        let mut layer = std::mem::take(&mut self.s.layers[depth]);
        json_unescape(&hay[cs..ce], &mut layer.text, &mut layer.map);
        layer.base = cs;
        let text = std::mem::take(&mut layer.text);
        self.s.layers[depth] = layer;
        let frame = Frame {
            depth,
            escape: inner.escape,
        };
        let doc_frame = Frame {
            depth,
            escape: inner.escape,
        };
        let parsed = detect(&text) == Format::Json && {
            let edits = self.s.edits.len();
            let ok = self.json(&text, doc_frame, 0, text.len()).is_ok();
            if !ok {
                self.s.edits.truncate(edits);
            }
            ok
        };
        if !parsed {
            self.text(&text, frame, 0, text.len());
        }
        self.s.layers[depth].text = text;
    }
}

/// How [`find_candidates`] searches.
enum Search<'w> {
    /// The whole search; the key hint's words found on the way are
    /// appended to the vector, if any.
    Whole(Option<&'w mut Vec<(usize, usize, u32)>>),
    /// The search after this first pass over the same range.
    After(Prescan),
}

/// Content-rule candidates in `hay[from..to]` that pass their rule's
/// validator and context checks, in order, appended to `found` (rules with
/// a capture group find it with their cache in `groups`). Hands a prescan
/// back for reuse once it is spent.
fn find_candidates(
    engine: &Compiled,
    cache: &mut ContentCache,
    hay: &[u8],
    from: usize,
    to: usize,
    (found, groups): (&mut Vec<Edit>, &mut Vec<Option<GroupCache>>),
    search: Search<'_>,
) -> Option<Prescan> {
    let matcher = engine.content.as_ref()?;
    if groups.len() < engine.rules.len() {
        groups.resize_with(engine.rules.len(), || None);
    }
    let accept = |rule: u32, start: usize, end: usize| {
        let r = &engine.rules[rule as usize];
        let ok = engine.only.is_none_or(|o| o == rule)
            && r.validator.is_none_or(|v| v.check(&hay[start..end]))
            && r.context
                .as_ref()
                .is_none_or(|c: &Context| c.found(hay, start))
            && !r.deny_context.as_ref().is_some_and(|c| c.found(hay, start));
        if !ok {
            return false;
        }
        let (s, e) = r
            .group
            .as_ref()
            .and_then(|g| {
                let cache = &mut groups[rule as usize];
                if cache.is_none() {
                    *cache = g.create_cache();
                }
                g.span(cache.as_mut(), &hay[..to], start, end)
            })
            .unwrap_or((start, end));
        if s < e {
            found.push(Edit {
                start: s,
                end: e,
                rule,
                value: (0, 0),
                quote: false,
                escape: 0,
                drop: false,
            });
        }
        true
    };
    match search {
        Search::Whole(words) => {
            matcher.search(cache, hay, from, to, words, accept);
            None
        }
        Search::After(mut p) => {
            matcher.search_after(cache, hay, from, to, &mut p.pass, accept);
            Some(p)
        }
    }
}

/// True when `hay[at]` is inside a JSON escape (`\n`, `\"`, `\u00e9`) that
/// starts before it and that the decoded layer undoes. A backslash that
/// starts no valid escape (`C:\jane`) is plain text: matches after it stay.
fn inside_escape(hay: &[u8], at: usize) -> bool {
    escape_around(hay, at).is_some()
}

/// The JSON escape of `hay` that `at` falls strictly inside, as `(start,
/// end)`: `at` is past its backslash and before its end.
fn escape_around(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    (at.saturating_sub(5)..at).find_map(|i| {
        let backslashes_before = hay[..i].iter().rev().take_while(|&&b| b == b'\\').count();
        let n = escape_len(hay, i).filter(|&n| at < i + n)?;
        (backslashes_before % 2 == 0).then_some((i, i + n))
    })
}

/// The span of a JSON field `"key": value` plus one adjacent comma, so that
/// removing it leaves valid JSON.
fn field_span(hay: &[u8], key_start: usize, value_end: usize) -> (usize, usize) {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut e = value_end;
    while e < hay.len() && ws(hay[e]) {
        e += 1;
    }
    if hay.get(e) == Some(&b',') {
        e += 1;
        while e < hay.len() && ws(hay[e]) {
            e += 1;
        }
        return (key_start, e);
    }
    let mut s = key_start;
    while s > 0 && ws(hay[s - 1]) {
        s -= 1;
    }
    if s > 0 && hay[s - 1] == b',' {
        return (s - 1, value_end);
    }
    (key_start, value_end)
}
