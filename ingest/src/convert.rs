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
use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tokio::runtime::Handle;

use crate::config::{LakeDestinationConfig, RunConfig, LAKE_NAME};
use crate::destination::plan::{Plan, PlanOptions};
use crate::destination::{Committed, SegmentReport, SegmentWriter, SourcePartition, TableBatch};
use crate::progress::{Done, Progress, Shard};
use crate::sink::deadletter::{self, DeadLetterWriter};
use crate::sink::parquet::{LakeOptions, WrittenFile};
use crate::source::archive::{complete_len, list as list_archive, ArchiveSelection, Repeats};
use crate::source::capture::{
    list as list_capture, ArchiveNameFormat, CaptureEvent, PartitionEvents, PartitionFiles,
    Selection,
};
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
    /// Read the inputs as Event Hubs Capture archives (directories or object-store URLs).
    pub capture: Option<CaptureInput>,
    /// Read the inputs as Entra storage-account archives (`insights-logs-<category>/…/PT1H.json`).
    pub archive: Option<ArchiveSelection>,
    /// `--shard K/N` of a Capture or archive backfill: this process takes its share of the
    /// objects, and keeps its own progress record.
    pub shard: Option<Shard>,
}

/// `convert --capture`: how the archives are named and which of their files to take.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    pub format: ArchiveNameFormat,
    pub selection: Selection,
    /// Backfill, then live: take each partition through the config's checkpoint store as `run`
    /// does (fenced), skip what its checkpoint already covers, and once the partition's rows
    /// are durable put its checkpoint at the last event converted, so `run` goes on from there.
    pub checkpoint: bool,
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
            capture: None,
            archive: None,
            shard: None,
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
    /// Archive records dropped as repeats of a record read before in the run.
    pub repeats: u64,
    /// Bytes of a last line still being appended, left for the next run.
    pub pending_bytes: u64,
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

/// A unit of parallel work: a chunk of lines of a file, or a run of one partition's Capture
/// events (about a chunk's bytes of bodies).
enum Unit {
    Lines(Chunk),
    Events(Vec<CaptureEvent>),
}

/// Hands out a source partition's units in position order.
trait Units: Send {
    fn next_unit(&mut self) -> Result<Option<Unit>>;
    /// A processed unit, whose buffers the reader may reuse.
    fn recycle(&mut self, _unit: Unit) {}
}

/// An archive blob's chunks, with repeats of records read before in the run blanked.
struct ArchiveUnits<'a> {
    reader: ChunkReader,
    repeats: &'a mut Repeats,
}

impl Units for ArchiveUnits<'_> {
    fn next_unit(&mut self) -> Result<Option<Unit>> {
        let Some(mut chunk) = self.reader.next_chunk()? else {
            return Ok(None);
        };
        self.repeats.blank_repeats(&mut chunk.data);
        Ok(Some(Unit::Lines(chunk)))
    }
    fn recycle(&mut self, unit: Unit) {
        Units::recycle(&mut self.reader, unit)
    }
}

impl Units for ChunkReader {
    fn next_unit(&mut self) -> Result<Option<Unit>> {
        Ok(self.next_chunk()?.map(Unit::Lines))
    }
    fn recycle(&mut self, unit: Unit) {
        if let Unit::Lines(chunk) = unit {
            ChunkReader::recycle(self, chunk.data);
        }
    }
}

/// One partition's Capture events, cut into units of about `chunk_bytes` of bodies; events at
/// or below `skip_through` (a checkpoint `run` already holds) are left out.
struct EventUnits {
    events: PartitionEvents,
    chunk_bytes: usize,
    skip_through: Option<i64>,
    /// The last event handed out: its sequence number and offset, for the checkpoint.
    last: Option<(i64, String)>,
}

