//! The shared part of a split index (`.git/sharedindex.<sha1>`: the whole index, ~100 bytes
//! a lead), mapped and walked entry by entry, and summarized once per shared part in
//! `.git/handoff/shared-<sha1>`: where every 256th entry starts and the newest mtime of
//! any entry. With the summary, a commit finds its few paths by looking at a few pages
//! instead of walking 10 MB (100 MB at a million leads). A shared part never changes (git
//! writes a new one under a new name), so neither does its summary; one that does not
//! check out is ignored and written again.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::index::{Layout, SIGNATURE};
use super::objects::{Oid, hex};
use super::plain::Writes;

/// One sample every this many entries.
const SAMPLE_EVERY: usize = 256;
const SUMMARY_MAGIC: &[u8; 8] = b"HOSIDX01";

/// A mapped shared index.
pub struct Shared {
    map: Mapped,
    pub count: usize,
}

/// One entry as stored: its position, where it starts, its path and its bytes (from its
/// start to the end of the entries).
pub struct Raw<'a> {
    pub pos: usize,
    pub offset: usize,
    pub name: &'a [u8],
    pub bytes: &'a [u8],
}

impl Raw<'_> {
    pub fn mtime_sec(&self) -> u32 {
        u32::from_be_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }
}

impl Shared {
    /// The shared index `base` of `git_dir`; `None` when missing or not version 2 or 3.
    pub fn open(git_dir: &Path, base: &Oid) -> Result<Option<Shared>> {
        let path = git_dir.join(format!("sharedindex.{}", hex(base)));
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // Mapped, not read: only the pages holding the wanted entries are touched.
        let map = Mapped::new(&file).with_context(|| format!("cannot read {}", path.display()))?;
        let data = map.bytes();
        if data.len() < 12 + 20 || data[..4] != *SIGNATURE || data[data.len() - 20..] != *base {
            return Ok(None);
        }
        let version = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
        if !(version == 2 || version == 3) {
            return Ok(None);
        }
        let count = u32::from_be_bytes([data[8], data[9], data[10], data[11]]) as usize;
        Ok(Some(Shared { map, count }))
    }

    fn entries(&self) -> &[u8] {
        let data = self.map.bytes();
        &data[..data.len() - 20]
    }

    /// The entries from position `pos`, which starts at `offset`.
    pub fn walk_from(&self, pos: usize, offset: usize) -> Walk<'_> {
        Walk { entries: self.entries(), pos, at: offset, count: self.count }
    }

    /// Every entry.
    pub fn walk(&self) -> Walk<'_> {
        self.walk_from(0, 12)
    }

    /// The summary kept for this shared index, if there is one that checks out.
    pub fn summary(&self, git_dir: &Path, base: &Oid) -> Option<Summary> {
        let bytes = std::fs::read(summary_path(git_dir, base)).ok()?;
        let summary = Summary::decode(&bytes, base, self.map.bytes().len(), self.count)?;
        // Each sample must be the entry it says, where it says.
        let sound = summary
            .samples
            .iter()
            .all(|s| self.walk_from(s.pos, s.offset).next().and_then(Result::ok).is_some_and(|e| e.name == s.name));
        sound.then_some(summary)
    }

    /// Keep `summary` for this shared index (and drop those of older ones). Best effort:
    /// without it, the next commit walks the whole shared index again.
    pub fn keep(&self, git_dir: &Path, base: &Oid, summary: &Summary, how: &Writes) {
        let dir = git_dir.join("handoff");
        if !dir.exists() && std::fs::create_dir(&dir).is_ok() {
            let _ = how.perm.adjust_dir(&dir);
        }
        if let Ok(old) = std::fs::read_dir(&dir) {
            for e in old.flatten() {
                if e.file_name().to_string_lossy().starts_with("shared-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let path = summary_path(git_dir, base);
        let tmp = dir.join(format!(".tmp-{}", std::process::id()));
        let bytes = summary.encode(base, self.map.bytes().len(), self.count);
        if how.create(&tmp, &bytes, None).is_err() || std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

fn summary_path(git_dir: &Path, base: &Oid) -> PathBuf {
    git_dir.join("handoff").join(format!("shared-{}", hex(base)))
}

/// Entries one after the other.
pub struct Walk<'a> {
    entries: &'a [u8],
    pos: usize,
    at: usize,
    count: usize,
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<Raw<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.count {
            return None;
        }
        let raw = (|| {
            let rest = self.entries.get(self.at..).context("shared index cut short")?;
            let Layout { name_at, name_len, size, .. } = Layout::of(rest).context("bad shared index")?;
            let raw = Raw { pos: self.pos, offset: self.at, name: &rest[name_at..name_at + name_len], bytes: rest };
            self.at += size;
            self.pos += 1;
            Ok(raw)
        })();
        if raw.is_err() {
            self.pos = self.count;
        }
        Some(raw)
    }
}

/// Where some entries of a shared index start, and the newest mtime of all its entries.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    pub max_mtime: u32,
    samples: Vec<Sample>,
}

#[derive(Debug, PartialEq)]
struct Sample {
    pos: usize,
    offset: usize,
    name: Vec<u8>,
}

impl Summary {
    /// Take note of an entry, walking the shared index in order.
    pub fn note(&mut self, e: &Raw) {
        self.max_mtime = self.max_mtime.max(e.mtime_sec());
        if e.pos.is_multiple_of(SAMPLE_EVERY) {
            self.samples.push(Sample { pos: e.pos, offset: e.offset, name: e.name.to_vec() });
        }
    }

    /// Where to start walking to find `name`: the last sample before it.
    pub fn start_for_name(&self, name: &[u8]) -> (usize, usize) {
        let i = self.samples.partition_point(|s| s.name.as_slice() < name);
        self.start(i)
    }

    /// Where to start walking to reach position `pos`.
    pub fn start_for_pos(&self, pos: usize) -> (usize, usize) {
        self.start(self.samples.partition_point(|s| s.pos <= pos))
    }

    fn start(&self, after: usize) -> (usize, usize) {
        match after.checked_sub(1).and_then(|i| self.samples.get(i)) {
            Some(s) => (s.pos, s.offset),
            None => (0, 12),
        }
    }

    fn encode(&self, base: &Oid, len: usize, count: usize) -> Vec<u8> {
        let mut out = SUMMARY_MAGIC.to_vec();
        out.extend_from_slice(base);
        out.extend_from_slice(&(len as u64).to_be_bytes());
        out.extend_from_slice(&(count as u64).to_be_bytes());
        out.extend_from_slice(&self.max_mtime.to_be_bytes());
        out.extend_from_slice(&(self.samples.len() as u64).to_be_bytes());
        for s in &self.samples {
            out.extend_from_slice(&(s.pos as u64).to_be_bytes());
            out.extend_from_slice(&(s.offset as u64).to_be_bytes());
            out.extend_from_slice(&(s.name.len() as u32).to_be_bytes());
            out.extend_from_slice(&s.name);
        }
        let sum = sha1_smol::Sha1::from(&out).digest().bytes();
        out.extend_from_slice(&sum);
        out
    }

    fn decode(bytes: &[u8], base: &Oid, len: usize, count: usize) -> Option<Summary> {
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(20)?)?;
        if sha1_smol::Sha1::from(body).digest().bytes() != sum {
            return None;
        }
        let mut at = 0;
        let mut take = |n: usize| -> Option<&[u8]> {
            let s = body.get(at..at + n)?;
            at += n;
            Some(s)
        };
        let u64_at = |b: &[u8]| usize::try_from(u64::from_be_bytes(b.try_into().ok()?)).ok();
        if take(8)? != SUMMARY_MAGIC || take(20)? != base || u64_at(take(8)?)? != len || u64_at(take(8)?)? != count {
            return None;
        }
        let max_mtime = u32::from_be_bytes(take(4)?.try_into().ok()?);
        let n = u64_at(take(8)?)?;
        let mut samples = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let pos = u64_at(take(8)?)?;
            let offset = u64_at(take(8)?)?;
            let name_len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
            samples.push(Sample { pos, offset, name: take(name_len)?.to_vec() });
        }
        let sorted = samples.windows(2).all(|w| w[0].pos < w[1].pos && w[0].name <= w[1].name);
        (sorted && at == body.len()).then_some(Summary { max_mtime, samples })
    }
}

