//! Dead letters: every message or record that could not become a row, with the raw bytes, the
//! reason and the position, as NDJSON under `_deadletter/` in the same store as the lake. One
//! file per input, named from the input's identity, so a rerun replaces it.
//!
//! A [`DeadLetterWriter`] streams them as they come, in parts: an input with a million bad
//! records holds one part of rendered text, not all of it. The file appears whole when the
//! writer finishes (a multipart upload completes, or a local staging file is synced and renamed
//! into place) and replaces the one an earlier run left; a writer that received nothing removes
//! that earlier file instead, and one dropped unfinished leaves the earlier file as it was.

use std::sync::Arc;

use aad_schemas::json::write_str;
use aad_schemas::{BatchSet, Decoder, MessageContext, MessageOutcome, Normalizer, Rejected};
use anyhow::{Context, Result};
use bytes::Bytes;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use tokio::io::AsyncWriteExt;
use tokio::runtime::Handle;

use crate::sink::parquet::StagedFile;
use crate::store::Location;

/// One dead letter with its position.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub sequence: i64,
    pub partition: Option<String>,
    pub rejected: Rejected,
}

/// Decode and normalize one message (`None`: an event without a body) into `set`; what cannot
/// become a row joins `dead` with its position. The one decode → dead-letter step that `convert`
/// and the service share.
pub fn decode_message(
    decoder: &mut Decoder,
    normalizer: &mut Normalizer,
    set: &mut BatchSet,
    body: Option<&[u8]>,
    ctx: &MessageContext,
    dead: &mut Vec<DeadLetter>,
) -> MessageOutcome {
    let mut rejected = Vec::new();
    let outcome = decode_message_into(decoder, normalizer, set, body, ctx, &mut rejected);
    dead.extend(rejected.into_iter().map(|r| DeadLetter {
        sequence: ctx.sequence,
        partition: ctx.partition.map(str::to_string),
        rejected: r,
    }));
    outcome
}

/// [`decode_message`], leaving what cannot become a row in `rejected` as the decoder made it:
/// every entry has the message's position (`ctx`). A message of a million bad records makes a
/// million entries; not copying them once more into [`DeadLetter`]s saves that much again.
pub fn decode_message_into(
    decoder: &mut Decoder,
    normalizer: &mut Normalizer,
    set: &mut BatchSet,
    body: Option<&[u8]>,
    ctx: &MessageContext,
    rejected: &mut Vec<Rejected>,
) -> MessageOutcome {
    match body {
        Some(body) => decoder.message(body, ctx, normalizer, set, rejected),
        None => {
            rejected.push(Rejected {
                reason: "event has no data body".into(),
                record_index: None,
                raw: Vec::new(),
            });
            MessageOutcome {
                records: 0,
                rows: 0,
                rejected: 1,
            }
        }
    }
}

/// Render dead letters as NDJSON: `source`, `partition`, `sequence`, `record_index`, `reason`,
/// and `raw` (the bytes as text) or `raw_base64` when they are not UTF-8.
pub fn render(source: &str, letters: &[DeadLetter]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in letters {
        render_one(
            source,
            l.partition.as_deref(),
            l.sequence,
            &l.rejected,
            &mut out,
        );
    }
    out
}

