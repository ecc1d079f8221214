//! Deadline policy. The policy in force when an escalation or kwestie opens is recorded in its
//! opening event, so a later change of policy never silently moves a running deadline.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::violation::RuleViolation;

/// Longest configurable pickup period, in days.
pub const MAX_PICKUP_DAYS: u32 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinePolicy {
    /// Days within which an escalation step must be picked up (Bouwsteen 6: 14).
    pub step_pickup_days: u32,
    /// Days within which an escalated kwestie must be picked up (kwestiemanagement: 14).
    pub kwestie_pickup_days: u32,
    /// Working days within which minutes must be approved (default 5).
    pub minutes_approval_working_days: u32,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            step_pickup_days: 14,
            kwestie_pickup_days: 14,
            minutes_approval_working_days: 5,
        }
    }
}

impl DeadlinePolicy {
    /// A policy with every period within `1..=MAX_PICKUP_DAYS`.
    pub fn validate(self) -> Result<Self, RuleViolation> {
        for (field, v) in [
            ("step_pickup_days", self.step_pickup_days),
            ("kwestie_pickup_days", self.kwestie_pickup_days),
            (
                "minutes_approval_working_days",
                self.minutes_approval_working_days,
            ),
        ] {
            if v == 0 || v > MAX_PICKUP_DAYS {
                return Err(RuleViolation::InvalidField {
                    field,
                    reason: "must be between 1 and 365 days",
                });
            }
        }
        Ok(self)
    }
}

/// `from` plus whole days (24-hour periods, UTC).
pub fn add_days(from: Timestamp, days: u32) -> Timestamp {
    let secs = i64::from(days) * 86_400;
    from.checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_fourteen_days() {
        let p = DeadlinePolicy::default();
        assert_eq!(p.step_pickup_days, 14);
        assert_eq!(p.kwestie_pickup_days, 14);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn zero_days_is_refused() {
        let p = DeadlinePolicy {
            step_pickup_days: 0,
            ..DeadlinePolicy::default()
        };
        assert_eq!(p.validate().unwrap_err().rule(), "input.invalid_field");
    }

    #[test]
    fn add_days_is_exact() {
        let t: Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
        assert_eq!(add_days(t, 14).to_string(), "2026-11-15T10:00:00Z");
    }
}
