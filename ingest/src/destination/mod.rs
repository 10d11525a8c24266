//! Destinations: the one seam that `convert` and `run` both drive. A destination takes a
//! segment's routed batches (a contiguous run of one source partition's events), makes them
//! durable and acks by returning from [`SegmentWriter::close`]; it owns its recovery after a
//! crash. A partition's checkpoint advances only once every destination has acked a segment,
//! so a destination that cannot (Log Analytics down, a role not yet assigned) holds the
//! checkpoint for all of them.
//!
//! Recovery: when a source partition is (re)opened, each destination reports what it already
//! holds of the events about to be read again ([`Committed`]), and the pipeline drops those rows
//! before writing to it. The Parquet lake undoes an uncommitted segment instead (its in-flight
//! markers) and so reports nothing; Log Analytics cannot take a row back, so it reports the
//! position ranges of the requests it had acknowledged; a Delta table reports its `txn` version.

pub mod delta;
pub mod lake;
pub mod loganalytics;
pub mod plan;

use aad_schemas::TableId;
use anyhow::Result;
use arrow_array::{Array, BooleanArray, Int32Array, Int64Array, RecordBatch};
use arrow_select::filter::filter_record_batch;

use crate::sink::parquet::WrittenFile;

/// Rows of one table and one hour of `TimeGenerated` (hours since the epoch, as
/// [`aad_schemas::BatchSet`] groups them), in source order.
pub type TableBatch = (TableId, i64, RecordBatch);

/// Where a row came from: the event's sequence number (the line, for files) and the record's
/// index inside its message. Rows of one source partition are ordered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub sequence: i64,
    pub record_index: i32,
}

/// One source partition: an Event Hubs partition, or one input file.
#[derive(Debug, Clone)]
pub struct SourcePartition {
    /// Stable hash of the source's identity, which names its files and recovery records.
    pub id: u64,
    /// `_Source` of its rows (the hub URL or the input path).
    pub source: String,
    /// The Event Hubs partition id; `None` for files.
    pub partition: Option<String>,
    /// The writer's epoch (see `checkpoint`): what it writes is told apart from what earlier
    /// and later writers of the same partition wrote. 0 for files.
    pub epoch: u64,
    /// When the hub was created (ms since the epoch); `None` for files. A hub deleted and
    /// created again reuses its name and starts its sequence numbers over: a Delta table's
    /// `txn` watermark must not make its first events look committed.
    pub incarnation: Option<i64>,
}

/// Rows a destination already holds, as position ranges per table (and per hour of
/// `TimeGenerated` where the destination keys them so; `None` covers every hour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    ranges: Vec<CommittedRange>,
}

/// Every row of `table` (and `hour`, when given) whose position lies in `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedRange {
    pub table: TableId,
    pub hour: Option<i64>,
    pub first: Position,
    pub last: Position,
}

impl Committed {
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn add(&mut self, range: CommittedRange) {
        self.ranges.push(range);
    }

    pub fn extend(&mut self, other: Committed) {
        self.ranges.extend(other.ranges);
    }

    /// The rows of `batch` that this destination does not hold yet; `None` when none are left.
    /// Reads the batch's `_SequenceNumber` and `_RecordIndex` columns.
    pub fn remove_held(&self, batch: TableBatch) -> Option<TableBatch> {
        let (table, hour, rows) = batch;
        let ranges: Vec<&CommittedRange> = self
            .ranges
            .iter()
            .filter(|r| r.table == table && r.hour.is_none_or(|h| h == hour))
            .collect();
        if ranges.is_empty() {
            return Some((table, hour, rows));
        }
        let (seq, idx) = position_columns(&rows);
        let keep: BooleanArray = (0..rows.num_rows())
            .map(|i| {
                let p = Position {
                    sequence: seq.value(i),
                    record_index: idx.value(i),
                };
                Some(!ranges.iter().any(|r| r.first <= p && p <= r.last))
            })
            .collect();
        if keep.true_count() == rows.num_rows() {
            return Some((table, hour, rows));
        }
        let kept = filter_record_batch(&rows, &keep).expect("same length");
        (kept.num_rows() > 0).then_some((table, hour, kept))
    }
}

