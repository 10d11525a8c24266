//! `replay`: events from files sent again, at a controlled rate, into an event hub through the
//! official `ProducerClient`, or into the in-process pipeline (decode, normalize and, with `-c`,
//! route, as `convert` does) to measure it without the network. For load tests and demos: with
//! `test-hub` (tests/) no Azure is needed.
//!
//! The input side is [`ReplaySource`]: anything that yields (original partition, body) events,
//! read again from the start for each loop: NDJSON (one event body per line, as
//! `generate --format envelope` writes), Event Hubs Capture files (`--capture`, through
//! `source::capture`, with each event's partition and enqueued time) and storage-account
//! archives (`--archive`, through `source::archive`, a record per event).
//!
//! Pacing: each event gets a due time from the rate (a fixed events/s or MB/s, its original
//! time sped up N×, or none); events due together are batched per destination partition,
//! and a batch is handed to one of `concurrency` senders when it is full or the next event is
//! not yet due. The report's achieved rate is events over wall time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aad_schemas::{BatchSet, Decoder, MessageContext, Normalizer, SchemaOptions};
use anyhow::{bail, Context, Result};
use azure_messaging_eventhubs::{EventDataBatchOptions, ProducerClient};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{AuthConfig, EventHubsConfig, Purpose, RunConfig};
use crate::route::TableRoutes;
use crate::sink::deadletter;
use crate::source::files::{expand, ChunkReader, Input};

/// One event to replay.
#[derive(Debug, Clone)]
pub struct ReplayEvent {
    /// The partition it was read from, when the input knows it (Capture does, NDJSON not).
    pub partition: Option<String>,
    /// When it was originally enqueued or logged, for `--rate Nx`.
    pub time_nanos: Option<i64>,
    pub body: Vec<u8>,
}

/// Where replayed events come from; `events` starts again from the beginning on every call.
pub trait ReplaySource: Send + Sync {
    fn events(&self) -> Result<Box<dyn Iterator<Item = Result<ReplayEvent>> + Send + '_>>;
}

/// NDJSON files, directories, globs or stdin: one event body per non-blank line.
pub struct NdjsonSource {
    inputs: Vec<String>,
}

/// Event Hubs Capture files under each input (a directory or an object-store URL, named by an
/// archive name format): every event with its partition and enqueued time, partition by
/// partition in sequence order, so `--partitioning original` puts each back where it was and
/// `--rate Nx` follows the original timing.
pub struct CaptureSource {
    locations: Vec<crate::store::Location>,
    format: crate::source::capture::ArchiveNameFormat,
    rt: tokio::runtime::Handle,
}

impl CaptureSource {
    pub fn new(
        inputs: &[String],
        format: crate::source::capture::ArchiveNameFormat,
        rt: tokio::runtime::Handle,
    ) -> Result<CaptureSource> {
        let locations = inputs
            .iter()
            .map(|i| crate::store::open(i).with_context(|| format!("--capture input {i}")))
            .collect::<Result<_>>()?;
        Ok(CaptureSource {
            locations,
            format,
            rt,
        })
    }
}

impl ReplaySource for CaptureSource {
    fn events(&self) -> Result<Box<dyn Iterator<Item = Result<ReplayEvent>> + Send + '_>> {
        use crate::source::capture::{list, PartitionEvents, Selection};
        let mut partitions = Vec::new();
        for location in &self.locations {
            // Replay reads on the runtime's worker threads: step aside to block on the store.
            let (found, _) = tokio::task::block_in_place(|| {
                self.rt
                    .block_on(list(location, &self.format, &Selection::default()))
            })?;
            partitions.extend(found.into_iter().map(|p| (location.store.clone(), p)));
        }
        let rt = self.rt.clone();
        Ok(Box::new(partitions.into_iter().flat_map(
            move |(store, files)| {
                let partition = files.partition;
                let mut events = PartitionEvents::new(store, rt.clone(), files.files);
                std::iter::from_fn(move || tokio::task::block_in_place(|| events.next())).map(
                    move |e| {
                        e.map(|e| ReplayEvent {
                            partition: Some(partition.clone()),
                            time_nanos: e.enqueued,
                            body: e.body,
                        })
                    },
                )
            },
        )))
    }
}

