//! Audit: record content must never reach logscrub's own output channels
//! (stderr logs and errors, `--stats`, `scan` reports, `/metrics`,
//! `/healthz`, `/readyz`), whatever error path the record takes.
//!
//! Rule files are configuration, not records, and are out of scope here.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{free_port, http_get, run_with, wait_until};

/// Distinctive secrets; none of these strings may appear in diagnostics.
const SECRETS: &[&str] = &[
    "zqxleak.person@example.org",
    "zqxleak",
    "4111111111111111",
    "DE89370400440532013000",
    "070761-4285",
    "Zqx7Hunter2",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6cXhsZWFrIn0.c2lnbmF0dXJlX3pxeA",
    "c2lnbmF0dXJlX3pxeA",
];

/// A few records with every secret, in several formats.
fn dirty_records() -> String {
    [
        "login zqxleak.person@example.org card 4111111111111111 iban DE89370400440532013000",
        "level=info cpr=070761-4285 password=Zqx7Hunter2 msg=ok",
        r#"{"user":{"email":"zqxleak.person@example.org","password":"Zqx7Hunter2"}}"#,
        "auth Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6cXhsZWFrIn0.c2lnbmF0dXJlX3pxeA",
        "GET /r?e=zqxleak.person%40example.org HTTP/1.1",
    ]
    .join("\n")
        + "\n"
}

fn assert_clean(channel: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for s in SECRETS {
        assert!(
            !text.contains(s),
            "secret {s:?} leaked into {channel}:\n{text}"
        );
    }
}

/// The binary with the most verbose logging: the debug and trace paths
/// are audited too.
fn logscrub() -> Command {
    let mut c = common::logscrub();
    c.env("LOGSCRUB_LOG", "trace");
    c
}

/// `logscrub ARGS` (with trace logging) over `input`.
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut c = logscrub();
    c.args(args);
    run_with(c, input)
}

#[test]
fn stats_and_stdout_of_a_normal_run() {
    let out = run(&["--stats"], dirty_records().as_bytes());
    assert!(out.status.success());
    assert_clean("stdout", &out.stdout);
    assert_clean("--stats stderr", &out.stderr);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("5 records"), "{err}");
}

#[test]
fn json_log_format_and_stats() {
    let out = run(
        &["--stats", "--log-format", "json"],
        dirty_records().as_bytes(),
    );
    assert!(out.status.success());
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr (json logs)", &out.stderr);
}

#[test]
fn oversize_records() {
    let mut input = dirty_records().repeat(20).replace('\n', " ");
    input.push('\n');
    input.push_str(&dirty_records());
    let out = run(&["--stats", "--max-line-bytes", "200"], input.as_bytes());
    assert!(out.status.success());
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("[REDACTED:oversize-record]\n"));
}

#[test]
fn malformed_json_invalid_utf8_and_nul_bytes() {
    let input = [
        &br#"{"user":{"email":"zqxleak.person@example.org","password":"Zqx7Hunter2"}"#[..],
        b"\n{\"m\":\"card 4111111111111111 \xff\xfe\"}\n",
        b"[\"070761-4285\",\x00 DE89370400440532013000\n",
        b"{\"m\":\"\\uZZZZ zqxleak.person@example.org\"}\n",
        b"\xc3\x28 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6cXhsZWFrIn0.c2lnbmF0dXJlX3pxeA\n",
    ]
    .concat();
    let out = run(&["--stats"], &input);
    assert!(out.status.success());
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
}