impl Units for EventUnits {
    fn next_unit(&mut self) -> Result<Option<Unit>> {
        let mut unit = Vec::new();
        let mut bytes = 0;
        while bytes < self.chunk_bytes {
            let Some(event) = self.events.next() else {
                break;
            };
            let event = event?;
            if self.skip_through.is_some_and(|s| event.sequence <= s) {
                continue;
            }
            bytes += event.body.len();
            self.last = Some((event.sequence, event.offset.clone()));
            unit.push(event);
        }
        Ok((!unit.is_empty()).then_some(Unit::Events(unit)))
    }
}

/// The output of one unit.
struct ChunkOutput {
    batches: Vec<(TableId, i64, RecordBatch)>,
    /// The unit's last message's position (line, or sequence number).
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
fn process(
    worker: &mut Worker,
    source: &str,
    partition: Option<&str>,
    unit: &Unit,
    opts: &ConvertOptions,
) -> ChunkOutput {
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
    let no_oversized = Vec::new();
    let (oversized, bytes) = match unit {
        // Skipped lines were read too (their line ends aside).
        Unit::Lines(chunk) => (
            &chunk.oversized,
            chunk.data.len() as u64 + chunk.oversized.iter().map(|o| o.bytes).sum::<u64>(),
        ),
        Unit::Events(events) => (
            &no_oversized,
            events.iter().map(|e| e.body.len() as u64).sum(),
        ),
    };
    // (position, enqueued time, body) of every message.
    let messages: Box<dyn Iterator<Item = (u64, Option<i64>, &[u8])>> = match unit {
        Unit::Lines(chunk) => Box::new(chunk.messages().map(|(line, m)| (line, None, m))),
        Unit::Events(events) => Box::new(
            events
                .iter()
                .map(|e| (e.sequence as u64, e.enqueued, e.body.as_slice())),
        ),
    };
    for o in oversized {
        last_line = o.line;
        outcome.records += 1;
        outcome.rejected += 1;
        dead.push(too_long(o.line, o.bytes, o.head.clone()));
    }
    let mut rejected = Vec::new();
    let mut largest = 0;
    for (line, enqueued, message) in messages {
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
            partition,
            sequence: line as i64,
            enqueued,
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
        bytes,
    }
}

/// Write one window's dead letters, in order; each message's are dropped once written.
fn write_dead(
    writer: &mut DeadLetterWriter,
    partition: Option<&str>,
    dead: Vec<(i64, Vec<Rejected>)>,
) -> Result<()> {
    for (sequence, rejected) in dead {
        for r in &rejected {
            writer.write(partition, sequence, r)?;
        }
    }
    Ok(())
}

/// Convert every input into the destinations the options name.
pub fn convert(opts: &ConvertOptions, rt: Handle) -> Result<ConvertReport> {
    let start = Instant::now();
    // Capture archives are listed through the object store, not walked as files.
    let inputs = if opts.capture.is_some() || opts.archive.is_some() {
        Vec::new()
    } else {
        expand(&opts.inputs)?
    };
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
    let mut cx = Ctx {
        opts,
        schema,
        plan: &plan,
        rt: &rt,
        destinations: &mut destinations,
        tables: &mut tables,
        bar: &bar,
    };
    if let Some(capture) = &opts.capture {
        reports = convert_capture(capture, &mut cx)?;
    }
    if let Some(selection) = &opts.archive {
        reports = convert_archives(selection, &mut cx)?;
    }
    for input in &inputs {
        cx.bar.set_message(short_name(input));
        let report = convert_input(input, &mut cx)?;
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

/// The hub a Capture archive belongs to, as `run` names it: `_Source` and the source partitions'
/// identities must be the ones `run` gives the same events, so that a backfilled lake continues
/// live without duplicates. With a config's `[source.eventhubs]` they are its namespace, hub and
/// consumer group; without, the namespace is Azure's `<name>.servicebus.windows.net` of the name
/// in the Capture path and the consumer group `$Default`.
struct Hub {
    namespace: String,
    hub: String,
    consumer_group: String,
}

impl Hub {
    fn of(files: &PartitionFiles, config: Option<&RunConfig>) -> Result<Hub> {
        if let Some(eh) = config.and_then(|c| c.source.as_ref()).map(|s| &s.eventhubs) {
            if !eh.hub.eq_ignore_ascii_case(&files.hub) {
                anyhow::bail!(
                    "Capture files of hub {:?} found, but the config's source.eventhubs.hub is {:?}",
                    files.hub,
                    eh.hub
                );
            }
            return Ok(Hub {
                namespace: crate::source::eventhubs::namespace(eh)?,
                hub: eh.hub.clone(),
                consumer_group: eh.consumer_group.clone(),
            });
        }
        Ok(Hub {
            namespace: format!("{}.servicebus.windows.net", files.namespace),
            hub: files.hub.clone(),
            consumer_group: "$Default".into(),
        })
    }

    /// The same identity `run` gives the partition (see `service::partition`).
    fn source_partition(&self, partition: &str) -> SourcePartition {
        let source = format!("sb://{}/{}", self.namespace, self.hub);
        SourcePartition {
            id: stable_hash(&format!(
                "{source}/{}/{partition}",
                self.consumer_group.to_lowercase()
            )),
            source,
            partition: Some(partition.to_string()),
            epoch: 0,
            incarnation: None,
        }
    }
}

/// Convert the Capture archives the inputs name: every selected partition of every hub found,
/// one segment per partition.
fn convert_capture(capture: &CaptureInput, cx: &mut Ctx<'_>) -> Result<Vec<InputReport>> {
    let (opts, plan, rt, bar) = (cx.opts, cx.plan, cx.rt, cx.bar);
    let mut reports = Vec::new();
    let handoff = capture
        .checkpoint
        .then(|| Handoff::open(opts.config.as_ref()))
        .transpose()?;
    let mut progress = Progress::open(&plan.dead_letters, rt, opts.shard)?;
    for input in &opts.inputs {
        let location = open_input(input, "Capture")?;
        let (partitions, other) =
            rt.block_on(list_capture(&location, &capture.format, &capture.selection))?;
        if other > 0 {
            tracing::warn!(
                input = %location.display,
                objects = other,
                "objects whose names are not Capture names of the archive name format were skipped"
            );
        }
        for mut files in partitions {
            let key = format!("{}/{}/{}", files.namespace, files.hub, files.partition);
            if opts.shard.is_some_and(|s| !s.takes(&key)) {
                continue;
            }
            // Capture never rewrites a file: one converted before is skipped.
            let mut keys = Vec::new();
            for f in std::mem::take(&mut files.files) {
                let key = blob_source(input, &location, &f.path)?;
                if progress.resume(&key, f.size, None).is_some() {
                    keys.push((key, f.size));
                    files.files.push(f);
                }
            }
            if files.files.is_empty() {
                continue;
            }
            let hub = Hub::of(&files, opts.config.as_ref())?;
            let mut source = hub.source_partition(&files.partition);
            // Taken as `run` takes a partition: its rows are named with this writer's epoch,
            // and what the checkpoint covers is `run`'s already.
            let fence = match &handoff {
                Some(h) => Some(rt.block_on(h.store.fence(
                    &hub.namespace,
                    &hub.hub,
                    &hub.consumer_group,
                    &files.partition,
                    &h.owner,
                ))?),
                None => None,
            };
            if let Some(f) = &fence {
                source.epoch = f.epoch;
            }
            bar.set_message(format!("{} partition {}", files.hub, files.partition));
            let mut units = EventUnits {
                events: PartitionEvents::new(
                    std::sync::Arc::clone(&location.store),
                    rt.clone(),
                    files.files,
                ),
                chunk_bytes: opts.chunk_bytes,
                skip_through: fence.as_ref().and_then(|f| f.sequence_number),
                last: None,
            };
            let report = InputReport {
                source: format!("{} partition {}", source.source, files.partition),
                ..Default::default()
            };
            let report = convert_stream(&source, &mut units, 0, report, cx)?;
            let unreadable = std::mem::take(&mut units.events.unreadable);
            let mut report = report;
            if !unreadable.is_empty() {
                // Whole files: their events are not known, so their dead letters name the file.
                let name = format!("{:016x}-files", source.id);
                let mut dead = DeadLetterWriter::new(&plan.dead_letters, rt, &name, &source.source);
                for (path, reason) in &unreadable {
                    tracing::error!(file = %path, reason = %reason, "Capture file set aside");
                    let rejected = Rejected {
                        reason: format!("{path}: {reason}"),
                        record_index: None,
                        raw: path.as_bytes().to_vec(),
                    };
                    dead.write(Some(&files.partition), -1, &rejected)?;
                    report.dead_letters += 1;
                }
                dead.finish()?;
            }
            let checkpoint_to = units.last.filter(|_| unreadable.is_empty());
            if handoff.is_some() && !unreadable.is_empty() {
                tracing::error!(partition = %files.partition, files = unreadable.len(), "partition not checkpointed: events of unreadable Capture files would be skipped by run");
            }
            if let (Some(h), Some(mut fence), Some((last, offset))) =
                (&handoff, fence, checkpoint_to)
            {
                if let Some(failed) = cx.destinations.iter().find(|d| d.failed.is_some()) {
                    anyhow::bail!(
                        "partition {}: not checkpointed, destination {} failed",
                        files.partition,
                        failed.name
                    );
                }
                let checkpoint = azure_messaging_eventhubs::models::Checkpoint {
                    fully_qualified_namespace: hub.namespace.clone(),
                    event_hub_name: hub.hub.clone(),
                    consumer_group: hub.consumer_group.clone(),
                    partition_id: files.partition.clone(),
                    offset: Some(offset),
                    sequence_number: Some(last),
                };
                rt.block_on(h.store.checkpoint_fenced(&mut fence, &checkpoint, &h.owner))
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "partition {}: checkpoint at {last} not written: {e} (another writer \
                             took the partition during the backfill; its rows stay in the lake \
                             and run, which holds the partition, skips nothing)",
                            files.partition
                        )
                    })?;
                tracing::info!(partition = %files.partition, sequence_number = last, "checkpoint written: run continues after the backfill");
            }
            if cx.destinations.iter().all(|d| d.failed.is_none()) {
                let unreadable: Vec<&String> = unreadable.iter().map(|u| &u.0).collect();
                for (key, size) in keys {
                    if unreadable.iter().any(|u| key.ends_with(u.as_str())) {
                        continue; // set aside: tried again next run
                    }
                    let done = Done {
                        size,
                        etag: None,
                        bytes: size,
                        lines: 0,
                    };
                    progress.record(&key, done)?;
                }
            }
            reports.push(report);
        }
    }
    progress.flush()?;
    Ok(reports)
}

