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

/// The code of a source file without its comment lines.
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The Rust source files below `dir` of this crate (`doorbraak-node`), with their text.
fn sources(dir: &str) -> Vec<(String, String)> {
    sources_of("doorbraak-node", dir)
}

/// The Rust source files below `dir` of `krate`'s `src`, with their text.
fn sources_of(krate: &str, dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
        .join(dir);
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    assert!(!out.is_empty(), "no sources in {dir}");
    out
}

#[test]
fn the_operations_layer_holds_no_http_html_or_grpc() {
    for (path, text) in sources_of("doorbraak-app", "ops") {
        // code only, not the doc comments that name the adapters
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for forbidden in ["axum", "maud", "tonic", "crate::api", "crate::web"] {
            assert!(
                !code.contains(forbidden),
                "{path} uses {forbidden}: the operations are typed, adapters come on top"
            );
        }
    }
}

#[test]
fn the_web_and_the_json_api_do_not_import_each_other() {
    let graph = module_graph();
    for (from, to) in [("web", "api"), ("api", "web")] {
        assert!(
            !graph[from].contains(to),
            "crate::{from} uses crate::{to}: both are adapters over crate::ops, side by side"
        );
    }
    // and no page reads untyped JSON
    for (path, text) in sources("web/pages") {
        assert!(
            !code_of(&text).contains("serde_json::Value"),
            "{path} reads serde_json::Value: pages show typed results of crate::ops"
        );
    }
}

/// The node's top-level modules and which others each one names (`crate::x`), from the code
/// (comments left out).
fn module_graph() -> Graph {
    module_graph_of("doorbraak-node")
}

/// `krate`'s top-level modules and which others each one names (`crate::x`), from the code
/// (comments left out).
fn module_graph_of(krate: &str) -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let mut graph = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let files = if p.is_dir() {
            sources_of(krate, &name)
        } else {
            vec![(String::new(), std::fs::read_to_string(&p).unwrap())]
        };
        let mut uses = std::collections::BTreeSet::new();
        for (_, text) in files {
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let m: String = line[i + 7..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !m.is_empty() && m != name {
                        uses.insert(m);
                    }
                }
            }
        }
        graph.insert(name, uses);
    }
    graph
}

/// A module graph: each module and the modules it names.
type Graph = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// Does `from` reach `to` through the graph's edges?
fn reaches(graph: &Graph, from: &str, to: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![from.to_owned()];
    while let Some(m) = todo.pop() {
        for n in graph.get(&m).into_iter().flatten() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                todo.push(n.clone());
            }
        }
    }
    false
}

#[test]
fn the_node_and_application_modules_form_no_cycles() {
    for (krate, expected) in [
        ("doorbraak-node", ["api", "web"]),
        ("doorbraak-app", ["ops", "directory"]),
    ] {
        let graph = module_graph_of(krate);
        assert!(
            expected.iter().all(|m| graph.contains_key(*m)),
            "{krate}: {graph:?}"
        );
        let reaches = |from: &str, to: &str| reaches(&graph, from, to);
        for a in graph.keys() {
            let circle: Vec<&str> = graph
                .keys()
                .filter(|b| *b == a || (reaches(a, b) && reaches(b, a)))
                .map(String::as_str)
                .collect();
            assert!(
                circle.len() == 1,
                "{krate}: the modules {circle:?} depend on each other in a circle: {graph:#?}"
            );
        }
    }
}

/// The adapters (the JSON API, the web, the gRPC service) sit on the application: Cargo keeps
/// the store out of their reach (its read models come through `doorbraak_app::views`), and
/// only the gRPC service and the server that starts it speak the wire contract.
#[test]
fn the_adapters_reach_the_store_only_through_the_application() {
    let deps = dependencies("doorbraak-node");
    assert!(
        deps.iter().any(|d| d == "doorbraak-app"),
        "the adapters sit on doorbraak-app: {deps:?}"
    );
    assert!(
        !deps.iter().any(|d| d == "doorbraak-store"),
        "doorbraak-node depends on the store itself: {deps:?}"
    );
    for dir in ["api", "web"] {
        for (path, text) in sources(dir) {
            let code = code_of(&text);
            for forbidden in ["doorbraak_proto", "tonic::", "v1::"] {
                assert!(
                    !code.contains(forbidden),
                    "{path} uses {forbidden}: only the gRPC service speaks the wire"
                );
            }
        }
    }
}

