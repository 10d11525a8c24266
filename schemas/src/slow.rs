//! The slower path, for a message that simd-json refuses although it is valid JSON (RFC 8259).
//!
//! simd-json (0.19) refuses valid JSON of three kinds, measured value by value (the fuzz harness
//! in `tests/fuzz.rs` checks the list against an independent RFC 8259 parser):
//! - integers outside [-2^63, 2^64): `12345678901234567890123`, `-9223372036854775809`;
//! - numbers beyond `f64`: `1e400`, `-2e308`, a 400-digit integer, `1e99999999999`;
//! - strings holding a lone UTF-16 surrogate escape, as a value or a key: `"\ud800"`,
//!   `"\udc00x"`, `"\ud800\u0041"` (a pair, `"\ud83d\ude00"`, is fine);
//!
//! and documents nested deeper than 1024 levels, a limit RFC 8259 §9 allows a parser to set:
//! those stay dead letters, with that reason. (Underflow is not refused: `-0.0e-999` and `1e-400`
//! read as zero, as `f64` parsing does.)
//!
//! One strict RFC 8259 pass over the message checks it and writes it twice, without the
//! whitespace between tokens: `original`, every token exactly as sent, and `rewritten`, where each
//! refused token is replaced by one of the same length that simd-json accepts: a number by a
//! string of zeros (`"0000…"`), a lone surrogate escape by `\ufffd`. simd-json then parses
//! `rewritten`, so the tape has the shape it would have had; the decoder points each replaced
//! number's node at its text in `original`, and every container's and refused token's position
//! in `original` is known from the pass, so those are copied from it exactly as sent: the refused
//! values reach JSON columns and `AdditionalFields` verbatim, as valid JSON.

use crate::json::Verbatim;

/// simd-json's nesting limit (its `DEFAULT_MAX_DEPTH`, which the decoder's buffers use).
pub(crate) const MAX_DEPTH: usize = simd_json::DEFAULT_MAX_DEPTH;

/// Why the pass did not produce a rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not JSON (RFC 8259), or not UTF-8.
    Invalid,
    /// Valid JSON nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// The pass's output; its buffers are reused from message to message.
#[derive(Debug, Default)]
pub(crate) struct Rewrite {
    /// The message without whitespace between tokens, every token as sent; valid UTF-8.
    pub original: Vec<u8>,
    /// The same, refused tokens replaced by ones of the same length simd-json accepts.
    pub rewritten: Vec<u8>,
    /// Per tape node: its [start, end) in `original`, set for containers and refused tokens.
    pub spans: Vec<(u32, u32)>,
    /// The refused tokens' tape nodes, in tape order.
    pub verbatim: Vec<(u32, Verbatim)>,
    /// Open containers: (tape node, start in `original`, is an object).
    stack: Vec<(u32, u32, bool)>,
}

impl Rewrite {
    /// Check `body` and rewrite it. With `every_fraction`, every number with a fraction or an
    /// exponent is handed on as text too (for a number at the edge of `f64`'s range that simd-json
    /// reads differently than Rust does; never seen, but then the message still decodes).
    pub fn run(&mut self, body: &[u8], every_fraction: bool) -> Result<(), Refused> {
        self.original.clear();
        self.rewritten.clear();
        self.spans.clear();
        self.verbatim.clear();
        self.stack.clear();
        if std::str::from_utf8(body).is_err() {
            return Err(Refused::Invalid);
        }
        let mut pass = Pass {
            b: body,
            i: 0,
            out: self,
            every_fraction,
        };
        pass.document()?;
        debug_assert_eq!(self.original.len(), self.rewritten.len());
        Ok(())
    }
}

struct Pass<'a> {
    b: &'a [u8],
    i: usize,
    out: &'a mut Rewrite,
    every_fraction: bool,
}

