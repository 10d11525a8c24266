//! Rows → JSON bodies for the Logs Ingestion API.
//!
//! A row becomes one JSON object whose keys are the stream's column names
//! ([`aad_schemas::loganalytics::stream_columns`]); a null value (and a non-finite `real`) is
//! left out rather than sent as `null`. Values:
//! - `datetime` → an ISO 8601 UTC string with as many fraction digits as the Arrow unit holds,
//!   at most 7 (Log Analytics keeps 100-ns ticks): `…T10:00:00.123456Z` from µs,
//!   `…T10:00:00.1234567Z` from ns;
//! - `dynamic` → the column's JSON text embedded as a JSON value (it is valid JSON: the
//!   normalizer wrote it);
//! - `string` / `guid` → JSON strings; `int` / `long` / `real` → numbers; `bool` → `true`/`false`.
//!
//! Value size (the service truncates field values over 64 KB; we do it ourselves so the result
//! is predictable and counted): a `string`/`guid` value over [`MAX_VALUE_BYTES`] bytes of UTF-8
//! is cut at the last character boundary at or below that size; a `dynamic` value whose JSON
//! text is over it is sent as a JSON *string* holding the first ≤ [`MAX_VALUE_BYTES`] bytes of
//! that text, cut on a character boundary. Sizes are of the value itself, before JSON escaping.
//! Each such value counts as one truncated value; the lake keeps the full value.
//!
//! A body is a JSON array of rows of one (table, hour) batch, a contiguous run in batch order,
//! at most `max_request_bytes` long uncompressed (brackets and commas included); it keeps each
//! row's bytes and position so that it can be split in half when the service refuses it.

use std::io::Write;

use aad_schemas::json::write_str;
use aad_schemas::loganalytics::StreamColumn;
use aad_schemas::time::civil_from_days;
use aad_schemas::{LaType, TableId};
use anyhow::{bail, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, PrimitiveArray, RecordBatch,
    StringArray,
};
use arrow_schema::{DataType, TimeUnit};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::destination::Position;

/// Longest field value Log Analytics keeps (64 KB); longer ones are truncated.
pub const MAX_VALUE_BYTES: usize = 65_536;

/// The longest prefix of `s` that is at most `max` bytes and ends on a character boundary.
pub fn cut_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A stream column's key, rendered once: `"Name":`.
#[derive(Debug, Clone)]
pub struct ColumnKey {
    key: Vec<u8>,
    la_type: LaType,
    arrow_index: usize,
}

/// The rendered keys of a stream's columns.
pub fn column_keys(columns: &[StreamColumn]) -> Vec<ColumnKey> {
    columns
        .iter()
        .map(|c| {
            let mut key = Vec::with_capacity(c.name.len() + 3);
            write_str(&c.name, &mut key);
            key.push(b':');
            ColumnKey {
                key,
                la_type: c.la_type,
                arrow_index: c.arrow_index,
            }
        })
        .collect()
}

