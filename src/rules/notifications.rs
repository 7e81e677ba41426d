//! The notification settings of rules.yaml: each person's contacts and quiet hours, and the
//! channels the office delivers through. Typed once here; checked by [`Notifications::check`].

use jiff::SignedDuration;
use jiff::civil::Time;
use serde::Deserialize;

use crate::clock;

/// The sendmail-compatible program `email` channels run unless they name another.
pub const DEFAULT_SENDMAIL: &str = "/usr/sbin/sendmail -t";
/// How long a webhook (connect and answer) or a command may take before it counts as failed.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// Events older than this are never announced (an old branch pulled late does not spam).
pub const DEFAULT_MAX_AGE: &str = "2d";

/// A staff member's `contacts:`: where notifications addressed to them go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// Where `email` channels write to this person (else the staff entry's `email`).
    pub email: Option<String>,
    /// A phone for SMS / paging `command` channels (given as `$HANDOFF_TO_PHONE`).
    pub phone: Option<String>,
    /// This person's own incoming webhook (a Slack DM / Teams chat), for `webhook` channels
    /// with `url: person`.
    pub webhook: Option<String>,
    /// When not to be told, except about the urgencies in `notifications.quiet_hours_override`.
    pub quiet_hours: Option<QuietHours>,
}

/// A daily span of wall-clock time in the workspace zone; `from` after `until` spans midnight.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub from: String,
    pub until: String,
}

impl QuietHours {
    /// The span as times (`None` when either is not `HH:MM`; `check` reports that).
    pub fn span(&self) -> Option<(Time, Time)> {
        Some((clock::parse_hhmm(&self.from)?, clock::parse_hhmm(&self.until)?))
    }
}

/// The events a notification can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// A lead handed to its new owner (also a re-route by an escalation).
    Assigned,
    /// A lead transferred to its new owner.
    Transferred,
    /// A handoff refused: told to whoever assigned it.
    Rejected,
    /// An escalation: told to its target.
    Escalated,
    /// The owner accepted: told to whoever assigned it, when `tell_assigner` lists it.
    Accepted,
    /// The lead closed: told to whoever assigned it, when `tell_assigner` lists it.
    Closed,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Assigned => "assigned",
            NoticeKind::Transferred => "transferred",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Escalated => "escalated",
            NoticeKind::Accepted => "accepted",
            NoticeKind::Closed => "closed",
        }
    }
}

/// How a channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    /// A program (run with `sh -c`) given the JSON payload on stdin.
    Command,
    /// An HTTP POST of the JSON payload (its `text` field suits Slack and Teams webhooks).
    Webhook,
    /// A mail handed to a sendmail-compatible program.
    Email,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Command => "command",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
        }
    }
}

/// One `notifications.channels` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Names the channel in the delivery ledger and in messages.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ChannelKind,
    /// `command`: the program and its arguments (run with `sh -c`).
    pub command: Option<String>,
    /// `webhook`: the URL to post to, or `person` for each recipient's `contacts.webhook`.
    pub url: Option<String>,
    /// `email`: the sendmail-compatible program (default `/usr/sbin/sendmail -t`).
    pub sendmail: Option<String>,
    /// `email`: the From address.
    pub from: Option<String>,
    /// Seconds a webhook or command may take (default 10).
    pub timeout_seconds: Option<u64>,
    /// Only these events (default: all).
    pub events: Option<Vec<NoticeKind>>,
    /// Only leads of these urgencies (e.g. page by SMS only for emergencies; default: all).
    pub urgency: Option<Vec<String>>,
}

/// Where a webhook channel posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookTarget<'a> {
    /// One URL for every notification (an office channel).
    Fixed(&'a str),
    /// Each recipient's own `contacts.webhook`.
    Person,
}

impl Channel {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS))
    }

    pub fn sendmail(&self) -> &str {
        self.sendmail.as_deref().unwrap_or(DEFAULT_SENDMAIL)
    }

    pub fn webhook_target(&self) -> Option<WebhookTarget<'_>> {
        match self.url.as_deref()? {
            "person" => Some(WebhookTarget::Person),
            url => Some(WebhookTarget::Fixed(url)),
        }
    }

    /// Whether this channel carries notifications of `kind` about a lead of `urgency`.
    pub fn carries(&self, kind: NoticeKind, urgency: Option<&str>) -> bool {
        self.events.as_ref().is_none_or(|e| e.contains(&kind))
            && self.urgency.as_ref().is_none_or(|u| urgency.is_some_and(|x| u.iter().any(|v| v == x)))
    }
}

