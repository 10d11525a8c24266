//! The Parquet lake: Hive partitions `table=<T>/date=YYYY-MM-DD/hour=HH/` on `TimeGenerated`,
//! zstd, row groups bounded in bytes, files rolled by size, and file names derived from the
//! source position of their first row, so that a rerun over the same input replaces files
//! instead of adding duplicates.
//!
//! Rows wait as Arrow batches until a row group's worth has gathered (or the memory budget says
//! so); then the row group is encoded in one go on the rayon pool, one task per column of every
//! file being encoded, so that one large file keeps both cores busy too. A Parquet
//! column writer (dictionary, page buffers, zstd contexts) therefore lives only while its row
//! group is encoded, not for as long as a file is open: memory is bounded by the waiting batches
//! (`memory_budget`) plus encoded bytes on their way to the object store.

use std::io::Write;
use std::sync::Arc;

use aad_schemas::catalogue::extra;
use aad_schemas::time::civil_from_days;
use aad_schemas::{Catalogue, TableId};
use anyhow::{Context, Result};
use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::SchemaRef;
use bytes::Bytes;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use tokio::io::AsyncWriteExt;
use tokio::runtime::Handle;

use crate::store::Location;

/// How files are shaped.
#[derive(Debug, Clone)]
pub struct LakeOptions {
    /// Close a file once it holds about this many bytes.
    pub target_file_bytes: usize,
    /// Encode a row group once this many bytes of Arrow data wait for a file.
    pub row_group_bytes: usize,
    /// Bound on the Arrow data waiting across all open files; past it the largest is encoded.
    pub memory_budget: usize,
    pub zstd_level: i32,
}

/// Defaults, in MiB (shared with the command line).
pub const DEFAULT_FILE_MIB: usize = 256;
pub const DEFAULT_ROW_GROUP_MIB: usize = 24;
pub const DEFAULT_MEMORY_MIB: usize = 48;
pub const DEFAULT_ZSTD_LEVEL: i32 = 1;

