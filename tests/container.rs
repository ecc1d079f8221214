//! The container image, the compose file and the Helm chart, for real where this machine can:
//! the image is built with Debian's podman from `deploy/container/Dockerfile` on a Debian base
//! made here with `debootstrap` (no image registry is reachable), from the binary the suite
//! built; it runs as uid 10001 on a read-only root file system, its health check answers, its
//! state survives a new container on the same volume, on SQLite and on PostgreSQL (the
//! compose file's environment: URL and password file). The compose file is checked with
//! podman-compose, the chart with `helm lint` (Helm's own code, from the helm-sdkpy wheel).
//! Runs where `DOORBRAAK_CONTAINER_TEST=1` (set by `.ci/run`, which installs the tools).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::sh;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BASE: &str = "localhost/doorbraak-ci-base:bookworm";
const IMAGE: &str = "localhost/doorbraak:ci";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// podman as this sandbox allows it: runc (crun refuses the hybrid cgroup mode here).
fn podman() -> Command {
    let mut c = Command::new("podman");
    c.args(["--runtime", "runc"]);
    c
}

/// The limits a container may have here (the sandbox may not raise its own).
const LIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=8192:8192",
    "--ulimit",
    "nproc=4096:4096",
];

fn enabled() -> bool {
    if std::env::var("DOORBRAAK_CONTAINER_TEST").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("SKIPPED: set DOORBRAAK_CONTAINER_TEST=1 with podman, runc and debootstrap (CI)");
    false
}

/// A Debian 12 base image made here (the runtime's glibc is the build machine's).
fn base_image() {
    if podman()
        .args(["image", "exists", BASE])
        .status()
        .unwrap()
        .success()
    {
        return;
    }
    let rootfs = support::tempdir("rootfs");
    sh(Command::new("debootstrap").args([
        "--variant=minbase",
        "--include=ca-certificates",
        "bookworm",
        rootfs.to_str().unwrap(),
        "http://deb.debian.org/debian",
    ]));
    let tar = rootfs.with_extension("tar");
    sh(Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg("."));
    sh(podman().arg("import").arg(&tar).arg(BASE));
    let _ = std::fs::remove_dir_all(&rootfs);
    let _ = std::fs::remove_file(&tar);
}

