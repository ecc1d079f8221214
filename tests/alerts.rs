//! The operator's alert rules and dashboard (deploy/prometheus, deploy/grafana): promtool
//! checks the rules and runs their unit tests, and every metric they name is one a real node
//! exports (so a renamed metric cannot silently switch an alert off).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `promtool`, or `None` (skipped) where it is not installed and not required.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_PROMTOOL").is_err(),
            "DOORBRAAK_REQUIRE_PROMTOOL is set but promtool is not installed (Debian: prometheus)"
        );
        eprintln!("SKIPPED: promtool is not installed");
    }
    found
}

/// Every `doorbraak_…` metric named in `text`, without the `_total`/`_bucket` of a sample.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("doorbraak_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'_') {
            end += 1;
        }
        let name = &text[start..end];
        let base = name
            .strip_suffix("_total")
            .or_else(|| name.strip_suffix("_bucket"))
            .unwrap_or(name);
        // skip words that are not metrics (the group names, the dashboard's uid)
        if base != "doorbraak_" && !base.ends_with('_') {
            out.insert(base.to_owned());
        }
        i = end.max(start + 1);
    }
    out
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let Some(promtool) = promtool() else {
        return;
    };
    let dir = root().join("deploy/prometheus");
    for args in [
        vec!["check", "rules", "doorbraak-alerts.yml"],
        vec!["test", "rules", "doorbraak-alerts.test.yml"],
    ] {
        let out = Command::new(&promtool)
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_alerts_and_the_dashboard_name_is_exported_by_a_node() {
    let rules =
        std::fs::read_to_string(root().join("deploy/prometheus/doorbraak-alerts.yml")).unwrap();
    let dashboard =
        std::fs::read_to_string(root().join("deploy/grafana/doorbraak-node.json")).unwrap();
    let d: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let panels = d["panels"].as_array().unwrap();
    assert!(panels.len() >= 10);
    let exprs: Vec<&str> = panels
        .iter()
        .map(|p| p["targets"][0]["expr"].as_str().unwrap())
        .collect();
    // two members, one escalation between them: every kind of metric has a series
    use doorbraak_model::OrgKind;
    use support::{LT, VT};
    let mut fed = support::fed::Fed::create(
        "alerts",
        &[
            (LT, "Lokaal Team", OrgKind::LocalTeam),
            (VT, "Veilig Thuis", OrgKind::VeiligThuis),
        ],
        &[],
        &[],
    );
    fed.start_all(2);
    let tok = support::fed::tok(0, "p");
    assert_eq!(
        fed.node(0)
            .post("/api/v1/cases", &tok, support::case("LT-M1"))
            .await
            .0,
        201
    );
    let (s, b) = fed
        .node(0)
        .post("/api/v1/escalations", &tok, support::open_sit2("LT-M1"))
        .await;
    assert_eq!(s, 201, "{b}");
    fed.drained(0).await;
    let text = support::get_text(&format!("{}/metrics", fed.node(0).base), None).await;
    let exported: std::collections::BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    let named = metric_names(&rules)
        .into_iter()
        .chain(exprs.iter().flat_map(|e| metric_names(e)))
        .collect::<std::collections::BTreeSet<_>>();
    assert!(named.len() >= 10, "{named:?}");
    for m in &named {
        assert!(
            exported.contains(m),
            "{m} is named by an alert or the dashboard but no node exports it; exported: {exported:?}"
        );
    }
}
