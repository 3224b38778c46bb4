//! Content rules: every `pattern` and `keywords` rule, searched so that each
//! byte of a value is looked at by as few automata as possible. Each match
//! names its rule; candidates then pass the rule's validator and context
//! checks in [`crate::redact`].
//!
//! Most patterns cannot match without a literal: a prefix (`AKIA`, `eyJ`,
//! `password`), a literal inside (`@` of an e-mail, `://` of a URL), or one of
//! the rule's context words. One Aho-Corasick scan finds those *triggers*,
//! and only then is the pattern's own small regex run, near the trigger.
//! Patterns with no usable trigger (digit shapes such as cards and national
//! ids) share one multi-pattern regex over the whole value. Both kinds of
//! search report the same matches a search of each pattern alone would.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AcMatchKind};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{self, Class, ClassBytes, ClassBytesRange, Hir, HirKind};

use super::anchored::{AnchoredCache, AnchoredDfa};
use super::gate::Gate;
use super::joint::{Joint, JointCache};
use super::literals::{never_breaks, CompactLiterals, Literals};

/// Words that must (or must not) appear shortly before a match.
#[derive(Debug, Clone)]
pub struct Context {
    words: AhoCorasick,
    window: usize,
}

impl Context {
    pub fn new(words: &[String], window: usize) -> Result<Context, String> {
        let words = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(AcMatchKind::LeftmostFirst)
            .build(words)
            .map_err(|e| format!("context words: {e}"))?;
        Ok(Context { words, window })
    }

    /// True when a word occurs in the `window` bytes before `start` (or in
    /// the match itself, for words like `Bearer`).
    pub fn found(&self, hay: &[u8], start: usize) -> bool {
        let from = start.saturating_sub(self.window);
        self.words.is_match(&hay[from..start])
    }
}

/// One content pattern as the rule compiler hands it over.
#[derive(Debug, Clone)]
pub struct ContentPattern {
    /// Index of the rule in the compiled rule list.
    pub rule: u32,
    /// The pattern, parsed by [`parse_pattern`].
    pub hir: Hir,
    /// The rule's context words and window, if it has any: a match can only
    /// count within `window` bytes after one of them.
    pub context: Option<(Vec<String>, usize)>,
    /// A pattern every match the rule keeps contains (its validator's
    /// [`shape`](super::validate::Validator::shape)), for the gate.
    pub shape: Option<&'static str>,
}

