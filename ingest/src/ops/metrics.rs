//! What the service counts, under Prometheus names (base units, `_total` counters). Every name
//! is declared once here, with its help text; the pipeline records through the `metrics`
//! facade, and `/metrics` renders what the exporter's recorder holds. Labels take values from
//! fixed sets (partition ids, table and destination names from the config, status codes,
//! [`DeadLetterKind`]), never free text, so the series stay few.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const EVENTS_RECEIVED: &str = "aad_ingest_events_received_total";
pub const RECORDS_RECEIVED: &str = "aad_ingest_records_received_total";
pub const RECEIVED_BYTES: &str = "aad_ingest_received_bytes_total";
pub const TABLE_RECORDS: &str = "aad_ingest_table_records_total";
pub const ROWS_WRITTEN: &str = "aad_ingest_rows_written_total";
pub const ROWS_FILTERED: &str = "aad_ingest_rows_filtered_total";
pub const ROWS_ALREADY_HELD: &str = "aad_ingest_rows_already_held_total";
pub const DEAD_LETTERS: &str = "aad_ingest_dead_letters_total";
pub const ADDITIONAL_FIELDS: &str = "aad_ingest_additional_fields_total";
pub const UNCOERCED_VALUES: &str = "aad_ingest_uncoerced_values_total";
pub const DESTINATION_REQUESTS: &str = "aad_ingest_destination_requests_total";
pub const DESTINATION_RETRIES: &str = "aad_ingest_destination_retries_total";
pub const DESTINATION_REQUEST_SECONDS: &str = "aad_ingest_destination_request_duration_seconds";
pub const SEGMENTS_CLOSED: &str = "aad_ingest_segments_closed_total";
pub const COMMITS: &str = "aad_ingest_commits_total";
pub const COMMIT_SECONDS: &str = "aad_ingest_commit_duration_seconds";
pub const COMMIT_ROWS: &str = "aad_ingest_commit_rows";
pub const OWNERSHIP_CLAIMS: &str = "aad_ingest_ownership_claims_total";
pub const OWNERSHIP_LOSSES: &str = "aad_ingest_ownership_losses_total";
pub const OWNERSHIP_RELEASES: &str = "aad_ingest_ownership_releases_total";
pub const ERRORS: &str = "aad_ingest_errors_total";
pub const LOG_LINES_SUPPRESSED: &str = "aad_ingest_log_lines_suppressed_total";
pub const LAG_EVENTS: &str = "aad_ingest_partition_lag_events";
pub const LAG_SECONDS: &str = "aad_ingest_partition_lag_seconds";
pub const LAST_ENQUEUED: &str = "aad_ingest_partition_last_enqueued_sequence_number";
pub const CHECKPOINT: &str = "aad_ingest_partition_checkpoint_sequence_number";
pub const PARTITIONS_OWNED: &str = "aad_ingest_partitions_owned";
pub const MEMORY_BUDGET: &str = "aad_ingest_memory_budget_bytes";
pub const MEMORY_IN_USE: &str = "aad_ingest_memory_in_use_bytes";
pub const READY: &str = "aad_ingest_ready";
pub const DESTINATION_UP: &str = "aad_ingest_destination_up";
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";
pub const PROCESS_RSS: &str = "process_resident_memory_bytes";
pub const PROCESS_START: &str = "process_start_time_seconds";
pub const PROCESS_FDS: &str = "process_open_fds";

