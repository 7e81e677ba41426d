//! `handoff bench-generate N` (hidden): fill a workspace with N realistic leads for the
//! benchmark, written with the product's own serialiser into the product's own layout.

use std::fs;

use anyhow::{Context, Result};
use clap::Args;
use jiff::{SignedDuration, Timestamp};

use crate::clock::Stamp;
use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{Event, EventKind, Lead, LeadId, Status};
use crate::store::serialize_lead;

/// Generate N seeded leads (benchmark data; not for real workspaces).
#[derive(Debug, Args)]
pub struct BenchGenerateArgs {
    /// How many leads.
    pub count: usize,
    /// The random seed (same seed, same leads).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of leads that are closed (the oldest ones), 0 to 1.
    #[arg(long, default_value_t = 0.8)]
    pub closed: f64,
    /// Capture times spread evenly over this many months before --now.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Write flat leads/<id>.yaml files (the layout before `handoff migrate`).
    #[arg(long)]
    pub flat: bool,
}

/// splitmix64: small, seeded, reproducible; no dependency for benchmark data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const OWNERS: &[&str] = &["dev", "olive", "sam"];
const URGENCY: &[&str] = &["emergency", "active-loss", "urgent", "standard", "standard", "standard", "low"];
const SOURCE: &[&str] = &["phone", "phone", "web-form", "missed-call-recovered", "repeat-customer", "ads"];
const SERVICE: &[&str] = &["repair", "repair", "maintenance", "install", "inspection"];
const OUTCOME: &[&str] = &["booked", "won", "lost", "no-response", "not-a-fit", "duplicate"];
const FIRST: &[&str] = &["Maria", "Tom", "Priya", "Chen", "Lena", "Sam", "Ahmed", "Olga", "Luis", "Grace"];
const LAST: &[&str] = &["Lopez", "Becker", "Shah", "Wei", "Ortiz", "Patel", "Khan", "Novak", "Garcia", "Kim"];
const PROBLEMS: &[&str] = &[
    "Water heater leaking into the basement",
    "No hot water since last night",
    "Furnace makes a banging noise at start-up",
    "Kitchen sink drains slowly",
    "AC not cooling upstairs",
];
const DETAILS: &[&str] =
    &["Customer prefers calls after 3pm.", "Gate code 4471; dog in the yard.", "Has photos, will text them."];
const ACTIONS: &[&str] = &["Call the customer to schedule", "Send the estimate", "Confirm the visit", "Call back"];

pub fn run(ctx: &Ctx, args: BenchGenerateArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.closed) || args.months == 0 {
        return Err(refused("--closed is a share from 0 to 1, and --months at least 1"));
    }
    let tz = ctx.rules.tz.clone();
    let now = ctx.now.timestamp();
    let span = SignedDuration::from_hours(i64::from(args.months) * 730);
    let mut rng = Rng(args.seed);
    let stamp = |t: Timestamp| Stamp::from_zoned(&t.to_zoned_datetime(tz.clone()));
    let mut made_dirs = std::collections::HashSet::new();
    for i in 0..args.count {
        // Evenly spread, oldest first; the oldest `closed` share is closed.
        let age = span.mul_f64(1.0 - (i as f64 + 0.5) / args.count.max(1) as f64);
        let created = now - age;
        let closed = (i as f64) < args.closed * args.count as f64;
        let mut random = [0u8; 16];
        for b in &mut random {
            *b = rng.next() as u8;
        }
        let date = created.to_zoned_datetime(tz.clone()).date();
        let id = LeadId::new(date, &random);
        let owner = rng.pick(OWNERS);
        let mut t = created;
        let mut lead = Lead {
            id,
            status: Status::Intake,
            created_at: stamp(t),
            captured_by: "ana".to_owned(),
            full_name: Some(format!("{} {}", rng.pick(FIRST), rng.pick(LAST))),
            primary_phone: Some(format!("+1312555{:04}", rng.below(10_000))),
            service_address: Some(format!("{} Elm St", 1 + rng.below(999))),
            market: Some("North".to_owned()),
            service_type: Some(rng.pick(SERVICE).to_owned()),
            urgency: Some(rng.pick(URGENCY).to_owned()),
            fit: None,
            source: Some(rng.pick(SOURCE).to_owned()),
            referral: None,
            notes: Some(format!("{}\n{}", rng.pick(PROBLEMS), rng.pick(DETAILS))),
            next_action: None,
            next_action_due: None,
            follow_up_on: None,
            owner: None,
            history: vec![Event::new(stamp(t), "ana", EventKind::Captured)],
        };
        let stage = if closed { 3 } else { rng.below(3) };
        let step = |rng: &mut Rng, t: &mut Timestamp, max_minutes: u64| {
            let next = *t + SignedDuration::from_mins(1 + rng.below(max_minutes) as i64);
            *t = if next < now { next } else { *t };
        };
        if stage >= 1 {
            step(&mut rng, &mut t, 10);
            let action = rng.pick(ACTIONS).to_owned();
            let due = stamp(t + SignedDuration::from_hours(1 + rng.below(48) as i64));
            lead.owner = Some(owner.to_owned());
            lead.next_action = Some(action.clone());
            lead.next_action_due = Some(due);
            lead.status = Status::Assigned;
            lead.history.push(Event {
                to: Some(owner.to_owned()),
                rule: Some("default".to_owned()),
                changed: vec!["owner".into(), "next_action".into(), "next_action_due".into()],
                action: Some(action),
                due: Some(due),
                ..Event::new(stamp(t), "ana", EventKind::Assigned)
            });
        }
        if stage >= 2 {
            step(&mut rng, &mut t, 40);
            lead.status = Status::Accepted;
            lead.history.push(Event { to: Some(owner.to_owned()), ..Event::new(stamp(t), owner, EventKind::Accepted) });
            for _ in 0..rng.below(5) {
                step(&mut rng, &mut t, 600);
                lead.history.push(Event {
                    text: Some(rng.pick(DETAILS).to_owned()),
                    ..Event::new(stamp(t), owner, EventKind::Noted)
                });
            }
        }
        if stage >= 3 {
            step(&mut rng, &mut t, 2000);
            lead.status = Status::Closed;
            lead.history.push(Event {
                outcome: Some(rng.pick(OUTCOME).to_owned()),
                ..Event::new(stamp(t), owner, EventKind::Closed)
            });
        }
        let path = if args.flat { ctx.ws.flat_path(&lead.id) } else { ctx.ws.sharded_path(&lead.id) };
        if let Some(dir) = path.parent()
            && made_dirs.insert(dir.to_path_buf())
        {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        fs::write(&path, serialize_lead(&lead)?).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("{} leads in {}", args.count, ctx.ws.leads_dir().display());
    Ok(())
}
