//! The guide docs/aansluiten.md, run as written: every `sh` line and every `toml` file in it, in
//! order, in a fresh directory with a PKIoverheid-shaped RSA chain (root, intermediate, node
//! certificates with the OIN in subject serialNumber). A command that fails, or a guide that no
//! longer matches the binary, fails this test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use support::{LT, NodeProc, free_port};

enum Block {
    Sh(Vec<String>),
    File { name: String, text: String },
}

/// The guide's `sh` blocks and its `toml` blocks that name their file on the first line.
fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        let fence = line.trim_start();
        let Some(lang) = fence.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.trim_start().starts_with("```"))
            .collect();
        match lang.trim() {
            "sh" => out.push(Block::Sh(
                body.iter()
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .collect(),
            )),
            "toml" => {
                let name = body
                    .first()
                    .and_then(|l| l.strip_prefix("# "))
                    .expect("a toml block names its file on its first line")
                    .trim()
                    .to_owned();
                out.push(Block::File {
                    name,
                    text: body[1..].join("\n") + "\n",
                });
            }
            _ => {}
        }
    }
    out
}

fn run(dir: &Path, bin: &Path, line: &str) {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{line}` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn serial(node: &NodeProc) -> Option<f64> {
    let text = node
        .client
        .get(format!("{}/metrics", node.base))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with("doorbraak_directory_serial "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_aansluiten_op_de_federatie_runs_as_written() {
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/aansluiten.md"),
    )
    .unwrap();
    let dir = support::tempdir("aansluiten");
    // what the organisation has from its TSP, and the renewed certificate of section 4
    let chain = support::pkio::Chain::new();
    std::fs::write(dir.join("trust.pem"), &chain.root_pem).unwrap();
    let now = chain.issue(LT, "Lokaal Team Utrecht-West");
    std::fs::write(dir.join("node.pem"), &now.chain_pem).unwrap();
    std::fs::write(dir.join("node.key"), &now.key_pem).unwrap();
    let renewed = chain.issue(LT, "Lokaal Team Utrecht-West");
    std::fs::write(dir.join("node-2027.pem"), &renewed.chain_pem).unwrap();
    // `doorbraak` on the PATH is the binary under test
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_doorbraak"), bin.join("doorbraak")).unwrap();

    let (http, grpc) = (free_port(), free_port());
    let mut node: Option<NodeProc> = None;
    let mut signed = 0;
    let mut ran = 0;
    for block in blocks(&md) {
        match block {
            Block::File { name, text } => {
                let text = text
                    .replace("127.0.0.1:8080", &format!("127.0.0.1:{http}"))
                    .replace("127.0.0.1:9443", &format!("127.0.0.1:{grpc}"));
                std::fs::write(dir.join(name), text).unwrap();
            }
            Block::Sh(lines) => {
                for line in lines {
                    ran += 1;
                    if let Some(config) = line.strip_prefix("doorbraak node --config ") {
                        let n = NodeProc::start(&dir.join(config), &[]);
                        let health = n
                            .client
                            .get(format!("{}/healthz", n.base))
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(health.status(), 200);
                        assert_eq!(serial(&n).await, Some(f64::from(signed)));
                        node = Some(n);
                        continue;
                    }
                    let line = line.replace("127.0.0.1:9443", &format!("127.0.0.1:{grpc}"));
                    run(&dir, &bin, &line);
                    if line.starts_with("doorbraak directory sign") {
                        signed += 1;
                    }
                }
            }
        }
    }
    assert!(ran >= 9, "the guide's commands were not found ({ran})");
    // the running node took up every manifest signed after it started
    let node = node.expect("the guide starts a node");
    let mut seen = None;
    for _ in 0..150 {
        seen = serial(&node).await;
        if seen == Some(f64::from(signed)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, Some(f64::from(signed)));
    assert_eq!(signed, 3);
}
