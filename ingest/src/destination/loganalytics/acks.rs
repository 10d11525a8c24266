//! Durable ack records: which rows Log Analytics has accepted (or we dead-lettered as refused),
//! so that a segment read again after a crash, a handover or a failed close sends only the rest.
//!
//! One empty object per acknowledged body:
//! `_acks/<name>/<source id:016x>/<Table>/<hour>/<first.sequence:020>.<first.record_index:06>-<last.sequence:020>.<last.record_index:06>`,
//! covering every row of that table and hour whose position lies in `first..=last` (a body is
//! a contiguous run of one batch, in source order). A record is written after the 2xx (for a
//! dead-lettered row, after its dead letter is stored); records go when their segment is
//! finished (past the checkpoint) or, at the next recovery, when they lie before the first
//! event read again.

use aad_schemas::{Catalogue, TableId};
use anyhow::{Context, Result};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use crate::destination::{Committed, CommittedRange, Position};
use crate::store::Location;

/// One acknowledged run of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckRecord {
    pub table: TableId,
    pub hour: i64,
    pub first: Position,
    pub last: Position,
}

impl AckRecord {
    /// The record's name under its source's directory: `<Table>/<hour>/<first>-<last>`.
    pub fn relative(&self) -> String {
        format!(
            "{}/{}/{:020}.{:06}-{:020}.{:06}",
            Catalogue::get().table(self.table).name,
            self.hour,
            self.first.sequence,
            self.first.record_index,
            self.last.sequence,
            self.last.record_index
        )
    }

    /// Parse the parts after the source's directory.
    pub fn parse(table: &str, hour: &str, range: &str) -> Option<AckRecord> {
        let table = Catalogue::get().by_name(table)?.id;
        let hour = hour.parse().ok()?;
        let (first, last) = range.split_once('-')?;
        let position = |s: &str| -> Option<Position> {
            let (seq, idx) = s.split_once('.')?;
            Some(Position {
                sequence: seq.parse().ok()?,
                record_index: idx.parse().ok()?,
            })
        };
        let (first, last) = (position(first)?, position(last)?);
        (first <= last).then_some(AckRecord {
            table,
            hour,
            first,
            last,
        })
    }

    pub fn range(&self) -> CommittedRange {
        CommittedRange {
            table: self.table,
            hour: Some(self.hour),
            first: self.first,
            last: self.last,
        }
    }
}

/// The directory of one destination's records of one source.
pub fn source_dir(state: &Location, name: &str, source_id: u64) -> Path {
    state.child(&format!("_acks/{name}/{source_id:016x}"))
}

/// Where a record lives.
pub fn path(state: &Location, name: &str, source_id: u64, record: &AckRecord) -> Path {
    state.child(&format!(
        "_acks/{name}/{source_id:016x}/{}",
        record.relative()
    ))
}

/// Write a record (an empty object).
pub async fn write(state: &Location, path: &Path) -> Result<()> {
    state
        .store
        .put(path, PutPayload::default())
        .await
        .with_context(|| format!("writing ack record {path}"))?;
    Ok(())
}

/// Delete a record; a missing one is fine.
pub async fn delete(state: &Location, path: &Path) -> Result<()> {
    match state.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("deleting ack record {path}")),
    }
}

/// The records of one source from event `first_received` on, with their paths; records that
/// end before it lie before the checkpoint and are deleted. Objects that are not records are
/// left alone.
pub async fn recover(
    state: &Location,
    name: &str,
    source_id: u64,
    first_received: i64,
) -> Result<Vec<(AckRecord, Path)>> {
    let dir = source_dir(state, name, source_id);
    let listed: Vec<_> = state
        .store
        .list(Some(&dir))
        .try_collect()
        .await
        .with_context(|| format!("listing {dir}"))?;
    let mut held = Vec::new();
    for object in listed {
        let Some(parts) = object.location.prefix_match(&dir) else {
            continue;
        };
        let parts: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
        let [table, hour, range] = &parts[..] else {
            continue;
        };
        let Some(record) = AckRecord::parse(table, hour, range) else {
            tracing::debug!(path = %object.location, "not an ack record");
            continue;
        };
        if record.last.sequence < first_received {
            delete(state, &object.location).await?;
        } else {
            held.push((record, object.location));
        }
    }
    held.sort_by_key(|(r, _)| (r.table, r.hour, r.first));
    Ok(held)
}

