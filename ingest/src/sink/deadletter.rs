//! Dead letters: every message or record that could not become a row, with the raw bytes, the
//! reason and the position, as NDJSON under `_deadletter/` in the same store as the lake. One
//! file per input, named from the input's identity, so a rerun replaces it.

use aad_schemas::json::write_str;
use aad_schemas::{BatchSet, Decoder, MessageContext, MessageOutcome, Normalizer, Rejected};
use anyhow::{Context, Result};
use object_store::{ObjectStoreExt, PutPayload};
use tokio::runtime::Handle;

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
    let outcome = match body {
        Some(body) => decoder.message(body, ctx, normalizer, set, &mut rejected),
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
    };
    dead.extend(rejected.into_iter().map(|r| DeadLetter {
        sequence: ctx.sequence,
        partition: ctx.partition.map(str::to_string),
        rejected: r,
    }));
    outcome
}

/// Render dead letters as NDJSON: `source`, `partition`, `sequence`, `record_index`, `reason`,
/// and `raw` (the bytes as text) or `raw_base64` when they are not UTF-8.
pub fn render(source: &str, letters: &[DeadLetter]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in letters {
        out.extend_from_slice(b"{\"source\":");
        write_str(source, &mut out);
        out.extend_from_slice(b",\"partition\":");
        match &l.partition {
            Some(p) => write_str(p, &mut out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(format!(",\"sequence\":{}", l.sequence).as_bytes());
        match l.rejected.record_index {
            Some(i) => out.extend_from_slice(format!(",\"record_index\":{i}").as_bytes()),
            None => out.extend_from_slice(b",\"record_index\":null"),
        }
        out.extend_from_slice(b",\"reason\":");
        write_str(&l.rejected.reason, &mut out);
        match std::str::from_utf8(&l.rejected.raw) {
            Ok(text) => {
                out.extend_from_slice(b",\"raw\":");
                write_str(text, &mut out);
            }
            Err(_) => {
                out.extend_from_slice(b",\"raw_base64\":\"");
                out.extend_from_slice(base64(&l.rejected.raw).as_bytes());
                out.push(b'"');
            }
        }
        out.extend_from_slice(b"}\n");
    }
    out
}

/// Write (or, when there are none, remove a stale) dead-letter file for one input.
pub fn store(
    location: &Location,
    rt: &Handle,
    name: &str,
    source: &str,
    letters: &[DeadLetter],
) -> Result<Option<String>> {
    let path = location.child(&format!("_deadletter/{name}.ndjson"));
    if letters.is_empty() {
        match rt.block_on(location.store.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("removing stale {path}")),
        }
    }
    let body = render(source, letters);
    rt.block_on(location.store.put(&path, PutPayload::from(body)))
        .with_context(|| format!("writing {path}"))?;
    Ok(Some(path.to_string()))
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
}
