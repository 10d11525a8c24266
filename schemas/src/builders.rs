//! Column builders that the normalizer writes into directly (JSON text straight into the value
//! buffer, no per-field allocation), and the set of per-table, per-hour batches.

use std::cell::RefCell;
use std::sync::Arc;

use arrow_array::types::{TimestampMicrosecondType, TimestampNanosecondType};
use arrow_array::{
    new_null_array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, PrimitiveArray,
    RecordBatch, StringArray,
};
use arrow_buffer::{BooleanBufferBuilder, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use rustc_hash::FxHashMap;

use crate::catalogue::{Catalogue, LaType, TableId};
use crate::schema::{shared_schema_for, trailing_columns, SchemaOptions};

/// UTF-8 column: values appended as text, or written straight into the value buffer (JSON from
/// the tape, with no copy in between) by this crate.
///
/// Sound by construction, so that `finish` can skip Arrow's UTF-8 re-validation (a pass over all
/// text): the buffer is private, the only public ways in are `&str` values ([`StrCol::push`]) and
/// nulls, the crate's writers go through the `unsafe` [`StrCol::push_written`] whose contract is
/// UTF-8, and every offset is checked to fit `i32`. Outside this crate the buffer cannot be
/// reached:
///
/// ```compile_fail
/// # fn f(col: &mut aad_schemas::builders::StrCol) {
/// col.data.push(0xff); // private: invalid UTF-8 cannot be written from outside
/// # }
/// ```
/// ```compile_fail
/// # fn f(col: &mut aad_schemas::builders::StrCol) {
/// unsafe { col.push_written(|out| { out.push(0xff); true }) }; // crate-private
/// # }
/// ```
#[derive(Debug)]
pub struct StrCol {
    data: Vec<u8>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

/// The end offset of a value in a string column: Arrow's `Utf8` holds `i32` offsets.
#[inline(always)]
fn end_offset(len: usize) -> i32 {
    #[cold]
    #[inline(never)]
    fn too_long() -> ! {
        panic!("a string column holds at most 2 GiB of text (i32 offsets)")
    }
    match i32::try_from(len) {
        Ok(end) => end,
        Err(_) => too_long(),
    }
}

impl StrCol {
    fn new(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrCol {
            data: Vec::with_capacity(bytes),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }

    #[inline]
    pub fn push(&mut self, s: &str) {
        self.data.extend_from_slice(s.as_bytes());
        self.offsets.push(end_offset(self.data.len()));
        self.nulls.append_non_null();
    }

    #[inline]
    pub fn push_null(&mut self) {
        self.offsets.push(end_offset(self.data.len()));
        self.nulls.append_null();
    }

    /// Append one value that `write` writes straight into the value buffer; `write` returns
    /// whether it wrote a value, and when it did not, whatever it wrote is dropped and the value
    /// is null. Returns what `write` returned.
    ///
    /// # Safety
    ///
    /// `write` must only append to the buffer (never change or remove what is there), and what
    /// it appends must be valid UTF-8 (checked only by a `debug_assert`). Every writer here
    /// appends `&str`s, ASCII JSON punctuation and escapes, and spans of a parsed message's text
    /// that begin and end at ASCII punctuation (see [`crate::json::RawSpans`]).
    #[inline]
    pub(crate) unsafe fn push_written(&mut self, write: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        /// Drops what a writer that panics leaves behind.
        struct Rewind<'a>(&'a mut Vec<u8>, usize);
        impl Drop for Rewind<'_> {
            fn drop(&mut self) {
                self.0.truncate(self.1);
            }
        }
        let start = self.data.len();
        let guard = Rewind(&mut self.data, start);
        let wrote = write(&mut *guard.0);
        std::mem::forget(guard);
        debug_assert!(
            self.data.len() >= start && std::str::from_utf8(&self.data[start..]).is_ok(),
            "a writer appended invalid UTF-8"
        );
        if wrote {
            self.offsets.push(end_offset(self.data.len()));
            self.nulls.append_non_null();
        } else {
            self.data.truncate(start);
            self.push_null();
        }
        wrote
    }

    /// Bytes of text held.
    pub fn text_len(&self) -> usize {
        self.data.len()
    }

    #[cfg(test)]
    pub(crate) fn text_capacity(&self) -> usize {
        self.data.capacity()
    }

    fn finish(mut self) -> ArrayRef {
        debug_assert_eq!(self.data.len(), *self.offsets.last().unwrap() as usize);
        debug_assert!(std::str::from_utf8(&self.data).is_ok());
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        // SAFETY: only UTF-8 is ever written (see the type's doc): `&str`s through `push`, and
        // what the crate's writers append under `push_written`'s contract; every offset was
        // checked to fit `i32`; offsets only grow (the buffer is only appended to, and a writer
        // that panics has its bytes dropped), the last is `data.len()`; there is one null bit
        // per value. Skipping the re-validation saves a pass over all text.
        Arc::new(unsafe {
            StringArray::new_unchecked(offsets, self.data.into(), self.nulls.finish())
        })
    }
}

/// Fixed-width column.
#[derive(Debug)]
pub struct PrimCol<T> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
}

