//! A replica's acceptance of its home's deliveries (`doorbraak_model::acceptance`): every rule
//! from both sides, and property tests over random deliveries — overlap, replay, gaps,
//! divergence, forged homes, kinds, times and numbers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::acceptance::{Receipt, Receiver, Refused, Verdict, accept};
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;
use proptest::prelude::*;
use uuid::Uuid;

/// The directory: every organisation of the fixtures with its real kind.
fn directory(o: &Oin) -> Option<OrgKind> {
    [LT, VT, GI, GEM]
        .into_iter()
        .find(|s| oin(s) == *o)
        .map(|s| org(s).kind)
}

/// The home's log of an escalation at the local team with Veilig Thuis: opened, picked up,
/// family informed, ended, and a step 3 with the municipality's civil servant.
fn home_log() -> Vec<StoredEvent<EscalationEvent>> {
    let mut state: Option<Escalation> = None;
    let mut log = Vec::new();
    let mut run = |cmd: C, by: Actor, d: i64, state: &mut Option<Escalation>| {
        let (next, events) = Escalation::execute(state.as_ref(), &cmd, &by, day(d))
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        for event in events {
            let seq = log.len() as i64 + 1;
            log.push(StoredEvent {
                seq,
                event_id: Uuid::from_u128(0xE000 + seq as u128),
                event,
            });
        }
        *state = Some(next);
    };
    run(
        open_cmd(Situation::AgreementsNotKept, Step::Management),
        prof_lt(),
        0,
        &mut state,
    );
    run(
        C::PickUp { name: None },
        actor("vera", Role::TeamManager, VT),
        1,
        &mut state,
    );
    run(
        C::RecordFamilyInformed {
            step: Step::Management,
            informed: family_before(1),
        },
        prof_lt(),
        1,
        &mut state,
    );
    log
}

/// A stream of the GI with Veilig Thuis, opened by the GI's professional, its home declared as
/// `kind`: its id and events.
fn gi_log(kind: OrgKind) -> (String, Vec<StoredEvent<EscalationEvent>>) {
    let gi_id = EscalationId(stream_uuid(&oin(GI), Uuid::from_u128(0x61)));
    let mut cmd = open_cmd(Situation::AgreementsNotKept, Step::Management);
    if let C::Open {
        id,
        home,
        participants,
        ..
    } = &mut cmd
    {
        *id = gi_id;
        *home = OrgRef { oin: oin(GI), kind };
        participants.clear();
    }
    let gina = actor("gina", Role::Professional, GI);
    let (_, events) = Escalation::execute(None, &cmd, &gina, day(0)).unwrap();
    let honest: Vec<_> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            seq: i as i64 + 1,
            event_id: Uuid::from_u128(0x6100 + i as u128),
            event,
        })
        .collect();
    (gi_id.0.to_string(), honest)
}

fn receiver(now: Timestamp) -> Receiver<'static, fn(&Oin) -> Option<OrgKind>> {
    static VT_OIN: std::sync::OnceLock<Oin> = std::sync::OnceLock::new();
    static MEMBERS: fn(&Oin) -> Option<OrgKind> = directory;
    Receiver {
        me: VT_OIN.get_or_init(|| oin(VT)),
        now,
        max_skew: jiff::SignedDuration::from_secs(300),
        members: &MEMBERS,
    }
}

/// What Veilig Thuis holds of the stream: state, version and event ids.
#[derive(Clone, Default)]
struct Replica {
    state: Option<Escalation>,
    log: Vec<StoredEvent<EscalationEvent>>,
}

impl Replica {
    fn version(&self) -> i64 {
        self.log.len() as i64
    }

    /// Offer `events` as sent by `from`; on Apply the replica keeps them.
    fn offer(
        &mut self,
        id: &str,
        events: &[StoredEvent<EscalationEvent>],
        from: &str,
    ) -> Result<Verdict, Refused> {
        let held_log = self.log.clone();
        let (verdict, next) = accept::<Escalation, _>(
            self.state.clone(),
            self.version(),
            |seq| {
                held_log
                    .get(usize::try_from(seq - 1).ok()?)
                    .map(|e| e.event_id)
            },
            &Receipt {
                stream_id: id,
                events,
            },
            &oin(from),
            &receiver(day(30)),
            |_, _, _| {},
        )?;
        if let Verdict::Apply { from } = verdict {
            self.log.extend(events[from..].iter().cloned());
            self.state = next;
        }
        Ok(verdict)
    }
}

fn id() -> String {
    esc_id().0.to_string()
}

