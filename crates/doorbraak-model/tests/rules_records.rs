//! Records rules (retention, legal hold, destruction, correction), from both sides, and what a
//! destruction leaves of a log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::escalation::{CorrectableField, EscalationCommand as C};
use doorbraak_model::records::{RecordsCommand as R, Term};
use doorbraak_model::*;

/// A log run command by command: the events as a home stores them.
struct Log {
    state: Option<Escalation>,
    events: Vec<StoredEvent<EscalationEvent>>,
}

impl Log {
    fn new() -> Self {
        Self {
            state: None,
            events: Vec::new(),
        }
    }
    fn run(&mut self, cmd: C, by: &Actor, now: Timestamp) {
        let (s, evs) = Escalation::execute(self.state.as_ref(), &cmd, by, now)
            .unwrap_or_else(|e| panic!("{cmd:?} refused: {e}"));
        for e in evs {
            let seq = self.events.len() as i64 + 1;
            self.events.push(StoredEvent {
                seq,
                event_id: uuid::Uuid::from_u128(seq as u128),
                event: e,
            });
        }
        self.state = Some(s);
    }
    fn state(&self) -> &Escalation {
        self.state.as_ref().unwrap()
    }
}

fn term() -> Term {
    Term {
        years: 20,
        basis: records::JEUGDWET_BASIS.into(),
    }
}

fn years(n: i64) -> Timestamp {
    day(10 + 366 * n)
}

/// Opened at step 2, picked up, resolved, family informed, closed on day 10.
fn closed() -> Log {
    let mut log = Log::new();
    log.run(
        open_cmd(Situation::AgreementsNotKept, Step::Management),
        &prof_lt(),
        day(0),
    );
    log.run(C::PickUp { name: None }, &dir_vt(), day(1));
    log.run(
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Plek gevonden bij Huize Anna".into(),
            },
        },
        &dir_vt(),
        day(2),
    );
    log.run(
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: family_before(1),
        },
        &prof_lt(),
        day(3),
    );
    log.run(
        C::Close {
            classification: classification(),
        },
        &tm_lt(),
        day(10),
    );
    log
}

fn destroy() -> C {
    C::Records {
        records: R::Destroy {
            list: uuid::Uuid::nil(),
            term: term(),
        },
    }
}

#[test]
fn records_a_closed_escalation_is_destroyed_after_its_term_and_not_before() {
    let log = closed();
    assert_eq!(
        refused(Some(log.state()), destroy(), &dir_lt(), years(19)),
        "records.not_due"
    );
    // an open escalation has no destruction date
    let mut open = Log::new();
    open.run(
        open_cmd(Situation::AgreementsNotKept, Step::Management),
        &prof_lt(),
        day(0),
    );
    assert_eq!(
        refused(Some(open.state()), destroy(), &dir_lt(), years(30)),
        "records.not_closed"
    );
    // only the director of the home
    assert_eq!(
        refused(Some(log.state()), destroy(), &tm_lt(), years(21)),
        "access.role_not_allowed"
    );
    assert_eq!(
        refused(Some(log.state()), destroy(), &dir_vt(), years(21)),
        "records.at_home_only"
    );
    let s = ok(Some(log.state()), destroy(), &dir_lt(), years(21));
    assert!(s.records.destroyed.is_some());
    // nothing happens to a destroyed record any more
    assert_eq!(
        refused(
            Some(&s),
            C::Correct {
                field: CorrectableField::Question,
                text: "nieuw".into(),
                reason: "fout".into()
            },
            &prof_lt(),
            years(21)
        ),
        "records.destroyed"
    );
}

#[test]
fn records_a_legal_hold_stops_the_clock_until_it_is_lifted() {
    let log = closed();
    let hold = C::Records {
        records: R::PlaceHold {
            reason: "Klacht bij de klachtencommissie".into(),
        },
    };
    let held = ok(Some(log.state()), hold.clone(), &dir_lt(), day(20));
    assert_eq!(
        refused(Some(&held), hold, &dir_lt(), day(21)),
        "records.hold_placed"
    );
    assert_eq!(
        refused(Some(&held), destroy(), &dir_lt(), years(25)),
        "records.legal_hold"
    );
    let lifted = ok(
        Some(&held),
        C::Records {
            records: R::LiftHold,
        },
        &dir_lt(),
        years(25),
    );
    assert!(
        ok(Some(&lifted), destroy(), &dir_lt(), years(25))
            .records
            .destroyed
            .is_some()
    );
}

