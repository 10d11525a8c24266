//! The gauges that describe the service's state rather than count its work: per-partition lag
//! (the hub's last enqueued event against the checkpoint), memory held against the budget, and
//! partitions owned. Lag is reported for every partition of the hub by every replica (from the
//! shared checkpoints), so a dashboard takes `max by (partition)`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use azure_messaging_eventhubs::ConsumerClient;
use metrics::gauge;

use crate::config::{RunConfig, StartAt};
use crate::ops::metrics as m;
use crate::ops::status::lag;
use crate::source::eventhubs;

use super::partition::Shared;

/// Memory, ownership and the destinations' troubles (readiness), every second.
pub async fn gauges(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        gauge!(m::MEMORY_BUDGET).set(shared.memory_budget as f64);
        gauge!(m::MEMORY_IN_USE).set(shared.held.load(Ordering::Relaxed) as f64);
        gauge!(m::PARTITIONS_OWNED).set(shared.owned.load(Ordering::Relaxed) as f64);
        for (i, d) in shared.plan.destinations.iter().enumerate() {
            shared.health.trouble(i, d.destination.trouble());
        }
    }
}

/// Ask the hub for every partition's last event each `service.lag_poll_secs`, on a connection
/// of its own, and set the lag gauges. A hub or store that cannot be reached is asked again at
/// the next round.
pub async fn watch(config: &RunConfig, shared: &Shared) {
    let every = Duration::from_secs_f64(config.service.lag_poll_secs);
    let start = config.start_at().unwrap_or(StartAt::Earliest);
    let mut hub: Option<ConsumerClient> = None;
    loop {
        if hub.is_none() {
            let owner = format!("{}-lag", shared.owner_id);
            match eventhubs::connect(config.eventhubs(), &owner).await {
                Ok(client) => hub = Some(client),
                Err(e) => {
                    tracing::debug!(error = %format!("{e:#}"), "lag: cannot reach the hub");
                }
            }
        }
        if let Some(client) = hub.as_ref() {
            if tokio::time::timeout(
                every.max(Duration::from_secs(5)),
                poll(client, shared, &start),
            )
            .await
            .is_err()
            {
                hub = None;
            }
        }
        tokio::time::sleep(every).await;
    }
}

async fn poll(client: &ConsumerClient, shared: &Shared, start: &StartAt) {
    let Ok(checkpoints) = shared
        .store
        .list_checkpoints(&shared.namespace, &shared.hub, &shared.consumer_group)
        .await
    else {
        return;
    };
    let Ok(props) = client.get_eventhub_properties().await else {
        return;
    };
    for id in &props.partition_ids {
        let Ok(p) = client.get_partition_properties(id).await else {
            continue;
        };
        let checkpoint = checkpoints
            .iter()
            .find(|c| &c.partition_id == id)
            .and_then(|c| c.sequence_number);
        let label = id.clone();
        gauge!(m::LAST_ENQUEUED, "partition" => label.clone())
            .set(p.last_enqueued_sequence_number as f64);
        if let Some(c) = checkpoint {
            gauge!(m::CHECKPOINT, "partition" => label.clone()).set(c as f64);
        }
        let (events, _) = lag(checkpoint, &p, start);
        let Some(events) = events else { continue };
        gauge!(m::LAG_EVENTS, "partition" => label.clone()).set(events as f64);
        let seconds = if events == 0 {
            Some(0.0)
        } else {
            let at = shared
                .checkpointed_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(id)
                .copied();
            match (p.last_enqueued_time_utc, at) {
                (Some(last), Some(at)) => Some(
                    last.duration_since(at)
                        .map(|d| d.as_secs_f64())
                        .unwrap_or(0.0),
                ),
                _ => None,
            }
        };
        if let Some(s) = seconds {
            gauge!(m::LAG_SECONDS, "partition" => label).set(s);
        }
    }
}
