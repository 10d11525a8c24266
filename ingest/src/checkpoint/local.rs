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
    checkpoint_metadata, checkpoint_name, checkpoints, kind_prefix, metadata_value, ownership_name,
    ownerships, store_error, Kind, PartitionStore, Record, OWNER_ID,
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

#[async_trait]
impl PartitionStore for LocalStore {
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
}
