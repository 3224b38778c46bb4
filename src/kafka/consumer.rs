//! The source side: a consumer-group member that scrubs each record value
//! and hands it to the output (a topic, stdout or a file).
//!
//! Data flow, one thread:
//! `BaseConsumer::poll` -> [`OffsetTracker::begin`] -> `Scrubber` (per line of
//! the value) -> `Output` (producer queue, or a buffered writer) ->
//! delivery report / flush -> [`OffsetTracker::done`] -> `store_offsets`
//! -> librdkafka auto-commit (every second) and a synchronous commit on
//! revoke and shutdown.
//!
//! On partition revocation ([`ScrubContext::pre_rebalance`]) and on
//! SIGTERM/SIGINT the loop stops fetching, drains in-flight records within
//! `--grace-period`, stores and commits their offsets, then (on shutdown)
//! leaves the group.

use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

use super::offsets::{InputPos, OffsetTracker};
use super::producer::{OutRecord, Producer, SendError};
use super::{client_config, KafkaOptions, Log, Role, OVERSIZE_MARKER};
use crate::config::KafkaEndpoint;
use crate::engine::{EngineHandle, Scrubber, Verdict};
use crate::metrics::Metrics;
use crate::pipeline::Shutdown;
use crate::stats::Counts;

/// Where scrubbed values go.
pub enum OutputSpec {
    /// A Kafka topic (may be on other brokers than the input).
    Topic { brokers: String, topic: String },
    /// A byte stream (stdout, a file): one line per value.
    Writer(Box<dyn Write + Send>),
}

/// The output with its in-flight bookkeeping.
enum Output {
    Topic {
        producer: Producer,
        topic: String,
    },
    Writer {
        writer: io::BufWriter<Box<dyn Write + Send>>,
        /// Written but not flushed: finished once flushed.
        unflushed: Vec<InputPos>,
        last_flush: Instant,
    },
}

/// How a run ended badly.
#[derive(Debug)]
pub enum RunError {
    /// Bad settings (exit code 2).
    Usage(String),
    /// A failure while running (exit code 1).
    Failure(String),
}

