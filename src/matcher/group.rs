//! Where a rule's capture group lies inside a match the content search
//! found: rules such as `password\s*[:=]\s*(\S+)` redact only the group.
//!
//! Capture search needs a backtracker or a PikeVM, which cost thousands of
//! instructions even on a short match. Most group patterns are a
//! concatenation `BEFORE (GROUP) AFTER`, so the group is usually found with
//! three anchored lazy-DFA searches instead: the preferred parse of
//! `BEFORE` from the match start, then of `GROUP`, then of `AFTER`. When
//! those parses join up to the match end, they are the parse that the whole
//! pattern prefers (leftmost-first tries exactly these first), so the
//! group's span is exact. Otherwise the capture search decides.

use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, HirKind};

use super::anchored::{AnchoredCache, AnchoredDfa};

/// Finds capture group `index` of one rule's pattern.
#[derive(Debug, Clone)]
pub struct GroupFinder {
    index: usize,
    /// The whole pattern, for the capture search.
    hir: Hir,
    /// The capture search's regex, compiled the first time the split
    /// cannot decide (`None`: it would not compile; the caller then takes
    /// the whole match). Most rules never need it.
    full: OnceLock<Option<Regex>>,
    split: Option<Split>,
}

/// The pattern cut around the group: `before (group) after`, each part a
/// lazy DFA that only ever runs anchored.
#[derive(Debug, Clone)]
struct Split {
    before: AnchoredDfa,
    group: AnchoredDfa,
    after: Option<AnchoredDfa>,
}

/// Per-thread search state for a [`GroupFinder`]: the lazy DFAs' caches.
#[derive(Debug, Clone)]
pub struct GroupCache {
    before: AnchoredCache,
    group: AnchoredCache,
    after: Option<AnchoredCache>,
}

impl GroupFinder {
    /// Compiles `hir` (a pattern parsed by [`super::parse_pattern`]) to
    /// find group `index`.
    pub fn new(hir: &Hir, index: usize) -> GroupFinder {
        GroupFinder {
            index,
            hir: hir.clone(),
            full: OnceLock::new(),
            split: split(hir, index),
        }
    }

    /// The regex for the capture search, compiled on first use.
    fn full(&self) -> Option<&Regex> {
        // Only anchored capture searches run on it: a prefilter or a full
        // DFA would be work for nothing.
        let build = || {
            Regex::builder()
                .configure(
                    Regex::config()
                        .utf8_empty(false)
                        .auto_prefilter(false)
                        .dfa(false),
                )
                .build_from_hir(&self.hir)
                .ok()
        };
        self.full.get_or_init(build).as_ref()
    }

    /// A cache for [`GroupFinder::span`]; one per thread.
    pub fn create_cache(&self) -> Option<GroupCache> {
        let s = self.split.as_ref()?;
        Some(GroupCache {
            before: s.before.create_cache(),
            group: s.group.create_cache(),
            after: s.after.as_ref().map(AnchoredDfa::create_cache),
        })
    }

    /// The span of the group in the match `hay[start..end]`, if the group
    /// took part in it. Look-around sees the rest of `hay`. `cache` must
    /// come from this finder's [`GroupFinder::create_cache`].
    pub fn span(
        &self,
        cache: Option<&mut GroupCache>,
        hay: &[u8],
        start: usize,
        end: usize,
    ) -> Option<(usize, usize)> {
        self.split_span(cache, hay, start, end)
            .or_else(|| self.captured(hay, start, end))
    }

    /// The group's span by the three anchored searches, when their parses
    /// join up to the match end; `None` leaves it to the capture search.
    fn split_span(
        &self,
        cache: Option<&mut GroupCache>,
        hay: &[u8],
        start: usize,
        end: usize,
    ) -> Option<(usize, usize)> {
        let (s, c) = (self.split.as_ref()?, cache?);
        // The end of the preferred parse of a part from `at`; `None` for no
        // parse, or a search that got no answer.
        let anchored = |dfa: &AnchoredDfa, cache: &mut AnchoredCache, at: usize| {
            dfa.end(cache, hay, at, end).ok().flatten()
        };
        let gs = anchored(&s.before, &mut c.before, start)?;
        let ge = anchored(&s.group, &mut c.group, gs)?;
        let joined = match (&s.after, &mut c.after) {
            (Some(after), Some(cache)) => anchored(after, cache, ge) == Some(end),
            _ => ge == end,
        };
        joined.then_some((gs, ge))
    }

    /// The span of the group by capture search, anchored at `start` and
    /// bounded by `end`.
    fn captured(&self, hay: &[u8], start: usize, end: usize) -> Option<(usize, usize)> {
        let input = Input::new(hay).range(start..end).anchored(Anchored::Yes);
        let n = 2 * self.index + 2;
        let mut stack = [None::<NonMaxUsize>; 32];
        let mut heap = Vec::new();
        let slots = if n <= stack.len() {
            &mut stack[..n]
        } else {
            heap.resize(n, None);
            &mut heap[..]
        };
        self.full()?.search_slots(&input, slots)?;
        let (s, e) = (
            slots[2 * self.index]?.get(),
            slots[2 * self.index + 1]?.get(),
        );
        (s >= start).then_some((s, e))
    }
}

