//! Who of an organisation is told that something waits for them, and why: derived from an event
//! of a stream as this organisation's node sees it, never sent across (every node derives its
//! own people's notices from its own events and replicas). Sans-IO: no list of people, no mail,
//! no clock but the event's and the one passed in.
//!
//! A [`Notice`] carries no text at all — only a reason, an audience and a deadline — so nothing
//! of a case (a child, a family, free text, a BSN) can reach a mail or an inbox through it.

use serde::{Deserialize, Serialize};

use crate::escalation::{Escalation, EscalationEvent, Step};
use crate::kwestie::{Kwestie, KwestieEvent};
use crate::minutes::{DocTarget, Minutes, MinutesEvent};
use crate::{Event, Oin, PersonId, Role, Timestamp, calendar};

/// Why a person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A step or kwestie waits to be picked up by them (the roles that act in it).
    PickUp,
    /// A step or kwestie they are responsible for passed its deadline; or minutes they have not
    /// approved did.
    Overdue,
    /// An overdue kwestie may now be escalated to the board (the professional with the team
    /// manager).
    BoardOffer,
    /// Minutes await their approval.
    ApprovalWanted,
    /// One working day before the approval deadline, still not approved.
    ApprovalReminder,
    /// Minutes they took part in became final.
    MinutesFinal,
    /// A step, meeting or kwestie they take part in changed (picked up, outcome, participant,
    /// situation, closed, meeting planned, resolved).
    Changed,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::PickUp,
        Reason::Overdue,
        Reason::BoardOffer,
        Reason::ApprovalWanted,
        Reason::ApprovalReminder,
        Reason::MinutesFinal,
        Reason::Changed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::PickUp => "pick_up",
            Reason::Overdue => "overdue",
            Reason::BoardOffer => "board_offer",
            Reason::ApprovalWanted => "approval_wanted",
            Reason::ApprovalReminder => "approval_reminder",
            Reason::MinutesFinal => "minutes_final",
            Reason::Changed => "changed",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What waits, in Dutch: the subject of a mail and the line of the inbox.
    pub fn label_nl(self) -> &'static str {
        match self {
            Reason::PickUp => "Er wacht iets op u om op te pakken",
            Reason::Overdue => "Een termijn is verstreken",
            Reason::BoardOffer => "Een kwestie kan naar het bestuur",
            Reason::ApprovalWanted => "Een verslag wacht op uw goedkeuring",
            Reason::ApprovalReminder => "Herinnering: een verslag wacht nog op uw goedkeuring",
            Reason::MinutesFinal => "Een verslag is vastgesteld",
            Reason::Changed => "Er is iets veranderd waaraan u meedoet",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Reason::PickUp => "Something waits for you to pick up",
            Reason::Overdue => "A deadline has passed",
            Reason::BoardOffer => "A kwestie may go to the board",
            Reason::ApprovalWanted => "Minutes await your approval",
            Reason::ApprovalReminder => "Reminder: minutes still await your approval",
            Reason::MinutesFinal => "Minutes became final",
            Reason::Changed => "Something you take part in changed",
        }
    }

    /// What the notice points at is an item of the person's worklist too (something to pick up
    /// or to approve): the start page lists those as work, not again as news.
    pub fn is_work(self) -> bool {
        matches!(
            self,
            Reason::PickUp | Reason::ApprovalWanted | Reason::ApprovalReminder
        )
    }

    /// Sent at once whatever the person chose (immediately or a daily digest): a passed
    /// deadline does not wait for tomorrow's digest.
    pub fn always_at_once(self) -> bool {
        matches!(self, Reason::Overdue | Reason::BoardOffer)
    }
}

/// Who of this organisation is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One person of this organisation.
    Person(PersonId),
    /// Everyone of this organisation in one of these roles.
    Roles(&'static [Role]),
}

/// One thing to tell: why, whom (of this organisation), and by when it should be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub reason: Reason,
    pub audience: Audience,
    pub deadline: Option<Timestamp>,
}

impl Notice {
    fn new(reason: Reason, audience: Audience, deadline: Option<Timestamp>) -> Self {
        Notice {
            reason,
            audience,
            deadline,
        }
    }
}

