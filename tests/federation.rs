//! Several real nodes on loopback over real mutual TLS: the ladder across three organisations,
//! catch-up after downtime, duplicates, order, and every refusal of the federation boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use doorbraak_model::OrgKind;
use doorbraak_proto::v1;
use serde_json::{Value, json};
use support::fed::{Fed, pid, tok};
use support::{GEM, LT, VT, case};

const ORGS: [(&str, &str, OrgKind); 3] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (GEM, "Gemeente", OrgKind::Municipality),
];

fn rule(v: &Value) -> &str {
    v["rule"].as_str().unwrap_or("<no rule>")
}

fn part(i: usize, user: &str, role: &str) -> Value {
    json!({ "person": pid(i, user), "name": format!("Persoon {}", pid(i, user)), "role": role, "org": ORGS[i].0 })
}

async fn post(fed: &Fed, i: usize, user: &str, path: &str, body: Value) -> (u16, Value) {
    fed.node(i).post(path, &tok(i, user), body).await
}

/// (seq, event_id) of a stream's log at org `i`.
async fn log(fed: &Fed, i: usize, id: &str) -> Vec<(i64, String)> {
    fed.events(i, id)
        .await
        .into_iter()
        .map(|(seq, id, _)| (seq, id))
        .collect()
}

async fn version_at_least(fed: &Fed, i: usize, id: &str, v: i64) -> Value {
    fed.wait_for(i, "tm", &format!("/api/v1/escalations/{id}"), |s, b| {
        s == 200 && b["version"].as_i64().unwrap_or(0) >= v
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_ladder_across_three_organisations() {
    let mut fed = Fed::create("ladder", &ORGS, &[], &[]);
    fed.start_all(3);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-1")).await.0,
        201
    );

    // situation 1 opens at step 1 (the local team's professional and behavioural scientist)
    let (s, b) = post(&fed, 0, "p", "/api/v1/escalations", json!({
        "case_ref": "LT-1", "situation": "professional_dilemma", "first_step": "behavioural_scientists",
        "counterparts": [VT], "participants": [part(0, "p", "professional"), part(0, "g", "behavioural_scientist")],
        "question": "Verschil van inzicht over de volgende stap", "needs": "Veiligheid", "seeking_youth_help_access": false,
    })).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();

    // Veilig Thuis sees it and acts on its replica: requests go to the home
    version_at_least(&fed, 1, &id, 2).await;
    let (s, b) = post(
        &fed,
        1,
        "g",
        &format!("/api/v1/escalations/{id}/pick-up"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // who picks up joins the step under their name (the same through the web: one command)
    let home = version_at_least(&fed, 0, &id, 3).await;
    let joined: Vec<&Value> = home["state"]["steps"][0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["person"] == pid(1, "g") && p["org"] == ORGS[1].0)
        .collect();
    assert_eq!(joined.len(), 1, "{home}");
    assert!(!joined[0]["name"].as_str().unwrap().is_empty(), "{home}");
    let (s, b) = post(
        &fed,
        1,
        "p",
        &format!("/api/v1/escalations/{id}/steps"),
        json!({
            "step": "management", "participants": [part(1, "d", "director")],
        }),
    )
    .await;
    assert_eq!(
        (s, rule(&b)),
        (409, "ladder.step_not_ended"),
        "refusals come back from the home with the rule"
    );
    let (s, b) = post(
        &fed,
        1,
        "g",
        &format!("/api/v1/escalations/{id}/outcome"),
        json!({ "outcome": { "type": "unresolved", "summary": "Niet overbrugd" } }),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // step 2, invoked from the home's side
    let (s, b) = post(&fed, 0, "p", &format!("/api/v1/escalations/{id}/steps"), json!({
        "step": "management", "participants": [part(0, "tm", "team_manager"), part(1, "d", "director")],
    })).await;
    assert_eq!(s, 200, "{b}");
    version_at_least(&fed, 1, &id, 5).await;
    assert_eq!(
        post(
            &fed,
            1,
            "d",
            &format!("/api/v1/escalations/{id}/pick-up"),
            json!({})
        )
        .await
        .0,
        200
    );
    // a professional may not invoke step 3, wherever they are
    let step3 = json!({
        "step": "administrative", "joining": [GEM], "reason": "Beleid schiet tekort",
        "participants": [part(0, "d", "director"), part(2, "cs", "civil_servant"), part(2, "w", "alderman")],
    });
    let (s, b) = post(
        &fed,
        1,
        "d",
        &format!("/api/v1/escalations/{id}/outcome"),
        json!({ "outcome": { "type": "unresolved", "summary": "Onvoldoende resultaat" } }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    version_at_least(&fed, 1, &id, 7).await;
    let (s, b) = post(
        &fed,
        1,
        "p",
        &format!("/api/v1/escalations/{id}/steps"),
        step3.clone(),
    )
    .await;
    assert_eq!((s, rule(&b)), (403, "ladder.invoke_role"));

    // step 3: the municipality joins and receives the history it missed
    let (s, b) = post(
        &fed,
        0,
        "d",
        &format!("/api/v1/escalations/{id}/steps"),
        step3,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let g = version_at_least(&fed, 2, &id, 8).await;
    assert_eq!(g["current_step"], "administrative");
    assert_eq!(
        g["state"]["steps"].as_array().unwrap().len(),
        3,
        "the whole history arrived"
    );
    assert_eq!(
        post(
            &fed,
            2,
            "cs",
            &format!("/api/v1/escalations/{id}/pick-up"),
            json!({})
        )
        .await
        .0,
        200
    );
    let (s, b) = post(
        &fed,
        2,
        "w",
        &format!("/api/v1/escalations/{id}/outcome"),
        json!({ "outcome": { "type": "resolved", "summary": "Besluit: regionale crisisplek" } }),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    for step in ["behavioural_scientists", "management", "administrative"] {
        let (s, b) = post(
            &fed,
            0,
            "p",
            &format!("/api/v1/escalations/{id}/family-informed"),
            json!({
            "step": step, "informed": { "type": "before", "at": "2026-01-05T10:00:00Z" } }),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = post(&fed, 1, "d", &format!("/api/v1/escalations/{id}/close"), json!({
        "classification": { "bottleneck": { "type": "system", "nature": "financial" }, "scope": "structural" } })).await;
    assert_eq!((s, rule(&b)), (403, "escalation.close_at_home"));
    let (s, b) = post(&fed, 0, "tm", &format!("/api/v1/escalations/{id}/close"), json!({
        "classification": { "bottleneck": { "type": "system", "nature": "financial" }, "scope": "structural" } })).await;
    assert_eq!(s, 200, "{b}");
    let home_version = b["version"].as_i64().unwrap();

    // every party ends with the same ordered, durable log
    for i in 1..3 {
        let v = version_at_least(&fed, i, &id, home_version).await;
        assert_eq!(v["state"]["status"]["type"], "closed");
    }
    let home_log = log(&fed, 0, &id).await;
    assert_eq!(
        home_log.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=home_version).collect::<Vec<_>>()
    );
    assert_eq!(log(&fed, 1, &id).await, home_log);
    assert_eq!(log(&fed, 2, &id).await, home_log);

    // situation 2 goes straight to step 2
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-1", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id2 = b["id"].as_str().unwrap().to_owned();
    version_at_least(&fed, 1, &id2, 2).await;
    assert_eq!(
        post(
            &fed,
            1,
            "d",
            &format!("/api/v1/escalations/{id2}/pick-up"),
            json!({})
        )
        .await
        .0,
        200
    );
    let v = version_at_least(&fed, 0, &id2, 3).await;
    assert!(v["state"]["steps"][0]["picked_up"].is_array());
    // private notes stay on their node
    let outbox_before = doorbraak_store::Store::connect(&fed.db_url(0), 1)
        .await
        .unwrap()
        .outbox(Some(&id2))
        .await
        .unwrap()
        .len();
    let (s, b) = post(
        &fed,
        0,
        "p",
        &format!("/api/v1/escalations/{id2}/notes"),
        json!({ "text": "Moeder belde: spanningen thuis" }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (_, notes) = fed
        .node(0)
        .get(&format!("/api/v1/escalations/{id2}/notes"), &tok(0, "tm"))
        .await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    let (_, vt_notes) = fed
        .node(1)
        .get(&format!("/api/v1/escalations/{id2}/notes"), &tok(1, "d"))
        .await;
    assert!(
        vt_notes.as_array().unwrap().is_empty(),
        "the counterpart never sees them"
    );
    let outbox_after = doorbraak_store::Store::connect(&fed.db_url(0), 1)
        .await
        .unwrap()
        .outbox(Some(&id2))
        .await
        .unwrap()
        .len();
    assert_eq!(
        outbox_before, outbox_after,
        "no outbox row for a private note"
    );

    // the municipality is not a party to it: it never received it
    let (s, _) = fed
        .node(2)
        .get(&format!("/api/v1/escalations/{id2}"), &tok(2, "tm"))
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_was_down_catches_up_and_duplicates_change_nothing() {
    let mut fed = Fed::create("catchup", &ORGS[..2], &[], &[]);
    fed.start(0);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-2")).await.0,
        201
    );
    // Veilig Thuis is down: the home still decides, and keeps the message
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-2", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    let peers = fed
        .wait_for(0, "a", "/api/v1/federation/peers", |s, b| {
            s == 200 && b[0]["attempts"].as_i64().unwrap_or(0) >= 1
        })
        .await;
    assert_eq!(peers[0]["oin"], VT);
    assert_eq!(peers[0]["pending"], 1);
    assert!(peers[0]["last_error"].as_str().is_some(), "{peers}");
    // more happens while it is down
    assert_eq!(
        post(
            &fed,
            0,
            "p",
            &format!("/api/v1/escalations/{id}/situation"),
            json!({ "to": "conduct", "reason": "Handelen" })
        )
        .await
        .0,
        200
    );

    fed.start(1);
    let v = version_at_least(&fed, 1, &id, 3).await;
    assert_eq!(v["state"]["situation"], "conduct");
    fed.wait_for(0, "a", "/api/v1/federation/peers", |_, b| {
        b[0]["pending"] == 0
    })
    .await;
    assert_eq!(
        log(&fed, 1, &id).await,
        log(&fed, 0, &id).await,
        "in order, same ids"
    );

    // the same batch again (as the home): reported as duplicates, nothing changes
    let store = doorbraak_store::Store::connect(&fed.db_url(0), 1)
        .await
        .unwrap();
    let rows = store.outbox(Some(&id)).await.unwrap();
    assert_eq!(rows.len(), 2);
    let req = doorbraak_federation::delivery::to_request(&rows).unwrap();
    let before = log(&fed, 1, &id).await;
    let resp = fed
        .client_as(LT, 1)
        .deliver(req)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.duplicates.len(), 2);
    assert!(resp.applied.is_empty());
    assert_eq!(log(&fed, 1, &id).await, before);
    // a new message id carrying old events: accepted, skipped by sequence number
    let mut again = doorbraak_federation::delivery::to_request(&rows).unwrap();
    again.messages[0].message_id = uuid::Uuid::now_v7().to_string();
    let resp = fed
        .client_as(LT, 1)
        .deliver(again)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.applied.len(), 1);
    assert_eq!(log(&fed, 1, &id).await, before);

    // a request decided once per request id: the same id again is answered, not decided again
    let change = doorbraak_model::canonical::to_vec(&json!({ "type": "change_situation",
        "to": "agreements_not_kept", "reason": "Toch afspraken" }))
    .unwrap();
    let request = |request_id: String| v1::CommandRequest {
        stream_kind: "escalation".into(),
        stream_id: id.clone(),
        person: Some(v1::Person {
            id: pid(1, "p"),
            role: "professional".into(),
        }),
        command: change.clone(),
        request_id,
    };
    let rid = uuid::Uuid::now_v7().to_string();
    let first = fed
        .client_as(VT, 0)
        .request(request(rid.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.events.len(), 1);
    let again = fed
        .client_as(VT, 0)
        .request(request(rid))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.events, first.events,
        "the repeated request is answered with its first answer"
    );
    assert_eq!(again.version, first.version);
    assert_eq!(
        log(&fed, 0, &id).await.len() as i64,
        first.version,
        "the repeated request changed nothing at the home"
    );
    let other = fed
        .client_as(VT, 0)
        .request(request(uuid::Uuid::now_v7().to_string()))
        .await
        .unwrap_err();
    assert!(
        other.message().contains("situation.unchanged"),
        "a new request is decided: {}",
        other.message()
    );

    // a message the peer refuses for good (here: a stream id that is not the escalation's own,
    // nor one of the sender's) is set aside; what follows is not blocked behind it
    let forged_payload = rows[0].payload.replace(
        &format!("\"stream_id\":\"{id}\""),
        &format!("\"stream_id\":\"{}\"", uuid::Uuid::now_v7()),
    );
    assert_ne!(forged_payload, rows[0].payload);
    let mut tx = store.begin().await.unwrap();
    tx.enqueue(&doorbraak_store::NewOutbox {
        message_id: uuid::Uuid::now_v7(),
        destination: VT.into(),
        kind: "events".into(),
        stream_kind: Some("escalation".into()),
        stream_id: Some(uuid::Uuid::now_v7().to_string()),
        payload: forged_payload,
        created_at: jiff::Timestamp::now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-2", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "Nog een wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let later = b["id"].as_str().unwrap().to_owned();
    version_at_least(&fed, 1, &later, 2).await;
    let peers = fed
        .wait_for(0, "a", "/api/v1/federation/peers", |_, b| {
            b[0]["rejected"] == 1 && b[0]["pending"] == 0
        })
        .await;
    assert!(
        peers[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("federation.stream_id_of_home"),
        "{peers}"
    );
    // nothing is set aside silently: the administrator sees it with its reason, and a metric
    // counts it
    let (s, health) = fed
        .node(0)
        .get("/api/v1/federation/health", &tok(0, "a"))
        .await;
    assert_eq!(s, 200, "{health}");
    let dead = health["dead_letters"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "{health}");
    assert_eq!(dead[0]["destination"], VT);
    assert!(
        dead[0]["reason"]
            .as_str()
            .unwrap()
            .contains("federation.stream_id_of_home"),
        "{health}"
    );
    assert_eq!(health["audit"]["dead_letters"], 1);
    let (_, metrics) = fed.node(0).call("GET", "/metrics", None, None).await;
    assert!(
        metrics.as_str().unwrap().contains(&format!(
            "doorbraak_federation_dead_letters_total{{peer=\"{VT}\"}} 1"
        )),
        "{metrics}"
    );
    // the functional administrator only
    let (s, b) = fed
        .node(0)
        .get("/api/v1/federation/health", &tok(0, "p"))
        .await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    store.close().await;
}

fn is_refused<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> tonic::Status {
    match r {
        Ok(v) => panic!("the call was accepted: {v:?}"),
        Err(s) => s,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_federation_boundary_refuses_what_it_must() {
    const OUTSIDER: &str = "00000001000000000099";
    const REVOKED: (&str, &str, OrgKind) = (
        "00000001000000000050",
        "Zorgaanbieder",
        OrgKind::CareProvider,
    );
    let mut fed = Fed::create("refusals", &ORGS, &[OUTSIDER], &[REVOKED]);
    fed.start_all(3);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-3")).await.0,
        201
    );
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-3", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    version_at_least(&fed, 1, &id, 2).await;

    // allowed: a member calls
    let me = fed
        .client_as(VT, 0)
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.oin, LT);

    // no client certificate: the handshake is refused (seen on the first call)
    let roots = {
        let mut r = rustls::RootCertStore::empty();
        r.add(fed.material(LT).anchors[0].clone().into()).unwrap();
        r
    };
    let mut bare =
        rustls::ClientConfig::builder_with_provider(doorbraak_federation::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    bare.alpn_protocols = vec![b"h2".to_vec()];
    let ch = doorbraak_federation::transport::channel(
        &format!("127.0.0.1:{}", fed.orgs[0].grpc),
        std::sync::Arc::new(bare),
        doorbraak_model::Oin::parse(LT).unwrap(),
    )
    .unwrap();
    is_refused(
        doorbraak_proto::v1::federation_client::FederationClient::new(ch)
            .identity(v1::IdentityRequest::default())
            .await,
    );

    // a certificate of another CA, even with a member's OIN
    let other = support::tempdir("otherca");
    let other_pki = doorbraak_federation::pki::PkiDir(other.clone());
    other_pki.init_ca("Andere CA").unwrap();
    other_pki
        .issue_node(
            VT,
            "Nep Veilig Thuis",
            &["localhost".into(), "127.0.0.1".into()],
        )
        .unwrap();
    let f = other_pki.node_files(VT);
    let m = doorbraak_federation::tls::TlsMaterial::load(&doorbraak_federation::tls::TlsFiles {
        ca: fed.pki.ca_cert(),
        cert: f.cert,
        key: f.key,
        crl: None,
    })
    .unwrap();
    let ch = doorbraak_federation::transport::channel(
        &format!("127.0.0.1:{}", fed.orgs[0].grpc),
        m.client,
        doorbraak_model::Oin::parse(LT).unwrap(),
    )
    .unwrap();
    is_refused(
        doorbraak_proto::v1::federation_client::FederationClient::new(ch)
            .identity(v1::IdentityRequest::default())
            .await,
    );

    // a revoked certificate of a member
    is_refused(
        fed.client_as(REVOKED.0, 0)
            .identity(v1::IdentityRequest::default())
            .await,
    );

    // a valid certificate of a non-member
    let s = is_refused(
        fed.client_as(OUTSIDER, 0)
            .identity(v1::IdentityRequest::default())
            .await,
    );
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    assert!(
        s.message().starts_with("federation.not_a_member:"),
        "{}",
        s.message()
    );

    // a member that is not a party: cannot fetch, cannot act
    let s = is_refused(
        fed.client_as(GEM, 0)
            .fetch_events(v1::FetchEventsRequest {
                stream_kind: "escalation".into(),
                stream_id: id.clone(),
                after_seq: 0,
            })
            .await,
    );
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    let pick_up = doorbraak_model::canonical::to_vec(&doorbraak_model::EscalationCommand::PickUp {
        name: None,
    })
    .unwrap();
    let s = is_refused(
        fed.client_as(GEM, 0)
            .request(v1::CommandRequest {
                stream_kind: "escalation".into(),
                stream_id: id.clone(),
                person: Some(v1::Person {
                    id: pid(2, "d"),
                    role: "director".into(),
                }),
                command: pick_up.clone(),
                request_id: String::new(),
            })
            .await,
    );
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    assert!(
        s.message().contains("access.not_a_party"),
        "{}",
        s.message()
    );
    let (_, logbook) = fed
        .node(0)
        .get(&format!("/api/v1/access-log?object_id={id}"), &tok(0, "a"))
        .await;
    assert!(
        logbook
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["user_id"] == format!("node:{GEM}")
                && e["outcome"].as_str().unwrap().starts_with("refused")),
        "{logbook}"
    );

    // a body that claims another sender: the municipality delivering the local team's stream
    let store = doorbraak_store::Store::connect(&fed.db_url(0), 1)
        .await
        .unwrap();
    let rows = store.outbox(Some(&id)).await.unwrap();
    let mut forged = doorbraak_federation::delivery::to_request(&rows).unwrap();
    forged.messages[0].message_id = uuid::Uuid::now_v7().to_string();
    let before = log(&fed, 1, &id).await;
    let s = is_refused(fed.client_as(GEM, 1).deliver(forged).await);
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    assert_eq!(log(&fed, 1, &id).await, before, "nothing changed");
    // a party's person acting through another org's certificate is that org's person: the
    // sender is the certificate, so Veilig Thuis cannot act as the local team
    let open_as_lt =
        doorbraak_model::canonical::to_vec(&json!({"type": "close", "classification": {
        "bottleneck": { "type": "personal" }, "scope": "incidental" }}))
        .unwrap();
    let s = is_refused(
        fed.client_as(VT, 0)
            .request(v1::CommandRequest {
                stream_kind: "escalation".into(),
                stream_id: id.clone(),
                person: Some(v1::Person {
                    id: pid(0, "tm"),
                    role: "team_manager".into(),
                }),
                command: open_as_lt,
                request_id: String::new(),
            })
            .await,
    );
    assert!(
        s.message().contains("escalation.close_at_home"),
        "{}",
        s.message()
    );

    // a BSN in free text bound for another organisation is refused before anything is stored
    let outbox_before = store.outbox(None).await.unwrap().len();
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-3", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "Kind met BSN 111222333 wacht", "needs": "Start hulp", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!((s, rule(&b)), (422, "privacy.no_bsn"));
    // the Dutch message names the field as the form does; the English one by its code
    assert!(
        b["message_nl"]
            .as_str()
            .unwrap()
            .contains("wat gevraagd wordt van wie")
    );
    assert!(b["message_en"].as_str().unwrap().contains("question"));
    assert_eq!(store.outbox(None).await.unwrap().len(), outbox_before);
    store.close().await;
}

/// The recipients of every mail in `maildir` (its `To:` lines), and all the text.
fn received(maildir: &std::path::Path) -> (Vec<String>, String) {
    let mut to = Vec::new();
    let mut all = String::new();
    for e in std::fs::read_dir(maildir.join("new"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        to.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("To: "))
                .map(str::to_owned),
        );
        all.push_str(&text);
    }
    to.sort();
    (to, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_node_mails_its_own_people_what_waits_for_them_and_nothing_of_the_case() {
    if !support::smtp::available() {
        return;
    }
    let mut fed = Fed::create("mail", &ORGS[..2], &[], &[]);
    let port = support::free_port();
    let maildir = fed.dir.join("maildir");
    let _smtp = support::smtp::start(port, &maildir).await;
    // both nodes mail at any hour of a working day; every person has an address
    let working = support::smtp::working_day_offset();
    for (i, o) in fed.orgs.iter().enumerate() {
        let mut toml = std::fs::read_to_string(&o.config).unwrap();
        for (u, _) in support::fed::USERS {
            let token = format!("token = \"{}\"\n", tok(i, u));
            toml = toml.replace(
                &token,
                &format!("{token}email = \"{}@org{i}.example\"\n", pid(i, u)),
            );
        }
        toml.push_str(&format!(
            "\n[mail]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"doorbraak@org{i}.example\"\n\
             base_url = \"http://127.0.0.1:{}\"\nfrom_hour = 0\nuntil_hour = 24\n\n[dev]\nclock_offset_days = {working}\n",
            o.http
        ));
        std::fs::write(&o.config, toml).unwrap();
    }
    fed.start_all(2);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-MAIL")).await.0,
        201
    );
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
            "case_ref": "LT-MAIL", "situation": "agreements_not_kept", "first_step": "management",
            "counterparts": [VT], "question": "MARKER-Q9 de wachtlijst van moeder",
            "needs": "MARKER-Q9", "seeking_youth_help_access": false,
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    // Veilig Thuis's node tells its own team manager and director (the step's pickup roles)
    let want_vt = vec![
        format!("{}@org1.example", pid(1, "d")),
        format!("{}@org1.example", pid(1, "tm")),
    ];
    let mut got = Vec::new();
    for _ in 0..100 {
        got = received(&maildir).0;
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got, want_vt, "only Veilig Thuis's people who pick it up");
    // its team manager picks it up: the local team's node tells the professional who asked
    let picked = fed
        .wait_for(1, "tm", &format!("/api/v1/escalations/{id}"), |s, _| {
            s == 200
        })
        .await;
    let _ = picked;
    let (s, b) = post(
        &fed,
        1,
        "tm",
        &format!("/api/v1/escalations/{id}/pick-up"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let mut all = String::new();
    for _ in 0..100 {
        (got, all) = received(&maildir);
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut want = want_vt;
    want.insert(0, format!("{}@org0.example", pid(0, "p")));
    want.sort();
    assert_eq!(got, want, "each once, each by their own node");
    assert!(
        !all.contains("MARKER") && !all.contains("LT-MAIL"),
        "no case content"
    );
    // and nothing more comes (no duplicates from redelivery)
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(received(&maildir).0.len(), 3);
}
