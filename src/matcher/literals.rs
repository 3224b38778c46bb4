//! Every occurrence of a set of short literals, ASCII case-insensitively.
//!
//! The first pass over every record: [`super::ContentMatcher`] finds the
//! trigger literals of content patterns and the words of key names
//! ([`super::KeyHint`]) in one scan (the hint scans on its own only when
//! there are no content rules). Where the content rules have a gate, the
//! literals' automaton is walked as one with it ([`super::joint`]).
//! Every occurrence counts, overlaps included, and nearly every byte is
//! scanned, so the scan is a plain loop over an Aho-Corasick DFA with its
//! position and state in registers. (The crate's own overlapping iterator
//! keeps them in a state struct in memory and costs about three times as
//! many instructions per byte.) The joint walk keeps its own table of
//! transitions and asks the literals' automaton only for ones it has not
//! seen yet, so it takes a contiguous NFA ([`Literals::compact`]), built
//! in a fifth of a DFA's time (the DFA was a fifth of start-up).

use std::ops::ControlFlow;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind};

/// A compiled literal set, scanned with the automaton `A`.
#[derive(Debug, Clone)]
pub struct Literals<A = DFA> {
    automaton: A,
    /// The state every scan starts in.
    start: StateID,
    /// Bytes that occur in some literal, in either ASCII case.
    used: [bool; 256],
}

/// Literals on a contiguous NFA: see [`Literals::compact`].
pub type CompactLiterals = Literals<contiguous::NFA>;

impl Literals {
    /// Compiles `literals` to a DFA, for scans that walk it byte by byte;
    /// ids passed to [`Literals::scan`]'s callback are indexes into this
    /// slice.
    pub fn new<L: AsRef<[u8]>>(literals: &[L]) -> Result<Literals, String> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(literals)
            .map_err(|e| e.to_string())?;
        Literals::with(dfa, literals)
    }
}

impl CompactLiterals {
    /// Compiles `literals` to a contiguous NFA: slower per byte than
    /// [`Literals::new`]'s DFA, much faster to build, for a caller that
    /// remembers the transitions it takes.
    pub fn compact<L: AsRef<[u8]>>(literals: &[L]) -> Result<Self, String> {
        let nfa = contiguous::NFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(literals)
            .map_err(|e| e.to_string())?;
        Literals::with(nfa, literals)
    }
}

impl<A: Automaton> Literals<A> {
    fn with<L: AsRef<[u8]>>(automaton: A, literals: &[L]) -> Result<Self, String> {
        let start = automaton
            .start_state(Anchored::No)
            .map_err(|e| e.to_string())?;
        let mut used = [false; 256];
        for &b in literals.iter().flat_map(|l| l.as_ref()) {
            used[usize::from(b.to_ascii_lowercase())] = true;
            used[usize::from(b.to_ascii_uppercase())] = true;
        }
        Ok(Literals {
            automaton,
            start,
            used,
        })
    }

    /// Which bytes the automaton can tell apart: two bytes with the same
    /// key move it from every state to the same state (a byte in no
    /// literal leads back to the start).
    pub(super) fn byte_key(&self, byte: u8) -> u16 {
        match self.used[usize::from(byte)] {
            true => u16::from(byte.to_ascii_lowercase()),
            false => 256,
        }
    }

    /// The state every scan starts in.
    pub(super) fn start(&self) -> StateID {
        self.start
    }

    /// The state after `byte` from `sid`.
    pub(super) fn next(&self, sid: StateID, byte: u8) -> StateID {
        self.automaton.next_state(Anchored::No, sid, byte)
    }

    /// Whether some literal ends where the walk entered `sid`.
    pub(super) fn is_match(&self, sid: StateID) -> bool {
        self.automaton.is_match(sid)
    }

    /// Calls `f(start, end, id)` for every occurrence of a literal that
    /// lies in `hay[from..to]`, in order of its end (and, for one end, in
    /// an unspecified order); stops early when `f` breaks.
    pub fn scan<B>(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        mut f: impl FnMut(usize, usize, u32) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        self.scan_from(self.start, hay, from, to, &mut f)
    }

    /// The scan from state `sid` at `hay[at]`.
    fn scan_from<B>(
        &self,
        mut sid: StateID,
        hay: &[u8],
        mut at: usize,
        to: usize,
        f: &mut impl FnMut(usize, usize, u32) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        while at < to {
            (sid, at) = walk(&self.automaton, sid, &hay[..to], at);
            if at == to {
                break;
            }
            at += 1;
            self.report(sid, at, f)?;
        }
        ControlFlow::Continue(())
    }

