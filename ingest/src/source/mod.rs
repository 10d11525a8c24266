//! Sources: where raw message bytes come from, with their position.

pub mod files;
