//! Files, directories, globs and stdin as a source of messages: NDJSON (one message a line:
//! an envelope, a record or an array of records) or a single JSON document such as a
//! pretty-printed envelope. Files are read in bounded chunks cut at line ends, so memory does
//! not grow with the input, and a line (or a document) longer than the limit is skipped while
//! reading and reported with its position and size, so memory does not grow with a line either.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The source identity written into `_Source`: the absolute path, or `-` for stdin.
    pub source: String,
    pub path: Option<PathBuf>,
    pub size: Option<u64>,
}

/// Expand the command-line inputs: `-` is stdin, a directory is every file below it (hidden
/// files skipped), a pattern with `*?[` is a glob; all sorted so that runs are repeatable.
pub fn expand(args: &[String]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Input {
                source: "-".into(),
                path: None,
                size: None,
            });
            continue;
        }
        let mut paths = Vec::new();
        if arg.contains(['*', '?', '[']) {
            for entry in glob::glob(arg).with_context(|| format!("bad glob pattern {arg:?}"))? {
                let p = entry?;
                if p.is_dir() {
                    walk(&p, &mut paths)?;
                } else {
                    paths.push(p);
                }
            }
            if paths.is_empty() {
                bail!("no input matches {arg:?}");
            }
        } else {
            let p = PathBuf::from(arg);
            if p.is_dir() {
                walk(&p, &mut paths)?;
            } else if p.is_file() {
                paths.push(p);
            } else {
                bail!("input {arg:?} does not exist");
            }
        }
        paths.sort();
        for p in paths {
            let abs = std::fs::canonicalize(&p)
                .with_context(|| format!("cannot open {}", p.display()))?;
            let size = std::fs::metadata(&abs)?.len();
            out.push(Input {
                source: abs.to_string_lossy().into_owned(),
                path: Some(abs),
                size: Some(size),
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// A run of whole lines (or one whole document) from an input.
#[derive(Debug)]
pub struct Chunk {
    /// 1-based line number of the first line in `data`.
    pub first_line: u64,
    pub data: Vec<u8>,
    /// `data` is one JSON document spanning several lines: one message at `first_line`.
    pub whole_document: bool,
    /// Lines longer than the reader's limit that were skipped just before `data` (their lines
    /// come before `first_line`): not held, only counted, for the dead letter.
    pub oversized: Vec<Oversized>,
}

/// A line longer than the limit: where it was, how long, and how it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversized {
    /// Its 1-based line number.
    pub line: u64,
    /// Its length in bytes, without the line end.
    pub bytes: u64,
    /// Its first bytes (at most [`OVERSIZED_HEAD`]), to recognize it by.
    pub head: Vec<u8>,
}

/// Bytes of an oversized line kept for its dead letter.
pub const OVERSIZED_HEAD: usize = 1024;

/// Why a message longer than the limit was not read: its size and the limit.
pub fn oversized_reason(bytes: u64, limit: usize) -> String {
    format!(
        "message of {bytes} bytes exceeds the limit of {limit} bytes (--max-message-mib {}); not \
         decoded, raw holds its first {} bytes at most",
        limit.div_ceil(1 << 20),
        OVERSIZED_HEAD
    )
}

/// The first bytes of an oversized message, cut at a character boundary when it is text.
pub fn oversized_head(message: &[u8]) -> Vec<u8> {
    let head = &message[..message.len().min(OVERSIZED_HEAD)];
    match std::str::from_utf8(head) {
        Ok(_) => head.to_vec(),
        // Cut inside a character at the end: drop the partial character.
        Err(e) if e.error_len().is_none() => head[..e.valid_up_to()].to_vec(),
        Err(_) => head.to_vec(),
    }
}

impl Chunk {
    /// The messages of the chunk with their line numbers: non-blank lines without their line end.
    pub fn messages(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let whole = self
            .whole_document
            .then_some((self.first_line, self.data.as_slice()));
        let lines = (!self.whole_document).then(|| {
            let data = self.data.as_slice();
            let ends = memchr::memchr_iter(b'\n', data)
                .chain((!data.ends_with(b"\n")).then_some(data.len()));
            let mut start = 0;
            ends.enumerate().filter_map(move |(i, end)| {
                let line = &data[start..end];
                start = end + 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                (!line.iter().all(u8::is_ascii_whitespace))
                    .then_some((self.first_line + i as u64, line))
            })
        });
        whole.into_iter().chain(lines.into_iter().flatten())
    }
}

/// Reads an input as chunks of about `chunk_bytes`, each ending at a line end.
///
/// Memory is bounded by the chunk size and the longest line allowed (`max_line`): a line
/// longer than that is not held whole but skipped up to its line end while reading, and
/// reported (position, size, first bytes) in [`Chunk::oversized`]. Every byte is scanned for a
/// line end once, however long its line: reading a long line costs time linear in its size.
pub struct ChunkReader {
    reader: Box<dyn Read + Send>,
    /// Bytes read and not handed out yet; always starts at a line start (line `next_line`).
    carry: Vec<u8>,
    next_line: u64,
    chunk_bytes: usize,
    max_line: usize,
    eof: bool,
    pending_document: Option<Vec<u8>>,
    /// Chunks cut ahead of time (from what document detection read).
    queued: VecDeque<Chunk>,
    /// Oversized lines skipped since the last chunk handed out.
    oversized: Vec<Oversized>,
    /// Buffers of chunks already processed, handed back by [`ChunkReader::recycle`]: reading
    /// into memory that is already mapped saves a page fault per 4 KiB read.
    spare: Vec<Vec<u8>>,
    /// The input's size when known, and the bytes read so far.
    size: Option<u64>,
    read: u64,
    /// Bytes looked at for a line end while cutting chunks (at most, counting whole slices
    /// searched): proportional to the input, however long its lines.
    searched: u64,
}

/// Spare buffers kept at most (a window being read plus one being processed, with room).
const MAX_SPARE: usize = 16;

/// Whether `bytes` (after an optional UTF-8 BOM) is one JSON value. Validates without building
/// anything: deciding how to read an input must not cost a parse tree of its first message
/// (for a message of 800k small records that tree was 10 times the message).
fn is_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Ok(_) => true,
        // Nested deeper than serde_json goes (128): rare, asked of simd-json as before.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            simd_json::to_tape(&mut bytes.to_vec()).is_ok()
        }
        Err(_) => false,
    }
}

