//! The stall watchdog. A partition receiver can wait forever inside the client:
//! azure_messaging_eventhubs 0.16 recovers every receiver of a connection on its own when
//! links drop (Event Hubs detaches all of them when it moves partitions between its nodes),
//! and concurrent recoveries drop each other's connections until one waits for an
//! authorization answer on a connection that is gone. Nothing surfaces: no error, no event.
//!
//! So each pump says when it starts waiting on the client and what it last received. A
//! partition whose pump has waited `stall` while the hub holds events after that position is
//! stalled, and the session is restarted from the checkpoints on a fresh connection.
//! The hub is asked on a connection of the watchdog's own, opened the first time a pump has
//! waited that long, so that it does not share the state of the stuck one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_messaging_eventhubs::ConsumerClient;

use crate::checkpoint::PartitionStore;
use crate::config::{RunConfig, StartAt};
use crate::source::eventhubs;

use super::partition::Shared;

/// What one partition's pump is doing, as the watchdog sees it.
#[derive(Default)]
pub struct Progress(Mutex<PumpState>);

#[derive(Default, Clone, Copy)]
struct PumpState {
    /// Highest sequence number the client delivered.
    last: Option<i64>,
    /// Since when the pump waits on the client (not on its pipeline); `None` while it hands an
    /// event over, and once it ended.
    waiting_since: Option<Instant>,
}

impl Progress {
    /// The pump asks the client for the next event.
    pub fn waiting(&self) {
        self.state().waiting_since = Some(Instant::now());
    }

    /// The client delivered an event (or an error, without a sequence number). A repeat the
    /// client sends after recovering a link (see `Pipeline::fresh`) does not move `last` back.
    pub fn delivered(&self, sequence: Option<i64>) {
        let mut s = self.state();
        s.waiting_since = None;
        s.last = s.last.max(sequence);
    }

    /// The pump ended: nothing to watch any more.
    pub fn ended(&self) {
        self.state().waiting_since = None;
    }

    fn snapshot(&self) -> PumpState {
        *self.state()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PumpState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The pumps of one session, by partition; a partition handed out again replaces its entry.
pub type Pumps = Mutex<HashMap<String, Arc<Progress>>>;

/// The position after which a partition's receiver must deliver, if it is known: the last
/// event received, else the checkpoint it started after, else the start of the partition
/// when the configuration starts there. A receiver that started at `latest` or at a time and
/// has received nothing yet is not judged: what it should deliver is not known.
fn known_position(
    last: Option<i64>,
    checkpoint: Option<i64>,
    start: &StartAt,
    beginning: i64,
) -> Option<i64> {
    last.or(checkpoint).or(match start {
        StartAt::Earliest => Some(beginning - 1),
        _ => None,
    })
}

/// Is the checkpoint past the hub's last event? Sequence numbers only grow, so the hub was
/// deleted and created again (or the checkpoint was set by hand): nothing after the checkpoint
/// will ever arrive until it is reset.
fn checkpoint_past_the_hub(checkpoint: Option<i64>, last_enqueued: i64) -> bool {
    checkpoint.is_some_and(|c| c > last_enqueued)
}

/// Is the receiver behind the hub? `last_enqueued` is the hub's last sequence number.
fn behind(position: Option<i64>, last_enqueued: i64, empty: bool) -> bool {
    !empty && position.is_some_and(|p| last_enqueued > p)
}

/// Watch the pumps until one is stalled; returns why, for the session's error.
pub async fn watch(
    config: &RunConfig,
    shared: &Shared,
    store: &Arc<dyn PartitionStore>,
    pumps: &Pumps,
    stall: Duration,
) -> String {
    let tick = (stall / 4).clamp(Duration::from_millis(250), Duration::from_secs(15));
    let start = config.start_at().unwrap_or(StartAt::Earliest);
    let mut hub: Option<ConsumerClient> = None;
    // When each waiting partition was last found healthy: asked again only a `stall` later.
    let mut cleared: HashMap<String, Instant> = HashMap::new();
    loop {
        tokio::time::sleep(tick).await;
        let suspects: Vec<(String, PumpState)> = pumps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(p, progress)| (p.clone(), progress.snapshot()))
            .filter(|(p, s)| {
                s.waiting_since.is_some_and(|t| t.elapsed() >= stall)
                    && cleared.get(p).is_none_or(|t| t.elapsed() >= stall)
            })
            .collect();
        if suspects.is_empty() {
            continue;
        }
        if hub.is_none() {
            let owner = format!("{}-watchdog", shared.owner_id);
            match eventhubs::connect(config.eventhubs(), &owner).await {
                Ok(client) => hub = Some(client),
                Err(e) => {
                    tracing::debug!(error = %format!("{e:#}"), "watchdog: cannot reach the hub");
                    continue;
                }
            }
        }
        let Some(client) = hub.as_ref() else { continue };
        let checkpoints: HashMap<String, i64> = match store
            .list_checkpoints(&shared.namespace, &shared.hub, &shared.consumer_group)
            .await
        {
            Ok(list) => list
                .into_iter()
                .filter_map(|c| Some((c.partition_id, c.sequence_number?)))
                .collect(),
            Err(_) => continue,
        };
        for (partition, state) in suspects {
            let props =
                tokio::time::timeout(stall, client.get_partition_properties(&partition)).await;
            let props = match props {
                Ok(Ok(props)) => props,
                _ => continue,
            };
            let checkpoint = checkpoints.get(&partition).copied();
            if checkpoint_past_the_hub(checkpoint, props.last_enqueued_sequence_number) {
                tracing::error!(
                    partition = %partition,
                    checkpoint = ?checkpoint,
                    hub_last = props.last_enqueued_sequence_number,
                    "the partition's checkpoint is past the hub's last event: the hub was deleted and created again, or the checkpoint was set by hand. Nothing will be read from this partition until its checkpoint is removed: delete the record `{}checkpoint/{partition}` in the checkpoint store and restart, and the partition starts over from source.eventhubs.start",
                    crate::checkpoint::hub_prefix(&shared.namespace, &shared.hub, &shared.consumer_group)
                );
                cleared.insert(partition, Instant::now());
                continue;
            }
            let position = known_position(
                state.last,
                checkpoint,
                &start,
                props.beginning_sequence_number,
            );
            if behind(
                position,
                props.last_enqueued_sequence_number,
                props.is_empty,
            ) {
                let waited = state.waiting_since.map(|t| t.elapsed()).unwrap_or_default();
                return format!(
                    "partition {partition}: the client delivered nothing for {:.0} s while the hub holds events up to sequence number {} (received up to {}); reconnecting",
                    waited.as_secs_f64(),
                    props.last_enqueued_sequence_number,
                    position.map_or("none".into(), |p| p.to_string()),
                );
            }
            cleared.insert(partition, Instant::now());
        }
    }
}

/// The hub gained partitions while a session ran: the processor balances only the partitions
/// it was built with, so the session starts again (every partition commits first) to take them.
#[derive(Debug)]
pub struct PartitionsAdded {
    pub was: usize,
    pub now: usize,
}

impl std::fmt::Display for PartitionsAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the hub now has {} partitions (it had {}); starting the session again to take the new ones",
            self.now, self.was
        )
    }
}

