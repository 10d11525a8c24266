//! Record → columns. One pass over a record's fields on the simd-json tape, driven by a per-table
//! plan compiled from the catalogue: each key is looked up once, candidates are ranked by source
//! priority, the best value that coerces is written straight into the column builder, and every
//! field no column took goes into `AdditionalFields`. Nothing is dropped.

use rustc_hash::FxHashMap;
use simd_json::{Node, StaticNode};

use crate::builders::{BatchSet, ColBuilder, StrCol, NO_TIME_HOUR};
use crate::catalogue::{Catalogue, LaType, Source, Table, TableId};
use crate::json::{object_fields, text_form, write_json, write_str, write_value, RawSpans};
use crate::schema::SchemaOptions;
use crate::time::{parse_timestamp, EpochNanos};

/// Where a message came from; copied onto every row it yields.
#[derive(Debug, Clone, Copy)]
pub struct MessageContext<'a> {
    pub source: &'a str,
    pub partition: Option<&'a str>,
    /// Event Hubs sequence number, or the 1-based line number in a file.
    pub sequence: i64,
    pub enqueued: Option<EpochNanos>,
}

/// Counts per table, indexed by [`TableId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// Records routed to the table (each becomes one row).
    pub records: u64,
    /// Rows whose `AdditionalFields` is not empty.
    pub with_additional: u64,
    /// Values that could not be coerced into their column and were kept in `AdditionalFields`.
    pub uncoerced: u64,
    /// Rows with no usable time at all (partitioned under 1970-01-01/00).
    pub without_time: u64,
}

/// Counts for all tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeStats {
    pub tables: Vec<TableCounts>,
}

impl Default for NormalizeStats {
    fn default() -> Self {
        NormalizeStats {
            tables: vec![TableCounts::default(); Catalogue::get().tables.len()],
        }
    }
}

impl NormalizeStats {
    pub fn merge(&mut self, other: &NormalizeStats) {
        for (a, b) in self.tables.iter_mut().zip(&other.tables) {
            a.records += b.records;
            a.with_additional += b.with_additional;
            a.uncoerced += b.uncoerced;
            a.without_time += b.without_time;
        }
    }
    pub fn records(&self) -> u64 {
        self.tables.iter().map(|t| t.records).sum()
    }
}

/// A column target of one key: (column index, priority).
type Targets = Box<[(u16, u8)]>;

/// What the normalizer needs of one table, compiled from the catalogue.
struct Plan {
    top: FxHashMap<&'static str, Targets>,
    prop: FxHashMap<&'static str, Targets>,
    /// Per column: derived sources, in priority order.
    derived: Vec<Vec<Source>>,
    la_types: Vec<LaType>,
    time_col: Option<usize>,
    canonical_category: Option<&'static str>,
    is_unknown: bool,
}

impl Plan {
    fn new(table: &Table) -> Plan {
        let mut top: FxHashMap<&'static str, Vec<(u16, u8)>> = FxHashMap::default();
        let mut prop: FxHashMap<&'static str, Vec<(u16, u8)>> = FxHashMap::default();
        let mut derived = Vec::new();
        for (ci, col) in table.columns.iter().enumerate() {
            let mut d = Vec::new();
            for (prio, src) in col.sources.iter().enumerate() {
                let target = (ci as u16, prio as u8);
                match *src {
                    Source::Top(k) => top.entry(k).or_default().push(target),
                    Source::Prop(k) => prop.entry(k).or_default().push(target),
                    other => d.push(other),
                }
            }
            derived.push(d);
        }
        Plan {
            top: top
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            prop: prop
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            derived,
            la_types: table.columns.iter().map(|c| c.la_type).collect(),
            time_col: table.time_column(),
            canonical_category: table.categories.first().copied(),
            is_unknown: table.is_unknown,
        }
    }
}

/// A field of the record being normalized.
#[derive(Clone, Copy)]
struct Field {
    /// Tape index of the value (its key is the node before).
    value: u32,
    /// 0 = record level, 1 = inside `properties`.
    level: u8,
    consumed: bool,
}

