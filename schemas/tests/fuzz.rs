//! A fuzz harness on stable Rust over decode + normalize, with no fuzzing dependency: a small
//! seeded generator of Entra messages (envelopes, bare records, arrays; categories and keys from
//! the catalogue; nested `properties`; duplicate keys; odd numbers, strings and escapes, among
//! them the values simd-json refuses), byte-level mutations of those and of the committed seed
//! corpus (`tests/fuzz-corpus/`), truncations, and arbitrary bytes.
//!
//! For every message it asserts: no panic; records = rows + dead letters, and the counts agree
//! with the dead letters, the rows built and the normalizer's stats; a message that is valid
//! JSON (RFC 8259, checked independently with serde_json) is never dead-lettered as a whole, and
//! one that is not is exactly one dead letter saying "invalid JSON"; a dead-lettered record is
//! re-serialized as valid JSON. The batches built are valid Arrow (`RecordBatch::try_new` and
//! `ArrayData::validate_full`), every JSON column holds valid JSON, and `AdditionalFields` never
//! repeats a key.
//!
//! `AAD_FUZZ_SECS` bounds the run (default 3 s, so `cargo test` stays fast; `scripts/test` runs
//! 60 s in release); `AAD_FUZZ_SEED` replays a run. A failing input is written to
//! `target/fuzz-failures/` and printed; keep it as a test case (a file in the corpus, or a test).
//! `cargo test -p aad-schemas --test fuzz -- --ignored write_corpus` regenerates the corpus.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aad_schemas::catalogue::{Catalogue, LaType, Source};
use aad_schemas::{BatchSet, Decoder, MessageContext, Normalizer, Rejected, SchemaOptions};
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use serde::de::{IgnoredAny, MapAccess, Visitor};

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, seeded.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// The structure-aware generator. It writes JSON text directly, so that it can write every odd
// form real data and RFC 8259 allow (escapes, number spellings, whitespace, repeated keys).

struct Gen<'r> {
    rng: &'r mut Rng,
    /// Whitespace between tokens (pretty) or none (compact, as Entra sends).
    pretty: bool,
    /// Percent of values that are odd (refused numbers, lone surrogates, type mismatches).
    odd: u64,
}

const PLAIN: &[&str] = &[
    "",
    "x",
    "Sign-in activity",
    "Add member to group",
    "MFA für Gäste",
    "CA – iOS \\u0026 Android – Unmanaged",
    "user@contoso.com",
    "00000000-0000-0000-0000-000000000000",
    "ec779c36-93f8-4501-bed9-eeb4936de39d",
    "<null>",
    "&lt;null&gt;",
    "None",
    "0",
    "-1",
    "50140",
    "true",
    "False",
    "14.2187",
    "Informational",
    "/tenants/ABC/providers/Microsoft.aadiam",
    "/TENANTS/x/PROVIDERS/MICROSOFT.AADIAM",
    "[\\\"Member\\\"]",
    "{\\\"agentType\\\":\\\"notAgentic\\\"}",
    "😀 emoji",
    "日本語",
    "\u{2028}\u{2029}\u{7f}\u{10FFFF}\u{FFFD}",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];

const ESCAPES: &[&str] = &[
    "\\n",
    "\\r",
    "\\t",
    "\\b",
    "\\f",
    "\\\"",
    "\\\\",
    "\\/",
    "\\u0000",
    "\\u001f",
    "\\u0026",
    "\\u00e9",
    "\\uFFFF",
    "\\uffFE",
    "\\ud83d\\ude00",
    "\\uDBFF\\uDFFF",
    "\\ud800",
    "\\udc00",
    "\\uDBFF",
    "\\ud800\\u0041",
    "\\ud800\\ud800\\udc00",
    "\\udc00\\ud800",
];

