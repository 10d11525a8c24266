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
//!
//! In a local lake a file is durable once closed, before any checkpoint can move past its rows:
//! it is written under a staging name in the lake's `_staging/` directory, synced, renamed into
//! place, and its directory synced (and every directory made for it); staging files a killed
//! writer left are removed by the next process that writes there (see [`StagedFile`]). Dead
//! letters and in-flight markers of a local lake go the same way.

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
use object_store::path::Path;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::{add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, TypePtr};
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
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    pub path: String,
    pub table: &'static str,
    /// The hour of `TimeGenerated` its rows share (hours since the epoch).
    pub hour: i64,
    pub rows: u64,
    pub bytes: u64,
    /// What the file's [`FileObserver`] gathered (a Delta `add` action's statistics).
    pub stats: Option<arrow_array::StructArray>,
}

/// Sees every batch a file takes, in order; the Delta destination gathers each file's
/// statistics this way, from the Arrow data, without reading the file back.
pub trait FileObserver: Send + Sync {
    fn batch(&mut self, batch: &RecordBatch) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<Option<arrow_array::StructArray>>;
}

/// Makes the observer of a new file of a table.
pub type ObserverFactory = Arc<dyn Fn(TableId) -> Box<dyn FileObserver> + Send + Sync>;

/// Where a table's files of an hour go, under the lake root.
pub type PartitionDir = fn(&str, i64) -> String;

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
    /// renamed into place when complete, durably (see [`StagedFile`]). Through the store, every
    /// part and the final rename went to the runtime's blocking pool and the encoding thread
    /// waited for it: two thread switches a part, which left a core idle about 8 % of the time
    /// in `convert` on 2 cores.
    Local(StagedFile),
}

impl Sink {
    fn local(location: &Location, path: &Path) -> std::io::Result<Sink> {
        Ok(Sink::Local(StagedFile::create(location, path)?))
    }
}

/// Where a local location stages the files it writes (under its root, so on the same file
/// system: a rename moves them into place).
const STAGING_DIR: &str = "_staging";

/// The staging directory of a local `location`, as a file system path.
fn staging_dir(
    fs: &object_store::local::LocalFileSystem,
    location: &Location,
) -> std::io::Result<std::path::PathBuf> {
    fs.path_to_filesystem(&location.child(STAGING_DIR))
        .map_err(std::io::Error::other)
}

/// A file of a local location (Parquet file, dead letters, in-flight marker) written as the
/// object store would, into a staging file `_staging/<n>-<name>#<pid>` that its listings skip,
/// then renamed into place; and durably, since a checkpoint may move once it is in place: the
/// data is synced before the rename, and the directory (with every directory created for it)
/// after. Dropped before [`StagedFile::commit`], it leaves nothing behind.
///
/// A process killed while writing leaves its staging files behind. They all lie in the
/// location's one staging directory, whatever directory they were headed for (one that may
/// never be written again, and that no marker may name any more), so the first time a process
/// writes into the location it finds and removes every one ([`remove_stale_staging`]): each
/// staging file is locked (`flock`) by its writer for as long as it is open, so a file nobody
/// holds a lock on belongs to no live writer (whatever its pid says: pids are reused, and a
/// process in another pid namespace or on another host sharing the directory has pids of its
/// own); and only files older than this process are removed, which also spares one another
/// writer has just created and not yet locked.
pub(crate) struct StagedFile {
    file: Option<std::fs::File>,
    /// `None` once renamed into place.
    staging: Option<std::path::PathBuf>,
    path: std::path::PathBuf,
}

