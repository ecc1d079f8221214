//! Privacy checks on free text that may cross to another organisation.
//!
//! A BSN (burgerservicenummer) is 9 digits that pass the "11-proef":
//! `9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11)`. Text bound for another organisation must not
//! contain one; a case is named by a pseudonymous [`crate::CaseRef`] instead.

/// Byte offset of the first run of exactly nine digits in `text` that passes the 11-check.
/// Runs of digits longer than nine (an OIN, a phone number with country code) are not BSNs.
pub fn find_bsn_like(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 9 && passes_eleven_check(&bytes[start..i]) {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The first field whose text contains a BSN-shaped number, as a violation naming the field.
pub fn check_free_text<'a>(
    fields: impl IntoIterator<Item = (&'static str, &'a str)>,
) -> Result<(), crate::RuleViolation> {
    for (field, text) in fields {
        if find_bsn_like(text).is_some() {
            return Err(crate::RuleViolation::BsnNotAllowed { field });
        }
    }
    Ok(())
}

/// The BSN 11-check over exactly nine ASCII digits.
pub fn passes_eleven_check(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: i64 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let d = i64::from(d - b'0');
            if i == 8 { -d } else { d * (9 - i as i64) }
        })
        .sum();
    sum % 11 == 0 && digits.iter().any(|&d| d != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_check() {
        assert!(passes_eleven_check(b"123456782"));
        assert!(passes_eleven_check(b"111222333"));
        assert!(!passes_eleven_check(b"123456789"));
        assert!(!passes_eleven_check(b"000000000"));
    }

    #[test]
    fn finds_only_nine_digit_runs() {
        assert_eq!(find_bsn_like("bsn 123456782 van kind"), Some(4));
        assert_eq!(find_bsn_like("oin 00000001823288444000"), None);
        assert_eq!(find_bsn_like("tel 0123456782x"), None, "ten digits");
        assert_eq!(find_bsn_like("geen nummer"), None);
        assert_eq!(find_bsn_like("a123456782b"), Some(1));
    }
}
