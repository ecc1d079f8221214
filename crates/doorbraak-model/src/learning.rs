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

pub use crate::classification::{
    Bottleneck, BottleneckClassification, RootCause, RootCauseAnswer, SolutionScope, SystemNature,
};

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

impl crate::stream::Streamed for crate::Recommendation {
    fn list_status(&self) -> crate::Status {
        self.status.into()
    }
    fn facts(&self) -> Vec<crate::figures::Fact> {
        recommendation_facts(self)
    }
    const KIND: crate::vocabulary::StreamKind = crate::vocabulary::StreamKind::Recommendation;

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

    fn parties(&self) -> Vec<Oin> {
        vec![self.org.clone()]
    }

    fn home(&self) -> Oin {
        self.org.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }
}

/// The facts of a recommendation (its text, when shared, is not a count: the node reads it).
pub fn recommendation_facts(r: &Recommendation) -> Vec<crate::figures::Fact> {
    use crate::figures::{Fact, Metric};
    vec![Fact::new(
        Metric::RecommendationStatus,
        None,
        r.status.code(),
    )]
}

impl From<crate::learning::RecommendationStatus> for crate::status::Status {
    fn from(s: crate::learning::RecommendationStatus) -> Self {
        use crate::learning::RecommendationStatus as R;
        match s {
            R::Open => crate::status::Status::Open,
            R::InProgress => crate::status::Status::InProgress,
            R::Done => crate::status::Status::Done,
            R::Dropped => crate::status::Status::Dropped,
        }
    }
}

#[cfg(feature = "openapi")]
mod openapi {
    //! The schema of a recommendation's origin (a tagged union the derive cannot word).
    use std::borrow::Cow;

    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};

    use crate::schema::{short_text, uuid};

    impl utoipa::PartialSchema for super::RecommendationOrigin {
        fn schema() -> RefOr<Schema> {
            use utoipa::openapi::schema::OneOfBuilder;
            let variant = |tag: &str, id: Schema, description: &str| {
                ObjectBuilder::new()
                    .property(
                        "type",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some([tag])),
                    )
                    .required("type")
                    .property("id", id)
                    .required("id")
                    .description(Some(description))
            };
            OneOfBuilder::new()
                .item(variant(
                    "kwestie",
                    uuid(),
                    "A kwestie of this organisation.",
                ))
                .item(variant("escalation", uuid(), "An escalation."))
                .item(variant(
                    "evaluation",
                    short_text(),
                    "A periodic evaluation, named by its title.",
                ))
                .description(Some("Where a recommendation came from."))
                .into()
        }
    }

    impl utoipa::ToSchema for super::RecommendationOrigin {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("RecommendationOrigin")
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
