//! The access log's tamper evidence with the real binary, on SQLite and PostgreSQL: a node
//! seals what it logs into a hash chain with a checkpoint; `doorbraak audit verify` finds the
//! log sound, and after someone with the database's own rights edits, deletes or inserts a row
//! behind the node's back it names each of them and exits 1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{NodeProc, case};

fn audit(config: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["audit", "verify", "--config"])
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_an_edited_a_deleted_and_an_inserted_access_log_row() {
    for (backend, url) in support::databases(&support::tempdir("audit")).await {
        let dir = support::tempdir(&format!("audit-{backend}"));
        let config = support::write_config(&dir, &url);
        let mut node = NodeProc::start(&config, &[]);
        for i in 0..3 {
            let (s, b) = node
                .post(
                    "/api/v1/cases",
                    "dev-anna-professional",
                    case(&format!("LT-A{i}")),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
        let (s, log) = node
            .get("/api/v1/access-log?limit=100", "dev-beheer-admin")
            .await;
        assert_eq!(s, 200, "{log}");
        // the sweeper (every second here) seals what was logged
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        node.kill();
        let (ok, out) = audit(&config);
        assert!(ok && out.starts_with("valid: "), "{backend}: {out}");
        assert!(out.contains("1 checkpoints"), "{backend}: {out}");

        // behind the node's back, with the database's own rights
        let db = if url.is_empty() {
            format!("sqlite://{}/data/node.db", dir.display())
        } else {
            url.clone()
        };
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&db).await.unwrap();
        let around: &[&str] = if url.is_empty() {
            &[
                "DROP TRIGGER access_log_no_update",
                "DROP TRIGGER access_log_no_delete",
            ]
        } else {
            &["ALTER TABLE access_log DISABLE TRIGGER USER"]
        };
        for sql in around {
            sqlx::query(sqlx::AssertSqlSafe(*sql))
                .execute(&raw)
                .await
                .unwrap();
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT event_id FROM access_log ORDER BY at_ms")
            .fetch_all(&raw)
            .await
            .unwrap();
        assert!(ids.len() >= 3, "{ids:?}");
        sqlx::query("UPDATE access_log SET user_id = 'iemand-anders' WHERE event_id = $1")
            .bind(&ids[0])
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query("DELETE FROM access_log WHERE event_id = $1")
            .bind(&ids[1])
            .execute(&raw)
            .await
            .unwrap();
        let forged = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, org_oin, \
             object_type, object_id, purpose, outcome, source_node) \
             SELECT $1, 'R', at_ms, 'x', 'admin', org_oin, 'case', 'LT-A0', purpose, 'success', source_node \
             FROM access_log WHERE event_id = $2",
        )
        .bind(&forged)
        .bind(&ids[0])
        .execute(&raw)
        .await
        .unwrap();
        raw.close().await;
        let (ok, out) = audit(&config);
        assert!(!ok, "{backend}: {out}");
        for (id, what) in [
            (&ids[0], "was changed after it was sealed"),
            (&ids[1], "was deleted"),
            (&forged, "inserted past the node"),
        ] {
            assert!(
                out.lines()
                    .any(|l| l.contains(id.as_str()) && l.contains(what)),
                "{backend}: {id} {what}:\n{out}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_rows_past_their_term_are_archived_with_their_checkpoint_and_still_verified() {
    for (backend, url) in support::databases(&support::tempdir("archive")).await {
        let dir = support::tempdir(&format!("archive-{backend}"));
        let config = support::write_config(&dir, &url);
        let mut node = NodeProc::start(&config, &[]);
        for i in 0..3 {
            let (s, b) = node
                .post(
                    "/api/v1/cases",
                    "dev-anna-professional",
                    case(&format!("LT-R{i}")),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        node.kill();
        let (ok, out) = audit(&config);
        assert!(
            ok && out.contains("0 rows in 0 archived segments"),
            "{backend}: {out}"
        );
        // a year and a bit later, with a term of one year: what was logged then is archived
        let mut toml = std::fs::read_to_string(&config).unwrap();
        toml.push_str("\n[records]\naccess_log_years = 1\n");
        assert!(toml.contains("clock_offset_days = 0"));
        toml = toml.replace("clock_offset_days = 0", "clock_offset_days = 400");
        std::fs::write(&config, toml).unwrap();
        let mut node = NodeProc::start(&config, &[]);
        let archive = dir.join("data/archive");
        for _ in 0..100 {
            if std::fs::read_dir(&archive).is_ok_and(|mut d| d.next().is_some()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // the file is written and synced first, then the rows leave in one transaction
        let mut left = false;
        for _ in 0..100 {
            let (s, log) = node
                .get("/api/v1/access-log?limit=1000", "dev-beheer-admin")
                .await;
            assert_eq!(s, 200);
            left = !log.to_string().contains("LT-R0");
            if left {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(left, "{backend}: the old rows left the database");
        node.kill();
        let (ok, out) = audit(&config);
        assert!(
            ok && !out.contains(" 0 archived segments"),
            "{backend}: {out}"
        );
        let file = std::fs::read_dir(&archive)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("LT-R0"), "the archive holds the old rows");
        // a changed archive is named
        std::fs::write(&file, text.replace("LT-R0", "LT-XX")).unwrap();
        let (ok, out) = audit(&config);
        assert!(
            !ok && out.contains("was changed after it was archived"),
            "{backend}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_command_carries_one_trace_through_both_nodes_logs() {
    use doorbraak_model::OrgKind;
    use support::fed::{Fed, tok};
    use support::{LT, VT};
    let mut fed = Fed::create(
        "trace",
        &[
            (LT, "Lokaal Team", OrgKind::LocalTeam),
            (VT, "Veilig Thuis", OrgKind::VeiligThuis),
        ],
        &[],
        &[],
    );
    // the local team's register of processing activities names escalation handling's
    let register = "https://register.lokaal-team.example/verwerkingen/escalaties";
    let mut toml = std::fs::read_to_string(&fed.orgs[0].config).unwrap();
    toml.push_str(&format!(
        "\n[records.processing_activities]\nescalation_handling = \"{register}\"\n"
    ));
    std::fs::write(&fed.orgs[0].config, toml).unwrap();
    // both nodes export their spans to a real OTLP receiver
    let (otlp_port, otlp) = support::otlp::Receiver::start().await;
    for o in &fed.orgs {
        let mut toml = std::fs::read_to_string(&o.config).unwrap();
        toml.push_str(&format!(
            "\n[telemetry]\notlp_endpoint = \"http://127.0.0.1:{otlp_port}\"\n"
        ));
        std::fs::write(&o.config, toml).unwrap();
    }
    for i in 0..2 {
        fed.start_with(i, &[("OTEL_BSP_SCHEDULE_DELAY", "100")]);
    }
    let (s, b) = fed
        .node(0)
        .post("/api/v1/cases", &tok(0, "p"), case("LT-T1"))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = fed
        .node(0)
        .post(
            "/api/v1/escalations",
            &tok(0, "p"),
            serde_json::json!({
                "case_ref": "LT-T1", "situation": "agreements_not_kept", "first_step": "management",
                "counterparts": [VT], "question": "Wachtlijst", "needs": "Start hulp",
                "seeking_youth_help_access": false,
            }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    fed.wait_for(1, "tm", &format!("/api/v1/escalations/{id}"), |s, _| {
        s == 200
    })
    .await;

    // Veilig Thuis' team manager picks up, in a trace the caller started
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let r = fed
        .node(1)
        .client
        .post(format!(
            "{}/api/v1/escalations/{id}/pick-up",
            fed.node(1).base
        ))
        .bearer_auth(tok(1, "tm"))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // the home decided it: its access log has the caller's trace, and so has the party's
    for i in [0, 1] {
        let (s, log) = fed
            .node(i)
            .get(
                &format!("/api/v1/access-log?object_id={id}&limit=100"),
                &tok(i, "a"),
            )
            .await;
        assert_eq!(s, 200, "{log}");
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["trace_id"] == trace),
            "node {i} has no entry of the trace: {log}"
        );
    }
    // in Logboek Dataverwerkingen form: the home's record of the party's call names the trace,
    // the party's operation as the foreign one, and the processing activity of the register
    let (s, export) = fed
        .node(0)
        .get(
            &format!("/api/v1/access-log/export?object_id={id}&limit=100"),
            &tok(0, "a"),
        )
        .await;
    assert_eq!(s, 200, "{export}");
    let records = export.as_array().unwrap();
    let call = records
        .iter()
        .find(|r| {
            r["trace_id"] == trace && r["foreign_operation"]["entity"] == format!("urn:oin:{VT}")
        })
        .unwrap_or_else(|| panic!("no record of Veilig Thuis' call: {export}"));
    assert_eq!(
        call["attributes"]["dpl.core.processing_activity_id"], register,
        "{call}"
    );
    assert_eq!(call["status_code"], "STATUS_CODE_OK");
    assert_eq!(call["span_id"].as_str().unwrap().len(), 16, "{call}");
    assert_ne!(
        call["foreign_operation"]["span_id"], call["span_id"],
        "{call}"
    );
    assert_eq!(call["resource"]["attributes"]["doorbraak.node"], LT);
    // a case is its own data subject (the pseudonymous reference)
    let (_, cases) = fed
        .node(0)
        .get(
            "/api/v1/access-log/export?object_id=LT-T1&limit=100",
            &tok(0, "a"),
        )
        .await;
    assert!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["attributes"]["dpl.core.data_subject_id"] == "LT-T1"),
        "{cases}"
    );
    // and both nodes' logs name it
    for i in [0, 1] {
        let path = fed.orgs[i].config.with_file_name("node.log");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(trace),
            "node {i}'s log does not name the trace"
        );
    }
    // the escalation's access-log entries name its case as the data subject
    let (_, entries) = fed
        .node(0)
        .get(
            &format!("/api/v1/access-log?object_id={id}&limit=100"),
            &tok(0, "a"),
        )
        .await;
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["data_subject"] == "LT-T1"),
        "{entries}"
    );
    // the spans both nodes exported over OTLP carry the one trace id: the party's request
    // and its call to the home, and the home's handling of it
    let instance = |oin: &str| format!("{oin}/");
    // the spans a node exports come in batches: the inner ones (the command) may come before
    // the request's own; wait for exactly the spans asserted below
    let wanted = |seen: &[support::otlp::Span], oin: &str, what: &str| {
        seen.iter().any(|s| {
            s.trace_id == trace
                && s.instance.starts_with(&instance(oin))
                && (s.name.contains('/') || s.name == what)
        })
    };
    let mut seen = Vec::new();
    for _ in 0..200 {
        seen = otlp.spans();
        if wanted(&seen, VT, "http") && wanted(&seen, LT, "grpc") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for (oin, what) in [(VT, "http"), (LT, "grpc")] {
        assert!(
            wanted(&seen, oin, what),
            "no span of {oin} in the trace: {seen:?}"
        );
    }
    assert!(
        seen.iter()
            .any(|s| s.trace_id == trace && s.name == "command"),
        "the home's command span is in the trace: {seen:?}"
    );
    // a request without a traceparent gets a trace of its own
    let (s, log) = fed
        .node(0)
        .get(
            &format!("/api/v1/access-log?object_id={id}&limit=100"),
            &tok(0, "a"),
        )
        .await;
    assert_eq!(s, 200);
    let traces: std::collections::HashSet<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["trace_id"].as_str())
        .collect();
    assert!(traces.len() >= 2, "{traces:?}");
}
