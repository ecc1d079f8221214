//! The restore drill, with real nodes on SQLite and PostgreSQL: back up the local team's node,
//! go on for a while across three nodes (events on an escalation and a new escalation), restore
//! the home from the old backup, and check that it hands out no sequence number twice: until
//! every member answered it refuses commands on its own escalations (`503
//! federation.relearning`), then it holds exactly what the replicas hold, nothing lost, and new
//! commands reach every party.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{doorbraak, must, sh};

use doorbraak_model::OrgKind;
use serde_json::{Value, json};
use support::fed::{Fed, tok};
use support::{GI, LT, VT, case};

const ORGS: [(&str, &str, OrgKind); 3] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (GI, "GI", OrgKind::CertifiedInstitution),
];

async fn post(fed: &Fed, i: usize, user: &str, path: &str, body: Value) -> (u16, Value) {
    fed.node(i).post(path, &tok(i, user), body).await
}

/// `doorbraak backup` of org 0 into `out`.
fn back_up(config: &str, out: &std::path::Path) -> (bool, String) {
    doorbraak(&["backup", "--config", config, "--out", out.to_str().unwrap()])
}

async fn open(fed: &Fed, question: &str) -> String {
    let b = must(
        201,
        post(
            fed,
            0,
            "p",
            "/api/v1/escalations",
            json!({
                "case_ref": "LT-R1", "situation": "agreements_not_kept", "first_step": "management",
                "counterparts": [VT, GI], "question": question, "needs": "Start hulp",
                "seeking_youth_help_access": false,
            }),
        )
        .await,
    );
    b["id"].as_str().unwrap().to_owned()
}

/// (seq, event id) of an escalation's log at org `i`.
async fn log(fed: &Fed, i: usize, id: &str) -> Vec<(i64, String)> {
    fed.events(i, id)
        .await
        .into_iter()
        .map(|(seq, id, _)| (seq, id))
        .collect()
}