impl<T: Default + Copy> PrimCol<T> {
    fn new(rows: usize) -> Self {
        PrimCol {
            values: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
        }
    }
    #[inline]
    pub fn push(&mut self, v: T) {
        self.values.push(v);
        self.nulls.append_non_null();
    }
    #[inline]
    pub fn push_null(&mut self) {
        self.values.push(T::default());
        self.nulls.append_null();
    }
}

/// Boolean column.
#[derive(Debug)]
pub struct BoolCol {
    values: BooleanBufferBuilder,
    nulls: NullBufferBuilder,
}

impl BoolCol {
    #[inline]
    pub fn push(&mut self, v: bool) {
        self.values.append(v);
        self.nulls.append_non_null();
    }
    #[inline]
    pub fn push_null(&mut self) {
        self.values.append(false);
        self.nulls.append_null();
    }
}

/// One column being built.
#[derive(Debug)]
pub enum ColBuilder {
    Str(StrCol),
    /// Timestamps in the schema's unit.
    Time(PrimCol<i64>),
    I32(PrimCol<i32>),
    I64(PrimCol<i64>),
    F64(PrimCol<f64>),
    Bool(BoolCol),
}

impl ColBuilder {
    fn new(la: LaType, rows: usize, bytes: usize) -> Self {
        match la {
            LaType::String | LaType::Guid | LaType::Dynamic => {
                ColBuilder::Str(StrCol::new(rows, bytes))
            }
            LaType::Datetime => ColBuilder::Time(PrimCol::new(rows)),
            LaType::Int => ColBuilder::I32(PrimCol::new(rows)),
            LaType::Long => ColBuilder::I64(PrimCol::new(rows)),
            LaType::Real => ColBuilder::F64(PrimCol::new(rows)),
            LaType::Bool => ColBuilder::Bool(BoolCol {
                values: BooleanBufferBuilder::new(rows),
                nulls: NullBufferBuilder::new(rows),
            }),
        }
    }

    #[inline]
    pub fn push_null(&mut self) {
        match self {
            ColBuilder::Str(c) => c.push_null(),
            ColBuilder::Time(c) | ColBuilder::I64(c) => c.push_null(),
            ColBuilder::I32(c) => c.push_null(),
            ColBuilder::F64(c) => c.push_null(),
            ColBuilder::Bool(c) => c.push_null(),
        }
    }

    /// Bytes held, to bound memory.
    pub fn size(&self) -> usize {
        match self {
            ColBuilder::Str(c) => c.data.len() + c.offsets.len() * 4,
            ColBuilder::Time(c) | ColBuilder::I64(c) => c.values.len() * 8,
            ColBuilder::I32(c) => c.values.len() * 4,
            ColBuilder::F64(c) => c.values.len() * 8,
            ColBuilder::Bool(c) => c.values.len() / 8,
        }
    }

