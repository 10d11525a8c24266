//! Small helpers over simd-json's flat tape: skipping values, writing them back as compact JSON,
//! and the text form used to compare duplicate sources.

use simd_json::{Node, StaticNode};

/// Number of tape nodes the value starting at `nodes[0]` occupies (itself included).
#[inline]
pub fn value_len(nodes: &[Node]) -> usize {
    match nodes[0] {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

/// Iterate the `(key, value_index)` pairs of the object at `tape[at]`; indices are absolute.
pub fn object_fields<'t, 'i>(
    tape: &'t [Node<'i>],
    at: usize,
) -> impl Iterator<Item = (&'i str, usize)> + 't {
    let len = match tape[at] {
        Node::Object { len, .. } => len,
        _ => 0,
    };
    let mut idx = at + 1;
    (0..len).map(move |_| {
        let key = match tape[idx] {
            Node::String(k) => k,
            _ => "",
        };
        let value = idx + 1;
        idx = value + value_len(&tape[value..]);
        (key, value)
    })
}

/// Iterate the element indices of the array at `tape[at]`; indices are absolute.
pub fn array_elements<'t>(tape: &'t [Node<'_>], at: usize) -> impl Iterator<Item = usize> + 't {
    let len = match tape[at] {
        Node::Array { len, .. } => len,
        _ => 0,
    };
    let mut idx = at + 1;
    (0..len).map(move |_| {
        let here = idx;
        idx += value_len(&tape[idx..]);
        here
    })
}

const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any of the 8 bytes in `w` needs escaping: `"`, `\\` or a control byte (< 0x20).
#[inline(always)]
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64)) | below_space) != 0
}

/// Length of the prefix of `bytes` that needs no escaping, sixteen bytes at a time (SSE2 is part
/// of every x86_64 CPU), then eight at a time elsewhere.
#[inline(always)]
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is baseline on x86_64; loads are unaligned and stay within `bytes`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control_max = _mm_set1_epi8(0x1f);
            while i + 16 <= bytes.len() {
                let v = _mm_loadu_si128(bytes.as_ptr().add(i) as *const __m128i);
                // A byte is a control character when max(byte, 0x1f) == 0x1f (unsigned).
                let control = _mm_cmpeq_epi8(_mm_max_epu8(v, control_max), control_max);
                let special = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                    control,
                );
                let mask = _mm_movemask_epi8(special);
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += 16;
            }
        }
    }
    while i + 8 <= bytes.len() {
        if needs_escape(u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap())) {
            break;
        }
        i += 8;
    }
    while i < bytes.len() && !ESCAPE[bytes[i] as usize] {
        i += 1;
    }
    i
}

/// Append `s` as a JSON string literal. Most values need no escape: they are scanned in wide
/// steps and copied in one piece.
#[inline]
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let mut bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    loop {
        let clean = clean_prefix(bytes);
        out.extend_from_slice(&bytes[..clean]);
        let Some(&b) = bytes.get(clean) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            }
        }
        bytes = &bytes[clean + 1..];
    }
    out.push(b'"');
}

/// Append a scalar as JSON text (numbers exactly: integers above 2^53 stay exact, quirk §d.28).
#[inline]
pub fn write_static(v: &StaticNode, out: &mut Vec<u8>) {
    match v {
        StaticNode::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        StaticNode::U64(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        StaticNode::F64(f) => {
            if f.is_finite() {
                out.extend_from_slice(ryu::Buffer::new().format_finite(*f).as_bytes())
            } else {
                out.extend_from_slice(b"null")
            }
        }
        StaticNode::Bool(true) => out.extend_from_slice(b"true"),
        StaticNode::Bool(false) => out.extend_from_slice(b"false"),
        StaticNode::Null => out.extend_from_slice(b"null"),
    }
}

/// Append the value at `nodes[0]` as compact JSON; returns the nodes consumed.
pub fn write_json(nodes: &[Node], out: &mut Vec<u8>) -> usize {
    match nodes[0] {
        Node::String(s) => {
            write_str(s, out);
            1
        }
        Node::Static(ref v) => {
            write_static(v, out);
            1
        }
        Node::Object { len, count } => {
            out.push(b'{');
            let mut idx = 1;
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                if let Node::String(k) = nodes[idx] {
                    write_str(k, out);
                }
                out.push(b':');
                idx += 1;
                idx += write_json(&nodes[idx..], out);
            }
            out.push(b'}');
            count + 1
        }
        Node::Array { len, count } => {
            out.push(b'[');
            let mut idx = 1;
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                idx += write_json(&nodes[idx..], out);
            }
            out.push(b']');
            count + 1
        }
    }
}

