//! The service's configuration file (`aad-ingest run -c <config.toml>`): what the user writes,
//! checked at start so that a bad file is refused with the field and the reason before anything
//! connects. Secrets are never in the file: it names the environment variables that hold them.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::sink::parquet::{DEFAULT_FILE_MIB, DEFAULT_ZSTD_LEVEL};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub source: SourceConfig,
    pub checkpoint: CheckpointConfig,
    pub lake: LakeConfig,
    #[serde(default)]
    pub service: ServiceConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub eventhubs: EventHubsConfig,
}

/// Where events come from.
#[derive(Debug, Clone, Deserialize)]
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
    /// Bound on the bytes received ahead of processing, per partition.
    #[serde(default = "default_prefetch_mib")]
    pub prefetch_mib: usize,
    pub auth: AuthConfig,
}

/// How to authenticate to Event Hubs. Secrets come from the environment variables named here.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// A container URL (`az://checkpoints`, `s3://…`, `gs://…`) with the blob layout the other
    /// Azure SDKs use, or a local directory for a single box.
    pub store: String,
    /// This replica's owner id in ownership records. Keep it stable across restarts so that a
    /// restarted replica takes its partitions straight back; defaults to a random one.
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

/// The Parquet lake.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeConfig {
    /// A local directory or an object-store URL.
    pub out: String,
    /// A partition's rows are written (and then checkpointed) once this many MiB of events have
    /// gathered ...
    #[serde(default = "default_roll_mib")]
    pub roll_mib: usize,
    /// ... or once the oldest waited this long, so a quiet hub still lands its rows.
    #[serde(default = "default_roll_secs")]
    pub roll_secs: f64,
    #[serde(default)]
    pub nanos: bool,
    #[serde(default = "default_zstd")]
    pub zstd_level: i32,
}

/// How the service behaves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// On SIGTERM/SIGINT: time to flush, checkpoint and release ownership before exiting.
    #[serde(default = "default_grace_secs")]
    pub grace_secs: f64,
    /// Bound on the events held in memory across partitions before they are written.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: usize,
    /// Longest wait between retries of a failing dependency.
    #[serde(default = "default_max_backoff_secs")]
    pub max_backoff_secs: f64,
    /// A partition whose receiver delivered nothing for this long while the hub holds later
    /// events is stalled; the connection is then opened again (see `service::watchdog`).
    #[serde(default = "default_stall_secs")]
    pub stall_secs: f64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            grace_secs: default_grace_secs(),
            memory_mib: default_memory_mib(),
            max_backoff_secs: default_max_backoff_secs(),
            stall_secs: default_stall_secs(),
        }
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

/// Where a partition with no checkpoint starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    /// Milliseconds since the epoch.
    Time(i64),
}

impl RunConfig {
    /// Read and check a config file. Errors name the field and the reason.
    pub fn load(path: &Path) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("config {} refused", path.display()))
    }

    pub fn parse(text: &str) -> Result<RunConfig> {
        // toml's messages name the key and the line, and never echo a secret: there are none
        // in the file.
        let config: RunConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let eh = &self.source.eventhubs;
        if eh.hub.trim().is_empty() {
            bail!("source.eventhubs.hub: must name the event hub");
        }
        if eh.consumer_group.trim().is_empty() {
            bail!("source.eventhubs.consumer_group: must not be empty");
        }
        self.start_at()?;
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
        match &eh.auth {
            AuthConfig::ConnectionString { env } | AuthConfig::Sas { env } => {
                require_env(env, "source.eventhubs.auth.env")?;
            }
            AuthConfig::ClientSecret {
                tenant_id,
                client_id,
                secret_env,
            } => {
                if tenant_id.trim().is_empty() {
                    bail!("source.eventhubs.auth.tenant_id: must not be empty");
                }
                if client_id.trim().is_empty() {
                    bail!("source.eventhubs.auth.client_id: must not be empty");
                }
                require_env(secret_env, "source.eventhubs.auth.secret_env")?;
            }
            AuthConfig::ManagedIdentity { .. }
            | AuthConfig::WorkloadIdentity
            | AuthConfig::AzureCli => {}
        }
        let needs_namespace = !matches!(eh.auth, AuthConfig::ConnectionString { .. });
        if needs_namespace && eh.namespace.as_deref().is_none_or(|n| n.trim().is_empty()) {
            bail!("source.eventhubs.namespace: required with this auth method (e.g. myns.servicebus.windows.net)");
        }
        let cp = &self.checkpoint;
        if cp.store.trim().is_empty() {
            bail!("checkpoint.store: must be a container URL or a local directory");
        }
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
        if self.lake.out.trim().is_empty() {
            bail!("lake.out: must be a directory or an object-store URL");
        }
        if self.lake.roll_mib == 0 || self.lake.roll_mib > DEFAULT_FILE_MIB {
            bail!("lake.roll_mib: must be between 1 and {DEFAULT_FILE_MIB}");
        }
        positive(self.lake.roll_secs, "lake.roll_secs")?;
        if !(1..=22).contains(&self.lake.zstd_level) {
            bail!("lake.zstd_level: must be between 1 and 22");
        }
        positive(self.service.grace_secs, "service.grace_secs")?;
        positive(self.service.max_backoff_secs, "service.max_backoff_secs")?;
        positive(self.service.stall_secs, "service.stall_secs")?;
        if self.service.memory_mib < 16 {
            bail!("service.memory_mib: must be at least 16");
        }
        Ok(())
    }

    pub fn start_at(&self) -> Result<StartAt> {
        let s = self.source.eventhubs.start.trim();
        match s {
            "earliest" => Ok(StartAt::Earliest),
            "latest" => Ok(StartAt::Latest),
            _ => match aad_schemas::time::parse_timestamp(s) {
                Some(ns) => Ok(StartAt::Time(ns.div_euclid(1_000_000))),
                None => bail!(
                    "source.eventhubs.start: {s:?} is not earliest, latest or an RFC 3339 time"
                ),
            },
        }
    }

    pub fn roll_age(&self) -> Duration {
        Duration::from_secs_f64(self.lake.roll_secs)
    }
    pub fn grace(&self) -> Duration {
        Duration::from_secs_f64(self.service.grace_secs)
    }
    pub fn stall(&self) -> Duration {
        Duration::from_secs_f64(self.service.stall_secs)
    }
}

fn positive(v: f64, field: &str) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        bail!("{field}: must be a positive number of seconds");
    }
    Ok(())
}

/// The variable must be set; its value is never shown.
fn require_env(name: &str, field: &str) -> Result<()> {
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
        assert_eq!(c.source.eventhubs.consumer_group, "$Default");
        assert_eq!(c.start_at().unwrap(), StartAt::Earliest);
        assert_eq!(c.lake.roll_secs, 60.0);
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
        assert_eq!(c.checkpoint.owner_id.as_deref(), Some("aad-ingest-1"));
        assert_eq!(c.lake.roll_mib, 32);
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
}