impl ChunkReader {
    /// Open an input; `max_line` bounds a line (and a whole document) in bytes.
    pub fn open(input: &Input, chunk_bytes: usize, max_line: usize) -> Result<ChunkReader> {
        let reader: Box<dyn Read + Send> = match &input.path {
            Some(p) => {
                Box::new(File::open(p).with_context(|| format!("cannot open {}", p.display()))?)
            }
            None => Box::new(io::stdin()),
        };
        Self::from_reader(reader, input.size, 1, chunk_bytes, max_line)
    }

    /// Read `data` (a blob already fetched) as an input of that size whose first line is line
    /// `first_line` (a blob continued where an earlier run stopped).
    pub fn from_bytes(
        data: Vec<u8>,
        first_line: u64,
        chunk_bytes: usize,
        max_line: usize,
    ) -> Result<ChunkReader> {
        let size = data.len() as u64;
        Self::from_reader(
            Box::new(io::Cursor::new(data)),
            Some(size),
            first_line,
            chunk_bytes,
            max_line,
        )
    }

    fn from_reader(
        reader: Box<dyn Read + Send>,
        size: Option<u64>,
        first_line: u64,
        chunk_bytes: usize,
        max_line: usize,
    ) -> Result<ChunkReader> {
        let mut r = ChunkReader {
            reader,
            carry: Vec::new(),
            next_line: first_line.max(1),
            chunk_bytes: chunk_bytes.max(1),
            max_line: max_line.max(1),
            eof: false,
            pending_document: None,
            queued: VecDeque::new(),
            oversized: Vec::new(),
            spare: Vec::new(),
            searched: 0,
            size,
            read: 0,
        };
        r.detect_document(size)?;
        Ok(r)
    }

