//! The node's JSON API against the real binary, on SQLite and PostgreSQL: what is allowed
//! works, what is forbidden is refused with the rule's name, malformed input gets a precise
//! 4xx, reads and refusals are in the access log, deadlines survive a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::*;

fn rule(v: &Value) -> &str {
    v["rule"].as_str().unwrap_or("<no rule>")
}

#[tokio::test]
async fn the_api_decides_with_the_model_and_refuses_by_rule() {
    let dir = tempdir("api");
    for (db, url) in databases(&dir).await {
        let sub = dir.join(&db);
        std::fs::create_dir_all(&sub).unwrap();
        let node = NodeProc::start(&write_config(&sub, &url), &[]);
        scenario(&node, &url, &sub).await;
        eprintln!("api scenario passed on {db}");
    }
}

async fn scenario(node: &NodeProc, url: &str, dir: &std::path::Path) {
    // authentication
    let (s, b) = node.call("GET", "/api/v1/me", None, None).await;
    assert_eq!((s, rule(&b)), (401, "auth.unauthenticated"));
    let (s, b) = node
        .call("GET", "/api/v1/me", Some("wrong-token"), None)
        .await;
    assert_eq!((s, rule(&b)), (401, "auth.unauthenticated"));
    let (s, me) = node.get("/api/v1/me", ANNA).await;
    assert_eq!(s, 200);
    assert_eq!(me["role"], "professional");
    assert_eq!(me["organisation"], LT);

    // cases
    let (s, _) = node.post("/api/v1/cases", ANNA, case("LT-2026-0042")).await;
    assert_eq!(s, 201);
    let (s, b) = node.post("/api/v1/cases", ANNA, case("LT-2026-0042")).await;
    assert_eq!((s, rule(&b)), (409, "state.already_exists"));
    let (s, b) = node.post("/api/v1/cases", ANNA, case("123456782")).await;
    assert_eq!((s, rule(&b)), (422, "privacy.no_bsn"));

    // opening: allowed, and refused by rule
    let (s, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-2026-0042"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["events"], json!(["opened", "step_invoked"]));
    let esc = b["id"].as_str().unwrap().to_owned();
    assert_eq!(
        b["state"]["steps"][0]["participants"][0]["person"], "anna",
        "the opener takes part"
    );

    let mut step1 = open_sit2("LT-2026-0042");
    step1["first_step"] = json!("behavioural_scientists");
    let (s, b) = node.post("/api/v1/escalations", ANNA, step1).await;
    assert_eq!((s, rule(&b)), (409, "ladder.step1_only_situation1"));
    assert_eq!(
        b["message_nl"],
        "Stap 1 (gedragswetenschappers) is alleen mogelijk bij situatie 1 (professioneel dilemma)"
    );
    let (s, b) = node
        .post("/api/v1/escalations", BEHEER, open_sit2("LT-2026-0042"))
        .await;
    assert_eq!((s, rule(&b)), (403, "ladder.invoke_role"));
    let mut stranger = open_sit2("LT-2026-0042");
    stranger["counterparts"] = json!(["00000001999999999999"]);
    let (s, b) = node.post("/api/v1/escalations", ANNA, stranger).await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"));
    assert!(b["message_en"].as_str().unwrap().contains("directory"));
    let (s, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-unknown"))
        .await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"));
    assert!(
        b["message_en"].as_str().unwrap().contains("case_ref"),
        "{b}"
    );

    // the ladder from the home's side
    let step3 = json!({
        "step": "administrative",
        "participants": [{ "person": "frank", "name": "Frank Visser", "role": "director", "org": LT }],
        "reason": "Beleid schiet tekort",
    });
    let (s, b) = node
        .post(&format!("/api/v1/escalations/{esc}/steps"), FRANK, step3)
        .await;
    assert_eq!((s, rule(&b)), (409, "ladder.step_not_ended"));
    let (s, b) = node
        .post(
            &format!("/api/v1/escalations/{esc}/pick-up"),
            FRANK,
            json!({}),
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "deadline.pickup_by_counterpart"));
    let fam = json!({ "step": "management", "informed": { "type": "before", "at": "2026-01-05T10:00:00Z" } });
    let (s, b) = node
        .post(
            &format!("/api/v1/escalations/{esc}/family-informed"),
            ANNA,
            fam.clone(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = node
        .post(
            &format!("/api/v1/escalations/{esc}/family-informed"),
            ANNA,
            fam,
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "family.already_recorded"));
    let close = json!({ "classification": { "bottleneck": { "type": "system", "nature": "organisational" }, "scope": "structural" } });
    let (s, b) = node
        .post(&format!("/api/v1/escalations/{esc}/close"), EVA, close)
        .await;
    assert_eq!((s, rule(&b)), (409, "escalation.close_needs_ended_step"));
    let (s, b) = node
        .post(
            &format!("/api/v1/escalations/{esc}/situation"),
            ANNA,
            json!({ "to": "conduct", "reason": "Het gaat om het handelen" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"]["situation"], "conduct");

    // reads show state and are logged; refusals are logged
    let (s, b) = node.get(&format!("/api/v1/escalations/{esc}"), EVA).await;
    assert_eq!(s, 200);
    assert_eq!(b["current_step"], "management");
    assert_eq!(b["overdue"], false);
    let (s, b) = node
        .get(&format!("/api/v1/escalations/{esc}/events"), EVA)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b.as_array().unwrap().len(), 4);
    let (s, b) = node
        .get(&format!("/api/v1/access-log?object_id={esc}"), ANNA)
        .await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    // case content is for the roles that work on cases: the functional administrator and the
    // quality officer read the access log and the register, not the escalation
    for who in [BEHEER, QUINTEN] {
        let (s, b) = node.get(&format!("/api/v1/escalations/{esc}"), who).await;
        assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"), "{b}");
        let (s, b) = node.get("/api/v1/escalations", who).await;
        assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
        let (s, b) = node.get("/api/v1/cases", who).await;
        assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    }
    let (s, _) = node.get(&format!("/api/v1/escalations/{esc}"), CARLA).await;
    assert_eq!(s, 200);
    let (s, log) = node
        .get(&format!("/api/v1/access-log?object_id={esc}"), BEHEER)
        .await;
    assert_eq!(s, 200);
    let entries: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["user_id"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        entries.contains(&("C".into(), "anna".into(), "success".into())),
        "{entries:?}"
    );
    assert!(
        entries.contains(&("R".into(), "eva".into(), "success".into())),
        "{entries:?}"
    );
    assert!(
        entries.contains(&(
            "E".into(),
            "frank".into(),
            "refused:ladder.step_not_ended".into()
        )),
        "{entries:?}"
    );

    // the outbox holds the events for the counterpart, written with the command
    let store_url = if url.is_empty() {
        format!("sqlite://{}/data/node.db", dir.display())
    } else {
        url.to_owned()
    };
    let store = doorbraak_store::Store::connect(&store_url, 1)
        .await
        .unwrap();
    let outbox = store.outbox(Some(&esc)).await.unwrap();
    assert_eq!(
        outbox.len(),
        3,
        "one row for Veilig Thuis per committed command"
    );
    assert!(
        outbox
            .iter()
            .all(|o| o.destination == VT && o.kind == "events")
    );
    let first: Value = serde_json::from_str(&outbox[0].payload).unwrap();
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    assert_eq!(first["home"], LT);
    store.close().await;

    // kwesties: the local path
    let (s, b) = node.post("/api/v1/kwesties", EVA, raise_kwestie()).await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    let (s, b) = node.post("/api/v1/kwesties", ANNA, raise_kwestie()).await;
    assert_eq!(s, 201, "{b}");
    let kw = b["id"].as_str().unwrap().to_owned();
    let mut no_cat = raise_kwestie();
    no_cat["categories"] = json!([]);
    let (s, b) = node.post("/api/v1/kwesties", ANNA, no_cat).await;
    assert_eq!((s, rule(&b)), (409, "kwestie.category_required"));
    let (s, b) = node
        .post(&format!("/api/v1/kwesties/{kw}/pick-up"), ANNA, json!({}))
        .await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    let (s, _) = node
        .post(&format!("/api/v1/kwesties/{kw}/pick-up"), EVA, json!({}))
        .await;
    assert_eq!(s, 200);
    let resolve = json!({
        "solution": "Tijdelijke inhuur en structureel extra formatie",
        "scope": "structural",
        "solved_for_family": true,
        "classification": { "bottleneck": { "type": "system", "nature": "financial" }, "scope": "structural",
            "root_causes": [{ "cause": "lack_of_usable_budget", "why": ["Budget is per kwartaal vastgelegd"] }] },
    });
    let (s, b) = node
        .post(
            &format!("/api/v1/kwesties/{kw}/resolve"),
            EVA,
            resolve.clone(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = node
        .post(&format!("/api/v1/kwesties/{kw}/resolve"), EVA, resolve)
        .await;
    assert_eq!((s, rule(&b)), (409, "kwestie.closed"));
    let (s, b) = node.get("/api/v1/kwesties?status=resolved", EVA).await;
    assert_eq!(s, 200);
    assert_eq!(b.as_array().unwrap().len(), 1);
    // a word that is no status is named as such, not answered with an empty list; a status
    // of another kind matches nothing
    for bad in ["gesloten", ""] {
        let (s, b) = node
            .get(&format!("/api/v1/kwesties?status={bad}"), EVA)
            .await;
        assert_eq!((s, rule(&b)), (422, "input.invalid_field"), "{bad}: {b}");
        assert!(b["message_en"].as_str().unwrap().contains("status"), "{b}");
    }
    let (s, b) = node.get("/api/v1/kwesties?status=closed", EVA).await;
    assert_eq!((s, b.as_array().map(Vec::len)), (200, Some(0)), "{b}");

    // malformed input: precise 4xx, nothing written
    let before = node
        .get("/api/v1/escalations", EVA)
        .await
        .1
        .as_array()
        .unwrap()
        .len();
    let raw = |body: &'static str, ct: &'static str| {
        node.client
            .post(format!("{}/api/v1/escalations", node.base))
            .bearer_auth(ANNA)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = raw("{\"case_ref\": ", "application/json").await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        rule(&r.json::<Value>().await.unwrap()),
        "input.malformed_json"
    );
    let r = raw("{}", "text/plain").await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let mut extra = open_sit2("LT-2026-0042");
    extra["bsn"] = json!("123456782");
    let (s, b) = node.post("/api/v1/escalations", ANNA, extra).await;
    assert_eq!((s, rule(&b)), (422, "input.unknown_field"));
    let mut huge = open_sit2("LT-2026-0042");
    huge["question"] = json!("x".repeat(80_000)); // over the 64 KiB limit, small enough for the socket buffer
    let (s, b) = node.post("/api/v1/escalations", ANNA, huge).await;
    assert_eq!((s, rule(&b)), (413, "input.body_too_large"));
    let mut long = open_sit2("LT-2026-0042");
    long["question"] = json!("x".repeat(30_000));
    let (s, b) = node.post("/api/v1/escalations", ANNA, long).await;
    assert_eq!((s, rule(&b)), (422, "input.invalid_field"));
    let (s, b) = node.get("/api/v1/escalations/not-a-uuid", EVA).await;
    assert_eq!((s, rule(&b)), (400, "input.invalid_id"));
    let (s, b) = node
        .get(
            &format!("/api/v1/escalations/{}", uuid::Uuid::now_v7()),
            EVA,
        )
        .await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"));
    let (s, b) = node.get("/api/v1/escalations?bogus=1", EVA).await;
    assert_eq!((s, rule(&b)), (400, "input.query"));
    let (s, b) = node.get("/api/v1/nope", EVA).await;
    assert_eq!((s, rule(&b)), (404, "http.not_found"));
    let after = node
        .get("/api/v1/escalations", EVA)
        .await
        .1
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "refused requests wrote nothing");

    // operations endpoints
    let (s, _) = node.call("GET", "/readyz", None, None).await;
    assert_eq!(s, 200);
    let (s, m) = node.call("GET", "/metrics", None, None).await;
    assert_eq!(s, 200);
    let m = m.as_str().unwrap();
    assert!(
        m.contains(
            "doorbraak_commands_total{kind=\"escalation\",command=\"open\",outcome=\"ok\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains("outcome=\"refused\""));
    let (s, doc) = node.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    assert!(doc["paths"]["/api/v1/escalations/{id}/steps"]["post"].is_object());
    assert!(doc["components"]["schemas"]["OpenEscalationRequest"].is_object());
    // every command documents its Idempotency-Key
    for (path, item) in doc["paths"].as_object().unwrap() {
        if let Some(post) = item.get("post") {
            let documented = post["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
            });
            assert!(documented, "POST {path} documents no Idempotency-Key");
        }
    }
}

#[tokio::test]
async fn deadlines_are_durable_and_swept_after_a_restart() {
    let dir = tempdir("deadlines");
    for (db, url) in databases(&dir).await {
        let sub = dir.join(&db);
        std::fs::create_dir_all(&sub).unwrap();
        let config = write_config(&sub, &url);
        let (esc, kw) = {
            let node = NodeProc::start(&config, &[]);
            node.post("/api/v1/cases", ANNA, case("LT-7")).await;
            let (s, b) = node
                .post("/api/v1/escalations", ANNA, open_sit2("LT-7"))
                .await;
            assert_eq!(s, 201);
            let esc = b["id"].as_str().unwrap().to_owned();
            let (s, b) = node.post("/api/v1/kwesties", ANNA, raise_kwestie()).await;
            assert_eq!(s, 201);
            let kw = b["id"].as_str().unwrap().to_owned();
            // before the deadline the board step is refused
            let (s, b) = node
                .post(
                    &format!("/api/v1/kwesties/{kw}/escalate-to-board"),
                    ANNA,
                    json!({ "co_signer": "eva", "co_signer_role": "team_manager" }),
                )
                .await;
            assert_eq!((s, rule(&b)), (409, "kwestie.board_not_due"));
            (esc, kw)
        }; // the node is killed here: no timer survives in memory

        // fifteen days later (a development clock offset), a fresh process
        let node = NodeProc::start(&config, &[("DOORBRAAK__DEV__CLOCK_OFFSET_DAYS", "15")]);
        let mut marked = false;
        for _ in 0..100 {
            let (_, b) = node
                .get(&format!("/api/v1/escalations/{esc}/events"), EVA)
                .await;
            if b.as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"]["body"]["type"] == "step_overdue")
            {
                marked = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            marked,
            "the sweeper marked the passed step deadline after restart ({db})"
        );
        let (_, b) = node.get(&format!("/api/v1/escalations/{esc}"), EVA).await;
        assert_eq!(b["overdue"], true);
        let (_, b) = node.get("/api/v1/escalations?overdue=true", EVA).await;
        assert_eq!(b.as_array().unwrap().len(), 1);
        let (_, b) = node.get(&format!("/api/v1/kwesties/{kw}"), ANNA).await;
        assert_eq!(b["offers_board_escalation"], true);
        // the team manager is told of both passed deadlines, as the web's "Meldingen" says
        let (_, notes) = node.get("/api/v1/notifications", EVA).await;
        let overdue: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["reason"] == "overdue")
            .map(|n| n["stream_kind"].as_str().unwrap())
            .collect();
        assert_eq!(overdue.len(), 2, "{notes}");
        assert!(
            overdue.contains(&"escalation") && overdue.contains(&"kwestie"),
            "{notes}"
        );
        // ... and the web's "Meldingen" lists the same notices
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let session = web_login(&client, &node.base, "eva").await;
        let page = web_page(&client, &node.base, &session, "/meldingen").await;
        assert_eq!(
            page.matches("Een termijn is verstreken").count(),
            2,
            "{page}"
        );
        let (s, b) = node
            .post(
                &format!("/api/v1/kwesties/{kw}/escalate-to-board"),
                ANNA,
                json!({ "co_signer": "eva", "co_signer_role": "team_manager" }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["state"]["board"]["co_signer"], "eva");
        // the sweep happened once: a second pass finds nothing more
        let (_, events) = node
            .get(&format!("/api/v1/escalations/{esc}/events"), EVA)
            .await;
        let overdue = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"]["body"]["type"] == "step_overdue")
            .count();
        assert_eq!(overdue, 1);
        let (_, m) = node.call("GET", "/metrics", None, None).await;
        assert!(
            m.as_str().unwrap().contains("doorbraak_deadlines_missed 0"),
            "the auditor's check finds no lost timer"
        );
        eprintln!("deadline test passed on {db}");
    }
}

#[tokio::test]
async fn meetings_and_minutes_through_the_api() {
    let dir = tempdir("minutes");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    node.post("/api/v1/cases", ANNA, case("LT-M")).await;
    let (_, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-M"))
        .await;
    let esc = b["id"].as_str().unwrap().to_owned();
    let participants = json!([
        { "person": "eva", "name": "Eva Bakker", "role": "team_manager", "org": LT },
        { "person": "frank", "name": "Frank Visser", "role": "director", "org": LT },
        { "person": "gerda", "name": "Gerda de Boer", "role": "director", "org": VT },
    ]);
    let meeting = |step: &str| {
        json!({ "escalation": esc, "step": step, "date": "2026-11-20T10:00:00Z",
                "participants": participants, "agenda": "1. Wachtlijst" })
    };
    let (s, b) = node
        .post("/api/v1/meetings", EVA, meeting("administrative"))
        .await;
    assert_eq!((s, rule(&b)), (409, "ladder.step_not_reached"));
    let (s, b) = node
        .post("/api/v1/meetings", ANNA, meeting("management"))
        .await;
    assert_eq!((s, rule(&b)), (403, "minutes.not_participant"));
    let (s, b) = node
        .post("/api/v1/meetings", EVA, meeting("management"))
        .await;
    assert_eq!(s, 201, "{b}");
    let m = b["id"].as_str().unwrap().to_owned();
    let (s, _) = node
        .post(
            &format!("/api/v1/meetings/{m}/minutes"),
            EVA,
            json!({ "content": "Verslag v1" }),
        )
        .await;
    assert_eq!(s, 200);
    let hash = |t: &str| doorbraak_model::minutes::content_hash(t);
    let approve = |rev: u32, text: &str| json!({ "revision": rev, "content_hash": hash(text) });
    let (s, b) = node
        .post(
            &format!("/api/v1/meetings/{m}/approve"),
            FRANK,
            approve(1, "Verslag v1"),
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "minutes.not_circulated"));
    node.post(&format!("/api/v1/meetings/{m}/circulate"), EVA, json!({}))
        .await;
    let (s, _) = node
        .post(
            &format!("/api/v1/meetings/{m}/approve"),
            FRANK,
            approve(1, "Verslag v1"),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = node
        .post(
            &format!("/api/v1/meetings/{m}/request-changes"),
            EVA,
            json!({ "revision": 1, "comment": "Punt 2 mist" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = node
        .post(
            &format!("/api/v1/meetings/{m}/revisions"),
            EVA,
            json!({ "content": "Verslag v2" }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b["state"]["main"]["approvals"],
        json!([]),
        "a new revision voids approvals"
    );
    node.post(&format!("/api/v1/meetings/{m}/circulate"), EVA, json!({}))
        .await;
    let (s, b) = node
        .post(
            &format!("/api/v1/meetings/{m}/approve"),
            FRANK,
            approve(1, "Verslag v1"),
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "minutes.stale_revision"));
    let (s, b) = node
        .post(
            &format!("/api/v1/meetings/{m}/approve"),
            FRANK,
            approve(2, "Verslag v2"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = node.get(&format!("/api/v1/meetings/{m}"), EVA).await;
    assert_eq!(s, 200);
    assert_eq!(b["state"]["main"]["revisions"].as_array().unwrap().len(), 2);
    assert_eq!(b["state"]["main"]["approvals"][0]["person"], "frank");
    let (s, b) = node.get("/api/v1/meetings/not-a-uuid", EVA).await;
    assert_eq!((s, rule(&b)), (400, "input.invalid_id"));
    // the minutes go to the other participating organisation (Veilig Thuis) only
    let store =
        doorbraak_store::Store::connect(&format!("sqlite://{}/data/node.db", dir.display()), 1)
            .await
            .unwrap();
    let rows = store.outbox(Some(&m)).await.unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.destination == VT));
}

#[test]
fn a_bad_config_is_refused_naming_the_key_and_logs_can_be_json() {
    let dir = tempdir("badconfig");
    let config = write_config(&dir, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("step_pickup_days = 14", "step_pickup_days = 0");
    std::fs::write(&config, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["--log-format", "json", "node", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deadlines.step_pickup_days"), "{err}");

    // a good config with JSON logs: every log line is a JSON object
    let good = write_config(&dir, "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["--log-format", "json", "node", "--config"])
        .arg(&good)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.starts_with("READY http="), "{line}");
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    let first = logs.lines().next().expect("a log line");
    let v: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("not JSON: {first}: {e}"));
    assert_eq!(v["fields"]["message"], "node ready");
}

#[tokio::test]
async fn team_overview_agenda_and_recommendations_register() {
    let dir = tempdir("team");
    let config = write_config(&dir, "");
    let mut first = raise_kwestie();
    first["route"] = json!({ "to_team_manager": true, "on_team_agenda": true });
    let (k1, k2) = {
        let node = NodeProc::start(&config, &[]);
        let (s, b) = node.post("/api/v1/kwesties", ANNA, first.clone()).await;
        assert_eq!(s, 201, "{b}");
        let (_, b2) = node.post("/api/v1/kwesties", ANNA, raise_kwestie()).await;
        (
            b["id"].as_str().unwrap().to_owned(),
            b2["id"].as_str().unwrap().to_owned(),
        )
    };
    // fifteen days later a new kwestie is raised for the agenda too
    let node = NodeProc::start(&config, &[("DOORBRAAK__DEV__CLOCK_OFFSET_DAYS", "15")]);
    let (s, b) = node.post("/api/v1/kwesties", ANNA, first).await;
    assert_eq!(s, 201, "{b}");
    let k3 = b["id"].as_str().unwrap().to_owned();

    let (s, b) = node.get("/api/v1/team/overview", ANNA).await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    let (s, overview) = node.get("/api/v1/team/overview", EVA).await;
    assert_eq!(s, 200);
    let ks = overview["kwesties"].as_array().unwrap();
    assert_eq!(ks.len(), 3);
    assert_eq!(ks[0]["overdue"], true, "overdue first: {overview}");
    assert!(ks[0]["age_days"].as_i64().unwrap() >= 15);
    assert_eq!(ks[2]["id"], k3.as_str());
    assert_eq!(ks[2]["overdue"], false);

    let (s, agenda) = node.get("/api/v1/team/agenda", EVA).await;
    assert_eq!(s, 200);
    let items: Vec<&str> = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kwestie"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        vec![k1.as_str(), k3.as_str()],
        "only kwesties routed to the team meeting, overdue first"
    );
    assert_eq!(agenda["items"][0]["offers_board_escalation"], true);
    assert!(!items.contains(&k2.as_str()));

    // the recommendations register
    let rec = json!({ "origin": { "type": "kwestie", "id": k1 }, "title": "Meer gezinsmanagers",
        "text": "Werf twee gezinsmanagers extra", "owner": "eva", "due": "2027-03-01" });
    let (s, b) = node
        .post("/api/v1/recommendations", ANNA, rec.clone())
        .await;
    assert_eq!((s, rule(&b)), (403, "access.role_not_allowed"));
    let (s, b) = node.post("/api/v1/recommendations", QUINTEN, rec).await;
    assert_eq!(s, 201, "{b}");
    let r = b["id"].as_str().unwrap().to_owned();
    let status = |st: &str| json!({ "status": st, "note": "voortgang" });
    assert_eq!(
        node.post(
            &format!("/api/v1/recommendations/{r}/status"),
            QUINTEN,
            status("in_progress")
        )
        .await
        .0,
        200
    );
    let (s, b) = node
        .post(
            &format!("/api/v1/recommendations/{r}/status"),
            QUINTEN,
            status("open"),
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "register.status_transition"));
    assert_eq!(
        node.post(
            &format!("/api/v1/recommendations/{r}/status"),
            EVA,
            status("done")
        )
        .await
        .0,
        200
    );
    let (s, b) = node
        .post(
            &format!("/api/v1/recommendations/{r}/follow-up"),
            QUINTEN,
            json!({ "text": "nog iets" }),
        )
        .await;
    assert_eq!((s, rule(&b)), (409, "register.closed"));
    let (_, list) = node.get("/api/v1/recommendations", QUINTEN).await;
    assert_eq!(list[0]["status"], "done");
    assert_eq!(list[0]["state"]["follow_up"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_client_commands_mirror_the_api() {
    let dir = tempdir("cli");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    let cli = |token: &str, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
            .args(args)
            .env("DOORBRAAK_URL", &node.base)
            .env("DOORBRAAK_TOKEN", token)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(cli(ANNA, &["case", "create", "LT-CLI", "--title", "Gezin C"]).0);
    let (ok, out, err) = cli(
        ANNA,
        &[
            "escalation",
            "--json",
            "open",
            "--case",
            "LT-CLI",
            "--situation",
            "agreements_not_kept",
            "--step",
            "management",
            "--counterpart",
            VT,
            "--question",
            "Wachtlijst",
            "--needs",
            "Start hulp",
            "--referral-route",
            "no",
        ],
    );
    assert!(ok, "{out}{err}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, out, _) = cli(EVA, &["escalation", "list"]);
    assert!(ok && out.contains(&id) && out.contains("stap 2"), "{out}");
    // a refusal names the rule and says it in Dutch
    let (ok, _, err) = cli(
        ANNA,
        &[
            "escalation",
            "step",
            &id,
            "--step",
            "behavioural_scientists",
            "--participant",
            &format!("carla:Carla:behavioural_scientist:{LT}"),
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("409 ladder.no_step_back") || err.contains("ladder."),
        "{err}"
    );
    let (ok, out, err) = cli(
        ANNA,
        &[
            "escalation",
            "family-informed",
            &id,
            "--step",
            "management",
            "--at",
            "2026-01-05T10:00:00Z",
        ],
    );
    assert!(ok && out.starts_with("ok:"), "{out}{err}");
    let (ok, out, err) = cli(
        ANNA,
        &[
            "kwestie",
            "raise",
            "--obstacle",
            "Te weinig gezinsmanagers",
            "--category",
            "too_few_family_managers",
            "--discussed-with",
            "team",
            "--on-team-agenda",
        ],
    );
    assert!(ok && out.contains("raised"), "{out}{err}");
    let (ok, out, _) = cli(EVA, &["kwestie", "list"]);
    assert!(ok && out.contains("raised"), "{out}");
    let (ok, _, err) = cli(
        EVA,
        &[
            "kwestie",
            "raise",
            "--obstacle",
            "x",
            "--category",
            "waiting_list",
            "--discussed-with",
            "team",
            "--on-team-agenda",
        ],
    );
    assert!(!ok && err.contains("access.role_not_allowed"), "{err}");
}

/// The value of `name="..." value="..."` in a page, for hidden form fields.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_web_form_sent_twice_has_one_effect_and_shows_the_first_answer() {
    let dir = tempdir("webidem");
    let config = write_config(&dir, "");
    let node = NodeProc::start(&config, &[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // log in as Anna with her development account
    let session = web_login(&client, &node.base, "anna").await;
    // the form to register a case carries a key of its own
    let html = web_page(&client, &node.base, &session, "/casussen").await;
    let (csrf, idem) = (hidden(&html, "_csrf"), hidden(&html, "_idem"));
    let send = |idem: String| {
        client
            .post(format!("{}/casussen", node.base))
            .header("cookie", &session)
            .form(&[
                ("_csrf", csrf.clone()),
                ("_idem", idem),
                ("case_ref", "LT-WEB-1".into()),
                ("title", "Gezin".into()),
            ])
            .send()
    };
    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
    };
    let first = send(idem.clone()).await.unwrap();
    assert_eq!(location(&first).as_deref(), Some("/casussen/LT-WEB-1"));
    // sent again (a double click, a retry): the first answer, not "already exists"
    let again = send(idem).await.unwrap();
    assert_eq!(location(&again).as_deref(), Some("/casussen/LT-WEB-1"));
    // another rendering of the form is another operation: refused by the rule
    let other = send(uuid::Uuid::now_v7().to_string()).await.unwrap();
    assert_eq!(location(&other).as_deref(), Some("/casussen"));
    let (_, cases) = node.get("/api/v1/cases", ANNA).await;
    assert_eq!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["case_ref"] == "LT-WEB-1")
            .count(),
        1
    );
    // the paths of earlier releases (before the glossary's casus and verslag) redirect for
    // good, keeping the method, the query and the form's body
    for (old, new) in [
        ("/zaken?zoek=LT-WEB", "/casussen?zoek=LT-WEB"),
        ("/zaken/LT-WEB-1", "/casussen/LT-WEB-1"),
        ("/zaken/LT-WEB-1/inzage", "/casussen/LT-WEB-1/inzage"),
    ] {
        let r = client
            .get(format!("{}{old}", node.base))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), location(&r).as_deref()),
            (308, Some(new)),
            "{old}"
        );
    }
    let meeting = uuid::Uuid::now_v7();
    let r = client
        .post(format!("{}/overleggen/{meeting}/notulen", node.base))
        .header("cookie", &session)
        .form(&[("_csrf", csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (308, Some(format!("/overleggen/{meeting}/verslag")))
    );
    // a form sent to the old path lands where the new one does: followed, the case exists
    let follow = reqwest::Client::builder().build().unwrap();
    let r = follow
        .post(format!("{}/zaken", node.base))
        .header("cookie", &session)
        .form(&[
            ("_csrf", csrf.clone()),
            ("_idem", uuid::Uuid::now_v7().to_string()),
            ("case_ref", "LT-WEB-2".to_owned()),
            ("title", "Gezin".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.url().path().ends_with("/casussen/LT-WEB-2"),
        "{}",
        r.url()
    );
    let (_, cases) = node.get("/api/v1/cases", ANNA).await;
    assert!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["case_ref"] == "LT-WEB-2"),
        "{cases}"
    );
}

fn rule_of(v: &Value) -> &str {
    v["rule"].as_str().unwrap_or("<no rule>")
}

#[tokio::test]
async fn the_referral_route_question_must_be_answered_and_yes_is_refused() {
    let dir = tempdir("referral");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    node.post("/api/v1/cases", ANNA, case("LT-REF")).await;
    let mut body = open_sit2("LT-REF");
    // not answered: refused, no silent "no"
    body.as_object_mut()
        .unwrap()
        .remove("seeking_youth_help_access");
    let (s, b) = node.post("/api/v1/escalations", ANNA, body.clone()).await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["message_en"]
            .as_str()
            .unwrap()
            .contains("seeking_youth_help_access"),
        "{b}"
    );
    // yes: not an escalation, with the pointer to the referral routes
    body["seeking_youth_help_access"] = json!(true);
    let (s, b) = node.post("/api/v1/escalations", ANNA, body.clone()).await;
    assert_eq!((s, rule_of(&b)), (409, "escalation.referral_route"), "{b}");
    assert!(b["message_nl"].as_str().unwrap().contains("aanmeldroutes"));
    // no: allowed
    body["seeking_youth_help_access"] = json!(false);
    assert_eq!(node.post("/api/v1/escalations", ANNA, body).await.0, 201);
}

#[tokio::test]
async fn private_notes_are_case_content_and_follow_who_may_read_it() {
    let dir = tempdir("notes");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    node.post("/api/v1/cases", ANNA, case("LT-N")).await;
    let (_, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-N"))
        .await;
    let notes = format!("/api/v1/escalations/{}/notes", b["id"].as_str().unwrap());
    // allowed: the professional writes and reads
    let (s, b) = node
        .post(&notes, ANNA, json!({ "text": "Bel morgen terug" }))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = node.get(&notes, EVA).await;
    assert_eq!((s, b.as_array().map(Vec::len)), (200, Some(1)));
    // forbidden: the functional administrator reads no case content, notes included
    for (s, b) in [
        node.get(&notes, BEHEER).await,
        node.post(&notes, BEHEER, json!({ "text": "x" })).await,
    ] {
        assert_eq!((s, rule_of(&b)), (403, "access.role_not_allowed"), "{b}");
    }
}

#[tokio::test]
async fn list_limits_are_validated_not_ignored() {
    let dir = tempdir("limits");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    for bad in ["-1", "0", "5001"] {
        let (s, b) = node
            .get(&format!("/api/v1/escalations?limit={bad}"), EVA)
            .await;
        assert_eq!(
            (s, rule_of(&b)),
            (422, "input.invalid_field"),
            "limit={bad}: {b}"
        );
    }
    assert_eq!(node.get("/api/v1/escalations?limit=10", EVA).await.0, 200);
    let (s, b) = node.get("/api/v1/access-log?limit=-1", BEHEER).await;
    assert_eq!((s, rule_of(&b)), (422, "input.invalid_field"), "{b}");
    assert_eq!(
        node.get("/api/v1/access-log?limit=10000", BEHEER).await.0,
        200
    );
}

#[tokio::test]
async fn no_bsn_in_any_free_text_whatever_its_spelling_but_ordinary_numbers_pass() {
    let dir = tempdir("bsn");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    // a case title is refused before anything is stored
    let (s, b) = node
        .post(
            "/api/v1/cases",
            ANNA,
            json!({ "case_ref": "LT-B1", "title": "Gezin 111 222 333" }),
        )
        .await;
    assert_eq!((s, rule_of(&b)), (422, "privacy.no_bsn"), "{b}");
    assert_eq!(node.get("/api/v1/cases/LT-B1", ANNA).await.0, 404);
    node.post("/api/v1/cases", ANNA, case("LT-B2")).await;
    // shared text, written with dots
    let mut open = open_sit2("LT-B2");
    open["needs"] = json!("Kind (123.456.782) heeft hulp nodig");
    let (s, b) = node.post("/api/v1/escalations", ANNA, open).await;
    assert_eq!((s, rule_of(&b)), (422, "privacy.no_bsn"), "{b}");
    // a local kwestie, with hyphens
    let mut kw = raise_kwestie();
    kw["obstacle"] = json!("Geen plek voor 123-456-782");
    let (s, b) = node.post("/api/v1/kwesties", ANNA, kw).await;
    assert_eq!((s, rule_of(&b)), (422, "privacy.no_bsn"), "{b}");
    // a private note, an eight-digit BSN
    let (_, esc) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-B2"))
        .await;
    let notes = format!("/api/v1/escalations/{}/notes", esc["id"].as_str().unwrap());
    let (s, b) = node
        .post(&notes, ANNA, json!({ "text": "oud nummer 12345672" }))
        .await;
    assert_eq!((s, rule_of(&b)), (422, "privacy.no_bsn"), "{b}");
    // allowed: phone numbers, postcodes, dates, amounts, IBANs, case numbers
    let ordinary = "Bel 06-12345678 of 030 123 4567; 3511 AB; 01-12-2026; € 1.234,56; \
                    NL91 ABNA 0417 1643 00; zaak LT-2026-0042";
    let (s, b) = node.post(&notes, ANNA, json!({ "text": ordinary })).await;
    assert_eq!(s, 201, "{b}");
    let mut open = open_sit2("LT-B2");
    open["needs"] = json!(ordinary);
    assert_eq!(node.post("/api/v1/escalations", ANNA, open).await.0, 201);
}

/// The JSON API's lists page with a cursor: `Link: <…>; rel="next"` until the last page, every
/// escalation once; a forged cursor is refused with the rule.
#[tokio::test]
async fn lists_page_through_every_row_with_a_next_link() {
    let dir = tempdir("cursor");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    let (s, _) = node.post("/api/v1/cases", ANNA, case("LT-2026-0077")).await;
    assert_eq!(s, 201);
    let mut opened = Vec::new();
    for _ in 0..7 {
        let (s, b) = node
            .post("/api/v1/escalations", ANNA, open_sit2("LT-2026-0077"))
            .await;
        assert_eq!(s, 201, "{b}");
        opened.push(b["id"].as_str().unwrap().to_owned());
    }
    let client = http_client();
    let mut url = format!("{}/api/v1/escalations?limit=3", node.base);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = client.get(&url).bearer_auth(ANNA).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let rows: Vec<Value> = r.json().await.unwrap();
        pages += 1;
        seen.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        let Some(link) = link else { break };
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        let path = &link[1..link.find('>').unwrap()];
        assert!(
            path.starts_with("/api/v1/escalations?limit=3&cursor="),
            "{path}"
        );
        url = format!("{}{path}", node.base);
    }
    assert_eq!(pages, 3, "3 + 3 + 1");
    opened.sort();
    seen.sort();
    assert_eq!(seen, opened);
    let (s, b) = node
        .get("/api/v1/escalations?cursor=not-a-cursor", ANNA)
        .await;
    assert_eq!((s, rule(&b)), (422, "input.invalid_field"), "{b}");
    assert!(b.to_string().contains("cursor"), "{b}");
}

/// A web page's HTML, in a session.
async fn web_page(client: &reqwest::Client, base: &str, session: &str, path: &str) -> String {
    client
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Log in on the web as a development user; the session's cookie.
async fn web_login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let cookie = |r: &reqwest::Response| {
        r.headers()
            .get("set-cookie")
            .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
    };
    let page = client
        .get(format!("{base}/inloggen?als={user}"))
        .send()
        .await
        .unwrap();
    let pre = cookie(&page).expect("a session before login");
    let html = page.text().await.unwrap();
    let login = client
        .post(format!("{base}/inloggen/dev"))
        .header("cookie", &pre)
        .form(&[("_csrf", hidden(&html, "_csrf")), ("user", user.into())])
        .send()
        .await
        .unwrap();
    cookie(&login).expect("a session after login")
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_request_is_refused_and_changes_nothing() {
    let dir = tempdir("idem-body");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    // a case: the same key and the same request is the first answer ...
    let (s, first) = node
        .post_keyed("/api/v1/cases", ANNA, "k-case", case("LT-IK-1"))
        .await;
    assert_eq!(s, 201, "{first}");
    let (s, again) = node
        .post_keyed("/api/v1/cases", ANNA, "k-case", case("LT-IK-1"))
        .await;
    assert_eq!((s, &again), (201, &first));
    // ... the same key with another body is refused, and nothing is written
    let mut other = case("LT-IK-1");
    other["title"] = json!("Een ander gezin");
    let (s, b) = node
        .post_keyed("/api/v1/cases", ANNA, "k-case", other)
        .await;
    assert_eq!((s, rule(&b)), (422, "idempotency.key_reused"), "{b}");
    assert!(
        b["message_nl"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    let (_, c) = node.get("/api/v1/cases/LT-IK-1", ANNA).await;
    assert_eq!(c["title"], first["title"]);
    // the same key by another person is that person's own key
    let (s, b) = node
        .post_keyed("/api/v1/cases", CARLA, "k-case", case("LT-IK-2"))
        .await;
    assert_eq!(s, 201, "{b}");

    // opening an escalation: another question under the same key
    let (s, opened) = node
        .post_keyed("/api/v1/escalations", ANNA, "k-open", open_sit2("LT-IK-1"))
        .await;
    assert_eq!(s, 201, "{opened}");
    let (s, same) = node
        .post_keyed("/api/v1/escalations", ANNA, "k-open", open_sit2("LT-IK-1"))
        .await;
    assert_eq!((s, &same["id"]), (201, &opened["id"]));
    let mut changed = open_sit2("LT-IK-1");
    changed["question"] = json!("Een andere vraag");
    let (s, b) = node
        .post_keyed("/api/v1/escalations", ANNA, "k-open", changed)
        .await;
    assert_eq!((s, rule(&b)), (422, "idempotency.key_reused"), "{b}");
    let id = opened["id"].as_str().unwrap();
    let (_, e) = node.get(&format!("/api/v1/escalations/{id}"), ANNA).await;
    assert_eq!(e["state"]["question"], opened["state"]["question"]);

    // a private note: another text under the same key
    let notes = format!("/api/v1/escalations/{id}/notes");
    let (s, n) = node
        .post_keyed(&notes, ANNA, "k-note", json!({ "text": "Eerste notitie" }))
        .await;
    assert_eq!(s, 201, "{n}");
    let (s, b) = node
        .post_keyed(&notes, ANNA, "k-note", json!({ "text": "Tweede notitie" }))
        .await;
    assert_eq!((s, rule(&b)), (422, "idempotency.key_reused"), "{b}");
    let (s, same) = node
        .post_keyed(&notes, ANNA, "k-note", json!({ "text": "Eerste notitie" }))
        .await;
    assert_eq!((s, &same["id"]), (201, &n["id"]));
    let (_, all) = node.get(&notes, ANNA).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}

#[tokio::test]
async fn access_is_checked_before_existence() {
    let dir = tempdir("access-first");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    node.post("/api/v1/cases", ANNA, case("LT-AF-1")).await;
    // who may not open an escalation hears so, whether the case exists or not
    for case_ref in ["LT-AF-1", "LT-AF-unknown"] {
        let (s, b) = node
            .post("/api/v1/escalations", BEHEER, open_sit2(case_ref))
            .await;
        assert_eq!(
            (s, rule(&b)),
            (403, "ladder.invoke_role"),
            "{case_ref}: {b}"
        );
    }
    // who may not raise a kwestie likewise
    let raise = |case_ref: &str| {
        let mut k = raise_kwestie();
        k["case_ref"] = json!(case_ref);
        k
    };
    for case_ref in ["LT-AF-1", "LT-AF-unknown"] {
        let (s, b) = node
            .post("/api/v1/kwesties", QUINTEN, raise(case_ref))
            .await;
        assert_eq!(
            (s, rule(&b)),
            (403, "access.role_not_allowed"),
            "{case_ref}: {b}"
        );
    }
    // who may: the unknown case is then named as such
    let (s, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-AF-unknown"))
        .await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"), "{b}");
    let (s, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-AF-1"))
        .await;
    assert_eq!(s, 201, "{b}");
    // who never reads escalations hears the same of one that exists and one that does not
    let known = b["id"].as_str().unwrap().to_owned();
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut answers = Vec::new();
    for id in [&known, &unknown] {
        let (s, b) = node
            .get(&format!("/api/v1/escalations/{id}"), QUINTEN)
            .await;
        answers.push((s, rule(&b).to_owned()));
    }
    assert_eq!(
        answers[0],
        (403, "access.role_not_allowed".to_owned()),
        "{answers:?}"
    );
    assert_eq!(answers[0], answers[1], "{answers:?}");
    // nor of one asked to be acted on: a pick-up by who never reads escalations
    let mut acted = Vec::new();
    for id in [&known, &unknown] {
        for who in [QUINTEN, BEHEER] {
            let (s, b) = node
                .post(&format!("/api/v1/escalations/{id}/pick-up"), who, json!({}))
                .await;
            acted.push((s, rule(&b).to_owned()));
        }
    }
    assert_eq!(
        acted[0],
        (403, "access.role_not_allowed".to_owned()),
        "{acted:?}"
    );
    assert!(acted.iter().all(|a| a == &acted[0]), "{acted:?}");
    // who may act on escalations: the unknown one is named as such
    let (s, b) = node
        .post(
            &format!("/api/v1/escalations/{unknown}/pick-up"),
            ANNA,
            json!({}),
        )
        .await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"), "{b}");
    // who reads them: the unknown one is named as such
    let (s, b) = node
        .get(&format!("/api/v1/escalations/{unknown}"), ANNA)
        .await;
    assert_eq!((s, rule(&b)), (404, "state.not_found"), "{b}");
}

#[tokio::test]
async fn every_web_response_has_the_security_headers_and_a_form_from_another_site_is_refused() {
    let dir = tempdir("web-guard");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session = web_login(&client, &node.base, "anna").await;
    // the 404 page, with the person's menu, has the headers of every other page
    for path in ["/bestaat-niet", "/casussen"] {
        let r = client
            .get(format!("{}{path}", node.base))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        let h = r.headers().clone();
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
        ] {
            assert!(h.contains_key(name), "{path} lacks {name}: {h:?}");
        }
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    let html = web_page(&client, &node.base, &session, "/casussen").await;
    let (csrf, idem) = (hidden(&html, "_csrf"), hidden(&html, "_idem"));
    let host = node.base.trim_start_matches("http://").to_owned();
    let send =
        |origin: Option<String>, fetch_site: Option<&'static str>, case_ref: &'static str| {
            let mut req = client
                .post(format!("{}/casussen", node.base))
                .header("cookie", &session)
                .form(&[
                    ("_csrf", csrf.clone()),
                    ("_idem", format!("{idem}-{case_ref}")),
                    ("case_ref", case_ref.into()),
                    ("title", "Gezin".into()),
                ]);
            if let Some(o) = origin {
                req = req.header("origin", o);
            }
            if let Some(f) = fetch_site {
                req = req.header("sec-fetch-site", f);
            }
            req.send()
        };
    // forbidden: a valid token, sent from another site
    for (origin, site) in [
        (Some("http://evil.example".to_owned()), None),
        (Some("null".to_owned()), None),
        (None, Some("cross-site")),
        (Some(format!("http://{host}")), Some("same-site")),
    ] {
        let r = send(origin.clone(), site, "LT-XO-1").await.unwrap();
        assert_eq!(r.status(), 403, "{origin:?} {site:?}");
        assert!(r.headers().contains_key("content-security-policy"));
        let body = r.text().await.unwrap();
        assert!(body.contains("web.cross_origin"), "{body}");
    }
    let (s, _) = node.get("/api/v1/cases/LT-XO-1", ANNA).await;
    assert_eq!(s, 404, "nothing was registered");
    // allowed: the same form from this site
    let r = send(
        Some(format!("http://{host}")),
        Some("same-origin"),
        "LT-XO-1",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = node.get("/api/v1/cases/LT-XO-1", ANNA).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_node_takes_its_oin_from_the_environment_as_a_container_sets_it() {
    let dir = tempdir("env-oin");
    let config = write_config(&dir, "");
    let node = NodeProc::start(
        &config,
        &[
            ("DOORBRAAK__NODE__OIN", LT),
            ("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "9"),
        ],
    );
    let (s, me) = node.get("/api/v1/me", ANNA).await;
    assert_eq!((s, me["organisation"].as_str()), (200, Some(LT)), "{me}");
    node.post("/api/v1/cases", ANNA, case("LT-ENV")).await;
    let (s, b) = node
        .post("/api/v1/escalations", ANNA, open_sit2("LT-ENV"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["state"]["policy"]["step_pickup_days"].as_i64(),
        Some(9),
        "the number from the environment is a number: {b}"
    );
}
