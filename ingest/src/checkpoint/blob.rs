//! The checkpoint store on an object store (Azure Blob, S3, GCS) through object_store: empty
//! objects whose metadata hold the state, created with `If-None-Match: *` and renewed with
//! `If-Match: <etag>`, exactly as the other SDKs' blob checkpoint stores do.

use async_trait::async_trait;
use azure_core::http::Etag;
use azure_core::time::OffsetDateTime;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership};
use azure_messaging_eventhubs::CheckpointStore;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use super::{
    checkpoint_metadata, checkpoint_name, checkpoint_path, checkpoints, epoch_name,
    fenced_metadata, kind_prefix, metadata_value, ownership_name, ownerships, store_error, Fence,
    Fenced, Kind, PartitionStore, Record, EPOCH, FENCE_ATTEMPTS, OFFSET, OWNER_ID, SEQUENCE_NUMBER,
};
use crate::store::Location;

pub struct ObjectStoreCheckpoints {
    location: Location,
}

/// The user metadata among an object's attributes.
fn metadata(attributes: &Attributes) -> Vec<(String, String)> {
    attributes
        .iter()
        .filter_map(|(k, v)| match k {
            Attribute::Metadata(k) => Some((k.to_string(), v.to_string())),
            _ => None,
        })
        .collect()
}

impl ObjectStoreCheckpoints {
    pub fn new(location: Location) -> Self {
        ObjectStoreCheckpoints { location }
    }

    fn path(&self, name: &str) -> Path {
        self.location.child(name)
    }

    /// Every record under a prefix, with its metadata (a listing does not carry metadata, so
    /// each is read with a HEAD).
    async fn records(&self, prefix: &str) -> azure_core::Result<Vec<Record>> {
        let store = &self.location.store;
        let listed: Vec<_> = store
            .list(Some(&self.path(prefix)))
            .try_collect()
            .await
            .map_err(|e| store_error("listing the checkpoint store", e))?;
        let mut out = Vec::with_capacity(listed.len());
        for object in listed {
            let head = GetOptions {
                head: true,
                ..Default::default()
            };
            let got = match store.get_opts(&object.location, head).await {
                Ok(g) => g,
                // Deleted between the listing and the read.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(store_error("reading the checkpoint store", e)),
            };
            let modified = OffsetDateTime::from_unix_timestamp_nanos(
                got.meta.last_modified.timestamp_nanos_opt().unwrap_or(0) as i128,
            )
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            out.push(Record {
                partition: object.location.filename().unwrap_or_default().to_string(),
                metadata: metadata(&got.attributes),
                etag: got.meta.e_tag,
                modified,
            });
        }
        Ok(out)
    }

    /// A record's metadata and version; `None` when it does not exist.
    async fn head(
        &self,
        name: &str,
    ) -> azure_core::Result<Option<(Vec<(String, String)>, Option<String>)>> {
        let head = GetOptions {
            head: true,
            ..Default::default()
        };
        match self.location.store.get_opts(&self.path(name), head).await {
            Ok(got) => Ok(Some((metadata(&got.attributes), got.meta.e_tag))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error("reading the checkpoint store", e)),
        }
    }

