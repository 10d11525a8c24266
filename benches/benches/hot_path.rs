//! Criterion benches of each hot-path stage over the same generated envelopes: decode (simd-json
//! parse into the reused tape), decode + normalize into Arrow builders, and Parquet encode of the
//! resulting batches (with each table's writer properties, as `convert` writes them). The records
//! span one hour, so the encode bench writes one file per table, not the per-file overhead of
//! many tiny partitions. That overhead is `lake_segments`: the same records cut into segments
//! of a few hundred, each written through the lake destination into its own files, as the
//! service writes a partition's segment (over 32 partitions most segments are that small).

use aad_benches::corpus;
use aad_ingest::destination::lake::LakeDestination;
use aad_ingest::destination::{Destination, SourcePartition, TableBatch};
use aad_ingest::sink::parquet::{file_properties, LakeOptions, DEFAULT_ZSTD_LEVEL};
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

    // 16 segments of 250 records (about 1.2 MB of envelopes each), decoded beforehand.
    let segments: Vec<Vec<TableBatch>> = messages
        .chunks(messages.len().div_ceil(16))
        .map(|part| normalize_all(part, &mut decoder, &mut normalizer).finish())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir_in(shm_or_tmp()).unwrap();
    let lake = aad_ingest::store::open(dir.path().to_str().unwrap()).unwrap();
    let destination = LakeDestination::new(
        "lake",
        lake,
        LakeOptions::default(),
        rt.handle().clone(),
        false,
    )
    .unwrap();
    let source = SourcePartition {
        id: 1,
        source: "bench".into(),
        partition: Some("0".into()),
        epoch: 0,
        incarnation: None,
    };
    group.bench_function("lake_segments", |b| {
        b.iter(|| {
            let mut files = 0;
            for (i, batches) in segments.iter().enumerate() {
                let mut segment = destination.open(&source, i as i64).unwrap();
                segment.write(batches.clone()).unwrap();
                files += segment.close(i as i64).unwrap().files.len();
            }
            files
        })
    });
    group.finish();
}

/// RAM when there is a /dev/shm (as `benches/compare` writes), so the disk's noise stays out.
fn shm_or_tmp() -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    match shm.is_dir() {
        true => shm.to_path_buf(),
        false => std::env::temp_dir(),
    }
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
