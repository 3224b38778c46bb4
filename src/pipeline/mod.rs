//! Moves batches of records from a [`Source`] through worker threads to a
//! [`Sink`], in order, with bounded memory.
//!
//! ```text
//! reader thread --work--> N workers (Scrubber each) --done--> writer (this thread)
//!      ^                                                         |
//!      +------------------- free batches (pool) -----------------+
//! ```
//! The pool holds a fixed number of batches, so a slow sink stops the reader
//! (backpressure) and memory stays bounded. The writer restores sequence
//! order, writes, flushes when idle, then runs the batch's acknowledgement
//! (a file checkpoint, for example): nothing is acknowledged before it was
//! written.

mod batch;

pub use batch::{Ack, Batch};

use std::collections::BTreeMap;
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::engine::EngineHandle;
use crate::metrics::Metrics;
use crate::stats::Counts;

/// Something that produces raw records.
pub trait Source: Send {
    /// Appends whole records to `batch.input`, each ending in `\n` (the last
    /// record of the input may lack it). Returns `Ok(false)` once the source
    /// is exhausted and nothing was added. May block until data arrives.
    fn fill(&mut self, batch: &mut Batch) -> io::Result<bool>;
}

/// Something that takes scrubbed records.
pub trait Sink {
    /// Writes scrubbed bytes (whole records).
    fn write(&mut self, data: &[u8]) -> io::Result<()>;
    /// Writes `parts` one after the other, as if they were one buffer; each
    /// holds whole records. Sinks that can write them in one call (a
    /// vectored write) override this.
    fn write_parts(&mut self, parts: &mut [IoSlice<'_>]) -> io::Result<()> {
        parts.iter().try_for_each(|p| self.write(p))
    }
    /// Makes everything written so far durable or visible downstream.
    fn flush(&mut self) -> io::Result<()>;
}

/// Tuning of a pipeline run.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target size of a batch in bytes; a batch is shipped earlier when the
    /// source has no more data at hand, so live streams are not delayed.
    pub batch_bytes: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_bytes: 256 * 1024,
        }
    }
}

/// Why a run ended early.
#[derive(Debug)]
pub enum PipelineError {
    /// Reading the source failed.
    Source(io::Error),
    /// Writing the sink failed (a closed pipe included; see [`PipelineError::is_closed_output`]).
    Sink(io::Error),
}

impl PipelineError {
    /// True when the downstream reader went away (`logscrub | head`).
    pub fn is_closed_output(&self) -> bool {
        matches!(self, PipelineError::Sink(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl std::fmt::Display for PipelineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PipelineError::Source(e) => write!(f, "reading input failed: {e}"),
            PipelineError::Sink(e) => write!(f, "writing output failed: {e}"),
        }
    }
}

impl std::error::Error for PipelineError {}

/// A flag that asks a run to stop reading and drain. Sources poll it.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }
    /// Asks the run to stop reading; in-flight batches are still written.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// The raw flag, for signal handlers.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// Runs the pipeline until the source is exhausted (or stops on shutdown)
/// and every batch has been written and acknowledged. Returns the totals.
pub fn run(
    engine: &EngineHandle,
    source: &mut dyn Source,
    sink: &mut dyn Sink,
    opts: &PipelineOptions,
    metrics: Option<&Metrics>,
) -> Result<Counts, PipelineError> {
    let threads = opts.threads.max(1);
    let pool_size = threads * 2 + 2;
    let (free_tx, free_rx) = bounded::<Batch>(pool_size);
    let (work_tx, work_rx) = bounded::<Batch>(pool_size);
    let (done_tx, done_rx) = bounded::<Batch>(pool_size);
    for _ in 0..pool_size {
        free_tx
            .send(Batch::with_capacity(opts.batch_bytes))
            .expect("pool channel has room");
    }
    let mut total = Counts::with_rules(engine.current().rules().len());

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_loop(source, free_rx, work_tx));
        for _ in 0..threads {
            let work_rx = work_rx.clone();
            let done_tx = done_tx.clone();
            let engine = engine.clone();
            scope.spawn(move || work_loop(&engine, work_rx, done_tx));
        }
        drop(work_rx);
        drop(done_tx);
        let written = write_loop(sink, &done_rx, &free_tx, &mut total, engine, metrics);
        // Unblock the reader if the writer stopped early: it waits on `free`.
        drop(free_tx);
        drop(done_rx);
        let read = reader.join().expect("reader thread panicked");
        written?;
        read.map_err(PipelineError::Source)
    })?;
    Ok(total)
}

fn read_loop(
    source: &mut dyn Source,
    free: Receiver<Batch>,
    work: Sender<Batch>,
) -> io::Result<()> {
    let mut seq = 0;
    while let Ok(mut batch) = free.recv() {
        batch.reset(seq);
        if !source.fill(&mut batch)? {
            break;
        }
        seq += 1;
        if work.send(batch).is_err() {
            break;
        }
    }
    Ok(())
}

fn work_loop(engine: &EngineHandle, work: Receiver<Batch>, done: Sender<Batch>) {
    let mut generation = engine.generation();
    let mut scrubber = engine.current().scrubber();
    while let Ok(mut batch) = work.recv() {
        if engine.generation() != generation {
            generation = engine.generation();
            scrubber = engine.current().scrubber();
        }
        batch.scrub(&mut scrubber);
        if done.send(batch).is_err() {
            break;
        }
    }
}

fn write_loop(
    sink: &mut dyn Sink,
    done: &Receiver<Batch>,
    free: &Sender<Batch>,
    total: &mut Counts,
    engine: &EngineHandle,
    metrics: Option<&Metrics>,
) -> Result<(), PipelineError> {
    let mut next = 0u64;
    let mut pending: BTreeMap<u64, Batch> = BTreeMap::new();
    let mut unflushed = false;
    while let Ok(batch) = done.recv() {
        pending.insert(batch.seq, batch);
        while let Some(mut batch) = pending.remove(&next) {
            next += 1;
            let mut parts: Vec<IoSlice> = batch.output_parts().map(IoSlice::new).collect();
            sink.write_parts(&mut parts).map_err(PipelineError::Sink)?;
            unflushed = true;
            // Flush when nothing else is ready (live streams see records at
            // once) and always before acknowledging.
            if batch.ack.is_some() || (done.is_empty() && !pending.contains_key(&next)) {
                sink.flush().map_err(PipelineError::Sink)?;
                unflushed = false;
            }
            if let Some(ack) = batch.ack.take() {
                ack();
            }
            total.add(&batch.counts);
            if let Some(m) = metrics {
                m.observe_batch(
                    &batch.counts,
                    &engine.current(),
                    batch.started.map(|t| t.elapsed()),
                );
            }
            let _ = free.send(batch);
        }
    }
    if unflushed {
        sink.flush().map_err(PipelineError::Sink)?;
    }
    Ok(())
}
