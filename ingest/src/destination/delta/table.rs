//! One Delta table per Log Analytics table under a lake root, through `delta_kernel` and its
//! default engine: where each table lives for the kernel, its schema and properties, creating
//! it, loading and refreshing its snapshot, and writing a log checkpoint every few commits.
//!
//! The kernel's API blocks: every call here must run off the runtime's async tasks (on rayon,
//! a blocking thread or the main thread), which is where destinations run anyway.

use std::collections::HashMap;
use std::sync::Arc;

use aad_schemas::schema::shared_schema_for;
use aad_schemas::{Catalogue, SchemaOptions, Table};
use anyhow::{Context, Result};
use arrow_schema::{Field, Schema};
use delta_kernel::committer::FileSystemCommitter;
use delta_kernel::engine::arrow_conversion::TryFromArrow;
use delta_kernel::expressions::ColumnName;
use delta_kernel::schema::{DataType as KernelType, StructField, StructType};
use delta_kernel::transaction::create_table::create_table;
use delta_kernel::transaction::data_layout::DataLayout;
use delta_kernel::transaction::CommitResult;
use delta_kernel::{Snapshot, SnapshotRef};
use delta_kernel_default_engine::executor::tokio::TokioMultiThreadExecutor;
use delta_kernel_default_engine::{DefaultEngine, DefaultEngineBuilder};
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::ObjectStore;
use url::Url;

use crate::store::Location;

/// What commits say wrote them (`commitInfo.engineInfo`).
pub const ENGINE_INFO: &str = concat!("aad-ingest/", env!("CARGO_PKG_VERSION"));

/// The partition columns: the day and the hour of `TimeGenerated`, as the Parquet lake's
/// directories. They are not stored in the files; readers take them from each `add` action.
pub const DATE_COLUMN: &str = "date";
pub const HOUR_COLUMN: &str = "hour";

/// How long a source's `txn` watermark lives without a commit. A service partition commits
/// and checkpoints within seconds, so only `convert` inputs rely on it for long: a rerun of an
/// input within this period adds nothing.
pub const TXN_RETENTION: &str = "interval 30 days";
/// A log checkpoint every this many commits, so readers do not replay a long log.
pub const CHECKPOINT_INTERVAL: u64 = 10;

pub type Engine = DefaultEngine<TokioMultiThreadExecutor>;

/// The lake's Delta tables.
pub struct DeltaTables {
    pub engine: Arc<Engine>,
    /// The lake root as the kernel addresses it, ending in `/`.
    root: Url,
    /// The same root for our own writes and listings.
    pub location: Location,
    rt: tokio::runtime::Handle,
}

impl DeltaTables {
    /// The tables under `location` (a directory or an object-store URL, as `out` gave it).
    pub fn open(location: Location, out: &str, rt: &tokio::runtime::Handle) -> Result<Self> {
        let exec = Arc::new(TokioMultiThreadExecutor::new(rt.clone()));
        // A local lake: the kernel reads `file://` URLs by absolute path, so its store has no
        // prefix; an object store is addressed by the URL's path, as `location` was opened.
        let (store, root): (Arc<dyn ObjectStore>, Url) = match &location.local {
            Some(_) => {
                let dir = std::fs::canonicalize(out)
                    .with_context(|| format!("cannot open the lake directory {out:?}"))?;
                let url = Url::from_directory_path(&dir)
                    .map_err(|_| anyhow::anyhow!("{} is not an absolute path", dir.display()))?;
                (Arc::new(LocalFileSystem::new()), url)
            }
            None => {
                let mut url = Url::parse(out).with_context(|| format!("bad lake URL {out:?}"))?;
                if !url.path().ends_with('/') {
                    url.set_path(&format!("{}/", url.path()));
                }
                (Arc::clone(&location.store), url)
            }
        };
        let engine = DefaultEngineBuilder::new(store)
            .with_task_executor(exec)
            .build();
        Ok(DeltaTables {
            engine: Arc::new(engine),
            root,
            location,
            rt: rt.clone(),
        })
    }

    /// The table's root URL, ending in `/`.
    pub fn url(&self, table: &Table) -> Url {
        self.root
            .join(&format!("{}/", table.name))
            .expect("a table name")
    }

    /// The store path of a file `relative` to the table's root.
    pub fn file_path(&self, table: &Table, relative: &str) -> object_store::path::Path {
        self.location.child(&format!("{}/{relative}", table.name))
    }

    /// Does the table have a log yet?
    pub fn exists(&self, table: &Table) -> Result<bool> {
        let log = self.location.child(&format!("{}/_delta_log", table.name));
        let store = Arc::clone(&self.location.store);
        let first = self
            .rt
            .block_on(async move { store.list(Some(&log)).try_next().await })
            .with_context(|| format!("listing the log of {}", table.name))?;
        Ok(first.is_some())
    }

