//! The test hub as a second client's broker: the official Azure SDK for Python sends to it and
//! `aad-ingest run` lands every record once; the Python event processor and `run` take over a
//! consumer group from each other through the same blob checkpoints, each resuming at exactly
//! the next event.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aad_tests::broker::Broker;
use aad_tests::service::{capture, Capture, Service, ServiceConfig, SAS_KEY};
use aad_tests::{python, repo_root, Azurite};
use simd_json::prelude::*;
use simd_json::OwnedValue;

use crate::service::{
    assert_exactly_once, azurite_checkpoints, ends, local_checkpoints, local_config, service_env,
    wait_for_local_checkpoints, NAMESPACE,
};

/// `tests/py/eventhub_client.py` with the broker's address; its JSON answer.
fn python_client(broker: &Broker, args: &[&str]) -> OwnedValue {
    let out = Command::new(python())
        .arg(repo_root().join("tests/py/eventhub_client.py"))
        .arg(args[0])
        .args([NAMESPACE, "entra", &broker.listen_address().to_string()])
        .args(&args[1..])
        .env("AAD_TEST_SAS_KEY", SAS_KEY)
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "eventhub_client.py {args:?}: {stderr}"
    );
    // The answer is the last line; the SDK may log above it.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut last = stdout
        .trim_end()
        .lines()
        .last()
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    simd_json::to_owned_value(&mut last)
        .unwrap_or_else(|e| panic!("eventhub_client.py {args:?}: {e}; stderr: {stderr}"))
}

/// Every stored event's body, in order, per partition.
fn stored_bodies(broker: &Broker, partitions: u32) -> Vec<Vec<u8>> {
    (0..partitions)
        .flat_map(|p| broker.events("entra", &p.to_string()))
        .map(|e| e.body)
        .collect()
}

#[test]
fn events_sent_by_the_python_sdk_land_once_through_run() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 600, 23, 4);
    let sent = python_client(&broker, &["send", cap.file.to_str().unwrap()]);
    assert_eq!(
        sent["events"].as_u64(),
        Some(cap.messages.len() as u64),
        "{sent:?}"
    );
    // Its batches went by partition id, by partition key and by the hub's choice, in turn.
    let spread = broker.stored("entra");
    assert!(spread.iter().filter(|&&n| n > 0).count() >= 3, "{spread:?}");
    assert_stored_and_landed_once(work.path(), &broker, &cap);
}

/// The hub holds every line of the capture once, byte for byte (order across partitions
/// aside), and `run` lands it in a lake exactly as `convert` does.
fn assert_stored_and_landed_once(work: &Path, broker: &Broker, cap: &Capture) {
    let mut got = stored_bodies(broker, 4);
    let mut want = cap.messages.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every line once, byte for byte");

    let (checkpoints, lake, config) = local_config(work, broker);
    let config = config.write(&work.join("run.toml"));
    let service = Service::start(&config, &service_env(None), &work.join("run.log"));
    wait_for_local_checkpoints(
        broker,
        4,
        &checkpoints,
        "checkpoints at each partition's last event",
        Duration::from_secs(90),
    );
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0));
    assert_exactly_once(&lake, &cap.file, work);
}

/// Publishes each message to partition `i % partitions`.
fn publish_round_robin(broker: &Broker, messages: &[Vec<u8>], partitions: u32) {
    for (i, m) in messages.iter().enumerate() {
        broker.publish("entra", &(i as u32 % partitions).to_string(), m.clone());
    }
}

/// A config whose checkpoints are in Azurite's `checkpoints` container.
fn azurite_config(work: &Path, broker: &Broker, name: &str) -> std::path::PathBuf {
    let mut config = ServiceConfig::new(
        "entra",
        &broker.endpoint(),
        "az://checkpoints",
        work.join("lake").to_str().unwrap(),
    );
    config.owner_id = Some(format!("aad-ingest-{name}"));
    config.write(&work.join(format!("{name}.toml")))
}

