//! Files, directories, globs and stdin as a source of messages: NDJSON (one message a line:
//! an envelope, a record or an array of records) or a single JSON document such as a
//! pretty-printed envelope. Files are read in bounded chunks cut at line ends, so memory does
//! not grow with the input.

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
pub struct ChunkReader {
    reader: Box<dyn Read + Send>,
    carry: Vec<u8>,
    next_line: u64,
    chunk_bytes: usize,
    eof: bool,
    pending_document: Option<Vec<u8>>,
    /// Buffers of chunks already processed, handed back by [`ChunkReader::recycle`]: reading
    /// into memory that is already mapped saves a page fault per 4 KiB read.
    spare: Vec<Vec<u8>>,
}

/// Spare buffers kept at most (a window being read plus one being processed, with room).
const MAX_SPARE: usize = 16;

/// Documents larger than this are read as NDJSON (their lines then go to the dead letter).
const MAX_DOCUMENT: u64 = 1 << 30;

impl ChunkReader {
    pub fn open(input: &Input, chunk_bytes: usize) -> Result<ChunkReader> {
        let reader: Box<dyn Read + Send> = match &input.path {
            Some(p) => {
                Box::new(File::open(p).with_context(|| format!("cannot open {}", p.display()))?)
            }
            None => Box::new(io::stdin()),
        };
        let mut r = ChunkReader {
            reader,
            carry: Vec::new(),
            next_line: 1,
            chunk_bytes,
            eof: false,
            pending_document: None,
            spare: Vec::new(),
        };
        r.detect_document(input.size)?;
        Ok(r)
    }

    /// A file whose first non-blank line is not JSON on its own but whose whole text is (a
    /// pretty-printed envelope or record) is one message.
    fn detect_document(&mut self, size: Option<u64>) -> Result<()> {
        self.fill(self.chunk_bytes)?;
        let first = self
            .carry
            .split(|&b| b == b'\n')
            .find(|l| !l.iter().all(u8::is_ascii_whitespace));
        let Some(first) = first else { return Ok(()) };
        let first_is_json = simd_json::to_tape(&mut first.to_vec()).is_ok();
        if first_is_json || size.is_some_and(|s| s > MAX_DOCUMENT) {
            return Ok(());
        }
        while !self.eof {
            self.fill(self.carry.len() + self.chunk_bytes)?;
            if self.carry.len() as u64 > MAX_DOCUMENT {
                return Ok(());
            }
        }
        if simd_json::to_tape(&mut self.carry.clone()).is_ok() {
            self.pending_document = Some(std::mem::take(&mut self.carry));
        }
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
            if n < need {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// Give a processed chunk's buffer back for reading later chunks into.
    pub fn recycle(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < MAX_SPARE && data.capacity() >= self.chunk_bytes {
            data.clear();
            self.spare.push(data);
        }
    }

    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if let Some(doc) = self.pending_document.take() {
            self.eof = true;
            return Ok(Some(Chunk {
                first_line: 1,
                data: doc,
                whole_document: true,
            }));
        }
        self.fill(self.chunk_bytes)?;
        if self.carry.is_empty() {
            return Ok(None);
        }
        let cut = if self.eof {
            self.carry.len()
        } else {
            match memchr::memrchr(b'\n', &self.carry) {
                Some(i) => i + 1,
                None => {
                    // One line longer than a chunk: keep reading until it ends.
                    while !self.eof && !self.carry[self.chunk_bytes..].contains(&b'\n') {
                        let want = self.carry.len() + self.chunk_bytes;
                        self.fill(want)?;
                    }
                    self.carry
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(self.carry.len(), |i| i + 1)
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
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8], chunk: usize) -> Vec<(u64, String)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.json");
        std::fs::write(&p, text).unwrap();
        let input = expand(&[p.to_string_lossy().into_owned()])
            .unwrap()
            .remove(0);
        let mut r = ChunkReader::open(&input, chunk).unwrap();
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            out.extend(
                c.messages()
                    .map(|(l, m)| (l, String::from_utf8_lossy(m).into_owned())),
            );
            // As `convert` does: later chunks are read into this one's buffer.
            r.recycle(c.data);
        }
        out
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
    }

    #[test]
    fn broken_document_falls_back_to_lines() {
        let got = read_all(b"{\n\"a\": \n", 1000);
        assert_eq!(got, vec![(1, "{".into()), (2, "\"a\": ".into())]);
    }
}
