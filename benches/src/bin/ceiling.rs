//! Single-thread decode + normalize speed against simd-json's parse-only speed (`to_tape` into
//! a reused tape) over the same messages: the share of the ceiling the normalizer reaches.
//!
//! usage: ceiling <ndjson file> [rounds]

use std::time::Instant;

use aad_benches::split_lines;
use aad_schemas::{BatchSet, Decoder, MessageContext, Normalizer, SchemaOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    // The same allocator settings as `aad-ingest`, so this measures the product's hot path.
    aad_ingest::memory::tune_allocator();
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: ceiling <ndjson file> [rounds]"))?;
    let rounds: usize = args.get(2).map_or(Ok(3), |r| r.parse())?;
    let messages = split_lines(&std::fs::read(path)?);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let mb = bytes as f64 / 1e6;

    let mut decoder = Decoder::default();
    let mut best_parse = f64::MAX;
    let mut best_norm = f64::MAX;
    // `CEILING_SKIP_PARSE=1` times only decode + normalize (for profiling it alone).
    let skip_parse = std::env::var_os("CEILING_SKIP_PARSE").is_some();
    for _ in 0..rounds {
        let t = Instant::now();
        let mut nodes = 0;
        for m in messages.iter().filter(|_| !skip_parse) {
            nodes += decoder.parse_only(m).map_err(anyhow::Error::msg)?;
        }
        best_parse = best_parse.min(t.elapsed().as_secs_f64());
        std::hint::black_box(nodes);

        let mut normalizer = Normalizer::new(SchemaOptions::default());
        let mut rejected = Vec::new();
        let t = Instant::now();
        let mut set = BatchSet::new(SchemaOptions::default());
        for (i, m) in messages.iter().enumerate() {
            let ctx = MessageContext {
                source: path,
                partition: None,
                sequence: i as i64,
                enqueued: None,
            };
            decoder.message(m, &ctx, &mut normalizer, &mut set, &mut rejected);
            // Hand batches on as `convert` and the service do (`take_batches`, which keeps the
            // builders' sizes for the next ones), so memory stays flat.
            if set.size() > 16 << 20 {
                std::hint::black_box(set.take_batches());
            }
        }
        std::hint::black_box(set.finish());
        best_norm = best_norm.min(t.elapsed().as_secs_f64());
    }
    println!(
        "simd-json to_tape (parse only): {:8.1} MB/s",
        mb / best_parse
    );
    println!(
        "decode + normalize            : {:8.1} MB/s",
        mb / best_norm
    );
    println!(
        "share of the parse-only ceiling: {:.0} %",
        100.0 * best_parse / best_norm
    );
    Ok(())
}
