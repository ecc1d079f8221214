//! Crash safety: fire a burst of commands at the real node, SIGKILL it mid-burst, restart.
//! Every command that got a 2xx is there with its events, outbox rows and access-log row;
//! nothing is half-written. Runs on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::*;
use tokio::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_burst_loses_nothing_acknowledged() {
    let dir = tempdir("crash");
    for (db, url) in databases(&dir).await {
        let sub = dir.join(&db);
        std::fs::create_dir_all(&sub).unwrap();
        let config = write_config(&sub, &url);
        let mut node = NodeProc::start(&config, &[]);
        assert_eq!(
            node.post("/api/v1/cases", ANNA, case("LT-CRASH")).await.0,
            201
        );

        let acked: Arc<Mutex<Vec<(&'static str, String)>>> = Arc::default();
        let ok = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for w in 0..8 {
            let (base, client) = (node.base.clone(), node.client.clone());
            let (acked, ok) = (acked.clone(), ok.clone());
            workers.push(tokio::spawn(async move {
                for i in 0.. {
                    let (kind, path, body) = if (w + i) % 2 == 0 {
                        ("escalation", "/api/v1/escalations", open_sit2("LT-CRASH"))
                    } else {
                        ("kwestie", "/api/v1/kwesties", raise_kwestie())
                    };
                    let resp = client
                        .post(format!("{base}{path}"))
                        .bearer_auth(ANNA)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(resp) = resp else { return };
                    if resp.status().is_success() {
                        let Ok(v) = resp.json::<serde_json::Value>().await else {
                            return;
                        };
                        acked
                            .lock()
                            .await
                            .push((kind, v["id"].as_str().unwrap().to_owned()));
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        while ok.load(Ordering::SeqCst) < 80 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        node.kill(); // SIGKILL, mid-burst
        for w in workers {
            w.await.unwrap();
        }
        let acked = acked.lock().await.clone();
        assert!(acked.len() >= 80);

        let node = NodeProc::start(&config, &[]);
        for (kind, id) in &acked {
            let path = match *kind {
                "escalation" => format!("/api/v1/escalations/{id}"),
                _ => format!("/api/v1/kwesties/{id}"),
            };
            let (s, _) = node.get(&path, EVA).await;
            assert_eq!(
                s, 200,
                "acknowledged {kind} {id} is there after the crash ({db})"
            );
        }
        let store_url = if url.is_empty() {
            format!("sqlite://{}/data/node.db", sub.display())
        } else {
            url.clone()
        };
        let store = doorbraak_store::Store::connect(&store_url, 1)
            .await
            .unwrap();
        for (kind, id) in &acked {
            if *kind == "escalation" {
                let events = store
                    .events::<doorbraak_model::Escalation>(id, 0)
                    .await
                    .unwrap();
                assert_eq!(events.len(), 2, "opened + step invoked");
                assert_eq!(
                    store.outbox(Some(id)).await.unwrap().len(),
                    1,
                    "one row for Veilig Thuis"
                );
            }
            let log = store.access_log(Some(id), None, 10).await.unwrap();
            assert!(log.iter().any(|e| e.action == doorbraak_store::AccessAction::C && e.outcome == "success"));
        }
        let audit = store.audit(LT).await.unwrap();
        assert_eq!(
            audit,
            doorbraak_store::Audit::default(),
            "nothing half-written ({db})"
        );
        let projections = store
            .count(doorbraak_store::Table::Projections)
            .await
            .unwrap();
        assert!(
            projections as usize >= acked.len(),
            "unacknowledged commits may exist, acknowledged ones all do"
        );
        store.close().await;
        eprintln!(
            "crash test on {db}: {} acknowledged, {projections} committed",
            acked.len()
        );
    }
}

fn maildir_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("new")).map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_between_the_commit_and_the_mail_sends_it_once_after_the_restart() {
    if !smtp::available() {
        return;
    }
    let dir = tempdir("mail-crash");
    let config = write_config(&dir, "");
    // eva has an address; mail goes to a loopback server at any hour of a working day
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "id = \"eva\"\n",
        "id = \"eva\"\nemail = \"eva@lokaal-team.example\"\n",
    );
    std::fs::write(&config, text).unwrap();
    let smtp_port = free_port();
    let working = smtp::working_day_offset().to_string();
    let port = smtp_port.to_string();
    let env = |interval: &'static str| {
        vec![
            ("DOORBRAAK__MAIL__HOST", "127.0.0.1".to_owned()),
            ("DOORBRAAK__MAIL__PORT", port.clone()),
            ("DOORBRAAK__MAIL__TLS", "none".to_owned()),
            (
                "DOORBRAAK__MAIL__FROM",
                "doorbraak@lokaal-team.example".to_owned(),
            ),
            (
                "DOORBRAAK__MAIL__BASE_URL",
                "http://127.0.0.1:8080".to_owned(),
            ),
            ("DOORBRAAK__MAIL__FROM_HOUR", "0".to_owned()),
            ("DOORBRAAK__MAIL__UNTIL_HOUR", "24".to_owned()),
            ("DOORBRAAK__DEV__CLOCK_OFFSET_DAYS", working.clone()),
            ("DOORBRAAK__SWEEPER__INTERVAL_SECS", interval.to_owned()),
        ]
    };
    // a sweeper that will not come round again: the command commits, the mail is not sent
    let first = env("3600");
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut node = NodeProc::start(&config, &first);
    let (status, k) = node.post("/api/v1/kwesties", ANNA, raise_kwestie()).await;
    assert_eq!(status, 201, "{k}");
    node.kill(); // SIGKILL
    // the SMTP server is up, the node comes back with its sweeper every second
    let maildir = dir.join("maildir");
    let smtp = smtp::start(smtp_port, &maildir).await;
    let second = env("1");
    let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let node = NodeProc::start(&config, &second);
    let mut n = 0;
    for _ in 0..100 {
        n = maildir_count(&maildir);
        if n > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(n, 1, "eva's mail arrives after the restart");
    // several sweeper passes later: still once
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(maildir_count(&maildir), 1, "never twice");
    drop(node);
    drop(smtp);
}
