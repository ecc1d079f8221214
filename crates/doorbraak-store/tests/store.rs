//! The store's behaviour, run on SQLite and (when configured) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::*;
use doorbraak_store::*;

const LT: &str = "00000001000000000010";
const VT: &str = "00000001000000000020";

fn day(d: i64) -> Timestamp {
    let t0: Timestamp = "2026-11-02T09:00:00Z".parse().unwrap();
    t0.checked_add(jiff::SignedDuration::from_hours(24 * d))
        .unwrap()
}

fn prof() -> Actor {
    Actor::person("anna", Role::Professional, Oin::parse(LT).unwrap())
}

fn open(id: u128) -> C {
    C::Open {
        id: EscalationId(stream_uuid(
            &Oin::parse(LT).unwrap(),
            uuid::Uuid::from_u128(id << 64),
        )),
        home: OrgRef {
            oin: Oin::parse(LT).unwrap(),
            kind: OrgKind::LocalTeam,
        },
        counterparts: vec![OrgRef {
            oin: Oin::parse(VT).unwrap(),
            kind: OrgKind::VeiligThuis,
        }],
        case_ref: CaseRef::parse("LT-1").unwrap(),
        situation: Situation::AgreementsNotKept,
        first_step: Step::Management,
        participants: vec![],
        question: "Start het onderzoek".into(),
        needs: "Veiligheid".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    }
}

