//! `doorbraak demo`: a small federation on this machine. Four organisation nodes (a
//! municipality, a local team, Veilig Thuis and a GI) on loopback, each with its own SQLite file
//! and development certificates, seeded with a realistic scenario, until Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use doorbraak_federation::directory::Member;
use doorbraak_federation::pki::PkiDir;
use doorbraak_model::escalation::EscalationCommand as C;
use doorbraak_model::kwestie::{Consulted, KwestieCommand, KwestieRoute, Preparation};
use doorbraak_model::learning::RecommendationCommand;
use doorbraak_model::{
    Actor, CaseRef, Escalation, EscalationId, Kwestie, KwestieCategory, KwestieId, Oin, OrgKind,
    OrgRef, Participant, PersonId, Recommendation, RecommendationId, RecommendationOrigin, Role,
    Situation, Step, Timestamp,
};
use doorbraak_node::Node;
use serde::Serialize;

struct Org {
    slug: &'static str,
    oin: &'static str,
    name: &'static str,
    kind: OrgKind,
    users: &'static [(&'static str, &'static str, Role)],
    roles: &'static [&'static str],
    /// The organisation's colour in its web UI (`[web.theme] primary`).
    colour: &'static str,
}

const ORGS: [Org; 4] = [
    Org {
        slug: "gemeente",
        oin: "00000001000000000040",
        name: "Gemeente Utrecht",
        kind: OrgKind::Municipality,
        users: &[
            ("ilse", "Ilse Wethouder", Role::Alderman),
            ("joost", "Joost Beleid", Role::CivilServant),
            ("quinten", "Quinten Kwaliteit", Role::QualityOfficer),
            ("beheer", "Beheer Gemeente", Role::Admin),
        ],
        roles: &["oversight:utrecht"],
        colour: "#a4121c",
    },
    Org {
        slug: "lokaal-team",
        oin: "00000001000000000010",
        name: "Lokaal Team Utrecht-West",
        kind: OrgKind::LocalTeam,
        users: &[
            ("anna", "Anna de Vries", Role::Professional),
            ("carla", "Carla Jansen", Role::BehaviouralScientist),
            ("eva", "Eva Bakker", Role::TeamManager),
            ("frank", "Frank Visser", Role::Director),
            ("hans", "Hans Bestuurder", Role::BoardMember),
            ("beheer", "Beheer Lokaal Team", Role::Admin),
        ],
        roles: &[],
        colour: "#0b4a8b",
    },
    Org {
        slug: "veilig-thuis",
        oin: "00000001000000000020",
        name: "Veilig Thuis Utrecht",
        kind: OrgKind::VeiligThuis,
        users: &[
            ("bram", "Bram Smit", Role::Professional),
            ("daan", "Daan Mulder", Role::BehaviouralScientist),
            ("vera", "Vera de Wit", Role::TeamManager),
            ("gerda", "Gerda de Boer", Role::Director),
        ],
        roles: &[],
        colour: "#5c2d91",
    },
    Org {
        slug: "gi",
        oin: "00000001000000000030",
        name: "GI Samen Veilig Midden-Nederland",
        kind: OrgKind::CertifiedInstitution,
        users: &[
            ("kees", "Kees Jeugdbeschermer", Role::Professional),
            (
                "lotte",
                "Lotte Gedragswetenschapper",
                Role::BehaviouralScientist,
            ),
            ("mark", "Mark Teammanager", Role::TeamManager),
            ("nina", "Nina Directeur", Role::Director),
        ],
        roles: &[],
        colour: "#1d5e20",
    },
];

/// A simple logo for a demo organisation: its initials on its colour.
fn logo(org: &Org) -> String {
    let initials: String = org
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_uppercase())
        .take(2)
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">\
         <circle cx=\"32\" cy=\"32\" r=\"30\" fill=\"#ffffff\"/>\
         <text x=\"32\" y=\"41\" font-family=\"sans-serif\" font-size=\"24\" font-weight=\"700\" \
         text-anchor=\"middle\" fill=\"{}\">{initials}</text></svg>\n",
        org.colour
    )
}

fn token(org: &Org, user: &str) -> String {
    format!("demo-{}-{user}", org.slug)
}

