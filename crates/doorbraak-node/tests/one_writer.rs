//! One writer per stream, at the application layer, on SQLite and PostgreSQL: a command that
//! races the arrival of a replica is never decided on the replica; a counterpart that acts
//! before its replica arrived is told so; an idempotency key has one effect and keeps its
//! first answer. (The same over real processes and mTLS: `tests/one_writer.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use doorbraak_app::Idempotency;
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;
use doorbraak_node::{Node, NodeConfig, NodeError, User};
use doorbraak_store::{BatchItem, StoredEvent};

const LT: &str = "00000001000000000010";
const VT: &str = "00000001000000000020";

fn oin(s: &str) -> Oin {
    Oin::parse(s).unwrap()
}

/// A Veilig Thuis node without federation TLS (nothing is forwarded for real here), on
/// `database_url` (empty: a SQLite file in `dir`), with the example directory.
async fn vt_node(dir: &Path, database_url: &str) -> Arc<Node> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(
        root.join("deploy/examples/directory.json"),
        dir.join("directory.json"),
    )
    .unwrap();
    let db = if database_url.is_empty() {
        String::new()
    } else {
        format!("[database]\nurl = \"{database_url}\"\n")
    };
    let toml = format!(
        "[node]\noin = \"{VT}\"\nname = \"Veilig Thuis\"\nkind = \"veilig_thuis\"\n\
         [http]\nlisten = \"127.0.0.1:0\"\n[directory]\nmanifest = \"directory.json\"\n{db}"
    );
    let settings = NodeConfig::from_toml(&toml, &dir.join("node.toml"), dir, []).unwrap();
    doorbraak_node::server::open(settings).await.unwrap().node
}

