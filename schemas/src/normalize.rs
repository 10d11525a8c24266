//! Record → columns. One pass over a record's fields on the simd-json tape, driven by a per-table
//! plan compiled from the catalogue: each key is looked up once, candidates are ranked by source
//! priority, the best value that coerces is written straight into the column builder, and every
//! field no column took goes into `AdditionalFields`. Nothing is dropped.
//!
//! **Duplicate keys: the last occurrence wins**, as in JavaScript's `JSON.parse`, Python's `json`,
//! Go, jq and serde_json, so a record reads the same here as anywhere it is parsed again. Within
//! one object (the record, or its `properties`), when a key occurs more than once:
//! - only its last occurrence is the key's value: the `category` that routes the record to its
//!   table (the last `category`, else the last `Category`, as the `Category` column ranks them),
//!   the `properties` object whose members fill columns, the `resourceId` that tenant and
//!   provider are derived from, and every column's source;
//! - each earlier occurrence is kept in `AdditionalFields`, at its level, under the key
//!   `<key>#<n>` for the n-th occurrence (`{"category#1":"AuditLogs"}`,
//!   `{"properties":{"ipAddress#1":"1.2.3.4"}}`, an earlier `properties` object whole under
//!   `properties#1`), unless its JSON text is the same as the last occurrence's, which then holds
//!   it already. Should the object have a key spelled `<key>#<n>` already, n is raised until the
//!   name is new: `AdditionalFields` never repeats a key. (The unknown-category table's
//!   `RawRecord` holds the record whole, every occurrence included. An envelope's repeated
//!   `records` key is not a record's: every array's records are decoded, see [`crate::decode`].)
//!
//! Values that simd-json refuses reach the normalizer through the decoder's slower path as
//! verbatim text ([`crate::json::Verbatim`]): a number outside 64 bits or `f64` is written as
//! sent into a string or dynamic column, coerced into a `real` column when it is finite there
//! (`12345678901234567890123`, not `1e400`), and otherwise kept in `AdditionalFields` as sent,
//! counted as not coerced; a string with a lone surrogate escape, which UTF-8 cannot hold exactly,
//! goes verbatim into a dynamic column and otherwise into `AdditionalFields`, counted the same
//! way. Neither ever routes a record or sets its time.

use rustc_hash::{FxHashMap, FxHashSet};
use simd_json::{Node, StaticNode};

use crate::builders::{BatchSet, ColBuilder, NO_TIME_HOUR};
use crate::catalogue::{Catalogue, LaType, Source, Table, TableId};
use crate::json::{
    key_units, object_fields, same_key, text_form, verbatim, write_json, write_key, write_value,
    RawSpans, Verbatim,
};
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
    /// Messages decoded through the slower path: valid JSON that simd-json refuses (numbers past
    /// 64 bits or `f64`, lone surrogate escapes), whose refused values are kept as text.
    pub slow_path: u64,
}

impl Default for NormalizeStats {
    fn default() -> Self {
        NormalizeStats {
            tables: vec![TableCounts::default(); Catalogue::get().tables.len()],
            slow_path: 0,
        }
    }
}

