//! In-flight markers: what makes a replay after a crash replace rows instead of duplicating them.
//!
//! A partition's rows reach the lake in segments (a contiguous run of events). Before any file
//! of a segment is written, a marker names the segment's range and the partition directories it
//! will write into; it is removed once the checkpoint covers the segment. So every lake file
//! holding events past the checkpoint is covered by a marker.
//!
//! Every artifact of a segment carries its writer's epoch (see `checkpoint`): the marker
//! `_inflight/<source id>/<first>-e<epoch>`, its lake files `<source id>-<first row>-e<epoch>`
//! and its dead letters. Undoing a segment therefore touches only that writer's files, never
//! those of another writer of the same partition (epoch 0, for files and for markers written
//! before epochs, names carry no suffix).
//!
//! When a partition is taken (after a crash, a restart, or a handover), the new writer fences
//! it and skips events at or below the checkpoint it fenced, so nothing at or below it is ever
//! written again. Every marker whose range starts past that checkpoint belongs to a segment no
//! writer committed (a stale writer can no longer commit it): its files and dead letters are
//! deleted before anything new is written. Markers at or below it belong to checkpointed
//! segments whose removal did not happen (a crash right after the checkpoint) and are simply
//! removed.
//!
//! A marker that does not parse stops recovery (and an undo) with an error naming it: without
//! its directories, its segment's files cannot be found, and removing it would leave them beside
//! the replay. In a local lake, markers are synced to disk (with their directory) before the
//! files they cover are written, and an undo's deletions before its marker goes.

use anyhow::{Context, Result};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use crate::sink::parquet::{sync_dir, write_file_durably};
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

/// Delete one segment's dead letters (it will not be checkpointed by this writer).
pub async fn remove_dead_letters(
    dead_letters: &Location,
    source_id: u64,
    first: i64,
    epoch: u64,
) -> Result<()> {
    let path = dead_letters.child(&format!(
        "_deadletter/{}.ndjson",
        deadletter_name(source_id, first, epoch)
    ));
    delete(dead_letters, &path).await
}

