//! Event Hubs Capture as a source: Avro object container files of
//! `Microsoft.ServiceBus.Messaging.EventData` records (`shared/reference/eventhubs.md` §2.1), one
//! file per partition and time window, named by the hub's archive name format.
//!
//! Two parts, each usable alone (`convert` reads with both; `generate --format capture` writes
//! with the first; `replay` can read with the second):
//! - [`ArchiveNameFormat`]: the blob naming (`{Namespace}/{EventHub}/{PartitionId}/{Year}/…`),
//!   to name a file and to tell a file's partition and window from its name, so a backfill picks
//!   a time range and partitions without opening a file.
//! - [`read_events`]: a file's events with their position (sequence number, offset, enqueued
//!   time) and body. The schema is the one written in each file (real files differ: some have
//!   `"null"` in the `Properties` map's union); the codec is the file's (null or deflate); an
//!   empty file (Capture writes them for windows without data) has no events.

use std::collections::BTreeSet;

use aad_schemas::time::{days_from_civil, parse_timestamp};
use anyhow::{anyhow, bail, Context, Result};
use apache_avro::types::Value;

/// The writer schema Azure documents for Capture files (`avro-tools getschema`); what
/// `generate --format capture` writes.
pub const EVENT_DATA_SCHEMA: &str = r#"{"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[{"name":"SequenceNumber","type":"long"},{"name":"Offset","type":"string"},{"name":"EnqueuedTimeUtc","type":"string"},{"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Properties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Body","type":["null","bytes"]}]}"#;

/// Capture's default archive name format.
pub const DEFAULT_ARCHIVE_NAME_FORMAT: &str =
    "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}";

/// One field of an archive name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Namespace,
    EventHub,
    PartitionId,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

const FIELDS: [(&str, Field); 9] = [
    ("Namespace", Field::Namespace),
    ("EventHub", Field::EventHub),
    ("PartitionId", Field::PartitionId),
    ("Year", Field::Year),
    ("Month", Field::Month),
    ("Day", Field::Day),
    ("Hour", Field::Hour),
    ("Minute", Field::Minute),
    ("Second", Field::Second),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(Field),
}

/// A hub's `archiveNameFormat`: every field is mandatory, in any order, between literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveNameFormat {
    parts: Vec<Part>,
}

/// What a Capture file's name says: whose events it holds and the start of its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveName {
    pub namespace: String,
    pub hub: String,
    pub partition: String,
    /// The window's start, seconds since the epoch (UTC).
    pub window_start: i64,
}

