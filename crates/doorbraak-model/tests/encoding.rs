//! The canonical event encoding: round trips, a pinned sample, and version checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::canonical;
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;

/// The events of a whole ladder walk, to round-trip every escalation event type.
fn ladder_events() -> Vec<Event<EscalationEvent>> {
    let mut events = Vec::new();
    let mut state: Option<Escalation> = None;
    let mut run = |cmd: C, by: Actor, d: i64| {
        let (s, evs) = Escalation::execute(state.as_ref(), &cmd, &by, day(d)).unwrap();
        state = Some(s);
        events.extend(evs);
    };
    run(
        open_cmd(Situation::AgreementsNotKept, Step::Management),
        prof_lt(),
        0,
    );
    run(C::MarkOverdue, Actor::system(oin(LT)), 15);
    run(C::PickUp { name: None }, dir_vt(), 16);
    run(
        C::AddParticipant {
            participant: part("eva", Role::TeamManager, LT),
        },
        prof_lt(),
        16,
    );
    run(
        C::ChangeSituation {
            to: Situation::Conduct,
            reason: "Handelen van collega".into(),
        },
        prof_lt(),
        17,
    );
    run(
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: FamilyInformed::After {
                at: day(17),
                explanation: "Crisis".into(),
            },
        },
        prof_lt(),
        17,
    );
    run(
        C::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "Opgelost".into(),
            },
        },
        dir_vt(),
        18,
    );
    run(
        C::Close {
            classification: classification(),
        },
        tm_lt(),
        19,
    );
    events
}

#[test]
fn every_escalation_event_round_trips_through_the_canonical_form() {
    let events = ladder_events();
    let names: std::collections::BTreeSet<_> = events.iter().map(|e| e.body.name()).collect();
    assert_eq!(names.len(), 9, "all event types covered: {names:?}");
    for e in &events {
        let bytes = canonical::to_vec(e).unwrap();
        let back: Event<EscalationEvent> = canonical::from_slice(&bytes).unwrap();
        assert_eq!(&back, e);
        // canonical form is a fixed point
        assert_eq!(canonical::to_vec(&back).unwrap(), bytes);
    }
    // replaying the decoded log gives the same state
    let decoded: Vec<Event<EscalationEvent>> = events
        .iter()
        .map(|e| canonical::from_slice(&canonical::to_vec(e).unwrap()).unwrap())
        .collect();
    let a = replay::<Escalation>(&events).unwrap();
    let b = replay::<Escalation>(&decoded).unwrap();
    assert_eq!(a, b);
    assert!(a.unwrap().is_closed());
}

/// The encoding of this event is pinned: if this test fails, the stored, sent and signed
/// form changed, which needs a new EVENT_VERSION and a migration, not a new expected string.
#[test]
fn the_encoding_of_a_sample_event_is_pinned() {
    let e = Event::new(
        day(0),
        Actor::person("anna", Role::Professional, oin(LT)),
        EscalationEvent::StepInvoked {
            step: Step::Management,
            participants: vec![part("anna", Role::Professional, LT)],
            joining: vec![org(GEM)],
            reason: "Wachtlijst: 8 weken — \"te lang\"".into(),
            pickup_deadline: day(14),
        },
    );
    let s = canonical::to_string(&e).unwrap();
    assert_eq!(
        s,
        r#"{"at":"2026-11-02T09:00:00Z","body":{"joining":[{"kind":"municipality","oin":"00000001000000000040"}],"participants":[{"name":"Naam van anna","org":"00000001000000000010","person":"anna","role":"professional"}],"pickup_deadline":"2026-11-16T09:00:00Z","reason":"Wachtlijst: 8 weken — \"te lang\"","step":"management","type":"step_invoked"},"by":{"kind":"person","org":"00000001000000000010","person":"anna","role":"professional"},"v":1}"#
    );
    assert_eq!(
        canonical::sha256_hex(s.as_bytes()).len(),
        64,
        "a hash of the canonical bytes is what gets signed"
    );
}

#[test]
fn keys_are_sorted_and_whitespace_free_whatever_the_input_order() {
    let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"d":[1,2],"c":"x"}}"#).unwrap();
    assert_eq!(
        canonical::to_string(&a).unwrap(),
        r#"{"a":{"c":"x","d":[1,2]},"b":1}"#
    );
}

#[test]
fn unknown_versions_and_unknown_fields_are_refused() {
    let mut events = ladder_events();
    events[1].v = 2;
    let err = replay::<Escalation>(&events).unwrap_err();
    assert_eq!(err, ReplayError::UnsupportedVersion(2));

    let s = canonical::to_string(&ladder_events()[0]).unwrap();
    let tampered = s.replacen("{", r#"{"extra":true,"#, 1);
    assert!(canonical::from_slice::<Event<EscalationEvent>>(tampered.as_bytes()).is_err());
}

#[test]
fn a_log_that_does_not_start_with_opening_is_inconsistent() {
    let events = ladder_events();
    let err = replay::<Escalation>(&events[1..]).unwrap_err();
    assert!(matches!(err, ReplayError::NotACreation(_)));
    // a step can never be appended after closing
    let mut more = events.clone();
    more.push(events[2].clone());
    assert!(replay::<Escalation>(&more).is_err());
}

#[test]
fn the_codes_of_situations_are_their_wire_form() {
    for s in doorbraak_model::Situation::ALL {
        assert_eq!(
            serde_json::to_value(s).ok(),
            Some(serde_json::Value::String(s.code().into()))
        );
    }
}
