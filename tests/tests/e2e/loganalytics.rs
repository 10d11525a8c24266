//! Forwarding to Log Analytics through the strict Logs Ingestion double: routes and filters
//! send exactly the chosen rows, with the right columns and value shapes; throttling and
//! outages lose nothing; an oversized record is dead-lettered; a refused token acks nothing;
//! a rerun sends nothing twice.

use std::collections::BTreeSet;
use std::path::Path;

use aad_schemas::catalogue::{LaType, Source};
use aad_schemas::Catalogue;
use aad_tests::loganalytics::LogAnalyticsDouble;
use aad_tests::service::capture;
use aad_tests::{aad_ingest_bin, duckdb};
use serde_json::Value;

/// A config: every table to the lake; sign-ins and audits whole to Log Analytics,
/// non-interactive sign-ins only when they failed.
fn config(double: &LogAnalyticsDouble, lake: &Path, extra: &str) -> String {
    format!(
        r#"[lake]
out = "{lake}"

[[destination]]
name = "sentinel"
kind = "loganalytics"
endpoint = "{endpoint}"
auth = {{ method = "managed_identity" }}
auth_wait_secs = 3
{extra}

[[destination.route]]
tables = ["SigninLogs"]
dcr_immutable_id = "{dcr_signin}"

[[destination.route]]
tables = ["AuditLogs"]
dcr_immutable_id = "{dcr_audit}"

[[destination.route]]
tables = ["AADNonInteractiveUserSignInLogs"]
where = "ResultType <> '0'"
dcr_immutable_id = "{dcr_noninteractive}"
"#,
        lake = lake.display(),
        endpoint = double.endpoint(),
        dcr_signin = double.dcr_for("SigninLogs"),
        dcr_audit = double.dcr_for("AuditLogs"),
        dcr_noninteractive = double.dcr_for("AADNonInteractiveUserSignInLogs"),
    )
}

