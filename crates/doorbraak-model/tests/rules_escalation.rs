//! Every escalation rule of DOMAIN.md §2, from both sides: the allowed case works, the
//! forbidden case is refused with exactly that rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;

fn open(situation: Situation, step: Step) -> Escalation {
    ok::<Escalation>(None, open_cmd(situation, step), &prof_lt(), day(0))
}

/// Step 1 opened, picked up by VT, ended unbridged.
fn step1_unbridged() -> Escalation {
    let e = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    let e = ok(Some(&e), C::PickUp { name: None }, &gw_vt(), day(1));
    ok(
        Some(&e),
        C::RecordOutcome {
            outcome: StepOutcome::Unresolved {
                summary: "Verschil van inzicht blijft".into(),
            },
        },
        &gw_lt(),
        day(3),
    )
}

fn step2_cmd() -> C {
    C::InvokeStep {
        step: Step::Management,
        participants: vec![
            part("eva", Role::TeamManager, LT),
            part("gerda", Role::Director, VT),
        ],
        joining: vec![],
        reason: String::new(),
    }
}

fn step3_cmd(with_civil_servant: bool) -> C {
    let mut participants = vec![
        part("frank", Role::Director, LT),
        part("hans", Role::BoardMember, VT),
        part("ilse", Role::Alderman, GEM),
    ];
    if with_civil_servant {
        participants.push(part("joost", Role::CivilServant, GEM));
    }
    C::InvokeStep {
        step: Step::Administrative,
        participants,
        joining: vec![org(GEM)],
        reason: "Het beleid schiet tekort: geen crisisplek in de regio".into(),
    }
}

/// Situation 2 at step 2, picked up and ended with insufficient result.
fn step2_insufficient() -> Escalation {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(2));
    ok(
        Some(&e),
        C::RecordOutcome {
            outcome: StepOutcome::Unresolved {
                summary: "Wachtlijst blijft".into(),
            },
        },
        &dir_vt(),
        day(5),
    )
}

#[test]
fn step1_is_only_for_situation_1() {
    let e = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    assert_eq!(e.current_step(), Some(Step::BehaviouralScientists));
    for s in [Situation::AgreementsNotKept, Situation::Conduct] {
        let rule = refused::<Escalation>(
            None,
            open_cmd(s, Step::BehaviouralScientists),
            &prof_lt(),
            day(0),
        );
        assert_eq!(rule, "ladder.step1_only_situation1");
    }
    let msg = RuleViolation::Step1OnlySituation1.message_nl();
    assert_eq!(
        msg,
        "Stap 1 (gedragswetenschappers) is alleen mogelijk bij situatie 1 (professioneel dilemma)"
    );
}

#[test]
fn situations_2_and_3_start_at_step_2_but_situation_1_does_not() {
    for s in [Situation::AgreementsNotKept, Situation::Conduct] {
        assert_eq!(
            open(s, Step::Management).current_step(),
            Some(Step::Management)
        );
    }
    let rule = refused::<Escalation>(
        None,
        open_cmd(Situation::ProfessionalDilemma, Step::Management),
        &prof_lt(),
        day(0),
    );
    assert_eq!(rule, "ladder.step2_after_step1");
}

#[test]
fn step2_in_situation_1_only_after_step1_ended_unbridged() {
    let e = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    assert_eq!(
        refused(Some(&e), step2_cmd(), &prof_lt(), day(1)),
        "ladder.step_not_ended"
    );

    let picked = ok(Some(&e), C::PickUp { name: None }, &gw_vt(), day(1));
    let bridged = ok(
        Some(&picked),
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Overbrugd".into(),
            },
        },
        &gw_vt(),
        day(2),
    );
    assert_eq!(
        refused(Some(&bridged), step2_cmd(), &prof_lt(), day(3)),
        "ladder.already_resolved"
    );

    let e = step1_unbridged();
    let e = ok(Some(&e), step2_cmd(), &prof_lt(), day(4));
    assert_eq!(e.current_step(), Some(Step::Management));
}