impl std::error::Error for PartitionsAdded {}

/// Ask the hub every `every` how many partitions it has, on a connection of its own; returns
/// once it has more than `known`. A hub that cannot be reached is asked again next time.
pub async fn partitions_added(
    config: &RunConfig,
    shared: &Shared,
    known: usize,
    every: Duration,
) -> PartitionsAdded {
    let mut hub: Option<ConsumerClient> = None;
    loop {
        tokio::time::sleep(every).await;
        if hub.is_none() {
            let owner = format!("{}-partitions", shared.owner_id);
            match eventhubs::connect(config.eventhubs(), &owner).await {
                Ok(client) => hub = Some(client),
                Err(e) => {
                    tracing::debug!(error = %format!("{e:#}"), "cannot reach the hub to count its partitions");
                    continue;
                }
            }
        }
        let Some(client) = hub.as_ref() else { continue };
        match tokio::time::timeout(every, client.get_eventhub_properties()).await {
            Ok(Ok(props)) if props.partition_ids.len() > known => {
                return PartitionsAdded {
                    was: known,
                    now: props.partition_ids.len(),
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot count the hub's partitions");
                hub = None;
            }
            Err(_) => hub = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_is_the_last_event_then_the_checkpoint_then_an_earliest_start() {
        assert_eq!(
            known_position(Some(7), Some(3), &StartAt::Latest, 0),
            Some(7)
        );
        assert_eq!(known_position(None, Some(3), &StartAt::Latest, 0), Some(3));
        assert_eq!(known_position(None, None, &StartAt::Earliest, 10), Some(9));
        assert_eq!(known_position(None, None, &StartAt::Latest, 10), None);
        assert_eq!(known_position(None, None, &StartAt::Time(5), 10), None);
    }

    #[test]
    fn a_checkpoint_past_the_hubs_last_event_means_a_new_hub() {
        assert!(checkpoint_past_the_hub(Some(500), 12));
        assert!(checkpoint_past_the_hub(Some(0), -1));
        assert!(!checkpoint_past_the_hub(Some(12), 12));
        assert!(!checkpoint_past_the_hub(None, -1));
    }

    #[test]
    fn behind_only_when_the_hub_holds_later_events() {
        assert!(behind(Some(3), 4, false));
        assert!(!behind(Some(4), 4, false));
        assert!(!behind(Some(3), 4, true));
        assert!(!behind(None, 4, false));
        // An earliest start on a partition whose first event is 0: -1 is before it.
        assert!(behind(Some(-1), 0, false));
    }

    #[test]
    fn a_pump_waits_only_between_asking_and_receiving() {
        let p = Progress::default();
        assert!(p.snapshot().waiting_since.is_none());
        p.waiting();
        assert!(p.snapshot().waiting_since.is_some());
        p.delivered(Some(5));
        let s = p.snapshot();
        assert_eq!((s.last, s.waiting_since.is_none()), (Some(5), true));
        p.waiting();
        p.delivered(None);
        assert_eq!(
            p.snapshot().last,
            Some(5),
            "an error keeps the last position"
        );
        p.delivered(Some(2));
        assert_eq!(p.snapshot().last, Some(5), "a repeat does not move it back");
        p.waiting();
        p.ended();
        assert!(p.snapshot().waiting_since.is_none());
    }
}
