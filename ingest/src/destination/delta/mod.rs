//! The lake as Delta tables: the files are written as for the Parquet lake (one per table and
//! hour of a segment), then each table's files of a segment are committed in one Delta
//! transaction carrying a `txn` action: `appId` = the source partition, `version` = the last
//! sequence number of the segment. The table itself then says what it holds, so the commit is
//! the exactly-once point:
//!
//! - recovery reports, per table, every position at or below its `txn` version as held, and the
//!   pipeline does not send those rows again; files written and never committed are invisible
//!   to readers (and `vacuum` removes them);
//! - a commit first reloads the table and compares the source's `txn` version with the one the
//!   rows were filtered against. Another writer of the partition (a stale owner, a replayed
//!   attempt whose answer was lost) that committed meanwhile makes it refuse: the pipeline asks
//!   recovery again and writes only the rest. Put-if-absent on the log entry makes two commits of
//!   the same version impossible; a writer that meets one reloads and compares again.
//!
//! With checkpoint fencing (`checkpoint`): the fence decides who may move the checkpoint; the
//! table decides which rows are in it. A stale writer may still commit its segment to a table
//! before it learns it lost the partition; the new owner's rows at or below that `txn` version
//! are then dropped for that table, so each row lands once either way, and the stale writer's
//! undo never removes committed rows.

pub mod maintenance;
pub mod table;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aad_schemas::{Catalogue, SchemaOptions, Table, TableId};
use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use delta_kernel::committer::FileSystemCommitter;
use delta_kernel::expressions::Scalar;
use delta_kernel::schema::StructType;
use delta_kernel::transaction::{CommitResult, UpdateTableOperation};
use delta_kernel::{FileMeta, SnapshotRef};
use delta_kernel_default_engine::parquet::DataFileMetadata;
use delta_kernel_default_engine::stats::FileStatsAccumulator;
use tokio::runtime::Handle;

use super::{
    Committed, CommittedRange, Destination, Position, SegmentReport, SegmentWriter,
    SourcePartition, TableBatch,
};
use crate::sink::inflight;
use crate::sink::parquet::{
    date_hour_dir, FileFormats, FileObserver, LakeOptions, LakeWriter, ObserverFactory, WrittenFile,
};
use table::{DeltaTables, DATE_COLUMN, HOUR_COLUMN};

/// The Delta destination.
pub struct DeltaDestination {
    name: String,
    tables: Arc<DeltaTables>,
    options: LakeOptions,
    /// Made once, for every segment's files.
    formats: Arc<FileFormats>,
    schema: SchemaOptions,
    rt: Handle,
    /// One commit at a time per table in this process (partitions would only conflict), with
    /// the snapshot the last one left.
    snapshots: Mutex<HashMap<TableId, Arc<Mutex<Option<SnapshotRef>>>>>,
    /// Per (`txn` app id, table): the `txn` version the source's rows were last filtered against
    /// (recovery) or committed with. A commit that finds another refuses (see the module).
    watermarks: Mutex<HashMap<(String, TableId), Option<i64>>>,
    /// Files of each open segment (source, first, epoch) not committed yet, for its undo.
    uncommitted: Mutex<HashMap<(u64, i64, u64), Vec<object_store::path::Path>>>,
}

/// Another writer committed rows of this source to a table after they were filtered: the
/// segment must be filtered again (see the module).
#[derive(Debug, thiserror::Error)]
#[error("table {table}: another writer committed events of this source up to sequence number {found:?} (expected {expected:?}); filtering again")]
pub struct WatermarkMoved {
    pub table: &'static str,
    pub expected: Option<i64>,
    pub found: Option<i64>,
}

impl DeltaDestination {
    pub fn new(
        name: &str,
        tables: Arc<DeltaTables>,
        options: LakeOptions,
        schema: SchemaOptions,
        rt: Handle,
    ) -> Result<Self> {
        Ok(DeltaDestination {
            name: name.to_string(),
            tables,
            formats: FileFormats::new(options.zstd_level)?,
            options,
            schema,
            rt,
            snapshots: Mutex::default(),
            watermarks: Mutex::default(),
            uncommitted: Mutex::default(),
        })
    }

    fn table_lock(&self, table: TableId) -> Arc<Mutex<Option<SnapshotRef>>> {
        Arc::clone(lock(&self.snapshots).entry(table).or_default())
    }

