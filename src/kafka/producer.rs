//! The sink side: produces scrubbed records and turns delivery reports into
//! finished input offsets.
//!
//! Data flow: [`Producer::send`] queues a scrubbed record (waiting while the
//! bounded librdkafka queue is full, never dropping) -> the broker
//! acknowledges -> [`DeliveryContext::delivery`] (run inside
//! [`Producer::poll`]) marks the input offset done in the shared
//! [`OffsetTracker`]. Failed deliveries come back with their bytes and are
//! sent again when the failure is transient; otherwise the run stops without
//! committing them.
//!
//! [`KafkaSink`] wraps a [`Producer`] as a pipeline [`Sink`] for
//! `--from - --to kafka://`.

use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

use super::offsets::{InputPos, OffsetTracker};
use super::{client_config, Log, Role, Settings};
use crate::metrics::Metrics;
use crate::pipeline::{Shutdown, Sink};

/// A delivery that failed, with what is needed to send it again.
pub(crate) struct Failed {
    pos: Option<InputPos>,
    error: KafkaError,
    message: OwnedMessage,
}

/// librdkafka callbacks of the producer: delivery reports and client logs.
pub struct DeliveryContext {
    tracker: Arc<Mutex<OffsetTracker>>,
    /// Records queued whose delivery report has not been served yet.
    outstanding: AtomicI64,
    failed: Mutex<Vec<Failed>>,
    metrics: Arc<Metrics>,
    log: Log,
}

/// Upper bound of delivery-report events served by one [`Producer::poll`],
/// so that a flood of reports cannot starve the consumer loop.
const MAX_EVENTS_PER_POLL: usize = 1_000;

impl ClientContext for DeliveryContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.client_log(level, fac, log_message);
    }
    fn error(&self, error: KafkaError, reason: &str) {
        self.metrics
            .kafka_client_errors
            .fetch_add(1, Ordering::Relaxed);
        self.log.client_error(&error, reason);
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Option<InputPos>>;

    fn delivery(&self, result: &DeliveryResult<'_>, pos: Self::DeliveryOpaque) {
        self.outstanding.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(_) => {
                self.metrics.kafka_produced.fetch_add(1, Ordering::Relaxed);
                if let Some(pos) = *pos {
                    self.tracker
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .done(pos);
                }
            }
            Err((error, message)) => {
                self.failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Failed {
                        pos: *pos,
                        error: error.clone(),
                        message: message.detach(),
                    });
            }
        }
    }
}

/// Whether a failed delivery is worth sending again (broker down, timeouts,
/// leader changes) rather than a configuration problem.
fn transient(error: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        error.rdkafka_error_code(),
        Some(
            MessageTimedOut
                | RequestTimedOut
                | BrokerTransportFailure
                | AllBrokersDown
                | NotEnoughReplicas
                | NotEnoughReplicasAfterAppend
                | LeaderNotAvailable
                | NotLeaderForPartition
                | NetworkException
                | QueueFull
                | OutOfOrderSequenceNumber
                | Retry
        )
    )
}

/// Why [`Producer::send`] gave up on a record.
#[derive(Debug)]
pub enum SendError {
    /// Shutdown was requested while the queue was full; the record was not
    /// queued and its offset is not finished.
    Shutdown,
    /// librdkafka refused the record for good (too large, unknown topic).
    Fatal(String),
}

/// One record to produce; borrowed from the consumed message and the
/// scrubber's output buffer.
pub struct OutRecord<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Option<OwnedHeaders>,
    pub timestamp: Option<i64>,
    /// The input record this finishes, if any (none for stdin input).
    pub pos: Option<InputPos>,
}

/// A librdkafka producer with a bounded queue and at-least-once retries.
pub struct Producer {
    inner: BaseProducer<DeliveryContext>,
    shutdown: Option<Shutdown>,
    pub(crate) tracker: Arc<Mutex<OffsetTracker>>,
}

impl Producer {
    /// Creates the producer; errors name the bad setting.
    pub fn new(
        brokers: &str,
        settings: &Settings,
        tracker: Arc<Mutex<OffsetTracker>>,
        metrics: Arc<Metrics>,
        shutdown: Option<Shutdown>,
    ) -> Result<Producer, String> {
        let context = DeliveryContext {
            tracker: tracker.clone(),
            outstanding: AtomicI64::new(0),
            failed: Mutex::new(Vec::new()),
            metrics,
            log: Log::new(),
        };
        let inner = client_config(brokers, Role::Producer, settings)
            .create_with_context(context)
            .map_err(|e| format!("cannot create the Kafka producer: {e}; check the -X settings"))?;
        Ok(Producer {
            inner,
            shutdown,
            tracker,
        })
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.context().metrics
    }

    /// Queues one record. While librdkafka's queue is full this serves
    /// delivery reports and tries again (backpressure), so nothing is dropped.
    pub fn send(&self, rec: OutRecord<'_>) -> Result<(), SendError> {
        let mut record: BaseRecord<'_, [u8], [u8], Box<Option<InputPos>>> =
            BaseRecord::with_opaque_to(rec.topic, Box::new(rec.pos));
        record.key = rec.key;
        record.payload = rec.value;
        record.headers = rec.headers;
        record.timestamp = rec.timestamp;
        loop {
            match self.inner.send(record) {
                Ok(()) => {
                    self.inner
                        .context()
                        .outstanding
                        .fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    if self.shutdown.as_ref().is_some_and(|s| s.is_triggered()) {
                        return Err(SendError::Shutdown);
                    }
                    self.inner.poll(Duration::from_millis(50));
                }
                Err((e, _)) => {
                    return Err(SendError::Fatal(format!(
                        "cannot produce to topic `{}`: {e}",
                        rec.topic
                    )))
                }
            }
        }
    }