/// Why a record could not become a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    NotAnObject,
}

impl RecordError {
    pub fn reason(self) -> &'static str {
        match self {
            RecordError::NotAnObject => "record is not a JSON object",
        }
    }
}

/// Turns records into rows. Holds only reusable scratch space; one per worker thread.
pub struct Normalizer {
    plans: Vec<Plan>,
    unknown: TableId,
    opts: SchemaOptions,
    fields: Vec<Field>,
    /// Candidate (column, priority, field) triples packed for sorting.
    hits: Vec<u64>,
    text_a: Vec<u8>,
    text_b: Vec<u8>,
    pub stats: NormalizeStats,
}

#[inline]
fn pack(col: u16, prio: u8, field: usize) -> u64 {
    ((col as u64) << 48) | ((prio as u64) << 40) | field as u64
}
#[inline]
fn hit_col(h: u64) -> usize {
    (h >> 48) as usize
}
#[inline]
fn hit_field(h: u64) -> usize {
    (h & 0xff_ffff_ffff) as usize
}

impl Normalizer {
    pub fn new(opts: SchemaOptions) -> Self {
        let cat = Catalogue::get();
        Normalizer {
            plans: cat.tables.iter().map(Plan::new).collect(),
            unknown: cat.unknown_table(),
            opts,
            fields: Vec::with_capacity(128),
            hits: Vec::with_capacity(128),
            text_a: Vec::new(),
            text_b: Vec::new(),
            stats: NormalizeStats::default(),
        }
    }

    pub fn options(&self) -> SchemaOptions {
        self.opts
    }

