//! Whether the content union can match a record at all.
//!
//! The union (the patterns with no trigger literal, see
//! [`super::ContentMatcher`]) is searched with a leftmost-first regex, one
//! dependent table lookup per byte. Most records hold no union match, so
//! the gate answers first: a lazy DFA of the same patterns that only asks
//! "is there any match", stepped in the same walk as the trigger literals
//! ([`super::joint`]). The union's own search runs only where the gate saw
//! a match.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::{Input, MatchKind};
use regex_syntax::hir::Hir;

/// A lazy DFA over the union's patterns that reports whether any matches.
#[derive(Debug, Clone)]
pub struct Gate {
    dfa: DFA,
}

/// Where the gate stands during a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Gated {
    /// Still walking; the state is never tagged.
    Open(LazyStateID),
    /// A pattern may match (a match state was seen, or the lazy DFA gave up).
    Maybe,
    /// No pattern can match in the rest of the range.
    Never,
}

impl Gate {
    /// How often `cache` was cleared so far. A clear drops every state of
    /// the lazy DFA, so walks holding one must learn of it.
    pub(super) fn clears(cache: &Cache) -> usize {
        cache.clear_count()
    }

    /// Compiles the union's `patterns` with a lazy DFA cache of at most
    /// `cache_bytes` per thread (or the least the patterns need, if more).
    pub fn new(patterns: &[Hir], cache_bytes: usize) -> Result<Gate, String> {
        let nfa = super::compile_nfa(patterns)?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .specialize_start_states(false)
                    .cache_capacity(cache_bytes)
                    // A rule set too large for that capacity gets the
                    // smallest cache that works rather than an error.
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        Ok(Gate { dfa })
    }

    pub fn create_cache(&self) -> Cache {
        self.dfa.create_cache()
    }

    /// The state before the first byte of `hay[from..to]` (the byte before
    /// `from` decides look-behind such as `\b`).
    pub(super) fn start(&self, cache: &mut Cache, hay: &[u8], from: usize, to: usize) -> Gated {
        match self
            .dfa
            .start_state_forward(cache, &Input::new(hay).range(from..to))
        {
            Ok(sid) => self.settle(sid),
            Err(_) => Gated::Maybe,
        }
    }

    /// Where a walk stands after `byte`, from state `prev`.
    pub(super) fn step(&self, cache: &mut Cache, prev: LazyStateID, byte: u8) -> Gated {
        match self.dfa.next_state(cache, prev, byte) {
            Ok(sid) => self.settle(sid),
            Err(_) => Gated::Maybe,
        }
    }

    /// The verdict at the end of the range: matches show one byte late, so
    /// the byte after the range (or the end of the haystack) decides the
    /// last ones, as in the union's own search.
    pub(super) fn finish(&self, cache: &mut Cache, g: Gated, hay: &[u8], to: usize) -> bool {
        let Gated::Open(sid) = g else {
            return g == Gated::Maybe;
        };
        let last = match hay.get(to) {
            Some(&b) => self.dfa.next_state(cache, sid, b),
            None => self.dfa.next_eoi_state(cache, sid),
        };
        last.map_or(true, |sid| sid.is_match())
    }

    /// The class of `byte`: bytes of one class move the gate alike.
    pub(super) fn class(&self, byte: u8) -> u8 {
        self.dfa.byte_classes().get(byte)
    }

    fn settle(&self, sid: LazyStateID) -> Gated {
        if !sid.is_tagged() {
            Gated::Open(sid)
        } else if sid.is_dead() {
            Gated::Never
        } else {
            // A match, a quit byte (none in byte-oriented patterns), or a
            // tag this walk does not know.
            Gated::Maybe
        }
    }
}
