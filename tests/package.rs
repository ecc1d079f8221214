//! The Debian package, installed for real on the CI machine (which is root and disposable):
//! `deploy/debian/build-deb.sh` packages the binary; `dpkg -i` creates the doorbraak user, its
//! state directory and a first configuration; `systemd-analyze verify` accepts the unit; the
//! unit's `ExecStart` line, run as the doorbraak user (no systemd runs here), serves
//! `/healthz`; an upgrade over itself keeps the configuration and the data; removing the
//! package keeps them too. Runs where `DOORBRAAK_PACKAGE_TEST=1` (set by `.ci/run`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::sh;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build(version: &str, out: &Path) -> PathBuf {
    let deb = sh(Command::new(root().join("deploy/debian/build-deb.sh"))
        .arg(env!("CARGO_BIN_EXE_doorbraak"))
        .arg(out)
        .env("DOORBRAAK_DEB_VERSION", version));
    PathBuf::from(deb.trim())
}

/// The unit's `ExecStart` command line.
fn exec_start() -> Vec<String> {
    let unit = std::fs::read_to_string("/lib/systemd/system/doorbraak.service").unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart line");
    line.split_whitespace().map(str::to_owned).collect()
}

/// Start the installed node as its user, the way the unit does; wait for its READY line.
fn start() -> (std::process::Child, String) {
    let port = support::free_port();
    let cmd = exec_start();
    let mut child = Command::new("runuser")
        .args(["-u", "doorbraak", "--"])
        .args(&cmd)
        .current_dir("/var/lib/doorbraak")
        // the example configuration's port may be taken on a CI machine: a free one
        .env("DOORBRAAK__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let ready = lines
        .find_map(|l| l.ok().filter(|l| l.starts_with("READY ")))
        .expect("the installed node starts");
    let http = ready
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http="))
        .unwrap()
        .to_owned();
    (child, format!("http://{http}"))
}

/// Leave the machine as before the package: no package, no data, no user (this test runs
/// only on a disposable machine, where a previous run may have left them).
fn clean_machine() {
    let _ = Command::new("dpkg").args(["-P", "doorbraak"]).output();
    let _ = std::fs::remove_dir_all("/var/lib/doorbraak");
    let _ = std::fs::remove_dir_all("/etc/doorbraak");
    let _ = Command::new("deluser")
        .arg("--quiet")
        .arg("doorbraak")
        .output();
    let _ = Command::new("delgroup")
        .arg("--quiet")
        .arg("doorbraak")
        .output();
}

/// Stop the node the way systemd does: SIGTERM to `runuser`, which passes it on to the node
/// (SIGKILL would stop only `runuser` and leave the node running as an orphan).
fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the node did not stop on SIGTERM within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debian_package_installs_starts_upgrades_and_keeps_the_data_when_removed() {
    if std::env::var("DOORBRAAK_PACKAGE_TEST").as_deref() != Ok("1") {
        eprintln!("SKIPPED: set DOORBRAAK_PACKAGE_TEST=1 on a disposable root machine (CI)");
        return;
    }
    clean_machine();
    let dir = support::tempdir("package");
    let first = build("0.1.0~ci1", &dir);
    let second = build("0.1.0~ci2", &dir);
    sh(Command::new("dpkg").arg("-i").arg(&first));
    // the package made its user, its state directory and a first configuration
    sh(Command::new("getent").args(["passwd", "doorbraak"]));
    assert!(Path::new("/etc/doorbraak/node.toml").is_file());
    assert!(Path::new("/etc/doorbraak/directory.json").is_file());
    let owner = sh(Command::new("stat").args(["-c", "%U %a", "/var/lib/doorbraak"]));
    assert_eq!(owner.trim(), "doorbraak 750");
    sh(Command::new("systemd-analyze").args(["verify", "/lib/systemd/system/doorbraak.service"]));

    let (node, base) = start();
    let http = support::http_client();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let r = http
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth("dev-anna-professional")
        .json(&support::case("LT-PKG"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    stop(node);
    assert!(
        Path::new("/var/lib/doorbraak/node.db").is_file(),
        "the state is where the unit writes"
    );

    // an upgrade over itself keeps the configuration (also an edited one) and the data
    let mut toml = std::fs::read_to_string("/etc/doorbraak/node.toml").unwrap();
    toml.push_str("\n# edited by the hosting party\n");
    std::fs::write("/etc/doorbraak/node.toml", &toml).unwrap();
    sh(Command::new("dpkg").arg("-i").arg(&second));
    assert_eq!(
        std::fs::read_to_string("/etc/doorbraak/node.toml").unwrap(),
        toml
    );
    let version = sh(Command::new("dpkg-query").args(["-W", "-f=${Version}", "doorbraak"]));
    assert_eq!(version, "0.1.0~ci2");
    let (node, base) = start();
    let cases = support::get_text(
        &format!("{base}/api/v1/cases"),
        Some("dev-anna-professional"),
    )
    .await;
    assert!(
        cases.contains("LT-PKG"),
        "the data survived the upgrade: {cases}"
    );
    stop(node);

    // removing (and purging) the package keeps the node's data and configuration
    sh(Command::new("dpkg").args(["-r", "doorbraak"]));
    assert!(!Path::new("/usr/bin/doorbraak").exists());
    assert!(Path::new("/var/lib/doorbraak/node.db").is_file());
    assert!(Path::new("/etc/doorbraak/node.toml").is_file());
    sh(Command::new("dpkg").args(["-P", "doorbraak"]));
    assert!(Path::new("/var/lib/doorbraak/node.db").is_file());
    clean_machine();
}
