//! Lossless property: for generated records (with a large share of quirks) and for every real
//! sample, each leaf value of the input record is found in its row, either in a typed column or
//! inside `AdditionalFields`. Nulls carry no value and are not required to survive.

use std::collections::{BTreeMap, HashSet};

use aad_ingest::generate::{generate, GenerateOptions};
use aad_schemas::time::parse_timestamp;
use aad_schemas::{BatchSet, Catalogue, Decoder, MessageContext, Normalizer, SchemaOptions};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use simd_json::prelude::*;
use simd_json::OwnedValue;

use aad_tests::samples_dir;

/// A value, in the form it is looked up by.
fn key_str(s: &str) -> String {
    format!("s:{s}")
}

fn collect_json(text: &str, found: &mut HashSet<String>) {
    let mut bytes = text.as_bytes().to_vec();
    if let Ok(v) = simd_json::to_owned_value(&mut bytes) {
        leaves(&v, &mut |leaf| {
            found.insert(leaf_key(leaf));
        });
    }
}

fn leaf_key(v: &OwnedValue) -> String {
    if let Some(s) = v.as_str() {
        key_str(s)
    } else if let Some(b) = v.as_bool() {
        key_str(if b { "true" } else { "false" })
    } else if let Some(i) = v.as_i64() {
        format!("n:{i}")
    } else if let Some(u) = v.as_u64() {
        format!("n:{u}")
    } else if let Some(f) = v.as_f64() {
        format!("f:{f}")
    } else {
        "null".into()
    }
}

fn leaves<'a>(v: &'a OwnedValue, f: &mut dyn FnMut(&'a OwnedValue)) {
    if let Some(a) = v.as_array() {
        a.iter().for_each(|x| leaves(x, f));
    } else if let Some(o) = v.as_object() {
        o.values().for_each(|x| leaves(x, f));
    } else {
        f(v);
    }
}

/// Every value a row holds, as lookup keys.
fn row_values(batch: &RecordBatch, row: usize, table: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    let t = Catalogue::get().by_name(table).unwrap();
    found.extend(t.categories.iter().map(|c| key_str(c)));
    for col in batch.columns() {
        if col.is_null(row) {
            continue;
        }
        match col.data_type() {
            DataType::Utf8 => {
                let s = col.as_string::<i32>().value(row);
                found.insert(key_str(s));
                if s.starts_with(['{', '[', '"']) {
                    collect_json(s, &mut found);
                }
            }
            DataType::Int64 => {
                found.insert(format!("n:{}", col.as_primitive::<Int64Type>().value(row)));
            }
            DataType::Int32 => {
                found.insert(format!("n:{}", col.as_primitive::<Int32Type>().value(row)));
            }
            DataType::Float64 => {
                found.insert(format!(
                    "f:{}",
                    col.as_primitive::<Float64Type>().value(row)
                ));
            }
            DataType::Boolean => {
                found.insert(key_str(if col.as_boolean().value(row) {
                    "true"
                } else {
                    "false"
                }));
            }
            DataType::Timestamp(_, _) => {
                found.insert(format!(
                    "t:{}",
                    col.as_primitive::<TimestampMicrosecondType>().value(row)
                ));
            }
            other => panic!("unexpected column type {other}"),
        }
    }
    found
}

/// Whether the input leaf `v` is among the row's values, allowing for coercion into the column
/// type (a time string into a timestamp, a number string into a number, a number into text).
fn is_found(v: &OwnedValue, found: &HashSet<String>) -> bool {
    if found.contains(&leaf_key(v)) {
        return true;
    }
    if let Some(s) = v.as_str() {
        if let Some(t) = parse_timestamp(s) {
            if found.contains(&format!("t:{}", t.div_euclid(1000))) {
                return true;
            }
        }
        if let Ok(n) = s.trim().parse::<i64>() {
            return found.contains(&format!("n:{n}"));
        }
        return false;
    }
    // A number or bool kept as text in a string column (Level 4 -> "4").
    let text = if let Some(i) = v.as_i64() {
        i.to_string()
    } else if let Some(u) = v.as_u64() {
        u.to_string()
    } else if let Some(f) = v.as_f64() {
        f.to_string()
    } else {
        return false;
    };
    found.contains(&key_str(&text))
}

