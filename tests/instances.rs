//! Past one process: one process per SQLite file, several instances of a node on one
//! PostgreSQL (issue #18). Real node processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use support::NodeProc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_process_on_one_sqlite_file_is_refused_at_start_and_a_restore_too() {
    let dir = support::tempdir("one-file");
    let config = support::write_config(&dir, "");
    let first = NodeProc::start(&config, &[]);
    // the same configuration (the same data_dir) on other ports
    let out = Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["node", "--config"])
        .arg(&config)
        .env(
            "DOORBRAAK__HTTP__LISTEN",
            format!("127.0.0.1:{}", support::free_port()),
        )
        .env(
            "DOORBRAAK__GRPC__LISTEN",
            format!("127.0.0.1:{}", support::free_port()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second process must not run");
    assert!(
        stderr.contains("another node process has the SQLite database")
            && stderr.contains(&format!("pid {}", first.child.id()))
            && stderr.contains("PostgreSQL"),
        "{stderr}"
    );
    // a restore over a running node's file is refused as well
    let backup = dir.join("backup.db");
    let (ok, text) = support::doorbraak(&[
        "backup",
        "--config",
        config.to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(ok, "a backup while the node runs is fine: {text}");
    let (ok, text) = support::doorbraak(&[
        "restore",
        "--config",
        config.to_str().unwrap(),
        "--from",
        backup.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("must be stopped"), "{text}");
    // the first node still answers; once it is gone, a new process may start
    let (s, _) = first.get("/api/v1/cases", "dev-anna-professional").await;
    assert_eq!(s, 200);
    drop(first);
    let again = NodeProc::start(&config, &[]);
    let (s, _) = again.get("/api/v1/cases", "dev-anna-professional").await;
    assert_eq!(s, 200);
}

/// Three instances of the local team (one PostgreSQL) behind a TCP load balancer, beside Veilig
/// Thuis and the GI; commands from both sides; instances killed and restarted during the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgres_lose_nothing_fork_nothing_and_keep_a_session() {
    use doorbraak_model::OrgKind;
    use serde_json::json;
    use support::fed::{Fed, pid, tok};
    use support::lb::Balancer;
    use support::{GI, LT, VT, must};

    let Some(url) = doorbraak_store::testing::fresh_postgres().await else {
        return;
    };
    let orgs = [
        (LT, "Lokaal Team", OrgKind::LocalTeam),
        (VT, "Veilig Thuis", OrgKind::VeiligThuis),
        (GI, "GI", OrgKind::CertifiedInstitution),
    ];
    let mut fed = Fed::create("instances", &orgs, &[], &[]);
    fed.use_database(0, &url);
    // the browser logs in with a development account
    let mut toml = std::fs::read_to_string(&fed.orgs[0].config).unwrap();
    toml.push_str("\n[web]\ndev_login = true\n");
    std::fs::write(&fed.orgs[0].config, toml).unwrap();
    // the receivers log every message they are sent, with the instance that sent it
    let received = [
        ("RUST_LOG", "info,doorbraak::received=debug"),
        // the local team's instances move their development clocks twenty days on below; the
        // receivers take its events dated that far ahead (by default five minutes)
        ("DOORBRAAK__GRPC__MAX_CLOCK_SKEW_SECS", "2678400"),
    ];
    fed.start_with(1, &received);
    fed.start_with(2, &received);
    // each instance its own name and ports; the directory's endpoint is the balancer
    let ports: Vec<(u16, u16)> = (0..3)
        .map(|_| (support::free_port(), support::free_port()))
        .collect();
    let start = |r: usize, extra: &[(&str, &str)]| {
        let (http, grpc) = ports[r];
        let (instance, http, grpc) = (
            format!("r{r}"),
            format!("127.0.0.1:{http}"),
            format!("127.0.0.1:{grpc}"),
        );
        let mut env = vec![
            ("DOORBRAAK__NODE__INSTANCE", instance.as_str()),
            ("DOORBRAAK__HTTP__LISTEN", http.as_str()),
            ("DOORBRAAK__GRPC__LISTEN", grpc.as_str()),
        ];
        env.extend_from_slice(extra);
        NodeProc::start(&fed.orgs[0].config, &env)
    };
    let mut instances: Vec<Option<NodeProc>> = (0..3).map(|r| Some(start(r, &[]))).collect();
    let addr = |p: u16| -> std::net::SocketAddr { format!("127.0.0.1:{p}").parse().unwrap() };
    let _grpc_lb = Balancer::start(
        addr(fed.orgs[0].grpc),
        ports.iter().map(|(_, g)| addr(*g)).collect(),
    )
    .await;
    let http_lb = Balancer::start(addr(0), ports.iter().map(|(h, _)| addr(*h)).collect()).await;
    let lt = |instances: &Vec<Option<NodeProc>>, k: usize| -> usize {
        // the k-th command goes to the k-th live instance, round robin
        let live: Vec<usize> = (0..3).filter(|r| instances[*r].is_some()).collect();
        live[k % live.len()]
    };

    // a case, then escalations opened round robin over the instances; one instance is killed
    // half-way and comes back
    let (s, b) = instances[0]
        .as_ref()
        .unwrap()
        .post("/api/v1/cases", &tok(0, "p"), support::case("LT-REP"))
        .await;
    assert_eq!(s, 201, "{b}");
    let mut ids = Vec::new();
    // which instance was killed when (SIGKILL: it dies holding whatever lease it held)
    let mut kills: Vec<(String, jiff::Timestamp)> = Vec::new();
    let name = |r: usize| format!("{LT}/r{r}");
    for k in 0..12 {
        if k == 6 {
            instances[1].take().unwrap().kill();
            kills.push((name(1), jiff::Timestamp::now()));
        }
        if k == 9 {
            instances[1] = Some(start(1, &[]));
        }
        let r = lt(&instances, k);
        let b = must(
            201,
            instances[r]
                .as_ref()
                .unwrap()
                .post(
                    "/api/v1/escalations",
                    &tok(0, "p"),
                    json!({
                        "case_ref": "LT-REP", "situation": "agreements_not_kept",
                        "first_step": "management", "counterparts": [VT, GI],
                        "question": format!("Vraag {k}"), "needs": "Hulp",
                        "seeking_youth_help_access": false,
                    }),
                )
                .await,
        );
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    // the other side: VT picks up half of them (decided by the home, through the balancer),
    // while the local team records the family informed on the others on alternating instances; an instance is
    // killed in the middle
    for (k, id) in ids.iter().enumerate() {
        if k == 3 {
            instances[2].take().unwrap().kill();
            kills.push((name(2), jiff::Timestamp::now()));
        }
        if k % 2 == 0 {
            fed.wait_for(1, "d", &format!("/api/v1/escalations/{id}"), |s, _| {
                s == 200
            })
            .await;
            let (s, b) = fed
                .node(1)
                .post(
                    &format!("/api/v1/escalations/{id}/pick-up"),
                    &tok(1, "d"),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "pick-up of {id}: {b}");
        } else {
            let r = lt(&instances, k);
            let (s, b) = instances[r]
                .as_ref()
                .unwrap()
                .post(
                    &format!("/api/v1/escalations/{id}/family-informed"),
                    &tok(0, "p"),
                    json!({ "step": "management",
                        "informed": { "type": "before", "at": "2026-01-05T10:00:00Z" } }),
                )
                .await;
            assert!(s == 200, "family informed on {id} at instance {r}: {s} {b}");
        }
    }
    instances[2] = Some(start(2, &[]));

    // everything delivered; every party's replica equals the home, nothing lost or doubled
    fed.drained(1).await;
    // a live instance of the home, and an escalation's log read there
    let home =
        |instances: &Vec<Option<NodeProc>>| instances.iter().flatten().next().unwrap().base.clone();
    let tm = tok(0, "tm");
    for _ in 0..300 {
        let peers = support::get_text(
            &format!("{}/api/v1/federation/peers", home(&instances)),
            Some(&tok(0, "a")),
        )
        .await;
        if peers.contains("\"pending\":0") && !peers.contains("\"pending\":1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for (k, id) in ids.iter().enumerate() {
        let at_home =
            support::fed::escalation_log(instances.iter().flatten().next().unwrap(), &tm, id).await;
        let seqs: Vec<i64> = at_home.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(seqs, (1..=at_home.len() as i64).collect::<Vec<_>>(), "{id}");
        let wanted = if k % 2 == 0 {
            "step_picked_up"
        } else {
            "family_informed_recorded"
        };
        assert_eq!(
            at_home.iter().filter(|(_, _, t)| t == wanted).count(),
            1,
            "{id}: one effect per command: {at_home:?}"
        );
        for party in [1, 2] {
            fed.wait_for(party, "d", &format!("/api/v1/escalations/{id}"), |s, b| {
                s == 200 && b["version"].as_i64() == Some(at_home.len() as i64)
            })
            .await;
            assert_eq!(fed.events(party, id).await, at_home, "{id} at org {party}");
        }
    }
    // every instance reads the same
    for r in instances.iter().flatten() {
        assert_eq!(
            support::fed::escalation_log(r, &tm, &ids[0]).await,
            support::fed::escalation_log(instances.iter().flatten().next().unwrap(), &tm, &ids[0])
                .await
        );
    }

    // twenty days later (every instance restarted on the development clock): the steps nobody
    // picked up are overdue, each marked once though three sweepers run
    for (r, i) in instances.iter_mut().enumerate() {
        i.take().unwrap().kill();
        kills.push((name(r), jiff::Timestamp::now()));
    }
    for (r, i) in instances.iter_mut().enumerate() {
        *i = Some(start(r, &[("DOORBRAAK__DEV__CLOCK_OFFSET_DAYS", "20")]));
    }
    for id in ids.iter().skip(1).step_by(2) {
        for _ in 0..300 {
            let log =
                support::fed::escalation_log(instances.iter().flatten().next().unwrap(), &tm, id)
                    .await;
            if log.iter().any(|(_, _, t)| t == "step_overdue") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    // a few more sweeps on every instance
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    for (k, id) in ids.iter().enumerate() {
        let log =
            support::fed::escalation_log(instances.iter().flatten().next().unwrap(), &tm, id).await;
        let overdue = log.iter().filter(|(_, _, t)| t == "step_overdue").count();
        assert_eq!(overdue, usize::from(k % 2 == 1), "{id}: {log:?}");
        fed.wait_for(1, "d", &format!("/api/v1/escalations/{id}"), |s, b| {
            s == 200 && b["version"].as_i64() == Some(log.len() as i64)
        })
        .await;
        assert_eq!(fed.events(1, id).await, log, "{id} at VT");
    }

    // every message went to a party from one instance at a time: as the receivers' logs show,
    // a message sent again by another instance was first sent by one that was killed before
    // the second send (it died holding the message's lease, which expired), never by one alive
    for party in [1, 2] {
        let log =
            std::fs::read_to_string(fed.orgs[party].config.with_file_name("node.log")).unwrap();
        let mut sends: std::collections::HashMap<String, Vec<(jiff::Timestamp, String)>> =
            Default::default();
        for line in log
            .lines()
            .filter(|l| l.contains("doorbraak::received: message received"))
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            let field = |k: &str| {
                words
                    .iter()
                    .find_map(|w| w.strip_prefix(k))
                    .unwrap_or_else(|| panic!("no {k} in {line}"))
                    .to_owned()
            };
            let at: jiff::Timestamp = words[0].parse().unwrap();
            sends
                .entry(field("message_id="))
                .or_default()
                .push((at, field("instance=")));
        }
        assert!(
            sends.len() >= ids.len(),
            "org {party} logged {} messages",
            sends.len()
        );
        for (message, by) in &sends {
            for w in by.windows(2) {
                let ((t1, a), (t2, b)) = (&w[0], &w[1]);
                assert!(
                    a.starts_with(LT) && b.starts_with(LT),
                    "{message}: sent by {a} and {b}"
                );
                if a != b {
                    assert!(
                        kills.iter().any(|(k, at)| k == a && at >= t1 && at <= t2),
                        "{message} sent to org {party} by {a} at {t1}, then by {b} at {t2}, while {a} lived: {kills:?}"
                    );
                }
            }
        }
    }

    // one sweeper: at most one instance holds its lease, and it is a live one
    let store = doorbraak_store::Store::connect(&url, 2).await.unwrap();
    let (owner, _) = store
        .lease_holder("job:sweeper")
        .await
        .unwrap()
        .expect("an instance sweeps");
    assert!(
        ["r0", "r1", "r2"]
            .iter()
            .any(|r| owner == format!("{LT}/{r}")),
        "{owner}"
    );
    // the figures three instances counted at once, command by command, equal the streams
    // counted afresh
    let figures = |store: doorbraak_store::Store| async move {
        let all = doorbraak_model::figures::Days::default();
        let today = doorbraak_model::figures::dutch_day(jiff::Timestamp::now());
        let counts = store.figure_counts(all).await.unwrap();
        doorbraak_model::figures::figures_from(LT, counts, today, 0)
    };
    let counted = figures(store.clone()).await;
    assert_eq!(counted.opened_per_month.values().sum::<u64>(), 12);
    assert_eq!(counted.open_by_step_situation.values().sum::<u64>(), 12);
    assert_eq!(counted.overdue_steps, 6, "marked once each");
    store.forget_figure_counts().await.unwrap();
    let built = store
        .build_figure_counts(LT, jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(built.is_some_and(|n| n >= 12), "{built:?}");
    assert_eq!(figures(store.clone()).await, counted);
    store.close().await;

    // a browser session outlives the instance it logged in on: log in through the balancer,
    // kill every instance, start one again: the page still knows the person
    if let Some(b) = support::browser::Browser::start().await.unwrap() {
        let base = format!("http://{}", http_lb.addr);
        let user = pid(0, "p");
        b.goto(&format!("{base}/inloggen?als={user}"))
            .await
            .unwrap();
        b.click(&format!("#als-{user}")).await.unwrap();
        b.wait_for("#ingelogd").await.unwrap();
        // every instance dies, whichever served the login; one comes back as a new process
        for i in instances.iter_mut() {
            i.take().unwrap().kill();
        }
        instances[2] = Some(start(2, &[]));
        b.goto(&format!("{base}/escalaties")).await.unwrap();
        b.wait_for("#ingelogd").await.unwrap();
        let text = b.page_text().await.unwrap();
        assert!(text.contains(&format!("Persoon {user}")), "{text}");
        b.close().await.unwrap();
    }
}
