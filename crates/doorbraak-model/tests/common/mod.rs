//! Fixtures shared by the model's tests: four organisations of a region, people, and helpers
//! that run a command and return the next state or the violated rule.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;

pub const LT: &str = "00000001000000000010"; // Lokaal Team (home of most tests)
pub const VT: &str = "00000001000000000020"; // Veilig Thuis
pub const GI: &str = "00000001000000000030"; // Gecertificeerde Instelling
pub const GEM: &str = "00000001000000000040"; // gemeente

pub fn oin(s: &str) -> Oin {
    Oin::parse(s).unwrap()
}

pub fn org(s: &str) -> OrgRef {
    let kind = match s {
        LT => OrgKind::LocalTeam,
        VT => OrgKind::VeiligThuis,
        GI => OrgKind::CertifiedInstitution,
        _ => OrgKind::Municipality,
    };
    OrgRef { oin: oin(s), kind }
}

/// Day `d` of the scenario, 09:00 UTC.
pub fn day(d: i64) -> Timestamp {
    let t0: Timestamp = "2026-11-02T09:00:00Z".parse().unwrap();
    t0.checked_add(jiff::SignedDuration::from_hours(24 * d))
        .unwrap()
}

pub fn actor(person: &str, role: Role, at: &str) -> Actor {
    Actor::person(person, role, oin(at))
}

pub fn part(person: &str, role: Role, at: &str) -> Participant {
    Participant {
        person: PersonId::new(person),
        name: format!("Naam van {person}"),
        role,
        org: oin(at),
    }
}

pub fn prof_lt() -> Actor {
    actor("anna", Role::Professional, LT)
}
pub fn prof_vt() -> Actor {
    actor("bram", Role::Professional, VT)
}
pub fn gw_lt() -> Actor {
    actor("carla", Role::BehaviouralScientist, LT)
}
pub fn gw_vt() -> Actor {
    actor("daan", Role::BehaviouralScientist, VT)
}
pub fn tm_lt() -> Actor {
    actor("eva", Role::TeamManager, LT)
}
pub fn dir_lt() -> Actor {
    actor("frank", Role::Director, LT)
}
pub fn dir_vt() -> Actor {
    actor("gerda", Role::Director, VT)
}

pub fn open_cmd(situation: Situation, first_step: Step) -> C {
    let participants = match first_step {
        Step::BehaviouralScientists => vec![
            part("anna", Role::Professional, LT),
            part("carla", Role::BehaviouralScientist, LT),
        ],
        _ => vec![part("anna", Role::Professional, LT)],
    };
    C::Open {
        id: esc_id(),
        home: org(LT),
        counterparts: vec![org(VT)],
        case_ref: CaseRef::parse("LT-2026-0042").unwrap(),
        situation,
        first_step,
        participants,
        question: "Wij vragen Veilig Thuis het onderzoek binnen 5 dagen te starten.".into(),
        needs: "Het kind heeft een veilige plek en traumabehandeling nodig.".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    }
}

/// Run a command that must succeed; return the new state.
pub fn ok<A: Aggregate>(state: Option<&A>, cmd: A::Command, by: &Actor, now: Timestamp) -> A
where
    A::Command: std::fmt::Debug,
{
    match A::execute(state, &cmd, by, now) {
        Ok((s, _)) => s,
        Err(e) => panic!("{cmd:?} by {by:?} was refused: {e}"),
    }
}

/// Run a command that must be refused; return the violated rule's code.
pub fn refused<A: Aggregate>(
    state: Option<&A>,
    cmd: A::Command,
    by: &Actor,
    now: Timestamp,
) -> String
where
    A::Command: std::fmt::Debug,
{
    match A::decide(state, &cmd, by, now) {
        Ok(events) => panic!(
            "{cmd:?} by {by:?} was allowed, expected a refusal ({} events)",
            events.len()
        ),
        Err(e) => {
            // every violation explains itself in both languages
            assert!(!e.message_nl().is_empty() && !e.message_en().is_empty());
            e.rule().to_owned()
        }
    }
}

pub fn classification() -> BottleneckClassification {
    BottleneckClassification {
        bottleneck: Bottleneck::System(SystemNature::Organisational),
        scope: SolutionScope::Structural,
        root_causes: vec![RootCauseAnswer {
            cause: RootCause::LackOfSpeedOrAccess,
            why: vec!["De wachtlijst bij Veilig Thuis is 8 weken.".into()],
        }],
    }
}

pub fn family_before(d: i64) -> FamilyInformed {
    FamilyInformed::Before { at: day(d) }
}

/// The escalation id used by the tests: opened at the local team, so its id names LT.
pub fn esc_id() -> EscalationId {
    EscalationId(doorbraak_model::stream_uuid(
        &Oin::parse(LT).unwrap(),
        uuid::Uuid::from_u128(0xE5C),
    ))
}

/// The minutes id used by the tests: scheduled at the local team.
pub fn minutes_id() -> MinutesId {
    MinutesId(doorbraak_model::stream_uuid(
        &Oin::parse(LT).unwrap(),
        uuid::Uuid::from_u128(9),
    ))
}
