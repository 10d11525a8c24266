//! The checkpoint store in a local directory, for a single box: the same names as the blob
//! layout, each record a small `key=value` file written by rename (so a crash leaves the old
//! or the new record, never half of one), with claims made under an exclusive `flock` so that
//! several replicas on one machine still take turns.

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use azure_core::http::Etag;
use azure_core::time::OffsetDateTime;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership};
use azure_messaging_eventhubs::CheckpointStore;

use super::{
    checkpoint_metadata, checkpoint_name, checkpoint_path, checkpoints, epoch_name,
    fenced_metadata, kind_prefix, metadata_value, ownership_name, ownerships, store_error, Fence,
    Fenced, Kind, PartitionStore, Record, EPOCH, EPOCH_OWNER, OFFSET, OWNER_ID, SEQUENCE_NUMBER,
};

const ETAG: &str = "etag";

pub struct LocalStore {
    dir: PathBuf,
}

/// An exclusive lock on the store for the time it is held.
struct Locked(fs::File);

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: the descriptor is open for as long as `self.0` lives.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// A record file: `key=value` lines, the version under `etag`, the time from the file.
fn read_record(path: &Path, partition: String) -> Option<Record> {
    let text = fs::read_to_string(path).ok()?;
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let metadata: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some(Record {
        partition,
        etag: metadata_value(&metadata, ETAG).map(str::to_string),
        metadata,
        modified: modified.into(),
    })
}

/// A record being written is `<name>.tmp<pid>`; one whose writer is gone was left by a crash
/// (a SIGKILL between write and rename) and is removed. A live writer's is left alone.
fn remove_if_abandoned(path: &Path, pid: &str) {
    let Ok(pid) = pid.parse::<libc::pid_t>() else {
        return;
    };
    // SAFETY: signal 0 only checks that the process exists; it sends nothing.
    let gone = unsafe { libc::kill(pid, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    if gone {
        let _ = fs::remove_file(path);
    }
}

impl LocalStore {
    pub fn open(dir: &Path) -> anyhow::Result<LocalStore> {
        fs::create_dir_all(dir)?;
        Ok(LocalStore {
            dir: dir.to_path_buf(),
        })
    }

    fn lock(&self) -> std::io::Result<Locked> {
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(".lock"))?;
        // SAFETY: as above.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Locked(f))
    }

    fn write_record(&self, name: &str, pairs: &[(&str, String)]) -> std::io::Result<()> {
        let path = self.dir.join(name);
        fs::create_dir_all(path.parent().expect("records live in a directory"))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut f = fs::File::create(&tmp)?;
        for (k, v) in pairs {
            writeln!(f, "{k}={v}")?;
        }
        f.sync_all()?;
        fs::rename(&tmp, &path)
    }

    /// Records of a directory, by partition id.
    fn records(&self, prefix: &str) -> Vec<Record> {
        let Ok(entries) = fs::read_dir(self.dir.join(prefix)) else {
            return Vec::new();
        };
        let mut out: Vec<Record> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some((_, pid)) = name.split_once(".tmp") {
                    remove_if_abandoned(&e.path(), pid);
                    return None;
                }
                read_record(&e.path(), name)
            })
            .collect();
        out.sort_by(|a, b| a.partition.cmp(&b.partition));
        out
    }
}