    /// A file whose first non-blank line is not JSON on its own but whose whole text is (a
    /// pretty-printed envelope or record) is one message. Documents are bounded by `max_line`
    /// too: a larger input is read as lines.
    fn detect_document(&mut self, size: Option<u64>) -> Result<()> {
        self.fill(self.chunk_bytes)?;
        // The first non-blank line, read whole unless it is longer than the limit; each byte
        // is looked at once.
        let mut start = None;
        let mut scanned = 0;
        let first = loop {
            if start.is_none() {
                start = self.carry[scanned..]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .map(|i| scanned + i);
            }
            if let Some(s) = start {
                let from = scanned.max(s);
                if let Some(i) = memchr::memchr(b'\n', &self.carry[from..]) {
                    break Some((s, from + i));
                }
            }
            scanned = self.carry.len();
            if self.eof {
                break start.map(|s| (s, self.carry.len()));
            }
            if self.carry.len() > self.max_line {
                // Longer than a message may be: lines, and this one goes to the dead letter.
                return Ok(());
            }
            self.reserve_long_line();
            self.fill(self.carry.len() + self.chunk_bytes)?;
        };
        let Some((start, end)) = first else {
            return Ok(());
        };
        if is_json(&self.carry[start..end]) {
            return Ok(());
        }
        if size.is_some_and(|s| s > self.max_line as u64) {
            tracing::warn!(
                bytes = size,
                limit = self.max_line,
                "the input's first line is not JSON on its own and the input is larger than a \
                 message may be: read as lines, not as one JSON document"
            );
            return Ok(());
        }
        self.reserve_long_line();
        while !self.eof && self.carry.len() <= self.max_line {
            self.fill(self.carry.len() + self.chunk_bytes)?;
        }
        if self.eof && self.carry.len() <= self.max_line && is_json(&self.carry) {
            self.pending_document = Some(std::mem::take(&mut self.carry));
            return Ok(());
        }
        // Lines after all: hand what was read out in chunks of the usual size.
        let mut at = 0;
        while self.carry.len() - at > self.chunk_bytes {
            let window = &self.carry[at..at + self.chunk_bytes];
            let cut = match memchr::memrchr(b'\n', window) {
                Some(i) => at + i + 1,
                None => match memchr::memchr(b'\n', &self.carry[at + self.chunk_bytes..]) {
                    Some(i) => at + self.chunk_bytes + i + 1,
                    None => break,
                },
            };
            let data = self.carry[at..cut].to_vec();
            let first_line = self.next_line;
            self.next_line += memchr::memchr_iter(b'\n', &data).count() as u64;
            self.queued.push_back(Chunk {
                first_line,
                data,
                whole_document: false,
                oversized: Vec::new(),
            });
            at = cut;
        }
        self.carry.drain(..at);
        Ok(())
    }

