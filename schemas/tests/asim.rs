//! ASIM normalization, checked two independent ways.
//!
//! 1. A golden set: real records from `../shared/samples/entra/` (one per parser at least) and
//!    the edge cases the parsers' lookups and `coalesce`s handle, each with every ASIM column's
//!    expected value written here by hand from reading the parser (named in
//!    `schemas/src/asim/mapping.rs`) and the record: never computed by the mapping.
//! 2. Microsoft's ASIM rules (`schemas/asim/ASimTester.csv`, source and commit in
//!    `schemas/asim/README.md`) applied to every ASIM row made from every sample: mandatory
//!    columns present, types as the rules say, enumerated values among the allowed ones, IP
//!    addresses and schema versions well formed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use aad_schemas::asim::{self, mapping_for, AsimSchema};
use aad_schemas::catalogue::LaType;
use aad_schemas::{BatchSet, Catalogue, Decoder, MessageContext, Normalizer, SchemaOptions};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{json, Value};

type Row = BTreeMap<String, Value>;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/entra")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Line `n` (1-based) of a sample of one record a line.
fn sample_line(name: &str, n: usize) -> Value {
    let text = String::from_utf8(sample(name)).unwrap();
    let line = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .nth(n - 1)
        .unwrap();
    serde_json::from_str(line).unwrap()
}

/// Decode and normalize messages; the batches of every table.
fn normalize_messages(messages: &[Vec<u8>]) -> Vec<(String, RecordBatch)> {
    let mut decoder = Decoder::default();
    let mut normalizer = Normalizer::new(SchemaOptions::default());
    let mut set = BatchSet::new(SchemaOptions::default());
    let mut rejected = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let ctx = MessageContext {
            source: "test",
            partition: Some("0"),
            sequence: i as i64 + 1,
            enqueued: None,
        };
        decoder.message(m, &ctx, &mut normalizer, &mut set, &mut rejected);
    }
    let cat = Catalogue::get();
    set.finish()
        .into_iter()
        .map(|(t, _, b)| (cat.table(t).name.to_string(), b))
        .collect()
}

/// The ASIM rows of messages, with the table each came from; position columns left out.
fn asim_rows(messages: &[Vec<u8>]) -> Vec<(AsimSchema, String, Row)> {
    let mut out = Vec::new();
    for (table, batch) in normalize_messages(messages) {
        let Some(mapping) = mapping_for(&table) else {
            continue;
        };
        let asim = asim::normalize(mapping, &batch).unwrap();
        assert_eq!(
            asim.num_rows(),
            batch.num_rows(),
            "{table}: one ASIM row a row"
        );
        for row in rows_of(&asim, mapping.schema) {
            out.push((mapping.schema, table.clone(), row));
        }
    }
    out
}

/// The non-null ASIM columns of each row, as JSON values (times as ISO 8601, µs).
fn rows_of(batch: &RecordBatch, schema: AsimSchema) -> Vec<Row> {
    let mut rows = vec![Row::new(); batch.num_rows()];
    for (name, la_type) in schema.columns() {
        let col = batch.column_by_name(name).unwrap();
        for (r, row) in rows.iter_mut().enumerate() {
            if col.is_null(r) {
                continue;
            }
            let v = match la_type {
                LaType::String => json!(col.as_string::<i32>().value(r)),
                LaType::Dynamic => serde_json::from_str(col.as_string::<i32>().value(r)).unwrap(),
                LaType::Int => json!(col.as_primitive::<Int32Type>().value(r)),
                LaType::Real => json!(col.as_primitive::<Float64Type>().value(r)),
                LaType::Datetime => {
                    assert!(matches!(col.data_type(), DataType::Timestamp(_, _)));
                    json!(iso(col.as_primitive::<TimestampMicrosecondType>().value(r)))
                }
                other => panic!("{name}: {other:?}"),
            };
            row.insert(name.to_string(), v);
        }
    }
    rows
}