impl NormalizeStats {
    pub fn merge(&mut self, other: &NormalizeStats) {
        self.slow_path += other.slow_path;
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
    /// An earlier occurrence of a key repeated in its object: not the one that counts, kept in
    /// `AdditionalFields` as `<key>#<n>`.
    shadowed: bool,
}

impl Field {
    fn new(value: usize, level: u8) -> Field {
        Field {
            value: value as u32,
            level,
            consumed: false,
            shadowed: false,
        }
    }
}

/// Finds keys that occur more than once in an object. Up to [`SMALL_OBJECT`] keys (every real
/// record), as the keys are read, at a few nanoseconds a key: a small open-addressing table,
/// cleared by bumping a stamp, holds a 32-bit hash of each key (of its length and first and last
/// eight bytes); only a key whose hash is there already is compared with the keys before it.
/// Larger objects are sorted by key instead, so that no object costs quadratic time.
struct Repeats {
    /// (stamp, hash) per slot; a slot is empty when its stamp is not the current one.
    slots: Vec<(u32, u32)>,
    stamp: u32,
    order: Vec<u32>,
}

const REPEAT_SLOTS: usize = 1 << 11;
const SMALL_OBJECT: usize = 256;

/// A key's identity as JSON compares keys: its text, or (for a key with a lone surrogate escape,
/// never equal to one without) its UTF-16 code units.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum KeyId<'a> {
    Plain(&'a str),
    Verbatim(&'a [u16]),
}

impl Repeats {
    fn new() -> Repeats {
        Repeats {
            slots: vec![(0, 0); REPEAT_SLOTS],
            stamp: 0,
            order: Vec::new(),
        }
    }

    /// Start an object of at most [`SMALL_OBJECT`] keys.
    #[inline]
    fn begin(&mut self) {
        if self.stamp == u32::MAX {
            self.slots.fill((0, 0));
            self.stamp = 0;
        }
        self.stamp += 1;
    }

    /// Add `key` to the object's table; true when a key with the same hash is there already.
    #[inline]
    fn insert(&mut self, key: &str) -> bool {
        let b = key.as_bytes();
        let n = b.len();
        let (head, tail) = if n >= 8 {
            (
                u64::from_le_bytes(b[..8].try_into().unwrap()),
                u64::from_le_bytes(b[n - 8..].try_into().unwrap()),
            )
        } else {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(b);
            (u64::from_le_bytes(w), 0)
        };
        let h = (head ^ tail.rotate_left(23) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = h ^ (h >> 29);
        let tag = h as u32;
        let mut i = (h >> 53) as usize;
        loop {
            let slot = &mut self.slots[i];
            if slot.0 != self.stamp {
                *slot = (self.stamp, tag);
                return false;
            }
            if slot.1 == tag {
                return true;
            }
            i = (i + 1) & (REPEAT_SLOTS - 1);
        }
    }

    /// Mark the earlier occurrences of every repeated key among `fields[start..]`, the members
    /// of one large object, and link each to its key's last occurrence. True when a key repeats.
    #[cold]
    fn find_sorted(
        &mut self,
        fields: &mut [Field],
        start: usize,
        tape: &[Node],
        raw: Option<&RawSpans>,
        links: &mut Vec<(u32, u32)>,
    ) -> bool {
        let units: Vec<Option<Vec<u16>>> = if raw.is_some_and(RawSpans::has_verbatim) {
            fields[start..]
                .iter()
                .map(|f| {
                    let v = f.value as usize;
                    verbatim(raw, v - 1).map(|_| key_units(tape, v, raw))
                })
                .collect()
        } else {
            Vec::new()
        };
        let id = |i: u32| match units.get(i as usize - start) {
            Some(Some(u)) => KeyId::Verbatim(u),
            _ => KeyId::Plain(key_of(tape, fields[i as usize].value as usize)),
        };
        self.order.clear();
        self.order.extend(start as u32..fields.len() as u32);
        self.order
            .sort_by(|&a, &b| id(a).cmp(&id(b)).then(a.cmp(&b)));
        let before = links.len();
        for run in self.order.chunk_by(|&a, &b| id(a) == id(b)) {
            let (&last, earlier) = run.split_last().expect("a run is not empty");
            links.extend(earlier.iter().map(|&j| (j, last)));
        }
        for &(j, _) in &links[before..] {
            fields[j as usize].shadowed = true;
        }
        links.len() > before
    }
}

/// `fields[i]` may repeat a key of `fields[start..i]`: mark every earlier occurrence of its key
/// and link it to `i` (the last link of a field is to its key's last occurrence). True when it did
/// repeat one.
#[cold]
fn mark_repeats(
    fields: &mut [Field],
    start: usize,
    i: usize,
    tape: &[Node],
    raw: Option<&RawSpans>,
    links: &mut Vec<(u32, u32)>,
) -> bool {
    let v = fields[i].value as usize;
    let before = links.len();
    for (j, f) in fields[start..i].iter_mut().enumerate() {
        if same_key(tape, f.value as usize, v, raw) {
            f.shadowed = true;
            links.push(((start + j) as u32, i as u32));
        }
    }
    links.len() > before
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
    repeats: Repeats,
    /// (earlier occurrence, a later one) of repeated keys, by field index.
    links: Vec<(u32, u32)>,
    /// Per field, the `n` of its `<key>#<n>`; empty when no key repeats.
    suffix: Vec<u32>,
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
            repeats: Repeats::new(),
            links: Vec::new(),
            suffix: Vec::new(),
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
        self.links.clear();
        self.suffix.clear();

        // The record's fields; the last occurrence of a key is the one that counts.
        let mut repeated = false;
        let (mut lower, mut upper, mut props, mut rid) = (None, None, None, None);
        let small = object_len(tape, at) <= SMALL_OBJECT;
        if small {
            self.repeats.begin();
        }
        for (key, v) in object_fields(tape, at) {
            let fi = self.fields.len();
            self.fields.push(Field::new(v, 0));
            if small && self.repeats.insert(key) {
                repeated |= mark_repeats(&mut self.fields, 0, fi, tape, raw, &mut self.links);
            }
            match key {
                "category" => lower = Some(fi),
                "Category" => upper = Some(fi),
                "properties" => props = Some(fi),
                "resourceId" | "ResourceId" => rid = Some(fi),
                _ => {}
            }
        }
        if !small {
            repeated |= self
                .repeats
                .find_sorted(&mut self.fields, 0, tape, raw, &mut self.links);
        }
        let fields = &self.fields;
        let plain_string = |fi: usize| {
            let v = fields[fi].value as usize;
            match tape[v] {
                Node::String(s) if verbatim(raw, v).is_none() => Some((s, fi)),
                _ => None,
            }
        };
        // Route on `category` (or `Category` of Log-Analytics-shaped rows).
        let category = lower
            .and_then(plain_string)
            .or_else(|| upper.and_then(plain_string));
        let resource_id = rid.and_then(plain_string).map(|(s, _)| s);
        let props_at = props
            .map(|fi| self.fields[fi].value as usize)
            .filter(|&v| matches!(tape[v], Node::Object { .. }));
        let table = category
            .and_then(|(c, _)| cat.table_for_category(c))
            .unwrap_or(self.unknown);
        let plan = &self.plans[table.0 as usize];

        // Collect candidates for every column.
        for (fi, f) in self.fields.iter_mut().enumerate() {
            let key = key_of(tape, f.value as usize);
            if f.shadowed {
                // An earlier occurrence of a repeated key: kept, never a candidate.
            } else if Some(f.value as usize) == props_at {
                f.consumed = true; // a container: its fields are handled one by one below
            } else if let Some(targets) = plan.top.get(key) {
                self.hits
                    .extend(targets.iter().map(|&(c, p)| pack(c, p, fi)));
            }
        }
        if let Some(p) = props_at {
            let start = self.fields.len();
            let small = object_len(tape, p) <= SMALL_OBJECT;
            if small {
                self.repeats.begin();
            }
            for (key, v) in object_fields(tape, p) {
                let fi = self.fields.len();
                self.fields.push(Field::new(v, 1));
                if small && self.repeats.insert(key) {
                    repeated |=
                        mark_repeats(&mut self.fields, start, fi, tape, raw, &mut self.links);
                }
            }
            if !small {
                repeated |=
                    self.repeats
                        .find_sorted(&mut self.fields, start, tape, raw, &mut self.links);
            }
            for fi in start..self.fields.len() {
                let f = self.fields[fi];
                if f.shadowed {
                    continue;
                }
                if let Some(targets) = plan.prop.get(key_of(tape, f.value as usize)) {
                    self.hits
                        .extend(targets.iter().map(|&(c, p)| pack(c, p, fi)));
                }
            }
        }
        self.hits.sort_unstable();

        // TimeGenerated first: it picks the partition. `time_at` is the value it came from,
        // which the column below takes without parsing it again.
        let mut time = None;
        let mut time_at = None;
        if let Some(tc) = plan.time_col {
            for &h in self.hits.iter().filter(|&&h| hit_col(h) == tc) {
                let v = self.fields[hit_field(h)].value as usize;
                if let (Node::String(s), None) = (tape[v], verbatim(raw, v)) {
                    if let Some(t) = parse_timestamp(s) {
                        time = Some(t);
                        time_at = Some(v);
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
                        } else if let Some(t) = time.filter(|_| time_at == Some(v)) {
                            push_time(target, t, opts);
                            self.fields[fi].consumed = true;
                            winner = Some(v);
                        } else if append(target, la, tape, v, raw, opts) {
                            self.fields[fi].consumed = true;
                            winner = Some(v);
                        } else {
                            uncoerced += 1;
                        }
                    }
                    Some(w) => {
                        if matches!(tape[v], Node::Static(StaticNode::Null))
                            || same_value(la, tape, w, v, raw, &mut self.text_a, &mut self.text_b)
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

        if repeated && !plan.is_unknown {
            name_repeats(
                &mut self.fields,
                &self.links,
                &mut self.suffix,
                &mut self.text_a,
                &mut self.text_b,
                tape,
                raw,
            );
        }

        let mut trailing = builder.cols[ncols..].iter_mut();
        if plan.is_unknown {
            let ColBuilder::Str(col) = trailing.next().unwrap() else {
                unreachable!()
            };
            // SAFETY: JSON written from the tape, or copied from the message text (valid UTF-8)
            // at ASCII boundaries: valid UTF-8, appended only.
            unsafe {
                col.push_written(|out| {
                    if raw.is_some_and(RawSpans::has_verbatim) {
                        write_value(tape, at, raw, out);
                    } else {
                        write_json(&tape[at..], out);
                    }
                    true
                })
            };
            self.fields.iter_mut().for_each(|f| f.consumed = true);
        }
        let ColBuilder::Str(additional) = trailing.next().unwrap() else {
            unreachable!()
        };
        // SAFETY: as above.
        let has_additional = unsafe {
            additional.push_written(|out| {
                write_additional(tape, raw, &self.fields, &self.suffix, props_at, out)
            })
        };
        push_position(&mut trailing, ctx, record_index, opts);
        builder.rows += 1;

        let counts = &mut self.stats.tables[table.0 as usize];
        counts.uncoerced += uncoerced;
        counts.with_additional += has_additional as u64;
        Ok(table)
    }
}

/// The earlier occurrences of repeated keys: one that says what the last occurrence says is
/// no news (consumed); the others get in `suffix` the `n` of their `<key>#<n>` in
/// `AdditionalFields`: their occurrence's number, raised past any key the object has (or was
/// given) already.
#[cold]
#[allow(clippy::too_many_arguments)]
fn name_repeats(
    fields: &mut [Field],
    links: &[(u32, u32)],
    suffix: &mut Vec<u32>,
    text_a: &mut Vec<u8>,
    text_b: &mut Vec<u8>,
    tape: &[Node],
    raw: Option<&RawSpans>,
) {
    suffix.clear();
    suffix.resize(fields.len(), 0);
    // The last link of an earlier occurrence is to its key's last occurrence.
    let mut last: FxHashMap<u32, u32> = FxHashMap::default();
    last.extend(links.iter().copied());
    for level in [0, 1] {
        let Some(start) = fields.iter().position(|f| f.level == level) else {
            continue;
        };
        let end = fields[start..]
            .iter()
            .position(|f| f.level != level)
            .map_or(fields.len(), |n| start + n);
        // Every key of the object, then every name given; per key, the occurrences seen and the
        // next number to try.
        let mut names: Option<FxHashSet<Vec<u16>>> = None;
        let mut seen: FxHashMap<Vec<u16>, (u32, u32)> = FxHashMap::default();
        for j in start..end {
            let f = fields[j];
            if !f.shadowed || f.consumed {
                continue;
            }
            let key = key_units(tape, f.value as usize, raw);
            let (count, next) = seen.entry(key.clone()).or_insert((0, 0));
            *count += 1;
            let w = fields[last[&(j as u32)] as usize].value as usize;
            text_a.clear();
            text_b.clear();
            write_value(tape, f.value as usize, raw, text_a);
            write_value(tape, w, raw, text_b);
            if text_a == text_b {
                fields[j].consumed = true;
                continue;
            }
            let names = names.get_or_insert_with(|| {
                fields[start..end]
                    .iter()
                    .map(|g| key_units(tape, g.value as usize, raw))
                    .collect()
            });
            let mut n = (*count).max(*next);
            loop {
                let mut name = key.clone();
                name.extend(format!("#{n}").encode_utf16());
                if names.insert(name) {
                    break;
                }
                n += 1;
            }
            *next = n + 1;
            suffix[j] = n;
        }
    }
}

/// Members of the object at `tape[at]`.
#[inline]
fn object_len(tape: &[Node], at: usize) -> usize {
    match tape[at] {
        Node::Object { len, .. } => len,
        _ => 0,
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
    if let Some(kind) = verbatim(raw, at) {
        return append_verbatim(target, la, tape, at, raw, kind);
    }
    let v = &tape[at..];
    // SAFETY (the `push_written` calls): JSON written from the tape, or copied from the message
    // text (valid UTF-8) at ASCII boundaries, and the text of scalars: valid UTF-8, appended only.
    match (target, &v[0]) {
        (ColBuilder::Str(s), _) if la == LaType::Dynamic => unsafe {
            s.push_written(|out| {
                write_value(tape, at, raw, out);
                true
            })
        },
        (ColBuilder::Str(s), Node::String(text)) => {
            s.push(text);
            true
        }
        (ColBuilder::Str(s), Node::Object { .. } | Node::Array { .. }) => unsafe {
            s.push_written(|out| {
                write_value(tape, at, raw, out);
                true
            })
        },
        (ColBuilder::Str(s), _) => unsafe { s.push_written(|out| text_form(v, out)) },
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

/// Coerce a value the slower path kept verbatim: a number as the number it is (whatever its
/// size), a string with a lone surrogate only into a dynamic column (UTF-8 cannot hold it).
#[cold]
fn append_verbatim(
    target: &mut ColBuilder,
    la: LaType,
    tape: &[Node],
    at: usize,
    raw: Option<&RawSpans>,
    kind: Verbatim,
) -> bool {
    let text = match tape[at] {
        Node::String(text) => text,
        _ => "",
    };
    match (target, kind) {
        // SAFETY: copied from the message text (valid UTF-8) at ASCII boundaries.
        (ColBuilder::Str(s), _) if la == LaType::Dynamic => unsafe {
            s.push_written(|out| {
                write_value(tape, at, raw, out);
                true
            })
        },
        (ColBuilder::Str(s), Verbatim::Number) => {
            s.push(text);
            true
        }
        (ColBuilder::F64(c), Verbatim::Number) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => {
                c.push(x);
                true
            }
            _ => false,
        },
        (ColBuilder::I64(c), Verbatim::Number) => match number_as_i64(text) {
            Some(x) => {
                c.push(x);
                true
            }
            None => false,
        },
        (ColBuilder::I32(c), Verbatim::Number) => {
            match number_as_i64(text).and_then(|x| i32::try_from(x).ok()) {
                Some(x) => {
                    c.push(x);
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// A JSON number's text as an integer, as [`as_i64`] takes numbers (integral floats too).
fn number_as_i64(text: &str) -> Option<i64> {
    text.parse().ok().or_else(|| {
        let f: f64 = text.parse().ok()?;
        (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
    })
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

/// Whether a second source of a column (`b`) carries the value already written (`a`); then it
/// is not kept again in `AdditionalFields`: the same instant for times, the same text otherwise.
fn same_value(
    la: LaType,
    tape: &[Node],
    a: usize,
    b: usize,
    raw: Option<&RawSpans>,
    ta: &mut Vec<u8>,
    tb: &mut Vec<u8>,
) -> bool {
    ta.clear();
    tb.clear();
    let (va, vb) = (verbatim(raw, a), verbatim(raw, b));
    if va.is_some() || vb.is_some() {
        return match la {
            LaType::Datetime => false,
            LaType::Dynamic => {
                write_value(tape, a, raw, ta);
                write_value(tape, b, raw, tb);
                ta == tb
            }
            _ => {
                va != Some(Verbatim::LoneSurrogate)
                    && vb != Some(Verbatim::LoneSurrogate)
                    && text_form(&tape[a..], ta)
                    && text_form(&tape[b..], tb)
                    && ta == tb
            }
        };
    }
    if la == LaType::Datetime {
        return match (&tape[a], &tape[b]) {
            // Most often the same text, which needs no parse: `a` is the column's value, parsed
            // as a time already when it was written.
            (Node::String(x), Node::String(y)) if x == y => {
                debug_assert!(parse_timestamp(x).is_some(), "{x:?} is the column's time");
                true
            }
            (Node::String(x), Node::String(y)) => {
                parse_timestamp(y).is_some_and(|t| parse_timestamp(x) == Some(t))
            }
            _ => false,
        };
    }
    if la == LaType::Dynamic {
        write_json(&tape[a..], ta);
        write_json(&tape[b..], tb);
        return ta == tb;
    }
    // Two strings are their own text forms.
    if let (Node::String(x), Node::String(y)) = (&tape[a], &tape[b]) {
        return x == y;
    }
    text_form(&tape[a..], ta) && text_form(&tape[b..], tb) && ta == tb
}

/// A value computed from `resourceId` (`/tenants/<t>/providers/<p>`), matched case-insensitively.
/// Split as bytes: `str::split('/')` compares each match with a call to `memcmp`, which made
/// this 2.6 % of decode + normalize on the `real` shape (0.8 % split as bytes).
fn derive(src: Source, resource_id: Option<&str>) -> Option<&str> {
    let rid = resource_id?;
    let name: &[u8] = match src {
        Source::TenantFromResourceId => b"tenants",
        Source::ProviderFromResourceId => b"providers",
        _ => return None,
    };
    let mut parts = rid.as_bytes().split(|&b| b == b'/');
    parts.by_ref().find(|p| p.eq_ignore_ascii_case(name))?;
    let value = parts.next().filter(|p| !p.is_empty())?;
    // The segment's place in `rid`: between two '/' (ASCII), so on character boundaries.
    let start = value.as_ptr() as usize - rid.as_ptr() as usize;
    rid.get(start..start + value.len())
}

/// Write the JSON object of every field no column took; false (nothing written) when there is
/// none. Earlier occurrences of a repeated key go under `<key>#<n>`, `n` from `suffix`.
fn write_additional(
    tape: &[Node],
    raw: Option<&RawSpans>,
    fields: &[Field],
    suffix: &[u32],
    props_at: Option<usize>,
    out: &mut Vec<u8>,
) -> bool {
    let mut first = true;
    let mut open = |out: &mut Vec<u8>| {
        out.push(if first { b'{' } else { b',' });
        first = false;
    };
    let n = |fi: usize| suffix.get(fi).copied().unwrap_or(0);
    for (fi, f) in fields.iter().enumerate().filter(|(_, f)| f.level == 0) {
        let v = f.value as usize;
        if Some(v) == props_at {
            let mut inner = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.level == 1 && !f.consumed)
                .peekable();
            if inner.peek().is_some() {
                open(out);
                out.extend_from_slice(b"\"properties\":");
                for (i, (pi, pf)) in inner.enumerate() {
                    out.push(if i == 0 { b'{' } else { b',' });
                    write_member(tape, raw, pf, n(pi), out);
                }
                out.push(b'}');
            }
        } else if !f.consumed {
            open(out);
            write_member(tape, raw, f, n(fi), out);
        }
    }
    if first {
        false
    } else {
        out.push(b'}');
        true
    }
}

/// `"key":value`, the key suffixed `#<n>` when `n` is not 0 (an earlier occurrence of a
/// repeated key).
#[inline]
fn write_member(tape: &[Node], raw: Option<&RawSpans>, f: &Field, n: u32, out: &mut Vec<u8>) {
    let v = f.value as usize;
    write_key(tape, v, raw, out);
    if n != 0 {
        out.pop(); // the closing quote
        out.push(b'#');
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        out.push(b'"');
    }
    out.push(b':');
    write_value(tape, v, raw, out);
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
    use crate::decode::{Decoder, MessageOutcome, Rejected};
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
                    c.text_capacity() <= c.text_len() + c.text_len() / 8 + 1,
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

    /// A second source of a time column: the same text (taken without a second parse) or the
    /// same instant is not kept again; another instant is.
    #[test]
    fn a_second_time_source_is_kept_only_when_it_is_another_instant() {
        let record = |top: &str| {
            format!(
                r#"{{"time":"2022-01-24T05:10:14Z","category":"SignInLogs","CreatedDateTime":"{top}","properties":{{"createdDateTime":"2022-01-24T05:10:14.5Z"}}}}"#
            )
        };
        for same in ["2022-01-24T05:10:14.5Z", "2022-01-24T05:10:14.500+00:00"] {
            let (_, b, _) = one(&record(same));
            assert_eq!(time(&b, "CreatedDateTime"), "2022-01-24T05:10:14.5000000Z");
            assert_eq!(text(&b, "AdditionalFields"), None, "{same}");
        }
        let (_, b, _) = one(&record("2022-01-24T05:10:15.5Z"));
        assert_eq!(time(&b, "CreatedDateTime"), "2022-01-24T05:10:14.5000000Z");
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"CreatedDateTime":"2022-01-24T05:10:15.5Z"}"#)
        );
        assert_eq!(time(&b, "TimeGenerated"), "2022-01-24T05:10:14.0000000Z");
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

    #[test]
    fn resource_id_segments_are_read_after_their_name_whatever_the_text() {
        let (t, p) = (Source::TenantFromResourceId, Source::ProviderFromResourceId);
        let rid = "/tenants/abc/providers/Microsoft.aadiam";
        assert_eq!(derive(t, Some(rid)), Some("abc"));
        assert_eq!(derive(p, Some(rid)), Some("Microsoft.aadiam"));
        // Segments around multi-byte characters keep them whole.
        assert_eq!(derive(t, Some("/tenants/é/providers/ü")), Some("é"));
        assert_eq!(derive(p, Some("/Tenants/é/PROVIDERS/ü/x")), Some("ü"));
        for none in [
            "/tenants//providers/x",
            "/tenants",
            "tenants",
            "",
            "/tenant/abc",
        ] {
            assert_eq!(derive(t, Some(none)), None, "{none:?}");
        }
        assert_eq!(derive(t, None), None);
        assert_eq!(derive(Source::Top("x"), Some(rid)), None);
    }

    /// Decode one message; returns its outcome, dead letters, batches and stats.
    fn run(
        json: &str,
    ) -> (
        MessageOutcome,
        Vec<Rejected>,
        Vec<RecordBatch>,
        NormalizeStats,
    ) {
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
        let outcome = decoder.message(
            json.as_bytes(),
            &ctx,
            &mut normalizer,
            &mut set,
            &mut rejected,
        );
        assert_eq!(outcome.records, outcome.rows + outcome.rejected);
        assert_eq!(outcome.rejected, rejected.len() as u64);
        let batches: Vec<RecordBatch> = set.finish().into_iter().map(|(_, _, b)| b).collect();
        for b in &batches {
            for c in b.columns() {
                c.to_data().validate_full().unwrap();
            }
        }
        (outcome, rejected, batches, normalizer.stats)
    }

    fn table_index(name: &str) -> usize {
        Catalogue::get().by_name(name).unwrap().id.0 as usize
    }

    /// simd-json refuses integers past 64 bits, numbers past f64 and lone surrogate escapes; the
    /// message still becomes rows, each such value kept as sent: in its column when the column
    /// holds text or JSON, else in AdditionalFields (counted as not coerced).
    #[test]
    fn valid_json_simd_json_refuses_becomes_rows_with_those_values_as_sent() {
        let message = r#"{ "time": "2025-01-01T10:00:00Z", "category": "SignInLogs",
            "durationMs": 12345678901234567890123, "resultType": 1e400, "\ud800key": -2e308,
            "properties": { "status": {"errorCode": -1e400, "big": 123456789012345678901234567890, "s": "\udc00"},
                "userDisplayName": "Bob \ud800", "deviceDetail": "x\ud83d\ude00\udbff", "userId": "u",
                "ticks": -0.0e-999, "riskEventTypes_v2": ["\ud800"] } }"#;
        let (outcome, rejected, batches, stats) = run(message);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!((outcome.records, outcome.rows), (1, 1));
        assert_eq!(stats.slow_path, 1);
        let signin = table_index("SigninLogs");
        assert_eq!(stats.tables[signin].records, 1);
        // durationMs (long) and userDisplayName (string with a lone surrogate) do not coerce.
        assert_eq!(stats.tables[signin].uncoerced, 2);
        let b = &batches[0];
        assert!(b.column_by_name("DurationMs").unwrap().is_null(0));
        assert_eq!(text(b, "ResultType").as_deref(), Some("1e400"));
        assert_eq!(
            text(b, "Status").as_deref(),
            Some(r#"{"errorCode":-1e400,"big":123456789012345678901234567890,"s":"\udc00"}"#)
        );
        assert_eq!(
            text(b, "DeviceDetail").as_deref(),
            Some(r#""x\ud83d\ude00\udbff""#)
        );
        assert_eq!(text(b, "UserDisplayName"), None);
        assert_eq!(text(b, "UserId").as_deref(), Some("u"));
        assert_eq!(
            text(b, "RiskEventTypes_V2").as_deref(),
            Some(r#"["\ud800"]"#)
        );
        assert_eq!(
            text(b, "AdditionalFields").as_deref(),
            Some(
                r#"{"durationMs":12345678901234567890123,"\ud800key":-2e308,"properties":{"userDisplayName":"Bob \ud800","ticks":-0.0}}"#
            )
        );
    }

    #[test]
    fn a_refused_category_does_not_route_and_the_raw_record_is_kept_as_sent() {
        let message = r#"{"category":"SignInLogs\ud800","time":"2025-01-01T10:00:00Z","n":1e999}"#;
        let (outcome, _, batches, stats) = run(message);
        assert_eq!(outcome.rows, 1);
        assert_eq!(stats.tables[table_index(crate::UNKNOWN_TABLE)].records, 1);
        assert_eq!(text(&batches[0], "RawRecord").as_deref(), Some(message));
        // A number is not a category either.
        let (_, _, batches, _) =
            run(r#"{"category":123456789012345678901234,"Category":"SignInLogs"}"#);
        assert_eq!(
            batches[0].schema().metadata()["aad.table"],
            "SigninLogs",
            "routed by the plain string"
        );
        assert_eq!(
            text(&batches[0], "Category").as_deref(),
            Some("123456789012345678901234")
        );
    }

    #[test]
    fn valid_json_that_is_no_record_and_invalid_json_stay_dead_letters() {
        for (message, reasons) in [
            ("42", &["record is not a JSON object"][..]),
            ("\"x\"", &["record is not a JSON object"]),
            ("[1,2]", &["record is not a JSON object"; 2]),
            ("\"\\ud800\"", &["record is not a JSON object"]),
            ("12345678901234567890123", &["record is not a JSON object"]),
            ("{\"a\":1e400,}", &["invalid JSON"]),
            ("{\"a\":\"\\ud800\" \"b\":1}", &["invalid JSON"]),
            ("{\"a\":\"\\ud8\"}", &["invalid JSON"]),
            ("{\"a\":01}", &["invalid JSON"]),
            ("[1e400", &["invalid JSON"]),
        ] {
            let (outcome, rejected, batches, _) = run(message);
            assert_eq!(outcome.rows, 0, "{message}");
            assert!(batches.is_empty());
            let got: Vec<&str> = rejected.iter().map(|r| r.reason.as_str()).collect();
            assert_eq!(got.len(), reasons.len(), "{message}: {got:?}");
            for (g, r) in got.iter().zip(reasons) {
                assert!(g.starts_with(r), "{message}: {g}");
            }
        }
        // A refused value in a record that is not an object is dead-lettered as sent.
        let (outcome, rejected, _, stats) = run(r#"[1e400,{"category":"AuditLogs"},"\ud800"]"#);
        assert_eq!((outcome.records, outcome.rows, outcome.rejected), (3, 1, 2));
        assert_eq!(stats.slow_path, 1);
        assert_eq!(rejected[0].raw, b"1e400");
        assert_eq!(rejected[0].record_index, Some(0));
        assert_eq!(rejected[1].raw, br#""\ud800""#);
        // Deeper than simd-json's 1024 levels: a dead letter that says so.
        let deep = format!("{}{}", "[".repeat(1025), "]".repeat(1025));
        let (_, rejected, _, _) = run(&deep);
        assert!(
            rejected[0].reason.contains("deeper than 1024"),
            "{}",
            rejected[0].reason
        );
        assert_eq!(rejected[0].record_index, None);
    }

    #[test]
    fn envelopes_on_the_slower_path_and_with_records_twice_lose_no_record() {
        let (outcome, rejected, batches, stats) = run(
            r#"{"records":[{"category":"AuditLogs","properties":{"n":1e400}}],"records":[{"category":"AuditLogs","properties":{"id":"\ud800"}}]}"#,
        );
        assert!(rejected.is_empty());
        assert_eq!((outcome.records, outcome.rows), (2, 2));
        assert_eq!(stats.slow_path, 1);
        let b = &batches[0];
        assert_eq!(
            text(b, "AdditionalFields").as_deref(),
            Some(r#"{"properties":{"n":1e400}}"#)
        );
        let extra = b
            .column_by_name("AdditionalFields")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(extra.value(1), r#"{"properties":{"id":"\ud800"}}"#);
        let index = b
            .column_by_name("_RecordIndex")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!((index.value(0), index.value(1)), (0, 1));
    }

    /// The duplicate-key rule: the last occurrence wins everywhere; earlier ones that differ are
    /// kept as `<key>#<n>`.
    #[test]
    fn the_last_category_routes_and_the_earlier_one_is_kept() {
        let (t, b, _) = one(
            r#"{"category":"AuditLogs","time":"2025-01-01T10:00:00Z","category":"SignInLogs"}"#,
        );
        assert_eq!(t, "SigninLogs");
        assert_eq!(text(&b, "Category").as_deref(), Some("SignInLogs"));
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"category#1":"AuditLogs"}"#)
        );
        // `category` over `Category`, as the Category column takes them.
        let (t, b, _) = one(r#"{"category":"SignInLogs","Category":"AuditLogs"}"#);
        assert_eq!(t, "SigninLogs");
        assert_eq!(text(&b, "Category").as_deref(), Some("SignInLogs"));
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"Category":"AuditLogs"}"#)
        );
    }

    #[test]
    fn the_last_properties_object_fills_columns_and_the_earlier_one_is_kept_whole() {
        let (_, b, _) = one(
            r#"{"category":"SignInLogs","properties":{"userId":"first","ipAddress":"1.1.1.1"},"properties":{"userId":"second"}}"#,
        );
        assert_eq!(text(&b, "UserId").as_deref(), Some("second"));
        assert_eq!(text(&b, "IPAddress"), None);
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"properties#1":{"userId":"first","ipAddress":"1.1.1.1"}}"#)
        );
        // The same object twice is no news.
        let (_, b, _) = one(
            r#"{"category":"SignInLogs","properties":{"userId":"u"},"properties":{"userId":"u"}}"#,
        );
        assert_eq!(text(&b, "UserId").as_deref(), Some("u"));
        assert_eq!(text(&b, "AdditionalFields"), None);
        // A last `properties` that is not an object: no column comes from the earlier one.
        let (_, b, _) =
            one(r#"{"category":"SignInLogs","properties":{"userId":"u"},"properties":"x"}"#);
        assert_eq!(text(&b, "UserId"), None);
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"properties#1":{"userId":"u"},"properties":"x"}"#)
        );
    }

    #[test]
    fn the_last_occurrence_of_a_column_key_fills_the_column() {
        let (_, b, s) = one(
            r#"{"category":"SignInLogs","correlationId":"a","correlationId":null,"properties":{"userId":"a","appId":"x","userId":"b","userId":"b","userId":"c","durationMs":5}}"#,
        );
        assert_eq!(text(&b, "UserId").as_deref(), Some("c"));
        assert_eq!(text(&b, "AppId").as_deref(), Some("x"));
        // The last correlationId is null: the column is null, the earlier value kept.
        assert_eq!(text(&b, "CorrelationId"), None);
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(
                r#"{"correlationId#1":"a","properties":{"userId#1":"a","userId#2":"b","userId#3":"b","durationMs":5}}"#
            )
        );
        assert_eq!(s.tables[table_index("SigninLogs")].uncoerced, 0);
        // A key no column takes: every occurrence kept, none under the same key.
        let (_, b, _) = one(r#"{"category":"AuditLogs","foo":1,"foo":2,"bar":0,"foo":3,"foo":3}"#);
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r#"{"foo#1":1,"foo#2":2,"bar":0,"foo":3}"#)
        );
        // A name `<key>#<n>` the record has already is not given again.
        let (_, b, _) = one(r#"{"category":"AuditLogs","a#1":0,"a":1,"a":2,"a":3,"a#3":4}"#);
        assert_eq!(
            text(&b, "AdditionalFields").as_deref(),
            Some(r##"{"a#1":0,"a#2":1,"a#4":2,"a":3,"a#3":4}"##)
        );
        // Keys with lone surrogates: equal as JSON strings when their escapes are.
        let (_, _, batches, _) =
            run(r#"{"category":"AuditLogs","\ud800":1,"\uD800":2,"\udc00":3,"\ufffd":4}"#);
        assert_eq!(
            text(&batches[0], "AdditionalFields").as_deref(),
            Some(r#"{"\ud800#1":1,"\uD800":2,"\udc00":3,"�":4}"#)
        );
    }

    #[test]
    fn the_unknown_table_keeps_every_occurrence_in_the_raw_record() {
        let message = r#"{"category":"Nope","a":1,"a":2}"#;
        let (t, b, _) = one(message);
        assert_eq!(t, crate::UNKNOWN_TABLE);
        assert_eq!(text(&b, "RawRecord").as_deref(), Some(message));
        assert_eq!(text(&b, "AdditionalFields"), None);
    }

    /// Objects past the small-object size are sorted by key instead: the same rule, and no
    /// object costs quadratic time (100,000 members here, 50,000 of them one repeated key).
    #[test]
    fn large_objects_follow_the_same_rule_in_linear_time() {
        for filler in [10, 300] {
            let mut props: Vec<String> = (0..filler).map(|i| format!(r#""k{i}":{i}"#)).collect();
            props.insert(3, r#""userId":"a""#.into());
            props.push(r#""x":1"#.into());
            props.push(r#""x#1":0"#.into());
            props.push(r#""userId":"b""#.into());
            props.push(r#""x":2"#.into());
            let message = format!(
                r#"{{"category":"SignInLogs","properties":{{{}}}}}"#,
                props.join(",")
            );
            let (_, b, _) = one(&message);
            assert_eq!(text(&b, "UserId").as_deref(), Some("b"));
            let mut expected: Vec<String> = (0..filler).map(|i| format!(r#""k{i}":{i}"#)).collect();
            expected.insert(3, r#""userId#1":"a""#.into());
            expected.push(r#""x#2":1"#.into());
            expected.push(r#""x#1":0"#.into());
            expected.push(r#""x":2"#.into());
            assert_eq!(
                text(&b, "AdditionalFields").unwrap(),
                format!(r#"{{"properties":{{{}}}}}"#, expected.join(",")),
                "{filler} members"
            );
        }

        let n = 50_000;
        let mut members: Vec<String> = (0..n).map(|i| format!(r#""a":{i}"#)).collect();
        members.extend((1..=n).map(|i| format!(r#""a#{i}":0"#)));
        let message = format!(r#"{{"category":"AuditLogs",{}}}"#, members.join(","));
        let started = std::time::Instant::now();
        let (_, b, _) = one(&message);
        let extra = text(&b, "AdditionalFields").unwrap();
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&extra).unwrap();
        assert_eq!(parsed.len(), 2 * n, "no key written twice");
        assert_eq!(parsed["a"], n - 1);
        assert_eq!(parsed[&format!("a#{}", n + 1)], 0);
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
