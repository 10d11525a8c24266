//! Sources: where raw message bytes come from, with their position.

pub mod archive;
pub mod capture;
pub mod eventhubs;
pub mod files;
