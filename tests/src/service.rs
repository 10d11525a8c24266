//! Harness for the `run` service tests: a capture split into Event Hubs messages, the service
//! as a child process (killed, stopped, restarted), its config, and what the Azure SDK for
//! Python sees in the checkpoint container.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aad_ingest::generate::{generate, Format, GenerateOptions, GenerateReport};
use simd_json::prelude::*;

use crate::{aad_ingest_bin, run_reader_args, Azurite};

/// A generated envelope capture: its file (for `convert`), its lines (one message each), and
/// what the generator says it wrote (records, and messages broken on purpose).
pub struct Capture {
    pub file: PathBuf,
    pub messages: Vec<Vec<u8>>,
    pub report: GenerateReport,
}

/// `records` generated records with quirks, `per_message` to an Event Hubs message.
pub fn capture(dir: &Path, records: u64, seed: u64, per_message: usize) -> Capture {
    capture_with(
        dir,
        GenerateOptions {
            records,
            seed,
            format: Format::Envelope,
            records_per_message: per_message,
            quirk_share: 0.2,
            ..GenerateOptions::default()
        },
    )
}

/// A capture generated with `opts` (in envelope format).
pub fn capture_with(dir: &Path, opts: GenerateOptions) -> Capture {
    let seed = opts.seed;
    let mut out = Vec::new();
    let report = generate(&opts, &mut out).expect("generate");
    let file = dir.join(format!("capture-{seed}.ndjson"));
    std::fs::write(&file, &out).unwrap();
    let messages = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    Capture {
        file,
        messages,
        report,
    }
}

/// A blob as the Azure SDK for Python lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub size: u64,
    pub metadata: BTreeMap<String, String>,
}

impl Azurite {
    /// Every blob of a container with its metadata, read by the Azure SDK for Python.
    pub fn blobs(&self, container: &str) -> BTreeMap<String, Blob> {
        let v = run_reader_args(&["azure-metadata", &self.endpoint(), container]);
        v.as_object()
            .expect("blob map")
            .iter()
            .map(|(name, b)| {
                let metadata = b
                    .get("metadata")
                    .and_then(|m| m.as_object())
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.to_string(), v.as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let size = b.get("size").and_then(|s| s.as_u64()).unwrap_or(0);
                (name.to_string(), Blob { size, metadata })
            })
            .collect()
    }
}

/// The service's config, with the knobs the tests turn.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub hub: String,
    pub endpoint: String,
    pub checkpoint_store: String,
    pub lake: String,
    pub owner_id: Option<String>,
    pub strategy: &'static str,
    pub roll_secs: f64,
    pub roll_mib: usize,
    /// `service.roll_idle_secs`, when set.
    pub roll_idle_secs: Option<f64>,
    pub update_interval_secs: f64,
    pub ownership_expiry_secs: f64,
    pub grace_secs: f64,
    /// The `auth` inline table; a connection string from [`CONNECTION_STRING_ENV`] by default.
    pub auth: String,
    /// `namespace = …` when the auth method needs it.
    pub namespace: Option<String>,
    pub prefetch_mib: usize,
    pub memory_mib: usize,
    /// Short, so that a receiver stuck in the client is reconnected within a test's time.
    pub stall_secs: f64,
    /// Short, so that partitions added to the hub are taken within a test's time.
    pub partition_poll_secs: f64,
    /// `parquet` or `delta`.
    pub lake_format: &'static str,
    /// `service.listen`: a free port by default (tests run side by side); see
    /// [`Service::http_address`].
    pub listen: String,
    pub lag_poll_secs: f64,
}

/// The environment variable the tests' configs read the connection string from.
pub const CONNECTION_STRING_ENV: &str = "AAD_TEST_EVENTHUB_CONNECTION";
/// The SAS key in that connection string: it must never appear in any output.
pub const SAS_KEY: &str = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";

pub fn connection_string(namespace: &str, hub: &str) -> String {
    format!("Endpoint=sb://{namespace}/;SharedAccessKeyName=listen;SharedAccessKey={SAS_KEY};EntityPath={hub}")
}

