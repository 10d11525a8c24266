//! The service's configuration file (`aad-ingest run -c <config.toml>`): what the user writes,
//! checked at start so that a bad file is refused with the field and the reason before anything
//! connects. Secrets are never in the file: it names the environment variables that hold them.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

pub use crate::destination::loganalytics::MAX_REQUEST_BYTES;
use crate::sink::parquet::{DEFAULT_FILE_MIB, DEFAULT_ZSTD_LEVEL};

/// The whole file. `run` needs `[source]` and `[checkpoint]`; `convert -c` reads the same file
/// for its destinations and ignores them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default)]
    pub source: Option<SourceConfig>,
    #[serde(default)]
    pub checkpoint: Option<CheckpointConfig>,
    /// Shorthand for one lake destination named `lake` that takes every table.
    #[serde(default)]
    pub lake: Option<LakeConfig>,
    #[serde(default)]
    pub destination: Vec<DestinationConfig>,
    /// Where dead letters go when there is no lake (with a lake, under its root).
    #[serde(default)]
    pub dead_letter: Option<DeadLetterConfig>,
    /// Tables that no destination receives, on purpose. Any other table without a route is
    /// refused at start: nothing disappears silently.
    #[serde(default)]
    pub drop: Vec<String>,
    #[serde(default)]
    pub service: ServiceConfig,
}

/// One `[[destination]]`: where rows go, and which.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DestinationConfig {
    Lake(LakeDestinationConfig),
    Loganalytics(LogAnalyticsConfig),
}

impl DestinationConfig {
    pub fn name(&self) -> &str {
        match self {
            DestinationConfig::Lake(l) => &l.name,
            DestinationConfig::Loganalytics(l) => &l.name,
        }
    }
    pub fn routes(&self) -> &[RouteConfig] {
        match self {
            DestinationConfig::Lake(l) => &l.route,
            DestinationConfig::Loganalytics(l) => &l.route,
        }
    }
}

/// A lake destination: the keys of `[lake]` (segment settings live in `[service]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LakeDestinationConfig {
    pub name: String,
    /// A local directory or an object-store URL.
    pub out: String,
    #[serde(default)]
    pub nanos: bool,
    #[serde(default = "default_zstd")]
    pub zstd_level: i32,
    /// `parquet` (Hive directories of files) or `delta` (a Delta table per Log Analytics table).
    #[serde(default)]
    pub format: LakeFormat,
    /// Without routes, every table.
    #[serde(default)]
    pub route: Vec<RouteConfig>,
}

/// A Log Analytics workspace through the Logs Ingestion API.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogAnalyticsConfig {
    pub name: String,
    /// The data collection endpoint, or the DCR's own logs ingestion endpoint
    /// (`https://…ingest.monitor.azure.com`); `http://` only for loopback addresses.
    pub endpoint: String,
    /// The DCR's immutable id (`dcr-…`); a route may set its own.
    #[serde(default)]
    pub dcr_immutable_id: Option<String>,
    pub auth: AuthConfig,
    /// Token audience: `https://monitor.azure.com` (public cloud), `https://monitor.azure.us`,
    /// `https://monitor.azure.cn`.
    #[serde(default = "default_audience")]
    pub audience: String,
    /// Requests in flight at once.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// Uncompressed JSON bytes per request; the API's limit (1,000,000) is also the ceiling.
    #[serde(default = "default_max_request_bytes")]
    pub max_request_bytes: usize,
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: f64,
    /// `convert` only: how long to keep retrying a refused token (401/403: role assignments
    /// take up to 30 minutes to apply) before failing. `run` retries until stopped.
    #[serde(default = "default_auth_wait_secs")]
    pub auth_wait_secs: f64,
    pub route: Vec<RouteConfig>,
}

/// Which tables a destination receives, and which of their rows.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Log Analytics table names; `"*"` for every table.
    pub tables: Vec<String>,
    /// A SQL boolean expression over the table's columns; rows where it is true are sent.
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
    /// Log Analytics only: the DCR input stream (default `Custom-<Table>`).
    #[serde(default)]
    pub stream: Option<String>,
    /// Log Analytics only: this route's DCR, when tables span several.
    #[serde(default)]
    pub dcr_immutable_id: Option<String>,
    /// Log Analytics only: `"asim"` sends the tables' rows as ASIM events (see
    /// `aad_schemas::asim`) instead of their own columns.
    #[serde(default)]
    pub schema: Option<RouteSchema>,
}

/// What a route sends: ASIM rows to the built-in ASIM tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteSchema {
    Asim,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// A local directory or an object-store URL.
    pub out: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub eventhubs: EventHubsConfig,
}

