//! `aad-ingest run`: the service. It connects to Event Hubs, lets the client's `EventProcessor`
//! balance partitions across replicas through the checkpoint store, and runs one
//! [`partition`] pipeline per partition it owns. A failure of the connection or the store
//! restarts the processor after a backoff, from the checkpoints; SIGTERM or SIGINT stop
//! receiving, commit what was received, release ownership and exit within the grace period.

pub mod lag;
pub mod owner;
pub mod partition;
pub mod watchdog;

#[cfg(test)]
pub(crate) mod fencing_tests;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::checkpoint::{self, PartitionStore};
use crate::config::RunConfig;
use crate::destination::plan::{Plan, PlanOptions};
use crate::ops::health::Health;
use crate::sink::parquet::LakeOptions;
use crate::source::eventhubs;
use partition::{Counters, Ended, Shared};

/// How the service ended.
#[derive(Debug)]
pub struct RunReport {
    pub events: u64,
    pub records: u64,
    pub rows: u64,
    pub dead_letters: u64,
    pub bytes: u64,
    /// Per table, over the committed segments.
    pub tables: aad_schemas::NormalizeStats,
    pub elapsed: Duration,
    /// Per destination, over the committed segments.
    pub destinations: Vec<crate::convert::DestinationReport>,
    /// Everything was committed and ownership released within the grace period.
    pub clean: bool,
}

