//! Message bytes → records. Accepts the `{"records":[…]}` envelope, a JSON array of records, or a
//! bare record (quirk §d.1), after an optional UTF-8 BOM (§d.6). Parses with simd-json into a
//! reused tape over a reused, padded copy of the message, so the caller's bytes stay intact for
//! the dead letter and no allocation happens per message once the buffers have grown.
//!
//! A message that is valid JSON (RFC 8259) is never dead-lettered for how its values are
//! written: when simd-json refuses it (integers past 64 bits, numbers past `f64`, lone surrogate
//! escapes), a slower path (`slow.rs`) decodes just that message, handing those values on
//! as the text they were sent as; [`crate::NormalizeStats::slow_path`] counts such messages.
//! What is not JSON stays a dead letter with simd-json's reason, and so does JSON nested deeper
//! than 1024 levels (RFC 8259 §9 lets a parser limit depth). Valid JSON that is not a record (`42`,
//! `"x"`, an element of `[1,2]`) is a dead letter per record: "record is not a JSON object".
//!
//! An envelope that repeats its `records` key has the records of every `records` array decoded,
//! in order: an envelope is not a record, so the normalizer's duplicate-key rule (the last
//! occurrence wins) does not apply to it, and no batch of records is dropped.

use simd_json::{Buffers, Node, Tape};

use crate::builders::BatchSet;
use crate::json::{array_elements, compute_spans, object_fields, write_value, RawSpans, Verbatim};
use crate::normalize::{MessageContext, Normalizer};
use crate::slow::{Refused, Rewrite, MAX_DEPTH};

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
    slow: Rewrite,
    /// The slower path's attempts: as refused, then with every fraction as text too.
    attempts: &'static [bool],
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            buffers: Buffers::new(1 << 16),
            input: Vec::new(),
            tape: Some(Tape::null().reset()),
            spans: Vec::new(),
            stack: Vec::new(),
            slow: Rewrite::default(),
            attempts: &[false, true],
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
        let (outcome, spare) = match fill(&mut self.input, &mut self.buffers, body, &mut tape) {
            Err(e) => {
                let spare = tape.reset();
                self.slow_path(body, message, &e, spare, ctx, normalizer, out, rejected)
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
                    verbatim: &[],
                });
                let outcome = records_of(&tape.0, raw.as_ref(), ctx, normalizer, out, rejected);
                (outcome, tape.reset())
            }
        };
        self.tape = Some(spare);
        outcome
    }

    /// A message simd-json refused: decoded through [`Rewrite`] when it is valid JSON, else a
    /// dead letter with simd-json's reason. Returns the tape for reuse.
    #[allow(clippy::too_many_arguments)]
    fn slow_path(
        &mut self,
        body: &[u8],
        message: &[u8],
        refusal: &str,
        mut spare: Tape<'static>,
        ctx: &MessageContext,
        normalizer: &mut Normalizer,
        out: &mut BatchSet,
        rejected: &mut Vec<Rejected>,
    ) -> (MessageOutcome, Tape<'static>) {
        let mut dead = |reason: String| {
            rejected.push(Rejected {
                reason,
                record_index: None,
                raw: message.to_vec(),
            });
            MessageOutcome {
                records: 1,
                rows: 0,
                rejected: 1,
            }
        };
        let mut again = String::new();
        for &every_fraction in self.attempts {
            match self.slow.run(body, every_fraction) {
                Ok(()) => {}
                Err(Refused::Invalid) => return (dead(format!("invalid JSON: {refusal}")), spare),
                Err(Refused::TooDeep) => {
                    return (
                        dead(format!(
                            "JSON nested deeper than {MAX_DEPTH} levels (RFC 8259 §9 lets a \
                             parser limit depth): {refusal}"
                        )),
                        spare,
                    )
                }
            }
            let mut tape = spare.reset();
            match fill(
                &mut self.input,
                &mut self.buffers,
                &self.slow.rewritten,
                &mut tape,
            ) {
                Err(e) => {
                    again = e;
                    spare = tape.reset();
                }
                Ok(()) => {
                    let outcome = match restore(&mut tape.0, &self.slow) {
                        Ok(()) => {
                            normalizer.stats.slow_path += 1;
                            let raw = RawSpans {
                                bytes: &self.slow.original,
                                spans: &self.slow.spans,
                                verbatim: &self.slow.verbatim,
                            };
                            records_of(&tape.0, Some(&raw), ctx, normalizer, out, rejected)
                        }
                        Err(why) => {
                            debug_assert!(false, "slower path: {why}");
                            dead(format!("invalid JSON: {refusal} (slower path: {why})"))
                        }
                    };
                    return (outcome, tape.reset());
                }
            }
        }
        debug_assert!(false, "valid JSON refused twice: {refusal}; {again}");
        (
            dead(format!(
                "invalid JSON: {refusal} (valid JSON as far as the slower path can tell, refused \
                 after it too: {again})"
            )),
            spare,
        )
    }
}

