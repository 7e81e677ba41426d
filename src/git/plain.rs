//! A repository in the plain shape handoff reads and writes without running git: `.git` a
//! directory at the top of the work tree, owned by this user, SHA-1, no `extensions`, no
//! includes, no environment redirecting git (`GIT_DIR`, `GIT_INDEX_FILE`, config
//! parameters, ...). Anything else is `None`, and callers run git as before.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::objects::{Oid, parse_hex};

/// The environment variables that redirect git to another repository, index, object
/// store or configuration (git's own `local_repo_env`, and discovery's): set, and git is
/// left to find its way.
const REDIRECTING_ENV: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_NAMESPACE",
    "GIT_INDEX_VERSION",
    "GIT_QUARANTINE_PATH",
];

fn redirected() -> bool {
    std::env::vars_os().any(|(k, _)| {
        k.to_str().is_some_and(|k| {
            REDIRECTING_ENV.contains(&k)
                || k.starts_with("GIT_TEST_")
                || k.starts_with("GIT_CONFIG_KEY_")
                || k.starts_with("GIT_CONFIG_VALUE_")
        })
    })
}

/// The work tree holding `dir` when the nearest `.git` is a plain repository's, found as
/// git's discovery would (not across file systems; `.git` holding `HEAD`, `objects/`,
/// `refs/`). `None`: ask git.
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    let dev = std::fs::metadata(&dir).ok()?.dev();
    for d in dir.ancestors() {
        if std::fs::metadata(d).ok()?.dev() != dev {
            return None;
        }
        let dot_git = d.join(".git");
        if !dot_git.exists() {
            continue;
        }
        let valid = dot_git.join("HEAD").is_file() && dot_git.join("objects").is_dir() && dot_git.join("refs").is_dir();
        return (valid && Plain::open(d).is_some()).then(|| d.to_path_buf());
    }
    None
}

/// A plain repository.
pub struct Plain {
    pub top: PathBuf,
    pub git_dir: PathBuf,
    pub perm: SharedPerm,
}

impl Plain {
    /// The plain repository whose work tree is `top`, if it is one.
    pub fn open(top: &Path) -> Option<Plain> {
        if redirected() {
            return None;
        }
        let git_dir = top.join(".git");
        let meta = std::fs::metadata(&git_dir).ok()?;
        // Another user's repository is subject to git's safe.directory rules: git decides.
        let me = std::fs::metadata("/proc/self").ok()?.uid();
        if !meta.is_dir() || meta.uid() != me || git_dir.join("commondir").exists() {
            return None;
        }
        let config = std::fs::read_to_string(git_dir.join("config")).ok()?;
        let perm = plain_config(&config)?;
        Some(Plain { top: top.to_path_buf(), git_dir, perm })
    }

    pub fn objects(&self) -> PathBuf {
        self.git_dir.join("objects")
    }

    /// HEAD's commit, if HEAD is a branch with a commit (or detached) and its ref is a
    /// plain file or packed. `None`: an unborn branch or anything unusual.
    pub fn head(&self) -> Result<Option<Oid>> {
        let head = std::fs::read_to_string(self.git_dir.join("HEAD")).context("cannot read .git/HEAD")?;
        let head = head.trim_end_matches('\n');
        let Some(target) = head.strip_prefix("ref: ") else { return Ok(parse_hex(head)) };
        if !target.starts_with("refs/heads/") || target.split('/').any(|c| c.is_empty() || c.starts_with('.')) {
            return Ok(None);
        }
        match std::fs::read_to_string(self.git_dir.join(target)) {
            Ok(text) => return Ok(parse_hex(text.trim_end_matches('\n'))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Ok(None),
        }
        let packed = match std::fs::read_to_string(self.git_dir.join("packed-refs")) {
            Ok(p) => p,
            Err(_) => return Ok(None),
        };
        Ok(packed
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
            .find_map(|l| l.split_once(' ').filter(|(_, name)| *name == target).and_then(|(oid, _)| parse_hex(oid))))
    }
}

/// The repository's own config file read for what decides plainness: `None` when it names
/// extensions, includes, a bare repository or another work tree, or a file mode git would
/// apply that is not understood here. Otherwise the shared-repository permissions.
fn plain_config(text: &str) -> Option<SharedPerm> {
    let mut section = String::new();
    let mut perm = SharedPerm::Umask;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let end = rest.find(']')?;
            let header = rest[..end].trim();
            // `[section "sub"]` and the old `[section.sub]`: the section is the first word.
            let name = header.split([' ', '"', '.']).next().unwrap_or("");
            section = name.to_ascii_lowercase();
            if section == "extensions" || section == "include" || section == "includeif" {
                return None;
            }
            if !rest[end + 1..].trim().is_empty() {
                // `[core] bare = true` on one line: not read here.
                return None;
            }
            continue;
        }
        if section != "core" {
            continue;
        }
        if line.ends_with('\\') {
            // A continued value: too clever for this reader.
            return None;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(unquote(v.trim())?)),
            None => (line.to_ascii_lowercase(), None),
        };
        let v = value.as_deref();
        let unusual = match key.as_str() {
            "repositoryformatversion" => !matches!(v, Some("0" | "1")),
            "bare" => v.is_none_or(|v| truthy(v) != Some(false)),
            "worktree" | "hookspath" | "fsmonitor" => true,
            // Split mode is what the index writer keeps; git alone turns it off.
            "splitindex" => v.map_or(Some(true), truthy) != Some(true),
            _ => false,
        };
        if unusual {
            return None;
        }
        if key == "sharedrepository" {
            perm = SharedPerm::parse(v)?;
        }
    }
    Some(perm)
}