#[test]
fn records_destruction_erases_every_text_and_name_and_keeps_what_is_counted() {
    let mut log = closed();
    let before = log.state().clone();
    log.run(destroy(), &dir_lt(), years(21));
    let mut events = log.events.clone();
    let erased = stream::erase_log::<Escalation>(&mut events)
        .unwrap()
        .unwrap();
    // the log holds no text any more
    for e in &events {
        for (field, text) in EscalationEvent::free_text(&e.event.body) {
            assert!(text.is_empty(), "{field} still holds '{text}'");
        }
    }
    assert!(erased.question.is_empty() && erased.needs.is_empty());
    assert!(
        erased
            .steps
            .iter()
            .flat_map(|s| &s.participants)
            .all(|p| p.name.is_empty())
    );
    // what the aggregates count stays: steps, times, situation, parties, bottleneck
    assert_eq!(erased.steps.len(), before.steps.len());
    assert_eq!(erased.opened_at, before.opened_at);
    assert_eq!(erased.closed_at(), before.closed_at());
    assert_eq!(erased.situation, before.situation);
    assert_eq!(erased.counterparts, before.counterparts);
    let (
        EscalationStatus::Closed {
            classification: a, ..
        },
        EscalationStatus::Closed {
            classification: b, ..
        },
    ) = (&erased.status, &before.status)
    else {
        panic!("closed")
    };
    assert_eq!(a.bottleneck, b.bottleneck);
    assert_eq!(erased.steps[0].picked_up, before.steps[0].picked_up);
    // the tombstone keeps the retention metadata
    let t = erased.records.destroyed.as_ref().unwrap();
    assert_eq!(t.closed_at, day(10));
    assert_eq!(t.years, 20);
    assert_eq!(t.legal_basis, records::JEUGDWET_BASIS);
}

#[test]
fn records_a_party_node_confirms_a_destruction_and_nothing_else() {
    let mut log = closed();
    let vt_node = Actor::system(oin(VT));
    let confirm = C::Records {
        records: R::ConfirmDestroyed,
    };
    assert_eq!(
        refused(Some(log.state()), confirm.clone(), &vt_node, years(21)),
        "records.not_destroyed"
    );
    // a party's node acts at the home only to confirm
    assert_eq!(
        refused(Some(log.state()), C::MarkOverdue, &vt_node, years(21)),
        "federation.node_acts_at_home_only"
    );
    log.run(destroy(), &dir_lt(), years(21));
    assert_eq!(
        log.state().records.unconfirmed(
            &oin(LT),
            &log.state()
                .parties()
                .map(|p| p.oin.clone())
                .collect::<Vec<_>>()
        ),
        vec![oin(VT)]
    );
    log.run(confirm.clone(), &vt_node, years(21));
    assert!(log.state().records.confirmed.contains(&oin(VT)));
    // a receiving party accepts the confirmation by a party's node
    let last = log.events.last().unwrap();
    let parties: Vec<Oin> = log.state().parties().map(|p| p.oin.clone()).collect();
    assert!(Escalation::check_received(Some(&parties), log.state(), &last.event, &oin(LT)).is_ok());
    // but not a node that is no party
    assert_eq!(
        refused(
            Some(log.state()),
            confirm,
            &Actor::system(oin(GI)),
            years(21)
        ),
        "records.confirm_by_party_node"
    );
}

#[test]
fn records_a_correction_by_the_home_replaces_the_text_everywhere_in_the_log() {
    let mut log = closed();
    let correct = C::Correct {
        field: CorrectableField::OutcomeSummary(Step::Management),
        text: "Plek gevonden".into(),
        reason: "De naam van de instelling hoort er niet in".into(),
    };
    assert_eq!(
        refused(Some(log.state()), correct.clone(), &dir_vt(), day(12)),
        "records.correction_at_home_only"
    );
    assert_eq!(
        refused(
            Some(log.state()),
            C::Correct {
                field: CorrectableField::Question,
                text: "x".into(),
                reason: String::new()
            },
            &prof_lt(),
            day(12)
        ),
        "input.missing_field"
    );
    log.run(correct, &prof_lt(), day(12));
    assert_eq!(
        log.state()
            .corrected_text(CorrectableField::OutcomeSummary(Step::Management)),
        Some("Plek gevonden")
    );
    let mut events = log.events.clone();
    let settled = stream::settle_log::<Escalation>(&mut events)
        .unwrap()
        .unwrap();
    assert_eq!(&settled, log.state());
    let old = events
        .iter()
        .flat_map(|e| EscalationEvent::free_text(&e.event.body))
        .any(|(_, t)| t.contains("Huize Anna"));
    assert!(!old, "the old text is still in the log");
}

/// A term counts in calendar years both ways: what closed on a day is destroyed on the same
/// day that many years later, and at that day the term began the same day that many years
/// before (29 February counts from 28 February).
#[test]
fn records_a_term_is_calendar_years_both_ways() {
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    let closed = at("2026-03-18T10:00:00Z");
    let destroy = records::destroy_on(closed, 20);
    assert_eq!(destroy, at("2046-03-18T10:00:00Z"));
    assert_eq!(records::term_start(destroy, 20), closed);
    // not a count of 366-day years: seven years back is seven calendar years back
    assert_eq!(
        records::term_start(at("2033-03-18T10:00:00Z"), 7),
        at("2026-03-18T10:00:00Z")
    );
    assert_eq!(
        records::term_start(at("2028-02-29T12:00:00Z"), 1),
        at("2027-02-28T12:00:00Z")
    );
}
