//! ASIM normalization: catalogue rows → rows of the ASIM tables the Logs Ingestion API can
//! write (`ASimAuthenticationEventLogs`, `ASimAuditEventLogs`), so that Sentinel's ASIM
//! analytics (`imAuthentication`, `imAuditEvent`) read what this tool sends.
//!
//! The mapping is data ([`mapping`]): per source table, the ASIM column and the expression
//! ([`Expr`]) that fills it, ported from Microsoft's own parser for that table in the
//! Azure-Sentinel repository (each [`Mapping`] names the file, version and commit read), with
//! the parsers' `datatable` lookups ported as tables ([`lookups`]). Where a parser's value breaks
//! the ASIM rules of the pinned `ASimTester.csv` (committed under `schemas/asim/`), the mapping
//! says so in a [`Deviation`]. [`normalize`] evaluates a mapping over a normalized Arrow batch of
//! the source table; it holds no per-table code.

pub mod lookups;
pub mod mapping;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde_json::Value;

use crate::catalogue::{extra, Catalogue, LaType, Table};
use crate::loganalytics::StreamColumn;
use crate::SchemaOptions;

pub use lookups::Lookup;
pub use mapping::{mapping_for, Deviation, Mapping, ParserRef, MAPPINGS};

/// The `schema` of a route that sends ASIM rows.
pub const ROUTE_SCHEMA: &str = "asim";

/// An ASIM schema and the built-in table the Logs Ingestion API writes it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsimSchema {
    Authentication,
    AuditEvent,
}

impl AsimSchema {
    pub const ALL: [AsimSchema; 2] = [AsimSchema::Authentication, AsimSchema::AuditEvent];

    /// The schema's name in ASIM (`ASimTester.csv`'s `Schema` column, `EventSchema`).
    pub fn name(self) -> &'static str {
        match self {
            AsimSchema::Authentication => "Authentication",
            AsimSchema::AuditEvent => "AuditEvent",
        }
    }

    /// The Log Analytics table that holds the schema's rows.
    pub fn table(self) -> &'static str {
        match self {
            AsimSchema::Authentication => "ASimAuthenticationEventLogs",
            AsimSchema::AuditEvent => "ASimAuditEventLogs",
        }
    }

    /// The DCR input stream an ASIM route posts to by default: `Custom-<ASIM table>`, distinct
    /// from every `_CL` route's `Custom-<catalogue table>`.
    pub fn default_stream(self) -> String {
        format!("Custom-{}", self.table())
    }

    /// The DCR output stream of a built-in table: `Microsoft-<table>`.
    pub fn output_stream(self) -> String {
        format!("Microsoft-{}", self.table())
    }

    /// The table's columns this tool fills, with their types as the Azure Monitor table
    /// reference gives them (MicrosoftDocs/azure-reference-other,
    /// `azure-monitor-ref/tables/includes/asimauthenticationeventlogs-include.md` at commit
    /// 04e8b5c9, `asimauditeventlogs-include.md` at c770f3fe). Every mapping's columns are
    /// among them (a test checks); the DCR stream declares exactly these.
    pub fn columns(self) -> &'static [(&'static str, LaType)] {
        match self {
            AsimSchema::Authentication => AUTHENTICATION_COLUMNS,
            AsimSchema::AuditEvent => AUDIT_COLUMNS,
        }
    }

    pub fn column_type(self, name: &str) -> Option<LaType> {
        self.columns()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The lake table name of the schema's rows (the same as in Log Analytics).
    pub fn by_table(name: &str) -> Option<AsimSchema> {
        AsimSchema::ALL.into_iter().find(|s| s.table() == name)
    }
}

use LaType::{Datetime, Dynamic, Int, Real, String as Str};

const AUTHENTICATION_COLUMNS: &[(&str, LaType)] = &[
    ("TimeGenerated", Datetime),
    ("EventCount", Int),
    ("EventStartTime", Datetime),
    ("EventEndTime", Datetime),
    ("EventType", Str),
    ("EventSubType", Str),
    ("EventOriginalSubType", Str),
    ("EventResult", Str),
    ("EventResultDetails", Str),
    ("EventOriginalResultDetails", Str),
    ("EventSeverity", Str),
    ("EventProduct", Str),
    ("EventProductVersion", Str),
    ("EventVendor", Str),
    ("EventSchemaVersion", Str),
    ("EventOriginalUid", Str),
    ("LogonMethod", Str),
    ("SrcIpAddr", Str),
    ("SrcHostname", Str),
    ("SrcDvcId", Str),
    ("SrcDvcIdType", Str),
    ("SrcDvcOs", Str),
    ("SrcGeoCity", Str),
    ("SrcGeoCountry", Str),
    ("SrcGeoRegion", Str),
    ("SrcGeoLatitude", Real),
    ("SrcGeoLongitude", Real),
    ("HttpUserAgent", Str),
    ("TargetSessionId", Str),
    ("TargetUserId", Str),
    ("TargetUserIdType", Str),
    ("TargetUsername", Str),
    ("TargetUsernameType", Str),
    ("TargetUserType", Str),
    ("TargetAppId", Str),
    ("TargetAppName", Str),
    ("TargetAppType", Str),
    ("ActingAppId", Str),
    ("ActingAppType", Str),
    ("ActingOriginalAppType", Str),
    ("AdditionalFields", Dynamic),
];