fn run_until_checkpointed(work: &Path, broker: &Broker, azurite: &Azurite, name: &str) {
    let config = azurite_config(work, broker, name);
    let log = work.join(format!("{name}.log"));
    let service = Service::start(&config, &service_env(Some(azurite)), &log);
    let want = ends(broker, 4);
    aad_tests::service::wait_for_eq(
        &format!("{name}: checkpoints at each partition's last event"),
        Duration::from_secs(90),
        &want,
        || azurite_checkpoints(azurite),
    );
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", std::fs::read_to_string(&log).unwrap());
}

#[test]
fn run_and_the_python_event_processor_resume_from_each_others_checkpoints() {
    let work = tempfile::tempdir().unwrap();
    let azurite = Azurite::start();
    azurite.create_container("checkpoints");
    let broker = Broker::start(NAMESPACE, &[("entra", 4)]);
    let first = capture(work.path(), 200, 31, 4);
    let second = capture(work.path(), 200, 32, 4);
    let third = capture(work.path(), 200, 33, 4);

    // 1. `run` drains the first capture and checkpoints in Azurite.
    publish_round_robin(&broker, &first.messages, 4);
    run_until_checkpointed(work.path(), &broker, &azurite, "run-1");
    let after_run = azurite_checkpoints(&azurite);

    // 2. The Python processor, over the same container, starts at exactly the next event of
    //    every partition and reads the second capture, nothing else; it checkpoints its last.
    publish_round_robin(&broker, &second.messages, 4);
    let got = python_client(
        &broker,
        &[
            "consume",
            &azurite.endpoint(),
            "checkpoints",
            &second.messages.len().to_string(),
            "2",
        ],
    );
    let ends_now = ends(&broker, 4);
    for p in 0..4 {
        let p = p.to_string();
        let want: Vec<u64> = ((after_run[&p] + 1) as u64..=ends_now[&p] as u64).collect();
        let sequences: Vec<u64> = got[p.as_str()]["sequences"]
            .as_array()
            .unwrap_or_else(|| panic!("partition {p} not read by Python: {got:?}"))
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert_eq!(sequences, want, "partition {p}");
    }
    // Its checkpoints, as the official store wrote them, are what `run` reads next.
    assert_eq!(azurite_checkpoints(&azurite), ends_now);

    // 3. `run` resumes after the Python checkpoints: the lake holds the first and third
    //    captures exactly once, and nothing of the second.
    publish_round_robin(&broker, &third.messages, 4);
    run_until_checkpointed(work.path(), &broker, &azurite, "run-2");
    let both = work.path().join("first-and-third.ndjson");
    let mut text = std::fs::read(&first.file).unwrap();
    text.extend(std::fs::read(&third.file).unwrap());
    std::fs::write(&both, text).unwrap();
    assert_exactly_once(&work.path().join("lake"), &both, work.path());
    let blobs = azurite.blobs("checkpoints");
    let ours: BTreeMap<String, String> = blobs
        .iter()
        .filter(|(name, _)| name.contains("/checkpoint/"))
        .map(|(name, b)| (name.clone(), b.metadata["sequencenumber"].clone()))
        .collect();
    assert_eq!(ours.len(), 4, "{blobs:?}");
}

/// `aad-ingest replay` with a connection string to `hub` in the environment; its JSON report.
fn replay(hub: &str, args: &[&str]) -> OwnedValue {
    replay_with(&aad_tests::service::connection_string(NAMESPACE, hub), args)
}

