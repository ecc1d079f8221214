//! Property tests over random command sequences: replaying the log rebuilds the same state,
//! a closed escalation or kwestie never changes, steps never go back, final minutes never
//! change, and `decide` is deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::kwestie::{Consulted, KwestieRoute, Preparation};
use doorbraak_model::minutes::content_hash;
use doorbraak_model::*;
use proptest::prelude::*;

fn actors() -> Vec<Actor> {
    vec![
        prof_lt(),
        prof_vt(),
        gw_lt(),
        gw_vt(),
        tm_lt(),
        dir_lt(),
        dir_vt(),
        actor("hans", Role::BoardMember, LT),
        actor("joost", Role::CivilServant, GEM),
        Actor::system(oin(LT)),
        actor("otto", Role::Director, GI),
    ]
}

fn escalation_commands() -> Vec<C> {
    let mut v = Vec::new();
    for s in Situation::ALL {
        for st in Step::ALL {
            v.push(open_cmd(s, st));
        }
    }
    v.push(C::InvokeStep {
        step: Step::Management,
        participants: vec![
            part("eva", Role::TeamManager, LT),
            part("gerda", Role::Director, VT),
        ],
        joining: vec![],
        reason: String::new(),
    });
    v.push(C::InvokeStep {
        step: Step::Administrative,
        participants: vec![
            part("hans", Role::BoardMember, LT),
            part("joost", Role::CivilServant, GEM),
        ],
        joining: vec![org(GEM)],
        reason: "Beleid schiet tekort".into(),
    });
    v.push(C::PickUp { name: None });
    v.push(C::AddParticipant {
        participant: part("daan", Role::BehaviouralScientist, VT),
    });
    for st in Step::ALL {
        v.push(C::RecordFamilyInformed {
            step: st,
            informed: family_before(0),
        });
    }
    v.push(C::RecordOutcome {
        outcome: StepOutcome::Resolved {
            summary: "ok".into(),
        },
    });
    v.push(C::RecordOutcome {
        outcome: StepOutcome::Unresolved {
            summary: "niet".into(),
        },
    });
    v.push(C::RecordOutcome {
        outcome: StepOutcome::Unresolved {
            summary: "niet".into(),
        },
    });
    for s in Situation::ALL {
        v.push(C::ChangeSituation {
            to: s,
            reason: "nieuw inzicht".into(),
        });
    }
    v.push(C::MarkOverdue);
    v.push(C::Close {
        classification: classification(),
    });
    v
}

