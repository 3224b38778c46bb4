//! A [`Source`] that follows log files (`--from file:PATH`, globs allowed),
//! for the sidecar pattern.
//!
//! Data flow: every poll (100 ms) the source lists the files that match the
//! pattern, identifies each by (device, inode), reads what was appended,
//! cuts it into whole lines and appends them to the batch. Each batch gets an
//! ack that moves the files' checkpoints (see [`CheckpointStore`]) once the
//! pipeline has written and flushed it, so a restart resumes after the last
//! written line.
//!
//! Rotation:
//! - rename + create: the renamed file is still open; it is read to its end,
//!   then closed; the new file at the path is read from offset 0.
//! - copytruncate: detected when the file is shorter than the read offset or
//!   when the bytes just before the offset changed; lines not yet read are
//!   taken from the copy (a file in the same folder whose name starts with
//!   the file's name and that holds the same bytes at the offset), then the
//!   truncated file is read from 0.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::checkpoint::{CheckpointStore, FileCheckpoint};
use super::reader::OVERSIZE_MARKER;
use crate::metrics::Metrics;
use crate::pipeline::{Batch, Shutdown, Source};

/// How many bytes before the read offset are compared to detect a
/// truncated and rewritten file.
const FINGERPRINT_BYTES: u64 = 64;
/// Polls at end of file after which a rotated-away file is closed.
const ROTATED_IDLE_POLLS: u32 = 10;

/// Settings of a [`TailSource`].
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// File path; its last component may contain `*` and `?`.
    pub pattern: PathBuf,
    /// Checkpoint file; see [`default_checkpoint_path`].
    pub checkpoint: PathBuf,
    /// Files without a checkpoint found at start-up are read from their
    /// start (else from their end). Files that appear later are always read
    /// from their start.
    pub from_beginning: bool,
    /// How often files are checked for growth and rotation.
    pub poll: Duration,
    pub batch_bytes: usize,
    pub max_line_bytes: usize,
}

/// `PATH.logscrub-checkpoint` for a single file, `DIR/.logscrub-checkpoint`
/// for a glob.
pub fn default_checkpoint_path(pattern: &Path) -> PathBuf {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = pattern.parent().unwrap_or(Path::new("."));
    if name.contains(['*', '?']) {
        dir.join(".logscrub-checkpoint")
    } else {
        dir.join(format!("{name}.logscrub-checkpoint"))
    }
}

/// One followed file.
struct Tailed {
    path: PathBuf,
    file: File,
    dev: u64,
    inode: u64,
    /// Next byte to read.
    pos: u64,
    /// Offset just past the last line put into a batch.
    committed: u64,
    /// Bytes of an unfinished line (read, not yet emitted).
    pending: Vec<u8>,
    /// Inside an over-long line: drop bytes up to the next newline.
    skipping: bool,
    /// The path no longer leads to this file: read it to its end, then close.
    rotated: bool,
    idle_polls: u32,
    /// Size at the last check.
    size: u64,
    /// Put into the current batch.
    in_batch: bool,
    /// The last bytes read (up to [`FINGERPRINT_BYTES`]).
    fingerprint: Vec<u8>,
}

/// Follows the files that match a pattern; see the module documentation.
pub struct TailSource {
    dir: PathBuf,
    name_pattern: String,
    opts: TailOptions,
    store: Arc<CheckpointStore>,
    shutdown: Shutdown,
    metrics: Option<Arc<Metrics>>,
    files: Vec<Tailed>,
    /// Rotated files read to their end, forgotten at the next ack.
    finished: Vec<(u64, u64)>,
    chunk: Vec<u8>,
    started: bool,
    /// Where the next fill starts reading, so that no file starves.
    next: usize,
}

