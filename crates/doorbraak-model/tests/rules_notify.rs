//! Who is told that something waits for them (issue #14), for kwesties and minutes, from both
//! sides: the people who must act are told, the others are not. Escalations are in the unit
//! tests of `notify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use doorbraak_model::kwestie::{Consulted, KwestieRoute, Preparation};
use doorbraak_model::notify::{Audience, Notice, Notify, Reason, approval_reminders};
use doorbraak_model::*;

/// Run a command and gather the notices of its events at `local`.
fn told<A: Aggregate + Notify>(
    state: Option<&A>,
    cmd: A::Command,
    by: &Actor,
    now: Timestamp,
    local: &str,
) -> (A, Vec<Notice>)
where
    A::Command: std::fmt::Debug,
{
    let (_, events) = A::execute(state, &cmd, by, now).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut s = state.cloned();
    let mut notices = Vec::new();
    for e in &events {
        let next = A::apply(s, e).unwrap();
        notices.extend(A::notices(&next, e, &oin(local)));
        s = Some(next);
    }
    (s.unwrap(), notices)
}

fn person(id: &str) -> Audience {
    Audience::Person(PersonId::new(id.to_owned()))
}

fn raise() -> KwestieCommand {
    KwestieCommand::Raise {
        id: KwestieId(uuid::Uuid::from_u128(0xBEEF)),
        case_ref: None,
        obstacle: "MARKER wachtlijst".into(),
        categories: BTreeSet::from([KwestieCategory::WaitingList]),
        preparation: Preparation {
            own_reach_done: true,
            discussed_with: BTreeSet::from([Consulted::Team]),
            knows_what_and_whom: true,
        },
        child_needs: "MARKER".into(),
        facilities_needed: String::new(),
        route: KwestieRoute {
            to_team_manager: true,
            on_team_agenda: false,
        },
        policy: DeadlinePolicy::default(),
    }
}

#[test]
fn a_kwestie_waits_for_the_team_manager_then_offers_the_board_to_who_raised_it() {
    let (k, raised) = told::<Kwestie>(None, raise(), &prof_lt(), day(0), LT);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].reason, Reason::PickUp);
    assert_eq!(
        raised[0].audience,
        Audience::Roles(&[Role::TeamManager, Role::Director])
    );
    assert_eq!(raised[0].deadline, Some(k.pickup_deadline));
    // another organisation's node never hears of a kwestie (it is local)
    let (_, elsewhere) = told::<Kwestie>(None, raise(), &prof_lt(), day(0), VT);
    assert!(elsewhere.is_empty());
    // overdue: the team manager, and the professional who may now go to the board
    let system = Actor::system(oin(LT));
    let (k, overdue) = told(Some(&k), KwestieCommand::MarkOverdue, &system, day(30), LT);
    let mine: Vec<Reason> = overdue
        .iter()
        .filter(|n| n.audience == person("anna"))
        .map(|n| n.reason)
        .collect();
    assert_eq!(mine, [Reason::Overdue, Reason::BoardOffer], "{overdue:?}");
    assert!(
        overdue
            .iter()
            .any(|n| n.audience == Audience::Roles(&[Role::TeamManager]))
    );
    // to the board: the board members pick it up
    let (_, board) = told(
        Some(&k),
        KwestieCommand::EscalateToBoard {
            co_signer: PersonId::new("eva".to_owned()),
            co_signer_role: Role::TeamManager,
        },
        &prof_lt(),
        day(30),
        LT,
    );
    assert_eq!(
        board,
        vec![Notice {
            reason: Reason::PickUp,
            audience: Audience::Roles(&[Role::BoardMember]),
            deadline: board[0].deadline,
        }]
    );
    assert!(board[0].deadline.is_some());
}

fn meeting() -> Meeting {
    Meeting {
        id: MeetingId(uuid::Uuid::from_u128(7)),
        escalation: esc_id(),
        step: Step::Management,
        date: day(3),
        participants: vec![
            part("eva", Role::TeamManager, LT),
            part("anna", Role::Professional, LT),
            part("gerda", Role::Director, VT),
        ],
        agenda: "MARKER agenda".into(),
    }
}

#[test]
fn minutes_wait_for_each_participant_of_this_organisation_who_has_not_approved() {
    let schedule = MinutesCommand::Schedule {
        id: minutes_id(),
        meeting: meeting(),
        policy: DeadlinePolicy::default(),
    };
    let (m, planned) = told::<Minutes>(None, schedule, &tm_lt(), day(3), LT);
    assert_eq!(
        planned,
        vec![Notice {
            reason: Reason::Changed,
            audience: person("anna"),
            deadline: None
        }],
        "anna hears of the meeting; eva planned it"
    );
    let (drafted, _) = told(
        Some(&m),
        MinutesCommand::Draft {
            content: "Verslag".into(),
        },
        &tm_lt(),
        day(3),
        LT,
    );
    // circulated by eva: at the local team anna is asked (eva sent it), at Veilig Thuis gerda
    let circulate = || MinutesCommand::Circulate {
        target: DocTarget::Main,
    };
    let (m, at_lt) = told(Some(&drafted), circulate(), &tm_lt(), day(3), LT);
    let (_, at_vt) = told(Some(&drafted), circulate(), &tm_lt(), day(3), VT);
    assert!(
        at_lt
            .iter()
            .all(|n| n.reason == Reason::ApprovalWanted && n.deadline.is_some())
    );
    assert_eq!(
        at_lt.iter().map(|n| n.audience.clone()).collect::<Vec<_>>(),
        [person("anna")]
    );
    assert_eq!(
        at_vt.iter().map(|n| n.audience.clone()).collect::<Vec<_>>(),
        [person("gerda")]
    );
    // the reminder one working day before the deadline, for who has not approved yet
    let deadline = m
        .doc(DocTarget::Main)
        .and_then(|d| d.approval_deadline)
        .unwrap();
    let before = notify::working_day_before(deadline);
    assert!(
        approval_reminders(&m, day(3), &oin(LT)).is_empty(),
        "too early"
    );
    let due = approval_reminders(&m, before, &oin(LT));
    assert_eq!(due.len(), 2);
    assert!(
        due.iter()
            .all(|(_, n)| n.reason == Reason::ApprovalReminder)
    );
    assert_eq!(approval_reminders(&m, before, &oin(VT)).len(), 1, "gerda");
    assert!(
        approval_reminders(&m, deadline, &oin(LT)).is_empty(),
        "then it is overdue"
    );
    let text = format!("{planned:?}{at_lt:?}{due:?}");
    assert!(!text.contains("MARKER"), "no case content: {text}");
}

/// The start page lists what waits as work (to pick up, to approve) once: those notices are
/// work, a passed deadline or a change is news.
#[test]
fn pick_ups_and_approvals_are_work_and_passed_deadlines_are_news() {
    let work: Vec<Reason> = Reason::ALL.into_iter().filter(|r| r.is_work()).collect();
    assert_eq!(
        work,
        [
            Reason::PickUp,
            Reason::ApprovalWanted,
            Reason::ApprovalReminder
        ]
    );
    assert!(!Reason::Overdue.is_work() && !Reason::BoardOffer.is_work());
}
