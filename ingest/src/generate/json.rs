//! A minimal JSON object writer over a byte buffer: records are written field by field in
//! Entra's order, without building a value tree.

use aad_schemas::json::write_str;

/// Minimal JSON object writer over a byte buffer.
pub(super) struct J<'a> {
    out: &'a mut Vec<u8>,
    first: Vec<bool>,
}

impl<'a> J<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        J {
            out,
            first: vec![true],
        }
    }
    pub(super) fn key(&mut self, k: &str) {
        let f = self.first.last_mut().unwrap();
        if !*f {
            self.out.push(b',');
        }
        *f = false;
        write_str(k, self.out);
        self.out.push(b':');
    }
    pub(super) fn s(&mut self, k: &str, v: impl AsRef<str>) -> &mut Self {
        self.key(k);
        write_str(v.as_ref(), self.out);
        self
    }
    pub(super) fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        self.out.extend_from_slice(v.as_bytes());
        self
    }
    pub(super) fn n(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        self.raw(k, &v.to_string())
    }
    pub(super) fn b(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }
    pub(super) fn open(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.out.push(b'{');
        self.first.push(true);
        self
    }
    pub(super) fn close(&mut self) -> &mut Self {
        self.out.push(b'}');
        self.first.pop();
        self
    }
    pub(super) fn end(mut self) {
        self.close();
    }
}

pub(super) fn json_str(v: &str) -> String {
    let mut out = Vec::new();
    write_str(v, &mut out);
    String::from_utf8(out).expect("utf-8")
}