    /// Normalize the record at `tape[at]` into a row of its table in `out`.
    pub fn record(
        &mut self,
        tape: &[Node],
        raw: Option<&RawSpans>,
        at: usize,
        ctx: &MessageContext,
        record_index: i32,
        out: &mut BatchSet,
    ) -> Result<TableId, RecordError> {
        if !matches!(tape[at], Node::Object { .. }) {
            return Err(RecordError::NotAnObject);
        }
        let cat = Catalogue::get();
        self.fields.clear();
        self.hits.clear();

        // Route on `category` (or `Category` of Log-Analytics-shaped rows).
        let mut category: Option<(&str, usize)> = None;
        let mut props_at = None;
        let mut resource_id: Option<&str> = None;
        for (key, v) in object_fields(tape, at) {
            match (key, &tape[v]) {
                ("category" | "Category", Node::String(s)) if category.is_none() => {
                    category = Some((s, self.fields.len()))
                }
                ("properties", Node::Object { .. }) => props_at = Some(v),
                ("resourceId" | "ResourceId", Node::String(s)) => resource_id = Some(s),
                _ => {}
            }
            self.fields.push(Field {
                value: v as u32,
                level: 0,
                consumed: false,
            });
        }
        let table = category
            .and_then(|(c, _)| cat.table_for_category(c))
            .unwrap_or(self.unknown);
        let plan = &self.plans[table.0 as usize];

        // Collect candidates for every column.
        for (fi, f) in self.fields.iter_mut().enumerate() {
            let key = key_of(tape, f.value as usize);
            if Some(f.value as usize) == props_at {
                f.consumed = true; // a container: its fields are handled one by one below
            } else if let Some(targets) = plan.top.get(key) {
                self.hits
                    .extend(targets.iter().map(|&(c, p)| pack(c, p, fi)));
            }
        }
        if let Some(p) = props_at {
            for (key, v) in object_fields(tape, p) {
                let fi = self.fields.len();
                self.fields.push(Field {
                    value: v as u32,
                    level: 1,
                    consumed: false,
                });
                if let Some(targets) = plan.prop.get(key) {
                    self.hits
                        .extend(targets.iter().map(|&(c, p)| pack(c, p, fi)));
                }
            }
        }
        self.hits.sort_unstable();

        // TimeGenerated first: it picks the partition.
        let mut time = None;
        if let Some(tc) = plan.time_col {
            for &h in self.hits.iter().filter(|&&h| hit_col(h) == tc) {
                if let Node::String(s) = tape[self.fields[hit_field(h)].value as usize] {
                    if let Some(t) = parse_timestamp(s) {
                        time = Some(t);
                        break;
                    }
                }
            }
        }
        let row_time = time.or(ctx.enqueued);
        let hour = row_time.map_or(NO_TIME_HOUR, |t| t.div_euclid(3_600_000_000_000));
        let counts = &mut self.stats.tables[table.0 as usize];
        counts.records += 1;
        if row_time.is_none() {
            counts.without_time += 1;
        }

        let builder = out.builder(table, hour);
        let opts = self.opts;
        let mut uncoerced = 0u64;
        let mut h = 0;
        let ncols = plan.la_types.len();
        for col in 0..ncols {
            let la = plan.la_types[col];
            let target = &mut builder.cols[col];
            let start = h;
            while h < self.hits.len() && hit_col(self.hits[h]) == col {
                h += 1;
            }
            let group = &self.hits[start..h];
            let mut winner: Option<usize> = None;
            for &hit in group {
                let fi = hit_field(hit);
                let v = self.fields[fi].value as usize;
                match winner {
                    None => {
                        if matches!(tape[v], Node::Static(StaticNode::Null)) {
                            self.fields[fi].consumed = true;
                        } else if append(target, la, tape, v, raw, opts) {
                            self.fields[fi].consumed = true;
                            winner = Some(v);
                        } else {
                            uncoerced += 1;
                        }
                    }
                    Some(w) => {
                        if matches!(tape[v], Node::Static(StaticNode::Null))
                            || same_value(la, tape, w, v, &mut self.text_a, &mut self.text_b)
                        {
                            self.fields[fi].consumed = true;
                        }
                    }
                }
            }
            if winner.is_none() {
                let derived = plan.derived[col]
                    .iter()
                    .find_map(|src| derive(*src, resource_id));
                match (derived, target) {
                    (Some(text), ColBuilder::Str(s)) => s.push(text),
                    (_, target) if Some(col) == plan.time_col && row_time.is_some() => {
                        push_time(target, row_time.unwrap(), opts)
                    }
                    (_, target) => target.push_null(),
                }
            }
        }

        // The routing key is implied by the table when it is the canonical category.
        if let Some((c, fi)) = category {
            if plan.is_unknown || Some(c) == plan.canonical_category {
                self.fields[fi].consumed = true;
            }
        }

        let mut trailing = builder.cols[ncols..].iter_mut();
        if plan.is_unknown {
            let ColBuilder::Str(raw) = trailing.next().unwrap() else {
                unreachable!()
            };
            write_json(&tape[at..], &mut raw.data);
            raw.commit();
            self.fields.iter_mut().for_each(|f| f.consumed = true);
        }
        let ColBuilder::Str(additional) = trailing.next().unwrap() else {
            unreachable!()
        };
        let has_additional = write_additional(tape, raw, &self.fields, props_at, additional);
        push_position(&mut trailing, ctx, record_index, opts);
        builder.rows += 1;

        let counts = &mut self.stats.tables[table.0 as usize];
        counts.uncoerced += uncoerced;
        counts.with_additional += has_additional as u64;
        Ok(table)
    }
}

#[inline]
fn key_of<'i>(tape: &[Node<'i>], value: usize) -> &'i str {
    match tape[value - 1] {
        Node::String(k) => k,
        _ => "",
    }
}

