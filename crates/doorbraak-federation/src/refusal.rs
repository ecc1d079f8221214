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

/// A home restored from a backup that is still re-learning its streams: nothing is decided
/// there until it is done (a transient state, answered `UNAVAILABLE`).
pub const RULE_RELEARNING: &str = "federation.relearning";

/// The rule a status names in its details, if any (never read from the sentence).
pub fn rule_in(s: &Status) -> Option<String> {
    serde_json::from_slice::<Details>(s.details())
        .ok()
        .map(|d| d.rule)
}

/// A transient state of the answering node (`UNAVAILABLE`: try again later), its rule in the
/// details like a refusal's.
pub fn unavailable(rule: &str, message_en: impl Into<String>) -> Status {
    with_rule(Code::Unavailable, rule, message_en)
}

/// A status of any code with its rule in the details (for the states that are no refusal kind:
/// a transient one, a diverged replica).
pub fn with_rule(code: Code, rule: &str, message_en: impl Into<String>) -> Status {
    let message_en = message_en.into();
    let details = serde_json::to_vec(&Details {
        rule: rule.to_owned(),
        message_nl: String::new(),
        message_en: message_en.clone(),
    })
    .unwrap_or_default();
    Status::with_details(code, format!("{rule}: {message_en}"), details.into())
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
        // a transient state names its rule the same way, and only there
        let busy = unavailable(RULE_RELEARNING, "restored from a backup");
        assert_eq!(busy.code(), Code::Unavailable);
        assert_eq!(rule_in(&busy).as_deref(), Some(RULE_RELEARNING));
        assert_eq!(
            rule_in(&Status::unavailable(
                "federation.relearning: said, not named"
            )),
            None
        );
    }
}