fn replay_with(connection_string: &str, args: &[&str]) -> OwnedValue {
    let out = Command::new(aad_tests::aad_ingest_bin())
        .arg("replay")
        .args(args)
        .args(["--json", "--quiet"])
        .env("EVENTHUB_CONNECTION_STRING", connection_string)
        .env(aad_tests::service::CONNECTION_STRING_ENV, connection_string)
        .output()
        .expect("run aad-ingest replay");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "replay {args:?}: {stderr}");
    let mut stdout = out.stdout;
    simd_json::to_owned_value(&mut stdout)
        .unwrap_or_else(|e| panic!("replay {args:?}: {e}; stderr: {stderr}"))
}

#[test]
fn replayed_events_land_once_through_run_and_loops_send_everything_again() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 4), ("twice", 2)]);
    let cap = capture(work.path(), 400, 41, 4);
    let n = cap.messages.len() as u64;
    let file = cap.file.to_str().unwrap();

    // Paced, spread by partition key, through the official producer, to the hub a run
    // config names.
    let replay_config = ServiceConfig::new("entra", &broker.endpoint(), "unused", "unused")
        .write(&work.path().join("replay.toml"));
    let report = replay(
        "entra",
        &[
            file,
            "--to",
            "hub",
            "-c",
            replay_config.to_str().unwrap(),
            "--rate",
            "400/s",
            "--partitioning",
            "key",
        ],
    );
    assert_eq!(report["events"].as_u64(), Some(n), "{report:?}");
    assert_eq!(report["errors"].as_object().map(|e| e.len()), Some(0));
    assert_stored_and_landed_once(work.path(), &broker, &cap);

    // Two loops, round robin, as fast as it goes: everything twice, half on each partition.
    let report = replay(
        "twice",
        &[
            file,
            "--to",
            "hub",
            "--endpoint",
            &broker.endpoint(),
            "--loops",
            "2",
            "--partitioning",
            "round-robin",
        ],
    );
    assert_eq!(report["events"].as_u64(), Some(2 * n), "{report:?}");
    assert_eq!(broker.stored("twice"), vec![n, n]);
    let mut got: Vec<Vec<u8>> = (0..2)
        .flat_map(|p| broker.events("twice", &p.to_string()))
        .map(|e| e.body)
        .collect();
    let mut want: Vec<Vec<u8>> = cap.messages.iter().chain(&cap.messages).cloned().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// `replay --capture`: Capture files (written by `generate --format capture`) go back into a
/// hub with each event on the partition it was captured from, in its order.
#[test]
fn replay_from_capture_puts_every_event_back_on_its_partition_in_order() {
    use aad_ingest::generate::{
        generate, generate_capture, CaptureOptions, Format, GenerateOptions,
    };
    use aad_ingest::source::capture::{ArchiveNameFormat, DEFAULT_ARCHIVE_NAME_FORMAT};
    let work = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        records: 300,
        seed: 43,
        format: Format::Envelope,
        records_per_message: 5,
        quirk_share: 0.0,
        ..GenerateOptions::default()
    };
    let mut ndjson = Vec::new();
    generate(&opts, &mut ndjson).unwrap();
    let messages: Vec<Vec<u8>> = ndjson
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let dir = work.path().join("capture");
    generate_capture(
        &opts,
        &CaptureOptions {
            dir: dir.clone(),
            namespace: "ns".into(),
            hub: "entra".into(),
            partitions: 3,
            window_secs: 300,
            deflate: true,
            format: ArchiveNameFormat::parse(DEFAULT_ARCHIVE_NAME_FORMAT).unwrap(),
        },
    )
    .unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 3)]);
    let report = replay(
        "entra",
        &[
            dir.to_str().unwrap(),
            "--capture",
            "--to",
            "hub",
            "--endpoint",
            &broker.endpoint(),
            "--partitioning",
            "original",
        ],
    );
    assert_eq!(
        report["events"].as_u64(),
        Some(messages.len() as u64),
        "{report:?}"
    );
    // The generator deals messages to partitions in turn.
    for p in 0..3usize {
        let got: Vec<Vec<u8>> = broker
            .events("entra", &p.to_string())
            .into_iter()
            .map(|e| e.body)
            .collect();
        let want: Vec<Vec<u8>> = messages.iter().skip(p).step_by(3).cloned().collect();
        assert_eq!(got.len(), want.len(), "partition {p}");
        assert!(got == want, "partition {p}: other events or another order");
    }
}