impl StagedFile {
    /// Create the staging file of `path` in a local `location` (and, durably, the directories
    /// it needs).
    pub(crate) fn create(location: &Location, path: &Path) -> std::io::Result<StagedFile> {
        /// Tells apart the staging files of one process (two may be headed for one name in two
        /// directories).
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let fs = location.local.as_ref().ok_or_else(|| {
            std::io::Error::other(format!("{} is not a local directory", location.display))
        })?;
        let path = fs.path_to_filesystem(path).map_err(std::io::Error::other)?;
        let staging_dir = staging_dir(fs, location)?;
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(std::io::Error::other(format!(
                "{} is not a file in a directory",
                path.display()
            )));
        };
        create_dirs_durably(dir)?;
        create_dirs_durably(&staging_dir)?;
        remove_stale_staging_once(&staging_dir);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let staging = staging_dir.join(format!(
            "{n:x}-{}#{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::File::create(&staging)?;
        lock(&file, false)?;
        Ok(StagedFile {
            file: Some(file),
            staging: Some(staging),
            path,
        })
    }

    pub(crate) fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.file
            .as_mut()
            .expect("open until committed")
            .write_all(data)
    }

    /// Sync the data, rename the file into place, close it (checking for errors a drop would
    /// ignore) and sync its directory: once this returns, the file survives a crash. It is
    /// closed (and so unlocked) only once its staging name is gone.
    pub(crate) fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("open until committed");
        file.sync_all()?;
        if let Some(from) = &self.staging {
            std::fs::rename(from, &self.path)?;
        }
        // Renamed: nothing for `drop` to remove (a failed rename leaves it to remove).
        self.staging = None;
        close(file)?;
        sync_dir(self.path.parent().expect("has a directory"))
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if let Some(staging) = &self.staging {
            let _ = std::fs::remove_file(staging);
        }
    }
}

/// Write a small file of a local lake whole and durably (an in-flight marker).
pub(crate) fn write_file_durably(
    location: &Location,
    path: &Path,
    data: &[u8],
) -> std::io::Result<()> {
    let mut file = StagedFile::create(location, path)?;
    file.write_all(data)?;
    file.commit()
}

/// Close a file, reporting the error `close` may return (NFS reports write errors there).
fn close(file: std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::IntoRawFd;
        // SAFETY: the descriptor is ours alone, and closed once.
        if unsafe { libc::close(file.into_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        drop(file);
        Ok(())
    }
}

/// Sync a directory, so that the entries just added to or removed from it survive a crash.
pub(crate) fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// `create_dir_all`, then sync the directory above each one created (whose entries changed), up
/// to the one that already existed. `dir` itself is synced by [`StagedFile::commit`], once its
/// file is in it.
fn create_dirs_durably(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut existing = dir;
    while !existing.is_dir() {
        match existing.parent() {
            Some(p) => existing = p,
            None => break,
        }
    }
    std::fs::create_dir_all(dir)?;
    let mut d = dir;
    while d != existing {
        match d.parent() {
            Some(p) => {
                sync_dir(p)?;
                d = p;
            }
            None => break,
        }
    }
    Ok(())
}

/// `flock` the file exclusively: blocking (`false`) or failing at once when another open file
/// holds a lock on it (`true`, then `Ok(false)`).
fn lock(file: &std::fs::File, try_only: bool) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let op = libc::LOCK_EX | if try_only { libc::LOCK_NB } else { 0 };
        // SAFETY: flock takes a descriptor we hold open and plain flags.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        if try_only && e.kind() == std::io::ErrorKind::WouldBlock {
            return Ok(false);
        }
        Err(e)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, try_only);
        Ok(true)
    }
}

/// When this process started (a clock tick early at most), or, where `/proc` does not tell,
/// when it first asked.
fn process_start() -> std::time::SystemTime {
    static START: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();
    *START.get_or_init(|| proc_start_time().unwrap_or_else(std::time::SystemTime::now))
}

/// The start time from `/proc/self/stat`: clock ticks after boot, turned into wall-clock time
/// through the boot-time clock it is counted on.
#[cfg(target_os = "linux")]
fn proc_start_time() -> Option<std::time::SystemTime> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, starttime 22.
    let rest = &stat[stat.rfind(')')? + 2..];
    let ticks: u64 = rest.split(' ').nth(19)?.parse().ok()?;
    // SAFETY: sysconf takes a plain integer.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .ok()
        .filter(|&h| h > 0)?;
    let mut boot = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let now = std::time::SystemTime::now();
    // SAFETY: clock_gettime writes into the timespec we pass.
    if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut boot) } != 0 {
        return None;
    }
    let since_boot = std::time::Duration::new(boot.tv_sec as u64, boot.tv_nsec as u32);
    let started = std::time::Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / hz);
    now.checked_sub(since_boot.checked_sub(started)?)
}

