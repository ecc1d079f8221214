//! The OpenAPI document against the node that serves it: schemathesis (an OpenAPI-driven API
//! tester from PyPI, `tests/schemathesis/requirements.txt`) generates requests from the
//! document, in all its phases (examples, coverage, fuzzing, stateful), sends them to a real
//! node process, and checks every answer: no server error, every status and body as
//! documented, every request valid by the document accepted (or refused by a rule of the
//! domain: 403, 404, 409) and every invalid one refused, 401 without a token.
//!
//! Runs when `DOORBRAAK_SCHEMATHESIS` names the `st` program; with
//! `DOORBRAAK_REQUIRE_SCHEMATHESIS=1` (as in CI) a missing one is an error, not a skip.

mod support;

use std::path::Path;
use std::process::Command;

use support::{NodeProc, tempdir, write_config};

/// At most this many generated cases per operation and phase (a fixed seed: a failure
/// replays).
const MAX_EXAMPLES: &str = "20";
const SEED: &str = "1";

fn schemathesis() -> Option<String> {
    match std::env::var("DOORBRAAK_SCHEMATHESIS") {
        Ok(st) => Some(st),
        Err(_) => {
            assert!(
                std::env::var("DOORBRAAK_REQUIRE_SCHEMATHESIS").is_err(),
                "DOORBRAAK_REQUIRE_SCHEMATHESIS is set but DOORBRAAK_SCHEMATHESIS names no `st`"
            );
            eprintln!("SKIPPED: DOORBRAAK_SCHEMATHESIS is not set (see tests/schemathesis)");
            None
        }
    }
}

/// Run schemathesis as the person with `token`, over the operations matching `paths`.
fn run(st: &str, base: &str, token: &str, paths: Option<&str>, report: &Path) -> (bool, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/schemathesis");
    let mut cmd = Command::new(st);
    // schemathesis keeps a cache in its working directory: the test's temp dir, not the repo
    cmd.current_dir(report.parent().unwrap_or(report));
    cmd.arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args([
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
        ])
        .args([
            "--workers",
            "1",
            "--no-color",
            "--generation-database",
            "none",
        ])
        .arg("--report-dir")
        .arg(report)
        .env("DOORBRAAK_SCHEMATHESIS_TOKEN", token)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &dir);
    if let Some(p) = paths {
        cmd.args(["--include-path-regex", p]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run schemathesis ({st}): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn schemathesis_finds_no_request_or_answer_that_contradicts_the_openapi_document() {
    let Some(st) = schemathesis() else { return };
    let dir = tempdir("schemathesis");
    let node = NodeProc::start(&write_config(&dir, ""), &[]);
    // a team manager reaches nearly every operation; the administrator the federation's
    for (token, paths) in [
        ("dev-eva-teammanager", None),
        ("dev-beheer-admin", Some("^/api/v1/(federation|access-log)")),
    ] {
        let (ok, out) = run(&st, &node.base, token, paths, &dir.join("report"));
        assert!(ok, "schemathesis as {token} failed:\n{out}");
        assert!(
            out.contains("API Operations:") && !out.contains("failures,"),
            "schemathesis did not run to the end as {token}:\n{out}"
        );
    }
}
