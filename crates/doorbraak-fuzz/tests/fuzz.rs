//! The fuzz targets. Each runs random inputs (bytes, and mutations of valid inputs where the
//! format has structure) into a decoder that meets outside bytes; none may panic. See the
//! crate documentation for longer runs and replays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use arbitrary::Unstructured;
use doorbraak_federation::crypto::RsaPadding;
use doorbraak_fuzz::mutate;
use doorbraak_model::escalation::{EscalationCommand, Step};
use doorbraak_model::{
    Actor, Aggregate, CaseRef, DeadlinePolicy, Escalation, EscalationId, Oin, OrgKind, OrgRef,
    Role, Situation, StoredEvent,
};
use prost::Message;

/// Valid inputs of every format, made once: a development PKI with a revoked certificate, a
/// manifest signed by an operator, an escalation's events, a delivery, a bundle.
struct Seeds {
    anchors: Vec<Vec<u8>>,
    operator: String,
    cert: Vec<u8>,
    crl: Vec<u8>,
    pem: Vec<u8>,
    events: Vec<Vec<u8>>,
    commands: Vec<Vec<u8>>,
    deliver: Vec<u8>,
    manifest: Vec<u8>,
    bundle: Vec<u8>,
    live: doorbraak_federation::revocation::LiveConnections,
}