impl ArchiveNameFormat {
    /// Parse a format such as [`DEFAULT_ARCHIVE_NAME_FORMAT`]; refuses an unknown field, a
    /// missing one (Azure requires them all), a repeated one, and two fields with nothing
    /// between them (their values could not be told apart).
    pub fn parse(format: &str) -> Result<ArchiveNameFormat> {
        let mut parts = Vec::new();
        let mut rest = format;
        let mut seen = BTreeSet::new();
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| anyhow!("archive name format {format:?}: unclosed '{{'"))?;
                    let name = &rest[1..end];
                    let field = FIELDS
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|f| f.1)
                        .ok_or_else(|| {
                            anyhow!("archive name format {format:?}: unknown field {{{name}}}")
                        })?;
                    if !seen.insert(field) {
                        bail!("archive name format {format:?}: {{{name}}} appears twice");
                    }
                    if matches!(parts.last(), Some(Part::Field(_))) {
                        bail!("archive name format {format:?}: {{{name}}} follows another field with no separator");
                    }
                    parts.push(Part::Field(field));
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    parts.push(Part::Literal(rest[..end].to_string()));
                    rest = &rest[end..];
                }
            }
        }
        let missing: Vec<&str> = FIELDS
            .iter()
            .filter(|(_, f)| !seen.contains(f))
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            bail!(
                "archive name format {format:?}: every field is mandatory; missing {{{}}}",
                missing.join("}, {")
            );
        }
        Ok(ArchiveNameFormat { parts })
    }

    /// The blob name of a window's file (with `.avro`), dates padded with zeroes as Capture does.
    pub fn name(&self, name: &ArchiveName) -> String {
        let (y, mo, d, h, mi, s) = civil(name.window_start);
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Field(f) => out.push_str(&match f {
                    Field::Namespace => name.namespace.clone(),
                    Field::EventHub => name.hub.clone(),
                    Field::PartitionId => name.partition.clone(),
                    Field::Year => format!("{y:04}"),
                    Field::Month => format!("{mo:02}"),
                    Field::Day => format!("{d:02}"),
                    Field::Hour => format!("{h:02}"),
                    Field::Minute => format!("{mi:02}"),
                    Field::Second => format!("{s:02}"),
                }),
            }
        }
        out.push_str(".avro");
        out
    }

    /// Read a blob name (or a path ending in one: the container or directory before it is
    /// ignored). `None` when the name does not have the format's shape.
    pub fn parse_name(&self, path: &str) -> Option<ArchiveName> {
        let path = path.strip_suffix(".avro")?;
        // The format has as many `/` as the names it makes: match the path's tail with as many.
        let depth = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.matches('/').count(),
                Part::Field(_) => 0,
            })
            .sum::<usize>();
        let tail = match path.rmatch_indices('/').nth(depth) {
            Some((i, _)) => &path[i + 1..],
            None => path,
        };
        let mut values: Vec<(Field, &str)> = Vec::new();
        let mut rest = tail;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(l) => rest = rest.strip_prefix(l.as_str())?,
                Part::Field(f) => {
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || value.contains('/') {
                        return None;
                    }
                    values.push((*f, value));
                    rest = &rest[end..];
                }
            }
        }
        if !rest.is_empty() {
            return None;
        }
        let get = |f: Field| values.iter().find(|v| v.0 == f).map(|v| v.1);
        let num = |f: Field| -> Option<u32> {
            let v = get(f)?;
            v.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| v.parse().ok())?
        };
        let (y, mo, d) = (num(Field::Year)?, num(Field::Month)?, num(Field::Day)?);
        let (h, mi, s) = (num(Field::Hour)?, num(Field::Minute)?, num(Field::Second)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let days = days_from_civil(y as i64, mo, d);
        if civil(days * 86_400).2 != d {
            return None; // 31 April and the like
        }
        Some(ArchiveName {
            namespace: get(Field::Namespace)?.to_string(),
            hub: get(Field::EventHub)?.to_string(),
            partition: get(Field::PartitionId)?.to_string(),
            window_start: days * 86_400 + (h * 3600 + mi * 60 + s) as i64,
        })
    }
}

/// (year, month, day, hour, minute, second) of seconds since the epoch.
fn civil(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = aad_schemas::time::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    (y, m, d, sod / 3600, sod % 3600 / 60, sod % 60)
}

/// One event of a Capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureEvent {
    /// The partition's sequence number: the position `run` gives the same event.
    pub sequence: i64,
    pub offset: String,
    /// `EnqueuedTimeUtc` (a string in the file), ns since the epoch; `None` if it does not parse.
    pub enqueued: Option<i64>,
    /// The event body; Capture writes `null` for an event without one.
    pub body: Vec<u8>,
}

/// The events of one Capture file, in file order (which is sequence order). An empty file
/// (zero bytes, or a header without blocks) has none.
pub fn read_events(file: &[u8]) -> Result<Vec<CaptureEvent>> {
    if file.is_empty() {
        return Ok(Vec::new());
    }
    let reader = apache_avro::Reader::new(file).context("not an Avro object container file")?;
    check_schema(reader.writer_schema())?;
    let mut events = Vec::new();
    for value in reader {
        let value = value.context("reading an Avro block")?;
        events.push(event(value)?);
    }
    Ok(events)
}