/// The application is a crate of its own that the adapters sit on: Cargo keeps HTTP, HTML,
/// the web's login and the server's configuration out of it (it cannot name `doorbraak-node`).
#[test]
fn the_application_knows_no_http_html_or_server() {
    for dep in dependencies("doorbraak-app") {
        assert!(
            ![
                "axum",
                "axum-extra",
                "maud",
                "openidconnect",
                "jsonwebtoken",
                "tower-http",
                "tower_governor",
                "figment",
                "toml",
                "cookie",
                "doorbraak-node",
            ]
            .contains(&dep.as_str()),
            "doorbraak-app depends on {dep}: the application holds no HTTP, HTML or server configuration"
        );
    }
    // and its sources name no adapter
    for (path, text) in sources_of("doorbraak-app", "") {
        let code = code_of(&text);
        for forbidden in ["axum::", "maud::", "doorbraak_node"] {
            assert!(!code.contains(forbidden), "{path} uses {forbidden}");
        }
    }
}

/// The modules of the model and which others each one names, from the code (comments left
/// out): `crate::x::…`, `crate::{x::…, …}`, and a name re-exported by `lib.rs` counted as its
/// module.
fn model_module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../doorbraak-model/src");
    let text_of = |name: &str| std::fs::read_to_string(src.join(format!("{name}.rs"))).unwrap();
    let lib = code_of(&text_of("lib"));
    let modules: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_owned())
        .collect();
    // names that lib.rs re-exports, by the module they come from
    let mut exported = std::collections::BTreeMap::new();
    let joined = lib.replace('\n', " ");
    for part in joined.split("pub use ").skip(1) {
        let stmt = part.split(';').next().unwrap_or_default();
        let Some((module, names)) = stmt.split_once("::") else {
            continue;
        };
        for n in names
            .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
            .split(',')
        {
            exported.insert(n.trim().to_owned(), module.trim().to_owned());
        }
    }
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut graph = std::collections::BTreeMap::new();
    for name in &modules {
        // the module's own code: its unit tests (at the end, after `#[cfg(test)]`) left out
        let text = text_of(name);
        let code = code_of(text.split("#[cfg(test)]").next().unwrap_or_default());
        let mut uses = std::collections::BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + 7..];
            let firsts: Vec<String> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|p| ident(p.trim()))
                    .collect(),
                None => vec![ident(rest)],
            };
            for first in firsts {
                let module = exported.get(&first).cloned().unwrap_or(first);
                if modules.contains(&module) && &module != name {
                    uses.insert(module);
                }
            }
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

/// The model's modules import each other in no circle: the words (`vocabulary`) and the rules'
/// codes (`violation`) below the aggregates they describe, each aggregate beside the others.
#[test]
fn the_model_modules_form_no_cycles() {
    let graph = model_module_graph();
    assert!(
        graph["violation"].contains("vocabulary") && graph["escalation"].contains("violation"),
        "{graph:#?}"
    );
    let reaches = |from: &str, to: &str| reaches(&graph, from, to);
    for a in graph.keys() {
        for b in graph.keys().filter(|b| *b != a) {
            assert!(
                !(reaches(a, b) && reaches(b, a)),
                "doorbraak-model: {a} and {b} depend on each other in a circle: {graph:#?}"
            );
        }
    }
}

/// Every field and every reason a rule names has its Dutch wording: a Dutch message never
/// shows a code such as `needs` or an English reason.
#[test]
fn every_field_and_reason_a_rule_names_is_worded_in_dutch() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut texts = Vec::new();
    for krate in [
        "doorbraak-model/src",
        "doorbraak-app/src",
        "doorbraak-node/src",
    ] {
        let mut todo = vec![root.join(krate)];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    todo.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    texts.push((
                        p.display().to_string(),
                        std::fs::read_to_string(&p).unwrap(),
                    ));
                }
            }
        }
    }
    let quoted_after = |text: &str, marker: &str| -> Vec<String> {
        text.match_indices(marker)
            .filter_map(|(i, _)| {
                let rest = &text[i + marker.len()..];
                let end = rest.find('"')?;
                Some(rest[..end].to_owned())
            })
            .collect()
    };
    for (path, text) in &texts {
        if path.ends_with("violation.rs") || path.contains("/tests") {
            continue;
        }
        // the rules' own code, without their unit tests
        let code = code_of(text.split("#[cfg(test)]").next().unwrap_or_default());
        for reason in quoted_after(&code, "reason: \"") {
            if reason.is_empty() || reason == "-" {
                continue;
            }
            assert!(
                doorbraak_model::violation::known_reason_nl(&reason).is_some(),
                "{path}: the reason {reason:?} has no Dutch wording in violation::known_reason_nl"
            );
        }
        for marker in ["field: \"", "require(\"", "check(\""] {
            for field in quoted_after(&code, marker) {
                assert!(
                    doorbraak_model::violation::known_field_nl(&field).is_some(),
                    "{path}: the field {field:?} has no Dutch label in violation::known_field_nl"
                );
            }
        }
    }
}
