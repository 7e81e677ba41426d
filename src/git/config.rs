//! git's config files, read as git reads them for what a commit written in-process depends
//! on: the system files, the global ones (`include.path` followed), the repository's.
//! A file that cannot be read for sure (a conditional include, a syntax git would refuse)
//! makes the whole reading `None`, and git does the work.

use std::path::{Path, PathBuf};

/// One `key = value` of a config file.
#[derive(Debug, PartialEq)]
pub struct Entry {
    /// Lowercase.
    pub section: String,
    pub subsection: Option<String>,
    /// Lowercase.
    pub key: String,
    /// `None`: the key alone (a boolean true).
    pub value: Option<String>,
}

/// Every setting git sees for a repository, in the order it reads them (later ones win).
pub struct Config {
    /// The system and global files' entries.
    pub outer: Vec<Entry>,
    /// The repository's own file's entries.
    pub local: Vec<Entry>,
    /// Whether the system files found may not be the one git reads: then what they say is
    /// only known as "may be set" (see [`Config::system_says`]).
    system_unsure: bool,
    /// The keys the system files set.
    system_keys: Vec<(String, String)>,
}

impl Config {
    /// The configuration of the repository at `git_dir`; `None` when it cannot be read
    /// for sure.
    pub fn load(git_dir: &Path) -> Option<Config> {
        let mut outer = Vec::new();
        let mut system_keys = Vec::new();
        // Which system file git reads depends on how it was built: unless named by
        // GIT_CONFIG_SYSTEM, none of the candidates is trusted to speak for it.
        let system_unsure = std::env::var_os("GIT_CONFIG_SYSTEM").is_none();
        for path in &system_configs() {
            let mut entries = Vec::new();
            read_file(path, &mut entries, 0)?;
            system_keys.extend(entries.iter().map(|e| (e.section.clone(), e.key.clone())));
            if !system_unsure {
                outer.extend(entries);
            }
        }
        for path in global_configs() {
            read_file(&path, &mut outer, 0)?;
        }
        let mut local = Vec::new();
        read_file(&git_dir.join("config"), &mut local, 0)?;
        Some(Config { outer, local, system_unsure, system_keys })
    }

    /// A configuration of the repository's file alone (tests).
    #[cfg(test)]
    pub fn local_only(text: &str) -> Option<Config> {
        Some(Config { outer: Vec::new(), local: parse(text)?, system_unsure: false, system_keys: Vec::new() })
    }

    /// The last value of `section.key` (no subsection) git sees.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        self.outer.iter().chain(&self.local).rfind(|e| e.section == section && e.subsection.is_none() && e.key == key)
    }

    /// Whether a system file git might read sets `section.key`.
    pub fn system_says(&self, section: &str, key: &str) -> bool {
        self.system_unsure && self.system_keys.iter().any(|(s, k)| s == section && k == key)
    }

    /// Whether `section.key` is set anywhere (or may be, by a system file).
    pub fn is_set(&self, section: &str, key: &str) -> bool {
        self.get(section, key).is_some() || self.system_says(section, key)
    }
}

/// Read a config file (a missing one is empty) into `out`, following `include.path`.
fn read_file(path: &Path, out: &mut Vec<Entry>, depth: usize) -> Option<()> {
    if depth > 10 {
        return None;
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).ok()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::NotADirectory => {
            return Some(());
        }
        Err(_) => return None,
    };
    for e in parse(&text)? {
        match e.section.as_str() {
            // Conditions on the repository, the branch, other config: git's to judge.
            "includeif" => return None,
            "include" if e.key == "path" => {
                let target = e.value.as_deref()?;
                let target = match target.strip_prefix("~/") {
                    Some(rest) => PathBuf::from(std::env::var_os("HOME")?).join(rest),
                    None => path.parent()?.join(target),
                };
                read_file(&target, out, depth + 1)?;
            }
            _ => out.push(e),
        }
    }
    Some(())
}

fn env_true(k: &str) -> bool {
    std::env::var(k).is_ok_and(|v| truthy(&v) == Some(true))
}

/// A config boolean.
pub fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" | "" => Some(false),
        _ => None,
    }
}