/// The records as the rows a destination holds.
pub fn committed(records: &[(AckRecord, Path)]) -> Committed {
    let mut c = Committed::default();
    for (r, _) in records {
        c.add(r.range());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(sequence: i64, record_index: i32) -> Position {
        Position {
            sequence,
            record_index,
        }
    }

    fn table(name: &str) -> TableId {
        Catalogue::get().by_name(name).unwrap().id
    }

    #[test]
    fn names_round_trip() {
        let r = AckRecord {
            table: table("SigninLogs"),
            hour: 494_000,
            first: pos(12, 0),
            last: pos(4_000_000_000_000, 17),
        };
        let rel = r.relative();
        assert_eq!(
            rel,
            "SigninLogs/494000/00000000000000000012.000000-00000004000000000000.000017"
        );
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(AckRecord::parse(parts[0], parts[1], parts[2]), Some(r));
        // Negative hours (rows without a time) round trip too.
        let r = AckRecord { hour: -1, ..r };
        let rel = r.relative();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(AckRecord::parse(parts[0], parts[1], parts[2]), Some(r));
        assert_eq!(AckRecord::parse("NoSuchTable", "1", "1.0-2.0"), None);
        assert_eq!(AckRecord::parse("SigninLogs", "1", "3.0-2.0"), None);
        assert_eq!(AckRecord::parse("SigninLogs", "x", "1.0-2.0"), None);
        assert_eq!(AckRecord::parse("SigninLogs", "1", "1.0"), None);
    }

    #[tokio::test]
    async fn recover_returns_held_and_drops_stale_records() {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let signin = table("SigninLogs");
        let audit = table("AuditLogs");
        let records = [
            AckRecord {
                table: signin,
                hour: 10,
                first: pos(1, 0),
                last: pos(4, 2),
            },
            AckRecord {
                table: signin,
                hour: 10,
                first: pos(5, 0),
                last: pos(9, 0),
            },
            AckRecord {
                table: audit,
                hour: 11,
                first: pos(3, 0),
                last: pos(12, 1),
            },
        ];
        for r in &records {
            write(&state, &path(&state, "sentinel", 7, r))
                .await
                .unwrap();
        }
        // Another destination and another source are not ours.
        write(&state, &path(&state, "other", 7, &records[0]))
            .await
            .unwrap();
        write(&state, &path(&state, "sentinel", 8, &records[0]))
            .await
            .unwrap();

        // A rerun from the start: everything is held.
        let held = recover(&state, "sentinel", 7, 1).await.unwrap();
        assert_eq!(held.len(), 3);
        let c = committed(&held);
        assert_eq!(c.len(), 3);

        // From event 5 on: the first record lies before the checkpoint and goes.
        let held = recover(&state, "sentinel", 7, 5).await.unwrap();
        let got: Vec<AckRecord> = held.iter().map(|(r, _)| *r).collect();
        assert_eq!(got, vec![records[1], records[2]]);
        let expected = {
            let mut c = Committed::default();
            c.add(records[1].range());
            c.add(records[2].range());
            c
        };
        assert_eq!(committed(&held), expected);
        assert!(!dir
            .path()
            .join("_acks/sentinel/0000000000000007/SigninLogs/10")
            .join(records[0].relative().rsplit('/').next().unwrap())
            .exists());
        assert!(dir.path().join("_acks/other").exists());
        assert_eq!(recover(&state, "sentinel", 8, 1).await.unwrap().len(), 1);

        for (_, p) in &held {
            delete(&state, p).await.unwrap();
            delete(&state, p).await.unwrap();
        }
        assert!(recover(&state, "sentinel", 7, 0).await.unwrap().is_empty());
    }
}
