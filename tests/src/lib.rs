//! Test harness for aad-ingest's end-to-end tests: where the shared samples and reference live,
//! the Python readers (pyarrow, DuckDB) that read the lake back, and running the CLI.
//!
//! Every prerequisite is required: a missing one fails the test with what to run, it never
//! skips. `scripts/test` sets everything up.

pub mod broker;
pub mod loganalytics;
pub mod prometheus;
pub mod service;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aad_ingest::convert::{convert, ConvertOptions, ConvertReport};
use simd_json::prelude::*;
use simd_json::OwnedValue;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn dir_from_env(var: &str, default: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(default));
    assert!(
        p.is_dir(),
        "{} ({var}) is missing: ../shared must sit beside the repo; run scripts/test",
        p.display()
    );
    p
}

/// `../shared/samples/entra`, read in place.
pub fn samples_dir() -> PathBuf {
    dir_from_env("AAD_SAMPLES", "../shared/samples/entra")
}

/// `../shared/reference`.
pub fn reference_dir() -> PathBuf {
    dir_from_env("AAD_REFERENCE", "../shared/reference")
}

/// A tool the test command installs: `$var`, or `default` below the repo root.
fn tool_from_env(var: &str, default: &str, installs: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(default));
    assert!(
        p.is_file(),
        "{} ({var}) is missing: run scripts/test (it {installs})",
        p.display()
    );
    p
}

/// The venv Python with pyarrow and DuckDB (`scripts/setup-python`).
pub fn python() -> PathBuf {
    tool_from_env(
        "AAD_PYTHON",
        ".venv/bin/python",
        "creates the venv with pyarrow and duckdb",
    )
}

fn run_reader(mode: &str, arg: &str) -> OwnedValue {
    run_reader_args(&[mode, arg])
}

fn run_reader_args(args: &[&str]) -> OwnedValue {
    let mode = args[0];
    let out = Command::new(python())
        .arg(repo_root().join("tests/py/read_lake.py"))
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "reader {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bytes = out.stdout;
    simd_json::to_owned_value(&mut bytes).expect("reader prints JSON")
}

/// Read every Delta table of `lake` with the `deltalake` package (what the logs commit, and
/// nothing else) into `dest`/table=<T>/ as Parquet, for the lake's DuckDB checks; returns per
/// table {rows, polars_rows, version, commits, operations, schema}.
pub fn delta_export(lake: &Path, dest: &Path) -> OwnedValue {
    run_reader_args(&[
        "delta-export",
        lake.to_str().unwrap(),
        dest.to_str().unwrap(),
    ])
}

/// A row as column → text (None for null), as DuckDB reads it.
pub type Row = BTreeMap<String, Option<String>>;

/// Run SQL in DuckDB (TimeZone UTC); values come back as text: timestamps in ISO form.
pub fn duckdb(sql: &str) -> Vec<Row> {
    let v = run_reader("query", sql);
    v.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row.as_object()
                .expect("row object")
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_str().map(str::to_string)))
                .collect()
        })
        .collect()
}

/// One column of a Parquet file as pyarrow reads it: (name, Arrow type, Parquet logical type).
pub fn pyarrow_schema(file: &Path) -> Vec<(String, String, String)> {
    let v = run_reader("schema", &file.to_string_lossy());
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| {
                c.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            (s("name"), s("type"), s("logical"))
        })
        .collect()
}

/// Rows and files of a hive directory, counted by pyarrow.dataset.
pub fn pyarrow_count(dir: &Path) -> (u64, u64) {
    let v = run_reader("table", &dir.to_string_lossy());
    (
        v.get("rows").and_then(|x| x.as_u64()).unwrap(),
        v.get("files").and_then(|x| x.as_u64()).unwrap(),
    )
}

/// Convert with the library into `out`.
pub fn convert_into(inputs: &[PathBuf], out: &Path) -> ConvertReport {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opts = ConvertOptions {
        inputs: inputs
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        out: Some(out.to_string_lossy().into_owned()),
        ..Default::default()
    };
    convert(&opts, rt.handle().clone()).expect("convert")
}

/// The `aad-ingest` binary built beside the test (cargo builds workspace binaries first).
pub fn aad_ingest_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("aad-ingest");
    assert!(
        bin.is_file(),
        "{} not built: run scripts/test (cargo build --workspace)",
        bin.display()
    );
    bin
}

/// A plain HTTP GET (the service's `/metrics`, `/healthz`, `/readyz`; Prometheus's API):
/// (status, body). Panics when nothing answers.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("nothing listens on {addr}: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer from {addr}{path}: {head}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    )
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Run the CLI; returns (success, stdout, stderr).
pub fn run_cli(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(aad_ingest_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run aad-ingest");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The tables a Parquet lake holds (its `table=<T>` directories), sorted.
pub fn lake_tables(lake: &Path) -> Vec<String> {
    let mut t: Vec<String> = std::fs::read_dir(lake)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix("table=").map(str::to_string)
        })
        .collect();
    t.sort();
    t
}

/// All `.parquet` files below `dir`, sorted.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    files_where(dir, |p| p.extension().is_some_and(|x| x == "parquet"))
}

/// Every file below `dir` (none when it does not exist yet) that `keep` accepts, sorted.
pub fn files_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Azurite, the Azure Storage emulator (blob service only), on a free loopback port, with its
/// data in a temporary directory; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Azurite {
    child: Option<std::process::Child>,
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Azurite {
    /// Start it and wait until it accepts connections; panics when it cannot.
    pub fn start() -> Azurite {
        let bin = tool_from_env(
            "AAD_AZURITE",
            ".tools/node_modules/.bin/azurite-blob",
            "installs Azurite from npm",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut azurite = Azurite {
            child: None,
            port,
            bin,
            dir: tempfile::tempdir().unwrap(),
        };
        azurite.resume();
        azurite
    }

    /// Start (again) on the same port and data: an outage ends.
    pub fn resume(&mut self) {
        let child = Command::new(&self.bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &self.port.to_string(),
                "--skipApiVersionCheck",
                "--silent",
                "--location",
            ])
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        let child = self.child.insert(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("Azurite exited at start: {status}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "Azurite did not listen on {} within 60 s",
                self.port
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Stop it, keeping its data: an outage begins.
    pub fn pause(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Azurite frees its port on SIGTERM but its process can linger: TERM, wait, then KILL.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..30 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The blob endpoint, `http://127.0.0.1:<port>/devstoreaccount1`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/devstoreaccount1", self.port)
    }

    /// Environment for object_store to use this emulator (`az://` URLs).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            (
                "AZURITE_BLOB_STORAGE_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
        ]
    }

    pub fn create_container(&self, name: &str) {
        run_reader_args(&["azure-create", &self.endpoint(), name]);
    }

    /// Every file below `src` as an append blob of `container` (same relative name), growing
    /// blobs that exist by the bytes past their length: how Entra's archive writes PT1H.json.
    pub fn append_tree(&self, container: &str, src: &Path) {
        run_reader_args(&[
            "azure-append",
            &self.endpoint(),
            container,
            &src.to_string_lossy(),
        ]);
    }

    /// Download every blob of `container` below `dest`; returns their names.
    pub fn download(&self, container: &str, dest: &Path) -> Vec<String> {
        let v = run_reader_args(&[
            "azure-download",
            &self.endpoint(),
            container,
            &dest.to_string_lossy(),
        ]);
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        self.pause();
    }
}
