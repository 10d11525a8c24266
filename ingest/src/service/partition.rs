//! One partition's pipeline: receive events, decode and normalize them into a segment, and
//! commit the segment (in-flight marker → Parquet files and dead letters → ownership check →
//! checkpoint → the previous segment's marker removed) once it is big enough, old enough, the
//! memory budget asks for it, or the service stops. The checkpoint therefore only ever moves
//! over events whose rows are durable, and a segment that was not checkpointed is undone when
//! its events are read again (see [`inflight`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aad_schemas::{
    BatchSet, Catalogue, Decoder, MessageContext, NormalizeStats, Normalizer, Rejected,
    SchemaOptions, TableId,
};
use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use azure_messaging_eventhubs::models::{Checkpoint, ReceivedEventData};
use azure_messaging_eventhubs::processor::PartitionClient;
use azure_messaging_eventhubs::EventHubsError;
use futures::StreamExt;
use std::sync::Mutex;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};

use crate::checkpoint::PartitionStore;
use crate::sink::deadletter::{self, DeadLetter};
use crate::sink::inflight::{self, Marker};
use crate::sink::parquet::{partition_dir, LakeOptions, LakeWriter};
use crate::store::{stable_hash, Location};

use super::watchdog::Progress;

/// Events taken from the receiver in one go when more are already waiting.
const RECEIVE_BATCH: usize = 64;

/// Everything a partition pipeline shares with the service.
pub struct Shared {
    pub namespace: String,
    pub hub: String,
    pub consumer_group: String,
    pub owner_id: String,
    pub lake: Location,
    pub store: Arc<dyn PartitionStore>,
    pub schema: SchemaOptions,
    pub lake_options: LakeOptions,
    /// A segment is committed at this many bytes of event bodies ...
    pub roll_bytes: usize,
    /// ... or when its oldest event waited this long.
    pub roll_age: Duration,
    /// Event bytes held in segments across partitions, and the bound on them.
    pub held: AtomicUsize,
    pub memory_budget: usize,
    pub max_backoff: Duration,
    pub stats: Counters,
    pub rt: Handle,
}

/// Running totals for the service's progress lines and its final report.
#[derive(Default)]
pub struct Counters {
    pub events: AtomicU64,
    pub bytes: AtomicU64,
    pub records: AtomicU64,
    pub rows: AtomicU64,
    pub dead_letters: AtomicU64,
    pub segments: AtomicU64,
    pub files: AtomicU64,
    pub undone_files: AtomicU64,
    /// Events the client delivered again after recovering its link (see [`Pipeline::fresh`]).
    pub redelivered: AtomicU64,
    pub tables: Mutex<NormalizeStats>,
}

impl Shared {
    /// `_Source` of every row: the hub, as the SDKs name it.
    pub fn source(&self) -> String {
        format!("sb://{}/{}", self.namespace, self.hub)
    }
    fn source_id(&self, partition: &str) -> u64 {
        stable_hash(&format!(
            "{}/{}/{}",
            self.source(),
            self.consumer_group.to_lowercase(),
            partition
        ))
    }
}

/// How a partition pipeline ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The service is stopping; everything received was committed.
    Stopped,
    /// The receiver closed or failed (the partition went to another replica, or the link
    /// dropped); what was not committed will be read again by whoever owns it next.
    Released(String),
}

/// A run of events of one partition on its way to the lake.
struct Segment {
    first: i64,
    last: i64,
    last_offset: Option<String>,
    set: BatchSet,
    dead: Vec<DeadLetter>,
    bytes: usize,
    events: u64,
    records: u64,
    rows: u64,
    started: Instant,
}

struct Pipeline<'a> {
    shared: &'a Shared,
    partition: String,
    source: String,
    source_id: u64,
    decoder: Decoder,
    normalizer: Normalizer,
    segment: Option<Segment>,
    /// The last committed segment's emptied batch set: it starts the next segment's builders
    /// at the sizes the last one reached.
    spare_set: Option<BatchSet>,
    recovered: bool,
    /// First sequence number of the last committed segment, whose marker is kept (see
    /// [`inflight`]) until the next segment commits.
    committed_marker: Option<i64>,
    /// Highest sequence number this receiver has handed over, committed or not.
    last_taken: Option<i64>,
}

/// Run CPU work on the rayon pool, from a tokio worker that steps aside meanwhile. The work
/// then allocates on rayon's fixed threads, not on whichever of tokio's growing set of blocking
/// threads `block_in_place` left it on: each thread the allocator serves keeps freed memory of
/// its own, and spreading 8 partitions' segments over many threads multiplied peak RSS.
fn on_rayon<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    tokio::task::block_in_place(|| {
        let mut out = None;
        rayon::scope(|_| out = Some(work()));
        out.expect("the scope ran the work")
    })
}

