//! `aad-ingest status -c FILE`: per partition, its owner, its checkpoint, the hub's last
//! enqueued event and the lag — what `kafka-consumer-groups --describe` is to Kafka users. It
//! reads the checkpoint store and asks the hub; it changes nothing. The service's lag gauges
//! come from the same [`lag`].

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use azure_messaging_eventhubs::models::EventHubPartitionProperties;
use serde::Serialize;

use crate::checkpoint;
use crate::config::{RunConfig, StartAt};
use crate::source::eventhubs;

/// One partition, as `status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionStatus {
    pub partition: String,
    /// The owner id in the ownership record; `None` when nobody ever owned it or it was released.
    pub owner: Option<String>,
    /// Seconds since the owner last renewed its ownership.
    pub owner_renewed_secs_ago: Option<f64>,
    /// The owner has not renewed within `checkpoint.ownership_expiry_secs`: any replica may take it.
    pub owner_expired: bool,
    pub checkpoint_sequence_number: Option<i64>,
    pub checkpoint_offset: Option<String>,
    pub beginning_sequence_number: i64,
    pub last_enqueued_sequence_number: i64,
    /// RFC 3339.
    pub last_enqueued_time: Option<String>,
    /// Events after the checkpoint; `None` when it cannot be known (no checkpoint and a
    /// `latest` or time start).
    pub lag_events: Option<i64>,
    /// Something that needs a person, with what to do.
    pub problem: Option<String>,
}

/// Events a partition holds after its checkpoint, and what is wrong if the checkpoint cannot
/// be right (it is past the hub's last event: the hub was created again or the checkpoint set
/// by hand).
pub fn lag(
    checkpoint: Option<i64>,
    props: &EventHubPartitionProperties,
    start: &StartAt,
) -> (Option<i64>, Option<&'static str>) {
    let last = props.last_enqueued_sequence_number;
    match checkpoint {
        Some(c) if c > last && !props.is_empty => (
            None,
            Some("the checkpoint is past the hub's last event (the hub was created again, or the checkpoint was set by hand): nothing will be read until its checkpoint record is deleted"),
        ),
        _ if props.is_empty => (Some(0), None),
        Some(c) => (Some((last - c.max(props.beginning_sequence_number - 1)).max(0)), None),
        None => match start {
            StartAt::Earliest => (Some(last - props.beginning_sequence_number + 1), None),
            _ => (None, None),
        },
    }
}

/// Read the store and the hub for every partition.
pub async fn collect(config: &RunConfig) -> Result<Vec<PartitionStatus>> {
    let eh = config.eventhubs();
    let cp = config.checkpoint();
    let namespace = eventhubs::namespace(eh)?;
    let store = checkpoint::open(&cp.store).context("checkpoint.store")?;
    let checkpoints: HashMap<String, (Option<i64>, Option<String>)> = store
        .list_checkpoints(&namespace, &eh.hub, &eh.consumer_group)
        .await
        .map_err(|e| anyhow::anyhow!("reading checkpoints from checkpoint.store: {e}"))?
        .into_iter()
        .map(|c| (c.partition_id, (c.sequence_number, c.offset)))
        .collect();
    let ownerships: HashMap<String, _> = store
        .list_ownerships(&namespace, &eh.hub, &eh.consumer_group)
        .await
        .map_err(|e| anyhow::anyhow!("reading ownerships from checkpoint.store: {e}"))?
        .into_iter()
        .map(|o| (o.partition_id.clone(), o))
        .collect();
    let client = eventhubs::connect(eh, "aad-ingest-status").await?;
    let hub = client
        .get_eventhub_properties()
        .await
        .map_err(|e| anyhow::anyhow!("asking the hub for its partitions: {e}"))?;
    let start = config.start_at()?;
    let expiry = Duration::from_secs_f64(cp.ownership_expiry_secs);
    let reset = format!(
        "{}checkpoint/",
        checkpoint::hub_prefix(&namespace, &eh.hub, &eh.consumer_group)
    );
    let mut out = Vec::with_capacity(hub.partition_ids.len());
    for id in &hub.partition_ids {
        let props = client
            .get_partition_properties(id)
            .await
            .map_err(|e| anyhow::anyhow!("asking the hub for partition {id}: {e}"))?;
        let (sequence, offset) = checkpoints.get(id).cloned().unwrap_or((None, None));
        let owner = ownerships.get(id);
        let renewed = owner.and_then(|o| o.last_modified_time).map(|t| {
            (azure_core::time::OffsetDateTime::now_utc() - t)
                .as_seconds_f64()
                .max(0.0)
        });
        let owner_id = owner
            .and_then(|o| o.owner_id.clone())
            .filter(|o| !o.is_empty());
        let (lag_events, problem) = lag(sequence, &props, &start);
        out.push(PartitionStatus {
            partition: id.clone(),
            owner_expired: owner_id.is_some() && renewed.is_some_and(|s| s > expiry.as_secs_f64()),
            owner: owner_id,
            owner_renewed_secs_ago: renewed.map(|s| (s * 10.0).round() / 10.0),
            checkpoint_sequence_number: sequence,
            checkpoint_offset: offset,
            beginning_sequence_number: props.beginning_sequence_number,
            last_enqueued_sequence_number: props.last_enqueued_sequence_number,
            last_enqueued_time: props.last_enqueued_time_utc.map(rfc3339),
            lag_events,
            problem: problem.map(|p| format!("{p}: delete {reset}{id} and restart")),
        });
    }
    let _ = client.close().await;
    Ok(out)
}

