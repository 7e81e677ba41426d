//! Git's object database, read and written in-process (SHA-1 repositories): loose objects
//! (zlib, named by the SHA-1 of `type size\0content`) and the packs `git gc` makes
//! (version 2 `.idx`, deltas resolved). What is not found here (an alternate object
//! directory, a promisor remote) answers `None`, and the caller asks git.

use std::collections::HashMap;
use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use super::plain::Writes;

/// A git object name (SHA-1).
pub type Oid = [u8; 20];

/// The kinds of object a repository holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }

    fn from_pack(code: u8) -> Option<Kind> {
        match code {
            1 => Some(Kind::Commit),
            2 => Some(Kind::Tree),
            3 => Some(Kind::Blob),
            4 => Some(Kind::Tag),
            _ => None,
        }
    }

    fn from_name(name: &[u8]) -> Option<Kind> {
        match name {
            b"commit" => Some(Kind::Commit),
            b"tree" => Some(Kind::Tree),
            b"blob" => Some(Kind::Blob),
            b"tag" => Some(Kind::Tag),
            _ => None,
        }
    }
}

pub fn hex(oid: &Oid) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(40);
    for b in oid {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

pub fn parse_hex(text: &str) -> Option<Oid> {
    let text = text.as_bytes();
    if text.len() != 40 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut oid = [0; 20];
    for (i, pair) in text.chunks(2).enumerate() {
        oid[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(oid)
}

/// The name git gives `content` stored as a `kind` object.
pub fn object_id(kind: Kind, content: &[u8]) -> Oid {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(format!("{} {}\0", kind.name(), content.len()).as_bytes());
    sha.update(content);
    sha.digest().bytes()
}

/// An object read: its kind and content, shared.
pub type Object = Arc<(Kind, Vec<u8>)>;

/// Objects read by this process, by name: a name always means the same bytes, whatever
/// the repository, so the hand-edit check and the commit that follows read a tree once.
static READ: Mutex<Option<HashMap<Oid, Object>>> = Mutex::new(None);

/// At most this many bytes are kept in [`READ`].
const READ_LIMIT: usize = 64 << 20;

/// An object directory (`.git/objects`).
pub struct Odb {
    dir: PathBuf,
    /// The packs' index files, listed once.
    packs: std::sync::OnceLock<Vec<PathBuf>>,
}

impl Odb {
    pub fn new(dir: PathBuf) -> Odb {
        Odb { dir, packs: std::sync::OnceLock::new() }
    }

    /// An object's kind and content; `None` when it is neither loose nor in a pack here.
    /// Like git's own reads, the content is not checked against its name (`git fsck` does).
    pub fn read(&self, oid: &Oid) -> Result<Option<Object>> {
        if let Some(found) = READ.lock().ok().and_then(|m| m.as_ref().and_then(|m| m.get(oid).cloned())) {
            return Ok(Some(found));
        }
        let Some(found) = self.read_uncached(oid)? else { return Ok(None) };
        let found = Arc::new(found);
        if let Ok(mut cache) = READ.lock() {
            let cache = cache.get_or_insert_with(HashMap::new);
            if cache.values().map(|o| o.1.len()).sum::<usize>() + found.1.len() > READ_LIMIT {
                cache.clear();
            }
            cache.insert(*oid, Arc::clone(&found));
        }
        Ok(Some(found))
    }

    /// The object, loose or packed. Anything in the way (a pack repacked away meanwhile, a
    /// format not read here, damage) is `None` too: git reads it, or says what is wrong.
    fn read_uncached(&self, oid: &Oid) -> Result<Option<(Kind, Vec<u8>)>> {
        let name = hex(oid);
        let path = self.dir.join(&name[..2]).join(&name[2..]);
        match fs::read(&path) {
            Ok(packed) => return Ok(read_loose(&packed).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Ok(None),
        }
        let packs = self.packs.get_or_init(|| list_packs(&self.dir.join("pack")));
        for idx in packs {
            if let Ok(Some(offset)) = pack_offset(idx, oid) {
                let Ok(pack) = File::open(idx.with_extension("pack")) else { return Ok(None) };
                return Ok(read_packed(&pack, offset, 0, self).ok());
            }
        }
        Ok(None)
    }

    /// Write an object (unless it exists): a temp file, then a rename, never replacing.
    /// `how` gives the new files' and directories' modes, and whether they are synced.
    pub fn write(&self, kind: Kind, content: &[u8], how: &Writes) -> Result<Oid> {
        let oid = object_id(kind, content);
        self.store(kind, content, &oid, how)?;
        Ok(oid)
    }

    /// Write an object whose name is known ([`object_id`]); safe from several threads.
    pub fn store(&self, kind: Kind, content: &[u8], oid: &Oid, how: &Writes) -> Result<()> {
        static WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = hex(oid);
        let dir = self.dir.join(&name[..2]);
        let path = dir.join(&name[2..]);
        if path.exists() {
            // As git does: an old unreachable object about to be used again must not be
            // pruned by a `git gc` running now.
            let _ = File::open(&path).and_then(|f| f.set_modified(std::time::SystemTime::now()));
            return Ok(());
        }
        if !dir.exists() {
            match fs::create_dir(&dir) {
                Ok(()) => how.perm.adjust_dir(&dir)?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
            }
        }
        let packed = deflate(format!("{} {}\0", kind.name(), content.len()).as_bytes(), content)?;
        let n = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!("tmp_obj_handoff_{}_{n}", std::process::id()));
        how.create(&tmp, &packed, Some(0o444))?;
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write the git object {}", path.display()));
        }
        Ok(())
    }
}

/// Objects bigger than this are compressed in two halves at once (a month's tree).
const PARALLEL_ABOVE: usize = 128 << 10;

/// `header` then `content` as one zlib stream, at git's loose-object level (1: fastest).
/// A big object is compressed as two independent halves on two threads: the first ends
/// with a full flush, so the raw deflate streams join into one (as pigz does).
fn deflate(header: &[u8], content: &[u8]) -> Result<Vec<u8>> {
    let raw = if content.len() > PARALLEL_ABOVE {
        let (first, second) = content.split_at(content.len() / 2);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| raw_deflate(&[header, first], false));
            let b = raw_deflate(&[second], true);
            (a.join(), b)
        });
        let mut raw = a.map_err(|_| anyhow::anyhow!("cannot compress a git object"))??;
        raw.extend_from_slice(&b?);
        raw
    } else {
        raw_deflate(&[header, content], true)?
    };
    // The zlib header git's level 1 writes, the deflate stream, the Adler-32 of it all.
    let mut out = Vec::with_capacity(raw.len() + 6);
    out.extend_from_slice(&[0x78, 0x01]);
    out.extend_from_slice(&raw);
    out.extend_from_slice(&adler32(&[header, content]).to_be_bytes());
    Ok(out)
}

