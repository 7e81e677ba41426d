//! The scan index, like git's own index: for every lead file its size, modification and
//! change times and inode, with what scans decide on (status, owner, urgency, phone, the
//! escalation clocks' start times, the next action's due time, the last event). A scan
//! stats every file and re-reads only those whose stat changed (or that are new), so a
//! hand edit, a `git pull` or a deleted file is always seen, and a year of closed leads
//! costs a `stat` each instead of an open, a read and a parse. For each open lead it also
//! keeps the lead's [`crate::escalation::brief`] (the record without its long text, and
//! the events the escalation clocks read): escalate-check and `list` use it instead of
//! the file while the stat holds. A file the fast reader once took as the writer's own
//! bytes is marked `canonical`, and re-parsed without the byte-for-byte check while its
//! stat holds.
//!
//! `.handoff/index` is local state, never committed: a compact binary file (fixed-width
//! numbers, length-prefixed text) in blocks of about 256 KB, each with its own checksum,
//! written atomically after a scan that found changes. A scan streams it a block at a time
//! beside the listing, so memory never holds every lead's summary. A missing, foreign or
//! corrupt index (or block) is rebuilt from the files; an unwritable one only costs speed. Entries whose file changed within [`RACY_NS`] of the
//! index's own write are re-read (git's "racily clean" rule: a second edit in the same
//! clock tick keeps size and times).

use std::fs::{self, File, Metadata};
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use super::Workspace;
use super::scan::{LeadFile, read_into};
use crate::lead::{EventKind, Lead, Status};
use crate::phone;

const FILE: &str = "index";
/// The version: 05 since briefs are binary ([`super::brief`]; 04's were JSON, and 03's
/// left out events that move a lead's state).
const MAGIC: &[u8; 8] = b"HOIDX05\n";
/// A file changed this close to the index's write may have changed again unseen.
const RACY_NS: i64 = 2_000_000_000;
/// Stands for "none" in the time fields.
const NONE: i64 = i64::MIN;

/// What `stat` says of a file: enough to tell that it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
}

impl Stat {
    /// The same fields as [`Stat::of`], from libc's `stat` (the listing's own lstat).
    pub fn of_raw(st: &libc::stat64) -> Stat {
        Stat {
            size: st.st_size as u64,
            mtime_ns: st.st_mtime.saturating_mul(1_000_000_000).saturating_add(st.st_mtime_nsec),
            ctime_ns: st.st_ctime.saturating_mul(1_000_000_000).saturating_add(st.st_ctime_nsec),
            ino: st.st_ino,
        }
    }

    pub fn of(meta: &Metadata) -> Stat {
        Stat {
            size: meta.size(),
            mtime_ns: meta.mtime().saturating_mul(1_000_000_000).saturating_add(meta.mtime_nsec()),
            ctime_ns: meta.ctime().saturating_mul(1_000_000_000).saturating_add(meta.ctime_nsec()),
            ino: meta.ino(),
        }
    }
}

/// What scans decide on, taken from a lead as last read. Times are Unix seconds, rounded
/// down; `None` where the lead has no such time.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub status: Status,
    pub owner: Option<String>,
    pub urgency: Option<String>,
    /// The primary phone's digits (the same-phone index).
    pub phone: Option<String>,
    pub created_at: i64,
    /// The latest event's time (a report for a past day skips closed leads quiet since).
    pub last_event_at: i64,
    pub next_action_due: Option<i64>,
    /// The escalation clocks' start times (see `escalation`): capture (or the last
    /// rejection or transfer), the last assignment, the last movement.
    pub capture_clock: i64,
    pub assignment_clock: Option<i64>,
    pub movement_clock: i64,
    /// How many escalations the history records.
    pub escalations: u32,
    /// The file was the writer's own bytes when read (the fast reader took it, checked
    /// byte for byte): while its stat stays the same, scans parse it without the check.
    pub canonical: bool,
    /// An open lead's [`crate::escalation::brief`], encoded ([`super::brief`]): what escalate-check and `list`
    /// read instead of the file while its stat stays the same.
    pub brief: Option<Vec<u8>>,
}

