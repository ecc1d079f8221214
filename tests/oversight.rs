//! The alderman's stagnation view over a federation of real nodes: every figure equals the
//! ground truth of the seed, nothing is counted twice, small counts are suppressed (also
//! secondarily), an organisation without the oversight role is refused, and a stopped node
//! yields a partial result that names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use doorbraak_model::OrgKind;
use doorbraak_proto::v1;
use serde_json::{Value, json};
use support::fed::{Fed, tok};
use support::{GEM, GI, LT, VT, case};

const ORGS: [(&str, &str, OrgKind); 4] = [
    (GEM, "Gemeente Utrecht", OrgKind::Municipality),
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (GI, "GI", OrgKind::CertifiedInstitution),
];

async fn open(
    fed: &Fed,
    i: usize,
    case_ref: &str,
    to: &str,
    situation: &str,
    step: &str,
    n: usize,
) {
    for _ in 0..n {
        let (s, b) = fed
            .node(i)
            .post(
                "/api/v1/escalations",
                &tok(i, "p"),
                json!({
            "case_ref": case_ref, "situation": situation, "first_step": step, "counterparts": [to],
            "question": "Wachtlijst", "needs": "Start hulp", "seeking_youth_help_access": false }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
}

fn month_now() -> String {
    let d = doorbraak_model::calendar::dutch_date(jiff::Timestamp::now());
    format!("{:04}-{:02}", d.year(), d.month())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stagnation_view_is_aggregated_suppressed_and_partial_when_a_node_is_down() {
    let mut fed = Fed::create("oversight", &ORGS, &[], &[]);
    fed.start_all(4);
    for (i, c) in [(1, "LT-O"), (2, "VT-O"), (3, "GI-O")] {
        assert_eq!(
            fed.node(i)
                .post("/api/v1/cases", &tok(i, "p"), case(c))
                .await
                .0,
            201
        );
    }
    open(&fed, 1, "LT-O", VT, "agreements_not_kept", "management", 6).await;
    open(&fed, 2, "VT-O", GI, "conduct", "management", 5).await;
    open(
        &fed,
        3,
        "GI-O",
        LT,
        "professional_dilemma",
        "behavioural_scientists",
        1,
    )
    .await;
    let (s, b) = fed
        .node(2)
        .post("/api/v1/kwesties", &tok(2, "p"), support::raise_kwestie())
        .await;
    assert_eq!(s, 201, "{b}");
    // let the replicas arrive, so that double counting would show
    fed.wait_for(2, "tm", "/api/v1/escalations", |_, b| {
        b.as_array().unwrap().len() == 11
    })
    .await;

    let (s, b) = fed
        .node(0)
        .get("/api/v1/oversight/stagnation", &tok(0, "p"))
        .await;
    assert_eq!(
        (s, b["rule"].as_str().unwrap()),
        (403, "access.role_not_allowed")
    );
    let (s, v) = fed
        .node(0)
        .get("/api/v1/oversight/stagnation", &tok(0, "cs"))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["partial"], false, "{v}");
    assert_eq!(v["contributing"].as_array().unwrap().len(), 4);
    let first = v.clone();
    assert_eq!(
        v["open_by_step_situation"],
        json!({ "2/2": 6, "2/3": "suppressed", "1/1": "<5" }),
        "home-only counts, primary and secondary suppression"
    );
    assert_eq!(
        v["open_by_pair"],
        json!({ format!("{LT} -> {VT}"): 6, format!("{VT} -> {GI}"): "suppressed", format!("{GI} -> {LT}"): "<5" })
    );
    assert_eq!(v["opened_per_month"], json!({ month_now(): 12 }));
    // throughput per week, with its lead times
    let weekly: u64 = v["opened_per_week"]
        .as_object()
        .unwrap_or_else(|| panic!("{v}"))
        .values()
        .map(|n| n.as_u64().unwrap_or(0))
        .sum();
    assert_eq!(weekly, 12, "{v}");
    assert_eq!(
        v["time_to_close_days"], "insufficient data",
        "nothing closed"
    );
    // a period: what happened in it counts, what is open now stays as it stands
    let today = doorbraak_app::time::date(jiff::Timestamp::now()); // a Dutch day, as the API reads it
    let later = today.checked_add(jiff::Span::new().days(3)).unwrap();
    let (status, p) = fed
        .node(0)
        .get(
            &format!("/api/v1/oversight/stagnation?from={later}"),
            &tok(0, "w"),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        p["opened_per_month"], "insufficient contributors",
        "nothing was opened after today: {p}"
    );
    assert_eq!(p["open_by_step_situation"], v["open_by_step_situation"]);
    let (status, p) = fed
        .node(0)
        .get(
            &format!("/api/v1/oversight/stagnation?from={today}&to={today}"),
            &tok(0, "w"),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        p["opened_per_month"],
        json!({ month_now(): 12 }),
        "one day, today: {p}"
    );
    // a period that ends before it starts, or is no date, is refused naming its field
    let (status, p) = fed
        .node(0)
        .get(
            "/api/v1/oversight/stagnation?from=2026-06-01&to=2026-05-01",
            &tok(0, "w"),
        )
        .await;
    assert_eq!(
        (status, p["rule"].as_str()),
        (422, Some("input.invalid_field")),
        "{p}"
    );
    assert!(
        p["message_nl"]
            .as_str()
            .unwrap_or_default()
            .contains("tot en met"),
        "{p}"
    );
    let (status, p) = fed
        .node(0)
        .get("/api/v1/oversight/stagnation?from=gisteren", &tok(0, "w"))
        .await;
    assert_eq!(status, 422, "{p}");
    // and over the wire, a malformed period is INVALID_ARGUMENT
    let s = fed
        .client_as(GEM, 1)
        .aggregates(v1::AggregatesRequest {
            from: "gisteren".into(),
            to: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument, "{}", s.message());
    assert_eq!(v["overdue_steps"], 0);
    assert_eq!(
        v["age_in_step_days"],
        json!({ "median": 0, "p90": 0 }),
        "no count next to the quantiles (it would give away sums of suppressed cells)"
    );
    assert_eq!(
        v["kwestie_categories"], "insufficient contributors",
        "one organisation is not enough"
    );
    let text = v.to_string();
    assert!(
        !text.contains("Wachtlijst") && !text.contains("LT-O"),
        "no case content crosses"
    );

    // only an organisation with the oversight role for the region may ask
    let s = fed
        .client_as(VT, 1)
        .aggregates(v1::AggregatesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    assert!(
        s.message().contains("oversight.not_allowed"),
        "{}",
        s.message()
    );
    let figures = fed
        .client_as(GEM, 1)
        .aggregates(v1::AggregatesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let f: Value = serde_json::from_slice(&figures.figures).unwrap();
    assert_eq!(
        f["open_by_step_situation"],
        json!({ "2/2": 6 }),
        "raw per-node figures, home only"
    );

    // a stopped node: it is counted with its last good answer, marked with its age, and the
    // view says so; the next view does not wait for it (its backoff)
    fed.stop(3);
    let (_, v) = fed
        .node(0)
        .get("/api/v1/oversight/stagnation", &tok(0, "w"))
        .await;
    assert_eq!(v["partial"], true);
    assert_eq!(v["missing"], json!([]), "{v}");
    let stale = v["stale"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{v}");
    assert_eq!(stale[0]["oin"], GI);
    assert!(stale[0]["age_seconds"].as_i64().unwrap() >= 0);
    assert!(
        !stale[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not asked"),
        "asked the first time: {v}"
    );
    assert_eq!(
        v["open_by_step_situation"], first["open_by_step_situation"],
        "the same figures, GI's from its last answer"
    );
    let (_, again) = fed
        .node(0)
        .get("/api/v1/oversight/stagnation", &tok(0, "w"))
        .await;
    assert!(
        again["stale"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not asked"),
        "a member that just failed is not waited for again: {again}"
    );
    // a period never asked while GI answered: no answer of it at all, so GI is missing
    let next_week = today.checked_add(jiff::Span::new().days(7)).unwrap();
    let (_, p) = fed
        .node(0)
        .get(
            &format!("/api/v1/oversight/stagnation?from={next_week}"),
            &tok(0, "w"),
        )
        .await;
    let missing = p["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{p}");
    assert_eq!(missing[0]["oin"], GI);
    assert_eq!(p["stale"], json!([]));

    // the same view through the client command
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["oversight", "--json", "stagnation"])
        .env("DOORBRAAK_URL", &fed.node(0).base)
        .env("DOORBRAAK_TOKEN", tok(0, "w"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["stale"][0]["oin"], GI);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["oversight", "stagnation"])
        .env("DOORBRAAK_URL", &fed.node(0).base)
        .env("DOORBRAAK_TOKEN", tok(0, "p"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("access.role_not_allowed"));

    // the municipality keeps daily snapshots for the trend
    let (_, trend) = fed
        .node(0)
        .get("/api/v1/oversight/trend", &tok(0, "w"))
        .await;
    assert_eq!(trend.as_array().unwrap().len(), 1, "one day, one snapshot");
    assert_eq!(
        trend[0]["view"]["partial"], false,
        "a partial view is not kept as the day's snapshot"
    );
}
