//! `run` through the real Event Hubs client and the test broker, beside `convert` on the same
//! messages, in one run: the difference is the cost of the transport (AMQP framing, the client,
//! per-partition pipelines and checkpoints).
//!
//! cargo build --release -p aad-ingest && cargo run --release -p aad-tests --example run_throughput -- [MB] [partitions] [hours]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aad_ingest::generate::{Format, GenerateOptions};
use aad_tests::broker::Broker;
use aad_tests::service::{
    capture_with, connection_string, poll_every, Service, ServiceConfig, CONNECTION_STRING_ENV,
};

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
    // Lakes in RAM when there is a /dev/shm, as benches/compare does: on this VM's ext4, creating
    // a file right after others were deleted scans past them (`recently_deleted`, 7 % of the
    // service's CPU samples), which varies with whatever ran before.
    let work = match std::path::Path::new("/dev/shm").is_dir() {
        true => tempfile::tempdir_in("/dev/shm").unwrap(),
        false => tempfile::tempdir().unwrap(),
    };
    // About 4.9 KB per generated record; an hour of events, as a live hub delivers them (a
    // day-long capture would spread every segment over 24 hourly partitions).
    let mut cap = capture_with(
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
    let events = cap.messages.len();
    let ns = "bench.servicebus.windows.net";
    let broker = Broker::start(ns, &[("entra", partitions)]);
    // The messages move into the broker. A copy kept here too (a third, beside the broker's and
    // the capture file in /dev/shm) left the machine short of free memory at large sizes: over
    // 2.4 GB and 32 partitions the service then took 1.35-1.43x convert's CPU instead of 1.16x,
    // with as many page faults, each dearer.
    for (i, m) in std::mem::take(&mut cap.messages).into_iter().enumerate() {
        broker.publish("entra", &(i as u32 % partitions).to_string(), m);
    }
    println!("free memory before the run: {} MiB", mem_free_mib());
    let ends: BTreeMap<String, i64> = (0..partitions)
        .map(|p| {
            let e = broker.events("entra", &p.to_string());
            let last = e.last().unwrap_or_else(|| {
                panic!("partition {p} got no message: {mb} MB is too little for {partitions} partitions (100 records a message)")
            });
            (p.to_string(), last.sequence_number)
        })
        .collect();

    let cpu_before = own_cpu_secs();
    let t = Instant::now();
    let report = aad_tests::convert_into(
        std::slice::from_ref(&cap.file),
        &work.path().join("convert-lake"),
    );
    let convert_secs = t.elapsed().as_secs_f64();
    let convert_cpu = own_cpu_secs() - cpu_before;

    // The service runs as its own process (`aad-ingest run`, built with `cargo build --release
    // -p aad-ingest`), so its peak RSS is its own; the broker stays in this one.
    let checkpoints = work.path().join("checkpoints");
    let mut c = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        checkpoints.to_str().unwrap(),
        work.path().join("run-lake").to_str().unwrap(),
    );
    // Segments by size, as under sustained load; once the hub is drained each partition's last
    // segment is committed after `roll_idle_secs` of silence (the age bound stays the default).
    // (`AAD_BENCH_ROLL_MIB`, `AAD_BENCH_ROLL_IDLE_SECS` and `AAD_BENCH_PREFETCH_MIB` change them.)
    c.roll_mib = env_or("AAD_BENCH_ROLL_MIB", 8);
    c.roll_secs = 60.0;
    // The idle wait is dead time at the end of every run, whatever its size: at 0.25 s it was a
    // third of what a 300 MB run may take for run/convert 0.6. 0.05 s commits the same segments
    // here (one idle commit per partition at most, checked below), so the run measures draining.
    c.roll_idle_secs = Some(env_or("AAD_BENCH_ROLL_IDLE_SECS", 0.05));
    c.update_interval_secs = 2.0;
    c.ownership_expiry_secs = 10.0;
    c.prefetch_mib = env_or("AAD_BENCH_PREFETCH_MIB", c.prefetch_mib);
    let config = c.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let done_dir = checkpoints.join(format!("{ns}/entra/$default/checkpoint"));
    let broker_before = own_cpu_secs();
    let spawned = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        % 86400.0;
    let t = Instant::now();
    let service = Service::start(
        &config,
        &[(CONNECTION_STRING_ENV.into(), connection_string(ns, "entra"))],
        &log,
    );
    // Polled every 20 ms (the harness's `wait_for` sleeps 300 ms, a tenth of a 300 MB run).
    poll_every(
        Duration::from_millis(20),
        "every event checkpointed",
        Duration::from_secs(1800),
        || {
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
            (got == ends).then_some(())
        },
    );
    let run_secs = t.elapsed().as_secs_f64();
    // The broker lives in this process; the service's CPU is its own, from the kernel.
    let broker_cpu = own_cpu_secs() - broker_before;
    let service_cpu = process_cpu_secs(service.pid());
    let service_faults = stat_field(service.pid(), 10);
    let service_sys = stat_field(service.pid(), 15) / clock_ticks_per_sec();
    // Minor faults: almost all of them fresh anonymous pages, each zeroed by the kernel. Their
    // cost is in the service's system time: about 1.3 µs a fault (4 KiB) on this VM while memory
    // is free, nearly three times that once the kernel must reclaim page cache for them.
    println!(
        "page faults: service {:.0} per MB (about {:.0} MiB of fresh pages over the run); service system time {service_sys:.1} s",
        service_faults / (bytes as f64 / 1e6),
        service_faults * 4096.0 / (1 << 20) as f64
    );
    // The service's own high-water mark. (getrusage of children would count the image the
    // child inherits from this process before exec, which holds the whole capture twice.)
    let status = std::fs::read_to_string(format!("/proc/{}/status", service.pid())).unwrap();
    let peak_kib = kib_field(&status, "VmHWM:");
    let (_, metrics) =
        aad_tests::http_get(&service.http_address(Duration::from_secs(10)), "/metrics");
    // `{reason="…"}` → segments closed for it.
    let closed = aad_tests::prometheus::series(&metrics, aad_ingest::ops::metrics::SEGMENTS_CLOSED);
    let segments: f64 = closed.values().sum();
    let (code, _) = service.terminate(Duration::from_secs(60));
    // Kept with AAD_TEST_KEEP=<dir> (and AAD_TEST_LOG=aad_ingest=debug for every segment).
    aad_tests::service::keep_log(&log);
    assert_eq!(code, Some(0), "{}", std::fs::read_to_string(&log).unwrap());
    let summary = std::fs::read_to_string(&log).unwrap();
    let records = format!("{} records", report.records());
    assert!(
        summary.contains(&records),
        "run and convert saw different records:\n{summary}"
    );
    let mbs = |s: f64| bytes as f64 / 1e6 / s;
    println!(
        "{:.0} MB, {} events ({} records) over {partitions} partitions",
        bytes as f64 / 1e6,
        events,
        report.records()
    );
    println!(
        "convert: {:6.1} MB/s {:8.0} events/s {:8.0} records/s",
        mbs(convert_secs),
        events as f64 / convert_secs,
        report.records() as f64 / convert_secs
    );
    println!(
        "run:     {:6.1} MB/s {:8.0} events/s {:8.0} records/s   (first event to last checkpoint, incl. start)",
        mbs(run_secs),
        events as f64 / run_secs,
        report.records() as f64 / run_secs
    );
    println!("run / convert: {:.2}", convert_secs / run_secs);
    // Each partition's last segment is committed `roll_idle_secs` after its last event (nothing
    // more arrives to fill it): a fixed wait at the end of every run, whatever its size.
    let idle = c.roll_idle_secs.unwrap_or(c.roll_secs);
    println!(
        "run / convert without the last segments' wait ({idle:.2} s of roll_idle_secs): {:.2}",
        convert_secs / (run_secs - idle).max(f64::EPSILON)
    );
    // A segment closes at the first batch past roll_mib, so by size they average a little
    // more; the reasons say what cut the others.
    let reasons: Vec<String> = closed
        .iter()
        .filter(|(_, n)| **n > 0.0)
        .map(|(why, n)| format!("{} {n:.0}", why.split('"').nth(1).unwrap_or(why)))
        .collect();
    println!(
        "segments: {segments:.0} committed ({}), {:.1} MB each on average (roll_mib = {} MiB)",
        reasons.join(", "),
        bytes as f64 / 1e6 / segments,
        c.roll_mib
    );
    // Only each partition's last segment should close for silence; more means a partition went
    // quiet mid-run for `roll_idle_secs` and the run cut extra segments.
    let idle_closes: f64 = closed
        .iter()
        .filter(|(why, _)| why.contains("\"idle\""))
        .map(|(_, n)| n)
        .sum();
    if idle_closes > partitions as f64 {
        println!(
            "warning: {idle_closes:.0} segments closed for silence over {partitions} partitions: some closed mid-run; raise AAD_BENCH_ROLL_IDLE_SECS"
        );
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "cpu: service {service_cpu:.1} s ({:.4} s/MB), convert {convert_cpu:.1} s ({:.4} s/MB): service/convert {:.2}x; broker {broker_cpu:.1} s; service used {:.2} of 2 cores",
        service_cpu / mb,
        convert_cpu / mb,
        service_cpu / convert_cpu,
        service_cpu / run_secs
    );
    // How much of the run went to starting: connecting and taking every partition.
    let secs_of_day = |line: &str| -> Option<f64> {
        let t = line.split_once('T')?.1.split_once('Z')?.0;
        let mut parts = t.split(':');
        let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
        Some(
            h.parse::<f64>().ok()? * 3600.0
                + m.parse::<f64>().ok()? * 60.0
                + s.parse::<f64>().ok()?,
        )
    };
    let first_line = summary.lines().find_map(secs_of_day);
    let taken: Vec<f64> = summary
        .lines()
        .filter(|l| l.contains("partition taken"))
        .filter_map(secs_of_day)
        .collect();
    if let (Some(start), Some(first), Some(last)) = (
        first_line,
        taken.iter().cloned().reduce(f64::min),
        taken.iter().cloned().reduce(f64::max),
    ) {
        println!(
            "start: process start to first log line {:.1} s, to first partition taken {:.1} s, to the last {:.1} s ({} takes)",
            start - spawned,
            first - spawned,
            last - spawned,
            taken.len()
        );
    }
    println!(
        "run peak RSS: {} MiB (memory_mib = {}, prefetch_mib = {})",
        peak_kib / 1024,
        c.memory_mib,
        c.prefetch_mib
    );
}