    /// The table's latest snapshot, or `None` when it has no log yet.
    pub fn snapshot(&self, table: &Table) -> Result<Option<SnapshotRef>> {
        if !self.exists(table)? {
            return Ok(None);
        }
        let snapshot = Snapshot::builder_for(self.url(table).as_str())
            .build(self.engine.as_ref())
            .with_context(|| format!("loading the Delta table {}", table.name))?;
        Ok(Some(snapshot))
    }

    /// `snapshot` brought up to date.
    pub fn refresh(&self, table: &Table, snapshot: SnapshotRef) -> Result<SnapshotRef> {
        Snapshot::builder_from(snapshot)
            .build(self.engine.as_ref())
            .with_context(|| format!("refreshing the Delta table {}", table.name))
    }

    /// The table's snapshot, creating the table first when it has none.
    pub fn snapshot_or_create(&self, table: &Table, opts: SchemaOptions) -> Result<SnapshotRef> {
        if let Some(s) = self.snapshot(table)? {
            return Ok(s);
        }
        let dir = self.location.local.as_ref().map(|fs| {
            fs.path_to_filesystem(&self.location.child(table.name))
                .expect("a path under the lake")
        });
        if let Some(dir) = dir {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let created = create_table(
            self.url(table).as_str(),
            Arc::new(kernel_schema(table, opts)?),
            ENGINE_INFO,
            false,
        )
        .with_table_properties(table_properties(table))
        .with_data_layout(DataLayout::partitioned([DATE_COLUMN, HOUR_COLUMN]))
        .build(self.engine.as_ref(), Box::new(FileSystemCommitter::new()));
        match created.and_then(|t| t.commit(self.engine.as_ref())) {
            Ok(CommitResult::Committed(_)) => {
                tracing::info!(table = table.name, "created the Delta table")
            }
            // Another writer created it first (both wrote version 0): theirs stands.
            Ok(_) | Err(delta_kernel::KernelError::TableAlreadyExistsAtPath(_)) => {}
            Err(e) => {
                return Err(e).with_context(|| format!("creating the Delta table {}", table.name))
            }
        }
        self.snapshot(table)?.with_context(|| {
            format!(
                "the Delta table {} has no log after creating it",
                table.name
            )
        })
    }

    /// Write a log checkpoint when `commits_since` reached the interval. A failure only costs
    /// readers time, so it is logged, not returned.
    pub fn checkpoint_if_due(&self, table: &Table, snapshot: &SnapshotRef, commits_since: u64) {
        if commits_since < CHECKPOINT_INTERVAL {
            return;
        }
        if let Err(e) = snapshot.checkpoint(self.engine.as_ref(), None) {
            tracing::warn!(table = table.name, version = snapshot.version(), error = %e, "writing a Delta log checkpoint failed; the next commits try again");
        }
    }
}

/// The table's Delta schema: the catalogue's columns (field metadata dropped: it is Arrow's,
/// not Delta's), then the partition columns.
pub fn kernel_schema(table: &Table, opts: SchemaOptions) -> Result<StructType> {
    let arrow = shared_schema_for(table, opts);
    let plain: Vec<Field> = arrow
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_metadata(HashMap::new()))
        .collect();
    let data = StructType::try_from_arrow(&Schema::new(plain))
        .with_context(|| format!("the columns of {} in Delta types", table.name))?;
    let fields = data.fields().cloned().chain([
        StructField::new(DATE_COLUMN, KernelType::DATE, false),
        StructField::new(HOUR_COLUMN, KernelType::INTEGER, false),
    ]);
    Ok(StructType::try_new(fields)?)
}

/// Columns whose files carry min/max statistics: the small scalar ones the Parquet writer
/// keeps statistics for too (not JSON documents, not identifiers). One list, from the
/// catalogue, declared to readers as `delta.dataSkippingStatsColumns`.
pub fn stats_columns(table: &Table) -> Vec<ColumnName> {
    use aad_schemas::LaType;
    let mut names: Vec<ColumnName> = table
        .columns
        .iter()
        .filter(|c| !c.holds_json && !c.distinct_values)
        .filter(|c| !matches!(c.la_type, LaType::Dynamic))
        .map(|c| ColumnName::new([c.name]))
        .collect();
    names.push(ColumnName::new([
        aad_schemas::catalogue::extra::SEQUENCE_NUMBER,
    ]));
    names
}

fn table_properties(table: &Table) -> Vec<(String, String)> {
    let stats: Vec<String> = stats_columns(table).iter().map(|c| c.to_string()).collect();
    vec![
        (
            "delta.setTransactionRetentionDuration".into(),
            TXN_RETENTION.into(),
        ),
        (
            "delta.checkpointInterval".into(),
            CHECKPOINT_INTERVAL.to_string(),
        ),
        ("delta.dataSkippingStatsColumns".into(), stats.join(",")),
    ]
}

/// Every catalogue table, for what must look at all of them (recovery, maintenance).
pub fn all_tables() -> impl Iterator<Item = &'static Table> {
    Catalogue::get().tables.iter()
}
