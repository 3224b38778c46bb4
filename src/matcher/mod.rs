//! Finding candidate spans: one multi-pattern regex pass for content rules,
//! key-name lookup for field rules, and validators for the candidates.
//!
//! Sits between the record parsers (which say where values are) and
//! `redact` (which decides what replaces them).

mod anchored;
mod content;
mod gate;
mod group;
mod joint;
mod keys;
mod literals;
pub mod validate;

pub use content::{
    parse_pattern, syntax_config, ContentCache, ContentMatcher, ContentPattern, Context, FirstPass,
    PassOut,
};
pub use group::{GroupCache, GroupFinder};
pub use keys::{normalize_key, KeyHint, KeyMatcher, KeyScratch};

use regex_automata::nfa::thompson::{self, WhichCaptures, NFA};
use regex_syntax::hir::Hir;

/// The NFA of `patterns` that the bare lazy DFAs here (the gate, anchored
/// searches) are built from: without capture states, which a DFA cannot
/// use, and within the same size limit as the regexes.
fn compile_nfa(patterns: &[Hir]) -> Result<NFA, String> {
    thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .which_captures(WhichCaptures::None)
                .nfa_size_limit(Some(64 << 20)),
        )
        .build_many_from_hir(patterns)
        .map_err(|e| e.to_string())
}
