//! The record's fields as one enum: name, command-line flag, how to fill it, its
//! vocabulary, and get/set on a [`Lead`]. Every field list in the product (flags, prompts,
//! import columns, `--missing`, export, show) derives from [`Field::ALL`], so adding a
//! field is a compile-guided change here and in `Lead`.

use std::fmt;
use std::str::FromStr;

use crate::lead::Lead;
use crate::phone;
use crate::rules::Rules;

/// A record field a user can name (`--missing`, `changed`, import columns), in record order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Field {
    FullName,
    PrimaryPhone,
    ServiceAddress,
    Market,
    ServiceType,
    Urgency,
    Fit,
    Source,
    Referral,
    Notes,
    NextAction,
    NextActionDue,
    FollowUpOn,
    Owner,
}

/// Which vocabulary of rules.yaml a field's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocab {
    Urgency,
    Fit,
    Source,
    ServiceType,
}

impl Field {
    /// Every field, in record order (SPEC.md's table).
    pub const ALL: [Field; 14] = [
        Field::FullName,
        Field::PrimaryPhone,
        Field::ServiceAddress,
        Field::Market,
        Field::ServiceType,
        Field::Urgency,
        Field::Fit,
        Field::Source,
        Field::Referral,
        Field::Notes,
        Field::NextAction,
        Field::NextActionDue,
        Field::FollowUpOn,
        Field::Owner,
    ];

    /// The intake fields, in the SOP's order: what capture, update and import set (the
    /// record up to the notes).
    pub const INTAKE: &'static [Field] = Field::ALL.split_at(10).0;

