//! `aad-ingest convert` as a user runs it: a generated capture with quirks and broken messages,
//! read back by pyarrow and DuckDB; a rerun that replaces instead of duplicating; dead letters
//! with reason and position; stdin and a BOM.

use std::io::Write;
use std::process::{Command, Stdio};

use aad_tests::{
    aad_ingest_bin, duckdb, parquet_files, pyarrow_count, run_cli, samples_dir, Azurite,
};

fn counts(lake: &std::path::Path) -> Vec<(String, String)> {
    duckdb(&format!(
        "SELECT \"table\" AS t, count(*) AS n, count(DISTINCT (_Source, _SequenceNumber, _RecordIndex)) AS d \
         FROM read_parquet('{}/**/*.parquet', hive_partitioning=true, union_by_name=true) GROUP BY ALL ORDER BY 1",
        lake.display()
    ))
    .into_iter()
    .map(|r| {
        assert_eq!(r["n"], r["d"], "duplicate positions in {:?}", r["t"]);
        (r["t"].clone().unwrap(), r["n"].clone().unwrap())
    })
    .collect()
}

#[test]
fn generated_capture_converts_reruns_idempotently_and_dead_letters_broken_messages() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ok, _, err) = run_cli(
        &[
            "generate",
            "--records",
            "4000",
            "--seed",
            "3",
            "--quirks",
            "0.3",
            "--per-message",
            "20",
            "--out",
            "cap/a.ndjson",
        ],
        dir,
    );
    assert!(ok, "{err}");
    let generated: u64 = err.split_whitespace().nth(1).unwrap().parse().unwrap();
    let invalid: u64 = err
        .split('(')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(generated, 4000);
    assert!(
        invalid > 0,
        "the capture should hold broken messages: {err}"
    );

    let (ok, out, err) = run_cli(&["convert", "cap", "--out", "lake"], dir);
    assert!(ok, "{err}");
    let lake = dir.join("lake");
    let first = counts(&lake);
    let rows: u64 = first.iter().map(|(_, n)| n.parse::<u64>().unwrap()).sum();
    assert_eq!(rows, 4000, "every generated record is a row: {out}");
    assert!(
        out.contains("4000 rows") && out.contains(&format!("{invalid} dead letter(s)")),
        "{out}"
    );

    // pyarrow agrees on the count, over the hive layout.
    assert_eq!(
        pyarrow_count(&lake.join("table=AADNonInteractiveUserSignInLogs"))
            .0
            .to_string(),
        first
            .iter()
            .find(|t| t.0 == "AADNonInteractiveUserSignInLogs")
            .unwrap()
            .1
    );

    // Dead letters: raw bytes, reason and line of every broken message.
    let dl = std::fs::read_dir(lake.join("_deadletter"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let letters = duckdb(&format!(
        "SELECT source, sequence, record_index, reason, raw FROM read_json('{}')",
        dl.display()
    ));
    assert_eq!(letters.len() as u64, invalid);
    let capture = std::fs::read_to_string(dir.join("cap/a.ndjson")).unwrap();
    let lines: Vec<&str> = capture.lines().collect();
    for l in &letters {
        let line: usize = l["sequence"].as_deref().unwrap().parse().unwrap();
        assert_eq!(
            l["raw"].as_deref(),
            Some(lines[line - 1]),
            "raw bytes of line {line}"
        );
        assert!(
            l["reason"].as_deref().unwrap().starts_with("invalid JSON"),
            "{l:?}"
        );
        assert_eq!(l["record_index"], None);
        assert!(l["source"].as_deref().unwrap().ends_with("cap/a.ndjson"));
    }

    // A rerun over the same input replaces files: same names, same counts, no duplicates.
    let files_before = parquet_files(&lake);
    let (ok, _, err) = run_cli(&["convert", "cap/a.ndjson", "--out", "lake"], dir);
    assert!(ok, "{err}");
    assert_eq!(parquet_files(&lake), files_before);
    assert_eq!(counts(&lake), first);
}

#[test]
fn stdin_with_bom_and_a_pretty_printed_document() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let record = r#"{"time":"2026-11-02T10:00:00Z","category":"AuditLogs","operationName":"Add user","Level":4,"properties":{"id":"Directory_X","category":"UserManagement","result":"success","initiatedBy":{}}}"#;
    let mut child = Command::new(aad_ingest_bin())
        .args(["convert", "-", "--out", "lake"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "\u{feff}{{\"records\":[{record},{record}]}}\n42\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 records -> 2 rows") && text.contains("1 dead letter(s)"),
        "{text}"
    );
    let rows = duckdb(&format!(
        "SELECT Id, Category, OperationName, Level, InitiatedBy, _Source, _SequenceNumber, _RecordIndex FROM read_parquet('{}/lake/table=AuditLogs/date=2026-11-02/hour=10/*.parquet') ORDER BY _RecordIndex",
        dir.display()
    ));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["Category"].as_deref(), Some("UserManagement"));
    assert_eq!(rows[1]["Level"].as_deref(), Some("4"));
    assert_eq!(rows[1]["InitiatedBy"].as_deref(), Some("{}"));
    assert_eq!(rows[1]["_Source"].as_deref(), Some("-"));
    assert_eq!(rows[1]["_RecordIndex"].as_deref(), Some("1"));

    // A record that is not an object: a dead letter with its record index.
    let letters = duckdb(&format!(
        "SELECT sequence, record_index, reason, raw FROM read_json('{}/lake/_deadletter/*.ndjson')",
        dir.display()
    ));
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["sequence"].as_deref(), Some("2"));
    assert_eq!(
        letters[0]["reason"].as_deref(),
        Some("record is not a JSON object")
    );
    assert_eq!(letters[0]["raw"].as_deref(), Some("42"));
}