/// Open a directory or object-store URL that is read, not written: a missing directory is an
/// error, not created.
fn open_input(input: &str, what: &str) -> Result<crate::store::Location> {
    if !input.contains("://") && !std::path::Path::new(input).is_dir() {
        anyhow::bail!("{what} input {input:?} is not a directory or an object-store URL");
    }
    crate::store::open(input)
}

/// Convert the storage-account archive blobs the inputs hold: each blob is one source (its
/// URL or path in `_Source`, its line numbers as positions), its complete lines only, repeats of
/// records read before in the run dropped.
fn convert_archives(selection: &ArchiveSelection, cx: &mut Ctx<'_>) -> Result<Vec<InputReport>> {
    use object_store::ObjectStoreExt;
    let (opts, plan, rt, bar) = (cx.opts, cx.plan, cx.rt, cx.bar);
    let mut reports = Vec::new();
    let mut repeats = Repeats::default();
    let mut progress = Progress::open(&plan.dead_letters, rt, opts.shard)?;
    for input in &opts.inputs {
        let location = open_input(input, "archive")?;
        let blobs = rt.block_on(list_archive(&location, selection))?;
        for blob in blobs {
            let source = blob_source(input, &location, &blob.path)?;
            if opts.shard.is_some_and(|s| !s.takes(&source)) {
                continue;
            }
            let etag = blob.etag.as_deref();
            let Some((done_bytes, done_lines)) = progress.resume(&source, blob.size, etag) else {
                continue; // nothing new since the last run
            };
            bar.set_message(blob.path.to_string());
            let mut data = rt
                .block_on(async {
                    location
                        .store
                        .get_range(&blob.path, done_bytes..blob.size)
                        .await
                })
                .with_context(|| format!("reading {source}"))?
                .to_vec();
            let complete = complete_len(&data);
            let pending_bytes = (data.len() - complete) as u64;
            data.truncate(complete);
            let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
            let mut report = InputReport {
                source: source.clone(),
                pending_bytes,
                ..Default::default()
            };
            if complete > 0 {
                let before = repeats.dropped;
                let mut units = ArchiveUnits {
                    reader: ChunkReader::from_bytes(
                        data,
                        done_lines + 1,
                        opts.chunk_bytes,
                        opts.max_message_bytes,
                    )?,
                    repeats: &mut repeats,
                };
                let partition = SourcePartition {
                    id: stable_hash(&source),
                    source: source.clone(),
                    partition: None,
                    epoch: 0,
                    incarnation: None,
                };
                report = convert_stream(&partition, &mut units, done_lines as i64 + 1, report, cx)?;
                report.repeats = repeats.dropped - before;
            }
            // Its rows are durable (the segment closed): remember how far it went.
            if cx.destinations.iter().all(|d| d.failed.is_none()) {
                progress.record(
                    &source,
                    Done {
                        size: blob.size,
                        etag: blob.etag.clone(),
                        bytes: done_bytes + complete as u64,
                        lines: done_lines + lines,
                    },
                )?;
            }
            reports.push(report);
        }
    }
    progress.flush()?;
    Ok(reports)
}