const AUDIT_COLUMNS: &[(&str, LaType)] = &[
    ("TimeGenerated", Datetime),
    ("EventCount", Int),
    ("EventStartTime", Datetime),
    ("EventEndTime", Datetime),
    ("EventType", Str),
    ("EventResult", Str),
    ("EventOriginalResultDetails", Str),
    ("EventSeverity", Str),
    ("EventProduct", Str),
    ("EventVendor", Str),
    ("EventSchemaVersion", Str),
    ("EventOriginalUid", Str),
    ("EventOriginalType", Str),
    ("Operation", Str),
    ("Object", Str),
    ("ObjectId", Str),
    ("ObjectType", Str),
    ("OriginalObjectType", Str),
    ("OldValue", Str),
    ("NewValue", Str),
    ("ActorUsername", Str),
    ("ActorUsernameType", Str),
    ("ActorUserId", Str),
    ("ActorUserIdType", Str),
    ("ActorUserType", Str),
    ("ActorUserAadId", Str),
    ("ActorScope", Str),
    ("ActorScopeId", Str),
    ("ActorSessionId", Str),
    ("SrcIpAddr", Str),
    ("TargetAppName", Str),
    ("TargetAppType", Str),
    ("AdditionalFields", Dynamic),
];

/// One step of a path into a JSON value: a key of an object, or an index of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Key(&'static str),
    Index(usize),
}