/// Where events come from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventHubsConfig {
    /// `<name>.servicebus.windows.net`. Taken from the connection string when that is the
    /// authentication and this is left out.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The event hub the diagnostic setting streams to.
    pub hub: String,
    #[serde(default = "default_consumer_group")]
    pub consumer_group: String,
    /// Where a partition starts when it has no checkpoint: `earliest`, `latest`, or an RFC 3339
    /// time.
    #[serde(default = "default_start")]
    pub start: String,
    /// `amqp` (port 5671) or `websocket` (443, for networks that block 5671).
    #[serde(default = "default_transport")]
    pub transport: String,
    /// A custom AMQP endpoint such as `amqp://localhost:5672` (the Event Hubs emulator, or a
    /// test broker); plain TCP. Leave out for Azure.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// How long the hub keeps events: a checkpoint held back (a destination down) for most of
    /// this is warned about, since events past it are lost.
    #[serde(default = "default_retention_hours")]
    pub retention_hours: f64,
    /// Bound on the bytes received ahead of processing (prefetched, or waiting for the
    /// pipeline), per partition.
    #[serde(default = "default_prefetch_mib")]
    pub prefetch_mib: usize,
    pub auth: AuthConfig,
}

/// How to authenticate to Event Hubs. Secrets come from the environment variables named here.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    /// A namespace or hub connection string (`Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…`).
    ConnectionString {
        #[serde(default = "default_connection_string_env")]
        env: String,
    },
    /// A shared access signature token (`SharedAccessSignature sr=…`).
    Sas {
        #[serde(default = "default_sas_env")]
        env: String,
    },
    /// An Entra ID app registration with a client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        #[serde(default = "default_client_secret_env")]
        secret_env: String,
    },
    /// The managed identity of the VM, App Service or container; a user-assigned one by client id.
    ManagedIdentity {
        #[serde(default)]
        client_id: Option<String>,
    },
    /// Kubernetes workload identity (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_FEDERATED_TOKEN_FILE` set by the webhook).
    WorkloadIdentity,
    /// The signed-in Azure CLI (`az login`), for a developer's machine.
    AzureCli,
}

/// Where partition ownership and checkpoints live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// A container URL (`az://checkpoints`, `s3://…`, `gs://…`) with the blob layout the other
    /// Azure SDKs use, or a local directory for a single box.
    pub store: String,
    /// This replica's owner id in ownership records. Keep it stable across restarts so that a
    /// restarted replica takes its partitions straight back; defaults to the host name (the
    /// pod's name on Kubernetes).
    #[serde(default)]
    pub owner_id: Option<String>,
    /// `balanced` (one partition per round, gentle) or `greedy` (everything at once).
    #[serde(default = "default_strategy")]
    pub strategy: String,
    /// Seconds between load-balancing rounds (each also renews ownership).
    #[serde(default = "default_update_secs")]
    pub update_interval_secs: f64,
    /// Seconds after which an ownership that was not renewed may be taken.
    #[serde(default = "default_expiry_secs")]
    pub ownership_expiry_secs: f64,
}

impl CheckpointConfig {
    /// This replica's owner id: as configured, else the host name.
    pub fn owner_id(&self) -> String {
        self.owner_id.clone().unwrap_or_else(default_owner_id)
    }
}

/// The Parquet lake.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LakeConfig {
    /// A local directory or an object-store URL.
    pub out: String,
    /// Segment settings, accepted here as before; their home is `[service]`.
    #[serde(default)]
    pub roll_mib: Option<usize>,
    #[serde(default)]
    pub roll_secs: Option<f64>,
    #[serde(default)]
    pub nanos: bool,
    #[serde(default = "default_zstd")]
    pub zstd_level: i32,
    #[serde(default)]
    pub format: LakeFormat,
    /// ASIM tables the lake also keeps (`"Authentication"`, `"AuditEvent"`), made from the rows
    /// of the tables it receives, with the columns Sentinel's ASIM tables have.
    #[serde(default)]
    pub asim: Vec<String>,
}

/// How a lake is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LakeFormat {
    /// `table=<T>/date=…/hour=…/*.parquet`, for any Parquet reader.
    #[default]
    Parquet,
    /// `<T>/` Delta tables, committed with the Delta protocol (Fabric, Databricks, Spark).
    Delta,
}