#[test]
fn closed_stdout() {
    let mut child = logscrub()
        .args(["--stats"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let data = dirty_records().repeat(2000);
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(data.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_clean("stderr after EPIPE", &out.stderr);
}

#[test]
fn bad_output_paths() {
    for to in ["file:/nonexistent-dir-zq/out.log", "file:/proc/version"] {
        let out = run(&["--to", to, "--stats"], dirty_records().as_bytes());
        assert_clean(&format!("stdout with --to {to}"), &out.stdout);
        assert_clean(&format!("stderr with --to {to}"), &out.stderr);
    }
    // An unreachable broker: logscrub keeps the records and retries until
    // the broker comes back, logging why. Stop it after a few seconds of
    // that and audit what it said.
    let mut child = logscrub()
        .args(["--to", "kafka://127.0.0.1:1/topic", "--stats"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logscrub");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dirty_records().as_bytes())
        .unwrap();
    thread::sleep(Duration::from_secs(4));
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    assert_clean("stdout with an unreachable broker", &out.stdout);
    assert_clean("stderr with an unreachable broker", &out.stderr);
    // A full disk: /dev/full fails every write.
    if Path::new("/dev/full").exists() {
        let out = run(&["--to", "file:/dev/full"], dirty_records().as_bytes());
        assert_ne!(
            out.status.code(),
            Some(0),
            "writes to /dev/full failed silently"
        );
        assert_clean("stderr with --to file:/dev/full", &out.stderr);
    }
}

#[test]
fn bad_input_paths_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let secret_name = dir.path().join("zqxleak.person@example.org.log");
    // A path that names a secret is the operator's config; record content
    // is what we audit. A directory where a file is expected:
    fs::create_dir(dir.path().join("d.log")).unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "scan".into(),
            dir.path().join("missing.log").display().to_string(),
        ],
        vec!["--threads".into(), "0".into()],
        vec!["--max-line-bytes".into(), "-1".into()],
        vec![
            "scan".into(),
            dir.path().join("d.log").display().to_string(),
        ],
    ];
    for args in cases {
        let out = run(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            dirty_records().as_bytes(),
        );
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert_clean(&format!("stdout of {args:?}"), &out.stdout);
        assert_clean(&format!("stderr of {args:?}"), &out.stderr);
    }
    drop(secret_name);
}

#[test]
fn scan_reports_never_carry_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.log");
    let mut text = dirty_records();
    text.push_str(&"x".repeat(3000));
    text.push_str(" zqxleak.person@example.org\n");
    fs::write(&file, &text).unwrap();
    let f = file.display().to_string();
    for args in [
        vec!["scan", f.as_str()],
        vec!["scan", "--max-line-bytes", "1000", f.as_str()],
        vec!["scan", "-"],
    ] {
        let out = run(&args, text.as_bytes());
        assert_eq!(out.status.code(), Some(1), "{args:?}: found something");
        assert_clean(&format!("scan stdout {args:?}"), &out.stdout);
        assert_clean(&format!("scan stderr {args:?}"), &out.stderr);
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(report.contains("email"), "{report}");
    }
}

// ---------------------------------------------------------------------------
// Sidecar: scrape the real HTTP endpoints.

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sidecar_metrics_health_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    File::create(&log).unwrap();
    let out_path = dir.path().join("out.txt");
    let err_path = dir.path().join("err.txt");
    let port = free_port();
    let child = logscrub()
        .arg("--from")
        .arg(format!("file:{}/*.log", dir.path().display()))
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--max-line-bytes", "400", "-j", "2"])
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    assert!(
        wait_until(Duration::from_secs(20), || http_get(port, "/readyz")
            .map(|r| r.0)
            == Some(200)),
        "not ready: {}",
        fs::read_to_string(&err_path).unwrap_or_default()
    );
    // Normal records, an oversize one, malformed JSON and invalid UTF-8.
    let mut body = dirty_records().into_bytes();
    body.extend_from_slice(dirty_records().replace('\n', " ").as_bytes());
    body.push(b'\n');
    body.extend_from_slice(b"{\"m\":\"zqxleak.person@example.org\"\n\xff 4111111111111111 \xfe\n");
    let lines_in = body.iter().filter(|&&b| b == b'\n').count();
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(&body)
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || fs::read(&out_path)
            .map(|o| o.iter().filter(|&&b| b == b'\n').count() == lines_in)
            .unwrap_or(false)),
        "output did not arrive"
    );
    for path in [
        "/metrics",
        "/healthz",
        "/readyz",
        "/nope",
        "/metrics?x=zqxleak",
    ] {
        let (_, text) = http_get(port, path).expect("HTTP answer");
        if path != "/metrics?x=zqxleak" {
            assert_clean(&format!("HTTP {path}"), text.as_bytes());
        } else {
            // The query string is the scraper's, not a record; still, it must
            // not be reflected anywhere but where the client put it.
            assert!(!text.contains("zqxleak"), "request echoed: {text}");
        }
    }
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains("logscrub_records_in_total"), "{metrics}");
    // Truncate the file (a copytruncate rotation) and write again.
    fs::write(&log, dirty_records()).unwrap();
    thread::sleep(Duration::from_millis(500));
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert_clean("HTTP /metrics after truncation", metrics.as_bytes());
    // SIGTERM: shutdown logs too.
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGTERM) };
    let end = Instant::now() + Duration::from_secs(20);
    while child.0.try_wait().unwrap().is_none() && Instant::now() < end {
        thread::sleep(Duration::from_millis(20));
    }
    let err = fs::read(&err_path).unwrap();
    // Trace logging was on: the audit saw real log lines, not silence.
    assert!(!err.is_empty(), "no log lines at LOGSCRUB_LOG=trace");
    assert_clean("sidecar stderr", &err);
    assert_clean("sidecar stdout", &fs::read(&out_path).unwrap());
}
