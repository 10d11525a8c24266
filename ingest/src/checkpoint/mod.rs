//! Partition ownership and checkpoints, in the layout every Azure SDK's event processor shares:
//! one empty record per partition under `{namespace}/{hub}/{consumer group}/ownership/{id}` (its
//! owner in `ownerid`) and `…/checkpoint/{id}` (`offset`, `sequencenumber`), with the namespace,
//! hub and consumer group lower-cased as Python, .NET and Go do (the Rust SDK's own helpers do
//! not lower-case, so their names would not meet the other SDKs'). A team can therefore move a
//! consumer group between aad-ingest and the other processors without losing its place.
//!
//! Both stores implement the Event Hubs client's [`CheckpointStore`]; a claim lost to another
//! replica (the record changed, or was created, since it was read) leaves that partition out of
//! the answer instead of failing, because an error stops the client's `EventProcessor`.
//!
//! **Fencing.** Ownership alone does not stop a writer that lost its partition while it was
//! committing (a pause, a slow store, object_store's own retries) from moving the checkpoint
//! after the new owner read it. So a writer that takes a partition first [`fences`](PartitionStore::fence)
//! it: it raises the partition's epoch (`…/aad-ingest-epoch/{id}`, written with If-Match) and
//! rewrites the checkpoint record with If-Match (same position, plus `aadingestepoch` and
//! `aadingestowner`), which changes its version. Every later checkpoint is a put on the version
//! that writer last saw; any other writer's put since (a stale owner, a new owner, a hand reset)
//! makes it fail as [`Fenced::Lost`], never an overwrite. The extra metadata and records leave
//! the blobs as the Python, .NET and Go processors and KEDA read them (`sequencenumber`,
//! `offset` unchanged; other records live beside `ownership/` and `checkpoint/`).
//!
//! A partition that was never checkpointed has no record to rewrite; its first checkpoint is
//! written (create-only) right after re-asserting the epoch record with If-Match. A newer writer
//! that fences between those two requests is the one window left: it then loses its first
//! checkpoint to the older writer's and takes the partition again.

pub mod blob;
pub mod local;

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use azure_core::http::Etag;
use azure_core::time::OffsetDateTime;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership};
use azure_messaging_eventhubs::CheckpointStore;

use crate::store;

/// Metadata keys, lower-case as the Python, .NET and Go stores write and read them.
pub const OWNER_ID: &str = "ownerid";
pub const OFFSET: &str = "offset";
pub const SEQUENCE_NUMBER: &str = "sequencenumber";
/// Ours: the epoch and owner of the writer that wrote a checkpoint or an epoch record.
pub const EPOCH: &str = "aadingestepoch";
pub const EPOCH_OWNER: &str = "aadingestowner";

/// The directory of epoch records, beside `ownership/` and `checkpoint/`.
const EPOCH_DIR: &str = "aad-ingest-epoch";

/// A writer's hold on one partition: its epoch, the checkpoint when it took the partition, and
/// the version of the checkpoint record it last wrote or read (`None`: there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub epoch: u64,
    pub sequence_number: Option<i64>,
    pub offset: Option<String>,
    pub(crate) version: Option<String>,
    /// The epoch record's version: a partition's first checkpoint (there is no record to
    /// fence) is written only after re-asserting it.
    pub(crate) epoch_version: Option<String>,
}

/// Why a fenced checkpoint was not written.
#[derive(Debug)]
pub enum Fenced {
    /// Another writer wrote the checkpoint since this one last did: the partition is not ours.
    Lost,
    Store(azure_core::Error),
}

impl std::fmt::Display for Fenced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fenced::Lost => write!(f, "the checkpoint was written by another writer"),
            Fenced::Store(e) => write!(f, "{e}"),
        }
    }
}

/// `{namespace}/{hub}/{consumer group}/aad-ingest-epoch/{partition}`.
pub fn epoch_name(namespace: &str, hub: &str, consumer_group: &str, partition: &str) -> String {
    format!(
        "{}{EPOCH_DIR}/{partition}",
        hub_prefix(namespace, hub, consumer_group)
    )
}

/// `…/checkpoint/{partition}`.
pub fn checkpoint_path(
    namespace: &str,
    hub: &str,
    consumer_group: &str,
    partition: &str,
) -> String {
    kind_prefix(namespace, hub, consumer_group, Kind::Checkpoint) + partition
}

/// How many times a fence is retried when another writer changes a record between our read
/// and our conditional write.
pub(crate) const FENCE_ATTEMPTS: usize = 20;

/// `{namespace}/{hub}/{consumer group}/` lower-cased: the partition id keeps its case.
pub fn hub_prefix(namespace: &str, hub: &str, consumer_group: &str) -> String {
    format!(
        "{}/{}/{}/",
        namespace.to_lowercase(),
        hub.to_lowercase(),
        consumer_group.to_lowercase()
    )
}

/// The two kinds of record a consumer group has, one of each per partition.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Ownership,
    Checkpoint,
}

/// `{namespace}/{hub}/{consumer group}/ownership/` or `…/checkpoint/`.
pub fn kind_prefix(namespace: &str, hub: &str, consumer_group: &str, kind: Kind) -> String {
    let dir = match kind {
        Kind::Ownership => "ownership",
        Kind::Checkpoint => "checkpoint",
    };
    format!("{}{dir}/", hub_prefix(namespace, hub, consumer_group))
}

