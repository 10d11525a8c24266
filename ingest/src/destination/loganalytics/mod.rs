//! The Azure Monitor Logs Ingestion API as a destination: rows of the tables routed here go,
//! as JSON, to `POST {endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`.
//!
//! - [`encode`]: rows → JSON objects (keys from `aad_schemas::loganalytics::stream_columns`)
//!   and bodies of at most `max_request_bytes` (≤ 1,000,000) bytes, gzip-compressed.
//! - [`request`]: one body's delivery: token, headers, answer classification and retry policy.
//! - [`acks`]: durable records of acknowledged bodies, which recovery reports as held.
//!
//! **Value policy.** Log Analytics truncates field values over 64 KB; we do it ourselves,
//! predictably and counted: a `string`/`guid` value over 65,536 bytes of UTF-8 is cut at the
//! last character boundary at or below 65,536 bytes; a `dynamic` value whose JSON text is over
//! 65,536 bytes is sent as a JSON *string* holding the first ≤ 65,536 bytes of that text (cut
//! on a character boundary), since a cut JSON document is no longer JSON. Each counts in
//! `truncated_values`; the lake keeps the full value. Nulls (and non-finite reals) are left out
//! of the row object. A row whose JSON is still over `max_request_bytes − 2` is never sent: it
//! goes to the dead letter with its size and the limit, and is acked as handled.
//!
//! **Delivery.** Each body is one task on the runtime; at most `max_concurrency` requests are in
//! flight and about twice as many bodies wait, beyond which [`SegmentWriter::write`] blocks (the
//! backpressure). See [`request`] for how each answer is treated. A body the service refuses as
//! a payload fault is split in half until the faulty row stands alone; that row goes to the
//! dead letter `_deadletter/<name>/<source id:016x>-<first:012>.ndjson` (with the status, error
//! code, message and client request id) and is acked as handled.
//!
//! **Acks.** A body's rows are acknowledged once the service answered 2xx and its ack record
//! is durable (see [`acks`]); [`SegmentWriter::close`] returns the segment's report once every
//! body is acknowledged or dead-lettered, and an error otherwise. The rows of an unacknowledged
//! body are then sent again when the pipeline retries the segment — Log Analytics does not
//! deduplicate, so delivery is at least once — but acknowledged bodies are not: recovery
//! reports them as held. Log Analytics cannot take rows back, so `undo` keeps the records and
//! the next owner of the partition skips those rows too.

pub mod acks;
pub mod encode;
pub mod request;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aad_schemas::{Catalogue, Rejected, TableId};
use anyhow::{anyhow, Context, Result};
use azure_core::credentials::TokenCredential;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::acks::AckRecord;
use self::encode::{column_keys, Body, ColumnKey, Packer, Pushed, RowEncoder};
use self::request::{deliver, Delivery, Payload};
use super::{
    position_columns, Committed, Destination, Position, SegmentReport, SegmentWriter,
    SourcePartition, TableBatch,
};
use crate::sink::deadletter::{self, DeadLetter};
use crate::store::Location;

/// The Logs Ingestion API's hard limit on one call, compressed or not.
pub const MAX_REQUEST_BYTES: usize = 1_000_000;

/// Where a table's rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTarget {
    pub dcr_immutable_id: String,
    pub stream: String,
    /// Rows go out as ASIM rows of this mapping (the stream has the ASIM table's columns).
    pub asim: Option<&'static aad_schemas::asim::Mapping>,
}

/// How to reach Log Analytics and how hard to try.
pub struct LogAnalyticsOptions {
    /// The `[[destination]]` name.
    pub name: String,
    /// The DCE or DCR logs-ingestion endpoint (https, or http on loopback).
    pub endpoint: url::Url,
    pub credential: Arc<dyn TokenCredential>,
    /// `https://monitor.azure.com//.default`.
    pub scope: String,
    pub streams: HashMap<TableId, StreamTarget>,
    /// Requests in flight at once (at least 1).
    pub max_concurrency: usize,
    /// Largest body, uncompressed (clamped to ≤ 1,000,000).
    pub max_request_bytes: usize,
    pub request_timeout: Duration,
    pub max_backoff: Duration,
    /// Persistent auth (401/403) or configuration (wrong DCR/stream/schema) failure: give up
    /// after this long (`convert`) or, when `None`, keep retrying slowly until cancelled (`run`).
    pub give_up_after: Option<Duration>,
    /// Dead letters go to `_deadletter/<name>/<source id:016x>-<first:012>.ndjson` here.
    pub dead_letters: Location,
    /// Ack records live here (`_acks/<name>/…`).
    pub state: Location,
    pub rt: Handle,
    /// The service stops: stop retrying; `close` returns an error.
    pub cancel: CancellationToken,
}

