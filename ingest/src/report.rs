//! The summaries `convert` and `run` print at the end.

use std::fmt::Write;

use aad_schemas::{Catalogue, NormalizeStats};

use crate::convert::{ConvertReport, DestinationReport};

/// Per table: records in, rows written (`rows_of` the table's name), rows with
/// `AdditionalFields`, values kept there because they could not be coerced, rows without a time.
pub fn tables(stats: &NormalizeStats, rows_of: impl Fn(&str) -> u64) -> String {
    let cat = Catalogue::get();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<34} {:>10} {:>10} {:>12} {:>10} {:>8}",
        "table", "records", "rows", "additional", "uncoerced", "no-time"
    );
    for (t, c) in cat.tables.iter().zip(&stats.tables) {
        if c.records == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "{:<34} {:>10} {:>10} {:>12} {:>10} {:>8}",
            t.name,
            c.records,
            rows_of(t.name),
            c.with_additional,
            c.uncoerced,
            c.without_time
        );
    }
    s
}

/// The per-table lines, then dead letters and throughput.
pub fn render(r: &ConvertReport) -> String {
    let mut s = tables(&r.tables, |t| r.rows_written(t));
    let _ = writeln!(s, "{:<34} {:>10}", "(dead letters)", r.dead_letters());
    let repeats: u64 = r.inputs.iter().map(|i| i.repeats).sum();
    if repeats > 0 {
        let _ = writeln!(
            s,
            "{:<34} {repeats:>10}  archive records with the category and properties of one read before",
            "(repeats dropped)"
        );
    }
    let pending: u64 = r.inputs.iter().map(|i| i.pending_bytes).sum();
    if pending > 0 {
        let _ = writeln!(
            s,
            "{:<34} {pending:>10}  bytes of last lines still being appended, left for the next run",
            "(partial lines)"
        );
    }
    if r.tables.slow_path > 0 {
        let _ = writeln!(
            s,
            "{:<34} {:>10}  valid JSON simd-json refuses (numbers past 64 bits, lone surrogates), kept as sent",
            "(messages on the slower path)", r.tables.slow_path
        );
    }
    for i in r.inputs.iter().filter(|i| i.dead_letters > 0) {
        let _ = writeln!(
            s,
            "  {} dead letter(s) from {} -> {}",
            i.dead_letters,
            i.source,
            i.dead_letter_file.as_deref().unwrap_or("-")
        );
    }
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let mb = r.bytes_in() as f64 / 1e6;
    let _ = writeln!(
        s,
        "{} input(s), {:.1} MB, {} records -> {} rows in {} file(s) + {} dead letter(s) in {:.2}s ({:.1} MB/s)",
        r.inputs.len(),
        mb,
        r.records(),
        r.rows(),
        r.written.len(),
        r.dead_letters(),
        secs,
        mb / secs
    );
    s.push_str(&destinations(&r.destinations));
    let _ = writeln!(s, "lake: {}", r.lake);
    s
}

/// One line per destination: rows delivered, and for Log Analytics requests, bytes, values cut,
/// dead letters; rows filtered out by routes, rows already held, and a failure if there was one.
pub fn destinations(ds: &[DestinationReport]) -> String {
    let mut s = String::new();
    for d in ds {
        let _ = write!(
            s,
            "destination {} ({}): {} rows",
            d.name, d.kind, d.delivered.rows
        );
        if d.kind == "loganalytics" {
            let _ = write!(
                s,
                " in {} requests ({:.1} MB of JSON), {} values cut to 64 KB, {} refused to the dead letter",
                d.delivered.requests,
                d.delivered.bytes as f64 / 1e6,
                d.delivered.truncated_values,
                d.delivered.dead_letters
            );
        }
        if d.filtered_out > 0 {
            let _ = write!(s, ", {} filtered out by routes", d.filtered_out);
        }
        if d.already_held > 0 {
            let _ = write!(s, ", {} already held (not sent again)", d.already_held);
        }
        if let Some(f) = &d.failed {
            let _ = write!(s, ", FAILED: {f}");
        }
        let _ = writeln!(s);
    }
    s
}