    /// Commit one table's files of a segment: rows of `source` up to `last`.
    fn commit_table(
        &self,
        source: &SourcePartition,
        table: &'static Table,
        files: &[WrittenFile],
        last: i64,
    ) -> Result<()> {
        let app_id = app_id(source);
        let slot = self.table_lock(table.id);
        let mut cached = lock(&slot);
        let expected = lock(&self.watermarks)
            .get(&(app_id.clone(), table.id))
            .copied();
        for attempt in 0.. {
            let snapshot = match cached.take() {
                Some(s) => self.tables.refresh(table, s)?,
                None => self.tables.snapshot_or_create(table, self.schema)?,
            };
            let engine = self.tables.engine.as_ref();
            let found = snapshot.get_app_id_version(&app_id, engine)?;
            *cached = Some(snapshot.clone());
            // Not recovered by this process (it cannot happen in the pipeline): the rows were
            // filtered against nothing, so nothing of this source may be in the table yet.
            let expected = expected.unwrap_or(found);
            // Files are named by their first row's position: none may lie at or below what
            // the table holds of this source (a caller that did not filter, or a replay).
            let prefix = inflight::file_prefix(source.id);
            let overlaps = files.iter().any(|f| {
                let name = f.path.rsplit('/').next().unwrap_or_default();
                inflight::file_position(name, &prefix)
                    .is_none_or(|(seq, _)| found.is_some_and(|w| seq <= w))
            });
            if found != expected || overlaps {
                return Err(WatermarkMoved {
                    table: table.name,
                    expected,
                    found,
                }
                .into());
            }
            let mut builder = snapshot.clone().update_table(
                UpdateTableOperation::Write,
                table::ENGINE_INFO,
                true,
            );
            // A catalogue that gained columns widens the table (a `metaData` action).
            for field in new_columns(&snapshot, table, self.schema)? {
                builder = builder.add_column(field);
            }
            let mut txn = builder
                .with_transaction_id(app_id.clone(), last)
                .build(engine, Box::new(FileSystemCommitter::new()))?;
            stage_adds(&mut txn, &self.tables, table, files)?;
            match txn.commit(engine)? {
                CommitResult::Committed(done) => {
                    if let Some(s) = done.post_commit_snapshot() {
                        self.tables.checkpoint_if_due(
                            table,
                            s,
                            done.post_commit_stats().commits_since_checkpoint,
                        );
                        *cached = Some(s.clone());
                    }
                    lock(&self.watermarks).insert((app_id.clone(), table.id), Some(last));
                    return Ok(());
                }
                // Someone took the version: reload, compare the watermark again, and retry.
                CommitResult::Conflicted(c) => {
                    tracing::debug!(
                        table = table.name,
                        version = c.conflict_version(),
                        attempt,
                        "Delta commit conflicted; reloading"
                    );
                }
                CommitResult::Retryable(r) => {
                    tracing::debug!(table = table.name, error = %r.error, attempt, "Delta commit failed; retrying");
                }
            }
            if attempt >= 100 {
                anyhow::bail!("table {}: 100 commits in a row conflicted", table.name);
            }
        }
        unreachable!("the loop returns")
    }
}

/// Now, in milliseconds since the epoch (Delta's `modificationTime`, file ages).
pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Stage an `add` action per file (its partition values, size and statistics) in `txn`.
pub fn stage_adds(
    txn: &mut delta_kernel::transaction::Transaction,
    tables: &DeltaTables,
    table: &Table,
    files: &[WrittenFile],
) -> Result<()> {
    let state = txn.write_state()?;
    let now = now_ms();
    for f in files {
        let context = state
            .write_context_builder()
            .with_partition_values(HashMap::from([
                (
                    DATE_COLUMN.to_string(),
                    Scalar::Date(f.hour.div_euclid(24) as i32),
                ),
                (
                    HOUR_COLUMN.to_string(),
                    Scalar::Integer(f.hour.rem_euclid(24) as i32),
                ),
            ]))
            .build()?;
        let name = f.path.rsplit('/').next().expect("a file name");
        let url = tables
            .url(table)
            .join(&format!("{}/{name}", date_hour_dir(f.hour)))?;
        let stats = f.stats.clone().context("a Delta file without statistics")?;
        let meta = DataFileMetadata::new(FileMeta::new(url, now, f.bytes), stats);
        txn.add_files(delta_kernel_default_engine::build_add_file_metadata(
            meta, &context,
        )?);
    }
    Ok(())
}

/// The statistics observers of a Delta table's files.
pub fn statistics_observers(schema: SchemaOptions) -> ObserverFactory {
    Arc::new(move |t: TableId| {
        let table = Catalogue::get().table(t);
        let physical = table::kernel_schema(table, schema).expect("checked when opened");
        Box::new(Statistics(FileStatsAccumulator::new(
            &table::stats_columns(table),
            &physical,
        ))) as Box<dyn FileObserver>
    })
}

/// The `txn` application id of a source partition: its stable id and what it is, readable.
pub fn app_id(source: &SourcePartition) -> String {
    let mut id = format!("aad-ingest:{:016x}:{}", source.id, source.source);
    if let Some(p) = &source.partition {
        id.push_str(&format!("#{p}"));
    }
    if let Some(created) = source.incarnation {
        id.push_str(&format!("@{created}"));
    }
    id
}

