//! Scans: every lead file of the workspace, read in parallel, closed leads skipped
//! cheaply, unreadable files reported (never dropped silently).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::index::{Known, Summary};
use super::{MAX_LEAD_BYTES, Workspace};
use crate::error::workspace;
use crate::lead::{Lead, LeadId};

impl Workspace {
    /// Every `.yaml` file of the workspace's leads, in file name order (ids start with the
    /// capture date, so oldest first): `leads/YYYY/MM/*.yaml` and, in a workspace not
    /// migrated yet, `leads/*.yaml` (badly named files included, which `validate` reports).
    pub fn lead_files(&self) -> Result<Vec<LeadFile>> {
        self.list_lead_files(false)
    }

    /// [`Workspace::lead_files`], each with its `stat` taken in the listing (relative to
    /// the open directory, so no path is walked again): what the scan index checks.
    pub fn lead_files_stat(&self) -> Result<Vec<LeadFile>> {
        self.list_lead_files(true)
    }

    fn list_lead_files(&self, stat: bool) -> Result<Vec<LeadFile>> {
        let dir = self.leads_dir();
        let mut files = Vec::new();
        if !dir.is_dir() {
            return Ok(files);
        }
        // Anything in `leads/` that is not the layout (a year `YYYY/`, a month `YYYY/MM/`, a
        // lead file in one) is never passed over silently: a lead file found elsewhere is
        // listed, and every scan names it (it belongs in its capture month); a link where a
        // year or month should be is listed as a link, which no scan follows.
        let mut outside = Outside::default();
        let years = list_level(&dir, &dir, 4, &mut files, stat, &mut outside)?;
        let mut months = Vec::new();
        for year in years {
            months.extend(list_level(&year, &dir, 2, &mut files, stat, &mut outside)?);
        }
        let Outside { mut strays, mut links } = outside;
        files.append(&mut links);
        // The month directories on all cores (one a task: a dozen items, each thousands of
        // stats), each sorted on its thread.
        let listed = par_pipeline(
            |send| months.into_iter().for_each(send),
            |month: PathBuf, _| {
                let mut found = Vec::new();
                let mut inside = Vec::new();
                list_yaml(&month, &dir, &mut found, stat, |name, kind| {
                    if let Place::Stray = Place::of(name, kind, 0) {
                        inside.push(month.join(name));
                    }
                })
                .map(|()| {
                    found.sort_unstable_by(|a, b| a.name().cmp(b.name()));
                    (found, inside)
                })
            },
        );
        files.sort_unstable_by(|a, b| a.name().cmp(b.name()));
        let mut flat = files;
        let mut files = Vec::with_capacity(
            flat.len() + listed.iter().map(|l| l.as_ref().map_or(0, |(f, _)| f.len())).sum::<usize>(),
        );
        for month in listed {
            let (found, inside) = month?;
            files.extend(found);
            strays.extend(inside);
        }
        // Directories outside the layout, walked for lead files (links never followed).
        while let Some(stray) = strays.pop() {
            list_yaml(&stray, &dir, &mut flat, stat, |name, kind| {
                if kind.is_some_and(|k| k.is_dir()) && !name.starts_with('.') {
                    strays.push(stray.join(name));
                }
            })?;
        }
        // Months in order hold ids in order, as ids start with their capture date; files in
        // the flat layout or in the wrong month need the full sort.
        let in_order = |files: &[LeadFile]| files.windows(2).all(|w| order(&w[0], &w[1]).is_le());
        if !flat.is_empty() || !in_order(&files) {
            files.append(&mut flat);
            files.sort_unstable_by(order);
        }
        Ok(files)
    }

    /// Read the lead files `want` asks for and map each lead through `f`, on all cores.
    ///
    /// This is the year-of-leads path (escalate-check, report, list): the scan index
    /// (`index`) says, from a `stat` of each file, which leads are unchanged and what they
    /// hold, so closed leads are passed over without opening their files; the rest are
    /// read in parallel and only what `f` keeps stays in memory. Results come in file name
    /// order (ids start with the capture date, so oldest first).
    pub fn scan_map<T: Send>(
        &self,
        want: Want,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_filtered(want, |_| true, |_| true, |_| false, f)
    }