/// Coerce the value at `v[0]` into the column; false (and nothing appended) when it cannot be.
#[inline]
fn append(
    target: &mut ColBuilder,
    la: LaType,
    tape: &[Node],
    at: usize,
    raw: Option<&RawSpans>,
    opts: SchemaOptions,
) -> bool {
    let v = &tape[at..];
    match (target, &v[0]) {
        (ColBuilder::Str(s), _) if la == LaType::Dynamic => {
            write_value(tape, at, raw, &mut s.data);
            s.commit();
            true
        }
        (ColBuilder::Str(s), Node::String(text)) => {
            s.push(text);
            true
        }
        (ColBuilder::Str(s), Node::Object { .. } | Node::Array { .. }) => {
            write_value(tape, at, raw, &mut s.data);
            s.commit();
            true
        }
        (ColBuilder::Str(s), _) => {
            text_form(v, &mut s.data);
            s.commit();
            true
        }
        (target @ ColBuilder::Time(_), Node::String(text)) => match parse_timestamp(text) {
            Some(t) => {
                push_time(target, t, opts);
                true
            }
            None => false,
        },
        (ColBuilder::I64(c), n) => match as_i64(n) {
            Some(x) => {
                c.push(x);
                true
            }
            None => false,
        },
        (ColBuilder::I32(c), n) => match as_i64(n).and_then(|x| i32::try_from(x).ok()) {
            Some(x) => {
                c.push(x);
                true
            }
            None => false,
        },
        (ColBuilder::F64(c), n) => match as_f64(n) {
            Some(x) => {
                c.push(x);
                true
            }
            None => false,
        },
        (ColBuilder::Bool(c), n) => match as_bool(n) {
            Some(x) => {
                c.push(x);
                true
            }
            None => false,
        },
        _ => false,
    }
}

#[inline]
fn push_time(target: &mut ColBuilder, nanos: EpochNanos, opts: SchemaOptions) {
    if let ColBuilder::Time(c) = target {
        c.push(if opts.nanosecond_timestamps {
            nanos
        } else {
            nanos.div_euclid(1000)
        });
    } else {
        target.push_null();
    }
}

