//! Where output goes: a local directory or an object-store URL (`az://`, `abfss://`, `s3://`,
//! `gs://`, `file://`), all behind one [`ObjectStore`].

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::ObjectStore;
use url::Url;

/// An object store and the prefix inside it that the lake lives under.
#[derive(Clone, Debug)]
pub struct Location {
    pub store: Arc<dyn ObjectStore>,
    pub prefix: Path,
    /// What the user gave, for messages (never contains a secret: credentials come from the
    /// environment, not the URL).
    pub display: String,
    /// The same store when it is a local directory: uploads need no minimum part size, and the
    /// lake writer writes its files directly (see `sink::parquet`).
    pub local: Option<Arc<LocalFileSystem>>,
}

impl Location {
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The path of `relative` (a `/`-separated path) under the prefix.
    pub fn child(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }
}

/// Write and delete a small object under the root: the store answers and lets this process
/// write (a destination's readiness probe).
pub async fn probe(location: &Location) -> Result<()> {
    use object_store::ObjectStoreExt;
    let path = location.child("_aad_ingest/probe");
    location
        .store
        .put(&path, bytes::Bytes::from_static(b"probe\n").into())
        .await
        .with_context(|| format!("writing a probe object under {}", location.display))?;
    location
        .store
        .delete(&path)
        .await
        .with_context(|| format!("deleting the probe object under {}", location.display))?;
    Ok(())
}

/// Check `target` offline: a local path (`None`), or a URL of a scheme object_store opens,
/// without credentials or a query (they belong in the environment, and would reach messages).
pub fn check(target: &str) -> Result<Option<Url>> {
    if target.trim().is_empty() {
        bail!("must be a directory or an object-store URL");
    }
    if !target.contains("://") {
        return Ok(None);
    }
    let url = Url::parse(target)
        .map_err(|e| anyhow::anyhow!("URL {:?} does not parse: {e}", redact(target)))?;
    if url.password().is_some() || url.query().is_some() {
        bail!("the URL must not carry credentials or a query; set them in the environment");
    }
    const SCHEMES: &[&str] = &[
        "file", "az", "adl", "azure", "abfs", "abfss", "s3", "s3a", "gs", "http", "https",
    ];
    if !SCHEMES.contains(&url.scheme()) {
        bail!(
            "scheme {}:// is not one of {}",
            url.scheme(),
            SCHEMES
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Some(url))
}

/// Open `target`: a URL with a scheme, or a local directory path (created if missing).
///
/// Cloud credentials and options come from the environment with the names object_store reads
/// (`AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_USE_EMULATOR`, `AWS_REGION`,
/// `GOOGLE_SERVICE_ACCOUNT`, …); none are accepted in the URL's query, so none reach a log line.
pub fn open(target: &str) -> Result<Location> {
    if let Some(url) = check(target)? {
        if url.scheme() == "file" {
            let path = url
                .to_file_path()
                .map_err(|_| anyhow::anyhow!("bad file URL {target:?}"))?;
            return local(&path.to_string_lossy(), target);
        }
        let env = std::env::vars().filter_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            (k.starts_with("azure_") || k.starts_with("aws_") || k.starts_with("google_"))
                .then_some((k, v))
        });
        let (store, prefix) = object_store::parse_url_opts(&url, env)
            .with_context(|| format!("cannot open object store for {}", redact(target)))?;
        return Ok(Location {
            store: Arc::from(store),
            prefix,
            display: target.to_string(),
            local: None,
        });
    }
    local(target, target)
}

fn local(dir: &str, display: &str) -> Result<Location> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {dir:?}"))?;
    let fs = Arc::new(
        LocalFileSystem::new_with_prefix(dir).with_context(|| format!("cannot open {dir:?}"))?,
    );
    Ok(Location {
        store: Arc::clone(&fs) as Arc<dyn ObjectStore>,
        prefix: Path::default(),
        display: display.to_string(),
        local: Some(fs),
    })
}

/// The URL without user info or query, for messages.
fn redact(target: &str) -> String {
    match Url::parse(target) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "<unparseable URL>".into(),
    }
}

/// FNV-1a 64: a stable hash (std's hasher may change between releases) for file names derived
/// from source identities.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