impl Pass<'_> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Copy `n` bytes of the input as they are.
    #[inline]
    fn copy(&mut self, n: usize) {
        let (a, z) = (self.i, self.i + n);
        self.out.original.extend_from_slice(&self.b[a..z]);
        self.out.rewritten.extend_from_slice(&self.b[a..z]);
        self.i = z;
    }

    #[inline]
    fn node(&mut self) -> u32 {
        self.out.spans.push((0, 0));
        (self.out.spans.len() - 1) as u32
    }

    #[inline]
    fn pos(&self) -> u32 {
        self.out.original.len() as u32
    }

    /// One JSON text: a value between optional whitespace.
    fn document(&mut self) -> Result<(), Refused> {
        loop {
            // A value.
            self.ws();
            match self.peek() {
                Some(b'{') => {
                    self.open(true)?;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.close();
                    } else {
                        self.member_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.open(false)?;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.close();
                    } else {
                        continue;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return Err(Refused::Invalid),
            }
            // After a value: close containers until one goes on with another value.
            loop {
                self.ws();
                let Some(&(_, _, is_object)) = self.out.stack.last() else {
                    return if self.i == self.b.len() {
                        Ok(())
                    } else {
                        Err(Refused::Invalid)
                    };
                };
                match (self.peek(), is_object) {
                    (Some(b','), true) => {
                        self.copy(1);
                        self.ws();
                        self.member_key()?;
                        break;
                    }
                    (Some(b','), false) => {
                        self.copy(1);
                        break;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => self.close(),
                    _ => return Err(Refused::Invalid),
                }
            }
        }
    }

    fn open(&mut self, is_object: bool) -> Result<(), Refused> {
        if self.out.stack.len() >= MAX_DEPTH {
            return Err(Refused::TooDeep);
        }
        let node = self.node();
        let start = self.pos();
        self.out.stack.push((node, start, is_object));
        self.copy(1);
        Ok(())
    }

    fn close(&mut self) {
        let (node, start, _) = self.out.stack.pop().expect("an open container");
        self.copy(1);
        self.out.spans[node as usize] = (start, self.pos());
    }

    /// A member's key and its colon.
    fn member_key(&mut self) -> Result<(), Refused> {
        if self.peek() != Some(b'"') {
            return Err(Refused::Invalid);
        }
        self.string()?;
        self.ws();
        if self.peek() != Some(b':') {
            return Err(Refused::Invalid);
        }
        self.copy(1);
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Refused> {
        if !self.b[self.i..].starts_with(word) {
            return Err(Refused::Invalid);
        }
        self.node();
        self.copy(word.len());
        Ok(())
    }

    fn hex4(&self, at: usize) -> Option<u16> {
        let digits = self.b.get(at..at + 4)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }

    fn string(&mut self) -> Result<(), Refused> {
        let node = self.node();
        let start = self.pos();
        self.copy(1);
        let mut lone = false;
        loop {
            let run = self.b[self.i..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .ok_or(Refused::Invalid)?;
            self.copy(run);
            match self.b[self.i] {
                b'"' => {
                    self.copy(1);
                    break;
                }
                b'\\' => match self.b.get(self.i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.copy(2),
                    Some(b'u') => {
                        let unit = self.hex4(self.i + 2).ok_or(Refused::Invalid)?;
                        let paired = (0xD800..0xDC00).contains(&unit)
                            && self.b.get(self.i + 6..self.i + 8) == Some(b"\\u")
                            && self
                                .hex4(self.i + 8)
                                .is_some_and(|low| (0xDC00..0xE000).contains(&low));
                        if paired {
                            self.copy(12);
                        } else if (0xD800..0xE000).contains(&unit) {
                            // A lone surrogate: kept as sent, U+FFFD for simd-json.
                            self.out
                                .original
                                .extend_from_slice(&self.b[self.i..self.i + 6]);
                            self.out.rewritten.extend_from_slice(b"\\ufffd");
                            self.i += 6;
                            lone = true;
                        } else {
                            self.copy(6);
                        }
                    }
                    _ => return Err(Refused::Invalid),
                },
                _ => return Err(Refused::Invalid), // a control character
            }
        }
        if lone {
            self.out.spans[node as usize] = (start, self.pos());
            self.out.verbatim.push((node, Verbatim::LoneSurrogate));
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), Refused> {
        let node = self.node();
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let negative = b[i] == b'-';
        if negative {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => return Err(Refused::Invalid),
        }
        let mut fraction = false;
        if b.get(i) == Some(&b'.') {
            fraction = true;
            let end = digits(i + 1);
            if end == i + 1 {
                return Err(Refused::Invalid);
            }
            i = end;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            fraction = true;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let end = digits(i);
            if end == i {
                return Err(Refused::Invalid);
            }
            i = end;
        }
        let token = &b[start..i];
        let text = std::str::from_utf8(token).map_err(|_| Refused::Invalid)?;
        let refused = if fraction {
            self.every_fraction || !text.parse::<f64>().is_ok_and(f64::is_finite)
        } else if negative {
            text.parse::<i64>().is_err()
        } else {
            text.parse::<u64>().is_err()
        };
        if refused && token.len() >= 2 {
            let at = self.pos();
            self.out.original.extend_from_slice(token);
            self.out.rewritten.push(b'"');
            let zeros = token.len() - 2;
            self.out.rewritten.extend(std::iter::repeat_n(b'0', zeros));
            self.out.rewritten.push(b'"');
            self.out.spans[node as usize] = (at, self.pos());
            self.out.verbatim.push((node, Verbatim::Number));
            self.i = i;
        } else {
            self.copy(i - start);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rewritten = (String, String, Vec<(u32, Verbatim)>);

    fn run(text: &str) -> Result<Rewritten, Refused> {
        let mut r = Rewrite::default();
        r.run(text.as_bytes(), false)?;
        Ok((
            String::from_utf8(r.original.clone()).unwrap(),
            String::from_utf8(r.rewritten.clone()).unwrap(),
            r.verbatim.clone(),
        ))
    }

    #[test]
    fn refused_tokens_are_replaced_by_tokens_of_the_same_length() {
        let (o, w, v) = run(
            " { \"a\" : [ 12345678901234567890123 , 1e400 , 1.5 , -0.0e-999 ] , \"\\ud800k\" : \"x\\udc00\\ud83d\\ude00\" } ",
        )
        .unwrap();
        assert_eq!(
            o,
            r#"{"a":[12345678901234567890123,1e400,1.5,-0.0e-999],"\ud800k":"x\udc00\ud83d\ude00"}"#
        );
        assert_eq!(
            w,
            r#"{"a":["000000000000000000000","000",1.5,-0.0e-999],"\ufffdk":"x\ufffd\ud83d\ude00"}"#
        );
        // Nodes: 0 {, 1 "a", 2 [, 3 big, 4 1e400, 5 1.5, 6 -0.0, 7 key, 8 value.
        assert_eq!(
            v,
            [
                (3, Verbatim::Number),
                (4, Verbatim::Number),
                (7, Verbatim::LoneSurrogate),
                (8, Verbatim::LoneSurrogate)
            ]
        );
    }

    #[test]
    fn invalid_json_is_refused_and_depth_is_bounded() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "1e+",
            "\"\t\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "[1]x",
            "{\"a\" 1}",
            "{1:2}",
            "tru",
            "nul",
            "[1 2]",
            "\"abc",
            "{\"a\":1]",
            "[}",
            "\u{feff}1",
            "NaN",
            "Infinity",
        ] {
            assert_eq!(run(bad).map(|_| ()), Err(Refused::Invalid), "{bad:?}");
        }
        let mut r = Rewrite::default();
        assert_eq!(r.run(b"\"\xff\"", false), Err(Refused::Invalid));
        let deep = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
        assert!(run(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(run(&deep(MAX_DEPTH + 1)).map(|_| ()), Err(Refused::TooDeep));
        for good in [
            "0",
            "-0",
            "\"\"",
            "{}",
            "[]",
            " [ 1 , { } , [ ] ] ",
            "1E+2",
            "null",
        ] {
            assert!(run(good).is_ok(), "{good:?}");
        }
    }
}