/// What the receiver hands to a pipeline.
pub type Received = std::result::Result<ReceivedEventData, EventHubsError>;

/// Move a partition's events from the client's stream (which is not `Send`, so it lives on the
/// service's local task set) to its pipeline, which runs on the worker threads. Ends when the
/// stream ends or the pipeline is gone, and then closes the receiver so that the processor can
/// hand the partition out again. `progress` tells the [`watchdog`](super::watchdog) when it
/// waits on the client.
pub async fn pump(
    client: Arc<PartitionClient>,
    to: mpsc::Sender<Received>,
    progress: Arc<Progress>,
) {
    let partition = client.get_partition_id().to_string();
    {
        let mut events = client.stream_events();
        loop {
            progress.waiting();
            let next = tokio::select! {
                next = events.next() => next,
                _ = to.closed() => break,
            };
            let Some(item) = next else { break };
            progress.delivered(item.as_ref().ok().and_then(|e| e.sequence_number()));
            if to.send(item).await.is_err() {
                break;
            }
        }
    }
    progress.ended();
    drop(to);
    // The processor keeps only a weak reference: this is the last one. A receiver stuck in
    // the client (see the watchdog) may not close either; the session goes on without it.
    if let Ok(client) = Arc::try_unwrap(client) {
        match tokio::time::timeout(CLOSE_TIMEOUT, client.close()).await {
            Ok(Err(e)) => {
                tracing::debug!(partition = %partition, error = %e, "closing the receiver")
            }
            Err(_) => tracing::debug!(partition = %partition, "closing the receiver timed out"),
            Ok(Ok(())) => {}
        }
    }
}

/// Bound on closing one receiver.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Drain one partition until the service stops or the partition goes away.
pub async fn drain(
    shared: Arc<Shared>,
    partition: String,
    mut events: mpsc::Receiver<Received>,
    mut stop: watch::Receiver<bool>,
) -> Result<Ended> {
    let mut p = Pipeline {
        shared: &shared,
        source: shared.source(),
        source_id: shared.source_id(&partition),
        partition: partition.clone(),
        decoder: Decoder::default(),
        normalizer: Normalizer::new(shared.schema),
        segment: None,
        spare_set: None,
        recovered: false,
        committed_marker: None,
        last_taken: None,
    };
    tracing::info!(partition = %partition, "partition taken");
    // Commits look at this copy (to stop retrying when the service stops) while the loop waits
    // on the original.
    let stopping = stop.clone();
    let ended = loop {
        let deadline = p
            .segment
            .as_ref()
            .map(|s| s.started + shared.roll_age)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            biased;
            _ = stop.changed() => {
                p.commit(&stopping).await?;
                break Ended::Stopped;
            }
            _ = tokio::time::sleep_until(deadline.into()), if p.segment.is_some() => {
                if !p.commit(&stopping).await? {
                    break p.release("ownership lost".into());
                }
            }
            next = events.recv() => match next {
                Some(Ok(first)) => {
                    let mut batch = vec![first];
                    let mut failed = None;
                    while batch.len() < RECEIVE_BATCH {
                        match events.try_recv() {
                            Ok(Ok(e)) => batch.push(e),
                            Ok(Err(e)) => { failed = Some(e); break; }
                            Err(_) => break,
                        }
                    }
                    p.take(batch).await?;
                    if let Some(e) = failed {
                        break p.release(format!("receive failed: {e}"));
                    }
                    if p.should_commit() && !p.commit(&stopping).await? {
                        break p.release("ownership lost".into());
                    }
                }
                Some(Err(e)) => break p.release(format!("receive failed: {e}")),
                None => break p.release("receiver closed".into()),
            },
        }
    };
    Ok(ended)
}

