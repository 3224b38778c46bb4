//! Content rules: every `pattern` and `keywords` rule compiled into one
//! multi-pattern regex, so each value is scanned once and each match names
//! its rule. Candidates then pass the rule's validator and context checks.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AcMatchKind};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

/// Words that must (or must not) appear shortly before a match.
#[derive(Debug, Clone)]
pub struct Context {
    words: AhoCorasick,
    window: usize,
}

impl Context {
    pub fn new(words: &[String], window: usize) -> Result<Context, String> {
        let words = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(AcMatchKind::LeftmostFirst)
            .build(words)
            .map_err(|e| format!("context words: {e}"))?;
        Ok(Context { words, window })
    }

    /// True when a word occurs in the `window` bytes before `start` (or in
    /// the match itself, for words like `Bearer`).
    pub fn found(&self, hay: &[u8], start: usize) -> bool {
        let from = start.saturating_sub(self.window);
        self.words.is_match(&hay[from..start])
    }
}

/// The one regex for all content rules.
#[derive(Debug, Clone)]
pub struct ContentMatcher {
    regex: Regex,
    /// Pattern id -> rule index.
    rules: Vec<u32>,
}

/// Syntax shared by every rule pattern: bytes, ASCII classes unless the
/// pattern opts in with `(?u)`, so the lazy DFA never gives up on `\b`.
pub fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

impl ContentMatcher {
    /// Compiles `patterns` (rule index, pattern text) into one regex.
    pub fn new(patterns: &[(u32, String)]) -> Result<ContentMatcher, String> {
        let regex = Regex::builder()
            .syntax(syntax_config())
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .utf8_empty(false)
                    .nfa_size_limit(Some(64 << 20))
                    .hybrid_cache_capacity(64 << 20)
                    .dfa_size_limit(Some(64 << 20)),
            )
            .build_many(&patterns.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
        Ok(ContentMatcher {
            regex,
            rules: patterns.iter().map(|&(r, _)| r).collect(),
        })
    }

    /// A cache for [`ContentMatcher::find_at`]; one per thread.
    pub fn create_cache(&self) -> meta::Cache {
        self.regex.create_cache()
    }

    /// The next match in `hay[at..end]` as (rule, start, end).
    pub fn find_at(
        &self,
        cache: &mut meta::Cache,
        hay: &[u8],
        at: usize,
        end: usize,
    ) -> Option<(u32, usize, usize)> {
        let input = Input::new(hay).range(at..end);
        let m = self.regex.search_with(cache, &input)?;
        Some((self.rules[m.pattern().as_usize()], m.start(), m.end()))
    }
}
