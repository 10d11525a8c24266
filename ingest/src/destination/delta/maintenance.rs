//! Maintenance of the lake's Delta tables: `vacuum` deletes the data files no table version
//! references any more (files a killed writer left uncommitted, files a compaction removed)
//! once they are older than the retention.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;

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
    let now = chrono_now();
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
            if age < retention.as_millis() as i64 {
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

fn chrono_now() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
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