/// Cuts `hir` into the parts before, inside and after capture group
/// `index`, when the group is one element of the top-level concatenation.
fn split(hir: &Hir, index: usize) -> Option<Split> {
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let at = parts
        .iter()
        .position(|p| matches!(p.kind(), HirKind::Capture(c) if c.index as usize == index))?;
    let HirKind::Capture(c) = parts[at].kind() else {
        unreachable!("found above");
    };
    let build = |h: Hir| AnchoredDfa::new(&h, 2 << 20).ok();
    let after = &parts[at + 1..];
    Some(Split {
        before: build(Hir::concat(parts[..at].to_vec()))?,
        group: build((*c.sub).clone())?,
        after: match after.is_empty() {
            true => None,
            false => Some(build(Hir::concat(after.to_vec()))?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder(pattern: &str, index: usize) -> GroupFinder {
        GroupFinder::new(&super::super::parse_pattern(pattern).unwrap(), index)
    }

    /// The split answers as the capture search does, on matches of the
    /// whole pattern, including ones where greedy and lazy parts make the
    /// first parse of a part the wrong one.
    #[test]
    fn split_and_capture_search_agree() {
        let cases: &[(&str, &[&str])] = &[
            (
                r#"(?i)\b(?:password|pwd|secret[_-]?key)\s*[:=]\s*"?([^\s"',;&<>]+)"#,
                &[
                    "password=hunter2",
                    "PWD : \"x=y\"",
                    "a secret-key=abc;d",
                    "pwd=a=b",
                ],
            ),
            (r"(a+)(a)", &["aaaa", "xaa"]),
            (r"(a*?)b?(a+)", &["aab", "aaa"]),
            (r"x(\d+)(?:px|p)", &["x12px", "x3p"]),
            (r"(?:ab|a)(b*)c", &["abbc", "abc", "ac"]),
            (r"(\w+)\b", &["foo bar"]),
        ];
        let mut via_split = 0;
        for (pattern, hays) in cases {
            let f = finder(pattern, 1);
            assert!(f.split.is_some(), "{pattern}");
            let mut cache = f.create_cache();
            for hay in *hays {
                let (h, m) = (
                    hay.as_bytes(),
                    f.full().unwrap().find(hay.as_bytes()).unwrap(),
                );
                let want = f.captured(h, m.start(), m.end());
                assert_eq!(
                    f.span(cache.as_mut(), h, m.start(), m.end()),
                    want,
                    "{pattern} on {hay}"
                );
                if let Some(split) = f.split_span(cache.as_mut(), h, m.start(), m.end()) {
                    assert_eq!(Some(split), want, "{pattern} on {hay}");
                    via_split += 1;
                }
            }
        }
        assert!(via_split > 10);
        assert!(finder(r"(a)|b", 1).split.is_none());
    }

    /// For every built-in rule with a group, over the labelled corpus and
    /// the rule's own examples: the group found by the split is the one
    /// the capture search finds.
    #[test]
    fn built_in_group_rules_agree_with_capture_search() {
        let hays: Vec<String> = include_str!("../../tests/corpus/labelled.jsonl")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["line"].as_str().unwrap().to_string()
            })
            .collect();
        let (mut rules, mut split, mut matches, mut via_split) = (0, 0, 0, 0);
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            let doc: toml::Table = toml::from_str(&text).unwrap();
            for rule in doc["rule"].as_array().unwrap() {
                let (Some(pattern), Some(group)) = (rule.get("pattern"), rule.get("group")) else {
                    continue;
                };
                let f = finder(
                    pattern.as_str().unwrap(),
                    group.as_integer().unwrap() as usize,
                );
                rules += 1;
                split += usize::from(f.split.is_some());
                let mut cache = f.create_cache();
                let examples = rule
                    .get("examples")
                    .and_then(|e| e.get("match"))
                    .and_then(|m| m.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str());
                for hay in hays.iter().map(String::as_str).chain(examples) {
                    for m in f.full().unwrap().find_iter(hay.as_bytes()) {
                        matches += 1;
                        let (h, s, e) = (hay.as_bytes(), m.start(), m.end());
                        let want = f.captured(h, s, e);
                        assert_eq!(f.span(cache.as_mut(), h, s, e), want, "{pattern} on {hay}");
                        if let Some(got) = f.split_span(cache.as_mut(), h, s, e) {
                            assert_eq!(Some(got), want, "{pattern} on {hay}");
                            via_split += 1;
                        }
                    }
                }
            }
        }
        // Most matches get their group from the split, not the fallback.
        assert!(
            rules > 10 && split > 10 && via_split * 10 > matches * 9 && matches > 1000,
            "{rules} {split} {via_split} of {matches}"
        );
    }
}
