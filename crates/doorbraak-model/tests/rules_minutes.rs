//! Minutes rules of DOMAIN.md §3, from both sides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::minutes::content_hash;
use doorbraak_model::*;

use MinutesCommand as C;

fn meeting(participants: Vec<Participant>) -> Meeting {
    Meeting {
        id: MeetingId(uuid::Uuid::from_u128(7)),
        escalation: esc_id(),
        step: Step::Management,
        date: day(3),
        participants,
        agenda: "1. Wachtlijst\n2. Afspraken".into(),
    }
}

fn three() -> Vec<Participant> {
    vec![
        part("eva", Role::TeamManager, LT),
        part("gerda", Role::Director, VT),
        part("ilse", Role::CivilServant, GEM),
    ]
}

fn eva() -> Actor {
    tm_lt()
}
fn gerda() -> Actor {
    dir_vt()
}
fn ilse() -> Actor {
    actor("ilse", Role::CivilServant, GEM)
}

fn scheduled() -> Minutes {
    ok::<Minutes>(
        None,
        C::Schedule {
            id: minutes_id(),
            meeting: meeting(three()),
            policy: DeadlinePolicy::default(),
        },
        &eva(),
        day(3),
    )
}

fn circulated(text: &str) -> Minutes {
    let m = ok(
        Some(&scheduled()),
        C::Draft {
            content: text.into(),
        },
        &eva(),
        day(3),
    );
    ok(
        Some(&m),
        C::Circulate {
            target: DocTarget::Main,
        },
        &eva(),
        day(3),
    )
}

fn approve(rev: u32, text: &str) -> C {
    C::Approve {
        target: DocTarget::Main,
        revision: rev,
        content_hash: content_hash(text),
        signature: None,
    }
}

#[test]
fn a_meeting_has_participants_of_two_organisations() {
    let one_org = vec![
        part("eva", Role::TeamManager, LT),
        part("frank", Role::Director, LT),
    ];
    let cmd = C::Schedule {
        id: minutes_id(),
        meeting: meeting(one_org),
        policy: DeadlinePolicy::default(),
    };
    assert_eq!(
        refused::<Minutes>(None, cmd, &eva(), day(3)),
        "minutes.two_organisations"
    );
    assert_eq!(scheduled().organisations().len(), 3);
}

#[test]
fn only_participants_draft_and_approve() {
    let m = scheduled();
    let outsider = actor("otto", Role::Director, GI);
    assert_eq!(
        refused(
            Some(&m),
            C::Draft {
                content: "x".into()
            },
            &outsider,
            day(3)
        ),
        "minutes.not_participant"
    );
    let m = circulated("Verslag v1");
    assert_eq!(
        refused(Some(&m), approve(1, "Verslag v1"), &outsider, day(4)),
        "minutes.not_participant"
    );
}

#[test]
fn approval_needs_a_circulated_revision_and_its_exact_text() {
    let m = ok(
        Some(&scheduled()),
        C::Draft {
            content: "Verslag v1".into(),
        },
        &eva(),
        day(3),
    );
    assert_eq!(
        refused(Some(&m), approve(1, "Verslag v1"), &gerda(), day(4)),
        "minutes.not_circulated"
    );
    let m = circulated("Verslag v1");
    assert_eq!(
        refused(Some(&m), approve(1, "Verslag v2"), &gerda(), day(4)),
        "minutes.content_hash"
    );
    let m = ok(Some(&m), approve(1, "Verslag v1"), &gerda(), day(4));
    assert_eq!(
        refused(Some(&m), approve(1, "Verslag v1"), &gerda(), day(4)),
        "minutes.already_approved"
    );
}

#[test]
fn final_only_when_every_participant_approved_the_same_revision() {
    let m = circulated("Verslag v1");
    let m = ok(Some(&m), approve(1, "Verslag v1"), &eva(), day(4));
    let m = ok(Some(&m), approve(1, "Verslag v1"), &gerda(), day(4));
    assert!(!m.is_final(), "two of three approved");
    assert_eq!(m.awaiting(DocTarget::Main).len(), 1);
    // ilse asks for changes: a new revision voids the approvals
    let m = ok(
        Some(&m),
        C::RequestChanges {
            target: DocTarget::Main,
            revision: 1,
            comment: "Afspraak 2 ontbreekt".into(),
        },
        &ilse(),
        day(5),
    );
    let m = ok(
        Some(&m),
        C::Revise {
            target: DocTarget::Main,
            content: "Verslag v2".into(),
        },
        &eva(),
        day(5),
    );
    assert!(
        m.main.as_ref().unwrap().approvals.is_empty(),
        "a new revision voids approvals"
    );
    let m = ok(
        Some(&m),
        C::Circulate {
            target: DocTarget::Main,
        },
        &eva(),
        day(5),
    );
    // approving the old revision is refused, naming the rule
    let err = Minutes::decide(Some(&m), &approve(1, "Verslag v1"), &gerda(), day(6)).unwrap_err();
    assert_eq!(
        err,
        RuleViolation::StaleRevision {
            given: 1,
            current: 2
        }
    );
    let m = ok(Some(&m), approve(2, "Verslag v2"), &eva(), day(6));
    let m = ok(Some(&m), approve(2, "Verslag v2"), &gerda(), day(6));
    let m = ok(Some(&m), approve(2, "Verslag v2"), &ilse(), day(6));
    assert!(m.is_final());
    assert_eq!(
        m.main.as_ref().unwrap().final_text().unwrap().content,
        "Verslag v2"
    );
}