/// Counters of one destination, over its lifetime.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests_2xx: AtomicU64,
    pub requests_4xx: AtomicU64,
    pub requests_5xx: AtomicU64,
    /// Answers with another status (1xx, 3xx).
    pub requests_other: AtomicU64,
    /// Attempts without an HTTP answer: timeouts, connection errors, no token.
    pub requests_failed: AtomicU64,
    /// Attempts after a body's first.
    pub retries: AtomicU64,
    /// 429 / 503 answers waited out.
    pub throttled: AtomicU64,
    /// Bodies split in half after a payload fault.
    pub splits: AtomicU64,
    /// Rows acknowledged by the service.
    pub rows_sent: AtomicU64,
    /// JSON bytes of acknowledged bodies, before compression.
    pub bytes_sent: AtomicU64,
    /// Bytes of acknowledged bodies as sent (gzipped).
    pub bytes_gzipped: AtomicU64,
    /// Values cut to 64 KB.
    pub truncated_values: AtomicU64,
    /// Rows sent to the dead letter (too big, or refused alone).
    pub dead_letters: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogAnalyticsStats {
    pub requests_2xx: u64,
    pub requests_4xx: u64,
    pub requests_5xx: u64,
    pub requests_other: u64,
    pub requests_failed: u64,
    pub retries: u64,
    pub throttled: u64,
    pub splits: u64,
    pub rows_sent: u64,
    pub bytes_sent: u64,
    pub bytes_gzipped: u64,
    pub truncated_values: u64,
    pub dead_letters: u64,
}

