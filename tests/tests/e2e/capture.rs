//! Event Hubs Capture as an input of `convert` (issue 11): files written by an independent Avro
//! writer (fastavro), laid out as Azure's Capture lays them out, convert to exactly the rows the
//! same bodies give as NDJSON, with the Capture partition, sequence number and enqueued time as
//! their position.

use std::path::Path;
use std::process::Command;

use aad_ingest::convert::{convert, CaptureInput, ConvertOptions, ConvertReport};
use aad_ingest::generate::{generate, GenerateOptions};
use aad_ingest::source::capture::{ArchiveNameFormat, Selection, DEFAULT_ARCHIVE_NAME_FORMAT};
use aad_tests::{duckdb, lake_tables, python, repo_root};
use simd_json::prelude::*;

const PARTITIONS: usize = 3;
const FIRST_SEQUENCE: i64 = 100;

/// Write `ndjson`'s lines as Capture files with `tests/py/write_capture.py` (fastavro); returns
/// each line's (partition, sequence number, enqueued time).
fn write_capture(ndjson: &Path, dir: &Path) -> Vec<(String, i64, String)> {
    let out = Command::new(python())
        .arg(repo_root().join("tests/py/write_capture.py"))
        .args([
            ndjson.to_str().unwrap(),
            dir.to_str().unwrap(),
            "ns",
            "entra",
        ])
        .args([PARTITIONS.to_string(), FIRST_SEQUENCE.to_string()])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "write_capture.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stdout = out.stdout;
    let v = simd_json::to_owned_value(&mut stdout).unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_string(),
                e[1].as_i64().unwrap(),
                e[2].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn convert_capture(dir: &Path, lake: &Path, selection: Selection) -> ConvertReport {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opts = ConvertOptions {
        inputs: vec![dir.to_string_lossy().into_owned()],
        out: Some(lake.to_string_lossy().into_owned()),
        capture: Some(CaptureInput {
            format: ArchiveNameFormat::parse(DEFAULT_ARCHIVE_NAME_FORMAT).unwrap(),
            selection,
            checkpoint: false,
        }),
        ..Default::default()
    };
    convert(&opts, rt.handle().clone()).expect("convert")
}

/// One table of a lake (tables differ in a column's type: DuckDB reads them one at a time).
fn table_glob(lake: &Path, table: &str) -> String {
    format!(
        "read_parquet('{}/table={table}/**/*.parquet', hive_partitioning=true, union_by_name=true)",
        lake.display()
    )
}

/// The position columns of every row of a lake.
fn positions(lake: &Path) -> String {
    format!(
        "read_parquet('{}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true)",
        lake.display()
    )
}

const POSITION: &str = "_Source, _Partition, _SequenceNumber, _EnqueuedTime";

#[test]
fn fastavro_capture_converts_to_the_ndjson_rows_with_capture_positions() {
    let tmp = tempfile::tempdir().unwrap();
    let ndjson = tmp.path().join("hub.ndjson");
    let mut bodies = Vec::new();
    let generated = generate(
        &GenerateOptions {
            records: 1500,
            records_per_message: 9,
            quirk_share: 0.3,
            seed: 11,
            ..Default::default()
        },
        &mut bodies,
    )
    .unwrap();
    assert!(generated.invalid_messages > 0, "some bodies are not JSON");
    std::fs::write(&ndjson, &bodies).unwrap();
    let capture = tmp.path().join("capture");
    let events = write_capture(&ndjson, &capture);
    assert_eq!(events.len() as u64, generated.messages);
    // A file with a Capture name that is not a Capture file: set aside as a dead letter.
    let broken = capture.join("ns/entra/1/2026/11/01/09/59/00.avro");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, b"Obj\x01 not really").unwrap();

    let lines_lake = tmp.path().join("lake-ndjson");
    let capture_lake = tmp.path().join("lake-capture");
    let lines = aad_tests::convert_into(std::slice::from_ref(&ndjson), &lines_lake);
    let captured = convert_capture(&capture, &capture_lake, Selection::default());
    assert_eq!(captured.rows(), 1500);
    assert_eq!(captured.rows(), lines.rows());
    assert_eq!(captured.dead_letters(), generated.invalid_messages + 1);
    assert_eq!(
        captured.inputs.len(),
        PARTITIONS,
        "one segment per partition"
    );

    // Every row of the NDJSON lake is in the Capture lake and the other way round, column for
    // column, the position columns aside.
    assert_eq!(lake_tables(&lines_lake), lake_tables(&capture_lake));
    for table in lake_tables(&lines_lake) {
        let (a, b) = (
            table_glob(&lines_lake, &table),
            table_glob(&capture_lake, &table),
        );
        for (x, y) in [(&a, &b), (&b, &a)] {
            let diff = duckdb(&format!(
                "SELECT count(*) AS n FROM (SELECT * EXCLUDE ({POSITION}) FROM {x} EXCEPT ALL SELECT * EXCLUDE ({POSITION}) FROM {y})"
            ));
            assert_eq!(diff[0]["n"].as_deref(), Some("0"), "{table}");
        }
    }
    let (a, b) = (positions(&lines_lake), positions(&capture_lake));
    // Each row's position is its event's: line L of the NDJSON is event L-1 of the list.
    let values: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (p, seq, t))| format!("({}, '{p}', {seq}, TIMESTAMP '{t}')", i + 1))
        .collect();
    let rows = duckdb(&format!(
        "WITH ev(line, p, seq, t) AS (VALUES {}) \
         SELECT count(*) AS n, \
           count(*) FILTER (WHERE c._Source = 'sb://ns.servicebus.windows.net/entra' \
             AND c._Partition = ev.p AND c._EnqueuedTime = ev.t) AS exact \
         FROM {a} l JOIN ev ON l._SequenceNumber = ev.line \
         JOIN {b} c ON c._Partition = ev.p AND c._SequenceNumber = ev.seq \
           AND c._RecordIndex = l._RecordIndex AND c.\"table\" = l.\"table\"",
        values.join(",")
    ));
    assert_eq!(rows[0]["n"].as_deref(), Some("1500"), "{rows:?}");
    assert_eq!(rows[0]["exact"].as_deref(), Some("1500"), "{rows:?}");
    // Dead letters carry the partition and sequence number of their event.
    let dead: Vec<simd_json::OwnedValue> =
        aad_tests::files_where(&capture_lake.join("_deadletter"), |_| true)
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(|l| simd_json::to_owned_value(&mut l.as_bytes().to_vec()).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect();
    assert_eq!(dead.len() as u64, generated.invalid_messages + 1);
    let (files, dead): (Vec<_>, Vec<_>) = dead
        .into_iter()
        .partition(|d| d["sequence"].as_i64() == Some(-1));
    assert_eq!(files.len(), 1);
    let reason = files[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("ns/entra/1/2026/11/01/09/59/00.avro")
            && reason.contains("not a Capture file"),
        "{reason}"
    );
    assert_eq!(files[0]["partition"].as_str(), Some("1"));
    let lines: Vec<&[u8]> = bodies.split(|&b| b == b'\n').collect();
    for d in &dead {
        let (p, seq) = (
            d["partition"].as_str().unwrap(),
            d["sequence"].as_i64().unwrap(),
        );
        let i = events
            .iter()
            .position(|e| e.0 == p && e.1 == seq)
            .expect("a dead letter names an event");
        assert_eq!(d["raw"].as_str().unwrap().as_bytes(), lines[i]);
    }
}