#[test]
fn only_the_roles_of_the_ladder_invoke_each_step() {
    // step 1: professionals only
    let rule = refused::<Escalation>(
        None,
        open_cmd(Situation::ProfessionalDilemma, Step::BehaviouralScientists),
        &actor("carla", Role::BehaviouralScientist, LT),
        day(0),
    );
    assert_eq!(rule, "ladder.invoke_role");
    // step 2: professionals and behavioural scientists, not managers
    let e = step1_unbridged();
    assert_eq!(
        refused(Some(&e), step2_cmd(), &tm_lt(), day(4)),
        "ladder.invoke_role"
    );
    assert!(Escalation::decide(Some(&e), &step2_cmd(), &gw_lt(), day(4)).is_ok());
    assert!(Escalation::decide(Some(&e), &step2_cmd(), &prof_vt(), day(4)).is_ok());
    // step 3: team managers and directors, not professionals
    let e = step2_insufficient();
    assert_eq!(
        refused(Some(&e), step3_cmd(true), &prof_lt(), day(6)),
        "ladder.invoke_role"
    );
    assert!(Escalation::decide(Some(&e), &step3_cmd(true), &tm_lt(), day(6)).is_ok());
    let e = ok(Some(&e), step3_cmd(true), &dir_lt(), day(6));
    assert_eq!(e.current_step(), Some(Step::Administrative));
    assert!(e.is_party(&oin(GEM)), "the municipality joined at step 3");
}

#[test]
fn step3_needs_a_civil_servant() {
    let e = step2_insufficient();
    assert_eq!(
        refused(Some(&e), step3_cmd(false), &dir_lt(), day(6)),
        "ladder.step3_civil_servant"
    );
    assert!(Escalation::decide(Some(&e), &step3_cmd(true), &dir_lt(), day(6)).is_ok());
}

#[test]
fn step3_only_after_step2_ended_with_insufficient_result() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    assert_eq!(
        refused(Some(&e), step3_cmd(true), &dir_lt(), day(1)),
        "ladder.step_not_ended"
    );
    let mut open3 = open_cmd(Situation::AgreementsNotKept, Step::Administrative);
    if let C::Open { participants, .. } = &mut open3 {
        *participants = vec![part("frank", Role::Director, LT)];
    }
    assert_eq!(
        refused::<Escalation>(None, open3, &dir_lt(), day(0)),
        "ladder.step3_after_step2"
    );
}

#[test]
fn steps_never_go_back() {
    let e = step2_insufficient();
    let back = C::InvokeStep {
        step: Step::BehaviouralScientists,
        participants: vec![part("carla", Role::BehaviouralScientist, LT)],
        joining: vec![],
        reason: String::new(),
    };
    assert_eq!(
        refused(Some(&e), back, &prof_lt(), day(6)),
        "ladder.no_step_back"
    );
    assert_eq!(
        refused(Some(&e), step2_cmd(), &prof_lt(), day(6)),
        "ladder.no_step_back"
    );
}

#[test]
fn the_referral_route_is_not_an_escalation() {
    let mut cmd = open_cmd(Situation::AgreementsNotKept, Step::Management);
    if let C::Open {
        id,
        home,
        counterparts,
        seeking_youth_help_access,
        participants,
        ..
    } = &mut cmd
    {
        *id = EscalationId(stream_uuid(&oin(GI), id.0));
        *home = org(GI);
        *counterparts = vec![org(LT)];
        *seeking_youth_help_access = true;
        *participants = vec![part("kees", Role::Professional, GI)];
    }
    let jeugdbeschermer = actor("kees", Role::Professional, GI);
    let err = Escalation::decide(None, &cmd, &jeugdbeschermer, day(0)).unwrap_err();
    assert_eq!(err.rule(), "escalation.referral_route");
    assert!(err.message_nl().contains("aanmeldroutes"));
    // the same organisations with a real disagreement about agreements: allowed
    if let C::Open {
        seeking_youth_help_access,
        ..
    } = &mut cmd
    {
        *seeking_youth_help_access = false;
    }
    assert!(Escalation::decide(None, &cmd, &jeugdbeschermer, day(0)).is_ok());
}

#[test]
fn every_step_has_a_pickup_deadline_of_14_days_by_default() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let deadline = e.current().unwrap().pickup_deadline;
    assert_eq!(deadline, day(14));
    assert_eq!(e.next_deadline(), Some(day(14)));
    assert!(!e.is_overdue(day(14)));
    let just_after = day(14)
        .checked_add(jiff::SignedDuration::from_secs(1))
        .unwrap();
    assert!(e.is_overdue(just_after));
    assert_eq!(
        refused(Some(&e), C::MarkOverdue, &Actor::system(oin(LT)), day(13)),
        "deadline.not_overdue"
    );
    let marked = ok(Some(&e), C::MarkOverdue, &Actor::system(oin(LT)), day(15));
    assert_eq!(marked.current().unwrap().overdue_since, Some(day(15)));
    assert_eq!(
        marked.next_deadline(),
        None,
        "the sweeper does not fire twice"
    );
    assert_eq!(
        refused(
            Some(&marked),
            C::MarkOverdue,
            &Actor::system(oin(LT)),
            day(16)
        ),
        "deadline.already_overdue"
    );
    // a late pickup ends the overdue state
    let picked = ok(Some(&marked), C::PickUp { name: None }, &dir_vt(), day(16));
    assert!(!picked.is_overdue(day(20)));
}