#[test]
fn replay_into_the_pipeline_makes_every_generated_row_and_counts_what_it_cannot_send() {
    let work = tempfile::tempdir().unwrap();
    let cap = capture(work.path(), 500, 42, 5);
    // A line larger than an event may be is counted as an error; the others go on.
    let mut text = std::fs::read(&cap.file).unwrap();
    text.extend_from_slice(&vec![b'x'; 2 << 20]);
    text.push(b'\n');
    let with_oversized = work.path().join("with-oversized.ndjson");
    std::fs::write(&with_oversized, text).unwrap();
    let report = replay(
        "entra",
        &[with_oversized.to_str().unwrap(), "--to", "pipeline"],
    );
    assert_eq!(
        report["events"].as_u64(),
        Some(cap.messages.len() as u64),
        "{report:?}"
    );
    assert_eq!(
        report["rows"].as_u64(),
        Some(cap.report.records),
        "{report:?}"
    );
    let errors = report["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 1, "{report:?}");
    let (kind, count) = errors.iter().next().unwrap();
    assert!(kind.contains("larger than an event may be"), "{kind}");
    assert_eq!(count.as_u64(), Some(1));
}

/// The `test-hub` program, started as a user would; killed when dropped.
struct TestHub(std::process::Child);

impl Drop for TestHub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn what_test_hub_prints_is_enough_for_replay_and_run() {
    use std::io::BufRead;
    let work = tempfile::tempdir().unwrap();
    let mut hub = TestHub(
        Command::new(env!("CARGO_BIN_EXE_test-hub"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--hub",
                "entra:3",
                "--status-secs",
                "0",
            ])
            .args(["--namespace", NAMESPACE])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start test-hub"),
    );
    let printed: Vec<String> = std::io::BufReader::new(hub.0.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Events are kept"))
        .collect();
    let find = |prefix: &str, suffix: char| {
        printed
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix)?.strip_suffix(suffix))
            .unwrap_or_else(|| panic!("test-hub printed no {prefix}…: {printed:#?}"))
            .to_string()
    };
    let endpoint = find("endpoint = \"", '"');
    let connection = find("export EVENTHUB_CONNECTION_STRING='", '\'');

    // Replay into it with what it printed, round robin: partition p gets every third event.
    let cap = capture(work.path(), 300, 51, 3);
    let report = replay_with(
        &connection,
        &[
            cap.file.to_str().unwrap(),
            "--to",
            "hub",
            "--endpoint",
            &endpoint,
            "--partitioning",
            "round-robin",
        ],
    );
    let n = cap.messages.len() as i64;
    assert_eq!(report["events"].as_i64(), Some(n), "{report:?}");

    // `run` with the printed endpoint and connection string drains it exactly once.
    let checkpoints = work.path().join("checkpoints");
    let lake = work.path().join("lake");
    let config = ServiceConfig::new(
        "entra",
        &endpoint,
        checkpoints.to_str().unwrap(),
        lake.to_str().unwrap(),
    )
    .write(&work.path().join("run.toml"));
    let env = vec![(
        aad_tests::service::CONNECTION_STRING_ENV.to_string(),
        connection,
    )];
    let service = Service::start(&config, &env, &work.path().join("run.log"));
    let want: BTreeMap<String, i64> = (0..3).map(|p| (p.to_string(), (n - 1 - p) / 3)).collect();
    aad_tests::service::wait_for_eq(
        "checkpoints at each partition's last event",
        Duration::from_secs(90),
        &want,
        || local_checkpoints(&checkpoints),
    );
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0));
    assert_exactly_once(&lake, &cap.file, work.path());
}
