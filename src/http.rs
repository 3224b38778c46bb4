//! `/healthz`, `/readyz` and `/metrics` over a minimal HTTP/1.1 responder
//! (`--metrics-addr`).
//!
//! Sits beside the data flow: it only reads the shared [`Metrics`] and the
//! readiness flag, on the control thread's tokio runtime (see
//! [`crate::sidecar`]). One request per connection, `Connection: close`.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::engine::EngineHandle;
use crate::metrics::Metrics;

/// What the endpoints report on.
#[derive(Clone)]
pub struct HttpState {
    pub metrics: Arc<Metrics>,
    /// True once rules are compiled and input and output are open.
    pub ready: Arc<AtomicBool>,
    pub engine: EngineHandle,
}

/// Accepts connections until the runtime stops.
pub async fn serve(listener: TcpListener, state: HttpState) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "metrics endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), handle(stream, &state)).await;
        });
    }
}

async fn handle(mut stream: TcpStream, state: &HttpState) -> io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n")
            || head.windows(2).any(|w| w == b"\n\n")
            || head.len() > 8192
        {
            break;
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    let (status, content_type, body) = respond(method, path, state);
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        response.extend_from_slice(body.as_bytes());
    }
    stream.write_all(&response).await?;
    stream.shutdown().await
}

fn respond(method: &str, path: &str, state: &HttpState) -> (&'static str, &'static str, String) {
    const TEXT: &str = "text/plain; charset=utf-8";
    if method != "GET" && method != "HEAD" {
        return ("405 Method Not Allowed", TEXT, "use GET\n".into());
    }
    match path {
        "/healthz" => ("200 OK", TEXT, "ok\n".into()),
        "/readyz" if state.ready.load(Ordering::SeqCst) => ("200 OK", TEXT, "ready\n".into()),
        "/readyz" => ("503 Service Unavailable", TEXT, "not ready\n".into()),
        "/metrics" => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            state.metrics.render_prometheus(
                Some(&state.engine.current()),
                state.ready.load(Ordering::SeqCst),
            ),
        ),
        _ => (
            "404 Not Found",
            TEXT,
            "not found; try /healthz, /readyz or /metrics\n".into(),
        ),
    }
}