impl Summary {
    pub fn of(lead: &Lead) -> Summary {
        let secs = |s: &crate::clock::Stamp| s.timestamp().as_second();
        let created = secs(&lead.created_at);
        let last_of =
            |kinds: &[EventKind]| lead.history.iter().rev().find(|e| kinds.contains(&e.event)).map(|e| secs(&e.at));
        Summary {
            status: lead.status,
            owner: lead.owner.clone(),
            urgency: lead.urgency.clone(),
            phone: lead.primary_phone.as_deref().map(phone::digits),
            created_at: created,
            last_event_at: lead.history.iter().map(|e| secs(&e.at)).max().unwrap_or(created),
            next_action_due: lead.next_action_due.as_ref().map(secs),
            capture_clock: last_of(&[EventKind::Rejected, EventKind::Transferred]).unwrap_or(created),
            assignment_clock: last_of(&[EventKind::Assigned, EventKind::Transferred]),
            movement_clock: lead.last_movement().map_or(created, |e| secs(&e.at)),
            escalations: lead.history.iter().filter(|e| e.event == EventKind::Escalated).count() as u32,
            canonical: false,
            brief: (lead.status != Status::Closed).then(|| super::brief::encode(lead)),
        }
    }
}

/// What the index knows of one file.
#[derive(Clone, Debug, PartialEq)]
pub enum Known {
    Lead(Summary),
    /// The file could not be read as a lead: why (reported by every scan until it changes).
    Bad(String),
}

/// One file of the index: its path under `leads/`, its stat, what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub stat: Stat,
    pub known: Known,
}

/// How a listed file sorts against an index entry named `name`: by file name (the id, so
/// capture date), then by the path under `leads/`, as the index is ordered.
fn index_order(file: &LeadFile, name: &[u8]) -> std::cmp::Ordering {
    let file_name = name.rsplit(|b| *b == b'/').next().unwrap_or(name);
    file.name().cmp(file_name).then_with(|| file.relative().cmp(name.iter()))
}

/// Whether an index entry named `name` is the listed file's.
fn is_named(file: &LeadFile, name: &[u8]) -> bool {
    file.relative().eq(name.iter())
}

impl Workspace {
    fn index_path(&self) -> PathBuf {
        self.state_dir().join(FILE)
    }

    /// Every lead file with what it holds, checked against the files: stat every file,
    /// re-read the changed and new ones, forget the deleted ones, save if anything changed.
    /// In file name order, like [`Workspace::lead_files`].
    pub fn indexed_files(&self) -> Result<Vec<(LeadFile, Known)>> {
        self.scan_indexed(|file, known, _, _| Some((file.clone(), known.clone())))
    }