/// `aad-ingest convert -c` with the double's identity environment: (success, stdout, stderr).
fn convert_with(
    double: &LogAnalyticsDouble,
    config_file: &Path,
    input: &Path,
) -> (bool, String, String) {
    let out = std::process::Command::new(aad_ingest_bin())
        .arg("convert")
        .arg("-c")
        .arg(config_file)
        .arg(input)
        .envs(double.env())
        .output()
        .expect("run aad-ingest convert");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (sequence, record index) of the rows that arrived on a stream; panics on a duplicate.
fn positions(rows: &[Value]) -> BTreeSet<(i64, i64)> {
    let mut seen = BTreeSet::new();
    for r in rows {
        let p = (
            r["IngestSequenceNumber"]
                .as_i64()
                .expect("IngestSequenceNumber"),
            r["IngestRecordIndex"].as_i64().expect("IngestRecordIndex"),
        );
        assert!(seen.insert(p), "row {p:?} arrived twice");
    }
    seen
}

/// The same positions, from the lake, for the rows a `where` keeps.
fn lake_positions(lake: &Path, table: &str, filter: &str) -> BTreeSet<(i64, i64)> {
    duckdb(&format!(
        "SELECT _SequenceNumber AS s, _RecordIndex AS i FROM read_parquet('{}/table={table}/**/*.parquet') WHERE {filter}",
        lake.display()
    ))
    .into_iter()
    .map(|r| {
        (
            r["s"].as_deref().unwrap().parse().unwrap(),
            r["i"].as_deref().unwrap().parse().unwrap(),
        )
    })
    .collect()
}

#[test]
fn routes_send_exactly_the_chosen_rows_once_and_a_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(dir.path(), 3000, 41, 50);
    let lake = dir.path().join("lake");
    let double = LogAnalyticsDouble::start();
    let cfg = dir.path().join("route.toml");
    std::fs::write(&cfg, config(&double, &lake, "")).unwrap();

    let (ok, stdout, stderr) = convert_with(&double, &cfg, &cap.file);
    assert!(ok, "convert failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("destination sentinel (loganalytics)"),
        "{stdout}"
    );

    let signin = double.rows("Custom-SigninLogs");
    let audit = double.rows("Custom-AuditLogs");
    let noninteractive = double.rows("Custom-AADNonInteractiveUserSignInLogs");
    assert_eq!(
        positions(&signin),
        lake_positions(&lake, "SigninLogs", "true")
    );
    assert_eq!(
        positions(&audit),
        lake_positions(&lake, "AuditLogs", "true")
    );
    let failed = lake_positions(
        &lake,
        "AADNonInteractiveUserSignInLogs",
        "ResultType <> '0'",
    );
    assert!(
        !failed.is_empty(),
        "the capture has failed non-interactive sign-ins"
    );
    assert_eq!(positions(&noninteractive), failed);
    // Nothing of the tables without a route.
    assert!(double
        .rows("Custom-AADServicePrincipalSignInLogs")
        .is_empty());

    // Value shapes: datetime as ISO 8601 UTC, the original time beside it, dynamic columns as
    // JSON values, numbers as numbers, the renamed position columns.
    let table = Catalogue::get().by_name("SigninLogs").unwrap();
    let lake_rows = duckdb(&format!(
        "SELECT _SequenceNumber AS s, _RecordIndex AS i, UserPrincipalName AS upn, strftime(TimeGenerated, '%Y-%m-%dT%H:%M:%S.%fZ') AS t FROM read_parquet('{}/table=SigninLogs/**/*.parquet')",
        lake.display()
    ));
    let by_position: std::collections::HashMap<(i64, i64), &Value> = signin
        .iter()
        .map(|r| {
            (
                (
                    r["IngestSequenceNumber"].as_i64().unwrap(),
                    r["IngestRecordIndex"].as_i64().unwrap(),
                ),
                r,
            )
        })
        .collect();
    for l in &lake_rows {
        let p = (
            l["s"].as_deref().unwrap().parse::<i64>().unwrap(),
            l["i"].as_deref().unwrap().parse::<i64>().unwrap(),
        );
        let sent = by_position[&p];
        assert_eq!(
            sent["UserPrincipalName"].as_str(),
            l["upn"].as_deref(),
            "{p:?}"
        );
        if let Some(t) = l["t"].as_deref() {
            let sent_time = sent["TimeGenerated"].as_str().expect("TimeGenerated");
            assert_eq!(&sent_time[..26], &t[..26], "{p:?}");
            assert!(sent_time.ends_with('Z'));
            assert_eq!(sent["OriginalTimeGenerated"], sent["TimeGenerated"]);
        }
        assert_eq!(
            sent["IngestSource"].as_str(),
            Some(cap.file.to_str().unwrap())
        );
    }
    let dynamic: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| c.la_type == LaType::Dynamic)
        .map(|c| c.name)
        .collect();
    let mut structured = 0;
    for r in &signin {
        for c in &dynamic {
            match &r[*c] {
                Value::Null | Value::Object(_) | Value::Array(_) => {}
                Value::Number(_) | Value::Bool(_) => {}
                other => panic!("{c} was sent as {other}, not a JSON value"),
            }
            structured += r[*c].is_object() as usize + r[*c].is_array() as usize;
        }
    }
    assert!(structured > 0, "some dynamic values are objects or arrays");
    double.assert_within_limits(1_000_000);

    // A rerun over the same input sends nothing: every request was acknowledged.
    let requests = double.stats()["requests"].as_u64().unwrap();
    let (ok, stdout, stderr) = convert_with(&double, &cfg, &cap.file);
    assert!(ok, "rerun failed:\n{stdout}\n{stderr}");
    assert_eq!(
        double.stats()["requests"].as_u64().unwrap(),
        requests,
        "{stdout}"
    );
    assert!(stdout.contains("already held"), "{stdout}");
    assert_eq!(double.rows("Custom-SigninLogs").len(), signin.len());
}

/// A sign-in whose string columns add up to more than one call may carry, each under 64 KB.
fn oversized_signin() -> String {
    let table = Catalogue::get().by_name("SigninLogs").unwrap();
    let mut props = serde_json::Map::new();
    for c in table
        .columns
        .iter()
        .filter(|c| c.la_type == LaType::String && !c.holds_json)
    {
        if let Some(Source::Prop(key)) = c.sources.first() {
            props.insert(key.to_string(), Value::String("x".repeat(60_000)));
        }
        if props.len() == 20 {
            break;
        }
    }
    assert_eq!(props.len(), 20);
    props.insert("id".into(), Value::String("oversized-1".into()));
    serde_json::json!({
        "time": "2026-11-01T00:30:00.0000000Z",
        "category": "SignInLogs",
        "operationName": "Sign-in activity",
        "properties": props,
    })
    .to_string()
}