/// Run until SIGTERM/SIGINT (or until `stop` is set by the caller).
pub async fn run(config: RunConfig, outer_stop: watch::Receiver<bool>) -> Result<RunReport> {
    let start = Instant::now();
    let eh = config.eventhubs();
    let owner_id = config.checkpoint().owner_id();
    let namespace = eventhubs::namespace(eh)?;
    crate::ops::metrics::install();
    let health = Arc::new(Health::new(
        crate::route::configured(&config, None)
            .iter()
            .map(|d| d.config.name().to_string()),
    ));
    // Up before anything connects, so a probe sees the process live while it starts.
    let http = match config.service.listen.trim() {
        "" => None,
        listen => Some(crate::ops::http::serve(listen, Arc::clone(&health)).await?),
    };
    let claims = owner::Claims::new(
        checkpoint::open(&config.checkpoint().store).context("checkpoint.store")?,
        Arc::clone(&health),
    );
    let store: Arc<dyn PartitionStore> = claims.clone();
    // The service stops on the caller's signal, or when another process runs as this one.
    let (stop_all, stop) = watch::channel(false);
    let another: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    {
        let mut outer = outer_stop;
        let found = Arc::clone(&another);
        let owner_id_watched = owner_id.clone();
        let check = owner::watch_for_another(
            claims,
            namespace.clone(),
            eh.hub.clone(),
            eh.consumer_group.clone(),
            owner_id.clone(),
            Duration::from_secs_f64(config.checkpoint().update_interval_secs),
        );
        tokio::spawn(async move {
            tokio::pin!(check);
            let mut checking = true;
            loop {
                tokio::select! {
                    why = &mut check, if checking => {
                        checking = false;
                        match why {
                            None => tracing::info!(owner_id = %owner_id_watched, "no other process runs under this owner id"),
                            Some(why) => {
                                tracing::error!("{why}");
                                *found.lock().expect("another") = Some(why);
                                let _ = stop_all.send(true);
                                return;
                            }
                        }
                    }
                    _ = outer.wait_for(|s| *s) => {
                        let _ = stop_all.send(true);
                        return;
                    }
                }
            }
        });
    }
    let max_backoff = Duration::from_secs_f64(config.service.max_backoff_secs);
    // Destinations stop retrying once most of the grace period is over, so that the stop
    // still fits in it.
    let cancel = CancellationToken::new();
    let plan = Plan::build(
        &config,
        None,
        &PlanOptions {
            lake: LakeOptions::default(),
            rt: tokio::runtime::Handle::current(),
            service: true,
            max_backoff,
            cancel: cancel.clone(),
        },
    )?;
    let shared = Arc::new(Shared {
        namespace: namespace.clone(),
        hub: eh.hub.clone(),
        consumer_group: eh.consumer_group.clone(),
        owner_id: owner_id.clone(),
        schema: plan.schema,
        plan,
        store: Arc::clone(&store),
        roll_bytes: config.roll_mib() << 20,
        roll_age: config.roll_age(),
        roll_idle: config.roll_idle(),
        held: AtomicUsize::new(0),
        memory_budget: config.service.segments_budget(),
        max_backoff,
        retention: Duration::from_secs_f64(eh.retention_hours * 3600.0),
        stats: Counters::default(),
        rt: tokio::runtime::Handle::current(),
        turns: Default::default(),
        hub_created: Default::default(),
        another_process: Arc::clone(&another),
        health: Arc::clone(&health),
        owned: AtomicUsize::new(0),
        checkpointed_at: Default::default(),
    });
    let destinations: Vec<&str> = shared
        .plan
        .destinations
        .iter()
        .map(|d| d.destination.name())
        .collect();
    tracing::info!(namespace = %namespace, hub = %eh.hub, consumer_group = %eh.consumer_group, owner = %owner_id, destinations = ?destinations, dead_letters = %shared.plan.dead_letters.display, "starting");
    {
        let (mut stop, cancel, grace) = (stop.clone(), cancel.clone(), config.grace());
        let health = Arc::clone(&health);
        tokio::spawn(async move {
            let _ = stop.wait_for(|s| *s).await;
            // Readiness goes first, before anything else of the stop.
            health.stopping();
            tokio::time::sleep(grace.mul_f64(0.7)).await;
            cancel.cancel();
        });
    }

    // A progress line a minute, so an operator sees the service move (or not).
    let progress = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                let c = &shared.stats;
                tracing::info!(
                    events = c.events.load(Ordering::Relaxed),
                    megabytes = c.bytes.load(Ordering::Relaxed) / 1_000_000,
                    rows = c.rows.load(Ordering::Relaxed),
                    dead_letters = c.dead_letters.load(Ordering::Relaxed),
                    segments = c.segments.load(Ordering::Relaxed),
                    files = c.files.load(Ordering::Relaxed),
                    undone_files = c.undone_files.load(Ordering::Relaxed),
                    redelivered = c.redelivered.load(Ordering::Relaxed),
                    held_mib = shared.held.load(Ordering::Relaxed) >> 20,
                    "progress"
                );
            }
        })
    };
    let probes = probe_destinations(&shared);
    let gauges = tokio::spawn(lag::gauges(Arc::clone(&shared)));
    let lag = {
        let (config, shared) = (config.clone(), Arc::clone(&shared));
        tokio::spawn(async move { lag::watch(&config, &shared).await })
    };
    let mut clean = true;
    let mut backoff = FIRST_BACKOFF;
    let max_backoff = shared.max_backoff;
    loop {
        if *stop.borrow() {
            break;
        }
        // The client's event streams are not `Send`: they run on a local task set.
        let local = tokio::task::LocalSet::new();
        let began = Instant::now();
        let outcome = local
            .run_until(session(&config, &shared, &store, stop.clone()))
            .await;
        match outcome {
            Ok(done_cleanly) => {
                clean = done_cleanly;
                break;
            }
            Err(e) if e.is::<watchdog::PartitionsAdded>() => {
                tracing::info!("{e}");
            }
            Err(e) => {
                shared.health.set_balanced(false);
                crate::ops::metrics::error("event_hub");
                // A session that ran a good while failed for a new reason: start over small.
                if began.elapsed() >= RESET_BACKOFF_AFTER {
                    backoff = FIRST_BACKOFF;
                }
                tracing::error!(error = %format!("{e:#}"), retry_in = ?backoff, "event hub session failed; restarting from the checkpoints");
                let mut stop = stop.clone();
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                backoff = (backoff * 2).min(max_backoff);
            }
        }
    }
    progress.abort();
    probes.abort();
    gauges.abort();
    lag.abort();
    if let Some(http) = http {
        http.abort();
    }
    if let Some(why) = another.lock().expect("another").take() {
        anyhow::bail!("{why}");
    }
    let c = &shared.stats;
    let tables = c.tables.lock().expect("counters").clone();
    Ok(RunReport {
        events: c.events.load(Ordering::Relaxed),
        records: c.records.load(Ordering::Relaxed),
        rows: c.rows.load(Ordering::Relaxed),
        dead_letters: c.dead_letters.load(Ordering::Relaxed),
        bytes: c.bytes.load(Ordering::Relaxed),
        tables,
        elapsed: start.elapsed(),
        destinations: destination_reports(&shared),
        clean,
    })
}

