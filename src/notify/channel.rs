//! Delivering one message over one channel: a program given the JSON on stdin, an HTTP POST
//! of the JSON, or a mail handed to a sendmail-compatible program. Each has a time limit, so
//! a receiver that hangs delays a run by seconds, never stops it.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::payload::{Payload, Person};
use crate::rules::notifications::{Channel, ChannelKind, WebhookTarget};

/// One message on its way: the payload, its JSON, and who it is for.
pub struct Outgoing<'a> {
    pub payload: &'a Payload,
    pub json: &'a str,
    pub person: &'a Person,
}

/// Whether `channel` carries this message to this person (the event and urgency it takes,
/// and the contact it needs).
pub fn applies(channel: &Channel, out: &Outgoing) -> bool {
    let kinds = out.payload.events.iter().any(|e| channel.carries(e.event, out.payload.urgency.as_deref()));
    let reachable = match (channel.kind, channel.webhook_target()) {
        (ChannelKind::Webhook, Some(WebhookTarget::Person)) => out.person.contacts.webhook.is_some(),
        _ => true,
    };
    kinds && reachable
}

/// Deliver; `Err` says why it failed, in words for `notify --pending` and the log.
pub fn deliver(channel: &Channel, out: &Outgoing) -> Result<(), String> {
    match channel.kind {
        ChannelKind::Command => {
            let cmd = channel.command.as_deref().unwrap_or_default();
            run_with_input(cmd, out, out.json.as_bytes(), channel.timeout())
        }
        ChannelKind::Webhook => {
            let url = match channel.webhook_target() {
                Some(WebhookTarget::Fixed(url)) => url,
                Some(WebhookTarget::Person) => out.person.contacts.webhook.as_deref().unwrap_or_default(),
                None => return Err("no url".to_owned()),
            };
            post(url, out.json, channel.timeout())
        }
        ChannelKind::Email => {
            let from = channel.from.as_deref().unwrap_or("handoff <handoff@localhost>");
            let mail = mail(from, out);
            run_with_input(channel.sendmail(), out, mail.as_bytes(), channel.timeout())
        }
    }
}

/// POST `json` to `url`; any answer but 2xx, or none within `timeout`, is a failure.
fn post(url: &str, json: &str, timeout: Duration) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("handoff/", env!("CARGO_PKG_VERSION")))
        // The system's OpenSSL and its trusted roots (/etc/ssl), as curl would use.
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::NativeTls)
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .send(json)
        .map_err(|e| format!("POST {}: {e}", redact(url)))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("POST {}: HTTP {}", redact(url), status.as_u16())) }
}

/// A webhook URL without its path: Slack's path is the secret, so messages show the host only.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("{scheme}://{host}/…")
}