/// A config integer (`6700`, `10k`).
pub fn int(v: &str) -> Option<i64> {
    let v = v.trim();
    let (digits, unit) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (&v[..i], 1 << 10),
        (i, 'm' | 'M') => (&v[..i], 1 << 20),
        (i, 'g' | 'G') => (&v[..i], 1 << 30),
        _ => (v, 1),
    };
    digits.parse::<i64>().ok().map(|n| n.saturating_mul(unit))
}

/// The prefix of the `git` found on PATH (`/usr/local` for `/usr/local/bin/git`).
pub fn git_prefix() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let git = std::env::split_paths(&path).map(|d| d.join("git")).find(|g| g.is_file())?;
    git.parent()?.parent().map(Path::to_path_buf)
}

/// The system config files git may read: `GIT_CONFIG_SYSTEM`, else `/etc/gitconfig` and
/// the one beside the `git` found on PATH (`<prefix>/etc/gitconfig`), those that exist.
fn system_configs() -> Vec<PathBuf> {
    if env_true("GIT_CONFIG_NOSYSTEM") {
        return Vec::new();
    }
    if let Some(p) = std::env::var_os("GIT_CONFIG_SYSTEM") {
        return vec![PathBuf::from(p)];
    }
    let mut paths = vec![PathBuf::from("/etc/gitconfig")];
    if let Some(beside) = git_prefix().map(|p| p.join("etc/gitconfig"))
        && !paths.contains(&beside)
    {
        paths.push(beside);
    }
    paths.retain(|p| p.exists());
    paths
}

/// The global config files, in the order git reads them.
fn global_configs() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("GIT_CONFIG_GLOBAL") {
        return vec![PathBuf::from(p)];
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let xdg = match std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        Some(x) => Some(PathBuf::from(x).join("git/config")),
        None => home.as_ref().map(|h| h.join(".config/git/config")),
    };
    xdg.into_iter().chain(home.map(|h| h.join(".gitconfig"))).collect()
}

/// A config file's entries, as git's config parser reads them; `None` where it would
/// refuse the file.
pub fn parse(text: &str) -> Option<Vec<Entry>> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let (mut section, mut subsection) = (None::<String>, None::<String>);
    let at = |i: usize| chars.get(i).copied();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || (i == 0 && c == '\u{feff}') {
            i += 1;
            continue;
        }
        if c == '#' || c == ';' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '[' {
            i += 1;
            let mut name = String::new();
            while let Some(c) = at(i) {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    name.push(c.to_ascii_lowercase());
                    i += 1;
                } else {
                    break;
                }
            }
            subsection = None;
            if at(i).is_some_and(char::is_whitespace) {
                while at(i).is_some_and(|c| c == ' ' || c == '\t') {
                    i += 1;
                }
                if at(i) != Some('"') {
                    return None;
                }
                i += 1;
                let mut sub = String::new();
                loop {
                    match at(i)? {
                        '"' => break,
                        '\n' => return None,
                        '\\' => {
                            i += 1;
                            sub.push(at(i)?);
                        }
                        c => sub.push(c),
                    }
                    i += 1;
                }
                i += 1;
                subsection = Some(sub);
            } else if let Some((base, sub)) = name.clone().split_once('.') {
                // The old `[section.sub]` form.
                name = base.to_owned();
                subsection = Some(sub.to_owned());
            }
            if at(i) != Some(']') || name.is_empty() {
                return None;
            }
            i += 1;
            section = Some(name);
            continue;
        }
        if !c.is_ascii_alphabetic() {
            return None;
        }
        let mut key = String::new();
        while let Some(c) = at(i) {
            if c.is_ascii_alphanumeric() || c == '-' {
                key.push(c.to_ascii_lowercase());
                i += 1;
            } else {
                break;
            }
        }
        while at(i).is_some_and(|c| c == ' ' || c == '\t') {
            i += 1;
        }
        let value = match at(i) {
            None | Some('\n') => None,
            Some('#' | ';') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
                None
            }
            Some('=') => {
                i += 1;
                Some(parse_value(&chars, &mut i)?)
            }
            Some(_) => return None,
        };
        out.push(Entry { section: section.clone()?, subsection: subsection.clone(), key, value });
    }
    Some(out)
}

