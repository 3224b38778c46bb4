//! Criterion benchmarks: one record through the engine with the built-in
//! rules, by kind of record, the whole pipeline over an in-memory mixed
//! corpus, and that corpus's records one by one against records whose
//! first passes run side by side (`first_pass/*`). `cargo bench` runs
//! them; `scripts/bench.sh` measures the binary.
//! `floor/table_walk` measures the machine: one dependent table lookup per
//! byte, the inner loop of every DFA, which no automaton pass can beat;
//! `floor/table_walk_x2` walks two halves in one loop, as the literal scan
//! and the content gate do.

use std::io::Cursor;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logscrub::pipeline::{self, PipelineOptions};
use logscrub::sink::WriterSink;
use logscrub::source::ReaderSource;
use logscrub::{Engine, EngineHandle, LoadOptions, Scrubber};

const RECORDS: &[(&str, &str)] = &[
    ("clean_text", "2026-11-23T10:00:00.123Z INFO [checkout] GET /api/v1/cycles 200 31ms trace=4bf92f3577b34da6a3ce929d0e0e4736 pod=web-7d9f8b6c5-x2x9z version=1.14.2"),
    ("clean_json", r#"{"ts":"2026-11-23T10:00:01Z","level":"INFO","service":"sync","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","http":{"method":"GET","path":"/api/v2/users/me","status":200,"duration_ms":12,"bytes":5120},"msg":"request completed"}"#),
    ("clean_logfmt", r#"ts=2026-11-23T10:00:02Z level=info service=push msg="cache refreshed" keys=1200 took=31ms build=4bf92f3577b3"#),
    ("dirty_text", "2026-11-23T10:00:03Z INFO auth login ok for jane.doe@example.com from 203.0.113.7 session_id=9f8e7d6c5b4a3f2e1d0c"),
    ("dirty_json", r#"{"ts":"2026-11-23T10:00:04Z","event":"signup","user":{"email":"zofia@example.pl","firstName":"Zofia","lastName":"Wójcik","phone":"+48 601 234 567"},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#),
    ("escaped_json", r#"{"msg":"{\"patient\":{\"cpr\":\"070761-4285\",\"email\":\"ole\u0040firma.dk\"}}","q":"/reset?email=jane%40example.com"}"#),
];

fn engine() -> Engine {
    Engine::load(&LoadOptions::default()).expect("built-in rules compile")
}

fn records(c: &mut Criterion) {
    let engine = engine();
    let mut scrubber = engine.scrubber();
    let mut out = Vec::with_capacity(4096);
    let mut group = c.benchmark_group("record");
    group.sample_size(20);
    for (name, record) in RECORDS {
        group.throughput(Throughput::Bytes(record.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), record, |b, record| {
            b.iter(|| {
                out.clear();
                scrubber.scrub(record.as_bytes(), &mut out)
            })
        });
    }
    group.finish();
}

/// 4 MiB of records, 70% clean and 30% dirty, like scripts/gen-mixed.py.
fn mixed_corpus() -> Vec<u8> {
    let mut corpus = Vec::new();
    let mut i = 0usize;
    while corpus.len() < 4 << 20 {
        let (_, record) = RECORDS[if i % 10 < 7 { i % 3 } else { 3 + i % 3 }];
        corpus.extend_from_slice(record.as_bytes());
        corpus.push(b'\n');
        i += 1;
    }
    corpus
}

fn end_to_end(c: &mut Criterion) {
    let engine = EngineHandle::new(engine());
    let corpus = mixed_corpus();
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    for threads in [1, 2] {
        let opts = PipelineOptions {
            threads,
            ..PipelineOptions::default()
        };
        group.bench_with_input(BenchmarkId::new("mixed_4MiB", threads), &threads, |b, _| {
            b.iter(|| {
                let mut source =
                    ReaderSource::new(Cursor::new(&corpus[..]), opts.batch_bytes, 1 << 20);
                let mut sink = WriterSink::new(std::io::sink());
                pipeline::run(&engine, &mut source, &mut sink, &opts, None).expect("in-memory run")
            })
        });
    }
    group.finish();
}

/// The same records scrubbed one by one, and with their first passes run
/// two side by side: in pairs, and in groups of 16 and of 64 (as the
/// pipeline does; a lane whose record ends goes on with the next one). Over the first
/// 16 MB of the generated mixed corpus, whose records vary in length as
/// logs do (`scripts/bench.sh` writes it), or else over the in-memory one.
fn first_pass(c: &mut Criterion) {
    let engine = engine();
    let generated = concat!(env!("CARGO_MANIFEST_DIR"), "/bench-data/mixed-100.log");
    let corpus = match std::fs::read(generated) {
        Ok(mut all) => {
            let cut = all[..all.len().min(16 << 20)]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            all.truncate(cut);
            all
        }
        Err(_) => {
            eprintln!("first_pass: no {generated} (scripts/bench.sh makes it); using 4 MiB of built-in records");
            mixed_corpus()
        }
    };
    let lines: Vec<&[u8]> = corpus.split(|&b| b == b'\n').collect();
    let mut scrubber = engine.scrubber();
    let mut out = Vec::with_capacity(4096);
    let mut group = c.benchmark_group("first_pass");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.bench_function("one_by_one", |b| {
        b.iter(|| {
            for record in &lines {
                out.clear();
                scrubber.scrub_changed(record, &mut out);
            }
        })
    });
    group.bench_function("pairs", |b| {
        b.iter(|| {
            for pair in lines.chunks_exact(2) {
                let prepared = scrubber
                    .prepare([pair[0], pair[1]])
                    .expect("no record too long");
                for p in prepared {
                    out.clear();
                    scrubber.scrub_prepared(p, &mut out);
                }
            }
        })
    });
    group.bench_function("groups_of_16", |b| {
        b.iter(|| prepared_in_groups::<16>(&mut scrubber, &lines, &mut out))
    });
    group.bench_function("groups_of_64", |b| {
        b.iter(|| prepared_in_groups::<64>(&mut scrubber, &lines, &mut out))
    });
    group.finish();
}

/// Scrubs `lines` with their first passes in groups of `N`.
fn prepared_in_groups<const N: usize>(scrubber: &mut Scrubber, lines: &[&[u8]], out: &mut Vec<u8>) {
    for records in lines.chunks_exact(N) {
        let records: [&[u8]; N] = records.try_into().expect("N records");
        let prepared = scrubber.prepare(records).expect("no record too long");
        for p in prepared {
            out.clear();
            scrubber.scrub_prepared(p, out);
        }
    }
}

fn floor(c: &mut Criterion) {
    let corpus = mixed_corpus();
    // A 64-state machine whose next state depends on the byte and on the
    // state, so that every step waits for the one before, as in a DFA.
    let table: Vec<u16> = (0..64 * 256)
        .map(|i: usize| ((i.wrapping_mul(2_654_435_761) >> 7) % 64 * 256) as u16)
        .collect();
    let mut group = c.benchmark_group("floor");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.bench_function("table_walk", |b| {
        b.iter(|| {
            let mut state = 0usize;
            let mut hits = 0u32;
            for &byte in &corpus {
                state = usize::from(table[state + usize::from(byte)]);
                hits += u32::from(state == 0);
            }
            hits
        })
    });
    // Two independent walks in one loop, as the literal scan and the
    // content gate run: the processor overlaps their lookups.
    group.bench_function("table_walk_x2", |b| {
        b.iter(|| {
            let (front, back) = corpus.split_at(corpus.len() / 2);
            let (mut s1, mut s2) = (0usize, 0usize);
            let mut hits = 0u32;
            for (&x, &y) in front.iter().zip(back) {
                s1 = usize::from(table[s1 + usize::from(x)]);
                s2 = usize::from(table[s2 + usize::from(y)]);
                hits += u32::from(s1 == 0) + u32::from(s2 == 0);
            }
            hits
        })
    });
    group.finish();
}

criterion_group!(benches, records, end_to_end, first_pass, floor);
criterion_main!(benches);