impl Default for LakeOptions {
    fn default() -> Self {
        LakeOptions {
            target_file_bytes: DEFAULT_FILE_MIB << 20,
            row_group_bytes: DEFAULT_ROW_GROUP_MIB << 20,
            memory_budget: DEFAULT_MEMORY_MIB << 20,
            zstd_level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

/// A file the lake writer completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: String,
    pub table: &'static str,
    pub rows: u64,
    pub bytes: u64,
}

/// Bytes from the Parquet encoder to the object store, in parts of `PART` bytes.
struct Upload {
    buf: Vec<u8>,
    /// Bytes written so far (the file's size once finished).
    written: u64,
    out: Sink,
}

/// Where an upload's parts go.
enum Sink {
    /// An object store, through its buffered writer on the runtime.
    Store(BufWriter, Handle),
    /// A local directory, written by the encoding thread itself into a staging file that is
    /// renamed into place when complete (as the store would: `name#digits`, which its listings
    /// skip). Through the store, every part and the final rename went to the runtime's
    /// blocking pool and the encoding thread waited for it: two thread switches a part, which
    /// left a core idle about 8 % of the time in `convert` on 2 cores.
    Local {
        file: std::fs::File,
        /// `None` once renamed into place.
        staging: Option<std::path::PathBuf>,
        path: std::path::PathBuf,
    },
}

impl Sink {
    fn local(fs: &LocalFileSystem, path: &Path) -> std::io::Result<Sink> {
        let path = fs.path_to_filesystem(path).map_err(std::io::Error::other)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut staging = path.clone().into_os_string();
        staging.push(format!("#{}", std::process::id()));
        let staging = std::path::PathBuf::from(staging);
        let file = std::fs::File::create(&staging)?;
        Ok(Sink::Local {
            file,
            staging: Some(staging),
            path,
        })
    }
}

/// Bytes gathered before handing them to the object store's writer.
const PART: usize = 1 << 20;
/// The object store's writer holds this much before it switches from one put to a multipart
/// upload: 5 MiB is the smallest part S3 accepts.
const UPLOAD_CAPACITY: usize = 5 << 20;
/// A file that received no rows for this many writes is closed: inputs arrive roughly in time
/// order, so its hour is over. Counted in writes, not threads, so reruns split files alike.
const IDLE_WRITES: u64 = 4;

impl Upload {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match &mut self.out {
            Sink::Store(out, rt) => {
                let bytes = Bytes::from(std::mem::take(&mut self.buf));
                rt.block_on(out.put(bytes)).map_err(std::io::Error::other)
            }
            Sink::Local { file, .. } => {
                file.write_all(&self.buf)?;
                self.buf.clear();
                Ok(())
            }
        }
    }
    fn finish(mut self) -> std::io::Result<()> {
        self.send()?;
        match &mut self.out {
            Sink::Store(out, rt) => rt.block_on(out.shutdown()),
            Sink::Local { staging, path, .. } => {
                if let Some(from) = staging {
                    std::fs::rename(&*from, &*path)?;
                }
                // Renamed: nothing for `drop` to remove (a failed rename leaves it to remove).
                *staging = None;
                Ok(())
            }
        }
    }
}

impl Drop for Upload {
    /// An upload that did not finish leaves nothing behind (the store's writer aborts itself).
    fn drop(&mut self) {
        if let Sink::Local {
            staging: Some(staging),
            ..
        } = &self.out
        {
            let _ = std::fs::remove_file(staging);
        }
    }
}

impl Write for Upload {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.written += data.len() as u64;
        if self.buf.len() >= PART {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A column chunk whose values take fewer bytes than this (plain-encoded) is written without
/// compression: zstd saves a few hundred bytes on it at most, but a codec costs a compressor
/// context (about 10 µs to make where `cpuid` traps to a hypervisor, unless a spare one is at
/// hand) and a compression call per page. The hourly chunks of small tables
/// and all-null columns are below it: half of the bench corpus's 10.5k column chunks, for
/// +0.85 % lake size.
const SMALL_CHUNK: usize = 1024;

/// Bytes the non-null values of a column take plain-encoded: string bytes plus a 4-byte
/// length each, or the fixed width.
fn plain_bytes<'a>(arrays: impl Iterator<Item = &'a dyn Array>) -> usize {
    arrays
        .map(|a| {
            let values = a.len() - a.null_count();
            match a.as_any().downcast_ref::<StringArray>() {
                Some(s) => {
                    let offsets = s.value_offsets();
                    (offsets[offsets.len() - 1] - offsets[0]) as usize + 4 * values
                }
                None => a
                    .data_type()
                    .primitive_width()
                    .map_or(values.div_ceil(8), |w| w * values),
            }
        })
        .sum()
}

/// Whether a JSON column's values repeat enough for a dictionary: at most half of up to 64
/// values sampled evenly across the row group are distinct. Sign-in JSON is either nearly
/// constant per hour (`LocationDetails`, `AuthenticationProcessingDetails`: a handful of values)
/// or unique per row (`ConditionalAccessPolicies`, `AuthenticationDetails`). A dictionary turns
/// the first kind into a few small pages and spares zstd most of its bytes; on the second it
/// would hash a megabyte of values before giving up, so those stay plain.
fn repeats(batches: &[RecordBatch], column: usize) -> bool {
    const SAMPLES: usize = 64;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let step = (rows / SAMPLES).max(1);
    let mut seen = FxHashSet::default();
    let mut sampled = 0;
    let mut at = 0;
    for batch in batches {
        let Some(values) = batch.column(column).as_any().downcast_ref::<StringArray>() else {
            return false;
        };
        while at < batch.num_rows() {
            if values.is_valid(at) {
                seen.insert(values.value(at));
                sampled += 1;
            }
            at += step;
        }
        at -= batch.num_rows();
    }
    sampled >= 8 && seen.len() * 2 <= sampled
}

struct OpenFile {
    path: Path,
    table: TableId,
    schema: SchemaRef,
    /// Schema indexes of the JSON columns, whose dictionary is decided per row group.
    json_columns: Arc<[usize]>,
    writer: SerializedFileWriter<Upload>,
    /// Makes the column writers of each row group.
    columns: ArrowRowGroupWriterFactory,
    row_groups: usize,
    /// Batches not yet encoded, and their Arrow size.
    pending: Vec<RecordBatch>,
    pending_bytes: usize,
    rows: u64,
    last_write: u64,
}

impl OpenFile {
    /// Encode the waiting batches as one row group, its columns in parallel.
    fn encode(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut self.pending);
        let mut uncompressed = Vec::new();
        let mut dictionary = Vec::new();
        for i in 0..self.schema.fields().len() {
            if plain_bytes(batches.iter().map(|b| b.column(i).as_ref())) < SMALL_CHUNK {
                uncompressed.push(i);
            } else if self.json_columns.contains(&i) && repeats(&batches, i) {
                dictionary.push(i);
            }
        }
        let writers = if uncompressed.is_empty() && dictionary.is_empty() {
            self.columns.create_column_writers(self.row_groups)?
        } else {
            self.factory_with(&uncompressed, &dictionary)?
                .create_column_writers(self.row_groups)?
        };
        // The schema is flat: one Parquet leaf per Arrow field.
        debug_assert_eq!(writers.len(), self.schema.fields().len());
        let schema = &self.schema;
        let chunks: Vec<ArrowColumnChunk> = writers
            .into_par_iter()
            .enumerate()
            .map(|(i, mut writer)| {
                for batch in &batches {
                    for leaf in compute_leaves(schema.field(i), batch.column(i))? {
                        writer.write(&leaf)?;
                    }
                }
                writer.close()
            })
            .collect::<parquet::errors::Result<_>>()
            .with_context(|| format!("encoding {}", self.path))?;
        let mut row_group = self.writer.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group
            .close()
            .with_context(|| format!("writing {}", self.path))?;
        self.row_groups += 1;
        self.pending_bytes = 0;
        Ok(())
    }

