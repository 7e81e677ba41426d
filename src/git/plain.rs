//! A repository in the plain shape handoff reads and writes without running git: `.git` a
//! directory at the top of the work tree, owned by this user, SHA-1, no `extensions`, no
//! includes, no environment redirecting git (`GIT_DIR`, `GIT_INDEX_FILE`, config
//! parameters, ...). Anything else is `None`, and callers run git as before.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::config::{Config, truthy};
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
    /// How files are written here, as git would.
    pub writes: Writes,
    pub config: Config,
}

/// How git writes files in a repository: with its shared-repository permissions, and
/// synced to disk before they are renamed into place when `core.fsync` (or the older
/// `core.fsyncObjectFiles`) asks for it (then everything written here is).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Writes {
    pub perm: SharedPerm,
    pub durable: bool,
}

impl Writes {
    /// git's defaults: the umask, no fsync of loose objects, the index or refs.
    pub const DEFAULT: Writes = Writes { perm: SharedPerm::Umask, durable: false };

    /// Write a new file (mode 0666 less the umask, then the shared permissions), synced
    /// when durable.
    pub fn create(&self, path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
        if self.durable {
            file.sync_all().with_context(|| format!("cannot sync {}", path.display()))?;
        }
        match mode {
            Some(m) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(self.perm.file(m)))
                .with_context(|| format!("cannot set the permissions of {}", path.display())),
            None => self.perm.adjust_file(path),
        }
    }
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
        let config = Config::load(&git_dir)?;
        let perm = plain_config(&config)?;
        let durable = ["fsync", "fsyncobjectfiles", "fsyncmethod"].iter().any(|k| config.is_set("core", k));
        Some(Plain { top: top.to_path_buf(), git_dir, writes: Writes { perm, durable }, config })
    }

    pub fn objects(&self) -> PathBuf {
        self.git_dir.join("objects")
    }

    /// Whether git would run a hook named `name` (or may: hooks configured elsewhere).
    pub fn has_hook(&self, name: &str) -> bool {
        self.config.is_set("core", "hookspath") || self.git_dir.join("hooks").join(name).exists()
    }

    /// Whether git could store a file under `dirs` otherwise than as its bytes: end-of-line
    /// conversion, or attributes (a filter, `text`, `eol`, `ident`, an encoding) from any
    /// attributes file but a `.gitattributes` that only names merge drivers.
    pub fn converts(&self, dirs: &[String]) -> bool {
        let autocrlf = self.config.get("core", "autocrlf").is_some_and(|e| {
            e.value.as_deref().is_none_or(|v| v.eq_ignore_ascii_case("input") || truthy(v) != Some(false))
        });
        if autocrlf || self.config.system_says("core", "autocrlf") || self.config.is_set("core", "attributesfile") {
            return true;
        }
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        let global = match std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
            Some(x) => Some(PathBuf::from(x).join("git/attributes")),
            None => home.map(|h| h.join(".config/git/attributes")),
        };
        let system = ["/etc".into(), super::config::git_prefix().unwrap_or_default().join("etc")]
            .map(|d: PathBuf| d.join("gitattributes"));
        let outside = global.into_iter().chain(system).chain([self.git_dir.join("info/attributes")]);
        let in_tree = dirs.iter().map(|d| self.top.join(d).join(".gitattributes"));
        outside.chain(in_tree).any(|path| {
            std::fs::read_to_string(&path)
                .map_or_else(|e| e.kind() != std::io::ErrorKind::NotFound, |text| !only_merge_attributes(&text))
        })
    }

    /// HEAD's commit, if HEAD is a branch with a commit (or detached) and its ref is a
    /// plain file or packed. `None`: an unborn branch or anything unusual.
    pub fn head(&self) -> Result<Option<Oid>> {
        let head = std::fs::read_to_string(self.git_dir.join("HEAD")).context("cannot read .git/HEAD")?;
        let head = head.trim_end_matches('\n');
        match head.strip_prefix("ref: ") {
            None => Ok(parse_hex(head)),
            Some(_) => match super::refs::head_branch(&self.git_dir)? {
                Some(branch) => super::refs::read_ref(&self.git_dir, &branch),
                None => Ok(None),
            },
        }
    }
}