impl Output {
    /// Serves delivery reports; flushes a writer that has waited long enough.
    fn poll(&mut self, tracker: &Mutex<OffsetTracker>) -> Result<(), String> {
        match self {
            Output::Topic { producer, .. } => producer.poll(),
            Output::Writer {
                unflushed,
                last_flush,
                ..
            } => {
                if unflushed.len() >= 10_000
                    || (!unflushed.is_empty() && last_flush.elapsed() >= Duration::from_millis(200))
                {
                    self.drain(tracker, Instant::now()).map(|_| ())
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Delivers or flushes everything in flight, until `deadline`. Returns
    /// how many records are still in flight.
    fn drain(
        &mut self,
        tracker: &Mutex<OffsetTracker>,
        deadline: Instant,
    ) -> Result<usize, String> {
        match self {
            Output::Topic { producer, .. } => producer.drain(deadline),
            Output::Writer {
                writer,
                unflushed,
                last_flush,
            } => {
                writer.flush().map_err(write_error)?;
                *last_flush = Instant::now();
                let mut t = tracker.lock().unwrap_or_else(|e| e.into_inner());
                for pos in unflushed.drain(..) {
                    t.done(pos);
                }
                Ok(0)
            }
        }
    }
}

fn write_error(e: io::Error) -> String {
    if e.kind() == io::ErrorKind::BrokenPipe {
        BROKEN_PIPE.to_string()
    } else {
        format!("writing output failed: {e}")
    }
}

const BROKEN_PIPE: &str = "output closed";

/// Consumer callbacks: rebalances (drain and commit on revoke), statistics
/// (lag), client logs. Owns the output so that a revoke can drain it.
pub struct ScrubContext {
    out: Mutex<Output>,
    tracker: Arc<Mutex<OffsetTracker>>,
    metrics: Arc<Metrics>,
    log: Log,
    topic: String,
    grace: Duration,
    /// Set once shutdown started: revokes triggered by closing must finish by then.
    deadline: Mutex<Option<Instant>>,
    /// A failure seen inside a callback; the loop stops on it.
    fatal: Mutex<Option<String>>,
}

impl ScrubContext {
    fn lock_out(&self) -> std::sync::MutexGuard<'_, Output> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_fatal(&self, msg: String) {
        let mut f = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(msg);
        }
    }

    fn take_fatal(&self) -> Option<String> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn drain_deadline(&self) -> Instant {
        let own = Instant::now() + self.grace;
        match *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(d) => d.min(own),
            None => own,
        }
    }

    /// Hands finished offsets to librdkafka for the next commit.
    fn store(&self, consumer: &BaseConsumer<ScrubContext>) {
        let ready = self
            .tracker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take_committable();
        if ready.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::with_capacity(ready.len());
        for (p, o) in ready {
            let _ = tpl.add_partition_offset(&self.topic, p, Offset::Offset(o));
        }
        if let Err(e) = consumer.store_offsets(&tpl) {
            self.log.limited(&format!(
                "could not store offsets of topic `{}`: {e}",
                self.topic
            ));
        }
        let t = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        self.metrics
            .kafka_in_flight
            .store(t.in_flight() as u64, Ordering::Relaxed);
    }

    /// Drains the output, stores and commits synchronously.
    fn drain_and_commit(&self, consumer: &BaseConsumer<ScrubContext>, why: &str) {
        let deadline = self.drain_deadline();
        let drained = self.lock_out().drain(&self.tracker, deadline);
        let unfinished = self
            .tracker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .in_flight();
        match drained.map(|left| left.max(unfinished)) {
            Ok(0) => {}
            Ok(left) => self.log.line(&format!(
                "{why}: {left} record(s) still undelivered after the grace period; \
                 they are not committed and will be read again"
            )),
            Err(e) if e == BROKEN_PIPE => {}
            Err(e) => self.set_fatal(e),
        }
        self.store(consumer);
        if consumer.assignment_lost() {
            return;
        }
        match consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => {}
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                self.metrics
                    .kafka_commit_errors
                    .fetch_add(1, Ordering::Relaxed);
                self.log.line(&format!(
                    "{why}: committing offsets failed: {e}; uncommitted records will be read again"
                ));
            }
        }
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<i32> {
    tpl.elements().iter().map(|e| e.partition()).collect()
}

impl ClientContext for ScrubContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.client_log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.metrics
            .kafka_client_errors
            .fetch_add(1, Ordering::Relaxed);
        self.log.client_error(&error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        if let Some(topic) = statistics.topics.get(&self.topic) {
            let lag: i64 = topic
                .partitions
                .iter()
                .filter(|(&p, s)| p >= 0 && s.consumer_lag >= 0)
                .map(|(_, s)| s.consumer_lag)
                .sum();
            self.metrics.kafka_lag.store(lag as u64, Ordering::Relaxed);
        }
    }
}

impl ConsumerContext for ScrubContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                self.metrics
                    .kafka_rebalances
                    .fetch_add(1, Ordering::Relaxed);
                let parts = partitions(tpl);
                self.log.line(&format!(
                    "partitions {parts:?} of topic `{}` revoked: draining and committing",
                    self.topic
                ));
                self.drain_and_commit(consumer, "revoke");
                let mut t = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
                for p in parts {
                    t.revoke(p);
                }
                self.metrics
                    .kafka_assigned_partitions
                    .store(t.partitions().len() as u64, Ordering::Relaxed);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => self.log.line(&format!("rebalance failed: {e}")),
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            self.metrics
                .kafka_rebalances
                .fetch_add(1, Ordering::Relaxed);
            let parts = partitions(tpl);
            let mut t = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
            for &p in &parts {
                t.assign(p);
            }
            self.metrics
                .kafka_assigned_partitions
                .store(t.partitions().len() as u64, Ordering::Relaxed);
            drop(t);
            self.log.line(&format!(
                "assigned partitions {parts:?} of topic `{}`",
                self.topic
            ));
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                self.metrics
                    .kafka_commit_errors
                    .fetch_add(1, Ordering::Relaxed);
                self.log.limited(&format!("offset commit failed: {e}"));
            }
        }
    }
}