enum Reader<'a> {
    Str(&'a StringArray),
    Dynamic(&'a StringArray),
    TimeS(&'a PrimitiveArray<TimestampSecondType>),
    TimeMs(&'a PrimitiveArray<TimestampMillisecondType>),
    TimeUs(&'a PrimitiveArray<TimestampMicrosecondType>),
    TimeNs(&'a PrimitiveArray<TimestampNanosecondType>),
    Int(&'a Int32Array),
    Long(&'a Int64Array),
    Real(&'a Float64Array),
    Bool(&'a BooleanArray),
}

struct Field<'a> {
    key: &'a [u8],
    reader: Reader<'a>,
    array: &'a dyn Array,
}

/// Encodes the rows of one batch as JSON objects.
pub struct RowEncoder<'a> {
    fields: Vec<Field<'a>>,
}

impl<'a> RowEncoder<'a> {
    /// Bind a stream's columns to a batch's Arrow columns; fails when a column is missing or
    /// of a type the column's Log Analytics type does not come from.
    pub fn new(keys: &'a [ColumnKey], batch: &'a RecordBatch) -> Result<Self> {
        let mut fields = Vec::with_capacity(keys.len());
        for k in keys {
            let name = String::from_utf8_lossy(&k.key);
            let Some(array) = batch.columns().get(k.arrow_index) else {
                bail!(
                    "batch has {} columns; stream column {name} reads column {}",
                    batch.num_columns(),
                    k.arrow_index
                );
            };
            let array: &dyn Array = array.as_ref();
            let reader = match (k.la_type, array.data_type()) {
                (LaType::String | LaType::Guid, DataType::Utf8) => {
                    Reader::Str(array.as_string::<i32>())
                }
                (LaType::Dynamic, DataType::Utf8) => Reader::Dynamic(array.as_string::<i32>()),
                (LaType::Datetime, DataType::Timestamp(TimeUnit::Second, _)) => {
                    Reader::TimeS(array.as_primitive())
                }
                (LaType::Datetime, DataType::Timestamp(TimeUnit::Millisecond, _)) => {
                    Reader::TimeMs(array.as_primitive())
                }
                (LaType::Datetime, DataType::Timestamp(TimeUnit::Microsecond, _)) => {
                    Reader::TimeUs(array.as_primitive())
                }
                (LaType::Datetime, DataType::Timestamp(TimeUnit::Nanosecond, _)) => {
                    Reader::TimeNs(array.as_primitive())
                }
                (LaType::Int, DataType::Int32) => Reader::Int(array.as_primitive()),
                (LaType::Long, DataType::Int64) => Reader::Long(array.as_primitive()),
                (LaType::Real, DataType::Float64) => Reader::Real(array.as_primitive()),
                (LaType::Bool, DataType::Boolean) => Reader::Bool(array.as_boolean()),
                (t, d) => bail!(
                    "stream column {name} is {} but its Arrow column is {d}",
                    t.la_name()
                ),
            };
            fields.push(Field {
                key: &k.key,
                reader,
                array,
            });
        }
        Ok(RowEncoder { fields })
    }

    /// Append row `row` as a JSON object to `out`; returns how many values were truncated.
    pub fn encode(&self, row: usize, out: &mut Vec<u8>) -> u64 {
        let mut truncated = 0;
        out.push(b'{');
        let mut first = true;
        for f in &self.fields {
            if f.array.is_null(row) {
                continue;
            }
            let mut key = |out: &mut Vec<u8>| {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                out.extend_from_slice(f.key);
            };
            match &f.reader {
                Reader::Str(a) => {
                    let v = a.value(row);
                    let cut = cut_utf8(v, MAX_VALUE_BYTES);
                    truncated += u64::from(cut.len() < v.len());
                    key(out);
                    write_str(cut, out);
                }
                Reader::Dynamic(a) => {
                    let v = a.value(row).trim();
                    if v.is_empty() {
                        continue;
                    }
                    key(out);
                    if v.len() > MAX_VALUE_BYTES {
                        truncated += 1;
                        write_str(cut_utf8(v, MAX_VALUE_BYTES), out);
                    } else {
                        out.extend_from_slice(v.as_bytes());
                    }
                }
                Reader::TimeS(a) => {
                    key(out);
                    write_time(a.value(row), 1, 0, out);
                }
                Reader::TimeMs(a) => {
                    key(out);
                    write_time(a.value(row), 1_000, 3, out);
                }
                Reader::TimeUs(a) => {
                    key(out);
                    write_time(a.value(row), 1_000_000, 6, out);
                }
                Reader::TimeNs(a) => {
                    key(out);
                    write_time(a.value(row), 1_000_000_000, 7, out);
                }
                Reader::Int(a) => {
                    key(out);
                    out.extend_from_slice(itoa::Buffer::new().format(a.value(row)).as_bytes());
                }
                Reader::Long(a) => {
                    key(out);
                    out.extend_from_slice(itoa::Buffer::new().format(a.value(row)).as_bytes());
                }
                Reader::Real(a) => {
                    let v = a.value(row);
                    if !v.is_finite() {
                        continue;
                    }
                    key(out);
                    serde_json::to_writer(&mut *out, &v).expect("writing to a Vec");
                }
                Reader::Bool(a) => {
                    key(out);
                    out.extend_from_slice(if a.value(row) { b"true" } else { b"false" });
                }
            }
        }
        out.push(b'}');
        truncated
    }
}

/// `"YYYY-MM-DDTHH:MM:SS[.f…]Z"` of `value` ticks of `1/per_second` s, with `digits` fraction
/// digits (at most 7: finer ticks are cut to 100 ns).
fn write_time(value: i64, per_second: i64, digits: u32, out: &mut Vec<u8>) {
    let secs = value.div_euclid(per_second);
    let ticks = value.rem_euclid(per_second);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    out.push(b'"');
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if digits > 0 {
        // Scale the ticks to `digits` digits: 10^digits units per second.
        let unit = 10i64.pow(digits);
        let frac = if per_second >= unit {
            ticks / (per_second / unit)
        } else {
            ticks * (unit / per_second)
        };
        let _ = write!(out, ".{frac:0width$}", width = digits as usize);
    }
    out.extend_from_slice(b"Z\"");
}

/// Rows of one (table, hour) batch on their way in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub table: TableId,
    pub hour: i64,
    /// The rows' JSON objects, back to back.
    data: Vec<u8>,
    /// End offset of each row in `data`.
    ends: Vec<usize>,
    positions: Vec<Position>,
}

impl Body {
    pub fn new(table: TableId, hour: i64) -> Self {
        Body {
            table,
            hour,
            data: Vec::new(),
            ends: Vec::new(),
            positions: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Length of the JSON array: brackets, rows and the commas between them.
    pub fn json_len(&self) -> usize {
        2 + self.data.len() + self.ends.len().saturating_sub(1)
    }

    pub fn first(&self) -> Position {
        self.positions[0]
    }

    pub fn last(&self) -> Position {
        *self.positions.last().expect("bodies are not empty")
    }

    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Row `i`'s JSON object.
    pub fn row(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Append a row (its JSON object).
    pub fn push(&mut self, position: Position, json: &[u8]) {
        self.data.extend_from_slice(json);
        self.ends.push(self.data.len());
        self.positions.push(position);
    }

    /// The JSON array, uncompressed.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.json_len());
        out.push(b'[');
        for i in 0..self.rows() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(self.row(i));
        }
        out.push(b']');
        out
    }

    /// The JSON array, gzip-compressed (fast level).
    pub fn gzip(&self) -> Vec<u8> {
        let mut gz = GzEncoder::new(
            Vec::with_capacity(self.json_len() / 4 + 64),
            Compression::fast(),
        );
        let write = |gz: &mut GzEncoder<Vec<u8>>| -> std::io::Result<()> {
            gz.write_all(b"[")?;
            for i in 0..self.rows() {
                if i > 0 {
                    gz.write_all(b",")?;
                }
                gz.write_all(self.row(i))?;
            }
            gz.write_all(b"]")
        };
        write(&mut gz).expect("writing to a Vec");
        gz.finish().expect("writing to a Vec")
    }

    /// Split a body of two rows or more into its first and second half.
    pub fn split(self) -> (Body, Body) {
        assert!(self.rows() >= 2, "a body of one row cannot be split");
        let mid = self.rows() / 2;
        let cut = self.ends[mid - 1];
        let mut left = self;
        let right = Body {
            table: left.table,
            hour: left.hour,
            data: left.data.split_off(cut),
            ends: left.ends.split_off(mid).iter().map(|e| e - cut).collect(),
            positions: left.positions.split_off(mid),
        };
        (left, right)
    }
}

/// What [`Packer::push`] did with a row.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The row joined the current body.
    Added,
    /// The row did not fit: here is the full body before it; the row starts the next one.
    Flushed(Body),
    /// The row alone is over the limit: its JSON, which no body holds.
    Oversize(Vec<u8>),
}

/// Packs a batch's rows into bodies of at most `max` bytes of JSON, in order.
pub struct Packer {
    max: usize,
    cur: Body,
}

impl Packer {
    pub fn new(table: TableId, hour: i64, max: usize) -> Self {
        Packer {
            max,
            cur: Body::new(table, hour),
        }
    }

    /// Add the row that `encode` appends to the buffer it is given.
    pub fn push(&mut self, position: Position, encode: impl FnOnce(&mut Vec<u8>)) -> Pushed {
        let start = self.cur.data.len();
        encode(&mut self.cur.data);
        let len = self.cur.data.len() - start;
        if len + 2 > self.max {
            return Pushed::Oversize(self.cur.data.split_off(start));
        }
        // With the row: the brackets, every row, and one comma per row before it.
        if 2 + self.cur.data.len() + self.cur.rows() <= self.max {
            self.cur.ends.push(self.cur.data.len());
            self.cur.positions.push(position);
            return Pushed::Added;
        }
        let row = self.cur.data.split_off(start);
        let mut next = Body::new(self.cur.table, self.cur.hour);
        next.push(position, &row);
        Pushed::Flushed(std::mem::replace(&mut self.cur, next))
    }

    /// End the current body here (the next row starts a new one); `None` when it is empty.
    pub fn take(&mut self) -> Option<Body> {
        let next = Body::new(self.cur.table, self.cur.hour);
        let body = std::mem::replace(&mut self.cur, next);
        (!body.is_empty()).then_some(body)
    }

    /// The last body, if it has rows.
    pub fn finish(self) -> Option<Body> {
        (!self.cur.is_empty()).then_some(self.cur)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aad_schemas::loganalytics::StreamColumn;
    use arrow_array::{ArrayRef, TimestampMicrosecondArray, TimestampNanosecondArray};
    use arrow_schema::{Field as ArrowField, Schema};

    use super::*;

    fn col(name: &str, la_type: LaType, arrow_index: usize) -> StreamColumn {
        StreamColumn {
            name: name.into(),
            la_type,
            arrow_index,
        }
    }

    fn encode_all(columns: &[StreamColumn], arrays: Vec<ArrayRef>) -> (Vec<String>, u64) {
        let fields: Vec<ArrowField> = arrays
            .iter()
            .enumerate()
            .map(|(i, a)| ArrowField::new(format!("c{i}"), a.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
        let keys = column_keys(columns);
        let enc = RowEncoder::new(&keys, &batch).unwrap();
        let mut truncated = 0;
        let rows = (0..batch.num_rows())
            .map(|r| {
                let mut out = Vec::new();
                truncated += enc.encode(r, &mut out);
                String::from_utf8(out).unwrap()
            })
            .collect();
        (rows, truncated)
    }

    #[test]
    fn every_type_encodes() {
        let columns = [
            col("S", LaType::String, 0),
            col("G", LaType::Guid, 1),
            col("D", LaType::Dynamic, 2),
            col("TimeGenerated", LaType::Datetime, 3),
            col("N", LaType::Datetime, 4),
            col("I", LaType::Int, 5),
            col("L", LaType::Long, 6),
            col("R", LaType::Real, 7),
            col("B", LaType::Bool, 8),
            col("OriginalTimeGenerated", LaType::Datetime, 3),
        ];
        let t = 1_793_527_200_123_456i64; // 2026-11-01T10:00:00.123456Z
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![Some("a\"b\n"), None, Some("")])),
            Arc::new(StringArray::from(vec![
                Some("5b9e8c2a-0000-4000-8000-000000000001"),
                None,
                None,
            ])),
            Arc::new(StringArray::from(vec![
                Some(r#"{"k":[1,"x"]}"#),
                Some("[]"),
                Some("\"just a string\""),
            ])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(t), None, Some(-1)]).with_timezone("UTC"),
            ),
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(t * 1000 + 789), Some(0), Some(-1)])
                    .with_timezone("UTC"),
            ),
            Arc::new(Int32Array::from(vec![Some(-7), None, Some(i32::MAX)])),
            Arc::new(Int64Array::from(vec![Some(i64::MIN), Some(0), None])),
            Arc::new(Float64Array::from(vec![
                Some(1.5),
                Some(f64::NAN),
                Some(f64::INFINITY),
            ])),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
        ];
        let (rows, truncated) = encode_all(&columns, arrays);
        assert_eq!(truncated, 0);
        assert_eq!(
            rows[0],
            r#"{"S":"a\"b\n","G":"5b9e8c2a-0000-4000-8000-000000000001","D":{"k":[1,"x"]},"TimeGenerated":"2026-11-01T10:00:00.123456Z","N":"2026-11-01T10:00:00.1234567Z","I":-7,"L":-9223372036854775808,"R":1.5,"B":true,"OriginalTimeGenerated":"2026-11-01T10:00:00.123456Z"}"#
        );
        assert_eq!(
            rows[1],
            r#"{"D":[],"N":"1970-01-01T00:00:00.0000000Z","L":0,"B":false}"#
        );
        assert_eq!(
            rows[2],
            r#"{"S":"","D":"just a string","TimeGenerated":"1969-12-31T23:59:59.999999Z","N":"1969-12-31T23:59:59.9999999Z","I":2147483647,"OriginalTimeGenerated":"1969-12-31T23:59:59.999999Z"}"#
        );
        for r in &rows {
            serde_json::from_str::<serde_json::Value>(r).unwrap();
        }
    }

    #[test]
    fn a_wrong_arrow_type_is_an_error() {
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![ArrowField::new(
                "x",
                DataType::Int64,
                true,
            )])),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        let keys = column_keys(&[col("X", LaType::String, 0)]);
        assert!(RowEncoder::new(&keys, &batch).is_err());
        let keys = column_keys(&[col("X", LaType::Long, 3)]);
        assert!(RowEncoder::new(&keys, &batch).is_err());
    }

    #[test]
    fn values_over_64_kb_are_cut_on_character_boundaries() {
        // 'é' is 2 bytes, '€' 3: put a multi-byte character across the limit.
        let fits = "a".repeat(MAX_VALUE_BYTES);
        let over_by_euro = format!("{}€", "a".repeat(MAX_VALUE_BYTES - 2)); // 65,537 bytes
        let over_by_e = format!("{}é", "a".repeat(MAX_VALUE_BYTES - 1)); // 65,537 bytes
        assert_eq!(cut_utf8(&fits, MAX_VALUE_BYTES).len(), MAX_VALUE_BYTES);
        assert_eq!(
            cut_utf8(&over_by_euro, MAX_VALUE_BYTES).len(),
            MAX_VALUE_BYTES - 2
        );
        assert_eq!(
            cut_utf8(&over_by_e, MAX_VALUE_BYTES).len(),
            MAX_VALUE_BYTES - 1
        );
        assert_eq!(cut_utf8("€€", 5), "€");
        assert_eq!(cut_utf8("€€", 6), "€€");
        assert_eq!(cut_utf8("€€", 2), "");

        let dynamic_big = format!("[\"{}\"]", "é".repeat(MAX_VALUE_BYTES / 2)); // 65,540 bytes
        let dynamic_fits = format!("[\"{}\"]", "a".repeat(MAX_VALUE_BYTES - 4));
        let columns = [col("S", LaType::String, 0), col("D", LaType::Dynamic, 1)];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![
                fits.as_str(),
                over_by_euro.as_str(),
                over_by_e.as_str(),
            ])),
            Arc::new(StringArray::from(vec![
                dynamic_fits.as_str(),
                dynamic_big.as_str(),
                "{}",
            ])),
        ];
        let (rows, truncated) = encode_all(&columns, arrays);
        assert_eq!(truncated, 3);
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        assert_eq!(values[0]["S"].as_str().unwrap(), fits);
        assert!(values[0]["D"].is_array(), "a dynamic that fits stays JSON");
        assert_eq!(values[1]["S"].as_str().unwrap().len(), MAX_VALUE_BYTES - 2);
        assert_eq!(values[2]["S"].as_str().unwrap().len(), MAX_VALUE_BYTES - 1);
        // `["` then 32,767 'é' (65,534 bytes) fit in 65,536; the next 'é' would not.
        let d = values[1]["D"].as_str().expect("a cut dynamic is a string");
        assert_eq!(d.len(), 2 + 2 * 32_767);
        assert!(dynamic_big.starts_with(d));
        assert_eq!(values[2]["D"], serde_json::json!({}));
    }

    #[test]
    fn bodies_split_and_render() {
        let mut body = Body::new(TableId(3), 7);
        for i in 0..5 {
            body.push(
                Position {
                    sequence: i,
                    record_index: 0,
                },
                format!("{{\"n\":{i}}}").as_bytes(),
            );
        }
        assert_eq!(body.json_len(), body.render().len());
        let (l, r) = body.clone().split();
        assert_eq!(l.render(), b"[{\"n\":0},{\"n\":1}]");
        assert_eq!(r.render(), b"[{\"n\":2},{\"n\":3},{\"n\":4}]");
        assert_eq!(r.first().sequence, 2);
        assert_eq!(r.last().sequence, 4);
        assert_eq!(l.json_len(), l.render().len());
        assert_eq!(r.json_len(), r.render().len());
        let gz = body.gzip();
        let mut gunzip = flate2::read::GzDecoder::new(&gz[..]);
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut gunzip, &mut text).unwrap();
        assert_eq!(text, body.render());
    }

    #[test]
    fn packing_never_exceeds_the_limit_and_keeps_order() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..200 {
            let max = 16 + rand(400) as usize;
            let rows = rand(300) as usize;
            let mut packer = Packer::new(TableId(1), round, max);
            let mut bodies = Vec::new();
            let mut oversize = Vec::new();
            let mut expected = Vec::new();
            for i in 0..rows {
                let len = 2 + rand(max as u64 + 10) as usize;
                let json = format!("\"{}\"", "x".repeat(len - 2));
                let pos = Position {
                    sequence: i as i64,
                    record_index: 0,
                };
                if len + 2 <= max {
                    expected.push(pos);
                }
                match packer.push(pos, |out| out.extend_from_slice(json.as_bytes())) {
                    Pushed::Added => {}
                    Pushed::Flushed(b) => bodies.push(b),
                    Pushed::Oversize(j) => {
                        assert_eq!(j, json.as_bytes());
                        assert!(len + 2 > max);
                        oversize.push(pos);
                    }
                }
            }
            bodies.extend(packer.finish());
            let mut seen = Vec::new();
            for (i, b) in bodies.iter().enumerate() {
                let text = b.render();
                assert!(text.len() <= max, "round {round}: {} > {max}", text.len());
                assert_eq!(text.len(), b.json_len());
                assert!(!b.is_empty());
                serde_json::from_slice::<Vec<String>>(&text).unwrap();
                // Greedy: the next body's first row would not have fitted.
                if let Some(next) = bodies.get(i + 1) {
                    assert!(b.json_len() + 1 + next.row(0).len() > max);
                }
                seen.extend_from_slice(b.positions());
                // Halves stay under the limit too and cover the same rows.
                if b.rows() >= 2 {
                    let (l, r) = b.clone().split();
                    assert!(l.json_len() <= max && r.json_len() <= max);
                    assert_eq!(l.rows() + r.rows(), b.rows());
                }
            }
            assert_eq!(seen, expected, "round {round}");
            assert_eq!(seen.len() + oversize.len(), rows);
        }
    }
}
