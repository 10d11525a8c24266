//! Message bytes → records. Accepts the `{"records":[…]}` envelope, a JSON array of records, or a
//! bare record (quirk §d.1), after an optional UTF-8 BOM (§d.6). Parses with simd-json into a
//! reused tape over a reused, padded copy of the message, so the caller's bytes stay intact for
//! the dead letter and no allocation happens per message once the buffers have grown.

use simd_json::{Buffers, Node, Tape};

use crate::builders::BatchSet;
use crate::json::{array_elements, object_fields, write_json};
use crate::normalize::{MessageContext, Normalizer};

/// A message or record that could not become a row: the dead letter's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub reason: String,
    /// Index of the record inside the message; `None` when the whole message was rejected.
    pub record_index: Option<u32>,
    /// The bytes rejected: the whole message, or the record re-serialized as JSON.
    pub raw: Vec<u8>,
}

/// What decoding one message produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageOutcome {
    /// Records in the message (a message that does not parse counts as one).
    pub records: u64,
    pub rows: u64,
    pub rejected: u64,
}

/// Reusable parse state; one per worker thread.
pub struct Decoder {
    buffers: Buffers,
    input: Vec<u8>,
    tape: Option<Tape<'static>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            buffers: Buffers::new(1 << 16),
            input: Vec::new(),
            tape: Some(Tape::null().reset()),
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Decoder {
    /// Parse only (the simd-json ceiling that benches compare against). Returns tape nodes.
    pub fn parse_only(&mut self, message: &[u8]) -> Result<usize, String> {
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| Tape::null().reset())
            .reset();
        let res = self.fill(message, &mut tape).map(|_| tape.0.len());
        self.tape = Some(tape.reset());
        res
    }

    fn fill<'a>(&'a mut self, message: &[u8], tape: &mut Tape<'a>) -> Result<(), String> {
        let body = message.strip_prefix(BOM).unwrap_or(message);
        self.input.clear();
        self.input.extend_from_slice(body);
        self.input.resize(body.len() + simd_json::INPUT_PADDING, 0);
        simd_json::fill_tape_padded(&mut self.input, body.len(), &mut self.buffers, tape)
            .map_err(|e| e.to_string())
    }

    /// Decode one message and normalize each of its records into `out`; rejected messages and
    /// records are appended to `rejected`.
    pub fn message(
        &mut self,
        message: &[u8],
        ctx: &MessageContext,
        normalizer: &mut Normalizer,
        out: &mut BatchSet,
        rejected: &mut Vec<Rejected>,
    ) -> MessageOutcome {
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| Tape::null().reset())
            .reset();
        let outcome = match self.fill(message, &mut tape) {
            Err(e) => {
                rejected.push(Rejected {
                    reason: format!("invalid JSON: {e}"),
                    record_index: None,
                    raw: message.to_vec(),
                });
                MessageOutcome {
                    records: 1,
                    rows: 0,
                    rejected: 1,
                }
            }
            Ok(()) => records_of(&tape.0, ctx, normalizer, out, rejected),
        };
        self.tape = Some(tape.reset());
        outcome
    }
}

fn records_of(
    tape: &[Node],
    ctx: &MessageContext,
    normalizer: &mut Normalizer,
    out: &mut BatchSet,
    rejected: &mut Vec<Rejected>,
) -> MessageOutcome {
    let mut outcome = MessageOutcome::default();
    let mut one = |at: usize, index: u32, outcome: &mut MessageOutcome| {
        outcome.records += 1;
        match normalizer.record(tape, at, ctx, index as i32, out) {
            Ok(_) => outcome.rows += 1,
            Err(e) => {
                let mut raw = Vec::new();
                write_json(&tape[at..], &mut raw);
                rejected.push(Rejected {
                    reason: e.reason().to_string(),
                    record_index: Some(index),
                    raw,
                });
                outcome.rejected += 1;
            }
        }
    };
    match tape[0] {
        Node::Object { .. } => match envelope_records(tape) {
            Some(arr) => {
                for (i, at) in array_elements(tape, arr).enumerate() {
                    one(at, i as u32, &mut outcome);
                }
            }
            None => one(0, 0, &mut outcome),
        },
        Node::Array { .. } => {
            for (i, at) in array_elements(tape, 0).enumerate() {
                one(at, i as u32, &mut outcome);
            }
        }
        _ => one(0, 0, &mut outcome),
    }
    outcome
}

/// The `records` array of an envelope: an object whose `records` member is an array and that
/// has no `category` (so a record that happens to carry a `records` field stays a record).
fn envelope_records(tape: &[Node]) -> Option<usize> {
    let mut records = None;
    for (key, v) in object_fields(tape, 0) {
        match key {
            "records" if matches!(tape[v], Node::Array { .. }) => records = Some(v),
            "category" | "Category" => return None,
            _ => {}
        }
    }
    records
}
