//! Criterion benches of each hot-path stage over the same generated envelopes: decode (simd-json
//! parse into the reused tape), decode + normalize into Arrow builders, and Parquet encode of the
//! resulting batches (with each table's writer properties, as `convert` writes them). The records
//! span one hour, so the encode bench writes one file per table, not the per-file overhead of
//! many tiny partitions.

use aad_benches::corpus;
use aad_ingest::sink::parquet::{file_properties, DEFAULT_ZSTD_LEVEL};
use aad_schemas::{BatchSet, Decoder, MessageContext, Normalizer, SchemaOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use parquet::arrow::ArrowWriter;

fn normalize_all(
    messages: &[Vec<u8>],
    decoder: &mut Decoder,
    normalizer: &mut Normalizer,
) -> BatchSet {
    let mut set = BatchSet::new(SchemaOptions::default());
    let mut rejected = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let ctx = MessageContext {
            source: "bench",
            partition: None,
            sequence: i as i64,
            enqueued: None,
        };
        decoder.message(m, &ctx, normalizer, &mut set, &mut rejected);
    }
    set
}

fn hot_path(c: &mut Criterion) {
    let messages = corpus(4000, 0.05, 1);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("hot_path");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);

    let mut decoder = Decoder::default();
    group.bench_function("decode", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| decoder.parse_only(m).unwrap_or(0))
                .sum::<usize>()
        })
    });

    let mut normalizer = Normalizer::new(SchemaOptions::default());
    group.bench_function("decode_normalize", |b| {
        b.iter(|| normalize_all(&messages, &mut decoder, &mut normalizer).rows())
    });

    let batches = normalize_all(&messages, &mut decoder, &mut normalizer).finish();
    // Each table's properties as the lake writes it (dictionaries and chunk statistics only
    // where they pay), at the default zstd level.
    let props = file_properties(DEFAULT_ZSTD_LEVEL).unwrap().writer;
    group.bench_function("parquet_encode", |b| {
        b.iter(|| {
            let mut total = 0;
            for (table, _, batch) in &batches {
                let props = props[table].clone();
                let mut w = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
                w.write(batch).unwrap();
                total += w.into_inner().unwrap().len();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
