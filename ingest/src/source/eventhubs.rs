//! The Event Hubs source: the official client, authenticated as the config says, and its
//! `EventProcessor` balancing partitions across replicas through our checkpoint store.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use azure_core::credentials::TokenCredential;
use azure_core_amqp::AmqpTransport;
use azure_messaging_eventhubs::models::StartPositions;
use azure_messaging_eventhubs::{
    ConnectionString, ConsumerClient, EventProcessor, ProcessorStrategy, ProducerClient,
    StartLocation, StartPosition,
};

use crate::checkpoint::PartitionStore;
use crate::config::{AuthConfig, EventHubsConfig, RunConfig, StartAt};

/// Largest event body Event Hubs accepts (Standard tier and up: 1 MiB), used to turn the
/// prefetch budget in bytes into a count of events.
const MAX_EVENT_BYTES: usize = 1 << 20;

/// How a client of the hub authenticates, resolved from the config once for either client.
enum HubAuth {
    ConnectionString(String),
    Credential(String, Arc<dyn TokenCredential>),
}

fn hub_auth(cfg: &EventHubsConfig) -> Result<HubAuth> {
    Ok(match &cfg.auth {
        AuthConfig::ConnectionString { env } | AuthConfig::Sas { env } => {
            let secret = std::env::var(env).with_context(|| format!("{env} is not set"))?;
            let connection_string = match &cfg.auth {
                AuthConfig::Sas { .. } => format!(
                    "Endpoint=sb://{}/;SharedAccessSignature={};EntityPath={}",
                    cfg.namespace.as_deref().unwrap_or_default(),
                    secret.trim(),
                    cfg.hub
                ),
                _ => secret,
            };
            parse_connection_string(&connection_string, env)?;
            HubAuth::ConnectionString(connection_string)
        }
        _ => HubAuth::Credential(
            cfg.namespace.clone().unwrap_or_default(),
            crate::auth::credential(&cfg.auth, "source.eventhubs.auth")?,
        ),
    })
}

/// Opens a client of the hub with either builder (they share their methods, not a trait).
macro_rules! open_client {
    ($builder:expr, $cfg:expr) => {{
        let cfg: &EventHubsConfig = $cfg;
        let mut builder = $builder;
        if let Some(endpoint) = &cfg.endpoint {
            builder = builder.with_custom_endpoint(endpoint.clone());
        }
        if cfg.transport == "websocket" {
            builder = builder.with_transport(AmqpTransport::WebSocket);
        }
        match hub_auth(cfg)? {
            HubAuth::ConnectionString(connection_string) => builder
                .open_with_connection_string(&connection_string, Some(&cfg.hub))
                .await
                .map_err(|e| anyhow::anyhow!("{}", scrub(&e.to_string(), &connection_string)))
                .context("cannot connect to Event Hubs"),
            HubAuth::Credential(namespace, credential) => builder
                .open(&namespace, cfg.hub.as_str().into(), credential)
                .await
                .context("cannot connect to Event Hubs"),
        }
    }};
}

/// Connect a consumer client. Errors never carry the secret: the connection string's parse
/// error is replaced by a message that names only the variable.
pub async fn connect(cfg: &EventHubsConfig, owner_id: &str) -> Result<ConsumerClient> {
    // The processor writes the application id into ownership records as the owner: it must be
    // this replica's owner id (stable across restarts when configured). No instance id: the
    // client names every receiver link after it, and equal names collide when links reconnect.
    let builder = ConsumerClient::builder()
        .with_consumer_group(cfg.consumer_group.clone())
        .with_application_id(owner_id.to_string());
    open_client!(builder, cfg)
}

/// Connect a producer client (`replay`), authenticated as the consumer would be.
pub async fn producer(cfg: &EventHubsConfig) -> Result<ProducerClient> {
    open_client!(
        ProducerClient::builder().with_application_id("aad-ingest-replay".into()),
        cfg
    )
}

