//! Which spreadsheet column fills which record field, for `import`: the header named as a
//! field (`full_name`), a common CRM export header recognised (`First Name`, `Phone`,
//! `Lead Source`…), or an explicit `--map 'First Name+Last Name=full_name,Phone=primary_phone'`;
//! plus constant values (`--set source=ads`). Pure: the header row and the flags are
//! arguments.

use std::collections::BTreeMap;

use crate::field::Field;

/// Where one field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// These columns (by index), non-empty cells joined: names with a space, notes with a
    /// line break each (a cell from a column other than a notes column labelled with its
    /// header, e.g. `Email: a@b.example`).
    Columns(Vec<usize>),
    /// The same value on every row (`--set`).
    Constant(String),
}

/// The mapping of one file: field → source, and the columns left out on purpose.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub fields: BTreeMap<Field, Source>,
    /// Columns mapped to `-` (ignored).
    pub ignored: Vec<usize>,
    /// The header row, trimmed.
    pub header: Vec<String>,
}

/// A header as compared: lowercase letters and digits only (`Lead Source` → `leadsource`).
fn key(header: &str) -> String {
    header.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The field a common CRM export header means, if any (`First Name` and `Last Name` both
/// mean the name; their cells are joined in column order).
pub fn recognise(header: &str) -> Option<Field> {
    if let Ok(f) = header.trim().to_ascii_lowercase().parse::<Field>() {
        return Some(f);
    }
    Some(match key(header).as_str() {
        "name" | "fullname" | "firstname" | "lastname" | "givenname" | "surname" | "familyname" | "customer"
        | "customername" | "contact" | "contactname" | "leadname" | "first" | "last" => Field::FullName,
        "phone" | "phonenumber" | "phone1" | "primaryphone" | "mobile" | "mobilephone" | "cell" | "cellphone"
        | "telephone" | "tel" | "homephone" => Field::PrimaryPhone,
        "address" | "serviceaddress" | "street" | "streetaddress" | "address1" | "addressline1" | "jobaddress"
        | "propertyaddress" => Field::ServiceAddress,
        "market" | "area" | "servicearea" | "region" | "territory" | "city" | "zip" | "zipcode" | "postalcode" => {
            Field::Market
        }
        "service" | "servicetype" | "jobtype" | "worktype" | "type" => Field::ServiceType,
        "urgency" | "priority" => Field::Urgency,
        "fit" | "leadquality" | "rating" => Field::Fit,
        "source" | "leadsource" | "channel" | "origin" => Field::Source,
        "referral" | "referredby" | "referrer" => Field::Referral,
        "notes" | "note" | "comments" | "comment" | "description" | "message" | "details" | "email"
        | "emailaddress" | "email1" => Field::Notes,
        "owner" | "assignedto" | "leadowner" | "salesrep" => Field::Owner,
        "nextaction" | "nextstep" => Field::NextAction,
        "nextactiondue" | "due" | "duedate" => Field::NextActionDue,
        "followup" | "followupon" | "followupdate" => Field::FollowUpOn,
        _ => return None,
    })
}

/// Whether a column's cells go into notes as they are (a notes column) rather than labelled.
fn is_notes_column(header: &str) -> bool {
    matches!(key(header).as_str(), "notes" | "note" | "comments" | "comment" | "description" | "message" | "details")
}

/// One `--map` pair: these columns (joined) fill this field, or are left out (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRule {
    pub columns: Vec<String>,
    pub field: Option<Field>,
}

/// Parse `--map`: `COLUMN[+COLUMN…]=FIELD` pairs separated by commas; `COLUMN=-` ignores a
/// column. Column names are compared ignoring case and surrounding spaces.
pub fn parse_spec(spec: &str) -> Result<Vec<MapRule>, String> {
    let mut pairs = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((cols, field)) = part.rsplit_once('=') else {
            return Err(format!("--map: `{part}` has no `=`; write COLUMN=FIELD, e.g. 'Phone=primary_phone'"));
        };
        let field = match field.trim() {
            "-" => None,
            f => Some(f.parse::<Field>().map_err(|e| format!("--map: {e}"))?),
        };
        let cols: Vec<String> = cols.split('+').map(|c| c.trim().to_owned()).collect();
        if cols.iter().any(String::is_empty) {
            return Err(format!("--map: `{part}` names an empty column"));
        }
        pairs.push(MapRule { columns: cols, field });
    }
    if pairs.is_empty() {
        return Err(
            "--map is empty; write COLUMN=FIELD pairs, e.g. 'First Name+Last Name=full_name,Phone=primary_phone'"
                .into(),
        );
    }
    Ok(pairs)
}

/// Parse `--set FIELD=VALUE`.
pub fn parse_set(s: &str) -> Result<(Field, String), String> {
    let (field, value) =
        s.split_once('=').ok_or_else(|| format!("--set: `{s}` has no `=`; write FIELD=VALUE, e.g. source=ads"))?;
    let field = field.trim().parse::<Field>().map_err(|e| format!("--set: {e}"))?;
    Ok((field, value.trim().to_owned()))
}