    /// Every lead file, checked against the index as [`Workspace::indexed_files`] does, handed
    /// to `visit` with what it holds and whether it is `trusted` (its stat is the one the
    /// index recorded, and it was then the writer's own bytes, see [`Summary::canonical`]: a
    /// scan may parse it without the byte-for-byte check). What `visit` returns is kept, in
    /// file name order.
    ///
    /// The index is streamed, never held whole: it is read a block at a time (each block
    /// checked on its own) and paired with the listing as it comes in; 512 files at a time
    /// go to the worker threads, which read the changed or new ones and run `visit`. So
    /// memory holds the listing, what `visit` keeps, a few blocks and what changed (every
    /// lead only when the index is built anew), not every lead's summary. When anything
    /// changed, the new index is written in a second pass over the old one (the same open
    /// file), taking the entries that changed from this scan.
    pub fn scan_indexed<T: Send>(
        &self,
        visit: impl Fn(&LeadFile, &Known, bool, &mut Vec<u8>) -> Option<T> + Sync,
    ) -> Result<Vec<T>> {
        let files = self.lead_files_stat()?;
        self.remember_listing(&files);
        let (old, written_ns, again) = self.open_index();
        // A racily clean entry read again and found unchanged is settled by writing the
        // index again once its file is older than the racy window (as `git status` does):
        // else every later scan reads it again, until some other file changes. The clock is
        // the machine's, as file times are (never `--now`).
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let settled_before = now_ns.saturating_sub(RACY_NS);
        let holds = |prev: &Raw, file: &LeadFile| {
            Some(prev.stat) == file.stat && prev.stat.mtime_ns.saturating_add(RACY_NS) < written_ns
        };
        let mut forgotten = false;
        let chunks = super::scan::par_pipeline(
            |send| {
                let mut old = old.peekable();
                let mut chunk = Vec::with_capacity(CHUNK);
                for (at, file) in files.iter().enumerate() {
                    while old.next_if(|e| index_order(file, e.name()).is_gt()).is_some() {
                        forgotten = true;
                    }
                    chunk.push((at, old.next_if(|e| is_named(file, e.name()))));
                    if chunk.len() == CHUNK {
                        send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                    }
                }
                forgotten |= old.next().is_some();
                if !chunk.is_empty() {
                    send(chunk);
                }
            },
            |chunk: Vec<(usize, Option<Raw>)>, buf| {
                let mut kept = Vec::new();
                let mut changes = Vec::new();
                for (at, previous) in chunk {
                    let file = &files[at];
                    // A file that could not be read is read again every time: the reason may
                    // have passed (a full file table, a read error) with its stat unchanged.
                    let unchanged = previous
                        .as_ref()
                        .filter(|p| holds(p, file))
                        .and_then(Raw::known)
                        .filter(|k| matches!(k, Known::Lead(_)));
                    let (known, trusted) = match unchanged {
                        Some(known) => {
                            let trusted = matches!(&known, Known::Lead(s) if s.canonical);
                            (known, trusted)
                        }
                        None => {
                            // The stat taken before reading is the one recorded: a change
                            // made while the file is read shows as a changed stat next time.
                            let known = match read_into(file, buf)
                                .and_then(|text| self.parse_file_kind(&file.path(), text, false))
                            {
                                Ok((lead, canonical)) => Known::Lead(Summary { canonical, ..Summary::of(&lead) }),
                                Err(e) => Known::Bad(format!("{e:#}")),
                            };
                            let stat = file.stat;
                            let settled = stat.is_some_and(|s| s.mtime_ns < settled_before);
                            let changed = previous.as_ref().is_none_or(|p| {
                                let was_racy = p.stat.mtime_ns.saturating_add(RACY_NS) >= written_ns;
                                Some(p.stat) != stat
                                    || p.known().as_ref() != Some(&known)
                                    || stat.is_none()
                                    || (settled && was_racy)
                            });
                            // A file without a stat (a link where a month should be, a file
                            // gone since the listing) is never saved: it changes the index
                            // only when it had an entry to drop.
                            if changed && (stat.is_some() || previous.is_some()) {
                                changes.push((at, known.clone()));
                            }
                            (known, false)
                        }
                    };
                    kept.extend(visit(file, &known, trusted, buf));
                }
                (kept, changes)
            },
        );
        let mut kept = Vec::new();
        let mut changes = Vec::new();
        for (mut k, mut c) in chunks {
            kept.append(&mut k);
            changes.append(&mut c);
        }
        if forgotten || !changes.is_empty() {
            // A cache: if it cannot be written, the next scan reads the files again.
            let _ = self.rewrite_index(&files, changes, again);
        }
        Ok(kept)
    }

    /// Write the index for `files` (the listing, in index order): each file's entry from
    /// `changes` (by its place in `files`) when this scan changed it, else the entry of the
    /// index this scan read (`old`, the same open file even if another scan has renamed a
    /// new one in since: its entries are the ones this scan judged) if its stat still holds.
    fn rewrite_index(&self, files: &[LeadFile], changes: Vec<(usize, Known)>, old: Option<File>) -> Result<()> {
        use std::io::{Seek, SeekFrom};
        let old = match old {
            Some(f) if (&f).seek(SeekFrom::Start(0)).is_ok() => Entries::new(BufReader::with_capacity(1 << 16, f)),
            _ => Entries::empty(),
        };
        let mut name = Vec::new();
        let mut old = old.peekable();
        let mut changes = changes.into_iter().peekable();
        self.save_index(|out| {
            for (at, file) in files.iter().enumerate() {
                let change = changes.next_if(|(c, _)| *c == at);
                let Some(stat) = file.stat else { continue };
                while old.next_if(|e| index_order(file, e.name()).is_gt()).is_some() {}
                let previous = old.next_if(|e| is_named(file, e.name()));
                if let Some((_, known)) = change {
                    name.clear();
                    name.extend(file.relative());
                    out.push(&name, stat, &known)?;
                } else if let Some(prev) = previous.filter(|p| p.stat == stat) {
                    out.push_raw(&prev)?;
                }
            }
            Ok(())
        })
    }

