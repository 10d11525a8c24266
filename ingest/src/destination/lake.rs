//! The Parquet lake as a destination: the [`LakeWriter`] for the files, and in the service the
//! in-flight markers that make a replay after a crash replace rows rather than duplicate them
//! (see [`inflight`]). Its recovery undoes what was not checkpointed, so it never reports rows
//! as already held.

use std::collections::HashMap;
use std::sync::Arc;

use aad_schemas::Catalogue;
use anyhow::{Context, Result};
use tokio::runtime::Handle;

use super::{Committed, Destination, SegmentReport, SegmentWriter, SourcePartition, TableBatch};
use crate::sink::inflight::{self, Marker};
use crate::sink::parquet::{partition_dir, FileFormats, LakeOptions, LakeWriter};
use crate::store::Location;

/// A lake destination.
pub struct LakeDestination {
    name: String,
    pub location: Location,
    options: LakeOptions,
    /// Made once, for every segment's files.
    formats: Arc<FileFormats>,
    rt: Handle,
    /// The service keeps in-flight markers; `convert` needs none (a rerun over the same input
    /// writes the same file names).
    markers: bool,
    /// Directories each open segment (source, first, epoch) wrote into, kept beside its marker:
    /// a writer that lost its partition while paused finds its marker removed by the new
    /// owner's recovery, and must still undo every file it wrote after that.
    written: std::sync::Mutex<HashMap<SegmentKey, Vec<String>>>,
}

type SegmentKey = (u64, i64, u64);

impl LakeDestination {
    pub fn new(
        name: &str,
        location: Location,
        options: LakeOptions,
        rt: Handle,
        markers: bool,
    ) -> Result<Self> {
        Ok(LakeDestination {
            name: name.to_string(),
            location,
            formats: FileFormats::new(options.zstd_level)?,
            options,
            rt,
            markers,
            written: Default::default(),
        })
    }

    /// Forget (and return) the directories a segment wrote into.
    fn take_written(&self, key: SegmentKey) -> Vec<String> {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key)
            .unwrap_or_default()
    }
}

impl Destination for LakeDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn probe(&self) -> Result<()> {
        self.rt.block_on(crate::store::probe(&self.location))
    }

    fn recover(&self, source: &SourcePartition, first_received: i64) -> Result<Committed> {
        if self.markers {
            let undone = self
                .rt
                .block_on(inflight::recover(&self.location, source.id, first_received))
                .with_context(|| format!("recovering {} in the lake", source_label(source)))?;
            if undone > 0 {
                tracing::info!(destination = %self.name, partition = ?source.partition, files = undone, from_sequence = first_received, "removed rows of an uncommitted segment before reading it again");
            }
        }
        Ok(Committed::default())
    }

    fn open(&self, source: &SourcePartition, first: i64) -> Result<Box<dyn SegmentWriter + '_>> {
        Ok(Box::new(LakeSegment {
            lake: self,
            source_id: source.id,
            epoch: source.epoch,
            first,
            dirs: Vec::new(),
            writer: LakeWriter::with_formats(
                self.location.clone(),
                self.rt.clone(),
                self.options.clone(),
                Arc::clone(&self.formats),
            )
            .with_file_suffix(inflight::epoch_suffix(source.epoch)),
        }))
    }

    fn undo(&self, source: &SourcePartition, first: i64, last: i64) -> Result<()> {
        if !self.markers {
            return Ok(());
        }
        let lake = &self.location;
        self.rt.block_on(async {
            // The marker names the directories the segment wrote into.
            let epoch = source.epoch;
            let mut dirs = inflight::read(lake, source.id, first, epoch)
                .await?
                .map(|m| m.dirs)
                .unwrap_or_default();
            // The marker may be gone (a new owner's recovery removes it) while this writer
            // went on writing: what it wrote is known here too.
            for d in self.take_written((source.id, first, epoch)) {
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
            let marker = Marker {
                first,
                last,
                epoch,
                dirs,
            };
            inflight::undo(lake, source.id, &marker).await?;
            inflight::finish(lake, source.id, first, epoch).await
        })
    }

    fn finish(&self, source: &SourcePartition, first: i64) -> Result<()> {
        if !self.markers {
            return Ok(());
        }
        self.take_written((source.id, first, source.epoch));
        self.rt.block_on(inflight::finish(
            &self.location,
            source.id,
            first,
            source.epoch,
        ))
    }
}

fn source_label(source: &SourcePartition) -> String {
    match &source.partition {
        Some(p) => format!("partition {p}"),
        None => source.source.clone(),
    }
}

/// One segment's files.
struct LakeSegment<'a> {
    lake: &'a LakeDestination,
    source_id: u64,
    epoch: u64,
    first: i64,
    /// Directories the marker names so far.
    dirs: Vec<String>,
    writer: LakeWriter,
}

impl SegmentWriter for LakeSegment<'_> {
    fn write(&mut self, batches: Vec<TableBatch>) -> Result<()> {
        if self.lake.markers {
            // The marker must name every directory before a file lands in it.
            let catalogue = Catalogue::get();
            let before = self.dirs.len();
            for (t, h, _) in &batches {
                let dir = partition_dir(catalogue.table(*t).name, *h);
                if !self.dirs.contains(&dir) {
                    self.dirs.push(dir);
                }
            }
            if self.dirs.len() != before || before == 0 {
                self.dirs.sort();
                let key = (self.source_id, self.first, self.epoch);
                let mut written = self.lake.written.lock().unwrap_or_else(|e| e.into_inner());
                let known = written.entry(key).or_default();
                for d in &self.dirs {
                    if !known.contains(d) {
                        known.push(d.clone());
                    }
                }
                drop(written);
                let marker = Marker {
                    first: self.first,
                    epoch: self.epoch,
                    // Widened to the segment's end at undo: files are named by their first
                    // row, which lies at or after `first`.
                    last: i64::MAX,
                    dirs: self.dirs.clone(),
                };
                self.lake.rt.block_on(inflight::begin(
                    &self.lake.location,
                    self.source_id,
                    &marker,
                ))?;
            }
        }
        self.writer.write(self.source_id, batches)
    }

    fn close(mut self: Box<Self>, _last: i64) -> Result<SegmentReport> {
        self.writer.close_all()?;
        let files = std::mem::take(&mut self.writer.written);
        Ok(SegmentReport {
            rows: files.iter().map(|f| f.rows).sum(),
            bytes: files.iter().map(|f| f.bytes).sum(),
            files,
            ..Default::default()
        })
    }
}
