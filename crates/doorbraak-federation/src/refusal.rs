//! A refusal on the gRPC wire: the one mapping of a [`RefusalKind`] to a gRPC code, with the
//! rule and both messages in the status details (JSON), and back. A sender reads the rule from
//! the details, never from the sentence.

use doorbraak_model::{RefusalKind, RuleViolation};
use serde::{Deserialize, Serialize};
use tonic::{Code, Status};

/// A refusal as it crosses the wire: its kind, its rule code, and its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub rule: String,
    pub message_nl: String,
    pub message_en: String,
}

/// The JSON in a refusal's status details.
#[derive(Debug, Serialize, Deserialize)]
struct Details {
    rule: String,
    #[serde(default)]
    message_nl: String,
    #[serde(default)]
    message_en: String,
}

/// The gRPC code of a kind of refusal.
pub fn code(kind: RefusalKind) -> Code {
    match kind {
        RefusalKind::Access => Code::PermissionDenied,
        RefusalKind::Input => Code::InvalidArgument,
        RefusalKind::NotFound => Code::NotFound,
        RefusalKind::Conflict => Code::FailedPrecondition,
    }
}

/// The kind of refusal a gRPC code stands for (the inverse of [`code`]; any other code of a
/// status with a rule is a conflict).
pub fn kind(code: Code) -> RefusalKind {
    match code {
        Code::PermissionDenied => RefusalKind::Access,
        Code::InvalidArgument => RefusalKind::Input,
        Code::NotFound => RefusalKind::NotFound,
        _ => RefusalKind::Conflict,
    }
}

impl Refusal {
    /// A federation refusal (no rule of the model): the rule and the English message.
    pub fn new(kind: RefusalKind, rule: &str, message_en: impl Into<String>) -> Self {
        Self {
            kind,
            rule: rule.to_owned(),
            message_nl: String::new(),
            message_en: message_en.into(),
        }
    }

    /// The status: the kind's code, "rule: message" as the sentence, the rule in the details.
    pub fn to_status(&self) -> Status {
        let details = serde_json::to_vec(&Details {
            rule: self.rule.clone(),
            message_nl: self.message_nl.clone(),
            message_en: self.message_en.clone(),
        })
        .unwrap_or_default();
        Status::with_details(
            code(self.kind),
            format!("{}: {}", self.rule, self.message_en),
            details.into(),
        )
    }

    /// The refusal in a status, if the status carries one (its details name a rule).
    pub fn from_status(s: &Status) -> Option<Self> {
        let d = serde_json::from_slice::<Details>(s.details()).ok()?;
        Some(Self {
            kind: kind(s.code()),
            rule: d.rule,
            message_nl: d.message_nl,
            message_en: d.message_en,
        })
    }
}

impl From<&RuleViolation> for Refusal {
    fn from(v: &RuleViolation) -> Self {
        Self {
            kind: v.kind(),
            rule: v.rule().to_owned(),
            message_nl: v.message_nl(),
            message_en: v.message_en(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_crosses_the_wire_with_its_kind_rule_and_messages() {
        for v in [
            RuleViolation::NotAParty,
            RuleViolation::IdempotencyKeyReused,
            RuleViolation::NotFound { what: "Escalation" },
            RuleViolation::MinutesFinal,
        ] {
            let r = Refusal::from(&v);
            let back = Refusal::from_status(&r.to_status());
            assert_eq!(back.as_ref(), Some(&r), "{v:?}");
            assert_eq!(kind(code(v.kind())), v.kind());
        }
        assert_eq!(
            Refusal::from_status(&Status::permission_denied("not a member")),
            None,
            "a sentence is no rule"
        );
    }
}
