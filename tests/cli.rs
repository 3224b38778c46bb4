//! The `logscrub` binary as a user runs it: exit codes, streaming, stats,
//! closed pipes and hostile input.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{logscrub, peak_rss_kib, run};

fn rules_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const EMAIL_RULE: &str = r#"
[[rule]]
id = "test-email"
category = "email"
pattern = '''[a-z0-9.]+@[a-z0-9.]+\.[a-z]{2,}'''
"#;

#[test]
fn no_arguments_scrubs_stdin_with_builtin_rules() {
    let out = run(&[], b"login jane.doe@example.com ok\nplain line\n");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("jane.doe@example.com"), "{text}");
    assert!(text.contains("[REDACTED:email]"), "{text}");
    assert!(text.ends_with("plain line\n"));
    assert_eq!(text.lines().count(), 2);
}

#[test]
fn empty_input_gives_empty_output() {
    let out = run(&[], b"");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn line_endings_nul_bytes_and_invalid_utf8_survive_around_redactions() {
    let mut input =
        b"a jane@example.com\r\nb\x00c jane@example.com\n\xff\xfe jane@example.com \xc3\n".to_vec();
    input.extend_from_slice(b"last jane@example.com");
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(&dir, EMAIL_RULE);
    let out = run(&["--no-default-rules", "--rules", &rules], &input);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        b"a [REDACTED:email]\r\nb\x00c [REDACTED:email]\n\xff\xfe [REDACTED:email] \xc3\nlast [REDACTED:email]".to_vec()
    );
}

#[test]
fn oversize_records_are_replaced_never_passed_raw() {
    let long = format!("{}jane@example.com\n", "x".repeat(5000));
    let input = format!("short jane@example.com\n{long}after\n");
    let out = run(&["--max-line-bytes", "1000", "--stats"], input.as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "short [REDACTED:email]\n[REDACTED:oversize-record]\nafter\n"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 oversize"), "{err}");
}

#[test]
fn a_50_mb_line_is_replaced_with_bounded_memory() {
    let mut input = vec![b'a'; 50 << 20];
    input.extend_from_slice(b" jane@example.com\nnext\n");
    let out = run(&[], &input);
    assert!(out.status.success());
    assert_eq!(out.stdout, b"[REDACTED:oversize-record]\nnext\n");
}

#[test]
fn stats_report_counts_but_never_values() {
    let out = run(&["--stats"], b"mail jane.doe@example.com\nnothing\n");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 records"), "{err}");
    assert!(err.contains("MB/s"), "{err}");
    assert!(err.contains("(email): 1"), "{err}");
    assert!(err.contains("category email: 1"), "{err}");
    assert!(!err.contains("jane"), "{err}");
}

#[test]
fn bad_rules_exit_2_with_file_line_col_and_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        &dir,
        r#"[[rule]]
id = "broken-regex"
category = "x"
pattern = '''(unclosed'''

[[rule]]
id = "bad-validator"
category = "x"
pattern = 'abc'
validator = "nope"
"#,
    );
    for args in [vec!["--rules", &rules], vec!["check", &rules]] {
        let out = run(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("rules.toml:4:11: rule `broken-regex`: invalid pattern"),
            "{err}"
        );
        assert!(
            err.contains("rules.toml:10:13: rule `bad-validator`: unknown validator `nope`"),
            "{err}"
        );
    }
}

#[test]
fn toml_syntax_errors_point_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(&dir, "[[rule]]\nid = \"a\"\ncategory = \n");
    let out = run(&["check", &rules], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("rules.toml:3:"), "{err}");
}

#[test]
fn check_runs_rule_examples() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        &dir,
        r#"[[rule]]
id = "digits"
category = "number"
pattern = '\d{4}'
[rule.examples]
match = ["pin 1234"]
no_match = ["pin 12"]
redact = [{ input = "pin 1234", output = "pin [WRONG]" }]
"#,
    );
    let out = run(&["check", "--no-default-rules", &rules], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("rule `digits`: example \"pin 1234\" should become \"pin [WRONG]\""),
        "{err}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("1 rules, 3 examples, 1 failed"), "{stdout}");
}

#[test]
fn builtin_rules_pass_check() {
    let out = run(&["check"], b"");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["--threads", "0"], b"").status.code(), Some(2));
    assert_eq!(run(&["--no-such-flag"], b"").status.code(), Some(2));
    assert_eq!(run(&["--from", "gopher://x"], b"").status.code(), Some(2));
    assert_eq!(
        run(&["--rules", "/nonexistent/rules.toml"], b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["--help"], b"").status.code(), Some(0));
}

#[test]
fn closed_stdout_ends_quietly_with_0() {
    let mut child = logscrub()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let line = b"some log line with jane@example.com in it\n".repeat(1000);
        for _ in 0..2000 {
            if stdin.write_all(&line).is_err() {
                break;
            }
        }
    });
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn records_stream_out_as_they_arrive() {
    let mut child = logscrub()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for i in 0..3 {
        let started = Instant::now();
        writeln!(stdin, "event {i} from jane@example.com").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line, format!("event {i} from [REDACTED:email]\n"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn order_is_kept_with_many_threads() {
    let mut input = String::new();
    for i in 0..200_000 {
        input.push_str(&format!("{i} user{i}@example.com {{\"n\":{i}}}\n"));
    }
    let out = run(&["--threads", "4"], input.as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        assert_eq!(line, format!("{i} [REDACTED:email] {{\"n\":{i}}}"));
        n += 1;
    }
    assert_eq!(n, 200_000);
}

#[test]
fn a_slow_reader_slows_logscrub_down_without_loss_or_growth() {
    let mut child = logscrub()
        .args(["--threads", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    const LINES: usize = 300_000;
    let writer = std::thread::spawn(move || {
        let mut chunk = String::new();
        for i in 0..LINES {
            chunk.push_str(&format!(
                "{i} {{\"user\":\"u{i}@example.com\",\"pad\":\"{}\"}}\n",
                "x".repeat(40)
            ));
            if chunk.len() > 1 << 16 {
                stdin.write_all(chunk.as_bytes()).unwrap();
                chunk.clear();
            }
        }
        stdin.write_all(chunk.as_bytes()).unwrap();
    });
    // Read slowly: 64 KiB every 2 ms, well below what logscrub can produce.
    let mut stdout = child.stdout.take().unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut peak = 0;
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        peak = peak.max(peak_rss_kib(pid));
        std::thread::sleep(Duration::from_millis(2));
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), LINES, "every record comes out");
    assert!(!text.contains("@example.com"));
    eprintln!("slow reader: {LINES} records, peak RSS {peak} KiB");
    assert!(peak > 0 && peak < 64 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn a_rule_that_would_compile_huge_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        &dir,
        "[[rule]]\nid = \"huge\"\ncategory = \"x\"\npattern = '''(?:\\w{1,1000}\\d{1,1000}){1,1000}'''\n",
    );
    let started = Instant::now();
    let out = run(&["--no-default-rules", "--rules", &rules], b"x\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("rules.toml:4:11: rule `huge`: pattern is too large once compiled"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
