//! Writes every AMQP performative the broker sends with all of its fields, as the Event Hubs
//! service does. AMQP lets an encoder leave out trailing null or default fields of a performative
//! (1.0 §1.4), and fe2o3-amqp does; the Python SDK's pure-Python AMQP stack reads frames by
//! position up to their last field (`frame[9]` of an open, `batchable` of a disposition, the
//! payload of a transfer at index 11) and fails on a shorter list. Padding with nulls keeps
//! every value the same: a null field means its default. A frame is never padded past the
//! client's max-frame-size (read from its open): fe2o3 fills split transfers up to it.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Past this much unsent output, writes wait for the socket.
const HIGH_WATER: usize = 256 * 1024;

/// A stream whose writes are re-framed with full performative field lists; reads pass through.
#[derive(Debug)]
pub(super) struct FullFrames<S> {
    inner: S,
    /// Bytes written to us that do not yet form a whole frame (or protocol header).
    pending: Vec<u8>,
    /// Re-framed bytes not yet taken by `inner`.
    out: Vec<u8>,
    sent: usize,
    /// The client's max-frame-size, once its open has been read.
    peer_max_frame: Option<usize>,
    /// The first bytes read, until the client's open is found in them.
    sniffed: Vec<u8>,
}

/// How far into the client's bytes its open is looked for.
const SNIFF_BYTES: usize = 4096;

impl<S> FullFrames<S> {
    pub(super) fn new(inner: S) -> Self {
        FullFrames {
            inner,
            pending: Vec::new(),
            out: Vec::new(),
            sent: 0,
            peer_max_frame: None,
            sniffed: Vec::new(),
        }
    }

    /// Looks for the client's open in what it has sent so far.
    fn sniff(&mut self, read: &[u8]) {
        if self.peer_max_frame.is_some() || self.sniffed.len() >= SNIFF_BYTES {
            return;
        }
        self.sniffed.extend_from_slice(read);
        let mut rest = self.sniffed.as_slice();
        loop {
            if rest.len() >= 8 && rest.starts_with(b"AMQP") {
                rest = &rest[8..];
                continue;
            }
            if rest.len() < 8 {
                return;
            }
            let size = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            if size < 8 || rest.len() < size {
                return;
            }
            if let Some(max) = open_max_frame_size(&rest[..size]) {
                self.peer_max_frame = Some(max);
                self.sniffed = Vec::new();
                return;
            }
            rest = &rest[size..];
        }
    }

    /// Moves every complete unit of `pending` to `out`, padded.
    fn reframe(&mut self) {
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            if rest.len() >= 8 && rest.starts_with(b"AMQP") {
                self.out.extend_from_slice(&rest[..8]);
                at += 8;
                continue;
            }
            if rest.len() < 8 {
                break;
            }
            let size = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            if size < 8 || rest.len() < size {
                break;
            }
            pad_frame(&rest[..size], self.peer_max_frame, &mut self.out);
            at += size;
        }
        self.pending.drain(..at);
    }
}

/// The field count of each performative (AMQP 1.0 §2.7 and §5.3.3), by descriptor code.
fn field_count(frame_type: u8, code: u64) -> Option<u32> {
    Some(match (frame_type, code) {
        (0, 0x10) => 10, // open
        (0, 0x11) => 8,  // begin
        (0, 0x12) => 14, // attach
        (0, 0x13) => 11, // flow
        (0, 0x14) => 11, // transfer
        (0, 0x15) => 6,  // disposition
        (0, 0x16) => 3,  // detach
        (0, 0x17) => 1,  // end
        (0, 0x18) => 1,  // close
        (1, 0x40) => 1,  // sasl-mechanisms
        (1, 0x44) => 2,  // sasl-outcome
        _ => return None,
    })
}

/// The max-frame-size of an open frame (AMQP 1.0 §2.7.1: its third field); `None` for any
/// other frame.
fn open_max_frame_size(frame: &[u8]) -> Option<usize> {
    let doff = frame[4] as usize * 4;
    let body = frame.get(doff..)?;
    if frame[5] != 0 || !body.starts_with(&[0x00, 0x53, 0x10]) {
        return None;
    }
    let mut fields = match body.get(3)? {
        0xc0 => body.get(6..)?,
        0xd0 => body.get(12..)?,
        _ => return None,
    };
    // Skip container-id and hostname (a string or null each).
    for _ in 0..2 {
        let skip = match *fields.first()? {
            0x40 => 1,
            0xa1 => 2 + *fields.get(1)? as usize,
            0xb1 => 5 + u32::from_be_bytes(fields.get(1..5)?.try_into().ok()?) as usize,
            _ => return None,
        };
        fields = fields.get(skip..)?;
    }
    Some(match *fields.first()? {
        0x70 => u32::from_be_bytes(fields.get(1..5)?.try_into().ok()?) as usize,
        0x52 => *fields.get(1)? as usize,
        _ => u32::MAX as usize, // null or absent: the default, unlimited
    })
}

