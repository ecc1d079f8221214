//! Privacy checks on free text that may cross to another organisation.
//!
//! A BSN (burgerservicenummer) is 9 digits that pass the "11-proef":
//! `9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11)`. Text bound for another organisation must not
//! contain one; a case is named by a pseudonymous [`crate::CaseRef`] instead.

/// How the digits of a BSN are written: together (`123456782`, or eight digits for the
/// older BSNs that lack their leading zero), or in groups the way people and forms write them
/// (`123 456 782`, `123.456.782`, `1234.56.782`, `12.345.678`).
const BSN_GROUPINGS: [&[usize]; 5] = [&[9], &[8], &[3, 3, 3], &[4, 2, 3], &[2, 3, 3]];

/// Byte offset of the first number in `text` that is shaped like a BSN: its digits, written
/// together or in one of the usual groupings (separated by single spaces, dots or hyphens),
/// pass the 11-check (eight digits count with a leading zero). Other numbers are not BSNs: an
/// OIN or an IBAN (longer), a phone number (`06-12345678`, `030 123 4567`: ten digits), a
/// postcode, a date (`01-12-2026`), an amount or a case number (`LT-2026-0042`).
pub fn find_bsn_like(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // one number: digit groups joined by single separators
        let start = i;
        let mut groups: Vec<usize> = Vec::new();
        let mut digits: Vec<u8> = Vec::new();
        loop {
            let g = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                digits.push(bytes[i]);
                i += 1;
            }
            groups.push(i - g);
            let joined = i + 1 < bytes.len()
                && matches!(bytes[i], b' ' | b'.' | b'-')
                && bytes[i + 1].is_ascii_digit();
            if !joined {
                break;
            }
            i += 1;
        }
        if BSN_GROUPINGS.contains(&groups.as_slice()) {
            let nine: Vec<u8> = if digits.len() == 8 {
                std::iter::once(b'0')
                    .chain(digits.iter().copied())
                    .collect()
            } else {
                digits
            };
            if passes_eleven_check(&nine) {
                return Some(start);
            }
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

    #[test]
    fn finds_a_bsn_written_with_spaces_dots_or_hyphens_and_eight_digit_ones() {
        for text in [
            "BSN 111 222 333 van het kind",
            "bsn: 123.456.782",
            "nummer 123-456-782.",
            "1234.56.782",
            "oud nummer 12345672",
            "oud nummer 12.345.672",
        ] {
            assert!(find_bsn_like(text).is_some(), "{text}");
        }
        assert_eq!(find_bsn_like("zie 111 222 333"), Some(4));
    }

    #[test]
    fn ordinary_dutch_numbers_are_not_bsns() {
        for text in [
            "bel 06-12345678 of 06 12345678",
            "030 123 4567 of +31 30 123 4567",
            "postcode 3511 AB Utrecht",
            "op 01-12-2026 om 14:05, of 1.12.2026",
            "een bedrag van € 1.234.567,89 of 123.456,78",
            "IBAN NL91 ABNA 0417 1643 00",
            "zaaknummer LT-2026-0042 en VT-2026-00417",
            "kamer 12, 3 kinderen, 45 minuten",
            "00000001823288444000",
        ] {
            assert_eq!(find_bsn_like(text), None, "{text}");
        }
    }
}