/// Every metric: (name, help). `describe` and the docs' list come from here.
pub const ALL: &[(&str, &str)] = &[
    (EVENTS_RECEIVED, "Event Hubs events taken into a segment, per partition."),
    (RECORDS_RECEIVED, "Records in the events taken (a message that does not parse counts as one), per partition."),
    (RECEIVED_BYTES, "Bytes of event bodies taken, per partition."),
    (TABLE_RECORDS, "Records normalized into rows of a table, over committed segments."),
    (ROWS_WRITTEN, "Rows a destination made durable, per table and destination."),
    (ROWS_FILTERED, "Rows a route's `where` kept from a destination, per table and destination."),
    (ROWS_ALREADY_HELD, "Rows not sent again because the destination held them already (recovery), per table and destination."),
    (DEAD_LETTERS, "Messages or records sent to the dead letter, by reason kind."),
    (ADDITIONAL_FIELDS, "Rows that carry AdditionalFields (fields without a column, or values kept as sent), per table."),
    (UNCOERCED_VALUES, "Values that could not be coerced to their column's type and were kept in AdditionalFields, per table."),
    (DESTINATION_REQUESTS, "Requests to a destination's service, by HTTP status (or `error` when no answer came)."),
    (DESTINATION_RETRIES, "Requests to a destination retried."),
    (DESTINATION_REQUEST_SECONDS, "Latency of requests to a destination's service."),
    (SEGMENTS_CLOSED, "Segments closed for their commit, by why: size (roll_mib reached), age (roll_secs), idle (roll_idle_secs of silence), memory (the memory budget asked), stop (the service stopping)."),
    (COMMITS, "Segments a destination acknowledged."),
    (COMMIT_SECONDS, "Time from a segment's commit start to its acknowledgement, per destination."),
    (COMMIT_ROWS, "Rows per acknowledged segment, per destination."),
    (OWNERSHIP_CLAIMS, "Partitions this process took (fenced)."),
    (OWNERSHIP_LOSSES, "Partitions taken away by another replica while this one held them."),
    (OWNERSHIP_RELEASES, "Partitions handed back on a clean stop."),
    (ERRORS, "Failures, by kind (event_hub: a session of the Event Hubs client failed; destination: a destination refused a segment's write; commit: a segment's commit attempt failed)."),
    (LOG_LINES_SUPPRESSED, "Log lines left out by the per-call-site rate limit."),
    (LAG_EVENTS, "Events enqueued in the partition after its checkpoint."),
    (LAG_SECONDS, "Time between the hub's last enqueued event and the last checkpointed one (0 when caught up)."),
    (LAST_ENQUEUED, "The partition's last enqueued sequence number, as the hub reports it."),
    (CHECKPOINT, "The partition's checkpointed sequence number."),
    (PARTITIONS_OWNED, "Partitions this process drains now."),
    (MEMORY_BUDGET, "What segments may hold, in bytes: service.memory_mib less its quarter for events read ahead."),
    (MEMORY_IN_USE, "Decoded rows and dead letters held in segments, counted against the budget."),
    (READY, "1 when /readyz answers 200."),
    (DESTINATION_UP, "1 when the destination's last write or probe succeeded."),
    (PROCESS_CPU, "User and system CPU time of the process."),
    (PROCESS_RSS, "Resident memory of the process."),
    (PROCESS_START, "Start time of the process since the Unix epoch."),
    (PROCESS_FDS, "Open file descriptors of the process."),
];

/// Kinds of dead letter: the `reason` label's fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterKind {
    /// The body is not JSON (simd-json's reason is in the dead letter).
    InvalidJson,
    /// JSON nested past the decoder's depth limit.
    TooDeep,
    /// JSON that is not a record (`42`, `"x"`).
    NotARecord,
    /// An event without a body.
    NoBody,
    /// A message past the maximum size.
    Oversize,
    /// A destination refused the row (a Log Analytics 4xx isolated to it).
    Refused,
}

impl DeadLetterKind {
    pub const ALL: [DeadLetterKind; 6] = [
        DeadLetterKind::InvalidJson,
        DeadLetterKind::TooDeep,
        DeadLetterKind::NotARecord,
        DeadLetterKind::NoBody,
        DeadLetterKind::Oversize,
        DeadLetterKind::Refused,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DeadLetterKind::InvalidJson => "invalid_json",
            DeadLetterKind::TooDeep => "too_deep",
            DeadLetterKind::NotARecord => "not_a_record",
            DeadLetterKind::NoBody => "no_body",
            DeadLetterKind::Oversize => "oversize",
            DeadLetterKind::Refused => "refused",
        }
    }

    /// The kind of a dead letter's reason (the reasons are written in `aad_schemas::decode`,
    /// `sink::deadletter` and the destinations; each starts with its kind's words).
    pub fn of(reason: &str) -> DeadLetterKind {
        if reason.starts_with("JSON nested deeper") {
            DeadLetterKind::TooDeep
        } else if reason.starts_with("invalid JSON") {
            DeadLetterKind::InvalidJson
        } else if reason.starts_with("event has no data body") {
            DeadLetterKind::NoBody
        } else if reason.starts_with("message of ") || reason.contains("larger than") {
            DeadLetterKind::Oversize
        } else if reason.contains("refused") {
            DeadLetterKind::Refused
        } else {
            DeadLetterKind::NotARecord
        }
    }
}

