//! The analyses of `config/queries/` as a user runs them: a lake converted by `aad-ingest
//! convert` from the real samples, a generated capture and records written here, every SQL
//! query printed by `aad-ingest query` and run by DuckDB, its rows checked against what the input
//! records say (read here with serde_json, not through the lake); and every column a KQL twin
//! names declared by the generated `_CL` templates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use aad_ingest::query::{ALERTS, QUERIES, REQUESTS};
use aad_tests::{duckdb, repo_root, run_cli, samples_dir, Row};
use serde_json::{json, Value};

/// A lake made from the samples, a generated capture (few users, so that detections meet
/// sign-ins) and [`hand_records`]; the inputs are kept beside it for the expectations.
struct Lake {
    work: tempfile::TempDir,
    inputs: Vec<PathBuf>,
}

impl Lake {
    fn build() -> Lake {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        let (ok, _, err) = run_cli(
            &[
                "generate",
                "--records",
                "3000",
                "--seed",
                "16",
                "--users",
                "40",
                "--out",
                "cap/generated.ndjson",
            ],
            dir,
        );
        assert!(ok, "{err}");
        let hand: String = hand_records()
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>();
        std::fs::write(dir.join("cap/hand.ndjson"), hand).unwrap();
        let samples = samples_dir();
        let (ok, out, err) = run_cli(
            &[
                "convert",
                &samples.to_string_lossy(),
                "cap",
                "--out",
                "lake",
            ],
            dir,
        );
        assert!(ok, "{out}{err}");
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&samples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        inputs.push(dir.join("cap/generated.ndjson"));
        inputs.push(dir.join("cap/hand.ndjson"));
        Lake { work, inputs }
    }

    fn dir(&self) -> &Path {
        self.work.path()
    }

    /// `aad-ingest query <name> --lake lake [--input …]`, run by DuckDB.
    fn run(&self, name: &str, inputs: &[&Path]) -> Vec<Row> {
        let mut args = vec!["query", name, "--lake", "lake"];
        let inputs: Vec<String> = inputs.iter().map(|p| p.to_string_lossy().into()).collect();
        for i in &inputs {
            args.extend(["--input", i.as_str()]);
        }
        let (ok, sql, err) = run_cli(&args, self.dir());
        assert!(ok, "query {name}: {err}");
        assert!(err.is_empty(), "query {name} warned: {err}");
        duckdb(&sql)
    }

    /// Every record of the inputs, as serde_json reads them (a body that is not JSON is a dead
    /// letter in the lake and skipped here too).
    fn records(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for path in &self.inputs {
            let text = std::fs::read_to_string(path).unwrap();
            let text = text.trim_start_matches('\u{feff}');
            let docs: Vec<Value> = match serde_json::from_str::<Value>(text) {
                Ok(v) => vec![v],
                Err(_) => text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect(),
            };
            for doc in docs {
                match doc {
                    Value::Object(ref o) if o.get("records").is_some_and(Value::is_array) => {
                        out.extend(o["records"].as_array().unwrap().iter().cloned())
                    }
                    Value::Array(a) => out.extend(a),
                    v => out.push(v),
                }
            }
        }
        out
    }
}

/// A record's field: `properties.<camel>` or the top-level `<Pascal>` of Log-Analytics-shaped
/// records, as the catalogue reads them.
fn field<'a>(r: &'a Value, camel: &str, pascal: &str) -> Option<&'a Value> {
    r.get("properties")
        .and_then(|p| p.get(camel))
        .or_else(|| r.get(pascal))
        .filter(|v| !v.is_null())
}

fn text(r: &Value, camel: &str, pascal: &str) -> Option<String> {
    field(r, camel, pascal).and_then(|v| v.as_str().map(str::to_string))
}

/// The lake table of a record's category, for the tables these queries read.
fn table_of(r: &Value) -> Option<&'static str> {
    let cat = r
        .get("category")
        .or_else(|| r.get("Category"))?
        .as_str()?
        .to_ascii_lowercase();
    Some(match cat.as_str() {
        "signinlogs" => "SigninLogs",
        "noninteractiveusersigninlogs" | "aadnoninteractiveusersigninlogs" => {
            "AADNonInteractiveUserSignInLogs"
        }
        "riskyusers" | "aadriskyusers" => "AADRiskyUsers",
        "userriskevents" | "aaduserriskevents" => "AADUserRiskEvents",
        _ => return None,
    })
}

fn is_signins(table: &str) -> bool {
    matches!(table, "SigninLogs" | "AADNonInteractiveUserSignInLogs")
}

