//! The `aad-ingest` command line: a thin layer over the library.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use aad_ingest::config::{Purpose, RunConfig};
use aad_ingest::convert::{convert, ConvertOptions, DEFAULT_CHUNK_MIB, DEFAULT_MAX_MESSAGE_MIB};
use aad_ingest::generate::{
    generate, generate_capture, parse_mix, CaptureOptions, Format, GenerateOptions, DEFAULT_MIX,
};
use aad_ingest::ops::logs::{self, LogFormat};
use aad_ingest::report;
use aad_ingest::sink::parquet::{
    LakeOptions, DEFAULT_FILE_MIB, DEFAULT_MEMORY_MIB, DEFAULT_ROW_GROUP_MIB, DEFAULT_ZSTD_LEVEL,
};
use aad_ingest::source::capture::ArchiveNameFormat;
use aad_schemas::time::parse_timestamp;
use aad_schemas::{Catalogue, SchemaOptions};
use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// mimalloc keeps freed pages for reuse: the Parquet writer allocates (and frees) compression
/// contexts per column chunk, which with the system allocator costs a page fault storm.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "aad-ingest",
    version,
    about = "Entra ID (Azure AD) activity logs into a typed Parquet lake"
)]
struct Cli {
    /// Log lines as text or JSON lines; `auto`: text on a terminal, JSON otherwise. The filter
    /// is `AAD_LOG` (e.g. `info`, `aad_ingest=debug`).
    #[arg(long, global = true, value_enum, default_value = "auto")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert Entra diagnostic-log files (NDJSON, envelopes, JSON documents) into the lake.
    Convert(ConvertArgs),
    /// Write a realistic synthetic capture (seeded, deterministic).
    Generate(GenerateArgs),
    /// The local default: generate a sample capture (once) and convert it into ./lake.
    Quickstart(QuickstartArgs),
    /// Run as a service: drain an Event Hub into the lake with end-to-end checkpoints.
    Run(RunArgs),
    /// Check a config file offline (keys, types, ranges, URLs, auth, secret variables, routes
    /// against the tables' columns) and print it as it takes effect, secrets masked.
    CheckConfig(CheckConfigArgs),
    /// Per partition: its owner, checkpoint, the hub's last enqueued event and the lag.
    Status(StatusArgs),
    /// Print the Log Analytics side of the catalogue: per table, the `_CL` custom table, the
    /// DCR stream and data flow, and the column renames; `--arm`/`--bicep` print the templates
    /// that deploy them (as in config/azure/).
    Schema {
        /// Only these tables (Log Analytics names); all by default.
        names: Vec<String>,
        /// The ARM template (JSON) for the tables, the DCE and the DCRs.
        #[arg(long, conflicts_with = "bicep")]
        arm: bool,
        /// The same as Bicep.
        #[arg(long)]
        bicep: bool,
    },
    /// Send events from files into an event hub (or the in-process pipeline) at a set rate:
    /// load tests and demos.
    Replay(aad_ingest::replay::ReplayArgs),
    /// Print a shipped analysis (config/queries/) for DuckDB over the lake, paths filled in, or
    /// with --kql its twin over the `_CL` tables in Log Analytics; no name lists them.
    Query(aad_ingest::query::QueryArgs),
    /// Delete the data files of the lake's Delta tables that no version references any more
    /// (left by a killed writer, or removed by a compaction), once older than the retention.
    Vacuum(aad_ingest::destination::delta::maintenance::VacuumArgs),
    /// Rewrite the small files of each closed hour of the lake's Delta tables into files near
    /// the target size, in one commit per table (safe beside `run` and another `compact`).
    Compact(aad_ingest::destination::delta::maintenance::CompactArgs),
    /// Print the table catalogue as Markdown: every column, its type, and where it comes from.
    Tables {
        /// Only these tables (Log Analytics names); all by default.
        names: Vec<String>,
    },
}