const TIMES: &[&str] = &[
    "2025-11-14T01:48:53.1234567Z",
    "2025-11-14T01:48:53Z",
    "2022-09-09T9:59:27.958Z",
    "2025-12-12T14:56:31+00:00",
    "2025-07-01T10:45:17.5824212+02:00",
    "11/14/2025 1:48:53 AM",
    "10/10/2023 13:26:34",
    "1/9/2007 10:41:00 AM +01:00",
    "2024-02-29T23:59:59.999999999Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "",
    "yesterday",
    "2025-13-40T99:99:99Z",
    "1739874011",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "4",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "12345678901234567890123",
    "-12345678901234567890123",
    "638754711120000000",
    "1.5",
    "2.50",
    "-0.0",
    "1E+2",
    "1e-7",
    "0.1e1",
    "1e308",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "-1.7976931348623159e308",
    "2e308",
    "1e400",
    "-1e400",
    "1e-400",
    "-0.0e-999",
    "0e400",
    "1e99999999999",
    "1e-99999999999",
    "5e-324",
    "2.4e-324",
    "1e0000000000000000000001",
    "123456789012345678901234567890e-10",
    "0.000000000000000000000000000000000000000000001e-300",
];

impl Gen<'_> {
    fn ws(&mut self, out: &mut Vec<u8>) {
        if self.pretty && self.rng.chance(40) {
            for _ in 0..=self.rng.below(3) {
                out.push(*self.rng.pick(b" \t\n\r"));
            }
        }
    }

    fn string(&mut self, out: &mut Vec<u8>) {
        out.push(b'"');
        for _ in 0..self.rng.below(4) {
            if self.rng.chance(self.odd.max(10)) {
                let e = *self.rng.pick(ESCAPES);
                out.extend_from_slice(e.as_bytes());
            } else {
                let p = *self.rng.pick(PLAIN);
                out.extend_from_slice(p.as_bytes());
            }
        }
        out.push(b'"');
    }

    fn number(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(4) {
            0 => {
                let n = *self.rng.pick(NUMBERS);
                out.extend_from_slice(n.as_bytes());
            }
            1 => {
                // A long run of digits, maybe with a fraction and an exponent.
                if self.rng.chance(30) {
                    out.push(b'-');
                }
                out.push(b'1' + self.rng.below(9) as u8);
                for _ in 0..self.rng.below(45) {
                    out.push(b'0' + self.rng.below(10) as u8);
                }
                if self.rng.chance(30) {
                    out.push(b'.');
                    for _ in 0..=self.rng.below(20) {
                        out.push(b'0' + self.rng.below(10) as u8);
                    }
                }
                if self.rng.chance(40) {
                    out.push(*self.rng.pick(b"eE"));
                    if self.rng.chance(50) {
                        out.push(*self.rng.pick(b"+-"));
                    }
                    let e = self.rng.below(420);
                    out.extend_from_slice(e.to_string().as_bytes());
                }
            }
            2 => {
                let n = self.rng.next() as i64 >> self.rng.below(64);
                out.extend_from_slice(n.to_string().as_bytes());
            }
            _ => {
                let f = f64::from_bits(self.rng.next());
                if f.is_finite() {
                    out.extend_from_slice(format!("{f:e}").as_bytes());
                } else {
                    out.push(b'7');
                }
            }
        }
    }

    fn scalar(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(6) {
            0 | 1 => self.string(out),
            2 | 3 => self.number(out),
            4 => {
                let b = *self.rng.pick(&["true", "false"]);
                out.extend_from_slice(b.as_bytes())
            }
            _ => out.extend_from_slice(b"null"),
        }
    }

    /// Any JSON value, nested up to `depth`.
    fn any(&mut self, depth: usize, out: &mut Vec<u8>) {
        if depth == 0 || self.rng.chance(55) {
            return self.scalar(out);
        }
        if self.rng.chance(50) {
            out.push(b'[');
            for i in 0..self.rng.below(4) {
                if i > 0 {
                    out.push(b',');
                }
                self.ws(out);
                self.any(depth - 1, out);
                self.ws(out);
            }
            out.push(b']');
        } else {
            let members: Vec<(String, Option<LaType>)> =
                (0..self.rng.below(4)).map(|_| (self.key(), None)).collect();
            self.object(&members, depth - 1, out);
        }
    }

    /// A key no column takes, sometimes odd.
    fn key(&mut self) -> String {
        let keys = [
            "extra",
            "agent",
            "tokenProtectionStatusDetails",
            "__UDI_RequiredFields_EventTime",
            "C_Sid",
            "c_Sid",
            "",
            "properties#1",
            "k\\u00e9y",
            "\\ud800",
            "\\uD800",
            "\\udc00x",
            "\\u0000",
            "a\\\"b",
        ];
        self.rng.pick(&keys).to_string()
    }

    /// A value for a column of type `la`, or (sometimes) something else.
    fn value(&mut self, la: Option<LaType>, depth: usize, out: &mut Vec<u8>) {
        if self.rng.chance(self.odd) {
            return self.any(depth, out);
        }
        match la {
            Some(LaType::Datetime) => {
                let t = *self.rng.pick(TIMES);
                out.push(b'"');
                out.extend_from_slice(t.as_bytes());
                out.push(b'"');
            }
            Some(LaType::Int | LaType::Long | LaType::Real) => self.number(out),
            Some(LaType::Bool) => {
                let b = *self
                    .rng
                    .pick(&["true", "false", "\"True\"", "\"false\"", "1", "null"]);
                out.extend_from_slice(b.as_bytes());
            }
            Some(LaType::Dynamic) => self.any(depth.max(1), out),
            Some(LaType::String | LaType::Guid) => self.string(out),
            None => self.any(depth, out),
        }
    }

    /// An object of `members` (key, column type), some repeated, in a shuffled order.
    fn object(&mut self, members: &[(String, Option<LaType>)], depth: usize, out: &mut Vec<u8>) {
        let mut order: Vec<usize> = (0..members.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, self.rng.below(i + 1));
        }
        if !members.is_empty() && self.rng.chance(15) {
            for _ in 0..=self.rng.below(2) {
                let at = self.rng.below(order.len() + 1);
                let again = *self.rng.pick(&order);
                order.insert(at, again);
            }
        }
        out.push(b'{');
        for (i, &m) in order.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.ws(out);
            let (key, la) = &members[m];
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.push(b'"');
            self.ws(out);
            out.push(b':');
            self.ws(out);
            self.value(*la, depth, out);
            self.ws(out);
        }
        out.push(b'}');
    }

    /// One Entra record: a category from the catalogue (or an odd one), top-level and
    /// `properties` keys from its columns' sources, some keys no column takes.
    fn record(&mut self, out: &mut Vec<u8>) {
        let cat = Catalogue::get();
        let table = self.rng.pick(&cat.tables);
        let mut top: Vec<(String, Option<LaType>)> = Vec::new();
        let mut props: Vec<(String, Option<LaType>)> = Vec::new();
        for col in &table.columns {
            if !self.rng.chance(35) {
                continue;
            }
            for src in &col.sources {
                match src {
                    Source::Top(k) if self.rng.chance(60) => {
                        top.push((k.to_string(), Some(col.la_type)))
                    }
                    Source::Prop(k) if self.rng.chance(80) => {
                        props.push((k.to_string(), Some(col.la_type)))
                    }
                    _ => {}
                }
            }
        }
        if self.rng.chance(80) {
            top.push(("time".into(), Some(LaType::Datetime)));
        }
        for _ in 0..self.rng.below(3) {
            let k = self.key();
            top.push((k, None));
        }
        for _ in 0..self.rng.below(3) {
            let k = self.key();
            props.push((k, None));
        }
        if self.rng.chance(2) {
            // A large object (past the normalizer's small-object size), some keys repeated.
            let n = 250 + self.rng.below(300);
            for i in 0..n {
                let k = if self.rng.chance(5) {
                    format!("f{}", self.rng.below(i + 1))
                } else {
                    format!("f{i}")
                };
                props.push((k, None));
            }
        }
        top.retain(|(k, _)| k != "category" && k != "Category" && k != "properties");
        // Write the record: category first or anywhere, properties maybe twice or not an object.
        let mut body = Vec::new();
        let mut category = Vec::new();
        match self.rng.below(10) {
            0 => self.value(None, 1, &mut category),
            1 => category.extend_from_slice(b"\"NetworkAccessTrafficLogs\""),
            2 => {
                category.push(b'"');
                for c in table.categories.first().copied().unwrap_or("x").chars() {
                    let c = if self.rng.chance(50) {
                        c.to_ascii_lowercase()
                    } else {
                        c.to_ascii_uppercase()
                    };
                    category.push(c as u8);
                }
                category.push(b'"');
            }
            _ => {
                let c = table
                    .categories
                    .first()
                    .copied()
                    .unwrap_or("MicrosoftGraphActivityLogs");
                category = format!("\"{c}\"").into_bytes();
            }
        }
        let key = if self.rng.chance(85) {
            "category"
        } else {
            "Category"
        };
        let depth = 3;
        self.object(&top, depth, &mut body);
        // Splice category and properties into the object text.
        out.push(b'{');
        self.ws(out);
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut part = Vec::new();
        write!(Sink(&mut part), "\"{key}\":").unwrap();
        part.extend_from_slice(&category);
        parts.push(part);
        for _ in 0..(1 + usize::from(self.rng.chance(10))) {
            let mut part = b"\"properties\":".to_vec();
            if self.rng.chance(5) {
                self.scalar(&mut part);
            } else {
                self.object(&props, depth, &mut part);
            }
            parts.push(part);
        }
        if self.rng.chance(8) {
            // The category again, maybe different.
            let mut part = format!("\"{key}\":").into_bytes();
            if self.rng.chance(50) {
                part.extend_from_slice(&category);
            } else {
                part.extend_from_slice(b"\"AuditLogs\"");
            }
            parts.push(part);
        }
        let inner = &body[1..body.len() - 1];
        if !inner.iter().all(u8::is_ascii_whitespace) {
            parts.push(inner.to_vec());
        }
        for i in (1..parts.len()).rev() {
            parts.swap(i, self.rng.below(i + 1));
        }
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(p);
        }
        self.ws(out);
        out.push(b'}');
    }

    /// A message: an envelope, a bare record, or an array of records.
    fn message(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.rng.chance(3) {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        self.ws(&mut out);
        match self.rng.below(10) {
            0..=5 => {
                out.extend_from_slice(b"{\"records\":[");
                for i in 0..self.rng.below(5) {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.ws(&mut out);
                    if self.rng.chance(5) {
                        self.any(2, &mut out);
                    } else {
                        self.record(&mut out);
                    }
                }
                out.push(b']');
                if self.rng.chance(5) {
                    out.extend_from_slice(b",\"records\":[");
                    self.record(&mut out);
                    out.push(b']');
                }
                out.push(b'}');
            }
            6..=7 => self.record(&mut out),
            8 => {
                out.push(b'[');
                for i in 0..self.rng.below(4) {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.record(&mut out);
                }
                out.push(b']');
            }
            _ => self.any(4, &mut out),
        }
        self.ws(&mut out);
        out
    }
}

