//! Shared setup for the hot-path benches and the `ceiling` measurement: a realistic generated
//! corpus split into messages.

use aad_ingest::generate::{generate, GenerateOptions};

/// `records` generated records as envelope messages (one per line) spanning `hours`, with a
/// share of quirks.
pub fn corpus(records: u64, quirk_share: f64, hours: u32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let opts = GenerateOptions {
        records,
        seed: 11,
        quirk_share,
        span_hours: hours,
        ..Default::default()
    };
    generate(&opts, &mut out).expect("generate");
    split_lines(&out)
}

/// The non-empty lines of `bytes`.
pub fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}