/// Entra storage-account archives under each input (`insights-logs-<category>/…/PT1H.json`,
/// any prefix): every complete line of every blob is one event (a record, as the archive holds
/// them), in path order, with the archive's repeats dropped as `convert --archive` drops them;
/// a line still being appended is left out.
pub struct ArchiveSource {
    locations: Vec<crate::store::Location>,
    rt: tokio::runtime::Handle,
}

impl ArchiveSource {
    pub fn new(inputs: &[String], rt: tokio::runtime::Handle) -> Result<ArchiveSource> {
        let locations = inputs
            .iter()
            .map(|i| crate::store::open(i).with_context(|| format!("--archive input {i}")))
            .collect::<Result<_>>()?;
        Ok(ArchiveSource { locations, rt })
    }
}

impl ReplaySource for ArchiveSource {
    fn events(&self) -> Result<Box<dyn Iterator<Item = Result<ReplayEvent>> + Send + '_>> {
        use crate::source::archive::{complete_len, list, ArchiveSelection, Repeats};
        use object_store::ObjectStoreExt;
        let mut blobs = Vec::new();
        for location in &self.locations {
            let found = tokio::task::block_in_place(|| {
                self.rt
                    .block_on(list(location, &ArchiveSelection::default()))
            })?;
            blobs.extend(found.into_iter().map(|b| (location.store.clone(), b)));
        }
        let mut repeats = Repeats::default();
        let rt = self.rt.clone();
        Ok(Box::new(blobs.into_iter().flat_map(
            move |(store, blob)| {
                let read = tokio::task::block_in_place(|| {
                    rt.block_on(async { store.get(&blob.path).await?.bytes().await })
                });
                let events: Vec<Result<ReplayEvent>> = match read {
                    Err(e) => vec![Err(anyhow::anyhow!("reading {}: {e}", blob.path))],
                    Ok(bytes) => {
                        let mut data = bytes[..complete_len(&bytes)].to_vec();
                        repeats.blank_repeats(&mut data);
                        data.split(|&b| b == b'\n')
                            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                            .map(|l| {
                                Ok(ReplayEvent {
                                    partition: None,
                                    time_nanos: original_time(l),
                                    body: l.to_vec(),
                                })
                            })
                            .collect()
                    }
                };
                events
            },
        )))
    }
}

/// Event Hubs refuses an event above 1 MiB; a longer line is skipped (and counted) when read.
const MAX_EVENT_BYTES: usize = 1 << 20;
const CHUNK_BYTES: usize = 2 << 20;

impl NdjsonSource {
    pub fn new(inputs: Vec<String>) -> NdjsonSource {
        NdjsonSource { inputs }
    }
}

impl ReplaySource for NdjsonSource {
    fn events(&self) -> Result<Box<dyn Iterator<Item = Result<ReplayEvent>> + Send + '_>> {
        Ok(Box::new(NdjsonEvents {
            inputs: expand(&self.inputs)?.into_iter(),
            reader: None,
            ready: std::collections::VecDeque::new(),
        }))
    }
}

/// Reads one chunk at a time, so a replay starts at once and holds one chunk.
struct NdjsonEvents {
    inputs: std::vec::IntoIter<Input>,
    reader: Option<(String, ChunkReader)>,
    ready: std::collections::VecDeque<Result<ReplayEvent>>,
}

impl Iterator for NdjsonEvents {
    type Item = Result<ReplayEvent>;

