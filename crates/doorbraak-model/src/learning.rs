//! System learning (systeemleren): bottleneck classification at closure, and the
//! recommendations register (aanbevelingenregister).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;
use crate::escalation::EscalationId;
use crate::event::{Aggregate, Event, ReplayError, check_version};
use crate::identity::{Actor, Oin, PersonId, Role};
use crate::kwestie::KwestieId;
use crate::text::{self, MAX_SHORT, MAX_TEXT};
use crate::violation::RuleViolation;

/// The nature of a system bottleneck.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemNature {
    Legal,
    Financial,
    /// Ways of working within or between organisations.
    Cultural,
    Organisational,
}

/// The bottleneck (knelpunt) behind a kwestie or escalation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "nature",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Bottleneck {
    /// Client-related.
    Personal,
    /// Knowledge or quality of care workers, case direction, alignment of the helping alliance.
    Professional,
    System(SystemNature),
}

impl Bottleneck {
    /// A stable code for aggregates: `personal`, `professional`, `system.legal`, ...
    pub fn code(self) -> &'static str {
        match self {
            Bottleneck::Personal => "personal",
            Bottleneck::Professional => "professional",
            Bottleneck::System(SystemNature::Legal) => "system.legal",
            Bottleneck::System(SystemNature::Financial) => "system.financial",
            Bottleneck::System(SystemNature::Cultural) => "system.cultural",
            Bottleneck::System(SystemNature::Organisational) => "system.organisational",
        }
    }

    /// Every bottleneck, in the order of DOMAIN.md §4.
    pub const ALL: [Bottleneck; 6] = [
        Bottleneck::Personal,
        Bottleneck::Professional,
        Bottleneck::System(SystemNature::Legal),
        Bottleneck::System(SystemNature::Financial),
        Bottleneck::System(SystemNature::Cultural),
        Bottleneck::System(SystemNature::Organisational),
    ];

    /// The bottleneck of a code (see [`Bottleneck::code`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The label in Dutch (as in docs/glossary.md).
    pub fn label_nl(self) -> &'static str {
        match self {
            Bottleneck::Personal => "persoonlijk (cliëntgebonden)",
            Bottleneck::Professional => "professioneel",
            Bottleneck::System(SystemNature::Legal) => "systeem: juridisch",
            Bottleneck::System(SystemNature::Financial) => "systeem: financieel",
            Bottleneck::System(SystemNature::Cultural) => "systeem: cultureel (werkwijzen)",
            Bottleneck::System(SystemNature::Organisational) => "systeem: organisatorisch",
        }
    }

    /// The label in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Bottleneck::Personal => "personal (client-related)",
            Bottleneck::Professional => "professional",
            Bottleneck::System(SystemNature::Legal) => "system: legal",
            Bottleneck::System(SystemNature::Financial) => "system: financial",
            Bottleneck::System(SystemNature::Cultural) => "system: cultural (ways of working)",
            Bottleneck::System(SystemNature::Organisational) => "system: organisational",
        }
    }
}

impl SolutionScope {
    pub const ALL: [SolutionScope; 2] = [SolutionScope::Incidental, SolutionScope::Structural];

    pub fn code(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidental",
            SolutionScope::Structural => "structural",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidenteel: voor deze casus",
            SolutionScope::Structural => "structureel: ook voor andere gezinnen",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidental: for this case",
            SolutionScope::Structural => "structural: for other families too",
        }
    }
}

impl RootCause {
    pub const ALL: [RootCause; 5] = [
        RootCause::LackOfProfessionalism,
        RootCause::LackOfUsableBudget,
        RootCause::ConflictingInterests,
        RootCause::LackOfSpeedOrAccess,
        RootCause::LackOfFacilities,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "lack_of_professionalism",
            RootCause::LackOfUsableBudget => "lack_of_usable_budget",
            RootCause::ConflictingInterests => "conflicting_interests",
            RootCause::LackOfSpeedOrAccess => "lack_of_speed_or_access",
            RootCause::LackOfFacilities => "lack_of_facilities",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "gebrek aan professionaliteit",
            RootCause::LackOfUsableBudget => "gebrek aan bruikbaar budget",
            RootCause::ConflictingInterests => "tegenstrijdige belangen",
            RootCause::LackOfSpeedOrAccess => "gebrek aan snelheid of toegang",
            RootCause::LackOfFacilities => "gebrek aan voorzieningen",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "lack of professionalism",
            RootCause::LackOfUsableBudget => "lack of usable budget",
            RootCause::ConflictingInterests => "conflicting interests",
            RootCause::LackOfSpeedOrAccess => "lack of speed or access",
            RootCause::LackOfFacilities => "lack of facilities",
        }
    }
}