    /// [`Workspace::scan_map`] that also passes over every lead whose index summary
    /// `keep` turns down (a cheap first filter: `keep` must say yes to every lead `f`
    /// could keep).
    pub fn scan_where<T: Send>(
        &self,
        want: Want,
        keep: impl Fn(&Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_filtered(want, keep, |_| true, |_| false, f)
    }

    /// [`Workspace::scan_map`], parsing only the files whose text `may_match` admits (a
    /// search passes most files over on a substring test, without a YAML parse).
    pub fn scan_map_where<T: Send>(
        &self,
        want: Want,
        may_match: impl Fn(&str) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_filtered(want, |_| true, may_match, |_| false, f)
    }

    /// The scan behind the others: the index's summary first (`want`, `keep`), then the
    /// file's text (`may_match`), then the parsed lead (`f`). `brief`: for a lead whose
    /// summary it admits, `f` reads no more than the lead's [`crate::escalation::brief`]
    /// holds (the record's fields but notes, address and phone; the events that move its
    /// state, the escalations and the last movement), so an unchanged file is not opened:
    /// `f` gets the brief the index keeps.
    fn scan_filtered<T: Send>(
        &self,
        want: Want,
        keep: impl Fn(&Summary) -> bool + Sync,
        may_match: impl Fn(&str) -> bool + Sync,
        brief: impl Fn(&Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        // `f` runs on the reading thread, so only what it keeps outlives the parse.
        let results = self.scan_indexed(|file, known, trusted, buf| {
            let summary = match known {
                Known::Bad(message) => {
                    return Some(Err(ScanError { file: self.relative(&file.path()), message: message.clone() }));
                }
                Known::Lead(s) => s,
            };
            if want.skips_summary(summary) || !keep(summary) {
                return None;
            }
            if let (true, Some(bytes)) = (trusted, &summary.brief)
                && brief(summary)
                && let Some(lead) = super::brief::decode(bytes)
            {
                return f(lead).map(Ok);
            }
            let parsed = read_into(file, buf).and_then(|text| {
                if may_match(text) {
                    self.parse_file_kind(&file.path(), text, trusted).map(|(l, _)| f(l))
                } else {
                    Ok(None)
                }
            });
            match parsed {
                Ok(Some(value)) => Some(Ok(value)),
                Ok(None) => None,
                Err(e) => Some(Err(ScanError { file: self.relative(&file.path()), message: format!("{e:#}") })),
            }
        })?;
        let mut kept = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(value) => kept.push(value),
                Err(e) => errors.push(e),
            }
        }
        Ok((kept, errors))
    }

    /// [`Workspace::scan_map`] that also holds each lead against the vocabularies of
    /// `rules`: a value outside them is never passed on silently. A value that differs from
    /// a vocabulary word only in case is read as that word (so `Emergency` escalates as an
    /// emergency); either way the file is listed under the errors (exit 3) so it is fixed.
    pub fn scan_checked<T: Send>(
        &self,
        rules: &crate::rules::Rules,
        want: Want,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_checked_where(rules, want, |_| true, f)
    }

