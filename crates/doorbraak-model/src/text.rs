//! Validation of free text in commands.

use crate::violation::RuleViolation;

/// Longest free text (a question, a needs description, minutes) in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest short text (a title, a name) in characters.
pub const MAX_SHORT: usize = 300;

/// Non-blank, at most `max` bytes, no control characters other than newline and tab.
pub fn require(field: &'static str, value: &str, max: usize) -> Result<(), RuleViolation> {
    if value.trim().is_empty() {
        return Err(RuleViolation::MissingField { field });
    }
    check(field, value, max)
}

/// Like [`require`], but an empty value is fine.
pub fn check(field: &'static str, value: &str, max: usize) -> Result<(), RuleViolation> {
    if value.chars().count() > max {
        return Err(RuleViolation::InvalidField {
            field,
            reason: "too long",
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(RuleViolation::InvalidField {
            field,
            reason: "contains control characters",
        });
    }
    Ok(())
}

/// A whole number from a request: JSON's `3` and `3.0` are the same number (as JSON Schema
/// reads them), so both are taken; `3.5` and anything out of range are refused.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        U(u64),
        F(f64),
    }
    let n = match N::deserialize(d)? {
        N::U(u) => u32::try_from(u).ok(),
        N::F(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Some(f as u32),
        N::F(_) => None,
    };
    n.ok_or_else(|| D::Error::custom("expected a whole number from 0 to 4294967295"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(deserialize_with = "whole_number")]
            n: u32,
        }
        let n = |j: &str| serde_json::from_str::<R>(j).map(|r| r.n).ok();
        assert_eq!(n(r#"{"n": 3}"#), Some(3));
        assert_eq!(n(r#"{"n": 3.0}"#), Some(3));
        assert_eq!(n(r#"{"n": 3.5}"#), None);
        assert_eq!(n(r#"{"n": -1}"#), None);
        assert_eq!(n(r#"{"n": 4294967296}"#), None);
    }

    #[test]
    fn blank_is_missing() {
        assert_eq!(
            require("question", "  ", 10).unwrap_err().rule(),
            "input.missing_field"
        );
        assert!(require("question", "waarom?", 10).is_ok());
        assert_eq!(
            require("q", "abcdef", 3).unwrap_err().rule(),
            "input.invalid_field"
        );
        assert_eq!(
            require("q", "a\u{7}", 3).unwrap_err().rule(),
            "input.invalid_field"
        );
    }
}
