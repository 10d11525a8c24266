//! `aad-ingest run` as a service, with the real Event Hubs client against the test broker and
//! checkpoints in Azurite or a local directory: rows land exactly once through restarts,
//! SIGKILLs and replica handovers, checkpoints keep the other SDKs' layout, a stop is graceful,
//! and bad configs are refused without leaking secrets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use aad_tests::broker::Broker;
use aad_tests::service::{
    capture, checkpoints_in, connection_string, keep_log, owners_in, wait_for, wait_for_eq,
    Capture, Service, ServiceConfig, TokenEndpoint, CONNECTION_STRING_ENV, SAS_KEY,
};
use aad_tests::{
    convert_into, delta_export, duckdb, files_where, http_get, parquet_files, Azurite,
};
use azure_messaging_eventhubs::{EventDataBatchOptions, ProducerClient, SendEventOptions};
use simd_json::prelude::*;

/// Mixed case on purpose: checkpoint names must come out lower-cased, as the other SDKs write them.
pub(crate) const NAMESPACE: &str = "Aad-Test.servicebus.windows.net";
pub(crate) const PREFIX: &str = "aad-test.servicebus.windows.net/entra/$default/";

/// The lake written by `run` holds exactly the rows `convert` makes of the same messages:
/// the same multiset of (table, Id, record index), and no event position twice.
pub(crate) fn assert_exactly_once(run_lake: &Path, capture_file: &Path, work: &Path) {
    let reference = work.join("reference-lake");
    convert_into(&[capture_file.to_path_buf()], &reference);
    let q = |lake: &Path| {
        format!(
            "SELECT \"table\" AS t, Id AS id, _RecordIndex AS r FROM read_parquet('{}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true)",
            lake.display()
        )
    };
    let rows = duckdb(&format!(
        "WITH a AS ({a}), b AS ({b}), \
         p AS (SELECT \"table\" AS t, _Partition AS part, _SequenceNumber AS s, _RecordIndex AS r FROM read_parquet('{run}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true)) \
         SELECT (SELECT count(*) FROM a) AS got, (SELECT count(*) FROM b) AS want, \
                (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) AS extra, \
                (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) AS missing, \
                (SELECT count(DISTINCT (t, part, s, r)) FROM p) AS positions, \
                (SELECT count(*) FROM p WHERE part IS NULL OR s IS NULL) AS unplaced",
        a = q(run_lake),
        b = q(&reference),
        run = run_lake.display()
    ));
    let r = &rows[0];
    let n = |k: &str| r[k].as_deref().unwrap().parse::<u64>().unwrap();
    assert!(n("want") > 0);
    let counts = (n("got"), n("extra"), n("missing"), n("unplaced"));
    let ok = counts == (n("want"), 0, 0, 0) && n("positions") == n("got");
    assert!(ok, "{r:?}\n{}", diagnose(run_lake, work));
}

/// The lake against what the generator wrote, independently of `convert`: one row per
/// generated record, and one dead letter per message it broke on purpose, none twice (a
/// killed segment's dead letters are undone with its files).
fn assert_matches_the_generator(lake: &Path, dead_letters: &Path, cap: &Capture) {
    let rows = duckdb(&format!(
        "SELECT (SELECT count(*) FROM read_parquet('{lake}/table=*/**/*.parquet', union_by_name=true)) AS rows, \
                count(*) AS letters, count(DISTINCT (partition, sequence, record_index)) AS distinct_letters \
         FROM read_json('{dead}/_deadletter/*.ndjson', format='newline_delimited')",
        lake = lake.display(),
        dead = dead_letters.display()
    ));
    let n = |k: &str| rows[0][k].as_deref().unwrap().parse::<u64>().unwrap();
    assert!(cap.report.invalid_messages > 0, "{:?}", cap.report);
    assert_eq!(
        (n("rows"), n("letters"), n("distinct_letters")),
        (
            cap.report.records,
            cap.report.invalid_messages,
            cap.report.invalid_messages
        ),
        "rows and dead letters against the generator's report {:?}; dead letters per file: {:?}",
        cap.report,
        duckdb(&format!(
            "SELECT regexp_extract(filename, '[^/]+$') AS file, list(sequence) AS sequences \
             FROM read_json('{}/_deadletter/*.ndjson', format='newline_delimited', filename=true) GROUP BY ALL",
            dead_letters.display()
        ))
    );
}

/// What a failed exactly-once check needs to be understood after the temporary directory is
/// gone: the files holding a position twice (one file: an event taken twice into a segment;
/// two files: a segment written again without the first one undone), and the services' logs.
fn diagnose(run_lake: &Path, work: &Path) -> String {
    let twice = duckdb(&format!(
        "SELECT _Partition AS part, _SequenceNumber AS s, list(DISTINCT regexp_extract(filename, '[^/]+/[^/]+/[^/]+/[^/]+$')) AS files, count(*) AS n \
         FROM read_parquet('{}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true, filename=true) \
         GROUP BY ALL HAVING count(*) > count(DISTINCT _RecordIndex) ORDER BY 1, 2 LIMIT 20",
        run_lake.display()
    ));
    let mut out = format!("positions taken twice (first 20): {twice:#?}\n");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(work)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    logs.retain(|p| p.extension().is_some_and(|e| e == "log"));
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(80)..].join("\n");
        out += &format!("--- last 80 lines of {}:\n{tail}\n", log.display());
        keep_log(&log);
    }
    out
}

pub(crate) fn service_env(azurite: Option<&Azurite>) -> Vec<(String, String)> {
    let mut env = vec![(
        CONNECTION_STRING_ENV.to_string(),
        connection_string(NAMESPACE, "entra"),
    )];
    if let Some(a) = azurite {
        env.extend(a.env().into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    env
}

/// Last sequence number per partition in the broker.
pub(crate) fn ends(broker: &Broker, partitions: u32) -> BTreeMap<String, i64> {
    (0..partitions)
        .filter_map(|p| {
            let events = broker.events("entra", &p.to_string());
            events.last().map(|e| (p.to_string(), e.sequence_number))
        })
        .collect()
}

/// Checkpoints (from a local directory store) as partition → sequence number.
pub(crate) fn local_checkpoints(dir: &Path) -> BTreeMap<String, i64> {
    let d = dir.join(PREFIX).join("checkpoint");
    let Ok(entries) = std::fs::read_dir(&d) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().to_string_lossy().into_owned();
            // A checkpoint being written, or left half-written by a SIGKILL: the store skips
            // these too.
            if name.contains(".tmp") {
                return None;
            }
            let text = std::fs::read_to_string(e.path()).ok()?;
            let seq = text
                .lines()
                .find_map(|l| l.strip_prefix("sequencenumber="))?
                .parse()
                .ok()?;
            Some((name, seq))
        })
        .collect()
}

/// Wait until the local checkpoint of each of the hub's `partitions` is at its last event.
pub(crate) fn wait_for_local_checkpoints(
    broker: &Broker,
    partitions: u32,
    dir: &Path,
    what: &str,
    timeout: Duration,
) {
    let want = ends(broker, partitions);
    wait_for_eq(what, timeout, &want, || local_checkpoints(dir));
}

/// A config with checkpoints and lake in local directories under `work`.
pub(crate) fn local_config(work: &Path, broker: &Broker) -> (PathBuf, PathBuf, ServiceConfig) {
    let checkpoints = work.join("checkpoints");
    let lake = work.join("lake");
    let config = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        checkpoints.to_str().unwrap(),
        lake.to_str().unwrap(),
    );
    (checkpoints, lake, config)
}

