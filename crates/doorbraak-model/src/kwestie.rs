//! Kwestie: an internal obstacle that keeps a professional from "every child lastingly safe".
//! Kwesties are local: they live on the organisation's own node and never leave it.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;
use crate::classification::{BottleneckClassification, SolutionScope};
use crate::event::{Aggregate, Event, ReplayError, check_version};
use crate::identity::{Actor, CaseRef, Oin, PersonId, Role};
use crate::policy::{DeadlinePolicy, add_days};
use crate::text::{self, MAX_TEXT};
use crate::violation::RuleViolation;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KwestieId(pub Uuid);

impl fmt::Display for KwestieId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The categories of DOMAIN.md §1 (one or more per kwestie).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KwestieCategory {
    /// Main contractor or provider cannot or will not deliver.
    HelpDoesNotStart,
    WaitingList,
    HelpNotAsAgreed,
    LegalFrameworkBlocks,
    NeedlessPaperwork,
    /// ICT, advice, steering, team, method, administrative load.
    MissingSupport,
    TooFewFamilyManagers,
    PrivacyDelay,
    /// The professional's own workload, health, home situation or state of mind.
    OwnCircumstances,
}

impl KwestieCategory {
    pub const ALL: [KwestieCategory; 9] = [
        KwestieCategory::HelpDoesNotStart,
        KwestieCategory::WaitingList,
        KwestieCategory::HelpNotAsAgreed,
        KwestieCategory::LegalFrameworkBlocks,
        KwestieCategory::NeedlessPaperwork,
        KwestieCategory::MissingSupport,
        KwestieCategory::TooFewFamilyManagers,
        KwestieCategory::PrivacyDelay,
        KwestieCategory::OwnCircumstances,
    ];

    pub fn code(self) -> &'static str {
        match self {
            KwestieCategory::HelpDoesNotStart => "help_does_not_start",
            KwestieCategory::WaitingList => "waiting_list",
            KwestieCategory::HelpNotAsAgreed => "help_not_as_agreed",
            KwestieCategory::LegalFrameworkBlocks => "legal_framework_blocks",
            KwestieCategory::NeedlessPaperwork => "needless_paperwork",
            KwestieCategory::MissingSupport => "missing_support",
            KwestieCategory::TooFewFamilyManagers => "too_few_family_managers",
            KwestieCategory::PrivacyDelay => "privacy_delay",
            KwestieCategory::OwnCircumstances => "own_circumstances",
        }
    }
}

/// Whom the professional consulted before raising the kwestie.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consulted {
    Team,
    BehaviouralExpert,
    TeamManager,
    ServiceDesk,
    /// zorgbemiddeling
    CareMediation,
    Lawyers,
}

/// The preparation checklist.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preparation {
    /// Done what is within the professional's own reach.
    pub own_reach_done: bool,
    pub discussed_with: BTreeSet<Consulted>,
    /// Knows what they ask and of whom.
    pub knows_what_and_whom: bool,
}

impl Preparation {
    fn check(&self) -> Result<(), RuleViolation> {
        if !self.own_reach_done {
            return Err(RuleViolation::PreparationIncomplete {
                missing: "own_reach",
            });
        }
        if self.discussed_with.is_empty() {
            return Err(RuleViolation::PreparationIncomplete {
                missing: "discussed",
            });
        }
        if !self.knows_what_and_whom {
            return Err(RuleViolation::PreparationIncomplete {
                missing: "what_and_whom",
            });
        }
        Ok(())
    }
}

/// Where the kwestie goes: to the team manager and/or onto the team meeting's agenda.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KwestieRoute {
    pub to_team_manager: bool,
    pub on_team_agenda: bool,
}

/// How a kwestie was solved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub solution: String,
    pub scope: SolutionScope,
    /// False when it could not be solved for this family (e.g. no beds): still recorded.
    pub solved_for_family: bool,
    pub classification: BottleneckClassification,
    pub at: Timestamp,
    pub by: Actor,
}

/// Board escalation of an overdue kwestie, taken by the professional with the team manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEscalation {
    pub at: Timestamp,
    pub by: Actor,
    pub co_signer: PersonId,
    pub pickup_deadline: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kwestie {
    pub id: KwestieId,
    pub org: Oin,
    pub case_ref: Option<CaseRef>,
    pub raised_by: Actor,
    pub raised_at: Timestamp,
    pub obstacle: String,
    pub categories: BTreeSet<KwestieCategory>,
    pub preparation: Preparation,
    pub child_needs: String,
    pub facilities_needed: String,
    pub route: KwestieRoute,
    pub policy: DeadlinePolicy,
    pub pickup_deadline: Timestamp,
    pub picked_up: Option<(Actor, Timestamp)>,
    pub overdue_since: Option<Timestamp>,
    pub board: Option<BoardEscalation>,
    pub board_picked_up: Option<(Actor, Timestamp)>,
    pub resolution: Option<Resolution>,
    /// Legal hold and destruction (see [`crate::records`]).
    #[serde(default)]
    pub records: crate::records::Records,
}