    async fn put(
        &self,
        name: &str,
        mode: PutMode,
        pairs: &[(&'static str, String)],
    ) -> object_store::Result<Option<String>> {
        let mut attributes = Attributes::new();
        for (k, v) in pairs {
            attributes.insert(Attribute::Metadata((*k).into()), v.clone().into());
        }
        let opts = PutOptions {
            mode,
            attributes,
            ..Default::default()
        };
        let done = self
            .location
            .store
            .put_opts(&self.path(name), PutPayload::new(), opts)
            .await?;
        Ok(done.e_tag)
    }
}

#[async_trait]
impl CheckpointStore for ObjectStoreCheckpoints {
    async fn claim_ownership(
        &self,
        ownerships: &[Ownership],
    ) -> azure_core::Result<Vec<Ownership>> {
        let mut claimed = Vec::with_capacity(ownerships.len());
        for o in ownerships {
            let name = ownership_name(o);
            let owner = o.owner_id.clone().unwrap_or_default();
            let pairs = [(OWNER_ID, owner)];
            let mode = match &o.etag {
                Some(etag) => PutMode::Update(UpdateVersion {
                    e_tag: Some(etag.to_string()),
                    version: None,
                }),
                None => PutMode::Create,
            };
            let mut result = self.put(&name, mode.clone(), &pairs).await;
            // The record was deleted since it was read: claim it as new (as .NET does).
            if matches!(
                (&result, &mode),
                (
                    Err(object_store::Error::NotFound { .. }),
                    PutMode::Update(_)
                )
            ) {
                result = self.put(&name, PutMode::Create, &pairs).await;
            }
            match result {
                Ok(etag) => claimed.push(Ownership {
                    etag: etag.map(Etag::from),
                    last_modified_time: Some(OffsetDateTime::now_utc()),
                    ..o.clone()
                }),
                // Another replica changed or created it first: not ours this round.
                Err(object_store::Error::Precondition { .. })
                | Err(object_store::Error::AlreadyExists { .. }) => {
                    tracing::debug!(partition = %o.partition_id, "ownership claim lost to another replica");
                }
                Err(e) => return Err(store_error("claiming partition ownership", e)),
            }
        }
        Ok(claimed)
    }

    async fn list_checkpoints(
        &self,
        namespace: &str,
        event_hub_name: &str,
        consumer_group: &str,
    ) -> azure_core::Result<Vec<Checkpoint>> {
        let prefix = kind_prefix(namespace, event_hub_name, consumer_group, Kind::Checkpoint);
        let records = self.records(&prefix).await?;
        Ok(checkpoints(
            namespace,
            event_hub_name,
            consumer_group,
            records,
        ))
    }

    async fn list_ownerships(
        &self,
        namespace: &str,
        event_hub_name: &str,
        consumer_group: &str,
    ) -> azure_core::Result<Vec<Ownership>> {
        let prefix = kind_prefix(namespace, event_hub_name, consumer_group, Kind::Ownership);
        let records = self.records(&prefix).await?;
        Ok(ownerships(
            namespace,
            event_hub_name,
            consumer_group,
            records,
        ))
    }

    async fn update_checkpoint(&self, checkpoint: Checkpoint) -> azure_core::Result<()> {
        let pairs = checkpoint_metadata(&checkpoint);
        self.put(&checkpoint_name(&checkpoint), PutMode::Overwrite, &pairs)
            .await
            .map_err(|e| store_error("writing a checkpoint", e))?;
        Ok(())
    }
}

/// A put on the version last read: `If-Match`, or `If-None-Match: *` when there was none.
fn on_version(version: &Option<String>) -> PutMode {
    match version {
        Some(etag) => PutMode::Update(UpdateVersion {
            e_tag: Some(etag.clone()),
            version: None,
        }),
        None => PutMode::Create,
    }
}

/// Another writer got there first.
fn conflict(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::Precondition { .. }
            | object_store::Error::AlreadyExists { .. }
            | object_store::Error::NotFound { .. }
    )
}

#[async_trait]
impl PartitionStore for ObjectStoreCheckpoints {
    async fn fence(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
        owner: &str,
    ) -> azure_core::Result<Fence> {
        let epoch_record = epoch_name(namespace, hub, consumer_group, partition);
        let checkpoint = checkpoint_path(namespace, hub, consumer_group, partition);
        for _ in 0..FENCE_ATTEMPTS {
            let (meta, version) = self.head(&epoch_record).await?.unwrap_or_default();
            let epoch = metadata_value(&meta, EPOCH)
                .and_then(|e| e.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            let pairs = [
                (EPOCH, epoch.to_string()),
                (super::EPOCH_OWNER, owner.to_string()),
            ];
            let epoch_version = match self.put(&epoch_record, on_version(&version), &pairs).await {
                Ok(v) => v,
                Err(e) if conflict(&e) => continue,
                Err(e) => return Err(store_error("raising the partition's epoch", e)),
            };
            // The checkpoint record changes version, so an earlier writer's next put fails.
            let Some((meta, version)) = self.head(&checkpoint).await? else {
                return Ok(Fence {
                    epoch,
                    sequence_number: None,
                    offset: None,
                    version: None,
                    epoch_version,
                });
            };
            let offset = metadata_value(&meta, OFFSET).map(str::to_string);
            let sequence_number =
                metadata_value(&meta, SEQUENCE_NUMBER).and_then(|s| s.parse().ok());
            let pairs = fenced_metadata(offset.as_deref(), sequence_number, epoch, owner);
            match self.put(&checkpoint, on_version(&version), &pairs).await {
                Ok(version) => {
                    return Ok(Fence {
                        epoch,
                        sequence_number,
                        offset,
                        version,
                        epoch_version,
                    })
                }
                Err(e) if conflict(&e) => continue,
                Err(e) => return Err(store_error("fencing the checkpoint", e)),
            }
        }
        Err(store_error(
            "fencing the checkpoint",
            format!("partition {partition}: other writers kept changing it"),
        ))
    }

    async fn checkpoint_fenced(
        &self,
        fence: &mut Fence,
        checkpoint: &Checkpoint,
        owner: &str,
    ) -> Result<(), Fenced> {
        let pairs = fenced_metadata(
            checkpoint.offset.as_deref(),
            checkpoint.sequence_number,
            fence.epoch,
            owner,
        );
        match self
            .put(
                &checkpoint_name(checkpoint),
                on_version(&fence.version),
                &pairs,
            )
            .await
        {
            Ok(version) => {
                fence.version = version;
                Ok(())
            }
            Err(e) if conflict(&e) => Err(Fenced::Lost),
            Err(e) => Err(Fenced::Store(store_error("writing a checkpoint", e))),
        }
    }

    async fn owner(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
    ) -> azure_core::Result<Option<String>> {
        let name = kind_prefix(namespace, hub, consumer_group, Kind::Ownership) + partition;
        let head = GetOptions {
            head: true,
            ..Default::default()
        };
        match self.location.store.get_opts(&self.path(&name), head).await {
            Ok(got) => Ok(metadata_value(&metadata(&got.attributes), OWNER_ID).map(str::to_string)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error("reading partition ownership", e)),
        }
    }
}