impl Counters {
    pub fn snapshot(&self) -> LogAnalyticsStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LogAnalyticsStats {
            requests_2xx: get(&self.requests_2xx),
            requests_4xx: get(&self.requests_4xx),
            requests_5xx: get(&self.requests_5xx),
            requests_other: get(&self.requests_other),
            requests_failed: get(&self.requests_failed),
            retries: get(&self.retries),
            throttled: get(&self.throttled),
            splits: get(&self.splits),
            rows_sent: get(&self.rows_sent),
            bytes_sent: get(&self.bytes_sent),
            bytes_gzipped: get(&self.bytes_gzipped),
            truncated_values: get(&self.truncated_values),
            dead_letters: get(&self.dead_letters),
        }
    }

    /// Count one attempt by its status (0: no HTTP answer).
    fn count_status(&self, status: u16) {
        let c = match status {
            0 => &self.requests_failed,
            200..=299 => &self.requests_2xx,
            400..=499 => &self.requests_4xx,
            500..=599 => &self.requests_5xx,
            _ => &self.requests_other,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// One table's stream: its URL and the keys of its columns.
struct Route {
    url: url::Url,
    stream: String,
    dcr: String,
    keys: Vec<ColumnKey>,
    asim: Option<&'static aad_schemas::asim::Mapping>,
}

/// What the delivery tasks share.
struct Shared {
    name: String,
    scope: String,
    credential: Arc<dyn TokenCredential>,
    /// `None` when the client could not be built (`open` then fails with `client_error`).
    client: Option<reqwest::Client>,
    max_backoff: Duration,
    give_up_after: Option<Duration>,
    max_request_bytes: usize,
    in_flight: Semaphore,
    stats: Arc<Counters>,
    state: Location,
    /// No request before this instant (a 429 / 503 asked for a pause).
    throttle: Mutex<Option<Instant>>,
    /// Since when every answer was 401 / 403 (reset by a 2xx).
    auth_since: Mutex<Option<Instant>>,
    /// When each kind of message was last logged.
    logged: Mutex<HashMap<String, Instant>>,
    /// The last request's failure while it is retried (`None` after an ack): readiness.
    failing: Mutex<Option<String>>,
}

impl Shared {
    fn throttled_until(&self) -> Option<Instant> {
        let until = *self.throttle.lock().unwrap();
        until.filter(|u| *u > Instant::now())
    }

    fn throttle_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut t = self.throttle.lock().unwrap();
        if t.is_none_or(|t| t < until) {
            *t = Some(until);
        }
    }

    fn auth_failing_since(&self) -> Instant {
        *self
            .auth_since
            .lock()
            .unwrap()
            .get_or_insert_with(Instant::now)
    }

    fn auth_ok(&self) {
        *self.auth_since.lock().unwrap() = None;
    }

    /// True at most once per `every` for `key`.
    fn log_allowed(&self, key: &str, every: Duration) -> bool {
        let now = Instant::now();
        let mut logged = self.logged.lock().unwrap();
        match logged.get(key) {
            Some(at) if now.duration_since(*at) < every => false,
            _ => {
                logged.insert(key.to_string(), now);
                true
            }
        }
    }
}

/// The Logs Ingestion API destination.
pub struct LogAnalyticsDestination {
    shared: Arc<Shared>,
    client_error: Option<String>,
    routes: HashMap<TableId, Arc<Route>>,
    /// Bodies queued or in flight: `max_concurrency` sending and about twice as many waiting.
    queue: Arc<Semaphore>,
    dead_letters: Location,
    rt: Handle,
    cancel: CancellationToken,
    /// The ack records each closed segment wrote (and adopted), by (source id, first event),
    /// deleted when the segment is finished.
    segments: Mutex<HashMap<(u64, i64), Vec<Path>>>,
    /// Records found by `recover`, per source id, until a segment covering them closes.
    recovered: Mutex<HashMap<u64, Vec<(AckRecord, Path)>>>,
}

impl LogAnalyticsDestination {
    pub fn new(opts: LogAnalyticsOptions) -> Self {
        let max_concurrency = opts.max_concurrency.max(1);
        let max_request_bytes = opts.max_request_bytes.clamp(16, MAX_REQUEST_BYTES);
        let catalogue = Catalogue::get();
        let routes = opts
            .streams
            .iter()
            .map(|(&table, target)| {
                let columns = match target.asim {
                    Some(m) => aad_schemas::asim::stream_columns(m.schema),
                    None => aad_schemas::loganalytics::stream_columns(catalogue.table(table)),
                };
                let route = Route {
                    url: stream_url(&opts.endpoint, &target.dcr_immutable_id, &target.stream),
                    stream: target.stream.clone(),
                    dcr: target.dcr_immutable_id.clone(),
                    keys: column_keys(&columns),
                    asim: target.asim,
                };
                (table, Arc::new(route))
            })
            .collect();
        let (client, client_error) = match reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .connect_timeout(opts.request_timeout.min(Duration::from_secs(30)))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("aad-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(format!("{e}"))),
        };
        LogAnalyticsDestination {
            shared: Arc::new(Shared {
                name: opts.name,
                scope: opts.scope,
                credential: opts.credential,
                client,
                max_backoff: opts.max_backoff,
                give_up_after: opts.give_up_after,
                max_request_bytes,
                in_flight: Semaphore::new(max_concurrency),
                stats: Arc::default(),
                state: opts.state,
                throttle: Mutex::new(None),
                auth_since: Mutex::new(None),
                logged: Mutex::new(HashMap::new()),
                failing: Mutex::new(None),
            }),
            client_error,
            routes,
            queue: Arc::new(Semaphore::new(3 * max_concurrency)),
            dead_letters: opts.dead_letters,
            rt: opts.rt,
            cancel: opts.cancel,
            segments: Mutex::new(HashMap::new()),
            recovered: Mutex::new(HashMap::new()),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> LogAnalyticsStats {
        self.shared.stats.snapshot()
    }

    /// The live counters, to keep before the destination is boxed.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.shared.stats)
    }
}

/// `{endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`.
fn stream_url(endpoint: &url::Url, dcr: &str, stream: &str) -> url::Url {
    let mut url = endpoint.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty()
            .extend(["dataCollectionRules", dcr, "streams", stream]);
    }
    url.set_query(Some("api-version=2023-01-01"));
    url
}

impl Destination for LogAnalyticsDestination {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn trouble(&self) -> Option<String> {
        self.shared.failing.lock().unwrap().clone()
    }

    /// A token for the API's audience (the identity works) and the ack records' store. A
    /// request would need rows: the Logs Ingestion API has no empty call that proves the DCR.
    fn probe(&self) -> Result<()> {
        if let Some(e) = &self.client_error {
            anyhow::bail!("{e}");
        }
        let shared = &self.shared;
        self.rt
            .block_on(shared.credential.get_token(&[shared.scope.as_str()], None))
            .map_err(|e| anyhow::anyhow!("no token for {}: {e}", shared.scope))?;
        self.rt.block_on(crate::store::probe(&shared.state))
    }

    fn recover(&self, source: &SourcePartition, first_received: i64) -> Result<Committed> {
        let held = self
            .rt
            .block_on(acks::recover(
                &self.shared.state,
                &self.shared.name,
                source.id,
                first_received,
            ))
            .with_context(|| format!("{}: reading ack records", self.shared.name))?;
        let committed = acks::committed(&held);
        if !held.is_empty() {
            tracing::info!(destination = %self.shared.name, source = %source.source, partition = ?source.partition, requests = held.len(), from_sequence = first_received, "rows Log Analytics already acknowledged will not be sent again");
        }
        self.recovered.lock().unwrap().insert(source.id, held);
        Ok(committed)
    }

    fn open(&self, source: &SourcePartition, first: i64) -> Result<Box<dyn SegmentWriter + '_>> {
        if let Some(e) = &self.client_error {
            anyhow::bail!("{}: cannot build the HTTP client: {e}", self.shared.name);
        }
        Ok(Box::new(LogAnalyticsSegment {
            dest: self,
            source: source.clone(),
            first,
            cancel: self.cancel.child_token(),
            failure: Arc::new(Mutex::new(None)),
            tasks: Vec::new(),
            done: BodyResult::default(),
            truncated: 0,
        }))
    }

    fn undo(&self, source: &SourcePartition, first: i64, _last: i64) -> Result<()> {
        // Rows in Log Analytics stay there; so do their records, for the next owner.
        self.segments.lock().unwrap().remove(&(source.id, first));
        Ok(())
    }

    fn finish(&self, source: &SourcePartition, first: i64) -> Result<()> {
        let Some(mut paths) = self.segments.lock().unwrap().remove(&(source.id, first)) else {
            return Ok(());
        };
        paths.sort();
        paths.dedup();
        let state = &self.shared.state;
        let failed = self.rt.block_on(async {
            let mut failed = 0;
            for p in &paths {
                if let Err(e) = acks::delete(state, p).await {
                    failed += 1;
                    tracing::debug!(error = %e, "ack record not deleted");
                }
            }
            failed
        });
        if failed > 0 {
            tracing::warn!(destination = %self.shared.name, records = failed, "ack records of a checkpointed segment could not be deleted; the next recovery removes them");
        }
        Ok(())
    }
}