    fn next(&mut self) -> Option<Result<ReplayEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            let Some((source, reader)) = self.reader.as_mut() else {
                let input = self.inputs.next()?;
                match ChunkReader::open(&input, CHUNK_BYTES, MAX_EVENT_BYTES) {
                    Ok(r) => self.reader = Some((input.source, r)),
                    Err(e) => return Some(Err(e)),
                }
                continue;
            };
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    for o in &chunk.oversized {
                        self.ready.push_back(Err(anyhow::anyhow!(
                            "{source}: line {} ({} bytes) is larger than an event may be",
                            o.line,
                            o.bytes
                        )));
                    }
                    self.ready.extend(chunk.messages().map(|(_, m)| {
                        Ok(ReplayEvent {
                            partition: None,
                            time_nanos: original_time(m),
                            body: m.to_vec(),
                        })
                    }));
                }
                Ok(None) => self.reader = None,
                Err(e) => {
                    self.reader = None;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The first `"time"` of an event body: a diagnostic-log envelope's first record's time.
fn original_time(body: &[u8]) -> Option<i64> {
    let at = memchr::memmem::find(body, b"\"time\"")? + 6;
    let rest = &body[at..];
    let open = memchr::memchr(b'"', rest)? + 1;
    let close = memchr::memchr(b'"', &rest[open..])? + open;
    let text = std::str::from_utf8(&rest[open..close]).ok()?;
    aad_schemas::time::parse_timestamp(text)
}

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// As fast as the target takes them.
    Max,
    EventsPerSec(f64),
    /// Megabytes (10^6 bytes) of event bodies per second.
    MegabytesPerSec(f64),
    /// The events' original spacing, N times faster.
    Speedup(f64),
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rate::Max => write!(f, "max"),
            Rate::EventsPerSec(r) => write!(f, "{r} events/s"),
            Rate::MegabytesPerSec(r) => write!(f, "{r} MB/s"),
            Rate::Speedup(n) => write!(f, "original timing {n}x"),
        }
    }
}

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Rate, String> {
        let s = s.trim();
        let number = |n: &str| match n.trim().parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
            _ => Err(format!(
                "{s:?}: expected max, N (events/s), N/s, NMB/s or Nx, with N > 0"
            )),
        };
        let lower = s.to_ascii_lowercase();
        if lower == "max" {
            Ok(Rate::Max)
        } else if let Some(n) = lower.strip_suffix("mb/s") {
            number(n).map(Rate::MegabytesPerSec)
        } else if let Some(n) = lower.strip_suffix('x') {
            number(n).map(Rate::Speedup)
        } else {
            number(lower.strip_suffix("/s").unwrap_or(&lower)).map(Rate::EventsPerSec)
        }
    }
}

/// How replayed events are spread over the hub's partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Partitioning {
    /// Each event to the partition it was read from; round robin for inputs that do not know.
    Original,
    /// Each event with a partition key (one of `--keys`), so the hub hashes it to a partition.
    Key,
    /// Partition after partition.
    RoundRobin,
}

/// `aad-ingest replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// NDJSON files, directories, globs or `-`: one event body per line (as `generate
    /// --format envelope` writes); with `--capture` or `--archive`, directories or
    /// object-store URLs holding Event Hubs Capture files or storage-account archives.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// The inputs are Event Hubs Capture archives: each event goes back to its own partition
    /// (with `--partitioning original`), at its original timing with `--rate Nx`.
    #[arg(long, conflicts_with = "archive")]
    pub capture: bool,
    /// The inputs are Entra storage-account archives (`insights-logs-<category>/…/PT1H.json`):
    /// each record is one event.
    #[arg(long)]
    pub archive: bool,
    /// How the Capture files are named (Capture's setting of the same name).
    #[arg(long, requires = "capture", default_value = crate::source::capture::DEFAULT_ARCHIVE_NAME_FORMAT)]
    pub archive_name_format: String,
    /// `hub`: the event hub of the config's [source.eventhubs] (or of `--endpoint` and the
    /// connection string in EVENTHUB_CONNECTION_STRING); `pipeline`: decode, normalize and route
    /// in process, nothing written.
    #[arg(long, value_parser = ["hub", "pipeline"])]
    pub to: String,
    /// A run config: its [source.eventhubs] for `--to hub`, its routes for `--to pipeline`.
    #[arg(short, long)]
    pub config: Option<std::path::PathBuf>,
    /// Without `-c`: a custom AMQP endpoint (`amqp://127.0.0.1:5672` for test-hub).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Without `-c`: the event hub (else the connection string's EntityPath).
    #[arg(long)]
    pub hub: Option<String>,
    /// `max`, N or N/s (events per second), NMB/s, or Nx (the original timing N times faster).
    #[arg(long, default_value = "max")]
    pub rate: Rate,
    #[arg(long, value_enum, default_value = "original")]
    pub partitioning: Partitioning,
    /// Partition keys used by `--partitioning key`.
    #[arg(long, default_value_t = 64)]
    pub keys: u32,
    /// Times to go through the inputs (0: until --duration ends).
    #[arg(long, default_value_t = 1)]
    pub loops: u64,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Batches in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The final report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress line on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    pub events: u64,
    pub bytes: u64,
    pub batches: u64,
    pub elapsed: Duration,
    /// CPU time of the whole process (user + system).
    pub cpu: Duration,
    /// Per batch sent (or pipeline pass): how long it took.
    pub latencies_ms: Vec<f64>,
    /// Events not sent, by kind of error.
    pub errors: BTreeMap<String, u64>,
    /// `--to pipeline`: rows made, and rows each route kept.
    pub rows: u64,
    pub asked: Option<String>,
}

