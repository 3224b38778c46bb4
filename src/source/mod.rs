//! Where records come from: any byte stream (stdin, a file) cut into records.

mod reader;

pub use reader::{ReaderSource, OVERSIZE_MARKER};