/// The file must hold `EventData` records with the fields a position and a body come from.
fn check_schema(schema: &apache_avro::Schema) -> Result<()> {
    let apache_avro::Schema::Record(record) = schema else {
        bail!("the file's schema is not a record, so not Capture's EventData");
    };
    if record.name.name() != "EventData" {
        bail!(
            "the file's records are {:?}, not Capture's EventData",
            record.name.fullname(None)
        );
    }
    for field in ["SequenceNumber", "Offset", "EnqueuedTimeUtc", "Body"] {
        if !record.fields.iter().any(|f| f.name == field) {
            bail!("the file's EventData has no {field} field");
        }
    }
    Ok(())
}

fn event(value: Value) -> Result<CaptureEvent> {
    let Value::Record(fields) = value else {
        bail!("an EventData value is not a record");
    };
    let mut event = CaptureEvent {
        sequence: -1,
        offset: String::new(),
        enqueued: None,
        body: Vec::new(),
    };
    let mut sequence = None;
    for (name, value) in fields {
        let value = match value {
            Value::Union(_, inner) => *inner,
            v => v,
        };
        match (name.as_str(), value) {
            ("SequenceNumber", Value::Long(n)) => sequence = Some(n),
            ("SequenceNumber", Value::Int(n)) => sequence = Some(n as i64),
            ("Offset", Value::String(s)) => event.offset = s,
            ("Offset", Value::Long(n)) => event.offset = n.to_string(),
            ("EnqueuedTimeUtc", Value::String(s)) => event.enqueued = parse_timestamp(&s),
            ("Body", Value::Bytes(b)) => event.body = b,
            ("Body", Value::Null) => {}
            ("SequenceNumber" | "Body", other) => {
                bail!("EventData {name} is {other:?}, not what Capture writes")
            }
            _ => {}
        }
    }
    event.sequence =
        sequence.ok_or_else(|| anyhow!("an EventData record has no SequenceNumber"))?;
    Ok(event)
}

/// Which Capture files a backfill takes: windows starting in `from..to` (seconds since the
/// epoch; either end open) of the listed partitions (all when empty).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub partitions: Vec<String>,
}

impl Selection {
    pub fn takes(&self, name: &ArchiveName) -> bool {
        self.from.is_none_or(|f| name.window_start >= f)
            && self.to.is_none_or(|t| name.window_start < t)
            && (self.partitions.is_empty() || self.partitions.contains(&name.partition))
    }
}

/// One Capture file found under an input.
#[derive(Debug, Clone)]
pub struct CaptureFile {
    pub path: object_store::path::Path,
    pub name: ArchiveName,
    pub size: u64,
}

/// The files of one partition of one hub, in window order (so in sequence order).
#[derive(Debug, Clone)]
pub struct PartitionFiles {
    pub namespace: String,
    pub hub: String,
    pub partition: String,
    pub files: Vec<CaptureFile>,
}

/// List the Capture files under `location` that `selection` takes, grouped by hub and
/// partition. Objects whose names do not have the format's shape are skipped and counted in
/// the second value (a hand-placed file, a `.avro` of something else): they are not events.
pub async fn list(
    location: &crate::store::Location,
    format: &ArchiveNameFormat,
    selection: &Selection,
) -> Result<(Vec<PartitionFiles>, usize)> {
    let objects = super::list_objects(location).await?;
    let mut groups: std::collections::BTreeMap<(String, String, String), Vec<CaptureFile>> =
        Default::default();
    let mut other = 0;
    for meta in objects {
        let Some(name) = format.parse_name(meta.location.as_ref()) else {
            other += 1;
            continue;
        };
        if !selection.takes(&name) {
            continue;
        }
        groups
            .entry((
                name.namespace.clone(),
                name.hub.clone(),
                name.partition.clone(),
            ))
            .or_default()
            .push(CaptureFile {
                path: meta.location,
                name,
                size: meta.size,
            });
    }
    let mut partitions: Vec<PartitionFiles> = groups
        .into_iter()
        .map(|((namespace, hub, partition), mut files)| {
            files.sort_by_key(|f| f.name.window_start);
            PartitionFiles {
                namespace,
                hub,
                partition,
                files,
            }
        })
        .collect();
    // Partitions in numeric order where they are numbers, as Event Hubs numbers them.
    partitions.sort_by(|a, b| {
        (
            &a.namespace,
            &a.hub,
            a.partition.parse::<u64>().ok(),
            &a.partition,
        )
            .cmp(&(
                &b.namespace,
                &b.hub,
                b.partition.parse::<u64>().ok(),
                &b.partition,
            ))
    });
    Ok((partitions, other))
}

