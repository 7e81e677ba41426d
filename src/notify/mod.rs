//! Notifications: telling people about the events addressed to them (a lead handed to
//! them, transferred, rejected back to them, escalated to them), over the channels of
//! rules.yaml, at least once and deduplicated by a stable key.
//!
//! Delivery is derived, not queued: every run reads the lead histories (which travel in
//! git), derives the notices still worth sending ([`notice`]), skips those the local
//! ledger says went out ([`ledger`]), collapses what is left into one message per lead,
//! person and channel ([`payload`]), and sends it ([`channel`]). So an event that arrives
//! by `git pull` is delivered by whichever machine runs `handoff notify` next, and a run
//! that dies repeats at most the message it was sending.

pub mod channel;
pub mod notice;
pub mod payload;

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;

use crate::clock::Stamp;
use crate::lead::Lead;
use crate::rules::notifications::{self as config, Channel, Notifications};
use crate::store::notify_ledger::{self as ledger, Ledger};
use notice::Notice;
use payload::{Payload, Person};

/// Why a message is not sent right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Wait {
    /// Due now.
    Due,
    /// The person's quiet hours; sent when they end.
    QuietHours { until: Stamp },
    /// Failed before; tried again at `next_try`.
    Retry { attempts: u32, next_try: Stamp, error: String },
}

/// One message to send: the notices about one lead for one person not yet delivered over
/// one channel.
#[derive(Debug, Clone)]
pub struct Planned {
    pub channel: usize,
    pub person: Person,
    pub payload: Payload,
    /// The notices it carries (their keys and event times go in the ledger).
    pub notices: Vec<(String, Timestamp)>,
    pub wait: Wait,
}

/// A notice no channel can carry to its recipient (no contact, or not in staff).
#[derive(Debug, Clone, Serialize)]
pub struct Unreachable {
    pub key: String,
    pub id: String,
    pub to: String,
    pub why: String,
}

/// What a run would send.
#[derive(Debug, Default)]
pub struct Plan {
    pub messages: Vec<Planned>,
    pub unreachable: Vec<Unreachable>,
    /// Keys of every notice still worth sending (the ledger keeps their retries).
    pub live: HashSet<String>,
}

/// Everything a plan needs besides the leads.
pub struct Setup<'a> {
    pub notifications: &'a Notifications,
    /// The staff member with this id, as a recipient.
    pub person: &'a dyn Fn(&str) -> Option<Person>,
    pub tz: &'a TimeZone,
}

impl Setup<'_> {
    /// The oldest event a run at `now` still announces.
    pub fn since(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.notifications.max_age()).unwrap_or(now)
    }
}