/// Integers as numbers, integral floats, or decimal strings (`durationMs:"0"`, §d.15, §d.29).
fn as_i64(n: &Node) -> Option<i64> {
    match n {
        Node::Static(StaticNode::I64(x)) => Some(*x),
        Node::Static(StaticNode::U64(x)) => i64::try_from(*x).ok(),
        Node::Static(StaticNode::F64(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(n: &Node) -> Option<f64> {
    match n {
        Node::Static(StaticNode::I64(x)) => Some(*x as f64),
        Node::Static(StaticNode::U64(x)) => Some(*x as f64),
        Node::Static(StaticNode::F64(f)) => Some(*f),
        Node::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

fn as_bool(n: &Node) -> Option<bool> {
    match n {
        Node::Static(StaticNode::Bool(b)) => Some(*b),
        Node::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Node::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Whether a second source of a column carries the value already written (then it is not kept
/// again in `AdditionalFields`): the same instant for times, the same text otherwise.
fn same_value(
    la: LaType,
    tape: &[Node],
    a: usize,
    b: usize,
    ta: &mut Vec<u8>,
    tb: &mut Vec<u8>,
) -> bool {
    if la == LaType::Datetime {
        return match (&tape[a], &tape[b]) {
            (Node::String(x), Node::String(y)) => {
                parse_timestamp(x).is_some() && parse_timestamp(x) == parse_timestamp(y)
            }
            _ => false,
        };
    }
    if la == LaType::Dynamic {
        ta.clear();
        tb.clear();
        write_json(&tape[a..], ta);
        write_json(&tape[b..], tb);
        return ta == tb;
    }
    ta.clear();
    tb.clear();
    text_form(&tape[a..], ta) && text_form(&tape[b..], tb) && ta == tb
}

/// A value computed from `resourceId` (`/tenants/<t>/providers/<p>`), matched case-insensitively.
fn derive(src: Source, resource_id: Option<&str>) -> Option<&str> {
    let rid = resource_id?;
    let segment = |name: &str| {
        let mut parts = rid.split('/');
        parts.by_ref().find(|p| p.eq_ignore_ascii_case(name))?;
        parts.next().filter(|p| !p.is_empty())
    };
    match src {
        Source::TenantFromResourceId => segment("tenants"),
        Source::ProviderFromResourceId => segment("providers"),
        _ => None,
    }
}

/// Write the JSON object of every field no column took; null when there is none.
fn write_additional(
    tape: &[Node],
    raw: Option<&RawSpans>,
    fields: &[Field],
    props_at: Option<usize>,
    col: &mut StrCol,
) -> bool {
    let out = &mut col.data;
    let mut first = true;
    let mut open = |out: &mut Vec<u8>, key: &str| {
        out.push(if first { b'{' } else { b',' });
        first = false;
        write_str(key, out);
        out.push(b':');
    };
    for f in fields.iter().filter(|f| f.level == 0) {
        let v = f.value as usize;
        if Some(v) == props_at {
            let mut inner = fields
                .iter()
                .filter(|f| f.level == 1 && !f.consumed)
                .peekable();
            if inner.peek().is_some() {
                open(out, "properties");
                for (i, pf) in inner.enumerate() {
                    out.push(if i == 0 { b'{' } else { b',' });
                    let pv = pf.value as usize;
                    write_str(key_of(tape, pv), out);
                    out.push(b':');
                    write_value(tape, pv, raw, out);
                }
                out.push(b'}');
            }
        } else if !f.consumed {
            open(out, key_of(tape, v));
            write_value(tape, v, raw, out);
        }
    }
    if first {
        col.push_null();
        false
    } else {
        out.push(b'}');
        col.commit();
        true
    }
}

fn push_position<'a>(
    cols: &mut impl Iterator<Item = &'a mut ColBuilder>,
    ctx: &MessageContext,
    record_index: i32,
    opts: SchemaOptions,
) {
    let mut next = || cols.next().expect("position columns");
    if let ColBuilder::Str(s) = next() {
        s.push(ctx.source);
    }
    match (next(), ctx.partition) {
        (ColBuilder::Str(s), Some(p)) => s.push(p),
        (c, _) => c.push_null(),
    }
    if let ColBuilder::I64(c) = next() {
        c.push(ctx.sequence);
    }
    if let ColBuilder::I32(c) = next() {
        c.push(record_index);
    }
    match (next(), ctx.enqueued) {
        (c, Some(t)) => push_time(c, t, opts),
        (c, None) => c.push_null(),
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
    use arrow_array::{Array, RecordBatch};

    use super::*;
    use crate::decode::Decoder;
    use crate::time::format_rfc3339;

    /// Normalize one message; returns (table, batch) of its single row and the stats.
    fn one(json: &str) -> (&'static str, RecordBatch, NormalizeStats) {
        let mut decoder = Decoder::default();
        let mut normalizer = Normalizer::new(SchemaOptions::default());
        let mut set = BatchSet::new(SchemaOptions::default());
        let mut rejected = Vec::new();
        let ctx = MessageContext {
            source: "t",
            partition: None,
            sequence: 1,
            enqueued: None,
        };
        decoder.message(
            json.as_bytes(),
            &ctx,
            &mut normalizer,
            &mut set,
            &mut rejected,
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        let mut batches = set.finish();
        assert_eq!(batches.len(), 1);
        let (t, _, b) = batches.remove(0);
        (Catalogue::get().table(t).name, b, normalizer.stats)
    }

    /// A set reused through `take_batches` starts its builders at the sizes of the last ones
    /// and yields exactly what a fresh set yields.
    #[test]
    fn reused_sets_are_presized_and_yield_the_same_batches() {
        let message = |id: usize| {
            format!(
                r#"{{"time":"2024-05-01T10:00:00Z","category":"AuditLogs","properties":{{"id":"a{id:04}","targetResources":[{{"id":"{id:04}","displayName":"x"}}],"activityDisplayName":"Add user"}}}}"#
            )
        };
        let mut decoder = Decoder::default();
        let mut normalizer = Normalizer::new(SchemaOptions::default());
        let ctx = MessageContext {
            source: "t",
            partition: None,
            sequence: 1,
            enqueued: None,
        };
        let mut fill = |set: &mut BatchSet, from: usize| {
            let mut rejected = Vec::new();
            for i in from..from + 100 {
                decoder.message(
                    message(i).as_bytes(),
                    &ctx,
                    &mut normalizer,
                    set,
                    &mut rejected,
                );
            }
            assert!(rejected.is_empty(), "{rejected:?}");
        };
        let mut reused = BatchSet::new(SchemaOptions::default());
        fill(&mut reused, 0);
        let first = reused.take_batches();
        assert_eq!(first[0].2.num_rows(), 100);
        assert_eq!(reused.rows(), 0);

        fill(&mut reused, 100);
        let (table, hour) = (first[0].0, first[0].1);
        let builder = reused.builders.get(&(table, hour)).unwrap();
        for (col, b) in builder.cols.iter().enumerate() {
            if let ColBuilder::Str(c) = b {
                // Same-sized rows: the hint (plus an eighth) held them without growing.
                assert!(
                    c.data.capacity() <= c.data.len() + c.data.len() / 8 + 1,
                    "column {col}"
                );
            }
        }
        let mut fresh = BatchSet::new(SchemaOptions::default());
        fill(&mut fresh, 100);
        assert_eq!(reused.take_batches(), fresh.finish());
    }

    fn text(b: &RecordBatch, col: &str) -> Option<String> {
        let c = b
            .column_by_name(col)
            .unwrap_or_else(|| panic!("no column {col}"));
        (!c.is_null(0)).then(|| c.as_string::<i32>().value(0).to_string())
    }

    fn time(b: &RecordBatch, col: &str) -> String {
        let v = b
            .column_by_name(col)
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>()
            .value(0);
        format_rfc3339(v * 1000)
    }

    #[test]
    fn level_duration_and_result_type_in_every_form() {
        let (t, b, s) = one(
            r#"{"time":"2025-11-14T01:48:53Z","category":"ServicePrincipalSignInLogs","level":"Informational","durationMs":"0","resultType":7000215,"properties":{"id":"x"}}"#,
        );
        assert_eq!(t, "AADServicePrincipalSignInLogs");
        assert_eq!(text(&b, "Level").as_deref(), Some("Informational"));
        assert_eq!(text(&b, "ResultType").as_deref(), Some("7000215"));
        assert_eq!(
            b.column_by_name("DurationMs")
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0),
            0
        );
        assert_eq!(text(&b, "AdditionalFields"), None);
        assert_eq!(s.tables[2].uncoerced, 0);

        let (_, b, _) = one(r#"{"time":"2025-11-14T01:48:53Z","category":"SignInLogs","Level":4}"#);
        assert_eq!(text(&b, "Level").as_deref(), Some("4"));
    }

    #[test]
    fn a_value_that_does_not_coerce_is_kept_and_counted_not_nulled() {
        let (t, b, s) = one(
            r#"{"time":"2025-01-01T00:00:00Z","category":"AuditLogs","durationMs":"14.2187","properties":{"activityDateTime":"yesterday"}}"#,
        );
        assert_eq!(t, "AuditLogs");
        assert!(b.column_by_name("DurationMs").unwrap().is_null(0));
        assert!(b.column_by_name("ActivityDateTime").unwrap().is_null(0));
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"durationMs":"14.2187","properties":{"activityDateTime":"yesterday"}}"#)
        );
        let audit = Catalogue::get().by_name("AuditLogs").unwrap().id.0 as usize;
        assert_eq!(s.tables[audit].uncoerced, 2);
        assert_eq!(s.tables[audit].with_additional, 1);
    }

    #[test]
    fn log_analytics_shaped_record_without_time_falls_back_to_created() {
        let (t, b, _) = one(
            r#"{"Category":"ServicePrincipalSignInLogs","CorrelationId":"c","CreatedDateTime":"2025-07-01T10:45:17.5824212Z","DurationMs":0,"TenantId":"w","Agent":"{\"agentType\":\"notAgentic\"}"}"#,
        );
        assert_eq!(t, "AADServicePrincipalSignInLogs");
        assert_eq!(time(&b, "TimeGenerated"), "2025-07-01T10:45:17.5824210Z");
        assert_eq!(text(&b, "CorrelationId").as_deref(), Some("c"));
        assert_eq!(text(&b, "TenantId").as_deref(), Some("w"));
        assert_eq!(
            text(&b, "Category").as_deref(),
            Some("ServicePrincipalSignInLogs")
        );
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"Agent":"{\"agentType\":\"notAgentic\"}"}"#)
        );
    }

    #[test]
    fn duplicates_that_agree_are_not_kept_twice_and_those_that_differ_are() {
        let (_, b, _) = one(
            r#"{"time":"2022-01-24T05:10:14.1875602Z","category":"SignInLogs","correlationId":"a","callerIpAddress":"1.2.3.4","properties":{"correlationId":"a","ipAddress":"5.6.7.8","createdDateTime":"2022-01-24T05:10:14.1875602+00:00","userId":null}}"#,
        );
        assert_eq!(text(&b, "CorrelationId").as_deref(), Some("a"));
        assert_eq!(text(&b, "IPAddress").as_deref(), Some("1.2.3.4"));
        assert_eq!(time(&b, "CreatedDateTime"), "2022-01-24T05:10:14.1875600Z");
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"properties":{"ipAddress":"5.6.7.8"}}"#)
        );
        assert_eq!(text(&b, "UserId"), None);
    }

    #[test]
    fn unknown_category_keeps_the_raw_record_and_big_integers_stay_exact() {
        let (t, b, _) = one(
            r#"{"time":"2026-01-01T00:00:00Z","category":"NetworkAccessTrafficLogs","properties":{"ticks":638754711120000000}}"#,
        );
        assert_eq!(t, "UnknownCategoryLogs");
        assert_eq!(
            text(&b, "Category").as_deref(),
            Some("NetworkAccessTrafficLogs")
        );
        assert_eq!(
            text(&b, "RawRecord").as_deref(),
            Some(
                r#"{"time":"2026-01-01T00:00:00Z","category":"NetworkAccessTrafficLogs","properties":{"ticks":638754711120000000}}"#
            )
        );
        assert_eq!(text(&b, "AdditionalFields"), None);

        let (_, b, _) = one(
            r#"{"time":"2024-01-01T00:00:00Z","category":"MicrosoftGraphActivityLogs","properties":{"__UDI_RequiredFields_EventTime":638754711120000000,"clientAuthMethod":"2"}}"#,
        );
        assert_eq!(
            b.column_by_name("ClientAuthMethod")
                .unwrap()
                .as_primitive::<Int32Type>()
                .value(0),
            2
        );
        let extra = text(&b, "AdditionalFields").unwrap();
        assert!(
            extra.contains(r#""__UDI_RequiredFields_EventTime":638754711120000000"#),
            "{extra}"
        );
    }

    #[test]
    fn an_alias_category_is_kept_and_the_tenant_comes_from_resource_id() {
        let (t, b, _) = one(
            r#"{"time":"2024-01-01T00:00:00Z","category":"MicrosoftServicePrincipalSignInLogs","resourceId":"/TENANTS/ABC/PROVIDERS/MICROSOFT.AADIAM"}"#,
        );
        assert_eq!(t, "AADServicePrincipalSignInLogs");
        assert_eq!(
            text(&b, "Category").as_deref(),
            Some("MicrosoftServicePrincipalSignInLogs")
        );
        assert_eq!(text(&b, "TenantId").as_deref(), Some("ABC"));
        assert_eq!(
            text(&b, "ResourceGroup").as_deref(),
            Some("MICROSOFT.AADIAM")
        );
        // resourceId has no column in this table: it stays, verbatim.
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"resourceId":"/TENANTS/ABC/PROVIDERS/MICROSOFT.AADIAM"}"#)
        );
    }
}