fn rfc3339(t: SystemTime) -> String {
    let nanos = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    aad_schemas::time::format_rfc3339(nanos)
}

/// The table `status` prints.
pub fn render(rows: &[PartitionStatus]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:<32} {:>12} {:>14} {:>14} {:<30} {:>10}",
        "partition", "owner", "renewed", "checkpoint", "last-enqueued", "last-enqueued-time", "lag"
    );
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for r in rows {
        let owner = match (&r.owner, r.owner_expired) {
            (Some(o), true) => format!("{o} (expired)"),
            (Some(o), false) => o.clone(),
            (None, _) => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:<10} {:<32} {:>12} {:>14} {:>14} {:<30} {:>10}",
            r.partition,
            owner,
            dash(r.owner_renewed_secs_ago.map(|v| format!("{v:.0}s ago"))),
            dash(r.checkpoint_sequence_number.map(|v| v.to_string())),
            r.last_enqueued_sequence_number,
            dash(r.last_enqueued_time.clone()),
            dash(r.lag_events.map(|v| v.to_string())),
        );
    }
    let total: i64 = rows.iter().filter_map(|r| r.lag_events).sum();
    let _ = writeln!(s, "total lag: {total} events");
    for r in rows.iter().filter(|r| r.problem.is_some()) {
        let _ = writeln!(
            s,
            "partition {}: {}",
            r.partition,
            r.problem.as_deref().unwrap_or_default()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(beginning: i64, last: i64, empty: bool) -> EventHubPartitionProperties {
        EventHubPartitionProperties {
            id: "0".into(),
            eventhub: "entra".into(),
            beginning_sequence_number: beginning,
            last_enqueued_sequence_number: last,
            last_enqueued_offset: String::new(),
            last_enqueued_time_utc: None,
            is_empty: empty,
        }
    }

    #[test]
    fn lag_counts_events_after_the_checkpoint() {
        let e = StartAt::Earliest;
        assert_eq!(lag(Some(90), &props(0, 100, false), &e), (Some(10), None));
        assert_eq!(lag(Some(100), &props(0, 100, false), &e), (Some(0), None));
        assert_eq!(lag(None, &props(0, 100, false), &e), (Some(101), None));
        assert_eq!(
            lag(None, &props(0, 100, false), &StartAt::Latest),
            (None, None)
        );
        // Retention passed the checkpoint: only what the hub still holds is lag.
        assert_eq!(lag(Some(5), &props(50, 100, false), &e), (Some(51), None));
        assert_eq!(lag(Some(7), &props(8, 7, true), &e), (Some(0), None));
        let (events, problem) = lag(Some(500), &props(0, 12, false), &e);
        assert_eq!(events, None);
        assert!(problem.unwrap().contains("past the hub's last event"));
    }
}
