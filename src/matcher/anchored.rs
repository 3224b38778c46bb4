//! Where a match that starts at a known offset ends: an anchored,
//! leftmost-first search of one pattern on a lazy DFA.
//!
//! Used where the start is known before the search: a triggered pattern
//! whose trigger is its prefix ([`super::ContentMatcher`]) and the parts
//! of a capture group ([`super::GroupFinder`]). The regex crates' own
//! search leaves its unrolled loop at every match state to record the
//! match, and a greedy tail (the `[A-Za-z0-9_-]*` of a JWT, the value
//! after `password=`) is a run of match states. This search walks such a
//! run in a loop of its own, and other states in one that keeps the
//! transition table in registers. On the mixed corpus, the searches it
//! took over cost about a third fewer instructions.

use regex_automata::hybrid::dfa::{Cache, DFA};
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

    pub fn create_cache(&self) -> Cache {
        self.dfa.create_cache()
    }

    /// The end of the leftmost-first match that starts at `start` and lies
    /// in `hay[start..end]`, if there is one. The bytes around the range
    /// decide look-around (`\b`), as in a search of the range.
    pub fn end(
        &self,
        cache: &mut Cache,
        hay: &[u8],
        start: usize,
        end: usize,
    ) -> Result<Option<usize>, NoAnswer> {
        let input = Input::new(hay).range(start..end).anchored(Anchored::Yes);
        let dfa = &self.dfa;
        let mut sid = dfa
            .start_state_forward(cache, &input)
            .map_err(|_| NoAnswer)?;
        let mut found = None;
        let mut at = start;
        // A match shows one byte late: entering a match state on the byte
        // at `at` means a match ends at `at`.
        'walk: while at < end {
            // Untagged states: the cache is only read, so the loop keeps
            // its table in registers.
            let c: &Cache = cache;
            let mut next = dfa.next_state_untagged(c, sid, hay[at]);
            while !next.is_tagged() {
                sid = next;
                at += 1;
                if at == end {
                    break 'walk;
                }
                next = dfa.next_state_untagged(c, sid, hay[at]);
            }
            // A tagged state (a transition not yet computed, a match, the
            // dead state) is worked out in full...
            sid = dfa.next_state(cache, sid, hay[at]).map_err(|_| NoAnswer)?;
            // ...and a run of match states, a greedy tail, walked here.
            while sid.is_match() {
                found = Some(at);
                at += 1;
                if at == end {
                    break 'walk;
                }
                sid = dfa.next_state(cache, sid, hay[at]).map_err(|_| NoAnswer)?;
            }
            if sid.is_dead() {
                return Ok(found);
            } else if sid.is_quit() {
                return Err(NoAnswer);
            }
            at += 1;
        }
        sid = match hay.get(end) {
            Some(&byte) => dfa.next_state(cache, sid, byte),
            None => dfa.next_eoi_state(cache, sid),
        }
        .map_err(|_| NoAnswer)?;
        if sid.is_match() {
            found = Some(end);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    /// Every anchored search agrees with the regex crate's, at every start
    /// and every end of the range.
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
        ];
        for (pattern, hay) in cases {
            let hir = super::super::parse_pattern(pattern).unwrap();
            let ours = AnchoredDfa::new(&hir, 1 << 20).unwrap();
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
                        "{pattern} on {hay:?}[{start}..{end}]"
                    );
                }
            }
        }
    }

    #[test]
    fn a_unicode_word_boundary_does_not_build() {
        let hir = super::super::parse_pattern(r"(?u)\bx\b").unwrap();
        assert!(AnchoredDfa::new(&hir, 1 << 20).is_err());
    }
}
