//! The NL Design System files the web UI embeds are the npm registry's, at the versions pinned
//! in tests/nlds/package.json (its lockfile): installed by `npm ci --prefix tests/nlds`, they
//! must equal the copies in crates/doorbraak-node/src/web/nlds/ byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn the_embedded_nl_design_system_css_is_the_pinned_packages_css() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let modules = root.join("tests/nlds/node_modules");
    if !modules.exists() {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "the NL Design System packages are missing: npm ci --prefix tests/nlds"
        );
        return;
    }
    let embedded = root.join("crates/doorbraak-node/src/web/nlds");
    for (copy, package) in [
        (
            "utrecht-html.css",
            "@utrecht/component-library-css/dist/html.css",
        ),
        ("utrecht-button.css", "@utrecht/button-css/dist/index.css"),
        (
            "voorbeeld-theme.css",
            "@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css",
        ),
    ] {
        let ours = std::fs::read(embedded.join(copy)).unwrap();
        let theirs = std::fs::read(modules.join(package)).unwrap();
        assert!(
            ours == theirs,
            "{copy} differs from {package}: copy it again (see crates/doorbraak-node/src/web/nlds/README.md)"
        );
    }
    // the versions the README names are the ones installed
    let readme = std::fs::read_to_string(embedded.join("README.md")).unwrap();
    for package in [
        "@utrecht/component-library-css",
        "@utrecht/button-css",
        "@nl-design-system-unstable/voorbeeld-design-tokens",
    ] {
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(modules.join(package).join("package.json")).unwrap(),
        )
        .unwrap();
        let version = manifest["version"].as_str().unwrap();
        assert!(
            readme.contains(&format!("`{package}` {version}")),
            "README names {package} {version}"
        );
    }
}