/// A KQL expression of a parser, as data. Text values follow KQL: an empty string is empty
/// (`isempty`), and an empty result is sent as no value.
#[derive(Debug, Clone, Copy)]
pub enum Expr {
    /// A literal (`'Logon'`, `int(1)`); `""` is empty.
    Const(&'static str),
    /// A column of the source table (`IPAddress`); a `datetime` ASIM column takes it whole.
    Col(&'static str),
    /// `tostring(Column.key[0].key)` over a `dynamic` (or JSON text) column.
    Path(&'static str, &'static [Step]),
    /// `coalesce(a, b, …)`: the first that is not empty.
    Coalesce(&'static [Expr]),
    /// `lookup <table> on <key>`: the named column of the row whose key equals the value.
    Lookup(&'static Expr, &'static Lookup, &'static str),
    /// `iff(condition, then, else)`.
    Iff(Cond, &'static Expr, &'static Expr),
    /// `bag_pack("k", v, …)`: a JSON object; a `dynamic` column's value is embedded as JSON,
    /// anything else as a string; empty values are left out.
    Bag(&'static [(&'static str, Expr)]),
}

/// A condition of [`Expr::Iff`].
#[derive(Debug, Clone, Copy)]
pub enum Cond {
    /// `x == "v"` (case-sensitive, as KQL's `==`).
    Eq(&'static Expr, &'static str),
    /// `isempty(x)`.
    Empty(&'static Expr),
    /// `x has "v"` for a `v` without letters or digits, which KQL matches as a substring.
    Contains(&'static Expr, &'static str),
}

/// The catalogue table of an ASIM schema (its columns but `AdditionalFields`, then the
/// trailing columns every table has): the shape of [`normalize`]'s batches.
pub fn table_of(schema: AsimSchema) -> &'static Table {
    Catalogue::get()
        .by_name(schema.table())
        .expect("the catalogue has every ASIM table")
}

/// The ASIM stream's columns under the names the table has (no renames: these are the built-in
/// table's own columns), each reading its column of [`normalize`]'s batch.
pub fn stream_columns(schema: AsimSchema) -> Vec<StreamColumn> {
    let arrow = crate::schema::shared_schema_for(table_of(schema), SchemaOptions::default());
    schema
        .columns()
        .iter()
        .map(|(name, la_type)| StreamColumn {
            name: name.to_string(),
            la_type: *la_type,
            arrow_index: arrow.index_of(name).expect("an ASIM table column"),
        })
        .collect()
}

/// The position columns an ASIM batch takes unchanged from its source batch: they trace each
/// row to its message and let destinations ack and name files by position.
pub const POSITION_COLUMNS: [&str; 5] = [
    extra::SOURCE,
    extra::PARTITION,
    extra::SEQUENCE_NUMBER,
    extra::RECORD_INDEX,
    extra::ENQUEUED_TIME,
];

/// A mapping that cannot be evaluated over its source table (a test keeps every shipped
/// mapping free of these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MappingError {}

/// Rows of `batch` (a normalized batch of `mapping`'s source table) as ASIM rows: one output
/// row per input row, in order, in the catalogue schema of the ASIM table ([`table_of`]).
pub fn normalize(mapping: &Mapping, batch: &RecordBatch) -> Result<RecordBatch, MappingError> {
    let schema = mapping.schema;
    let source = Source::new(mapping, batch)?;
    let rows = batch.num_rows();
    let opts = SchemaOptions {
        nanosecond_timestamps: source.time_unit() == Some(arrow_schema::TimeUnit::Nanosecond),
    };
    let target = crate::schema::shared_schema_for(table_of(schema), opts);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(target.fields().len());
    for field in target.fields() {
        let name = field.name().as_str();
        if POSITION_COLUMNS.contains(&name) {
            columns.push(source.column(name)?.clone());
            continue;
        }
        let la_type = schema
            .column_type(name)
            .ok_or_else(|| MappingError(format!("{name} is not a column of {}", schema.table())))?;
        let array: ArrayRef = match (la_type, mapping.expr(name)) {
            (_, None) => arrow_array::new_null_array(field.data_type(), rows),
            (LaType::Datetime, Some(Expr::Col(c))) => source.column(c)?.clone(),
            (LaType::Datetime, Some(e)) => {
                return Err(MappingError(format!(
                    "{}: datetime column {name} must copy a column, not {e:?}",
                    mapping.source_table
                )))
            }
            (LaType::Int, Some(e)) => {
                let mut b = Int32Builder::with_capacity(rows);
                for row in 0..rows {
                    let v = source.text(e, row)?;
                    b.append_option(v.and_then(|v| v.trim().parse::<i32>().ok()));
                }
                Arc::new(b.finish())
            }
            (LaType::Real, Some(e)) => {
                let mut b = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    let v = source.text(e, row)?;
                    b.append_option(
                        v.and_then(|v| v.trim().parse::<f64>().ok())
                            .filter(|v| v.is_finite()),
                    );
                }
                Arc::new(b.finish())
            }
            (LaType::String | LaType::Dynamic | LaType::Guid, Some(e)) => {
                let mut b = StringBuilder::with_capacity(rows, rows * 16);
                for row in 0..rows {
                    b.append_option(source.text(e, row)?);
                }
                Arc::new(b.finish())
            }
            (t, Some(_)) => {
                return Err(MappingError(format!(
                    "ASIM column {name} has type {}, which no mapping fills",
                    t.la_name()
                )))
            }
        };
        columns.push(array);
    }
    RecordBatch::try_new(target, columns)
        .map_err(|e| MappingError(format!("{}: {e}", mapping.source_table)))
}

/// The source batch, read by column name, with each row's JSON columns parsed once.
struct Source<'a> {
    table: &'static Table,
    batch: &'a RecordBatch,
    /// Parsed JSON of (column index, row), for the row being evaluated.
    parsed: std::cell::RefCell<HashMap<(usize, usize), Option<Value>>>,
}

impl<'a> Source<'a> {
    fn new(mapping: &Mapping, batch: &'a RecordBatch) -> Result<Self, MappingError> {
        let table = Catalogue::get()
            .by_name(mapping.source_table)
            .ok_or_else(|| MappingError(format!("unknown table {}", mapping.source_table)))?;
        Ok(Source {
            table,
            batch,
            parsed: Default::default(),
        })
    }