/// A row that will not be sent.
#[derive(Debug)]
struct DeadRow {
    table: TableId,
    hour: i64,
    position: Position,
    json: Vec<u8>,
    reason: String,
}

/// What the delivery of one body (and its halves) came to.
#[derive(Debug, Default)]
struct BodyResult {
    rows: u64,
    requests: u64,
    bytes: u64,
    ack_paths: Vec<Path>,
    dead: Vec<DeadRow>,
    /// Not every row was acknowledged: why.
    error: Option<anyhow::Error>,
}

impl BodyResult {
    fn merge(&mut self, other: BodyResult) {
        self.rows += other.rows;
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.ack_paths.extend(other.ack_paths);
        self.dead.extend(other.dead);
        if self.error.is_none() {
            self.error = other.error;
        }
    }
}

/// One segment on its way to Log Analytics.
struct LogAnalyticsSegment<'a> {
    dest: &'a LogAnalyticsDestination,
    source: SourcePartition,
    first: i64,
    /// Cancelled with the service, or when a body of this segment failed for good.
    cancel: CancellationToken,
    /// The failure that stopped the segment.
    failure: Arc<Mutex<Option<String>>>,
    tasks: Vec<JoinHandle<BodyResult>>,
    /// Results of finished tasks, and the rows dead-lettered before sending.
    done: BodyResult,
    truncated: u64,
}

