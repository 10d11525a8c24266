//! In-flight markers: what makes a replay after a crash replace rows instead of duplicating them.
//!
//! A partition's rows reach the lake in segments (a contiguous run of events). Before any file
//! of a segment is written, a marker `_inflight/<source id>/<first sequence>` names the
//! segment's range and the partition directories it will write into. The marker of the last
//! committed segment is kept until the next segment commits; older ones are removed. So every
//! lake file holding events past the checkpoint is covered by a marker, and so is the last
//! segment committed before it.
//!
//! Every artifact of a segment carries its writer's epoch (see `checkpoint`): the marker
//! `_inflight/<source id>/<first>-e<epoch>`, its lake files `<source id>-<first row>-e<epoch>`
//! and its dead letters. Undoing a segment therefore touches only that writer's files, never
//! those of another writer of the same partition (epoch 0, for files and for markers written
//! before epochs, names carry no suffix).
//!
//! When a partition is taken (after a crash, a restart, or a handover), the first event it
//! receives comes right after the checkpoint it started from. Every marker whose range starts
//! at or after that event covers rows that are about to be read again: those files (and the
//! segment's dead letters) are deleted before anything new is written. Markers that start
//! earlier belong to checkpointed segments and are simply removed. Keeping the last committed
//! marker covers the handover race: a previous owner that checked its ownership just before
//! losing it may commit one more segment after the new owner read the checkpoint; that segment
//! starts at or after the new owner's first event, so it is undone too.

use anyhow::{Context, Result};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use crate::store::Location;

/// One segment's claim on the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub first: i64,
    pub last: i64,
    /// The writer's epoch.
    pub epoch: u64,
    /// `table=…/date=…/hour=…` directories the segment writes into.
    pub dirs: Vec<String>,
}

/// File name prefix of a source's lake files and dead letters (the lake writer's naming).
pub fn file_prefix(source_id: u64) -> String {
    format!("{source_id:016x}-")
}

/// `-e<epoch>` after a name, or nothing for epoch 0.
pub fn epoch_suffix(epoch: u64) -> String {
    if epoch == 0 {
        String::new()
    } else {
        format!("-e{epoch}")
    }
}

/// Where a segment's dead letters go.
pub fn deadletter_name(source_id: u64, first: i64, epoch: u64) -> String {
    format!("{source_id:016x}-{first:012}{}", epoch_suffix(epoch))
}

/// The first row's position and the epoch in a lake file's name (`<prefix><seq>[-e<epoch>].parquet`).
fn file_position(name: &str, prefix: &str) -> Option<(i64, u64)> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(".parquet")?;
    match rest.split_once("-e") {
        Some((seq, epoch)) => Some((seq.parse().ok()?, epoch.parse().ok()?)),
        None => Some((rest.parse().ok()?, 0)),
    }
}

fn marker_dir(lake: &Location, source_id: u64) -> Path {
    lake.child(&format!("_inflight/{source_id:016x}"))
}

fn marker_path(lake: &Location, source_id: u64, first: i64, epoch: u64) -> Path {
    marker_dir(lake, source_id).join(format!("{first:020}{}", epoch_suffix(epoch)))
}

impl Marker {
    fn render(&self) -> String {
        let mut s = format!(
            "first={}\nlast={}\nepoch={}\n",
            self.first, self.last, self.epoch
        );
        for d in &self.dirs {
            s.push_str(&format!("dir={d}\n"));
        }
        s
    }

    fn parse(text: &str) -> Option<Marker> {
        let mut m = Marker {
            first: i64::MIN,
            last: i64::MIN,
            epoch: 0,
            dirs: Vec::new(),
        };
        for line in text.lines() {
            match line.split_once('=')? {
                ("first", v) => m.first = v.parse().ok()?,
                ("last", v) => m.last = v.parse().ok()?,
                ("epoch", v) => m.epoch = v.parse().ok()?,
                ("dir", v) => m.dirs.push(v.to_string()),
                _ => {}
            }
        }
        (m.first != i64::MIN && m.last >= m.first).then_some(m)
    }
}

/// Record a segment before its files are written.
pub async fn begin(lake: &Location, source_id: u64, marker: &Marker) -> Result<()> {
    let path = marker_path(lake, source_id, marker.first, marker.epoch);
    lake.store
        .put(&path, PutPayload::from(marker.render().into_bytes()))
        .await
        .with_context(|| format!("writing in-flight marker {path}"))?;
    Ok(())
}