    /// [`Workspace::scan_where`] with the vocabulary check of [`Workspace::scan_checked`].
    pub fn scan_checked_where<T: Send>(
        &self,
        rules: &crate::rules::Rules,
        want: Want,
        keep: impl Fn(&Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        self.scan_checked_brief(rules, want, keep, |_| false, f)
    }

    /// [`Workspace::scan_checked_where`] for an `f` that reads no more of the leads whose
    /// summary `brief` admits than their [`crate::escalation::brief`]: those, unchanged, are
    /// read from the index; the rest from their files.
    pub fn scan_checked_brief<T: Send>(
        &self,
        rules: &crate::rules::Rules,
        want: Want,
        keep: impl Fn(&Summary) -> bool + Sync,
        brief: impl Fn(&Summary) -> bool + Sync,
        f: impl Fn(Lead) -> Option<T> + Sync,
    ) -> Result<(Vec<T>, Vec<ScanError>)> {
        let misfits = std::sync::Mutex::new(Vec::new());
        let (kept, mut errors) = self.scan_filtered(
            want,
            keep,
            |_| true,
            brief,
            |mut lead| {
                let problems = fit_vocabulary(rules, &mut lead);
                if !problems.is_empty() {
                    let file = self.relative(&self.lead_path(&lead.id));
                    let message = format!("{file}: {}; fix the file, then run `handoff validate`", problems.join("; "));
                    misfits.lock().unwrap_or_else(|p| p.into_inner()).push(ScanError { file, message });
                }
                f(lead)
            },
        )?;
        errors.extend(misfits.into_inner().unwrap_or_else(|p| p.into_inner()));
        errors.sort_by(|a, b| a.file.cmp(&b.file));
        Ok((kept, errors))
    }
}

/// Run `work` over the chunks `produce` hands to its `send`, on worker threads while
/// `produce` goes on making the next ones (on this thread); the results in the order the
/// chunks were sent. At most a few chunks wait at a time, so memory holds what `work`
/// returns and a few chunks, not everything `produce` makes. `work` gets a reusable buffer.
/// More threads than cores: reading files is mostly waiting on the kernel.
pub fn par_pipeline<I: Send, T: Send>(
    produce: impl FnOnce(&mut dyn FnMut(I)),
    work: impl Fn(I, &mut Vec<u8>) -> T + Sync,
) -> Vec<T> {
    use std::sync::{Arc, Mutex, mpsc};
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores * 4).clamp(2, 16);
    let (to_workers, inbox) = mpsc::sync_channel::<(usize, I)>(2);
    // Only the workers hold the inbox: if they all stop (a panic), sending fails instead of
    // waiting forever, and the scope re-raises the panic.
    let inbox = Arc::new(Mutex::new(inbox));
    let (to_main, results) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (inbox, to_main, work) = (Arc::clone(&inbox), to_main.clone(), &work);
            s.spawn(move || {
                let mut buf = Vec::with_capacity(8 * 1024);
                loop {
                    let next = inbox.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((n, chunk)) = next else { break };
                    if to_main.send((n, work(chunk, &mut buf))).is_err() {
                        break;
                    }
                }
            });
        }
        drop((to_main, inbox));
        let mut sent = 0;
        produce(&mut |chunk| {
            let _ = to_workers.send((sent, chunk));
            sent += 1;
        });
        drop(to_workers);
    });
    let mut out: Vec<(usize, T)> = results.into_iter().collect();
    out.sort_unstable_by_key(|(n, _)| *n);
    out.into_iter().map(|(_, t)| t).collect()
}

/// Push the `.yaml` files of `dir` (no dot files) onto `files`, with their stat when
/// `stat` asks; tell `sub` of every other entry's name and whether it is a real directory
/// (links are never followed).
fn list_yaml(
    dir: &Path,
    leads: &Path,
    files: &mut Vec<LeadFile>,
    stat: bool,
    mut sub: impl FnMut(&str, Option<fs::FileType>),
) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let shared = Dir::new(dir, leads);
    let cannot = || format!("cannot list {}", dir.display());
    let mut listing = Listing::open(dir).with_context(cannot)?;
    let fd = listing.fd();
    while let Some((c_name, d_type)) = listing.next().with_context(cannot)? {
        let name = c_name.to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        if name.first() != Some(&b'.') && name.ends_with(b".yaml") {
            // The listing's type, not the target's: a link is never followed. The stat is
            // an lstat at the open directory (no path walked again), as `DirEntry::metadata`.
            let lstat = (stat || d_type == libc::DT_UNKNOWN).then(|| lstat_at(fd, c_name)).flatten();
            let symlink = match d_type {
                libc::DT_UNKNOWN => lstat.is_some_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK),
                t => t == libc::DT_LNK,
            };
            let stat = if stat { lstat.map(|st| super::index::Stat::of_raw(&st)) } else { None };
            let name = std::ffi::OsStr::from_bytes(name);
            files.push(LeadFile { dir: Arc::clone(&shared), name: name.into(), symlink, stat });
        } else {
            // Rare (the year and month directories, strays): the type from a plain lstat.
            let name = std::ffi::OsStr::from_bytes(name);
            let kind = fs::symlink_metadata(dir.join(name)).ok().map(|m| m.file_type());
            sub(&name.to_string_lossy(), kind);
        }
    }
    Ok(())
}