/// Checkpoints in Azurite, as the Python SDK reads them: partition → sequence number.
pub(crate) fn azurite_checkpoints(azurite: &Azurite) -> BTreeMap<String, i64> {
    checkpoints_in(&azurite.blobs("checkpoints"), PREFIX)
        .into_iter()
        .map(|(p, (_, s))| (p, s))
        .collect()
}

/// In-flight markers in a local lake.
fn markers(lake: &Path) -> Vec<PathBuf> {
    let Ok(sources) = std::fs::read_dir(lake.join("_inflight")) else {
        return Vec::new();
    };
    sources
        .flatten()
        .flat_map(|s| std::fs::read_dir(s.path()).into_iter().flatten().flatten())
        .map(|m| m.path())
        .collect()
}

/// Staging files (`<name>#<pid>`) anywhere in a local lake.
fn staging_files(lake: &Path) -> Vec<PathBuf> {
    files_where(lake, |p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().contains('#'))
    })
}

pub(crate) fn assert_no_secret(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(!text.contains(SAS_KEY), "the SAS key leaked into the log");
    assert!(
        !text.contains("sig="),
        "a SAS signature leaked into the log"
    );
}

#[test]
fn producer_events_land_once_and_checkpoints_keep_the_cross_sdk_layout() {
    let work = tempfile::tempdir().unwrap();
    let azurite = Azurite::start();
    azurite.create_container("checkpoints");
    azurite.create_container("lake");
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 800, 11, 25);

    // Publish with the real producer: batches to each partition, and single keyed events.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let producer = ProducerClient::builder()
            .with_custom_endpoint(broker.endpoint())
            .open_with_connection_string(&connection_string(NAMESPACE, "entra"), None)
            .await
            .expect("producer");
        let (batched, single) = cap.messages.split_at(cap.messages.len() / 2);
        for (p, chunk) in batched.chunks(batched.len().div_ceil(4)).enumerate() {
            let mut batch = producer
                .create_batch(Some(EventDataBatchOptions {
                    partition_id: Some(p.to_string()),
                    ..Default::default()
                }))
                .await
                .unwrap();
            for m in chunk {
                if !batch.try_add_event_data(m.clone(), None).unwrap() {
                    producer.send_batch(batch, None).await.unwrap();
                    batch = producer
                        .create_batch(Some(EventDataBatchOptions {
                            partition_id: Some(p.to_string()),
                            ..Default::default()
                        }))
                        .await
                        .unwrap();
                    assert!(batch.try_add_event_data(m.clone(), None).unwrap());
                }
            }
            producer.send_batch(batch, None).await.unwrap();
        }
        for (i, m) in single.iter().enumerate() {
            let options = SendEventOptions {
                partition_id: Some((i % 4).to_string()),
            };
            producer.send_event(m.clone(), Some(options)).await.unwrap();
        }
        producer.close().await.unwrap();
    });
    let total: usize = (0..4)
        .map(|p| broker.events("entra", &p.to_string()).len())
        .sum();
    assert_eq!(total, cap.messages.len());

    // Segments roll only at 256 MiB or after ten minutes: here only the graceful stop commits.
    let mut config = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        "az://checkpoints",
        "az://lake/entra",
    );
    config.strategy = "balanced";
    config.roll_secs = 600.0;
    config.roll_mib = 256;
    config.owner_id = Some("aad-ingest-test".into());
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let service = Service::start(&config, &service_env(Some(&azurite)), &log);
    wait_for("all four partitions taken", Duration::from_secs(60), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        (text.matches("partition taken").count() >= 4).then_some(())
    });
    // Time to receive the 32 events; a debug build on a busy machine needs a few seconds.
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        azurite_checkpoints(&azurite).is_empty(),
        "nothing should be committed before the stop"
    );
    let (code, took) = service.terminate(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(0),
        "log:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    assert!(took < Duration::from_secs(20), "stop took {took:?}");
    assert_eq!(azurite_checkpoints(&azurite), ends(&broker, 4));

    // The checkpoint container, as the Azure SDK for Python reads it: empty blobs, lower-cased
    // names, `offset` and `sequencenumber` from the broker (beside our fence's epoch and
    // owner, which other readers ignore), and ownership released on stop. Epoch records
    // live in a directory of their own, beside `ownership/` and `checkpoint/`.
    let blobs = azurite.blobs("checkpoints");
    let names: BTreeSet<&str> = blobs.keys().map(String::as_str).collect();
    let expected: BTreeSet<String> = (0..4)
        .flat_map(|p| {
            [
                format!("{PREFIX}checkpoint/{p}"),
                format!("{PREFIX}ownership/{p}"),
                format!("{PREFIX}aad-ingest-epoch/{p}"),
            ]
        })
        .collect();
    assert_eq!(names, expected.iter().map(String::as_str).collect());
    for p in 0..4 {
        let last = broker.events("entra", &p.to_string()).pop().unwrap();
        let b = &blobs[&format!("{PREFIX}checkpoint/{p}")];
        assert_eq!(b.size, 0);
        let epoch = &blobs[&format!("{PREFIX}aad-ingest-epoch/{p}")].metadata["aadingestepoch"];
        assert_eq!(
            b.metadata,
            BTreeMap::from([
                ("offset".to_string(), last.offset.clone()),
                (
                    "sequencenumber".to_string(),
                    last.sequence_number.to_string()
                ),
                ("aadingestepoch".to_string(), epoch.clone()),
                ("aadingestowner".to_string(), "aad-ingest-test".to_string()),
            ])
        );
    }
    assert_eq!(
        owners_in(&blobs, PREFIX).into_values().collect::<Vec<_>>(),
        vec![String::new(); 4],
        "ownership not released on stop"
    );

    let lake = work.path().join("lake");
    azurite.download("lake", &lake);
    assert_exactly_once(&lake.join("entra"), &cap.file, work.path());
    assert_no_secret(&log);
}

#[test]
fn hub_connection_drops_and_a_store_outage_are_retried_without_losing_place() {
    let work = tempfile::tempdir().unwrap();
    let mut azurite = Azurite::start();
    azurite.create_container("checkpoints");
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 2000, 41, 20);
    let lake = work.path().join("lake");
    let mut config = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        "az://checkpoints",
        lake.to_str().unwrap(),
    );
    config.owner_id = Some("replica-a".into());
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let quarter = cap.messages.len() / 4;
    let publish = |from: usize, to: usize| {
        for (i, m) in cap.messages[from..to].iter().enumerate() {
            broker.publish("entra", &((from + i) % 4).to_string(), m.clone());
        }
    };
    publish(0, quarter);
    let service = Service::start(&config, &service_env(Some(&azurite)), &log);
    wait_for(
        "a first checkpoint on every partition",
        Duration::from_secs(120),
        || (azurite_checkpoints(&azurite).len() == 4).then_some(()),
    );

    // The hub drops every connection; then the checkpoint store goes away for a while.
    broker.drop_connections();
    publish(quarter, 2 * quarter);
    std::thread::sleep(Duration::from_secs(2));
    azurite.pause();
    publish(2 * quarter, 3 * quarter);
    std::thread::sleep(Duration::from_secs(4));
    azurite.resume();
    publish(3 * quarter, cap.messages.len());

    let want = ends(&broker, 4);
    wait_for_eq(
        "every event checkpointed after the outages",
        Duration::from_secs(240),
        &want,
        || azurite_checkpoints(&azurite),
    );
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(0),
        "log:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    assert_exactly_once(&lake, &cap.file, work.path());
    assert_no_secret(&log);
}

