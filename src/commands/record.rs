//! The record-field flags shared by `capture` and `update`.

use clap::Args;

use crate::field::Field;

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

impl RecordArgs {
    /// The given flags as (record field, value) pairs, in record order.
    pub fn fields(&self) -> Vec<(Field, String)> {
        [
            (Field::FullName, &self.name),
            (Field::PrimaryPhone, &self.phone),
            (Field::ServiceAddress, &self.address),
            (Field::Market, &self.market),
            (Field::ServiceType, &self.service),
            (Field::Urgency, &self.urgency),
            (Field::Fit, &self.fit),
            (Field::Source, &self.source),
            (Field::Referral, &self.referral),
            (Field::Notes, &self.notes),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.clone().map(|v| (f, v)))
        .collect()
    }
}
