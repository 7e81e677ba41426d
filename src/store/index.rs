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
//! numbers, length-prefixed text, a checksum at the end) written atomically after a scan
//! that found changes. A missing, foreign or corrupt index is rebuilt from the files; an
//! unwritable one only costs speed. Entries whose file changed within [`RACY_NS`] of the
//! index's own write are re-read (git's "racily clean" rule: a second edit in the same
//! clock tick keeps size and times).

use std::fs::{self, File, Metadata};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use anyhow::Result;

use super::Workspace;
use super::scan::{LeadFile, read_into};
use crate::lead::{EventKind, Lead, Status};
use crate::phone;

const FILE: &str = "index";
const MAGIC: &[u8; 8] = b"HOIDX02\n";
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
    /// An open lead's [`crate::escalation::brief`] as JSON: what escalate-check and `list`
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
            brief: (lead.status != Status::Closed)
                .then(|| serde_json::to_vec(&crate::escalation::brief(lead)).ok())
                .flatten(),
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

/// A listed file's path under `leads/` (`2026/11/<id>.yaml`), the index's name for it:
/// a byte prefix cut, not `Path::starts_with`'s walk over components (5 % of a scan).
fn relative_name<'f>(file: &'f LeadFile, leads_prefix: &[u8]) -> std::borrow::Cow<'f, str> {
    use std::os::unix::ffi::OsStrExt;
    match file.path.as_os_str().as_bytes().strip_prefix(leads_prefix) {
        Some(rest) => String::from_utf8_lossy(rest),
        None => std::borrow::Cow::Owned(file.path.display().to_string()),
    }
}

/// Index order: file name (the id, so capture date), then the path.
fn order_key(name: &str) -> (&str, &str) {
    (name.rsplit('/').next().unwrap_or(name), name)
}

impl Workspace {
    fn index_path(&self) -> PathBuf {
        self.state_dir().join(FILE)
    }

    /// Every lead file with what it holds, checked against the files: stat every file,
    /// re-read the changed and new ones, forget the deleted ones, save if anything changed.
    /// In file name order, like [`Workspace::lead_files`].
    pub fn indexed_files(&self) -> Result<Vec<(LeadFile, Known)>> {
        Ok(self.indexed_files_marked()?.into_iter().map(|(f, k, _)| (f, k)).collect())
    }

    /// [`Workspace::indexed_files`], each file also marked `trusted` when its stat is the
    /// one the index recorded and it was then the writer's own bytes (see
    /// [`Summary::canonical`]): a scan may parse it without the byte-for-byte check.
    pub fn indexed_files_marked(&self) -> Result<Vec<(LeadFile, Known, bool)>> {
        let files = self.lead_files_stat()?;
        self.remember_listing(&files);
        let (old, written_ns) = self.load_index();
        let old_len = old.len();
        let prefix = self.leads_prefix();
        // Pair each file with its old entry (both lists are in index order). An entry whose
        // stat still holds is moved in as it is, here, without a copy; only the files
        // changed or new since are read again, on all cores.
        let mut out: Vec<(LeadFile, Known, bool)> = Vec::with_capacity(files.len());
        let mut stale: Vec<(usize, Option<Entry>)> = Vec::new();
        let mut old = old.into_iter().peekable();
        for file in files {
            let name = relative_name(&file, &prefix);
            let key = order_key(&name);
            while old.next_if(|e| order_key(&e.name) < key).is_some() {}
            let previous = old.next_if(|e| e.name == *name);
            match previous {
                // A file that could not be read is read again every time: the reason may
                // have passed (a full file table, a read error) with its stat unchanged.
                Some(prev)
                    if Some(prev.stat) == file.stat
                        && prev.stat.mtime_ns.saturating_add(RACY_NS) < written_ns
                        && matches!(prev.known, Known::Lead(_)) =>
                {
                    let trusted = matches!(&prev.known, Known::Lead(s) if s.canonical);
                    out.push((file, prev.known, trusted));
                }
                other => {
                    stale.push((out.len(), other));
                    out.push((file, Known::Bad(String::new()), false));
                }
            }
        }
        drop(old);
        // A racily clean entry read again and found unchanged is settled by writing the
        // index again once its file is older than the racy window (as `git status` does):
        // else every later scan reads it again, until some other file changes. The clock is
        // the machine's, as file times are (never `--now`).
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let settled_before = now_ns.saturating_sub(RACY_NS);
        let fresh = super::scan::par_map_owned(stale, |(at, previous), buf| {
            // The stat taken before reading is the one recorded: a change made while the
            // file is read then shows as a changed stat next time.
            let file = &out[at].0;
            let known = match read_into(file, buf).and_then(|text| self.parse_file_kind(&file.path, text, false)) {
                Ok((lead, canonical)) => Known::Lead(Summary { canonical, ..Summary::of(&lead) }),
                Err(e) => Known::Bad(format!("{e:#}")),
            };
            let stat = file.stat;
            let settled = stat.is_some_and(|s| s.mtime_ns < settled_before);
            let was_racy = |p: &Entry| p.stat.mtime_ns.saturating_add(RACY_NS) >= written_ns;
            let changed = previous.is_none_or(|p| {
                Some(p.stat) != stat || p.known != known || stat.is_none() || (settled && was_racy(&p))
            });
            (at, known, changed)
        });
        let mut changed = old_len != out.len();
        for (at, known, was_changed) in fresh {
            changed |= was_changed;
            out[at].1 = known;
        }
        if changed {
            let names: Vec<_> = out.iter().map(|(f, _, _)| relative_name(f, &prefix)).collect();
            let entries =
                names.iter().zip(&out).filter_map(|(name, (file, known, _))| Some((name.as_ref(), file.stat?, known)));
            // A cache: if it cannot be written, the next scan reads the files again.
            let _ = self.save_index(entries);
        }
        Ok(out)
    }

