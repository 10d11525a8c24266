//! Maintenance of the lake's Delta tables: `vacuum` deletes the data files no table version
//! references any more (files a killed writer left uncommitted, files a compaction removed)
//! once they are older than the retention.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result};
use arrow_array::Array;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;

use super::now_ms;
use super::table::{all_tables, DeltaTables};

/// What `vacuum` did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VacuumReport {
    pub table: &'static str,
    /// Data files the current version references.
    pub live: usize,
    /// Unreferenced files deleted (or, in a dry run, that would be).
    pub deleted: Vec<String>,
    /// Unreferenced files kept because they are younger than the retention: a writer may be
    /// about to commit them.
    pub too_recent: usize,
}

/// The relative paths of the data files the table's current version holds.
fn live_files(
    tables: &DeltaTables,
    snapshot: delta_kernel::SnapshotRef,
) -> Result<HashSet<String>> {
    let scan = snapshot.scan_builder().build()?;
    let mut live = HashSet::new();
    for metadata in scan.scan_metadata(tables.engine.as_ref())? {
        live = metadata?.visit_scan_files(live, |s: &mut HashSet<String>, f| {
            s.insert(f.path);
        })?;
    }
    // `add.path` is a relative URL: percent-decode it as the listing names are.
    Ok(live.into_iter().map(|p| percent_decode(&p)).collect())
}

fn percent_decode(s: &str) -> String {
    url::Url::parse(&format!("file:///{s}"))
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .map(|p| p.to_string_lossy().trim_start_matches('/').to_string())
        .unwrap_or_else(|| s.to_string())
}

/// Delete every data file under each table that its current version does not reference and
/// that is older than `retention`. The log (`_delta_log/`) is never touched.
pub fn vacuum(
    tables: &DeltaTables,
    rt: &tokio::runtime::Handle,
    retention: Duration,
    dry_run: bool,
) -> Result<Vec<VacuumReport>> {
    let mut reports = Vec::new();
    let now = now_ms();
    for table in all_tables() {
        let Some(snapshot) = tables.snapshot(table)? else {
            continue;
        };
        let live = live_files(tables, snapshot)?;
        let root = tables.location.child(table.name);
        let store = std::sync::Arc::clone(&tables.location.store);
        let listed: Vec<object_store::ObjectMeta> = rt
            .block_on(async { store.list(Some(&root)).try_collect().await })
            .with_context(|| format!("listing {}", table.name))?;
        let recent = recently_removed(&store, rt, &listed, now - retention.as_millis() as i64)?;
        let mut report = VacuumReport {
            table: table.name,
            live: live.len(),
            ..Default::default()
        };
        for object in listed {
            let Some(relative) = object
                .location
                .as_ref()
                .strip_prefix(root.as_ref())
                .map(|r| r.trim_start_matches('/').to_string())
            else {
                continue;
            };
            if relative.starts_with('_') || live.contains(&relative) {
                continue;
            }
            let age = now - object.last_modified.timestamp_millis();
            if age < retention.as_millis() as i64 || recent.contains(&relative) {
                report.too_recent += 1;
                continue;
            }
            if !dry_run {
                let path = object.location.clone();
                rt.block_on(async { store.delete(&path).await })
                    .with_context(|| format!("deleting {}", object.location))?;
            }
            report.deleted.push(relative);
        }
        report.deleted.sort();
        reports.push(report);
    }
    Ok(reports)
}

/// Files that commits newer than `since` (ms) removed: readers of the versions before those
/// commits may still read them, so they stay for the retention as Delta's vacuum keeps them.
fn recently_removed(
    store: &std::sync::Arc<dyn object_store::ObjectStore>,
    rt: &tokio::runtime::Handle,
    listed: &[object_store::ObjectMeta],
    since: i64,
) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for commit in listed.iter().filter(|o| {
        o.location.as_ref().contains("/_delta_log/")
            && o.location.as_ref().ends_with(".json")
            && o.last_modified.timestamp_millis() >= since
    }) {
        let path = commit.location.clone();
        let store = std::sync::Arc::clone(store);
        let body = rt
            .block_on(async move { store.get(&path).await?.bytes().await })
            .with_context(|| format!("reading {}", commit.location))?;
        for line in body.split(|b| *b == b'\n') {
            let Ok(action) = serde_json::from_slice::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(p) = action.pointer("/remove/path").and_then(|p| p.as_str()) {
                out.insert(percent_decode(p));
            }
        }
    }
    Ok(out)
}