/// `_Source` of an archive blob: its URL, or its absolute path.
fn blob_source(
    input: &str,
    location: &crate::store::Location,
    path: &object_store::path::Path,
) -> Result<String> {
    if location.is_local() {
        let root = std::fs::canonicalize(input.strip_prefix("file://").unwrap_or(input))?;
        return Ok(root.join(path.as_ref()).to_string_lossy().into_owned());
    }
    let url = url::Url::parse(input)?;
    Ok(format!(
        "{}://{}/{path}",
        url.scheme(),
        url.host_str().unwrap_or_default()
    ))
}

/// `--checkpoint`: the config's checkpoint store and the owner id the partitions are taken as.
struct Handoff {
    store: std::sync::Arc<dyn crate::checkpoint::PartitionStore>,
    owner: String,
}

impl Handoff {
    fn open(config: Option<&RunConfig>) -> Result<Handoff> {
        let Some(config) = config.filter(|c| c.source.is_some()) else {
            anyhow::bail!("--checkpoint needs -c with the [source.eventhubs] and [checkpoint] of run's config");
        };
        let Some(checkpoint) = &config.checkpoint else {
            anyhow::bail!("--checkpoint: the config has no [checkpoint] store");
        };
        Ok(Handoff {
            store: crate::checkpoint::open(&checkpoint.store).context("checkpoint.store")?,
            owner: format!(
                "aad-ingest-convert-{}",
                checkpoint.owner_id.as_deref().unwrap_or("backfill")
            ),
        })
    }
}