#[test]
fn the_deadline_policy_is_recorded_at_opening() {
    let mut cmd = open_cmd(Situation::Conduct, Step::Management);
    if let C::Open { policy, .. } = &mut cmd {
        policy.step_pickup_days = 7;
    }
    let e = ok::<Escalation>(None, cmd, &prof_lt(), day(0));
    assert_eq!(e.current().unwrap().pickup_deadline, day(7));
    assert_eq!(e.policy.step_pickup_days, 7);
}

#[test]
fn a_step_is_picked_up_by_the_counterpart_once() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    assert_eq!(
        refused(Some(&e), C::PickUp { name: None }, &prof_lt(), day(1)),
        "deadline.pickup_by_counterpart"
    );
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(1));
    assert_eq!(
        refused(
            Some(&e),
            C::PickUp { name: None },
            &actor("vera", Role::TeamManager, VT),
            day(2)
        ),
        "deadline.already_picked_up"
    );
}

#[test]
fn only_parties_act_on_an_escalation() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let outsider = actor("lotte", Role::Director, GI);
    assert_eq!(
        refused(Some(&e), C::PickUp { name: None }, &outsider, day(1)),
        "access.not_a_party"
    );
}

#[test]
fn an_escalation_is_opened_by_its_home_organisation() {
    let rule = refused::<Escalation>(
        None,
        open_cmd(Situation::Conduct, Step::Management),
        &prof_vt(),
        day(0),
    );
    assert_eq!(rule, "escalation.opener_is_home");
    let mut cmd = open_cmd(Situation::Conduct, Step::Management);
    if let C::Open { counterparts, .. } = &mut cmd {
        counterparts.clear();
    }
    assert_eq!(
        refused::<Escalation>(None, cmd, &prof_lt(), day(0)),
        "escalation.needs_counterpart"
    );
}

#[test]
fn an_outcome_needs_the_step_picked_up() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let cmd = C::RecordOutcome {
        outcome: StepOutcome::Resolved {
            summary: "Afspraak gemaakt".into(),
        },
    };
    assert_eq!(
        refused(Some(&e), cmd.clone(), &dir_vt(), day(1)),
        "ladder.step_not_picked_up"
    );
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(1));
    let e = ok(Some(&e), cmd.clone(), &dir_vt(), day(2));
    assert_eq!(
        refused(Some(&e), cmd, &dir_vt(), day(2)),
        "ladder.step_ended"
    );
}

#[test]
fn closing_needs_a_family_record_for_every_step() {
    let e = step1_unbridged();
    let e = ok(Some(&e), step2_cmd(), &prof_lt(), day(4));
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(5));
    let e = ok(
        Some(&e),
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Plek gevonden".into(),
            },
        },
        &dir_vt(),
        day(6),
    );
    let close = C::Close {
        classification: classification(),
    };
    assert_eq!(
        refused(Some(&e), close.clone(), &tm_lt(), day(7)),
        "family.record_required"
    );
    // step 2 recorded, step 1 still missing: the refusal names step 1
    let e = ok(
        Some(&e),
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: family_before(4),
        },
        &prof_lt(),
        day(7),
    );
    let err = Escalation::decide(Some(&e), &close, &tm_lt(), day(7)).unwrap_err();
    assert_eq!(
        err,
        RuleViolation::FamilyInformedMissing {
            step: Step::BehaviouralScientists
        }
    );
    // afterwards needs an explanation
    let after_bare = C::RecordFamilyInformed {
        step: Step::BehaviouralScientists,
        informed: FamilyInformed::After {
            at: day(3),
            explanation: " ".into(),
        },
    };
    assert_eq!(
        refused(Some(&e), after_bare, &prof_lt(), day(7)),
        "family.after_needs_explanation"
    );
    let e = ok(
        Some(&e),
        C::RecordFamilyInformed {
            step: Step::BehaviouralScientists,
            informed: FamilyInformed::After {
                at: day(3),
                explanation: "Acute onveiligheid; overleg kon niet wachten".into(),
            },
        },
        &prof_lt(),
        day(7),
    );
    let closed = ok(Some(&e), close, &tm_lt(), day(8));
    assert!(closed.is_closed());
}

