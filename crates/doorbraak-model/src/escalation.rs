//! Escalation between organisations (Bouwsteen 6): the ladder of three steps.
//!
//! | step | allowed for | invoked by |
//! |---|---|---|
//! | 1 behavioural scientists | situation 1 only | professionals |
//! | 2 management | situation 1 after step 1 ended unbridged; situations 2 and 3 from the start | professionals, behavioural scientists |
//! | 3 administrative | after step 2 ended with insufficient result | team managers, directors |
//!
//! The organisation that opens an escalation is its *home*: it keeps the authoritative log.
//! Every other party's request is decided here, with the requesting person's organisation
//! and role, exactly like a local command.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;
use crate::classification::BottleneckClassification;
use crate::event::{Aggregate, Event, ReplayError, check_version};
use crate::identity::{Actor, CaseRef, Oin, OrgKind, OrgRef, PersonId, Role};
use crate::policy::{DeadlinePolicy, add_days};
use crate::text::{self, MAX_SHORT, MAX_TEXT};
use crate::violation::RuleViolation;
pub use crate::vocabulary::Step;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EscalationId(pub Uuid);

impl fmt::Display for EscalationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Exactly one of three situations applies to an escalation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Situation {
    /// 1. Professional dilemma: a difference of view on the case.
    ProfessionalDilemma,
    /// 2. Agreements not kept (e.g. a waiting list keeps needed help from starting).
    AgreementsNotKept,
    /// 3. Conduct of a colleague of another organisation is negligent or worrying.
    Conduct,
}

impl Situation {
    /// The step an escalation of this situation opens at: step 1 (behavioural scientists) for a
    /// professional dilemma, step 2 (management) for agreements not kept and for conduct.
    pub fn first_step(self) -> Step {
        match self {
            Situation::ProfessionalDilemma => Step::BehaviouralScientists,
            Situation::AgreementsNotKept | Situation::Conduct => Step::Management,
        }
    }

    pub const ALL: [Situation; 3] = [
        Situation::ProfessionalDilemma,
        Situation::AgreementsNotKept,
        Situation::Conduct,
    ];

    /// The code, as it is sent (`professional_dilemma`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Situation::ProfessionalDilemma => "professional_dilemma",
            Situation::AgreementsNotKept => "agreements_not_kept",
            Situation::Conduct => "conduct",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Situation::ProfessionalDilemma => 1,
            Situation::AgreementsNotKept => 2,
            Situation::Conduct => 3,
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Situation::ProfessionalDilemma => "situatie 1 (professioneel dilemma)",
            Situation::AgreementsNotKept => "situatie 2 (afspraken niet nagekomen)",
            Situation::Conduct => "situatie 3 (professioneel handelen)",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Situation::ProfessionalDilemma => "situation 1 (professional dilemma)",
            Situation::AgreementsNotKept => "situation 2 (agreements not kept)",
            Situation::Conduct => "situation 3 (professional conduct)",
        }
    }
}

impl Step {
    /// Who may invoke this step (the ladder table's "who may invoke it").
    /// May a person in `role` invoke (or open an escalation at) this step? (Asked before
    /// anything else of a request, so that a refusal reveals nothing of what exists.)
    pub fn check_invoker(self, role: Option<Role>) -> Result<(), RuleViolation> {
        if role.is_some_and(|r| self.invokers().contains(&r)) {
            Ok(())
        } else {
            Err(RuleViolation::RoleMayNotInvokeStep { step: self, role })
        }
    }

    /// The one who opens an escalation at this step takes part in it when their role does (and
    /// is not listed yet): first among the participants.
    pub fn add_opener(self, participants: &mut Vec<Participant>, opener: Participant) {
        let listed = participants
            .iter()
            .any(|p| p.person == opener.person && p.org == opener.org);
        if self.participant_roles().contains(&opener.role) && !listed {
            participants.insert(0, opener);
        }
    }
}

/// A person taking part in a step, with the role in which they act.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub person: PersonId,
    /// Display name, shown to the parties of the escalation only.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::short_text))]
    pub name: String,
    pub role: Role,
    pub org: Oin,
}

/// Whether and when the family was informed about a step.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FamilyInformed {
    /// The family was taken along beforehand.
    Before {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: Timestamp,
    },
    /// The family was informed afterwards; the professional explains why.
    After {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: Timestamp,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        explanation: String,
    },
}

impl FamilyInformed {
    pub fn at(&self) -> Timestamp {
        match self {
            FamilyInformed::Before { at } | FamilyInformed::After { at, .. } => *at,
        }
    }
}

/// How a step ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepOutcome {
    /// Difference bridged, stagnation lifted, or decision recorded.
    Resolved {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::text))]
        summary: String,
    },
    /// Not bridged / insufficient result: the next step may be invoked.
    Unresolved {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::text))]
        summary: String,
    },
}

impl StepOutcome {
    pub fn is_resolved(&self) -> bool {
        matches!(self, StepOutcome::Resolved { .. })
    }

    fn summary(&self) -> &str {
        match self {
            StepOutcome::Resolved { summary } | StepOutcome::Unresolved { summary } => summary,
        }
    }
}

/// One step as it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: Step,
    pub invoked_by: Actor,
    pub invoked_at: Timestamp,
    pub reason: String,
    pub pickup_deadline: Timestamp,
    pub participants: Vec<Participant>,
    pub picked_up: Option<(Actor, Timestamp)>,
    pub overdue_since: Option<Timestamp>,
    pub family: Option<FamilyInformed>,
    pub outcome: Option<(StepOutcome, Timestamp)>,
}

