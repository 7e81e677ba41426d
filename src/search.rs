//! Finding a caller: a query matched against a lead's name, phone, address, market, notes
//! and referral. Pure: the leads (or their file text) are arguments.
//!
//! A query made of digits and phone punctuation (`555-0142`, `(312) 555`) is a phone
//! query: it matches a lead whose phone's digits contain the query's, so a number said any
//! way finds the stored `+13125550142`. Any other query is words, each of which must occur
//! (ignoring case) in one of the text fields.

use crate::field::Field;
use crate::lead::Lead;
use crate::phone;

/// The fields a query is matched against, in the order matches are reported.
pub const FIELDS: [Field; 6] =
    [Field::FullName, Field::PrimaryPhone, Field::ServiceAddress, Field::Market, Field::Notes, Field::Referral];

/// Shortest digit run searched as a phone number (fewer would match most of the book).
pub const MIN_PHONE_DIGITS: usize = 4;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Digits that must occur in the lead's phone number.
    Phone(String),
    /// Lowercase words that must each occur in one of the text fields.
    Words(Vec<String>),
}

impl Query {
    /// Parse what the user typed; `None` when there is nothing to search for.
    pub fn parse(text: &str) -> Option<Query> {
        let t = text.trim();
        let phone_like = t.chars().all(|c| c.is_ascii_digit() || " -.()+/".contains(c));
        let digits = phone::digits(t);
        if phone_like && digits.len() >= MIN_PHONE_DIGITS {
            return Some(Query::Phone(digits));
        }
        let words: Vec<String> = t.split_whitespace().map(str::to_lowercase).collect();
        (!words.is_empty()).then_some(Query::Words(words))
    }

    /// A cheap look at a lead file's raw text: `false` only when the lead cannot match, so
    /// most files of a large workspace are passed over without parsing. `lower` is the text
    /// lowercased.
    pub fn may_match(&self, lower: &str) -> bool {
        match self {
            Query::Phone(digits) => lower
                .lines()
                .find_map(|l| l.strip_prefix("primary_phone:"))
                .is_none_or(|v| phone_matches(&phone::digits(v), digits)),
            // A word with a quote or backslash may be escaped in the file: always parse.
            Query::Words(words) => {
                words.iter().all(|w| w.contains(['\'', '"', '\\']) || !w.is_ascii() || lower.contains(w.as_str()))
            }
        }
    }

    /// The fields of `lead` that match, or `None` when the lead does not match.
    pub fn matches(&self, lead: &Lead) -> Option<Vec<Field>> {
        let values: Vec<(Field, String)> = FIELDS.iter().filter_map(|f| f.get(lead).map(|v| (*f, v))).collect();
        let hit: Vec<Field> = match self {
            Query::Phone(digits) => values
                .iter()
                .filter(|(f, v)| *f == Field::PrimaryPhone && phone_matches(&phone::digits(v), digits))
                .map(|(f, _)| *f)
                .collect(),
            Query::Words(words) => {
                let lower: Vec<(Field, String)> = values.iter().map(|(f, v)| (*f, v.to_lowercase())).collect();
                let mut hit = Vec::new();
                for w in words {
                    let fields: Vec<Field> =
                        lower.iter().filter(|(_, v)| v.contains(w.as_str())).map(|(f, _)| *f).collect();
                    if fields.is_empty() {
                        return None;
                    }
                    hit.extend(fields);
                }
                hit.sort();
                hit.dedup();
                hit
            }
        };
        (!hit.is_empty()).then_some(hit)
    }
}

/// Whether a stored number's digits match a phone query: they contain the query, or the
/// stored number is a local one (no area code) that the query's full number ends with.
fn phone_matches(stored: &str, query: &str) -> bool {
    stored.contains(query) || (stored.len() == phone::LOCAL_DIGITS && phone::same_number(stored, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead() -> Lead {
        let mut l: Lead = serde_norway::from_str(
            "id: 20261124-abcdefghj\nstatus: intake\ncreated_at: 2026-11-24T07:00:00-06:00\ncaptured_by: ana\n",
        )
        .unwrap();
        l.full_name = Some("Maria López".into());
        l.primary_phone = Some("+13125550142".into());
        l.service_address = Some("12 Elm St, Springfield".into());
        l.notes = Some("Kitchen sink drains slowly".into());
        l
    }

    #[test]
    fn phones_said_any_way() {
        for q in ["555-0142", "(312) 555-0142", "312.555.0142", "+1 312 555 0142", "0142"] {
            let query = Query::parse(q).unwrap();
            assert_eq!(query.matches(&lead()), Some(vec![Field::PrimaryPhone]), "{q}");
            assert!(query.may_match("primary_phone: '+13125550142'\n"), "{q}");
        }
        assert_eq!(Query::parse("555-0199").unwrap().matches(&lead()), None);
        assert!(!Query::parse("555-0199").unwrap().may_match("primary_phone: '+13125550142'\n"));
        // A number stored without its area code is found by the full number.
        let mut local = lead();
        local.primary_phone = Some("5550142".into());
        assert!(Query::parse("(312) 555-0142").unwrap().matches(&local).is_some());
        assert!(Query::parse("(312) 555-0142").unwrap().may_match("primary_phone: '5550142'\n"));
    }

    #[test]
    fn words_in_any_field_ignoring_case() {
        let q = Query::parse("elm SINK").unwrap();
        assert_eq!(q.matches(&lead()), Some(vec![Field::ServiceAddress, Field::Notes]));
        assert_eq!(Query::parse("lópez").unwrap().matches(&lead()), Some(vec![Field::FullName]));
        assert_eq!(Query::parse("elm oak").unwrap().matches(&lead()), None);
        assert_eq!(
            Query::parse("12").unwrap().matches(&lead()),
            Some(vec![Field::PrimaryPhone, Field::ServiceAddress])
        );
        assert!(Query::parse("   ").is_none());
        assert!(!Query::parse("oak").unwrap().may_match("full_name: maria\n"));
    }
}
