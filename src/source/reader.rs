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
        let max = self.max_line_bytes;
        let mut pos = from;
        loop {
            // Every record that ends within `max` bytes of `pos` is short
            // enough: one search from the back passes them all.
            let window = &buf[pos..buf.len().min(pos.saturating_add(max).saturating_add(1))];
            if !self.skipping {
                if let Some(i) = memchr::memrchr(b'\n', window) {
                    pos += i + 1;
                    continue;
                }
                if window.len() <= max {
                    return pos;
                }
            }
            // The record at `pos` is too long (or the rest of one that was).
            match memchr::memchr(b'\n', &buf[pos..]) {
                Some(i) => {
                    buf.splice(pos..pos + i, OVERSIZE_MARKER.iter().copied());
                    pos += OVERSIZE_MARKER.len() + 1;
                    self.skipping = false;
                    batch.counts.oversize += 1;
                }
                None => {
                    buf.truncate(pos);
                    self.skipping = true;
                    return pos;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes in pieces of the given sizes, in turn, as a pipe
    /// does.
    struct Pieces<'a> {
        bytes: &'a [u8],
        sizes: &'a [usize],
        turn: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.turn % self.sizes.len()];
            self.turn += 1;
            let n = size.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// What the source must make of `input`: each record over `max` bytes
    /// replaced by the marker, everything else as it was.
    fn expected(input: &[u8], max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, line) in input.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(if line.len() > max {
                OVERSIZE_MARKER
            } else {
                line
            });
        }
        out
    }

    /// Records just under, at and over the limit, cut into reads of every
    /// size, come out whole or as markers, never split and never raw.
    #[test]
    fn records_over_the_limit_become_markers_wherever_reads_cut() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        for max in [1, 5, 16, 300] {
            for sizes in [&[1][..], &[3, 7], &[64], &[4096, 5], &[1 << 16]] {
                for _ in 0..20 {
                    let mut input = Vec::new();
                    for _ in 0..next(40) {
                        let len = match next(4) {
                            0 => max,
                            1 => max + 1,
                            2 => next(3 * max as u64 + 2),
                            _ => next(max as u64 + 1),
                        };
                        input.extend((0..len).map(|_| b'a' + next(26) as u8));
                        input.push(b'\n');
                    }
                    if next(2) == 0 {
                        input.pop();
                    }
                    let reader = Pieces {
                        bytes: &input,
                        sizes,
                        turn: 0,
                    };
                    let mut source = ReaderSource::new(reader, 4096, max);
                    let mut batch = Batch::with_capacity(4096);
                    let mut out = Vec::new();
                    while source.fill(&mut batch).unwrap() {
                        out.extend_from_slice(&batch.input);
                        batch.reset(0);
                    }
                    assert_eq!(
                        String::from_utf8_lossy(&out),
                        String::from_utf8_lossy(&expected(&input, max)),
                        "max {max}, reads of {sizes:?}"
                    );
                }
            }
        }
    }
}
