//! The federation under crashes, on SQLite and on PostgreSQL: three organisations run as
//! separate processes of the real binary over real mutual TLS; workers drive escalations and
//! minutes from both sides (forwarded pick-ups and approvals included), every command with an
//! idempotency key and retried with it until it gets an answer; meanwhile nodes are SIGKILLed
//! and restarted, or paused with SIGSTOP/SIGCONT, at random. Afterwards: every acknowledged
//! command is in its home's log, every replica equals its home (sequence numbers, event ids and
//! types), outboxes are drained, nothing is dead-lettered and the store audit is clean.
//!
//! Seeded: `DOORBRAAK_CRASH_SEED=N` replays a run's schedule of kills, pauses and commands; the
//! seed is printed at the start and again on failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use doorbraak_model::OrgKind;
use doorbraak_model::minutes::content_hash;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use support::fed::{Fed, pid, tok};
use support::{GI, LT, VT, backends};
use tokio::sync::Mutex;

const ORGS: [(&str, &str, OrgKind); 3] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
    (GI, "GI", OrgKind::CertifiedInstitution),
];
const WORKERS: u64 = 6;
const MIN_KILLS: usize = 50;

/// Prints the seed when the test fails, so the run can be replayed.
struct SeedOnFailure(u64);

impl Drop for SeedOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "federation crash test FAILED with seed {0}; replay: DOORBRAAK_CRASH_SEED={0}",
                self.0
            );
        }
    }
}

/// A command a node acknowledged: the home's log must hold these events at these positions.
#[derive(Debug, Clone)]
struct Ack {
    kind: &'static str,
    id: String,
    home: usize,
    version: i64,
    events: Vec<String>,
}

#[derive(Default)]
struct Tally {
    acks: Vec<Ack>,
    /// Open keys issued per home (an unacknowledged one may have committed once, never twice).
    opens: HashMap<usize, usize>,
    /// Answers that were refusals no rule explains under crashes.
    unexpected: Vec<String>,
    retries: usize,
}

/// Send one keyed command until it gets a definite answer. Transient answers (the node is
/// down or paused, the home unreachable, a replica on its way) are retried with the same key.
async fn until_answered(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
    tally: &Mutex<Tally>,
) -> Option<(u16, Value)> {
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let sent = client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        if let Ok(resp) = sent {
            let status = resp.status().as_u16();
            if let Ok(text) = resp.text().await {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                let rule = v["rule"].as_str().unwrap_or_default();
                let transient = status >= 500
                    || rule == "federation.replica_pending"
                    || rule == "minutes.not_circulated";
                if !transient {
                    return Some((status, v));
                }
            }
        }
        tally.lock().await.retries += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    None
}

