//! The first pass's automaton: the trigger literals ([`Literals`]) and the
//! content gate ([`Gate`]) stepped as one DFA.
//!
//! The first pass walks nearly every byte of every record through both
//! automata. Stepped side by side, two table lookups a byte cost about 20
//! instructions a byte on the mixed corpus, two fifths of a whole run. A
//! pair of states (the literals' state, the gate's state) has one successor
//! per byte, so the pairs form a DFA of their own, and its walk is one
//! lookup a byte, about 10 instructions. Most pairs are never met: logs
//! visit a few thousand of them (about 2,300 in 30 MB of the mixed corpus,
//! as many on LogHub). So each thread builds the pairs its walks meet, as
//! they meet them, the way a lazy DFA builds its states ([`JointCache`]).
//!
//! Once the gate has its answer (a match: "maybe"; its dead state:
//! "never"), the pair keeps the answer and the gate is not stepped again:
//! the walk goes on for the literals alone, at the same cost.
//!
//! Each lookup waits for the one before it, so one walk is bound by the
//! latency of a load, not by the processor's width. [`Joint::scan_many`]
//! walks four records at once, and finds each byte's column by one load
//! from a list taken before the walks start ([`Refs`]): about 8
//! instructions a byte, and the lookups of the four walks overlap.

use std::cell::Cell;
use std::collections::HashMap;

use aho_corasick::automaton::StateID;
use regex_automata::hybrid::dfa::Cache as GateCache;

use super::gate::{Gate, Gated};
use super::literals::CompactLiterals;

/// The trigger literals and the gate, walked as one automaton.
#[derive(Debug, Clone)]
pub struct Joint {
    literals: CompactLiterals,
    gate: Gate,
    /// Byte -> where its class's column starts in [`JointCache::table`]
    /// (the bytes of a class move both automata alike).
    columns: [u32; 256],
    /// How many columns (classes) there are...
    width: usize,
    /// ...and entries per column: one per pair a cache can hold.
    rows: usize,
    /// Most pairs a cache holds before it starts over.
    max_pairs: usize,
}

/// The pairs one thread has met, and their transitions.
pub struct JointCache {
    /// A column of [`Joint::rows`] entries per class. A state is the index
    /// of its pair in [`Known::pairs`], and its entry for a byte lies at
    /// that index in the byte's column: the next state, tagged [`MATCH`]
    /// when a literal ends there, or [`UNKNOWN`]. States are numbered in
    /// the order walks meet them, so the common ones share the first cache
    /// lines of each column. The size is fixed, so that the walks index it
    /// without bounds checks; the memory of entries never used is never
    /// touched. Entries are cells: walks read the table through columns
    /// taken before they start, while new entries are filled in.
    table: Box<Table>,
    known: Known,
}

/// What a [`JointCache`] knows besides its table.
struct Known {
    gate: GateCache,
    /// The gate cache's clear count that the pairs' gate states belong to.
    gate_clears: usize,
    pairs: Vec<Pair>,
    /// Per pair, the literals that end where a walk enters it: a range of
    /// `ends`. (The literal automaton keeps them a few loads further away;
    /// a walk reports about three a record.)
    reports: Vec<(u32, u32)>,
    /// `(literal, length)` of every pair's literals, one pair after another.
    ends: Vec<(u32, u32)>,
    index: HashMap<Pair, u32>,
    /// States that walks started in, by the gate's start state...
    starts: Vec<(Gated, u32)>,
    /// ...and the one for walks from the start of a haystack (one gate
    /// start state, as nothing comes before), which is nearly all of them.
    first: Option<u32>,
    /// How often the cache started over.
    restarts: usize,
}

/// A state of the joint walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Pair {
    literal: StateID,
    gate: Gated,
}

/// Tag of an entry whose state is a literal match.
const MATCH: u32 = 1 << 14;
/// An entry not computed yet.
const UNKNOWN: u32 = 1 << 15;
/// The state's bits of an entry.
const STATE: u32 = MATCH - 1;
/// Marks a lane with no walk in a list of pinned states.
const IDLE: u32 = u32::MAX;

/// How many transitions a cache holds (2 MiB): at most [`STATE`] pairs, and
/// fewer where there are many classes.
const TABLE_LEN: usize = 1 << 20;

/// Entries a walk may index from a column's start: every state a 16-bit
/// entry can name.
const REACH: usize = 1 << 16;

