//! Interactive capture: ask for the missing intake fields on the terminal, in the SOP's
//! order, offering each vocabulary as numbered choices and checking the phone as typed.
//! End of input (Ctrl-D) cancels; Ctrl-C ends the process before anything is written.

use std::io::{BufRead, Write};

use anyhow::Result;

use crate::context::Ctx;
use crate::error::refused;
use crate::field::Field;
use crate::lead::Lead;

/// Whether `field` still needs asking for.
fn needed(ctx: &Ctx, lead: &Lead, field: &str, asked_optional: bool) -> bool {
    let missing = lead.missing_intake(ctx.rules.requirements(lead));
    match field {
        "service_address" | "market" => missing.contains(&"service_address/market"),
        "fit" => lead.fit.is_none() && !asked_optional,
        f => missing.contains(&f),
    }
}

/// Prompt on stderr, read answers from stdin, until every required field is filled.
pub fn missing_fields(ctx: &Ctx, lead: &mut Lead) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut err = std::io::stderr();
    writeln!(err, "Missing details (Ctrl-C to cancel; nothing is saved until the end):")?;
    // The intake fields in the SOP's order ("intake tags urgency, service type, and fit").
    for &f in Field::INTAKE {
        let field = f.name();
        if !needed(ctx, lead, field, false) {
            continue;
        }
        let choices = ctx.rules.vocabulary(field);
        let optional = matches!(field, "fit" | "service_address" | "market");
        loop {
            let label = field.replace('_', " ");
            if let Some(list) = choices {
                let numbered: Vec<String> = list.iter().enumerate().map(|(i, v)| format!("{}) {v}", i + 1)).collect();
                write!(err, "{label} [{}]{}: ", numbered.join("  "), if optional { " (Enter to skip)" } else { "" })?;
            } else if field == "service_address" {
                write!(err, "service address (Enter if you only know the market): ")?;
            } else {
                write!(err, "{label}: ")?;
            }
            err.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                return Err(refused("capture cancelled at the prompt; nothing was saved"));
            }
            let mut answer = line.trim().to_owned();
            if answer.is_empty() {
                if optional && (field != "market" || !needed(ctx, lead, "market", true)) {
                    break;
                }
                writeln!(err, "  {label} is required")?;
                continue;
            }
            if let (Some(list), Ok(n)) = (choices, answer.parse::<usize>())
                && let Some(v) = n.checked_sub(1).and_then(|i| list.get(i))
            {
                answer = v.clone();
            }
            match f.check(&ctx.rules, &answer) {
                Ok(value) => {
                    f.set(lead, value);
                    break;
                }
                Err(e) => writeln!(err, "  {e}")?,
            }
        }
    }
    Ok(())
}