/// What every source partition of a run is converted with, and what it adds to.
struct Ctx<'a> {
    opts: &'a ConvertOptions,
    schema: SchemaOptions,
    plan: &'a Plan,
    rt: &'a Handle,
    destinations: &'a mut [DestinationReport],
    tables: &'a mut NormalizeStats,
    bar: &'a ProgressBar,
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

fn convert_input(input: &Input, cx: &mut Ctx<'_>) -> Result<InputReport> {
    let source = SourcePartition {
        id: stable_hash(&input.source),
        source: input.source.clone(),
        partition: None,
        epoch: 0,
        incarnation: None,
    };
    let mut reader = ChunkReader::open(input, cx.opts.chunk_bytes, cx.opts.max_message_bytes)?;
    let report = InputReport {
        source: input.source.clone(),
        ..Default::default()
    };
    convert_stream(&source, &mut reader, 1, report, cx)
}

/// Convert one source partition (a file, or a Capture partition) into every destination, as
/// one segment from its first position to its last.
fn convert_stream(
    source: &SourcePartition,
    reader: &mut dyn Units,
    first_line: i64,
    mut report: InputReport,
    cx: &mut Ctx<'_>,
) -> Result<InputReport> {
    let (opts, schema, plan, rt, bar) = (cx.opts, cx.schema, cx.plan, cx.rt, cx.bar);
    let (destinations, tables) = (&mut *cx.destinations, &mut *cx.tables);
    let partition = source.partition.as_deref();
    let read_window = |reader: &mut dyn Units| -> Result<Vec<Unit>> {
        let mut window = Vec::with_capacity(opts.window_chunks);
        while window.len() < opts.window_chunks {
            match reader.next_unit()? {
                Some(c) => window.push(c),
                None => break,
            }
        }
        Ok(window)
    };
    let mut window = read_window(reader)?;
    // A file's lines start at 1 (everything a destination holds of it counts), a continued
    // archive blob's after the lines converted before; a Capture partition's segment starts at
    // its first event converted.
    let first = match window.first() {
        Some(Unit::Events(events)) => events[0].sequence,
        _ => first_line,
    };
    if partition.is_some() && window.is_empty() {
        return Ok(report);
    }
    let mut open = Vec::with_capacity(plan.destinations.len());
    for (d, r) in plan.destinations.iter().zip(destinations.iter()) {
        if r.failed.is_some() {
            open.push(Open {
                writer: None,
                held: Committed::default(),
            });
            continue;
        }
        let held = d.destination.recover(source, first)?;
        open.push(Open {
            writer: Some(d.destination.open(source, first)?),
            held,
        });
    }
    // Dead letters are written as they come (a window behind, like rows), not held to the end.
    let name = format!("{:016x}", source.id);
    let mut dead_letters = DeadLetterWriter::new(&plan.dead_letters, rt, &name, &source.source);
    let mut last_line = first as u64;
    // While one window is decoded and normalized, the previous one is delivered: both cores
    // stay busy, and windows still reach each destination in order.
    let mut previous: Vec<TableBatch> = Vec::new();
    let mut previous_dead: Vec<(i64, Vec<Rejected>)> = Vec::new();
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
                        let out = process(&mut worker, &source.source, partition, chunk, opts);
                        workers.put(worker);
                        out
                    })
                    .collect()
            },
            || {
                let written = write_dead(&mut dead_letters, partition, dead).and_then(|()| {
                    if to_write.is_empty() {
                        Ok(())
                    } else {
                        deliver(plan, &mut open, destinations, to_write)
                    }
                });
                (written, read_window(&mut *reader))
            },
        );
        written?;
        for unit in std::mem::replace(&mut window, next?) {
            reader.recycle(unit);
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
            write_dead(
                &mut dead_letters,
                partition,
                std::mem::take(&mut previous_dead),
            )?;
            deliver(plan, &mut open, destinations, std::mem::take(&mut previous))?;
        }
    }
    write_dead(&mut dead_letters, partition, previous_dead)?;
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