/// Whether an attributes file sets nothing but merge drivers (`leads/**/*.yaml
/// merge=handoff`, what `handoff init` writes).
fn only_merge_attributes(text: &str) -> bool {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).all(|line| {
        let mut words = line.split_whitespace();
        let _pattern = words.next();
        words.all(|a| {
            let name = a.trim_start_matches(['-', '!']);
            name == "merge" || name.starts_with("merge=")
        })
    })
}

/// What the configuration says of the repository's shape: `None` when it names
/// extensions, a bare repository, another work tree, a file system monitor or an index
/// git is to unsplit, or a file mode not understood here. Otherwise the permissions of
/// a shared repository.
fn plain_config(config: &Config) -> Option<SharedPerm> {
    if config.local.iter().any(|e| e.section == "extensions") {
        return None;
    }
    let value = |key: &str| config.get("core", key).map(|e| e.value.as_deref());
    if !matches!(
        config
            .local
            .iter()
            .rfind(|e| e.section == "core" && e.key == "repositoryformatversion")
            .map(|e| e.value.as_deref()),
        None | Some(Some("0" | "1"))
    ) {
        return None;
    }
    let unusual = value("bare").is_some_and(|v| v.is_none_or(|v| truthy(v) != Some(false)))
        || config.is_set("core", "worktree")
        || config.is_set("core", "fsmonitor")
        // Split mode is what the index writer keeps; git alone turns it off.
        || value("splitindex").is_some_and(|v| v.map_or(Some(true), truthy) != Some(true))
        || config.system_says("core", "splitindex")
        || config.system_says("core", "sharedrepository");
    if unusual {
        return None;
    }
    match value("sharedrepository") {
        None => Some(SharedPerm::Umask),
        Some(v) => SharedPerm::parse(v),
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

    fn plain(text: &str) -> Option<SharedPerm> {
        plain_config(&Config::local_only(text)?)
    }

    #[test]
    fn a_plain_config_is_told_from_an_unusual_one() {
        let init =
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";
        assert_eq!(plain(init), Some(SharedPerm::Umask));
        let shared = format!("{init}\tsharedrepository = 1\n[receive]\n\tdenyNonFastforwards = true\n");
        assert_eq!(plain(&shared), Some(SharedPerm::Add(0o660)));
        assert_eq!(plain("[core]\n\tsharedRepository = 0640\n"), Some(SharedPerm::Exactly(0o640)));
        let merge = "[merge \"handoff\"]\n\tdriver = \"if [ -x '/x' ]; then exec '/x' merge-driver %O %A %B %P; fi\"\n";
        assert_eq!(plain(&format!("{init}{merge}")), Some(SharedPerm::Umask));
        assert_eq!(plain("[core]\n\tsplitIndex = true\n"), Some(SharedPerm::Umask));
        for unusual in [
            "[extensions]\n\tobjectformat = sha256\n",
            "[core]\n\trepositoryformatversion = 2\n",
            "[core]\n\tbare = true\n",
            "[core]\n\tbare\n",
            "[core]\n\tworktree = /elsewhere\n",
            "[core]\n\tsplitIndex = false\n",
            "[core]\n\tfsmonitor = true\n",
            "[core]\n\tsharedRepository = 0200\n",
        ] {
            assert_eq!(plain(unusual), None, "{unusual}");
        }
    }

    #[test]
    fn only_merge_drivers_leave_a_file_as_its_bytes() {
        assert!(only_merge_attributes("# handoff\nleads/**/*.yaml merge=handoff\n*.txt -merge\n"));
        for converting in
            ["*.yaml text eol=crlf\n", "leads/** filter=crypt\n", "* ident\n", "*.yaml working-tree-encoding=UTF-16\n"]
        {
            assert!(!only_merge_attributes(converting), "{converting}");
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