#[cfg(not(target_os = "linux"))]
fn proc_start_time() -> Option<std::time::SystemTime> {
    None
}

/// Remove what killed writers left in a local location's staging directory (once per process,
/// as the first file staged there would): called when a location is opened for writing, so
/// that nothing is left even by a run that writes nothing there.
pub(crate) fn remove_left_staging(location: &Location) {
    let Some(fs) = &location.local else { return };
    if let Ok(dir) = staging_dir(fs, location) {
        if dir.is_dir() {
            remove_stale_staging_once(&dir);
        }
    }
}

/// [`remove_stale_staging`] in each staging directory once per process.
fn remove_stale_staging_once(dir: &std::path::Path) {
    static CLEANED: std::sync::Mutex<Option<FxHashSet<std::path::PathBuf>>> =
        std::sync::Mutex::new(None);
    let first = CLEANED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(FxHashSet::default)
        .insert(dir.to_path_buf());
    if first {
        match remove_stale_staging(dir, process_start()) {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(dir = %dir.display(), files = n, "removed staging files a stopped writer left behind")
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "could not clean up staging files")
            }
        }
    }
}

/// Remove the staging files (`<name>#<digits>`) of `dir` that no live writer holds (none has
/// it locked) and that were last written before `before`. Returns how many went.
fn remove_stale_staging(
    dir: &std::path::Path,
    before: std::time::SystemTime,
) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some((_, suffix)) = name.to_str().and_then(|n| n.rsplit_once('#')) else {
            continue;
        };
        if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        // Gone meanwhile (its writer finished), or not a plain file: not ours to judge.
        let Ok(file) = std::fs::OpenOptions::new().read(true).open(&path) else {
            continue;
        };
        let Ok(meta) = file.metadata() else { continue };
        if !meta.is_file() || meta.modified().map_or(true, |m| m >= before) {
            continue;
        }
        if lock(&file, true)? {
            // Still the file we locked (not renamed into place meanwhile): remove it.
            if std::fs::metadata(&path).is_ok_and(|m| same_file(&m, &meta)) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
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
/// Files open at once; past it the least recently written half is closed. Each holds a writer
/// and an upload buffer, so rows spread over thousands of hours must not open thousands.
const MAX_OPEN_FILES: usize = 64;

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
            Sink::Local(file) => {
                file.write_all(&self.buf)?;
                self.buf.clear();
                Ok(())
            }
        }
    }
    fn finish(mut self) -> std::io::Result<()> {
        self.send()?;
        match self.out {
            Sink::Store(mut out, rt) => rt.block_on(out.shutdown()),
            Sink::Local(file) => file.commit(),
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
///
/// Hashing a sample of unique values is what this costs (1.8 % of `convert`'s CPU on the default
/// corpus, whose policy arrays run to kilobytes), so it stops as soon as more than half of every
/// sample it could take are distinct: the answer is no by then.
fn repeats(batches: &[RecordBatch], column: usize) -> bool {
    const SAMPLES: usize = 64;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let step = (rows / SAMPLES).max(1);
    // Rows 0, step, 2 step, ... of the row group: at most this many samples.
    let positions = rows.div_ceil(step);
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
                if seen.len() * 2 > positions {
                    return false;
                }
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
    hour: i64,
    observer: Option<Box<dyn FileObserver>>,
}

impl OpenFile {
    /// Encode the waiting batches as one row group, its columns in parallel.
    fn encode(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut self.pending);
        // Here, not as batches arrive: row groups of different files encode in parallel.
        if let Some(o) = &mut self.observer {
            for b in &batches {
                o.batch(b)?;
            }
        }
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
            self.factory_with(&uncompressed, &dictionary)
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
    ) -> ArrowRowGroupWriterFactory {
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
        self.columns.with_properties(Arc::new(props))
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
        let stats = match self.observer {
            Some(o) => o.finish()?,
            None => None,
        };
        Ok(WrittenFile {
            path: self.path.to_string(),
            table: Catalogue::get().table(self.table).name,
            hour: self.hour,
            rows: self.rows,
            bytes,
            stats,
        })
    }
}

/// Writes batches of (table, hour) into the lake.
pub struct LakeWriter {
    location: Location,
    rt: Handle,
    options: LakeOptions,
    /// How each table's files are written, shared by the writers of a destination.
    formats: Arc<FileFormats>,
    open: FxHashMap<(TableId, i64), OpenFile>,
    writes: u64,
    pub written: Vec<WrittenFile>,
    /// After the position in file names: the writer's epoch (`sink::inflight`), or nothing.
    file_suffix: String,
    dir: PartitionDir,
    observers: Option<ObserverFactory>,
}

/// `table=<T>/date=YYYY-MM-DD/hour=HH` for an hour since the epoch.
pub fn partition_dir(table: &str, hour: i64) -> String {
    format!("table={table}/{}", date_hour_dir(hour))
}

/// `date=YYYY-MM-DD/hour=HH` for an hour since the epoch.
pub fn date_hour_dir(hour: i64) -> String {
    format!(
        "date={}/hour={:02}",
        date_of_hour(hour),
        hour.rem_euclid(24)
    )
}

/// `YYYY-MM-DD` of an hour since the epoch.
pub fn date_of_hour(hour: i64) -> String {
    let (y, m, d) = civil_from_days(hour.div_euclid(24));
    format!("{y:04}-{m:02}-{d:02}")
}

/// How each table's files are written: dictionaries and statistics only where they pay.
pub struct FileProperties {
    pub writer: FxHashMap<TableId, WriterProperties>,
    /// Names of each table's JSON columns, whose dictionary each row group turns on when their
    /// values repeat.
    pub json_columns: FxHashMap<TableId, Vec<&'static str>>,
}

/// Every table's [`FileProperties`]. Public for the benches, which encode as the lake does.
pub fn file_properties(zstd_level: i32) -> Result<FileProperties> {
    let base = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(zstd_level)?))
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
    Ok(FileProperties {
        writer: props,
        json_columns,
    })
}

