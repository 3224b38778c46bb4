//! Runs the `match`, `no_match` and `redact` examples of every built-in rule
//! (each rule alone), as `logscrub check` does.

use logscrub::{Engine, LoadOptions};

#[test]
fn builtin_rule_examples_pass() {
    let opts = LoadOptions::default();
    let engine = Engine::load(&opts).expect("built-in rules load");
    let report = logscrub::rules::examples::run_all(&engine, &opts);
    for f in &report.failures {
        println!("{f}");
    }
    println!(
        "{} rules, {} examples, {} failed",
        engine.rules().len(),
        report.examples,
        report.failures.len()
    );
    assert!(report.examples > 0);
    assert!(
        report.failures.is_empty(),
        "{} example(s) failed",
        report.failures.len()
    );
}

#[test]
fn every_content_and_key_rule_has_examples() {
    // Allow rules never redact, so they can only carry `no_match` examples.
    let text: Vec<(&str, &str)> = vec![
        ("allow.toml", include_str!("../rules/allow.toml")),
        ("contact.toml", include_str!("../rules/contact.toml")),
        (
            "credentials.toml",
            include_str!("../rules/credentials.toml"),
        ),
        ("fields.toml", include_str!("../rules/fields.toml")),
        ("health.toml", include_str!("../rules/health.toml")),
        ("identity.toml", include_str!("../rules/identity.toml")),
    ];
    let mut problems = Vec::new();
    for (file, src) in text {
        let doc: toml::Value = toml::from_str(src).expect("valid TOML");
        for rule in doc
            .get("rule")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let id = rule["id"].as_str().unwrap_or("?");
            let allow = rule.get("action").and_then(|a| a.as_str()) == Some("allow");
            let ex = rule.get("examples");
            let count = |k: &str| {
                ex.and_then(|e| e.get(k))
                    .and_then(|v| v.as_array())
                    .map_or(0, |a| a.len())
            };
            if (!allow && count("match") < 2) || count("no_match") < 2 {
                problems.push(format!(
                    "{file}: rule `{id}` needs at least 2 match and 2 no_match examples"
                ));
            }
        }
    }
    for p in &problems {
        println!("{p}");
    }
    assert!(problems.is_empty());
}