#[test]
fn bad_arguments_are_refused_with_the_field_and_reason() {
    let work = tempfile::tempdir().unwrap();
    let (ok, _, err) = run_cli(
        &["convert", "does-not-exist.json", "--out", "lake"],
        work.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("does-not-exist.json") && err.contains("does not exist"),
        "{err}"
    );
    let (ok, _, err) = run_cli(
        &["generate", "--out", "x", "--mix", "SignInLogs=abc"],
        work.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("SignInLogs") && err.contains("not a number"),
        "{err}"
    );
    let (ok, _, err) = run_cli(
        &["convert", "x", "--out", "az://container/p?sig=secret"],
        work.path(),
    );
    assert!(!ok);
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn an_az_url_writes_the_same_lake_into_azure_blob_storage() {
    let azurite = Azurite::start();
    azurite.create_container("lake");
    let work = tempfile::tempdir().unwrap();
    let samples = samples_dir();
    let samples = samples.to_string_lossy();

    let mut cmd = Command::new(aad_ingest_bin());
    cmd.args(["convert", &samples, "--out", "az://lake/entra"])
        .current_dir(work.path());
    for (k, v) in azurite.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The same run into a local directory names the same files.
    let (ok, _, err) = run_cli(&["convert", &samples, "--out", "local"], work.path());
    assert!(ok, "{err}");
    let local = work.path().join("local");
    let local_names: Vec<String> = parquet_files(&local)
        .iter()
        .map(|p| {
            p.strip_prefix(&local)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();

    let down = work.path().join("down");
    let names = azurite.download("lake", &down);
    let blob_names: Vec<String> = names
        .iter()
        .map(|n| n.strip_prefix("entra/").unwrap().to_string())
        .collect();
    assert_eq!(blob_names, local_names);

    // Read back from what Azure stored: every sample record is a row.
    let rows = duckdb(&format!(
        "SELECT count(*) AS n FROM read_parquet('{}/entra/**/*.parquet', union_by_name=true)",
        down.display()
    ));
    assert_eq!(rows[0]["n"].as_deref(), Some("109"));
}

#[test]
fn nanos_option_writes_nanosecond_timestamps_with_every_digit() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let input = dir.join("one.json");
    std::fs::write(&input, r#"{"time":"2007-01-09T09:41:00.535404056Z","category":"SignInLogs","properties":{"createdDateTime":"2007-01-09T09:40:59.1234567+00:00"}}"#).unwrap();
    let (ok, _, err) = run_cli(&["convert", "one.json", "--out", "lake", "--nanos"], dir);
    assert!(ok, "{err}");
    let file = parquet_files(&dir.join("lake")).remove(0);
    let schema = aad_tests::pyarrow_schema(&file);
    let time = schema.iter().find(|c| c.0 == "TimeGenerated").unwrap();
    assert_eq!(time.1, "timestamp[ns, tz=UTC]");
    let rows = duckdb(&format!("SELECT epoch_ns(TimeGenerated) AS t, epoch_ns(CreatedDateTime) AS c FROM read_parquet('{}')", file.display()));
    assert_eq!(rows[0]["t"].as_deref(), Some("1168335660535404056"));
    assert_eq!(rows[0]["c"].as_deref(), Some("1168335659123456700"));
}

/// Column chunks are zstd, except those whose values take under 1 KiB (all-null columns, the
/// hourly chunks of small tables), which zstd cannot shrink by more than a few hundred bytes
/// and which cost it a compressor and a decompressor context each. JSON columns get a
/// dictionary where their values repeat, and none where every row differs.
#[test]
fn column_chunks_are_zstd_unless_tiny_and_json_dictionaries_where_values_repeat() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ok, _, err) = run_cli(
        &[
            "generate",
            "--records",
            "3000",
            "--seed",
            "11",
            "--quirks",
            "0",
            "--hours",
            "2",
            "--out",
            "cap.ndjson",
        ],
        dir,
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run_cli(&["convert", "cap.ndjson", "--out", "lake"], dir);
    assert!(ok, "{err}");
    let chunks = duckdb(&format!(
        "SELECT compression, path_in_schema AS col, total_uncompressed_size AS size, num_values AS n, \
         encodings, regexp_extract(file_name, 'table=([A-Za-z]+)', 1) AS t \
         FROM parquet_metadata('{}/lake/**/*.parquet')",
        dir.display()
    ));
    let size = |r: &aad_tests::Row| -> u64 { r["size"].as_deref().unwrap().parse().unwrap() };
    let (mut zstd, mut plain) = (0, 0);
    for r in &chunks {
        match r["compression"].as_deref() {
            Some("ZSTD") => zstd += 1,
            Some("UNCOMPRESSED") => {
                plain += 1;
                // Under 1 KiB of values, plus levels, page headers and a dictionary's indexes.
                let rows: u64 = r["n"].as_deref().unwrap().parse().unwrap();
                assert!(size(r) < 1024 + 256 + rows, "{r:?}");
            }
            other => panic!("unexpected codec {other:?} in {r:?}"),
        }
        if size(r) >= 8192 {
            assert_eq!(r["compression"].as_deref(), Some("ZSTD"), "{r:?}");
        }
    }
    assert!(zstd > 0 && plain > 0, "{zstd} zstd, {plain} uncompressed");
    // The generator gives every sign-in its own policy results, and a few locations an hour.
    let sign_ins = |col: &str| -> Vec<&aad_tests::Row> {
        chunks
            .iter()
            .filter(|r| {
                r["t"].as_deref() == Some("AADNonInteractiveUserSignInLogs")
                    && r["col"].as_deref() == Some(col)
            })
            .collect()
    };
    let dictionary = |r: &aad_tests::Row| r["encodings"].as_deref().unwrap().contains("DICTIONARY");
    let (policies, locations) = (
        sign_ins("ConditionalAccessPolicies"),
        sign_ins("LocationDetails"),
    );
    assert_eq!((policies.len(), locations.len()), (2, 2), "two hours");
    for r in &policies {
        assert_eq!(r["compression"].as_deref(), Some("ZSTD"), "{r:?}");
        assert!(!dictionary(r), "{r:?}");
    }
    for r in &locations {
        assert!(dictionary(r), "{r:?}");
    }
}

/// The README's first command: a capture is generated, converted into `./lake`, and the report
/// ends with how to query the lake; the suggested DuckDB query runs on it as printed.
#[test]
fn quickstart_converts_a_sample_and_prints_how_to_query_it() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ok, out, err) = run_cli(&["quickstart", "--records", "2000"], dir);
    assert!(ok, "{err}");
    let lake = std::fs::canonicalize(dir.join("lake")).unwrap();
    let hint = out
        .lines()
        .find(|l| l.contains("duckdb -c") && l.contains("GROUP BY ALL\""))
        .unwrap_or_else(|| panic!("no DuckDB hint in:\n{out}"));
    assert!(hint.contains(&lake.display().to_string()), "{hint}");
    // The per-table query of the hint, as printed, counts every row.
    let sql = hint
        .split_once("duckdb -c \"")
        .unwrap()
        .1
        .trim_end_matches('"')
        .replace("\\\"", "\"");
    let rows: u64 = duckdb(&sql)
        .iter()
        .map(|r| {
            r["count_star()"]
                .as_deref()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(rows + dead_letters(&out), 2000, "{out}");
}

/// The dead letters a `convert` report counts.
fn dead_letters(report: &str) -> u64 {
    report
        .split(" dead letter(s)")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