    /// The name in the lead file.
    pub fn name(self) -> &'static str {
        match self {
            Field::FullName => "full_name",
            Field::PrimaryPhone => "primary_phone",
            Field::ServiceAddress => "service_address",
            Field::Market => "market",
            Field::ServiceType => "service_type",
            Field::Urgency => "urgency",
            Field::Fit => "fit",
            Field::Source => "source",
            Field::Referral => "referral",
            Field::Notes => "notes",
            Field::NextAction => "next_action",
            Field::NextActionDue => "next_action_due",
            Field::FollowUpOn => "follow_up_on",
            Field::Owner => "owner",
        }
    }

    /// The command-line flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Field::FullName => "--name",
            Field::PrimaryPhone => "--phone",
            Field::ServiceAddress => "--address",
            Field::Market => "--market",
            Field::ServiceType => "--service",
            Field::Urgency => "--urgency",
            Field::Fit => "--fit",
            Field::Source => "--source",
            Field::Referral => "--referral",
            Field::Notes => "--notes",
            Field::NextAction => "--next-action",
            Field::NextActionDue => "--due",
            Field::FollowUpOn => "--follow-up",
            Field::Owner => "--to",
        }
    }

    /// The command that fills it, for refusal messages.
    pub fn fill_with(self) -> &'static str {
        match self {
            Field::FullName => "handoff update ID --name TEXT",
            Field::PrimaryPhone => "handoff update ID --phone NUMBER",
            Field::ServiceAddress | Field::Market => "handoff update ID --address TEXT (or --market TEXT)",
            Field::ServiceType => "handoff update ID --service TYPE",
            Field::Urgency => "handoff update ID --urgency LEVEL",
            Field::Fit => "handoff update ID --fit FIT",
            Field::Source => "handoff update ID --source SOURCE",
            Field::Referral => "handoff update ID --referral TEXT",
            Field::Notes => "handoff update ID --notes TEXT",
            Field::NextAction => "handoff assign ID --next-action TEXT",
            Field::NextActionDue => "handoff assign ID --due TIME",
            Field::FollowUpOn => "handoff update ID --follow-up DATE",
            Field::Owner => "handoff assign ID --to STAFF",
        }
    }

    /// `set FIELD with `COMMAND``, for refusal messages.
    pub fn hint(self) -> String {
        format!("set {self} with `{}`", self.fill_with())
    }

    /// The vocabulary its values must come from, if any.
    pub fn vocab(self) -> Option<Vocab> {
        match self {
            Field::Urgency => Some(Vocab::Urgency),
            Field::Fit => Some(Vocab::Fit),
            Field::Source => Some(Vocab::Source),
            Field::ServiceType => Some(Vocab::ServiceType),
            _ => None,
        }
    }

    /// Whether it is an intake text field that `set` can write.
    pub fn is_intake(self) -> bool {
        Field::INTAKE.contains(&self)
    }

    /// The field's value as text (times and dates in their stored form).
    pub fn get(self, lead: &Lead) -> Option<String> {
        match self {
            Field::NextActionDue => lead.next_action_due.map(|s| s.to_string()),
            Field::FollowUpOn => lead.follow_up_on.map(|d| d.to_string()),
            text => text.slot_ref(lead).clone(),
        }
    }

    /// Set an intake text field; returns whether it changed. Other fields are set by
    /// their own commands (assign, next, update --follow-up) and are left alone here.
    pub fn set(self, lead: &mut Lead, value: String) -> bool {
        if !self.is_intake() {
            return false;
        }
        let slot = self.slot(lead);
        if slot.as_deref() == Some(value.as_str()) {
            return false;
        }
        *slot = Some(value);
        true
    }

    /// Set or clear (`None`) an intake text field; returns whether it changed.
    pub fn set_opt(self, lead: &mut Lead, value: Option<String>) -> bool {
        match value {
            Some(v) => self.set(lead, v),
            None if self.is_intake() && self.slot(lead).is_some() => {
                *self.slot(lead) = None;
                true
            }
            None => false,
        }
    }

    /// Check one value for this field and normalise it (phones to E.164), or say what is
    /// wrong, naming the flag and the accepted values.
    pub fn check(self, rules: &Rules, value: &str) -> Result<String, String> {
        let value = value.trim();
        if self == Field::PrimaryPhone {
            return phone::normalize(value, &rules.phone_country_code).map_err(|e| format!("{}: {e:#}", self.flag()));
        }
        if value.is_empty() {
            return Err(format!("{} is empty; give a value or leave the flag out", self.flag()));
        }
        rules.check_value(self.name(), value).map_err(|m| format!("{}: {m}", self.flag()))?;
        Ok(value.to_owned())
    }

    fn slot(self, lead: &mut Lead) -> &mut Option<String> {
        match self {
            Field::FullName => &mut lead.full_name,
            Field::PrimaryPhone => &mut lead.primary_phone,
            Field::ServiceAddress => &mut lead.service_address,
            Field::Market => &mut lead.market,
            Field::ServiceType => &mut lead.service_type,
            Field::Urgency => &mut lead.urgency,
            Field::Fit => &mut lead.fit,
            Field::Source => &mut lead.source,
            Field::Referral => &mut lead.referral,
            Field::Notes => &mut lead.notes,
            Field::NextAction => &mut lead.next_action,
            Field::Owner => &mut lead.owner,
            Field::NextActionDue | Field::FollowUpOn => unreachable!("typed fields have no text slot"),
        }
    }

    fn slot_ref(self, lead: &Lead) -> &Option<String> {
        match self {
            Field::FullName => &lead.full_name,
            Field::PrimaryPhone => &lead.primary_phone,
            Field::ServiceAddress => &lead.service_address,
            Field::Market => &lead.market,
            Field::ServiceType => &lead.service_type,
            Field::Urgency => &lead.urgency,
            Field::Fit => &lead.fit,
            Field::Source => &lead.source,
            Field::Referral => &lead.referral,
            Field::Notes => &lead.notes,
            Field::NextAction => &lead.next_action,
            Field::Owner => &lead.owner,
            Field::NextActionDue | Field::FollowUpOn => &None,
        }
    }

    /// The names of every field, for messages.
    pub fn names() -> String {
        Field::ALL.map(Field::name).join(", ")
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> Result<Field, String> {
        Field::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("`{s}` is not a record field; use one of: {}", Field::names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_follow_the_record_order() {
        for f in Field::ALL {
            assert_eq!(f.name().parse::<Field>(), Ok(f));
            assert_eq!(clap::ValueEnum::to_possible_value(&f).map(|v| v.get_name().to_owned()), Some(f.name().into()));
        }
        assert!(Field::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Field::INTAKE.last(), Some(&Field::Notes));
    }

    #[test]
    fn unknown_names_list_the_fields() {
        let err = "colour".parse::<Field>().unwrap_err();
        assert!(err.contains("full_name") && err.contains("owner"), "{err}");
    }
}