#[derive(Args)]
struct ConvertArgs {
    /// Files, directories, globs; `-` for stdin.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Lake root: a directory, or az://container/path, s3://bucket/path, gs://bucket/path.
    /// With `-c`, adds a lake that takes every table.
    #[arg(long, short, required_unless_present = "config")]
    out: Option<String>,
    /// Destinations and routes from a config file (the `[[destination]]`s, `[lake]`,
    /// `[dead_letter]`, `drop` of `run`'s config; `[source]` and `[checkpoint]` are ignored).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The longest line (or JSON document) decoded, MiB; a longer one goes to the dead letter
    /// with its line and size, without being held in memory.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_MIB)]
    max_message_mib: usize,
    #[command(flatten)]
    lake: LakeArgs,
    #[command(flatten)]
    capture: CaptureSelectArgs,
}

/// `convert --capture`: the inputs are Event Hubs Capture archives.
#[derive(Args)]
struct CaptureSelectArgs {
    /// Read the inputs (directories or object-store URLs) as Event Hubs Capture archives: rows
    /// carry the hub, partition and sequence numbers `run` gives the same events.
    #[arg(long)]
    capture: bool,
    /// The hub's archive name format (every field mandatory, any order).
    #[arg(long, requires = "capture", default_value = aad_ingest::source::capture::DEFAULT_ARCHIVE_NAME_FORMAT)]
    archive_name_format: String,
    /// Only Capture windows (archive hours) starting at or after this time (RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// Only Capture windows (archive hours) starting before this time (RFC 3339).
    #[arg(long)]
    to: Option<String>,
    /// Only these partitions (comma-separated ids).
    #[arg(long, requires = "capture", value_delimiter = ',')]
    partitions: Vec<String>,
    /// Backfill, then live: take each partition through the config's checkpoint store as `run`
    /// does, skip what it has checkpointed, and checkpoint at the last event converted.
    #[arg(long, requires_all = ["capture", "config"])]
    checkpoint: bool,
    /// Read the inputs (directories or object-store URLs) as Entra storage-account archives:
    /// `insights-logs-<category>/…/y=/m=/d=/h=/m=00/PT1H.json`, whatever the prefix.
    #[arg(long, conflicts_with = "capture")]
    archive: bool,
    /// With --archive: only these categories (comma-separated; Entra's names or table names).
    #[arg(long, requires = "archive", value_delimiter = ',')]
    categories: Vec<String>,
    /// Take shard K of N (0 <= K < N) of the Capture partitions or archive blobs; each shard
    /// keeps its own progress record in the output (a Kubernetes Indexed Job: K is
    /// JOB_COMPLETION_INDEX).
    #[arg(long)]
    shard: Option<String>,
}

impl CaptureSelectArgs {
    fn time(flag: &str, v: &Option<String>) -> Result<Option<i64>> {
        v.as_deref()
            .map(|t| {
                parse_timestamp(t)
                    .map(|ns| ns.div_euclid(1_000_000_000))
                    .with_context(|| format!("--{flag} {t:?} is not a timestamp"))
            })
            .transpose()
    }

    fn archive(&self) -> Result<Option<aad_ingest::source::archive::ArchiveSelection>> {
        if !self.archive {
            return Ok(None);
        }
        Ok(Some(aad_ingest::source::archive::ArchiveSelection {
            from: Self::time("from", &self.from)?,
            to: Self::time("to", &self.to)?,
            categories: self.categories.clone(),
        }))
    }

    fn input(&self) -> Result<Option<aad_ingest::convert::CaptureInput>> {
        if !self.capture {
            if !self.archive && (self.from.is_some() || self.to.is_some()) {
                bail!("--from and --to select Capture windows or archive hours: give --capture or --archive");
            }
            return Ok(None);
        }
        let time = Self::time;
        Ok(Some(aad_ingest::convert::CaptureInput {
            format: ArchiveNameFormat::parse(&self.archive_name_format)
                .context("--archive-name-format")?,
            selection: aad_ingest::source::capture::Selection {
                from: time("from", &self.from)?,
                to: time("to", &self.to)?,
                partitions: self.partitions.clone(),
            },
            checkpoint: self.checkpoint,
        }))
    }
}

