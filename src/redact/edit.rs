//! Edits: spans of the original record to replace, merged and written.

use super::action::Subject;
use super::Action;
use crate::record::decode::json_escape_into;
use crate::rules::Compiled;

/// One span of the original record to replace.
#[derive(Debug, Clone, Copy)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub rule: u32,
    /// The matched value in the scratch value arena.
    pub value: (usize, usize),
    /// The span is a whole JSON value: write the replacement as a string.
    pub quote: bool,
    /// JSON strings enclosing the span: escape the replacement this often.
    pub escape: u8,
    /// Remove the span (drop_field).
    pub drop: bool,
}

/// Sorts `edits` and merges overlapping ones into `merged`. The earliest,
/// longest edit of an overlapping group (the first rule, on a tie) gives
/// its rule and form; the merged
/// span covers them all, so nothing partly matched survives.
pub fn merge(edits: &mut [Edit], merged: &mut Vec<Edit>) {
    edits.sort_unstable_by(|a, b| {
        (a.start.cmp(&b.start))
            .then(b.end.cmp(&a.end))
            .then(a.rule.cmp(&b.rule))
    });
    merged.clear();
    for &e in edits.iter() {
        match merged.last_mut() {
            Some(last) if e.start < last.end => {
                if e.end > last.end {
                    last.end = e.end;
                    last.quote &= e.quote;
                }
                last.drop |= e.drop && e.start == last.start;
            }
            _ => merged.push(e),
        }
    }
}

/// Borrowed scratch for [`write`].
pub struct Parts<'a> {
    pub merged: &'a [Edit],
    pub values: &'a [u8],
    pub rep: &'a mut Vec<u8>,
    pub rep2: &'a mut Vec<u8>,
}

/// Writes `record` with every merged edit applied.
pub fn write(engine: &Compiled, p: Parts<'_>, record: &[u8], out: &mut Vec<u8>) {
    let mut pos = 0;
    for e in p.merged {
        out.extend_from_slice(&record[pos..e.start]);
        pos = e.end;
        if e.drop {
            continue;
        }
        let rule = &engine.rules[e.rule as usize];
        p.rep.clear();
        if e.quote {
            p.rep.push(b'"');
        }
        let subject = Subject {
            rule: &rule.id,
            category: &rule.category,
            value: &p.values[e.value.0..e.value.1],
            key: engine.hmac_key.as_deref(),
        };
        match &rule.action {
            Action::DropField | Action::DropRecord | Action::Allow => {}
            action => action.render(&subject, p.rep),
        }
        if e.quote {
            p.rep.push(b'"');
        }
        for _ in 0..e.escape {
            p.rep2.clear();
            json_escape_into(p.rep, p.rep2);
            std::mem::swap(p.rep, p.rep2);
        }
        out.extend_from_slice(p.rep);
    }
    out.extend_from_slice(&record[pos..]);
}