/// `parts` as raw deflate data; `last`: ends the stream, else a full flush ends it on a
/// byte boundary with no back-references across it.
fn raw_deflate(parts: &[&[u8]], last: bool) -> Result<Vec<u8>> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    let mut z = CompressorOxide::new(create_comp_flags_from_zip_params(1, -15, 0));
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = vec![0; total + total / 16 + 128];
    let mut at = 0;
    for (i, part) in parts.iter().enumerate() {
        let flush = match (i + 1 == parts.len(), last) {
            (false, _) => TDEFLFlush::None,
            (true, true) => TDEFLFlush::Finish,
            (true, false) => TDEFLFlush::Full,
        };
        let mut input = *part;
        loop {
            if out.len() - at < 1024 {
                out.resize(out.len() * 2, 0);
            }
            let (status, read, written) = compress(&mut z, input, &mut out[at..], flush);
            at += written;
            input = &input[read..];
            let room_left = at < out.len();
            match status {
                TDEFLStatus::Done => break,
                TDEFLStatus::Okay if input.is_empty() && (flush == TDEFLFlush::None || room_left) => break,
                TDEFLStatus::Okay => {}
                _ => bail!("cannot compress a git object"),
            }
        }
    }
    out.truncate(at);
    Ok(out)
}

/// zlib's Adler-32 checksum of `parts`, one after the other.
pub fn adler32(parts: &[&[u8]]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for part in parts {
        // 5552 bytes is the most that cannot overflow `b` before the modulo.
        for chunk in part.chunks(5552) {
            for &x in chunk {
                a += u32::from(x);
                b += a;
            }
            a %= MOD;
            b %= MOD;
        }
    }
    (b << 16) | a
}

fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, limit)
        .map_err(|e| anyhow::anyhow!("bad zlib data ({:?})", e.status))
}

fn read_loose(packed: &[u8]) -> Result<(Kind, Vec<u8>)> {
    let raw = inflate(packed, usize::MAX)?;
    let nul = raw.iter().position(|&b| b == 0).context("no object header")?;
    let (header, content) = (&raw[..nul], &raw[nul + 1..]);
    let sp = header.iter().position(|&b| b == b' ').context("bad object header")?;
    let kind = Kind::from_name(&header[..sp]).context("unknown object type")?;
    let size: usize = std::str::from_utf8(&header[sp + 1..])?.parse()?;
    if size != content.len() {
        bail!("object size {size} but {} bytes", content.len());
    }
    Ok((kind, content.to_vec()))
}

fn list_packs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut idx: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx") && p.with_extension("pack").exists())
        .collect();
    idx.sort();
    idx
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn read_exact_at(file: &File, len: usize, at: u64) -> Result<Vec<u8>> {
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, at)?;
    Ok(buf)
}

/// Where `oid` starts in the pack of the version 2 index `idx`, if it holds it.
fn pack_offset(idx: &Path, oid: &Oid) -> Result<Option<u64>> {
    let file = File::open(idx).with_context(|| format!("cannot open {}", idx.display()))?;
    let head = read_exact_at(&file, 8 + 256 * 4, 0)?;
    if head[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        bail!("{} is not a version 2 pack index", idx.display());
    }
    let fan = |i: usize| u64::from(be32(&head[8 + i * 4..]));
    let first = usize::from(oid[0]);
    let lo = if first == 0 { 0 } else { fan(first - 1) };
    let hi = fan(first);
    let total = fan(255);
    if lo >= hi {
        return Ok(None);
    }
    let names_at = 8 + 256 * 4;
    let names = read_exact_at(&file, usize::try_from((hi - lo) * 20)?, names_at + lo * 20)?;
    let Ok(i) = names.chunks(20).collect::<Vec<_>>().binary_search(&oid.as_slice()) else { return Ok(None) };
    let n = lo + i as u64;
    let offsets_at = names_at + total * 20 + total * 4;
    let small = be32(&read_exact_at(&file, 4, offsets_at + n * 4)?);
    if small & 0x8000_0000 == 0 {
        return Ok(Some(u64::from(small)));
    }
    let large_at = offsets_at + total * 4 + u64::from(small & 0x7fff_ffff) * 8;
    let large = read_exact_at(&file, 8, large_at)?;
    Ok(Some(u64::from_be_bytes(large.try_into().map_err(|_| anyhow::anyhow!("short pack index"))?)))
}

/// Deltas deeper than this are not followed (git's default depth is 50).
const MAX_DELTA_DEPTH: usize = 4096;

