//! Atomic writes (temp file beside the target, fsync, rename, fsync the directory) and
//! the entropy new ids are made from.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;

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
    if let Some(writer) = lock_writer().as_ref().filter(|w| path.starts_with(&w.under)) {
        // Queued, not dropped: only a closed queue (the writer gone after a panic) refuses.
        if writer.queue.send((path.to_path_buf(), bytes.to_vec(), mode)).is_ok() {
            return Ok(());
        }
    }
    write_now(path, bytes, mode)
}

/// [`write_atomic_mode`] in this thread.
fn write_now(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
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

/// A file to write: its path, bytes and mode.
type Job = (PathBuf, Vec<u8>, u32);

/// The queue of a bulk write's background writer: files under `under` (the leads
/// directory) go to it.
struct QueuedWriter {
    under: PathBuf,
    queue: SyncSender<Job>,
}

static WRITER: Mutex<Option<QueuedWriter>> = Mutex::new(None);

fn lock_writer() -> std::sync::MutexGuard<'static, Option<QueuedWriter>> {
    WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Bulk writes: until the guard is finished, atomic writes skip their two fsyncs (each
/// write is still a whole file, renamed into place), lead files are written by a
/// background thread (the file system's work on the other core, while this one checks
/// and serialises the next rows), and the same-phone list's updates are held in memory;
/// [`DeferredSync::finish`] waits for the writer, then appends those updates once and
/// flushes the file system once (`sync -f`), so 100k files cost one flush instead of
/// 200k, and a hundred appends instead of 100k. A file queued is not on disk yet: the
/// caller never reads back, or writes twice, a lead file it wrote in the batch (an import
/// creates each lead once, under a fresh id). Dropped unfinished (a failed import), the
/// writer is still waited for and the held updates are forgotten: the list is rebuilt
/// when next needed, as after a crash.
pub struct DeferredSync {
    ws: Workspace,
    writer: Option<JoinHandle<Result<()>>>,
}

impl DeferredSync {
    pub fn start(ws: &Workspace) -> DeferredSync {
        DEFERRED.store(true, std::sync::atomic::Ordering::Relaxed);
        phone_index::defer(ws);
        let (queue, jobs) = std::sync::mpsc::sync_channel::<Job>(4096);
        let writer = std::thread::Builder::new()
            .name("lead-writer".into())
            .spawn(move || {
                // Every queued file is tried; the first failure is the answer.
                let mut first = Ok(());
                for (path, bytes, mode) in jobs {
                    if first.is_ok() {
                        first = write_now(&path, &bytes, mode);
                    }
                }
                first
            })
            .ok();
        if writer.is_some() {
            *lock_writer() = Some(QueuedWriter { under: ws.leads_dir(), queue });
        }
        DeferredSync { ws: ws.clone(), writer }
    }

    /// Wait until every queued file is written; the first write that failed, if any.
    fn drain(&mut self) -> Result<()> {
        lock_writer().take(); // closes the queue: the writer ends after the last file
        match self.writer.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
        }
    }

    /// Wait for the queued files (the first failed write is the error: nothing more is
    /// done), then start flushing what was written since [`DeferredSync::start`] to disk;
    /// the flush runs while the caller goes on (a commit reads the same files from
    /// memory), and [`Flush::wait`] waits for it.
    pub fn finish(mut self) -> Result<Flush> {
        DEFERRED.store(false, std::sync::atomic::Ordering::Relaxed);
        self.drain()?;
        phone_index::flush(&self.ws)?;
        let child = std::process::Command::new("sync")
            .arg("-f")
            .arg(&self.ws.root)
            .stdin(std::process::Stdio::null())
            .spawn()
            .ok();
        Ok(Flush { child })
    }
}

/// A flush of the file system under way (see [`DeferredSync::finish`]).
pub struct Flush {
    child: Option<std::process::Child>,
}

impl Flush {
    /// Wait until the written files are on disk.
    pub fn wait(mut self) -> Result<()> {
        let synced = self.child.take().and_then(|mut c| c.wait().ok()).is_some_and(|s| s.success());
        if !synced {
            // No coreutils `sync -f`: flush everything.
            std::process::Command::new("sync").status().context("cannot run sync to flush the written files")?;
        }
        Ok(())
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        // Dropped unwaited (the command failed): the flush still finishes, never orphaned.
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

impl Drop for DeferredSync {
    fn drop(&mut self) {
        DEFERRED.store(false, std::sync::atomic::Ordering::Relaxed);
        lock_writer().take();
        if !std::thread::panicking() {
            let _ = self.drain();
        }
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