    /// The saved entries, read a block at a time, and when they were written (ns); no
    /// entries when the index is missing or not of this version. Also a second handle on
    /// the same open file, for [`Workspace::rewrite_index`] to read it again.
    fn open_index(&self) -> (Entries<BufReader<File>>, i64, Option<File>) {
        let empty = || (Entries::empty(), 0, None);
        let Ok(file) = File::open(self.index_path()) else { return empty() };
        let Ok(meta) = file.metadata() else { return empty() };
        let again = file.try_clone().ok();
        (Entries::new(BufReader::with_capacity(1 << 16, file)), Stat::of(&meta).mtime_ns, again)
    }

    /// Write a new index: `fill` pushes the entries, in index order.
    fn save_index(&self, fill: impl FnOnce(&mut Encoder<&mut File>) -> std::io::Result<()>) -> Result<()> {
        fs::create_dir_all(self.state_dir())?;
        // Scans run without the lock: each writes its own temp file; the last rename wins,
        // and every version is whole.
        let tmp = self.state_dir().join(format!(".{FILE}.{}.tmp", std::process::id()));
        // Owner-only, like the lead files: it holds customers' phone numbers.
        let result = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(super::LEAD_FILE_MODE)
            .open(&tmp)
            .and_then(|mut f| {
                let mut out = Encoder::new(&mut f)?;
                fill(&mut out)?;
                out.finish()
            })
            .and_then(|()| fs::rename(&tmp, self.index_path()));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(result?)
    }
}

/// How many listed files go to a worker at a time.
const CHUNK: usize = 512;
/// An index block is written once its entries pass this many bytes.
const BLOCK_BYTES: usize = 256 * 1024;

/// Writes an index: the magic, then blocks of entries, each `count (u32) | length (u32) |
/// entries | checksum (u64)` of its own, then an end block (count 0) holding the number of
/// entries. Each block is checked on its own when read, so an index is used as it streams
/// in: a damaged or missing block ends it there, and the files after are read again.
struct Encoder<W: Write> {
    out: W,
    block: Vec<u8>,
    in_block: u32,
    total: u64,
}

impl<W: Write> Encoder<W> {
    fn new(mut out: W) -> std::io::Result<Encoder<W>> {
        out.write_all(MAGIC)?;
        Ok(Encoder { out, block: Vec::with_capacity(BLOCK_BYTES + 4096), in_block: 0, total: 0 })
    }

    fn push(&mut self, name: &[u8], stat: Stat, known: &Known) -> std::io::Result<()> {
        if self.block.is_empty() {
            self.block.extend_from_slice(&[0; 8]);
        }
        encode_entry(&mut self.block, name, stat, known);
        self.in_block += 1;
        self.total += 1;
        if self.block.len() >= BLOCK_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    /// An entry of an old index, copied as it is.
    fn push_raw(&mut self, raw: &Raw) -> std::io::Result<()> {
        if self.block.is_empty() {
            self.block.extend_from_slice(&[0; 8]);
        }
        self.block.extend_from_slice(raw.bytes());
        self.in_block += 1;
        self.total += 1;
        if self.block.len() >= BLOCK_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> std::io::Result<()> {
        if self.in_block == 0 {
            return Ok(());
        }
        let len = u32::try_from(self.block.len() - 8).map_err(std::io::Error::other)?;
        self.block[..4].copy_from_slice(&self.in_block.to_le_bytes());
        self.block[4..8].copy_from_slice(&len.to_le_bytes());
        let sum = checksum(&self.block);
        self.block.extend_from_slice(&sum.to_le_bytes());
        self.out.write_all(&self.block)?;
        self.block.clear();
        self.in_block = 0;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.flush_block()?;
        let mut end = Vec::with_capacity(24);
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&8u32.to_le_bytes());
        end.extend_from_slice(&self.total.to_le_bytes());
        let sum = checksum(&end);
        end.extend_from_slice(&sum.to_le_bytes());
        self.out.write_all(&end)?;
        self.out.flush()
    }
}

fn encode_entry(out: &mut Vec<u8>, name: &[u8], stat: Stat, known: &Known) {
    put_bytes(out, name);
    for n in [stat.size as i64, stat.mtime_ns, stat.ctime_ns, stat.ino as i64] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    match known {
        Known::Bad(message) => {
            out.push(0);
            put_text(out, message);
        }
        Known::Lead(s) => {
            out.push(1 + Status::ALL.iter().position(|st| *st == s.status).unwrap_or(0) as u8);
            out.push(u8::from(s.canonical));
            for n in [
                s.created_at,
                s.last_event_at,
                s.next_action_due.unwrap_or(NONE),
                s.capture_clock,
                s.assignment_clock.unwrap_or(NONE),
                s.movement_clock,
                i64::from(s.escalations),
            ] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            for text in [s.owner.as_deref(), s.urgency.as_deref(), s.phone.as_deref()] {
                put_opt(out, text.map(str::as_bytes));
            }
            put_opt(out, s.brief.as_deref());
        }
    }
}

fn put_opt(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) if b.len() < u32::MAX as usize => {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        _ => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min(u32::MAX as usize - 1)];
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// One entry of a saved index, as read: its bytes in their block, not decoded yet (the
/// name and stat are, for pairing with the listing). [`Raw::known`] decodes the rest, on
/// the worker thread that needs it; closed leads a scan skips are never decoded.
pub struct Raw {
    block: Arc<Vec<u8>>,
    start: usize,
    name_end: usize,
    end: usize,
    stat: Stat,
}

impl Raw {
    /// The path under `leads/`, as bytes.
    fn name(&self) -> &[u8] {
        &self.block[self.start + 4..self.name_end]
    }