/// User + system CPU seconds of this process (the broker's threads, or `convert` in-process).
fn own_cpu_secs() -> f64 {
    process_cpu_secs(std::process::id())
}

/// User + system CPU seconds of a process, from `/proc/<pid>/stat` (fields 14 and 15, in clock
/// ticks).
fn process_cpu_secs(pid: u32) -> f64 {
    (stat_field(pid, 14) + stat_field(pid, 15)) / clock_ticks_per_sec()
}

/// The unit of `/proc/<pid>/stat`'s CPU times.
fn clock_ticks_per_sec() -> f64 {
    // SAFETY: sysconf only reads a system value.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

/// `MemFree` of `/proc/meminfo` (not `MemAvailable`, which counts page cache as available):
/// below the service's peak RSS plus the lakes, its fresh pages come from reclaimed page cache.
fn mem_free_mib() -> u64 {
    kib_field(
        &std::fs::read_to_string("/proc/meminfo").unwrap(),
        "MemFree:",
    ) / 1024
}

/// The `<key> <n> kB` line of a `/proc` file (`status`, `meminfo`), in KiB.
fn kib_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
}

/// Field `n` (1-based, as `man 5 proc` numbers them) of `/proc/<pid>/stat`.
fn stat_field(pid: u32, n: usize) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name (field 2) may hold spaces: field 3 starts after its closing parenthesis.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[n - 3].parse().unwrap()
}

/// A setting from the environment, or its default when unset; a value that does not parse stops
/// the run rather than measuring something else.
fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a valid value")),
        Err(_) => default,
    }
}
