//! The Delta destination against a local lake: what a table's `txn` watermark makes recovery
//! report, a hub created again under the same name, and a table created by an older
//! catalogue widened by the next commit.

use std::sync::Arc;

use aad_schemas::{Catalogue, SchemaOptions};
use delta_kernel::committer::FileSystemCommitter;
use delta_kernel::schema::StructType;
use delta_kernel::transaction::create_table::create_table;
use delta_kernel::transaction::data_layout::DataLayout;

use super::table::{kernel_schema, DeltaTables, DATE_COLUMN, HOUR_COLUMN};
use super::DeltaDestination;
use crate::destination::{Destination, SourcePartition};
use crate::service::fencing_tests::batches;
use crate::sink::parquet::LakeOptions;

fn audit_logs() -> &'static aad_schemas::Table {
    Catalogue::get()
        .tables
        .iter()
        .find(|t| t.name == "AuditLogs")
        .unwrap()
}

fn source(incarnation: i64) -> SourcePartition {
    SourcePartition {
        id: 0x5eed,
        source: "sb://ns/hub".into(),
        partition: Some("0".into()),
        epoch: 1,
        incarnation: Some(incarnation),
    }
}

fn destination(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> DeltaDestination {
    let out = dir.to_str().unwrap();
    let location = crate::store::open(out).unwrap();
    let tables = DeltaTables::open(location, out, rt.handle()).unwrap();
    DeltaDestination::new(
        "lake",
        Arc::new(tables),
        LakeOptions::default(),
        SchemaOptions::default(),
        rt.handle().clone(),
    )
    .unwrap()
}

/// Commit the ten audit events of `batches` as one segment.
fn commit(d: &DeltaDestination, s: &SourcePartition) {
    assert!(d.recover(s, 1).unwrap().is_empty());
    let mut w = d.open(s, 1).unwrap();
    w.write(batches()).unwrap();
    assert_eq!(w.close(10).unwrap().rows, 10);
}

#[test]
fn recovery_reports_the_watermark_of_this_hub_and_not_of_an_earlier_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = destination(&rt, dir.path());
    commit(&d, &source(1));
    let audit = audit_logs();
    let held = d.recover(&source(1), 1).unwrap();
    assert_eq!(held.len(), 1);
    let kept = held.remove_held((audit.id, 0, batches()[0].2.clone()));
    assert!(
        kept.is_none(),
        "every row at or below the watermark is held"
    );
    // The same hub name created again: its sequence numbers start over, nothing is held.
    assert!(d.recover(&source(2), 1).unwrap().is_empty());
    // And a replay of the first segment under the old hub adds nothing: the commit refuses.
    let mut w = d.open(&source(1), 1).unwrap();
    w.write(batches()).unwrap();
    let refused = w.close(10).unwrap_err();
    assert!(
        format!("{refused:#}").contains("another writer committed events of this source"),
        "{refused:#}"
    );
}

#[test]
fn a_table_an_older_catalogue_made_is_widened_by_the_next_commit() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = destination(&rt, dir.path());
    let audit = audit_logs();
    // The table as a catalogue without `_EnqueuedTime` would have made it.
    let full = kernel_schema(audit, SchemaOptions::default()).unwrap();
    let older = StructType::try_new(
        full.fields()
            .filter(|f| f.name() != "_EnqueuedTime")
            .cloned(),
    )
    .unwrap();
    let tables = &d.tables;
    std::fs::create_dir_all(dir.path().join("AuditLogs")).unwrap();
    let created = create_table(
        tables.url(audit).as_str(),
        Arc::new(older),
        "an older aad-ingest",
        false,
    )
    .with_data_layout(DataLayout::partitioned([DATE_COLUMN, HOUR_COLUMN]))
    .build(tables.engine.as_ref(), Box::new(FileSystemCommitter::new()))
    .unwrap()
    .commit(tables.engine.as_ref())
    .unwrap();
    assert!(matches!(
        created,
        delta_kernel::transaction::CommitResult::Committed(_)
    ));
    commit(&d, &source(1));
    let snapshot = tables.snapshot(audit).unwrap().unwrap();
    let field = snapshot.schema().field("_EnqueuedTime").cloned();
    assert!(field.as_ref().is_some_and(|f| f.is_nullable()), "{field:?}");
    assert_eq!(
        snapshot.version(),
        1,
        "one commit: the rows and the wider schema"
    );
}