    /// The column's validity so far.
    fn nulls(&self) -> &NullBufferBuilder {
        match self {
            ColBuilder::Str(c) => &c.nulls,
            ColBuilder::Time(c) | ColBuilder::I64(c) => &c.nulls,
            ColBuilder::I32(c) => &c.nulls,
            ColBuilder::F64(c) => &c.nulls,
            ColBuilder::Bool(c) => &c.nulls,
        }
    }

    /// Whether it holds rows, every one of them null.
    fn only_nulls(&self) -> bool {
        let nulls = self.nulls();
        // Unused bits of the last byte stay 0: a bitmap of zero bytes is all null.
        !nulls.is_empty() && nulls.as_slice().is_some_and(|b| b.iter().all(|&x| x == 0))
    }

    fn finish(self, data_type: &DataType) -> ArrayRef {
        let rows = self.nulls().len();
        if rows <= SHARED_NULL_ROWS && self.only_nulls() {
            return shared_nulls(data_type, rows);
        }
        match self {
            ColBuilder::Str(c) => c.finish(),
            ColBuilder::Time(mut c) => {
                let nulls = c.nulls.finish();
                match data_type {
                    DataType::Timestamp(TimeUnit::Nanosecond, tz) => Arc::new(
                        PrimitiveArray::<TimestampNanosecondType>::new(c.values.into(), nulls)
                            .with_timezone_opt(tz.clone()),
                    ),
                    DataType::Timestamp(_, tz) => Arc::new(
                        PrimitiveArray::<TimestampMicrosecondType>::new(c.values.into(), nulls)
                            .with_timezone_opt(tz.clone()),
                    ),
                    other => unreachable!("time column of type {other}"),
                }
            }
            ColBuilder::I32(mut c) => Arc::new(Int32Array::new(c.values.into(), c.nulls.finish())),
            ColBuilder::I64(mut c) => Arc::new(Int64Array::new(c.values.into(), c.nulls.finish())),
            ColBuilder::F64(mut c) => {
                Arc::new(Float64Array::new(c.values.into(), c.nulls.finish()))
            }
            ColBuilder::Bool(mut c) => {
                Arc::new(BooleanArray::new(c.values.finish(), c.nulls.finish()))
            }
        }
    }
}

/// Batches up to this many rows share their all-null columns (see [`shared_nulls`]).
const SHARED_NULL_ROWS: usize = 64;

/// An all-null column of `rows` rows, one array (per thread) shared by every batch that needs
/// it. Records spread over thousands of hours make a batch of a row or two per hour, most of
/// whose columns are null; an array of its own each (an `Arc` and three buffers) was most of
/// the memory those batches took: 95 of 175 MiB of heap for 10,000 one-row hours.
fn shared_nulls(data_type: &DataType, rows: usize) -> ArrayRef {
    thread_local! {
        static NULLS: RefCell<FxHashMap<(DataType, usize), ArrayRef>> =
            RefCell::new(FxHashMap::default());
    }
    NULLS.with_borrow_mut(|shared| {
        Arc::clone(
            shared
                .entry((data_type.clone(), rows))
                .or_insert_with(|| new_null_array(data_type, rows)),
        )
    })
}

/// The rows of one table (and one hour) being built: the Log Analytics columns, then the
/// trailing columns in the order of [`trailing_columns`].
#[derive(Debug)]
pub struct TableBuilder {
    pub table: TableId,
    pub cols: Vec<ColBuilder>,
    pub rows: usize,
    schema: SchemaRef,
}

impl TableBuilder {
    pub fn new(table: TableId, opts: SchemaOptions, rows: usize) -> Self {
        Self::sized(table, opts, rows, &[])
    }

