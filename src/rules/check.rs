//! Checking rules.yaml after parsing, one function per section; every problem is
//! collected with its line, so `validate` and a refused load list them all at once.

use std::collections::BTreeSet;

use jiff::civil::Time;
use jiff::tz::TimeZone;

use super::duty::OnDuty;
use super::yamlpos::{Seg, locate};
use super::{Business, Conditions, Hours, Problem, RulesFile, parse_weekday};
use crate::clock;
use crate::lead::Status;

/// The problems found so far, located in the rules text.
pub(super) struct Problems<'t> {
    text: &'t str,
    pub list: Vec<Problem>,
}

impl Problems<'_> {
    pub(super) fn at(&mut self, path: &[Seg], message: String) {
        self.list.push(Problem { line: locate(self.text, path), message });
    }
}

/// The time zone named `name`: its zoneinfo file read directly when the name is a plain
/// path there (not under `posix/` or `right/`, which jiff passes over), as `TimeZone::get`
/// would find it, without the list of every zone name
/// jiff builds first (a walk of the whole directory, a millisecond of every command).
fn zone(name: &str) -> Option<TimeZone> {
    let plain = !name.is_empty()
        && name.split('/').all(|c| !c.is_empty() && !c.starts_with('.'))
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-/".contains(&b))
        && !name.eq_ignore_ascii_case("utc")
        && !name.eq_ignore_ascii_case("etc/unknown")
        && !["posix", "right"].contains(&name.split('/').next().unwrap_or(""));
    let direct = || -> Option<TimeZone> {
        if std::env::var_os("TZDIR").is_some() {
            return None;
        }
        let data = std::fs::read(std::path::Path::new("/usr/share/zoneinfo").join(name)).ok()?;
        TimeZone::tzif(name, &data).ok()
    };
    plain.then(direct).flatten().or_else(|| TimeZone::get(name).ok())
}

/// The values `check_basics` resolves: time zone, end of day, business hours.
pub(super) type Resolved = (TimeZone, Time, Option<Business>);

impl RulesFile {
    /// Semantic checks after parsing, section by section. Returns the typed values (when
    /// they parse) and every problem found, each with its line.
    pub(super) fn check(&self, text: &str) -> (Option<Resolved>, OnDuty, Vec<Problem>) {
        let mut p = Problems { text, list: Vec::new() };
        let resolved = self.check_basics(&mut p);
        self.check_staff(&mut p);
        self.check_vocabulary(&mut p);
        self.check_conditions(&mut p);
        self.check_ownership(&mut p);
        let on_duty = self.check_duty(&mut p, resolved.as_ref().and_then(|r| r.2.as_ref()));
        self.check_routing(&mut p);
        self.check_escalation(&mut p);
        self.check_qa(&mut p);
        self.check_notifications(&mut p);
        (resolved, on_duty, p.list)
    }

