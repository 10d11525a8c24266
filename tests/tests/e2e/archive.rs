//! Entra storage-account archives as an input of `convert` (issue 11): `insights-logs-<category>`
//! containers of `…/y=/m=/d=/h=/m=00/PT1H.json` append blobs in Azurite, written by the Azure
//! SDK for Python, convert to exactly the rows the same records give as NDJSON; repeats are
//! dropped and counted, a last line still being appended is left, never dead-lettered.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use aad_ingest::generate::{Format, GenerateOptions};
use aad_tests::service::{capture_with, Capture};
use aad_tests::{aad_ingest_bin, convert_into, duckdb, lake_tables, Azurite};
use simd_json::prelude::*;

const TENANT: &str = "tenantId=0b1c2d3e-0000-4000-8000-000000000001";
const POSITION: &str = "_Source, _Partition, _SequenceNumber, _EnqueuedTime";

/// The archive tree of `records` (one JSON record a line): container by category, three hours,
/// CRLF in the sign-in container and LF elsewhere; every 25th record repeated with a fresh
/// envelope time in the next hour. Returns (container → blob → text, repeats written).
fn archive_tree(records: &[Vec<u8>]) -> (BTreeMap<String, BTreeMap<String, Vec<u8>>>, usize) {
    archive_tree_over(records, 3, true)
}

/// [`archive_tree`] over `hours` hours from 10:00, with or without repeats.
fn archive_tree_over(
    records: &[Vec<u8>],
    hours: usize,
    with_repeats: bool,
) -> (BTreeMap<String, BTreeMap<String, Vec<u8>>>, usize) {
    let mut tree: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    let mut repeats = 0;
    let blob = |hour: usize| {
        let (d, h) = (1 + (10 + hour) / 24, (10 + hour) % 24);
        format!("{TENANT}/y=2026/m=11/d={d:02}/h={h:02}/m=00/PT1H.json")
    };
    for (i, line) in records.iter().enumerate() {
        let v = simd_json::to_owned_value(&mut line.clone()).unwrap();
        let category = v
            .get("category")
            .and_then(|c| c.as_str())
            .unwrap_or("AuditLogs")
            .to_ascii_lowercase();
        let container = format!("insights-logs-{category}");
        let end: &[u8] = if category == "signinlogs" {
            b"\r\n"
        } else {
            b"\n"
        };
        let hour = i * hours / records.len();
        let blobs = tree.entry(container).or_default();
        let text = blobs.entry(blob(hour)).or_default();
        text.extend_from_slice(line);
        text.extend_from_slice(end);
        if with_repeats
            && i % 25 == 0
            && line.starts_with(b"{\"time\":\"")
            && v.get("properties").is_some_and(|p| p.is_object())
        {
            // Re-delivered: identical properties, a fresh envelope time.
            let rest = &line[line[9..].iter().position(|&b| b == b'"').unwrap() + 10..];
            let mut again = b"{\"time\":\"2026-11-01T23:59:59.0000000Z\"".to_vec();
            again.extend_from_slice(rest);
            let later = blobs.entry(blob(hour + 1)).or_default();
            later.extend_from_slice(&again);
            later.extend_from_slice(end);
            repeats += 1;
        }
    }
    (tree, repeats)
}

