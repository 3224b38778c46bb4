//! End-to-end Kafka benchmark (run via scripts/kafka-bench.sh): starts a
//! tansu broker on a free 127.0.0.1 port, fills an input topic, runs one
//! `logscrub --from kafka:// --to kafka://` and measures the time until every
//! record is in the output topic.
//!
//! Usage: kafka_bench PATH/TO/logscrub [RECORDS] [PARTITIONS] [LOGSCRUB ARGS...]

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args
        .get(1)
        .expect("usage: kafka_bench LOGSCRUB [RECORDS] [PARTITIONS]");
    let records: u64 = args.get(2).map_or(200_000, |s| s.parse().unwrap());
    let partitions: u32 = args.get(3).map_or(4, |s| s.parse().unwrap());
    let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into());

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut broker = Command::new(&tansu)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://{addr}"),
            "--advertised-listener-url",
            &format!("tcp://{addr}"),
            "--storage-engine",
            "memory://tansu/",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tansu (install with .ci/kafka-broker.sh install)");
    while TcpStream::connect(&addr).is_err() {
        std::thread::sleep(Duration::from_millis(100));
    }
    for t in ["bench-raw", "bench-clean"] {
        let ok = Command::new(&tansu)
            .args([
                "topic",
                "create",
                t,
                "--partitions",
                &partitions.to_string(),
            ])
            .args(["--broker", &format!("tcp://{addr}")])
            .status()
            .unwrap()
            .success();
        assert!(ok, "topic create {t}");
    }

    // Realistic-ish JSON log lines, some with an email, ~200 bytes.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("linger.ms", "20")
        .create()
        .unwrap();
    let mut bytes = 0u64;
    let t = Instant::now();
    for i in 0..records {
        let v = format!(
            r#"{{"ts":"2024-05-01T12:00:{:02}Z","level":"info","svc":"checkout","req":"{i:016x}","msg":"order placed by user{i}@example.com from 10.0.{}.{}","amount":{}}}"#,
            i % 60,
            i % 250,
            i % 200,
            i % 1000
        );
        bytes += v.len() as u64;
        let key = format!("k{}", i % 1000);
        let mut rec = BaseRecord::to("bench-raw").key(&key).payload(&v);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    rec = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120)).unwrap();
    eprintln!(
        "filled input: {records} records, {bytes} bytes in {:?}",
        t.elapsed()
    );

    let from = format!("kafka://{addr}/bench-raw?group=bench");
    let to = format!("kafka://{addr}/bench-clean");
    let t = Instant::now();
    let mut ls = Command::new(bin)
        .args(["--from", &from, "--to", &to])
        .args(&args[4.min(args.len())..])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Count output records with a reader on every partition (tansu 0.6's
    // high watermarks are not exact, so they cannot be used).
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("group.id", "bench-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        tpl.add_partition_offset("bench-clean", p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut seen = 0u64;
    while seen < records && Instant::now() < deadline {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
            seen += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = Command::new("kill")
        .args(["-TERM", &ls.id().to_string()])
        .status();
    let _ = ls.wait();
    let _ = broker.kill();
    let _ = broker.wait();
    assert_eq!(seen, records, "not every record arrived within 600 s");
    println!(
        "kafka end to end: {records} records, {:.1} MB in {secs:.2} s: {:.0} records/s, {:.1} MB/s \
         (one instance, {partitions} partitions, tansu memory storage, includes start-up and group join)",
        bytes as f64 / 1e6,
        records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