/// Where each tape node's text lies in the original message, when the message is compact JSON
/// (no whitespace between tokens, as Entra sends it). Objects and arrays are then copied from the
/// message instead of being serialized again: the same JSON, with numbers exactly as sent.
///
/// Only this crate makes one (from a message it parsed, whose text is valid UTF-8 and whose spans
/// begin and end at ASCII punctuation), so text copied through it is always valid UTF-8: what
/// makes the string columns sound (see [`crate::builders`]). Code outside this crate cannot
/// make one, so it cannot pass arbitrary bytes on to a column through
/// [`crate::Normalizer::record`]:
///
/// ```compile_fail
/// let raw = aad_schemas::json::RawSpans { bytes: b"\xff\xfe", spans: &[(0, 2)] };
/// ```
#[derive(Clone, Copy)]
pub struct RawSpans<'a> {
    /// The message text (compact); valid UTF-8.
    pub(crate) bytes: &'a [u8],
    /// Per tape node: [start, end) in `bytes`; set for objects and arrays, and for every node in
    /// `verbatim`.
    pub(crate) spans: &'a [(u32, u32)],
    /// Nodes whose text must be copied from `bytes`, sorted by tape index: values simd-json
    /// refuses, which the slower path (`crate::decode`) hands on as text. Empty on the fast path.
    pub(crate) verbatim: &'a [(u32, Verbatim)],
}

/// Why a value is kept as the text it was sent as (valid JSON that simd-json refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbatim {
    /// A number outside 64-bit integers or beyond `f64` (`12345678901234567890123`, `1e400`):
    /// on the tape as a string holding the number's text.
    Number,
    /// A string with a lone UTF-16 surrogate escape (`"\ud800"`), which UTF-8 cannot hold: on
    /// the tape with U+FFFD in its place; its JSON text keeps the escape.
    LoneSurrogate,
}

impl RawSpans<'_> {
    /// Whether the node at `at` is kept verbatim, and why.
    #[inline]
    pub fn verbatim(&self, at: usize) -> Option<Verbatim> {
        if self.verbatim.is_empty() {
            return None;
        }
        self.verbatim
            .binary_search_by_key(&(at as u32), |&(n, _)| n)
            .ok()
            .map(|i| self.verbatim[i].1)
    }

    /// Whether any node is kept verbatim (only messages of the slower path).
    #[inline]
    pub fn has_verbatim(&self) -> bool {
        !self.verbatim.is_empty()
    }

    #[inline]
    fn copy(&self, at: usize, out: &mut Vec<u8>) {
        let (start, end) = self.spans[at];
        out.extend_from_slice(&self.bytes[start as usize..end as usize]);
    }
}

/// The verbatim kind of the node at `at`, if any.
#[inline]
pub fn verbatim(raw: Option<&RawSpans>, at: usize) -> Option<Verbatim> {
    raw.and_then(|r| r.verbatim(at))
}

/// Append the value at `tape[at]` as compact JSON: a container is copied from the message when
/// its span is known, and so is a value kept verbatim; everything else is written from the tape.
#[inline]
pub fn write_value(tape: &[Node], at: usize, raw: Option<&RawSpans>, out: &mut Vec<u8>) {
    match (raw, &tape[at]) {
        (Some(r), Node::Object { .. } | Node::Array { .. }) => r.copy(at, out),
        (Some(r), _) if r.verbatim(at).is_some() => r.copy(at, out),
        _ => {
            write_json(&tape[at..], out);
        }
    }
}

/// Append the key of the object member whose value is at `tape[value]` as a JSON string: from
/// the message when it is kept verbatim (a lone surrogate escape), from the tape otherwise.
#[inline]
pub fn write_key(tape: &[Node], value: usize, raw: Option<&RawSpans>, out: &mut Vec<u8>) {
    match (raw, &tape[value - 1]) {
        (Some(r), _) if r.verbatim(value - 1).is_some() => r.copy(value - 1, out),
        (_, Node::String(k)) => write_str(k, out),
        _ => write_str("", out),
    }
}

/// Whether the members whose values are at `a` and `b` have the same key: the same string, as
/// JSON compares them (UTF-16 code units), also when a key holds a lone surrogate escape.
pub fn same_key(tape: &[Node], a: usize, b: usize, raw: Option<&RawSpans>) -> bool {
    let (ka, kb) = (a - 1, b - 1);
    match (verbatim(raw, ka), verbatim(raw, kb)) {
        (None, None) => match (&tape[ka], &tape[kb]) {
            (Node::String(x), Node::String(y)) => x == y,
            _ => false,
        },
        (Some(_), Some(_)) => {
            let r = raw.expect("verbatim keys come with their text");
            let text = |k: usize| {
                let (s, e) = r.spans[k];
                &r.bytes[s as usize..e as usize]
            };
            utf16_units(text(ka)) == utf16_units(text(kb))
        }
        // A key with a lone surrogate never equals one without.
        _ => false,
    }
}

