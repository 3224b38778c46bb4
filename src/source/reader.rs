//! A [`Source`] over any `Read` (stdin, a file, a pipe).
//!
//! Cuts the stream at newlines into batches. A batch is shipped as soon as
//! the stream has nothing more at hand, so `tail -f app.log | logscrub` sees
//! each record at once, while bulk input fills whole batches. A record longer
//! than the line limit is never buffered whole: it is skipped up to its
//! newline and replaced by a marker record.

use std::io::{self, ErrorKind, Read};

use crate::pipeline::{Batch, Source};

/// What an over-long record is replaced with.
pub const OVERSIZE_MARKER: &[u8] = b"[REDACTED:oversize-record]";

/// Reads records from a byte stream.
pub struct ReaderSource<R> {
    reader: R,
    /// Bytes of an unfinished record carried into the next batch.
    carry: Vec<u8>,
    /// Target batch size.
    batch_bytes: usize,
    max_line_bytes: usize,
    /// Inside an over-long record: drop bytes until the next newline.
    skipping: bool,
    eof: bool,
}

impl<R: Read + Send> ReaderSource<R> {
    pub fn new(reader: R, batch_bytes: usize, max_line_bytes: usize) -> Self {
        ReaderSource {
            reader,
            carry: Vec::new(),
            batch_bytes: batch_bytes.max(4096),
            max_line_bytes: max_line_bytes.max(1),
            skipping: false,
            eof: false,
        }
    }

    /// Reads once into the spare room of `buf`; returns the byte count (0 at end).
    fn read_some(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        let start = buf.len();
        buf.resize(start + want, 0);
        let n = loop {
            match self.reader.read(&mut buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            }
        };
        buf.truncate(start + n);
        Ok(n)
    }

    /// Replaces records longer than the limit in `batch.input[from..]`,
    /// where `from` is the start of a record. Returns where the last,
    /// unfinished record starts, to resume there after the next read.
    fn enforce_line_limit(&mut self, batch: &mut Batch, from: usize) -> usize {
        let buf = &mut batch.input;
        let mut pos = from;
        loop {
            let newline = memchr::memchr(b'\n', &buf[pos..]);
            match newline {
                Some(i) if !self.skipping && i <= self.max_line_bytes => pos += i + 1,
                Some(i) => {
                    buf.splice(pos..pos + i, OVERSIZE_MARKER.iter().copied());
                    pos += OVERSIZE_MARKER.len() + 1;
                    self.skipping = false;
                    batch.counts.oversize += 1;
                }
                None if self.skipping || buf.len() - pos > self.max_line_bytes => {
                    buf.truncate(pos);
                    self.skipping = true;
                    return pos;
                }
                None => return pos,
            }
        }
    }
}

impl<R: Read + Send> Source for ReaderSource<R> {
    fn fill(&mut self, batch: &mut Batch) -> io::Result<bool> {
        batch.input.append(&mut self.carry);
        let mut scanned = 0;
        loop {
            if self.eof {
                if self.skipping {
                    batch.input.extend_from_slice(OVERSIZE_MARKER);
                    batch.counts.oversize += 1;
                    self.skipping = false;
                }
                return Ok(!batch.input.is_empty());
            }
            let want = self.batch_bytes.saturating_sub(batch.input.len()).max(4096);
            let n = self.read_some(&mut batch.input, want)?;
            if n == 0 {
                self.eof = true;
                continue;
            }
            scanned = self.enforce_line_limit(batch, scanned);
            let Some(last_nl) = memchr::memrchr(b'\n', &batch.input) else {
                continue;
            };
            // Ship when the batch is full or the stream has nothing more at hand.
            if batch.input.len() >= self.batch_bytes || n < want {
                self.carry.extend_from_slice(&batch.input[last_nl + 1..]);
                batch.input.truncate(last_nl + 1);
                return Ok(true);
            }
        }
    }
}
