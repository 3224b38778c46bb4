//! The sidecar control plane: logscrub's own logs, signals, rule reloads
//! and the HTTP endpoints.
//!
//! Beside the data flow: [`start`] runs one background thread with a small
//! tokio runtime. SIGTERM/SIGINT trigger the pipeline's [`Shutdown`] (the
//! source stops reading, in-flight batches are written and acknowledged,
//! `main` returns 0) and arm a watchdog that exits 1 after the grace period.
//! SIGHUP recompiles the rules and swaps them in with
//! [`EngineHandle::replace`]; a bad rule set keeps the old one running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use crate::engine::{Engine, EngineHandle, LoadOptions};
use crate::http::{self, HttpState};
use crate::metrics::Metrics;
use crate::pipeline::Shutdown;

/// Sets up logscrub's own log lines on stderr (never record content).
/// `service`: sidecar mode logs from `info` up; the pipe filter only
/// errors, so `app | logscrub` stays quiet. `LOGSCRUB_LOG` (error, warn,
/// info, debug, trace) overrides the level.
pub fn init_logging(format: &str, service: bool) -> Result<(), String> {
    use tracing_subscriber::filter::LevelFilter;
    let level = match std::env::var("LOGSCRUB_LOG").ok().as_deref() {
        Some(l) => l.parse::<LevelFilter>().map_err(|_| {
            format!("LOGSCRUB_LOG=`{l}` is not a level; use error, warn, info, debug or trace")
        })?,
        None if service => LevelFilter::INFO,
        None => LevelFilter::ERROR,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let result = match format {
        "text" => builder.try_init(),
        "json" => builder.json().try_init(),
        other => {
            return Err(format!(
                "--log-format `{other}` is unknown; use text or json"
            ))
        }
    };
    // Already set (tests calling twice): keep the first.
    let _ = result;
    Ok(())
}

/// What the control thread needs.
pub struct ControlOptions {
    /// Serve /healthz, /readyz, /metrics here.
    pub metrics_addr: Option<String>,
    /// Handle SIGTERM, SIGINT and SIGHUP.
    pub signals: bool,
    /// Time allowed to drain after SIGTERM/SIGINT.
    pub grace: Duration,
    /// How rules are loaded again on SIGHUP.
    pub load: LoadOptions,
}

/// Binds the address and installs the signal handlers now (so that errors
/// are reported at start-up and no early signal is missed), then serves
/// them on a background thread.
pub fn start(
    opts: ControlOptions,
    engine: EngineHandle,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
    shutdown: Shutdown,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the control runtime: {e}"))?;
    let guard = rt.enter();
    let listener = match &opts.metrics_addr {
        Some(addr) => {
            let l = std::net::TcpListener::bind(addr).map_err(|e| {
                format!(
                    "cannot listen on --metrics-addr {addr}: {e}; choose another address or port"
                )
            })?;
            l.set_nonblocking(true).map_err(|e| e.to_string())?;
            let l = tokio::net::TcpListener::from_std(l).map_err(|e| e.to_string())?;
            tracing::info!(addr = %addr, "serving /healthz, /readyz and /metrics");
            Some(l)
        }
        None => None,
    };
    let signals = if opts.signals {
        let install = |kind: SignalKind| {
            signal(kind).map_err(|e| format!("cannot install a signal handler: {e}"))
        };
        Some((
            install(SignalKind::terminate())?,
            install(SignalKind::interrupt())?,
            install(SignalKind::hangup())?,
        ))
    } else {
        None
    };
    drop(guard);
    let state = HttpState {
        metrics: metrics.clone(),
        ready: ready.clone(),
        engine: engine.clone(),
    };
    std::thread::Builder::new()
        .name("logscrub-control".into())
        .spawn(move || {
            rt.block_on(async move {
                if let Some(listener) = listener {
                    tokio::spawn(http::serve(listener, state));
                }
                let Some((mut term, mut int, mut hup)) = signals else {
                    std::future::pending::<()>().await;
                    return;
                };
                loop {
                    tokio::select! {
                        _ = term.recv() => stop("SIGTERM", &shutdown, &ready, opts.grace),
                        _ = int.recv() => stop("SIGINT", &shutdown, &ready, opts.grace),
                        _ = hup.recv() => reload(&opts.load, &engine, &metrics).await,
                    }
                }
            })
        })
        .map_err(|e| format!("cannot start the control thread: {e}"))?;
    Ok(())
}

/// First signal: stop reading and drain, with a watchdog. Second: exit now.
fn stop(name: &str, shutdown: &Shutdown, ready: &AtomicBool, grace: Duration) {
    if shutdown.is_triggered() {
        tracing::error!(
            signal = name,
            "second stop signal; exiting without draining"
        );
        std::process::exit(1);
    }
    tracing::info!(signal = name, "stopping: draining in-flight records");
    ready.store(false, Ordering::SeqCst);
    shutdown.trigger();
    let secs = grace.as_secs();
    std::thread::spawn(move || {
        std::thread::sleep(grace);
        tracing::error!(
            grace_period_secs = secs,
            "drain did not finish within the grace period; exiting with code 1 \
             (records not yet written are read again at the next start; raise \
             --grace-period if the output is slow)"
        );
        std::process::exit(1);
    });
}

/// SIGHUP: recompiles the rule files; keeps the old rules on error.
async fn reload(load: &LoadOptions, engine: &EngineHandle, metrics: &Metrics) {
    tracing::info!("SIGHUP: reloading rules");
    let load = load.clone();
    match tokio::task::spawn_blocking(move || Engine::load(&load)).await {
        Ok(Ok(new)) => {
            let n = new.rules().len();
            engine.replace(new);
            metrics.rule_reloads.fetch_add(1, Ordering::Relaxed);
            tracing::info!(rules = n, "rules reloaded");
        }
        Ok(Err(errors)) => {
            metrics.rule_reload_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                "rule reload refused, the previous rules stay in force; fix these and \
                 send SIGHUP again (check with `logscrub check`):\n{errors}"
            );
        }
        Err(e) => {
            metrics.rule_reload_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "rule reload failed; the previous rules stay in force");
        }
    }
}