/// The marker of the segment starting at `first`, if there is one.
pub async fn read(
    lake: &Location,
    source_id: u64,
    first: i64,
    epoch: u64,
) -> Result<Option<Marker>> {
    let path = marker_path(lake, source_id, first, epoch);
    match lake.store.get(&path).await {
        Ok(got) => {
            let body = got.bytes().await?;
            Ok(Marker::parse(&String::from_utf8_lossy(&body)))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading in-flight marker {path}")),
    }
}

/// The segment is checkpointed: forget it.
pub async fn finish(lake: &Location, source_id: u64, first: i64, epoch: u64) -> Result<()> {
    let path = marker_path(lake, source_id, first, epoch);
    match lake.store.delete(&path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing in-flight marker {path}")),
    }
}

/// Delete the files of a segment that will not be checkpointed: its lake files (named with the
/// source's prefix, a first sequence number inside the segment's range and the segment's
/// epoch) and dead letters.
pub async fn undo(lake: &Location, source_id: u64, marker: &Marker) -> Result<u64> {
    let prefix = file_prefix(source_id);
    let mut deleted = 0;
    for dir in &marker.dirs {
        let listed: Vec<_> = lake
            .store
            .list(Some(&lake.child(dir)))
            .try_collect()
            .await
            .with_context(|| format!("listing {dir}"))?;
        for object in listed {
            let name = object.location.filename().unwrap_or_default();
            let ours = file_position(name, &prefix).is_some_and(|(seq, epoch)| {
                epoch == marker.epoch && (marker.first..=marker.last).contains(&seq)
            });
            if ours {
                delete(lake, &object.location).await?;
                deleted += 1;
            }
        }
    }
    let dead = lake.child(&format!(
        "_deadletter/{}.ndjson",
        deadletter_name(source_id, marker.first, marker.epoch)
    ));
    delete(lake, &dead).await?;
    Ok(deleted)
}

async fn delete(lake: &Location, path: &Path) -> Result<()> {
    match lake.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("deleting {path}")),
    }
}

/// On taking a partition whose first received event is `first_received`: undo every segment
/// that starts there or later, and drop the markers of checkpointed ones. Returns the number
/// of lake files deleted.
pub async fn recover(lake: &Location, source_id: u64, first_received: i64) -> Result<u64> {
    let listed: Vec<_> = lake
        .store
        .list(Some(&marker_dir(lake, source_id)))
        .try_collect()
        .await
        .context("listing in-flight markers")?;
    let mut deleted = 0;
    for object in listed {
        let body = lake
            .store
            .get(&object.location)
            .await
            .with_context(|| format!("reading {}", object.location))?
            .bytes()
            .await?;
        let text = String::from_utf8_lossy(&body);
        if let Some(marker) = Marker::parse(&text) {
            if marker.first >= first_received {
                deleted += undo(lake, source_id, &marker).await?;
            }
        }
        delete(lake, &object.location).await?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let m = Marker {
            first: 7,
            last: 42,
            epoch: 3,
            dirs: vec!["table=SigninLogs/date=2026-11-27/hour=10".into()],
        };
        assert_eq!(Marker::parse(&m.render()), Some(m));
        assert_eq!(Marker::parse("first=9\nlast=3\n"), None);
    }

    #[tokio::test]
    async fn recovery_removes_only_rows_past_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let d = "table=AuditLogs/date=2026-11-27/hour=10";
        let sid = 0xabc;
        for name in [
            "0000000000000abc-000000000005",
            "0000000000000abc-000000000012",
            "0000000000000abc-000000000020",
            "00000000000000ff-000000000012",
        ] {
            let p = lake.child(&format!("{d}/{name}.parquet"));
            lake.store
                .put(&p, PutPayload::from_static(b"x"))
                .await
                .unwrap();
        }
        // Segment 5..=11 was checkpointed (its marker stayed behind); 12..=25 was not.
        for (first, last) in [(5, 11), (12, 25)] {
            let m = Marker {
                first,
                last,
                epoch: 0,
                dirs: vec![d.into()],
            };
            begin(&lake, sid, &m).await.unwrap();
        }
        assert_eq!(recover(&lake, sid, 12).await.unwrap(), 2);
        let mut left: Vec<String> = lake
            .store
            .list(None)
            .map_ok(|o| o.location.to_string())
            .try_collect()
            .await
            .unwrap();
        left.sort();
        assert_eq!(
            left,
            [
                format!("{d}/00000000000000ff-000000000012.parquet"),
                format!("{d}/0000000000000abc-000000000005.parquet"),
            ]
        );
    }
}