/// An aggregate whose events tell people of an organisation that something waits for them.
pub trait Notify: crate::Aggregate {
    /// The notices for the people of `local` of `event`, with `state` as it is after it.
    fn notices(state: &Self, event: &Event<Self::Body>, local: &Oin) -> Vec<Notice>;
}

const TEAM_MANAGER: &[Role] = &[Role::TeamManager];
const KWESTIE_PICKUP: &[Role] = &[Role::TeamManager, Role::Director];
const BOARD: &[Role] = &[Role::BoardMember];

/// The people of `local` who take part in `step`, but not the one who did it.
fn taking_part(e: &Escalation, step: Step, local: &Oin, actor: Option<&PersonId>) -> Vec<Notice> {
    let Some(s) = e.step(step) else {
        return Vec::new();
    };
    let mut people: Vec<&PersonId> = s
        .participants
        .iter()
        .filter(|p| &p.org == local)
        .map(|p| &p.person)
        .collect();
    if s.invoked_by.org() == local
        && let Some(p) = s.invoked_by.person_id()
    {
        people.push(p);
    }
    people.sort();
    people.dedup();
    people
        .into_iter()
        .filter(|p| Some(*p) != actor)
        .map(|p| Notice::new(Reason::Changed, Audience::Person(p.clone()), None))
        .collect()
}

impl Notify for Escalation {
    fn notices(e: &Escalation, event: &Event<EscalationEvent>, local: &Oin) -> Vec<Notice> {
        use EscalationEvent as E;
        if !e.is_party(local) {
            return Vec::new();
        }
        let actor = event.by.person_id();
        match &event.body {
            E::StepInvoked { step, .. } => {
                let Some(s) = e.step(*step) else {
                    return Vec::new();
                };
                // who took part in the step before hears of the new one
                let mut v = e
                    .steps
                    .iter()
                    .rev()
                    .find(|p| p.step < *step)
                    .map(|p| taking_part(e, p.step, local, actor))
                    .unwrap_or_default();
                if s.invoked_by.org() != local {
                    // the counterpart picks it up (the organisation that asked does not)
                    v.push(Notice::new(
                        Reason::PickUp,
                        Audience::Roles(step.pickup_roles()),
                        Some(s.pickup_deadline),
                    ));
                }
                v
            }
            E::StepOverdue { step, deadline } => {
                let Some(s) = e.step(*step) else {
                    return Vec::new();
                };
                let mut v = Vec::new();
                if s.invoked_by.org() == local {
                    if let Some(p) = s.invoked_by.person_id() {
                        v.push(Notice::new(
                            Reason::Overdue,
                            Audience::Person(p.clone()),
                            Some(*deadline),
                        ));
                    }
                } else {
                    v.push(Notice::new(
                        Reason::Overdue,
                        Audience::Roles(step.pickup_roles()),
                        Some(*deadline),
                    ));
                }
                v.push(Notice::new(
                    Reason::Overdue,
                    Audience::Roles(TEAM_MANAGER),
                    Some(*deadline),
                ));
                v
            }
            E::StepPickedUp { step }
            | E::OutcomeRecorded { step, .. }
            | E::ParticipantAdded { step, .. } => taking_part(e, *step, local, actor),
            E::SituationChanged { .. } | E::Closed { .. } | E::Corrected { .. } => e
                .current()
                .map(|s| taking_part(e, s.step, local, actor))
                .unwrap_or_default(),
            E::Opened { .. } | E::FamilyInformedRecorded { .. } | E::Records { .. } => Vec::new(),
        }
    }
}