/// (command index, actor index, hours to advance)
fn script() -> impl Strategy<Value = Vec<(usize, usize, i64)>> {
    prop::collection::vec((0usize..64, 0usize..64, 0i64..400), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn escalation_invariants(script in script()) {
        let cmds = escalation_commands();
        let actors = actors();
        let mut now = day(0);
        let mut state: Option<Escalation> = None;
        let mut log: Vec<Event<EscalationEvent>> = Vec::new();
        // bias: start with an opening so most runs get somewhere
        let first = Escalation::execute(None, &cmds[3], &prof_lt(), now).map(|(s, e)| { state = Some(s); log.extend(e); });
        prop_assert!(first.is_ok() || state.is_none());
        for (ci, ai, hours) in script {
            let cmd = &cmds[ci % cmds.len()];
            let by = &actors[ai % actors.len()];
            now = now.checked_add(jiff::SignedDuration::from_hours(hours)).unwrap();
            let d1 = Escalation::decide(state.as_ref(), cmd, by, now);
            let d2 = Escalation::decide(state.as_ref(), cmd, by, now);
            prop_assert_eq!(&d1, &d2, "decide is deterministic");
            let was_closed = state.as_ref().is_some_and(Escalation::is_closed);
            let before_step = state.as_ref().and_then(Escalation::current_step);
            let before_steps: Vec<Step> = state.as_ref().map(|s| s.steps.iter().map(|r| r.step).collect()).unwrap_or_default();
            if let Ok(events) = d1 {
                prop_assert!(!was_closed, "a closed escalation accepted {:?}", cmd);
                for e in &events {
                    state = Some(Escalation::apply(state.take(), e).unwrap());
                }
                log.extend(events);
            }
            let after = state.as_ref();
            if let (Some(b), Some(a)) = (before_step, after.and_then(Escalation::current_step)) {
                prop_assert!(a >= b, "steps never go back");
            }
            if let Some(a) = after {
                let now_steps: Vec<Step> = a.steps.iter().map(|r| r.step).collect();
                prop_assert!(now_steps.starts_with(&before_steps), "earlier steps stay as they were");
                prop_assert!(now_steps.windows(2).all(|w| w[0] < w[1]), "steps strictly ascend");
            }
            // replaying the whole log rebuilds the same state
            let replayed = replay::<Escalation>(&log).unwrap();
            prop_assert_eq!(&replayed, &state);
        }
        // and so does replaying the canonical bytes
        let decoded: Vec<Event<EscalationEvent>> = log
            .iter()
            .map(|e| canonical::from_slice(&canonical::to_vec(e).unwrap()).unwrap())
            .collect();
        prop_assert_eq!(replay::<Escalation>(&decoded).unwrap(), state.clone());
        let json = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(serde_json::from_str::<Option<Escalation>>(&json).unwrap(), state.clone());
        // erasing the log (a destruction) leaves no text or name, and keeps what is counted
        if let Some(before) = state {
            let mut stored: Vec<StoredEvent<EscalationEvent>> = log
                .iter()
                .enumerate()
                .map(|(i, e)| StoredEvent { seq: i as i64 + 1, event_id: uuid::Uuid::from_u128(i as u128), event: e.clone() })
                .collect();
            let erased = stream::erase_log::<Escalation>(&mut stored).unwrap().unwrap();
            for e in &stored {
                for (field, text) in EscalationEvent::free_text(&e.event.body) {
                    prop_assert!(text.is_empty(), "{} kept '{}'", field, text);
                }
            }
            prop_assert!(erased.steps.iter().flat_map(|s| &s.participants).all(|p| p.name.is_empty()));
            prop_assert_eq!(erased.steps.len(), before.steps.len());
            prop_assert_eq!(erased.situation, before.situation);
            prop_assert_eq!(erased.closed_at(), before.closed_at());
            prop_assert_eq!(erased.is_overdue(now), before.is_overdue(now));
            prop_assert_eq!(
                erased.steps.iter().map(|s| (s.step, s.invoked_at, s.picked_up.clone(), s.overdue_since, s.outcome.as_ref().map(|(o, t)| (o.is_resolved(), *t)))).collect::<Vec<_>>(),
                before.steps.iter().map(|s| (s.step, s.invoked_at, s.picked_up.clone(), s.overdue_since, s.outcome.as_ref().map(|(o, t)| (o.is_resolved(), *t)))).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn kwestie_invariants(script in script()) {
        let actors = actors();
        let cmds = [
            KwestieCommand::Raise {
                id: KwestieId(uuid::Uuid::from_u128(1)),
                case_ref: None,
                obstacle: "Te weinig gezinsmanagers".into(),
                categories: BTreeSet::from([KwestieCategory::TooFewFamilyManagers]),
                preparation: Preparation {
                    own_reach_done: true,
                    discussed_with: BTreeSet::from([Consulted::TeamManager]),
                    knows_what_and_whom: true,
                },
                child_needs: String::new(),
                facilities_needed: String::new(),
                route: KwestieRoute { to_team_manager: true, on_team_agenda: false },
                policy: DeadlinePolicy::default(),
            },
            KwestieCommand::PickUp,
            KwestieCommand::MarkOverdue,
            KwestieCommand::EscalateToBoard { co_signer: PersonId::new("eva"), co_signer_role: Role::TeamManager },
            KwestieCommand::EscalateToBoard { co_signer: PersonId::new("anna"), co_signer_role: Role::Professional },
            KwestieCommand::Resolve {
                solution: "Extra formatie".into(),
                scope: SolutionScope::Structural,
                solved_for_family: true,
                classification: classification(),
            },
        ];
        let mut now = day(0);
        let mut state: Option<Kwestie> = None;
        let mut log = Vec::new();
        for (ci, ai, hours) in script {
            let cmd = &cmds[ci % cmds.len()];
            let by = &actors[ai % actors.len()];
            now = now.checked_add(jiff::SignedDuration::from_hours(hours)).unwrap();
            let d = Kwestie::decide(state.as_ref(), cmd, by, now);
            prop_assert_eq!(&d, &Kwestie::decide(state.as_ref(), cmd, by, now));
            let was_closed = state.as_ref().is_some_and(Kwestie::is_closed);
            if let Ok(events) = d {
                prop_assert!(!was_closed, "a closed kwestie accepted {:?}", cmd);
                for e in &events {
                    state = Some(Kwestie::apply(state.take(), e).unwrap());
                }
                log.extend(events);
            }
            prop_assert_eq!(&replay::<Kwestie>(&log).unwrap(), &state);
        }
        let json = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(serde_json::from_str::<Option<Kwestie>>(&json).unwrap(), state);
    }

    #[test]
    fn final_minutes_never_change(script in prop::collection::vec((0usize..16, 0usize..16), 1..60)) {
        let people = [tm_lt(), dir_vt(), actor("ilse", Role::CivilServant, GEM), actor("otto", Role::Director, GI)];
        let meeting = Meeting {
            id: MeetingId(uuid::Uuid::from_u128(7)),
            escalation: esc_id(),
            step: Step::Management,
            date: day(3),
            participants: vec![
                part("eva", Role::TeamManager, LT),
                part("gerda", Role::Director, VT),
                part("ilse", Role::CivilServant, GEM),
            ],
            agenda: "Wachtlijst".into(),
        };
        let mut state = Some(ok::<Minutes>(None, MinutesCommand::Schedule { id: minutes_id(), meeting, policy: DeadlinePolicy::default() }, &people[0], day(3)));
        let mut log: Vec<Event<MinutesEvent>> = Vec::new();
        let mut frozen: Option<(u32, String)> = None;
        for (i, (ci, ai)) in script.into_iter().enumerate() {
            let m = state.as_ref().unwrap();
            let target = if ci % 2 == 1 && !m.addenda.is_empty() { DocTarget::Addendum(1) } else { DocTarget::Main };
            let cur = m.doc(target).map(|d| (d.current_number(), d.current().map(|r| r.content_hash.clone()).unwrap_or_default()));
            let (rev, hash) = cur.unwrap_or((1, String::new()));
            let cmd = match ci % 8 {
                0 => MinutesCommand::Draft { content: format!("Concept {i}") },
                1 => MinutesCommand::Revise { target, content: format!("Versie {i}") },
                2 => MinutesCommand::Circulate { target },
                3 | 4 => MinutesCommand::Approve { target, revision: rev, content_hash: hash, signature: None },
                5 => MinutesCommand::Approve { target, revision: rev.saturating_sub(1).max(1), content_hash: content_hash("oud"), signature: None },
                6 => MinutesCommand::RequestChanges { target, revision: rev, comment: "graag aanpassen".into() },
                _ => MinutesCommand::AddAddendum { content: format!("Addendum {i}") },
            };
            let by = &people[ai % people.len()];
            let now = day(4);
            let d = Minutes::decide(state.as_ref(), &cmd, by, now);
            prop_assert_eq!(&d, &Minutes::decide(state.as_ref(), &cmd, by, now));
            if let Ok(events) = d {
                for e in &events {
                    state = Some(Minutes::apply(state.take(), e).unwrap());
                }
                log.extend(events);
            }
            let main = state.as_ref().unwrap().main.as_ref();
            if let Some(doc) = main.filter(|d| d.is_final()) {
                let text = doc.final_text().unwrap();
                let now_final = (text.number, text.content.clone());
                if let Some(f) = &frozen {
                    prop_assert_eq!(f, &now_final, "final minutes never change");
                }
                // every participant approved exactly the final revision
                prop_assert!(doc.approvals.iter().all(|a| a.revision == text.number && a.content_hash == text.content_hash));
                prop_assert_eq!(doc.approvals.len(), 3);
                frozen = Some(now_final);
            }
        }
        let mut replayed = Some(ok::<Minutes>(None, MinutesCommand::Schedule { id: minutes_id(), meeting: state.as_ref().unwrap().meeting.clone(), policy: DeadlinePolicy::default() }, &people[0], day(3)));
        for e in &log {
            replayed = Some(Minutes::apply(replayed.take(), e).unwrap());
        }
        // the state (what projections store) survives JSON
        let json = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(serde_json::from_str::<Option<Minutes>>(&json).unwrap(), state.clone());
        prop_assert_eq!(replayed, state);
    }
}
