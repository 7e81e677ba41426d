//! Who commits, as git would say it, without running git: `GIT_COMMITTER_*`, then
//! `committer.*` and `user.*` from the config files git reads (system, global, the
//! repository's), and the clock in the local time zone. Anything this reader cannot be
//! sure of (an include, a system config naming an identity, no identity configured, a
//! commit encoding, `GIT_COMMITTER_DATE`, a `core.hooksPath` whose hooks git would run
//! when the branch moves) answers `None`, and git is asked instead.

use std::path::{Path, PathBuf};

/// A committer as written in a commit and a reflog line: `Name <email>`, the time (Unix
/// seconds) and the time zone offset (`+0100`).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name_email: String,
    pub seconds: i64,
    pub offset: String,
}

impl Ident {
    pub fn line(&self) -> String {
        format!("{} {} {}", self.name_email, self.seconds, self.offset)
    }
}

/// The committer `git commit-tree` would use in the repository at `git_dir`, now.
pub fn committer(git_dir: &Path) -> Option<Ident> {
    if std::env::var_os("GIT_COMMITTER_DATE").is_some() {
        return None;
    }
    let mut config = Settings::default();
    for path in system_configs() {
        let text = read_optional(&path)?;
        let entries = parse(&text)?;
        // A system file could name the committer, and git may read another one than
        // these: with an identity in it, git decides.
        let identity =
            |e: &ConfigEntry| matches!(e.section.as_str(), "user" | "committer" | "i18n" | "include" | "includeif");
        if entries.iter().any(|e| identity(e) || (e.section == "core" && e.key == "hookspath")) {
            return None;
        }
    }
    for path in global_configs() {
        config.read(&read_optional(&path)?)?;
    }
    config.read(&read_optional(&git_dir.join("config"))?)?;
    let env = |k: &str| std::env::var(k).ok();
    let name = env("GIT_COMMITTER_NAME").or(config.committer_name).or(config.user_name)?;
    let email = env("GIT_COMMITTER_EMAIL").or(config.committer_email).or(config.user_email)?;
    let (seconds, offset) = now_local()?;
    Some(Ident { name_email: name_email(&name, &email)?, seconds, offset })
}

/// `Name <email>` as git's `fmt_ident` writes it; `None` where git would refuse it.
pub fn name_email(name: &str, email: &str) -> Option<String> {
    let name = without_crud(name);
    if name.is_empty() {
        return None;
    }
    Some(format!("{name} <{}>", without_crud(email)))
}

/// git's `strbuf_addstr_without_crud`: no crud at either end, no `<`, `>` or newline.
fn without_crud(s: &str) -> String {
    let crud = |c: char| (c as u32) <= 32 || matches!(c, ',' | ':' | ';' | '<' | '>' | '"' | '\\' | '\'');
    s.trim_matches(crud).chars().filter(|c| !matches!(c, '\n' | '<' | '>')).collect()
}

/// A time as git writes it in an ident: Unix seconds and `+hhmm`, from RFC 3339.
pub fn git_date(rfc3339: &str) -> Option<(i64, String)> {
    let ts: jiff::Timestamp = rfc3339.parse().ok()?;
    if rfc3339.ends_with(['Z', 'z']) {
        return Some((ts.as_second(), "+0000".to_owned()));
    }
    let tail = rfc3339.get(rfc3339.len().checked_sub(6)?..)?.as_bytes();
    let digits = |a: u8, b: u8| -> Option<i32> {
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i32::from(a - b'0') * 10 + i32::from(b - b'0'))
    };
    let sign = match tail[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if tail[3] != b':' {
        return None;
    }
    let seconds = sign * (digits(tail[1], tail[2])? * 3600 + digits(tail[4], tail[5])? * 60);
    Some((ts.as_second(), format_offset(seconds)))
}

fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// Now, and the local offset as git computes it (the C library's local time).
fn now_local() -> Option<(i64, String)> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let t = libc::time_t::try_from(now).ok()?;
    // SAFETY: `localtime_r` fills the `tm` we own from a valid time; nothing is retained.
    let gmtoff = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        tm.tm_gmtoff
    };
    Some((i64::try_from(now).ok()?, format_offset(i32::try_from(gmtoff).ok()?)))
}

fn read_optional(path: &Path) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::NotADirectory => {
            Some(String::new())
        }
        Err(_) => None,
    }
}