#[test]
fn throttling_and_outages_lose_nothing_and_an_oversized_record_is_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(dir.path(), 2000, 42, 40);
    let mut input = std::fs::read_to_string(&cap.file).unwrap();
    input.push_str(&oversized_signin());
    input.push('\n');
    let oversized_line = input.lines().count() as i64;
    let file = dir.path().join("with-oversized.ndjson");
    std::fs::write(&file, &input).unwrap();
    let lake = dir.path().join("lake");
    let double = LogAnalyticsDouble::start();
    double.inject(serde_json::json!({"status": 429, "count": 4, "retry_after": 1}));
    double.inject(serde_json::json!({"status": 503, "count": 4, "retry_after": 1}));
    double.inject(serde_json::json!({"status": 500, "count": 2}));
    double.inject(serde_json::json!({"delay_ms": 1500, "count": 2}));
    let cfg = dir.path().join("route.toml");
    std::fs::write(
        &cfg,
        config(
            &double,
            &lake,
            "max_concurrency = 3\nrequest_timeout_secs = 10",
        ),
    )
    .unwrap();

    let (ok, stdout, stderr) = convert_with(&double, &cfg, &file);
    assert!(ok, "convert failed:\n{stdout}\n{stderr}");
    let stats = double.stats();
    assert_eq!(stats["by_status"]["429"], 4, "{stats}");
    assert_eq!(stats["by_status"]["503"], 4, "{stats}");
    double.assert_within_limits(1_000_000);

    // Every routed row arrived exactly once, except the oversized one.
    let mut expected = lake_positions(&lake, "SigninLogs", "true");
    assert!(
        expected.remove(&(oversized_line, 0)),
        "the lake keeps the whole record"
    );
    assert_eq!(positions(&double.rows("Custom-SigninLogs")), expected);
    assert_eq!(
        positions(&double.rows("Custom-AuditLogs")),
        lake_positions(&lake, "AuditLogs", "true")
    );

    // The oversized record is in the destination's dead letter, with its position.
    let dead_dir = lake.join("_deadletter/sentinel");
    let letters: Vec<Value> = std::fs::read_dir(&dead_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dead_dir.display()))
        .flat_map(|f| {
            std::fs::read_to_string(f.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["sequence"], oversized_line);
    assert!(
        letters[0]["reason"].as_str().unwrap().contains("1000000"),
        "{}",
        letters[0]["reason"]
    );
}

#[test]
fn a_refused_token_acks_nothing_and_convert_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(dir.path(), 300, 43, 30);
    let lake = dir.path().join("lake");
    let double = LogAnalyticsDouble::start();
    double.fail_always(401);
    let cfg = dir.path().join("route.toml");
    std::fs::write(&cfg, config(&double, &lake, "")).unwrap();

    let (ok, stdout, stderr) = convert_with(&double, &cfg, &cap.file);
    assert!(
        !ok,
        "convert must fail when every request is refused:\n{stdout}"
    );
    assert!(stderr.contains("401"), "{stderr}");
    assert!(stderr.contains("sentinel"), "{stderr}");
    assert!(double.rows("Custom-SigninLogs").is_empty());
    // Nothing was acknowledged, so a rerun once the role applies sends everything.
    assert!(!lake.join("_acks").exists(), "no request was acknowledged");
    double.clear();
    let (ok, stdout, stderr) = convert_with(&double, &cfg, &cap.file);
    assert!(ok, "{stdout}\n{stderr}");
    assert_eq!(
        positions(&double.rows("Custom-SigninLogs")),
        lake_positions(&lake, "SigninLogs", "true")
    );
}

#[test]
fn a_table_routed_nowhere_is_refused_unless_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(dir.path(), 50, 44, 10);
    let double = LogAnalyticsDouble::start();
    let cfg = dir.path().join("route.toml");
    let text =
        config(&double, &dir.path().join("lake"), "").replace("[lake]\nout", "[dead_letter]\nout");
    std::fs::write(&cfg, &text).unwrap();
    let (ok, _, stderr) = convert_with(&double, &cfg, &cap.file);
    assert!(!ok);
    assert!(
        stderr.contains("route: no destination receives")
            && stderr.contains("AADServicePrincipalSignInLogs"),
        "{stderr}"
    );
    assert!(stderr.contains("drop = [...]"), "{stderr}");
    assert_eq!(double.stats()["requests"], 0);
}

#[test]
fn the_shipped_templates_are_what_schema_prints() {
    let root = aad_tests::repo_root();
    for (flag, file) in [
        ("--arm", "config/azure/loganalytics.json"),
        ("--bicep", "config/azure/loganalytics.bicep"),
    ] {
        let (ok, printed, stderr) = aad_tests::run_cli(&["schema", flag], &root);
        assert!(ok, "{stderr}");
        let shipped = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            printed == shipped,
            "{file} differs from `aad-ingest schema {flag}`: regenerate with UPDATE_TEMPLATES=1 cargo test -p aad-schemas --lib loganalytics"
        );
    }
    let (ok, text, _) = aad_tests::run_cli(&["schema", "SigninLogs"], &root);
    assert!(ok);
    assert!(text.contains("SigninLogs_CL"), "{text}");
    assert!(text.contains("Custom-SigninLogs"), "{text}");
    assert!(
        text.contains("_SequenceNumber → IngestSequenceNumber")
            || text.contains("_SequenceNumber -> IngestSequenceNumber"),
        "{text}"
    );
}
