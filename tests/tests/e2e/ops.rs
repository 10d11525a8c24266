//! Operating the service: `/metrics` scraped by a real Prometheus and checked against the
//! known input, readiness through a failing destination and back, `status`, `check-config`
//! over a corpus of bad configs, and no secret in any output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aad_tests::broker::Broker;
use aad_tests::loganalytics::LogAnalyticsDouble;
use aad_tests::prometheus::{promtool_check_metrics, Prometheus};
use aad_tests::service::{capture, wait_for, Service, ServiceConfig};
use aad_tests::{duckdb, http_get, python, repo_root, run_cli};
use simd_json::prelude::*;

use crate::service::{ends, local_config, service_env, wait_for_local_checkpoints};

/// The service's config with a Log Analytics destination that takes successful sign-ins only
/// (a `where`) and every audit record, beside the lake.
fn write_routed_config(
    work: &Path,
    config: &ServiceConfig,
    double: &LogAnalyticsDouble,
) -> PathBuf {
    crate::service::write_la_config_with(
        work,
        config,
        double,
        r#"[[destination.route]]
tables = ["SigninLogs"]
where = "ResultType = '0'"
dcr_immutable_id = "{dcr}"

[[destination.route]]
tables = ["AuditLogs"]
dcr_immutable_id = "{dcr}"
"#,
    )
}

/// Per table, the rows in the lake.
fn lake_rows(lake: &Path) -> BTreeMap<String, f64> {
    duckdb(&format!(
        "SELECT \"table\" AS t, count(*) AS n FROM read_parquet('{}/table=*/**/*.parquet', hive_partitioning=true, union_by_name=true) GROUP BY ALL",
        lake.display()
    ))
    .into_iter()
    .map(|r| {
        (
            r["t"].clone().unwrap(),
            r["n"].as_deref().unwrap().parse().unwrap(),
        )
    })
    .collect()
}

/// A query's series as label value → value.
fn by(p: &Prometheus, promql: &str, label: &str) -> BTreeMap<String, f64> {
    p.query(promql)
        .into_iter()
        .map(|(labels, v)| {
            let key = labels
                .iter()
                .find(|(k, _)| k == label)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            (key, v)
        })
        .collect()
}

