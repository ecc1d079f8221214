//! The architecture's dependency invariants (docs/ARCHITECTURE.md), checked against the
//! crates' manifests: a change that breaks one fails here, not in a review.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// The names of a crate's normal (not dev) dependencies.
fn dependencies(krate: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_model_is_sans_io() {
    const ALLOWED: [&str; 10] = [
        "serde",
        "serde_json",
        "serde_json_canonicalizer",
        "thiserror",
        "jiff",
        "uuid",
        "sha2",
        "hex",
        "computus", // the date of Easter, for the public holidays
        "utoipa",   // optional, for the API's schemas only
    ];
    for dep in dependencies("doorbraak-model") {
        assert!(
            ALLOWED.contains(&dep.as_str()),
            "doorbraak-model depends on {dep}: the model holds no IO (no tokio, sqlx, tonic, axum, clock)"
        );
    }
}

#[test]
fn the_wire_contract_does_not_know_the_store() {
    let deps = dependencies("doorbraak-proto");
    assert!(
        !deps.iter().any(|d| d == "doorbraak-store"),
        "doorbraak-proto depends on the store: {deps:?}"
    );
}

#[test]
fn the_store_and_the_federation_transport_hold_no_http_or_html() {
    for krate in ["doorbraak-store", "doorbraak-federation"] {
        for dep in dependencies(krate) {
            assert!(
                !["axum", "maud", "axum-extra", "openidconnect"].contains(&dep.as_str()),
                "{krate} depends on {dep}"
            );
        }
    }
    assert!(
        !dependencies("doorbraak-store").iter().any(|d| d == "tonic"),
        "the store knows no gRPC"
    );
}