/// Copies one frame to `out`, its performative's list padded with nulls to the full count
/// when the padded frame still fits `max_frame`. Anything else is copied unchanged.
fn pad_frame(frame: &[u8], max_frame: Option<usize>, out: &mut Vec<u8>) {
    let copy = |out: &mut Vec<u8>| out.extend_from_slice(frame);
    let doff = frame[4] as usize * 4;
    let frame_type = frame[5];
    if doff < 8 || frame.len() <= doff + 3 || frame[doff] != 0x00 {
        return copy(out);
    }
    let body = &frame[doff..];
    // Descriptor: smallulong (0x53 code) or ulong (0x80, 8 bytes).
    let (code, list_at) = match body[1] {
        0x53 => (body[2] as u64, 3),
        0x80 if body.len() >= 10 => (
            u64::from_be_bytes(body[2..10].try_into().expect("8 bytes")),
            10,
        ),
        _ => return copy(out),
    };
    let Some(want) = field_count(frame_type, code) else {
        return copy(out);
    };
    let list = &body[list_at..];
    // (count, the encoded fields, what follows the list: a transfer's payload)
    let (count, fields, tail): (u32, &[u8], &[u8]) = match list.first() {
        Some(0x45) => (0, &[], &list[1..]),
        Some(0xc0) if list.len() >= 3 => {
            let size = list[1] as usize;
            if list.len() < 2 + size || size < 1 {
                return copy(out);
            }
            (list[2] as u32, &list[3..2 + size], &list[2 + size..])
        }
        Some(0xd0) if list.len() >= 9 => {
            let size = u32::from_be_bytes(list[1..5].try_into().expect("4 bytes")) as usize;
            if list.len() < 5 + size || size < 4 {
                return copy(out);
            }
            let count = u32::from_be_bytes(list[5..9].try_into().expect("4 bytes"));
            (count, &list[9..5 + size], &list[5 + size..])
        }
        _ => return copy(out),
    };
    // A list8 that grows to a list32 adds 6 more bytes.
    let growth = (want - count) as usize + 6;
    if count >= want || max_frame.is_some_and(|max| frame.len() + growth > max) {
        return copy(out);
    }
    let mut fields = fields.to_vec();
    fields.resize(fields.len() + (want - count) as usize, 0x40); // null
    let start = out.len();
    out.extend_from_slice(&[0; 4]); // size, set below
    out.extend_from_slice(&frame[4..doff]);
    out.extend_from_slice(&body[..list_at]);
    if fields.len() < 255 {
        out.extend_from_slice(&[0xc0, (fields.len() + 1) as u8, want as u8]);
    } else {
        out.push(0xd0);
        out.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
        out.extend_from_slice(&want.to_be_bytes());
    }
    out.extend_from_slice(&fields);
    out.extend_from_slice(tail);
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

impl<S: AsyncWrite + Unpin> FullFrames<S> {
    /// Writes `out` to `inner` until it is empty or `inner` is not ready.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.out.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FullFrames<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        self.sniff(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FullFrames<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.out.len() - this.sent > HIGH_WATER {
            ready!(this.poll_drain(cx))?;
        }
        this.pending.extend_from_slice(buf);
        this.reframe();
        // Start sending; what the socket does not take now goes on the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_disposition_gets_its_trailing_fields_and_a_transfer_keeps_its_payload() {
        // disposition(role=true, first=0, settled=true): 3 of 6 fields
        let mut frame = vec![
            0, 0, 0, 0, 2, 0, 0, 1, 0x00, 0x53, 0x15, 0xc0, 4, 3, 0x41, 0x43, 0x41,
        ];
        frame[3] = frame.len() as u8;
        let mut out = Vec::new();
        pad_frame(&frame, None, &mut out);
        let want = [
            0, 0, 0, 20, 2, 0, 0, 1, 0, 0x53, 0x15, 0xc0, 7, 6, 0x41, 0x43, 0x41, 0x40, 0x40, 0x40,
        ];
        assert_eq!(out, want);
        // transfer(handle=0) + payload "xy"
        let mut frame = vec![
            0, 0, 0, 0, 2, 0, 0, 1, 0x00, 0x53, 0x14, 0xc0, 2, 1, 0x43, b'x', b'y',
        ];
        frame[3] = frame.len() as u8;
        let mut out = Vec::new();
        pad_frame(&frame, None, &mut out);
        assert_eq!(out.len(), frame.len() + 10);
        assert_eq!(&out[11..14], &[0xc0, 12, 11]);
        assert!(out.ends_with(&[0x40, b'x', b'y']));
        assert_eq!(
            u32::from_be_bytes(out[..4].try_into().unwrap()) as usize,
            out.len()
        );
        // A transfer that fills the client's max frame size is left as it is.
        let mut out = Vec::new();
        pad_frame(&frame, Some(frame.len()), &mut out);
        assert_eq!(out, frame);
    }

    #[test]
    fn the_clients_max_frame_size_is_read_from_its_open() {
        // open(container-id "c", hostname null, max-frame-size 65536)
        let mut frame = vec![0, 0, 0, 0, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0xc0, 9, 3];
        frame.extend_from_slice(&[0xa1, 1, b'c', 0x40, 0x70, 0, 1, 0, 0]);
        frame[3] = frame.len() as u8;
        assert_eq!(open_max_frame_size(&frame), Some(65536));
        let mut stream = FullFrames::new(());
        stream.sniff(b"AMQP\x00\x01\x00\x00");
        stream.sniff(&frame);
        assert_eq!(stream.peer_max_frame, Some(65536));
    }
}