impl StepRecord {
    /// Overdue when `now` is past the pickup deadline and nobody picked the step up.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.picked_up.is_none() && self.outcome.is_none() && now > self.pickup_deadline
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SituationChange {
    pub from: Situation,
    pub to: Situation,
    pub reason: String,
    pub at: Timestamp,
    pub by: Actor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationStatus {
    Open,
    Closed {
        at: Timestamp,
        classification: BottleneckClassification,
    },
}

/// The shared state of one escalation, identical at the home node and every party's replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub id: EscalationId,
    pub home: OrgRef,
    /// Every party other than the home, in the order they joined.
    pub counterparts: Vec<OrgRef>,
    pub case_ref: CaseRef,
    pub situation: Situation,
    pub situation_history: Vec<SituationChange>,
    pub question: String,
    pub needs: String,
    pub opened_by: Actor,
    pub opened_at: Timestamp,
    pub policy: DeadlinePolicy,
    pub steps: Vec<StepRecord>,
    pub status: EscalationStatus,
    /// Legal hold, destruction, corrections (see [`crate::records`]).
    #[serde(default)]
    pub records: crate::records::Records,
}

impl Escalation {
    pub fn is_closed(&self) -> bool {
        matches!(self.status, EscalationStatus::Closed { .. })
    }

    pub fn current(&self) -> Option<&StepRecord> {
        self.steps.last()
    }

    pub fn current_step(&self) -> Option<Step> {
        self.current().map(|s| s.step)
    }

    fn current_mut(&mut self) -> Option<&mut StepRecord> {
        self.steps.last_mut()
    }

    fn step_mut(&mut self, step: Step) -> Option<&mut StepRecord> {
        self.steps.iter_mut().find(|s| s.step == step)
    }

    pub fn step(&self, step: Step) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == step)
    }

    /// Every organisation that is a party: the home first, then the counterparts.
    pub fn parties(&self) -> impl Iterator<Item = &OrgRef> {
        std::iter::once(&self.home).chain(self.counterparts.iter())
    }

    pub fn is_party(&self, oin: &Oin) -> bool {
        self.parties().any(|p| &p.oin == oin)
    }

    fn party_kind(&self, oin: &Oin) -> Option<OrgKind> {
        self.parties().find(|p| &p.oin == oin).map(|p| p.kind)
    }

    /// Does the current step wait for `actor` to pick it up? Exactly when the pick-up rule
    /// would allow it now (the start page and notifications ask this, never a copy of it).
    pub fn waits_for_pickup_by(&self, actor: &Actor, now: Timestamp) -> bool {
        <Self as crate::Aggregate>::decide(
            Some(self),
            &EscalationCommand::PickUp { name: None },
            actor,
            now,
        )
        .is_ok()
    }

    /// Is the current step past its pickup deadline without pickup?
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        !self.is_closed() && self.current().is_some_and(|s| s.is_overdue(now))
    }

    /// The next moment at which time alone changes something (for the durable deadline
    /// sweeper): the current step's pickup deadline, until it is picked up or marked overdue.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        if self.is_closed() {
            return None;
        }
        self.current()
            .filter(|s| s.picked_up.is_none() && s.outcome.is_none() && s.overdue_since.is_none())
            .map(|s| s.pickup_deadline)
    }
}

/// What a person (or the deadline sweeper) asks of an escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationCommand {
    /// Open an escalation at its first step.
    Open {
        id: EscalationId,
        home: OrgRef,
        counterparts: Vec<OrgRef>,
        case_ref: CaseRef,
        situation: Situation,
        first_step: Step,
        participants: Vec<Participant>,
        /// What is asked of whom.
        question: String,
        /// What the child or family needs.
        needs: String,
        /// The ask is "I cannot reach the local team while seeking youth help".
        #[serde(default)]
        seeking_youth_help_access: bool,
        policy: DeadlinePolicy,
    },
    /// Invoke the next step of the ladder. `joining` names organisations that become parties
    /// at this step (typically the municipality at step 3).
    InvokeStep {
        step: Step,
        participants: Vec<Participant>,
        #[serde(default)]
        joining: Vec<OrgRef>,
        reason: String,
    },
    /// The counterpart picks up the current step. The person who picks up joins the step under
    /// `name` when their role acts in it and they do not take part yet.
    PickUp {
        /// The display name of the person picking up (none: they do not join, e.g. a command
        /// forwarded by a node of an earlier release).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    AddParticipant {
        participant: Participant,
    },
    RecordFamilyInformed {
        step: Step,
        informed: FamilyInformed,
    },
    RecordOutcome {
        outcome: StepOutcome,
    },
    /// Changing the situation is an explicit, recorded act with a reason.
    ChangeSituation {
        to: Situation,
        reason: String,
    },
    /// The deadline sweeper records that the current step's pickup deadline passed.
    MarkOverdue,
    Close {
        classification: BottleneckClassification,
    },
    /// Correct shared free text (by the home, with a reason): every party shows the new text.
    Correct {
        field: CorrectableField,
        text: String,
        reason: String,
    },
    /// Legal hold, destruction, erasure, a party's confirmation.
    Records {
        records: crate::records::RecordsCommand,
    },
}

/// The shared free text of an escalation that can be corrected.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "step",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum CorrectableField {
    Question,
    Needs,
    /// The reason a step was invoked.
    StepReason(Step),
    /// The summary of a step's outcome.
    OutcomeSummary(Step),
}