/// How the service behaves.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// On SIGTERM/SIGINT: time to flush, checkpoint and release ownership before exiting.
    #[serde(default = "default_grace_secs")]
    pub grace_secs: f64,
    /// Bound on the events held in memory across partitions before they are written: a
    /// quarter for events read ahead, the rest for decoded rows (see [`Self::read_ahead_mib`]).
    #[serde(default = "default_memory_mib")]
    pub memory_mib: usize,
    /// Longest wait between retries of a failing dependency.
    #[serde(default = "default_max_backoff_secs")]
    pub max_backoff_secs: f64,
    /// A partition's events are made durable at every destination (and then checkpointed) once
    /// this many MiB of events have gathered ...
    #[serde(default)]
    pub roll_mib: Option<usize>,
    /// ... or once the oldest waited this long, so a quiet hub still lands its rows.
    #[serde(default)]
    pub roll_secs: Option<f64>,
    /// ... or once its partition delivered nothing for this long (unset: never). Once a hub is
    /// drained its rows land and the checkpoint reaches the hub's end within this time instead
    /// of `roll_secs` (a backfill or load test ends sooner; KEDA sees the lag at zero). The
    /// price is smaller files when events arrive further apart than this.
    #[serde(default)]
    pub roll_idle_secs: Option<f64>,
    /// A partition whose receiver delivered nothing for this long while the hub holds later
    /// events is stalled; the connection is then opened again (see `service::watchdog`).
    #[serde(default = "default_stall_secs")]
    pub stall_secs: f64,
    /// How often the hub is asked whether it gained partitions (Event Hubs can add them to a
    /// running hub); new ones are taken without a restart of the process.
    #[serde(default = "default_partition_poll_secs")]
    pub partition_poll_secs: f64,
    /// Address of the HTTP endpoint serving `/metrics`, `/healthz` and `/readyz` (loopback by
    /// default; `0.0.0.0:9464` in a container; port 0 picks a free one; `""` turns it off).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// How often the hub is asked for its partitions' last events, for the lag gauges.
    #[serde(default = "default_lag_poll_secs")]
    pub lag_poll_secs: f64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            grace_secs: default_grace_secs(),
            memory_mib: default_memory_mib(),
            max_backoff_secs: default_max_backoff_secs(),
            stall_secs: default_stall_secs(),
            partition_poll_secs: default_partition_poll_secs(),
            listen: default_listen(),
            lag_poll_secs: default_lag_poll_secs(),
            roll_mib: None,
            roll_secs: None,
            roll_idle_secs: None,
        }
    }
}

impl ServiceConfig {
    /// The share of `memory_mib` for events received ahead of the pipelines, all partitions'
    /// together (see `source::eventhubs::ReadAhead`).
    pub fn read_ahead_mib(&self) -> usize {
        self.memory_mib / 4
    }

    /// The rest, in bytes: decoded rows and dead letters held in segments, counted until their
    /// commit ends. Past it, segments commit early.
    pub fn segments_budget(&self) -> usize {
        (self.memory_mib - self.read_ahead_mib()) << 20
    }
}

fn default_consumer_group() -> String {
    "$Default".into()
}
fn default_start() -> String {
    "earliest".into()
}
fn default_transport() -> String {
    "amqp".into()
}
fn default_retention_hours() -> f64 {
    24.0
}
fn default_prefetch_mib() -> usize {
    16
}
fn default_connection_string_env() -> String {
    "EVENTHUB_CONNECTION_STRING".into()
}
fn default_sas_env() -> String {
    "EVENTHUB_SAS_TOKEN".into()
}
fn default_client_secret_env() -> String {
    "AZURE_CLIENT_SECRET".into()
}
fn default_strategy() -> String {
    "balanced".into()
}
fn default_update_secs() -> f64 {
    10.0
}
fn default_expiry_secs() -> f64 {
    60.0
}
fn default_roll_mib() -> usize {
    32
}
fn default_roll_secs() -> f64 {
    60.0
}
fn default_zstd() -> i32 {
    DEFAULT_ZSTD_LEVEL
}
fn default_audience() -> String {
    "https://monitor.azure.com".into()
}
fn default_max_concurrency() -> usize {
    4
}
fn default_max_request_bytes() -> usize {
    MAX_REQUEST_BYTES
}
fn default_request_timeout_secs() -> f64 {
    30.0
}
fn default_auth_wait_secs() -> f64 {
    120.0
}
fn default_grace_secs() -> f64 {
    30.0
}
fn default_memory_mib() -> usize {
    512
}
fn default_max_backoff_secs() -> f64 {
    30.0
}
fn default_stall_secs() -> f64 {
    60.0
}
fn default_partition_poll_secs() -> f64 {
    60.0
}
fn default_listen() -> String {
    "127.0.0.1:9464".into()
}
fn default_lag_poll_secs() -> f64 {
    15.0
}

/// Where a partition with no checkpoint starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    /// Milliseconds since the epoch.
    Time(i64),
}

