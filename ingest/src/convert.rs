//! `convert`: files in, destinations out (a lake by default; `-c` adds the config's routes and
//! destinations). Inputs are read in chunks cut at line ends; a window of chunks is decoded and
//! normalized in parallel on the rayon pool while the previous window's rows are routed to each
//! destination (the lake writer encodes on the same pool and streams to the object store) and
//! the next window is read. Windows are a fixed number of chunks, so file boundaries (and so file
//! names) do not depend on the thread count. Each input is one segment of one source partition:
//! a rerun over the same input replaces lake files and re-sends to Log Analytics only what it
//! had not acknowledged.
//!
//! Bounds: a line (or document) longer than `max_message_bytes` is a dead letter with its line
//! and size, skipped while reading; dead letters are written as they come (a window behind, like
//! rows), never gathered per input; a window whose rows are much larger than its input (tiny
//! records) is delivered before the next is decoded, so that one such window is in memory, not
//! two.

use std::time::{Duration, Instant};

use aad_schemas::{
    BatchSet, Decoder, MessageContext, MessageOutcome, NormalizeStats, Normalizer, Rejected,
    SchemaOptions, TableId,
};
use anyhow::Result;
use arrow_array::RecordBatch;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tokio::runtime::Handle;

use crate::config::{LakeDestinationConfig, RunConfig, LAKE_NAME};
use crate::destination::plan::{Plan, PlanOptions};
use crate::destination::{Committed, SegmentReport, SegmentWriter, SourcePartition, TableBatch};
use crate::sink::deadletter::{self, DeadLetterWriter};
use crate::sink::parquet::{LakeOptions, WrittenFile};
use crate::source::files::{expand, oversized_head, oversized_reason, Chunk, ChunkReader, Input};
use crate::store::stable_hash;

/// Input MiB per chunk, the unit of parallel work (shared with the command line).
pub const DEFAULT_CHUNK_MIB: usize = 2;

/// The longest line (or JSON document) read, in MiB (shared with the command line). Event Hubs
/// caps an event at 1 MiB, but archives and hand-made files may hold more; a longer line goes
/// to the dead letter with its size, without being held whole.
pub const DEFAULT_MAX_MESSAGE_MIB: usize = 64;

/// What `convert` needs.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub inputs: Vec<String>,
    /// A lake destination taking every table (`--out`); optional with a config.
    pub out: Option<String>,
    /// Routes and destinations from a config file (`-c`).
    pub config: Option<RunConfig>,
    pub schema: SchemaOptions,
    pub lake: LakeOptions,
    /// The `--out` lake's layout: Parquet directories or Delta tables.
    pub format: crate::config::LakeFormat,
    /// Input bytes per chunk (the unit of parallel work).
    pub chunk_bytes: usize,
    /// Chunks per window (the unit of writing).
    pub window_chunks: usize,
    /// The longest line (or JSON document) decoded, in bytes; longer ones are dead letters.
    pub max_message_bytes: usize,
    pub progress: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            inputs: Vec::new(),
            out: Some("lake".into()),
            config: None,
            schema: SchemaOptions::default(),
            lake: LakeOptions::default(),
            format: Default::default(),
            chunk_bytes: DEFAULT_CHUNK_MIB << 20,
            window_chunks: 4,
            max_message_bytes: DEFAULT_MAX_MESSAGE_MIB << 20,
            progress: false,
        }
    }
}

/// Per input: records in = rows + dead letters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputReport {
    pub source: String,
    pub bytes: u64,
    pub records: u64,
    pub rows: u64,
    pub dead_letters: u64,
    pub dead_letter_file: Option<String>,
}