/// A config value without its quotes and trailing comment; `None` for escapes.
fn unquote(v: &str) -> Option<String> {
    let mut out = String::new();
    let mut quoted = false;
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            '\\' => return None,
            '#' | ';' if !quoted => break,
            c => out.push(c),
        }
    }
    (!quoted).then(|| out.trim_end().to_owned())
}

fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" | "" => Some(false),
        _ => None,
    }
}

/// `core.sharedRepository`: the permissions git adds to the files and directories it
/// creates (git's `adjust_shared_perm`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SharedPerm {
    Umask,
    /// Add these permission bits (0660 group, 0664 everybody).
    Add(u32),
    /// Set exactly these (an octal `core.sharedRepository`).
    Exactly(u32),
}

impl SharedPerm {
    fn parse(value: Option<&str>) -> Option<SharedPerm> {
        let Some(v) = value else { return Some(SharedPerm::Add(0o660)) };
        match v {
            "umask" => return Some(SharedPerm::Umask),
            "group" => return Some(SharedPerm::Add(0o660)),
            "all" | "world" | "everybody" => return Some(SharedPerm::Add(0o664)),
            _ => {}
        }
        match u32::from_str_radix(v, 8) {
            Ok(0) => Some(SharedPerm::Umask),
            Ok(1) => Some(SharedPerm::Add(0o660)),
            Ok(2) => Some(SharedPerm::Add(0o664)),
            Ok(m) if m & 0o600 == 0o600 && m <= 0o777 => Some(SharedPerm::Exactly(m & 0o666)),
            Ok(_) => None,
            Err(_) => truthy(v).map(|t| if t { SharedPerm::Add(0o660) } else { SharedPerm::Umask }),
        }
    }

    /// git's `calc_shared_perm` for a file created with `mode`.
    pub fn file(&self, mode: u32) -> u32 {
        let (mut tweak, exact) = match *self {
            SharedPerm::Umask => return mode,
            SharedPerm::Add(t) => (t, false),
            SharedPerm::Exactly(t) => (t, true),
        };
        if mode & 0o200 == 0 {
            tweak &= !0o222;
        }
        if mode & 0o100 != 0 {
            tweak |= (tweak & 0o444) >> 2;
        }
        if exact { (mode & !0o777) | tweak } else { mode | tweak }
    }

    /// Apply git's `adjust_shared_perm` to a file just created.
    pub fn adjust_file(&self, path: &Path) -> Result<()> {
        self.adjust(path, false)
    }

    /// Apply git's `adjust_shared_perm` to a directory just created.
    pub fn adjust_dir(&self, path: &Path) -> Result<()> {
        self.adjust(path, true)
    }

    fn adjust(&self, path: &Path, dir: bool) -> Result<()> {
        if *self == SharedPerm::Umask {
            return Ok(());
        }
        let old = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.mode() & 0o7777;
        let mut new = self.file(old);
        if dir {
            new |= (new & 0o444) >> 2;
            if new & 0o060 != 0 {
                new |= 0o2000;
            }
        }
        if new != old {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(new))
                .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_config_is_told_from_an_unusual_one() {
        let init =
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";
        assert_eq!(plain_config(init), Some(SharedPerm::Umask));
        let shared = format!("{init}\tsharedrepository = 1\n[receive]\n\tdenyNonFastforwards = true\n");
        assert_eq!(plain_config(&shared), Some(SharedPerm::Add(0o660)));
        assert_eq!(plain_config("[core]\n\tsharedRepository = 0640\n"), Some(SharedPerm::Exactly(0o640)));
        let merge = "[merge \"handoff\"]\n\tdriver = \"if [ -x '/x' ]; then exec '/x' merge-driver %O %A %B %P; fi\"\n";
        assert_eq!(plain_config(&format!("{init}{merge}")), Some(SharedPerm::Umask));
        for unusual in [
            "[extensions]\n\tobjectformat = sha256\n",
            "[core]\n\trepositoryformatversion = 2\n",
            "[core]\n\tbare = true\n",
            "[core]\n\tbare\n",
            "[core]\n\tworktree = /elsewhere\n",
            "[include]\n\tpath = other\n",
            "[includeIf \"gitdir:/x/\"]\n\tpath = other\n",
            "[core]\n\tsplitIndex = false\n",
            "[core]\n\tworktree = \"/a\\\\b\"\n",
            "[core]\n\thooksPath = /hooks\n",
            "[core]\n\tsharedRepository = 0200\n",
        ] {
            assert_eq!(plain_config(unusual), None, "{unusual}");
        }
    }

    #[test]
    fn shared_permissions_follow_git() {
        let group = SharedPerm::Add(0o660);
        assert_eq!(group.file(0o444), 0o444);
        assert_eq!(group.file(0o644), 0o664);
        assert_eq!(group.file(0o755), 0o775);
        assert_eq!(SharedPerm::Exactly(0o640).file(0o666), 0o640);
        assert_eq!(SharedPerm::Umask.file(0o600), 0o600);
    }
}