/// Plan the messages for `leads` at `now`: current notices not yet delivered, grouped per
/// lead, person and channel, each with what it waits for.
pub fn plan<'l>(
    leads: impl IntoIterator<Item = &'l Lead>,
    setup: &Setup,
    ledger: &Ledger,
    now: &ZonedDateTime,
) -> Plan {
    let cfg = setup.notifications;
    let since = setup.since(now.timestamp());
    let mut out = Plan::default();
    if cfg.channels.is_empty() {
        // Notifications are not set up: nothing is owed to anyone.
        return out;
    }
    for lead in leads {
        let current: Vec<Notice> = notice::notices(lead, &cfg.tell_assigner, since)
            .into_iter()
            .filter(|n| notice::is_current(n, lead))
            .collect();
        let mut by_person: BTreeMap<&str, Vec<&Notice>> = BTreeMap::new();
        for n in &current {
            by_person.entry(n.to.as_str()).or_default().push(n);
        }
        for (to, notices) in by_person {
            let Some(person) = (setup.person)(to) else {
                out.unreachable.extend(notices.iter().map(|n| Unreachable {
                    key: n.key.clone(),
                    id: lead.id.to_string(),
                    to: to.to_owned(),
                    why: format!("`{to}` is not in the staff of rules.yaml"),
                }));
                continue;
            };
            let quiet = person
                .contacts
                .quiet_hours
                .as_ref()
                .and_then(|q| q.span())
                .filter(|_| !cfg.overrides_quiet_hours(lead.urgency.as_deref()))
                .and_then(|span| payload::quiet_until(span, now));
            let mut reached = false;
            for (index, channel) in cfg.channels.iter().enumerate() {
                let todo: Vec<&Notice> =
                    notices.iter().copied().filter(|n| !ledger.is_delivered(&n.key, &channel.name)).collect();
                let Some(message) = Payload::build(lead, &person, &todo, setup.tz) else {
                    // Everything went out on this channel already.
                    reached |= notices.iter().any(|n| carries(channel, n, lead));
                    continue;
                };
                let json = serde_json::to_string(&message).unwrap_or_default();
                let outgoing = channel::Outgoing { payload: &message, json: &json, person: &person };
                if !channel::applies(channel, &outgoing) {
                    continue;
                }
                reached = true;
                out.live.extend(todo.iter().map(|n| n.key.clone()));
                let wait = match (&quiet, todo.iter().any(|n| ledger.may_try(&n.key, &channel.name, now.timestamp()))) {
                    (Some(until), _) => Wait::QuietHours { until: Stamp::from_zoned(until) },
                    (None, true) => Wait::Due,
                    (None, false) => {
                        let r = todo.iter().find_map(|n| ledger.retry(&n.key, &channel.name)).cloned();
                        let r =
                            r.unwrap_or(ledger::Retry { attempts: 0, next_try: now.timestamp(), error: String::new() });
                        Wait::Retry {
                            attempts: r.attempts,
                            next_try: Stamp::from_zoned(&r.next_try.to_zoned_datetime(setup.tz.clone())),
                            error: r.error,
                        }
                    }
                };
                out.messages.push(Planned {
                    channel: index,
                    person: person.clone(),
                    payload: message,
                    notices: todo.iter().map(|n| (n.key.clone(), n.at.timestamp())).collect(),
                    wait,
                });
            }
            if !reached {
                out.unreachable.extend(notices.iter().map(|n| Unreachable {
                    key: n.key.clone(),
                    id: lead.id.to_string(),
                    to: to.to_owned(),
                    why: format!(
                        "no channel carries a {} to {to} (add contacts to their staff entry?)",
                        n.kind.as_str()
                    ),
                }));
            }
        }
    }
    out
}

fn carries(channel: &Channel, n: &Notice, lead: &Lead) -> bool {
    channel.carries(n.kind, lead.urgency.as_deref())
}

/// The outcome of sending one planned message.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub key: String,
    pub event: config::NoticeKind,
    pub id: String,
    pub to: String,
    pub channel: String,
    /// `None` when delivered; else why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When a failed delivery is tried again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_try: Option<Stamp>,
}

/// Send the due messages of `plan`, recording each delivery in `ledger` as it happens.
/// `report` is called after each message (so a long run shows its progress).
pub fn deliver(
    plan: &Plan,
    channels: &[Channel],
    ledger: &mut Ledger,
    now: &ZonedDateTime,
    mut report: impl FnMut(&Sent),
) -> Result<Vec<Sent>> {
    let mut out = Vec::new();
    for m in plan.messages.iter().filter(|m| m.wait == Wait::Due) {
        let Some(channel) = channels.get(m.channel) else { continue };
        let json = serde_json::to_string(&m.payload)?;
        let result =
            channel::deliver(channel, &channel::Outgoing { payload: &m.payload, json: &json, person: &m.person });
        let mut sent = Sent {
            key: m.payload.key.clone(),
            event: m.payload.event,
            id: m.payload.id.clone(),
            to: m.person.id.clone(),
            channel: channel.name.clone(),
            error: None,
            next_try: None,
        };
        match result {
            Ok(()) => {
                for (key, at) in &m.notices {
                    ledger.delivered(key, &channel.name, *at)?;
                }
            }
            Err(error) => {
                let mut next = now.timestamp();
                for (key, _) in &m.notices {
                    next = ledger.failed(key, &channel.name, &error, now.timestamp()).next_try;
                }
                sent.next_try = Some(Stamp::from_zoned(&next.to_zoned_datetime(now.time_zone().clone())));
                sent.error = Some(error);
            }
        }
        report(&sent);
        out.push(sent);
    }
    Ok(out)
}