impl ServiceConfig {
    pub fn new(hub: &str, endpoint: &str, checkpoint_store: &str, lake: &str) -> Self {
        ServiceConfig {
            hub: hub.into(),
            endpoint: endpoint.into(),
            checkpoint_store: checkpoint_store.into(),
            lake: lake.into(),
            owner_id: None,
            strategy: "greedy",
            roll_secs: 1.0,
            roll_mib: 1,
            roll_idle_secs: None,
            update_interval_secs: 1.0,
            ownership_expiry_secs: 5.0,
            grace_secs: 20.0,
            auth: format!(
                "{{ method = \"connection_string\", env = \"{CONNECTION_STRING_ENV}\" }}"
            ),
            namespace: None,
            prefetch_mib: 16,
            memory_mib: 512,
            stall_secs: 5.0,
            partition_poll_secs: 2.0,
            lake_format: "parquet",
            listen: "127.0.0.1:0".into(),
            lag_poll_secs: 1.0,
        }
    }

    pub fn toml(&self) -> String {
        let owner = self
            .owner_id
            .as_ref()
            .map(|o| format!("owner_id = \"{o}\"\n"))
            .unwrap_or_default();
        let namespace = self
            .namespace
            .as_ref()
            .map(|n| format!("namespace = \"{n}\"\n"))
            .unwrap_or_default();
        let roll_idle = self
            .roll_idle_secs
            .map(|s| format!("roll_idle_secs = {s}\n"))
            .unwrap_or_default();
        format!(
            r#"[source.eventhubs]
{namespace}hub = "{hub}"
endpoint = "{endpoint}"
prefetch_mib = {prefetch}
auth = {auth}

[checkpoint]
store = "{store}"
{owner}strategy = "{strategy}"
update_interval_secs = {update}
ownership_expiry_secs = {expiry}

[lake]
out = "{lake}"
roll_secs = {roll_secs}
roll_mib = {roll_mib}
format = "{format}"

[service]
grace_secs = {grace}
memory_mib = {memory}
max_backoff_secs = 2
stall_secs = {stall}
partition_poll_secs = {poll}
listen = "{listen}"
lag_poll_secs = {lag_poll}
{roll_idle}"#,
            hub = self.hub,
            endpoint = self.endpoint,
            auth = self.auth,
            prefetch = self.prefetch_mib,
            memory = self.memory_mib,
            store = self.checkpoint_store,
            strategy = self.strategy,
            update = self.update_interval_secs,
            expiry = self.ownership_expiry_secs,
            lake = self.lake,
            roll_secs = self.roll_secs,
            roll_mib = self.roll_mib,
            grace = self.grace_secs,
            stall = self.stall_secs,
            poll = self.partition_poll_secs,
            format = self.lake_format,
            listen = self.listen,
            lag_poll = self.lag_poll_secs,
        )
    }

    pub fn write(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.toml()).unwrap();
        path.to_path_buf()
    }
}

/// `aad-ingest run` as a child process; its stderr goes to a log file that survives restarts.
pub struct Service {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Service {
    pub fn start(config: &Path, env: &[(String, String)], log: &Path) -> Service {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(aad_ingest_bin())
            .args(["--log-format", "text", "run", "-c"])
            .arg(config)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "AAD_LOG",
                std::env::var("AAD_TEST_LOG").unwrap_or_else(|_| "aad_ingest=info,warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start aad-ingest run");
        Service {
            child: Some(child),
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no chance to flush or checkpoint.
    pub fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait: the exit code and how long the stop took.
    pub fn terminate(mut self, within: Duration) -> (Option<i32>, Duration) {
        let mut child = self.child.take().expect("running");
        let start = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.code(), start.elapsed());
            }
            if start.elapsed() > within {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "aad-ingest run did not stop within {within:?}; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address `service.listen` bound (port 0 picks a free one), from the last start's
    /// log line; waits for it.
    pub fn http_address(&self, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let found = text
                .rsplit("serving /metrics")
                .next()
                .filter(|_| text.contains("serving /metrics"));
            if let Some(addr) = found
                .and_then(|rest| rest.split("address=").nth(1))
                .and_then(|a| a.split_whitespace().next())
            {
                return addr.to_string();
            }
            assert!(
                start.elapsed() < within,
                "the service did not say where it serves /metrics within {within:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status once it has exited by itself.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().unwrap())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            // A failing test shows what the service said.
            if std::thread::panicking() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                eprintln!("--- {} (last lines) ---", self.log.display());
                for l in &lines[lines.len().saturating_sub(80)..] {
                    eprintln!("{l}");
                }
                keep_log(&self.log);
            }
        }
    }
}

/// Copy a whole log into the directory `AAD_TEST_KEEP` names, if set: for a failure that the
/// last lines printed do not explain, once the test's temporary directory is gone.
pub fn keep_log(log: &Path) {
    let Some(dir) = std::env::var_os("AAD_TEST_KEEP") else {
        return;
    };
    let stem = log.file_stem().unwrap_or_default().to_string_lossy();
    let kept = Path::new(&dir).join(format!("{stem}-{}.log", std::process::id()));
    if std::fs::copy(log, &kept).is_ok() {
        eprintln!(
            "--- the whole of {} is kept in {} ---",
            log.display(),
            kept.display()
        );
    }
}

/// Poll `check` until it returns `Some`, or panic with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, check: impl FnMut() -> Option<T>) -> T {
    poll_every(Duration::from_millis(300), what, timeout, check)
}

/// [`wait_for`], polling every `interval` (a benchmark's end wants finer than 300 ms).
pub fn poll_every<T>(
    interval: Duration,
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(interval);
    }
}