/// `write!` into a `Vec<u8>`.
struct Sink<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations.

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"1e400",
    b"12345678901234567890123",
    b"\\ud800",
    b"\\u",
    b"null",
    b"\"records\":",
    b"\"category\":\"SignInLogs\"",
    b"\"properties\":{",
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
    b"\xEF\xBB\xBF",
    b" ",
    b"\n",
    b"\t",
    b"\x00",
    b"\x1f",
    b"-",
    b"0",
    b"e",
    b".",
    b"true",
    b"\"\\udc00\"",
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut m = input.to_vec();
    for _ in 0..=rng.below(3) {
        let len = m.len();
        match rng.below(7) {
            0 => m.truncate(rng.below(len + 1)),
            1 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                m.drain(a..b);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let copy = m[a..b].to_vec();
                let at = rng.below(len + 1);
                m.splice(at..at, copy);
            }
            3 => {
                let at = rng.below(len + 1);
                let t = rng.pick(TOKENS).to_vec();
                m.splice(at..at, t);
            }
            4 if len > 0 => {
                let at = rng.below(len);
                m[at] ^= 1 << rng.below(8);
            }
            5 if !corpus.is_empty() => {
                let other = rng.pick(corpus);
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(64)).min(other.len());
                    let at = rng.below(len + 1);
                    m.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ => {
                // Replace a number-looking byte run with an odd number.
                if let Some(at) = m.iter().position(|b| b.is_ascii_digit()) {
                    let n = rng.pick(NUMBERS).as_bytes().to_vec();
                    m.splice(at..at + 1, n);
                }
            }
        }
    }
    m
}