/// What one destination received over the run.
#[derive(Debug, Clone)]
pub struct DestinationReport {
    pub name: String,
    pub kind: &'static str,
    pub delivered: SegmentReport,
    /// Rows a route's `where` kept back.
    pub filtered_out: u64,
    /// Rows not sent again because the destination already held them (a rerun).
    pub already_held: u64,
    /// Why it failed, if it did: `convert` then exits non-zero.
    pub failed: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct ConvertReport {
    pub tables: NormalizeStats,
    pub inputs: Vec<InputReport>,
    /// The lake's files.
    pub written: Vec<WrittenFile>,
    pub destinations: Vec<DestinationReport>,
    pub elapsed: Duration,
    /// The lake's root (or the dead-letter place when there is no lake).
    pub lake: String,
}

impl ConvertReport {
    pub fn bytes_in(&self) -> u64 {
        self.inputs.iter().map(|i| i.bytes).sum()
    }
    pub fn records(&self) -> u64 {
        self.inputs.iter().map(|i| i.records).sum()
    }
    pub fn rows(&self) -> u64 {
        self.inputs.iter().map(|i| i.rows).sum()
    }
    pub fn dead_letters(&self) -> u64 {
        self.inputs.iter().map(|i| i.dead_letters).sum()
    }
    /// Destinations that did not take everything routed to them.
    pub fn failures(&self) -> Vec<String> {
        self.destinations
            .iter()
            .filter_map(|d| d.failed.as_ref().map(|f| format!("{}: {f}", d.name)))
            .collect()
    }
    /// Rows in the Parquet files written for a table.
    pub fn rows_written(&self, table: &str) -> u64 {
        self.written
            .iter()
            .filter(|f| f.table == table)
            .map(|f| f.rows)
            .sum()
    }
}

/// Decoded rows of a window (Arrow bytes) above which it is delivered before the next window
/// is decoded, not while: 8 MiB of sign-ins make about 11 MiB.
const OVERLAP_BYTES: usize = 96 << 20;

/// The output of one chunk.
struct ChunkOutput {
    batches: Vec<(TableId, i64, RecordBatch)>,
    /// The chunk's last message's line.
    last_line: u64,
    /// What could not become a row, per message (its line): as the decoder made it.
    dead: Vec<(i64, Vec<Rejected>)>,
    outcome: MessageOutcome,
    stats: NormalizeStats,
    bytes: u64,
}

/// A worker's parse state. Its buffers (padded message copy, tape, structural indexes) grow to
/// the largest message once and are then reused: made afresh for every chunk, they cost a page
/// fault per 4 KiB each time they grow. Its batch set starts each chunk's builders at the size
/// the previous chunk's reached.
struct Worker {
    decoder: Decoder,
    normalizer: Normalizer,
    set: BatchSet,
}

/// Idle workers, shared by the rayon tasks of every window.
struct Workers {
    idle: std::sync::Mutex<Vec<Worker>>,
    schema: SchemaOptions,
}

impl Workers {
    fn new(schema: SchemaOptions) -> Self {
        Workers {
            idle: std::sync::Mutex::new(Vec::new()),
            schema,
        }
    }
    fn take(&self) -> Worker {
        let idle = self.idle.lock().expect("worker pool").pop();
        idle.unwrap_or_else(|| Worker {
            decoder: Decoder::default(),
            normalizer: Normalizer::new(self.schema),
            set: BatchSet::new(self.schema),
        })
    }
    fn put(&self, worker: Worker) {
        self.idle.lock().expect("worker pool").push(worker);
    }
}

/// Decode and normalize every message of a chunk; a message longer than `max_message` is a
/// dead letter, and so is a line the reader skipped for that reason.
fn process(worker: &mut Worker, source: &str, chunk: &Chunk, opts: &ConvertOptions) -> ChunkOutput {
    let max_message = opts.max_message_bytes;
    let Worker {
        decoder,
        normalizer,
        set,
    } = worker;
    let mut dead = Vec::new();
    let mut outcome = MessageOutcome::default();
    let mut last_line = 0;
    let too_long = |line: u64, bytes: u64, head: Vec<u8>| {
        let rejected = Rejected {
            reason: oversized_reason(bytes, max_message),
            record_index: None,
            raw: head,
        };
        (line as i64, vec![rejected])
    };
    for o in &chunk.oversized {
        last_line = o.line;
        outcome.records += 1;
        outcome.rejected += 1;
        dead.push(too_long(o.line, o.bytes, o.head.clone()));
    }
    let mut rejected = Vec::new();
    let mut largest = 0;
    for (line, message) in chunk.messages() {
        last_line = line;
        if message.len() > max_message {
            outcome.records += 1;
            outcome.rejected += 1;
            dead.push(too_long(
                line,
                message.len() as u64,
                oversized_head(message),
            ));
            continue;
        }
        largest = largest.max(message.len());
        let ctx = MessageContext {
            source,
            partition: None,
            sequence: line as i64,
            enqueued: None,
        };
        let o = deadletter::decode_message_into(
            decoder,
            normalizer,
            set,
            Some(message),
            &ctx,
            &mut rejected,
        );
        if !rejected.is_empty() {
            dead.push((line as i64, std::mem::take(&mut rejected)));
        }
        outcome.records += o.records;
        outcome.rows += o.rows;
        outcome.rejected += o.rejected;
    }
    let batches = set.take_batches();
    // The parse buffers grow to the largest message and stay (that is their point); after a
    // message larger than a chunk, a rare event, they go instead of staying for the rest of the
    // run, as does the batch set, which would start every builder at that message's size.
    if largest > opts.chunk_bytes {
        let schema = normalizer.options();
        *decoder = Decoder::default();
        *set = BatchSet::new(schema);
    }
    ChunkOutput {
        batches,
        last_line,
        dead,
        outcome,
        stats: std::mem::take(&mut normalizer.stats),
        // Skipped lines were read too (their line ends aside).
        bytes: chunk.data.len() as u64 + chunk.oversized.iter().map(|o| o.bytes).sum::<u64>(),
    }
}

/// Write one window's dead letters, in order; each message's are dropped once written.
fn write_dead(writer: &mut DeadLetterWriter, dead: Vec<(i64, Vec<Rejected>)>) -> Result<()> {
    for (sequence, rejected) in dead {
        for r in &rejected {
            writer.write(None, sequence, r)?;
        }
    }
    Ok(())
}

/// Convert every input into the destinations the options name.
pub fn convert(opts: &ConvertOptions, rt: Handle) -> Result<ConvertReport> {
    let start = Instant::now();
    let inputs = expand(&opts.inputs)?;
    let extra_lake = opts.out.as_ref().map(|out| LakeDestinationConfig {
        name: LAKE_NAME.into(),
        out: out.clone(),
        nanos: opts.schema.nanosecond_timestamps,
        zstd_level: opts.lake.zstd_level,
        format: opts.format,
        route: Vec::new(),
    });
    let config = opts.config.clone().unwrap_or_default();
    let plan = Plan::build(
        &config,
        extra_lake.as_ref(),
        &PlanOptions {
            lake: opts.lake.clone(),
            rt: rt.clone(),
            service: false,
            max_backoff: Duration::from_secs_f64(config.service.max_backoff_secs),
            cancel: Default::default(),
        },
    )?;
    let schema = if opts.config.is_some() {
        plan.schema
    } else {
        opts.schema
    };
    let total: u64 = inputs.iter().filter_map(|i| i.size).sum();
    let bar = if opts.progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
        )
        .expect("template"),
    );
    let mut tables = NormalizeStats::default();
    let mut reports = Vec::new();
    let mut destinations: Vec<DestinationReport> = plan
        .destinations
        .iter()
        .map(|d| DestinationReport {
            name: d.destination.name().to_string(),
            kind: d.kind,
            delivered: SegmentReport::default(),
            filtered_out: 0,
            already_held: 0,
            failed: None,
        })
        .collect();
    for input in &inputs {
        bar.set_message(short_name(input));
        let report = convert_input(
            input,
            opts,
            schema,
            &plan,
            &rt,
            &mut destinations,
            &mut tables,
            &bar,
        )?;
        reports.push(report);
    }
    bar.finish_and_clear();
    for (report, d) in destinations.iter_mut().zip(&plan.destinations) {
        report.filtered_out = d
            .routes
            .filtered_out
            .load(std::sync::atomic::Ordering::Relaxed);
    }
    let written = destinations
        .iter_mut()
        .filter(|d| d.kind == "lake")
        .flat_map(|d| std::mem::take(&mut d.delivered.files))
        .collect();
    Ok(ConvertReport {
        tables,
        inputs: reports,
        written,
        destinations,
        elapsed: start.elapsed(),
        lake: plan
            .lake
            .clone()
            .unwrap_or_else(|| plan.dead_letters.display.clone()),
    })
}

