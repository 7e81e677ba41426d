//! Who commits, as git would say it, without running git: `GIT_COMMITTER_*`, then
//! `committer.*` and `user.*` from git's config files (`config.rs`), and the clock in the
//! local time zone. Anything not sure (a system config naming an identity, no identity
//! configured, a commit encoding, `GIT_COMMITTER_DATE`) answers `None`, and git names
//! the committer instead.

use super::config::Config;

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

/// The committer `git commit-tree` would use in a repository with `config`, now.
pub fn committer(config: &Config) -> Option<Ident> {
    if std::env::var_os("GIT_COMMITTER_DATE").is_some() {
        return None;
    }
    let said_by_system =
        ["user", "committer"].iter().any(|s| config.system_says(s, "name") || config.system_says(s, "email"));
    if said_by_system || config.system_says("i18n", "commitencoding") {
        return None;
    }
    if let Some(e) = config.get("i18n", "commitencoding") {
        let utf8 =
            e.value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8"));
        if !utf8 {
            return None;
        }
    }
    // A key without `=` is a boolean: not a name git would take (it refuses the config).
    let value = |section: &str, key: &str| config.get(section, key).map(|e| e.value.clone());
    let env = |k: &str| std::env::var(k).ok();
    let name = match env("GIT_COMMITTER_NAME") {
        Some(n) => n,
        None => value("committer", "name").or_else(|| value("user", "name"))??,
    };
    let email = match env("GIT_COMMITTER_EMAIL") {
        Some(e) => e,
        None => value("committer", "email").or_else(|| value("user", "email"))??,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
