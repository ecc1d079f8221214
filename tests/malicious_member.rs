//! A member that misbehaves, played over real mutual TLS with its own valid certificate against
//! real nodes: every attempt is refused with the rule it breaks, logged (a flood only a few
//! times), and changes nothing; the same call made honestly works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use doorbraak_model::escalation::{EscalationCommand, Step};
use doorbraak_model::{
    Actor, Aggregate, CaseRef, DeadlinePolicy, Escalation, EscalationId, OrgKind, OrgRef, Role,
    Situation, StoredEvent, canonical,
};
use doorbraak_proto::v1;
use serde_json::{Value, json};
use support::fed::{Fed, pid, tok};
use support::{GEM, GI, LT, VT, case};

const ORGS: [(&str, &str, OrgKind); 4] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (
        GI,
        "Gecertificeerde Instelling",
        OrgKind::CertifiedInstitution,
    ),
    (GEM, "Gemeente", OrgKind::Municipality),
];

fn oin(s: &str) -> doorbraak_model::Oin {
    doorbraak_model::Oin::parse(s).unwrap()
}

fn refused<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> tonic::Status {
    match r {
        Ok(v) => panic!("the call was accepted: {v:?}"),
        Err(s) => s,
    }
}

fn names(s: &tonic::Status, rule: &str) {
    assert!(
        s.message().starts_with(&format!("{rule}:")),
        "expected {rule}, got {:?}: {}",
        s.code(),
        s.message()
    );
}

/// Open an escalation at LT with `counterparts` at step 2; returns its id once every
/// counterpart (by index) has its replica.
async fn open_at_lt(fed: &Fed, case_ref: &str, counterparts: &[(usize, &str)]) -> String {
    let (s, b) = fed
        .node(0)
        .post("/api/v1/cases", &tok(0, "p"), case(case_ref))
        .await;
    assert_eq!(s, 201, "{b}");
    let oins: Vec<&str> = counterparts.iter().map(|(_, o)| *o).collect();
    let (s, b) = fed
        .node(0)
        .post(
            "/api/v1/escalations",
            &tok(0, "p"),
            json!({
                "case_ref": case_ref, "situation": "agreements_not_kept", "first_step": "management",
                "counterparts": oins, "question": "Wachtlijst", "needs": "Start hulp",
                "seeking_youth_help_access": false,
            }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    for (i, _) in counterparts {
        fed.wait_for(*i, "tm", &format!("/api/v1/escalations/{id}"), |s, _| {
            s == 200
        })
        .await;
    }
    id
}

fn pick_up(id: &str, person: String, role: &str) -> v1::CommandRequest {
    v1::CommandRequest {
        stream_kind: "escalation".into(),
        stream_id: id.to_owned(),
        person: Some(v1::Person {
            id: person,
            role: role.into(),
        }),
        command: canonical::to_vec(&EscalationCommand::PickUp { name: None }).unwrap(),
        request_id: String::new(),
    }
}

/// A new escalation of the GI with Veilig Thuis, as the GI's node would deliver it, with its
/// events' actor and question as given.
fn gi_stream(by: Actor, question: &str) -> (String, v1::DeliverRequest) {
    let question = question.to_owned();
    gi_stream_with(move |events| {
        for e in events.iter_mut() {
            e.event.by = by.clone();
            if let doorbraak_model::EscalationEvent::Opened { question: q, .. } = &mut e.event.body
            {
                *q = question.clone();
            }
        }
    })
}

/// The GI's honest new escalation with Veilig Thuis, its stored events then changed by `forge`.
fn gi_stream_with(
    forge: impl FnOnce(&mut Vec<StoredEvent<doorbraak_model::EscalationEvent>>),
) -> (String, v1::DeliverRequest) {
    let id = doorbraak_model::stream_uuid(&oin(GI), uuid::Uuid::now_v7());
    let cmd = EscalationCommand::Open {
        id: EscalationId(id),
        home: OrgRef {
            oin: oin(GI),
            kind: OrgKind::CertifiedInstitution,
        },
        counterparts: vec![OrgRef {
            oin: oin(VT),
            kind: OrgKind::VeiligThuis,
        }],
        case_ref: CaseRef::parse("GI-7").unwrap(),
        situation: Situation::AgreementsNotKept,
        first_step: Step::Management,
        participants: vec![],
        question: "Wachtlijst".into(),
        needs: "Start hulp".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    };
    let honest = Actor::person(pid(2, "p"), Role::Professional, oin(GI));
    let (_, events) = Escalation::execute(None, &cmd, &honest, jiff::Timestamp::now()).unwrap();
    let mut stored: Vec<StoredEvent<doorbraak_model::EscalationEvent>> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            seq: i as i64 + 1,
            event_id: uuid::Uuid::now_v7(),
            event,
        })
        .collect();
    forge(&mut stored);
    let wire = stored
        .iter()
        .map(|e| doorbraak_proto::to_wire(e).unwrap())
        .collect();
    let req = v1::DeliverRequest {
        messages: vec![v1::Message {
            message_id: uuid::Uuid::now_v7().to_string(),
            stream_kind: "escalation".into(),
            stream_id: id.to_string(),
            events: wire,
        }],
    };
    (id.to_string(), req)
}