/// A directory being listed, by libc's `readdir` on an open handle: a month holds thousands
/// of lead files, and std's `read_dir` allocates a name and a path for each one it yields.
struct Listing(std::ptr::NonNull<libc::DIR>);

impl Listing {
    fn open(dir: &Path) -> std::io::Result<Listing> {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
        // SAFETY: `path` is a valid C string; a null result is an error, reported below.
        let handle = unsafe { libc::opendir(path.as_ptr()) };
        std::ptr::NonNull::new(handle).map(Listing).ok_or_else(std::io::Error::last_os_error)
    }

    /// The open directory's descriptor, for [`lstat_at`] (valid while `self` lives).
    fn fd(&self) -> libc::c_int {
        // SAFETY: the handle is open.
        unsafe { libc::dirfd(self.0.as_ptr()) }
    }

    /// The next name and its `d_type`; `None` at the end.
    fn next(&mut self) -> std::io::Result<Option<(&std::ffi::CStr, u8)>> {
        // SAFETY: the handle is open (closed only on drop). `readdir` returns null at the
        // end (errno left 0) or on error (errno set); otherwise an entry valid until the
        // next call on this handle, which the mutable borrow of `self` rules out.
        unsafe {
            *libc::__errno_location() = 0;
            let entry = libc::readdir64(self.0.as_ptr());
            if entry.is_null() {
                return match *libc::__errno_location() {
                    0 => Ok(None),
                    e => Err(std::io::Error::from_raw_os_error(e)),
                };
            }
            let name = std::ffi::CStr::from_ptr((*entry).d_name.as_ptr());
            Ok(Some((name, (*entry).d_type)))
        }
    }
}

/// `lstat` of `name` in the directory open as `fd`, or `None` if it is gone or unreadable.
fn lstat_at(fd: libc::c_int, name: &std::ffi::CStr) -> Option<libc::stat64> {
    let mut st = std::mem::MaybeUninit::<libc::stat64>::uninit();
    // SAFETY: `name` is a C string; `st` is written when the call succeeds. A stale
    // `fd` would only make the call fail.
    unsafe {
        (libc::fstatat64(fd, name.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) == 0).then(|| st.assume_init())
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        // SAFETY: opened by `opendir`, closed once.
        unsafe { libc::closedir(self.0.as_ptr()) };
    }
}

/// What a listing found outside the layout: directories to walk for lead files, and links
/// where a year or month should be.
#[derive(Default)]
struct Outside {
    strays: Vec<PathBuf>,
    links: Vec<LeadFile>,
}

/// List `leads/` (`digits` 4) or a year directory (2): its lead files onto `files`, what lies
/// outside the layout into `outside`; its shard directories (years or months), sorted.
fn list_level(
    dir: &Path,
    leads: &Path,
    digits: usize,
    files: &mut Vec<LeadFile>,
    stat: bool,
    outside: &mut Outside,
) -> Result<Vec<PathBuf>> {
    let mut shards = Vec::new();
    list_yaml(dir, leads, files, stat, |name, kind| match Place::of(name, kind, digits) {
        Place::Shard => shards.push(dir.join(name)),
        Place::Stray => outside.strays.push(dir.join(name)),
        Place::Link => outside.links.push(LeadFile::link(dir.join(name), leads)),
        Place::Other => {}
    })?;
    shards.sort();
    Ok(shards)
}