/// Syntax shared by every rule pattern: bytes, ASCII classes unless the
/// pattern opts in with `(?u)`, so the lazy DFA never gives up on `\b`.
pub fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// Parses a rule pattern with the syntax of [`syntax_config`].
pub fn parse_pattern(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// How far before its trigger a match may start, at most, for a literal
/// inside a pattern to serve as its trigger.
const MAX_LOOKBACK: usize = 256;

/// Single bytes rare enough in logs to trigger a search on their own.
const RARE_BYTES: &[u8] = b"@+#~^|<>$!";

/// All content patterns, split into triggered ones and one union.
#[derive(Debug, Clone)]
pub struct ContentMatcher {
    triggered: Vec<Triggered>,
    /// Every trigger literal and every extra word (ASCII
    /// case-insensitive), all occurrences, and the union's gate.
    triggers: Triggers,
    /// Literal id -> the triggered patterns it wakes.
    wakes: Vec<Vec<u32>>,
    /// Literal id -> the extra word it is, if any.
    words: Vec<Option<u32>>,
    /// The patterns without a trigger, searched together where the gate,
    /// walked with the trigger literals, saw a match.
    union: Option<Regex>,
    /// Union pattern id -> rule index.
    union_rules: Vec<u32>,
}

/// The first pass's scan for trigger literals.
#[derive(Debug, Clone)]
enum Triggers {
    /// No literals: the union (if any) is searched in every range.
    None,
    /// The literals alone, when there is no union to gate.
    Alone(Box<Literals>),
    /// The literals and the union's gate in one walk.
    Gated(Box<Joint>),
}

/// A pattern searched on its own, near its triggers.
#[derive(Debug, Clone)]
struct Triggered {
    find: Find,
    rule: u32,
    /// A match starts at most this far before its trigger...
    lookback: usize,
    /// ...and at most this far after it.
    reach: usize,
    /// The longest match, when the pattern bounds it.
    max_len: Option<usize>,
}

/// How a triggered pattern is searched.
#[derive(Debug, Clone)]
enum Find {
    /// From its trigger, which is its prefix: only the end is unknown.
    /// The pattern stays at hand for a search the lazy DFA cannot answer.
    Anchored(Box<(AnchoredDfa, Hir)>),
    /// From the leftmost byte before its trigger that the part of the
    /// pattern before the trigger can hold: see [`Behind`].
    Behind(Box<Behind>),
    /// From some way before its trigger (or a prefix pattern the anchored
    /// search cannot take, with a Unicode word boundary).
    Regex(Regex),
}

/// A pattern whose trigger comes after a part of bounded length (the
/// local part of an e-mail address before its `@`). Every byte that part
/// can match is in `before`, so a match that starts further back than the
/// run of such bytes before a trigger holds an earlier trigger: the search
/// from that one has seen it. The match at the start of the run, if there
/// is one, is then the leftmost, and one anchored search finds its end.
/// The regex crates' search would run a reverse and a forward lazy DFA
/// over it, in their slow loops wherever a match could end. Where no match
/// starts there, the regex searches as before.
#[derive(Debug, Clone)]
struct Behind {
    dfa: AnchoredDfa,
    before: Box<[bool; 256]>,
    regex: Regex,
}

/// Per-thread state of one [`Find`].
enum FindCache {
    Anchored(Box<AnchoredCache>),
    Behind(Box<(AnchoredCache, meta::Cache)>),
    Regex(Box<meta::Cache>),
}

impl Find {
    fn create_cache(&self) -> FindCache {
        match self {
            Find::Anchored(a) => FindCache::Anchored(Box::new(a.0.create_cache())),
            Find::Behind(b) => {
                FindCache::Behind(Box::new((b.dfa.create_cache(), b.regex.create_cache())))
            }
            Find::Regex(regex) => FindCache::Regex(Box::new(regex.create_cache())),
        }
    }

    /// The leftmost-first match in `input` (anchored, for
    /// [`Find::Anchored`]), as `(start, end)`, searched for a trigger at
    /// `hit`.
    fn search(
        &self,
        cache: &mut FindCache,
        input: &Input<'_>,
        hit: usize,
    ) -> Option<(usize, usize)> {
        match (self, cache) {
            (Find::Anchored(a), FindCache::Anchored(c)) => {
                let (dfa, hir) = &**a;
                let (hay, start) = (input.haystack(), input.start());
                match dfa.end(c, hay, start, input.end()) {
                    Ok(end) => end.map(|end| (start, end)),
                    Err(_) => Find::fallback(hir, input),
                }
            }
            (Find::Behind(b), FindCache::Behind(c)) => {
                let (hay, floor) = (input.haystack(), input.start());
                let mut start = hit.min(input.end());
                while start > floor && b.before[usize::from(hay[start - 1])] {
                    start -= 1;
                }
                if let Ok(Some(end)) = b.dfa.end(&mut c.0, hay, start, input.end()) {
                    return Some((start, end));
                }
                b.regex
                    .search_with(&mut c.1, input)
                    .map(|m| (m.start(), m.end()))
            }
            (Find::Regex(regex), FindCache::Regex(c)) => {
                regex.search_with(c, input).map(|m| (m.start(), m.end()))
            }
            _ => unreachable!("a cache is made by its own Find"),
        }
    }

    /// A search by the full regex, for an anchored search that got no
    /// answer ([`super::anchored::NoAnswer`]: not expected). Correct but
    /// slow; a pattern that does not build counts as matching the whole
    /// range (redacting more, never less).
    #[cold]
    fn fallback(hir: &Hir, input: &Input<'_>) -> Option<(usize, usize)> {
        match Find::fallback_regex(hir) {
            Ok(regex) => regex.search(input).map(|m| (m.start(), m.end())),
            Err(_) => Some((input.start(), input.end())),
        }
    }

    /// The regex [`Find::fallback`] searches with.
    fn fallback_regex(hir: &Hir) -> Result<Regex, String> {
        build(std::slice::from_ref(hir), 2 << 20, false)
    }
}

/// Per-thread search state for a [`ContentMatcher`].
pub struct ContentCache {
    union: Option<meta::Cache>,
    joint: Option<JointCache>,
    triggered: Vec<FindCache>,
    /// Per triggered pattern: every match starting before this offset has
    /// been reported already.
    cursor: Vec<usize>,
    /// The first pass of the current search.
    pass: FirstPass,
}

/// What [`ContentMatcher::first_pass`] found in a range, for
/// [`ContentMatcher::search_after`]: the trigger hits, as `(start,
/// literal)`, and whether the union may match.
#[derive(Debug, Default)]
pub struct FirstPass {
    hits: Vec<(usize, u32)>,
    union: bool,
}

/// Where [`ContentMatcher::first_pass_many`] puts one record's first pass
/// and the extra words found in it.
pub type PassOut<'a> = (&'a mut FirstPass, &'a mut Vec<(usize, usize, u32)>);

/// One regex over parsed `patterns` (leftmost-first, byte-oriented, like
/// [`syntax_config`]), with a lazy DFA cache of at most `cache_bytes` per
/// thread, and a literal prefilter if `prefilter` and the patterns have
/// one.
fn build(patterns: &[Hir], cache_bytes: usize, prefilter: bool) -> Result<Regex, String> {
    Regex::builder()
        .configure(
            meta::Config::new()
                .auto_prefilter(prefilter)
                .match_kind(MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(64 << 20))
                .hybrid_cache_capacity(cache_bytes)
                .dfa_size_limit(Some(64 << 20)),
        )
        .build_many_from_hir(patterns)
        .map_err(|e| e.to_string())
}

impl ContentMatcher {
    /// Compiles the content patterns, choosing for each how it is searched.
    /// `words` ride along in the trigger scan: a search of a whole record
    /// can report where they occur (the key hint's words), so that the
    /// record is scanned once for both.
    pub fn new(patterns: &[ContentPattern], words: &[String]) -> Result<ContentMatcher, String> {
        let mut triggered = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut wakes: Vec<Vec<u32>> = Vec::new();
        let mut union = Vec::new();
        let mut union_rules = Vec::new();
        let mut gate = Vec::new();
        for p in patterns {
            // Each alternative of a top-level alternation is planned on its
            // own: `npm_...|AIza...` has a good trigger per alternative.
            let alternatives = match p.hir.kind() {
                HirKind::Alternation(alts) => alts.clone(),
                _ => vec![p.hir.clone()],
            };
            // A shape stands for the whole rule: the gate needs it once,
            // however many alternatives go to the union.
            let mut shape = p.shape.map(parse_pattern).transpose()?;
            for alt in alternatives {
                let Some(plan) = plan(&alt, p.context.as_ref()) else {
                    match p.shape {
                        Some(_) => gate.extend(shape.take()),
                        None => gate.push(alt.clone()),
                    }
                    union.push(alt);
                    union_rules.push(p.rule);
                    continue;
                };
                let index = triggered.len() as u32;
                for lit in plan.literals {
                    match literals.iter().position(|l| *l == lit) {
                        Some(i) => wakes[i].push(index),
                        None => {
                            literals.push(lit);
                            wakes.push(vec![index]);
                        }
                    }
                }
                let anchored = plan.lookback == 0 && plan.reach == 0;
                let dfa =
                    (anchored || plan.before.is_some()).then(|| AnchoredDfa::new(&alt, 2 << 20));
                let find = match (dfa, plan.before) {
                    (Some(Ok(dfa)), _) if anchored => Find::Anchored(Box::new((dfa, alt.clone()))),
                    (Some(Ok(dfa)), Some(before)) => Find::Behind(Box::new(Behind {
                        dfa,
                        before,
                        regex: build(std::slice::from_ref(&alt), 2 << 20, true)?,
                    })),
                    // A search anchored at its trigger has no use for a
                    // prefilter; building one is most of its start-up.
                    _ => Find::Regex(build(std::slice::from_ref(&alt), 2 << 20, !anchored)?),
                };
                triggered.push(Triggered {
                    find,
                    rule: p.rule,
                    lookback: plan.lookback,
                    reach: plan.reach,
                    max_len: alt.properties().maximum_len(),
                });
            }
        }
        let mut word_of = vec![None; literals.len()];
        for (i, w) in words.iter().enumerate() {
            let w = w.to_ascii_lowercase().into_bytes();
            match literals.iter().position(|l| *l == w) {
                Some(at) => word_of[at] = Some(i as u32),
                None => {
                    literals.push(w);
                    wakes.push(Vec::new());
                    word_of.push(Some(i as u32));
                }
            }
        }
        let union = match union.is_empty() {
            true => None,
            false => Some(build(&union, 64 << 20, true)?),
        };
        let triggers = match (literals.is_empty(), &union) {
            (true, _) => Triggers::None,
            (false, None) => Triggers::Alone(Box::new(
                Literals::new(&literals).map_err(|e| format!("trigger literals: {e}"))?,
            )),
            // The gate's states are few (it only asks "any match?"); input
            // that would need more only costs it time.
            (false, Some(_)) => Triggers::Gated(Box::new(Joint::new(
                CompactLiterals::compact(&literals)
                    .map_err(|e| format!("trigger literals: {e}"))?,
                Gate::new(&gate, 8 << 20)?,
            ))),
        };
        Ok(ContentMatcher {
            triggered,
            triggers,
            wakes,
            words: word_of,
            union,
            union_rules,
        })
    }

    /// A cache for [`ContentMatcher::search`]; one per thread.
    pub fn create_cache(&self) -> ContentCache {
        ContentCache {
            union: self.union.as_ref().map(|r| r.create_cache()),
            joint: match &self.triggers {
                Triggers::Gated(joint) => Some(joint.create_cache()),
                _ => None,
            },
            triggered: self
                .triggered
                .iter()
                .map(|t| t.find.create_cache())
                .collect(),
            cursor: vec![0; self.triggered.len()],
            pass: FirstPass::default(),
        }
    }

    /// Calls `accept(rule, start, end)` for the matches in `hay[from..to]`,
    /// per pattern in order of start. When `accept` returns false (the
    /// validator said no) the pattern's search resumes right after `start`,
    /// since a shorter or later match may still be real; otherwise after
    /// `end`. Matches of different patterns may overlap.
    ///
    /// With `words`, every occurrence of an extra word (see
    /// [`ContentMatcher::new`]) is appended to it as `(start, end, word)`,
    /// in order of end.
    pub fn search(
        &self,
        cache: &mut ContentCache,
        hay: &[u8],
        from: usize,
        to: usize,
        words: Option<&mut Vec<(usize, usize, u32)>>,
        accept: impl FnMut(u32, usize, usize) -> bool,
    ) {
        let mut pass = std::mem::take(&mut cache.pass);
        self.first_pass(cache, hay, from, to, &mut pass, words);
        self.search_after(cache, hay, from, to, &mut pass, accept);
        cache.pass = pass;
    }

    /// The first half of [`ContentMatcher::search`]: one scan of
    /// `hay[from..to]` for the trigger literals, the extra words and the
    /// gate, into `pass` (and `words`).
    pub fn first_pass(
        &self,
        cache: &mut ContentCache,
        hay: &[u8],
        from: usize,
        to: usize,
        pass: &mut FirstPass,
        words: Option<&mut Vec<(usize, usize, u32)>>,
    ) {
        pass.hits.clear();
        let hit = self.on_hit(&mut pass.hits, words);
        pass.union = match (&self.triggers, cache.joint.as_mut()) {
            (Triggers::Gated(joint), Some(jc)) => joint.scan(jc, hay, from, to, hit),
            (Triggers::Alone(literals), _) => {
                let _ = literals.scan(hay, from, to, never_breaks(hit));
                true
            }
            _ => true,
        };
    }

    /// [`ContentMatcher::first_pass`] over whole records, two at a time
    /// side by side (see [`Joint::scan_many`]): record `hays[i]`
    /// goes to `out[i]`.
    pub fn first_pass_many<const N: usize>(
        &self,
        cache: &mut ContentCache,
        hays: [&[u8]; N],
        mut out: [PassOut<'_>; N],
    ) {
        let (Triggers::Gated(joint), Some(jc)) = (&self.triggers, cache.joint.as_mut()) else {
            for (hay, (pass, words)) in hays.into_iter().zip(out) {
                self.first_pass(cache, hay, 0, hay.len(), pass, Some(words));
            }
            return;
        };
        for (pass, _) in out.iter_mut() {
            pass.hits.clear();
        }
        let mut maybe = [false; N];
        joint.scan_many(jc, &hays, &mut maybe, |i, start, end, literal| {
            let (pass, words) = &mut out[i];
            self.note_hit(&mut pass.hits, Some(&mut **words), start, end, literal);
        });
        for ((pass, _), maybe) in out.iter_mut().zip(maybe) {
            pass.union = maybe;
        }
    }

    /// [`ContentMatcher::note_hit`] as a scan's callback.
    fn on_hit<'a>(
        &'a self,
        hits: &'a mut Vec<(usize, u32)>,
        mut words: Option<&'a mut Vec<(usize, usize, u32)>>,
    ) -> impl FnMut(usize, usize, u32) + 'a {
        move |start, end, literal| self.note_hit(hits, words.as_deref_mut(), start, end, literal)
    }

    /// Records a literal occurrence of the first pass: as a trigger if it
    /// wakes patterns, as a word if it is one.
    fn note_hit(
        &self,
        hits: &mut Vec<(usize, u32)>,
        words: Option<&mut Vec<(usize, usize, u32)>>,
        start: usize,
        end: usize,
        literal: u32,
    ) {
        if !self.wakes[literal as usize].is_empty() {
            hits.push((start, literal));
        }
        if let (Some(out), Some(w)) = (words, self.words[literal as usize]) {
            out.push((start, end, w));
        }
    }

    /// The second half of [`ContentMatcher::search`]: the union where the
    /// gate saw a match, and each triggered pattern near its triggers.
    /// `pass` must come from a first pass over the same range.
    pub fn search_after(
        &self,
        cache: &mut ContentCache,
        hay: &[u8],
        from: usize,
        to: usize,
        pass: &mut FirstPass,
        mut accept: impl FnMut(u32, usize, usize) -> bool,
    ) {
        if let (true, Some(union), Some(c)) = (pass.union, &self.union, cache.union.as_mut()) {
            let mut at = from;
            while at < to {
                let Some(m) = union.search_with(c, &Input::new(hay).range(at..to)) else {
                    break;
                };
                let rule = self.union_rules[m.pattern().as_usize()];
                at = if accept(rule, m.start(), m.end()) {
                    m.end().max(m.start() + 1)
                } else {
                    m.start() + 1
                };
            }
        }
        if pass.hits.is_empty() {
            return;
        }
        cache.cursor.fill(from);
        // Overlapping hits come in order of their end; each pattern's
        // cursor needs them in order of their start.
        pass.hits.sort_unstable();
        for &(start, literal) in &pass.hits {
            for &t in &self.wakes[literal as usize] {
                self.near(cache, t as usize, hay, start, from, to, &mut accept);
            }
        }
    }

    /// Searches triggered pattern `t` for matches that its trigger at `hit`
    /// makes possible.
    #[allow(clippy::too_many_arguments)]
    fn near(
        &self,
        cache: &mut ContentCache,
        t: usize,
        hay: &[u8],
        hit: usize,
        from: usize,
        to: usize,
        accept: &mut impl FnMut(u32, usize, usize) -> bool,
    ) {
        let p = &self.triggered[t];
        let last_start = hit + p.reach;
        // A prefix trigger can only start a match where it stands: the
        // search is anchored there and stops as soon as the pattern fails.
        let anchored = p.lookback == 0 && p.reach == 0;
        // A bounded pattern is searched in a window that holds every match
        // starting up to `last_start`; a match starting later may be cut
        // short by the window and is left to a later trigger.
        let until = p.max_len.map_or(to, |n| (last_start + n).min(to));
        let mut at = cache.cursor[t]
            .max(hit.saturating_sub(p.lookback))
            .max(from);
        while at <= last_start && at < to {
            let input = Input::new(hay).range(at..until).anchored(if anchored {
                Anchored::Yes
            } else {
                Anchored::No
            });
            let Some((start, end)) = p.find.search(&mut cache.triggered[t], &input, hit) else {
                if until == to && !anchored {
                    cache.cursor[t] = to;
                }
                return;
            };
            if start > last_start {
                if until == to {
                    cache.cursor[t] = start;
                }
                return;
            }
            cache.cursor[t] = if accept(p.rule, start, end) {
                end.max(start + 1)
            } else {
                start + 1
            };
            at = cache.cursor[t];
        }
    }

    /// How many patterns are searched near triggers, and how many in the
    /// union.
    #[cfg(test)]
    fn split(&self) -> (usize, usize) {
        (self.triggered.len(), self.union_rules.len())
    }

    /// This matcher with every [`Find::Behind`] searched by its regex
    /// alone, and how many there were.
    #[cfg(test)]
    fn without_behind(mut self) -> (ContentMatcher, usize) {
        let mut n = 0;
        for t in &mut self.triggered {
            if let Find::Behind(b) = &t.find {
                t.find = Find::Regex(b.regex.clone());
                n += 1;
            }
        }
        (self, n)
    }
}

