//! Where `--from file:` tailing resumes after a restart.
//!
//! Data flow: the [`TailSource`](super::TailSource) attaches an ack to each
//! batch; the pipeline's writer runs it after the batch was written and
//! flushed; the ack calls [`CheckpointStore::apply`], which records, per file
//! (device, inode), the offset just past the last line written, and rewrites
//! the checkpoint file atomically (temporary file + rename).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Resume point of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    /// Path the file had when last seen (informative: files are identified
    /// by device and inode, so a renamed file keeps its checkpoint).
    pub path: PathBuf,
    pub dev: u64,
    pub inode: u64,
    /// Offset just past the last line that was written downstream.
    pub offset: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    files: Vec<FileCheckpoint>,
}

/// The checkpoint file and its in-memory copy; shared by the reader thread
/// (new files) and the writer thread (acks).
pub struct CheckpointStore {
    path: PathBuf,
    files: Mutex<BTreeMap<(u64, u64), FileCheckpoint>>,
}

impl CheckpointStore {
    /// Loads the checkpoint at `path`, or starts empty if it does not exist.
    pub fn open(path: &Path) -> io::Result<CheckpointStore> {
        let files = match fs::read(path) {
            Ok(bytes) => {
                let parsed: FileFormat = serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "checkpoint {} is damaged ({e}); delete it to start over \
                             (files are then read from their end, or from the start \
                             with --from-beginning)",
                            path.display()
                        ),
                    )
                })?;
                parsed
                    .files
                    .into_iter()
                    .map(|f| ((f.dev, f.inode), f))
                    .collect()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot read checkpoint {}: {e}", path.display()),
                ))
            }
        };
        Ok(CheckpointStore {
            path: path.to_path_buf(),
            files: Mutex::new(files),
        })
    }

    /// Path of the checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The resume point of file (`dev`, `inode`), if known.
    pub fn get(&self, dev: u64, inode: u64) -> Option<FileCheckpoint> {
        self.lock().get(&(dev, inode)).cloned()
    }

    /// All known files.
    pub fn entries(&self) -> Vec<FileCheckpoint> {
        self.lock().values().cloned().collect()
    }

    /// Records a file that has no entry yet (a newly found file) and saves.
    pub fn insert_new(&self, cp: FileCheckpoint) -> io::Result<()> {
        let mut files = self.lock();
        if files.contains_key(&(cp.dev, cp.inode)) {
            return Ok(());
        }
        files.insert((cp.dev, cp.inode), cp);
        self.save(&files)
    }

    /// Sets the offsets in `updates`, forgets the files in `forget` (rotated
    /// files read to their end), and saves.
    pub fn apply(&self, updates: &[FileCheckpoint], forget: &[(u64, u64)]) -> io::Result<()> {
        let mut files = self.lock();
        for cp in updates {
            files.insert((cp.dev, cp.inode), cp.clone());
        }
        for key in forget {
            files.remove(key);
        }
        self.save(&files)
    }

    /// Keeps only the files for which `keep` is true, and saves.
    pub fn retain(&self, mut keep: impl FnMut(&FileCheckpoint) -> bool) -> io::Result<()> {
        let mut files = self.lock();
        files.retain(|_, cp| keep(cp));
        self.save(&files)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(u64, u64), FileCheckpoint>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a temporary file next to the checkpoint and renames it over
    /// the checkpoint, so a crash leaves either the old or the new version.
    fn save(&self, files: &BTreeMap<(u64, u64), FileCheckpoint>) -> io::Result<()> {
        let doc = FileFormat {
            version: 1,
            files: files.values().cloned().collect(),
        };
        let bytes = serde_json::to_vec_pretty(&doc).map_err(io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.write_all(b"\n")?;
            drop(f);
            fs::rename(&tmp, &self.path)
        })();
        result.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot write checkpoint {}: {e}; check that its folder is writable \
                     or choose another place with --checkpoint",
                    self.path.display()
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let store = CheckpointStore::open(&path).unwrap();
        let cp = FileCheckpoint {
            path: "/x/a.log".into(),
            dev: 1,
            inode: 2,
            offset: 30,
        };
        store.insert_new(cp.clone()).unwrap();
        store
            .apply(
                &[FileCheckpoint {
                    offset: 40,
                    ..cp.clone()
                }],
                &[],
            )
            .unwrap();
        let again = CheckpointStore::open(&path).unwrap();
        assert_eq!(again.get(1, 2).unwrap().offset, 40);
        again.apply(&[], &[(1, 2)]).unwrap();
        assert!(CheckpointStore::open(&path).unwrap().entries().is_empty());
        fs::write(&path, "garbage").unwrap();
        assert!(CheckpointStore::open(&path).is_err());
    }
}