/// One worker: escalations from open to final minutes, each step a keyed command at the node
/// of the person who acts (the home's people at the home, the counterpart's at theirs).
#[allow(clippy::too_many_arguments)]
async fn worker(
    w: u64,
    seed: u64,
    bases: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(4))
        .build()
        .unwrap();
    let mut n = 0u64;
    let mut cases: HashMap<usize, String> = HashMap::new();
    'escalations: while !stop.load(Ordering::SeqCst) {
        n += 1;
        let h = rng.random_range(0..ORGS.len());
        let c = (h + rng.random_range(1..ORGS.len())) % ORGS.len();
        let key = |step: &str| format!("{seed}-{w}-{n}-{step}");
        macro_rules! send {
            ($node:expr, $user:expr, $path:expr, $body:expr, $step:expr) => {{
                let body = $body;
                match until_answered(
                    &client,
                    &bases[$node],
                    &$path,
                    &tok($node, $user),
                    &key($step),
                    &body,
                    &tally,
                )
                .await
                {
                    Some((s, v)) if (200..300).contains(&s) => v,
                    Some((s, v)) => {
                        tally
                            .lock()
                            .await
                            .unexpected
                            .push(format!("{} at org {}: {s} {v}", $step, $node));
                        continue 'escalations;
                    }
                    None => continue 'escalations,
                }
            }};
        }
        macro_rules! ack {
            ($kind:expr, $v:expr) => {{
                tally.lock().await.acks.push(Ack {
                    kind: $kind,
                    id: $v["id"].as_str().unwrap_or_default().to_owned(),
                    home: h,
                    version: $v["version"].as_i64().unwrap_or(0),
                    events: $v["events"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|e| e.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }};
        }
        let case_ref = match cases.get(&h) {
            Some(c) => c.clone(),
            None => {
                let case_ref = format!("W{w}-{h}");
                send!(
                    h,
                    "p",
                    "/api/v1/cases",
                    json!({ "case_ref": case_ref, "title": "Gezin in zorg" }),
                    "case"
                );
                cases.insert(h, case_ref.clone());
                case_ref
            }
        };
        *tally.lock().await.opens.entry(h).or_default() += 1;
        let opened = send!(
            h,
            "p",
            "/api/v1/escalations",
            json!({
                "case_ref": case_ref, "situation": "agreements_not_kept", "first_step": "management",
                "counterparts": [ORGS[c].0], "question": "Wij vragen de hulp binnen 5 dagen te starten.",
                "needs": "Een veilige plek.", "seeking_youth_help_access": false,
            }),
            "open"
        );
        ack!("escalation", opened);
        let id = opened["id"].as_str().unwrap_or_default().to_owned();
        let esc = |what: &str| format!("/api/v1/escalations/{id}/{what}");
        // the counterpart picks up at its own node: forwarded to the home
        let v = send!(c, "tm", esc("pick-up"), json!({}), "pick-up");
        ack!("escalation", v);
        let v = send!(
            h,
            "p",
            esc("participants"),
            json!({ "participant": { "person": pid(h, "tm"), "name": "Teammanager", "role": "team_manager", "org": ORGS[h].0 } }),
            "participant"
        );
        ack!("escalation", v);
        if rng.random_bool(0.5) {
            continue;
        }
        // a meeting with minutes, approved by both organisations (the counterpart's approval
        // is forwarded and signed by its node)
        let yesterday = jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(24))
            .unwrap();
        let participants = json!([
            { "person": pid(h, "tm"), "name": "Teammanager", "role": "team_manager", "org": ORGS[h].0 },
            { "person": pid(c, "tm"), "name": "Teammanager", "role": "team_manager", "org": ORGS[c].0 },
        ]);
        let scheduled = send!(
            h,
            "tm",
            "/api/v1/meetings",
            json!({ "escalation": id, "step": "management", "date": yesterday.to_string(),
                    "participants": participants, "agenda": "1. Wachtlijst" }),
            "schedule"
        );
        ack!("minutes", scheduled);
        let m = scheduled["id"].as_str().unwrap_or_default().to_owned();
        let text = format!("Verslag {w}-{n}");
        let mt = |what: &str| format!("/api/v1/meetings/{m}/{what}");
        let v = send!(h, "tm", mt("minutes"), json!({ "content": text }), "draft");
        ack!("minutes", v);
        let v = send!(h, "tm", mt("circulate"), json!({}), "circulate");
        ack!("minutes", v);
        let approve = json!({ "revision": 1, "content_hash": content_hash(&text) });
        let v = send!(h, "tm", mt("approve"), approve.clone(), "approve-home");
        ack!("minutes", v);
        let v = send!(c, "tm", mt("approve"), approve, "approve-counterpart");
        ack!("minutes", v);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_federation_survives_kills_and_pauses_without_losing_or_forking_anything() {
    let seed: u64 = std::env::var("DOORBRAAK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let _guard = SeedOnFailure(seed);
    eprintln!("federation crash test: seed {seed}");
    for db in backends() {
        run(db, seed).await;
    }
}

async fn run(db: &str, seed: u64) {
    let mut fed = Fed::create(&format!("crash-{db}"), &ORGS, &[], &[]);
    fed.on_backend(db == "postgres").await;
    fed.start_all(ORGS.len());
    let bases: Arc<Vec<String>> = Arc::new(
        fed.orgs
            .iter()
            .map(|o| format!("http://127.0.0.1:{}", o.http))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(worker(w, seed, bases.clone(), stop.clone(), tally.clone())))
        .collect();

    // chaos, on a thread of its own (starting a node waits for it to be ready)
    let started = Instant::now();
    let (fed, kills, pauses, last_restart) = tokio::task::spawn_blocking(move || {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut kills, mut pauses) = (0usize, 0usize);
        let mut last_restart = Instant::now();
        while (kills < MIN_KILLS || started.elapsed() < Duration::from_secs(20))
            && started.elapsed() < Duration::from_secs(150)
        {
            std::thread::sleep(Duration::from_millis(rng.random_range(100..500)));
            let i = rng.random_range(0..ORGS.len());
            if rng.random_bool(0.8) {
                fed.stop(i); // SIGKILL
                kills += 1;
                std::thread::sleep(Duration::from_millis(rng.random_range(0..300)));
                fed.start(i);
                last_restart = Instant::now();
            } else {
                fed.signal(i, "STOP");
                pauses += 1;
                std::thread::sleep(Duration::from_millis(rng.random_range(200..1500)));
                fed.signal(i, "CONT");
            }
        }
        (fed, kills, pauses, last_restart)
    })
    .await
    .unwrap();
    let chaos_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    // drained: every node has delivered everything, nothing refused
    let drain_started = Instant::now();
    let since_last_restart = last_restart.elapsed();
    for i in 0..ORGS.len() {
        fed.wait_for(i, "a", "/api/v1/federation/peers", |s, b| {
            s == 200
                && b.as_array()
                    .is_some_and(|a| a.iter().all(|p| p["pending"] == 0))
        })
        .await;
    }
    let drain = drain_started.elapsed() + since_last_restart;
    let mut fed = fed;
    for i in 0..ORGS.len() {
        fed.stop(i);
    }

    // the logs, straight from each node's database
    let mut logs = Vec::new();
    let mut audits = Vec::new();
    for (i, org) in ORGS.iter().enumerate() {
        let store = doorbraak_store::Store::connect(&fed.db_url(i), 1)
            .await
            .unwrap();
        logs.push(store.stream_logs().await.unwrap());
        audits.push(store.audit(org.0).await.unwrap());
        assert_eq!(
            store
                .count(doorbraak_store::Table::OutboxPending)
                .await
                .unwrap(),
            0,
            "org {i}'s outbox is drained ({db})"
        );
        store.close().await;
    }
    let by_id: Vec<HashMap<(String, String), &doorbraak_store::StreamLog>> = logs
        .iter()
        .map(|l| {
            l.iter()
                .map(|s| ((s.kind.clone(), s.id.clone()), s))
                .collect()
        })
        .collect();
    let tally = tally.lock().await;

    // every acknowledged command is in its home's log, at the position it was answered with
    let mut lost = Vec::new();
    for a in &tally.acks {
        let Some(home) = by_id[a.home].get(&(a.kind.to_owned(), a.id.clone())) else {
            lost.push(format!("{a:?}: not at its home"));
            continue;
        };
        let n = a.events.len() as i64;
        let from = usize::try_from(a.version - n).unwrap_or(usize::MAX);
        let at = home.types.get(from..from + a.events.len());
        if at != Some(&a.events[..]) {
            lost.push(format!("{a:?}: the home has {:?}", home.types));
        }
    }
    // every replica equals its home: same sequence numbers, event ids and types
    let mut divergent = Vec::new();
    let mut replicas = 0;
    for (i, l) in logs.iter().enumerate() {
        for s in l {
            let Some(h) = ORGS.iter().position(|o| Some(o.0) == s.home.as_deref()) else {
                divergent.push(format!("{} {} at org {i} has no known home", s.kind, s.id));
                continue;
            };
            if h == i {
                continue;
            }
            replicas += 1;
            match by_id[h].get(&(s.kind.clone(), s.id.clone())) {
                Some(home) if home.events == s.events && home.types == s.types => {}
                other => divergent.push(format!(
                    "{} {} at org {i}: {:?} / home {:?}",
                    s.kind,
                    s.id,
                    s.events,
                    other.map(|o| &o.events)
                )),
            }
        }
    }
    // no duplicate effects: at most one escalation per open key
    for (h, issued) in &tally.opens {
        let escalations = logs[*h]
            .iter()
            .filter(|s| s.kind == "escalation" && s.home.as_deref() == Some(ORGS[*h].0))
            .count();
        assert!(
            escalations <= *issued,
            "org {h} holds {escalations} escalations for {issued} open keys ({db})"
        );
    }
    let acked = tally.acks.len();
    eprintln!(
        "federation crash test on {db} (seed {seed}): {chaos_secs:.0} s of chaos, {kills} kills, \
         {pauses} pauses, {acked} commands acknowledged, {} retries, lost {}, divergent {}, \
         {replicas} replicas compared, drain time after the last kill {:.2} s, unexpected refusals {}",
        tally.retries,
        lost.len(),
        divergent.len(),
        drain.as_secs_f64(),
        tally.unexpected.len()
    );
    assert!(lost.is_empty(), "lost ({db}): {lost:#?}");
    assert!(divergent.is_empty(), "divergent ({db}): {divergent:#?}");
    assert!(
        tally.unexpected.is_empty(),
        "refusals ({db}): {:#?}",
        tally.unexpected
    );
    for (i, a) in audits.iter().enumerate() {
        assert!(a.is_clean(), "org {i}'s audit ({db}): {a:?}");
    }
    assert!(kills >= MIN_KILLS, "{kills} kills");
    assert!(acked >= 50, "only {acked} commands acknowledged ({db})");
}