/// Scrubs one value: each line separately when it holds newlines. Lines
/// dropped by a rule are left out; `Dropped` when nothing is left.
pub fn scrub_value(scrubber: &mut Scrubber, value: &[u8], out: &mut Vec<u8>) -> Verdict {
    if memchr::memchr(b'\n', value).is_none() {
        return scrubber.scrub(value, out);
    }
    let mut kept = false;
    let mut redacted = false;
    for line in value.split(|&b| b == b'\n') {
        let mark = out.len();
        if kept {
            out.push(b'\n');
        }
        let (record, cr) = match line.strip_suffix(b"\r") {
            Some(r) => (r, true),
            None => (line, false),
        };
        match scrubber.scrub(record, out) {
            Verdict::Dropped => {
                out.truncate(mark);
                continue;
            }
            Verdict::Redacted => redacted = true,
            Verdict::Clean => {}
        }
        if cr {
            out.push(b'\r');
        }
        kept = true;
    }
    match (kept, redacted) {
        (false, _) => Verdict::Dropped,
        (true, true) => Verdict::Redacted,
        (true, false) => Verdict::Clean,
    }
}

/// Per-loop scrubbing state.
struct Work {
    engine: EngineHandle,
    generation: u64,
    scrubber: Scrubber,
    buf: Vec<u8>,
    counts: Counts,
    total: Counts,
    last_metrics: Instant,
}

impl Work {
    fn publish(&mut self, metrics: &Metrics) {
        self.scrubber.drain_counts_into(&mut self.counts);
        metrics.observe_batch(&self.counts, &self.engine.current(), None);
        self.total.add(&self.counts);
        self.counts.clear();
        self.last_metrics = Instant::now();
    }
}