/// The transitions of a [`JointCache`], and room past the last column so
/// that every column's start has [`REACH`] entries after it (never used:
/// states stay below [`Joint::rows`]).
type Table = [Cell<u16>; TABLE_LEN + REACH];

/// One class's entries, indexed by state.
type Column = [Cell<u16>; REACH];

impl Joint {
    pub fn new(literals: CompactLiterals, gate: Gate) -> Joint {
        let mut classes = [0usize; 256];
        let mut keys: Vec<(u16, u8)> = Vec::new();
        for byte in 0..=255u8 {
            let key = (literals.byte_key(byte), gate.class(byte));
            let class = match keys.iter().position(|k| *k == key) {
                Some(c) => c,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            };
            classes[usize::from(byte)] = class;
        }
        let rows = (TABLE_LEN / keys.len()).min(STATE as usize);
        // At most 256 columns of TABLE_LEN / 256 entries or more.
        let columns = classes.map(|class| (class * rows) as u32);
        Joint {
            literals,
            gate,
            columns,
            width: keys.len(),
            rows,
            max_pairs: rows,
        }
    }

    /// The literal set alone.
    #[cfg(test)]
    pub(super) fn literals(&self) -> &CompactLiterals {
        &self.literals
    }

    /// This automaton with room for at most `n` pairs per cache.
    #[cfg(test)]
    pub(super) fn with_max_pairs(self, n: usize) -> Joint {
        Joint {
            max_pairs: n,
            ..self
        }
    }

    pub fn create_cache(&self) -> JointCache {
        JointCache {
            table: vec![Cell::new(0); TABLE_LEN + REACH]
                .into_boxed_slice()
                .try_into()
                .expect("the table has TABLE_LEN + REACH entries"),
            known: Known {
                gate: self.gate.create_cache(),
                gate_clears: 0,
                pairs: Vec::new(),
                reports: Vec::new(),
                ends: Vec::new(),
                index: HashMap::new(),
                starts: Vec::new(),
                first: None,
                restarts: 0,
            },
        }
    }

    /// Calls `f(start, end, id)` for every literal occurrence in
    /// `hay[from..to]` (as [`Literals::scan`] does) and returns whether the
    /// gate's patterns may match there. (The byte after `to`, if any,
    /// decides the gate's last look-around.)
    pub fn scan(
        &self,
        cache: &mut JointCache,
        hay: &[u8],
        from: usize,
        to: usize,
        mut f: impl FnMut(usize, usize, u32),
    ) -> bool {
        let JointCache { table, known } = cache;
        // One walk does not repay taking all columns beforehand.
        let columns = Offsets {
            table,
            starts: &self.columns,
        };
        let mut pin = [IDLE];
        pin[0] = self.start(table, known, hay, from, to, &mut pin);
        let mut found = Found::default();
        let mut at = from;
        while at < to {
            found.len = 0;
            let (state, n) = walk(&columns, [&hay[at..to]], pin, &mut found);
            pin = state;
            for &(_, end, state) in &found.hits[..found.len] {
                self.report(known, state, at + end, &mut f);
            }
            at += n;
            if at < to {
                at += 1;
                self.take(table, known, &mut pin, 0, hay[at - 1], at, &mut f);
            }
        }
        self.finish(table, known, pin[0], hay, to, &mut [])
    }

    /// [`Joint::scan`] over many whole haystacks, [`LANES`] at a time.
    /// The walks do not wait for each other, so the processor overlaps
    /// their table lookups. When a haystack ends, its lane goes on with the
    /// next one, so the lanes stay side by side whatever the haystacks'
    /// lengths. `f(i, start, end, id)` gets the occurrences in `hays[i]`,
    /// and `maybe[i]` the gate's verdict.
    pub fn scan_many(
        &self,
        cache: &mut JointCache,
        hays: &[&[u8]],
        maybe: &mut [bool],
        mut f: impl FnMut(usize, usize, usize, u32),
    ) {
        let JointCache { table, known } = cache;
        let columns = Refs::new(table, &self.columns);
        let mut queue = 0..hays.len();
        let mut lanes = Lanes {
            at: [None; LANES],
            states: [IDLE; LANES],
            found: Found::default(),
        };
        loop {
            for k in 0..LANES {
                if lanes.at[k].is_some() {
                    continue;
                }
                if let Some(i) = queue.next() {
                    let hay = hays[i];
                    lanes.states[k] =
                        self.start(table, known, hay, 0, hay.len(), &mut lanes.states);
                    lanes.at[k] = Some((i, 0));
                }
            }
            let mut live = [0; LANES];
            let mut m = 0;
            for k in 0..LANES {
                if lanes.at[k].is_some() {
                    live[m] = k;
                    m += 1;
                }
            }
            let walked = Walked {
                table,
                known: &mut *known,
                hays,
                lanes: &mut lanes,
            };
            match m {
                0 => return,
                1 => self.advance([live[0]], &columns, walked, &mut f),
                2 => self.advance([live[0], live[1]], &columns, walked, &mut f),
                3 => self.advance([live[0], live[1], live[2]], &columns, walked, &mut f),
                _ => self.advance(live, &columns, walked, &mut f),
            }
            // A lane whose haystack ended gives its verdict.
            for k in 0..LANES {
                let Some((i, at)) = lanes.at[k] else { continue };
                if at < hays[i].len() {
                    continue;
                }
                let state = std::mem::replace(&mut lanes.states[k], IDLE);
                maybe[i] = self.finish(table, known, state, hays[i], at, &mut lanes.states);
                lanes.at[k] = None;
            }
        }
    }