/// `aad-ingest vacuum`.
#[derive(clap::Args, Debug)]
pub struct VacuumArgs {
    /// The lake root holding the Delta tables (a directory or an object-store URL).
    pub lake: String,
    /// Keep unreferenced files younger than this (a writer may be about to commit them).
    #[arg(long, default_value_t = 168.0)]
    pub retention_hours: f64,
    /// Print what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Run `vacuum` and print one line per table.
pub fn run_vacuum(args: &VacuumArgs, rt: &tokio::runtime::Handle) -> Result<()> {
    if args.retention_hours.is_nan() || args.retention_hours < 0.0 {
        anyhow::bail!("--retention-hours must be 0 or more");
    }
    let location = crate::store::open(&args.lake).context("the lake")?;
    let tables = DeltaTables::open(location, &args.lake, rt)?;
    let retention = Duration::from_secs_f64(args.retention_hours * 3600.0);
    let reports = vacuum(&tables, rt, retention, args.dry_run)?;
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    for r in &reports {
        println!(
            "{}: {} live file(s); {verb} {} unreferenced; kept {} younger than the retention",
            r.table,
            r.live,
            r.deleted.len(),
            r.too_recent
        );
    }
    Ok(())
}

/// What `compact` did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactReport {
    pub table: &'static str,
    /// Hours whose small files were rewritten, and the files before and after.
    pub hours: usize,
    pub files_before: usize,
    pub files_after: usize,
    pub rows: u64,
    /// Hours given up because another writer removed one of their files meanwhile.
    pub given_up: usize,
}

/// How `compact` picks and writes.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// Files at least this large are left alone; the rewritten ones roll near it.
    pub target_bytes: u64,
    /// Only hours that ended at least this long ago (by their partition values): younger hours
    /// still take rows, and would only be compacted again.
    pub min_age: Duration,
    pub lake: crate::sink::parquet::LakeOptions,
    pub schema: aad_schemas::SchemaOptions,
}

/// A live data file as the scan reports it.
#[derive(Debug, Clone)]
struct LiveFile {
    path: String,
    size: i64,
    hour: i64,
}

fn live_by_hour(
    tables: &DeltaTables,
    snapshot: &delta_kernel::SnapshotRef,
) -> Result<Vec<LiveFile>> {
    let scan = snapshot.clone().scan_builder().build()?;
    let mut files: Vec<LiveFile> = Vec::new();
    for metadata in scan.scan_metadata(tables.engine.as_ref())? {
        files = metadata?.visit_scan_files(files, |v: &mut Vec<LiveFile>, f| {
            let hour = f
                .partition_values
                .get(super::table::DATE_COLUMN)
                .zip(f.partition_values.get(super::table::HOUR_COLUMN))
                .and_then(|(d, h)| Some(day_number(d)? * 24 + h.parse::<i64>().ok()?));
            if let Some(hour) = hour {
                v.push(LiveFile {
                    path: f.path,
                    size: f.size,
                    hour,
                });
            }
        })?;
    }
    Ok(files)
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    Some(aad_schemas::time::days_from_civil(y, m, d))
}

