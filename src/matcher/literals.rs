//! Every occurrence of a set of short literals, ASCII case-insensitively.
//!
//! The first pass over every record: [`super::ContentMatcher`] finds the
//! trigger literals of content patterns and the words of key names
//! ([`super::KeyHint`]) in one scan (the hint scans on its own only when
//! there are no content rules). Every occurrence counts, overlaps
//! included, and nearly every byte is scanned, so the scan is a plain loop
//! over an Aho-Corasick DFA with its position and state in registers. (The
//! crate's own overlapping iterator keeps them in a state struct in memory
//! and costs about three times as many instructions per byte.)

use std::ops::ControlFlow;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

/// A compiled literal set.
#[derive(Debug, Clone)]
pub struct Literals {
    dfa: DFA,
}

impl Literals {
    /// Compiles `literals`; ids passed to [`Literals::scan`]'s callback are
    /// indexes into this slice.
    pub fn new<L: AsRef<[u8]>>(literals: &[L]) -> Result<Literals, String> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(literals)
            .map_err(|e| e.to_string())?;
        Ok(Literals { dfa })
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
        let dfa = &self.dfa;
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return ControlFlow::Continue(());
        };
        let mut at = from;
        while at < to {
            (sid, at) = walk(dfa, sid, &hay[..to], at);
            if at == to {
                break;
            }
            at += 1;
            if dfa.is_match(sid) {
                for i in 0..dfa.match_len(sid) {
                    let id = dfa.match_pattern(sid, i);
                    f(at - dfa.pattern_len(id), at, id.as_u32())?;
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Follows transitions from `sid` over `hay[at..]` until a special state
/// (a match) is entered; returns that state and the position of the byte
/// that entered it, or the state at the end and `hay.len()`. Kept apart from
/// the callback so that the loop stays in registers.
#[inline(never)]
fn walk(dfa: &DFA, mut sid: StateID, hay: &[u8], mut at: usize) -> (StateID, usize) {
    while at < hay.len() {
        sid = dfa.next_state(Anchored::No, sid, hay[at]);
        if dfa.is_special(sid) {
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
        let l = Literals::new(lits).unwrap();
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
