//! Upgrades: a database written by the previous release (the fixture in tests/fixtures/upgrade,
//! made by `make_the_upgrade_fixture` with that release's code) is opened by this binary on
//! SQLite and PostgreSQL, migrated, and everything in it read back and written on; and nodes
//! announce their release and event versions in the greeting, so that an incompatible peer is
//! named on the admin page instead of failing obscurely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{doorbraak, must};

use std::path::{Path, PathBuf};

use serde_json::json;
use support::{ANNA, BEHEER, EVA, NodeProc, case, open_sit2};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/upgrade")
}

/// What the fixture holds: a case, an escalation with its outcome, a kwestie, a private note.
async fn write_history(node: &NodeProc) {
    must(
        201,
        node.post("/api/v1/cases", ANNA, case("LT-UPG-1")).await,
    );
    let e = must(
        201,
        node.post("/api/v1/escalations", ANNA, open_sit2("LT-UPG-1"))
            .await,
    );
    let id = e["id"].as_str().unwrap().to_owned();
    must(
        200,
        node.post(
            &format!("/api/v1/escalations/{id}/situation"),
            ANNA,
            json!({ "to": "conduct", "reason": "Het gaat om het handelen" }),
        )
        .await,
    );
    must(
        201,
        node.post(
            &format!("/api/v1/escalations/{id}/notes"),
            ANNA,
            json!({ "text": "Notitie van voor de upgrade" }),
        )
        .await,
    );
    let mut kw = support::raise_kwestie();
    kw["case_ref"] = json!("LT-UPG-1");
    kw["child_needs"] = json!("Een plek in de buurt");
    must(201, node.post("/api/v1/kwesties", ANNA, kw).await);
}