/// What a config file is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `run`: `[source]` and `[checkpoint]` are required.
    Run,
    /// `convert -c`: only the destinations matter; `extra_lake` says `--out` adds a lake.
    Convert { extra_lake: bool },
}

/// The name `[lake]` and `convert --out` give their lake destination.
pub const LAKE_NAME: &str = "lake";

impl RunConfig {
    /// Read and check a config file for `run`. Errors name the field and the reason.
    pub fn load(path: &Path) -> Result<RunConfig> {
        Self::load_for(path, Purpose::Run)
    }

    pub fn load_for(path: &Path, purpose: Purpose) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        Self::parse_for(&text, purpose)
            .with_context(|| format!("config {} refused", path.display()))
    }

    pub fn parse(text: &str) -> Result<RunConfig> {
        Self::parse_for(text, Purpose::Run)
    }

    pub fn parse_for(text: &str, purpose: Purpose) -> Result<RunConfig> {
        // The error names the key path and the reason, never the line's text (a secret pasted
        // into the file would be on it).
        let config: RunConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            let at = e
                .span()
                .map(|span| key_path_at(text, offending_key(text, span, &message)));
            match at {
                Some(path) if !path.is_empty() => anyhow::anyhow!("{path}: {message}"),
                _ => anyhow::anyhow!("{message}"),
            }
        })?;
        config.check(purpose)?;
        Ok(config)
    }

    /// The config as it takes effect (defaults filled in), as TOML, with anything shaped like a
    /// secret masked.
    pub fn effective(&self) -> Result<String> {
        let mut effective = self.clone();
        if let Some(cp) = effective.checkpoint.as_mut() {
            cp.owner_id = Some(cp.owner_id());
        }
        let text = toml::to_string_pretty(&effective).context("rendering the config")?;
        Ok(crate::ops::logs::redact(&text).into_owned())
    }

    /// The source, for `run` (checked present at load).
    pub fn eventhubs(&self) -> &EventHubsConfig {
        &self.source.as_ref().expect("checked at load").eventhubs
    }

    /// The checkpoint store, for `run` (checked present at load).
    pub fn checkpoint(&self) -> &CheckpointConfig {
        self.checkpoint.as_ref().expect("checked at load")
    }

    fn check(&self, purpose: Purpose) -> Result<()> {
        if purpose == Purpose::Run {
            let Some(source) = &self.source else {
                bail!("source.eventhubs: required by run (the event hub to drain)");
            };
            let Some(checkpoint) = &self.checkpoint else {
                bail!("checkpoint: required by run (where ownership and checkpoints live)");
            };
            Self::check_source(source, checkpoint)?;
        }
        if let Some(dl) = &self.dead_letter {
            crate::store::check(&dl.out).context("dead_letter.out")?;
        }
        // `lake.out` and `lake.zstd_level` are checked with every lake destination (`route::check`).
        if let Some(lake) = &self.lake {
            for (key, lake_value, service_value) in [
                (
                    "roll_mib",
                    lake.roll_mib.map(|v| v as f64),
                    self.service.roll_mib.map(|v| v as f64),
                ),
                ("roll_secs", lake.roll_secs, self.service.roll_secs),
            ] {
                if lake_value.is_some() && service_value.is_some() {
                    bail!("lake.{key}: also set as service.{key}; segment settings apply to every destination and live in [service]");
                }
            }
        }
        let roll_mib = self.roll_mib();
        if roll_mib == 0 || roll_mib > DEFAULT_FILE_MIB {
            bail!("service.roll_mib: must be between 1 and {DEFAULT_FILE_MIB}");
        }
        positive(self.roll_age().as_secs_f64(), "service.roll_secs")?;
        if let Some(idle) = self.service.roll_idle_secs {
            positive(idle, "service.roll_idle_secs")?;
            if idle >= self.roll_age().as_secs_f64() {
                bail!("service.roll_idle_secs: must be shorter than roll_secs ({}), which commits the segment first", self.roll_age().as_secs_f64());
            }
        }
        crate::route::check(self, purpose)?;
        positive(self.service.grace_secs, "service.grace_secs")?;
        positive(self.service.max_backoff_secs, "service.max_backoff_secs")?;
        positive(self.service.stall_secs, "service.stall_secs")?;
        positive(
            self.service.partition_poll_secs,
            "service.partition_poll_secs",
        )?;
        positive(self.service.lag_poll_secs, "service.lag_poll_secs")?;
        let listen = self.service.listen.trim();
        if !listen.is_empty() && listen.parse::<std::net::SocketAddr>().is_err() {
            bail!("service.listen: {listen:?} is not an address:port (e.g. 127.0.0.1:9464, or \"\" to turn the endpoint off)");
        }
        if self.service.memory_mib < 16 {
            bail!("service.memory_mib: must be at least 16");
        }
        Ok(())
    }

    fn check_source(source: &SourceConfig, checkpoint: &CheckpointConfig) -> Result<()> {
        let eh = &source.eventhubs;
        if eh.hub.trim().is_empty() {
            bail!("source.eventhubs.hub: must name the event hub");
        }
        if eh.consumer_group.trim().is_empty() {
            bail!("source.eventhubs.consumer_group: must not be empty");
        }
        start_at(eh)?;
        if !matches!(eh.transport.as_str(), "amqp" | "websocket") {
            bail!(
                "source.eventhubs.transport: {:?} is not one of amqp, websocket",
                eh.transport
            );
        }
        if let Some(ep) = &eh.endpoint {
            if !(ep.starts_with("amqp://") || ep.starts_with("amqps://")) {
                bail!("source.eventhubs.endpoint: {ep:?} must be an amqp:// or amqps:// URL");
            }
        }
        if eh.prefetch_mib == 0 {
            bail!("source.eventhubs.prefetch_mib: must be at least 1");
        }
        check_auth(&eh.auth, "source.eventhubs.auth")?;
        let needs_namespace = !matches!(eh.auth, AuthConfig::ConnectionString { .. });
        if needs_namespace && eh.namespace.as_deref().is_none_or(|n| n.trim().is_empty()) {
            bail!("source.eventhubs.namespace: required with this auth method (e.g. myns.servicebus.windows.net)");
        }
        let cp = checkpoint;
        crate::store::check(&cp.store).context("checkpoint.store")?;
        if !matches!(cp.strategy.as_str(), "balanced" | "greedy") {
            bail!(
                "checkpoint.strategy: {:?} is not one of balanced, greedy",
                cp.strategy
            );
        }
        if cp.owner_id.as_deref().is_some_and(|o| o.trim().is_empty()) {
            bail!("checkpoint.owner_id: must not be empty when set");
        }
        positive(cp.update_interval_secs, "checkpoint.update_interval_secs")?;
        positive(cp.ownership_expiry_secs, "checkpoint.ownership_expiry_secs")?;
        if cp.ownership_expiry_secs <= cp.update_interval_secs {
            bail!("checkpoint.ownership_expiry_secs: must be longer than update_interval_secs, or ownership lapses between renewals");
        }
        Ok(())
    }

    pub fn start_at(&self) -> Result<StartAt> {
        start_at(self.eventhubs())
    }

    /// MiB of events that close a segment: `[service]`, else `[lake]` (the older home), else 32.
    pub fn roll_mib(&self) -> usize {
        self.service
            .roll_mib
            .or(self.lake.as_ref().and_then(|l| l.roll_mib))
            .unwrap_or_else(default_roll_mib)
    }
    /// Age that closes a segment, found like [`Self::roll_mib`].
    pub fn roll_age(&self) -> Duration {
        let secs = self
            .service
            .roll_secs
            .or(self.lake.as_ref().and_then(|l| l.roll_secs))
            .unwrap_or_else(default_roll_secs);
        Duration::from_secs_f64(if secs.is_finite() && secs > 0.0 {
            secs
        } else {
            0.0
        })
    }
    /// Silence that closes a segment, when set.
    pub fn roll_idle(&self) -> Option<Duration> {
        self.service.roll_idle_secs.map(Duration::from_secs_f64)
    }
    pub fn grace(&self) -> Duration {
        Duration::from_secs_f64(self.service.grace_secs)
    }
    pub fn stall(&self) -> Duration {
        Duration::from_secs_f64(self.service.stall_secs)
    }
    pub fn partition_poll(&self) -> Duration {
        Duration::from_secs_f64(self.service.partition_poll_secs)
    }
}

