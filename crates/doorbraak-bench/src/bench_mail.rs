//! The cost of notices on a command, and the mail throughput of one node (issue #14).
//!
//! Two nodes in one run, the same except for `[mail]`: each raises N kwesties (each tells the
//! team managers and directors — the `PEOPLE` team managers who logged in — so every command writes
//! their notices in its transaction); then the node with `[mail]` sends its queue to a real
//! SMTP server on loopback (Debian's python3-aiosmtpd, started here) and the mails per second
//! are counted.
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-mail -- [N]`
#![forbid(unsafe_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorbraak_app::ops;
use doorbraak_bench::{LT, percentile};
use doorbraak_model::Role;
use doorbraak_model::kwestie::{Consulted, KwestieRoute, Preparation};
use doorbraak_node::{Node, User};

/// Team managers with an address, besides the configuration's development accounts.
const PEOPLE: usize = 20;

fn user(id: &str, role: Role) -> User {
    User {
        id: id.into(),
        name: id.into(),
        role,
    }
}

async fn node(dir: &Path, smtp_port: Option<u16>) -> anyhow::Result<Arc<Node>> {
    let mut toml = format!(
        "[node]\noin = \"{LT}\"\nname = \"Bench\"\nkind = \"local_team\"\ndata_dir = \"{}\"\n",
        dir.display()
    );
    if let Some(port) = smtp_port {
        toml.push_str(&format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"doorbraak@bench.example\"\n\
             base_url = \"http://127.0.0.1:8080\"\nfrom_hour = 0\nuntil_hour = 24\n"
        ));
    }
    let settings =
        doorbraak_node::NodeConfig::from_toml(&toml, Path::new("bench.toml"), dir, Vec::new())?;
    let node = doorbraak_node::server::open(settings).await?;
    for i in 0..PEOPLE {
        ops::admin::logged_in(
            &node,
            &user(&format!("tm{i}"), Role::TeamManager),
            ops::admin::LoginSource::Oidc,
            Some(&format!("tm{i}@bench.example")),
        )
        .await?;
    }
    Ok(node.node)
}

fn raise() -> ops::kwesties::RaiseKwestieRequest {
    ops::kwesties::RaiseKwestieRequest {
        case_ref: None,
        obstacle: "Wachtlijst".into(),
        categories: [doorbraak_model::KwestieCategory::WaitingList].into(),
        preparation: Preparation {
            own_reach_done: true,
            discussed_with: [Consulted::Team].into(),
            knows_what_and_whom: true,
        },
        child_needs: "Hulp".into(),
        facilities_needed: String::new(),
        route: KwestieRoute {
            to_team_manager: true,
            on_team_agenda: false,
        },
    }
}

async fn raise_all(node: &Node, n: usize) -> anyhow::Result<Vec<Duration>> {
    let anna = user("anna", Role::Professional);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        ops::kwesties::raise(node, &anna, raise(), None).await?;
        lat.push(t.elapsed());
    }
    lat.sort();
    Ok(lat)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("doorbraak-bench-mail-{}", uuid::Uuid::now_v7()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let maildir = dir.join("maildir");
    std::fs::create_dir_all(&dir)?;
    let mut smtp = std::process::Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = run(&dir, port, n).await;
    let _ = smtp.kill();
    let _ = smtp.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(dir: &Path, port: u16, n: usize) -> anyhow::Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let without = node(&dir.join("without"), None).await?;
    let with = node(&dir.join("with"), Some(port)).await?;
    // warm up both
    raise_all(&without, 20).await?;
    raise_all(&with, 20).await?;
    let plain = raise_all(&without, n).await?;
    let mailed = raise_all(&with, n).await?;
    println!("| node | kwesties raised | notices per command | p50 | p99 |");
    println!("|---|---|---|---|---|");
    let told = PEOPLE; // the team managers who logged in (no development accounts here)
    for (name, lat) in [("without [mail]", &plain), ("with [mail]", &mailed)] {
        println!(
            "| {name} | {n} | {told} | {:.2} ms | {:.2} ms |",
            percentile(lat, 0.5).as_secs_f64() * 1e3,
            percentile(lat, 0.99).as_secs_f64() * 1e3
        );
    }
    // the mail queue of the node with [mail], sent to the SMTP server
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let k = with.send_mails().await?;
        if k == 0 {
            break;
        }
        sent += k;
    }
    let wall = started.elapsed();
    println!();
    println!("| mails sent | wall | mails/s |");
    println!("|---|---|---|");
    println!(
        "| {sent} | {:.2} s | {:.0} |",
        wall.as_secs_f64(),
        sent as f64 / wall.as_secs_f64()
    );
    Ok(())
}
