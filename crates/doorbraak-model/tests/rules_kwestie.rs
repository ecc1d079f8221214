//! Kwestie rules of DOMAIN.md §1, from both sides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use doorbraak_model::kwestie::{Consulted, KwestieRoute, KwestieStatus, Preparation};
use doorbraak_model::*;

fn raise_cmd() -> KwestieCommand {
    KwestieCommand::Raise {
        id: KwestieId(uuid::Uuid::from_u128(0xC0FFEE)),
        case_ref: Some(CaseRef::parse("LT-2026-0042").unwrap()),
        obstacle: "Zorgaanbieder start de hulp niet: wachtlijst van 12 weken".into(),
        categories: BTreeSet::from([KwestieCategory::WaitingList]),
        preparation: Preparation {
            own_reach_done: true,
            discussed_with: BTreeSet::from([Consulted::Team, Consulted::CareMediation]),
            knows_what_and_whom: true,
        },
        child_needs: "Dagbehandeling binnen 2 weken".into(),
        facilities_needed: "Mandaat om overbrugging in te kopen".into(),
        route: KwestieRoute {
            to_team_manager: true,
            on_team_agenda: true,
        },
        policy: DeadlinePolicy::default(),
    }
}

fn raised() -> Kwestie {
    ok::<Kwestie>(None, raise_cmd(), &prof_lt(), day(0))
}

fn with_raise(f: impl FnOnce(&mut KwestieCommand)) -> KwestieCommand {
    let mut c = raise_cmd();
    f(&mut c);
    c
}

#[test]
fn a_professional_raises_a_kwestie_a_manager_does_not() {
    let k = raised();
    assert_eq!(k.status(), KwestieStatus::Raised);
    assert_eq!(k.org, oin(LT));
    assert_eq!(
        refused::<Kwestie>(None, raise_cmd(), &tm_lt(), day(0)),
        "access.role_not_allowed"
    );
    assert!(Kwestie::decide(None, &raise_cmd(), &gw_lt(), day(0)).is_ok());
}

#[test]
fn a_kwestie_needs_a_category_a_preparation_and_a_route() {
    let no_cat = with_raise(|c| {
        if let KwestieCommand::Raise { categories, .. } = c {
            categories.clear();
        }
    });
    assert_eq!(
        refused::<Kwestie>(None, no_cat, &prof_lt(), day(0)),
        "kwestie.category_required"
    );
    for (which, expect) in [
        ("own", "kwestie.preparation"),
        ("discussed", "kwestie.preparation"),
        ("whom", "kwestie.preparation"),
    ] {
        let cmd = with_raise(|c| {
            if let KwestieCommand::Raise { preparation, .. } = c {
                match which {
                    "own" => preparation.own_reach_done = false,
                    "discussed" => preparation.discussed_with.clear(),
                    _ => preparation.knows_what_and_whom = false,
                }
            }
        });
        assert_eq!(
            refused::<Kwestie>(None, cmd, &prof_lt(), day(0)),
            expect,
            "{which}"
        );
    }
    let no_route = with_raise(|c| {
        if let KwestieCommand::Raise { route, .. } = c {
            *route = KwestieRoute {
                to_team_manager: false,
                on_team_agenda: false,
            };
        }
    });
    assert_eq!(
        refused::<Kwestie>(None, no_route, &prof_lt(), day(0)),
        "kwestie.route_required"
    );
    let agenda_only = with_raise(|c| {
        if let KwestieCommand::Raise { route, .. } = c {
            route.to_team_manager = false;
        }
    });
    assert!(Kwestie::decide(None, &agenda_only, &prof_lt(), day(0)).is_ok());
}

#[test]
fn a_kwestie_is_local_to_its_organisation() {
    let k = raised();
    let other_tm = actor("zoe", Role::TeamManager, VT);
    assert_eq!(
        refused(Some(&k), KwestieCommand::PickUp, &other_tm, day(1)),
        "kwestie.local"
    );
    let k = ok(Some(&k), KwestieCommand::PickUp, &tm_lt(), day(1));
    assert_eq!(k.status(), KwestieStatus::PickedUp);
    assert_eq!(
        refused(Some(&k), KwestieCommand::PickUp, &tm_lt(), day(2)),
        "deadline.already_picked_up"
    );
}