    /// Read until `carry` holds at least `want` bytes or the input ends. Reads straight into
    /// the buffer's spare capacity: no zeroed staging buffer, no second copy.
    fn fill(&mut self, want: usize) -> Result<()> {
        while !self.eof && self.carry.len() < want {
            let need = want - self.carry.len();
            self.carry.reserve(need);
            let n = (&mut self.reader)
                .take(need as u64)
                .read_to_end(&mut self.carry)?;
            self.read += n as u64;
            if n < need {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// A line longer than a chunk is being read: make room for the rest of it at once, as far as
    /// the input's size tells (up to the limit), rather than doubling the buffer as it fills.
    /// Each doubling leaves the old buffer to the allocator, which keeps it a while: reading a
    /// 20 MB line cost 30 MB more than the line. Untouched room costs address space only.
    fn reserve_long_line(&mut self) {
        let Some(size) = self.size else { return };
        let rest = size.saturating_sub(self.read);
        let want = (self.carry.len() as u64 + rest).min((self.max_line + self.chunk_bytes) as u64)
            as usize;
        if want > self.carry.capacity() {
            self.carry.reserve_exact(want - self.carry.len());
        }
    }

    /// Give a processed chunk's buffer back for reading later chunks into.
    pub fn recycle(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < MAX_SPARE
            && data.capacity() >= self.chunk_bytes
            // Not a buffer that held one long line: that memory goes back.
            && data.capacity() <= 2 * self.chunk_bytes
        {
            data.clear();
            self.spare.push(data);
        }
    }

    /// The line starting `carry` has no line end within `max_line` bytes: count it up to its
    /// line end without keeping it, and keep what follows.
    fn skip_long_line(&mut self) -> Result<()> {
        let head = oversized_head(&self.carry);
        let mut bytes = self.carry.len() as u64;
        let mut last = self.carry.last().copied();
        // The long line's buffer goes; reading continues in one of chunk size.
        self.carry = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.chunk_bytes + self.chunk_bytes / 8));
        let mut block = vec![0u8; self.chunk_bytes.min(1 << 20)];
        loop {
            let n = match self.reader.read(&mut block) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            self.read += n as u64;
            self.searched += n as u64;
            if let Some(i) = memchr::memchr(b'\n', &block[..n]) {
                bytes += i as u64;
                if i > 0 {
                    last = Some(block[i - 1]);
                }
                self.carry.extend_from_slice(&block[i + 1..n]);
                break;
            }
            bytes += n as u64;
            last = Some(block[n - 1]);
        }
        if last == Some(b'\r') {
            bytes -= 1;
        }
        self.oversized.push(Oversized {
            line: self.next_line,
            bytes,
            head,
        });
        self.next_line += 1;
        Ok(())
    }

    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if let Some(doc) = self.pending_document.take() {
            self.eof = true;
            return Ok(Some(Chunk {
                first_line: 1,
                data: doc,
                whole_document: true,
                oversized: Vec::new(),
            }));
        }
        if let Some(chunk) = self.queued.pop_front() {
            return Ok(Some(chunk));
        }
        let cut = loop {
            self.fill(self.chunk_bytes)?;
            if self.carry.is_empty() {
                if self.oversized.is_empty() {
                    return Ok(None);
                }
                break 0;
            }
            if self.eof {
                break self.carry.len();
            }
            self.searched += self.carry.len() as u64;
            if let Some(i) = memchr::memrchr(b'\n', &self.carry) {
                break i + 1;
            }
            // One line longer than a chunk: read on until it ends, scanning each byte once,
            // or skip it once it is longer than a message may be.
            self.reserve_long_line();
            let mut scanned = 0;
            let end = loop {
                self.searched += (self.carry.len() - scanned) as u64;
                if let Some(i) = memchr::memchr(b'\n', &self.carry[scanned..]) {
                    break Some(scanned + i);
                }
                if self.eof {
                    break Some(self.carry.len());
                }
                if self.carry.len() > self.max_line {
                    break None;
                }
                scanned = self.carry.len();
                self.fill(scanned + self.chunk_bytes)?;
            };
            match end {
                None => self.skip_long_line()?,
                Some(end) => {
                    // Lines after the long one may have come with its last read.
                    self.searched += (self.carry.len() - end) as u64;
                    break memchr::memrchr(b'\n', &self.carry[end..])
                        .map_or(self.carry.len(), |i| end + i + 1);
                }
            }
        };
        // The bytes after the cut start the next chunk, in a recycled buffer when there is one.
        let mut rest = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.chunk_bytes + self.chunk_bytes / 8));
        rest.extend_from_slice(&self.carry[cut..]);
        self.carry.truncate(cut);
        let data = std::mem::replace(&mut self.carry, rest);
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &data).count() as u64;
        Ok(Some(Chunk {
            first_line,
            data,
            whole_document: false,
            oversized: std::mem::take(&mut self.oversized),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, message) pairs, and `(line, bytes, head)` of the oversized lines.
    type Read = (Vec<(u64, String)>, Vec<(u64, u64, String)>);

    fn read_with(text: &[u8], chunk: usize, max: usize) -> Read {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.json");
        std::fs::write(&p, text).unwrap();
        let input = expand(&[p.to_string_lossy().into_owned()])
            .unwrap()
            .remove(0);
        let mut r = ChunkReader::open(&input, chunk, max).unwrap();
        let (mut out, mut long) = (Vec::new(), Vec::new());
        while let Some(c) = r.next_chunk().unwrap() {
            for o in &c.oversized {
                let head = String::from_utf8_lossy(&o.head).into_owned();
                long.push((o.line, o.bytes, head));
            }
            out.extend(
                c.messages()
                    .map(|(l, m)| (l, String::from_utf8_lossy(m).into_owned())),
            );
            // As `convert` does: later chunks are read into this one's buffer.
            r.recycle(c.data);
        }
        (out, long)
    }

    fn read_all(text: &[u8], chunk: usize) -> Vec<(u64, String)> {
        read_with(text, chunk, 1 << 30).0
    }

    #[test]
    fn lines_keep_their_numbers_across_chunks() {
        let text = b"{\"a\":1}\n\n{\"b\":2}\r\n   \n{\"c\":3}";
        for chunk in [1, 3, 8, 1000] {
            assert_eq!(
                read_all(text, chunk),
                vec![
                    (1, "{\"a\":1}".into()),
                    (3, "{\"b\":2}".into()),
                    (5, "{\"c\":3}".into())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn pretty_printed_document_is_one_message() {
        let text = b"{\n  \"records\": [\n    {\"a\": 1}\n  ]\n}\n";
        let got = read_all(text, 4);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 1);
        // After a byte-order mark too.
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), text].concat();
        assert_eq!(read_all(&with_bom, 4).len(), 1);
    }

    #[test]
    fn deep_and_large_number_lines_are_json() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(is_json(deep.as_bytes()));
        assert!(is_json(b"{\"n\":123456789012345678901234567890}"));
        assert!(is_json(b"\xEF\xBB\xBF{\"a\":1}"));
        assert!(!is_json(b"{\"a\":"));
        assert!(!is_json(b"{\"a\":1} x"));
    }

    #[test]
    fn broken_document_falls_back_to_lines() {
        let got = read_all(b"{\n\"a\": \n", 1000);
        assert_eq!(got, vec![(1, "{".into()), (2, "\"a\": ".into())]);
    }

    /// A line longer than the limit is skipped up to its line end, whatever the chunk size,
    /// and reported with its line, its size (without the line end) and its first bytes; the
    /// lines around it keep their numbers.
    #[test]
    fn lines_longer_than_the_limit_are_skipped_and_reported() {
        let long = format!("{{\"records\":[{}]}}", "{},".repeat(4000));
        let text =
            format!("{{\"a\":1}}\n{long}\r\n{{\"b\":2}}\n\n{long}\n{long}\n{{\"c\":3}}\n{long}");
        let expected_lines = vec![
            (1, "{\"a\":1}".to_string()),
            (3, "{\"b\":2}".into()),
            (7, "{\"c\":3}".into()),
        ];
        let head: String = long[..OVERSIZED_HEAD].into();
        let n = long.len() as u64;
        let expected_long = vec![
            (2, n, head.clone()),
            (5, n, head.clone()),
            (6, n, head.clone()),
            (8, n, head),
        ];
        for chunk in [7, 100, 4096, 5000, 1 << 20] {
            let (lines, long) = read_with(text.as_bytes(), chunk, 5000);
            // A chunk larger than the limit may hold a long line whole: `convert` dead-letters
            // it by its length.
            let held: Vec<_> = lines.iter().filter(|(_, m)| m.len() > 5000).collect();
            let kept: Vec<_> = lines
                .iter()
                .filter(|(_, m)| m.len() <= 5000)
                .cloned()
                .collect();
            assert_eq!(kept, expected_lines, "chunk {chunk}");
            let mut all: Vec<(u64, u64, String)> = long.clone();
            all.extend(
                held.iter()
                    .map(|(l, m)| (*l, m.len() as u64, m[..OVERSIZED_HEAD].to_string())),
            );
            all.sort();
            assert_eq!(all, expected_long, "chunk {chunk}");
            if chunk <= 5000 {
                assert!(held.is_empty(), "chunk {chunk} held a long line");
            }
        }
    }

    /// A reader of `head`, then one endless-looking line of `len` bytes of `x`, then `tail`.
    struct LongLine {
        head: std::io::Cursor<Vec<u8>>,
        left: u64,
        tail: std::io::Cursor<Vec<u8>>,
    }

    impl std::io::Read for LongLine {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.head.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.left == 0 {
                return self.tail.read(buf);
            }
            let n = buf.len().min(self.left as usize);
            buf[..n].fill(b'x');
            self.left -= n as u64;
            Ok(n)
        }
    }

    fn long_line_reader(len: u64, tail: &[u8], chunk: usize, max: usize) -> ChunkReader {
        // A first line that is JSON: the input is NDJSON, no document detection.
        let reader = LongLine {
            head: std::io::Cursor::new(b"{\"first\":1}\n".to_vec()),
            left: len,
            tail: std::io::Cursor::new(tail.to_vec()),
        };
        ChunkReader::from_reader(Box::new(reader), None, 1, chunk, max).unwrap()
    }

    /// A 300 MB line with a 1 MiB limit: never held (the buffer stays near the limit), and
    /// each byte is searched for a line end a bounded number of times.
    #[test]
    fn a_huge_line_is_skipped_without_holding_it() {
        let len = 300_000_000;
        let mut r = long_line_reader(len, b"\n{\"a\":1}\n", 64 << 10, 1 << 20);
        let mut lines = Vec::new();
        let mut long = Vec::new();
        let mut largest = 0;
        while let Some(c) = r.next_chunk().unwrap() {
            largest = largest.max(c.data.capacity()).max(r.carry.capacity());
            long.extend(c.oversized.iter().map(|o| (o.line, o.bytes, o.head.len())));
            lines.extend(c.messages().map(|(l, m)| (l, m.to_vec())));
        }
        assert_eq!(long, vec![(2, len, OVERSIZED_HEAD)]);
        assert_eq!(
            lines,
            vec![(1, b"{\"first\":1}".to_vec()), (3, b"{\"a\":1}".to_vec())]
        );
        assert!(largest < 4 << 20, "held {largest} bytes");
        assert!(r.searched < 3 * len, "searched {} bytes", r.searched);
    }

    /// A long line within the limit is read whole, and reading it searches each byte for a
    /// line end a bounded number of times (it used to search from the line's start after
    /// every read: quadratic in its length).
    #[test]
    fn a_long_line_is_read_in_linear_time() {
        let len: u64 = 32 << 20;
        let mut r = long_line_reader(len, b"\n{\"a\":1}\n", 64 << 10, 64 << 20);
        let mut messages = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            assert!(c.oversized.is_empty());
            messages.extend(c.messages().map(|(l, m)| (l, m.len())));
        }
        assert_eq!(messages, vec![(1, 11), (2, len as usize), (3, 7)]);
        assert!(r.searched < 3 * len, "searched {} bytes", r.searched);
    }

    /// A document larger than the limit is read as lines, in chunks of the usual size.
    #[test]
    fn a_document_larger_than_the_limit_is_read_as_lines() {
        let body: String = (0..2000).map(|i| format!("  {{\"a\": {i}}},\n")).collect();
        let text = format!("{{\"records\": [\n{body}  {{}}\n]}}\n");
        let reader = |max| {
            let text = std::io::Cursor::new(text.clone().into_bytes());
            ChunkReader::from_reader(Box::new(text), None, 1, 1000, max).unwrap()
        };
        let mut r = reader(10_000);
        let mut chunks = 0;
        let mut messages = 0;
        while let Some(c) = r.next_chunk().unwrap() {
            assert!(!c.whole_document);
            assert!(c.data.len() < 2000, "chunk of {}", c.data.len());
            chunks += 1;
            messages += c.messages().count();
        }
        assert_eq!(messages, 2003);
        assert!(chunks > 10);
        // Within the limit, the same text is one message.
        let mut r = reader(1 << 20);
        let c = r.next_chunk().unwrap().unwrap();
        assert!(c.whole_document);
        assert!(r.next_chunk().unwrap().is_none());
    }
}