impl ReplayReport {
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// The `q` quantile (0..=1) of the batch latencies, in ms.
    pub fn latency_ms(&self, q: f64) -> f64 {
        let mut l = self.latencies_ms.clone();
        l.sort_by(f64::total_cmp);
        match l.len() {
            0 => 0.0,
            n => l[((n - 1) as f64 * q).round() as usize],
        }
    }

    pub fn render(&self) -> String {
        let errors: u64 = self.errors.values().sum();
        let mut out = format!(
            "replayed {} events ({:.1} MB) in {} batches in {:.2} s: {:.0} events/s, {:.2} MB/s{}\n\
             CPU {:.2} s ({:.0} % of wall)\n\
             batch latency ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}\n",
            self.events,
            self.bytes as f64 / 1e6,
            self.batches,
            self.elapsed.as_secs_f64(),
            self.events_per_sec(),
            self.mb_per_sec(),
            self.asked
                .as_ref()
                .map(|a| format!(" (asked {a})"))
                .unwrap_or_default(),
            self.cpu.as_secs_f64(),
            100.0 * self.cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(1e-9),
            self.latency_ms(0.5),
            self.latency_ms(0.9),
            self.latency_ms(0.99),
            self.latency_ms(1.0),
        );
        if self.rows > 0 {
            out += &format!("rows made by the pipeline: {}\n", self.rows);
        }
        out += &format!("errors: {errors}");
        for (kind, n) in &self.errors {
            out += &format!("\n  {n} × {kind}");
        }
        out
    }

    pub fn to_json(&self) -> String {
        let errors: serde_json::Map<String, serde_json::Value> = self
            .errors
            .iter()
            .map(|(k, v)| (k.clone(), (*v).into()))
            .collect();
        serde_json::json!({
            "events": self.events,
            "bytes": self.bytes,
            "batches": self.batches,
            "elapsed_secs": self.elapsed.as_secs_f64(),
            "cpu_secs": self.cpu.as_secs_f64(),
            "events_per_sec": self.events_per_sec(),
            "mb_per_sec": self.mb_per_sec(),
            "asked": self.asked,
            "latency_ms": {
                "p50": self.latency_ms(0.5),
                "p90": self.latency_ms(0.9),
                "p99": self.latency_ms(0.99),
                "max": self.latency_ms(1.0),
            },
            "rows": self.rows,
            "errors": errors,
        })
        .to_string()
    }
}

/// The CPU time this process has used (user + system).
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Where a batch goes in the hub.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Partition(String),
    Key(String),
}

/// What a target did with the events handed to it.
#[derive(Default)]
struct Taken {
    /// Events (and their body bytes) it took, in order: a failure leaves the rest untaken.
    events: u64,
    bytes: u64,
    /// Per batch sent (or pipeline pass): how long it took, in ms.
    latencies_ms: Vec<f64>,
    rows: u64,
    error: Option<anyhow::Error>,
}