/// Rewrite the small files of each closed hour into files near the target size, one commit
/// per table (`remove` + `add`, `dataChange = false`). Safe beside `run` and another `compact`:
/// the kernel's commit only stops two commits taking one version, so on a conflict the table
/// is reloaded and the commit goes again only if every file it removes is still live; an hour
/// some other writer compacted meanwhile is given up (its new files deleted), so no row is
/// ever doubled or lost.
pub fn compact(
    tables: &DeltaTables,
    rt: &tokio::runtime::Handle,
    opts: &CompactOptions,
) -> Result<Vec<CompactReport>> {
    use delta_kernel::committer::FileSystemCommitter;
    use delta_kernel::transaction::{CommitResult, UpdateTableOperation};

    let now_hour = now_ms().div_euclid(3_600_000);
    let min_age_hours = (opts.min_age.as_secs() / 3600) as i64;
    let mut reports = Vec::new();
    for table in all_tables() {
        let Some(snapshot) = tables.snapshot(table)? else {
            continue;
        };
        let mut report = CompactReport {
            table: table.name,
            ..Default::default()
        };
        let mut by_hour: std::collections::BTreeMap<i64, Vec<LiveFile>> = Default::default();
        for f in live_by_hour(tables, &snapshot)? {
            if (f.size as u64) < opts.target_bytes && f.hour + 1 + min_age_hours <= now_hour {
                by_hour.entry(f.hour).or_default().push(f);
            }
        }
        by_hour.retain(|_, files| files.len() > 1);
        if by_hour.is_empty() {
            reports.push(report);
            continue;
        }
        // Read each hour's small files and write them again, in path order (files are named
        // by source and position, so rows keep their order within a source).
        let store = std::sync::Arc::clone(&tables.location.store);
        let compact_id = crate::store::stable_hash(&format!("compact/{}", uuid::Uuid::new_v4()));
        let mut writer = crate::sink::parquet::LakeWriter::new(
            tables.location.clone(),
            rt.clone(),
            crate::sink::parquet::LakeOptions {
                target_file_bytes: opts.target_bytes as usize,
                ..opts.lake.clone()
            },
        )?
        .with_file_suffix(format!("-c{:08x}", compact_id as u32))
        .with_layout(
            super::delta_dir,
            Some(super::statistics_observers(opts.schema)),
        );
        let mut removed: HashSet<String> = HashSet::new();
        for (hour, mut files) in by_hour {
            files.sort_by(|a, b| a.path.cmp(&b.path));
            for f in &files {
                let path = tables.file_path(table, &percent_decode(&f.path));
                let batches = read_file(&store, rt, path)?;
                let batches: Vec<_> = batches.into_iter().map(|b| (table.id, hour, b)).collect();
                report.rows += batches
                    .iter()
                    .map(|(_, _, b)| b.num_rows() as u64)
                    .sum::<u64>();
                writer.write(compact_id, batches)?;
                removed.insert(f.path.clone());
            }
            writer.close_all()?;
            report.hours += 1;
            report.files_before += files.len();
        }
        let written = std::mem::take(&mut writer.written);
        report.files_after = written.len();

        let engine = tables.engine.as_ref();
        let mut snapshot = snapshot;
        let committed = loop {
            let mut txn = snapshot
                .clone()
                .update_table(
                    UpdateTableOperation::Optimize,
                    super::table::ENGINE_INFO,
                    false,
                )
                .build(engine, Box::new(FileSystemCommitter::new()))?;
            let scan = snapshot.clone().scan_builder().build()?;
            let mut still_live = 0;
            for metadata in scan.scan_metadata(engine)? {
                let (data, selected) = metadata?.scan_files.into_parts();
                let arrow =
                    delta_kernel::engine::arrow_data::ArrowEngineData::try_from_engine_data(data)?;
                let paths = arrow
                    .record_batch()
                    .column_by_name("path")
                    .and_then(|c| {
                        c.as_any()
                            .downcast_ref::<arrow_array::StringArray>()
                            .cloned()
                    })
                    .context("scan rows without a path")?;
                // Full length: a short selection vector counts the missing rows as selected.
                let choose: Vec<bool> = (0..paths.len())
                    .map(|i| {
                        selected.get(i).copied().unwrap_or(true) && removed.contains(paths.value(i))
                    })
                    .collect();
                still_live += choose.iter().filter(|c| **c).count();
                txn.remove_files(delta_kernel::FilteredEngineData::try_new(arrow, choose)?);
            }
            if still_live != removed.len() {
                break false;
            }
            super::stage_adds(&mut txn, tables, table, &written)?;
            match txn.commit(engine)? {
                CommitResult::Committed(done) => {
                    if let Some(s) = done.post_commit_snapshot() {
                        tables.checkpoint_if_due(
                            table,
                            s,
                            done.post_commit_stats().commits_since_checkpoint,
                        );
                    }
                    break true;
                }
                CommitResult::Conflicted(_) | CommitResult::Retryable(_) => {
                    snapshot = tables.refresh(table, snapshot)?;
                }
            }
        };
        if !committed {
            // Another compaction took some of these files: ours go, theirs stand.
            for f in &written {
                let path = object_store::path::Path::from(f.path.as_str());
                rt.block_on(async { store.delete(&path).await })
                    .with_context(|| format!("deleting {path}"))?;
            }
            report.given_up = report.hours;
            report.files_after = report.files_before;
        }
        reports.push(report);
    }
    Ok(reports)
}

/// Every batch of one Parquet file (a small one: compaction reads only files under the
/// target size, whole).
fn read_file(
    store: &std::sync::Arc<dyn object_store::ObjectStore>,
    rt: &tokio::runtime::Handle,
    path: object_store::path::Path,
) -> Result<Vec<arrow_array::RecordBatch>> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let store = std::sync::Arc::clone(store);
    let at = path.clone();
    let bytes = rt
        .block_on(async move { store.get(&at).await?.bytes().await })
        .with_context(|| format!("reading {path}"))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .with_context(|| format!("reading {path}"))?
        .build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// `aad-ingest compact`.
#[derive(clap::Args, Debug)]
pub struct CompactArgs {
    /// The lake root holding the Delta tables (a directory or an object-store URL).
    pub lake: String,
    /// Files smaller than this are rewritten, into files near it.
    #[arg(long, default_value_t = 128)]
    pub target_mib: u64,
    /// Only hours that ended at least this long ago (younger ones still take rows).
    #[arg(long, default_value_t = 2.0)]
    pub min_age_hours: f64,
}

/// Run `compact` and print one line per table that had something to do.
pub fn run_compact(args: &CompactArgs, rt: &tokio::runtime::Handle) -> Result<()> {
    if args.target_mib == 0 {
        anyhow::bail!("--target-mib must be at least 1");
    }
    if args.min_age_hours.is_nan() || args.min_age_hours < 0.0 {
        anyhow::bail!("--min-age-hours must be 0 or more");
    }
    let location = crate::store::open(&args.lake).context("the lake")?;
    let tables = DeltaTables::open(location, &args.lake, rt)?;
    let opts = CompactOptions {
        target_bytes: args.target_mib << 20,
        min_age: Duration::from_secs_f64(args.min_age_hours * 3600.0),
        lake: Default::default(),
        schema: Default::default(),
    };
    for r in compact(&tables, rt, &opts)? {
        if r.hours == 0 {
            continue;
        }
        println!(
            "{}: {} hour(s), {} file(s) -> {}, {} rows{}",
            r.table,
            r.hours,
            r.files_before,
            r.files_after,
            r.rows,
            if r.given_up > 0 {
                " (given up: another writer compacted them first)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
