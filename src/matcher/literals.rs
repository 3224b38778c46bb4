//! Every occurrence of a set of short literals, ASCII case-insensitively.
//!
//! The first pass over every record: [`super::ContentMatcher`] finds the
//! trigger literals of content patterns and the words of key names
//! ([`super::KeyHint`]) in one scan (the hint scans on its own only when
//! there are no content rules), and the content gate ([`super::gate`])
//! walks in the same loop. Every occurrence counts, overlaps included, and
//! nearly every byte is scanned, so the scan is a plain loop over an
//! Aho-Corasick DFA with its position and state in registers. (The crate's
//! own overlapping iterator keeps them in a state struct in memory and
//! costs about three times as many instructions per byte.)

use std::ops::ControlFlow;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use regex_automata::hybrid::dfa::Cache as GateCache;
use regex_automata::hybrid::LazyStateID;

use super::gate::{Gate, Gated};

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
        match self.dfa.start_state(Anchored::No) {
            Ok(sid) => self.scan_from(sid, hay, from, to, &mut f),
            Err(_) => ControlFlow::Continue(()),
        }
    }

    /// [`Literals::scan`] with the literals' walk and `gate`'s walk in one
    /// loop (see [`super::gate`]). Returns whether the gate's patterns may
    /// match in `hay[from..to]`.
    pub fn scan_gated(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        gate: &Gate,
        cache: &mut GateCache,
        f: impl FnMut(usize, usize, u32),
    ) -> bool {
        let mut f = never_breaks(f);
        let g = gate.start(cache, hay, from, to);
        match self.dfa.start_state(Anchored::No) {
            Ok(sid) => self.scan_gated_from(sid, g, hay, from, to, gate, cache, &mut f),
            Err(_) => gate.finish(cache, g, hay, to),
        }
    }

    /// [`Literals::scan_gated`] over two whole haystacks at once. Each step
    /// of the loop moves four automata (the literals' and the gate's, in
    /// each haystack) that do not wait for each other, so the processor
    /// overlaps their table lookups: a pair of records is scanned in much
    /// less than the time of two. `fa` and `fb` get the occurrences in `a`
    /// and `b`; returns the gate's verdict for each.
    pub fn scan_gated_pair(
        &self,
        a: &[u8],
        b: &[u8],
        gate: &Gate,
        cache: &mut GateCache,
        fa: impl FnMut(usize, usize, u32),
        fb: impl FnMut(usize, usize, u32),
    ) -> (bool, bool) {
        let dfa = &self.dfa;
        // Both walks share the gate's cache. Whenever one of them steps
        // with it, the other's state is `held` (a step may clear the cache).
        let mut ga = gate.start(cache, a, 0, a.len());
        let clears = Gate::clears(cache);
        let mut gb = gate.start(cache, b, 0, b.len());
        ga = ga.held(cache, clears);
        let Ok(start) = dfa.start_state(Anchored::No) else {
            let clears = Gate::clears(cache);
            let maybe_a = gate.finish(cache, ga, a, a.len());
            let maybe_b = gate.finish(cache, gb.held(cache, clears), b, b.len());
            return (maybe_a, maybe_b);
        };
        let (mut sa, mut sb) = (start, start);
        let (mut at_a, mut at_b) = (0, 0);
        let (mut fa, mut fb) = (never_breaks(fa), never_breaks(fb));
        // Side by side while both gates walk and both haystacks have bytes
        // left; then each goes on alone.
        while let (Gated::Open(x), Gated::Open(y)) = (ga, gb) {
            let n = (a.len() - at_a).min(b.len() - at_b);
            if n == 0 {
                break;
            }
            let lanes = [
                Lane {
                    sid: sa,
                    gate: x,
                    hay: &a[at_a..at_a + n],
                },
                Lane {
                    sid: sb,
                    gate: y,
                    hay: &b[at_b..at_b + n],
                },
            ];
            let ([(na, pa, nga), (nb, pb, ngb)], k) = walk_pair(dfa, gate, cache, lanes);
            (sa, sb) = (na, nb);
            if k == n {
                (ga, gb) = (Gated::Open(nga), Gated::Open(ngb));
                (at_a, at_b) = (at_a + n, at_b + n);
                continue;
            }
            // Byte `k` stopped one lane or both: settle each.
            let clears = Gate::clears(cache);
            ga = gate.resume(cache, pa, nga, a[at_a + k]);
            gb = if Gate::clears(cache) == clears {
                let g = gate.resume(cache, pb, ngb, b[at_b + k]);
                ga = ga.held(cache, clears);
                g
            } else {
                // `pb` and `ngb` went with the clear.
                Gated::Maybe
            };
            (at_a, at_b) = (at_a + k + 1, at_b + k + 1);
            let _ = self.report(sa, at_a, &mut fa);
            let _ = self.report(sb, at_b, &mut fb);
        }
        let clears = Gate::clears(cache);
        let maybe_a = self.scan_gated_from(sa, ga, a, at_a, a.len(), gate, cache, &mut fa);
        gb = gb.held(cache, clears);
        let maybe_b = self.scan_gated_from(sb, gb, b, at_b, b.len(), gate, cache, &mut fb);
        (maybe_a, maybe_b)
    }

    /// The rest of a gated scan of `hay[..to]`: from literal state `sid`
    /// and gate state `g` at `hay[at]` on. (The byte after `to`, if any,
    /// decides the gate's last look-around.)
    #[allow(clippy::too_many_arguments)]
    fn scan_gated_from(
        &self,
        mut sid: StateID,
        mut g: Gated,
        hay: &[u8],
        mut at: usize,
        to: usize,
        gate: &Gate,
        cache: &mut GateCache,
        f: &mut impl FnMut(usize, usize, u32) -> ControlFlow<()>,
    ) -> bool {
        let dfa = &self.dfa;
        while at < to {
            let Gated::Open(gsid) = g else {
                // The gate has its answer: the literals walk on alone.
                let _ = self.scan_from(sid, hay, at, to, f);
                return g == Gated::Maybe;
            };
            let (next, prev);
            (sid, prev, next, at) = walk_both(dfa, sid, gate, cache, gsid, &hay[..to], at);
            if at == to {
                g = Gated::Open(next);
                break;
            }
            g = gate.resume(cache, prev, next, hay[at]);
            at += 1;
            let _ = self.report(sid, at, f);
        }
        gate.finish(cache, g, hay, to)
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
            (sid, at) = walk(&self.dfa, sid, &hay[..to], at);
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
    fn report<B>(
        &self,
        sid: StateID,
        end: usize,
        f: &mut impl FnMut(usize, usize, u32) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let dfa = &self.dfa;
        if dfa.is_match(sid) {
            for i in 0..dfa.match_len(sid) {
                let id = dfa.match_pattern(sid, i);
                f(end - dfa.pattern_len(id), end, id.as_u32())?;
            }
        }
        ControlFlow::Continue(())
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

/// [`walk`] with the gate's lazy DFA stepped over the same bytes. Stops
/// after the byte that brings the literals to a special state or the gate
/// to a tagged one (a match, or a transition not yet computed); returns the
/// literals' state, the gate's state before and after that byte, and the
/// byte's position, or the states at the end and `hay.len()`. `gate_sid`
/// must not be tagged.
#[inline(never)]
fn walk_both(
    dfa: &DFA,
    mut sid: StateID,
    gate: &Gate,
    cache: &GateCache,
    mut gate_sid: LazyStateID,
    hay: &[u8],
    mut at: usize,
) -> (StateID, LazyStateID, LazyStateID, usize) {
    let mut prev = gate_sid;
    while at < hay.len() {
        let byte = hay[at];
        prev = gate_sid;
        sid = dfa.next_state(Anchored::No, sid, byte);
        gate_sid = gate.next_untagged(cache, gate_sid, byte);
        if dfa.is_special(sid) || gate_sid.is_tagged() {
            break;
        }
        at += 1;
    }
    (sid, prev, gate_sid, at)
}

/// One haystack's side of [`walk_pair`]: the literals' state, the gate's
/// (never tagged) state, and the bytes to walk.
struct Lane<'h> {
    sid: StateID,
    gate: LazyStateID,
    hay: &'h [u8],
}

/// [`walk_both`] over two lanes of equal length at once. Stops after the
/// first byte position `k` where either lane's literals reach a special
/// state or either gate a tagged one; returns per lane the literals' state
/// and the gate's states before and after that byte, and `k` (or the
/// states at the end and the lanes' length).
#[inline(never)]
fn walk_pair(
    dfa: &DFA,
    gate: &Gate,
    cache: &GateCache,
    [a, b]: [Lane<'_>; 2],
) -> ([(StateID, LazyStateID, LazyStateID); 2], usize) {
    let (mut sa, mut ga, mut sb, mut gb) = (a.sid, a.gate, b.sid, b.gate);
    let (mut pa, mut pb) = (ga, gb);
    let n = a.hay.len().min(b.hay.len());
    let (ha, hb) = (&a.hay[..n], &b.hay[..n]);
    let mut at = 0;
    while at < n {
        let (x, y) = (ha[at], hb[at]);
        (pa, pb) = (ga, gb);
        sa = dfa.next_state(Anchored::No, sa, x);
        sb = dfa.next_state(Anchored::No, sb, y);
        ga = gate.next_untagged(cache, ga, x);
        gb = gate.next_untagged(cache, gb, y);
        if dfa.is_special(sa) | dfa.is_special(sb) | ga.is_tagged() | gb.is_tagged() {
            break;
        }
        at += 1;
    }
    ([(sa, pa, ga), (sb, pb, gb)], at)
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
