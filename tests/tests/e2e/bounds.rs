//! `convert`'s bounds, as a user runs it: the peak memory of a message of 830k tiny records, a
//! line longer than `--max-message-mib` (a dead letter with its line and size, never held whole),
//! dead letters streamed and replaced on a rerun, and the staging files of a killed `convert`
//! removed by the next one while a live writer's stay.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aad_tests::{aad_ingest_bin, duckdb, python, run_cli};

/// Run `aad-ingest` in `dir` through the venv's Python, which reports the child's peak RSS
/// (`getrusage(RUSAGE_CHILDREN).ru_maxrss`, KiB). Returns (success, stdout, stderr, peak KiB).
fn run_measured(args: &[&str], dir: &Path) -> (bool, String, String, u64) {
    const RUNNER: &str = "import resource, subprocess, sys\n\
        p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n\
        sys.stderr.buffer.write(p.stderr)\n\
        sys.stdout.buffer.write(p.stdout)\n\
        print('\\nMAXRSS %d %d' % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode))\n";
    let out = Command::new(python())
        .arg("-c")
        .arg(RUNNER)
        .arg(aad_ingest_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (report, last) = stdout.trim_end().rsplit_once('\n').expect("MAXRSS line");
    let mut fields = last.split_whitespace().skip(1);
    let rss: u64 = fields.next().unwrap().parse().unwrap();
    let code: i32 = fields.next().unwrap().parse().unwrap();
    (code == 0, report.to_string(), stderr, rss)
}

/// The dead letters of `_deadletter/` as JSON rows (DuckDB).
fn dead_letter_rows(lake: &Path) -> Vec<aad_tests::Row> {
    duckdb(&format!(
        "SELECT sequence::VARCHAR AS sequence, record_index::VARCHAR AS record_index, reason, raw \
         FROM read_json('{}/_deadletter/*.ndjson', format='newline_delimited') ORDER BY sequence, record_index",
        lake.display()
    ))
}

/// Files under `dir` whose name ends in `#<digits>` (staging files), relative.
fn staging_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e
                .file_name()
                .to_str()
                .and_then(|n| n.rsplit_once('#'))
                .is_some_and(|(_, s)| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// One message of 830k tiny records (1.9 MB): a third `{}` (rows of `UnknownCategoryLogs`), two
/// thirds `0` (a dead letter each). Peak RSS stays under 300 MB: 170-190 MiB measured (release
/// and debug builds alike), where it took 420 MB before. What amplified: every dead letter held
/// twice as structs and once more as rendered text until the input ended, and deciding how to
/// read the file built a parse tree of the whole message.
#[test]
fn a_message_of_830k_tiny_records_stays_under_300_mb() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let triples = 276_667;
    let mut message = b"{\"records\":[".to_vec();
    for i in 0..triples {
        if i > 0 {
            message.push(b',');
        }
        message.extend_from_slice(b"0,0,{}");
    }
    message.extend_from_slice(b"]}\n");
    assert!(message.len() < 2_000_000);
    std::fs::write(dir.join("tiny.ndjson"), &message).unwrap();

    let (ok, out, err, rss_kib) = run_measured(&["convert", "tiny.ndjson", "--out", "lake"], dir);
    assert!(ok, "{err}");
    eprintln!(
        "peak RSS of convert, 830k tiny records: {} MiB",
        rss_kib / 1024
    );
    let dead = 2 * triples;
    assert!(
        out.contains(&format!("{} records -> {triples} rows", 3 * triples))
            && out.contains(&format!("{dead} dead letter(s)")),
        "{out}"
    );
    let letters = std::fs::read_dir(dir.join("lake/_deadletter"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let text = std::fs::read_to_string(&letters[0]).unwrap();
    assert_eq!(text.lines().count(), dead);
    let last = text.lines().last().unwrap();
    assert!(
        last.contains(&format!("\"record_index\":{},", 3 * triples - 2)),
        "{last}"
    );
    assert!(
        rss_kib < 300 * 1024,
        "peak RSS {} MiB, bound 300 MiB",
        rss_kib / 1024
    );
}

/// Lines longer than `--max-message-mib` go to the dead letter with their line number, size
/// and the limit (and their first KiB), and the run goes on with the next line. A 200 MB line
/// is skipped while reading, never held: peak RSS stays far below its size.
#[test]
fn a_line_longer_than_the_limit_is_a_dead_letter_and_the_run_goes_on() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let record = |i: u32| {
        format!(
            "{{\"time\":\"2026-11-27T10:0{i}:00Z\",\"category\":\"AuditLogs\",\"operationName\":\"op{i}\"}}\n"
        )
    };
    let huge: u64 = 200_000_000;
    let long = 3 << 20;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("in.ndjson")).unwrap());
        f.write_all(record(1).as_bytes()).unwrap();
        // Line 2: 200 MB, an envelope that never ends.
        f.write_all(b"{\"records\":[").unwrap();
        let block = b"{\"category\":\"AuditLogs\"},".repeat(40_000);
        let mut left = huge - 12;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            f.write_all(&block[..n]).unwrap();
            left -= n as u64;
        }
        f.write_all(b"\n").unwrap();
        f.write_all(record(3).as_bytes()).unwrap();
        // Line 4: 3 MiB with a CRLF line end, longer than the limit but shorter than the
        // chunks it is read in.
        f.write_all(&vec![b'x'; long]).unwrap();
        f.write_all(b"\r\n").unwrap();
        f.write_all(record(5).as_bytes()).unwrap();
    }
    let args = [
        "convert",
        "in.ndjson",
        "--out",
        "lake",
        "--max-message-mib",
        "1",
        "--chunk-mib",
        "4",
    ];
    let (ok, out, err, rss_kib) = run_measured(&args, dir);
    assert!(ok, "{err}");
    eprintln!("peak RSS of convert, a 200 MB line: {} MiB", rss_kib / 1024);
    assert!(
        out.contains("5 records -> 3 rows") && out.contains("2 dead letter(s)"),
        "{out}"
    );
    assert!(
        rss_kib < 150 * 1024,
        "a line of 200 MB was held: peak RSS {} MiB",
        rss_kib / 1024
    );

    let lake = dir.join("lake");
    let letters = dead_letter_rows(&lake);
    let got: Vec<(String, Option<String>, usize)> = letters
        .iter()
        .map(|l| {
            (
                l["sequence"].clone().unwrap(),
                l["record_index"].clone(),
                l["raw"].as_deref().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("2".into(), None, 1024), ("4".into(), None, 1024)],
        "{letters:?}"
    );
    for (l, size) in letters.iter().zip([huge, long as u64]) {
        let reason = l["reason"].as_deref().unwrap();
        assert!(
            reason.contains(&format!("message of {size} bytes"))
                && reason.contains("limit of 1048576 bytes")
                && reason.contains("--max-message-mib 1"),
            "{reason}"
        );
    }
    assert!(letters[0]["raw"]
        .as_deref()
        .unwrap()
        .starts_with("{\"records\":[{\"category\""));

    // The rows around them kept their line numbers.
    let rows = duckdb(&format!(
        "SELECT _SequenceNumber::VARCHAR AS s FROM read_parquet('{}/**/*.parquet') ORDER BY 1",
        lake.display()
    ));
    let seqs: Vec<_> = rows.iter().map(|r| r["s"].clone().unwrap()).collect();
    assert_eq!(seqs, ["1", "3", "5"]);
}

