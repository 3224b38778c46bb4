//! Where a match that starts at a known offset ends: an anchored,
//! leftmost-first search of one pattern on a lazy DFA.
//!
//! Used where the start is known before the search: a triggered pattern
//! whose trigger is its prefix ([`super::ContentMatcher`]) and the parts
//! of a capture group ([`super::GroupFinder`]). The regex crates' own
//! search leaves its unrolled loop at every match state to record the
//! match, and a greedy tail (the `[A-Za-z0-9_-]*` of a JWT, the value
//! after `password=`) is a run of match states. This search walks other
//! states in a loop that keeps the transition table in registers, and
//! skips a run of bytes that keep it in one state (a tail, the middle of
//! a `{8,}`) by a table of those bytes, worked out the first time the
//! state loops. On the mixed corpus, the searches it took over cost about
//! a third fewer instructions than in the regex crates.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::Hir;

/// One pattern, searched anchored for the end of its leftmost-first match.
#[derive(Debug, Clone)]
pub struct AnchoredDfa {
    dfa: DFA,
}

/// The search could not answer: the lazy DFA met a byte it quits on. Only
/// a Unicode word boundary makes such bytes, and such patterns do not
/// build here; a full cache is cleared and the search goes on (no limit
/// on clears is set), so this is not expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAnswer;

/// Per-thread state of one [`AnchoredDfa`]: the lazy DFA's cache and the
/// states seen looping on themselves.
#[derive(Debug, Clone)]
pub struct AnchoredCache {
    dfa: Cache,
    loops: Loops,
}

/// States that loop on themselves, each with the bytes it loops on. A
/// state id only means something until the lazy DFA's cache is cleared,
/// so the list belongs to one count of clears and is emptied after it.
#[derive(Debug, Clone, Default)]
struct Loops {
    clears: usize,
    states: Vec<(LazyStateID, Box<[bool; 256]>)>,
}

/// At most this many looping states are kept per pattern; a pattern with
/// more starts its list over.
const MAX_LOOPS: usize = 16;

/// Why a walk stopped short of an answer.
enum Stop {
    /// The lazy DFA quit (see [`NoAnswer`]).
    Quit,
    /// The cache was cleared while a loop was worked out: the state being
    /// walked lost its id. The walk starts over without skipping.
    Cleared,
}

/// Any error of the lazy DFA: it quit.
fn quit<E>(_: E) -> Stop {
    Stop::Quit
}

impl AnchoredDfa {
    /// Compiles `hir`, with a lazy DFA cache of at most `cache_bytes` per
    /// thread. Fails for a pattern the lazy DFA cannot search in full
    /// (a Unicode word boundary), so that a search never gives up midway.
    pub fn new(hir: &Hir, cache_bytes: usize) -> Result<AnchoredDfa, String> {
        let nfa = super::compile_nfa(std::slice::from_ref(hir))?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .cache_capacity(cache_bytes)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        Ok(AnchoredDfa { dfa })
    }

    pub fn create_cache(&self) -> AnchoredCache {
        AnchoredCache {
            dfa: self.dfa.create_cache(),
            loops: Loops::default(),
        }
    }

    /// The end of the leftmost-first match that starts at `start` and lies
    /// in `hay[start..end]`, if there is one. The bytes around the range
    /// decide look-around (`\b`), as in a search of the range.
    pub fn end(
        &self,
        cache: &mut AnchoredCache,
        hay: &[u8],
        start: usize,
        end: usize,
    ) -> Result<Option<usize>, NoAnswer> {
        let walked = match self.walk::<true>(cache, hay, start, end) {
            Err(Stop::Cleared) => self.walk::<false>(cache, hay, start, end),
            walked => walked,
        };
        walked.map_err(|_| NoAnswer)
    }