/// The `_SequenceNumber` and `_RecordIndex` columns of a normalized batch.
pub fn position_columns(batch: &RecordBatch) -> (&Int64Array, &Int32Array) {
    use aad_schemas::catalogue::extra;
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("normalized batches carry {name}"))
    };
    let seq = column(extra::SEQUENCE_NUMBER)
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("_SequenceNumber is Int64");
    let idx = column(extra::RECORD_INDEX)
        .as_any()
        .downcast_ref::<Int32Array>()
        .expect("_RecordIndex is Int32");
    debug_assert_eq!(seq.null_count(), 0);
    (seq, idx)
}

/// The position of a batch's row.
pub fn position_at(batch: &RecordBatch, row: usize) -> Position {
    let (seq, idx) = position_columns(batch);
    Position {
        sequence: seq.value(row),
        record_index: idx.value(row),
    }
}

/// What one destination did with one segment.
#[derive(Debug, Clone, Default)]
pub struct SegmentReport {
    /// Rows made durable.
    pub rows: u64,
    /// Lake files completed.
    pub files: Vec<WrittenFile>,
    /// Requests acknowledged (Log Analytics).
    pub requests: u64,
    /// Rows this destination refused and sent to the dead letter.
    pub dead_letters: u64,
    /// Values shortened to fit the destination (see the Log Analytics value policy).
    pub truncated_values: u64,
    /// Input bytes of the rows sent (the JSON bodies, before gzip, for Log Analytics).
    pub bytes: u64,
}

impl SegmentReport {
    pub fn merge(&mut self, other: SegmentReport) {
        self.rows += other.rows;
        self.files.extend(other.files);
        self.requests += other.requests;
        self.dead_letters += other.dead_letters;
        self.truncated_values += other.truncated_values;
        self.bytes += other.bytes;
    }
}

/// A place rows go. Calls block (they run on the rayon pool or a blocking thread, and reach the
/// runtime through a handle the destination keeps); a slow destination therefore slows the
/// source instead of filling memory.
pub trait Destination: Send + Sync {
    /// The configured name (`lake`, `sentinel`, …), for messages and recovery records.
    fn name(&self) -> &str;

    /// A source partition is (re)opened and its first event to be read is `first_received`:
    /// put what was left uncommitted by a crash right, and report what this destination already
    /// holds from that event on.
    fn recover(&self, source: &SourcePartition, first_received: i64) -> Result<Committed>;

    /// Start a segment whose first event is `first`.
    fn open(&self, source: &SourcePartition, first: i64) -> Result<Box<dyn SegmentWriter + '_>>;

    /// The segment starting at `first` will not be checkpointed by this writer (the partition
    /// went to another replica): take back what can be taken back.
    fn undo(&self, source: &SourcePartition, first: i64, last: i64) -> Result<()>;

    /// The segment starting at `first` lies at or below the checkpoint now: its recovery
    /// records may go (every later writer of the partition skips those events).
    fn finish(&self, source: &SourcePartition, first: i64) -> Result<()>;

    /// Is the destination reachable and does it let this process write? The service's
    /// readiness asks this until a segment's write answers it (see `ops::health`).
    fn probe(&self) -> Result<()>;

    /// What keeps the destination from taking writes right now while it retries inside a
    /// segment's write (a throttling or unavailable service), if anything: readiness reports
    /// it before the write gives up.
    fn trouble(&self) -> Option<String> {
        None
    }
}

/// One segment on its way into a destination.
pub trait SegmentWriter: Send {
    /// Rows of the segment, in source order; may be called more than once (`convert` streams
    /// windows). May block while the destination is slow: that is the backpressure.
    fn write(&mut self, batches: Vec<TableBatch>) -> Result<()>;

    /// Everything written is durable: the segment's ack. `last` is its last event.
    fn close(self: Box<Self>, last: i64) -> Result<SegmentReport>;
}