fn final_minutes() -> Minutes {
    let mut m = circulated("Verslag v1");
    for a in [eva(), gerda(), ilse()] {
        m = ok(Some(&m), approve(1, "Verslag v1"), &a, day(4));
    }
    assert!(m.is_final());
    m
}

#[test]
fn final_minutes_never_change_corrections_are_addenda() {
    let m = final_minutes();
    let revise = C::Revise {
        target: DocTarget::Main,
        content: "Stilletjes anders".into(),
    };
    assert_eq!(
        refused(Some(&m), revise, &eva(), day(5)),
        "minutes.final_never_changes"
    );
    let changes = C::RequestChanges {
        target: DocTarget::Main,
        revision: 1,
        comment: "te laat".into(),
    };
    assert_eq!(
        refused(Some(&m), changes, &ilse(), day(5)),
        "minutes.final_never_changes"
    );
    // an addendum goes through the same approval
    let m = ok(
        Some(&m),
        C::AddAddendum {
            content: "Correctie: datum is 5 nov".into(),
        },
        &gerda(),
        day(6),
    );
    let add1 = DocTarget::Addendum(1);
    let m = ok(Some(&m), C::Circulate { target: add1 }, &gerda(), day(6));
    let mut m = m;
    for a in [eva(), gerda(), ilse()] {
        assert!(!m.doc(add1).unwrap().is_final());
        m = ok(
            Some(&m),
            C::Approve {
                target: add1,
                revision: 1,
                content_hash: content_hash("Correctie: datum is 5 nov"),
                signature: None,
            },
            &a,
            day(7),
        );
    }
    assert!(m.doc(add1).unwrap().is_final());
    assert_eq!(
        m.main.as_ref().unwrap().final_text().unwrap().content,
        "Verslag v1"
    );
}

#[test]
fn the_record_prints_the_final_text_or_else_the_draft_marked_as_such() {
    let done = final_minutes();
    let (_, text, is_final) = done.printable().unwrap();
    assert_eq!((text.content.as_str(), is_final), ("Verslag v1", true));
    let draft = circulated("Verslag v1");
    let (_, text, is_final) = draft.printable().unwrap();
    assert_eq!((text.content.as_str(), is_final), ("Verslag v1", false));
    assert_eq!(
        scheduled().printable().unwrap_err().rule(),
        "state.not_found"
    );
}

#[test]
fn an_addendum_only_on_final_minutes() {
    let m = circulated("Verslag v1");
    let cmd = C::AddAddendum {
        content: "x".into(),
    };
    assert_eq!(
        refused(Some(&m), cmd, &eva(), day(4)),
        "minutes.addendum_after_final"
    );
}

#[test]
fn a_change_request_needs_a_comment() {
    let m = circulated("Verslag v1");
    let cmd = C::RequestChanges {
        target: DocTarget::Main,
        revision: 1,
        comment: "  ".into(),
    };
    assert_eq!(
        refused(Some(&m), cmd, &gerda(), day(4)),
        "input.missing_field"
    );
}