    /// A column writer factory like the file's, but with the `uncompressed` columns stored
    /// without compression and the `dictionary` ones dictionary-encoded.
    fn factory_with(
        &self,
        uncompressed: &[usize],
        dictionary: &[usize],
    ) -> Result<ArrowRowGroupWriterFactory> {
        let path = |i: usize| ColumnPath::from(self.schema.field(i).name().as_str());
        let props = self.writer.properties().as_ref().clone().into_builder();
        let props = uncompressed.iter().fold(props, |b, &i| {
            b.set_column_compression(path(i), Compression::UNCOMPRESSED)
        });
        let props = dictionary
            .iter()
            .fold(props, |b, &i| {
                b.set_column_dictionary_enabled(path(i), true)
            })
            .build();
        // The factory takes its schema and properties from a file writer; this one writes
        // nothing but the magic bytes, into a sink.
        let template = SerializedFileWriter::new(
            std::io::sink(),
            self.writer.schema_descr().root_schema_ptr(),
            Arc::new(props),
        )?;
        Ok(ArrowRowGroupWriterFactory::new(
            &template,
            Arc::clone(&self.schema),
        ))
    }

    fn close(mut self) -> Result<WrittenFile> {
        self.encode()?;
        let upload = self
            .writer
            .into_inner()
            .with_context(|| format!("finishing {}", self.path))?;
        let bytes = upload.written;
        upload
            .finish()
            .with_context(|| format!("uploading {}", self.path))?;
        Ok(WrittenFile {
            path: self.path.to_string(),
            table: Catalogue::get().table(self.table).name,
            rows: self.rows,
            bytes,
        })
    }
}

/// Writes batches of (table, hour) into the lake.
pub struct LakeWriter {
    location: Location,
    rt: Handle,
    options: LakeOptions,
    /// Writer properties per table: dictionaries and statistics only where they pay.
    props: FxHashMap<TableId, WriterProperties>,
    /// Names of each table's JSON columns.
    json_columns: FxHashMap<TableId, Vec<&'static str>>,
    open: FxHashMap<(TableId, i64), OpenFile>,
    writes: u64,
    pub written: Vec<WrittenFile>,
    /// After the position in file names: the writer's epoch (`sink::inflight`), or nothing.
    file_suffix: String,
}

/// `table=<T>/date=YYYY-MM-DD/hour=HH` for an hour since the epoch.
pub fn partition_dir(table: &str, hour: i64) -> String {
    let (y, m, d) = civil_from_days(hour.div_euclid(24));
    format!(
        "table={table}/date={y:04}-{m:02}-{d:02}/hour={:02}",
        hour.rem_euclid(24)
    )
}

impl LakeWriter {
    pub fn new(location: Location, rt: Handle, options: LakeOptions) -> Result<Self> {
        let base = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(options.zstd_level)?))
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(None)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("aad-ingest {}", env!("CARGO_PKG_VERSION")));
        let mut json_columns = FxHashMap::default();
        let props = Catalogue::get()
            .tables
            .iter()
            .map(|t| {
                // JSON columns are plain by default; each row group turns the dictionary on
                // for those whose values repeat (see `repeats`). Nobody filters on their
                // min/max, so they get no statistics.
                let json: Vec<&str> = t
                    .columns
                    .iter()
                    .filter(|c| c.holds_json)
                    .map(|c| c.name)
                    .chain([extra::ADDITIONAL_FIELDS, extra::RAW_RECORD])
                    .collect();
                // Identifier columns: nearly every value distinct, so a dictionary only
                // costs time.
                let identifiers = t.columns.iter().filter(|c| c.distinct_values);
                let plain = json.iter().chain(identifiers.map(|c| &c.name));
                let props = plain.fold(base.clone(), |b, name| {
                    let path = ColumnPath::from(*name);
                    b.set_column_dictionary_enabled(path.clone(), false)
                        .set_column_statistics_enabled(path, EnabledStatistics::None)
                });
                json_columns.insert(t.id, json);
                (t.id, props.build())
            })
            .collect();
        Ok(LakeWriter {
            location,
            rt,
            options,
            props,
            json_columns,
            open: FxHashMap::default(),
            writes: 0,
            written: Vec::new(),
            file_suffix: String::new(),
        })
    }

    /// Name files `<source>-<position><suffix>.parquet` (the service's epoch suffix).
    pub fn with_file_suffix(mut self, suffix: String) -> Self {
        self.file_suffix = suffix;
        self
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Append batches; `source_id` names new files together with their first row's position.
    pub fn write(
        &mut self,
        source_id: u64,
        batches: Vec<(TableId, i64, RecordBatch)>,
    ) -> Result<()> {
        self.writes += 1;
        let writes = self.writes;
        for (table, hour, batch) in batches {
            if batch.num_rows() == 0 {
                continue;
            }
            if !self.open.contains_key(&(table, hour)) {
                let file = self.create(source_id, table, hour, &batch)?;
                self.open.insert((table, hour), file);
            }
            let file = self.open.get_mut(&(table, hour)).expect("opened above");
            file.last_write = writes;
            file.rows += batch.num_rows() as u64;
            file.pending_bytes += batch.get_array_memory_size();
            file.pending.push(batch);
        }

        // Encode full row groups, and the largest waiting ones while over the memory budget.
        let mut held: usize = self.held_bytes();
        let mut by_size: Vec<(usize, (TableId, i64))> = self
            .open
            .iter()
            .map(|(k, f)| (f.pending_bytes, *k))
            .collect();
        by_size.sort_unstable_by(|a, b| b.cmp(a));
        let mut encode = FxHashSet::default();
        for (bytes, key) in by_size {
            if bytes > 0
                && (bytes >= self.options.row_group_bytes || held > self.options.memory_budget)
            {
                encode.insert(key);
                held -= bytes;
            }
        }
        let mut work: Vec<&mut OpenFile> = self
            .open
            .iter_mut()
            .filter(|(k, _)| encode.contains(k))
            .map(|(_, f)| f)
            .collect();
        work.par_iter_mut().try_for_each(|f| f.encode())?;

        // Roll files that reached their size, and close those whose hour has passed.
        let full: Vec<_> = self
            .open
            .iter()
            .filter(|(_, f)| {
                f.writer.bytes_written() >= self.options.target_file_bytes
                    || writes - f.last_write >= IDLE_WRITES
            })
            .map(|(k, _)| *k)
            .collect();
        let closing: Vec<OpenFile> = full.iter().filter_map(|k| self.open.remove(k)).collect();
        self.close_files(closing)
    }

    fn create(
        &self,
        source_id: u64,
        table: TableId,
        hour: i64,
        first: &RecordBatch,
    ) -> Result<OpenFile> {
        let seq = first
            .column_by_name(extra::SEQUENCE_NUMBER)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)))
            .unwrap_or(0);
        let name = Catalogue::get().table(table).name;
        let path = self.location.child(&format!(
            "{}/{source_id:016x}-{seq:012}{}.parquet",
            partition_dir(name, hour),
            self.file_suffix
        ));
        let out = match &self.location.local {
            Some(fs) => Sink::local(fs, &path)
                .with_context(|| format!("creating {}", self.location.display))?,
            None => Sink::Store(
                BufWriter::with_capacity(
                    Arc::clone(&self.location.store),
                    path.clone(),
                    UPLOAD_CAPACITY,
                ),
                self.rt.clone(),
            ),
        };
        let upload = Upload {
            buf: Vec::new(),
            written: 0,
            out,
        };
        // ArrowWriter sets up the file (schema, ARROW:schema metadata); row groups are then
        // encoded column by column through its lower-level parts.
        let (writer, columns) =
            ArrowWriter::try_new(upload, first.schema(), Some(self.props[&table].clone()))?
                .into_serialized_writer()?;
        Ok(OpenFile {
            path,
            table,
            schema: first.schema(),
            json_columns: self.json_columns[&table]
                .iter()
                .filter_map(|name| first.schema().index_of(name).ok())
                .collect(),
            writer,
            columns,
            row_groups: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            rows: 0,
            last_write: self.writes,
        })
    }

    fn close_files(&mut self, files: Vec<OpenFile>) -> Result<()> {
        let done: Vec<WrittenFile> = files
            .into_par_iter()
            .map(OpenFile::close)
            .collect::<Result<_>>()?;
        self.written.extend(done);
        Ok(())
    }

    /// Close every open file (end of an input, or of the run).
    pub fn close_all(&mut self) -> Result<()> {
        let files: Vec<OpenFile> = std::mem::take(&mut self.open).into_values().collect();
        self.close_files(files)
    }

    /// Bytes of Arrow data waiting to be encoded.
    pub fn held_bytes(&self) -> usize {
        self.open.values().map(|f| f.pending_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType, Field, Schema};

    fn batches(sizes: &[usize], value: impl Fn(usize) -> Option<String>) -> Vec<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![Field::new("j", DataType::Utf8, true)]));
        let mut row = 0;
        sizes
            .iter()
            .map(|&n| {
                let values: StringArray = (row..row + n).map(&value).collect();
                row += n;
                RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap()
            })
            .collect()
    }

    /// Files of a directory tree, relative, sorted.
    fn files_under(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e.path().strip_prefix(dir).unwrap().to_owned();
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    /// A local upload writes a staging file (`name#pid`, which object_store's listings skip),
    /// renames it into place when finished, and removes it when abandoned.
    #[test]
    fn local_uploads_appear_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let fs = location.local.clone().unwrap();
        let staging = format!("t=a/x.parquet#{}", std::process::id());
        let mut done = Upload {
            buf: Vec::new(),
            written: 0,
            out: Sink::local(&fs, &location.child("t=a/x.parquet")).unwrap(),
        };
        done.write_all(&vec![7u8; PART + 10]).unwrap();
        assert_eq!(files_under(dir.path()), [staging]);
        done.finish().unwrap();
        assert_eq!(files_under(dir.path()), ["t=a/x.parquet"]);
        assert_eq!(
            std::fs::read(dir.path().join("t=a/x.parquet")).unwrap(),
            vec![7u8; PART + 10]
        );

        let mut abandoned = Upload {
            buf: Vec::new(),
            written: 0,
            out: Sink::local(&fs, &location.child("t=b/y.parquet")).unwrap(),
        };
        abandoned.write_all(&vec![1u8; PART + 1]).unwrap();
        drop(abandoned);
        assert_eq!(files_under(dir.path()), ["t=a/x.parquet"]);
    }

    /// Samples are spread evenly over every batch of the row group, across batch borders.
    #[test]
    fn repeats_samples_across_batches() {
        let sizes = [50, 7, 300, 1, 642];
        assert!(repeats(&batches(&sizes, |i| Some(format!("{}", i % 5))), 0));
        assert!(!repeats(&batches(&sizes, |i| Some(format!("{i}"))), 0));
        // Unique values only in the last batch: the samples must reach it.
        let late = |i: usize| Some(if i < 358 { "x".into() } else { format!("{i}") });
        assert!(!repeats(&batches(&sizes, late), 0));
        // Too few values to judge, or all null: no dictionary.
        assert!(!repeats(&batches(&[7], |_| Some("x".into())), 0));
        assert!(!repeats(&batches(&sizes, |_| None), 0));
    }

    #[test]
    fn plain_bytes_counts_non_null_values() {
        let b = batches(&[3], |i| (i != 1).then(|| "abcd".to_string()));
        assert_eq!(
            plain_bytes(b.iter().map(|b| b.column(0).as_ref())),
            2 * (4 + 4)
        );
        let ints = Int64Array::from(vec![Some(1), None, Some(3)]);
        assert_eq!(plain_bytes([&ints as &dyn Array].into_iter()), 16);
    }
}

