//! Whether the content union can match a record at all.
//!
//! The union (the patterns with no trigger literal, see
//! [`super::ContentMatcher`]) is searched with a leftmost-first regex, one
//! dependent table lookup per byte. Most records hold no union match, so
//! the gate answers first: a lazy DFA of the same patterns that only asks
//! "is there any match", stepped byte by byte in the same loop as the
//! trigger literal scan ([`super::literals::Literals::scan_gated`]). The
//! two automata do not wait for each other, so the processor runs both
//! walks side by side in about the time of one, and the union's own search
//! runs only where the gate saw a match.

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Gated {
    /// Still walking; the state is never tagged.
    Open(LazyStateID),
    /// A pattern may match (a match state was seen, or the lazy DFA gave up).
    Maybe,
    /// No pattern can match in the rest of the range.
    Never,
}

impl Gated {
    /// This verdict, held outside the walk that made it while the cache
    /// went from `clears` clears (see [`Gate::clears`]) to its count now. A
    /// clear drops every state of the lazy DFA, so an open walk cannot go
    /// on: the answer becomes `Maybe`, and the union's own search decides.
    pub(super) fn held(self, cache: &Cache, clears: usize) -> Gated {
        match self {
            Gated::Open(_) if cache.clear_count() != clears => Gated::Maybe,
            g => g,
        }
    }
}

impl Gate {
    /// How often `cache` was cleared so far, for [`Gated::held`]: one
    /// cache serves two walks at once in
    /// [`super::literals::Literals::scan_gated_many`].
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

    /// Where a walk stands after `byte`, given its state before the byte
    /// (`prev`) and what [`Gate::next_untagged`] answered (`next`): a
    /// tagged answer (a match, a transition not yet computed, ...) is
    /// worked out in full.
    pub(super) fn resume(
        &self,
        cache: &mut Cache,
        prev: LazyStateID,
        next: LazyStateID,
        byte: u8,
    ) -> Gated {
        match next.is_tagged() {
            true => self.step(cache, prev, byte),
            false => Gated::Open(next),
        }
    }

    /// The state after `byte`, from `prev`; for a walk that met a tagged
    /// state (a match, an unknown transition, ...).
    fn step(&self, cache: &mut Cache, prev: LazyStateID, byte: u8) -> Gated {
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

    /// The untagged step of the walk's inner loop.
    #[inline(always)]
    pub(super) fn next_untagged(&self, cache: &Cache, sid: LazyStateID, byte: u8) -> LazyStateID {
        self.dfa.next_state_untagged(cache, sid, byte)
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
