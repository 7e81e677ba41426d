//! Atomic writes (temp file beside the target, fsync, rename, fsync the directory) and
//! the entropy new ids are made from.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Workspace, phone_index};

/// Write `bytes` to `path` atomically: temp file beside it, fsync, rename, fsync the dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

/// Lead files hold customer phone numbers: owner-only by default (docs/threat-model.md).
pub const LEAD_FILE_MODE: u32 = 0o600;

/// Lead files of a workspace shared by a group of Unix accounts (`init --shared`): the
/// group reads and writes them too (the umask may still take the group's write bit; files
/// are replaced by rename, which needs only the directory's).
pub const SHARED_LEAD_FILE_MODE: u32 = 0o660;

/// [`write_atomic`] with the permissions a new file gets (before the umask).
///
/// The temp file is `.NAME.tmp` beside the target: writers hold the workspace lock, so one
/// name per file is enough, and a temp file left by a killed process is simply replaced
/// by the next write of that file (scans ignore dot files).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| -> std::io::Result<()> {
        let create = || OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp);
        let mut f = match create() {
            // A leftover from a crash may have other permissions: start afresh.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                fs::remove_file(&tmp)?;
                create()?
            }
            other => other?,
        };
        f.write_all(bytes)?;
        let sync = !DEFERRED.load(std::sync::atomic::Ordering::Relaxed);
        if sync {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if sync { File::open(dir)?.sync_all() } else { Ok(()) }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Set while a bulk write (an import) defers its fsyncs to one sync at the end.
static DEFERRED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Bulk writes: until the guard is finished, atomic writes skip their two fsyncs (each
/// write is still a whole file, renamed into place) and the same-phone list's updates are
/// held in memory; [`DeferredSync::finish`] then appends those once and flushes the file
/// system once (`sync -f`), so 100k files cost one flush instead of 200k, and a hundred
/// appends instead of 100k. Dropped unfinished (a failed import), the held updates are
/// forgotten: the list is rebuilt when next needed, as after a crash.
pub struct DeferredSync {
    ws: Workspace,
}

impl DeferredSync {
    pub fn start(ws: &Workspace) -> DeferredSync {
        DEFERRED.store(true, std::sync::atomic::Ordering::Relaxed);
        phone_index::defer(ws);
        DeferredSync { ws: ws.clone() }
    }

    /// Flush what was written since [`DeferredSync::start`] to disk.
    pub fn finish(self) -> Result<()> {
        DEFERRED.store(false, std::sync::atomic::Ordering::Relaxed);
        phone_index::flush(&self.ws)?;
        let synced = std::process::Command::new("sync")
            .arg("-f")
            .arg(&self.ws.root)
            .stdin(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !synced {
            // No coreutils `sync -f`: flush everything.
            std::process::Command::new("sync").status().context("cannot run sync to flush the written files")?;
        }
        Ok(())
    }
}

impl Drop for DeferredSync {
    fn drop(&mut self) {
        DEFERRED.store(false, std::sync::atomic::Ordering::Relaxed);
        phone_index::discard();
    }
}

/// Where the random part of new ids comes from: the OS, or (tests, replays) a seed.
#[derive(Debug)]
pub enum Entropy {
    Os,
    /// `HANDOFF_SEED`: the same seed gives the same ids, in order, in every run.
    Seeded(std::sync::atomic::AtomicU64),
}

impl Entropy {
    /// Sixteen random bytes.
    pub fn bytes(&self) -> Result<[u8; 16]> {
        let mut buf = [0u8; 16];
        match self {
            Entropy::Os => getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?,
            Entropy::Seeded(state) => {
                for chunk in buf.chunks_mut(8) {
                    // SplitMix64: a tiny, well-mixed sequence from any seed.
                    use std::sync::atomic::Ordering::Relaxed;
                    let mut z = state.fetch_add(0x9E37_79B9_7F4A_7C15, Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
                }
            }
        }
        Ok(buf)
    }
}
