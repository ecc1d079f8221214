//! Notification mails through a real SMTP server on loopback (Debian's python3-aiosmtpd,
//! writing what it receives to a maildir): a kwestie waits for the team manager, who gets one
//! mail with what waits, by when and a link — nothing of the case; while the server is down
//! nothing is lost, and after it returns the mail arrives once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use doorbraak_app::ops;
use doorbraak_model::Role;
use doorbraak_model::kwestie::{Consulted, KwestieRoute, Preparation};

#[path = "../../../tests/support/smtp.rs"]
#[allow(dead_code)]
mod smtp;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mails(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

fn person(id: &str, role: Role) -> doorbraak_node::User {
    doorbraak_node::User {
        id: id.into(),
        name: id.into(),
        role,
    }
}

/// Days ahead to the next working day from `ahead` days on (the mails of a pick-up go out on
/// working days only).
fn working_day_from(node: &doorbraak_node::Node, ahead: i64) -> i64 {
    let base = node.now().as_second() - node.clock_offset_days() * 86_400;
    (ahead..ahead + 10)
        .find(|d| {
            let t = jiff::Timestamp::from_second(base + d * 86_400).unwrap();
            doorbraak_model::calendar::is_working_day(doorbraak_app::time::date(t))
        })
        .unwrap()
}

/// The example node, mailing to an SMTP server on a free loopback port at any hour (the test
/// picks a working day with the development clock), with its directory and that port.
async fn node_with_mail() -> (std::sync::Arc<doorbraak_node::Node>, PathBuf, u16) {
    let dir = std::env::temp_dir().join(format!("doorbraak-mail-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(
        root.join("deploy/examples/directory.json"),
        dir.join("directory.json"),
    )
    .unwrap();
    let port = free_port();
    let text = std::fs::read_to_string(root.join("deploy/examples/node.toml")).unwrap();
    let vars: Vec<(String, String)> = [
        ("DOORBRAAK__DEV__CLOCK_ADJUSTABLE", "true".to_owned()),
        ("DOORBRAAK__MAIL__HOST", "127.0.0.1".to_owned()),
        ("DOORBRAAK__MAIL__PORT", port.to_string()),
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
        ("DOORBRAAK__MAIL__TIMEOUT_SECS", "5".to_owned()),
        ("DOORBRAAK__MAIL__DIGEST_HOUR", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings =
        doorbraak_node::NodeConfig::from_toml(&text, &dir.join("node.toml"), &dir, vars).unwrap();
    let node = doorbraak_node::server::open(settings).await.unwrap();
    (node.node, dir, port)
}

/// The development clock on to the next working day.
async fn next_working_day(node: &doorbraak_node::Node) {
    let days = working_day_from(node, node.clock_offset_days() + 1);
    ops::admin::set_clock(node, &person("beheer", Role::Admin), days)
        .await
        .unwrap();
}

fn raise_request(obstacle: &str) -> ops::kwesties::RaiseKwestieRequest {
    ops::kwesties::RaiseKwestieRequest {
        case_ref: None,
        obstacle: obstacle.into(),
        categories: [doorbraak_model::KwestieCategory::WaitingList].into(),
        preparation: Preparation {
            own_reach_done: true,
            discussed_with: [Consulted::Team].into(),
            knows_what_and_whom: true,
        },
        child_needs: "MARKER-7Q".into(),
        facilities_needed: String::new(),
        route: KwestieRoute {
            to_team_manager: true,
            on_team_agenda: false,
        },
    }
}

#[tokio::test]
async fn who_chose_the_daily_digest_gets_one_mail_a_day_of_everything_that_waited() {
    if !smtp::available() {
        return;
    }
    let (node, dir, port) = node_with_mail().await;
    let smtp = smtp::start(port, &dir.join("maildir")).await;
    let admin = person("beheer", Role::Admin);
    ops::admin::set_clock(&node, &admin, working_day_from(&node, 0))
        .await
        .unwrap();
    let eva = person("eva", Role::TeamManager);
    ops::admin::logged_in(
        &node,
        &eva,
        ops::admin::LoginSource::Oidc,
        Some("eva@lokaal-team.example"),
    )
    .await
    .unwrap();
    ops::inbox::set_digest(&node, &eva, true).await.unwrap();
    let anna = person("anna", Role::Professional);
    for obstacle in ["MARKER-7Q: een", "MARKER-7Q: twee"] {
        ops::kwesties::raise(&node, &anna, raise_request(obstacle), None)
            .await
            .unwrap();
    }
    assert_eq!(node.send_mails().await.unwrap(), 1, "one digest");
    let got = mails(&smtp.maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("Subject: Doorbraak: 2 meldingen voor u"),
        "{}",
        got[0]
    );
    assert!(!got[0].contains("MARKER"), "{}", got[0]);
    // a third the same day waits for tomorrow's digest
    ops::kwesties::raise(&node, &anna, raise_request("MARKER-7Q: drie"), None)
        .await
        .unwrap();
    assert_eq!(node.send_mails().await.unwrap(), 0, "one digest a day");
    assert_eq!(mails(&smtp.maildir).len(), 1);
    next_working_day(&node).await;
    assert_eq!(node.send_mails().await.unwrap(), 1, "the next working day");
    let got = mails(&smtp.maildir);
    assert!(
        got.iter()
            .any(|m| m.contains("Subject: Doorbraak: 1 melding voor u")),
        "{got:?}"
    );
}

#[tokio::test]
async fn a_kwestie_is_mailed_to_the_team_manager_once_without_case_content_after_an_outage() {
    if !smtp::available() {
        return;
    }
    let (node, dir, port) = node_with_mail().await;
    let admin = person("beheer", Role::Admin);
    ops::admin::set_clock(&node, &admin, working_day_from(&node, 0))
        .await
        .unwrap();
    // eva logged in once, with her address from the login service
    ops::admin::logged_in(
        &node,
        &person("eva", Role::TeamManager),
        ops::admin::LoginSource::Oidc,
        Some("eva@lokaal-team.example"),
    )
    .await
    .unwrap();
    ops::kwesties::raise(
        &node,
        &person("anna", Role::Professional),
        raise_request("MARKER-7Q: geen plek in de crisisopvang"),
        None,
    )
    .await
    .unwrap();
    // the SMTP server is not there yet: nothing sent, nothing lost
    assert_eq!(node.send_mails().await.unwrap(), 0);
    let counts = node.store().mail_counts().await.unwrap();
    assert!(
        counts.iter().any(|(s, n)| s == "pending" && *n == 1),
        "eva's mail waits: {counts:?}"
    );
    assert!(
        node.metrics
            .encode()
            .contains("notification_mail_failures_total 1")
    );
    // it starts; the next attempt (after its backoff) delivers, once
    let smtp = smtp::start(port, &dir.join("maildir")).await;
    assert_eq!(
        node.send_mails().await.unwrap(),
        0,
        "not before its backoff"
    );
    next_working_day(&node).await;
    assert_eq!(node.send_mails().await.unwrap(), 1);
    assert_eq!(node.send_mails().await.unwrap(), 0, "nothing twice");
    let got = mails(&smtp.maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert!(mail.contains("To: eva@lokaal-team.example"), "{mail}");
    assert!(
        mail.contains("Subject: Doorbraak: Er wacht iets op u om op te pakken"),
        "{mail}"
    );
    assert!(
        mail.contains("/meldingen/"),
        "a link to her own node: {mail}"
    );
    assert!(!mail.contains("MARKER"), "no case content: {mail}");
    assert!(
        node.metrics
            .encode()
            .contains("notification_mails_sent_total 1")
    );
    // the director has no address: told in the app only, no mail attempted
    let (frank, _) = node.store().inbox("frank", 10, 0).await.unwrap();
    assert_eq!(frank.len(), 1);
}

/// Days ahead to the first Dutch public holiday on a weekday, at least `ahead` days on.
fn holiday_from(node: &doorbraak_node::Node, ahead: i64) -> i64 {
    let base = node.now().as_second() - node.clock_offset_days() * 86_400;
    (ahead..ahead + 800)
        .find(|d| {
            let t = jiff::Timestamp::from_second(base + d * 86_400).unwrap();
            let day = doorbraak_app::time::date(t);
            doorbraak_model::calendar::is_public_holiday(day)
                && !matches!(
                    day.weekday(),
                    jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
                )
        })
        .unwrap()
}

#[tokio::test]
async fn on_a_dutch_public_holiday_only_a_passed_deadline_is_mailed() {
    if !smtp::available() {
        return;
    }
    let (node, dir, port) = node_with_mail().await;
    let smtp = smtp::start(port, &dir.join("maildir")).await;
    ops::admin::logged_in(
        &node,
        &person("eva", Role::TeamManager),
        ops::admin::LoginSource::Oidc,
        Some("eva@lokaal-team.example"),
    )
    .await
    .unwrap();
    // a kwestie raised today (its mail not sent yet) is overdue by a holiday a month on
    ops::kwesties::raise(
        &node,
        &person("anna", Role::Professional),
        raise_request("MARKER-7Q: feestdag"),
        None,
    )
    .await
    .unwrap();
    let holiday = holiday_from(&node, 30);
    ops::admin::set_clock(&node, &person("beheer", Role::Admin), holiday)
        .await
        .unwrap();
    assert_eq!(node.sweep().await.unwrap(), 1, "the kwestie is overdue");
    // on the holiday the passed deadline is mailed at once; the pick-up waits
    assert_eq!(node.send_mails().await.unwrap(), 1);
    let got = mails(&smtp.maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("Subject: Doorbraak: Een termijn is verstreken"),
        "{}",
        got[0]
    );
    // the next working day the pick-up follows
    next_working_day(&node).await;
    assert_eq!(node.send_mails().await.unwrap(), 1);
    let got = mails(&smtp.maildir);
    assert!(
        got.iter()
            .any(|m| m.contains("Subject: Doorbraak: Er wacht iets op u om op te pakken")),
        "{got:?}"
    );
}
