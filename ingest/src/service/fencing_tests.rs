//! The commit protocol against a writer that lost its partition mid-commit: a stale writer
//! (paused after writing its files) cannot move the checkpoint, and neither its undo nor the
//! new owner's recovery touches the other's files; the lake ends with every record once.

use std::path::Path;

use aad_schemas::{BatchSet, Decoder, MessageContext, Normalizer, SchemaOptions};
use azure_messaging_eventhubs::models::Checkpoint;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::checkpoint::local::LocalStore;
use crate::checkpoint::{Fenced, PartitionStore};
use crate::destination::lake::LakeDestination;
use crate::destination::{Destination, SourcePartition, TableBatch};
use crate::sink::parquet::LakeOptions;

const SOURCE_ID: u64 = 0x5eed;

/// Ten events of one audit record each, sequence numbers 1..=10 (shared with the Delta tests).
pub(crate) fn batches() -> Vec<TableBatch> {
    let opts = SchemaOptions::default();
    let (mut decoder, mut normalizer, mut set) = (
        Decoder::default(),
        Normalizer::new(opts),
        BatchSet::new(opts),
    );
    for seq in 1..=10 {
        let body = format!(
            r#"{{"records":[{{"time":"2026-11-01T10:0{}:00Z","category":"AuditLogs","operationName":"Add user","properties":{{"id":"r{seq}"}}}}]}}"#,
            seq % 10
        );
        let ctx = MessageContext {
            source: "sb://ns/hub",
            partition: Some("0"),
            sequence: seq,
            enqueued: None,
        };
        let o = decoder.message(
            body.as_bytes(),
            &ctx,
            &mut normalizer,
            &mut set,
            &mut Vec::new(),
        );
        assert_eq!(o.rows, 1);
    }
    set.take_batches()
}

fn checkpoint(seq: i64) -> Checkpoint {
    Checkpoint {
        fully_qualified_namespace: "ns".into(),
        event_hub_name: "hub".into(),
        consumer_group: "$default".into(),
        partition_id: "0".into(),
        offset: Some(seq.to_string()),
        sequence_number: Some(seq),
    }
}

/// Parquet files under the lake with their row counts.
fn files(lake: &Path) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut dirs = vec![lake.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let reader = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, reader.metadata().file_metadata().num_rows()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_stale_writer_can_neither_checkpoint_nor_touch_the_new_owners_files() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = crate::store::open(lake_dir.to_str().unwrap()).unwrap();
    let dest = LakeDestination::new(
        "lake",
        lake,
        LakeOptions::default(),
        rt.handle().clone(),
        true,
    )
    .unwrap();
    let store = LocalStore::open(&dir.path().join("checkpoints")).unwrap();
    let fence = |owner: &str| {
        rt.block_on(store.fence("ns", "hub", "$default", "0", owner))
            .unwrap()
    };
    let source = |epoch| SourcePartition {
        id: SOURCE_ID,
        source: "sb://ns/hub".into(),
        partition: Some("0".into()),
        epoch,
        incarnation: Some(1),
    };

    // Writer A takes the partition and writes a segment's files; then it stalls.
    let mut a = fence("a");
    let source_a = source(a.epoch);
    dest.recover(&source_a, i64::MIN).unwrap();
    let mut w = dest.open(&source_a, 1).unwrap();
    w.write(batches()).unwrap();
    w.close(10).unwrap();
    assert!(files(&lake_dir)
        .iter()
        .all(|(n, _)| n.ends_with("-e1.parquet")));

    // Writer B takes the partition: its recovery removes A's uncommitted files, and it commits
    // the same events under its own epoch.
    let mut b = fence("b");
    let source_b = source(b.epoch);
    assert_eq!(b.epoch, a.epoch + 1);
    dest.recover(&source_b, i64::MIN).unwrap();
    assert!(
        files(&lake_dir).is_empty(),
        "A's uncommitted files are undone"
    );
    let mut w = dest.open(&source_b, 1).unwrap();
    w.write(batches()).unwrap();
    w.close(10).unwrap();
    rt.block_on(store.checkpoint_fenced(&mut b, &checkpoint(10), "b"))
        .unwrap();
    let committed = files(&lake_dir);

    // A resumes: its checkpoint is refused, and its undo removes nothing of B's.
    let refused = rt.block_on(store.checkpoint_fenced(&mut a, &checkpoint(10), "a"));
    assert!(matches!(refused, Err(Fenced::Lost)), "{refused:?}");
    dest.undo(&source_a, 1, 10).unwrap();
    assert_eq!(files(&lake_dir), committed);
    assert!(committed.iter().all(|(n, _)| n.ends_with("-e2.parquet")));
    assert_eq!(committed.iter().map(|(_, rows)| rows).sum::<i64>(), 10);

    // A later owner takes over at B's checkpoint: nothing past it, nothing undone.
    let c = fence("c");
    assert_eq!(c.sequence_number, Some(10));
    dest.finish(&source_b, 1).unwrap();
    dest.recover(&source(c.epoch), 11).unwrap();
    assert_eq!(files(&lake_dir), committed);
    assert!(
        std::fs::read_dir(lake_dir.join(format!("_inflight/{SOURCE_ID:016x}")))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "no marker left"
    );
}