/// git's `parse_value`: quotes, escapes, comments, trailing blanks trimmed, `\` newline.
fn parse_value(chars: &[char], i: &mut usize) -> Option<String> {
    let (mut quote, mut comment) = (false, false);
    let mut value = String::new();
    let mut trim_len: Option<usize> = None;
    loop {
        let c = chars.get(*i).copied().unwrap_or('\n');
        *i += 1;
        if c == '\n' {
            if quote {
                return None;
            }
            if let Some(t) = trim_len {
                value.truncate(t);
            }
            return Some(value);
        }
        if comment {
            continue;
        }
        // git's `isspace`: ASCII blanks only (a no-break space is part of the value).
        if matches!(c, ' ' | '\t' | '\r') && !quote {
            if trim_len.is_none() {
                trim_len = Some(value.len());
            }
            if !value.is_empty() {
                value.push(c);
            }
            continue;
        }
        if !quote && (c == ';' || c == '#') {
            comment = true;
            continue;
        }
        trim_len = None;
        if c == '\\' {
            let e = chars.get(*i).copied().unwrap_or('\n');
            *i += 1;
            match e {
                '\n' => continue,
                't' => value.push('\t'),
                'b' => value.push('\u{8}'),
                'n' => value.push('\n'),
                '\\' | '"' => value.push(e),
                _ => return None,
            }
            continue;
        }
        if c == '"' {
            quote = !quote;
            continue;
        }
        value.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_git_reads_them() {
        let text = "[user]\n\tname = \"Ana  Intake\" ; a comment\n\temail = ana@example.com   \n\
                    [merge \"handoff\"]\n\tdriver = \"if [ -x '/x' ]; then exec '/x' %O; fi\"\n\
                    [core]\n\tbare\n[old.style]\n\tkey = a\\\n b\n";
        let entries = parse(text).unwrap();
        let get = |s: &str, k: &str| entries.iter().find(|e| e.section == s && e.key == k).map(|e| e.value.clone());
        assert_eq!(get("user", "name"), Some(Some("Ana  Intake".to_owned())));
        assert_eq!(get("user", "email"), Some(Some("ana@example.com".to_owned())));
        assert_eq!(get("merge", "driver"), Some(Some("if [ -x '/x' ]; then exec '/x' %O; fi".to_owned())));
        assert_eq!(get("core", "bare"), Some(None));
        let old = entries.iter().find(|e| e.section == "old").unwrap();
        assert_eq!((old.subsection.as_deref(), old.value.as_deref()), (Some("style"), Some("a b")));
        // Blanks are ASCII ones to git: a no-break space is part of the value.
        let entries = parse("[user]\n\tname = Ana\tIntake\n\temail = \u{3000}ana@example.com\u{a0}\n").unwrap();
        assert_eq!(entries[0].value.as_deref(), Some("Ana\tIntake"));
        assert_eq!(entries[1].value.as_deref(), Some("\u{3000}ana@example.com\u{a0}"));
        assert!(parse("[user]\n\tname = \"unterminated\n").is_none());
        assert!(parse("[user]\n\tname = bad \\q escape\n").is_none());
    }

    #[test]
    fn includes_are_followed_and_conditional_ones_left_to_git() {
        let tmp = tempfile::tempdir().unwrap();
        let main = tmp.path().join("main");
        std::fs::write(tmp.path().join("more"), "[user]\n\tname = Included\n").unwrap();
        std::fs::write(&main, "[user]\n\tname = First\n[include]\n\tpath = more\n").unwrap();
        let mut out = Vec::new();
        read_file(&main, &mut out, 0).unwrap();
        assert_eq!(out.last().and_then(|e| e.value.as_deref()), Some("Included"));
        std::fs::write(&main, "[includeIf \"gitdir:/x/\"]\n\tpath = more\n").unwrap();
        assert!(read_file(&main, &mut Vec::new(), 0).is_none());
        std::fs::write(&main, "[include]\n\tpath = main\n").unwrap();
        assert!(read_file(&main, &mut Vec::new(), 0).is_none(), "an include loop");
        assert!(read_file(&tmp.path().join("missing"), &mut Vec::new(), 0).is_some());
    }
}