    /// Walks lanes `ids` side by side, up to the end of the shortest
    /// haystack left or a byte that stops the walk (taken here).
    fn advance<const L: usize>(
        &self,
        ids: [usize; L],
        columns: &Refs<'_>,
        walked: Walked<'_, '_>,
        f: &mut impl FnMut(usize, usize, usize, u32),
    ) {
        let Walked {
            table,
            known,
            hays,
            lanes,
        } = walked;
        // Plain loops rather than `array::map`: this runs once per stretch
        // walked, and a map the compiler does not inline costs a call each.
        let mut at = [(0, 0); L];
        let mut states = [IDLE; L];
        for j in 0..L {
            at[j] = lanes.at[ids[j]].expect("only walking lanes advance");
            states[j] = lanes.states[ids[j]];
        }
        let n = at
            .iter()
            .map(|&(i, a)| hays[i].len() - a)
            .min()
            .unwrap_or(0);
        let mut bytes: [&[u8]; L] = [&[]; L];
        for (b, &(i, a)) in bytes.iter_mut().zip(&at) {
            *b = &hays[i][a..a + n];
        }
        let found = &mut lanes.found;
        found.len = 0;
        let (states, k) = walk(columns, bytes, states, found);
        for (j, &lane) in ids.iter().enumerate() {
            lanes.states[lane] = states[j];
        }
        for &(j, end, state) in &found.hits[..found.len] {
            let (i, a) = at[usize::from(j)];
            self.report(known, state, a + end, &mut |s, e, id| f(i, s, e, id));
        }
        let mut step = n;
        if k < n {
            // Byte `k` stopped the walk: each lane takes it here.
            for (&lane, (i, a)) in ids.iter().zip(at) {
                let (byte, end) = (hays[i][a + k], a + k + 1);
                self.take(
                    table,
                    known,
                    &mut lanes.states,
                    lane,
                    byte,
                    end,
                    &mut |s, e, id| f(i, s, e, id),
                );
            }
            step = k + 1;
        }
        for (&lane, (i, a)) in ids.iter().zip(at) {
            lanes.at[lane] = Some((i, a + step));
        }
    }