impl TailSource {
    /// Checks the pattern, opens the checkpoint and finds the files present
    /// now (their start offsets are fixed here).
    pub fn new(
        opts: TailOptions,
        shutdown: Shutdown,
        metrics: Option<Arc<Metrics>>,
    ) -> io::Result<TailSource> {
        let name_pattern = opts
            .pattern
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "`{}` does not name a file; use e.g. file:/var/log/app/*.log",
                        opts.pattern.display()
                    ),
                )
            })?;
        let dir = match opts.pattern.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.to_string_lossy().contains(['*', '?']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "only the file name may contain `*` or `?` (e.g. /var/log/app/*.log), \
                 not the folders",
            ));
        }
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "folder {} does not exist; create it or fix the --from path",
                    dir.display()
                ),
            ));
        }
        let store = Arc::new(CheckpointStore::open(&opts.checkpoint)?);
        let mut source = TailSource {
            dir,
            name_pattern,
            opts,
            store,
            shutdown,
            metrics,
            files: Vec::new(),
            finished: Vec::new(),
            chunk: Vec::new(),
            started: false,
            next: 0,
        };
        // Fix the start offsets now, so that lines appended after start-up
        // (after /readyz turns 200) are never skipped.
        source.scan()?;
        Ok(source)
    }

    /// The checkpoint store (shared with the acks).
    pub fn checkpoint(&self) -> &Arc<CheckpointStore> {
        &self.store
    }

    fn is_ours(&self, name: &str) -> bool {
        let cp = self
            .opts
            .checkpoint
            .file_name()
            .map(|n| n.to_string_lossy());
        match cp {
            Some(cp) => name == cp || name.strip_suffix(".tmp") == Some(&cp),
            None => false,
        }
    }

    /// Regular files in the folder whose name matches the pattern.
    fn list(&self) -> io::Result<Vec<(PathBuf, fs::Metadata)>> {
        let mut out = Vec::new();
        if !self.name_pattern.contains(['*', '?']) {
            let path = self.dir.join(&self.name_pattern);
            match fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push((path, m)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            return Ok(out);
        }
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !glob_match(&self.name_pattern, &name) || self.is_ours(&name) {
                continue;
            }
            let path = entry.path();
            match fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push((path, m)),
                _ => {}
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Finds new, renamed, rotated and truncated files.
    fn scan(&mut self) -> io::Result<()> {
        let listing = self.list()?;
        let first = !self.started;
        self.started = true;
        let mut seen = vec![false; self.files.len()];
        for (path, meta) in listing {
            let (dev, inode) = (meta.dev(), meta.ino());
            if let Some(i) = self
                .files
                .iter()
                .position(|t| t.dev == dev && t.inode == inode)
            {
                seen[i] = true;
                let t = &mut self.files[i];
                t.path = path;
                t.size = meta.len();
                continue;
            }
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot open log file; will retry");
                    continue;
                }
            };
            let meta = file.metadata()?;
            if meta.dev() != dev || meta.ino() != inode {
                continue; // replaced between listing and opening: next poll
            }
            let size = meta.len();
            let start = match self.store.get(dev, inode) {
                Some(cp) if cp.offset <= size => cp.offset,
                Some(_) => 0,
                None if first && !self.opts.from_beginning => size,
                None => 0,
            };
            tracing::info!(path = %path.display(), offset = start, "following file");
            let saved = self.store.insert_new(FileCheckpoint {
                path: path.clone(),
                dev,
                inode,
                offset: start,
            });
            if let Err(e) = saved {
                // At start-up this stops the run (wrong --checkpoint place);
                // later the file is still followed and the next ack retries.
                if first {
                    return Err(e);
                }
                self.checkpoint_error(&e);
            }
            let mut t = Tailed {
                path,
                file,
                dev,
                inode,
                pos: start,
                committed: start,
                pending: Vec::new(),
                skipping: false,
                rotated: false,
                idle_polls: 0,
                size,
                in_batch: false,
                fingerprint: Vec::new(),
            };
            let keep = start.min(FINGERPRINT_BYTES);
            t.fingerprint.resize(keep as usize, 0);
            t.file.read_exact_at(&mut t.fingerprint, start - keep)?;
            self.files.push(t);
            seen.push(true);
        }
        if first {
            self.resume_rotated()?;
            seen.resize(self.files.len(), true);
        }
        for (t, seen) in self.files.iter_mut().zip(seen) {
            if !seen && !t.rotated {
                tracing::info!(path = %t.path.display(), "file rotated away; reading it to its end");
                t.rotated = true;
                t.idle_polls = 0;
            }
            if t.rotated {
                t.size = t.file.metadata()?.len();
            }
        }
        let mut i = 0;
        while i < self.files.len() {
            if !self.files[i].rotated {
                if let Some(copy) = self.check_truncated(i)? {
                    // The copy holds the older lines: read it first.
                    self.files.insert(i, copy);
                    i += 1;
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// At start-up: files in the checkpoint that were rotated away while we
    /// were not running (renamed in the same folder) are read to their end.
    fn resume_rotated(&mut self) -> io::Result<()> {
        let entries = self.store.entries();
        let missing: Vec<FileCheckpoint> = entries
            .into_iter()
            .filter(|cp| {
                !self
                    .files
                    .iter()
                    .any(|t| t.dev == cp.dev && t.inode == cp.inode)
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.dir)?.flatten() {
            let path = entry.path();
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            if let Some(cp) = missing
                .iter()
                .find(|cp| cp.dev == meta.dev() && cp.inode == meta.ino())
            {
                if cp.offset <= meta.len() {
                    if let Ok(file) = File::open(&path) {
                        tracing::info!(path = %path.display(), offset = cp.offset, "finishing rotated file");
                        found.push((cp.dev, cp.inode));
                        self.files.push(Tailed {
                            path,
                            file,
                            dev: cp.dev,
                            inode: cp.inode,
                            pos: cp.offset,
                            committed: cp.offset,
                            pending: Vec::new(),
                            skipping: false,
                            rotated: true,
                            idle_polls: 0,
                            size: meta.len(),
                            in_batch: false,
                            fingerprint: Vec::new(),
                        });
                    }
                }
            }
        }
        // Files that are gone for good (deleted) are forgotten.
        self.store.retain(|cp| {
            !missing
                .iter()
                .any(|m| m.dev == cp.dev && m.inode == cp.inode)
                || found.contains(&(cp.dev, cp.inode))
        })
    }

    /// Copytruncate: the file is shorter than what was read, or the bytes
    /// just before the read offset changed. Returns the copy, if found, to
    /// be read (to its end) before the truncated file.
    fn check_truncated(&mut self, i: usize) -> io::Result<Option<Tailed>> {
        let t = &self.files[i];
        if t.pos == 0 {
            return Ok(None);
        }
        let truncated = t.size < t.pos || {
            let mut now = vec![0; t.fingerprint.len()];
            let at = t.pos - now.len() as u64;
            t.file.read_exact_at(&mut now, at)?;
            now != t.fingerprint
        };
        if !truncated {
            return Ok(None);
        }
        tracing::info!(path = %t.path.display(), "file truncated (copytruncate); reading it from the start");
        let copy = self.find_copy(i)?;
        let t = &mut self.files[i];
        let copy = copy.map(|(path, file, meta)| Tailed {
            path,
            file,
            dev: meta.dev(),
            inode: meta.ino(),
            pos: t.pos,
            committed: t.committed,
            pending: std::mem::take(&mut t.pending),
            skipping: t.skipping,
            rotated: true,
            idle_polls: 0,
            size: meta.len(),
            in_batch: false,
            fingerprint: Vec::new(),
        });
        t.pos = 0;
        t.committed = 0;
        t.pending.clear();
        t.skipping = false;
        t.fingerprint.clear();
        if let Some(c) = &copy {
            tracing::info!(path = %c.path.display(), offset = c.pos, "reading the rest from the copy");
            let saved = self.store.insert_new(FileCheckpoint {
                path: c.path.clone(),
                dev: c.dev,
                inode: c.inode,
                offset: c.committed,
            });
            if let Err(e) = saved {
                self.checkpoint_error(&e);
            }
        }
        Ok(copy)
    }

    /// The copy a copytruncate made of file `i`: in the same folder, named
    /// like the file plus a suffix, holding the bytes we read last at the
    /// same offset.
    fn find_copy(&self, i: usize) -> io::Result<Option<(PathBuf, File, fs::Metadata)>> {
        let t = &self.files[i];
        let Some(name) = t.path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Ok(None);
        };
        if t.fingerprint.is_empty() {
            return Ok(None);
        }
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(None);
        };
        for entry in entries.flatten() {
            let other = entry.file_name();
            let other = other.to_string_lossy();
            if other == name || !other.starts_with(&name) {
                continue;
            }
            let Ok(file) = File::open(entry.path()) else {
                continue;
            };
            let meta = file.metadata()?;
            if !meta.is_file() || meta.len() < t.pos || (meta.dev(), meta.ino()) == (t.dev, t.inode)
            {
                continue;
            }
            let mut bytes = vec![0; t.fingerprint.len()];
            let at = t.pos - bytes.len() as u64;
            if file.read_exact_at(&mut bytes, at).is_ok() && bytes == t.fingerprint {
                return Ok(Some((entry.path(), file, meta)));
            }
        }
        Ok(None)
    }

    /// Reads what was appended to file `i` into the batch, whole lines only.
    /// Returns the number of bytes read.
    fn read_file(&mut self, i: usize, batch: &mut Batch) -> io::Result<u64> {
        let TailSource {
            files, chunk, opts, ..
        } = self;
        let t = &mut files[i];
        let mut total = 0;
        while batch.input.len() < opts.batch_bytes {
            let want = (opts.batch_bytes - batch.input.len()).clamp(64 * 1024, 1 << 20);
            chunk.resize(want, 0);
            let n = loop {
                match t.file.read_at(chunk, t.pos) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                break;
            }
            let data = &chunk[..n];
            let start = t.pos;
            t.pos += n as u64;
            total += n as u64;
            // Keep the last bytes read, to recognise a truncated file.
            let keep = (t.pos.min(FINGERPRINT_BYTES)) as usize;
            if n >= keep {
                t.fingerprint.clear();
                t.fingerprint.extend_from_slice(&data[n - keep..]);
            } else {
                t.fingerprint.extend_from_slice(data);
                let extra = t.fingerprint.len() - keep;
                t.fingerprint.drain(..extra);
            }
            cut_lines(t, data, start, batch, opts.max_line_bytes);
        }
        if t.pos > t.size {
            t.size = t.pos;
        }
        Ok(total)
    }

    /// Closes rotated files that stayed at their end for a while.
    fn finish_rotated(&mut self, batch: &mut Batch, read: &[u64]) {
        let mut i = 0;
        let mut k = 0;
        while i < self.files.len() {
            let got = read.get(k).copied().unwrap_or(0);
            k += 1;
            let t = &mut self.files[i];
            if !t.rotated || got > 0 || t.pos < t.size {
                if t.rotated {
                    t.idle_polls = 0;
                }
                i += 1;
                continue;
            }
            t.idle_polls += 1;
            if t.idle_polls < ROTATED_IDLE_POLLS {
                i += 1;
                continue;
            }
            // The last line of a finished file may lack its newline.
            if t.skipping {
                batch.input.extend_from_slice(OVERSIZE_MARKER);
                batch.input.push(b'\n');
                batch.counts.oversize += 1;
            } else if !t.pending.is_empty() {
                batch.input.extend_from_slice(&t.pending);
                batch.input.push(b'\n');
            }
            tracing::info!(path = %t.path.display(), "finished rotated file");
            self.finished.push((t.dev, t.inode));
            self.files.remove(i);
        }
    }

    /// Moves the checkpoints of the files in this batch once it is written.
    fn attach_ack(&mut self, batch: &mut Batch) {
        let mut updates = Vec::new();
        for t in &mut self.files {
            if std::mem::take(&mut t.in_batch) {
                updates.push(FileCheckpoint {
                    path: t.path.clone(),
                    dev: t.dev,
                    inode: t.inode,
                    offset: t.committed,
                });
            }
        }
        let forget = std::mem::take(&mut self.finished);
        if updates.is_empty() && forget.is_empty() {
            return;
        }
        let store = self.store.clone();
        let metrics = self.metrics.clone();
        batch.ack = Some(Box::new(move || {
            if let Err(e) = store.apply(&updates, &forget) {
                tracing::error!(error = %e, "checkpoint not saved");
                if let Some(m) = metrics {
                    m.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    fn checkpoint_error(&self, e: &io::Error) {
        tracing::error!(error = %e, "checkpoint not saved");
        if let Some(m) = &self.metrics {
            m.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Bytes not yet read or not yet emitted, over all files.
    fn update_lag(&self) {
        if let Some(m) = &self.metrics {
            let lag: u64 = self
                .files
                .iter()
                .map(|t| t.size.saturating_sub(t.committed))
                .sum();
            m.file_lag_bytes.store(lag, Ordering::Relaxed);
        }
    }
}

impl Source for TailSource {
    fn fill(&mut self, batch: &mut Batch) -> io::Result<bool> {
        let mut read = Vec::new();
        loop {
            if self.shutdown.is_triggered() {
                return Ok(false);
            }
            if let Err(e) = self.scan() {
                // A vanished folder or a permission change: keep following
                // what is open and look again at the next poll.
                tracing::warn!(error = %e, "cannot list the followed files; retrying");
            }
            read.clear();
            read.resize(self.files.len(), 0);
            let n = self.files.len();
            for k in 0..n {
                let i = (self.next + k) % n;
                read[i] = self.read_file(i, batch)?;
                if batch.input.len() >= self.opts.batch_bytes {
                    self.next = (i + 1) % n;
                    break;
                }
            }
            self.finish_rotated(batch, &read);
            self.update_lag();
            if !batch.input.is_empty() {
                batch.started = Some(Instant::now());
                self.attach_ack(batch);
                return Ok(true);
            }
            let until = Instant::now() + self.opts.poll;
            while Instant::now() < until {
                if self.shutdown.is_triggered() {
                    return Ok(false);
                }
                std::thread::sleep(Duration::from_millis(20).min(self.opts.poll));
            }
        }
    }
}

/// Appends the whole lines of `data` (read at file offset `off`) to the
/// batch; keeps an unfinished line in `t.pending`; replaces lines longer
/// than `max` by [`OVERSIZE_MARKER`].
fn cut_lines(t: &mut Tailed, data: &[u8], mut off: u64, batch: &mut Batch, max: usize) {
    let mut rest = data;
    while !rest.is_empty() {
        let Some(j) = memchr::memchr(b'\n', rest) else {
            if !t.skipping {
                t.pending.extend_from_slice(rest);
                if t.pending.len() > max {
                    t.pending.clear();
                    t.skipping = true;
                }
            }
            return;
        };
        if t.skipping || t.pending.len() + j > max {
            batch.input.extend_from_slice(OVERSIZE_MARKER);
            batch.input.push(b'\n');
            batch.counts.oversize += 1;
            t.skipping = false;
        } else {
            batch.input.extend_from_slice(&t.pending);
            batch.input.extend_from_slice(&rest[..=j]);
        }
        t.pending.clear();
        off += j as u64 + 1;
        t.committed = off;
        t.in_batch = true;
        rest = &rest[j + 1..];
    }
}

/// Shell-style match of a file name: `*` any run of characters, `?` one
/// character; a leading `.` must be matched literally.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.log", "app.log"));
        assert!(glob_match("app-?.log", "app-1.log"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("*", ".logscrub-checkpoint"));
        assert!(!glob_match("*.log", "app.log.1"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }

    fn source(dir: &Path, max_line_bytes: usize, from_beginning: bool) -> TailSource {
        TailSource::new(
            TailOptions {
                pattern: dir.join("*.log"),
                checkpoint: dir.join("cp"),
                from_beginning,
                poll: Duration::from_millis(10),
                batch_bytes: 1 << 16,
                max_line_bytes,
            },
            Shutdown::new(),
            None,
        )
        .unwrap()
    }

    #[test]
    fn whole_lines_only_and_oversize_marker() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        fs::write(&log, "one\ntwo\nthr").unwrap();
        let mut src = source(dir.path(), 8, true);
        let mut batch = Batch::with_capacity(1 << 16);
        assert!(src.fill(&mut batch).unwrap());
        assert_eq!(batch.input, b"one\ntwo\n");
        batch.ack.take().unwrap()();
        let cp = CheckpointStore::open(&dir.path().join("cp")).unwrap();
        assert_eq!(cp.entries()[0].offset, 8);

        let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
        std::io::Write::write_all(&mut f, b"ee\nthis line is too long\nok\n").unwrap();
        batch.reset(1);
        assert!(src.fill(&mut batch).unwrap());
        assert_eq!(
            batch.input,
            [&b"three\n"[..], OVERSIZE_MARKER, b"\nok\n"].concat()
        );
        assert_eq!(batch.counts.oversize, 1);
    }

    #[test]
    fn starts_at_end_without_from_beginning_and_stops_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.log"), "old\n").unwrap();
        let mut src = source(dir.path(), 100, false);
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("a.log"))
            .unwrap();
        std::io::Write::write_all(&mut f, b"new\n").unwrap();
        let mut batch = Batch::with_capacity(1 << 16);
        assert!(src.fill(&mut batch).unwrap());
        assert_eq!(batch.input, b"new\n");
        src.shutdown.trigger();
        batch.reset(1);
        assert!(!src.fill(&mut batch).unwrap());
    }
}
