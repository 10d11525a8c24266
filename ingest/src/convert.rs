//! `convert`: files in, lake out. Inputs are read in chunks cut at line ends; a window of chunks
//! is decoded and normalized in parallel on the rayon pool while the previous window's rows are
//! handed to the lake writer (which encodes on the same pool and streams to the object store) and
//! the next window is read. Windows are a fixed number of chunks, so file boundaries (and so file
//! names) do not depend on the thread count.

use std::time::{Duration, Instant};

use aad_schemas::{
    BatchSet, Decoder, MessageContext, MessageOutcome, NormalizeStats, Normalizer, SchemaOptions,
    TableId,
};
use anyhow::Result;
use arrow_array::RecordBatch;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tokio::runtime::Handle;

use crate::sink::deadletter::{self, DeadLetter};
use crate::sink::parquet::{LakeOptions, LakeWriter, WrittenFile};
use crate::source::files::{expand, Chunk, ChunkReader, Input};
use crate::store::{self, stable_hash};

/// Input MiB per chunk, the unit of parallel work (shared with the command line).
pub const DEFAULT_CHUNK_MIB: usize = 2;

/// What `convert` needs.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub inputs: Vec<String>,
    pub out: String,
    pub schema: SchemaOptions,
    pub lake: LakeOptions,
    /// Input bytes per chunk (the unit of parallel work).
    pub chunk_bytes: usize,
    /// Chunks per window (the unit of writing).
    pub window_chunks: usize,
    pub progress: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            inputs: Vec::new(),
            out: "lake".into(),
            schema: SchemaOptions::default(),
            lake: LakeOptions::default(),
            chunk_bytes: DEFAULT_CHUNK_MIB << 20,
            window_chunks: 4,
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

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct ConvertReport {
    pub tables: NormalizeStats,
    pub inputs: Vec<InputReport>,
    pub written: Vec<WrittenFile>,
    pub elapsed: Duration,
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
    /// Rows in the Parquet files written for a table.
    pub fn rows_written(&self, table: &str) -> u64 {
        self.written
            .iter()
            .filter(|f| f.table == table)
            .map(|f| f.rows)
            .sum()
    }
}

/// The output of one chunk.
struct ChunkOutput {
    batches: Vec<(TableId, i64, RecordBatch)>,
    dead: Vec<DeadLetter>,
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

/// Decode and normalize every message of a chunk.
fn process(worker: &mut Worker, source: &str, chunk: &Chunk) -> ChunkOutput {
    let Worker {
        decoder,
        normalizer,
        set,
    } = worker;
    let mut dead = Vec::new();
    let mut rejected = Vec::new();
    let mut outcome = MessageOutcome::default();
    for (line, message) in chunk.messages() {
        let ctx = MessageContext {
            source,
            partition: None,
            sequence: line as i64,
            enqueued: None,
        };
        let o = decoder.message(message, &ctx, normalizer, set, &mut rejected);
        outcome.records += o.records;
        outcome.rows += o.rows;
        outcome.rejected += o.rejected;
        dead.extend(rejected.drain(..).map(|r| DeadLetter {
            sequence: line as i64,
            partition: None,
            rejected: r,
        }));
    }
    ChunkOutput {
        batches: set.take_batches(),
        dead,
        outcome,
        stats: std::mem::take(&mut normalizer.stats),
        bytes: chunk.data.len() as u64,
    }
}

/// Convert every input into the lake at `opts.out`.
pub fn convert(opts: &ConvertOptions, rt: Handle) -> Result<ConvertReport> {
    let start = Instant::now();
    let inputs = expand(&opts.inputs)?;
    let location = store::open(&opts.out)?;
    let mut lake = LakeWriter::new(location.clone(), rt.clone(), opts.lake.clone())?;
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
    for input in &inputs {
        bar.set_message(short_name(input));
        let report = convert_input(input, opts, &rt, &mut lake, &mut tables, &bar)?;
        reports.push(report);
    }
    bar.finish_and_clear();
    Ok(ConvertReport {
        tables,
        inputs: reports,
        written: lake.written,
        elapsed: start.elapsed(),
        lake: location.display,
    })
}

fn short_name(input: &Input) -> String {
    input
        .path
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or("stdin".into(), |n| n.to_string_lossy().into_owned())
}

fn convert_input(
    input: &Input,
    opts: &ConvertOptions,
    rt: &Handle,
    lake: &mut LakeWriter,
    tables: &mut NormalizeStats,
    bar: &ProgressBar,
) -> Result<InputReport> {
    let source_id = stable_hash(&input.source);
    let mut reader = ChunkReader::open(input, opts.chunk_bytes)?;
    let mut report = InputReport {
        source: input.source.clone(),
        ..Default::default()
    };
    let mut dead: Vec<DeadLetter> = Vec::new();
    // While one window is decoded and normalized, the previous one is encoded: both cores stay
    // busy, and windows still reach the lake in order.
    let mut previous: Vec<(TableId, i64, RecordBatch)> = Vec::new();
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
    let workers = Workers::new(opts.schema);
    while !window.is_empty() {
        let to_write = std::mem::take(&mut previous);
        // One side normalizes this window; the other encodes the previous one and reads the next.
        let (outputs, (written, next)) = rayon::join(
            || -> Vec<ChunkOutput> {
                window
                    .par_iter()
                    .map(|chunk| {
                        let mut worker = workers.take();
                        let out = process(&mut worker, &input.source, chunk);
                        workers.put(worker);
                        out
                    })
                    .collect()
            },
            || {
                let written = if to_write.is_empty() {
                    Ok(())
                } else {
                    lake.write(source_id, to_write)
                };
                (written, read_window(&mut reader))
            },
        );
        written?;
        for chunk in std::mem::replace(&mut window, next?) {
            reader.recycle(chunk.data);
        }
        for out in outputs {
            report.bytes += out.bytes;
            report.records += out.outcome.records;
            report.rows += out.outcome.rows;
            report.dead_letters += out.outcome.rejected;
            tables.merge(&out.stats);
            dead.extend(out.dead);
            previous.extend(out.batches);
            bar.inc(out.bytes);
        }
    }
    if !previous.is_empty() {
        lake.write(source_id, previous)?;
    }
    lake.close_all()?;
    let name = format!("{source_id:016x}");
    report.dead_letter_file = deadletter::store(lake.location(), rt, &name, &input.source, &dead)?;
    Ok(report)
}
