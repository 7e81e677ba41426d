//! `handoff search TEXT [--status S] [--all]`: find a caller by name, phone, address or notes.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::clock::Stamp;
use crate::context::Ctx;
use crate::error::refused;
use crate::lead::{LeadId, Status};
use crate::output::{Format, Table, emit};
use crate::search::Query;
use crate::store::Want;

/// Find leads by name, phone (any format: 555-0142 finds +13125550142), address, market,
/// notes or referral; open leads unless --all or --status. Newest first.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  handoff search 555-0142              # the phone as the caller says it\n  handoff search 'elm st'              # every word must occur (any case)\n  handoff search lopez --all           # closed leads too\n  handoff search lopez --status closed\n\nExit 0 with the matches (none is not an error: the table is empty and stderr says so)."
)]
pub struct SearchArgs {
    /// What to look for: a phone number (4+ digits, any punctuation) or words.
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// Only leads in this status (intake, assigned, accepted, closed).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<Status>,
    /// Include closed leads.
    #[arg(long)]
    pub all: bool,
}

/// One match (the JSON keys of `handoff search --json`).
#[derive(Serialize)]
struct Hit {
    id: LeadId,
    status: Status,
    owner: Option<String>,
    full_name: Option<String>,
    primary_phone: Option<String>,
    service_address: Option<String>,
    market: Option<String>,
    created_at: Stamp,
    /// The fields the query matched.
    matched: Vec<&'static str>,
}

pub fn run(ctx: &Ctx, args: SearchArgs) -> Result<()> {
    let query = Query::parse(&args.text).ok_or_else(|| {
        refused("the search text is empty; give a name, a phone number, part of an address or a word from the notes")
    })?;
    let want = if args.all || args.status == Some(Status::Closed) { Want::All } else { Want::Open };
    let (mut hits, errors) = ctx.ws.scan_map_where(
        want,
        |text| query.may_match(&text.to_lowercase()),
        |lead| {
            let keep = args.status.map_or(args.all || lead.is_open(), |s| lead.status == s);
            let matched = query.matches(&lead).filter(|_| keep)?;
            Some(Hit {
                id: lead.id,
                status: lead.status,
                owner: lead.owner,
                full_name: lead.full_name,
                primary_phone: lead.primary_phone,
                service_address: lead.service_address,
                market: lead.market,
                created_at: lead.created_at,
                matched: matched.iter().map(|f| f.name()).collect(),
            })
        },
    )?;
    hits.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
    if hits.is_empty() && ctx.format == Format::Table {
        let scope =
            if args.all || args.status.is_some() { "" } else { " (open leads; --all searches closed ones too)" };
        eprintln!("no lead matches `{}`{scope}", args.text);
    }
    let short = ctx.short_ids()?;
    let data = serde_json::json!({ "query": args.text, "count": hits.len(), "results": hits });
    emit(ctx.format, &data, || {
        let mut t = Table::new(&["id", "status", "owner", "name", "phone", "address", "matched"]);
        for h in &hits {
            let id = if ctx.format == Format::Csv { h.id.as_str() } else { short.get(&h.id) };
            t.row(vec![
                id.to_owned(),
                h.status.to_string(),
                h.owner.clone().unwrap_or_else(|| "-".to_owned()),
                h.full_name.clone().unwrap_or_default(),
                h.primary_phone.clone().unwrap_or_default(),
                h.service_address.clone().or_else(|| h.market.clone()).unwrap_or_default(),
                h.matched.join(", "),
            ]);
        }
        t
    })?;
    super::skipped(&errors)
}