/// What an entry of `leads/` or of a year directory is, other than a lead file.
enum Place {
    /// A year (`YYYY`) or month (`MM`) directory of the layout.
    Shard,
    /// A directory outside the layout: walked for lead files.
    Stray,
    /// A link named as a year or month: listed as a link (never followed).
    Link,
    /// Anything else (`.gitkeep`, a dot directory, a stray non-lead file).
    Other,
}

impl Place {
    /// Classify `name` where a shard's name has `digits` digits (0: no shards here).
    fn of(name: &str, kind: Option<fs::FileType>, digits: usize) -> Place {
        let shard_name = digits > 0 && name.len() == digits && name.bytes().all(|b| b.is_ascii_digit());
        match kind {
            Some(k) if k.is_dir() && shard_name => Place::Shard,
            Some(k) if k.is_dir() && !name.starts_with('.') => Place::Stray,
            Some(k) if k.is_symlink() && shard_name => Place::Link,
            _ => Place::Other,
        }
    }
}

/// Index order: file name (the id, so capture date), then the path under `leads/`.
fn order(a: &LeadFile, b: &LeadFile) -> std::cmp::Ordering {
    a.name().cmp(b.name()).then_with(|| a.relative().cmp(b.relative()))
}

/// A directory a listing read, shared by the files listed in it.
#[derive(Debug)]
struct Dir {
    path: PathBuf,
    /// Its path under `leads/`, with a trailing `/` (empty for `leads/` itself); the whole
    /// path for one outside `leads/` (never listed).
    relative: Vec<u8>,
}

impl Dir {
    /// `path`, a directory in `leads` (or `leads` itself).
    fn new(path: &Path, leads: &Path) -> Arc<Dir> {
        use std::os::unix::ffi::OsStrExt;
        let relative = match path.strip_prefix(leads) {
            Ok(rest) if rest.as_os_str().is_empty() => Vec::new(),
            Ok(rest) => [rest.as_os_str().as_bytes(), b"/"].concat(),
            Err(_) => [path.as_os_str().as_bytes(), b"/"].concat(),
        };
        Arc::new(Dir { path: path.to_owned(), relative })
    }
}

/// A `.yaml` file in `leads/`, as the directory listing describes it: its directory
/// (shared with the other files listed there) and its name, which is all a scan holds of
/// each of 100k files until it reads one.
#[derive(Debug, Clone)]
pub struct LeadFile {
    dir: Arc<Dir>,
    name: Box<std::ffi::OsStr>,
    /// The listing says it is a symbolic link (never followed).
    pub symlink: bool,
    /// What `stat` said in the listing ([`Workspace::lead_files_stat`]), when asked.
    pub stat: Option<super::index::Stat>,
}

impl LeadFile {
    /// A link where a year or month directory should be: every read of it is refused.
    fn link(path: PathBuf, leads: &Path) -> LeadFile {
        let dir = Dir::new(path.parent().unwrap_or(Path::new("")), leads);
        let name = path.file_name().unwrap_or_default().into();
        LeadFile { dir, name, symlink: true, stat: None }
    }

    /// The file's path (the workspace's root joined with `leads/…`).
    pub fn path(&self) -> PathBuf {
        self.dir.path.join(&*self.name)
    }

    /// The file name's bytes (the id and `.yaml`).
    pub fn name(&self) -> &[u8] {
        use std::os::unix::ffi::OsStrExt;
        self.name.as_bytes()
    }

    /// The id the file is named for (its name without `.yaml`), if it is one.
    pub fn id(&self) -> Option<&str> {
        let stem = self.name.to_str()?.strip_suffix(".yaml")?;
        LeadId::is_valid(stem).then_some(stem)
    }