/// What each destination took over the run.
fn destination_reports(shared: &Shared) -> Vec<crate::convert::DestinationReport> {
    let delivered = shared.stats.destinations.lock().expect("counters").clone();
    let held = shared.stats.already_held.lock().expect("counters").clone();
    shared
        .plan
        .destinations
        .iter()
        .enumerate()
        .map(|(i, d)| crate::convert::DestinationReport {
            name: d.destination.name().to_string(),
            kind: d.kind,
            delivered: delivered.get(i).cloned().unwrap_or_default(),
            filtered_out: d.routes.filtered_out.load(Ordering::Relaxed),
            already_held: held.get(i).copied().unwrap_or(0),
            failed: None,
        })
        .collect()
}

/// First wait before a failed session is restarted; it doubles up to `max_backoff_secs` ...
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// ... and starts over after a session that lasted this long.
const RESET_BACKOFF_AFTER: Duration = Duration::from_secs(120);

/// One connection's life: processor, partition pipelines, and a clean stop. `Ok(clean)` when
/// the service was asked to stop; `Err` when the processor failed and must be restarted.
async fn session(
    config: &RunConfig,
    shared: &Arc<Shared>,
    store: &Arc<dyn PartitionStore>,
    mut stop: watch::Receiver<bool>,
) -> Result<bool> {
    let consumer = eventhubs::connect(config.eventhubs(), &shared.owner_id).await?;
    let (processor, hub) = eventhubs::processor(config, consumer, Arc::clone(store)).await?;
    *shared.hub_created.lock().expect("hub_created") = hub.created_ms;
    let mut runner = {
        let p = Arc::clone(&processor);
        tokio::spawn(async move { p.run().await })
    };
    // Partition pipelines stop on this, not on the service's signal, so that a failed session
    // stops them too.
    let (stop_partitions, partitions_stop) = watch::channel(false);
    let mut partitions: JoinSet<Result<Ended>> = JoinSet::new();
    let mut pumps: JoinSet<()> = JoinSet::new();
    let progress = watchdog::Pumps::default();
    let stalled = watchdog::watch(config, shared, store, &progress, config.stall());
    tokio::pin!(stalled);
    let added = watchdog::partitions_added(config, shared, hub.partitions, config.partition_poll());
    tokio::pin!(added);
    let failure: Option<anyhow::Error> = loop {
        tokio::select! {
            _ = stop.changed() => break None,
            why = &mut stalled => break Some(anyhow::anyhow!("{why}")),
            added = &mut added => break Some(anyhow::Error::new(added)),
            done = &mut runner => {
                let why = match done {
                    Ok(Ok(())) => anyhow::anyhow!("the event processor stopped"),
                    Ok(Err(e)) => anyhow::anyhow!("event processor: {e}"),
                    Err(e) => anyhow::anyhow!("event processor task: {e}"),
                };
                break Some(why);
            }
            next = processor.next_partition_client() => match next {
                Ok(client) => {
                    let id = client.get_partition_id().to_string();
                    let (to, from) = tokio::sync::mpsc::channel(hub.pump_events);
                    let watched = Arc::new(watchdog::Progress::default());
                    progress.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Arc::clone(&watched));
                    pumps.spawn_local(partition::pump(client, to, watched));
                    partitions.spawn(partition::drain(Arc::clone(shared), id, from, partitions_stop.clone()));
                }
                Err(e) => break Some(anyhow::anyhow!("event processor: {e}")),
            },
            Some(ended) = partitions.join_next() => match ended {
                Ok(Ok(e)) => tracing::debug!(?e, "partition pipeline ended"),
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "partition pipeline failed"),
                Err(e) => tracing::error!(error = %e, "partition pipeline panicked"),
            },
            Some(_) = pumps.join_next() => {}
        }
    };

    // Stop taking partitions first, so none is handed out again while the others commit. All
    // of the stop (commits, release, closing receivers) fits in the grace period.
    let _ = processor.shutdown().await;
    runner.abort();
    let _ = stop_partitions.send(true);
    let grace = config.grace();
    let deadline = tokio::time::Instant::now() + grace;
    let committed = tokio::time::timeout_at(deadline, async {
        let mut ok = true;
        while let Some(ended) = partitions.join_next().await {
            match ended {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    ok = false;
                    tracing::error!(error = %format!("{e:#}"), "partition did not commit");
                }
                Err(e) => {
                    ok = false;
                    tracing::error!(error = %e, "partition pipeline panicked");
                }
            }
        }
        ok
    })
    .await;
    let mut clean = match committed {
        Ok(ok) => ok,
        Err(_) => {
            tracing::error!(grace = ?grace, "grace period over before every partition committed; uncommitted events will be read again at the next start");
            partitions.abort_all();
            false
        }
    };
    // Ownerships under our owner id are the other process's too when it runs as this one.
    let another_process = shared.another_process.lock().expect("another").is_some();
    if failure.is_none() && !another_process {
        let released = tokio::time::timeout_at(deadline, release(shared, store)).await;
        if let Err(e) = released.unwrap_or_else(|_| Err(anyhow::anyhow!("grace period over"))) {
            tracing::warn!(error = %format!("{e:#}"), "releasing ownership failed; other replicas take the partitions once it expires");
            clean = false;
        }
    }
    // The pumps end once their pipelines are gone, closing the receivers.
    let _ = tokio::time::timeout_at(deadline, async {
        while pumps.join_next().await.is_some() {}
    })
    .await;
    pumps.abort_all();
    if let Ok(processor) = Arc::try_unwrap(processor) {
        let _ = tokio::time::timeout_at(deadline, processor.close()).await;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(clean),
    }
}

