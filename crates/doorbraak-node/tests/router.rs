//! The HTTP adapter on its own: requests through the node's router (`tower::ServiceExt::
//! oneshot`, no socket, no other node), on a real store. What a client sees at the edge:
//! authentication, validation with the rule named, idempotency keys, JSON errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use serde_json::{Value, json};
use tower::ServiceExt;

const ANNA: &str = "dev-anna-professional";
const BEHEER: &str = "dev-beheer-admin";

/// The example node's router, on a fresh SQLite file.
async fn app() -> axum::Router {
    doorbraak_node::server::http_router(node_with(&[]).await)
}

async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

#[tokio::test]
async fn a_request_without_a_known_token_is_refused_with_the_rule() {
    let app = app().await;
    let (s, b) = send(&app, "GET", "/api/v1/cases", None, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["rule"], "auth.unauthenticated");
    let (s, _) = send(
        &app,
        "GET",
        "/api/v1/cases",
        Some("not-a-token"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = send(&app, "GET", "/api/v1/cases", Some(ANNA), None, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn bodies_and_parameters_are_validated_with_the_rule_named() {
    let app = app().await;
    // an unknown field
    let (s, b) = send(
        &app,
        "POST",
        "/api/v1/cases",
        Some(ANNA),
        None,
        Some(json!({ "case_ref": "LT-R1", "title": "Gezin", "bsn": "x" })),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["rule"].as_str().unwrap().starts_with("input."), "{b}");
    // a list limit out of range
    let (s, b) = send(
        &app,
        "GET",
        "/api/v1/kwesties?limit=0",
        Some(ANNA),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("input.invalid_field")
        )
    );
    // the functional administrator reads no case content
    let (s, b) = send(&app, "GET", "/api/v1/cases", Some(BEHEER), None, None).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.role_not_allowed"))
    );
    // an unknown route answers JSON with its rule
    let (s, b) = send(&app, "GET", "/api/v1/nothing-here", Some(ANNA), None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert!(b["rule"].is_string(), "{b}");
}

#[tokio::test]
async fn an_idempotency_key_is_checked_and_keeps_the_first_answer() {
    let app = app().await;
    let case = json!({ "case_ref": "LT-R2", "title": "Gezin" });
    let first = send(
        &app,
        "POST",
        "/api/v1/cases",
        Some(ANNA),
        Some("k-1"),
        Some(case.clone()),
    )
    .await;
    let again = send(
        &app,
        "POST",
        "/api/v1/cases",
        Some(ANNA),
        Some("k-1"),
        Some(case.clone()),
    )
    .await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(first, again, "the first answer, not 'already exists'");
    let other = send(
        &app,
        "POST",
        "/api/v1/cases",
        Some(ANNA),
        Some("k-2"),
        Some(case),
    )
    .await;
    assert_eq!(other.0, StatusCode::CONFLICT, "{}", other.1);
    assert_eq!(other.1["rule"], "state.already_exists");
    let bad = send(
        &app,
        "POST",
        "/api/v1/cases",
        Some(ANNA),
        Some("met spatie"),
        Some(json!({ "case_ref": "LT-R3", "title": "Gezin" })),
    )
    .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.1["rule"], "input.invalid_field");
}

#[tokio::test]
async fn an_unknown_address_is_a_page_and_an_unknown_api_address_is_json() {
    let app = app().await;
    let (s, page) = send(&app, "GET", "/bestaat-niet", None, None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let html = page.as_str().unwrap_or_default();
    assert!(
        html.contains("<html lang=\"nl\"") && html.contains("Deze pagina bestaat niet"),
        "{html}"
    );
    let (s, b) = send(
        &app,
        "GET",
        "/api/v1/bestaat-niet",
        Some("dev-eva-teammanager"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (StatusCode::NOT_FOUND, Some("http.not_found"))
    );
}

/// The example node itself (not its router), with extra `DOORBRAAK__*` variables.
async fn node_with(vars: &[(&str, &str)]) -> doorbraak_node::server::Server {
    let dir = std::env::temp_dir().join(format!("doorbraak-router-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(
        root.join("deploy/examples/directory.json"),
        dir.join("directory.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string(root.join("deploy/examples/node.toml")).unwrap();
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let settings =
        doorbraak_node::NodeConfig::from_toml(&text, &dir.join("node.toml"), &dir, vars).unwrap();
    doorbraak_node::server::open(settings).await.unwrap()
}

fn person(id: &str, role: doorbraak_model::Role) -> doorbraak_node::User {
    doorbraak_node::User {
        id: id.into(),
        name: id.into(),
        role,
    }
}

#[tokio::test]
async fn the_development_clock_moves_only_where_the_config_allows_it_and_only_for_the_administrator()
 {
    use doorbraak_app::ops::admin::set_clock;
    use doorbraak_model::Role;
    // the example config fixes the clock: refused with its rule, the clock unchanged
    let fixed = node_with(&[]).await;
    let before = fixed.now();
    let refused = set_clock(&fixed, &person("beheer", Role::Admin), 30)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, doorbraak_node::NodeError::Rule(v) if v.rule() == "dev.clock_fixed"),
        "{refused:?}"
    );
    assert!(fixed.now().duration_since(before).as_hours() < 1);
    // a demo node lets its administrator move it ahead, and nobody else
    let demo = node_with(&[("DOORBRAAK__DEV__CLOCK_ADJUSTABLE", "true")]).await;
    let refused = set_clock(&demo, &person("anna", Role::Professional), 30)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, doorbraak_node::NodeError::Rule(v) if v.rule() == "access.role_not_allowed"),
        "{refused:?}"
    );
    let out_of_range = set_clock(&demo, &person("beheer", Role::Admin), -1)
        .await
        .unwrap_err();
    assert!(
        matches!(&out_of_range, doorbraak_node::NodeError::Rule(v) if v.rule() == "input.invalid_field"),
        "{out_of_range:?}"
    );
    let before = demo.now();
    set_clock(&demo, &person("beheer", Role::Admin), 30)
        .await
        .unwrap();
    let ahead = demo.now().duration_since(before).as_hours();
    assert!(
        (24 * 30 - 1..=24 * 30 + 1).contains(&ahead),
        "{ahead} hours"
    );
    assert_eq!(demo.clock_offset_days(), 30);
}

#[tokio::test]
async fn minutes_remind_who_has_not_approved_one_working_day_before_the_deadline_and_once() {
    use doorbraak_app::ops;
    use doorbraak_model::escalation::Participant;
    use doorbraak_model::{MinutesCommand, PersonId, Role, Situation, Step};
    let node = node_with(&[("DOORBRAAK__DEV__CLOCK_ADJUSTABLE", "true")]).await;
    let (anna, eva) = (
        person("anna", Role::Professional),
        person("eva", Role::TeamManager),
    );
    ops::cases::create(&node, &anna, "LT-2026-0500", "Gezin R.", None)
        .await
        .unwrap();
    let esc = ops::escalations::open(
        &node,
        &anna,
        ops::escalations::OpenEscalationRequest {
            case_ref: "LT-2026-0500".into(),
            situation: Situation::AgreementsNotKept,
            first_step: Step::Management,
            counterparts: vec!["00000001000000000020".into()],
            participants: vec![],
            question: "Start de hulp.".into(),
            needs: "Hulp.".into(),
            seeking_youth_help_access: false,
        },
        None,
    )
    .await
    .unwrap();
    let part = |id: &str, role, org: &str| Participant {
        person: PersonId::new(id.to_owned()),
        name: id.to_owned(),
        role,
        org: doorbraak_model::Oin::parse(org).unwrap(),
    };
    let met = ops::minutes::schedule(
        &node,
        &eva,
        ops::minutes::ScheduleMeetingRequest {
            escalation: esc.id.clone(),
            step: Step::Management,
            date: node.now().to_string(),
            participants: vec![
                part("eva", Role::TeamManager, "00000001000000000010"),
                part("anna", Role::Professional, "00000001000000000010"),
                part("vera", Role::TeamManager, "00000001000000000020"),
            ],
            agenda: "Startdatum".into(),
        },
        None,
    )
    .await
    .unwrap();
    for (cmd, name) in [
        (
            MinutesCommand::Draft {
                content: "Verslag".into(),
            },
            "draft",
        ),
        (
            MinutesCommand::Circulate {
                target: doorbraak_model::DocTarget::Main,
            },
            "circulate",
        ),
    ] {
        ops::minutes::command(&node, &eva, &met.id, cmd, name, None)
            .await
            .unwrap();
    }
    // told in the transaction of the event: anna is asked to approve (eva sent it herself)
    let reasons = |who: &'static str| {
        let (node, id) = (node.clone(), met.id.clone());
        async move {
            node.store()
                .inbox(who, 50, 0)
                .await
                .unwrap()
                .0
                .into_iter()
                .filter(|r| r.stream_id == id)
                .map(|r| r.reason)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(reasons("anna").await, ["approval_wanted", "changed"]);
    assert!(!reasons("eva").await.contains(&"approval_wanted".to_owned()));
    // not yet: the deadline is days away
    node.remind().await.unwrap();
    assert!(
        !reasons("anna")
            .await
            .contains(&"approval_reminder".to_owned())
    );
    // the clock moves to the working day before the deadline: one reminder each, however often
    let deadline = met_deadline(&node, &met.id).await;
    // whole days ahead, to just before the deadline
    let days = (deadline.as_millisecond() - node.now().as_millisecond() - 60_000) / 86_400_000;
    ops::admin::set_clock(&node, &person("beheer", Role::Admin), days)
        .await
        .unwrap();
    node.remind().await.unwrap();
    node.remind().await.unwrap();
    let anna_told = reasons("anna").await;
    assert_eq!(
        anna_told
            .iter()
            .filter(|r| *r == "approval_reminder")
            .count(),
        1,
        "{anna_told:?}"
    );
    assert!(
        reasons("eva")
            .await
            .contains(&"approval_reminder".to_owned())
    );
    assert!(
        reasons("vera").await.is_empty(),
        "Veilig Thuis reminds its own people on its own node"
    );
}

async fn met_deadline(node: &doorbraak_node::Node, id: &str) -> doorbraak_model::Timestamp {
    node.minutes(id)
        .await
        .unwrap()
        .unwrap()
        .doc(doorbraak_model::DocTarget::Main)
        .and_then(|d| d.approval_deadline)
        .unwrap()
}

/// What the figures of `e` are, counted from the escalation itself (as the node did before it
/// kept counters), the events of `days` only.
fn count_by_hand(
    f: &mut doorbraak_model::oversight::NodeFigures,
    e: &doorbraak_model::Escalation,
    days: doorbraak_model::figures::Days,
    now: doorbraak_model::Timestamp,
) {
    use doorbraak_model::EscalationStatus;
    use doorbraak_model::figures::{days_between, dutch_day, iso_week};
    let inside = |t| {
        let d = dutch_day(t);
        days.from.is_none_or(|f| d >= f) && days.to.is_none_or(|t| d < t)
    };
    let month = |t| {
        let d = dutch_day(t);
        format!("{:04}-{:02}", d.year(), d.month())
    };
    if inside(e.opened_at) {
        *f.opened_per_month.entry(month(e.opened_at)).or_default() += 1;
        *f.opened_per_week
            .entry(iso_week(dutch_day(e.opened_at)))
            .or_default() += 1;
    }
    for s in &e.steps {
        if let Some((_, at)) = &s.outcome
            && inside(*at)
        {
            f.lead_time_days
                .entry(s.step.number().to_string())
                .or_default()
                .add(days_between(s.invoked_at, *at), 1);
        }
        if let Some((_, at)) = &s.picked_up
            && inside(*at)
        {
            f.pickup_days.add(days_between(s.invoked_at, *at), 1);
        }
    }
    match &e.status {
        EscalationStatus::Closed { at, classification } => {
            if inside(*at) {
                *f.closed_per_month.entry(month(*at)).or_default() += 1;
                *f.closed_per_week
                    .entry(iso_week(dutch_day(*at)))
                    .or_default() += 1;
                *f.bottlenecks
                    .entry(classification.bottleneck.code().into())
                    .or_default() += 1;
                f.close_days.add(days_between(e.opened_at, *at), 1);
            }
        }
        EscalationStatus::Open => {
            let cur = e.current().unwrap();
            *f.open_by_step_situation
                .entry(format!("{}/{}", cur.step.number(), e.situation.number()))
                .or_default() += 1;
            for c in &e.counterparts {
                *f.open_by_pair
                    .entry(format!("{} -> {}", e.home.oin, c.oin))
                    .or_default() += 1;
            }
            let age = dutch_day(now)
                .since(dutch_day(cur.invoked_at))
                .unwrap()
                .get_days();
            f.age_in_step_days.add(i64::from(age), 1);
            if cur.is_overdue(now) || cur.overdue_since.is_some() && cur.picked_up.is_none() {
                f.overdue_steps += 1;
            }
        }
    }
}

/// A node with 100,000 escalations over almost five years, open and closed: its figures are
/// exact at any number (the same as a count in SQL, and as counting the escalations one by
/// one), for the whole history and for a period; the list API pages through all of them. (How
/// fast: `bench-oversight --figures`, in docs/PERFORMANCE.md.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_of_100000_escalations_are_exact_and_the_list_api_pages_through_them() {
    use doorbraak_model::figures::Days;
    use doorbraak_model::oversight::{NodeFigures, Period};
    use doorbraak_model::{StreamKind, Streamed};
    const N: u64 = 100_000;
    let node = node_with(&[]).await;
    let now = node.now();
    let lt = node.oin().clone();
    let vt = doorbraak_model::Oin::parse("00000001000000000020").unwrap();
    let period = Days {
        from: Some("2023-03-15".parse().unwrap()),
        to: Some("2025-02-10".parse().unwrap()),
    };
    let mut by_hand = NodeFigures {
        org: lt.to_string(),
        ..NodeFigures::default()
    };
    let mut by_hand_in_period = by_hand.clone();
    let ids: Vec<u64> = (0..N).collect();
    for chunk in ids.chunks(5_000) {
        // written through the home's path, as commands write (the counters in the transaction)
        let mut tx = node.store().begin().await.unwrap();
        for &i in chunk {
            let (e, events) = doorbraak_store::testing::escalation_life(&lt, &vt, i).unwrap();
            count_by_hand(&mut by_hand, &e, Days::default(), now);
            count_by_hand(&mut by_hand_in_period, &e, period, now);
            tx.append(&e.stream_id(), 0, &events, &e, events[events.len() - 1].at)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let f = doorbraak_app::ops::oversight::figures(&node, now, Period::ALL)
        .await
        .unwrap();
    assert_eq!(f, by_hand);
    // a count in SQL
    let count = |status: doorbraak_model::Status| {
        let node = node.clone();
        async move {
            let filter = doorbraak_store::ListFilter {
                status: Some(status),
                ..doorbraak_store::ListFilter::default()
            };
            u64::try_from(
                node.store()
                    .list_count(StreamKind::Escalation, &filter)
                    .await
                    .unwrap(),
            )
            .unwrap()
        }
    };
    let (open, closed) = (
        count(doorbraak_model::Status::Open).await,
        count(doorbraak_model::Status::Closed).await,
    );
    assert_eq!((open, closed), (N / 10 * 4, N / 10 * 6));
    assert_eq!(f.open_by_step_situation.values().sum::<u64>(), open);
    assert_eq!(f.age_in_step_days.count(), open);
    assert_eq!(f.closed_per_month.values().sum::<u64>(), closed);
    assert_eq!(f.close_days.count(), closed);
    assert_eq!(f.opened_per_month.values().sum::<u64>(), N);
    assert_eq!(f.opened_per_month.len(), 56, "January 2022 to August 2026");
    // a period of whole Dutch days
    let p = doorbraak_app::ops::oversight::figures(
        &node,
        now,
        Period {
            from: doorbraak_model::figures::dutch_day_start(period.from.unwrap()),
            to: doorbraak_model::figures::dutch_day_start(period.to.unwrap()),
        },
    )
    .await
    .unwrap();
    assert_eq!(p, by_hand_in_period);
    assert!(p.opened_per_month.values().sum::<u64>() < N / 2);
    // the team manager's overview holds every open one (it used to stop at 500 rows)
    let eva = person("eva", doorbraak_model::Role::TeamManager);
    let team = doorbraak_app::ops::team::overview(&node, &eva)
        .await
        .unwrap();
    assert_eq!(u64::try_from(team.escalations.len()).unwrap(), open);
    assert!(
        team.escalations
            .iter()
            .all(|e| e.status == doorbraak_model::Status::Open)
    );
    // what crosses the wire does not grow with the number of escalations
    let wire = doorbraak_model::canonical::to_string(&f).unwrap();
    assert!(wire.len() < 64 * 1024, "{} bytes", wire.len());

    // the list API: every escalation once, a page at a time
    let app = doorbraak_node::server::http_router(node.clone());
    let mut path = "/api/v1/escalations?limit=500".to_owned();
    let mut seen = std::collections::HashSet::new();
    loop {
        let req = Request::builder()
            .uri(&path)
            .header("authorization", format!("Bearer {ANNA}"))
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let next = resp
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), 4 << 20)
            .await
            .unwrap();
        let rows: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
        assert!(rows.len() <= 500);
        for r in &rows {
            assert!(
                seen.insert(r["id"].as_str().unwrap().to_owned()),
                "twice: {r}"
            );
        }
        let Some(link) = next else { break };
        path = link[1..link.find('>').unwrap()].to_owned();
    }
    assert_eq!(seen.len(), usize::try_from(N).unwrap());
}

/// The team meeting's agenda and the team overview hold every open kwestie, past the 500 rows
/// they used to stop at; a resolved one or one not routed to the meeting is not on the agenda.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_agenda_holds_every_open_kwestie_past_any_page() {
    use doorbraak_model::Role;
    let node = node_with(&[]).await;
    let anna = person("anna", Role::Professional);
    let eva = person("eva", Role::TeamManager);
    let raise = |on_agenda: bool| -> doorbraak_app::ops::kwesties::RaiseKwestieRequest {
        serde_json::from_value(json!({
            "obstacle": "Te weinig gezinsmanagers voor de instroom",
            "categories": ["too_few_family_managers"],
            "preparation": { "own_reach_done": true, "discussed_with": ["team"], "knows_what_and_whom": true },
            "route": { "to_team_manager": true, "on_team_agenda": on_agenda },
        }))
        .unwrap()
    };
    let n = 1_100;
    for k in 0..n {
        doorbraak_app::ops::kwesties::raise(&node, &anna, raise(k % 11 != 0), None)
            .await
            .unwrap();
    }
    let agenda = doorbraak_app::ops::team::agenda(&node, &eva).await.unwrap();
    assert_eq!(
        agenda.items.len(),
        n - n / 11,
        "the ones routed to the meeting"
    );
    let overview = doorbraak_app::ops::team::overview(&node, &eva)
        .await
        .unwrap();
    assert_eq!(overview.kwesties.len(), n);
    // the overview is the manager's: a professional is refused, naming the rule
    let refused = doorbraak_app::ops::team::overview(&node, &anna).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("access.role_not_allowed")),
        "a professional reads no team overview"
    );
}
