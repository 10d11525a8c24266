//! `aad-schemas`: the Entra ID table catalogue and everything derived from it, with no I/O.
//!
//! - [`catalogue`]: one declarative column list per Log Analytics table, the single source of truth;
//! - [`schema`]: the Arrow schemas derived from it;
//! - [`decode`]: message bytes → records (envelope, array, bare record) on simd-json's tape, and
//!   a slower path for valid JSON simd-json refuses;
//! - [`normalize`]: record → typed columns, lenient where real data varies, losing nothing;
//! - [`builders`]: the column builders and per-table, per-hour batches the normalizer fills;
//! - [`time`]: the lenient timestamp parser.

pub mod asim;
pub mod builders;
pub mod catalogue;
pub mod decode;
pub mod filter;
pub mod json;
pub mod loganalytics;
pub mod normalize;
pub mod schema;
mod slow;
pub mod time;

pub use builders::{BatchSet, NO_TIME_HOUR};
pub use catalogue::{Catalogue, LaType, Table, TableId, UNKNOWN_TABLE};
pub use decode::{Decoder, MessageOutcome, Rejected};
pub use normalize::{MessageContext, NormalizeStats, Normalizer, TableCounts};
pub use schema::{arrow_schema_for, SchemaOptions};
