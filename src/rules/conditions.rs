//! `when:` / `unless:` conditions on a lead's tags.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::lead::Lead;

/// Conditions on a lead's tags. Every key given must hold (values within a key are
/// alternatives); absent keys hold always.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub urgency: Option<Vec<String>>,
    pub fit: Option<Vec<String>>,
    pub service_type: Option<Vec<String>>,
    pub source: Option<Vec<String>>,
    pub market: Option<Vec<String>>,
    /// `true`: the lead has an owner; `false`: it has none.
    pub owned: Option<bool>,
    /// `true`: a next action is recorded; `false`: none is.
    pub next_action: Option<bool>,
}

impl Condition {
    pub fn matches(&self, lead: &Lead) -> bool {
        fn one(allowed: &Option<Vec<String>>, value: &Option<String>) -> bool {
            match allowed {
                None => true,
                Some(list) => value.as_ref().is_some_and(|v| list.contains(v)),
            }
        }
        one(&self.urgency, &lead.urgency)
            && one(&self.fit, &lead.fit)
            && one(&self.service_type, &lead.service_type)
            && one(&self.source, &lead.source)
            && one(&self.market, &lead.market)
            && self.owned.is_none_or(|o| o == lead.owner.is_some())
            && self.next_action.is_none_or(|n| n == lead.next_action.as_deref().is_some_and(|a| !a.trim().is_empty()))
    }
}

/// A `when:` / `unless:` value: one condition map, or a list of them of which any may hold.
/// An empty list (the key left out) matches every lead when used as `when`.
#[derive(Debug, Default, Clone)]
pub struct Conditions(pub Vec<Condition>);

impl Conditions {
    /// `when` semantics: no conditions match everything.
    pub fn admits(&self, lead: &Lead) -> bool {
        self.0.is_empty() || self.0.iter().any(|c| c.matches(lead))
    }

    /// `unless` semantics: no conditions exclude nothing.
    pub fn excludes(&self, lead: &Lead) -> bool {
        self.0.iter().any(|c| c.matches(lead))
    }
}

impl<'de> Deserialize<'de> for Conditions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Conditions, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Conditions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of conditions, or a list of such maps (any of them)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Conditions, A::Error> {
                let c = Condition::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Conditions(vec![c]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Conditions, A::Error> {
                let mut out = Vec::new();
                while let Some(c) = seq.next_element::<Condition>()? {
                    out.push(c);
                }
                Ok(Conditions(out))
            }
        }
        d.deserialize_any(V)
    }
}
