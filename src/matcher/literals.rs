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

    /// [`Literals::scan_gated`] over many whole haystacks, two at a time.
    /// Each step of the loop moves four automata (the literals' and the
    /// gate's, in each of two haystacks) that do not wait for each other,
    /// so the processor overlaps their table lookups. When a haystack
    /// ends, its lane goes on with the next one, so the lanes stay side by
    /// side whatever the haystacks' lengths. `f(i, start, end, id)` gets
    /// the occurrences in `hays[i]`, and `maybe[i]` the gate's verdict.
    pub fn scan_gated_many(
        &self,
        hays: &[&[u8]],
        gate: &Gate,
        cache: &mut GateCache,
        maybe: &mut [bool],
        mut f: impl FnMut(usize, usize, usize, u32),
    ) {
        let Ok(start) = self.dfa.start_state(Anchored::No) else {
            for (i, hay) in hays.iter().enumerate() {
                maybe[i] =
                    self.scan_gated(hay, 0, hay.len(), gate, cache, |s, e, id| f(i, s, e, id));
            }
            return;
        };
        let mut queue = 0..hays.len();
        let mut lanes: [Option<Walk>; 2] = [None, None];
        let mut found = Found::default();
        loop {
            // A free lane takes the next haystack.
            for lane in lanes.iter_mut().filter(|l| l.is_none()) {
                let Some(i) = queue.next() else {
                    break;
                };
                let g = gate.start(cache, hays[i], 0, hays[i].len());
                *lane = Some(Walk {
                    hay: i,
                    sid: start,
                    gate: g,
                    epoch: Gate::clears(cache),
                    at: 0,
                });
            }
            // Side by side while both gates walk and both haystacks have
            // bytes left...
            if let [Some(a), Some(b)] = &mut lanes {
                self.walk_side_by_side(hays, [a, b], gate, cache, &mut found, &mut f);
            }
            // ...then a lane finishes its haystack alone: one whose gate
            // has its answer or whose haystack ended, or the last one.
            let k = match &lanes {
                [None, None] => return,
                [Some(a), Some(_)] if a.open(hays, cache).is_some() => 1,
                [Some(_), _] => 0,
                [None, Some(_)] => 1,
            };
            let Some(w) = lanes[k].take() else {
                unreachable!("lane {k} was picked because it walks");
            };
            let hay = hays[w.hay];
            maybe[w.hay] = self.scan_gated_from(
                w.sid,
                w.gate(cache),
                hay,
                w.at,
                hay.len(),
                gate,
                cache,
                &mut never_breaks(|s, e, id| f(w.hay, s, e, id)),
            );
        }
    }

    /// Runs [`walk_pair`] over two walks for as long as both can go on: up
    /// to the end of the shorter haystack, or until a gate has its answer.
    /// The matches walked past are reported first; then each byte that
    /// stops a walk is settled for both walks, and their occurrences ending
    /// there reported.
    fn walk_side_by_side(
        &self,
        hays: &[&[u8]],
        [a, b]: [&mut Walk; 2],
        gate: &Gate,
        cache: &mut GateCache,
        found: &mut Found,
        f: &mut impl FnMut(usize, usize, usize, u32),
    ) {
        let (ha, hb) = (hays[a.hay], hays[b.hay]);
        while let (Some(x), Some(y)) = (a.open(hays, cache), b.open(hays, cache)) {
            let n = (ha.len() - a.at).min(hb.len() - b.at);
            let lanes = [
                Lane {
                    sid: a.sid,
                    gate: x,
                    hay: &ha[a.at..a.at + n],
                },
                Lane {
                    sid: b.sid,
                    gate: y,
                    hay: &hb[b.at..b.at + n],
                },
            ];
            found.len = 0;
            let ([(na, pa, nga), (nb, pb, ngb)], k) =
                walk_pair(&self.dfa, gate, cache, lanes, found);
            for &(lane, end, sid) in &found.hits[..found.len] {
                let w = [&*a, &*b][usize::from(lane)];
                let _ = self.report(
                    sid,
                    w.at + end,
                    &mut never_breaks(|s, e, id| f(w.hay, s, e, id)),
                );
            }
            (a.sid, b.sid) = (na, nb);
            if k == n {
                (a.gate, b.gate) = (Gated::Open(nga), Gated::Open(ngb));
                (a.at, b.at) = (a.at + n, b.at + n);
                return;
            }
            // Byte `k` stopped one lane or both: settle each. (If settling
            // `a` clears the cache, `pb` and `ngb` go with it; if settling
            // `b` does, `a`'s new state does, which its epoch tells.)
            let epoch = Gate::clears(cache);
            a.gate = gate.resume(cache, pa, nga, ha[a.at + k]);
            a.epoch = Gate::clears(cache);
            b.gate = match a.epoch == epoch {
                true => gate.resume(cache, pb, ngb, hb[b.at + k]),
                false => Gated::Maybe,
            };
            b.epoch = Gate::clears(cache);
            (a.at, b.at) = (a.at + k + 1, b.at + k + 1);
            for w in [&*a, &*b] {
                let _ = self.report(
                    w.sid,
                    w.at,
                    &mut never_breaks(|s, e, id| f(w.hay, s, e, id)),
                );
            }
        }
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

/// A haystack on its way through [`Literals::scan_gated_many`]: its index,
/// the literals' and the gate's states, and the position of the next byte.
struct Walk {
    hay: usize,
    sid: StateID,
    gate: Gated,
    /// How often the gate's cache had been cleared when `gate` was made.
    /// The walks share the cache, and a step of one may clear it.
    epoch: usize,
    at: usize,
}

impl Walk {
    /// The gate's state, as long as the cache still holds it.
    fn gate(&self, cache: &GateCache) -> Gated {
        self.gate.held(cache, self.epoch)
    }

    /// The gate's state if the walk can go on side by side: the gate has
    /// no answer yet and the haystack has bytes left.
    fn open(&self, hays: &[&[u8]], cache: &GateCache) -> Option<LazyStateID> {
        match self.gate(cache) {
            Gated::Open(g) if self.at < hays[self.hay].len() => Some(g),
            _ => None,
        }
    }
}

/// [`walk_both`] over two lanes of equal length at once. The literals'
/// matches are noted in `found` and walked past; the walk stops after the
/// first byte position `k` where either gate reaches a tagged state, or
/// where a match finds `found` full. Returns per lane the literals' state
/// and the gate's states before and after that byte, and `k` (or the
/// states at the end and the lanes' length). Stopping costs a few hundred
/// instructions, and the mixed corpus has a literal match every 60 bytes.
/// The caller empties `found`: emptying it here changed the loop's code
/// to 3 more instructions a byte (callgrind).
#[inline(never)]
fn walk_pair(
    dfa: &DFA,
    gate: &Gate,
    cache: &GateCache,
    [a, b]: [Lane<'_>; 2],
    found: &mut Found,
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
        let (match_a, match_b) = (dfa.is_special(sa), dfa.is_special(sb));
        if match_a | match_b | ga.is_tagged() | gb.is_tagged() {
            if ga.is_tagged() | gb.is_tagged() || found.len + 2 > FOUND {
                break;
            }
            // Literals alone: noted, and the walk goes on.
            for (lane, hit, sid) in [(0, match_a, sa), (1, match_b, sb)] {
                if hit {
                    found.hits[found.len] = (lane, at + 1, sid);
                    found.len += 1;
                }
            }
        }
        at += 1;
    }
    ([(sa, pa, ga), (sb, pb, gb)], at)
}

/// How many literal matches [`walk_pair`] notes before it stops.
const FOUND: usize = 16;

/// The literal matches [`walk_pair`] walked past: `(lane, end, state)`,
/// the end relative to the lane's bytes, in order of end.
struct Found {
    hits: [(u8, usize, StateID); FOUND],
    len: usize,
}

impl Default for Found {
    fn default() -> Found {
        Found {
            hits: [(0, 0, StateID::ZERO); FOUND],
            len: 0,
        }
    }
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