fn short_name(input: &Input) -> String {
    input
        .path
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or("stdin".into(), |n| n.to_string_lossy().into_owned())
}

/// One destination's segment for the input being converted.
struct Open<'a> {
    writer: Option<Box<dyn SegmentWriter + 'a>>,
    held: Committed,
}

/// Route one window's rows to every destination still taking them.
fn deliver(
    plan: &Plan,
    open: &mut [Open<'_>],
    reports: &mut [DestinationReport],
    batches: Vec<TableBatch>,
) -> Result<()> {
    for ((d, o), report) in plan.destinations.iter().zip(open.iter_mut()).zip(reports) {
        let Some(writer) = o.writer.as_mut() else {
            continue;
        };
        let mut routed = d.routes.route(&batches)?;
        if !o.held.is_empty() {
            let before: usize = routed.iter().map(|(_, _, b)| b.num_rows()).sum();
            routed = routed
                .into_iter()
                .filter_map(|b| o.held.remove_held(b))
                .collect();
            let after: usize = routed.iter().map(|(_, _, b)| b.num_rows()).sum();
            report.already_held += (before - after) as u64;
        }
        if routed.is_empty() {
            continue;
        }
        if let Err(e) = writer.write(routed) {
            // A lake that cannot write is the end of the run; another destination fails alone
            // and the others go on.
            if d.kind == "lake" {
                return Err(e);
            }
            tracing::error!(destination = d.destination.name(), error = %format!("{e:#}"), "destination failed; it receives nothing more in this run");
            report.failed = Some(format!("{e:#}"));
            o.writer = None;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn convert_input(
    input: &Input,
    opts: &ConvertOptions,
    schema: SchemaOptions,
    plan: &Plan,
    rt: &Handle,
    destinations: &mut [DestinationReport],
    tables: &mut NormalizeStats,
    bar: &ProgressBar,
) -> Result<InputReport> {
    let source = SourcePartition {
        id: stable_hash(&input.source),
        source: input.source.clone(),
        partition: None,
        epoch: 0,
        incarnation: None,
    };
    let mut reader = ChunkReader::open(input, opts.chunk_bytes, opts.max_message_bytes)?;
    let mut report = InputReport {
        source: input.source.clone(),
        ..Default::default()
    };
    // Line numbers start at 1: everything a destination holds of this input counts.
    let mut open = Vec::with_capacity(plan.destinations.len());
    for (d, r) in plan.destinations.iter().zip(destinations.iter()) {
        if r.failed.is_some() {
            open.push(Open {
                writer: None,
                held: Committed::default(),
            });
            continue;
        }
        let held = d.destination.recover(&source, 1)?;
        open.push(Open {
            writer: Some(d.destination.open(&source, 1)?),
            held,
        });
    }
    // Dead letters are written as they come (a window behind, like rows), not held to the end.
    let name = format!("{:016x}", source.id);
    let mut dead_letters = DeadLetterWriter::new(&plan.dead_letters, rt, &name, &input.source);
    let mut last_line = 1;
    // While one window is decoded and normalized, the previous one is delivered: both cores
    // stay busy, and windows still reach each destination in order.
    let mut previous: Vec<TableBatch> = Vec::new();
    let mut previous_dead: Vec<(i64, Vec<Rejected>)> = Vec::new();
    let read_window = |reader: &mut ChunkReader| -> Result<Vec<Chunk>> {
        let mut window = Vec::with_capacity(opts.window_chunks);
        while window.len() < opts.window_chunks {
            match reader.next_chunk()? {
                Some(c) => window.push(c),
                None => break,
            }
        }
        Ok(window)
    };
    let mut window = read_window(&mut reader)?;
    let workers = Workers::new(schema);
    while !window.is_empty() {
        let to_write = std::mem::take(&mut previous);
        let dead = std::mem::take(&mut previous_dead);
        // One side normalizes this window; the other encodes the previous one and reads the next.
        let (outputs, (written, next)) = rayon::join(
            || -> Vec<ChunkOutput> {
                window
                    .par_iter()
                    .map(|chunk| {
                        let mut worker = workers.take();
                        let out = process(&mut worker, &input.source, chunk, opts);
                        workers.put(worker);
                        out
                    })
                    .collect()
            },
            || {
                let written = write_dead(&mut dead_letters, dead).and_then(|()| {
                    if to_write.is_empty() {
                        Ok(())
                    } else {
                        deliver(plan, &mut open, destinations, to_write)
                    }
                });
                (written, read_window(&mut reader))
            },
        );
        written?;
        for chunk in std::mem::replace(&mut window, next?) {
            reader.recycle(chunk.data);
        }
        for out in outputs {
            report.bytes += out.bytes;
            last_line = last_line.max(out.last_line);
            report.records += out.outcome.records;
            report.rows += out.outcome.rows;
            report.dead_letters += out.outcome.rejected;
            tables.merge(&out.stats);
            previous_dead.extend(out.dead);
            previous.extend(out.batches);
            bar.inc(out.bytes);
        }
        // Rows are usually about the size of their input, but tiny records make ~100 bytes of
        // columns each (a 2 MiB chunk of `{}` lines, 700k rows, ~90 MB): then this window is
        // delivered before the next is decoded rather than while, so that one window's rows
        // are in memory, not two. Same writes in the same order: the same files.
        let held: usize = previous
            .iter()
            .map(|(_, _, b)| b.get_array_memory_size())
            .sum();
        if held > OVERLAP_BYTES {
            write_dead(&mut dead_letters, std::mem::take(&mut previous_dead))?;
            deliver(plan, &mut open, destinations, std::mem::take(&mut previous))?;
        }
    }
    write_dead(&mut dead_letters, previous_dead)?;
    if !previous.is_empty() {
        deliver(plan, &mut open, destinations, previous)?;
    }
    // Dead letters first: they are stored whatever a destination does next.
    debug_assert_eq!(dead_letters.count(), report.dead_letters);
    report.dead_letter_file = dead_letters.finish()?;
    let last = last_line as i64;
    for ((d, o), r) in plan
        .destinations
        .iter()
        .zip(open)
        .zip(destinations.iter_mut())
    {
        let Some(writer) = o.writer else { continue };
        match writer.close(last) {
            Ok(delivered) => r.delivered.merge(delivered),
            Err(e) if d.kind == "lake" => return Err(e),
            Err(e) => {
                tracing::error!(destination = d.destination.name(), error = %format!("{e:#}"), "destination failed");
                r.failed = Some(format!("{e:#}"));
            }
        }
    }
    Ok(report)
}
