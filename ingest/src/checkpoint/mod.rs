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

pub mod blob;
pub mod local;

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership};
use azure_messaging_eventhubs::CheckpointStore;

use crate::store;

/// Metadata keys, lower-case as the Python, .NET and Go stores write and read them.
pub const OWNER_ID: &str = "ownerid";
pub const OFFSET: &str = "offset";
pub const SEQUENCE_NUMBER: &str = "sequencenumber";

/// `{namespace}/{hub}/{consumer group}/` lower-cased: the partition id keeps its case.
pub fn hub_prefix(namespace: &str, hub: &str, consumer_group: &str) -> String {
    format!(
        "{}/{}/{}/",
        namespace.to_lowercase(),
        hub.to_lowercase(),
        consumer_group.to_lowercase()
    )
}

pub fn ownership_name(o: &Ownership) -> String {
    format!(
        "{}ownership/{}",
        hub_prefix(
            &o.fully_qualified_namespace,
            &o.event_hub_name,
            &o.consumer_group
        ),
        o.partition_id
    )
}

pub fn checkpoint_name(c: &Checkpoint) -> String {
    format!(
        "{}checkpoint/{}",
        hub_prefix(
            &c.fully_qualified_namespace,
            &c.event_hub_name,
            &c.consumer_group
        ),
        c.partition_id
    )
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
    if location.is_local {
        let dir = target.strip_prefix("file://").unwrap_or(target);
        Ok(Arc::new(local::LocalStore::open(dir.as_ref())?))
    } else {
        Ok(Arc::new(blob::ObjectStoreCheckpoints::new(location)))
    }
}

pub(crate) fn store_error(what: &str, e: impl std::fmt::Display) -> azure_core::Error {
    azure_core::Error::with_message(azure_core::error::ErrorKind::Io, format!("{what}: {e}"))
}