/// Parse a connection string; the error names the variable, never the value.
fn parse_connection_string(text: &str, env: &str) -> Result<ConnectionString> {
    text.parse::<ConnectionString>().map_err(|_| {
        anyhow::anyhow!(
            "source.eventhubs.auth: the value of {env} is not a valid Event Hubs connection string or SAS token"
        )
    })
}

/// The fully qualified namespace: from the config, or else from the connection string.
pub fn namespace(cfg: &EventHubsConfig) -> Result<String> {
    if let Some(ns) = cfg.namespace.as_deref().filter(|n| !n.trim().is_empty()) {
        return Ok(ns.trim().to_string());
    }
    match &cfg.auth {
        AuthConfig::ConnectionString { env } => {
            let text = std::env::var(env).with_context(|| format!("{env} is not set"))?;
            Ok(parse_connection_string(&text, env)?.fully_qualified_namespace)
        }
        _ => anyhow::bail!("source.eventhubs.namespace: required with this auth method"),
    }
}

/// Remove every secret part of a connection string from a message.
pub fn scrub(message: &str, connection_string: &str) -> String {
    let mut out = message.to_string();
    for part in connection_string.split(';') {
        if let Some((key, value)) = part.split_once('=') {
            let key = key.trim().to_ascii_lowercase();
            if (key == "sharedaccesskey" || key == "sharedaccesssignature") && value.len() >= 4 {
                out = out.replace(value, "<redacted>");
            }
        }
    }
    out
}

/// What the hub said of itself when a processor was built.
pub struct HubShape {
    /// Its partitions: the processor balances only those for its whole life.
    pub partitions: usize,
    /// When it was created (ms since the epoch), which tells a hub created again apart.
    pub created_ms: Option<i64>,
    /// Events each partition's pump may hold for its pipeline (see [`ReadAhead`]).
    pub pump_events: usize,
}

/// The processor: load balancing, renewal and partition receivers, over `store`; with the
/// hub's shape.
pub async fn processor(
    config: &RunConfig,
    consumer: ConsumerClient,
    store: Arc<dyn PartitionStore>,
) -> Result<(Arc<EventProcessor>, HubShape)> {
    let cp = config.checkpoint();
    let location = match config.start_at()? {
        StartAt::Earliest => StartLocation::Earliest,
        StartAt::Latest => StartLocation::Latest,
        StartAt::Time(ms) => {
            StartLocation::EnqueuedTime(SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64))
        }
    };
    let strategy = if cp.strategy == "greedy" {
        ProcessorStrategy::Greedy
    } else {
        ProcessorStrategy::Balanced
    };
    // Events read ahead count against the memory budget (see `ReadAhead`).
    let props = consumer
        .get_eventhub_properties()
        .await
        .context("reading the event hub's properties")?;
    let read_ahead = ReadAhead::of(
        config.eventhubs().prefetch_mib,
        config.service.read_ahead_mib(),
        props.partition_ids.len(),
    );
    let shape = HubShape {
        pump_events: read_ahead.pump,
        partitions: props.partition_ids.len(),
        created_ms: props.created_on.and_then(|t| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_millis() as i64)
        }),
    };
    let store: Arc<dyn azure_messaging_eventhubs::CheckpointStore + Send + Sync> =
        Arc::new(StoreRef(store));
    EventProcessor::builder()
        .with_load_balancing_strategy(strategy)
        .with_update_interval(seconds(cp.update_interval_secs))
        .with_partition_expiration_duration(seconds(cp.ownership_expiry_secs))
        .with_start_positions(StartPositions {
            default: StartPosition {
                location,
                inclusive: false,
            },
            ..Default::default()
        })
        .with_prefetch(read_ahead.prefetch)
        .build(consumer, store)
        .await
        .context("cannot start the event processor")
        .map(|p| (p, shape))
}

/// MiB of prefetch per partition: `prefetch_mib`, unless the read-ahead share of the memory
/// budget (`ServiceConfig::read_ahead_mib`) shared by every partition is less (at least 1).
fn prefetch_share(prefetch_mib: usize, read_ahead_mib: usize, partitions: usize) -> usize {
    prefetch_mib.min(read_ahead_mib / partitions.max(1)).max(1)
}