/// Poll `current` until it equals `want`, or panic with `what` and both values after `timeout`:
/// a checkpoint that never arrives says which partition stopped where.
pub fn wait_for_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    timeout: Duration,
    want: &T,
    mut current: impl FnMut() -> T,
) {
    let start = Instant::now();
    loop {
        let now = current();
        if now == *want {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}:\n now  {now:?}\n want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The checkpoint records of a consumer group in a local checkpoint directory or in Azurite:
/// partition → (offset, sequence number).
pub fn checkpoints_in(
    blobs: &BTreeMap<String, Blob>,
    prefix: &str,
) -> BTreeMap<String, (String, i64)> {
    blobs
        .iter()
        .filter_map(|(name, b)| {
            let partition = name.strip_prefix(prefix)?.strip_prefix("checkpoint/")?;
            let seq = b.metadata.get("sequencenumber")?.parse().ok()?;
            let offset = b.metadata.get("offset").cloned().unwrap_or_default();
            Some((partition.to_string(), (offset, seq)))
        })
        .collect()
}

/// Owners of a consumer group's partitions: partition → owner id ("" when released).
pub fn owners_in(blobs: &BTreeMap<String, Blob>, prefix: &str) -> BTreeMap<String, String> {
    blobs
        .iter()
        .filter_map(|(name, b)| {
            let partition = name.strip_prefix(prefix)?.strip_prefix("ownership/")?;
            Some((
                partition.to_string(),
                b.metadata.get("ownerid").cloned().unwrap_or_default(),
            ))
        })
        .collect()
}

/// A managed-identity token endpoint as App Service serves it (`IDENTITY_ENDPOINT` +
/// `IDENTITY_HEADER`, API version 2019-08-01), strict about what the Azure SDK must send: the
/// secret header, `metadata: true`, the API version and the Event Hubs resource. Anything else
/// gets a 400 and is counted as refused.
pub struct TokenEndpoint {
    pub port: u16,
    pub served: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub refused: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl TokenEndpoint {
    pub const PATH: &'static str = "/msi/token";

    pub fn start(identity_header: &str, access_token: &str) -> TokenEndpoint {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (ok, bad) = (served.clone(), refused.clone());
        let (secret, token) = (identity_header.to_string(), access_token.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                    }
                }
                let header = |k: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.as_str())
                };
                let target = request_line.split_whitespace().nth(1).unwrap_or("");
                let valid = request_line.starts_with("GET ")
                    && target.starts_with(&format!("{}?", Self::PATH))
                    && target.contains("api-version=2019-08-01")
                    && target.contains("resource=https%3A%2F%2Feventhubs.azure.net")
                    && header("x-identity-header") == Some(secret.as_str())
                    && header("metadata") == Some("true");
                let expires = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 3600;
                let (status, body) = if valid {
                    ok.fetch_add(1, Ordering::Relaxed);
                    (
                        "200 OK",
                        format!(
                            r#"{{"access_token":"{token}","expires_on":"{expires}","resource":"https://eventhubs.azure.net","token_type":"Bearer","client_id":"00000000-0000-0000-0000-000000000001"}}"#
                        ),
                    )
                } else {
                    bad.fetch_add(1, Ordering::Relaxed);
                    (
                        "400 Bad Request",
                        r#"{"error":"invalid_request"}"#.to_string(),
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenEndpoint {
            port,
            served,
            refused,
        }
    }

    /// The environment that points azure_identity's managed identity credential here.
    pub fn env(&self, identity_header: &str) -> Vec<(String, String)> {
        vec![
            (
                "IDENTITY_ENDPOINT".into(),
                format!("http://127.0.0.1:{}{}", self.port, Self::PATH),
            ),
            ("IDENTITY_HEADER".into(), identity_header.into()),
        ]
    }
}