/// How a triggered pattern is found: its trigger literals (lower case) and
/// where a match may start relative to a trigger.
struct Plan {
    literals: Vec<Vec<u8>>,
    lookback: usize,
    reach: usize,
    /// Every byte the part before the trigger can match, when the pattern
    /// is that part followed by the trigger's.
    before: Option<Box<[bool; 256]>>,
}

/// Chooses a trigger for `hir`: a prefix literal set, else a literal inside
/// it at a bounded distance from the start, else the rule's context words.
/// `None`: the pattern goes to the union.
fn plan(hir: &Hir, context: Option<&(Vec<String>, usize)>) -> Option<Plan> {
    let folded = fold_case(hir);
    let found = match (prefixes(&folded), folded.kind()) {
        (Some(literals), _) => Some((literals, 0, None)),
        // A trigger after a first part of the whole pattern (not of one
        // alternative): the bytes that part holds come along.
        (None, HirKind::Concat(parts)) => trigger_split(parts).map(|(k, literals, lookback)| {
            let before = (lookback > 0).then(|| held_bytes(&parts[..k]));
            (literals, lookback, before)
        }),
        (None, _) => inner_parts(&folded).map(|(literals, lookback)| (literals, lookback, None)),
    };
    if let Some((literals, lookback, before)) = found {
        return Some(Plan {
            literals,
            lookback,
            reach: 0,
            before,
        });
    }
    let (words, window) = context?;
    Some(Plan {
        literals: words
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .collect(),
        lookback: 0,
        reach: *window,
        before: None,
    })
}