/// The owner id of a replica that does not set one: the host name, which is the pod's name on
/// Kubernetes (so a restarted pod of a StatefulSet takes its partitions straight back, and
/// replicas of a Deployment differ). Two processes on one host need `checkpoint.owner_id`: the
/// second is refused at start (see `service::owner`).
fn default_owner_id() -> String {
    let mut host = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    if unsafe { libc::gethostname(host.as_mut_ptr().cast(), host.len()) } == 0 {
        let end = host.iter().position(|&b| b == 0).unwrap_or(host.len());
        let name = String::from_utf8_lossy(&host[..end]).trim().to_string();
        if !name.is_empty() {
            return name;
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "aad-ingest".into())
}

fn start_at(eh: &EventHubsConfig) -> Result<StartAt> {
    let s = eh.start.trim();
    match s {
        "earliest" => Ok(StartAt::Earliest),
        "latest" => Ok(StartAt::Latest),
        _ => match aad_schemas::time::parse_timestamp(s) {
            Some(ns) => Ok(StartAt::Time(ns.div_euclid(1_000_000))),
            None => {
                bail!("source.eventhubs.start: {s:?} is not earliest, latest or an RFC 3339 time")
            }
        },
    }
}

/// An Entra ID or SAS method's own settings; `field` is the key path (`destination[1].auth`).
pub fn check_auth(auth: &AuthConfig, field: &str) -> Result<()> {
    match auth {
        AuthConfig::ConnectionString { env } | AuthConfig::Sas { env } => {
            require_env(env, &format!("{field}.env"))?;
        }
        AuthConfig::ClientSecret {
            tenant_id,
            client_id,
            secret_env,
        } => {
            if tenant_id.trim().is_empty() {
                bail!("{field}.tenant_id: must not be empty");
            }
            if client_id.trim().is_empty() {
                bail!("{field}.client_id: must not be empty");
            }
            require_env(secret_env, &format!("{field}.secret_env"))?;
        }
        AuthConfig::ManagedIdentity { .. }
        | AuthConfig::WorkloadIdentity
        | AuthConfig::AzureCli => {}
    }
    Ok(())
}

/// Where in `span` the error is: toml reports errors inside a tagged table (a `[[destination]]`)
/// at the whole table; the key an unknown field names, or the value a type error quotes, is
/// found in it.
fn offending_key(text: &str, span: std::ops::Range<usize>, message: &str) -> usize {
    let start = span.start.min(text.len());
    let mut end = span.end.min(text.len());
    // A span of a table's header only: the table runs to the next header that is not its child.
    let header = text[start..end]
        .trim()
        .trim_matches(|c| c == '[' || c == ']');
    if !header.is_empty() && text[start..].starts_with('[') {
        let mut at = end;
        for line in text[end..].split_inclusive('\n') {
            let t = line.trim();
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            if t.starts_with('[') && !name.starts_with(&format!("{header}.")) {
                break;
            }
            at += line.len();
        }
        end = at;
    }
    let region = &text[start..end];
    let needle = if let Some(rest) = message.strip_prefix("unknown field `") {
        rest.split('`').next().map(|k| (k.to_string(), true))
    } else if let Some(rest) = message.split("invalid type: string ").nth(1) {
        rest.split(", expected")
            .next()
            .map(|v| (v.to_string(), false))
    } else {
        None
    };
    let found = needle.and_then(|(n, is_key)| {
        region.match_indices(n.as_str()).map(|(i, _)| i).find(|&i| {
            let line_start = region[..i].rfind('\n').map_or(0, |p| p + 1);
            let before = region[line_start..i].trim();
            if is_key {
                before.is_empty() && region[i + n.len()..].trim_start().starts_with('=')
            } else {
                before.ends_with('=')
            }
        })
    });
    start + found.unwrap_or(0)
}

/// The key path of what starts at byte `at` of a TOML file: the last table header before it
/// (an array of tables counted, `destination[1]`) and the key on its line.
fn key_path_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let mut table = String::new();
    let mut arrays: std::collections::HashMap<String, usize> = Default::default();
    let mut key = String::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = *arrays
                .entry(name.clone())
                .and_modify(|n| *n += 1)
                .or_insert(0);
            // A parent's new element starts its child arrays again.
            arrays.retain(|k, _| !k.starts_with(&format!("{name}.")));
            // `[[destination.route]]` is the route array of the last destination.
            table = match name.rsplit_once('.') {
                Some((parent, leaf)) if arrays.contains_key(parent) => {
                    format!("{parent}[{}].{leaf}[{n}]", arrays[parent])
                }
                _ => format!("{name}[{n}]"),
            };
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = name.trim().to_string();
        } else if line_start + line.len() > at {
            key = t
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_string())
                .unwrap_or_default();
        }
        line_start += line.len();
        if line_start > at {
            break;
        }
    }
    match (table.is_empty(), key.is_empty()) {
        (_, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    }
}