/// Why a partition's segment was closed for its commit: the `reason` label's fixed set of
/// [`SEGMENTS_CLOSED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// `service.roll_mib` of events gathered.
    Size,
    /// Its oldest event waited `service.roll_secs`.
    Age,
    /// The partition delivered nothing for `service.roll_idle_secs`.
    Idle,
    /// The segments together, or this one alone, reached the memory budget's bound.
    Memory,
    /// The service is stopping.
    Stop,
}

impl Close {
    pub const ALL: [Close; 5] = [
        Close::Size,
        Close::Age,
        Close::Idle,
        Close::Memory,
        Close::Stop,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Close::Size => "size",
            Close::Age => "age",
            Close::Idle => "idle",
            Close::Memory => "memory",
            Close::Stop => "stop",
        }
    }
}

/// Seconds buckets for request and commit latencies: 5 ms to 2 min.
const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];
/// Rows per segment: 1 to 1M.
const ROWS_BUCKETS: &[f64] = &[
    1.0,
    10.0,
    100.0,
    1_000.0,
    10_000.0,
    50_000.0,
    100_000.0,
    500_000.0,
    1_000_000.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder, installed on first use.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        STARTED.get_or_init(unix_now_secs);
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_ROWS.into()), ROWS_BUCKETS))
            .expect("buckets are not empty")
            .install_recorder()
            .expect("the metrics recorder is installed once");
        for &(name, help) in ALL {
            let unit = if name.ends_with("_seconds") || name.ends_with("seconds_total") {
                Some(Unit::Seconds)
            } else if name.ends_with("_bytes") || name.ends_with("bytes_total") {
                Some(Unit::Bytes)
            } else {
                None
            };
            let describe_unit = unit.unwrap_or(Unit::Count);
            if name.ends_with("_total") {
                describe_counter!(name, describe_unit, help);
            } else if name == COMMIT_ROWS || name.ends_with("_duration_seconds") {
                describe_histogram!(name, describe_unit, help);
            } else {
                describe_gauge!(name, describe_unit, help);
            }
        }
        // Counters exist from the start at 0, so alerts and dashboards see them before the
        // first failure, and a rate over them starts at the right value.
        for name in [
            OWNERSHIP_CLAIMS,
            OWNERSHIP_LOSSES,
            OWNERSHIP_RELEASES,
            LOG_LINES_SUPPRESSED,
        ] {
            counter!(name).absolute(0);
        }
        for kind in ERROR_KINDS {
            counter!(ERRORS, "kind" => *kind).absolute(0);
        }
        for kind in DeadLetterKind::ALL {
            counter!(DEAD_LETTERS, "reason" => kind.label()).absolute(0);
        }
        for why in Close::ALL {
            counter!(SEGMENTS_CLOSED, "reason" => why.label()).absolute(0);
        }
        handle
    })
}

/// The `kind` label's values of [`ERRORS`].
pub const ERROR_KINDS: &[&str] = &["event_hub", "destination", "commit"];

/// A destination's counters at 0, once its name is known.
pub fn destination(name: &str) {
    let d = name.to_string();
    counter!(DESTINATION_RETRIES, "destination" => d.clone()).absolute(0);
    counter!(COMMITS, "destination" => d).absolute(0);
}

/// The exposition text, with the process gauges read now.
pub fn render() -> String {
    let handle = install();
    process_gauges();
    handle.run_upkeep();
    handle.render()
}

/// Dead letters counted under their kind.
pub fn dead_letters(kind: DeadLetterKind, n: u64) {
    counter!(DEAD_LETTERS, "reason" => kind.label()).increment(n);
}

/// One request to a destination's service: its status (`error` when no HTTP answer came)
/// and latency.
pub fn destination_request(destination: &str, status: u16, took: Duration) {
    let status = match status {
        0 => "error".to_string(),
        s => s.to_string(),
    };
    counter!(DESTINATION_REQUESTS, "destination" => destination.to_string(), "status" => status)
        .increment(1);
    histogram!(DESTINATION_REQUEST_SECONDS, "destination" => destination.to_string())
        .record(took.as_secs_f64());
}

pub fn destination_retry(destination: &str) {
    counter!(DESTINATION_RETRIES, "destination" => destination.to_string()).increment(1);
}

/// A partition's intake counters, resolved once per pipeline (a counter lookup hashes its
/// labels).
pub struct Intake {
    pub events: metrics::Counter,
    pub records: metrics::Counter,
    pub bytes: metrics::Counter,
}