/// Literals every match of `hir` contains, and how far before one of them
/// a match may start (0: a prefix).
fn inner_literals(hir: &Hir) -> Option<(Vec<Vec<u8>>, usize)> {
    match prefixes(hir) {
        Some(l) => Some((l, 0)),
        None => inner_parts(hir),
    }
}

/// [`inner_literals`] of `hir`'s parts, for a `hir` without good prefix
/// literals of its own.
fn inner_parts(hir: &Hir) -> Option<(Vec<Vec<u8>>, usize)> {
    match hir.kind() {
        HirKind::Capture(c) => inner_literals(&c.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            let mut lookback = 0;
            for a in alts {
                let (l, b) = inner_literals(a)?;
                all.extend(l);
                lookback = lookback.max(b);
            }
            Some((all, lookback))
        }
        HirKind::Concat(parts) => trigger_split(parts).map(|(_, l, lookback)| (l, lookback)),
        _ => None,
    }
}

/// Where the parts of a concatenation split into a first part of bounded
/// length and the rest, which has prefix literals: `(k, literals,
/// lookback)` for `parts[..k]` and `parts[k..]`, the first such split.
fn trigger_split(parts: &[Hir]) -> Option<(usize, Vec<Vec<u8>>, usize)> {
    for k in 1..parts.len() {
        let before = Hir::concat(parts[..k].to_vec()).properties().maximum_len();
        let lookback = before.filter(|&n| n <= MAX_LOOKBACK)?;
        if let Some(l) = prefixes(&Hir::concat(parts[k..].to_vec())) {
            return Some((k, l, lookback));
        }
    }
    None
}