/// A target takes events bound for one partition (or key), in order.
#[async_trait::async_trait]
trait Target: Send + Sync + 'static {
    async fn take(&self, route: Route, bodies: Vec<Vec<u8>>) -> Taken;
}

/// The hub, through the official producer; each batch is as large as the hub's link allows.
struct HubTarget {
    producer: ProducerClient,
}

impl HubTarget {
    /// Sends `bodies` in as few batches as the hub's limit allows, counting into `taken`.
    async fn send(&self, route: &Route, bodies: Vec<Vec<u8>>, taken: &mut Taken) -> Result<()> {
        let options = || {
            Some(match route {
                Route::Partition(p) => EventDataBatchOptions {
                    partition_id: Some(p.clone()),
                    ..Default::default()
                },
                Route::Key(k) => EventDataBatchOptions {
                    partition_key: Some(k.clone()),
                    ..Default::default()
                },
            })
        };
        let mut batch = self.producer.create_batch(options()).await?;
        let mut in_batch = (0u64, 0u64);
        let mut bodies = bodies.into_iter().peekable();
        while let Some(body) = bodies.peek() {
            let len = body.len() as u64;
            if batch.try_add_event_data(body.clone(), None)? {
                in_batch = (in_batch.0 + 1, in_batch.1 + len);
                bodies.next();
                if bodies.peek().is_some() {
                    continue;
                }
            } else if in_batch.0 == 0 {
                bail!("an event larger than the hub's message size limit");
            }
            let began = Instant::now();
            self.producer.send_batch(batch, None).await?;
            taken.latencies_ms.push(began.elapsed().as_secs_f64() * 1e3);
            taken.events += in_batch.0;
            taken.bytes += in_batch.1;
            in_batch = (0, 0);
            batch = self.producer.create_batch(options()).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Target for HubTarget {
    async fn take(&self, route: Route, bodies: Vec<Vec<u8>>) -> Taken {
        let mut taken = Taken::default();
        taken.error = self.send(&route, bodies, &mut taken).await.err();
        taken
    }
}

/// Decode, normalize and (with routes) route, as `convert` does, on a blocking thread each.
struct PipelineTarget {
    schema: SchemaOptions,
    routes: Vec<TableRoutes>,
    workers: Mutex<Vec<(Decoder, Normalizer, BatchSet)>>,
}

impl PipelineTarget {
    fn process(&self, route: &Route, bodies: &[Vec<u8>]) -> Result<u64> {
        let idle = self.workers.lock().expect("pipeline workers").pop();
        let (mut decoder, mut normalizer, mut set) = idle.unwrap_or_else(|| {
            (
                Decoder::default(),
                Normalizer::new(self.schema),
                BatchSet::new(self.schema),
            )
        });
        let partition = match route {
            Route::Partition(p) => Some(p.as_str()),
            Route::Key(_) => None,
        };
        let mut rejected = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let ctx = MessageContext {
                source: "replay",
                partition,
                sequence: i as i64,
                enqueued: None,
            };
            deadletter::decode_message_into(
                &mut decoder,
                &mut normalizer,
                &mut set,
                Some(body),
                &ctx,
                &mut rejected,
            );
            rejected.clear();
        }
        let batches = set.take_batches();
        let mut rows: u64 = batches.iter().map(|(_, _, b)| b.num_rows() as u64).sum();
        for routes in &self.routes {
            rows += routes
                .route(&batches)?
                .iter()
                .map(|(_, _, b)| b.num_rows() as u64)
                .sum::<u64>();
        }
        normalizer.stats = Default::default();
        self.workers
            .lock()
            .expect("pipeline workers")
            .push((decoder, normalizer, set));
        Ok(rows)
    }
}

struct SharedPipeline(Arc<PipelineTarget>);

#[async_trait::async_trait]
impl Target for SharedPipeline {
    async fn take(&self, route: Route, bodies: Vec<Vec<u8>>) -> Taken {
        let pipeline = self.0.clone();
        let began = Instant::now();
        let (events, bytes) = (
            bodies.len() as u64,
            bodies.iter().map(|b| b.len() as u64).sum(),
        );
        let done = tokio::task::spawn_blocking(move || pipeline.process(&route, &bodies)).await;
        match done.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(rows) => Taken {
                events,
                bytes,
                latencies_ms: vec![began.elapsed().as_secs_f64() * 1e3],
                rows,
                error: None,
            },
            Err(e) => Taken {
                error: Some(e),
                ..Taken::default()
            },
        }
    }
}

/// The event hub to send to: the config's source, or `--endpoint`/`--hub` and the connection
/// string in EVENTHUB_CONNECTION_STRING.
fn hub_config(args: &ReplayArgs, config: Option<&RunConfig>) -> Result<EventHubsConfig> {
    if let Some(c) = config {
        let source = c
            .source
            .as_ref()
            .context("--to hub: the config has no [source.eventhubs]")?;
        return Ok(source.eventhubs.clone());
    }
    let hub = match &args.hub {
        Some(h) => h.clone(),
        None => {
            let text = std::env::var("EVENTHUB_CONNECTION_STRING").context(
                "--to hub needs -c CONFIG, or EVENTHUB_CONNECTION_STRING (with --endpoint for a local hub)",
            )?;
            text.split(';')
                .find_map(|p| p.trim().strip_prefix("EntityPath="))
                .map(str::to_string)
                .context("--hub: EVENTHUB_CONNECTION_STRING has no EntityPath")?
        }
    };
    let toml = format!(
        "hub = {hub:?}\nauth = {{ method = \"connection_string\" }}\n{}",
        args.endpoint
            .as_ref()
            .map(|e| format!("endpoint = {e:?}\n"))
            .unwrap_or_default()
    );
    let cfg: EventHubsConfig = toml::from_str(&toml).context("replay hub options")?;
    debug_assert!(matches!(cfg.auth, AuthConfig::ConnectionString { .. }));
    Ok(cfg)
}

/// Runs `aad-ingest replay` and prints its report.
pub fn run(args: &ReplayArgs) -> Result<()> {
    // A run config: the hub needs its [source]; the pipeline only its destinations.
    let purpose = match args.to.as_str() {
        "hub" => Purpose::Run,
        _ => Purpose::Convert { extra_lake: false },
    };
    let config = match &args.config {
        Some(path) => Some(RunConfig::load_for(path, purpose)?),
        None => None,
    };
    if args.loops == 0 && args.duration.is_none() {
        bail!("--loops 0 (forever) needs --duration");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let source: Box<dyn ReplaySource> = if args.capture {
        let format = crate::source::capture::ArchiveNameFormat::parse(&args.archive_name_format)
            .context("--archive-name-format")?;
        Box::new(CaptureSource::new(
            &args.inputs,
            format,
            runtime.handle().clone(),
        )?)
    } else if args.archive {
        Box::new(ArchiveSource::new(&args.inputs, runtime.handle().clone())?)
    } else {
        Box::new(NdjsonSource::new(args.inputs.clone()))
    };
    let report = runtime.block_on(async {
        let (target, partitions): (Arc<dyn Target>, Vec<String>) = match args.to.as_str() {
            "hub" => {
                let cfg = hub_config(args, config.as_ref())?;
                let producer = crate::source::eventhubs::producer(&cfg).await?;
                let partitions = producer
                    .get_eventhub_properties()
                    .await
                    .context("reading the hub's partitions")?
                    .partition_ids;
                (Arc::new(HubTarget { producer }), partitions)
            }
            _ => {
                let routes = match &config {
                    Some(c) => crate::route::configured(c, None)
                        .iter()
                        .map(TableRoutes::compile)
                        .collect::<Result<Vec<_>>>()?,
                    None => Vec::new(),
                };
                let pipeline = PipelineTarget {
                    schema: SchemaOptions::default(),
                    routes,
                    workers: Mutex::new(Vec::new()),
                };
                let partitions = (0..32).map(|p| p.to_string()).collect();
                (Arc::new(SharedPipeline(Arc::new(pipeline))), partitions)
            }
        };
        replay(source.as_ref(), target, &partitions, args).await
    })?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{}", report.render());
    }
    Ok(())
}

/// Handed to a sender at this many body bytes (the sender splits at the hub's limit).
const HAND_OFF_BYTES: usize = 1 << 20;

/// Counters shared with the senders and the progress line.
#[derive(Default)]
struct Progress {
    events: u64,
    bytes: u64,
    batches: u64,
    rows: u64,
    latencies_ms: Vec<f64>,
    errors: BTreeMap<String, u64>,
}

async fn replay(
    source: &dyn ReplaySource,
    target: Arc<dyn Target>,
    partitions: &[String],
    args: &ReplayArgs,
) -> Result<ReplayReport> {
    let start = Instant::now();
    let cpu_start = cpu_time();
    let stop_at = args.duration.map(Duration::from_secs_f64);
    let progress = Arc::new(Mutex::new(Progress::default()));
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut senders = JoinSet::new();
    let printer = (!args.quiet).then(|| {
        let progress = progress.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let p = progress.lock().expect("progress");
                let secs = start.elapsed().as_secs_f64();
                let errors: u64 = p.errors.values().sum();
                eprint!(
                    "\rreplay: {} events, {:.1} MB, {:.0} events/s, {:.2} MB/s, {errors} errors   ",
                    p.events,
                    p.bytes as f64 / 1e6,
                    p.events as f64 / secs,
                    p.bytes as f64 / 1e6 / secs
                );
            }
        })
    });

    let mut pending: BTreeMap<Route, (Vec<Vec<u8>>, usize)> = BTreeMap::new();
    let hand_off = |route: Route,
                    bodies: Vec<Vec<u8>>,
                    senders: &mut JoinSet<()>,
                    permit: tokio::sync::OwnedSemaphorePermit| {
        let target = target.clone();
        let progress = progress.clone();
        senders.spawn(async move {
            let n = bodies.len() as u64;
            let taken = target.take(route, bodies).await;
            let mut p = progress.lock().expect("progress");
            p.events += taken.events;
            p.bytes += taken.bytes;
            p.batches += taken.latencies_ms.len() as u64;
            p.latencies_ms.extend(taken.latencies_ms);
            p.rows += taken.rows;
            if let Some(e) = taken.error {
                *p.errors.entry(error_kind(&e)).or_default() += n - taken.events;
            }
            drop(permit);
        });
    };

    let mut ordinal: u64 = 0;
    let mut due_bytes: u64 = 0;
    let mut first_time: Option<i64> = None;
    let mut loop_offset = Duration::ZERO;
    let mut last_due = Duration::ZERO;
    let mut read_errors: BTreeMap<String, u64> = BTreeMap::new();
    'loops: for _ in 0..if args.loops == 0 {
        u64::MAX
    } else {
        args.loops
    } {
        let mut any = false;
        for event in source.events()? {
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    *read_errors.entry(error_kind(&e)).or_default() += 1;
                    continue;
                }
            };
            any = true;
            if stop_at.is_some_and(|s| start.elapsed() >= s) {
                break 'loops;
            }
            let due = match args.rate {
                Rate::Max => None,
                Rate::EventsPerSec(r) => Some(Duration::from_secs_f64(ordinal as f64 / r)),
                Rate::MegabytesPerSec(r) => {
                    Some(Duration::from_secs_f64(due_bytes as f64 / (r * 1e6)))
                }
                Rate::Speedup(n) => event.time_nanos.map(|t| {
                    let first = *first_time.get_or_insert(t);
                    let d = Duration::from_nanos((t - first).max(0) as u64).div_f64(n);
                    // Each loop starts after the previous one's last event.
                    (loop_offset + d).max(last_due)
                }),
            };
            if let Some(due) = due {
                last_due = due;
                if due > start.elapsed() {
                    // Nothing more is due now: hand off what waits, then wait.
                    for (route, (bodies, _)) in std::mem::take(&mut pending) {
                        let permit = permits.clone().acquire_owned().await?;
                        hand_off(route, bodies, &mut senders, permit);
                    }
                    // Not past the end of --duration.
                    let until = stop_at.map_or(due, |s| due.min(s));
                    tokio::time::sleep_until((start + until).into()).await;
                    if stop_at.is_some_and(|s| start.elapsed() >= s) {
                        break 'loops;
                    }
                }
            }
            let route = match args.partitioning {
                Partitioning::Original if event.partition.is_some() => {
                    Route::Partition(event.partition.clone().expect("checked"))
                }
                Partitioning::Key => Route::Key(format!("replay-{}", ordinal % args.keys as u64)),
                _ => Route::Partition(partitions[ordinal as usize % partitions.len()].clone()),
            };
            ordinal += 1;
            due_bytes += event.body.len() as u64;
            let entry = pending.entry(route.clone()).or_default();
            entry.1 += event.body.len();
            entry.0.push(event.body);
            if entry.1 >= HAND_OFF_BYTES {
                let (bodies, _) = pending.remove(&route).expect("just added");
                let permit = permits.clone().acquire_owned().await?;
                hand_off(route, bodies, &mut senders, permit);
            }
            while senders.try_join_next().is_some() {}
        }
        if !any {
            break;
        }
        // The next loop replays the same span again, after this one.
        loop_offset = last_due;
        first_time = None;
    }
    for (route, (bodies, _)) in std::mem::take(&mut pending) {
        let permit = permits.clone().acquire_owned().await?;
        hand_off(route, bodies, &mut senders, permit);
    }
    while senders.join_next().await.is_some() {}
    if let Some(p) = printer {
        p.abort();
        eprintln!();
    }
    let mut p = std::mem::take(&mut *progress.lock().expect("progress"));
    for (kind, n) in read_errors {
        *p.errors.entry(kind).or_default() += n;
    }
    Ok(ReplayReport {
        events: p.events,
        bytes: p.bytes,
        batches: p.batches,
        elapsed: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu_start),
        latencies_ms: p.latencies_ms,
        errors: p.errors,
        rows: p.rows,
        asked: (args.rate != Rate::Max).then(|| args.rate.to_string()),
    })
}

