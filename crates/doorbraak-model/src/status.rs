//! Where a stream stands, as lists show and filter it: one status per state of each kind, with
//! its stable code (stored in the projection, named in the API's `status` filter) and whether
//! the stream is still open (the team overview, the start page).

use serde::{Deserialize, Serialize};

use crate::violation::RuleViolation;
use crate::vocabulary::StreamKind;

/// The status of a stream of any kind (the codes are shared where the word is: an open
/// escalation and an open recommendation are both `open`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// An escalation or recommendation nobody closed or finished yet.
    Open,
    /// An escalation closed with its bottleneck classification.
    Closed,
    /// A kwestie raised and waiting for the team's management.
    Raised,
    /// A kwestie picked up by the team's management.
    PickedUp,
    /// A kwestie escalated to the board, waiting for it.
    EscalatedToBoard,
    /// A kwestie picked up by the board.
    PickedUpByBoard,
    /// A kwestie resolved.
    Resolved,
    /// A meeting scheduled, no verslag drafted yet.
    Scheduled,
    /// A verslag being drafted.
    Draft,
    /// A verslag circulated for approval.
    Circulated,
    /// A verslag approved by every participant.
    Final,
    /// A recommendation being followed up.
    InProgress,
    /// A recommendation carried out.
    Done,
    /// A recommendation not carried out.
    Dropped,
}

impl Status {
    /// The statuses a stream of `kind` can have, in the order of its life.
    pub fn of(kind: StreamKind) -> &'static [Status] {
        use Status as S;
        match kind {
            StreamKind::Escalation => &[S::Open, S::Closed],
            StreamKind::Kwestie => &[
                S::Raised,
                S::PickedUp,
                S::EscalatedToBoard,
                S::PickedUpByBoard,
                S::Resolved,
            ],
            StreamKind::Minutes => &[S::Scheduled, S::Draft, S::Circulated, S::Final],
            StreamKind::Recommendation => &[S::Open, S::InProgress, S::Done, S::Dropped],
        }
    }

    /// The stable code (the projection's column, the API's filter value).
    pub fn code(self) -> &'static str {
        use Status as S;
        match self {
            S::Open => "open",
            S::Closed => "closed",
            S::Raised => "raised",
            S::PickedUp => "picked_up",
            S::EscalatedToBoard => "escalated_to_board",
            S::PickedUpByBoard => "picked_up_by_board",
            S::Resolved => "resolved",
            S::Scheduled => "scheduled",
            S::Draft => "draft",
            S::Circulated => "circulated",
            S::Final => "final",
            S::InProgress => "in_progress",
            S::Done => "done",
            S::Dropped => "dropped",
        }
    }

    /// The status of any kind with this code.
    pub fn from_code(code: &str) -> Option<Status> {
        StreamKind::ALL
            .iter()
            .flat_map(|k| Status::of(*k))
            .copied()
            .find(|s| s.code() == code)
    }

    /// A status of any kind named by its code, or the refusal that names the field.
    pub fn parse_any(code: &str) -> Result<Status, RuleViolation> {
        Status::from_code(code).ok_or(RuleViolation::InvalidField {
            field: "status",
            reason: "is not a status",
        })
    }

    /// A status of `kind` named by its code, or the refusal that names the field.
    pub fn parse(kind: StreamKind, code: &str) -> Result<Status, RuleViolation> {
        Status::of(kind)
            .iter()
            .copied()
            .find(|s| s.code() == code)
            .ok_or(RuleViolation::InvalidField {
                field: "status",
                reason: "is no status of this kind",
            })
    }

    /// Is the stream still open: not closed, resolved, final, done or dropped? (A scheduled
    /// meeting and a verslag in draft or circulation are open.)
    pub fn is_open(self) -> bool {
        use Status as S;
        !matches!(
            self,
            S::Closed | S::Resolved | S::Final | S::Done | S::Dropped
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_belongs_to_a_kind_and_reads_back_from_its_code() {
        let all: Vec<Status> = StreamKind::ALL
            .iter()
            .flat_map(|k| Status::of(*k))
            .copied()
            .collect();
        for s in &all {
            assert_eq!(Status::from_code(s.code()), Some(*s));
            // the serde name is the code
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.code()))
            );
        }
        assert_eq!(Status::from_code("gesloten"), None);
    }

    #[test]
    fn a_status_of_another_kind_is_refused_by_its_rule() {
        assert_eq!(
            Status::parse(StreamKind::Kwestie, "raised"),
            Ok(Status::Raised)
        );
        let refused = Status::parse(StreamKind::Kwestie, "closed");
        assert_eq!(refused.map_err(|v| v.rule()), Err("input.invalid_field"));
        // any kind's status is a status; a word that is none is refused
        assert_eq!(Status::parse_any("closed"), Ok(Status::Closed));
        let none = Status::parse_any("gesloten");
        assert_eq!(none.map_err(|v| v.rule()), Err("input.invalid_field"));
    }

    #[test]
    fn each_kind_has_open_and_ended_statuses() {
        for kind in StreamKind::ALL {
            let (open, ended): (Vec<Status>, Vec<Status>) =
                Status::of(kind).iter().partition(|s| s.is_open());
            assert!(!open.is_empty() && !ended.is_empty(), "{kind:?}");
        }
    }
}