/// A portable environment variable name (POSIX: letters, digits, `_`, not starting with a digit).
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

pub fn positive(v: f64, field: &str) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        bail!("{field}: must be a positive number of seconds");
    }
    Ok(())
}

/// The variable must be set; its value is never shown. A value that cannot be a variable's
/// name is most likely a secret pasted into the file: refused without repeating it.
fn require_env(name: &str, field: &str) -> Result<()> {
    if !is_env_name(name) {
        crate::ops::logs::register_secret(name);
        bail!("{field}: must name the environment variable that holds the secret, and this value is no variable name (it looks like the secret itself: remove it from the file, rotate it, and put it in a variable)");
    }
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(()),
        _ => bail!("{field}: environment variable {name} is not set"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[source.eventhubs]
namespace = "ns.servicebus.windows.net"
hub = "entra"
auth = { method = "managed_identity" }
[checkpoint]
store = "az://checkpoints"
[lake]
out = "lake"
"#;

    #[test]
    fn defaults_fill_in() {
        let c = RunConfig::parse(GOOD).unwrap();
        assert_eq!(c.eventhubs().consumer_group, "$Default");
        assert_eq!(c.start_at().unwrap(), StartAt::Earliest);
        assert_eq!(c.roll_age(), std::time::Duration::from_secs(60));
        assert_eq!(c.service.grace_secs, 30.0);
        assert_eq!(c.stall(), std::time::Duration::from_secs(60));
    }

    fn refused(text: &str) -> String {
        format!("{:#}", RunConfig::parse(text).unwrap_err())
    }

    #[test]
    fn bad_fields_are_named() {
        let e = refused(&GOOD.replace("hub = \"entra\"\n", ""));
        assert!(e.contains("missing field `hub`"), "{e}");
        let e = refused(&GOOD.replace("[lake]", "[lake]\nrol_mib = 3"));
        assert!(e.contains("unknown field `rol_mib`"), "{e}");
        let e = refused(&GOOD.replace("managed_identity", "password"));
        assert!(e.contains("unknown variant `password`"), "{e}");
        let e = refused(&GOOD.replace("hub = \"entra\"", "hub = \"entra\"\nstart = \"yesterday\""));
        assert!(e.starts_with("source.eventhubs.start:"), "{e}");
        let e = refused(&GOOD.replace("[checkpoint]", "[checkpoint]\nownership_expiry_secs = 5"));
        assert!(e.starts_with("checkpoint.ownership_expiry_secs:"), "{e}");
        let e = refused(&format!("{GOOD}\n[service]\nstall_secs = 0\n"));
        assert_eq!(
            e,
            "service.stall_secs: must be a positive number of seconds"
        );
        let e = refused(&format!("{GOOD}\n[service]\nroll_idle_secs = -1\n"));
        assert_eq!(
            e,
            "service.roll_idle_secs: must be a positive number of seconds"
        );
        let e = refused(&format!(
            "{GOOD}\n[service]\nroll_secs = 5\nroll_idle_secs = 5\n"
        ));
        assert!(
            e.starts_with("service.roll_idle_secs: must be shorter than roll_secs (5)"),
            "{e}"
        );
        let c = RunConfig::parse(&format!("{GOOD}\n[service]\nroll_idle_secs = 0.5\n")).unwrap();
        assert_eq!(c.roll_idle(), Some(std::time::Duration::from_millis(500)));
        assert_eq!(RunConfig::parse(GOOD).unwrap().roll_idle(), None);
        let e = refused(&GOOD.replace(
            "auth = { method = \"managed_identity\" }",
            "auth = { method = \"connection_string\", env = \"AAD_TEST_SURELY_UNSET\" }",
        ));
        assert_eq!(
            e,
            "source.eventhubs.auth.env: environment variable AAD_TEST_SURELY_UNSET is not set"
        );
    }

    #[test]
    fn the_example_config_is_valid() {
        let c = RunConfig::parse(include_str!("../../config/run.example.toml")).unwrap();
        assert_eq!(c.checkpoint().owner_id, None);
        assert_eq!(c.roll_mib(), 32);
    }

    #[test]
    fn start_time_parses() {
        let c = RunConfig::parse(&GOOD.replace(
            "hub = \"entra\"",
            "hub = \"entra\"\nstart = \"2026-11-27T10:00:00Z\"",
        ))
        .unwrap();
        assert_eq!(c.start_at().unwrap(), StartAt::Time(1_795_773_600_000));
    }

    const LA: &str = r#"
[[destination]]
name = "sentinel"
kind = "loganalytics"
endpoint = "https://dce.westeurope-1.ingest.monitor.azure.com"
dcr_immutable_id = "dcr-0123456789abcdef0123456789abcdef"
auth = { method = "managed_identity" }

[[destination.route]]
tables = ["SigninLogs", "AuditLogs"]

[[destination.route]]
tables = ["AADNonInteractiveUserSignInLogs"]
where = "ResultType <> '0'"
"#;

    #[test]
    fn destinations_and_routes_are_read() {
        let c = RunConfig::parse(&format!("{GOOD}{LA}")).unwrap();
        assert_eq!(c.destination.len(), 1);
        let DestinationConfig::Loganalytics(la) = &c.destination[0] else {
            panic!("kind")
        };
        assert_eq!(la.max_request_bytes, 1_000_000);
        assert_eq!(la.route[1].filter.as_deref(), Some("ResultType <> '0'"));
        // convert -c needs no source or checkpoint.
        let lake_and_la = format!("[lake]\nout = \"lake\"\n{LA}");
        RunConfig::parse_for(&lake_and_la, Purpose::Convert { extra_lake: false }).unwrap();
        let e = format!("{:#}", RunConfig::parse(&lake_and_la).unwrap_err());
        assert!(e.starts_with("source.eventhubs: required by run"), "{e}");
    }

    #[test]
    fn bad_routes_are_refused_with_their_key_path() {
        let with = |text: &str| refused(&format!("{GOOD}{text}"));
        let e = with(&LA.replace("ResultType <> '0'", "NoSuchColumn = 1"));
        assert!(e.starts_with("destination[0].route[1].where: column `NoSuchColumn` is not in table AADNonInteractiveUserSignInLogs"), "{e}");
        let e = with(&LA.replace("[\"AADNonInteractiveUserSignInLogs\"]", "[\"AuditLogs\"]"));
        assert!(
            e.contains("destination[0].route[1].tables: AuditLogs is already in another route"),
            "{e}"
        );
        let e = with(&LA.replace("[\"AADNonInteractiveUserSignInLogs\"]", "[\"NoSuchTable\"]"));
        assert!(
            e.starts_with("destination[0].route[1].tables: unknown table \"NoSuchTable\""),
            "{e}"
        );
        let e = with(&LA.replace(
            "{ method = \"managed_identity\" }",
            "{ method = \"connection_string\", env = \"PATH\" }",
        ));
        assert!(
            e.starts_with(
                "destination[0].auth.method: connection strings and SAS tokens are for Event Hubs"
            ),
            "{e}"
        );
        let e = with(&LA.replace("https://dce.westeurope-1", "http://dce.westeurope-1"));
        assert!(
            e.starts_with("destination[0].endpoint:") && e.contains("loopback"),
            "{e}"
        );
        RunConfig::parse(&format!(
            "{GOOD}{}",
            LA.replace(
                "https://dce.westeurope-1.ingest.monitor.azure.com",
                "http://127.0.0.1:8080"
            )
        ))
        .unwrap();
        let e = with(&LA.replace(
            "name = \"sentinel\"",
            "name = \"sentinel\"\nmax_request_bytes = 2000000",
        ));
        assert!(
            e.starts_with("destination[0].max_request_bytes: must be between"),
            "{e}"
        );
        let e = with(&LA.replace(
            "dcr_immutable_id = \"dcr-0123456789abcdef0123456789abcdef\"\n",
            "",
        ));
        assert!(
            e.starts_with("destination[0].route[0].dcr_immutable_id: required"),
            "{e}"
        );
        let e = with(&format!(
            "{LA}\n[[destination]]\nname = \"lake2\"\nkind = \"lake\"\nout = \"x\"\n"
        ));
        assert!(e.contains("a second lake destination"), "{e}");
        let e = refused(&format!("{GOOD}{LA}\n[service]\nroll_mib = 4\n").replace(
            "[lake]\nout = \"lake\"",
            "[lake]\nout = \"lake\"\nroll_mib = 8",
        ));
        assert!(
            e.starts_with("lake.roll_mib: also set as service.roll_mib"),
            "{e}"
        );
    }

    #[test]
    fn every_table_needs_a_route_or_a_drop() {
        let no_lake = GOOD.replace("[lake]\nout = \"lake\"\n", "");
        let e = refused(&format!("{no_lake}{LA}"));
        assert!(
            e.starts_with("route: no destination receives AADServicePrincipalSignInLogs"),
            "{e}"
        );
        let all_but_signins: Vec<&str> = aad_schemas::Catalogue::get()
            .tables
            .iter()
            .map(|t| t.name)
            .filter(|n| !["SigninLogs", "AuditLogs", "AADNonInteractiveUserSignInLogs"].contains(n))
            .collect();
        let drop = format!("drop = {all_but_signins:?}\n");
        let e = refused(&format!("{drop}{no_lake}{LA}"));
        assert!(
            e.starts_with("dead_letter.out: required when no lake"),
            "{e}"
        );
        RunConfig::parse(&format!("{drop}[dead_letter]\nout = \"dl\"\n{no_lake}{LA}")).unwrap();
        let e = refused(&format!("drop = [\"SigninLogs\"]\n{GOOD}{LA}"));
        assert!(e.starts_with("drop: SigninLogs is also routed"), "{e}");
    }

    #[test]
    fn the_route_example_is_valid() {
        let c = RunConfig::parse(include_str!("../../config/route.example.toml")).unwrap();
        assert_eq!(c.destination.len(), 2);
    }
}