/// An error's kind for the report: its message with digits and quoted parts folded, so that
/// errors differing only in a number or a name count together.
fn error_kind(e: &anyhow::Error) -> String {
    let text = format!("{e}");
    let mut out = String::new();
    let mut in_quote = false;
    for c in text.chars() {
        match c {
            '"' | '\'' => {
                in_quote = !in_quote;
                if in_quote {
                    out.push_str("\"…\"");
                }
            }
            _ if in_quote => {}
            d if d.is_ascii_digit() => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            c => out.push(c),
        }
    }
    out.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_their_units() {
        assert_eq!("max".parse(), Ok(Rate::Max));
        assert_eq!("500".parse(), Ok(Rate::EventsPerSec(500.0)));
        assert_eq!("500/s".parse(), Ok(Rate::EventsPerSec(500.0)));
        assert_eq!("2.5MB/s".parse(), Ok(Rate::MegabytesPerSec(2.5)));
        assert_eq!("10x".parse(), Ok(Rate::Speedup(10.0)));
        assert!("0".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
    }

    #[test]
    fn an_envelopes_first_time_is_its_original_time() {
        let body = br#"{"records":[{"time":"2024-05-01T10:00:01Z","category":"SignInLogs"}]}"#;
        let t = original_time(body).unwrap();
        assert_eq!(
            t,
            aad_schemas::time::parse_timestamp("2024-05-01T10:00:01Z").unwrap()
        );
        assert_eq!(original_time(b"{}"), None);
    }

    #[test]
    fn error_kinds_fold_numbers_and_names() {
        let a = error_kind(&anyhow::anyhow!("partition '3' not found after 12 ms"));
        let b = error_kind(&anyhow::anyhow!("partition '7' not found after 9 ms"));
        assert_eq!(a, b);
    }
}
