//! One partition's pipeline. On taking the partition it waits for any earlier pipeline of the
//! same partition to end, fences it (a new epoch, the checkpoint record rewritten: see
//! `checkpoint`), lets every destination recover, and skips events at or below the checkpoint.
//! Then it receives events, decodes and normalizes them into a segment, and commits the segment
//! (ownership check → dead letters → every destination writes its routed rows, named with the
//! epoch, and acks → the checkpoint put on the version this writer last saw → the previous
//! segment's recovery records removed) once it is big enough, old enough, the memory budget asks
//! for it, or the service stops. A refused checkpoint means another writer has the partition:
//! this writer takes back its own epoch's files, and nobody else's. The checkpoint
//! therefore only ever moves over events whose rows every destination holds; a destination that
//! cannot take them holds the checkpoint for all. When a partition is taken, each destination
//! recovers (the lake undoes what was not checkpointed, Log Analytics reports what it had
//! acknowledged) and the rows it already holds are not sent to it again.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aad_schemas::{BatchSet, Decoder, MessageContext, NormalizeStats, Normalizer, SchemaOptions};
use anyhow::{Context, Result};
use azure_core_amqp::message::AmqpMessageBody;
use azure_messaging_eventhubs::models::{Checkpoint, ReceivedEventData};
use azure_messaging_eventhubs::processor::PartitionClient;
use azure_messaging_eventhubs::EventHubsError;
use futures::StreamExt;
use std::sync::Mutex;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};

use crate::checkpoint::{Fence, Fenced, PartitionStore};
use crate::destination::plan::Plan;
use crate::destination::{Committed, SegmentReport, SourcePartition, TableBatch};
use crate::ops::metrics::{self as m, Close, DeadLetterKind, Delivered, Intake};
use crate::sink::deadletter::{self, DeadLetter};
use crate::store::stable_hash;

use super::watchdog::Progress;

/// Events taken from the receiver in one go when more are already waiting.
const RECEIVE_BATCH: usize = 64;

/// Everything a partition pipeline shares with the service.
pub struct Shared {
    pub namespace: String,
    pub hub: String,
    pub consumer_group: String,
    pub owner_id: String,
    /// The destinations, their routes, and where dead letters go.
    pub plan: Plan,
    pub store: Arc<dyn PartitionStore>,
    pub schema: SchemaOptions,
    /// A segment is committed at this many bytes of event bodies ...
    pub roll_bytes: usize,
    /// ... or when its oldest event waited this long ...
    pub roll_age: Duration,
    /// ... or when the partition delivered nothing for this long (`service.roll_idle_secs`).
    pub roll_idle: Option<Duration>,
    /// Memory held in segments across partitions (decoded rows, dead letters), and the bound
    /// on it: past it, a partition commits early.
    pub held: AtomicUsize,
    pub memory_budget: usize,
    pub max_backoff: Duration,
    /// The hub's retention: a checkpoint held back this long loses events.
    pub retention: Duration,
    pub stats: Counters,
    pub rt: Handle,
    /// Set when another process runs under this owner id (see `owner`): then nothing is
    /// released on stop, since the ownerships are that process's too.
    pub another_process: Arc<Mutex<Option<String>>>,
    /// One lock per partition, held by its pipeline for its whole life.
    pub turns: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When the hub was created (ms), as its properties said when the session started.
    pub hub_created: Mutex<Option<i64>>,
    /// Readiness: destinations report each write's outcome here.
    pub health: Arc<crate::ops::health::Health>,
    /// Partitions this process drains now.
    pub owned: AtomicUsize,
    /// Per partition, when its last checkpointed event was enqueued: the lag in seconds.
    pub checkpointed_at: Mutex<std::collections::HashMap<String, std::time::SystemTime>>,
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
    /// Events the hub dropped (retention) before they were read past a checkpoint.
    pub retention_gaps: AtomicU64,
    pub tables: Mutex<NormalizeStats>,
    /// Per destination (in plan order): what it took over the committed segments.
    pub destinations: Mutex<Vec<SegmentReport>>,
    /// Per destination (in plan order): rows not sent again because it already held them.
    pub already_held: Mutex<Vec<u64>>,
}