impl CorrectableField {
    pub fn code(self) -> &'static str {
        match self {
            CorrectableField::Question => "question",
            CorrectableField::Needs => "needs",
            CorrectableField::StepReason(_) => "step.reason",
            CorrectableField::OutcomeSummary(_) => "outcome.summary",
        }
    }
}

impl EscalationCommand {
    pub fn name(&self) -> &'static str {
        match self {
            EscalationCommand::Open { .. } => "open",
            EscalationCommand::InvokeStep { .. } => "invoke_step",
            EscalationCommand::PickUp { .. } => "pick_up",
            EscalationCommand::AddParticipant { .. } => "add_participant",
            EscalationCommand::RecordFamilyInformed { .. } => "record_family_informed",
            EscalationCommand::RecordOutcome { .. } => "record_outcome",
            EscalationCommand::ChangeSituation { .. } => "change_situation",
            EscalationCommand::MarkOverdue => "mark_overdue",
            EscalationCommand::Close { .. } => "close",
            EscalationCommand::Correct { .. } => "correct",
            EscalationCommand::Records { records } => records.name(),
        }
    }
}

/// Facts about an escalation. Every party's replica folds the same facts in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationEvent {
    Opened {
        id: EscalationId,
        home: OrgRef,
        counterparts: Vec<OrgRef>,
        case_ref: CaseRef,
        situation: Situation,
        question: String,
        needs: String,
        policy: DeadlinePolicy,
    },
    StepInvoked {
        step: Step,
        participants: Vec<Participant>,
        joining: Vec<OrgRef>,
        reason: String,
        pickup_deadline: Timestamp,
    },
    StepPickedUp {
        step: Step,
    },
    ParticipantAdded {
        step: Step,
        participant: Participant,
    },
    FamilyInformedRecorded {
        step: Step,
        informed: FamilyInformed,
    },
    OutcomeRecorded {
        step: Step,
        outcome: StepOutcome,
    },
    SituationChanged {
        from: Situation,
        to: Situation,
        reason: String,
    },
    StepOverdue {
        step: Step,
        deadline: Timestamp,
    },
    Closed {
        classification: BottleneckClassification,
    },
    Corrected {
        field: CorrectableField,
        text: String,
        reason: String,
    },
    Records {
        records: crate::records::RecordsEvent,
    },
}

impl crate::records::Redact for EscalationEvent {
    /// Erase every free text and name; what stays are the facts the aggregates count (steps,
    /// times, situations, organisations, the classification's categories).
    fn redact(&mut self) {
        use EscalationEvent as E;
        let names = |ps: &mut Vec<Participant>| ps.iter_mut().for_each(|p| p.name.clear());
        match self {
            E::Opened {
                question, needs, ..
            } => crate::records::clear([question, needs]),
            E::StepInvoked {
                reason,
                participants,
                ..
            } => {
                reason.clear();
                names(participants);
            }
            E::ParticipantAdded { participant, .. } => participant.name.clear(),
            E::FamilyInformedRecorded {
                informed: FamilyInformed::After { explanation, .. },
                ..
            } => explanation.clear(),
            E::OutcomeRecorded { outcome, .. } => match outcome {
                StepOutcome::Resolved { summary } | StepOutcome::Unresolved { summary } => {
                    summary.clear();
                }
            },
            E::SituationChanged { reason, .. } => reason.clear(),
            E::Closed { classification } => classification
                .root_causes
                .iter_mut()
                .for_each(|r| r.why.iter_mut().for_each(String::clear)),
            E::Corrected { text, reason, .. } => crate::records::clear([text, reason]),
            E::Records { records } => records.redact(),
            E::FamilyInformedRecorded { .. } | E::StepPickedUp { .. } | E::StepOverdue { .. } => {}
        }
    }
}

impl EscalationEvent {
    /// The free text in this event, by field: what the BSN check looks at before the event
    /// may go to another organisation.
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        use EscalationEvent as E;
        match self {
            E::Opened {
                question, needs, ..
            } => vec![("question", question), ("needs", needs)],
            E::StepInvoked {
                reason,
                participants,
                ..
            } => {
                let mut v = vec![("reason", reason.as_str())];
                v.extend(
                    participants
                        .iter()
                        .map(|p| ("participant.name", p.name.as_str())),
                );
                v
            }
            E::ParticipantAdded { participant, .. } => {
                vec![("participant.name", participant.name.as_str())]
            }
            E::FamilyInformedRecorded {
                informed: FamilyInformed::After { explanation, .. },
                ..
            } => vec![("informed.explanation", explanation)],
            E::OutcomeRecorded { outcome, .. } => vec![("outcome.summary", outcome.summary())],
            E::SituationChanged { reason, .. } => vec![("reason", reason)],
            E::Closed { classification } => classification
                .root_causes
                .iter()
                .flat_map(|r| r.why.iter().map(|w| ("root_causes.why", w.as_str())))
                .collect(),
            E::Corrected { text, reason, .. } => vec![("text", text), ("reason", reason)],
            E::Records { records } => records.free_text(),
            E::FamilyInformedRecorded { .. } | E::StepPickedUp { .. } | E::StepOverdue { .. } => {
                Vec::new()
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            EscalationEvent::Opened { .. } => "opened",
            EscalationEvent::StepInvoked { .. } => "step_invoked",
            EscalationEvent::StepPickedUp { .. } => "step_picked_up",
            EscalationEvent::ParticipantAdded { .. } => "participant_added",
            EscalationEvent::FamilyInformedRecorded { .. } => "family_informed_recorded",
            EscalationEvent::OutcomeRecorded { .. } => "outcome_recorded",
            EscalationEvent::SituationChanged { .. } => "situation_changed",
            EscalationEvent::StepOverdue { .. } => "step_overdue",
            EscalationEvent::Closed { .. } => "closed",
            EscalationEvent::Corrected { .. } => "corrected",
            EscalationEvent::Records { records } => records.name(),
        }
    }
}