/// A time range and a partition list pick files by their names: exactly the events of those
/// windows and partitions become rows.
#[test]
fn capture_files_are_selected_by_window_and_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let ndjson = tmp.path().join("hub.ndjson");
    let mut bodies = Vec::new();
    generate(
        &GenerateOptions {
            records: 400,
            records_per_message: 2,
            quirk_share: 0.0,
            ..Default::default()
        },
        &mut bodies,
    )
    .unwrap();
    std::fs::write(&ndjson, &bodies).unwrap();
    let capture = tmp.path().join("capture");
    let events = write_capture(&ndjson, &capture);
    // 200 events a second apart from 10:00:00: windows 10:00, 10:01, 10:02, 10:03.
    let lake = tmp.path().join("lake");
    let t = |s: &str| aad_schemas::time::parse_timestamp(s).unwrap() / 1_000_000_000;
    let report = convert_capture(
        &capture,
        &lake,
        Selection {
            from: Some(t("2026-11-01T10:01:00Z")),
            to: Some(t("2026-11-01T10:03:00Z")),
            partitions: vec!["0".into(), "2".into()],
        },
    );
    let expected: Vec<&(String, i64, String)> = events
        .iter()
        .filter(|(p, _, time)| {
            (p == "0" || p == "2")
                && time.as_str() >= "2026-11-01T10:01:00Z"
                && time.as_str() < "2026-11-01T10:03:00Z"
        })
        .collect();
    assert_eq!(expected.len(), 80);
    assert_eq!(report.rows(), 2 * 80);
    let rows = duckdb(&format!(
        "SELECT _Partition AS p, min(_SequenceNumber) AS lo, max(_SequenceNumber) AS hi, count(DISTINCT _SequenceNumber) AS n FROM {} GROUP BY 1 ORDER BY 1",
        positions(&lake)
    ));
    for (row, p) in rows.iter().zip(["0", "2"]) {
        let seqs: Vec<i64> = expected.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
        assert_eq!(row["p"].as_deref(), Some(p));
        assert_eq!(row["lo"].as_deref(), Some(seqs[0].to_string().as_str()));
        assert_eq!(
            row["hi"].as_deref(),
            Some(seqs.last().unwrap().to_string().as_str())
        );
        assert_eq!(row["n"].as_deref(), Some(seqs.len().to_string().as_str()));
    }
    assert_eq!(rows.len(), 2);
}