/// Events a partition may have received ahead of its pipeline, counted as events of the
/// largest size: all partitions' together within the read-ahead share of the memory budget
/// (the rest is for segments). Half are prefetched by the client, half wait in the channel of
/// the pump that hands them to the pipeline, so that the channel divides the budget rather
/// than adding to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadAhead {
    pub prefetch: u32,
    pub pump: usize,
}

impl ReadAhead {
    fn of(prefetch_mib: usize, read_ahead_mib: usize, partitions: usize) -> ReadAhead {
        let events = ((prefetch_share(prefetch_mib, read_ahead_mib, partitions) << 20)
            / MAX_EVENT_BYTES)
            .max(2);
        let pump = events / 2;
        ReadAhead {
            prefetch: (events - pump) as u32,
            pump,
        }
    }
}

fn seconds(s: f64) -> azure_core::time::Duration {
    azure_core::time::Duration::milliseconds((s * 1000.0) as i64)
}

/// Lets the processor hold our store as the client's trait object.
struct StoreRef(Arc<dyn PartitionStore>);

#[async_trait::async_trait]
impl azure_messaging_eventhubs::CheckpointStore for StoreRef {
    async fn claim_ownership(
        &self,
        o: &[azure_messaging_eventhubs::models::Ownership],
    ) -> azure_core::Result<Vec<azure_messaging_eventhubs::models::Ownership>> {
        self.0.claim_ownership(o).await
    }
    async fn list_checkpoints(
        &self,
        ns: &str,
        hub: &str,
        cg: &str,
    ) -> azure_core::Result<Vec<azure_messaging_eventhubs::models::Checkpoint>> {
        self.0.list_checkpoints(ns, hub, cg).await
    }
    async fn list_ownerships(
        &self,
        ns: &str,
        hub: &str,
        cg: &str,
    ) -> azure_core::Result<Vec<azure_messaging_eventhubs::models::Ownership>> {
        self.0.list_ownerships(ns, hub, cg).await
    }
    async fn update_checkpoint(
        &self,
        c: azure_messaging_eventhubs::models::Checkpoint,
    ) -> azure_core::Result<()> {
        self.0.update_checkpoint(c).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_keys_and_signatures_and_keeps_the_rest() {
        let cs = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=c2VjcmV0a2V5;EntityPath=hub";
        let message = format!("cannot open {cs}: key c2VjcmV0a2V5 refused");
        let scrubbed = scrub(&message, cs);
        assert!(!scrubbed.contains("c2VjcmV0a2V5"), "{scrubbed}");
        assert!(scrubbed.contains("SharedAccessKeyName=listen"));
        assert_eq!(scrubbed.matches("<redacted>").count(), 2);
        let sas =
            "Endpoint=sb://ns/;SharedAccessSignature=SharedAccessSignature sr=x&sig=abcd%3D&se=1";
        assert!(!scrub(sas, sas).contains("sig=abcd"));
    }

    #[test]
    fn a_bad_connection_string_names_the_variable_not_the_value() {
        let e = parse_connection_string("SharedAccessKey=hunter2", "MY_VAR").unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("MY_VAR") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn prefetch_is_a_share_of_the_memory_budget() {
        assert_eq!(prefetch_share(16, 128, 4), 16);
        assert_eq!(prefetch_share(16, 128, 32), 4);
        assert_eq!(prefetch_share(16, 16, 32), 1);
        // Split between the client's prefetch and the pump's channel, never above the share
        // (but for one event each at the least).
        assert_eq!(
            ReadAhead::of(16, 128, 8),
            ReadAhead {
                prefetch: 8,
                pump: 8
            }
        );
        assert_eq!(
            ReadAhead::of(16, 128, 32),
            ReadAhead {
                prefetch: 2,
                pump: 2
            }
        );
        assert_eq!(
            ReadAhead::of(16, 16, 32),
            ReadAhead {
                prefetch: 1,
                pump: 1
            }
        );
    }
}