    /// [`AnchoredDfa::end`], skipping runs of bytes that loop on a state
    /// if `SKIP`.
    fn walk<const SKIP: bool>(
        &self,
        cache: &mut AnchoredCache,
        hay: &[u8],
        start: usize,
        end: usize,
    ) -> Result<Option<usize>, Stop> {
        let input = Input::new(hay).range(start..end).anchored(Anchored::Yes);
        let dfa = &self.dfa;
        let mut sid = dfa
            .start_state_forward(&mut cache.dfa, &input)
            .map_err(quit)?;
        let mut found = None;
        let mut at = start;
        // A match shows one byte late: entering a match state on the byte
        // at `at` means a match ends at `at`.
        'walk: while at < end {
            // Untagged states: the cache is only read, so the loop keeps
            // its table in registers.
            let c: &Cache = &cache.dfa;
            let mut next = dfa.next_state_untagged(c, sid, hay[at]);
            while !next.is_tagged() {
                if SKIP && next == sid {
                    at = self.run_end(cache, sid, hay, at, end)?;
                    if at == end {
                        break 'walk;
                    }
                    continue 'walk;
                }
                sid = next;
                at += 1;
                if at == end {
                    break 'walk;
                }
                next = dfa.next_state_untagged(c, sid, hay[at]);
            }
            // A tagged state (a transition not yet computed, a match, the
            // dead state) is worked out in full...
            sid = dfa.next_state(&mut cache.dfa, sid, hay[at]).map_err(quit)?;
            // ...and a run of match states, a greedy tail, walked here.
            while sid.is_match() {
                found = Some(at);
                at += 1;
                if at == end {
                    break 'walk;
                }
                let next = dfa.next_state(&mut cache.dfa, sid, hay[at]).map_err(quit)?;
                if SKIP && next == sid {
                    at = self.run_end(cache, sid, hay, at, end)?;
                    found = Some(at - 1);
                    if at == end {
                        break 'walk;
                    }
                    sid = dfa.next_state(&mut cache.dfa, sid, hay[at]).map_err(quit)?;
                    continue;
                }
                sid = next;
            }
            if sid.is_dead() {
                return Ok(found);
            } else if sid.is_quit() {
                return Err(Stop::Quit);
            }
            at += 1;
        }
        sid = match hay.get(end) {
            Some(&byte) => dfa.next_state(&mut cache.dfa, sid, byte),
            None => dfa.next_eoi_state(&mut cache.dfa, sid),
        }
        .map_err(quit)?;
        if sid.is_match() {
            found = Some(end);
        }
        Ok(found)
    }

    /// The end of the run of bytes in `hay[at..end]` that keep the walk in
    /// `sid`, given that `hay[at]` does.
    fn run_end(
        &self,
        cache: &mut AnchoredCache,
        sid: LazyStateID,
        hay: &[u8],
        at: usize,
        end: usize,
    ) -> Result<usize, Stop> {
        let loops = &mut cache.loops;
        if loops.clears != cache.dfa.clear_count() {
            loops.clears = cache.dfa.clear_count();
            loops.states.clear();
        }
        let i = match loops.states.iter().position(|(s, _)| *s == sid) {
            Some(i) => i,
            None => {
                let stays = self.loop_bytes(&mut cache.dfa, sid)?;
                let loops = &mut cache.loops;
                if loops.states.len() == MAX_LOOPS {
                    loops.states.clear();
                }
                loops.states.push((sid, stays));
                loops.states.len() - 1
            }
        };
        let stays = &cache.loops.states[i].1;
        let from = at + 1;
        Ok(hay[from..end]
            .iter()
            .position(|&b| !stays[usize::from(b)])
            .map_or(end, |n| from + n))
    }

    /// The bytes on which `sid` goes to itself.
    fn loop_bytes(&self, cache: &mut Cache, sid: LazyStateID) -> Result<Box<[bool; 256]>, Stop> {
        let clears = cache.clear_count();
        let mut stays = Box::new([false; 256]);
        for (b, stay) in (0..=255).zip(stays.iter_mut()) {
            *stay = self.dfa.next_state(cache, sid, b).map_err(quit)? == sid;
            if cache.clear_count() != clears {
                return Err(Stop::Cleared);
            }
        }
        Ok(stays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    /// Every anchored search agrees with the regex crate's, at every start
    /// and every end of the range: with a roomy cache, and with the
    /// smallest one, cleared over and over (also while a loop is worked
    /// out).
    #[test]
    fn ends_agree_with_an_anchored_regex_search() {
        let cases: &[(&str, &str)] = &[
            (
                r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
                "x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc-_d e",
            ),
            (
                r"(?i)password\s*[:=]\s*[^\s,]+",
                "PASSWORD = hunter2, password:x",
            ),
            (r"a+|ab", "aaab ab"),
            (r"ab|a+", "aaab ab"),
            (r"\d{3}\b", "12345 123 1234x"),
            (r"a*", "aaa b"),
            (r"(?:ab)*?c", "ababc abx"),
            // Loops in the middle, loops ended by look-around, a loop of
            // match states that gives way to a longer match.
            (r"x[a-z]{2,}y", "xabcdy xaay xy xabc"),
            (r"[a-z]+\b", "abc abcd1 ab-"),
            (r"[0-9a-f]+(?:-[0-9a-f]+)*", "3e89-57ab-z 00-"),
            (r"q[^ ]*!|q[^ ]*", "qaaa!b qaa qa!"),
        ];
        let mut cleared = 0;
        for cache_bytes in [1 << 20, 0] {
            for (pattern, hay) in cases {
                let hir = super::super::parse_pattern(pattern).unwrap();
                let ours = AnchoredDfa::new(&hir, cache_bytes).unwrap();
                let mut cache = ours.create_cache();
                let theirs = Regex::builder()
                    .syntax(super::super::syntax_config())
                    .build(pattern)
                    .unwrap();
                let h = hay.as_bytes();
                for start in 0..=h.len() {
                    for end in start..=h.len() {
                        let input = Input::new(h).range(start..end).anchored(Anchored::Yes);
                        let want = theirs.search(&input).map(|m| m.end());
                        assert_eq!(
                            ours.end(&mut cache, h, start, end),
                            Ok(want),
                            "{pattern} on {hay:?}[{start}..{end}], cache {cache_bytes}"
                        );
                    }
                }
                cleared += cache.dfa.clear_count();
            }
        }
        assert!(cleared > 0, "the small cache was never cleared");
    }

    /// A long run is skipped with the bytes its state loops on: one walk
    /// works a loop out, later walks find it in the cache.
    #[test]
    fn looping_states_are_remembered() {
        let hir = super::super::parse_pattern(r"(?i)token=[^\s&]+").unwrap();
        let dfa = AnchoredDfa::new(&hir, 1 << 20).unwrap();
        let mut cache = dfa.create_cache();
        let hay = b"token=3e8957563190de881b2b&x token=aa";
        assert_eq!(dfa.end(&mut cache, hay, 0, hay.len()), Ok(Some(26)));
        assert_eq!(cache.loops.states.len(), 1);
        let stays = &cache.loops.states[0].1;
        assert!(stays[usize::from(b'3')] && !stays[usize::from(b'&')]);
        assert_eq!(dfa.end(&mut cache, hay, 29, hay.len()), Ok(Some(37)));
        assert_eq!(cache.loops.states.len(), 1);
    }

    /// A state id names another state once the cache is cleared: the
    /// bytes a state looped on before a clear are not used after it. Run
    /// with cache sizes from the smallest up, so that some clear comes
    /// while loops are remembered.
    #[test]
    fn loops_are_forgotten_when_the_cache_is_cleared() {
        let hir = super::super::parse_pattern(r"a[b-z]*|c[d]*").unwrap();
        let walks = [(&b"abcdx!"[..], 5), (b"cddx", 3), (b"cdx", 2)];
        let mut tested = false;
        for cache_bytes in (0..8192).step_by(64) {
            let dfa = AnchoredDfa::new(&hir, cache_bytes).unwrap();
            let mut cache = dfa.create_cache();
            for _ in 0..4 {
                for (hay, want) in walks {
                    let (clears, remembered) =
                        (cache.dfa.clear_count(), !cache.loops.states.is_empty());
                    assert_eq!(
                        dfa.end(&mut cache, hay, 0, hay.len()),
                        Ok(Some(want)),
                        "{hay:?}, cache {cache_bytes}"
                    );
                    tested |= remembered && cache.dfa.clear_count() != clears;
                }
            }
        }
        assert!(tested, "no cache was cleared while it remembered a loop");
    }

    #[test]
    fn a_unicode_word_boundary_does_not_build() {
        let hir = super::super::parse_pattern(r"(?u)\bx\b").unwrap();
        assert!(AnchoredDfa::new(&hir, 1 << 20).is_err());
    }
}