#[derive(Args)]
struct LakeArgs {
    /// Store datetime columns as nanoseconds (default microseconds, which Spark and Fabric read).
    #[arg(long)]
    nanos: bool,
    /// `parquet`: Hive directories of files; `delta`: one Delta table per Log Analytics table,
    /// committed atomically (what Fabric, Databricks and Spark read as tables).
    #[arg(long, value_enum, default_value = "parquet")]
    format: LakeFormatArg,
    /// Roll files at about this many MiB.
    #[arg(long, default_value_t = DEFAULT_FILE_MIB)]
    file_mib: usize,
    /// Encode a row group once this many MiB of rows wait for a file.
    #[arg(long, default_value_t = DEFAULT_ROW_GROUP_MIB)]
    row_group_mib: usize,
    /// Bound on rows waiting to be encoded across all open files, MiB.
    #[arg(long, default_value_t = DEFAULT_MEMORY_MIB)]
    memory_mib: usize,
    /// zstd level (1 fastest … 22 smallest).
    #[arg(long, default_value_t = DEFAULT_ZSTD_LEVEL)]
    zstd_level: i32,
    /// Input MiB per unit of parallel work.
    #[arg(long, default_value_t = DEFAULT_CHUNK_MIB)]
    chunk_mib: usize,
    /// Threads for decoding and encoding (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LakeFormatArg {
    Parquet,
    Delta,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Envelope,
    Records,
    /// Envelopes archived as Event Hubs Capture does: Avro files under `--out` (a directory).
    Capture,
}

#[derive(Args)]
struct GenerateArgs {
    #[arg(long, default_value_t = 10_000)]
    records: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value = "envelope")]
    format: FormatArg,
    /// Output file; `-` for stdout.
    #[arg(long, short)]
    out: String,
    /// Records per envelope message (messages also close before 1 MB).
    #[arg(long, default_value_t = 100)]
    per_message: usize,
    /// Category weights, e.g. `SignInLogs=10,AuditLogs=5` (default: a real tenant's mix).
    #[arg(long)]
    mix: Option<String>,
    /// Share of records given one quirk of real data (0–1); a tenth of it adds invalid messages.
    #[arg(long, default_value_t = 0.05)]
    quirks: f64,
    /// Time of the first record.
    #[arg(long, default_value = "2026-11-01T00:00:00Z")]
    start: String,
    /// Hours the records span.
    #[arg(long, default_value_t = 24)]
    hours: u32,
    /// Distinct users.
    #[arg(long, default_value_t = 2000)]
    users: usize,
    /// Conditional-access policies of the tenant, listed on every user sign-in: the main knob of
    /// sign-in size (18: 7–8 KB; 40: about 13 KB). Entra allows at most 195.
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u16).range(0..=195))]
    policies: u16,
    #[command(flatten)]
    capture: CaptureArgs,
}

/// `--format capture`: the hub whose Capture is imitated.
#[derive(Args)]
struct CaptureArgs {
    /// The namespace's short name, as Capture puts it in paths.
    #[arg(long, default_value = "aad-ingest")]
    capture_namespace: String,
    #[arg(long, default_value = "entra")]
    capture_hub: String,
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    capture_partitions: u32,
    /// Capture's time window (Azure allows 60–900 s).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    capture_window_secs: i64,
    /// Avro codec: `deflate` (Capture's `AvroDeflate`) or `null` (`Avro`).
    #[arg(long, default_value = "deflate", value_parser = ["deflate", "null"])]
    capture_codec: String,
    /// The hub's archive name format (every field mandatory, any order).
    #[arg(long, default_value = aad_ingest::source::capture::DEFAULT_ARCHIVE_NAME_FORMAT)]
    archive_name_format: String,
}

#[derive(Args)]
struct RunArgs {
    /// The service's TOML config (see config/README.md).
    #[arg(long, short)]
    config: PathBuf,
}

