//! Test support: start the real `doorbraak` binary with a temp dir and a free port, talk to it
//! over HTTP, stop it (gracefully or with SIGKILL).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod fed;
pub mod lb;
pub mod oidc;
pub mod otlp;
pub mod pkio;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const LT: &str = "00000001000000000010";
pub const VT: &str = "00000001000000000020";
pub const GI: &str = "00000001000000000030";
pub const GEM: &str = "00000001000000000040";

pub const ANNA: &str = "dev-anna-professional";
pub const CARLA: &str = "dev-carla-gedragswetenschapper";
pub const EVA: &str = "dev-eva-teammanager";
pub const FRANK: &str = "dev-frank-directeur";
pub const BEHEER: &str = "dev-beheer-admin";
pub const QUINTEN: &str = "dev-quinten-kwaliteit";

/// reqwest's TLS uses the process-wide rustls provider; the binary installs ring at start, and
/// so do the tests (before building any client).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A free loopback port (bound and released), below the kernel's ephemeral range (32768 and
/// up), so that no outgoing connection of any test takes it before the node binds it; never
/// the same twice in one test process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let port = 20_000 + rand::random::<u16>() % 12_000;
        if given.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

/// Start `doorbraak demo --dir NAME` in `cwd` (a relative dir, as the README runs it); its
/// stdout lines arrive on the receiver.
pub fn start_demo(dir: &Path) -> (Child, std::sync::mpsc::Receiver<String>) {
    let (cwd, name) = (dir.parent().unwrap(), dir.file_name().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorbraak"));
    cmd.current_dir(cwd).args(["demo", "--dir"]).arg(name);
    spawn_lines(cmd)
}

/// Spawn `cmd` (stdin a pipe, stderr dropped); its stdout lines arrive on the receiver.
pub fn spawn_lines(mut cmd: Command) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Wait for a line containing `needle`; returns the lines seen.
pub fn wait_line(rx: &std::sync::mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| panic!("no '{needle}' in {seen:#?}"));
        let hit = line.contains(needle);
        seen.push(line);
        if hit {
            return seen;
        }
    }
}

/// An HTTP client for tests.
pub fn http_client() -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("doorbraak-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The backends a federation test runs on: SQLite always; PostgreSQL when configured (and
/// required in CI).
pub fn backends() -> Vec<&'static str> {
    let pg = std::env::var(doorbraak_store::testing::POSTGRES_ENV).is_ok();
    if !pg {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_POSTGRES").is_err(),
            "DOORBRAAK_REQUIRE_POSTGRES is set but no PostgreSQL is configured"
        );
        eprintln!("SKIPPED the PostgreSQL half: no PostgreSQL configured");
        return vec!["sqlite"];
    }
    vec!["sqlite", "postgres"]
}

/// The databases a test runs on: a SQLite file always; PostgreSQL when configured.
pub async fn databases(dir: &Path) -> Vec<(String, String)> {
    let mut v = vec![("sqlite".to_string(), String::new())];
    if let Some(url) = doorbraak_store::testing::fresh_postgres().await {
        v.push(("postgres".to_string(), url));
    }
    let _ = dir;
    v
}

/// Write a local team node config into `dir` (the example config's users and directory).
pub fn write_config(dir: &Path, database_url: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = std::fs::read_to_string(root.join("deploy/examples/node.toml")).unwrap();
    std::fs::copy(
        root.join("deploy/examples/directory.json"),
        dir.join("directory.json"),
    )
    .unwrap();
    let mut text = example
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("interval_secs = 30", "interval_secs = 1");
    if !database_url.is_empty() {
        text = text.replace(
            "# url = \"postgres://doorbraak:secret@127.0.0.1/doorbraak\"",
            &format!("url = \"{database_url}\""),
        );
    }
    let path = dir.join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The node's stderr goes to `node.log` next to its config (appended across restarts).
fn log_file(config: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("node.log"))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

/// Run `cmd`; its stdout, or a panic with its whole output if it failed.
pub fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run the `doorbraak` binary with `args`: whether it succeeded, and its stdout and stderr.
pub fn doorbraak(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The body of an answer that must have `status`.
pub fn must(status: u16, (s, b): (u16, Value)) -> Value {
    assert_eq!(s, status, "{b}");
    b
}

/// The body of `GET url` as text (with a bearer token, if given).
pub async fn get_text(url: &str, token: Option<&str>) -> String {
    let mut req = http_client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().text().await.unwrap()
}

/// A running node process.
pub struct NodeProc {
    pub child: Child,
    pub base: String,
    pub client: reqwest::Client,
}

impl NodeProc {
    pub fn start(config: &Path, env: &[(&str, &str)]) -> NodeProc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorbraak"));
        cmd.args(["node", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(log_file(config))
            .env("RUST_LOG", "info")
            // tests drive the API far faster than people do; the limit's own test sets its own
            .env("DOORBRAAK__HTTP__API_BURST", "100000")
            .env("DOORBRAAK__HTTP__API_PER_SECOND", "100000");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start doorbraak node");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("READY http=") {
                    let addr = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let log =
                std::fs::read_to_string(config.with_file_name("node.log")).unwrap_or_default();
            panic!("node did not become ready; its log:\n{log}");
        };
        NodeProc {
            child,
            base: format!("http://{addr}"),
            client: http_client(),
        }
    }

    /// Stop with SIGTERM-like graceful shutdown is not portable from std; kill (SIGKILL on
    /// Unix) is what the crash tests want, and for the others it is harmless too.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{}", self.base, path);
        let mut req = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POST with an `Idempotency-Key`; `None` when the node did not answer (killed, paused).
    pub async fn try_post_keyed(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Option<(u16, Value)> {
        let resp = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        let text = resp.text().await.ok()?;
        Some((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    pub async fn post_keyed(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        self.try_post_keyed(path, token, key, &body)
            .await
            .expect("the node answers")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), None).await
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn case(case_ref: &str) -> Value {
    json!({ "case_ref": case_ref, "title": "Gezin in zorg" })
}

pub fn open_sit2(case_ref: &str) -> Value {
    json!({
        "case_ref": case_ref,
        "situation": "agreements_not_kept",
        "first_step": "management",
        "counterparts": [VT],
        "question": "Wij vragen Veilig Thuis het onderzoek binnen 5 dagen te starten.",
        "needs": "Een veilige plek en traumabehandeling.", "seeking_youth_help_access": false,
    })
}

pub fn raise_kwestie() -> Value {
    json!({
        "obstacle": "Te weinig gezinsmanagers voor de instroom",
        "categories": ["too_few_family_managers"],
        "preparation": { "own_reach_done": true, "discussed_with": ["team"], "knows_what_and_whom": true },
        "route": { "to_team_manager": true, "on_team_agenda": false },
    })
}