    /// The path under `leads/` (`2026/11/<id>.yaml`), the scan index's name for the file,
    /// as its two parts: the directory's (with its `/`) and the file name.
    pub fn relative(&self) -> impl Iterator<Item = &u8> + Clone {
        self.dir.relative.iter().chain(self.name())
    }
}

/// Read a lead file into `buf` and return it as text: no symlinks, no oversized files,
/// UTF-8 only, a BOM dropped. One open and one or two reads per file.
pub fn read_into<'b>(file: &LeadFile, buf: &'b mut Vec<u8>) -> Result<&'b str> {
    let path = &file.path();
    if file.symlink {
        return Err(workspace(format!(
            "{} is a symbolic link; handoff reads only regular files inside the workspace",
            path.display()
        )));
    }
    buf.clear();
    let file = open_regular(path)?;
    file.take(MAX_LEAD_BYTES + 1).read_to_end(buf).with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > MAX_LEAD_BYTES {
        return Err(workspace(format!(
            "{} is larger than the {MAX_LEAD_BYTES} bytes allowed; it is not a lead file handoff wrote",
            path.display()
        )));
    }
    let text = std::str::from_utf8(buf).map_err(|e| {
        workspace(format!("{} is not UTF-8 text (bad byte at offset {})", path.display(), e.valid_up_to()))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Open a file for reading without ever blocking: a FIFO or device named like a lead file
/// is opened non-blocking and refused on its type, so a scan never hangs on it.
pub fn open_regular(path: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const O_NONBLOCK: i32 = 0o4000;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const O_NONBLOCK: i32 = 0x0004;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file.metadata().with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        return Err(workspace(format!(
            "{} is not a regular file (a pipe, device or directory?); move it out of leads/",
            path.display()
        )));
    }
    Ok(file)
}

/// Which leads a scan needs. Skipping is decided from the file's text without parsing it,
/// and only for files handoff wrote in its canonical shape; anything unusual is parsed.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    /// Every lead.
    All,
    /// Leads that are not closed.
    Open,
    /// Open leads, and closed leads whose last event is at or after this instant (what a
    /// report for a past day needs).
    ActiveSince(jiff::Timestamp),
}

impl Want {
    /// Whether a lead, as the index summarises it, can be passed over.
    pub fn skips_summary(self, s: &Summary) -> bool {
        let closed = s.status == crate::lead::Status::Closed;
        match self {
            Want::All => false,
            Want::Open => closed,
            // Seconds rounded down: `last < since` for sure only when strictly below.
            Want::ActiveSince(since) => closed && s.last_event_at < since.as_second(),
        }
    }

    /// Whether a file's text can be passed over unparsed: only a closed lead in the
    /// writer's shape (see [`plainly_closed`]); anything unusual is parsed and judged.
    pub fn skips(self, text: &str) -> bool {
        match self {
            Want::All => false,
            Want::Open => plainly_closed(text),
            Want::ActiveSince(since) => plainly_closed(text) && last_event_at(text).is_some_and(|at| at < since),
        }
    }
}

/// The top-level keys of a lead file, in the order the writer puts them.
pub const LEAD_KEYS: [&str; 19] = [
    "id",
    "status",
    "created_at",
    "captured_by",
    "full_name",
    "primary_phone",
    "service_address",
    "market",
    "service_type",
    "urgency",
    "fit",
    "source",
    "referral",
    "notes",
    "next_action",
    "next_action_due",
    "follow_up_on",
    "owner",
    "history",
];