    /// Serves delivery reports (non-blocking) and resends transient failures.
    ///
    /// One `poll` with a zero timeout serves one event, i.e. one batch of
    /// delivery reports; keep serving while reports arrive, so that input
    /// offsets are stored as soon as their records are delivered.
    pub fn poll(&self) -> Result<(), String> {
        let outstanding = || self.inner.context().outstanding.load(Ordering::Acquire);
        for _ in 0..MAX_EVENTS_PER_POLL {
            let before = outstanding();
            self.inner.poll(Duration::ZERO);
            if outstanding() == before {
                break;
            }
        }
        self.retry_failed()
    }

    /// Sends failed records again when the failure is transient; returns an
    /// error (and leaves their offsets unfinished) otherwise.
    fn retry_failed(&self) -> Result<(), String> {
        let failed = std::mem::take(
            &mut *self
                .inner
                .context()
                .failed
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for f in failed {
            let m = &f.message;
            let where_ = match f.pos {
                Some(p) => format!(" (input partition {} offset {})", p.partition, p.offset),
                None => String::new(),
            };
            if !transient(&f.error) {
                self.metrics()
                    .kafka_delivery_errors
                    .fetch_add(1, Ordering::Relaxed);
                return Err(format!(
                    "delivery to topic `{}` failed: {}{where_}; the record was not committed \
                     and will be read again after a restart. Check that the topic exists and \
                     accepts records of this size",
                    m.topic(),
                    f.error
                ));
            }
            // A record of a partition that was revoked meanwhile belongs to
            // its next owner, which reads it again.
            if let Some(pos) = f.pos {
                let tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
                if !tracker.partitions().contains(&pos.partition) {
                    continue;
                }
            }
            self.metrics()
                .kafka_delivery_retries
                .fetch_add(1, Ordering::Relaxed);
            self.inner.context().log.limited(&format!(
                "delivery to topic `{}` failed: {}; sending again",
                m.topic(),
                f.error
            ));
            let headers = m.headers().map(|h| {
                let mut out = OwnedHeaders::new_with_capacity(h.count());
                for hd in h.iter() {
                    out = out.insert(Header {
                        key: hd.key,
                        value: hd.value,
                    });
                }
                out
            });
            let rec = OutRecord {
                topic: m.topic(),
                key: m.key(),
                value: m.payload(),
                headers,
                timestamp: m.timestamp().to_millis(),
                pos: f.pos,
            };
            match self.send(rec) {
                Ok(()) => {}
                Err(SendError::Shutdown) => return Ok(()),
                Err(SendError::Fatal(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits until every queued record is delivered (resending transient
    /// failures) or `deadline` passes. Returns the number still in flight.
    pub fn drain(&self, deadline: Instant) -> Result<usize, String> {
        loop {
            self.retry_failed()?;
            // Records only: librdkafka's own queue also counts pending
            // error events while the broker is down.
            let left = self.in_flight() as i32;
            let now = Instant::now();
            if left == 0 || now >= deadline {
                return Ok(left.max(0) as usize);
            }
            let step = (deadline - now).min(Duration::from_millis(100));
            let _ = self.inner.flush(step);
        }
    }

    /// Records queued or in flight whose delivery report is not served yet
    /// (failed ones waiting to be sent again included).
    pub fn in_flight(&self) -> usize {
        let ctx = self.inner.context();
        let failed = ctx.failed.lock().unwrap_or_else(|e| e.into_inner()).len();
        ctx.outstanding.load(Ordering::Relaxed).max(0) as usize + failed
    }
}

/// A pipeline [`Sink`] that produces each scrubbed line as one record (no
/// key), for `--from - --to kafka://TOPIC` and `--from file:... --to kafka://`.
/// `flush` waits for every delivery, so a batch is acknowledged (checkpoint)
/// only after the broker has it.
pub struct KafkaSink {
    producer: Producer,
    topic: String,
}

impl KafkaSink {
    pub fn new(
        brokers: &str,
        topic: &str,
        settings: &Settings,
        metrics: Arc<Metrics>,
    ) -> Result<KafkaSink, String> {
        let tracker = Arc::new(Mutex::new(OffsetTracker::new()));
        Ok(KafkaSink {
            producer: Producer::new(brokers, settings, tracker, metrics, None)?,
            topic: topic.to_string(),
        })
    }
}

impl Sink for KafkaSink {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let mut rest = data;
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let rec = OutRecord {
                topic: &self.topic,
                key: None,
                value: Some(line),
                headers: None,
                timestamp: None,
                pos: None,
            };
            match self.producer.send(rec) {
                Ok(()) => {}
                Err(SendError::Shutdown) => {
                    return Err(io::Error::other(
                        "shutdown while the producer queue was full",
                    ))
                }
                Err(SendError::Fatal(e)) => return Err(io::Error::other(e)),
            }
        }
        self.producer.poll().map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        let far = Instant::now() + Duration::from_secs(24 * 3600);
        self.producer.drain(far).map_err(io::Error::other)?;
        Ok(())
    }
}