/// A file mapped read-only into memory.
struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapped {
    fn new(file: &File) -> std::io::Result<Mapped> {
        use std::os::fd::AsRawFd;
        let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        if len == 0 {
            return Ok(Mapped { ptr: std::ptr::null_mut(), len: 0 });
        }
        // SAFETY: a fresh private read-only mapping of an open file, unmapped on drop; the
        // bytes are only read through `bytes()`, whose lifetime is the mapping's.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapped { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmapping the mapping made in `new`, once.
            unsafe {
                libc::munmap(self.ptr, self.len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_back_and_a_damaged_one_is_refused() {
        let mut summary = Summary::default();
        let names: Vec<Vec<u8>> = (0..1000).map(|i| format!("leads/{i:04}.yaml").into_bytes()).collect();
        let mut offset = 12;
        for (pos, name) in names.iter().enumerate() {
            let mut bytes = vec![0; 64];
            bytes[8..12].copy_from_slice(&(pos as u32).to_be_bytes());
            summary.note(&Raw { pos, offset, name, bytes: &bytes });
            offset += 104;
        }
        assert_eq!(summary.max_mtime, 999);
        assert_eq!(summary.samples.len(), 4);
        let base = [7; 20];
        let bytes = summary.encode(&base, 5000, 1000);
        assert_eq!(Summary::decode(&bytes, &base, 5000, 1000).as_ref(), Some(&summary));
        assert_eq!(Summary::decode(&bytes, &[8; 20], 5000, 1000), None, "another shared index");
        assert_eq!(Summary::decode(&bytes, &base, 5001, 1000), None);
        let mut damaged = bytes.clone();
        damaged[40] ^= 1;
        assert_eq!(Summary::decode(&damaged, &base, 5000, 1000), None);
        assert_eq!(summary.start_for_name(b"leads/0300.yaml"), (256, 12 + 256 * 104));
        assert_eq!(summary.start_for_name(b"leads/0256.yaml"), (0, 12), "the sample itself is walked to");
        assert_eq!(summary.start_for_name(b"a"), (0, 12));
        assert_eq!(summary.start_for_pos(768), (768, 12 + 768 * 104));
        assert_eq!(summary.start_for_pos(767), (512, 12 + 512 * 104));
    }
}
