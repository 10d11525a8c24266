//! `generate --format capture`: the generated messages as Event Hubs Capture would have archived
//! them. Messages go round robin to the hub's partitions (as a diagnostic setting's events do,
//! sent without a partition key); each partition numbers its events from 0 with offsets that
//! grow by the body size, is enqueued at its message's last record time, and is cut into one
//! Avro file per time window, named by the archive name format. Windows of a partition without
//! events get an empty file, as Capture writes them unless `skipEmptyArchives` is set.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::quirk::us_time;
use super::{messages, GenerateOptions, GenerateReport};
use crate::source::capture::{write_events, ArchiveName, ArchiveNameFormat, CaptureEvent};

/// Where and how Capture files are written.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    pub dir: PathBuf,
    /// The short namespace name and the hub, as Capture puts them in the path.
    pub namespace: String,
    pub hub: String,
    pub partitions: u32,
    /// Capture's time window in seconds (Azure: 60–900, default 300).
    pub window_secs: i64,
    /// `AvroDeflate` when true, `Avro` (the null codec) otherwise.
    pub deflate: bool,
    pub format: ArchiveNameFormat,
}

/// What was written: the generator's counts and the Capture files.
#[derive(Debug, Clone, Default)]
pub struct CaptureReport {
    pub generated: GenerateReport,
    pub files: u64,
    pub empty_files: u64,
}

/// One partition's events of its current window.
#[derive(Default)]
struct Partition {
    window: Option<i64>,
    events: Vec<(CaptureEvent, String)>,
    next_sequence: i64,
    next_offset: u64,
}

/// Generate `opts.records` records into Capture files under `capture.dir`.
pub fn generate_capture(opts: &GenerateOptions, capture: &CaptureOptions) -> Result<CaptureReport> {
    let window_len = capture.window_secs.max(1);
    let mut parts: Vec<Partition> = (0..capture.partitions.max(1))
        .map(|_| Partition::default())
        .collect();
    // Every (partition, window) written, to fill the gaps with empty files at the end.
    let mut written: Vec<std::collections::BTreeSet<i64>> = vec![Default::default(); parts.len()];
    let mut report = CaptureReport::default();
    let mut next = 0usize;
    let generated = messages(opts, |m| {
        let p = next % parts.len();
        next += 1;
        let window = m.time.div_euclid(1_000_000_000).div_euclid(window_len) * window_len;
        let part = &mut parts[p];
        if part.window.is_some_and(|w| w != window) {
            flush(capture, p, part, &mut written[p], &mut report)?;
        }
        part.window = Some(window);
        part.events.push((
            CaptureEvent {
                sequence: part.next_sequence,
                offset: part.next_offset.to_string(),
                enqueued: Some(m.time - m.time.rem_euclid(1_000_000_000)),
                body: m.body.to_vec(),
            },
            us_time(m.time),
        ));
        part.next_sequence += 1;
        part.next_offset += m.body.len() as u64;
        Ok(m.body.len() as u64)
    })?;
    for (p, part) in parts.iter_mut().enumerate() {
        flush(capture, p, part, &mut written[p], &mut report)?;
    }
    let all: std::collections::BTreeSet<i64> = written.iter().flatten().copied().collect();
    if let (Some(&first), Some(&last)) = (all.first(), all.last()) {
        for (p, windows) in written.iter().enumerate() {
            for window in (first..=last).step_by(window_len as usize) {
                if !windows.contains(&window) {
                    write_file(capture, p, window, &[])?;
                    report.empty_files += 1;
                }
            }
        }
    }
    report.generated = generated;
    Ok(report)
}

fn flush(
    capture: &CaptureOptions,
    p: usize,
    part: &mut Partition,
    written: &mut std::collections::BTreeSet<i64>,
    report: &mut CaptureReport,
) -> Result<()> {
    let Some(window) = part.window.take() else {
        return Ok(());
    };
    write_file(capture, p, window, &part.events)?;
    part.events.clear();
    written.insert(window);
    report.files += 1;
    Ok(())
}

fn write_file(
    capture: &CaptureOptions,
    partition: usize,
    window: i64,
    events: &[(CaptureEvent, String)],
) -> Result<()> {
    let name = capture.format.name(&ArchiveName {
        namespace: capture.namespace.clone(),
        hub: capture.hub.clone(),
        partition: partition.to_string(),
        window_start: window,
    });
    let path: PathBuf = capture.dir.join(Path::new(&name));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let bytes = write_events(events.iter().map(|(e, t)| (e, t.as_str())), capture.deflate)?;
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::capture::{read_events, DEFAULT_ARCHIVE_NAME_FORMAT};

    /// The Capture files hold exactly the NDJSON output's messages, each partition numbered from
    /// 0 without gaps, spread round robin, windows without events as empty files.
    #[test]
    fn capture_files_hold_the_same_messages_as_ndjson() {
        let opts = GenerateOptions {
            records: 600,
            records_per_message: 7,
            span_hours: 1,
            quirk_share: 0.3,
            ..Default::default()
        };
        let mut ndjson = Vec::new();
        let generated = super::super::generate(&opts, &mut ndjson).unwrap();
        let lines: Vec<&[u8]> = ndjson
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        for deflate in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let capture = CaptureOptions {
                dir: dir.path().to_path_buf(),
                namespace: "ns".into(),
                hub: "entra".into(),
                partitions: 3,
                window_secs: 300,
                deflate,
                format: ArchiveNameFormat::parse(DEFAULT_ARCHIVE_NAME_FORMAT).unwrap(),
            };
            let report = generate_capture(&opts, &capture).unwrap();
            // The same messages; the bytes without NDJSON's line ends.
            assert_eq!(
                (report.generated.records, report.generated.messages),
                (generated.records, generated.messages)
            );
            assert_eq!(report.generated.bytes, generated.bytes - generated.messages);
            // An hour in 5-minute windows: 12 per partition, written or empty.
            assert_eq!(report.files + report.empty_files, 3 * 12, "{report:?}");
            let mut by_partition = vec![Vec::new(); 3];
            let mut files = Vec::new();
            walk(dir.path(), &mut files);
            files.sort();
            for file in &files {
                let name = capture
                    .format
                    .parse_name(file.to_str().unwrap())
                    .unwrap_or_else(|| panic!("{file:?} is not a Capture name"));
                assert_eq!(
                    (name.namespace.as_str(), name.hub.as_str()),
                    ("ns", "entra")
                );
                let events = read_events(&std::fs::read(file).unwrap()).unwrap();
                for e in &events {
                    let window = e.enqueued.unwrap() / 1_000_000_000 / 300 * 300;
                    assert_eq!(window, name.window_start, "event in its window's file");
                }
                let p: usize = name.partition.parse().unwrap();
                by_partition[p].extend(events);
            }
            for (p, events) in by_partition.iter().enumerate() {
                let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
                assert_eq!(sequences, (0..events.len() as i64).collect::<Vec<_>>());
                for (i, e) in events.iter().enumerate() {
                    assert_eq!(e.body, lines[i * 3 + p], "partition {p} event {i}");
                }
            }
            assert_eq!(
                by_partition.iter().map(Vec::len).sum::<usize>(),
                lines.len()
            );
        }
    }

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
}