#[derive(Serialize)]
struct FederationJson {
    organisations: Vec<OrgJson>,
}

#[derive(Serialize)]
struct OrgJson {
    name: String,
    oin: String,
    kind: OrgKind,
    grpc: String,
    http: String,
    users: Vec<UserJson>,
}

#[derive(Serialize)]
struct UserJson {
    name: String,
    role: Role,
    token: String,
    /// The web UI's login page for this development account.
    login: String,
}

/// Free loopback ports: bind port 0, note the port, release it.
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    Ok(listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()?)
}

/// Prepare DIR: reuse it only if it holds a previous demo (then reset that), or is empty.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let previous = dir.join("federation.json").exists();
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if previous {
            for sub in ["pki", "nodes"] {
                let p = dir.join(sub);
                if p.exists() {
                    std::fs::remove_dir_all(&p)
                        .with_context(|| format!("resetting {}", p.display()))?;
                }
            }
            std::fs::remove_file(dir.join("federation.json"))?;
        } else if !empty {
            bail!(
                "{} is not empty and holds no previous demo; choose another --dir",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

pub struct Running {
    pub stop: tokio::sync::watch::Sender<bool>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Build the federation in `dir`, start the nodes, seed them. Returns the running nodes.
pub async fn start(dir: &Path) -> anyhow::Result<Running> {
    prepare_dir(dir)?;
    // node configs name files by absolute path (a relative --dir would otherwise be resolved
    // against each node's own directory)
    let dir =
        &std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
    let pki = PkiDir(dir.join("pki"));
    pki.init_ca("Doorbraak demofederatie Utrecht")?;
    let ports = free_ports(ORGS.len() * 2)?;
    let mut members = Vec::new();
    for (i, org) in ORGS.iter().enumerate() {
        pki.issue_node(org.oin, org.name, &["localhost".into(), "127.0.0.1".into()])?;
        members.push(Member {
            oin: Oin::parse(org.oin).map_err(|e| anyhow::anyhow!("{e}"))?,
            name: org.name.into(),
            kind: org.kind,
            region: "utrecht".into(),
            endpoint: format!("127.0.0.1:{}", ports[2 * i + 1]),
            certificates: Vec::new(),
            roles: org.roles.iter().map(|r| (*r).to_owned()).collect(),
            person_roles: Vec::new(),
        });
    }
    let manifest = dir.join("pki").join("directory.json");
    // the region's operator signs the directory with a key of its own
    let operator = doorbraak_federation::operator::OperatorDir(dir.join("pki").join("operator"));
    doorbraak_federation::operator::sign_dev_manifest(
        &operator,
        &pki,
        "Doorbraak demofederatie Utrecht",
        members,
        &manifest,
    )?;

    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut nodes = Vec::new();
    let mut tasks = Vec::new();
    let mut orgs_json = Vec::new();
    for (i, org) in ORGS.iter().enumerate() {
        let node_dir = dir.join("nodes").join(org.slug);
        std::fs::create_dir_all(&node_dir)?;
        let files = pki.node_files(org.oin);
        let mut toml = format!(
            "[node]\noin = \"{oin}\"\nname = \"{name}\"\nkind = \"{kind}\"\ndata_dir = \"data\"\n\n\
             [http]\nlisten = \"127.0.0.1:{http}\"\napi_burst = 20000\napi_per_second = 2000\n\n[grpc]\nlisten = \"127.0.0.1:{grpc}\"\n\n\
             [tls]\nca = \"{ca}\"\ncert = \"{cert}\"\nkey = \"{key}\"\ncrl = \"{crl}\"\n\n\
             [directory]\nmanifest = \"{manifest}\"\noperator = \"{operator}\"\n\n[sweeper]\ninterval_secs = 5\n\n\
             [web]\ndev_login = true\n\n[web.theme]\nlogo = \"logo.svg\"\nprimary = \"{colour}\"\nlink = \"{colour}\"\n\n\
             [mail]\nfile_dir = \"mail\"\nfrom = \"doorbraak@{slug}.example\"\nbase_url = \"http://127.0.0.1:{http}\"\nfrom_hour = 0\nuntil_hour = 24\n\n\
             [dev]\nclock_adjustable = true\n",
            oin = org.oin,
            name = org.name,
            kind = serde_json::to_value(org.kind)?.as_str().unwrap_or_default(),
            http = ports[2 * i],
            grpc = ports[2 * i + 1],
            ca = files.ca.display(),
            cert = files.cert.display(),
            key = files.key.display(),
            crl = files.crl.display(),
            manifest = manifest.display(),
            operator = operator.cert().display(),
            colour = org.colour,
            slug = org.slug,
        );
        std::fs::write(node_dir.join("logo.svg"), logo(org))?;
        let mut users = Vec::new();
        for (id, name, role) in org.users {
            let t = token(org, id);
            toml.push_str(&format!(
                "\n[[dev_users]]\nid = \"{id}\"\nname = \"{name}\"\nrole = \"{}\"\ntoken = \"{t}\"\n{}",
                role.code(),
                // everyone but the administrator has an address (mail is issue #14's next part)
                if *role == Role::Admin {
                    String::new()
                } else {
                    format!("email = \"{id}@{}.example\"\n", org.slug)
                }
            ));
            users.push(UserJson {
                name: (*name).into(),
                role: *role,
                token: t,
                login: format!("http://127.0.0.1:{}/inloggen?als={id}", ports[2 * i]),
            });
        }
        let config = node_dir.join("node.toml");
        std::fs::write(&config, &toml)?;
        let settings = doorbraak_node::NodeConfig::load(&config, std::env::vars())?;
        let node = doorbraak_node::server::open(settings).await?;
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<doorbraak_node::server::Bound>();
        let mut srx = stop_rx.clone();
        let n = node.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = srx.changed().await;
            };
            if let Err(e) = doorbraak_node::server::run(n, shutdown, move |b| {
                let _ = ready_tx.send(b);
            })
            .await
            {
                tracing::error!(error = %e, "node failed");
            }
        }));
        let bound = tokio::time::timeout(Duration::from_secs(30), ready_rx)
            .await
            .context("node did not start in time")??;
        orgs_json.push(OrgJson {
            name: org.name.into(),
            oin: org.oin.into(),
            kind: org.kind,
            grpc: bound
                .grpc
                .map(|g: SocketAddr| g.to_string())
                .unwrap_or_default(),
            http: format!("http://{}", bound.http),
            users,
        });
        nodes.push(node.node);
    }
    let json = serde_json::to_string_pretty(&FederationJson {
        organisations: orgs_json,
    })?;
    seed(&nodes).await.context("seeding the demo scenario")?;
    std::fs::write(dir.join("federation.json"), json)?;
    drop(nodes);
    Ok(Running { stop, tasks })
}