fn env_true(k: &str) -> bool {
    std::env::var(k).is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// The system config files git may read: `GIT_CONFIG_SYSTEM`, else `/etc/gitconfig` and
/// the one beside the `git` found on PATH (`<prefix>/etc/gitconfig`).
fn system_configs() -> Vec<PathBuf> {
    if env_true("GIT_CONFIG_NOSYSTEM") {
        return Vec::new();
    }
    if let Some(p) = std::env::var_os("GIT_CONFIG_SYSTEM") {
        return vec![PathBuf::from(p)];
    }
    let mut paths = vec![PathBuf::from("/etc/gitconfig")];
    let on_path =
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("git")).find(|g| g.is_file()));
    if let Some(prefix) = on_path.as_deref().and_then(Path::parent).and_then(Path::parent) {
        let beside = prefix.join("etc/gitconfig");
        if !paths.contains(&beside) {
            paths.push(beside);
        }
    }
    paths
}

/// The global config files, in the order git reads them (later ones win).
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

/// The identity keys, as read so far (later files override earlier ones).
#[derive(Default)]
struct Settings {
    user_name: Option<String>,
    user_email: Option<String>,
    committer_name: Option<String>,
    committer_email: Option<String>,
}

impl Settings {
    /// Read one file; `None`: it holds what only git should interpret.
    fn read(&mut self, text: &str) -> Option<()> {
        for e in parse(text)? {
            let slot = match (e.section.as_str(), e.subsection.is_some(), e.key.as_str()) {
                ("include" | "includeif", ..) => return None,
                ("i18n", false, "commitencoding") => match e.value.as_deref().map(str::to_ascii_lowercase) {
                    Some(v) if v == "utf-8" || v == "utf8" => continue,
                    _ => return None,
                },
                // Hooks elsewhere (a `reference-transaction` hook): git moves the branch.
                ("core", false, "hookspath") => return None,
                ("user", false, "name") => &mut self.user_name,
                ("user", false, "email") => &mut self.user_email,
                ("committer", false, "name") => &mut self.committer_name,
                ("committer", false, "email") => &mut self.committer_email,
                _ => continue,
            };
            // A key without `=` is a boolean: not a name git would take.
            *slot = Some(e.value?);
        }
        Some(())
    }
}

/// One `key = value` of a config file.
#[derive(Debug, PartialEq)]
struct ConfigEntry {
    /// Lowercase.
    section: String,
    subsection: Option<String>,
    /// Lowercase.
    key: String,
    value: Option<String>,
}

/// A config file's entries, as git's config parser reads them; `None` where it would
/// refuse the file.
fn parse(text: &str) -> Option<Vec<ConfigEntry>> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let (mut section, mut subsection) = (None::<String>, None::<String>);
    let at = |i: usize| chars.get(i).copied();
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' || c.is_whitespace() || (i == 0 && c == '\u{feff}') {
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
        out.push(ConfigEntry { section: section.clone()?, subsection: subsection.clone(), key, value });
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
        if c.is_whitespace() && !quote {
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
    fn config_values_read_as_git_reads_them() {
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
        assert!(parse("[user]\n\tname = \"unterminated\n").is_none());
        assert!(parse("[user]\n\tname = bad \\q escape\n").is_none());
    }

    #[test]
    fn includes_and_other_encodings_are_left_to_git() {
        let mut s = Settings::default();
        assert!(s.read("[include]\n\tpath = more\n").is_none());
        assert!(s.read("[i18n]\n\tcommitEncoding = ISO-8859-1\n").is_none());
        let mut s = Settings::default();
        assert!(s.read("[user]\n\tname = A\n[committer]\n\tname = C\n[user]\n\tname = B\n").is_some());
        assert_eq!((s.user_name.as_deref(), s.committer_name.as_deref()), (Some("B"), Some("C")));
    }

    #[test]
    fn idents_lose_their_crud_as_in_git() {
        let ident = name_email("  Dev <Dispatch> ", " <dev@example.com>.");
        assert_eq!(ident.as_deref(), Some("Dev Dispatch <dev@example.com.>"));
        assert_eq!(name_email("\"'", "x@y"), None);
        assert_eq!(git_date("2026-11-24T12:00:00-06:00"), Some((1_795_543_200, "-0600".to_owned())));
        assert_eq!(git_date("2026-11-24T12:00:00+05:30").map(|d| d.1), Some("+0530".to_owned()));
        assert_eq!(format_offset(0), "+0000");
    }
}