impl Notify for Kwestie {
    fn notices(k: &Kwestie, event: &Event<KwestieEvent>, local: &Oin) -> Vec<Notice> {
        use KwestieEvent as E;
        if &k.org != local {
            return Vec::new();
        }
        let raiser = || k.raised_by.person_id().cloned().map(Audience::Person);
        match &event.body {
            E::Records { .. } => Vec::new(),
            E::Raised { .. } => vec![Notice::new(
                Reason::PickUp,
                Audience::Roles(KWESTIE_PICKUP),
                Some(k.pickup_deadline),
            )],
            E::Overdue { deadline } => {
                let mut v = vec![Notice::new(
                    Reason::Overdue,
                    Audience::Roles(TEAM_MANAGER),
                    Some(*deadline),
                )];
                if let Some(r) = raiser() {
                    v.push(Notice::new(Reason::Overdue, r.clone(), Some(*deadline)));
                    // the board is offered while nobody took it there yet
                    if k.board.is_none() {
                        v.push(Notice::new(Reason::BoardOffer, r, None));
                    }
                }
                v
            }
            E::EscalatedToBoard {
                pickup_deadline, ..
            } => vec![Notice::new(
                Reason::PickUp,
                Audience::Roles(BOARD),
                Some(*pickup_deadline),
            )],
            E::PickedUp | E::PickedUpByBoard | E::Resolved { .. } => raiser()
                .filter(|_| event.by.person_id() != k.raised_by.person_id())
                .map(|r| vec![Notice::new(Reason::Changed, r, None)])
                .unwrap_or_default(),
        }
    }
}

impl Notify for crate::Recommendation {
    /// The register is the quality officer's own work: nobody is told of it.
    fn notices(_: &Self, _: &Event<Self::Body>, _: &Oin) -> Vec<Notice> {
        Vec::new()
    }
}

/// This organisation's participants of a meeting.
fn local_participants<'a>(m: &'a Minutes, local: &'a Oin) -> impl Iterator<Item = &'a PersonId> {
    m.meeting
        .participants
        .iter()
        .filter(move |p| &p.org == local)
        .map(|p| &p.person)
}

/// This organisation's participants who have not approved `target` yet.
fn awaiting(m: &Minutes, target: DocTarget, local: &Oin) -> Vec<PersonId> {
    m.awaiting(target)
        .into_iter()
        .filter(|p| &p.org == local)
        .map(|p| p.person.clone())
        .collect()
}

impl Notify for Minutes {
    fn notices(m: &Minutes, event: &Event<MinutesEvent>, local: &Oin) -> Vec<Notice> {
        use MinutesEvent as E;
        let actor = event.by.person_id();
        let each = |reason: Reason, people: Vec<PersonId>, deadline: Option<Timestamp>| {
            people
                .into_iter()
                .map(|p| Notice::new(reason, Audience::Person(p), deadline))
                .collect::<Vec<_>>()
        };
        match &event.body {
            E::Records { .. } => Vec::new(),
            E::Scheduled { .. } => each(
                Reason::Changed,
                local_participants(m, local)
                    .filter(|p| Some(*p) != actor)
                    .cloned()
                    .collect(),
                None,
            ),
            E::Circulated {
                target, deadline, ..
            } => each(
                Reason::ApprovalWanted,
                awaiting(m, *target, local)
                    .into_iter()
                    .filter(|p| Some(p) != actor)
                    .collect(),
                *deadline,
            ),
            E::ApprovalOverdue { target, .. } => each(
                Reason::Overdue,
                awaiting(m, *target, local),
                m.doc(*target).and_then(|d| d.approval_deadline),
            ),
            E::Finalised { .. } => each(
                Reason::MinutesFinal,
                local_participants(m, local).cloned().collect(),
                None,
            ),
            E::RevisionMade { .. } | E::Approved { .. } | E::ChangesRequested { .. } => Vec::new(),
        }
    }
}

/// The reminders due at `now` one working day before an approval deadline: for this
/// organisation's participants who have not approved the circulated text (the sweeper asks; a
/// reminder per person, document and deadline is sent once).
pub fn approval_reminders(m: &Minutes, now: Timestamp, local: &Oin) -> Vec<(DocTarget, Notice)> {
    let mut out = Vec::new();
    for (target, doc) in m.docs() {
        let Some(deadline) = doc.approval_deadline else {
            continue;
        };
        if doc.is_final() || doc.circulated != Some(doc.current_number()) {
            continue;
        }
        if now >= deadline || now < working_day_before(deadline) {
            continue;
        }
        for p in awaiting(m, target, local) {
            out.push((
                target,
                Notice::new(
                    Reason::ApprovalReminder,
                    Audience::Person(p),
                    Some(deadline),
                ),
            ));
        }
    }
    out
}