/// Run `f` against a fresh SQLite store and, if configured, a fresh PostgreSQL store.
async fn on_both<F, Fut>(f: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempdir();
    let sqlite = Store::connect(&testing::fresh_sqlite(&dir), 4)
        .await
        .unwrap();
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    f(sqlite).await;
    if let Some(url) = testing::fresh_postgres().await {
        let pg = Store::connect(&url, 4).await.unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        f(pg).await;
    }
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("doorbraak-store-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn open_escalation(store: &Store, id: u128, now: Timestamp) -> Escalation {
    let (state, events) = Escalation::execute(None, &open(id), &prof(), now).unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append(&state.stream_id(), 0, &events, &state, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    state
}

#[tokio::test]
async fn events_and_projection_round_trip() {
    on_both(|store| async move {
        let state = open_escalation(&store, 1, day(0)).await;
        let id = state.stream_id();
        let loaded = store.load::<Escalation>(&id).await.unwrap().unwrap();
        assert_eq!(loaded.version, 2, "opened + step invoked");
        assert_eq!(loaded.state, state);
        let events = store.events::<Escalation>(&id, 0).await.unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(
            replay::<Escalation>(events.iter().map(|e| &e.event)).unwrap(),
            Some(state)
        );
        assert_eq!(
            store.events::<Escalation>(&id, 1).await.unwrap().len(),
            1,
            "events after a seq"
        );
        let rows = store
            .list(
                doorbraak_model::StreamKind::Escalation,
                &ListFilter::default(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].step, Some(2));
        assert_eq!(rows[0].situation, Some(2));
        assert_eq!(rows[0].next_deadline, Some(day(14)));
    })
    .await;
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_writes_nothing() {
    on_both(|store| async move {
        let state = open_escalation(&store, 2, day(0)).await;
        let id = state.stream_id();
        let vt = Actor::person("bram", Role::Director, Oin::parse(VT).unwrap());
        let (next, events) =
            Escalation::execute(Some(&state), &C::PickUp { name: None }, &vt, day(1)).unwrap();
        let mut tx = store.begin().await.unwrap();
        let err = tx.append(&id, 1, &events, &next, day(1)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { .. } | StoreError::Database(_)),
            "{err}"
        );
        drop(tx);
        assert_eq!(
            store
                .load::<Escalation>(&id)
                .await
                .unwrap()
                .unwrap()
                .version,
            2
        );
        assert_eq!(store.count(Table::Events).await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn an_uncommitted_transaction_leaves_no_trace() {
    on_both(|store| async move {
        let now = day(0);
        let (state, events) = Escalation::execute(None, &open(3), &prof(), now).unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append(&state.stream_id(), 0, &events, &state, now)
            .await
            .unwrap();
        tx.enqueue(&NewOutbox {
            message_id: uuid::Uuid::now_v7(),
            destination: VT.into(),
            kind: "events".into(),
            stream_kind: Some("escalation".into()),
            stream_id: Some(state.stream_id()),
            payload: "{}".into(),
            created_at: now,
        })
        .await
        .unwrap();
        drop(tx); // e.g. the access-log write failed
        for t in [
            Table::Events,
            Table::Projections,
            Table::Outbox,
            Table::AccessLog,
        ] {
            assert_eq!(store.count(t).await.unwrap(), 0, "{t:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn overdue_first_and_due_deadlines_for_the_sweeper() {
    on_both(|store| async move {
        let early = open_escalation(&store, 10, day(0)).await;
        let late = open_escalation(&store, 11, day(5)).await;
        assert!(store.due(LT, day(10), 100).await.unwrap().is_empty());
        // the auditor's check: a passed deadline without its overdue event is a lost timer
        let grace = std::time::Duration::from_secs(60);
        assert_eq!(store.missed_deadlines(LT, day(14), grace).await.unwrap(), 0);
        assert_eq!(store.missed_deadlines(LT, day(15), grace).await.unwrap(), 1);
        assert_eq!(
            store.missed_deadlines(VT, day(15), grace).await.unwrap(),
            0,
            "only own streams"
        );
        let due = store.due(LT, day(15), 100).await.unwrap();
        assert_eq!(due, vec![("escalation".to_string(), early.stream_id())]);
        // mark the later one overdue: it sorts first
        let sys = Actor::system(Oin::parse(LT).unwrap());
        let (next, events) =
            Escalation::execute(Some(&late), &C::MarkOverdue, &sys, day(20)).unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append(&late.stream_id(), 2, &events, &next, day(20))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rows = store
            .list(
                doorbraak_model::StreamKind::Escalation,
                &ListFilter::default(),
            )
            .await
            .unwrap();
        assert_eq!(rows[0].id, late.stream_id());
        assert!(rows[0].overdue);
        assert_eq!(rows[0].next_deadline, None, "marked: no longer due");
        let only = store
            .list(
                doorbraak_model::StreamKind::Escalation,
                &ListFilter {
                    overdue_only: true,
                    ..ListFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(only.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_access_log_is_read_by_period_and_page_newest_first() {
    on_both(|store| async move {
        for d in 1..=5 {
            store
                .log_access(&AccessEntry {
                    event_id: uuid::Uuid::now_v7(),
                    action: AccessAction::R,
                    at: day(d),
                    user_id: "anna".into(),
                    user_role: "professional".into(),
                    on_behalf_of: None,
                    org_oin: LT.into(),
                    object_type: "escalation".into(),
                    object_id: format!("e{d}"),
                    purpose: "escalation_handling".into(),
                    outcome: "success".into(),
                    source_node: LT.into(),
                    trace_id: None,
                    trail: Default::default(),
                })
                .await
                .unwrap();
        }
        let ids = |v: Vec<AccessEntry>| v.into_iter().map(|e| e.object_id).collect::<Vec<_>>();
        let period = doorbraak_store::AccessLogFilter {
            from: Some(day(2)),
            until: Some(day(5)),
            limit: 2,
            ..Default::default()
        };
        assert_eq!(
            ids(store.access_log_page(&period).await.unwrap()),
            ["e4", "e3"],
            "from inclusive, until exclusive, newest first"
        );
        let next = doorbraak_store::AccessLogFilter {
            offset: 2,
            ..period
        };
        assert_eq!(ids(store.access_log_page(&next).await.unwrap()), ["e2"]);
    })
    .await;
}

#[tokio::test]
async fn access_log_and_cases() {
    on_both(|store| async move {
        let entry = AccessEntry {
            event_id: uuid::Uuid::now_v7(),
            action: AccessAction::R,
            at: day(1),
            user_id: "anna".into(),
            user_role: "professional".into(),
            on_behalf_of: None,
            org_oin: LT.into(),
            object_type: "escalation".into(),
            object_id: "x".into(),
            purpose: "escalation_handling".into(),
            outcome: "success".into(),
            source_node: LT.into(),
            trace_id: None,
            trail: Default::default(),
        };
        store.log_access(&entry).await.unwrap();
        assert_eq!(
            store.access_log(Some("x"), None, 10).await.unwrap(),
            vec![entry.clone()]
        );
        assert!(
            store
                .access_log(Some("y"), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .access_log(None, Some(&entry.user_id), 10)
                .await
                .unwrap(),
            vec![entry.clone()]
        );
        assert!(
            store
                .access_log(Some("x"), Some("someone-else"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let case = CaseRow {
            case_ref: "LT-9".into(),
            title: "Gezin A".into(),
            responsible: "anna".into(),
            created_by: "anna".into(),
            created_at: day(0),
        };
        let mut tx = store.begin().await.unwrap();
        assert!(tx.insert_case(&case).await.unwrap());
        assert!(
            !tx.insert_case(&case).await.unwrap(),
            "a case reference is unique"
        );
        tx.commit().await.unwrap();
        assert_eq!(store.case("LT-9").await.unwrap(), Some(case));
    })
    .await;
}

#[tokio::test]
async fn reconnecting_keeps_data_and_does_not_remigrate() {
    let dir = tempdir();
    let url = testing::fresh_sqlite(&dir);
    let store = Store::connect(&url, 2).await.unwrap();
    open_escalation(&store, 20, day(0)).await;
    store.close().await;
    let again = Store::connect(&url, 2).await.unwrap();
    assert_eq!(again.count(Table::Events).await.unwrap(), 2);
    assert!(matches!(
        Store::connect("mysql://x", 1).await.unwrap_err(),
        StoreError::UnsupportedUrl(_)
    ));
    assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
}

/// The replica of an escalation whose home is LT, as VT's node stores it after a delivery.
async fn replica_at_vt(
    store: &Store,
    id: u128,
    now: Timestamp,
) -> (Escalation, Vec<StoredEvent<EscalationEvent>>) {
    let (state, events) = Escalation::execute(None, &open(id), &prof(), now).unwrap();
    let stored: Vec<StoredEvent<EscalationEvent>> = events
        .into_iter()
        .zip(1..)
        .map(|(event, seq)| StoredEvent {
            seq,
            event_id: uuid::Uuid::now_v7(),
            event,
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    tx.write_batch(
        &[BatchItem {
            id: &state.stream_id(),
            version: 2,
            events: stored.iter().collect(),
            state: &state,
        }],
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (state, stored)
}

#[tokio::test]
async fn one_writer_the_store_refuses_to_append_to_another_homes_stream() {
    on_both(|store| async move {
        let store = store.owned_by(VT);
        let (state, _) = replica_at_vt(&store, 40, day(0)).await;
        let id = state.stream_id();
        // forbidden: VT's node appends to LT's stream (the race of issue 11)
        let gerda = Actor::person("gerda", Role::Director, Oin::parse(VT).unwrap());
        let (next, events) =
            Escalation::execute(Some(&state), &C::PickUp { name: None }, &gerda, day(1)).unwrap();
        let mut tx = store.begin().await.unwrap();
        let err = tx.append(&id, 2, &events, &next, day(1)).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::NotHome { home, owner, .. } if home == LT && owner == VT),
            "{err}"
        );
        drop(tx);
        assert_eq!(
            store
                .load::<Escalation>(&id)
                .await
                .unwrap()
                .unwrap()
                .version,
            2
        );
        assert_eq!(store.events::<Escalation>(&id, 0).await.unwrap().len(), 2);
        // forbidden: creating a stream under an id a replica already has
        let mut tx = store.begin().await.unwrap();
        let (fresh, events) = Escalation::execute(None, &open(40), &prof(), day(0)).unwrap();
        let err = tx
            .append(&id, 0, &events, &fresh, day(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotHome { .. }), "{err}");
        drop(tx);
        // allowed: the home's store appends to its own stream
        let lt_store = store.clone().owned_by(LT);
        let mut tx = lt_store.begin().await.unwrap();
        tx.append(&id, 2, &events_of(&state, &gerda), &next, day(1))
            .await
            .unwrap();
        drop(tx); // (not committed: the same database plays both nodes here)
    })
    .await;
}

fn events_of(state: &Escalation, by: &Actor) -> Vec<Event<EscalationEvent>> {
    Escalation::execute(Some(state), &C::PickUp { name: None }, by, day(1))
        .unwrap()
        .1
}

#[tokio::test]
async fn one_writer_a_replica_write_never_touches_a_stream_of_this_node() {
    on_both(|store| async move {
        let store = store.owned_by(LT);
        let state = open_escalation(&store, 41, day(0)).await;
        let events = store
            .events::<Escalation>(&state.stream_id(), 0)
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let err = tx
            .write_batch(
                &[BatchItem {
                    id: &state.stream_id(),
                    version: 2,
                    events: events.iter().collect(),
                    state: &state,
                }],
                day(0),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::OwnStream { .. }), "{err}");
        let err = tx
            .replace_replica(&state.stream_id(), &events, &state, day(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::OwnStream { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn the_audit_tells_own_streams_from_replicas_and_finds_what_was_planted() {
    on_both(|store| async move {
        let lt = store.clone().owned_by(LT);
        // an own stream with its creation logged and its outbox row: clean
        let state = open_escalation(&lt, 42, day(0)).await;
        let mut tx = lt.begin().await.unwrap();
        tx.log_access(&AccessEntry {
            event_id: uuid::Uuid::now_v7(),
            action: AccessAction::C,
            at: day(0),
            user_id: "anna".into(),
            user_role: "professional".into(),
            on_behalf_of: None,
            org_oin: LT.into(),
            object_type: "escalation".into(),
            object_id: state.stream_id(),
            purpose: "escalation_handling".into(),
            outcome: "success".into(),
            source_node: LT.into(),
            trace_id: None,
            trail: Default::default(),
        })
        .await
        .unwrap();
        tx.enqueue(&NewOutbox {
            message_id: uuid::Uuid::now_v7(),
            destination: VT.into(),
            kind: "events".into(),
            stream_kind: Some("escalation".into()),
            stream_id: Some(state.stream_id()),
            payload: "{}".into(),
            created_at: day(0),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(
            lt.audit(LT).await.unwrap().is_clean(),
            "{:?}",
            lt.audit(LT).await
        );
        // planted: an own shared stream without its outbox row, and an unlogged creation
        let bare = open_escalation(&lt, 43, day(0)).await;
        let audit = lt.audit(LT).await.unwrap();
        assert_eq!(audit.shared_streams_without_outbox, 1, "{audit:?}");
        assert_eq!(audit.unlogged_creations, 1, "{audit:?}");
        assert!(!audit.is_clean());
        // the same rows seen from VT's node: they are replicas there, which no federation
        // entry accounts for; own-stream checks do not apply to them
        let vt_view = store.audit(VT).await.unwrap();
        assert_eq!(vt_view.unlogged_creations, 0);
        assert_eq!(vt_view.shared_streams_without_outbox, 0);
        assert_eq!(vt_view.unlogged_replicas, 2);
        let _ = bare;
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_keeps_its_first_answer() {
    on_both(|store| async move {
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.idempotent_answer("user:anna", "k1").await.unwrap(), None);
        assert!(
            tx.remember_answer(
                "user:anna",
                "k1",
                "pick_up:escalation:x",
                "{\"v\":3}",
                day(0)
            )
            .await
            .unwrap()
        );
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.idempotent_answer("user:anna", "k1").await.unwrap(),
            Some(("pick_up:escalation:x".into(), "{\"v\":3}".into()))
        );
        assert_eq!(
            tx.idempotent_answer("user:bram", "k1").await.unwrap(),
            None,
            "keys are per person"
        );
        // a second answer for the same key is not written
        assert!(
            !tx.remember_answer("user:anna", "k1", "other", "{}", day(0))
                .await
                .unwrap()
        );
        drop(tx);
        assert_eq!(
            store.forget_answers(day(0)).await.unwrap(),
            0,
            "kept until its time"
        );
        assert_eq!(store.forget_answers(day(1)).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn lists_filter_sort_and_page_in_the_database() {
    const GI: &str = "00000001000000000030";
    on_both(|store| async move {
        // 30 escalations: every third with the certified institution instead of Veilig Thuis,
        // the odd ones in situation 3, a few about a waiting list of "50%_"
        for i in 0..30u128 {
            let C::Open {
                id,
                home,
                mut counterparts,
                situation,
                first_step,
                participants,
                needs,
                policy,
                ..
            } = open(100 + i)
            else {
                unreachable!()
            };
            if i % 3 == 0 {
                counterparts = vec![OrgRef {
                    oin: Oin::parse(GI).unwrap(),
                    kind: OrgKind::CertifiedInstitution,
                }];
            }
            let cmd = C::Open {
                id,
                home,
                counterparts,
                case_ref: CaseRef::parse(if i < 10 { "LT-7" } else { "LT-8" }).unwrap(),
                situation: if i % 2 == 1 {
                    Situation::Conduct
                } else {
                    situation
                },
                first_step,
                participants,
                question: if i % 10 == 4 {
                    format!("Wachtlijst van 50%_ nummer {i}")
                } else {
                    format!("Start het onderzoek {i}")
                },
                needs,
                seeking_youth_help_access: false,
                policy,
            };
            let at = day(i64::try_from(i).unwrap());
            let (state, events) = Escalation::execute(None, &cmd, &prof(), at).unwrap();
            let mut tx = store.begin().await.unwrap();
            tx.append(
                &state.stream_id(),
                0,
                &events,
                &state,
                day(i64::try_from(i).unwrap()),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let mut tx = store.begin().await.unwrap();
        tx.insert_case(&CaseRow {
            case_ref: "LT-7".into(),
            title: "Gezin B".into(),
            responsible: "carla".into(),
            created_by: "carla".into(),
            created_at: day(0),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let kind = doorbraak_model::StreamKind::Escalation;
        let list = |f: ListFilter| {
            let store = store.clone();
            async move {
                let rows = store.list(kind, &f).await.unwrap();
                let n = store.list_count(kind, &f).await.unwrap();
                (rows, n)
            }
        };
        // pages of 7 in one order cover every row once
        let mut seen = Vec::new();
        for page in 0..5 {
            let (rows, n) = list(ListFilter {
                limit: 7,
                offset: page * 7,
                sort: ListSort::Newest,
                ..ListFilter::default()
            })
            .await;
            assert_eq!(n, 30);
            seen.extend(rows.into_iter().map(|r| r.id));
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (30, 30));
        // filters: situation, the other party, the case's responsible person, a search that
        // takes % and _ literally
        assert_eq!(
            list(ListFilter {
                situation: Some(3),
                ..ListFilter::default()
            })
            .await
            .1,
            15
        );
        assert_eq!(
            list(ListFilter {
                party: Some(GI.into()),
                ..ListFilter::default()
            })
            .await
            .1,
            10
        );
        assert_eq!(
            list(ListFilter {
                party: Some(VT.into()),
                ..ListFilter::default()
            })
            .await
            .1,
            20
        );
        assert_eq!(
            list(ListFilter {
                step: Some(2),
                ..ListFilter::default()
            })
            .await
            .1,
            30
        );
        assert_eq!(
            list(ListFilter {
                step: Some(1),
                ..ListFilter::default()
            })
            .await
            .1,
            0
        );
        assert_eq!(
            list(ListFilter {
                responsible: Some("carla".into()),
                ..ListFilter::default()
            })
            .await
            .1,
            10
        );
        let (found, n) = list(ListFilter {
            search: Some("WACHTLIJST van 50%_".into()),
            ..ListFilter::default()
        })
        .await;
        assert_eq!(n, 3);
        assert!(found.iter().all(|r| r.subject.starts_with("Wachtlijst")));
        assert_eq!(
            list(ListFilter {
                search: Some("50%x".into()),
                ..ListFilter::default()
            })
            .await
            .1,
            0
        );
        assert_eq!(
            list(ListFilter {
                search: Some("lt-8".into()),
                ..ListFilter::default()
            })
            .await
            .1,
            20
        );
        // orders: newest and oldest are each other's reverse
        let (newest, _) = list(ListFilter {
            sort: ListSort::Newest,
            ..ListFilter::default()
        })
        .await;
        let (mut oldest, _) = list(ListFilter {
            sort: ListSort::Oldest,
            ..ListFilter::default()
        })
        .await;
        oldest.reverse();
        assert_eq!(
            newest.iter().map(|r| &r.id).collect::<Vec<_>>(),
            oldest.iter().map(|r| &r.id).collect::<Vec<_>>()
        );
        let (by_case, _) = list(ListFilter {
            sort: ListSort::Case,
            ..ListFilter::default()
        })
        .await;
        assert_eq!(by_case[0].case_ref.as_deref(), Some("LT-7"));
        assert_eq!(by_case[29].case_ref.as_deref(), Some("LT-8"));
    })
    .await;
}

#[tokio::test]
async fn people_are_remembered_at_login_and_found_by_name_in_the_access_log() {
    on_both(|store| async move {
        store
            .person_seen("eva", "Eva Bakker", "team_manager", "dev", None, day(0))
            .await
            .unwrap();
        store
            .person_seen(
                "eva",
                "Eva Bakker-de Wit",
                "director",
                "oidc",
                Some("eva@example.nl"),
                day(3),
            )
            .await
            .unwrap();
        store
            .person_seen("anna", "Anna de Vries", "professional", "dev", None, day(1))
            .await
            .unwrap();
        let people = store.persons().await.unwrap();
        assert_eq!(
            people.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["anna", "eva"],
            "by name"
        );
        let eva = &people[1];
        assert_eq!(
            (eva.name.as_str(), eva.role.as_str(), eva.source.as_str()),
            ("Eva Bakker-de Wit", "director", "oidc"),
            "as last seen"
        );
        assert_eq!((eva.first_seen, eva.last_seen), (day(0), day(3)));
        assert_eq!(eva.email.as_deref(), Some("eva@example.nl"));
        assert_eq!(people[0].email, None);
        for (who, at) in [("eva", 1), ("anna", 2), ("someone", 3)] {
            store
                .log_access(&AccessEntry {
                    event_id: uuid::Uuid::now_v7(),
                    action: AccessAction::R,
                    at: day(at),
                    user_id: who.into(),
                    user_role: "professional".into(),
                    on_behalf_of: None,
                    org_oin: LT.into(),
                    object_type: "escalation".into(),
                    object_id: "x".into(),
                    purpose: "p".into(),
                    outcome: "success".into(),
                    source_node: LT.into(),
                    trace_id: None,
                    trail: Default::default(),
                })
                .await
                .unwrap();
        }
        let by_name = |name: &str| {
            let store = store.clone();
            let name = name.to_owned();
            async move {
                store
                    .access_log_page(&AccessLogFilter {
                        user_name: Some(name),
                        limit: 10,
                        ..AccessLogFilter::default()
                    })
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.user_id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(by_name("BAKKER").await, ["eva"]);
        assert_eq!(by_name("de").await, ["anna", "eva"], "newest first");
        assert!(by_name("%").await.is_empty(), "a % is a percent sign");
    })
    .await;
}

#[tokio::test]
async fn cases_are_searched_and_paged_newest_first() {
    on_both(|store| async move {
        let mut tx = store.begin().await.unwrap();
        for i in 0..12i64 {
            let who = if i % 3 == 0 { "carla" } else { "anna" };
            tx.insert_case(&CaseRow {
                case_ref: format!("LT-{i:02}"),
                title: if i == 7 {
                    "Gezin 50%_Z".into()
                } else {
                    format!("Gezin {i}")
                },
                responsible: who.into(),
                created_by: who.into(),
                created_at: day(i),
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let (page, n) = store.cases_page("", "", 5, 0).await.unwrap();
        assert_eq!(n, 12);
        assert_eq!(
            page.iter().map(|c| c.case_ref.as_str()).collect::<Vec<_>>(),
            ["LT-11", "LT-10", "LT-09", "LT-08", "LT-07"]
        );
        let (last, _) = store.cases_page("", "", 5, 10).await.unwrap();
        assert_eq!(last.len(), 2);
        assert_eq!(store.cases_page("", "carla", 50, 0).await.unwrap().1, 4);
        assert_eq!(store.cases_page("lt-1", "", 50, 0).await.unwrap().1, 2);
        let (found, n) = store.cases_page("50%_", "", 50, 0).await.unwrap();
        assert_eq!((n, found[0].case_ref.as_str()), (1, "LT-07"));
        assert_eq!(store.cases_page("50%x", "", 50, 0).await.unwrap().1, 0);
    })
    .await;
}

#[tokio::test]
async fn a_notice_is_kept_once_per_person_item_reason_and_event_and_read_by_its_person_only() {
    on_both(|store| async move {
        let row = |person: &str, seq: i64| InboxRow {
            id: uuid::Uuid::now_v7(),
            person: person.into(),
            reason: "pick_up".into(),
            stream_kind: "escalation".into(),
            stream_id: "e-1".into(),
            seq,
            deadline: Some(day(14)),
            created_at: day(0),
            read_at: None,
            case_ref: None,
            mail: false,
        };
        let mut tx = store.begin().await.unwrap();
        tx.add_to_inbox(&[row("vera", 2), row("gerda", 2)])
            .await
            .unwrap();
        // the same event delivered again: nobody is told twice
        tx.add_to_inbox(&[row("vera", 2)]).await.unwrap();
        tx.commit().await.unwrap();
        let (rows, unread) = store.inbox("vera", 10, 0).await.unwrap();
        assert_eq!((rows.len(), unread), (1, 1));
        assert_eq!(rows[0].deadline, Some(day(14)));
        let id = rows[0].id.to_string();
        assert_eq!(
            store.read_inbox("gerda", &id, day(1)).await.unwrap(),
            None,
            "not hers"
        );
        assert_eq!(store.unread("vera").await.unwrap(), 1);
        assert_eq!(
            store.read_inbox("vera", &id, day(1)).await.unwrap(),
            Some(("escalation".into(), "e-1".into()))
        );
        assert_eq!(store.unread("vera").await.unwrap(), 0);
        // read once: the first reading counts
        store.read_inbox("vera", &id, day(5)).await.unwrap();
        let (rows, _) = store.inbox("vera", 10, 0).await.unwrap();
        assert_eq!(rows[0].read_at, Some(day(1)));
        assert_eq!(store.unread("gerda").await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn directory_versions_are_kept_once_per_serial_and_the_newest_is_found() {
    on_both(|store| async move {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let (issued, expires, now) = (
            t("2026-12-01T00:00:00Z"),
            t("2027-03-01T00:00:00Z"),
            t("2026-12-01T10:00:00Z"),
        );
        assert_eq!(store.newest_directory().await.unwrap(), None);
        use doorbraak_store::KeptDirectory as K;
        assert_eq!(
            store
                .keep_directory(1, issued, expires, "{\"v\":1}", now)
                .await
                .unwrap(),
            K::New
        );
        assert_eq!(
            store
                .keep_directory(2, issued, expires, "{\"v\":2}", now)
                .await
                .unwrap(),
            K::New
        );
        // the same again is the same; other content under a kept serial is told apart
        assert_eq!(
            store
                .keep_directory(1, issued, expires, "{\"v\":1}", now)
                .await
                .unwrap(),
            K::Same
        );
        assert_eq!(
            store
                .keep_directory(2, issued, expires, "{\"v\":\"x\"}", now)
                .await
                .unwrap(),
            K::Different
        );
        assert_eq!(
            store.newest_directory().await.unwrap(),
            Some((2, "{\"v\":2}".to_owned()))
        );
        assert_eq!(
            store.directory_version(1).await.unwrap().as_deref(),
            Some("{\"v\":1}")
        );
        assert_eq!(store.directory_version(7).await.unwrap(), None);
    })
    .await;
}

/// One access-log entry at `at`.
fn entry(at: Timestamp, object: &str) -> doorbraak_store::AccessEntry {
    doorbraak_store::AccessEntry {
        event_id: uuid::Uuid::now_v7(),
        action: doorbraak_store::AccessAction::R,
        at,
        user_id: "anna".into(),
        user_role: "professional".into(),
        on_behalf_of: None,
        org_oin: "00000001000000000010".into(),
        object_type: "escalation".into(),
        object_id: object.into(),
        purpose: "escalation_handling".into(),
        outcome: "success".into(),
        source_node: "00000001000000000010".into(),
        trace_id: None,
        trail: Default::default(),
    }
}

#[tokio::test]
async fn the_access_log_is_append_only_and_an_edited_deleted_or_inserted_row_is_named() {
    use doorbraak_store::ChainFinding as F;
    let dir = tempdir();
    let mut urls = vec![(testing::fresh_sqlite(&dir), Backend::Sqlite)];
    if let Some(pg) = testing::fresh_postgres().await {
        urls.push((pg, Backend::Postgres));
    }
    for (url, backend) in urls {
        let store = Store::connect(&url, 4).await.unwrap();
        let t = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            let e = entry(t(i), &format!("esc-{i}"));
            ids.push(e.event_id.to_string());
            store.log_access(&e).await.unwrap();
        }
        let head = store.seal_access_log(t(10), 1000).await.unwrap().unwrap();
        assert_eq!(head.seq, 5);
        // sealing again adds nothing; a sound log has no findings
        assert_eq!(
            store.seal_access_log(t(11), 1000).await.unwrap(),
            Some(head.clone())
        );
        store
            .add_checkpoint(&doorbraak_store::Checkpoint {
                chain_seq: head.seq,
                chain_hash: head.hash.clone(),
                at: t(12),
                algorithm: String::new(),
                certificate: String::new(),
                signature: String::new(),
            })
            .await
            .unwrap();
        assert_eq!(
            store.verify_access_chain().await.unwrap(),
            vec![],
            "{backend:?}"
        );

        // forbidden: the database itself refuses to change or delete a row
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        for sql in [
            "UPDATE access_log SET outcome = 'refused:x'",
            "DELETE FROM access_log",
            "UPDATE access_chain SET row_hash = 'x'",
            "DELETE FROM access_checkpoints",
        ] {
            let err = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&raw)
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("never changed or deleted"),
                "{backend:?} {sql}: {err}"
            );
        }

        // someone with the database's own rights goes around the triggers
        let around = match backend {
            Backend::Sqlite => vec![
                "DROP TRIGGER access_log_no_update",
                "DROP TRIGGER access_log_no_delete",
            ],
            Backend::Postgres => {
                vec!["ALTER TABLE access_log DISABLE TRIGGER USER"]
            }
        };
        for sql in around {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&raw)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE access_log SET outcome = 'success (changed)' WHERE event_id = $1")
            .bind(&ids[1])
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query("DELETE FROM access_log WHERE event_id = $1")
            .bind(&ids[3])
            .execute(&raw)
            .await
            .unwrap();
        let forged = entry(t(2), "esc-forged");
        sqlx::query(
            "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, org_oin, \
             object_type, object_id, purpose, outcome, source_node) \
             VALUES ($1, 'R', $2, 'x', 'admin', 'o', 'escalation', 'esc-forged', 'p', 'success', 'o')",
        )
        .bind(forged.event_id.to_string())
        .bind(forged.at.as_millisecond())
        .execute(&raw)
        .await
        .unwrap();
        let found = store.verify_access_chain().await.unwrap();
        assert_eq!(
            found,
            vec![
                F::Edited {
                    event_id: ids[1].clone(),
                    chain_seq: 2
                },
                F::Deleted {
                    event_id: ids[3].clone(),
                    chain_seq: 4
                },
                F::Inserted {
                    event_id: forged.event_id.to_string()
                },
            ],
            "{backend:?}"
        );
        assert!(found[0].to_string().contains(&ids[1]));
        assert!(found.iter().all(F::is_tampering));
        // a row newer than the last seal is only not sealed yet
        let late = entry(t(100), "esc-late");
        store.log_access(&late).await.unwrap();
        let found = store.verify_access_chain().await.unwrap();
        assert_eq!(
            found.last(),
            Some(&F::Unsealed {
                event_id: late.event_id.to_string()
            })
        );
        assert!(!found.last().unwrap().is_tampering());
        raw.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn old_access_log_segments_are_archived_with_their_checkpoint_and_only_those_rows_leave() {
    let dir = tempdir();
    let mut urls = vec![(testing::fresh_sqlite(&dir), Backend::Sqlite)];
    if let Some(pg) = testing::fresh_postgres().await {
        urls.push((pg, Backend::Postgres));
    }
    for (url, backend) in urls {
        let store = Store::connect(&url, 4).await.unwrap();
        let t = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let checkpoint = |seq: i64, hash: String, at: Timestamp| doorbraak_store::Checkpoint {
            chain_seq: seq,
            chain_hash: hash,
            at,
            algorithm: String::new(),
            certificate: String::new(),
            signature: String::new(),
        };
        let mut ids = Vec::new();
        for i in 0..6 {
            let e = entry(t(i * 100), &format!("esc-{i}"));
            ids.push(e.event_id.to_string());
            store.log_access(&e).await.unwrap();
            // a checkpoint after the third and the sixth row
            if i == 2 || i == 5 {
                let head = store
                    .seal_access_log(t(i * 100 + 1), 1000)
                    .await
                    .unwrap()
                    .unwrap();
                store
                    .add_checkpoint(&checkpoint(head.seq, head.hash, t(i * 100 + 2)))
                    .await
                    .unwrap();
            }
        }
        // nothing checkpointed is older than the start: nothing to archive
        assert!(store.archive_candidate(t(0)).await.unwrap().is_none());
        // rows older than t(350): the segment ends at the checkpoint after the third row
        let seg = store.archive_candidate(t(350)).await.unwrap().unwrap();
        assert_eq!(
            (seg.header.from_seq, seg.header.up_to_seq),
            (1, 3),
            "{backend:?}"
        );
        assert!(seg.check().is_empty());
        let text = seg.to_jsonl().unwrap();
        let back = doorbraak_store::ArchiveSegment::from_jsonl(&text).unwrap();
        assert_eq!(back.links.len(), 3);
        // a changed archived row is named by the segment's own check
        let mut bad = back.clone();
        bad.links[1].entry.user_id = "iemand-anders".into();
        assert_eq!(bad.check().len(), 1, "{:?}", bad.check());
        // before it is archived, no row may go
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let del = sqlx::query("DELETE FROM access_log WHERE event_id = $1")
            .bind(&ids[0])
            .execute(&raw)
            .await;
        assert!(del.is_err(), "{backend:?}");
        store
            .commit_archive(&seg, "archive/x.jsonl", "abc", t(400))
            .await
            .unwrap();
        assert_eq!(
            store
                .count(doorbraak_store::Table::AccessLog)
                .await
                .unwrap(),
            3
        );
        // the rest of the chain still verifies, going on from the archive
        assert_eq!(
            store.verify_access_chain().await.unwrap(),
            vec![],
            "{backend:?}"
        );
        // rows not archived still cannot go
        let del = sqlx::query("DELETE FROM access_log WHERE event_id = $1")
            .bind(&ids[4])
            .execute(&raw)
            .await;
        assert!(
            del.unwrap_err()
                .to_string()
                .contains("never changed or deleted"),
            "{backend:?}"
        );
        // sealing goes on after the archived links
        let e = entry(t(700), "esc-7");
        store.log_access(&e).await.unwrap();
        let head = store.seal_access_log(t(701), 1000).await.unwrap().unwrap();
        assert_eq!(head.seq, 7);
        // archive the rest: the chain in the database is empty, and goes on from the archive
        store
            .add_checkpoint(&checkpoint(7, head.hash.clone(), t(702)))
            .await
            .unwrap();
        let seg = store.archive_candidate(t(10_000)).await.unwrap().unwrap();
        assert_eq!((seg.header.from_seq, seg.header.up_to_seq), (4, 7));
        store
            .commit_archive(&seg, "archive/y.jsonl", "def", t(800))
            .await
            .unwrap();
        assert_eq!(
            store.verify_access_chain().await.unwrap(),
            vec![],
            "{backend:?}"
        );
        store.log_access(&entry(t(900), "esc-8")).await.unwrap();
        let head = store.seal_access_log(t(901), 1000).await.unwrap().unwrap();
        assert_eq!(head.seq, 8, "{backend:?}");
        assert_eq!(
            store.verify_access_chain().await.unwrap(),
            vec![],
            "{backend:?}"
        );
        assert_eq!(store.access_archives().await.unwrap().len(), 2);
    }
}

/// Two instances (two stores on one database) race for one destination's messages: only one
/// ever gets them while its lease lives; the other takes over once it expires or is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_hold_one_destination_at_once_and_a_dead_ones_lease_expires() {
    let dir = tempdir();
    let mut urls = vec![testing::fresh_sqlite(&dir)];
    if let Some(pg) = testing::fresh_postgres().await {
        urls.push(pg);
    }
    for url in urls {
        let a = Store::connect(&url, 4).await.unwrap();
        let b = Store::connect(&url, 4).await.unwrap();
        let now = day(0);
        let mut tx = a.begin().await.unwrap();
        for i in 0..5 {
            tx.enqueue(&doorbraak_store::NewOutbox {
                message_id: uuid::Uuid::now_v7(),
                destination: "00000001000000000020".into(),
                kind: "events".into(),
                stream_kind: None,
                stream_id: None,
                payload: format!("{{\"n\":{i}}}"),
                created_at: now,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let until = now
            .checked_add(jiff::SignedDuration::from_secs(30))
            .unwrap();
        // forty concurrent attempts, twenty per instance
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (store, owner) = if i % 2 == 0 {
                (a.clone(), "instance-a")
            } else {
                (b.clone(), "instance-b")
            };
            tasks.push(tokio::spawn(async move {
                let rows = store
                    .lease("00000001000000000020", owner, now, until, 64)
                    .await
                    .unwrap();
                (owner, rows.len())
            }));
        }
        let mut winners = std::collections::BTreeSet::new();
        for t in tasks {
            let (owner, n) = t.await.unwrap();
            if n > 0 {
                assert_eq!(n, 5, "{url}: a lease gets every pending message");
                winners.insert(owner);
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "{url}: exactly one instance sends: {winners:?}"
        );
        let winner = *winners.iter().next().unwrap();
        let (other, other_store) = if winner == "instance-a" {
            ("instance-b", &b)
        } else {
            ("instance-a", &a)
        };
        let holder = a
            .lease_holder("outbox:00000001000000000020")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(holder, (winner.to_string(), until));
        // refused while the winner's lease lives, taken over once it has expired (it died)
        let later = now
            .checked_add(jiff::SignedDuration::from_secs(29))
            .unwrap();
        let rows = other_store
            .lease("00000001000000000020", other, later, until, 64)
            .await
            .unwrap();
        assert!(rows.is_empty(), "{url}");
        let expired = now
            .checked_add(jiff::SignedDuration::from_secs(31))
            .unwrap();
        let until2 = expired
            .checked_add(jiff::SignedDuration::from_secs(30))
            .unwrap();
        let rows = other_store
            .lease("00000001000000000020", other, expired, until2, 64)
            .await
            .unwrap();
        assert_eq!(rows.len(), 5, "{url}: taken over");
        // let go: the first may take it again at once
        other_store
            .release_outbox_lease("00000001000000000020", other)
            .await
            .unwrap();
        let rows = a
            .lease("00000001000000000020", winner, expired, until2, 64)
            .await
            .unwrap();
        assert_eq!(rows.len(), 5, "{url}: after the release");

        // jobs: the same rule
        assert!(
            a.take_job_lease("sweeper", "instance-a", now, until)
                .await
                .unwrap()
        );
        assert!(
            !b.take_job_lease("sweeper", "instance-b", later, until2)
                .await
                .unwrap()
        );
        assert!(
            a.take_job_lease("sweeper", "instance-a", later, until2)
                .await
                .unwrap()
        );
        assert!(
            b.take_job_lease(
                "sweeper",
                "instance-b",
                until2
                    .checked_add(jiff::SignedDuration::from_secs(1))
                    .unwrap(),
                until2
                    .checked_add(jiff::SignedDuration::from_secs(60))
                    .unwrap()
            )
            .await
            .unwrap()
        );
        a.close().await;
        b.close().await;
    }
}

/// A list read page by page from a cursor holds every row once, in every order, also when
/// rows are added while it is read; a forged cursor is refused.
#[tokio::test]
async fn a_list_paged_by_cursor_holds_every_row_once_in_every_order() {
    on_both(|store| async move {
        for i in 0..23u128 {
            // several share a moment: the stream id breaks the tie
            open_escalation(&store, 10_000 + i, day((i / 3) as i64)).await;
        }
        for sort in [
            ListSort::Deadline,
            ListSort::Newest,
            ListSort::Oldest,
            ListSort::Case,
            ListSort::Updated,
        ] {
            let all = store
                .list(
                    StreamKind::Escalation,
                    &ListFilter {
                        sort,
                        limit: 100,
                        ..ListFilter::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(all.len(), 23);
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list(
                        StreamKind::Escalation,
                        &ListFilter {
                            sort,
                            limit: 5,
                            after: after.clone(),
                            ..ListFilter::default()
                        },
                    )
                    .await
                    .unwrap();
                if page.is_empty() {
                    break;
                }
                // the cursor goes through its text form, as a client sends it back
                let c = ListCursor::after(sort, page.last().unwrap());
                after = Some(ListCursor::decode(&c.encode()).unwrap());
                seen.extend(page.into_iter().map(|r| r.id));
            }
            let ids: Vec<String> = all.into_iter().map(|r| r.id).collect();
            assert_eq!(seen, ids, "{sort:?}: the pages together are the list");
        }
        // a row added before the cursor's place does not push a row of the next page back
        let first = store
            .list(
                StreamKind::Escalation,
                &ListFilter {
                    sort: ListSort::Oldest,
                    limit: 10,
                    ..ListFilter::default()
                },
            )
            .await
            .unwrap();
        let after = ListCursor::after(ListSort::Oldest, first.last().unwrap());
        open_escalation(&store, 99_999, day(-5)).await;
        let next = store
            .list(
                StreamKind::Escalation,
                &ListFilter {
                    limit: 100,
                    after: Some(after),
                    ..ListFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(next.len(), 13);
        assert!(next.iter().all(|r| !first.iter().any(|f| f.id == r.id)));
        // not a cursor this store made
        for bad in ["zz", "", "7631", &"ab".repeat(600)] {
            assert_eq!(ListCursor::decode(bad), Err(BadCursor), "{bad}");
        }
        let forged = hex::encode("v1\u{1f}n\u{1f}tnot-a-number\u{1f}tx");
        assert_eq!(ListCursor::decode(&forged), Err(BadCursor));
    })
    .await;
}

/// The figures of a node as read from its counters.
async fn counted_figures(
    store: &Store,
    days: doorbraak_model::figures::Days,
) -> doorbraak_model::oversight::NodeFigures {
    let today = "2026-12-01".parse().unwrap();
    doorbraak_model::figures::figures_from(LT, store.figure_counts(days).await.unwrap(), today, 0)
}

/// The same figures computed from the streams' facts themselves, of the days in `days`.
fn expected_figures(
    states: &[Escalation],
    days: doorbraak_model::figures::Days,
) -> doorbraak_model::oversight::NodeFigures {
    use doorbraak_model::escalation::escalation_facts;
    use doorbraak_model::figures::{Timing, counters, figures_from};
    let inside =
        |d: jiff::civil::Date| days.from.is_none_or(|f| d >= f) && days.to.is_none_or(|t| d < t);
    let facts: Vec<_> = states
        .iter()
        .flat_map(escalation_facts)
        .filter(|f| f.metric.timing() == Timing::Present || f.on.is_some_and(inside))
        .collect();
    // one bucket per fact: its day (the store reads whole years and months instead)
    let per_day = counters(&facts).into_iter().filter(|(c, _)| {
        matches!(
            c.grain,
            doorbraak_model::figures::Grain::Day | doorbraak_model::figures::Grain::Present
        )
    });
    figures_from(LT, per_day, "2026-12-01".parse().unwrap(), 0)
}

#[tokio::test]
async fn the_figure_counters_follow_every_change_and_equal_a_count_of_the_streams() {
    on_both(|store| async move {
        let (lt, vt) = (Oin::parse(LT).unwrap(), Oin::parse(VT).unwrap());
        let mut states = Vec::new();
        for i in 0..240u64 {
            let (state, events) = testing::escalation_life(&lt, &vt, i).unwrap();
            // every event its own command, as at a node: the counters move with each change
            for k in 1..=events.len() {
                let now_state = replay::<Escalation>(events[..k].iter()).unwrap().unwrap();
                let mut tx = store.begin().await.unwrap();
                let id = now_state.stream_id();
                if i % 2 == 0 && k > 1 {
                    // a command loads the stream first; a replica batch or sweep may not
                    tx.load::<Escalation>(&id).await.unwrap().unwrap();
                }
                let expected = i64::try_from(k - 1).unwrap();
                tx.append(
                    &id,
                    expected,
                    &events[k - 1..k],
                    &now_state,
                    events[k - 1].at,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
            assert_eq!(
                store
                    .load::<Escalation>(&state.stream_id())
                    .await
                    .unwrap()
                    .unwrap()
                    .state,
                state
            );
            states.push(state);
        }
        // a transaction that is not committed counts nothing
        let (extra, events) = testing::escalation_life(&lt, &vt, 10_000).unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append(&extra.stream_id(), 0, &events, &extra, events[0].at)
            .await
            .unwrap();
        drop(tx);

        let all = doorbraak_model::figures::Days::default();
        let f = counted_figures(&store, all).await;
        assert_eq!(f, expected_figures(&states, all));
        // what a count in SQL says
        let count = |status: doorbraak_model::Status| {
            let store = store.clone();
            async move {
                let n = store
                    .list_count(
                        StreamKind::Escalation,
                        &ListFilter {
                            status: Some(status),
                            ..ListFilter::default()
                        },
                    )
                    .await
                    .unwrap();
                u64::try_from(n).unwrap()
            }
        };
        assert_eq!(
            f.open_by_step_situation.values().sum::<u64>(),
            count(doorbraak_model::Status::Open).await
        );
        assert_eq!(
            f.closed_per_month.values().sum::<u64>(),
            count(doorbraak_model::Status::Closed).await
        );
        assert_eq!(f.opened_per_month.values().sum::<u64>(), 240);
        assert_eq!(
            f.close_days.count(),
            count(doorbraak_model::Status::Closed).await
        );
        assert_eq!(
            f.overdue_steps, 24,
            "one in ten is marked overdue and not picked up"
        );
        // a period of whole days is read from its years, months and edge days: the same as its days
        let period = doorbraak_model::figures::Days {
            from: Some("2023-03-15".parse().unwrap()),
            to: Some("2025-02-10".parse().unwrap()),
        };
        let p = counted_figures(&store, period).await;
        assert_eq!(p, expected_figures(&states, period));
        assert!(p.opened_per_month.values().sum::<u64>() < 240 && !p.lead_time_days.is_empty());

        // built again from the streams (a database older than the counters): the same figures
        assert_eq!(
            store.build_figure_counts(LT, day(0)).await.unwrap(),
            Some(240)
        );
        assert_eq!(
            counted_figures(&store, all).await,
            f,
            "built: what was counted"
        );
        assert_eq!(
            store.build_figure_counts(LT, day(0)).await.unwrap(),
            None,
            "once"
        );
        store.forget_figure_counts().await.unwrap();
        assert_eq!(counted_figures(&store, all).await.opened_per_month.len(), 0);
        assert_eq!(
            store.build_figure_counts(LT, day(0)).await.unwrap(),
            Some(240)
        );
        assert_eq!(counted_figures(&store, all).await, f);
        assert_eq!(counted_figures(&store, period).await, p);
        // another home's streams are not this node's figures
        store.forget_figure_counts().await.unwrap();
        assert_eq!(
            store.build_figure_counts(VT, day(0)).await.unwrap(),
            Some(0)
        );
    })
    .await;
}

/// A record is proposed for destruction on one list at a time: not again while its list
/// awaits a decision, nor while an approved list is still being carried out (the sweeper's next
/// pass ran beside the destruction once and proposed the same records a second time), and not
/// stranded when the carrying out stopped before it reached a record.
#[tokio::test]
async fn a_record_is_on_one_destruction_list_until_it_is_carried_out() {
    on_both(|store| async move {
        let e = open_escalation(&store, 0xDE57, day(0)).await;
        let id = e.stream_id();
        let retention = doorbraak_model::records::Retention {
            closed_at: day(0),
            years: 1,
            basis: "Testtermijn".into(),
            destroy_on: day(1),
        };
        store
            .set_retention(StreamKind::Escalation, &id, &retention, day(0))
            .await
            .unwrap();
        let due = store.due_for_destruction(LT, day(2), 10).await.unwrap();
        assert_eq!(due.len(), 1, "its term ended");
        let list = store
            .propose_destruction(&due, day(2))
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .due_for_destruction(LT, day(3), 10)
                .await
                .unwrap()
                .is_empty(),
            "on a list awaiting a decision"
        );
        assert!(
            store
                .decide_destruction(&list, true, "d1", day(3))
                .await
                .unwrap()
        );
        let soon = day(3)
            .checked_add(jiff::SignedDuration::from_mins(30))
            .unwrap();
        assert!(
            store
                .due_for_destruction(LT, soon, 10)
                .await
                .unwrap()
                .is_empty(),
            "on an approved list being carried out"
        );
        assert_eq!(
            store
                .due_for_destruction(LT, day(4), 10)
                .await
                .unwrap()
                .len(),
            1,
            "an approved list that stopped before it reached the record does not strand it"
        );
        store
            .destruction_outcome(&list, "escalation", &id, "failed", day(4))
            .await
            .unwrap();
        assert_eq!(
            store
                .due_for_destruction(LT, day(5), 10)
                .await
                .unwrap()
                .len(),
            1,
            "an item that was not destroyed is due again once its list is done with it"
        );
    })
    .await;
}