/// Columns of the catalogue the table does not have yet, nullable (Delta adds no other kind).
fn new_columns(
    snapshot: &SnapshotRef,
    table: &Table,
    opts: SchemaOptions,
) -> Result<Vec<delta_kernel::schema::StructField>> {
    let have = snapshot.schema();
    let want: StructType = table::kernel_schema(table, opts)?;
    Ok(want
        .fields()
        .filter(|f| have.field(f.name()).is_none())
        .map(|f| {
            let mut f = f.clone();
            f.nullable = true;
            f
        })
        .collect())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Destination for DeltaDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn probe(&self) -> Result<()> {
        self.rt.block_on(crate::store::probe(&self.tables.location))
    }

    fn recover(&self, source: &SourcePartition, _first_received: i64) -> Result<Committed> {
        let app = app_id(source);
        let mut committed = Committed::default();
        for table in table::all_tables() {
            let Some(snapshot) = self.tables.snapshot(table)? else {
                lock(&self.watermarks).insert((app.clone(), table.id), None);
                continue;
            };
            let version = snapshot.get_app_id_version(&app, self.tables.engine.as_ref())?;
            lock(&self.watermarks).insert((app.clone(), table.id), version);
            if let Some(v) = version {
                committed.add(CommittedRange {
                    table: table.id,
                    hour: None,
                    first: Position {
                        sequence: i64::MIN,
                        record_index: i32::MIN,
                    },
                    last: Position {
                        sequence: v,
                        record_index: i32::MAX,
                    },
                });
            }
        }
        Ok(committed)
    }

    fn open(&self, source: &SourcePartition, first: i64) -> Result<Box<dyn SegmentWriter + '_>> {
        // A failed attempt of this segment left files no commit took: they go now.
        self.undo(source, first, i64::MAX)?;
        let writer = LakeWriter::with_formats(
            self.tables.location.clone(),
            self.rt.clone(),
            self.options.clone(),
            Arc::clone(&self.formats),
        )
        .with_file_suffix(inflight::epoch_suffix(source.epoch))
        .with_layout(delta_dir, Some(statistics_observers(self.schema)));
        Ok(Box::new(DeltaSegment {
            destination: self,
            source: source.clone(),
            first,
            writer,
        }))
    }

    fn undo(&self, source: &SourcePartition, first: i64, _last: i64) -> Result<()> {
        let files = lock(&self.uncommitted)
            .remove(&(source.id, first, source.epoch))
            .unwrap_or_default();
        let store = Arc::clone(&self.tables.location.store);
        self.rt.block_on(async move {
            use object_store::ObjectStoreExt;
            for f in files {
                match store.delete(&f).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e).with_context(|| format!("deleting {f}")),
                }
            }
            Ok(())
        })
    }

    fn finish(&self, source: &SourcePartition, first: i64) -> Result<()> {
        lock(&self.uncommitted).remove(&(source.id, first, source.epoch));
        Ok(())
    }
}

/// `date=YYYY-MM-DD/hour=HH` under the table's own directory.
pub fn delta_dir(table: &str, hour: i64) -> String {
    format!("{table}/{}", date_hour_dir(hour))
}

/// A file's Delta statistics, gathered from the batches it takes.
struct Statistics(FileStatsAccumulator);

impl FileObserver for Statistics {
    fn batch(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.0.merge(batch)?)
    }
    fn finish(self: Box<Self>) -> Result<Option<arrow_array::StructArray>> {
        Ok(self.0.finish()?)
    }
}

/// One segment's files, committed table by table at `close`.
struct DeltaSegment<'a> {
    destination: &'a DeltaDestination,
    source: SourcePartition,
    first: i64,
    writer: LakeWriter,
}

impl SegmentWriter for DeltaSegment<'_> {
    fn write(&mut self, batches: Vec<TableBatch>) -> Result<()> {
        self.writer.write(self.source.id, batches)
    }

    fn close(mut self: Box<Self>, last: i64) -> Result<SegmentReport> {
        let d = self.destination;
        self.writer.close_all()?;
        let files = std::mem::take(&mut self.writer.written);
        let key = (self.source.id, self.first, self.source.epoch);
        lock(&d.uncommitted).entry(key).or_default().extend(
            files
                .iter()
                .map(|f| object_store::path::Path::from(f.path.as_str())),
        );
        let catalogue = Catalogue::get();
        let mut by_table: BTreeMap<&str, Vec<WrittenFile>> = BTreeMap::new();
        for f in &files {
            by_table.entry(f.table).or_default().push(f.clone());
        }
        for (name, table_files) in &by_table {
            let table = catalogue
                .tables
                .iter()
                .find(|t| t.name == *name)
                .expect("a catalogue table");
            d.commit_table(&self.source, table, table_files, last)
                .with_context(|| {
                    format!("committing {} to the Delta table {name}", table_files.len())
                })?;
            // Committed: these files are the table's now, never undone.
            if let Some(open) = lock(&d.uncommitted).get_mut(&key) {
                open.retain(|p| !table_files.iter().any(|f| f.path == p.as_ref()));
            }
        }
        Ok(SegmentReport {
            rows: files.iter().map(|f| f.rows).sum(),
            bytes: files.iter().map(|f| f.bytes).sum(),
            files,
            ..Default::default()
        })
    }
}