/// The staff of rules.yaml as recipients.
pub fn person(rules: &crate::rules::Rules, id: &str) -> Option<Person> {
    rules.staff(id).map(|s| Person {
        id: s.id.clone(),
        name: s.name.clone(),
        email: s.email.clone(),
        contacts: s.contacts.clone(),
    })
}

/// How many messages wait to be delivered (due, in quiet hours, or to be retried): what
/// `handoff status` reports as `pending_notifications`.
pub fn pending_count(ctx: &crate::context::Ctx) -> Result<usize> {
    Ok(run(ctx, true, |_| {})?.plan.messages.len())
}

/// What a `handoff notify` run did (or, dry, would do).
pub struct Run {
    pub plan: Plan,
    pub sent: Vec<Sent>,
    /// Another run holds the ledger; this one sent nothing.
    pub busy: bool,
    pub errors: Vec<crate::store::ScanError>,
}

/// Derive the undelivered notices of the workspace and, unless `dry_run`, deliver the due
/// ones. `report` sees each delivery as it happens.
pub fn run(ctx: &crate::context::Ctx, dry_run: bool, report: impl FnMut(&Sent)) -> Result<Run> {
    let lookup = |id: &str| person(&ctx.rules, id);
    let setup = Setup { notifications: &ctx.rules.notifications, person: &lookup, tz: &ctx.rules.tz };
    let since = setup.since(ctx.now.timestamp());
    let recent = |lead: Lead| lead.history.iter().any(|e| e.at.timestamp() >= since).then_some(lead);
    let (leads, errors) = ctx.ws.scan_map(crate::store::Want::ActiveSince(since), recent)?;
    let dir = ctx.ws.notify_dir();
    let taken = if dry_run { None } else { Ledger::take(&dir)? };
    let busy = !dry_run && taken.is_none();
    let ledger = match &taken {
        Some(l) => l,
        None => &Ledger::read(&dir)?,
    };
    let mut plan = plan(&leads, &setup, ledger, &ctx.now);
    let mut sent = Vec::new();
    if let Some(mut ledger) = taken {
        sent = deliver(&plan, &ctx.rules.notifications.channels, &mut ledger, &ctx.now, report)?;
        // What went out is no longer pending; what failed waits for its retry.
        let failed: BTreeMap<(&str, &str), &Sent> =
            sent.iter().filter(|s| s.error.is_some()).map(|s| ((s.key.as_str(), s.channel.as_str()), s)).collect();
        let channels = &ctx.rules.notifications.channels;
        plan.messages.retain_mut(|m| {
            let name = channels.get(m.channel).map_or("", |c| c.name.as_str());
            match (&m.wait, failed.get(&(m.payload.key.as_str(), name))) {
                (Wait::Due, None) => false,
                (Wait::Due, Some(s)) => {
                    let attempts = ledger.retry(&m.notices[0].0, name).map_or(1, |r| r.attempts);
                    m.wait = Wait::Retry {
                        attempts,
                        next_try: s.next_try.unwrap_or_else(|| Stamp::from_zoned(&ctx.now)),
                        error: s.error.clone().unwrap_or_default(),
                    };
                    true
                }
                _ => true,
            }
        });
        // The run saw every live notice: forget older deliveries and dead retries.
        ledger.finish(since.checked_sub(jiff::SignedDuration::from_hours(24)).unwrap_or(since), &plan.live)?;
    }
    Ok(Run { plan, sent, busy, errors })
}