/// The counters a real Prometheus scraped add up to the input, per table: records in = rows
/// written + rows filtered out (per destination), records in + dead letters = what the
/// generator wrote; lag falls to 0; `status` agrees; a destination that fails turns readiness
/// off and counts its errors, and its return turns it back on.
#[test]
fn prometheus_scrapes_counters_that_add_up_and_readiness_follows_a_failing_destination() {
    let work = tempfile::tempdir().unwrap();
    let broker = Broker::start(crate::service::NAMESPACE, &[("entra", 4)]);
    let cap = capture(work.path(), 1200, 31, 10);
    let (checkpoints, lake, mut config) = local_config(work.path(), &broker);
    config.owner_id = Some("replica-ops".into());
    let double = LogAnalyticsDouble::start();
    let config_path = write_routed_config(work.path(), &config, &double);
    let mut env = service_env(None);
    env.extend(double.env());
    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    let log = work.path().join("run.log");
    let service = Service::start(&config_path, &env, &log);
    let address = service.http_address(Duration::from_secs(60));
    assert_eq!(http_get(&address, "/healthz").0, 200);
    let prometheus = Prometheus::start(&address);
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "every event checkpointed",
        Duration::from_secs(120),
    );
    prometheus.wait_for_scrape(Duration::from_secs(60));
    // Lag is read from the hub every second; scraped every second.
    wait_for("lag 0 on every partition", Duration::from_secs(60), || {
        let lag = by(&prometheus, "aad_ingest_partition_lag_events", "partition");
        (lag.len() == 4 && lag.values().all(|v| *v == 0.0)).then_some(())
    });
    wait_for("ready", Duration::from_secs(60), || {
        (http_get(&address, "/readyz").0 == 200 && prometheus.scalar("aad_ingest_ready") == 1.0)
            .then_some(())
    });
    // Counters move only at commits, all of which are checkpointed now: one more scrape.
    std::thread::sleep(Duration::from_secs(3));

    let r = &cap.report;
    let events: f64 = by(&prometheus, "aad_ingest_events_received_total", "partition")
        .values()
        .sum();
    assert_eq!(events, r.messages as f64);
    let bytes: usize = cap.messages.iter().map(Vec::len).sum();
    assert_eq!(
        prometheus.scalar("sum(aad_ingest_received_bytes_total)"),
        bytes as f64
    );
    assert_eq!(
        prometheus.scalar("sum(aad_ingest_records_received_total)"),
        (r.records + r.invalid_messages) as f64
    );
    assert_eq!(
        by(&prometheus, "aad_ingest_dead_letters_total > 0", "reason"),
        BTreeMap::from([("invalid_json".to_string(), r.invalid_messages as f64)])
    );
    assert_eq!(
        by(&prometheus, "aad_ingest_dead_letters_total", "reason").len(),
        6,
        "every reason kind is on /metrics from the start"
    );
    let records = by(&prometheus, "aad_ingest_table_records_total", "table");
    assert_eq!(records.values().sum::<f64>(), r.records as f64);
    // The lake takes every table whole.
    assert_eq!(records, lake_rows(&lake));
    assert_eq!(
        by(
            &prometheus,
            "aad_ingest_rows_written_total{destination=\"lake\"}",
            "table"
        ),
        records
    );
    // Log Analytics: its two tables, successful sign-ins only.
    let written = by(
        &prometheus,
        "aad_ingest_rows_written_total{destination=\"sentinel\"}",
        "table",
    );
    let filtered = by(
        &prometheus,
        "aad_ingest_rows_filtered_total{destination=\"sentinel\"}",
        "table",
    );
    let ok_signins = duckdb(&format!(
        "SELECT count(*) AS n FROM read_parquet('{}/table=SigninLogs/**/*.parquet') WHERE ResultType = '0'",
        lake.display()
    ))[0]["n"]
        .as_deref()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!(ok_signins > 0.0 && ok_signins < records["SigninLogs"]);
    assert_eq!(
        written,
        BTreeMap::from([
            ("AuditLogs".to_string(), records["AuditLogs"]),
            ("SigninLogs".to_string(), ok_signins),
        ])
    );
    assert_eq!(
        filtered,
        BTreeMap::from([
            ("AuditLogs".to_string(), 0.0),
            ("SigninLogs".to_string(), records["SigninLogs"] - ok_signins),
        ])
    );
    assert_eq!(
        double.rows("Custom-SigninLogs").len() as f64
            + double.rows("Custom-AuditLogs").len() as f64,
        written.values().sum::<f64>(),
        "the double received what the counters say was written"
    );
    let statuses = by(
        &prometheus,
        "sum by (status) (aad_ingest_destination_requests_total{destination=\"sentinel\"})",
        "status",
    );
    assert_eq!(statuses.keys().collect::<Vec<_>>(), ["204"]);
    assert_eq!(
        statuses["204"],
        double.stats()["requests"].as_u64().unwrap() as f64
    );
    assert_eq!(prometheus.scalar("aad_ingest_partitions_owned"), 4.0);
    assert_eq!(prometheus.scalar("aad_ingest_ownership_claims_total"), 4.0);
    let checkpoint = by(
        &prometheus,
        "aad_ingest_partition_checkpoint_sequence_number",
        "partition",
    );
    let want: BTreeMap<String, f64> = ends(&broker, 4)
        .into_iter()
        .map(|(p, s)| (p, s as f64))
        .collect();
    assert_eq!(checkpoint, want);
    assert!(prometheus.scalar("process_resident_memory_bytes") > 1e6);
    assert!(
        prometheus.scalar("aad_ingest_memory_budget_bytes")
            == ((config.memory_mib - config.memory_mib / 4) << 20) as f64
    );

    // The exposition is valid by Prometheus's own linter.
    let (status, exposition) = http_get(&address, "/metrics");
    assert_eq!(status, 200);
    let lint = promtool_check_metrics(&exposition, work.path());
    assert!(lint.trim().is_empty(), "promtool check metrics:\n{lint}");
    // Dashboard, alert rules and the KEDA trigger reference what the program serves.
    let exposition_file = work.path().join("metrics.prom");
    std::fs::write(&exposition_file, &exposition).unwrap();
    let contract = std::process::Command::new(python())
        .arg(repo_root().join("tests/py/deploy_contract.py"))
        .arg("--exposition")
        .arg(&exposition_file)
        .arg("--binary")
        .arg(aad_tests::aad_ingest_bin())
        .arg("--prometheus")
        .arg(format!("http://{}", prometheus.address))
        .arg("--no-cargo")
        .output()
        .unwrap();
    assert!(
        contract.status.success(),
        "deploy contract:\n{}{}",
        String::from_utf8_lossy(&contract.stdout),
        String::from_utf8_lossy(&contract.stderr)
    );

    // `status`: every partition owned by this replica, at its last event, no lag.
    let status = |args: &[&str]| {
        let out = std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = status(&["status", "-c", config_path.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let mut bytes = out.into_bytes();
    let rows = simd_json::to_owned_value(&mut bytes).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let p = row["partition"].as_str().unwrap();
        assert_eq!(row["owner"].as_str(), Some("replica-ops"));
        assert_eq!(row["owner_expired"].as_bool(), Some(false));
        assert_eq!(
            row["checkpoint_sequence_number"].as_i64(),
            Some(want[p] as i64)
        );
        assert_eq!(
            row["last_enqueued_sequence_number"].as_i64(),
            Some(want[p] as i64)
        );
        assert_eq!(row["lag_events"].as_i64(), Some(0));
        assert!(row["problem"].is_null());
    }
    let (ok, text, _) = status(&["status", "-c", config_path.to_str().unwrap()]);
    assert!(
        ok && text.contains("replica-ops") && text.contains("total lag: 0 events"),
        "{text}"
    );

    // Log Analytics fails: errors are counted, readiness goes off; it returns: back on.
    double.fail_always(503);
    for (i, m) in cap.messages.iter().take(40).enumerate() {
        broker.publish("entra", &(i % 4).to_string(), m.clone());
    }
    wait_for(
        "not ready while Log Analytics fails",
        Duration::from_secs(60),
        || {
            let (status, body) = http_get(&address, "/readyz");
            (status == 503 && body.contains("destination sentinel: failing")).then_some(())
        },
    );
    // A retry is counted when it starts, after the throttle's wait: later than the 503 it
    // answers, so it is waited for with them, not read once they show.
    wait_for(
        "503s and their retries counted",
        Duration::from_secs(30),
        || {
            (prometheus.scalar(
            "sum(aad_ingest_destination_requests_total{destination=\"sentinel\",status=\"503\"})",
        ) > 0.0
            && prometheus.scalar("aad_ingest_destination_up{destination=\"sentinel\"}") == 0.0
            && prometheus.scalar("aad_ingest_ready") == 0.0
            && prometheus.scalar("sum(aad_ingest_destination_retries_total)") > 0.0)
            .then_some(())
        },
    );
    double.clear();
    wait_for_local_checkpoints(
        &broker,
        4,
        &checkpoints,
        "the held events checkpointed once Log Analytics is back",
        Duration::from_secs(120),
    );
    wait_for("ready again", Duration::from_secs(30), || {
        (http_get(&address, "/readyz").0 == 200).then_some(())
    });
    let (code, _) = service.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0));
}