    /// `leads/` as listed paths start with it, separator included.
    fn leads_prefix(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        [self.leads_dir().as_os_str().as_bytes(), b"/"].concat()
    }

    /// The saved entries and when they were written (ns); empty when missing or corrupt.
    fn load_index(&self) -> (Vec<Entry>, i64) {
        let path = self.index_path();
        let Ok(file) = File::open(&path) else { return (Vec::new(), 0) };
        let Ok(meta) = file.metadata() else { return (Vec::new(), 0) };
        // Read through a window, never the whole file at once: at 100k open leads the
        // index is tens of MB, and the entries are all a scan needs to hold.
        match decode_from(Source::File(file), meta.len()) {
            Some(entries) => (entries, Stat::of(&meta).mtime_ns),
            None => (Vec::new(), 0),
        }
    }

    fn save_index<'a>(&self, entries: impl Iterator<Item = (&'a str, Stat, &'a Known)>) -> Result<()> {
        fs::create_dir_all(self.state_dir())?;
        let bytes = encode(entries);
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
            .and_then(|mut f| f.write_all(&bytes))
            .and_then(|()| fs::rename(&tmp, self.index_path()));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(result?)
    }
}

fn encode<'a>(entries: impl Iterator<Item = (&'a str, Stat, &'a Known)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 20);
    out.extend_from_slice(MAGIC);
    let count_at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    let mut count: u64 = 0;
    for (name, stat, known) in entries {
        count += 1;
        put_text(&mut out, name);
        for n in [stat.size as i64, stat.mtime_ns, stat.ctime_ns, stat.ino as i64] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        match known {
            Known::Bad(message) => {
                out.push(0);
                put_text(&mut out, message);
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
                    put_opt(&mut out, text.map(str::as_bytes));
                }
                put_opt(&mut out, s.brief.as_deref());
            }
        }
    }
    out[count_at..count_at + 8].copy_from_slice(&count.to_le_bytes());
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
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
    let bytes = &text.as_bytes()[..text.len().min(u32::MAX as usize - 1)];
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
fn decode(bytes: &[u8]) -> Option<Vec<Entry>> {
    decode_from(Source::Bytes(bytes.to_vec()), bytes.len() as u64)
}

/// The entries of an index of `len` bytes read from `source`; `None` when it is not a
/// whole, undamaged index of this version.
fn decode_from(source: Source, len: u64) -> Option<Vec<Entry>> {
    let body_len = len.checked_sub(8)?;
    let mut r = Reader { source, buf: Vec::new(), at: 0, end: 0, fed: 0, body_len, sum: Sum::new(body_len) };
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let count = usize::try_from(r.i64()?).ok()?;
    let mut entries = Vec::with_capacity(count.min(usize::try_from(body_len / 40).ok()?));
    for _ in 0..count {
        let name = r.text()?;
        let stat = Stat { size: r.i64()? as u64, mtime_ns: r.i64()?, ctime_ns: r.i64()?, ino: r.i64()? as u64 };
        let tag = r.byte()?;
        let known = if tag == 0 {
            Known::Bad(r.text()?)
        } else {
            let status = *Status::ALL.get(usize::from(tag) - 1)?;
            let canonical = match r.byte()? {
                0 => false,
                1 => true,
                _ => return None,
            };
            let mut n = [0i64; 7];
            for slot in &mut n {
                *slot = r.i64()?;
            }
            let some = |v: i64| (v != NONE).then_some(v);
            Known::Lead(Summary {
                status,
                created_at: n[0],
                last_event_at: n[1],
                next_action_due: some(n[2]),
                capture_clock: n[3],
                assignment_clock: some(n[4]),
                movement_clock: n[5],
                escalations: u32::try_from(n[6]).ok()?,
                canonical,
                owner: r.opt_text()?,
                urgency: r.opt_text()?,
                phone: r.opt_text()?,
                brief: r.opt_bytes()?,
            })
        };
        entries.push(Entry { name, stat, known });
    }
    // The body ends here, and the checksum of all of it follows.
    if r.fed_through() != body_len {
        return None;
    }
    let sum = r.sum.finish();
    let trailer = r.take(8)?;
    (trailer == sum.to_le_bytes() && r.take(1).is_none()).then_some(entries)
}

