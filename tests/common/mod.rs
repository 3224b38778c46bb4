//! Helpers shared by the integration tests: the binary under test, fed
//! through a real pipe, its peak memory, and its HTTP endpoints. Each test
//! crate uses a part.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `logscrub` binary that cargo built for these tests.
pub fn logscrub() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logscrub"))
}

/// Runs `cmd` with `input` on stdin and collects its output. Stdin is
/// written from a second thread, so a large input cannot deadlock against
/// a full stdout pipe; a write error (the process exited early) is left to
/// the caller's assertions on the output.
pub fn run_with(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logscrub");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for logscrub");
    writer.join().expect("stdin writer");
    out
}

/// `logscrub ARGS` over `input`.
pub fn run(args: &[&str], input: &[u8]) -> Output {
    let mut cmd = logscrub();
    cmd.args(args);
    run_with(cmd, input)
}

/// `logscrub ARGS` over `input`, which must succeed; its stdout.
pub fn run_ok(args: &[&str], input: &[u8]) -> Vec<u8> {
    let out = run(args, input);
    assert!(
        out.status.success(),
        "logscrub {args:?} exited {:?}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Peak resident memory (VmHWM) of a live process in KiB; 0 when it cannot
/// be read.
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:`port`: the status and body, or `None` when
/// nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// Polls `f` every 50 ms until it holds or `timeout` has passed (then asks
/// once more).
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}