#[test]
fn family_record_rules() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let rec = C::RecordFamilyInformed {
        step: Step::Management,
        informed: family_before(0),
    };
    let e2 = ok(Some(&e), rec.clone(), &prof_lt(), day(1));
    assert_eq!(
        refused(Some(&e2), rec, &prof_lt(), day(1)),
        "family.already_recorded"
    );
    let unreached = C::RecordFamilyInformed {
        step: Step::Administrative,
        informed: family_before(0),
    };
    assert_eq!(
        refused(Some(&e), unreached, &prof_lt(), day(1)),
        "ladder.step_not_reached"
    );
    let future = C::RecordFamilyInformed {
        step: Step::Management,
        informed: family_before(9),
    };
    assert_eq!(
        refused(Some(&e), future, &prof_lt(), day(1)),
        "input.invalid_field"
    );
}

#[test]
fn close_only_at_home_and_only_after_the_step_ended() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let e = ok(
        Some(&e),
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: family_before(0),
        },
        &prof_lt(),
        day(1),
    );
    let close = C::Close {
        classification: classification(),
    };
    assert_eq!(
        refused(Some(&e), close.clone(), &tm_lt(), day(2)),
        "escalation.close_needs_ended_step"
    );
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(2));
    let e = ok(
        Some(&e),
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Hulp start maandag".into(),
            },
        },
        &dir_vt(),
        day(3),
    );
    assert_eq!(
        refused(Some(&e), close.clone(), &dir_vt(), day(4)),
        "escalation.close_at_home"
    );
    assert!(ok(Some(&e), close, &dir_lt(), day(4)).is_closed());
}

#[test]
fn a_closed_escalation_never_changes() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let e = ok(Some(&e), C::PickUp { name: None }, &dir_vt(), day(1));
    let e = ok(
        Some(&e),
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Opgelost".into(),
            },
        },
        &dir_vt(),
        day(2),
    );
    let e = ok(
        Some(&e),
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: family_before(1),
        },
        &prof_lt(),
        day(2),
    );
    let closed = ok(
        Some(&e),
        C::Close {
            classification: classification(),
        },
        &tm_lt(),
        day(3),
    );
    for cmd in [
        C::PickUp { name: None },
        C::MarkOverdue,
        C::ChangeSituation {
            to: Situation::Conduct,
            reason: "x".into(),
        },
        C::Close {
            classification: classification(),
        },
    ] {
        assert_eq!(
            refused(Some(&closed), cmd, &tm_lt(), day(4)),
            "escalation.closed"
        );
    }
}

#[test]
fn changing_the_situation_is_an_explicit_recorded_act() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let same = C::ChangeSituation {
        to: Situation::AgreementsNotKept,
        reason: "x".into(),
    };
    assert_eq!(
        refused(Some(&e), same, &prof_lt(), day(1)),
        "situation.unchanged"
    );
    let no_reason = C::ChangeSituation {
        to: Situation::Conduct,
        reason: "".into(),
    };
    assert_eq!(
        refused(Some(&e), no_reason, &prof_lt(), day(1)),
        "input.missing_field"
    );
    let e = ok(
        Some(&e),
        C::ChangeSituation {
            to: Situation::Conduct,
            reason: "Het gaat om het handelen van een collega".into(),
        },
        &prof_lt(),
        day(1),
    );
    assert_eq!(e.situation, Situation::Conduct);
    assert_eq!(e.situation_history.len(), 1);
    assert_eq!(e.situation_history[0].from, Situation::AgreementsNotKept);

    // while step 1 runs, the situation stays 1
    let s1 = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    let to2 = C::ChangeSituation {
        to: Situation::AgreementsNotKept,
        reason: "Afspraken worden niet nagekomen".into(),
    };
    assert_eq!(
        refused(Some(&s1), to2, &prof_lt(), day(1)),
        "situation.conflicts_with_step1"
    );
}

