//! Sources: where raw message bytes come from, with their position.

pub mod eventhubs;
pub mod files;