/// Normalize `messages` (one per line) and check every record's leaves against its row.
fn assert_lossless(messages: &[Vec<u8>]) -> usize {
    let mut decoder = Decoder::default();
    let mut normalizer = Normalizer::new(SchemaOptions::default());
    let mut set = BatchSet::new(SchemaOptions::default());
    let mut rejected = Vec::new();
    let mut records: BTreeMap<(i64, i32), OwnedValue> = BTreeMap::new();
    for (i, m) in messages.iter().enumerate() {
        let ctx = MessageContext {
            source: "test",
            partition: None,
            sequence: i as i64,
            enqueued: None,
        };
        decoder.message(m, &ctx, &mut normalizer, &mut set, &mut rejected);
        let mut copy = m.clone();
        let Ok(v) = simd_json::to_owned_value(&mut copy) else {
            continue;
        };
        let list: Vec<OwnedValue> = match v.get("records").and_then(|r| r.as_array()) {
            Some(a) if v.get("category").is_none() => a.clone(),
            _ => match v.as_array() {
                Some(a) => a.clone(),
                None => vec![v.clone()],
            },
        };
        for (ri, r) in list.into_iter().enumerate() {
            records.insert((i as i64, ri as i32), r);
        }
    }
    let mut checked = 0;
    let mut rows = 0;
    for (table, _, batch) in set.finish() {
        let name = Catalogue::get().table(table).name;
        let seq = batch
            .column_by_name("_SequenceNumber")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let idx = batch
            .column_by_name("_RecordIndex")
            .unwrap()
            .as_primitive::<Int32Type>()
            .clone();
        for row in 0..batch.num_rows() {
            rows += 1;
            let record = &records[&(seq.value(row), idx.value(row))];
            let found = row_values(&batch, row, name);
            leaves(record, &mut |leaf| {
                if leaf.is_null() {
                    return;
                }
                checked += 1;
                assert!(
                    is_found(leaf, &found),
                    "{name}: value {leaf:?} of record {}:{} is neither in a column nor in AdditionalFields",
                    seq.value(row),
                    idx.value(row)
                );
            });
        }
    }
    assert_eq!(rows, records.len(), "one row per record");
    checked
}

#[test]
fn generated_records_with_quirks_lose_no_value() {
    let mut out = Vec::new();
    let opts = GenerateOptions {
        records: 3000,
        seed: 42,
        quirk_share: 0.5,
        records_per_message: 50,
        ..Default::default()
    };
    generate(&opts, &mut out).unwrap();
    let messages: Vec<Vec<u8>> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let leaves = assert_lossless(&messages);
    assert!(leaves > 3000 * 20, "checked only {leaves} leaves");
}

#[test]
fn real_samples_lose_no_value() {
    let mut messages = Vec::new();
    for e in std::fs::read_dir(samples_dir()).unwrap() {
        let text = std::fs::read(e.unwrap().path()).unwrap();
        let mut whole = text.clone();
        if simd_json::to_owned_value(&mut whole).is_ok() {
            messages.push(text);
        } else {
            messages.extend(
                text.split(|&b| b == b'\n')
                    .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .map(<[u8]>::to_vec),
            );
        }
    }
    let leaves = assert_lossless(&messages);
    assert!(leaves > 4000, "checked only {leaves} leaves");
}

/// Valid JSON that simd-json refuses becomes rows through `convert`, with the refused value
/// kept as sent, and the report counts the message.
#[test]
fn convert_keeps_values_simd_json_refuses_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big-numbers.ndjson");
    std::fs::write(
        &input,
        "{\"time\":\"2026-11-01T10:00:00Z\",\"category\":\"AuditLogs\",\"properties\":{\"id\":\"a\",\"x\":123456789012345678901234567890}}\n\
         {\"time\":\"2026-11-01T10:00:00Z\",\"category\":\"AuditLogs\",\"properties\":{\"id\":\"b\"}}\n",
    )
    .unwrap();
    let lake = dir.path().join("lake");
    let (ok, stdout, stderr) = aad_tests::run_cli(
        &[
            "convert",
            input.to_str().unwrap(),
            "--out",
            lake.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("(messages on the slower path)") && l.contains(" 1 ")),
        "{stdout}"
    );
    let dead = stdout
        .lines()
        .find_map(|l| l.strip_prefix("(dead letters)"))
        .map(str::trim);
    assert_eq!(dead, Some("0"), "{stdout}");
    let rows = aad_tests::duckdb(&format!(
        "SELECT AdditionalFields AS a FROM read_parquet('{}/table=AuditLogs/**/*.parquet') WHERE Id = 'a'",
        lake.display()
    ));
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]["a"]
            .as_deref()
            .unwrap()
            .contains("123456789012345678901234567890"),
        "{rows:?}"
    );
}