/// Make the fixture with this release's code (run by hand when a release is cut:
/// `cargo nextest run -p doorbraak --test upgrade --run-ignored only`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the fixture of a release"]
async fn make_the_upgrade_fixture() {
    std::fs::create_dir_all(fixtures()).unwrap();
    for (backend, url) in support::databases(&support::tempdir("fixture")).await {
        let dir = support::tempdir(&format!("fixture-{backend}"));
        let config = support::write_config(&dir, &url);
        let mut node = NodeProc::start(&config, &[]);
        write_history(&node).await;
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        if backend == "sqlite" {
            let out = fixtures().join("node.sqlite");
            let _ = std::fs::remove_file(&out);
            let (ok, msg) = doorbraak(&[
                "backup",
                "--config",
                config.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(ok, "{msg}");
        } else {
            let out = std::process::Command::new("pg_dump")
                .args(["--format=plain", "--no-owner", "--no-privileges"])
                .arg(&url)
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(fixtures().join("node.postgres.sql"), out.stdout).unwrap();
        }
        node.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_is_read_and_written_on_by_this_one() {
    for (backend, url) in support::databases(&support::tempdir("upgrade")).await {
        let dir = support::tempdir(&format!("upgrade-{backend}"));
        let config = support::write_config(&dir, &url);
        if backend == "sqlite" {
            std::fs::create_dir_all(dir.join("data")).unwrap();
            std::fs::copy(fixtures().join("node.sqlite"), dir.join("data/node.db")).unwrap();
        } else {
            let out = std::process::Command::new("psql")
                .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--file"])
                .arg(fixtures().join("node.postgres.sql"))
                .arg(&url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut node = NodeProc::start(&config, &[]);
        // everything the previous release wrote reads back
        let cases = must(200, node.get("/api/v1/cases", ANNA).await);
        assert!(cases.to_string().contains("LT-UPG-1"), "{backend}: {cases}");
        let escs = must(200, node.get("/api/v1/escalations", EVA).await);
        let id = escs[0]["id"].as_str().unwrap().to_owned();
        let e = must(
            200,
            node.get(&format!("/api/v1/escalations/{id}"), EVA).await,
        );
        assert_eq!(e["state"]["situation"], "conduct", "{backend}: {e}");
        let events = must(
            200,
            node.get(&format!("/api/v1/escalations/{id}/events"), EVA)
                .await,
        );
        assert!(
            events
                .as_array()
                .unwrap()
                .iter()
                .all(|ev| ev["event"]["v"] == 1),
            "{backend}: every event carries its version"
        );
        let notes = must(
            200,
            node.get(&format!("/api/v1/escalations/{id}/notes"), ANNA)
                .await,
        );
        assert!(notes.to_string().contains("Notitie van voor de upgrade"));
        let kws = must(200, node.get("/api/v1/kwesties", EVA).await);
        let kid = kws[0]["id"].as_str().unwrap().to_owned();
        let k = must(200, node.get(&format!("/api/v1/kwesties/{kid}"), EVA).await);
        assert_eq!(k["state"]["child_needs"], "Een plek in de buurt");
        let log = must(200, node.get("/api/v1/access-log?limit=1000", BEHEER).await);
        assert!(log.as_array().unwrap().len() > 5);
        // and the log goes on where the previous release left it
        let v = e["version"].as_i64().unwrap();
        let next = must(
            200,
            node.post(
                &format!("/api/v1/escalations/{id}/situation"),
                ANNA,
                json!({ "to": "agreements_not_kept", "reason": "Toch de afspraken" }),
            )
            .await,
        );
        assert_eq!(next["version"].as_i64().unwrap(), v + 1);
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        node.kill();
        let (ok, out) = doorbraak(&["audit", "verify", "--config", config.to_str().unwrap()]);
        assert!(ok && out.starts_with("valid"), "{backend}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_of_an_incompatible_release_is_named_on_the_admin_page() {
    use doorbraak_model::OrgKind;
    use doorbraak_proto::v1;
    use support::fed::{Fed, tok};
    use support::{LT, VT};
    let mut fed = Fed::create(
        "releases",
        &[
            (LT, "Lokaal Team", OrgKind::LocalTeam),
            (VT, "Veilig Thuis", OrgKind::VeiligThuis),
        ],
        &[],
        &[],
    );
    fed.start_all(2);
    // the nodes greeted each other at start: each knows the other's release
    let peers = fed
        .wait_for(0, "a", "/api/v1/federation/peers", |s, b| {
            s == 200 && b[0]["compatible"] == true
        })
        .await;
    assert_eq!(peers[0]["software_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(peers[0]["event_versions"], json!([1, 1, 1]));
    // a release two encodings ahead greets: it answers with its own versions, and is named
    let mut c = fed.client_as(VT, 0);
    let r = c
        .identity(v1::IdentityRequest {
            software_version: "9.0.0".into(),
            event_version_oldest: 3,
            event_version_current: 3,
            event_version_newest: 3,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (r.event_version_oldest, r.event_version_current),
        (1, u32::from(doorbraak_model::EVENT_VERSION))
    );
    let (s, peers) = fed
        .node(0)
        .get("/api/v1/federation/peers", &tok(0, "a"))
        .await;
    assert_eq!(s, 200, "{peers}");
    assert_eq!(peers[0]["compatible"], false, "{peers}");
    assert_eq!(peers[0]["software_version"], "9.0.0");
    // the same release again: compatible
    c.identity(greeting()).await.unwrap();
    let (_, peers) = fed
        .node(0)
        .get("/api/v1/federation/peers", &tok(0, "a"))
        .await;
    assert_eq!(peers[0]["compatible"], true, "{peers}");
}

/// The greeting of a node of this release.
fn greeting() -> doorbraak_proto::v1::IdentityRequest {
    doorbraak_proto::v1::IdentityRequest {
        software_version: env!("CARGO_PKG_VERSION").into(),
        event_version_oldest: 1,
        event_version_current: u32::from(doorbraak_model::EVENT_VERSION),
        event_version_newest: u32::from(doorbraak_model::NEWEST_EVENT_VERSION),
    }
}
