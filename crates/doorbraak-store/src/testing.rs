//! Helpers for test suites that must run on both databases.
use sqlx::{AnyConnection, Connection, Executor};

/// The variable that names the PostgreSQL server for tests (set by `.ci/postgres.sh`).
pub const POSTGRES_ENV: &str = "DOORBRAAK_TEST_POSTGRES_URL";

/// A URL of a fresh, empty PostgreSQL database, or `None` (with a message saying why the
/// PostgreSQL half is skipped) when no server is configured. CI always configures one;
/// with `DOORBRAAK_REQUIRE_POSTGRES=1` a missing server is an error instead of a skip.
pub async fn fresh_postgres() -> Option<String> {
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_POSTGRES").is_err(),
            "{POSTGRES_ENV} is not set but DOORBRAAK_REQUIRE_POSTGRES is"
        );
        eprintln!(
            "SKIPPED the PostgreSQL half: {POSTGRES_ENV} is not set \
             (run `eval \"$(.ci/postgres.sh)\"` to start one; CI always does)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("doorbraak_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
    let _ = conn.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A URL for a fresh SQLite file in `dir`.
pub fn fresh_sqlite(dir: &std::path::Path) -> String {
    format!("sqlite://{}/node.db", dir.display())
}

/// The life of the `i`-th escalation of a busy home over almost five years, for the tests and
/// benchmarks of the figures at scale: opened at the home (`home`, a local team) towards
/// `counterpart` (Veilig Thuis) on one of 1,700 days from 1 January 2022, between 12:00 and
/// 18:00 Dutch time; four in ten stay open (not picked up, one of them marked overdue; picked
/// up; ended without result), six in ten are picked up, ended and closed with one of five
/// bottleneck classes, after spreads of days that differ per escalation. Decided by the model
/// like every command, so its state is one a node could hold.
pub fn escalation_life(
    home: &doorbraak_model::Oin,
    counterpart: &doorbraak_model::Oin,
    i: u64,
) -> Result<
    (
        doorbraak_model::Escalation,
        Vec<doorbraak_model::Event<doorbraak_model::EscalationEvent>>,
    ),
    String,
> {
    use doorbraak_model::escalation::EscalationCommand as C;
    use doorbraak_model::*;
    let hours = |h: u64| jiff::SignedDuration::from_hours(i64::try_from(h).unwrap_or(0));
    let base: Timestamp = Timestamp::constant(1_641_034_800, 0); // 2022-01-01T11:00:00Z
    let at = |t: Timestamp, h: u64| t.checked_add(hours(h)).unwrap_or(t);
    let opened = at(base, (i * 7_919 % 1_700) * 24 + i % 6);
    let person = |id: &str, role: Role, org: &Oin| Actor::person(id, role, org.clone());
    let (anna, eva) = (
        person("anna", Role::Professional, home),
        person("eva", Role::TeamManager, home),
    );
    let gerda = person("gerda", Role::Director, counterpart);
    let situation =
        [Situation::AgreementsNotKept, Situation::Conduct][usize::from(i.is_multiple_of(2))];
    let open = C::Open {
        id: EscalationId(stream_uuid(
            home,
            uuid::Uuid::from_u128(u128::from(i) << 64),
        )),
        home: OrgRef {
            oin: home.clone(),
            kind: OrgKind::LocalTeam,
        },
        counterparts: vec![OrgRef {
            oin: counterpart.clone(),
            kind: OrgKind::VeiligThuis,
        }],
        case_ref: CaseRef::parse(&format!("LT-{}", i % 9_000 + 1_000))
            .map_err(|e| e.to_string())?,
        situation,
        first_step: Step::Management,
        participants: Vec::new(),
        question: "Wij vragen Veilig Thuis het onderzoek te starten.".into(),
        needs: "Veiligheid".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    };
    let (mut state, mut events) =
        Escalation::execute(None, &open, &anna, opened).map_err(|e| e.to_string())?;
    let mut run = |cmd: C, by: &Actor, t: Timestamp, state: &mut Escalation| {
        let (next, more) =
            Escalation::execute(Some(&*state), &cmd, by, t).map_err(|e| format!("{cmd:?}: {e}"))?;
        *state = next;
        events.extend(more);
        Ok::<_, String>(())
    };
    let stage = i % 10;
    let picked = at(opened, (i % 13) * 24 + 1);
    let ended = at(picked, (i % 37) * 24 + 2);
    match stage {
        0 => {}
        1 => run(
            C::MarkOverdue,
            &Actor::system(home.clone()),
            at(opened, 20 * 24),
            &mut state,
        )?,
        2 => run(C::PickUp { name: None }, &gerda, picked, &mut state)?,
        _ => {
            run(C::PickUp { name: None }, &gerda, picked, &mut state)?;
            let summary = "Besproken".to_owned();
            let outcome = if stage == 3 {
                StepOutcome::Unresolved { summary }
            } else {
                StepOutcome::Resolved { summary }
            };
            run(C::RecordOutcome { outcome }, &gerda, ended, &mut state)?;
            if stage > 3 {
                run(
                    C::RecordFamilyInformed {
                        step: Step::Management,
                        informed: FamilyInformed::Before { at: opened },
                    },
                    &anna,
                    at(ended, 1),
                    &mut state,
                )?;
                let bottleneck = [
                    Bottleneck::Personal,
                    Bottleneck::Professional,
                    Bottleneck::System(SystemNature::Financial),
                    Bottleneck::System(SystemNature::Organisational),
                    Bottleneck::System(SystemNature::Legal),
                ][usize::try_from(i % 5).unwrap_or(0)];
                run(
                    C::Close {
                        classification: BottleneckClassification::new(
                            bottleneck,
                            SolutionScope::Structural,
                        ),
                    },
                    &eva,
                    at(ended, (i % 5) * 24 + 2),
                    &mut state,
                )?;
            }
        }
    }
    Ok((state, events))
}