#[test]
fn participants_fit_the_step() {
    let mut cmd = open_cmd(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    if let C::Open { participants, .. } = &mut cmd {
        participants.push(part("eva", Role::TeamManager, LT));
    }
    assert_eq!(
        refused::<Escalation>(None, cmd, &prof_lt(), day(0)),
        "ladder.participant_role"
    );
    let e = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    let add = |p| C::AddParticipant { participant: p };
    assert_eq!(
        refused(
            Some(&e),
            add(part("x", Role::BehaviouralScientist, GI)),
            &prof_lt(),
            day(1)
        ),
        "escalation.participant_not_party"
    );
    assert_eq!(
        refused(
            Some(&e),
            add(part("anna", Role::Professional, LT)),
            &prof_lt(),
            day(1)
        ),
        "escalation.duplicate_participant"
    );
    let e = ok(
        Some(&e),
        add(part("daan", Role::BehaviouralScientist, VT)),
        &prof_vt(),
        day(1),
    );
    assert_eq!(e.current().unwrap().participants.len(), 3);
}

#[test]
fn an_alderman_acts_for_a_municipality() {
    let e = step2_insufficient();
    let mut cmd = step3_cmd(true);
    if let C::InvokeStep { participants, .. } = &mut cmd {
        participants.push(part("mila", Role::Alderman, VT));
    }
    assert_eq!(
        refused(Some(&e), cmd, &dir_lt(), day(6)),
        "ladder.alderman_municipality"
    );
}

#[test]
fn the_case_reference_is_never_a_bsn() {
    let err = CaseRef::parse("111222333").unwrap_err();
    assert_eq!(err.rule(), "privacy.no_bsn");
    assert!(CaseRef::parse("VT-2026-77").is_ok());
}

#[test]
fn a_new_escalation_id_names_its_home() {
    // allowed: the id was made for the local team, which opens it
    let e = open(Situation::AgreementsNotKept, Step::Management);
    assert!(is_of_home(&e.id.0, &oin(LT)));
    // refused: an id made for another organisation (a party could otherwise pre-empt it)
    let mut cmd = open_cmd(Situation::AgreementsNotKept, Step::Management);
    if let C::Open { id, .. } = &mut cmd {
        *id = EscalationId(stream_uuid(&oin(VT), uuid::Uuid::from_u128(0xE5C)));
    }
    let rule = refused::<Escalation>(None, cmd, &prof_lt(), day(0));
    assert_eq!(rule, "federation.stream_id_of_home");
}

#[test]
fn a_step_is_picked_up_by_the_people_who_act_in_it() {
    let vt = |who: &str, role: Role| actor(who, role, VT);
    // step 1: a professional or behavioural scientist of the counterpart, not a manager
    let s1 = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    for ok_role in [Role::Professional, Role::BehaviouralScientist] {
        assert!(s1.waits_for_pickup_by(&vt("x", ok_role), day(1)));
        ok::<Escalation>(
            Some(&s1),
            C::PickUp { name: None },
            &vt("x", ok_role),
            day(1),
        );
    }
    let rule = refused::<Escalation>(
        Some(&s1),
        C::PickUp { name: None },
        &vt("t", Role::TeamManager),
        day(1),
    );
    assert_eq!(rule, "access.role_not_allowed");
    // step 2: a team manager or director, not a professional
    let s2 = open(Situation::AgreementsNotKept, Step::Management);
    for ok_role in [Role::TeamManager, Role::Director] {
        assert!(s2.waits_for_pickup_by(&vt("x", ok_role), day(1)));
        ok::<Escalation>(
            Some(&s2),
            C::PickUp { name: None },
            &vt("x", ok_role),
            day(1),
        );
    }
    let bram = vt("bram", Role::Professional);
    assert!(!s2.waits_for_pickup_by(&bram, day(1)), "not on bram's list");
    let rule = refused::<Escalation>(Some(&s2), C::PickUp { name: None }, &bram, day(1));
    assert_eq!(rule, "access.role_not_allowed");
    assert!(
        RuleViolation::RoleNotAllowed {
            action: "pick_up",
            role: Some(Role::Professional),
            allowed: Step::Management.pickup_roles().to_vec(),
        }
        .message_nl()
        .contains("teammanager"),
        "the refusal names who may"
    );
    // nothing waits for the opener's own organisation, nor after the pick-up
    assert!(!s2.waits_for_pickup_by(&tm_lt(), day(1)));
    let picked = ok::<Escalation>(Some(&s2), C::PickUp { name: None }, &dir_vt(), day(1));
    assert!(!picked.waits_for_pickup_by(&vt("t", Role::TeamManager), day(1)));
    // step 3: board member, director, alderman or civil servant
    assert_eq!(
        Step::Administrative.pickup_roles(),
        &[
            Role::BoardMember,
            Role::Director,
            Role::Alderman,
            Role::CivilServant
        ]
    );
}

#[test]
fn only_the_homes_deadline_sweeper_marks_a_step_overdue() {
    let e = open(Situation::AgreementsNotKept, Step::Management);
    let late = day(15);
    // forbidden: a person, even of the home
    let rule = refused::<Escalation>(Some(&e), C::MarkOverdue, &tm_lt(), late);
    assert_eq!(rule, "deadline.sweeper_only");
    assert_eq!(
        refused::<Escalation>(Some(&e), C::MarkOverdue, &dir_vt(), late),
        "deadline.sweeper_only"
    );
    // allowed: the sweeper (the system actor)
    let sweeper = Actor::system(oin(LT));
    let marked = ok::<Escalation>(Some(&e), C::MarkOverdue, &sweeper, late);
    assert!(marked.current().unwrap().overdue_since.is_some());
}

#[test]
fn the_opener_takes_part_in_the_first_step_when_their_role_does() {
    let anna = part("anna", Role::Professional, LT);
    let mut ps = vec![part("carla", Role::BehaviouralScientist, LT)];
    Step::BehaviouralScientists.add_opener(&mut ps, anna.clone());
    assert_eq!(ps[0], anna, "added, first");
    Step::BehaviouralScientists.add_opener(&mut ps, anna.clone());
    assert_eq!(ps.len(), 2, "not twice");
    // a role that takes no part in the step is not added
    let mut ps = Vec::new();
    Step::BehaviouralScientists.add_opener(&mut ps, part("eva", Role::TeamManager, LT));
    assert!(ps.is_empty());
    // the first step follows from the situation
    assert_eq!(
        Situation::ProfessionalDilemma.first_step(),
        Step::BehaviouralScientists
    );
    assert_eq!(Situation::AgreementsNotKept.first_step(), Step::Management);
    assert_eq!(Situation::Conduct.first_step(), Step::Management);
}

/// The person who picks up a step joins it under their name (so that a meeting can invite
/// them): once, and only when named.
#[test]
fn the_person_who_picks_up_joins_the_step() {
    let e = open(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    let took_part = |e: &Escalation| {
        e.current()
            .unwrap()
            .participants
            .iter()
            .filter(|p| p.person == PersonId::new("daan") && p.org == oin(VT))
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert!(took_part(&e).is_empty());
    // named: picked up and taking part, under that name
    let named = C::PickUp {
        name: Some("Daan de Vries".into()),
    };
    let picked = ok(Some(&e), named.clone(), &gw_vt(), day(1));
    assert!(picked.current().unwrap().picked_up.is_some());
    assert_eq!(took_part(&picked), ["Daan de Vries"]);
    // not named (a command forwarded by a node of an earlier release): picked up, not joined
    let unnamed = ok(Some(&e), C::PickUp { name: None }, &gw_vt(), day(1));
    assert!(unnamed.current().unwrap().picked_up.is_some());
    assert!(took_part(&unnamed).is_empty());
    // already taking part: not a second time
    let mut with_daan = open_cmd(Situation::ProfessionalDilemma, Step::BehaviouralScientists);
    if let C::Open { participants, .. } = &mut with_daan {
        participants.push(part("daan", Role::BehaviouralScientist, VT));
    }
    let e = ok::<Escalation>(None, with_daan, &prof_lt(), day(0));
    let picked = ok(Some(&e), named, &gw_vt(), day(1));
    assert_eq!(took_part(&picked), ["Naam van daan"]);
    // the pick-up's own rules stand: the invoking side does not pick up, joined or not
    let rule = refused::<Escalation>(
        Some(&e),
        C::PickUp {
            name: Some("Carla".into()),
        },
        &gw_lt(),
        day(1),
    );
    assert_eq!(rule, "deadline.pickup_by_counterpart");
}

/// The ladder goes up one step at a time: the step after each, none after the third, and the
/// order the rules hold (a step is never invoked below the current one).
#[test]
fn ladder_next_step_is_the_one_above() {
    assert_eq!(Step::BehaviouralScientists.next(), Some(Step::Management));
    assert_eq!(Step::Management.next(), Some(Step::Administrative));
    assert_eq!(Step::Administrative.next(), None);
    for s in Step::ALL {
        if let Some(n) = s.next() {
            assert!(n > s && n.number() == s.number() + 1, "{s:?} -> {n:?}");
        }
    }
}
