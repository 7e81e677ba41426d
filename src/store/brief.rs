//! The scan index's copy of an open lead's [`crate::escalation::brief`], in a compact binary
//! form: escalate-check, `list` and `report` decode one per open lead on every scan, and a
//! JSON brief cost more to parse (text to check, stamps to parse) than the rest of the scan.
//!
//! The layout is the record's fields in order (length-prefixed text, a stamp as its Unix
//! seconds, nanoseconds and UTC offset), then each kept event: its kind's number, `at`,
//! `by` and the fields a brief keeps. [`decode`] returns `None` for anything it does not
//! fully walk, and the scan then reads the file: a damaged brief costs speed, never a lead.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;

use crate::clock::Stamp;
use crate::lead::{Event, EventKind, Lead, LeadId, Status};

/// Every event kind, by its number in the encoding (append only).
const KINDS: [EventKind; 13] = [
    EventKind::Captured,
    EventKind::Updated,
    EventKind::Noted,
    EventKind::Assigned,
    EventKind::Accepted,
    EventKind::Rejected,
    EventKind::Transferred,
    EventKind::Next,
    EventKind::Closed,
    EventKind::Reopened,
    EventKind::Escalated,
    EventKind::QaReview,
    EventKind::Conflict,
];

/// `lead`'s brief ([`crate::escalation::brief`]), encoded: `decode(&encode(l)) == Some(brief(l))`.
pub fn encode(lead: &Lead) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    text(&mut out, lead.id.as_str());
    out.push(Status::ALL.iter().position(|s| *s == lead.status).unwrap_or(0) as u8);
    stamp(&mut out, &lead.created_at);
    text(&mut out, &lead.captured_by);
    for field in [
        &lead.full_name,
        &lead.market,
        &lead.service_type,
        &lead.urgency,
        &lead.fit,
        &lead.source,
        &lead.referral,
        &lead.next_action,
        &lead.owner,
    ] {
        opt_text(&mut out, field.as_deref());
    }
    opt_stamp(&mut out, lead.next_action_due.as_ref());
    match lead.follow_up_on {
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.year().to_le_bytes());
            out.push(d.month() as u8);
            out.push(d.day() as u8);
        }
        None => out.push(0),
    }
    let kept = crate::escalation::brief_events(lead);
    out.extend_from_slice(&(kept.clone().count() as u32).to_le_bytes());
    for e in kept {
        out.push(KINDS.iter().position(|k| *k == e.event).unwrap_or(0) as u8);
        stamp(&mut out, &e.at);
        text(&mut out, &e.by);
        for field in [&e.to, &e.from, &e.rule, &e.action] {
            opt_text(&mut out, field.as_deref());
        }
        opt_stamp(&mut out, e.due.as_ref());
        opt_stamp(&mut out, e.clock.as_ref());
    }
    out
}

/// The brief [`encode`] wrote, or `None` when `bytes` are not one whole.
pub fn decode(bytes: &[u8]) -> Option<Lead> {
    let mut r = Reader { bytes, at: 0 };
    let id: LeadId = r.text()?.parse().ok()?;
    let status = *Status::ALL.get(usize::from(r.byte()?))?;
    let created_at = r.stamp()?;
    let captured_by = r.text()?.to_owned();
    let mut fields: [Option<String>; 9] = Default::default();
    for field in &mut fields {
        *field = r.opt_text()?.map(str::to_owned);
    }
    let [full_name, market, service_type, urgency, fit, source, referral, next_action, owner] = fields;
    let next_action_due = r.opt_stamp()?;
    let follow_up_on = match r.byte()? {
        0 => None,
        1 => {
            let year = i16::from_le_bytes(r.take(2)?.try_into().ok()?);
            let (month, day) = (r.byte()? as i8, r.byte()? as i8);
            Some(Date::new(year, month, day).ok()?)
        }
        _ => return None,
    };
    let count = r.u32()? as usize;
    // Each event takes at least 30 bytes: a count beyond what is left is damage.
    let mut history = Vec::with_capacity(count.min(r.left() / 30));
    for _ in 0..count {
        let kind = *KINDS.get(usize::from(r.byte()?))?;
        let at = r.stamp()?;
        let by = r.text()?;
        let mut event = Event::new(at, by, kind);
        for field in [&mut event.to, &mut event.from, &mut event.rule, &mut event.action] {
            *field = r.opt_text()?.map(str::to_owned);
        }
        event.due = r.opt_stamp()?;
        event.clock = r.opt_stamp()?;
        history.push(event);
    }
    (r.left() == 0).then_some(Lead {
        id,
        status,
        created_at,
        captured_by,
        full_name,
        primary_phone: None,
        service_address: None,
        market,
        service_type,
        urgency,
        fit,
        source,
        referral,
        notes: None,
        next_action,
        next_action_due,
        follow_up_on,
        owner,
        history,
    })
}

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn opt_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => text(out, s),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

