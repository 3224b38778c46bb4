//! What a rule does with the bytes it matched: the replacement text.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A rule's action, compiled.
#[derive(Debug, Clone)]
pub enum Action {
    /// Replace with a template, `[REDACTED:{category}]` by default.
    Placeholder(Template),
    /// Replace every character with `*` (length kept).
    Mask,
    /// Mask all letters and digits but the last N (separators kept).
    KeepLast(usize),
    /// Replace with a keyed hash token, `[{category}:{hash}]` by default.
    Pseudonym(Template),
    /// Remove the field (key and value) from JSON; empty the value in text.
    DropField,
    /// Remove the whole record (counted).
    DropRecord,
    /// Values under these keys are exempt from content rules (trace ids).
    Allow,
}

impl Action {
    pub const NAMES: &'static [&'static str] = &[
        "placeholder",
        "mask",
        "keep_last",
        "pseudonym",
        "drop_field",
        "drop_record",
        "allow",
    ];
}

/// A replacement template: literal text with `{category}`, `{rule}` and
/// `{hash}` holes, parsed once at compile time.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Category,
    Rule,
    Hash,
}

/// Rendering inputs for one replacement.
pub struct Subject<'a> {
    pub rule: &'a str,
    pub category: &'a str,
    pub value: &'a [u8],
    pub key: Option<&'a [u8]>,
}

impl Template {
    pub const DEFAULT_PLACEHOLDER: &'static str = "[REDACTED:{category}]";
    pub const DEFAULT_PSEUDONYM: &'static str = "[{category}:{hash}]";

    /// Parses `text`; `{hash}` is only allowed when `allow_hash`.
    pub fn parse(text: &str, allow_hash: bool) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("template `{text}` has an unclosed `{{`"));
            };
            let name = &rest[open + 1..open + close];
            parts.push(match name {
                "category" => Part::Category,
                "rule" => Part::Rule,
                "hash" if allow_hash => Part::Hash,
                "hash" => return Err("`{hash}` needs action = \"pseudonym\"".into()),
                other => {
                    return Err(format!(
                    "unknown template field `{{{other}}}`; use {{category}}, {{rule}} or {{hash}}"
                ))
                }
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    fn render(&self, s: &Subject<'_>, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                Part::Category => out.extend_from_slice(s.category.as_bytes()),
                Part::Rule => out.extend_from_slice(s.rule.as_bytes()),
                Part::Hash => {
                    let key = s.key.unwrap_or_default();
                    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                        .expect("HMAC takes any key length");
                    mac.update(s.category.as_bytes());
                    mac.update(&[0]);
                    mac.update(s.value);
                    let digest = mac.finalize().into_bytes();
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    for b in &digest[..4] {
                        out.push(HEX[usize::from(b >> 4)]);
                        out.push(HEX[usize::from(b & 15)]);
                    }
                }
            }
        }
    }
}

impl Action {
    /// Appends the replacement for `s.value` to `out`.
    pub fn render(&self, s: &Subject<'_>, out: &mut Vec<u8>) {
        match self {
            Action::Placeholder(t) | Action::Pseudonym(t) => t.render(s, out),
            Action::Mask => {
                let chars = s.value.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
                out.extend(std::iter::repeat_n(b'*', chars));
            }
            Action::KeepLast(n) => {
                let alnum = s.value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
                let mut seen = 0;
                for &b in s.value {
                    if b.is_ascii_alphanumeric() {
                        seen += 1;
                        out.push(if seen + n > alnum { b } else { b'*' });
                    } else if b.is_ascii() {
                        out.push(b);
                    } else {
                        out.push(b'*');
                    }
                }
            }
            Action::DropField | Action::DropRecord | Action::Allow => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(value: &[u8]) -> Subject<'_> {
        Subject {
            rule: "card",
            category: "payment_card",
            value,
            key: Some(b"k"),
        }
    }

    #[test]
    fn placeholder_and_pseudonym_templates() {
        let mut out = Vec::new();
        let t = Template::parse(Template::DEFAULT_PLACEHOLDER, false).unwrap();
        Action::Placeholder(t).render(&subject(b"x"), &mut out);
        assert_eq!(out, b"[REDACTED:payment_card]");
        let t = Template::parse(Template::DEFAULT_PSEUDONYM, true).unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        Action::Pseudonym(t.clone()).render(&subject(b"jane@example.com"), &mut a);
        Action::Pseudonym(t).render(&subject(b"jane@example.com"), &mut b);
        assert_eq!(a, b);
        assert!(a.starts_with(b"[payment_card:") && a.len() == "[payment_card:]".len() + 8);
        assert!(Template::parse("{nope}", false).is_err());
        assert!(Template::parse("{hash}", false).is_err());
    }

    #[test]
    fn keep_last_keeps_separators() {
        let mut out = Vec::new();
        Action::KeepLast(4).render(&subject(b"4111 1111 1111 1234"), &mut out);
        assert_eq!(out, b"**** **** **** 1234");
        out.clear();
        Action::Mask.render(&subject("søren".as_bytes()), &mut out);
        assert_eq!(out, b"*****");
    }
}
