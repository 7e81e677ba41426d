//! Short lead ids for tables, as git abbreviates hashes: the fewest characters of an id's
//! random part (at least 4, what `resolve` accepts) that no other lead id shares, so every
//! short id shown can be typed back and resolves to its lead. Pure: the ids are an argument.

use std::collections::HashMap;

use crate::lead::LeadId;

/// The shortest prefix `resolve` accepts.
pub const MIN_LEN: usize = 4;

/// Unique prefixes of the random parts of a set of ids.
#[derive(Debug, Default)]
pub struct ShortIds {
    len: HashMap<LeadId, usize>,
}

impl ShortIds {
    /// Compute every id's unique prefix among `ids` (the whole workspace: a prefix unique
    /// among the rows of one table could still match a lead the table leaves out).
    pub fn new(mut ids: Vec<LeadId>) -> ShortIds {
        ids.sort_by(|a, b| a.random_part().cmp(b.random_part()).then_with(|| a.cmp(b)));
        let common = |a: &LeadId, b: &LeadId| {
            a.random_part().bytes().zip(b.random_part().bytes()).take_while(|(x, y)| x == y).count()
        };
        let mut len = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let before = i.checked_sub(1).map_or(0, |j| common(&ids[j], id));
            let after = ids.get(i + 1).map_or(0, |next| common(id, next));
            len.insert(id.clone(), (before.max(after) + 1).max(MIN_LEN));
        }
        ShortIds { len }
    }

    /// The short form of `id`: a unique prefix of its random part, or the full id when the
    /// whole random part is shared with another id (or the id is not known).
    pub fn get<'a>(&self, id: &'a LeadId) -> &'a str {
        let random = id.random_part();
        match self.len.get(id) {
            Some(&n) if n <= random.len() => &random[..n],
            _ => id.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> LeadId {
        s.parse().unwrap()
    }

    #[test]
    fn prefixes_are_unique_and_at_least_four() {
        let ids = vec![
            id("20261124-k3f9qx2ab"),
            id("20261124-k3f9zz000"),
            id("20261125-abcdefghj"),
            id("20261125-zzzzzz111"),
            id("20261126-zzzzzz222"),
        ];
        let short = ShortIds::new(ids.clone());
        let got: Vec<&str> = ids.iter().map(|i| short.get(i)).collect();
        assert_eq!(got, ["k3f9q", "k3f9z", "abcd", "zzzzzz1", "zzzzzz2"]);
        // Every short form matches exactly one id.
        for s in got {
            assert_eq!(ids.iter().filter(|i| i.random_part().starts_with(s)).count(), 1, "{s}");
        }
    }

    #[test]
    fn the_same_random_part_on_two_days_shows_the_full_id() {
        let ids = vec![id("20261124-abcdefghj"), id("20261125-abcdefghj")];
        let short = ShortIds::new(ids.clone());
        assert_eq!(short.get(&ids[0]), "20261124-abcdefghj");
        assert_eq!(short.get(&ids[1]), "20261125-abcdefghj");
    }
}