/// Roles that may take part in the daily handling (pickup aside) of an open escalation.
const HANDLING_ROLES: [Role; 4] = [
    Role::Professional,
    Role::BehaviouralScientist,
    Role::TeamManager,
    Role::Director,
];

/// Roles that may close an escalation at its home.
const CLOSING_ROLES: [Role; 4] = [
    Role::Professional,
    Role::TeamManager,
    Role::Director,
    Role::BoardMember,
];

/// The checks every step invocation (at opening, or later) must pass.
struct StepCheck<'a> {
    situation: Situation,
    previous: Option<&'a StepRecord>,
    step: Step,
    actor: &'a Actor,
    participants: &'a [Participant],
    reason: &'a str,
}

impl StepCheck<'_> {
    fn run(&self, parties: &[&OrgRef]) -> Result<(), RuleViolation> {
        // who may invoke the step
        self.step.check_invoker(self.actor.role())?;
        // order: never back, the current step must have ended unresolved
        if let Some(prev) = self.previous {
            if self.step <= prev.step {
                return Err(RuleViolation::StepNeverGoesBack {
                    current: prev.step,
                    requested: self.step,
                });
            }
            match &prev.outcome {
                None => return Err(RuleViolation::CurrentStepNotEnded { step: prev.step }),
                Some((o, _)) if o.is_resolved() => return Err(RuleViolation::EscalationResolved),
                Some(_) => {}
            }
        }
        // the ladder per situation
        let prev_step = self.previous.map(|p| p.step);
        match self.step {
            Step::BehaviouralScientists => {
                if self.situation != Situation::ProfessionalDilemma {
                    return Err(RuleViolation::Step1OnlySituation1);
                }
            }
            Step::Management => {
                if self.situation == Situation::ProfessionalDilemma
                    && prev_step != Some(Step::BehaviouralScientists)
                {
                    return Err(RuleViolation::Step2NeedsStep1Unbridged);
                }
            }
            Step::Administrative => {
                if prev_step != Some(Step::Management) {
                    return Err(RuleViolation::Step3NeedsStep2Insufficient);
                }
                text::require("reason", self.reason, MAX_TEXT)?;
            }
        }
        check_participants(self.step, self.participants, &[], parties)?;
        if self.step == Step::Administrative
            && !self
                .participants
                .iter()
                .any(|p| p.role == Role::CivilServant)
        {
            return Err(RuleViolation::Step3NeedsCivilServant);
        }
        Ok(())
    }
}

/// Participants must have a role of the step, belong to a party, appear once; an alderman
/// acts for a municipality that is a party.
fn check_participants(
    step: Step,
    new: &[Participant],
    existing: &[Participant],
    parties: &[&OrgRef],
) -> Result<(), RuleViolation> {
    for (i, p) in new.iter().enumerate() {
        text::require("participant.name", &p.name, MAX_SHORT)?;
        text::require("participant.person", &p.person.0, MAX_SHORT)?;
        if !step.participant_roles().contains(&p.role) {
            return Err(RuleViolation::ParticipantRoleNotInStep { step, role: p.role });
        }
        let Some(party) = parties.iter().find(|o| o.oin == p.org) else {
            return Err(RuleViolation::ParticipantNotOfParty);
        };
        if p.role == Role::Alderman && party.kind != OrgKind::Municipality {
            return Err(RuleViolation::AldermanOnlyAtMunicipality);
        }
        let same = |q: &Participant| q.person == p.person && q.org == p.org;
        if existing.iter().any(same) || new[..i].iter().any(same) {
            return Err(RuleViolation::DuplicateParticipant);
        }
    }
    Ok(())
}

/// The person who picks up a step joins it (so that a meeting can invite them): when named,
/// their role acts in the step, and they would be a valid participant not taking part yet.
fn joins_at_pickup(
    esc: &Escalation,
    current: &StepRecord,
    actor: &Actor,
    name: Option<&str>,
) -> Option<Participant> {
    let (Actor::Person { person, role, org }, Some(name)) = (actor, name) else {
        return None;
    };
    let participant = Participant {
        person: person.clone(),
        name: name.to_owned(),
        role: *role,
        org: org.clone(),
    };
    let parties: Vec<&OrgRef> = esc.parties().collect();
    check_participants(
        current.step,
        std::slice::from_ref(&participant),
        &current.participants,
        &parties,
    )
    .ok()
    .map(|()| participant)
}

fn check_party_actor(esc: &Escalation, actor: &Actor) -> Result<(), RuleViolation> {
    if esc.is_party(actor.org()) {
        Ok(())
    } else {
        Err(RuleViolation::NotAParty)
    }
}

fn check_family(informed: &FamilyInformed, now: Timestamp) -> Result<(), RuleViolation> {
    if informed.at() > now {
        return Err(RuleViolation::InvalidField {
            field: "informed.at",
            reason: "lies in the future",
        });
    }
    if let FamilyInformed::After { explanation, .. } = informed {
        if explanation.trim().is_empty() {
            return Err(RuleViolation::FamilyAfterNeedsExplanation);
        }
        text::check("informed.explanation", explanation, MAX_TEXT)?;
    }
    Ok(())
}