/// Backfill, then live: the first part of a hub's events is converted from its Capture files
/// with `--checkpoint` (through `run`'s config and fenced checkpoint store), then `run` drains
/// the same hub from the broker. Every event lands exactly once, and `run` starts right after
/// the backfill's checkpoint.
#[test]
fn a_capture_backfill_checkpoints_and_run_continues_without_duplicates() {
    use crate::service::{
        assert_exactly_once, local_checkpoints, local_config, service_env,
        wait_for_local_checkpoints, NAMESPACE,
    };
    use aad_ingest::source::capture::{write_events, ArchiveName, CaptureEvent};
    use aad_tests::broker::Broker;
    use aad_tests::service::{capture, Service};

    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 1500, 31, 10);
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    // Capture archived the first 50 events of partition 0 and 60 of partition 1, in one-minute
    // windows (the broker enqueues at the current time: one window per ten events is enough).
    let archived = [50usize, 60];
    let dir = work.path().join("capture");
    let format = ArchiveNameFormat::parse(DEFAULT_ARCHIVE_NAME_FORMAT).unwrap();
    for (p, &n) in archived.iter().enumerate() {
        let events: Vec<CaptureEvent> = broker
            .events("entra", &p.to_string())
            .into_iter()
            .take(n)
            .map(|e| CaptureEvent {
                sequence: e.sequence_number,
                offset: e.offset,
                enqueued: Some(e.enqueued_time_ms * 1_000_000),
                body: e.body,
            })
            .collect();
        for (w, window) in events.chunks(10).enumerate() {
            let name = format.name(&ArchiveName {
                namespace: "aad-test".into(),
                hub: "entra".into(),
                partition: p.to_string(),
                window_start: 1_793_527_200 + 60 * w as i64,
            });
            let file = write_events(
                window.iter().map(|e| (e, "11/1/2026 10:00:00 AM")),
                w % 2 == 0,
            )
            .unwrap();
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
    }
    let (checkpoints, lake, config) = local_config(work.path(), &broker);
    let config = config.write(&work.path().join("run.toml"));
    let env = service_env(None);
    let backfill = |what: &str| {
        let out = Command::new(aad_tests::aad_ingest_bin())
            .args([
                "convert",
                "--capture",
                dir.to_str().unwrap(),
                "--checkpoint",
                "-c",
            ])
            .arg(&config)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = backfill("backfill");
    assert!(
        stdout.contains("sb://Aad-Test.servicebus.windows.net/entra partition 0"),
        "{stdout}"
    );
    let after_backfill = local_checkpoints(&checkpoints);
    assert_eq!(
        after_backfill,
        [("0".to_string(), 49), ("1".to_string(), 59)].into(),
        "checkpoints at the last event converted"
    );
    let count = || {
        duckdb(&format!("SELECT count(*) AS n FROM {}", positions(&lake)))[0]["n"]
            .clone()
            .unwrap()
    };
    let backfilled = count();
    // A second backfill over the same files skips what the checkpoints cover: no row twice.
    backfill("second backfill");
    assert_eq!(count(), backfilled);
    assert_eq!(local_checkpoints(&checkpoints), after_backfill);

    let log = work.path().join("run.log");
    let service = Service::start(&config, &env, &log);
    wait_for_local_checkpoints(
        &broker,
        2,
        &checkpoints,
        "run drained the rest",
        std::time::Duration::from_secs(120),
    );
    assert_eq!(
        service.terminate(std::time::Duration::from_secs(30)).0,
        Some(0)
    );
    assert_exactly_once(&lake, &cap.file, work.path());
    let rows = duckdb(&format!(
        "SELECT count(*) AS n, count(DISTINCT _Source) AS sources FROM {}",
        positions(&lake)
    ));
    assert_eq!(rows[0]["n"].as_deref(), Some("1500"));
    assert_eq!(
        rows[0]["sources"].as_deref(),
        Some("1"),
        "backfill and run name the hub alike"
    );
}