    /// What the file held; `None` if the entry does not decode (the file is read again).
    fn known(&self) -> Option<Known> {
        let mut r = Cursor { bytes: &self.block[..self.end], at: self.name_end + 32 };
        r.known().filter(|_| r.at == self.end)
    }

    /// The entry's bytes, to copy into a new index as they are.
    fn bytes(&self) -> &[u8] {
        &self.block[self.start..self.end]
    }

    #[cfg(test)]
    fn entry(&self) -> Option<Entry> {
        Some(Entry { name: String::from_utf8(self.name().to_vec()).ok()?, stat: self.stat, known: self.known()? })
    }
}

/// The entries of an index, read a block at a time as they are asked for. A block that is
/// damaged, cut short or not of this version ends them (quietly: the index is a cache, and
/// the files it no longer covers are read again).
struct Entries<R: Read> {
    source: Option<R>,
    block: Arc<Vec<u8>>,
    /// Where the next entry starts in `block`, and how many are left in it.
    at: usize,
    left: u32,
    /// Entries yielded so far, checked against the end block's count.
    seen: u64,
    /// The end block was reached, and its count matched.
    complete: bool,
}

impl<R: Read> Entries<R> {
    fn new(mut source: R) -> Entries<R> {
        let mut magic = [0u8; MAGIC.len()];
        let ok = source.read_exact(&mut magic).is_ok() && &magic == MAGIC;
        Entries { source: ok.then_some(source), ..Entries::empty() }
    }

    fn empty() -> Entries<R> {
        Entries { source: None, block: Arc::new(Vec::new()), at: 0, left: 0, seen: 0, complete: false }
    }

    /// Read the next block (checked); false at the end or at damage (and from then on).
    fn next_block(&mut self) -> bool {
        let read = self.read_block();
        if !read {
            self.source = None;
        }
        read
    }

    fn read_block(&mut self) -> bool {
        let Some(source) = self.source.as_mut() else { return false };
        let mut head = [0u8; 8];
        if source.read_exact(&mut head).is_err() {
            return false;
        }
        let count = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        // Never more than a block's worth at once, whatever a damaged length says.
        if len > 64 * BLOCK_BYTES {
            return false;
        }
        let mut block = Vec::with_capacity(8 + len + 8);
        block.extend_from_slice(&head);
        block.resize(8 + len + 8, 0);
        if source.read_exact(&mut block[8..]).is_err() {
            return false;
        }
        let (body, sum) = block.split_at(8 + len);
        if checksum(body).to_le_bytes() != sum {
            return false;
        }
        if count == 0 {
            // The end: the number of entries written, then nothing more.
            let total = body.get(8..16).map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]));
            self.complete = len == 8 && total == Some(self.seen) && matches!(source.read(&mut [0u8; 1]), Ok(0));
            return false;
        }
        block.truncate(8 + len);
        self.block = Arc::new(block);
        self.at = 8;
        self.left = count;
        true
    }

    /// The next entry of the current block, its fields walked (not decoded) to its end.
    fn next_raw(&mut self) -> Option<Raw> {
        let mut r = Cursor { bytes: &self.block, at: self.at };
        let start = r.at;
        let name_len = r.u32()? as usize;
        r.take(name_len)?;
        let name_end = r.at;
        let stat = Stat { size: r.i64()? as u64, mtime_ns: r.i64()?, ctime_ns: r.i64()?, ino: r.i64()? as u64 };
        r.skip_known()?;
        if self.left == 1 && r.at != self.block.len() {
            return None;
        }
        let end = r.at;
        self.at = end;
        self.left -= 1;
        Some(Raw { block: Arc::clone(&self.block), start, name_end, end, stat })
    }
}