fn iso(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = aad_schemas::time::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// One ASIM row of one record.
fn row_of(record: &Value) -> Row {
    let rows = asim_rows(&[serde_json::to_vec(record).unwrap()]);
    assert_eq!(rows.len(), 1, "{record}");
    rows.into_iter().next().unwrap().2
}

/// Expected values, written by hand: every column not listed must be empty.
fn expect(pairs: &[(&str, Value)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// `base` with some columns changed (`Value::Null`: now empty).
fn with(base: &Row, changes: &[(&str, Value)]) -> Row {
    let mut row = base.clone();
    for (k, v) in changes {
        if v.is_null() {
            row.remove(*k);
        } else {
            row.insert(k.to_string(), v.clone());
        }
    }
    row
}

fn assert_row(actual: &Row, expected: &Row, what: &str) {
    for (k, v) in expected {
        assert_eq!(actual.get(k), Some(v), "{what}: column {k}");
    }
    for (k, v) in actual {
        assert!(
            expected.contains_key(k),
            "{what}: column {k} = {v}, expected empty"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Golden set: SigninLogs (ASimAuthenticationAADSigninLogs.yaml 0.4.1)

/// elastic beats `signin_log.json`: a successful interactive sign-in, no device id.
fn signin_success() -> Row {
    let id = "2a7e2503-d7e2-405a-a84c-c333b9f7cb73";
    expect(&[
        ("TimeGenerated", json!("2019-10-04T10:47:34.594965Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2019-10-04T10:47:34.594965Z")),
        ("EventEndTime", json!("2019-10-04T10:47:34.594965Z")),
        ("EventType", json!("Logon")),
        ("EventSubType", json!("Interactive")),
        ("EventResult", json!("Success")),
        // coalesce(ResultDescription, ResultType): no description.
        ("EventOriginalResultDetails", json!("0")),
        ("EventProduct", json!("AAD")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.3")),
        ("EventOriginalUid", json!(id)),
        ("SrcIpAddr", json!("81.191.171.1")),
        ("SrcDvcOs", json!("MacOs")),
        ("SrcGeoCity", json!("City1")),
        ("SrcGeoCountry", json!("GB")),
        ("SrcGeoLatitude", json!(51.111111111111)),
        ("SrcGeoLongitude", json!(-2.111111111111111)),
        ("TargetSessionId", json!(id)),
        ("TargetUserId", json!(id)),
        ("TargetUserIdType", json!("AADID")),
        ("TargetUsername", json!("test_test@elastic.co")),
        ("TargetUsernameType", json!("UPN")),
        ("TargetAppId", json!(id)),
        ("TargetAppName", json!("Microsoft Office Web Apps Service")),
        ("ActingOriginalAppType", json!("Browser")),
        ("ActingAppType", json!("Service")),
        (
            "AdditionalFields",
            json!({"ConditionalAccessStatus": "notApplied", "RiskLevelDuringSignIn": "none",
                   "RiskLevelAggregated": "none", "RiskState": "none"}),
        ),
    ])
}

#[test]
fn signin_success_real_record() {
    let record: Value = serde_json::from_slice(&sample(
        "elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signin_log.json",
    ))
    .unwrap();
    assert_row(&row_of(&record), &signin_success(), "signin_log.json");
}

const SIGNIN_FAILED: &str =
    "elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signinlogs.log";

/// elastic beats `signinlogs.log`: a failed sign-in whose code (50140) no lookup knows.
fn signin_failed() -> Row {
    let id = "8a4de8b5-095c-47d0-a96f-a75130c61d53";
    expect(&[
        ("TimeGenerated", json!("2019-10-18T09:45:48.072989Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2019-10-18T09:45:48.072989Z")),
        ("EventEndTime", json!("2019-10-18T09:45:48.072989Z")),
        ("EventType", json!("Logon")),
        ("EventSubType", json!("Interactive")),
        ("EventResult", json!("Failure")),
        (
            "EventOriginalResultDetails",
            json!("This error occurred due to 'Keep me signed in' interrupt when the user was signing-in."),
        ),
        ("EventProduct", json!("AAD")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.3")),
        ("EventOriginalUid", json!(id)),
        ("SrcIpAddr", json!("81.171.241.231")),
        ("SrcDvcOs", json!("MacOs")),
        ("SrcGeoCity", json!("Champs-Sur-Marne")),
        ("SrcGeoCountry", json!("FR")),
        ("SrcGeoLatitude", json!(48.12341234)),
        ("SrcGeoLongitude", json!(2.12341234)),
        ("TargetSessionId", json!(id)),
        ("TargetUserId", json!(id)),
        ("TargetUserIdType", json!("AADID")),
        ("TargetUsername", json!("test@elastic.co")),
        ("TargetUsernameType", json!("UPN")),
        ("TargetAppId", json!(id)),
        ("TargetAppName", json!("Office 365")),
        ("ActingOriginalAppType", json!("Browser")),
        ("ActingAppType", json!("Service")),
        (
            "AdditionalFields",
            json!({"ConditionalAccessStatus": "notApplied", "RiskLevelDuringSignIn": "none",
                   "RiskLevelAggregated": "none", "RiskState": "none"}),
        ),
    ])
}

#[test]
fn signin_failure_with_an_unknown_code_real_record() {
    assert_row(
        &row_of(&sample_line(SIGNIN_FAILED, 1)),
        &signin_failed(),
        "signinlogs.log",
    );
}

#[test]
fn signin_failure_per_result_code_group() {
    // One code per EventResultDetails value of the parser's FailedReason table; the
    // description is removed so that EventOriginalResultDetails falls back to the code.
    let groups = [
        ("50126", "No such user or password"),
        ("50056", "Incorrect password"),
        ("50055", "Password expired"),
        ("50053", "User locked"),
        ("50057", "User disabled"),
        ("53003", "Logon violates policy"),
    ];
    for (code, details) in groups {
        let mut record = sample_line(SIGNIN_FAILED, 1);
        record["resultType"] = json!(code);
        record.as_object_mut().unwrap().remove("resultDescription");
        let expected = with(
            &signin_failed(),
            &[
                ("EventResultDetails", json!(details)),
                ("EventOriginalResultDetails", json!(code)),
            ],
        );
        assert_row(&row_of(&record), &expected, code);
    }
}

#[test]
fn signin_guest_member_and_methods() {
    let mut record = sample_line(SIGNIN_FAILED, 1);
    record["properties"]["userType"] = json!("Guest");
    record["properties"]["authenticationRequirement"] = json!("multiFactorAuthentication");
    record["properties"]["clientAppUsed"] = json!("Mobile Apps and Desktop clients");
    let expected = with(
        &signin_failed(),
        &[
            ("TargetUserType", json!("Guest")),
            ("LogonMethod", json!("Multi factor authentication")),
            (
                "ActingOriginalAppType",
                json!("Mobile Apps and Desktop clients"),
            ),
            ("ActingAppType", json!("Process")),
        ],
    );
    assert_row(&row_of(&record), &expected, "guest");
    record["properties"]["userType"] = json!("Member");
    // AuthenticationMethodsUsed comes first in the coalesce.
    record["properties"]["authenticationMethodsUsed"] = json!("singleFactorAuthentication");
    let expected = with(
        &expected,
        &[
            ("TargetUserType", json!("Regular")),
            ("LogonMethod", json!("Username & Password")),
        ],
    );
    assert_row(&row_of(&record), &expected, "member");
}

#[test]
fn signin_with_a_device_but_without_location() {
    let mut record = sample_line(SIGNIN_FAILED, 1);
    record["properties"]["deviceDetail"] =
        json!({"deviceId": "d-1", "displayName": "LAPTOP-1", "operatingSystem": "Windows10"});
    record["properties"]
        .as_object_mut()
        .unwrap()
        .remove("location");
    let expected = with(
        &signin_failed(),
        &[
            ("SrcDvcId", json!("d-1")),
            ("SrcDvcIdType", json!("Other")),
            ("SrcHostname", json!("LAPTOP-1")),
            ("SrcDvcOs", json!("Windows10")),
            ("SrcGeoCity", Value::Null),
            ("SrcGeoCountry", Value::Null),
            ("SrcGeoLatitude", Value::Null),
            ("SrcGeoLongitude", Value::Null),
        ],
    );
    assert_row(&row_of(&record), &expected, "no location");
}

#[test]
fn signin_without_device_or_location() {
    let mut record = sample_line(SIGNIN_FAILED, 1);
    let props = record["properties"].as_object_mut().unwrap();
    props.remove("deviceDetail");
    props.remove("location");
    let expected = with(
        &signin_failed(),
        &[
            ("SrcDvcOs", Value::Null),
            ("SrcGeoCity", Value::Null),
            ("SrcGeoCountry", Value::Null),
            ("SrcGeoLatitude", Value::Null),
            ("SrcGeoLongitude", Value::Null),
        ],
    );
    assert_row(&row_of(&record), &expected, "no device, no location");
}

// ---------------------------------------------------------------------------------------------
// AADNonInteractiveUserSignInLogs (ASimAuthenticationAADNonInteractive.yaml 0.2)

const NON_INTERACTIVE: &str = "elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user-sample.log";

fn non_interactive() -> Row {
    expect(&[
        ("TimeGenerated", json!("2022-01-24T05:10:14.187560Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2022-01-24T05:10:14.187560Z")),
        ("EventEndTime", json!("2022-01-24T05:10:14.187560Z")),
        ("EventType", json!("Logon")),
        ("EventOriginalSubType", json!("NonInteractive")),
        ("EventResult", json!("Success")),
        ("EventOriginalResultDetails", json!("0")),
        ("EventProduct", json!("AAD")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.0")),
        (
            "EventOriginalUid",
            json!("290faffa-477b-4b28-ae92-579daae7b000"),
        ),
        ("LogonMethod", json!("singleFactorAuthentication")),
        ("SrcIpAddr", json!("1.128.3.4")),
        ("SrcDvcOs", json!("Windows10")),
        ("SrcGeoCity", json!("Nizampet")),
        ("SrcGeoCountry", json!("IN")),
        ("SrcGeoLatitude", json!(17.5164794921875)),
        ("SrcGeoLongitude", json!(78.37663269042969)),
        (
            "TargetSessionId",
            json!("22382f6f-ecde-4221-8666-22c452e88ebb"),
        ),
        (
            "TargetUserId",
            json!("2ce85a15-8640-465d-b916-d2eac620a717"),
        ),
        ("TargetUserIdType", json!("AADID")),
        (
            "TargetUsername",
            json!("mpliftrelastic20210901@outlook.com"),
        ),
        ("TargetUsernameType", json!("UPN")),
        ("TargetAppId", json!("797f4846-ba00-4fd7-ba43-dac1f8f63013")),
        (
            "TargetAppName",
            json!("Windows Azure Service Management API"),
        ),
        (
            "AdditionalFields",
            json!({"ConditionalAccessStatus": "notApplied", "RiskLevelDuringSignIn": "none",
                   "RiskLevelAggregated": "none", "RiskState": "none"}),
        ),
    ])
}

#[test]
fn non_interactive_real_record_and_a_failure() {
    let record = sample_line(NON_INTERACTIVE, 1);
    assert_row(&row_of(&record), &non_interactive(), "non-interactive");
    let mut failed = record;
    failed["resultType"] = json!("50126");
    failed["resultDescription"] = json!("Invalid username or password.");
    let expected = with(
        &non_interactive(),
        &[
            ("EventResult", json!("Failure")),
            ("EventResultDetails", json!("No such user or password")),
            (
                "EventOriginalResultDetails",
                json!("Invalid username or password."),
            ),
        ],
    );
    assert_row(&row_of(&failed), &expected, "non-interactive 50126");
}

// ---------------------------------------------------------------------------------------------
// AADServicePrincipalSignInLogs (ASimAuthenticationAADServicePrincipalSignInLogs.yaml 0.2.1)

const SERVICE_PRINCIPAL: &str = "elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-service-principal.log";

fn service_principal_failed() -> Row {
    expect(&[
        ("TimeGenerated", json!("2021-07-30T11:29:26.673366Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2021-07-30T11:29:26.673366Z")),
        ("EventEndTime", json!("2021-07-30T11:29:26.673366Z")),
        ("EventType", json!("Logon")),
        ("EventResult", json!("Failure")),
        ("EventResultDetails", json!("Session expired")),
        (
            "EventOriginalResultDetails",
            json!("7000222 - The provided client secret keys are expired"),
        ),
        ("EventSeverity", json!("Low")),
        ("EventProduct", json!("AAD")),
        ("EventProductVersion", json!("1.0")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.3")),
        (
            "EventOriginalUid",
            json!("22222222-5ec0-4795-bf9f-9017bcc32f00"),
        ),
        ("LogonMethod", json!("Service Principal")),
        ("SrcIpAddr", json!("11.22.33.44")),
        ("SrcGeoCity", json!("Hannover")),
        // SrcGeoCountry = Location, the record's top-level location.
        ("SrcGeoCountry", json!("DE")),
        ("SrcGeoRegion", json!("Niedersachsen")),
        ("SrcGeoLatitude", json!(50.12345678912345)),
        ("SrcGeoLongitude", json!(9.123456789012345)),
        (
            "TargetSessionId",
            json!("22222222-ece3-41ca-8e0d-1f1e1d8ac81a"),
        ),
        (
            "TargetUserId",
            json!("22222222-4677-43b4-a1dc-ecb3230e9350"),
        ),
        ("TargetUserIdType", json!("AADID")),
        (
            "TargetUsername",
            json!("ConfigMgrSvc_22222222-dfb4-4070-ad95-cf1e68280bb0"),
        ),
        ("TargetUsernameType", json!("Simple")),
        ("TargetUserType", json!("Service")),
        ("TargetAppId", json!("22222222-c916-4293-8373-d584996f60ae")),
        ("TargetAppName", json!("Configuration Manager Microservice")),
        ("TargetAppType", json!("Resource")),
        ("ActingAppId", json!("22222222-ddf2-4ab6-b25f-f23d5d614338")),
    ])
}

#[test]
fn service_principal_real_failure_and_every_lookup_branch() {
    let record = sample_line(SERVICE_PRINCIPAL, 1);
    assert_row(&row_of(&record), &service_principal_failed(), "7000222");
    let cases = [
        // Success: the lookup's EventOriginalResultDetails is empty, so it takes EventType.
        (
            "0",
            vec![
                ("EventResult", json!("Success")),
                ("EventResultDetails", Value::Null),
                ("EventOriginalResultDetails", json!("Logon")),
                ("EventSeverity", json!("Informational")),
            ],
        ),
        // 'Transient error' is sent as 'Other' (a declared deviation).
        (
            "90024",
            vec![
                ("EventResultDetails", json!("Other")),
                (
                    "EventOriginalResultDetails",
                    json!("90024 - RequestBudgetExceededError - A transient error has occurred"),
                ),
                ("EventSeverity", json!("Informational")),
            ],
        ),
        (
            "50061",
            vec![
                ("EventType", json!("Logoff")),
                ("EventResultDetails", Value::Null),
                ("EventOriginalResultDetails", json!("50061 - SignoutInvalidRequest")),
            ],
        ),
        (
            "700027",
            vec![
                ("EventResultDetails", json!("Incorrect key")),
                (
                    "EventOriginalResultDetails",
                    json!("700027 - The certificate with identifier used to sign the client assertion is not registered on application"),
                ),
            ],
        ),
        // A code the lookup does not know: the defaults, and nothing original.
        (
            "12345",
            vec![
                ("EventResultDetails", Value::Null),
                ("EventOriginalResultDetails", Value::Null),
            ],
        ),
    ];
    for (code, changes) in cases {
        let mut r = record.clone();
        r["resultType"] = json!(code);
        assert_row(
            &row_of(&r),
            &with(&service_principal_failed(), &changes),
            code,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// AADManagedIdentitySignInLogs (ASimAuthenticationAADManagedIdentity.yaml 0.2.3)

#[test]
fn managed_identity_real_record() {
    let record = sample_line(
        "elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_test-managed-identity.log",
        1,
    );
    let expected = expect(&[
        ("TimeGenerated", json!("2021-01-23T20:44:29.768898Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2021-01-23T20:44:29.768898Z")),
        ("EventEndTime", json!("2021-01-23T20:44:29.768898Z")),
        ("EventType", json!("Logon")),
        ("EventResult", json!("Success")),
        ("EventOriginalResultDetails", json!("Logon")),
        ("EventSeverity", json!("Informational")),
        ("EventProduct", json!("AAD")),
        ("EventProductVersion", json!("1.0")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.3")),
        (
            "EventOriginalUid",
            json!("22222222-0b57-4b77-bf1a-317a88591a00"),
        ),
        ("LogonMethod", json!("Managed Identity")),
        // ipAddress "" is empty; the parser drops Location*, so no geography.
        (
            "TargetSessionId",
            json!("22222222-92d0-4887-9ead-46258539a699"),
        ),
        (
            "TargetUserId",
            json!("22222222-864d-4e00-9882-ff649530f186"),
        ),
        ("TargetUserIdType", json!("AADID")),
        (
            "TargetUsername",
            json!("ASC provisioning Dependency agent for Linux"),
        ),
        ("TargetUsernameType", json!("Simple")),
        ("TargetUserType", json!("Service")),
        ("TargetAppId", json!("22222222-ba00-4fd7-ba43-dac1f8f63013")),
        (
            "TargetAppName",
            json!("Windows Azure Service Management API"),
        ),
        ("TargetAppType", json!("Resource")),
        ("ActingAppId", json!("22222222-b540-4792-a2a2-81818990a95b")),
    ]);
    assert_row(&row_of(&record), &expected, "managed identity");
}

// ---------------------------------------------------------------------------------------------
// AuditLogs (ASimAuditEventMicrosoftEntraIDAuditLogs.yaml 0.1.0)

fn audit_record() -> Value {
    let v: Value = serde_json::from_slice(&sample(
        "elastic_beats__x-pack_filebeat_module_azure_auditlogs_test_audit_log.json",
    ))
    .unwrap();
    v["records"][0].clone()
}

fn audit_add_user() -> Row {
    let id = "2a7e2503-d7e2-405a-a84c-c333b9f7cb73";
    expect(&[
        ("TimeGenerated", json!("2019-10-04T16:36:19.035977Z")),
        ("EventCount", json!(1)),
        ("EventStartTime", json!("2019-10-04T16:36:19.035977Z")),
        ("EventEndTime", json!("2019-10-04T16:36:19.035977Z")),
        ("EventType", json!("Create")),
        ("EventResult", json!("Success")),
        // ResultReason "" is empty.
        ("EventSeverity", json!("Informational")),
        ("EventProduct", json!("Azure")),
        ("EventVendor", json!("Microsoft")),
        ("EventSchemaVersion", json!("0.1.2")),
        ("EventOriginalUid", json!("Directory_T2a7e2503-d7e2")),
        ("EventOriginalType", json!("Add user")),
        ("Operation", json!("Add user")),
        // TargetResources[0].displayName is null.
        ("ObjectId", json!(id)),
        ("ObjectType", json!("Directory Service Object")),
        ("OriginalObjectType", json!("User")),
        ("OldValue", json!("[]")),
        ("NewValue", json!("[true]")),
        ("ActorUsername", json!("admin@elastic365.onmicrosoft.com")),
        ("ActorUsernameType", json!("UPN")),
        ("ActorUserId", json!(id)),
        ("ActorUserIdType", json!("AADID")),
        ("ActorUserType", json!("Regular")),
        ("ActorUserAadId", json!(id)),
        ("ActorScope", json!("Microsoft Entra ID")),
        ("ActorScopeId", json!(id)),
        ("ActorSessionId", json!(id)),
        ("TargetAppName", json!("Core Directory")),
        ("TargetAppType", json!("SaaS application")),
        (
            "AdditionalFields",
            json!({"Category": "UserManagement", "AdditionalDetails": []}),
        ),
    ])
}

#[test]
fn audit_real_record() {
    assert_row(
        &row_of(&audit_record()),
        &audit_add_user(),
        "audit_log.json",
    );
}

#[test]
fn audit_failure_by_an_application_on_a_service_principal() {
    let mut record = audit_record();
    let p = &mut record["properties"];
    p["result"] = json!("failure");
    p["resultReason"] = json!("Insufficient privileges");
    p["operationType"] = json!("Update");
    p["initiatedBy"] =
        json!({"app": {"displayName": "Graph Explorer", "servicePrincipalId": "sp-7"}});
    p["targetResources"][0]["type"] = json!("ServicePrincipal");
    p["targetResources"][0]["displayName"] = json!("ConfigMgrSvc");
    let expected = with(
        &audit_add_user(),
        &[
            ("EventType", json!("Set")),
            ("EventResult", json!("Failure")),
            (
                "EventOriginalResultDetails",
                json!("Insufficient privileges"),
            ),
            ("EventSeverity", json!("Low")),
            ("Object", json!("ConfigMgrSvc")),
            // 'Cloud Resource' is sent as 'Other' (a declared deviation).
            ("ObjectType", json!("Other")),
            ("OriginalObjectType", json!("ServicePrincipal")),
            ("ActorUsername", json!("Graph Explorer")),
            ("ActorUsernameType", json!("Simple")),
            ("ActorUserId", json!("sp-7")),
            ("ActorUserAadId", json!("sp-7")),
            ("ActorUserType", json!("Application")),
        ],
    );
    assert_row(&row_of(&record), &expected, "app failure");
    // Neither success nor failure, no operation type, no target, nobody: the parser's defaults.
    let p = &mut record["properties"];
    p["result"] = json!("timeout");
    p.as_object_mut().unwrap().remove("operationType");
    p["targetResources"] = json!([]);
    p["initiatedBy"] = json!({});
    let expected = with(
        &expected,
        &[
            ("EventType", json!("Other")),
            ("EventResult", json!("NA")),
            ("EventSeverity", json!("Informational")),
            ("Object", Value::Null),
            ("ObjectId", Value::Null),
            ("ObjectType", json!("Other")),
            ("OriginalObjectType", Value::Null),
            ("OldValue", Value::Null),
            ("NewValue", Value::Null),
            ("ActorUsername", Value::Null),
            ("ActorUsernameType", Value::Null),
            ("ActorUserId", Value::Null),
            ("ActorUserIdType", Value::Null),
            ("ActorUserAadId", Value::Null),
            ("ActorUserType", Value::Null),
        ],
    );
    assert_row(&row_of(&record), &expected, "defaults");
}

// ---------------------------------------------------------------------------------------------
// Microsoft's ASIM rules over every sample.

struct Rule {
    column: String,
    column_type: String,
    class: String,
    logical_type: String,
    values: Vec<String>,
}

fn rules(schema: AsimSchema) -> Vec<Rule> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("asim/ASimTester.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ColumnName,ColumnType,Class,Schema,LogicalType,ListOfValues,Aliased")
    );
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[3] == schema.name())
        .map(|f| Rule {
            column: f[0].into(),
            column_type: f[1].into(),
            class: f[2].into(),
            logical_type: f[4].into(),
            values: f[5]
                .split('|')
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect(),
        })
        .collect()
}

/// Mandatory columns neither the ASIM table has (Azure Monitor table reference,
/// `asimauthenticationeventlogs-include.md` / `asimauditeventlogs-include.md`) nor the native
/// parser derives: no row sent through the Logs Ingestion API can carry them.
const NOT_IN_TABLE: &[(&str, &str)] = &[
    ("Authentication", "Dvc"),
    ("AuditEvent", "Dvc"),
    ("AuditEvent", "EventSchema"),
];

/// The row as Sentinel reads it through the native parser (`ASimAuthenticationNative.yaml`
/// 0.1.1 at 009d9cc6, `ASimAuditEventNative.yaml` 0.1.1 at 0fd1942d): the table's columns,
/// `Type`, and the parser's aliases.
fn as_read(schema: AsimSchema, row: &Row) -> Row {
    let mut r = row.clone();
    let get = |k: &str| row.get(k).cloned();
    let first = |ks: &[&str]| ks.iter().find_map(|k| get(k));
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            r.insert(k.to_string(), v);
        }
    };
    put("Type", Some(json!(schema.table())));
    match schema {
        AsimSchema::Authentication => {
            put("User", get("TargetUsername"));
            put("Src", first(&["SrcDvcId", "SrcHostname", "SrcIpAddr"]));
            put("IpAddr", get("SrcIpAddr"));
            put(
                "LogonTarget",
                first(&["TargetAppName", "TargetUrl", "TargetHostname"]),
            );
            put(
                "Dst",
                first(&[
                    "TargetHostname",
                    "TargetIpAddr",
                    "TargetAppId",
                    "TargetAppName",
                ]),
            );
            put("EventStartTime", get("TimeGenerated"));
            put("EventSchema", Some(json!("Authentication")));
        }
        AsimSchema::AuditEvent => {
            put("Value", get("NewValue"));
            put("User", get("ActorUsername"));
            put("Application", get("TargetAppName"));
            put(
                "Dst",
                first(&[
                    "TargetDvcId",
                    "TargetHostname",
                    "TargetIpAddr",
                    "TargetAppId",
                    "TargetAppName",
                ]),
            );
        }
    }
    r
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() => "int",
        Value::Number(_) => "real",
        Value::Bool(_) => "bool",
        _ => "dynamic",
    }
}

/// Every violation of the rules by one row read as Sentinel reads it.
fn violations(schema: AsimSchema, rules: &[Rule], row: &Row) -> Vec<String> {
    let mut out = Vec::new();
    for rule in rules {
        let value = row.get(&rule.column);
        let excused = NOT_IN_TABLE.contains(&(schema.name(), rule.column.as_str()));
        if rule.class == "Mandatory" && value.is_none() && !excused {
            out.push(format!("mandatory {} is empty", rule.column));
        }
        let Some(value) = value else { continue };
        // The declared type of what we send (times are rendered as text here).
        if let Some(t) = schema.column_type(&rule.column) {
            if t.la_name() != rule.column_type {
                out.push(format!(
                    "{} is {}, the rules say {}",
                    rule.column,
                    t.la_name(),
                    rule.column_type
                ));
            }
        } else if json_type(value) != rule.column_type {
            out.push(format!(
                "{} is {}, the rules say {}",
                rule.column,
                json_type(value),
                rule.column_type
            ));
        }
        let text = value.as_str();
        if !rule.values.is_empty() && !text.is_some_and(|t| rule.values.iter().any(|v| v == t)) {
            out.push(format!(
                "{} = {value} is not one of {}",
                rule.column,
                rule.values.join("|")
            ));
        }
        match (rule.logical_type.as_str(), text) {
            ("IP Address", Some(t)) if t.parse::<std::net::IpAddr>().is_err() => {
                out.push(format!("{} = {t} is not an IP address", rule.column))
            }
            ("SchemaVersion", Some(t))
                if t.split('.').count() < 2
                    || !t
                        .split('.')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
            {
                out.push(format!("{} = {t} is not a schema version", rule.column))
            }
            _ => {}
        }
    }
    out
}

/// Every sample file, as the messages a file source reads from it.
fn every_sample_message() -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut messages = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        if f.extension().is_some_and(|e| e == "json") {
            messages.push(bytes);
        } else {
            messages.extend(
                bytes
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .map(<[u8]>::to_vec),
            );
        }
    }
    messages
}

#[test]
fn every_asim_row_from_every_sample_passes_the_asim_rules() {
    let messages = every_sample_message();
    let mut source_rows: HashMap<String, usize> = HashMap::new();
    for (table, batch) in normalize_messages(&messages) {
        if mapping_for(&table).is_some() {
            *source_rows.entry(table).or_default() += batch.num_rows();
        }
    }
    let rows = asim_rows(&messages);
    let mut per_table: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    for schema in AsimSchema::ALL {
        let rules = rules(schema);
        // Every column we send that the rules know has their type (the table has columns the
        // rules do not list, e.g. ActingOriginalAppType).
        for (column, t) in schema.columns() {
            if let Some(rule) = rules.iter().find(|r| r.column == *column) {
                assert_eq!(t.la_name(), rule.column_type, "{column}");
            }
        }
        // The excused mandatory columns are exactly those the table cannot hold.
        for (s, c) in NOT_IN_TABLE.iter().filter(|(s, _)| *s == schema.name()) {
            assert!(
                schema.column_type(c).is_none(),
                "{s}.{c} is sent; do not excuse it"
            );
            assert!(rules
                .iter()
                .any(|r| r.column == *c && r.class == "Mandatory"));
        }
        for (s, table, row) in rows.iter().filter(|(s, _, _)| *s == schema) {
            *per_table.entry(table.clone()).or_default() += 1;
            for v in violations(*s, &rules, &as_read(*s, row)) {
                failures.push(format!(
                    "{table} {}: {v}",
                    row.get("EventOriginalUid").unwrap_or(&Value::Null)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(per_table, source_rows, "one ASIM row per source row");
    for table in [
        "SigninLogs",
        "AADNonInteractiveUserSignInLogs",
        "AADServicePrincipalSignInLogs",
        "AADManagedIdentitySignInLogs",
        "AuditLogs",
    ] {
        assert!(
            per_table.get(table).copied().unwrap_or(0) > 0,
            "no sample of {table}"
        );
    }
}

#[test]
fn the_checker_finds_what_it_should() {
    // A row that breaks each kind of rule, so that the test above can fail.
    let rules = rules(AsimSchema::Authentication);
    let row = expect(&[
        ("EventResult", json!("Maybe")),
        ("SrcIpAddr", json!("not-an-ip")),
        ("EventSchemaVersion", json!("v1")),
    ]);
    let found = violations(AsimSchema::Authentication, &rules, &row);
    for needle in [
        "mandatory EventProduct is empty",
        "EventResult = \"Maybe\" is not one of Success|Failure|Partial|NA",
        "SrcIpAddr = not-an-ip is not an IP address",
        "EventSchemaVersion = v1 is not a schema version",
    ] {
        assert!(
            found.iter().any(|f| f == needle),
            "{needle} not in {found:?}"
        );
    }
    assert!(!found.iter().any(|f| f.contains("Dvc")), "{found:?}");
}

#[test]
fn every_mapping_reads_columns_its_table_has_and_fills_columns_the_schema_has() {
    // And the schema declares only columns some mapping fills.
    for schema in AsimSchema::ALL {
        for (column, _) in schema.columns() {
            assert!(
                asim::MAPPINGS
                    .iter()
                    .any(|m| m.schema == schema && m.expr(column).is_some()),
                "{}: no mapping fills {column}",
                schema.name()
            );
        }
    }
    for m in asim::MAPPINGS {
        let table = Catalogue::get().by_name(m.source_table).unwrap();
        for (column, expr) in m.fields {
            assert!(
                m.schema.column_type(column).is_some(),
                "{}: {column}",
                m.source_table
            );
            let mut cols = Vec::new();
            collect_columns(expr, &mut cols);
            for c in cols {
                assert!(
                    table.column_index(c).is_some(),
                    "{}: {column} reads {c}",
                    m.source_table
                );
            }
        }
        for d in m.deviations {
            for c in d.column.split(", ") {
                assert!(
                    m.schema.column_type(c).is_some(),
                    "{}: deviation on {c}",
                    m.source_table
                );
            }
        }
    }
}

fn collect_columns(e: &asim::Expr, out: &mut Vec<&'static str>) {
    use asim::{Cond, Expr};
    match e {
        Expr::Const(_) => {}
        Expr::Col(c) | Expr::Path(c, _) => out.push(c),
        Expr::Coalesce(all) => all.iter().for_each(|e| collect_columns(e, out)),
        Expr::Lookup(k, _, _) => collect_columns(k, out),
        Expr::Iff(cond, a, b) => {
            match cond {
                Cond::Eq(x, _) | Cond::Empty(x) | Cond::Contains(x, _) => collect_columns(x, out),
            }
            collect_columns(a, out);
            collect_columns(b, out);
        }
        Expr::Bag(entries) => entries.iter().for_each(|(_, e)| collect_columns(e, out)),
    }
}