/// The ADAL library a sign-in names: among its authentication processing details, the
/// library entry ("Azure AD App Authentication Library" on the wire, "Azure Active Directory
/// Authentication Library" in the docs) whose value mentions ADAL; the least such value.
fn adal_library(r: &Value) -> Option<String> {
    let details = field(
        r,
        "authenticationProcessingDetails",
        "AuthenticationProcessingDetails",
    )?;
    let parsed;
    let details = match details {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).ok()?;
            &parsed
        }
        v => v,
    };
    details
        .as_array()?
        .iter()
        .filter(|d| {
            matches!(
                d.get("key").and_then(Value::as_str),
                Some("Azure AD App Authentication Library")
                    | Some("Azure Active Directory Authentication Library")
            )
        })
        .filter_map(|d| d.get("value").and_then(Value::as_str))
        .filter(|v| v.to_ascii_lowercase().contains("adal"))
        .min()
        .map(str::to_string)
}

fn s(row: &Row, col: &str) -> String {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col} in {row:?}"))
        .clone()
        .unwrap_or_else(|| "NULL".into())
}

fn cols(row: &Row, names: &[&str]) -> Vec<String> {
    names.iter().map(|c| s(row, c)).collect()
}

// ---------------------------------------------------------------------------------------------
// Records written here: risky users, detections and sign-ins whose joins are known by hand.
// ---------------------------------------------------------------------------------------------

const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
const CAROL: &str = "ca201000-0000-4000-8000-000000000003";
const SP: &str = "5e7e1ce0-0000-4000-8000-000000000004";
const TENANT: &str = "7e4a4700-0000-4000-8000-0000000000aa";

fn upn(id: &str) -> String {
    match id {
        ALICE => "alice@hand.example".into(),
        BOB => "bob@hand.example".into(),
        _ => "carol@hand.example".into(),
    }
}

fn envelope(category: &str, op: &str, time: &str, properties: Value) -> Value {
    json!({
        "time": time, "category": category, "operationName": op, "operationVersion": "1.0",
        "tenantId": TENANT, "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
        "Level": 4, "properties": properties,
    })
}

#[allow(clippy::too_many_arguments)]
fn signin(
    interactive: bool,
    id: &str,
    user: &str,
    time: &str,
    ip: &str,
    correlation: &str,
    library: &str,
    library_key: &str,
) -> Value {
    let cat = if interactive {
        "SignInLogs"
    } else {
        "NonInteractiveUserSignInLogs"
    };
    let mut r = envelope(
        cat,
        "Sign-in activity",
        time,
        json!({
            "id": id, "createdDateTime": time, "userId": user, "userPrincipalName": upn(user),
            "userDisplayName": upn(user), "appId": "c0c0a000-0000-4000-8000-0000000000bb",
            "appDisplayName": "Contoso Hand Portal", "ipAddress": ip, "correlationId": correlation,
            "originalRequestId": id, "isInteractive": interactive, "riskLevelDuringSignIn": "none",
            "status": {"errorCode": 0},
            "authenticationProcessingDetails": [
                {"key": "Is CAE Token", "value": "False"},
                {"key": library_key, "value": library},
            ],
        }),
    );
    r["resultType"] = json!("0");
    r["callerIpAddress"] = json!(ip);
    r["correlationId"] = json!(correlation);
    r
}

fn risky_user(user: &str, level: &str, state: &str, updated: &str) -> Value {
    envelope(
        "RiskyUsers",
        "Risky user",
        updated,
        json!({
            "id": user, "userDisplayName": upn(user), "userPrincipalName": upn(user),
            "riskLastUpdatedDateTime": updated, "riskState": state, "riskDetail": "none",
            "riskLevel": level, "isDeleted": false, "isProcessing": false,
        }),
    )
}

#[allow(clippy::too_many_arguments)]
fn detection(
    id: &str,
    user: &str,
    kind: &str,
    level: &str,
    activity: &str,
    ip: &str,
    request: &str,
    correlation: &str,
) -> Value {
    envelope(
        "UserRiskEvents",
        "User Risk Detection",
        activity,
        json!({
            "id": id, "requestId": request, "correlationId": correlation, "riskEventType": kind,
            "riskState": "atRisk", "riskLevel": level, "riskDetail": "none",
            "source": "IdentityProtection", "detectionTimingType": "realtime",
            "activity": "signin", "ipAddress": ip, "activityDateTime": activity,
            "detectedDateTime": activity, "lastUpdatedDateTime": activity, "userId": user,
            "userDisplayName": upn(user), "userPrincipalName": upn(user),
        }),
    )
}