    /// Takes `byte`, before which a walk's fast loop stopped, in the walk
    /// whose state is `pins[k]`; a literal match there ends at `end`.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &self,
        table: &Table,
        known: &mut Known,
        pins: &mut [u32],
        k: usize,
        byte: u8,
        end: usize,
        f: &mut impl FnMut(usize, usize, u32),
    ) {
        let entry = self.next(table, known, pins[k], byte, pins);
        pins[k] = entry & STATE;
        if entry & MATCH != 0 {
            self.report(known, entry & STATE, end, f);
        }
    }

    /// Reports the literal occurrences ending at `end`, where a walk
    /// entered `state`.
    fn report(&self, known: &Known, state: u32, end: usize, f: &mut impl FnMut(usize, usize, u32)) {
        let (from, to) = known.reports[state as usize];
        for &(id, len) in &known.ends[from as usize..to as usize] {
            f(end - len as usize, end, id);
        }
    }

    /// The state a walk of `hay[from..to]` starts in.
    fn start(
        &self,
        table: &Table,
        known: &mut Known,
        hay: &[u8],
        from: usize,
        to: usize,
        pins: &mut [u32],
    ) -> u32 {
        if let (0, Some(state)) = (from, known.first) {
            return state;
        }
        let gate = self.gate.start(&mut known.gate, hay, from, to);
        self.after_gate(table, known, pins);
        let state = match known.starts.iter().find(|(g, _)| *g == gate) {
            Some(&(_, state)) => state,
            None => {
                let literal = self.literals.start();
                let state = self.state(table, known, Pair { literal, gate }, pins);
                known.starts.push((gate, state));
                state
            }
        };
        if from == 0 {
            known.first = Some(state);
        }
        state
    }

    /// The entry for `byte` from `state`, computed if not known yet.
    fn next(
        &self,
        table: &Table,
        known: &mut Known,
        state: u32,
        byte: u8,
        pins: &mut [u32],
    ) -> u32 {
        let columns = Offsets {
            table,
            starts: &self.columns,
        };
        let cell = &columns.column(byte)[state as usize];
        let entry = u32::from(cell.get());
        if entry != UNKNOWN {
            return entry;
        }
        let pair = known.pairs[state as usize];
        let literal = self.literals.next(pair.literal, byte);
        let gate = match pair.gate {
            Gated::Open(g) => self.gate.step(&mut known.gate, g, byte),
            answer => answer,
        };
        let restarts = known.restarts;
        self.after_gate(table, known, pins);
        let next = self.state(table, known, Pair { literal, gate }, pins);
        let entry = next
            | if self.literals.is_match(literal) {
                MATCH
            } else {
                0
            };
        // After a restart, `state` is gone (and its entry with it).
        if known.restarts == restarts {
            cell.set(entry as u16);
        }
        entry
    }

    /// The gate's verdict for a walk that ends in `state` at `hay[to]`.
    fn finish(
        &self,
        table: &Table,
        known: &mut Known,
        state: u32,
        hay: &[u8],
        to: usize,
        pins: &mut [u32],
    ) -> bool {
        let pair = known.pairs[state as usize];
        let maybe = self.gate.finish(&mut known.gate, pair.gate, hay, to);
        self.after_gate(table, known, pins);
        maybe
    }

    /// Starts over if the gate's last step cleared its cache: the pairs'
    /// gate states are gone then.
    fn after_gate(&self, table: &Table, known: &mut Known, pins: &mut [u32]) {
        let clears = Gate::clears(&known.gate);
        if clears != known.gate_clears {
            known.gate_clears = clears;
            self.restart(table, known, pins, true);
        }
    }

    /// The state of `pair`, built if new.
    fn state(&self, table: &Table, known: &mut Known, pair: Pair, pins: &mut [u32]) -> u32 {
        if let Some(&state) = known.index.get(&pair) {
            return state;
        }
        if known.pairs.len() >= self.max_pairs {
            self.restart(table, known, pins, false);
        }
        let state = known.pairs.len();
        for column in 0..self.width {
            table[column * self.rows + state].set(UNKNOWN as u16);
        }
        known.pairs.push(pair);
        let from = known.ends.len() as u32;
        let ends = self.literals.matches(pair.literal);
        known.ends.extend(ends.map(|(id, len)| (id, len as u32)));
        known.reports.push((from, known.ends.len() as u32));
        known.index.insert(pair, state as u32);
        state as u32
    }

    /// Drops every pair but the ones `pins` hold (not [`IDLE`]), which get
    /// new states. After the gate's cache was cleared, their gate states
    /// are gone too: a walk still open says "maybe", which costs a union
    /// search and never misses a match.
    fn restart(&self, table: &Table, known: &mut Known, pins: &mut [u32], gate_cleared: bool) {
        debug_assert!(
            pins.len() <= LANES,
            "a walk pins at most one state per lane"
        );
        let mut kept = [None; LANES];
        for (keep, &pin) in kept.iter_mut().zip(pins.iter()) {
            *keep = (pin != IDLE).then(|| known.pairs[pin as usize]);
        }
        known.pairs.clear();
        known.reports.clear();
        known.ends.clear();
        known.index.clear();
        known.starts.clear();
        known.first = None;
        known.restarts += 1;
        for (pin, keep) in pins.iter_mut().zip(kept) {
            let Some(mut pair) = keep else { continue };
            if gate_cleared && matches!(pair.gate, Gated::Open(_)) {
                pair.gate = Gated::Maybe;
            }
            *pin = self.state(table, known, pair, &mut []);
        }
    }
}