#[derive(Args)]
struct CheckConfigArgs {
    /// The config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Check it for `run` (needs `[source]` and `[checkpoint]`) or for `convert -c`.
    #[arg(long = "for", value_enum, default_value = "run")]
    purpose: PurposeArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum PurposeArg {
    Run,
    Convert,
}

#[derive(Args)]
struct StatusArgs {
    /// The service's config file (its `[source]` and `[checkpoint]`).
    #[arg(long, short)]
    config: PathBuf,
    /// One JSON document, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct QuickstartArgs {
    /// Records in the sample capture.
    #[arg(long, default_value_t = 20_000)]
    records: u64,
    /// Where the capture is written (kept for reruns).
    #[arg(long, default_value = "capture/entra-sample.ndjson")]
    capture: PathBuf,
    /// Lake root.
    #[arg(long, default_value = "lake")]
    out: String,
}

fn main() {
    aad_ingest::memory::tune_allocator();
    let cli = Cli::parse();
    // The service reports its progress; the batch commands stay quiet unless asked.
    let default_filter = match cli.command {
        Command::Run(_) => "aad_ingest=info,warn",
        _ => "warn",
    };
    logs::register_secrets_from_env();
    logs::init(cli.log_format, default_filter);
    if let Err(e) = run(cli) {
        eprintln!("error: {}", logs::redact(&format!("{e:#}")));
        std::process::exit(2);
    }
    exit_done();
}

/// Leave once a command has done all its work: every file closed, every dead letter stored,
/// stdout flushed here. This skips the runtime's shutdown, the destructors and the allocator's
/// exit handler, which took 20-90 ms after `convert`'s report (2-9 % of a 250 MB run) to hand
/// back memory that the exit frees anyway.
fn exit_done() -> ! {
    let flushed = std::io::stdout().flush().is_ok();
    let code = if flushed { 0 } else { 2 };
    #[cfg(unix)]
    // SAFETY: _exit only ends the process; nothing of ours is left unwritten.
    unsafe {
        libc::_exit(code)
    }
    #[cfg(not(unix))]
    std::process::exit(code)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn lake_options(a: &LakeArgs) -> Result<(SchemaOptions, LakeOptions)> {
    for (name, v) in [
        ("--file-mib", a.file_mib),
        ("--row-group-mib", a.row_group_mib),
        ("--memory-mib", a.memory_mib),
        ("--chunk-mib", a.chunk_mib),
    ] {
        if v == 0 {
            bail!("{name} must be at least 1");
        }
    }
    if !(1..=22).contains(&a.zstd_level) {
        bail!("--zstd-level must be between 1 and 22");
    }
    if let Some(t) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global()
            .context("setting --threads")?;
    }
    Ok((
        SchemaOptions {
            nanosecond_timestamps: a.nanos,
        },
        LakeOptions {
            target_file_bytes: a.file_mib << 20,
            row_group_bytes: a.row_group_mib << 20,
            memory_budget: a.memory_mib << 20,
            zstd_level: a.zstd_level,
        },
    ))
}

fn convert_options(
    inputs: Vec<String>,
    out: Option<String>,
    lake: &LakeArgs,
) -> Result<ConvertOptions> {
    let (schema, lake_opts) = lake_options(lake)?;
    if lake.nanos && lake.format == LakeFormatArg::Delta {
        bail!(
            "--nanos: Delta has no nanosecond timestamp type; --format delta stores microseconds"
        );
    }
    Ok(ConvertOptions {
        inputs,
        out,
        schema,
        lake: lake_opts,
        format: match lake.format {
            LakeFormatArg::Parquet => aad_ingest::config::LakeFormat::Parquet,
            LakeFormatArg::Delta => aad_ingest::config::LakeFormat::Delta,
        },
        chunk_bytes: lake.chunk_mib << 20,
        ..Default::default()
    })
}

fn run_convert(opts: ConvertOptions) -> Result<()> {
    let opts = ConvertOptions {
        progress: std::io::stderr().is_terminal(),
        ..opts
    };
    let rt = runtime()?;
    let report = convert(&opts, rt.handle().clone())?;
    print!("{}", report::render(&report));
    // Nothing is left running on it: do not wait for its idle threads.
    rt.shutdown_background();
    let failures = report.failures();
    if !failures.is_empty() {
        bail!(
            "not every routed row was delivered (the rest is recorded: a rerun sends only what is missing):\n  {}",
            failures.join("\n  ")
        );
    }
    Ok(())
}

fn run_generate(a: GenerateArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&a.quirks) {
        bail!("--quirks must be between 0 and 1");
    }
    if a.per_message == 0 {
        bail!("--per-message must be at least 1");
    }
    let start = parse_timestamp(&a.start)
        .with_context(|| format!("--start {:?} is not a timestamp", a.start))?;
    let opts = GenerateOptions {
        records: a.records,
        seed: a.seed,
        format: match a.format {
            FormatArg::Envelope | FormatArg::Capture => Format::Envelope,
            FormatArg::Records => Format::Records,
        },
        records_per_message: a.per_message,
        mix: match &a.mix {
            Some(m) => parse_mix(m)?,
            None => DEFAULT_MIX.to_vec(),
        },
        quirk_share: a.quirks,
        start_epoch: start.div_euclid(1_000_000_000),
        span_hours: a.hours.max(1),
        users: a.users.max(1),
        policies: a.policies.into(),
    };
    if a.format == FormatArg::Capture {
        return run_generate_capture(&opts, &a);
    }
    let report = if a.out == "-" {
        generate(&opts, &mut BufWriter::new(std::io::stdout().lock()))?
    } else {
        if let Some(dir) = PathBuf::from(&a.out)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)?;
        }
        let file =
            std::fs::File::create(&a.out).with_context(|| format!("cannot create {}", a.out))?;
        generate(&opts, &mut BufWriter::with_capacity(1 << 20, file))?
    };
    eprintln!(
        "wrote {} records in {} messages ({} deliberately invalid), {:.1} MB to {}",
        report.records,
        report.messages,
        report.invalid_messages,
        report.bytes as f64 / 1e6,
        a.out
    );
    Ok(())
}

