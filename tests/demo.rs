//! The README's main command: `doorbraak demo` starts a seeded federation of four nodes,
//! describes it in federation.json, a second one picks other ports, and Ctrl-C stops it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

async fn get(http: &str, token: &str, path: &str) -> Value {
    support::http_client()
        .get(format!("{http}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_federation_starts_seeded_and_stops_on_ctrl_c() {
    let dir = support::tempdir("demo");
    let (mut one, rx1) = support::start_demo(&dir.join("one"));
    let printed = support::wait_line(&rx1, "Stop with Ctrl-C");
    assert!(
        printed
            .iter()
            .any(|l| l.contains("token demo-lokaal-team-anna")),
        "{printed:#?}"
    );
    // every development user gets a URL at which they log in to the web UI
    let anna = printed
        .iter()
        .find(|l| l.contains("token demo-lokaal-team-anna"))
        .unwrap();
    let login = anna
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.contains("/inloggen?als=anna"))
        .unwrap_or_else(|| panic!("no login URL in {anna}"));
    let page = support::http_client()
        .get(login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"als-anna\""), "{page}");
    assert!(page.contains("lang=\"nl\""));

    let f: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("one/federation.json")).unwrap())
            .unwrap();
    let orgs = f["organisations"].as_array().unwrap();
    let kinds: Vec<&str> = orgs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "municipality",
            "local_team",
            "veilig_thuis",
            "certified_institution"
        ]
    );
    for o in orgs {
        assert!(o["grpc"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert!(o["http"].as_str().unwrap().starts_with("http://127.0.0.1:"));
        assert!(!o["users"].as_array().unwrap().is_empty());
        assert_eq!(o["oin"].as_str().unwrap().len(), 20);
    }
    let by_kind = |k: &str| {
        orgs.iter().find(|o| o["kind"] == k).unwrap()["http"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // the seeded scenario, seen from the counterparts' nodes
    let vt = get(
        &by_kind("veilig_thuis"),
        "demo-veilig-thuis-gerda",
        "/api/v1/escalations",
    )
    .await;
    let vt = vt.as_array().unwrap();
    assert!(
        vt.iter().any(|e| e["situation"] == 2
            && e["step"] == 2
            && e["home_oin"] == "00000001000000000010"),
        "{vt:?}"
    );
    // the GI's own overdue step is there at once; Veilig Thuis's arrives through delivery
    let mut overdue = Value::Null;
    for _ in 0..200 {
        overdue = get(
            &by_kind("certified_institution"),
            "demo-gi-mark",
            "/api/v1/escalations?overdue=true",
        )
        .await;
        if overdue.as_array().is_some_and(|a| a.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        overdue.as_array().unwrap().len(),
        2,
        "both overdue steps concern the GI: {overdue}"
    );
    let lt = get(
        &by_kind("local_team"),
        "demo-lokaal-team-carla",
        "/api/v1/escalations",
    )
    .await;
    assert!(
        lt.as_array()
            .unwrap()
            .iter()
            .any(|e| e["situation"] == 1 && e["step"] == 1),
        "{lt}"
    );
    let kw = get(
        &by_kind("local_team"),
        "demo-lokaal-team-eva",
        "/api/v1/kwesties",
    )
    .await;
    assert_eq!(kw.as_array().unwrap().len(), 2);

    // a meeting whose minutes managers of two organisations approved; its bundle verifies
    let lt_http = by_kind("local_team");
    let esc_list = get(&lt_http, "demo-lokaal-team-eva", "/api/v1/escalations").await;
    assert!(!esc_list.as_array().unwrap().is_empty());
    let client = support::http_client();
    let vt_http = by_kind("veilig_thuis");
    let mut bundle_ok = false;
    for _ in 0..100 {
        // the minutes id is found through the LT node's store of the demo dir
        let store = doorbraak_store::Store::connect(
            &format!(
                "sqlite://{}/one/nodes/lokaal-team/data/node.db",
                dir.display()
            ),
            1,
        )
        .await
        .unwrap();
        let rows = store
            .list(
                doorbraak_model::StreamKind::Minutes,
                &doorbraak_store::ListFilter::default(),
            )
            .await
            .unwrap();
        store.close().await;
        if let Some(m) = rows
            .iter()
            .find(|r| r.status == doorbraak_model::Status::Final)
        {
            let b: Value = client
                .get(format!("{vt_http}/api/v1/meetings/{}/bundle", m.id))
                .bearer_auth("demo-veilig-thuis-gerda")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let path = dir.join("bundle.json");
            std::fs::write(&path, serde_json::to_string(&b).unwrap()).unwrap();
            let out = Command::new(env!("CARGO_BIN_EXE_doorbraak"))
                .args(["minutes", "verify"])
                .arg(&path)
                .arg("--ca")
                .arg(dir.join("one/pki/ca.pem"))
                .arg("--operator")
                .arg(dir.join("one/pki/operator/operator.pem"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("valid: 2 signed approvals"));
            bundle_ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        bundle_ok,
        "the demo has final minutes approved by two organisations"
    );

    // the alderman sees the seeded stagnation, including the overdue step (a small count)
    let gem = by_kind("municipality");
    let v = get(&gem, "demo-gemeente-ilse", "/api/v1/oversight/stagnation").await;
    assert_eq!(v["partial"], false, "{v}");
    assert_eq!(
        v["overdue_steps"], "<5",
        "two overdue steps at two organisations, shown as a suppressed small count: {v}"
    );
    assert_eq!(v["contributing"].as_array().unwrap().len(), 4);
    // the team manager sees the overview and the agenda
    let overview = get(&lt_http, "demo-lokaal-team-eva", "/api/v1/team/overview").await;
    assert_eq!(overview["kwesties"].as_array().unwrap().len(), 2);
    let agenda = get(&lt_http, "demo-lokaal-team-eva", "/api/v1/team/agenda").await;
    assert!(!agenda["items"].as_array().unwrap().is_empty());

    // a second demo on the same machine picks free ports
    let (mut two, rx2) = support::start_demo(&dir.join("two"));
    support::wait_line(&rx2, "Stop with Ctrl-C");
    let f2: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("two/federation.json")).unwrap())
            .unwrap();
    assert_ne!(
        f2["organisations"][0]["http"],
        f["organisations"][0]["http"]
    );

    // Ctrl-C stops every node cleanly
    for child in [&mut one, &mut two] {
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    support::wait_line(&rx1, "demo stopped");
    assert!(one.wait().unwrap().success());
    assert!(two.wait().unwrap().success());
}
