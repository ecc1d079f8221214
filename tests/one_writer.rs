//! One writer per escalation, over real node processes and real mutual TLS, on SQLite and on
//! PostgreSQL: the race of a counterpart acting while its replica arrives loses nothing;
//! retries with an idempotency key have one effect, across restarts of either node; a replica
//! that diverged from its home is detected, counted, shown and repaired from the home.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use doorbraak_model::OrgKind;
use serde_json::{Value, json};
use support::fed::{Fed, pid, tok};
use support::{GI, LT, VT, backends, case};

fn rule(v: &Value) -> &str {
    v["rule"].as_str().unwrap_or("<no rule>")
}

fn open_towards(counterpart: &str, case_ref: &str) -> Value {
    json!({
        "case_ref": case_ref, "situation": "agreements_not_kept", "first_step": "management",
        "counterparts": [counterpart], "question": "Wij vragen de hulp binnen 5 dagen te starten.",
        "needs": "Een veilige plek.", "seeking_youth_help_access": false,
    })
}

async fn log(fed: &Fed, i: usize, id: &str) -> Vec<(i64, String, String)> {
    fed.events(i, id).await
}

async fn drained(fed: &Fed, i: usize) {
    fed.drained(i).await
}

/// The local team and `other`, on `db`, started.
async fn lt_and(other: (&'static str, &'static str, OrgKind), tag: &str, db: &str) -> Fed {
    let mut fed = Fed::create(
        &format!("{tag}-{db}"),
        &[(LT, "Lokaal Team", OrgKind::LocalTeam), other],
        &[],
        &[],
    );
    fed.on_backend(db == "postgres").await;
    fed.start_all(2);
    fed
}

