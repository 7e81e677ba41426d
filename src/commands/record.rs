//! The record-field flags shared by `capture` and `update`, and applying them to a lead.

use anyhow::Result;
use clap::Args;

use crate::context::Ctx;
use crate::error::refused;
use crate::lead::Lead;
use crate::phone;

#[derive(Debug, Args, Default, Clone)]
pub struct RecordArgs {
    /// Customer's full name.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Primary phone; stored as +E.164 where the number allows.
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    /// Service address.
    #[arg(long, value_name = "TEXT")]
    pub address: Option<String>,
    /// Market or service area (when there is no address yet).
    #[arg(long, value_name = "TEXT")]
    pub market: Option<String>,
    /// Service or problem type, from vocabulary.service_type.
    #[arg(long, value_name = "TYPE")]
    pub service: Option<String>,
    /// Urgency, from vocabulary.urgency.
    #[arg(long, value_name = "LEVEL")]
    pub urgency: Option<String>,
    /// Fit, from vocabulary.fit.
    #[arg(long, value_name = "FIT")]
    pub fit: Option<String>,
    /// Lead source, from vocabulary.source.
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Referral context (who referred, why); required for referral sources.
    #[arg(long, value_name = "TEXT")]
    pub referral: Option<String>,
    /// Summary notes: what the customer needs, in their words.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
}

/// Check one value and normalise it, or refuse naming the flag and the accepted values.
pub fn checked(ctx: &Ctx, field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if field == "primary_phone" {
        return phone::normalize(value, &ctx.rules.phone_country_code).map_err(|e| refused(format!("--phone: {e:#}")));
    }
    if value.is_empty() {
        return Err(refused(format!("{} is empty; give a value or leave the flag out", flag_of(field))));
    }
    ctx.rules.check_value(field, value).map_err(|m| refused(format!("{}: {m}", flag_of(field))))?;
    Ok(value.to_owned())
}

/// The command-line flag that sets a record field.
pub fn flag_of(field: &str) -> &'static str {
    match field {
        "full_name" => "--name",
        "primary_phone" => "--phone",
        "service_address" => "--address",
        "market" => "--market",
        "service_type" => "--service",
        "urgency" => "--urgency",
        "fit" => "--fit",
        "source" => "--source",
        "referral" => "--referral",
        "notes" => "--notes",
        _ => "--value",
    }
}

impl RecordArgs {
    /// The given flags as (record field, value) pairs, in record order.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("full_name", &self.name),
            ("primary_phone", &self.phone),
            ("service_address", &self.address),
            ("market", &self.market),
            ("service_type", &self.service),
            ("urgency", &self.urgency),
            ("fit", &self.fit),
            ("source", &self.source),
            ("referral", &self.referral),
            ("notes", &self.notes),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
        .collect()
    }

    /// Validate every given value, then set them; returns the fields that changed.
    /// Nothing is set unless every value is valid.
    pub fn apply(&self, ctx: &Ctx, lead: &mut Lead) -> Result<Vec<String>> {
        let mut values = Vec::new();
        for (field, raw) in self.fields() {
            values.push((field, checked(ctx, field, raw)?));
        }
        let mut changed = Vec::new();
        for (field, value) in values {
            if set_field(lead, field, value) {
                changed.push(field.to_owned());
            }
        }
        Ok(changed)
    }
}

/// Set a text record field; returns whether it changed.
pub fn set_field(lead: &mut Lead, field: &str, value: String) -> bool {
    let slot = match field {
        "full_name" => &mut lead.full_name,
        "primary_phone" => &mut lead.primary_phone,
        "service_address" => &mut lead.service_address,
        "market" => &mut lead.market,
        "service_type" => &mut lead.service_type,
        "urgency" => &mut lead.urgency,
        "fit" => &mut lead.fit,
        "source" => &mut lead.source,
        "referral" => &mut lead.referral,
        "notes" => &mut lead.notes,
        _ => return false,
    };
    if slot.as_deref() == Some(value.as_str()) {
        return false;
    }
    *slot = Some(value);
    true
}