impl LogAnalyticsSegment<'_> {
    /// Fail fast once the segment cannot succeed.
    fn check(&self) -> Result<()> {
        if let Some(f) = self.failure.lock().unwrap().as_ref() {
            return Err(anyhow!("{f}"));
        }
        if self.dest.cancel.is_cancelled() {
            return Err(anyhow!("stopping"));
        }
        Ok(())
    }

    /// Collect the results of finished tasks.
    fn reap(&mut self) {
        let (finished, running): (Vec<_>, Vec<_>) =
            self.tasks.drain(..).partition(|t| t.is_finished());
        self.tasks = running;
        for t in finished {
            let r = self.dest.rt.block_on(t).unwrap_or_else(panicked);
            self.done.merge(r);
        }
    }

    /// Queue a body: blocks while the destination has enough bodies queued.
    fn submit(&mut self, route: &Arc<Route>, body: Body) -> Result<()> {
        let shared = &self.dest.shared;
        let payload = Payload::of(&body, shared.max_request_bytes);
        let queue = Arc::clone(&self.dest.queue);
        let cancel = self.cancel.clone();
        let permit = self.dest.rt.block_on(async {
            tokio::select! {
                p = queue.acquire_owned() => Some(p.expect("never closed")),
                _ = cancel.cancelled() => None,
            }
        });
        let Some(permit) = permit else {
            self.check()?;
            return Err(anyhow!("stopping"));
        };
        let task = send_body(
            Arc::clone(shared),
            Arc::clone(route),
            body,
            payload,
            Task {
                permit,
                cancel,
                failure: Arc::clone(&self.failure),
                source_id: self.source.id,
            },
        );
        self.tasks.push(self.dest.rt.spawn(task));
        Ok(())
    }

    /// Store the refused rows and then their ack records; returns the records' paths.
    fn store_dead_letters(&self, dead: &[DeadRow]) -> Result<Vec<Path>> {
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        let dest = self.dest;
        let name = format!(
            "{}/{:016x}-{:012}",
            dest.shared.name, self.source.id, self.first
        );
        let letters: Vec<DeadLetter> = dead
            .iter()
            .map(|d| DeadLetter {
                sequence: d.position.sequence,
                partition: self.source.partition.clone(),
                rejected: Rejected {
                    reason: d.reason.clone(),
                    record_index: u32::try_from(d.position.record_index).ok(),
                    raw: d.json.clone(),
                },
            })
            .collect();
        // A retried segment adds to the letters of an earlier attempt (whose rows it skipped).
        let path = dest
            .dead_letters
            .child(&format!("_deadletter/{name}.ndjson"));
        let existing = match dest.rt.block_on(dest.dead_letters.store.get(&path)) {
            Ok(got) => dest.rt.block_on(got.bytes())?.to_vec(),
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {path}")),
        };
        if existing.is_empty() {
            deadletter::store(
                &dest.dead_letters,
                &dest.rt,
                &name,
                &self.source.source,
                &letters,
            )?;
        } else {
            let known = letter_positions(&existing);
            let new: Vec<DeadLetter> = letters
                .into_iter()
                .filter(|l| !known.contains(&(l.sequence, l.rejected.record_index)))
                .collect();
            let mut body = existing;
            body.extend(deadletter::render(&self.source.source, &new));
            dest.rt
                .block_on(dest.dead_letters.store.put(&path, PutPayload::from(body)))
                .with_context(|| format!("writing {path}"))?;
        }
        let state = &dest.shared.state;
        let paths: Vec<Path> = dead
            .iter()
            .map(|d| {
                let record = AckRecord {
                    table: d.table,
                    hour: d.hour,
                    first: d.position,
                    last: d.position,
                };
                acks::path(state, &dest.shared.name, self.source.id, &record)
            })
            .collect();
        dest.rt.block_on(async {
            for p in &paths {
                acks::write(state, p).await?;
            }
            anyhow::Ok(())
        })?;
        Ok(paths)
    }
}

/// (sequence, record index) of each line of a dead-letter file.
fn letter_positions(ndjson: &[u8]) -> HashSet<(i64, Option<u32>)> {
    ndjson
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .filter_map(|v| {
            let seq = v.get("sequence")?.as_i64()?;
            let idx = v
                .get("record_index")
                .and_then(|i| i.as_u64())
                .and_then(|i| u32::try_from(i).ok());
            Some((seq, idx))
        })
        .collect()
}

fn panicked(e: tokio::task::JoinError) -> BodyResult {
    BodyResult {
        error: Some(anyhow!("a Log Analytics delivery task failed: {e}")),
        ..Default::default()
    }
}