fn run_generate_capture(opts: &GenerateOptions, a: &GenerateArgs) -> Result<()> {
    if a.out == "-" {
        bail!("--format capture writes a directory of Avro files: give --out a directory");
    }
    let c = &a.capture;
    let capture = CaptureOptions {
        dir: PathBuf::from(&a.out),
        namespace: c.capture_namespace.clone(),
        hub: c.capture_hub.clone(),
        partitions: c.capture_partitions,
        window_secs: c.capture_window_secs,
        deflate: c.capture_codec == "deflate",
        format: ArchiveNameFormat::parse(&c.archive_name_format)
            .context("--archive-name-format")?,
    };
    let report = generate_capture(opts, &capture)?;
    eprintln!(
        "wrote {} records in {} messages ({} deliberately invalid), {:.1} MB of bodies, into {} \
         Capture files ({} empty) under {}",
        report.generated.records,
        report.generated.messages,
        report.generated.invalid_messages,
        report.generated.bytes as f64 / 1e6,
        report.files + report.empty_files,
        report.empty_files,
        a.out
    );
    Ok(())
}

fn run_quickstart(a: QuickstartArgs) -> Result<()> {
    if !a.capture.exists() {
        if let Some(dir) = a.capture.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::File::create(&a.capture)?;
        let mut w = BufWriter::new(file);
        let r = generate(
            &GenerateOptions {
                records: a.records,
                ..Default::default()
            },
            &mut w,
        )?;
        w.flush()?;
        println!(
            "generated {} records ({:.1} MB) into {}",
            r.records,
            r.bytes as f64 / 1e6,
            a.capture.display()
        );
    } else {
        println!("using the existing capture {}", a.capture.display());
    }
    // The library defaults: the same lake a plain `convert` writes.
    run_convert(ConvertOptions {
        inputs: vec![a.capture.to_string_lossy().into_owned()],
        out: Some(a.out.clone()),
        ..Default::default()
    })?;
    let root = std::fs::canonicalize(&a.out).unwrap_or_else(|_| PathBuf::from(&a.out));
    println!(
        "\nQuery it with DuckDB (pip install duckdb, or the duckdb CLI):\n  duckdb -c \"SELECT UserPrincipalName, ResultType, count(*) AS n FROM read_parquet('{0}/table=AADNonInteractiveUserSignInLogs/**/*.parquet', hive_partitioning=true) GROUP BY ALL ORDER BY n DESC LIMIT 10\"\n  duckdb -c \"SELECT \\\"table\\\", count(*) FROM read_parquet('{0}/**/*.parquet', hive_partitioning=true, union_by_name=true) GROUP BY ALL\"",
        root.display()
    );
    Ok(())
}