/// Whether a file is, without a YAML parse, certainly a closed lead: `id:` then exactly
/// `status: closed`, and every other line one a YAML reader cannot turn into a second
/// `status` (known top-level keys in the writer's order, each once; indented lines only
/// inside block text or history; `- ` items only in history; no conflict markers, document
/// markers, comments or tabs at line start). One pass over the bytes, no allocation.
pub fn plainly_closed(text: &str) -> bool {
    let mut lines = text.split('\n');
    let id_ok = lines.next().and_then(|l| l.strip_prefix("id: ")).is_some_and(LeadId::is_valid);
    if !id_ok || lines.next() != Some("status: closed") {
        return false;
    }
    let mut next_key = 2; // keys must come after `status`, in order
    let mut in_history = false;
    let mut items_ok = false;
    let mut indented_ok = false;
    for line in lines {
        match line.as_bytes().first() {
            None => continue,
            Some(b' ') if indented_ok => continue,
            Some(b'-') if items_ok && line.starts_with("- ") => {
                indented_ok = true;
                continue;
            }
            _ => {}
        }
        if in_history {
            return false; // history is the last key
        }
        let Some((key, rest)) = line.split_once(':') else { return false };
        let Some(i) = LEAD_KEYS[next_key..].iter().position(|k| *k == key) else { return false };
        next_key += i + 1;
        in_history = key == "history";
        items_ok = in_history && rest.is_empty();
        // Only block text (`|`, `|-`) has indented lines right after its key.
        indented_ok = matches!(rest, " |" | " |-");
    }
    true
}

/// The time of the last history event (events are appended oldest first).
fn last_event_at(text: &str) -> Option<jiff::Timestamp> {
    let start = text.rfind("\n- at: ")? + "\n- at: ".len();
    let line = text[start..].lines().next()?;
    line.trim().parse::<crate::clock::Stamp>().ok().map(|s| s.timestamp())
}

/// Hold a lead's vocabulary fields against `rules`. Matching is exact; a value equal to a
/// vocabulary word but for case is replaced by that word. Returns what did not match.
pub fn fit_vocabulary(rules: &crate::rules::Rules, lead: &mut Lead) -> Vec<String> {
    let mut problems = Vec::new();
    let v = &rules.vocabulary;
    for (name, slot, list) in [
        ("urgency", &mut lead.urgency, &v.urgency),
        ("fit", &mut lead.fit, &v.fit),
        ("source", &mut lead.source, &v.source),
        ("service_type", &mut lead.service_type, &v.service_type),
    ] {
        let Some(value) = slot.as_deref() else { continue };
        if list.iter().any(|w| w == value) {
            continue;
        }
        match list.iter().find(|w| w.eq_ignore_ascii_case(value.trim())) {
            Some(word) => {
                problems.push(format!("{name} `{value}` is not in the vocabulary as written; read as `{word}`"));
                *slot = Some(word.clone());
            }
            None => problems.push(format!(
                "{name} `{value}` is not in the vocabulary ({}); no rule naming a {name} applies to this lead",
                list.join(", ")
            )),
        }
    }
    problems
}