#[async_trait]
impl CheckpointStore for LocalStore {
    async fn claim_ownership(
        &self,
        ownerships: &[Ownership],
    ) -> azure_core::Result<Vec<Ownership>> {
        let _lock = self
            .lock()
            .map_err(|e| store_error("locking the checkpoint directory", e))?;
        let mut claimed = Vec::new();
        for o in ownerships {
            let name = ownership_name(o);
            let current_etag =
                read_record(&self.dir.join(&name), o.partition_id.clone()).and_then(|r| r.etag);
            // The same rule as If-Match / If-None-Match: *.
            let expected = o.etag.as_ref().map(|e| e.to_string());
            if current_etag != expected {
                continue;
            }
            let etag = current_etag
                .and_then(|e| e.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            let pairs = [
                (OWNER_ID, o.owner_id.clone().unwrap_or_default()),
                (ETAG, etag.to_string()),
            ];
            self.write_record(&name, &pairs)
                .map_err(|e| store_error("claiming partition ownership", e))?;
            claimed.push(Ownership {
                etag: Some(Etag::from(etag.to_string())),
                last_modified_time: Some(OffsetDateTime::now_utc()),
                ..o.clone()
            });
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
        let records = self.records(&prefix);
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
        let records = self.records(&prefix);
        Ok(ownerships(
            namespace,
            event_hub_name,
            consumer_group,
            records,
        ))
    }

    async fn update_checkpoint(&self, checkpoint: Checkpoint) -> azure_core::Result<()> {
        self.write_record(
            &checkpoint_name(&checkpoint),
            &checkpoint_metadata(&checkpoint),
        )
        .map_err(|e| store_error("writing a checkpoint", e))
    }
}

impl LocalStore {
    /// Write `pairs` as the next version of a record (under the lock): its version counter
    /// goes up by one, as an etag changes with every write.
    fn write_next(
        &self,
        name: &str,
        current: Option<&Record>,
        pairs: &[(&str, String)],
    ) -> std::io::Result<String> {
        let version = current
            .and_then(|r| r.etag.as_deref())
            .and_then(|e| e.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        let mut all: Vec<(&str, String)> = pairs.to_vec();
        all.push((ETAG, version.to_string()));
        self.write_record(name, &all)?;
        Ok(version.to_string())
    }
}

#[async_trait]
impl PartitionStore for LocalStore {
    async fn fence(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
        owner: &str,
    ) -> azure_core::Result<Fence> {
        let fail = |e| store_error("fencing the checkpoint", e);
        let _lock = self.lock().map_err(fail)?;
        let epoch_record = epoch_name(namespace, hub, consumer_group, partition);
        let current = read_record(&self.dir.join(&epoch_record), partition.to_string());
        let epoch = current
            .as_ref()
            .and_then(|r| r.get(EPOCH))
            .and_then(|e| e.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        let epoch_version = self
            .write_next(
                &epoch_record,
                current.as_ref(),
                &[(EPOCH, epoch.to_string()), (EPOCH_OWNER, owner.to_string())],
            )
            .map_err(fail)?;
        let name = checkpoint_path(namespace, hub, consumer_group, partition);
        let Some(current) = read_record(&self.dir.join(&name), partition.to_string()) else {
            return Ok(Fence {
                epoch,
                sequence_number: None,
                offset: None,
                version: None,
                epoch_version: Some(epoch_version),
            });
        };
        let offset = current.get(OFFSET).map(str::to_string);
        let sequence_number = current.get(SEQUENCE_NUMBER).and_then(|s| s.parse().ok());
        let pairs = fenced_metadata(offset.as_deref(), sequence_number, epoch, owner);
        let version = self
            .write_next(&name, Some(&current), &pairs)
            .map_err(fail)?;
        Ok(Fence {
            epoch,
            sequence_number,
            offset,
            version: Some(version),
            epoch_version: Some(epoch_version),
        })
    }

    async fn checkpoint_fenced(
        &self,
        fence: &mut Fence,
        checkpoint: &Checkpoint,
        owner: &str,
    ) -> Result<(), Fenced> {
        let fail = |e| Fenced::Store(store_error("writing a checkpoint", e));
        let _lock = self.lock().map_err(fail)?;
        let name = checkpoint_name(checkpoint);
        let current = read_record(&self.dir.join(&name), checkpoint.partition_id.clone());
        if current.as_ref().and_then(|r| r.etag.clone()) != fence.version {
            return Err(Fenced::Lost);
        }
        if fence.version.is_none() {
            // The first checkpoint: the epoch must still be ours (under the same lock here, so
            // no window is left).
            let epoch_record = epoch_name(
                &checkpoint.fully_qualified_namespace,
                &checkpoint.event_hub_name,
                &checkpoint.consumer_group,
                &checkpoint.partition_id,
            );
            let epoch = read_record(
                &self.dir.join(epoch_record),
                checkpoint.partition_id.clone(),
            );
            if epoch.and_then(|r| r.etag) != fence.epoch_version {
                return Err(Fenced::Lost);
            }
        }
        let pairs = fenced_metadata(
            checkpoint.offset.as_deref(),
            checkpoint.sequence_number,
            fence.epoch,
            owner,
        );
        fence.version = Some(
            self.write_next(&name, current.as_ref(), &pairs)
                .map_err(fail)?,
        );
        Ok(())
    }

    async fn owner(
        &self,
        namespace: &str,
        hub: &str,
        consumer_group: &str,
        partition: &str,
    ) -> azure_core::Result<Option<String>> {
        let name = kind_prefix(namespace, hub, consumer_group, Kind::Ownership) + partition;
        Ok(read_record(&self.dir.join(name), partition.to_string())
            .and_then(|r| r.get(OWNER_ID).map(str::to_string)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ownership(owner: &str, etag: Option<&str>) -> Ownership {
        Ownership {
            fully_qualified_namespace: "NS.servicebus.windows.net".into(),
            event_hub_name: "Entra".into(),
            consumer_group: "$Default".into(),
            partition_id: "3".into(),
            owner_id: Some(owner.into()),
            etag: etag.map(Etag::from),
            last_modified_time: None,
        }
    }

    /// A SIGKILL between writing a record and renaming it leaves `<name>.tmp<pid>`: the next
    /// listing skips it, and removes it once its writer is gone.
    #[tokio::test]
    async fn records_left_half_written_by_a_dead_process_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let checkpoint = Checkpoint {
            fully_qualified_namespace: "ns".into(),
            event_hub_name: "hub".into(),
            consumer_group: "$default".into(),
            partition_id: "5".into(),
            offset: Some("500".into()),
            sequence_number: Some(5),
        };
        store.update_checkpoint(checkpoint).await.unwrap();
        let records = dir.path().join("ns/hub/$default/checkpoint");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let abandoned = records.join(format!("5.tmp{dead}"));
        let in_progress = records.join(format!("5.tmp{}", std::process::id()));
        fs::write(&abandoned, "sequencenumber=3\n").unwrap();
        fs::write(&in_progress, "sequencenumber=4\n").unwrap();
        let listed = store
            .list_checkpoints("ns", "hub", "$default")
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sequence_number, Some(5));
        assert!(!abandoned.exists());
        assert!(in_progress.exists());
    }

    #[tokio::test]
    async fn claims_follow_etags_and_names_are_lower_cased() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let won = store
            .claim_ownership(&[ownership("a", None)])
            .await
            .unwrap();
        assert_eq!(won.len(), 1);
        assert!(dir
            .path()
            .join("ns.servicebus.windows.net/entra/$default/ownership/3")
            .exists());
        // A second create loses; a stale etag loses; the current etag wins.
        assert!(store
            .claim_ownership(&[ownership("b", None)])
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .claim_ownership(&[ownership("b", Some("7"))])
            .await
            .unwrap()
            .is_empty());
        let etag = won[0].etag.as_ref().unwrap().to_string();
        let stolen = store
            .claim_ownership(&[ownership("b", Some(&etag))])
            .await
            .unwrap();
        assert_eq!(stolen[0].owner_id.as_deref(), Some("b"));
        let listed = store
            .list_ownerships("NS.servicebus.windows.net", "Entra", "$Default")
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].owner_id.as_deref(), Some("b"));
        // Released: listed with no owner.
        store.release(stolen).await.unwrap();
        let listed = store
            .list_ownerships("ns.servicebus.windows.net", "entra", "$default")
            .await
            .unwrap();
        assert_eq!(listed[0].owner_id, None);
    }

    fn cp(seq: i64) -> Checkpoint {
        Checkpoint {
            fully_qualified_namespace: "ns".into(),
            event_hub_name: "hub".into(),
            consumer_group: "$default".into(),
            partition_id: "0".into(),
            offset: Some(format!("{}", seq * 100)),
            sequence_number: Some(seq),
        }
    }

    /// A writer that lost the partition cannot move its checkpoint: the new owner's fence
    /// changed the record, with or without an earlier checkpoint.
    #[tokio::test]
    async fn a_fenced_out_writer_cannot_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let fence = |owner: &'static str| {
            let store = &store;
            async move {
                store
                    .fence("ns", "hub", "$default", "0", owner)
                    .await
                    .unwrap()
            }
        };
        // Never checkpointed: the first checkpoint goes to whoever fenced last.
        let mut a = fence("a").await;
        let mut b = fence("b").await;
        assert_eq!((a.epoch, b.epoch), (1, 2));
        assert_eq!(b.sequence_number, None);
        assert!(matches!(
            store.checkpoint_fenced(&mut a, &cp(5), "a").await,
            Err(Fenced::Lost)
        ));
        store.checkpoint_fenced(&mut b, &cp(5), "b").await.unwrap();
        store.checkpoint_fenced(&mut b, &cp(9), "b").await.unwrap();
        // A third writer takes over from the checkpoint b left.
        let mut c = fence("c").await;
        assert_eq!(
            (c.epoch, c.sequence_number, c.offset.as_deref()),
            (3, Some(9), Some("900"))
        );
        assert!(matches!(
            store.checkpoint_fenced(&mut b, &cp(12), "b").await,
            Err(Fenced::Lost)
        ));
        store.checkpoint_fenced(&mut c, &cp(12), "c").await.unwrap();
        let listed = store
            .list_checkpoints("ns", "hub", "$default")
            .await
            .unwrap();
        assert_eq!(listed[0].sequence_number, Some(12));
        // A hand reset (an unconditional write, as other tools do) fences everyone out.
        store.update_checkpoint(cp(3)).await.unwrap();
        assert!(matches!(
            store.checkpoint_fenced(&mut c, &cp(15), "c").await,
            Err(Fenced::Lost)
        ));
    }
}
