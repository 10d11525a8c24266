//! ASIM through the strict Logs Ingestion double: a `schema = "asim"` route posts exactly the
//! routed rows (its `where` over the source table's columns) to the ASIM streams, whose data
//! flows the double checks against the built-in ASIM tables' columns.

use std::collections::BTreeMap;
use std::path::Path;

use aad_tests::loganalytics::LogAnalyticsDouble;
use aad_tests::service::capture;
use aad_tests::{aad_ingest_bin, duckdb};
use serde_json::Value;

/// `EventOriginalUid` of each row, counted (a count of 2 is a duplicate).
fn uids(rows: &[Value]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in rows {
        // A record without an id has no EventOriginalUid (the parsers copy Id).
        let uid = r["EventOriginalUid"].as_str().unwrap_or("<none>");
        *out.entry(uid.to_string()).or_insert(0) += 1;
    }
    out
}

/// The `Id`s of a lake table's rows a filter keeps, counted.
fn lake_ids(lake: &Path, table: &str, filter: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in duckdb(&format!(
        "SELECT Id FROM read_parquet('{}/table={table}/**/*.parquet') WHERE {filter}",
        lake.display()
    )) {
        let id = r["Id"].clone().filter(|id| !id.is_empty());
        *out.entry(id.unwrap_or_else(|| "<none>".into()))
            .or_insert(0) += 1;
    }
    out
}

#[test]
fn asim_routes_send_exactly_the_routed_rows_to_the_asim_streams() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(dir.path(), 3000, 43, 50);
    let lake = dir.path().join("lake");
    let double = LogAnalyticsDouble::start();
    let dcr = &double.dcrs[aad_schemas::loganalytics::asim_dcr() - 1];
    let cfg = dir.path().join("asim.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[lake]
out = "{lake}"

[[destination]]
name = "sentinel-asim"
kind = "loganalytics"
endpoint = "{endpoint}"
dcr_immutable_id = "{dcr}"
auth = {{ method = "managed_identity" }}
auth_wait_secs = 3

[[destination.route]]
tables = ["SigninLogs", "AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs"]
schema = "asim"

[[destination.route]]
tables = ["AADNonInteractiveUserSignInLogs"]
schema = "asim"
where = "ResultType <> '0'"

[[destination.route]]
tables = ["AuditLogs"]
schema = "asim"
"#,
            lake = lake.display(),
            endpoint = double.endpoint(),
        ),
    )
    .unwrap();
    let out = std::process::Command::new(aad_ingest_bin())
        .arg("convert")
        .arg("-c")
        .arg(&cfg)
        .arg(&cap.file)
        .envs(double.env())
        .output()
        .expect("run aad-ingest convert");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "convert failed:\n{stdout}\n{stderr}");

    let auth = double.rows("Custom-ASimAuthenticationEventLogs");
    let audit = double.rows("Custom-ASimAuditEventLogs");
    // Exactly the routed rows, each once: every sign-in of three tables, the failed
    // non-interactive ones (the `where` read the source's ResultType), every audit.
    let mut expected = BTreeMap::new();
    for (table, filter) in [
        ("SigninLogs", "true"),
        ("AADServicePrincipalSignInLogs", "true"),
        ("AADManagedIdentitySignInLogs", "true"),
        ("AADNonInteractiveUserSignInLogs", "ResultType <> '0'"),
    ] {
        let ids = lake_ids(&lake, table, filter);
        assert!(!ids.is_empty(), "the capture has {table} rows ({filter})");
        for (id, n) in ids {
            *expected.entry(id).or_insert(0) += n;
        }
    }
    assert_eq!(uids(&auth), expected);
    let audits = lake_ids(&lake, "AuditLogs", "true");
    assert!(!audits.is_empty());
    assert_eq!(uids(&audit), audits);
    // Nothing went to the _CL streams.
    assert!(double.rows("Custom-SigninLogs").is_empty());

    // ASIM shapes: constants of the parsers, times as ISO 8601, EventCount a number, the
    // result as ResultType says; and only the stream's declared columns were sent.
    let results = duckdb(&format!(
        "SELECT Id, ResultType FROM read_parquet('{}/table=SigninLogs/**/*.parquet')",
        lake.display()
    ));
    let result_of: BTreeMap<String, String> = results
        .into_iter()
        .filter_map(|r| {
            Some((
                r["Id"].clone()?,
                r["ResultType"].clone().unwrap_or_default(),
            ))
        })
        .collect();
    for r in &auth {
        assert_eq!(r["EventVendor"], "Microsoft");
        assert_eq!(r["EventProduct"], "AAD");
        assert_eq!(
            r["EventType"]
                .as_str()
                .map(|t| t == "Logon" || t == "Logoff"),
            Some(true)
        );
        assert_eq!(r["EventCount"], 1);
        let t = r["TimeGenerated"].as_str().expect("TimeGenerated");
        assert!(t.ends_with('Z') && t.len() >= 20, "{t}");
        assert_eq!(r["EventStartTime"], r["TimeGenerated"]);
        if let Some(rt) = r["EventOriginalUid"]
            .as_str()
            .and_then(|u| result_of.get(u))
        {
            let want = if rt == "0" { "Success" } else { "Failure" };
            assert_eq!(r["EventResult"], want, "{r}");
        }
    }
    for r in &audit {
        assert_eq!(r["EventProduct"], "Azure");
        assert_eq!(r["EventSchemaVersion"], "0.1.2");
        assert!(r["Operation"].is_string(), "{r}");
    }
    let stats = double.stats();
    let undeclared = &stats["undeclared_columns"];
    assert!(
        undeclared
            .as_object()
            .expect("the double counts undeclared columns")
            .values()
            .all(|v| v.as_object().is_some_and(|m| m.is_empty())),
        "columns the ASIM streams do not declare were sent: {undeclared}"
    );
}

