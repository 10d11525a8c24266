//! Entra ID's "Archive to a storage account" as a source (`shared/reference/eventhubs.md` §2.2):
//! containers `insights-logs-<category>`, one `…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json` append
//! blob per hour in JSON Lines (CRLF or LF). The prefix before `y=` differs between tenants and
//! sources (`resourceId=/tenants/<id>/providers/microsoft.aadiam/`, `tenantId=<id>/`, …), so it
//! is not parsed: any path ending in the hour layout is an archive blob.
//!
//! Two facts of archives shape the reader:
//! - A blob of the current hour is still being appended: its last line may be cut. Only
//!   complete lines (ending in `\n`) are read; the rest waits for the next run.
//! - Archives deliver a few percent of records more than once, with identical `properties` and
//!   a fresh envelope `time`. [`Repeats`] drops a record whose category and `properties` text a
//!   record of the same run already had, and counts it.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use aad_schemas::catalogue::Catalogue;
use aad_schemas::time::days_from_civil;
use anyhow::Result;

/// Which archive blobs a backfill takes: hours starting in `from..to` (seconds since the epoch;
/// either end open) of the listed categories (all when empty; any of a table's categories or its
/// name, any case).
#[derive(Debug, Clone, Default)]
pub struct ArchiveSelection {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub categories: Vec<String>,
}

/// One archive blob found under an input.
#[derive(Debug, Clone)]
pub struct ArchiveBlob {
    pub path: object_store::path::Path,
    pub size: u64,
    /// Its version: an append blob's changes with every append.
    pub etag: Option<String>,
    /// The category of its `insights-logs-<category>` container, when the path shows it.
    pub category: Option<String>,
    /// The hour it holds, seconds since the epoch.
    pub hour: i64,
}

/// The hour of a blob path ending in `y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, whatever comes
/// before.
pub fn archive_hour(path: &str) -> Option<i64> {
    let parts: Vec<&str> = path.rsplit('/').take(6).collect();
    if parts.len() < 6 || parts[0] != "PT1H.json" || parts[1] != "m=00" {
        return None;
    }
    let num = |part: &str, key: &str| -> Option<u32> {
        let v = part.strip_prefix(key)?;
        v.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse().ok())?
    };
    let (h, d, m, y) = (
        num(parts[2], "h=")?,
        num(parts[3], "d=")?,
        num(parts[4], "m=")?,
        num(parts[5], "y=")?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 {
        return None;
    }
    Some(days_from_civil(y as i64, m, d) * 86_400 + h as i64 * 3600)
}