/// Every bad config of the corpus (`tests/fixtures/bad-configs/`, the key path each must name
/// in its first line) is refused by `check-config` and by `run` with the same message, which
/// names that key path; the good examples pass and print with secrets masked.
#[test]
fn check_config_refuses_every_bad_config_naming_its_key() {
    let work = tempfile::tempdir().unwrap();
    let corpus = repo_root().join("tests/fixtures/bad-configs");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} bad configs", cases.len());
    let secret = "s3cr3t-VALUE-that-must-not-print-0123456789";
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# expect: <text>`", case.display()))
            .to_string();
        let out = std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(["check-config", "-c"])
            .arg(case)
            .env("AAD_TEST_SET_SECRET", secret)
            .env_remove("AAD_TEST_SURELY_UNSET")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let run = std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(["run", "-c"])
            .arg(case)
            .env("AAD_TEST_SET_SECRET", secret)
            .output()
            .unwrap();
        let run_err = String::from_utf8_lossy(&run.stderr).into_owned();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if out.status.success() || !stderr.contains(&expect) {
            failures.push(format!(
                "{name}: want {expect:?}, check-config said: {stderr}"
            ));
        } else if run.status.success() || run_err.trim() != stderr.trim() {
            failures.push(format!(
                "{name}: run and check-config disagree:\n  run: {run_err}\n  check-config: {stderr}"
            ));
        }
        for leaked in [secret, "SharedAccessKey=c2Vj", "abc8Q~"] {
            if stderr.contains(leaked) || String::from_utf8_lossy(&out.stdout).contains(leaked) {
                failures.push(format!("{name}: printed a secret ({leaked})"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The shipped examples pass; their effective config prints with the host name as owner.
    for example in ["config/run.example.toml", "config/route.example.toml"] {
        let (ok, out, err) = run_cli(
            &[
                "check-config",
                "-c",
                repo_root().join(example).to_str().unwrap(),
            ],
            work.path(),
        );
        assert!(ok, "{example}: {err}");
        assert!(
            out.contains("[checkpoint]") && out.contains("owner_id = "),
            "{out}"
        );
    }
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    aad_tests::files_where(dir, |_| true)
}

/// Whether the run log shows storage refusing the service: a segment's commit failed, or the load
/// balancer's listing of the checkpoint store did (which one comes first is a race).
fn storage_failure_logged(log: &str) -> bool {
    log.contains("committing a segment failed") || log.contains("listing the checkpoint store")
}

/// Secrets in every place the service reads them (an Event Hubs connection string, a SAS
/// token, a storage account key, a client secret, the managed identity header), every error
/// path forced (storage down, tokens refused, requests refused, storage unreachable for
/// `status`, a malformed config with a secret on the bad line, a secret pasted as a variable
/// name): no secret in stdout, stderr, the log, `/metrics`, `status` or any file written.
#[test]
fn no_secret_reaches_any_output_on_any_error_path() {
    use aad_tests::loganalytics::IDENTITY_HEADER;
    use aad_tests::service::{connection_string, CONNECTION_STRING_ENV, SAS_KEY};
    use aad_tests::Azurite;
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("outputs");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut azurite = Azurite::start();
    azurite.create_container("checkpoints");
    azurite.create_container("lake");
    let broker = Broker::start(crate::service::NAMESPACE, &[("entra", 2)]);
    let cap = capture(work.path(), 300, 41, 10);
    let client_secret = "Xy71Q~aVeryPrivateClientSecretValue0123456";
    let sas_signature = "c2lnbmF0dXJlLW11c3Qtbm90LWxlYWstOTg3NjU0";
    let sas_token = format!(
        "SharedAccessSignature sr=sb%3a%2f%2fns&sig={sas_signature}&se=4102444800&skn=listen"
    );
    // The emulator's well-known key, given the way a real account's key is.
    let account_key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
            .to_string();
    let secrets = [
        SAS_KEY.to_string(),
        sas_signature.to_string(),
        client_secret.to_string(),
        IDENTITY_HEADER.to_string(),
        account_key.clone(),
    ];
    let double = LogAnalyticsDouble::start();
    let mut config =
        ServiceConfig::new("entra", &broker.endpoint(), "az://checkpoints", "az://lake");
    config.owner_id = Some("replica-secrets".into());
    let config_path = write_routed_config(work.path(), &config, &double);
    let mut env = service_env(Some(&azurite));
    env.extend(double.env());
    env.push(("AZURE_CLIENT_SECRET".into(), client_secret.into()));
    env.push(("AZURE_STORAGE_ACCOUNT_KEY".into(), account_key.clone()));
    env.push(("EVENTHUB_SAS_TOKEN".into(), sas_token.clone()));
    let log = work.path().join("run.log");
    let mut outputs: Vec<(String, String)> = Vec::new();
    let cli = |args: &[&str], env: &[(String, String)]| {
        let out = std::process::Command::new(aad_tests::aad_ingest_bin())
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&out_dir)
            .output()
            .unwrap();
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };

    for (i, m) in cap.messages.iter().enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    let service = Service::start(&config_path, &env, &log);
    let address = service.http_address(Duration::from_secs(60));
    wait_for("every event checkpointed", Duration::from_secs(120), || {
        (crate::service::azurite_checkpoints(&azurite) == ends(&broker, 2)).then_some(())
    });
    // Storage down while events arrive, then back. Which failure is logged first is a race: a
    // segment's commit, or the load balancer's listing of the checkpoint store (which restarts the
    // session before the new events are read). Both carry the storage client's errors.
    azurite.pause();
    for (i, m) in cap.messages.iter().take(10).enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    wait_for("a storage failure logged", Duration::from_secs(90), || {
        storage_failure_logged(&std::fs::read_to_string(&log).unwrap_or_default()).then_some(())
    });
    azurite.resume();
    // Log Analytics refuses the token.
    double.fail_always(401);
    for (i, m) in cap.messages.iter().take(10).enumerate() {
        broker.publish("entra", &(i % 2).to_string(), m.clone());
    }
    wait_for("a refused token logged", Duration::from_secs(60), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("status=401")
            .then_some(())
    });
    double.clear();
    wait_for(
        "every event checkpointed after the failures",
        Duration::from_secs(120),
        || (crate::service::azurite_checkpoints(&azurite) == ends(&broker, 2)).then_some(()),
    );
    outputs.push(("/metrics".into(), http_get(&address, "/metrics").1));
    outputs.push(("/readyz".into(), http_get(&address, "/readyz").1));
    let config_arg = config_path.to_str().unwrap();
    outputs.push(("status".into(), cli(&["status", "-c", config_arg], &env)));
    outputs.push((
        "status --json".into(),
        cli(&["status", "-c", config_arg, "--json"], &env),
    ));
    outputs.push((
        "check-config".into(),
        cli(&["check-config", "-c", config_arg], &env),
    ));
    assert_eq!(service.terminate(Duration::from_secs(30)).0, Some(0));
    outputs.push(("run log".into(), std::fs::read_to_string(&log).unwrap()));

    // Storage unreachable for `status`; the SAS token as the hub's credential.
    let mut unreachable = env.clone();
    unreachable.retain(|(k, _)| k != "AZURITE_BLOB_STORAGE_URL");
    unreachable.push((
        "AZURITE_BLOB_STORAGE_URL".into(),
        format!("http://127.0.0.1:{}", aad_tests::prometheus::free_port()),
    ));
    let sas_config = work.path().join("sas.toml");
    std::fs::write(
        &sas_config,
        config
            .toml()
            .replace(
                &format!("env = \"{CONNECTION_STRING_ENV}\""),
                "env = \"EVENTHUB_SAS_TOKEN\"",
            )
            .replace(
                "auth = { method = \"connection_string\"",
                "namespace = \"ns.servicebus.windows.net\"\nauth = { method = \"sas\"",
            ),
    )
    .unwrap();
    outputs.push((
        "status, storage unreachable".into(),
        cli(
            &["status", "-c", sas_config.to_str().unwrap()],
            &unreachable,
        ),
    ));
    // A malformed config with a secret on its bad line, and a secret pasted as a name.
    let bad = work.path().join("bad.toml");
    std::fs::write(
        &bad,
        config.toml().replace(
            &format!("env = \"{CONNECTION_STRING_ENV}\" }}"),
            &format!(
                "env = \"{}\", retries = 3 }}",
                connection_string("ns", "entra")
            ),
        ),
    )
    .unwrap();
    outputs.push((
        "malformed config".into(),
        cli(&["check-config", "-c", bad.to_str().unwrap()], &env),
    ));
    std::fs::write(
        &bad,
        config.toml().replace(
            &format!("env = \"{CONNECTION_STRING_ENV}\""),
            &format!("env = \"{}\"", connection_string("ns", "entra")),
        ),
    )
    .unwrap();
    outputs.push((
        "pasted secret".into(),
        cli(&["run", "-c", bad.to_str().unwrap()], &env),
    ));
    assert!(
        outputs
            .iter()
            .any(|(_, o)| o.contains("must name the environment variable")),
        "the pasted secret was refused"
    );

    // The error paths did run.
    let said = |what: &str| {
        outputs
            .iter()
            .find(|(w, _)| w == what)
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    let run_log = said("run log");
    assert!(
        run_log.contains("status=401"),
        "no refused token in the log"
    );
    assert!(
        storage_failure_logged(&run_log),
        "no storage failure in the log"
    );
    assert!(said("status, storage unreachable").contains("error:"));
    assert!(said("malformed config").contains("source.eventhubs.auth: unknown field `retries`"));

    // Every file written: the work directory (but the configs and the capture, which hold
    // secrets or events on purpose) and both containers.
    let downloaded = work.path().join("downloaded");
    azurite.download("lake", &downloaded.join("lake"));
    azurite.download("checkpoints", &downloaded.join("checkpoints"));
    for file in all_files(work.path()) {
        let name = file.to_string_lossy();
        if name.ends_with(".toml") || name.contains("capture-") {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        outputs.push((
            name.into_owned(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    assert!(outputs.len() > 20, "{} outputs scanned", outputs.len());
    let mut leaks = Vec::new();
    for (what, text) in &outputs {
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{what} holds {}…", &secret[..6]));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}