impl Shared {
    /// Wait until no other pipeline of `partition` runs, and hold that until dropped.
    async fn turn(&self, partition: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = Arc::clone(
            self.turns
                .lock()
                .expect("turns")
                .entry(partition.to_string())
                .or_default(),
        );
        lock.lock_owned().await
    }

    /// `_Source` of every row: the hub, as the SDKs name it.
    pub fn source(&self) -> String {
        format!("sb://{}/{}", self.namespace, self.hub)
    }
    fn source_partition(&self, partition: &str, epoch: u64) -> SourcePartition {
        SourcePartition {
            epoch,
            id: stable_hash(&format!(
                "{}/{}/{}",
                self.source(),
                self.consumer_group.to_lowercase(),
                partition
            )),
            source: self.source(),
            partition: Some(partition.to_string()),
            incarnation: *self.hub_created.lock().unwrap_or_else(|e| e.into_inner()),
        }
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
    /// When Event Hubs enqueued the first event: how old the held checkpoint is.
    first_enqueued: Option<std::time::SystemTime>,
    /// ... and the last one: the checkpoint's time, once committed.
    last_enqueued: Option<std::time::SystemTime>,
    last_offset: Option<String>,
    set: BatchSet,
    dead: Vec<DeadLetter>,
    /// Event body bytes taken (what `roll_mib` counts).
    bytes: usize,
    /// Memory the segment holds (decoded rows and dead letters), counted in `Shared::held`.
    held: usize,
    events: u64,
    records: u64,
    rows: u64,
    started: Instant,
}

struct Pipeline<'a> {
    shared: &'a Shared,
    partition: String,
    source: SourcePartition,
    normalizer: Normalizer,
    segment: Option<Segment>,
    /// The last committed segment's emptied batch set: it starts the next segment's builders
    /// at the sizes the last one reached.
    spare_set: Option<BatchSet>,
    /// What each destination (in plan order) already holds past the checkpoint; `None` until
    /// the partition's first event arrives.
    held: Option<Vec<Committed>>,
    /// Highest sequence number this receiver has handed over, committed or not.
    last_taken: Option<i64>,
    /// The event after the checkpoint, until the first event arrives: a later one means the
    /// hub's retention passed the checkpoint.
    expect_next: Option<i64>,
    /// This writer's epoch and the checkpoint version it last saw.
    fence: Fence,
    intake: Intake,
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

thread_local! {
    /// The decoder of the rayon thread a pipeline decodes on, shared by every partition. Its
    /// parse buffers grow to the largest message and stay: one per pipeline held them once per
    /// partition (heaptrack over 32 partitions: 118 MB of the service's 540 MB peak heap).
    static DECODER: std::cell::RefCell<Decoder> = std::cell::RefCell::new(Decoder::default());
}

/// What the receiver hands to a pipeline.
pub type Received = std::result::Result<ReceivedEventData, EventHubsError>;

/// An event's body, read in place from its AMQP message: one `data` section, as the client's
/// `event_data().body()` defines it. That accessor builds (and keeps, beside the message) an
/// `EventData` holding a copy of the body: one more copy of every byte received, and each
/// waiting event holding its body twice.
fn event_body(event: &ReceivedEventData) -> Option<&[u8]> {
    match &event.raw_amqp_message().body {
        AmqpMessageBody::Binary(sections) if sections.len() == 1 => Some(&sections[0]),
        _ => None,
    }
}

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

/// Fence the partition (see `checkpoint`): retried with backoff while the store fails; `None`
/// when the service stops first.
async fn take_fence(
    shared: &Shared,
    partition: &str,
    stop: &watch::Receiver<bool>,
) -> Option<Fence> {
    let mut backoff = Duration::from_millis(200);
    loop {
        match shared
            .store
            .fence(
                &shared.namespace,
                &shared.hub,
                &shared.consumer_group,
                partition,
                &shared.owner_id,
            )
            .await
        {
            Ok(f) => return Some(f),
            Err(e) => {
                if *stop.borrow() {
                    return None;
                }
                tracing::warn!(partition = %partition, error = %e, retry_in = ?backoff, "fencing the partition failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(shared.max_backoff);
            }
        }
    }
}

/// Drain one partition until the service stops or the partition goes away.
pub async fn drain(
    shared: Arc<Shared>,
    partition: String,
    mut events: mpsc::Receiver<Received>,
    mut stop: watch::Receiver<bool>,
) -> Result<Ended> {
    // One pipeline per partition at a time, across processor restarts: a previous one (its
    // rayon work included) ends before this one fences and recovers.
    let _turn = shared.turn(&partition).await;
    let Some(fence) = take_fence(&shared, &partition, &stop).await else {
        return Ok(Ended::Stopped);
    };
    let mut p = Pipeline {
        shared: &shared,
        source: shared.source_partition(&partition, fence.epoch),
        partition: partition.clone(),
        normalizer: Normalizer::new(shared.schema),
        segment: None,
        spare_set: None,
        held: None,
        // Events at or below the checkpoint are committed: a processor that started from an
        // older checkpoint (read before a previous owner's last commit) delivers them again.
        last_taken: fence.sequence_number,
        expect_next: fence.sequence_number.map(|c| c + 1),
        fence,
        intake: Intake::new(&partition),
    };
    metrics::counter!(m::OWNERSHIP_CLAIMS).increment(1);
    let _owned = Owned::take(&shared.owned);
    tracing::info!(partition = %partition, epoch = p.fence.epoch, checkpoint = ?p.fence.sequence_number, "partition taken");
    // What was written past the checkpoint by writers that never committed it is undone, and
    // each destination says what it already holds.
    let from = p.fence.sequence_number.map_or(i64::MIN, |c| c + 1);
    let held = p.recover(from).await?;
    p.held = Some(held);
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
                p.commit(&stopping, Close::Stop).await?;
                break Ended::Stopped;
            }
            _ = tokio::time::sleep_until(deadline.into()), if p.segment.is_some() => {
                if !p.commit(&stopping, Close::Age).await? {
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
                    // Taken in parts when decoding them reaches the memory budget: the segment
                    // is committed between the parts.
                    let mut rest = p.fresh(batch);
                    let mut lost = false;
                    while !rest.is_empty() {
                        rest = p.take(rest).await?;
                        if let Some(why) = p.roll_reason() {
                            if !p.commit(&stopping, why).await? {
                                lost = true;
                                break;
                            }
                        }
                    }
                    if lost {
                        break p.release("ownership lost".into());
                    }
                    if let Some(e) = failed {
                        break p.release(format!("receive failed: {e}"));
                    }
                }
                Some(Err(e)) => break p.release(format!("receive failed: {e}")),
                None => break p.release("receiver closed".into()),
            },
            // A new timer each time the loop waits, after the receiver in this biased order:
            // it fires only when nothing arrived for the whole idle time, never because the
            // last batch took long to decode.
            _ = tokio::time::sleep(shared.roll_idle.unwrap_or_default()), if p.segment.is_some() && shared.roll_idle.is_some() => {
                if !p.commit(&stopping, Close::Idle).await? {
                    break p.release("ownership lost".into());
                }
            }
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

    /// Decode and normalize received events (already [`Self::fresh`]) into the segment, until
    /// what the segments hold reaches the memory budget; returns the events not taken.
    async fn take(&mut self, mut batch: Vec<ReceivedEventData>) -> Result<Vec<ReceivedEventData>> {
        if batch.is_empty() {
            return Ok(batch);
        }
        let Some(first_seq) = batch[0].sequence_number() else {
            anyhow::bail!(
                "partition {}: event without a sequence number",
                self.partition
            );
        };
        if let Some(expected) = self.expect_next.take() {
            if first_seq > expected {
                tracing::warn!(partition = %self.partition, checkpoint = expected - 1, first_available = first_seq, lost_events = first_seq - expected, "the hub's retention passed the checkpoint: events after it are gone from the hub and were never read");
                self.shared
                    .stats
                    .retention_gaps
                    .fetch_add((first_seq - expected) as u64, Ordering::Relaxed);
            }
        }
        let shared = self.shared;
        let spare_set = &mut self.spare_set;
        let first_enqueued = batch[0].enqueued_time();
        let segment = self.segment.get_or_insert_with(|| Segment {
            first: first_seq,
            last: first_seq,
            first_enqueued,
            last_enqueued: first_enqueued,
            last_offset: None,
            set: spare_set
                .take()
                .unwrap_or_else(|| BatchSet::new(shared.schema)),
            dead: Vec::new(),
            bytes: 0,
            held: 0,
            events: 0,
            records: 0,
            rows: 0,
            started: Instant::now(),
        });
        let normalizer = &mut self.normalizer;
        let (source, partition) = (&self.source.source, &self.partition);
        let mut added = 0;
        // What the other partitions hold; this segment's share is measured as it grows.
        let others = shared
            .held
            .load(Ordering::Relaxed)
            .saturating_sub(segment.held);
        let mut taken = batch.len();
        let records_before = segment.records;
        on_rayon(|| {
            DECODER.with_borrow_mut(|decoder| {
                for (i, event) in batch.iter().enumerate() {
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
                    let body = event_body(event);
                    let o = deadletter::decode_message(
                        decoder,
                        normalizer,
                        &mut segment.set,
                        body,
                        &ctx,
                        &mut segment.dead,
                    );
                    segment.records += o.records;
                    segment.rows += o.rows;
                    added += body.map_or(0, <[u8]>::len);
                    segment.last = seq;
                    segment.last_offset = event.offset().clone();
                    segment.last_enqueued = event.enqueued_time();
                    segment.events += 1;
                    // Measuring costs a pass over the builders: after a large body, or every 32.
                    let large = body.is_some_and(|b| b.len() >= 64 << 10);
                    if (large || i % 32 == 31)
                        && others + segment.set.size() >= shared.memory_budget
                    {
                        taken = i + 1;
                        break;
                    }
                }
            })
        });
        let rest = batch.split_off(taken);
        segment.bytes += added;
        self.intake.events.increment(taken as u64);
        self.intake.bytes.increment(added as u64);
        self.intake
            .records
            .increment(segment.records - records_before);
        // What the segment holds is its decoded rows, not the bodies (which are gone): a small
        // body of many tiny records decodes to many times its size.
        let holds = segment.set.size()
            + segment
                .dead
                .iter()
                .map(|d| d.rejected.raw.len())
                .sum::<usize>();
        let shared_held = &self.shared.held;
        if holds >= segment.held {
            shared_held.fetch_add(holds - segment.held, Ordering::Relaxed);
        } else {
            shared_held.fetch_sub(segment.held - holds, Ordering::Relaxed);
        }
        segment.held = holds;
        Ok(rest)
    }

    /// Why the segment is to be committed now, if it is: at `roll_mib` of events, or when the
    /// segments together hold the memory budget, or this one half of it (encoding it takes
    /// about as much again).
    fn roll_reason(&self) -> Option<Close> {
        let s = self.segment.as_ref()?;
        if s.bytes >= self.shared.roll_bytes {
            Some(Close::Size)
        } else if s.held >= self.shared.memory_budget / 2
            || self.shared.held.load(Ordering::Relaxed) >= self.shared.memory_budget
        {
            Some(Close::Memory)
        } else {
            None
        }
    }

    /// Give up the segment without committing it: whoever owns the partition next reads it
    /// again from the checkpoint.
    fn release(&mut self, why: String) -> Ended {
        if let Some(s) = self.segment.take() {
            self.shared.held.fetch_sub(s.held, Ordering::Relaxed);
            tracing::info!(partition = %self.partition, events = s.events, first = s.first, last = s.last, reason = %why, "partition released; uncommitted events will be read again");
        } else {
            tracing::info!(partition = %self.partition, reason = %why, "partition released");
        }
        Ended::Released(why)
    }

    /// Every destination recovers from `first` (the first event to be read again) and
    /// reports what it already holds, retrying with backoff while storage fails.
    async fn recover(&self, first: i64) -> Result<Vec<Committed>> {
        let shared = self.shared;
        let removed = crate::sink::inflight::remove_uncommitted_dead_letters(
            &shared.plan.dead_letters,
            self.source.id,
            first,
        )
        .await
        .with_context(|| format!("recovering partition {}'s dead letters", self.partition))?;
        if removed > 0 {
            tracing::info!(partition = %self.partition, files = removed, from_sequence = first, "removed dead letters of an uncommitted segment before reading it again");
        }
        let mut held = Vec::with_capacity(shared.plan.destinations.len());
        for d in &shared.plan.destinations {
            let c = on_rayon(|| d.destination.recover(&self.source, first)).with_context(|| {
                format!(
                    "recovering partition {} at destination {}",
                    self.partition,
                    d.destination.name()
                )
            })?;
            if !c.is_empty() {
                tracing::info!(partition = %self.partition, destination = d.destination.name(), ranges = c.len(), from_sequence = first, "rows this destination already holds will not be sent again");
            }
            held.push(c);
        }
        Ok(held)
    }

    /// Make the segment durable at every destination and checkpoint it, retrying with backoff
    /// while a destination or storage fails. Receiving waits meanwhile, which is how a slow
    /// destination slows the source. `false` when the partition turned out to belong to
    /// another replica.
    async fn commit(&mut self, stop: &watch::Receiver<bool>, why: Close) -> Result<bool> {
        let Some(mut segment) = self.segment.take() else {
            return Ok(true);
        };
        metrics::counter!(m::SEGMENTS_CLOSED, "reason" => why.label()).increment(1);
        let shared = self.shared;
        // The segment's rows stay in memory until the commit ends: counted until then.
        let _held = Held(&shared.held, segment.held);
        let began = Instant::now();
        let normalized = std::mem::take(&mut self.normalizer.stats);
        let batches = on_rayon(|| segment.set.take_batches());
        self.spare_set = Some(std::mem::replace(
            &mut segment.set,
            BatchSet::new(shared.schema),
        ));
        let mut progress = CommitProgress {
            dead_letters_stored: false,
            acked: vec![None; shared.plan.destinations.len()],
        };
        let mut backoff = Duration::from_millis(200);
        let mut warned_retention = false;
        loop {
            let mut fence = self.fence.clone();
            match self
                .try_commit(&segment, &batches, &mut progress, &mut fence)
                .await
            {
                Ok(()) => {
                    self.fence = fence;
                    // The checkpoint covers the segment, and every later writer skips events
                    // at or below it: its recovery records can go. Best effort: what is left
                    // behind is dropped at the next recovery.
                    for d in &shared.plan.destinations {
                        if let Err(e) =
                            on_rayon(|| d.destination.finish(&self.source, segment.first))
                        {
                            tracing::debug!(destination = d.destination.name(), error = %format!("{e:#}"), "removing a committed segment's recovery records");
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
                    let mut files = 0;
                    {
                        let mut per = c.destinations.lock().expect("counters");
                        per.resize_with(shared.plan.destinations.len(), Default::default);
                        for ((total, report), d) in per
                            .iter_mut()
                            .zip(progress.acked)
                            .zip(&shared.plan.destinations)
                        {
                            let (mut report, delivered) = report.expect("every destination acked");
                            let name = d.destination.name();
                            delivered.record(name);
                            m::committed(name, began.elapsed(), report.rows);
                            m::dead_letters(DeadLetterKind::Refused, report.dead_letters);
                            files += report.files.len() as u64;
                            // Counts only: the list of files is not kept for the whole run.
                            report.files.clear();
                            total.merge(report);
                        }
                    }
                    c.files.fetch_add(files, Ordering::Relaxed);
                    c.tables.lock().expect("counters").merge(&normalized);
                    m::normalized(&normalized);
                    for d in &segment.dead {
                        m::dead_letters(DeadLetterKind::of(&d.rejected.reason), 1);
                    }
                    metrics::gauge!(m::CHECKPOINT, "partition" => self.partition.clone())
                        .set(segment.last as f64);
                    if let Some(t) = segment.last_enqueued {
                        shared
                            .checkpointed_at
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(self.partition.clone(), t);
                    }
                    tracing::debug!(partition = %self.partition, first = segment.first, last = segment.last, rows = segment.rows, reason = why.label(), "segment committed");
                    return Ok(true);
                }
                Err(CommitError::Lost) => {
                    metrics::counter!(m::OWNERSHIP_LOSSES).increment(1);
                    tracing::warn!(partition = %self.partition, first = segment.first, last = segment.last, "partition was taken by another replica while committing; the segment was undone");
                    return Ok(false);
                }
                Err(CommitError::Failed(e)) => {
                    m::error("commit");
                    // A stopping service does not wait forever: the events stay after the
                    // checkpoint and are read again at the next start.
                    if *stop.borrow() && backoff >= shared.max_backoff {
                        // Read again at the next start, by whichever owner: what this writer
                        // stored of the segment goes now rather than waiting for its recovery.
                        if let Err(u) = self.undo(&segment) {
                            tracing::warn!(partition = %self.partition, error = %format!("{u:#}"), "undoing a segment given up while stopping failed; the next owner's recovery removes it");
                        }
                        return Err(e.context("giving up on a segment while stopping"));
                    }
                    let held_for = segment
                        .first_enqueued
                        .and_then(|t| t.elapsed().ok())
                        .unwrap_or_default();
                    tracing::warn!(partition = %self.partition, error = %format!("{e:#}"), from_sequence = segment.first, held_secs = held_for.as_secs(), retry_in = ?backoff, "committing a segment failed; the checkpoint is held for every destination until it succeeds");
                    if !warned_retention && held_for >= shared.retention.mul_f64(0.8) {
                        warned_retention = true;
                        tracing::error!(partition = %self.partition, held_secs = held_for.as_secs(), retention_secs = shared.retention.as_secs(), "the held checkpoint approaches the hub's retention: events older than the retention will be lost if no destination recovers");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(shared.max_backoff);
                    // What a failed destination did take is recorded: ask it again, so that a
                    // retry sends only the rest.
                    for (i, d) in shared.plan.destinations.iter().enumerate() {
                        if progress.acked[i].is_none() {
                            if let Some(held) = self.held.as_mut() {
                                match on_rayon(|| {
                                    d.destination.recover(&self.source, segment.first)
                                }) {
                                    Ok(c) => held[i] = c,
                                    Err(e) => {
                                        tracing::debug!(destination = d.destination.name(), error = %format!("{e:#}"), "recovering before a retry")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Take back what this writer wrote of a segment it will not checkpoint (its own epoch's
    /// files only).
    fn undo(&self, segment: &Segment) -> Result<()> {
        for d in &self.shared.plan.destinations {
            on_rayon(|| {
                d.destination
                    .undo(&self.source, segment.first, segment.last)
            })?;
        }
        // The segment's dead letters are the pipeline's, whatever the destinations are.
        on_rayon(|| {
            self.shared
                .rt
                .block_on(crate::sink::inflight::remove_dead_letters(
                    &self.shared.plan.dead_letters,
                    self.source.id,
                    segment.first,
                    self.source.epoch,
                ))
        })
    }

    /// One attempt: dead letters, then every destination that has not acked yet, then the
    /// ownership check and the checkpoint. Each step is idempotent, so a retry may go again.
    async fn try_commit(
        &self,
        segment: &Segment,
        batches: &[TableBatch],
        progress: &mut CommitProgress,
        fence_slot: &mut Fence,
    ) -> Result<(), CommitError> {
        let shared = self.shared;
        let plan = &shared.plan;
        // Not ours any more: write nothing (the fence below stops a writer that passes this
        // check and loses the partition afterwards).
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
            // An earlier attempt may have written to some destinations.
            self.undo(segment)?;
            return Err(CommitError::Lost);
        }
        if !progress.dead_letters_stored && !segment.dead.is_empty() {
            on_rayon(|| {
                deadletter::store(
                    &plan.dead_letters,
                    &shared.rt,
                    &crate::sink::inflight::deadletter_name(
                        self.source.id,
                        segment.first,
                        self.source.epoch,
                    ),
                    &self.source.source,
                    &segment.dead,
                )
            })?;
        }
        progress.dead_letters_stored = true;
        let held = self.held.as_deref().unwrap_or_default();
        let mut failed = None;
        for (i, d) in plan.destinations.iter().enumerate() {
            if progress.acked[i].is_some() {
                continue;
            }
            let outcome = on_rayon(|| -> Result<(SegmentReport, Delivered)> {
                let mut delivered = Delivered::default();
                delivered.offered(
                    batches
                        .iter()
                        .filter(|(t, _, _)| d.routes.get(*t).is_some()),
                );
                let mut routed = d.routes.route(batches)?;
                delivered.filtered(&routed);
                if let Some(h) = held.get(i).filter(|h| !h.is_empty()) {
                    let before: usize = routed.iter().map(|(_, _, b)| b.num_rows()).sum();
                    routed = routed
                        .into_iter()
                        .filter_map(|b| h.remove_held(b))
                        .collect();
                    let after: usize = routed.iter().map(|(_, _, b)| b.num_rows()).sum();
                    let mut counts = shared.stats.already_held.lock().expect("counters");
                    counts.resize(plan.destinations.len(), 0);
                    counts[i] += (before - after) as u64;
                }
                delivered.sent(&routed);
                let mut writer = d.destination.open(&self.source, segment.first)?;
                if !routed.is_empty() {
                    writer.write(routed)?;
                }
                Ok((writer.close(segment.last)?, delivered))
            });
            match outcome {
                Ok(acked) => {
                    shared.health.destination(i, Ok(()));
                    progress.acked[i] = Some(acked);
                }
                Err(e) => {
                    m::error("destination");
                    let e = e.context(format!("destination {}", d.destination.name()));
                    shared.health.destination(i, Err(format!("{e:#}")));
                    tracing::warn!(partition = %self.partition, destination = d.destination.name(), error = %format!("{e:#}"), "a destination did not take the segment");
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(CommitError::Failed(e));
        }
        // Only this writer's fence may move the checkpoint: if another writer wrote it since,
        // the partition is not ours, and what this segment wrote is taken back.
        let checkpoint = Checkpoint {
            fully_qualified_namespace: shared.namespace.clone(),
            event_hub_name: shared.hub.clone(),
            consumer_group: shared.consumer_group.clone(),
            partition_id: self.partition.clone(),
            offset: segment.last_offset.clone(),
            sequence_number: Some(segment.last),
        };
        let mut fence = self.fence.clone();
        match shared
            .store
            .checkpoint_fenced(&mut fence, &checkpoint, &shared.owner_id)
            .await
        {
            Ok(()) => {}
            Err(Fenced::Lost) => {
                self.undo(segment)?;
                return Err(CommitError::Lost);
            }
            Err(Fenced::Store(e)) => return Err(CommitError::Failed(anyhow::anyhow!("{e}"))),
        }
        *fence_slot = fence;
        Ok(())
    }
}

/// Counts a partition as owned while its pipeline runs.
struct Owned<'a>(&'a AtomicUsize);

impl<'a> Owned<'a> {
    fn take(owned: &'a AtomicUsize) -> Owned<'a> {
        owned.fetch_add(1, Ordering::Relaxed);
        Owned(owned)
    }
}

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Takes a committing segment's share out of the service's held memory when dropped.
struct Held<'a>(&'a AtomicUsize, usize);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, Ordering::Relaxed);
    }
}

/// Which steps of a segment's commit are done, across retries.
struct CommitProgress {
    dead_letters_stored: bool,
    /// Per destination (in plan order), its ack and what routing sent it.
    acked: Vec<Option<(SegmentReport, Delivered)>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core_amqp::{AmqpMessage, AmqpValue};

    fn received(body: AmqpMessageBody) -> ReceivedEventData {
        AmqpMessage::builder().with_body(body).build().into()
    }

    /// `event_body` reads what the client's `event_data().body()` would, without its copy.
    #[test]
    fn an_events_body_is_its_only_data_section_as_the_client_defines_it() {
        let cases = [
            (
                AmqpMessageBody::Binary(vec![b"{\"records\":[]}".to_vec()]),
                Some(&b"{\"records\":[]}"[..]),
            ),
            (AmqpMessageBody::Binary(vec![Vec::new()]), Some(&b""[..])),
            // Two data sections, a value or no body: the client gives no body, so neither do we
            // (the event becomes a dead letter, "event has no data body").
            (
                AmqpMessageBody::Binary(vec![b"a".to_vec(), b"b".to_vec()]),
                None,
            ),
            (
                AmqpMessageBody::Value(AmqpValue::String("text".into())),
                None,
            ),
            (AmqpMessageBody::Empty, None),
        ];
        for (body, want) in cases {
            let event = received(body.clone());
            assert_eq!(event_body(&event), want, "{body:?}");
            assert_eq!(event_body(&event), event.event_data().body(), "{body:?}");
        }
    }
}
