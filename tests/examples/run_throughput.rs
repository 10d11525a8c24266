//! `run` through the real Event Hubs client and the test broker, beside `convert` on the same
//! messages, in one run: the difference is the cost of the transport (AMQP framing, the client,
//! per-partition pipelines and checkpoints).
//!
//! cargo run --release -p aad-tests --example run_throughput -- [MB] [partitions] [hours]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aad_ingest::config::RunConfig;
use aad_ingest::generate::{Format, GenerateOptions};
use aad_tests::broker::Broker;
use aad_tests::service::{capture_with, connection_string, ServiceConfig, CONNECTION_STRING_ENV};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AAD_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let mb: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let partitions: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let hours: u32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let work = tempfile::tempdir().unwrap();
    // About 4.9 KB per generated record; an hour of events, as a live hub delivers them (a
    // day-long capture would spread every segment over 24 hourly partitions).
    let cap = capture_with(
        work.path(),
        GenerateOptions {
            records: mb * 1_000_000 / 4900,
            seed: 5,
            format: Format::Envelope,
            records_per_message: 100,
            quirk_share: 0.0,
            span_hours: hours,
            ..GenerateOptions::default()
        },
    );
    let bytes: u64 = cap.messages.iter().map(|m| m.len() as u64).sum();
    let ns = "bench.servicebus.windows.net";
    let broker = Broker::start(ns, &[("entra", partitions)]);
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i as u32 % partitions).to_string(), m.clone());
    }
    let ends: BTreeMap<String, i64> = (0..partitions)
        .map(|p| {
            let e = broker.events("entra", &p.to_string());
            (p.to_string(), e.last().unwrap().sequence_number)
        })
        .collect();

    let t = Instant::now();
    let report = aad_tests::convert_into(
        std::slice::from_ref(&cap.file),
        &work.path().join("convert-lake"),
    );
    let convert_secs = t.elapsed().as_secs_f64();

    // Single-threaded at this point; the service reads it once at start.
    std::env::set_var(CONNECTION_STRING_ENV, connection_string(ns, "entra"));
    let checkpoints = work.path().join("checkpoints");
    let mut c = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        checkpoints.to_str().unwrap(),
        work.path().join("run-lake").to_str().unwrap(),
    );
    // Segments by size, as under sustained load; the age bound only ends the last ones.
    c.roll_mib = 8;
    c.roll_secs = 1.0;
    c.update_interval_secs = 2.0;
    c.ownership_expiry_secs = 10.0;
    let config = RunConfig::parse(&c.toml()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let done_dir = checkpoints.join(format!("{ns}/entra/$default/checkpoint"));
    let watcher = std::thread::spawn(move || loop {
        let mut got = BTreeMap::new();
        for e in std::fs::read_dir(&done_dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if let Some(s) = text.lines().find_map(|l| l.strip_prefix("sequencenumber=")) {
                got.insert(
                    e.file_name().to_string_lossy().into_owned(),
                    s.parse::<i64>().unwrap(),
                );
            }
        }
        if got == ends {
            let secs = t.elapsed().as_secs_f64();
            let _ = stop_tx.send(true);
            return secs;
        }
        std::thread::sleep(Duration::from_millis(20));
    });
    let run = rt.block_on(aad_ingest::service::run(config, stop)).unwrap();
    let run_secs = watcher.join().unwrap();
    assert_eq!(
        run.records,
        report.records(),
        "run and convert saw different records"
    );
    let mbs = |s: f64| bytes as f64 / 1e6 / s;
    println!(
        "{:.0} MB, {} events ({} records) over {partitions} partitions",
        bytes as f64 / 1e6,
        cap.messages.len(),
        report.records()
    );
    println!(
        "convert: {:6.1} MB/s {:8.0} events/s {:8.0} records/s",
        mbs(convert_secs),
        cap.messages.len() as f64 / convert_secs,
        report.records() as f64 / convert_secs
    );
    println!(
        "run:     {:6.1} MB/s {:8.0} events/s {:8.0} records/s   (first event to last checkpoint, incl. start)",
        mbs(run_secs),
        cap.messages.len() as f64 / run_secs,
        report.records() as f64 / run_secs
    );
    println!("run / convert: {:.2}", convert_secs / run_secs);
}