/// The `notifications:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Also tell whoever assigned a lead when it is accepted or closed.
    #[serde(default)]
    pub tell_assigner: Vec<NoticeKind>,
    /// Urgencies that reach people during their quiet hours (default: emergency).
    #[serde(default = "default_override")]
    pub quiet_hours_override: Vec<String>,
    /// Events older than this are not announced (default 2d); also how long the delivery
    /// ledger remembers a delivery.
    #[serde(default = "default_max_age")]
    pub max_age: String,
}

fn default_override() -> Vec<String> {
    vec!["emergency".to_owned()]
}

fn default_max_age() -> String {
    DEFAULT_MAX_AGE.to_owned()
}

impl Default for Notifications {
    fn default() -> Notifications {
        Notifications {
            channels: Vec::new(),
            tell_assigner: Vec::new(),
            quiet_hours_override: default_override(),
            max_age: default_max_age(),
        }
    }
}

/// One problem with the notification settings: the key path below `notifications` (or the
/// staff entry) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Keys under `notifications:` leading to the bad value, e.g. `["channels", "0", "url"]`.
    pub path: Vec<String>,
    pub message: String,
}

impl Notifications {
    /// How long events stay announceable.
    pub fn max_age(&self) -> SignedDuration {
        clock::parse_window(&self.max_age).unwrap_or(SignedDuration::from_hours(48))
    }

    /// Whether a lead of `urgency` reaches people in their quiet hours.
    pub fn overrides_quiet_hours(&self, urgency: Option<&str>) -> bool {
        urgency.is_some_and(|u| self.quiet_hours_override.iter().any(|o| o == u))
    }