/// The same Dutch time of day on the last working day before `t`'s day.
pub use calendar::working_day_before;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::{EscalationCommand, Participant};
    use crate::{
        Actor, Aggregate, CaseRef, DeadlinePolicy, EscalationId, OrgKind, OrgRef, Situation,
    };

    const LT: &str = "00000001000000000010";
    const VT: &str = "00000001000000000020";
    const GI: &str = "00000001000000000030";

    fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn anna() -> Actor {
        Actor::person("anna", Role::Professional, oin(LT))
    }

    /// An escalation of the local team with Veilig Thuis at step 2, and its events' notices at
    /// `local`.
    fn opened(local: &str) -> (Escalation, Vec<Notice>) {
        let cmd = EscalationCommand::Open {
            id: EscalationId(crate::stream_uuid(&oin(LT), uuid::Uuid::from_u128(7 << 64))),
            home: OrgRef {
                oin: oin(LT),
                kind: OrgKind::LocalTeam,
            },
            counterparts: vec![OrgRef {
                oin: oin(VT),
                kind: OrgKind::VeiligThuis,
            }],
            case_ref: CaseRef::parse("LT-1").unwrap_or_else(|e| panic!("{e:?}")),
            situation: Situation::AgreementsNotKept,
            first_step: Step::Management,
            participants: vec![],
            question: "MARKER: BSN 123456782 van moeder".into(),
            needs: "MARKER".into(),
            seeking_youth_help_access: false,
            policy: DeadlinePolicy::default(),
        };
        let now = t("2026-12-01T09:00:00Z");
        let ex = Escalation::execute(None, &cmd, &anna(), now).unwrap_or_else(|e| panic!("{e:?}"));
        let mut state: Option<Escalation> = None;
        let mut notices = Vec::new();
        for ev in &ex.1 {
            let next = Escalation::apply(state, ev).unwrap_or_else(|e| panic!("{e:?}"));
            notices.extend(Escalation::notices(&next, ev, &oin(local)));
            state = Some(next);
        }
        (state.unwrap_or_else(|| panic!("no state")), notices)
    }

    fn run(
        e: &Escalation,
        cmd: &EscalationCommand,
        by: &Actor,
        now: Timestamp,
        local: &str,
    ) -> (Escalation, Vec<Notice>) {
        let ex = Escalation::execute(Some(e), cmd, by, now).unwrap_or_else(|x| panic!("{x:?}"));
        let mut state = e.clone();
        let mut notices = Vec::new();
        for ev in &ex.1 {
            state = Escalation::apply(Some(state), ev).unwrap_or_else(|x| panic!("{x:?}"));
            notices.extend(Escalation::notices(&state, ev, &oin(local)));
        }
        (state, notices)
    }

    #[test]
    fn a_step_waits_for_the_counterparts_people_who_act_in_it_not_for_who_asked() {
        let (e, at_vt) = opened(VT);
        assert_eq!(
            at_vt,
            vec![Notice::new(
                Reason::PickUp,
                Audience::Roles(Step::Management.pickup_roles()),
                e.current().map(|s| s.pickup_deadline),
            )]
        );
        let (_, at_lt) = opened(LT);
        assert!(at_lt.is_empty(), "the local team asked: {at_lt:?}");
        let (_, at_gi) = opened(GI);
        assert!(at_gi.is_empty(), "no party, nobody told: {at_gi:?}");
    }

    #[test]
    fn an_overdue_step_tells_who_asked_and_the_team_manager_and_the_counterpart() {
        let (e, _) = opened(LT);
        let late = t("2026-12-20T09:00:00Z");
        let system = Actor::system(oin(LT));
        let (_, at_lt) = run(&e, &EscalationCommand::MarkOverdue, &system, late, LT);
        assert!(at_lt.iter().all(|n| n.reason == Reason::Overdue));
        assert!(at_lt.contains(&Notice::new(
            Reason::Overdue,
            Audience::Person(PersonId::new("anna".to_owned())),
            e.current().map(|s| s.pickup_deadline),
        )));
        assert!(
            at_lt
                .iter()
                .any(|n| n.audience == Audience::Roles(TEAM_MANAGER))
        );
        let (_, at_vt) = run(&e, &EscalationCommand::MarkOverdue, &system, late, VT);
        assert!(
            at_vt
                .iter()
                .any(|n| n.audience == Audience::Roles(Step::Management.pickup_roles())),
            "{at_vt:?}"
        );
        assert!(Reason::Overdue.always_at_once());
        assert!(!Reason::PickUp.always_at_once());
    }

    #[test]
    fn who_takes_part_hears_of_a_change_but_not_of_their_own() {
        let (e, _) = opened(LT);
        let vera = Actor::person("vera", Role::TeamManager, oin(VT));
        let now = t("2026-12-02T09:00:00Z");
        let (e, at_lt) = run(
            &e,
            &EscalationCommand::PickUp { name: None },
            &vera,
            now,
            LT,
        );
        assert_eq!(
            at_lt,
            vec![Notice::new(
                Reason::Changed,
                Audience::Person(PersonId::new("anna".to_owned())),
                None
            )],
            "anna asked, she hears it was picked up"
        );
        let gerda = Participant {
            person: PersonId::new("gerda".to_owned()),
            name: "Gerda".into(),
            role: Role::Director,
            org: oin(VT),
        };
        let (_, at_lt) = run(
            &e,
            &EscalationCommand::AddParticipant { participant: gerda },
            &anna(),
            now,
            LT,
        );
        assert!(at_lt.is_empty(), "her own change: {at_lt:?}");
    }

    #[test]
    fn who_took_part_in_a_step_hears_of_the_next_one() {
        let (e, _) = opened(LT);
        let vera = Actor::person("vera", Role::TeamManager, oin(VT));
        let now = t("2026-12-02T09:00:00Z");
        let (e, _) = run(
            &e,
            &EscalationCommand::PickUp { name: None },
            &vera,
            now,
            LT,
        );
        let outcome = EscalationCommand::RecordOutcome {
            outcome: crate::escalation::StepOutcome::Unresolved {
                summary: "niet genoeg".into(),
            },
        };
        let (e, _) = run(&e, &outcome, &vera, now, LT);
        let eva = Actor::person("eva", Role::TeamManager, oin(LT));
        let step3 = EscalationCommand::InvokeStep {
            step: Step::Administrative,
            participants: vec![Participant {
                person: PersonId::new("joost".to_owned()),
                name: "Joost".into(),
                role: Role::CivilServant,
                org: oin(LT),
            }],
            joining: vec![],
            reason: "beleid schiet tekort".into(),
        };
        let (_, at_lt) = run(&e, &step3, &eva, now, LT);
        assert!(
            at_lt.contains(&Notice::new(
                Reason::Changed,
                Audience::Person(PersonId::new("anna".to_owned())),
                None
            )),
            "anna asked at step 2: {at_lt:?}"
        );
        assert!(
            at_lt.iter().all(|n| n.reason != Reason::PickUp),
            "the local team asked for step 3 itself"
        );
    }

    #[test]
    fn a_notice_holds_no_case_content_at_all() {
        // every notice of an escalation whose texts hold a marker and a BSN
        let (_, mut all) = opened(VT);
        all.extend(opened(LT).1);
        let text = format!("{all:?}");
        assert!(
            !text.contains("MARKER") && !text.contains("123456782"),
            "{text}"
        );
        assert!(!all.is_empty());
    }

    #[test]
    fn reasons_have_stable_codes_and_dutch_words() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
            assert!(!r.label_nl().is_empty() && !r.label_en().is_empty());
        }
        assert_eq!(Reason::from_code("spam"), None);
    }

    #[test]
    fn the_reminder_comes_one_working_day_before_the_deadline() {
        // Tuesday's deadline: reminded from Monday; Monday's deadline: from the Friday before
        let tue = t("2026-12-08T12:00:00Z");
        assert_eq!(working_day_before(tue), t("2026-12-07T12:00:00Z"));
        let mon = t("2026-12-07T12:00:00Z");
        assert_eq!(working_day_before(mon), t("2026-12-04T12:00:00Z"));
        // around Christmas (a Dutch public holiday) the day before is skipped too
        let sun_after = t("2026-12-28T12:00:00Z");
        assert_eq!(working_day_before(sun_after), t("2026-12-24T12:00:00Z"));
    }
}