/// Publish the first half of a capture round robin over `partitions`, start a service, wait
/// until that half is checkpointed, call `disturb`, publish the rest, and wait until it is all
/// checkpointed too. With `open_segment`, one more event per partition is received (but not
/// yet committed, with 5 s segments) when `disturb` is called. Returns the service's log; the
/// lake must hold every record exactly once.
fn disturb_midway(
    partitions: u32,
    seed: u64,
    open_segment: bool,
    disturb: impl FnOnce(&Broker),
) -> String {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", partitions)]);
    let cap = capture(work.path(), 400 * partitions as u64, seed, 20);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("replica-a".into());
    if open_segment {
        config.roll_secs = 5.0;
    }
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let publish = |from: usize, to: usize| {
        for (i, m) in cap.messages[from..to].iter().enumerate() {
            let partition = (from + i) % partitions as usize;
            broker.publish("entra", &partition.to_string(), m.clone());
        }
    };
    let mut published = cap.messages.len() / 2;
    publish(0, published);
    let service = Service::start(&config, &service_env(None), &log);
    wait_for_local_checkpoints(
        &broker,
        partitions,
        &checkpoints,
        "the first half checkpointed",
        Duration::from_secs(120),
    );
    if open_segment {
        publish(published, published + partitions as usize);
        published += partitions as usize;
        let want: Vec<_> = ends(&broker, partitions).into_values().map(Some).collect();
        wait_for_eq(
            "one more event received",
            Duration::from_secs(60),
            &want,
            || {
                (0..partitions)
                    .map(|p| broker.delivered("entra", &p.to_string()))
                    .collect()
            },
        );
    }
    disturb(&broker);
    publish(published, cap.messages.len());
    wait_for_local_checkpoints(
        &broker,
        partitions,
        &checkpoints,
        "every event checkpointed after the disturbance",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    assert_exactly_once(&lake, &cap.file, work.path());
    let attaches = broker.attaches("entra");
    for p in 0..partitions {
        assert!(
            attaches[&p.to_string()] >= 2,
            "partition {p} was not attached again: {attaches:?}"
        );
    }
    std::fs::read_to_string(&log).unwrap()
}

/// Event Hubs detaches consumer links when it moves a partition between its nodes. The client
/// re-attaches by itself, with the start filter its receiver was first opened with, and so
/// delivers the partition again from there, into the segment being gathered: those repeats
/// must not reach the lake again. One partition, so that the client's recovery is not racing
/// another one (see the next test).
#[test]
fn a_link_the_client_recovers_delivers_again_and_nothing_is_written_twice() {
    let log = disturb_midway(1, 43, true, |broker| broker.detach_consumers("entra"));
    assert!(
        log.contains("skipped events the client delivered again"),
        "the client did not deliver again; this test no longer covers the repeats:\n{log}"
    );
}

/// A receiver can wait forever inside the client (concurrent link recoveries drop each other's
/// connections). The broker makes the attached links go silent, which looks the same from
/// outside: the watchdog must notice the partitions holding events and reconnect.
#[test]
fn receivers_that_go_silent_are_reconnected_and_nothing_is_lost() {
    let log = disturb_midway(4, 47, false, |broker| broker.mute_consumers("entra"));
    assert!(
        log.contains("the client delivered nothing for"),
        "no stall reported:\n{log}"
    );
}

/// Run two partitions' worth of events through `run` with `auth` (an inline TOML table) and
/// `env`; check the lake; return every token the broker was given and the service's log.
fn run_authenticated(
    work: &Path,
    seed: u64,
    auth: &str,
    env: &[(String, String)],
) -> (Vec<(String, String, String)>, String) {
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work, 200, seed, 20);
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    let (checkpoints, lake, mut config) = local_config(work, &broker);
    config.namespace = Some(NAMESPACE.into());
    config.auth = auth.into();
    let config = config.write(&work.join("run.toml"));
    let log = work.join("run.log");
    let service = Service::start(&config, env, &log);
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "both partitions checkpointed",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    assert_exactly_once(&lake, &cap.file, work);
    let tokens = broker.tokens();
    assert!(!tokens.is_empty());
    (tokens, std::fs::read_to_string(&log).unwrap())
}

#[test]
fn a_sas_token_from_the_environment_authenticates_and_never_shows() {
    let work = tempfile::tempdir().unwrap();
    let token = format!(
        "SharedAccessSignature sr=amqps%3A%2F%2F{NAMESPACE}%2Fentra&sig=c2lnbmF0dXJlLXNlY3JldA%3D%3D&se=4102444800&skn=listen"
    );
    let (tokens, log) = run_authenticated(
        work.path(),
        51,
        "{ method = \"sas\", env = \"AAD_TEST_SAS\" }",
        &[("AAD_TEST_SAS".into(), token.clone())],
    );
    for (audience, kind, value) in &tokens {
        assert_eq!(kind, "servicebus.windows.net:sastoken", "{audience}");
        assert_eq!(value, &token, "{audience}");
    }
    assert!(!log.contains("sig="), "a SAS signature leaked into the log");
}

#[test]
fn a_managed_identity_token_from_azure_identity_authenticates() {
    let work = tempfile::tempdir().unwrap();
    let identity_header = "identity-header-secret-9d1f";
    let access_token = "eyJ0eXAiOiJKV1QifQ.managed-identity-token.c2lnbmF0dXJl";
    let endpoint = TokenEndpoint::start(identity_header, access_token);
    let (tokens, log) = run_authenticated(
        work.path(),
        61,
        "{ method = \"managed_identity\" }",
        &endpoint.env(identity_header),
    );
    assert!(endpoint.served.load(Ordering::Relaxed) >= 1);
    assert_eq!(endpoint.refused.load(Ordering::Relaxed), 0);
    for (audience, kind, value) in &tokens {
        assert_eq!(kind, "jwt", "{audience}");
        assert_eq!(value, access_token, "{audience}");
    }
    assert!(!log.contains(access_token) && !log.contains(identity_header));
}

/// A small deterministic generator for kill times.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn restarts_resume_and_sigkills_lose_and_duplicate_nothing() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 8)]);
    let cap = capture(work.path(), 6000, 21, 20);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    // A stable owner id: a restarted replica takes its partitions straight back.
    config.owner_id = Some("replica-a".into());
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let env = service_env(None);
    let mut published = 0;
    let mut publish = |n: usize| {
        for m in cap.messages.iter().skip(published).take(n) {
            broker.publish("entra", &(published % 8).to_string(), m.clone());
            published += 1;
        }
    };

    // A clean restart resumes where the checkpoints are.
    publish(60);
    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        8,
        &checkpoints,
        "first batch checkpointed",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));

    // Then SIGKILL while events keep arriving: at random points, and while a segment is in
    // flight (its marker written, its checkpoint not yet), so that recovery has to undo it.
    let mut rng = Lcg(7);
    let mut progressed = 0;
    let mut mid_segment = 0;
    for round in 0..10 {
        publish(20);
        let before = local_checkpoints(&checkpoints);
        let service = Service::start(&config, &env, &log);
        if round % 2 == 0 {
            std::thread::sleep(Duration::from_millis(1000 + rng.below(2500)));
        } else {
            mid_segment += wait_for_a_segment_in_flight(&lake, Duration::from_secs(10)) as usize;
        }
        service.kill();
        if local_checkpoints(&checkpoints) != before {
            progressed += 1;
        }
    }
    assert!(
        mid_segment >= 3,
        "only {mid_segment} kills came while a segment was in flight"
    );
    publish(usize::MAX);
    assert_eq!(published, cap.messages.len());
    assert!(
        progressed >= 2,
        "only {progressed} of 10 runs got as far as a checkpoint before the kill:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        8,
        &checkpoints,
        "every event checkpointed after the crashes",
        Duration::from_secs(180),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    assert_exactly_once(&lake, &cap.file, work.path());
    assert_matches_the_generator(&lake, &lake, &cap);
    let text = std::fs::read_to_string(&log).unwrap();
    // Every run took every partition, but those killed as soon as a segment was in flight.
    assert!(text.matches("partition taken").count() >= 8 * 7, "{text}");
    assert!(
        text.contains("removed rows of an uncommitted segment"),
        "a kill mid-segment left files that recovery undid"
    );
    // Nothing of the crashes is left: no marker, no staging file.
    assert_eq!(markers(&lake), Vec::<PathBuf>::new());
    assert_eq!(staging_files(&lake), Vec::<PathBuf>::new());
    assert_no_secret(&log);
}

