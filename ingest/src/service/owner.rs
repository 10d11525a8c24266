//! One owner id, one process. Two replicas configured with the same `checkpoint.owner_id` would
//! both pass every ownership check. The store as this process's processor sees it remembers
//! the version of every ownership it claimed; during the first rounds after start, an
//! ownership under our owner id that changes to a version this process did not write was
//! renewed by another live process, and this one (the newcomer) stops with a clear error (two
//! started within a few rounds of each other both stop). The rounds are counted from this
//! process's first claim, not from its start: a newcomer slow to connect (a loaded machine,
//! a slow hub) would otherwise spend its watch before it contends for anything. A replica
//! restarted after a crash meets only ownerships nobody renews any more, so it starts without
//! delay.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership};
use azure_messaging_eventhubs::CheckpointStore;

use crate::checkpoint::{Fence, Fenced, PartitionStore};
use crate::ops::health::Health;

/// Load-balancing rounds after start during which the check runs ...
const ROUNDS: u32 = 10;
/// ... listing this many times a round: both processes renew once a round, so a listing
/// right after our own renewal shows our version; several a round see the other's too.
const LOOKS_PER_ROUND: u32 = 4;

/// The checkpoint store, remembering the ownership versions this process wrote.
pub struct Claims {
    inner: Arc<dyn PartitionStore>,
    /// (partition, version) of every ownership this process wrote: versions are per record
    /// (a local store counts them), so the partition is part of the key.
    written: Mutex<HashSet<(String, String)>>,
    /// Told when a load-balancing round finished: the processor ends every round with a
    /// claim (of nothing, when it owns nothing and takes nothing).
    health: Arc<Health>,
}

impl Claims {
    pub fn new(inner: Arc<dyn PartitionStore>, health: Arc<Health>) -> Arc<Claims> {
        Arc::new(Claims {
            inner,
            written: Mutex::new(HashSet::new()),
            health,
        })
    }

    fn claimed_any(&self) -> bool {
        !self.written.lock().expect("claims").is_empty()
    }

    fn ours(&self, partition: &str, etag: &str) -> bool {
        self.written
            .lock()
            .expect("claims")
            .contains(&(partition.to_string(), etag.to_string()))
    }
}

#[async_trait]
impl CheckpointStore for Claims {
    async fn claim_ownership(
        &self,
        ownerships: &[Ownership],
    ) -> azure_core::Result<Vec<Ownership>> {
        let claimed = self.inner.claim_ownership(ownerships).await?;
        self.health.set_balanced(true);
        let mut written = self.written.lock().expect("claims");
        written.extend(claimed.iter().filter_map(|o| {
            o.etag
                .as_ref()
                .map(|e| (o.partition_id.clone(), e.to_string()))
        }));
        Ok(claimed)
    }

    async fn list_checkpoints(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
    ) -> azure_core::Result<Vec<Checkpoint>> {
        self.inner
            .list_checkpoints(namespace, hub, consumer_group)
            .await
    }

    async fn list_ownerships(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
    ) -> azure_core::Result<Vec<Ownership>> {
        self.inner
            .list_ownerships(namespace, hub, consumer_group)
            .await
    }

    async fn update_checkpoint(&self, checkpoint: Checkpoint) -> azure_core::Result<()> {
        self.inner.update_checkpoint(checkpoint).await
    }
}

#[async_trait]
impl PartitionStore for Claims {
    async fn owner(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
    ) -> azure_core::Result<Option<String>> {
        self.inner
            .owner(namespace, hub, consumer_group, partition)
            .await
    }

    async fn fence(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
        owner: &str,
    ) -> azure_core::Result<Fence> {
        self.inner
            .fence(namespace, hub, consumer_group, partition, owner)
            .await
    }

    async fn checkpoint_fenced(
        &self,
        fence: &mut Fence,
        checkpoint: &Checkpoint,
        owner: &str,
    ) -> Result<(), Fenced> {
        self.inner.checkpoint_fenced(fence, checkpoint, owner).await
    }
}

/// Watch the first rounds after this process's first claim; `Some(why)` when another process
/// runs under `owner_id`.
pub async fn watch_for_another(
    claims: Arc<Claims>,
    namespace: String,
    hub: String,
    consumer_group: String,
    owner_id: String,
    interval: Duration,
) -> Option<String> {
    let mut seen: HashMap<String, String> = HashMap::new();
    // A version seen before our own claim that wrote it has returned is not foreign: a
    // suspect is confirmed only if it is still not ours a look later.
    let mut suspects: Vec<(String, String)> = Vec::new();
    while !claims.claimed_any() {
        tokio::time::sleep(interval / LOOKS_PER_ROUND).await;
    }
    for look in 0..=ROUNDS * LOOKS_PER_ROUND {
        if look > 0 {
            tokio::time::sleep(interval / LOOKS_PER_ROUND).await;
        }
        if let Some((partition, _)) = suspects.iter().find(|(p, etag)| !claims.ours(p, etag)) {
            return Some(format!(
                "checkpoint.owner_id: another process runs as {owner_id:?} (it renewed its ownership of partition {partition}); give each replica its own owner_id, or leave it out for a random one"
            ));
        }
        suspects.clear();
        let Ok(listed) = claims
            .list_ownerships(&namespace, &hub, &consumer_group)
            .await
        else {
            continue;
        };
        for o in listed {
            if o.owner_id.as_deref() != Some(owner_id.as_str()) {
                continue;
            }
            let Some(etag) = o.etag.map(|e| e.to_string()) else {
                continue;
            };
            let before = seen.insert(o.partition_id.clone(), etag.clone());
            if before.is_some_and(|b| b != etag) && !claims.ours(&o.partition_id, &etag) {
                suspects.push((o.partition_id, etag));
            }
        }
    }
    None
}