    /// Reports the occurrences that end at `end`, where the walk entered
    /// `sid`.
    pub(super) fn report<B>(
        &self,
        sid: StateID,
        end: usize,
        f: &mut impl FnMut(usize, usize, u32) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        for (id, len) in self.matches(sid) {
            f(end - len, end, id)?;
        }
        ControlFlow::Continue(())
    }

    /// The literals that end where a walk entered `sid`, as `(id, length)`.
    pub(super) fn matches(&self, sid: StateID) -> impl Iterator<Item = (u32, usize)> + '_ {
        let a = &self.automaton;
        let n = if a.is_match(sid) { a.match_len(sid) } else { 0 };
        (0..n).map(move |i| {
            let id = a.match_pattern(sid, i);
            (id.as_u32(), a.pattern_len(id))
        })
    }
}

/// `f` as a callback of [`Literals::scan`] that never stops the scan.
pub(super) fn never_breaks(
    mut f: impl FnMut(usize, usize, u32),
) -> impl FnMut(usize, usize, u32) -> ControlFlow<()> {
    move |s, e, id| {
        f(s, e, id);
        ControlFlow::Continue(())
    }
}

/// Follows transitions from `sid` over `hay[at..]` until a special state
/// (a match: unanchored, with every match reported, no other is entered)
/// is entered; returns that state and the position of the byte that
/// entered it, or the state at the end and `hay.len()`. Kept apart from
/// the callback so that the loop stays in registers.
#[inline(never)]
fn walk<A: Automaton>(a: &A, mut sid: StateID, hay: &[u8], mut at: usize) -> (StateID, usize) {
    while at < hay.len() {
        sid = a.next_state(Anchored::No, sid, hay[at]);
        if a.is_special(sid) {
            return (sid, at);
        }
        at += 1;
    }
    (sid, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(lits: &[&str], hay: &str) -> Vec<(usize, u32)> {
        let dfa = occurrences(&Literals::new(lits).unwrap(), hay);
        let nfa = occurrences(&CompactLiterals::compact(lits).unwrap(), hay);
        assert_eq!(dfa, nfa, "the DFA and the contiguous NFA disagree");
        dfa
    }

    fn occurrences<A: Automaton>(l: &Literals<A>, hay: &str) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        let _ = l.scan::<()>(hay.as_bytes(), 0, hay.len(), |s, _, id| {
            out.push((s, id));
            ControlFlow::Continue(())
        });
        out.sort_unstable();
        out
    }

    #[test]
    fn every_occurrence_overlaps_and_case_included() {
        assert_eq!(
            all(&["name", "ame", "user_name", "@"], "USER_NAME a@b name"),
            vec![(0, 2), (5, 0), (6, 1), (11, 3), (14, 0), (15, 1)]
        );
        assert_eq!(all(&["x"], ""), vec![]);
    }

    #[test]
    fn both_automata_find_the_same_occurrences() {
        let lits = [
            "@", "name", "ame", "password", "pass", "ss", "token=", "eyJ", "sk_live_", "%40",
            "user", "username", "api", "pan", "a",
        ];
        let hay = "ts=1 user_name=Jane PASSWORD=ss token=eyJ0 sk_live_x jane%40b.c \
                   API/pan/span_id aaaa usernamename passs";
        assert!(all(&lits, hay).len() > 30);
        for cut in 0..hay.len() {
            all(&lits, &hay[cut..]);
        }
    }

    #[test]
    fn range_and_early_stop() {
        let l = Literals::new(&["ab"]).unwrap();
        let hay = b"ab ab ab";
        let mut seen = Vec::new();
        let r = l.scan(hay, 1, 8, |s, _, _| {
            seen.push(s);
            if s >= 3 {
                ControlFlow::Break(s)
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(r, ControlFlow::Break(3));
        assert_eq!(seen, vec![3], "the occurrence at 0 is outside 1..8");
        let mut ends = Vec::new();
        let _ = l.scan::<()>(hay, 0, 7, |s, e, _| {
            assert_eq!(e, s + 2);
            ends.push(s);
            ControlFlow::Continue(())
        });
        assert_eq!(ends, vec![0, 3], "the one at 6..8 crosses the end");
    }
}