impl SegmentWriter for LogAnalyticsSegment<'_> {
    fn write(&mut self, batches: Vec<TableBatch>) -> Result<()> {
        self.check()?;
        self.reap();
        let max = self.dest.shared.max_request_bytes;
        for (table, hour, batch) in batches {
            let Some(route) = self.dest.routes.get(&table).cloned() else {
                tracing::debug!(destination = %self.dest.shared.name, table = Catalogue::get().table(table).name, "no stream for this table here; skipped");
                continue;
            };
            if batch.num_rows() == 0 {
                continue;
            }
            // An ASIM route sends the same rows, positions included, as ASIM rows.
            let batch = match route.asim {
                None => batch,
                Some(m) => aad_schemas::asim::normalize(m, &batch).with_context(|| {
                    format!("{}: ASIM rows of {}", self.dest.shared.name, m.source_table)
                })?,
            };
            let encoder = RowEncoder::new(&route.keys, &batch).with_context(|| {
                format!(
                    "{}: encoding {} for stream {}",
                    self.dest.shared.name,
                    Catalogue::get().table(table).name,
                    route.stream
                )
            })?;
            let (seq, idx) = position_columns(&batch);
            let mut packer = Packer::new(table, hour, max);
            for row in 0..batch.num_rows() {
                let position = Position {
                    sequence: seq.value(row),
                    record_index: idx.value(row),
                };
                let mut truncated = 0;
                match packer.push(position, |out| truncated = encoder.encode(row, out)) {
                    Pushed::Added => {}
                    Pushed::Flushed(body) => self.submit(&route, body)?,
                    Pushed::Oversize(json) => {
                        // A body's ack record covers its whole range: end it before the
                        // dead-lettered row, so that no record covers that row but its own.
                        if let Some(body) = packer.take() {
                            self.submit(&route, body)?;
                        }
                        tracing::warn!(destination = %self.dest.shared.name, stream = %route.stream, sequence = position.sequence, record_index = position.record_index, bytes = json.len(), "row too big for one request; dead-lettered");
                        self.done.dead.push(DeadRow {
                            table,
                            hour,
                            position,
                            reason: format!(
                                "row is {} bytes of JSON, over the {} bytes one request can hold ({} bytes with the array brackets)",
                                json.len(),
                                max - 2,
                                max
                            ),
                            json,
                        });
                    }
                }
                if truncated > 0 {
                    self.truncated += truncated;
                    self.dest
                        .shared
                        .stats
                        .truncated_values
                        .fetch_add(truncated, Ordering::Relaxed);
                }
            }
            if let Some(body) = packer.finish() {
                self.submit(&route, body)?;
            }
        }
        Ok(())
    }

    fn close(mut self: Box<Self>, last: i64) -> Result<SegmentReport> {
        let dest = self.dest;
        let tasks = std::mem::take(&mut self.tasks);
        let results = dest.rt.block_on(futures::future::join_all(tasks));
        for r in results {
            self.done.merge(r.unwrap_or_else(panicked));
        }
        let mut done = std::mem::take(&mut self.done);
        let stats = &dest.shared.stats;
        // The refused rows are handled once their letters are stored, whatever else failed.
        let mut dead_error = None;
        match self.store_dead_letters(&done.dead) {
            Ok(paths) => {
                stats
                    .dead_letters
                    .fetch_add(done.dead.len() as u64, Ordering::Relaxed);
                done.ack_paths.extend(paths);
            }
            Err(e) => {
                dead_error = Some(e.context(format!(
                    "{}: storing {} dead letters",
                    dest.shared.name,
                    done.dead.len()
                )))
            }
        }
        // Records found at recovery that this segment covers go with it.
        let adopted: Vec<Path> = {
            let mut recovered = dest.recovered.lock().unwrap();
            match recovered.get_mut(&self.source.id) {
                Some(list) => {
                    let (mine, rest): (Vec<_>, Vec<_>) =
                        std::mem::take(list).into_iter().partition(|(r, _)| {
                            r.first.sequence >= self.first && r.last.sequence <= last
                        });
                    *list = rest;
                    mine.into_iter().map(|(_, p)| p).collect()
                }
                None => Vec::new(),
            }
        };
        dest.segments
            .lock()
            .unwrap()
            .entry((self.source.id, self.first))
            .or_default()
            .extend(done.ack_paths.drain(..).chain(adopted));

        if let Some(error) = done.error.take() {
            if dest.cancel.is_cancelled() {
                return Err(anyhow!("stopping"));
            }
            let failure = self.failure.lock().unwrap().clone();
            return Err(match failure {
                Some(f) => anyhow!("{f}"),
                None => error,
            });
        }
        if let Some(e) = dead_error {
            return Err(e);
        }
        Ok(SegmentReport {
            rows: done.rows,
            requests: done.requests,
            dead_letters: done.dead.len() as u64,
            truncated_values: self.truncated,
            bytes: done.bytes,
            ..Default::default()
        })
    }
}