#[test]
fn approval_is_due_within_five_working_days() {
    // circulated on Thursday 5 November 2026 (day 3): due Thursday 12 November
    let m = circulated("Verslag v1");
    let doc = m.main.as_ref().unwrap();
    assert_eq!(doc.approval_deadline, Some(day(10)));
    assert_eq!(m.next_deadline(), Some(day(10)));
    let sys = Actor::system(oin(LT));
    assert_eq!(
        refused(Some(&m), C::MarkOverdue, &sys, day(9)),
        "deadline.not_overdue"
    );
    let late = ok(Some(&m), C::MarkOverdue, &sys, day(11));
    assert!(late.is_overdue());
    assert_eq!(late.next_deadline(), None);
    assert_eq!(
        refused(Some(&late), C::MarkOverdue, &sys, day(12)),
        "deadline.already_overdue"
    );
    // late approvals still count; who has not answered is known
    let late = ok(Some(&late), approve(1, "Verslag v1"), &eva(), day(12));
    assert_eq!(late.awaiting(DocTarget::Main).len(), 2);
    // a new revision restarts the clock when it is circulated (Saturday 14 November: the five
    // working days run Monday 16 to Friday 20 November)
    let again = ok(
        Some(&late),
        C::Revise {
            target: DocTarget::Main,
            content: "Verslag v2".into(),
        },
        &eva(),
        day(12),
    );
    assert!(!again.is_overdue());
    let again = ok(
        Some(&again),
        C::Circulate {
            target: DocTarget::Main,
        },
        &eva(),
        day(12),
    );
    assert_eq!(
        again.main.as_ref().unwrap().approval_deadline,
        Some(day(18))
    );
}

#[test]
fn minutes_are_approved_after_their_meeting_and_their_deadline_falls_after_it() {
    // the meeting is on day 3; minutes drafted and circulated ahead of it (day 1)
    let early = ok(
        Some(&scheduled()),
        C::Draft {
            content: "Agenda-tekst".into(),
        },
        &eva(),
        day(1),
    );
    let early = ok(
        Some(&early),
        C::Circulate {
            target: DocTarget::Main,
        },
        &eva(),
        day(1),
    );
    // five working days from the meeting (Thursday 5 November), not from the circulation
    assert_eq!(
        early.main.as_ref().unwrap().approval_deadline,
        Some(day(10))
    );
    assert_eq!(
        refused(Some(&early), approve(1, "Agenda-tekst"), &gerda(), day(2)),
        "minutes.approval_before_meeting"
    );
    let approved = ok(Some(&early), approve(1, "Agenda-tekst"), &gerda(), day(3));
    assert_eq!(
        approved.awaiting(DocTarget::Main).len(),
        2,
        "gerda approved"
    );
}

#[test]
fn a_meeting_id_names_the_organisation_that_schedules_it() {
    assert!(is_of_home(&scheduled().id.0, &oin(LT)));
    let rule = refused::<Minutes>(
        None,
        C::Schedule {
            id: MinutesId(stream_uuid(&oin(VT), uuid::Uuid::from_u128(9))),
            meeting: meeting(three()),
            policy: DeadlinePolicy::default(),
        },
        &eva(),
        day(3),
    );
    assert_eq!(rule, "federation.stream_id_of_home");
}

/// A meeting that arrives from another node belongs to an escalation the node holds, scheduled
/// by and with that escalation's parties only, under its own id: nobody places a meeting under
/// someone else's escalation.
#[test]
fn an_arriving_meeting_belongs_to_an_escalation_of_its_parties() {
    use doorbraak_model::minutes::check_arriving_meeting;
    let esc = ok::<Escalation>(
        None,
        open_cmd(Situation::ProfessionalDilemma, Step::BehaviouralScientists),
        &prof_lt(),
        day(0),
    );
    let id = minutes_id();
    let sid = id.to_string();
    let two = vec![
        part("eva", Role::TeamManager, LT),
        part("gerda", Role::Director, VT),
    ];
    // allowed: scheduled by a party, with the parties' people
    for from in [LT, VT] {
        assert_eq!(
            check_arriving_meeting(Some(&esc), &oin(from), &sid, &id, &meeting(two.clone())),
            Ok(())
        );
    }
    let rule = |r: Result<(), RuleViolation>| r.map_err(|v| v.rule());
    // an escalation this node does not hold
    assert_eq!(
        rule(check_arriving_meeting(
            None,
            &oin(VT),
            &sid,
            &id,
            &meeting(two.clone())
        )),
        Err("federation.meeting_escalation_unknown")
    );
    // scheduled by an organisation that is no party
    assert_eq!(
        rule(check_arriving_meeting(
            Some(&esc),
            &oin(GI),
            &sid,
            &id,
            &meeting(two.clone())
        )),
        Err("federation.meeting_outside_escalation")
    );
    // with a participant of an organisation that is no party
    assert_eq!(
        rule(check_arriving_meeting(
            Some(&esc),
            &oin(VT),
            &sid,
            &id,
            &meeting(three())
        )),
        Err("federation.meeting_outside_escalation")
    );
    // under another stream's id
    let other = uuid::Uuid::from_u128(11).to_string();
    assert_eq!(
        rule(check_arriving_meeting(
            Some(&esc),
            &oin(VT),
            &other,
            &id,
            &meeting(two)
        )),
        Err("federation.stream_id_mismatch")
    );
}