/// The vendored zstd-safe (see the workspace `Cargo.toml`) resets dropped contexts and hands them
/// out again: a reused one must compress exactly as a new one, whatever its last user set.
#[cfg(test)]
mod zstd_reuse {
    use zstd_safe::{CCtx, CParameter, DCtx};

    #[test]
    fn reused_zstd_contexts_behave_as_new_ones() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("{{\"n\":{},\"s\":\"{}\"}}", i % 977, i % 13).into_bytes())
            .collect();
        // A context of zstd's own making, outside the spare ones.
        let mut expected = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
        zstd_safe::compress(&mut expected, &data, 1).unwrap();

        // Leave used contexts behind: another level, a dictionary, a checksum.
        let dictionary = b"{\"n\":1,\"s\":\"2\"}{\"n\":3,\"s\":\"4\"}".repeat(64);
        let used: Vec<CCtx> = (0..8)
            .map(|_| {
                let mut c = CCtx::create();
                c.set_parameter(CParameter::CompressionLevel(19)).unwrap();
                c.set_parameter(CParameter::ChecksumFlag(true)).unwrap();
                c.load_dictionary(&dictionary).unwrap();
                let mut out = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
                c.compress2(&mut out, &data).unwrap();
                c
            })
            .collect();
        drop(used);
        let mut d = DCtx::create();
        d.load_dictionary(&dictionary).unwrap();
        drop(d);

        for _ in 0..8 {
            let mut c = CCtx::create();
            c.set_parameter(CParameter::CompressionLevel(1)).unwrap();
            let mut out = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
            c.compress2(&mut out, &data).unwrap();
            assert!(out == expected, "a reused compressor wrote other bytes");

            // A reused decompressor needs no dictionary for a frame made without one.
            let mut d = DCtx::create();
            let mut back = Vec::with_capacity(data.len());
            d.decompress(&mut back, &out).unwrap();
            assert!(back == data);
        }
    }
}

/// The vendored parquet (see the workspace `Cargo.toml`) makes a zstd context only when first
/// used and compresses a page into a buffer the codec sizes: a file it writes must read back the
/// same, through the decompressor it now makes lazily.
#[cfg(test)]
mod vendored_parquet {
    use super::*;
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn a_zstd_file_reads_back_as_written() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("json", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        // Long, varied strings, so that pages are big and fall back from the dictionary.
        let json: StringArray = (0..30_000u64)
            .map(|i| {
                (i % 11 != 0).then(|| {
                    format!(
                        "{{\"id\":{i},\"pad\":\"{}\"}}",
                        "x".repeat((i % 97) as usize)
                    )
                })
            })
            .collect();
        let n = Int64Array::from_iter_values((0..30_000i64).map(|i| i * 7919 % 65_521));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(json), Arc::new(n)]).unwrap();

        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
            .set_dictionary_enabled(false)
            .build();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        let metadata = writer.close().unwrap();
        let chunk = metadata.row_group(0).column(0);
        assert!(
            chunk.compressed_size() < chunk.uncompressed_size() / 4,
            "pages were not compressed"
        );

        let read: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file))
            .unwrap()
            .with_batch_size(batch.num_rows())
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read, vec![batch]);
    }
}
