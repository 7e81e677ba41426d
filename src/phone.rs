//! Phone numbers: normalise what staff type to E.164 where the number allows, refuse garbage.

use anyhow::{Result, bail};

/// Normalise a phone number.
///
/// Separators (spaces, `-`, `.`, `(`, `)`, `/`) are dropped. A leading `+` or `00` marks an
/// international number (8–15 digits). Otherwise a national number with `country_code`'s
/// length rules: for `1` (NANP), 10 digits or `1` + 10 digits, or 7 (a local number, kept
/// as digits); anything else is a typo. For other countries, numbers that fit no rule but
/// have 7–15 digits are kept as digits, as E.164 cannot be derived.
pub fn normalize(input: &str, country_code: &str) -> Result<String> {
    let raw = input.trim();
    if raw.is_empty() {
        bail!("the phone number is empty");
    }
    let mut digits = String::new();
    let mut plus = false;
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => bail!(
                "`{raw}` is not a phone number: `{c}` is not allowed; type digits, optionally \
                 with a leading + and spaces, dashes or parentheses, e.g. (312) 555-0142 or +44 20 7946 0018"
            ),
        }
    }
    if !plus && digits.starts_with("00") {
        digits.drain(..2);
        plus = true;
    }
    if plus {
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            bail!("`{raw}` is not an international number: E.164 has 8 to 15 digits after the +");
        }
        return Ok(format!("+{digits}"));
    }
    if country_code == "1" {
        if digits.len() == 10 && !digits.starts_with(['0', '1']) {
            return Ok(format!("+1{digits}"));
        }
        if digits.len() == 11 && digits.starts_with('1') && !digits[1..].starts_with(['0', '1']) {
            return Ok(format!("+{digits}"));
        }
        // A slipped finger on the phone makes 9 or 11 digits: refuse rather than store a
        // number nobody can call back. A 7-digit local number is kept as its digits
        // (`same_number` matches it against the full number).
        if digits.len() != 7 {
            bail!(
                "`{raw}` is not a US/Canada number: those have 10 digits with an area code that does \
                 not start with 0 or 1 (or 7 without the area code); for another country start with +"
            );
        }
    } else if let Some(national) = digits.strip_prefix('0')
        && (6..=13).contains(&national.len())
    {
        return Ok(format!("+{country_code}{national}"));
    }
    if (7..=15).contains(&digits.len()) {
        return Ok(digits);
    }
    bail!(
        "`{raw}` has {} digits, too few or too many for a phone number; give the full number, \
         e.g. (312) 555-0142",
        digits.len()
    )
}

/// The digits of a local number without its area code (7 digits, as NANP local numbers
/// are): such a number is the same as any full number ending in those digits.
pub const LOCAL_DIGITS: usize = 7;

/// Whether two numbers' digits are the same number: equal, or one is a local number
/// (no area code) that the other ends with. `5550142` and `13125550142` are the same caller.
pub fn same_number(a: &str, b: &str) -> bool {
    a == b
        || (a.len() == LOCAL_DIGITS && b.len() > LOCAL_DIGITS && b.ends_with(a))
        || (b.len() == LOCAL_DIGITS && a.len() > LOCAL_DIGITS && a.ends_with(b))
}

/// Whether a stored number lacks its area code (a 7-digit local number).
pub fn is_local(phone: &str) -> bool {
    !phone.starts_with('+') && digits(phone).len() == LOCAL_DIGITS
}

/// The digits of a stored number, for comparing two numbers.
pub fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn nanp_and_international() {
        assert_eq!(normalize("(312) 555-0142", "1").unwrap(), "+13125550142");
        assert_eq!(normalize("1-312-555-0142", "1").unwrap(), "+13125550142");
        assert_eq!(normalize("+44 20 7946 0018", "1").unwrap(), "+442079460018");
        assert_eq!(normalize("0044 20 7946 0018", "1").unwrap(), "+442079460018");
        assert_eq!(normalize("020 7946 0018", "44").unwrap(), "+442079460018");
    }

    #[test]
    fn nanp_typos_are_refused() {
        for typo in ["(312) 555-01423", "312 555 014", "0312 555 0142", "31255501423456"] {
            let err = normalize(typo, "1").unwrap_err().to_string();
            assert!(err.contains("US/Canada") || err.contains("digits"), "{typo}: {err}");
        }
    }

    #[test]
    fn a_local_number_is_the_same_caller_as_the_full_number() {
        assert_eq!(normalize("555-0142", "1").unwrap(), "5550142");
        assert!(super::same_number("5550142", "13125550142"));
        assert!(super::same_number("13125550142", "5550142"));
        assert!(super::same_number("5550142", "5550142"));
        assert!(!super::same_number("5550142", "13125550143"));
        assert!(!super::same_number("13125550142", "17085550142"));
        assert!(super::is_local("5550142") && !super::is_local("+13125550142"));
    }

    #[test]
    fn garbage_refused() {
        assert!(normalize("call me", "1").is_err());
        assert!(normalize("555-CALL-NOW", "1").is_err());
        assert!(normalize("12345", "1").is_err());
        assert!(normalize("", "1").is_err());
        assert!(normalize("+1", "1").is_err());
    }
}
