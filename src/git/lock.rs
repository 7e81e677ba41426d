//! git's lock files (`<file>.lock`): created exclusively, written, then renamed over the
//! file they lock, or removed if dropped first. The index and the refs are written
//! through them, as git writes them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::plain::Writes;

/// A held `<target>.lock`.
pub struct LockFile {
    /// The lock file; empty once renamed over the target.
    path: PathBuf,
    target: PathBuf,
    file: File,
    durable: bool,
}

impl LockFile {
    /// Take the lock on `target` as git does (create `<target>.lock` exclusively, with
    /// the repository's permissions); refuse when another process holds it.
    pub fn take(target: &Path, how: &Writes) -> Result<LockFile> {
        let mut name = target.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new().write(true).create_new(true).mode(0o666).open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "unable to create '{}': File exists (another git process seems to be running in this repository)",
                    path.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
            }
        })?;
        let lock = LockFile { path, target: target.to_path_buf(), file, durable: how.durable };
        how.perm.adjust_file(&lock.path)?;
        Ok(lock)
    }

    /// Write `bytes` into the lock file (the new content of the target).
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Put the lock file in place of its target (synced first when writes are durable).
    pub fn commit(mut self) -> Result<()> {
        if self.durable {
            self.file.sync_all().with_context(|| format!("cannot sync {}", self.path.display()))?;
        }
        fs::rename(&self.path, &self.target).with_context(|| format!("cannot write {}", self.target.display()))?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}