/// Whether a solution or finding holds for this case only, or structurally.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolutionScope {
    Incidental,
    Structural,
}

/// The root-cause questions of the analysis frame.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    LackOfProfessionalism,
    LackOfUsableBudget,
    ConflictingInterests,
    LackOfSpeedOrAccess,
    LackOfFacilities,
}

/// A root cause followed by its chain of "why is that so?" answers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseAnswer {
    pub cause: RootCause,
    /// The answers to "why?", asked again until the root is reached.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::schema::OptionalText>))]
    pub why: Vec<String>,
}

/// The classification every closed kwestie and escalation carries.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BottleneckClassification {
    pub bottleneck: Bottleneck,
    pub scope: SolutionScope,
    #[serde(default)]
    pub root_causes: Vec<RootCauseAnswer>,
}

impl BottleneckClassification {
    pub fn new(bottleneck: Bottleneck, scope: SolutionScope) -> Self {
        Self {
            bottleneck,
            scope,
            root_causes: Vec::new(),
        }
    }

    /// Every root cause has at least one non-blank "why" answer; no cause appears twice.
    pub fn validate(&self) -> Result<(), RuleViolation> {
        for (i, rc) in self.root_causes.iter().enumerate() {
            if rc.why.is_empty() || rc.why.iter().any(|w| w.trim().is_empty()) {
                return Err(RuleViolation::RootCauseNeedsWhy);
            }
            for w in &rc.why {
                text::check("root_causes.why", w, MAX_TEXT)?;
            }
            if self.root_causes[..i].iter().any(|o| o.cause == rc.cause) {
                return Err(RuleViolation::InvalidField {
                    field: "root_causes",
                    reason: "a root cause is named twice",
                });
            }
        }
        Ok(())
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecommendationId(pub Uuid);

impl fmt::Display for RecommendationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a recommendation came from (its OpenAPI schema is written out in `schema`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "id",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum RecommendationOrigin {
    Kwestie(KwestieId),
    Escalation(EscalationId),
    /// A periodic evaluation, named by its title.
    Evaluation(String),
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl RecommendationStatus {
    pub fn code(self) -> &'static str {
        match self {
            RecommendationStatus::Open => "open",
            RecommendationStatus::InProgress => "in_progress",
            RecommendationStatus::Done => "done",
            RecommendationStatus::Dropped => "dropped",
        }
    }

    fn is_final(self) -> bool {
        matches!(
            self,
            RecommendationStatus::Done | RecommendationStatus::Dropped
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub at: Timestamp,
    pub by: Actor,
    pub note: String,
}

/// An entry of the recommendations register. Local to the organisation; shared with the
/// municipality only as aggregates, or with its text if `share_text` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: RecommendationId,
    pub org: Oin,
    pub origin: RecommendationOrigin,
    pub title: String,
    pub text: String,
    pub owner: PersonId,
    pub due: jiff::civil::Date,
    pub share_text: bool,
    pub status: RecommendationStatus,
    pub created_at: Timestamp,
    pub follow_up: Vec<FollowUp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecommendationCommand {
    Create {
        id: RecommendationId,
        origin: RecommendationOrigin,
        title: String,
        text: String,
        owner: PersonId,
        due: jiff::civil::Date,
        #[serde(default)]
        share_text: bool,
    },
    SetStatus {
        status: RecommendationStatus,
        note: String,
    },
    AddFollowUp {
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecommendationEvent {
    Created {
        id: RecommendationId,
        origin: RecommendationOrigin,
        title: String,
        text: String,
        owner: PersonId,
        due: jiff::civil::Date,
        share_text: bool,
    },
    StatusSet {
        from: RecommendationStatus,
        to: RecommendationStatus,
        note: String,
    },
    FollowedUp {
        note: String,
    },
}

impl RecommendationEvent {
    /// Free text of the event, by field (checked for BSN-shaped numbers before it is stored).
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        match self {
            RecommendationEvent::Created { title, text, .. } => {
                vec![("title", title), ("text", text)]
            }
            RecommendationEvent::StatusSet { note, .. }
            | RecommendationEvent::FollowedUp { note } => {
                vec![("note", note)]
            }
        }
    }
}

/// Policy and operations fill the register together.
const REGISTER_ROLES: [Role; 4] = [
    Role::QualityOfficer,
    Role::CivilServant,
    Role::TeamManager,
    Role::Director,
];

impl Aggregate for Recommendation {
    type Command = RecommendationCommand;
    type Body = RecommendationEvent;

    fn decide(
        state: Option<&Self>,
        cmd: &RecommendationCommand,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Event<RecommendationEvent>>, RuleViolation> {
        use RecommendationCommand as C;
        use RecommendationEvent as E;
        let ev = |body| Ok(vec![Event::new(now, actor.clone(), body)]);
        match (state, cmd) {
            (Some(_), C::Create { .. }) => Err(RuleViolation::AlreadyExists {
                what: "Recommendation",
            }),
            (
                None,
                C::Create {
                    id,
                    origin,
                    title,
                    text: body,
                    owner,
                    due,
                    share_text,
                },
            ) => {
                actor.require_role(&REGISTER_ROLES, "create_recommendation")?;
                text::require("title", title, MAX_SHORT)?;
                text::require("text", body, MAX_TEXT)?;
                text::require("owner", &owner.0, MAX_SHORT)?;
                if let RecommendationOrigin::Evaluation(name) = origin {
                    text::require("origin", name, MAX_SHORT)?;
                }
                ev(E::Created {
                    id: *id,
                    origin: origin.clone(),
                    title: title.clone(),
                    text: body.clone(),
                    owner: owner.clone(),
                    due: *due,
                    share_text: *share_text,
                })
            }
            (None, _) => Err(RuleViolation::NotFound {
                what: "Recommendation",
            }),
            (Some(r), cmd) => {
                if actor.org() != &r.org {
                    return Err(RuleViolation::NotAParty);
                }
                actor.require_role(&REGISTER_ROLES, "update_recommendation")?;
                if r.status.is_final() {
                    return Err(RuleViolation::RecommendationClosed);
                }
                match cmd {
                    C::Create { .. } => Err(RuleViolation::AlreadyExists {
                        what: "Recommendation",
                    }),
                    C::SetStatus { status, note } => {
                        if *status == r.status || *status == RecommendationStatus::Open {
                            return Err(RuleViolation::InvalidStatusTransition {
                                from: r.status.code(),
                                to: status.code(),
                            });
                        }
                        text::require("note", note, MAX_TEXT)?;
                        ev(E::StatusSet {
                            from: r.status,
                            to: *status,
                            note: note.clone(),
                        })
                    }
                    C::AddFollowUp { note } => {
                        text::require("note", note, MAX_TEXT)?;
                        ev(E::FollowedUp { note: note.clone() })
                    }
                }
            }
        }
    }

    fn apply(state: Option<Self>, event: &Event<RecommendationEvent>) -> Result<Self, ReplayError> {
        use RecommendationEvent as E;
        check_version(event)?;
        match (state, &event.body) {
            (
                None,
                E::Created {
                    id,
                    origin,
                    title,
                    text,
                    owner,
                    due,
                    share_text,
                },
            ) => Ok(Recommendation {
                id: *id,
                org: event.by.org().clone(),
                origin: origin.clone(),
                title: title.clone(),
                text: text.clone(),
                owner: owner.clone(),
                due: *due,
                share_text: *share_text,
                status: RecommendationStatus::Open,
                created_at: event.at,
                follow_up: Vec::new(),
            }),
            (Some(_), E::Created { .. }) => Err(ReplayError::AlreadyCreated("created")),
            (None, _) => Err(ReplayError::NotACreation(
                crate::StreamKind::Recommendation.code(),
            )),
            (Some(mut r), E::StatusSet { to, note, .. }) => {
                r.status = *to;
                r.follow_up.push(FollowUp {
                    at: event.at,
                    by: event.by.clone(),
                    note: note.clone(),
                });
                Ok(r)
            }
            (Some(mut r), E::FollowedUp { note }) => {
                r.follow_up.push(FollowUp {
                    at: event.at,
                    by: event.by.clone(),
                    note: note.clone(),
                });
                Ok(r)
            }
        }
    }
}

#[cfg(test)]
mod vocabulary_tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_matches_the_wire_form() {
        for b in Bottleneck::ALL {
            assert_eq!(Bottleneck::from_code(b.code()), Some(b));
        }
        for c in RootCause::ALL {
            assert_eq!(RootCause::from_code(c.code()), Some(c));
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(serde_json::Value::String(c.code().into()))
            );
        }
        for s in SolutionScope::ALL {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::String(s.code().into()))
            );
        }
    }
}
