//! Where records come from: any byte stream (stdin, a file) cut into records,
//! or followed log files (`--from file:`, with checkpoints).

pub mod checkpoint;
mod reader;
pub mod tail;

pub use reader::{ReaderSource, OVERSIZE_MARKER};
pub use tail::{TailOptions, TailSource};