fn write_tree(tree: &BTreeMap<String, BTreeMap<String, Vec<u8>>>, root: &Path) {
    for (container, blobs) in tree {
        for (name, text) in blobs {
            let path = root.join(container).join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
}

fn convert_archive(
    azurite: &Azurite,
    containers: &[&String],
    lake: &Path,
    extra: &[&str],
) -> String {
    let mut cmd = Command::new(aad_ingest_bin());
    cmd.args(["convert", "--archive", "--out", lake.to_str().unwrap()])
        .args(containers.iter().map(|c| format!("az://{c}")))
        .args(extra)
        .envs(azurite.env());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn summary(stdout: &str, label: &str) -> Option<u64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[test]
fn an_archive_in_azurite_converts_to_the_ndjson_rows_with_repeats_dropped_and_partial_lines_left() {
    let work = tempfile::tempdir().unwrap();
    let generated = records(work.path(), 900, 5, 0.2);
    let records = &generated.messages;
    let reference_file = generated.file.clone();
    let (mut tree, repeats) = archive_tree(records);
    assert!(repeats > 10);
    // The sign-in blob of the last hour is being appended: its last record is cut short.
    let signins = tree.get_mut("insights-logs-signinlogs").unwrap();
    let last = signins.values_mut().last().unwrap();
    last.extend_from_slice(b"{\"time\":\"2026-11-01T12:59:59Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"cut");
    let src = work.path().join("archive");
    write_tree(&tree, &src);

    let azurite = Azurite::start();
    let containers: Vec<&String> = tree.keys().collect();
    for c in &containers {
        azurite.create_container(c);
        azurite.append_tree(c, &src.join(c));
    }
    let lake = work.path().join("lake");
    let stdout = convert_archive(&azurite, &containers, &lake, &[]);
    assert_eq!(
        summary(&stdout, "(repeats dropped)"),
        Some(repeats as u64),
        "{stdout}"
    );
    assert_eq!(summary(&stdout, "(dead letters)"), Some(0), "{stdout}");
    assert!(summary(&stdout, "(partial lines)").unwrap() > 0, "{stdout}");

    let reference = work.path().join("reference");
    let expected = convert_into(&[reference_file], &reference);
    assert_eq!(lake_tables(&lake), lake_tables(&reference));
    for table in lake_tables(&reference) {
        let glob = |lake: &Path| {
            format!(
                "read_parquet('{}/table={table}/**/*.parquet', hive_partitioning=true, union_by_name=true)",
                lake.display()
            )
        };
        let (a, b) = (glob(&lake), glob(&reference));
        for (x, y) in [(&a, &b), (&b, &a)] {
            let diff = duckdb(&format!(
                "SELECT count(*) AS n FROM (SELECT * EXCLUDE ({POSITION}) FROM {x} EXCEPT ALL SELECT * EXCLUDE ({POSITION}) FROM {y})"
            ));
            assert_eq!(diff[0]["n"].as_deref(), Some("0"), "{table}");
        }
    }
    let rows = duckdb(&format!(
        "SELECT count(*) AS n, count(DISTINCT (_Source, _SequenceNumber)) AS positions, \
           count(*) FILTER (WHERE _Source LIKE 'az://insights-logs-%/{TENANT}/y=2026/m=11/d=01/h=1_/m=00/PT1H.json') AS named \
         FROM read_parquet('{}/table=*/**/*.parquet', union_by_name=true)",
        lake.display()
    ));
    let n = expected.rows().to_string();
    assert_eq!(rows[0]["n"].as_deref(), Some(n.as_str()));
    assert_eq!(rows[0]["positions"].as_deref(), Some(n.as_str()));
    assert_eq!(rows[0]["named"].as_deref(), Some(n.as_str()));

    // A category and an hour picked by name: the sign-ins of 11:00 only.
    let picked = work.path().join("picked");
    let from = [
        "--categories",
        "SignInLogs",
        "--from",
        "2026-11-01T11:00:00Z",
    ];
    let stdout = convert_archive(
        &azurite,
        &containers,
        &picked,
        &[&from[..], &["--to", "2026-11-01T12:00:00Z"]].concat(),
    );
    // Every line of that blob: its repeats repeat records of 10:00, which this run does not read.
    let want = tree["insights-logs-signinlogs"]
        [&format!("{TENANT}/y=2026/m=11/d=01/h=11/m=00/PT1H.json")]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let rows = duckdb(&format!(
        "SELECT count(*) AS n FROM read_parquet('{}/table=*/**/*.parquet', union_by_name=true)",
        picked.display()
    ));
    assert_eq!(
        rows[0]["n"].as_deref(),
        Some(want.to_string().as_str()),
        "{stdout}"
    );
}

/// `n` generated records (one JSON record a line, with `quirks` of them quirky), written to a
/// file in `dir` too.
fn records(dir: &Path, n: u64, seed: u64, quirks: f64) -> Capture {
    capture_with(
        dir,
        GenerateOptions {
            records: n,
            format: Format::Records,
            quirk_share: quirks,
            seed,
            ..Default::default()
        },
    )
}

/// How many rows of `a` are not in `b` and of `b` not in `a`, every column compared (positions
/// included), table by table; and the rows of `a`.
fn differences(a: &Path, b: &Path) -> (u64, u64) {
    let mut diff = 0;
    let mut rows = 0;
    assert_eq!(lake_tables(a), lake_tables(b));
    for table in lake_tables(a) {
        let glob = |lake: &Path| {
            format!(
                "read_parquet('{}/table={table}/**/*.parquet', hive_partitioning=true, union_by_name=true)",
                lake.display()
            )
        };
        let r = duckdb(&format!(
            "SELECT (SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})) + \
                    (SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})) AS d, \
                    (SELECT count(*) FROM {a}) AS n",
            a = glob(a),
            b = glob(b)
        ));
        diff += r[0]["d"].as_deref().unwrap().parse::<u64>().unwrap();
        rows += r[0]["n"].as_deref().unwrap().parse::<u64>().unwrap();
    }
    (diff, rows)
}

fn file_states(lake: &Path) -> BTreeMap<std::path::PathBuf, std::time::SystemTime> {
    aad_tests::parquet_files(lake)
        .into_iter()
        .map(|p| {
            let t = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, t)
        })
        .collect()
}

fn summary_rows(stdout: &str) -> u64 {
    // "N input(s), X MB, R records -> M rows in …"
    stdout
        .lines()
        .find_map(|l| l.split_once(" records -> "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in {stdout}"))
}

/// Incremental and sharded backfill of an archive in Azurite (without repeats: those are
/// dropped within a run, and shards are runs of their own): two shards together equal one
/// unsharded run, row for row and position for position; a second run over unchanged blobs
/// writes nothing; a grown PT1H.json adds only its new lines; a run killed part way and run
/// again holds every record once.
#[test]
fn archive_backfills_are_incremental_resumable_and_shardable() {
    let work = tempfile::tempdir().unwrap();
    let generated = records(work.path(), 1600, 9, 0.1);
    let (first, rest) = generated.messages.split_at(1400);
    let (mut tree, _) = archive_tree_over(first, 40, false);
    assert!(tree
        .values()
        .any(|b| b.contains_key(&format!("{TENANT}/y=2026/m=11/d=02/h=01/m=00/PT1H.json"))));
    let src = work.path().join("archive");
    write_tree(&tree, &src);
    let azurite = Azurite::start();
    let containers: Vec<String> = tree.keys().cloned().collect();
    let containers: Vec<&String> = containers.iter().collect();
    for c in &containers {
        azurite.create_container(c);
        azurite.append_tree(c, &src.join(c));
    }
    let blobs: usize = tree.values().map(BTreeMap::len).sum();
    assert!(blobs > 100, "{blobs} blobs");

    // Two shards into one lake equal one unsharded run.
    let whole = work.path().join("whole");
    let sharded = work.path().join("sharded");
    convert_archive(&azurite, &containers, &whole, &[]);
    let a = convert_archive(&azurite, &containers, &sharded, &["--shard", "0/2"]);
    let b = convert_archive(&azurite, &containers, &sharded, &["--shard", "1/2"]);
    let (rows_a, rows_b) = (summary_rows(&a), summary_rows(&b));
    assert!(rows_a > 0 && rows_b > 0, "both shards took a share");
    let (diff, rows) = differences(&whole, &sharded);
    assert_eq!((diff, rows), (0, rows_a + rows_b));
    assert!(sharded.join("_progress/shard-0-of-2.json").is_file());
    assert!(sharded.join("_progress/shard-1-of-2.json").is_file());

    // Unchanged input: nothing converted, no file touched.
    let before = file_states(&whole);
    let again = convert_archive(&azurite, &containers, &whole, &[]);
    assert_eq!(summary_rows(&again), 0, "{again}");
    assert_eq!(file_states(&whole), before);

    // The last hour's blobs grow (Entra appends; some get their first record): only the new
    // lines are converted.
    let mut grown = tree.clone();
    let last_hour = format!("{TENANT}/y=2026/m=11/d=02/h=01/m=00/PT1H.json");
    for line in rest {
        let (one, _) = archive_tree_over(std::slice::from_ref(line), 1, false);
        for (container, blobs) in one {
            let text = blobs.into_values().next().unwrap();
            grown
                .entry(container)
                .or_default()
                .entry(last_hour.clone())
                .or_default()
                .extend_from_slice(&text);
        }
    }
    let added_lines = rest.len();
    tree = grown;
    write_tree(&tree, &src);
    for c in tree.keys() {
        if !containers.contains(&c) {
            azurite.create_container(c);
        }
        azurite.append_tree(c, &src.join(c));
    }
    let containers: Vec<&String> = tree.keys().collect();
    let grew = convert_archive(&azurite, &containers, &whole, &[]);
    assert!(!rest.is_empty());
    assert_eq!(summary_rows(&grew), added_lines as u64, "{grew}");
    // The lake is what one run over the grown archive makes.
    let fresh = work.path().join("fresh");
    convert_archive(&azurite, &containers, &fresh, &[]);
    assert_eq!(differences(&whole, &fresh).0, 0);

    // Killed part way, then run again: every record once.
    let resumed = work.path().join("resumed");
    let mut child = Command::new(aad_ingest_bin())
        .args(["convert", "--archive", "--out", resumed.to_str().unwrap()])
        .args(containers.iter().map(|c| format!("az://{c}")))
        .envs(azurite.env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let progress = resumed.join("_progress/all.json");
    let done_at_kill = aad_tests::service::wait_for(
        "the progress record written once",
        std::time::Duration::from_secs(60),
        || {
            let text = std::fs::read_to_string(&progress).ok()?;
            let n = simd_json::to_owned_value(&mut text.into_bytes())
                .ok()?
                .as_object()?
                .len();
            (n >= aad_ingest::progress::FLUSH_EVERY).then_some(n)
        },
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&progress).unwrap();
    let recorded = simd_json::to_owned_value(&mut text.into_bytes())
        .unwrap()
        .as_object()
        .unwrap()
        .len();
    assert!(recorded >= done_at_kill);
    assert!(
        recorded < tree.values().map(BTreeMap::len).sum::<usize>(),
        "killed part way"
    );
    let rest_run = convert_archive(&azurite, &containers, &resumed, &[]);
    assert!(summary_rows(&rest_run) > 0);
    assert_eq!(
        differences(&resumed, &fresh),
        (0, differences(&fresh, &fresh).1)
    );
}

/// `replay --archive` takes every record of an archive tree once (repeats dropped, the line
/// still being appended left out) and the pipeline makes exactly the generated rows of it.
#[test]
fn replay_from_an_archive_sends_each_record_once() {
    let work = tempfile::tempdir().unwrap();
    let generated = records(work.path(), 400, 9, 0.0);
    let records = &generated.messages;
    let (mut tree, repeats) = archive_tree(records);
    assert!(repeats > 0);
    let signins = tree.get_mut("insights-logs-signinlogs").unwrap();
    signins
        .values_mut()
        .last()
        .unwrap()
        .extend_from_slice(b"{\"time\":\"2026-11-01T12:59:59Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"cut");
    let src = work.path().join("archive");
    write_tree(&tree, &src);
    let out = Command::new(aad_ingest_bin())
        .args([
            "replay",
            "--archive",
            "--to",
            "pipeline",
            "--json",
            "--quiet",
        ])
        .arg(&src)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut stdout = out.stdout;
    let report = simd_json::to_owned_value(&mut stdout).unwrap();
    assert_eq!(
        report["events"].as_u64(),
        Some(records.len() as u64),
        "{report:?}"
    );
    assert_eq!(
        report["rows"].as_u64(),
        Some(generated.report.records),
        "{report:?}"
    );
    assert_eq!(
        report["errors"].as_object().map(|e| e.len()),
        Some(0),
        "{report:?}"
    );
}