enum Source {
    File(File),
    #[cfg(test)]
    Bytes(Vec<u8>),
}

/// Reads an index through a window, checksumming the body as it comes in.
struct Reader {
    source: Source,
    buf: Vec<u8>,
    at: usize,
    end: usize,
    /// Bytes of the file taken into the window so far.
    fed: u64,
    body_len: u64,
    sum: Sum,
}

impl Reader {
    const WINDOW: usize = 1 << 20;

    /// Bytes of the body consumed so far.
    fn fed_through(&self) -> u64 {
        self.fed - (self.end - self.at) as u64
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.end - self.at < n {
            self.buf.copy_within(self.at..self.end, 0);
            self.end -= self.at;
            self.at = 0;
            let want = n.max(Self::WINDOW);
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            while self.end < n {
                let got = match &mut self.source {
                    Source::File(f) => f.read(&mut self.buf[self.end..]).ok()?,
                    #[cfg(test)]
                    Source::Bytes(b) => {
                        let start = usize::try_from(self.fed).ok()?;
                        let k = b.len().saturating_sub(start).min(self.buf.len() - self.end);
                        self.buf[self.end..self.end + k].copy_from_slice(&b[start..start + k]);
                        k
                    }
                };
                if got == 0 {
                    return None;
                }
                // The body goes into the checksum; the trailer does not.
                let body_left = usize::try_from(self.body_len.saturating_sub(self.fed)).unwrap_or(usize::MAX);
                self.sum.feed(&self.buf[self.end..self.end + got.min(body_left)]);
                self.fed += got as u64;
                self.end += got;
            }
        }
        let out = &self.buf[self.at..self.at + n];
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
    fn text(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn opt_bytes(&mut self) -> Option<Option<Vec<u8>>> {
        let n = self.u32()?;
        if n == u32::MAX {
            return Some(None);
        }
        self.take(n as usize).map(|b| Some(b.to_vec()))
    }
    fn opt_text(&mut self) -> Option<Option<String>> {
        let n = self.u32()?;
        if n == u32::MAX {
            return Some(None);
        }
        String::from_utf8(self.take(n as usize)?.to_vec()).ok().map(Some)
    }
}

/// [`checksum`] computed as the bytes come in.
struct Sum {
    h: u64,
    tail: [u8; 8],
    tail_len: usize,
}

impl Sum {
    fn new(len: u64) -> Sum {
        Sum { h: BASIS ^ len, tail: [0; 8], tail_len: 0 }
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        if self.tail_len > 0 {
            let k = (8 - self.tail_len).min(bytes.len());
            self.tail[self.tail_len..self.tail_len + k].copy_from_slice(&bytes[..k]);
            self.tail_len += k;
            bytes = &bytes[k..];
            if self.tail_len < 8 {
                return;
            }
            self.h = mix_word(self.h, u64::from_le_bytes(self.tail));
            self.tail_len = 0;
        }
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.h = mix_word(self.h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    fn finish(&self) -> u64 {
        self.tail[..self.tail_len].iter().fold(self.h, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
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
    let mut sum = Sum::new(bytes.len() as u64);
    sum.feed(bytes);
    sum.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_all(entries: &[Entry]) -> Vec<u8> {
        encode(entries.iter().map(|e| (e.name.as_str(), e.stat, &e.known)))
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
        ws.save_index([("2026/11/20261124-abcdefghj.yaml", stat, &failed)].into_iter()).unwrap();
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
    fn entries_survive_the_round_trip() {
        let entries = sample();
        assert_eq!(decode(&encode_all(&entries)), Some(entries));
    }

    #[test]
    fn an_index_larger_than_the_read_window_reads_back_whole() {
        let one = sample();
        let entries: Vec<Entry> = (0..30_000)
            .map(|i| Entry { name: format!("2026/11/20261124-{i:09}.yaml"), ..one[i % 2].clone() })
            .collect();
        let bytes = encode_all(&entries);
        assert!(bytes.len() > 2 * Reader::WINDOW, "{}", bytes.len());
        assert_eq!(checksum(&bytes[..bytes.len() - 8]).to_le_bytes(), bytes[bytes.len() - 8..]);
        assert_eq!(decode(&bytes), Some(entries));
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 4;
        assert_eq!(decode(&flipped), None);
    }

    #[test]
    fn a_damaged_index_is_refused_not_trusted() {
        let bytes = encode_all(&sample());
        for cut in [0, 7, 20, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert_eq!(decode(&flipped), None);
    }
}
