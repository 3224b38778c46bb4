//! Reads rule packs: the built-in ones embedded at build time, then the
//! user's files and folders. A later rule with the same id replaces the
//! earlier one; `enabled = false` removes it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{line_col, RuleError, RuleErrors};
use super::spec::{PackSpec, RuleSpec};
use crate::engine::LoadOptions;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A rule together with where it came from.
#[derive(Debug)]
pub struct LoadedRule {
    pub spec: RuleSpec,
    /// File name shown in errors.
    pub file: Arc<str>,
    /// Full text of that file, to turn spans into line:col.
    pub text: Arc<str>,
    /// Byte offset of the rule's table in `text`.
    pub offset: usize,
}

impl LoadedRule {
    /// An error located at byte `offset` of this rule's file.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (line, col) = line_col(&self.text, offset);
        RuleError {
            file: self.file.to_string(),
            line,
            col,
            rule: Some(self.spec.id.get_ref().clone()),
            message: message.into(),
        }
    }

    /// `file:line` of the rule, for stats and `--list-rules`.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.file, line_col(&self.text, self.offset).0)
    }
}

/// Loads every rule named by `opts`, in order, with overrides applied.
pub fn load(opts: &LoadOptions) -> Result<Vec<LoadedRule>, RuleErrors> {
    let mut errors = Vec::new();
    let mut rules: Vec<LoadedRule> = Vec::new();
    if opts.builtin {
        for (name, text) in BUILTIN_PACKS {
            parse_pack(&format!("builtin:{name}"), text, &mut rules, &mut errors);
        }
    }
    for path in &opts.paths {
        match rule_files(path) {
            Ok(files) => {
                for file in files {
                    match std::fs::read_to_string(&file) {
                        Ok(text) => {
                            parse_pack(&file.display().to_string(), &text, &mut rules, &mut errors)
                        }
                        Err(e) => {
                            errors.push(file_error(&file, format!("cannot read rule file: {e}")))
                        }
                    }
                }
            }
            Err(e) => errors.push(file_error(path, e)),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RuleErrors(errors))
    }
}

fn file_error(path: &Path, message: String) -> RuleError {
    RuleError {
        file: path.display().to_string(),
        line: 0,
        col: 0,
        rule: None,
        message,
    }
}

/// A file, or the `*.toml` files of a folder in name order.
fn rule_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot open rule path: {e}"))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot list rule folder: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("rule folder holds no *.toml files".into());
    }
    Ok(files)
}

/// Parses one pack and merges its rules into `rules` (same id replaces).
fn parse_pack(file: &str, text: &str, rules: &mut Vec<LoadedRule>, errors: &mut Vec<RuleError>) {
    let file: Arc<str> = file.into();
    let shared_text: Arc<str> = text.into();
    let pack: PackSpec = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            errors.push(RuleError {
                file: file.to_string(),
                line,
                col,
                rule: None,
                message: e.message().trim().to_string(),
            });
            return;
        }
    };
    for spanned in pack.rules {
        let offset = spanned.span().start;
        let spec = spanned.into_inner();
        let id = spec.id.get_ref().clone();
        let existing = rules.iter().position(|r| *r.spec.id.get_ref() == id);
        let from_same_file = existing.is_some_and(|i| rules[i].file == file);
        let loaded = LoadedRule {
            spec,
            file: file.clone(),
            text: shared_text.clone(),
            offset,
        };
        if from_same_file {
            errors.push(loaded.error_at(
                offset,
                format!("duplicate rule id `{id}` in the same file; give each rule its own id"),
            ));
            continue;
        }
        match (existing, loaded.spec.enabled) {
            (Some(i), true) => rules[i] = loaded,
            (Some(i), false) => {
                rules.remove(i);
            }
            (None, true) => rules.push(loaded),
            (None, false) => {}
        }
    }
}