fn run_service(a: RunArgs) -> Result<()> {
    let config = RunConfig::load(&a.config)?;
    let rt = runtime()?;
    rt.block_on(async {
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                _ = int.recv() => tracing::info!("SIGINT: stopping"),
            }
            let _ = stop_tx.send(true);
        });
        let r = aad_ingest::service::run(config, stop).await?;
        let secs = r.elapsed.as_secs_f64().max(1e-9);
        // Every record routed to a table became one row of a committed segment.
        eprint!("{}", report::tables(&r.tables, |name| {
            Catalogue::get()
                .by_name(name)
                .map_or(0, |t| r.tables.tables[t.id.0 as usize].records)
        }));
        eprintln!(
            "{} events ({:.1} MB, {:.0} events/s), {} records, {} rows, {} dead letters in {:.1} s",
            r.events,
            r.bytes as f64 / 1e6,
            r.events as f64 / secs,
            r.records,
            r.rows,
            r.dead_letters,
            secs
        );
        eprint!("{}", report::destinations(&r.destinations));
        if !r.clean {
            bail!("stopped before every partition committed (see the log above); nothing is lost: uncommitted events are read again at the next start");
        }
        Ok(())
    })
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Convert(a) => {
            let mut opts = convert_options(a.inputs, a.out, &a.lake)?;
            if a.max_message_mib == 0 {
                bail!("--max-message-mib must be at least 1");
            }
            opts.max_message_bytes = a.max_message_mib << 20;
            opts.capture = a.capture.input()?;
            opts.archive = a.capture.archive()?;
            if let Some(shard) = &a.capture.shard {
                if !a.capture.capture && !a.capture.archive {
                    bail!(
                        "--shard splits a Capture or archive backfill: give --capture or --archive"
                    );
                }
                opts.shard = Some(aad_ingest::progress::Shard::parse(shard)?);
            }
            if let Some(path) = &a.config {
                let purpose = Purpose::Convert {
                    extra_lake: opts.out.is_some(),
                };
                opts.config = Some(RunConfig::load_for(path, purpose)?);
            }
            run_convert(opts)
        }
        Command::Schema { names, arm, bicep } => {
            if arm {
                print!("{}", aad_schemas::loganalytics::arm_template());
            } else if bicep {
                print!("{}", aad_schemas::loganalytics::bicep());
            } else {
                let tables = tables_named(&names)?;
                print!("{}", aad_schemas::loganalytics::schema_text(&tables));
            }
            Ok(())
        }
        Command::Generate(a) => run_generate(a),
        Command::Quickstart(a) => run_quickstart(a),
        Command::Run(a) => run_service(a),
        Command::CheckConfig(a) => {
            let purpose = match a.purpose {
                PurposeArg::Run => Purpose::Run,
                PurposeArg::Convert => Purpose::Convert { extra_lake: false },
            };
            let config = RunConfig::load_for(&a.config, purpose)?;
            println!("# {}: valid; as it takes effect:", a.config.display());
            print!("{}", config.effective()?);
            Ok(())
        }
        Command::Status(a) => {
            let config = RunConfig::load(&a.config)?;
            let rt = runtime()?;
            let rows = rt.block_on(aad_ingest::ops::status::collect(&config))?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", aad_ingest::ops::status::render(&rows));
            }
            Ok(())
        }
        Command::Query(a) => aad_ingest::query::run(&a),
        Command::Replay(a) => aad_ingest::replay::run(&a),
        Command::Vacuum(a) => {
            let rt = runtime()?;
            let done = aad_ingest::destination::delta::maintenance::run_vacuum(&a, rt.handle());
            rt.shutdown_background();
            done
        }
        Command::Compact(a) => {
            let rt = runtime()?;
            let done = aad_ingest::destination::delta::maintenance::run_compact(&a, rt.handle());
            rt.shutdown_background();
            done
        }
        Command::Tables { names } => {
            let tables = tables_named(&names)?;
            print!("{}", aad_schemas::catalogue::markdown(&tables));
            Ok(())
        }
    }
}

/// The catalogue's tables of these names, or all of them.
fn tables_named(names: &[String]) -> Result<Vec<&'static aad_schemas::Table>> {
    let cat = Catalogue::get();
    if names.is_empty() {
        return Ok(cat.tables.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            cat.by_name(n)
                .with_context(|| format!("no table {n:?} in the catalogue"))
        })
        .collect()
}