    /// Every problem in the section (empty when it is usable).
    pub fn check(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut problem = |path: &[&str], message: String| {
            out.push(ConfigProblem { path: path.iter().map(|s| (*s).to_owned()).collect(), message });
        };
        if clock::parse_window(&self.max_age).is_none_or(|w| w.is_zero()) {
            problem(&["max_age"], format!("max_age `{}` is not a window such as 2d or 36h", self.max_age));
        }
        for kind in &self.tell_assigner {
            if !matches!(kind, NoticeKind::Accepted | NoticeKind::Closed) {
                problem(
                    &["tell_assigner"],
                    format!("tell_assigner lists `{}`; it takes accepted and closed", kind.as_str()),
                );
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.channels.iter().enumerate() {
            let index = i.to_string();
            let at = |key: &'static str| [String::from("channels"), index.clone(), key.to_owned()];
            let mut bad = |key: &'static str, message: String| {
                let path = at(key);
                problem(&[path[0].as_str(), path[1].as_str(), path[2].as_str()], message);
            };
            if c.name.trim().is_empty() || c.name.contains(['\t', '\n']) {
                bad("name", "a channel needs a plain `name` (it names the channel in the delivery ledger)".into());
            } else if !names.insert(c.name.as_str()) {
                bad("name", format!("channel name `{}` appears twice; name each channel once", c.name));
            }
            let allowed: &[&str] = match c.kind {
                ChannelKind::Command => &["command"],
                ChannelKind::Webhook => &["url"],
                ChannelKind::Email => &["sendmail", "from"],
            };
            for (key, set) in [
                ("command", c.command.is_some()),
                ("url", c.url.is_some()),
                ("sendmail", c.sendmail.is_some()),
                ("from", c.from.is_some()),
            ] {
                if set && !allowed.contains(&key) {
                    bad(
                        key,
                        format!("channel `{}` has `type: {}`; `{key}` does not apply to it", c.name, c.kind.as_str()),
                    );
                }
            }
            match c.kind {
                ChannelKind::Command if c.command.as_deref().is_none_or(|s| s.trim().is_empty()) => bad(
                    "command",
                    format!(
                        "channel `{}` (type: command) needs `command: PROGRAM` (it gets the JSON on stdin)",
                        c.name
                    ),
                ),
                ChannelKind::Webhook => match c.webhook_target() {
                    None => bad(
                        "url",
                        format!(
                            "channel `{}` (type: webhook) needs `url: https://…`, or `url: person` for each person's contacts.webhook",
                            c.name
                        ),
                    ),
                    Some(WebhookTarget::Fixed(url)) => {
                        if let Some(why) = url_problem(url) {
                            bad("url", format!("channel `{}`: {why}", c.name));
                        }
                    }
                    Some(WebhookTarget::Person) => {}
                },
                ChannelKind::Email if c.sendmail().trim().is_empty() => bad(
                    "sendmail",
                    format!("channel `{}`: sendmail is empty; leave it out for {DEFAULT_SENDMAIL}", c.name),
                ),
                _ => {}
            }
            if c.timeout_seconds.is_some_and(|t| t == 0 || t > 300) {
                bad("timeout_seconds", format!("channel `{}`: timeout_seconds must be 1 to 300", c.name));
            }
        }
        out
    }
}

impl Contacts {
    /// Every problem in one staff member's contacts (paths below `contacts`).
    pub fn check(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut problem = |key: &str, message: String| {
            out.push(ConfigProblem { path: vec![key.to_owned()], message });
        };
        if let Some(email) = &self.email
            && (!email.contains('@') || email.contains(['<', '>', '\n', '\r', ',']))
        {
            problem("email", format!("`{email}` is not one email address"));
        }
        if let Some(url) = &self.webhook
            && let Some(why) = url_problem(url)
        {
            problem("webhook", why);
        }
        if let Some(phone) = &self.phone
            && (phone.trim().is_empty() || phone.contains(['\n', '\r']))
        {
            problem("phone", format!("`{phone}` is not a phone number"));
        }
        if let Some(q) = &self.quiet_hours {
            for (key, v) in [("from", &q.from), ("until", &q.until)] {
                if clock::parse_hhmm(v).is_none() {
                    problem("quiet_hours", format!("quiet_hours.{key} `{v}` is not a time; write it as \"21:00\""));
                }
            }
            if q.from == q.until {
                problem("quiet_hours", "quiet_hours from and until are the same time; leave quiet_hours out".into());
            }
        }
        out
    }
}

/// Why `url` cannot be posted to, if it cannot (http or https, a host, no spaces).
pub fn url_problem(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        None => Some(format!("`{url}` is not an http:// or https:// URL")),
        Some(r) if r.is_empty() || r.starts_with('/') => Some(format!("`{url}` has no host")),
        Some(r) if r.contains(char::is_whitespace) => Some(format!("`{url}` contains a space")),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Notifications {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_and_a_full_section() {
        let n = parse(
            "channels:\n  - name: office\n    type: webhook\n    url: https://hooks.example.com/x\n  - name: mail\n    type: email\n  - name: sms\n    type: command\n    command: sms-send\n    urgency: [emergency]\ntell_assigner: [accepted]\n",
        );
        assert!(n.check().is_empty(), "{:?}", n.check());
        assert_eq!(n.channels[1].sendmail(), DEFAULT_SENDMAIL);
        assert_eq!(n.max_age(), SignedDuration::from_hours(48));
        assert!(n.overrides_quiet_hours(Some("emergency")));
        assert!(!n.overrides_quiet_hours(Some("standard")));
        assert!(n.channels[2].carries(NoticeKind::Escalated, Some("emergency")));
        assert!(!n.channels[2].carries(NoticeKind::Escalated, Some("standard")));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        assert!(
            serde_norway::from_str::<Notifications>("channels:\n  - name: x\n    type: webhook\n    urll: y\n")
                .is_err()
        );
        assert!(serde_norway::from_str::<Notifications>("channels:\n  - name: x\n    type: pigeon\n").is_err());
        let n = parse(
            "channels:\n  - name: a\n    type: webhook\n    url: ftp://x\n  - name: a\n    type: command\n  - name: c\n    type: email\n    url: https://x\ntell_assigner: [escalated]\nmax_age: soon\n",
        );
        let messages: Vec<String> =
            n.check().into_iter().map(|p| format!("{}: {}", p.path.join("."), p.message)).collect();
        let all = messages.join("\n");
        assert!(all.contains("channels.0.url: channel `a`: `ftp://x` is not an http"), "{all}");
        assert!(all.contains("channels.1.name: channel name `a` appears twice"), "{all}");
        assert!(all.contains("channels.1.command:"), "{all}");
        assert!(all.contains("channels.2.url: channel `c` has `type: email`"), "{all}");
        assert!(all.contains("tell_assigner"), "{all}");
        assert!(all.contains("max_age"), "{all}");
    }

    #[test]
    fn contacts_are_checked() {
        let c: Contacts = serde_norway::from_str(
            "email: not-mail\nwebhook: hooks.example.com\nquiet_hours: {from: \"25:00\", until: \"07:00\"}\n",
        )
        .unwrap();
        let paths: Vec<String> = c.check().into_iter().map(|p| p.path.join(".")).collect();
        assert_eq!(paths, ["email", "webhook", "quiet_hours"]);
        let ok: Contacts =
            serde_norway::from_str("phone: \"+13125550100\"\nquiet_hours: {from: \"21:00\", until: \"07:00\"}\n")
                .unwrap();
        assert!(ok.check().is_empty());
        assert!(serde_norway::from_str::<Contacts>("pager: 1\n").is_err());
    }
}