/// A lead file that could not be read: its path relative to the root, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanError {
    pub file: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_stats_and_types_files_as_std_does() {
        let dir = tempfile::tempdir().unwrap();
        let month = dir.path().join("2026/11");
        fs::create_dir_all(&month).unwrap();
        fs::write(month.join("20261124-aaaaaaaaa.yaml"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", month.join("20261124-bbbbbbbbb.yaml")).unwrap();
        fs::create_dir(month.join("stray")).unwrap();
        let mut files = Vec::new();
        let mut others = Vec::new();
        list_yaml(&month, dir.path(), &mut files, true, |name, kind| others.push((name.to_owned(), kind))).unwrap();
        files.sort_by(|a, b| a.name().cmp(b.name()));
        assert_eq!(files.len(), 2);
        for f in &files {
            let meta = fs::symlink_metadata(f.path()).unwrap();
            assert_eq!(f.stat, Some(super::super::index::Stat::of(&meta)), "{:?}", f.path());
            assert_eq!(f.symlink, meta.file_type().is_symlink());
        }
        assert!(files[1].symlink);
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].0, "stray");
        assert!(others[0].1.is_some_and(|k| k.is_dir()));
        assert!(list_yaml(&dir.path().join("gone"), dir.path(), &mut files, true, |_, _| ()).is_err());
    }

    #[test]
    fn an_unchanged_open_lead_comes_from_the_index_brief() {
        let (_dir, ws, path) = crate::store::test_workspace_with_lead("notes: kept in the file\n");
        let rules = crate::rules::Rules::parse(&crate::rules::default_rules("America/Chicago")).unwrap();
        let notes = |brief: bool| {
            let scan = |l: Lead| Some(l.notes);
            let (found, errors) = if brief {
                ws.scan_checked_brief(&rules, Want::Open, |_| true, |_| true, scan).unwrap()
            } else {
                ws.scan_checked_where(&rules, Want::Open, |_| true, scan).unwrap()
            };
            assert!(errors.is_empty(), "{errors:?}");
            found
        };
        let from_file = vec![Some("kept in the file".to_owned())];
        assert_eq!(notes(true), from_file, "the first scan reads the file (and indexes it)");
        assert_eq!(notes(true), vec![None], "then the brief, which leaves the notes out");
        assert_eq!(notes(false), from_file, "a scan that needs the whole lead still reads the file");
        // A hand edit changes the stat: the file is read again.
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap().replace("kept in", "edited in")).unwrap();
        assert_eq!(notes(true), vec![Some("edited in the file".to_owned())]);
    }

    #[test]
    fn closed_leads_are_skipped_from_their_status_line() {
        let closed = "id: 20261124-abcdefghj\nstatus: closed\nhistory:\n- at: 2026-11-24T07:00:00-06:00\n  by: ana\n- at: 2026-11-24T09:00:00-06:00\n  by: dev\n";
        let open = closed.replace("status: closed", "status: accepted");
        let nine: jiff::Timestamp = "2026-11-24T15:00:00Z".parse().unwrap();
        let ten: jiff::Timestamp = "2026-11-24T16:00:00Z".parse().unwrap();
        assert!(Want::Open.skips(closed));
        assert!(!Want::Open.skips(&open));
        assert!(!Want::All.skips(closed));
        assert!(!Want::ActiveSince(nine).skips(closed));
        assert!(Want::ActiveSince(ten).skips(closed));
        assert!(!Want::Open.skips("garbage"));
    }

    #[test]
    fn only_plainly_closed_files_are_skipped() {
        let closed = "id: 20261124-abcdefghj\nstatus: closed\nnotes: |-\n  a\n\n  b\nowner: dev\nhistory:\n- at: 2026-11-24T07:00:00-06:00\n  by: ana\n  text: |-\n    x\n";
        assert!(plainly_closed(closed));
        for odd in [
            closed.replace("status: closed\n", "status: closed\n<<<<<<< ours\n"),
            closed.replace("owner: dev\n", "owner: dev\nstatus: intake\n"),
            closed.replace("owner: dev\n", "owner: dev\nurgency: low\n"),
            closed.replace("status: closed", "status:  closed"),
            closed.replace("status: closed", "status: Closed"),
            closed.replace("owner: dev\n", "owner: dev\n  status: intake\n"),
            closed.replace("owner: dev\n", "owner: dev\n---\n"),
            closed.to_owned() + "owner: sam\n",
            "status: closed\nid: 20261124-abcdefghj\n".to_owned(),
        ] {
            assert!(!plainly_closed(&odd), "{odd}");
        }
    }

    #[test]
    fn lead_keys_follow_the_record() {
        let lead: Lead = serde_norway::from_str(
            "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n",
        )
        .unwrap();
        let v = serde_norway::to_value(&lead).unwrap();
        let keys: Vec<&str> = v.as_mapping().unwrap().keys().filter_map(|k| k.as_str()).collect();
        let mut at = 0;
        for k in keys {
            at += LEAD_KEYS[at..].iter().position(|x| *x == k).expect("a key LEAD_KEYS lacks, or out of order");
        }
    }
}