/// Build the mapping of a file from its header row, `--map` pairs and `--set` values.
/// Every column must be a field, recognised, mapped or ignored: an unknown column is
/// refused (naming it) rather than dropped unseen.
pub fn build(header: &[String], map: &[MapRule], set: &[(Field, String)]) -> Result<Mapping, String> {
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut mapping = Mapping { header: header.clone(), ..Mapping::default() };
    let mut explicit = vec![false; header.len()];
    for MapRule { columns: cols, field } in map {
        let mut idx = Vec::new();
        for c in cols {
            let i = find(c).ok_or_else(|| {
                format!("--map: the file has no column `{c}`; its columns are: {}", header.join(", "))
            })?;
            explicit[i] = true;
            idx.push(i);
        }
        match field {
            Some(f) => match mapping.fields.get_mut(f) {
                Some(Source::Columns(existing)) => existing.extend(idx),
                _ => {
                    mapping.fields.insert(*f, Source::Columns(idx));
                }
            },
            None => mapping.ignored.extend(idx),
        }
    }
    let mut unknown = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if explicit[i] || h.is_empty() {
            continue;
        }
        match recognise(h) {
            Some(f) if !map.iter().any(|rule| rule.field == Some(f)) => match mapping.fields.get_mut(&f) {
                Some(Source::Columns(existing)) => existing.push(i),
                _ => {
                    mapping.fields.insert(f, Source::Columns(vec![i]));
                }
            },
            Some(_) => mapping.ignored.push(i),
            None => unknown.push(h.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "column{} {} {} not a record field handoff recognises; map {} with --map 'COLUMN=FIELD' \
             (fields: {}) or leave {} out with --map 'COLUMN=-'",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", "),
            if unknown.len() == 1 { "is" } else { "are" },
            if unknown.len() == 1 { "it" } else { "them" },
            Field::names(),
            if unknown.len() == 1 { "it" } else { "them" },
        ));
    }
    for (field, value) in set {
        mapping.fields.insert(*field, Source::Constant(value.clone()));
    }
    Ok(mapping)
}

impl Mapping {
    /// One row's value for `field`, if the row gives one.
    pub fn value(&self, field: Field, cells: &[String]) -> Option<String> {
        match self.fields.get(&field)? {
            Source::Constant(v) => Some(v.clone()).filter(|v| !v.is_empty()),
            Source::Columns(cols) => {
                let parts: Vec<String> = cols
                    .iter()
                    .filter_map(|&i| {
                        let cell = cells.get(i)?.trim();
                        (!cell.is_empty()).then(|| {
                            let h = &self.header[i];
                            if field == Field::Notes && !is_notes_column(h) && h.parse::<Field>().is_err() {
                                format!("{h}: {cell}")
                            } else {
                                cell.to_owned()
                            }
                        })
                    })
                    .collect();
                let sep = if field == Field::Notes { "\n" } else { " " };
                (!parts.is_empty()).then(|| parts.join(sep))
            }
        }
    }

    /// How each field is filled, for the preview: `full_name ← First Name + Last Name`.
    pub fn describe(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|(f, s)| match s {
                Source::Constant(v) => format!("{f} = {v:?} (--set)"),
                Source::Columns(cols) => {
                    format!("{f} ← {}", cols.iter().map(|&i| self.header[i].as_str()).collect::<Vec<_>>().join(" + "))
                }
            })
            .collect()
    }
}

/// `Web Form` → `web-form`: a CRM's label for a vocabulary value, as rules.yaml spells it.
pub fn slug(value: &str) -> String {
    let mut out = String::new();
    for c in value.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| (*c).to_owned()).collect()
    }

    fn cells(cols: &[&str]) -> Vec<String> {
        header(cols)
    }

    #[test]
    fn crm_headers_are_recognised() {
        let h = header(&["First Name", "Last Name", "Phone", "Email", "Address", "Lead Source", "Notes"]);
        let m = build(&h, &[], &[]).unwrap();
        let row =
            cells(&["Maria", "Lopez", "(312) 555-0142", "maria@example.com", "12 Elm St", "Web Form", "Leaky tap"]);
        assert_eq!(m.value(Field::FullName, &row).as_deref(), Some("Maria Lopez"));
        assert_eq!(m.value(Field::PrimaryPhone, &row).as_deref(), Some("(312) 555-0142"));
        assert_eq!(m.value(Field::ServiceAddress, &row).as_deref(), Some("12 Elm St"));
        assert_eq!(m.value(Field::Source, &row).as_deref(), Some("Web Form"));
        assert_eq!(m.value(Field::Notes, &row).as_deref(), Some("Email: maria@example.com\nLeaky tap"));
        assert_eq!(slug("Web Form"), "web-form");
    }

    #[test]
    fn explicit_map_and_constants() {
        let h = header(&["Given", "Family", "Tel", "Created"]);
        assert!(build(&h, &[], &[]).unwrap_err().contains("`Given`, `Family`, `Created`"));
        let map = parse_spec("Given+Family=full_name, tel=primary_phone,Created=-").unwrap();
        let set = [parse_set("source=ads").unwrap()];
        let m = build(&h, &map, &set).unwrap();
        let row = cells(&["Tom", "Becker", "708-555-0199", "2026-01-01"]);
        assert_eq!(m.value(Field::FullName, &row).as_deref(), Some("Tom Becker"));
        assert_eq!(m.value(Field::PrimaryPhone, &row).as_deref(), Some("708-555-0199"));
        assert_eq!(m.value(Field::Source, &row).as_deref(), Some("ads"));
        assert_eq!(m.ignored, [3]);
        assert!(m.describe().contains(&"full_name ← Given + Family".to_owned()));
    }

    #[test]
    fn bad_specs_say_what_to_write() {
        assert!(parse_spec("Phone").unwrap_err().contains("COLUMN=FIELD"));
        assert!(parse_spec("Phone=telephone").unwrap_err().contains("primary_phone"));
        assert!(parse_set("colour=red").is_err());
        let h = header(&["Phone"]);
        assert!(
            build(&h, &parse_spec("Mobile=primary_phone").unwrap(), &[]).unwrap_err().contains("no column `Mobile`")
        );
    }
}