/// The object at `offset` of `pack`, its deltas applied.
fn read_packed(pack: &File, offset: u64, depth: usize, odb: &Odb) -> Result<(Kind, Vec<u8>)> {
    if depth > MAX_DELTA_DEPTH {
        bail!("delta chain too deep");
    }
    let head = read_some_at(pack, 32, offset)?;
    let mut at = 0;
    let mut byte = *head.first().context("short pack")?;
    let code = (byte >> 4) & 7;
    let mut size = u64::from(byte & 15);
    let mut shift = 4;
    while byte & 0x80 != 0 {
        at += 1;
        byte = *head.get(at).context("short pack")?;
        size |= u64::from(byte & 0x7f).checked_shl(shift).context("bad pack entry size")?;
        shift += 7;
    }
    at += 1;
    let size = usize::try_from(size)?;
    let base = match code {
        6 => {
            let mut byte = *head.get(at).context("short pack")?;
            let mut back = u64::from(byte & 0x7f);
            while byte & 0x80 != 0 {
                at += 1;
                byte = *head.get(at).context("short pack")?;
                back = ((back + 1) << 7) | u64::from(byte & 0x7f);
            }
            at += 1;
            let base_at = offset.checked_sub(back).context("bad delta base offset")?;
            Some(read_packed(pack, base_at, depth + 1, odb)?)
        }
        7 => {
            let base: Oid = head.get(at..at + 20).context("short pack")?.try_into()?;
            at += 20;
            match odb.read(&base)? {
                Some(found) => Some(found.as_ref().clone()),
                None => bail!("delta base {} not found", hex(&base)),
            }
        }
        _ => None,
    };
    // zlib adds a few bytes per 16 KB block at worst: read enough for the whole stream.
    let window = size + size / 64 + 1024;
    let data = read_some_at(pack, window, offset + at as u64)?;
    let body = inflate(&data, size)?;
    if body.len() != size {
        bail!("pack entry is {} bytes, header says {size}", body.len());
    }
    match base {
        None => Ok((Kind::from_pack(code).context("unknown pack entry type")?, body)),
        Some((kind, base)) => Ok((kind, apply_delta(&base, &body)?)),
    }
}

/// Up to `len` bytes at `at` (fewer at the end of the file).
fn read_some_at(file: &File, len: usize, at: u64) -> Result<Vec<u8>> {
    let mut buf = vec![0; len];
    let mut got = 0;
    while got < len {
        let n = file.read_at(&mut buf[got..], at + got as u64)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    buf.truncate(got);
    Ok(buf)
}

fn delta_size(delta: &[u8], at: &mut usize) -> Result<usize> {
    let mut size = 0usize;
    let mut shift = 0u32;
    loop {
        let byte = *delta.get(*at).context("short delta")?;
        *at += 1;
        size |= usize::from(byte & 0x7f).checked_shl(shift).context("bad delta size")?;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(size);
        }
    }
}

fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>> {
    let mut at = 0;
    if delta_size(delta, &mut at)? != base.len() {
        bail!("delta base size mismatch");
    }
    let size = delta_size(delta, &mut at)?;
    let mut out = Vec::with_capacity(size);
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut len = 0usize;
            for i in 0..4 {
                if op & (1 << i) != 0 {
                    offset |= usize::from(*delta.get(at).context("short delta")?) << (8 * i);
                    at += 1;
                }
            }
            for i in 0..3 {
                if op & (0x10 << i) != 0 {
                    len |= usize::from(*delta.get(at).context("short delta")?) << (8 * i);
                    at += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            out.extend_from_slice(base.get(offset..offset + len).context("delta copies past its base")?);
        } else if op != 0 {
            let len = usize::from(op);
            out.extend_from_slice(delta.get(at..at + len).context("short delta")?);
            at += len;
        } else {
            bail!("reserved delta instruction");
        }
    }
    if out.len() != size {
        bail!("delta result size mismatch");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_git_names() {
        // `git hash-object --stdin <<< hello` and the empty tree.
        assert_eq!(hex(&object_id(Kind::Blob, b"hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(hex(&object_id(Kind::Tree, b"")), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
        let oid = object_id(Kind::Blob, b"x");
        assert_eq!(parse_hex(&hex(&oid)), Some(oid));
        assert_eq!(parse_hex("zz"), None);
    }

    #[test]
    fn objects_are_deflated_as_one_stream() {
        let small = b"tree contents ".repeat(5000);
        let packed = deflate(b"tree 70000\0", &small).unwrap();
        // As zlib's own level 1 writes it, header and checksum included.
        let mut whole = b"tree 70000\0".to_vec();
        whole.extend_from_slice(&small);
        assert_eq!(packed, miniz_oxide::deflate::compress_to_vec_zlib(&whole, 1));
        assert_eq!(read_loose(&deflate(b"blob 2\0", b"hi").unwrap()).unwrap(), (Kind::Blob, b"hi".to_vec()));
        // A big one, in two halves: one stream all the same.
        let mut big = Vec::new();
        for i in 0u32..40_000 {
            big.extend_from_slice(format!("100644 lead-{i}.yaml\0").as_bytes());
            big.extend_from_slice(&object_id(Kind::Blob, &i.to_be_bytes()));
        }
        assert!(big.len() > PARALLEL_ABOVE);
        let header = format!("tree {}\0", big.len());
        let packed = deflate(header.as_bytes(), &big).unwrap();
        assert_eq!(read_loose(&packed).unwrap(), (Kind::Tree, big.clone()));
        assert!(packed.len() < big.len(), "compressed");
    }

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        crate::git::test_git(dir, args)
    }

    #[test]
    fn packed_objects_and_their_deltas_read_as_git_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        let mut commits = Vec::new();
        for round in 0..12 {
            for i in 0..60 {
                let text = if i % 12 == round { format!("lead {i} round {round}\n") } else { format!("lead {i}\n") };
                fs::create_dir_all(dir.join("leads")).unwrap();
                fs::write(dir.join(format!("leads/{i:02}.yaml")), text).unwrap();
            }
            git(dir, &["add", "."]);
            git(dir, &["commit", "-qm", &format!("round {round}")]);
            commits.push(String::from_utf8(git(dir, &["rev-parse", "HEAD"])).unwrap().trim().to_owned());
        }
        git(dir, &["repack", "-adfq", "--depth=50", "--window=50"]);
        git(dir, &["prune-packed"]);
        let odb = Odb::new(dir.join(".git/objects"));
        for c in &commits {
            for spec in [c.clone(), format!("{c}^{{tree}}"), format!("{c}:leads")] {
                let oid = parse_hex(String::from_utf8(git(dir, &["rev-parse", &spec])).unwrap().trim()).unwrap();
                let kind = String::from_utf8(git(dir, &["cat-file", "-t", &hex(&oid)])).unwrap();
                let content = git(dir, &["cat-file", kind.trim(), &hex(&oid)]);
                let found = odb.read(&oid).unwrap().expect("found in the pack");
                assert_eq!((found.0.name(), &found.1), (kind.trim(), &content), "{spec}");
            }
        }
        // The trees of a dozen like commits are stored as deltas: those were resolved.
        let idx = fs::read_dir(dir.join(".git/objects/pack"))
            .unwrap()
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "idx"))
            .unwrap()
            .path();
        let listing = String::from_utf8(git(dir, &["verify-pack", "-v", idx.to_str().unwrap()])).unwrap();
        let deltas = listing.lines().filter(|l| l.contains(" tree ") && l.split_whitespace().count() > 5).count();
        assert!(deltas > 0, "no tree was stored as a delta:\n{listing}");
    }

    #[test]
    fn deltas_copy_and_insert() {
        let base = b"0123456789";
        // base size 10, result size 7: copy 4 bytes from offset 2, insert "xyz".
        let delta = [10, 7, 0x80 | 0x01 | 0x10, 2, 4, 3, b'x', b'y', b'z'];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"2345xyz");
        assert!(apply_delta(b"short", &delta).is_err());
    }
}