fn arbitrary(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(64);
    if rng.chance(50) {
        (0..n).map(|_| rng.next() as u8).collect()
    } else {
        let mut out = Vec::new();
        for _ in 0..n / 4 {
            let t: &&[u8] = rng.pick(TOKENS);
            out.extend_from_slice(t);
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// Valid JSON per RFC 8259, by serde_json (an independent parser): `None` when it cannot tell
/// (nesting past its recursion limit).
fn valid_json(bytes: &[u8]) -> Option<bool> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(false);
    };
    match serde_json::from_str::<IgnoredAny>(text) {
        Ok(_) => Some(true),
        Err(e) if e.to_string().contains("recursion limit") => None,
        Err(_) => Some(false),
    }
}

/// Fails when an object (the top level, or its `properties` member) repeats a key. Keys that do
/// not decode to UTF-8 (lone surrogates) end the check early: validity is checked elsewhere.
/// Deeper objects are values kept as the record had them, repeated keys and all (a `properties`
/// member inside `properties` among them), so they are not checked.
struct UniqueKeys {
    /// Whether this is the top level, whose `properties` member is checked too.
    top: bool,
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with unique keys")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("repeated key {key:?}")));
            }
            if self.top && key == "properties" {
                map.next_value_seed(Props)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Props;
impl<'de> serde::de::DeserializeSeed<'de> for Props {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(PropsVisitor)
    }
}
struct PropsVisitor;
impl<'de> Visitor<'de> for PropsVisitor {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("anything")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        UniqueKeys { top: false }.visit_map(map)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

fn repeated_key(text: &str) -> Option<String> {
    let mut d = serde_json::Deserializer::from_str(text);
    match serde::Deserializer::deserialize_map(&mut d, UniqueKeys { top: true }) {
        Err(e) if e.to_string().starts_with("repeated key") => Some(e.to_string()),
        _ => None,
    }
}

/// Decode, normalize and check messages; finishes and checks batches now and then.
struct Harness {
    decoder: Decoder,
    normalizer: Normalizer,
    set: BatchSet,
    rows: u64,
    cases: u64,
    slow: u64,
    valid: u64,
    dead: u64,
    /// The inputs whose rows are in `set`, by case number from `first_case`.
    inputs: Vec<Vec<u8>>,
    first_case: u64,
}

/// What failed, and the input that made it fail.
type Failure = (String, Vec<u8>);

impl Harness {
    fn new() -> Harness {
        Harness {
            decoder: Decoder::default(),
            normalizer: Normalizer::new(SchemaOptions::default()),
            set: BatchSet::new(SchemaOptions::default()),
            rows: 0,
            cases: 0,
            slow: 0,
            valid: 0,
            dead: 0,
            inputs: Vec::new(),
            first_case: 1,
        }
    }

    /// Check one message, and the batches when enough rows have gathered.
    fn check(&mut self, message: &[u8]) -> Result<(), Failure> {
        self.check_message(message)
            .map_err(|e| (e, message.to_vec()))?;
        if self.set.rows() > 3000 {
            self.flush()?;
        }
        Ok(())
    }

    fn check_message(&mut self, message: &[u8]) -> Result<(), String> {
        self.cases += 1;
        self.inputs.push(message.to_vec());
        let ctx = MessageContext {
            source: "fuzz",
            partition: Some("0"),
            sequence: self.cases as i64,
            enqueued: None,
        };
        let mut rejected: Vec<Rejected> = Vec::new();
        let rows_before = self.set.rows() as u64;
        let records_before = self.normalizer.stats.records();
        let slow_before = self.normalizer.stats.slow_path;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.decoder.message(
                message,
                &ctx,
                &mut self.normalizer,
                &mut self.set,
                &mut rejected,
            )
        }))
        .map_err(|p| {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            format!("panic: {what}")
        })?;
        let rows = self.set.rows() as u64 - rows_before;
        self.slow += self.normalizer.stats.slow_path - slow_before;
        self.dead += outcome.rejected;
        let fail = |what: String| {
            Err(format!(
                "{what}; outcome {outcome:?}, dead letters {rejected:?}"
            ))
        };
        if outcome.records != outcome.rows + outcome.rejected {
            return fail("records != rows + dead letters".into());
        }
        if outcome.rejected != rejected.len() as u64 || outcome.rows != rows {
            return fail(format!("counts disagree: {rows} rows built"));
        }
        if self.normalizer.stats.records() - records_before != rows {
            return fail("stats disagree".into());
        }
        if self.normalizer.stats.slow_path - slow_before > 1 {
            return fail("slow path counted twice".into());
        }
        let body = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
        let whole = rejected.iter().filter(|r| r.record_index.is_none()).count();
        match valid_json(body) {
            Some(true) => {
                self.valid += 1;
                if whole != 0 {
                    return fail("valid JSON dead-lettered as a whole".into());
                }
            }
            Some(false) => {
                let ok = whole == 1
                    && rejected.len() == 1
                    && rejected[0].reason.starts_with("invalid JSON: ")
                    && !rejected[0].reason.contains("slower path")
                    && rejected[0].raw == message
                    && rows == 0;
                if !ok {
                    return fail("invalid JSON not exactly one dead letter".into());
                }
            }
            None => {}
        }
        for r in rejected.iter().filter(|r| r.record_index.is_some()) {
            if valid_json(&r.raw) == Some(false) {
                return fail("a dead-lettered record is not valid JSON".into());
            }
        }
        Ok(())
    }

    /// Finish the batches and check them; a failure comes with the input of the row at fault.
    fn flush(&mut self) -> Result<(), Failure> {
        let inputs = std::mem::take(&mut self.inputs);
        let first = std::mem::replace(&mut self.first_case, self.cases + 1);
        let no_input = || b"(all the inputs since the last check)".to_vec();
        let expected = self.set.rows();
        let batches = catch_unwind(AssertUnwindSafe(|| self.set.take_batches()))
            .map_err(|_| ("panic while finishing batches".to_string(), no_input()))?;
        let mut rows = 0;
        for (_, _, batch) in &batches {
            rows += batch.num_rows();
            check_batch(batch).map_err(|(e, row)| {
                let case = batch
                    .column_by_name("_SequenceNumber")
                    .map(|c| c.as_primitive::<arrow_array::types::Int64Type>().value(row));
                let input = case
                    .and_then(|c| inputs.get((c as u64).checked_sub(first)? as usize))
                    .cloned()
                    .unwrap_or_else(no_input);
                (e, input)
            })?;
        }
        if rows != expected {
            return Err((
                format!("{rows} rows in batches, {expected} built"),
                no_input(),
            ));
        }
        self.rows += rows as u64;
        Ok(())
    }
}

