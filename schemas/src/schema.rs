//! Arrow schemas derived from the catalogue.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::extension::Json;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::catalogue::{extra, LaType, Table};

/// Options that change the physical schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchemaOptions {
    /// Store `datetime` as nanoseconds instead of microseconds (Spark and Fabric read µs).
    pub nanosecond_timestamps: bool,
}

impl SchemaOptions {
    pub fn time_unit(self) -> TimeUnit {
        if self.nanosecond_timestamps {
            TimeUnit::Nanosecond
        } else {
            TimeUnit::Microsecond
        }
    }
}

/// The Arrow type of a Log Analytics type.
pub fn arrow_type(la: LaType, opts: SchemaOptions) -> DataType {
    match la {
        LaType::String | LaType::Guid | LaType::Dynamic => DataType::Utf8,
        LaType::Datetime => DataType::Timestamp(opts.time_unit(), Some("UTC".into())),
        LaType::Int => DataType::Int32,
        LaType::Long => DataType::Int64,
        LaType::Real => DataType::Float64,
        LaType::Bool => DataType::Boolean,
    }
}

/// A field for a Log Analytics column: `dynamic` carries the canonical `arrow.json` extension,
/// which the Parquet writer turns into the JSON logical type.
pub fn arrow_field(name: &str, la: LaType, opts: SchemaOptions) -> Field {
    let field = Field::new(name, arrow_type(la, opts), true);
    if la == LaType::Dynamic {
        field.with_extension_type(Json::default())
    } else {
        field
    }
}

/// The columns every table carries after its own, in order, with their types.
pub fn trailing_columns(table: &Table) -> Vec<(&'static str, LaType)> {
    let mut cols = Vec::with_capacity(7);
    if table.is_unknown {
        cols.push((extra::RAW_RECORD, LaType::Dynamic));
    }
    cols.extend([
        (extra::ADDITIONAL_FIELDS, LaType::Dynamic),
        (extra::SOURCE, LaType::String),
        (extra::PARTITION, LaType::String),
        (extra::SEQUENCE_NUMBER, LaType::Long),
        (extra::RECORD_INDEX, LaType::Int),
        (extra::ENQUEUED_TIME, LaType::Datetime),
    ]);
    cols
}

/// The Arrow schema of a table: its Log Analytics columns, then the trailing columns.
pub fn arrow_schema_for(table: &Table, opts: SchemaOptions) -> SchemaRef {
    let mut fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| arrow_field(c.name, c.la_type, opts))
        .collect();
    fields.extend(
        trailing_columns(table)
            .into_iter()
            .map(|(n, t)| arrow_field(n, t, opts)),
    );
    let metadata = HashMap::from([("aad.table".to_string(), table.name.to_string())]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The Arrow schema of a catalogue table, made once per table and time unit: every builder of
/// a table shares it (records spread over thousands of hours make a builder per hour).
pub fn shared_schema_for(table: &Table, opts: SchemaOptions) -> SchemaRef {
    use std::sync::OnceLock;
    static SCHEMAS: OnceLock<[Vec<SchemaRef>; 2]> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| {
        let tables = &crate::Catalogue::get().tables;
        let make = |nanos| {
            let opts = SchemaOptions {
                nanosecond_timestamps: nanos,
            };
            tables.iter().map(|t| arrow_schema_for(t, opts)).collect()
        };
        [make(false), make(true)]
    });
    Arc::clone(&all[opts.nanosecond_timestamps as usize][table.id.0 as usize])
}