/// Consumes `from` in its group until SIGTERM/SIGINT (the `shutdown` flag)
/// or a fatal error, scrubbing every value into `to`. Returns the totals.
pub fn run(
    from: &KafkaEndpoint,
    to: OutputSpec,
    opts: &KafkaOptions,
    engine: &EngineHandle,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
) -> Result<Counts, RunError> {
    let settings = &opts.settings;
    let group = from
        .group
        .clone()
        .or_else(|| settings.get(Role::Consumer, "group.id"))
        .ok_or_else(|| {
            RunError::Usage(format!(
                "--from kafka:// needs a consumer group: kafka://{}/{}?group=GROUP",
                from.brokers, from.topic
            ))
        })?;
    let tracker = Arc::new(Mutex::new(OffsetTracker::new()));
    let out = match to {
        OutputSpec::Topic { brokers, topic } => {
            if topic == from.topic && brokers == from.brokers {
                return Err(RunError::Usage(
                    "--to names the input topic; write scrubbed records to another topic".into(),
                ));
            }
            let producer = Producer::new(
                &brokers,
                settings,
                tracker.clone(),
                metrics.clone(),
                Some(shutdown.clone()),
            )
            .map_err(RunError::Usage)?;
            Output::Topic { producer, topic }
        }
        OutputSpec::Writer(w) => Output::Writer {
            writer: io::BufWriter::with_capacity(256 * 1024, w),
            unflushed: Vec::new(),
            last_flush: Instant::now(),
        },
    };
    let context = ScrubContext {
        out: Mutex::new(out),
        tracker: tracker.clone(),
        metrics: metrics.clone(),
        log: Log::new(),
        topic: from.topic.clone(),
        grace: opts.grace_period,
        deadline: Mutex::new(None),
        fatal: Mutex::new(None),
    };
    let mut config = client_config(&from.brokers, Role::Consumer, settings);
    config.set("group.id", &group);
    let consumer: BaseConsumer<ScrubContext> =
        config.create_with_context(context).map_err(|e| {
            RunError::Usage(format!(
                "cannot create the Kafka consumer: {e}; check the -X settings"
            ))
        })?;
    consumer.subscribe(&[&from.topic]).map_err(|e| {
        RunError::Failure(format!("cannot subscribe to topic `{}`: {e}", from.topic))
    })?;
    let ctx = consumer.context();
    ctx.log.line(&format!(
        "consuming topic `{}` at {} as group `{group}`",
        from.topic, from.brokers
    ));

    let current = engine.current();
    let mut work = Work {
        engine: engine.clone(),
        generation: engine.generation(),
        scrubber: current.scrubber(),
        buf: Vec::with_capacity(64 * 1024),
        counts: Counts::with_rules(current.rules().len()),
        total: Counts::with_rules(current.rules().len()),
        last_metrics: Instant::now(),
    };
    let mut fatal: Option<String> = None;
    let mut last_store = Instant::now();
    let mut since_store = 0u32;

    while !shutdown.is_triggered() {
        if let Some(e) = ctx.take_fatal() {
            fatal = Some(e);
            break;
        }
        since_store += 1;
        if since_store >= 1000 || last_store.elapsed() >= Duration::from_millis(100) {
            if let Err(e) = ctx.lock_out().poll(&tracker) {
                fatal = Some(e);
                break;
            }
            ctx.store(&consumer);
            since_store = 0;
            last_store = Instant::now();
        }
        if work.last_metrics.elapsed() >= Duration::from_secs(1) {
            work.publish(&metrics);
        }
        let msg = match consumer.poll(Duration::from_millis(100)) {
            None => continue,
            Some(Err(e)) => {
                metrics.kafka_client_errors.fetch_add(1, Ordering::Relaxed);
                let hint = match e.rdkafka_error_code() {
                    Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
                        "; create the topic or fix --from"
                    }
                    _ => "",
                };
                // Broker outages are reported by the client error callback.
                if !matches!(
                    e.rdkafka_error_code(),
                    Some(
                        RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown
                    )
                ) {
                    let key = format!("consumer {:?}", e.rdkafka_error_code());
                    ctx.log
                        .limited_by(&key, &format!("kafka consumer: {e}{hint}"));
                }
                continue;
            }
            Some(Ok(m)) => m,
        };
        metrics.kafka_consumed.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = process(&msg, ctx, &tracker, &mut work, opts) {
            match e {
                SendError::Shutdown => {}
                SendError::Fatal(e) => fatal = Some(e),
            }
            break;
        }
    }

    // Shutdown: stop fetching, drain, commit, leave the group, all within
    // the grace period; a watchdog ends the process if the broker hangs.
    let deadline = Instant::now() + opts.grace_period;
    *ctx.deadline.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(deadline - Duration::from_millis(500).min(opts.grace_period / 4));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let grace = opts.grace_period;
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(grace) {
            eprintln!(
                "logscrub: shutdown did not finish within the grace period ({} s); exiting. \
                 Uncommitted records will be read again by the group",
                grace.as_secs()
            );
            std::process::exit(crate::app::EXIT_FAILURE);
        }
    });
    if shutdown.is_triggered() && fatal.is_none() {
        ctx.log
            .line("stopping: draining in-flight records and committing offsets");
    }
    ctx.drain_and_commit(&consumer, "shutdown");
    if fatal.is_none() {
        fatal = ctx.take_fatal();
    }
    work.publish(&metrics);
    let total = std::mem::take(&mut work.total);
    // Dropping the consumer closes it: revoke (already drained), leave group.
    drop(consumer);
    let _ = done_tx.send(());
    match fatal {
        Some(e) if e == BROKEN_PIPE => Ok(total),
        Some(e) => Err(RunError::Failure(e)),
        None => Ok(total),
    }
}

