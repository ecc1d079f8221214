//! What every stream shares: its kind, and an id that names its home.
//!
//! One writer per stream: the organisation that opened an escalation (or scheduled a meeting)
//! is its home, and only its node appends. A stream's id carries a tag derived from the home's
//! OIN, so that any node can tell from the id alone which organisation's node is its home. A
//! party that delivers a stream under an id whose tag is not its own is refused: nobody can
//! pre-empt another home's stream id (see `docs/SECURITY.md`).
//!
//! The id stays a UUIDv7 (time-ordered, 74 random bits): the tag replaces the last 32 of its
//! random bits, which leaves 42 random bits per millisecond per home.

use uuid::Uuid;

use crate::identity::Oin;
pub use crate::vocabulary::{StreamKind, UnknownStreamKind};

/// An aggregate kept as a stream: what kind it is, whose node is its home (the one writer),
/// which organisations are party to it (they receive its events), and which of its events'
/// fields are free text (checked for BSN-shaped numbers before anything is stored or sent).
pub trait Streamed: crate::Aggregate {
    const KIND: StreamKind;
    /// The stream id (a UUID in text form).
    fn stream_id(&self) -> String;
    /// Organisations that are party to this stream: they receive its events.
    fn parties(&self) -> Vec<Oin>;
    /// The organisation whose node keeps the authoritative log (the one writer).
    fn home(&self) -> Oin;
    /// Free text of an event, by field.
    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)>;
    /// Whether this person (of this organisation) takes part in the stream (a step of an
    /// escalation, a meeting): the roles that see case content only where they take part ask
    /// this.
    fn involves(&self, _person: &crate::PersonId, _org: &Oin) -> bool {
        false
    }
    /// The kind of a party organisation, where the stream records it.
    fn org_kind(&self, _org: &Oin) -> Option<crate::OrgKind> {
        None
    }
    /// Every organisation the stream names with a kind, as it names it (a receiver holds it
    /// against the directory: see [`crate::acceptance`]).
    fn declared_kinds(&self) -> Vec<(Oin, crate::OrgKind)> {
        Vec::new()
    }
    /// Every role the stream gives a person of an organisation (the participants of a step or
    /// a meeting).
    fn roles_named(&self) -> Vec<(Oin, crate::Role)> {
        Vec::new()
    }

    /// What it adds to its home's figures (see [`crate::figures`]): counted by the home's store
    /// in the transaction that stores its state.
    fn facts(&self) -> Vec<crate::figures::Fact> {
        Vec::new()
    }
    /// Its records part (legal hold, destruction), for the kinds kept as records.
    fn records(&self) -> Option<&crate::records::Records> {
        None
    }
    /// Where it stands, as lists show and filter it (see [`crate::status`]).
    fn list_status(&self) -> crate::Status;
    /// When it closed (its retention term counts from then).
    fn closed_at(&self) -> Option<crate::Timestamp> {
        None
    }
    /// The cases it is about (the data subjects, by their pseudonymous reference).
    fn case_refs(&self) -> Vec<crate::CaseRef> {
        Vec::new()
    }
    /// The escalation it belongs to (a meeting's), whose case it is then also about.
    fn linked_escalation(&self) -> Option<String> {
        None
    }
    /// Erase the free text and names of an event (a destruction; see [`crate::records`]).
    fn redact(_body: &mut Self::Body) {}
    /// Does this event destroy the record?
    fn is_destruction(_body: &Self::Body) -> bool {
        false
    }
    /// Does this event correct shared free text?
    fn is_correction(_body: &Self::Body) -> bool {
        false
    }
    /// Carry every correction back into the event that first held the text, so that the old
    /// text is no longer held (nor shown) anywhere.
    fn carry_corrections(_events: &mut [crate::StoredEvent<Self::Body>]) {}
    /// Is this event a party's node confirming it destroyed its replica (the one event a
    /// party's node, not a person, is the author of)?
    fn is_confirmation(_body: &Self::Body) -> bool {
        false
    }

    /// What a party checks of every event it receives from the stream's `home` before it
    /// stores it, with the state `after` the event. The home decided the event
    /// under these rules; a receiver never relies on that:
    /// - who acted is the home, or a party before the event (a creation is the home's): nobody
    ///   attributes an event to an organisation outside the stream (`federation.actor_not_a_party`);
    ///   the node itself (the deadline sweeper) acts only at the home;
    /// - a person acts in a role that exists at their kind of organisation
    ///   (`access.role_not_at_org_kind`);
    /// - no free text holds a BSN-shaped number (`privacy.no_bsn`).
    ///
    /// `parties_before` are the stream's parties before the event (`None`: it creates the
    /// stream).
    fn check_received(
        parties_before: Option<&[Oin]>,
        after: &Self,
        event: &crate::Event<Self::Body>,
        home: &Oin,
    ) -> Result<(), crate::RuleViolation> {
        let by = event.by.org();
        let party = parties_before.is_some_and(|p| p.contains(by));
        let may_act = by == home
            || (matches!(event.by, crate::Actor::Person { .. }) && party)
            || (party && Self::is_confirmation(&event.body));
        if !may_act {
            return Err(crate::RuleViolation::ActorNotAParty);
        }
        if let crate::Actor::Person { role, .. } = &event.by
            && let Some(kind) = after.org_kind(by)
            && !role.exists_at(kind)
        {
            return Err(crate::RuleViolation::RoleNotAtOrgKind { role: *role, kind });
        }
        crate::privacy::check_free_text(Self::free_text(&event.body))
    }
}

