//! Where scrubbed records go: any byte stream (stdout, a file).

use std::io::{self, Write};

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

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}