impl Intake {
    pub fn new(partition: &str) -> Intake {
        let p = partition.to_string();
        Intake {
            events: counter!(EVENTS_RECEIVED, "partition" => p.clone()),
            records: counter!(RECORDS_RECEIVED, "partition" => p.clone()),
            bytes: counter!(RECEIVED_BYTES, "partition" => p),
        }
    }
}

/// What routing did with one segment's rows for one destination, per table: rows offered
/// (of the tables it receives), kept by the routes' `where`, and still to send once the rows
/// it already held were taken out.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// Indexed by table id: [offered, after the filter, sent].
    tables: Vec<[u64; 3]>,
}

impl Delivered {
    fn add<'a>(
        &mut self,
        stage: usize,
        batches: impl IntoIterator<Item = &'a crate::destination::TableBatch>,
    ) {
        for (table, _, b) in batches {
            let i = table.0 as usize;
            if self.tables.len() <= i {
                self.tables.resize(i + 1, [0; 3]);
            }
            self.tables[i][stage] += b.num_rows() as u64;
        }
    }
    /// Rows of the tables this destination receives, before its filters.
    pub fn offered<'a>(
        &mut self,
        batches: impl IntoIterator<Item = &'a crate::destination::TableBatch>,
    ) {
        self.add(0, batches)
    }
    pub fn filtered(&mut self, batches: &[crate::destination::TableBatch]) {
        self.add(1, batches)
    }
    pub fn sent(&mut self, batches: &[crate::destination::TableBatch]) {
        self.add(2, batches)
    }

    /// Count the acknowledged segment: rows written, filtered out and already held, per table.
    pub fn record(&self, destination: &str) {
        let catalogue = aad_schemas::Catalogue::get();
        for (i, [offered, kept, sent]) in self.tables.iter().copied().enumerate() {
            if offered == 0 {
                continue;
            }
            let table = catalogue.tables[i].name;
            let labels = [
                ("table", table.to_string()),
                ("destination", destination.to_string()),
            ];
            counter!(ROWS_WRITTEN, &labels).increment(sent);
            counter!(ROWS_FILTERED, &labels).increment(offered - kept);
            counter!(ROWS_ALREADY_HELD, &labels).increment(kept - sent);
        }
    }
}

/// A committed segment, per destination: how long its commit took and how many rows it took.
pub fn committed(destination: &str, took: Duration, rows: u64) {
    let d = destination.to_string();
    counter!(COMMITS, "destination" => d.clone()).increment(1);
    histogram!(COMMIT_SECONDS, "destination" => d.clone()).record(took.as_secs_f64());
    histogram!(COMMIT_ROWS, "destination" => d).record(rows as f64);
}

/// A committed segment's normalizing counts, per table.
pub fn normalized(stats: &aad_schemas::NormalizeStats) {
    let catalogue = aad_schemas::Catalogue::get();
    for (t, c) in catalogue.tables.iter().zip(&stats.tables) {
        if c.records == 0 {
            continue;
        }
        counter!(TABLE_RECORDS, "table" => t.name).increment(c.records);
        counter!(ADDITIONAL_FIELDS, "table" => t.name).increment(c.with_additional);
        counter!(UNCOERCED_VALUES, "table" => t.name).increment(c.uncoerced);
    }
}

/// A failure counted by kind (one of [`ERROR_KINDS`]).
pub fn error(kind: &'static str) {
    counter!(ERRORS, "kind" => kind).increment(1);
}

/// CPU, memory, descriptors and start time of this process, from the kernel (Linux).
fn process_gauges() {
    // SAFETY: getrusage writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        // The kernel keeps this counter; `metrics` counters are integers, so whole seconds.
        counter!(PROCESS_CPU).absolute((secs(usage.ru_utime) + secs(usage.ru_stime)) as u64);
    }
    if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
        if let Some(pages) = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<f64>().ok())
        {
            // SAFETY: sysconf only reads a system value.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
            gauge!(PROCESS_RSS).set(pages * page);
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        gauge!(PROCESS_FDS).set(dir.count() as f64);
    }
    gauge!(PROCESS_START).set(*STARTED.get_or_init(unix_now_secs));
}

/// When the recorder was installed, which is at the start of the process.
static STARTED: OnceLock<f64> = OnceLock::new();

fn unix_now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