/// Append one dead letter's NDJSON line to `out`.
pub fn render_one(
    source: &str,
    partition: Option<&str>,
    sequence: i64,
    rejected: &Rejected,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"source\":");
    write_str(source, out);
    out.extend_from_slice(b",\"partition\":");
    match partition {
        Some(p) => write_str(p, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"sequence\":");
    out.extend_from_slice(itoa::Buffer::new().format(sequence).as_bytes());
    match rejected.record_index {
        Some(i) => {
            out.extend_from_slice(b",\"record_index\":");
            out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        }
        None => out.extend_from_slice(b",\"record_index\":null"),
    }
    out.extend_from_slice(b",\"reason\":");
    write_str(&rejected.reason, out);
    match std::str::from_utf8(&rejected.raw) {
        Ok(text) => {
            out.extend_from_slice(b",\"raw\":");
            write_str(text, out);
        }
        Err(_) => {
            out.extend_from_slice(b",\"raw_base64\":\"");
            out.extend_from_slice(base64(&rejected.raw).as_bytes());
            out.push(b'"');
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Write (or, when there are none, remove a stale) dead-letter file for one input.
pub fn store(
    location: &Location,
    rt: &Handle,
    name: &str,
    source: &str,
    letters: &[DeadLetter],
) -> Result<Option<String>> {
    let mut writer = DeadLetterWriter::new(location, rt, name, source);
    for l in letters {
        writer.write(l.partition.as_deref(), l.sequence, &l.rejected)?;
    }
    writer.finish()
}

/// Rendered text gathered before it is sent on as a part.
const PART: usize = 1 << 20;
/// The object store's writer holds this much before it switches from one put to a multipart
/// upload (5 MiB is the smallest part S3 accepts).
const UPLOAD_CAPACITY: usize = 5 << 20;

/// Where a dead-letter file's parts go, once there is a first one.
enum Out {
    Store(BufWriter),
    Local(StagedFile),
}

/// The dead letters of one input (or segment), streamed into `_deadletter/<name>.ndjson`.
pub struct DeadLetterWriter {
    location: Location,
    rt: Handle,
    path: Path,
    source: String,
    buf: Vec<u8>,
    out: Option<Out>,
    count: u64,
}

impl DeadLetterWriter {
    pub fn new(location: &Location, rt: &Handle, name: &str, source: &str) -> Self {
        DeadLetterWriter {
            location: location.clone(),
            rt: rt.clone(),
            path: location.child(&format!("_deadletter/{name}.ndjson")),
            source: source.to_string(),
            buf: Vec::new(),
            out: None,
            count: 0,
        }
    }

    /// Dead letters written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Add one dead letter.
    pub fn write(
        &mut self,
        partition: Option<&str>,
        sequence: i64,
        rejected: &Rejected,
    ) -> Result<()> {
        render_one(&self.source, partition, sequence, rejected, &mut self.buf);
        self.count += 1;
        if self.buf.len() >= PART {
            self.send()?;
        }
        Ok(())
    }

    /// Send the rendered text on, opening the upload (or the local staging file) first.
    fn send(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                let out = match &self.location.local {
                    Some(_) => {
                        let file = StagedFile::create(&self.location, &self.path)
                            .with_context(|| format!("creating {}", self.path))?;
                        Out::Local(file)
                    }
                    None => Out::Store(BufWriter::with_capacity(
                        Arc::clone(&self.location.store),
                        self.path.clone(),
                        UPLOAD_CAPACITY,
                    )),
                };
                self.out.insert(out)
            }
        };
        match out {
            Out::Local(file) => {
                file.write_all(&self.buf)
                    .with_context(|| format!("writing {}", self.path))?;
                self.buf.clear();
            }
            Out::Store(w) => {
                let part = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PART)));
                self.rt
                    .block_on(w.put(part))
                    .with_context(|| format!("writing {}", self.path))?;
            }
        }
        Ok(())
    }

    /// Complete the file, which replaces an earlier run's; with no dead letters, remove that
    /// earlier file instead. Returns the file's path, if there is one.
    pub fn finish(mut self) -> Result<Option<String>> {
        if self.count == 0 {
            return match self.rt.block_on(self.location.store.delete(&self.path)) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e).with_context(|| format!("removing stale {}", self.path)),
            };
        }
        self.send()?;
        match self.out.take().expect("sent at least one part") {
            Out::Local(file) => file.commit(),
            Out::Store(mut w) => self.rt.block_on(w.shutdown()),
        }
        .with_context(|| format!("writing {}", self.path))?;
        Ok(Some(self.path.to_string()))
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_raw_text_or_base64() {
        let letters = vec![
            DeadLetter {
                sequence: 7,
                partition: None,
                rejected: Rejected {
                    reason: "invalid JSON: x".into(),
                    record_index: None,
                    raw: b"{\"a\":".to_vec(),
                },
            },
            DeadLetter {
                sequence: 9,
                partition: Some("3".into()),
                rejected: Rejected {
                    reason: "bad".into(),
                    record_index: Some(2),
                    raw: vec![0xff, 0x00, 0x41],
                },
            },
        ];
        let text = String::from_utf8(render("/in/a.json", &letters)).unwrap();
        assert_eq!(
            text,
            "{\"source\":\"/in/a.json\",\"partition\":null,\"sequence\":7,\"record_index\":null,\"reason\":\"invalid JSON: x\",\"raw\":\"{\\\"a\\\":\"}\n\
             {\"source\":\"/in/a.json\",\"partition\":\"3\",\"sequence\":9,\"record_index\":2,\"reason\":\"bad\",\"raw_base64\":\"/wBB\"}\n"
        );
        assert_eq!(base64(b"hello"), "aGVsbG8=");
    }

    fn letter(i: u32) -> Rejected {
        Rejected {
            reason: "record is not a JSON object".into(),
            record_index: Some(i),
            raw: b"1".to_vec(),
        }
    }

    /// Dead letters go out in parts as they come; the file appears (whole) when the writer
    /// finishes and replaces an earlier one; a writer dropped unfinished changes nothing; one
    /// that received nothing removes the earlier file. Locally and through an object store.
    #[test]
    fn dead_letters_stream_and_replace_the_earlier_file() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let local = crate::store::open(dir.path().to_str().unwrap()).unwrap();
        let memory = Location {
            store: Arc::new(object_store::memory::InMemory::new()),
            prefix: Path::from("lake"),
            display: "memory".into(),
            local: None,
        };
        for location in [local, memory] {
            let read = |name: &str| -> Option<String> {
                let path = location.child(&format!("_deadletter/{name}.ndjson"));
                let got = rt.block_on(location.store.get(&path)).ok()?;
                Some(String::from_utf8(rt.block_on(got.bytes()).unwrap().to_vec()).unwrap())
            };
            let n = 40_000; // About 5 MiB of text: several parts, a multipart upload.
            let mut w = DeadLetterWriter::new(&location, rt.handle(), "a", "/in/a.json");
            for i in 0..n {
                w.write(None, 7, &letter(i)).unwrap();
            }
            assert!(w.buf.len() < PART, "text is held, not sent on");
            assert_eq!(read("a"), None, "visible before it is finished");
            let path = w.finish().unwrap().unwrap();
            assert_eq!(path, location.child("_deadletter/a.ndjson").to_string());
            let text = read("a").unwrap();
            assert_eq!(text.lines().count(), n as usize);
            let expected: Vec<u8> = (0..n)
                .flat_map(|i| {
                    let mut line = Vec::new();
                    render_one("/in/a.json", None, 7, &letter(i), &mut line);
                    line
                })
                .collect();
            assert!(text.as_bytes() == expected.as_slice());

            // A rerun dropped midway leaves the earlier file; one that finishes replaces it.
            let mut w = DeadLetterWriter::new(&location, rt.handle(), "a", "/in/a.json");
            for i in 0..n {
                w.write(None, 8, &letter(i)).unwrap();
            }
            drop(w);
            assert!(read("a").unwrap() == text);
            let mut w = DeadLetterWriter::new(&location, rt.handle(), "a", "/in/a.json");
            w.write(None, 9, &letter(0)).unwrap();
            w.finish().unwrap();
            assert_eq!(read("a").unwrap().lines().count(), 1);

            // No dead letters: the earlier file goes.
            let w = DeadLetterWriter::new(&location, rt.handle(), "a", "/in/a.json");
            assert_eq!(w.finish().unwrap(), None);
            assert_eq!(read("a"), None);
        }
        // Nothing of the local writers is left behind (staging files).
        let left: Vec<_> = std::fs::read_dir(dir.path().join("_staging"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