fn oin(s: &str) -> Oin {
    Oin::parse(s).unwrap()
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("doorbraak-fuzz-{}", uuid::Uuid::now_v7()));
        let pki = doorbraak_federation::pki::PkiDir(dir.join("pki"));
        pki.init_ca("Fuzz").unwrap();
        pki.issue_node("00000001000000000010", "Lokaal Team", &["localhost".into()])
            .unwrap();
        pki.revoke("00000001000000000010").unwrap();
        let read = |p: std::path::PathBuf| std::fs::read(p).unwrap();
        let pem = read(pki.ca_cert());
        let anchors =
            doorbraak_federation::crypto::pem_certificates(std::str::from_utf8(&pem).unwrap())
                .unwrap();
        let cert =
            doorbraak_federation::operator::read_cert(&pki.node_cert("00000001000000000010"))
                .unwrap();
        let crl = {
            use rustls::pki_types::pem::PemObject;
            rustls::pki_types::CertificateRevocationListDer::pem_file_iter(pki.crl())
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .to_vec()
        };
        let op = doorbraak_federation::operator::OperatorDir(dir.join("operator"));
        let member = doorbraak_federation::Member {
            oin: oin("00000001000000000010"),
            name: "Lokaal Team".into(),
            kind: OrgKind::LocalTeam,
            region: "fuzz".into(),
            endpoint: "127.0.0.1:1".into(),
            certificates: vec![],
            roles: vec![],
            person_roles: vec![],
        };
        let signed = doorbraak_federation::operator::sign_dev_manifest(
            &op,
            &pki,
            "Fuzz",
            vec![member],
            &dir.join("directory.json"),
        )
        .unwrap();
        let operator = op.fingerprint().unwrap();
        let _ = op.operator(RsaPadding::Pkcs1).unwrap();

        let lt = oin("00000001000000000010");
        let esc_id = EscalationId(doorbraak_model::stream_uuid(&lt, uuid::Uuid::now_v7()));
        let open = EscalationCommand::Open {
            id: esc_id,
            home: OrgRef {
                oin: lt.clone(),
                kind: OrgKind::LocalTeam,
            },
            counterparts: vec![OrgRef {
                oin: oin("00000001000000000020"),
                kind: OrgKind::VeiligThuis,
            }],
            case_ref: CaseRef::parse("LT-1").unwrap(),
            situation: Situation::AgreementsNotKept,
            first_step: Step::Management,
            participants: vec![],
            question: "Wachtlijst".into(),
            needs: "Start hulp".into(),
            seeking_youth_help_access: false,
            policy: DeadlinePolicy::default(),
        };
        let by = Actor::person("anna", Role::Professional, lt);
        let (_, events) = Escalation::execute(None, &open, &by, jiff::Timestamp::now()).unwrap();
        let stored: Vec<StoredEvent<_>> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                seq: i as i64 + 1,
                event_id: uuid::Uuid::now_v7(),
                event,
            })
            .collect();
        let wire: Vec<_> = stored
            .iter()
            .map(|e| doorbraak_proto::to_wire(e).unwrap())
            .collect();
        let deliver = doorbraak_proto::v1::DeliverRequest {
            messages: vec![doorbraak_proto::v1::Message {
                message_id: uuid::Uuid::now_v7().to_string(),
                stream_kind: "escalation".into(),
                stream_id: esc_id.0.to_string(),
                events: wire.clone(),
            }],
        }
        .encode_to_vec();
        let commands = vec![
            doorbraak_model::canonical::to_vec(&open).unwrap(),
            doorbraak_model::canonical::to_vec(&EscalationCommand::PickUp { name: None }).unwrap(),
        ];
        // minutes scheduled at the local team, as a bundle carries them
        let schedule = doorbraak_model::MinutesCommand::Schedule {
            id: doorbraak_model::MinutesId(doorbraak_model::stream_uuid(
                &oin("00000001000000000010"),
                uuid::Uuid::now_v7(),
            )),
            meeting: doorbraak_model::Meeting {
                id: doorbraak_model::MeetingId(uuid::Uuid::now_v7()),
                escalation: esc_id,
                step: Step::Management,
                date: jiff::Timestamp::now(),
                participants: vec![
                    doorbraak_model::Participant {
                        person: doorbraak_model::PersonId::new("anna"),
                        name: "Anna".into(),
                        role: Role::Professional,
                        org: oin("00000001000000000010"),
                    },
                    doorbraak_model::Participant {
                        person: doorbraak_model::PersonId::new("vera"),
                        name: "Vera".into(),
                        role: Role::TeamManager,
                        org: oin("00000001000000000020"),
                    },
                ],
                agenda: "Wachtlijst".into(),
            },
            policy: DeadlinePolicy::default(),
        };
        let by_anna = Actor::person("anna", Role::Professional, oin("00000001000000000010"));
        let (minutes, _) =
            doorbraak_model::Minutes::execute(None, &schedule, &by_anna, jiff::Timestamp::now())
                .unwrap();
        let bundle = serde_json::to_vec(&serde_json::json!({
            "bundle": doorbraak_federation::signing::MinutesBundle::KIND,
            "minutes": minutes,
            "trust_anchors": [],
            "directories": [signed],
        }))
        .unwrap();
        Seeds {
            live: doorbraak_federation::revocation::LiveConnections::new(anchors.clone()),
            anchors,
            operator,
            cert,
            crl,
            pem,
            events: wire.into_iter().map(|w| w.canonical).collect(),
            commands,
            deliver,
            manifest: serde_json::to_vec(&signed).unwrap(),
            bundle,
        }
    })
}

type Edits = Vec<(u16, u8)>;