fn rule(r: Result<Verdict, Refused>) -> String {
    match r {
        Err(Refused::Rule(v)) => {
            assert!(!v.message_nl().is_empty() && !v.message_en().is_empty());
            v.rule().to_owned()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_homes_log_is_accepted_whole_or_in_parts_and_a_replay_is_skipped() {
    let log = home_log();
    let mut r = Replica::default();
    assert_eq!(
        r.offer(&id(), &log[..2], LT).unwrap(),
        Verdict::Apply { from: 0 }
    );
    assert_eq!(
        r.offer(&id(), &log, LT).unwrap(),
        Verdict::Apply { from: 2 }
    );
    assert_eq!(r.offer(&id(), &log, LT).unwrap(), Verdict::Skip);
    assert_eq!(r.version(), log.len() as i64);
}

#[test]
fn an_empty_message_is_refused_and_changes_nothing() {
    let mut r = Replica::default();
    assert_eq!(rule(r.offer(&id(), &[], LT)), "federation.empty_message");
    // a stream of another home, empty: refused on the id before anything else
    assert_eq!(
        rule(r.offer(&id(), &[], GI)),
        "federation.stream_id_of_home"
    );
    assert!(r.state.is_none());
}

#[test]
fn events_are_numbered_from_one_without_holes() {
    let log = home_log();
    let mut r = Replica::default();
    for start in [-1, 0] {
        let mut forged = log.clone();
        for (i, e) in forged.iter_mut().enumerate() {
            e.seq = start + i as i64;
        }
        assert_eq!(
            rule(r.offer(&id(), &forged, LT)),
            "federation.sequence_from_one"
        );
    }
    let mut holed = log.clone();
    holed[2].seq = 7;
    assert_eq!(
        rule(r.offer(&id(), &holed, LT)),
        "federation.sequence_contiguous"
    );
    assert!(r.state.is_none());
    // the real events, afterwards, are applied: nothing was lost to the forged ones
    assert_eq!(
        r.offer(&id(), &log, LT).unwrap(),
        Verdict::Apply { from: 0 }
    );
}

#[test]
fn a_gap_is_named_with_what_is_held_and_what_came() {
    let log = home_log();
    let mut r = Replica::default();
    r.offer(&id(), &log[..1], LT).unwrap();
    assert_eq!(
        r.offer(&id(), &log[3..], LT).unwrap(),
        Verdict::Gap { have: 1, got: 4 }
    );
}

#[test]
fn an_overlapping_event_with_another_id_is_a_divergence() {
    let log = home_log();
    let mut r = Replica::default();
    r.offer(&id(), &log[..3], LT).unwrap();
    let mut other = log.clone();
    other[1].event_id = Uuid::from_u128(0xBAD);
    assert_eq!(
        r.offer(&id(), &other, LT).unwrap(),
        Verdict::Divergence {
            seq: 2,
            local: log[1].event_id,
            home: Uuid::from_u128(0xBAD)
        }
    );
    assert_eq!(r.version(), 3);
}

#[test]
fn only_the_home_delivers_its_stream() {
    let log = home_log();
    let mut r = Replica::default();
    // the GI delivers the local team's stream
    assert_eq!(
        rule(r.offer(&id(), &log, GI)),
        "federation.stream_id_of_home"
    );
    // a stream held here under the local team, delivered by the GI under the GI's own id
    r.offer(&id(), &log, LT).unwrap();
    let gi_id = stream_uuid(&oin(GI), Uuid::from_u128(0xE5C)).to_string();
    let mut held = r.clone();
    assert_eq!(rule(held.offer(&gi_id, &log, GI)), "federation.not_home");
    // the GI's own stream, delivered under another of its ids
    let (gi_stream, gi_events) = gi_log(OrgKind::CertifiedInstitution);
    let other = stream_uuid(&oin(GI), Uuid::from_u128(0x62 << 64)).to_string();
    let mut held = Replica::default();
    assert_eq!(
        rule(held.offer(&other, &gi_events, GI)),
        "federation.stream_id_mismatch"
    );
    assert_eq!(
        held.offer(&gi_stream, &gi_events, GI).unwrap(),
        Verdict::Apply { from: 0 }
    );
}

#[test]
fn an_organisation_kind_comes_from_the_directory() {
    // the GI opens its own stream, says its home is a municipality and its actor an alderman
    let (gi_id, honest) = gi_log(OrgKind::CertifiedInstitution);
    let gina = actor("gina", Role::Professional, GI);
    // forged: the home a municipality, the actor an alderman of the GI
    let mut stored = honest.clone();
    for e in &mut stored {
        e.event.by = actor("wim", Role::Alderman, GI);
        if let EscalationEvent::Opened { home, .. } = &mut e.event.body {
            home.kind = OrgKind::Municipality;
        }
    }
    let mut r = Replica::default();
    // the alderman is refused first: the directory says the GI is a certified institution
    assert_eq!(
        rule(r.offer(&gi_id, &stored, GI)),
        "access.role_not_at_org_kind"
    );
    // by its own professional, the forged kind of the home is refused
    let mut by_prof = stored.clone();
    for e in &mut by_prof {
        e.event.by = gina.clone();
    }
    assert_eq!(
        rule(r.offer(&gi_id, &by_prof, GI)),
        "federation.kind_not_in_directory"
    );
    // honest: the GI as a certified institution, by its professional
    assert_eq!(
        r.offer(&gi_id, &honest, GI).unwrap(),
        Verdict::Apply { from: 0 }
    );
}

#[test]
fn an_organisation_outside_the_directory_is_refused() {
    let log = home_log();
    let mut forged = log.clone();
    forged[1].event.by = actor("x", Role::TeamManager, "00000001000000000099");
    let mut r = Replica::default();
    assert_eq!(
        rule(r.offer(&id(), &forged, LT)),
        "federation.not_in_directory"
    );
}

#[test]
fn participants_are_named_only_in_roles_their_organisation_has() {
    let log = home_log();
    let mut forged = log.clone();
    // the first step names Veilig Thuis' person as an alderman
    let invoked = forged
        .iter_mut()
        .find_map(|e| match &mut e.event.body {
            EscalationEvent::StepInvoked { participants, .. } => Some(participants),
            _ => None,
        })
        .unwrap();
    invoked.push(part("vera", Role::Alderman, VT));
    let mut r = Replica::default();
    assert_eq!(
        rule(r.offer(&id(), &forged, LT)),
        "access.role_not_at_org_kind"
    );
    assert_eq!(
        r.offer(&id(), &log, LT).unwrap(),
        Verdict::Apply { from: 0 }
    );
}

#[test]
fn an_event_dated_beyond_the_tolerated_skew_is_refused() {
    let log = home_log();
    let mut r = Replica::default();
    let now = day(30);
    for (ahead, accepted) in [(299, true), (301, false), (31_536_000 * 973, false)] {
        let mut dated = log[..1].to_vec();
        dated[0].event.at = now
            .checked_add(jiff::SignedDuration::from_secs(ahead))
            .unwrap();
        let got = accept::<Escalation, _>(
            None,
            0,
            |_| None,
            &Receipt {
                stream_id: &id(),
                events: &dated,
            },
            &oin(LT),
            &receiver(now),
            |_, _, _| {},
        );
        if accepted {
            assert!(matches!(got, Ok((Verdict::Apply { .. }, _))), "{got:?}");
        } else {
            match got {
                Err(Refused::Rule(v)) => assert_eq!(v.rule(), "federation.event_in_future"),
                other => panic!("{other:?}"),
            }
        }
    }
    // what already happened (long ago) is fine
    assert_eq!(
        r.offer(&id(), &log, LT).unwrap(),
        Verdict::Apply { from: 0 }
    );
}

#[test]
fn a_node_that_is_not_a_party_accepts_nothing() {
    let log = home_log();
    let gi = oin(GI);
    let members: fn(&Oin) -> Option<OrgKind> = directory;
    let got = accept::<Escalation, _>(
        None,
        0,
        |_| None,
        &Receipt {
            stream_id: &id(),
            events: &log,
        },
        &oin(LT),
        &Receiver {
            me: &gi,
            now: day(30),
            max_skew: jiff::SignedDuration::from_secs(300),
            members: &members,
        },
        |_, _, _| {},
    );
    assert!(
        matches!(&got, Err(Refused::Rule(v)) if v.rule() == "access.not_a_party"),
        "{got:?}"
    );
}

#[test]
fn a_bsn_in_a_held_event_is_refused_too() {
    let log = home_log();
    let mut r = Replica::default();
    r.offer(&id(), &log, LT).unwrap();
    let mut replay = log.clone();
    if let EscalationEvent::Opened { question, .. } = &mut replay[0].event.body {
        *question = "BSN 123456782".into();
    }
    assert_eq!(rule(r.offer(&id(), &replay, LT)), "privacy.no_bsn");
}

/// A delivery a test can make: an honest slice of the home's log, or that slice forged.
#[derive(Debug, Clone)]
enum Offer {
    Honest { from: usize, to: usize },
    ByOther { from: usize, to: usize },
    Renumbered { from: usize, to: usize, shift: i64 },
    OtherId { from: usize, to: usize, at: usize },
    Future { from: usize, to: usize, at: usize },
}

fn offer() -> impl Strategy<Value = Offer> {
    let range = (0usize..4, 0usize..4).prop_map(|(a, b)| (a.min(b), a.max(b) + 1));
    prop_oneof![
        4 => range.clone().prop_map(|(from, to)| Offer::Honest { from, to }),
        1 => range.clone().prop_map(|(from, to)| Offer::ByOther { from, to }),
        1 => (range.clone(), -3i64..0).prop_map(|((from, to), shift)| Offer::Renumbered { from, to, shift }),
        1 => (range.clone(), 0usize..4).prop_map(|((from, to), at)| Offer::OtherId { from, to, at }),
        1 => (range, 0usize..4).prop_map(|((from, to), at)| Offer::Future { from, to, at }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever arrives in whatever order, a replica never holds anything but a prefix of the
    /// home's log, forged deliveries change nothing, and once the whole log has come (honestly)
    /// the replica equals the home.
    #[test]
    fn random_deliveries_never_leave_a_replica_other_than_a_prefix_of_the_home(
        offers in proptest::collection::vec(offer(), 1..24)
    ) {
        let log = home_log();
        let n = log.len();
        let mut r = Replica::default();
        for o in offers {
            let before = r.version();
            let held_before = r.log.clone();
            let slice = |from: usize, to: usize| log[from.min(n - 1)..to.min(n)].to_vec();
            let (events, sender, forged) = match o {
                Offer::Honest { from, to } => (slice(from, to), LT, false),
                Offer::ByOther { from, to } => (slice(from, to), GI, true),
                Offer::Renumbered { from, to, shift } => {
                    let mut e = slice(from, to);
                    let first = e[0].seq;
                    for (i, ev) in e.iter_mut().enumerate() {
                        ev.seq = shift + i as i64;
                    }
                    // renumbered to start at or below 0
                    prop_assert!(first >= 1);
                    (e, LT, true)
                }
                Offer::OtherId { from, to, at } => {
                    let mut e = slice(from, to);
                    let k = at.min(e.len() - 1);
                    e[k].event_id = Uuid::from_u128(0xF00 + k as u128);
                    (e, LT, true)
                }
                Offer::Future { from, to, at } => {
                    let mut e = slice(from, to);
                    let k = at.min(e.len() - 1);
                    e[k].event.at = day(400);
                    (e, LT, true)
                }
            };
            let took_forged_id = r.log.iter().zip(&log).any(|(a, b)| a.event_id != b.event_id);
            let got = r.offer(&id(), &events, sender);
            match &got {
                Err(_) => {
                    prop_assert!(forged, "an honest delivery was refused: {:?}", got);
                    prop_assert_eq!(r.version(), before);
                }
                Ok(Verdict::Skip | Verdict::Gap { .. }) => prop_assert_eq!(r.version(), before),
                Ok(Verdict::Divergence { .. }) => {
                    prop_assert!(forged || took_forged_id);
                    prop_assert_eq!(r.version(), before);
                }
                Ok(Verdict::Apply { .. }) => {
                    prop_assert!(r.version() > before);
                    // a forged id beyond what is held is new to this replica: it is the
                    // home's word until the home says otherwise (a divergence later); no other
                    // forgery gets in
                    prop_assert!(events.iter().all(|e| e.event.at < day(400) && e.seq >= 1));
                    prop_assert!(sender == LT);
                }
            }
            // never anything but a prefix of the home's log, by number
            for (i, e) in r.log.iter().enumerate() {
                prop_assert_eq!(e.seq, i as i64 + 1);
            }
            // and what was held is never changed by what arrives
            prop_assert!(r.log.iter().zip(&held_before).all(|(a, b)| a.event_id == b.event_id));
        }
        // honestly, the whole log: either it converges, or a forged id it took is named
        let mut fresh = Replica::default();
        prop_assert_eq!(fresh.offer(&id(), &log, LT).unwrap(), Verdict::Apply { from: 0 });
        match r.offer(&id(), &log, LT).unwrap() {
            Verdict::Divergence { .. } => {
                prop_assert!(r.log.iter().zip(&log).any(|(a, b)| a.event_id != b.event_id));
            }
            _ => {
                prop_assert_eq!(r.version(), n as i64);
                prop_assert_eq!(&r.state, &fresh.state);
            }
        }
    }
}