/// Is a segment in flight with a file of it already in the lake (its marker written, its
/// checkpoint not yet)? Waits up to `within` for one.
fn wait_for_a_segment_in_flight(lake: &Path, within: Duration) -> bool {
    let in_flight = || {
        markers(lake).iter().any(|m| {
            let name = m.file_name().unwrap().to_string_lossy().into_owned();
            name.split_once("-e").is_some_and(|(_, epoch)| {
                let suffix = format!("-e{epoch}.parquet");
                parquet_files(lake)
                    .iter()
                    .any(|f| f.to_string_lossy().ends_with(&suffix))
            })
        })
    };
    let start = std::time::Instant::now();
    while !in_flight() && start.elapsed() < within {
        std::thread::sleep(Duration::from_millis(2));
    }
    in_flight()
}

/// Each lake file with its size and modification time: what "not deleted, not overwritten"
/// is checked against.
fn file_states(lake: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    parquet_files(lake)
        .into_iter()
        .filter_map(|f| {
            let m = std::fs::metadata(&f).ok()?;
            Some((f, (m.len(), m.modified().ok()?)))
        })
        .collect()
}

/// The stale writer: a replica frozen (SIGSTOP, as a paused VM or a stalled store would
/// freeze it) after writing a segment's files, before its checkpoint. Its ownership expires,
/// a second replica takes every partition, undoes the frozen one's uncommitted files and
/// commits everything. Then the frozen replica resumes where it stopped: its checkpoint is
/// refused (the epoch moved on), its undo touches only its own files, not one file the new
/// owner committed is deleted or rewritten, and the lake holds every record once.
#[test]
fn a_replica_frozen_mid_commit_is_fenced_when_it_resumes() {
    frozen_mid_commit("parquet");
}

/// The same with a Delta lake: the frozen replica's files are invisible (no commit references
/// them), the new owner commits the events under its own `txn` watermark, and the frozen one,
/// resuming, finds the watermark moved: it commits nothing and deletes only its own files.
#[test]
fn a_replica_frozen_mid_commit_into_a_delta_lake_commits_nothing_when_it_resumes() {
    frozen_mid_commit("delta");
}

/// The data files the Delta logs of a lake add, as paths.
fn delta_added(lake: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for log in files_where(lake, |p| {
        p.extension().is_some_and(|e| e == "json")
            && p.parent().is_some_and(|d| d.ends_with("_delta_log"))
    }) {
        let table = log.parent().unwrap().parent().unwrap().to_path_buf();
        for line in std::fs::read_to_string(&log).unwrap().lines() {
            let mut bytes = line.as_bytes().to_vec();
            let action = simd_json::to_owned_value(&mut bytes).unwrap();
            if let Some(path) = action.get("add").and_then(|a| a.get("path")) {
                out.insert(table.join(path.as_str().unwrap()));
            }
        }
    }
    out
}

/// The data files of a Delta lake (its logs' checkpoints are Parquet files too).
fn delta_data_files(lake: &Path) -> Vec<PathBuf> {
    files_where(lake, |p| {
        p.extension().is_some_and(|e| e == "parquet")
            && !p.components().any(|c| c.as_os_str() == "_delta_log")
    })
}

/// Is a data file in the lake that no Delta commit added (written, not committed yet)?
fn wait_for_an_uncommitted_delta_file(lake: &Path, within: Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        let added = delta_added(lake);
        if delta_data_files(lake).iter().any(|f| !added.contains(f)) {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn frozen_mid_commit(format: &'static str) {
    let work = tempfile::tempdir().unwrap();
    let azurite = Azurite::start();
    azurite.create_container("checkpoints");
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 3000, 53, 20);
    let lake = work.path().join("lake");
    let (first, rest) = cap.messages.split_at(cap.messages.len() / 2);
    for (i, m) in first.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    let env = service_env(Some(&azurite));
    let start = |owner: &str| {
        let mut c = ServiceConfig::new(
            "entra",
            &broker.endpoint(),
            "az://checkpoints",
            lake.to_str().unwrap(),
        );
        c.owner_id = Some(owner.into());
        c.lake_format = format;
        let path = c.write(&work.path().join(format!("{owner}.toml")));
        let log = work.path().join(format!("{owner}.log"));
        (Service::start(&path, &env, &log), log)
    };
    let signal = |pid: u32, sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    };

    let (stale, stale_log) = start("replica-a");
    let in_flight = if format == "delta" {
        wait_for_an_uncommitted_delta_file(&lake, Duration::from_secs(60))
    } else {
        wait_for_a_segment_in_flight(&lake, Duration::from_secs(60))
    };
    assert!(in_flight, "replica-a never had a segment in flight");
    signal(stale.pid(), "-STOP");
    let frozen_files = file_states(&lake);

    // replica-b takes every partition once replica-a's ownerships expire, and commits all.
    let (fresh, fresh_log) = start("replica-b");
    wait_for(
        "replica-b owns every partition",
        Duration::from_secs(120),
        || {
            let owners = owners_in(&azurite.blobs("checkpoints"), PREFIX);
            (owners.len() == 4 && owners.values().all(|o| o == "replica-b")).then_some(())
        },
    );
    for (i, m) in rest.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    let want = ends(&broker, 4);
    wait_for(
        "replica-b checkpointed every event",
        Duration::from_secs(180),
        || (azurite_checkpoints(&azurite) == want).then_some(()),
    );
    let mut committed = file_states(&lake);
    if format == "delta" {
        // Left in place, and never read: no commit adds them.
        let added = delta_added(&lake);
        assert!(
            frozen_files.keys().any(|f| !added.contains(f)),
            "replica-a's uncommitted files are not in any commit"
        );
        committed.retain(|f, _| added.contains(f));
    } else {
        assert!(
            frozen_files.keys().any(|f| !committed.contains_key(f)),
            "replica-b's recovery removed replica-a's uncommitted files"
        );
    }

    // replica-a resumes mid-commit: refused, and it leaves replica-b's files alone.
    signal(stale.pid(), "-CONT");
    wait_for(
        "replica-a notices it lost the partition",
        Duration::from_secs(60),
        || {
            let text = std::fs::read_to_string(&stale_log).unwrap_or_default();
            text.contains("taken by another replica while committing")
                .then_some(())
        },
    );
    assert_eq!(stale.terminate(Duration::from_secs(30)).0, Some(0));
    assert_eq!(fresh.terminate(Duration::from_secs(30)).0, Some(0));
    let end = file_states(&lake);
    for (file, state) in &committed {
        assert_eq!(
            end.get(file),
            Some(state),
            "{} was deleted or rewritten after its owner committed it",
            file.display()
        );
    }
    assert_eq!(azurite_checkpoints(&azurite), want);
    keep_log(&stale_log);
    keep_log(&fresh_log);
    let rows = committed_rows(&lake, format, work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
    assert_matches_the_generator(&rows, &lake, &cap);
    if format == "delta" {
        // What the frozen replica wrote and never committed (it undoes a refused segment, but
        // one whose retry was cut short by its stop stays) is invisible above, and `vacuum`
        // removes exactly that.
        let added = delta_added(&lake);
        let stray = delta_data_files(&lake)
            .into_iter()
            .filter(|f| !added.contains(f))
            .count();
        let (ok, out, err) = aad_tests::run_cli(
            &["vacuum", lake.to_str().unwrap(), "--retention-hours", "0"],
            work.path(),
        );
        assert!(ok, "{err}");
        let deleted: usize = out
            .lines()
            .filter_map(|l| {
                l.split("deleted ")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert_eq!(deleted, stray, "{out}");
        assert!(delta_data_files(&lake).iter().all(|f| added.contains(f)));
        let rows = committed_rows(&lake, format, work.path());
        assert_exactly_once(&rows, &cap.file, work.path());
    }
    assert_no_secret(&stale_log);
}

/// Event Hubs can add partitions to a running hub. The client's processor balances only the
/// partitions it started with, so without a new session the added one would never be read.
#[test]
fn a_partition_added_while_running_is_taken_without_a_restart() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 1200, 61, 20);
    let (checkpoints, lake, config) = local_config(work.path(), &broker);
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let (first, rest) = cap.messages.split_at(cap.messages.len() / 2);
    for (i, m) in first.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    let service = Service::start(&config, &service_env(None), &log);
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "the first two partitions checkpointed",
        Duration::from_secs(120),
    );
    assert_eq!(broker.add_partition("entra"), "2");
    for (i, m) in rest.iter().enumerate() {
        broker.publish("entra", &(i % 3).to_string(), m.clone());
    }
    wait_for_local_checkpoints(
        &broker,
        3,
        &checkpoints,
        "every partition checkpointed, the added one too",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.matches("the hub now has 3 partitions (it had 2)")
            .count(),
        1,
        "{text}"
    );
    assert_exactly_once(&lake, &cap.file, work.path());
    assert_matches_the_generator(&lake, &lake, &cap);
}