    /// A builder with room for `rows` rows and `bytes[i]` bytes of text in column `i`.
    fn sized(table: TableId, opts: SchemaOptions, rows: usize, bytes: &[usize]) -> Self {
        let t = Catalogue::get().table(table);
        let cols = t
            .columns
            .iter()
            .map(|c| c.la_type)
            .chain(trailing_columns(t).into_iter().map(|(_, la)| la))
            .enumerate()
            .map(|(i, la)| ColBuilder::new(la, rows, bytes.get(i).copied().unwrap_or(0)))
            .collect();
        TableBuilder {
            table,
            cols,
            rows: 0,
            schema: shared_schema_for(t, opts),
        }
    }

    pub fn size(&self) -> usize {
        self.cols.iter().map(ColBuilder::size).sum()
    }

    pub fn finish(self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .cols
            .into_iter()
            .zip(self.schema.fields().iter())
            .map(|(c, f)| c.finish(f.data_type()))
            .collect();
        RecordBatch::try_new(self.schema, arrays).expect("builders follow the schema")
    }
}

/// The hour bucket of rows with no usable time (partitioned under 1970-01-01/00).
pub const NO_TIME_HOUR: i64 = 0;

/// How large a table's builders grew last time: rows, and text bytes per column. A builder
/// made with room for that much never reallocates, which would copy its text once more and
/// fault in fresh pages for it (the JSON columns are most of the bytes that pass through).
#[derive(Debug, Clone, Default)]
struct SizeHint {
    rows: usize,
    bytes: Vec<usize>,
}

/// Rows grouped by table and by hour of `TimeGenerated` (hours since the epoch), which is how
/// the lake partitions them.
#[derive(Debug, Default)]
pub struct BatchSet {
    pub(crate) builders: FxHashMap<(TableId, i64), TableBuilder>,
    pub(crate) opts: SchemaOptions,
    hints: FxHashMap<TableId, SizeHint>,
}

/// Rows a builder starts with when its table has no size hint yet.
const FIRST_ROWS: usize = 64;
/// (table, hour) groups in a set past which new builders start at [`FEW_ROWS`].
const MANY_GROUPS: usize = 64;
const FEW_ROWS: usize = 4;

impl BatchSet {
    pub fn new(opts: SchemaOptions) -> Self {
        BatchSet {
            builders: FxHashMap::default(),
            opts,
            hints: FxHashMap::default(),
        }
    }

    pub fn builder(&mut self, table: TableId, hour: i64) -> &mut TableBuilder {
        let opts = self.opts;
        let hints = &self.hints;
        // Records spread over many hours open a builder per hour: past a few, new ones start
        // small, or memory would grow with the number of hours times the table's usual size.
        let many = self.builders.len() >= MANY_GROUPS;
        self.builders.entry((table, hour)).or_insert_with(|| {
            match hints.get(&table) {
                _ if many => TableBuilder::new(table, opts, FEW_ROWS),
                // With an eighth to spare, so that a slightly larger next set fits too.
                Some(h) => {
                    let bytes: Vec<usize> = h.bytes.iter().map(|b| b + b / 8).collect();
                    TableBuilder::sized(table, opts, h.rows + h.rows / 8, &bytes)
                }
                None => TableBuilder::new(table, opts, FIRST_ROWS),
            }
        })
    }

    /// Finish the batches (as [`BatchSet::finish`]) and leave this set empty, remembering how
    /// large each table's builders grew so that the next ones start at that size.
    pub fn take_batches(&mut self) -> Vec<(TableId, i64, RecordBatch)> {
        let mut seen: FxHashMap<TableId, SizeHint> = FxHashMap::default();
        for ((table, _), b) in &self.builders {
            let hint = seen.entry(*table).or_default();
            hint.rows = hint.rows.max(b.rows);
            hint.bytes.resize(b.cols.len(), 0);
            for (max, col) in hint.bytes.iter_mut().zip(&b.cols) {
                if let ColBuilder::Str(c) = col {
                    *max = (*max).max(c.data.len());
                }
            }
        }
        self.hints.extend(seen);
        let set = BatchSet {
            builders: std::mem::take(&mut self.builders),
            opts: self.opts,
            hints: FxHashMap::default(),
        };
        set.finish()
    }