impl Drop for LogAnalyticsSegment<'_> {
    fn drop(&mut self) {
        // A segment dropped without `close`: its bodies stop (their rows stay unacked).
        if !self.tasks.is_empty() {
            self.cancel.cancel();
        }
    }
}

/// What a delivery task needs besides the body.
struct Task {
    /// Its place in the queue, released when the task ends.
    permit: OwnedSemaphorePermit,
    cancel: CancellationToken,
    failure: Arc<Mutex<Option<String>>>,
    source_id: u64,
}

/// Deliver one body, splitting it on payload faults, and record what was acknowledged.
async fn send_body(
    shared: Arc<Shared>,
    route: Arc<Route>,
    body: Body,
    payload: Payload,
    task: Task,
) -> BodyResult {
    let mut result = BodyResult::default();
    let mut pending = vec![(body, Some(payload))];
    while let Some((body, payload)) = pending.pop() {
        let payload = payload.unwrap_or_else(|| Payload::of(&body, shared.max_request_bytes));
        match deliver(&shared, &route, &body, &payload, &task.cancel).await {
            Delivery::Acked => {
                let stats = &shared.stats;
                stats
                    .rows_sent
                    .fetch_add(body.rows() as u64, Ordering::Relaxed);
                stats
                    .bytes_sent
                    .fetch_add(payload.json_len as u64, Ordering::Relaxed);
                stats
                    .bytes_gzipped
                    .fetch_add(payload.bytes.len() as u64, Ordering::Relaxed);
                let record = AckRecord {
                    table: body.table,
                    hour: body.hour,
                    first: body.first(),
                    last: body.last(),
                };
                let path = acks::path(&shared.state, &shared.name, task.source_id, &record);
                if let Err(e) = write_ack(&shared, &path).await {
                    result.error = Some(e.context(format!(
                        "{}: {} rows were delivered but their ack record was not written; they will be sent again",
                        shared.name,
                        body.rows()
                    )));
                    break;
                }
                result.rows += body.rows() as u64;
                result.requests += 1;
                result.bytes += payload.json_len as u64;
                result.ack_paths.push(path);
            }
            Delivery::Refused(refusal) => {
                if body.rows() >= 2 {
                    shared.stats.splits.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(destination = %shared.name, stream = %route.stream, status = refusal.status, error_code = refusal.code.as_deref().unwrap_or("-"), client_request_id = %refusal.request_id, rows = body.rows(), "request refused; splitting it");
                    let (left, right) = body.split();
                    pending.push((right, None));
                    pending.push((left, None));
                } else {
                    let position = body.first();
                    tracing::warn!(destination = %shared.name, stream = %route.stream, status = refusal.status, error_code = refusal.code.as_deref().unwrap_or("-"), client_request_id = %refusal.request_id, error = %refusal.message, sequence = position.sequence, record_index = position.record_index, "Log Analytics refused a row; dead-lettered");
                    result.dead.push(DeadRow {
                        table: body.table,
                        hour: body.hour,
                        position,
                        json: body.row(0).to_vec(),
                        reason: format!("Log Analytics refused the row: {refusal}"),
                    });
                }
            }
            Delivery::Failed(e) => {
                let mut failure = task.failure.lock().unwrap();
                if failure.is_none() {
                    *failure = Some(format!("{e:#}"));
                }
                drop(failure);
                // The segment cannot succeed: stop its other bodies.
                task.cancel.cancel();
                result.error = Some(e);
                break;
            }
            Delivery::Stopped => {
                result.error = Some(anyhow!("stopping"));
                break;
            }
        }
    }
    drop(task.permit);
    result
}

/// Write an ack record, retrying a store that fails for a moment.
async fn write_ack(shared: &Shared, path: &Path) -> Result<()> {
    let mut backoff = request::Backoff::new(Duration::from_secs(5));
    let mut attempt = 0;
    loop {
        match acks::write(&shared.state, path).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt >= 4 => return Err(e),
            Err(e) => {
                tracing::debug!(error = %e, "ack record not written; retrying");
                attempt += 1;
                tokio::time::sleep(backoff.next_wait()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
