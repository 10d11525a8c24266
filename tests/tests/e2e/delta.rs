//! `convert --format delta`: a Delta table per Log Analytics table that another project's
//! Delta reader (the `deltalake` package, and polars through it) reads with the catalogue's
//! schema and the same rows as the Parquet lake; one commit per table and input; a rerun adds
//! nothing; a file no commit references is invisible and `vacuum` removes it.

use std::path::Path;

use aad_schemas::schema::arrow_schema_for;
use aad_schemas::{Catalogue, SchemaOptions};
use aad_tests::{delta_export, duckdb, run_cli, samples_dir};
use simd_json::prelude::*;

fn convert(dir: &Path, inputs: &[&str], out: &str, format: &str) -> String {
    let mut args = vec!["convert"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["--out", out, "--format", format]);
    let (ok, out, err) = run_cli(&args, dir);
    assert!(ok, "{err}");
    out
}

#[test]
fn convert_writes_delta_tables_that_deltalake_reads_as_the_parquet_lake() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ok, _, err) = run_cli(
        &[
            "generate",
            "--records",
            "3000",
            "--seed",
            "5",
            "--out",
            "cap/g.ndjson",
        ],
        dir,
    );
    assert!(ok, "{err}");
    let samples = samples_dir();
    let samples = samples.to_str().unwrap();
    let inputs = [samples, "cap"];
    convert(dir, &inputs, "parquet", "parquet");
    let first = convert(dir, &inputs, "delta", "delta");
    assert!(first.contains("destination lake (lake): "), "{first}");

    let tables = delta_export(&dir.join("delta"), &dir.join("export"));
    let tables = tables.as_object().expect("tables");
    assert!(tables.len() >= 10, "{tables:?}");
    let catalogue = Catalogue::get();
    for (name, t) in tables.iter() {
        // The catalogue's columns in its order, then the partition columns.
        let table = catalogue
            .tables
            .iter()
            .find(|c| c.name == name.as_str())
            .unwrap();
        let want: Vec<String> = arrow_schema_for(table, SchemaOptions::default())
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .chain(["date".into(), "hour".into()])
            .collect();
        let got: Vec<String> = t["schema"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[0].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "{name}");
        let types: Vec<&str> = t["schema"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[1].as_str().unwrap())
            .collect();
        let at = |col: &str| types[want.iter().position(|w| w == col).unwrap()];
        assert_eq!(
            (
                at("TimeGenerated"),
                at("_SequenceNumber"),
                at("date"),
                at("hour")
            ),
            ("timestamp", "long", "date", "integer"),
            "{name}"
        );
        assert_eq!(t["rows"], t["polars_rows"], "{name}");
        // Partitioned by day and hour; `txn` entries of inputs expire instead of piling up;
        // statistics declared for the columns that carry them.
        assert_eq!(
            t["partition_columns"],
            simd_json::json!(["date", "hour"]),
            "{name}"
        );
        let conf = &t["configuration"];
        assert_eq!(
            conf["delta.setTransactionRetentionDuration"], "interval 30 days",
            "{name}"
        );
        assert_eq!(conf["delta.checkpointInterval"], "10", "{name}");
        let stats = conf["delta.dataSkippingStatsColumns"].as_str().unwrap();
        assert!(
            stats.split(',').any(|c| c == "TimeGenerated"),
            "{name}: {stats}"
        );
        // One commit creates the table; then one per input that had rows for it.
        let ops: Vec<&str> = t["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .collect();
        assert_eq!(ops[0], "CREATE TABLE", "{name}");
        assert!(
            ops[1..].iter().all(|o| *o == "WRITE") && ops.len() >= 2,
            "{name}: {ops:?}"
        );
        // Each write carries one `txn`: its input's app id and the input's last line; no input
        // twice (one commit per table and segment).
        let commits = t["txns"].as_array().unwrap();
        assert_eq!(commits.len(), ops.len(), "{name}");
        assert!(commits[0]["txns"].as_array().unwrap().is_empty(), "{name}");
        let mut apps = std::collections::BTreeSet::new();
        for c in &commits[1..] {
            let txns = c["txns"].as_array().unwrap();
            assert_eq!(txns.len(), 1, "{name}: {c:?}");
            let app = txns[0][0].as_str().unwrap();
            assert!(
                app.starts_with("aad-ingest:")
                    && (app.contains("/entra/") || app.ends_with("g.ndjson")),
                "{app}"
            );
            assert!(txns[0][1].as_i64().unwrap() >= 1, "{c:?}");
            assert!(
                apps.insert(app.to_string()),
                "{name}: {app} committed twice"
            );
        }
    }

    // Every table holds the Parquet lake's rows, value for value.
    for name in tables.keys() {
        let rows = duckdb(&format!(
            "WITH d AS (SELECT * EXCLUDE (date, hour) FROM read_parquet('{e}/table={name}/*.parquet', hive_partitioning=false)), \
                  p AS (SELECT * FROM read_parquet('{p}/table={name}/**/*.parquet', hive_partitioning=false, union_by_name=true)) \
             SELECT (SELECT count(*) FROM d) AS d, (SELECT count(*) FROM p) AS p, \
                    (SELECT count(*) FROM (SELECT * FROM d EXCEPT ALL SELECT * FROM p)) AS extra, \
                    (SELECT count(*) FROM (SELECT * FROM p EXCEPT ALL SELECT * FROM d)) AS missing",
            e = dir.join("export").display(),
            p = dir.join("parquet").display(),
        ));
        let r = &rows[0];
        assert_eq!(r["d"], r["p"], "{name}: {r:?}");
        assert_eq!(
            (r["extra"].as_deref(), r["missing"].as_deref()),
            (Some("0"), Some("0")),
            "{name}"
        );
    }

    // A rerun: every row already held by its table's `txn` version, no commit added.
    let again = convert(dir, &inputs, "delta", "delta");
    assert!(
        again.contains("0 rows, ") && again.contains("already held"),
        "{again}"
    );
    let after = delta_export(&dir.join("delta"), &dir.join("export2"));
    for (name, t) in tables.iter() {
        assert_eq!(after[name.as_str()]["version"], t["version"], "{name}");
    }

    // A file no commit references is invisible, and `vacuum` removes only it.
    let orphan = dir.join("delta/SigninLogs/date=2020-01-01/hour=00/orphan.parquet");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::copy(
        std::fs::read_dir(dir.join("export/table=SigninLogs"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
        &orphan,
    )
    .unwrap();
    let seen = delta_export(&dir.join("delta"), &dir.join("export3"));
    assert_eq!(seen["SigninLogs"]["rows"], tables["SigninLogs"]["rows"]);
    let (ok, out, err) = run_cli(&["vacuum", "delta", "--retention-hours", "0"], dir);
    assert!(ok, "{err}");
    assert!(
        out.contains("SigninLogs: ") && out.contains("deleted 1 unreferenced"),
        "{out}"
    );
    assert!(!orphan.exists());
    assert_eq!(
        out.matches("deleted 0 unreferenced").count(),
        tables.len() - 1,
        "{out}"
    );
}

#[test]
fn nanosecond_timestamps_are_refused_for_delta() {
    let work = tempfile::tempdir().unwrap();
    let (ok, _, err) = run_cli(
        &[
            "convert",
            samples_dir().to_str().unwrap(),
            "--out",
            "d",
            "--format",
            "delta",
            "--nanos",
        ],
        work.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("--nanos: Delta has no nanosecond timestamp type"),
        "{err}"
    );
}