/// Where a kwestie stands, derived from its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KwestieStatus {
    Raised,
    PickedUp,
    EscalatedToBoard,
    PickedUpByBoard,
    Resolved,
}

impl Kwestie {
    pub fn status(&self) -> KwestieStatus {
        if self.resolution.is_some() {
            KwestieStatus::Resolved
        } else if self.board_picked_up.is_some() {
            KwestieStatus::PickedUpByBoard
        } else if self.board.is_some() {
            KwestieStatus::EscalatedToBoard
        } else if self.picked_up.is_some() {
            KwestieStatus::PickedUp
        } else {
            KwestieStatus::Raised
        }
    }

    pub fn is_closed(&self) -> bool {
        self.resolution.is_some()
    }

    /// The pickup deadline that runs now: the board's once escalated, the team's before.
    pub fn current_deadline(&self) -> Timestamp {
        self.board
            .as_ref()
            .map_or(self.pickup_deadline, |b| b.pickup_deadline)
    }

    fn awaiting_pickup(&self) -> bool {
        match self.status() {
            KwestieStatus::Raised | KwestieStatus::EscalatedToBoard => true,
            KwestieStatus::PickedUp | KwestieStatus::PickedUpByBoard | KwestieStatus::Resolved => {
                false
            }
        }
    }