#[test]
fn an_escalated_kwestie_must_be_picked_up_within_14_days() {
    let k = raised();
    assert_eq!(k.pickup_deadline, day(14));
    assert!(!k.is_overdue(day(14)));
    assert!(k.is_overdue(day(15)));
    assert!(!k.offers_board_escalation(day(10)));
    assert!(
        k.offers_board_escalation(day(15)),
        "an overdue kwestie offers the board step"
    );
    let sys = Actor::system(oin(LT));
    assert_eq!(
        refused(Some(&k), KwestieCommand::MarkOverdue, &sys, day(3)),
        "deadline.not_overdue"
    );
    let k = ok(Some(&k), KwestieCommand::MarkOverdue, &sys, day(15));
    assert_eq!(k.next_deadline(), None);
    assert_eq!(
        refused(Some(&k), KwestieCommand::MarkOverdue, &sys, day(16)),
        "deadline.already_overdue"
    );
}

#[test]
fn the_kwestie_deadline_follows_the_policy_at_raising() {
    let cmd = with_raise(|c| {
        if let KwestieCommand::Raise { policy, .. } = c {
            policy.kwestie_pickup_days = 10;
        }
    });
    let k = ok::<Kwestie>(None, cmd, &prof_lt(), day(0));
    assert_eq!(k.pickup_deadline, day(10));
}

#[test]
fn the_professional_and_the_team_manager_escalate_an_overdue_kwestie_to_the_board() {
    let k = raised();
    let together = KwestieCommand::EscalateToBoard {
        co_signer: PersonId::new("eva"),
        co_signer_role: Role::TeamManager,
    };
    let err = Kwestie::decide(Some(&k), &together, &prof_lt(), day(5)).unwrap_err();
    assert_eq!(err.rule(), "kwestie.board_not_due");
    let alone = KwestieCommand::EscalateToBoard {
        co_signer: PersonId::new("piet"),
        co_signer_role: Role::Professional,
    };
    assert_eq!(
        refused(Some(&k), alone, &prof_lt(), day(15)),
        "kwestie.board_needs_professional_and_manager"
    );
    let k = ok(Some(&k), together.clone(), &prof_lt(), day(15));
    assert_eq!(k.status(), KwestieStatus::EscalatedToBoard);
    assert_eq!(
        k.current_deadline(),
        day(29),
        "a new pickup period for the board"
    );
    assert_eq!(k.next_deadline(), Some(day(29)));
    assert_eq!(
        refused(Some(&k), together, &prof_lt(), day(16)),
        "kwestie.already_at_board"
    );
    // now only a board member picks it up
    assert_eq!(
        refused(Some(&k), KwestieCommand::PickUp, &tm_lt(), day(16)),
        "access.role_not_allowed"
    );
    let k = ok(
        Some(&k),
        KwestieCommand::PickUp,
        &actor("bob", Role::BoardMember, LT),
        day(16),
    );
    assert_eq!(k.status(), KwestieStatus::PickedUpByBoard);
}

#[test]
fn a_picked_up_kwestie_is_not_escalated_to_the_board() {
    let k = ok(Some(&raised()), KwestieCommand::PickUp, &tm_lt(), day(2));
    let cmd = KwestieCommand::EscalateToBoard {
        co_signer: PersonId::new("eva"),
        co_signer_role: Role::TeamManager,
    };
    assert_eq!(
        refused(Some(&k), cmd, &prof_lt(), day(20)),
        "deadline.already_picked_up"
    );
}

#[test]
fn every_kwestie_closes_with_its_solution_and_then_never_changes() {
    let k = raised();
    let resolve = |solution: &str| KwestieCommand::Resolve {
        solution: solution.into(),
        scope: SolutionScope::Structural,
        solved_for_family: false,
        classification: classification(),
    };
    assert_eq!(
        refused(Some(&k), resolve(""), &tm_lt(), day(2)),
        "input.missing_field"
    );
    assert_eq!(
        refused(Some(&k), resolve("x"), &prof_lt(), day(2)),
        "access.role_not_allowed"
    );
    let k = ok(
        Some(&k),
        resolve("Geen plek; regionale inkoop aangepast"),
        &tm_lt(),
        day(2),
    );
    let r = k.resolution.as_ref().unwrap();
    assert_eq!(r.scope, SolutionScope::Structural);
    assert!(
        !r.solved_for_family,
        "unsolvable for this family is still recorded"
    );
    assert_eq!(
        refused(Some(&k), KwestieCommand::PickUp, &tm_lt(), day(3)),
        "kwestie.closed"
    );
    assert_eq!(
        refused(Some(&k), resolve("anders"), &tm_lt(), day(3)),
        "kwestie.closed"
    );
}