fn stamp(out: &mut Vec<u8>, s: &Stamp) {
    let ts = s.timestamp();
    out.extend_from_slice(&ts.as_second().to_le_bytes());
    out.extend_from_slice(&ts.subsec_nanosecond().to_le_bytes());
    out.extend_from_slice(&s.offset().seconds().to_le_bytes());
}

fn opt_stamp(out: &mut Vec<u8>, s: Option<&Stamp>) {
    match s {
        Some(s) => {
            out.push(1);
            stamp(out, s);
        }
        None => out.push(0),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn text(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn opt_text(&mut self) -> Option<Option<&'a str>> {
        match self.u32()? {
            u32::MAX => Some(None),
            n => std::str::from_utf8(self.take(n as usize)?).ok().map(Some),
        }
    }
    fn stamp(&mut self) -> Option<Stamp> {
        let secs = i64::from_le_bytes(self.take(8)?.try_into().ok()?);
        let nanos = self.i32()?;
        let offset = Offset::from_seconds(self.i32()?).ok()?;
        Some(Stamp::from_parts(Timestamp::new(secs, nanos).ok()?, offset))
    }
    fn opt_stamp(&mut self) -> Option<Option<Stamp>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.stamp().map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::brief;

    fn stamp(s: &str) -> Stamp {
        s.parse().unwrap()
    }

    fn worked_lead() -> Lead {
        let mut lead: Lead = serde_norway::from_str(
            "id: 20261124-k3f9qx2ab\nstatus: accepted\ncreated_at: 2026-11-24T09:30:00.25-06:00\ncaptured_by: ana\n\
             full_name: Dana Ruiz\nprimary_phone: 555-0142\nservice_address: 1 Elm St\nmarket: north\n\
             service_type: plumbing\nurgency: emergency\nfit: good\nsource: phone\nreferral: Joe\n\
             notes: gate code 1234\nnext_action: call back\nnext_action_due: 2026-11-25T10:00:00+05:30\n\
             follow_up_on: 2026-12-01\nowner: dev\nhistory: []\n",
        )
        .unwrap();
        let at = |s| stamp(s);
        lead.history = vec![
            Event {
                text: Some("burst pipe".into()),
                ..Event::new(at("2026-11-24T09:30:00-06:00"), "ana", EventKind::Captured)
            },
            Event {
                text: Some("called".into()),
                ..Event::new(at("2026-11-24T09:31:00-06:00"), "ana", EventKind::Noted)
            },
            Event {
                to: Some("dev".into()),
                rule: Some("emergency".into()),
                action: Some("call back".into()),
                due: Some(at("2026-11-24T10:00:00-06:00")),
                reason: Some("on call".into()),
                ..Event::new(at("2026-11-24T09:32:00-06:00"), "ana", EventKind::Assigned)
            },
            Event {
                to: Some("olive".into()),
                rule: Some("unaccepted".into()),
                clock: Some(at("2026-11-24T09:32:00-06:00")),
                ..Event::new(at("2026-11-24T09:47:00-06:00"), "system", EventKind::Escalated)
            },
            Event {
                to: Some("eve".into()),
                from: Some("dev".into()),
                ..Event::new(at("2026-11-24T09:50:00-06:00"), "olive", EventKind::Transferred)
            },
            Event::new(at("2026-11-24T09:51:00-06:00"), "eve", EventKind::Accepted),
            Event {
                text: Some("on the way".into()),
                ..Event::new(at("2026-11-24T09:52:00-06:00"), "eve", EventKind::Noted)
            },
        ];
        lead
    }

    #[test]
    fn a_brief_decodes_to_exactly_the_brief_of_the_lead() {
        let lead = worked_lead();
        let small = decode(&encode(&lead)).expect("decodes");
        assert_eq!(small, brief(&lead));
        assert!(small.history.iter().all(|e| e.text.is_none()), "free text stays out");
        assert_eq!(small.created_at.to_string(), lead.created_at.to_string(), "fraction and offset kept");
        assert_eq!(small.next_action_due.unwrap().to_string(), "2026-11-25T10:00:00+05:30");

        let bare = Lead { history: Vec::new(), follow_up_on: None, full_name: None, ..lead };
        assert_eq!(decode(&encode(&bare)), Some(brief(&bare)));
    }

    #[test]
    fn a_cut_or_damaged_brief_is_refused() {
        let bytes = encode(&worked_lead());
        for n in 0..bytes.len() {
            assert_eq!(decode(&bytes[..n]), None, "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None, "trailing bytes");
        let mut bad_id = bytes;
        bad_id[4] = b'!'; // the id's first character
        assert_eq!(decode(&bad_id), None, "an id that is not one");
    }
}