/// `service.roll_idle_secs`: once the hub is drained, each partition's segment is committed
/// after the idle time, not at its ten-minute age bound or its 256 MiB size; and events
/// waiting in the hub are never taken for silence, so each partition commits exactly one
/// segment.
#[test]
fn a_drained_partition_commits_after_its_idle_time_in_one_segment() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 2000, 71, 20);
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.roll_secs = 600.0;
    config.roll_mib = 256;
    config.roll_idle_secs = Some(2.0);
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let service = Service::start(&config, &service_env(None), &log);
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "every partition checkpointed while the service runs",
        Duration::from_secs(120),
    );
    let address = service.http_address(Duration::from_secs(60));
    let (_, metrics) = http_get(&address, "/metrics");
    // Each partition's segment was committed once, and by its idle time.
    use aad_ingest::ops::metrics::Close;
    let series = |name| aad_tests::prometheus::series(&metrics, name);
    assert_eq!(
        series(aad_ingest::ops::metrics::COMMITS),
        BTreeMap::from([("{destination=\"lake\"}".to_string(), 4.0)]),
        "{metrics}"
    );
    let closed: BTreeMap<String, f64> = Close::ALL
        .into_iter()
        .map(|why| {
            let n = if why == Close::Idle { 4.0 } else { 0.0 };
            (format!("{{reason=\"{}\"}}", why.label()), n)
        })
        .collect();
    assert_eq!(
        series(aad_ingest::ops::metrics::SEGMENTS_CLOSED),
        closed,
        "{metrics}"
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    assert_exactly_once(&lake, &cap.file, work.path());
}

/// A processor restart (forced by a partition added to the hub) while segments' commits are
/// in flight on the worker threads (Log Analytics answers after 10 s, past the 2 s grace period,
/// so the old pipelines are aborted mid-commit): each restarted pipeline waits until the old
/// one's commit has ended before it fences and recovers. So the old commit checkpoints, the new
/// pipeline neither undoes its files nor sends its rows again, and every row is in the lake and
/// in Log Analytics exactly once, with no marker or staging file left.
#[test]
fn a_processor_restart_mid_commit_waits_for_the_commit_and_duplicates_nothing() {
    use aad_tests::loganalytics::LogAnalyticsDouble;
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 1200, 67, 10);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("replica-restarted".into());
    config.grace_secs = 2.0;
    let double = LogAnalyticsDouble::start();
    let config = write_la_config(work.path(), &config, &double);
    let log = work.path().join("run.log");
    let mut env = service_env(None);
    env.extend(double.env());
    let (first, rest) = cap.messages.split_at(cap.messages.len() / 2);
    for (i, m) in first.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "the first half checkpointed",
        Duration::from_secs(120),
    );
    double.inject(serde_json::json!({"delay_ms": 10_000, "count": 2}));
    for (i, m) in rest.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    wait_for(
        "both slow requests in flight",
        Duration::from_secs(60),
        || (double.stats()["pending_injections"].as_u64() == Some(0)).then_some(()),
    );
    assert_eq!(broker.add_partition("entra"), "2");
    wait_for_local_checkpoints(
        &broker,
        3,
        &checkpoints,
        "every event checkpointed after the restart",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("the hub now has 3 partitions (it had 2)"),
        "{text}"
    );
    assert!(
        text.contains("grace period over before every partition committed"),
        "the restart did not come while a commit was in flight:\n{text}"
    );
    assert_exactly_once(&lake, &cap.file, work.path());
    assert_matches_the_generator(&lake, &lake, &cap);
    for table in ["SigninLogs", "AuditLogs"] {
        let (twice, rows) = assert_all_arrived(&lake, &double, table);
        assert_eq!(twice, 0, "{table}: {twice} of {rows} rows arrived twice");
    }
    assert_eq!(markers(&lake), Vec::<PathBuf>::new());
    assert_eq!(staging_files(&lake), Vec::<PathBuf>::new());
    assert_no_secret(&log);
}

/// What `run` committed to a lake, as Hive directories DuckDB reads: the lake itself, or for
/// a Delta lake what the `deltalake` package reads of its tables (never an uncommitted file).
fn committed_rows(lake: &Path, format: &str, work: &Path) -> PathBuf {
    if format == "parquet" {
        return lake.to_path_buf();
    }
    let export = work.join("delta-export");
    let _ = std::fs::remove_dir_all(&export);
    let tables = delta_export(lake, &export);
    for (name, t) in tables.as_object().expect("tables").iter() {
        assert_eq!(
            t["rows"], t["polars_rows"],
            "{name}: polars reads what deltalake reads"
        );
        // A log checkpoint every 10 commits, so readers do not replay the whole log.
        if t["version"].as_u64().unwrap() >= 10 {
            assert!(
                t["checkpoints"].as_u64().unwrap() >= 1 && t["last_checkpoint"] == true,
                "{name}: version {} without a log checkpoint",
                t["version"]
            );
        }
    }
    export
}

fn replicas_share_and_hand_over(replicas: usize) {
    replicas_share_and_hand_over_into(replicas, "parquet");
}

