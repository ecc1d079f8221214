//! Validation of free text in commands.

use crate::violation::RuleViolation;

/// Longest free text (a question, a needs description, minutes) in bytes.
pub const MAX_TEXT: usize = 20_000;
/// Longest short text (a title, a name) in bytes.
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
    if value.len() > max {
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

#[cfg(test)]
mod tests {
    use super::*;

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