/// Check a batch; a failure names the row at fault (0 when it is the whole batch).
fn check_batch(batch: &RecordBatch) -> Result<(), (String, usize)> {
    let table = batch.schema().metadata()["aad.table"].clone();
    RecordBatch::try_new(batch.schema(), batch.columns().to_vec())
        .map_err(|e| (format!("{table}: RecordBatch::try_new: {e}"), 0))?;
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        column
            .to_data()
            .validate_full()
            .map_err(|e| (format!("{table}.{}: {e}", field.name()), 0))?;
        if field.extension_type_name() != Some("arrow.json") {
            continue;
        }
        let strings = column.as_string::<i32>();
        for i in 0..strings.len() {
            if strings.is_null(i) {
                continue;
            }
            let v = strings.value(i);
            if valid_json(v.as_bytes()) == Some(false) {
                return Err((format!("{table}.{}[{i}] is not JSON: {v}", field.name()), i));
            }
            if field.name() == "AdditionalFields" {
                if let Some(e) = repeated_key(v) {
                    return Err((format!("{table}.AdditionalFields[{i}]: {e}: {v}"), i));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The tests.

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus")
}

fn load_corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Save a failing input where it can be kept, and describe it.
fn report(input: &[u8], error: &str, seed: u64) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("failure-{hash:016x}.json"));
    let _ = std::fs::write(&path, input);
    let clip = |text: String| match text.char_indices().nth(3000) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text,
    };
    format!(
        "{}\nseed {seed} (AAD_FUZZ_SEED={seed}); input saved to {}:\n{}",
        clip(error.to_string()),
        path.display(),
        clip(String::from_utf8_lossy(input).escape_debug().to_string())
    )
}