fn oin(s: &str) -> anyhow::Result<Oin> {
    Oin::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

fn person(org: usize, id: &str) -> anyhow::Result<Actor> {
    let o = &ORGS[org];
    let (_, _, role) = o
        .users
        .iter()
        .find(|(u, _, _)| *u == id)
        .ok_or_else(|| anyhow::anyhow!("no demo user {id}"))?;
    Ok(Actor::person(id, *role, oin(o.oin)?))
}

fn part(org: usize, id: &str) -> anyhow::Result<Participant> {
    let o = &ORGS[org];
    let (_, name, role) = o
        .users
        .iter()
        .find(|(u, _, _)| *u == id)
        .ok_or_else(|| anyhow::anyhow!("no demo user {id}"))?;
    Ok(Participant {
        person: PersonId::new(id),
        name: (*name).into(),
        role: *role,
        org: oin(o.oin)?,
    })
}

fn org_ref(org: usize) -> anyhow::Result<OrgRef> {
    Ok(OrgRef {
        oin: oin(ORGS[org].oin)?,
        kind: ORGS[org].kind,
    })
}

const GEMEENTE: usize = 0;
const LT: usize = 1;
const VT: usize = 2;
const GI: usize = 3;

/// Wait until the escalation's replica exists on `node` (delivered by its home).
async fn replicated(node: &Node, id: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if node.holds::<Escalation>(id).await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("escalation {id} did not reach {}", node.oin())
}

async fn case(node: &Node, case_ref: &str, title: &str, by: &str) -> anyhow::Result<CaseRef> {
    let user = doorbraak_node::User {
        id: by.into(),
        name: by.into(),
        role: Role::Professional,
    };
    node.create_case(&user, case_ref, title, None).await?;
    CaseRef::parse(case_ref).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The scenario of DOMAIN.md: a situation-2 waiting-list escalation at step 2, a situation-1
/// dilemma at step 1 with behavioural scientists, one overdue step, and a few kwesties.
async fn seed(nodes: &[Arc<Node>]) -> anyhow::Result<()> {
    let policy = nodes[LT].settings.policy;

    // 1. Situation 2 (waiting list at Veilig Thuis), local team -> Veilig Thuis, step 2.
    let c1 = case(
        &nodes[LT],
        "LT-2026-0042",
        "Gezin Jansen (pseudoniem)",
        "anna",
    )
    .await?;
    let e1 = EscalationId(nodes[LT].new_stream_id());
    nodes[LT]
        .execute::<Escalation>(
            &person(LT, "anna")?,
            &e1.to_string(),
            &C::Open {
                id: e1,
                home: org_ref(LT)?,
                counterparts: vec![org_ref(VT)?],
                case_ref: c1,
                situation: Situation::AgreementsNotKept,
                first_step: Step::Management,
                participants: vec![part(LT, "anna")?, part(LT, "eva")?],
                question: "De wachtlijst bij Veilig Thuis houdt het onderzoek al 6 weken tegen; wij vragen start binnen 5 werkdagen.".into(),
                needs: "Een veiligheidsplan en traumabehandeling voor de kinderen (8 en 11).".into(),
                seeking_youth_help_access: false,
                policy,
            },
            "open")
        .await?;
    replicated(&nodes[VT], &e1.to_string()).await?;
    nodes[VT]
        .execute::<Escalation>(
            &person(VT, "gerda")?,
            &e1.to_string(),
            &C::PickUp { name: None },
            "pick_up",
        )
        .await?;

    // 1b. Their managers met; the minutes were approved (and signed) by both organisations.
    minutes_approved_by_two(nodes, e1).await?;

    // 2. Situation 1 (professional dilemma), GI -> local team, step 1 with behavioural scientists.
    let c2 = case(
        &nodes[GI],
        "GI-2026-0107",
        "Gezin El Amrani (pseudoniem)",
        "kees",
    )
    .await?;
    let e2 = EscalationId(nodes[GI].new_stream_id());
    nodes[GI]
        .execute::<Escalation>(
            &person(GI, "kees")?,
            &e2.to_string(),
            &C::Open {
                id: e2,
                home: org_ref(GI)?,
                counterparts: vec![org_ref(LT)?],
                case_ref: c2,
                situation: Situation::ProfessionalDilemma,
                first_step: Step::BehaviouralScientists,
                participants: vec![part(GI, "kees")?, part(GI, "lotte")?],
                question: "Wij verschillen van inzicht of uithuisplaatsing nu nodig is; wij vragen een overleg van de gedragswetenschappers.".into(),
                needs: "Duidelijkheid over de volgende stap om de veiligheid te herstellen.".into(),
                seeking_youth_help_access: false,
                policy,
            },
            "open")
        .await?;
    replicated(&nodes[LT], &e2.to_string()).await?;
    nodes[LT]
        .execute::<Escalation>(
            &person(LT, "carla")?,
            &e2.to_string(),
            &C::AddParticipant {
                participant: part(LT, "carla")?,
            },
            "add_participant",
        )
        .await?;

    // 3. An overdue step: Veilig Thuis -> GI, situation 3, opened 20 days ago, never picked up.
    let c3 = case(
        &nodes[VT],
        "VT-2026-0311",
        "Melding 0311 (pseudoniem)",
        "bram",
    )
    .await?;
    let e3 = EscalationId(nodes[VT].new_stream_id());
    let weeks_ago = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * 20))
        .unwrap_or_else(|_| Timestamp::now());
    nodes[VT]
        .execute_at::<Escalation>(
            &person(VT, "bram")?,
            &e3.to_string(),
            &C::Open {
                id: e3,
                home: org_ref(VT)?,
                counterparts: vec![org_ref(GI)?],
                case_ref: c3,
                situation: Situation::Conduct,
                first_step: Step::Management,
                participants: vec![part(VT, "bram")?, part(VT, "vera")?],
                question: "Afspraken over de overdracht worden herhaaldelijk niet nagekomen door de casusregisseur; wij vragen een managementgesprek.".into(),
                needs: "Een vaste contactpersoon bij de GI en een overdracht binnen 10 dagen.".into(),
                seeking_youth_help_access: false,
                policy,
            },
            weeks_ago,
        )
        .await?;
    nodes[VT].sweep().await?;

    // 3b. A second overdue step at another organisation: GI -> Veilig Thuis, situation 2,
    //     opened 16 days ago (so that the alderman's view may show it: two organisations).
    let e4 = EscalationId(nodes[GI].new_stream_id());
    let two_weeks_ago = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * 16))
        .unwrap_or_else(|_| Timestamp::now());
    nodes[GI]
        .execute_at::<Escalation>(
            &person(GI, "kees")?,
            &e4.to_string(),
            &C::Open {
                id: e4,
                home: org_ref(GI)?,
                counterparts: vec![org_ref(VT)?],
                case_ref: CaseRef::parse("GI-2026-0107").map_err(|e| anyhow::anyhow!("{e}"))?,
                situation: Situation::AgreementsNotKept,
                first_step: Step::Management,
                participants: vec![part(GI, "kees")?, part(GI, "mark")?],
                question: "Het onderzoek van Veilig Thuis is na 6 weken nog niet gestart; wij vragen een managementgesprek.".into(),
                needs: "Een startdatum voor het onderzoek.".into(),
                seeking_youth_help_access: false,
                policy,
            },
            two_weeks_ago,
        )
        .await?;
    nodes[GI].sweep().await?;

    // 3c. Waiting lists keep help from starting at several organisations: more open
    //     situation-2 escalations at step 2, so that the alderman's view shows a figure of 5
    //     and more next to suppressed small ones.
    let more = [
        (
            LT,
            GI,
            "anna",
            "LT-2026-0051",
            "Gezin de Graaf (pseudoniem)",
        ),
        (LT, GI, "anna", "LT-2026-0057", "Gezin Bos (pseudoniem)"),
        (VT, LT, "bram", "VT-2026-0320", "Melding 0320 (pseudoniem)"),
        (VT, LT, "bram", "VT-2026-0324", "Melding 0324 (pseudoniem)"),
    ];
    for (n, (home, other, by, case_ref, title)) in more.into_iter().enumerate() {
        let c = case(&nodes[home], case_ref, title, by).await?;
        let id = EscalationId(nodes[home].new_stream_id());
        let days = i64::try_from(n).unwrap_or(0) + 2;
        let opened = Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(24 * days))
            .unwrap_or_else(|_| Timestamp::now());
        nodes[home]
            .execute_at::<Escalation>(
                &person(home, by)?,
                &id.to_string(),
                &C::Open {
                    id,
                    home: org_ref(home)?,
                    counterparts: vec![org_ref(other)?],
                    case_ref: c,
                    situation: Situation::AgreementsNotKept,
                    first_step: Step::Management,
                    participants: vec![part(home, by)?],
                    question: "De afgesproken hulp start niet binnen de termijn door een wachtlijst; wij vragen het management om een doorbraak.".into(),
                    needs: "Start van de afgesproken hulp binnen 2 weken.".into(),
                    seeking_youth_help_access: false,
                    policy,
                },
                opened,
            )
            .await?;
    }

    // 4. Kwesties at the local team and Veilig Thuis.
    let prep = |with: &[Consulted]| Preparation {
        own_reach_done: true,
        discussed_with: with.iter().copied().collect(),
        knows_what_and_whom: true,
    };
    let k1 = KwestieId(uuid::Uuid::now_v7());
    nodes[LT]
        .execute::<Kwestie>(
            &person(LT, "anna")?,
            &k1.to_string(),
            &KwestieCommand::Raise {
                id: k1,
                case_ref: Some(CaseRef::parse("LT-2026-0042").map_err(|e| anyhow::anyhow!("{e}"))?),
                obstacle: "Geen plek voor dagbehandeling binnen 12 weken bij de hoofdaannemer."
                    .into(),
                categories: [
                    KwestieCategory::WaitingList,
                    KwestieCategory::HelpDoesNotStart,
                ]
                .into(),
                preparation: prep(&[Consulted::Team, Consulted::CareMediation]),
                child_needs: "Dagbehandeling binnen 2 weken (met gedragswetenschapper opgesteld)."
                    .into(),
                facilities_needed: "Mandaat om overbruggingszorg in te kopen.".into(),
                route: KwestieRoute {
                    to_team_manager: true,
                    on_team_agenda: true,
                },
                policy,
            },
            "raise",
        )
        .await?;
    nodes[LT]
        .execute::<Kwestie>(
            &person(LT, "eva")?,
            &k1.to_string(),
            &KwestieCommand::PickUp,
            "pick_up",
        )
        .await?;
    let k2 = KwestieId(uuid::Uuid::now_v7());
    nodes[LT]
        .execute::<Kwestie>(
            &person(LT, "carla")?,
            &k2.to_string(),
            &KwestieCommand::Raise {
                id: k2,
                case_ref: None,
                obstacle:
                    "Dubbele registratie van verslagen voor de gemeente kost elke week een dag."
                        .into(),
                categories: [KwestieCategory::NeedlessPaperwork].into(),
                preparation: prep(&[Consulted::TeamManager]),
                child_needs: String::new(),
                facilities_needed: "Een koppeling of vrijstelling.".into(),
                route: KwestieRoute {
                    to_team_manager: false,
                    on_team_agenda: true,
                },
                policy,
            },
            "raise",
        )
        .await?;
    let k3 = KwestieId(uuid::Uuid::now_v7());
    nodes[VT]
        .execute::<Kwestie>(
            &person(VT, "bram")?,
            &k3.to_string(),
            &KwestieCommand::Raise {
                id: k3,
                case_ref: None,
                obstacle: "Te weinig gezinsmanagers voor de instroom van deze maand.".into(),
                categories: [KwestieCategory::TooFewFamilyManagers].into(),
                preparation: prep(&[Consulted::Team, Consulted::TeamManager]),
                child_needs: String::new(),
                facilities_needed: "Tijdelijke inhuur.".into(),
                route: KwestieRoute {
                    to_team_manager: true,
                    on_team_agenda: false,
                },
                policy,
            },
            "raise",
        )
        .await?;

    // 5. The municipality's recommendations register, from the last periodic evaluation.
    let due = jiff::civil::date(2027, 3, 1);
    for (title, text) in [
        (
            "Wachtlijstafspraken Veilig Thuis vastleggen",
            "Leg met Veilig Thuis vast binnen welke termijn een onderzoek start en wie overbrugt.",
        ),
        (
            "Overdracht lokaal team naar GI binnen 10 dagen",
            "Maak één overdrachtsformat en een vaste contactpersoon per casus.",
        ),
    ] {
        let id = RecommendationId(uuid::Uuid::now_v7());
        nodes[GEMEENTE]
            .execute::<Recommendation>(
                &person(GEMEENTE, "quinten")?,
                &id.to_string(),
                &RecommendationCommand::Create {
                    id,
                    origin: RecommendationOrigin::Evaluation("Evaluatie Q3 2026".into()),
                    title: title.into(),
                    text: text.into(),
                    owner: PersonId::new("joost"),
                    due,
                    share_text: false,
                },
                "create",
            )
            .await?;
    }
    Ok(())
}