    /// Time zone, end of day, phone country code, business hours, resolved to typed values.
    fn check_basics(&self, p: &mut Problems) -> Option<Resolved> {
        let tz = zone(&self.timezone);
        if tz.is_none() {
            p.at(
                &[Seg::Key("timezone")],
                format!("unknown time zone `{}`; use an IANA name such as America/Chicago or UTC", self.timezone),
            );
        }
        let eod = clock::parse_hhmm(&self.end_of_day);
        if eod.is_none() {
            p.at(
                &[Seg::Key("end_of_day")],
                format!("end_of_day `{}` is not a time; write it as \"17:00\"", self.end_of_day),
            );
        }
        if self.phone_country_code.is_empty()
            || self.phone_country_code.len() > 3
            || !self.phone_country_code.bytes().all(|b| b.is_ascii_digit())
        {
            p.at(
                &[Seg::Key("phone_country_code")],
                "phone_country_code must be 1 to 3 digits, e.g. \"1\" or \"44\"".to_owned(),
            );
        }
        let mut business = None;
        if let Some(bh) = &self.business_hours {
            let mut days = Vec::new();
            for (i, d) in bh.days.iter().enumerate() {
                match parse_weekday(d) {
                    Some(day) => days.push(day),
                    None => p.at(
                        &[Seg::Key("business_hours"), Seg::Key("days"), Seg::Index(i)],
                        format!("`{d}` is not a day; use mon, tue, wed, thu, fri, sat, sun"),
                    ),
                }
            }
            let mut time = |key: &'static str, v: &str| {
                let t = clock::parse_hhmm(v);
                if t.is_none() {
                    p.at(
                        &[Seg::Key("business_hours"), Seg::Key(key)],
                        format!("business_hours.{key} `{v}` is not a time; write it as \"08:00\""),
                    );
                }
                t
            };
            let (open, close) = (time("open", &bh.open), time("close", &bh.close));
            business = Some(Business { days, open: open?, close: close? });
        }
        Some((tz?, eod?, business))
    }

    /// Staff ids, names and emails.
    fn check_staff(&self, p: &mut Problems) {
        let mut ids = BTreeSet::new();
        for (i, s) in self.staff.iter().enumerate() {
            let at = [Seg::Key("staff"), Seg::Index(i), Seg::Key("id")];
            if s.id.is_empty()
                || s.id == crate::lead::SYSTEM
                || !s.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            {
                p.at(&at, format!("staff id `{}` must be letters, digits, '-', '_' or '.', and not `system`", s.id));
            }
            if !ids.insert(s.id.as_str()) {
                p.at(&at, format!("staff id `{}` appears twice; each person once", s.id));
            }
            if !s.email.contains('@') || s.email.contains(['<', '>', '\n']) {
                p.at(
                    &[Seg::Key("staff"), Seg::Index(i), Seg::Key("email")],
                    format!("`{}` is not an email address (git authors commits with it)", s.email),
                );
            }
            if s.name.trim().is_empty() || s.name.contains(['<', '>', '\n']) {
                p.at(
                    &[Seg::Key("staff"), Seg::Index(i), Seg::Key("name")],
                    format!("staff `{}` needs a plain name", s.id),
                );
            }
        }
        if self.staff.is_empty() {
            p.at(&[Seg::Key("staff")], "staff is empty; list at least one person".to_owned());
        }
    }

    /// Every vocabulary list: not empty, no value twice.
    fn check_vocabulary(&self, p: &mut Problems) {
        let v = &self.vocabulary;
        for (key, list) in [
            ("urgency", &v.urgency),
            ("fit", &v.fit),
            ("source", &v.source),
            ("service_type", &v.service_type),
            ("outcome", &v.outcome),
        ] {
            if list.is_empty() {
                p.at(
                    &[Seg::Key("vocabulary"), Seg::Key(key)],
                    format!("vocabulary.{key} is empty; list at least one value"),
                );
            }
            let mut seen = BTreeSet::new();
            for (i, value) in list.iter().enumerate() {
                if !seen.insert(value) {
                    p.at(
                        &[Seg::Key("vocabulary"), Seg::Key(key), Seg::Index(i)],
                        format!("`{value}` appears twice in vocabulary.{key}"),
                    );
                }
            }
        }
    }

    /// `when`/`unless` values come from the vocabularies.
    fn check_conditions(&self, p: &mut Problems) {
        let v = &self.vocabulary;
        let mut conds: Vec<(Vec<Seg>, &Conditions)> =
            vec![(vec![Seg::Key("ownership"), Seg::Key("route_at_capture")], &self.ownership.route_at_capture)];
        for (i, r) in self.routing.iter().enumerate() {
            conds.push((vec![Seg::Key("routing"), Seg::Index(i), Seg::Key("when")], &r.when));
        }
        for (i, r) in self.escalation.iter().enumerate() {
            conds.push((vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key("when")], &r.when));
            conds.push((vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key("unless")], &r.unless));
        }
        for (path, c) in conds {
            for cond in &c.0 {
                for (key, values, vocab) in [
                    ("urgency", &cond.urgency, &v.urgency),
                    ("fit", &cond.fit, &v.fit),
                    ("service_type", &cond.service_type, &v.service_type),
                    ("source", &cond.source, &v.source),
                ] {
                    for value in values.iter().flatten() {
                        if !vocab.contains(value) {
                            let mut at = path.clone();
                            at.push(Seg::Key(key));
                            p.at(&at, format!("`{value}` is not in vocabulary.{key} ({})", vocab.join(", ")));
                        }
                    }
                }
            }
        }
    }

    /// Ownership lists name vocabulary values.
    fn check_ownership(&self, p: &mut Problems) {
        let v = &self.vocabulary;
        for (key, list, vocab) in [
            ("referral_sources", &self.ownership.referral_sources, &v.source),
            ("follow_up_required", &self.ownership.follow_up_required, &v.service_type),
        ] {
            for value in list {
                if !vocab.contains(value) {
                    p.at(
                        &[Seg::Key("ownership"), Seg::Key(key)],
                        format!("`{value}` in ownership.{key} is not in the vocabulary ({})", vocab.join(", ")),
                    );
                }
            }
        }
    }

    /// Routing rules: names, owners or pools, windows, a default rule last.
    fn check_routing(&self, p: &mut Problems) {
        if self.routing.is_empty() {
            p.at(&[Seg::Key("routing")], "routing is empty; add at least a default rule with `to: STAFF`".to_owned());
        }
        let mut names = BTreeSet::new();
        for (i, r) in self.routing.iter().enumerate() {
            let at = |k: &'static str| vec![Seg::Key("routing"), Seg::Index(i), Seg::Key(k)];
            if !names.insert(r.name.as_str()) {
                p.at(&at("name"), format!("routing rule name `{}` appears twice", r.name));
            }
            match (&r.to, &r.pool) {
                (Some(to), None) => {
                    if let Some(name) = crate::schedule::schedule_target(to) {
                        if !self.schedule_specs.iter().any(|s| s.name == name) {
                            p.at(
                                &at("to"),
                                format!(
                                    "routing rule `{}` routes to `{to}`, but no schedule `{name}` is defined",
                                    r.name
                                ),
                            );
                        }
                    } else if self.staff(to).is_none() {
                        p.at(&at("to"), format!("routing rule `{}` routes to `{to}`, who is not in staff", r.name));
                    }
                    if r.strategy.is_some() {
                        p.at(
                            &at("strategy"),
                            format!("routing rule `{}`: strategy goes with `pool`, not `to`", r.name),
                        );
                    }
                }
                (None, Some(pool)) => {
                    if pool.is_empty() {
                        p.at(&at("pool"), format!("routing rule `{}` has an empty pool", r.name));
                    }
                    for m in pool {
                        if self.staff(m).is_none() {
                            p.at(&at("pool"), format!("routing rule `{}`: pool member `{m}` is not in staff", r.name));
                        }
                    }
                    if r.strategy.is_none() {
                        p.at(
                            &at("pool"),
                            format!(
                                "routing rule `{}` has a pool; add `strategy: round-robin` or `strategy: least-open`",
                                r.name
                            ),
                        );
                    }
                }
                _ => p.at(
                    &at("name"),
                    format!("routing rule `{}` needs exactly one of `to: STAFF` or `pool: [STAFF, ...]`", r.name),
                ),
            }
            if let Some(f) = &r.fallback
                && (f == "owner" || !self.is_target(f))
            {
                p.at(
                    &at("fallback"),
                    format!("routing rule `{}`: fallback `{f}` is not a staff id, a role or oncall:SCHEDULE", r.name),
                );
            }
            if r.max_open == Some(0) {
                p.at(&at("max_open"), format!("routing rule `{}`: max_open must be at least 1", r.name));
            }
            if let Some(due) = &r.due
                && clock::parse_window(due).is_none()
            {
                p.at(
                    &at("due"),
                    format!("routing rule `{}`: due `{due}` is not a window such as 15m, 2h or 1d", r.name),
                );
            }
            if let Some(f) = &r.follow_up
                && clock::parse_window(f).is_none_or(|w| w.as_secs() % 86_400 != 0)
            {
                p.at(
                    &at("follow_up"),
                    format!("routing rule `{}`: follow_up `{f}` is not a number of days such as 1d or 2d", r.name),
                );
            }
        }
        if let Some(last) = self.routing.last()
            && !last.when.0.is_empty()
        {
            p.at(
                &[Seg::Key("routing"), Seg::Index(self.routing.len() - 1)],
                format!(
                    "the last routing rule `{}` has conditions; end with a default rule without `when` so every lead has an owner",
                    last.name
                ),
            );
        }
    }

    /// Escalation rules: names, windows, statuses, targets and fallbacks.
    fn check_escalation(&self, p: &mut Problems) {
        let mut names = BTreeSet::new();
        for (i, r) in self.escalation.iter().enumerate() {
            let at = |k: &'static str| vec![Seg::Key("escalation"), Seg::Index(i), Seg::Key(k)];
            if !names.insert(r.name.as_str()) {
                p.at(&at("name"), format!("escalation rule name `{}` appears twice", r.name));
            }
            if clock::parse_window(&r.after).is_none() {
                p.at(
                    &at("after"),
                    format!("escalation rule `{}`: after `{}` is not a window such as 0m, 15m, 2h", r.name, r.after),
                );
            }
            if r.status.is_empty() || r.status.contains(&Status::Closed) {
                p.at(
                    &at("status"),
                    format!(
                        "escalation rule `{}`: status lists the open statuses it watches (intake, assigned, accepted)",
                        r.name
                    ),
                );
            }
            if let Some(c) = &r.calendar
                && !self.calendar_specs.iter().any(|spec| spec.name == *c)
            {
                p.at(&at("calendar"), format!("escalation rule `{}`: calendar `{c}` is not defined", r.name));
            }
            if r.hours == Hours::Business && self.business_hours.is_none() {
                p.at(
                    &at("hours"),
                    format!("escalation rule `{}` counts business hours; define business_hours", r.name),
                );
            }
            let rerouted_in_pool = r.to == super::NEXT_IN_POOL && r.action == super::Action::Reassign;
            if !self.is_target(&r.to) && !rerouted_in_pool {
                p.at(
                    &at("to"),
                    format!(
                        "escalation rule `{}`: `to: {}` is not a staff id, a role, oncall:SCHEDULE, or `owner`",
                        r.name, r.to
                    ),
                );
            }
            match (&r.fallback, r.to.as_str()) {
                (Some(f), _) if f == "owner" || !self.is_target(f) => {
                    p.at(
                        &at("fallback"),
                        format!("escalation rule `{}`: fallback `{f}` is not a staff id or a role", r.name),
                    );
                }
                (None, "owner") => p.at(
                    &at("to"),
                    format!(
                        "escalation rule `{}`: `to: owner` needs a `fallback` (a role or staff id) for unowned leads",
                        r.name
                    ),
                ),
                _ => {}
            }
            self.check_steps(p, i, r);
        }
    }

    /// An escalation rule's climb: repeats, levels in rising order, reassign targets.
    fn check_steps(&self, p: &mut Problems, i: usize, r: &super::EscalationRule) {
        use super::{Action, MAX_REPEAT_LIMIT, NEXT_IN_POOL};
        let mut last = None;
        for step in r.steps() {
            let at = |k: &'static str| {
                let mut path = vec![Seg::Key("escalation"), Seg::Index(i)];
                if step.level > 1 {
                    path.extend([Seg::Key("levels"), Seg::Index(step.level as usize - 2)]);
                }
                path.push(Seg::Key(k));
                path
            };
            let name =
                if step.level > 1 { format!("`{}` level {}", r.name, step.level) } else { format!("`{}`", r.name) };
            if step.level > 1 {
                match clock::parse_window(step.after) {
                    None => p.at(
                        &at("after"),
                        format!("escalation rule {name}: after `{}` is not a window such as 15m", step.after),
                    ),
                    Some(w) if last.is_some_and(|l| w <= l) => p.at(
                        &at("after"),
                        format!(
                            "escalation rule {name}: after `{}` must be later than the level before it",
                            step.after
                        ),
                    ),
                    Some(_) => {}
                }
                let target_ok = self.is_target(step.to) || (step.to == NEXT_IN_POOL && step.action == Action::Reassign);
                if !target_ok {
                    p.at(
                        &at("to"),
                        format!("escalation rule {name}: `to: {}` is not a staff id, a role, or `owner`", step.to),
                    );
                }
                if let Some(f) = step.fallback
                    && (f == "owner" || !self.is_target(f))
                {
                    p.at(
                        &at("fallback"),
                        format!("escalation rule {name}: fallback `{f}` is not a staff id or a role"),
                    );
                }
            }
            last = clock::parse_window(step.after).or(last);
            if let Some(every) = step.repeat
                && clock::parse_window(every).is_none_or(|w| w.is_zero())
            {
                p.at(&at("repeat"), format!("escalation rule {name}: repeat `{every}` is not a window such as 5m"));
            }
            if let Some(limit) = step.limit {
                if step.repeat.is_none() {
                    p.at(
                        &at("limit"),
                        format!("escalation rule {name}: limit goes with repeat (how many times in all)"),
                    );
                } else if limit == 0 || limit > MAX_REPEAT_LIMIT {
                    p.at(&at("limit"), format!("escalation rule {name}: limit must be 1 to {MAX_REPEAT_LIMIT}"));
                }
            }
            if step.action == Action::Reassign {
                if step.to == "owner" {
                    p.at(&at("to"), format!("escalation rule {name}: a reassign step re-routes away from the owner; name a staff id, a role or {NEXT_IN_POOL}"));
                }
                if step.repeat.is_some() {
                    p.at(
                        &at("repeat"),
                        format!("escalation rule {name}: a reassign step happens once; leave out repeat"),
                    );
                }
                if r.status.contains(&Status::Accepted) {
                    p.at(
                        &[Seg::Key("escalation"), Seg::Index(i), Seg::Key("status")],
                        format!("escalation rule {name}: reassign re-routes unaccepted leads; watch intake and assigned only"),
                    );
                }
            }
        }
        if (!r.levels.is_empty() || r.repeat.is_some() || r.levels.iter().any(|l| l.repeat.is_some()))
            && r.name.contains(['/', '#'])
        {
            p.at(
                &[Seg::Key("escalation"), Seg::Index(i), Seg::Key("name")],
                format!("escalation rule `{}`: a rule that climbs or repeats names its steps NAME/LEVEL#N; leave '/' and '#' out of its name", r.name),
            );
        }
    }

    /// Staff contacts and the `notifications` section (channels, quiet hours, vocabularies).
    fn check_notifications(&self, p: &mut Problems) {
        fn segs<'a>(prefix: &[Seg<'a>], path: &'a [String]) -> Vec<Seg<'a>> {
            let mut out = prefix.to_vec();
            out.extend(path.iter().map(|k| k.parse().map_or(Seg::Key(k.as_str()), Seg::Index)));
            out
        }
        for (i, s) in self.staff.iter().enumerate() {
            for problem in s.contacts.check() {
                let at = segs(&[Seg::Key("staff"), Seg::Index(i), Seg::Key("contacts")], &problem.path);
                p.at(&at, format!("staff `{}` contacts: {}", s.id, problem.message));
            }
        }
        let n = &self.notifications;
        for problem in n.check() {
            p.at(&segs(&[Seg::Key("notifications")], &problem.path), format!("notifications: {}", problem.message));
        }
        let urgencies = &self.vocabulary.urgency;
        for value in &n.quiet_hours_override {
            if !urgencies.contains(value) {
                p.at(
                    &[Seg::Key("notifications"), Seg::Key("quiet_hours_override")],
                    format!("notifications: `{value}` is not in vocabulary.urgency ({})", urgencies.join(", ")),
                );
            }
        }
        for (i, c) in n.channels.iter().enumerate() {
            for value in c.urgency.iter().flatten().filter(|v| !urgencies.contains(v)) {
                p.at(
                    &[Seg::Key("notifications"), Seg::Key("channels"), Seg::Index(i), Seg::Key("urgency")],
                    format!("notifications: channel `{}`: `{value}` is not in vocabulary.urgency", c.name),
                );
            }
        }
    }

    /// QA settings.
    fn check_qa(&self, p: &mut Problems) {
        if self.qa.sample_size == 0 {
            p.at(
                &[Seg::Key("qa"), Seg::Key("sample_size")],
                "qa.sample_size must be at least 1 (the SOP asks for 5)".to_owned(),
            );
        }
    }
}