/// Dead letters are written as they come, into one file per input that a rerun replaces; a
/// rerun with none left removes it; nothing half-written stays behind.
#[test]
fn dead_letters_are_replaced_on_rerun_and_removed_when_none_are_left() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let good = "{\"time\":\"2026-11-27T10:00:00Z\",\"category\":\"AuditLogs\"}";
    let input = dir.join("in.ndjson");
    let convert = || {
        let (ok, out, err) = run_cli(&["convert", "in.ndjson", "--out", "lake"], dir);
        assert!(ok, "{err}");
        out
    };
    let letters = || -> Vec<String> {
        match std::fs::read_dir(dir.join("lake/_deadletter")) {
            Ok(entries) => entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    // 30k broken lines: several parts of dead letters.
    let broken: String = (0..30_000).map(|i| format!("{{\"a\":{i}\n")).collect();
    std::fs::write(&input, format!("{good}\n{broken}")).unwrap();
    let out = convert();
    assert!(out.contains("30000 dead letter(s)"), "{out}");
    let first = letters();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].lines().count(), 30_000);
    assert!(first[0]
        .lines()
        .last()
        .unwrap()
        .contains("\"sequence\":30001,"));

    std::fs::write(&input, format!("{good}\n{{\"b\":\n")).unwrap();
    convert();
    let second = letters();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].lines().count(), 1, "{second:?}");
    assert!(second[0].contains("\"sequence\":2,"));

    std::fs::write(&input, format!("{good}\n")).unwrap();
    let out = convert();
    assert!(out.contains("0 dead letter(s)"), "{out}");
    assert!(letters().is_empty(), "a stale dead-letter file stayed");
    assert_eq!(staging_files(&dir.join("lake")), Vec::<PathBuf>::new());
}

/// A `convert` killed while writing leaves staging files (`<name>#<pid>`); the next run
/// removes those in the directories it writes, but not a staging file some live writer holds
/// (here a process holding its lock), and the lake reads back whole.
#[test]
fn staging_files_of_a_killed_convert_are_removed_by_the_next_run() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ok, _, err) = run_cli(
        &[
            "generate",
            "--records",
            "12000",
            "--quirks",
            "0",
            "--hours",
            "2",
            "--out",
            "cap.ndjson",
        ],
        dir,
    );
    assert!(ok, "{err}");
    let lake = dir.join("lake");

    // Kill a run as soon as it has a staging file.
    let mut child = Command::new(aad_ingest_bin())
        .args(["convert", "cap.ndjson", "--out", "lake", "--threads", "1"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let left = loop {
        let found = staging_files(&lake);
        if !found.is_empty() {
            child.kill().unwrap();
            child.wait().unwrap();
            break staging_files(&lake);
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "convert finished before a staging file was seen"
        );
        assert!(Instant::now() < deadline, "no staging file appeared");
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(!left.is_empty());

    // A live writer's staging file in the same directory, older than the next run: kept.
    let live = lake.join(left[0].parent().unwrap()).join("live.parquet#1");
    std::fs::write(&live, b"PAR1").unwrap();
    let mut holder = Command::new(python())
        .arg("-c")
        .arg(
            "import fcntl, sys, time\n\
             f = open(sys.argv[1], 'rb')\n\
             fcntl.flock(f, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\n\
             time.sleep(600)\n",
        )
        .arg(&live)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    // Staging files are removed when older than the process that finds them.
    std::thread::sleep(Duration::from_millis(2100));

    let (ok, _, err) = run_cli(&["convert", "cap.ndjson", "--out", "lake"], dir);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(ok, "{err}");
    assert_eq!(
        staging_files(&lake),
        [live.strip_prefix(&lake).unwrap().to_path_buf()],
        "left by the killed run: {left:?}"
    );
    std::fs::remove_file(&live).unwrap();
    let rows = duckdb(&format!(
        "SELECT count(*)::VARCHAR AS n FROM read_parquet('{}/**/*.parquet', union_by_name=true)",
        lake.display()
    ));
    assert_eq!(rows[0]["n"].as_deref(), Some("12000"));
}