/// Every byte a match of the concatenation of `parts` can hold, in either
/// case (the parts are case-folded).
fn held_bytes(parts: &[Hir]) -> Box<[bool; 256]> {
    let mut bytes = Box::new([false; 256]);
    parts.iter().for_each(|h| hir_bytes(h, &mut bytes));
    for b in b'a'..=b'z' {
        bytes[usize::from(b.to_ascii_uppercase())] |= bytes[usize::from(b)];
    }
    bytes
}

/// Marks in `bytes` every byte a match of `hir` can hold: its literals and
/// classes, and for a class beyond ASCII, every byte of 0x80 and up.
fn hir_bytes(hir: &Hir, bytes: &mut [bool; 256]) {
    let mut mark = |lo: u32, hi: u32| {
        for b in lo.min(256)..=hi.min(255) {
            bytes[b as usize] = true;
        }
        if hi >= 0x80 {
            bytes[0x80..].fill(true);
        }
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| mark(b.into(), b.into())),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                mark(r.start().into(), r.end().into());
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                mark(r.start().into(), r.end().into());
            }
        }
        HirKind::Repetition(r) => hir_bytes(&r.sub, bytes),
        HirKind::Capture(c) => hir_bytes(&c.sub, bytes),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().for_each(|h| hir_bytes(h, bytes))
        }
    }
}

/// The prefix literals of `hir` if they make a good trigger: a finite set
/// whose every member is rare enough in logs (see [`rare`]). Literals that
/// start with another literal of the set are left out: the shorter one
/// finds them too.
fn prefixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix)
        .limit_class(8)
        .limit_repeat(4)
        .limit_literal_len(8)
        .limit_total(256);
    let seq = ex.extract(hir);
    let mut lits: Vec<&[u8]> = seq.literals()?.iter().map(|l| l.as_bytes()).collect();
    if lits.is_empty() || !lits.iter().all(|l| rare(l)) {
        return None;
    }
    lits.sort_unstable();
    lits.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for l in lits {
        // Sorted, so a literal's shorter prefixes come right before it.
        if !kept.last().is_some_and(|k| l.starts_with(k)) {
            kept.push(l.to_vec());
        }
    }
    Some(kept)
}

/// A literal rare enough in logs to trigger a search: three bytes or more,
/// two with a byte that is not a letter or digit (`sg.`, `+4`), or one of
/// a few rare punctuation bytes (`@`, `+`). Short words and digit pairs
/// (`no`, `20`) occur everywhere.
fn rare(l: &[u8]) -> bool {
    match l.len() {
        0 => false,
        1 => RARE_BYTES.contains(&l[0]),
        2 => !l.iter().all(u8::is_ascii_alphanumeric),
        _ => true,
    }
}