async fn lt_and_vt(tag: &str, db: &str) -> Fed {
    lt_and((VT, "Veilig Thuis", OrgKind::VeiligThuis), tag, db).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_race_of_a_counterpart_acting_while_its_replica_arrives_loses_nothing() {
    const ROUNDS: usize = 100;
    for db in backends() {
        let mut fed = lt_and((GI, "GI", OrgKind::CertifiedInstitution), "race", db).await;
        assert_eq!(
            fed.node(0)
                .post("/api/v1/cases", &tok(0, "p"), case("LT-R"))
                .await
                .0,
            201
        );
        // open at the local team, and at once pick up at the GI, again and again until the
        // GI's node stops saying that the replica is on its way
        let (mut acked, mut pending_answers) = (Vec::new(), 0);
        for _ in 0..ROUNDS {
            let (s, b) = fed
                .node(0)
                .post(
                    "/api/v1/escalations",
                    &tok(0, "p"),
                    open_towards(GI, "LT-R"),
                )
                .await;
            assert_eq!(s, 201, "{b}");
            let id = b["id"].as_str().unwrap().to_owned();
            let path = format!("/api/v1/escalations/{id}/pick-up");
            let mut answer = None;
            for _ in 0..2000 {
                let (s, b) = fed.node(1).post(&path, &tok(1, "tm"), json!({})).await;
                if s == 409 && rule(&b) == "federation.replica_pending" {
                    pending_answers += 1;
                    continue;
                }
                answer = Some((s, b));
                break;
            }
            let (s, b) = answer.expect("the replica arrives");
            assert_eq!(s, 200, "{b}");
            acked.push((id, b["version"].as_i64().unwrap()));
        }
        drained(&fed, 0).await;
        // every acknowledged pick-up is in the home's log, and the replica equals the home
        let mut lost = 0;
        let mut divergent = 0;
        for (id, version) in &acked {
            let home = log(&fed, 0, id).await;
            // the acknowledged version is the pick-up's last event (who picks up joins the
            // step): the pick-up is at or below it
            let picked = home
                .iter()
                .any(|(seq, _, t)| seq <= version && t == "step_picked_up");
            if !picked {
                lost += 1;
            }
            let replica = fed
                .wait_for(1, "tm", &format!("/api/v1/escalations/{id}"), |s, b| {
                    s == 200 && b["version"].as_i64() == Some(home.len() as i64)
                })
                .await;
            assert_eq!(replica["version"].as_i64(), Some(home.len() as i64));
            if log(&fed, 1, id).await != home {
                divergent += 1;
            }
        }
        eprintln!(
            "race reproduction on {db}: {ROUNDS} pick-ups acknowledged, lost {lost}, divergent {divergent}, \
             'replica pending' answers before the replica arrived: {pending_answers}"
        );
        assert_eq!((lost, divergent), (0, 0), "on {db}");
        fed.stop(0);
        fed.stop(1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_with_an_idempotency_key_have_one_effect_also_forwarded_and_across_restarts() {
    for db in backends() {
        let mut fed = lt_and_vt("idem", db).await;
        let p = tok(0, "p");
        assert_eq!(
            fed.node(0)
                .post_keyed("/api/v1/cases", &p, "case-1", case("LT-I"))
                .await
                .0,
            201
        );
        let (s, again) = fed
            .node(0)
            .post_keyed("/api/v1/cases", &p, "case-1", case("LT-I"))
            .await;
        assert_eq!(s, 201, "the first answer, not 'already exists': {again}");

        // opening twice with one key: one escalation, the same answer
        let (s, first) = fed
            .node(0)
            .post_keyed(
                "/api/v1/escalations",
                &p,
                "open-1",
                open_towards(VT, "LT-I"),
            )
            .await;
        assert_eq!(s, 201, "{first}");
        let id = first["id"].as_str().unwrap().to_owned();
        let (s, second) = fed
            .node(0)
            .post_keyed(
                "/api/v1/escalations",
                &p,
                "open-1",
                open_towards(VT, "LT-I"),
            )
            .await;
        assert_eq!((s, &second["id"]), (201, &first["id"]));
        assert_eq!(second["version"], first["version"]);
        // ... also after the home restarted
        fed.stop(0);
        fed.start(0);
        let (s, third) = fed
            .node(0)
            .post_keyed(
                "/api/v1/escalations",
                &p,
                "open-1",
                open_towards(VT, "LT-I"),
            )
            .await;
        assert_eq!((s, &third["id"]), (201, &first["id"]));
        let (_, list) = fed
            .node(0)
            .get("/api/v1/escalations?case_ref=LT-I", &tok(0, "tm"))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1, "one escalation: {list}");

        // a forwarded pick-up with one key: decided once by the home, the same answer each time,
        // also after the counterpart's node and the home restarted
        fed.wait_for(1, "tm", &format!("/api/v1/escalations/{id}"), |s, _| {
            s == 200
        })
        .await;
        let path = format!("/api/v1/escalations/{id}/pick-up");
        let tm = tok(1, "tm");
        let (s, a) = fed
            .node(1)
            .post_keyed(&path, &tm, "pick-1", json!({}))
            .await;
        assert_eq!(s, 200, "{a}");
        let (s, b) = fed
            .node(1)
            .post_keyed(&path, &tm, "pick-1", json!({}))
            .await;
        assert_eq!(
            (s, &b["version"], &b["events"]),
            (200, &a["version"], &a["events"])
        );
        fed.stop(1);
        fed.start(1);
        let (s, c) = fed
            .node(1)
            .post_keyed(&path, &tm, "pick-1", json!({}))
            .await;
        assert_eq!((s, &c["version"]), (200, &a["version"]), "{c}");
        fed.stop(0);
        fed.start(0);
        let (s, d) = fed
            .node(1)
            .post_keyed(&path, &tm, "pick-1", json!({}))
            .await;
        assert_eq!((s, &d["version"]), (200, &a["version"]), "{d}");
        let picks = log(&fed, 0, &id)
            .await
            .into_iter()
            .filter(|(_, _, t)| t == "step_picked_up")
            .count();
        assert_eq!(picks, 1, "decided once at the home");
        // without a key, a second pick-up is decided (and refused by the rule)
        let (s, e) = fed.node(1).post(&path, &tm, json!({})).await;
        assert_eq!((s, rule(&e)), (409, "deadline.already_picked_up"), "{e}");

        // forbidden: the key for another operation; a key that is no key
        let (s, e) = fed
            .node(1)
            .post_keyed(
                &format!("/api/v1/escalations/{id}/outcome"),
                &tm,
                "pick-1",
                json!({ "outcome": { "type": "resolved", "summary": "Opgelost" } }),
            )
            .await;
        assert_eq!((s, rule(&e)), (422, "idempotency.key_reused"), "{e}");
        let (s, e) = fed
            .node(1)
            .post_keyed(&path, &tm, &"x".repeat(200), json!({}))
            .await;
        assert_eq!((s, rule(&e)), (422, "input.invalid_field"), "{e}");
        fed.stop(0);
        fed.stop(1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_diverged_is_detected_counted_shown_and_repaired_from_its_home() {
    use doorbraak_model::escalation::EscalationCommand as C;
    use doorbraak_model::{Actor, Aggregate, Escalation, Oin, Role};
    use doorbraak_store::{BatchItem, StoredEvent};
    for db in backends() {
        let mut fed = lt_and_vt("diverge", db).await;
        let p = tok(0, "p");
        fed.node(0).post("/api/v1/cases", &p, case("LT-D")).await;
        let (s, b) = fed
            .node(0)
            .post("/api/v1/escalations", &p, open_towards(VT, "LT-D"))
            .await;
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_owned();
        fed.wait_for(1, "tm", &format!("/api/v1/escalations/{id}"), |s, _| {
            s == 200
        })
        .await;
        drained(&fed, 0).await;

        // plant what the old race left behind: the replica appended an event of its own
        fed.stop(1);
        let store = doorbraak_store::Store::connect(&fed.db_url(1), 1)
            .await
            .unwrap();
        let replica = store.load::<Escalation>(&id).await.unwrap().unwrap();
        let vt = Actor::person(pid(1, "tm"), Role::TeamManager, Oin::parse(VT).unwrap());
        let (state, events) = Escalation::execute(
            Some(&replica.state),
            &C::PickUp { name: None },
            &vt,
            jiff::Timestamp::now(),
        )
        .unwrap();
        let planted = StoredEvent {
            seq: 3,
            event_id: uuid::Uuid::now_v7(),
            event: events[0].clone(),
        };
        let mut tx = store.begin().await.unwrap();
        tx.write_batch(
            &[BatchItem {
                id: &id,
                version: 3,
                events: vec![&planted],
                state: &state,
            }],
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        fed.start(1);

        // the home appends its own seq 3 (it invites its team manager): the replica sees
        // another event id at seq 3
        let participant = json!({ "participant": {
            "person": pid(0, "tm"), "name": "Persoon", "role": "team_manager", "org": LT } });
        let (s, b) = fed
            .node(0)
            .post(
                &format!("/api/v1/escalations/{id}/participants"),
                &p,
                participant,
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let home = log(&fed, 0, &id).await;
        let mut repaired = Vec::new();
        for _ in 0..300 {
            repaired = log(&fed, 1, &id).await;
            if repaired == home {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(repaired, home, "the replica equals its home again ({db})");
        assert_ne!(home[2].1, planted.event_id.to_string());

        let (s, health) = fed
            .node(1)
            .get("/api/v1/federation/health", &tok(1, "a"))
            .await;
        assert_eq!(s, 200, "{health}");
        let d = &health["divergences"][0];
        assert_eq!(d["seq"], 3, "{health}");
        assert_eq!(d["local_event_id"], planted.event_id.to_string());
        assert_eq!(d["home_event_id"], home[2].1);
        assert!(d["repaired_at"].is_string(), "{health}");
        assert_eq!(health["audit"]["unrepaired_divergences"], 0);
        let (_, metrics) = fed.node(1).call("GET", "/metrics", None, None).await;
        assert!(
            metrics
                .as_str()
                .unwrap()
                .contains("doorbraak_replica_divergence_total 1"),
            "{metrics}"
        );
        let log_text =
            std::fs::read_to_string(fed.orgs[1].config.with_file_name("node.log")).unwrap();
        assert!(
            log_text.contains("replica diverged from its home") && log_text.contains("WARN"),
            "logged at WARN with both ids"
        );
        drained(&fed, 0).await;
        fed.stop(0);
        fed.stop(1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_cannot_pre_empt_another_homes_stream_id() {
    use doorbraak_model::escalation::EscalationCommand as C;
    use doorbraak_model::*;
    use doorbraak_proto::v1;
    let mut fed = Fed::create(
        "preempt",
        &[
            (LT, "Lokaal Team", OrgKind::LocalTeam),
            (VT, "Veilig Thuis", OrgKind::VeiligThuis),
            (GI, "GI", OrgKind::CertifiedInstitution),
        ],
        &[],
        &[],
    );
    fed.start_all(3);
    let p = tok(0, "p");
    fed.node(0).post("/api/v1/cases", &p, case("LT-P")).await;
    let (s, b) = fed
        .node(0)
        .post("/api/v1/escalations", &p, open_towards(VT, "LT-P"))
        .await;
    assert_eq!(s, 201, "{b}");
    let real = b["id"].as_str().unwrap().to_owned();

    // Veilig Thuis, a party of the real escalation, knows its id. It opens a stream of its own
    // towards the GI and delivers it under the real escalation's id, before the home could.
    let vt = Oin::parse(VT).unwrap();
    let own = stream_uuid(&vt, uuid::Uuid::now_v7());
    let open = C::Open {
        id: EscalationId(own),
        home: OrgRef {
            oin: vt.clone(),
            kind: OrgKind::VeiligThuis,
        },
        counterparts: vec![OrgRef {
            oin: Oin::parse(GI).unwrap(),
            kind: OrgKind::CertifiedInstitution,
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
    let by = Actor::person("vera", Role::Professional, vt);
    let (_, events) = Escalation::execute(None, &open, &by, jiff::Timestamp::now()).unwrap();
    let message = |id: &str| v1::Message {
        message_id: uuid::Uuid::now_v7().to_string(),
        stream_kind: "escalation".into(),
        stream_id: id.to_owned(),
        events: events
            .iter()
            .zip(1..)
            .map(|(e, seq)| v1::StoredEvent {
                seq,
                event_id: uuid::Uuid::now_v7().to_string(),
                canonical: canonical::to_string(e)
                    .unwrap()
                    .replace(&own.to_string(), id)
                    .into_bytes(),
            })
            .collect(),
    };
    let refused = fed
        .client_as(VT, 2)
        .deliver(v1::DeliverRequest {
            messages: vec![message(&real)],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("federation.stream_id_of_home"),
        "{}",
        refused.message()
    );
    // refused and logged at the GI, and nothing stored under the real id there
    let (s, entries) = fed
        .node(2)
        .get(
            &format!("/api/v1/access-log?object_id={real}"),
            &tok(2, "a"),
        )
        .await;
    assert_eq!(s, 200, "{entries}");
    assert!(
        entries.as_array().unwrap().iter().any(|e| e["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused:federation.stream_id_of_home")),
        "{entries}"
    );
    let (s, _) = fed
        .node(2)
        .get(&format!("/api/v1/escalations/{real}"), &tok(2, "tm"))
        .await;
    assert_eq!(s, 404);
    // allowed: the same stream under its own id, which names Veilig Thuis as its home
    let accepted = fed
        .client_as(VT, 2)
        .deliver(v1::DeliverRequest {
            messages: vec![message(&own.to_string())],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.applied.len(), 1);
    let (s, _) = fed
        .node(2)
        .get(&format!("/api/v1/escalations/{own}"), &tok(2, "tm"))
        .await;
    assert_eq!(s, 200);
}