/// Run `f` on a fresh SQLite node and, when configured, a fresh PostgreSQL node.
async fn on_both<F, Fut>(tag: &str, f: F)
where
    F: Fn(Arc<Node>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(format!("doorbraak-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(dir.join("sqlite")).unwrap();
    f(vt_node(&dir.join("sqlite"), "").await).await;
    if let Some(url) = doorbraak_store::testing::fresh_postgres().await {
        std::fs::create_dir_all(dir.join("postgres")).unwrap();
        f(vt_node(&dir.join("postgres"), &url).await).await;
    }
}

fn open_at_lt() -> (Escalation, Vec<StoredEvent<EscalationEvent>>) {
    let id = EscalationId(stream_uuid(&oin(LT), uuid::Uuid::now_v7()));
    let cmd = C::Open {
        id,
        home: OrgRef {
            oin: oin(LT),
            kind: OrgKind::LocalTeam,
        },
        counterparts: vec![OrgRef {
            oin: oin(VT),
            kind: OrgKind::VeiligThuis,
        }],
        case_ref: CaseRef::parse("LT-1").unwrap(),
        situation: Situation::AgreementsNotKept,
        first_step: Step::Management,
        participants: vec![],
        question: "Start het onderzoek".into(),
        needs: "Veiligheid".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    };
    let anna = Actor::person("anna", Role::Professional, oin(LT));
    let (state, events) = Escalation::execute(None, &cmd, &anna, Timestamp::now()).unwrap();
    let stored = events
        .into_iter()
        .zip(1..)
        .map(|(event, seq)| StoredEvent {
            seq,
            event_id: uuid::Uuid::now_v7(),
            event,
        })
        .collect();
    (state, stored)
}

fn gerda() -> Actor {
    Actor::person("gerda", Role::TeamManager, oin(VT))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_a_command_racing_the_replicas_arrival_is_never_decided_on_the_replica() {
    on_both("race", |node| async move {
        let (state, events) = open_at_lt();
        let id = state.stream_id();
        // the delivery that creates the replica is being applied (its transaction is open) ...
        let mut delivery = node.store().begin().await.unwrap();
        delivery
            .write_batch(
                &[BatchItem {
                    id: &id,
                    version: 2,
                    events: events.iter().collect(),
                    state: &state,
                }],
                Timestamp::now(),
            )
            .await
            .unwrap();
        // ... when the counterpart's person picks the step up at this node
        let (n, i) = (node.clone(), id.clone());
        let pick_up = tokio::spawn(async move {
            n.execute::<Escalation>(&gerda(), &i, &C::PickUp { name: None }, "pick_up")
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        delivery.commit().await.unwrap();
        let result = pick_up.await.unwrap();
        // refused here (this test node cannot reach the home): never appended on the replica
        assert!(result.is_err(), "the replica decided: {result:?}");
        let log = node.store().events::<Escalation>(&id, 0).await.unwrap();
        assert_eq!(log.len(), 2, "only the home's events");
        assert!(node.store().outbox(Some(&id)).await.unwrap().is_empty());
        // the store's second line: even a direct append to the replica is refused
        let mut tx = node.store().begin().await.unwrap();
        let (next, evs) = Escalation::execute(
            Some(&state),
            &C::PickUp { name: None },
            &gerda(),
            Timestamp::now(),
        )
        .unwrap();
        let err = tx
            .append(&id, 2, &evs, &next, Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, doorbraak_store::StoreError::NotHome { .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_a_counterpart_acting_before_its_replica_arrived_is_told_to_retry() {
    on_both("pending", |node| async move {
        // forbidden: a stream whose id names another member is not (yet) here
        let (state, _) = open_at_lt();
        let err = node
            .execute::<Escalation>(
                &gerda(),
                &state.stream_id(),
                &C::PickUp { name: None },
                "pick_up",
            )
            .await
            .unwrap_err();
        let NodeError::Rule(v) = err else {
            panic!("{err}")
        };
        assert_eq!(v.rule(), "federation.replica_pending");
        assert!(v.message_nl().contains("probeer het zo opnieuw"));
        // an id that names no member (or this node) simply does not exist
        let unknown = stream_uuid(&oin(VT), uuid::Uuid::now_v7()).to_string();
        let err = node
            .execute::<Escalation>(&gerda(), &unknown, &C::PickUp { name: None }, "pick_up")
            .await
            .unwrap_err();
        let NodeError::Rule(v) = err else {
            panic!("{err}")
        };
        assert_eq!(v.rule(), "state.not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_has_one_effect_and_keeps_its_first_answer() {
    on_both("idem", |node| async move {
        let user = User {
            id: "vera".into(),
            name: "Vera".into(),
            role: Role::Professional,
        };
        let case = node
            .create_case(
                &user,
                "VT-7",
                "Gezin",
                Some(&Idempotency::for_user(&user, "c1").unwrap()),
            )
            .await
            .unwrap();
        // the same key again: the first answer, no second case (and no "already exists")
        let again = node
            .create_case(
                &user,
                "VT-7",
                "Gezin",
                Some(&Idempotency::for_user(&user, "c1").unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(case, again);
        // a kwestie raised twice with one key is one kwestie with one answer
        let key = Idempotency::for_user(&user, "k-raise").unwrap();
        let raise = |id: KwestieId| KwestieCommand::Raise {
            id,
            case_ref: None,
            obstacle: "Te weinig gezinsmanagers".into(),
            categories: [KwestieCategory::TooFewFamilyManagers]
                .into_iter()
                .collect(),
            preparation: doorbraak_model::kwestie::Preparation {
                own_reach_done: true,
                discussed_with: [doorbraak_model::kwestie::Consulted::Team]
                    .into_iter()
                    .collect(),
                knows_what_and_whom: true,
            },
            child_needs: String::new(),
            facilities_needed: String::new(),
            route: doorbraak_model::kwestie::KwestieRoute {
                to_team_manager: true,
                on_team_agenda: false,
            },
            policy: DeadlinePolicy::default(),
        };
        let id = KwestieId(key.stream_id(node.oin()));
        let actor = node.actor(&user);
        let first = node
            .execute_keyed::<Kwestie>(&actor, &id.to_string(), &raise(id), "raise", Some(&key))
            .await
            .unwrap();
        let second = node
            .execute_keyed::<Kwestie>(&actor, &id.to_string(), &raise(id), "raise", Some(&key))
            .await
            .unwrap();
        assert_eq!(first.version, second.version);
        assert_eq!(
            first.events, second.events,
            "the first answer, event ids included"
        );
        assert_eq!(
            node.store()
                .events::<Kwestie>(&id.to_string(), 0)
                .await
                .unwrap()
                .len(),
            first.events.len(),
            "no second effect"
        );
        // forbidden: the same key for another operation
        let err = node
            .execute_keyed::<Kwestie>(
                &actor,
                &id.to_string(),
                &KwestieCommand::PickUp,
                "pick_up",
                Some(&key),
            )
            .await
            .unwrap_err();
        let NodeError::Rule(v) = err else {
            panic!("{err}")
        };
        assert_eq!(v.rule(), "idempotency.key_reused");
        // a key is validated
        assert_eq!(
            Idempotency::for_user(&user, "").unwrap_err().rule(),
            "input.invalid_field"
        );
        assert!(Idempotency::for_user(&user, &"x".repeat(129)).is_err());
        assert!(Idempotency::for_user(&user, "met spatie").is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_reports_a_planted_inconsistency_as_a_metric() {
    on_both("audit", |node| async move {
        let clean = node.audit().await.unwrap();
        assert!(clean.is_clean(), "{clean:?}");
        let metrics = node.metrics.encode();
        assert!(
            metrics.contains("doorbraak_audit_findings{check=\"shared_streams_without_outbox\"} 0"),
            "{metrics}"
        );
        // planted: an escalation of this node's own, with a party elsewhere, written without
        // the outbox row (and without its access-log row) that execute always writes with it
        let id = EscalationId(node.new_stream_id());
        let cmd = C::Open {
            id,
            home: OrgRef {
                oin: oin(VT),
                kind: OrgKind::VeiligThuis,
            },
            counterparts: vec![OrgRef {
                oin: oin(LT),
                kind: OrgKind::LocalTeam,
            }],
            case_ref: CaseRef::parse("VT-1").unwrap(),
            situation: Situation::AgreementsNotKept,
            first_step: Step::Management,
            participants: vec![],
            question: "Start de hulp".into(),
            needs: "Veiligheid".into(),
            seeking_youth_help_access: false,
            policy: DeadlinePolicy::default(),
        };
        let vera = Actor::person("vera", Role::Professional, oin(VT));
        let (state, events) = Escalation::execute(None, &cmd, &vera, Timestamp::now()).unwrap();
        let mut tx = node.store().begin().await.unwrap();
        tx.append(&state.stream_id(), 0, &events, &state, Timestamp::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let audit = node.audit().await.unwrap();
        assert_eq!(audit.shared_streams_without_outbox, 1, "{audit:?}");
        assert_eq!(audit.unlogged_creations, 1, "{audit:?}");
        let metrics = node.metrics.encode();
        for check in ["shared_streams_without_outbox", "unlogged_creations"] {
            assert!(
                metrics.contains(&format!("doorbraak_audit_findings{{check=\"{check}\"}} 1")),
                "{metrics}"
            );
        }
    })
    .await;
}