impl JointCache {
    /// How often this cache started over.
    #[cfg(test)]
    pub(super) fn restarts(&self) -> usize {
        self.known.restarts
    }
}

/// Walks `L` haystacks of equal length side by side from `states`, for as
/// long as every entry is known and `found` has room; the literal matches
/// passed are noted in `found`. Returns the states before the byte
/// position that stopped the walk and that position, or the states at the
/// end and the length.
#[inline(never)]
fn walk<const L: usize>(
    columns: &impl Columns,
    hays: [&[u8]; L],
    states: [u32; L],
    found: &mut Found,
) -> ([u32; L], usize) {
    let n = hays.iter().map(|h| h.len()).min().unwrap_or(0);
    let hays = hays.map(|h| &h[..n]);
    // Entries are 16 bits, and so the states: indexing a column by one
    // needs no bounds check.
    let mut s = states.map(|s| usize::from(s as u16));
    let mut at = 0;
    while at < n {
        let e: [usize; L] =
            std::array::from_fn(|j| usize::from(columns.of(hays[j][at])[s[j]].get()));
        let any = e.iter().fold(0, |any, &e| any | e);
        if any < MATCH as usize {
            s = e;
        } else {
            if any >= UNKNOWN as usize || found.len + L > FOUND {
                break;
            }
            for (j, &e) in e.iter().enumerate() {
                if e >= MATCH as usize {
                    found.hits[found.len] = (j as u8, at + 1, e as u32 & STATE);
                    found.len += 1;
                }
            }
            s = e.map(|e| e & STATE as usize);
        }
        at += 1;
    }
    (s.map(|s| s as u32), at)
}

/// Where a walk finds the column of a byte's class: the entries of every
/// state for it. A walk indexes the column by state, so the next lookup
/// waits only on the last one (a state added to the column's start would
/// put an addition on that path).
trait Columns {
    fn of(&self, byte: u8) -> &Column;
}

/// Columns found by their offsets in the table: a mask and an addition a
/// byte, and nothing to set up. (The mask never changes a column's start:
/// it only tells the compiler that the column is in bounds.)
struct Offsets<'t> {
    table: &'t Table,
    starts: &'t [u32; 256],
}

impl<'t> Offsets<'t> {
    #[inline(always)]
    fn column(&self, byte: u8) -> &'t Column {
        let start = self.starts[usize::from(byte)] as usize & (TABLE_LEN - 1);
        self.table[start..start + REACH]
            .try_into()
            .expect("a column has REACH entries")
    }
}

impl Columns for Offsets<'_> {
    #[inline(always)]
    fn of(&self, byte: u8) -> &Column {
        self.column(byte)
    }
}

/// Every byte's column, taken beforehand: a byte's column is one load.
/// Worth it for the many walks of [`Joint::scan_many`].
struct Refs<'t>([&'t Column; 256]);

impl<'t> Refs<'t> {
    fn new(table: &'t Table, starts: &'t [u32; 256]) -> Refs<'t> {
        let offsets = Offsets { table, starts };
        Refs(std::array::from_fn(|byte| offsets.column(byte as u8)))
    }
}

impl Columns for Refs<'_> {
    #[inline(always)]
    fn of(&self, byte: u8) -> &Column {
        self.0[usize::from(byte)]
    }
}

/// How many haystacks [`Joint::scan_many`] walks side by side. Two leave
/// the processor waiting on their lookups; four fill it (on the mixed
/// corpus, about 7% faster end to end than two).
const LANES: usize = 4;

/// What [`Joint::advance`] works on besides the columns.
struct Walked<'a, 'h> {
    table: &'a Table,
    known: &'a mut Known,
    hays: &'a [&'h [u8]],
    lanes: &'a mut Lanes,
}

/// The walks of [`Joint::scan_many`]: per lane, the haystack and the
/// position of its next byte, and the state (pinned through the cache's
/// restarts); and the literal matches of the last walk.
struct Lanes {
    at: [Option<(usize, usize)>; LANES],
    states: [u32; LANES],
    found: Found,
}

/// How many literal matches a walk notes before it stops.
const FOUND: usize = 16;

/// The literal matches a walk passed: `(lane, end, state)`, the end
/// relative to the lane's bytes, in order of end.
struct Found {
    hits: [(u8, usize, u32); FOUND],
    len: usize,
}

impl Default for Found {
    fn default() -> Found {
        Found {
            hits: [(0, 0, 0); FOUND],
            len: 0,
        }
    }
}