async fn access_log(fed: &Fed, i: usize, user_id: &str) -> Vec<Value> {
    let (s, b) = fed
        .node(i)
        .get(
            &format!("/api/v1/access-log?user_id=node:{user_id}&limit=10000"),
            &tok(i, "a"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_claim_a_role_its_kind_of_organisation_lacks() {
    let mut fed = Fed::create("malicious-role", &ORGS, &[], &[]);
    fed.start_all(4);
    let id = open_at_lt(&fed, "LT-R1", &[(2, GI)]).await;

    // forbidden: the certified institution picks up as an alderman
    let s = refused(
        fed.client_as(GI, 0)
            .request(pick_up(&id, pid(2, "w"), "alderman"))
            .await,
    );
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    names(&s, "access.role_not_at_org_kind");
    let (_, b) = fed
        .node(0)
        .get(&format!("/api/v1/escalations/{id}"), &tok(0, "tm"))
        .await;
    assert_eq!(b["version"], 2, "nothing happened: {b}");
    let log = access_log(&fed, 0, GI).await;
    assert!(
        log.iter().any(|e| e["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused:access.role_not_at_org_kind")),
        "{log:?}"
    );

    // allowed: its team manager picks up
    let r = fed
        .client_as(GI, 0)
        .request(pick_up(&id, pid(2, "tm"), "team_manager"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.version, 3);

    // the directory narrows what the GI may claim: only its professionals act through it
    fed.edit_directory(|m| {
        for member in &mut m.members {
            if member.oin.as_str() == GI {
                member.person_roles = vec![Role::Professional];
            }
        }
    });
    let (s, b) = fed
        .node(0)
        .post(
            "/api/v1/federation/directory/reload",
            &tok(0, "a"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id2 = open_at_lt(&fed, "LT-R2", &[(2, GI)]).await;
    let s = refused(
        fed.client_as(GI, 0)
            .request(pick_up(&id2, pid(2, "tm"), "team_manager"))
            .await,
    );
    names(&s, "access.role_not_in_directory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_attribute_events_to_another_or_slip_a_bsn_into_a_replica() {
    let mut fed = Fed::create("malicious-deliver", &ORGS, &[], &[]);
    fed.start_all(4);

    // forbidden: the GI's new stream, its events said to be by the local team's professional
    let (forged_id, forged) = gi_stream(
        Actor::person(pid(0, "p"), Role::Professional, oin(LT)),
        "Wachtlijst",
    );
    let s = refused(fed.client_as(GI, 1).deliver(forged).await);
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    names(&s, "federation.actor_not_a_party");
    let (st, _) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{forged_id}"), &tok(1, "tm"))
        .await;
    assert_eq!(st, 404, "nothing of it is stored at Veilig Thuis");

    // forbidden: a BSN in the question of a delivered stream
    let (bsn_id, with_bsn) = gi_stream(
        Actor::person(pid(2, "p"), Role::Professional, oin(GI)),
        "BSN van moeder: 123456782",
    );
    let s = refused(fed.client_as(GI, 1).deliver(with_bsn).await);
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    names(&s, "privacy.no_bsn");
    let (st, _) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{bsn_id}"), &tok(1, "tm"))
        .await;
    assert_eq!(st, 404);
    let log = access_log(&fed, 1, GI).await;
    for rule in ["federation.actor_not_a_party", "privacy.no_bsn"] {
        assert!(
            log.iter().any(|e| e["outcome"]
                .as_str()
                .unwrap()
                .starts_with(&format!("refused:{rule}"))),
            "{rule} in {log:?}"
        );
    }

    // allowed: the same stream by the GI's own professional is received
    let (id, honest) = gi_stream(
        Actor::person(pid(2, "p"), Role::Professional, oin(GI)),
        "Wachtlijst",
    );
    let r = fed.client_as(GI, 1).deliver(honest).await.unwrap();
    assert_eq!(r.into_inner().applied.len(), 1);
    let (st, b) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{id}"), &tok(1, "tm"))
        .await;
    assert_eq!(st, 200, "{b}");

    // a gap in a stream the sender is not the home of is refused before this node calls
    // anyone back: the GI's node never hears from Veilig Thuis about it
    let lt_stream = open_at_lt(&fed, "LT-G1", &[(1, VT)]).await;
    let store = doorbraak_store::Store::connect(&fed.db_url(0), 1)
        .await
        .unwrap();
    let rows = store.outbox(Some(&lt_stream)).await.unwrap();
    let mut gap = doorbraak_federation::delivery::to_request(&rows).unwrap();
    store.close().await;
    gap.messages.truncate(1);
    gap.messages[0].message_id = uuid::Uuid::now_v7().to_string();
    for e in &mut gap.messages[0].events {
        e.seq += 10;
    }
    let s = refused(fed.client_as(GI, 1).deliver(gap).await);
    names(&s, "federation.stream_id_of_home");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let at_gi = access_log(&fed, 2, VT).await;
    assert!(
        !at_gi.iter().any(|e| e["object_id"] == lt_stream),
        "Veilig Thuis called the GI back for the LT's stream: {at_gi:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_learns_nothing_of_which_streams_exist_and_cannot_flood_the_access_log() {
    let mut fed = Fed::create("malicious-probe", &ORGS, &[], &[]);
    fed.start_all(4);
    // LT's own stream without the GI; and Veilig Thuis' stream that LT holds as a replica
    let lt_only = open_at_lt(&fed, "LT-P1", &[(1, VT)]).await;
    let (s, b) = fed
        .node(1)
        .post("/api/v1/cases", &tok(1, "p"), case("VT-P1"))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = fed
        .node(1)
        .post(
            "/api/v1/escalations",
            &tok(1, "p"),
            json!({
                "case_ref": "VT-P1", "situation": "agreements_not_kept", "first_step": "management",
                "counterparts": [LT, GI], "question": "Wachtlijst", "needs": "Start hulp",
                "seeking_youth_help_access": false,
            }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let vt_stream = b["id"].as_str().unwrap().to_owned();
    fed.wait_for(
        0,
        "tm",
        &format!("/api/v1/escalations/{vt_stream}"),
        |s, _| s == 200,
    )
    .await;

    let unknown = doorbraak_model::stream_uuid(&oin(LT), uuid::Uuid::now_v7()).to_string();
    let mut answers = Vec::new();
    for id in [&unknown, &lt_only, &vt_stream] {
        let s = refused(
            fed.client_as(GI, 0)
                .request(pick_up(id, pid(2, "tm"), "team_manager"))
                .await,
        );
        let message = s.message().to_owned();
        answers.push((s.code(), message));
    }
    assert_eq!(answers[0].0, tonic::Code::PermissionDenied);
    assert!(
        answers[0].1.starts_with("access.not_a_party:"),
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "the answers tell the streams apart: {answers:?}"
    );

    // a flood of refused calls: the access log gets a few rows, the metric counts the rest
    let before = access_log(&fed, 0, GI).await.len();
    let mut client = fed.client_as(GI, 0);
    for _ in 0..300 {
        refused(
            client
                .request(pick_up(&unknown, pid(2, "tm"), "team_manager"))
                .await,
        );
    }
    let after = access_log(&fed, 0, GI).await.len();
    let written = after - before;
    assert!(
        written <= doorbraak_node::federation::throttle::PER_WINDOW as usize,
        "{written} rows for 300 refusals"
    );
    let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", fed.orgs[0].http))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unlogged: f64 = metrics
        .lines()
        .find(|l| l.starts_with("doorbraak_federation_refusals_unlogged_total") && l.contains(GI))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no unlogged refusals counted:\n{metrics}"));
    assert!(unlogged >= 290.0 - written as f64, "{unlogged}");
    // the honest call still works during and after the flood
    fed.client_as(VT, 0)
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_held_to_the_directorys_kinds_and_to_honest_numbers_and_times() {
    let mut fed = Fed::create("malicious-accept", &ORGS, &[], &[]);
    fed.start_all(4);
    let refused_with = |s: &tonic::Status, rule: &str| names(s, rule);

    // 1. the GI says its home is a municipality and its actor an alderman: the directory says
    //    it is a certified institution
    let (forged_id, forged) = gi_stream_with(|events| {
        for e in events.iter_mut() {
            e.event.by = Actor::person(pid(2, "w"), Role::Alderman, oin(GI));
            if let doorbraak_model::EscalationEvent::Opened { home, .. } = &mut e.event.body {
                home.kind = OrgKind::Municipality;
            }
        }
    });
    let s = refused(fed.client_as(GI, 1).deliver(forged).await);
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    refused_with(&s, "access.role_not_at_org_kind");
    let (kind_id, kind) = gi_stream_with(|events| {
        for e in events.iter_mut() {
            if let doorbraak_model::EscalationEvent::Opened { home, .. } = &mut e.event.body {
                home.kind = OrgKind::Municipality;
            }
        }
    });
    let s = refused(fed.client_as(GI, 1).deliver(kind).await);
    refused_with(&s, "federation.kind_not_in_directory");
    // a participant of Veilig Thuis named as an alderman
    let (part_id, part) = gi_stream_with(|events| {
        for e in events.iter_mut() {
            if let doorbraak_model::EscalationEvent::StepInvoked { participants, .. } =
                &mut e.event.body
            {
                participants.push(doorbraak_model::Participant {
                    person: doorbraak_model::PersonId::new(pid(1, "tm")),
                    name: "Vera".into(),
                    role: Role::Alderman,
                    org: oin(VT),
                });
            }
        }
    });
    let s = refused(fed.client_as(GI, 1).deliver(part).await);
    refused_with(&s, "access.role_not_at_org_kind");
    for id in [&forged_id, &kind_id, &part_id] {
        let (st, _) = fed
            .node(1)
            .get(&format!("/api/v1/escalations/{id}"), &tok(1, "tm"))
            .await;
        assert_eq!(st, 404, "nothing of it is stored at Veilig Thuis");
    }

    // 3. an event dated in the year 2999
    let (future_id, future) = gi_stream_with(|events| {
        events[0].event.at = "2999-01-01T00:00:00Z".parse().unwrap();
    });
    let s = refused(fed.client_as(GI, 1).deliver(future).await);
    refused_with(&s, "federation.event_in_future");
    let (st, _) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{future_id}"), &tok(1, "tm"))
        .await;
    assert_eq!(st, 404);

    // 2. an empty delivery for a stream id that names Veilig Thuis, sent by the GI to the
    //    local team: refused, and no "success" in the local team's access log
    let vt_id = doorbraak_model::stream_uuid(&oin(VT), uuid::Uuid::now_v7()).to_string();
    let empty = |stream_id: &str| v1::DeliverRequest {
        messages: vec![v1::Message {
            message_id: uuid::Uuid::now_v7().to_string(),
            stream_kind: "escalation".into(),
            stream_id: stream_id.to_owned(),
            events: vec![],
        }],
    };
    let s = refused(fed.client_as(GI, 0).deliver(empty(&vt_id)).await);
    refused_with(&s, "federation.stream_id_of_home");
    let gi_own = doorbraak_model::stream_uuid(&oin(GI), uuid::Uuid::now_v7()).to_string();
    let s = refused(fed.client_as(GI, 0).deliver(empty(&gi_own)).await);
    refused_with(&s, "federation.empty_message");
    let log = access_log(&fed, 0, GI).await;
    assert!(
        !log.iter()
            .any(|e| e["object_id"] == vt_id.as_str() && e["outcome"] == "success"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|e| e["object_id"] == vt_id.as_str()
            && e["outcome"]
                .as_str()
                .unwrap()
                .starts_with("refused:federation.stream_id_of_home")),
        "the refusal is logged: {log:?}"
    );

    //    events numbered -1 and 0 are refused, and the same message id with the real events
    //    is then applied, not dropped as a duplicate
    let (id, honest) = gi_stream(
        Actor::person(pid(2, "p"), Role::Professional, oin(GI)),
        "Wachtlijst",
    );
    let mut renumbered = honest.clone();
    for (i, e) in renumbered.messages[0].events.iter_mut().enumerate() {
        e.seq = i as i64 - 1;
    }
    let s = refused(fed.client_as(GI, 1).deliver(renumbered).await);
    refused_with(&s, "federation.sequence_from_one");
    let r = fed
        .client_as(GI, 1)
        .deliver(honest)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.applied.len(), 1, "{r:?}");
    assert!(r.duplicates.is_empty());
    let (st, b) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{id}"), &tok(1, "tm"))
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["state"]["home"]["kind"], "certified_institution", "{b}");

    // 3. a forwarded request id reused for another command is refused, not answered with the
    //    first answer; the same request again is the first answer
    let lt = open_at_lt(&fed, "LT-K1", &[(2, GI)]).await;
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut first = pick_up(&lt, pid(2, "tm"), "team_manager");
    first.request_id = request_id.clone();
    let a = fed
        .client_as(GI, 0)
        .request(first.clone())
        .await
        .unwrap()
        .into_inner();
    let again = fed
        .client_as(GI, 0)
        .request(first)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (again.version, again.events.len()),
        (a.version, a.events.len())
    );
    let mut other = pick_up(&lt, pid(2, "d"), "director");
    other.request_id = request_id;
    let s = refused(fed.client_as(GI, 0).request(other).await);
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    refused_with(&s, "idempotency.key_reused");
}

/// The GI's honest meeting with Veilig Thuis under escalation `escalation`, scheduled by the GI's
/// team manager, as a delivery of a new minutes stream.
fn gi_meeting(escalation: &str) -> v1::DeliverRequest {
    use doorbraak_model::{
        MeetingId, Minutes, MinutesCommand, MinutesEvent, MinutesId, Participant, PersonId,
    };
    let id = MinutesId(doorbraak_model::stream_uuid(&oin(GI), uuid::Uuid::now_v7()));
    let person = |i: usize, user: &str, role: Role, org: &str| Participant {
        person: PersonId::new(pid(i, user)),
        name: format!("Persoon {}", pid(i, user)),
        role,
        org: oin(org),
    };
    let cmd = MinutesCommand::Schedule {
        id,
        meeting: doorbraak_model::Meeting {
            id: MeetingId(uuid::Uuid::now_v7()),
            escalation: EscalationId(escalation.parse().unwrap()),
            step: Step::Management,
            date: jiff::Timestamp::now(),
            participants: vec![
                person(2, "tm", Role::TeamManager, GI),
                person(1, "tm", Role::TeamManager, VT),
            ],
            agenda: "Wachtlijst".into(),
        },
        policy: DeadlinePolicy::default(),
    };
    let by = Actor::person(pid(2, "tm"), Role::TeamManager, oin(GI));
    let (_, events) = Minutes::execute(None, &cmd, &by, jiff::Timestamp::now()).unwrap();
    let wire = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            doorbraak_proto::to_wire(&StoredEvent::<MinutesEvent> {
                seq: i as i64 + 1,
                event_id: uuid::Uuid::now_v7(),
                event,
            })
            .unwrap()
        })
        .collect();
    v1::DeliverRequest {
        messages: vec![v1::Message {
            message_id: uuid::Uuid::now_v7().to_string(),
            stream_kind: "minutes".into(),
            stream_id: id.to_string(),
            events: wire,
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_place_a_meeting_under_another_partys_escalation() {
    let mut fed = Fed::create("malicious-meeting", &ORGS, &[], &[]);
    fed.start_all(4);
    // the local team's escalation with Veilig Thuis: the GI is no party of it
    let lt_stream = open_at_lt(&fed, "LT-M1", &[(1, VT)]).await;
    fed.wait_for(
        1,
        "tm",
        &format!("/api/v1/escalations/{lt_stream}"),
        |s, _| s == 200,
    )
    .await;

    // forbidden: the GI schedules a meeting under it, at Veilig Thuis
    let s = refused(fed.client_as(GI, 1).deliver(gi_meeting(&lt_stream)).await);
    names(&s, "federation.meeting_outside_escalation");
    // forbidden: a meeting under an escalation Veilig Thuis does not hold
    let unknown = uuid::Uuid::now_v7().to_string();
    let s = refused(fed.client_as(GI, 1).deliver(gi_meeting(&unknown)).await);
    names(&s, "federation.meeting_escalation_unknown");

    // allowed: a meeting under the GI's own escalation with Veilig Thuis
    let (esc, honest) = gi_stream(
        Actor::person(pid(2, "p"), Role::Professional, oin(GI)),
        "Wachtlijst",
    );
    fed.client_as(GI, 1).deliver(honest).await.unwrap();
    let r = fed
        .client_as(GI, 1)
        .deliver(gi_meeting(&esc))
        .await
        .unwrap();
    assert_eq!(r.into_inner().applied.len(), 1);
}