/// Probe, with backoff, every destination that has not answered yet or whose last probe
/// failed, so that a quiet hub's replica still turns ready (a failed write is retried by its
/// commit, whose success turns it ready again).
fn probe_destinations(shared: &Arc<Shared>) -> tokio::task::JoinHandle<()> {
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let first = Duration::from_millis(500);
        let mut backoff = first;
        loop {
            let pending: Vec<usize> = (0..shared.plan.destinations.len())
                .filter(|&i| shared.health.needs_probe(i))
                .collect();
            for &i in &pending {
                let s = Arc::clone(&shared);
                let outcome =
                    tokio::task::spawn_blocking(move || s.plan.destinations[i].destination.probe())
                        .await
                        .unwrap_or_else(|e| Err(anyhow::anyhow!("probe panicked: {e}")));
                if shared.health.needs_probe(i) {
                    shared
                        .health
                        .probed(i, outcome.map_err(|e| format!("{e:#}")));
                }
            }
            backoff = if pending.is_empty() {
                first
            } else {
                (backoff * 2).min(shared.max_backoff)
            };
            tokio::time::sleep(backoff).await;
        }
    })
}

/// Hand our partitions back so other replicas take them at their next round.
async fn release(shared: &Shared, store: &Arc<dyn PartitionStore>) -> Result<()> {
    let ours: Vec<_> = store
        .list_ownerships(&shared.namespace, &shared.hub, &shared.consumer_group)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .filter(|o| o.owner_id.as_deref() == Some(shared.owner_id.as_str()))
        .collect();
    let n = ours.len();
    store
        .release(ours)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(partitions = n, "ownership released");
    metrics::counter!(crate::ops::metrics::OWNERSHIP_RELEASES).increment(n as u64);
    Ok(())
}