/// The image from the repository's Dockerfile, its binary the suite's own.
fn build_image() {
    base_image();
    let ctx = support::tempdir("image");
    std::fs::create_dir_all(ctx.join("deploy/container/state")).unwrap();
    std::fs::create_dir_all(ctx.join("deploy/examples")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_doorbraak"), ctx.join("doorbraak")).unwrap();
    for f in [
        "deploy/container/node.toml",
        "deploy/container/state/README",
        "deploy/examples/directory.json",
    ] {
        std::fs::copy(root().join(f), ctx.join(f)).unwrap();
    }
    sh(podman()
        .args(["build", "--format", "docker", "--pull=never"])
        .args(LIMITS)
        .args(["--build-arg", &format!("RUNTIME_IMAGE={BASE}")])
        .args(["--target", "prebuilt"])
        .arg("-f")
        .arg(root().join("deploy/container/Dockerfile"))
        .args(["-t", IMAGE])
        .arg(&ctx));
    let _ = std::fs::remove_dir_all(&ctx);
}

/// A running container, removed (with its anonymous parts) when dropped.
struct Ctr(String);

impl Drop for Ctr {
    fn drop(&mut self) {
        let _ = podman().args(["rm", "-f", "-t", "5", &self.0]).output();
    }
}

/// `podman run -d` on the host's network (the ports are the node's own, from `env`).
fn start(name: &str, volume: &str, mounts: &[String], env: &[(String, String)]) -> Ctr {
    let _ = podman().args(["rm", "-f", name]).output();
    let mut cmd = podman();
    cmd.args([
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
    ])
    .args(["--cap-drop", "ALL", "--security-opt", "no-new-privileges"])
    .args(LIMITS)
    .args(["-v", &format!("{volume}:/var/lib/doorbraak")]);
    for m in mounts {
        cmd.args(["-v", m]);
    }
    for (k, v) in env {
        cmd.args(["-e", &format!("{k}={v}")]);
    }
    cmd.arg(IMAGE);
    sh(&mut cmd);
    Ctr(name.to_owned())
}

/// Wait until the image's own health check passes; the logs if it never does.
fn wait_healthy(c: &Ctr) {
    for _ in 0..120 {
        if podman()
            .args(["healthcheck", "run", &c.0])
            .output()
            .unwrap()
            .status
            .success()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let (_, logs) = run(podman().args(["logs", &c.0]));
    panic!("the container never became healthy:\n{logs}");
}

fn ports() -> Vec<(String, String)> {
    vec![
        (
            "DOORBRAAK__HTTP__LISTEN".into(),
            format!("127.0.0.1:{}", support::free_port()),
        ),
        (
            "DOORBRAAK__HTTP__ADMIN_LISTEN".into(),
            format!("127.0.0.1:{}", support::free_port()),
        ),
        (
            "DOORBRAAK__GRPC__LISTEN".into(),
            format!("127.0.0.1:{}", support::free_port()),
        ),
    ]
}

fn env_of<'a>(env: &'a [(String, String)], key: &str) -> &'a str {
    &env.iter().find(|(k, _)| k == key).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_read_only_as_its_own_user_and_keeps_its_state_in_the_volume() {
    if !enabled() {
        return;
    }
    build_image();
    // what the image promises, from its configuration
    let image: serde_json::Value =
        serde_json::from_str(&sh(podman().args(["image", "inspect", IMAGE]))).unwrap();
    let image = &image[0];
    assert_eq!(image["Config"]["User"], "10001:10001");
    assert_eq!(
        image["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "/usr/local/bin/doorbraak", "health"])
    );
    for p in ["8080/tcp", "9443/tcp", "9090/tcp"] {
        assert!(image["Config"]["ExposedPorts"].get(p).is_some(), "{image}");
    }
    assert!(
        image["Config"]["Volumes"]
            .get("/var/lib/doorbraak")
            .is_some()
    );

    // 1. the image's own configuration: every interface (no development accounts)
    let vol = format!("doorbraak-ci-{}", uuid::Uuid::now_v7().simple());
    let any = |port: u16| format!("0.0.0.0:{port}");
    let env = vec![
        ("DOORBRAAK__HTTP__LISTEN".into(), any(support::free_port())),
        (
            "DOORBRAAK__HTTP__ADMIN_LISTEN".into(),
            any(support::free_port()),
        ),
        ("DOORBRAAK__GRPC__LISTEN".into(), any(support::free_port())),
    ];
    let c = start("doorbraak-ci-default", &vol, &[], &env);
    wait_healthy(&c);
    let admin = env_of(&env, "DOORBRAAK__HTTP__ADMIN_LISTEN").replace("0.0.0.0", "127.0.0.1");
    let ready = support::get_text(&format!("http://{admin}/readyz"), None).await;
    assert_eq!(ready, "ready");
    let top = sh(podman().args(["top", &c.0, "user", "args"]));
    assert!(
        top.lines()
            .skip(1)
            .all(|l| l.trim_start().starts_with("10001")),
        "every process runs as 10001: {top}"
    );
    let (wrote, out) = run(podman().args(["exec", &c.0, "touch", "/etc/doorbraak/x"]));
    assert!(!wrote && out.contains("Read-only file system"), "{out}");
    let (wrote, out) = run(podman().args(["exec", &c.0, "touch", "/var/lib/doorbraak/x"]));
    assert!(wrote, "the state volume is writable: {out}");
    drop(c);

    // 2. a node's own configuration, mounted read-only (development accounts on loopback),
    //    on SQLite in the volume and on PostgreSQL with a password file (compose.yaml's way)
    let dir = support::tempdir("container");
    let example = std::fs::read_to_string(root().join("deploy/examples/node.toml")).unwrap();
    let toml = example
        .replace("data_dir = \"data\"", "data_dir = \"/var/lib/doorbraak\"")
        .replace(
            "manifest = \"directory.json\"",
            "manifest = \"/etc/doorbraak/directory.json\"",
        );
    std::fs::write(dir.join("node.toml"), toml).unwrap();
    std::fs::write(dir.join("postgres-password"), "not-needed-on-trust\n").unwrap();
    let mut mounts = vec![format!(
        "{}:/etc/doorbraak/node.toml:ro",
        dir.join("node.toml").display()
    )];
    let mut backends = vec![("sqlite", Vec::new())];
    if let Some(url) = doorbraak_store::testing::fresh_postgres().await {
        mounts.push(format!(
            "{}:/run/secrets/postgres-password:ro",
            dir.join("postgres-password").display()
        ));
        backends.push((
            "postgres",
            vec![
                ("DOORBRAAK__DATABASE__URL".to_string(), url),
                (
                    "DOORBRAAK__DATABASE__PASSWORD_FILE".to_string(),
                    "/run/secrets/postgres-password".to_string(),
                ),
            ],
        ));
    }
    for (backend, db_env) in backends {
        let vol = format!("doorbraak-ci-{backend}-{}", uuid::Uuid::now_v7().simple());
        let mut env = ports();
        env.extend(db_env);
        let base = format!("http://{}", env_of(&env, "DOORBRAAK__HTTP__LISTEN"));
        let c = start(&format!("doorbraak-ci-{backend}"), &vol, &mounts, &env);
        wait_healthy(&c);
        let (ok, out) = run(podman().args(["exec", &c.0, "doorbraak", "health", "--ready"]));
        assert!(ok, "{backend}: {out}");
        let case_ref = format!("LT-IMG-{backend}");
        let r = support::http_client()
            .post(format!("{base}/api/v1/cases"))
            .bearer_auth("dev-anna-professional")
            .json(&support::case(&case_ref))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{backend}: {}", r.text().await.unwrap());
        // a graceful stop, then a new container on the same volume and database
        sh(podman().args(["stop", "-t", "20", &c.0]));
        drop(c);
        let c = start(&format!("doorbraak-ci-{backend}"), &vol, &mounts, &env);
        wait_healthy(&c);
        let cases = support::get_text(
            &format!("{base}/api/v1/cases"),
            Some("dev-anna-professional"),
        )
        .await;
        assert!(cases.contains(&case_ref), "{backend}: {cases}");
        let (_, backend_line) = run(podman().args(["logs", &c.0]));
        assert!(
            backend_line.contains(&format!("backend=\"{backend}\"")),
            "{backend}: {backend_line}"
        );
        drop(c);
        let _ = podman().args(["volume", "rm", "-f", &vol]).output();
    }
    let _ = podman().args(["volume", "rm", "-f", &vol]).output();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_compose_file_and_the_helm_chart_pass_their_linters() {
    if !enabled() {
        return;
    }
    // compose: parsed and interpolated by podman-compose (its `config`)
    let compose = std::env::var("DOORBRAAK_PODMAN_COMPOSE").expect("DOORBRAAK_PODMAN_COMPOSE");
    let dir = root().join("deploy/container");
    let out = sh(Command::new(&compose)
        .current_dir(&dir)
        .args(["-f", "compose.yaml", "config"]));
    for needle in [
        "DOORBRAAK__DATABASE__URL: postgres://doorbraak@postgres/doorbraak",
        "DOORBRAAK__DATABASE__PASSWORD_FILE: /run/secrets/postgres-password",
        "read_only: true",
        "condition: service_healthy",
    ] {
        assert!(
            out.contains(needle),
            "compose config lacks {needle}:\n{out}"
        );
    }

    // the chart: helm lint as it ships and with a multi-replica PostgreSQL setup
    let lib = std::env::var("DOORBRAAK_LIBHELM").expect("DOORBRAAK_LIBHELM");
    let chart = root().join("deploy/helm/doorbraak");
    let lint = |chart: &Path| -> String {
        sh(Command::new("python3")
            .arg(root().join("tests/deploy/helm_lint.py"))
            .arg(&lib)
            .arg(chart))
    };
    let shipped = lint(&chart);
    assert!(shipped.contains("\"Errors\": null"), "{shipped}");
    assert!(
        !shipped.contains("\"Severity\": 2"),
        "no warnings: {shipped}"
    );
    let copy = support::tempdir("chart").join("doorbraak");
    sh(Command::new("cp").arg("-r").arg(&chart).arg(&copy));
    let values = std::fs::read_to_string(copy.join("values.yaml")).unwrap();
    let production = values
        .replace("replicaCount: 1", "replicaCount: 3")
        .replace(
            "  url: \"\"",
            "  url: \"postgres://doorbraak@pg-rw.doorbraak:5432/doorbraak\"",
        )
        .replace(
            "  passwordSecret: \"\"",
            "  passwordSecret: \"doorbraak-db\"",
        )
        .replace(
            "  existingSecret: \"\"",
            "  existingSecret: \"doorbraak-tls\"",
        )
        .replace(
            "  clientSecretSecret: \"\"",
            "  clientSecretSecret: \"doorbraak-oidc\"",
        )
        .replace(
            "  accessModes: [ReadWriteOnce]",
            "  accessModes: [ReadWriteMany]",
        );
    assert_ne!(values, production);
    std::fs::write(copy.join("values.yaml"), production).unwrap();
    let multi = lint(&copy);
    assert!(multi.contains("\"Errors\": null"), "{multi}");
    // and the linter does find a broken template
    std::fs::write(
        copy.join("templates/broken.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.name }}\n",
    )
    .unwrap();
    let (ok, broken) = run(Command::new("python3")
        .arg(root().join("tests/deploy/helm_lint.py"))
        .arg(&lib)
        .arg(&copy));
    assert!(!ok && broken.contains("\"Severity\": 3"), "{broken}");
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
}