async fn minutes_approved_by_two(nodes: &[Arc<Node>], esc: EscalationId) -> anyhow::Result<()> {
    use doorbraak_model::minutes::content_hash;
    use doorbraak_model::{DocTarget, Meeting, MeetingId, Minutes, MinutesCommand, MinutesId};
    let id = MinutesId(nodes[LT].new_stream_id());
    let eva = person(LT, "eva")?;
    let gerda = person(VT, "gerda")?;
    nodes[LT]
        .execute::<Minutes>(
            &eva,
            &id.to_string(),
            &MinutesCommand::Schedule {
                id,
                meeting: Meeting {
                    id: MeetingId(uuid::Uuid::now_v7()),
                    escalation: esc,
                    step: Step::Management,
                    date: nodes[LT].now(),
                    participants: vec![part(LT, "eva")?, part(VT, "gerda")?],
                    agenda:
                        "1. Wachtlijst Veilig Thuis\n2. Afspraken over de start van het onderzoek"
                            .into(),
                },
                policy: nodes[LT].settings.policy,
            },
            "schedule",
        )
        .await?;
    let text = "Aanwezig: Eva Bakker (teammanager, Lokaal Team), Gerda de Boer (directeur, Veilig Thuis).\n\
                Afspraak: Veilig Thuis start het onderzoek uiterlijk vrijdag; het lokaal team regelt \
                overbruggingszorg tot dan. Evaluatie over twee weken.";
    let sid = id.to_string();
    nodes[LT]
        .execute::<Minutes>(
            &eva,
            &sid,
            &MinutesCommand::Draft {
                content: text.into(),
            },
            "draft",
        )
        .await?;
    nodes[LT]
        .execute::<Minutes>(
            &eva,
            &sid,
            &MinutesCommand::Circulate {
                target: DocTarget::Main,
            },
            "circulate",
        )
        .await?;
    let hash = content_hash(text);
    for (i, who) in [(LT, &eva), (VT, &gerda)] {
        // the approving node needs its replica (delivered by the home) to sign
        let mut m = None;
        for _ in 0..200 {
            m = nodes[i]
                .minutes(&sid)
                .await?
                .filter(|m| m.main.as_ref().is_some_and(|d| d.circulated == Some(1)));
            if m.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let m = m.ok_or_else(|| anyhow::anyhow!("minutes did not reach {}", ORGS[i].name))?;
        let signature = nodes[i].sign_approval(&m, DocTarget::Main, 1, &hash, who)?;
        nodes[i]
            .execute::<Minutes>(
                who,
                &sid,
                &MinutesCommand::Approve {
                    target: DocTarget::Main,
                    revision: 1,
                    content_hash: hash.clone(),
                    signature,
                },
                "approve",
            )
            .await?;
    }
    Ok(())
}

pub fn print_summary(dir: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dir.join("federation.json"))?;
    let f: serde_json::Value = serde_json::from_str(&text)?;
    println!(
        "Doorbraak demo federation is running. Details: {}",
        dir.join("federation.json").display()
    );
    println!();
    for org in f["organisations"].as_array().into_iter().flatten() {
        println!(
            "{}  (OIN {}, {})",
            org["name"].as_str().unwrap_or_default(),
            org["oin"].as_str().unwrap_or_default(),
            org["kind"].as_str().unwrap_or_default()
        );
        println!(
            "  API   {}/api/v1   (OpenAPI: {}/api/v1/openapi.json)",
            org["http"].as_str().unwrap_or_default(),
            org["http"].as_str().unwrap_or_default()
        );
        println!(
            "  gRPC  {} (mutual TLS)",
            org["grpc"].as_str().unwrap_or_default()
        );
        println!(
            "  Web   {}/   (in Dutch; English at the top right)",
            org["http"].as_str().unwrap_or_default()
        );
        for u in org["users"].as_array().into_iter().flatten() {
            println!(
                "  user  {:<28} {:<22} log in: {}   API token {}",
                u["name"].as_str().unwrap_or_default(),
                u["role"].as_str().unwrap_or_default(),
                u["login"].as_str().unwrap_or_default(),
                u["token"].as_str().unwrap_or_default()
            );
        }
        println!();
    }
    println!(
        "Try: curl -H 'Authorization: Bearer demo-veilig-thuis-gerda' <Veilig Thuis API>/escalations"
    );
    println!("Stop with Ctrl-C.");
    Ok(())
}

pub async fn run(
    dir: PathBuf,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let running = start(&dir).await?;
    print_summary(&dir)?;
    shutdown.await;
    let _ = running.stop.send(true);
    for t in running.tasks {
        let _ = t.await;
    }
    println!("demo stopped; data kept in {}", dir.display());
    Ok(())
}
