//! `generate`: realistic, seeded, deterministic Entra diagnostic-log captures for tests, benches
//! and load tests. Records follow the wire shapes of `shared/reference/entra-log-formats.md` §b
//! (camelCase `properties`, PascalCase members where Entra has them), with realistic
//! cardinalities (users, apps, IPs, countries, conditional-access policies), sign-ins of 7–8 KB
//! with the default 18 policies (real ones are 3–20 KB, mostly by the tenant's policy count),
//! records in time order like a hub delivers them, and a configurable share of §d quirks.
//!
//! The parts, in the order data flows: [`options`] (what is asked), [`rng`] (seeded randomness),
//! [`words`] and [`tenant`] (what records talk about), [`records`] (one writer per record shape,
//! over the [`json`] writer and the [`quirk`]s), then this module, which groups records into
//! messages and writes them as NDJSON, or hands them to [`capture`], which archives them the way
//! Event Hubs Capture does.

mod capture;
mod json;
mod options;
mod quirk;
mod records;
mod rng;
mod tenant;
mod words;

use std::io::Write;

use anyhow::Result;

pub use capture::{generate_capture, CaptureOptions, CaptureReport};
pub use options::{parse_mix, Format, GenerateOptions, DEFAULT_MIX};
pub use records::Generator;
pub use rng::Rng;

/// Counts of what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateReport {
    pub records: u64,
    pub messages: u64,
    /// Messages deliberately written as invalid JSON (their records are not in `records`).
    pub invalid_messages: u64,
    pub bytes: u64,
}

/// Event Hubs refuses events over 1 MB (Standard tier), so an envelope closes before that.
const MAX_MESSAGE: usize = 1_000_000;

/// A body some diagnostic settings send that is not JSON (§d.4).
const BROKEN_BODY: &[u8] = b"{\"records\":[{\"time\":\"2026-11-01T00:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":'x'}";

/// One Event Hubs message as generated: its body (an envelope, a bare record, or a deliberately
/// broken body) and the time of its last record (ns since the epoch), about when Event Hubs
/// would have enqueued it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub body: &'a [u8],
    pub time: i64,
}

/// Generate `opts.records` records, grouped into messages as `opts.format` says, and hand each
/// message to `write`, which returns how many bytes it wrote (for the report).
pub fn messages(
    opts: &GenerateOptions,
    mut write: impl FnMut(Message) -> Result<u64>,
) -> Result<GenerateReport> {
    let mut g = Generator::new(opts.clone())?;
    let mut report = GenerateReport::default();
    let mut envelope = Envelope {
        body: Vec::with_capacity(MAX_MESSAGE + 64 * 1024),
        records: 0,
        last_time: 0,
        invalid_share: opts.quirk_share / 10.0,
    };
    let mut record = Vec::with_capacity(64 * 1024);
    for _ in 0..opts.records {
        record.clear();
        let time = g.record(&mut record);
        report.records += 1;
        match opts.format {
            Format::Records => {
                report.bytes += write(Message {
                    body: &record,
                    time,
                })?;
                report.messages += 1;
            }
            Format::Envelope => {
                if envelope.records > 0
                    && (envelope.records >= opts.records_per_message
                        || envelope.body.len() + record.len() + 3 > MAX_MESSAGE)
                {
                    envelope.flush(&mut write, &mut report, &mut g)?;
                }
                envelope.body.extend_from_slice(if envelope.records == 0 {
                    b"{\"records\":["
                } else {
                    b","
                });
                envelope.body.extend_from_slice(&record);
                envelope.records += 1;
            }
        }
        envelope.last_time = time;
    }
    envelope.flush(&mut write, &mut report, &mut g)?;
    Ok(report)
}

/// The envelope being built: its body so far, its records, and its last record's time.
struct Envelope {
    body: Vec<u8>,
    records: usize,
    last_time: i64,
    /// Share of envelopes followed by a broken body.
    invalid_share: f64,
}

impl Envelope {
    /// Close the envelope and hand it on, sometimes followed by a broken body as some
    /// diagnostic settings send (§d.4).
    fn flush(
        &mut self,
        write: &mut impl FnMut(Message) -> Result<u64>,
        report: &mut GenerateReport,
        g: &mut Generator,
    ) -> Result<()> {
        if self.records == 0 {
            return Ok(());
        }
        self.body.extend_from_slice(b"]}");
        let time = self.last_time;
        report.bytes += write(Message {
            body: &self.body,
            time,
        })?;
        report.messages += 1;
        self.body.clear();
        self.records = 0;
        if g.rng.chance(self.invalid_share) {
            report.bytes += write(Message {
                body: BROKEN_BODY,
                time,
            })?;
            report.invalid_messages += 1;
            report.messages += 1;
        }
        Ok(())
    }
}