/// The key of the member whose value is at `tape[value]`, as UTF-16 code units (lone
/// surrogates included): a key's identity as JSON compares keys.
pub fn key_units(tape: &[Node], value: usize, raw: Option<&RawSpans>) -> Vec<u16> {
    match (raw, &tape[value - 1]) {
        (Some(r), _) if r.verbatim(value - 1).is_some() => {
            let (s, e) = r.spans[value - 1];
            utf16_units(&r.bytes[s as usize..e as usize])
        }
        (_, Node::String(k)) => k.encode_utf16().collect(),
        _ => Vec::new(),
    }
}

/// The UTF-16 code units of a JSON string literal (with its quotes), escapes decoded; lone
/// surrogates stay as they are. Used only for the rare keys kept verbatim.
fn utf16_units(literal: &[u8]) -> Vec<u16> {
    let inner = literal
        .get(1..literal.len().saturating_sub(1))
        .unwrap_or_default();
    let text = String::from_utf8_lossy(inner);
    let mut units = Vec::with_capacity(inner.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                units.push(u16::from_str_radix(&hex, 16).unwrap_or(0xFFFD));
            }
            Some('b') => units.push(8),
            Some('f') => units.push(12),
            Some('n') => units.push(10),
            Some('r') => units.push(13),
            Some('t') => units.push(9),
            Some(other) => units.push(other as u16),
            None => {}
        }
    }
    units
}

/// What a structural character is, for [`compute_spans`].
const SCALAR: u8 = 0;
const OPEN_OBJECT: u8 = 1;
const OPEN_ARRAY: u8 = 2;
const CLOSE: u8 = 3;
const SEPARATOR: u8 = 4;
const WHITESPACE: u8 = 5;
static CLASS: [u8; 256] = {
    let mut t = [SCALAR; 256];
    t[b'{' as usize] = OPEN_OBJECT;
    t[b'[' as usize] = OPEN_ARRAY;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t[b':' as usize] = SEPARATOR;
    t[b',' as usize] = SEPARATOR;
    t[b' ' as usize] = WHITESPACE;
    t[b'\t' as usize] = WHITESPACE;
    t[b'\r' as usize] = WHITESPACE;
    t[b'\n' as usize] = WHITESPACE;
    t
};

/// Compute [`RawSpans`] of a parsed message from simd-json's structural indexes, or `false` when
/// the message is not compact (or anything does not line up), in which case values are written
/// from the tape. One pass over the structurals; `stack` and `spans` are reused buffers. Only
/// containers get a span (nothing else is copied), so a scalar costs a counter increment: this
/// pass runs over every structural of every message, next to simd-json's own two.
pub fn compute_spans(
    bytes: &[u8],
    structurals: &[u32],
    tape: &[Node],
    spans: &mut Vec<(u32, u32)>,
    stack: &mut Vec<usize>,
) -> bool {
    // Only containers' entries are written here, and only theirs are read (`write_value`); the
    // others keep what an earlier message left. Growing instead of clearing saves zeroing a
    // tape's worth of entries per message.
    if spans.len() < tape.len() {
        spans.resize(tape.len(), (0, 0));
    }
    stack.clear();
    // Whitespace between tokens always touches a punctuation character: after an opener or a
    // separator, or before a closer or a separator.
    let class_at = |i: usize| bytes.get(i).map_or(SCALAR, |&b| CLASS[b as usize]);
    let mut node = 0;
    for &p in structurals {
        let p = p as usize;
        let Some(&b) = bytes.get(p) else { break };
        match CLASS[b as usize] {
            SCALAR => node += 1,
            SEPARATOR => {
                if class_at(p + 1) == WHITESPACE || class_at(p.wrapping_sub(1)) == WHITESPACE {
                    return false;
                }
            }
            CLOSE => {
                let Some(n) = stack.pop() else { return false };
                spans[n].1 = p as u32 + 1;
                if class_at(p.wrapping_sub(1)) == WHITESPACE {
                    return false;
                }
            }
            open => {
                let expected = match tape.get(node) {
                    Some(Node::Object { .. }) => OPEN_OBJECT,
                    Some(Node::Array { .. }) => OPEN_ARRAY,
                    _ => return false,
                };
                if open != expected || class_at(p + 1) == WHITESPACE {
                    return false;
                }
                spans[node].0 = p as u32;
                stack.push(node);
                node += 1;
            }
        }
    }
    node == tape.len() && stack.is_empty()
}