/// The category named by an `insights-logs-<category>` segment of `path`.
pub fn container_category(path: &str) -> Option<String> {
    path.split('/')
        .find_map(|s| s.strip_prefix("insights-logs-"))
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// Whether two category spellings mean the same table (the container's is lower-cased).
fn same_category(a: &str, b: &str) -> bool {
    let catalogue = Catalogue::get();
    match (
        catalogue.table_for_category(a),
        catalogue.table_for_category(b),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

impl ArchiveSelection {
    pub fn takes(&self, blob: &ArchiveBlob) -> bool {
        self.from.is_none_or(|f| blob.hour >= f)
            && self.to.is_none_or(|t| blob.hour < t)
            && (self.categories.is_empty()
                || blob
                    .category
                    .as_deref()
                    .is_some_and(|c| self.categories.iter().any(|want| same_category(want, c))))
    }
}

/// List the archive blobs under `location` that `selection` takes, in path order (so, within a
/// container and prefix, in hour order).
pub async fn list(
    location: &crate::store::Location,
    selection: &ArchiveSelection,
) -> Result<Vec<ArchiveBlob>> {
    let objects = super::list_objects(location).await?;
    let mut blobs: Vec<ArchiveBlob> = objects
        .into_iter()
        .filter_map(|meta| {
            let hour = archive_hour(meta.location.as_ref())?;
            let category = container_category(&format!("{}/{}", location.display, meta.location));
            Some(ArchiveBlob {
                path: meta.location,
                size: meta.size,
                etag: meta.e_tag,
                category,
                hour,
            })
        })
        .filter(|b| selection.takes(b))
        .collect();
    blobs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(blobs)
}

/// The length of `data`'s complete lines: up to and including its last `\n`. What follows is a
/// line still being appended.
pub fn complete_len(data: &[u8]) -> usize {
    memchr::memrchr(b'\n', data).map_or(0, |i| i + 1)
}

/// Records already seen in a run, by category and `properties` text.
#[derive(Default)]
pub struct Repeats {
    seen: HashSet<u128>,
    /// Records dropped as repeats.
    pub dropped: u64,
}

/// The fields a repeat is recognized by, borrowed from the line.
#[derive(serde::Deserialize)]
struct Key<'a> {
    #[serde(default, borrow)]
    category: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    properties: Option<&'a serde_json::value::RawValue>,
}

impl Repeats {
    /// Blank (overwrite with spaces, which readers skip and which keeps every other line's
    /// number) each line of `data` that repeats a record seen before; returns how many. Lines
    /// that are not one JSON record with `properties` are left for the decoder to judge.
    pub fn blank_repeats(&mut self, data: &mut [u8]) -> u64 {
        let mut dropped = 0;
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let line = &data[start..end];
            let repeat = match serde_json::from_slice::<Key>(line) {
                Ok(Key {
                    category,
                    properties: Some(props),
                }) => {
                    let category = category.unwrap_or_default().to_ascii_lowercase();
                    !self.seen.insert(key(&category, props.get()))
                }
                _ => false,
            };
            if repeat {
                data[start..end].fill(b' ');
                dropped += 1;
            }
            start = end + 1;
        }
        self.dropped += dropped;
        dropped
    }
}

/// A 128-bit key of (category, properties text): two independent 64-bit hashes, so that two
/// different records meet by chance about once in 2^64 runs of a billion records.
fn key(category: &str, properties: &str) -> u128 {
    let mut sip = std::hash::DefaultHasher::new();
    (category, properties).hash(&mut sip);
    let fnv = crate::store::stable_hash(&format!("{category}\u{0}{properties}"));
    ((sip.finish() as u128) << 64) | fnv as u128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_come_from_any_prefix() {
        let t = |s: &str| aad_schemas::time::parse_timestamp(s).unwrap() / 1_000_000_000;
        for path in [
            "insights-logs-signinlogs/tenantId=0b1c/y=2026/m=07/d=16/h=13/m=00/PT1H.json",
            "resourceId=/tenants/0b1c/providers/microsoft.aadiam/y=2026/m=07/d=16/h=13/m=00/PT1H.json",
            "resourceId=/TENANTS/0B1C/y=2026/m=07/d=16/h=13/m=00/PT1H.json",
            "y=2026/m=07/d=16/h=13/m=00/PT1H.json",
        ] {
            assert_eq!(archive_hour(path), Some(t("2026-07-16T13:00:00Z")), "{path}");
        }
        for path in [
            "y=2026/m=07/d=16/h=13/m=30/PT1H.json",
            "y=2026/m=13/d=16/h=13/m=00/PT1H.json",
            "y=2026/m=07/d=16/h=13/m=00/PT1H.json.tmp",
            "m=07/d=16/h=13/m=00/PT1H.json",
        ] {
            assert_eq!(archive_hour(path), None, "{path}");
        }
        assert_eq!(
            container_category("az://insights-logs-signinlogs/tenantId=x/y=2026").as_deref(),
            Some("signinlogs")
        );
    }

    #[test]
    fn categories_select_by_any_spelling() {
        let blob = |c: &str| ArchiveBlob {
            path: "x".into(),
            size: 0,
            etag: None,
            category: Some(c.into()),
            hour: 0,
        };
        let s = ArchiveSelection {
            categories: vec![
                "SignInLogs".into(),
                "AADNonInteractiveUserSignInLogs".into(),
            ],
            ..Default::default()
        };
        assert!(s.takes(&blob("signinlogs")));
        assert!(s.takes(&blob("noninteractiveusersigninlogs")));
        assert!(!s.takes(&blob("auditlogs")));
    }

    #[test]
    fn repeats_are_blanked_and_partial_lines_left() {
        let mut data =
            b"{\"time\":\"1\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"a\"}}\r\n\
{\"time\":\"2\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"b\"}}\r\n\
{\"time\":\"3\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"a\"}}\r\n\
{\"time\":\"3\",\"category\":\"AuditLogs\",\"properties\":{\"id\":\"a\"}}\n\
not json\n\
{\"time\":\"4\",\"category\":\"SignInLogs\",\"prop"
                .to_vec();
        let complete = complete_len(&data);
        assert!(data[..complete].ends_with(b"not json\n"));
        data.truncate(complete);
        let mut repeats = Repeats::default();
        assert_eq!(repeats.blank_repeats(&mut data), 1);
        let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        assert!(
            lines[2].iter().all(|&b| b == b' '),
            "the third line repeats the first"
        );
        assert!(lines[3].starts_with(b"{\"time\":\"3\",\"category\":\"AuditLogs\""));
        // Across blobs of the run too.
        let mut again =
            b"{\"category\":\"signinlogs\",\"properties\":{\"id\":\"b\"},\"time\":\"9\"}\n"
                .to_vec();
        assert_eq!(repeats.blank_repeats(&mut again), 1);
        assert_eq!(repeats.dropped, 2);
    }
}