/// What every file of a table has in common, made once and shared by every file and segment
/// of a destination: the Parquet schema, the writer properties (with the Arrow schema encoded in
/// their metadata) and where the JSON columns are. Over many partitions most segments are
/// small, and making these for each file (converting and encoding the schema, cloning the
/// properties, a throwaway file writer per row group) was a fifth of what writing a file of a
/// dozen rows cost (`convert` of records spread over 200 hours: 330 → 264 µs a file).
pub struct FileFormats {
    zstd_level: i32,
    properties: FileProperties,
    made: std::sync::Mutex<FxHashMap<(TableId, bool), Arc<TableFormat>>>,
}

/// [`FileFormats`] of one table and schema.
struct TableFormat {
    /// The schema of the batches it was made for.
    schema: SchemaRef,
    /// The schema the files declare: `schema`, or `schema` without field metadata.
    file_schema: SchemaRef,
    parquet_schema: TypePtr,
    props: WriterPropertiesPtr,
    json_columns: Arc<[usize]>,
}

impl FileFormats {
    pub fn new(zstd_level: i32) -> Result<Arc<FileFormats>> {
        Ok(Arc::new(FileFormats {
            zstd_level,
            properties: file_properties(zstd_level)?,
            made: Default::default(),
        }))
    }

    /// The format of `table`'s files for batches of `schema`; `plain` drops the fields'
    /// metadata from what the files declare (see [`LakeWriter::create`]).
    fn of(&self, table: TableId, schema: &SchemaRef, plain: bool) -> Result<Arc<TableFormat>> {
        let fits = |f: &&Arc<TableFormat>| Arc::ptr_eq(&f.schema, schema) || f.schema == *schema;
        let lock = || self.made.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = lock().get(&(table, plain)).filter(fits) {
            return Ok(Arc::clone(f));
        }
        let file_schema = if plain {
            let fields: Vec<arrow_schema::Field> = schema
                .fields()
                .iter()
                .map(|f| {
                    f.as_ref()
                        .clone()
                        .with_metadata(std::collections::HashMap::new())
                })
                .collect();
            Arc::new(arrow_schema::Schema::new(fields))
        } else {
            Arc::clone(schema)
        };
        // What `ArrowWriter::try_new` does for each file.
        let mut props = self.properties.writer[&table].clone();
        let parquet_schema = ArrowSchemaConverter::new()
            .with_coerce_types(props.coerce_types())
            .convert(&file_schema)?
            .root_schema_ptr();
        add_encoded_arrow_schema_to_metadata(&file_schema, &mut props);
        let format = Arc::new(TableFormat {
            schema: Arc::clone(schema),
            file_schema,
            parquet_schema,
            props: Arc::new(props),
            json_columns: self.properties.json_columns[&table]
                .iter()
                .filter_map(|name| schema.index_of(name).ok())
                .collect(),
        });
        lock().insert((table, plain), Arc::clone(&format));
        Ok(format)
    }
}

