//! What an incremental backfill finished, kept in the output beside the dead letters
//! (`_progress/<shard>.json`), so that a rerun converts only what is new: per input object its
//! size and version (etag) when it was read, and how far (bytes, lines). An archive blob that
//! grew is continued after its last complete line; a Capture file (never rewritten) once done
//! is skipped; an object whose version changed without growing is converted again from the
//! start.
//!
//! Each shard of a `--shard K/N` backfill keeps its own record, so shards writing one lake never
//! overwrite each other's. The record is rewritten once rows of [`FLUSH_EVERY`] more objects are
//! durable, and at the end (rewriting it after every object would write the whole record once
//! per object: quadratic over a month of archives): a run stopped part way resumes at the first
//! object its record does not hold, and rows written again go under the same names (replaced,
//! not duplicated).

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;

use crate::store::{stable_hash, Location};

/// Objects finished between two writes of the record.
pub const FLUSH_EVERY: usize = 32;

/// How far one input object was converted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    /// The object's size and etag when it was read.
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Bytes converted from its start (complete lines only) and the lines they hold.
    pub bytes: u64,
    pub lines: u64,
}

/// `--shard K/N`: this process takes the objects whose key hashes to K modulo N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parse `K/N` with `0 <= K < N` (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` is K).
    pub fn parse(text: &str) -> Result<Shard> {
        let Some((k, n)) = text.split_once('/') else {
            bail!("--shard {text:?} is not K/N");
        };
        let (index, count): (u64, u64) = (
            k.trim().parse().context("--shard: K is not a number")?,
            n.trim().parse().context("--shard: N is not a number")?,
        );
        if count == 0 || index >= count {
            bail!("--shard {text:?}: need 0 <= K < N");
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard takes the object with `key`: a stable hash, so every shard of every
    /// run splits the same objects the same way.
    pub fn takes(&self, key: &str) -> bool {
        stable_hash(key) % self.count == self.index
    }
}

/// The progress record of one shard (or of an unsharded run) in the output.
pub struct Progress {
    location: Location,
    rt: Handle,
    name: String,
    pub objects: BTreeMap<String, Done>,
    /// Objects recorded since the record was last written.
    unwritten: usize,
}

impl Progress {
    /// Read this shard's record from `location` (none yet: nothing finished).
    pub fn open(location: &Location, rt: &Handle, shard: Option<Shard>) -> Result<Progress> {
        let name = match shard {
            Some(s) => format!("_progress/shard-{}-of-{}.json", s.index, s.count),
            None => "_progress/all.json".to_string(),
        };
        let path = location.child(&name);
        let objects = match rt.block_on(async { location.store.get(&path).await?.bytes().await }) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("the progress record {path} does not parse"))?,
            Err(object_store::Error::NotFound { .. }) => BTreeMap::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {path}")),
        };
        Ok(Progress {
            location: location.clone(),
            rt: rt.clone(),
            name,
            objects,
            unwritten: 0,
        })
    }

    /// Record that `key` is converted as far as `done` says (its rows are durable); the record
    /// is written every [`FLUSH_EVERY`] objects.
    pub fn record(&mut self, key: &str, done: Done) -> Result<()> {
        self.objects.insert(key.to_string(), done);
        self.unwritten += 1;
        if self.unwritten >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the record (at the end of a run, and every [`FLUSH_EVERY`] objects).
    pub fn flush(&mut self) -> Result<()> {
        if self.unwritten == 0 {
            return Ok(());
        }
        self.unwritten = 0;
        let path = self.location.child(&self.name);
        let body = serde_json::to_vec_pretty(&self.objects)?;
        self.rt
            .block_on(self.location.store.put(&path, PutPayload::from(body)))
            .with_context(|| format!("writing the progress record {path}"))?;
        Ok(())
    }

    /// Where to start `key` (size `size`, version `etag`): `None` when there is nothing new,
    /// else the bytes and lines already converted (zero for a new or rewritten object).
    pub fn resume(&self, key: &str, size: u64, etag: Option<&str>) -> Option<(u64, u64)> {
        match self.objects.get(key) {
            None => Some((0, 0)),
            // Appended to (append blobs change their etag as they grow): continue.
            Some(d) if size > d.size || (size == d.size && d.bytes < size) => {
                Some((d.bytes, d.lines))
            }
            Some(d) if size == d.size && (etag.is_none() || d.etag.as_deref() == etag) => None,
            Some(d) if size == d.size && d.etag.is_none() => None,
            // Rewritten (shorter, or same size and another version): from the start.
            Some(_) => Some((0, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_key_once() {
        let shards: Vec<Shard> = (0..3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for i in 0..500 {
            let key = format!("insights-logs-signinlogs/y=2026/m=11/d=01/h={i}/m=00/PT1H.json");
            assert_eq!(shards.iter().filter(|s| s.takes(&key)).count(), 1);
        }
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("1").is_err());
        assert!(Shard::parse("0/0").is_err());
    }

    #[test]
    fn resume_continues_grown_objects_and_skips_unchanged_ones() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let mut p = Progress::open(&location, rt.handle(), None).unwrap();
        assert_eq!(p.resume("a", 100, Some("1")), Some((0, 0)));
        let done = Done {
            size: 100,
            etag: Some("1".into()),
            bytes: 90,
            lines: 3,
        };
        p.record("a", done).unwrap();
        p.flush().unwrap();
        let p = Progress::open(&location, rt.handle(), None).unwrap();
        // The partial line is still partial: nothing new to convert… unless it grew.
        assert_eq!(p.resume("a", 100, Some("1")), Some((90, 3)));
        assert_eq!(p.resume("a", 150, Some("2")), Some((90, 3)));
        assert_eq!(p.resume("a", 50, Some("3")), Some((0, 0)));
        let mut p = p;
        p.record(
            "b",
            Done {
                size: 10,
                etag: Some("x".into()),
                bytes: 10,
                lines: 1,
            },
        )
        .unwrap();
        assert_eq!(p.resume("b", 10, Some("x")), None);
        assert_eq!(p.resume("b", 10, Some("y")), Some((0, 0)));
        // Another shard's record is its own.
        let other = Progress::open(&location, rt.handle(), Some(Shard::parse("1/2").unwrap()));
        assert!(other.unwrap().objects.is_empty());
    }
}