    fn column(&self, name: &str) -> Result<&'a ArrayRef, MappingError> {
        let batch: &'a RecordBatch = self.batch;
        let schema = batch.schema_ref();
        schema
            .index_of(name)
            .map(|i| batch.column(i))
            .map_err(|_| MappingError(format!("{}: no column {name}", self.table.name)))
    }

    fn time_unit(&self) -> Option<arrow_schema::TimeUnit> {
        self.table
            .time_column()
            .and_then(|i| match self.batch.schema_ref().field(i).data_type() {
                DataType::Timestamp(unit, _) => Some(*unit),
                _ => None,
            })
    }

    /// A column's value at `row` as KQL's `tostring` gives it; `None` when null or empty.
    fn cell(&self, name: &str, row: usize) -> Result<Option<Cow<'a, str>>, MappingError> {
        let array = self.column(name)?;
        if array.is_null(row) {
            return Ok(None);
        }
        let text: Cow<'a, str> = match array.data_type() {
            DataType::Utf8 => Cow::Borrowed(array.as_string::<i32>().value(row)),
            DataType::Boolean => Cow::Borrowed(if array.as_boolean().value(row) {
                "true"
            } else {
                "false"
            }),
            DataType::Int32 => Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Int32Type>()
                    .value(row)
                    .to_string(),
            ),
            DataType::Int64 => Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Int64Type>()
                    .value(row)
                    .to_string(),
            ),
            DataType::Float64 => Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Float64Type>()
                    .value(row)
                    .to_string(),
            ),
            other => {
                return Err(MappingError(format!(
                    "{}: column {name} is {other}, which a text expression cannot read",
                    self.table.name
                )))
            }
        };
        Ok((!text.is_empty()).then_some(text))
    }

    /// Whether a column holds JSON (`dynamic`, or JSON text).
    fn holds_json(&self, name: &str) -> bool {
        self.table
            .column_index(name)
            .is_some_and(|i| self.table.columns[i].holds_json)
    }

    /// The JSON value of a column at `row`, parsed once per row.
    fn json(&self, name: &str, row: usize) -> Result<Option<Value>, MappingError> {
        let index = self
            .batch
            .schema_ref()
            .index_of(name)
            .map_err(|_| MappingError(format!("{}: no column {name}", self.table.name)))?;
        let mut parsed = self.parsed.borrow_mut();
        if !parsed.keys().all(|(_, r)| *r == row) {
            parsed.clear();
        }
        if let Some(v) = parsed.get(&(index, row)) {
            return Ok(v.clone());
        }
        // KQL's `todynamic` of text that is not JSON is the text itself.
        let value = self.cell(name, row)?.map(|text| {
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|_| Value::String(text.into_owned()))
        });
        parsed.insert((index, row), value.clone());
        Ok(value)
    }

    fn text(&self, e: &Expr, row: usize) -> Result<Option<Cow<'a, str>>, MappingError> {
        Ok(match e {
            Expr::Const(c) => (!c.is_empty()).then_some(Cow::Borrowed(*c)),
            Expr::Col(name) => self.cell(name, row)?,
            Expr::Path(name, steps) => {
                let Some(mut v) = self.json(name, row)? else {
                    return Ok(None);
                };
                for step in *steps {
                    let next = match (step, &mut v) {
                        (Step::Key(k), Value::Object(o)) => o.remove(*k),
                        (Step::Index(i), Value::Array(a)) if *i < a.len() => {
                            Some(a.swap_remove(*i))
                        }
                        _ => None,
                    };
                    match next {
                        Some(n) => v = n,
                        None => return Ok(None),
                    }
                }
                to_string(&v).map(Cow::Owned)
            }
            Expr::Coalesce(all) => {
                for e in *all {
                    if let Some(v) = self.text(e, row)? {
                        return Ok(Some(v));
                    }
                }
                None
            }
            Expr::Lookup(key, table, column) => {
                let key = self.text(key, row)?;
                table
                    .get(key.as_deref().unwrap_or(""), column)
                    .filter(|v| !v.is_empty())
                    .map(Cow::Borrowed)
            }
            Expr::Iff(cond, then, otherwise) => {
                let holds = match cond {
                    Cond::Eq(x, v) => self.text(x, row)?.as_deref() == Some(*v),
                    Cond::Empty(x) => self.text(x, row)?.is_none(),
                    Cond::Contains(x, v) => self.text(x, row)?.is_some_and(|t| t.contains(v)),
                };
                self.text(if holds { then } else { otherwise }, row)?
            }
            Expr::Bag(entries) => {
                let mut bag = serde_json::Map::new();
                for (key, e) in *entries {
                    let value = match e {
                        Expr::Col(name) if self.holds_json(name) => self.json(name, row)?,
                        _ => self.text(e, row)?.map(|t| Value::String(t.into_owned())),
                    };
                    if let Some(v) = value {
                        bag.insert(key.to_string(), v);
                    }
                }
                (!bag.is_empty()).then(|| Cow::Owned(Value::Object(bag).to_string()))
            }
        })
    }
}

/// KQL's `tostring` of a dynamic value: strings unquoted, other scalars as JSON text, objects
/// and arrays as compact JSON; null and empty are empty.
fn to_string(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (!s.is_empty()).then_some(s)
}