impl<R: Read> Iterator for Entries<R> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        if self.left == 0 && !self.next_block() {
            return None;
        }
        let raw = self.next_raw();
        match raw {
            Some(_) => self.seen += 1,
            None => {
                // A block whose entries do not walk: the index ends here.
                self.source = None;
                self.left = 0;
            }
        }
        raw
    }
}

/// Reads the fields of a block's entries.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn known(&mut self) -> Option<Known> {
        let tag = self.byte()?;
        if tag == 0 {
            return Some(Known::Bad(self.text()?));
        }
        let status = *Status::ALL.get(usize::from(tag) - 1)?;
        let canonical = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let mut n = [0i64; 7];
        for slot in &mut n {
            *slot = self.i64()?;
        }
        let some = |v: i64| (v != NONE).then_some(v);
        Some(Known::Lead(Summary {
            status,
            created_at: n[0],
            last_event_at: n[1],
            next_action_due: some(n[2]),
            capture_clock: n[3],
            assignment_clock: some(n[4]),
            movement_clock: n[5],
            escalations: u32::try_from(n[6]).ok()?,
            canonical,
            owner: self.opt_text()?,
            urgency: self.opt_text()?,
            phone: self.opt_text()?,
            brief: self.opt_bytes()?.map(<[u8]>::to_vec),
        }))
    }

    /// Walk past what [`Cursor::known`] reads, checking only the lengths.
    fn skip_known(&mut self) -> Option<()> {
        if self.byte()? == 0 {
            return self.text_bytes().map(drop);
        }
        self.take(1 + 7 * 8)?;
        for _ in 0..4 {
            self.opt_bytes()?;
        }
        Some(())
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn text_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn text(&mut self) -> Option<String> {
        std::str::from_utf8(self.text_bytes()?).ok().map(str::to_owned)
    }
    fn opt_bytes(&mut self) -> Option<Option<&'a [u8]>> {
        match self.u32()? {
            u32::MAX => Some(None),
            n => self.take(n as usize).map(Some),
        }
    }
    fn opt_text(&mut self) -> Option<Option<String>> {
        match self.opt_bytes()? {
            None => Some(None),
            Some(b) => std::str::from_utf8(b).ok().map(|s| Some(s.to_owned())),
        }
    }
}

const BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

fn mix_word(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(PRIME).rotate_left(29)
}