/// Scrubs one consumed record and hands it to the output.
fn process(
    msg: &BorrowedMessage<'_>,
    ctx: &ScrubContext,
    tracker: &Mutex<OffsetTracker>,
    work: &mut Work,
    opts: &KafkaOptions,
) -> Result<(), SendError> {
    let pos = tracker
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .begin(msg.partition(), msg.offset());
    if work.engine.generation() != work.generation {
        work.generation = work.engine.generation();
        work.scrubber.drain_counts_into(&mut work.counts);
        work.scrubber = work.engine.current().scrubber();
    }
    let value = msg.payload();
    let len = value.map_or(0, <[u8]>::len);
    work.counts.bytes_in += len as u64;
    work.buf.clear();
    let mut oversize = false;
    let verdict = match value {
        None => Verdict::Clean,
        Some(v) if v.len() > opts.max_line_bytes => {
            oversize = true;
            work.counts.records += 1;
            work.counts.oversize += 1;
            work.buf.extend_from_slice(OVERSIZE_MARKER);
            Verdict::Redacted
        }
        Some(v) => scrub_value(&mut work.scrubber, v, &mut work.buf),
    };
    if verdict == Verdict::Dropped {
        tracker.lock().unwrap_or_else(|e| e.into_inner()).done(pos);
        return Ok(());
    }
    work.counts.bytes_out += work.buf.len() as u64;
    let mut out = ctx.lock_out();
    match &mut *out {
        Output::Writer {
            writer, unflushed, ..
        } => {
            if value.is_some() {
                let w = writer
                    .write_all(&work.buf)
                    .and_then(|_| writer.write_all(b"\n"));
                if let Err(e) = w {
                    return Err(SendError::Fatal(write_error(e)));
                }
            }
            unflushed.push(pos);
            Ok(())
        }
        Output::Topic { producer, topic } => {
            let mut headers = msg.headers().map(|h| h.detach());
            let target: &str = if oversize {
                let Some(dlq) = opts.dead_letter_topic.as_deref() else {
                    return Err(SendError::Fatal(format!(
                        "the record at topic `{}` partition {} offset {} is {len} bytes, over \
                         --max-line-bytes {}; it was not passed on and its offset is not \
                         committed. Raise --max-line-bytes or set --dead-letter-topic",
                        ctx.topic,
                        msg.partition(),
                        msg.offset(),
                        opts.max_line_bytes
                    )));
                };
                producer
                    .metrics()
                    .kafka_dead_lettered
                    .fetch_add(1, Ordering::Relaxed);
                let source = format!("{}/{}/{}", ctx.topic, msg.partition(), msg.offset());
                let bytes = len.to_string();
                let h = headers
                    .take()
                    .unwrap_or_else(|| OwnedHeaders::new_with_capacity(3));
                headers = Some(
                    h.insert(Header {
                        key: "logscrub-reason",
                        value: Some("oversize-record"),
                    })
                    .insert(Header {
                        key: "logscrub-source",
                        value: Some(&source),
                    })
                    .insert(Header {
                        key: "logscrub-original-bytes",
                        value: Some(&bytes),
                    }),
                );
                dlq
            } else {
                topic
            };
            producer.send(OutRecord {
                topic: target,
                key: msg.key(),
                value: value.map(|_| &work.buf[..]),
                headers,
                timestamp: msg.timestamp().to_millis(),
                pos: Some(pos),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, LoadOptions};

    fn scrub(value: &[u8]) -> (Vec<u8>, Verdict) {
        let engine = Engine::load(&LoadOptions::default()).unwrap();
        let mut s = engine.scrubber();
        let mut out = Vec::new();
        let v = scrub_value(&mut s, value, &mut out);
        (out, v)
    }

    #[test]
    fn multi_line_values_keep_their_line_structure() {
        let (out, v) = scrub(b"first line\r\nsecond line\n");
        assert_eq!(out, b"first line\r\nsecond line\n");
        assert_eq!(v, Verdict::Clean);
        let (out, _) = scrub(b"");
        assert_eq!(out, b"");
    }

    #[test]
    fn emails_in_every_line_are_scrubbed() {
        let (out, v) = scrub(b"a alice@example.com\nb bob.smith@example.com");
        assert_eq!(v, Verdict::Redacted);
        assert!(!String::from_utf8_lossy(&out).contains("@example.com"));
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