/// The events of one partition's files, file after file: what `convert` and `replay` read. One
/// file is held at a time. A file the store cannot give is an error (the run stops, to be run
/// again); a file that is not a Capture file (not Avro, another schema, a broken block) is set
/// aside in [`PartitionEvents::unreadable`] with the reason, and the next file is read.
pub struct PartitionEvents {
    store: std::sync::Arc<dyn object_store::ObjectStore>,
    rt: tokio::runtime::Handle,
    files: std::collections::VecDeque<CaptureFile>,
    current: std::vec::IntoIter<CaptureEvent>,
    /// Files whose content could not be read as Capture events: (path, reason).
    pub unreadable: Vec<(String, String)>,
}

impl PartitionEvents {
    pub fn new(
        store: std::sync::Arc<dyn object_store::ObjectStore>,
        rt: tokio::runtime::Handle,
        files: Vec<CaptureFile>,
    ) -> Self {
        PartitionEvents {
            store,
            rt,
            files: files.into(),
            current: Vec::new().into_iter(),
            unreadable: Vec::new(),
        }
    }
}

impl Iterator for PartitionEvents {
    type Item = Result<CaptureEvent>;

    fn next(&mut self) -> Option<Result<CaptureEvent>> {
        use object_store::ObjectStoreExt;
        loop {
            if let Some(e) = self.current.next() {
                return Some(Ok(e));
            }
            let file = self.files.pop_front()?;
            let read = self
                .rt
                .block_on(async { self.store.get(&file.path).await?.bytes().await });
            let bytes = match read.with_context(|| format!("reading {}", file.path)) {
                Ok(bytes) => bytes,
                Err(e) => return Some(Err(e)),
            };
            match read_events(&bytes) {
                Ok(events) => self.current = events.into_iter(),
                Err(e) => self
                    .unreadable
                    .push((file.path.to_string(), format!("not a Capture file: {e:#}"))),
            }
        }
    }
}