/// Write `opts.records` records to `w` as NDJSON: one message body a line.
pub fn generate(opts: &GenerateOptions, w: &mut impl Write) -> Result<GenerateReport> {
    let report = messages(opts, |m| {
        w.write_all(m.body)?;
        w.write_all(b"\n")?;
        Ok(m.body.len() as u64 + 1)
    })?;
    w.flush()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::quirk::{iso, us_time};
    use super::records::{generated_categories, Writer};
    use super::*;
    use aad_schemas::catalogue::Catalogue;

    /// A table added to the catalogue must get a writer (and a place in the default mix) before
    /// `generate` can make its records; none may fall into another table's writer.
    #[test]
    fn every_catalogue_table_has_a_writer_and_a_default_weight() {
        let catalogue = Catalogue::get();
        for table in catalogue.source_tables().filter(|t| !t.is_unknown) {
            assert!(
                Writer::for_table(table).is_some(),
                "{} has no record writer in generate/records",
                table.name
            );
            assert!(
                DEFAULT_MIX.iter().any(|(c, w)| {
                    *w > 0.0 && catalogue.table_for_category(c) == Some(table.id)
                }),
                "{} has no weight in DEFAULT_MIX",
                table.name
            );
        }
        assert_eq!(
            generated_categories().len(),
            catalogue.source_tables().filter(|t| !t.is_unknown).count(),
            "one writer per table records land in"
        );
    }

    /// Every generated record's category routes to the table whose writer wrote it.
    #[test]
    fn records_land_in_the_table_of_their_category() {
        use simd_json::prelude::*;
        let catalogue = Catalogue::get();
        for &(category, _) in DEFAULT_MIX {
            let mut out = Vec::new();
            generate(
                &GenerateOptions {
                    records: 20,
                    quirk_share: 0.0,
                    format: Format::Records,
                    mix: vec![(category, 1.0)],
                    ..Default::default()
                },
                &mut out,
            )
            .unwrap();
            for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let record = simd_json::to_owned_value(&mut line.to_vec()).unwrap();
                let written = record["category"].as_str().unwrap();
                assert_eq!(
                    catalogue.table_for_category(written),
                    catalogue.table_for_category(category),
                    "{category} wrote a {written} record"
                );
            }
        }
        let err = parse_mix("SignInLogs=1,NoSuchLogs=2")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("NoSuchLogs") && err.contains("AuditLogs"),
            "{err}"
        );
        assert_eq!(
            parse_mix("aadriskyusers=1,signinlogs=2").unwrap(),
            vec![("RiskyUsers", 1.0), ("SignInLogs", 2.0)]
        );
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let run = |seed| {
            let mut out = Vec::new();
            generate(
                &GenerateOptions {
                    records: 300,
                    seed,
                    ..Default::default()
                },
                &mut out,
            )
            .unwrap();
            out
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn every_line_is_json_except_the_deliberately_broken() {
        let mut out = Vec::new();
        let opts = GenerateOptions {
            records: 2000,
            quirk_share: 0.5,
            records_per_message: 10,
            ..Default::default()
        };
        let report = generate(&opts, &mut out).unwrap();
        let mut bad = 0;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if simd_json::to_tape(&mut line.to_vec()).is_err() {
                bad += 1;
            }
        }
        assert_eq!(bad, report.invalid_messages);
        assert!(report.invalid_messages > 0);
        assert_eq!(report.records, 2000);
    }

    /// Real tenants list every policy on every user sign-in, with results set by who signs in to
    /// what: the lists repeat, in the result mix of the real records ([entra-log-formats] §b.1).
    #[test]
    fn conditional_access_lists_are_the_tenants_policies_and_repeat_per_group_and_app() {
        use simd_json::prelude::*;
        let mut out = Vec::new();
        let opts = GenerateOptions {
            records: 4000,
            quirk_share: 0.0,
            format: Format::Records,
            mix: vec![("SignInLogs", 1.0), ("NonInteractiveUserSignInLogs", 5.0)],
            ..Default::default()
        };
        generate(&opts, &mut out).unwrap();
        let (mut lists, mut results) = (
            std::collections::HashMap::new(),
            std::collections::HashMap::new(),
        );
        let mut ids_of_first: Option<Vec<String>> = None;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let record = simd_json::to_owned_value(&mut line.to_vec()).unwrap();
            let props = &record["properties"];
            let list = props["appliedConditionalAccessPolicies"]
                .as_array()
                .unwrap();
            assert_eq!(
                list.len(),
                opts.policies,
                "every policy of the tenant is listed"
            );
            let mut ids: Vec<String> = list
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            assert_eq!(ids, *ids_of_first.get_or_insert_with(|| ids.clone()));
            for p in list {
                *results
                    .entry(p["result"].as_str().unwrap().to_string())
                    .or_insert(0usize) += 1;
            }
            let blocked = props["status"]["errorCode"].as_i64() == Some(53003);
            let status = props["conditionalAccessStatus"].as_str().unwrap();
            let any_success = list.iter().any(|p| p["result"].as_str() == Some("success"));
            let expected = if blocked {
                "failure"
            } else if any_success {
                "success"
            } else {
                "notApplied"
            };
            assert_eq!(status, expected);
            *lists
                .entry(simd_json::to_string(list).unwrap())
                .or_insert(0usize) += 1;
        }
        let (signins, entries) = (
            lists.values().sum::<usize>(),
            results.values().sum::<usize>(),
        );
        assert_eq!(signins, 4000);
        assert!(
            lists.len() * 10 < signins,
            "{} distinct lists in {signins} sign-ins",
            lists.len()
        );
        // 2 of the 18 policies are off: exactly an eighth or so of entries, on every sign-in.
        assert_eq!(results["notEnabled"], 2 * signins);
        let share = |r: &str| results.get(r).copied().unwrap_or(0) * 100 / entries;
        assert!((50..75).contains(&share("notApplied")), "{results:?}");
        assert!(
            (15..30).contains(&share("reportOnlyNotApplied")),
            "{results:?}"
        );
        assert!((1..8).contains(&share("success")), "{results:?}");
    }

    #[test]
    fn us_time_and_iso_forms() {
        assert_eq!(
            us_time(1_793_491_200_000_000_000 + 13 * 3_600_000_000_000),
            "11/1/2026 1:00:00 PM"
        );
        assert_eq!(
            iso(1_793_491_200_123_456_700, 7, true, true),
            "2026-11-01T00:00:00.1234567Z"
        );
        assert_eq!(
            iso(
                1_793_491_200_000_000_000 + 9 * 3_600_000_000_000,
                0,
                false,
                false
            ),
            "2026-11-01T9:00:00+00:00"
        );
    }
}