fn replicas_share_and_hand_over_into(replicas: usize, format: &'static str) {
    let work = tempfile::tempdir().unwrap();
    let azurite = Azurite::start();
    azurite.create_container("checkpoints");
    let broker = Broker::start(NAMESPACE, &[("entra", 8)]);
    let cap = capture(work.path(), 4000, 31 + replicas as u64, 20);
    let lake = work.path().join("lake");
    let (first, rest) = cap.messages.split_at(cap.messages.len() / 2);
    for (i, m) in first.iter().enumerate() {
        broker.publish("entra", &(i % 8).to_string(), m.clone());
    }
    let env = service_env(Some(&azurite));
    let mut running: Vec<(String, Service)> = (0..replicas)
        .map(|i| {
            let mut c = ServiceConfig::new(
                "entra",
                &broker.endpoint(),
                "az://checkpoints",
                lake.to_str().unwrap(),
            );
            c.owner_id = Some(format!("replica-{i}"));
            c.strategy = "balanced";
            c.lake_format = format;
            let path = c.write(&work.path().join(format!("run-{i}.toml")));
            let log = work.path().join(format!("run-{i}.log"));
            (format!("replica-{i}"), Service::start(&path, &env, &log))
        })
        .collect();

    // Every partition is owned, by every replica, evenly; a partition never has two readers.
    let min_share = 8 / replicas;
    let owners = wait_for(
        "partitions spread over the replicas",
        Duration::from_secs(120),
        || {
            for (hub_cg, partition, count) in broker.active_receivers("entra") {
                assert!(count <= 1, "{hub_cg}/{partition} has {count} readers");
            }
            let owners = owners_in(&azurite.blobs("checkpoints"), PREFIX);
            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
            for o in owners.values() {
                *per.entry(o.as_str()).or_default() += 1;
            }
            let spread = owners.len() == 8
                && per.len() == replicas
                && per.iter().all(|(o, n)| !o.is_empty() && *n >= min_share);
            spread.then_some(owners)
        },
    );
    assert_eq!(owners.len(), 8);

    // Stop one: it commits, releases, and its partitions go to the others.
    let (gone, service) = running.remove(0);
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0));
    wait_for(
        "the stopped replica's partitions taken over",
        Duration::from_secs(120),
        || {
            let owners = owners_in(&azurite.blobs("checkpoints"), PREFIX);
            let ok = owners.len() == 8 && owners.values().all(|o| !o.is_empty() && *o != gone);
            ok.then_some(())
        },
    );
    for (i, m) in rest.iter().enumerate() {
        broker.publish("entra", &(i % 8).to_string(), m.clone());
    }
    let want = ends(&broker, 8);
    wait_for("every event checkpointed", Duration::from_secs(180), || {
        for (hub_cg, partition, count) in broker.active_receivers("entra") {
            assert!(count <= 1, "{hub_cg}/{partition} has {count} readers");
        }
        (azurite_checkpoints(&azurite) == want).then_some(())
    });
    for (_, service) in running {
        assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    }
    let rows = committed_rows(&lake, format, work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
    assert_matches_the_generator(&rows, &lake, &cap);
}

#[test]
fn two_replicas_hand_over_into_a_delta_lake_exactly_once() {
    replicas_share_and_hand_over_into(2, "delta");
}

