//! `aad-ingest`: Entra ID activity logs from Event Hubs, captures and files into a typed Parquet
//! lake. The flow, one module per stage: [`source`] (bytes with their position) →
//! `aad_schemas::decode` / `normalize` (records → typed columns) → [`sink`] (Parquet lake, dead
//! letters). [`convert`] runs that flow over files; [`generate`] makes realistic captures.

pub mod auth;
pub mod checkpoint;
pub mod config;
pub mod convert;
pub mod destination;
pub mod generate;
pub mod memory;
pub mod ops;
pub mod progress;
pub mod query;
pub mod replay;
pub mod report;
pub mod route;
pub mod service;
pub mod sink;
pub mod source;
pub mod store;