/// Run `target` on random inputs for the budget; print how many inputs it ran.
fn fuzz(name: &str, mut target: impl FnMut(&mut Unstructured<'_>) -> arbitrary::Result<()>) {
    let ms = std::env::var("DOORBRAAK_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut runs: u64 = 0;
    arbtest::arbtest(|u| {
        runs += 1;
        target(u)
    })
    .budget_ms(ms)
    .run();
    println!("fuzz {name}: {runs} inputs in {ms} ms, no panic");
}

#[test]
fn grpc_messages() {
    let s = seeds();
    fuzz("grpc_messages", |u| {
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::grpc_message(&bytes);
        let edits: Edits = u.arbitrary()?;
        doorbraak_fuzz::grpc_message(&mutate(&s.deliver, &edits));
        Ok(())
    });
}

#[test]
fn canonical_events_and_commands() {
    let s = seeds();
    let all: Vec<&Vec<u8>> = s.events.iter().chain(s.commands.iter()).collect();
    fuzz("canonical_events_and_commands", |u| {
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::canonical(&bytes);
        let (which, edits): (u8, Edits) = u.arbitrary()?;
        doorbraak_fuzz::canonical(&mutate(all[usize::from(which) % all.len()], &edits));
        Ok(())
    });
}

#[test]
fn directory_manifests() {
    let s = seeds();
    fuzz("directory_manifests", |u| {
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::manifest(&bytes, &s.operator);
        let edits: Edits = u.arbitrary()?;
        doorbraak_fuzz::manifest(&mutate(&s.manifest, &edits), &s.operator);
        Ok(())
    });
}

#[test]
fn minutes_bundles() {
    let s = seeds();
    fuzz("minutes_bundles", |u| {
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::bundle(&bytes, &s.anchors, &s.operator);
        let edits: Edits = u.arbitrary()?;
        doorbraak_fuzz::bundle(&mutate(&s.bundle, &edits), &s.anchors, &s.operator);
        Ok(())
    });
}

#[test]
fn certificates_crls_and_pem() {
    let s = seeds();
    fuzz("certificates_crls_and_pem", |u| {
        let edits: Edits = u.arbitrary()?;
        doorbraak_fuzz::certificate(&mutate(&s.cert, &edits), &s.anchors);
        doorbraak_fuzz::crl(&mutate(&s.crl, &edits), &s.live);
        doorbraak_fuzz::pem(&mutate(&s.pem, &edits));
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::certificate(&bytes, &s.anchors);
        doorbraak_fuzz::crl(&bytes, &s.live);
        doorbraak_fuzz::pem(&bytes);
        Ok(())
    });
}

/// JSON and form bodies through the node's real HTTP router (one node, SQLite): whatever the
/// body, the answer is a 2xx or a 4xx with a rule, never a 5xx or a panic.
#[test]
fn json_and_form_bodies() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async {
        let dir =
            std::env::temp_dir().join(format!("doorbraak-fuzz-http-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::copy(
            root.join("deploy/examples/directory.json"),
            dir.join("directory.json"),
        )
        .unwrap();
        let text = std::fs::read_to_string(root.join("deploy/examples/node.toml")).unwrap();
        let settings = doorbraak_node::NodeConfig::from_toml(
            &text,
            &dir.join("node.toml"),
            &dir,
            vec![
                ("DOORBRAAK__HTTP__API_BURST".into(), "0".into()),
                ("DOORBRAAK__HTTP__API_PER_SECOND".into(), "0".into()),
                ("DOORBRAAK__HTTP__LOGIN_BURST".into(), "0".into()),
                ("DOORBRAAK__HTTP__LOGIN_PERIOD_SECS".into(), "0".into()),
            ],
        )
        .unwrap();
        let node = doorbraak_node::server::open(settings).await.unwrap();
        doorbraak_node::server::http_router(node)
    });
    const PATHS: [(&str, &str); 6] = [
        ("/api/v1/cases", "application/json"),
        ("/api/v1/escalations", "application/json"),
        ("/api/v1/kwesties", "application/json"),
        ("/api/v1/meetings", "application/json"),
        ("/api/v1/recommendations", "application/json"),
        ("/inloggen/dev", "application/x-www-form-urlencoded"),
    ];
    let valid = br#"{"case_ref":"LT-9","situation":"agreements_not_kept","first_step":"management","counterparts":["00000001000000000020"],"question":"Wachtlijst","needs":"Start hulp","seeking_youth_help_access":false}"#;
    fuzz("json_and_form_bodies", |u| {
        let (which, mutated, edits, raw): (u8, bool, Edits, Vec<u8>) = u.arbitrary()?;
        let (path, content_type) = PATHS[usize::from(which) % PATHS.len()];
        let body = if mutated { mutate(valid, &edits) } else { raw };
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header("authorization", "Bearer dev-eva-teammanager")
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let status = rt.block_on(app.clone().oneshot(req)).unwrap().status();
        assert!(!status.is_server_error(), "{path}: {status}");
        Ok(())
    });
}

#[test]
fn replica_acceptance() {
    let s = seeds();
    fuzz("replica_acceptance", |u| {
        let bytes: Vec<u8> = u.arbitrary()?;
        doorbraak_fuzz::replica_acceptance(&bytes);
        let edits: Edits = u.arbitrary()?;
        doorbraak_fuzz::replica_acceptance(&mutate(&s.deliver, &edits));
        Ok(())
    });
}

/// The seed corpus of the libFuzzer targets (`fuzz/corpus/TARGET/`): every target has seeds,
/// and the structured ones decode as what they seed. `DOORBRAAK_FUZZ_WRITE_SEEDS=1` writes them
/// anew from [`seeds`] first.
#[test]
fn seed_corpus() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    if std::env::var_os("DOORBRAAK_FUZZ_WRITE_SEEDS").is_some() {
        let s = seeds();
        let open_json = br#"{"case_ref":"LT-9","situation":"agreements_not_kept","first_step":"management","counterparts":["00000001000000000020"],"question":"Wachtlijst","needs":"Start hulp","seeking_youth_help_access":false}"#;
        let case_json = br#"{"case_ref":"LT-9","title":"Gezin"}"#;
        let with = |first: u8, rest: &[u8]| [&[first][..], rest].concat();
        let mut seeds: Vec<(&str, String, Vec<u8>)> = vec![
            ("grpc_messages", "deliver".into(), s.deliver.clone()),
            ("replica_acceptance", "deliver".into(), s.deliver.clone()),
            ("directory_manifest", "signed".into(), s.manifest.clone()),
            ("minutes_bundle", "scheduled".into(), s.bundle.clone()),
            ("certificates", "node".into(), s.cert.clone()),
            ("crl", "one-revoked".into(), s.crl.clone()),
            ("pem", "ca".into(), s.pem.clone()),
            ("http_bodies", "case".into(), with(0, case_json)),
            ("http_bodies", "open".into(), with(1, open_json)),
            (
                "http_bodies",
                "login-form".into(),
                with(7, b"_csrf=x&user=anna"),
            ),
            (
                "list_queries",
                "escalations".into(),
                with(0, b"status=open&step=2&sort=newest&limit=10&zoek=LT"),
            ),
            (
                "list_queries",
                "access-log".into(),
                with(0x84, b"user_id=anna&limit=5"),
            ),
            (
                "list_queries",
                "trend".into(),
                with(6, b"from=2026-01-01&to=2026-06-30"),
            ),
        ];
        for (i, e) in s.events.iter().chain(s.commands.iter()).enumerate() {
            seeds.push(("canonical", format!("value-{i}"), e.clone()));
        }
        for (target, name, bytes) in seeds {
            let dir = corpus.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let read = |target: &str| -> Vec<Vec<u8>> {
        let dir = corpus.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|f| std::fs::read(f.unwrap().path()).unwrap())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds for {target}");
        files
    };
    for target in [
        "grpc_messages",
        "canonical",
        "replica_acceptance",
        "directory_manifest",
        "minutes_bundle",
        "certificates",
        "crl",
        "pem",
        "http_bodies",
        "list_queries",
    ] {
        read(target);
    }
    for d in read("grpc_messages") {
        doorbraak_proto::v1::DeliverRequest::decode(d.as_slice()).unwrap();
    }
    for c in read("canonical") {
        let event = doorbraak_model::canonical::from_slice::<
            doorbraak_model::Event<doorbraak_model::EscalationEvent>,
        >(&c);
        let command = doorbraak_model::canonical::from_slice::<EscalationCommand>(&c);
        assert!(event.is_ok() || command.is_ok(), "a canonical seed decodes");
    }
    for m in read("directory_manifest") {
        let signed: doorbraak_federation::directory::SignedManifest =
            serde_json::from_slice(&m).unwrap();
        assert!(!signed.manifest.members.is_empty());
    }
    for b in read("minutes_bundle") {
        serde_json::from_slice::<doorbraak_federation::signing::MinutesBundle>(&b).unwrap();
    }
    for c in read("certificates") {
        doorbraak_federation::identity::PeerIdentity::from_der(&c).unwrap();
    }
}