fn decide_open(
    state: Option<&Escalation>,
    cmd: &EscalationCommand,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<Event<EscalationEvent>>, RuleViolation> {
    let EscalationCommand::Open {
        id,
        home,
        counterparts,
        case_ref,
        situation,
        first_step,
        participants,
        question,
        needs,
        seeking_youth_help_access,
        policy,
    } = cmd
    else {
        return Err(RuleViolation::NotFound { what: "Escalation" });
    };
    if state.is_some() {
        return Err(RuleViolation::AlreadyExists { what: "Escalation" });
    }
    if actor.org() != &home.oin {
        return Err(RuleViolation::OpenerIsHome);
    }
    if !crate::stream::is_of_home(&id.0, &home.oin) {
        return Err(RuleViolation::StreamIdNotOfHome);
    }
    if counterparts.is_empty() || counterparts.iter().any(|c| c.oin == home.oin) {
        return Err(RuleViolation::NeedsCounterpart);
    }
    for (i, c) in counterparts.iter().enumerate() {
        if counterparts[..i].iter().any(|d| d.oin == c.oin) {
            return Err(RuleViolation::InvalidField {
                field: "counterparts",
                reason: "an organisation is named twice",
            });
        }
    }
    // the ask "I cannot reach the local team while seeking youth help" is a referral route,
    // whoever asks it and towards whom: never an escalation
    if *seeking_youth_help_access {
        return Err(RuleViolation::ReferralRouteNotEscalation);
    }
    text::require("question", question, MAX_TEXT)?;
    text::require("needs", needs, MAX_TEXT)?;
    let policy = policy.validate()?;
    let parties: Vec<&OrgRef> = std::iter::once(home).chain(counterparts.iter()).collect();
    StepCheck {
        situation: *situation,
        previous: None,
        step: *first_step,
        actor,
        participants,
        reason: "",
    }
    .run(&parties)?;
    Ok(vec![
        Event::new(
            now,
            actor.clone(),
            EscalationEvent::Opened {
                id: *id,
                home: home.clone(),
                counterparts: counterparts.clone(),
                case_ref: case_ref.clone(),
                situation: *situation,
                question: question.clone(),
                needs: needs.clone(),
                policy,
            },
        ),
        Event::new(
            now,
            actor.clone(),
            EscalationEvent::StepInvoked {
                step: *first_step,
                participants: participants.clone(),
                joining: Vec::new(),
                reason: String::new(),
                pickup_deadline: add_days(now, policy.step_pickup_days),
            },
        ),
    ])
}

impl Aggregate for Escalation {
    type Command = EscalationCommand;
    type Body = EscalationEvent;

    fn decide(
        state: Option<&Self>,
        cmd: &EscalationCommand,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Event<EscalationEvent>>, RuleViolation> {
        use EscalationCommand as C;
        use EscalationEvent as E;
        if matches!(cmd, C::Open { .. }) {
            return decide_open(state, cmd, actor, now);
        }
        let esc = state.ok_or(RuleViolation::NotFound { what: "Escalation" })?;
        let parties: Vec<Oin> = esc.parties().map(|p| p.oin.clone()).collect();
        let subject = crate::records::Subject {
            home: &esc.home.oin,
            parties: &parties,
            closed_at: esc.closed_at(),
            records: &esc.records,
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
        check_party_actor(esc, actor)?;
        if let C::Correct {
            field,
            text: value,
            reason,
        } = cmd
        {
            crate::records::check_correction(&esc.home.oin, actor, value, reason, field.code())?;
            if esc.corrected_text(*field).is_none() {
                return Err(RuleViolation::NotFound { what: "Step" });
            }
            return Ok(vec![Event::new(
                now,
                actor.clone(),
                E::Corrected {
                    field: *field,
                    text: value.clone(),
                    reason: reason.clone(),
                },
            )]);
        }
        if esc.is_closed() {
            return Err(RuleViolation::EscalationClosed);
        }
        let current = esc
            .current()
            .ok_or(RuleViolation::NotFound { what: "Step" })?;
        let event = |body| Ok(vec![Event::new(now, actor.clone(), body)]);
        match cmd {
            C::Open { .. } => Err(RuleViolation::AlreadyExists { what: "Escalation" }),
            C::Correct { .. } | C::Records { .. } => Ok(Vec::new()),
            C::InvokeStep {
                step,
                participants,
                joining,
                reason,
            } => {
                for j in joining {
                    if esc.is_party(&j.oin) || joining.iter().filter(|k| k.oin == j.oin).count() > 1
                    {
                        return Err(RuleViolation::InvalidField {
                            field: "joining",
                            reason: "the organisation is already a party",
                        });
                    }
                }
                text::check("reason", reason, MAX_TEXT)?;
                let parties: Vec<&OrgRef> = esc.parties().chain(joining.iter()).collect();
                StepCheck {
                    situation: esc.situation,
                    previous: Some(current),
                    step: *step,
                    actor,
                    participants,
                    reason,
                }
                .run(&parties)?;
                event(E::StepInvoked {
                    step: *step,
                    participants: participants.clone(),
                    joining: joining.clone(),
                    reason: reason.clone(),
                    pickup_deadline: add_days(now, esc.policy.step_pickup_days),
                })
            }
            C::PickUp { name } => {
                if current.outcome.is_some() {
                    return Err(RuleViolation::StepAlreadyEnded { step: current.step });
                }
                if current.picked_up.is_some() {
                    return Err(RuleViolation::AlreadyPickedUp);
                }
                if current.invoked_by.org() == actor.org() {
                    return Err(RuleViolation::PickupByCounterpart);
                }
                // the people who act in the step at the counterpart
                actor.require_role(current.step.pickup_roles(), "pick_up")?;
                let mut events = vec![Event::new(
                    now,
                    actor.clone(),
                    E::StepPickedUp { step: current.step },
                )];
                if let Some(participant) = joins_at_pickup(esc, current, actor, name.as_deref()) {
                    events.push(Event::new(
                        now,
                        actor.clone(),
                        E::ParticipantAdded {
                            step: current.step,
                            participant,
                        },
                    ));
                }
                Ok(events)
            }
            C::AddParticipant { participant } => {
                actor.require_role(&HANDLING_ROLES, "add_participant")?;
                if current.outcome.is_some() {
                    return Err(RuleViolation::StepAlreadyEnded { step: current.step });
                }
                let parties: Vec<&OrgRef> = esc.parties().collect();
                check_participants(
                    current.step,
                    std::slice::from_ref(participant),
                    &current.participants,
                    &parties,
                )?;
                event(E::ParticipantAdded {
                    step: current.step,
                    participant: participant.clone(),
                })
            }
            C::RecordFamilyInformed { step, informed } => {
                actor.require_role(&HANDLING_ROLES, "record_family_informed")?;
                let rec = esc
                    .step(*step)
                    .ok_or(RuleViolation::StepNotReached { step: *step })?;
                if rec.family.is_some() {
                    return Err(RuleViolation::FamilyAlreadyRecorded { step: *step });
                }
                check_family(informed, now)?;
                event(E::FamilyInformedRecorded {
                    step: *step,
                    informed: informed.clone(),
                })
            }
            C::RecordOutcome { outcome } => {
                actor.require_role(current.step.participant_roles(), "record_outcome")?;
                if current.outcome.is_some() {
                    return Err(RuleViolation::StepAlreadyEnded { step: current.step });
                }
                if current.picked_up.is_none() {
                    return Err(RuleViolation::StepNotPickedUp { step: current.step });
                }
                text::require("outcome.summary", outcome.summary(), MAX_TEXT)?;
                event(E::OutcomeRecorded {
                    step: current.step,
                    outcome: outcome.clone(),
                })
            }
            C::ChangeSituation { to, reason } => {
                actor.require_role(&HANDLING_ROLES, "change_situation")?;
                if *to == esc.situation {
                    return Err(RuleViolation::SituationUnchanged);
                }
                if current.step == Step::BehaviouralScientists
                    && current.outcome.is_none()
                    && *to != Situation::ProfessionalDilemma
                {
                    return Err(RuleViolation::SituationConflictsWithStep1);
                }
                text::require("reason", reason, MAX_TEXT)?;
                event(E::SituationChanged {
                    from: esc.situation,
                    to: *to,
                    reason: reason.clone(),
                })
            }
            C::MarkOverdue => {
                // the home's deadline sweeper marks a step overdue, never a person
                if !matches!(actor, Actor::System { .. }) {
                    return Err(RuleViolation::OverdueBySweeperOnly);
                }
                if current.overdue_since.is_some() {
                    return Err(RuleViolation::AlreadyMarkedOverdue);
                }
                if current.picked_up.is_some() {
                    return Err(RuleViolation::AlreadyPickedUp);
                }
                if current.outcome.is_some() {
                    return Err(RuleViolation::StepAlreadyEnded { step: current.step });
                }
                if !current.is_overdue(now) {
                    return Err(RuleViolation::NotYetOverdue {
                        deadline: current.pickup_deadline,
                    });
                }
                event(E::StepOverdue {
                    step: current.step,
                    deadline: current.pickup_deadline,
                })
            }
            C::Close { classification } => {
                actor.require_role(&CLOSING_ROLES, "close")?;
                if actor.org() != &esc.home.oin {
                    return Err(RuleViolation::CloseOnlyAtHome);
                }
                if current.outcome.is_none() {
                    return Err(RuleViolation::CloseNeedsEndedStep);
                }
                if let Some(missing) = esc.steps.iter().find(|s| s.family.is_none()) {
                    return Err(RuleViolation::FamilyInformedMissing { step: missing.step });
                }
                classification.validate()?;
                event(E::Closed {
                    classification: classification.clone(),
                })
            }
        }
    }

    fn apply(state: Option<Self>, event: &Event<EscalationEvent>) -> Result<Self, ReplayError> {
        use EscalationEvent as E;
        check_version(event)?;
        let incons = |reason| ReplayError::Inconsistent {
            event: event.body.name(),
            reason,
        };
        if let E::Opened {
            id,
            home,
            counterparts,
            case_ref,
            situation,
            question,
            needs,
            policy,
        } = &event.body
        {
            if state.is_some() {
                return Err(ReplayError::AlreadyCreated("opened"));
            }
            return Ok(Escalation {
                id: *id,
                home: home.clone(),
                counterparts: counterparts.clone(),
                case_ref: case_ref.clone(),
                situation: *situation,
                situation_history: Vec::new(),
                question: question.clone(),
                needs: needs.clone(),
                opened_by: event.by.clone(),
                opened_at: event.at,
                policy: *policy,
                steps: Vec::new(),
                status: EscalationStatus::Open,
                records: crate::records::Records::default(),
            });
        }
        let mut esc = state.ok_or(ReplayError::NotACreation(event.body.name()))?;
        match &event.body {
            E::Records { records } => {
                esc.records.apply(records, event.at, &event.by);
                return Ok(esc);
            }
            E::Corrected {
                field,
                text: value,
                reason,
            } => {
                let slot = esc
                    .corrected_text_mut(*field)
                    .ok_or(incons("no such text"))?;
                value.clone_into(slot);
                esc.records.corrections.push(crate::records::Correction {
                    field: field.code().to_owned(),
                    reason: reason.clone(),
                    at: event.at,
                    by: event.by.clone(),
                });
                return Ok(esc);
            }
            _ => {}
        }
        if esc.is_closed() {
            return Err(incons("the escalation is closed"));
        }
        match &event.body {
            E::Opened { .. } => return Err(ReplayError::AlreadyCreated("opened")),
            E::StepInvoked {
                step,
                participants,
                joining,
                reason,
                pickup_deadline,
            } => {
                if esc.current_step().is_some_and(|c| c >= *step) {
                    return Err(incons("a step never goes back"));
                }
                esc.counterparts.extend(joining.iter().cloned());
                esc.steps.push(StepRecord {
                    step: *step,
                    invoked_by: event.by.clone(),
                    invoked_at: event.at,
                    reason: reason.clone(),
                    pickup_deadline: *pickup_deadline,
                    participants: participants.clone(),
                    picked_up: None,
                    overdue_since: None,
                    family: None,
                    outcome: None,
                });
            }
            E::StepPickedUp { step } => {
                let cur = esc
                    .current_mut()
                    .filter(|c| c.step == *step)
                    .ok_or(incons("not the current step"))?;
                cur.picked_up = Some((event.by.clone(), event.at));
            }
            E::ParticipantAdded { step, participant } => {
                let cur = esc
                    .current_mut()
                    .filter(|c| c.step == *step)
                    .ok_or(incons("not the current step"))?;
                cur.participants.push(participant.clone());
            }
            E::FamilyInformedRecorded { step, informed } => {
                let rec = esc.step_mut(*step).ok_or(incons("step not reached"))?;
                rec.family = Some(informed.clone());
            }
            E::OutcomeRecorded { step, outcome } => {
                let cur = esc
                    .current_mut()
                    .filter(|c| c.step == *step)
                    .ok_or(incons("not the current step"))?;
                cur.outcome = Some((outcome.clone(), event.at));
            }
            E::SituationChanged { from, to, reason } => {
                if esc.situation != *from {
                    return Err(incons("the situation changed from another value"));
                }
                esc.situation = *to;
                esc.situation_history.push(SituationChange {
                    from: *from,
                    to: *to,
                    reason: reason.clone(),
                    at: event.at,
                    by: event.by.clone(),
                });
            }
            E::StepOverdue { step, .. } => {
                let cur = esc
                    .current_mut()
                    .filter(|c| c.step == *step)
                    .ok_or(incons("not the current step"))?;
                cur.overdue_since = Some(event.at);
            }
            E::Closed { classification } => {
                esc.status = EscalationStatus::Closed {
                    at: event.at,
                    classification: classification.clone(),
                };
            }
            E::Corrected { .. } | E::Records { .. } => {}
        }
        Ok(esc)
    }
}

/// Carry each correction back into the event that first held its text (the question and needs
/// of the opening, a step's reason, an outcome's summary, an earlier correction): the old
/// text is then held nowhere.
pub(crate) fn carry_corrections(events: &mut [crate::StoredEvent<EscalationEvent>]) {
    use EscalationEvent as E;
    let corrections: Vec<(usize, CorrectableField, String)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.event.body {
            E::Corrected { field, text, .. } if !text.is_empty() => Some((i, *field, text.clone())),
            _ => None,
        })
        .collect();
    for (at, field, value) in corrections {
        for e in events[..at].iter_mut() {
            let slot = match (&mut e.event.body, field) {
                (E::Opened { question, .. }, CorrectableField::Question) => Some(question),
                (E::Opened { needs, .. }, CorrectableField::Needs) => Some(needs),
                (E::StepInvoked { step, reason, .. }, CorrectableField::StepReason(s))
                    if *step == s =>
                {
                    Some(reason)
                }
                (E::OutcomeRecorded { step, outcome }, CorrectableField::OutcomeSummary(s))
                    if *step == s =>
                {
                    match outcome {
                        StepOutcome::Resolved { summary } | StepOutcome::Unresolved { summary } => {
                            Some(summary)
                        }
                    }
                }
                // an earlier correction of the same field
                (E::Corrected { field: f, text, .. }, _) if *f == field => Some(text),
                _ => None,
            };
            if let Some(slot) = slot {
                value.clone_into(slot);
            }
        }
    }
}

impl Escalation {
    /// When it closed (its retention term counts from then).
    pub fn closed_at(&self) -> Option<Timestamp> {
        match self.status {
            EscalationStatus::Closed { at, .. } => Some(at),
            EscalationStatus::Open => None,
        }
    }

    /// The current text of a correctable field (`None`: the step has no such text).
    pub fn corrected_text(&self, field: CorrectableField) -> Option<&str> {
        match field {
            CorrectableField::Question => Some(&self.question),
            CorrectableField::Needs => Some(&self.needs),
            CorrectableField::StepReason(step) => self.step(step).map(|s| s.reason.as_str()),
            CorrectableField::OutcomeSummary(step) => self
                .step(step)
                .and_then(|s| s.outcome.as_ref())
                .map(|(o, _)| o.summary()),
        }
    }

    fn corrected_text_mut(&mut self, field: CorrectableField) -> Option<&mut String> {
        match field {
            CorrectableField::Question => Some(&mut self.question),
            CorrectableField::Needs => Some(&mut self.needs),
            CorrectableField::StepReason(step) => self.step_mut(step).map(|s| &mut s.reason),
            CorrectableField::OutcomeSummary(step) => self
                .step_mut(step)
                .and_then(|s| s.outcome.as_mut())
                .map(|(o, _)| match o {
                    StepOutcome::Resolved { summary } | StepOutcome::Unresolved { summary } => {
                        summary
                    }
                }),
        }
    }

    /// The kinds of organisation at this escalation's parties, for aggregate figures.
    pub fn org_kind(&self, oin: &Oin) -> Option<OrgKind> {
        self.party_kind(oin)
    }
}

impl crate::stream::Streamed for crate::Escalation {
    fn list_status(&self) -> crate::Status {
        match self.status {
            crate::escalation::EscalationStatus::Open => crate::Status::Open,
            crate::escalation::EscalationStatus::Closed { .. } => crate::Status::Closed,
        }
    }
    fn facts(&self) -> Vec<crate::figures::Fact> {
        escalation_facts(self)
    }
    const KIND: crate::vocabulary::StreamKind = crate::vocabulary::StreamKind::Escalation;

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

    fn parties(&self) -> Vec<Oin> {
        crate::Escalation::parties(self)
            .map(|p| p.oin.clone())
            .collect()
    }

    fn home(&self) -> Oin {
        self.home.oin.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }

    fn org_kind(&self, org: &Oin) -> Option<crate::OrgKind> {
        crate::Escalation::org_kind(self, org)
    }

    fn declared_kinds(&self) -> Vec<(Oin, crate::OrgKind)> {
        crate::Escalation::parties(self)
            .map(|p| (p.oin.clone(), p.kind))
            .collect()
    }

    fn roles_named(&self) -> Vec<(Oin, crate::Role)> {
        self.steps
            .iter()
            .flat_map(|s| s.participants.iter())
            .map(|p| (p.org.clone(), p.role))
            .collect()
    }

    fn records(&self) -> Option<&crate::records::Records> {
        Some(&self.records)
    }
    fn closed_at(&self) -> Option<crate::Timestamp> {
        crate::Escalation::closed_at(self)
    }
    fn case_refs(&self) -> Vec<crate::CaseRef> {
        vec![self.case_ref.clone()]
    }
    fn redact(body: &mut Self::Body) {
        crate::records::Redact::redact(body);
    }
    fn is_destruction(body: &Self::Body) -> bool {
        matches!(
            body,
            crate::EscalationEvent::Records {
                records: crate::records::RecordsEvent::Destroyed { .. }
            }
        )
    }
    fn is_correction(body: &Self::Body) -> bool {
        matches!(body, crate::EscalationEvent::Corrected { .. })
    }
    fn carry_corrections(events: &mut [crate::StoredEvent<Self::Body>]) {
        crate::escalation::carry_corrections(events);
    }
    fn is_confirmation(body: &Self::Body) -> bool {
        matches!(
            body,
            crate::EscalationEvent::Records {
                records: crate::records::RecordsEvent::DestructionConfirmed { .. }
            }
        )
    }

    fn involves(&self, person: &crate::PersonId, org: &Oin) -> bool {
        self.steps
            .iter()
            .flat_map(|s| s.participants.iter())
            .any(|p| &p.person == person && &p.org == org)
    }
}

/// The facts of an escalation at its home.
pub fn escalation_facts(e: &Escalation) -> Vec<crate::figures::Fact> {
    use crate::figures::{Fact, Metric, days_between, dutch_day};
    let opened = Some(dutch_day(e.opened_at));
    let mut out = vec![
        Fact::new(Metric::OpenedMonth, opened, ""),
        Fact::new(Metric::OpenedWeek, opened, ""),
    ];
    for s in &e.steps {
        if let Some((_, at)) = &s.outcome {
            out.push(Fact::new(
                Metric::LeadTime,
                Some(dutch_day(*at)),
                format!("{}/{}", s.step.number(), days_between(s.invoked_at, *at)),
            ));
        }
        if let Some((_, at)) = &s.picked_up {
            out.push(Fact::new(
                Metric::Pickup,
                Some(dutch_day(*at)),
                days_between(s.invoked_at, *at).to_string(),
            ));
        }
    }
    match &e.status {
        crate::escalation::EscalationStatus::Closed { at, classification } => {
            let day = Some(dutch_day(*at));
            out.push(Fact::new(Metric::ClosedMonth, day, ""));
            out.push(Fact::new(Metric::ClosedWeek, day, ""));
            out.push(Fact::new(
                Metric::Bottleneck,
                day,
                classification.bottleneck.code(),
            ));
            out.push(Fact::new(
                Metric::CloseDays,
                day,
                days_between(e.opened_at, *at).to_string(),
            ));
        }
        crate::escalation::EscalationStatus::Open => {
            if let Some(cur) = e.current() {
                out.push(Fact::new(
                    Metric::OpenStepSituation,
                    None,
                    format!("{}/{}", cur.step.number(), e.situation.number()),
                ));
                for c in &e.counterparts {
                    out.push(Fact::new(
                        Metric::OpenPair,
                        None,
                        format!("{} -> {}", e.home.oin, c.oin),
                    ));
                }
                out.push(Fact::new(
                    Metric::OpenStepSince,
                    Some(dutch_day(cur.invoked_at)),
                    "",
                ));
                // overdue by its deadline alone (before the sweeper marks it) is read from the
                // deadline column: see `figures_from`
                if cur.overdue_since.is_some() && cur.picked_up.is_none() {
                    out.push(Fact::new(Metric::OverdueMarked, None, ""));
                }
            }
        }
    }
    out
}