/// Point each refused number's tape node at its text in the rewrite's `original`, after checking
/// that the tape has the shape the rewrite pass saw.
fn restore<'a>(tape: &mut [Node<'a>], slow: &'a Rewrite) -> Result<(), String> {
    if tape.len() != slow.spans.len() {
        return Err(format!(
            "{} tape nodes, {} seen by the pass",
            tape.len(),
            slow.spans.len()
        ));
    }
    for &(node, kind) in &slow.verbatim {
        let node = node as usize;
        if !matches!(tape[node], Node::String(_)) {
            return Err(format!("node {node} is not a string"));
        }
        if kind == Verbatim::Number {
            let (start, end) = slow.spans[node];
            let text = std::str::from_utf8(&slow.original[start as usize..end as usize])
                .map_err(|e| e.to_string())?;
            tape[node] = Node::String(text);
        }
    }
    Ok(())
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
        Node::Object { .. } if is_envelope(tape) => {
            let arrays = object_fields(tape, 0)
                .filter(|&(key, v)| key == "records" && matches!(tape[v], Node::Array { .. }));
            let elements = arrays.flat_map(|(_, arr)| array_elements(tape, arr));
            for (i, at) in elements.enumerate() {
                one(at, i as u32, &mut outcome);
            }
        }
        Node::Object { .. } => one(0, 0, &mut outcome),
        Node::Array { .. } => {
            for (i, at) in array_elements(tape, 0).enumerate() {
                one(at, i as u32, &mut outcome);
            }
        }
        _ => one(0, 0, &mut outcome),
    }
    outcome
}

/// Whether the object at `tape[0]` is an envelope: it has a `records` member that is an array
/// and no `category` (so a record that happens to carry a `records` field stays a record).
fn is_envelope(tape: &[Node]) -> bool {
    let mut records = false;
    for (key, v) in object_fields(tape, 0) {
        match key {
            "records" if matches!(tape[v], Node::Array { .. }) => records = true,
            "category" | "Category" => return false,
            _ => {}
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;

    use super::*;
    use crate::SchemaOptions;

    /// The fallback attempt (every number with a fraction or an exponent handed on as text, for a
    /// number simd-json and Rust would read differently at the edge of `f64`) still yields the
    /// row: numbers coerce as numbers do, and JSON keeps them as sent.
    #[test]
    fn every_fraction_as_text_still_coerces_and_keeps_numbers_as_sent() {
        let mut decoder = Decoder {
            attempts: &[true],
            ..Decoder::default()
        };
        let mut normalizer = Normalizer::new(SchemaOptions::default());
        let mut set = BatchSet::new(SchemaOptions::default());
        let mut rejected = Vec::new();
        let ctx = MessageContext {
            source: "t",
            partition: None,
            sequence: 1,
            enqueued: None,
        };
        let message = r#"{"category":"SignInLogs","durationMs":2.0E0,"resultType":1.50,"properties":{"status":{"a":1.0E+2}},"x":-0.0e-999,"y":1e400}"#;
        let outcome = decoder.message(
            message.as_bytes(),
            &ctx,
            &mut normalizer,
            &mut set,
            &mut rejected,
        );
        assert_eq!((outcome.rows, outcome.rejected), (1, 0), "{rejected:?}");
        assert_eq!(normalizer.stats.slow_path, 1);
        let (_, _, b) = set.finish().remove(0);
        let text = |c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_string()
        };
        let duration = b.column_by_name("DurationMs").unwrap();
        assert_eq!(duration.as_primitive::<Int64Type>().value(0), 2);
        assert_eq!(text("ResultType"), "1.50");
        assert_eq!(text("Status"), r#"{"a":1.0E+2}"#);
        assert_eq!(text("AdditionalFields"), r#"{"x":-0.0e-999,"y":1e400}"#);
    }

    /// A body simd-json refuses but is no JSON keeps simd-json's reason; the slower path counts
    /// nothing.
    #[test]
    fn invalid_json_keeps_simd_jsons_reason() {
        let mut decoder = Decoder::default();
        let mut normalizer = Normalizer::new(SchemaOptions::default());
        let mut set = BatchSet::new(SchemaOptions::default());
        let mut rejected = Vec::new();
        let ctx = MessageContext {
            source: "t",
            partition: None,
            sequence: 1,
            enqueued: None,
        };
        let outcome = decoder.message(
            b"{\"a\":1e400",
            &ctx,
            &mut normalizer,
            &mut set,
            &mut rejected,
        );
        assert_eq!((outcome.records, outcome.rejected), (1, 1));
        assert!(
            rejected[0].reason.starts_with("invalid JSON: "),
            "{}",
            rejected[0].reason
        );
        assert!(!rejected[0].reason.contains("slower path"));
        assert_eq!(normalizer.stats.slow_path, 0);
        assert_eq!(set.rows(), 0);
    }
}