async fn version_at_least(fed: &Fed, i: usize, id: &str, v: i64) {
    fed.wait_for(i, "tm", &format!("/api/v1/escalations/{id}"), |s, b| {
        s == 200 && b["version"].as_i64().unwrap_or(0) >= v
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_restored_from_an_old_backup_relearns_before_it_decides_and_forks_nothing() {
    for backend in support::backends() {
        let mut fed = Fed::create(&format!("restore-{backend}"), &ORGS, &[], &[]);
        fed.on_backend(backend == "postgres").await;
        fed.start_all(3);
        assert_eq!(
            post(&fed, 0, "p", "/api/v1/cases", case("LT-R1")).await.0,
            201
        );
        let a = open(&fed, "Vraag A").await;
        version_at_least(&fed, 1, &a, 2).await;
        version_at_least(&fed, 2, &a, 2).await;

        // the backup, taken while the node runs
        let backup = fed.dir.join(format!("lt-{backend}.backup"));
        let config = fed.orgs[0].config.to_str().unwrap().to_owned();
        if backend == "sqlite" {
            let (ok, out) = back_up(&config, &backup);
            assert!(ok && out.contains("backup written and checked"), "{out}");
            // a second backup into the same file is refused
            let (ok, out) = back_up(&config, &backup);
            assert!(!ok && out.contains("exists already"), "{out}");
        } else {
            let (ok, out) = back_up(&config, &backup);
            assert!(!ok && out.contains("pg_dump"), "{out}");
            sh(std::process::Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(&backup)
                .arg(fed.db_url(0)));
        }

        // life goes on: VT picks up and records an outcome (decided by the home), and a
        // second escalation is opened
        must(
            200,
            post(
                &fed,
                1,
                "d",
                &format!("/api/v1/escalations/{a}/pick-up"),
                json!({}),
            )
            .await,
        );
        must(
            200,
            post(
                &fed,
                1,
                "d",
                &format!("/api/v1/escalations/{a}/outcome"),
                json!({ "outcome": { "type": "resolved", "summary": "Plek gevonden" } }),
            )
            .await,
        );
        let b_id = open(&fed, "Vraag B").await;
        for i in [1, 2] {
            version_at_least(&fed, i, &a, 5).await;
            version_at_least(&fed, i, &b_id, 2).await;
        }
        fed.drained(0).await;
        let before_a = log(&fed, 1, &a).await;
        let before_b = log(&fed, 1, &b_id).await;
        // opened, picked up (who picks up joins the step), ended
        assert_eq!(before_a.len(), 5);

        // disaster: the home comes back from the old backup, while GI's node is down
        fed.stop(0);
        fed.stop(2);
        if backend == "sqlite" {
            let (ok, out) = doorbraak(&[
                "restore",
                "--config",
                &config,
                "--from",
                backup.to_str().unwrap(),
            ]);
            assert!(ok && out.contains("marked as restored"), "{out}");
        } else {
            sh(std::process::Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--dbname"])
                .arg(fed.db_url(0))
                .arg(&backup));
            let (ok, out) = doorbraak(&["restore", "--config", &config, "--mark-only"]);
            assert!(ok && out.contains("marked as restored"), "{out}");
        }
        fed.start(0);
        // GI has not answered yet: nothing is decided on the home's own escalations
        let (s, b) = post(
            &fed,
            0,
            "p",
            &format!("/api/v1/escalations/{a}/situation"),
            json!({ "to": "conduct", "reason": "Het gaat om het handelen" }),
        )
        .await;
        assert_eq!(
            (s, b["rule"].as_str().unwrap_or_default()),
            (503, "federation.relearning"),
            "{b}"
        );
        // forwarded from a party, the same answer
        let (s, b) = post(
            &fed,
            1,
            "d",
            &format!("/api/v1/escalations/{a}/family-informed"),
            json!({
            "step": "management", "informed": { "type": "before", "at": "2026-01-05T10:00:00Z" } }),
        )
        .await;
        assert_eq!(
            (s, b["rule"].as_str().unwrap_or_default()),
            (503, "federation.relearning"),
            "{b}"
        );
        // a new escalation is fine: its id is new
        let c = open(&fed, "Vraag C").await;

        // GI returns; the home asks everyone, re-learns, and decides again
        fed.start(2);
        fed.wait_for(0, "tm", &format!("/api/v1/escalations/{b_id}"), |s, b| {
            s == 200 && b["version"].as_i64().unwrap_or(0) >= 2
        })
        .await;
        version_at_least(&fed, 0, &a, 5).await;
        assert_eq!(
            log(&fed, 0, &a).await,
            before_a,
            "{backend}: the home has its lost events back"
        );
        assert_eq!(
            log(&fed, 0, &b_id).await,
            before_b,
            "{backend}: and the escalation opened after the backup"
        );
        let mut decided = None;
        for _ in 0..100 {
            let r = post(&fed, 0, "p", &format!("/api/v1/escalations/{a}/family-informed"), json!({
                "step": "management", "informed": { "type": "before", "at": "2026-01-05T10:00:00Z" } })).await;
            if r.0 != 503 {
                decided = Some(r);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (s, b) = decided.expect("the home decides again after re-learning");
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            b["version"], 6,
            "the next sequence number, not one handed out before"
        );
        // every replica equals the home, nothing lost
        for id in [&a, &b_id, &c] {
            let home = log(&fed, 0, id).await;
            for i in [1, 2] {
                version_at_least(&fed, i, id, home.len() as i64).await;
                assert_eq!(
                    log(&fed, i, id).await,
                    home,
                    "{backend}: org {i} equals the home for {id}"
                );
            }
        }
        for i in 0..3 {
            fed.drained(i).await;
            let (s, h) = fed
                .node(i)
                .get("/api/v1/federation/health", &tok(i, "a"))
                .await;
            assert_eq!(s, 200, "{h}");
            assert!(
                h["divergences"].as_array().unwrap().is_empty(),
                "{backend}: no divergence at org {i}: {h}"
            );
        }
        for i in 0..3 {
            fed.stop(i);
        }
    }
}