/// Delete the dead letters of a source's segments that start at `first_received` or later:
/// no writer checkpointed them (they are read again and dead-lettered anew). A writer killed
/// after storing a segment's dead letters but before its lake marker existed left them where
/// no marker names them. Returns how many went.
pub async fn remove_uncommitted_dead_letters(
    dead_letters: &Location,
    source_id: u64,
    first_received: i64,
) -> Result<u64> {
    let prefix = file_prefix(source_id);
    let listed: Vec<_> = dead_letters
        .store
        .list(Some(&dead_letters.child("_deadletter")))
        .try_collect()
        .await
        .context("listing dead letters")?;
    let mut deleted = 0;
    for object in listed {
        let name = object.location.filename().unwrap_or_default();
        let Some(stem) = name.strip_suffix(".ndjson") else {
            continue;
        };
        let past = position_in(stem, &prefix).is_some_and(|(first, _)| first >= first_received);
        if past {
            delete(dead_letters, &object.location).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The first row's position and the epoch in a lake file's name (`<prefix><seq>[-e<epoch>].parquet`).
pub(crate) fn file_position(name: &str, prefix: &str) -> Option<(i64, u64)> {
    position_in(name.strip_suffix(".parquet")?, prefix)
}

/// `<prefix><seq>[-e<epoch>]` → (seq, epoch).
fn position_in(stem: &str, prefix: &str) -> Option<(i64, u64)> {
    let rest = stem.strip_prefix(prefix)?;
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

/// Record a segment before its files are written. In a local lake the marker is synced to disk
/// with its directory before this returns (the store's put would not sync): the files it covers
/// may be checkpointed past, and a crash must not lose the marker while keeping them.
pub async fn begin(lake: &Location, source_id: u64, marker: &Marker) -> Result<()> {
    let path = marker_path(lake, source_id, marker.first, marker.epoch);
    let body = marker.render().into_bytes();
    match &lake.local {
        Some(_) => {
            let (location, staged) = (lake.clone(), path.clone());
            tokio::task::spawn_blocking(move || write_file_durably(&location, &staged, &body))
                .await?
                .with_context(|| format!("writing in-flight marker {path}"))?;
        }
        None => {
            lake.store
                .put(&path, PutPayload::from(body))
                .await
                .with_context(|| format!("writing in-flight marker {path}"))?;
        }
    }
    Ok(())
}

/// A marker that is there but does not parse: its segment's files are unknown, so nothing may
/// be undone or forgotten; the partition stops with this until someone looks.
fn unparseable(path: &Path, text: &str) -> anyhow::Error {
    let shown: String = text.chars().take(200).collect();
    anyhow::anyhow!(
        "in-flight marker {path} does not parse ({shown:?}); it names the files of a segment \
         that may have to be undone before its events are read again, so the partition does not \
         start. Put its lines back (`first=<sequence>`, `last=<sequence>`, `epoch=<n>`, one \
         `dir=table=…/date=…/hour=…` per directory), or delete that segment's lake files and dead \
         letters (the source's files whose first position lies past the checkpoint) and then \
         the marker"
    )
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
            let text = String::from_utf8_lossy(&body);
            match Marker::parse(&text) {
                Some(m) => Ok(Some(m)),
                None => Err(unparseable(&path, &text)),
            }
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
/// epoch). Its dead letters are the pipeline's to remove (`remove_dead_letters`, and
/// `remove_uncommitted_dead_letters` at recovery), whatever the destinations.
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
    // In a local lake, the deletions reach the disk before the caller removes the marker: a
    // crash must not bring back files whose marker is gone.
    if let Some(fs) = &lake.local {
        let dirs: Vec<_> = marker
            .dirs
            .iter()
            .map(|d| lake.child(d))
            .filter_map(|d| fs.path_to_filesystem(&d).ok())
            .collect();
        tokio::task::spawn_blocking(move || {
            dirs.iter()
                .filter(|d| d.is_dir())
                .try_for_each(|d| sync_dir(d))
        })
        .await?
        .context("syncing the directories of an undone segment")?;
    }
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
    // Every marker is read before anything is undone: one that does not parse stops recovery
    // with the lake as it was (never dropped unread: what it covers would stay in the lake
    // beside the replay).
    let mut markers = Vec::with_capacity(listed.len());
    for object in listed {
        let body = lake
            .store
            .get(&object.location)
            .await
            .with_context(|| format!("reading {}", object.location))?
            .bytes()
            .await?;
        let text = String::from_utf8_lossy(&body);
        let marker = Marker::parse(&text).ok_or_else(|| unparseable(&object.location, &text))?;
        markers.push((object.location, marker));
    }
    let mut deleted = 0;
    for (path, marker) in markers {
        if marker.first >= first_received {
            deleted += undo(lake, source_id, &marker).await?;
        }
        delete(lake, &path).await?;
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

    /// A marker that does not parse stops recovery with an error naming it, and nothing is
    /// deleted: not the marker, not the files of any segment.
    #[tokio::test]
    async fn a_marker_that_does_not_parse_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let d = "table=AuditLogs/date=2026-11-27/hour=10";
        let sid = 0xabc;
        let file = lake.child(&format!("{d}/0000000000000abc-000000000012.parquet"));
        lake.store
            .put(&file, PutPayload::from_static(b"x"))
            .await
            .unwrap();
        let good = Marker {
            first: 12,
            last: i64::MAX,
            epoch: 0,
            dirs: vec![d.into()],
        };
        begin(&lake, sid, &good).await.unwrap();
        let bad = marker_path(&lake, sid, 30, 0);
        lake.store
            .put(&bad, PutPayload::from_static(b"first=30\nlast=\x00garbage"))
            .await
            .unwrap();
        let before = files_of(&lake).await;
        assert_eq!(before.len(), 3);

        let err = format!("{:#}", recover(&lake, sid, 12).await.unwrap_err());
        assert!(err.contains(&bad.to_string()), "{err}");
        assert!(err.contains("does not parse"), "{err}");
        assert_eq!(files_of(&lake).await, before, "recovery deleted something");

        // Reading that marker (to undo its segment) fails the same way.
        let err = format!("{:#}", read(&lake, sid, 30, 0).await.unwrap_err());
        assert!(err.contains(&bad.to_string()), "{err}");
    }

    async fn files_of(lake: &Location) -> Vec<String> {
        let mut all: Vec<String> = lake
            .store
            .list(None)
            .map_ok(|o| o.location.to_string())
            .try_collect()
            .await
            .unwrap();
        all.sort();
        all
    }

    /// In a local lake a marker is written through a staging file renamed into place (nothing
    /// is left beside it), and reads back.
    #[tokio::test]
    async fn local_markers_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let m = Marker {
            first: 5,
            last: i64::MAX,
            epoch: 2,
            dirs: vec!["table=AuditLogs/date=2026-11-27/hour=10".into()],
        };
        begin(&lake, 0xabc, &m).await.unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path().join("_inflight/0000000000000abc"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["00000000000000000005-e2"]);
        let staged = std::fs::read_dir(dir.path().join("_staging"))
            .unwrap()
            .count();
        assert_eq!(staged, 0);
        assert_eq!(read(&lake, 0xabc, 5, 2).await.unwrap(), Some(m));
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
        assert_eq!(
            files_of(&lake).await,
            [
                format!("{d}/00000000000000ff-000000000012.parquet"),
                format!("{d}/0000000000000abc-000000000005.parquet"),
            ]
        );
    }
}