pub fn ownership_name(o: &Ownership) -> String {
    kind_prefix(
        &o.fully_qualified_namespace,
        &o.event_hub_name,
        &o.consumer_group,
        Kind::Ownership,
    ) + &o.partition_id
}

pub fn checkpoint_name(c: &Checkpoint) -> String {
    kind_prefix(
        &c.fully_qualified_namespace,
        &c.event_hub_name,
        &c.consumer_group,
        Kind::Checkpoint,
    ) + &c.partition_id
}

/// One record as a store read it: the partition it names, its metadata, version and time.
pub(crate) struct Record {
    pub partition: String,
    pub metadata: Vec<(String, String)>,
    pub etag: Option<String>,
    pub modified: OffsetDateTime,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&str> {
        metadata_value(&self.metadata, key)
    }
}

/// A metadata value; an empty one counts as absent (.NET writes "" placeholders, and a
/// released ownership has an empty owner).
pub(crate) fn metadata_value<'a>(metadata: &'a [(String, String)], key: &str) -> Option<&'a str> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The checkpoints among `records`; one with neither an offset nor a sequence number names no
/// position and is left out.
pub(crate) fn checkpoints(
    namespace: &str,
    hub: &str,
    consumer_group: &str,
    records: Vec<Record>,
) -> Vec<Checkpoint> {
    records
        .into_iter()
        .map(|r| Checkpoint {
            fully_qualified_namespace: namespace.to_string(),
            event_hub_name: hub.to_string(),
            consumer_group: consumer_group.to_string(),
            offset: r.get(OFFSET).map(str::to_string),
            sequence_number: r.get(SEQUENCE_NUMBER).and_then(|s| s.parse().ok()),
            partition_id: r.partition,
        })
        .filter(|c| c.offset.is_some() || c.sequence_number.is_some())
        .collect()
}

pub(crate) fn ownerships(
    namespace: &str,
    hub: &str,
    consumer_group: &str,
    records: Vec<Record>,
) -> Vec<Ownership> {
    records
        .into_iter()
        .map(|r| Ownership {
            fully_qualified_namespace: namespace.to_string(),
            event_hub_name: hub.to_string(),
            consumer_group: consumer_group.to_string(),
            owner_id: r.get(OWNER_ID).map(str::to_string),
            etag: r.etag.map(Etag::from),
            last_modified_time: Some(r.modified),
            partition_id: r.partition,
        })
        .collect()
}

/// The metadata a checkpoint record carries.
pub(crate) fn checkpoint_metadata(c: &Checkpoint) -> Vec<(&'static str, String)> {
    let mut pairs = vec![(OFFSET, c.offset.clone().unwrap_or_default())];
    if let Some(seq) = c.sequence_number {
        pairs.push((SEQUENCE_NUMBER, seq.to_string()));
    }
    pairs
}

/// A checkpoint record's metadata as a fenced writer writes it.
pub(crate) fn fenced_metadata(
    offset: Option<&str>,
    sequence_number: Option<i64>,
    epoch: u64,
    owner: &str,
) -> Vec<(&'static str, String)> {
    let mut pairs = vec![(OFFSET, offset.unwrap_or_default().to_string())];
    if let Some(seq) = sequence_number {
        pairs.push((SEQUENCE_NUMBER, seq.to_string()));
    }
    pairs.push((EPOCH, epoch.to_string()));
    pairs.push((EPOCH_OWNER, owner.to_string()));
    pairs
}

/// What the service needs beyond the client's trait.
#[async_trait]
pub trait PartitionStore: CheckpointStore + Send + Sync {
    /// The current owner of one partition, read fresh (before a write is made durable).
    async fn owner(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
    ) -> azure_core::Result<Option<String>>;

    /// Take a partition for writing: raise its epoch and rewrite its checkpoint record so that
    /// every earlier writer's next checkpoint fails (see the module doc).
    async fn fence(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
        owner: &str,
    ) -> azure_core::Result<Fence>;

    /// Write a checkpoint only if the record is still the version `fence` last saw; on success
    /// the fence holds the new version.
    async fn checkpoint_fenced(
        &self,
        fence: &mut Fence,
        checkpoint: &Checkpoint,
        owner: &str,
    ) -> Result<(), Fenced>;

    /// Give up ownerships (on shutdown) so other replicas take them at once instead of after
    /// the expiry.
    async fn release(&self, ownerships: Vec<Ownership>) -> azure_core::Result<()> {
        let released: Vec<Ownership> = ownerships
            .into_iter()
            .map(|o| Ownership {
                owner_id: None,
                ..o
            })
            .collect();
        self.claim_ownership(&released).await.map(|_| ())
    }
}

/// Open the store named by `checkpoint.store`: an object-store URL, or a local directory.
pub fn open(target: &str) -> Result<Arc<dyn PartitionStore>> {
    let location = store::open(target)?;
    if location.is_local() {
        let dir = target.strip_prefix("file://").unwrap_or(target);
        Ok(Arc::new(local::LocalStore::open(dir.as_ref())?))
    } else {
        Ok(Arc::new(blob::ObjectStoreCheckpoints::new(location)))
    }
}

pub(crate) fn store_error(what: &str, e: impl std::fmt::Display) -> azure_core::Error {
    azure_core::Error::with_message(azure_core::error::ErrorKind::Io, format!("{what}: {e}"))
}
