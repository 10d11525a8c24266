//! Sinks: where normalized rows and rejected messages become durable.

pub mod deadletter;
pub mod inflight;
pub mod parquet;