fn hand_records() -> Vec<Value> {
    let adal = "Family: ADAL Library: ADAL.JS 1.0.0 Platform: JS";
    let msal = "Family: MSAL Library: MSAL.NET 4.54.1.0 Platform: .NET FW";
    let lib = "Azure AD App Authentication Library";
    vec![
        // Alice: the newer state is listed first, so the latest wins by time, not file order.
        risky_user(ALICE, "high", "atRisk", "2026-12-01T11:00:00Z"),
        risky_user(ALICE, "medium", "atRisk", "2026-12-01T10:00:00Z"),
        risky_user(BOB, "low", "atRisk", "2026-12-01T09:00:00Z"),
        detection(
            "d1",
            ALICE,
            "unfamiliarFeatures",
            "high",
            "2026-12-01T10:00:00Z",
            "203.0.113.5",
            "s2",
            "corr-x",
        ),
        detection(
            "d2",
            ALICE,
            "passwordSpray",
            "medium",
            "2026-12-01T15:00:00Z",
            "198.51.100.9",
            "",
            "corr-s4",
        ),
        detection(
            "d3",
            CAROL,
            "leakedCredentials",
            "low",
            "2026-12-01T12:00:00Z",
            "",
            "",
            "",
        ),
        // 30 minutes before d1, from its IP; the documented key spelling, ADAL.
        signin(
            true,
            "s1",
            ALICE,
            "2026-12-01T09:30:00Z",
            "203.0.113.5",
            "corr-s1",
            adal,
            "Azure Active Directory Authentication Library",
        ),
        // d1's own request, ADAL.
        signin(
            false,
            "s2",
            ALICE,
            "2026-12-01T10:00:30Z",
            "192.0.2.20",
            "corr-s2",
            "Family: ADAL Library: ADAL.NET 3.19.8 Platform: .NET",
            lib,
        ),
        // 90 minutes after d1, 210 before d2: around no detection; MSAL.
        signin(
            true,
            "s3",
            ALICE,
            "2026-12-01T11:30:00Z",
            "192.0.2.30",
            "corr-s3",
            msal,
            lib,
        ),
        // 50 minutes before d2, its correlation id; "ADAL" under another key is not a library.
        signin(
            false,
            "s4",
            ALICE,
            "2026-12-01T14:10:00Z",
            "192.0.2.40",
            "corr-s4",
            "ADAL",
            "Oauth Scope Info",
        ),
        signin(
            true,
            "s5",
            CAROL,
            "2026-12-01T12:05:00Z",
            "192.0.2.50",
            "corr-s5",
            "",
            lib,
        ),
        // Bob near d1, but d1 is Alice's.
        signin(
            true,
            "s6",
            BOB,
            "2026-12-01T10:10:00Z",
            "192.0.2.60",
            "corr-s6",
            msal,
            lib,
        ),
        envelope(
            "RiskyServicePrincipals",
            "Risky service principal",
            "2026-12-01T08:00:00Z",
            json!({
                "id": SP, "appId": "app-of-sp", "displayName": "hand-sp", "servicePrincipalType": "Application",
                "accountEnabled": true, "isProcessing": false, "riskLevel": "high", "riskState": "atRisk",
                "riskDetail": "none", "riskLastUpdatedDateTime": "2026-12-01T08:00:00Z",
            }),
        ),
        envelope(
            "ServicePrincipalRiskEvents",
            "Service Principal Risk Detection",
            "2026-12-01T07:00:00Z",
            json!({
                "id": "spd1", "servicePrincipalId": SP, "appId": "app-of-sp", "riskEventType": "leakedCredentials",
                "riskLevel": "high", "riskState": "atRisk", "activityDateTime": "2026-12-01T07:00:00Z",
            }),
        ),
        envelope(
            "ServicePrincipalRiskEvents",
            "Service Principal Risk Detection",
            "2026-12-01T07:30:00Z",
            json!({
                "id": "spd2", "servicePrincipalId": SP, "appId": "app-of-sp", "riskEventType": "anomalousServicePrincipalActivity",
                "riskLevel": "medium", "riskState": "atRisk", "activityDateTime": "2026-12-01T07:30:00Z",
            }),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// ADAL
// ---------------------------------------------------------------------------------------------

#[test]
fn adal_queries_return_exactly_the_sign_ins_naming_an_adal_library() {
    let lake = Lake::build();
    let records = lake.records();

    // (table, Id, library, AppId, UPN) of every sign-in record whose details name ADAL.
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut not_adal_with_library = 0;
    for r in &records {
        let Some(table) = table_of(r).filter(|t| is_signins(t)) else {
            continue;
        };
        match adal_library(r) {
            Some(lib) => expected.push(vec![
                table.to_string(),
                text(r, "id", "Id").unwrap(),
                lib,
                text(r, "appId", "AppId").unwrap(),
                text(r, "userPrincipalName", "UserPrincipalName").unwrap(),
            ]),
            None => {
                if field(
                    r,
                    "authenticationProcessingDetails",
                    "AuthenticationProcessingDetails",
                )
                .is_some()
                {
                    not_adal_with_library += 1;
                }
            }
        }
    }
    expected.sort();
    let per_table = |t: &str| expected.iter().filter(|e| e[0] == t).count();
    assert!(
        per_table("SigninLogs") >= 10 && per_table("AADNonInteractiveUserSignInLogs") >= 10,
        "the inputs must hold ADAL sign-ins of both kinds: {} interactive, {} non-interactive",
        per_table("SigninLogs"),
        per_table("AADNonInteractiveUserSignInLogs")
    );
    assert!(
        not_adal_with_library >= 10,
        "and sign-ins that are not ADAL"
    );
    assert!(expected.iter().any(|e| e[1] == "s1") && expected.iter().any(|e| e[1] == "s2"));
    assert!(!expected
        .iter()
        .any(|e| ["s3", "s4", "s5"].contains(&e[1].as_str())));

    let rows = lake.run("adal-signins", &[]);
    let mut got: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols(
                r,
                &["SignInTable", "Id", "Library", "AppId", "UserPrincipalName"],
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);

    // The migration list: per application and library, the same sign-ins counted.
    #[derive(Default, PartialEq, Debug)]
    struct App {
        signins: usize,
        interactive: usize,
        non_interactive: usize,
        users: BTreeSet<String>,
    }
    let mut apps: BTreeMap<(String, String, String), App> = BTreeMap::new();
    for r in &records {
        let Some(table) = table_of(r).filter(|t| is_signins(t)) else {
            continue;
        };
        let Some(lib) = adal_library(r) else { continue };
        let key = (
            text(r, "appDisplayName", "AppDisplayName").unwrap(),
            text(r, "appId", "AppId").unwrap(),
            lib,
        );
        let app = apps.entry(key).or_default();
        app.signins += 1;
        if table == "SigninLogs" {
            app.interactive += 1;
        } else {
            app.non_interactive += 1;
        }
        app.users.insert(
            text(r, "userId", "UserId")
                .or_else(|| text(r, "userPrincipalName", "UserPrincipalName"))
                .unwrap(),
        );
    }
    let rows = lake.run("adal", &[]);
    assert_eq!(rows.len(), apps.len());
    let mut previous = usize::MAX;
    for row in &rows {
        let key = (s(row, "AppDisplayName"), s(row, "AppId"), s(row, "Library"));
        let app = &apps[&key];
        let n: usize = s(row, "SignIns").parse().unwrap();
        assert!(n <= previous, "ordered by sign-ins, most first");
        previous = n;
        assert_eq!(
            cols(row, &["SignIns", "Interactive", "NonInteractive", "Users"]),
            [
                app.signins,
                app.interactive,
                app.non_interactive,
                app.users.len()
            ]
            .map(|n| n.to_string()),
            "{key:?}"
        );
    }
    let hand = rows
        .iter()
        .find(|r| {
            s(r, "AppDisplayName") == "Contoso Hand Portal" && s(r, "Library").contains("ADAL.JS")
        })
        .unwrap();
    assert_eq!(
        cols(
            hand,
            &["SignIns", "Interactive", "Users", "FirstSeen", "LastSeen"]
        ),
        [
            "1",
            "1",
            "1",
            "2026-12-01T09:30:00+00:00",
            "2026-12-01T09:30:00+00:00"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Risk
// ---------------------------------------------------------------------------------------------

#[test]
fn risk_queries_join_users_detections_and_sign_ins_as_the_records_say() {
    let lake = Lake::build();
    let records = lake.records();

    // risky-users: one row per risky user; detections counted from the records.
    let mut risky: BTreeSet<String> = BTreeSet::new();
    let mut detections: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &records {
        match table_of(r) {
            Some("AADRiskyUsers") => {
                risky.insert(text(r, "id", "Id").unwrap());
            }
            Some("AADUserRiskEvents") => {
                let d = detections
                    .entry(text(r, "userId", "UserId").unwrap())
                    .or_default();
                d.0 += 1;
                d.1 += usize::from(text(r, "riskLevel", "RiskLevel").as_deref() == Some("high"));
            }
            _ => {}
        }
    }
    let rows = lake.run("risky-users", &[]);
    assert_eq!(
        rows.iter().map(|r| s(r, "UserId")).collect::<BTreeSet<_>>(),
        risky
    );
    assert_eq!(rows.len(), risky.len(), "one row per risky user");
    let joined = rows.iter().filter(|r| s(r, "Detections") != "0").count();
    assert!(
        joined >= 5,
        "the inputs must hold risky users with detections: {joined}"
    );
    for row in &rows {
        let (n, high) = detections
            .get(&s(row, "UserId"))
            .copied()
            .unwrap_or_default();
        assert_eq!(
            cols(row, &["Detections", "HighRiskDetections"]),
            [n.to_string(), high.to_string()],
            "{row:?}"
        );
    }
    let by_id = |id: &str| rows.iter().find(|r| s(r, "UserId") == id).unwrap();
    let c = [
        "UserPrincipalName",
        "RiskLevel",
        "RiskState",
        "RiskLastUpdatedDateTime",
        "Detections",
        "HighRiskDetections",
        "DetectionTypes",
        "FirstDetection",
        "LastDetection",
    ];
    assert_eq!(
        cols(by_id(ALICE), &c),
        [
            "alice@hand.example",
            "high",
            "atRisk",
            "2026-12-01T11:00:00+00:00",
            "2",
            "1",
            "passwordSpray, unfamiliarFeatures",
            "2026-12-01T10:00:00+00:00",
            "2026-12-01T15:00:00+00:00",
        ]
    );
    assert_eq!(
        cols(by_id(BOB), &c),
        [
            "bob@hand.example",
            "low",
            "atRisk",
            "2026-12-01T09:00:00+00:00",
            "0",
            "0",
            "NULL",
            "NULL",
            "NULL"
        ]
    );
    // The real samples: Joe Danger and Joel Miller, each with one detection.
    assert_eq!(
        cols(
            by_id("51e26eae-d07b-44e5-bb0b-249f49569a8c"),
            &["RiskLevel", "Detections", "DetectionTypes", "IsDeleted"]
        ),
        ["medium", "1", "anonymizedIPAddress", "false"]
    );
    assert_eq!(
        cols(
            by_id("e3b2b242-4ccb-4cf1-9b8b-004cf034a458"),
            &["RiskLevel", "Detections", "DetectionTypes", "IsDeleted"]
        ),
        ["high", "1", "passwordSpray", "true"]
    );

    // risky-signins: the hand-made detections meet exactly these sign-ins.
    let rows = lake.run("risky-signins", &[]);
    let hand: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| [ALICE, BOB, CAROL].contains(&s(r, "UserId").as_str()))
        .map(|r| {
            cols(
                r,
                &[
                    "DetectionId",
                    "SignInId",
                    "SignInTable",
                    "MinutesFromActivity",
                    "UserRiskLevel",
                    "SameRequest",
                    "SameIp",
                    "SameCorrelation",
                ],
            )
        })
        .collect();
    let e = |v: [&str; 8]| v.map(str::to_string).to_vec();
    assert_eq!(
        hand,
        [
            e([
                "d1",
                "s1",
                "SigninLogs",
                "-30.0",
                "high",
                "false",
                "true",
                "false"
            ]),
            e([
                "d1",
                "s2",
                "AADNonInteractiveUserSignInLogs",
                "0.5",
                "high",
                "true",
                "false",
                "false"
            ]),
            e([
                "d3",
                "s5",
                "SigninLogs",
                "5.0",
                "NULL",
                "false",
                "false",
                "false"
            ]),
            e([
                "d2",
                "s4",
                "AADNonInteractiveUserSignInLogs",
                "-50.0",
                "high",
                "false",
                "false",
                "true"
            ]),
        ]
    );
    // Every row pairs a detection with a sign-in of the same user within the hour.
    assert!(
        rows.len() > hand.len(),
        "generated detections meet sign-ins too"
    );
    for r in &rows {
        let m: f64 = s(r, "MinutesFromActivity").parse().unwrap();
        assert!((-60.0..=60.0).contains(&m), "{r:?}");
    }

    // risk-detections: the hand-made day, users and service principals.
    let rows = lake.run("risk-detections", &[]);
    let day: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| s(r, "Day") == "2026-12-01")
        .map(|r| {
            cols(
                r,
                &[
                    "Subject",
                    "RiskEventType",
                    "RiskLevel",
                    "Detections",
                    "Subjects",
                ],
            )
        })
        .collect();
    let e = |v: [&str; 5]| v.map(str::to_string).to_vec();
    assert_eq!(
        day,
        [
            e([
                "servicePrincipal",
                "anomalousServicePrincipalActivity",
                "medium",
                "1",
                "1"
            ]),
            e(["servicePrincipal", "leakedCredentials", "high", "1", "1"]),
            e(["user", "leakedCredentials", "low", "1", "1"]),
            e(["user", "passwordSpray", "medium", "1", "1"]),
            e(["user", "unfamiliarFeatures", "high", "1", "1"]),
        ]
    );
    let total: usize = rows
        .iter()
        .map(|r| s(r, "Detections").parse::<usize>().unwrap())
        .sum();
    let events = records
        .iter()
        .filter(|r| {
            let cat = r
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or_default();
            cat.eq_ignore_ascii_case("UserRiskEvents")
                || cat.eq_ignore_ascii_case("ServicePrincipalRiskEvents")
        })
        .count();
    assert_eq!(total, events, "every detection counted once");

    let rows = lake.run("risky-service-principals", &[]);
    let sp = rows
        .iter()
        .find(|r| s(r, "ServicePrincipalId") == SP)
        .unwrap();
    assert_eq!(
        cols(
            sp,
            &[
                "DisplayName",
                "RiskLevel",
                "Detections",
                "HighRiskDetections",
                "DetectionTypes",
                "LastDetection"
            ]
        ),
        [
            "hand-sp",
            "high",
            "2",
            "1",
            "anomalousServicePrincipalActivity, leakedCredentials",
            "2026-12-01T07:30:00+00:00"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Alerts and application performance: second inputs written here.
// ---------------------------------------------------------------------------------------------

fn write_ndjson(path: &Path, rows: &[Value]) {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// The same rows as Parquet, written by DuckDB.
fn to_parquet(ndjson: &Path, parquet: &Path) {
    duckdb(&format!(
        "COPY (SELECT * FROM read_json('{}', format = 'newline_delimited')) TO '{}' (FORMAT parquet)",
        ndjson.display(),
        parquet.display()
    ));
    assert!(parquet.is_file());
}

#[test]
fn alerts_query_joins_alert_accounts_to_sign_ins_in_the_window() {
    let lake = Lake::build();
    let alerts = lake.dir().join("alerts.ndjson");
    write_ndjson(
        &alerts,
        &[
            // Alice by her object id; one of her sign-ins is from the alert's IP.
            json!({"SystemAlertId": "A1", "AlertName": "Suspicious sign-in", "AlertSeverity": "High",
               "StartTime": "2026-12-01T09:45:00Z", "EndTime": "2026-12-01T09:50:00Z",
               "CompromisedEntity": "Alice", "ProviderName": "ASC",
               "Entities": [{"$id": "2", "Type": "account", "Name": "alice", "AadUserId": ALICE.to_uppercase()},
                            {"$id": "3", "Type": "ip", "Address": "203.0.113.5"}]}),
            // Alice by her UPN in CompromisedEntity (other case); Entities as Log Analytics exports them.
            json!({"SystemAlertId": "A2", "AlertName": "Storage access", "AlertSeverity": "Medium",
               "StartTime": "2026-12-01T14:00:00Z", "CompromisedEntity": "ALICE@hand.example",
               "Entities": "[{\"$id\":\"2\",\"Type\":\"ip\",\"Address\":\"192.0.2.99\"}]"}),
            // Bob by Name@UPNSuffix.
            json!({"SystemAlertId": "A3", "AlertName": "Impossible travel", "AlertSeverity": "Low",
               "StartTime": "2026-12-01T10:00:00Z", "EndTime": "2026-12-01T10:05:00Z",
               "Entities": [{"Type": "account", "Name": "bob", "UPNSuffix": "hand.example"}]}),
            // Nobody's.
            json!({"SystemAlertId": "A4", "AlertName": "Nothing", "AlertSeverity": "Low",
               "StartTime": "2026-12-01T10:00:00Z", "CompromisedEntity": "host-01", "Entities": []}),
        ],
    );
    let expected: Vec<Vec<String>> = [
        ["A1", "s1", "SigninLogs", "-15.0", "true"],
        [
            "A1",
            "s2",
            "AADNonInteractiveUserSignInLogs",
            "15.5",
            "false",
        ],
        ["A3", "s6", "SigninLogs", "10.0", "false"],
        [
            "A2",
            "s4",
            "AADNonInteractiveUserSignInLogs",
            "10.0",
            "false",
        ],
    ]
    .iter()
    .map(|r| r.map(str::to_string).to_vec())
    .collect();
    let parquet = lake.dir().join("alerts.parquet");
    to_parquet(&alerts, &parquet);
    for input in [&alerts, &parquet] {
        let rows = lake.run("alerts", &[input]);
        let got: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                cols(
                    r,
                    &[
                        "SystemAlertId",
                        "SignInId",
                        "SignInTable",
                        "MinutesFromAlert",
                        "IpInAlert",
                    ],
                )
            })
            .collect();
        assert_eq!(got, expected, "{}", input.display());
        assert_eq!(
            cols(
                &rows[0],
                &[
                    "AlertName",
                    "AlertSeverity",
                    "AlertStart",
                    "SignInTime",
                    "UserPrincipalName",
                    "IPAddress"
                ]
            ),
            [
                "Suspicious sign-in",
                "High",
                "2026-12-01T09:45:00+00:00",
                "2026-12-01T09:30:00+00:00",
                "alice@hand.example",
                "203.0.113.5"
            ]
        );
    }
    // Without its input, the query says what it needs.
    let (ok, _, err) = run_cli(&["query", "alerts", "--lake", "lake"], lake.dir());
    assert!(
        !ok && err.contains("SecurityAlert") && err.contains("Entities"),
        "{err}"
    );
}

#[test]
fn performance_query_matches_requests_by_correlation_user_and_application() {
    let lake = Lake::build();
    let requests = lake.dir().join("requests.ndjson");
    write_ndjson(
        &requests,
        &[
            // s1's correlation id, and Alice's object id as the authenticated user, a minute later.
            json!({"TimeGenerated": "2026-12-01T09:31:00Z", "Id": "r1", "Name": "GET /signin-oidc",
               "DurationMs": 1200.0, "Success": true, "ResultCode": "302", "OperationId": "CORR-S1",
               "AppRoleName": "web", "UserAuthenticatedId": ALICE.to_uppercase(), "ClientIP": "10.0.0.1"}),
            json!({"TimeGenerated": "2026-12-01T09:31:02Z", "Id": "r1b", "Name": "GET /",
               "DurationMs": 100.0, "Success": true, "OperationId": "corr-s1", "AppRoleName": "web"}),
            // s2's application and IP, anonymous, within 5 minutes.
            json!({"TimeGenerated": "2026-12-01T10:01:30Z", "Id": "r2", "Name": "GET /login",
               "DurationMs": 800.0, "Success": true, "OperationId": "op-2",
               "AppRoleName": "Contoso Hand Portal", "UserAuthenticatedId": "", "ClientIP": "192.0.2.20"}),
            // Alice's UPN, 2 minutes after s4; failed.
            json!({"TimeGenerated": "2026-12-01T14:12:00Z", "Id": "r3", "Name": "POST /api/orders",
               "DurationMs": 300.0, "Success": false, "ResultCode": "500", "OperationId": "op-3",
               "AppRoleName": "api", "UserAuthenticatedId": "alice@hand.example", "ClientIP": "10.0.0.3"}),
            // Alice, but no sign-in of hers within 5 minutes.
            json!({"TimeGenerated": "2026-12-01T13:00:00Z", "Id": "r4", "Name": "GET /late",
               "DurationMs": 9000.0, "Success": true, "OperationId": "op-4", "AppRoleName": "api",
               "UserAuthenticatedId": "alice@hand.example", "ClientIP": "10.0.0.4"}),
        ],
    );
    let expected: Vec<Vec<String>> = [
        [
            "s1",
            "SigninLogs",
            "2",
            "0",
            "650.0",
            "1200.0",
            "GET /signin-oidc",
            "correlation, user",
        ],
        [
            "s2",
            "AADNonInteractiveUserSignInLogs",
            "1",
            "0",
            "800.0",
            "800.0",
            "GET /login",
            "application",
        ],
        [
            "s4",
            "AADNonInteractiveUserSignInLogs",
            "1",
            "1",
            "300.0",
            "300.0",
            "POST /api/orders",
            "user",
        ],
    ]
    .iter()
    .map(|r| r.map(str::to_string).to_vec())
    .collect();
    let parquet = lake.dir().join("requests.parquet");
    to_parquet(&requests, &parquet);
    for input in [&requests, &parquet] {
        let rows = lake.run("performance", &[input]);
        let got: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                cols(
                    r,
                    &[
                        "SignInId",
                        "SignInTable",
                        "Requests",
                        "FailedRequests",
                        "AvgDurationMs",
                        "MaxDurationMs",
                        "SlowestRequest",
                        "MatchedBy",
                    ],
                )
            })
            .collect();
        assert_eq!(got, expected, "{}", input.display());
    }
}

// ---------------------------------------------------------------------------------------------
// KQL twins: every column they name is declared by the generated templates.
// ---------------------------------------------------------------------------------------------

/// Words of KQL itself (operators, functions, keywords) used by the twins.
const KQL_WORDS: &[&str] = &[
    "and",
    "apply",
    "arg_max",
    "array_sort_asc",
    "asc",
    "avg",
    "away",
    "between",
    "by",
    "case",
    "coalesce",
    "contains",
    "count",
    "countif",
    "dcount",
    "desc",
    "distinct",
    "dynamic",
    "expand",
    "extend",
    "iff",
    "in",
    "inner",
    "isnotempty",
    "join",
    "kind",
    "leftouter",
    "let",
    "make_set",
    "matches",
    "max",
    "min",
    "mv",
    "not",
    "on",
    "or",
    "order",
    "pack_array",
    "project",
    "regex",
    "round",
    "set_has_element",
    "startofday",
    "strcat",
    "strcat_array",
    "string",
    "summarize",
    "take_any",
    "to",
    "todynamic",
    "tolower",
    "tostring",
    "typeof",
    "union",
    "where",
    "withsource",
];

/// Tables the twins read that are not ours, with the columns the query READMEs document.
fn external_tables() -> BTreeMap<String, BTreeSet<String>> {
    let mut requests: BTreeSet<String> = REQUESTS.columns.iter().map(|c| c.0.to_string()).collect();
    // AppRequests.Id: the KQL twin tells requests apart by it (the SQL numbers the rows).
    requests.insert("Id".into());
    BTreeMap::from([
        (
            ALERTS.table.to_string(),
            ALERTS.columns.iter().map(|c| c.0.to_string()).collect(),
        ),
        (REQUESTS.table.to_string(), requests),
    ])
}

/// Every `<Table>_CL` table of the ARM template with its columns.
fn template_tables() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(repo_root().join("config/azure/loganalytics.json")).unwrap();
    let arm: Value = serde_json::from_str(&text).unwrap();
    arm["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "Microsoft.OperationalInsights/workspaces/tables")
        .map(|r| {
            let schema = &r["properties"]["schema"];
            (
                schema["name"].as_str().unwrap().to_string(),
                schema["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// The identifiers of a KQL query that must be columns: every word outside comments and string
/// literals that is not a property (`x.key`), a `$left`/`$right`, a number or timespan, a word
/// of KQL, a table, or a name the query defines (`Name = …`).
fn kql_columns(
    kql: &str,
    tables: &BTreeMap<String, BTreeSet<String>>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    // Comments and strings out.
    let mut code = String::new();
    let mut chars = kql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '"' | '\'' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    if d == c && !escaped {
                        break;
                    }
                    escaped = d == '\\' && !escaped;
                }
                code.push_str(" \"\" ");
            }
            c => code.push(c),
        }
    }
    // Words, with what precedes and follows them.
    let bytes = code.as_bytes();
    let mut words: Vec<(String, u8, bool)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let head = code[..start].trim_end();
            let mut before = head.bytes().last().unwrap_or(b' ');
            // `$left.Column` and `$right.Column` name columns, unlike `value.key`.
            if before == b'.' && (head.ends_with("$left.") || head.ends_with("$right.")) {
                before = b' ';
            }
            let after = code[i..].trim_start();
            let defines =
                after.starts_with('=') && !after.starts_with("==") && !after.starts_with("=~");
            words.push((code[start..i].to_string(), before, defines));
        } else {
            i += 1;
        }
    }
    // `Name = …` defines Name; so does `union withsource = Name`.
    let defined: BTreeSet<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, w)| w.2 || *i > 0 && words[i - 1].0 == "withsource")
        .map(|(_, w)| w.0.as_str())
        .collect();
    let mut read = BTreeSet::new();
    let mut columns = BTreeSet::new();
    for (w, before, _) in &words {
        if *before == b'.' && !w.ends_with("_CL") || *before == b'$' {
            continue;
        }
        if KQL_WORDS.contains(&w.as_str()) || defined.contains(w.as_str()) {
            continue;
        }
        if w.ends_with("_CL") || tables.contains_key(w) {
            read.insert(w.clone());
        } else {
            columns.insert(w.clone());
        }
    }
    (read, columns)
}

/// The words of `kql` that no table it reads declares, or the tables that do not exist.
fn undeclared(kql: &str, tables: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let (read, columns) = kql_columns(kql, tables);
    let mut bad: Vec<String> = read
        .iter()
        .filter(|t| !tables.contains_key(*t))
        .map(|t| format!("table {t}"))
        .collect();
    bad.extend(
        columns
            .iter()
            .filter(|c| {
                !read
                    .iter()
                    .any(|t| tables.get(t).is_some_and(|cols| cols.contains(*c)))
            })
            .map(|c| format!("column {c}")),
    );
    bad
}

#[test]
fn kql_twins_use_only_columns_the_generated_templates_declare() {
    let mut tables = template_tables();
    assert!(tables.contains_key("SigninLogs_CL") && tables["SigninLogs_CL"].contains("RecordId"));
    tables.extend(external_tables());
    for q in QUERIES {
        let bad = undeclared(q.kql, &tables);
        assert!(
            bad.is_empty(),
            "{}.kql names what the templates do not declare: {bad:?}",
            q.path
        );
        let (read, columns) = kql_columns(q.kql, &tables);
        assert!(
            read.iter().any(|t| t.ends_with("_CL")),
            "{} reads a _CL table",
            q.path
        );
        assert!(columns.len() >= 5, "{}: {columns:?}", q.path);
        // What `aad-ingest query --kql` prints is that file.
        let (ok, out, err) = run_cli(&["query", q.name, "--kql"], &repo_root());
        assert!(ok, "{err}");
        assert!(out.ends_with(q.kql), "{}", q.name);
    }
    // The check sees the rename rule: the lake's names are not the custom tables'.
    let wrong = "SigninLogs_CL | where TimeGenerated > ago(1d) | project Id, _SequenceNumber, TenantId, AppId";
    assert_eq!(
        undeclared(wrong, &tables),
        [
            "column Id",
            "column TenantId",
            "column _SequenceNumber",
            "column ago"
        ]
    );
    assert_eq!(
        undeclared("SigninLog_CL | take 1", &tables)[0],
        "table SigninLog_CL"
    );
}