/// SIGKILLs at random points while events arrive, into a Delta lake: the tables' `txn`
/// versions say what each partition committed, so the rows equal the input exactly once; the
/// files a kill left uncommitted are never read, and `vacuum` removes them.
#[test]
fn sigkills_into_a_delta_lake_lose_and_duplicate_nothing() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 3000, 71, 20);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("replica-a".into());
    config.lake_format = "delta";
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let env = service_env(None);
    let mut published = 0;
    let mut publish = |n: usize| {
        for m in cap.messages.iter().skip(published).take(n) {
            broker.publish("entra", &(published % 4).to_string(), m.clone());
            published += 1;
        }
    };
    let mut rng = Lcg(11);
    for _ in 0..6 {
        publish(20);
        let service = Service::start(&config, &env, &log);
        std::thread::sleep(Duration::from_millis(800 + rng.below(2500)));
        service.kill();
    }
    publish(usize::MAX);
    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "every event checkpointed after the crashes",
        Duration::from_secs(180),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    let rows = committed_rows(&lake, "delta", work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
    assert_matches_the_generator(&rows, &lake, &cap);

    // Every file left on disk after `vacuum` is one a table version references.
    let (ok, out, err) = aad_tests::run_cli(
        &["vacuum", lake.to_str().unwrap(), "--retention-hours", "0"],
        work.path(),
    );
    assert!(ok, "{err}");
    let live: usize = out
        .lines()
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    let on_disk = delta_data_files(&lake);
    assert_eq!(on_disk.len(), live, "{out}");
    let rows = committed_rows(&lake, "delta", work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
    assert_no_secret(&log);
}

/// Live files per (table, `date/hour`) of a Delta lake, as the `deltalake` package lists them.
fn delta_files_per_hour(lake: &Path, work: &Path) -> BTreeMap<(String, String), u64> {
    let export = work.join("delta-files");
    let _ = std::fs::remove_dir_all(&export);
    let tables = delta_export(lake, &export);
    let mut out = BTreeMap::new();
    for (name, t) in tables.as_object().expect("tables").iter() {
        for (hour, n) in t["files_per_hour"].as_object().unwrap().iter() {
            out.insert((name.to_string(), hour.to_string()), n.as_u64().unwrap());
        }
    }
    out
}

/// `compact` on a lake `run` made from a day of event time, in small segments: two compactions
/// at once while the service keeps committing newer events. Every row stays exactly once, and
/// the hours no later event touched end with one file per table.
#[test]
fn two_compactions_beside_a_running_service_leave_every_row_once() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 4000, 81, 20);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.lake_format = "delta";
    let config = config.write(&work.path().join("run.toml"));
    let log = work.path().join("run.log");
    let env = service_env(None);
    let (first, rest) = cap.messages.split_at(cap.messages.len() / 2);
    // In several rounds, so that each hour gets several small files.
    let service = Service::start(&config, &env, &log);
    for (round, part) in first.chunks(first.len() / 4 + 1).enumerate() {
        for (i, m) in part.iter().enumerate() {
            broker.publish("entra", &((round + i) % 4).to_string(), m.clone());
        }
        wait_for_local_checkpoints(
            &broker,
            4,
            &checkpoints,
            "a round checkpointed",
            Duration::from_secs(120),
        );
    }
    let before = delta_files_per_hour(&lake, work.path());
    let rows_before = work.path().join("before-compact");
    delta_export(&lake, &rows_before);
    // The first half spans the first ~12 hours of the day; hours 0-9 see no later event.
    let settled = |hour: &str| {
        hour.starts_with("2026-11-01/") && hour[11..].parse::<u32>().is_ok_and(|h| h <= 9)
    };
    assert!(
        before.iter().any(|((_, h), n)| settled(h) && *n > 1),
        "the run should leave several files in an hour: {before:?}"
    );

    let compact = || {
        std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(["compact", lake.to_str().unwrap(), "--min-age-hours", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (compact(), compact());
    for (i, m) in rest.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "every event checkpointed",
        Duration::from_secs(180),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));

    let after = delta_files_per_hour(&lake, work.path());
    for ((table, hour), n) in &after {
        if settled(hour) {
            assert_eq!(
                *n,
                1,
                "{table} {hour}: {n} files after compact (before: {:?})",
                before.get(&(table.clone(), hour.clone()))
            );
        }
    }
    let rows = committed_rows(&lake, "delta", work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
    assert_matches_the_generator(&rows, &lake, &cap);
    // The settled hours hold the same rows, value for value, as before the compactions.
    let settled_rows = |dir: &Path| {
        format!(
            "SELECT * FROM read_parquet('{}/table=*/*.parquet', hive_partitioning=true, union_by_name=true) WHERE date = DATE '2026-11-01' AND hour <= 9",
            dir.display()
        )
    };
    let diff = duckdb(&format!(
        "SELECT (SELECT count(*) FROM ({b})) AS n, \
                (SELECT count(*) FROM ({b} EXCEPT ALL {a})) AS lost, \
                (SELECT count(*) FROM ({a} EXCEPT ALL {b})) AS gained",
        b = settled_rows(&rows_before),
        a = settled_rows(&rows)
    ));
    assert!(diff[0]["n"].as_deref() != Some("0"), "{diff:?}");
    assert_eq!(
        (diff[0]["lost"].as_deref(), diff[0]["gained"].as_deref()),
        (Some("0"), Some("0")),
        "{diff:?}"
    );
    let compacted = delta_export(&lake, &work.path().join("after-compact"));
    assert!(
        compacted
            .as_object()
            .unwrap()
            .iter()
            .any(|(_, t)| t["operations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o.as_str() == Some("OPTIMIZE"))),
        "no table shows a compaction commit"
    );
    let files = |m: &BTreeMap<(String, String), u64>| -> u64 {
        m.iter()
            .filter(|((_, h), _)| settled(h))
            .map(|(_, n)| n)
            .sum()
    };
    eprintln!(
        "compact: {} files in the settled hours before, {} after",
        files(&before),
        files(&after)
    );
    // Nothing of the compactions is lost by a vacuum that keeps their removed files' retention.
    let (ok, out, err) = aad_tests::run_cli(
        &["vacuum", lake.to_str().unwrap(), "--retention-hours", "1"],
        work.path(),
    );
    assert!(ok, "{err}");
    assert!(
        out.lines().all(|l| l.contains("deleted 0 unreferenced")),
        "{out}"
    );
    let rows = committed_rows(&lake, "delta", work.path());
    assert_exactly_once(&rows, &cap.file, work.path());
}

#[test]
fn two_replicas_share_eight_partitions_and_hand_over_on_stop() {
    replicas_share_and_hand_over(2);
}

#[test]
fn three_replicas_share_eight_partitions_and_hand_over_on_stop() {
    replicas_share_and_hand_over(3);
}

#[test]
fn bad_configs_are_refused_with_the_field_and_no_secret() {
    let work = tempfile::tempdir().unwrap();
    let good = ServiceConfig::new("entra", "amqp://127.0.0.1:1", "state", "lake").toml();
    let cases: &[(&str, String, &str)] = &[
        ("missing hub", good.replace("hub = \"entra\"\n", ""), "missing field `hub`"),
        (
            "unknown key",
            good.replace("[lake]\n", "[lake]\nroll_minutes = 3\n"),
            "unknown field `roll_minutes`",
        ),
        (
            "bad auth method",
            good.replace("method = \"connection_string\"", "method = \"password\""),
            "unknown variant `password`",
        ),
        (
            "client secret without tenant",
            good.replace(
                &format!("auth = {{ method = \"connection_string\", env = \"{CONNECTION_STRING_ENV}\" }}"),
                "namespace = \"x.servicebus.windows.net\"\nauth = { method = \"client_secret\", client_id = \"a\" }",
            ),
            "missing field `tenant_id`",
        ),
        (
            "unset secret variable",
            good.replace(CONNECTION_STRING_ENV, "AAD_TEST_UNSET_VARIABLE"),
            "source.eventhubs.auth.env: environment variable AAD_TEST_UNSET_VARIABLE is not set",
        ),
        (
            "expiry shorter than renewal",
            good.replace("ownership_expiry_secs = 5", "ownership_expiry_secs = 0.5"),
            "checkpoint.ownership_expiry_secs:",
        ),
        (
            "bad start",
            good.replace("hub = \"entra\"", "hub = \"entra\"\nstart = \"last tuesday\""),
            "source.eventhubs.start:",
        ),
    ];
    for (what, text, expect) in cases {
        let path = work.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(["run", "-c"])
            .arg(&path)
            .env(CONNECTION_STRING_ENV, connection_string(NAMESPACE, "entra"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(expect), "{what}: expected {expect:?} in {err}");
        assert!(!err.contains(SAS_KEY), "{what}: secret in {err}");
    }

    // A malformed connection string is refused by naming its variable, not by echoing it.
    let path = work.path().join("run.toml");
    std::fs::write(&path, &good).unwrap();
    let secret = "Endpoint=nonsense;SharedAccessKey=hunter2-very-secret";
    let out = std::process::Command::new(aad_tests::aad_ingest_bin())
        .args(["run", "-c"])
        .arg(&path)
        .env(CONNECTION_STRING_ENV, secret)
        .current_dir(work.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(CONNECTION_STRING_ENV), "{err}");
    assert!(!err.contains("hunter2"), "secret in {err}");
}

/// `run` into the lake and Log Analytics: a SIGKILL while requests are in flight loses no
/// routed row, and only the rows of requests in flight at the kill may arrive twice.
#[test]
fn run_forwards_to_log_analytics_and_a_sigkill_mid_request_loses_nothing() {
    use aad_tests::loganalytics::LogAnalyticsDouble;
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 1500, 23, 10);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("replica-la".into());
    let double = LogAnalyticsDouble::start();
    let config = write_la_config(work.path(), &config, &double);
    let log = work.path().join("run.log");
    let mut env = service_env(None);
    env.extend(double.env());
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    // Slow answers keep requests in flight when the kill comes.
    double.inject(serde_json::json!({"delay_ms": 2000, "count": 1000}));
    let service = Service::start(&config, &env, &log);
    wait_for(
        "a first request acknowledged",
        Duration::from_secs(60),
        || (double.stats()["by_status"]["204"].as_u64().unwrap_or(0) > 0).then_some(()),
    );
    std::thread::sleep(Duration::from_millis(700));
    service.kill();
    let answered_before_restart = double.stats()["requests"].as_u64().unwrap();
    double.clear();

    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "every event checkpointed after the kill",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));

    // Every routed row reached Log Analytics; a row twice only from a request in flight at
    // the kill (at most max_concurrency per partition pipeline).
    for table in ["SigninLogs", "AuditLogs"] {
        let (twice, rows) = assert_all_arrived(&lake, &double, table);
        eprintln!("{table}: {rows} rows, {twice} arrived twice");
        let requests = double.requests();
        let largest = requests
            .iter()
            .map(|r| r["rows"].as_u64().unwrap_or(0))
            .max()
            .unwrap_or(0);
        assert!(
            twice as u64 <= 4 * 2 * largest,
            "{table}: {twice} rows arrived twice; at most the {} requests in flight at the kill may repeat ({answered_before_restart} requests before it)",
            4 * 2
        );
    }
    double.assert_within_limits(200_000);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("will not be sent again"),
        "the restarted service skipped what Log Analytics had acknowledged:\n{text}"
    );
    assert_no_secret(&log);
}

/// A config forwarding sign-ins and audits (one DCR) beside the lake.
pub(crate) fn write_la_config(
    work: &Path,
    config: &ServiceConfig,
    double: &aad_tests::loganalytics::LogAnalyticsDouble,
) -> PathBuf {
    write_la_config_with(
        work,
        config,
        double,
        "[[destination.route]]\ntables = [\"SigninLogs\", \"AuditLogs\"]\ndcr_immutable_id = \"{dcr}\"\n",
    )
}

