//! Where scrubbed records go: any byte stream (stdout, a file).

use std::io::{self, IoSlice, Write};

use crate::pipeline::Sink;

/// A [`Sink`] over any `Write`. Batches are already large, so no extra
/// buffering is added; `flush` is passed through.
pub struct WriterSink<W> {
    writer: W,
}

impl<W: Write> WriterSink<W> {
    pub fn new(writer: W) -> Self {
        WriterSink { writer }
    }

    pub fn into_inner(self) -> W {
        self.writer
    }
}

impl<W: Write> Sink for WriterSink<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.writer.write_all(data)
    }

    fn write_parts(&mut self, mut parts: &mut [IoSlice<'_>]) -> io::Result<()> {
        // Empty parts are dropped first: a write of nothing returns 0,
        // which would read as a closed output.
        IoSlice::advance_slices(&mut parts, 0);
        while !parts.is_empty() {
            match self.writer.write_vectored(parts) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut parts, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}