impl LakeWriter {
    pub fn new(location: Location, rt: Handle, options: LakeOptions) -> Result<Self> {
        let formats = FileFormats::new(options.zstd_level)?;
        Ok(Self::with_formats(location, rt, options, formats))
    }

    /// A writer sharing `formats` (made with `options.zstd_level`) with others.
    pub fn with_formats(
        location: Location,
        rt: Handle,
        options: LakeOptions,
        formats: Arc<FileFormats>,
    ) -> Self {
        debug_assert_eq!(formats.zstd_level, options.zstd_level);
        LakeWriter {
            location,
            rt,
            options,
            formats,
            open: FxHashMap::default(),
            writes: 0,
            written: Vec::new(),
            file_suffix: String::new(),
            dir: partition_dir,
            observers: None,
        }
    }

    /// Lay files out with `dir` (a Delta table per Log Analytics table) instead of the Hive
    /// `table=<T>/…` directories, and give each new file an observer.
    pub fn with_layout(mut self, dir: PartitionDir, observers: Option<ObserverFactory>) -> Self {
        self.dir = dir;
        self.observers = observers;
        self
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
                if self.open.len() >= MAX_OPEN_FILES {
                    self.close_least_recent()?;
                }
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
            (self.dir)(name, hour),
            self.file_suffix
        ));
        let out = match &self.location.local {
            Some(_) => Sink::local(&self.location, &path)
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
        // Row groups are encoded column by column through the parts an `ArrowWriter` would
        // use. A Delta table declares plain types: its files say the same (Arrow extension
        // types in their schema make some readers refuse the table's `string`).
        let format = self
            .formats
            .of(table, &first.schema(), self.observers.is_some())?;
        let writer = SerializedFileWriter::new(
            upload,
            Arc::clone(&format.parquet_schema),
            Arc::clone(&format.props),
        )?;
        let columns = ArrowRowGroupWriterFactory::new(&writer, Arc::clone(&format.file_schema));
        Ok(OpenFile {
            path,
            table,
            schema: Arc::clone(&format.schema),
            json_columns: Arc::clone(&format.json_columns),
            writer,
            columns,
            row_groups: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            rows: 0,
            last_write: self.writes,
            hour,
            observer: self.observers.as_ref().map(|f| f(table)),
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

    /// Close the half of the open files written to least recently: rows spread over many
    /// hours (or tables) would otherwise keep a writer and its buffers per hour open at once.
    fn close_least_recent(&mut self) -> Result<()> {
        let mut by_age: Vec<(u64, (TableId, i64))> =
            self.open.iter().map(|(k, f)| (f.last_write, *k)).collect();
        by_age.sort_unstable();
        let closing: Vec<OpenFile> = by_age[..by_age.len() / 2]
            .iter()
            .filter_map(|(_, k)| self.open.remove(k))
            .collect();
        self.close_files(closing)
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

    /// A local upload writes a staging file (`_staging/<n>-name#pid`, which object_store's
    /// listings skip), renames it into place when finished, and removes it when abandoned.
    #[test]
    fn local_uploads_appear_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let mut done = Upload {
            buf: Vec::new(),
            written: 0,
            out: Sink::local(&location, &location.child("t=a/x.parquet")).unwrap(),
        };
        done.write_all(&vec![7u8; PART + 10]).unwrap();
        let staged = files_under(dir.path());
        let pid = std::process::id();
        assert!(
            matches!(&staged[..], [s] if s.starts_with("_staging/")
                && s.ends_with(&format!("-x.parquet#{pid}"))),
            "{staged:?}"
        );
        done.finish().unwrap();
        assert_eq!(files_under(dir.path()), ["t=a/x.parquet"]);
        assert_eq!(
            std::fs::read(dir.path().join("t=a/x.parquet")).unwrap(),
            vec![7u8; PART + 10]
        );

        let mut abandoned = Upload {
            buf: Vec::new(),
            written: 0,
            out: Sink::local(&location, &location.child("t=b/y.parquet")).unwrap(),
        };
        abandoned.write_all(&vec![1u8; PART + 1]).unwrap();
        drop(abandoned);
        assert_eq!(files_under(dir.path()), ["t=a/x.parquet"]);
    }

    /// Staging files are removed when no writer holds them and they predate the process; a
    /// locked one (a live writer, even with a pid not ours) stays, and so does a recent one.
    #[test]
    fn stale_staging_files_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let make = |name: &str, mtime: Option<std::time::SystemTime>| {
            let mut f = std::fs::File::create(d.join(name)).unwrap();
            f.write_all(b"PAR1").unwrap();
            if let Some(t) = mtime {
                f.set_modified(t).unwrap();
            }
            f
        };
        drop(make("dead.parquet#4194301", Some(old)));
        let live = make("live.parquet#4194302", Some(old));
        assert!(lock(&live, true).unwrap());
        drop(make("recent.parquet#4194303", None));
        drop(make("done.parquet", Some(old)));
        drop(make("other#x1", Some(old)));
        let before = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        assert_eq!(remove_stale_staging(d, before).unwrap(), 1);
        assert_eq!(
            files_under(d),
            [
                "done.parquet",
                "live.parquet#4194302",
                "other#x1",
                "recent.parquet#4194303"
            ]
        );
        // Once its writer is gone, the locked one goes too.
        drop(live);
        assert_eq!(remove_stale_staging(d, before).unwrap(), 1);
        assert!(!d.join("live.parquet#4194302").exists());
    }

    /// The process started before now, and not long before (the test binary is young).
    #[test]
    fn process_start_is_just_before_now() {
        let start = process_start();
        let age = std::time::SystemTime::now().duration_since(start).unwrap();
        assert!(age < std::time::Duration::from_secs(600), "{age:?}");
    }

    /// A staged file's directories are created, and the file is in place with its content.
    #[test]
    fn staged_files_commit_into_new_directories() {
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        write_file_durably(&location, &location.child("a/b/c/m"), b"first=1\n").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("a/b/c/m")).unwrap(),
            b"first=1\n"
        );
        assert_eq!(files_under(dir.path()), ["a/b/c/m"]);
    }

    /// A staging file a killed writer left (here: unlocked and older than this process) is
    /// removed by the next file this process stages in the same location, whichever
    /// directory either was headed for.
    #[test]
    fn the_first_staged_file_removes_what_a_killed_writer_left() {
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        std::fs::create_dir_all(dir.path().join(STAGING_DIR)).unwrap();
        let left = dir.path().join(STAGING_DIR).join("0-y.parquet#4194301");
        let f = std::fs::File::create(&left).unwrap();
        f.set_modified(process_start() - std::time::Duration::from_secs(60))
            .unwrap();
        drop(f);
        write_file_durably(&location, &location.child("t=b/m"), b"x").unwrap();
        assert_eq!(files_under(dir.path()), ["t=b/m"]);
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
        // Exactly half distinct still repeats; one more distinct does not (the early stop).
        assert!(repeats(&batches(&[64], |i| Some(format!("{}", i % 32))), 0));
        assert!(!repeats(
            &batches(&[64], |i| Some(format!("{}", i.min(32)))),
            0
        ));
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
/// same, through the decompressor it now makes lazily. A string column's chunk statistics are
/// taken from its dictionary while it has one: they must be the chunk's exact min and max.
#[cfg(test)]
mod vendored_parquet {
    use super::*;
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Encoding, PageType};
    use parquet::file::statistics::Statistics;

    /// Row groups of 10,000 rows over many small pages: the first two use only a dictionary of
    /// 500 values (each page reusing entries earlier pages added, the smallest one only in the
    /// first rows), the next two fall back to plain once distinct long values fill the
    /// dictionary. Every row group's min and max are those of its rows, as with page statistics
    /// (upstream's per-row path).
    #[test]
    fn string_chunk_statistics_are_the_chunks_min_and_max() {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
        let value = |i: u64| -> Option<String> {
            match i {
                _ if i % 13 == 5 => None,
                0 => Some("aaa-only-here".into()),
                _ if i < 25_000 || i.is_multiple_of(3) => Some(format!("user{:03}", (i * 7) % 500)),
                _ => Some(format!("z{i:06}-{}", "p".repeat((i % 50) as usize))),
            }
        };
        let rows: Vec<Option<String>> = (0..40_000).map(value).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(rows.clone()))],
        )
        .unwrap();
        let written = |level: EnabledStatistics| {
            let props = WriterProperties::builder()
                .set_statistics_enabled(level)
                .set_max_row_group_row_count(Some(10_000))
                .set_data_page_row_count_limit(700)
                .set_write_batch_size(256)
                .set_dictionary_page_size_limit(16 << 10)
                .build();
            let mut file = Vec::new();
            let mut writer = ArrowWriter::try_new(&mut file, schema.clone(), Some(props)).unwrap();
            writer.write(&batch).unwrap();
            writer
                .close()
                .unwrap()
                .row_groups()
                .iter()
                .map(|rg| {
                    let c = rg.column(0);
                    let Some(Statistics::ByteArray(st)) = c.statistics() else {
                        panic!("no string statistics")
                    };
                    let text = |b: Option<&parquet::data_type::ByteArray>| {
                        String::from_utf8(b.unwrap().data().to_vec()).unwrap()
                    };
                    let plain = c.page_encoding_stats().unwrap().iter().any(|p| {
                        p.page_type == PageType::DATA_PAGE && p.encoding == Encoding::PLAIN
                    });
                    (text(st.min_opt()), text(st.max_opt()), plain)
                })
                .collect::<Vec<_>>()
        };
        let expected: Vec<(String, String)> = rows
            .chunks(10_000)
            .map(|rg| {
                let present = rg.iter().flatten();
                (
                    present.clone().min().unwrap().clone(),
                    present.max().unwrap().clone(),
                )
            })
            .collect();
        let chunk = written(EnabledStatistics::Chunk);
        let from_rows: Vec<(String, String)> = chunk
            .iter()
            .map(|(a, b, _)| (a.clone(), b.clone()))
            .collect();
        assert_eq!(from_rows, expected);
        assert_eq!(
            chunk.iter().map(|c| c.2).collect::<Vec<_>>(),
            [false, false, true, true],
            "which row groups fell back from the dictionary"
        );
        assert_eq!(expected[0].0, "aaa-only-here");
        assert_eq!(chunk, written(EnabledStatistics::Page));
    }

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

        assert_eq!(read_back(Bytes::from(file), batch.num_rows()), vec![batch]);
    }

    /// A file's rows, in batches of `rows`.
    fn read_back(file: Bytes, rows: usize) -> Vec<RecordBatch> {
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .with_batch_size(rows)
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Files take their Parquet schema, properties and Arrow schema from their table's format,
    /// made once per schema and layout and shared by every writer of a destination: files of
    /// two segments written through one read back as their batches' fields (with the JSON
    /// extension type) and values, and the plain layout (Delta) declares the fields without
    /// their metadata.
    /// Every column of these ten rows is below `SMALL_CHUNK`, so each row group's column writers
    /// come from `ArrowRowGroupWriterFactory::with_properties` (patch 6).
    #[test]
    fn writers_sharing_formats_write_files_that_read_back_as_their_batches() {
        use aad_schemas::schema::shared_schema_for;
        use aad_schemas::SchemaOptions;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let location = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let formats = FileFormats::new(DEFAULT_ZSTD_LEVEL).unwrap();
        let batches = crate::service::fencing_tests::batches();
        let (table, _, batch) = &batches[0];
        let schema = batch.schema();

        let hive = formats.of(*table, &schema, false).unwrap();
        assert!(Arc::ptr_eq(
            &hive,
            &formats.of(*table, &schema, false).unwrap()
        ));
        assert_eq!(hive.file_schema, schema);
        let additional = schema.index_of(extra::ADDITIONAL_FIELDS).unwrap();
        assert!(hive.json_columns.contains(&additional));
        let delta = formats.of(*table, &schema, true).unwrap();
        assert!(!Arc::ptr_eq(&hive, &delta));
        assert!(!schema.field(additional).metadata().is_empty());
        assert!(delta
            .file_schema
            .fields()
            .iter()
            .all(|f| f.metadata().is_empty()));
        let catalogue_table = Catalogue::get().table(*table);
        let nanos = SchemaOptions {
            nanosecond_timestamps: true,
        };
        let other = formats
            .of(*table, &shared_schema_for(catalogue_table, nanos), false)
            .unwrap();
        assert!(!Arc::ptr_eq(&hive, &other));
        assert_ne!(other.parquet_schema, hive.parquet_schema);

        let mut files = Vec::new();
        for segment in ["-a", "-b"] {
            let mut writer = LakeWriter::with_formats(
                location.clone(),
                rt.handle().clone(),
                LakeOptions::default(),
                Arc::clone(&formats),
            )
            .with_file_suffix(segment.to_string());
            writer.write(7, batches.clone()).unwrap();
            writer.close_all().unwrap();
            files.extend(std::mem::take(&mut writer.written));
        }
        assert_eq!(files.len(), 2);
        for f in &files {
            let bytes = std::fs::read(dir.path().join(&f.path)).unwrap();
            let back = read_back(Bytes::from(bytes), batch.num_rows());
            // (The schema's own metadata is not kept in a file's key-value metadata.)
            assert_eq!(back.len(), 1);
            assert_eq!(back[0].schema().fields(), schema.fields(), "{}", f.path);
            assert_eq!(back[0].columns(), batch.columns(), "{}", f.path);
        }
    }

    /// A plain page's levels go into the room its encoder left in front of the values; levels
    /// too long for it (one page of 100,000 rows, half of them null: 12.5 KB of bit-packed
    /// definition levels) take upstream's copy. Pages read back as written both ways, compressed
    /// or not.
    #[test]
    fn plain_pages_read_back_whether_their_levels_fit_in_front_or_not() {
        use parquet::basic::PageType;
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
        let strings: StringArray = (0..100_000u64)
            .map(|i| (i % 2 == 0).then(|| format!("v{i}")))
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(strings)]).unwrap();
        for compression in [
            Compression::UNCOMPRESSED,
            Compression::ZSTD(ZstdLevel::default()),
        ] {
            for one_page in [false, true] {
                let mut props = WriterProperties::builder()
                    .set_compression(compression)
                    .set_dictionary_enabled(false);
                if one_page {
                    props = props
                        .set_data_page_row_count_limit(usize::MAX)
                        .set_data_page_size_limit(usize::MAX);
                }
                let mut file = Vec::new();
                let mut writer =
                    ArrowWriter::try_new(&mut file, schema.clone(), Some(props.build())).unwrap();
                writer.write(&batch).unwrap();
                writer.close().unwrap();
                let file = Bytes::from(file);
                let pages = SerializedFileReader::new(file.clone())
                    .unwrap()
                    .get_row_group(0)
                    .unwrap()
                    .get_column_page_reader(0)
                    .unwrap()
                    .map(|page| page.unwrap().page_type())
                    .filter(|t| *t == PageType::DATA_PAGE)
                    .count();
                assert_eq!(pages == 1, one_page, "{pages} pages ({compression:?})");
                assert_eq!(
                    read_back(file, batch.num_rows()),
                    vec![batch.clone()],
                    "{compression:?}, one page: {one_page}"
                );
            }
        }
    }
}
