//! Message bytes → records. Accepts the `{"records":[…]}` envelope, a JSON array of records, or a
//! bare record (quirk §d.1), after an optional UTF-8 BOM (§d.6). Parses with simd-json into a
//! reused tape over a reused, padded copy of the message, so the caller's bytes stay intact for
//! the dead letter and no allocation happens per message once the buffers have grown.

use simd_json::{Buffers, Node, Tape};

use crate::builders::BatchSet;
use crate::json::{array_elements, compute_spans, object_fields, write_value, RawSpans};
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
    spans: Vec<(u32, u32)>,
    stack: Vec<usize>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            buffers: Buffers::new(1 << 16),
            input: Vec::new(),
            tape: Some(Tape::null().reset()),
            spans: Vec::new(),
            stack: Vec::new(),
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parse `body` into `tape` over a padded copy in `input`.
fn fill<'a>(
    input: &'a mut Vec<u8>,
    buffers: &mut Buffers,
    body: &[u8],
    tape: &mut Tape<'a>,
) -> Result<(), String> {
    input.clear();
    input.extend_from_slice(body);
    input.resize(body.len() + simd_json::INPUT_PADDING, 0);
    simd_json::fill_tape_padded(input, body.len(), buffers, tape).map_err(|e| e.to_string())
}

impl Decoder {
    /// Parse only (the simd-json ceiling that benches compare against). Returns tape nodes.
    pub fn parse_only(&mut self, message: &[u8]) -> Result<usize, String> {
        let body = message.strip_prefix(BOM).unwrap_or(message);
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| Tape::null().reset())
            .reset();
        let res = fill(&mut self.input, &mut self.buffers, body, &mut tape).map(|_| tape.0.len());
        self.tape = Some(tape.reset());
        res
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
        let body = message.strip_prefix(BOM).unwrap_or(message);
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| Tape::null().reset())
            .reset();
        let outcome = match fill(&mut self.input, &mut self.buffers, body, &mut tape) {
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
            Ok(()) => {
                let compact = compute_spans(
                    body,
                    self.buffers.structural_indexes(),
                    &tape.0,
                    &mut self.spans,
                    &mut self.stack,
                );
                let raw = compact.then_some(RawSpans {
                    bytes: body,
                    spans: &self.spans,
                });
                records_of(&tape.0, raw.as_ref(), ctx, normalizer, out, rejected)
            }
        };
        self.tape = Some(tape.reset());
        outcome
    }
}

fn records_of(
    tape: &[Node],
    raw: Option<&RawSpans>,
    ctx: &MessageContext,
    normalizer: &mut Normalizer,
    out: &mut BatchSet,
    rejected: &mut Vec<Rejected>,
) -> MessageOutcome {
    let mut outcome = MessageOutcome::default();
    let mut one = |at: usize, index: u32, outcome: &mut MessageOutcome| {
        outcome.records += 1;
        match normalizer.record(tape, raw, at, ctx, index as i32, out) {
            Ok(_) => outcome.rows += 1,
            Err(e) => {
                let mut bytes = Vec::new();
                write_value(tape, at, raw, &mut bytes);
                rejected.push(Rejected {
                    reason: e.reason().to_string(),
                    record_index: Some(index),
                    raw: bytes,
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