/// The 32-bit tag of a home: the first four bytes of SHA-256 over a fixed label and the OIN.
fn home_tag(home: &Oin) -> [u8; 4] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"doorbraak/stream-home/v1:");
    h.update(home.as_str().as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The id of a new stream at `home`, made from a fresh UUID (the caller's clock and randomness:
/// this crate reads neither). The version and variant bits of `fresh` are kept; its last four
/// bytes become the home's tag.
pub fn stream_uuid(home: &Oin, fresh: Uuid) -> Uuid {
    let mut b = *fresh.as_bytes();
    b[12..16].copy_from_slice(&home_tag(home));
    Uuid::from_bytes(b)
}

/// Does this stream id name `home` as its home?
pub fn is_of_home(id: &Uuid, home: &Oin) -> bool {
    id.as_bytes()[12..16] == home_tag(home)
}

/// The home among `candidates` that this stream id names, if any.
pub fn home_among<'a>(id: &Uuid, candidates: impl IntoIterator<Item = &'a Oin>) -> Option<&'a Oin> {
    candidates.into_iter().find(|o| is_of_home(id, o))
}

/// A UUID that is a pure function of `label` and `parts` (SHA-256 based, version 8): the same
/// request id for every retry of one keyed command, the same stream id for every retry of one
/// keyed opening. Parts are separated unambiguously (length-prefixed).
pub fn derived_uuid(label: &str, parts: &[&str]) -> Uuid {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(label.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}

/// Erase a whole log: every event's free text and names cleared, and the state replayed from
/// what is left. Applied by the home when it destroys a record and by every party when the
/// destruction reaches it, so that all hold the same tombstone.
pub fn erase_log<A: Streamed>(
    events: &mut [crate::StoredEvent<A::Body>],
) -> Result<Option<A>, crate::ReplayError> {
    for e in events.iter_mut() {
        A::redact(&mut e.event.body);
    }
    crate::replay::<A>(events.iter().map(|e| &e.event))
}

/// What a log holds once its records facts are carried through: erased when it holds a
/// destruction, its corrections carried back otherwise. `None`: nothing to rewrite.
pub fn settle_log<A: Streamed>(
    events: &mut [crate::StoredEvent<A::Body>],
) -> Result<Option<A>, crate::ReplayError> {
    if events.iter().any(|e| A::is_destruction(&e.event.body)) {
        return erase_log::<A>(events);
    }
    if events.iter().any(|e| A::is_correction(&e.event.body)) {
        A::carry_corrections(events);
        return crate::replay::<A>(events.iter().map(|e| &e.event));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_stream_id_names_its_home_and_no_other() {
        let lt = oin("00000001000000000010");
        let vt = oin("00000001000000000020");
        let fresh = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000);
        let id = stream_uuid(&lt, fresh);
        assert!(is_of_home(&id, &lt));
        assert!(!is_of_home(&id, &vt));
        assert_eq!(home_among(&id, [&vt, &lt]), Some(&lt));
        assert_eq!(home_among(&fresh, [&vt, &lt]), None);
        // still the fresh id's version and time
        assert_eq!(id.get_version_num(), fresh.get_version_num());
        assert_eq!(id.as_bytes()[..12], fresh.as_bytes()[..12]);
    }

    #[test]
    fn derived_ids_are_stable_and_keep_their_parts_apart() {
        let a = derived_uuid("request", &["user:anna", "k1"]);
        assert_eq!(a, derived_uuid("request", &["user:anna", "k1"]));
        assert_ne!(a, derived_uuid("request", &["user:ann", "ak1"]));
        assert_ne!(a, derived_uuid("stream", &["user:anna", "k1"]));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn stream_kinds_round_trip_their_codes() {
        for k in StreamKind::ALL {
            assert_eq!(k.code().parse::<StreamKind>(), Ok(k));
        }
        assert!("case".parse::<StreamKind>().is_err());
        assert!(StreamKind::Escalation.is_shared());
        assert!(!StreamKind::Kwestie.is_shared());
    }

    mod received {
        use super::*;
        use crate::escalation::{EscalationCommand, Step};
        use crate::{
            Actor, Aggregate, CaseRef, DeadlinePolicy, Escalation, EscalationId, Event, OrgKind,
            OrgRef, Role, RuleViolation, Situation, Timestamp,
        };

        const LT: &str = "00000001000000000010";
        const VT: &str = "00000001000000000020";
        const GI: &str = "00000001000000000030";

        fn t() -> Timestamp {
            "2026-12-01T09:00:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}"))
        }

        /// The GI opens an escalation with Veilig Thuis: its events and the states after them.
        fn opened(
            question: &str,
        ) -> Vec<(
            Option<Escalation>,
            Escalation,
            Event<crate::EscalationEvent>,
        )> {
            let cmd = EscalationCommand::Open {
                id: EscalationId(stream_uuid(&oin(GI), Uuid::from_u128(9 << 64))),
                home: OrgRef {
                    oin: oin(GI),
                    kind: OrgKind::CertifiedInstitution,
                },
                counterparts: vec![OrgRef {
                    oin: oin(VT),
                    kind: OrgKind::VeiligThuis,
                }],
                case_ref: CaseRef::parse("GI-1").unwrap_or_else(|e| panic!("{e:?}")),
                situation: Situation::AgreementsNotKept,
                first_step: Step::Management,
                participants: vec![],
                question: question.into(),
                needs: "Start hulp".into(),
                seeking_youth_help_access: false,
                policy: DeadlinePolicy::default(),
            };
            let by = Actor::person("gina", Role::Professional, oin(GI));
            let (_, events) =
                Escalation::execute(None, &cmd, &by, t()).unwrap_or_else(|e| panic!("{e:?}"));
            let mut state = None;
            let mut out = Vec::new();
            for e in events {
                let next = Escalation::apply(state.clone(), &e).unwrap_or_else(|x| panic!("{x:?}"));
                out.push((state, next.clone(), e));
                state = Some(next);
            }
            out
        }

        fn check(
            before: Option<&Escalation>,
            after: &Escalation,
            e: &Event<crate::EscalationEvent>,
        ) -> Result<(), RuleViolation> {
            let parties = before.map(Streamed::parties);
            Escalation::check_received(parties.as_deref(), after, e, &oin(GI))
        }

        #[test]
        fn events_by_the_home_and_by_parties_are_received() {
            for (before, after, e) in opened("Wachtlijst") {
                assert_eq!(check(before.as_ref(), &after, &e), Ok(()));
            }
            // a person of a party (Veilig Thuis) picking up, decided at the home
            let (_, state, _) = opened("Wachtlijst")
                .pop()
                .unwrap_or_else(|| panic!("no events"));
            let vt = Actor::person("vera", Role::TeamManager, oin(VT));
            let (after, events) = Escalation::execute(
                Some(&state),
                &EscalationCommand::PickUp { name: None },
                &vt,
                t(),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(check(Some(&state), &after, &events[0]), Ok(()));
        }

        #[test]
        fn an_event_attributed_to_an_organisation_outside_the_stream_is_refused() {
            let mut evs = opened("Wachtlijst");
            let (before, after, mut e) = evs.remove(0);
            // the creation said to be by the local team, which is not even a party
            e.by = Actor::person("anna", Role::Professional, oin(LT));
            assert_eq!(
                check(before.as_ref(), &after, &e),
                Err(RuleViolation::ActorNotAParty)
            );
            // a creation by a party that is not the home: creations are the home's
            e.by = Actor::person("vera", Role::Professional, oin(VT));
            assert_eq!(
                check(before.as_ref(), &after, &e),
                Err(RuleViolation::ActorNotAParty)
            );
            // the node itself acts only at the home
            let (_, state, _) = opened("Wachtlijst")
                .pop()
                .unwrap_or_else(|| panic!("no events"));
            e.by = Actor::system(oin(VT));
            assert_eq!(
                check(Some(&state), &state, &e),
                Err(RuleViolation::ActorNotAParty)
            );
            e.by = Actor::system(oin(GI));
            assert_eq!(check(Some(&state), &state, &e), Ok(()));
        }

        #[test]
        fn a_person_in_a_role_their_kind_of_organisation_lacks_is_refused() {
            let (_, state, mut e) = opened("Wachtlijst")
                .pop()
                .unwrap_or_else(|| panic!("no events"));
            e.by = Actor::person("gina", Role::Alderman, oin(GI));
            assert_eq!(
                check(Some(&state), &state, &e),
                Err(RuleViolation::RoleNotAtOrgKind {
                    role: Role::Alderman,
                    kind: OrgKind::CertifiedInstitution
                })
            );
            e.by = Actor::person("gina", Role::Director, oin(GI));
            assert_eq!(check(Some(&state), &state, &e), Ok(()));
        }

        #[test]
        fn free_text_with_a_bsn_is_refused_at_the_receiver_too() {
            let evs = opened("BSN van moeder: 123456782");
            let (before, after, e) = &evs[0];
            assert_eq!(
                check(before.as_ref(), after, e),
                Err(RuleViolation::BsnNotAllowed { field: "question" })
            );
        }
    }
}