/// A config with a Log Analytics destination `sentinel` beside the lake, with `routes` (TOML
/// `[[destination.route]]` tables; `{dcr}` stands for the sign-ins' and audits' DCR).
pub(crate) fn write_la_config_with(
    work: &Path,
    config: &ServiceConfig,
    double: &aad_tests::loganalytics::LogAnalyticsDouble,
    routes: &str,
) -> PathBuf {
    let mut toml = config.toml();
    toml.push_str(&format!(
        r#"
[[destination]]
name = "sentinel"
kind = "loganalytics"
endpoint = "{endpoint}"
auth = {{ method = "managed_identity" }}
max_concurrency = 2
max_request_bytes = 200000

{routes}"#,
        endpoint = double.endpoint(),
        routes = routes.replace("{dcr}", &double.dcr_for("SigninLogs")),
    ));
    assert_eq!(double.dcr_for("SigninLogs"), double.dcr_for("AuditLogs"));
    let path = work.join("run.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Every row of `table` in the lake arrived in the double: (rows that arrived twice, rows).
fn assert_all_arrived(
    lake: &Path,
    double: &aad_tests::loganalytics::LogAnalyticsDouble,
    table: &str,
) -> (usize, usize) {
    let want: BTreeSet<(String, i64, i64)> = duckdb(&format!(
        "SELECT _Partition AS p, _SequenceNumber AS s, _RecordIndex AS i FROM read_parquet('{}/table={table}/**/*.parquet')",
        lake.display()
    ))
    .into_iter()
    .map(|r| {
        (
            r["p"].clone().unwrap(),
            r["s"].as_deref().unwrap().parse().unwrap(),
            r["i"].as_deref().unwrap().parse().unwrap(),
        )
    })
    .collect();
    assert!(!want.is_empty());
    let rows = double.rows(&format!("Custom-{table}"));
    let mut got = BTreeSet::new();
    let mut twice = 0;
    for r in &rows {
        let p = (
            r["IngestPartition"].as_str().unwrap().to_string(),
            r["IngestSequenceNumber"].as_i64().unwrap(),
            r["IngestRecordIndex"].as_i64().unwrap(),
        );
        if !got.insert(p) {
            twice += 1;
        }
    }
    assert_eq!(got, want, "{table}: every routed row arrives");
    (twice, rows.len())
}

/// `run` while Log Analytics refuses the token: the lake gets the rows, but no checkpoint moves
/// and the service says why; once the role applies, every row arrives exactly once.
#[test]
fn run_holds_the_checkpoint_while_log_analytics_refuses_then_delivers_exactly_once() {
    use aad_tests::loganalytics::LogAnalyticsDouble;
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 600, 24, 10);
    let (checkpoints, lake, config) = local_config(work.path(), &broker);
    let double = LogAnalyticsDouble::start();
    let config = write_la_config(work.path(), &config, &double);
    let log = work.path().join("run.log");
    let mut env = service_env(None);
    env.extend(double.env());
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    double.fail_always(401);
    let service = Service::start(&config, &env, &log);
    wait_for(
        "the service to say why nothing is acknowledged",
        Duration::from_secs(60),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            (text.contains("401")
                && text.contains("30 minutes")
                && text.contains("checkpoint is held"))
            .then_some(())
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        local_checkpoints(&checkpoints).is_empty(),
        "no checkpoint may move while a destination refuses"
    );
    assert!(double.rows("Custom-SigninLogs").is_empty());
    double.clear();
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "every event checkpointed once the token is accepted",
        Duration::from_secs(120),
    );
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    for table in ["SigninLogs", "AuditLogs"] {
        let (twice, _) = assert_all_arrived(&lake, &double, table);
        assert_eq!(twice, 0, "{table}: nothing twice without a crash");
    }
    double.assert_within_limits(200_000);
    assert_no_secret(&log);
}

/// Two processes configured with one owner id would both pass every ownership check: the
/// second is refused at start with the field and the reason.
#[test]
fn a_second_process_with_the_same_owner_id_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 200, 25, 10);
    let (checkpoints, _lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("same-id".into());
    let config = config.write(&work.path().join("run.toml"));
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    let env = service_env(None);
    let first_log = work.path().join("first.log");
    let first = Service::start(&config, &env, &first_log);
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "the first process took both partitions",
        Duration::from_secs(60),
    );
    // Past the first process's own check (ten rounds of 1 s from its first claim), only the
    // newcomer checks; two started at once would both stop.
    wait_for(
        "the first process's owner id check to end",
        Duration::from_secs(60),
        || {
            std::fs::read_to_string(&first_log)
                .unwrap_or_default()
                .contains("no other process runs under this owner id")
                .then_some(())
        },
    );
    let second_log = work.path().join("second.log");
    let mut second = Service::start(&config, &env, &second_log);
    let status = wait_for(
        "the second process to exit",
        Duration::from_secs(30),
        || second.exited(),
    );
    assert!(!status.success());
    let text = std::fs::read_to_string(&second_log).unwrap();
    assert!(
        text.contains("checkpoint.owner_id: another process runs as \"same-id\""),
        "{text}"
    );
    assert_eq!(first.terminate(Duration::from_secs(30)).0, Some(0));
}

/// Peak resident memory of a running process, MiB (VmHWM).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        / 1024
}

/// Run the service with `memory_mib = 64` over `events` on one partition until all are
/// committed: (peak RSS in MiB, rows per table in the lake).
fn run_hostile(events: Vec<String>) -> (u64, BTreeMap<String, u64>) {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 1)]);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.memory_mib = 64;
    config.roll_mib = 4;
    let config = config.write(&work.path().join("run.toml"));
    for e in events {
        assert!(e.len() <= 1_000_000);
        broker.publish("entra", "0", e.into_bytes());
    }
    let log = work.path().join("run.log");
    let service = Service::start(&config, &service_env(None), &log);
    wait_for_local_checkpoints(
        &broker,
        1,
        &checkpoints,
        "every hostile event committed",
        Duration::from_secs(240),
    );
    let peak = peak_rss_mib(service.pid());
    assert_eq!(service.terminate(Duration::from_secs(60)).0, Some(0));
    let counts = duckdb(&format!(
        "SELECT \"table\" AS t, count(*) AS n FROM read_parquet('{}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true) GROUP BY ALL ORDER BY 1",
        lake.display()
    ))
    .into_iter()
    .map(|r| (r["t"].clone().unwrap(), r["n"].as_deref().unwrap().parse().unwrap()))
    .collect();
    (peak, counts)
}

/// A 1 MB body of ~330k empty records decodes to many times its size: with `memory_mib = 64`
/// the service commits between such events, loses nothing, and stays within the budget plus
/// 160 MiB.
#[test]
fn tiny_records_stay_within_the_memory_budget() {
    let mut tiny = String::from("{\"records\":[{}");
    while tiny.len() < 999_990 {
        tiny.push_str(",{}");
    }
    tiny.push_str("]}");
    let records = tiny.matches("{}").count() as u64;
    let (peak, counts) = run_hostile(vec![tiny; 4]);
    eprintln!("tiny records: peak RSS {peak} MiB");
    assert_eq!(counts.get("UnknownCategoryLogs"), Some(&(4 * records)));
    assert!(peak <= 64 + 160, "peak RSS {peak} MiB with memory_mib = 64");
}

/// Records whose times spread over 10,000 hours (a builder, a batch and a lake file each):
/// nothing is lost, and with `memory_mib = 64` the service stays within the budget plus
/// 160 MiB (the batches share their all-null columns).
#[test]
fn records_spread_over_ten_thousand_hours_are_all_written() {
    let records: Vec<String> = (0..10_000u32)
        .map(|h| {
            let date = time::Date::from_julian_day(2_460_000 + (h / 24) as i32).unwrap();
            format!(
                r#"{{"time":"{date}T{:02}:00:00Z","category":"AuditLogs","operationName":"x"}}"#,
                h % 24
            )
        })
        .collect();
    let spread = format!("{{\"records\":[{}]}}", records.join(","));
    let (peak, counts) = run_hostile(vec![spread]);
    eprintln!("10,000 hours: peak RSS {peak} MiB");
    assert_eq!(counts.get("AuditLogs"), Some(&10_000));
    assert!(peak <= 64 + 160, "peak RSS {peak} MiB with memory_mib = 64");
}