    pub fn rows(&self) -> usize {
        self.builders.values().map(|b| b.rows).sum()
    }

    pub fn size(&self) -> usize {
        self.builders.values().map(TableBuilder::size).sum()
    }

    /// The finished batches, sorted by (table, hour) so that output order is deterministic.
    pub fn finish(self) -> Vec<(TableId, i64, RecordBatch)> {
        let mut out: Vec<_> = self
            .builders
            .into_iter()
            .map(|((t, h), b)| (t, h, b.finish()))
            .collect();
        out.sort_by_key(|(t, h, _)| (*t, *h));
        out
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;

    use super::*;

    #[test]
    #[should_panic(expected = "at most 2 GiB")]
    fn an_offset_past_i32_is_refused_not_wrapped() {
        end_offset(i32::MAX as usize + 1);
    }

    #[test]
    fn offsets_up_to_i32_max_are_kept() {
        assert_eq!(end_offset(i32::MAX as usize), i32::MAX);
    }

    /// A writer that panics half-way leaves nothing behind: the next value starts where the
    /// last complete one ended, so no stray text joins a value.
    #[test]
    fn a_writer_that_panics_leaves_no_bytes_behind() {
        let mut col = StrCol::new(4, 16);
        col.push("a");
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: appends ASCII only.
            unsafe {
                col.push_written(|out| {
                    out.extend_from_slice(b"half");
                    panic!("writer failed");
                })
            }
        }));
        assert!(caught.is_err());
        col.push("b");
        // SAFETY: appends ASCII only.
        let wrote = unsafe {
            col.push_written(|out| {
                out.extend_from_slice(b"dropped");
                false
            })
        };
        assert!(!wrote);
        col.push_null();
        let array = col.finish();
        array.to_data().validate_full().unwrap();
        let strings = array.as_string::<i32>();
        assert_eq!(strings.len(), 4);
        assert_eq!((strings.value(0), strings.value(1)), ("a", "b"));
        assert!(strings.is_null(2) && strings.is_null(3));
        assert_eq!(strings.value_data(), b"ab");
    }

    /// Small all-null columns of two batches are one shared array of the column's type; a
    /// column with a value, or a large one, is its own.
    #[test]
    fn small_all_null_columns_share_one_array() {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let column = |la: LaType, values: &[Option<&str>]| {
            let mut c = ColBuilder::new(la, values.len(), 0);
            for v in values {
                match (v, &mut c) {
                    (Some(v), ColBuilder::Str(s)) => s.push(v),
                    (Some(_), ColBuilder::Time(t)) => t.push(7),
                    (Some(_), _) => unreachable!(),
                    (None, c) => c.push_null(),
                }
            }
            c
        };
        let a = column(LaType::Datetime, &[None, None]).finish(&ts);
        let b = column(LaType::Datetime, &[None, None]).finish(&ts);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!((a.data_type(), a.len(), a.null_count()), (&ts, 2, 2));
        let with_value = column(LaType::Datetime, &[None, Some("")]).finish(&ts);
        assert_eq!(with_value.null_count(), 1);
        assert_eq!(
            with_value
                .as_primitive::<TimestampMicrosecondType>()
                .value(1),
            7
        );

        let s1 = column(LaType::String, &[None]).finish(&DataType::Utf8);
        let s2 = column(LaType::String, &[None]).finish(&DataType::Utf8);
        assert!(Arc::ptr_eq(&s1, &s2) && s1.is_null(0));
        s1.to_data().validate_full().unwrap();
        let large = vec![None; SHARED_NULL_ROWS + 1];
        let l1 = column(LaType::String, &large).finish(&DataType::Utf8);
        let l2 = column(LaType::String, &large).finish(&DataType::Utf8);
        assert!(!Arc::ptr_eq(&l1, &l2));
        assert_eq!(l1.null_count(), SHARED_NULL_ROWS + 1);
    }
}