/// Writes Capture files as Azure does: [`EVENT_DATA_SCHEMA`], null or deflate codec. For
/// `generate --format capture` and tests.
pub fn write_events<'a>(
    events: impl IntoIterator<Item = (&'a CaptureEvent, &'a str)>,
    deflate: bool,
) -> Result<Vec<u8>> {
    let schema = apache_avro::Schema::parse_str(EVENT_DATA_SCHEMA).expect("the schema parses");
    let codec = if deflate {
        apache_avro::Codec::Deflate(Default::default())
    } else {
        apache_avro::Codec::Null
    };
    let mut writer = apache_avro::Writer::with_codec(&schema, Vec::new(), codec)?;
    for (e, enqueued_text) in events {
        let system = [
            ("x-opt-sequence-number".to_string(), Value::Long(e.sequence)),
            ("x-opt-offset".to_string(), Value::String(e.offset.clone())),
        ];
        let system: std::collections::HashMap<String, Value> = system
            .into_iter()
            .map(|(k, v)| {
                let branch = if matches!(v, Value::Long(_)) { 0 } else { 2 };
                (k, Value::Union(branch, Box::new(v)))
            })
            .collect();
        let record = Value::Record(vec![
            ("SequenceNumber".into(), Value::Long(e.sequence)),
            ("Offset".into(), Value::String(e.offset.clone())),
            (
                "EnqueuedTimeUtc".into(),
                Value::String(enqueued_text.to_string()),
            ),
            ("SystemProperties".into(), Value::Map(system)),
            ("Properties".into(), Value::Map(Default::default())),
            (
                "Body".into(),
                Value::Union(1, Box::new(Value::Bytes(e.body.clone()))),
            ),
        ]);
        writer.append_value(record)?;
    }
    Ok(writer.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_names_and_reads_back() {
        let f = ArchiveNameFormat::parse(DEFAULT_ARCHIVE_NAME_FORMAT).unwrap();
        let name = ArchiveName {
            namespace: "mynamespace".into(),
            hub: "myeventhub".into(),
            partition: "0".into(),
            window_start: parse_timestamp("2017-12-08T03:03:17Z").unwrap() / 1_000_000_000,
        };
        let blob = f.name(&name);
        // The example of the Capture overview.
        assert_eq!(blob, "mynamespace/myeventhub/0/2017/12/08/03/03/17.avro");
        assert_eq!(f.parse_name(&blob), Some(name.clone()));
        assert_eq!(
            f.parse_name(&format!("/data/mycontainer/{blob}")),
            Some(name)
        );
        assert_eq!(
            f.parse_name("mynamespace/myeventhub/0/2017/12/08/03/03/17.json"),
            None
        );
        assert_eq!(
            f.parse_name("mynamespace/myeventhub/0/2017/13/08/03/03/17.avro"),
            None
        );
        assert_eq!(
            f.parse_name("mynamespace/myeventhub/0/2017/04/31/03/03/17.avro"),
            None
        );
        assert_eq!(f.parse_name("ns/hub/0/2017/12/08/03/03.avro"), None);
    }

    #[test]
    fn a_user_format_in_another_order() {
        let f = ArchiveNameFormat::parse(
            "{Year}-{Month}-{Day}/{Namespace}.{EventHub}/p{PartitionId}/{Hour}{Minute}_{Second}",
        );
        // Two fields with nothing between them cannot be told apart.
        assert!(f.unwrap_err().to_string().contains("no separator"));
        let f = ArchiveNameFormat::parse(
            "{Year}-{Month}-{Day}/{Namespace}.{EventHub}/p{PartitionId}/{Hour}h{Minute}m{Second}",
        )
        .unwrap();
        let name = f
            .parse_name("c/2026-11-01/ns.hub/p3/10h05m00.avro")
            .unwrap();
        assert_eq!((name.namespace.as_str(), name.hub.as_str()), ("ns", "hub"));
        assert_eq!(name.partition, "3");
        assert_eq!(
            name.window_start,
            parse_timestamp("2026-11-01T10:05:00Z").unwrap() / 1_000_000_000
        );
        assert_eq!(f.parse_name(&f.name(&name)), Some(name));
        let err = ArchiveNameFormat::parse("{Namespace}/{EventHub}/{Year}/{Month}/{Day}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("{PartitionId}, {Hour}, {Minute}, {Second}"),
            "{err}"
        );
        assert!(ArchiveNameFormat::parse("{Namespace}/{Nope}").is_err());
    }

    #[test]
    fn events_round_trip_with_either_codec_and_empty_files_have_none() {
        let events: Vec<CaptureEvent> = (0..3)
            .map(|i| CaptureEvent {
                sequence: 40 + i,
                offset: (1000 * i).to_string(),
                enqueued: parse_timestamp("11/1/2026 10:00:05 AM"),
                body: format!("{{\"records\":[{{\"n\":{i}}}]}}").into_bytes(),
            })
            .collect();
        for deflate in [false, true] {
            let file =
                write_events(events.iter().map(|e| (e, "11/1/2026 10:00:05 AM")), deflate).unwrap();
            assert_eq!(read_events(&file).unwrap(), events);
        }
        assert!(read_events(&[]).unwrap().is_empty());
        let header_only = write_events(std::iter::empty(), true).unwrap();
        assert!(read_events(&header_only).unwrap().is_empty());
        assert!(read_events(b"{\"records\":[]}").is_err());
    }
}
