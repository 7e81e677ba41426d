//! Atomic writes (temp file beside the target, fsync, rename, fsync the directory) and
//! the entropy new ids are made from.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};

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
        // A leftover from a crash may have other permissions: start afresh.
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Random bytes for new ids, from the OS.
pub fn random_bytes() -> [u8; 16] {
    let mut buf = [0u8; 16];
    if File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in buf.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    buf
}