/// `hir` with every ASCII letter in lower case, so that the literals of
/// `(?i)` patterns come out once, for a case-insensitive trigger search.
fn fold_case(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0.to_ascii_lowercase()),
        HirKind::Class(Class::Bytes(c)) => {
            // Each range's part in `A-Z` moves to `a-z`; the rest stays.
            let mut ranges = Vec::with_capacity(c.ranges().len() + 2);
            for r in c.iter() {
                let (start, end) = (r.start(), r.end());
                let (upper_start, upper_end) = (start.max(b'A'), end.min(b'Z'));
                if upper_start <= upper_end {
                    ranges.push(ClassBytesRange::new(upper_start + 32, upper_end + 32));
                }
                if start < b'A' {
                    ranges.push(ClassBytesRange::new(start, end.min(b'A' - 1)));
                }
                if end > b'Z' {
                    ranges.push(ClassBytesRange::new(start.max(b'Z' + 1), end));
                }
            }
            Hir::class(Class::Bytes(ClassBytes::new(ranges)))
        }
        HirKind::Class(c) => Hir::class(c.clone()),
        HirKind::Look(l) => Hir::look(*l),
        HirKind::Repetition(r) => Hir::repetition(hir::Repetition {
            sub: Box::new(fold_case(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(hir::Capture {
            sub: Box::new(fold_case(&c.sub)),
            ..c.clone()
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(fold_case).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(fold_case).collect()),
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use super::*;
    use crate::engine::LoadOptions;
    use crate::matcher::validate::Validator;

    /// The built-in content patterns (keyword rules excepted), plus a few
    /// that exercise each kind of trigger and the union.
    fn patterns() -> Vec<ContentPattern> {
        with_validators().into_iter().map(|(p, _)| p).collect()
    }

    /// [`patterns`] with their validators, and the validators' shapes
    /// handed to the gate.
    fn with_validators() -> Vec<(ContentPattern, Option<Validator>)> {
        let loaded = crate::rules::load(&LoadOptions::default()).expect("built-in rules load");
        loaded
            .iter()
            .filter_map(|r| {
                let pattern = r.spec.pattern.as_ref()?.get_ref().clone();
                let context = r.spec.context.as_ref().map(|w| {
                    let window = r.spec.context_window.as_ref().map_or(48, |w| *w.get_ref());
                    (w.get_ref().clone(), window)
                });
                let validator =
                    r.spec.validator.as_ref().map(|v| {
                        Validator::from_name(v.get_ref()).expect("built-in validators exist")
                    });
                Some((pattern, context, validator))
            })
            .chain([
                (r"\bid=\d{3,}".to_string(), None, None),
                (r"[a-z]{2,8}%[0-9A-F]{2}[a-z]+".to_string(), None, None),
                (
                    r"\d{4}".to_string(),
                    Some((vec!["pin".to_string()], 8)),
                    None,
                ),
                (r"(?i)x{2,}y".to_string(), None, None),
            ])
            .enumerate()
            .map(|(i, (pattern, context, validator))| {
                let p = ContentPattern {
                    rule: i as u32,
                    hir: parse_pattern(&pattern).unwrap(),
                    context,
                    shape: None,
                };
                (p, validator)
            })
            .collect()
    }

    /// Each haystack with the sub-ranges a search may be given: whole, and
    /// cut so that a range edge falls inside words and numbers.
    fn ranges(hay: &[u8]) -> Vec<(usize, usize)> {
        let n = hay.len();
        let mut out = vec![(0, n)];
        for cut in [1, 3, 7, 13] {
            if cut < n {
                out.push((cut, n));
                out.push((0, n - cut));
                out.push((cut / 2, n - cut / 2 - 1));
            }
        }
        out
    }

    /// The literals and the union's gate of the built-in content rules.
    fn joint_parts() -> (ContentMatcher, CompactLiterals, Vec<Hir>) {
        let matcher = ContentMatcher::new(&patterns(), &[]).unwrap();
        let Triggers::Gated(joint) = &matcher.triggers else {
            panic!("the built-in rules have a union to gate");
        };
        let literals = joint.literals().clone();
        let union: Vec<Hir> = patterns()
            .iter()
            .flat_map(|p| {
                let hir = p.hir.clone();
                match hir.kind() {
                    HirKind::Alternation(alts) => alts.clone(),
                    _ => vec![hir],
                }
                .into_iter()
                .filter(|alt| plan(alt, p.context.as_ref()).is_none())
                .collect::<Vec<_>>()
            })
            .collect();
        (matcher, literals, union)
    }

    /// Without shapes the gate opens exactly where the union has a match,
    /// at any range; and the walk with it reports the same literal
    /// occurrences as the literal scan alone.
    #[test]
    fn gate_opens_exactly_where_the_union_matches() {
        let (matcher, literals, union_patterns) = joint_parts();
        let union = matcher.union.as_ref().unwrap();
        let joint = Joint::new(
            literals.clone(),
            Gate::new(&union_patterns, 8 << 20).unwrap(),
        );
        let mut uc = union.create_cache();
        let mut jc = joint.create_cache();
        let (mut open, mut shut) = (0, 0);
        for hay in haystacks() {
            for (from, to) in ranges(&hay) {
                let mut walked = Vec::new();
                let maybe = joint.scan(&mut jc, &hay, from, to, |s, e, id| walked.push((s, e, id)));
                let found = union
                    .search_with(&mut uc, &Input::new(&hay).range(from..to))
                    .is_some();
                assert_eq!(
                    maybe,
                    found,
                    "{:?} {from}..{to}",
                    String::from_utf8_lossy(&hay)
                );
                assert_eq!(walked, scan_alone(&literals, &hay, from, to));
                if found {
                    open += 1;
                } else {
                    shut += 1;
                }
            }
        }
        assert!(open > 1000 && shut > 1000, "{open} open, {shut} shut");
    }

    /// Every literal occurrence in `hay[from..to]`, by the literal scan.
    fn scan_alone(
        literals: &CompactLiterals,
        hay: &[u8],
        from: usize,
        to: usize,
    ) -> Vec<(usize, usize, u32)> {
        let mut alone = Vec::new();
        let _ = literals.scan::<()>(hay, from, to, |s, e, id| {
            alone.push((s, e, id));
            ControlFlow::Continue(())
        });
        alone
    }

    /// A group of records whose first passes run two side by side, each
    /// lane going on with the next record where its last one ended: every
    /// record gets what a first pass over it alone finds, the same trigger
    /// hits, words and gate verdict.
    #[test]
    fn first_pass_in_groups_equals_single_ones() {
        let words: Vec<String> = ["email", "name", "user", "pan", "token", "cycle"]
            .map(String::from)
            .to_vec();
        let matcher = ContentMatcher::new(&patterns(), &words).unwrap();
        let mut cache = matcher.create_cache();
        let single = |cache: &mut ContentCache, hay: &[u8]| {
            let (mut pass, mut words) = (FirstPass::default(), Vec::new());
            matcher.first_pass(cache, hay, 0, hay.len(), &mut pass, Some(&mut words));
            (pass.hits, words, pass.union)
        };
        let hays = haystacks();
        let n = hays.len();
        let (mut hits, mut open) = (0, 0);
        for i in 0..n {
            // Records of other lengths, an empty one, and the first again.
            let group: [&[u8]; 5] = [
                &hays[i],
                &hays[(i + 1) % n],
                b"",
                &hays[(i * 7 + 3) % n],
                &hays[i],
            ];
            let mut passes: [FirstPass; 5] = Default::default();
            let mut words: [Vec<(usize, usize, u32)>; 5] = Default::default();
            let mut each_words = words.iter_mut();
            let out = passes.each_mut().map(|p| (p, each_words.next().unwrap()));
            matcher.first_pass_many(&mut cache, group, out);
            for ((pass, words), hay) in passes.into_iter().zip(words).zip(group) {
                hits += usize::from(!pass.hits.is_empty());
                open += usize::from(pass.union);
                assert_eq!(
                    (pass.hits, words, pass.union),
                    single(&mut cache, hay),
                    "{:?}",
                    String::from_utf8_lossy(hay)
                );
            }
        }
        assert!(hits > 1000 && open > 1000, "{hits} with hits, {open} open");
    }

    /// Walks side by side share one cache, which starts over when it is
    /// full or when the gate's lazy DFA clears its own: the walks' states
    /// must survive that. After the gate's cache was cleared, an open
    /// verdict falls back to "maybe", never to a wrong "no"; otherwise the
    /// verdicts stay exact. Literal occurrences are always exact.
    #[test]
    fn walks_side_by_side_survive_restarts() {
        let (matcher, literals, union_patterns) = joint_parts();
        let union = matcher.union.as_ref().unwrap();
        let mut uc = union.create_cache();
        let hays = haystacks();
        // The smallest gate cache there is: it is cleared all the time.
        let clearing = Joint::new(literals.clone(), Gate::new(&union_patterns, 0).unwrap());
        // A table for 40 pairs: the walks' cache starts over all the time.
        let small = Joint::new(
            literals.clone(),
            Gate::new(&union_patterns, 8 << 20).unwrap(),
        )
        .with_max_pairs(40);
        for (joint, exact) in [(&clearing, false), (&small, true)] {
            let mut jc = joint.create_cache();
            // All records in one group, then some in groups of three.
            let threes = hays.windows(3).step_by(5);
            for group in [&hays[..]].into_iter().chain(threes) {
                let group: Vec<&[u8]> = group.iter().map(|h| &h[..]).collect();
                let mut hits = vec![Vec::new(); group.len()];
                let mut maybe = vec![false; group.len()];
                joint.scan_many(&mut jc, &group, &mut maybe, |i, s, e, id| {
                    hits[i].push((s, e, id))
                });
                for ((hay, maybe), hits) in group.into_iter().zip(maybe).zip(hits) {
                    let found = union.search_with(&mut uc, &Input::new(hay)).is_some();
                    let text = String::from_utf8_lossy(hay);
                    match exact {
                        true => assert_eq!(maybe, found, "{text:?}"),
                        false => assert!(maybe || !found, "{text:?}"),
                    }
                    assert_eq!(hits, scan_alone(&literals, hay, 0, hay.len()));
                }
            }
            assert!(jc.restarts() > 100, "{} restarts", jc.restarts());
        }
    }

    /// With the validators' shapes in the gate, the search keeps exactly
    /// the matches that the validators accept without them.
    #[test]
    fn shapes_keep_every_match_a_validator_accepts() {
        let plain = with_validators();
        let shaped: Vec<ContentPattern> = plain
            .iter()
            .map(|(p, v)| ContentPattern {
                shape: v.and_then(Validator::shape),
                ..p.clone()
            })
            .collect();
        assert!(shaped.iter().any(|p| p.shape.is_some()));
        let validators: Vec<Option<Validator>> = plain.iter().map(|(_, v)| *v).collect();
        let plain: Vec<ContentPattern> = plain.into_iter().map(|(p, _)| p).collect();
        let mut kept = 0;
        let mut runs = [(&plain, Vec::new()), (&shaped, Vec::new())].map(|(patterns, out)| {
            let m = ContentMatcher::new(patterns, &[]).unwrap();
            let c = m.create_cache();
            (m, c, out)
        });
        for hay in haystacks() {
            for (m, cache, out) in runs.iter_mut() {
                out.clear();
                m.search(cache, &hay, 0, hay.len(), None, |r, s, e| {
                    let ok = validators[r as usize].is_none_or(|v| v.check(&hay[s..e]));
                    if ok {
                        out.push((r, s, e));
                    }
                    ok
                });
            }
            assert_eq!(runs[0].2, runs[1].2, "{:?}", String::from_utf8_lossy(&hay));
            kept += runs[0].2.len();
        }
        assert!(kept > 1000, "{kept}");
    }

    fn haystacks() -> Vec<Vec<u8>> {
        let mut hays: Vec<Vec<u8>> = include_str!("../../tests/corpus/labelled.jsonl")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["line"].as_str().unwrap().as_bytes().to_vec()
            })
            .collect();
        for extra in [
            "a@b.cc x@@y.zz ab@cd@ef.com jane.doe@example.com@evil.org",
            "pin 1234 5678 pin: 99999 nip 4444 pin=12345678",
            "XXY xxy xXxY xy id=12 id=1234 xid=999 id=99 id=100",
            "abc%41def q%2Fx zz%ZZyy",
            "https://u:p@h https://a:b@c:d@e ftp://x:y@",
            "ghp_0123456789abcdefghijABCDEFGHIJ012345 ghp_short gho_",
            "",
            "@",
            "+",
        ] {
            hays.push(extra.as_bytes().to_vec());
        }
        hays
    }

    /// A search from the bytes behind a trigger reports the same matches,
    /// in the same order, as the regex searching alone, also where some
    /// are turned down (and the search resumes one byte on).
    #[test]
    fn searches_from_behind_a_trigger_equal_the_regex() {
        let patterns = patterns();
        let behind = ContentMatcher::new(&patterns, &[]).unwrap();
        let (regex, n) = behind.clone().without_behind();
        assert!(n > 0, "no pattern is searched from behind its trigger");
        let mut hays = haystacks();
        for extra in [
            "x@y.co a.b@c.de.fg 1@2.33 -@-.xx .@.aa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
            "\"jane\"@ex.com (ÅSE@FIRMA.DK) øre@x.dk \\u00e6@x.dk %40x.com a%40b.com",
            "a@b@c.com @@x.com a@@b.com e@mail@example.com.",
            "mail=jane@example.com&to=bob@example.org;cc=x@y.z",
        ] {
            hays.push(extra.as_bytes().to_vec());
        }
        let mut caches = [behind.create_cache(), regex.create_cache()];
        for hay in &hays {
            for turn_down in [false, true] {
                let found = [&behind, &regex].map(|m| {
                    let c = &mut caches[usize::from(std::ptr::eq(m, &regex))];
                    let mut found = Vec::new();
                    m.search(c, hay, 0, hay.len(), None, |r, s, e| {
                        found.push((r, s, e));
                        !(turn_down && s % 2 == 0)
                    });
                    found
                });
                assert_eq!(found[0], found[1], "{:?}", String::from_utf8_lossy(hay));
            }
        }
    }

    /// Every match of a pattern searched alone, resuming after each match.
    fn alone(re: &Regex, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at <= hay.len() {
            let Some(m) = re.search(&Input::new(hay).range(at..)) else {
                break;
            };
            out.push((m.start(), m.end()));
            at = m.end().max(m.start() + 1);
        }
        out
    }

    #[test]
    fn triggered_search_finds_what_each_pattern_finds_alone() {
        let patterns = patterns();
        let matcher = ContentMatcher::new(&patterns, &[]).unwrap();
        let (triggered, union) = matcher.split();
        assert!(
            triggered > 20 && union > 5,
            "{triggered} triggered, {union} in the union"
        );
        let mut cache = matcher.create_cache();
        let alone_regexes: Vec<_> = patterns
            .iter()
            .map(|p| {
                let re = Regex::builder().build_from_hir(&p.hir);
                (p, re.unwrap())
            })
            .collect();
        let mut checked = 0;
        for hay in haystacks() {
            let mut found: Vec<(u32, usize, usize)> = Vec::new();
            matcher.search(&mut cache, &hay, 0, hay.len(), None, |r, s, e| {
                found.push((r, s, e));
                true
            });
            // The union is one regex, searched as before; the triggered
            // patterns must each find what they find alone.
            for (p, re) in alone_regexes
                .iter()
                .filter(|(p, _)| !matcher.union_rules.contains(&p.rule))
            {
                // A context rule only counts near its words, and a match
                // outside a trigger's window is not searched.
                let near_context = |s: usize| {
                    p.context.as_ref().is_none_or(|(words, window)| {
                        let lower = hay[s.saturating_sub(*window)..s].to_ascii_lowercase();
                        words.iter().any(|w| {
                            lower
                                .windows(w.len())
                                .any(|x| x == w.to_ascii_lowercase().as_bytes())
                        })
                    })
                };
                for (s, e) in alone(re, &hay) {
                    if !near_context(s) {
                        continue;
                    }
                    checked += 1;
                    assert!(
                        found
                            .iter()
                            .any(|&(r, fs, fe)| r == p.rule && fs <= s && e <= fe),
                        "pattern {} ({}) matches {:?} in {:?} but the search missed it; found {:?}",
                        p.rule,
                        p.hir,
                        String::from_utf8_lossy(&hay[s..e]),
                        String::from_utf8_lossy(&hay),
                        found
                    );
                }
            }
        }
        assert!(checked > 1000, "only {checked} matches checked");
    }

    /// Most built-in patterns are searched anchored at their trigger; the
    /// regex that would answer for a search the lazy DFA could not answer
    /// finds the same matches, at every start of a word of every tenth
    /// labelled line.
    #[test]
    fn anchored_searches_agree_with_their_fallback() {
        let matcher = ContentMatcher::new(&patterns(), &[]).unwrap();
        let anchored: Vec<(&AnchoredDfa, Regex)> = matcher
            .triggered
            .iter()
            .filter_map(|t| match &t.find {
                Find::Anchored(a) => Some((&a.0, Find::fallback_regex(&a.1).unwrap())),
                Find::Behind(_) | Find::Regex(_) => None,
            })
            .collect();
        assert!(anchored.len() > 20, "{} anchored", anchored.len());
        let mut matches = 0;
        for hay in haystacks().iter().step_by(10) {
            let starts = (0..hay.len()).filter(|&i| i == 0 || !hay[i - 1].is_ascii_alphanumeric());
            for at in starts {
                for (dfa, regex) in &anchored {
                    let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
                    let want = regex.search(&input).map(|m| m.end());
                    let got = dfa.end(&mut dfa.create_cache(), hay, at, hay.len());
                    assert_eq!(got, Ok(want), "{regex:?} at {at}");
                    matches += usize::from(want.is_some());
                }
            }
        }
        assert!(matches > 50, "{matches} matches");
    }

    #[test]
    fn hits_inside_longer_hits_keep_earlier_matches() {
        // `c-d` is found (it ends) before `abc-def`, which starts earlier.
        let patterns = [ContentPattern {
            rule: 0,
            hir: parse_pattern(r"(?:abc-def|c-d)[0-9]*").unwrap(),
            context: None,
            shape: None,
        }];
        let matcher = ContentMatcher::new(&patterns, &[]).unwrap();
        assert_eq!(matcher.split(), (1, 0));
        let mut cache = matcher.create_cache();
        let mut found = Vec::new();
        let hay = b"x abc-def1 c-d2";
        matcher.search(&mut cache, hay, 0, hay.len(), None, |_, s, e| {
            found.push((s, e));
            true
        });
        assert_eq!(found, [(2, 10), (11, 15)]);
    }

    /// A folded class holds exactly the lower case of every byte of the
    /// class it came from.
    #[test]
    fn folded_classes_hold_the_lower_case_of_every_byte() {
        let bytes_of = |hir: &Hir| -> Vec<u8> {
            let HirKind::Class(Class::Bytes(c)) = hir.kind() else {
                panic!("not a byte class: {hir:?}");
            };
            c.iter().flat_map(|r| r.start()..=r.end()).collect()
        };
        for class in [
            "[A-Z]",
            "[a-z]",
            "[0-9A-F]",
            "[@-`]",
            "[^a-z]",
            "[^A-Z]",
            "[AZ]",
            "[Z-a]",
            "[\\x00-\\xff]",
            "[ -Z]",
            "[B-Y_]",
            "[A-Za-z0-9+/=]",
            "[^\\s&]",
            "[\\[-\\x7f]",
        ] {
            let hir = parse_pattern(class).unwrap();
            let mut want: Vec<u8> = bytes_of(&hir).iter().map(u8::to_ascii_lowercase).collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(bytes_of(&fold_case(&hir)), want, "{class}");
        }
    }

    #[test]
    fn plans_pick_rare_literals() {
        let plan_of = |p: &str| {
            let hir = parse_pattern(p).unwrap();
            plan(&hir, None).map(|p| (p.literals, p.lookback))
        };
        assert_eq!(
            plan_of(r"\bAKIA[A-Z0-9]{16}"),
            Some((vec![b"akia".to_vec()], 0))
        );
        assert_eq!(
            plan_of(r"[a-z0-9.]{1,64}@[a-z]+"),
            Some((vec![b"@".to_vec()], 64))
        );
        // Short words and digit pairs occur everywhere: no trigger.
        assert_eq!(plan_of(r"\b(?:19|20)\d{6}"), None);
        assert_eq!(plan_of(r"(?i)\bno\d{2}"), None);
        // An unbounded run before the literal: no trigger.
        assert_eq!(plan_of(r"[a-z]+@x"), None);
        // Literals found by a shorter one are left out.
        assert_eq!(
            plan_of(r"(?i)\b(?:tel|telefon)\b"),
            Some((vec![b"tel".to_vec()], 0))
        );
    }
}