/// `[lake] asim`: the lake keeps ASIM tables beside the source tables, one row per routed
/// source row, with exactly the columns the ASIM streams send (so SQL over the lake and KQL over
/// Sentinel share field names), in Parquet and in Delta alike.
#[test]
fn a_lake_keeps_asim_tables_with_the_asim_columns() {
    for format in ["parquet", "delta"] {
        let dir = tempfile::tempdir().unwrap();
        let cap = capture(dir.path(), 2000, 44, 50);
        let lake = dir.path().join("lake");
        let cfg = dir.path().join("lake.toml");
        std::fs::write(
            &cfg,
            format!(
                "[lake]\nout = \"{}\"\nformat = \"{format}\"\nasim = [\"Authentication\", \"AuditEvent\"]\n",
                lake.display()
            ),
        )
        .unwrap();
        let out = std::process::Command::new(aad_ingest_bin())
            .args(["convert", "-c"])
            .arg(&cfg)
            .arg(&cap.file)
            .output()
            .expect("run aad-ingest convert");
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Delta tables are read by the `deltalake` package and exported to Parquet.
        let exported = dir.path().join("exported");
        let root = if format == "delta" {
            let tables = aad_tests::delta_export(&lake, &exported);
            use simd_json::prelude::ValueAsScalar;
            assert!(tables["ASimAuthenticationEventLogs"]["rows"].as_u64() > Some(0));
            exported.clone()
        } else {
            lake.clone()
        };
        let scan = |table: &str| {
            format!(
                "read_parquet('{}/table={table}/**/*.parquet')",
                root.display()
            )
        };
        let ids = |table: &str, filter: &str| -> BTreeMap<String, usize> {
            let mut m = BTreeMap::new();
            for r in duckdb(&format!("SELECT Id FROM {} WHERE {filter}", scan(table))) {
                let id = r["Id"].clone().filter(|i| !i.is_empty());
                *m.entry(id.unwrap_or_else(|| "<none>".into())).or_insert(0) += 1;
            }
            m
        };
        let asim_uids = |table: &str| -> BTreeMap<String, usize> {
            let mut m = BTreeMap::new();
            for r in duckdb(&format!(
                "SELECT EventOriginalUid AS u FROM {}",
                scan(table)
            )) {
                *m.entry(r["u"].clone().unwrap_or_else(|| "<none>".into()))
                    .or_insert(0) += 1;
            }
            m
        };
        let mut signins = BTreeMap::new();
        for t in [
            "SigninLogs",
            "AADNonInteractiveUserSignInLogs",
            "AADServicePrincipalSignInLogs",
            "AADManagedIdentitySignInLogs",
        ] {
            for (id, n) in ids(t, "true") {
                *signins.entry(id).or_insert(0) += n;
            }
        }
        assert!(!signins.is_empty());
        assert_eq!(
            asim_uids("ASimAuthenticationEventLogs"),
            signins,
            "{format}"
        );
        assert_eq!(
            asim_uids("ASimAuditEventLogs"),
            ids("AuditLogs", "true"),
            "{format}"
        );
        // The lake's ASIM columns: the streams' columns, then the position columns.
        for schema in aad_schemas::asim::AsimSchema::ALL {
            let cols: Vec<String> = duckdb(&format!(
                "SELECT column_name AS c FROM (DESCRIBE SELECT * FROM {})",
                scan(schema.table())
            ))
            .into_iter()
            .map(|r| r["c"].clone().unwrap())
            .collect();
            for (c, _) in schema.columns() {
                assert!(cols.iter().any(|x| x == c), "{format}: {c} in {cols:?}");
            }
            assert!(cols.iter().any(|x| x == "_SequenceNumber"), "{cols:?}");
        }
        // A success and a failure, as the parsers say.
        let results = duckdb(&format!(
            "SELECT DISTINCT s.ResultType AS rt, a.EventResult AS r FROM {} s JOIN {} a ON s.Id = a.EventOriginalUid",
            scan("SigninLogs"),
            scan("ASimAuthenticationEventLogs")
        ));
        assert!(!results.is_empty());
        for r in results {
            let want = if r["rt"].as_deref() == Some("0") {
                "Success"
            } else {
                "Failure"
            };
            assert_eq!(r["r"].as_deref(), Some(want), "{format}: {r:?}");
        }
    }
}