    /// Overdue: not picked up at its current level and `now` is past the deadline.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.awaiting_pickup() && now > self.current_deadline()
    }

    /// An overdue kwestie offers escalation to the board (a person takes that step).
    pub fn offers_board_escalation(&self, now: Timestamp) -> bool {
        self.board.is_none() && self.is_overdue(now)
    }

    /// For the deadline sweeper: when time alone will next change something.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let marked_at_this_level = match (&self.board, self.overdue_since) {
            (None, Some(_)) => true,
            (Some(b), Some(since)) => since > b.at,
            (_, None) => false,
        };
        (self.awaiting_pickup() && !marked_at_this_level).then(|| self.current_deadline())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KwestieCommand {
    Raise {
        id: KwestieId,
        case_ref: Option<CaseRef>,
        obstacle: String,
        categories: BTreeSet<KwestieCategory>,
        preparation: Preparation,
        child_needs: String,
        #[serde(default)]
        facilities_needed: String,
        route: KwestieRoute,
        policy: DeadlinePolicy,
    },
    PickUp,
    MarkOverdue,
    /// The professional, together with the team manager (`co_signer`), escalates an overdue
    /// kwestie to the board.
    EscalateToBoard {
        co_signer: PersonId,
        co_signer_role: Role,
    },
    Resolve {
        solution: String,
        scope: SolutionScope,
        solved_for_family: bool,
        classification: BottleneckClassification,
    },
    /// Legal hold, destruction, erasure.
    Records {
        records: crate::records::RecordsCommand,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KwestieEvent {
    Raised {
        id: KwestieId,
        case_ref: Option<CaseRef>,
        obstacle: String,
        categories: BTreeSet<KwestieCategory>,
        preparation: Preparation,
        child_needs: String,
        facilities_needed: String,
        route: KwestieRoute,
        policy: DeadlinePolicy,
        pickup_deadline: Timestamp,
    },
    PickedUp,
    Overdue {
        deadline: Timestamp,
    },
    EscalatedToBoard {
        co_signer: PersonId,
        pickup_deadline: Timestamp,
    },
    PickedUpByBoard,
    Resolved {
        solution: String,
        scope: SolutionScope,
        solved_for_family: bool,
        classification: BottleneckClassification,
    },
    Records {
        records: crate::records::RecordsEvent,
    },
}

impl crate::records::Redact for KwestieEvent {
    fn redact(&mut self) {
        match self {
            KwestieEvent::Raised {
                obstacle,
                child_needs,
                facilities_needed,
                ..
            } => crate::records::clear([obstacle, child_needs, facilities_needed]),
            KwestieEvent::Resolved {
                solution,
                classification,
                ..
            } => {
                solution.clear();
                classification
                    .root_causes
                    .iter_mut()
                    .for_each(|r| r.why.iter_mut().for_each(String::clear));
            }
            KwestieEvent::Records { records } => records.redact(),
            KwestieEvent::PickedUp
            | KwestieEvent::Overdue { .. }
            | KwestieEvent::EscalatedToBoard { .. }
            | KwestieEvent::PickedUpByBoard => {}
        }
    }
}

impl KwestieEvent {
    /// Free text of the event, by field (checked for BSN-shaped numbers before it is stored:
    /// a kwestie stays on its node, and still never names anyone by BSN).
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        match self {
            KwestieEvent::Raised {
                obstacle,
                child_needs,
                facilities_needed,
                ..
            } => vec![
                ("obstacle", obstacle),
                ("child_needs", child_needs),
                ("facilities_needed", facilities_needed),
            ],
            KwestieEvent::Resolved {
                solution,
                classification,
                ..
            } => std::iter::once(("solution", solution.as_str()))
                .chain(
                    classification
                        .root_causes
                        .iter()
                        .flat_map(|r| r.why.iter().map(|w| ("root_causes.why", w.as_str()))),
                )
                .collect(),
            KwestieEvent::Records { records } => records.free_text(),
            KwestieEvent::PickedUp
            | KwestieEvent::Overdue { .. }
            | KwestieEvent::EscalatedToBoard { .. }
            | KwestieEvent::PickedUpByBoard => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            KwestieEvent::Raised { .. } => "raised",
            KwestieEvent::PickedUp => "picked_up",
            KwestieEvent::Overdue { .. } => "overdue",
            KwestieEvent::EscalatedToBoard { .. } => "escalated_to_board",
            KwestieEvent::PickedUpByBoard => "picked_up_by_board",
            KwestieEvent::Resolved { .. } => "resolved",
            KwestieEvent::Records { records } => records.name(),
        }
    }
}

const RAISING_ROLES: [Role; 2] = [Role::Professional, Role::BehaviouralScientist];

/// May a person in `role` raise a kwestie? (Asked before anything else of the request.)
pub fn check_raiser(role: Option<Role>) -> Result<(), RuleViolation> {
    match role {
        Some(r) if RAISING_ROLES.contains(&r) => Ok(()),
        role => Err(RuleViolation::RoleNotAllowed {
            action: "raise_kwestie",
            role,
            allowed: RAISING_ROLES.to_vec(),
        }),
    }
}
const TEAM_PICKUP_ROLES: [Role; 2] = [Role::TeamManager, Role::Director];
const BOARD_PICKUP_ROLES: [Role; 1] = [Role::BoardMember];

impl KwestieStatus {
    /// The status of the kwesties a person in `role` picks up (raised ones by the team's
    /// management, escalated ones by the board), if any: the pick-up rule's roles, asked by the
    /// start page rather than copied into it.
    pub fn picked_up_by(role: Role) -> Option<KwestieStatus> {
        if TEAM_PICKUP_ROLES.contains(&role) {
            Some(KwestieStatus::Raised)
        } else if BOARD_PICKUP_ROLES.contains(&role) {
            Some(KwestieStatus::EscalatedToBoard)
        } else {
            None
        }
    }
}

/// Who co-signs a board escalation with a person in `role`: a professional and a team manager
/// together (DOMAIN.md), the one named by the other.
pub fn co_signs_with(role: Role) -> Option<Role> {
    match role {
        Role::Professional => Some(Role::TeamManager),
        Role::TeamManager => Some(Role::Professional),
        _ => None,
    }
}
const RESOLVING_ROLES: [Role; 3] = [Role::TeamManager, Role::Director, Role::BoardMember];

impl Aggregate for Kwestie {
    type Command = KwestieCommand;
    type Body = KwestieEvent;

    fn decide(
        state: Option<&Self>,
        cmd: &KwestieCommand,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Event<KwestieEvent>>, RuleViolation> {
        use KwestieCommand as C;
        use KwestieEvent as E;
        let ev = |body| Ok(vec![Event::new(now, actor.clone(), body)]);
        if let C::Raise {
            id,
            case_ref,
            obstacle,
            categories,
            preparation,
            child_needs,
            facilities_needed,
            route,
            policy,
        } = cmd
        {
            if state.is_some() {
                return Err(RuleViolation::AlreadyExists { what: "Kwestie" });
            }
            actor.require_role(&RAISING_ROLES, "raise_kwestie")?;
            text::require("obstacle", obstacle, MAX_TEXT)?;
            if categories.is_empty() {
                return Err(RuleViolation::KwestieNeedsCategory);
            }
            preparation.check()?;
            text::check("child_needs", child_needs, MAX_TEXT)?;
            if case_ref.is_some() && child_needs.trim().is_empty() {
                return Err(RuleViolation::MissingField {
                    field: "child_needs",
                });
            }
            text::check("facilities_needed", facilities_needed, MAX_TEXT)?;
            if !route.to_team_manager && !route.on_team_agenda {
                return Err(RuleViolation::KwestieNeedsRoute);
            }
            let policy = policy.validate()?;
            return ev(E::Raised {
                id: *id,
                case_ref: case_ref.clone(),
                obstacle: obstacle.clone(),
                categories: categories.clone(),
                preparation: preparation.clone(),
                child_needs: child_needs.clone(),
                facilities_needed: facilities_needed.clone(),
                route: *route,
                policy,
                pickup_deadline: add_days(now, policy.kwestie_pickup_days),
            });
        }
        let k = state.ok_or(RuleViolation::NotFound { what: "Kwestie" })?;
        if actor.org() != &k.org {
            return Err(RuleViolation::KwestieIsLocal);
        }
        let parties = [k.org.clone()];
        let subject = crate::records::Subject {
            home: &k.org,
            parties: &parties,
            closed_at: k.resolution.as_ref().map(|r| r.at),
            records: &k.records,
        };
        let records_cmd = match cmd {
            C::Records { records } => Some(records),
            _ => None,
        };
        crate::records::check_command(&subject, records_cmd, actor)?;
        if let Some(records) = records_cmd {
            return Ok(crate::records::decide(&subject, records, actor, now)?
                .into_iter()
                .map(|records| Event::new(now, actor.clone(), E::Records { records }))
                .collect());
        }
        if k.is_closed() {
            return Err(RuleViolation::KwestieClosed);
        }
        match cmd {
            C::Raise { .. } => Err(RuleViolation::AlreadyExists { what: "Kwestie" }),
            C::Records { .. } => Ok(Vec::new()),
            C::PickUp => match k.status() {
                KwestieStatus::Raised => {
                    actor.require_role(&TEAM_PICKUP_ROLES, "pick_up_kwestie")?;
                    ev(E::PickedUp)
                }
                KwestieStatus::EscalatedToBoard => {
                    actor.require_role(&BOARD_PICKUP_ROLES, "pick_up_kwestie_for_board")?;
                    ev(E::PickedUpByBoard)
                }
                _ => Err(RuleViolation::AlreadyPickedUp),
            },
            C::MarkOverdue => {
                if !k.awaiting_pickup() {
                    return Err(RuleViolation::AlreadyPickedUp);
                }
                if k.next_deadline().is_none() {
                    return Err(RuleViolation::AlreadyMarkedOverdue);
                }
                if !k.is_overdue(now) {
                    return Err(RuleViolation::NotYetOverdue {
                        deadline: k.current_deadline(),
                    });
                }
                ev(E::Overdue {
                    deadline: k.current_deadline(),
                })
            }
            C::EscalateToBoard {
                co_signer,
                co_signer_role,
            } => {
                if k.board.is_some() {
                    return Err(RuleViolation::AlreadyEscalatedToBoard);
                }
                if !k.is_overdue(now) {
                    if k.awaiting_pickup() {
                        return Err(RuleViolation::BoardEscalationNotDue {
                            deadline: k.current_deadline(),
                        });
                    }
                    return Err(RuleViolation::AlreadyPickedUp);
                }
                let together = actor
                    .role()
                    .and_then(co_signs_with)
                    .is_some_and(|r| r == *co_signer_role);
                if !together || Some(co_signer) == actor.person_id() {
                    return Err(RuleViolation::BoardEscalationNeedsBoth);
                }
                text::require("co_signer", &co_signer.0, text::MAX_SHORT)?;
                ev(E::EscalatedToBoard {
                    co_signer: co_signer.clone(),
                    pickup_deadline: add_days(now, k.policy.kwestie_pickup_days),
                })
            }
            C::Resolve {
                solution,
                scope,
                solved_for_family,
                classification,
            } => {
                actor.require_role(&RESOLVING_ROLES, "resolve_kwestie")?;
                text::require("solution", solution, MAX_TEXT)?;
                classification.validate()?;
                ev(E::Resolved {
                    solution: solution.clone(),
                    scope: *scope,
                    solved_for_family: *solved_for_family,
                    classification: classification.clone(),
                })
            }
        }
    }

    fn apply(state: Option<Self>, event: &Event<KwestieEvent>) -> Result<Self, ReplayError> {
        use KwestieEvent as E;
        check_version(event)?;
        let incons = |reason| ReplayError::Inconsistent {
            event: event.body.name(),
            reason,
        };
        if let E::Raised {
            id,
            case_ref,
            obstacle,
            categories,
            preparation,
            child_needs,
            facilities_needed,
            route,
            policy,
            pickup_deadline,
        } = &event.body
        {
            if state.is_some() {
                return Err(ReplayError::AlreadyCreated("raised"));
            }
            return Ok(Kwestie {
                id: *id,
                org: event.by.org().clone(),
                case_ref: case_ref.clone(),
                raised_by: event.by.clone(),
                raised_at: event.at,
                obstacle: obstacle.clone(),
                categories: categories.clone(),
                preparation: preparation.clone(),
                child_needs: child_needs.clone(),
                facilities_needed: facilities_needed.clone(),
                route: *route,
                policy: *policy,
                pickup_deadline: *pickup_deadline,
                picked_up: None,
                overdue_since: None,
                board: None,
                board_picked_up: None,
                resolution: None,
                records: crate::records::Records::default(),
            });
        }
        let mut k = state.ok_or(ReplayError::NotACreation(event.body.name()))?;
        if let E::Records { records } = &event.body {
            k.records.apply(records, event.at, &event.by);
            return Ok(k);
        }
        if k.is_closed() {
            return Err(incons("the kwestie is closed"));
        }
        match &event.body {
            E::Raised { .. } => return Err(ReplayError::AlreadyCreated("raised")),
            E::Records { .. } => {}
            E::PickedUp => k.picked_up = Some((event.by.clone(), event.at)),
            E::Overdue { .. } => k.overdue_since = Some(event.at),
            E::EscalatedToBoard {
                co_signer,
                pickup_deadline,
            } => {
                k.board = Some(BoardEscalation {
                    at: event.at,
                    by: event.by.clone(),
                    co_signer: co_signer.clone(),
                    pickup_deadline: *pickup_deadline,
                });
            }
            E::PickedUpByBoard => k.board_picked_up = Some((event.by.clone(), event.at)),
            E::Resolved {
                solution,
                scope,
                solved_for_family,
                classification,
            } => {
                k.resolution = Some(Resolution {
                    solution: solution.clone(),
                    scope: *scope,
                    solved_for_family: *solved_for_family,
                    classification: classification.clone(),
                    at: event.at,
                    by: event.by.clone(),
                });
            }
        }
        Ok(k)
    }
}

impl crate::stream::Streamed for crate::Kwestie {
    fn list_status(&self) -> crate::Status {
        self.status().into()
    }
    fn facts(&self) -> Vec<crate::figures::Fact> {
        kwestie_facts(self)
    }
    const KIND: crate::vocabulary::StreamKind = crate::vocabulary::StreamKind::Kwestie;

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

    fn records(&self) -> Option<&crate::records::Records> {
        Some(&self.records)
    }
    fn closed_at(&self) -> Option<crate::Timestamp> {
        self.resolution.as_ref().map(|r| r.at)
    }
    fn case_refs(&self) -> Vec<crate::CaseRef> {
        self.case_ref.iter().cloned().collect()
    }
    fn redact(body: &mut Self::Body) {
        crate::records::Redact::redact(body);
    }
    fn is_destruction(body: &Self::Body) -> bool {
        matches!(
            body,
            crate::KwestieEvent::Records {
                records: crate::records::RecordsEvent::Destroyed { .. }
            }
        )
    }
}

/// The facts of a kwestie.
pub fn kwestie_facts(k: &Kwestie) -> Vec<crate::figures::Fact> {
    use crate::figures::{Fact, Metric, dutch_day};
    let raised = Some(dutch_day(k.raised_at));
    let mut out: Vec<Fact> = k
        .categories
        .iter()
        .map(|c| Fact::new(Metric::KwestieCategory, raised, c.code()))
        .collect();
    if let Some(r) = &k.resolution {
        out.push(Fact::new(
            Metric::Bottleneck,
            Some(dutch_day(r.at)),
            r.classification.bottleneck.code(),
        ));
    }
    out
}

impl From<crate::kwestie::KwestieStatus> for crate::status::Status {
    fn from(s: crate::kwestie::KwestieStatus) -> Self {
        use crate::kwestie::KwestieStatus as K;
        match s {
            K::Raised => crate::status::Status::Raised,
            K::PickedUp => crate::status::Status::PickedUp,
            K::EscalatedToBoard => crate::status::Status::EscalatedToBoard,
            K::PickedUpByBoard => crate::status::Status::PickedUpByBoard,
            K::Resolved => crate::status::Status::Resolved,
        }
    }
}
