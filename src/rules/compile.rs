//! Turns loaded rule specs into the matchers of an engine, checking every
//! rule and collecting all errors.

use super::error::{RuleError, RuleErrors};
use super::load::LoadedRule;
use super::spec::ExamplesSpec;
use crate::engine::{LoadOptions, RuleInfo};
use crate::matcher::validate::Validator;
use crate::matcher::{ContentMatcher, ContentPattern, Context, GroupFinder, KeyHint, KeyMatcher};
use crate::redact::{Action, Template};
use regex_syntax::hir::Hir;

/// Limits that keep a rule file from making the engine slow or huge.
pub const MAX_RULES: usize = 2_000;
/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 4_096;
/// Largest compiled form (Thompson NFA) of one pattern, in bytes. The
/// built-in patterns are all below 64 KiB.
pub const MAX_PATTERN_NFA_BYTES: usize = 1 << 20;
/// Default context window in bytes.
pub const DEFAULT_CONTEXT_WINDOW: usize = 48;

/// One rule, ready to apply.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: String,
    pub category: String,
    pub action: Action,
    pub validator: Option<Validator>,
    pub context: Option<Context>,
    pub deny_context: Option<Context>,
    /// The capture group to redact, if not the whole match.
    pub group: Option<GroupFinder>,
    pub examples: ExamplesSpec,
}

/// Everything the engine needs, immutable after compilation.
#[derive(Clone)]
pub struct Compiled {
    pub infos: Vec<RuleInfo>,
    pub rules: Vec<CompiledRule>,
    pub content: Option<ContentMatcher>,
    pub key_hint: KeyHint,
    pub keys: KeyMatcher,
    pub hmac_key: Option<Vec<u8>>,
    pub max_line_bytes: usize,
    /// When set, only this rule may redact (used to run a rule's examples).
    pub only: Option<u32>,
}

