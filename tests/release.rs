//! The release's version is one: the binary's, the changelog's newest entry, the container
//! image's, the compose file's and the Helm chart's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    )
    .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn one_version_in_the_binary_the_changelog_and_every_package() {
    let version = env!("CARGO_PKG_VERSION");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .arg("--version")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.trim().ends_with(version), "{printed}");
    let changelog = read("docs/CHANGELOG.md");
    let newest = changelog
        .lines()
        .find_map(|l| l.strip_prefix("## ["))
        .and_then(|l| l.split(']').next())
        .unwrap();
    assert_eq!(newest, version, "the changelog's newest entry");
    assert!(
        read("deploy/container/Dockerfile").contains(&format!("ARG VERSION={version}")),
        "the image"
    );
    assert!(
        read("deploy/container/compose.yaml").contains(&format!("doorbraak:{version}")),
        "the compose file"
    );
    assert!(
        read("deploy/helm/doorbraak/Chart.yaml").contains(&format!("appVersion: \"{version}\"")),
        "the chart"
    );
}