/// The text a string column would hold for this value: a string's content, a number's digits,
/// `true`/`false`, or compact JSON for objects and arrays. `None` for null.
pub fn text_form(nodes: &[Node], out: &mut Vec<u8>) -> bool {
    match nodes[0] {
        Node::String(s) => {
            out.extend_from_slice(s.as_bytes());
            true
        }
        Node::Static(StaticNode::Null) => false,
        Node::Static(ref v) => {
            write_static(v, out);
            true
        }
        _ => {
            write_json(nodes, out);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Containers copied from compact messages; pretty ones refused.
    #[test]
    fn spans_cover_containers_exactly() {
        let text = br#"{"a":[1,2.50,{"b":"x\"y"}],"c":{},"d":-0.0}"#;
        let mut input = text.to_vec();
        input.resize(text.len() + simd_json::INPUT_PADDING, 0);
        let mut buffers = simd_json::Buffers::new(64);
        let mut tape = simd_json::Tape::null().reset();
        simd_json::fill_tape_padded(&mut input, text.len(), &mut buffers, &mut tape).unwrap();
        let (mut spans, mut stack) = (Vec::new(), Vec::new());
        assert!(compute_spans(
            text,
            buffers.structural_indexes(),
            &tape.0,
            &mut spans,
            &mut stack
        ));
        let raw = RawSpans {
            bytes: text,
            spans: &spans,
            verbatim: &[],
        };
        let mut out = Vec::new();
        let (_, a) = object_fields(&tape.0, 0).next().unwrap();
        write_value(&tape.0, a, Some(&raw), &mut out);
        assert_eq!(out, br#"[1,2.50,{"b":"x\"y"}]"#);
        out.clear();
        write_value(&tape.0, 0, Some(&raw), &mut out);
        assert_eq!(out, text);

        let pretty = b"{ \"a\": [1] }";
        let mut input = pretty.to_vec();
        input.resize(pretty.len() + simd_json::INPUT_PADDING, 0);
        let mut tape = simd_json::Tape::null().reset();
        simd_json::fill_tape_padded(&mut input, pretty.len(), &mut buffers, &mut tape).unwrap();
        assert!(!compute_spans(
            pretty,
            buffers.structural_indexes(),
            &tape.0,
            &mut spans,
            &mut stack
        ));

        // A shorter message after those reuses the entries they left: its containers still
        // get exactly their own text.
        let short = br#"{"z":{"y":[]},"w":[{}]}"#;
        let mut input = short.to_vec();
        input.resize(short.len() + simd_json::INPUT_PADDING, 0);
        let mut tape = simd_json::Tape::null().reset();
        simd_json::fill_tape_padded(&mut input, short.len(), &mut buffers, &mut tape).unwrap();
        assert!(spans.len() > tape.0.len());
        assert!(compute_spans(
            short,
            buffers.structural_indexes(),
            &tape.0,
            &mut spans,
            &mut stack
        ));
        let raw = RawSpans {
            bytes: short,
            spans: &spans,
            verbatim: &[],
        };
        let texts: Vec<Vec<u8>> = object_fields(&tape.0, 0)
            .map(|(_, v)| {
                let mut out = Vec::new();
                write_value(&tape.0, v, Some(&raw), &mut out);
                out
            })
            .collect();
        assert_eq!(texts, [br#"{"y":[]}"#.to_vec(), br#"[{}]"#.to_vec()]);
    }

    fn round_trip(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).unwrap();
        let mut out = Vec::new();
        let n = write_json(&tape.0, &mut out);
        assert_eq!(n, tape.0.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_compact_json_exactly() {
        assert_eq!(
            round_trip(
                r#"{ "a" : [1, -2, 2.5, true, null, "x\"y\\z\n\u0001é"], "b": {}, "c": [] }"#
            ),
            r#"{"a":[1,-2,2.5,true,null,"x\"y\\z\n\u0001é"],"b":{},"c":[]}"#
        );
        // .NET ticks above 2^53 stay exact (§d.28); a literal backslash-u stays literal (§d.30).
        assert_eq!(
            round_trip(r#"{"t":638754711120000000}"#),
            r#"{"t":638754711120000000}"#
        );
        assert_eq!(round_trip(r#"["CA \\u0026 B"]"#), r#"["CA \\u0026 B"]"#);
        // Escapes at every offset of the 8-byte scan.
        for at in 0..40 {
            let mut s = "abcdefghijklmnopqrstuvwxyzäöü0123456789".to_string();
            let at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
            s.insert(at, '"');
            s.insert(at, '\u{1f}');
            let mut out = Vec::new();
            write_str(&s, &mut out);
            let expected = format!(
                "\"{}\"",
                s.replace('"', "\\\"").replace('\u{1f}', "\\u001f")
            );
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn iterates_fields_and_elements() {
        let mut bytes = br#"{"a":{"x":[1,2]},"b":[{"y":1},3],"c":"s"}"#.to_vec();
        let tape = simd_json::to_tape(&mut bytes).unwrap();
        let keys: Vec<&str> = object_fields(&tape.0, 0).map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let (_, b) = object_fields(&tape.0, 0).nth(1).unwrap();
        assert_eq!(array_elements(&tape.0, b).count(), 2);
    }
}