/// Compiles `loaded` rules. Every problem is reported, not just the first.
pub fn compile(loaded: Vec<LoadedRule>, opts: &LoadOptions) -> Result<Compiled, RuleErrors> {
    let mut errors = Vec::new();
    if loaded.len() > MAX_RULES {
        errors.push(RuleError {
            file: loaded[MAX_RULES].file.to_string(),
            line: 0,
            col: 0,
            rule: None,
            message: format!(
                "too many rules ({}); at most {MAX_RULES} are allowed",
                loaded.len()
            ),
        });
        return Err(RuleErrors(errors));
    }
    let mut rules = Vec::new();
    let mut infos = Vec::new();
    let mut patterns: Vec<ContentPattern> = Vec::new();
    let mut pattern_owner: Vec<usize> = Vec::new();
    let mut keys = KeyMatcher::default();
    for lr in &loaded {
        let index = rules.len() as u32;
        match compile_rule(lr, opts) {
            Ok((rule, pattern, key_names)) => {
                if let Some(hir) = pattern {
                    let context = lr.spec.context.as_ref().map(|w| {
                        let window = lr.spec.context_window.as_ref();
                        (
                            w.get_ref().clone(),
                            window.map_or(DEFAULT_CONTEXT_WINDOW, |w| *w.get_ref()),
                        )
                    });
                    patterns.push(ContentPattern {
                        rule: index,
                        hir,
                        context,
                        shape: rule.validator.and_then(Validator::shape),
                    });
                    pattern_owner.push(infos.len());
                }
                for name in key_names {
                    if let Some(prev) = keys.insert(&name, index) {
                        errors.push(lr.error_at(
                            lr.spec.keys.as_ref().map_or(lr.offset, |k| k.span().start),
                            format!(
                                "key `{name}` is already claimed by rule `{}`",
                                rules_id(&rules, prev)
                            ),
                        ));
                    }
                }
                infos.push(RuleInfo {
                    id: rule.id.clone(),
                    category: rule.category.clone(),
                    detector: lr.spec.detector(),
                    origin: lr.origin(),
                });
                rules.push(rule);
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    // Keys of `allow` rules only exempt values from other rules: alone they
    // are no reason to look into a record.
    let quiet = (0..rules.len() as u32)
        .filter(|&i| matches!(rules[i as usize].action, Action::Allow))
        .collect();
    let key_hint = KeyHint::new(&keys, quiet);
    let content = if patterns.is_empty() {
        None
    } else {
        match ContentMatcher::new(&patterns, key_hint.words()) {
            Ok(m) => Some(m),
            Err(e) => {
                let first = &loaded[pattern_owner[0]];
                return Err(RuleErrors(vec![RuleError {
                    rule: None,
                    ..first.error_at(
                        first.offset,
                        format!("the rule set is too large to compile ({e}); remove or simplify patterns"),
                    )
                }]));
            }
        }
    };
    Ok(Compiled {
        infos,
        key_hint,
        rules,
        content,
        keys,
        hmac_key: opts.hmac_key.clone(),
        max_line_bytes: opts.max_line_bytes,
        only: None,
    })
}

fn rules_id(rules: &[CompiledRule], index: u32) -> &str {
    rules.get(index as usize).map_or("?", |r| r.id.as_str())
}

type RuleParts = (CompiledRule, Option<Hir>, Vec<String>);

/// Checks one rule; returns it with its parsed pattern (for the content
/// matcher) and
/// key names (for the key matcher).
fn compile_rule(lr: &LoadedRule, opts: &LoadOptions) -> Result<RuleParts, Vec<RuleError>> {
    let spec = &lr.spec;
    let mut errors = Vec::new();
    let mut err = |offset: usize, msg: String| errors.push(lr.error_at(offset, msg));
    let id = spec.id.get_ref();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        err(
            spec.id.span().start,
            "rule id must be non-empty and use only letters, digits, `_`, `-` and `.`".into(),
        );
    }
    let category = spec.category.get_ref();
    if category.is_empty()
        || !category
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        err(
            spec.category.span().start,
            "category must be non-empty and use only letters, digits, `_` and `-`".into(),
        );
    }

    let detectors = [
        spec.pattern.is_some(),
        spec.keywords.is_some(),
        spec.keys.is_some(),
    ];
    if detectors.iter().filter(|&&d| d).count() != 1 {
        err(
            lr.offset,
            "a rule needs exactly one of `pattern`, `keywords` or `keys`".into(),
        );
    }

    let mut pattern = None;
    if let Some(p) = &spec.pattern {
        match check_pattern(p.get_ref()) {
            Ok((hir, groups)) => {
                if let Some(g) = &spec.group {
                    if *g.get_ref() == 0 || *g.get_ref() > groups {
                        err(g.span().start, format!("group {} does not exist; the pattern has {groups} capture group(s)", g.get_ref()));
                    }
                }
                pattern = Some(hir);
            }
            Err(e) => err(p.span().start, e),
        }
    }
    if let Some(k) = &spec.keywords {
        if k.get_ref().is_empty() || k.get_ref().iter().any(|w| w.trim().is_empty()) {
            err(
                k.span().start,
                "keywords must be a non-empty list of non-empty words".into(),
            );
        } else {
            match crate::matcher::parse_pattern(&keywords_pattern(k.get_ref())) {
                Ok(hir) => pattern = Some(hir),
                Err(e) => err(
                    k.span().start,
                    format!("invalid keywords: {}", one_line(&e)),
                ),
            }
        }
    }
    let mut key_names = Vec::new();
    if let Some(k) = &spec.keys {
        let mut scratch = Vec::new();
        for name in k.get_ref() {
            scratch.clear();
            if crate::matcher::normalize_key(name.as_bytes(), &mut scratch) == 0 {
                err(
                    k.span().start,
                    format!("key name `{name}` has no letters or digits"),
                );
            } else {
                key_names.push(name.clone());
            }
        }
        if k.get_ref().is_empty() {
            err(
                k.span().start,
                "keys must list at least one field name".into(),
            );
        }
    }
    if let (Some(group), None) = (&spec.group, &spec.pattern) {
        err(
            group.span().start,
            "`group` only applies to `pattern` rules".into(),
        );
    }

    let validator = spec.validator.as_ref().and_then(|v| {
        let found = Validator::from_name(v.get_ref());
        if found.is_none() {
            err(
                v.span().start,
                format!(
                    "unknown validator `{}`; known: {}",
                    v.get_ref(),
                    Validator::NAMES.join(", ")
                ),
            );
        }
        found
    });
    let window = spec
        .context_window
        .as_ref()
        .map_or(DEFAULT_CONTEXT_WINDOW, |w| *w.get_ref());
    let mut context_of = |words: &Option<toml::Spanned<Vec<String>>>| match words {
        None => None,
        Some(w) if w.get_ref().is_empty() => {
            err(w.span().start, "context lists must not be empty".into());
            None
        }
        Some(w) => Context::new(w.get_ref(), window)
            .map_err(|e| err(w.span().start, e))
            .ok(),
    };
    let context = context_of(&spec.context);
    let deny_context = context_of(&spec.deny_context);

    let action_name = spec
        .action
        .as_ref()
        .map_or("placeholder", |a| a.get_ref().as_str());
    let action_at = spec.action.as_ref().map_or(lr.offset, |a| a.span().start);
    let template_text = spec.template.as_ref().map(|t| t.get_ref().as_str());
    let template_at = spec.template.as_ref().map_or(lr.offset, |t| t.span().start);
    let template =
        |default: &str, hash: bool| Template::parse(template_text.unwrap_or(default), hash);
    let action = match action_name {
        "placeholder" => template(Template::DEFAULT_PLACEHOLDER, false).map(Action::Placeholder),
        "pseudonym" => {
            if opts.hmac_key.is_none() {
                err(action_at, "action `pseudonym` needs a key: pass --hmac-key-file PATH or set LOGSCRUB_HMAC_KEY".into());
            }
            template(Template::DEFAULT_PSEUDONYM, true).map(Action::Pseudonym)
        }
        "mask" => Ok(Action::Mask),
        "keep_last" => Ok(Action::KeepLast(
            spec.keep.as_ref().map_or(4, |k| *k.get_ref()),
        )),
        "drop_field" => Ok(Action::DropField),
        "drop_record" => Ok(Action::DropRecord),
        "allow" if spec.keys.is_none() => Err("action `allow` only applies to `keys` rules".into()),
        "allow" => Ok(Action::Allow),
        other => Err(format!(
            "unknown action `{other}`; known: {}",
            Action::NAMES.join(", ")
        )),
    };
    let action = match action {
        Ok(a) => Some(a),
        Err(e) => {
            err(
                if e.contains("template") {
                    template_at
                } else {
                    action_at
                },
                e,
            );
            None
        }
    };
    if spec.template.is_some() && !matches!(action_name, "placeholder" | "pseudonym") {
        err(
            template_at,
            "`template` only applies to `placeholder` and `pseudonym`".into(),
        );
    }

    let group = match (&spec.group, &pattern) {
        (Some(g), Some(hir)) if spec.pattern.is_some() => Some(GroupFinder::new(hir, *g.get_ref())),
        _ => None,
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let rule = CompiledRule {
        id: id.clone(),
        category: category.clone(),
        action: action.expect("checked above"),
        validator,
        context,
        deny_context,
        group,
        examples: spec
            .examples
            .as_ref()
            .map(|e| e.get_ref().clone())
            .unwrap_or_default(),
    };
    Ok((rule, pattern, key_names))
}

/// A case-insensitive alternation of literal words, with word boundaries on
/// the sides that start or end in a word character.
fn keywords_pattern(words: &[String]) -> String {
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let alternatives: Vec<String> = words
        .iter()
        .map(|w| {
            let lead = if word_char(w.chars().next()) {
                r"\b"
            } else {
                ""
            };
            let tail = if word_char(w.chars().last()) {
                r"\b"
            } else {
                ""
            };
            format!("{lead}{}{tail}", regex_syntax::escape(w))
        })
        .collect();
    format!("(?i)(?:{})", alternatives.join("|"))
}

/// Parses a pattern the way the content matcher wants it; returns it with
/// its number of capture groups. Rejects patterns that can match the empty
/// string or compile to too large an automaton.
fn check_pattern(p: &str) -> Result<(Hir, usize), String> {
    if p.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "pattern is {} bytes; at most {MAX_PATTERN_BYTES} are allowed",
            p.len()
        ));
    }
    let hir = crate::matcher::parse_pattern(p)
        .map_err(|e| format!("invalid pattern: {}", one_line(&e)))?;
    if hir.properties().minimum_len().unwrap_or(0) == 0 {
        return Err(
            "pattern can match the empty string; make at least one character required".into(),
        );
    }
    regex_automata::nfa::thompson::Compiler::new()
        .syntax(crate::matcher::syntax_config())
        .configure(
            regex_automata::nfa::thompson::Config::new()
                .nfa_size_limit(Some(MAX_PATTERN_NFA_BYTES))
                .shrink(false),
        )
        .build_from_hir(&hir)
        .map_err(|_| {
            format!(
                "pattern is too large once compiled (over {} KiB); use fewer or smaller \
                 counted repetitions such as {{1,1000}}",
                MAX_PATTERN_NFA_BYTES >> 10
            )
        })?;
    let groups = hir.properties().explicit_captures_len();
    Ok((hir, groups))
}

fn one_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}