/// A fast 64-bit checksum (catches a torn or damaged file; not a defence against tampering,
/// which the index need not resist: it only ever makes scans skip work).
fn checksum(bytes: &[u8]) -> u64 {
    let mut h = BASIS ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix_word(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    chunks.remainder().iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_all(entries: &[Entry]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut out = Encoder::new(&mut bytes).unwrap();
        for e in entries {
            out.push(e.name.as_bytes(), e.stat, &e.known).unwrap();
        }
        out.finish().unwrap();
        bytes
    }

    /// The entries an index yields, and whether it was whole.
    fn decode(bytes: &[u8]) -> (Vec<Entry>, bool) {
        let mut entries = Entries::new(bytes);
        let got: Vec<Entry> = entries.by_ref().map(|raw| raw.entry().unwrap()).collect();
        (got, entries.complete)
    }

    fn sample() -> Vec<Entry> {
        let stat =
            Stat { size: 812, mtime_ns: 1_700_000_000_123_456_789, ctime_ns: 1_700_000_000_223_456_789, ino: 42 };
        vec![
            Entry {
                name: "2026/11/20261124-abcdefghj.yaml".to_owned(),
                stat,
                known: Known::Lead(Summary {
                    status: Status::Accepted,
                    owner: Some("dev".to_owned()),
                    urgency: None,
                    phone: Some("13125550142".to_owned()),
                    created_at: 1_764_000_000,
                    last_event_at: 1_764_003_600,
                    next_action_due: Some(1_764_010_000),
                    capture_clock: 1_764_000_000,
                    assignment_clock: None,
                    movement_clock: 1_764_003_600,
                    escalations: 2,
                    canonical: true,
                    brief: Some(b"{}".to_vec()),
                }),
            },
            Entry { name: "notes.yaml".to_owned(), stat, known: Known::Bad("leads/notes.yaml: not a lead".to_owned()) },
        ]
    }

    #[test]
    fn a_file_that_could_not_be_read_is_read_again_though_its_stat_holds() {
        let (_dir, ws, path) = crate::store::test_workspace_with_lead("");
        // The index remembers a read that failed for a passing reason, with today's stat.
        let stat = Stat::of(&std::fs::symlink_metadata(&path).unwrap());
        let failed = Known::Bad("cannot read leads/2026/11/20261124-abcdefghj.yaml: too many open files".to_owned());
        ws.save_index(|out| out.push(b"2026/11/20261124-abcdefghj.yaml", stat, &failed)).unwrap();
        let files = ws.indexed_files().unwrap();
        assert_eq!(files.len(), 1);
        assert!(matches!(&files[0].1, Known::Lead(s) if s.status == Status::Intake), "{:?}", files[0].1);
        // A file that stays bad is read again, but the index is not rewritten for it.
        std::fs::write(&path, "id: [unclosed\n").unwrap();
        crate::store::set_an_hour_ago(&path);
        let index_ino = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(ws.index_path()).unwrap());
        assert!(matches!(ws.indexed_files().unwrap()[0].1, Known::Bad(_)));
        let written = index_ino();
        assert!(matches!(ws.indexed_files().unwrap()[0].1, Known::Bad(_)));
        assert_eq!(index_ino(), written, "the index was rewritten for a file that did not change");
    }

    #[test]
    fn a_scan_of_many_chunks_and_blocks_sees_every_change_and_saves_an_index_that_reads_back() {
        let (_dir, ws, first) = crate::store::test_workspace_with_lead("notes: a note long enough to fill blocks\n");
        let text = std::fs::read_to_string(&first).unwrap();
        let month = first.parent().unwrap().to_owned();
        // Several worker chunks, several index blocks.
        let n = 4 * CHUNK + 7;
        let path_of = |i: usize| month.join(format!("20261124-{i:09}.yaml"));
        for i in 0..n {
            let path = path_of(i);
            std::fs::write(&path, text.replace("20261124-abcdefghj", &format!("20261124-{i:09}"))).unwrap();
            crate::store::set_an_hour_ago(&path);
        }
        let owners = |ws: &Workspace| -> Vec<(String, Option<String>)> {
            ws.indexed_files()
                .unwrap()
                .into_iter()
                .map(|(f, k)| match k {
                    Known::Lead(s) => (String::from_utf8(f.name().to_vec()).unwrap(), s.owner),
                    Known::Bad(why) => panic!("{why}"),
                })
                .collect()
        };
        let all = owners(&ws);
        assert_eq!(all.len(), n + 1);
        let saved = std::fs::read(ws.index_path()).unwrap();
        assert!(saved.len() > 2 * BLOCK_BYTES, "{} bytes: too few blocks to test", saved.len());
        let (entries, whole) = decode(&saved);
        assert!(whole);
        assert_eq!(entries.len(), n + 1);
        // Hand edits in the middle of the index: one lead owned, one deleted, one added.
        let edited = path_of(CHUNK + 3);
        let owned = std::fs::read_to_string(&edited).unwrap().replace("history:", "owner: dev\nhistory:");
        std::fs::write(&edited, owned).unwrap();
        crate::store::set_an_hour_ago(&edited);
        std::fs::remove_file(path_of(2 * CHUNK)).unwrap();
        let added = month.join("20261124-zzzzzzzzz.yaml");
        std::fs::write(&added, text.replace("20261124-abcdefghj", "20261124-zzzzzzzzz")).unwrap();
        crate::store::set_an_hour_ago(&added);
        let after = owners(&ws);
        assert_eq!(after.len(), n + 1);
        let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(after.contains(&(name(&edited), Some("dev".to_owned()))), "the edit was not seen");
        assert!(!after.iter().any(|(f, _)| *f == name(&path_of(2 * CHUNK))), "the deleted lead is still listed");
        assert!(after.iter().any(|(f, _)| *f == name(&added)), "the new lead is missing");
        // The index saved says the same, whole; and a third scan reads it unchanged.
        let (entries, whole) = decode(&std::fs::read(ws.index_path()).unwrap());
        assert!(whole);
        let from_index: Vec<(String, Option<String>)> = entries
            .into_iter()
            .map(|e| match e.known {
                Known::Lead(s) => (e.name.rsplit('/').next().unwrap().to_owned(), s.owner),
                Known::Bad(why) => panic!("{why}"),
            })
            .collect();
        assert_eq!(from_index, after);
        let written = std::fs::metadata(ws.index_path()).unwrap().modified().unwrap();
        assert_eq!(owners(&ws), after);
        assert_eq!(std::fs::metadata(ws.index_path()).unwrap().modified().unwrap(), written, "rewritten unchanged");
    }

    #[test]
    fn a_link_where_a_month_should_be_never_keeps_the_leads_after_it_out_of_the_index() {
        let (dir, ws, path) = crate::store::test_workspace_with_lead("");
        // `leads/2026/10`, a link: listed (and refused) without a stat, before every id.
        std::os::unix::fs::symlink(dir.path(), dir.path().join("leads/2026/10")).unwrap();
        let scan = || ws.indexed_files().unwrap();
        let files = scan();
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(matches!(&files[0].1, Known::Bad(why) if why.contains("symbolic link")), "{:?}", files[0].1);
        let (entries, whole) = decode(&std::fs::read(ws.index_path()).unwrap());
        assert!(whole);
        assert_eq!(entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["2026/11/20261124-abcdefghj.yaml"]);
        // The link alone is no change: the next scan leaves the index as it is.
        let written = std::fs::metadata(ws.index_path()).unwrap().modified().unwrap();
        assert_eq!(scan().len(), 2);
        assert_eq!(std::fs::metadata(ws.index_path()).unwrap().modified().unwrap(), written);
        assert!(path.exists());
    }

    #[test]
    fn entries_survive_the_round_trip() {
        let entries = sample();
        assert_eq!(decode(&encode_all(&entries)), (entries, true));
    }

    #[test]
    fn an_index_of_many_blocks_reads_back_whole_and_a_damaged_block_ends_it_there() {
        let one = sample();
        let entries: Vec<Entry> = (0..30_000)
            .map(|i| Entry { name: format!("2026/11/20261124-{i:09}.yaml"), ..one[i % 2].clone() })
            .collect();
        let bytes = encode_all(&entries);
        assert!(bytes.len() > 4 * BLOCK_BYTES, "{}", bytes.len());
        assert_eq!(decode(&bytes), (entries.clone(), true));
        // A flipped bit in the middle: the blocks before it are used, none after.
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 4;
        let (got, whole) = decode(&flipped);
        assert!(!whole);
        assert!(!got.is_empty() && got.len() < entries.len() / 2 + BLOCK_BYTES / 64, "{}", got.len());
        assert_eq!(got[..], entries[..got.len()], "an entry of a damaged block was used");
    }

    #[test]
    fn a_damaged_index_is_refused_not_trusted() {
        let bytes = encode_all(&sample());
        for cut in [0, 7, 20, bytes.len() - 30, bytes.len() - 1] {
            let (got, whole) = decode(&bytes[..cut]);
            assert!(!whole, "cut at {cut}");
            assert!(got.is_empty() || cut >= bytes.len() - 24, "cut at {cut}: {got:?}");
        }
        for at in [8, 12, 40, bytes.len() - 30] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            assert_eq!(decode(&flipped), (Vec::new(), false), "flipped at {at}");
        }
        let mut old = bytes.clone();
        old[..8].copy_from_slice(b"HOIDX02\n");
        assert_eq!(decode(&old), (Vec::new(), false));
    }
}