impl Pipeline<'_> {
    /// Drop the events this receiver already delivered. The client re-attaches a dropped link
    /// with the start filter the receiver was first opened with (azure_messaging_eventhubs
    /// 0.16, `RecoverableConnection::ensure_receiver`), so after it recovers a link by itself
    /// it delivers the partition again from that position; taking those events again would
    /// write their rows twice. Sequence numbers rise within a partition, so everything at or
    /// below the highest one taken is a repeat.
    fn fresh(&mut self, mut batch: Vec<ReceivedEventData>) -> Vec<ReceivedEventData> {
        let before = batch.len();
        if let Some(last) = self.last_taken {
            batch.retain(|e| e.sequence_number().is_none_or(|s| s > last));
        }
        let repeats = before - batch.len();
        if repeats > 0 {
            tracing::info!(partition = %self.partition, events = repeats, after = ?self.last_taken, "skipped events the client delivered again after recovering its link");
            self.shared
                .stats
                .redelivered
                .fetch_add(repeats as u64, Ordering::Relaxed);
        }
        if let Some(last) = batch.iter().filter_map(|e| e.sequence_number()).max() {
            self.last_taken = Some(last);
        }
        batch
    }

    /// Decode and normalize received events into the segment.
    async fn take(&mut self, batch: Vec<ReceivedEventData>) -> Result<()> {
        let batch = self.fresh(batch);
        if batch.is_empty() {
            return Ok(());
        }
        let Some(first_seq) = batch[0].sequence_number() else {
            anyhow::bail!(
                "partition {}: event without a sequence number",
                self.partition
            );
        };
        if !self.recovered {
            let undone = inflight::recover(&self.shared.lake, self.source_id, first_seq)
                .await
                .with_context(|| format!("recovering partition {}", self.partition))?;
            if undone > 0 {
                tracing::info!(partition = %self.partition, files = undone, from_sequence = first_seq, "removed rows of an uncommitted segment before reading it again");
                self.shared
                    .stats
                    .undone_files
                    .fetch_add(undone, Ordering::Relaxed);
            }
            self.recovered = true;
        }
        let shared = self.shared;
        let spare_set = &mut self.spare_set;
        let segment = self.segment.get_or_insert_with(|| Segment {
            first: first_seq,
            last: first_seq,
            last_offset: None,
            set: spare_set
                .take()
                .unwrap_or_else(|| BatchSet::new(shared.schema)),
            dead: Vec::new(),
            bytes: 0,
            events: 0,
            records: 0,
            rows: 0,
            started: Instant::now(),
        });
        let (decoder, normalizer) = (&mut self.decoder, &mut self.normalizer);
        let (source, partition) = (&self.source, &self.partition);
        let mut added = 0;
        on_rayon(|| {
            let mut rejected: Vec<Rejected> = Vec::new();
            for event in &batch {
                let seq = event.sequence_number().unwrap_or(segment.last);
                let enqueued = event.enqueued_time().and_then(|t| {
                    t.duration_since(std::time::UNIX_EPOCH)
                        .ok()
                        .map(|d| d.as_nanos() as i64)
                });
                let ctx = MessageContext {
                    source,
                    partition: Some(partition),
                    sequence: seq,
                    enqueued,
                };
                match event.event_data().body() {
                    Some(body) => {
                        let o = decoder.message(
                            body,
                            &ctx,
                            normalizer,
                            &mut segment.set,
                            &mut rejected,
                        );
                        segment.records += o.records;
                        segment.rows += o.rows;
                        added += body.len();
                    }
                    None => rejected.push(Rejected {
                        reason: "event has no data body".into(),
                        record_index: None,
                        raw: Vec::new(),
                    }),
                }
                segment.dead.extend(rejected.drain(..).map(|r| DeadLetter {
                    sequence: seq,
                    partition: Some(partition.clone()),
                    rejected: r,
                }));
                segment.last = seq;
                segment.last_offset = event.offset().clone();
                segment.events += 1;
            }
        });
        segment.bytes += added;
        self.shared.held.fetch_add(added, Ordering::Relaxed);
        Ok(())
    }

    fn should_commit(&self) -> bool {
        self.segment.as_ref().is_some_and(|s| {
            s.bytes >= self.shared.roll_bytes
                || self.shared.held.load(Ordering::Relaxed) >= self.shared.memory_budget
        })
    }

    /// Give up the segment without committing it: whoever owns the partition next reads it
    /// again from the checkpoint.
    fn release(&mut self, why: String) -> Ended {
        if let Some(s) = self.segment.take() {
            self.shared.held.fetch_sub(s.bytes, Ordering::Relaxed);
            tracing::info!(partition = %self.partition, events = s.events, first = s.first, last = s.last, reason = %why, "partition released; uncommitted events will be read again");
        } else {
            tracing::info!(partition = %self.partition, reason = %why, "partition released");
        }
        Ended::Released(why)
    }

    /// Make the segment durable and checkpoint it, retrying with backoff while storage fails.
    /// Receiving waits meanwhile, which is how a slow sink slows the source. `false` when the
    /// partition turned out to belong to another replica.
    async fn commit(&mut self, stop: &watch::Receiver<bool>) -> Result<bool> {
        let Some(mut segment) = self.segment.take() else {
            return Ok(true);
        };
        let shared = self.shared;
        shared.held.fetch_sub(segment.bytes, Ordering::Relaxed);
        let normalized = std::mem::take(&mut self.normalizer.stats);
        let batches = on_rayon(|| segment.set.take_batches());
        self.spare_set = Some(std::mem::replace(
            &mut segment.set,
            BatchSet::new(shared.schema),
        ));
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.try_commit(&segment, &batches).await {
                Ok(files) => {
                    if let Some(previous) = self.committed_marker.replace(segment.first) {
                        // Best effort: a marker left behind is dropped at the next recovery.
                        if let Err(e) =
                            inflight::finish(&shared.lake, self.source_id, previous).await
                        {
                            tracing::debug!(error = %format!("{e:#}"), "removing a committed segment's marker");
                        }
                    }
                    let c = &shared.stats;
                    c.events.fetch_add(segment.events, Ordering::Relaxed);
                    c.bytes.fetch_add(segment.bytes as u64, Ordering::Relaxed);
                    c.records.fetch_add(segment.records, Ordering::Relaxed);
                    c.rows.fetch_add(segment.rows, Ordering::Relaxed);
                    c.dead_letters
                        .fetch_add(segment.dead.len() as u64, Ordering::Relaxed);
                    c.segments.fetch_add(1, Ordering::Relaxed);
                    c.files.fetch_add(files, Ordering::Relaxed);
                    c.tables.lock().expect("counters").merge(&normalized);
                    tracing::debug!(partition = %self.partition, first = segment.first, last = segment.last, rows = segment.rows, "segment committed");
                    return Ok(true);
                }
                Err(CommitError::Lost) => {
                    tracing::warn!(partition = %self.partition, first = segment.first, last = segment.last, "partition was taken by another replica while committing; the segment was undone");
                    return Ok(false);
                }
                Err(CommitError::Failed(e)) => {
                    // A stopping service does not wait forever: the events stay after the
                    // checkpoint and are read again at the next start.
                    if *stop.borrow() && backoff >= shared.max_backoff {
                        return Err(e.context("giving up on a segment while stopping"));
                    }
                    tracing::warn!(partition = %self.partition, error = %format!("{e:#}"), retry_in = ?backoff, "committing a segment failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(shared.max_backoff);
                }
            }
        }
    }

    /// One attempt: every step is idempotent (same names), so a retry may start over.
    async fn try_commit(
        &self,
        segment: &Segment,
        batches: &[(TableId, i64, RecordBatch)],
    ) -> Result<u64, CommitError> {
        let shared = self.shared;
        let lake = &shared.lake;
        let catalogue = Catalogue::get();
        let mut dirs: Vec<String> = batches
            .iter()
            .map(|(t, h, _)| partition_dir(catalogue.table(*t).name, *h))
            .collect();
        dirs.sort();
        dirs.dedup();
        let marker = Marker {
            first: segment.first,
            last: segment.last,
            dirs,
        };
        inflight::begin(lake, self.source_id, &marker).await?;
        let files = on_rayon(|| -> Result<u64> {
            let mut writer =
                LakeWriter::new(lake.clone(), shared.rt.clone(), shared.lake_options.clone())?;
            writer.write(self.source_id, batches.to_vec())?;
            writer.close_all()?;
            if !segment.dead.is_empty() {
                deadletter::store(
                    lake,
                    &shared.rt,
                    &inflight::deadletter_name(self.source_id, segment.first),
                    &self.source,
                    &segment.dead,
                )?;
            }
            Ok(writer.written.len() as u64)
        })?;
        // Only the owner may move the checkpoint: if the partition changed hands while the
        // files were written, they are undone and the new owner reads the events again.
        let owner = shared
            .store
            .owner(
                &shared.namespace,
                &shared.hub,
                &shared.consumer_group,
                &self.partition,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if owner.as_deref() != Some(shared.owner_id.as_str()) {
            inflight::undo(lake, self.source_id, &marker).await?;
            inflight::finish(lake, self.source_id, marker.first).await?;
            return Err(CommitError::Lost);
        }
        shared
            .store
            .update_checkpoint(Checkpoint {
                fully_qualified_namespace: shared.namespace.clone(),
                event_hub_name: shared.hub.clone(),
                consumer_group: shared.consumer_group.clone(),
                partition_id: self.partition.clone(),
                offset: segment.last_offset.clone(),
                sequence_number: Some(segment.last),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(files)
    }
}

/// Why a commit did not happen.
#[derive(Debug)]
enum CommitError {
    /// Another replica owns the partition now.
    Lost,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for CommitError {
    fn from(e: anyhow::Error) -> Self {
        CommitError::Failed(e)
    }
}