/// Run `cmd` with `sh -c`, `input` on stdin and the message's fields as variables; it must
/// exit 0 within `timeout` (it is killed after that).
fn run_with_input(cmd: &str, out: &Outgoing, input: &[u8], timeout: Duration) -> Result<(), String> {
    let p = out.payload;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        // Its own process group, so a timeout stops what it started too.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env("HANDOFF_KEY", &p.key)
        .env("HANDOFF_EVENT", p.event.as_str())
        .env("HANDOFF_LEAD", &p.id)
        .env("HANDOFF_TO", &out.person.id)
        .env("HANDOFF_TO_EMAIL", out.person.email())
        .env("HANDOFF_TO_PHONE", out.person.contacts.phone.as_deref().unwrap_or_default())
        .env("HANDOFF_SUBJECT", p.subject())
        .spawn()
        .map_err(|err| format!("cannot run `{cmd}`: {err}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(input);
    }
    let started = Instant::now();
    // Most programs finish in milliseconds: look often at first, then every 50 ms.
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if status.success() {
                    return Ok(());
                }
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let err = err.trim();
                let tail =
                    if err.is_empty() { String::new() } else { format!(": {}", err.lines().last().unwrap_or(err)) };
                return Err(format!("`{cmd}` exited with {status}{tail}"));
            }
            Ok(None) if started.elapsed() >= timeout => {
                let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{cmd}` took longer than {} s and was stopped", timeout.as_secs()));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(err) => return Err(format!("`{cmd}`: {err}")),
        }
    }
}

/// The mail `sendmail -t` reads: headers (recipient from `To:`), a blank line, the text, and
/// the details one per line.
fn mail(from: &str, out: &Outgoing) -> String {
    let p = out.payload;
    let ascii =
        |s: &str| s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect::<String>();
    let mut m = String::new();
    m.push_str(&format!("From: {}\n", ascii(from)));
    m.push_str(&format!("To: {}\n", ascii(out.person.email())));
    m.push_str(&format!("Subject: {}\n", ascii(&p.subject())));
    m.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n");
    m.push_str("Auto-Submitted: auto-generated\n");
    m.push_str(&format!("X-Handoff-Key: {}\n\n", ascii(&p.key)));
    m.push_str(&p.text);
    m.push_str("\n\n");
    let line = |k: &str, v: Option<&str>| v.map(|v| format!("{k}: {v}\n")).unwrap_or_default();
    m.push_str(&line("Lead", Some(&p.id)));
    m.push_str(&line("Customer", p.customer.name.as_deref()));
    m.push_str(&line("Phone", p.customer.phone.as_deref()));
    m.push_str(&line("Address", p.customer.address.as_deref()));
    m.push_str(&line("Urgency", p.urgency.as_deref()));
    m.push_str(&line("Next action", p.next_action.as_deref()));
    m.push_str(&line("Due", p.due.map(|d| d.to_string()).as_deref()));
    m.push_str(&line("Notes", p.notes.as_deref().map(|n| n.trim_end())));
    m.push_str(&line("Key", Some(&p.key)));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::payload::{Customer, EventRef};
    use crate::rules::notifications::{NoticeKind, Notifications};

    #[test]
    fn webhook_urls_are_shown_without_their_secret_path() {
        assert_eq!(redact("https://hooks.slack.com/services/T0/B0/XYZ"), "https://hooks.slack.com/…");
        assert_eq!(redact("http://127.0.0.1:8080?x=1"), "http://127.0.0.1:8080/…");
    }

    #[test]
    fn a_person_webhook_channel_skips_people_without_one() {
        let n: Notifications =
            serde_norway::from_str("channels:\n  - name: dm\n    type: webhook\n    url: person\n").unwrap();
        let payload = sample(NoticeKind::Assigned);
        let mut person = Person { id: "dev".into(), ..Person::default() };
        assert!(!applies(&n.channels[0], &Outgoing { payload: &payload, json: "{}", person: &person }));
        person.contacts.webhook = Some("http://127.0.0.1:9/x".into());
        assert!(applies(&n.channels[0], &Outgoing { payload: &payload, json: "{}", person: &person }));
        let mail = mail("handoff@example.com", &Outgoing { payload: &payload, json: "{}", person: &person });
        assert!(mail.contains("\nSubject: [handoff] untagged lead 20261128-k3f9qx2ab assigned to you\n"), "{mail}");
    }

    #[test]
    fn a_command_that_fails_or_hangs_is_a_failure() {
        let payload = sample(NoticeKind::Escalated);
        let person = Person { id: "dev".into(), ..Person::default() };
        let out = Outgoing { payload: &payload, json: "{\"x\":1}", person: &person };
        assert!(run_with_input("cat >/dev/null", &out, b"{}", Duration::from_secs(5)).is_ok());
        let err = run_with_input("echo boom >&2; exit 4", &out, b"{}", Duration::from_secs(5)).unwrap_err();
        assert!(err.contains("boom"), "{err}");
        let started = Instant::now();
        let err = run_with_input("sleep 5", &out, b"{}", Duration::from_secs(1)).unwrap_err();
        assert!(err.contains("longer than 1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    fn sample(kind: NoticeKind) -> Payload {
        let at: crate::clock::Stamp = "2026-11-28T02:00:00-06:00".parse().unwrap();
        Payload {
            key: "k".into(),
            event: kind,
            id: "20261128-k3f9qx2ab".into(),
            to: "dev".into(),
            to_name: "Dev".into(),
            customer: Customer { name: None, phone: None, address: None },
            urgency: None,
            fit: None,
            service_type: None,
            status: "assigned".into(),
            owner: None,
            next_action: None,
            due: None,
            follow_up_on: None,
            notes: None,
            at,
            by: "ana".into(),
            rule: None,
            reason: None,
            events: vec![EventRef { key: "k".into(), event: kind, at, by: "ana".into(), rule: None, reason: None }],
            text: "t".into(),
        }
    }
}