#[test]
fn corpus_replays_cleanly() {
    let corpus = load_corpus();
    assert!(corpus.len() >= 20, "the seed corpus is missing");
    let mut h = Harness::new();
    for (name, input) in &corpus {
        if let Err((e, input)) = h.check(input) {
            panic!("{name}: {}", report(&input, &e, 0));
        }
    }
    if let Err((e, input)) = h.flush() {
        panic!("{}", report(&input, &e, 0));
    }
    assert!(
        h.rows > 0 && h.slow > 0,
        "the corpus reaches rows and the slower path"
    );
}

#[test]
fn fuzz_decode_normalize() {
    let secs: f64 = std::env::var("AAD_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let seed: u64 = std::env::var("AAD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let corpus: Vec<Vec<u8>> = load_corpus().into_iter().map(|(_, b)| b).collect();
    let mut rng = Rng(seed);
    let mut h = Harness::new();
    let start = Instant::now();
    let budget = Duration::from_secs_f64(secs);
    let mut bytes = 0usize;
    while start.elapsed() < budget {
        // A batch of cases between clock reads.
        for _ in 0..64 {
            let input = match rng.below(20) {
                0..=7 => {
                    let (pretty, odd) = (rng.chance(20), [2, 10, 30][rng.below(3)]);
                    let mut g = Gen {
                        rng: &mut rng,
                        pretty,
                        odd,
                    };
                    g.message()
                }
                8..=12 => {
                    let (pretty, odd) = (rng.chance(20), [2, 10, 30][rng.below(3)]);
                    let m = Gen {
                        rng: &mut rng,
                        pretty,
                        odd,
                    }
                    .message();
                    mutate(&mut rng, &m, &corpus)
                }
                13..=16 if !corpus.is_empty() => {
                    let c = rng.pick(&corpus).clone();
                    mutate(&mut rng, &c, &corpus)
                }
                17 => {
                    let (pretty, odd) = (rng.chance(20), 10);
                    let m = Gen {
                        rng: &mut rng,
                        pretty,
                        odd,
                    }
                    .message();
                    let cut = rng.below(m.len() + 1);
                    m[..cut].to_vec()
                }
                _ => arbitrary(&mut rng),
            };
            bytes += input.len();
            if let Err((e, input)) = h.check(&input) {
                panic!("{}", report(&input, &e, seed));
            }
        }
    }
    if let Err((e, input)) = h.flush() {
        panic!("{}", report(&input, &e, seed));
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "fuzz: seed {seed}, {} cases in {elapsed:.1} s ({:.0}/s, {:.1} MB/s): {} valid JSON, {} on \
         the slower path, {} rows, {} dead letters",
        h.cases,
        h.cases as f64 / elapsed,
        bytes as f64 / elapsed / 1e6,
        h.valid,
        h.slow,
        h.rows,
        h.dead
    );
    assert!(h.cases > 0);
}

/// Regenerate the seed corpus (deterministic): `cargo test -p aad-schemas --test fuzz --
/// --ignored write_corpus`.
#[test]
#[ignore]
fn write_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("gen-"))
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let mut rng = Rng(20_251_130);
    let mut total = 0;
    let mut i = 0;
    while i < 40 {
        let (pretty, odd) = (i % 5 == 4, [2, 10, 30][i % 3]);
        let m = Gen {
            rng: &mut rng,
            pretty,
            odd,
        }
        .message();
        if m.len() > 6000 || valid_json(&m) != Some(true) {
            continue;
        }
        total += m.len();
        std::fs::write(dir.join(format!("gen-{i:02}.json")), &m).unwrap();
        i += 1;
    }
    println!("{i} files, {total} bytes");
    assert!(total < 200_000);
}
