//! Minutes approved across three real nodes, with signed approvals verified offline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use doorbraak_model::OrgKind;
use doorbraak_model::minutes::content_hash;
use doorbraak_proto::v1;
use serde_json::{Value, json};
use support::fed::{Fed, pid, tok};
use support::{GEM, GI, LT, VT, case};

const ORGS: [(&str, &str, OrgKind); 4] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (GI, "GI", OrgKind::CertifiedInstitution),
    (GEM, "Gemeente", OrgKind::Municipality),
];

fn rule(v: &Value) -> &str {
    v["rule"].as_str().unwrap_or("<no rule>")
}

async fn post(fed: &Fed, i: usize, user: &str, path: &str, body: Value) -> (u16, Value) {
    fed.node(i).post(path, &tok(i, user), body).await
}

fn approve(rev: u32, text: &str) -> Value {
    json!({ "revision": rev, "content_hash": content_hash(text) })
}

/// The minutes' state at org `i` once `ok` holds.
async fn at(fed: &Fed, i: usize, m: &str, ok: impl Fn(&Value) -> bool) -> Value {
    fed.wait_for(i, "tm", &format!("/api/v1/meetings/{m}"), |s, b| {
        s == 200 && ok(&b["state"])
    })
    .await
}

async fn schedule(fed: &Fed, esc: &str) -> String {
    let (s, b) = post(fed, 0, "tm", "/api/v1/meetings", json!({
        "escalation": esc, "step": "management", "date": "2026-11-20T10:00:00Z", "agenda": "1. Wachtlijst\n2. Afspraken",
        "participants": [
            { "person": pid(0, "tm"), "name": "Teammanager LT", "role": "team_manager", "org": LT },
            { "person": pid(1, "d"), "name": "Directeur VT", "role": "director", "org": VT },
            { "person": pid(2, "d"), "name": "Directeur GI", "role": "director", "org": GI },
        ],
    })).await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

fn verify(
    path: &std::path::Path,
    ca: &std::path::Path,
    operator: &std::path::Path,
) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["minutes", "verify"])
        .arg(path)
        .arg("--ca")
        .arg(ca)
        .arg("--operator")
        .arg(operator)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_are_approved_by_every_participant_on_every_node_and_verify_offline() {
    let mut fed = Fed::create("minutes", &ORGS, &[], &[]);
    fed.start_all(4);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-M")).await.0,
        201
    );
    let (s, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
        "case_ref": "LT-M", "situation": "agreements_not_kept", "first_step": "management",
        "counterparts": [VT, GI], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let esc = b["id"].as_str().unwrap().to_owned();
    let m = schedule(&fed, &esc).await;

    // draft -> circulate -> one requests changes -> revision -> all approve
    assert_eq!(
        post(
            &fed,
            0,
            "tm",
            &format!("/api/v1/meetings/{m}/minutes"),
            json!({ "content": "Verslag v1" })
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &fed,
            0,
            "tm",
            &format!("/api/v1/meetings/{m}/circulate"),
            json!({})
        )
        .await
        .0,
        200
    );
    at(&fed, 1, &m, |st| st["main"]["circulated"] == 1).await;
    at(&fed, 2, &m, |st| st["main"]["circulated"] == 1).await;
    // a draft prints too, marked as a draft
    let draft = fed
        .node(1)
        .client
        .get(format!("{}/api/v1/meetings/{m}/print", fed.node(1).base))
        .bearer_auth(tok(1, "d"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        draft.contains("CONCEPT") && draft.contains("Verslag v1"),
        "{draft}"
    );
    let (s, b) = post(
        &fed,
        1,
        "d",
        &format!("/api/v1/meetings/{m}/request-changes"),
        json!({ "revision": 1, "comment": "Afspraak 2 ontbreekt" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        post(
            &fed,
            0,
            "tm",
            &format!("/api/v1/meetings/{m}/revisions"),
            json!({ "content": "Verslag v2" })
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &fed,
            0,
            "tm",
            &format!("/api/v1/meetings/{m}/circulate"),
            json!({})
        )
        .await
        .0,
        200
    );
    at(&fed, 2, &m, |st| st["main"]["circulated"] == 2).await;
    let (s, b) = post(
        &fed,
        2,
        "d",
        &format!("/api/v1/meetings/{m}/approve"),
        approve(1, "Verslag v1"),
    )
    .await;
    assert_eq!((s, rule(&b)), (409, "minutes.stale_revision"), "{b}");
    for (i, user) in [(0, "tm"), (1, "d"), (2, "d")] {
        let (s, b) = post(
            &fed,
            i,
            user,
            &format!("/api/v1/meetings/{m}/approve"),
            approve(2, "Verslag v2"),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let home = at(&fed, 0, &m, |st| st["main"]["final_revision"] == 2).await;
    let version = home["version"].as_i64().unwrap();
    for i in 1..3 {
        let b = fed
            .wait_for(i, "tm", &format!("/api/v1/meetings/{m}"), |s, b| {
                s == 200 && b["version"] == version
            })
            .await;
        assert_eq!(
            b["state"], home["state"],
            "the same final minutes and approvals at org {i}"
        );
    }
    let approvals = home["state"]["main"]["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 3);
    assert!(
        approvals
            .iter()
            .all(|a| a["signature"]["algorithm"] == "ecdsa-p256-sha256")
    );
    // final minutes never change
    let (s, b) = post(
        &fed,
        1,
        "d",
        &format!("/api/v1/meetings/{m}/request-changes"),
        json!({ "revision": 2, "comment": "toch nog" }),
    )
    .await;
    assert_eq!((s, rule(&b)), (409, "minutes.final_never_changes"));

    // a non-participant organisation cannot read them
    let (s, _) = fed
        .node(3)
        .get(&format!("/api/v1/meetings/{m}"), &tok(3, "tm"))
        .await;
    assert_eq!(s, 404, "the municipality never received them");
    let st = fed
        .client_as(GEM, 0)
        .fetch_events(v1::FetchEventsRequest {
            stream_kind: "minutes".into(),
            stream_id: m.clone(),
            after_seq: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(st.code(), tonic::Code::PermissionDenied);

    // the exported bundle verifies offline; tampering is detected
    let (s, bundle) = fed
        .node(1)
        .get(&format!("/api/v1/meetings/{m}/bundle"), &tok(1, "d"))
        .await;
    assert_eq!(s, 200, "{bundle}");
    let dir = support::tempdir("bundle");
    let good = dir.join("good.json");
    std::fs::write(&good, serde_json::to_string(&bundle).unwrap()).unwrap();
    let (ok, out) = verify(&good, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(ok, "{out}");
    assert!(out.contains("valid: 3 signed approvals"), "{out}");

    let mut text = bundle.clone();
    text["minutes"]["main"]["revisions"][1]["content"] = json!("Verslag v2 (stilletjes aangepast)");
    let p = dir.join("text.json");
    std::fs::write(&p, serde_json::to_string(&text).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(!ok);
    assert!(
        out.contains("the text of revision 2 does not match its recorded SHA-256"),
        "{out}"
    );

    let mut sig = bundle.clone();
    let other = sig["minutes"]["main"]["approvals"][1]["signature"]["signature"].clone();
    sig["minutes"]["main"]["approvals"][0]["signature"]["signature"] = other;
    let p = dir.join("sig.json");
    std::fs::write(&p, serde_json::to_string(&sig).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(!ok);
    assert!(out.contains("signature of Teammanager LT"), "{out}");
    assert!(out.contains("does not match the approval"), "{out}");

    let mut role = bundle.clone();
    role["minutes"]["main"]["approvals"][2]["role"] = json!("board_member");
    let p = dir.join("role.json");
    std::fs::write(&p, serde_json::to_string(&role).unwrap()).unwrap();
    assert!(
        !verify(&p, &fed.pki.ca_cert(), &fed.operator().cert()).0,
        "changing who approved breaks the signature"
    );

    // dropping a participant who never approved is detected: who had to approve is signed
    let mut fewer = bundle.clone();
    fewer["minutes"]["meeting"]["participants"]
        .as_array_mut()
        .unwrap()
        .remove(2);
    fewer["minutes"]["main"]["approvals"]
        .as_array_mut()
        .unwrap()
        .remove(2);
    let p = dir.join("fewer.json");
    std::fs::write(&p, serde_json::to_string(&fewer).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(!ok && out.contains("does not match the approval"), "{out}");

    // a bundle is only as good as the CA the verifier trusts: another CA is refused
    let other = support::tempdir("other-ca");
    let other_pki = doorbraak_federation::pki::PkiDir(other.clone());
    other_pki.init_ca("Andere CA").unwrap();
    let (ok, out) = verify(&good, &other_pki.ca_cert(), &fed.operator().cert());
    assert!(
        !ok && out.contains("does not chain to a trust anchor"),
        "{out}"
    );
    // and as the operator the verifier trusts: a directory signed by anyone else is refused
    let other_op = doorbraak_federation::operator::OperatorDir(other.join("operator"));
    other_op.init("Andere federatie", None).unwrap();
    let (ok, out) = verify(&good, &fed.pki.ca_cert(), &other_op.cert());
    assert!(
        !ok && out.contains("not by the federation operator's"),
        "{out}"
    );

    // the printable record for the dossier
    let r = fed
        .node(2)
        .client
        .get(format!("{}/api/v1/meetings/{m}/print", fed.node(2).base))
        .bearer_auth(tok(2, "d"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(!html.contains("CONCEPT"), "final minutes are no draft");
    // what a dossier reader knows: organisations by name, the case reference, Dutch time
    assert!(
        html.contains("Veilig Thuis")
            && html.contains("Casus LT-M")
            && html.contains("vr 20 november 2026, 11:00"),
        "{html}"
    );
    assert!(
        !html.contains(VT) && !html.contains(&esc),
        "no OINs, no internal ids: {html}"
    );
    assert!(
        html.contains("<html lang=\"nl\">")
            && html.contains("Verslag v2")
            && html.contains("Goedkeuringen")
            && html.contains("Directeur VT")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_approvals_end_alike_everywhere_and_a_node_that_was_down_catches_up() {
    let mut fed = Fed::create("minutes-race", &ORGS[..3], &[], &[]);
    fed.start_all(3);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-R")).await.0,
        201
    );
    let (_, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
        "case_ref": "LT-R", "situation": "agreements_not_kept", "first_step": "management",
        "counterparts": [VT, GI], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false }),
    )
    .await;
    let esc = b["id"].as_str().unwrap().to_owned();

    // an approval racing a revision: the home orders them; every node ends the same
    let m = schedule(&fed, &esc).await;
    post(
        &fed,
        0,
        "tm",
        &format!("/api/v1/meetings/{m}/minutes"),
        json!({ "content": "Versie een" }),
    )
    .await;
    post(
        &fed,
        0,
        "tm",
        &format!("/api/v1/meetings/{m}/circulate"),
        json!({}),
    )
    .await;
    at(&fed, 1, &m, |st| st["main"]["circulated"] == 1).await;
    let (approve_path, revise_path) = (
        format!("/api/v1/meetings/{m}/approve"),
        format!("/api/v1/meetings/{m}/revisions"),
    );
    let (a, r) = tokio::join!(
        post(&fed, 1, "d", &approve_path, approve(1, "Versie een")),
        post(
            &fed,
            0,
            "tm",
            &revise_path,
            json!({ "content": "Versie twee" })
        ),
    );
    assert_eq!(r.0, 200, "{}", r.1);
    assert!(
        a.0 == 200
            || rule(&a.1) == "minutes.stale_revision"
            || rule(&a.1) == "minutes.not_circulated",
        "{a:?}"
    );
    let home = at(&fed, 0, &m, |st| {
        st["main"]["revisions"]
            .as_array()
            .is_some_and(|r| r.len() == 2)
    })
    .await;
    assert_eq!(
        home["state"]["main"]["approvals"],
        json!([]),
        "whichever came first, revision 2 has no approvals"
    );
    for i in 1..3 {
        let b = fed
            .wait_for(i, "tm", &format!("/api/v1/meetings/{m}"), |s, b| {
                s == 200 && b["version"] == home["version"]
            })
            .await;
        assert_eq!(b["state"], home["state"]);
    }

    // a node that is down while the others approve ends with the same final minutes
    let m2 = schedule(&fed, &esc).await;
    post(
        &fed,
        0,
        "tm",
        &format!("/api/v1/meetings/{m2}/minutes"),
        json!({ "content": "Verslag" }),
    )
    .await;
    post(
        &fed,
        0,
        "tm",
        &format!("/api/v1/meetings/{m2}/circulate"),
        json!({}),
    )
    .await;
    at(&fed, 2, &m2, |st| st["main"]["circulated"] == 1).await;
    assert_eq!(
        post(
            &fed,
            2,
            "d",
            &format!("/api/v1/meetings/{m2}/approve"),
            approve(1, "Verslag")
        )
        .await
        .0,
        200
    );
    fed.stop(2);
    assert_eq!(
        post(
            &fed,
            1,
            "d",
            &format!("/api/v1/meetings/{m2}/approve"),
            approve(1, "Verslag")
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &fed,
            0,
            "tm",
            &format!("/api/v1/meetings/{m2}/approve"),
            approve(1, "Verslag")
        )
        .await
        .0,
        200
    );
    let home = at(&fed, 0, &m2, |st| st["main"]["final_revision"] == 1).await;
    fed.start(2);
    let b = fed
        .wait_for(2, "tm", &format!("/api/v1/meetings/{m2}"), |s, b| {
            s == 200 && b["version"] == home["version"]
        })
        .await;
    assert_eq!(b["state"], home["state"]);
    assert_eq!(b["state"]["main"]["final_revision"], 1);
}

/// Run `doorbraak minutes ...` against org `i` as `user`.
fn cli(fed: &Fed, i: usize, user: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .arg("minutes")
        .args(args)
        .env("DOORBRAAK_URL", &fed.node(i).base)
        .env("DOORBRAAK_TOKEN", tok(i, user))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_commands_walk_the_minutes() {
    let mut fed = Fed::create("minutes-cli", &ORGS[..2], &[], &[]);
    fed.start_all(2);
    assert_eq!(
        post(&fed, 0, "p", "/api/v1/cases", case("LT-C")).await.0,
        201
    );
    let (_, b) = post(
        &fed,
        0,
        "p",
        "/api/v1/escalations",
        json!({
        "case_ref": "LT-C", "situation": "agreements_not_kept", "first_step": "management",
        "counterparts": [VT], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false }),
    )
    .await;
    let esc = b["id"].as_str().unwrap().to_owned();
    let p0 = format!("{}:Eva Bakker:team_manager:{LT}", pid(0, "tm"));
    let p1 = format!("{}:Gerda de Boer:director:{VT}", pid(1, "d"));
    let (ok, out, err) = cli(
        &fed,
        0,
        "tm",
        &[
            "--json",
            "schedule",
            "--escalation",
            &esc,
            "--step",
            "management",
            "--date",
            "2026-11-20T10:00:00Z",
            "--participant",
            &p0,
            "--participant",
            &p1,
            "--agenda",
            "Wachtlijst",
        ],
    );
    assert!(ok, "{out}{err}");
    let m = serde_json::from_str::<Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, out, err) = cli(
        &fed,
        0,
        "tm",
        &["draft", &m, "--content", "Afspraak: start vrijdag"],
    );
    assert!(ok && out.starts_with("ok:"), "{out}{err}");
    assert!(cli(&fed, 0, "tm", &["circulate", &m]).0);
    at(&fed, 1, &m, |st| st["main"]["circulated"] == 1).await;
    let (ok, out, err) = cli(&fed, 1, "d", &["approve", &m]);
    assert!(ok, "{out}{err}");
    assert!(cli(&fed, 0, "tm", &["approve", &m]).0);
    at(&fed, 1, &m, |st| st["main"]["final_revision"] == 1).await;
    let (ok, out, _) = cli(&fed, 1, "d", &["show", &m]);
    assert!(ok);
    assert!(
        out.contains("status: definitief")
            && out.contains("Afspraak: start vrijdag")
            && out.contains("ondertekend"),
        "{out}"
    );
    // refusals name the rule, with the Dutch message
    let (ok, _, err) = cli(
        &fed,
        1,
        "d",
        &["request-changes", &m, "--comment", "te laat"],
    );
    assert!(!ok);
    assert!(
        err.contains("minutes.final_never_changes") && err.contains("definitief"),
        "{err}"
    );
    let dir = support::tempdir("cli-bundle");
    let bundle = dir.join("b.json");
    assert!(
        cli(
            &fed,
            1,
            "d",
            &["export", &m, "--out", bundle.to_str().unwrap()]
        )
        .0
    );
    let ca = fed.pki.ca_cert();
    let (ok, out, _) = cli(
        &fed,
        1,
        "d",
        &[
            "verify",
            bundle.to_str().unwrap(),
            "--ca",
            ca.to_str().unwrap(),
            "--operator",
            fed.operator().cert().to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("valid: 2 signed approvals"), "{out}");
    let html = dir.join("p.html");
    assert!(
        cli(
            &fed,
            0,
            "tm",
            &["print", &m, "--out", html.to_str().unwrap()]
        )
        .0
    );
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("Goedkeuringen")
    );
}

/// Minutes of a step-2 escalation of the local team with Veilig Thuis and the GI, one revision
/// circulated and approved by all three nodes (each signing with its own key); their id.
async fn approved_by_all(fed: &Fed, case_ref: &str) -> String {
    assert_eq!(
        post(fed, 0, "p", "/api/v1/cases", case(case_ref)).await.0,
        201
    );
    let (s, b) = post(fed, 0, "p", "/api/v1/escalations", json!({
        "case_ref": case_ref, "situation": "agreements_not_kept", "first_step": "management",
        "counterparts": [VT, GI], "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false }))
    .await;
    assert_eq!(s, 201, "{b}");
    let m = schedule(fed, b["id"].as_str().unwrap()).await;
    for (path, body) in [
        ("minutes", json!({ "content": "Verslag" })),
        ("circulate", json!({})),
    ] {
        let (s, b) = post(fed, 0, "tm", &format!("/api/v1/meetings/{m}/{path}"), body).await;
        assert_eq!(s, 200, "{b}");
    }
    at(fed, 2, &m, |st| st["main"]["circulated"] == 1).await;
    // the home checks each remote signature before it decides the approval
    for (i, user) in [(0, "tm"), (1, "d"), (2, "d")] {
        let (s, b) = post(
            fed,
            i,
            user,
            &format!("/api/v1/meetings/{m}/approve"),
            approve(1, "Verslag"),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    at(fed, 0, &m, |st| st["main"]["final_revision"] == 1).await;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_pkioverheid_shaped_rsa_chain_minutes_are_signed_and_verify_offline() {
    let mut fed = Fed::create("pkio", &ORGS[..3], &[], &[]);
    let chain = support::pkio::Chain::new();
    fed.use_pkioverheid(&chain);
    fed.start_all(3);
    let m = approved_by_all(&fed, "LT-PKIO").await;
    let (s, bundle) = fed
        .node(0)
        .get(&format!("/api/v1/meetings/{m}/bundle"), &tok(0, "tm"))
        .await;
    assert_eq!(s, 200, "{bundle}");
    for a in bundle["minutes"]["main"]["approvals"].as_array().unwrap() {
        assert_eq!(a["signature"]["algorithm"], "rsa-pkcs1-sha256", "{a}");
        assert_eq!(
            a["signature"]["chain"].as_array().map(Vec::len),
            Some(1),
            "the intermediate travels along"
        );
    }
    let dir = support::tempdir("pkio-bundle");
    let good = dir.join("bundle.json");
    std::fs::write(&good, serde_json::to_string(&bundle).unwrap()).unwrap();
    let (ok, out) = verify(&good, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(ok && out.contains("valid: 3 signed approvals"), "{out}");
    // the algorithm is part of what is signed: read under PSS it no longer verifies
    let mut pss = bundle.clone();
    pss["minutes"]["main"]["approvals"][1]["signature"]["algorithm"] = json!("rsa-pss-sha256");
    let p = dir.join("pss.json");
    std::fs::write(&p, serde_json::to_string(&pss).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(!ok && out.contains("does not match the approval"), "{out}");
    // without the intermediate, the signing certificate does not reach the root
    let mut bare = bundle.clone();
    bare["minutes"]["main"]["approvals"][2]["signature"]["chain"] = json!([]);
    let p = dir.join("bare.json");
    std::fs::write(&p, serde_json::to_string(&bare).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(
        !ok && out.contains("does not chain to a trust anchor"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_signed_before_a_certificate_renewal_still_verify_after_it() {
    let mut fed = Fed::create("renewal", &ORGS[..3], &[], &[]);
    fed.start_all(3);
    let m = approved_by_all(&fed, "LT-REN").await;

    // Veilig Thuis renews its certificate; the old one is no longer listed from now on
    fed.pki
        .issue_node(
            VT,
            "Veilig Thuis",
            &["localhost".into(), "127.0.0.1".into()],
        )
        .unwrap();
    let new = doorbraak_federation::operator::read_cert(&fed.pki.node_cert(VT)).unwrap();
    let now = jiff::Timestamp::now();
    fed.operator()
        .rotate(&doorbraak_model::Oin::parse(VT).unwrap(), &new, now, now)
        .unwrap();
    fed.edit_directory(|_| {});
    let (s, b) = fed
        .node(0)
        .post(
            "/api/v1/federation/directory/reload",
            &tok(0, "a"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // the bundle carries the version each approval was signed under, and verifies
    let (s, bundle) = fed
        .node(0)
        .get(&format!("/api/v1/meetings/{m}/bundle"), &tok(0, "tm"))
        .await;
    assert_eq!(s, 200, "{bundle}");
    let serials: Vec<u64> = bundle["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["manifest"]["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, vec![1, 2], "{bundle}");
    let dir = support::tempdir("renewal-bundle");
    let good = dir.join("bundle.json");
    std::fs::write(&good, serde_json::to_string(&bundle).unwrap()).unwrap();
    let (ok, out) = verify(&good, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(ok && out.contains("valid: 3 signed approvals"), "{out}");
    // checked against today's directory alone, Veilig Thuis' signature would not hold
    let mut today = bundle.clone();
    today["directories"].as_array_mut().unwrap().remove(0);
    let p = dir.join("today.json");
    std::fs::write(&p, serde_json::to_string(&today).unwrap()).unwrap();
    let (ok, out) = verify(&p, &fed.pki.ca_cert(), &fed.operator().cert());
    assert!(!ok && out.contains("directory version 1"), "{out}");
}
